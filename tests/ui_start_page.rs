//! The start page driven as a newcomer would, headless through egui_kittest against the
//! embedded demo API: a fresh window shows the presets as cards and what the demo
//! connection means; one click on a card runs its preset into the grid; "Start with a chart"
//! runs a built-in chart and shows it; a recent run from an earlier session is restored
//! with one click.

// Helpers outside #[test] functions panic on purpose too: a failed step is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;

use egui::accesskit::{Role, Toggled};
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use inkeep_explorer::api::columns::result_columns;
use inkeep_explorer::api::view::View;
use inkeep_explorer::app::state::{ResultView, RunState};
use inkeep_explorer::app::window::WindowState;
use inkeep_explorer::presets::{Preset, builtin_presets};
use inkeep_explorer::worker::ConnectionKind;
use support::*;

const DEMO_ROWS: u64 = 2_000;

/// The chart toolbar's own checkboxes; every other checkbox on the Chart view is a legend entry.
const TOOLBAR_CHECKBOXES: [&str; 2] = ["Fill gaps with zero", "Log scale"];

fn builtin(name: &str) -> Preset {
    builtin_presets().into_iter().find(|p| p.name == name).unwrap_or_else(|| panic!("no built-in {name}"))
}

/// True once the window is on the demo API with its presets and history loaded.
fn ready(state: &WindowState) -> bool {
    connected(ConnectionKind::Demo)(state)
        && state.presets.store.is_some()
        && state.run_history.store.is_some()
}

/// A fresh window on the demo API (settings in `config_dir`), once the start page has all
/// it shows.
fn fresh_window(config_dir: &Path) -> Window {
    let mut harness = window(env_in(Some(config_dir), DEMO_ROWS), None);
    step_until(&mut harness, "the demo connection, the presets and the history", ready);
    harness
}

#[test]
fn a_fresh_window_shows_the_presets_as_cards_and_what_demo_data_means() {
    let dir = tempfile::tempdir().unwrap();
    let harness = fresh_window(dir.path());
    assert!(app(&harness).active().run.outcome().is_none(), "nothing has run yet");
    assert!(
        shows(&harness, "Start exploring"),
        "the start page is shown (tab {:?}, run {:?}, connection {:?})",
        app(&harness).active().view,
        app(&harness).active().run,
        app(&harness).connection
    );
    assert!(shows_containing(&harness, "Synthetic conversations"), "the demo connection is explained");
    assert!(shows(&harness, "Connect your workspace…"));
    for preset in builtin_presets() {
        let name = format!("Run “{}”", preset.name);
        assert!(!harness.get_by_role_and_label(Role::Button, &name).accesskit_node().is_disabled());
    }
    assert!(shows(&harness, "Start with a chart"));
    assert!(
        shows_containing(&harness, "No saved presets yet"),
        "an empty list of saved presets says how to fill it"
    );
    assert!(shows_containing(&harness, "No runs yet"), "an empty history says what will be there");
}

#[test]
fn one_click_on_a_card_runs_its_preset_into_the_grid() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = fresh_window(dir.path());
    let preset = builtin("Conversations by source");
    click(&mut harness, &format!("Run “{}”", preset.name));
    step_until(&mut harness, "the preset's answer", finished);

    let RunState::Done(outcome) = &app(&harness).active().run else {
        panic!("the run failed: {:?}", app(&harness).active().run)
    };
    let expected: Vec<String> =
        result_columns(View::Conversations, &preset.query).into_iter().map(|c| c.name).collect();
    assert_eq!(outcome.table.column_names(), expected, "the preset's columns");
    assert!(outcome.row_count() > 1, "the demo data has several sources");
    assert_eq!(draft_body(app(&harness)), preset.query, "the preset is in the builder");
    assert_eq!(app(&harness).active().view, ResultView::Table);
    // The grid shows every row, and the start page made way for it.
    let count_column = expected.iter().find(|name| name.starts_with("count")).expect("a count column");
    let counts = grid_column(&harness, count_column);
    assert_eq!(counts.len(), outcome.row_count());
    let total: u64 = counts.iter().map(|c| c.replace(',', "").parse::<u64>().unwrap()).sum();
    assert_eq!(total, DEMO_ROWS, "every conversation has a source");
    assert!(!shows(&harness, "Start exploring"));
}

#[test]
fn start_with_a_chart_runs_a_built_in_chart_and_shows_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = fresh_window(dir.path());
    click(&mut harness, "Start with a chart");
    step_until(&mut harness, "the chart's answer", finished);
    assert!(
        matches!(app(&harness).active().run, RunState::Done(_)),
        "the run failed: {:?}",
        app(&harness).active().run
    );
    assert_eq!(app(&harness).active().view, ResultView::Chart, "the Chart view is shown");
    assert!(
        draft_body(app(&harness))
            .select
            .iter()
            .any(|s| matches!(s, inkeep_explorer::api::query::Selection::Time { .. })),
        "the preset has a time bucket"
    );
    // Give the series a few frames, then read the legend: one shown entry per series.
    harness.run_ok();
    let legend: Vec<String> = harness
        .query_all_by_role(Role::CheckBox)
        .filter_map(|node| {
            let node = node.accesskit_node();
            let label = node.label()?;
            (!TOOLBAR_CHECKBOXES.contains(&label.as_str()) && node.toggled() == Some(Toggled::True))
                .then_some(label)
        })
        .collect();
    assert!(!legend.is_empty(), "at least one series is drawn");
    assert!(
        legend.iter().any(|name| name == "openai"),
        "the per-type chart has an openai series: {legend:?}"
    );
}

#[test]
fn a_recent_run_from_an_earlier_session_is_restored_with_one_click() {
    let dir = tempfile::tempdir().unwrap();
    let preset = builtin("Conversations by source");
    {
        let mut harness = fresh_window(dir.path());
        click(&mut harness, &format!("Run “{}”", preset.name));
        step_until(&mut harness, "the run to be recorded", |s| {
            s.run_history.store.as_ref().is_some_and(|store| store.len() == 1)
        });
    }
    let mut harness = fresh_window(dir.path());
    assert_eq!(app(&harness).run_history.store.as_ref().unwrap().len(), 1, "the history survived");
    assert!(!shows_containing(&harness, "No runs yet"));
    let restore = harness
        .query_all_by_role(Role::Button)
        .filter_map(|node| node.accesskit_node().label())
        .find(|label| label.starts_with("Restore “"))
        .expect("the run is listed on the start page");
    assert!(restore.contains("just now") || restore.contains("min ago"), "{restore}");
    // Below the preset cards (one row per few presets of every view): scrolled to, as a user would.
    harness.get_by_label(&restore).scroll_to_me();
    harness.run_ok();
    click(&mut harness, &restore);
    assert_eq!(draft_body(app(&harness)), preset.query, "the run's query is in the builder");
    assert!(matches!(app(&harness).active().run, RunState::NotRequested), "restoring does not run");
}
