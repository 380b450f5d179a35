//! Driving the window headless through egui_kittest: building the harness, stepping frames
//! until a condition holds (with a deadline, so a hang is a failure), clicking and typing by
//! widget name.

use std::time::{Duration, Instant};

use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use inkeep_explorer::api::client::ApiKey;
use inkeep_explorer::api::query::QueryBody;
use inkeep_explorer::app::command::Command;
use inkeep_explorer::app::state::{ConnectionStatus, RunState};
use inkeep_explorer::app::window::WindowState;
use inkeep_explorer::app::{AppEnv, ExplorerApp, LaunchOptions, Startup};
use inkeep_explorer::worker::ConnectionKind;

/// The window under test.
pub type Window = Harness<'static, ExplorerApp>;

/// How long any wait may take before the test fails as a hang.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// A window with `env`, its query replaced by `query`.
pub fn window(env: AppEnv, query: Option<QueryBody>) -> Window {
    let mut startup = Startup::prepare(LaunchOptions::default(), env).expect("startup");
    startup.query = query;
    Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_eframe(move |cc| ExplorerApp::new(&cc.egui_ctx, startup).expect("the app starts"))
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

/// The window's state.
pub fn app(window: &Window) -> &WindowState {
    window.state().state()
}

/// Steps frames until `condition` holds; fails after [`DEADLINE`] naming `what`.
pub fn step_until(window: &mut Window, what: &str, condition: impl Fn(&WindowState) -> bool) {
    let deadline = Instant::now() + DEADLINE;
    while !condition(app(window)) {
        assert!(Instant::now() < deadline, "hang: {what} did not happen within {DEADLINE:?}");
        window.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    window.run_ok();
}

/// True once connected to a server of `kind`.
pub fn connected(kind: ConnectionKind) -> impl Fn(&WindowState) -> bool {
    move |state| matches!(&state.connection, ConnectionStatus::Connected(info) if info.kind == kind)
}

/// True when no run is pending and one has ended.
pub fn finished(state: &WindowState) -> bool {
    matches!(state.active().run, RunState::Done(_) | RunState::Failed { .. })
}

/// Clicks the widget named `name`.
pub fn click(window: &mut Window, name: &str) {
    window.get_by_label(name).click();
    window.run_ok();
}

/// Replaces the text of the `index`-th input named `name`.
pub fn type_into(window: &mut Window, name: &str, index: usize, text: &str) {
    window.get_all_by_label(name).nth(index).unwrap_or_else(|| panic!("no {name} #{index}")).focus();
    window.run_ok();
    window.key_press_modifiers(Modifiers::COMMAND, Key::A);
    window.run_ok();
    window.get_all_by_label(name).nth(index).unwrap().type_text(text);
    window.run_ok();
    window.key_press(Key::Escape);
    window.run_ok();
}

/// Applies a command as the UI would push it.
pub fn command(window: &mut Window, command: Command) {
    let ctx = window.ctx.clone();
    window.state_mut().handle(&ctx, command);
}

/// True when some widget is labelled exactly `text`.
pub fn shows(window: &Window, text: &str) -> bool {
    window.query_all_by_label(text).next().is_some()
}

/// True when some widget's label contains `text`.
pub fn shows_containing(window: &Window, text: &str) -> bool {
    window.query_all_by_label_contains(text).next().is_some()
}
