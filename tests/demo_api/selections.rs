//! Selection shapes.

use super::*;

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
