//! The Chart tab: [`chart_ui`](crate::app::chart_ui) for the result shown (the previous one,
//! dimmed, while a new run is pending; a comparison's previous period dashed over it), its
//! actions turned into [`Command`]s.

use egui::{RichText, Ui};

use crate::api::query::QueryBody;
use crate::app::chart_ui::{ChartAction, ChartSettings, chart_ui_with_previous};
use crate::app::commands::Command;
use crate::app::compare_model::CompareState;
use crate::app::state::RunState;
use crate::data::drill::DrillTarget;
use crate::data::series::SeriesCache;

/// Opacity of the previous result's chart while a new run is pending.
const STALE_OPACITY: f32 = 0.5;

/// Draws the Chart tab.
pub fn chart_tab_ui(
    ui: &mut Ui,
    run: &RunState,
    cache: &mut SeriesCache,
    settings: &mut ChartSettings,
    compare: &mut CompareState,
    commands: &mut Vec<Command>,
) {
    let outcome = run.outcome();
    if outcome.is_none() && matches!(run, RunState::Pending { .. }) {
        ui.add_space(24.0);
        ui.vertical_centered(|ui| {
            ui.spinner();
            ui.label("Running the query…");
        });
        return;
    }
    match run {
        RunState::Pending { .. } if outcome.is_some() => {
            ui.label(RichText::new("Previous result; a new run is in progress.").weak());
            ui.multiply_opacity(STALE_OPACITY);
        }
        RunState::Failed { .. } if outcome.is_some() => {
            ui.label(RichText::new("Previous result; the last run failed.").weak());
        }
        _ => {}
    }
    let empty_query = QueryBody::default();
    // The chart reads the result with the query that produced it (its time filter marks
    // partial buckets), not the draft being edited.
    let query = outcome.map_or(&empty_query, |outcome| &outcome.body);
    let table = outcome.map(|outcome| outcome.table.as_ref());
    let before = settings.clone();
    let now = jiff::Timestamp::now();
    let previous = outcome.and_then(|outcome| {
        compare.previous_lines(outcome.request_id, query, &settings.series_options(), now)
    });
    let previous = previous.as_deref().map_or(&[][..], Vec::as_slice);
    let actions = chart_ui_with_previous(ui, table, query, cache, settings, now, previous);
    if *settings != before {
        commands.push(Command::ChartSettingsChanged);
    }
    for action in actions {
        commands.push(match action {
            ChartAction::AddDayBucket => Command::AddDayBucket,
            ChartAction::ExportPng { rect } => Command::ExportChartPng { rect },
            ChartAction::ExportSeriesCsv(text) => Command::ExportSeriesCsv(text),
            ChartAction::DrillDown(point) => Command::DrillDown(DrillTarget::Chart(point)),
        });
    }
}
