//! The egui window: the shell (worker, window state, commands, the tab strip) around the
//! query tabs, each with its builder and result views.
//!
//! Each frame [`ExplorerApp`] drains the worker's events, reads the keyboard shortcuts,
//! lays out the panels (top bar, tab strip, status bar, the shown tab's query builder on the
//! left and its result views in the centre) and then applies the [`Command`]s the UI
//! pushed, all through [`WindowState::handle`]. The query form edits its tab's draft;
//! everything derived from the draft (body, problems, JSON) is computed once per change,
//! never per frame.
//!
//! The modules: [`window`] (the window's state) and [`tabs`]/[`tab`] (the query tabs and
//! one tab's state and update), [`command`] (the commands and their dispatcher), [`state`]
//! (shared models), [`format`](mod@format) (shared formatting and colours), and one file per feature's
//! UI (`*_ui`, `*_tab`, `*_dialog`).

pub mod about_model;
pub mod about_ui;
pub mod chart_tab;
pub mod chart_ui;
pub mod command;
pub mod commands;
pub mod compare_model;
pub mod compare_ui;
pub mod connection_model;
pub mod connection_ui;
pub mod draft;
pub mod drill;
pub mod drill_ui;
pub mod effects;
pub mod export_dialog;
pub mod export_model;
pub mod export_plan;
pub mod format;
pub mod grid_ui;
mod grid_view_cache;
pub mod history_model;
pub mod history_ui;
pub mod icon;
pub mod inspector_ui;
pub mod path_input;
pub mod presets_model;
pub mod presets_ui;
pub mod query_form;
pub mod raw_json;
pub mod response_ui;
pub mod row_detail_ui;
pub mod save_dialog;
pub mod save_model;
pub mod settings_model;
pub mod start_page;
pub mod state;
pub mod status_ui;
pub mod tab;
pub mod tab_strip_ui;
pub mod table_tab;
pub mod tabs;
pub mod time_axis;
pub mod view_switch;
pub mod window;

use std::path::PathBuf;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use anyhow::Context as _;
use egui::{Key, Modifiers, RichText, Ui};

use crate::api::client::{ApiKey, ClientConfig, DEFAULT_BASE_URL, SERVER_URL_ENV};
use crate::api::query::QueryBody;
use crate::api::query_file::{QueryFile, parse_query_file};
use crate::api::view::View;
use crate::app::command::apply_theme;
use crate::app::commands::Command;
use crate::app::connection_model::{Connection, ConnectionCommand, ConnectionStatus};
use crate::app::draft::QueryDraft;
use crate::app::inspector_ui::{CurlAuth, InspectorContext, inspector_ui};
use crate::app::query_form::{FormContext, query_form_ui};
use crate::app::settings_model::WindowSettings;
use crate::app::start_page::{StartConnection, StartPage};
use crate::app::state::{Automation, NoticeKind, ResultView, ScreenshotPurpose};
use crate::app::tab::QueryTab;
use crate::app::tab_strip_ui::TabStripState;
use crate::app::tabs::Tabs;
use crate::app::window::WindowState;
use crate::demo::dataset::DatasetParams;
use crate::secrets::Keychain;
use crate::settings::{LoadedTabs, SavedTabs, Settings, SettingsError, default_config_dir};
use crate::worker::{ConnectionKind, DEMO_TOKEN, Worker, WorkerConfig};

/// The window title and the window's app id, kept with the rest of the app's identity.
pub use crate::build_info::{APP_ID, APP_NAME};

/// Settings are written this long after the last change (and on exit).
const SETTINGS_SAVE_DELAY: Duration = Duration::from_millis(1500);

/// Frames drawn after a run before `--screenshot` / `--exit` act, so the result is on screen.
const SETTLE_FRAMES: u32 = 3;

/// The automation flags of the command line:
/// `inkeep-explorer [--query FILE | --preset NAME] [--run] [--tab T] [--screenshot FILE] [--exit]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LaunchOptions {
    /// Load this query (a JSON body) instead of the last one.
    pub query_file: Option<PathBuf>,
    /// Load this preset (a built-in or a saved one, by name; see [`resolve_preset`]).
    pub preset: Option<String>,
    /// Run the query once connected.
    pub run: bool,
    /// Show this result view (table, chart, request, response) in the flags' tab.
    pub tab: Option<ResultView>,
    /// Turn Compare on in the flags' tab, with this earlier period.
    pub compare: Option<crate::data::compare::CompareOffset>,
    /// Write a PNG of the window once the run finished and a frame was drawn.
    pub screenshot: Option<PathBuf>,
    /// Close the window when done; the exit status is non-zero if the run failed.
    pub exit: bool,
}

