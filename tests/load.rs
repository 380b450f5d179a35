//! Load test of the window: 200 runs fired back to back from the UI against the embedded demo
//! API, each superseding the one before. Afterwards exactly the last run's answer is shown,
//! and the runs left nothing behind: no threads, no tasks on the worker's runtime, no memory
//! beyond the allocator's slack.
//!
//! Run `i` asks for the conversations from the `i`-th one on (by id, in id order; the ids are
//! computed here from the demo generator), with every column: each answer is a full page of
//! 1 000 wide rows (so a leak of superseded answers would show in the resident set), and its
//! first id and its `total` say which run it belongs to.
//!
//! Nothing here is a timing assertion: waits only have deadlines that turn a hang into a
//! failure. This file holds a single test on purpose: thread counts and the resident set are
//! per process, and another test running beside it would move them.

// Helpers outside #[test] functions panic on purpose too: a failed step is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use inkeep_explorer::api::client::{AnalyticsClient, ApiKey, ClientConfig};
use inkeep_explorer::api::query::{QueryBody, parse_query};
use inkeep_explorer::api::view::View;
use inkeep_explorer::app::AppEnv;
use inkeep_explorer::app::commands::Command;
use inkeep_explorer::app::state::RunState;
use inkeep_explorer::demo::dataset::{Conversation, DatasetParams, generate};
use inkeep_explorer::worker::{ConnectionKind, DEMO_TOKEN};
use serde_json::json;
use support::{Window, app, command, connected, step_until, window};

const DEMO_ROWS: u64 = 3_000;
const PAGE_ROWS: usize = 1_000;
const RUNS: usize = 200;
const WARM_UP_RUNS: usize = 50;

/// The conversations from `id` on, every column; `notes` names the run (the server ignores
/// notes).
fn query_for(id: &str, run: usize) -> QueryBody {
    let json = json!({
        "select": [
            {"type": "field", "field": "id"},
            {"type": "field", "field": "userMessageCount"},
            {"type": "field", "field": "type"},
            {"type": "field", "field": "firstMessageTime"},
            {"type": "field", "field": "organizationId"},
            {"type": "field", "field": "projectId"},
            {"type": "field", "field": "properties"},
            {"type": "field", "field": "userProperties"}
        ],
        "where": {"condition": {"field": "id", "operator": "gte", "value": id}},
        "orderBy": [{"field": "id", "direction": "asc"}],
        "notes": format!("load run {run}")
    });
    parse_query(&json.to_string()).unwrap()
}

/// The threads of this process, by name (from `/proc/self/task/*/comm`), sorted.
fn thread_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|entry| std::fs::read_to_string(entry.ok()?.path().join("comm")).ok())
        .map(|name| name.trim().to_string())
        .collect();
    names.sort();
    names
}

