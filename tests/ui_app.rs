//! The whole window driven as a user would, headless through egui_kittest: by the names of
//! its widgets, against the embedded demo API (3 000 conversations) or a tiny local server
//! that stalls or fails on demand. Nothing touches the real keychain, config dir or
//! environment (`AppEnv::isolated`).
//!
//! `Harness::run` does not wait for the worker, so the tests step frames in a loop until a
//! condition holds, with a deadline.

// Helpers outside #[test] functions panic on purpose too: a failed step is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use inkeep_explorer::api::client::ApiKey;
use inkeep_explorer::api::query::parse_query;
use inkeep_explorer::app::state::{LoadAllState, RunState};
use inkeep_explorer::app::window::WindowState;
use inkeep_explorer::app::{AppEnv, ExplorerApp};
use inkeep_explorer::demo::dataset::{DatasetParams, generate};
use inkeep_explorer::settings::{SavedTabs, Settings};
use inkeep_explorer::worker::ConnectionKind;
use serde_json::{Value, json};
use support::*;

const DEMO_ROWS: u64 = 3_000;

fn demo_harness() -> Harness<'static, ExplorerApp> {
    window(AppEnv::isolated(DEMO_ROWS), None)
}

fn body_json(state: &WindowState) -> Value {
    serde_json::to_value(draft_body(state)).unwrap()
}

#[test]
fn a_query_built_by_clicks_runs_on_the_demo_api_and_shows_its_rows() {
    let mut harness = demo_harness();
    step_until(&mut harness, "the demo connection", connected(ConnectionKind::Demo));
    harness.get_by_label("Demo data");

    // count by day by type, only openai conversations.
    click(&mut harness, "Add time bucket");
    click(&mut harness, "Add aggregation");
    click(&mut harness, "Add group");
    click(&mut harness, "Add condition");
    // The new condition compares `type` with `=`; give it the value.
    type_into(&mut harness, "Value", "openai");
    unfocus(&mut harness);
    assert_eq!(
        body_json(app(&harness)),
        json!({
            "select": [
                {"type": "time", "timeUnit": "day"},
                {"type": "aggregation", "aggregation": "count", "field": "id"}
            ],
            "groupBy": [{"field": "type"}],
            "where": {"condition": {"field": "type", "operator": "eq", "value": "openai"}}
        })
    );

    click(&mut harness, "Run");
    step_until(&mut harness, "the run", finished);
    let RunState::Done(outcome) = &app(&harness).active().run else {
        panic!("the run failed: {:?}", app(&harness).active().run)
    };
    assert_eq!(outcome.columns(), ["firstMessageTime_day", "count_id", "type"]);

    // The same numbers, computed independently from the generator.
    let params = DatasetParams { rows: DEMO_ROWS, ..DatasetParams::default() };
    let openai: Vec<_> = generate(&params).filter(|c| c.conversation_type == Some("openai")).collect();
    let days: std::collections::BTreeSet<String> =
        openai.iter().map(|c| c.first_message_time.strftime("%Y-%m-%d").to_string()).collect();
    let table = &outcome.table;
    let row_count = table.row_count();
    assert_eq!(row_count, days.len());
    assert!((0..row_count).all(|row| table.cell_text(row, 2) == "openai"));
    let counted: u64 = (0..row_count).map(|row| table.cell_text(row, 1).parse::<u64>().unwrap()).sum();
    assert_eq!(counted, openai.len() as u64);

    // The rows are in the grid, and the status bar and the grid say how many of how many.
    let shown = format!("{row_count} of {row_count} rows");
    assert_eq!(harness.query_all_by_label(&shown).count(), 2, "the status bar and the grid show {shown}");
    assert!(harness.query_by_label("firstMessageTime_day").is_some(), "the grid's header");
}

