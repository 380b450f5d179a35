//! Compare with the previous period, in the window through egui_kittest: the toggle is
//! disabled on a query without a bounded range, and on a bounded one it runs both periods;
//! the grid's `previous` and `change %` and the summary line above it equal two independent
//! runs of the query made in the same window (the previous period's query written out by
//! hand here), and the chart draws the previous period as extra lines.

// Helpers outside #[test] functions panic on purpose too: a failed step is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;

use egui_kittest::kittest::{NodeT as _, Queryable as _};
use inkeep_explorer::app::AppEnv;
use inkeep_explorer::app::commands::Command;
use inkeep_explorer::app::compare_model::CompareRun;
use inkeep_explorer::app::state::ResultView;
use inkeep_explorer::data::ResultTable;
use inkeep_explorer::worker::ConnectionKind;
use jiff::ToSpan;
use jiff::civil::Date;
use support::*;

fn today() -> Date {
    jiff::tz::Offset::UTC.to_datetime(jiff::Timestamp::now()).date()
}

/// Count per day and type from `start` to `end` (dates, end excluded).
fn per_day_by_type(start: Date, end: Date) -> String {
    format!(
        r#"{{
            "select": [
                {{"type": "time", "timeUnit": "day", "field": "firstMessageTime"}},
                {{"type": "aggregation", "aggregation": "count"}}
            ],
            "groupBy": [{{"field": "type"}}],
            "where": {{"and": [
                {{"condition": {{"field": "firstMessageTime", "operator": "gte", "value": "{start}"}}}},
                {{"condition": {{"field": "firstMessageTime", "operator": "lt", "value": "{end}"}}}}
            ]}}
        }}"#
    )
}

/// Runs the query in the builder and waits for its answer.
fn run(harness: &mut Window) {
    let before = app(harness).active().run.outcome().map(|outcome| outcome.request_id);
    command(harness, Command::Run);
    step_until(harness, "the run's answer", move |state| {
        finished(state) && state.active().run.outcome().map(|outcome| outcome.request_id) != before
    });
}

/// (days from `start`, type) → count, from a table with a day bucket.
fn counts(table: &ResultTable, start: Date, count: &str) -> BTreeMap<(i64, String), u64> {
    let day = table.column_index("firstMessageTime_day").unwrap();
    let kind = table.column_index("type").unwrap();
    let count = table.column_index(count).unwrap();
    (0..table.row_count())
        .map(|row| {
            let date: Date = table.cell_text(row, day)[..10].parse().unwrap();
            let key = ((date - start).get_days() as i64, table.cell_text(row, kind).into_owned());
            (key, table.cell_text(row, count).parse().unwrap())
        })
        .collect()
}

