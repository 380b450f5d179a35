//! The Presets menu of the top bar and its dialogs: search, the list (built-ins marked, the
//! description on hover), a click loads a preset into the builder (one undo step), "Save
//! current query as preset…", and per preset edit (name, description), duplicate, "Update
//! with the current query" and delete, each changing the store on the worker; import and
//! export of preset files.
//!
//! The store lives on the worker (its writes are synchronous); the window keeps the latest
//! read-only snapshot it sent ([`PresetsUi::store`]). A dialog that started an operation
//! waits for its answer: on success it closes, on failure (a name already taken…) it stays
//! open with the error and everything typed, so nothing is lost.
//!
//! Built-in presets cannot be changed: their edit and update buttons are disabled with the
//! reason and the offer to duplicate; deleting one only hides it until "Restore built-in
//! presets".

use std::path::{Path, PathBuf};
use std::sync::Arc;

use egui::containers::menu::{MenuButton, MenuConfig};
use egui::{PopupCloseBehavior, RichText, TextEdit, Ui, UiKind};

use crate::app::command::Command;
use crate::app::command::{OpenQuery, Opened};
use crate::app::path_input::resolve_typed_path;
use crate::app::save_dialog::timestamped_file_name;
use crate::app::state::{DerivedQuery, NoticeKind};
use crate::app::window::WindowState;
use crate::presets::{Preset, PresetStore};
use crate::worker::{Job, PresetFilePurpose, PresetOp, PresetsCause, PresetsUpdate};

/// Width of the menu's list, in points.
const MENU_WIDTH: f32 = 480.0;
/// Height of the list before it scrolls, in points.
const LIST_MAX_HEIGHT: f32 = 380.0;

/// Icons of the per-preset buttons (their glyphs are checked by a test).
const ICON_EDIT: &str = "✏";
const ICON_DUPLICATE: &str = "🗐";
const ICON_UPDATE: &str = "⟲";
const ICON_DELETE: &str = "🗑";

/// The name and description being typed in the save or edit dialog.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PresetForm {
    /// The preset edited; `None` when saving a new one.
    pub id: Option<String>,
    /// The name typed.
    pub name: String,
    /// The description typed.
    pub description: String,
    /// Why the last attempt failed (kept until the next attempt).
    pub error: Option<String>,
    /// The operation waited for; the dialog closes when it succeeds.
    pub pending_op: Option<u64>,
}

/// What a confirmation asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmAction {
    /// Delete a user preset.
    Delete,
    /// Hide a built-in preset.
    Hide,
    /// Replace a user preset's query with the current one.
    UpdateQuery,
}

/// A question before a change that cannot be undone.
#[derive(Debug, Clone, PartialEq)]
pub struct PresetConfirm {
    /// What is asked.
    pub action: ConfirmAction,
    /// The preset.
    pub id: String,
    /// Its name, for the question.
    pub name: String,
}

/// The import or export dialog: a path field (the system dialog may be missing), Browse….
#[derive(Debug, Clone, PartialEq)]
pub struct PresetFileDialog {
    /// Import or export.
    pub purpose: PresetFilePurpose,
    /// The path typed or chosen.
    pub path_text: String,
    /// Where a relative path is resolved, and where Browse… opens.
    pub directory: Option<PathBuf>,
    /// The system file dialog is open (on the worker).
    pub browsing: bool,
    /// Why the last attempt failed.
    pub error: Option<String>,
    /// The operation waited for.
    pub pending_op: Option<u64>,
}

impl PresetFileDialog {
    /// The file to read or write: the typed path, relative ones inside `directory`, `~/`
    /// expanded; `None` when nothing is typed.
    pub fn target_path(&self) -> Option<PathBuf> {
        resolve_typed_path(&self.path_text, self.directory.as_deref())
    }
}

