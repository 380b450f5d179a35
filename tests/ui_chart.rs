//! The Chart tab driven as a user would, headless through egui_kittest, on a real result:
//! the embedded demo API (3 000 conversations) answers "count by day and type" over loopback
//! through the project's own client, and the table built from that answer is charted.
//!
//! Expected values come from regenerating the same dataset here (`dataset::generate`) and
//! counting it in Rust, not from the chart's own code.

// Helpers outside #[test] functions panic on purpose too: a failed step is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use inkeep_explorer::api::client::{AnalyticsClient, ApiKey, ClientConfig};
use inkeep_explorer::api::query::{QueryBody, parse_query};
use inkeep_explorer::api::view::View;
use inkeep_explorer::app::chart_ui::{ChartAction, ChartSettings, chart_ui};
use inkeep_explorer::data::ResultTable;
use inkeep_explorer::data::series::{Chart, SeriesCache};
use inkeep_explorer::demo::dataset::{self, DatasetParams};
use inkeep_explorer::demo::server::{DemoServer, ServerConfig};
use inkeep_explorer::worker::DEMO_TOKEN;
use jiff::Timestamp;
use jiff::civil::Date;
use serde_json::{Map, Value, json};
use support::{Settle, click};

const ROWS: u64 = 3_000;
const TYPES: [&str; 3] = ["openai", "support_copilot", "support_ticket"];
/// The checkboxes of the chart's own toolbar (everything else with that role is the legend).
const TOOLBAR_CHECKBOXES: [&str; 2] = ["Fill gaps with zero", "Log scale"];

fn params() -> DatasetParams {
    DatasetParams { rows: ROWS, seed: 5, end_date: Date::constant(2025, 9, 30) }
}

/// Well after the data: no bucket is partial because of the current time.
fn now() -> Timestamp {
    "2026-01-01T00:00:00Z".parse().unwrap()
}

fn day_by_type() -> QueryBody {
    parse_query(
        &json!({
            "select": [
                {"type": "time", "timeUnit": "day"},
                {"type": "aggregation", "aggregation": "count"}
            ],
            "groupBy": [{"field": "type"}],
            "where": {"condition": {"field": "type", "operator": "isNotNull"}},
            "orderBy": [{"field": "firstMessageTime_day", "direction": "asc"}]
        })
        .to_string(),
    )
    .unwrap()
}

/// Runs `query` against a fresh demo API through the project's client, as the window does (the
/// demo API takes any bearer token).
fn run_against_demo_api(query: &QueryBody) -> ResultTable {
    let server = DemoServer::start_in_background(ServerConfig::local(params())).expect("demo server starts");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let client =
        AnalyticsClient::new(ClientConfig::new(server.url(), Some(ApiKey::new(DEMO_TOKEN.to_string()))))
            .unwrap();
    let raw = runtime.block_on(client.query_raw(View::Conversations, query)).expect("the demo API answers");
    let (table, meta) = ResultTable::from_response_bytes(query, &raw.bytes).unwrap();
    assert!(!meta.is_truncated(), "the whole result fits in one page: {meta:?}");
    server.shutdown();
    table
}

struct Fixture {
    /// Behind an `Arc`, as the window holds it: the cache knows a table by its address too.
    table: Option<Arc<ResultTable>>,
    query: QueryBody,
    cache: SeriesCache,
    settings: ChartSettings,
    actions: Vec<ChartAction>,
}

/// The chart drawn alone, as the window draws it: run the step budget and go on.
impl Settle for Fixture {
    fn settle(harness: &mut Harness<'_, Self>) {
        harness.run_ok();
    }
}

