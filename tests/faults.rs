//! Fault tests of the whole window (and of the headless `run` command): a local server that
//! misbehaves on purpose (`fault_server`: raw TCP, hand-made HTTP/1.1 bytes) refuses, resets,
//! trickles, errs, answers HTML, cuts JSON and CSV short, or announces 2 GB.
//!
//! `tests/client.rs` checks the client's typed errors for most of these; here the question is
//! what a user sees. For each fault the window first runs the query successfully against the
//! same server, then runs it again into the fault, and the test checks that the run ends (a
//! deadline turns a hang into a failure), that the failure banner and the status bar say what
//! went wrong in words, that the query in the builder is untouched and that the previous
//! result is still the one shown.
//!
//! "All rows" (Load all rows, Export all rows, `run --all`) also meets an export cut exactly at
//! a row boundary with no length announced, which looks complete to the transport: the rows
//! are held against the query's `total`, so fewer is a failure and more a warning.
//!
//! The `cli_*` tests run the real binary (`inkeep-explorer run … --out FILE`) into the same
//! faults: a non-zero status, the cause on stderr, and nothing at `--out` — no partial file,
//! no temporary file beside it, and an existing file left as it was. (The command line has no
//! timeout option, so the trickle, which only a short timeout makes a fault, is window-only.)

// Helpers outside #[test] functions panic on purpose too: a failed step is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fault_server;
mod support;

use std::time::Duration;

use egui_kittest::kittest::Queryable as _;
use fault_server::{EXPORT, End, FaultServer, QUERY, Reply};
use inkeep_explorer::api::client::ClientConfig;
use inkeep_explorer::api::query::parse_query;
use inkeep_explorer::app::draft::QueryDraft;
use inkeep_explorer::app::export_model::ExportStatus;
use inkeep_explorer::app::state::{LoadAllState, RunFailure, RunOutcome, RunState};
use inkeep_explorer::worker::ConnectionKind;
use serde_json::{Value, json};
use support::{
    Window, app, click, connected, finished, remote_env, shows, shows_containing, step_until, window,
};

const COUNT_BY_TYPE: &str =
    r#"{"select":[{"type":"aggregation","aggregation":"count"}],"groupBy":[{"field":"type"}]}"#;

fn count_rows() -> Value {
    json!([{"type": "openai", "count": 5}, {"type": "support_ticket", "count": 3}])
}

/// The answer of the first (good) run, as the server sends it.
fn good_body() -> String {
    fault_server::envelope(count_rows(), 2, 1000)
}

/// A window that ran `query` once, successfully, against `server`.
struct Scene {
    server: FaultServer,
    window: Window,
    /// The result of the good run.
    first: RunOutcome,
    /// The builder's query after the good run.
    draft: QueryDraft,
    /// The query's JSON after the good run.
    query_json: Value,
}

/// `client` adjusts the client's timeouts and retries (the isolated default has no retries).
fn scene_with(query: &str, first_answer: Reply, client: impl FnOnce(&mut ClientConfig)) -> Scene {
    let server = FaultServer::start();
    server.set_default(QUERY, first_answer);
    let mut env = remote_env(server.url());
    client(&mut env.client_defaults);
    let mut window = window(env, Some(parse_query(query).unwrap()));
    step_until(&mut window, "the connection", connected(ConnectionKind::Remote));
    click(&mut window, "Run");
    step_until(&mut window, "the first run", finished);
    let RunState::Done(first) = &app(&window).active().run else {
        panic!("the good run failed: {:?}", app(&window).active().run)
    };
    let first = (**first).clone();
    let draft = app(&window).active().draft.clone();
    let query_json = serde_json::to_value(draft.to_body().unwrap()).unwrap();
    assert_eq!(server.seen_on(QUERY).len(), 1);
    Scene { server, window, first, draft, query_json }
}

fn scene(client: impl FnOnce(&mut ClientConfig)) -> Scene {
    let scene = scene_with(COUNT_BY_TYPE, Reply::envelope(count_rows(), 2, 1000), client);
    assert_eq!(scene.first.row_count(), 2);
    scene
}

fn no_retries(_: &mut ClientConfig) {}