#[test]
fn undo_restores_the_previous_query_and_redo_brings_the_edit_back() {
    let mut harness = demo_harness();
    step_until(&mut harness, "the demo connection", connected(ConnectionKind::Demo));
    click(&mut harness, "Add aggregation");
    let with_count = body_json(app(&harness));
    click(&mut harness, "Add time bucket");
    assert_eq!(app(&harness).active().draft.select.len(), 2);

    harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    harness.run_ok();
    assert_eq!(body_json(app(&harness)), with_count);

    harness.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    harness.run_ok();
    assert_eq!(app(&harness).active().draft.select.len(), 2);

    // The toolbar button does the same.
    click(&mut harness, "Undo");
    click(&mut harness, "Undo");
    assert_eq!(body_json(app(&harness)), json!({}));
    assert!(disabled(&harness, "Undo"));
}

#[test]
fn run_is_disabled_with_the_reason_while_the_query_is_invalid() {
    let mut harness = demo_harness();
    step_until(&mut harness, "the demo connection", connected(ConnectionKind::Demo));
    assert!(!disabled(&harness, "Run"));

    click(&mut harness, "Add condition");
    pick(&mut harness, "Field", 0, "userMessageCount");
    type_into(&mut harness, "Value", "12a");
    unfocus(&mut harness);

    let reason = app(&harness).run_blocked_reason().expect("Run is blocked");
    assert!(reason.starts_with("Fix the query first:"), "{reason}");
    assert!(reason.contains("where"), "the reason names the place: {reason}");
    assert!(disabled(&harness, "Run"));
    // The reason is the tooltip of the disabled button.
    harness.get_by_label("Run").hover();
    for _ in 0..6 {
        harness.step();
    }
    assert!(harness.query_by_label_contains("Fix the query first").is_some(), "the tooltip gives the reason");

    // Ctrl+Enter does not send an invalid query either.
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Enter);
    harness.run_ok();
    assert!(matches!(app(&harness).active().run, RunState::NotRequested));

    type_into(&mut harness, "Value", "12");
    unfocus(&mut harness);
    assert!(!disabled(&harness, "Run"));
}

