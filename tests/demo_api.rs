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

// ---------------------------------------------------------------------------------------
// Sanity: the fixtures are what the tests assume.

#[test]
fn dataset_has_the_variety_the_tests_rely_on() {
    let rows = data();
    assert_eq!(rows.len() as u64, ROWS);
    assert!(rows.iter().any(|c| c.conversation_type.is_none()), "some null types");
    assert!(rows.iter().any(|c| c.integration_id.is_none()), "some null integrations");
    assert!(rows.iter().any(|c| c.properties.is_none()), "some null properties");
    assert!(rows.iter().any(|c| prop(c, &["browser", "name"]).is_some()), "nested objects");
    assert!(rows.iter().any(|c| prop(c, &["articles"]).is_some()), "arrays of objects");
}

// ---------------------------------------------------------------------------------------
// Selection shapes.

#[test]
fn raw_rows_carry_every_field_and_match_the_data() {
    let page = query(json!({}));
    assert_eq!(page.total, ROWS);
    assert_eq!(page.count, PAGE_SIZE);
    let by_id: HashMap<&str, &Conversation> = data().iter().map(|c| (c.id.as_str(), c)).collect();
    let mut seen = HashSet::new();
    for row in &page.rows {
        assert_eq!(
            keys(row),
            [
                "id",
                "userMessageCount",
                "organizationId",
                "projectId",
                "integrationId",
                "firstMessageTime",
                "type",
                "properties",
                "userProperties"
            ]
        );
        let id = row["id"].as_str().unwrap();
        assert!(seen.insert(id.to_string()), "ids are unique");
        let c = by_id.get(id).unwrap_or_else(|| panic!("unknown id {id}"));
        for field in [
            "userMessageCount",
            "organizationId",
            "projectId",
            "integrationId",
            "type",
            "properties",
            "userProperties",
        ] {
            assert_eq!(row[field], plain(c, field), "{field} of {id}");
        }
        assert_eq!(time_value(&row["firstMessageTime"]), c.first_message_time, "time of {id}");
    }
}

#[test]
fn field_selections_with_paths_in_id_order() {
    let page = query(json!({
        "select": [
            {"type": "field", "field": "id"},
            {"type": "field", "field": "type"},
            {"type": "field", "field": "userMessageCount"},
            {"type": "field", "field": "firstMessageTime"},
            {"type": "field", "field": "properties", "path": ["source"]},
            {"type": "field", "field": "properties", "path": ["browser", "name"]},
            {"type": "field", "field": "userProperties", "path": ["userId"]}
        ],
        "orderBy": [{"field": "id", "direction": "asc"}]
    }));
    assert_eq!(page.total, ROWS);
    let mut expected: Vec<&Conversation> = data().iter().collect();
    expected.sort_by(|a, b| a.id.cmp(&b.id));
    for (row, c) in page.rows.iter().zip(&expected) {
        assert_eq!(
            keys(row),
            [
                "id",
                "type",
                "userMessageCount",
                "firstMessageTime",
                "properties.source",
                "properties.browser.name",
                "userProperties.userId"
            ]
        );
        assert_eq!(row["id"], json!(c.id));
        assert_eq!(row["type"], plain(c, "type"));
        assert_eq!(row["userMessageCount"], plain(c, "userMessageCount"));
        assert_eq!(time_value(&row["firstMessageTime"]), c.first_message_time);
        assert_eq!(row["properties.source"], prop(c, &["source"]).cloned().unwrap_or(Value::Null));
        assert_eq!(
            row["properties.browser.name"],
            prop(c, &["browser", "name"]).cloned().unwrap_or(Value::Null)
        );
        assert_eq!(row["userProperties.userId"], user_prop(c, &["userId"]).cloned().unwrap_or(Value::Null));
    }
    assert!(
        page.rows.iter().any(|row| !row["properties.browser.name"].is_null()),
        "nested path found values"
    );
}

#[test]
fn json_mode_returns_one_stringified_column() {
    let page = query(json!({
        "select": [
            {"type": "field", "field": "id"},
            {"type": "field", "field": "properties", "mode": "json"}
        ],
        "orderBy": [{"field": "id", "direction": "desc"}]
    }));
    assert_eq!(page.total, ROWS);
    let mut expected: Vec<&Conversation> = data().iter().collect();
    expected.sort_by(|a, b| b.id.cmp(&a.id));
    for (row, c) in page.rows.iter().zip(&expected) {
        assert_eq!(keys(row), ["id", "properties"]);
        assert_eq!(row["id"], json!(c.id));
        match (&row["properties"], &c.properties) {
            (Value::Null, None) => {}
            (Value::String(text), Some(doc)) => {
                assert_eq!(&serde_json::from_str::<Value>(text).unwrap(), doc, "properties of {}", c.id)
            }
            (other, doc) => panic!("properties of {} came back as {other}, expected {doc:?}", c.id),
        }
    }
}

#[test]
fn unpack_mode_flattens_into_one_column_per_key() {
    let page = query(json!({
        "select": [{"type": "field", "field": "id"}, {"type": "field", "field": "userProperties"}],
        "where": {"condition": {"field": "type", "operator": "eq", "value": "support_copilot"}},
        "orderBy": [{"field": "id", "direction": "asc"}]
    }));
    let mut expected: Vec<&Conversation> =
        data().iter().filter(|c| c.conversation_type == Some("support_copilot")).collect();
    expected.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(page.total, expected.len() as u64);
    let mut columns_seen = BTreeSet::new();
    for (row, c) in page.rows.iter().zip(&expected) {
        assert_eq!(row["id"], json!(c.id));
        let doc = c.user_properties.as_ref().and_then(Value::as_object);
        for (column, value) in row.iter().filter(|(k, _)| k.as_str() != "id") {
            let key = column.strip_prefix("userProperties.").unwrap_or_else(|| panic!("column {column}"));
            columns_seen.insert(key.to_string());
            assert_eq!(value, doc.and_then(|d| d.get(key)).unwrap_or(&Value::Null), "{column} of {}", c.id);
        }
        for key in doc.into_iter().flat_map(|d| d.keys()) {
            assert!(row.contains_key(&format!("userProperties.{key}")), "{key} of {} unpacked", c.id);
        }
    }
    for key in ["id", "identificationType", "userType", "supportAgentName", "supportAgentEmail"] {
        assert!(columns_seen.contains(key), "userProperties.{key} is a column");
    }
}

#[test]
fn aggregations_without_grouping() {
    let page = query(json!({
        "select": [
            {"type": "aggregation", "aggregation": "count"},
            {"type": "aggregation", "aggregation": "countDistinct", "field": "userProperties", "path": ["userId"]},
            {"type": "aggregation", "aggregation": "countDistinct", "field": "type"},
            {"type": "aggregation", "aggregation": "count", "field": "integrationId"},
            {"type": "aggregation", "aggregation": "sum", "field": "userMessageCount"},
            {"type": "aggregation", "aggregation": "avg", "field": "userMessageCount"},
            {"type": "aggregation", "aggregation": "min", "field": "userMessageCount"},
            {"type": "aggregation", "aggregation": "max", "field": "userMessageCount"},
            {"type": "aggregation", "aggregation": "count", "field": "properties", "path": ["csat"]},
            {"type": "aggregation", "aggregation": "sum", "field": "properties", "path": ["csat"]},
            {"type": "aggregation", "aggregation": "avg", "field": "properties", "path": ["csat"]},
            {"type": "aggregation", "aggregation": "min", "field": "firstMessageTime"},
            {"type": "aggregation", "aggregation": "max", "field": "firstMessageTime"},
            {"type": "aggregation", "aggregation": "max", "field": "properties", "path": ["language"]}
        ]
    }));
    assert_eq!(page.total, 1);
    let row = &page.rows[0];
    assert_eq!(
        keys(row),
        [
            "count",
            "countDistinct_userProperties.userId",
            "countDistinct_type",
            "count_integrationId",
            "sum_userMessageCount",
            "avg_userMessageCount",
            "min_userMessageCount",
            "max_userMessageCount",
            "count_properties.csat",
            "sum_properties.csat",
            "avg_properties.csat",
            "min_firstMessageTime",
            "max_firstMessageTime",
            "max_properties.language"
        ]
    );
    let rows = data();
    let user_ids: HashSet<&str> = rows.iter().filter_map(|c| user_prop(c, &["userId"])?.as_str()).collect();
    let messages: Vec<i64> = rows.iter().map(|c| c.user_message_count).collect();
    let csat: Vec<i64> = rows.iter().filter_map(|c| prop(c, &["csat"])?.as_i64()).collect();
    let message_sum: i64 = messages.iter().sum();
    let csat_sum: i64 = csat.iter().sum();
    // Counts are integers, not floats.
    assert_eq!(row["count"].as_u64(), Some(ROWS));
    assert_eq!(row["countDistinct_userProperties.userId"].as_u64(), Some(user_ids.len() as u64));
    assert_eq!(row["countDistinct_type"].as_u64(), Some(3), "null is not a distinct value");
    assert_eq!(row["count_integrationId"].as_u64(), Some(count_where(|c| c.integration_id.is_some())));
    approx_eq(&row["sum_userMessageCount"], message_sum as f64);
    approx_eq(&row["avg_userMessageCount"], message_sum as f64 / messages.len() as f64);
    assert_eq!(row["min_userMessageCount"].as_i64(), messages.iter().min().copied());
    assert_eq!(row["max_userMessageCount"].as_i64(), messages.iter().max().copied());
    assert_eq!(row["count_properties.csat"].as_u64(), Some(csat.len() as u64));
    approx_eq(&row["sum_properties.csat"], csat_sum as f64);
    approx_eq(&row["avg_properties.csat"], csat_sum as f64 / csat.len() as f64);
    assert!(row["avg_properties.csat"].is_f64(), "avg is a float");
    let times: Vec<Timestamp> = rows.iter().map(|c| c.first_message_time).collect();
    assert_eq!(time_value(&row["min_firstMessageTime"]), *times.iter().min().unwrap());
    assert_eq!(time_value(&row["max_firstMessageTime"]), *times.iter().max().unwrap());
    let max_language = rows.iter().filter_map(|c| prop(c, &["language"])?.as_str()).max().unwrap();
    assert_eq!(row["max_properties.language"], json!(max_language));
}