/// The window's side of the presets: the snapshot shown, the search text, the dialogs.
#[derive(Debug, Default)]
pub struct PresetsUi {
    /// The presets as the worker last reported them; `None` until they are loaded.
    pub store: Option<Arc<PresetStore>>,
    /// The menu's search text.
    pub search: String,
    /// What went wrong loading the presets (a damaged file moved aside…), until dismissed.
    pub load_warning: Option<String>,
    /// "Save current query as preset…".
    pub save_dialog: Option<PresetForm>,
    /// Edit a preset's name and description.
    pub edit_dialog: Option<PresetForm>,
    /// Confirm a delete, a hide or an update.
    pub confirm: Option<PresetConfirm>,
    /// Import or export.
    pub file_dialog: Option<PresetFileDialog>,
    /// The id of the last operation sent.
    last_op_id: u64,
}

impl PresetsUi {
    fn next_op_id(&mut self) -> u64 {
        self.last_op_id += 1;
        self.last_op_id
    }

    /// The visible preset named `name` (case-insensitive), if any.
    pub fn find_by_name(&self, name: &str) -> Option<&Preset> {
        self.store.as_deref().and_then(|store| store.find_by_name(name))
    }
}

/// What the presets UI asks for; applied by [`WindowState::handle_presets`].
#[derive(Debug, Clone, PartialEq)]
pub enum PresetsCommand {
    /// Load a preset's query: into the tab shown when it is empty (one undo step), else
    /// into a new tab.
    Load {
        /// The preset.
        id: String,
        /// Always into a new tab (Ctrl+click).
        new_tab: bool,
    },
    /// Open the save dialog, prefilled from the query's notes.
    OpenSaveDialog,
    /// Save the current query under the save dialog's name and description.
    ConfirmSave,
    /// Open the edit dialog of a user preset.
    OpenEditDialog {
        /// The preset.
        id: String,
    },
    /// Apply the edit dialog's name and description.
    ConfirmEdit,
    /// Ask before deleting (or hiding) a preset, or replacing its query.
    AskConfirm {
        /// What is asked.
        action: ConfirmAction,
        /// The preset.
        id: String,
    },
    /// Do what the confirmation asked.
    Confirmed,
    /// Copy a preset as a new user preset.
    Duplicate {
        /// The preset.
        id: String,
    },
    /// Show every hidden built-in preset again.
    RestoreBuiltins,
    /// Open the import or export dialog.
    OpenFileDialog(PresetFilePurpose),
    /// Ask the system file dialog for the file dialog's path.
    BrowseFile,
    /// Import from, or export to, the file dialog's path.
    ConfirmFile,
    /// Close every presets dialog without doing anything.
    CloseDialogs,
    /// Hide the load warning.
    DismissWarning,
}

