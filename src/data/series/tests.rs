//! Tests of the chart derivation (detection, pivoting, folding, gaps, partial buckets,
//! categories, CSV, the cache), mostly through [`derive_chart`] and [`SeriesCache`] as the
//! chart tab uses them, and of the bucket arithmetic against jiff.

use super::buckets::MILLIS_PER_DAY;
use super::*;
use crate::api::query::parse_query;
use serde_json::{Map, Value, json};

fn ms(text: &str) -> i64 {
    text.parse::<Timestamp>().unwrap().as_millisecond()
}

fn table(query: &QueryBody, rows: Value) -> ResultTable {
    let rows: Vec<Map<String, Value>> =
        rows.as_array().unwrap().iter().map(|row| row.as_object().cloned().unwrap()).collect();
    ResultTable::from_rows(query, &rows)
}

fn query(text: Value) -> QueryBody {
    parse_query(&text.to_string()).unwrap()
}

/// A time after every bucket in these tests, so nothing is partial because of `now`.
fn later() -> Timestamp {
    "2100-01-01T00:00:00Z".parse::<Timestamp>().unwrap()
}

fn day_by_type() -> QueryBody {
    query(json!({
        "select": [{"type": "time", "timeUnit": "day"}, {"type": "aggregation", "aggregation": "count"}],
        "groupBy": [{"field": "type"}]
    }))
}

fn time_chart(table: &ResultTable, query: &QueryBody, options: &SeriesOptions) -> ChartData {
    match derive_chart(Some(table), query, options, later()) {
        Chart::Time(data) => data,
        other => panic!("expected a time chart, got {other:?}"),
    }
}

fn values(series: &Series) -> Vec<Option<f64>> {
    series.values.clone()
}

fn named<'a>(data: &'a ChartData, name: &str) -> &'a Series {
    data.series.iter().find(|s| s.name == name).unwrap_or_else(|| panic!("no series {name}"))
}

#[test]
fn detects_time_bucket_measures_and_keys() {
    let q = query(json!({
        "select": [
            {"type": "time", "timeUnit": "week"},
            {"type": "aggregation", "aggregation": "count"},
            {"type": "aggregation", "aggregation": "avg", "field": "userMessageCount"},
            {"type": "aggregation", "aggregation": "min", "field": "firstMessageTime"}
        ],
        "groupBy": [{"field": "type"}, {"field": "userMessageCount"}]
    }));
    let t = table(
        &q,
        json!([{
            "firstMessageTime_week": "2026-03-02T00:00:00Z", "count": 3, "avg_userMessageCount": 2.5,
            "min_firstMessageTime": "2026-03-03T10:00:00.000Z", "type": "openai", "userMessageCount": 4
        }]),
    );
    let roles = column_roles(&t);
    let time = roles.time.unwrap();
    assert_eq!((time.index, time.unit, time.field), (0, TimeUnit::Week, Field::FirstMessageTime));
    assert_eq!(roles.measures, vec![1, 2], "count and avg; min of a time is not a number");
    // The numeric group-by key is a key, not a measure, because there are aggregations.
    assert_eq!(roles.keys, vec![4, 5]);
}

#[test]
fn a_bucket_name_needs_timestamp_values_and_a_known_unit() {
    let q = query(json!({"select": [{"type": "field", "field": "properties", "path": ["visit_day"]}]}));
    let t = table(&q, json!([{"properties.visit_day": "monday"}]));
    assert!(column_roles(&t).time.is_none(), "text values are not buckets");
    let q = query(json!({"select": [{"type": "field", "field": "properties", "path": ["a_year"]}]}));
    let t = table(&q, json!([{"properties.a_year": "2026-01-01T00:00:00Z"}]));
    assert!(column_roles(&t).time.is_none(), "year is not a bucket unit");
}

