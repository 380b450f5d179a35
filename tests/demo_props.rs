//! Property tests of the demo API over real HTTP on loopback: random queries built from the
//! query model, and random bytes, never make the server fail (500) or hang; valid queries are
//! answered, invalid ones are refused with a problem, and an export always carries exactly
//! the rows the query counts.

// The helpers below are test code too; clippy's allow-unwrap-in-tests only covers `#[test]` fns.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::OnceLock;
use std::time::Duration;

use inkeep_explorer::api::columns::{is_published_order_by_field, result_columns};
use inkeep_explorer::api::query::{
    Aggregation, Condition, Direction, Field, FieldMode, Filter, FilterValue, GroupBy, Operator, OrderBy,
    PathTarget, QueryBody, Scalar, Selection, TimeUnit,
};
use inkeep_explorer::api::validate::{published_schema_problems, validate};
use inkeep_explorer::api::view::View;
use inkeep_explorer::demo::dataset::DatasetParams;
use inkeep_explorer::demo::server::{DemoServer, ServerConfig};
use jiff::civil::Date;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Number, Value, json};

const ROWS: u64 = 3_000;
const PAGE_SIZE: usize = 200;

fn server() -> &'static DemoServer {
    static SERVER: OnceLock<DemoServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        let dataset = DatasetParams { rows: ROWS, seed: 5, end_date: Date::constant(2025, 6, 30) };
        let config = ServerConfig { page_size: PAGE_SIZE, ..ServerConfig::local(dataset) };
        DemoServer::start_in_background(config).expect("demo server starts")
    })
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
    })
}

fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap())
}

struct Answer {
    status: u16,
    content_type: String,
    request_id: Option<String>,
    body: Vec<u8>,
}

fn post(path: &str, body: Vec<u8>) -> Answer {
    let url = format!("{}{path}", server().url());
    runtime().block_on(async {
        let response = client()
            .post(&url)
            .header("authorization", "Bearer prop-test")
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("request to {url} failed: {e}"));
        let status = response.status().as_u16();
        let header =
            |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
        let content_type = header("content-type").unwrap_or_default();
        let request_id = header("x-request-id");
        let body = response.bytes().await.unwrap_or_else(|e| panic!("reading {url} failed: {e}")).to_vec();
        Answer { status, content_type, request_id, body }
    })
}

/// Any non-2xx answer must be a complete problem document naming the request.
fn check_error_shape(answer: &Answer) -> Result<(), TestCaseError> {
    let text = String::from_utf8_lossy(&answer.body);
    prop_assert!(answer.status < 500, "server error {}: {}", answer.status, text);
    prop_assert!(answer.request_id.is_some(), "no x-request-id");
    if answer.status >= 300 {
        prop_assert!(answer.content_type.starts_with("application/problem+json"), "{}", answer.content_type);
        let problem: Value =
            serde_json::from_slice(&answer.body).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&problem["status"], &json!(answer.status));
        prop_assert_eq!(&problem["requestId"], &json!(answer.request_id));
        prop_assert!(problem["detail"].as_str().is_some_and(|d| !d.is_empty()));
        prop_assert!(problem["code"].is_string() && problem["error"]["code"] == problem["code"]);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Strategies over the query model. Mostly well-formed shapes (so that many queries are
// valid), with a share of arbitrary combinations that validation must refuse cleanly.

fn field() -> impl Strategy<Value = Field> {
    select(View::Conversations.fields())
}

fn plain_field() -> impl Strategy<Value = Field> {
    select(View::Conversations.fields().into_iter().filter(|f| !f.is_json()).collect::<Vec<_>>())
}

fn json_field() -> impl Strategy<Value = Field> {
    select(vec![Field::Properties, Field::UserProperties])
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => select(vec![
            "source", "language", "tags", "resolved", "csat", "browser", "name", "version", "articles", "title",
            "userId", "userType", "identificationType", "supportAgentName", "id",
        ])
        .prop_map(str::to_string),
        1 => "[a-zA-Z0-9 '\"$.*\\[\\]_\\\\-]{1,8}",
    ]
}

fn json_path() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(key(), 1..3)
}

fn number() -> impl Strategy<Value = Number> {
    prop_oneof![
        (-5i64..50).prop_map(Number::from),
        any::<i64>().prop_map(Number::from),
        (-1.0e6f64..1.0e6).prop_filter_map("finite", Number::from_f64),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        select(vec![
            "openai",
            "support_ticket",
            "support_copilot",
            "slack",
            "widget",
            "en",
            "de",
            "true",
            "Chrome",
            "org_northwind",
            "int_lumenlabs_api",
            "2025-03-01",
            "2025-06-30T12:00:00Z",
            "2025-01-01T00:00:00+05:30",
            "",
            "%",
            "_",
            "' OR 1=1 --",
            "\u{0}",
        ])
        .prop_map(str::to_string),
        ".{0,12}",
    ]
}

