//! Every change of the window's state, as a [`Command`], and the thin dispatcher
//! [`WindowState::handle`] that routes it: tab commands to the tab they name (or the tab
//! shown), whose update returns [`TabEffect`]s the window applies; window features to their
//! own handlers; worker events by the `JobTag` they carry (the tab
//! and the purpose that asked), never by what the UI happens to show.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use crate::api::client::{ApiKey, ClientError};
use crate::api::query::QueryBody;
use crate::app::draft::QueryDraft;
use crate::app::export_dialog::{ExportCommand, ExportScope};
use crate::app::format::thousands;
use crate::app::grid_ui::GridSortKey;
use crate::app::history_ui::HistoryCommand;
use crate::app::presets_ui::PresetsCommand;
use crate::app::query_form::SuggestionRequest;
use crate::app::save_dialog::{SaveContent, SaveDialog, crop_rgba, timestamped_file_name};
use crate::app::state::{
    ConnectionStatus, ErrorDetails, NoticeKind, ResultView, ScreenshotPurpose, TestOutcome,
};
use crate::app::tab::{QueryTab, RunContext, RunFinished, TabEffect};
use crate::app::window::WindowState;
use crate::secrets::{KeySource, SecretError};
use crate::settings::{ConnectionChoice, SavedTabs, Settings, ThemeSetting};
use crate::worker::{
    ConnectTarget, ConnectionKind, Event, Job, JobTag, PngPurpose, Purpose, RemoteKey, TabId,
};

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
    /// Flip between light and dark.
    ToggleTheme,
    /// Choose a theme (including following the system).
    SetTheme(ThemeSetting),
    /// Fetch a suggestion list for the form.
    FetchSuggestion(SuggestionRequest),
    /// Show the connection dialog.
    OpenConnectionDialog,
    /// Hide the connection dialog (the typed key is forgotten).
    CloseConnectionDialog,
    /// Connect to the server URL of the dialog with the key typed there (or the current one).
    ConnectFromDialog,
    /// Switch to the embedded demo API.
    UseDemo,
    /// Run a cheap query on the current connection and explain the outcome.
    TestConnection,
    /// Delete the key saved in the keychain.
    ForgetSavedKey,
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
}

/// How [`WindowState::open_query`] opens a query.
#[derive(Debug)]
pub struct OpenQuery<'a> {
    /// The query.
    pub query: &'a QueryBody,
    /// Always in a new tab (Ctrl+click), even when the tab shown is empty.
    pub new_tab: bool,
    /// The preset it comes from, for the tab's title.
    pub preset_name: Option<String>,
    /// The grid sort its first result starts with.
    pub grid_sort: Vec<GridSortKey>,
}

/// Where [`WindowState::open_query`] put the query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opened {
    /// Into the tab shown, which was empty (one undo step).
    InTabShown,
    /// Into a new tab, now shown.
    InNewTab,
}

