//! The Presets menu of the top bar and its dialogs: search, the list (built-ins marked, the
//! description on hover), a click loads a preset into the builder (one undo step), "Save
//! current query as preset…", and per preset edit (name, description), duplicate, "Update
//! with the current query" and delete, each changing the store on the worker; import and
//! export of preset files.
//!
//! The store lives on the worker (its writes are synchronous); the window keeps the latest
//! read-only snapshot it sent ([`PresetsMenu::store`]). A dialog that started an operation
//! waits for its answer: on success it closes, on failure (a name already taken…) it stays
//! open with the error and everything typed, so nothing is lost.
//!
//! Built-in presets cannot be changed: their edit and update buttons are disabled with the
//! reason and the offer to duplicate; deleting one only hides it until "Restore built-in
//! presets".

use egui::containers::menu::{MenuButton, MenuConfig};
use egui::{PopupCloseBehavior, RichText, TextEdit, Ui, UiKind};

use crate::app::commands::Command;
use crate::app::presets_model::{
    ConfirmAction, PresetConfirm, PresetFileDialog, PresetForm, PresetsCommand, PresetsMenu,
};
use crate::app::state::DerivedQuery;
use crate::presets::Preset;
use crate::worker::PresetFilePurpose;

/// Width of the menu's list, in points.
const MENU_WIDTH: f32 = 480.0;
/// Height of the list before it scrolls, in points.
const LIST_MAX_HEIGHT: f32 = 380.0;

/// Icons of the per-preset buttons (their glyphs are checked by a test).
const ICON_EDIT: &str = "✏";
const ICON_DUPLICATE: &str = "🗐";
const ICON_UPDATE: &str = "⟲";
const ICON_DELETE: &str = "🗑";

/// What the save or edit dialog can say about the name before it is sent.
fn name_problem(presets: &PresetsMenu, form: &PresetForm) -> Option<String> {
    let name = form.name.trim();
    if name.is_empty() {
        return Some("A preset needs a name.".to_string());
    }
    match presets.find_by_name(name) {
        Some(existing) if Some(&existing.id) != form.id.as_ref() => {
            Some(format!("There is already a preset named “{}”; choose another name.", existing.name))
        }
        _ => None,
    }
}

/// The "Presets" menu button and its list. `derived` says whether the current query can be
/// saved.
pub fn presets_menu_ui(
    ui: &mut Ui,
    presets: &mut PresetsMenu,
    derived: &DerivedQuery,
    commands: &mut Vec<Command>,
) {
    // Clicks inside keep the menu open (the search box, the icons); loading closes it.
    let config = MenuConfig::new().close_behavior(PopupCloseBehavior::CloseOnClickOutside);
    let warning = presets.load_warning.is_some();
    let title = if warning { "Presets ⚠" } else { "Presets" };
    let (response, _) = MenuButton::new(title).config(config).ui(ui, |ui| {
        ui.set_width(MENU_WIDTH);
        menu_contents_ui(ui, presets, derived, commands);
    });
    let response = response.accessible_name("Presets");
    if warning {
        response.on_hover_text("The presets file had a problem: open the menu to read it.");
    } else {
        response.on_hover_text("Saved queries: load, save, rename, share");
    }
}

