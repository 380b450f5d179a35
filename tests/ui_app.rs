//! The whole window driven as a user would, headless through egui_kittest: by the names of
//! its widgets, against the embedded demo API (3 000 conversations) or a tiny local server
//! that stalls or fails on demand. Nothing touches the real keychain, config dir or
//! environment (`AppEnv::isolated`).
//!
//! `Harness::run` does not wait for the worker, so the tests step frames in a loop until a
//! condition holds, with a deadline.

// Helpers outside #[test] functions panic on purpose too: a failed step is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use inkeep_explorer::api::client::ApiKey;
use inkeep_explorer::api::query::{QueryBody, parse_query};
use inkeep_explorer::app::state::{AppState, ConnectionStatus, RunState};
use inkeep_explorer::app::{AppEnv, ExplorerApp, LaunchOptions, Startup};
use inkeep_explorer::demo::dataset::{DatasetParams, generate};
use inkeep_explorer::settings::Settings;
use inkeep_explorer::worker::ConnectionKind;
use serde_json::{Value, json};

const DEMO_ROWS: u64 = 3_000;

fn harness_with(env: AppEnv, query: Option<QueryBody>) -> Harness<'static, ExplorerApp> {
    // The same preparation as the real window: settings from the (test's) config dir.
    let mut startup = Startup::prepare(LaunchOptions::default(), env).expect("startup");
    startup.query = query;
    Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_eframe(move |cc| ExplorerApp::new(&cc.egui_ctx, startup).expect("the app starts"))
}

fn demo_harness() -> Harness<'static, ExplorerApp> {
    harness_with(AppEnv::isolated(DEMO_ROWS), None)
}

fn app<'a>(harness: &'a Harness<'_, ExplorerApp>) -> &'a AppState {
    harness.state().state()
}

/// Steps frames until `condition` holds, failing after 60 s.
fn step_until(harness: &mut Harness<'_, ExplorerApp>, what: &str, condition: impl Fn(&AppState) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !condition(app(harness)) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        harness.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    // Let the frame after the change settle (layout passes, popups).
    harness.run_ok();
}

fn connected(kind: ConnectionKind) -> impl Fn(&AppState) -> bool {
    move |state| matches!(&state.connection, ConnectionStatus::Connected(info) if info.kind == kind)
}

fn finished(state: &AppState) -> bool {
    matches!(state.run, RunState::Done(_) | RunState::Failed { .. })
}

fn body_json(state: &AppState) -> Value {
    serde_json::to_value(state.draft.to_body().unwrap_or_else(|p| panic!("problems: {p:?}"))).unwrap()
}

/// Opens the `index`-th combo box named `name` and picks `option`.
fn pick(harness: &mut Harness<'_, ExplorerApp>, name: &str, index: usize, option: &str) {
    harness.get_all_by_label(name).nth(index).unwrap_or_else(|| panic!("no {name} #{index}")).click();
    harness.run_ok();
    harness.get_by_label(option).click();
    harness.run_ok();
}

/// Focuses the `index`-th text input named `name`, replaces its text by `text`.
fn type_into(harness: &mut Harness<'_, ExplorerApp>, name: &str, index: usize, text: &str) {
    harness.get_all_by_label(name).nth(index).unwrap_or_else(|| panic!("no {name} #{index}")).focus();
    harness.run_ok();
    harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    harness.run_ok();
    harness.get_all_by_label(name).nth(index).unwrap().type_text(text);
    harness.run_ok();
}

fn click(harness: &mut Harness<'_, ExplorerApp>, name: &str) {
    harness.get_by_label(name).click();
    harness.run_ok();
}

/// True when the widget named `name` is disabled.
fn disabled(harness: &Harness<'_, ExplorerApp>, name: &str) -> bool {
    harness.get_by_label(name).accesskit_node().is_disabled()
}

/// Clicks somewhere neutral so no text field keeps the keyboard (Ctrl+Z then means undo).
fn unfocus(harness: &mut Harness<'_, ExplorerApp>) {
    harness.key_press(Key::Escape);
    harness.run_ok();
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
    type_into(&mut harness, "Value", 0, "openai");
    unfocus(&mut harness);
    assert_eq!(
        body_json(app(&harness)),
        json!({
            "select": [{"type": "time", "timeUnit": "day"}, {"type": "aggregation", "aggregation": "count"}],
            "groupBy": [{"field": "type"}],
            "where": {"condition": {"field": "type", "operator": "eq", "value": "openai"}}
        })
    );

    click(&mut harness, "Run");
    step_until(&mut harness, "the run", finished);
    let RunState::Done(outcome) = &app(&harness).run else {
        panic!("the run failed: {:?}", app(&harness).run)
    };
    assert_eq!(outcome.columns, ["firstMessageTime_day", "count", "type"]);

    // The same numbers, computed independently from the generator.
    let params = DatasetParams { rows: DEMO_ROWS, ..DatasetParams::default() };
    let openai: Vec<_> = generate(&params).filter(|c| c.conversation_type == Some("openai")).collect();
    let days: std::collections::BTreeSet<String> =
        openai.iter().map(|c| c.first_message_time.format("%Y-%m-%d").to_string()).collect();
    let rows = &outcome.response.rows;
    assert_eq!(rows.len(), days.len());
    assert!(rows.iter().all(|row| row["type"] == json!("openai")));
    let counted: u64 = rows.iter().map(|row| row["count"].as_u64().unwrap()).sum();
    assert_eq!(counted, openai.len() as u64);

    // The rows are on screen, and the status bar says how many of how many.
    let first_day = rows[0]["firstMessageTime_day"].as_str().unwrap().to_string();
    assert!(harness.query_by_label(&first_day).is_some(), "the first row's day {first_day} is shown");
    let shown = format!("{} of {} rows", rows.len(), rows.len());
    assert!(harness.query_by_label(&shown).is_some(), "the status bar shows {shown}");
}