#[test]
fn pivots_one_series_per_type_with_null_as_none() {
    let q = day_by_type();
    let t = table(
        &q,
        json!([
            {"firstMessageTime_day": "2026-03-01T00:00:00Z", "count": 5, "type": "openai"},
            {"firstMessageTime_day": "2026-03-01T00:00:00Z", "count": 2, "type": "support_ticket"},
            {"firstMessageTime_day": "2026-03-02T00:00:00Z", "count": 7, "type": "openai"},
            {"firstMessageTime_day": "2026-03-02T00:00:00Z", "count": 1, "type": null},
        ]),
    );
    let data = time_chart(&t, &q, &SeriesOptions::default());
    assert_eq!(data.unit, TimeUnit::Day);
    assert_eq!(data.buckets, vec![ms("2026-03-01T00:00:00Z"), ms("2026-03-02T00:00:00Z")]);
    let names: Vec<&str> = data.series.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, vec!["openai", "support_ticket", NONE_LABEL], "by total, then name");
    assert_eq!(values(named(&data, "openai")), vec![Some(5.0), Some(7.0)]);
    assert_eq!(values(named(&data, "support_ticket")), vec![Some(2.0), Some(0.0)]);
    assert_eq!(values(named(&data, NONE_LABEL)), vec![Some(0.0), Some(1.0)]);
    assert_eq!(named(&data, "openai").total, 12.0);
    assert_eq!(data.measure, "count");
    assert_eq!(data.group_columns, vec!["type".to_string()]);
}

#[test]
fn several_keys_combine_and_no_key_names_the_series_after_the_measure() {
    let q = query(json!({
        "select": [{"type": "time", "timeUnit": "day"}, {"type": "aggregation", "aggregation": "sum", "field": "userMessageCount"}],
        "groupBy": [{"field": "type"}, {"field": "userProperties", "path": ["supportAgentName"]}]
    }));
    let t = table(
        &q,
        json!([
            {"firstMessageTime_day": "2026-03-01T00:00:00Z", "sum_userMessageCount": 4, "type": "openai", "userProperties.supportAgentName": "Ann"},
            {"firstMessageTime_day": "2026-03-01T00:00:00Z", "sum_userMessageCount": 3, "type": "openai", "userProperties.supportAgentName": null},
        ]),
    );
    let data = time_chart(&t, &q, &SeriesOptions::default());
    let names: Vec<&str> = data.series.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, vec!["openai · Ann", "openai · (none)"]);

    let q = query(
        json!({"select": [{"type": "time", "timeUnit": "day"}, {"type": "aggregation", "aggregation": "count"}]}),
    );
    let t = table(&q, json!([{"firstMessageTime_day": "2026-03-01T00:00:00Z", "count": 9}]));
    let data = time_chart(&t, &q, &SeriesOptions::default());
    assert_eq!(data.series.len(), 1);
    assert_eq!(data.series[0].name, "count");
    assert_eq!(data.series[0].values, vec![Some(9.0)]);
}

#[test]
fn top_n_keeps_the_largest_and_folds_the_rest_into_other() {
    let q = query(json!({
        "select": [{"type": "time", "timeUnit": "day"}, {"type": "aggregation", "aggregation": "count"}],
        "groupBy": [{"field": "userProperties", "path": ["userId"]}]
    }));
    // 50 users; user i has i+1 conversations on day 1 and 2*(i+1) on day 2.
    let mut rows = Vec::new();
    for i in 0..50 {
        rows.push(json!({"firstMessageTime_day": "2026-03-01T00:00:00Z", "count": i + 1, "userProperties.userId": format!("u{i:02}")}));
        rows.push(json!({"firstMessageTime_day": "2026-03-02T00:00:00Z", "count": 2 * (i + 1), "userProperties.userId": format!("u{i:02}")}));
    }
    let t = table(&q, Value::Array(rows));
    let data = time_chart(&t, &q, &SeriesOptions { top_n: 10, ..SeriesOptions::default() });
    assert_eq!(data.series.len(), 11);
    assert_eq!(data.series_count_before_folding, 50);
    assert_eq!(data.folded_series_count, 40);
    let expected_kept: Vec<String> = (40..50).rev().map(|i| format!("u{i:02}")).collect();
    let kept: Vec<String> = data.series[..10].iter().map(|s| s.name.clone()).collect();
    assert_eq!(kept, expected_kept);
    let other = data.series.last().unwrap();
    assert!(other.is_other);
    assert_eq!(other.name, OTHER_NAME);
    // Users 0..40 fold: day 1 sums 1..=40 = 820, day 2 twice that.
    assert_eq!(other.values, vec![Some(820.0), Some(1640.0)]);
    assert_eq!(other.total, 2460.0);
    // Every row is still counted once.
    let all: f64 = data.series.iter().map(|s| s.total).sum();
    assert_eq!(all, 3.0 * (50.0 * 51.0 / 2.0));

    // N + 1 series: folding one would only rename it.
    let data = time_chart(&t, &q, &SeriesOptions { top_n: 49, ..SeriesOptions::default() });
    assert_eq!(data.series.len(), 50);
    assert!(data.series.iter().all(|s| !s.is_other));
}