/// The resident set in KiB (`VmRSS` of `/proc/self/status`).
/// The resident set, after handing the allocator's free memory back to the system.
///
/// glibc's malloc keeps freed memory in per-thread arenas; how much it keeps depends on which
/// threads happened to parse answers, so the raw figure swung by tens of megabytes between
/// identical runs. Trimming first makes the figure follow what is alive, which is what a leak
/// changes.
fn resident_kib() -> u64 {
    release_free_heap();
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|line| line.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
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

fn alive_tasks(window: &Window) -> usize {
    app(window).worker.alive_tasks()
}

/// Steps frames (the window keeps draining the worker's events) until `condition` holds;
/// fails after 60 s with `what` and the diagnostics of `explain`.
fn settle_until(
    window: &mut Window,
    what: &str,
    condition: impl Fn(&Window) -> bool,
    explain: impl Fn(&Window) -> String,
) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !condition(window) {
        assert!(Instant::now() < deadline, "{what} did not happen within 60 s: {}", explain(window));
        window.step();
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Thread names shared by a runtime's workers and its blocking pool, whose threads come and
/// go (tokio ends them after 10 s idle), and how many of each the app keeps for good: the
/// worker runtime's two workers; the demo API's thread and its runtime's two workers.
const POOLED_THREADS: [(&str, usize); 2] = [("worker-rt", 2), ("demo-api", 3)];

/// How many threads of each name there are.
fn tally(names: &[String]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for name in names {
        *counts.entry(name.clone()).or_insert(0) += 1;
    }
    counts
}

/// The threads that may remain once the app is idle: those named otherwise than the pools as
/// they were at `baseline` (the test's own, the worker's thread, any other fixed thread of the
/// app), and the pools' fixed threads.
fn threads_allowed(baseline: &[String]) -> BTreeMap<String, usize> {
    let mut allowed = tally(baseline);
    for (name, fixed) in POOLED_THREADS {
        allowed.insert(name.to_string(), fixed);
    }
    allowed
}

/// The names of which there are more threads than `allowed`.
fn threads_beyond(allowed: &BTreeMap<String, usize>) -> Vec<String> {
    tally(&thread_names())
        .into_iter()
        .filter(|(name, count)| count > allowed.get(name).unwrap_or(&0))
        .map(|(name, count)| format!("{count} × {name}"))
        .collect()
}

/// Fires one run per conversation of `conversations`, one run per frame, each superseding the
/// one before, then waits for the last answer. Returns the last run's request id.
fn burst(window: &mut Window, conversations: &[Conversation], first_run: usize) -> u64 {
    let mut last_request_id = 0;
    for (offset, conversation) in conversations.iter().enumerate() {
        command(window, Command::LoadQuery(Box::new(query_for(&conversation.id, first_run + offset))));
        command(window, Command::Run);
        let pending = app(window).active().run.pending_id().expect("the run was sent");
        assert!(pending > last_request_id, "each run gets a newer id");
        last_request_id = pending;
        window.step();
    }
    step_until(window, "the last run's answer", |s| matches!(s.active().run, RunState::Done(_)));
    last_request_id
}

/// Waits until the embedded API has loaded its second stage (events, feedback, semantic
/// threads, built in the background after the conversations), which would otherwise land
/// in the middle of the measured burst: one events query waits for it.
fn wait_for_every_view(window: &Window) {
    let base_url = app(window).connection_info().expect("connected").base_url.clone();
    let config = ClientConfig {
        base_url,
        api_key: Some(ApiKey::new(DEMO_TOKEN.to_string())),
        request_timeout_secs: 120.0,
        ..ClientConfig::default()
    };
    let client = AnalyticsClient::new(config).expect("a client of the demo API");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    let events = runtime.block_on(client.query(View::Events, &QueryBody::default())).expect("the events");
    assert!(events.total > 0, "the demo holds events");
}

#[test]
fn two_hundred_superseding_runs_show_the_last_answer_and_leave_nothing_behind() {
    let params = DatasetParams { rows: DEMO_ROWS, ..DatasetParams::default() };
    let conversations: Vec<_> = generate(&params).take(1 + WARM_UP_RUNS + RUNS).collect();
    let env = AppEnv { demo_page_size: PAGE_ROWS, ..AppEnv::isolated(DEMO_ROWS) };
    let mut window = window(env, Some(query_for(&conversations[0].id, 0)));
    step_until(&mut window, "the demo connection", connected(ConnectionKind::Demo));

    // Warm-up: one run that goes the whole way (dataset, SQLite, client pool, table, grid,
    // fonts), then a shorter burst like the one measured, so one-time allocations exist and
    // the allocator has grown its per-thread arenas before the baseline. (Measured from a
    // one-run baseline instead, the resident set grew by 25 to 46 MB whether 100, 200 or 400
    // runs followed: arenas, not runs. After the warm-up burst it grows by 2 to 10 MB.)
    command(&mut window, Command::Run);
    step_until(&mut window, "the warm-up run", |s| matches!(s.active().run, RunState::Done(_)));
    burst(&mut window, &conversations[1..=WARM_UP_RUNS], 1);
    wait_for_every_view(&window);
    for _ in 0..20 {
        window.step();
    }
    let tasks_before = alive_tasks(&window);
    let threads_before = thread_names();
    let rss_before_kib = resident_kib();

    // The measured burst: every run asks from another conversation on.
    let first_run = 1 + WARM_UP_RUNS;
    let last_request_id = burst(&mut window, &conversations[first_run..], first_run);
    let last_run = WARM_UP_RUNS + RUNS;

    // Exactly the last answer is shown: the last run's id, its total, its first conversation.
    let last = &conversations[last_run];
    let RunState::Done(outcome) = &app(&window).active().run else { unreachable!() };
    assert_eq!(outcome.request_id, last_request_id, "the answer shown is the last run's");
    assert_eq!(outcome.body.notes.as_deref(), Some(format!("load run {last_run}").as_str()));
    assert_eq!(outcome.meta.total, DEMO_ROWS - last_run as u64, "the last run's total");
    let table = &outcome.table;
    assert_eq!(table.row_count(), PAGE_ROWS);
    assert_eq!(table.cell_text(0, table.column_index("id").unwrap()), last.id.as_str());
    assert_eq!(
        table.cell_text(0, table.column_index("userMessageCount").unwrap()),
        last.user_message_count.to_string()
    );
    // The conversation just before it belongs to the run before, not to this answer.
    let raw = std::str::from_utf8(&outcome.raw.bytes).unwrap();
    assert!(
        raw.contains(&last.id) && !raw.contains(&conversations[last_run - 1].id),
        "the raw answer is the last run's"
    );
    // And it stays so: late answers of superseded runs are dropped as they arrive.
    for _ in 0..50 {
        window.step();
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(app(&window).active().run.outcome().map(|o| o.request_id), Some(last_request_id));
    assert_eq!(app(&window).active().draft.to_body().unwrap(), query_for(&last.id, last_run));

    // No leaked tasks: the superseded runs' tasks end (cancelled), and pooled connections to
    // the demo API are few (only finished requests return theirs). Allow for a handful.
    const EXTRA_TASKS: usize = 4;
    settle_until(
        &mut window,
        "the worker's tasks to go back to their number before the runs",
        |w| alive_tasks(w) <= tasks_before + EXTRA_TASKS,
        |w| format!("{} tasks now, {tasks_before} before", alive_tasks(w)),
    );
    // No leaked threads: once the blocking pools are idle, only the fixed threads are left.
    let allowed = threads_allowed(&threads_before);
    settle_until(
        &mut window,
        "the threads to go back to the fixed ones",
        |_| threads_beyond(&allowed).is_empty(),
        |_| format!("too many: {:?}; allowed {allowed:?}", threads_beyond(&allowed)),
    );

    // Memory back near its start, measured after the allocator has handed its free pages back
    // (see `resident_kib`). Allowance: 10 % plus 16 MiB, for SQLite's page cache and the
    // allocator's bookkeeping (measured here: between -4 and +7 MiB). A leak of the runs
    // themselves would exceed it: each answer is a page of 1 000 rows of 19 columns, about
    // 640 KB of JSON and 160 KB of table, so keeping a tenth of the 200 would show.
    // Nothing the app keeps is dropped before measuring.
    let rss_after_kib = resident_kib();
    let allowed_kib = rss_before_kib + rss_before_kib / 10 + 16 * 1024;
    assert!(
        rss_after_kib <= allowed_kib,
        "resident memory grew from {rss_before_kib} KiB to {rss_after_kib} KiB (allowed {allowed_kib} KiB)"
    );
    eprintln!(
        "load: threads {:?} -> {:?}, tasks {tasks_before} -> {}, VmRSS {rss_before_kib} -> {rss_after_kib} KiB",
        tally(&threads_before),
        tally(&thread_names()),
        alive_tasks(&window)
    );
}
