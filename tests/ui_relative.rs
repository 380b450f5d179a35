//! `--preset NAME` and relative times in the window: a built-in preset that says "last 30
//! days" loads with the words kept in the builder, runs with them resolved to the instant
//! of the run, and the Request tab shows what they stand for.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use egui_kittest::kittest::Queryable as _;
use inkeep_explorer::api::query::{Filter, FilterValue, Scalar};
use inkeep_explorer::app::command::Command;
use inkeep_explorer::app::state::{ResultView, RunState};
use inkeep_explorer::app::{AppEnv, LaunchOptions, Startup};
use jiff::Timestamp;
use support::*;

const PRESET: &str = "Conversations per day by type (last 30 days)";

/// The string value of the (only) `firstMessageTime` condition of a filter.
fn time_value(filter: &Filter) -> Option<String> {
    match filter {
        Filter::Condition(condition) => match &condition.value {
            Some(FilterValue::Scalar(Scalar::String(text)))
                if condition.field.as_str() == "firstMessageTime" =>
            {
                Some(text.clone())
            }
            _ => None,
        },
        Filter::And(items) | Filter::Or(items) => items.iter().find_map(time_value),
    }
}

#[test]
fn a_preset_with_a_relative_time_loads_as_written_and_runs_resolved() {
    let launch = LaunchOptions { preset: Some(PRESET.to_lowercase()), ..LaunchOptions::default() };
    let mut harness = open_window(launch, AppEnv::isolated(3_000), None);
    step_until(&mut harness, "the demo connection", is_connected);

    let state = harness.state().state();
    let query = state.active().draft.to_body().expect("the preset is a valid query");
    assert_eq!(time_value(query.filter.as_ref().unwrap()).as_deref(), Some("last 30 days"));

    let before = Timestamp::now();
    command(&mut harness, Command::Run);
    step_until(&mut harness, "the run", finished);
    let after = Timestamp::now();
    let state = harness.state().state();
    let RunState::Done(outcome) = &state.active().run else {
        panic!("the run failed: {:?}", state.active().run.failure())
    };

    // What was sent: "last 30 days" as the instant 30 days before the run.
    let sent = time_value(outcome.body.filter.as_ref().unwrap()).unwrap();
    let sent: Timestamp = sent.parse().expect("an RFC 3339 instant");
    assert!(
        sent >= before - jiff::SignedDuration::from_hours(30 * 24) - jiff::SignedDuration::from_secs(1),
        "{sent}"
    );
    assert!(sent <= after - jiff::SignedDuration::from_hours(30 * 24), "{sent}");
    assert!(outcome.row_count() > 0, "the demo data covers the last 30 days");
    // Every day bucket answered lies within the window.
    let days = outcome.table.column_names().iter().position(|name| *name == "firstMessageTime_day").unwrap();
    for row in 0..outcome.row_count() {
        let day = outcome.table.cell_text(row, days);
        let day = day.parse::<Timestamp>().unwrap_or_else(|err| panic!("{day}: {err}"));
        assert!(day >= sent - jiff::SignedDuration::from_hours(24), "{day} is before {sent}");
    }
    // The builder still says "last 30 days": the next run means the next 30 days.
    let kept = state.active().draft.to_body().unwrap();
    assert_eq!(time_value(kept.filter.as_ref().unwrap()).as_deref(), Some("last 30 days"));

    // The Request tab shows the words and what they stand for now.
    command(&mut harness, Command::SetView(ResultView::Request));
    harness.run_ok();
    assert!(harness.query_by_label_contains("resolved when the query runs").is_some());
    assert!(harness.query_by_label("“last 30 days”").is_some());
    let start = Timestamp::now() - jiff::SignedDuration::from_hours(30 * 24);
    let inspector = start.strftime("= %Y-%m-%dT").to_string();
    assert!(harness.query_by_label_contains(&inspector).is_some(), "the inspector shows {inspector}…");
    let hint = start.strftime("= %Y-%m-%d ").to_string();
    assert!(harness.query_by_label_contains(&hint).is_some(), "the builder shows {hint}…");
}

#[test]
fn an_unknown_preset_is_an_error_naming_the_presets_there_are() {
    let launch = LaunchOptions { preset: Some("No such preset".into()), ..LaunchOptions::default() };
    let err = Startup::prepare(launch, AppEnv::isolated(100)).unwrap_err().to_string();
    assert!(err.contains("no preset named \"No such preset\""), "{err}");
    assert!(err.contains(PRESET), "{err}");
}

#[test]
fn a_built_in_preset_also_answers_to_its_id() {
    let by_name = LaunchOptions { preset: Some(PRESET.into()), ..LaunchOptions::default() };
    let by_id =
        LaunchOptions { preset: Some("conversations-per-day-by-type".into()), ..LaunchOptions::default() };
    let by_name = Startup::prepare(by_name, AppEnv::isolated(100)).unwrap().query.unwrap();
    let by_id = Startup::prepare(by_id, AppEnv::isolated(100)).unwrap().query.unwrap();
    assert_eq!(by_name, by_id);
    assert_eq!(by_id.group_by.len(), 1, "the per-type preset groups by type");
}