#[test]
fn other_of_averages_is_their_mean() {
    let q = query(json!({
        "select": [{"type": "time", "timeUnit": "day"}, {"type": "aggregation", "aggregation": "avg", "field": "userMessageCount"}],
        "groupBy": [{"field": "type"}]
    }));
    let t = table(
        &q,
        json!([
            {"firstMessageTime_day": "2026-03-01T00:00:00Z", "avg_userMessageCount": 10.0, "type": "a"},
            {"firstMessageTime_day": "2026-03-01T00:00:00Z", "avg_userMessageCount": 2.0, "type": "b"},
            {"firstMessageTime_day": "2026-03-01T00:00:00Z", "avg_userMessageCount": 4.0, "type": "c"},
            {"firstMessageTime_day": "2026-03-03T00:00:00Z", "avg_userMessageCount": 1.0, "type": "d"},
        ]),
    );
    let data = time_chart(&t, &q, &SeriesOptions { top_n: 1, ..SeriesOptions::default() });
    assert_eq!(data.measure_kind, MeasureKind::Mean);
    assert_eq!(data.series[0].name, "a");
    // A missing average is a gap, never a zero, even with gap filling on.
    assert_eq!(data.series[0].values, vec![Some(10.0), None, None]);
    assert_eq!(data.series[1].values, vec![Some(3.0), None, Some(1.0)]);
}

#[test]
fn day_gaps_are_filled_across_a_leap_day_or_left_as_gaps() {
    let q = day_by_type();
    let t = table(
        &q,
        json!([
            {"firstMessageTime_day": "2028-02-27T00:00:00Z", "count": 3, "type": "openai"},
            {"firstMessageTime_day": "2028-03-01T00:00:00Z", "count": 4, "type": "openai"},
        ]),
    );
    let data = time_chart(&t, &q, &SeriesOptions::default());
    let expected: Vec<i64> = ["2028-02-27", "2028-02-28", "2028-02-29", "2028-03-01"]
        .iter()
        .map(|d| ms(&format!("{d}T00:00:00Z")))
        .collect();
    assert_eq!(data.buckets, expected);
    assert_eq!(data.series[0].values, vec![Some(3.0), Some(0.0), Some(0.0), Some(4.0)]);
    assert!(data.complete_axis);

    let gaps = time_chart(&t, &q, &SeriesOptions { fill_gaps: false, ..SeriesOptions::default() });
    assert_eq!(gaps.buckets, expected, "the axis stays complete");
    assert_eq!(gaps.series[0].values, vec![Some(3.0), None, None, Some(4.0)]);
}

#[test]
fn week_gaps_cross_month_and_year_boundaries_on_mondays() {
    let q = query(
        json!({"select": [{"type": "time", "timeUnit": "week"}, {"type": "aggregation", "aggregation": "count"}]}),
    );
    let t = table(
        &q,
        json!([
            {"firstMessageTime_week": "2025-12-22T00:00:00Z", "count": 1},
            {"firstMessageTime_week": "2026-01-12T00:00:00Z", "count": 2},
        ]),
    );
    let data = time_chart(&t, &q, &SeriesOptions::default());
    let expected: Vec<i64> = ["2025-12-22", "2025-12-29", "2026-01-05", "2026-01-12"]
        .iter()
        .map(|d| ms(&format!("{d}T00:00:00Z")))
        .collect();
    assert_eq!(data.buckets, expected);
    assert_eq!(data.series[0].values, vec![Some(1.0), Some(0.0), Some(0.0), Some(2.0)]);
    // Every bucket start is a Monday.
    for &b in &data.buckets {
        let weekday = Timestamp::from_millisecond(b).unwrap().strftime("%a").to_string();
        assert_eq!(weekday, "Mon");
    }
}

