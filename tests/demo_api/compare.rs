//! Comparison with an earlier period, on every view: the joined table's `count`,
//! `previous` and `change %`, and the summary's totals, equal two independent runs, one of
//! the query and one of the previous period's query written out by hand here.

use inkeep_explorer::api::query::parse_query;
use inkeep_explorer::api::view::View;
use inkeep_explorer::data::ResultTable;
use inkeep_explorer::data::compare::{CompareOffset, join_comparison, plan_comparison};

use super::*;

/// Count per day and `group`, on `field` from `start` to `end` (dates, end excluded).
fn per_day(field: &str, group: &str, start: &str, end: &str) -> Value {
    json!({
        "select": [
            {"type": "time", "timeUnit": "day", "field": field},
            {"type": "aggregation", "aggregation": "count"}
        ],
        "groupBy": [{"field": group}],
        "where": {"and": [
            {"condition": {"field": field, "operator": "gte", "value": format!("{start}T00:00:00Z")}},
            {"condition": {"field": field, "operator": "lt", "value": format!("{end}T00:00:00Z")}},
            {"condition": {"field": group, "operator": "isNotNull"}}
        ]}
    })
}

fn post_view(view: View, body: &Value) -> Page {
    read_page(&post(view.query_path(), body), body)
}

/// (days from `start`, group) → count, from a run's rows.
fn counts(page: &Page, field: &str, group: &str, start: &str) -> BTreeMap<(i64, String), u64> {
    let start = instant(&format!("{start}T00:00:00Z"));
    page.rows
        .iter()
        .map(|row| {
            let day = time_value(&row[&format!("{field}_day")]);
            let offset = day.duration_since(start).as_hours().div_euclid(24);
            ((offset, row[group].as_str().unwrap().to_string()), row["count"].as_u64().unwrap())
        })
        .collect()
}

fn text(table: &ResultTable, row: usize, column: &str) -> String {
    table.cell_text(row, table.column_index(column).unwrap()).into_owned()
}

#[test]
fn every_offset_on_every_view_equals_two_independent_runs() {
    let now = instant("2025-06-30T12:00:00Z");
    let views = [
        (View::Conversations, "firstMessageTime", "type"),
        (View::Events, "createdAt", "type"),
        (View::Feedback, "createdAt", "type"),
        (View::SemanticThreads, "firstMessageTime", "sentiment"),
    ];
    // The current range and, per offset, the previous one written out by hand.
    let (start, end) = ("2025-06-01", "2025-06-15");
    let offsets = [
        (CompareOffset::Previous, "2025-05-18", "2025-06-01"),
        (CompareOffset::Week, "2025-05-25", "2025-06-08"),
        (CompareOffset::Month, "2025-05-01", "2025-05-15"),
        // Before the data starts: every group is new.
        (CompareOffset::Year, "2024-06-01", "2024-06-15"),
    ];
    for (view, field, group) in views {
        let query = per_day(field, group, start, end);
        let current = counts(&post_view(view, &query), field, group, start);
        assert!(current.len() > 5, "{view:?}: the demo should have rows in the range");
        for (offset, previous_start, previous_end) in offsets {
            let what = format!("{view:?} {offset}");
            let previous_query = per_day(field, group, previous_start, previous_end);
            let previous = counts(&post_view(view, &previous_query), field, group, previous_start);

            let plan = plan_comparison(view, &parse_query(&query.to_string()).unwrap(), now, offset).unwrap();
            assert_eq!(serde_json::to_value(&plan.previous_body).unwrap(), previous_query, "{what}");
            let answer = |body| {
                let json = serde_json::to_value(body).unwrap();
                ResultTable::from_answer_in(view, body, &post(view.query_path(), &json).body).unwrap().0
            };
            let joined = join_comparison(
                &plan.periods,
                offset,
                &answer(&plan.current_body),
                &answer(&plan.previous_body),
            );

            let mut expected = BTreeMap::new();
            for key in current.keys().chain(previous.keys()) {
                let pair = (current.get(key).copied().unwrap_or(0), previous.get(key).copied().unwrap_or(0));
                expected.insert(key.clone(), pair);
            }
            let table = &joined.table;
            let day_column = format!("{field}_day");
            let mut seen = BTreeMap::new();
            for row in 0..table.row_count() {
                let day = instant(&text(table, row, &day_column));
                let offset_days = day.duration_since(instant(&format!("{start}T00:00:00Z"))).as_hours() / 24;
                let earlier = instant(&text(table, row, &format!("previous {day_column}")));
                let earlier_days =
                    earlier.duration_since(instant(&format!("{previous_start}T00:00:00Z"))).as_hours() / 24;
                assert_eq!(offset_days, earlier_days, "{what}: aligned on the bucket offset");
                let count: u64 = text(table, row, "count").parse().unwrap();
                let before: u64 = text(table, row, "previous").parse().unwrap();
                let change = text(table, row, "change %");
                match (count, before) {
                    (c, p) if c == p => assert_eq!(change, "0", "{what}"),
                    (_, 0) => assert_eq!(change, "new", "{what}"),
                    (c, p) => {
                        let percent: f64 = change.parse().unwrap();
                        let exact = (c as f64 - p as f64) / p as f64 * 100.0;
                        assert!((percent - exact).abs() <= 0.05 + 1e-9, "{what}: {percent} vs {exact}");
                    }
                }
                assert!(seen.insert((offset_days, text(table, row, group)), (count, before)).is_none());
            }
            assert_eq!(seen, expected, "{what}");

            let summary = joined.summary.unwrap();
            assert_eq!(summary.current_total, current.values().sum::<u64>() as f64, "{what}");
            assert_eq!(summary.previous_total, previous.values().sum::<u64>() as f64, "{what}");
            if offset == CompareOffset::Year {
                assert!(previous.is_empty(), "{what}: no data a year back");
                assert_eq!(summary.report_line(), "new on last year");
            }
        }
    }
}

