//! The run history's model: the worker's snapshot of the store, the runs in flight, the
//! panel's search and [`HistoryCommand`]. No egui: `history_ui.rs` draws it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use jiff::Timestamp;

use crate::api::query::QueryBody;
use crate::api::view::View;
use crate::app::effects::{AfterOpen, Effect, OpenRequest};
use crate::app::grid_ui::GridSortKey;
use crate::app::presets_model::grid_sort_keys;
use crate::app::state::{NoticeKind, RunState};
use crate::history::{HistoryEntry, HistoryStore, RunStatus};
use crate::worker::{HistoryOp, HistoryUpdate, Job};

/// A run on its way, as it started.
#[derive(Debug, Clone)]
struct StartedRun {
    view: View,
    query: QueryBody,
    server_url: String,
    started_at: Timestamp,
    started: Instant,
}

/// The window's side of the run history.
#[derive(Debug, Default)]
pub struct RunHistory {
    /// The History panel is shown.
    pub panel_open: bool,
    /// The panel's search text.
    pub search: String,
    /// "Clear history" waits for confirmation.
    pub confirm_clear: bool,
    /// The history as the worker last reported it; `None` until loaded.
    pub store: Option<Arc<HistoryStore>>,
    /// What went wrong loading or saving the history, until dismissed.
    pub warning: Option<String>,
    /// Runs sent and not ended, by the window's request id.
    in_flight: HashMap<u64, StartedRun>,
    /// Increases with every new snapshot, so the search is redone only then.
    pub(crate) generation: u64,
    /// The entries matching the search (indices into the newest-first list), for the
    /// snapshot generation and the search text they were computed for.
    view: Option<(u64, String, Vec<usize>)>,
}

impl RunHistory {
    /// Number of runs sent and not yet ended.
    pub fn in_flight_count(&self) -> usize {
        self.in_flight.len()
    }

    /// Remembers a run just sent: `query` as the builder had it (relative times unresolved),
    /// sent to `server_url`.
    pub fn run_started(&mut self, request_id: u64, view: View, query: QueryBody, server_url: String) {
        let started =
            StartedRun { view, query, server_url, started_at: Timestamp::now(), started: Instant::now() };
        self.in_flight.insert(request_id, started);
    }

    /// The record of a run that ended, read from its tab's run state (`run`): its answer or
    /// its failure when the state shows this run, otherwise it was cancelled or superseded.
    /// Call after the run state changed; `None` for runs not remembered (already recorded).
    /// The job writes the record.
    pub fn run_ended(&mut self, request_id: u64, run: Option<&RunState>) -> Option<Job> {
        let started = self.in_flight.remove(&request_id)?;
        let elapsed_ms = u64::try_from(started.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let mut entry = HistoryEntry {
            view: started.view,
            query: started.query,
            server_url: started.server_url,
            started_at: started.started_at,
            duration_ms: elapsed_ms,
            status: RunStatus::Cancelled,
            ..HistoryEntry::default()
        };
        match run {
            Some(RunState::Done(outcome)) if outcome.request_id == request_id => {
                entry.status = RunStatus::Ok;
                entry.duration_ms = outcome.duration_ms;
                entry.rows = Some(outcome.row_count() as u64);
                entry.total = Some(outcome.meta.total);
                entry.request_id.clone_from(&outcome.server_request_id);
            }
            Some(RunState::Failed { error, .. }) if error.request_id == request_id => {
                entry.status = RunStatus::Failed { message: error.summary.clone() };
                entry.duration_ms = error.duration_ms;
                entry.request_id.clone_from(&error.details.request_id);
            }
            _ => {}
        }
        Some(Job::History(HistoryOp::Record(Box::new(entry))))
    }

    /// Indices (into [`HistoryStore::entries`], newest first) of the entries matching the
    /// search; recomputed only when the snapshot or the text changed, since matching
    /// serialises every query.
    pub(crate) fn matching(&mut self) -> Vec<usize> {
        let Some(store) = &self.store else { return Vec::new() };
        if let Some((generation, text, indices)) = &self.view
            && *generation == self.generation
            && *text == self.search
        {
            return indices.clone();
        }
        let entries = store.entries();
        let hits = store.search(&self.search);
        // Both lists are newest first, so one pass pairs them.
        let mut indices = Vec::with_capacity(hits.len());
        let mut next_hit = hits.iter().peekable();
        for (index, entry) in entries.iter().enumerate() {
            if next_hit.peek().is_some_and(|hit| std::ptr::eq(**hit, *entry)) {
                indices.push(index);
                next_hit.next();
            }
        }
        self.view = Some((self.generation, self.search.clone(), indices.clone()));
        indices
    }
}

/// What the history UI asks for; applied by [`RunHistory::update`].
#[derive(Debug, Clone, PartialEq)]
pub enum HistoryCommand {
    /// Show or hide the History panel.
    TogglePanel,
    /// Load an entry's query: into the tab shown when it is empty (one undo step), else
    /// into a new tab.
    Restore {
        /// The entry.
        id: String,
        /// Always into a new tab (Ctrl+click).
        new_tab: bool,
    },
    /// Load an entry's query as [`HistoryCommand::Restore`] does, and run it.
    Rerun {
        /// The entry.
        id: String,
        /// Always into a new tab (Ctrl+click).
        new_tab: bool,
    },
    /// Ask before forgetting every entry.
    AskClear,
    /// Forget every entry.
    Clear,
    /// Keep the history after all.
    CancelClear,
    /// Hide the warning.
    DismissWarning,
}

impl RunHistory {
    /// Applies a history command to the panel's state and returns what the rest of the
    /// window must do.
    pub fn update(&mut self, command: HistoryCommand) -> Vec<Effect> {
        match command {
            HistoryCommand::TogglePanel => self.panel_open = !self.panel_open,
            HistoryCommand::Restore { id, new_tab } => return self.open_entry(&id, new_tab, false),
            HistoryCommand::Rerun { id, new_tab } => return self.open_entry(&id, new_tab, true),
            HistoryCommand::AskClear => self.confirm_clear = true,
            HistoryCommand::Clear => {
                self.confirm_clear = false;
                return vec![Effect::Job(Job::History(HistoryOp::Clear))];
            }
            HistoryCommand::CancelClear => self.confirm_clear = false,
            HistoryCommand::DismissWarning => self.warning = None,
        }
        Vec::new()
    }