/// Where the window gets its environment from; tests inject everything here so they never
/// touch the real keychain, config dir or environment.
pub struct AppEnv {
    /// Where settings are read and written; `None` keeps nothing.
    pub config_dir: Option<PathBuf>,
    /// The keychain for the API key.
    pub keychain: Arc<Keychain>,
    /// `INKEEPANALYTICS_API_INTEGRATION_KEY`.
    pub env_key: Option<ApiKey>,
    /// `INKEEPANALYTICS_SERVER_URL`.
    pub env_server_url: Option<String>,
    /// The dataset of the embedded demo API.
    pub demo_dataset: DatasetParams,
    /// The most rows one answer of the embedded demo API carries.
    pub demo_page_size: usize,
    /// Timeouts and retries of the client.
    pub client_defaults: ClientConfig,
    /// Where exports are suggested (the download folder); `None` uses the current directory.
    pub save_dir: Option<PathBuf>,
}

impl std::fmt::Debug for AppEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppEnv")
            .field("config_dir", &self.config_dir)
            .field("keychain", &self.keychain)
            .field("env_key", &self.env_key)
            .field("env_server_url", &self.env_server_url)
            .field("demo_dataset", &self.demo_dataset)
            .field("demo_page_size", &self.demo_page_size)
            .finish_non_exhaustive()
    }
}

impl AppEnv {
    /// The real environment: the platform config dir, the OS keychain, the process's
    /// environment variables, the full demo dataset.
    pub fn from_process() -> AppEnv {
        AppEnv {
            config_dir: default_config_dir(),
            keychain: Arc::new(Keychain::system()),
            env_key: ApiKey::from_env(),
            env_server_url: std::env::var(SERVER_URL_ENV)
                .ok()
                .map(|url| url.trim().to_string())
                .filter(|u| !u.is_empty()),
            demo_dataset: DatasetParams::default(),
            demo_page_size: WorkerConfig::DEFAULT_DEMO_PAGE_SIZE,
            client_defaults: ClientConfig::default(),
            save_dir: directories::UserDirs::new().and_then(|dirs| {
                dirs.download_dir()
                    .map(std::path::Path::to_path_buf)
                    .or_else(|| Some(dirs.home_dir().to_path_buf()))
            }),
        }
    }

    /// Nothing from the machine: no config dir, an in-memory mock keychain, no environment
    /// variables, a demo dataset of `demo_rows` conversations, no retries (fail fast).
    pub fn isolated(demo_rows: u64) -> AppEnv {
        let keychain = match keyring_core::mock::Store::new() {
            Ok(store) => Keychain::with_store(store),
            Err(_) => Keychain::disabled(),
        };
        AppEnv {
            config_dir: None,
            keychain: Arc::new(keychain),
            env_key: None,
            env_server_url: None,
            demo_dataset: DatasetParams { rows: demo_rows, ..DatasetParams::default() },
            demo_page_size: WorkerConfig::DEFAULT_DEMO_PAGE_SIZE,
            client_defaults: ClientConfig { max_retries: 0, ..ClientConfig::default() },
            save_dir: None,
        }
    }
}

/// Everything the window starts from, prepared before it opens (files are read here, not
/// on the UI thread).
#[derive(Debug)]
pub struct Startup {
    /// The environment.
    pub env: AppEnv,
    /// The saved settings (defaults when there were none).
    pub settings: Settings,
    /// The command-line flags.
    pub launch: LaunchOptions,
    /// The query from `--query` / `--preset`, opened in a tab of its own.
    pub query: Option<QueryBody>,
    /// The view that query is for: the one the query file or the preset names
    /// (conversations for a plain body).
    pub query_view: View,
    /// The preset's name when the query came from `--preset`, for the tab's title.
    pub preset_name: Option<String>,
    /// The tabs saved last time (`tabs.json`).
    pub tabs: LoadedTabs,
    /// A problem to tell the user about once the window is up (unreadable settings…).
    pub notice: Option<String>,
    /// Why `settings.json` must not be written (a newer version of the app wrote it).
    pub settings_read_only: Option<String>,
}