fn harness(table: Option<ResultTable>, query: QueryBody) -> Harness<'static, Fixture> {
    let fixture = Fixture {
        table: table.map(Arc::new),
        query,
        cache: SeriesCache::new(),
        settings: ChartSettings::default(),
        actions: Vec::new(),
    };
    let mut harness = Harness::builder().with_size(egui::vec2(1200.0, 720.0)).build_ui_state(
        |ui, fixture: &mut Fixture| {
            let actions = chart_ui(
                ui,
                fixture.table.as_deref(),
                &fixture.query,
                &mut fixture.cache,
                &mut fixture.settings,
                now(),
            );
            fixture.actions.extend(actions);
        },
        fixture,
    );
    harness.run_ok();
    harness
}

/// The legend entries: every checkbox that is not one of the toolbar's, with its checked state.
fn legend(harness: &Harness<'static, Fixture>) -> BTreeMap<String, bool> {
    harness
        .query_all_by_role(Role::CheckBox)
        .filter_map(|node| {
            let node = node.accesskit_node();
            let label = node.label()?;
            let checked = node.toggled() == Some(egui::accesskit::Toggled::True);
            (!TOOLBAR_CHECKBOXES.contains(&label.as_str())).then_some((label, checked))
        })
        .collect()
}

/// Conversations per type (nulls left out), counted from the regenerated dataset.
fn expected_counts_by_type() -> BTreeMap<String, f64> {
    let mut counts = BTreeMap::new();
    for conversation in dataset::generate(&params()) {
        if let Some(kind) = conversation.conversation_type {
            *counts.entry(kind.to_string()).or_insert(0.0) += 1.0;
        }
    }
    counts
}

#[test]
fn a_day_by_type_result_from_the_demo_api_charts_three_series() {
    let query = day_by_type();
    let table = run_against_demo_api(&query);
    let mut harness = harness(Some(table), query);

    // The legend lists exactly the three types, all shown.
    let entries = legend(&harness);
    let names: BTreeSet<&str> = entries.keys().map(String::as_str).collect();
    assert_eq!(names, TYPES.into_iter().collect::<BTreeSet<_>>(), "legend: {entries:?}");
    assert!(entries.values().all(|&checked| checked), "{entries:?}");

    // The series hold every conversation of their type, bucketed by day.
    let expected = expected_counts_by_type();
    let Chart::Time(data) = harness.state().cache.chart().clone() else {
        panic!("a time chart was expected, got {:?}", harness.state().cache.chart())
    };
    let totals: BTreeMap<String, f64> = data.series.iter().map(|s| (s.name.clone(), s.total)).collect();
    assert_eq!(totals, expected);
    assert_eq!(expected.values().sum::<f64>() as u64, ROWS - dataset_null_types());
    let start = params().start_time().as_millisecond();
    let end = params().end_time_exclusive().as_millisecond();
    assert!(data.buckets.first().is_some_and(|&b| b >= start));
    assert!(data.buckets.last().is_some_and(|&b| b < end));
    assert!(!data.partial_first && !data.partial_last, "no filter on time and the data is long over");

    // The info line says what is drawn and in which unit (the axis titles are painted text).
    assert!(harness.query_by_label("count per day (UTC) · 3 series").is_some());

    // Hovering the plot lists every series at the bucket under the pointer.
    click(&mut harness, "Export PNG");
    let rect = match harness.state_mut().actions.pop() {
        Some(ChartAction::ExportPng { rect }) => rect,
        other => panic!("expected ExportPng, got {other:?}"),
    };
    assert!(rect.width() > 600.0 && rect.height() > 300.0, "{rect:?}");
    harness.hover_at(rect.center());
    harness.run_ok();
    for kind in TYPES {
        assert!(harness.query_by_role_and_label(Role::Label, kind).is_some(), "the tooltip lists {kind}");
    }
    // Its title is the bucket under the pointer, a day of the chart, in UTC ("Tue 2025-07-01 (UTC)").
    let bucket_days: BTreeSet<String> = data
        .buckets
        .iter()
        .map(|&ms| Timestamp::from_millisecond(ms).unwrap().strftime("%a %Y-%m-%d (UTC)").to_string())
        .collect();
    let titles: Vec<String> = harness
        .query_all_by_role(Role::Label)
        .filter_map(|node| node.accesskit_node().value())
        .filter(|text| bucket_days.contains(text))
        .collect();
    assert_eq!(titles.len(), 1, "one bucket title in the tooltip: {titles:?}");

    // Clicking a legend entry hides that series, and the setting remembers it.
    harness.get_by_role_and_label(Role::CheckBox, "openai").click();
    harness.run_ok();
    assert!(harness.state().settings.hidden_series.contains("openai"));
    let entries = legend(&harness);
    assert_eq!(entries.get("openai"), Some(&false), "{entries:?}");
    assert_eq!(entries.get("support_ticket"), Some(&true), "{entries:?}");

    // Export CSV hands over the series: the bucket, then one column per series.
    click(&mut harness, "Export CSV");
    let csv = match harness.state_mut().actions.pop() {
        Some(ChartAction::ExportSeriesCsv(csv)) => csv,
        other => panic!("expected ExportSeriesCsv, got {other:?}"),
    };
    let mut lines = csv.lines();
    let header: BTreeSet<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header, ["firstMessageTime_day", "openai", "support_copilot", "support_ticket"].into());
    assert_eq!(lines.count(), data.buckets.len());
    // Nothing charted is re-derived frame after frame.
    assert_eq!(harness.state().cache.derivation_count(), 1);
}

