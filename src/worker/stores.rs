//! The presets and the run history, owned by a thread of the worker.
//!
//! Both stores write their files synchronously (atomically, but with an fsync), so they
//! never live on the UI thread. They are opened and changed here, one operation at a time
//! and in the order sent, on a plain thread of their own: a slow disk then delays neither
//! the window nor the worker's runs. After every operation the thread sends a snapshot of
//! the store (an `Arc`, so the window only reads it) together with what happened in words.
//!
//! Dropping the [`StoreThread`] waits for the operations already sent, so a run recorded
//! just before the window closes still reaches the file.

use std::path::{Path, PathBuf};
use std::sync::{Arc, mpsc};

use crate::api::query::QueryBody;
use crate::api::view::View;
use crate::history::{HistoryEntry, HistoryStore};
use crate::presets::{ImportReport, PresetStore};

use super::{Emitter, Event};

/// A change to the presets, applied on the worker.
#[derive(Debug, Clone, PartialEq)]
pub enum PresetOp {
    /// Save a query as a new preset.
    SaveNew {
        /// Its name (must be free).
        name: String,
        /// Optional free text.
        description: String,
        /// The view the query is for.
        view: View,
        /// The query as the builder has it (relative times unresolved).
        query: QueryBody,
    },
    /// Rename a user preset and change its description, in one step.
    Edit {
        /// The preset.
        id: String,
        /// The new name (its own name is fine).
        name: String,
        /// The new description.
        description: String,
    },
    /// Replace the query of a user preset.
    UpdateQuery {
        /// The preset.
        id: String,
        /// The view the new query is for.
        view: View,
        /// The new query (relative times unresolved).
        query: QueryBody,
    },
    /// Copy a preset (built-in or not) as a new user preset.
    Duplicate {
        /// The preset copied.
        id: String,
    },
    /// Delete a user preset, or hide a built-in one.
    Delete {
        /// The preset.
        id: String,
    },
    /// Show every hidden built-in preset again.
    RestoreBuiltins,
    /// Write presets to a file for sharing.
    Export {
        /// The file.
        path: PathBuf,
        /// The presets written; every user preset when empty.
        ids: Vec<String>,
    },
    /// Add the presets of a shared file (names already taken get a suffix).
    Import {
        /// The file.
        path: PathBuf,
    },
}

/// A change to the run history, applied on the worker.
#[derive(Debug, Clone, PartialEq)]
pub enum HistoryOp {
    /// Record a finished run.
    Record(Box<HistoryEntry>),
    /// Forget one entry.
    Remove {
        /// The entry.
        id: String,
    },
    /// Forget every entry.
    Clear,
}

/// Why the presets snapshot was sent.
#[derive(Debug, Clone, PartialEq)]
pub enum PresetsCause {
    /// The presets were loaded; `warning` says what went wrong while loading (a damaged
    /// file moved aside, a read-only store), for the user.
    Opened {
        /// What the user must be told, if anything.
        warning: Option<String>,
    },
    /// An operation ended.
    Op {
        /// The window's id of the operation.
        op_id: u64,
        /// What was done, or why it failed, in words for the user.
        result: Result<String, String>,
    },
}

/// The presets after a load or an operation.
#[derive(Debug, Clone)]
pub struct PresetsUpdate {
    /// The presets now (read-only for the window).
    pub store: Arc<PresetStore>,
    /// Why this was sent.
    pub cause: PresetsCause,
}

/// The run history after a load or an operation.
#[derive(Debug, Clone)]
pub struct HistoryUpdate {
    /// The history now (read-only for the window).
    pub store: Arc<HistoryStore>,
    /// Something the user must be told: a damaged file moved aside at load, or a change
    /// that could not be saved.
    pub warning: Option<String>,
}

/// What a file dialog for presets is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PresetFilePurpose {
    /// Choose a file to import.
    Import,
    /// Choose where to export.
    Export,
}

enum StoreJob {
    Presets { op_id: u64, op: Box<PresetOp> },
    History(HistoryOp),
}

/// The two stores, as the thread owns them.
struct Stores {
    presets: PresetStore,
    history: HistoryStore,
}

impl Stores {
    /// Opens both stores (in memory without a config dir) and reports them.
    fn open(config_dir: Option<&Path>, emitter: &Emitter) -> Stores {
        let ((presets, presets_report), (history, history_report)) = match config_dir {
            Some(dir) => (PresetStore::open(dir), HistoryStore::open(dir)),
            None => (
                (PresetStore::in_memory(), Default::default()),
                (HistoryStore::in_memory(), Default::default()),
            ),
        };
        let stores = Stores { presets, history };
        emitter.emit(Event::PresetsChanged(PresetsUpdate {
            store: Arc::new(stores.presets.clone()),
            cause: PresetsCause::Opened { warning: presets_report.message() },
        }));
        emitter.emit(Event::HistoryChanged(HistoryUpdate {
            store: Arc::new(stores.history.clone()),
            warning: history_report.message(),
        }));
        stores
    }