// ---------------------------------------------------------------------------------------
// Grouping.

#[test]
fn group_by_type_keeps_null_as_one_group() {
    let page = query(json!({
        "select": [
            {"type": "aggregation", "aggregation": "count"},
            {"type": "aggregation", "aggregation": "sum", "field": "userMessageCount"}
        ],
        "groupBy": [{"field": "type"}]
    }));
    let mut expected: BTreeMap<Option<&str>, (u64, i64)> = BTreeMap::new();
    for c in data() {
        let entry = expected.entry(c.conversation_type).or_default();
        entry.0 += 1;
        entry.1 += c.user_message_count;
    }
    assert_eq!(page.total, expected.len() as u64);
    assert_eq!(expected.len(), 4, "three types and null");
    let mut actual = BTreeMap::new();
    for row in &page.rows {
        assert_eq!(keys(row), ["count", "sum_userMessageCount", "type"], "group key comes after selections");
        let kind = row["type"].as_str();
        let sum = row["sum_userMessageCount"].as_f64().unwrap() as i64;
        assert!(actual.insert(kind.map(str::to_string), (row["count"].as_u64().unwrap(), sum)).is_none());
    }
    let expected: BTreeMap<Option<String>, (u64, i64)> =
        expected.into_iter().map(|(k, v)| (k.map(str::to_string), v)).collect();
    assert_eq!(actual, expected);
}

#[test]
fn group_by_without_include_in_select_hides_the_key() {
    let page = query(json!({
        "select": [{"type": "aggregation", "aggregation": "count", "field": "id"}],
        "groupBy": [{"field": "organizationId", "includeInSelect": false}, {"field": "type", "includeInSelect": false}],
        "orderBy": [{"field": "count_id", "direction": "asc"}]
    }));
    let mut groups: HashMap<(&str, Option<&str>), u64> = HashMap::new();
    for c in data() {
        *groups.entry((c.organization_id.as_str(), c.conversation_type)).or_default() += 1;
    }
    let mut expected: Vec<u64> = groups.into_values().collect();
    expected.sort_unstable();
    assert_eq!(page.total, expected.len() as u64);
    let actual: Vec<u64> = page
        .rows
        .iter()
        .map(|row| {
            assert_eq!(keys(row), ["count_id"]);
            row["count_id"].as_u64().unwrap()
        })
        .collect();
    assert_eq!(actual, expected);
}

#[test]
fn group_by_json_paths_with_null_keys() {
    let page = query(json!({
        "select": [
            {"type": "aggregation", "aggregation": "count"},
            {"type": "aggregation", "aggregation": "countDistinct", "field": "userProperties", "path": ["userId"]}
        ],
        "groupBy": [
            {"field": "properties", "path": ["source"]},
            {"field": "userProperties", "path": ["userType"], "includeInSelect": true}
        ]
    }));
    // (source, userType) → (rows, distinct user ids)
    type Groups = BTreeMap<(Option<String>, Option<String>), (u64, HashSet<String>)>;
    let mut expected: Groups = BTreeMap::new();
    for c in data() {
        let source = prop(c, &["source"]).and_then(Value::as_str).map(str::to_string);
        let user_type = user_prop(c, &["userType"]).and_then(Value::as_str).map(str::to_string);
        let entry = expected.entry((source, user_type)).or_default();
        entry.0 += 1;
        if let Some(id) = user_prop(c, &["userId"]).and_then(Value::as_str) {
            entry.1.insert(id.to_string());
        }
    }
    assert!(expected.keys().any(|(source, _)| source.is_none()), "a null source group exists");
    assert_eq!(page.total, expected.len() as u64);
    for row in &page.rows {
        assert_eq!(
            keys(row),
            ["count", "countDistinct_userProperties.userId", "properties.source", "userProperties.userType"]
        );
        let key = (
            row["properties.source"].as_str().map(str::to_string),
            row["userProperties.userType"].as_str().map(str::to_string),
        );
        let (count, users) =
            expected.remove(&key).unwrap_or_else(|| panic!("unexpected or repeated group {key:?}"));
        assert_eq!(row["count"].as_u64(), Some(count), "{key:?}");
        assert_eq!(row["countDistinct_userProperties.userId"].as_u64(), Some(users.len() as u64), "{key:?}");
    }
    assert!(expected.is_empty(), "missing groups: {:?}", expected.keys().collect::<Vec<_>>());
}

// ---------------------------------------------------------------------------------------
// Ordering.

#[test]
fn multi_key_order_with_nulls_last_ascending() {
    // Narrowed so that the whole result fits in one page, null integrations included.
    let filter = json!({"condition": {"field": "userMessageCount", "operator": "gte", "value": 6}});
    let page = query(json!({
        "select": [
            {"type": "field", "field": "integrationId"},
            {"type": "field", "field": "userMessageCount"},
            {"type": "field", "field": "id"}
        ],
        "where": filter,
        "orderBy": [
            {"field": "integrationId", "direction": "asc"},
            {"field": "userMessageCount", "direction": "desc"},
            {"field": "id", "direction": "asc"}
        ]
    }));
    let mut expected: Vec<&Conversation> = data().iter().filter(|c| c.user_message_count >= 6).collect();
    // Ascending with nulls last: `None` sorts after every `Some`.
    expected.sort_by(|a, b| {
        let key = |c: &Conversation| (c.integration_id.is_none(), c.integration_id.clone());
        key(a).cmp(&key(b)).then(b.user_message_count.cmp(&a.user_message_count)).then(a.id.cmp(&b.id))
    });
    assert!(expected.iter().any(|c| c.integration_id.is_none()), "the test needs null keys");
    assert_eq!(page.total, expected.len() as u64);
    assert!(page.total < PAGE_SIZE);
    let actual: Vec<&str> = page.rows.iter().map(|row| row["id"].as_str().unwrap()).collect();
    let wanted: Vec<&str> = expected.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(actual, wanted);
    assert!(page.rows.last().unwrap()["integrationId"].is_null(), "nulls last");
}

#[test]
fn descending_order_puts_nulls_first() {
    let page = query(json!({
        "select": [{"type": "field", "field": "integrationId"}, {"type": "field", "field": "id"}],
        "where": {"condition": {"field": "userMessageCount", "operator": "gte", "value": 6}},
        "orderBy": [{"field": "integrationId", "direction": "desc"}, {"field": "id", "direction": "desc"}]
    }));
    let mut expected: Vec<&Conversation> = data().iter().filter(|c| c.user_message_count >= 6).collect();
    // PostgreSQL: DESC is NULLS FIRST.
    expected.sort_by(|a, b| match (&a.integration_id, &b.integration_id) {
        (None, None) => b.id.cmp(&a.id),
        (None, Some(_)) => std::cmp::Ordering::Less,
        (Some(_), None) => std::cmp::Ordering::Greater,
        (Some(x), Some(y)) => y.cmp(x).then(b.id.cmp(&a.id)),
    });
    let actual: Vec<&str> = page.rows.iter().map(|row| row["id"].as_str().unwrap()).collect();
    let wanted: Vec<&str> = expected.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(actual, wanted);
    assert!(page.rows[0]["integrationId"].is_null());
}

#[test]
fn order_by_aggregate_and_group_key() {
    // `count` and `properties.language` are outside the published orderBy set: the sortable
    // twin of a row count is the count of `id` (never null), and a plain field as the key.
    let page = query(json!({
        "select": [{"type": "aggregation", "aggregation": "count", "field": "id"}],
        "groupBy": [{"field": "userMessageCount"}],
        "orderBy": [
            {"field": "count_id", "direction": "desc"},
            {"field": "userMessageCount", "direction": "asc"}
        ]
    }));
    let mut counts: HashMap<i64, u64> = HashMap::new();
    for c in data() {
        *counts.entry(c.user_message_count).or_default() += 1;
    }
    let mut expected: Vec<(i64, u64)> = counts.into_iter().collect();
    expected.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    assert!(expected.windows(2).any(|pair| pair[0].1 == pair[1].1), "the test needs ties on the count");
    let actual: Vec<(i64, u64)> = page
        .rows
        .iter()
        .map(|row| (row["userMessageCount"].as_i64().unwrap(), row["count_id"].as_u64().unwrap()))
        .collect();
    assert_eq!(actual, expected);
}