#[test]
fn month_gaps_use_calendar_months_including_leap_february() {
    let q = query(
        json!({"select": [{"type": "time", "timeUnit": "month"}, {"type": "aggregation", "aggregation": "count"}]}),
    );
    let t = table(
        &q,
        json!([
            {"firstMessageTime_month": "2027-11-01T00:00:00Z", "count": 1},
            {"firstMessageTime_month": "2028-04-01T00:00:00Z", "count": 2},
        ]),
    );
    let data = time_chart(&t, &q, &SeriesOptions::default());
    let expected: Vec<i64> =
        ["2027-11-01", "2027-12-01", "2028-01-01", "2028-02-01", "2028-03-01", "2028-04-01"]
            .iter()
            .map(|d| ms(&format!("{d}T00:00:00Z")))
            .collect();
    assert_eq!(data.buckets, expected);
    assert_eq!(data.series[0].values, vec![Some(1.0), Some(0.0), Some(0.0), Some(0.0), Some(0.0), Some(2.0)]);
    assert_eq!(bucket_end(TimeUnit::Month, ms("2028-02-01T00:00:00Z")), ms("2028-03-01T00:00:00Z"));
    assert_eq!(
        ms("2028-03-01T00:00:00Z") - ms("2028-02-01T00:00:00Z"),
        29 * MILLIS_PER_DAY,
        "February 2028 has 29 days"
    );
}

#[test]
fn hour_gaps_cross_midnight() {
    let q = query(
        json!({"select": [{"type": "time", "timeUnit": "hour"}, {"type": "aggregation", "aggregation": "count"}]}),
    );
    let t = table(
        &q,
        json!([
            {"firstMessageTime_hour": "2026-03-03T22:00:00Z", "count": 5},
            {"firstMessageTime_hour": "2026-03-04T01:00:00Z", "count": 6},
        ]),
    );
    let data = time_chart(&t, &q, &SeriesOptions::default());
    let expected: Vec<i64> = ["2026-03-03T22", "2026-03-03T23", "2026-03-04T00", "2026-03-04T01"]
        .iter()
        .map(|h| ms(&format!("{h}:00:00Z")))
        .collect();
    assert_eq!(data.buckets, expected);
    assert_eq!(data.series[0].values, vec![Some(5.0), Some(0.0), Some(0.0), Some(6.0)]);
}

#[test]
fn bucket_arithmetic_matches_jiff() {
    use jiff::civil::DateTime;
    use jiff::tz::Offset;
    let utc = |civil: DateTime| Offset::UTC.to_timestamp(civil).unwrap().as_millisecond();
    let mut t = DateTime::constant(2027, 12, 20, 0, 0, 0, 0);
    let end = DateTime::constant(2028, 3, 10, 0, 0, 0, 0);
    while t < end {
        let m = utc(t) + 1234;
        let hour = t.with().minute(0).second(0).build().unwrap();
        assert_eq!(bucket_start(TimeUnit::Hour, m), utc(hour));
        let day = t.date().to_datetime(jiff::civil::Time::midnight());
        assert_eq!(bucket_start(TimeUnit::Day, m), utc(day));
        let monday = day - jiff::Span::new().days(i64::from(day.weekday().to_monday_zero_offset()));
        assert_eq!(bucket_start(TimeUnit::Week, m), utc(monday), "{t}");
        let month = t.date().first_of_month().to_datetime(jiff::civil::Time::midnight());
        assert_eq!(bucket_start(TimeUnit::Month, m), utc(month));
        t += jiff::Span::new().hours(7);
    }
}