impl Startup {
    /// Reads the settings and the query file. A query file that cannot be read or parsed is
    /// an error (the user asked for it); unreadable settings are not (defaults are used).
    pub fn prepare(launch: LaunchOptions, env: AppEnv) -> anyhow::Result<Startup> {
        let (settings, notice, settings_read_only) = match &env.config_dir {
            Some(dir) => match Settings::load(dir) {
                Ok(settings) => (settings, None, None),
                Err(err @ SettingsError::Newer(_)) => {
                    let reason = err.to_string();
                    (Settings::default(), Some(format!("Using default settings: {reason}.")), Some(reason))
                }
                Err(err) => {
                    (Settings::default(), Some(format!("{err}; starting with default settings.")), None)
                }
            },
            None => (Settings::default(), None, None),
        };
        let (query, query_view, preset_name) = match (&launch.query_file, &launch.preset) {
            (Some(path), _) => {
                let file = load_query_file(path)?;
                let view = file.view();
                (Some(file.body), view, None)
            }
            (None, Some(name)) => {
                let preset = crate::presets::find_preset(env.config_dir.as_deref(), name)?;
                (Some(preset.query), preset.view, Some(preset.name))
            }
            (None, None) => (None, View::Conversations, None),
        };
        let tabs = match &env.config_dir {
            Some(dir) => SavedTabs::load(dir),
            None => LoadedTabs::default(),
        };
        Ok(Startup {
            env,
            settings,
            launch,
            query,
            query_view,
            preset_name,
            tabs,
            notice,
            settings_read_only,
        })
    }
}

/// Reads a query file (a plain body, or one naming its view; see `api::query_file`), with
/// the path and the position of any error.
pub fn load_query_file(path: &std::path::Path) -> anyhow::Result<QueryFile> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("could not read the query file ({})", path.display()))?;
    parse_query_file(&text)
        .map_err(|err| anyhow::anyhow!("the query file is not a valid query: {err} ({})", path.display()))
}

/// Looks up a preset by name (ignoring case) or a built-in's id: the user's presets in
/// `config_dir`, then the built-in ones. Relative times in it stay unresolved; the run
/// resolves them.
pub fn resolve_preset(config_dir: Option<&std::path::Path>, name: &str) -> anyhow::Result<QueryBody> {
    Ok(crate::presets::find_preset_query(config_dir, name)?)
}

/// Opens the window and runs it until it is closed.
///
/// With `--exit` the window closes by itself once the automation is done, and an `Err`
/// is returned when the run failed (so the process exits non-zero).
pub fn run_native(options: LaunchOptions) -> anyhow::Result<()> {
    let exit_on_done = options.exit;
    let startup = Startup::prepare(options, AppEnv::from_process())?;
    let failure_slot: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
    let slot = Arc::clone(&failure_slot);
    let mut viewport = egui::ViewportBuilder::default()
        .with_title(APP_NAME)
        .with_app_id(APP_ID)
        .with_inner_size([1280.0, 800.0])
        .with_min_inner_size([720.0, 420.0]);
    if let Some(icon) = icon::window_icon() {
        viewport = viewport.with_icon(Arc::new(icon));
    }
    let native_options = eframe::NativeOptions { viewport, ..eframe::NativeOptions::default() };
    eframe::run_native(
        APP_NAME,
        native_options,
        Box::new(move |cc| {
            let app = ExplorerApp::new(&cc.egui_ctx, startup)?.with_failure_slot(slot);
            Ok(Box::new(app))
        }),
    )
    .map_err(|err| anyhow::anyhow!("the window could not be opened: {err}"))?;
    let failure = failure_slot.lock().map(|mut slot| slot.take()).unwrap_or(None);
    match failure {
        Some(message) if exit_on_done => anyhow::bail!("the run failed: {message}"),
        _ => Ok(()),
    }
}

/// The eframe application.
pub struct ExplorerApp {
    state: WindowState,
    tab_strip: TabStripState,
    screenshots: mpsc::Receiver<(ScreenshotPurpose, Arc<egui::ColorImage>)>,
    failure_slot: Option<Arc<Mutex<Option<String>>>>,
}

