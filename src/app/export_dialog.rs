//! The export dialog of the result table: format, which rows, the query sidecar, the file;
//! then progress with Cancel, and the outcome (the path and "Open folder", or why it failed).
//!
//! - **Current view** writes what the grid shows: its rows in its order (sorted, searched)
//!   and its visible columns, taken from [`GridState`](crate::app::grid_ui::GridState) without copying the table.
//! - **All rows** writes every matching row. When the table holds fewer than the query's
//!   `total`, the export endpoint is streamed to disk on the worker; when it already holds
//!   them all, the table itself is written (every column, in the query's order).
//!
//! Files are written on the worker ([`Job::Export`](crate::worker::Job::Export)) into a temporary file beside the target,
//! renamed into place when complete: a failed or cancelled export leaves nothing under the
//! chosen name. The window stays responsive throughout and the table shown is never touched.
//!
//! The path comes from the system's file dialog (`rfd`, on the worker) or, since that returns
//! nothing where no desktop portal runs, from the path field, which is always there. The
//! folder of the last export is remembered in the settings.
//!
//! # Finding things from tests and screen readers
//!
//! The Table tab's button is `Export…`. In the dialog: radio buttons `CSV`,
//! `CSV for Excel (BOM)`, `JSON`, `XLSX`, `Current view`, `All rows`; the checkbox
//! `Write query sidecar`; the text field `Save to`; the buttons `Browse…`, `Export`,
//! `Close`, `Cancel export`, `Open folder` and `Export again`.

use egui::{ProgressBar, RichText, Ui};

use crate::api::client::format_bytes;
use crate::app::commands::Command;
use crate::app::export_model::{
    ExportCommand, ExportContext, ExportDialog, ExportStatus, FORMATS, RunningExport, export_blocked_reason,
};
use crate::app::export_plan::ExportScope;
use crate::app::format::{format_duration_ms, thousands};
use crate::app::state::RunState;
use crate::data::export::{ExportFormat, ExportOutcome};
use crate::worker::{ExportPhase, ExportProgress};

// ---------------------------------------------------------------------------------------------
// UI
// ---------------------------------------------------------------------------------------------

/// The `Export…` button (on the Table tab), disabled with the reason while there is nothing
/// to export.
pub fn export_button_ui(
    ui: &mut Ui,
    run: &RunState,
    dialog: Option<&ExportDialog>,
    commands: &mut Vec<Command>,
) {
    let blocked = export_blocked_reason(run, dialog);
    let button = ui
        .add_enabled(blocked.is_none(), egui::Button::new("Export…"))
        .on_hover_text("Write the result to a CSV, JSON or Excel file")
        .on_disabled_hover_text(blocked.as_deref().unwrap_or_default());
    if button.clicked() {
        commands.push(Command::Export(ExportCommand::Open(ExportScope::CurrentView)));
    }
}

/// Draws the dialog when it is open. `dialog` is the window's draft of it.
pub fn export_dialog_ui(
    ctx: &egui::Context,
    dialog: &mut Option<ExportDialog>,
    context: &ExportContext,
    commands: &mut Vec<Command>,
) {
    let Some(state) = dialog.as_mut() else { return };
    let running = state.running().is_some();
    let mut open = true;
    let mut window = egui::Window::new("Export the result")
        .id(egui::Id::unique("export_dialog"))
        .collapsible(false)
        .resizable(false)
        .default_width(560.0)
        .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO);
    // While writing, the only way out is Cancel export (which cleans up).
    if !running {
        window = window.open(&mut open);
    }
    window.show(ctx, |ui| match &state.status {
        ExportStatus::Running(running) => progress_ui(ui, running, commands),
        ExportStatus::Succeeded { outcome, summary } => success_ui(ui, outcome, summary, commands),
        ExportStatus::Editing | ExportStatus::Failed { .. } => form_ui(ui, state, context, commands),
    });
    if !open {
        commands.push(Command::Export(ExportCommand::Close));
    }
}

