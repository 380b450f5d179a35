use jiff::Timestamp;
use serde_json::{Map, Value, json};

use super::*;
use crate::api::field::Field;
use crate::api::query::{QueryBody, parse_query};
use crate::api::timestamp::{format_utc, parse_filter_timestamp};
use crate::api::validate::validate_for_send;
use crate::api::view::View;
use crate::data::ResultTable;

fn utc(text: &str) -> Timestamp {
    parse_filter_timestamp(text).unwrap()
}

fn body(json: Value) -> QueryBody {
    parse_query(&json.to_string()).unwrap()
}

/// A count per day of conversations filtered by `where`.
fn count_per_day(filter: Value) -> QueryBody {
    body(json!({
        "select": [
            {"type": "time", "timeUnit": "day", "field": "firstMessageTime"},
            {"type": "aggregation", "aggregation": "count"}
        ],
        "where": filter
    }))
}

fn between(field: &str, start: &str, end: &str) -> Value {
    json!({"and": [
        {"condition": {"field": field, "operator": "gte", "value": start}},
        {"condition": {"field": field, "operator": "lt", "value": end}}
    ]})
}

fn plan_for(view: View, query: &QueryBody, now: &str, offset: CompareOffset) -> ComparePlan {
    plan_comparison(view, query, utc(now), offset).unwrap()
}

fn previous_text(plan: &ComparePlan) -> (String, String) {
    (format_utc(plan.periods.previous.start), format_utc(plan.periods.previous.end))
}

/// The bound values of the previous body, in document order.
fn previous_bounds(plan: &ComparePlan) -> Vec<String> {
    let json = serde_json::to_value(&plan.previous_body).unwrap();
    let mut out = Vec::new();
    collect_values(&json["where"], &mut out);
    out
}

fn collect_values(filter: &Value, out: &mut Vec<String>) {
    if let Some(condition) = filter.get("condition") {
        out.push(condition["value"].as_str().unwrap_or_default().to_string());
    }
    for key in ["and", "or"] {
        for item in filter.get(key).and_then(Value::as_array).into_iter().flatten() {
            collect_values(item, out);
        }
    }
}

const NOW: &str = "2026-03-31T15:30:00Z";

#[test]
fn explicit_bounds_shift_by_every_offset() {
    let query = count_per_day(between("firstMessageTime", "2026-03-10T00:00:00Z", "2026-03-17T00:00:00Z"));
    let cases = [
        (CompareOffset::Previous, "2026-03-03T00:00:00Z", "2026-03-10T00:00:00Z"),
        (CompareOffset::Week, "2026-03-03T00:00:00Z", "2026-03-10T00:00:00Z"),
        (CompareOffset::Month, "2026-02-10T00:00:00Z", "2026-02-17T00:00:00Z"),
        (CompareOffset::Year, "2025-03-10T00:00:00Z", "2025-03-17T00:00:00Z"),
    ];
    for (offset, start, end) in cases {
        let plan = plan_for(View::Conversations, &query, NOW, offset);
        assert_eq!(plan.periods.current.field, Field::FirstMessageTime);
        assert_eq!(previous_text(&plan), (start.to_string(), end.to_string()), "{offset}");
        assert_eq!(previous_bounds(&plan), vec![start.to_string(), end.to_string()], "{offset}");
        validate_for_send(View::Conversations, &plan.previous_body).unwrap();
    }
}

#[test]
fn the_previous_period_of_a_ten_day_range_is_the_ten_days_before() {
    let query = count_per_day(between("firstMessageTime", "2026-03-05", "2026-03-15"));
    let plan = plan_for(View::Conversations, &query, NOW, CompareOffset::Previous);
    assert_eq!(previous_text(&plan), ("2026-02-23T00:00:00Z".into(), "2026-03-05T00:00:00Z".into()));
}

