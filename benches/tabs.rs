//! Query tabs at scale (issue 13): frame time with 10 tabs open, and whether closing a tab
//! that held a 1M-row result gives its memory back.
//!
//! Targets on the 2-core build machine, release build:
//! - one frame (the app's UI pass and the tessellation of its shapes, as eframe does on the
//!   CPU; only the GPU upload is left out) with 10 tabs open, the one shown displaying a
//!   1M-row raw-conversation grid, ≤ 4 ms. A 1-tab window showing the same grid is measured
//!   in the same run as the baseline;
//! - closing that tab returns its memory: resident set (`VmRSS`, after glibc's `malloc_trim`
//!   so it follows live memory) before the 1M-row result exists, with it in a tab, and after
//!   the tab is closed and its 30 s "reopen closed tab" window has passed. Printed, not timed.
//!
//! The window is the real app on an isolated environment (mock keychain, 3 000-row embedded
//! demo API). The nine other tabs hold queries run against the demo. The 1M-row table is
//! built as a response to `{}` is (as in `benches/grid.rs`) and handed to the shown tab as the
//! worker's answer to its run, so no server has to produce a million rows.

// A benchmark that cannot build its input has nothing to measure: failing loudly is right.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::Criterion;
use inkeep_explorer::api::query::{QueryBody, parse_query};
use inkeep_explorer::app::commands::Command;
use inkeep_explorer::app::state::{ResultView, RunState};
use inkeep_explorer::app::tabs::REOPEN_WINDOW;
use inkeep_explorer::app::{AppEnv, ExplorerApp, LaunchOptions};
use inkeep_explorer::data::{Meta, ResultTable};
use inkeep_explorer::demo::dataset::{DatasetParams, raw_response_json};
use inkeep_explorer::worker::{Event, JobTag, Purpose, RawAnswer, RunAnswer, TabId};
use jiff::civil::Date;
use support::Window;

const ROWS: u64 = 1_000_000;
const DEMO_ROWS: u64 = 3_000;

/// The queries of the nine background tabs: charts, grouped counts and raw rows.
const OTHER_QUERIES: [&str; 9] = [
    r#"{"select":[{"type":"time","timeUnit":"day"},{"type":"aggregation","aggregation":"count"}]}"#,
    r#"{"select":[{"type":"time","timeUnit":"week"},{"type":"aggregation","aggregation":"count"}],"groupBy":[{"field":"type"}]}"#,
    r#"{"select":[{"type":"aggregation","aggregation":"count"}],"groupBy":[{"field":"type"}]}"#,
    r#"{}"#,
    r#"{"select":[{"type":"time","timeUnit":"month"},{"type":"aggregation","aggregation":"count"}]}"#,
    r#"{"select":[{"type":"aggregation","aggregation":"count"}]}"#,
    r#"{"select":[{"type":"time","timeUnit":"day"},{"type":"aggregation","aggregation":"count"}],"groupBy":[{"field":"type"}]}"#,
    r#"{}"#,
    r#"{"select":[{"type":"aggregation","aggregation":"count"}],"groupBy":[{"field":"type"}]}"#,
];

/// A 1M-row table of raw conversations, built as a response to `{}` is; the JSON is dropped.
fn big_answer() -> RunAnswer {
    let params = DatasetParams { rows: ROWS, seed: 42, end_date: Date::constant(2026, 1, 31) };
    let (table, meta) =
        ResultTable::from_response_bytes(&QueryBody::default(), &raw_response_json(&params)).unwrap();
    assert_eq!(meta.count, ROWS);
    let meta = Meta { total: ROWS, page_size: meta.page_size, count: ROWS };
    RunAnswer { table: Arc::new(table), meta, server_request_id: None, raw: RawAnswer::default() }
}

/// How long the embedded demo (and the grid's thread) may take before the benchmark gives up.
const TIMEOUT: Duration = Duration::from_secs(180);

/// A window on the isolated demo, connected, with one empty tab.
fn open() -> Window {
    let mut window = Window::open_in(AppEnv::isolated(DEMO_ROWS), None, LaunchOptions::default());
    window.frames_until("the connection", TIMEOUT, support::connected);
    window
}

/// Runs `query` in the tab shown (a new one unless `new_tab` is false) and waits for it.
fn run_in_tab(window: &mut Window, query: &str, new_tab: bool) {
    if new_tab {
        window.handle(Command::NewTab);
    }
    window.handle(Command::LoadQuery(Box::new(parse_query(query).unwrap())));
    window.handle(Command::Run);
    window
        .frames_until("a demo answer", TIMEOUT, |app| matches!(app.state().active().run, RunState::Done(_)));
}

