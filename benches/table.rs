//! Benchmarks of the result model on a 1M-row raw-conversation response (issue 5).
//!
//! Targets on the 2-core build machine, release build:
//! - response JSON → `ResultTable`: ≥ 200 MB/s (reported as throughput);
//! - sort 1M rows by an integer column ≤ 150 ms, by a text column ≤ 400 ms;
//! - quick search over 1M rows ≤ 150 ms;
//! - table memory ≤ 3× the JSON (printed once, before the benchmarks).
//!
//! The rows come from the demo dataset generator, serialised as the demo server
//! sends them (compact JSON, fields in API order, JSON fields as objects).

// A benchmark that cannot build its input has nothing to measure: failing loudly is right.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use inkeep_explorer::api::query::QueryBody;
use inkeep_explorer::data::{ResultTable, SearchCursor, SortKey, search_view, sort_view};
use inkeep_explorer::demo::dataset::{DatasetParams, raw_response_json};
use jiff::civil::Date;

const ROWS: u64 = 1_000_000;

/// A `/query/conversations` response body for `{}` with `rows` rows.
fn response_json(rows: u64) -> Vec<u8> {
    let params = DatasetParams { rows, seed: 42, end_date: Date::constant(2026, 1, 31) };
    raw_response_json(&params)
}

fn benches(c: &mut Criterion) {
    let query = QueryBody::default();
    let json = response_json(ROWS);
    let (table, meta) = ResultTable::from_response_bytes(&query, &json).unwrap();
    assert_eq!(meta.count, ROWS);
    let heap = table.heap_size_bytes();
    println!(
        "table memory: {:.1} MB for {:.1} MB of JSON = {:.2}× (target ≤ 3×)",
        heap as f64 / 1e6,
        json.len() as f64 / 1e6,
        heap as f64 / json.len() as f64
    );

    let mut group = c.benchmark_group("table_1m");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(30));
    group.throughput(Throughput::Bytes(json.len() as u64));
    group.bench_function("parse_response", |b| {
        b.iter_with_large_drop(|| ResultTable::from_response_bytes(&query, black_box(&json)).unwrap())
    });
    group.finish();

    let column = |name: &str| table.column_index(name).unwrap();
    let mut group = c.benchmark_group("table_1m");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    for (label, name, descending) in [
        ("sort_int_userMessageCount", "userMessageCount", false),
        ("sort_timestamp_firstMessageTime_desc", "firstMessageTime", true),
        ("sort_text_id", "id", false),
        ("sort_text_dictionary_projectId", "projectId", false),
        ("sort_json_userProperties", "userProperties", false),
    ] {
        let key = SortKey { column: column(name), descending };
        group.bench_function(label, |b| b.iter_with_large_drop(|| sort_view(black_box(&table), &[key])));
    }
    let two_keys = [SortKey::ascending(column("type")), SortKey::descending(column("userMessageCount"))];
    group.bench_function("sort_two_keys_type_then_count", |b| {
        b.iter_with_large_drop(|| sort_view(black_box(&table), &two_keys))
    });

    let all_columns: Vec<usize> = (0..table.column_count()).collect();
    let base = table.all_rows();
    for (label, needle) in [
        ("search_common_slack", "slack"),
        ("search_rare_no_match", "zqxjv"),
        ("search_mixed_case_Maya", "MAYA pat"),
        ("search_digits_2025-12", "2025-12"),
    ] {
        group.bench_function(label, |b| {
            b.iter_with_large_drop(|| search_view(black_box(&table), &base, &all_columns, needle))
        });
    }
    // The incremental form, as the UI would drive it: 64k rows per call.
    group.bench_function("search_cursor_64k_chunks_slack", |b| {
        b.iter_with_large_drop(|| {
            let mut cursor = SearchCursor::new(&table, &all_columns, "slack");
            while !cursor.step(&table, 65_536) {}
            cursor.filter(&base)
        })
    });
    group.finish();
}

criterion_group!(table_benches, benches);
criterion_main!(table_benches);
