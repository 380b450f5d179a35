//! Paging.

use super::*;

#[test]
fn paging_reports_total_page_size_and_count() {
    let small = query(json!({"where": condition("userMessageCount", "gte", Some(json!(30)))}));
    let expected = count_where(|c| c.user_message_count >= 30);
    assert!(expected > 0 && expected < PAGE_SIZE);
    assert_eq!((small.total, small.count, small.page_size), (expected, expected, PAGE_SIZE));

    let keyed_rows: Vec<Conversation> = dataset::generate(&keyed_params()).collect();
    let auth = format!("Bearer {API_KEY}");
    let body = json!({"select": [{"type": "time", "timeUnit": "day"}, {"type": "aggregation", "aggregation": "count"}]});
    let answer = send(
        reqwest::Method::POST,
        &format!("{}/query/conversations", keyed_server().url()),
        &[("authorization", &auth), ("content-type", "application/json")],
        Some(serde_json::to_vec(&body).unwrap().into()),
    );
    let page = read_page(&answer, &body);
    let days: BTreeSet<Date> = keyed_rows.iter().map(|c| civil(c.first_message_time).date()).collect();
    assert_eq!(page.page_size, KEYED_PAGE_SIZE);
    assert_eq!(page.total, days.len() as u64, "total counts groups, not rows");
    assert_eq!(page.count, KEYED_PAGE_SIZE);
}