/// Retries on, with short backoffs (so a test does not wait for the defaults).
fn with_retries(config: &mut ClientConfig) {
    config.max_retries = 2;
    config.retry_base_delay_ms = 20;
    config.retry_max_delay_ms = 50;
}

impl Scene {
    /// Presses Run and waits for the run to end, however it ends.
    fn run_again(&mut self) {
        click(&mut self.window, "Run");
        // The run may well have ended within the click's frames; either way it must be a
        // newer run than the good one that ended.
        let first_id = self.first.request_id;
        step_until(&mut self.window, "the end of the run", |state| {
            let ended_id = match &state.active().run {
                RunState::Done(outcome) => Some(outcome.request_id),
                RunState::Failed { error, .. } => Some(error.request_id),
                _ => None,
            };
            ended_id.is_some_and(|id| id > first_id)
        });
    }

    /// Presses Run, waits, and returns the failure, after checking what every failure must
    /// leave: the message in the banner and the status bar, the query, the previous result.
    fn run_into_failure(&mut self) -> RunFailure {
        self.run_again();
        let failure = match &app(&self.window).active().run {
            RunState::Failed { error, .. } => (**error).clone(),
            other => panic!("expected a failure, got {other:?}"),
        };
        let window = &self.window;
        // The banner above the table says it in words; the status bar marks the failure.
        assert!(shows_containing(window, "The query failed"), "the banner");
        assert!(shows(window, &failure.summary), "the banner shows: {}", failure.summary);
        assert!(shows(window, "⚠ Failed"), "the status bar says Failed");
        // The query in the builder is exactly what it was.
        assert_eq!(app(window).active().draft, self.draft, "the builder's query is unchanged");
        assert_eq!(
            serde_json::to_value(app(window).active().draft.to_body().unwrap()).unwrap(),
            self.query_json
        );
        // The previous result is still the one shown, in the grid too.
        assert_eq!(app(window).active().run.outcome(), Some(&self.first), "the previous result is kept");
        assert!(shows(window, "Previous result; the last run failed."));
        assert!(shows(window, "support_ticket"), "the grid still shows the previous rows");
        // The key never appears in what the user sees or copies.
        assert!(!failure.summary.contains("fault-test-key"), "{}", failure.summary);
        assert!(!failure.details.to_text().contains("fault-test-key"), "{}", failure.details.to_text());
        failure
    }

    /// After a successful run: the new result is shown, the query untouched, no banner.
    fn assert_new_result_shown(&self) {
        let RunState::Done(outcome) = &app(&self.window).active().run else {
            panic!("expected a result, got {:?}", app(&self.window).active().run)
        };
        assert_ne!(outcome.request_id, self.first.request_id, "a new result");
        assert_eq!(outcome.table, self.first.table, "the same rows, read again");
        assert_eq!(app(&self.window).active().draft, self.draft);
        assert!(!shows_containing(&self.window, "The query failed"));
        assert!(shows(&self.window, "✔ Done"));
    }
}

fn contains_all(text: &str, words: &[&str]) {
    for word in words {
        assert!(text.contains(word), "`{word}` is missing from: {text}");
    }
}

#[test]
fn a_server_that_went_away_is_said_to_be_unreachable() {
    let mut scene = scene(no_retries);
    let url = scene.server.url().to_string();
    // Nothing listens on the port any more: the connect is refused.
    scene.server.close_port();
    let failure = scene.run_into_failure();
    contains_all(&failure.summary, &["Cannot reach the server", "Check the network connection", &url]);
    contains_all(
        &failure.details.technical,
        &["cannot reach the server", &format!("{url}/query/conversations")],
    );
    assert_eq!(failure.details.status, None);
}

#[test]
fn a_connection_reset_mid_body_says_the_answer_broke_off() {
    let mut scene = scene(no_retries);
    let body = good_body();
    scene.server.queue(QUERY, Reply::cut("application/json", body.as_bytes(), body.len() / 2, End::Reset));
    let failure = scene.run_into_failure();
    contains_all(&failure.summary, &["The connection broke while the answer was arriving", "Try again"]);
    contains_all(&failure.details.technical, &["the answer was cut off"]);
    assert_eq!(scene.server.seen_on(QUERY).len(), 2, "no retries were configured");
}