#[test]
fn bad_json_in_the_inspector_shows_where_and_keeps_the_form() {
    let mut harness = demo_harness();
    step_until(&mut harness, "the demo connection", connected(ConnectionKind::Demo));
    click(&mut harness, "Add aggregation");
    let before = app(&harness).active().draft.clone();

    click(&mut harness, "Request");
    assert!(disabled(&harness, "Apply"), "nothing to apply before an edit");
    type_into(&mut harness, "Request JSON", "{\n  \"select\": [}");
    click(&mut harness, "Apply");
    let error = app(&harness).active().inspector.error.clone().expect("the error is kept");
    assert_eq!((error.line, error.column), (2, 14));
    assert_eq!(app(&harness).active().draft, before, "the form is untouched");
    assert!(harness.query_by_label_contains("(line 2, column 14)").is_some(), "the error is shown");

    // JSON that parses but does not fit the model names the path.
    type_into(&mut harness, "Request JSON", r#"{"select":[{"type":"aggregation","aggregation":"median"}]}"#);
    click(&mut harness, "Apply");
    let error = app(&harness).active().inspector.error.clone().expect("the error is kept");
    assert!(error.path.starts_with("select[0]"), "{error:?}");
    assert_eq!(app(&harness).active().draft, before);

    // Good JSON is applied to the form, and undo takes it back.
    type_into(&mut harness, "Request JSON", r#"{"select":[{"type":"time","timeUnit":"week"}]}"#);
    click(&mut harness, "Apply");
    assert_eq!(app(&harness).active().inspector.error, None);
    assert_eq!(body_json(app(&harness)), json!({"select": [{"type": "time", "timeUnit": "week"}]}));
    unfocus(&mut harness);
    click(&mut harness, "Undo");
    assert_eq!(app(&harness).active().draft, before);
}

/// A stand-in API on loopback: `notes:"slow"` never answers, `notes:"fail"` answers 500
/// with a problem document, anything else answers two rows. With `notes:"stalled export"`
/// or `notes:"failed export"` the answer says 5 000 rows match; the export then sends a
/// header and a row and stalls, or answers 500.
fn fake_api() -> LocalApi {
    use axum::response::IntoResponse;
    async fn query(body: String) -> axum::response::Response {
        let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        match body.get("notes").and_then(Value::as_str) {
            Some("slow") => {
                tokio::time::sleep(Duration::from_secs(600)).await;
                axum::http::StatusCode::GATEWAY_TIMEOUT.into_response()
            }
            Some("fail") => (
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                [("content-type", "application/problem+json"), ("x-request-id", "req_test_500")],
                json!({
                    "title": "Internal Server Error",
                    "status": 500,
                    "detail": "the analytics store timed out",
                    "requestId": "req_test_500",
                    "code": "internal_server_error",
                    "error": {"code": "internal_server_error", "message": "the analytics store timed out"}
                })
                .to_string(),
            )
                .into_response(),
            notes => {
                let total = if notes.is_some_and(|n| n.ends_with("export")) { 5_000 } else { 2 };
                axum::Json(json!({
                    "status": "ok",
                    "data": {"result": [{"type": "openai", "count": 5}, {"type": "support_ticket", "count": 3}],
                             "total": total, "pageSize": 2, "count": 2}
                }))
                .into_response()
            }
        }
    }
    async fn export(body: String) -> axum::response::Response {
        let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        match body.get("notes").and_then(Value::as_str) {
            Some("stalled export") => stalled_csv_export(),
            _ => (
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                [("content-type", "application/problem+json")],
                json!({"title": "Internal Server Error", "status": 500, "detail": "the export store is down",
                       "code": "internal_server_error"})
                .to_string(),
            )
                .into_response(),
        }
    }
    serve_locally(
        axum::Router::new()
            .route("/query/conversations", axum::routing::post(query))
            .route("/query/conversations/export", axum::routing::post(export)),
    )
}

fn fake_harness(fake: &LocalApi) -> Harness<'static, ExplorerApp> {
    let env = AppEnv {
        env_key: Some(ApiKey::new("test-key".to_string())),
        env_server_url: Some(fake.url.clone()),
        ..AppEnv::isolated(DEMO_ROWS)
    };
    let query = parse_query(
        r#"{"select":[{"type":"aggregation","aggregation":"count"}],"groupBy":[{"field":"type"}]}"#,
    )
    .unwrap();
    window(env, Some(query))
}

fn set_notes(harness: &mut Harness<'_, ExplorerApp>, notes: &str) {
    type_into(harness, "Notes", notes);
    unfocus(harness);
}

fn first_result_then(harness: &mut Harness<'_, ExplorerApp>) -> u64 {
    step_until(harness, "the connection", connected(ConnectionKind::Remote));
    assert!(harness.query_by_label("Live").is_some(), "the badge says this is not demo data");
    click(harness, "Run");
    step_until(harness, "the first run", finished);
    let RunState::Done(outcome) = &app(harness).active().run else {
        panic!("{:?}", app(harness).active().run)
    };
    assert_eq!(outcome.row_count(), 2);
    outcome.request_id
}

#[test]
fn a_slow_run_can_be_cancelled_and_the_previous_result_stays() {
    let fake = fake_api();
    let mut harness = fake_harness(&fake);
    let first_id = first_result_then(&mut harness);

    set_notes(&mut harness, "slow");
    click(&mut harness, "Run");
    // Pending, with the previous result still there (dimmed) and Cancel enabled.
    step_until(&mut harness, "the slow run to be sent", |s| s.active().run.pending_id().is_some());
    std::thread::sleep(Duration::from_millis(200));
    harness.step();
    assert_eq!(app(&harness).active().run.outcome().map(|o| o.request_id), Some(first_id));
    assert!(harness.query_by_label_contains("Running…").is_some(), "the status bar shows the run");
    assert!(!disabled(&harness, "Cancel"));

    click(&mut harness, "Cancel");
    let RunState::Done(outcome) = &app(&harness).active().run else {
        panic!("{:?}", app(&harness).active().run)
    };
    assert_eq!(outcome.request_id, first_id, "the previous result is shown again");
    assert!(disabled(&harness, "Cancel"));
    assert!(harness.query_by_label_contains("Run cancelled").is_some());

    // Esc cancels too.
    click(&mut harness, "Run");
    assert!(app(&harness).active().run.pending_id().is_some());
    unfocus(&mut harness);
    assert!(app(&harness).active().run.pending_id().is_none());
    assert_eq!(app(&harness).active().run.outcome().map(|o| o.request_id), Some(first_id));
}

#[test]
fn a_server_error_shows_its_details_and_keeps_the_form_and_the_previous_result() {
    let fake = fake_api();
    let mut harness = fake_harness(&fake);
    let first_id = first_result_then(&mut harness);

    set_notes(&mut harness, "fail");
    let draft = app(&harness).active().draft.clone();
    click(&mut harness, "Run");
    step_until(&mut harness, "the failing run", finished);
    let failure = app(&harness).active().run.failure().expect("the run failed").clone();
    assert_eq!(failure.details.status, Some(500));
    assert_eq!(failure.details.request_id.as_deref(), Some("req_test_500"));
    assert_eq!(failure.details.code.as_deref(), Some("internal_server_error"));
    assert!(failure.summary.contains("had a problem"), "{}", failure.summary);
    assert_eq!(app(&harness).active().draft, draft, "the query is kept");
    assert_eq!(
        app(&harness).active().run.outcome().map(|o| o.request_id),
        Some(first_id),
        "the previous result is kept"
    );

    // In words first, the details one click away.
    assert!(harness.query_by_label_contains("The query failed").is_some());
    assert!(harness.query_by_label("the analytics store timed out").is_none());
    click(&mut harness, "Show details");
    assert!(harness.query_by_label("the analytics store timed out").is_some());
    assert!(harness.query_by_label("req_test_500").is_some());
    assert!(harness.query_by_label("internal_server_error").is_some());

    // The Response tab has the problem document.
    click(&mut harness, "Response");
    let problem = harness.get_by_label("Problem JSON").value().unwrap_or_default();
    assert!(problem.contains("\"requestId\": \"req_test_500\""), "{problem}");
}

#[test]
fn switching_to_a_real_connection_and_back_to_the_demo_needs_no_restart() {
    let fake = fake_api();
    let mut harness = demo_harness();
    step_until(&mut harness, "the demo connection", connected(ConnectionKind::Demo));
    let demo_url = app(&harness).connection_info().unwrap().base_url.clone();

    click(&mut harness, "Connection…");
    type_into(&mut harness, "Server URL", &fake.url);
    type_into(&mut harness, "API key", "typed-key");
    click(&mut harness, "Connect");
    step_until(&mut harness, "the real connection", connected(ConnectionKind::Remote));
    assert_eq!(app(&harness).connection_info().unwrap().base_url, fake.url);
    assert!(app(&harness).connection.dialog.key_text.is_empty(), "the typed key does not stay in the window");
    click(&mut harness, "Test connection");
    step_until(&mut harness, "the connection test", |s| {
        matches!(
            s.connection.test_outcome,
            Some(inkeep_explorer::app::connection_model::TestOutcome::Passed(_))
        )
    });

    click(&mut harness, "Use demo data");
    step_until(&mut harness, "the demo again", connected(ConnectionKind::Demo));
    assert_eq!(app(&harness).connection_info().unwrap().base_url, demo_url, "the same demo server is reused");
    assert!(harness.query_by_label("Demo data").is_some());
}

#[test]
fn settings_keep_the_last_query_across_restarts_and_never_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let env = || AppEnv { config_dir: Some(dir.path().to_path_buf()), ..AppEnv::isolated(DEMO_ROWS) };
    let path = Settings::path_in(dir.path());
    let tabs_path = SavedTabs::path_in(dir.path());
    {
        let mut harness = window(env(), None);
        step_until(&mut harness, "the demo connection", connected(ConnectionKind::Demo));
        click(&mut harness, "Add time bucket");
        click(&mut harness, "Request");
        click(&mut harness, "Connection…");
        type_into(&mut harness, "Server URL", "http://127.0.0.1:9");
        type_into(&mut harness, "API key", "typed-secret-key");
        click(&mut harness, "Connect");
        step_until(&mut harness, "the real connection", connected(ConnectionKind::Remote));
        // Written by the worker shortly after the last change.
        step_until_outside(&mut harness, "the settings and tabs to be written", || {
            std::fs::read_to_string(&path).is_ok_and(|t| t.contains("127.0.0.1:9"))
                && std::fs::read_to_string(&tabs_path).is_ok_and(|t| t.contains("timeUnit"))
        });
    }
    let text = std::fs::read_to_string(&path).unwrap();
    let tabs_text = std::fs::read_to_string(&tabs_path).unwrap();
    for written in [&text, &tabs_text] {
        assert!(!written.contains("typed-secret-key"), "the key must never be written to a file: {written}");
    }
    let saved: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(saved["connection"], json!("remote"));
    // The query lives with its tab in tabs.json, and only there.
    assert!(!text.contains("timeUnit") && saved.get("tab").is_none(), "{text}");
    let tabs: Value = serde_json::from_str(&tabs_text).unwrap();
    assert_eq!(tabs["tabs"][0]["view"], json!("request"));

    let mut harness = window(env(), None);
    harness.run_ok();
    assert_eq!(body_json(app(&harness)), json!({"select": [{"type": "time", "timeUnit": "day"}]}));
    assert_eq!(app(&harness).active().view, inkeep_explorer::app::state::ResultView::Request);
    step_until(&mut harness, "the saved connection", connected(ConnectionKind::Remote));
    assert_eq!(app(&harness).connection_info().unwrap().base_url, "http://127.0.0.1:9");
}

