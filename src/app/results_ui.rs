//! The Table tab: a plain, read-only, virtualised table of the result rows (only the rows
//! on screen are laid out). A sortable, filterable grid replaces it in a later issue.

use egui::{Label, RichText, Ui};
use egui_extras::{Column, TableBuilder};

use crate::app::state::{RunOutcome, RunState, cell_text, thousands};

/// Height of one table row, in points.
const ROW_HEIGHT: f32 = 20.0;

/// Opacity of the previous result while a new run is pending.
pub const DIMMED_OPACITY: f32 = 0.45;

/// Draws the result table of the current (or, while running or failed, the previous) run.
pub fn results_ui(ui: &mut Ui, run: &RunState) {
    let Some(outcome) = run.outcome() else {
        ui.add_space(24.0);
        ui.vertical_centered(|ui| match run {
            RunState::Pending { .. } => {
                ui.spinner();
                ui.label("Running the query…");
            }
            _ => {
                ui.label(RichText::new("No result yet").heading());
                ui.label("Build a query on the left, then press Run (Ctrl+Enter).");
            }
        });
        return;
    };
    let pending = matches!(run, RunState::Pending { .. });
    if pending {
        // The previous result stays readable but is visibly out of date.
        ui.multiply_opacity(DIMMED_OPACITY);
    }
    summary_line(ui, outcome, run);
    ui.separator();
    if outcome.response.rows.is_empty() {
        ui.label("The query matched no conversations.");
        return;
    }
    table(ui, outcome);
}

fn summary_line(ui: &mut Ui, outcome: &RunOutcome, run: &RunState) {
    ui.horizontal_wrapped(|ui| {
        let shown = outcome.response.rows.len() as u64;
        let total = outcome.response.total;
        ui.label(RichText::new(format!("{} rows", thousands(shown))).strong());
        if total > shown {
            ui.label(format!("of {} matching", thousands(total)));
            ui.label(
                RichText::new(format!(
                    "(the API returns at most {} rows per answer; export for the rest)",
                    thousands(outcome.response.page_size)
                ))
                .weak(),
            );
        }
        match run {
            RunState::Pending { .. } => {
                ui.label(RichText::new("· previous result, a new run is in progress").weak());
            }
            RunState::Failed { .. } => {
                ui.label(RichText::new("· previous result, the last run failed").weak());
            }
            _ => {}
        }
    });
}

fn table(ui: &mut Ui, outcome: &RunOutcome) {
    let rows = &outcome.response.rows;
    let columns = &outcome.columns;
    egui::ScrollArea::horizontal().id_salt("results_hscroll").show(ui, |ui| {
        let mut builder = TableBuilder::new(ui)
            // One table state per set of columns: widths fit (and remember) those columns.
            .id_salt(("results_table", columns))
            .striped(true)
            .resizable(true)
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            .min_scrolled_height(0.0)
            .max_scroll_height(f32::INFINITY);
        for _ in columns {
            builder = builder.column(Column::auto().at_least(48.0).at_most(420.0).clip(true).resizable(true));
        }
        builder
            .header(ROW_HEIGHT + 4.0, |mut header| {
                for name in columns {
                    header.col(|ui| {
                        ui.add(
                            Label::new(RichText::new(name).strong()).wrap_mode(egui::TextWrapMode::Extend),
                        );
                    });
                }
            })
            .body(|body| {
                body.rows(ROW_HEIGHT, rows.len(), |mut row| {
                    let Some(values) = rows.get(row.index()) else { return };
                    for name in columns {
                        row.col(|ui| match values.get(name) {
                            None | Some(serde_json::Value::Null) => {
                                ui.label(RichText::new("null").weak());
                            }
                            Some(value) => {
                                // Not truncated: auto-sized columns measure the full text; the
                                // column's clip (and at_most) cut very long values instead.
                                ui.add(Label::new(cell_text(value)).wrap_mode(egui::TextWrapMode::Extend));
                            }
                        });
                    }
                });
            });
    });
}