#[test]
fn an_answer_trickling_slower_than_the_timeout_ends_in_a_timeout() {
    let mut scene = scene(|config| config.request_timeout_secs = 1.0);
    // One byte every 200 ms: the whole answer would take about 30 s.
    scene.server.queue(QUERY, Reply::trickle(good_body().as_bytes(), 1, Duration::from_millis(200)));
    let failure = scene.run_into_failure();
    contains_all(&failure.summary, &["The server did not answer within 1 s", "narrow the query"]);
    contains_all(&failure.details.technical, &["timed out", "no complete answer within 1 s"]);
}

#[test]
fn a_500_is_retried_and_the_retry_answer_is_shown() {
    let mut scene = scene(with_retries);
    scene.server.queue(QUERY, Reply::problem(500, "internal_server_error", "the store hiccupped", &[]));
    scene.run_again();
    scene.assert_new_result_shown();
    assert_eq!(scene.server.seen_on(QUERY).len(), 3, "the good run, the 500, the retry");
}

#[test]
fn a_500_without_retries_is_said_plainly() {
    let mut scene = scene(no_retries);
    // Not problem+json: what a crashing backend behind a proxy sends.
    scene.server.queue(QUERY, Reply::full(500, "text/plain", &[], "upstream exploded"));
    let failure = scene.run_into_failure();
    contains_all(&failure.summary, &["The analytics service had a problem (HTTP 500)", "Try again"]);
    assert_eq!(failure.details.status, Some(500));
    assert_eq!(failure.details.detail.as_deref(), Some("upstream exploded"));
    assert!(shows(&scene.window, "HTTP 500"), "the status bar shows the status");
    assert_eq!(scene.server.seen_on(QUERY).len(), 2, "one attempt only");
}

#[test]
fn a_429_with_retry_after_is_waited_out_then_the_answer_is_shown() {
    let mut scene = scene(with_retries);
    scene.server.queue(QUERY, Reply::problem(429, "too_many_requests", "slow down", &[("retry-after", "1")]));
    scene.run_again();
    scene.assert_new_result_shown();
    let seen = scene.server.seen_on(QUERY);
    assert_eq!(seen.len(), 3, "the good run, the 429, the retry");
    // The client's own backoff is 20-50 ms; only honouring Retry-After explains a second.
    let waited = seen[2].at.duration_since(seen[1].at);
    assert!(waited >= Duration::from_millis(1000), "the retry came after {waited:?}, not after Retry-After");
}

#[test]
fn a_429_without_retries_says_rate_limited() {
    let mut scene = scene(no_retries);
    scene.server.queue(QUERY, Reply::problem(429, "too_many_requests", "slow down", &[("retry-after", "1")]));
    let failure = scene.run_into_failure();
    contains_all(&failure.summary, &["rate limiting", "Wait a minute and try again"]);
    assert_eq!(failure.details.status, Some(429));
}

#[test]
fn an_html_page_with_status_200_is_said_not_to_be_json() {
    let mut scene = scene(no_retries);
    // A captive portal or proxy page, echoing the Authorization header it saw.
    let page = "<!DOCTYPE html><html><head><title>Sign in</title></head><body><h1>Please sign in \
                to the guest network</h1><p>Authorization: Bearer fault-test-key</p></body></html>";
    scene.server.queue(QUERY, Reply::full(200, "text/html; charset=utf-8", &[], page));
    let failure = scene.run_into_failure();
    contains_all(
        &failure.summary,
        &["not in the expected format", "not JSON", "Please sign in", "Inkeep Analytics API"],
    );
    assert!(failure.summary.contains("***"), "the echoed key is masked: {}", failure.summary);
}

#[test]
fn a_json_body_shorter_than_its_content_length_says_the_answer_broke_off() {
    let mut scene = scene(no_retries);
    let body = good_body();
    scene.server.queue(QUERY, Reply::cut("application/json", body.as_bytes(), body.len() / 2, End::Close));
    let failure = scene.run_into_failure();
    contains_all(&failure.summary, &["The connection broke while the answer was arriving"]);
    contains_all(&failure.details.technical, &["the answer was cut off"]);
}

