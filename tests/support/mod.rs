//! Shared kittest helpers: the window harness built as the real window is, stepping frames
//! until a condition holds (with a deadline and a message), and acting on widgets by the
//! names a person reads (click, type, pick, unfocus) — one copy for every test that drives
//! the window or a component of it (`tests/ui_*.rs`, `keychain.rs`, `faults.rs`, `load.rs`).
//!
//! `Harness::run` does not wait for the worker, so window tests step frames in a loop until
//! a condition on the state holds, failing after a deadline with what they waited for.

// Every `tests/*.rs` is a crate of its own that compiles this module with `mod support;`, so a
// helper one test file does not call is dead code in that crate while another file uses it.
#![allow(dead_code)]
// Helpers panic on purpose: a failed step is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::{Duration, Instant};

use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use inkeep_explorer::api::client::ApiKey;
use inkeep_explorer::api::query::{QueryBody, parse_query};
use inkeep_explorer::app::commands::Command;
use inkeep_explorer::app::connection_model::ConnectionStatus;
use inkeep_explorer::app::state::{RunOutcome, RunState};
use inkeep_explorer::app::tab::QueryTab;
use inkeep_explorer::app::window::WindowState;
use inkeep_explorer::app::{AppEnv, ExplorerApp, LaunchOptions, Startup};
use inkeep_explorer::worker::ConnectionKind;

/// The window size of every window test: room for the builder, the grid and the dialogs.
pub const WINDOW_SIZE: egui::Vec2 = egui::vec2(1400.0, 900.0);

/// How long any wait may take before the test fails as a hang.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// The window under test.
pub type Window = Harness<'static, ExplorerApp>;

/// How a harness lets the frames after an input settle.
///
/// A component drawn alone (the query form) has nothing running behind it, so it must be
/// still within the harness's step budget and `Harness::run` fails the test otherwise; the
/// whole window keeps repainting while its worker works (spinners), so it runs the budget
/// and goes on (`Harness::run_ok`).
pub trait Settle: Sized {
    /// Runs the frames that follow an input.
    fn settle(harness: &mut Harness<'_, Self>);
}

impl Settle for ExplorerApp {
    fn settle(harness: &mut Harness<'_, Self>) {
        harness.run_ok();
    }
}

/// Opens the window as `inkeep-explorer` does (settings from `env`'s config dir, `launch`'s
/// flags), with `query` in the builder when given.
pub fn open_window(launch: LaunchOptions, env: AppEnv, query: Option<QueryBody>) -> Window {
    let mut startup = Startup::prepare(launch, env).expect("startup");
    if query.is_some() {
        startup.query = query;
    }
    Harness::builder()
        .with_size(WINDOW_SIZE)
        .build_eframe(move |cc| ExplorerApp::new(&cc.egui_ctx, startup).expect("the app starts"))
}

/// Opens the window with no flags on `env`, with `query` in the builder when given.
pub fn window(env: AppEnv, query: Option<QueryBody>) -> Window {
    open_window(LaunchOptions::default(), env, query)
}

/// The environment of a window connected to `url` with a key from the environment, as a
/// user with `INKEEPANALYTICS_SERVER_URL` and `INKEEPANALYTICS_API_INTEGRATION_KEY` set.
pub fn remote_env(url: &str) -> AppEnv {
    AppEnv {
        env_key: Some(ApiKey::new("fault-test-key".to_string())),
        env_server_url: Some(url.to_string()),
        ..AppEnv::isolated(100)
    }
}

/// An isolated environment (mock keychain, embedded demo API of `demo_rows` conversations)
/// whose settings, presets and history live in `config_dir`, or nowhere when `None`.
pub fn env_in(config_dir: Option<&Path>, demo_rows: u64) -> AppEnv {
    AppEnv { config_dir: config_dir.map(Path::to_path_buf), ..AppEnv::isolated(demo_rows) }
}

/// The window's state.
pub fn app<'a>(harness: &'a Harness<'_, ExplorerApp>) -> &'a WindowState {
    harness.state().state()
}

/// The query tab shown.
pub fn active_tab<'a>(harness: &'a Harness<'_, ExplorerApp>) -> &'a QueryTab {
    app(harness).active()
}

/// The query tab with this title; fails the test when there is none.
pub fn tab_titled<'a>(state: &'a WindowState, title: &str) -> &'a QueryTab {
    state.tabs.iter().find(|tab| tab.title() == title).unwrap_or_else(|| {
        let titles: Vec<String> = state.tabs.iter().map(QueryTab::title).collect();
        panic!("no tab titled {title:?}; the tabs are {titles:?}")
    })
}

