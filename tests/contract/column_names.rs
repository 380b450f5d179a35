//! Result column names

use super::*;

fn column_names(doc: Value) -> Vec<String> {
    result_columns(View::Conversations, &query_from_value(&doc).unwrap())
        .into_iter()
        .map(|c| c.name)
        .collect()
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
    let columns = result_columns(View::Conversations, &query);
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
    assert!(produces_column(View::Conversations, &query, "userProperties.identificationType"));
    assert!(!produces_column(View::Conversations, &query, "userProperties"));
    assert!(produces_column(View::Conversations, &query, "properties"));
    assert!(!produces_column(View::Conversations, &query, "properties.other"));
    assert!(!produces_column(View::Conversations, &query, "projectId"));
}