impl std::fmt::Debug for ExplorerApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExplorerApp").finish_non_exhaustive()
    }
}

impl ExplorerApp {
    /// Builds the app and starts its worker (which connects in the background).
    pub fn new(ctx: &egui::Context, startup: Startup) -> std::io::Result<ExplorerApp> {
        let Startup {
            env,
            settings,
            launch,
            query,
            query_view,
            preset_name,
            tabs,
            notice,
            settings_read_only,
        } = startup;
        let repaint_ctx = ctx.clone();
        let worker = Worker::spawn(
            WorkerConfig {
                keychain: Arc::clone(&env.keychain),
                demo_dataset: env.demo_dataset,
                demo_page_size: env.demo_page_size,
                client_defaults: env.client_defaults.clone(),
            },
            Arc::new(move || repaint_ctx.request_repaint()),
        )?;
        let server_url = env
            .env_server_url
            .clone()
            .or_else(|| settings.server_url.clone().filter(|url| !url.trim().is_empty()))
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
        apply_theme(ctx, settings.theme);
        let LoadedTabs { tabs: saved_tabs, notice: tabs_notice, read_only: tabs_read_only } = tabs;
        // No tabs saved (a first start, or an upgrade from before tabs): the query the
        // settings kept then, else one empty tab.
        let mut tabs = saved_tabs
            .or_else(|| settings.before_tabs.to_saved_tabs())
            .as_ref()
            .and_then(Tabs::restore)
            .unwrap_or_else(|| Tabs::with_draft(QueryDraft::default()));
        // `--query` / `--preset` open in a tab of their own; the automation acts on it.
        // (A window whose only tab holds nothing at all gets the query in that tab.)
        if let Some(body) = &query {
            let blank =
                tabs.len() == 1 && tabs.active().is_empty() && tabs.active().draft == QueryDraft::default();
            let id = if blank { tabs.active_id() } else { tabs.new_id() };
            let mut tab = QueryTab::new(id, QueryDraft::from_body_in(query_view, body));
            tab.preset_name = preset_name;
            if blank {
                *tabs.active_mut() = tab;
            } else {
                tabs.push(tab);
            }
        }
        if let Some(view) = launch.tab {
            tabs.active_mut().view = view;
        }
        if let Some(offset) = launch.compare {
            let compare = &mut tabs.active_mut().compare;
            compare.enabled = true;
            compare.offset = offset;
        }
        let automation = Automation {
            tab: tabs.active_id(),
            run_pending: launch.run,
            screenshot: launch.screenshot.clone(),
            exit: launch.exit,
            finished: !launch.run && launch.screenshot.is_none() && !launch.exit,
            ..Automation::default()
        };
        let (screenshot_sender, screenshots) = mpsc::channel();
        let mut state = WindowState {
            tabs,
            ids: Default::default(),
            connection: Connection::new(
                server_url,
                settings.server_url.clone(),
                settings.connection,
                env.env_key.clone(),
            ),
            settings: WindowSettings {
                theme: settings.theme,
                dirty_since: None,
                config_dir: env.config_dir.clone(),
                tabs_writable: tabs_read_only.is_none(),
                settings_writable: settings_read_only.is_none(),
                save_dir: env.save_dir.clone(),
            },
            presets: Default::default(),
            run_history: Default::default(),
            export: export_model::Exports { dialog: None, last_dir: settings.last_export_dir.clone() },
            save_dialog: None,
            about: None,
            notice: None,
            automation,
            screenshot_sender,
            worker,
        };

        // Presets and history are read (and written) on the worker, never on this thread.
        state.worker.send(crate::worker::Job::OpenStores { config_dir: env.config_dir.clone() });
        // One notice holds both problems: a second would replace the first before anyone read it.
        let notices: Vec<String> = notice.into_iter().chain(tabs_notice).collect();
        if !notices.is_empty() {
            state.notify(NoticeKind::Warning, notices.join(" "));
        }
        let target = state.connection.startup_target();
        state.connect(target);
        Ok(ExplorerApp { state, tab_strip: TabStripState::default(), screenshots, failure_slot: None })
    }

    /// Where the automation's failure is reported for the exit status.
    pub fn with_failure_slot(mut self, slot: Arc<Mutex<Option<String>>>) -> ExplorerApp {
        self.failure_slot = Some(slot);
        self
    }

