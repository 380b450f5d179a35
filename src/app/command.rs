//! Every change of the window's state, as a [`Command`] and its single [`AppState::handle`]
//! match. UI functions only push commands (and edit their own drafts); worker events
//! arrive here too, as [`Command::Worker`].

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use crate::api::client::{ApiKey, ClientError};
use crate::api::query::{QueryBody, Selection, TimeUnit, parse_query};
use crate::app::draft::QueryDraft;
use crate::app::export_dialog::{ExportCommand, ExportScope};
use crate::app::grid_ui::GridState;
use crate::app::history_ui::HistoryCommand;
use crate::app::presets_ui::PresetsCommand;
use crate::app::query_form::SuggestionRequest;
use crate::app::save_dialog::{SaveContent, SaveDialog, crop_rgba, timestamped_file_name};
use crate::app::state::{
    AppState, ConnectionStatus, DerivedQuery, ErrorDetails, LoadAllState, NoticeKind, RunFailure, RunOutcome,
    RunState, ScreenshotPurpose, Tab, TestOutcome, format_duration_ms, thousands,
};
use crate::data::{LoadProgress, ResultTable};
use crate::relative_time::resolve_relative_times;
use crate::secrets::{KeySource, SecretError};
use crate::settings::{ConnectionChoice, Settings, ThemeSetting};
use crate::worker::{ConnectTarget, ConnectionKind, Event, Job, LoadAllError, PngPurpose, RemoteKey};

/// A change the user (or the worker) asks for.
#[derive(Debug)]
pub enum Command {
    /// Run the current query (Run button, Ctrl+Enter).
    Run,
    /// Cancel the run in flight (Cancel button, Esc).
    Cancel,
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
    /// Show a tab.
    SetTab(Tab),
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

impl AppState {
    /// Applies one command. The only place the window's state changes.
    pub fn handle(&mut self, ctx: &egui::Context, command: Command) {
        match command {
            Command::Run => self.start_run(),
            Command::Cancel => {
                if let Some(request_id) = self.run.pending_id() {
                    self.worker.send(Job::Cancel { request_id });
                    self.end_pending_without_answer();
                    self.notify(NoticeKind::Info, "Run cancelled; the previous result is still shown.");
                }
            }
            Command::Undo => {
                if let Some(previous) = self.history.undo(&self.draft) {
                    self.replace_draft_without_history(previous);
                } else {
                    self.notify(NoticeKind::Info, "Nothing to undo.");
                }
            }
            Command::Redo => {
                if let Some(next) = self.history.redo(&self.draft) {
                    self.replace_draft_without_history(next);
                } else {
                    self.notify(NoticeKind::Info, "Nothing to redo.");
                }
            }
            Command::DraftEdited { coalesce_key } => {
                if self.draft != self.committed {
                    let before = std::mem::replace(&mut self.committed, self.draft.clone());
                    self.history.record(before, coalesce_key, Instant::now());
                    self.draft_changed();
                }
            }
            Command::LoadQuery(body) => self.replace_draft(QueryDraft::from_body(&body)),
            Command::ApplyRequestJson => match parse_query(&self.inspector.text) {
                Ok(body) => {
                    self.inspector.edited = false;
                    self.inspector.error = None;
                    self.replace_draft(QueryDraft::from_body(&body));
                    // Show the normalised JSON of the form, even when the draft did not change.
                    self.inspector.synced_generation = None;
                    self.inspector.sync(&self.derived);
                    self.notify(NoticeKind::Info, "The request JSON was applied to the form.");
                }
                // The form stays exactly as it was; the error says where the text is wrong.
                Err(error) => self.inspector.error = Some(error),
            },
            Command::RevertRequestJson => {
                self.inspector.edited = false;
                self.inspector.error = None;
                self.inspector.synced_generation = None;
                self.inspector.sync(&self.derived);
            }
            Command::InspectorEdited => {
                self.inspector.edited = true;
            }
            Command::SetTab(tab) => {
                if self.tab != tab {
                    self.tab = tab;
                    self.mark_settings_dirty();
                }
            }
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
            Command::ToggleErrorDetails => self.show_error_details = !self.show_error_details,
            Command::Notify(kind, text) => self.notify(kind, text),
            Command::LoadAllRows => self.start_load_all(),
            Command::CancelLoadAll => {
                if let Some(job_id) = self.load_all.loading_id() {
                    self.worker.send(Job::CancelLoad { job_id });
                    self.load_all = LoadAllState::Idle;
                    self.notify(NoticeKind::Info, "Loading all rows was cancelled; the table is unchanged.");
                }
            }
            Command::DismissLoadAllFailure => {
                if matches!(self.load_all, LoadAllState::Failed { .. }) {
                    self.load_all = LoadAllState::Idle;
                }
            }
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
            Command::AddDayBucket => self.add_day_bucket(),
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
            Command::Presets(command) => self.handle_presets(ctx, command),
            Command::History(command) => self.handle_history(ctx, command),
        }
    }

