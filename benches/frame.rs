//! Frame time of the window, headless (issue 4).
//!
//! Targets on the 2-core build machine, release build:
//! - a frame with a 50-condition filter tree and the request inspector open ≤ 4 ms of CPU;
//! - startup (app, worker, first frame) ≤ 1 s, the demo dataset being built in the background.
//!
//! The app runs exactly as in the window (`eframe::App::ui` on an `egui::Context`), with
//! an isolated environment: no config dir, a mock keychain, a 3 000-row demo API.

// A benchmark that cannot build its input has nothing to measure: failing loudly is right.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use eframe::App as _;
use inkeep_explorer::api::query::{QueryBody, parse_query};
use inkeep_explorer::app::state::{ConnectionStatus, ResultView, RunState};
use inkeep_explorer::app::{AppEnv, ExplorerApp, LaunchOptions, Startup};
use serde_json::{Value, json};

const DEMO_ROWS: u64 = 3_000;

/// A count with `count` conditions in an AND group.
fn many_conditions(count: usize) -> QueryBody {
    let items: Vec<Value> = (0..count)
        .map(|i| json!({"condition": {"field": "userMessageCount", "operator": "gte", "value": i}}))
        .collect();
    let body = json!({"select": [{"type": "aggregation", "aggregation": "count"}], "where": {"and": items}});
    parse_query(&body.to_string()).unwrap()
}

struct Window {
    ctx: egui::Context,
    app: ExplorerApp,
    frame: eframe::Frame,
}

impl Window {
    fn open(query: QueryBody, launch: LaunchOptions) -> Window {
        let mut startup = Startup::prepare(launch, AppEnv::isolated(DEMO_ROWS)).unwrap();
        startup.query = Some(query);
        let ctx = egui::Context::default();
        let app = ExplorerApp::new(&ctx, startup).unwrap();
        Window { ctx, app, frame: eframe::Frame::_new_kittest() }
    }

    fn frame(&mut self) {
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1400.0, 900.0))),
            ..egui::RawInput::default()
        };
        let Window { ctx, app, frame } = self;
        let mut output = ctx.run_ui(input, |ui| app.ui(ui, frame));
        // No renderer here: the font atlas updates are dropped on purpose.
        output.textures_delta.clear();
        black_box(output.shapes.len());
    }

    /// Draws frames until `done` holds (the worker answers between frames).
    fn frames_until(&mut self, what: &str, done: impl Fn(&ExplorerApp) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(120);
        while !done(&self.app) {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            self.frame();
            std::thread::sleep(Duration::from_millis(5));
        }
        // Settle layout (first-frame sizing passes) before measuring.
        for _ in 0..5 {
            self.frame();
        }
    }
}

fn frames(c: &mut Criterion) {
    let mut group = c.benchmark_group("frame");
    group.measurement_time(Duration::from_secs(5));

    let launch = LaunchOptions { tab: Some(ResultView::Request), ..LaunchOptions::default() };
    let mut window = Window::open(many_conditions(50), launch);
    window.frames_until("the connection", |app| {
        matches!(app.state().connection, ConnectionStatus::Connected(_))
    });
    group.bench_function("50 conditions, inspector open", |b| b.iter(|| window.frame()));

    let query = parse_query(
        r#"{"select":[{"type":"time","timeUnit":"day"},{"type":"aggregation","aggregation":"count"}],
            "groupBy":[{"field":"type"}]}"#,
    )
    .unwrap();
    let launch = LaunchOptions { tab: Some(ResultView::Table), run: true, ..LaunchOptions::default() };
    let mut window = Window::open(query, launch);
    window.frames_until("the result", |app| matches!(app.state().active().run, RunState::Done(_)));
    group.bench_function("result table shown", |b| b.iter(|| window.frame()));

    group.sample_size(10);
    group.bench_function("startup to first frame", |b| {
        b.iter_with_large_drop(|| {
            let mut window = Window::open(many_conditions(5), LaunchOptions::default());
            window.frame();
            window
        })
    });
    group.finish();
}

criterion_group!(benches, frames);
criterion_main!(benches);
