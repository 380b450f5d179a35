//! The headless window the frame benchmarks drive (`benches/frame.rs`, `benches/tabs.rs`):
//! the real app on an egui context, one frame being what eframe does on the CPU (the app's
//! UI pass and the tessellation of its shapes; only the GPU upload is left out).

// A benchmark that cannot build its input has nothing to measure: failing loudly is right.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use eframe::App as _;
use inkeep_explorer::api::query::QueryBody;
use inkeep_explorer::app::commands::Command;
use inkeep_explorer::app::connection_model::ConnectionStatus;
use inkeep_explorer::app::{AppEnv, ExplorerApp, LaunchOptions, Startup};

/// The window's size in points.
const SIZE: egui::Vec2 = egui::vec2(1400.0, 900.0);

/// The app on a headless egui context.
pub struct Window {
    /// The egui context the frames run on.
    pub ctx: egui::Context,
    /// The app.
    pub app: ExplorerApp,
    frame: eframe::Frame,
}

impl Window {
    /// Prepares the startup (reading the settings of `env.config_dir`, if any) and builds the
    /// app, which starts its worker and asks it to connect. `query` opens in a tab of its own.
    pub fn open_in(env: AppEnv, query: Option<QueryBody>, launch: LaunchOptions) -> Window {
        let mut startup = Startup::prepare(launch, env).unwrap();
        if query.is_some() {
            startup.query = query;
        }
        let ctx = egui::Context::default();
        let app = ExplorerApp::new(&ctx, startup).unwrap();
        Window { ctx, app, frame: eframe::Frame::_new_kittest() }
    }

    /// Applies a command, as a click would.
    pub fn handle(&mut self, command: Command) {
        self.app.handle(&self.ctx, command);
    }

    /// One frame: UI pass, then tessellation.
    pub fn frame(&mut self) {
        let output = self.ui_pass();
        let primitives = self.ctx.tessellate(output.shapes, output.pixels_per_point);
        black_box(primitives.len());
    }

    /// The UI pass alone.
    pub fn ui_pass(&mut self) -> egui::FullOutput {
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, SIZE)),
            ..egui::RawInput::default()
        };
        let Window { ctx, app, frame } = self;
        let mut output = ctx.run_ui(input, |ui| app.ui(ui, frame));
        // No renderer here: the font atlas updates are dropped on purpose.
        output.textures_delta.clear();
        output
    }

    /// True once the worker connected (to the embedded demo API).
    pub fn is_connected(&self) -> bool {
        connected(&self.app)
    }

    /// Draws frames until `done` holds (the worker answers between frames), failing after
    /// `timeout`; then a few more to settle layout (first-frame sizing passes).
    pub fn frames_until(&mut self, what: &str, timeout: Duration, done: impl Fn(&ExplorerApp) -> bool) {
        let deadline = Instant::now() + timeout;
        while !done(&self.app) {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            self.frame();
            std::thread::sleep(Duration::from_millis(5));
        }
        for _ in 0..5 {
            self.frame();
        }
    }
}

/// True once the app's worker connected (to the embedded demo API).
pub fn connected(app: &ExplorerApp) -> bool {
    matches!(app.state().connection.status, ConnectionStatus::Connected(_))
}