#[test]
fn a_filter_starting_mid_week_marks_the_first_bucket_partial() {
    let base = json!({
        "select": [{"type": "time", "timeUnit": "week"}, {"type": "aggregation", "aggregation": "count"}],
    });
    let rows = json!([
        {"firstMessageTime_week": "2026-03-02T00:00:00Z", "count": 1},
        {"firstMessageTime_week": "2026-03-09T00:00:00Z", "count": 1},
        {"firstMessageTime_week": "2026-03-16T00:00:00Z", "count": 1},
    ]);
    let with_filter = |filter: Value| {
        let mut body = base.clone();
        body["where"] = filter;
        query(body)
    };
    // Wednesday 2026-03-04: inside the first week.
    let q = with_filter(json!({"and": [
        {"condition": {"field": "firstMessageTime", "operator": "gte", "value": "2026-03-04"}},
        {"condition": {"field": "type", "operator": "eq", "value": "openai"}}
    ]}));
    let data = time_chart(&table(&q, rows.clone()), &q, &SeriesOptions::default());
    assert_eq!(data.time_filter.start_ms, Some(ms("2026-03-04T00:00:00Z")));
    assert!(data.partial_first);
    assert!(!data.partial_last);
    assert!(data.is_partial(0) && !data.is_partial(1) && !data.is_partial(2));

    // From the Monday itself the first week is whole.
    let q = with_filter(
        json!({"condition": {"field": "firstMessageTime", "operator": "gte", "value": "2026-03-02T00:00:00Z"}}),
    );
    assert!(!time_chart(&table(&q, rows.clone()), &q, &SeriesOptions::default()).partial_first);

    // Inside an OR the bound does not hold for every row.
    let q = with_filter(json!({"or": [
        {"condition": {"field": "firstMessageTime", "operator": "gte", "value": "2026-03-04"}},
        {"condition": {"field": "type", "operator": "eq", "value": "openai"}}
    ]}));
    assert!(!time_chart(&table(&q, rows.clone()), &q, &SeriesOptions::default()).partial_first);

    // An upper bound on the Thursday of the last week cuts it; `lt` next Monday does not.
    let q = with_filter(
        json!({"and": [{"condition": {"field": "firstMessageTime", "operator": "lte", "value": "2026-03-19T12:00:00+01:00"}}]}),
    );
    let data = time_chart(&table(&q, rows.clone()), &q, &SeriesOptions::default());
    assert_eq!(data.time_filter.end_ms, Some(ms("2026-03-19T11:00:00Z") + 1));
    assert!(data.partial_last);
    let q = with_filter(
        json!({"condition": {"field": "firstMessageTime", "operator": "lt", "value": "2026-03-23"}}),
    );
    assert!(!time_chart(&table(&q, rows), &q, &SeriesOptions::default()).partial_last);
}

#[test]
fn now_inside_the_last_bucket_marks_it_partial() {
    let q = query(
        json!({"select": [{"type": "time", "timeUnit": "month"}, {"type": "aggregation", "aggregation": "count"}]}),
    );
    let t = table(
        &q,
        json!([
            {"firstMessageTime_month": "2026-01-01T00:00:00Z", "count": 1},
            {"firstMessageTime_month": "2026-02-01T00:00:00Z", "count": 1},
        ]),
    );
    let at = |text: &str| text.parse::<Timestamp>().unwrap();
    let Chart::Time(mut data) =
        derive_chart(Some(&t), &q, &SeriesOptions::default(), at("2026-02-28T23:59:59Z"))
    else {
        panic!("time chart expected")
    };
    assert!(data.partial_last && !data.partial_first);
    data.apply_now(at("2026-03-01T00:00:00Z"));
    assert!(!data.partial_last, "February is over at midnight on March 1");
}

#[test]
fn category_chart_by_the_first_group_by_column() {
    let q = query(json!({
        "select": [{"type": "aggregation", "aggregation": "count"}],
        "groupBy": [{"field": "type"}]
    }));
    let t = table(
        &q,
        json!([
            {"count": 5, "type": "openai"},
            {"count": 9, "type": "support_ticket"},
            {"count": 2, "type": null},
        ]),
    );
    let Chart::Category(data) = derive_chart(Some(&t), &q, &SeriesOptions::default(), later()) else {
        panic!("category chart expected")
    };
    assert_eq!(data.column, "type");
    assert_eq!(data.categories, vec!["support_ticket", "openai", NONE_LABEL]);
    assert_eq!(data.series.len(), 1);
    assert_eq!(data.series[0].name, "count");
    assert_eq!(data.series[0].values, vec![Some(9.0), Some(5.0), Some(2.0)]);

    let data =
        match derive_chart(Some(&t), &q, &SeriesOptions { top_n: 1, ..SeriesOptions::default() }, later()) {
            Chart::Category(data) => data,
            other => panic!("{other:?}"),
        };
    assert_eq!(data.categories, vec!["support_ticket", OTHER_NAME]);
    assert_eq!(data.series[0].values, vec![Some(9.0), Some(7.0)]);
}

