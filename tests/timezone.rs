//! Time buckets mean what they say in every time zone. This test binary runs with the
//! process time zone set to America/Los_Angeles (UTC−7 in June, UTC−8 in January) — its own
//! process, so the zone does not leak into other tests — and checks that the grid, copies,
//! exports and the chart label the server's UTC buckets as themselves (`2026-06-08` is June 8,
//! not "2026-06-07 17:00:00"), that other timestamps read in UTC, and that the machine's zone
//! shows only in the hover text of a timestamp.
//!
//! Expected labels are spelled out from the bucket values (the README's rule), not computed
//! with the code under test.

// Helpers outside #[test] functions panic on purpose too: a failed step is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use inkeep_explorer::api::query::{TimeUnit, parse_query};
use inkeep_explorer::app::chart_ui::{long_bucket_label, short_bucket_label};
use inkeep_explorer::app::grid_ui::{GridAction, GridMeta, GridState, grid_ui};
use inkeep_explorer::data::copy::{row_to_json, to_tsv};
use inkeep_explorer::data::display::{cell_display, timestamp_hover};
use inkeep_explorer::data::export::{ExportControl, write_csv, write_json};
use inkeep_explorer::data::{ResultTable, TableView};
use serde_json::{Map, Value, json};

/// Sets `TZ` once, before any test of this binary reads the clock or the zone. The named zone
/// needs the tz database; where it is missing, the POSIX rule of the same zone (no files
/// needed) gives the same offsets for these dates.
fn in_los_angeles() {
    static ZONE: Once = Once::new();
    ZONE.call_once(|| {
        let zone = if std::path::Path::new("/usr/share/zoneinfo/America/Los_Angeles").exists() {
            "America/Los_Angeles"
        } else {
            "PST8PDT,M3.2.0,M11.1.0"
        };
        // SAFETY: every test calls this first and `Once` blocks the others until it returns,
        // so no other thread of this process reads the environment meanwhile.
        unsafe { std::env::set_var("TZ", zone) };
    });
}

const BUCKETS: &str = r#"{"select":[
    {"type":"time","timeUnit":"hour"},{"type":"time","timeUnit":"day"},
    {"type":"time","timeUnit":"week"},{"type":"time","timeUnit":"month"},
    {"type":"aggregation","aggregation":"count"}]}"#;

/// Two rows of bucket starts: June 8, 2026 (a Monday, ISO week 24, Pacific daylight time)
/// and January 5, 2026 (a Monday, Pacific standard time).
fn bucket_table() -> ResultTable {
    let rows = [
        json!({"firstMessageTime_hour": "2026-06-08T14:00:00Z", "firstMessageTime_day": "2026-06-08T00:00:00Z",
               "firstMessageTime_week": "2026-06-08T00:00:00Z", "firstMessageTime_month": "2026-06-01T00:00:00Z",
               "count": 12}),
        json!({"firstMessageTime_hour": "2026-01-05T00:00:00Z", "firstMessageTime_day": "2026-01-05T00:00:00Z",
               "firstMessageTime_week": "2026-01-05T00:00:00Z", "firstMessageTime_month": "2026-01-01T00:00:00Z",
               "count": 3}),
    ];
    table(BUCKETS, &rows)
}