    /// The state, for tests and benches.
    pub fn state(&self) -> &WindowState {
        &self.state
    }

    /// Applies a command from outside the UI (tests, benches).
    pub fn handle(&mut self, ctx: &egui::Context, command: Command) {
        self.state.handle(ctx, command);
    }

    /// One frame: events, shortcuts, layout, commands, automation.
    fn frame(&mut self, ui: &mut Ui) {
        let ctx = ui.ctx().clone();
        let mut commands = Vec::new();
        while let Some(event) = self.state.worker.try_recv() {
            commands.push(Command::Worker(event));
        }
        while let Ok((purpose, image)) = self.screenshots.try_recv() {
            commands.push(Command::ScreenshotCaptured { purpose, image });
        }
        self.shortcuts(&ctx, &mut commands);
        for command in commands.drain(..) {
            self.state.handle(&ctx, command);
        }

        if self.state.tabs.forget_old_closed(std::time::Instant::now()) {
            // The "Reopen closed tab" button goes.
            ctx.request_repaint();
        }
        if let Some(closed) = self.state.tabs.last_closed() {
            ctx.request_repaint_after(tabs::REOPEN_WINDOW.saturating_sub(closed.closed_at.elapsed()));
        }

        egui::Panel::top("top_bar").show(ui, |ui| top_bar_ui(ui, &mut self.state, &mut commands));
        let strip_frame = egui::Frame::side_top_panel(ui.style())
            .fill(ui.visuals().extreme_bg_color)
            .inner_margin(egui::Margin { left: 6, right: 6, top: 4, bottom: 0 });
        egui::Panel::top("tab_strip").frame(strip_frame).show(ui, |ui| {
            tab_strip_ui::tab_strip_ui(ui, &self.state.tabs, &mut self.tab_strip, &mut commands);
        });
        egui::Panel::bottom("status_bar").show(ui, |ui| {
            drill_ui::provenance_ui(ui, self.state.active().drilled_from.as_ref());
            let on_demo = self.state.connection_info().is_some_and(|info| info.kind == ConnectionKind::Demo);
            status_ui::status_ui(
                ui,
                &self.state.active().run,
                on_demo,
                self.state.notice.as_ref(),
                &mut commands,
            );
        });
        egui::Panel::left("query_panel")
            .resizable(true)
            .default_size(470.0)
            .size_range(320.0..=900.0)
            .show(ui, |ui| self.query_panel_ui(ui, &ctx, &mut commands));
        if self.state.run_history.panel_open {
            egui::Panel::right("history_panel")
                .resizable(true)
                .default_size(360.0)
                .size_range(260.0..=700.0)
                .show(ui, |ui| history_ui::history_panel_ui(ui, &mut self.state.run_history, &mut commands));
        }
        egui::CentralPanel::default().show(ui, |ui| self.centre_ui(ui, &mut commands));

        connection_ui::connection_dialog_ui(&ctx, &mut self.state.connection, &mut commands);
        save_dialog::save_dialog_ui(&ctx, &mut self.state.save_dialog, &mut commands);
        let export_context = match self.state.export.dialog.as_ref().and_then(|d| self.state.tabs.get(d.tab))
        {
            Some(tab) => export_model::ExportContext::of(&tab.run, &tab.grid),
            None => export_model::ExportContext::default(),
        };
        export_dialog::export_dialog_ui(&ctx, &mut self.state.export.dialog, &export_context, &mut commands);
        presets_ui::presets_dialogs_ui(&ctx, &mut self.state.presets, &mut commands);
        history_ui::clear_confirm_ui(&ctx, &self.state.run_history, &mut commands);
        about_ui::about_dialog_ui(&ctx, self.state.about.as_ref(), &mut commands);

        for command in commands {
            self.state.handle(&ctx, command);
        }
        self.automation_step(&ctx);
        self.state.save_settings_if_due(SETTINGS_SAVE_DELAY);
        if let Some(since) = self.state.settings.dirty_since {
            ctx.request_repaint_after(SETTINGS_SAVE_DELAY.saturating_sub(since.elapsed()));
        }
    }