/// Shows `answer` in a new tab, as the worker's answer to that tab's run of `{}`.
fn show_in_new_tab(window: &mut Window, answer: RunAnswer) -> TabId {
    window.handle(Command::NewTab);
    window.handle(Command::LoadQuery(Box::default()));
    window.handle(Command::SetView(ResultView::Table));
    window.handle(Command::Run);
    let tab = window.app.state().tabs.active_id();
    let request_id = window.app.state().active().run.pending_id().expect("the run was sent");
    // Before any frame drains the worker, so the demo's own answer to this run (same id)
    // arrives after it and is ignored as stale.
    let tag = JobTag::new(tab, Purpose::Run);
    window.handle(Command::Worker(Event::Finished { tag, request_id, duration_ms: 1, result: Ok(answer) }));
    let shown = |app: &ExplorerApp| {
        app.state().active().run.outcome().is_some_and(|outcome| outcome.row_count() == ROWS as usize)
            && !app.state().active().grid.is_updating()
    };
    window.frames_until("the 1M-row grid", TIMEOUT, shown);
    // The first frames asked the grid's thread for its view: wait for it too.
    window.frames_until("the 1M-row grid's view", TIMEOUT, shown);
    assert!(shown(&window.app), "the 1M-row result is shown");
    tab
}

/// The process's resident set in MB, after returning free heap pages to the system.
fn rss_mb() -> f64 {
    release_free_heap();
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|line| line.starts_with("VmRSS:")).unwrap();
    let kib: f64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024.0 / 1e6
}

/// Returns free heap pages to the system (glibc only; elsewhere the figure is taken as is).
fn release_free_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        unsafe extern "C" {
            fn malloc_trim(pad: usize) -> std::ffi::c_int;
        }
        // SAFETY: malloc_trim takes no pointers; it only releases free memory of the heap.
        unsafe {
            malloc_trim(0);
        }
    }
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    // `cargo bench` passes `--bench`; a filter that names nothing here skips the run.
    let filter = std::env::args().skip(1).find(|arg| !arg.starts_with('-') && arg.parse::<f64>().is_err());
    if filter.as_deref().is_some_and(|f| !"tabs_1m".contains(f) && !f.contains("tabs_1m")) {
        return;
    }

    // Ten tabs: nine hold demo answers; the 1M-row result is not built yet.
    let mut window = open();
    run_in_tab(&mut window, OTHER_QUERIES[0], false);
    for query in &OTHER_QUERIES[1..] {
        run_in_tab(&mut window, query, true);
    }
    for _ in 0..20 {
        window.frame();
    }
    let before = rss_mb();

    let answer = big_answer();
    let table = Arc::clone(&answer.table);
    let big_tab = show_in_new_tab(&mut window, answer);
    assert_eq!(window.app.state().tabs.len(), 10);

    // The 1-tab baseline shows the same table (shared, not copied).
    let mut single = open();
    let baseline = RunAnswer {
        table,
        meta: Meta { total: ROWS, page_size: 0, count: ROWS },
        server_request_id: None,
        raw: RawAnswer::default(),
    };
    single.handle(Command::CloseTab(single.app.state().tabs.active_id()));
    show_in_new_tab(&mut single, baseline);

    {
        let mut group = criterion.benchmark_group("tabs_1m");
        group.bench_function("10 tabs, the shown one a 1M-row grid", |b| b.iter(|| window.frame()));
        group.bench_function("baseline: 1 tab, a 1M-row grid", |b| b.iter(|| single.frame()));
        group.finish();
    }
    drop(single);
    for _ in 0..5 {
        window.frame();
    }
    let with = rss_mb();

    window.handle(Command::CloseTab(big_tab));
    assert!(window.app.state().tabs.get(big_tab).is_none());
    assert!(window.app.state().tabs.last_closed().is_some(), "kept for reopening");
    for _ in 0..5 {
        window.frame();
    }
    let closed_kept = rss_mb();
    // The window forgets closed tabs on the frame after their reopen window ends.
    let forget_at = Instant::now() + REOPEN_WINDOW + Duration::from_secs(1);
    while Instant::now() < forget_at {
        std::thread::sleep(Duration::from_millis(250));
        window.frame();
    }
    for _ in 0..5 {
        window.frame();
    }
    assert!(window.app.state().tabs.last_closed().is_none(), "the closed tab was forgotten");
    let after = rss_mb();

    println!("tabs_1m RSS: before the 1M-row result {before:.1} MB (10 tabs, 9 with demo answers)");
    println!("tabs_1m RSS: with it shown in a tab    {with:.1} MB ({:+.1} MB)", with - before);
    println!("tabs_1m RSS: tab closed, kept to reopen {closed_kept:.1} MB ({:+.1} MB)", closed_kept - before);
    println!(
        "tabs_1m RSS: after the reopen window    {after:.1} MB ({:+.1} MB against before) — {}",
        after - before,
        if after - before < 0.1 * (with - before) { "returned" } else { "NOT RETURNED" }
    );
    criterion.final_summary();
}
