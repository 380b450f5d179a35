//! The window's state: its features (connection, presets, run history, export, save dialog,
//! settings, notices, automation) and the query [`Tabs`]. Changed only by
//! `WindowState::handle` (in the command module) and the features' own update functions.

use std::path::PathBuf;
use std::sync::{Arc, mpsc};
use std::time::Instant;

use crate::api::client::ApiKey;
use crate::app::export_dialog::ExportDialog;
use crate::app::history_ui::RunHistory;
use crate::app::presets_ui::PresetsUi;
use crate::app::query_form::Suggestions;
use crate::app::save_dialog::SaveDialog;
use crate::app::state::{
    Automation, ConnectionDialog, ConnectionStatus, Notice, NoticeKind, ScreenshotPurpose, TestOutcome,
};
use crate::app::tab::QueryTab;
use crate::app::tabs::Tabs;
use crate::settings::{ConnectionChoice, ThemeSetting};
use crate::worker::{ConnectionInfo, Worker};

/// The window's whole state: window-level features plus the query tabs.
pub struct WindowState {
    /// The query tabs; every query, run and result lives in one of them.
    pub tabs: Tabs,
    /// The id the next run, load or export gets (unique across tabs).
    pub next_request_id: u64,
    /// Light, dark or system.
    pub theme: ThemeSetting,
    /// The connection.
    pub connection: ConnectionStatus,
    /// Test connection's outcome, for the connection shown.
    pub test_outcome: Option<TestOutcome>,
    /// The connection dialog.
    pub dialog: ConnectionDialog,
    /// The server URL for real connections (environment, settings or default).
    pub server_url: String,
    /// The server URL the user chose in the connection dialog (what settings keep; an
    /// environment override is not written back).
    pub saved_server_url: Option<String>,
    /// JSON keys and values fetched for this connection (shared by every tab's form).
    pub suggestions: Suggestions,
    /// A short message for the status bar.
    pub notice: Option<Notice>,
    /// Command-line automation.
    pub automation: Automation,
    /// Settings (and tabs) changed since this instant and are not saved yet.
    pub settings_dirty_since: Option<Instant>,
    /// Where settings are kept; `None` keeps nothing (tests).
    pub config_dir: Option<PathBuf>,
    /// `tabs.json` may be written (false when it exists but could not be read or moved aside:
    /// writing would destroy what we could not look at).
    pub tabs_writable: bool,
    /// The key from `INKEEPANALYTICS_API_INTEGRATION_KEY`, when set.
    pub env_key: Option<ApiKey>,
    /// How the window connects at startup and after "Use demo data" / "Connect".
    pub connection_choice: ConnectionChoice,
    /// The "Save as" dialog of a chart export, when open.
    pub save_dialog: Option<SaveDialog>,
    /// Where exports are suggested (the user's download folder); `None` in tests.
    pub save_dir: Option<PathBuf>,
    /// The export dialog of a tab's result, when open.
    pub export_dialog: Option<ExportDialog>,
    /// The folder of the last export (persisted), where the next one is suggested.
    pub last_export_dir: Option<PathBuf>,
    /// Screenshots come back through here, tagged with what they are for.
    pub screenshot_sender: mpsc::Sender<(ScreenshotPurpose, Arc<egui::ColorImage>)>,
    /// The presets shown in the Presets menu and its dialogs.
    pub presets: PresetsUi,
    /// The run history: runs in flight, the History panel (undo is per tab).
    pub run_history: RunHistory,
    /// The background worker.
    pub worker: Worker,
}

impl WindowState {
    /// The tab shown.
    pub fn active(&self) -> &QueryTab {
        self.tabs.active()
    }

    /// The tab shown, to change it.
    pub fn active_mut(&mut self) -> &mut QueryTab {
        self.tabs.active_mut()
    }

    /// Asks egui for a screenshot of the next frame; it arrives as
    /// [`Command::ScreenshotCaptured`](crate::app::command::Command::ScreenshotCaptured).
    pub fn request_screenshot(&self, ctx: &egui::Context, purpose: ScreenshotPurpose) {
        let sender = self.screenshot_sender.clone();
        let repaint = ctx.clone();
        ctx.request_screenshot(move |image| {
            let _ = sender.send((purpose, image));
            repaint.request_repaint();
        });
    }

    /// Posts a status-bar notice.
    pub fn notify(&mut self, kind: NoticeKind, text: impl Into<String>) {
        self.notice = Some(Notice { text: text.into(), kind, at: Instant::now() });
    }

    /// The connection, when there is one.
    pub fn connection_info(&self) -> Option<&ConnectionInfo> {
        match &self.connection {
            ConnectionStatus::Connected(info) => Some(info),
            _ => None,
        }
    }

    /// Why no run can start on the connection now, or `None` when one can.
    pub fn connection_blocked_reason(&self) -> Option<String> {
        match &self.connection {
            ConnectionStatus::Connected(_) => None,
            ConnectionStatus::Connecting => Some("Connecting to the server…".to_string()),
            ConnectionStatus::Failed { message } => Some(format!("Not connected: {message}")),
        }
    }

    /// Why Run is disabled in the tab shown, or `None` when it is enabled.
    pub fn run_blocked_reason(&self) -> Option<String> {
        let connection = self.connection_blocked_reason();
        self.active().run_blocked_reason(connection.as_deref())
    }

    /// A new id for a run, load or export.
    pub fn next_id(&mut self) -> u64 {
        let id = self.next_request_id;
        self.next_request_id += 1;
        id
    }
}