    fn shortcuts(&self, ctx: &egui::Context, commands: &mut Vec<Command>) {
        let tab = self.state.active();
        let pending = tab.run.pending_id().is_some();
        let loading = tab.load_all.loading_id().is_some();
        // A focused text field keeps Ctrl+Z for its own text; elsewhere it undoes query edits.
        let text_focused = ctx.text_edit_focused();
        ctx.input_mut(|input| {
            // Tabs, like a browser's. Most specific first: Ctrl+Shift+T before Ctrl+T.
            if input.consume_key(Modifiers::COMMAND | Modifiers::SHIFT, Key::T) {
                commands.push(Command::ReopenClosedTab);
            } else if input.consume_key(Modifiers::COMMAND, Key::T) {
                commands.push(Command::NewTab);
            }
            if input.consume_key(Modifiers::COMMAND, Key::W) {
                commands.push(Command::CloseTab(tab.id));
            }
            if input.consume_key(Modifiers::CTRL | Modifiers::SHIFT, Key::Tab) {
                commands.push(Command::CycleTab(false));
            } else if input.consume_key(Modifiers::CTRL, Key::Tab) {
                commands.push(Command::CycleTab(true));
            }
            if input.consume_key(Modifiers::COMMAND, Key::Enter) {
                commands.push(Command::Run);
            }
            if pending && input.consume_key(Modifiers::NONE, Key::Escape) {
                commands.push(Command::Cancel);
            } else if loading && input.consume_key(Modifiers::NONE, Key::Escape) {
                commands.push(Command::CancelLoadAll);
            }
            if !text_focused {
                // Most specific first: Ctrl+Z also matches Ctrl+Shift+Z logically.
                if input.consume_key(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z)
                    || input.consume_key(Modifiers::COMMAND, Key::Y)
                {
                    commands.push(Command::Redo);
                } else if input.consume_key(Modifiers::COMMAND, Key::Z) {
                    commands.push(Command::Undo);
                }
            }
        });
    }

    fn query_panel_ui(&mut self, ui: &mut Ui, ctx: &egui::Context, commands: &mut Vec<Command>) {
        ui.add_space(4.0);
        ui.horizontal(|ui| {
            ui.label(RichText::new("Query").heading());
            let problem_count = self.state.active().derived.problems.len();
            if problem_count > 0 {
                ui.label(
                    RichText::new(format!("⚠ {problem_count} problem(s)")).color(ui.visuals().warn_fg_color),
                );
            }
        });
        ui.separator();
        egui::ScrollArea::vertical().id_salt("query_form_scroll").auto_shrink([false, false]).show(
            ui,
            |ui| {
                let WindowState { tabs, connection, .. } = &mut self.state;
                let tab = tabs.active_mut();
                let form_ctx =
                    FormContext { problems: &tab.derived.problems, suggestions: &connection.suggestions };
                // Each tab's form keeps its own widget state (open menus, scroll).
                let output = ui.push_id(tab.id, |ui| query_form_ui(ui, &mut tab.draft, &form_ctx)).inner;
                if output.changed {
                    let coalesce_key = if ctx.text_edit_focused() {
                        ctx.memory(|memory| memory.focused()).map(|id| id.value())
                    } else {
                        None
                    };
                    commands.push(Command::DraftEdited { coalesce_key });
                }
                if let Some(view) = output.view {
                    commands.push(Command::SetQueryView(view));
                }
                commands.extend(
                    output
                        .requests
                        .into_iter()
                        .map(|request| Command::Connection(ConnectionCommand::FetchSuggestion(request))),
                );
            },
        );
    }