impl WindowState {
    /// Applies one command. The only place the window's state changes.
    pub fn handle(&mut self, ctx: &egui::Context, command: Command) {
        let active = self.tabs.active_id();
        match command {
            Command::Run => self.run_tab(active),
            Command::RunTab(tab) => self.run_tab(tab),
            Command::Cancel => self.update_tab(active, QueryTab::cancel_run),
            Command::CancelTab(tab) => self.update_tab(tab, QueryTab::cancel_run),
            Command::NewTab => {
                let id = self.tabs.new_id();
                self.tabs.open(QueryTab::new(id, QueryDraft::default()));
                self.mark_settings_dirty();
            }
            Command::DuplicateTab(tab) => {
                let id = self.tabs.new_id();
                if let Some(copy) = self.tabs.get(tab).map(|tab| tab.duplicate(id)) {
                    self.tabs.open(copy);
                    self.mark_settings_dirty();
                }
            }
            Command::CloseTab(tab) => self.close_tab(tab),
            Command::ReopenClosedTab => match self.tabs.reopen_closed() {
                Some(_) => {
                    self.mark_settings_dirty();
                    self.notify(NoticeKind::Info, "Reopened the closed tab.");
                }
                None => self.notify(NoticeKind::Info, "No closed tab to reopen."),
            },
            Command::ActivateTab(tab) => {
                if self.tabs.active_id() != tab && self.tabs.activate(tab) {
                    self.mark_settings_dirty();
                }
            }
            Command::CycleTab(forward) => {
                if self.tabs.len() > 1 {
                    self.tabs.cycle(forward);
                    self.mark_settings_dirty();
                }
            }
            Command::RenameTab(tab, name) => {
                if let Some(tab) = self.tabs.get_mut(tab) {
                    let name = name.trim();
                    tab.name = (!name.is_empty()).then(|| name.to_string());
                    self.mark_settings_dirty();
                }
            }
            Command::MoveTab { from, to } => {
                self.tabs.move_tab(from, to);
                self.mark_settings_dirty();
            }
            Command::Undo => self.update_tab(active, QueryTab::undo),
            Command::Redo => self.update_tab(active, QueryTab::redo),
            Command::DraftEdited { coalesce_key } => {
                self.update_tab(active, |tab, effects| tab.draft_edited(coalesce_key, effects));
            }
            Command::LoadQuery(body) => {
                self.update_tab(active, |tab, effects| tab.load_query(&body, effects))
            }
            Command::ApplyRequestJson => self.update_tab(active, QueryTab::apply_request_json),
            Command::RevertRequestJson => self.active_mut().revert_request_json(),
            Command::InspectorEdited => self.active_mut().inspector.edited = true,
            Command::SetView(view) => self.update_tab(active, |tab, effects| tab.set_view(view, effects)),
            Command::ToggleTheme => {
                let next = match ctx.theme() {
                    egui::Theme::Dark => ThemeSetting::Light,
                    egui::Theme::Light => ThemeSetting::Dark,
                };
                self.handle(ctx, Command::SetTheme(next));
            }
            Command::SetTheme(theme) => {
                self.theme = theme;
                apply_theme(ctx, theme);
                self.mark_settings_dirty();
            }
            Command::FetchSuggestion(request) => {
                let job = match request {
                    SuggestionRequest::Keys { field } => Job::FetchKeys { field },
                    SuggestionRequest::Values { field, key } => Job::FetchValues { field, key },
                };
                self.worker.send(job);
            }
            Command::OpenConnectionDialog => {
                self.dialog.open = true;
                self.dialog.server_url.clone_from(&self.server_url);
                self.dialog.key_text.clear();
            }
            Command::CloseConnectionDialog => {
                self.dialog.open = false;
                self.dialog.key_text.clear();
            }
            Command::ConnectFromDialog => {
                let base_url = self.dialog.server_url.trim().to_string();
                if base_url.is_empty() {
                    self.notify(NoticeKind::Warning, "Enter the server URL first.");
                    return;
                }
                // The typed key goes to the worker and is gone from the window's state at once.
                let typed = std::mem::take(&mut self.dialog.key_text);
                let key = if typed.trim().is_empty() {
                    RemoteKey::Current
                } else {
                    RemoteKey::Entered { key: ApiKey::new(typed), remember: self.dialog.remember_key }
                };
                self.server_url = base_url.clone();
                self.saved_server_url = Some(base_url.clone());
                self.connection_choice = ConnectionChoice::Remote;
                self.connect(ConnectTarget::Remote { base_url, key });
                self.mark_settings_dirty();
            }
            Command::UseDemo => {
                self.dialog.key_text.clear();
                self.connection_choice = ConnectionChoice::Demo;
                self.connect(ConnectTarget::Demo);
                self.mark_settings_dirty();
            }
            Command::TestConnection => {
                self.test_outcome = Some(TestOutcome::Running);
                self.worker.send(Job::TestConnection);
            }
            Command::ForgetSavedKey => {
                self.worker.send(Job::ForgetSavedKey);
            }
            Command::CopyText { text, what } => {
                ctx.copy_text(text);
                self.notify(NoticeKind::Info, format!("Copied {what} to the clipboard."));
            }
            Command::ToggleErrorDetails => {
                let tab = self.active_mut();
                tab.show_error_details = !tab.show_error_details;
            }
            Command::Notify(kind, text) => self.notify(kind, text),
            Command::LoadAllRows => {
                let job_id = self.next_id();
                self.update_tab(active, |tab, effects| tab.start_load_all(job_id, effects));
            }
            Command::CancelLoadAll => self.update_tab(active, QueryTab::cancel_load_all),
            Command::DismissLoadAllFailure => self.active_mut().dismiss_load_all_failure(),
            Command::GridSettingsChanged | Command::ChartSettingsChanged => self.mark_settings_dirty(),
            Command::ExportAll => self.handle_export(ExportCommand::Open(ExportScope::AllRows)),
            Command::Export(command) => self.handle_export(command),
            Command::Worker(event) => self.on_worker_event(ctx, event),
            Command::ScreenshotCaptured { purpose: ScreenshotPurpose::Automation, image } => {
                let Some(path) = self.automation.screenshot.clone() else { return };
                let [width, height] = image.size;
                let rgba: Vec<u8> =
                    image.pixels.iter().flat_map(|pixel| pixel.to_srgba_unmultiplied()).collect();
                let (Ok(width), Ok(height)) = (u32::try_from(width), u32::try_from(height)) else { return };
                self.worker.send(Job::SavePng { purpose: PngPurpose::Automation, path, width, height, rgba });
            }
            Command::ScreenshotCaptured { purpose: ScreenshotPurpose::Chart { rect }, image } => {
                match crop_rgba(&image, rect, ctx.pixels_per_point()) {
                    Some((width, height, rgba)) => {
                        self.save_dialog = Some(SaveDialog::new(
                            "Save the chart as PNG",
                            self.save_dir.clone(),
                            &timestamped_file_name("chart", "png"),
                            SaveContent::Png { width, height, rgba },
                        ));
                    }
                    None => self.notify(NoticeKind::Warning, "The chart is not on screen; nothing to save."),
                }
            }
            Command::AddDayBucket => {
                let mut added = false;
                self.update_tab(active, |tab, effects| added = tab.add_day_bucket(effects));
                let can_run = self.active().derived.body.is_some() && self.run_blocked_reason().is_none();
                if added && can_run {
                    self.run_tab(active);
                }
            }
            Command::ExportChartPng { rect } => {
                self.request_screenshot(ctx, ScreenshotPurpose::Chart { rect });
            }
            Command::ExportSeriesCsv(text) => {
                self.save_dialog = Some(SaveDialog::new(
                    "Save the chart's series as CSV",
                    self.save_dir.clone(),
                    &timestamped_file_name("chart-series", "csv"),
                    SaveContent::Text(text),
                ));
            }
            Command::SaveDialogBrowse => {
                if let Some(dialog) = &mut self.save_dialog {
                    dialog.browsing = true;
                    let directory = dialog.target_path().and_then(|p| p.parent().map(Path::to_path_buf));
                    self.worker.send(Job::PickSavePath {
                        tag: JobTag::new(active, Purpose::SaveAs),
                        file_name: dialog.file_name(),
                        directory: directory.or_else(|| dialog.directory.clone()),
                    });
                }
            }
            Command::SaveDialogConfirm => {
                let Some(path) = self.save_dialog.as_ref().and_then(SaveDialog::target_path) else {
                    self.notify(NoticeKind::Warning, "Type the file to save to first.");
                    return;
                };
                let Some(dialog) = self.save_dialog.take() else { return };
                let job = match dialog.content {
                    SaveContent::Png { width, height, rgba } => {
                        Job::SavePng { purpose: PngPurpose::Chart, path, width, height, rgba }
                    }
                    SaveContent::Text(text) => Job::SaveText { path, text },
                };
                self.worker.send(job);
            }
            Command::SaveDialogCancel => self.save_dialog = None,
            Command::Presets(command) => self.handle_presets(command),
            Command::History(command) => self.handle_history(ctx, command),
        }
    }