// ---------------------------------------------------------------------------------------
// Time buckets.

fn check_buckets(unit: &str) -> Vec<Timestamp> {
    let column = format!("firstMessageTime_{unit}");
    let page = query(json!({
        "select": [{"type": "time", "timeUnit": unit}, {"type": "aggregation", "aggregation": "count"}],
        "orderBy": [{"field": column, "direction": "asc"}]
    }));
    let mut expected: BTreeMap<Timestamp, u64> = BTreeMap::new();
    for c in data() {
        *expected.entry(bucket(c.first_message_time, unit)).or_default() += 1;
    }
    assert_eq!(page.total, expected.len() as u64, "{unit} buckets");
    let mut starts = Vec::new();
    for (row, (start, count)) in page.rows.iter().zip(&expected) {
        assert_eq!(keys(row), [column.as_str(), "count"]);
        let text = row[&column].as_str().unwrap();
        assert_eq!(text, bucket_text(*start), "{unit} bucket value is RFC 3339 at the bucket start");
        assert_eq!(row["count"].as_u64(), Some(*count), "{unit} bucket {text}");
        starts.push(instant(text));
    }
    starts
}

#[test]
fn day_buckets_match() {
    let starts = check_buckets("day");
    assert_eq!(starts.len(), 180, "180 days of data");
    assert!(starts.iter().all(|s| civil(*s).time() == Time::midnight()));
    assert_eq!(civil(*starts.last().unwrap()).date(), end_date());
}

#[test]
fn week_buckets_start_on_monday() {
    let starts = check_buckets("week");
    for start in &starts {
        assert_eq!(civil(*start).weekday(), Weekday::Monday, "{start}");
        assert_eq!(civil(*start).time(), Time::midnight());
    }
    // The data starts on Thursday 2025-01-02: its week began on Monday 2024-12-30.
    assert_eq!(bucket_text(starts[0]), "2024-12-30T00:00:00Z");
}

#[test]
fn month_buckets_start_on_the_first() {
    let starts = check_buckets("month");
    for start in &starts {
        assert_eq!(civil(*start).day(), 1, "{start}");
        assert_eq!(civil(*start).time(), Time::midnight());
    }
    let texts: Vec<String> = starts.iter().map(|s| bucket_text(*s)).collect();
    assert_eq!(
        texts,
        [
            "2025-01-01T00:00:00Z",
            "2025-02-01T00:00:00Z",
            "2025-03-01T00:00:00Z",
            "2025-04-01T00:00:00Z",
            "2025-05-01T00:00:00Z",
            "2025-06-01T00:00:00Z"
        ]
    );
}

#[test]
fn hour_buckets_by_type() {
    let page = query(json!({
        "select": [{"type": "time", "timeUnit": "hour", "field": "firstMessageTime"}, {"type": "aggregation", "aggregation": "count"}],
        "groupBy": [{"field": "type"}],
        "where": {"condition": {"field": "firstMessageTime", "operator": "gte", "value": "2025-06-23"}}
    }));
    let since = instant("2025-06-23T00:00:00Z");
    let mut expected: HashMap<(String, Option<&str>), u64> = HashMap::new();
    for c in data().iter().filter(|c| c.first_message_time >= since) {
        *expected
            .entry((bucket_text(bucket(c.first_message_time, "hour")), c.conversation_type))
            .or_default() += 1;
    }
    assert_eq!(page.total, expected.len() as u64);
    for row in &page.rows {
        let key = (row["firstMessageTime_hour"].as_str().unwrap().to_string(), row["type"].as_str());
        assert_eq!(row["count"].as_u64(), expected.get(&key).copied(), "{key:?}");
    }
}

// ---------------------------------------------------------------------------------------
// Filters: all 17 operators, on plain fields and on JSON fields.

type Predicate = Box<dyn Fn(&Conversation) -> bool>;

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