    fn centre_ui(&mut self, ui: &mut Ui, commands: &mut Vec<Command>) {
        let (base_url, auth) = match self.state.connection_info() {
            Some(info) if info.kind == ConnectionKind::Demo => {
                (info.base_url.clone(), CurlAuth::Token(DEMO_TOKEN))
            }
            Some(info) if info.key_source.is_none() => (info.base_url.clone(), CurlAuth::Without),
            Some(info) => (info.base_url.clone(), CurlAuth::KeyFromEnvironment),
            None => (self.state.connection.server_url.clone(), CurlAuth::KeyFromEnvironment),
        };
        let WindowState { tabs, export, presets, run_history, connection, .. } = &mut self.state;
        let tab = tabs.active_mut();
        ui.horizontal(|ui| {
            for view in ResultView::ALL {
                if ui.selectable_label(tab.view == view, view.title()).clicked() {
                    commands.push(Command::SetView(view));
                }
            }
            if matches!(tab.view, ResultView::Table | ResultView::Chart) {
                ui.separator();
                let availability = compare_model::compare_availability(
                    tab.draft.view,
                    tab.derived.body.as_ref(),
                    jiff::Timestamp::now(),
                );
                compare_ui::compare_toggle_ui(ui, &tab.compare, &availability, commands);
            }
            if tab.view == ResultView::Table {
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    // The dialog belongs to this tab's result only if it was opened for it.
                    let dialog = export.dialog.as_ref().filter(|dialog| dialog.tab == tab.id);
                    export_dialog::export_button_ui(ui, &tab.run, dialog, commands);
                });
            }
        });
        if tab.view != ResultView::Response
            && let Some(failure) = tab.run.failure()
        {
            response_ui::failure_banner_ui(ui, failure, tab.show_error_details, commands);
        }
        table_tab::load_progress_ui(ui, &tab.load_all, commands);
        if matches!(tab.view, ResultView::Table | ResultView::Chart) {
            compare_ui::compare_summary_ui(
                ui,
                &tab.compare,
                tab.run.outcome().map(|outcome| outcome.request_id),
            );
        }
        ui.separator();
        // Widget state (grid scroll, chart zoom) is per tab.
        ui.push_id(tab.id, |ui| match tab.view {
            ResultView::Table => {
                let start_page = || StartPage {
                    presets: presets.store.as_ref().map(|store| store.list()),
                    recent_runs: run_history.store.as_ref().map(|store| store.entries()),
                    connection: start_connection(&connection.status),
                    now: jiff::Timestamp::now(),
                };
                let (run, load_all, grid, compare) = (&tab.run, &tab.load_all, &mut tab.grid, &tab.compare);
                table_tab::table_tab_ui(ui, run, load_all, grid, compare, start_page, commands)
            }
            ResultView::Chart => chart_tab::chart_tab_ui(
                ui,
                &tab.run,
                &mut tab.series_cache,
                &mut tab.chart_settings,
                &mut tab.compare,
                commands,
            ),
            ResultView::Request => {
                let inspector_ctx = InspectorContext {
                    derived: &tab.derived,
                    base_url: &base_url,
                    auth,
                    view: tab.draft.view,
                };
                inspector_ui(ui, &mut tab.inspector, &inspector_ctx, commands);
            }
            ResultView::Response => response_ui::response_ui(ui, &tab.run, commands),
        });
    }

    /// Advances `--run` / `--screenshot` / `--exit`.
    fn automation_step(&mut self, ctx: &egui::Context) {
        if let (Some(slot), Some(failure)) = (&self.failure_slot, &self.state.automation.failure)
            && let Ok(mut slot) = slot.lock()
            && slot.is_none()
        {
            *slot = Some(failure.clone());
        }
        let automation = &self.state.automation;
        if automation.finished || automation.screenshot_requested {
            return;
        }
        let comparing = self
            .state
            .tabs
            .get(automation.tab)
            .is_some_and(|tab| matches!(tab.compare.run, compare_model::CompareRun::Pending { .. }));
        let waiting = automation.run_pending
            || comparing
            || automation.run_id.is_some()
            || matches!(self.state.connection.status, ConnectionStatus::Connecting);
        if waiting {
            self.state.automation.settled_frames = 0;
            return;
        }
        self.state.automation.settled_frames += 1;
        ctx.request_repaint();
        if self.state.automation.settled_frames < SETTLE_FRAMES {
            return;
        }
        if self.state.automation.screenshot.is_some() {
            self.state.automation.screenshot_requested = true;
            self.state.request_screenshot(ctx, ScreenshotPurpose::Automation);
        } else {
            self.state.finish_automation(ctx);
        }
    }
}

