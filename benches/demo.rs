//! Benchmarks of the embedded demo API's query engine (issue 3 targets, 2-core machine):
//! the grouped count by `firstMessageTime_day` by `type` ≤ 40 ms at 100k rows and ≤ 400 ms at
//! 1M; a filtered JSON-path query over 1M rows; export of 1M rows ≥ 50 MB/s.
//!
//! Run with `cargo bench --bench demo`. Building the 1M-row store takes a few seconds, once.

// A bench that cannot build its store has nothing to measure: failing loudly is right.
#![allow(clippy::expect_used, missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use inkeep_explorer::api::query::{
    Field, Filter, FilterValue, GroupBy, Operator, PathTarget, QueryBody, Selection, TimeUnit,
};
use inkeep_explorer::api::view::View;
use inkeep_explorer::demo::dataset::{DatasetParams, Tables};
use inkeep_explorer::demo::store::DemoStore;
use jiff::civil::Date;

fn params(rows: u64) -> DatasetParams {
    DatasetParams { rows, seed: 42, end_date: Date::constant(2026, 11, 1) }
}

fn day_by_type() -> QueryBody {
    QueryBody {
        select: vec![Selection::time(TimeUnit::Day), Selection::count()],
        group_by: vec![GroupBy::field(Field::Type)],
        ..QueryBody::default()
    }
}

fn slack_billing_by_week() -> QueryBody {
    QueryBody {
        select: vec![Selection::time(TimeUnit::Week), Selection::count()],
        filter: Some(Filter::And(vec![
            Filter::condition(
                Field::Properties,
                Operator::Eq,
                Some(FilterValue::Path {
                    path: vec!["source".into()],
                    value: PathTarget::Scalar("slack".into()),
                }),
            ),
            Filter::condition(
                Field::Properties,
                Operator::ArrayContains,
                Some(FilterValue::Path {
                    path: vec!["tags".into()],
                    value: PathTarget::Scalar("billing".into()),
                }),
            ),
        ])),
        ..QueryBody::default()
    }
}

/// [`slack_billing_by_week`] with the source matched by `jsonContains {"source": "slack"}`:
/// the same rows, without the index.
fn slack_billing_by_week_contains() -> QueryBody {
    let mut q = slack_billing_by_week();
    if let Some(Filter::And(items)) = &mut q.filter {
        items[0] = Filter::condition(
            Field::Properties,
            Operator::JsonContains,
            Some(FilterValue::Json(serde_json::Map::from_iter([("source".to_string(), "slack".into())]))),
        );
    }
    q
}

fn bench_queries(c: &mut Criterion) {
    // The conversations alone, as the embedded API loads them first (the other views are
    // measured in `benches/views.rs`).
    let store_100k = DemoStore::open_tables(&params(100_000), Tables::Conversations).expect("100k store");
    let store_1m = DemoStore::open_tables(&params(1_000_000), Tables::Conversations).expect("1M store");
    let mut group = c.benchmark_group("demo_query");
    group.sample_size(10);
    group.bench_function("count_by_day_by_type_100k", |b| {
        b.iter(|| black_box(store_100k.query(View::Conversations, &day_by_type(), 1000).expect("query")))
    });
    group.bench_function("count_by_day_by_type_1m", |b| {
        b.iter(|| black_box(store_1m.query(View::Conversations, &day_by_type(), 1000).expect("query")))
    });
    group.bench_function("json_path_filter_by_week_1m", |b| {
        b.iter(|| {
            black_box(store_1m.query(View::Conversations, &slack_billing_by_week(), 1000).expect("query"))
        })
    });
    // Baseline in the same run: the same rows selected by JSON containment, which reads
    // every row's `properties` (the route the path filter took before `properties_source`).
    group.bench_function("json_contains_filter_by_week_1m_baseline", |b| {
        b.iter(|| {
            black_box(
                store_1m.query(View::Conversations, &slack_billing_by_week_contains(), 1000).expect("query"),
            )
        })
    });
    // Baseline in the same run: the cheapest possible query, to separate fixed costs.
    group.bench_function("count_only_1m", |b| {
        let q = QueryBody { select: vec![Selection::count()], ..QueryBody::default() };
        b.iter(|| black_box(store_1m.query(View::Conversations, &q, 1000).expect("query")))
    });
    group.finish();

    let mut export_bytes = 0u64;
    store_1m
        .export_csv(View::Conversations, &QueryBody::default(), &mut |chunk| {
            export_bytes += chunk.len() as u64;
            Ok(())
        })
        .expect("export");
    let mut group = c.benchmark_group("demo_export");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(export_bytes));
    group.bench_function("export_csv_raw_1m", |b| {
        b.iter(|| {
            let mut sum = 0usize;
            store_1m
                .export_csv(View::Conversations, &QueryBody::default(), &mut |chunk| {
                    sum += chunk.len();
                    Ok(())
                })
                .expect("export");
            black_box(sum)
        })
    });
    group.finish();
}

criterion_group!(benches, bench_queries);
criterion_main!(benches);