    fn apply(&mut self, job: StoreJob, emitter: &Emitter) {
        match job {
            StoreJob::Presets { op_id, op } => {
                let result = apply_preset_op(&mut self.presets, *op);
                emitter.emit(Event::PresetsChanged(PresetsUpdate {
                    store: Arc::new(self.presets.clone()),
                    cause: PresetsCause::Op { op_id, result },
                }));
            }
            StoreJob::History(op) => {
                let result = match op {
                    HistoryOp::Record(entry) => self.history.record(*entry).map(drop),
                    HistoryOp::Remove { id } => self.history.remove(&id),
                    HistoryOp::Clear => self.history.clear(),
                };
                emitter.emit(Event::HistoryChanged(HistoryUpdate {
                    store: Arc::new(self.history.clone()),
                    warning: result.err().map(|err| err.to_string()),
                }));
            }
        }
    }
}

/// Applies one operation; what was done, or why not, in words.
fn apply_preset_op(store: &mut PresetStore, op: PresetOp) -> Result<String, String> {
    let name_of = |store: &PresetStore, id: &str| store.get(id).map(|p| p.name.clone()).unwrap_or_default();
    match op {
        PresetOp::SaveNew { name, description, view, query } => {
            let description = Some(description.as_str()).filter(|d| !d.trim().is_empty());
            let id = store.save_new(&name, description, view, query).map_err(|err| err.to_string())?;
            Ok(format!("Saved the preset “{}”.", name_of(store, &id)))
        }
        PresetOp::Edit { id, name, description } => {
            let before = name_of(store, &id);
            store.rename(&id, &name).map_err(|err| err.to_string())?;
            store.set_description(&id, &description).map_err(|err| err.to_string())?;
            let after = name_of(store, &id);
            Ok(if before == after {
                format!("Saved the changes to “{after}”.")
            } else {
                format!("Renamed “{before}” to “{after}”.")
            })
        }
        PresetOp::UpdateQuery { id, view, query } => {
            store.update_query(&id, view, query).map_err(|err| err.to_string())?;
            Ok(format!("“{}” now holds the current query.", name_of(store, &id)))
        }
        PresetOp::Duplicate { id } => {
            let copy = store.duplicate(&id).map_err(|err| err.to_string())?;
            Ok(format!("Duplicated “{}” as “{}”.", name_of(store, &id), name_of(store, &copy)))
        }
        PresetOp::Delete { id } => {
            let name = name_of(store, &id);
            let builtin = store.get(&id).is_some_and(|p| p.builtin);
            store.delete(&id).map_err(|err| err.to_string())?;
            Ok(if builtin {
                format!("Hid the built-in preset “{name}” (Restore built-in presets brings it back).")
            } else {
                format!("Deleted the preset “{name}”.")
            })
        }
        PresetOp::RestoreBuiltins => {
            store.restore_builtins().map_err(|err| err.to_string())?;
            Ok("The built-in presets are shown again.".to_string())
        }
        PresetOp::Export { path, ids } => {
            let count = store.export_to(&path, &ids).map_err(|err| err.to_string())?;
            Ok(format!("Exported {count} preset{} to {}", if count == 1 { "" } else { "s" }, path.display()))
        }
        PresetOp::Import { path } => {
            let report = store.import_from(&path).map_err(|err| err.to_string())?;
            Ok(describe_import(&report, &path))
        }
    }
}

/// An import in words: how many were added, which were renamed and why, what was skipped.
pub fn describe_import(report: &ImportReport, path: &Path) -> String {
    let count = report.added.len();
    let mut parts = vec![format!(
        "Imported {count} preset{} from {}.",
        if count == 1 { "" } else { "s" },
        path.display()
    )];
    if !report.renamed.is_empty() {
        let renamed: Vec<String> =
            report.renamed.iter().map(|(from, to)| format!("“{from}” as “{to}”")).collect();
        parts.push(format!("Names already taken, so added {}.", renamed.join(", ")));
    }
    if !report.already_present.is_empty() {
        parts.push(format!(
            "Already present, not added again: {}.",
            report.already_present.iter().map(|n| format!("“{n}”")).collect::<Vec<_>>().join(", ")
        ));
    }
    if !report.skipped.is_empty() {
        parts.push(format!("Skipped (unreadable): {}.", report.skipped.join("; ")));
    }
    if !report.migrated.is_empty() {
        parts.push(format!(
            "Updated to the server's sort rules (the server cannot sort by every column): {}.",
            report.migrated.join("; ")
        ));
    }
    parts.join(" ")
}

