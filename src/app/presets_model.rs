//! The presets' model: the window's snapshot of the store, the search text, the dialogs'
//! drafts, [`PresetsCommand`] and [`PresetsMenu::update`], which applies one and returns
//! the [`Effect`]s (store operations for the worker, notices, a query to open) instead of
//! reaching into the tabs. No egui: `presets_ui.rs` draws it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::api::query::QueryBody;
use crate::api::view::View;
use crate::app::effects::{AfterOpen, Effect, OpenRequest};
use crate::app::path_input::{NO_FILE_CHOSEN, resolve_typed_path};
use crate::app::save_model::timestamped_file_name;
use crate::app::state::NoticeKind;
use crate::presets::{Preset, PresetStore};
use crate::worker::{Job, PresetFilePurpose, PresetOp, PresetsCause, PresetsUpdate};

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
pub struct PresetsMenu {
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

impl PresetsMenu {
    fn next_op_id(&mut self) -> u64 {
        self.last_op_id += 1;
        self.last_op_id
    }

    /// The visible preset named `name` (case-insensitive), if any.
    pub fn find_by_name(&self, name: &str) -> Option<&Preset> {
        self.store.as_deref().and_then(|store| store.find_by_name(name))
    }
}

/// What the presets UI asks for; applied by [`PresetsMenu::update`].
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

/// What a presets command needs to know of the rest of the window.
#[derive(Debug, Clone)]
pub struct PresetsContext<'a> {
    /// The query of the tab shown as it would be saved, or why it cannot be.
    pub query: Result<&'a QueryBody, String>,
    /// The view of the tab shown: a preset saved from it queries that view.
    pub view: View,
    /// The notes of the tab shown (a good start for a preset's name).
    pub notes: Option<&'a str>,
    /// Where preset files are suggested.
    pub save_dir: Option<&'a Path>,
}

impl PresetsMenu {
    /// Applies a presets command: the dialogs change here, the store on the worker (the
    /// returned jobs); a loaded preset opens through the returned [`Effect::Open`].
    pub fn update(&mut self, command: PresetsCommand, context: PresetsContext<'_>) -> Vec<Effect> {
        match command {
            PresetsCommand::Load { id, new_tab } => {
                let Some(preset) = self.store.as_ref().and_then(|store| store.get(&id)) else {
                    return vec![Effect::notify(NoticeKind::Warning, "That preset no longer exists.")];
                };
                let then = AfterOpen::Say {
                    in_tab_shown: format!(
                        "Loaded the preset “{}” (Undo goes back to the previous query).",
                        preset.name
                    ),
                    in_new_tab: format!("Opened the preset “{}” in a new tab.", preset.name),
                };
                return vec![Effect::Open(OpenRequest {
                    view: preset.view,
                    query: preset.query.clone(),
                    grid_sort: grid_sort_keys(&preset.grid_sort),
                    new_tab,
                    preset_name: Some(preset.name.clone()),
                    then,
                })];
            }
            PresetsCommand::OpenSaveDialog => {
                self.close_dialogs();
                // The notes often say what the query is: a good start for a name.
                let name = context
                    .notes
                    .and_then(|notes| notes.lines().next())
                    .map(|line| line.trim().chars().take(80).collect::<String>())
                    .unwrap_or_default();
                self.save_dialog = Some(PresetForm { name, ..PresetForm::default() });
            }
            PresetsCommand::ConfirmSave => {
                let query = match context.query {
                    Ok(query) => query.clone(),
                    Err(reason) => {
                        if let Some(form) = &mut self.save_dialog {
                            form.error = Some(reason);
                        }
                        return Vec::new();
                    }
                };
                let op_id = self.next_op_id();
                let Some(form) = self.save_dialog.as_mut().filter(|f| f.pending_op.is_none()) else {
                    return Vec::new();
                };
                form.pending_op = Some(op_id);
                form.error = None;
                let op = PresetOp::SaveNew {
                    name: form.name.clone(),
                    description: form.description.clone(),
                    view: context.view,
                    query,
                };
                return vec![Effect::Job(Job::Presets { op_id, op })];
            }
            PresetsCommand::OpenEditDialog { id } => {
                self.close_dialogs();
                let Some(preset) = self.store.as_ref().and_then(|store| store.get(&id)) else {
                    return Vec::new();
                };
                self.edit_dialog = Some(PresetForm {
                    id: Some(preset.id.clone()),
                    name: preset.name.clone(),
                    description: preset.description.clone(),
                    ..PresetForm::default()
                });
            }
            PresetsCommand::ConfirmEdit => {
                let op_id = self.next_op_id();
                let Some(form) = self.edit_dialog.as_mut().filter(|f| f.pending_op.is_none()) else {
                    return Vec::new();
                };
                let Some(id) = form.id.clone() else { return Vec::new() };
                form.pending_op = Some(op_id);
                form.error = None;
                let op =
                    PresetOp::Edit { id, name: form.name.clone(), description: form.description.clone() };
                return vec![Effect::Job(Job::Presets { op_id, op })];
            }
            PresetsCommand::AskConfirm { action, id } => {
                self.close_dialogs();
                let Some(preset) = self.store.as_ref().and_then(|store| store.get(&id)) else {
                    return Vec::new();
                };
                self.confirm = Some(PresetConfirm { action, id, name: preset.name.clone() });
            }
            PresetsCommand::Confirmed => {
                let Some(confirm) = self.confirm.take() else { return Vec::new() };
                let op = match confirm.action {
                    ConfirmAction::Delete | ConfirmAction::Hide => PresetOp::Delete { id: confirm.id },
                    ConfirmAction::UpdateQuery => match context.query {
                        Ok(query) => {
                            PresetOp::UpdateQuery { id: confirm.id, view: context.view, query: query.clone() }
                        }
                        Err(reason) => {
                            let text = format!("The preset was not updated. {reason}");
                            return vec![Effect::Notify(NoticeKind::Warning, text)];
                        }
                    },
                };
                return vec![self.op_job(op)];
            }
            PresetsCommand::Duplicate { id } => return vec![self.op_job(PresetOp::Duplicate { id })],
            PresetsCommand::RestoreBuiltins => return vec![self.op_job(PresetOp::RestoreBuiltins)],
            PresetsCommand::OpenFileDialog(purpose) => {
                self.close_dialogs();
                let path_text = match (purpose, context.save_dir) {
                    (PresetFilePurpose::Export, Some(dir)) => {
                        dir.join(timestamped_file_name("presets", "json")).display().to_string()
                    }
                    (PresetFilePurpose::Export, None) => timestamped_file_name("presets", "json"),
                    (PresetFilePurpose::Import, _) => String::new(),
                };
                self.file_dialog = Some(PresetFileDialog {
                    purpose,
                    path_text,
                    directory: context.save_dir.map(Path::to_path_buf),
                    browsing: false,
                    error: None,
                    pending_op: None,
                });
            }
            PresetsCommand::BrowseFile => {
                let Some(dialog) = &mut self.file_dialog else { return Vec::new() };
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
                let job = Job::PickPresetFile { purpose: dialog.purpose, directory, file_name };
                return vec![Effect::Job(job)];
            }
            PresetsCommand::ConfirmFile => {
                let op_id = self.next_op_id();
                let Some(dialog) = self.file_dialog.as_mut().filter(|d| d.pending_op.is_none()) else {
                    return Vec::new();
                };
                let Some(path) = dialog.target_path() else {
                    dialog.error = Some("Type the presets file's path first (or use Browse…).".to_string());
                    return Vec::new();
                };
                dialog.pending_op = Some(op_id);
                dialog.error = None;
                let op = match dialog.purpose {
                    PresetFilePurpose::Import => PresetOp::Import { path },
                    PresetFilePurpose::Export => PresetOp::Export { path, ids: Vec::new() },
                };
                return vec![Effect::Job(Job::Presets { op_id, op })];
            }
            PresetsCommand::CloseDialogs => self.close_dialogs(),
            PresetsCommand::DismissWarning => self.load_warning = None,
        }
        Vec::new()
    }

