//! Frame time of the window, headless (issue 4).
//!
//! Targets on the 2-core build machine, release build:
//! - a frame with a 50-condition filter tree and the request inspector open ≤ 4 ms of CPU;
//! - startup ≤ 1 s: settings read from a config dir, app state, worker thread, first frame,
//!   and frames until the embedded demo API is bound and connected (the demo dataset itself
//!   is built in the background, as in the window).
//!
//! A frame is what eframe does on the CPU per frame: the app's UI pass (`eframe::App::ui` on
//! an `egui::Context`, exactly as in the window) and the tessellation of its shapes into
//! meshes; only the GPU upload is left out. Baselines measured in the same run show the UI
//! pass alone and the old startup figure (first frame only, no settings file).
//!
//! The environment is isolated: a mock keychain, a 3 000-row demo API, and either no config
//! dir or a temporary one holding a settings file.

// A benchmark that cannot build its input has nothing to measure: failing loudly is right.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use eframe::App as _;
use inkeep_explorer::api::query::{QueryBody, parse_query};
use inkeep_explorer::app::state::{ConnectionStatus, ResultView, RunState};
use inkeep_explorer::app::{AppEnv, ExplorerApp, LaunchOptions, Startup};
use inkeep_explorer::settings::Settings;
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
        Window::open_in(AppEnv::isolated(DEMO_ROWS), Some(query), launch)
    }

    /// Prepares the startup (reading the settings of `env.config_dir`, if any) and builds the
    /// app, which starts its worker and asks it to connect.
    fn open_in(env: AppEnv, query: Option<QueryBody>, launch: LaunchOptions) -> Window {
        let mut startup = Startup::prepare(launch, env).unwrap();
        if query.is_some() {
            startup.query = query;
        }
        let ctx = egui::Context::default();
        let app = ExplorerApp::new(&ctx, startup).unwrap();
        Window { ctx, app, frame: eframe::Frame::_new_kittest() }
    }

    /// One frame at 1400×900: UI pass, then tessellation.
    fn frame(&mut self) {
        let output = self.ui_pass();
        let primitives = self.ctx.tessellate(output.shapes, output.pixels_per_point);
        black_box(primitives.len());
    }

    /// The UI pass alone (the figure before issue 13, kept as a baseline).
    fn ui_pass(&mut self) -> egui::FullOutput {
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1400.0, 900.0))),
            ..egui::RawInput::default()
        };
        let Window { ctx, app, frame } = self;
        let mut output = ctx.run_ui(input, |ui| app.ui(ui, frame));
        // No renderer here: the font atlas updates are dropped on purpose.
        output.textures_delta.clear();
        output
    }

    fn is_connected(&self) -> bool {
        matches!(self.app.state().connection, ConnectionStatus::Connected(_))
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
    group.bench_function("50 conditions, inspector open, UI pass only", |b| {
        b.iter(|| black_box(window.ui_pass().shapes.len()))
    });

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
    // A config dir with the settings file a used window leaves (the defaults, written by the
    // app's own code); presets and history are read on the worker, off this path.
    let config = tempfile::tempdir().unwrap();
    Settings::default().save(config.path()).unwrap();
    let env = || AppEnv { config_dir: Some(config.path().to_path_buf()), ..AppEnv::isolated(DEMO_ROWS) };
    group.bench_function("startup, settings read, until the embedded API is bound", |b| {
        b.iter_with_large_drop(|| {
            let mut window = Window::open_in(env(), Some(many_conditions(5)), LaunchOptions::default());
            window.frame();
            let deadline = Instant::now() + Duration::from_secs(60);
            while !window.is_connected() {
                assert!(Instant::now() < deadline, "the embedded API never connected");
                // The worker's answer arrives between frames; a short nap leaves it the CPU.
                std::thread::sleep(Duration::from_micros(200));
                window.frame();
            }
            window
        })
    });
    group.bench_function("baseline: startup to first frame (no settings file, API not awaited)", |b| {
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