    /// Applies an update to one tab and then the effects it returned. A tab that is gone
    /// (closed meanwhile) is left alone.
    pub fn update_tab(&mut self, tab: TabId, update: impl FnOnce(&mut QueryTab, &mut Vec<TabEffect>)) {
        let mut effects = Vec::new();
        let Some(query_tab) = self.tabs.get_mut(tab) else { return };
        update(query_tab, &mut effects);
        self.apply_tab_effects(tab, effects);
    }

    /// Does what a tab's update asked for.
    fn apply_tab_effects(&mut self, tab: TabId, effects: Vec<TabEffect>) {
        for effect in effects {
            match effect {
                TabEffect::Job(job) => {
                    self.worker.send(job);
                }
                TabEffect::Notice(kind, text) => self.notify(kind, text),
                TabEffect::SettingsChanged => self.mark_settings_dirty(),
                TabEffect::RunStarted { request_id, query } => {
                    let server_url = self
                        .connection_info()
                        .map_or_else(|| self.server_url.clone(), |info| info.base_url.clone());
                    self.run_history.run_started(request_id, query, server_url);
                }
                TabEffect::RunEnded { request_id } => {
                    let run = self.tabs.get(tab).map(|tab| &tab.run);
                    if let Some(job) = self.run_history.run_ended(request_id, run) {
                        self.worker.send(job);
                    }
                }
            }
        }
    }

