//! Dataset generation benchmarks: the 1M-row targets of issue 3 (generation and the load of
//! the conversations into an in-memory SQLite database must take at most 10 s in release on
//! 2 cores), and, since issue 14, the second stage the embedded API loads behind them: the
//! events, feedback and semantic threads of 100k conversations (the default demo size).

// A benchmark that cannot build its input has nothing to measure: failing loudly is right.
// criterion's macros generate undocumented public functions.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use inkeep_explorer::demo::dataset::{DatasetParams, Tables, generate, populate_tables};
use jiff::civil::Date;
use rusqlite::Connection;

fn params(rows: u64) -> DatasetParams {
    // A fixed end date keeps every run on identical data.
    DatasetParams { rows, seed: 42, end_date: Date::constant(2025, 6, 30) }
}

fn dataset(c: &mut Criterion) {
    let mut group = c.benchmark_group("dataset");
    group.sample_size(10).measurement_time(Duration::from_secs(60));
    let million = params(1_000_000);
    group.bench_function("generate_1m", |b| b.iter(|| black_box(generate(&million).count())));
    group.bench_function("populate_1m_in_memory", |b| {
        b.iter(|| {
            let mut conn = Connection::open_in_memory().unwrap();
            populate_tables(&mut conn, &million, Tables::Conversations).unwrap();
            conn
        })
    });
    let default_size = params(100_000);
    group.bench_function("populate_100k_conversations_in_memory", |b| {
        b.iter(|| {
            let mut conn = Connection::open_in_memory().unwrap();
            populate_tables(&mut conn, &default_size, Tables::Conversations).unwrap();
            conn
        })
    });
    group.bench_function("populate_100k_activity_in_memory", |b| {
        b.iter(|| {
            let mut conn = Connection::open_in_memory().unwrap();
            populate_tables(&mut conn, &default_size, Tables::Activity).unwrap();
            conn
        })
    });
    group.finish();
}

criterion_group!(benches, dataset);
criterion_main!(benches);