fn dataset_null_types() -> u64 {
    dataset::generate(&params()).filter(|c| c.conversation_type.is_none()).count() as u64
}

#[test]
fn without_a_time_bucket_the_chart_offers_to_add_one() {
    let query = parse_query(r#"{"select":[{"type":"aggregation","aggregation":"count"}]}"#).unwrap();
    let rows: Vec<Map<String, Value>> = vec![json!({"count": 3000}).as_object().cloned().unwrap()];
    let table = ResultTable::from_rows(&query, &rows);
    let mut harness = harness(Some(table), query);
    assert!(harness.query_by_label_contains("no time bucket").is_some());
    assert!(harness.state().actions.is_empty());
    harness.get_by_role_and_label(Role::Button, "Add a day bucket").click();
    harness.run_ok();
    assert_eq!(harness.state().actions, vec![ChartAction::AddDayBucket]);
}

#[test]
fn a_grouped_result_without_a_time_bucket_is_drawn_as_bars_by_the_first_key() {
    let query = parse_query(
        r#"{"select":[{"type":"aggregation","aggregation":"count"}],"groupBy":[{"field":"type"}]}"#,
    )
    .unwrap();
    let rows: Vec<Map<String, Value>> = [("openai", 5), ("support_ticket", 9), ("support_copilot", 2)]
        .into_iter()
        .map(|(kind, count)| json!({"count": count, "type": kind}).as_object().cloned().unwrap())
        .collect();
    let table = ResultTable::from_rows(&query, &rows);
    let harness = harness(Some(table), query);
    assert!(harness.query_by_label("Add a day bucket").is_none());
    assert!(harness.query_by_label_contains("count by type").is_some());
    let Chart::Category(data) = harness.state().cache.chart() else {
        panic!("a category chart was expected")
    };
    assert_eq!(data.categories, vec!["support_ticket", "openai", "support_copilot"]);
    // One series (the measure) in the legend.
    assert_eq!(legend(&harness).into_keys().collect::<Vec<_>>(), vec!["count".to_string()]);
}

/// A count-per-`unit` table of `count` buckets from `start`, as the API answers it.
fn buckets_table(unit: &str, start: &str, count: i64) -> (ResultTable, QueryBody) {
    let query = parse_query(
        &json!({
            "select": [
                {"type": "time", "timeUnit": unit},
                {"type": "aggregation", "aggregation": "count"}
            ],
            "orderBy": [{"field": format!("firstMessageTime_{unit}"), "direction": "asc"}]
        })
        .to_string(),
    )
    .unwrap();
    let start: Timestamp = start.parse().unwrap();
    let zoned = start.to_zoned(jiff::tz::TimeZone::UTC);
    let rows: Vec<Map<String, Value>> = (0..count)
        .map(|i| {
            let span = match unit {
                "hour" => jiff::Span::new().hours(i),
                "day" => jiff::Span::new().days(i),
                "week" => jiff::Span::new().weeks(i),
                _ => jiff::Span::new().months(i),
            };
            let at = zoned.checked_add(span).unwrap().timestamp();
            let mut row = Map::new();
            row.insert(
                format!("firstMessageTime_{unit}"),
                json!(at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()),
            );
            row.insert("count".into(), json!(10 + (i * 7) % 13));
            row
        })
        .collect();
    (ResultTable::from_rows(&query, &rows), query)
}

/// Every text the frame painted, with its layout rectangle (where it starts, and its galley's
/// size), flattened out of nested shapes.
fn painted_texts(harness: &Harness<'static, Fixture>) -> Vec<(String, egui::Rect)> {
    fn walk(shape: &egui::Shape, out: &mut Vec<(String, egui::Rect)>) {
        match shape {
            egui::Shape::Text(text) => out.push((
                text.galley.text().to_string(),
                egui::Rect::from_min_size(text.pos, text.galley.size()),
            )),
            egui::Shape::Vec(shapes) => shapes.iter().for_each(|s| walk(s, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for clipped in &harness.output().shapes {
        walk(&clipped.shape, &mut out);
    }
    out
}

/// Tried as a new user would: on a 30-day daily chart the first of the month was drawn over
/// the Monday before it ("Jun 30" under "Jul 2025"). The x tick labels share one baseline;
/// no two of them may overlap, at any window width and bucket unit.
#[test]
fn time_axis_labels_never_overlap() {
    let cases = [
        // 30 days where a month starts the day after a Monday (Mon Jun 30, Tue Jul 1 2025).
        ("day", "2025-06-05T00:00:00Z", 30),
        ("day", "2025-01-01T00:00:00Z", 365),
        ("hour", "2025-06-27T00:00:00Z", 24 * 7),
        ("week", "2024-06-03T00:00:00Z", 80),
        ("month", "2019-01-01T00:00:00Z", 84),
    ];
    for (unit, start, count) in cases {
        let (table, query) = buckets_table(unit, start, count);
        let mut harness = harness(Some(table), query);
        let mut widths_with_labels = 0;
        for width in (320..=2000).step_by(80) {
            harness.set_size(egui::vec2(width as f32, 600.0));
            harness.run_ok();
            harness.run_ok();
            let texts = painted_texts(&harness);
            // The x tick labels: texts holding a digit, laid out on one line (egui_plot starts every
            // x tick label at the same y).
            let label_rows: BTreeMap<i64, Vec<&(String, egui::Rect)>> = texts
                .iter()
                .filter(|(text, _)| text.chars().any(|c| c.is_ascii_digit()))
                .fold(BTreeMap::new(), |mut rows, entry| {
                    rows.entry((entry.1.top() * 4.0).round() as i64).or_insert_with(Vec::new).push(entry);
                    rows
                });
            for row in label_rows.values().filter(|row| row.len() > 1) {
                for (i, (a, ra)) in row.iter().map(|e| (&e.0, e.1)).enumerate() {
                    for (b, rb) in row.iter().skip(i + 1).map(|e| (&e.0, e.1)) {
                        assert!(
                            !ra.intersects(rb),
                            "{unit} × {count} at {width} px: {a:?} {ra:?} overlaps {b:?} {rb:?}"
                        );
                    }
                }
            }
            if label_rows.values().any(|row| row.len() > 2) {
                widths_with_labels += 1;
            }
        }
        assert!(widths_with_labels > 10, "{unit}: the axis was labelled at most widths");
    }
}
