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

mod support;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use inkeep_explorer::api::query::{QueryBody, parse_query};
use inkeep_explorer::app::state::{ResultView, RunState};
use inkeep_explorer::app::{AppEnv, LaunchOptions};
use inkeep_explorer::settings::Settings;
use serde_json::{Value, json};

use support::Window;

const DEMO_ROWS: u64 = 3_000;
/// How long the embedded demo may take to answer before the benchmark gives up.
const TIMEOUT: Duration = Duration::from_secs(120);

/// A count with `count` conditions in an AND group.
fn many_conditions(count: usize) -> QueryBody {
    let items: Vec<Value> = (0..count)
        .map(|i| json!({"condition": {"field": "userMessageCount", "operator": "gte", "value": i}}))
        .collect();
    let body = json!({"select": [{"type": "aggregation", "aggregation": "count"}], "where": {"and": items}});
    parse_query(&body.to_string()).unwrap()
}

fn open(query: QueryBody, launch: LaunchOptions) -> Window {
    Window::open_in(AppEnv::isolated(DEMO_ROWS), Some(query), launch)
}

fn frames(c: &mut Criterion) {
    let mut group = c.benchmark_group("frame");
    group.measurement_time(Duration::from_secs(5));

    let launch = LaunchOptions { tab: Some(ResultView::Request), ..LaunchOptions::default() };
    let mut window = open(many_conditions(50), launch);
    window.frames_until("the connection", TIMEOUT, support::connected);
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
    let mut window = open(query, launch);
    window.frames_until("the result", TIMEOUT, |app| matches!(app.state().active().run, RunState::Done(_)));
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
            let mut window = open(many_conditions(5), LaunchOptions::default());
            window.frame();
            window
        })
    });
    group.finish();
}

criterion_group!(benches, frames);
criterion_main!(benches);