#[test]
fn month_shifts_clamp_to_the_end_of_the_month() {
    // March 31 back one month is February 28 in 2026 (and February 29 in a leap year).
    let query = count_per_day(between("firstMessageTime", "2026-03-31T10:00:00Z", "2026-04-30T10:00:00Z"));
    let plan = plan_for(View::Conversations, &query, NOW, CompareOffset::Month);
    assert_eq!(previous_text(&plan), ("2026-02-28T10:00:00Z".into(), "2026-03-30T10:00:00Z".into()));
    let leap = count_per_day(between("firstMessageTime", "2024-03-31", "2024-04-01"));
    let plan = plan_for(View::Conversations, &leap, NOW, CompareOffset::Month);
    assert_eq!(previous_text(&plan), ("2024-02-29T00:00:00Z".into(), "2024-03-01T00:00:00Z".into()));
    // A year back from February 29 is February 28.
    let leap_day = count_per_day(between("firstMessageTime", "2024-02-29", "2024-03-01"));
    let plan = plan_for(View::Conversations, &leap_day, NOW, CompareOffset::Year);
    assert_eq!(previous_text(&plan), ("2023-02-28T00:00:00Z".into(), "2023-03-01T00:00:00Z".into()));
}

#[test]
fn relative_ranges_resolve_against_now_then_shift() {
    // "last 30 days" as eq: the rolling 30 days up to now.
    let rolling = count_per_day(
        json!({"condition": {"field": "firstMessageTime", "operator": "eq", "value": "last 30 days"}}),
    );
    let plan = plan_for(View::Conversations, &rolling, NOW, CompareOffset::Previous);
    assert_eq!(format_utc(plan.periods.current.start), "2026-03-01T15:30:00Z");
    assert_eq!(format_utc(plan.periods.current.end), NOW);
    assert_eq!(previous_text(&plan), ("2026-01-30T15:30:00Z".into(), "2026-03-01T15:30:00Z".into()));
    validate_for_send(View::Conversations, &plan.previous_body).unwrap();
    validate_for_send(View::Conversations, &plan.current_body).unwrap();

    // "this week" as a gte / lt pair: Monday to Monday; a week back for both offsets.
    let week = count_per_day(between("firstMessageTime", "this week", "this week"));
    for offset in [CompareOffset::Previous, CompareOffset::Week] {
        let plan = plan_for(View::Conversations, &week, NOW, offset);
        assert_eq!(format_utc(plan.periods.current.start), "2026-03-30T00:00:00Z");
        assert_eq!(previous_text(&plan), ("2026-03-23T00:00:00Z".into(), "2026-03-30T00:00:00Z".into()));
    }
}

#[test]
fn a_calendar_month_is_compared_with_the_calendar_month_before() {
    // March has 31 days; the previous period is February, not the 31 days before.
    let month = count_per_day(between("firstMessageTime", "this month", "this month"));
    let plan = plan_for(View::Conversations, &month, NOW, CompareOffset::Previous);
    assert_eq!(previous_text(&plan), ("2026-02-01T00:00:00Z".into(), "2026-03-01T00:00:00Z".into()));
    // "previous quarter" (Oct–Dec 2025) → Jul–Sep 2025.
    let quarter = count_per_day(
        json!({"condition": {"field": "firstMessageTime", "operator": "eq", "value": "previous quarter"}}),
    );
    let plan = plan_for(View::Conversations, &quarter, NOW, CompareOffset::Previous);
    assert_eq!(previous_text(&plan), ("2025-07-01T00:00:00Z".into(), "2025-10-01T00:00:00Z".into()));
}

