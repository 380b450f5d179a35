//! The embedded demo API over real HTTP on loopback.
//!
//! Every expected answer is computed here, independently of the server: the test
//! regenerates the same dataset with `dataset::generate` (same parameters as the server)
//! into plain `Conversation` structs and counts, sums, groups, filters and sorts them in
//! Rust, then compares with what the server answered.

// The helpers below are test code too; clippy's allow-unwrap-in-tests only covers `#[test]` fns.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use inkeep_explorer::demo::dataset::{self, Conversation, DatasetParams};
use inkeep_explorer::demo::server::{DemoServer, ServerConfig, ServerError};
use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::Offset;
use serde_json::{Map, Value, json};

// ---------------------------------------------------------------------------------------
// Fixtures: the servers, the independently generated data, an HTTP helper.

const ROWS: u64 = 4_000;
const SEED: u64 = 7;
const PAGE_SIZE: u64 = 1_000;
const KEYED_ROWS: u64 = 500;
const KEYED_PAGE_SIZE: u64 = 25;
const API_KEY: &str = "s3cret-demo-key";
const TOKEN: &str = "any-token-will-do";

fn end_date() -> Date {
    Date::constant(2025, 6, 30)
}

fn params() -> DatasetParams {
    DatasetParams { rows: ROWS, seed: SEED, end_date: end_date() }
}

fn keyed_params() -> DatasetParams {
    DatasetParams { rows: KEYED_ROWS, seed: SEED + 1, end_date: end_date() }
}

/// The main server: no API key, default page size.
fn server() -> &'static DemoServer {
    static SERVER: OnceLock<DemoServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        let config = ServerConfig { page_size: PAGE_SIZE as usize, ..ServerConfig::local(params()) };
        DemoServer::start_in_background(config).expect("demo server starts")
    })
}

/// A second server with an API key and a small page size.
fn keyed_server() -> &'static DemoServer {
    static SERVER: OnceLock<DemoServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        let config = ServerConfig {
            api_key: Some(API_KEY.to_string()),
            page_size: KEYED_PAGE_SIZE as usize,
            ..ServerConfig::local(keyed_params())
        };
        DemoServer::start_in_background(config).expect("keyed demo server starts")
    })
}

/// The same conversations the main server holds, generated here.
fn data() -> &'static [Conversation] {
    static DATA: OnceLock<Vec<Conversation>> = OnceLock::new();
    DATA.get_or_init(|| dataset::generate(&params()).collect())
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
    })
}

fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| reqwest::Client::builder().timeout(Duration::from_secs(120)).build().unwrap())
}

/// What came back: status, a few headers, the body.
#[derive(Debug)]
struct Answer {
    status: u16,
    content_type: String,
    request_id: Option<String>,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("answer is not JSON ({e}): {}", self.text()))
    }
}

fn send(method: reqwest::Method, url: &str, headers: &[(&str, &str)], body: Option<reqwest::Body>) -> Answer {
    runtime().block_on(async {
        let mut request = client().request(method, url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.body(body);
        }
        let response = request.send().await.unwrap_or_else(|e| panic!("request to {url} failed: {e}"));
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let content_type = headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let request_id = headers.get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_string);
        let body = response.bytes().await.unwrap_or_else(|e| panic!("reading {url} failed: {e}")).to_vec();
        Answer { status, content_type, request_id, headers, body }
    })
}

fn bearer() -> String {
    format!("Bearer {TOKEN}")
}

/// POSTs raw bytes as JSON with a bearer token.
fn post_bytes(server: &DemoServer, path: &str, body: Vec<u8>) -> Answer {
    let auth = bearer();
    send(
        reqwest::Method::POST,
        &format!("{}{path}", server.url()),
        &[("authorization", &auth), ("content-type", "application/json")],
        Some(body.into()),
    )
}

fn post(path: &str, body: &Value) -> Answer {
    post_bytes(server(), path, serde_json::to_vec(body).unwrap())
}

/// One `/query/conversations` answer, with the envelope's invariants checked.
#[derive(Debug)]
struct Page {
    rows: Vec<Map<String, Value>>,
    total: u64,
    page_size: u64,
    count: u64,
}

fn read_page(answer: &Answer, what: &Value) -> Page {
    assert_eq!(answer.status, 200, "query {what} failed: {}", answer.text());
    assert!(answer.content_type.starts_with("application/json"), "{}", answer.content_type);
    assert!(answer.request_id.as_deref().is_some_and(|id| id.starts_with("req_")));
    let root = answer.json();
    assert_eq!(root["status"], "ok");
    let data = &root["data"];
    let rows: Vec<Map<String, Value>> = data["result"]
        .as_array()
        .expect("data.result is an array")
        .iter()
        .map(|row| row.as_object().expect("each row is an object").clone())
        .collect();
    let page = Page {
        total: data["total"].as_u64().expect("total is an integer"),
        page_size: data["pageSize"].as_u64().expect("pageSize is an integer"),
        count: data["count"].as_u64().expect("count is an integer"),
        rows,
    };
    assert_eq!(page.count, page.rows.len() as u64, "count is the number of rows sent");
    assert_eq!(page.count, page.total.min(page.page_size), "a page is full unless the result is smaller");
    page
}