const COUNT_BY_DAY_BY_TYPE: &str = r#"{"select":[{"type":"time","timeUnit":"day"},
    {"type":"aggregation","aggregation":"count"}],"groupBy":[{"field":"type"}],
    "where":{"condition":{"field":"type","operator":"isNotNull"}}}"#;

/// Runs the query `json` on the demo API (pages of `page_size` rows) and waits for the answer.
fn run_on_demo(json: &str, page_size: usize) -> Harness<'static, ExplorerApp> {
    let env = AppEnv { demo_page_size: page_size, ..AppEnv::isolated(DEMO_ROWS) };
    let mut harness = window(env, Some(parse_query(json).unwrap()));
    step_until(&mut harness, "the demo connection", connected(ConnectionKind::Demo));
    click(&mut harness, "Run");
    step_until(&mut harness, "the run", finished);
    assert!(
        matches!(app(&harness).active().run, RunState::Done(_)),
        "the run failed: {:?}",
        app(&harness).active().run
    );
    harness
}

#[test]
fn the_grid_shows_every_row_and_a_header_click_sorts() {
    let mut harness = run_on_demo(COUNT_BY_DAY_BY_TYPE, 1000);
    let table = outcome(&harness).table.clone();
    assert_eq!(table.column_names(), ["firstMessageTime_day", "count", "type"]);
    // Independently: one row per (day, type) among the conversations that have a type.
    let params = DatasetParams { rows: DEMO_ROWS, ..DatasetParams::default() };
    let pairs: std::collections::BTreeSet<(String, &str)> = generate(&params)
        .filter_map(|c| Some((c.first_message_time.strftime("%Y-%m-%d").to_string(), c.conversation_type?)))
        .collect();
    assert_eq!(table.row_count(), pairs.len());
    let shown = format!("{} of {} rows", pairs.len(), pairs.len());
    assert_eq!(harness.query_all_by_label(&shown).count(), 2, "the grid and the status bar show {shown}");

    click(&mut harness, "count");
    step_until(&mut harness, "the sorted view", |s| {
        !s.active().grid.is_updating() && !s.active().grid.sort.is_empty()
    });
    let counts: Vec<i64> = grid_column(&harness, "count").iter().map(|c| c.parse().unwrap()).collect();
    assert_eq!(counts.len(), pairs.len());
    assert!(counts.windows(2).all(|w| w[0] <= w[1]), "ascending: {counts:?}");
    assert!(counts.first() < counts.last(), "the counts differ, so the order is visible");

    // The header now carries the marker; a second click sorts descending.
    click(&mut harness, "count ⏶");
    step_until(&mut harness, "the descending view", |s| {
        !s.active().grid.is_updating() && s.active().grid.sort.first().is_some_and(|key| key.descending)
    });
    let counts: Vec<i64> = grid_column(&harness, "count").iter().map(|c| c.parse().unwrap()).collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "descending: {counts:?}");
    assert!(harness.query_by_label("count ⏷").is_some());
}