/// What the save or edit dialog can say about the name before it is sent.
fn name_problem(presets: &PresetsUi, form: &PresetForm) -> Option<String> {
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
    presets: &mut PresetsUi,
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
    presets: &mut PresetsUi,
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
pub fn presets_dialogs_ui(ctx: &egui::Context, presets: &mut PresetsUi, commands: &mut Vec<Command>) {
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

impl WindowState {
    /// Applies a presets command: dialogs change here, the store on the worker.
    pub fn handle_presets(&mut self, command: PresetsCommand) {
        match command {
            PresetsCommand::Load { id, new_tab } => {
                let Some(preset) = self.presets.store.as_ref().and_then(|store| store.get(&id)).cloned()
                else {
                    self.notify(NoticeKind::Warning, "That preset no longer exists.");
                    return;
                };
                let opened = self.open_query(OpenQuery {
                    query: &preset.query,
                    new_tab,
                    preset_name: Some(preset.name.clone()),
                    grid_sort: grid_sort_keys(&preset.grid_sort),
                });
                let text = match opened {
                    Opened::InTabShown => {
                        format!("Loaded the preset “{}” (Undo goes back to the previous query).", preset.name)
                    }
                    Opened::InNewTab => format!("Opened the preset “{}” in a new tab.", preset.name),
                };
                self.notify(NoticeKind::Info, text);
            }
            PresetsCommand::OpenSaveDialog => {
                self.close_preset_dialogs();
                // The notes often say what the query is: a good start for a name.
                let name = self
                    .active()
                    .draft
                    .notes
                    .as_deref()
                    .and_then(|notes| notes.lines().next())
                    .map(|line| line.trim().chars().take(80).collect::<String>())
                    .unwrap_or_default();
                self.presets.save_dialog = Some(PresetForm { name, ..PresetForm::default() });
            }
            PresetsCommand::ConfirmSave => {
                let Some(query) = self.active().derived.body.clone() else {
                    let reason = self.active().derived.blocked_reason().unwrap_or_default();
                    if let Some(form) = &mut self.presets.save_dialog {
                        form.error = Some(reason);
                    }
                    return;
                };
                let op_id = self.presets.next_op_id();
                let Some(form) = self.presets.save_dialog.as_mut().filter(|f| f.pending_op.is_none()) else {
                    return;
                };
                form.pending_op = Some(op_id);
                form.error = None;
                let op = PresetOp::SaveNew {
                    name: form.name.clone(),
                    description: form.description.clone(),
                    query,
                };
                self.worker.send(Job::Presets { op_id, op });
            }
            PresetsCommand::OpenEditDialog { id } => {
                self.close_preset_dialogs();
                let Some(preset) = self.presets.store.as_ref().and_then(|store| store.get(&id)) else {
                    return;
                };
                self.presets.edit_dialog = Some(PresetForm {
                    id: Some(preset.id.clone()),
                    name: preset.name.clone(),
                    description: preset.description.clone(),
                    ..PresetForm::default()
                });
            }
            PresetsCommand::ConfirmEdit => {
                let op_id = self.presets.next_op_id();
                let Some(form) = self.presets.edit_dialog.as_mut().filter(|f| f.pending_op.is_none()) else {
                    return;
                };
                let Some(id) = form.id.clone() else { return };
                form.pending_op = Some(op_id);
                form.error = None;
                let op =
                    PresetOp::Edit { id, name: form.name.clone(), description: form.description.clone() };
                self.worker.send(Job::Presets { op_id, op });
            }
            PresetsCommand::AskConfirm { action, id } => {
                self.close_preset_dialogs();
                let Some(preset) = self.presets.store.as_ref().and_then(|store| store.get(&id)) else {
                    return;
                };
                self.presets.confirm = Some(PresetConfirm { action, id, name: preset.name.clone() });
            }
            PresetsCommand::Confirmed => {
                let Some(confirm) = self.presets.confirm.take() else { return };
                let op = match confirm.action {
                    ConfirmAction::Delete | ConfirmAction::Hide => PresetOp::Delete { id: confirm.id },
                    ConfirmAction::UpdateQuery => {
                        let Some(query) = self.active().derived.body.clone() else {
                            let reason = self.active().derived.blocked_reason().unwrap_or_default();
                            self.notify(NoticeKind::Warning, format!("The preset was not updated. {reason}"));
                            return;
                        };
                        PresetOp::UpdateQuery { id: confirm.id, query }
                    }
                };
                self.send_preset_op(op);
            }
            PresetsCommand::Duplicate { id } => self.send_preset_op(PresetOp::Duplicate { id }),
            PresetsCommand::RestoreBuiltins => self.send_preset_op(PresetOp::RestoreBuiltins),
            PresetsCommand::OpenFileDialog(purpose) => {
                self.close_preset_dialogs();
                let path_text = match (purpose, &self.save_dir) {
                    (PresetFilePurpose::Export, Some(dir)) => {
                        dir.join(timestamped_file_name("presets", "json")).display().to_string()
                    }
                    (PresetFilePurpose::Export, None) => timestamped_file_name("presets", "json"),
                    (PresetFilePurpose::Import, _) => String::new(),
                };
                self.presets.file_dialog = Some(PresetFileDialog {
                    purpose,
                    path_text,
                    directory: self.save_dir.clone(),
                    browsing: false,
                    error: None,
                    pending_op: None,
                });
            }
            PresetsCommand::BrowseFile => {
                let Some(dialog) = &mut self.presets.file_dialog else { return };
                dialog.browsing = true;
                let target = dialog.target_path();
                let directory = target
                    .as_ref()
                    .and_then(|path| path.parent().map(Path::to_path_buf))
                    .or_else(|| dialog.directory.clone());
                let file_name = target
                    .as_ref()
                    .and_then(|path| path.file_name())
                    .map(|name| name.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "presets.json".to_string());
                self.worker.send(Job::PickPresetFile { purpose: dialog.purpose, directory, file_name });
            }
            PresetsCommand::ConfirmFile => {
                let op_id = self.presets.next_op_id();
                let Some(dialog) = self.presets.file_dialog.as_mut().filter(|d| d.pending_op.is_none())
                else {
                    return;
                };
                let Some(path) = dialog.target_path() else {
                    dialog.error = Some("Type the presets file's path first (or use Browse…).".to_string());
                    return;
                };
                dialog.pending_op = Some(op_id);
                dialog.error = None;
                let op = match dialog.purpose {
                    PresetFilePurpose::Import => PresetOp::Import { path },
                    PresetFilePurpose::Export => PresetOp::Export { path, ids: Vec::new() },
                };
                self.worker.send(Job::Presets { op_id, op });
            }
            PresetsCommand::CloseDialogs => self.close_preset_dialogs(),
            PresetsCommand::DismissWarning => self.presets.load_warning = None,
        }
    }

    fn close_preset_dialogs(&mut self) {
        self.presets.save_dialog = None;
        self.presets.edit_dialog = None;
        self.presets.confirm = None;
        self.presets.file_dialog = None;
    }

    fn send_preset_op(&mut self, op: PresetOp) {
        let op_id = self.presets.next_op_id();
        self.worker.send(Job::Presets { op_id, op });
    }

    /// The worker's new snapshot of the presets, and the outcome of the operation behind it.
    pub(crate) fn on_presets_changed(&mut self, update: PresetsUpdate) {
        self.presets.store = Some(update.store);
        match update.cause {
            PresetsCause::Opened { warning } => {
                if let Some(warning) = warning {
                    self.notify(NoticeKind::Warning, warning.clone());
                    self.presets.load_warning = Some(warning);
                }
            }
            PresetsCause::Op { op_id, result } => {
                if let Some((kind, text)) = self.settle_preset_op(op_id, result) {
                    self.notify(kind, text);
                }
            }
        }
    }

    /// Gives an operation's outcome to the dialog waiting for it: on success the dialog
    /// closes; on failure it keeps everything typed and shows the reason. Returns the notice
    /// to post, if any.
    fn settle_preset_op(
        &mut self,
        op_id: u64,
        result: Result<String, String>,
    ) -> Option<(NoticeKind, String)> {
        let presets = &mut self.presets;
        let form_slot = [&mut presets.save_dialog, &mut presets.edit_dialog]
            .into_iter()
            .find(|slot| slot.as_ref().is_some_and(|form| form.pending_op == Some(op_id)));
        if let Some(slot) = form_slot {
            return match result {
                Ok(message) => {
                    *slot = None;
                    Some((NoticeKind::Info, message))
                }
                Err(message) => {
                    if let Some(form) = slot {
                        form.pending_op = None;
                        form.error = Some(message);
                    }
                    None
                }
            };
        }
        if presets.file_dialog.as_ref().is_some_and(|dialog| dialog.pending_op == Some(op_id)) {
            return match result {
                Ok(message) => {
                    presets.file_dialog = None;
                    Some((NoticeKind::Info, message))
                }
                Err(message) => {
                    if let Some(dialog) = &mut presets.file_dialog {
                        dialog.pending_op = None;
                        dialog.error = Some(message);
                    }
                    None
                }
            };
        }
        Some(match result {
            Ok(message) => (NoticeKind::Info, message),
            Err(message) => (NoticeKind::Warning, message),
        })
    }

    /// The system file dialog's answer for the import or export dialog.
    pub(crate) fn on_preset_file_picked(&mut self, purpose: PresetFilePurpose, path: Option<PathBuf>) {
        let Some(dialog) = self.presets.file_dialog.as_mut().filter(|d| d.purpose == purpose) else { return };
        dialog.browsing = false;
        match path {
            Some(path) => dialog.path_text = path.display().to_string(),
            None => self.notify(
                NoticeKind::Info,
                "No file was chosen (or no file dialog is available here): type the path instead.",
            ),
        }
    }
}

/// A stored client-side sort as grid keys.
pub(crate) fn grid_sort_keys(sort: &[crate::presets::LocalSort]) -> Vec<crate::app::grid_ui::GridSortKey> {
    sort.iter()
        .map(|s| crate::app::grid_ui::GridSortKey { column: s.column.clone(), descending: s.descending })
        .collect()
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
