//! Every change of the window's state, as a [`Command`], and the thin dispatcher
//! [`WindowState::handle`] that routes it: tab commands to the tab they name (or the tab
//! shown), whose update returns [`TabEffect`]s the window applies; window features to their
//! own handlers; worker events by the `JobTag` they carry (the tab
//! and the purpose that asked), never by what the UI happens to show.

use std::path::Path;

use crate::api::links::linked_query;
use crate::app::commands::Command;
use crate::app::draft::QueryDraft;
use crate::app::effects::{AfterOpen, Effect, OpenRequest};
use crate::app::export_model::{ExportCommand, ExportInputs};
use crate::app::export_plan::ExportScope;
use crate::app::path_input::NO_FILE_CHOSEN;
use crate::app::presets_model::PresetsContext;
use crate::app::save_model::{SaveContent, SaveDialog, crop_rgba, timestamped_file_name};
use crate::app::state::{NoticeKind, ScreenshotPurpose};
use crate::app::tab::{QueryTab, RunContext, RunFinished, TabEffect};
use crate::app::window::WindowState;
use crate::settings::{SavedTabs, Settings, ThemeSetting};
use crate::worker::{ConnectTarget, Event, Job, JobTag, PngPurpose, Purpose, TabId};

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
                // A plain body (a query file, `--query`) is a conversations query.
                self.update_tab(active, |tab, effects| {
                    tab.load_query(crate::api::view::View::Conversations, &body, effects)
                })
            }
            Command::ApplyRequestJson => self.update_tab(active, QueryTab::apply_request_json),
            Command::RevertRequestJson => self.active_mut().revert_request_json(),
            Command::InspectorEdited => self.active_mut().inspector.edited = true,
            Command::SetView(view) => self.update_tab(active, |tab, effects| tab.set_view(view, effects)),
            Command::Compare(command) => {
                let run_again = self.tabs.get_mut(active).is_some_and(|tab| tab.compare.update(command));
                if run_again {
                    self.run_tab(active);
                }
            }
            Command::SetQueryView(view) => {
                self.update_tab(active, |tab, effects| tab.switch_query_view(view, effects))
            }
            Command::ToggleTheme => {
                let next = match ctx.theme() {
                    egui::Theme::Dark => ThemeSetting::Light,
                    egui::Theme::Light => ThemeSetting::Dark,
                };
                self.handle(ctx, Command::SetTheme(next));
            }
            Command::SetTheme(theme) => {
                self.settings.theme = theme;
                apply_theme(ctx, theme);
                self.mark_settings_dirty();
            }
            Command::Connection(command) => {
                let effects = self.connection.update(command);
                self.apply_effects(ctx, effects);
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
            Command::ExportAll => self.update_export(ctx, ExportCommand::Open(ExportScope::AllRows)),
            Command::Export(command) => self.update_export(ctx, command),
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
                            self.settings.save_dir.clone(),
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
                    self.settings.save_dir.clone(),
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
            Command::Presets(command) => {
                let tab = self.tabs.active();
                let context = PresetsContext {
                    query: tab
                        .derived
                        .body
                        .as_ref()
                        .ok_or_else(|| tab.derived.blocked_reason().unwrap_or_default()),
                    view: tab.draft.view,
                    notes: tab.draft.notes.as_deref(),
                    save_dir: self.settings.save_dir.as_deref(),
                };
                let effects = self.presets.update(command, context);
                self.apply_effects(ctx, effects);
            }
            Command::OpenLinked { from, ids, to } => {
                let Some(query) = linked_query(from, &ids, to) else {
                    self.notify(NoticeKind::Warning, "This row names no conversation to link from.");
                    return;
                };
                let text =
                    format!("Opened the {} linked to that {} row in a new tab.", to.noun(), from.noun());
                let then = AfterOpen::Say { in_tab_shown: text.clone(), in_new_tab: text };
                let request = OpenRequest {
                    view: to,
                    query,
                    grid_sort: Vec::new(),
                    new_tab: true,
                    preset_name: None,
                    then,
                };
                self.open_query(ctx, request);
                self.handle(ctx, Command::Run);
            }
            Command::History(command) => {
                let effects = self.run_history.update(command);
                self.apply_effects(ctx, effects);
            }
            Command::DrillDown(target) => self.drill_down(ctx, target),
            Command::About(command) => {
                let effects = crate::app::about_model::update(
                    &mut self.about,
                    command,
                    self.settings.config_dir.as_deref(),
                );
                self.apply_effects(ctx, effects);
            }
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
                TabEffect::RunStarted { request_id, view, query } => {
                    let server_url = self.connection.current_server_url();
                    self.run_history.run_started(request_id, view, query, server_url);
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
        let connection_blocked = self.connection.blocked_reason();
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
        self.export.on_tab_closed(tab);
        let Some((closed, index)) = self.tabs.remove(tab) else { return };
        if closed.is_worth_keeping() {
            let title = closed.title();
            self.tabs.keep_closed(closed, index);
            self.notify(NoticeKind::Info, format!("Closed the tab “{title}” (Ctrl+Shift+T brings it back)."));
        }
        self.mark_settings_dirty();
    }

    /// Applies an [`ExportCommand`] through the export feature.
    fn update_export(&mut self, ctx: &egui::Context, command: ExportCommand) {
        let server_url = self.connection_info().map(|info| info.base_url.clone());
        let inputs = ExportInputs {
            tabs: &self.tabs,
            save_dir: self.settings.save_dir.as_deref(),
            server_url: server_url.as_deref(),
            ids: &mut self.ids,
        };
        let effects = self.export.update(command, inputs);
        self.apply_effects(ctx, effects);
    }

    /// Does what a window feature asked for, in order.
    pub fn apply_effects(&mut self, ctx: &egui::Context, effects: Vec<Effect>) {
        for effect in effects {
            match effect {
                Effect::Job(job) => {
                    self.worker.send(job);
                }
                Effect::Notify(kind, text) => self.notify(kind, text),
                Effect::SettingsChanged => self.mark_settings_dirty(),
                Effect::Open(request) => self.open_query(ctx, request),
                Effect::Connect(target) => self.connect(target),
            }
        }
    }

    /// Opens a query from a preset or the run history: in the tab shown when it is empty
    /// (as one undo step), else in a new tab right of it; then runs it or says where it went.
    fn open_query(&mut self, ctx: &egui::Context, request: OpenRequest) {
        let OpenRequest { view, query, grid_sort, new_tab, preset_name, then } = request;
        let into_tab_shown = !new_tab && self.active().is_empty();
        if into_tab_shown {
            let active = self.tabs.active_id();
            self.update_tab(active, |tab, effects| tab.load_query(view, &query, effects));
        } else {
            let id = self.tabs.new_id();
            self.tabs.open(QueryTab::new(id, QueryDraft::from_body_in(view, &query)));
            self.mark_settings_dirty();
        }
        let tab = self.active_mut();
        tab.preset_name = preset_name;
        tab.grid.start_next_result_sorted(grid_sort);
        match then {
            AfterOpen::Run => self.handle(ctx, Command::Run),
            AfterOpen::Say { in_tab_shown, in_new_tab } => {
                self.notify(NoticeKind::Info, if into_tab_shown { in_tab_shown } else { in_new_tab });
            }
        }
    }

    fn on_worker_event(&mut self, ctx: &egui::Context, event: Event) {
        match event {
            Event::Started { .. } => {}
            Event::Finished { tag, request_id, result, .. } if tag.purpose == Purpose::Compare => {
                if let Some(tab) = self.tabs.get_mut(tag.tab) {
                    tab.compare.on_finished(request_id, result, &tab.run);
                }
            }
            Event::Cancelled { tag, request_id } if tag.purpose == Purpose::Compare => {
                if let Some(tab) = self.tabs.get_mut(tag.tab)
                    && tab.compare.pending_id() == Some(request_id)
                {
                    tab.compare.abandon();
                }
            }
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
                let effects = self.connection.on_connected(info);
                self.apply_effects(ctx, effects);
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
                let effects = self.connection.on_connect_failed(&message);
                self.apply_effects(ctx, effects);
                if self.automation.run_pending {
                    self.automation.run_pending = false;
                    self.automation.failure = Some(message);
                }
            }
            Event::Keys { connection_id, view, field, result } => {
                self.connection.on_keys(connection_id, view, field, result.ok());
            }
            Event::Values { connection_id, view, field, key, result } => {
                self.connection.on_values(connection_id, view, field, key, result.ok());
            }
            Event::ConnectionTested { connection_id, result } => {
                self.connection.on_tested(connection_id, result);
            }
            Event::KeyForgotten(result) => {
                let effects = self.connection.on_key_forgotten(result);
                self.apply_effects(ctx, effects);
            }
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
                Purpose::Export => {
                    let effects = self.export.on_path_picked(path);
                    self.apply_effects(ctx, effects);
                }
                _ => {
                    let Some(dialog) = &mut self.save_dialog else { return };
                    dialog.browsing = false;
                    match path {
                        Some(path) => dialog.path_text = path.display().to_string(),
                        None => self.notify(NoticeKind::Info, NO_FILE_CHOSEN),
                    }
                }
            },
            event @ (Event::ExportProgress { .. }
            | Event::ExportFinished { .. }
            | Event::FolderOpened { .. }) => {
                let effects = self.export.on_event(event);
                self.apply_effects(ctx, effects);
            }
            Event::PresetsChanged(update) => {
                let effects = self.presets.on_changed(update);
                self.apply_effects(ctx, effects);
            }
            Event::HistoryChanged(update) => {
                let effects = self.run_history.on_changed(update);
                self.apply_effects(ctx, effects);
            }
            Event::PresetFilePicked { purpose, path } => {
                let effects = self.presets.on_file_picked(purpose, path);
                self.apply_effects(ctx, effects);
            }
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
        self.connection.connecting();
        self.worker.send(Job::Connect(target));
    }

    /// Settings (and tabs) will be written shortly (debounced, on the worker).
    pub fn mark_settings_dirty(&mut self) {
        self.settings.mark_dirty();
    }

    /// What would be written to the settings file now, gathered from the features that own
    /// it (the queries go to `tabs.json`).
    pub fn current_settings(&self) -> Settings {
        Settings {
            server_url: self.connection.saved_server_url.clone(),
            connection: self.connection.choice,
            theme: self.settings.theme,
            last_export_dir: self.export.last_dir.clone(),
            before_tabs: Default::default(),
        }
    }

    /// What would be written to `tabs.json` now.
    pub fn current_tabs(&self) -> SavedTabs {
        self.tabs.to_saved()
    }

    /// Where settings are written: nowhere for scripted runs (`--exit`), which must not
    /// replace the user's last query with the script's.
    pub fn settings_dir(&self) -> Option<std::path::PathBuf> {
        if self.automation.exit { None } else { self.settings.config_dir.clone() }
    }

    /// Sends the settings and tabs to the worker for writing, if they changed at least
    /// `delay` ago.
    pub fn save_settings_if_due(&mut self, delay: std::time::Duration) {
        if !self.settings.take_due(delay) {
            return;
        }
        if let Some(dir) = self.settings_dir() {
            let tabs = self.settings.tabs_writable.then(|| Box::new(self.current_tabs()));
            let settings = self.settings.settings_writable.then(|| Box::new(self.current_settings()));
            self.worker.send(Job::SaveSettings { dir, settings, tabs });
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::client::ClientError;
    use crate::api::query::QueryBody;
    use crate::app::state::RunState;
    use crate::app::{AppEnv, ExplorerApp, LaunchOptions, Startup};
    use crate::data::{Meta, ResultTable};
    use crate::worker::{ConnectionInfo, ConnectionKind, RawAnswer, RunAnswer};
    use serde_json::json;
    use std::sync::Arc;

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
        // They are kept with the tab in tabs.json, and only there.
        let saved = app.state.current_tabs();
        let text = serde_json::to_string(&saved).unwrap();
        let loaded: SavedTabs = serde_json::from_str(&text).unwrap();
        let settings_text = serde_json::to_string(&app.state.current_settings()).unwrap();
        assert!(
            !settings_text.contains("StackedBars") && !settings_text.contains("\"grid\""),
            "{settings_text}"
        );
        let startup = Startup {
            tabs: crate::settings::LoadedTabs { tabs: Some(loaded), ..Default::default() },
            ..Startup::prepare(LaunchOptions::default(), AppEnv::isolated(100)).unwrap()
        };
        let restarted = ExplorerApp::new(&ctx, startup).unwrap();
        assert_eq!(
            restarted.state.active().chart_settings.kind,
            crate::app::chart_ui::ChartKind::StackedBars
        );
        assert_eq!(restarted.state.active().grid.sort, app.state.active().grid.sort);
    }
}