#[test]
fn a_complete_but_cut_json_document_says_it_ends_early() {
    let mut scene = scene(no_retries);
    let body = good_body();
    let cut = &body[..body.len() / 2];
    scene.server.queue(QUERY, Reply::full(200, "application/json", &[], cut));
    let failure = scene.run_into_failure();
    contains_all(
        &failure.summary,
        &[
            "not in the expected format",
            &format!("the JSON ends early (truncated after {} bytes)", cut.len()),
        ],
    );
}

#[test]
fn a_declared_2_gb_answer_is_refused_without_reading_it() {
    let mut scene = scene(no_retries);
    // Headers only, then silence: a client that tried to read the body would hang here until
    // its 120 s timeout, past the test's deadline.
    scene.server.queue(QUERY, Reply::declared_then_silent(2 * 1024 * 1024 * 1024, Duration::from_secs(300)));
    let failure = scene.run_into_failure();
    contains_all(&failure.summary, &["larger than the limit of 512 MiB", "Narrow the query"]);
    contains_all(&failure.details.technical, &["too large", "the server announced 2 GiB"]);
}

const RAW_ROWS: &str = r#"{"select":[{"type":"field","field":"id"},{"type":"field","field":"type"}],
    "orderBy":[{"field":"id","direction":"asc"}]}"#;
const EXPORT_ROWS: usize = 1000;

fn export_csv() -> String {
    let mut csv = String::from("id,type\n");
    for i in 0..EXPORT_ROWS {
        csv.push_str(&format!("conv-{i:05},{}\n", if i % 2 == 0 { "openai" } else { "support_ticket" }));
    }
    csv
}

#[test]
fn load_all_rows_cut_half_way_keeps_the_first_page_and_says_so() {
    let first_page =
        json!([{"id": "conv-00000", "type": "openai"}, {"id": "conv-00001", "type": "support_ticket"}]);
    let mut scene = scene_with(RAW_ROWS, Reply::envelope(first_page, EXPORT_ROWS as u64, 2), no_retries);
    assert_eq!((scene.first.row_count(), scene.first.meta.total), (2, EXPORT_ROWS as u64));
    assert!(shows(&scene.window, "Showing 2 of 1,000 rows"), "the banner offers all rows");
    let csv = export_csv();
    let half = csv.len() / 2;
    // Half-way through the 501st row's type.
    let mid_row = csv.find("conv-00500,").unwrap() + "conv-00500,op".len();
    let cuts = [
        ("Content-Length, then closed", Reply::cut("text/csv", csv.as_bytes(), half, End::Close)),
        ("Content-Length, then reset", Reply::cut("text/csv", csv.as_bytes(), half, End::Reset)),
        ("chunked, without the last chunk", Reply::chunked_cut("text/csv", csv.as_bytes(), half)),
        ("no length, closed mid-row", Reply::close_delimited_cut("text/csv", csv.as_bytes(), mid_row)),
    ];
    for (round, (how, reply)) in cuts.into_iter().enumerate() {
        scene.server.queue(EXPORT, reply);
        click(&mut scene.window, "Load all rows");
        step_until(&mut scene.window, "the end of the load", |s| s.active().load_all.loading_id().is_none());
        let LoadAllState::Failed { message, .. } = &app(&scene.window).active().load_all else {
            panic!("{how}: expected a failure, got {:?}", app(&scene.window).active().load_all)
        };
        contains_all(
            message,
            &["The connection broke while the answer was arriving", "The table still shows the first 2 rows"],
        );
        let window = &scene.window;
        // The table is still the first page: same rows, not marked complete.
        let shown = app(window).active().run.outcome().unwrap();
        assert_eq!(shown, &scene.first, "{how}: the first page is still shown");
        assert!(!shown.all_rows_loaded);
        assert_eq!(app(window).active().draft, scene.draft);
        // Said above the table and in the status bar; the banner offers another try.
        assert_eq!(window.query_all_by_label_contains("Loading all rows failed").count(), 2, "{how}");
        assert!(shows(window, "Showing 2 of 1,000 rows"), "{how}");
        assert_eq!(scene.server.seen_on(EXPORT).len(), round + 1, "{how}: one attempt, no retry after data");
        click(&mut scene.window, "Dismiss");
        assert_eq!(app(&scene.window).active().load_all, LoadAllState::Idle);
    }
}

