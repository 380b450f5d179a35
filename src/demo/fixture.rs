//! A handcrafted 12-row table for exact expectations (shared with the `sql` tests).
//!
//! Designed to cover: nulls in plain fields, a NULL JSON field, JSON nulls, missing keys,
//! arrays (and a scalar where other rows have an array), nested objects, arrays of
//! objects, numbers vs numeric strings vs booleans, two rows at the same instant, a leap
//! day, week boundaries across a month and a year, month boundaries, hostile keys.
//!
//! Also the helpers the `store` and `sql` tests share to query it.

use rusqlite::{Connection, params};
use serde_json::{Map, Value, json};

use crate::api::query::QueryBody;
use crate::api::view::View;
use crate::demo::store::DemoStore;

/// `(id, userMessageCount, organizationId, projectId, integrationId, firstMessageTime,
/// type, properties, userProperties)`.
pub(crate) type Row = (
    &'static str,
    i64,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
);

pub(crate) const ROWS: [Row; 12] = [
    (
        "r01",
        3,
        "org_a",
        "proj_1",
        Some("int_widget"),
        "2024-02-29T10:15:30.250Z",
        Some("openai"),
        Some(
            r#"{"source":"widget","tags":["billing","auth"],"resolved":true,"csat":5,"browser":{"name":"Firefox","version":120},"articles":[{"title":"Pricing","score":0.9},{"title":"Login","score":0.4}]}"#,
        ),
        Some(r#"{"id":"u1","identificationType":"COOKIED","userType":"customer"}"#),
    ),
    (
        "r02",
        1,
        "org_a",
        "proj_1",
        Some("int_slack"),
        "2024-03-01T00:00:00.000Z",
        Some("support_ticket"),
        Some(r#"{"source":"slack","tags":["api"],"resolved":false,"csat":3}"#),
        Some(
            r#"{"id":"u2","identificationType":"ID_PROVIDED","userId":"alice","userType":"customer","supportAgentName":"Bob"}"#,
        ),
    ),
    (
        "r03",
        7,
        "org_a",
        "proj_2",
        Some("int_widget"),
        "2024-02-29T23:59:59.999Z",
        Some("openai"),
        Some(r#"{"source":"widget","tags":[],"resolved":true,"csat":null}"#),
        Some(r#"{"id":"u3","identificationType":"ID_PROVIDED","userId":"alice","userType":"internal"}"#),
    ),
    (
        "r04",
        2,
        "org_b",
        "proj_3",
        None,
        "2023-12-31T23:30:00.000Z",
        None,
        None,
        Some(r#"{"id":"u4","identificationType":"ANONYMOUS"}"#),
    ),
    (
        "r05",
        5,
        "org_b",
        "proj_3",
        Some("int_discord"),
        "2024-01-01T00:00:00.000Z",
        Some("support_copilot"),
        Some(r#"{"source":"discord","tags":["bug","billing"],"csat":4.5,"language":"en"}"#),
        None,
    ),
    (
        "r06",
        1,
        "org_a",
        "proj_2",
        Some("int_api"),
        "2024-01-07T23:59:59.000Z",
        Some("openai"),
        Some(r#"{"source":"api","csat":"5","language":"de"}"#),
        Some(r#"{"id":"u6","identificationType":"ID_PROVIDED","userId":"carol","userType":"trial"}"#),
    ),
    (
        "r07",
        4,
        "org_b",
        "proj_4",
        Some("int_widget"),
        "2024-01-08T00:00:00.000Z",
        Some("support_copilot"),
        Some(r#"{"source":"widget","resolved":true,"csat":true}"#),
        Some(r#"{"id":"u7","identificationType":"COOKIED","userType":"customer","supportAgentName":"Dana"}"#),
    ),
    (
        "r08",
        10,
        "org_a",
        "proj_1",
        Some("int_widget"),
        "2024-03-04T12:00:00.500Z",
        Some("openai"),
        Some("{}"),
        Some(r#"{"id":"u8","identificationType":"ID_PROVIDED","userId":"bob","userType":"customer"}"#),
    ),
    (
        "r09",
        2,
        "org_b",
        "proj_4",
        Some("int_zendesk"),
        "2024-03-04T12:59:59.000Z",
        Some("support_ticket"),
        Some(
            r#"{"source":"zendesk","tags":["pricing",["nested"]],"articles":[{"title":"Pricing","score":0.2}],"nested":{"a":{"b":1}}}"#,
        ),
        Some(r#"{"id":"u9","identificationType":"ID_PROVIDED","userId":"alice","supportAgentName":"Bob"}"#),
    ),
    (
        "r10",
        6,
        "org_a",
        "proj_1",
        None,
        "2024-03-04T13:00:00.000Z",
        None,
        Some(r#"{"source":null,"tags":"billing"}"#),
        Some(r#"{"id":"u10","identificationType":"COOKIED","userType":null}"#),
    ),
    (
        "r11",
        1,
        "org_a",
        "proj_2",
        Some("int_slack"),
        "2024-02-29T10:15:30.250Z",
        Some("support_copilot"),
        Some(r#"{"source":"slack","csat":2,"language":"en"}"#),
        Some(r#"{"id":"u11","identificationType":"ID_PROVIDED","userId":"carol","userType":"customer"}"#),
    ),
    (
        "r12",
        8,
        "org_b",
        "proj_3",
        Some("int_api"),
        "2021-01-03T08:00:00.000Z",
        Some("openai"),
        Some(
            r#"{"weird \"key\"":"v1","semi;colon":"--","unicode ключ":"значение","a.b":1,"back\\slash":true}"#,
        ),
        Some(r#"{"id":"u12","identificationType":"COOKIED","userType":"internal"}"#),
    ),
];

/// The schema exactly as `dataset::create_schema` creates it.
pub(crate) const SCHEMA: &str = "CREATE TABLE conversations (
    id TEXT NOT NULL PRIMARY KEY, userMessageCount INTEGER NOT NULL, organizationId TEXT NOT NULL,
    projectId TEXT NOT NULL, integrationId TEXT, firstMessageTime TEXT NOT NULL,
    firstMessageEpoch INTEGER NOT NULL, type TEXT, properties TEXT, userProperties TEXT,
    properties_source TEXT GENERATED ALWAYS AS (CASE json_type(properties, '$.source') WHEN 'text' THEN properties ->> '$.source' END) VIRTUAL);
    CREATE TABLE demo_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);";

/// Creates the table and inserts [`ROWS`] (epochs computed with jiff, independently
/// of the SQL under test).
pub(crate) fn setup(conn: &mut Connection) -> rusqlite::Result<()> {
    conn.execute_batch(SCHEMA)?;
    let mut stmt =
        conn.prepare("INSERT INTO conversations VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")?;
    for (id, count, org, project, integration, time, kind, props, user) in ROWS {
        let epoch = time.parse::<jiff::Timestamp>().unwrap().as_second();
        stmt.execute(params![id, count, org, project, integration, time, epoch, kind, props, user])?;
    }
    Ok(())
}

/// A store over the fixture table.
pub(crate) fn store() -> DemoStore {
    DemoStore::from_setup(setup).unwrap()
}

/// A query body from its JSON.
pub(crate) fn body(value: Value) -> QueryBody {
    serde_json::from_value(value).unwrap()
}

/// The rows of `query` (at most 1000) as JSON values.
pub(crate) fn rows(store: &DemoStore, query: Value) -> Vec<Value> {
    store
        .query(View::Conversations, &body(query), 1000)
        .unwrap()
        .rows
        .into_iter()
        .map(Value::Object)
        .collect()
}

/// Rows as JSON values.
pub(crate) fn rows_to_values(rows: Vec<Map<String, Value>>) -> Vec<Value> {
    rows.into_iter().map(Value::Object).collect()
}

/// The ids of the rows matching `filter`, sorted.
pub(crate) fn ids_where(store: &DemoStore, filter: Value) -> Vec<String> {
    let query = json!({
        "select": [{"type": "field", "field": "id"}],
        "where": filter,
        "orderBy": [{"field": "id", "direction": "asc"}]
    });
    let page = store.query(View::Conversations, &body(query), 1000).unwrap();
    page.rows.iter().map(|row| row["id"].as_str().unwrap().to_string()).collect()
}

/// Owned ids.
pub(crate) fn ids(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// A filter of one condition.
pub(crate) fn cond(field: &str, operator: &str, value: Value) -> Value {
    json!({"condition": {"field": field, "operator": operator, "value": value}})
}

/// A filter of one condition without a value (`isNull`, `isNotNull`).
pub(crate) fn cond_no_value(field: &str, operator: &str) -> Value {
    json!({"condition": {"field": field, "operator": operator}})
}

/// Every id of the fixture, in table order.
pub(crate) fn all_ids() -> Vec<String> {
    ROWS.iter().map(|r| r.0.to_string()).collect()
}
