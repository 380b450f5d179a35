//! `inkeep-explorer run`: the real binary, against the embedded demo API (`--demo`), a demo
//! server started here with a required key, a tiny axum server answering problems, and one
//! recording what each view's run sends (paths and bodies).
//!
//! One file because it is one concern, the command's behaviour end to end, and its sandbox
//! and servers are shared by every part; it runs one binary instead of several.
//!
//! Every run gets its own HOME and XDG_CONFIG_HOME, and none of the API variables of the
//! machine, so the tests never read or write the real config. Expected values come from the
//! dataset generator, not from the program under test.

// Helpers outside `#[test]` functions panic on purpose too: a panic is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli_support;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Output;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use calamine::{Data, Reader, Xlsx, open_workbook};
use cli_support::{Demo, KEY_ENV, SERVER_URL_ENV, Sandbox, end_date};
use inkeep_explorer::demo::dataset::{Conversation, DatasetParams, generate};
use inkeep_explorer::demo::server::{DemoServer, ServerConfig};
use inkeep_explorer::presets::builtin_presets;
use jiff::Timestamp;
use serde_json::{Value, json};

const ROWS: u64 = 400;
const SEED: u64 = 7;
const PAGE_SIZE: usize = 50;
const SECRET_KEY: &str = "sk-test-a1b2c3d4e5f6-never-print";

/// The dataset of every `--demo` run here: it ends today, so "last 30 days" finds rows.
fn params() -> DatasetParams {
    DatasetParams { rows: ROWS, seed: SEED, end_date: end_date() }
}

/// A sandbox whose `run --demo` uses this file's dataset.
fn sandbox() -> Sandbox {
    Sandbox::new(Demo { rows: ROWS, seed: SEED, page_size: PAGE_SIZE })
}

fn conversations() -> Vec<Conversation> {
    generate(&params()).collect()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn assert_success(output: &Output) {
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(output));
}

/// Header and records of a CSV text.
fn parse_csv(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let header = reader.headers().unwrap().iter().map(str::to_string).collect();
    let records = reader.records().map(|r| r.unwrap().iter().map(str::to_string).collect()).collect();
    (header, records)
}

/// Selected plain fields, sorted by time then id: a stable order to compare rows in.
fn fields_query() -> Value {
    json!({
        "select": [
            {"type": "field", "field": "id"},
            {"type": "field", "field": "userMessageCount"},
            {"type": "field", "field": "firstMessageTime"},
            {"type": "field", "field": "type"}
        ],
        "orderBy": [
            {"field": "firstMessageTime", "direction": "asc"},
            {"field": "id", "direction": "asc"}
        ]
    })
}

fn count_by_type_query() -> Value {
    json!({
        "select": [
            {"type": "aggregation", "aggregation": "count"},
            {"type": "aggregation", "aggregation": "avg", "field": "userMessageCount"}
        ],
        "groupBy": [{"field": "type"}],
        "orderBy": [{"field": "type", "direction": "asc"}]
    })
}

/// Count and summed user messages per type (`None` = no type).
fn expected_by_type() -> BTreeMap<Option<String>, (u64, i64)> {
    let mut out: BTreeMap<Option<String>, (u64, i64)> = BTreeMap::new();
    for conversation in conversations() {
        let entry = out.entry(conversation.conversation_type.map(str::to_string)).or_default();
        entry.0 += 1;
        entry.1 += conversation.user_message_count;
    }
    out
}

/// The conversations sorted as [`fields_query`] sorts them.
fn sorted_conversations() -> Vec<Conversation> {
    let mut all = conversations();
    all.sort_by(|a, b| a.first_message_time.cmp(&b.first_message_time).then_with(|| a.id.cmp(&b.id)));
    all
}

