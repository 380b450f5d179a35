//! The wire contract of `API.md`, checked against literal JSON documents: every shape of the
//! query body round-trips exactly; everything else is refused with the path of the offending
//! part; validation reports each rule's problem at the right path; result columns are named
//! by the API's rules.

// The helpers below are test code too; clippy's allow-unwrap-in-tests only covers `#[test]` fns.
#![allow(clippy::unwrap_used)]

use inkeep_explorer::api::columns::{
    ColumnSource, is_published_order_by_field, produces_column, result_columns,
};
use inkeep_explorer::api::query::{
    Aggregation, Condition, Direction, Field, FieldMode, Filter, FilterValue, GroupBy, Operator, OrderBy,
    PathTarget, QueryBody, Scalar, Selection, TimeUnit, parse_query, query_from_value,
};
use inkeep_explorer::api::validate::{MAX_BODY_BYTES, MAX_NOTES_CHARS, Problem, validate, validate_for_send};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Parses the literal document (as text, the way a body arrives), checks that it equals
/// `expected`, and that both it and `expected` serialise back to exactly the literal: the
/// same JSON value and the same key order.
fn assert_round_trip(doc: Value, expected: &QueryBody) {
    let text = serde_json::to_string_pretty(&doc).unwrap();
    let parsed = parse_query(&text).unwrap_or_else(|err| panic!("{doc} did not parse: {err}"));
    assert_eq!(&parsed, expected, "parsed value of {doc}");
    assert_eq!(query_from_value(&doc).unwrap(), parsed, "query_from_value of {doc}");
    let back = serde_json::to_value(&parsed).unwrap();
    assert_eq!(back, doc, "serialised form of {doc}");
    // `Value` equality ignores key order; the documented order is part of "exact JSON".
    assert_eq!(serde_json::to_string(expected).unwrap(), serde_json::to_string(&doc).unwrap());
}

fn body_with_select(select: Vec<Selection>) -> QueryBody {
    QueryBody { select, ..QueryBody::default() }
}