    fn start_run(&mut self) {
        let Some(query) = self.derived.body.clone() else {
            let reason = self.derived.blocked_reason().unwrap_or_default();
            self.notify(NoticeKind::Warning, reason);
            return;
        };
        if let Some(reason) = self.run_blocked_reason() {
            self.notify(NoticeKind::Warning, reason);
            return;
        }
        // Relative times ("this week") mean the week of the run, so they are resolved now;
        // the builder, presets and history keep them as written.
        let body = match resolve_relative_times(&query, jiff::Timestamp::now()) {
            Ok(body) => body,
            Err(err) => {
                self.notify(NoticeKind::Warning, format!("The query cannot run: {err}"));
                return;
            }
        };
        // The table a load would complete is about to be replaced.
        self.abandon_load_all();
        let request_id = self.next_request_id;
        self.next_request_id += 1;
        let superseded = self.run.pending_id();
        let previous = self.run.take_previous();
        self.run = RunState::Pending { request_id, started: Instant::now(), body: body.clone(), previous };
        self.show_error_details = false;
        // "Cancelled", "Copied"… are about the previous run; warnings stay until they expire.
        if self.notice.as_ref().is_some_and(|notice| notice.kind == NoticeKind::Info) {
            self.notice = None;
        }
        self.worker.send(Job::Run { request_id, body });
        if let Some(superseded) = superseded {
            self.history_run_ended(superseded);
        }
        self.history_run_started(request_id, query);
    }

    /// Starts "Load all rows" for the result shown, unless it is complete or a run is pending.
    fn start_load_all(&mut self) {
        if self.run.pending_id().is_some() {
            self.notify(NoticeKind::Info, "Wait for the run to finish before loading all rows.");
            return;
        }
        if self.load_all.loading_id().is_some() {
            return;
        }
        let Some(outcome) = self.run.outcome() else { return };
        if !outcome.is_truncated() {
            self.notify(NoticeKind::Info, "The table already holds every matching row.");
            return;
        }
        let (request_id, total_rows, body) = (outcome.request_id, outcome.meta.total, outcome.body.clone());
        let job_id = self.next_request_id;
        self.next_request_id += 1;
        self.load_all = LoadAllState::Loading {
            job_id,
            request_id,
            started: Instant::now(),
            total_rows,
            progress: LoadProgress::default(),
        };
        self.worker.send(Job::LoadAll { job_id, body, total: Some(total_rows) });
    }

    /// Adds a day bucket to the front of the select (one undoable edit) and runs the query.
    fn add_day_bucket(&mut self) {
        if self.draft.select.iter().any(|selection| matches!(selection, Selection::Time { .. })) {
            self.notify(NoticeKind::Info, "The query already has a time bucket.");
            return;
        }
        let mut draft = self.draft.clone();
        draft.select.insert(0, Selection::time(TimeUnit::Day));
        self.replace_draft(draft);
        self.notify(NoticeKind::Info, "Added a day bucket to the query (Ctrl+Z undoes it).");
        if self.derived.body.is_some() && self.run_blocked_reason().is_none() {
            self.start_run();
        }
    }

    /// Stops a load in progress without a word (a new run or connection supersedes it).
    fn abandon_load_all(&mut self) {
        if let Some(job_id) = self.load_all.loading_id() {
            self.worker.send(Job::CancelLoad { job_id });
        }
        self.load_all = LoadAllState::Idle;
    }