#[test]
fn a_one_sided_relative_bound_stands_for_its_range() {
    // As the built-in presets write it: gte "last 30 days" alone is the 30 days up to now.
    let rolling = count_per_day(
        json!({"condition": {"field": "firstMessageTime", "operator": "gte", "value": "last 30 days"}}),
    );
    let plan = plan_for(View::Conversations, &rolling, NOW, CompareOffset::Previous);
    assert_eq!(format_utc(plan.periods.current.start), "2026-03-01T15:30:00Z");
    assert_eq!(format_utc(plan.periods.current.end), NOW);
    assert_eq!(previous_bounds(&plan), vec!["2026-01-30T15:30:00Z", "2026-03-01T15:30:00Z"]);
    validate_for_send(View::Conversations, &plan.previous_body).unwrap();
    // gte "this week" alone: the whole week.
    let week = count_per_day(json!({"and": [
        {"condition": {"field": "type", "operator": "eq", "value": "openai"}},
        {"condition": {"field": "firstMessageTime", "operator": "gte", "value": "this week"}}
    ]}));
    let plan = plan_for(View::Conversations, &week, NOW, CompareOffset::Week);
    assert_eq!(format_utc(plan.periods.current.end), "2026-04-06T00:00:00Z");
    assert_eq!(previous_bounds(&plan), vec!["openai", "2026-03-23T00:00:00Z", "2026-03-30T00:00:00Z"]);
    // A relative instant alone ends now; both bodies get the end.
    let since = count_per_day(
        json!({"condition": {"field": "firstMessageTime", "operator": "gte", "value": "now - 2 days"}}),
    );
    let plan = plan_for(View::Conversations, &since, NOW, CompareOffset::Previous);
    assert_eq!(format_utc(plan.periods.current.end), NOW);
    assert_eq!(previous_bounds(&plan), vec!["2026-03-27T15:30:00Z", "2026-03-29T15:30:00Z"]);
    assert_eq!(collect(&plan.current_body), vec!["2026-03-29T15:30:00Z", NOW]);
    // The user's query is untouched.
    assert_eq!(collect(&since), vec!["now - 2 days"]);
}

fn collect(body: &QueryBody) -> Vec<String> {
    let mut out = Vec::new();
    collect_values(&serde_json::to_value(body).unwrap()["where"], &mut out);
    out
}

#[test]
fn gt_and_lte_bounds_close_the_range_just_after_the_value() {
    let query = count_per_day(json!({"and": [
        {"condition": {"field": "createdAt", "operator": "gt", "value": "2026-03-01T00:00:00Z"}},
        {"condition": {"field": "createdAt", "operator": "lte", "value": "2026-03-02T00:00:00Z"}}
    ]}));
    let plan = plan_for(View::Events, &query, NOW, CompareOffset::Previous);
    assert_eq!(plan.periods.current.field, Field::CreatedAt);
    assert_eq!(format_utc(plan.periods.current.start), "2026-03-01T00:00:00.001Z");
    assert_eq!(format_utc(plan.periods.current.end), "2026-03-02T00:00:00.001Z");
    assert_eq!(previous_bounds(&plan), vec!["2026-02-28T00:00:00Z", "2026-03-01T00:00:00Z"]);
}

#[test]
fn an_unbounded_query_is_refused_with_what_it_needs() {
    let none = body(json!({"select": [{"type": "aggregation", "aggregation": "count"}]}));
    let error = plan_comparison(View::Feedback, &none, utc(NOW), CompareOffset::Previous).unwrap_err();
    assert_eq!(error, CompareError::Unbounded { field: Field::CreatedAt, detail: None });
    assert_eq!(
        error.to_string(),
        "Compare needs a time range with both a start and an end on createdAt; add e.g. createdAt in the last 30 days"
    );
    let start_only = count_per_day(
        json!({"condition": {"field": "lastMessageTime", "operator": "gte", "value": "2026-03-01"}}),
    );
    let error =
        plan_comparison(View::SemanticThreads, &start_only, utc(NOW), CompareOffset::Week).unwrap_err();
    assert!(
        error.to_string().contains("on lastMessageTime") && error.to_string().contains("start but no end"),
        "{error}"
    );
    // Bounds under an `or` bound nothing.
    let either = count_per_day(json!({"or": [
        between("firstMessageTime", "2026-03-01", "2026-03-02"),
        {"condition": {"field": "type", "operator": "eq", "value": "openai"}}
    ]}));
    assert!(matches!(
        plan_comparison(View::Conversations, &either, utc(NOW), CompareOffset::Previous),
        Err(CompareError::Unbounded { .. })
    ));
    let empty = count_per_day(between("firstMessageTime", "2026-03-02", "2026-03-01"));
    assert!(matches!(
        plan_comparison(View::Conversations, &empty, utc(NOW), CompareOffset::Previous),
        Err(CompareError::Empty { .. })
    ));
    let raw = body(json!({"where": between("firstMessageTime", "2026-03-01", "2026-03-02")}));
    assert_eq!(
        plan_comparison(View::Conversations, &raw, utc(NOW), CompareOffset::Previous),
        Err(CompareError::NotAggregated)
    );
}