/// The thread that owns the stores. Dropping it waits for the operations already sent.
pub(super) struct StoreThread {
    sender: Option<mpsc::Sender<StoreJob>>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// When no thread could be started: the stores, changed on the caller's thread.
    inline: Option<(Stores, Emitter)>,
}

impl StoreThread {
    /// Starts the thread, which opens the stores from `config_dir` (in memory when `None`)
    /// and reports them.
    pub(super) fn spawn(config_dir: Option<PathBuf>, emitter: Emitter) -> StoreThread {
        let (sender, receiver) = mpsc::channel::<StoreJob>();
        let thread_emitter = emitter.clone();
        let thread_dir = config_dir.clone();
        let spawned = std::thread::Builder::new().name("stores".to_string()).spawn(move || {
            let mut stores = Stores::open(thread_dir.as_deref(), &thread_emitter);
            while let Ok(job) = receiver.recv() {
                stores.apply(job, &thread_emitter);
            }
        });
        match spawned {
            Ok(thread) => StoreThread { sender: Some(sender), thread: Some(thread), inline: None },
            Err(err) => {
                tracing::warn!(%err, "no thread for the presets and history; changing them in place");
                let stores = Stores::open(config_dir.as_deref(), &emitter);
                StoreThread { sender: None, thread: None, inline: Some((stores, emitter)) }
            }
        }
    }

    fn send(&mut self, job: StoreJob) {
        if let Some((stores, emitter)) = &mut self.inline {
            stores.apply(job, emitter);
        } else if let Some(sender) = &self.sender
            && sender.send(job).is_err()
        {
            tracing::warn!("the presets and history thread has stopped");
        }
    }

    /// Queues a presets operation.
    pub(super) fn presets(&mut self, op_id: u64, op: PresetOp) {
        self.send(StoreJob::Presets { op_id, op: Box::new(op) });
    }

    /// Queues a history operation.
    pub(super) fn history(&mut self, op: HistoryOp) {
        self.send(StoreJob::History(op));
    }
}

impl Drop for StoreThread {
    fn drop(&mut self) {
        // Closing the channel ends the loop once the queued operations are written.
        self.sender = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets::PRESETS_FILE_NAME;
    use std::time::{Duration, Instant};

    fn collect(receiver: &mpsc::Receiver<Event>, count: usize) -> Vec<Event> {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut events = Vec::new();
        while events.len() < count {
            let left = deadline.saturating_duration_since(Instant::now());
            events.push(receiver.recv_timeout(left).expect("an event from the store thread"));
        }
        events
    }

    #[test]
    fn operations_apply_in_order_and_are_on_disk_once_the_thread_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let (sender, receiver) = mpsc::channel();
        let emitter = Emitter { sender, repaint: Arc::new(|| {}) };
        let mut thread = StoreThread::spawn(Some(dir.path().to_path_buf()), emitter);
        let query = QueryBody { notes: Some("mine".into()), ..QueryBody::default() };
        thread.presets(
            1,
            PresetOp::SaveNew {
                name: "Mine".into(),
                description: String::new(),
                view: View::Feedback,
                query,
            },
        );
        thread.presets(
            2,
            PresetOp::SaveNew {
                name: " mine ".into(),
                description: String::new(),
                view: View::Conversations,
                query: QueryBody::default(),
            },
        );
        thread.history(HistoryOp::Record(Box::default()));
        drop(thread);
        let events = collect(&receiver, 5);
        let causes: Vec<_> = events
            .iter()
            .filter_map(|e| match e {
                Event::PresetsChanged(update) => Some(update.cause.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(causes[0], PresetsCause::Opened { warning: None });
        assert_eq!(causes[1], PresetsCause::Op { op_id: 1, result: Ok("Saved the preset “Mine”.".into()) });
        let PresetsCause::Op { op_id: 2, result: Err(message) } = &causes[2] else { panic!("{causes:?}") };
        assert!(message.contains("already a preset named \"mine\""), "{message}");
        let Some(Event::HistoryChanged(update)) = events.last() else { panic!("{events:?}") };
        assert_eq!(update.store.len(), 1);
        let text = std::fs::read_to_string(dir.path().join(PRESETS_FILE_NAME)).unwrap();
        assert_eq!(text.matches("\"name\"").count(), 1, "{text}");
        assert!(text.contains("\"notes\": \"mine\""), "{text}");
        // The preset keeps the view it was saved from.
        assert!(text.contains("feedback_view"), "{text}");
    }
}
