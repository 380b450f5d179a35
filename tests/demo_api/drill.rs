//! Drill-down over HTTP: a grouped query runs, the explorer's own drill-down builder
//! (`data::drill`) turns a row, a chart point or an `Other` point of its answer into the
//! query for the rows behind it, and that query's `total` must be the clicked count. Each
//! count is also recomputed here from the generated data, so a builder and a server that
//! agree on a wrong answer still fail.

use inkeep_explorer::api::query::{QueryBody, query_from_value};
use inkeep_explorer::api::view::View;
use inkeep_explorer::data::drill::{
    ChartPoint, DrillRequest, build_drill_down, category_chart_request, row_request, time_chart_request,
};
use inkeep_explorer::data::series::{Chart, SeriesOptions, derive_chart};
use inkeep_explorer::data::{CellRef, ResultTable};

use super::views::{ViewData, count, events, feedback, threads};
use super::*;

/// A grouped query's answer, as the window holds it.
struct Grouped {
    view: View,
    query: QueryBody,
    table: ResultTable,
}

impl Grouped {
    fn run(view: View, body: Value) -> Grouped {
        let page = read_page(&post(view.query_path(), &body), &body);
        assert!(page.total <= page.page_size, "the whole grouped result fits one page: {body}");
        let query = query_from_value(&body).unwrap();
        let table = ResultTable::from_rows_in(view, &query, &page.rows);
        Grouped { view, query, table }
    }

    fn col(&self, name: &str) -> usize {
        self.table.column_index(name).unwrap_or_else(|| panic!("no column {name}"))
    }

    fn count(&self, row: usize) -> u64 {
        self.table.cell(row, self.col("count")).as_f64().unwrap() as u64
    }

    fn bucket(&self, row: usize, column: &str) -> Timestamp {
        let CellRef::Timestamp(ms) = self.table.cell(row, self.col(column)) else {
            panic!("{column} is a time")
        };
        Timestamp::from_millisecond(ms).unwrap()
    }

    fn text(&self, row: usize, column: &str) -> Option<String> {
        let col = self.col(column);
        (!self.table.cell(row, col).is_null()).then(|| self.table.cell_text(row, col).into_owned())
    }

    fn chart(&self, top_n: usize) -> Chart {
        let options = SeriesOptions { top_n, ..SeriesOptions::default() };
        derive_chart(Some(&self.table), &self.query, &options, Timestamp::now())
    }
}

/// Sends the drill-down of `request` and returns its `total`.
fn drilled_total(request: &DrillRequest) -> u64 {
    let drill = build_drill_down(request);
    let body = serde_json::to_value(&drill.body).unwrap();
    read_page(&post(request.view.query_path(), &body), &body).total
}

/// Up to `n` row indices spread over `0..rows`, and every row `extra` picks.
fn sample(rows: usize, n: usize, extra: impl Fn(usize) -> bool) -> Vec<usize> {
    let step = (rows / n).max(1);
    (0..rows).filter(|row| row % step == 0 || extra(*row)).collect()
}

#[test]
fn a_row_of_every_time_unit_drills_into_exactly_its_count() {
    // Each filter starts inside a bucket, so the first bucket is partial and the original
    // filter must stay in the drill-down for the counts to match.
    let mut null_groups = 0;
    for (unit, since) in [
        ("hour", "2025-06-28T00:30:00Z"),
        ("day", "2025-05-20T06:00:00Z"),
        ("week", "2025-04-02T12:00:00Z"),
        ("month", "2025-02-10T00:00:00Z"),
    ] {
        let column = format!("firstMessageTime_{unit}");
        let grouped = Grouped::run(
            View::Conversations,
            json!({
                "select": [{"type": "time", "timeUnit": unit}, {"type": "aggregation", "aggregation": "count"}],
                "groupBy": [{"field": "type"}],
                "where": condition("firstMessageTime", "gte", Some(json!(since))),
            }),
        );
        let since = instant(since);
        let rows = grouped.table.row_count();
        assert!(rows > 4, "{unit}: {rows} rows");
        null_groups += (0..rows).filter(|&row| grouped.text(row, "type").is_none()).count();
        for row in sample(rows, 10, |row| row == 0 || grouped.text(row, "type").is_none()) {
            let start = grouped.bucket(row, &column);
            let kind = grouped.text(row, "type");
            let expected = count_where(|c| {
                c.first_message_time >= since
                    && bucket(c.first_message_time, unit) == start
                    && c.conversation_type == kind.as_deref()
            });
            assert_eq!(grouped.count(row), expected, "{unit} {start} {kind:?}: the server's count");
            let request = row_request(View::Conversations, &grouped.query, &grouped.table, row).unwrap();
            let text = build_drill_down(&request).provenance.text;
            assert_eq!(drilled_total(&request), expected, "{text}");
        }
    }
    assert!(null_groups > 0, "a null type group was drilled into");
}