#[test]
fn a_new_column_set_resets_the_grid_but_a_rerun_keeps_its_sort() {
    let mut harness = run_on_demo(COUNT_BY_DAY_BY_TYPE, 1000);
    click(&mut harness, "count");
    assert_eq!(app(&harness).active().grid.sort.len(), 1);
    // The same columns again: the sort stays.
    click(&mut harness, "Run");
    step_until(&mut harness, "the rerun", |s| {
        finished(s) && s.active().run.outcome().is_some_and(|o| o.request_id > 1)
    });
    assert_eq!(app(&harness).active().grid.sort.len(), 1);
    // Other columns: a clean grid.
    harness.state_mut().handle(
        &egui::Context::default(),
        inkeep_explorer::app::commands::Command::LoadQuery(Box::new(
            parse_query(r#"{"select":[{"type":"aggregation","aggregation":"count"}]}"#).unwrap(),
        )),
    );
    click(&mut harness, "Run");
    step_until(&mut harness, "the count", |s| {
        finished(s) && s.active().run.outcome().is_some_and(|o| o.table.column_names() == ["count"])
    });
    assert!(app(&harness).active().grid.sort.is_empty());
}

const RAW_ROWS: &str = r#"{"select":[{"type":"field","field":"id"},{"type":"field","field":"type"},
    {"type":"field","field":"userMessageCount"}],"orderBy":[{"field":"id","direction":"asc"}]}"#;