/// Where the export CSV is cut so that exactly `rows` complete rows came: a row boundary.
fn row_boundary(csv: &str, rows: usize) -> usize {
    let at = csv.find(&format!("conv-{rows:05},")).unwrap();
    assert!(csv[..at].ends_with('\n'));
    at
}

/// The first page of the raw rows, as the query endpoint answers it: 2 of `total` rows.
fn raw_first_page(total: u64) -> Reply {
    let first_page =
        json!([{"id": "conv-00000", "type": "openai"}, {"id": "conv-00001", "type": "support_ticket"}]);
    Reply::envelope(first_page, total, 2)
}

#[test]
fn load_all_rows_cut_at_a_row_boundary_without_a_length_fails_and_keeps_the_first_page() {
    let mut scene = scene_with(RAW_ROWS, raw_first_page(EXPORT_ROWS as u64), no_retries);
    let csv = export_csv();
    // No Content-Length, no chunked encoding: the close after row 500 looks like the end.
    let cut = row_boundary(&csv, 500);
    scene.server.queue(EXPORT, Reply::close_delimited_cut("text/csv", csv.as_bytes(), cut));
    click(&mut scene.window, "Load all rows");
    step_until(&mut scene.window, "the end of the load", |s| s.active().load_all.loading_id().is_none());
    let LoadAllState::Failed { message, .. } = &app(&scene.window).active().load_all else {
        panic!("expected a failure, got {:?}", app(&scene.window).active().load_all)
    };
    contains_all(
        message,
        &["the export stopped after 500 of 1,000 rows", "The table still shows the first 2 rows"],
    );
    let window = &scene.window;
    let shown = app(window).active().run.outcome().unwrap();
    assert_eq!(shown, &scene.first, "the first page is still shown");
    assert!(!shown.all_rows_loaded);
    assert_eq!(window.query_all_by_label_contains("Loading all rows failed").count(), 2);
    assert!(shows(window, "Showing 2 of 1,000 rows"));
    // The window passed the run's total along: the query was not asked again.
    assert_eq!(scene.server.seen_on(QUERY).len(), 1);
    assert_eq!(scene.server.seen_on(EXPORT).len(), 1);

    // The same download, complete, is loaded: the failure was the missing rows.
    click(&mut scene.window, "Dismiss");
    scene.server.queue(EXPORT, Reply::full(200, "text/csv", &[], csv.clone()));
    click(&mut scene.window, "Load all rows");
    step_until(&mut scene.window, "the end of the second load", |s| {
        s.active().load_all.loading_id().is_none()
    });
    let shown = app(&scene.window).active().run.outcome().unwrap();
    assert!(shown.all_rows_loaded, "{:?}", app(&scene.window).active().load_all);
    assert_eq!(shown.row_count(), EXPORT_ROWS);
}

#[test]
fn load_all_rows_with_more_rows_than_counted_loads_them_and_warns() {
    let mut scene = scene_with(RAW_ROWS, raw_first_page(998), no_retries);
    scene.server.queue(EXPORT, Reply::full(200, "text/csv", &[], export_csv()));
    click(&mut scene.window, "Load all rows");
    step_until(&mut scene.window, "the end of the load", |s| s.active().load_all.loading_id().is_none());
    let shown = app(&scene.window).active().run.outcome().unwrap();
    assert!(shown.all_rows_loaded, "{:?}", app(&scene.window).active().load_all);
    assert_eq!(shown.row_count(), EXPORT_ROWS);
    assert!(
        shows_containing(&scene.window, "2 rows more than the 998 the query counted"),
        "the warning is shown"
    );
}

/// Types `text` into the export dialog's `Save to` field.
fn type_save_to(window: &mut Window, text: &str) {
    window.get_by_label("Save to").focus();
    window.run_ok();
    window.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    window.run_ok();
    window.get_by_label("Save to").type_text(text);
    window.run_ok();
}