/// Steps frames until `condition` holds, failing as a hang after [`DEADLINE`] naming `what`;
/// then lets the frame after the change settle (layout passes, popups).
pub fn step_until(
    harness: &mut Harness<'_, ExplorerApp>,
    what: &str,
    condition: impl Fn(&WindowState) -> bool,
) {
    let deadline = Instant::now() + DEADLINE;
    while !condition(app(harness)) {
        assert!(Instant::now() < deadline, "hang: {what} did not happen within {DEADLINE:?}");
        harness.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    harness.run_ok();
}

/// Steps frames until `condition` — something outside the window's state, such as a file
/// the worker writes — holds, failing as a hang after [`DEADLINE`] naming `what`.
pub fn step_until_outside(harness: &mut Harness<'_, ExplorerApp>, what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + DEADLINE;
    while !condition() {
        assert!(Instant::now() < deadline, "hang: {what} did not happen within {DEADLINE:?}");
        harness.step();
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Applies `command` as the UI would push it, between frames (no frame runs).
pub fn command(harness: &mut Harness<'_, ExplorerApp>, command: Command) {
    let ctx = harness.ctx.clone();
    harness.state_mut().handle(&ctx, command);
}

/// Puts the query `json` in the builder, as opening a file or a preset does.
pub fn load_query(harness: &mut Harness<'_, ExplorerApp>, json: &str) {
    command(harness, Command::LoadQuery(Box::new(parse_query(json).unwrap())));
    harness.run_ok();
}

/// True once the window is connected, to anything.
pub fn is_connected(state: &WindowState) -> bool {
    matches!(state.connection.status, ConnectionStatus::Connected(_))
}

/// True once the window is connected to a server of `kind`.
pub fn connected(kind: ConnectionKind) -> impl Fn(&WindowState) -> bool {
    move |state| matches!(&state.connection.status, ConnectionStatus::Connected(info) if info.kind == kind)
}

/// True once the last run ended, answered or failed.
pub fn finished(state: &WindowState) -> bool {
    matches!(state.active().run, RunState::Done(_) | RunState::Failed { .. })
}

/// The answer of the last run; fails when there is none.
pub fn outcome<'a>(harness: &'a Harness<'_, ExplorerApp>) -> &'a RunOutcome {
    app(harness).active().run.outcome().expect("a result")
}

/// The values of column `name` in the order the grid shows them.
pub fn grid_column(harness: &Harness<'_, ExplorerApp>, name: &str) -> Vec<String> {
    let table = &outcome(harness).table;
    let col = table.column_index(name).unwrap_or_else(|| panic!("no column {name}"));
    app(harness)
        .active()
        .grid
        .view()
        .iter()
        .map(|&row| table.cell_text(row as usize, col).into_owned())
        .collect()
}

/// The builder's query; fails with its problems when it is not valid.
pub fn draft_body(state: &WindowState) -> QueryBody {
    state.active().draft.to_body().unwrap_or_else(|problems| panic!("problems: {problems:?}"))
}

/// True when some widget is labelled exactly `text`.
pub fn shows<S>(harness: &Harness<'_, S>, text: &str) -> bool {
    harness.query_all_by_label(text).next().is_some()
}

/// True when some widget's label contains `text`.
pub fn shows_containing<S>(harness: &Harness<'_, S>, text: &str) -> bool {
    harness.query_all_by_label_contains(text).next().is_some()
}

/// Clicks the one widget named `name`.
pub fn click<S: Settle>(harness: &mut Harness<'_, S>, name: &str) {
    harness.get_by_label(name).click();
    S::settle(harness);
}

/// Clicks the `index`-th widget named `name`.
pub fn click_nth<S: Settle>(harness: &mut Harness<'_, S>, name: &str, index: usize) {
    harness.get_all_by_label(name).nth(index).unwrap_or_else(|| panic!("no {name} #{index}")).click();
    S::settle(harness);
}

/// Focuses the one text input named `name` and replaces its text by `text`.
pub fn type_into<S: Settle>(harness: &mut Harness<'_, S>, name: &str, text: &str) {
    // `get_by_label` fails when the name is not unique: the test then says which one it means.
    harness.get_by_label(name);
    type_into_nth(harness, name, 0, text);
}

/// Focuses the `index`-th text input named `name` and replaces its text by `text`.
pub fn type_into_nth<S: Settle>(harness: &mut Harness<'_, S>, name: &str, index: usize, text: &str) {
    harness.get_all_by_label(name).nth(index).unwrap_or_else(|| panic!("no {name} #{index}")).focus();
    S::settle(harness);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    S::settle(harness);
    harness.get_all_by_label(name).nth(index).unwrap_or_else(|| panic!("no {name} #{index}")).type_text(text);
    S::settle(harness);
}

/// Opens the `index`-th combo box named `name` and picks `option` in it.
pub fn pick<S: Settle>(harness: &mut Harness<'_, S>, name: &str, index: usize, option: &str) {
    click_nth(harness, name, index);
    harness.get_by_label(option).click();
    S::settle(harness);
}

/// True when the one widget named `name` is disabled.
pub fn disabled<S>(harness: &Harness<'_, S>, name: &str) -> bool {
    harness.get_by_label(name).accesskit_node().is_disabled()
}

/// Presses Escape: no text field keeps the keyboard (Ctrl+Z then means undo), and an open
/// popup or menu closes.
pub fn unfocus<S: Settle>(harness: &mut Harness<'_, S>) {
    harness.key_press(Key::Escape);
    S::settle(harness);
}

/// A stand-in Analytics API on loopback, served by axum on a runtime of its own that lives
/// as long as this value.
pub struct LocalApi {
    /// Its base URL (`http://127.0.0.1:PORT`).
    pub url: String,
    _runtime: tokio::runtime::Runtime,
}

/// Serves `router` on a free loopback port.
pub fn serve_locally(router: axum::Router) -> LocalApi {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    runtime.spawn(async move { axum::serve(listener, router).await });
    LocalApi { url, _runtime: runtime }
}

/// An export answer that sends a CSV header and one row, then stalls for ten minutes.
pub fn stalled_csv_export() -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let start = futures_util::stream::once(async {
        Ok::<_, std::convert::Infallible>(bytes::Bytes::from_static(b"type,count\nopenai,5\n"))
    });
    let stall = futures_util::stream::once(async {
        tokio::time::sleep(Duration::from_secs(600)).await;
        Ok(bytes::Bytes::new())
    });
    let stream = futures_util::StreamExt::chain(start, stall);
    ([("content-type", "text/csv")], axum::body::Body::from_stream(stream)).into_response()
}