#[test]
fn a_path_group_and_its_null_group_drill_into_their_counts() {
    let grouped = Grouped::run(
        View::Conversations,
        json!({
            "select": [{"type": "aggregation", "aggregation": "count"}],
            "groupBy": [{"field": "properties", "path": ["source"]}, {"field": "type"}],
        }),
    );
    let mut saw_null = false;
    for row in 0..grouped.table.row_count() {
        let source = grouped.text(row, "properties.source");
        let kind = grouped.text(row, "type");
        saw_null |= source.is_none();
        let expected = count_where(|c| {
            prop(c, &["source"]).and_then(Value::as_str) == source.as_deref()
                && c.conversation_type == kind.as_deref()
        });
        assert_eq!(grouped.count(row), expected, "{source:?} {kind:?}");
        let request = row_request(View::Conversations, &grouped.query, &grouped.table, row).unwrap();
        assert_eq!(drilled_total(&request), expected, "{}", build_drill_down(&request).provenance.text);
    }
    assert!(saw_null, "a conversation without a source");
}

/// Which rows of one grouping value a chart point stands for.
enum Group {
    /// The rows with this value (`None`: null).
    Is(Option<String>),
    /// The rows with none of these values (`Other`; nulls count unless among them).
    NoneOf(Vec<Option<String>>),
}

impl Group {
    fn holds(&self, value: Option<&str>) -> bool {
        match self {
            Group::Is(wanted) => wanted.as_deref() == value,
            Group::NoneOf(shown) => !shown.iter().any(|s| s.as_deref() == value),
        }
    }
}

/// The value of the single grouping column of series `name` (`(none)` is null).
fn value_of_series(grouped: &Grouped, column: &str, name: &str) -> Option<String> {
    (0..grouped.table.row_count())
        .map(|row| grouped.text(row, column))
        .find(|value| value.as_deref().unwrap_or("(none)") == name)
        .unwrap_or_else(|| panic!("no row of series {name}"))
}

/// Points of every series of a time chart (every point of `Other` among them) drill into
/// the chart's value, and that value is `recount(bucket start, group)`.
fn check_time_chart(grouped: &Grouped, top_n: usize, recount: impl Fn(Timestamp, &Group) -> u64) {
    let Chart::Time(chart) = grouped.chart(top_n) else { panic!("a time chart") };
    let column = chart.group_columns.first().expect("one grouping column").clone();
    let shown: Vec<Option<String>> = chart
        .series
        .iter()
        .filter(|s| !s.is_other)
        .map(|s| value_of_series(grouped, &column, &s.name))
        .collect();
    assert!(chart.series.last().is_some_and(|s| s.is_other), "the chart folds series into Other");
    for (series_index, series) in chart.series.iter().enumerate() {
        let group = if series.is_other {
            Group::NoneOf(shown.clone())
        } else {
            Group::Is(value_of_series(grouped, &column, &series.name))
        };
        for index in sample(chart.buckets.len(), 5, |i| i + 1 == chart.buckets.len()) {
            let value = series.values[index].unwrap_or(0.0) as u64;
            let start = Timestamp::from_millisecond(chart.buckets[index]).unwrap();
            assert_eq!(value, recount(start, &group), "{} at {start}: the chart's value", series.name);
            let point = ChartPoint { series: Some(series_index), index: Some(index) };
            let request =
                time_chart_request(grouped.view, &grouped.query, &grouped.table, &chart, point).unwrap();
            assert_eq!(drilled_total(&request), value, "{}", build_drill_down(&request).provenance.text);
        }
        // The legend entry: the whole series.
        let point = ChartPoint { series: Some(series_index), index: None };
        let request =
            time_chart_request(grouped.view, &grouped.query, &grouped.table, &chart, point).unwrap();
        assert_eq!(drilled_total(&request) as f64, series.total, "legend {}", series.name);
    }
}