fn filter_cases() -> Vec<(String, Value, Predicate)> {
    let rows = data();
    let exact_time = rows[1234].first_message_time;
    let other_time = rows[2345].first_message_time;
    let some_id = rows[777].id.clone();
    let some_id_for_eq = some_id.clone();
    let june = instant("2025-06-01T00:00:00Z");
    let mid_jan = instant("2025-01-15T12:30:00Z");
    let march_first = instant("2025-03-01T00:00:00Z");
    let cases: Vec<(&str, Value, Predicate)> = vec![
        // Plain fields.
        (
            "eq type",
            condition("type", "eq", Some(json!("openai"))),
            Box::new(|c| c.conversation_type == Some("openai")),
        ),
        (
            "eq number",
            condition("userMessageCount", "eq", Some(json!(3))),
            Box::new(|c| c.user_message_count == 3),
        ),
        ("eq id", condition("id", "eq", Some(json!(some_id))), Box::new(move |c| c.id == some_id_for_eq)),
        (
            "eq time",
            condition("firstMessageTime", "eq", Some(json!(millis_text(exact_time)))),
            Box::new(move |c| c.first_message_time == exact_time),
        ),
        (
            "neq type never matches null",
            condition("type", "neq", Some(json!("openai"))),
            Box::new(|c| c.conversation_type.is_some_and(|t| t != "openai")),
        ),
        (
            "neq integration never matches null",
            condition("integrationId", "neq", Some(json!("int_northwind_widget"))),
            Box::new(|c| c.integration_id.as_deref().is_some_and(|i| i != "int_northwind_widget")),
        ),
        (
            "gt number",
            condition("userMessageCount", "gt", Some(json!(5))),
            Box::new(|c| c.user_message_count > 5),
        ),
        (
            "gte number",
            condition("userMessageCount", "gte", Some(json!(5))),
            Box::new(|c| c.user_message_count >= 5),
        ),
        (
            "lt number",
            condition("userMessageCount", "lt", Some(json!(3))),
            Box::new(|c| c.user_message_count < 3),
        ),
        (
            "lte number",
            condition("userMessageCount", "lte", Some(json!(3))),
            Box::new(|c| c.user_message_count <= 3),
        ),
        (
            "gte date",
            condition("firstMessageTime", "gte", Some(json!("2025-06-01"))),
            Box::new(move |c| c.first_message_time >= june),
        ),
        (
            "lt time",
            condition("firstMessageTime", "lt", Some(json!("2025-01-15T12:30:00Z"))),
            Box::new(move |c| c.first_message_time < mid_jan),
        ),
        (
            "gt time with offset",
            condition("firstMessageTime", "gt", Some(json!("2025-03-01T02:00:00+02:00"))),
            Box::new(move |c| c.first_message_time > march_first),
        ),
        (
            "lte exact time",
            condition("firstMessageTime", "lte", Some(json!(millis_text(exact_time)))),
            Box::new(move |c| c.first_message_time <= exact_time),
        ),
        ("lt text", condition("id", "lt", Some(json!("conv_8"))), Box::new(|c| c.id.as_str() < "conv_8")),
        (
            "in types",
            condition("type", "in", Some(json!(["openai", "support_ticket"]))),
            Box::new(|c| matches!(c.conversation_type, Some("openai" | "support_ticket"))),
        ),
        (
            "in numbers",
            condition("userMessageCount", "in", Some(json!([1, 2, 40]))),
            Box::new(|c| matches!(c.user_message_count, 1 | 2 | 40)),
        ),
        (
            "in times",
            condition(
                "firstMessageTime",
                "in",
                Some(json!([millis_text(exact_time), millis_text(other_time)])),
            ),
            Box::new(move |c| c.first_message_time == exact_time || c.first_message_time == other_time),
        ),
        (
            "notIn never matches null",
            condition("type", "notIn", Some(json!(["openai"]))),
            Box::new(|c| c.conversation_type.is_some_and(|t| t != "openai")),
        ),
        (
            "notIn integrations",
            condition("integrationId", "notIn", Some(json!(["int_northwind_zendesk", "int_lumenlabs_api"]))),
            Box::new(|c| {
                c.integration_id
                    .as_deref()
                    .is_some_and(|i| i != "int_northwind_zendesk" && i != "int_lumenlabs_api")
            }),
        ),
        (
            "isNull plain",
            condition("integrationId", "isNull", None),
            Box::new(|c| c.integration_id.is_none()),
        ),
        ("isNull type", condition("type", "isNull", None), Box::new(|c| c.conversation_type.is_none())),
        (
            "isNotNull plain",
            condition("type", "isNotNull", None),
            Box::new(|c| c.conversation_type.is_some()),
        ),
        // JSON fields, compared at a path.
        (
            "eq path",
            condition("properties", "eq", Some(pair(&["source"], json!("slack")))),
            Box::new(|c| prop_str(c, "source") == Some("slack")),
        ),
        (
            "eq nested path",
            condition("properties", "eq", Some(pair(&["browser", "name"], json!("Chrome")))),
            Box::new(|c| prop(c, &["browser", "name"]).and_then(Value::as_str) == Some("Chrome")),
        ),
        (
            "eq boolean path",
            condition("properties", "eq", Some(pair(&["resolved"], json!(true)))),
            Box::new(|c| prop(c, &["resolved"]) == Some(&json!(true))),
        ),
        (
            "eq null path: missing key or null field",
            condition("properties", "eq", Some(pair(&["csat"], Value::Null))),
            Box::new(|c| prop(c, &["csat"]).is_none()),
        ),
        (
            "neq path never matches a missing key",
            condition("properties", "neq", Some(pair(&["source"], json!("widget")))),
            Box::new(|c| prop_str(c, "source").is_some_and(|s| s != "widget")),
        ),
        (
            "neq boolean path",
            condition("properties", "neq", Some(pair(&["resolved"], json!(true)))),
            Box::new(|c| prop(c, &["resolved"]) == Some(&json!(false))),
        ),
        (
            "gt path",
            condition("properties", "gt", Some(pair(&["csat"], json!(3)))),
            Box::new(|c| prop_i64(c, "csat").is_some_and(|v| v > 3)),
        ),
        (
            "gte path",
            condition("properties", "gte", Some(pair(&["csat"], json!(4)))),
            Box::new(|c| prop_i64(c, "csat").is_some_and(|v| v >= 4)),
        ),
        (
            "lt path",
            condition("properties", "lt", Some(pair(&["csat"], json!(2)))),
            Box::new(|c| prop_i64(c, "csat").is_some_and(|v| v < 2)),
        ),
        (
            "lte nested path",
            condition("properties", "lte", Some(pair(&["browser", "version"], json!(120)))),
            Box::new(|c| prop(c, &["browser", "version"]).and_then(Value::as_i64).is_some_and(|v| v <= 120)),
        ),
        (
            "in path",
            condition("properties", "in", Some(pair(&["language"], json!(["de", "fr"])))),
            Box::new(|c| matches!(prop_str(c, "language"), Some("de" | "fr"))),
        ),
        (
            "notIn path never matches a missing key",
            condition("userProperties", "notIn", Some(pair(&["userType"], json!(["customer"])))),
            Box::new(|c| {
                user_prop(c, &["userType"]).and_then(Value::as_str).is_some_and(|t| t != "customer")
            }),
        ),
        ("isNull JSON field", condition("properties", "isNull", None), Box::new(|c| c.properties.is_none())),
        (
            "isNotNull JSON field",
            condition("userProperties", "isNotNull", None),
            Box::new(|c| c.user_properties.is_some()),
        ),
        // The JSON operators.
        (
            "arrayContains at a path",
            condition("properties", "arrayContains", Some(pair(&["tags"], json!("auth")))),
            Box::new(|c| tags(c).contains(&"auth")),
        ),
        (
            "arrayContains on an object field matches nothing",
            condition("properties", "arrayContains", Some(json!("auth"))),
            Box::new(|_| false),
        ),
        (
            "jsonContains object",
            condition("properties", "jsonContains", Some(json!({"source": "slack", "tags": ["auth"]}))),
            Box::new(|c| prop_str(c, "source") == Some("slack") && tags(c).contains(&"auth")),
        ),
        (
            "jsonContains nested object",
            condition("properties", "jsonContains", Some(json!({"browser": {"name": "Safari"}}))),
            Box::new(|c| prop(c, &["browser", "name"]).and_then(Value::as_str) == Some("Safari")),
        ),
        (
            "jsonContains at a path",
            condition("properties", "jsonContains", Some(pair(&["tags"], json!(["api", "billing"])))),
            Box::new(|c| tags(c).contains(&"api") && tags(c).contains(&"billing")),
        ),
        (
            "jsonContainedBy object",
            condition(
                "properties",
                "jsonContainedBy",
                Some(
                    json!({"source": "discord", "language": "en", "tags": ["api", "auth", "billing"], "resolved": true}),
                ),
            ),
            Box::new(|c| {
                let Some(doc) = c.properties.as_ref().and_then(Value::as_object) else { return false };
                doc.iter().all(|(key, value)| match key.as_str() {
                    "source" => value == "discord",
                    "language" => value == "en",
                    "resolved" => value == &json!(true),
                    "tags" => value.as_array().is_some_and(|tags| {
                        tags.iter().all(|t| matches!(t.as_str(), Some("api" | "auth" | "billing")))
                    }),
                    _ => false,
                })
            }),
        ),
        (
            "jsonHasKey",
            condition("properties", "jsonHasKey", Some(json!("csat"))),
            Box::new(|c| has_key(c.properties.as_ref(), "csat")),
        ),
        (
            "jsonHasKey on userProperties",
            condition("userProperties", "jsonHasKey", Some(json!("supportAgentName"))),
            Box::new(|c| has_key(c.user_properties.as_ref(), "supportAgentName")),
        ),
        (
            "jsonHasKey at a path",
            condition("properties", "jsonHasKey", Some(pair(&["browser"], json!("version")))),
            Box::new(|c| prop(c, &["browser", "version"]).is_some()),
        ),
        (
            "jsonHasAnyKey",
            condition("properties", "jsonHasAnyKey", Some(json!(["csat", "browser"]))),
            Box::new(|c| has_key(c.properties.as_ref(), "csat") || has_key(c.properties.as_ref(), "browser")),
        ),
        (
            "jsonHasAllKeys",
            condition("properties", "jsonHasAllKeys", Some(json!(["csat", "resolved"]))),
            Box::new(|c| {
                has_key(c.properties.as_ref(), "csat") && has_key(c.properties.as_ref(), "resolved")
            }),
        ),
        (
            "jsonHasAllKeys on userProperties",
            condition("userProperties", "jsonHasAllKeys", Some(json!(["userId", "supportAgentEmail"]))),
            Box::new(|c| {
                has_key(c.user_properties.as_ref(), "userId")
                    && has_key(c.user_properties.as_ref(), "supportAgentEmail")
            }),
        ),
        (
            "jsonArrayContainsObject",
            condition("properties", "jsonArrayContainsObject", Some(json!({"title": "Plans and pricing"}))),
            Box::new(|c| {
                prop(c, &["articles"])
                    .and_then(Value::as_array)
                    .is_some_and(|a| a.iter().any(|article| article["title"] == "Plans and pricing"))
            }),
        ),
        // Trees.
        (
            "and / or tree",
            json!({"and": [
                {"condition": {"field": "type", "operator": "eq", "value": "support_ticket"}},
                {"or": [
                    {"condition": {"field": "userMessageCount", "operator": "gte", "value": 10}},
                    {"condition": {"field": "properties", "operator": "jsonHasKey", "value": "csat"}}
                ]}
            ]}),
            Box::new(|c| {
                c.conversation_type == Some("support_ticket")
                    && (c.user_message_count >= 10 || has_key(c.properties.as_ref(), "csat"))
            }),
        ),
    ];
    cases.into_iter().map(|(name, filter, predicate)| (name.to_string(), filter, predicate)).collect()
}

