//! Filters: all 17 operators, on plain fields and on JSON fields.

use super::*;

type Predicate = Box<dyn Fn(&Conversation) -> bool>;

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