    /// Runs a tab's query; runs of other tabs go on.
    fn run_tab(&mut self, tab: TabId) {
        let request_id = self.next_id();
        let connection_blocked = self.connection_blocked_reason();
        // "Cancelled", "Copied"… are about the previous run; warnings stay until they expire.
        if self.notice.as_ref().is_some_and(|notice| notice.kind == NoticeKind::Info) {
            self.notice = None;
        }
        self.update_tab(tab, |tab, effects| {
            tab.start_run(
                RunContext { request_id, connection_blocked: connection_blocked.as_deref() },
                effects,
            );
        });
    }

    /// Closes a tab: its run and load stop; one with a result or edits is kept a while so
    /// the close can be undone.
    fn close_tab(&mut self, tab: TabId) {
        let mut effects = Vec::new();
        let Some(query_tab) = self.tabs.get_mut(tab) else { return };
        query_tab.stop_quietly(&mut effects);
        self.apply_tab_effects(tab, effects);
        if self.export_dialog.as_ref().is_some_and(|dialog| dialog.tab == tab && dialog.running().is_none()) {
            self.export_dialog = None;
        }
        let Some((closed, index)) = self.tabs.remove(tab) else { return };
        if closed.is_worth_keeping() {
            let title = closed.title();
            self.tabs.keep_closed(closed, index);
            self.notify(NoticeKind::Info, format!("Closed the tab “{title}” (Ctrl+Shift+T brings it back)."));
        }
        self.mark_settings_dirty();
    }

    /// Opens a query from a preset or the run history: in the tab shown when it is empty
    /// (as one undo step), else in a new tab right of it.
    pub fn open_query(&mut self, open: OpenQuery<'_>) -> Opened {
        let OpenQuery { query, new_tab, preset_name, grid_sort } = open;
        let opened = if !new_tab && self.active().is_empty() {
            let active = self.tabs.active_id();
            self.update_tab(active, |tab, effects| tab.load_query(query, effects));
            Opened::InTabShown
        } else {
            let id = self.tabs.new_id();
            self.tabs.open(QueryTab::new(id, QueryDraft::from_body(query)));
            self.mark_settings_dirty();
            Opened::InNewTab
        };
        let tab = self.active_mut();
        tab.preset_name = preset_name;
        tab.grid.start_next_result_sorted(grid_sort);
        opened
    }

