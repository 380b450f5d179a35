//! What a window feature's `update` asks of the rest of the window. A feature (presets, run
//! history, export, connection, settings) changes only its own state; everything else it
//! needs — a job for the worker, a notice, a query opened in a tab, a save of the settings,
//! a new connection — it returns as an [`Effect`], and the dispatcher applies them in order.
//! This is what keeps the features from reaching into each other (and the tabs).
//!
//! A leaf like `commands.rs`: it names shared model types only, never a UI module.

use crate::api::query::QueryBody;
use crate::api::view::View;
use crate::app::grid_ui::GridSortKey;
use crate::app::state::NoticeKind;
use crate::worker::{ConnectTarget, Job};

/// One thing a window feature asks the window to do.
#[derive(Debug)]
pub enum Effect {
    /// Send this job to the worker.
    Job(Job),
    /// Show a status-bar notice.
    Notify(NoticeKind, String),
    /// Settings (or tabs) changed: save them soon.
    SettingsChanged,
    /// Open a query in a tab.
    Open(OpenRequest),
    /// Connect (stopping every tab's run, which the new connection would not answer).
    Connect(ConnectTarget),
}

impl Effect {
    /// A notice effect.
    pub fn notify(kind: NoticeKind, text: impl Into<String>) -> Effect {
        Effect::Notify(kind, text.into())
    }
}

/// A query to open: into the tab shown when it is empty (one undo step), else into a new
/// tab right of it.
#[derive(Debug)]
pub struct OpenRequest {
    /// The view the query is for.
    pub view: View,
    /// The query.
    pub query: QueryBody,
    /// The grid sort its first result starts with.
    pub grid_sort: Vec<GridSortKey>,
    /// Always into a new tab (Ctrl+click), even when the tab shown is empty.
    pub new_tab: bool,
    /// The preset it comes from, for the tab's title.
    pub preset_name: Option<String>,
    /// What happens once it is open.
    pub then: AfterOpen,
}

/// What follows opening a query.
#[derive(Debug, Clone, PartialEq)]
pub enum AfterOpen {
    /// Run it (History's Re-run).
    Run,
    /// Say where it went: the first text when it went into the tab shown, the second when
    /// into a new tab.
    Say {
        /// The notice when the tab shown took it.
        in_tab_shown: String,
        /// The notice when a new tab took it.
        in_new_tab: String,
    },
}