#[test]
fn undo_restores_the_previous_query_and_redo_brings_the_edit_back() {
    let mut harness = demo_harness();
    step_until(&mut harness, "the demo connection", connected(ConnectionKind::Demo));
    click(&mut harness, "Add aggregation");
    let with_count = body_json(app(&harness));
    click(&mut harness, "Add time bucket");
    assert_eq!(app(&harness).draft.select.len(), 2);

    harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    harness.run_ok();
    assert_eq!(body_json(app(&harness)), with_count);

    harness.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    harness.run_ok();
    assert_eq!(app(&harness).draft.select.len(), 2);

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
    type_into(&mut harness, "Value", 0, "12a");
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
    assert!(matches!(app(&harness).run, RunState::NotRequested));

    type_into(&mut harness, "Value", 0, "12");
    unfocus(&mut harness);
    assert!(!disabled(&harness, "Run"));
}

#[test]
fn bad_json_in_the_inspector_shows_where_and_keeps_the_form() {
    let mut harness = demo_harness();
    step_until(&mut harness, "the demo connection", connected(ConnectionKind::Demo));
    click(&mut harness, "Add aggregation");
    let before = app(&harness).draft.clone();

    click(&mut harness, "Request");
    assert!(disabled(&harness, "Apply"), "nothing to apply before an edit");
    type_into(&mut harness, "Request JSON", 0, "{\n  \"select\": [}");
    click(&mut harness, "Apply");
    let error = app(&harness).inspector.error.clone().expect("the error is kept");
    assert_eq!((error.line, error.column), (2, 14));
    assert_eq!(app(&harness).draft, before, "the form is untouched");
    assert!(harness.query_by_label_contains("(line 2, column 14)").is_some(), "the error is shown");

    // JSON that parses but does not fit the model names the path.
    type_into(
        &mut harness,
        "Request JSON",
        0,
        r#"{"select":[{"type":"aggregation","aggregation":"median"}]}"#,
    );
    click(&mut harness, "Apply");
    let error = app(&harness).inspector.error.clone().expect("the error is kept");
    assert!(error.path.starts_with("select[0]"), "{error:?}");
    assert_eq!(app(&harness).draft, before);

    // Good JSON is applied to the form, and undo takes it back.
    type_into(&mut harness, "Request JSON", 0, r#"{"select":[{"type":"time","timeUnit":"week"}]}"#);
    click(&mut harness, "Apply");
    assert_eq!(app(&harness).inspector.error, None);
    assert_eq!(body_json(app(&harness)), json!({"select": [{"type": "time", "timeUnit": "week"}]}));
    unfocus(&mut harness);
    click(&mut harness, "Undo");
    assert_eq!(app(&harness).draft, before);
}

/// A stand-in API on loopback: `notes:"slow"` never answers, `notes:"fail"` answers 500
/// with a problem document, anything else answers two rows.
struct FakeApi {
    url: String,
    _runtime: tokio::runtime::Runtime,
}

fn fake_api() -> FakeApi {
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
            _ => axum::Json(json!({
                "status": "ok",
                "data": {"result": [{"type": "openai", "count": 5}, {"type": "support_ticket", "count": 3}],
                         "total": 2, "pageSize": 1000, "count": 2}
            }))
            .into_response(),
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let router = axum::Router::new().route("/query/conversations", axum::routing::post(query));
    runtime.spawn(async move { axum::serve(listener, router).await });
    FakeApi { url, _runtime: runtime }
}

fn fake_harness(fake: &FakeApi) -> Harness<'static, ExplorerApp> {
    let env = AppEnv {
        env_key: Some(ApiKey::new("test-key".to_string())),
        env_server_url: Some(fake.url.clone()),
        ..AppEnv::isolated(DEMO_ROWS)
    };
    let query = parse_query(
        r#"{"select":[{"type":"aggregation","aggregation":"count"}],"groupBy":[{"field":"type"}]}"#,
    )
    .unwrap();
    harness_with(env, Some(query))
}