/// Count per day and type between two instants (RFC 3339, end excluded).
fn per_day_between(start: &str, end: &str) -> Value {
    json!({
        "select": [
            {"type": "time", "timeUnit": "day", "field": "firstMessageTime"},
            {"type": "aggregation", "aggregation": "count"}
        ],
        "groupBy": [{"field": "type"}],
        "where": {"and": [
            {"condition": {"field": "firstMessageTime", "operator": "gte", "value": start}},
            {"condition": {"field": "firstMessageTime", "operator": "lt", "value": end}}
        ]}
    })
}

#[test]
fn a_lone_relative_start_compares_like_its_range_written_out() {
    // `gte "last 14 days"` alone, as the presets write it, at a fixed clock reading.
    let now = instant("2025-06-20T12:00:00Z");
    let relative = json!({
        "select": [
            {"type": "time", "timeUnit": "day", "field": "firstMessageTime"},
            {"type": "aggregation", "aggregation": "count"}
        ],
        "groupBy": [{"field": "type"}],
        "where": {"condition": {"field": "firstMessageTime", "operator": "gte", "value": "last 14 days"}}
    });
    let plan = plan_comparison(
        View::Conversations,
        &parse_query(&relative.to_string()).unwrap(),
        now,
        CompareOffset::Previous,
    )
    .unwrap();
    let answer = |body| {
        let json = serde_json::to_value(body).unwrap();
        ResultTable::from_answer_in(View::Conversations, body, &post("/query/conversations", &json).body)
            .unwrap()
            .0
    };
    let joined = join_comparison(
        &plan.periods,
        plan.offset,
        &answer(&plan.current_body),
        &answer(&plan.previous_body),
    );
    // The same two periods written out by hand, run independently; the first and last buckets
    // are partial days (noon to noon).
    let current = query(per_day_between("2025-06-06T12:00:00Z", "2025-06-20T12:00:00Z"));
    let previous = query(per_day_between("2025-05-23T12:00:00Z", "2025-06-06T12:00:00Z"));
    let total = |page: &Page| page.rows.iter().map(|row| row["count"].as_u64().unwrap()).sum::<u64>();
    let summary = joined.summary.unwrap();
    assert_eq!(summary.current_total, total(&current) as f64);
    assert_eq!(summary.previous_total, total(&previous) as f64);
    assert!(total(&current) > 0 && total(&previous) > 0);
    // Row by row: the first current day (June 6) meets the first previous day (May 23).
    let day = joined.table.column_index("firstMessageTime_day").unwrap();
    let earlier = joined.table.column_index("previous firstMessageTime_day").unwrap();
    let kind = joined.table.column_index("type").unwrap();
    let (count, before) =
        (joined.table.column_index("count").unwrap(), joined.table.column_index("previous").unwrap());
    let lookup = |page: &Page, day: &str, kind: &str| {
        page.rows
            .iter()
            .find(|row| {
                row["firstMessageTime_day"] == day && row["type"].as_str().unwrap_or_default() == kind
            })
            .map_or(0, |row| row["count"].as_u64().unwrap())
    };
    for row in 0..joined.table.row_count() {
        let kind_text = joined.table.cell_text(row, kind);
        let day_text = joined.table.cell_text(row, day);
        let earlier_text = joined.table.cell_text(row, earlier);
        assert_eq!(
            joined.table.cell_text(row, count).parse::<u64>().unwrap(),
            lookup(&current, &day_text, &kind_text),
            "{day_text} {kind_text}"
        );
        assert_eq!(
            joined.table.cell_text(row, before).parse::<u64>().unwrap(),
            lookup(&previous, &earlier_text, &kind_text),
            "{earlier_text} {kind_text}"
        );
    }
}