/// Raw rows: a plain timestamp field, not a bucket.
fn raw_table() -> ResultTable {
    let rows = [
        json!({"firstMessageTime": "2026-06-08T14:03:22.123Z"}),
        json!({"firstMessageTime": "2026-01-05T00:30:00.000Z"}),
    ];
    table(r#"{"select":[{"type":"field","field":"firstMessageTime"}]}"#, &rows)
}

fn table(query: &str, rows: &[Value]) -> ResultTable {
    let query = parse_query(query).unwrap();
    let rows: Vec<Map<String, Value>> = rows.iter().map(|row| row.as_object().cloned().unwrap()).collect();
    ResultTable::from_rows(&query, &rows)
}

fn shown(table: &ResultTable, row: usize) -> Vec<String> {
    (0..table.column_count()).map(|col| cell_display(table, row, col).into_owned()).collect()
}

fn millis(text: &str) -> i64 {
    text.parse::<jiff::Timestamp>().unwrap().as_millisecond()
}

#[test]
fn the_process_zone_is_los_angeles_and_shows_only_on_hover() {
    in_los_angeles();
    // The hover text is the one place the machine's zone shows: it proves the zone is set.
    let summer = timestamp_hover(millis("2026-06-08T14:03:22.123Z"));
    assert_eq!(summer, "2026-06-08T14:03:22.123Z\nYour time: 2026-06-08 07:03:22.123 (UTC-07:00)");
    let winter = timestamp_hover(millis("2026-01-05T00:30:00.000Z"));
    assert_eq!(winter, "2026-01-05T00:30:00Z\nYour time: 2026-01-04 16:30:00 (UTC-08:00)");
}

#[test]
fn the_grid_labels_buckets_of_every_unit_in_utc() {
    in_los_angeles();
    let table = bucket_table();
    assert_eq!(
        shown(&table, 0),
        ["2026-06-08 14:00 UTC", "2026-06-08", "2026-06-08 (week)", "2026-06", "12"]
    );
    assert_eq!(shown(&table, 1), ["2026-01-05 00:00 UTC", "2026-01-05", "2026-01-05 (week)", "2026-01", "3"]);
}

#[test]
fn raw_timestamps_read_in_utc() {
    in_los_angeles();
    let table = raw_table();
    assert_eq!(shown(&table, 0), ["2026-06-08 14:03:22.123 UTC"]);
    assert_eq!(shown(&table, 1), ["2026-01-05 00:30:00 UTC"]);
}

#[test]
fn copies_and_exports_write_sortable_utc_bucket_labels() {
    in_los_angeles();
    let table = bucket_table();
    let rows = table.all_rows();
    let cols: Vec<usize> = (0..table.column_count()).collect();
    assert_eq!(
        to_tsv(&table, &rows, &cols, true),
        "firstMessageTime_hour\tfirstMessageTime_day\tfirstMessageTime_week\tfirstMessageTime_month\tcount\n\
         2026-06-08 14:00 UTC\t2026-06-08\t2026-06-08\t2026-06\t12\n\
         2026-01-05 00:00 UTC\t2026-01-05\t2026-01-05\t2026-01\t3"
    );
    assert_eq!(
        row_to_json(&table, 0),
        json!({"firstMessageTime_hour": "2026-06-08 14:00 UTC", "firstMessageTime_day": "2026-06-08",
               "firstMessageTime_week": "2026-06-08", "firstMessageTime_month": "2026-06", "count": 12})
    );

    let mut csv = Vec::new();
    let view = TableView { table: &table, rows: &rows, columns: &cols };
    write_csv(view, false, &mut csv, &mut ExportControl::new(&mut |_| {}, &AtomicBool::new(false))).unwrap();
    assert_eq!(
        String::from_utf8(csv).unwrap(),
        "firstMessageTime_hour,firstMessageTime_day,firstMessageTime_week,firstMessageTime_month,count\r\n\
         2026-06-08 14:00 UTC,2026-06-08,2026-06-08,2026-06,12\r\n\
         2026-01-05 00:00 UTC,2026-01-05,2026-01-05,2026-01,3\r\n"
    );

    let mut json_out = Vec::new();
    write_json(view, &mut json_out, &mut ExportControl::new(&mut |_| {}, &AtomicBool::new(false))).unwrap();
    let exported: Value = serde_json::from_slice(&json_out).unwrap();
    assert_eq!(exported[1]["firstMessageTime_day"], json!("2026-01-05"));
    assert_eq!(exported[1]["firstMessageTime_month"], json!("2026-01"));

    // Raw timestamps are exported as the instant, RFC 3339 in UTC.
    let raw = raw_table();
    let mut csv = Vec::new();
    let raw_view = TableView { table: &raw, rows: &raw.all_rows(), columns: &[0] };
    write_csv(raw_view, false, &mut csv, &mut ExportControl::new(&mut |_| {}, &AtomicBool::new(false)))
        .unwrap();
    assert_eq!(
        String::from_utf8(csv).unwrap(),
        "firstMessageTime\r\n2026-06-08T14:03:22.123Z\r\n2026-01-05T00:30:00.000Z\r\n"
    );
}

#[test]
fn the_chart_labels_buckets_in_utc() {
    in_los_angeles();
    let day = millis("2026-06-08T00:00:00Z");
    assert_eq!(long_bucket_label(TimeUnit::Day, day), "Mon 2026-06-08 (UTC)");
    assert_eq!(short_bucket_label(TimeUnit::Day, day), "2026-06-08");
    assert_eq!(long_bucket_label(TimeUnit::Week, day), "Week of Mon 2026-06-08 (UTC)");
    assert_eq!(long_bucket_label(TimeUnit::Month, millis("2026-06-01T00:00:00Z")), "June 2026 (UTC)");
    assert_eq!(
        long_bucket_label(TimeUnit::Hour, millis("2026-06-08T14:00:00Z")),
        "Mon 2026-06-08 14:00–15:00 UTC"
    );
}

struct Fixture {
    table: Arc<ResultTable>,
    meta: GridMeta,
    grid: GridState,
    actions: Vec<GridAction>,
}

#[test]
fn the_window_grid_shows_the_day_bucket_as_its_date() {
    in_los_angeles();
    let table = bucket_table();
    let fixture = Fixture {
        meta: GridMeta { total_rows: table.row_count() as u64, is_stale: false },
        table: Arc::new(table),
        grid: GridState::default(),
        actions: Vec::new(),
    };
    let mut harness = Harness::builder().with_size(egui::vec2(1400.0, 600.0)).build_ui_state(
        |ui, fixture: &mut Fixture| {
            let actions = grid_ui(ui, &fixture.table, &fixture.meta, &mut fixture.grid);
            fixture.actions.extend(actions);
        },
        fixture,
    );
    // The view is computed on a thread: step until the rows are on screen.
    let deadline = Instant::now() + Duration::from_secs(30);
    while harness.query_by_label("2026-06-08").is_none() {
        assert!(Instant::now() < deadline, "the day bucket 2026-06-08 is not shown");
        harness.step();
        std::thread::sleep(Duration::from_millis(2));
    }
    for label in ["2026-06-08 14:00 UTC", "2026-06-08 (week)", "2026-06", "2026-01-05", "2026-01"] {
        assert!(harness.query_by_label(label).is_some(), "{label} is not shown");
    }
    assert!(
        harness.query_by_label_contains("2026-06-07").is_none(),
        "no bucket is shifted into the machine's zone"
    );
}