#[test]
fn other_of_a_top_n_chart_drills_into_the_rows_of_the_folded_series() {
    // Conversations by day and source: sources beyond the top 2 (null among them) are Other.
    let since = instant("2025-06-01T00:00:00Z");
    let grouped = Grouped::run(
        View::Conversations,
        json!({
            "select": [{"type": "time", "timeUnit": "day"}, {"type": "aggregation", "aggregation": "count"}],
            "groupBy": [{"field": "properties", "path": ["source"]}],
            "where": condition("firstMessageTime", "gte", Some(json!("2025-06-01"))),
        }),
    );
    check_time_chart(&grouped, 2, |start, group| {
        count_where(|c| {
            c.first_message_time >= since
                && bucket(c.first_message_time, "day") == start
                && group.holds(prop(c, &["source"]).and_then(Value::as_str))
        })
    });
}

fn text_of<'a>(row: &'a Map<String, Value>, field: &str) -> Option<&'a str> {
    row.get(field).and_then(Value::as_str)
}

fn view_time(row: &Map<String, Value>, field: &str, unit: &str) -> Timestamp {
    bucket(time_value(&row[field]), unit)
}

#[test]
fn the_other_views_drill_into_their_counts_at_every_unit_and_for_other() {
    let cases: [(View, &ViewData, &str, &str, usize); 3] = [
        (View::Events, events(), "createdAt", "eventType", 3),
        // Two feedback types: a top 1 would keep both (folding one series only renames it).
        (View::Feedback, feedback(), "createdAt", "type", 0),
        (View::SemanticThreads, threads(), "firstMessageTime", "category", 3),
    ];
    for (view, data, time, key, top_n) in cases {
        for (unit, since) in
            [("hour", "2025-06-29"), ("day", "2025-06-01"), ("week", "2025-05-01"), ("month", "2025-03-15")]
        {
            let grouped = Grouped::run(
                view,
                json!({
                    "select": [{"type": "time", "timeUnit": unit, "field": time},
                               {"type": "aggregation", "aggregation": "count"}],
                    "groupBy": [{"field": key}],
                    "where": condition(time, "gte", Some(json!(since))),
                }),
            );
            let since = instant(&format!("{since}T00:00:00Z"));
            let recount = |start: Timestamp, group: &Group| {
                count(data, |row| {
                    time_value(&row[time]) >= since
                        && view_time(row, time, unit) == start
                        && group.holds(text_of(row, key))
                })
            };
            // A grid row: its bucket and group value.
            let column = format!("{time}_{unit}");
            let last = grouped.table.row_count() - 1;
            for row in [0, last] {
                let expected = recount(grouped.bucket(row, &column), &Group::Is(grouped.text(row, key)));
                assert_eq!(grouped.count(row), expected, "{view} {unit} row {row}");
                let request = row_request(view, &grouped.query, &grouped.table, row).unwrap();
                assert_eq!(
                    drilled_total(&request),
                    expected,
                    "{}",
                    build_drill_down(&request).provenance.text
                );
            }
            if unit == "week" && top_n > 0 {
                check_time_chart(&grouped, top_n, recount);
            }
        }
    }
}

#[test]
fn a_bar_of_a_category_chart_and_its_other_bar_drill_into_their_counts() {
    let grouped = Grouped::run(
        View::SemanticThreads,
        json!({
            "select": [{"type": "aggregation", "aggregation": "count"}],
            "groupBy": [{"field": "category"}, {"field": "isOnTopic"}],
        }),
    );
    let Chart::Category(chart) = grouped.chart(2) else { panic!("a category chart") };
    assert!(chart.folded_category_count > 0, "categories folded into Other");
    for (series_index, series) in chart.series.iter().enumerate() {
        for (index, value) in series.values.iter().enumerate() {
            let value = value.unwrap_or(0.0) as u64;
            let point = ChartPoint { series: Some(series_index), index: Some(index) };
            let request =
                category_chart_request(grouped.view, &grouped.query, &grouped.table, &chart, point).unwrap();
            assert_eq!(drilled_total(&request), value, "{}", build_drill_down(&request).provenance.text);
        }
    }
    let other_total: u64 =
        chart.series.iter().map(|s| s.values.last().copied().flatten().unwrap_or(0.0) as u64).sum();
    let shown: Vec<&str> =
        chart.categories.iter().take(chart.categories.len() - 1).map(String::as_str).collect();
    assert_eq!(
        other_total,
        count(threads(), |row| !shown.contains(&text_of(row, "category").unwrap_or("(none)")))
    );
}