#[test]
fn every_operator_filters_like_postgres() {
    let cases = filter_cases();
    let used: HashSet<String> = cases
        .iter()
        .flat_map(|(_, filter, _)| {
            let text = filter.to_string();
            inkeep_explorer::api::query::Operator::ALL
                .into_iter()
                .filter(move |op| text.contains(&format!("\"operator\":\"{}\"", op.as_str())))
                .map(|op| op.as_str().to_string())
        })
        .collect();
    assert_eq!(used.len(), 17, "every operator is exercised: {used:?}");
    let mut failures = Vec::new();
    for (name, filter, predicate) in &cases {
        let expected = count_where(predicate);
        let actual = total_where(filter);
        if actual != expected {
            failures.push(format!("{name}: server {actual}, expected {expected} for {filter}"));
        }
        if !name.contains("matches nothing") {
            assert!(expected > 0, "{name} must match something to mean anything");
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn filtered_rows_are_exactly_the_matching_rows() {
    // Beyond the count: the export (every row, not one page) carries exactly the matching ids.
    let mut failures = Vec::new();
    for (name, filter, predicate) in filter_cases() {
        let (header, records) =
            export(&json!({"select": [{"type": "field", "field": "id"}], "where": filter}));
        assert_eq!(header, ["id"]);
        let expected: BTreeSet<&str> =
            data().iter().filter(|c| predicate(c)).map(|c| c.id.as_str()).collect();
        let actual: BTreeSet<&str> = records.iter().map(|record| record.get(0).unwrap()).collect();
        if actual != expected {
            let extra: Vec<_> = actual.difference(&expected).take(3).collect();
            let missing: Vec<_> = expected.difference(&actual).take(3).collect();
            failures.push(format!("{name}: extra {extra:?}, missing {missing:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------
// Export.

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

#[test]
fn export_streams_every_row_beyond_the_page_size() {
    let (header, records) = export(&json!({}));
    assert_eq!(
        header,
        [
            "id",
            "userMessageCount",
            "organizationId",
            "projectId",
            "integrationId",
            "firstMessageTime",
            "type",
            "properties",
            "userProperties"
        ]
    );
    assert_eq!(records.len() as u64, ROWS, "all rows, not one page");
    let by_id: HashMap<&str, &Conversation> = data().iter().map(|c| (c.id.as_str(), c)).collect();
    for record in &records {
        let c = by_id[&record[0]];
        assert_eq!(record[1].parse::<i64>().unwrap(), c.user_message_count);
        assert_eq!(&record[4], c.integration_id.as_deref().unwrap_or(""));
        assert_eq!(instant(&record[5]), c.first_message_time);
        assert_eq!(&record[6], c.conversation_type.unwrap_or(""));
        if let Some(doc) = &c.properties {
            assert_eq!(&serde_json::from_str::<Value>(&record[7]).unwrap(), doc);
        } else {
            assert_eq!(&record[7], "");
        }
    }
}

#[test]
fn export_matches_the_query_total_and_columns() {
    let body = json!({
        "select": [
            {"type": "field", "field": "id"},
            {"type": "field", "field": "type"},
            {"type": "field", "field": "userMessageCount"},
            {"type": "field", "field": "properties", "path": ["source"]}
        ],
        "where": {"condition": {"field": "type", "operator": "in", "value": ["openai", "support_copilot"]}},
        "orderBy": [{"field": "id", "direction": "asc"}]
    });
    let total = query(body.clone()).total;
    let (header, records) = export(&body);
    assert_eq!(header, ["id", "type", "userMessageCount", "properties.source"]);
    assert_eq!(records.len() as u64, total);
    let mut expected: Vec<&Conversation> =
        data().iter().filter(|c| matches!(c.conversation_type, Some("openai" | "support_copilot"))).collect();
    expected.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(records.len(), expected.len());
    assert!(records.len() as u64 > PAGE_SIZE);
    for (record, c) in records.iter().zip(&expected) {
        assert_eq!(&record[0], c.id);
        assert_eq!(&record[1], c.conversation_type.unwrap());
        assert_eq!(record[2].parse::<i64>().unwrap(), c.user_message_count);
        assert_eq!(&record[3], prop_str(c, "source").unwrap_or(""));
    }
}

#[test]
fn export_unpacks_keys_over_the_whole_result_and_groups() {
    let (header, records) = export(&json!({"select": [{"type": "field", "field": "properties"}]}));
    let expected_keys: BTreeSet<String> = data()
        .iter()
        .filter_map(|c| c.properties.as_ref()?.as_object())
        .flat_map(|o| o.keys().map(|k| format!("properties.{k}")))
        .collect();
    assert_eq!(header.iter().cloned().collect::<BTreeSet<_>>(), expected_keys);
    assert_eq!(records.len() as u64, ROWS);

    let (header, records) = export(&json!({
        "select": [{"type": "aggregation", "aggregation": "count"}],
        "groupBy": [{"field": "organizationId"}],
        "orderBy": [{"field": "organizationId", "direction": "asc"}]
    }));
    assert_eq!(header, ["count", "organizationId"]);
    let mut expected: BTreeMap<&str, u64> = BTreeMap::new();
    for c in data() {
        *expected.entry(c.organization_id.as_str()).or_default() += 1;
    }
    let actual: BTreeMap<&str, u64> =
        records.iter().map(|r| (r.get(1).unwrap(), r[0].parse().unwrap())).collect();
    assert_eq!(actual, expected);
}

#[test]
fn an_abandoned_export_does_not_disturb_the_server() {
    runtime().block_on(async {
        let response = client()
            .post(format!("{}/query/conversations/export", server().url()))
            .header("authorization", bearer())
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        // Read one piece, then hang up.
        let mut response = response;
        let first = response.chunk().await.unwrap().unwrap();
        assert!(first.starts_with(b"id,"));
        drop(response);
    });
    assert_eq!(query(json!({})).total, ROWS);
}

// ---------------------------------------------------------------------------------------
// Property keys and values.

fn property_list(path: &str, body: Value) -> Vec<String> {
    let answer = post(path, &body);
    assert_eq!(answer.status, 200, "{body}: {}", answer.text());
    assert!(answer.request_id.is_some());
    let root = answer.json();
    assert_eq!(keys(root.as_object().unwrap()), ["results"]);
    root["results"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
}

#[test]
fn property_keys_are_the_union_of_top_level_keys() {
    let union = |field: &str, keep: &dyn Fn(&Conversation) -> bool| -> Vec<String> {
        data()
            .iter()
            .filter(|c| keep(c))
            .filter_map(|c| plain(c, field).as_object().cloned())
            .flat_map(|o| o.keys().cloned().collect::<Vec<_>>())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    };
    assert_eq!(
        property_list("/query/property-keys", json!({"field": "properties"})),
        union("properties", &|_| true)
    );
    assert_eq!(
        property_list(
            "/query/property-keys",
            json!({"field": "userProperties", "views": ["conversations_view"]})
        ),
        union("userProperties", &|_| true)
    );
    let tickets = property_list(
        "/query/property-keys",
        json!({"field": "properties", "where": {"condition": {"field": "type", "operator": "eq", "value": "support_ticket"}}}),
    );
    assert_eq!(tickets, union("properties", &|c| c.conversation_type == Some("support_ticket")));
    assert!(!tickets.contains(&"articles".to_string()), "tickets have no articles");
}

/// Distinct values of a key as strings, most frequent first, ties by value.
fn expected_values(field: &str, key: &str, keep: impl Fn(&Conversation) -> bool) -> Vec<String> {
    let mut counts: HashMap<String, u64> = HashMap::new();
    for c in data().iter().filter(|c| keep(c)) {
        let doc = plain(c, field);
        match doc.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => *counts.entry(s.clone()).or_default() += 1,
            Some(other) => *counts.entry(other.to_string()).or_default() += 1,
        }
    }
    let mut values: Vec<(String, u64)> = counts.into_iter().collect();
    values.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    values.into_iter().map(|(v, _)| v).collect()
}

#[test]
fn property_values_most_frequent_first() {
    let languages =
        property_list("/query/property-values", json!({"field": "properties", "key": "language"}));
    assert_eq!(languages, expected_values("properties", "language", |_| true));
    assert_eq!(languages.len(), 8);
    let top = property_list(
        "/query/property-values",
        json!({"field": "properties", "key": "language", "limit": 3}),
    );
    assert_eq!(top, languages[..3]);
    let resolved = property_list("/query/property-values", json!({"field": "properties", "key": "resolved"}));
    assert_eq!(resolved, expected_values("properties", "resolved", |_| true));
    assert_eq!(
        resolved.iter().collect::<BTreeSet<_>>(),
        ["false".to_string(), "true".to_string()].iter().collect()
    );
    let agents = property_list(
        "/query/property-values",
        json!({
            "field": "userProperties",
            "key": "supportAgentName",
            "views": ["conversations_view"],
            "where": {"condition": {"field": "organizationId", "operator": "eq", "value": "org_lumenlabs"}}
        }),
    );
    assert_eq!(
        agents,
        expected_values("userProperties", "supportAgentName", |c| c.organization_id == "org_lumenlabs")
    );
    assert_eq!(agents.len(), 5, "Lumen Labs has five agents");
}

/// Keys and values are looked up in the views a request names. The demo holds conversations
/// only, so the other views have no rows: what exists in conversations is not offered for
/// them, and without `views` (all four) the union is the conversations' own.
#[test]
fn property_suggestions_come_from_the_named_views_only() {
    let conversation_keys = property_list("/query/property-keys", json!({"field": "properties"}));
    assert!(conversation_keys.contains(&"source".to_string()), "{conversation_keys:?}");
    let in_view =
        |views: Value| property_list("/query/property-keys", json!({"field": "properties", "views": views}));
    assert_eq!(in_view(json!(["conversations_view"])), conversation_keys);
    for other in ["events_view", "feedback_view", "semantic_threads_view"] {
        assert_eq!(in_view(json!([other])), Vec::<String>::new(), "{other} has no rows in the demo");
        assert_eq!(
            in_view(json!([other, "conversations_view"])),
            conversation_keys,
            "{other} + conversations"
        );
    }
    assert_eq!(in_view(json!([])), Vec::<String>::new(), "no view named, nothing to look in");

    let values = |views: Value| {
        property_list(
            "/query/property-values",
            json!({"field": "properties", "key": "language", "views": views}),
        )
    };
    let languages = expected_values("properties", "language", |_| true);
    assert!(!languages.is_empty());
    assert_eq!(values(json!(["conversations_view"])), languages);
    assert_eq!(values(json!(["events_view"])), Vec::<String>::new());
    // The filter and the limit apply within the named view.
    let narrowed = property_list(
        "/query/property-values",
        json!({
            "field": "userProperties",
            "key": "supportAgentName",
            "views": ["conversations_view"],
            "where": {"condition": {"field": "organizationId", "operator": "eq", "value": "org_lumenlabs"}},
            "limit": 2
        }),
    );
    let all_agents = expected_values("userProperties", "supportAgentName", |_| true);
    let lumen_agents =
        expected_values("userProperties", "supportAgentName", |c| c.organization_id == "org_lumenlabs");
    assert!(all_agents.len() > lumen_agents.len(), "the filter must narrow something");
    assert_eq!(narrowed, lumen_agents[..2]);
}

/// What the app sends for suggestions names the explored view, and the demo answers it.
#[test]
fn the_apps_suggestion_requests_name_the_conversations_view() {
    use inkeep_explorer::api::response::{PropertyField, PropertyKeysRequest, PropertyValuesRequest, View};
    let keys = PropertyKeysRequest::new(PropertyField::Properties);
    assert_eq!(keys.views, Some(vec![View::Conversations]));
    let answer = post("/query/property-keys", &serde_json::to_value(&keys).unwrap());
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(
        answer.json()["results"],
        json!(property_list("/query/property-keys", json!({"field": "properties"})))
    );
    let values = PropertyValuesRequest::new(PropertyField::Properties, "language");
    assert_eq!(values.views, Some(vec![View::Conversations]));
    let answer = post("/query/property-values", &serde_json::to_value(&values).unwrap());
    assert_eq!(answer.json()["results"], json!(expected_values("properties", "language", |_| true)));
}

// ---------------------------------------------------------------------------------------
// Paging.

#[test]
fn paging_reports_total_page_size_and_count() {
    let small = query(json!({"where": condition("userMessageCount", "gte", Some(json!(30)))}));
    let expected = count_where(|c| c.user_message_count >= 30);
    assert!(expected > 0 && expected < PAGE_SIZE);
    assert_eq!((small.total, small.count, small.page_size), (expected, expected, PAGE_SIZE));

    let keyed_rows: Vec<Conversation> = dataset::generate(&keyed_params()).collect();
    let auth = format!("Bearer {API_KEY}");
    let body = json!({"select": [{"type": "time", "timeUnit": "day"}, {"type": "aggregation", "aggregation": "count"}]});
    let answer = send(
        reqwest::Method::POST,
        &format!("{}/query/conversations", keyed_server().url()),
        &[("authorization", &auth), ("content-type", "application/json")],
        Some(serde_json::to_vec(&body).unwrap().into()),
    );
    let page = read_page(&answer, &body);
    let days: BTreeSet<Date> = keyed_rows.iter().map(|c| civil(c.first_message_time).date()).collect();
    assert_eq!(page.page_size, KEYED_PAGE_SIZE);
    assert_eq!(page.total, days.len() as u64, "total counts groups, not rows");
    assert_eq!(page.count, KEYED_PAGE_SIZE);
}

// ---------------------------------------------------------------------------------------
// Errors: problem+json with every field, and the request id.

fn check_problem(answer: &Answer, status: u16, code: &str, path: &str) -> String {
    assert_eq!(answer.status, status, "{}", answer.text());
    assert!(answer.content_type.starts_with("application/problem+json"), "{}", answer.content_type);
    let problem = answer.json();
    assert_eq!(problem["status"], json!(status));
    assert_eq!(problem["code"], json!(code));
    assert_eq!(problem["error"]["code"], json!(code));
    assert!(problem["title"].as_str().is_some_and(|t| !t.is_empty()));
    let detail = problem["detail"].as_str().expect("detail").to_string();
    assert!(!detail.is_empty());
    assert_eq!(problem["error"]["message"], json!(detail));
    assert_eq!(problem["instance"], json!(path));
    let header_id = answer.request_id.clone().expect("x-request-id header");
    assert!(header_id.starts_with("req_"), "{header_id}");
    assert_eq!(problem["requestId"], json!(header_id), "the body names the same request as the header");
    detail
}

fn post_with(server: &DemoServer, path: &str, headers: &[(&str, &str)], body: &str) -> Answer {
    send(reqwest::Method::POST, &format!("{}{path}", server.url()), headers, Some(body.to_string().into()))
}

#[test]
fn missing_or_malformed_authorization_is_401() {
    let json_type = ("content-type", "application/json");
    let answer = post_with(server(), "/query/conversations", &[json_type], "{}");
    let detail = check_problem(&answer, 401, "unauthorized", "/query/conversations");
    assert!(detail.contains("Authorization"), "{detail}");
    assert_eq!(answer.headers.get("www-authenticate").unwrap(), "Bearer");
    for malformed in ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Token abc", "Bearer a b"] {
        let answer =
            post_with(server(), "/query/conversations", &[json_type, ("authorization", malformed)], "{}");
        let detail = check_problem(&answer, 401, "unauthorized", "/query/conversations");
        assert!(detail.contains("malformed"), "{malformed}: {detail}");
    }
    // Every endpoint checks, not only the query.
    let answer = post_with(server(), "/query/property-keys", &[json_type], r#"{"field":"properties"}"#);
    check_problem(&answer, 401, "unauthorized", "/query/property-keys");
}

#[test]
fn with_an_api_key_only_that_key_is_accepted() {
    let json_type = ("content-type", "application/json");
    let wrong = post_with(
        keyed_server(),
        "/query/conversations",
        &[json_type, ("authorization", "Bearer nope")],
        "{}",
    );
    let detail = check_problem(&wrong, 401, "unauthorized", "/query/conversations");
    assert!(!detail.contains(API_KEY), "the key is never echoed");
    let prefix = format!("Bearer {}", &API_KEY[..API_KEY.len() - 1]);
    let almost =
        post_with(keyed_server(), "/query/conversations", &[json_type, ("authorization", &prefix)], "{}");
    check_problem(&almost, 401, "unauthorized", "/query/conversations");
    let longer = format!("Bearer {API_KEY}x");
    let longer =
        post_with(keyed_server(), "/query/conversations", &[json_type, ("authorization", &longer)], "{}");
    check_problem(&longer, 401, "unauthorized", "/query/conversations");
    let right = format!("Bearer {API_KEY}");
    let answer =
        post_with(keyed_server(), "/query/conversations", &[json_type, ("authorization", &right)], "{}");
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(answer.json()["data"]["total"], json!(KEYED_ROWS));
}

#[test]
fn malformed_json_is_400_with_line_and_column() {
    let answer = post_bytes(server(), "/query/conversations", br#"{"select": [ "#.to_vec());
    let detail = check_problem(&answer, 400, "bad_request", "/query/conversations");
    assert!(detail.contains("line 1, column"), "{detail}");
    let answer =
        post_bytes(server(), "/query/conversations", b"{\n  \"select\": [],\n  \"where\": {,}\n}".to_vec());
    let detail = check_problem(&answer, 400, "bad_request", "/query/conversations");
    assert!(detail.contains("line 3, column 13"), "{detail}");
    for body in [&b""[..], b"   ", b"\xff\xfe{}", b"{} {}", b"nul"] {
        let answer = post_bytes(server(), "/query/conversations", body.to_vec());
        check_problem(&answer, 400, "bad_request", "/query/conversations");
    }
}

#[test]
fn bodies_outside_the_published_schema_are_400_naming_the_path() {
    let cases = [
        (
            json!({"where": {"and": [
                {"condition": {"field": "type", "operator": "eq", "value": "openai"}},
                {"condition": {"field": "type", "operator": "bogus", "value": "x"}}
            ]}}),
            "where.and[1].condition.operator",
            "bogus",
        ),
        (json!({"select": [{"type": "field", "field": "nope"}]}), "select[0].field", "nope"),
        (json!({"select": [{"type": "sideways"}]}), "select[0]", "sideways"),
        // An unknown top-level key: the detail says where and lists the keys allowed.
        (json!({"unknownKey": 1}), "unknownKey", "orderBy"),
        // A wrong type.
        (json!({"select": "id"}), "`select`", "sequence"),
        (json!({"notes": 80}), "`notes`", "string"),
        (json!({"orderBy": [{"field": "id", "direction": "up"}]}), "orderBy[0].direction", "up"),
        (json!({"orderBy": [{"field": "count", "direction": "asc"}]}), "orderBy[0].field", "count_id"),
    ];
    for (body, path, word) in cases {
        for endpoint in ["/query/conversations", "/query/conversations/export"] {
            let answer = post(endpoint, &body);
            let detail = check_problem(&answer, 400, "bad_request", endpoint);
            assert!(detail.contains(path), "{body}: detail should name `{path}`: {detail}");
            assert!(detail.contains(word), "{body}: detail should mention `{word}`: {detail}");
        }
    }
    // Property endpoints name the path too: a wrong field, an unknown key, a bad view,
    // a filter of the wrong shape, a limit that is not a positive integer.
    let property_cases = [
        ("/query/property-keys", json!({"field": "type"}), "`field`", "userProperties"),
        (
            "/query/property-keys",
            json!({"field": "properties", "view": ["conversations_view"]}),
            "view",
            "views",
        ),
        (
            "/query/property-keys",
            json!({"field": "properties", "views": ["bogus_view"]}),
            "views[0]",
            "events_view",
        ),
        (
            "/query/property-keys",
            json!({"field": "properties", "views": "conversations_view"}),
            "`views`",
            "sequence",
        ),
        (
            "/query/property-values",
            json!({"field": "properties", "key": "source", "views": ["conversations"]}),
            "views[0]",
            "conversations_view",
        ),
        (
            "/query/property-values",
            json!({"field": "properties", "key": "source", "where": {"or": [{"condition": {"field": "x", "operator": "eq"}}]}}),
            "where.or[0].condition.field",
            "x",
        ),
        (
            "/query/property-values",
            json!({"field": "properties", "key": "source", "limit": 0}),
            "`limit`",
            "positive integer",
        ),
        (
            "/query/property-values",
            json!({"field": "properties", "key": "source", "limit": -3}),
            "`limit`",
            "-3",
        ),
        (
            "/query/property-values",
            json!({"field": "properties", "key": "source", "limit": 2.5}),
            "`limit`",
            "2.5",
        ),
        (
            "/query/property-values",
            json!({"field": "properties", "key": "source", "limit": "5"}),
            "`limit`",
            "u32",
        ),
    ];
    for (endpoint, body, path, word) in property_cases {
        let answer = post(endpoint, &body);
        let detail = check_problem(&answer, 400, "bad_request", endpoint);
        assert!(detail.contains(path), "{body}: detail should name `{path}`: {detail}");
        assert!(detail.contains(word), "{body}: detail should mention `{word}`: {detail}");
    }
}

/// The acceptance case of the published `orderBy` set: what the real server refuses, the
/// demo refuses the same way, on the query endpoint and on its `/export` twin.
#[test]
fn sorting_by_bare_count_is_refused_like_the_real_server() {
    let body = r#"{"select":[{"type":"aggregation","aggregation":"count"}],"orderBy":[{"field":"count","direction":"desc"}]}"#;
    for endpoint in ["/query/conversations", "/query/conversations/export"] {
        let answer = post_bytes(server(), endpoint, body.as_bytes().to_vec());
        let detail = check_problem(&answer, 400, "bad_request", endpoint);
        assert!(detail.contains("orderBy[0].field"), "{detail}");
        assert!(detail.contains("count_id"), "the detail says what to do instead: {detail}");
    }
    // The sortable twin is answered, with the same counts.
    let page = query(json!({
        "select": [{"type": "aggregation", "aggregation": "count", "field": "id"}],
        "orderBy": [{"field": "count_id", "direction": "desc"}]
    }));
    assert_eq!(page.rows[0]["count_id"], json!(ROWS));
}

#[test]
fn unanswerable_queries_inside_the_schema_are_422_naming_the_path() {
    let cases = [
        (
            json!({"where": {"condition": {"field": "userMessageCount", "operator": "eq", "value": "many"}}}),
            "where.condition.value",
            "number",
        ),
        (
            json!({"where": {"condition": {"field": "type", "operator": "jsonHasKey", "value": "x"}}}),
            "where.condition.operator",
            "jsonHasKey",
        ),
        // In the set, but not a column of this query.
        (
            json!({"select": [{"type": "field", "field": "id"}], "orderBy": [{"field": "type", "direction": "asc"}]}),
            "orderBy[0].field",
            "no column `type`",
        ),
        // `"value": null` is read (the schema allows any JSON) but matches nothing.
        (
            json!({"where": {"condition": {"field": "type", "operator": "eq", "value": null}}}),
            "where.condition.value",
            "isNull",
        ),
    ];
    for (body, path, word) in cases {
        let answer = post("/query/conversations", &body);
        let detail = check_problem(&answer, 422, "unprocessable_entity", "/query/conversations");
        assert!(detail.contains(path), "{body}: detail should name `{path}`: {detail}");
        assert!(detail.contains(word), "{body}: detail should mention `{word}`: {detail}");
    }
}

/// For every operator, `"value": null` is refused by the demo exactly when the validator
/// refuses it (the demo runs the validator), and accepted ones are answered.
#[test]
fn null_values_are_refused_exactly_as_the_validator_refuses_them() {
    use inkeep_explorer::api::query::{Operator, parse_query};
    use inkeep_explorer::api::validate::validate;
    for field in ["type", "properties"] {
        for operator in Operator::ALL {
            let body = json!({"where": {"condition": {"field": field, "operator": operator.as_str(), "value": null}}});
            let problems = validate(&parse_query(&body.to_string()).unwrap());
            let answer = post("/query/conversations", &body);
            if problems.is_empty() {
                let page = read_page(&answer, &body);
                let expected = match (field, operator) {
                    ("type", Operator::IsNull) => count_where(|c| c.conversation_type.is_none()),
                    ("type", Operator::IsNotNull) => count_where(|c| c.conversation_type.is_some()),
                    ("properties", Operator::IsNull) => count_where(|c| plain(c, "properties").is_null()),
                    ("properties", Operator::IsNotNull) => count_where(|c| !plain(c, "properties").is_null()),
                    _ => panic!("{body} passed the validator"),
                };
                assert_eq!(page.total, expected, "{body}");
            } else {
                let detail = check_problem(&answer, 422, "unprocessable_entity", "/query/conversations");
                assert!(detail.contains(&problems[0].path), "{body}: {detail}");
            }
        }
    }
}

#[test]
fn validation_problems_are_422_and_all_listed() {
    let body = json!({
        "select": [
            {"type": "aggregation", "aggregation": "sum", "field": "type"},
            {"type": "field", "field": "id", "path": ["x"]}
        ],
        "notes": "n".repeat(81)
    });
    let answer = post("/query/conversations", &body);
    let detail = check_problem(&answer, 422, "unprocessable_entity", "/query/conversations");
    for path in ["select[0].field", "select[1].path", "notes"] {
        assert!(detail.contains(path), "{path} listed: {detail}");
    }
    // Notes of exactly 80 characters (not bytes) are fine.
    let page =
        query(json!({"notes": "é".repeat(80), "select": [{"type": "aggregation", "aggregation": "count"}]}));
    assert_eq!(page.rows[0]["count"], json!(ROWS));
    let answer = post("/query/conversations/export", &json!({"notes": "n".repeat(81)}));
    let detail = check_problem(&answer, 422, "unprocessable_entity", "/query/conversations/export");
    assert!(detail.contains("notes"), "{detail}");
}

#[test]
fn bodies_over_2_mb_are_413() {
    let big = serde_json::to_vec(&json!({"notes": "x".repeat(2 * 1024 * 1024 + 10)})).unwrap();
    let answer = post_bytes(server(), "/query/conversations", big.clone());
    let detail = check_problem(&answer, 413, "payload_too_large", "/query/conversations");
    assert!(detail.contains("2097152"), "{detail}");
    // Without a Content-Length (chunked), the limit holds too.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        big.chunks(64 * 1024).map(|c| Ok(c.to_vec())).collect();
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let auth = bearer();
    let answer = send(
        reqwest::Method::POST,
        &format!("{}/query/conversations/export", server().url()),
        &[("authorization", &auth)],
        Some(body),
    );
    check_problem(&answer, 413, "payload_too_large", "/query/conversations/export");
    // Exactly at the limit is accepted (and then judged on its content).
    let mut at_limit = br#"{"notes":"short"}"#.to_vec();
    at_limit.resize(2 * 1024 * 1024, b' ');
    let answer = post_bytes(server(), "/query/conversations", at_limit);
    assert_eq!(answer.status, 200, "{}", answer.text());
}

#[test]
fn wrong_method_is_405_and_unknown_path_404() {
    let auth = bearer();
    let url = format!("{}/query/conversations", server().url());
    for method in [reqwest::Method::GET, reqwest::Method::PUT, reqwest::Method::DELETE] {
        let answer = send(method.clone(), &url, &[("authorization", &auth)], None);
        let detail = check_problem(&answer, 405, "method_not_allowed", "/query/conversations");
        assert!(detail.contains(method.as_str()), "{detail}");
        assert_eq!(answer.headers.get("allow").unwrap(), "POST");
    }
    for path in ["/query/nope", "/", "/query/conversations/export/extra"] {
        let answer = post_with(server(), path, &[("authorization", &auth)], "{}");
        check_problem(&answer, 404, "not_found", path);
    }
    let answer = send(reqwest::Method::GET, &format!("{}/nothing/here", server().url()), &[], None);
    check_problem(&answer, 404, "not_found", "/nothing/here");
}

#[test]
fn a_non_json_content_type_is_415_and_a_missing_one_is_accepted() {
    let auth = bearer();
    let answer = post_with(
        server(),
        "/query/conversations",
        &[("authorization", &auth), ("content-type", "text/plain")],
        "{}",
    );
    let detail = check_problem(&answer, 415, "unsupported_media_type", "/query/conversations");
    assert!(detail.contains("application/json"), "{detail}");
    let answer = post_with(server(), "/query/conversations", &[("authorization", &auth)], "{}");
    assert_eq!(answer.status, 200);
    let answer = post_with(
        server(),
        "/query/conversations",
        &[("authorization", &auth), ("content-type", "application/json; charset=utf-8")],
        "{}",
    );
    assert_eq!(answer.status, 200);
}

#[test]
fn request_ids_are_unique_and_on_every_answer() {
    let ids: Vec<String> = (0..5)
        .map(|_| {
            post(
                "/query/conversations",
                &json!({"select": [{"type": "aggregation", "aggregation": "count"}]}),
            )
        })
        .map(|answer| {
            assert_eq!(answer.status, 200);
            answer.request_id.unwrap()
        })
        .collect();
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len(), "{ids:?}");
}

// ---------------------------------------------------------------------------------------
// Startup, shutdown, configuration.

#[test]
fn requests_before_the_dataset_is_ready_wait_for_it() {
    let rows = 30_000;
    let started = std::time::Instant::now();
    let server = DemoServer::start_in_background(ServerConfig::local(DatasetParams {
        rows,
        seed: 3,
        end_date: end_date(),
    }))
    .unwrap();
    assert!(started.elapsed() < Duration::from_secs(1), "start returns before the dataset is built");
    assert!(server.url().starts_with("http://127.0.0.1:"));
    let answer = post_bytes(&server, "/query/conversations", b"{}".to_vec());
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(answer.json()["data"]["total"], json!(rows));
    assert!(server.is_ready());
    let url = server.url();
    server.shutdown();
    let refused =
        runtime().block_on(async { client().post(format!("{url}/query/conversations")).send().await });
    assert!(refused.is_err(), "nothing listens after shutdown");
}

#[test]
fn start_on_an_existing_runtime() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let server = DemoServer::start(ServerConfig::local(DatasetParams {
            rows: 300,
            seed: 9,
            end_date: end_date(),
        }))
        .await
        .unwrap();
        let client = reqwest::Client::new();
        let answer = client
            .post(format!("{}/query/conversations", server.url()))
            .header("authorization", "Bearer t")
            .json(&json!({"select": [{"type": "aggregation", "aggregation": "count"}]}))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
        let body: Value = answer.json().await.unwrap();
        assert_eq!(body["data"]["result"][0]["count"], json!(300));
        server.shutdown();
    });
}

#[test]
fn non_loopback_addresses_need_allow_remote_and_a_key() {
    let remote = ServerConfig {
        addr: "0.0.0.0:0".parse().unwrap(),
        ..ServerConfig::local(DatasetParams { rows: 10, seed: 1, end_date: end_date() })
    };
    match DemoServer::start_in_background(remote.clone()) {
        Err(ServerError::RemoteNotAllowed { .. }) => {}
        other => panic!("expected RemoteNotAllowed, got {other:?}"),
    }
    let allowed_without_key = ServerConfig { allow_remote: true, ..remote.clone() };
    match DemoServer::start_in_background(allowed_without_key) {
        Err(ServerError::RemoteWithoutApiKey { .. }) => {}
        other => panic!("expected RemoteWithoutApiKey, got {other:?}"),
    }
    for bad_key in ["", "  ", "two words", "caf\u{e9}"] {
        let config =
            ServerConfig { api_key: Some(bad_key.to_string()), ..ServerConfig::local(remote.dataset) };
        assert!(
            matches!(DemoServer::start_in_background(config), Err(ServerError::InvalidApiKey)),
            "{bad_key:?}"
        );
    }
    let keyed = ServerConfig { api_key: Some(API_KEY.to_string()), ..remote.clone() };
    assert!(!format!("{keyed:?}").contains(API_KEY), "Debug never shows the key");
    // A port already taken is a clear bind error.
    let taken = ServerConfig { addr: server().local_addr(), ..ServerConfig::local(remote.dataset) };
    match DemoServer::start_in_background(taken) {
        Err(error @ ServerError::Bind { .. }) => assert!(error.to_string().contains("could not listen")),
        other => panic!("expected Bind, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// The `serve` command.

/// Kills the child when the test ends, whatever happens.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve_command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_inkeep-explorer"));
    command.arg("serve").args(args).env("RUST_LOG", "warn").env_remove("RUST_BACKTRACE");
    command
}

#[test]
fn cli_serve_prints_the_url_first_and_answers() {
    let mut child = ChildGuard(
        serve_command(&[
            "--addr",
            "127.0.0.1:0",
            "--rows",
            "2000",
            "--end-date",
            "2025-06-30",
            "--seed",
            "11",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut first = String::new();
        let _ = BufReader::new(stdout).read_line(&mut first);
        let _ = sender.send(first);
    });
    let first = receiver.recv_timeout(Duration::from_secs(60)).expect("a first line within a minute");
    let url = first.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("first line: {first:?}"));
    let port: u16 = url.strip_prefix("http://127.0.0.1:").expect("loopback URL").parse().unwrap();
    assert_ne!(port, 0, "the real port is printed");

    let answer = send(
        reqwest::Method::POST,
        &format!("{url}/query/conversations"),
        &[("authorization", "Bearer cli"), ("content-type", "application/json")],
        Some(r#"{"select":[{"type":"aggregation","aggregation":"count"}],"groupBy":[{"field":"organizationId"}]}"#.into()),
    );
    assert_eq!(answer.status, 200, "{}", answer.text());
    let expected: u64 = dataset::generate(&DatasetParams { rows: 2000, seed: 11, end_date: end_date() })
        .filter(|c| c.organization_id == "org_northwind")
        .count() as u64;
    let rows = answer.json()["data"]["result"].as_array().unwrap().clone();
    let northwind = rows.iter().find(|r| r["organizationId"] == "org_northwind").unwrap();
    assert_eq!(northwind["count"].as_u64(), Some(expected));

    // SIGTERM shuts it down gracefully, with success.
    #[cfg(unix)]
    {
        let status = Command::new("kill").args(["-TERM", &child.0.id().to_string()]).status().unwrap();
        assert!(status.success());
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = child.0.try_wait().unwrap() {
                assert!(status.success(), "graceful exit: {status}");
                break;
            }
            assert!(std::time::Instant::now() < deadline, "the server did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[test]
fn cli_serve_refuses_a_non_loopback_address() {
    let output = serve_command(&["--addr", "0.0.0.0:0", "--rows", "10"]).output().unwrap();
    assert!(!output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stdout.contains("listening"), "{stdout}");
    assert!(stderr.contains("not a loopback address") && stderr.contains("--allow-remote"), "{stderr}");

    let output = serve_command(&["--addr", "0.0.0.0:0", "--rows", "10", "--allow-remote"]).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--api-key"), "{stderr}");

    let output = serve_command(&["--end-date", "2025-13-01"]).output().unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("end-date"));
}

// ---------------------------------------------------------------------------------------
// The project's own client speaks to the demo API.

#[test]
fn the_analytics_client_reads_answers_and_problems() {
    use inkeep_explorer::api::client::{AnalyticsClient, ApiKey, ClientConfig};
    use inkeep_explorer::api::query::{Field, GroupBy, QueryBody, Selection};
    use inkeep_explorer::api::response::{PropertyField, PropertyKeysRequest};

    let config =
        ClientConfig { max_retries: 0, ..ClientConfig::new(server().url(), Some(ApiKey::new(TOKEN.into()))) };
    let client = AnalyticsClient::new(config).unwrap();
    runtime().block_on(async {
        let body = QueryBody {
            select: vec![Selection::count()],
            group_by: vec![GroupBy::field(Field::OrganizationId)],
            ..QueryBody::default()
        };
        let response = client.query(&body).await.unwrap();
        assert_eq!(response.total, 2);
        assert_eq!(response.page_size, PAGE_SIZE);
        assert!(response.request_id.as_deref().is_some_and(|id| id.starts_with("req_")));
        let counted: u64 = response.rows.iter().map(|row| row["count"].as_u64().unwrap()).sum();
        assert_eq!(counted, ROWS);

        let keys =
            client.property_keys(&PropertyKeysRequest::new(PropertyField::UserProperties)).await.unwrap();
        assert!(keys.contains(&"userId".to_string()), "{keys:?}");

        let mut csv_bytes = Vec::new();
        client.export_csv(&QueryBody::default(), &mut csv_bytes, |_| {}).await.unwrap();
        let line_count = csv_bytes.split(|b| *b == b'\n').filter(|line| !line.is_empty()).count();
        assert_eq!(line_count as u64, ROWS + 1, "header and every row");

        let invalid = QueryBody { notes: Some("n".repeat(81)), ..QueryBody::default() };
        let error = client.query(&invalid).await.unwrap_err();
        assert_eq!(error.status(), Some(422));
        let problem = error.problem().expect("a problem document");
        assert_eq!(problem.code(), Some("unprocessable_entity"));
        assert!(problem.message().is_some_and(|m| m.contains("notes")));
        assert!(error.request_id().is_some_and(|id| id.starts_with("req_")));
    });
}