/// `1234` as `1,234`.
fn grouped(number: u64) -> String {
    let digits = number.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[test]
fn compare_in_the_window_equals_two_independent_runs() {
    let mut harness = window(AppEnv::isolated(3_000), None);
    step_until(&mut harness, "the demo connection", connected(ConnectionKind::Demo));

    // Without a range the toggle is off limits, and says what it needs.
    load_query(&mut harness, r#"{"select": [{"type": "aggregation", "aggregation": "count"}]}"#);
    assert!(disabled(&harness, "Compare"), "no range: Compare is disabled");
    let reason = inkeep_explorer::app::compare_model::compare_availability(
        app(&harness).active().draft.view,
        app(&harness).active().derived.body.as_ref(),
        jiff::Timestamp::now(),
    );
    assert!(
        reason.unwrap_err().contains("needs a time range with both a start and an end on firstMessageTime")
    );

    // Two independent runs: this week's query, and the week before written out by hand.
    let end = today().checked_sub(3.days()).unwrap();
    let start = end.checked_sub(7.days()).unwrap();
    let previous_start = start.checked_sub(7.days()).unwrap();
    load_query(&mut harness, &per_day_by_type(previous_start, start));
    run(&mut harness);
    let previous = counts(&outcome(&harness).table, previous_start, "count");
    load_query(&mut harness, &per_day_by_type(start, end));
    run(&mut harness);
    let current = counts(&outcome(&harness).table, start, "count");
    assert!(current.len() > 5 && previous.len() > 5, "the demo data fills both weeks");
    assert!(!app(&harness).active().compare.enabled);

    // Compare on: both periods run, and the grid shows the joined table.
    assert!(!disabled(&harness, "Compare"));
    click(&mut harness, "Compare");
    step_until(&mut harness, "the comparison", |state| {
        finished(state) && matches!(state.active().compare.run, CompareRun::Done(_))
    });
    harness.run_ok();
    let tab = app(&harness).active();
    let outcome = tab.run.outcome().unwrap();
    let compared = tab.compare.compared_for(outcome.request_id).expect("the joined result");
    assert!(tab.grid.view_of(&compared.table).is_some(), "the grid shows the joined table");
    assert_eq!(tab.grid.view().len(), compared.table.row_count());
    assert!(shows_containing(&harness, "change %"), "the change % column is on screen");

    let joined = counts(&compared.table, start, "count");
    let joined_previous = counts(&compared.table, start, "previous");
    let mut expected_keys: Vec<_> = current.keys().chain(previous.keys()).cloned().collect();
    expected_keys.sort();
    expected_keys.dedup();
    assert_eq!(joined.keys().cloned().collect::<Vec<_>>(), expected_keys, "every group of both weeks");
    let change_col = compared.table.column_index("change %").unwrap();
    for key in &expected_keys {
        assert_eq!(joined[key], current.get(key).copied().unwrap_or(0), "{key:?} this week");
        assert_eq!(joined_previous[key], previous.get(key).copied().unwrap_or(0), "{key:?} the week before");
    }
    for row in 0..compared.table.row_count() {
        let count: f64 =
            compared.table.cell_text(row, compared.table.column_index("count").unwrap()).parse().unwrap();
        let before: f64 =
            compared.table.cell_text(row, compared.table.column_index("previous").unwrap()).parse().unwrap();
        let change = compared.table.cell_text(row, change_col);
        if count == before {
            assert_eq!(change, "0");
        } else if before == 0.0 {
            assert_eq!(change, "new");
        } else {
            let percent: f64 = change.parse().unwrap();
            assert!((percent - (count - before) / before * 100.0).abs() <= 0.05 + 1e-9);
        }
    }

    // The summary line: this week's total, the week before's, the change.
    let total: u64 = current.values().sum();
    let previous_total: u64 = previous.values().sum();
    let percent = ((total as f64 - previous_total as f64) / previous_total as f64 * 1000.0).round() / 10.0;
    let change = if percent > 0.0 { format!("+{percent} %") } else { format!("{percent} %") };
    let line = format!("count: {} · previous period: {} · {change}", grouped(total), grouped(previous_total));
    assert!(shows(&harness, &line), "the summary line {line:?}");

    // The chart draws the previous period as a line per series.
    command(&mut harness, Command::SetView(ResultView::Chart));
    harness.run_ok();
    assert!(shows(&harness, &line), "the summary line above the chart");
    assert!(
        harness.query_all_by_label_contains("(previous)").next().is_some(),
        "the chart's legend lists the previous period's lines"
    );

    // Hovering a day lists, beside each type's count, that type's count the week before.
    let hint = harness.get_by_label_contains("Drag to pan").rect();
    harness.hover_at(egui::pos2(hint.left() + (hint.width().max(600.0)) * 0.5, hint.top() - 150.0));
    harness.run_ok();
    let labels: Vec<String> = harness
        .query_all_by_role(egui::accesskit::Role::Label)
        .filter_map(|node| node.accesskit_node().value().or_else(|| node.accesskit_node().label()))
        .collect();
    let title = labels.iter().find(|text| text.ends_with("(UTC)")).expect("the tooltip's day");
    let day: Date = title.get(4..14).unwrap().parse().unwrap();
    let offset = (day - start).get_days() as i64;
    let shown: Vec<&String> = labels.iter().filter(|text| text.starts_with("previous ")).collect();
    assert!(!shown.is_empty(), "the tooltip shows the previous period: {labels:?}");
    for kind in ["openai", "support_copilot", "support_ticket"] {
        let before = previous.get(&(offset, kind.to_string())).copied().unwrap_or(0);
        let now = current.get(&(offset, kind.to_string())).copied().unwrap_or(0);
        let change = inkeep_explorer::data::compare::Change::between(now as f64, before as f64).text();
        let expected = format!("previous {before} · {change}");
        assert!(shown.iter().any(|text| **text == expected), "{kind} on {day}: {expected:?} in {shown:?}");
    }
}