fn scalar() -> impl Strategy<Value = Scalar> {
    prop_oneof![
        text().prop_map(Scalar::String),
        number().prop_map(Scalar::Number),
        any::<bool>().prop_map(Scalar::Bool)
    ]
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![scalar().prop_map(|s| s.to_json()), Just(Value::Null)]
}

fn json_doc() -> impl Strategy<Value = Map<String, Value>> {
    let value = json_leaf().prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    });
    prop::collection::btree_map(key(), value, 0..3).prop_map(|m| m.into_iter().collect())
}

fn path_target() -> impl Strategy<Value = PathTarget> {
    prop_oneof![
        3 => scalar().prop_map(PathTarget::Scalar),
        1 => prop::collection::vec(scalar(), 0..4).prop_map(PathTarget::List),
        1 => Just(PathTarget::Null),
    ]
}

fn filter_value() -> impl Strategy<Value = FilterValue> {
    prop_oneof![
        scalar().prop_map(FilterValue::Scalar),
        prop::collection::vec(scalar(), 0..4).prop_map(FilterValue::List),
        json_doc().prop_map(FilterValue::Json),
        (json_path(), path_target()).prop_map(|(path, value)| FilterValue::Path { path, value }),
        // `"value": null`: the demo must refuse it exactly where the validator does.
        Just(FilterValue::Null),
    ]
}

fn condition(field: Field, operator: Operator, value: Option<FilterValue>) -> Filter {
    Filter::Condition(Condition { field, operator, value })
}

fn comparison() -> impl Strategy<Value = Operator> {
    select(vec![Operator::Eq, Operator::Neq, Operator::Gt, Operator::Gte, Operator::Lt, Operator::Lte])
}

fn sensible_condition() -> impl Strategy<Value = Filter> {
    let types = || select(vec!["openai", "support_ticket", "support_copilot"]).prop_map(Scalar::from);
    let dates = || {
        select(vec![
            "2025-01-02",
            "2025-03-15T08:00:00Z",
            "2025-06-30T23:59:59.999Z",
            "2025-05-01T00:00:00+02:00",
        ])
        .prop_map(Scalar::from)
    };
    prop_oneof![
        (comparison(), (0i64..45).prop_map(Scalar::from)).prop_map(|(op, v)| condition(
            Field::UserMessageCount,
            op,
            Some(FilterValue::Scalar(v))
        )),
        (comparison(), types()).prop_map(|(op, v)| condition(Field::Type, op, Some(FilterValue::Scalar(v)))),
        (comparison(), dates()).prop_map(|(op, v)| condition(
            Field::FirstMessageTime,
            op,
            Some(FilterValue::Scalar(v))
        )),
        (select(vec![Operator::In, Operator::NotIn]), prop::collection::vec(types(), 1..3))
            .prop_map(|(op, v)| condition(Field::Type, op, Some(FilterValue::List(v)))),
        (field(), select(vec![Operator::IsNull, Operator::IsNotNull]))
            .prop_map(|(f, op)| condition(f, op, None)),
        (json_field(), comparison(), json_path(), scalar()).prop_map(|(f, op, path, v)| {
            condition(f, op, Some(FilterValue::Path { path, value: PathTarget::Scalar(v) }))
        }),
        (
            json_field(),
            select(vec![Operator::In, Operator::NotIn]),
            json_path(),
            prop::collection::vec(scalar(), 1..3)
        )
            .prop_map(|(f, op, path, v)| condition(
                f,
                op,
                Some(FilterValue::Path { path, value: PathTarget::List(v) })
            )),
        (json_field(), key()).prop_map(|(f, k)| {
            condition(f, Operator::JsonHasKey, Some(FilterValue::Scalar(Scalar::String(k))))
        }),
        (
            json_field(),
            select(vec![Operator::JsonHasAnyKey, Operator::JsonHasAllKeys]),
            prop::collection::vec(key(), 1..3)
        )
            .prop_map(|(f, op, keys)| {
                condition(f, op, Some(FilterValue::List(keys.into_iter().map(Scalar::String).collect())))
            }),
        (json_field(), select(vec![Operator::JsonContains, Operator::JsonContainedBy]), json_doc())
            .prop_map(|(f, op, doc)| condition(f, op, Some(FilterValue::Json(doc)))),
        (json_field(), json_path(), scalar()).prop_map(|(f, path, v)| {
            condition(
                f,
                Operator::ArrayContains,
                Some(FilterValue::Path { path, value: PathTarget::Scalar(v) }),
            )
        }),
        (json_field(), json_doc()).prop_map(|(f, doc)| condition(
            f,
            Operator::JsonArrayContainsObject,
            Some(FilterValue::Json(doc))
        )),
    ]
}

