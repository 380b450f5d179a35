//! A small "Save as" dialog for what the chart exports (a PNG of the plot, a CSV of its
//! series): a path field, prefilled with a sensible file in the user's download folder,
//! "Browse…" for the system file dialog, Save and Cancel.
//!
//! The system dialog (`rfd`) returns nothing when no desktop portal is available, exactly
//! as when the user cancels, so the path field is always there. Files are written by the
//! worker; the dialog only edits its own draft and sends commands.

use egui::{RichText, Ui};

use crate::app::commands::Command;
use crate::app::save_model::SaveDialog;

/// Draws the dialog when there is one. `dialog` is the window's draft of it.
pub fn save_dialog_ui(ctx: &egui::Context, dialog: &mut Option<SaveDialog>, commands: &mut Vec<Command>) {
    let Some(state) = dialog.as_mut() else { return };
    let mut open = true;
    egui::Window::new(state.title.clone())
        .id(egui::Id::unique("save_dialog"))
        .collapsible(false)
        .resizable(false)
        .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
        .open(&mut open)
        .show(ctx, |ui| body_ui(ui, state, commands));
    if !open {
        commands.push(Command::SaveDialogCancel);
    }
}

fn body_ui(ui: &mut Ui, state: &mut SaveDialog, commands: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        let label = ui.label("File");
        let edit = ui
            .add(egui::TextEdit::singleline(&mut state.path_text).desired_width(420.0))
            .labelled_by(label.id);
        if edit.lost_focus() && ui.input(|input| input.key_pressed(egui::Key::Enter)) {
            commands.push(Command::SaveDialogConfirm);
        }
        let browse = ui
            .add_enabled(!state.browsing, egui::Button::new("Browse…"))
            .on_hover_text("Choose the file with the system's file dialog");
        if browse.clicked() {
            commands.push(Command::SaveDialogBrowse);
        }
    });
    if state.browsing {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(RichText::new("Waiting for the file dialog…").weak());
        });
    }
    ui.label(RichText::new(state.content.describe()).weak());
    ui.horizontal(|ui| {
        let can_save = !state.path_text.trim().is_empty();
        if ui.add_enabled(can_save, egui::Button::new("Save")).clicked() {
            commands.push(Command::SaveDialogConfirm);
        }
        if ui.button("Cancel").clicked() {
            commands.push(Command::SaveDialogCancel);
        }
    });
}