fn menu_contents_ui(
    ui: &mut Ui,
    presets: &mut PresetsMenu,
    derived: &DerivedQuery,
    commands: &mut Vec<Command>,
) {
    let mut push = |command: PresetsCommand| commands.push(Command::Presets(command));
    if let Some(warning) = &presets.load_warning {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(format!("⚠ {warning}")).color(ui.visuals().warn_fg_color));
            if ui.small_button("Dismiss").accessible_name("Dismiss presets warning").clicked() {
                push(PresetsCommand::DismissWarning);
            }
        });
        ui.separator();
    }
    let Some(store) = presets.store.clone() else {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(RichText::new("Loading the presets…").weak());
        });
        return;
    };
    let read_only = store.read_only_reason().map(str::to_string);
    ui.horizontal(|ui| {
        let edit = TextEdit::singleline(&mut presets.search)
            .hint_text("Search presets by name or description")
            .desired_width(f32::INFINITY);
        ui.add(edit).accessible_name("Search presets");
    });
    let matching = store.search(&presets.search);
    egui::ScrollArea::vertical().id_salt("presets_list").max_height(LIST_MAX_HEIGHT).show(ui, |ui| {
        if matching.is_empty() {
            let text = if presets.search.trim().is_empty() {
                "No presets yet.".to_string()
            } else {
                format!("No preset matches “{}”.", presets.search.trim())
            };
            ui.label(RichText::new(text).weak());
        }
        for preset in &matching {
            preset_row_ui(ui, preset, derived, read_only.as_deref(), &mut push);
        }
    });
    ui.separator();
    let save_reason = read_only.clone().or_else(|| derived.blocked_reason());
    let save = ui
        .add_enabled(save_reason.is_none(), egui::Button::new("💾 Save current query as preset…"))
        .on_hover_text("Keep the query in the builder under a name (relative times stay relative)")
        .on_disabled_hover_text(save_reason.as_deref().unwrap_or_default())
        .accessible_name("Save current query as preset…");
    if save.clicked() {
        push(PresetsCommand::OpenSaveDialog);
        ui.close_kind(UiKind::Menu);
    }
    ui.horizontal(|ui| {
        let import = ui
            .add_enabled(read_only.is_none(), egui::Button::new("Import presets…"))
            .on_hover_text("Add the presets of a file someone shared; taken names get a suffix")
            .on_disabled_hover_text(read_only.as_deref().unwrap_or_default());
        if import.clicked() {
            push(PresetsCommand::OpenFileDialog(PresetFilePurpose::Import));
            ui.close_kind(UiKind::Menu);
        }
        let user_count = store.list().iter().filter(|p| !p.builtin).count();
        let export = ui
            .add_enabled(user_count > 0, egui::Button::new("Export my presets…"))
            .on_hover_text(format!("Write your {user_count} preset(s) to a file to share"))
            .on_disabled_hover_text("You have no presets of your own yet (built-in ones ship with the app).");
        if export.clicked() {
            push(PresetsCommand::OpenFileDialog(PresetFilePurpose::Export));
            ui.close_kind(UiKind::Menu);
        }
        let hidden = store.hidden_builtin_count();
        if hidden > 0 {
            let restore = ui
                .add_enabled(read_only.is_none(), egui::Button::new("Restore built-in presets"))
                .on_hover_text(format!("Show the {hidden} hidden built-in preset(s) again"));
            if restore.clicked() {
                push(PresetsCommand::RestoreBuiltins);
            }
        }
    });
    if let Some(reason) = &read_only {
        ui.label(RichText::new(format!("Presets are read-only: {reason}")).color(ui.visuals().warn_fg_color));
    }
}

/// One preset: its name (a click loads it; the description on hover) and its actions.
fn preset_row_ui(
    ui: &mut Ui,
    preset: &Preset,
    derived: &DerivedQuery,
    read_only: Option<&str>,
    push: &mut impl FnMut(PresetsCommand),
) {
    const BUILTIN_REASON: &str = "Built-in presets cannot be changed: duplicate it and change the copy.";
    let name = preset.name.as_str();
    let id = || preset.id.clone();
    let (load, action) = egui::Sides::new().shrink_left().truncate().show(
        ui,
        |ui| {
            let text =
                if preset.builtin { RichText::new(format!("★ {name}")) } else { RichText::new(name) };
            let mut hover = if preset.description.is_empty() {
                "No description.".to_string()
            } else {
                preset.description.clone()
            };
            hover.push_str(if preset.builtin {
                "\n\nBuilt-in preset. Click to load it into the builder."
            } else {
                "\n\nClick to load it into the builder."
            });
            ui.add(egui::Button::new(text).frame(false).truncate())
                .on_hover_text(hover)
                .accessible_name(name)
                .clicked()
        },
        |ui| {
            let changeable = read_only.is_none() && !preset.builtin;
            let disabled_reason = read_only.unwrap_or(BUILTIN_REASON);
            let mut action = None;
            let delete_name = if preset.builtin { "Hide" } else { "Delete" };
            let delete = ui
                .add_enabled(read_only.is_none(), egui::Button::new(ICON_DELETE).small())
                .on_hover_text(if preset.builtin {
                    "Hide this built-in preset (Restore built-in presets brings it back)"
                } else {
                    "Delete this preset…"
                })
                .on_disabled_hover_text(disabled_reason)
                .accessible_name(format!("{delete_name} {name}"));
            if delete.clicked() {
                let confirm = if preset.builtin { ConfirmAction::Hide } else { ConfirmAction::Delete };
                action = Some(PresetsCommand::AskConfirm { action: confirm, id: id() });
            }
            let update_reason =
                if changeable { derived.blocked_reason() } else { Some(disabled_reason.into()) };
            let update = ui
                .add_enabled(update_reason.is_none(), egui::Button::new(ICON_UPDATE).small())
                .on_hover_text("Update with current query: replace this preset's query with the builder's…")
                .on_disabled_hover_text(update_reason.as_deref().unwrap_or_default())
                .accessible_name(format!("Update {name}"));
            if update.clicked() {
                action = Some(PresetsCommand::AskConfirm { action: ConfirmAction::UpdateQuery, id: id() });
            }
            let duplicate = ui
                .add_enabled(read_only.is_none(), egui::Button::new(ICON_DUPLICATE).small())
                .on_hover_text("Duplicate: save a copy you can change")
                .on_disabled_hover_text(disabled_reason)
                .accessible_name(format!("Duplicate {name}"));
            if duplicate.clicked() {
                action = Some(PresetsCommand::Duplicate { id: id() });
            }
            let edit = ui
                .add_enabled(changeable, egui::Button::new(ICON_EDIT).small())
                .on_hover_text("Rename, or change the description…")
                .on_disabled_hover_text(disabled_reason)
                .accessible_name(format!("Edit {name}"));
            if edit.clicked() {
                action = Some(PresetsCommand::OpenEditDialog { id: id() });
            }
            action
        },
    );
    if load {
        let new_tab = ui.input(|input| input.modifiers.command);
        push(PresetsCommand::Load { id: id(), new_tab });
        ui.close_kind(UiKind::Menu);
    }
    if let Some(action) = action {
        // Duplicating stays in the menu (the copy appears in the list); the rest opens a dialog.
        if !matches!(action, PresetsCommand::Duplicate { .. }) {
            ui.close_kind(UiKind::Menu);
        }
        push(action);
    }
}