fn body_with_filter(filter: Filter) -> QueryBody {
    QueryBody { filter: Some(filter), ..QueryBody::default() }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// Parses `text`, which must fail, and returns (path, message).
fn rejection(text: &str) -> (String, String) {
    match parse_query(text) {
        Ok(body) => panic!("{text} was accepted as {body:?}"),
        Err(err) => (err.path, err.message),
    }
}

fn assert_rejected(text: &str, path: &str, fragment: &str) {
    let (got_path, message) = rejection(text);
    assert_eq!(got_path, path, "path for {text} (message: {message})");
    assert!(
        message.contains(fragment),
        "message for {text} is {message:?}, expected it to contain {fragment:?}"
    );
}

/// The problems validation finds in a literal document (which must parse).
fn problems(doc: Value) -> Vec<Problem> {
    let body = query_from_value(&doc).unwrap_or_else(|err| panic!("{doc} did not parse: {err}"));
    validate(&body)
}

/// Exactly one problem, at `path`, whose message contains `fragment`.
fn assert_problem(doc: Value, path: &str, fragment: &str) {
    let found = problems(doc.clone());
    assert_eq!(found.len(), 1, "expected one problem in {doc}, got {found:#?}");
    assert_eq!(found[0].path, path, "path of the problem in {doc}: {found:#?}");
    assert!(
        found[0].message.contains(fragment),
        "message {:?} for {doc} should contain {fragment:?}",
        found[0].message
    );
}

fn assert_valid(doc: Value) {
    let found = problems(doc.clone());
    assert!(found.is_empty(), "expected {doc} to be valid, got {found:#?}");
}

fn condition(field: &str, operator: &str, value: Option<Value>) -> Value {
    let mut condition = json!({"field": field, "operator": operator});
    if let Some(value) = value {
        condition["value"] = value;
    }
    json!({"where": {"condition": condition}})
}

// ---------------------------------------------------------------------------------------------
// Round trips: every documented shape
// ---------------------------------------------------------------------------------------------

#[test]
fn empty_body_is_raw_rows_and_serialises_to_an_empty_object() {
    assert_round_trip(json!({}), &QueryBody::default());
    assert_eq!(serde_json::to_string(&QueryBody::default()).unwrap(), "{}");
}

#[test]
fn field_selection_of_every_field() {
    let names = [
        ("id", Field::Id),
        ("userMessageCount", Field::UserMessageCount),
        ("organizationId", Field::OrganizationId),
        ("projectId", Field::ProjectId),
        ("integrationId", Field::IntegrationId),
        ("firstMessageTime", Field::FirstMessageTime),
        ("type", Field::Type),
        ("properties", Field::Properties),
        ("userProperties", Field::UserProperties),
    ];
    assert_eq!(names.len(), Field::ALL.len());
    for (name, field) in names {
        assert_eq!(field.as_str(), name);
        assert_eq!(Field::from_name(name), Some(field));
        assert_round_trip(
            json!({"select": [{"type": "field", "field": name}]}),
            &body_with_select(vec![Selection::Field { field, path: None, mode: None }]),
        );
    }
}

#[test]
fn field_selection_with_path_and_modes() {
    assert_round_trip(
        json!({"select": [
            {"type": "field", "field": "properties", "path": ["source"]},
            {"type": "field", "field": "userProperties", "path": ["userId"]},
            {"type": "field", "field": "properties", "path": ["context", "page", "url"]},
            {"type": "field", "field": "properties", "mode": "unpack"},
            {"type": "field", "field": "userProperties", "mode": "json"},
            {"type": "field", "field": "properties", "path": ["source"], "mode": "unpack"}
        ]}),
        &body_with_select(vec![
            Selection::field_path(Field::Properties, &["source"]),
            Selection::field_path(Field::UserProperties, &["userId"]),
            Selection::field_path(Field::Properties, &["context", "page", "url"]),
            Selection::Field { field: Field::Properties, path: None, mode: Some(FieldMode::Unpack) },
            Selection::Field { field: Field::UserProperties, path: None, mode: Some(FieldMode::Json) },
            Selection::Field {
                field: Field::Properties,
                path: Some(strings(&["source"])),
                mode: Some(FieldMode::Unpack),
            },
        ]),
    );
}

#[test]
fn every_aggregation_with_and_without_field_and_path() {
    let names = [
        ("sum", Aggregation::Sum),
        ("count", Aggregation::Count),
        ("countDistinct", Aggregation::CountDistinct),
        ("avg", Aggregation::Avg),
        ("min", Aggregation::Min),
        ("max", Aggregation::Max),
    ];
    assert_eq!(names.len(), Aggregation::ALL.len());
    for (name, aggregation) in names {
        assert_eq!(aggregation.as_str(), name);
        assert_round_trip(
            json!({"select": [
                {"type": "aggregation", "aggregation": name},
                {"type": "aggregation", "aggregation": name, "field": "userMessageCount"},
                {"type": "aggregation", "aggregation": name, "field": "userProperties", "path": ["userId"]}
            ]}),
            &body_with_select(vec![
                Selection::Aggregation { aggregation, field: None, path: None },
                Selection::Aggregation { aggregation, field: Some(Field::UserMessageCount), path: None },
                Selection::Aggregation {
                    aggregation,
                    field: Some(Field::UserProperties),
                    path: Some(strings(&["userId"])),
                },
            ]),
        );
    }
}

#[test]
fn every_time_unit_with_and_without_field() {
    let names = [
        ("hour", TimeUnit::Hour),
        ("day", TimeUnit::Day),
        ("week", TimeUnit::Week),
        ("month", TimeUnit::Month),
    ];
    assert_eq!(names.len(), TimeUnit::ALL.len());
    for (name, time_unit) in names {
        assert_eq!(TimeUnit::from_name(name), Some(time_unit));
        assert_round_trip(
            json!({"select": [
                {"type": "time", "timeUnit": name},
                {"type": "time", "timeUnit": name, "field": "firstMessageTime"}
            ]}),
            &body_with_select(vec![
                Selection::Time { time_unit, field: None },
                Selection::Time { time_unit, field: Some(Field::FirstMessageTime) },
            ]),
        );
    }
}

#[test]
fn group_by_with_and_without_include_in_select() {
    assert_round_trip(
        json!({"groupBy": [
            {"field": "type"},
            {"field": "properties", "path": ["source"]},
            {"field": "projectId", "includeInSelect": false},
            {"field": "userProperties", "path": ["userType"], "includeInSelect": true}
        ]}),
        &QueryBody {
            group_by: vec![
                GroupBy::field(Field::Type),
                GroupBy::path(Field::Properties, &["source"]),
                GroupBy { field: Field::ProjectId, path: None, include_in_select: Some(false) },
                GroupBy {
                    field: Field::UserProperties,
                    path: Some(strings(&["userType"])),
                    include_in_select: Some(true),
                },
            ],
            ..QueryBody::default()
        },
    );
    // The documented default.
    assert!(GroupBy::field(Field::Type).includes_in_select());
    assert!(!GroupBy { field: Field::Type, path: None, include_in_select: Some(false) }.includes_in_select());
}

#[test]
fn every_operator_round_trips() {
    // (wire name, operator, field, value): one document per operator, each with a value the
    // operator documents.
    let cases: [(&str, Operator, &str, Option<Value>); 17] = [
        ("eq", Operator::Eq, "type", Some(json!("openai"))),
        ("neq", Operator::Neq, "type", Some(json!("support_ticket"))),
        ("gt", Operator::Gt, "userMessageCount", Some(json!(3))),
        ("gte", Operator::Gte, "firstMessageTime", Some(json!("2024-05-01T00:00:00Z"))),
        ("lt", Operator::Lt, "userMessageCount", Some(json!(10))),
        ("lte", Operator::Lte, "firstMessageTime", Some(json!("2024-06-01"))),
        ("in", Operator::In, "type", Some(json!(["openai", "support_copilot"]))),
        ("notIn", Operator::NotIn, "projectId", Some(json!(["p1", "p2"]))),
        (
            "arrayContains",
            Operator::ArrayContains,
            "properties",
            Some(json!({"path": ["tags"], "value": "billing"})),
        ),
        ("jsonContains", Operator::JsonContains, "properties", Some(json!({"source": "slack"}))),
        (
            "jsonContainedBy",
            Operator::JsonContainedBy,
            "userProperties",
            Some(json!({"userType": "admin", "x": 1})),
        ),
        ("jsonHasKey", Operator::JsonHasKey, "userProperties", Some(json!("supportAgentEmail"))),
        (
            "jsonArrayContainsObject",
            Operator::JsonArrayContainsObject,
            "properties",
            Some(json!({"id": "42"})),
        ),
        ("jsonHasAnyKey", Operator::JsonHasAnyKey, "properties", Some(json!(["source", "channel"]))),
        ("jsonHasAllKeys", Operator::JsonHasAllKeys, "userProperties", Some(json!(["id", "userId"]))),
        ("isNull", Operator::IsNull, "integrationId", None),
        ("isNotNull", Operator::IsNotNull, "type", None),
    ];
    let mut seen = Vec::new();
    for (name, operator, field, value) in cases {
        assert_eq!(operator.as_str(), name);
        assert!(Operator::ALL.contains(&operator));
        assert!(!seen.contains(&operator), "{name} listed twice");
        seen.push(operator);
        let doc = condition(field, name, value.clone());
        let expected = body_with_filter(Filter::Condition(Condition {
            field: Field::from_name(field).unwrap(),
            operator,
            value: value.map(|v| FilterValue::from_json(&v).unwrap()),
        }));
        assert_round_trip(doc.clone(), &expected);
        // Each of these documents is also a valid query.
        assert_valid(doc);
    }
    assert_eq!(seen.len(), Operator::ALL.len());
}

#[test]
fn every_value_form_round_trips() {
    let cases: Vec<(Value, FilterValue)> = vec![
        (json!("openai"), FilterValue::Scalar(Scalar::String("openai".into()))),
        (json!(""), FilterValue::Scalar(Scalar::String(String::new()))),
        (json!(42), FilterValue::Scalar(Scalar::from(42))),
        (json!(-7), FilterValue::Scalar(Scalar::from(-7))),
        (json!(2.5), FilterValue::Scalar(Scalar::Number(serde_json::Number::from_f64(2.5).unwrap()))),
        (json!(u64::MAX), FilterValue::Scalar(Scalar::Number(u64::MAX.into()))),
        (json!(true), FilterValue::Scalar(Scalar::Bool(true))),
        (json!(false), FilterValue::Scalar(Scalar::Bool(false))),
        (
            json!(["a", 1, true]),
            FilterValue::List(vec![Scalar::from("a"), Scalar::from(1), Scalar::from(true)]),
        ),
        (json!([]), FilterValue::List(vec![])),
        (
            json!({"source": "slack", "nested": {"deep": [1, null, {"k": "v"}]}}),
            FilterValue::Json(
                json!({"source": "slack", "nested": {"deep": [1, null, {"k": "v"}]}})
                    .as_object()
                    .unwrap()
                    .clone(),
            ),
        ),
        (json!({}), FilterValue::Json(serde_json::Map::new())),
        (
            json!({"path": ["source"], "value": "slack"}),
            FilterValue::Path {
                path: strings(&["source"]),
                value: PathTarget::Scalar(Scalar::from("slack")),
            },
        ),
        (
            json!({"path": ["a", "b"], "value": 3}),
            FilterValue::Path { path: strings(&["a", "b"]), value: PathTarget::Scalar(Scalar::from(3)) },
        ),
        (
            json!({"path": ["source"], "value": ["slack", "web"]}),
            FilterValue::Path {
                path: strings(&["source"]),
                value: PathTarget::List(vec![Scalar::from("slack"), Scalar::from("web")]),
            },
        ),
        (
            json!({"path": ["source"], "value": null}),
            FilterValue::Path { path: strings(&["source"]), value: PathTarget::Null },
        ),
        // An object with other keys besides path/value is a JSON document, not a pair.
        (
            json!({"path": ["a"], "value": 1, "other": 2}),
            FilterValue::Json(json!({"path": ["a"], "value": 1, "other": 2}).as_object().unwrap().clone()),
        ),
    ];
    for (value, expected) in cases {
        let doc = json!({"where": {"condition": {"field": "properties", "operator": "eq", "value": value}}});
        assert_round_trip(
            doc,
            &body_with_filter(Filter::condition(Field::Properties, Operator::Eq, Some(expected))),
        );
    }
    // No value at all.
    assert_round_trip(
        json!({"where": {"condition": {"field": "properties", "operator": "isNull"}}}),
        &body_with_filter(Filter::condition(Field::Properties, Operator::IsNull, None)),
    );
}

#[test]
fn nested_and_or_round_trip() {
    let doc = json!({"where": {"and": [
        {"or": [
            {"condition": {"field": "type", "operator": "eq", "value": "openai"}},
            {"and": [
                {"condition": {"field": "type", "operator": "eq", "value": "support_ticket"}},
                {"condition": {"field": "userMessageCount", "operator": "gte", "value": 2}}
            ]}
        ]},
        {"condition": {"field": "properties", "operator": "jsonHasKey", "value": "source"}},
        {"or": []}
    ]}});
    let expected = body_with_filter(Filter::And(vec![
        Filter::Or(vec![
            Filter::condition(Field::Type, Operator::Eq, Some(FilterValue::Scalar("openai".into()))),
            Filter::And(vec![
                Filter::condition(
                    Field::Type,
                    Operator::Eq,
                    Some(FilterValue::Scalar("support_ticket".into())),
                ),
                Filter::condition(
                    Field::UserMessageCount,
                    Operator::Gte,
                    Some(FilterValue::Scalar(2.into())),
                ),
            ]),
        ]),
        Filter::condition(
            Field::Properties,
            Operator::JsonHasKey,
            Some(FilterValue::Scalar("source".into())),
        ),
        Filter::Or(vec![]),
    ]));
    assert_round_trip(doc, &expected);
    assert_eq!(expected.filter.as_ref().unwrap().condition_count(), 4);
}

#[test]
fn order_by_both_directions_and_notes() {
    assert_round_trip(
        json!({
            "select": [{"type": "aggregation", "aggregation": "count"}],
            "groupBy": [{"field": "type"}],
            "orderBy": [{"field": "count", "direction": "desc"}, {"field": "type", "direction": "asc"}],
            "notes": "Weekly review — tickets by type ✓"
        }),
        &QueryBody {
            select: vec![Selection::count()],
            group_by: vec![GroupBy::field(Field::Type)],
            order_by: vec![
                OrderBy { field: "count".into(), direction: Direction::Desc },
                OrderBy { field: "type".into(), direction: Direction::Asc },
            ],
            notes: Some("Weekly review — tickets by type ✓".into()),
            ..QueryBody::default()
        },
    );
}

#[test]
fn a_full_document_round_trips_in_documented_key_order() {
    let text = r#"{"select":[{"type":"time","timeUnit":"day"},{"type":"aggregation","aggregation":"count"},{"type":"aggregation","aggregation":"countDistinct","field":"userProperties","path":["userId"]}],"groupBy":[{"field":"type"},{"field":"properties","path":["source"],"includeInSelect":false}],"where":{"and":[{"condition":{"field":"firstMessageTime","operator":"gte","value":"2024-05-01T00:00:00Z"}},{"condition":{"field":"properties","operator":"eq","value":{"path":["source"],"value":"slack"}}}]},"orderBy":[{"field":"firstMessageTime_day","direction":"asc"}],"notes":"daily"}"#;
    let body = parse_query(text).unwrap();
    assert_eq!(serde_json::to_string(&body).unwrap(), text);
    assert!(validate(&body).is_empty(), "{:#?}", validate(&body));
}

#[test]
fn builders_omit_absent_optionals() {
    assert_eq!(
        serde_json::to_value(Selection::count()).unwrap(),
        json!({"type": "aggregation", "aggregation": "count"})
    );
    assert_eq!(
        serde_json::to_value(Selection::time(TimeUnit::Week)).unwrap(),
        json!({"type": "time", "timeUnit": "week"})
    );
    assert_eq!(
        serde_json::to_value(Selection::field(Field::Id)).unwrap(),
        json!({"type": "field", "field": "id"})
    );
    assert_eq!(
        serde_json::to_value(Selection::aggregate(Aggregation::Avg, Field::UserMessageCount)).unwrap(),
        json!({"type": "aggregation", "aggregation": "avg", "field": "userMessageCount"})
    );
    assert_eq!(serde_json::to_value(GroupBy::field(Field::Type)).unwrap(), json!({"field": "type"}));
    assert_eq!(
        serde_json::to_value(Filter::condition(Field::Type, Operator::IsNotNull, None)).unwrap(),
        json!({"condition": {"field": "type", "operator": "isNotNull"}})
    );
}

#[test]
fn a_null_value_is_kept_apart_from_no_value() {
    // The published schema types `value` as any JSON: `null` is read, and written back, as null.
    let text = r#"{"where":{"condition":{"field":"type","operator":"isNull","value":null}}}"#;
    let body = parse_query(text).unwrap();
    assert_eq!(
        body,
        body_with_filter(Filter::condition(Field::Type, Operator::IsNull, Some(FilterValue::Null)))
    );
    assert_eq!(serde_json::to_string(&body).unwrap(), text);
    let absent = r#"{"where":{"condition":{"field":"type","operator":"isNull"}}}"#;
    assert_eq!(serde_json::to_string(&parse_query(absent).unwrap()).unwrap(), absent);
    // For the null tests, null means "no value"; elsewhere it is refused with a way out.
    assert_valid(json!({"where": {"condition": {"field": "type", "operator": "isNull", "value": null}}}));
    assert_valid(
        json!({"where": {"condition": {"field": "properties", "operator": "isNotNull", "value": null}}}),
    );
    for operator in ["eq", "neq"] {
        assert_problem(
            json!({"where": {"condition": {"field": "type", "operator": operator, "value": null}}}),
            "where.condition.value",
            "Comparing with null matches nothing; use the operator isNull (or isNotNull).",
        );
    }
    assert_problem(
        json!({"where": {"condition": {"field": "userMessageCount", "operator": "gt", "value": null}}}),
        "where.condition.value",
        "`gt` needs one value, not null.",
    );
    // Inside JSON, `{path, value: null}` with eq is how a missing value is tested.
    assert_valid(
        json!({"where": {"condition": {"field": "properties", "operator": "eq", "value": {"path": ["source"], "value": null}}}}),
    );
}

// ---------------------------------------------------------------------------------------------
// Rejections, with the path of the offending part
// ---------------------------------------------------------------------------------------------

#[test]
fn unknown_keys_are_rejected_where_they_are() {
    assert_rejected(r#"{"selct":[]}"#, "selct", "unknown field `selct`");
    assert_rejected(
        r#"{"select":[{"type":"field","field":"type"},{"type":"aggregation","aggregation":"count","extra":1}]}"#,
        "select[1].extra",
        "unknown field `extra`",
    );
    assert_rejected(
        r#"{"groupBy":[{"field":"type","includeInSelection":true}]}"#,
        "groupBy[0].includeInSelection",
        "unknown field",
    );
    assert_rejected(
        r#"{"where":{"condition":{"field":"type","operator":"eq","valu":"openai"}}}"#,
        "where.condition.valu",
        "unknown field `valu`",
    );
    assert_rejected(
        r#"{"orderBy":[{"field":"count","direction":"asc","nulls":"last"}]}"#,
        "orderBy[0].nulls",
        "unknown field",
    );
    assert_rejected(r#"{"where":{"conditions":{}}}"#, "where.conditions", "unknown field `conditions`");
}

#[test]
fn keys_of_another_selection_shape_are_rejected() {
    // `type` first: the foreign key itself is named.
    assert_rejected(
        r#"{"select":[{"type":"aggregation","aggregation":"count","mode":"json"}]}"#,
        "select[0].mode",
        "does not belong in a selection of type `aggregation`",
    );
    assert_rejected(
        r#"{"select":[{"type":"time","timeUnit":"day","path":["x"]}]}"#,
        "select[0].path",
        "does not belong in a selection of type `time`",
    );
    // `type` last: only known at the end, so the selection is named.
    assert_rejected(
        r#"{"select":[{"timeUnit":"day","type":"field","field":"id"}]}"#,
        "select[0]",
        "`timeUnit` does not belong in a selection of type `field`",
    );
}

#[test]
fn unknown_names_are_rejected_at_their_key() {
    assert_rejected(
        r#"{"where":{"and":[{"condition":{"field":"type","operator":"eq","value":"openai"}},{"condition":{"field":"type","operator":"neq","value":"x"}},{"condition":{"field":"type","operator":"bogus","value":1}}]}}"#,
        "where.and[2].condition.operator",
        "unknown variant `bogus`",
    );
    assert_rejected(
        r#"{"where":{"or":[{"and":[{"condition":{"field":"id","operator":"eq","value":"a"}},{"condition":{"field":"id","operator":"like","value":"b"}}]}]}}"#,
        "where.or[0].and[1].condition.operator",
        "unknown variant `like`",
    );
    assert_rejected(
        r#"{"where":{"condition":{"field":"name","operator":"eq","value":"a"}}}"#,
        "where.condition.field",
        "unknown variant `name`",
    );
    assert_rejected(r#"{"select":[{"type":"chart"}]}"#, "select[0].type", "unknown variant `chart`");
    assert_rejected(
        r#"{"select":[{"type":"field","field":"type"},{"type":"aggregation","aggregation":"median"}]}"#,
        "select[1].aggregation",
        "unknown variant `median`",
    );
    assert_rejected(
        r#"{"select":[{"type":"time","timeUnit":"year"}]}"#,
        "select[0].timeUnit",
        "unknown variant `year`",
    );
    assert_rejected(
        r#"{"select":[{"type":"field","field":"nope"}]}"#,
        "select[0].field",
        "unknown variant `nope`",
    );
    assert_rejected(
        r#"{"select":[{"type":"field","field":"properties","mode":"flat"}]}"#,
        "select[0].mode",
        "unknown variant `flat`",
    );
    assert_rejected(
        r#"{"orderBy":[{"field":"count","direction":"up"}]}"#,
        "orderBy[0].direction",
        "unknown variant `up`",
    );
}

#[test]
fn wrong_value_types_are_rejected_at_their_key() {
    assert_rejected(r#"{"notes":5}"#, "notes", "expected a string");
    assert_rejected(r#"{"select":{}}"#, "select", "expected a sequence");
    assert_rejected(
        r#"{"select":[{"type":"field","field":"properties","path":"source"}]}"#,
        "select[0].path",
        "expected a sequence",
    );
    assert_rejected(
        r#"{"select":[{"type":"field","field":"properties","path":["a",1]}]}"#,
        "select[0].path[1]",
        "expected a string",
    );
    assert_rejected(r#"{"select":["count"]}"#, "select[0]", "expected a selection object");
    assert_rejected(
        r#"{"groupBy":[{"field":"type","includeInSelect":"yes"}]}"#,
        "groupBy[0].includeInSelect",
        "expected a boolean",
    );
    assert_rejected(
        r#"{"orderBy":[{"field":3,"direction":"asc"}]}"#,
        "orderBy[0].field",
        "expected a string",
    );
    assert_rejected(r#"{"where":{"and":{}}}"#, "where.and", "expected a sequence");
    assert_rejected(
        r#"{"where":{"condition":{"field":"type","operator":"in","value":["a",["b"]]}}}"#,
        "where.condition.value",
        "list item [1] must be a string, number or boolean",
    );
    assert_rejected(
        r#"{"where":{"condition":{"field":"properties","operator":"eq","value":{"path":"source","value":"x"}}}}"#,
        "where.condition.value",
        "`path` must be an array of strings",
    );
    assert_rejected(
        r#"{"where":{"condition":{"field":"properties","operator":"in","value":{"path":["s"],"value":[1,[2]]}}}}"#,
        "where.condition.value",
        "list item [1]",
    );
}

#[test]
fn missing_and_repeated_keys_are_rejected() {
    assert_rejected(r#"{"select":[{"field":"type"}]}"#, "select[0]", "missing field `type`");
    assert_rejected(r#"{"select":[{"type":"field"}]}"#, "select[0]", "missing field `field`");
    assert_rejected(
        r#"{"select":[{"type":"aggregation","field":"id"}]}"#,
        "select[0]",
        "missing field `aggregation`",
    );
    assert_rejected(r#"{"select":[{"type":"time"}]}"#, "select[0]", "missing field `timeUnit`");
    assert_rejected(r#"{"orderBy":[{"field":"count"}]}"#, "orderBy[0]", "missing field `direction`");
    assert_rejected(
        r#"{"where":{"condition":{"field":"type","value":"x"}}}"#,
        "where.condition",
        "missing field `operator`",
    );
    assert_rejected(
        r#"{"select":[{"type":"field","field":"id","field":"type"}]}"#,
        "select[0].field",
        "duplicate field `field`",
    );
}

#[test]
fn a_filter_has_exactly_one_key() {
    assert_rejected(r#"{"where":{}}"#, "where", "this one is empty");
    assert_rejected(
        r#"{"where":{"condition":{"field":"type","operator":"isNull"},"and":[]}}"#,
        "where.and",
        "has both `condition` and `and`",
    );
    assert_rejected(r#"{"where":{"and":[{}]}}"#, "where.and[0]", "this one is empty");
    assert_rejected(r#"{"where":"type = openai"}"#, "where", "expected a filter object");
}

#[test]
fn only_objects_are_read_as_objects() {
    // serde's derived structs would take positional arrays; the API documents objects.
    assert_rejected("[]", "", "expected a query object");
    assert_rejected(r#"[[{"type":"field","field":"type"}]]"#, "", "expected a query object");
    assert_rejected(r#"{"orderBy":[["count","desc"]]}"#, "orderBy[0]", "expected an order-by object");
    assert_rejected(r#"{"groupBy":[["type"]]}"#, "groupBy[0]", "expected a group-by object");
    assert_rejected(
        r#"{"where":{"condition":["type","isNull"]}}"#,
        "where.condition",
        "expected a condition object",
    );
    assert_rejected(r#"{"select":[["field","type"]]}"#, "select[0]", "expected a selection object");
    assert!(query_from_value(&json!([])).is_err());
}

#[test]
fn bad_json_syntax_reports_line_and_column() {
    let text = "{\n  \"notes\": \"weekly\"\n  \"select\": []\n}";
    let err = parse_query(text).unwrap_err();
    assert_eq!((err.line, err.column), (3, 3), "{err:?}");
    assert!(err.message.contains("expected `,` or `}`"), "{}", err.message);
    assert!(!err.message.contains(" at line "), "position is reported separately: {}", err.message);

    let err = parse_query("{\"select\": [\n  {\"type\": \"field\", \"field\": \"id\",}\n]}").unwrap_err();
    assert_eq!(err.line, 2, "{err:?}");
    assert!(err.message.contains("trailing comma"), "{}", err.message);

    let err = parse_query("{\"notes\": \"unterminated").unwrap_err();
    assert!(err.message.contains("EOF"), "{}", err.message);

    let err = parse_query("{} {}").unwrap_err();
    assert_eq!(err.path, "");
    assert_eq!((err.line, err.column), (1, 4));
    assert!(err.message.contains("trailing characters"));
}

#[test]
fn parse_errors_read_as_sentences_with_path_and_position() {
    let err = parse_query(r#"{"where":{"condition":{"field":"type","operator":"bogus"}}}"#).unwrap_err();
    assert_eq!(err.path, "where.condition.operator");
    assert_eq!(err.line, 1);
    assert_eq!(err.column, 56);
    let shown = err.to_string();
    assert!(shown.starts_with("unknown variant `bogus`"), "{shown}");
    assert!(shown.ends_with(" at `where.condition.operator` (line 1, column 56)"), "{shown}");

    // From an already-parsed value there is no position.
    let err = query_from_value(&json!({"select": [{"type": "time", "timeUnit": "decade"}]})).unwrap_err();
    assert_eq!(err.path, "select[0].timeUnit");
    assert_eq!((err.line, err.column), (0, 0));
    assert!(!err.to_string().contains("line"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

#[test]
fn valid_queries_have_no_problems() {
    // Conversations per day per type, last month, only from Slack, busiest days first.
    assert_valid(json!({
        "select": [
            {"type": "time", "timeUnit": "day"},
            {"type": "aggregation", "aggregation": "count"},
            {"type": "aggregation", "aggregation": "avg", "field": "userMessageCount"},
            {"type": "aggregation", "aggregation": "countDistinct", "field": "userProperties", "path": ["userId"]}
        ],
        "groupBy": [{"field": "type"}],
        "where": {"and": [
            {"condition": {"field": "firstMessageTime", "operator": "gte", "value": "2024-05-01T00:00:00Z"}},
            {"condition": {"field": "firstMessageTime", "operator": "lt", "value": "2024-06-01"}},
            {"condition": {"field": "type", "operator": "in", "value": ["openai", "support_ticket"]}},
            {"condition": {"field": "properties", "operator": "eq", "value": {"path": ["source"], "value": "slack"}}},
            {"or": [
                {"condition": {"field": "integrationId", "operator": "isNull"}},
                {"condition": {"field": "userMessageCount", "operator": "gt", "value": 1}}
            ]}
        ]},
        "orderBy": [{"field": "avg_userMessageCount", "direction": "desc"}, {"field": "firstMessageTime_day", "direction": "asc"}],
        "notes": "Daily volume by type"
    }));
    assert_valid(json!({}));
    // Raw rows may be sorted by any field.
    assert_valid(json!({"orderBy": [{"field": "firstMessageTime", "direction": "desc"}]}));
    assert_valid(json!({
        "select": [
            {"type": "field", "field": "id"},
            {"type": "field", "field": "properties"},
            {"type": "field", "field": "userProperties", "mode": "json"}
        ],
        "orderBy": [{"field": "userProperties", "direction": "asc"}, {"field": "id", "direction": "desc"}]
    }));
    assert_valid(json!({
        "select": [
            {"type": "aggregation", "aggregation": "sum", "field": "properties", "path": ["tokens"]},
            {"type": "aggregation", "aggregation": "min", "field": "firstMessageTime"},
            {"type": "aggregation", "aggregation": "max", "field": "id"},
            {"type": "aggregation", "aggregation": "count", "field": "properties"},
            {"type": "time", "timeUnit": "month", "field": "firstMessageTime"}
        ],
        "groupBy": [{"field": "properties", "path": ["source"]}, {"field": "type", "includeInSelect": false}],
        "orderBy": [{"field": "min_firstMessageTime", "direction": "asc"}, {"field": "count_properties", "direction": "desc"}]
    }));
}

#[test]
fn notes_are_limited_in_characters_not_bytes() {
    assert_eq!(MAX_NOTES_CHARS, 80);
    // 80 two-byte characters: 160 bytes, still fine.
    assert_valid(json!({"notes": "é".repeat(80)}));
    assert_valid(json!({"notes": ""}));
    assert_problem(json!({"notes": "é".repeat(81)}), "notes", "at most 80 characters");
    assert_problem(json!({"notes": "x".repeat(200)}), "notes", "these have 200");
}

#[test]
fn body_size_is_checked_before_sending() {
    assert_eq!(MAX_BODY_BYTES, 2 * 1024 * 1024);
    let long_list = |item_count: usize| -> QueryBody {
        let ids: Vec<Scalar> = (0..item_count).map(|i| Scalar::String(format!("{i:0>1000}"))).collect();
        body_with_filter(Filter::condition(Field::Id, Operator::In, Some(FilterValue::List(ids))))
    };
    // Each id is 1000 characters plus quotes and a comma: 1003 bytes.
    let small = long_list(2000);
    assert!(serde_json::to_vec(&small).unwrap().len() < MAX_BODY_BYTES);
    assert_eq!(validate_for_send(&small), Ok(()));

    let big = long_list(2200);
    let size = serde_json::to_vec(&big).unwrap().len();
    assert!(size > MAX_BODY_BYTES, "{size}");
    assert!(validate(&big).is_empty(), "size alone is not a validate() problem");
    let problems = validate_for_send(&big).unwrap_err();
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(problems[0].path, "");
    assert!(problems[0].message.contains("at most 2 MB"), "{}", problems[0].message);
    assert!(problems[0].message.contains(&size.to_string()), "{}", problems[0].message);

    // Other problems are reported along with the size, after it.
    let mut both = big.clone();
    both.notes = Some("n".repeat(81));
    let problems = validate_for_send(&both).unwrap_err();
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(paths, ["", "notes"]);
    assert!(validate_for_send(&QueryBody { notes: Some("n".repeat(81)), ..QueryBody::default() }).is_err());
}

#[test]
fn list_operators_need_a_non_empty_list() {
    assert_problem(
        condition("type", "in", Some(json!("openai"))),
        "where.condition.value",
        "`in` needs a list",
    );
    assert_problem(
        condition("type", "notIn", Some(json!([]))),
        "where.condition.value",
        "at least one value",
    );
    assert_problem(
        condition("properties", "jsonHasAnyKey", Some(json!("source"))),
        "where.condition.value",
        "list of keys",
    );
    assert_problem(
        condition("properties", "jsonHasAllKeys", Some(json!([]))),
        "where.condition.value",
        "at least one key",
    );
    assert_problem(
        condition("properties", "jsonHasAnyKey", Some(json!(["a", 2]))),
        "where.condition.value[1]",
        "A key is text",
    );
    // On JSON fields, a pair whose value is the list.
    assert_valid(condition("properties", "in", Some(json!({"path": ["source"], "value": ["slack", "web"]}))));
    assert_valid(condition(
        "properties",
        "jsonHasAllKeys",
        Some(json!({"path": ["meta"], "value": ["a", "b"]})),
    ));
    assert_problem(
        condition("properties", "notIn", Some(json!({"path": ["source"], "value": "slack"}))),
        "where.condition.value.value",
        "needs a list",
    );
    assert_problem(
        condition("properties", "in", Some(json!({"path": ["source"], "value": []}))),
        "where.condition.value.value",
        "at least one value",
    );
    assert_problem(
        condition("properties", "jsonHasAnyKey", Some(json!({"path": ["meta"], "value": ["a", true]}))),
        "where.condition.value.value[1]",
        "A key is text",
    );
    // A plain list on a JSON field compares the whole object: a pair is needed.
    assert_problem(
        condition("properties", "in", Some(json!(["slack"]))),
        "where.condition.value",
        "{path, value} pair",
    );
}

#[test]
fn null_tests_take_no_value_and_others_need_one() {
    assert_valid(condition("integrationId", "isNull", None));
    assert_valid(condition("properties", "isNotNull", None));
    assert_problem(
        condition("type", "isNull", Some(json!("openai"))),
        "where.condition.value",
        "`isNull` takes no value",
    );
    assert_problem(
        condition("properties", "isNotNull", Some(json!({"path": ["a"], "value": null}))),
        "where.condition.value",
        "`isNotNull` takes no value",
    );
    for operator in ["eq", "neq", "gt", "gte", "lt", "lte", "in", "notIn"] {
        assert_problem(
            condition("userMessageCount", operator, None),
            "where.condition.value",
            "needs a value",
        );
    }
    for operator in [
        "arrayContains",
        "jsonContains",
        "jsonContainedBy",
        "jsonHasKey",
        "jsonArrayContainsObject",
        "jsonHasAnyKey",
        "jsonHasAllKeys",
    ] {
        assert_problem(
            condition("properties", operator, None),
            "where.condition.value",
            &format!("`{operator}` needs a value"),
        );
    }
}

#[test]
fn scalar_operators_need_one_value() {
    assert_problem(
        condition("type", "eq", Some(json!(["openai"]))),
        "where.condition.value",
        "use `in` for several",
    );
    assert_problem(condition("type", "neq", Some(json!(["openai"]))), "where.condition.value", "use `notIn`");
    assert_problem(
        condition("userMessageCount", "gt", Some(json!([1]))),
        "where.condition.value",
        "not a list",
    );
    assert_problem(
        condition("userMessageCount", "gte", Some(json!(true))),
        "where.condition.value",
        "true and false",
    );
    assert_problem(
        condition("properties", "eq", Some(json!({"path": ["source"], "value": ["a", "b"]}))),
        "where.condition.value.value",
        "compares with one value",
    );
    // eq/neq with null inside a pair test for a missing value; ordering cannot.
    assert_valid(condition("properties", "eq", Some(json!({"path": ["source"], "value": null}))));
    assert_valid(condition("userProperties", "neq", Some(json!({"path": ["userId"], "value": null}))));
    assert_problem(
        condition("properties", "lt", Some(json!({"path": ["score"], "value": null}))),
        "where.condition.value.value",
        "cannot compare with null",
    );
    assert_problem(
        condition("properties", "gt", Some(json!({"path": ["score"], "value": false}))),
        "where.condition.value.value",
        "true and false",
    );
    assert_valid(condition("properties", "gte", Some(json!({"path": ["score"], "value": 0.5}))));
    // arrayContains: one value, or a pair with one value.
    assert_valid(condition("properties", "arrayContains", Some(json!("billing"))));
    assert_problem(
        condition("properties", "arrayContains", Some(json!({"path": ["tags"], "value": ["a"]}))),
        "where.condition.value.value",
        "one value",
    );
    assert_problem(
        condition("properties", "arrayContains", Some(json!({"path": ["tags"], "value": null}))),
        "where.condition.value.value",
        "not null",
    );
    assert_problem(
        condition("properties", "arrayContains", Some(json!(["a"]))),
        "where.condition.value",
        "not a list",
    );
    // jsonHasKey: a key name, or a pair with a key name.
    assert_problem(
        condition("properties", "jsonHasKey", Some(json!(5))),
        "where.condition.value",
        "A key is text",
    );
    assert_problem(
        condition("properties", "jsonHasKey", Some(json!(["a"]))),
        "where.condition.value",
        "not a list",
    );
    assert_valid(condition("properties", "jsonHasKey", Some(json!({"path": ["meta"], "value": "a"}))));
    assert_problem(
        condition("properties", "jsonHasKey", Some(json!({"path": ["meta"], "value": ["a"]}))),
        "where.condition.value.value",
        "a key name",
    );
}

#[test]
fn containment_operators_need_an_object_or_a_pair() {
    assert_valid(condition("properties", "jsonContains", Some(json!({"source": "slack"}))));
    assert_valid(condition("userProperties", "jsonContainedBy", Some(json!({"userType": "admin"}))));
    assert_valid(condition(
        "properties",
        "jsonContains",
        Some(json!({"path": ["tags"], "value": ["a", "b"]})),
    ));
    assert_valid(condition("properties", "jsonContainedBy", Some(json!({"path": ["tags"], "value": "a"}))));
    assert_problem(
        condition("properties", "jsonContains", Some(json!("slack"))),
        "where.condition.value",
        "a JSON object",
    );
    assert_problem(
        condition("properties", "jsonContainedBy", Some(json!(["a"]))),
        "where.condition.value",
        "a JSON object",
    );
    assert_problem(
        condition("properties", "jsonContains", Some(json!({"path": ["tags"], "value": null}))),
        "where.condition.value.value",
        "not null",
    );
    assert_valid(condition("properties", "jsonArrayContainsObject", Some(json!({"id": "42"}))));
    assert_problem(
        condition("properties", "jsonArrayContainsObject", Some(json!({"path": ["items"], "value": "42"}))),
        "where.condition.value",
        "not a {path, value} pair",
    );
    assert_problem(
        condition("properties", "jsonArrayContainsObject", Some(json!("42"))),
        "where.condition.value",
        "needs a JSON object",
    );
}

#[test]
fn json_operators_pairs_and_objects_only_on_json_fields() {
    for operator in [
        "arrayContains",
        "jsonContains",
        "jsonContainedBy",
        "jsonHasKey",
        "jsonArrayContainsObject",
        "jsonHasAnyKey",
        "jsonHasAllKeys",
    ] {
        assert_problem(
            condition("type", operator, Some(json!("x"))),
            "where.condition.operator",
            "only works on the JSON fields properties and userProperties, not on `type`",
        );
    }
    assert_problem(
        condition("type", "eq", Some(json!({"path": ["a"], "value": "openai"}))),
        "where.condition.value",
        "pair only works on the JSON fields",
    );
    assert_problem(
        condition("properties", "eq", Some(json!({"source": "slack"}))),
        "where.condition.value",
        "a JSON object only works with jsonContains, jsonContainedBy and jsonArrayContainsObject",
    );
    assert_problem(
        condition("type", "in", Some(json!({"source": "slack"}))),
        "where.condition.value",
        "a JSON object only works with",
    );
    // A plain scalar against a whole JSON object compares nothing useful.
    assert_problem(
        condition("properties", "eq", Some(json!("slack"))),
        "where.condition.value",
        "{path, value} pair",
    );
    // Pair paths follow the path rules.
    assert_problem(
        condition("properties", "eq", Some(json!({"path": [], "value": "x"}))),
        "where.condition.value.path",
        "at least one key",
    );
    assert_problem(
        condition("properties", "eq", Some(json!({"path": ["a", ""], "value": "x"}))),
        "where.condition.value.path[1]",
        "may not be empty",
    );
}

#[test]
fn values_must_fit_the_field() {
    assert_problem(
        condition("userMessageCount", "gt", Some(json!("3"))),
        "where.condition.value",
        "userMessageCount is a number",
    );
    assert_problem(
        condition("userMessageCount", "in", Some(json!([1, "two", 3]))),
        "where.condition.value[1]",
        "is a number",
    );
    assert_valid(condition("userMessageCount", "lte", Some(json!(2.5))));
    assert_problem(
        condition("firstMessageTime", "gte", Some(json!("yesterday"))),
        "where.condition.value",
        "RFC 3339",
    );
    assert_problem(
        condition("firstMessageTime", "gte", Some(json!(1714521600))),
        "where.condition.value",
        "RFC 3339",
    );
    assert_problem(
        condition("firstMessageTime", "lt", Some(json!("2024-13-01"))),
        "where.condition.value",
        "2024-05-01",
    );
    assert_problem(
        condition("firstMessageTime", "eq", Some(json!("2024-05-01 10:00"))),
        "where.condition.value",
        "is neither",
    );
    assert_valid(condition("firstMessageTime", "gte", Some(json!("2024-05-01"))));
    assert_valid(condition("firstMessageTime", "gte", Some(json!("2024-05-01T09:30:00.123+02:00"))));
    assert_problem(
        condition("firstMessageTime", "in", Some(json!(["2024-05-01", "May 2nd"]))),
        "where.condition.value[1]",
        "RFC 3339",
    );
    assert_problem(
        condition("type", "eq", Some(json!("chat"))),
        "where.condition.value",
        "openai, support_ticket, support_copilot",
    );
    assert_problem(
        condition("type", "in", Some(json!(["openai", "email"]))),
        "where.condition.value[1]",
        "`email` is not one of them",
    );
    assert_problem(
        condition("projectId", "eq", Some(json!(5))),
        "where.condition.value",
        "`projectId` holds text",
    );
    assert_problem(condition("id", "neq", Some(json!(true))), "where.condition.value", "holds text");
    assert_valid(condition("organizationId", "in", Some(json!(["org_1", "org_2"]))));
    assert_valid(condition("integrationId", "gt", Some(json!("int_0"))));
}

#[test]
fn paths_and_modes_only_on_json_fields() {
    assert_problem(
        json!({"select": [{"type": "field", "field": "type", "path": ["a"]}]}),
        "select[0].path",
        "`type` is not a JSON field",
    );
    assert_problem(
        json!({"select": [{"type": "field", "field": "properties", "path": []}]}),
        "select[0].path",
        "at least one key",
    );
    assert_problem(
        json!({"select": [{"type": "field", "field": "properties", "path": ["a", ""]}]}),
        "select[0].path[1]",
        "may not be empty",
    );
    assert_problem(
        json!({"select": [{"type": "field", "field": "id", "mode": "unpack"}]}),
        "select[0].mode",
        "`mode` only applies",
    );
    assert_problem(
        json!({"select": [{"type": "field", "field": "properties", "path": ["source"], "mode": "json"}]}),
        "select[0].path",
        "cannot be combined with mode \"json\"",
    );
    assert_problem(
        json!({"groupBy": [{"field": "projectId", "path": ["x"]}]}),
        "groupBy[0].path",
        "not a JSON field",
    );
    assert_problem(
        json!({"groupBy": [{"field": "properties", "path": [""]}]}),
        "groupBy[0].path[0]",
        "may not be empty",
    );
    assert_problem(
        json!({"select": [{"type": "aggregation", "aggregation": "max", "field": "userMessageCount", "path": ["x"]}]}),
        "select[0].path",
        "not a JSON field",
    );
    assert_problem(
        json!({"select": [{"type": "aggregation", "aggregation": "count", "path": ["x"]}]}),
        "select[0].path",
        "A path needs a JSON field",
    );
}

#[test]
fn time_buckets_only_over_timestamps() {
    assert_problem(
        json!({"select": [{"type": "time", "timeUnit": "day", "field": "type"}]}),
        "select[0].field",
        "timestamp",
    );
    assert_problem(
        json!({"select": [{"type": "time", "timeUnit": "hour", "field": "userMessageCount"}]}),
        "select[0].field",
        "not `userMessageCount`",
    );
}

#[test]
fn aggregations_need_fitting_fields() {
    let agg = |aggregation: &str, field: Option<&str>, path: Option<&[&str]>| -> Value {
        let mut selection = json!({"type": "aggregation", "aggregation": aggregation});
        if let Some(field) = field {
            selection["field"] = json!(field);
        }
        if let Some(path) = path {
            selection["path"] = json!(path);
        }
        json!({"select": [selection]})
    };
    for aggregation in ["sum", "avg"] {
        let message = format!("`{aggregation}` needs a number: userMessageCount or a JSON path");
        assert_problem(agg(aggregation, Some("type"), None), "select[0].field", &message);
        assert_problem(agg(aggregation, Some("firstMessageTime"), None), "select[0].field", &message);
        assert_problem(agg(aggregation, Some("properties"), None), "select[0].field", &message);
        assert_problem(agg(aggregation, None, None), "select[0].field", &message);
        assert_valid(agg(aggregation, Some("userMessageCount"), None));
        assert_valid(agg(aggregation, Some("properties"), Some(&["score"])));
    }
    for aggregation in ["countDistinct", "min", "max"] {
        assert_problem(
            agg(aggregation, None, None),
            "select[0].field",
            &format!("`{aggregation}` needs a field"),
        );
        assert_problem(
            agg(aggregation, Some("userProperties"), None),
            "select[0].field",
            "whole JSON objects",
        );
        assert_valid(agg(aggregation, Some("userProperties"), Some(&["userId"])));
        assert_valid(agg(aggregation, Some("type"), None));
    }
    assert_valid(agg("count", None, None));
    assert_valid(agg("count", Some("integrationId"), None));
    // Counting a whole JSON field counts the rows where it is not null.
    assert_valid(agg("count", Some("properties"), None));
}

#[test]
fn order_by_only_produced_columns() {
    let found = problems(json!({
        "select": [{"type": "time", "timeUnit": "day"}, {"type": "aggregation", "aggregation": "count"}],
        "groupBy": [{"field": "type"}],
        "orderBy": [{"field": "sum_userMessageCount", "direction": "desc"}]
    }));
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].path, "orderBy[0].field");
    assert!(found[0].message.contains("no column `sum_userMessageCount`"), "{}", found[0].message);
    assert!(found[0].message.contains("`firstMessageTime_day`, `count`, `type`"), "{}", found[0].message);

    // A group key left out of the result cannot be sorted by.
    assert_problem(
        json!({
            "select": [{"type": "aggregation", "aggregation": "count"}],
            "groupBy": [{"field": "type", "includeInSelect": false}],
            "orderBy": [{"field": "type", "direction": "asc"}]
        }),
        "orderBy[0].field",
        "it produces `count`.",
    );
    // Unpacked JSON columns are listed as a family.
    assert_problem(
        json!({"select": [{"type": "field", "field": "properties"}], "orderBy": [{"field": "properties", "direction": "asc"}]}),
        "orderBy[0].field",
        "`properties.<key>`",
    );
    assert_problem(
        json!({"select": [{"type": "aggregation", "aggregation": "count", "field": "id"}], "orderBy": [
            {"field": "count_id", "direction": "asc"}, {"field": "count_id", "direction": "desc"}
        ]}),
        "orderBy[1].field",
        "already sorted by `count_id` (orderBy[0])",
    );
    assert_problem(
        json!({"orderBy": [{"field": "", "direction": "asc"}]}),
        "orderBy[0].field",
        "`` cannot be sorted by on the server",
    );
}

#[test]
fn order_by_only_the_published_set() {
    let select = json!([
        {"type": "aggregation", "aggregation": "count"},
        {"type": "aggregation", "aggregation": "countDistinct", "field": "userProperties", "path": ["userId"]},
        {"type": "aggregation", "aggregation": "count", "field": "properties", "path": ["userId"]},
        {"type": "aggregation", "aggregation": "sum", "field": "userMessageCount"}
    ]);
    let group_by = json!([{"field": "properties", "path": ["source"]}]);
    // Produced by the query, refused by the published schema, each with a way out.
    for (column, hint) in [
        (
            "count",
            "Select the count of `id` (column `count_id`) and sort by that, or sort the column in the grid.",
        ),
        (
            "countDistinct_userProperties.userId",
            "cannot be sorted by on the server; sort the column in the grid.",
        ),
        ("count_properties.userId", "group by or select it and sort the column in the grid."),
        ("properties.source", "group by or select it and sort the column in the grid."),
    ] {
        let body = json!({"select": select, "groupBy": group_by, "orderBy": [{"field": column, "direction": "desc"}]});
        assert!(!is_published_order_by_field(column));
        let found = problems(body.clone());
        assert_eq!(found.len(), 1, "{body}: {found:#?}");
        assert_eq!(found[0].path, "orderBy[0].field");
        let message = &found[0].message;
        assert!(message.starts_with(&format!("`{column}` cannot be sorted by on the server: the published schema only sorts by fields, time buckets and sum/count/avg/min/max of a field.")), "{message}");
        assert!(message.ends_with(hint), "{message}");
    }
    // The same query sorted by a member of the set is valid.
    assert_valid(
        json!({"select": select, "groupBy": group_by, "orderBy": [{"field": "sum_userMessageCount", "direction": "desc"}]}),
    );
}

#[test]
fn empty_and_or_are_rejected() {
    assert_problem(json!({"where": {"and": []}}), "where.and", "An empty `and`");
    assert_problem(
        json!({"where": {"or": [{"and": [{"condition": {"field": "id", "operator": "isNull"}}, {"or": []}]}]}}),
        "where.or[0].and[1].or",
        "An empty `or`",
    );
}

#[test]
fn problems_deep_in_the_tree_name_their_path() {
    assert_problem(
        json!({"where": {"or": [{"and": [
            {"condition": {"field": "id", "operator": "isNotNull"}},
            {"condition": {"field": "type", "operator": "jsonHasKey", "value": "a"}}
        ]}]}}),
        "where.or[0].and[1].condition.operator",
        "only works on the JSON fields",
    );
    assert_problem(
        json!({"where": {"and": [
            {"condition": {"field": "id", "operator": "isNotNull"}},
            {"condition": {"field": "id", "operator": "isNotNull"}},
            {"condition": {"field": "userMessageCount", "operator": "gt", "value": "many"}}
        ]}}),
        "where.and[2].condition.value",
        "is a number",
    );
}

#[test]
fn duplicate_columns_and_keys_are_rejected() {
    assert_problem(
        json!({"select": [
            {"type": "aggregation", "aggregation": "count"},
            {"type": "time", "timeUnit": "day"},
            {"type": "aggregation", "aggregation": "count"}
        ]}),
        "select[2]",
        "`count`, which select[0] already produces",
    );
    // A time bucket with the default field and one naming it produce the same column.
    assert_problem(
        json!({"select": [
            {"type": "time", "timeUnit": "week"},
            {"type": "time", "timeUnit": "week", "field": "firstMessageTime"}
        ]}),
        "select[1]",
        "`firstMessageTime_week`",
    );
    assert_problem(
        json!({"groupBy": [{"field": "properties", "path": ["source"]}, {"field": "type"}, {"field": "properties", "path": ["source"]}]}),
        "groupBy[2]",
        "groupBy[0] already groups by this key",
    );
    // Selecting a group key as well is the usual way to name its column: not a duplicate.
    assert_valid(json!({
        "select": [{"type": "field", "field": "type"}, {"type": "aggregation", "aggregation": "count"}],
        "groupBy": [{"field": "type"}]
    }));
}

#[test]
fn whole_json_objects_cannot_be_grouped() {
    assert_problem(
        json!({"groupBy": [{"field": "userProperties"}]}),
        "groupBy[0].field",
        "give a path inside `userProperties`",
    );
}

#[test]
fn a_query_must_produce_a_column() {
    assert_problem(
        json!({"groupBy": [{"field": "type", "includeInSelect": false}]}),
        "",
        "returns no columns",
    );
}

#[test]
fn problems_come_in_document_order() {
    let found = problems(json!({
        "select": [
            {"type": "aggregation", "aggregation": "sum", "field": "type", "path": ["x"]},
            {"type": "time", "timeUnit": "day", "field": "id"}
        ],
        "groupBy": [{"field": "type", "path": ["y"]}],
        "where": {"and": [
            {"condition": {"field": "type", "operator": "in", "value": []}},
            {"or": []}
        ]},
        "orderBy": [{"field": "nope", "direction": "asc"}],
        "notes": "x".repeat(81)
    }));
    let paths: Vec<&str> = found.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "select[0].field",
            "select[0].path",
            "select[1].field",
            "groupBy[0].path",
            "where.and[0].condition.value",
            "where.and[1].or",
            "orderBy[0].field",
            "notes",
        ]
    );
    // Every message is a sentence.
    for problem in &found {
        assert!(problem.message.ends_with('.'), "{problem}");
        assert!(problem.message.chars().next().is_some_and(|c| c.is_uppercase() || c == '`'), "{problem}");
    }
}

#[test]
fn problems_display_with_their_path() {
    assert_eq!(Problem::new("notes", "Too long.").to_string(), "`notes`: Too long.");
    assert_eq!(Problem::new("", "Too big.").to_string(), "Too big.");
}

// ---------------------------------------------------------------------------------------------
// Result column names
// ---------------------------------------------------------------------------------------------

fn column_names(doc: Value) -> Vec<String> {
    result_columns(&query_from_value(&doc).unwrap()).into_iter().map(|c| c.name).collect()
}

#[test]
fn raw_rows_have_every_field_in_order() {
    assert_eq!(
        column_names(json!({"where": {"condition": {"field": "type", "operator": "isNotNull"}}})),
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
}

#[test]
fn columns_of_a_daily_count_by_type() {
    assert_eq!(
        column_names(json!({
            "select": [{"type": "time", "timeUnit": "day"}, {"type": "aggregation", "aggregation": "count"}],
            "groupBy": [{"field": "type"}]
        })),
        ["firstMessageTime_day", "count", "type"]
    );
}

#[test]
fn columns_of_aggregations_follow_the_naming_rules() {
    assert_eq!(
        column_names(json!({"select": [
            {"type": "aggregation", "aggregation": "sum", "field": "userMessageCount"},
            {"type": "aggregation", "aggregation": "avg", "field": "userMessageCount"},
            {"type": "aggregation", "aggregation": "countDistinct", "field": "userProperties", "path": ["userId"]},
            {"type": "aggregation", "aggregation": "count", "field": "properties", "path": ["userId"]},
            {"type": "aggregation", "aggregation": "min", "field": "firstMessageTime"},
            {"type": "aggregation", "aggregation": "max", "field": "properties", "path": ["a", "b"]}
        ]})),
        [
            "sum_userMessageCount",
            "avg_userMessageCount",
            "countDistinct_userProperties.userId",
            "count_properties.userId",
            "min_firstMessageTime",
            "max_properties.a.b"
        ]
    );
}

#[test]
fn columns_of_time_buckets_for_every_unit() {
    assert_eq!(
        column_names(json!({"select": [
            {"type": "time", "timeUnit": "hour"},
            {"type": "time", "timeUnit": "day"},
            {"type": "time", "timeUnit": "week", "field": "firstMessageTime"},
            {"type": "time", "timeUnit": "month"}
        ]})),
        ["firstMessageTime_hour", "firstMessageTime_day", "firstMessageTime_week", "firstMessageTime_month"]
    );
}

#[test]
fn columns_of_fields_group_keys_and_json_modes() {
    let query = query_from_value(&json!({
        "select": [
            {"type": "field", "field": "id"},
            {"type": "field", "field": "properties", "path": ["source"]},
            {"type": "field", "field": "userProperties"},
            {"type": "field", "field": "properties", "mode": "json"},
            {"type": "aggregation", "aggregation": "count"}
        ],
        "groupBy": [
            {"field": "properties", "path": ["source"]},
            {"field": "userProperties", "path": ["userType"]},
            {"field": "projectId", "includeInSelect": false},
            {"field": "type", "includeInSelect": true}
        ]
    }))
    .unwrap();
    let columns = result_columns(&query);
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    // The repeated group key `properties.source` is one column, where the selection put it.
    assert_eq!(
        names,
        [
            "id",
            "properties.source",
            "userProperties",
            "properties",
            "count",
            "userProperties.userType",
            "type"
        ]
    );
    assert_eq!(columns[2].source, ColumnSource::Unpacked(Field::UserProperties));
    assert_eq!(columns[3].source, ColumnSource::JsonText(Field::Properties));
    assert!(columns[4].is_numeric());
    assert!(!columns[1].is_numeric());
    // The unpacked selection stands for its keys; the JSON-mode one is a single column.
    assert!(produces_column(&query, "userProperties.identificationType"));
    assert!(!produces_column(&query, "userProperties"));
    assert!(produces_column(&query, "properties"));
    assert!(!produces_column(&query, "properties.other"));
    assert!(!produces_column(&query, "projectId"));
}
