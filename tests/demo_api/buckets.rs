//! Time buckets.

use super::*;

fn check_buckets(unit: &str) -> Vec<Timestamp> {
    let column = format!("firstMessageTime_{unit}");
    let page = query(json!({
        "select": [{"type": "time", "timeUnit": unit}, {"type": "aggregation", "aggregation": "count"}],
        "orderBy": [{"field": column, "direction": "asc"}]
    }));
    let mut expected: BTreeMap<Timestamp, u64> = BTreeMap::new();
    for c in data() {
        *expected.entry(bucket(c.first_message_time, unit)).or_default() += 1;
    }
    assert_eq!(page.total, expected.len() as u64, "{unit} buckets");
    let mut starts = Vec::new();
    for (row, (start, count)) in page.rows.iter().zip(&expected) {
        assert_eq!(keys(row), [column.as_str(), "count"]);
        let text = row[&column].as_str().unwrap();
        assert_eq!(text, bucket_text(*start), "{unit} bucket value is RFC 3339 at the bucket start");
        assert_eq!(row["count"].as_u64(), Some(*count), "{unit} bucket {text}");
        starts.push(instant(text));
    }
    starts
}

#[test]
fn day_buckets_match() {
    let starts = check_buckets("day");
    assert_eq!(starts.len(), 180, "180 days of data");
    assert!(starts.iter().all(|s| civil(*s).time() == Time::midnight()));
    assert_eq!(civil(*starts.last().unwrap()).date(), end_date());
}

#[test]
fn week_buckets_start_on_monday() {
    let starts = check_buckets("week");
    for start in &starts {
        assert_eq!(civil(*start).weekday(), Weekday::Monday, "{start}");
        assert_eq!(civil(*start).time(), Time::midnight());
    }
    // The data starts on Thursday 2025-01-02: its week began on Monday 2024-12-30.
    assert_eq!(bucket_text(starts[0]), "2024-12-30T00:00:00Z");
}

#[test]
fn month_buckets_start_on_the_first() {
    let starts = check_buckets("month");
    for start in &starts {
        assert_eq!(civil(*start).day(), 1, "{start}");
        assert_eq!(civil(*start).time(), Time::midnight());
    }
    let texts: Vec<String> = starts.iter().map(|s| bucket_text(*s)).collect();
    assert_eq!(
        texts,
        [
            "2025-01-01T00:00:00Z",
            "2025-02-01T00:00:00Z",
            "2025-03-01T00:00:00Z",
            "2025-04-01T00:00:00Z",
            "2025-05-01T00:00:00Z",
            "2025-06-01T00:00:00Z"
        ]
    );
}

#[test]
fn hour_buckets_by_type() {
    let page = query(json!({
        "select": [{"type": "time", "timeUnit": "hour", "field": "firstMessageTime"}, {"type": "aggregation", "aggregation": "count"}],
        "groupBy": [{"field": "type"}],
        "where": {"condition": {"field": "firstMessageTime", "operator": "gte", "value": "2025-06-23"}}
    }));
    let since = instant("2025-06-23T00:00:00Z");
    let mut expected: HashMap<(String, Option<&str>), u64> = HashMap::new();
    for c in data().iter().filter(|c| c.first_message_time >= since) {
        *expected
            .entry((bucket_text(bucket(c.first_message_time, "hour")), c.conversation_type))
            .or_default() += 1;
    }
    assert_eq!(page.total, expected.len() as u64);
    for row in &page.rows {
        let key = (row["firstMessageTime_hour"].as_str().unwrap().to_string(), row["type"].as_str());
        assert_eq!(row["count"].as_u64(), expected.get(&key).copied(), "{key:?}");
    }
}