    /// The grid keeps its sort, hidden columns and widths while the columns stay the same;
    /// a table with other columns starts from a clean grid.
    fn adopt_columns(&mut self, table: &ResultTable) {
        let names: Vec<String> = table.column_names().into_iter().map(str::to_string).collect();
        let changed = match &self.grid_columns {
            Some(previous) => *previous != names,
            // The first table after a start: keep the saved grid if it fits these columns.
            None => {
                let known = |name: &str| names.iter().any(|n| n == name);
                !(self.grid.sort.iter().all(|key| known(&key.column))
                    && self.grid.hidden_columns.iter().all(|name| known(name)))
            }
        };
        // A preset's grid sort (keys the server cannot sort by) starts its first result.
        let pending = self.grid.pending_sort.take();
        if changed {
            self.grid = GridState::default();
            self.mark_settings_dirty();
        }
        if let Some(sort) = pending {
            self.grid.sort = sort;
            self.mark_settings_dirty();
        }
        self.grid_columns = Some(names);
    }

    /// Leaves the pending state for the previous result (cancel, or a cancelled answer).
    fn end_pending_without_answer(&mut self) {
        let ended = self.run.pending_id();
        self.run = match self.run.take_previous() {
            Some(previous) => RunState::Done(previous),
            None => RunState::NotRequested,
        };
        if let Some(ended) = ended {
            self.history_run_ended(ended);
        }
    }