    fn on_worker_event(&mut self, ctx: &egui::Context, event: Event) {
        match event {
            Event::Started { .. } => {}
            Event::Finished { tag, request_id, duration_ms, result } => {
                // A new connection cancels pending runs, so this is the server that answered.
                let server_url = self.connection_info().map(|info| info.base_url.clone()).unwrap_or_default();
                let answer = RunFinished { request_id, duration_ms, result };
                self.update_tab(tag.tab, |tab, effects| {
                    tab.on_run_finished(answer, server_url, effects);
                });
                if self.automation.run_id == Some(request_id) {
                    self.automation.run_id = None;
                    let failure = self
                        .tabs
                        .get(tag.tab)
                        .and_then(|tab| tab.run.failure())
                        .filter(|failure| failure.request_id == request_id);
                    if let Some(failure) = failure {
                        self.automation.failure = Some(failure.summary.clone());
                    }
                }
            }
            Event::Cancelled { tag, request_id } => {
                self.update_tab(tag.tab, |tab, effects| tab.on_run_cancelled(request_id, effects));
            }
            Event::LoadProgress { tag, job_id, progress } => {
                if let Some(tab) = self.tabs.get_mut(tag.tab) {
                    tab.on_load_progress(job_id, progress);
                }
            }
            Event::LoadFinished { tag, job_id, duration_ms, result } => {
                self.update_tab(tag.tab, |tab, effects| {
                    tab.on_load_finished(job_id, duration_ms, result, effects);
                });
            }
            Event::Connected(info) => {
                if let Some(notice) = &info.notice {
                    self.notify(NoticeKind::Warning, notice.clone());
                }
                if info.kind == ConnectionKind::Remote {
                    self.server_url.clone_from(&info.base_url);
                }
                self.suggestions = Default::default();
                self.test_outcome = None;
                self.connection = ConnectionStatus::Connected(info);
                if self.automation.run_pending {
                    self.automation.run_pending = false;
                    let tab = self.automation.tab;
                    self.run_tab(tab);
                    match self.tabs.get(tab).and_then(|tab| tab.run.pending_id()) {
                        Some(id) => self.automation.run_id = Some(id),
                        None => {
                            let reason = self
                                .tabs
                                .get(tab)
                                .and_then(|tab| tab.run_blocked_reason(None))
                                .unwrap_or_else(|| "the run did not start".into());
                            self.automation.failure = Some(reason);
                        }
                    }
                }
            }
            Event::ConnectFailed { message } => {
                if matches!(self.connection, ConnectionStatus::Connected(_)) {
                    self.notify(
                        NoticeKind::Warning,
                        format!("{message} The previous connection is still used."),
                    );
                } else {
                    self.connection = ConnectionStatus::Failed { message: message.clone() };
                }
                if self.automation.run_pending {
                    self.automation.run_pending = false;
                    self.automation.failure = Some(message);
                }
            }
            Event::Keys { connection_id, field, result } => {
                if self.connection_info().is_some_and(|info| info.id == connection_id) {
                    // An empty list on failure: the form stops asking, and shows "nothing known".
                    self.suggestions.keys.insert(field, result.unwrap_or_default());
                }
            }
            Event::Values { connection_id, field, key, result } => {
                if self.connection_info().is_some_and(|info| info.id == connection_id) {
                    self.suggestions.values.insert((field, key), result.unwrap_or_default());
                }
            }
            Event::ConnectionTested { connection_id, result } => {
                let Some(info) = self.connection_info() else { return };
                if info.id != connection_id {
                    return;
                }
                let outcome = match result {
                    Ok(count) => TestOutcome::Passed(format!(
                        "It works: {} answered and holds {} conversations.",
                        if info.kind == ConnectionKind::Demo { "the demo API" } else { "the server" },
                        thousands(count)
                    )),
                    Err(error) => TestOutcome::Failed {
                        summary: explain_connection_error(&error),
                        details: ErrorDetails::from_client_error(&error),
                    },
                };
                self.test_outcome = Some(outcome);
            }
            Event::KeyForgotten(result) => match result {
                Ok(()) => {
                    if let ConnectionStatus::Connected(info) = &mut self.connection
                        && info.key_source == Some(KeySource::Keychain)
                    {
                        info.key_source = Some(KeySource::SessionOnly);
                    }
                    self.notify(NoticeKind::Info, "The saved key was removed from the keychain.");
                }
                Err(error) => {
                    // A plain sentence; the keychain's own error goes to the log.
                    tracing::warn!(error = %error, "the saved key could not be removed");
                    let text = match error {
                        SecretError::Unavailable(_) => {
                            "No system keychain found; there is no saved key to remove."
                        }
                        SecretError::Failed(_) => "The system keychain did not remove the saved key.",
                    };
                    self.notify(NoticeKind::Warning, text)
                }
            },
            Event::SettingsSaved(result) => {
                if let Err(message) = result {
                    self.notify(NoticeKind::Warning, message);
                }
            }
            Event::TextSaved { path, result } => match result {
                Ok(()) => self.notify(NoticeKind::Info, format!("Saved {}", path.display())),
                Err(message) => self.notify(NoticeKind::Warning, message),
            },
            Event::SavePathPicked { tag, path } => match tag.purpose {
                Purpose::Export => self.on_export_path_picked(path),
                _ => {
                    let Some(dialog) = &mut self.save_dialog else { return };
                    dialog.browsing = false;
                    match path {
                        Some(path) => dialog.path_text = path.display().to_string(),
                        None => self.notify(
                            NoticeKind::Info,
                            "No file was chosen (or no file dialog is available here): type the path instead.",
                        ),
                    }
                }
            },
            event @ (Event::ExportProgress { .. }
            | Event::ExportFinished { .. }
            | Event::FolderOpened { .. }) => {
                self.on_export_event(event);
            }
            Event::PresetsChanged(update) => self.on_presets_changed(update),
            Event::HistoryChanged(update) => self.on_history_changed(update),
            Event::PresetFilePicked { purpose, path } => self.on_preset_file_picked(purpose, path),
            Event::PngSaved { purpose: PngPurpose::Chart, path, result } => match result {
                Ok(()) => self.notify(NoticeKind::Info, format!("Chart saved to {}", path.display())),
                Err(message) => self.notify(NoticeKind::Warning, message),
            },
            Event::PngSaved { purpose: PngPurpose::Automation, path, result } => {
                match result {
                    Ok(()) => {
                        self.notify(NoticeKind::Info, format!("Screenshot saved to {}", path.display()))
                    }
                    Err(message) => {
                        self.automation.failure.get_or_insert_with(|| message.clone());
                        self.notify(NoticeKind::Warning, message);
                    }
                }
                self.automation.screenshot = None;
                self.automation.screenshot_requested = false;
                self.finish_automation(ctx);
            }
        }
    }

