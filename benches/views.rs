//! Benchmarks of the embedded demo API on the other views (issue 14), 2-core machine,
//! release build. Targets, as conversations have them: a typical grouped query per view at
//! 1M rows of that view ≤ 400 ms, and a JSON-path filter (`properties.source = slack`) by
//! week ≤ 150 ms at 1M rows.
//!
//! The stores are built as the embedded API builds its second stage
//! (`Tables::Activity`): ≈160k conversations give ≈1M events; ≈690k conversations give ≈1M
//! semantic threads. Feedback is rarer (≈0.08 rows per conversation), so its 1M rows are the
//! generated feedback of the second store repeated with new ids until there are 1M: the same
//! values and distribution, at the size the target names. Each store's row count is printed.
//!
//! Baseline in the same run: the count of every row of the same table, to separate fixed costs.

// A bench that cannot build its store has nothing to measure: failing loudly is right.
#![allow(clippy::expect_used, clippy::unwrap_used, missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use inkeep_explorer::api::query::{QueryBody, parse_query};
use inkeep_explorer::api::view::View;
use inkeep_explorer::demo::dataset::{DatasetParams, Tables, populate_tables};
use inkeep_explorer::demo::store::DemoStore;
use jiff::civil::Date;

const TARGET_ROWS: u64 = 1_000_000;

fn params(rows: u64) -> DatasetParams {
    DatasetParams { rows, seed: 42, end_date: Date::constant(2026, 11, 1) }
}

fn body(json: &str) -> QueryBody {
    parse_query(json).expect("a valid query")
}

fn total(store: &DemoStore, view: View) -> u64 {
    store.query(view, &QueryBody::default(), 1).expect("count").total
}

/// The activity of ≈690k conversations, with the feedback repeated (new ids) up to 1M rows.
fn threads_and_feedback_store() -> DemoStore {
    DemoStore::from_setup(|conn| {
        populate_tables(conn, &params(690_000), Tables::Activity)?;
        let feedback: i64 = conn.query_row("SELECT count(*) FROM feedback", [], |row| row.get(0))?;
        let copies = (TARGET_ROWS as i64).div_euclid(feedback.max(1));
        conn.execute(
            "INSERT INTO feedback SELECT id || '~' || k.n, type, messageId, createdAt, createdAtEpoch,
                 updatedAt, updatedAtEpoch, organizationId, reasons, sources, details, properties,
                 userProperties, conversationId, projectId, integrationId
             FROM feedback, (WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < ?1)
                             SELECT n FROM k) AS k",
            [copies - 1],
        )?;
        Ok(())
    })
    .expect("threads and feedback store")
}

fn bench_views(c: &mut Criterion) {
    let events = DemoStore::open_tables(&params(160_000), Tables::Activity).expect("events store");
    let threads_feedback = threads_and_feedback_store();
    println!(
        "views: events {} rows; semantic threads {} rows; feedback {} rows",
        total(&events, View::Events),
        total(&threads_feedback, View::SemanticThreads),
        total(&threads_feedback, View::Feedback)
    );

    let cases: [(&str, &DemoStore, View, &str); 8] = [
        (
            "events_top_search_queries",
            &events,
            View::Events,
            r#"{"select":[{"type":"aggregation","aggregation":"count","field":"id"}],
                "groupBy":[{"field":"searchQuery"}],
                "where":{"condition":{"field":"eventType","operator":"eq","value":"search_performed"}},
                "orderBy":[{"field":"count_id","direction":"desc"}]}"#,
        ),
        (
            "events_per_day_by_event_type",
            &events,
            View::Events,
            r#"{"select":[{"type":"time","timeUnit":"day","field":"createdAt"},
                          {"type":"aggregation","aggregation":"count","field":"id"}],
                "groupBy":[{"field":"eventType"}]}"#,
        ),
        (
            "events_json_path_filter_by_week",
            &events,
            View::Events,
            r#"{"select":[{"type":"time","timeUnit":"week","field":"createdAt"},
                          {"type":"aggregation","aggregation":"count","field":"id"}],
                "where":{"condition":{"field":"properties","operator":"eq","value":{"path":["source"],"value":"slack"}}}}"#,
        ),
        (
            "threads_per_week_by_category",
            &threads_feedback,
            View::SemanticThreads,
            r#"{"select":[{"type":"time","timeUnit":"week","field":"firstMessageTime"},
                          {"type":"aggregation","aggregation":"count","field":"id"}],
                "groupBy":[{"field":"category"}]}"#,
        ),
        (
            "threads_knowledge_gaps_by_category",
            &threads_feedback,
            View::SemanticThreads,
            r#"{"select":[{"type":"aggregation","aggregation":"count","field":"id"}],
                "groupBy":[{"field":"category"}],
                "where":{"condition":{"field":"isDocumented","operator":"eq","value":false}},
                "orderBy":[{"field":"count_id","direction":"desc"}]}"#,
        ),
        (
            "threads_json_path_filter_by_week",
            &threads_feedback,
            View::SemanticThreads,
            r#"{"select":[{"type":"time","timeUnit":"week","field":"firstMessageTime"},
                          {"type":"aggregation","aggregation":"count","field":"id"}],
                "where":{"condition":{"field":"properties","operator":"eq","value":{"path":["source"],"value":"slack"}}}}"#,
        ),
        (
            "feedback_negative_per_week_by_type",
            &threads_feedback,
            View::Feedback,
            r#"{"select":[{"type":"time","timeUnit":"week","field":"createdAt"},
                          {"type":"aggregation","aggregation":"count","field":"id"}],
                "groupBy":[{"field":"type"}],
                "where":{"condition":{"field":"type","operator":"eq","value":"negative"}}}"#,
        ),
        (
            "feedback_json_path_filter_by_week",
            &threads_feedback,
            View::Feedback,
            r#"{"select":[{"type":"time","timeUnit":"week","field":"createdAt"},
                          {"type":"aggregation","aggregation":"count","field":"id"}],
                "where":{"condition":{"field":"properties","operator":"eq","value":{"path":["source"],"value":"slack"}}}}"#,
        ),
    ];
    let mut group = c.benchmark_group("demo_views_1m");
    group.sample_size(10);
    for (name, store, view, query) in cases {
        let q = body(query);
        group.bench_function(name, |b| b.iter(|| black_box(store.query(view, &q, 1000).expect("query"))));
    }
    let count = body(r#"{"select":[{"type":"aggregation","aggregation":"count"}]}"#);
    for (name, store, view) in [
        ("baseline_count_events", &events, View::Events),
        ("baseline_count_threads", &threads_feedback, View::SemanticThreads),
        ("baseline_count_feedback", &threads_feedback, View::Feedback),
    ] {
        group.bench_function(name, |b| b.iter(|| black_box(store.query(view, &count, 1).expect("query"))));
    }
    group.finish();
}

criterion_group!(benches, bench_views);
criterion_main!(benches);
