//! The Response tab: the raw answer as JSON, or the problem details of a failed run, both
//! selectable and copyable; and the error banner shown above every tab after a failure.

use std::sync::Arc;

use egui::{Color32, RichText, TextEdit, Ui};

use crate::api::client::format_bytes;
use crate::app::command::Command;
use crate::app::format::thousands;
use crate::app::raw_json::{PrettyPrefix, pretty_prefix};
use crate::app::state::{ErrorDetails, RunFailure, RunOutcome, RunState};

/// How much pretty-printed JSON the view shows; "Copy full JSON" copies the whole answer.
pub const PREVIEW_BYTES: usize = 256 * 1024;

/// The answer as the API sent it, pretty-printed, when the whole answer is kept.
pub fn full_json(outcome: &RunOutcome) -> Option<String> {
    outcome.raw.is_complete().then(|| pretty_prefix(&outcome.raw.bytes, usize::MAX).text)
}

/// Draws the Response tab.
pub fn response_ui(ui: &mut Ui, run: &RunState, commands: &mut Vec<Command>) {
    if let RunState::Failed { error, .. } = run {
        failure_view(ui, error, commands);
        return;
    }
    let Some(outcome) = run.outcome() else {
        ui.label("The server's answer appears here after a run.");
        return;
    };
    ui.horizontal_wrapped(|ui| {
        ui.label(format!(
            "total {} · pageSize {} · count {}",
            thousands(outcome.meta.total),
            thousands(outcome.meta.page_size),
            thousands(outcome.meta.count)
        ));
        if let Some(request_id) = &outcome.server_request_id {
            ui.label(format!("· requestId {request_id}"));
        }
        let copy = ui
            .add_enabled(outcome.raw.is_complete(), egui::Button::new("Copy full JSON"))
            .on_disabled_hover_text(format!(
                "The answer is {}; only its first {} are kept. Export the result to get all of it.",
                format_bytes(outcome.raw.total_bytes as u64),
                format_bytes(outcome.raw.bytes.len() as u64)
            ));
        if copy.clicked()
            && let Some(text) = full_json(outcome)
        {
            commands.push(Command::CopyText { text, what: "the response JSON" });
        }
    });
    if outcome.all_rows_loaded {
        ui.label(
            RichText::new(format!(
                "The table holds all {} rows, loaded through the export; below is the query's first answer.",
                thousands(outcome.row_count() as u64)
            ))
            .weak(),
        );
    }
    // Pretty-printing is done once per result and kept in egui's memory, not every frame.
    let cache_id = egui::Id::unique(("response_json", outcome.request_id));
    let pretty: Arc<PrettyPrefix> = match ui.data(|data| data.get_temp::<Arc<PrettyPrefix>>(cache_id)) {
        Some(pretty) => pretty,
        None => {
            let pretty = Arc::new(pretty_prefix(&outcome.raw.bytes, PREVIEW_BYTES));
            ui.data_mut(|data| data.insert_temp(cache_id, Arc::clone(&pretty)));
            pretty
        }
    };
    if pretty.cut || !outcome.raw.is_complete() {
        let note = if outcome.raw.is_complete() {
            format!(
                "Showing the start of the answer ({}); Copy full JSON copies all of it.",
                format_bytes(outcome.raw.total_bytes as u64)
            )
        } else {
            format!(
                "Showing the start of the answer: only its first {} of {} are kept.",
                format_bytes(outcome.raw.bytes.len() as u64),
                format_bytes(outcome.raw.total_bytes as u64)
            )
        };
        ui.label(RichText::new(note).weak());
    }
    read_only_code(ui, "response_json_view", "Response JSON", pretty.text.as_str());
}

/// A read-only, selectable, monospace text block.
pub fn read_only_code(ui: &mut Ui, id_salt: &str, name: &str, text: &str) {
    egui::ScrollArea::both().id_salt(id_salt).auto_shrink([false, false]).show(ui, |ui| {
        let mut view = text;
        ui.add(TextEdit::multiline(&mut view).code_editor().desired_width(f32::INFINITY))
            .accessible_name(name);
    });
}

fn failure_view(ui: &mut Ui, failure: &RunFailure, commands: &mut Vec<Command>) {
    ui.label(RichText::new(&failure.summary).color(ui.visuals().error_fg_color));
    ui.add_space(6.0);
    details_grid(ui, &failure.details, "response_error_details");
    ui.horizontal(|ui| {
        if ui.button("Copy details").clicked() {
            commands.push(Command::CopyText { text: failure.details.to_text(), what: "the error details" });
        }
        if let Some(raw) = &failure.details.raw_problem
            && ui.button("Copy problem JSON").clicked()
        {
            commands.push(Command::CopyText { text: raw.clone(), what: "the problem JSON" });
        }
    });
    if let Some(raw) = &failure.details.raw_problem {
        ui.add_space(6.0);
        ui.label(RichText::new("Problem document (application/problem+json)").strong());
        read_only_code(ui, "problem_json_view", "Problem JSON", raw);
    }
}

/// The labelled error details, each value selectable.
pub fn details_grid(ui: &mut Ui, details: &ErrorDetails, id_salt: &str) {
    egui::Grid::new(id_salt).num_columns(2).spacing([12.0, 4.0]).show(ui, |ui| {
        for (label, value) in details.rows() {
            ui.label(RichText::new(label).strong());
            ui.add(egui::Label::new(value).selectable(true).wrap());
            ui.end_row();
        }
    });
}

/// The banner shown above the tabs after a failed run: the summary in words, the details
/// one click away, and a copy button. The previous result stays visible below it.
pub fn failure_banner_ui(ui: &mut Ui, failure: &RunFailure, show_details: bool, commands: &mut Vec<Command>) {
    let fill = if ui.visuals().dark_mode {
        Color32::from_rgb(0x4a, 0x1c, 0x1c)
    } else {
        Color32::from_rgb(0xfd, 0xe8, 0xe8)
    };
    egui::Frame::new().fill(fill).corner_radius(4.0).inner_margin(8.0).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new("⚠ The query failed.").strong().color(ui.visuals().error_fg_color));
            ui.label(&failure.summary);
        });
        ui.horizontal(|ui| {
            let toggle = if show_details { "Hide details" } else { "Show details" };
            if ui.button(toggle).clicked() {
                commands.push(Command::ToggleErrorDetails);
            }
            if ui.button("Copy details").clicked() {
                commands
                    .push(Command::CopyText { text: failure.details.to_text(), what: "the error details" });
            }
        });
        if show_details {
            details_grid(ui, &failure.details, "banner_error_details");
        }
    });
}