    /// Marks the automation done, closing the window when `--exit` asked for it.
    pub fn finish_automation(&mut self, ctx: &egui::Context) {
        self.automation.finished = true;
        if self.automation.exit {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }

    /// Sends a connect job and shows "connecting" until it answers. Every tab's run and
    /// load stops (the worker cancels them too).
    pub fn connect(&mut self, target: ConnectTarget) {
        let ids: Vec<TabId> = self.tabs.iter().map(|tab| tab.id).collect();
        for id in ids {
            self.update_tab(id, QueryTab::stop_quietly);
        }
        if !matches!(self.connection, ConnectionStatus::Connected(_)) {
            self.connection = ConnectionStatus::Connecting;
        }
        self.test_outcome = None;
        self.worker.send(Job::Connect(target));
    }

    /// The connect target for the saved connection choice.
    pub fn startup_target(&self) -> ConnectTarget {
        match self.connection_choice {
            ConnectionChoice::Demo => ConnectTarget::Demo,
            ConnectionChoice::Automatic => {
                ConnectTarget::Automatic { base_url: self.server_url.clone(), env_key: self.env_key.clone() }
            }
            ConnectionChoice::Remote => ConnectTarget::Remote {
                base_url: self.server_url.clone(),
                key: match &self.env_key {
                    Some(key) => RemoteKey::FromEnvironment(key.clone()),
                    None => RemoteKey::Current,
                },
            },
        }
    }

    /// Settings (and tabs) will be written shortly (debounced, on the worker).
    pub fn mark_settings_dirty(&mut self) {
        if self.settings_dirty_since.is_none() {
            self.settings_dirty_since = Some(Instant::now());
        }
    }

    /// What would be written to the settings file now. The last query, grid and chart are
    /// the tab shown's (the tabs themselves go to `tabs.json`).
    pub fn current_settings(&self) -> Settings {
        let tab = self.active();
        Settings {
            server_url: self.saved_server_url.clone(),
            connection: self.connection_choice,
            theme: self.theme,
            last_query: Some(tab.draft.best_effort_body()),
            last_draft: serde_json::to_value(&tab.draft).ok(),
            tab: Some(tab.view.as_str().to_string()),
            grid: serde_json::to_value(&tab.grid).ok(),
            chart: serde_json::to_value(&tab.chart_settings).ok(),
            last_export_dir: self.last_export_dir.clone(),
        }
    }

    /// What would be written to `tabs.json` now.
    pub fn current_tabs(&self) -> SavedTabs {
        self.tabs.to_saved()
    }

    /// Where settings are written: nowhere for scripted runs (`--exit`), which must not
    /// replace the user's last query with the script's.
    pub fn settings_dir(&self) -> Option<std::path::PathBuf> {
        if self.automation.exit { None } else { self.config_dir.clone() }
    }

    /// Sends the settings and tabs to the worker for writing, if they changed at least
    /// `delay` ago.
    pub fn save_settings_if_due(&mut self, delay: std::time::Duration) {
        let Some(since) = self.settings_dirty_since else { return };
        if since.elapsed() < delay {
            return;
        }
        self.settings_dirty_since = None;
        if let Some(dir) = self.settings_dir() {
            let tabs = self.tabs_writable.then(|| Box::new(self.current_tabs()));
            self.worker.send(Job::SaveSettings { dir, settings: Box::new(self.current_settings()), tabs });
        }
    }
}

/// Applies a theme setting to egui.
pub fn apply_theme(ctx: &egui::Context, theme: ThemeSetting) {
    let preference = match theme {
        ThemeSetting::System => egui::ThemePreference::System,
        ThemeSetting::Light => egui::ThemePreference::Light,
        ThemeSetting::Dark => egui::ThemePreference::Dark,
    };
    ctx.set_theme(preference);
}

/// What a failed connection test means, in words: wrong key, wrong kind of key, or no network.
pub fn explain_connection_error(error: &ClientError) -> String {
    match error.status() {
        Some(401) => "The server rejected the API key (HTTP 401): the key is wrong, expired or revoked. \
                      Paste the current key of an API integration."
            .to_string(),
        Some(403) => "The key was recognised but may not read analytics (HTTP 403): it belongs to an \
                      integration that is not an API integration. Create an API integration in the Inkeep \
                      dashboard and use its key."
            .to_string(),
        Some(_) => error.user_message(),
        None => match error {
            ClientError::Connect { .. } | ClientError::Timeout { .. } => {
                let url = error.url().unwrap_or("the server URL");
                format!("Cannot reach the server at {url}: check the address and the network connection.")
            }
            _ => error.user_message(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::state::RunState;
    use crate::app::{AppEnv, ExplorerApp, LaunchOptions, Startup};
    use crate::data::{Meta, ResultTable};
    use crate::worker::{ConnectionInfo, RawAnswer, RunAnswer};
    use serde_json::json;

    fn app(ctx: &egui::Context) -> ExplorerApp {
        let startup = Startup::prepare(LaunchOptions::default(), AppEnv::isolated(100)).unwrap();
        let mut app = ExplorerApp::new(ctx, startup).unwrap();
        // Events are handed in by the test; the worker's own are never drained here.
        app.handle(
            ctx,
            Command::Worker(Event::Connected(ConnectionInfo {
                id: 1,
                kind: ConnectionKind::Demo,
                base_url: "http://127.0.0.1:1".to_string(),
                key_source: None,
                notice: None,
                notice_details: None,
            })),
        );
        app
    }

    fn run_tag(app: &ExplorerApp) -> JobTag {
        JobTag::new(app.state().tabs.active_id(), Purpose::Run)
    }

    fn answer(row_count: usize) -> RunAnswer {
        let rows: Vec<_> = (0..row_count).map(|i| json!({"count": i}).as_object().unwrap().clone()).collect();
        let body = QueryBody::default();
        RunAnswer {
            table: Arc::new(ResultTable::from_rows(&body, &rows)),
            meta: Meta { total: row_count as u64, page_size: 1000, count: row_count as u64 },
            server_request_id: None,
            raw: RawAnswer::default(),
        }
    }

    #[test]
    fn an_answer_for_a_superseded_run_is_never_shown() {
        let ctx = egui::Context::default();
        let mut app = app(&ctx);
        app.handle(&ctx, Command::Run);
        let first = app.state().active().run.pending_id().unwrap();
        app.handle(&ctx, Command::Run);
        let second = app.state().active().run.pending_id().unwrap();
        assert_ne!(first, second);

        let stale =
            Event::Finished { tag: run_tag(&app), request_id: first, duration_ms: 5, result: Ok(answer(7)) };
        app.handle(&ctx, Command::Worker(stale));
        app.handle(&ctx, Command::Worker(Event::Cancelled { tag: run_tag(&app), request_id: first }));
        assert_eq!(app.state().active().run.pending_id(), Some(second), "still waiting for the newer run");
        assert!(app.state().active().run.outcome().is_none());

        let fresh =
            Event::Finished { tag: run_tag(&app), request_id: second, duration_ms: 5, result: Ok(answer(3)) };
        app.handle(&ctx, Command::Worker(fresh));
        let RunState::Done(outcome) = &app.state().active().run else {
            panic!("{:?}", app.state().active().run)
        };
        assert_eq!((outcome.request_id, outcome.row_count()), (second, 3));
    }

    #[test]
    fn a_failure_keeps_the_previous_result_and_a_new_run_keeps_it_too() {
        let ctx = egui::Context::default();
        let mut app = app(&ctx);
        app.handle(&ctx, Command::Run);
        let first = app.state().active().run.pending_id().unwrap();
        app.handle(
            &ctx,
            Command::Worker(Event::Finished {
                tag: run_tag(&app),
                request_id: first,
                duration_ms: 1,
                result: Ok(answer(2)),
            }),
        );
        app.handle(&ctx, Command::Run);
        let second = app.state().active().run.pending_id().unwrap();
        assert_eq!(
            app.state().active().run.outcome().map(|o| o.request_id),
            Some(first),
            "shown dimmed while pending"
        );
        let error = ClientError::Connect {
            url: "http://127.0.0.1:1/query/conversations".into(),
            message: "refused".into(),
        };
        app.handle(
            &ctx,
            Command::Worker(Event::Finished {
                tag: run_tag(&app),
                request_id: second,
                duration_ms: 1,
                result: Err(error),
            }),
        );
        let failure = app.state().active().run.failure().unwrap();
        assert!(failure.summary.starts_with("Cannot reach the server"), "{}", failure.summary);
        assert_eq!(app.state().active().run.outcome().map(|o| o.request_id), Some(first));
        app.handle(&ctx, Command::Run);
        assert_eq!(app.state().active().run.outcome().map(|o| o.request_id), Some(first));
    }

    #[test]
    fn grid_and_chart_settings_are_saved_and_read_back() {
        let ctx = egui::Context::default();
        let mut app = app(&ctx);
        app.state.active_mut().chart_settings.kind = crate::app::chart_ui::ChartKind::StackedBars;
        app.state
            .active_mut()
            .grid
            .sort
            .push(crate::app::grid_ui::GridSortKey { column: "count".into(), descending: true });
        let saved = app.state.current_settings();
        let text = serde_json::to_string(&saved).unwrap();
        let loaded: Settings = serde_json::from_str(&text).unwrap();
        let startup = Startup {
            settings: loaded,
            ..Startup::prepare(LaunchOptions::default(), AppEnv::isolated(100)).unwrap()
        };
        let restarted = ExplorerApp::new(&ctx, startup).unwrap();
        assert_eq!(
            restarted.state.active().chart_settings.kind,
            crate::app::chart_ui::ChartKind::StackedBars
        );
        assert_eq!(restarted.state.active().grid.sort, app.state.active().grid.sort);
    }

    #[test]
    fn connection_errors_are_explained_by_status() {
        let problem = crate::api::response::Problem::new(401, "unauthorized", "Unauthorized", "bad key");
        let unauthorized =
            ClientError::Api { status: 401, problem: Box::new(problem.clone()), url: "u".into() };
        assert!(explain_connection_error(&unauthorized).contains("rejected the API key"));
        let forbidden = ClientError::Api { status: 403, problem: Box::new(problem), url: "u".into() };
        assert!(explain_connection_error(&forbidden).contains("not an API integration"));
        let network =
            ClientError::Connect { url: "https://example.invalid/query".into(), message: "dns".into() };
        assert_eq!(
            explain_connection_error(&network),
            "Cannot reach the server at https://example.invalid/query: check the address and the network connection."
        );
    }
}
