//! The presets' model: the window's snapshot of the store, the search text, the dialogs'
//! drafts and [`PresetsCommand`]. No egui: `presets_ui.rs` draws it.

use std::path::PathBuf;
use std::sync::Arc;

use crate::app::path_input::resolve_typed_path;
use crate::presets::{Preset, PresetStore};
use crate::worker::PresetFilePurpose;

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
    pub(crate) fn next_op_id(&mut self) -> u64 {
        self.last_op_id += 1;
        self.last_op_id
    }

    /// The visible preset named `name` (case-insensitive), if any.
    pub fn find_by_name(&self, name: &str) -> Option<&Preset> {
        self.store.as_deref().and_then(|store| store.find_by_name(name))
    }
}

/// What the presets UI asks for; applied by [`WindowState::handle_presets`](crate::app::window::WindowState::handle_presets).
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

/// A stored client-side sort as grid keys.
pub(crate) fn grid_sort_keys(sort: &[crate::presets::LocalSort]) -> Vec<crate::app::grid_ui::GridSortKey> {
    sort.iter()
        .map(|s| crate::app::grid_ui::GridSortKey { column: s.column.clone(), descending: s.descending })
        .collect()
}