    fn close_dialogs(&mut self) {
        self.save_dialog = None;
        self.edit_dialog = None;
        self.confirm = None;
        self.file_dialog = None;
    }

    /// The job of an operation no dialog waits for.
    fn op_job(&mut self, op: PresetOp) -> Effect {
        let op_id = self.next_op_id();
        Effect::Job(Job::Presets { op_id, op })
    }

    /// Takes the worker's new snapshot of the presets, and the outcome of the operation
    /// behind it.
    pub fn on_changed(&mut self, update: PresetsUpdate) -> Vec<Effect> {
        self.store = Some(update.store);
        match update.cause {
            PresetsCause::Opened { warning: Some(warning) } => {
                self.load_warning = Some(warning.clone());
                vec![Effect::Notify(NoticeKind::Warning, warning)]
            }
            PresetsCause::Opened { warning: None } => Vec::new(),
            PresetsCause::Op { op_id, result } => self.settle_op(op_id, result).into_iter().collect(),
        }
    }

    /// Gives an operation's outcome to the dialog waiting for it: on success the dialog
    /// closes; on failure it keeps everything typed and shows the reason. Returns the notice
    /// to post, if any.
    fn settle_op(&mut self, op_id: u64, result: Result<String, String>) -> Option<Effect> {
        let form_slot = [&mut self.save_dialog, &mut self.edit_dialog]
            .into_iter()
            .find(|slot| slot.as_ref().is_some_and(|form| form.pending_op == Some(op_id)));
        if let Some(slot) = form_slot {
            return match result {
                Ok(message) => {
                    *slot = None;
                    Some(Effect::Notify(NoticeKind::Info, message))
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
        if self.file_dialog.as_ref().is_some_and(|dialog| dialog.pending_op == Some(op_id)) {
            return match result {
                Ok(message) => {
                    self.file_dialog = None;
                    Some(Effect::Notify(NoticeKind::Info, message))
                }
                Err(message) => {
                    if let Some(dialog) = &mut self.file_dialog {
                        dialog.pending_op = None;
                        dialog.error = Some(message);
                    }
                    None
                }
            };
        }
        Some(match result {
            Ok(message) => Effect::Notify(NoticeKind::Info, message),
            Err(message) => Effect::Notify(NoticeKind::Warning, message),
        })
    }

    /// The system file dialog's answer for the import or export dialog.
    pub fn on_file_picked(&mut self, purpose: PresetFilePurpose, path: Option<PathBuf>) -> Vec<Effect> {
        let Some(dialog) = self.file_dialog.as_mut().filter(|d| d.purpose == purpose) else {
            return Vec::new();
        };
        dialog.browsing = false;
        match path {
            Some(path) => {
                dialog.path_text = path.display().to_string();
                Vec::new()
            }
            None => vec![Effect::notify(NoticeKind::Info, NO_FILE_CHOSEN)],
        }
    }
}

/// A stored client-side sort as grid keys.
pub(crate) fn grid_sort_keys(sort: &[crate::presets::LocalSort]) -> Vec<crate::app::grid_ui::GridSortKey> {
    sort.iter()
        .map(|s| crate::app::grid_ui::GridSortKey { column: s.column.clone(), descending: s.descending })
        .collect()
}
