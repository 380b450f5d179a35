//! Ordering.

use super::*;

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
