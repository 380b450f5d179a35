//! The window's state: its features (connection, presets, run history, export, save dialog,
//! settings, notices, automation) and the query [`Tabs`]. Changed only by
//! `WindowState::handle` (in the command module) and the features' own update functions.

use std::sync::{Arc, mpsc};
use std::time::Instant;

use crate::app::about_model::AboutDialog;
use crate::app::connection_model::Connection;
use crate::app::export_model::Exports;
use crate::app::history_model::RunHistory;
use crate::app::presets_model::PresetsMenu;
use crate::app::save_model::SaveDialog;
use crate::app::settings_model::WindowSettings;
use crate::app::state::{Automation, Notice, NoticeKind, RequestIds, ScreenshotPurpose};
use crate::app::tab::QueryTab;
use crate::app::tabs::Tabs;
use crate::worker::{ConnectionInfo, Worker};

/// The window's whole state: window-level features plus the query tabs.
pub struct WindowState {
    /// The query tabs; every query, run and result lives in one of them.
    pub tabs: Tabs,
    /// Ids of runs, loads and exports (unique across tabs).
    pub ids: RequestIds,
    /// The connection: its state and dialog, and the suggestions learnt on it.
    pub connection: Connection,
    /// The theme, and where and when settings and tabs are written.
    pub settings: WindowSettings,
    /// The Presets menu and its dialogs.
    pub presets: PresetsMenu,
    /// The run history: runs in flight, the History panel (undo is per tab).
    pub run_history: RunHistory,
    /// Exporting a tab's result: the dialog and the last export's folder.
    pub export: Exports,
    /// The "Save as" dialog of a chart export, when open.
    pub save_dialog: Option<SaveDialog>,
    /// The About dialog, when open.
    pub about: Option<AboutDialog>,
    /// A short message for the status bar.
    pub notice: Option<Notice>,
    /// Command-line automation.
    pub automation: Automation,
    /// Screenshots come back through here, tagged with what they are for.
    pub screenshot_sender: mpsc::Sender<(ScreenshotPurpose, Arc<egui::ColorImage>)>,
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
    /// [`Command::ScreenshotCaptured`](crate::app::commands::Command::ScreenshotCaptured).
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
        self.connection.info()
    }

    /// Why Run is disabled in the tab shown, or `None` when it is enabled.
    pub fn run_blocked_reason(&self) -> Option<String> {
        let connection = self.connection.blocked_reason();
        self.active().run_blocked_reason(connection.as_deref())
    }

    /// A new id for a run, load or export.
    pub fn next_id(&mut self) -> u64 {
        self.ids.take()
    }
}