#[test]
fn without_bucket_or_group_there_is_an_explanation() {
    let q = query(json!({"select": [{"type": "aggregation", "aggregation": "count"}]}));
    let t = table(&q, json!([{"count": 5}]));
    let chart = derive_chart(Some(&t), &q, &SeriesOptions::default(), later());
    assert_eq!(chart, Chart::Unavailable(NoChart::NoTimeBucket));
    assert!(NoChart::NoTimeBucket.offers_day_bucket());
    assert_eq!(
        derive_chart(None, &q, &SeriesOptions::default(), later()),
        Chart::Unavailable(NoChart::NoResult)
    );
    let empty = table(&q, json!([]));
    assert_eq!(
        derive_chart(Some(&empty), &q, &SeriesOptions::default(), later()),
        Chart::Unavailable(NoChart::NoRows)
    );
}

#[test]
fn the_measure_can_be_chosen_and_rows_are_counted_without_one() {
    let q = query(json!({
        "select": [
            {"type": "time", "timeUnit": "day"},
            {"type": "aggregation", "aggregation": "count"},
            {"type": "aggregation", "aggregation": "max", "field": "userMessageCount"}
        ]
    }));
    let t = table(
        &q,
        json!([{"firstMessageTime_day": "2026-03-01T00:00:00Z", "count": 4, "max_userMessageCount": 17}]),
    );
    let options = SeriesOptions { measure: Some("max_userMessageCount".into()), ..SeriesOptions::default() };
    let data = time_chart(&t, &q, &options);
    assert_eq!(data.measures, vec!["count".to_string(), "max_userMessageCount".to_string()]);
    assert_eq!((data.measure.as_str(), data.measure_kind), ("max_userMessageCount", MeasureKind::Max));
    assert_eq!(data.series[0].values, vec![Some(17.0)]);

    let q =
        query(json!({"select": [{"type": "time", "timeUnit": "day"}, {"type": "field", "field": "type"}]}));
    let t = table(
        &q,
        json!([
            {"firstMessageTime_day": "2026-03-01T00:00:00Z", "type": "openai"},
            {"firstMessageTime_day": "2026-03-01T00:00:00Z", "type": "openai"},
            {"firstMessageTime_day": "2026-03-01T00:00:00Z", "type": "support_ticket"},
        ]),
    );
    let data = time_chart(&t, &q, &SeriesOptions::default());
    assert_eq!(data.measure, ROWS_MEASURE);
    assert_eq!(values(named(&data, "openai")), vec![Some(2.0)]);
    assert_eq!(values(named(&data, "support_ticket")), vec![Some(1.0)]);
}

#[test]
fn csv_has_rfc3339_buckets_and_one_column_per_series() {
    let q = day_by_type();
    let t = table(
        &q,
        json!([
            {"firstMessageTime_day": "2026-03-01T00:00:00Z", "count": 5, "type": "open,ai"},
            {"firstMessageTime_day": "2026-03-03T00:00:00Z", "count": 2, "type": "support_ticket"},
        ]),
    );
    let data = time_chart(&t, &q, &SeriesOptions { fill_gaps: false, ..SeriesOptions::default() });
    assert_eq!(
        data.to_csv(),
        "firstMessageTime_day,\"open,ai\",support_ticket\r\n\
         2026-03-01,5,\r\n\
         2026-03-02,,\r\n\
         2026-03-03,,2\r\n"
    );
}

#[test]
fn the_cache_derives_once_per_table_query_and_options() {
    let q = day_by_type();
    let rows = json!([{"firstMessageTime_day": "2026-03-01T00:00:00Z", "count": 5, "type": "openai"}]);
    let t = table(&q, rows);
    let mut cache = SeriesCache::new();
    let options = SeriesOptions::default();
    for _ in 0..5 {
        assert!(matches!(cache.get(Some(&t), &q, &options, later()), Chart::Time(_)));
    }
    assert_eq!(cache.derivation_count(), 1);
    let other = SeriesOptions { top_n: 3, ..SeriesOptions::default() };
    cache.get(Some(&t), &q, &other, later());
    assert_eq!(cache.derivation_count(), 2);
    let changed =
        table(&q, json!([{"firstMessageTime_day": "2026-03-01T00:00:00Z", "count": 6, "type": "openai"}]));
    cache.get(Some(&changed), &q, &other, later());
    assert_eq!(cache.derivation_count(), 3);
    assert_eq!(cache.chart().series()[0].values, vec![Some(6.0)]);
    cache.get(None, &q, &other, later());
    assert_eq!(cache.chart(), &Chart::Unavailable(NoChart::NoResult));
}
