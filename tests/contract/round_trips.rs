//! Round trips: every documented shape

use super::*;

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
    assert_eq!(names.len(), View::Conversations.fields().len());
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
    assert!(validate(View::Conversations, &body).is_empty(), "{:#?}", validate(View::Conversations, &body));
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