    /// Opens an entry's query, or says it is gone.
    fn open_entry(&self, id: &str, new_tab: bool, run: bool) -> Vec<Effect> {
        let Some((view, query, grid_sort)) = self.entry_query(id) else {
            return vec![Effect::notify(NoticeKind::Warning, "That run is no longer in the history.")];
        };
        let then = if run {
            AfterOpen::Run
        } else {
            AfterOpen::Say {
                in_tab_shown: "Restored the query of that run (Undo goes back).".to_string(),
                in_new_tab: "Restored the query of that run in a new tab.".to_string(),
            }
        };
        vec![Effect::Open(OpenRequest { view, query, grid_sort, new_tab, preset_name: None, then })]
    }

    /// The recorded query of an entry, and the grid sort it starts its result with, unless
    /// it is gone or was too large to record.
    fn entry_query(&self, id: &str) -> Option<(View, QueryBody, Vec<GridSortKey>)> {
        let entry = self.store.as_ref()?.get(id)?;
        (!entry.query_omitted).then(|| (entry.view, entry.query.clone(), grid_sort_keys(&entry.grid_sort)))
    }

    /// Takes the worker's new snapshot of the history. A history that cannot be saved
    /// says so once, not after every run.
    pub fn on_changed(&mut self, update: HistoryUpdate) -> Vec<Effect> {
        self.store = Some(update.store);
        self.generation += 1;
        match update.warning {
            Some(warning) if self.warning.as_ref() != Some(&warning) => {
                self.warning = Some(warning.clone());
                vec![Effect::Notify(NoticeKind::Warning, warning)]
            }
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_store() -> RunHistory {
        let mut history = RunHistory::default();
        let effects =
            history.on_changed(HistoryUpdate { store: Arc::new(HistoryStore::in_memory()), warning: None });
        assert!(effects.is_empty());
        history
    }

    #[test]
    fn restoring_a_run_no_longer_recorded_only_warns() {
        let mut history = with_store();
        for command in [
            HistoryCommand::Restore { id: "gone".to_string(), new_tab: false },
            HistoryCommand::Rerun { id: "gone".to_string(), new_tab: true },
        ] {
            let effects = history.update(command);
            assert!(
                matches!(effects.as_slice(), [Effect::Notify(NoticeKind::Warning, text)] if text.contains("no longer")),
                "{effects:?}"
            );
        }
    }

    #[test]
    fn clearing_asks_first_then_sends_the_job() {
        let mut history = with_store();
        assert!(history.update(HistoryCommand::AskClear).is_empty());
        assert!(history.confirm_clear);
        let effects = history.update(HistoryCommand::Clear);
        assert!(!history.confirm_clear);
        assert!(matches!(effects.as_slice(), [Effect::Job(Job::History(HistoryOp::Clear))]), "{effects:?}");
    }

    #[test]
    fn a_save_warning_is_told_once() {
        let mut history = with_store();
        let update = || HistoryUpdate {
            store: Arc::new(HistoryStore::in_memory()),
            warning: Some("The history could not be saved.".to_string()),
        };
        assert_eq!(history.on_changed(update()).len(), 1);
        assert!(history.on_changed(update()).is_empty());
        assert_eq!(history.warning.as_deref(), Some("The history could not be saved."));
    }
}