    fn on_worker_event(&mut self, ctx: &egui::Context, event: Event) {
        match event {
            Event::Started { .. } => {}
            Event::Finished { request_id, duration_ms, result } => {
                // An answer for anything but the run waited for is stale: never shown.
                if self.run.pending_id() != Some(request_id) {
                    return;
                }
                let RunState::Pending { body, previous, .. } = std::mem::take(&mut self.run) else { return };
                match result {
                    Ok(answer) => {
                        self.adopt_columns(&answer.table);
                        self.load_all = LoadAllState::Idle;
                        let mut outcome = RunOutcome::new(request_id, body, answer, duration_ms);
                        // A new connection cancels pending runs, so this is the server that answered.
                        outcome.server_url =
                            self.connection_info().map(|info| info.base_url.clone()).unwrap_or_default();
                        self.run = RunState::Done(Box::new(outcome));
                    }
                    Err(ClientError::Cancelled) => {
                        self.run = previous.map_or(RunState::NotRequested, RunState::Done);
                    }
                    Err(error) => {
                        let failure = RunFailure {
                            request_id,
                            body,
                            summary: error.user_message(),
                            details: ErrorDetails::from_client_error(&error),
                            duration_ms,
                        };
                        if self.automation.run_id == Some(request_id) {
                            self.automation.failure = Some(failure.summary.clone());
                        }
                        self.run = RunState::Failed { error: Box::new(failure), previous };
                    }
                }
                self.history_run_ended(request_id);
                if self.automation.run_id == Some(request_id) {
                    self.automation.run_id = None;
                }
            }
            Event::Cancelled { request_id } => {
                if self.run.pending_id() == Some(request_id) {
                    self.end_pending_without_answer();
                    self.notify(NoticeKind::Info, "Run cancelled; the previous result is still shown.");
                }
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
                    self.start_run();
                    match self.run.pending_id() {
                        Some(id) => self.automation.run_id = Some(id),
                        None => {
                            let reason =
                                self.run_blocked_reason().unwrap_or_else(|| "the run did not start".into());
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
            Event::LoadProgress { job_id, progress: update } => {
                if let LoadAllState::Loading { job_id: loading, progress, .. } = &mut self.load_all
                    && *loading == job_id
                {
                    *progress = update;
                }
            }
            Event::LoadFinished { job_id, duration_ms, result } => {
                self.on_load_finished(job_id, duration_ms, result)
            }
            Event::TextSaved { path, result } => match result {
                Ok(()) => self.notify(NoticeKind::Info, format!("Saved {}", path.display())),
                Err(message) => self.notify(NoticeKind::Warning, message),
            },
            Event::SavePathPicked(picked) if self.export_dialog.as_ref().is_some_and(|d| d.browsing) => {
                self.on_export_path_picked(picked);
            }
            event @ (Event::ExportProgress { .. }
            | Event::ExportFinished { .. }
            | Event::FolderOpened { .. }) => {
                self.on_export_event(event);
            }
            Event::SavePathPicked(picked) => {
                let Some(dialog) = &mut self.save_dialog else { return };
                dialog.browsing = false;
                match picked {
                    Some(path) => dialog.path_text = path.display().to_string(),
                    None => self.notify(
                        NoticeKind::Info,
                        "No file was chosen (or no file dialog is available here): type the path instead.",
                    ),
                }
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

    fn on_load_finished(
        &mut self,
        job_id: u64,
        duration_ms: u64,
        result: Result<Arc<ResultTable>, LoadAllError>,
    ) {
        let LoadAllState::Loading { job_id: loading, request_id, .. } = self.load_all else { return };
        if loading != job_id {
            return;
        }
        self.load_all = LoadAllState::Idle;
        let Some(outcome) = self.run.outcome_mut().filter(|outcome| outcome.request_id == request_id) else {
            return;
        };
        match result {
            Ok(table) => {
                let row_count = table.row_count();
                let total_before = outcome.meta.total;
                outcome.meta.total = row_count as u64;
                outcome.meta.count = row_count as u64;
                outcome.table = Arc::clone(&table);
                outcome.all_rows_loaded = true;
                self.adopt_columns(&table);
                let mut message = format!(
                    "Loaded all {} rows in {}.",
                    thousands(row_count as u64),
                    format_duration_ms(duration_ms)
                );
                // The worker refuses fewer rows than the run counted (an export cut at a row
                // boundary looks complete); more means rows were added since: say so.
                let kind =
                    match crate::data::export::excess_rows_warning(row_count as u64, Some(total_before)) {
                        None => NoticeKind::Info,
                        Some(warning) => {
                            message.push_str(&format!(" Note: {warning}."));
                            NoticeKind::Warning
                        }
                    };
                self.notify(kind, message);
            }
            Err(LoadAllError::Cancelled) => {}
            Err(error) => {
                // The server's own words help more than a status code alone.
                let detail = match &error {
                    LoadAllError::Client(client_error) => ErrorDetails::from_client_error(client_error)
                        .detail
                        .map(|detail| format!(" The server said: {}.", detail.trim_end_matches('.')))
                        .unwrap_or_default(),
                    _ => String::new(),
                };
                let message = format!(
                    "{error}{detail} The table still shows the first {} rows.",
                    thousands(outcome.row_count() as u64)
                );
                self.load_all = LoadAllState::Failed { request_id, message: message.clone() };
                self.notify(NoticeKind::Warning, format!("Loading all rows failed: {message}"));
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

    /// Sends a connect job and shows "connecting" until it answers.
    pub fn connect(&mut self, target: ConnectTarget) {
        self.abandon_load_all();
        if let Some(request_id) = self.run.pending_id() {
            self.worker.send(Job::Cancel { request_id });
            self.end_pending_without_answer();
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

    /// Replaces the draft as one undoable step.
    fn replace_draft(&mut self, draft: QueryDraft) {
        if draft == self.draft {
            return;
        }
        let before = std::mem::replace(&mut self.draft, draft);
        self.history.record(before, None, Instant::now());
        self.committed = self.draft.clone();
        self.draft_changed();
    }

    /// Replaces the draft from the undo history itself.
    fn replace_draft_without_history(&mut self, draft: QueryDraft) {
        self.draft = draft;
        self.committed = self.draft.clone();
        self.draft_changed();
    }

    /// Re-derives body, problems and JSON once for the new draft.
    fn draft_changed(&mut self) {
        self.generation += 1;
        self.derived = DerivedQuery::compute(&self.draft, self.generation);
        self.inspector.sync(&self.derived);
        self.mark_settings_dirty();
    }

    /// Settings will be written shortly (debounced, on the worker).
    pub fn mark_settings_dirty(&mut self) {
        if self.settings_dirty_since.is_none() {
            self.settings_dirty_since = Some(Instant::now());
        }
    }

    /// What would be written to the settings file now.
    pub fn current_settings(&self) -> Settings {
        Settings {
            server_url: self.saved_server_url.clone(),
            connection: self.connection_choice,
            theme: self.theme,
            last_query: Some(self.draft.best_effort_body()),
            last_draft: serde_json::to_value(&self.draft).ok(),
            tab: Some(self.tab.as_str().to_string()),
            grid: serde_json::to_value(&self.grid).ok(),
            chart: serde_json::to_value(&self.chart_settings).ok(),
            last_export_dir: self.last_export_dir.clone(),
        }
    }

    /// Where settings are written: nowhere for scripted runs (`--exit`), which must not
    /// replace the user's last query with the script's.
    pub fn settings_dir(&self) -> Option<std::path::PathBuf> {
        if self.automation.exit { None } else { self.config_dir.clone() }
    }

    /// Sends the settings to the worker for writing, if they changed at least `delay` ago.
    pub fn save_settings_if_due(&mut self, delay: std::time::Duration) {
        let Some(since) = self.settings_dirty_since else { return };
        if since.elapsed() < delay {
            return;
        }
        self.settings_dirty_since = None;
        if let Some(dir) = self.settings_dir() {
            self.worker.send(Job::SaveSettings { dir, settings: Box::new(self.current_settings()) });
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
        let first = app.state().run.pending_id().unwrap();
        app.handle(&ctx, Command::Run);
        let second = app.state().run.pending_id().unwrap();
        assert_ne!(first, second);

        let stale = Event::Finished { request_id: first, duration_ms: 5, result: Ok(answer(7)) };
        app.handle(&ctx, Command::Worker(stale));
        app.handle(&ctx, Command::Worker(Event::Cancelled { request_id: first }));
        assert_eq!(app.state().run.pending_id(), Some(second), "still waiting for the newer run");
        assert!(app.state().run.outcome().is_none());

        let fresh = Event::Finished { request_id: second, duration_ms: 5, result: Ok(answer(3)) };
        app.handle(&ctx, Command::Worker(fresh));
        let RunState::Done(outcome) = &app.state().run else { panic!("{:?}", app.state().run) };
        assert_eq!((outcome.request_id, outcome.row_count()), (second, 3));
    }

    #[test]
    fn a_failure_keeps_the_previous_result_and_a_new_run_keeps_it_too() {
        let ctx = egui::Context::default();
        let mut app = app(&ctx);
        app.handle(&ctx, Command::Run);
        let first = app.state().run.pending_id().unwrap();
        app.handle(
            &ctx,
            Command::Worker(Event::Finished { request_id: first, duration_ms: 1, result: Ok(answer(2)) }),
        );
        app.handle(&ctx, Command::Run);
        let second = app.state().run.pending_id().unwrap();
        assert_eq!(
            app.state().run.outcome().map(|o| o.request_id),
            Some(first),
            "shown dimmed while pending"
        );
        let error = ClientError::Connect {
            url: "http://127.0.0.1:1/query/conversations".into(),
            message: "refused".into(),
        };
        app.handle(
            &ctx,
            Command::Worker(Event::Finished { request_id: second, duration_ms: 1, result: Err(error) }),
        );
        let failure = app.state().run.failure().unwrap();
        assert!(failure.summary.starts_with("Cannot reach the server"), "{}", failure.summary);
        assert_eq!(app.state().run.outcome().map(|o| o.request_id), Some(first));
        app.handle(&ctx, Command::Run);
        assert_eq!(app.state().run.outcome().map(|o| o.request_id), Some(first));
    }

    #[test]
    fn grid_and_chart_settings_are_saved_and_read_back() {
        let ctx = egui::Context::default();
        let mut app = app(&ctx);
        app.state.chart_settings.kind = crate::app::chart_ui::ChartKind::StackedBars;
        app.state
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
        assert_eq!(restarted.state.chart_settings.kind, crate::app::chart_ui::ChartKind::StackedBars);
        assert_eq!(restarted.state.grid.sort, app.state.grid.sort);
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