fn set_notes(harness: &mut Harness<'_, ExplorerApp>, notes: &str) {
    type_into(harness, "Notes", 0, notes);
    unfocus(harness);
}

fn first_result_then(harness: &mut Harness<'_, ExplorerApp>) -> u64 {
    step_until(harness, "the connection", connected(ConnectionKind::Remote));
    assert!(harness.query_by_label("Live").is_some(), "the badge says this is not demo data");
    click(harness, "Run");
    step_until(harness, "the first run", finished);
    let RunState::Done(outcome) = &app(harness).run else { panic!("{:?}", app(harness).run) };
    assert_eq!(outcome.response.rows.len(), 2);
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
    step_until(&mut harness, "the slow run to be sent", |s| s.run.pending_id().is_some());
    std::thread::sleep(Duration::from_millis(200));
    harness.step();
    assert_eq!(app(&harness).run.outcome().map(|o| o.request_id), Some(first_id));
    assert!(harness.query_by_label_contains("Running…").is_some(), "the status bar shows the run");
    assert!(!disabled(&harness, "Cancel"));

    click(&mut harness, "Cancel");
    let RunState::Done(outcome) = &app(&harness).run else { panic!("{:?}", app(&harness).run) };
    assert_eq!(outcome.request_id, first_id, "the previous result is shown again");
    assert!(disabled(&harness, "Cancel"));
    assert!(harness.query_by_label_contains("Run cancelled").is_some());

    // Esc cancels too.
    click(&mut harness, "Run");
    assert!(app(&harness).run.pending_id().is_some());
    harness.key_press(Key::Escape);
    harness.run_ok();
    assert!(app(&harness).run.pending_id().is_none());
    assert_eq!(app(&harness).run.outcome().map(|o| o.request_id), Some(first_id));
}

#[test]
fn a_server_error_shows_its_details_and_keeps_the_form_and_the_previous_result() {
    let fake = fake_api();
    let mut harness = fake_harness(&fake);
    let first_id = first_result_then(&mut harness);

    set_notes(&mut harness, "fail");
    let draft = app(&harness).draft.clone();
    click(&mut harness, "Run");
    step_until(&mut harness, "the failing run", finished);
    let failure = app(&harness).run.failure().expect("the run failed").clone();
    assert_eq!(failure.details.status, Some(500));
    assert_eq!(failure.details.request_id.as_deref(), Some("req_test_500"));
    assert_eq!(failure.details.code.as_deref(), Some("internal_server_error"));
    assert!(failure.summary.contains("had a problem"), "{}", failure.summary);
    assert_eq!(app(&harness).draft, draft, "the query is kept");
    assert_eq!(
        app(&harness).run.outcome().map(|o| o.request_id),
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
    type_into(&mut harness, "Server URL", 0, &fake.url);
    type_into(&mut harness, "API key", 0, "typed-key");
    click(&mut harness, "Connect");
    step_until(&mut harness, "the real connection", connected(ConnectionKind::Remote));
    assert_eq!(app(&harness).connection_info().unwrap().base_url, fake.url);
    assert!(app(&harness).dialog.key_text.is_empty(), "the typed key does not stay in the window");
    click(&mut harness, "Test connection");
    step_until(&mut harness, "the connection test", |s| {
        matches!(s.test_outcome, Some(inkeep_explorer::app::state::TestOutcome::Passed(_)))
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
    {
        let mut harness = harness_with(env(), None);
        step_until(&mut harness, "the demo connection", connected(ConnectionKind::Demo));
        click(&mut harness, "Add time bucket");
        click(&mut harness, "Request");
        click(&mut harness, "Connection…");
        type_into(&mut harness, "Server URL", 0, "http://127.0.0.1:9");
        type_into(&mut harness, "API key", 0, "typed-secret-key");
        click(&mut harness, "Connect");
        step_until(&mut harness, "the real connection", connected(ConnectionKind::Remote));
        // Written by the worker shortly after the last change.
        let deadline = Instant::now() + Duration::from_secs(30);
        while !std::fs::read_to_string(&path)
            .is_ok_and(|t| t.contains("timeUnit") && t.contains("127.0.0.1:9"))
        {
            assert!(Instant::now() < deadline, "the settings were not written");
            harness.step();
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("typed-secret-key"), "the key must never be written to a file: {text}");
    let saved: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(saved["tab"], json!("request"));
    assert_eq!(saved["connection"], json!("remote"));

    let mut harness = harness_with(env(), None);
    harness.run_ok();
    assert_eq!(body_json(app(&harness)), json!({"select": [{"type": "time", "timeUnit": "day"}]}));
    assert_eq!(app(&harness).tab, inkeep_explorer::app::state::Tab::Request);
    step_until(&mut harness, "the saved connection", connected(ConnectionKind::Remote));
    assert_eq!(app(&harness).connection_info().unwrap().base_url, "http://127.0.0.1:9");
}