fn query(body: Value) -> Page {
    let answer = post("/query/conversations", &body);
    let page = read_page(&answer, &body);
    assert_eq!(page.page_size, PAGE_SIZE);
    page
}

/// The number of rows a filter matches, as the server counts them.
fn total_where(filter: &Value) -> u64 {
    query(json!({ "where": filter })).total
}

// ---------------------------------------------------------------------------------------
// Independent evaluation helpers.

/// The value at `path` inside a JSON document; `None` when missing or JSON null (like SQL NULL).
fn at<'a>(doc: Option<&'a Value>, path: &[&str]) -> Option<&'a Value> {
    let mut current = doc?;
    for key in path {
        current = current.as_object()?.get(*key)?;
    }
    (!current.is_null()).then_some(current)
}

fn prop<'a>(c: &'a Conversation, path: &[&str]) -> Option<&'a Value> {
    at(c.properties.as_ref(), path)
}

fn user_prop<'a>(c: &'a Conversation, path: &[&str]) -> Option<&'a Value> {
    at(c.user_properties.as_ref(), path)
}

/// A plain field as the API shows it (times handled separately).
fn plain(c: &Conversation, field: &str) -> Value {
    match field {
        "id" => json!(c.id),
        "userMessageCount" => json!(c.user_message_count),
        "organizationId" => json!(c.organization_id),
        "projectId" => json!(c.project_id),
        "integrationId" => json!(c.integration_id),
        "type" => json!(c.conversation_type),
        "properties" => c.properties.clone().unwrap_or(Value::Null),
        "userProperties" => c.user_properties.clone().unwrap_or(Value::Null),
        other => panic!("no plain field {other}"),
    }
}

fn instant(text: &str) -> Timestamp {
    text.parse().unwrap_or_else(|e| panic!("`{text}` is not RFC 3339: {e}"))
}

/// The calendar fields of an instant, in UTC.
fn civil(time: Timestamp) -> DateTime {
    Offset::UTC.to_datetime(time)
}

fn utc(civil: DateTime) -> Timestamp {
    Offset::UTC.to_timestamp(civil).unwrap()
}

fn time_value(value: &Value) -> Timestamp {
    instant(value.as_str().unwrap_or_else(|| panic!("time is not a string: {value}")))
}

fn millis_text(time: Timestamp) -> String {
    format!("{time:.3}")
}

fn day_start(time: Timestamp) -> Timestamp {
    utc(civil(time).date().to_datetime(Time::midnight()))
}

fn bucket(time: Timestamp, unit: &str) -> Timestamp {
    let fields = civil(time);
    match unit {
        "hour" => day_start(time) + jiff::SignedDuration::from_hours(i64::from(fields.hour())),
        "day" => day_start(time),
        "week" => {
            day_start(time)
                - jiff::SignedDuration::from_hours(24 * i64::from(fields.weekday().to_monday_zero_offset()))
        }
        "month" => utc(fields.date().first_of_month().to_datetime(Time::midnight())),
        other => panic!("no unit {other}"),
    }
}

fn bucket_text(time: Timestamp) -> String {
    time.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn count_where(predicate: impl Fn(&Conversation) -> bool) -> u64 {
    data().iter().filter(|c| predicate(c)).count() as u64
}

fn keys(row: &Map<String, Value>) -> Vec<&str> {
    row.keys().map(String::as_str).collect()
}

fn approx_eq(actual: &Value, expected: f64) {
    let actual = actual.as_f64().unwrap_or_else(|| panic!("{actual} is not a number"));
    assert!((actual - expected).abs() <= 1e-9 * expected.abs().max(1.0), "{actual} != {expected}");
}

// Shared by the filter, export and paging tests.

fn condition(field: &str, operator: &str, value: Option<Value>) -> Value {
    match value {
        Some(value) => json!({"condition": {"field": field, "operator": operator, "value": value}}),
        None => json!({"condition": {"field": field, "operator": operator}}),
    }
}

fn pair(path: &[&str], value: Value) -> Value {
    json!({"path": path, "value": value})
}

fn prop_str<'a>(c: &'a Conversation, key: &str) -> Option<&'a str> {
    prop(c, &[key]).and_then(Value::as_str)
}

fn prop_i64(c: &Conversation, key: &str) -> Option<i64> {
    prop(c, &[key]).and_then(Value::as_i64)
}

fn tags(c: &Conversation) -> Vec<&str> {
    prop(c, &["tags"])
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn has_key(doc: Option<&Value>, key: &str) -> bool {
    doc.and_then(Value::as_object).is_some_and(|o| o.contains_key(key))
}

fn export(body: &Value) -> (Vec<String>, Vec<csv::StringRecord>) {
    let answer = post("/query/conversations/export", body);
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert!(answer.content_type.starts_with("text/csv"), "{}", answer.content_type);
    assert!(answer.request_id.is_some());
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(answer.body.as_slice());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    (header, records)
}

mod buckets;
mod compare;
mod drill;
mod errors;
mod exports;
mod filters;
mod grouping;
mod lifecycle;
mod ordering;
mod own_client;
mod paging;
mod properties;
mod sanity;
mod selections;
mod serve;
mod views;
mod views_operators;