fn arbitrary_condition() -> impl Strategy<Value = Filter> {
    (field(), select(Operator::ALL.to_vec()), prop::option::of(filter_value()))
        .prop_map(|(f, op, value)| condition(f, op, value))
}

fn filter() -> impl Strategy<Value = Filter> {
    let leaf = prop_oneof![4 => sensible_condition(), 1 => arbitrary_condition()];
    leaf.prop_recursive(3, 12, 4, |inner| {
        prop_oneof![
            8 => prop::collection::vec(inner.clone(), 1..4).prop_map(Filter::And),
            8 => prop::collection::vec(inner.clone(), 1..4).prop_map(Filter::Or),
            1 => prop::collection::vec(inner, 0..2).prop_map(Filter::And),
        ]
    })
}

fn sensible_selection() -> impl Strategy<Value = Selection> {
    prop_oneof![
        plain_field().prop_map(Selection::field),
        (json_field(), prop::option::of(json_path())).prop_map(|(field, path)| Selection::Field {
            field,
            path,
            mode: None
        }),
        (json_field(), select(vec![FieldMode::Unpack, FieldMode::Json]))
            .prop_map(|(field, mode)| Selection::Field { field, path: None, mode: Some(mode) }),
        Just(Selection::count()),
        (select(Aggregation::ALL.to_vec()), plain_field()).prop_map(|(a, f)| Selection::aggregate(a, f)),
        (select(Aggregation::ALL.to_vec()), json_field(), json_path()).prop_map(
            |(aggregation, field, path)| {
                Selection::Aggregation { aggregation, field: Some(field), path: Some(path) }
            }
        ),
        (select(TimeUnit::ALL.to_vec()), prop::option::of(Just(Field::FirstMessageTime)))
            .prop_map(|(time_unit, field)| Selection::Time { time_unit, field }),
    ]
}

/// Arbitrary combinations, often invalid.
fn arbitrary_selection() -> impl Strategy<Value = Selection> {
    prop_oneof![
        (
            field(),
            prop::option::of(prop::collection::vec(key(), 0..2)),
            prop::option::of(select(vec![FieldMode::Unpack, FieldMode::Json]))
        )
            .prop_map(|(field, path, mode)| Selection::Field { field, path, mode }),
        (select(Aggregation::ALL.to_vec()), prop::option::of(field()), prop::option::of(json_path()))
            .prop_map(|(aggregation, field, path)| Selection::Aggregation { aggregation, field, path }),
        (select(TimeUnit::ALL.to_vec()), prop::option::of(field()))
            .prop_map(|(time_unit, field)| Selection::Time { time_unit, field }),
    ]
}

fn selection() -> impl Strategy<Value = Selection> {
    prop_oneof![8 => sensible_selection(), 1 => arbitrary_selection()]
}

fn group_by() -> impl Strategy<Value = GroupBy> {
    prop_oneof![
        4 => (plain_field(), prop::option::of(any::<bool>()))
            .prop_map(|(field, include)| GroupBy { field, path: None, include_in_select: include }),
        4 => (json_field(), json_path(), prop::option::of(any::<bool>()))
            .prop_map(|(field, path, include)| GroupBy { field, path: Some(path), include_in_select: include }),
        1 => (field(), prop::option::of(prop::collection::vec(key(), 0..2)), prop::option::of(any::<bool>()))
            .prop_map(|(field, path, include)| GroupBy { field, path, include_in_select: include }),
    ]
}

fn query() -> impl Strategy<Value = QueryBody> {
    (
        prop::collection::vec(selection(), 0..4),
        prop::collection::vec(group_by(), 0..3),
        prop::option::of(filter()),
        prop::option::of(prop_oneof![6 => ".{0,20}", 1 => ".{79,82}"]),
    )
        .prop_flat_map(|(select_items, group_by, filter, notes)| {
            let base = QueryBody {
                query: None,
                select: select_items,
                group_by,
                filter,
                order_by: Vec::new(),
                notes,
            };
            // Sort keys drawn mostly from the columns the query produces, and always from the
            // published closed set: the app never sends anything else (the real server would
            // refuse it), so the generator does not either.
            let mut produced: Vec<String> = result_columns(View::Conversations, &base)
                .into_iter()
                .map(|column| column.name)
                .filter(|name| is_published_order_by_field(View::Conversations, name))
                .collect();
            // In the set, but not always produced: exercises "no such column" (422).
            let others: Vec<String> = ["count_id", "id", "sum_userMessageCount", "firstMessageTime_week"]
                .map(str::to_string)
                .to_vec();
            if produced.is_empty() {
                produced.clone_from(&others);
            }
            let name = prop_oneof![9 => select(produced), 1 => select(others)];
            let order = (name, select(vec![Direction::Asc, Direction::Desc]))
                .prop_map(|(field, direction)| OrderBy { field, direction });
            prop::collection::vec(order, 0..3)
                .prop_map(move |order_by| QueryBody { order_by, ..base.clone() })
        })
}

