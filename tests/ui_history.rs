//! The run history driven as a user would, headless through egui_kittest: every run is
//! recorded when it ends (answered, failed, cancelled), newest first with its status and
//! rows; Restore loads a run's query, Re-run runs it again, Clear history asks first; and
//! the history survives a restart in a temporary config dir.
//!
//! The store lives on the worker, so the tests step frames until its answer is shown.

// Helpers outside #[test] functions panic on purpose too: a failed step is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use inkeep_explorer::api::client::ApiKey;
use inkeep_explorer::api::query::parse_query;
use inkeep_explorer::app::state::RunState;
use inkeep_explorer::app::window::WindowState;
use inkeep_explorer::app::{AppEnv, ExplorerApp};
use inkeep_explorer::history::{HISTORY_FILE_NAME, HistoryEntry, RunStatus};
use serde_json::Value;
use support::*;

const DEMO_ROWS: u64 = 500;

const COUNT: &str = r#"{"select":[{"type":"aggregation","aggregation":"count"}]}"#;

const COUNT_BY_TYPE: &str = r#"{"select":[{"type":"aggregation","aggregation":"count"}],
    "groupBy":[{"field":"type"}],
    "where":{"condition":{"field":"firstMessageTime","operator":"gte","value":"last 3 years"}}}"#;

/// The window on `env` with `query` in the builder, once its history and connection are there.
fn history_window(env: AppEnv, query: &str) -> Harness<'static, ExplorerApp> {
    let mut harness = window(env, Some(parse_query(query).unwrap()));
    step_until(&mut harness, "the history and the connection", |s| {
        s.run_history.store.is_some() && is_connected(s)
    });
    harness
}

fn demo_harness(config_dir: Option<&Path>, query: &str) -> Harness<'static, ExplorerApp> {
    history_window(env_in(config_dir, DEMO_ROWS), query)
}

fn search(harness: &mut Harness<'_, ExplorerApp>, text: &str) {
    type_into(harness, "Search history", text);
}

fn entries(state: &WindowState) -> Vec<HistoryEntry> {
    state.run_history.store.as_ref().map(|s| s.entries().into_iter().cloned().collect()).unwrap_or_default()
}

/// Runs the builder's query with the Run button and waits until the run is recorded.
fn run_and_record(harness: &mut Harness<'_, ExplorerApp>) {
    let before = entries(app(harness)).len();
    click(harness, "Run");
    step_until(harness, "the run to be recorded", |s| entries(s).len() == before + 1);
}

fn finished_rows(state: &WindowState) -> u64 {
    let RunState::Done(outcome) = &state.active().run else {
        panic!("the run failed: {:?}", state.active().run.failure())
    };
    outcome.row_count() as u64
}

#[test]
fn runs_are_listed_newest_first_and_restore_and_rerun_use_their_query() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = demo_harness(Some(dir.path()), COUNT);
    run_and_record(&mut harness);
    let count_rows = finished_rows(app(&harness));
    load_query(&mut harness, COUNT_BY_TYPE);
    run_and_record(&mut harness);
    let by_type_rows = finished_rows(app(&harness));
    assert_eq!(count_rows, 1);
    assert!(by_type_rows > 1, "the demo data has several types");

    let recorded = entries(app(&harness));
    assert_eq!(recorded.len(), 2);
    // Newest first, each with the query as the builder had it (the relative time unresolved).
    assert_eq!(recorded[0].query, parse_query(COUNT_BY_TYPE).unwrap());
    assert_eq!(recorded[1].query, parse_query(COUNT).unwrap());
    assert_eq!(recorded[0].status, RunStatus::Ok);
    assert_eq!(recorded[1].status, RunStatus::Ok);
    assert_eq!((recorded[0].rows, recorded[0].total), (Some(by_type_rows), Some(by_type_rows)));
    assert_eq!((recorded[1].rows, recorded[1].total), (Some(1), Some(1)));
    let server = app(&harness).connection_info().unwrap().base_url.clone();
    assert!(recorded.iter().all(|e| e.server_url == server));
    assert!(recorded[0].started_at >= recorded[1].started_at);
    assert!(
        recorded.iter().all(|e| e.request_id.as_deref().is_some_and(|id| !id.is_empty())),
        "{recorded:?}"
    );

    // The panel lists them, newest first.
    click(&mut harness, "History");
    assert_eq!(harness.query_all_by_label("✔ ok").count(), 2);
    assert!(harness.query_by_label(&format!("{by_type_rows} rows")).is_some());
    assert!(harness.query_by_label("1 row").is_some());
    assert!(harness.query_by_label("2 runs").is_some());
    // The summary of the newest query, beside the tab titled by the same query (and its ×).
    assert!(harness.query_by_label("Tab: count, type").is_some());
    assert!(harness.query_by_label("Close tab count, type").is_some());
    assert_eq!(
        harness.query_all_by_label_contains("count, type").count(),
        3,
        "a summary of the newest query"
    );

    // Restore the older run: the tab shown holds a result, so the query opens in a new tab;
    // closing that tab shows the newer query again.
    let tab_count = app(&harness).tabs.len();
    click_nth(&mut harness, "Restore", 1);
    assert_eq!(app(&harness).tabs.len(), tab_count + 1);
    assert_eq!(draft_body(app(&harness)), parse_query(COUNT).unwrap());
    click(&mut harness, "Close tab count");
    assert_eq!(app(&harness).tabs.len(), tab_count);
    assert_eq!(draft_body(app(&harness)), parse_query(COUNT_BY_TYPE).unwrap());

    // Re-run the older run: a new run of its query, recorded on top.
    let last_id = app(&harness).ids.peek();
    click_nth(&mut harness, "Re-run", 1);
    assert!(app(&harness).ids.peek() > last_id, "a new run started");
    step_until(&mut harness, "the re-run to be recorded", |s| entries(s).len() == 3);
    assert_eq!(finished_rows(app(&harness)), 1);
    assert_eq!(entries(app(&harness))[0].query, parse_query(COUNT).unwrap());

    // The search narrows the list.
    search(&mut harness, "groupBy");
    assert!(harness.query_by_label("1 of 3 runs").is_some());

    // Kept across a restart, in the config dir.
    drop(harness);
    let file: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join(HISTORY_FILE_NAME)).unwrap()).unwrap();
    assert_eq!(file["entries"].as_array().unwrap().len(), 3);
    let harness = demo_harness(Some(dir.path()), COUNT);
    let reloaded = entries(app(&harness));
    assert_eq!(reloaded.len(), 3);
    assert_eq!(reloaded[2].query, parse_query(COUNT).unwrap(), "the oldest is last");
}