/// The presets dialogs (save, edit, confirm, import/export), when one is open.
pub fn presets_dialogs_ui(ctx: &egui::Context, presets: &mut PresetsMenu, commands: &mut Vec<Command>) {
    let mut out = Vec::new();
    if let Some(mut form) = presets.save_dialog.take() {
        let problem = name_problem(presets, &form);
        let open = form_window_ui(ctx, "Save as preset", &mut form, problem.as_deref(), &mut out);
        if open {
            presets.save_dialog = Some(form);
        }
    }
    if let Some(mut form) = presets.edit_dialog.take() {
        let problem = name_problem(presets, &form);
        let open = form_window_ui(ctx, "Edit preset", &mut form, problem.as_deref(), &mut out);
        if open {
            presets.edit_dialog = Some(form);
        }
    }
    if let Some(confirm) = &presets.confirm {
        confirm_window_ui(ctx, confirm, &mut out);
    }
    if let Some(dialog) = &mut presets.file_dialog {
        file_window_ui(ctx, dialog, &mut out);
    }
    commands.extend(out.into_iter().map(Command::Presets));
}

/// The save or edit dialog; false once closed.
fn form_window_ui(
    ctx: &egui::Context,
    title: &str,
    form: &mut PresetForm,
    problem: Option<&str>,
    out: &mut Vec<PresetsCommand>,
) -> bool {
    let editing = form.id.is_some();
    let mut open = true;
    egui::Window::new(title)
        .id(egui::Id::unique(("preset_form", editing)))
        .collapsible(false)
        .resizable(false)
        .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
        .open(&mut open)
        .show(ctx, |ui| {
            let pending = form.pending_op.is_some();
            egui::Grid::new(("preset_form_grid", editing)).num_columns(2).show(ui, |ui| {
                let label = ui.label("Name");
                let name = ui
                    .add_enabled(!pending, TextEdit::singleline(&mut form.name).desired_width(360.0))
                    .labelled_by(label.id);
                // Typing can start at once; asked only while nothing has the keyboard, so
                // a click elsewhere is respected.
                if !editing && form.name.is_empty() && ui.memory(|memory| memory.focused().is_none()) {
                    name.request_focus();
                }
                ui.end_row();
                let label = ui.label("Description");
                ui.add_enabled(
                    !pending,
                    TextEdit::multiline(&mut form.description)
                        .desired_rows(3)
                        .desired_width(360.0)
                        .hint_text("optional: what it shows, for whom"),
                )
                .labelled_by(label.id);
                ui.end_row();
            });
            if !editing {
                ui.label(RichText::new("Relative times such as “last 30 days” are kept as written.").weak());
            }
            // The worker's answer (the authority) first, else what the snapshot already shows.
            if let Some(error) = form.error.as_deref().or(problem.filter(|_| !form.name.trim().is_empty())) {
                ui.label(RichText::new(error).color(ui.visuals().error_fg_color));
            }
            ui.horizontal(|ui| {
                let (action, confirm) = if editing {
                    ("Save changes", PresetsCommand::ConfirmEdit)
                } else {
                    ("Save preset", PresetsCommand::ConfirmSave)
                };
                let enabled = !pending && problem.is_none();
                if ui
                    .add_enabled(enabled, egui::Button::new(action))
                    .on_disabled_hover_text(problem.unwrap_or("Saving…"))
                    .clicked()
                {
                    out.push(confirm);
                }
                let cancel_name = if editing { "Cancel editing" } else { "Cancel saving" };
                if ui.button("Cancel").accessible_name(cancel_name).clicked() {
                    out.push(PresetsCommand::CloseDialogs);
                }
                if pending {
                    ui.spinner();
                }
            });
        });
    if !open {
        out.push(PresetsCommand::CloseDialogs);
    }
    open
}