#[test]
fn load_all_rows_replaces_a_truncated_page_with_every_row() {
    let mut harness = run_on_demo(RAW_ROWS, 100);
    let first_page = outcome(&harness).table.clone();
    assert_eq!(first_page.row_count(), 100);
    assert_eq!(outcome(&harness).meta.total, DEMO_ROWS);
    assert!(harness.query_by_label("Showing 100 of 3,000 rows").is_some(), "the banner");

    click(&mut harness, "Load all rows");
    step_until(&mut harness, "all rows", |s| s.active().run.outcome().is_some_and(|o| o.all_rows_loaded));
    let done = outcome(&harness);
    assert_eq!(done.table.row_count() as u64, DEMO_ROWS);
    assert_eq!((done.meta.total, done.meta.count), (DEMO_ROWS, DEMO_ROWS));
    assert_eq!(done.table.column_names(), first_page.column_names());
    // The first page is the start of the full result (ordered by id).
    for row in 0..100 {
        assert_eq!(done.table.cell_text(row, 0), first_page.cell_text(row, 0));
    }
    assert!(harness.query_by_label("Showing 100 of 3,000 rows").is_none(), "the banner is gone");
    assert_eq!(harness.query_all_by_label("3,000 of 3,000 rows").count(), 2, "grid and status bar");
    assert!(harness.query_by_label_contains("Loaded all 3,000 rows").is_some(), "the notice");
}

