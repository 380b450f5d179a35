//! The Table tab: the result grid ([`grid_ui`]) around the run's state (the start page
//! before any result, running, previous result while a new run is pending or after a
//! failure), and the "Load all rows" banners: progress with Cancel, or why the last load
//! failed.

use egui::{ProgressBar, RichText, Ui};

use crate::api::client::format_bytes;
use crate::app::commands::Command;
use crate::app::compare_model::CompareState;
use crate::app::connection_model::ConnectionCommand;
use crate::app::format::{format_duration_ms, thousands};
use crate::app::grid_ui::{GridAction, GridMeta, GridState, grid_ui};
use crate::app::history_model::HistoryCommand;
use crate::app::presets_model::PresetsCommand;
use crate::app::start_page::{StartPage, StartPageCommand, start_page_ui};
use crate::app::state::{LoadAllState, NoticeKind, ResultView, RunState};
use crate::data::drill::DrillTarget;

/// Draws the Table tab; before any result, the start page (`start_page` builds its model
/// only then).
pub fn table_tab_ui<'s>(
    ui: &mut Ui,
    run: &RunState,
    load_all: &LoadAllState,
    grid: &mut GridState,
    compare: &CompareState,
    start_page: impl FnOnce() -> StartPage<'s>,
    commands: &mut Vec<Command>,
) {
    let Some(outcome) = run.outcome() else {
        if matches!(run, RunState::Pending { .. }) {
            ui.add_space(24.0);
            ui.vertical_centered(|ui| {
                ui.spinner();
                ui.label("Running the query…");
            });
        } else {
            let mut asked = Vec::new();
            start_page_ui(ui, &start_page(), &mut asked);
            for command in asked {
                push_start_page_command(command, commands);
            }
        }
        return;
    };
    match run {
        RunState::Pending { .. } => {
            ui.label(RichText::new("Previous result; a new run is in progress.").weak());
        }
        RunState::Failed { .. } => {
            ui.label(RichText::new("Previous result; the last run failed.").weak());
        }
        _ => {}
    }
    if let LoadAllState::Failed { request_id, message } = load_all
        && *request_id == outcome.request_id
    {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new("⚠ Loading all rows failed:").color(ui.visuals().warn_fg_color));
            ui.label(message);
            if ui.small_button("Dismiss").clicked() {
                commands.push(Command::DismissLoadAllFailure);
            }
        });
    }
    let loading = load_all.loading_id().is_some();
    // A comparison shows its joined table: the answer's columns with previous and change %.
    let compared = compare.compared_for(outcome.request_id);
    let table = compared.map_or(&outcome.table, |compared| &compared.table);
    let meta = GridMeta {
        // While loading, the progress banner replaces the grid's "Showing N of T rows" banner.
        total_rows: match compared {
            Some(compared) => compared.table.row_count() as u64,
            None if loading => outcome.row_count() as u64,
            None => outcome.meta.total,
        },
        is_stale: matches!(run, RunState::Pending { .. }),
    };
    let persisted_before = (grid.sort.clone(), grid.hidden_columns.clone(), grid.column_widths.clone());
    grid.set_server_order(&outcome.body.order_by);
    grid.source_view = Some(outcome.view);
    grid.drillable = outcome.body.is_grouped();
    let actions = grid_ui(ui, table, &meta, grid);
    if (&grid.sort, &grid.hidden_columns, &grid.column_widths)
        != (&persisted_before.0, &persisted_before.1, &persisted_before.2)
    {
        commands.push(Command::GridSettingsChanged);
    }
    for action in actions {
        commands.push(match action {
            GridAction::LoadAllRows => Command::LoadAllRows,
            GridAction::ExportAllRows => Command::ExportAll,
            GridAction::OpenLinked { from, ids, to } => Command::OpenLinked { from, ids, to },
            GridAction::DrillDown(row) => Command::DrillDown(DrillTarget::Row(row)),
            GridAction::CopyToClipboard(text) => {
                let line_count = text.lines().count();
                let what = if line_count == 1 { "1 line".to_string() } else { format!("{line_count} lines") };
                Command::Notify(NoticeKind::Info, format!("Copied {what} to the clipboard."))
            }
        });
    }
}

/// What a start page click means in the window's commands: a card loads its preset and runs
/// it, "Start with a chart" also shows the Chart view.
fn push_start_page_command(command: StartPageCommand, commands: &mut Vec<Command>) {
    match command {
        StartPageCommand::RunPreset { id } => {
            commands.push(Command::Presets(PresetsCommand::Load { id, new_tab: false }));
            commands.push(Command::Run);
        }
        StartPageCommand::ChartPreset { id } => {
            commands.push(Command::Presets(PresetsCommand::Load { id, new_tab: false }));
            commands.push(Command::Run);
            commands.push(Command::SetView(ResultView::Chart));
        }
        StartPageCommand::RestoreRun { id } => {
            commands.push(Command::History(HistoryCommand::Restore { id, new_tab: false }))
        }
        StartPageCommand::OpenConnection => commands.push(Command::Connection(ConnectionCommand::OpenDialog)),
    }
}

/// The "Load all rows" progress banner (shown above every tab while loading): rows and
/// bytes so far, a progress bar towards `total`, and Cancel (Esc).
pub fn load_progress_ui(ui: &mut Ui, load_all: &LoadAllState, commands: &mut Vec<Command>) {
    let LoadAllState::Loading { started, total_rows, progress, .. } = load_all else { return };
    let fraction = if *total_rows == 0 {
        0.0
    } else {
        (progress.row_count as f64 / *total_rows as f64).clamp(0.0, 1.0) as f32
    };
    let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let fill = ui.visuals().selection.bg_fill.gamma_multiply(0.25);
    egui::Frame::new().fill(fill).corner_radius(4.0).inner_margin(6.0).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(format!(
                "Loading all rows: {} of {} · {} · {}",
                thousands(progress.row_count as u64),
                thousands(*total_rows),
                format_bytes(progress.byte_count),
                format_duration_ms(elapsed_ms)
            ));
            if ui
                .button("Cancel loading")
                .on_hover_text("Stop loading (Esc); the table keeps the rows it has")
                .clicked()
            {
                commands.push(Command::CancelLoadAll);
            }
        });
        ui.add(ProgressBar::new(fraction).show_percentage().desired_height(8.0));
    });
    // Elapsed time moves even between progress events.
    ui.ctx().request_repaint_after(std::time::Duration::from_millis(200));
}
