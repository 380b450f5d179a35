//! Chart series and chart frames over a year of days (issue 6).
//!
//! Targets on the 2-core build machine, release build, for 365 daily buckets × 50 series
//! (folded to the top 10 + "Other"):
//! - deriving the series from the result table ≤ 20 ms;
//! - one chart frame (UI pass and tessellation, the series already derived) ≤ 8 ms.
//!
//! The table is built as a response to "count by day and user" is: one row per (day, user),
//! with a few (day, user) pairs missing so that gap filling has work to do.

// A benchmark that cannot build its input has nothing to measure: failing loudly is right.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use egui::{RawInput, Rect, pos2, vec2};
use inkeep_explorer::api::query::{QueryBody, parse_query};
use inkeep_explorer::app::chart_ui::{ChartKind, ChartSettings, chart_ui};
use inkeep_explorer::data::ResultTable;
use inkeep_explorer::data::series::{Chart, SeriesCache, SeriesOptions, derive_chart};
use jiff::Timestamp;
use serde_json::{Map, Value, json};

const DAYS: i64 = 365;
const SERIES: i64 = 50;

fn query() -> QueryBody {
    parse_query(
        &json!({
            "select": [{"type": "time", "timeUnit": "day"}, {"type": "aggregation", "aggregation": "count"}],
            "groupBy": [{"field": "userProperties", "path": ["userId"]}]
        })
        .to_string(),
    )
    .unwrap()
}

/// 365 days × 50 users, minus every 7th (day, user) pair.
fn table(query: &QueryBody) -> ResultTable {
    let first_day = Timestamp::constant(1_735_689_600, 0); // 2025-01-01T00:00:00Z
    let mut rows = Vec::with_capacity((DAYS * SERIES) as usize);
    for day in 0..DAYS {
        let bucket = (first_day + jiff::SignedDuration::from_hours(24 * day))
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .to_string();
        for user in 0..SERIES {
            if (day + user) % 7 == 0 {
                continue;
            }
            let mut row = Map::new();
            row.insert("firstMessageTime_day".into(), Value::from(bucket.as_str()));
            row.insert("count".into(), Value::from((user + 1) * 3 + day % 11));
            row.insert("userProperties.userId".into(), Value::from(format!("user-{user:02}")));
            rows.push(row);
        }
    }
    ResultTable::from_rows(query, &rows)
}

fn now() -> Timestamp {
    Timestamp::constant(1_780_272_000, 0) // 2026-06-01T00:00:00Z
}

/// A headless window showing the chart in a central panel.
struct Screen {
    ctx: egui::Context,
    table: ResultTable,
    query: QueryBody,
    cache: SeriesCache,
    settings: ChartSettings,
}

impl Screen {
    fn new(kind: ChartKind) -> Screen {
        let query = query();
        let table = table(&query);
        let settings = ChartSettings { kind, ..ChartSettings::default() };
        Screen { ctx: egui::Context::default(), table, query, cache: SeriesCache::new(), settings }
    }

    /// One frame: the UI pass and tessellation, as the window would paint it.
    fn frame(&mut self) -> usize {
        let input = RawInput {
            screen_rect: Some(Rect::from_min_size(pos2(0.0, 0.0), vec2(1400.0, 900.0))),
            ..RawInput::default()
        };
        let Screen { ctx, table, query, cache, settings } = self;
        let mut output = ctx.run_ui(input, |ui| {
            egui::CentralPanel::default().show(ui, |ui| {
                let actions = chart_ui(ui, Some(table), query, cache, settings, now());
                black_box(actions);
            });
        });
        // No renderer here: the font atlas updates are dropped on purpose.
        output.textures_delta.clear();
        let primitives = ctx.tessellate(std::mem::take(&mut output.shapes), output.pixels_per_point);
        primitives.len()
    }
}

fn series(c: &mut Criterion) {
    let mut group = c.benchmark_group("series");
    group.measurement_time(Duration::from_secs(5));

    let query = query();
    let table = table(&query);
    let options = SeriesOptions::default();
    match derive_chart(Some(&table), &query, &options, now()) {
        Chart::Time(data) => {
            assert_eq!(data.buckets.len(), DAYS as usize);
            assert_eq!(data.series.len(), 11, "top 10 + Other");
        }
        other => panic!("expected a time chart, got {other:?}"),
    }
    group.bench_function("derive 365 days × 50 series (top 10 + Other)", |b| {
        b.iter(|| black_box(derive_chart(Some(&table), &query, &options, now())))
    });

    for kind in ChartKind::ALL {
        let mut screen = Screen::new(kind);
        // Settle: derive once, let the layout and the plot memory settle.
        for _ in 0..5 {
            screen.frame();
        }
        assert_eq!(screen.cache.derivation_count(), 1);
        group.bench_function(format!("chart frame, {}", kind.label()), |b| b.iter(|| screen.frame()));
    }
    group.finish();
}

criterion_group!(benches, series);
criterion_main!(benches);
