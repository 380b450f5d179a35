//! Validation

use super::*;

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
    assert_eq!(validate_for_send(View::Conversations, &small), Ok(()));

    let big = long_list(2200);
    let size = serde_json::to_vec(&big).unwrap().len();
    assert!(size > MAX_BODY_BYTES, "{size}");
    assert!(validate(View::Conversations, &big).is_empty(), "size alone is not a validate() problem");
    let problems = validate_for_send(View::Conversations, &big).unwrap_err();
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(problems[0].path, "");
    assert!(problems[0].message.contains("at most 2 MB"), "{}", problems[0].message);
    assert!(problems[0].message.contains(&size.to_string()), "{}", problems[0].message);

    // Other problems are reported along with the size, after it.
    let mut both = big.clone();
    both.notes = Some("n".repeat(81));
    let problems = validate_for_send(View::Conversations, &both).unwrap_err();
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(paths, ["", "notes"]);
    assert!(
        validate_for_send(
            View::Conversations,
            &QueryBody { notes: Some("n".repeat(81)), ..QueryBody::default() }
        )
        .is_err()
    );
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
        assert!(!is_published_order_by_field(View::Conversations, column));
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