#[test]
fn export_all_rows_cut_at_a_row_boundary_without_a_length_fails_and_writes_no_file() {
    let mut scene = scene_with(RAW_ROWS, raw_first_page(EXPORT_ROWS as u64), no_retries);
    let csv = export_csv();
    let cut = row_boundary(&csv, 500);
    let dir = tempfile::tempdir().unwrap();
    let existing = dir.path().join("existing.csv");
    std::fs::write(&existing, "yesterday's rows\n").unwrap();
    click(&mut scene.window, "Export all rows");
    for (round, name) in ["new.csv", "existing.csv"].into_iter().enumerate() {
        scene.server.queue(EXPORT, Reply::close_delimited_cut("text/csv", csv.as_bytes(), cut));
        type_save_to(&mut scene.window, dir.path().join(name).to_str().unwrap());
        click(&mut scene.window, "Export");
        step_until(&mut scene.window, "the end of the export", |s| {
            s.export.dialog.as_ref().is_some_and(|d| !matches!(d.status, ExportStatus::Running(_)))
        });
        let status = app(&scene.window).export.dialog.as_ref().unwrap().status.clone();
        let ExportStatus::Failed { message } = status else {
            panic!("{name}: expected a failure, got {status:?}")
        };
        // The window starts the sentence with a capital.
        contains_all(&message, &["he export stopped after 500 of 1,000 rows; nothing was written"]);
        assert!(shows_containing(&scene.window, "he export stopped after 500 of 1,000 rows"), "{name}");
        assert_eq!(listing(dir.path()), ["existing.csv"], "{name}: no file, partial or complete, is left");
        assert_eq!(std::fs::read_to_string(&existing).unwrap(), "yesterday's rows\n");
        assert_eq!(scene.server.seen_on(EXPORT).len(), round + 1);
    }
    // The run's total was passed along: the query endpoint was not asked again.
    assert_eq!(scene.server.seen_on(QUERY).len(), 1);
    assert_eq!(app(&scene.window).active().run.outcome(), Some(&scene.first), "the table is untouched");
}

// ---------------------------------------------------------------------------------------------
// The headless `inkeep-explorer run`: the same faults, seen by a script.
// ---------------------------------------------------------------------------------------------

const KEY: &str = "fault-test-key";