/// Data rows of an export, as a CSV reader counts them (it skips empty lines, so a row or a
/// header written as one would be lost: the store writes `""` and never an empty header).
fn csv_row_count(body: &[u8]) -> u64 {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(body);
    // Every record must parse: a malformed CSV is a failure, not a shorter count.
    reader.records().collect::<Result<Vec<_>, _>>().unwrap().len() as u64
}

// ---------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Valid queries are answered with a true envelope, and their export has exactly `total`
    /// rows; invalid ones (all inside the published schema) are refused with 422. Nothing is
    /// a 500.
    #[test]
    fn random_queries_never_fail_the_server(query in query()) {
        let body = serde_json::to_vec(&query).unwrap();
        let answer = post("/query/conversations", body.clone());
        check_error_shape(&answer)?;
        // The generator stays inside the published schema, so a refusal is never a 400.
        let outside = published_schema_problems(View::Conversations, &query);
        prop_assert!(outside.is_empty(), "outside the published schema: {:?}", outside);
        let problems = validate(View::Conversations, &query);
        let text = String::from_utf8_lossy(&answer.body).into_owned();
        if !problems.is_empty() {
            prop_assert_eq!(answer.status, 422, "invalid query {} answered: {}", String::from_utf8_lossy(&body), text);
            return Ok(());
        }
        prop_assert_eq!(answer.status, 200, "valid query {} answered: {}", String::from_utf8_lossy(&body), text);
        let root: Value = serde_json::from_slice(&answer.body).unwrap();
        let data = &root["data"];
        let total = data["total"].as_u64().unwrap();
        let count = data["count"].as_u64().unwrap();
        prop_assert_eq!(data["pageSize"].as_u64(), Some(PAGE_SIZE as u64));
        prop_assert_eq!(count, data["result"].as_array().unwrap().len() as u64);
        prop_assert_eq!(count, total.min(PAGE_SIZE as u64));

        let export = post("/query/conversations/export", body);
        check_error_shape(&export)?;
        prop_assert_eq!(export.status, 200, "export failed: {}", String::from_utf8_lossy(&export.body));
        prop_assert!(export.content_type.starts_with("text/csv"));
        prop_assert_eq!(csv_row_count(&export.body), total, "export rows = total");
    }

    /// Arbitrary bytes, and damaged versions of a valid query, to every endpoint: never a 500,
    /// always a well-formed problem when refused.
    #[test]
    fn random_bodies_never_fail_the_server(
        body in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..256),
            (query(), prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4)).prop_map(|(q, edits)| {
                let mut bytes = serde_json::to_vec(&q).unwrap();
                for (index, byte) in edits {
                    if bytes.is_empty() { break; }
                    let at = index.index(bytes.len());
                    if byte % 3 == 0 { bytes.remove(at); } else { bytes[at] = byte; }
                }
                bytes
            }),
            any::<Vec<(String, u8)>>().prop_map(|pairs| serde_json::to_vec(&pairs).unwrap()),
        ],
        path in select(vec!["/query/conversations", "/query/conversations/export", "/query/property-keys", "/query/property-values"]),
    ) {
        let answer = post(path, body);
        check_error_shape(&answer)?;
    }
}

#[test]
fn random_query_strategy_produces_valid_queries_often() {
    // The property above only means something if many generated queries are valid.
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = query();
    let valid = (0..400)
        .filter(|_| {
            validate(View::Conversations, &strategy.new_tree(&mut runner).unwrap().current()).is_empty()
        })
        .count();
    eprintln!("{valid} of 400 generated queries are valid");
    assert!(valid >= 120, "only {valid} of 400 generated queries are valid");
    assert!(valid <= 360, "{valid} of 400 generated queries are valid: invalid ones are exercised too");
}

#[test]
fn every_generated_query_is_inside_the_published_schema() {
    // Independently of the validator: every sort key the generator draws is in the closed set.
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = query();
    let mut sorted = 0;
    for _ in 0..400 {
        let query = strategy.new_tree(&mut runner).unwrap().current();
        for order in &query.order_by {
            assert!(
                is_published_order_by_field(View::Conversations, &order.field),
                "{} outside the set",
                order.field
            );
        }
        sorted += usize::from(!query.order_by.is_empty());
        let outside = published_schema_problems(View::Conversations, &query);
        assert!(outside.is_empty(), "{}: {outside:?}", serde_json::to_string(&query).unwrap());
    }
    assert!(sorted >= 100, "only {sorted} of 400 generated queries sort at all");
}