#[test]
fn csv_to_a_file_holds_the_first_page_with_a_sidecar_and_warns_about_the_rest() {
    let sandbox = sandbox();
    let query = sandbox.write_query("q.json", &fields_query());
    let out = sandbox.path("report.csv");
    let output = sandbox.run_demo(&["--query", query.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_success(&output);
    assert!(output.stdout.is_empty(), "nothing on stdout when --out is given");

    let (header, records) = parse_csv(&std::fs::read_to_string(&out).unwrap());
    assert_eq!(header, ["id", "userMessageCount", "firstMessageTime", "type"]);
    assert_eq!(records.len(), PAGE_SIZE);
    let expected = sorted_conversations();
    for (record, conversation) in records.iter().zip(&expected) {
        assert_eq!(record[0], conversation.id);
        assert_eq!(record[1], conversation.user_message_count.to_string());
        let at: Timestamp = record[2].parse().unwrap();
        assert_eq!(at, conversation.first_message_time);
        assert_eq!(record[3], conversation.conversation_type.unwrap_or(""));
    }

    // One summary line, saying how many rows are missing and what to do.
    let message = stderr(&output);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(
        message.contains(&format!("wrote {PAGE_SIZE} of {ROWS} matching rows"))
            && message.contains("--all")
            && message.contains("report.csv"),
        "{message}"
    );

    let sidecar: Value =
        serde_json::from_slice(&std::fs::read(sandbox.path("report.csv.query.json")).unwrap()).unwrap();
    assert_eq!(sidecar["rowsExported"], json!(PAGE_SIZE));
    assert_eq!(sidecar["total"], json!(ROWS));
    assert_eq!(sidecar["format"], json!("csv"));
    assert_eq!(sidecar["query"], fields_query());
    assert!(sidecar["requestId"].as_str().is_some_and(|id| id.starts_with("req_")), "{sidecar}");
}

#[test]
fn all_rows_come_through_the_export_endpoint_to_a_file_and_to_stdout() {
    let sandbox = sandbox();
    let query = sandbox.write_query("q.json", &fields_query());
    let out = sandbox.path("all.csv");
    let output = sandbox.run_demo(&[
        "--query",
        query.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--all",
        "--no-sidecar",
        "--bom",
    ]);
    assert_success(&output);
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.starts_with("\u{feff}".as_bytes()), "--bom starts the file with a byte order mark");
    let text = std::str::from_utf8(&bytes).unwrap().trim_start_matches('\u{feff}');
    let (header, records) = parse_csv(text);
    assert_eq!(header, ["id", "userMessageCount", "firstMessageTime", "type"]);
    assert_eq!(records.len() as u64, ROWS, "--all returns every row, beyond the page size of {PAGE_SIZE}");
    let ids: Vec<&str> = records.iter().map(|r| r[0].as_str()).collect();
    let expected: Vec<String> = sorted_conversations().into_iter().map(|c| c.id).collect();
    assert_eq!(ids, expected);
    assert!(!sandbox.path("all.csv.query.json").exists(), "--no-sidecar writes no sidecar");
    assert!(stderr(&output).contains(&format!("wrote {ROWS} rows")), "{}", stderr(&output));

    // The same rows as JSON on stdout.
    let output = sandbox.run_demo(&["--query", query.to_str().unwrap(), "--all", "--format", "json"]);
    assert_success(&output);
    let rows: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(rows.len() as u64, ROWS);
    let first = &sorted_conversations()[0];
    assert_eq!(rows[0]["id"], json!(first.id));
    assert_eq!(rows[0]["userMessageCount"], json!(first.user_message_count));
}

#[test]
fn csv_goes_to_stdout_without_out() {
    let sandbox = sandbox();
    let query = sandbox.write_query("q.json", &count_by_type_query());
    let output = sandbox.run_demo(&["--query", query.to_str().unwrap()]);
    assert_success(&output);
    let (header, records) = parse_csv(&stdout(&output));
    assert_eq!(header, ["count", "avg_userMessageCount", "type"]);
    let expected = expected_by_type();
    assert_eq!(records.len(), expected.len());
    let mut seen = 0;
    for record in &records {
        let key = (!record[2].is_empty()).then(|| record[2].clone());
        let (count, _) = expected[&key];
        assert_eq!(record[0], count.to_string(), "count of {key:?}");
        seen += count;
    }
    assert_eq!(seen, ROWS);
    // Nothing was written into the sandbox but the query.
    let names: BTreeSet<String> = std::fs::read_dir(sandbox.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, BTreeSet::from(["q.json".to_string()]));
}

#[test]
fn json_is_an_array_of_typed_objects() {
    let sandbox = sandbox();
    let query = sandbox.write_query("q.json", &count_by_type_query());
    let out = sandbox.path("by-type.json");
    let output = sandbox.run_demo(&["--query", query.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_success(&output);
    let rows: Vec<Value> = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let expected = expected_by_type();
    assert_eq!(rows.len(), expected.len());
    for row in &rows {
        let object = row.as_object().unwrap();
        assert_eq!(object.keys().collect::<Vec<_>>(), ["count", "avg_userMessageCount", "type"]);
        let key = match &row["type"] {
            Value::Null => None,
            Value::String(text) => Some(text.clone()),
            other => panic!("type should be a string or null, not {other}"),
        };
        let (count, messages) = expected[&key];
        assert_eq!(row["count"], json!(count), "a number, not text");
        let average = row["avg_userMessageCount"].as_f64().expect("the average is a number");
        assert!((average - messages as f64 / count as f64).abs() < 1e-9, "{average} for {key:?}");
    }
    assert!(sandbox.path("by-type.json.query.json").exists(), "JSON files get a sidecar by default");
}

#[test]
fn xlsx_against_a_server_with_a_key_has_numbers_and_a_query_sheet_without_the_key() {
    let sandbox = sandbox();
    let server = DemoServer::start_in_background(ServerConfig {
        api_key: Some(SECRET_KEY.to_string()),
        page_size: PAGE_SIZE,
        ..ServerConfig::local(params())
    })
    .unwrap();
    let query = sandbox.write_query("q.json", &count_by_type_query());
    let out = sandbox.path("by-type.xlsx");
    let output = sandbox
        .command()
        .env(KEY_ENV, SECRET_KEY)
        .env(SERVER_URL_ENV, server.url())
        .args(["run", "--query", query.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert_success(&output);
    assert!(!stderr(&output).contains(SECRET_KEY));
    assert!(!sandbox.path("by-type.xlsx.query.json").exists(), "XLSX carries its query in a sheet");

    let mut workbook: Xlsx<_> = open_workbook(&out).unwrap();
    assert_eq!(workbook.sheet_names(), ["Result", "Query"]);
    let result = workbook.worksheet_range("Result").unwrap();
    let rows: Vec<Vec<Data>> = result.rows().map(<[Data]>::to_vec).collect();
    assert_eq!(
        rows[0],
        [
            Data::String("count".into()),
            Data::String("avg_userMessageCount".into()),
            Data::String("type".into())
        ]
    );
    let expected = expected_by_type();
    assert_eq!(rows.len() - 1, expected.len());
    for row in &rows[1..] {
        let key = match &row[2] {
            Data::Empty => None,
            Data::String(text) => Some(text.clone()),
            other => panic!("unexpected type cell {other:?}"),
        };
        let (count, messages) = expected[&key];
        assert_eq!(row[0], Data::Float(count as f64), "counts are numbers");
        match row[1] {
            Data::Float(average) => assert!((average - messages as f64 / count as f64).abs() < 1e-9),
            ref other => panic!("the average should be a number, not {other:?}"),
        }
    }

    let query_sheet = workbook.worksheet_range("Query").unwrap();
    let mut labels = BTreeMap::new();
    for row in query_sheet.rows() {
        for cell in row {
            assert!(!cell.to_string().contains(SECRET_KEY), "the key must not be in the workbook");
        }
        if let (Some(Data::String(label)), Some(value)) = (row.first(), row.get(1)) {
            labels.insert(label.clone(), value.clone());
        }
    }
    assert_eq!(labels["Server"], Data::String(server.url()));
    assert_eq!(labels["Total rows"], Data::Float(expected.len() as f64));
}

/// The `gte` value of the first `firstMessageTime` condition in a query.
fn first_time_bound(query: &Value) -> Timestamp {
    fn walk(filter: &Value) -> Option<String> {
        if let Some(condition) = filter.get("condition") {
            if condition["field"] == "firstMessageTime" && condition["operator"] == "gte" {
                return condition["value"].as_str().map(str::to_string);
            }
            return None;
        }
        ["and", "or"]
            .iter()
            .filter_map(|key| filter.get(*key).and_then(Value::as_array))
            .flatten()
            .find_map(walk)
    }
    let text = walk(&query["where"]).expect("a firstMessageTime bound");
    text.parse::<Timestamp>().expect("resolved to RFC 3339")
}

#[test]
fn a_builtin_preset_runs_with_its_relative_time_resolved() {
    let sandbox = sandbox();
    let out = sandbox.path("daily.json");
    let started = Timestamp::now();
    // Any case works.
    let output = sandbox.run_demo(&[
        "--preset",
        "conversations per day by type (LAST 30 DAYS)",
        "--out",
        out.to_str().unwrap(),
        // More (day, type) groups than one page of 50 holds.
        "--all",
    ]);
    assert_success(&output);
    let finished = Timestamp::now();

    // The sidecar holds the query as sent: "last 30 days" became an instant 30 days before the run.
    let sidecar: Value =
        serde_json::from_slice(&std::fs::read(sandbox.path("daily.json.query.json")).unwrap()).unwrap();
    let bound = first_time_bound(&sidecar["query"]);
    assert!(
        bound >= started - jiff::SignedDuration::from_hours(30 * 24) - jiff::SignedDuration::from_secs(1)
            && bound <= finished - jiff::SignedDuration::from_hours(30 * 24),
        "bound {bound} not 30 days before the run ({started} … {finished})"
    );

    let mut expected: BTreeMap<(String, Option<String>), u64> = BTreeMap::new();
    for conversation in conversations().into_iter().filter(|c| c.first_message_time >= bound) {
        let day = conversation.first_message_time.strftime("%Y-%m-%d").to_string();
        *expected.entry((day, conversation.conversation_type.map(str::to_string))).or_default() += 1;
    }
    assert!(!expected.is_empty(), "the dataset ends today, so the last 30 days hold rows");
    let rows: Vec<Value> = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let mut actual: BTreeMap<(String, Option<String>), u64> = BTreeMap::new();
    for row in &rows {
        let day = row["firstMessageTime_day"].as_str().unwrap();
        let kind = row["type"].as_str().map(str::to_string);
        actual.insert((day.get(..10).unwrap().to_string(), kind), row["count"].as_u64().unwrap());
    }
    assert_eq!(actual, expected);
}

#[test]
fn a_user_preset_in_the_xdg_config_dir_is_found_by_name() {
    let sandbox = sandbox();
    let dir = sandbox.config_home().join("inkeep-explorer");
    std::fs::create_dir_all(&dir).unwrap();
    let presets = json!({
        "schemaVersion": 1,
        "presets": [{
            "id": "p1",
            "name": "Everything counted",
            "query": {"select": [{"type": "aggregation", "aggregation": "count"}]}
        }]
    });
    std::fs::write(dir.join("presets.json"), presets.to_string()).unwrap();
    let output = sandbox.run_demo(&["--preset", "  everything COUNTED "]);
    assert_success(&output);
    assert_eq!(stdout(&output), format!("count\r\n{ROWS}\r\n"));

    // An unknown name lists the user's preset too.
    let output = sandbox.run_demo(&["--preset", "Nope"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("\"Everything counted\""), "{}", stderr(&output));
}

#[test]
fn an_unknown_preset_exits_2_listing_the_names() {
    let sandbox = sandbox();
    let output = sandbox.run_demo(&["--preset", "Weekly unicorns"]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("Weekly unicorns"), "{message}");
    let builtins = builtin_presets();
    assert!(!builtins.is_empty());
    for preset in builtins {
        assert!(message.contains(&preset.name), "{} missing from: {message}", preset.name);
    }
    assert!(output.stdout.is_empty());
}

#[test]
fn an_invalid_query_file_exits_2_naming_the_path_and_writes_nothing() {
    let sandbox = sandbox();
    let out = sandbox.path("report.csv");
    std::fs::write(&out, "previous report\n").unwrap();

    // Not a query at all: the parse error names the file.
    let broken = sandbox.path("broken.json");
    std::fs::write(&broken, r#"{"select": [{"type": "field", "field": "nope"}]}"#).unwrap();
    let output = sandbox.run_demo(&["--query", broken.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains(broken.to_str().unwrap()), "{message}");
    assert!(message.contains("select[0].field"), "{message}");

    // A query the API would refuse: every problem with its path.
    let invalid = sandbox.write_query(
        "invalid.json",
        &json!({
            "select": [{"type": "field", "field": "id"}],
            "orderBy": [{"field": "count", "direction": "asc"}],
            "notes": "x".repeat(81)
        }),
    );
    let output = sandbox.run_demo(&["--query", invalid.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains(invalid.to_str().unwrap()), "{message}");
    assert!(message.contains("orderBy[0].field: "), "{message}");
    assert!(message.contains("notes: "), "{message}");

    // A relative time that does not parse.
    let bad_time = sandbox.write_query(
        "bad-time.json",
        &json!({
            "select": [{"type": "field", "field": "id"}],
            "where": {"condition": {"field": "firstMessageTime", "operator": "gte", "value": "last fortnight-ish"}}
        }),
    );
    let output = sandbox.run_demo(&["--query", bad_time.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("where.condition.value"), "{}", stderr(&output));

    assert_eq!(std::fs::read_to_string(&out).unwrap(), "previous report\n", "the old file is untouched");
    assert!(!sandbox.path("report.csv.query.json").exists());
}

#[test]
fn without_a_key_or_demo_the_run_says_how_to_get_one() {
    let sandbox = sandbox();
    let query = sandbox.write_query("q.json", &fields_query());
    let output = sandbox.command().args(["run", "--query", query.to_str().unwrap()]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains(KEY_ENV) && message.contains("--demo"), "{message}");
    assert!(output.stdout.is_empty());
}

#[test]
fn xlsx_needs_an_out_file() {
    let sandbox = sandbox();
    let query = sandbox.write_query("q.json", &fields_query());
    let output = sandbox.run_demo(&["--query", query.to_str().unwrap(), "--format", "xlsx"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--out"), "{}", stderr(&output));
}

// ---------------------------------------------------------------------------------------------
// A server that answers problems
// ---------------------------------------------------------------------------------------------

/// An axum server on 127.0.0.1 answering every request with `status` and a problem+json
/// document echoing part of the key; it records the Authorization headers it sees.
struct ProblemServer {
    url: String,
    authorizations: Arc<Mutex<Vec<String>>>,
    runtime: tokio::runtime::Runtime,
}

impl ProblemServer {
    fn start(status: u16, code: &'static str, title: &'static str) -> ProblemServer {
        ProblemServer::start_with(status, code, title, false)
    }

    /// With `counts`, the query endpoint answers (an empty page of `COUNTED` matching rows), so
    /// `--all` gets past its count and meets the problem on the export.
    fn start_with(status: u16, code: &'static str, title: &'static str, counts: bool) -> ProblemServer {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let authorizations = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&authorizations);
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let mut app = Router::new();
        if counts {
            app = app.route(
                "/query/conversations",
                axum::routing::post(|| async {
                    let body = json!({"status": "ok", "data": {"result": [], "total": COUNTED, "pageSize": 50, "count": 0}});
                    ([("content-type", "application/json")], body.to_string())
                }),
            );
        }
        let app = app.fallback(move |headers: HeaderMap| {
            let seen = Arc::clone(&seen);
            async move {
                let authorization =
                    headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
                seen.lock().unwrap().push(authorization.clone());
                let body = json!({
                    "title": title,
                    "status": status,
                    "detail": format!("the test server refuses this ({authorization})"),
                    "requestId": "req_test_4711",
                    "code": code,
                    "error": {"code": code, "message": "refused"}
                });
                let mut response = (StatusCode::from_u16(status).unwrap(), body.to_string()).into_response();
                response.headers_mut().insert("content-type", "application/problem+json".parse().unwrap());
                response
            }
        });
        runtime.spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        ProblemServer { url, authorizations, runtime }
    }
}

fn run_against(sandbox: &Sandbox, server: &ProblemServer, args: &[&str]) -> Output {
    let query = sandbox.write_query("q.json", &fields_query());
    sandbox
        .command()
        .env(KEY_ENV, SECRET_KEY)
        .args(["run", "--query", query.to_str().unwrap(), "--server-url", &server.url])
        .args(args)
        .output()
        .unwrap()
}

fn assert_problem_reported(output: &Output, status: u16, code: &str) {
    assert_eq!(output.status.code(), Some(1), "a failed run exits 1: {}", stderr(output));
    let message = stderr(output);
    assert!(message.contains(&format!("status: {status}")), "{message}");
    assert!(message.contains(&format!("code: {code}")), "{message}");
    assert!(message.contains("detail: the test server refuses this"), "{message}");
    assert!(message.contains("requestId: req_test_4711"), "{message}");
    assert!(!message.contains(SECRET_KEY), "the key must never be printed: {message}");
}

#[test]
fn a_401_problem_exits_1_with_its_details_and_leaves_no_file() {
    let sandbox = sandbox();
    let server = ProblemServer::start(401, "unauthorized", "Unauthorized");
    let out = sandbox.path("report.xlsx");
    let output = run_against(&sandbox, &server, &["--out", out.to_str().unwrap()]);
    assert_problem_reported(&output, 401, "unauthorized");
    assert!(stderr(&output).contains("title: Unauthorized"), "{}", stderr(&output));
    assert!(!out.exists(), "a failed run leaves no file");
    // Nor a temporary one beside it.
    let leftovers: Vec<_> = std::fs::read_dir(sandbox.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name != "q.json")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // The key did travel, as a bearer token, once (401 is not retried).
    assert_eq!(*server.authorizations.lock().unwrap(), [format!("Bearer {SECRET_KEY}")]);
    drop(server.runtime);
}

/// Rows the query endpoint of a [`ProblemServer::start_with`] counts.
const COUNTED: u64 = 12;

#[test]
fn a_500_problem_on_the_export_exits_1_and_keeps_the_old_file() {
    let sandbox = sandbox();
    let server = ProblemServer::start_with(500, "internal_server_error", "Internal Server Error", true);
    let out = sandbox.path("all.csv");
    std::fs::write(&out, "yesterday's rows\n").unwrap();
    let output = run_against(&sandbox, &server, &["--out", out.to_str().unwrap(), "--all"]);
    assert_problem_reported(&output, 500, "internal_server_error");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "yesterday's rows\n");
    assert!(!sandbox.path("all.csv.query.json").exists());
    let leftovers: Vec<_> = std::fs::read_dir(sandbox.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name != "q.json" && name != "all.csv")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // The count came first and got through; the problem is the export's.
    assert!(stderr(&output).contains("the export of all rows failed"), "{}", stderr(&output));
    // 5xx is retried (the client's policy), each attempt with the key.
    assert!(server.authorizations.lock().unwrap().len() > 1);
    drop(server.runtime);
}

// ---------------------------------------------------------------------------------------------
// Views: a server recording what each run sends
// ---------------------------------------------------------------------------------------------

/// One request a [`RecordingServer`] received.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    body: Value,
}

/// An axum server on 127.0.0.1 answering any view's query endpoint with two rows (`total` 2)
/// and its export endpoint with the same two rows as CSV; it records every request.
struct RecordingServer {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
    runtime: tokio::runtime::Runtime,
}

impl RecordingServer {
    fn start() -> RecordingServer {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&received);
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let app = Router::new().fallback(move |uri: axum::http::Uri, body: String| {
            let seen = Arc::clone(&seen);
            async move {
                let path = uri.path().to_string();
                let body = serde_json::from_str(&body).unwrap_or(Value::Null);
                seen.lock().unwrap().push(Received { path: path.clone(), body });
                if path.ends_with("/export") {
                    let csv = "id,count_id\r\nrow_1,5\r\nrow_2,3\r\n";
                    ([("content-type", "text/csv")], csv.to_string())
                } else {
                    let rows = json!([{"id": "row_1", "count_id": 5}, {"id": "row_2", "count_id": 3}]);
                    let body = json!({"status": "ok", "data": {"result": rows, "total": 2, "pageSize": 50, "count": 2}});
                    ([("content-type", "application/json")], body.to_string())
                }
            }
        });
        runtime.spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        RecordingServer { url, received, runtime }
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// `run` against this server with a key, `args` after it.
    fn run(&self, sandbox: &Sandbox, args: &[&str]) -> Output {
        sandbox
            .command()
            .env(KEY_ENV, SECRET_KEY)
            .args(["run", "--server-url", &self.url])
            .args(args)
            .output()
            .unwrap()
    }
}

fn feedback_body() -> Value {
    json!({
        "select": [{"type": "aggregation", "aggregation": "count", "field": "id"}],
        "groupBy": [{"field": "reasons", "path": ["label"]}],
        "where": {"condition": {"field": "type", "operator": "eq", "value": "negative"}},
        "orderBy": [{"field": "count_id", "direction": "desc"}]
    })
}

#[test]
fn a_query_file_naming_its_view_runs_on_that_views_endpoints_and_records_the_view() {
    let sandbox = sandbox();
    let server = RecordingServer::start();
    let file =
        sandbox.write_query("reasons.json", &json!({"view": "feedback_view", "body": feedback_body()}));
    let out = sandbox.path("reasons.csv");
    let output =
        server.run(&sandbox, &["--query", file.to_str().unwrap(), "--all", "--out", out.to_str().unwrap()]);
    assert_success(&output);
    let received = server.received();
    let paths: Vec<&str> = received.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, ["/query/feedback", "/query/feedback/export"], "the count, then every row");
    for request in &received {
        assert_eq!(request.body, feedback_body(), "the body is sent as written, without the wrapper");
    }
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "id,count_id\r\nrow_1,5\r\nrow_2,3\r\n");
    let sidecar: Value =
        serde_json::from_slice(&std::fs::read(sandbox.path("reasons.csv.query.json")).unwrap()).unwrap();
    assert_eq!(sidecar["view"], json!("feedback_view"));
    assert_eq!(sidecar["query"], feedback_body());
    drop(server.runtime);
}

#[test]
fn view_names_the_view_of_a_plain_body_and_must_agree_with_a_named_one() {
    let sandbox = sandbox();
    let server = RecordingServer::start();
    let searches = json!({
        "select": [{"type": "aggregation", "aggregation": "count", "field": "id"}],
        "groupBy": [{"field": "searchQuery"}],
        "where": {"condition": {"field": "searchQuery", "operator": "isNotNull"}}
    });
    let plain = sandbox.write_query("searches.json", &searches);
    let plain = plain.to_str().unwrap();

    // Without --view a plain body is a conversations query, and `searchQuery` is not a field there.
    let output = server.run(&sandbox, &["--query", plain]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("is not a field of the conversations view"), "{}", stderr(&output));
    assert!(server.received().is_empty(), "nothing is sent for an invalid query");

    // --view events (any accepted spelling) runs it on events.
    for name in ["events", "events_view"] {
        let output = server.run(&sandbox, &["--query", plain, "--view", name]);
        assert_success(&output);
        let (_, records) = parse_csv(&stdout(&output));
        assert_eq!(records.len(), 2, "the two rows answered: {}", stdout(&output));
    }
    let received = server.received();
    assert_eq!(received.len(), 2);
    assert!(received.iter().all(|r| r.path == "/query/events" && r.body == searches), "{received:?}");

    // A file naming feedback with --view events: exit 2, before anything is sent.
    let named = sandbox.write_query("named.json", &json!({"view": "feedback", "body": feedback_body()}));
    let output = server.run(&sandbox, &["--query", named.to_str().unwrap(), "--view", "events"]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("--view does not match"), "{message}");
    assert!(message.contains("`feedback_view`") && message.contains("`events_view`"), "{message}");
    // Agreeing is fine.
    assert_success(&server.run(&sandbox, &["--query", named.to_str().unwrap(), "--view", "feedback_view"]));
    assert_eq!(server.received().len(), 3);

    // An unknown view name lists the views.
    let output = server.run(&sandbox, &["--query", plain, "--view", "tickets"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("`tickets` is not a view"), "{}", stderr(&output));
    assert!(stderr(&output).contains("semantic_threads_view"), "{}", stderr(&output));
    assert_eq!(server.received().len(), 3);
    drop(server.runtime);
}

#[test]
fn a_preset_runs_on_its_view_with_its_relative_times_resolved() {
    let sandbox = sandbox();
    let server = RecordingServer::start();
    let out = sandbox.path("sentiment.xlsx");
    let started = Timestamp::now();
    let output =
        server.run(&sandbox, &["--preset", "Question sentiment per week", "--out", out.to_str().unwrap()]);
    assert_success(&output);
    let received = server.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].path, "/query/semantic-threads");
    let preset = builtin_presets().into_iter().find(|p| p.name == "Question sentiment per week").unwrap();
    let mut expected = serde_json::to_value(&preset.query).unwrap();
    // The relative start ("start of this week - 12 weeks") went out as an instant before now.
    let bound = first_time_bound(&received[0].body);
    assert!(bound < started - jiff::SignedDuration::from_hours(12 * 7 * 24), "{bound}");
    expected["where"]["condition"]["value"] = received[0].body["where"]["condition"]["value"].clone();
    assert_eq!(received[0].body, expected);

    let mut workbook: Xlsx<_> = open_workbook(&out).unwrap();
    let query_sheet = workbook.worksheet_range("Query").unwrap();
    let view = query_sheet
        .rows()
        .find(|row| row.first() == Some(&Data::String("View".into())))
        .map(|row| row[1].clone());
    assert_eq!(view, Some(Data::String("semantic_threads_view".into())));

    // --view agreeing with the preset is fine; another view is refused.
    let output = server.run(&sandbox, &["--preset", "Question sentiment per week", "--view", "feedback"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("preset \"Question sentiment per week\""), "{}", stderr(&output));
    assert_eq!(server.received().len(), 1);
    drop(server.runtime);
}

#[test]
fn a_wrapped_conversations_file_runs_like_a_plain_one_on_the_demo() {
    let sandbox = sandbox();
    let wrapped = sandbox
        .write_query("wrapped.json", &json!({"view": "conversations_view", "body": count_by_type_query()}));
    let plain = sandbox.write_query("plain.json", &count_by_type_query());
    let from_wrapped = sandbox.run_demo(&["--query", wrapped.to_str().unwrap()]);
    let from_plain = sandbox.run_demo(&["--query", plain.to_str().unwrap(), "--view", "conversations"]);
    assert_success(&from_wrapped);
    assert_success(&from_plain);
    assert_eq!(stdout(&from_wrapped), stdout(&from_plain));
    let (header, records) = parse_csv(&stdout(&from_wrapped));
    assert_eq!(header, ["count", "avg_userMessageCount", "type"]);
    assert_eq!(records.len(), expected_by_type().len());
}
