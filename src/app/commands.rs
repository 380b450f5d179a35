//! Every change of the window's state, as a [`Command`]: the vocabulary the UI speaks and
//! the dispatcher (`command.rs`) applies. A leaf: it names the features' own command enums
//! and shared model types, never a UI module, so any UI may push commands without an import
//! cycle.

use std::sync::Arc;

use crate::api::query::QueryBody;
use crate::api::view::View;
use crate::app::about_model::AboutCommand;
use crate::app::compare_model::CompareCommand;
use crate::app::connection_model::ConnectionCommand;
use crate::app::export_model::ExportCommand;
use crate::app::history_model::HistoryCommand;
use crate::app::presets_model::PresetsCommand;
use crate::app::state::{NoticeKind, ResultView, ScreenshotPurpose};
use crate::data::drill::DrillTarget;
use crate::settings::ThemeSetting;
use crate::worker::{Event, TabId};

/// A change the user (or the worker) asks for. Commands about a query act on the tab
/// shown unless they name one.
#[derive(Debug)]
pub enum Command {
    /// Run the query of the tab shown (Run button, Ctrl+Enter).
    Run,
    /// Run the query of this tab.
    RunTab(TabId),
    /// Cancel the run in flight of the tab shown (Cancel button, Esc).
    Cancel,
    /// Cancel the run in flight of this tab.
    CancelTab(TabId),
    /// Open a new empty tab (Ctrl+T, the + button).
    NewTab,
    /// Open a copy of a tab's query and settings in a new tab.
    DuplicateTab(TabId),
    /// Close a tab (Ctrl+W, its × button, middle-click); its runs stop. A tab with a
    /// result or edits can be brought back for a while.
    CloseTab(TabId),
    /// Bring back the tab closed last (Ctrl+Shift+T, "Undo" on the notice).
    ReopenClosedTab,
    /// Show a tab.
    ActivateTab(TabId),
    /// Show the next tab (`true`, Ctrl+Tab) or the previous one (Ctrl+Shift+Tab).
    CycleTab(bool),
    /// Give a tab a title (an empty one goes back to the automatic title).
    RenameTab(TabId, String),
    /// Move the tab at `from` to `to` (drag in the tab strip).
    MoveTab {
        /// Its index now.
        from: usize,
        /// Its index after.
        to: usize,
    },
    /// Go back one query edit (Ctrl+Z).
    Undo,
    /// Go forward one query edit (Ctrl+Shift+Z).
    Redo,
    /// The form edited the draft in place; record it for undo and re-derive.
    DraftEdited {
        /// Edits with the same key in quick succession are one undo step (the focused
        /// text field's id); `None` for clicks.
        coalesce_key: Option<u64>,
    },
    /// Replace the query (a file, a preset).
    LoadQuery(Box<QueryBody>),
    /// Parse the inspector's text and, if it fits the model, load it into the form.
    ApplyRequestJson,
    /// Throw away the inspector's edits and follow the form again.
    RevertRequestJson,
    /// The user typed in the inspector.
    InspectorEdited,
    /// Show a result view in the tab shown.
    SetView(ResultView),
    /// Switch the tab shown to another query view (conversations, events…), keeping what
    /// still applies; one undoable edit.
    SetQueryView(View),
    /// Flip between light and dark.
    ToggleTheme,
    /// Choose a theme (including following the system).
    SetTheme(ThemeSetting),
    /// Something of the connection: its bar and dialog, "Test connection", the form's
    /// suggestions fetched on it.
    Connection(ConnectionCommand),
    /// Put text on the clipboard.
    CopyText {
        /// The text.
        text: String,
        /// What it is, for the "Copied …" notice.
        what: &'static str,
    },
    /// Unfold or fold the error details.
    ToggleErrorDetails,
    /// Show a status-bar notice.
    Notify(NoticeKind, String),
    /// Replace the table shown by every matching row, streamed from the export endpoint.
    LoadAllRows,
    /// Stop loading all rows; the table shown stays.
    CancelLoadAll,
    /// Hide the "Loading all rows failed" line.
    DismissLoadAllFailure,
    /// Open the export dialog with "All rows" chosen (the grid's "Export all rows").
    ExportAll,
    /// Something of the export dialog.
    Export(ExportCommand),
    /// The grid's sort, hidden columns or widths changed (they are saved with the settings).
    GridSettingsChanged,
    /// The chart's settings changed (they are saved with the settings).
    ChartSettingsChanged,
    /// Something the worker reported.
    Worker(Event),
    /// A requested screenshot arrived.
    ScreenshotCaptured {
        /// What it was requested for.
        purpose: ScreenshotPurpose,
        /// The whole window.
        image: Arc<egui::ColorImage>,
    },
    /// Add a day bucket (`{type:"time", timeUnit:"day"}`) to the query, as one undoable
    /// edit, and run it (the chart's suggestion when a result has no time bucket).
    AddDayBucket,
    /// Save the chart's plot (this rectangle of the window, in points) as a PNG.
    ExportChartPng {
        /// The plot's rectangle.
        rect: egui::Rect,
    },
    /// Save the chart's series as CSV.
    ExportSeriesCsv(String),
    /// Ask the system file dialog for the save dialog's path.
    SaveDialogBrowse,
    /// Write the save dialog's content to its path.
    SaveDialogConfirm,
    /// Close the save dialog without saving.
    SaveDialogCancel,
    /// Something of the Presets menu or its dialogs.
    Presets(PresetsCommand),
    /// Something of the History panel.
    History(HistoryCommand),
    /// Something of the About dialog.
    About(AboutCommand),
    /// Open, in a new tab, the rows of `to` linked to a row of `from` (its conversations, or
    /// a conversation's feedback, events or threads); see `api::links`.
    OpenLinked {
        /// The view of the row.
        from: View,
        /// The conversation ids the row is about.
        ids: Vec<String>,
        /// The view to open.
        to: View,
    },
    /// Open, in a new tab on the same view, the rows behind a number of the tab shown's
    /// result (a grid row, a chart point or bar, a whole series) and run them.
    DrillDown(DrillTarget),
    /// The shown tab's comparison with an earlier period: on, off, or another period.
    Compare(CompareCommand),
}