impl eframe::App for ExplorerApp {
    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        self.frame(ui);
    }

    fn raw_input_hook(&mut self, _ctx: &egui::Context, raw_input: &mut egui::RawInput) {
        if self.state.automation.screenshot.is_some() {
            // A scripted screenshot shows the window itself, not hover highlights and tooltips
            // from wherever the pointer happens to rest.
            raw_input.events.retain(|event| {
                !matches!(
                    event,
                    egui::Event::PointerMoved(_)
                        | egui::Event::MouseMoved(_)
                        | egui::Event::PointerButton { .. }
                        | egui::Event::MouseWheel { .. }
                        | egui::Event::Touch { .. }
                )
            });
            raw_input.events.push(egui::Event::PointerGone);
        }
    }

    fn save(&mut self, _storage: &mut dyn eframe::Storage) {
        // eframe keeps window size and panel widths; our settings go to their own file.
        if self.state.settings.dirty_since.is_some() {
            self.state.save_settings_if_due(Duration::ZERO);
        }
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        // The worker may be gone by the time a job would run: write directly, once, at exit.
        if let Some(dir) = self.state.settings_dir() {
            if self.state.settings.settings_writable
                && let Err(err) = self.state.current_settings().save(&dir)
            {
                tracing::warn!("{err}");
            }
            if self.state.settings.tabs_writable
                && let Err(err) = self.state.current_tabs().save(&dir)
            {
                tracing::warn!("{err}");
            }
        }
    }
}

/// The connection as the start page explains it.
fn start_connection(status: &ConnectionStatus) -> StartConnection<'_> {
    match status {
        ConnectionStatus::Connecting => StartConnection::Connecting,
        ConnectionStatus::Connected(info) if info.kind == ConnectionKind::Demo => StartConnection::Demo,
        ConnectionStatus::Connected(info) => StartConnection::Remote { url: &info.base_url },
        ConnectionStatus::Failed { message } => StartConnection::Failed { message },
    }
}

/// Title, Run / Cancel, undo / redo, presets, theme, connection.
fn top_bar_ui(ui: &mut Ui, state: &mut WindowState, commands: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        ui.label(RichText::new(APP_NAME).strong().size(16.0));
        ui.separator();
        let blocked = state.run_blocked_reason();
        let run = ui
            .add_enabled(blocked.is_none(), egui::Button::new(RichText::new("▶ Run").strong()))
            .on_hover_text("Run the query (Ctrl+Enter)")
            .on_disabled_hover_text(blocked.as_deref().unwrap_or_default())
            .accessible_name("Run");
        if run.clicked() {
            commands.push(Command::Run);
        }
        let pending = state.active().run.pending_id().is_some();
        let cancel = ui
            .add_enabled(pending, egui::Button::new("■ Cancel"))
            .on_hover_text("Cancel the run (Esc); the previous result stays")
            .on_disabled_hover_text("Nothing is running")
            .accessible_name("Cancel");
        if cancel.clicked() {
            commands.push(Command::Cancel);
        }
        ui.separator();
        let undo = ui
            .add_enabled(state.active().undo.can_undo(), egui::Button::new("Undo"))
            .on_hover_text("Undo the last query edit (Ctrl+Z)")
            .on_disabled_hover_text("Nothing to undo")
            .accessible_name("Undo");
        if undo.clicked() {
            commands.push(Command::Undo);
        }
        let redo = ui
            .add_enabled(state.active().undo.can_redo(), egui::Button::new("Redo"))
            .on_hover_text("Redo (Ctrl+Shift+Z)")
            .on_disabled_hover_text("Nothing to redo")
            .accessible_name("Redo");
        if redo.clicked() {
            commands.push(Command::Redo);
        }
        ui.separator();
        let WindowState { presets, tabs, .. } = state;
        presets_ui::presets_menu_ui(ui, presets, &tabs.active().derived, commands);
        let history = ui
            .selectable_label(state.run_history.panel_open, "History")
            .on_hover_text("Show or hide the runs of this and earlier sessions");
        if history.clicked() {
            commands.push(Command::History(crate::app::history_model::HistoryCommand::TogglePanel));
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let about =
                ui.button("About").on_hover_text("Version, licence and where the app keeps its files");
            if about.clicked() {
                commands.push(Command::About(about_model::AboutCommand::Open));
            }
            let (icon, next) = if ui.visuals().dark_mode { ("☀", "light") } else { ("🌙", "dark") };
            let theme = ui
                .button(icon)
                .on_hover_text(format!("Switch to the {next} theme (right-click: follow the system)"))
                .accessible_name("Toggle theme");
            if theme.clicked() {
                commands.push(Command::ToggleTheme);
            }
            if theme.secondary_clicked() {
                commands.push(Command::SetTheme(crate::settings::ThemeSetting::System));
            }
            ui.separator();
            connection_ui::connection_bar_ui(ui, &state.connection, commands);
        });
    });
}
