//! Benchmarks of the export writers on a 1M-row raw-conversation table (issue 7).
//!
//! Targets on the 2-core build machine, release build:
//! - 1M rows to CSV ≤ 1 s;
//! - 1M rows to XLSX ≤ 15 s (constant-memory worksheets, so memory stays flat);
//! - JSON is measured for reference, and CSV into a sink (no disk, no fsync) to tell the
//!   formatting from the writing.
//!
//! Files go to a temporary directory through the same atomic writer the app uses, so
//! the numbers include the fsync and rename. The rows come from the demo dataset
//! generator, serialised as the demo server sends them, and are parsed once into a
//! `ResultTable` before anything is timed.

// A benchmark that cannot build its input has nothing to measure: failing loudly is right.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::io;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use inkeep_explorer::api::query::QueryBody;
use inkeep_explorer::data::export::{
    ExportControl, ExportFormat, ExportMeta, ExportOptions, export_view, write_csv,
};
use inkeep_explorer::data::{ResultTable, TableView};
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
    let table = {
        let json = response_json(ROWS);
        ResultTable::from_response_bytes(&query, &json).unwrap().0
    };
    assert_eq!(table.row_count() as u64, ROWS);
    let rows = table.all_rows();
    let cols: Vec<usize> = (0..table.column_count()).collect();
    let dir = tempfile::tempdir().unwrap();
    let meta = ExportMeta {
        view: inkeep_explorer::api::view::View::Conversations,
        body: query.clone(),
        server_url: "http://127.0.0.1:8787".to_string(),
        run_at: jiff::Timestamp::constant(1_769_860_800, 0), // 2026-01-31T12:00:00Z
        request_id: Some("bench".to_string()),
        total: Some(ROWS),
        drilled_from: None,
        comparison: None,
    };
    let options = ExportOptions { sidecar: false, ..ExportOptions::default() };
    let never = AtomicBool::new(false);
    let view = TableView { table: &table, rows: &rows, columns: &cols };
    let run = |format: ExportFormat| {
        let path = dir.path().join(format!("bench.{}", format.extension()));
        export_view(
            black_box(view),
            format,
            &path,
            &meta,
            &options,
            &mut ExportControl::new(&mut |_| {}, &never),
        )
        .unwrap()
    };
    for format in [ExportFormat::Csv { bom: false }, ExportFormat::Json, ExportFormat::Xlsx] {
        let outcome = run(format);
        println!(
            "{}: {:.1} MB for {} rows",
            format.label(),
            outcome.bytes as f64 / 1e6,
            outcome.rows_written
        );
    }

    let mut group = c.benchmark_group("export_1m");
    group.sample_size(10);
    group.throughput(Throughput::Elements(ROWS));
    group.measurement_time(Duration::from_secs(20));
    group.bench_function("csv", |b| b.iter(|| run(ExportFormat::Csv { bom: false })));
    // "CSV for Excel": the byte order mark, and (since issue 12) the formula guard on text cells.
    group.bench_function("csv_for_excel", |b| b.iter(|| run(ExportFormat::Csv { bom: true })));
    // The CSV writer alone, into a sink: formatting without the disk and the fsync.
    group.bench_function("csv_no_disk", |b| {
        b.iter(|| {
            write_csv(black_box(view), false, io::sink(), &mut ExportControl::new(&mut |_| {}, &never))
                .unwrap()
        })
    });
    group.bench_function("json", |b| b.iter(|| run(ExportFormat::Json)));
    group.measurement_time(Duration::from_secs(120));
    group.bench_function("xlsx", |b| b.iter(|| run(ExportFormat::Xlsx)));
    group.finish();
}

criterion_group!(export_benches, benches);
criterion_main!(export_benches);