#[test]
fn a_cancelled_load_keeps_the_table_and_a_failed_one_says_why() {
    let fake = fake_api();
    let mut harness = fake_harness(&fake);
    step_until(&mut harness, "the connection", connected(ConnectionKind::Remote));
    set_notes(&mut harness, "stalled export");
    click(&mut harness, "Run");
    step_until(&mut harness, "the run", finished);
    let first = outcome(&harness).clone();
    assert_eq!((first.row_count(), first.meta.total), (2, 5_000));

    click(&mut harness, "Load all rows");
    assert!(app(&harness).active().load_all.loading_id().is_some());
    // The export sent a header and a row, then stalls: progress shows the bytes.
    step_until(
        &mut harness,
        "progress",
        |s| matches!(&s.active().load_all, LoadAllState::Loading { progress, .. } if progress.byte_count > 0),
    );
    assert!(harness.query_by_label_contains("Loading all rows: 0 of 5,000").is_some(), "the progress banner");
    click(&mut harness, "Cancel loading");
    assert_eq!(app(&harness).active().load_all, LoadAllState::Idle);
    assert_eq!(*outcome(&harness), first, "the table is unchanged");
    assert!(harness.query_by_label_contains("Loading all rows was cancelled").is_some());
    assert!(harness.query_by_label("Showing 2 of 5,000 rows").is_some(), "the banner offers it again");

    // Esc cancels too.
    click(&mut harness, "Load all rows");
    assert!(app(&harness).active().load_all.loading_id().is_some());
    unfocus(&mut harness);
    assert_eq!(app(&harness).active().load_all, LoadAllState::Idle);

    // A failing export keeps the table and says why.
    set_notes(&mut harness, "failed export");
    click(&mut harness, "Run");
    step_until(&mut harness, "the second run", |s| {
        finished(s) && s.active().run.outcome().is_some_and(|o| o.request_id != first.request_id)
    });
    let second = outcome(&harness).clone();
    click(&mut harness, "Load all rows");
    step_until(&mut harness, "the failure", |s| matches!(s.active().load_all, LoadAllState::Failed { .. }));
    assert_eq!(*outcome(&harness), second);
    let LoadAllState::Failed { message, .. } = &app(&harness).active().load_all else { unreachable!() };
    assert!(message.contains("the export store is down"), "{message}");
    assert!(message.ends_with("The table still shows the first 2 rows."), "{message}");
    // Said in the Table tab (until dismissed) and in the status bar.
    assert_eq!(harness.query_all_by_label_contains("Loading all rows failed").count(), 2);
    click(&mut harness, "Dismiss");
    assert_eq!(app(&harness).active().load_all, LoadAllState::Idle);
}

fn legend_entry_shown(harness: &Harness<'_, ExplorerApp>, name: &str) -> bool {
    harness.query_by_role_and_label(egui::accesskit::Role::CheckBox, name).is_some()
}

#[test]
fn the_chart_tab_draws_one_series_per_type_with_a_legend() {
    let mut harness = run_on_demo(COUNT_BY_DAY_BY_TYPE, 1000);
    click(&mut harness, "Chart");
    let names: Vec<String> = app(&harness)
        .active()
        .series_cache
        .chart()
        .series()
        .iter()
        .map(|series| series.name.clone())
        .collect();
    // The dataset's types, independently.
    let params = DatasetParams { rows: DEMO_ROWS, ..DatasetParams::default() };
    let types: std::collections::BTreeSet<&str> =
        generate(&params).filter_map(|c| c.conversation_type).collect();
    assert_eq!(types.len(), 3, "the demo data has three types: {types:?}");
    let mut sorted_names = names.clone();
    sorted_names.sort();
    assert_eq!(sorted_names, types.iter().map(|t| t.to_string()).collect::<Vec<_>>());
    for name in &names {
        assert!(legend_entry_shown(&harness, name), "the legend lists {name}");
    }

    // A click on a legend entry hides the series, and the setting is kept.
    harness.get_by_role_and_label(egui::accesskit::Role::CheckBox, "openai").click();
    harness.run_ok();
    assert!(app(&harness).active().chart_settings.hidden_series.contains("openai"));
    assert!(app(&harness).settings.dirty_since.is_some(), "saved with the settings");
}

#[test]
fn without_a_time_bucket_the_chart_offers_one_and_undo_takes_it_back() {
    let query = r#"{"select":[{"type":"aggregation","aggregation":"count"}],"groupBy":[{"field":"type"}],
        "where":{"condition":{"field":"type","operator":"isNotNull"}}}"#;
    let mut harness = run_on_demo(query, 1000);
    click(&mut harness, "Chart");
    let before = app(&harness).active().draft.clone();
    // A grouped result without a time bucket is drawn as bars by type, with the offer to
    // add a bucket only when nothing can be drawn; the command works either way.
    harness
        .state_mut()
        .handle(&egui::Context::default(), inkeep_explorer::app::commands::Command::AddDayBucket);
    assert_eq!(
        body_json(app(&harness))["select"][0],
        json!({"type": "time", "timeUnit": "day"}),
        "the day bucket comes first"
    );
    step_until(&mut harness, "the run with the bucket", |s| {
        finished(s)
            && s.active()
                .run
                .outcome()
                .is_some_and(|o| o.table.column_names().first() == Some(&"firstMessageTime_day"))
    });
    harness.run_ok();
    assert_eq!(app(&harness).active().series_cache.chart().series().len(), 3);
    unfocus(&mut harness);
    click(&mut harness, "Undo");
    assert_eq!(app(&harness).active().draft, before);
}