#[test]
fn a_failed_run_is_recorded_as_failed_with_its_message() {
    // Port 9 (discard) on loopback is closed on test machines: the connect is refused.
    let env = AppEnv {
        env_key: Some(ApiKey::new("test-key".to_string())),
        env_server_url: Some("http://127.0.0.1:9".to_string()),
        ..AppEnv::isolated(DEMO_ROWS)
    };
    let mut harness = history_window(env, COUNT);
    run_and_record(&mut harness);
    let failure = app(&harness).active().run.failure().expect("the run failed").summary.clone();
    let recorded = entries(app(&harness));
    assert_eq!(recorded[0].status, RunStatus::Failed { message: failure.clone() });
    assert!(failure.contains("127.0.0.1:9"), "{failure}");
    assert_eq!(recorded[0].server_url, "http://127.0.0.1:9");
    assert_eq!((recorded[0].rows, recorded[0].total), (None, None));

    click(&mut harness, "History");
    assert!(harness.query_by_label("⚠ failed").is_some());
    search(&mut harness, "failed");
    assert!(harness.query_by_label("1 run").is_some());
}

#[test]
fn a_cancelled_and_a_superseded_run_are_recorded_as_cancelled() {
    // A server that accepts connections but never answers: runs wait until cancelled.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let env = AppEnv {
        env_key: Some(ApiKey::new("test-key".to_string())),
        env_server_url: Some(url.clone()),
        ..AppEnv::isolated(DEMO_ROWS)
    };
    let mut harness = history_window(env, COUNT);
    click(&mut harness, "Run");
    assert!(app(&harness).active().run.pending_id().is_some());
    // A second Run supersedes the first; Cancel ends the second.
    load_query(&mut harness, COUNT_BY_TYPE);
    click(&mut harness, "Run");
    click(&mut harness, "Cancel");
    step_until(&mut harness, "both runs to be recorded", |s| entries(s).len() == 2);
    let recorded = entries(app(&harness));
    assert_eq!(recorded[0].status, RunStatus::Cancelled);
    assert_eq!(recorded[1].status, RunStatus::Cancelled);
    assert_eq!(recorded[0].query, parse_query(COUNT_BY_TYPE).unwrap());
    assert_eq!(recorded[1].query, parse_query(COUNT).unwrap());
    assert_eq!(app(&harness).run_history.in_flight_count(), 0);

    click(&mut harness, "History");
    assert_eq!(harness.query_all_by_label("■ cancelled").count(), 2);
    drop(silent);
}

#[test]
fn clearing_the_history_asks_first() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = demo_harness(Some(dir.path()), COUNT);
    run_and_record(&mut harness);
    click(&mut harness, "History");

    click(&mut harness, "Clear history…");
    assert!(harness.query_by_label_contains("Forget all 1 recorded run?").is_some());
    click(&mut harness, "Keep the history");
    assert_eq!(entries(app(&harness)).len(), 1);

    click(&mut harness, "Clear history…");
    click(&mut harness, "Clear history");
    step_until(&mut harness, "the clear", |s| entries(s).is_empty());
    assert!(harness.query_by_label_contains("Runs are listed here").is_some());
    let file: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join(HISTORY_FILE_NAME)).unwrap()).unwrap();
    assert_eq!(file["entries"], serde_json::json!([]));
}