fn confirm_window_ui(ctx: &egui::Context, confirm: &PresetConfirm, out: &mut Vec<PresetsCommand>) {
    let (title, question, action) = match confirm.action {
        ConfirmAction::Delete => (
            "Delete preset?",
            format!("Delete the preset “{}”? This cannot be undone.", confirm.name),
            "Delete preset",
        ),
        ConfirmAction::Hide => (
            "Hide built-in preset?",
            format!(
                "Hide the built-in preset “{}”? Built-in presets cannot be deleted; “Restore built-in \
                 presets” in the Presets menu shows it again.",
                confirm.name
            ),
            "Hide preset",
        ),
        ConfirmAction::UpdateQuery => (
            "Update preset?",
            format!(
                "Replace the query of “{}” with the query in the builder? Its old query is not kept.",
                confirm.name
            ),
            "Replace query",
        ),
    };
    let mut open = true;
    egui::Window::new(title)
        .id(egui::Id::unique("preset_confirm"))
        .collapsible(false)
        .resizable(false)
        .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
        .open(&mut open)
        .show(ctx, |ui| {
            ui.set_max_width(420.0);
            ui.label(question);
            ui.horizontal(|ui| {
                if ui.button(action).clicked() {
                    out.push(PresetsCommand::Confirmed);
                }
                if ui.button("Cancel").accessible_name("Keep the preset").clicked() {
                    out.push(PresetsCommand::CloseDialogs);
                }
            });
        });
    if !open {
        out.push(PresetsCommand::CloseDialogs);
    }
}

fn file_window_ui(ctx: &egui::Context, dialog: &mut PresetFileDialog, out: &mut Vec<PresetsCommand>) {
    let (title, action, explanation) = match dialog.purpose {
        PresetFilePurpose::Import => (
            "Import presets",
            "Import",
            "Adds the presets of the file. A name already taken gets a suffix (“Weekly (2)”); nothing is \
             overwritten.",
        ),
        PresetFilePurpose::Export => {
            ("Export presets", "Export", "Writes your own presets (not the built-in ones) to the file.")
        }
    };
    let mut open = true;
    egui::Window::new(title)
        .id(egui::Id::unique("preset_file_dialog"))
        .collapsible(false)
        .resizable(false)
        .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
        .open(&mut open)
        .show(ctx, |ui| {
            let pending = dialog.pending_op.is_some();
            ui.horizontal(|ui| {
                let label = ui.label("Presets file");
                let edit = ui
                    .add_enabled(!pending, TextEdit::singleline(&mut dialog.path_text).desired_width(400.0))
                    .labelled_by(label.id);
                if edit.lost_focus() && ui.input(|input| input.key_pressed(egui::Key::Enter)) {
                    out.push(PresetsCommand::ConfirmFile);
                }
                let browse = ui
                    .add_enabled(!dialog.browsing && !pending, egui::Button::new("Browse…"))
                    .on_hover_text("Choose the file with the system's file dialog");
                if browse.clicked() {
                    out.push(PresetsCommand::BrowseFile);
                }
            });
            if dialog.browsing {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(RichText::new("Waiting for the file dialog…").weak());
                });
            }
            ui.label(RichText::new(explanation).weak());
            if let Some(error) = &dialog.error {
                ui.label(RichText::new(error).color(ui.visuals().error_fg_color));
            }
            ui.horizontal(|ui| {
                let can = !pending && !dialog.path_text.trim().is_empty();
                if ui.add_enabled(can, egui::Button::new(action)).clicked() {
                    out.push(PresetsCommand::ConfirmFile);
                }
                let cancel_name = format!("Cancel {}", action.to_lowercase());
                if ui.button("Cancel").accessible_name(cancel_name).clicked() {
                    out.push(PresetsCommand::CloseDialogs);
                }
                if pending {
                    ui.spinner();
                }
            });
        });
    if !open {
        out.push(PresetsCommand::CloseDialogs);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_icons_have_glyphs_in_the_fonts_the_window_uses() {
        let ctx = egui::Context::default();
        // Fonts are loaded by the first pass.
        let mut output = ctx.run_ui(Default::default(), |_| {});
        output.textures_delta.clear();
        let font = egui::FontId::proportional(14.0);
        for icon in [ICON_EDIT, ICON_DUPLICATE, ICON_UPDATE, ICON_DELETE, "★", "💾", "⚠"] {
            for c in icon.chars() {
                assert!(ctx.fonts_mut(|fonts| fonts.has_glyph(&font, c)), "no glyph for {c:?} ({icon})");
            }
        }
    }
}