/// What a run of the command line left.
struct CliRun {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `inkeep-explorer run --query Q --server-url URL --format csv --out OUT [--all]` with
/// the key in the environment and no config of the machine; a run still going after the
/// deadline is killed and fails the test as a hang.
fn cli(url: &str, query: &str, out: &std::path::Path, all: bool) -> CliRun {
    let home = tempfile::tempdir().unwrap();
    let query_file = home.path().join("query.json");
    std::fs::write(&query_file, query).unwrap();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_inkeep-explorer"));
    command
        .arg("run")
        .arg("--query")
        .arg(&query_file)
        .args(["--server-url", url, "--format", "csv", "--out"])
        .arg(out)
        .env("INKEEPANALYTICS_API_INTEGRATION_KEY", KEY)
        .env_remove("INKEEPANALYTICS_SERVER_URL")
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("XDG_DATA_HOME", home.path().join("data"))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    if all {
        command.arg("--all");
    }
    let child = command.spawn().expect("the binary starts");
    let pid = child.id();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(child.wait_with_output());
    });
    let output = match receiver.recv_timeout(support::DEADLINE) {
        Ok(output) => output.unwrap(),
        Err(_) => {
            let _ = std::process::Command::new("kill").arg("-9").arg(pid.to_string()).status();
            panic!("hang: `inkeep-explorer run` did not end within {:?}", support::DEADLINE);
        }
    };
    CliRun {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The names in `dir`, sorted.
fn listing(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Runs the command line into the fault `server` is set up with, twice: to a new file (which
/// must not appear, nor anything beside it), then over an existing file (which must be left
/// as it was). Both runs fail with a non-zero status and `words` on stderr. Returns stderr.
fn cli_fails(server: &FaultServer, query: &str, all: bool, words: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("result.csv");
    let run = cli(server.url(), query, &out, all);
    assert_eq!(run.code, Some(1), "the run fails with status 1; stderr: {}", run.stderr);
    contains_all(&run.stderr, words);
    assert!(!run.stderr.contains(KEY) && !run.stdout.contains(KEY), "the key leaked: {}", run.stderr);
    assert!(run.stdout.is_empty(), "nothing on stdout: {}", run.stdout);
    assert_eq!(listing(dir.path()), Vec::<String>::new(), "no file, partial or complete, is left");

    let previous = "an earlier result,kept\n1,2\n";
    std::fs::write(&out, previous).unwrap();
    let again = cli(server.url(), query, &out, all);
    assert_eq!(again.code, Some(1), "stderr: {}", again.stderr);
    contains_all(&again.stderr, words);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), previous, "the existing file is untouched");
    assert_eq!(listing(dir.path()), ["result.csv"], "nothing else is left beside it");
    run.stderr
}

/// A fault server whose query endpoint answers `reply` every time (so retries meet it too).
fn always(reply: Reply) -> FaultServer {
    let server = FaultServer::start();
    server.set_default(QUERY, reply);
    server
}

#[test]
fn cli_a_refused_connection_fails_and_writes_nothing() {
    let mut server = always(Reply::envelope(count_rows(), 2, 1000));
    let url = server.url().to_string();
    server.close_port();
    let stderr = cli_fails(&server, COUNT_BY_TYPE, false, &["Cannot reach the server", &url]);
    // Retries are logged as warnings first; the last line is the error.
    assert!(stderr.trim_end().lines().any(|line| line.starts_with("error: the query failed")), "{stderr}");
}

#[test]
fn cli_a_reset_mid_body_fails_and_writes_nothing() {
    let body = good_body();
    let server = always(Reply::cut("application/json", body.as_bytes(), body.len() / 2, End::Reset));
    cli_fails(&server, COUNT_BY_TYPE, false, &["The connection broke while the answer was arriving"]);
    // The default client retries a broken answer three times.
    assert_eq!(server.seen_on(QUERY).len(), 2 * 4);
}

#[test]
fn cli_a_500_is_retried_and_then_written() {
    let server = FaultServer::start();
    server.set_default(QUERY, Reply::envelope(count_rows(), 2, 1000));
    server.queue(QUERY, Reply::problem(500, "internal_server_error", "the store hiccupped", &[]));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("result.csv");
    let run = cli(server.url(), COUNT_BY_TYPE, &out, false);
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    let csv = std::fs::read_to_string(&out).unwrap();
    let lines: std::collections::BTreeSet<&str> = csv.lines().collect();
    assert_eq!(lines, ["count,type", "3,support_ticket", "5,openai"].into());
    assert_eq!(server.seen_on(QUERY).len(), 2, "the 500, then the retry");
}

#[test]
fn cli_a_500_every_time_fails_with_the_status() {
    let server = always(Reply::full(500, "text/plain", &[], "upstream exploded"));
    cli_fails(&server, COUNT_BY_TYPE, false, &["The analytics service had a problem (HTTP 500)"]);
}

#[test]
fn cli_a_429_with_retry_after_is_waited_out_then_written() {
    let server = FaultServer::start();
    server.set_default(QUERY, Reply::envelope(count_rows(), 2, 1000));
    server.queue(QUERY, Reply::problem(429, "too_many_requests", "slow down", &[("retry-after", "1")]));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("result.csv");
    let run = cli(server.url(), COUNT_BY_TYPE, &out, false);
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    assert!(std::fs::read_to_string(&out).unwrap().contains("support_ticket"));
    let seen = server.seen_on(QUERY);
    assert_eq!(seen.len(), 2);
    let waited = seen[1].at.duration_since(seen[0].at);
    assert!(waited >= Duration::from_millis(1000), "the retry came after {waited:?}, not after Retry-After");
}

#[test]
fn cli_an_html_page_fails_as_not_json() {
    let page = "<html><body><h1>Please sign in to the guest network</h1>\
                <p>Authorization: Bearer fault-test-key</p></body></html>";
    let server = always(Reply::full(200, "text/html", &[], page));
    let stderr = cli_fails(&server, COUNT_BY_TYPE, false, &["not JSON", "Please sign in"]);
    assert!(stderr.contains("***"), "the echoed key is masked: {stderr}");
}

#[test]
fn cli_truncated_json_fails_both_ways() {
    let body = good_body();
    let short = always(Reply::cut("application/json", body.as_bytes(), body.len() / 2, End::Close));
    cli_fails(&short, COUNT_BY_TYPE, false, &["The connection broke while the answer was arriving"]);
    let cut = &body[..body.len() / 2];
    let complete_but_cut = always(Reply::full(200, "application/json", &[], cut));
    cli_fails(
        &complete_but_cut,
        COUNT_BY_TYPE,
        false,
        &["not in the expected format", "the JSON ends early"],
    );
}

#[test]
fn cli_a_declared_2_gb_answer_is_refused() {
    let server = always(Reply::declared_then_silent(2 * 1024 * 1024 * 1024, Duration::from_secs(300)));
    cli_fails(&server, COUNT_BY_TYPE, false, &["larger than the limit of 512 MiB"]);
}

#[test]
fn cli_all_rows_with_the_export_cut_half_way_leaves_no_file() {
    let first_page =
        json!([{"id": "conv-00000", "type": "openai"}, {"id": "conv-00001", "type": "support_ticket"}]);
    let csv = export_csv();
    let half = csv.len() / 2;
    let mid_row = csv.find("conv-00500,").unwrap() + "conv-00500,op".len();
    let cuts = [
        Reply::cut("text/csv", csv.as_bytes(), half, End::Close),
        Reply::cut("text/csv", csv.as_bytes(), half, End::Reset),
        Reply::chunked_cut("text/csv", csv.as_bytes(), half),
        Reply::close_delimited_cut("text/csv", csv.as_bytes(), mid_row),
    ];
    for cut in cuts {
        let server = FaultServer::start();
        server.set_default(QUERY, Reply::envelope(first_page.clone(), EXPORT_ROWS as u64, 2));
        server.set_default(EXPORT, cut);
        cli_fails(&server, RAW_ROWS, true, &["The connection broke while the answer was arriving"]);
    }
}

#[test]
fn cli_all_rows_cut_at_a_row_boundary_without_a_length_fails_and_leaves_no_file() {
    let csv = export_csv();
    let server = FaultServer::start();
    server.set_default(QUERY, raw_first_page(EXPORT_ROWS as u64));
    server
        .set_default(EXPORT, Reply::close_delimited_cut("text/csv", csv.as_bytes(), row_boundary(&csv, 500)));
    let stderr = cli_fails(
        &server,
        RAW_ROWS,
        true,
        &["error: the export stopped after 500 of 1,000 rows; nothing was written"],
    );
    assert!(!stderr.contains("wrote"), "{stderr}");
    // Each of the two runs counted first, then exported.
    let paths: Vec<String> = server.seen().into_iter().map(|seen| seen.path).collect();
    assert_eq!(paths, [QUERY, EXPORT, QUERY, EXPORT]);
}

#[test]
fn cli_all_rows_with_more_rows_than_counted_succeeds_with_a_warning() {
    let csv = export_csv();
    let server = FaultServer::start();
    server.set_default(QUERY, raw_first_page(998));
    server.set_default(EXPORT, Reply::full(200, "text/csv", &[], csv.clone()));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("result.csv");
    let run = cli(server.url(), RAW_ROWS, &out, true);
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    let warning =
        "2 rows more than the 998 the query counted: rows were added between the count and the export";
    assert!(run.stderr.contains(&format!("warning: {warning}")), "{}", run.stderr);
    assert!(run.stderr.contains("wrote 1,000 rows (every matching row)"), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), csv, "every row is kept");
    let sidecar: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("result.csv.query.json")).unwrap())
            .unwrap();
    assert_eq!(sidecar["warning"], json!(warning));
    assert_eq!((sidecar["rowsExported"].clone(), sidecar["total"].clone()), (json!(1000), json!(998)));
}