#[test]
fn a_count_without_groups_offers_a_day_bucket_button() {
    let mut harness = run_on_demo(r#"{"select":[{"type":"aggregation","aggregation":"count"}]}"#, 1000);
    click(&mut harness, "Chart");
    click(&mut harness, "Add a day bucket");
    step_until(&mut harness, "the run with the bucket", |s| {
        finished(s)
            && s.active()
                .run
                .outcome()
                .is_some_and(|o| o.table.column_names() == ["firstMessageTime_day", "count"])
    });
    harness.run_ok();
    let series = app(&harness).active().series_cache.chart().series();
    assert_eq!(series.len(), 1, "one series: the count per day");
    // Every conversation is counted once across the days.
    let total: f64 = series[0].values.iter().flatten().sum();
    assert_eq!(total, DEMO_ROWS as f64);
}

#[test]
fn the_chart_series_and_picture_are_saved_through_the_save_dialog() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = run_on_demo(COUNT_BY_DAY_BY_TYPE, 1000);
    click(&mut harness, "Chart");
    let expected_csv = app(&harness).active().series_cache.chart().to_csv().expect("a chart has a CSV");

    click(&mut harness, "Export CSV");
    assert!(app(&harness).save_dialog.is_some(), "the save dialog is open");
    let csv_path = dir.path().join("series.csv");
    type_into(&mut harness, "File", csv_path.to_str().unwrap());
    click(&mut harness, "Save");
    assert!(app(&harness).save_dialog.is_none());
    step_until_outside(&mut harness, "the CSV to be written", || csv_path.exists());
    assert_eq!(std::fs::read_to_string(&csv_path).unwrap(), expected_csv);
    assert!(expected_csv.lines().next().unwrap().contains("openai"), "{expected_csv}");

    // The PNG: the window's screenshot (headless there is no renderer, so a synthetic one),
    // cropped to the plot, saved where the dialog says.
    let pixels: Vec<egui::Color32> =
        (0..100 * 50).map(|i| egui::Color32::from_rgb((i % 100) as u8, (i / 100) as u8, 7)).collect();
    let image = std::sync::Arc::new(egui::ColorImage::new([100, 50], pixels));
    let rect = egui::Rect::from_min_max(egui::pos2(10.0, 5.0), egui::pos2(40.0, 25.0));
    let purpose = inkeep_explorer::app::state::ScreenshotPurpose::Chart { rect };
    let ctx = harness.ctx.clone();
    harness
        .state_mut()
        .handle(&ctx, inkeep_explorer::app::commands::Command::ScreenshotCaptured { purpose, image });
    harness.run_ok();
    let png_path = dir.path().join("chart.png");
    type_into(&mut harness, "File", png_path.to_str().unwrap());
    click(&mut harness, "Save");
    step_until_outside(&mut harness, "the PNG to be written", || png_path.exists());
    // The file is renamed into place before the worker's answer reaches the window.
    step_until(&mut harness, "the chart-saved notice", |state| {
        state.notice.as_ref().is_some_and(|notice| notice.text.starts_with("Chart saved to"))
    });
    let decoded = image::open(&png_path).unwrap().to_rgba8();
    // egui_kittest draws at 1 pixel per point.
    assert_eq!(decoded.dimensions(), (30, 20));
    assert_eq!(decoded.get_pixel(0, 0).0, [10, 5, 7, 255], "the crop starts at the plot's corner");
    assert!(harness.query_by_label_contains("Chart saved to").is_some());
}