fn form_ui(ui: &mut Ui, state: &mut ExportDialog, context: &ExportContext, commands: &mut Vec<Command>) {
    egui::Grid::new("export_form").num_columns(2).spacing([12.0, 8.0]).show(ui, |ui| {
        ui.label("Format");
        ui.horizontal_wrapped(|ui| {
            for (format, label) in FORMATS {
                if ui.radio(state.format == format, label).clicked() && state.format != format {
                    state.set_format(format);
                }
            }
        });
        ui.end_row();

        ui.label("Rows");
        ui.vertical(|ui| {
            ui.horizontal(|ui| {
                ui.radio_value(&mut state.scope, ExportScope::CurrentView, "Current view");
                ui.label(RichText::new(view_description(context)).weak());
            });
            ui.horizontal(|ui| {
                ui.radio_value(&mut state.scope, ExportScope::AllRows, "All rows");
                ui.label(RichText::new(all_rows_description(context)).weak());
            });
        });
        ui.end_row();

        ui.label("");
        let takes_sidecar = state.format.takes_sidecar();
        let mut sidecar = state.sidecar && takes_sidecar;
        let checkbox = ui
            .add_enabled(takes_sidecar, egui::Checkbox::new(&mut sidecar, "Write query sidecar"))
            .on_hover_text(
                "Also write <file>.query.json: the request, the server, when it ran, its request id",
            )
            .on_disabled_hover_text("An Excel file records the query in its \"Query\" sheet");
        if checkbox.changed() {
            state.sidecar = sidecar;
        }
        ui.end_row();

        let label = ui.label("Save to");
        ui.horizontal(|ui| {
            let edit = ui
                .add(egui::TextEdit::singleline(&mut state.path_text).desired_width(380.0))
                .labelled_by(label.id);
            if edit.lost_focus() && ui.input(|input| input.key_pressed(egui::Key::Enter)) {
                commands.push(Command::Export(ExportCommand::Start));
            }
            let browse = ui
                .add_enabled(!state.browsing, egui::Button::new("Browse…"))
                .on_hover_text("Choose the file with the system's file dialog");
            if browse.clicked() {
                commands.push(Command::Export(ExportCommand::Browse));
            }
        });
        ui.end_row();
    });
    if state.browsing {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(RichText::new("Waiting for the file dialog…").weak());
        });
    }
    if let Some(path) = state.target_path()
        && let Some(named) = ExportFormat::from_path(&path)
        && named.extension() != state.format.extension()
    {
        ui.label(
            RichText::new(format!(
                "The file name ends in .{} but the format is {}.",
                named.extension(),
                state.format.extension().to_uppercase()
            ))
            .color(ui.visuals().warn_fg_color),
        );
    }
    if let ExportStatus::Failed { message } = &state.status {
        ui.label(RichText::new(format!("⚠ {message}")).color(ui.visuals().error_fg_color));
    }
    ui.separator();
    let blocked = start_blocked_reason(state, context);
    ui.horizontal(|ui| {
        let export = ui
            .add_enabled(blocked.is_none(), egui::Button::new(RichText::new("Export").strong()))
            .on_disabled_hover_text(blocked.as_deref().unwrap_or_default());
        if export.clicked() {
            commands.push(Command::Export(ExportCommand::Start));
        }
        if ui.button("Close").clicked() {
            commands.push(Command::Export(ExportCommand::Close));
        }
    });
    if context.grid_updating && state.scope == ExportScope::CurrentView {
        // The grid's thread repaints when done; this keeps the button's state current anyway.
        ui.ctx().request_repaint_after(std::time::Duration::from_millis(200));
    }
}

/// Why Export is disabled, or `None`.
fn start_blocked_reason(state: &ExportDialog, context: &ExportContext) -> Option<String> {
    if !context.has_result {
        return Some("There is no result to export.".to_string());
    }
    if state.browsing {
        return Some("Waiting for the file dialog.".to_string());
    }
    if state.target_path().is_none() {
        return Some("Type the file to export to, or choose it with Browse….".to_string());
    }
    if state.scope == ExportScope::CurrentView && context.grid_updating {
        return Some("The grid is still sorting or searching.".to_string());
    }
    None
}

fn view_description(context: &ExportContext) -> String {
    format!(
        "{} rows, {} of {} columns, as sorted and searched in the grid",
        thousands(context.view_rows),
        context.visible_columns,
        context.column_count
    )
}

fn all_rows_description(context: &ExportContext) -> String {
    if context.truncated() {
        format!(
            "{} rows, every column, downloaded from the server (the table holds {})",
            thousands(context.total_rows),
            thousands(context.table_rows)
        )
    } else {
        format!("{} rows, every column, in the query's order", thousands(context.table_rows))
    }
}

fn progress_ui(ui: &mut Ui, running: &RunningExport, commands: &mut Vec<Command>) {
    let ExportProgress { phase, row_count, byte_count } = running.progress;
    let elapsed_ms = u64::try_from(running.started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let doing = match phase {
        ExportPhase::Writing => "Writing",
        ExportPhase::Downloading => "Downloading",
        ExportPhase::Converting => "Converting",
    };
    let of = running.rows_to_write.map(|rows| format!(" of {}", thousands(rows))).unwrap_or_default();
    let bytes = if byte_count > 0 { format!(" · {}", format_bytes(byte_count)) } else { String::new() };
    ui.label(format!("{} to {}", running.format.label(), running.path.display()));
    ui.horizontal(|ui| {
        ui.spinner();
        let state = if running.cancelling { "Cancelling…".to_string() } else { format!("{doing}:") };
        ui.label(format!(
            "{state} {}{of} rows{bytes} · {}",
            thousands(row_count),
            format_duration_ms(elapsed_ms)
        ));
    });
    let fraction = match running.rows_to_write {
        Some(rows) if rows > 0 => (row_count as f64 / rows as f64).clamp(0.0, 1.0) as f32,
        _ => 0.0,
    };
    ui.add(ProgressBar::new(fraction).show_percentage().desired_height(10.0));
    ui.label(RichText::new("The window stays usable meanwhile; the table is not affected.").weak());
    ui.separator();
    let cancel = ui
        .add_enabled(!running.cancelling, egui::Button::new("Cancel export"))
        .on_hover_text("Stop writing; nothing is left under the file name");
    if cancel.clicked() {
        commands.push(Command::Export(ExportCommand::Cancel));
    }
    // Elapsed time moves even between progress events.
    ui.ctx().request_repaint_after(std::time::Duration::from_millis(200));
}

fn success_ui(ui: &mut Ui, outcome: &ExportOutcome, summary: &str, commands: &mut Vec<Command>) {
    ui.label(RichText::new("✔ Export complete").strong());
    ui.label(summary);
    ui.separator();
    ui.horizontal(|ui| {
        if ui.button("Open folder").on_hover_text("Show the folder in the file manager").clicked() {
            commands.push(Command::Export(ExportCommand::OpenFolder(outcome.path.clone())));
        }
        if ui.button("Copy path").clicked() {
            commands.push(Command::CopyText { text: outcome.path.display().to_string(), what: "the path" });
        }
        if ui.button("Export again").on_hover_text("Back to the form for another export").clicked() {
            commands.push(Command::Export(ExportCommand::Again));
        }
        if ui.button("Close").clicked() {
            commands.push(Command::Export(ExportCommand::Close));
        }
    });
}