#[test]
fn offsets_read_their_names() {
    for offset in CompareOffset::ALL {
        assert_eq!(CompareOffset::from_name(offset.as_str()), Some(offset));
    }
    assert_eq!(CompareOffset::from_name(" Week "), Some(CompareOffset::Week));
    assert_eq!(CompareOffset::from_name("fortnight"), None);
}

// ---------------------------------------------------------------------------------------------
// The join
// ---------------------------------------------------------------------------------------------

fn rows(values: Value) -> Vec<Map<String, Value>> {
    values.as_array().unwrap().iter().map(|row| row.as_object().unwrap().clone()).collect()
}

fn cells(table: &ResultTable, column: &str) -> Vec<String> {
    let col = table
        .column_index(column)
        .unwrap_or_else(|| panic!("no column {column}: {:?}", table.column_names()));
    (0..table.row_count()).map(|row| table.cell_text(row, col).into_owned()).collect()
}

fn day_periods() -> Periods {
    let query = count_per_day(between("firstMessageTime", "2026-03-10", "2026-03-13"));
    plan_for(View::Conversations, &query, NOW, CompareOffset::Previous).periods
}

#[test]
fn buckets_join_on_their_offset_and_missing_buckets_count_as_zero() {
    let query = count_per_day(between("firstMessageTime", "2026-03-10", "2026-03-13"));
    let current = ResultTable::from_rows_in(
        View::Conversations,
        &query,
        &rows(json!([
            {"firstMessageTime_day": "2026-03-10T00:00:00Z", "count": 12},
            {"firstMessageTime_day": "2026-03-11T00:00:00Z", "count": 5}
        ])),
    );
    // Previous period: March 7–9. Day 0 had 10, day 1 nothing, day 2 had 4.
    let previous = ResultTable::from_rows_in(
        View::Conversations,
        &query,
        &rows(json!([
            {"firstMessageTime_day": "2026-03-07T00:00:00Z", "count": 10},
            {"firstMessageTime_day": "2026-03-09T00:00:00Z", "count": 4}
        ])),
    );
    let joined = join_comparison(&day_periods(), CompareOffset::Previous, &current, &previous);
    let table = &joined.table;
    assert_eq!(
        table.column_names(),
        vec!["firstMessageTime_day", "previous firstMessageTime_day", "count", "previous", "change %"]
    );
    assert_eq!(
        cells(table, "firstMessageTime_day"),
        vec!["2026-03-10T00:00:00Z", "2026-03-11T00:00:00Z", "2026-03-12T00:00:00Z"]
    );
    assert_eq!(
        cells(table, "previous firstMessageTime_day"),
        vec!["2026-03-07T00:00:00Z", "2026-03-08T00:00:00Z", "2026-03-09T00:00:00Z"]
    );
    assert_eq!(cells(table, "count"), vec!["12", "5", "0"]);
    assert_eq!(cells(table, "previous"), vec!["10", "0", "4"]);
    assert_eq!(cells(table, "change %"), vec!["20", "new", "-100"]);
    // The chart's previous line: the current buckets, the previous counts.
    let aligned = &joined.aligned_previous;
    assert_eq!(aligned.column_names(), vec!["firstMessageTime_day", "count"]);
    assert_eq!(cells(aligned, "firstMessageTime_day"), cells(table, "firstMessageTime_day"));
    assert_eq!(cells(aligned, "count"), vec!["10", "0", "4"]);
    let summary = joined.summary.unwrap();
    assert_eq!((summary.current_total, summary.previous_total), (17.0, 14.0));
    assert_eq!(summary.change, Change::Percent(21.4));
    assert_eq!(summary.report_line(), "+21.4 % on the previous period");
    assert_eq!(summary.line(), "count: 17 · previous period: 14 · +21.4 %");
}

