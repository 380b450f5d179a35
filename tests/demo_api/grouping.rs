//! Grouping.

use super::*;

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