#[test]
fn groups_missing_on_either_side_are_kept_and_nulls_join_nulls() {
    let query = body(json!({
        "select": [{"type": "aggregation", "aggregation": "count"}, {"type": "aggregation", "aggregation": "avg", "field": "userMessageCount"}],
        "groupBy": [{"field": "type"}],
        "where": between("firstMessageTime", "2026-03-10", "2026-03-13")
    }));
    let current = ResultTable::from_rows_in(
        View::Conversations,
        &query,
        &rows(json!([
            {"count": 3, "avg_userMessageCount": 2.5, "type": "openai"},
            {"count": 2, "avg_userMessageCount": 1.0, "type": null},
            {"count": 0, "avg_userMessageCount": 0, "type": "support_copilot"}
        ])),
    );
    let previous = ResultTable::from_rows_in(
        View::Conversations,
        &query,
        &rows(json!([
            {"count": 4, "avg_userMessageCount": 2.0, "type": null},
            {"count": 6, "avg_userMessageCount": 3.0, "type": "support_ticket"}
        ])),
    );
    let joined = join_comparison(&day_periods(), CompareOffset::Week, &current, &previous);
    let table = &joined.table;
    assert_eq!(
        table.column_names(),
        vec![
            "count",
            "previous count",
            "change % count",
            "avg_userMessageCount",
            "previous avg_userMessageCount",
            "change % avg_userMessageCount",
            "type"
        ]
    );
    assert_eq!(cells(table, "type"), vec!["openai", "", "support_copilot", "support_ticket"]);
    assert!(table.cell(1, table.column_index("type").unwrap()).is_null());
    assert_eq!(cells(table, "count"), vec!["3", "2", "0", "0"]);
    assert_eq!(cells(table, "previous count"), vec!["0", "4", "0", "6"]);
    // From zero: new; zero on both sides: 0; to zero: -100.
    assert_eq!(cells(table, "change % count"), vec!["new", "-50", "0", "-100"]);
    assert_eq!(cells(table, "previous avg_userMessageCount"), vec!["0", "2", "0", "3"]);
    assert_eq!(cells(table, "change % avg_userMessageCount"), vec!["new", "-50", "0", "-100"]);
    let summary = joined.summary.unwrap();
    assert_eq!(summary.measure, "count");
    assert_eq!((summary.current_total, summary.previous_total), (5.0, 10.0));
    assert_eq!(summary.report_line(), "-50 % on last week");
}

#[test]
fn month_buckets_join_by_calendar_month_and_averages_have_no_summary() {
    let range = between("firstMessageTime", "2026-01-01", "2026-03-01");
    let query = body(json!({
        "select": [
            {"type": "time", "timeUnit": "month", "field": "firstMessageTime"},
            {"type": "aggregation", "aggregation": "avg", "field": "questionLength"}
        ],
        "where": range
    }));
    let periods = plan_for(View::SemanticThreads, &query, NOW, CompareOffset::Year).periods;
    let table = |values| ResultTable::from_rows_in(View::SemanticThreads, &query, &rows(values));
    let current = table(json!([{"firstMessageTime_month": "2026-02-01T00:00:00Z", "avg_questionLength": 9}]));
    let previous = table(json!([
        {"firstMessageTime_month": "2025-01-01T00:00:00Z", "avg_questionLength": 4},
        {"firstMessageTime_month": "2025-02-01T00:00:00Z", "avg_questionLength": 6}
    ]));
    let joined = join_comparison(&periods, CompareOffset::Year, &current, &previous);
    let month = "firstMessageTime_month";
    assert_eq!(cells(&joined.table, month), vec!["2026-02-01T00:00:00Z", "2026-01-01T00:00:00Z"]);
    assert_eq!(
        cells(&joined.table, &format!("previous {month}")),
        vec!["2025-02-01T00:00:00Z", "2025-01-01T00:00:00Z"]
    );
    assert_eq!(cells(&joined.table, "avg_questionLength"), vec!["9", "0"]);
    assert_eq!(cells(&joined.table, "previous"), vec!["6", "4"]);
    assert_eq!(cells(&joined.table, "change %"), vec!["50", "-100"]);
    assert_eq!(joined.summary, None);
}

#[test]
fn changes_read_as_a_person_reads_them() {
    assert_eq!(Change::between(112.0, 100.0).text(), "+12 %");
    assert_eq!(Change::between(1.0, 3.0).text(), "-66.7 %");
    assert_eq!(Change::between(5.0, 0.0).text(), "new");
    assert_eq!(Change::between(0.0, 0.0).text(), "0 %");
    assert_eq!(Change::between(7.0, 7.0).percent(), Some(0.0));
    assert_eq!(summary::number_text(1234567.0), "1,234,567");
    assert_eq!(summary::number_text(-1234.5), "-1,234.5");
}
