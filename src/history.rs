//! The run history: every query run, its server, time, duration, row counts, outcome
//! and `requestId`, the last [`MAX_ENTRIES`] kept.
//!
//! Stored like presets (see [`crate::presets`]): `history.json` in the config dir,
//! `{"schemaVersion": 1, "entries": [...]}` oldest first, written atomically; a file that
//! does not parse is moved aside to `history.json.corrupt-<timestamp>` and the load
//! says so; an entry this version cannot read is kept verbatim (and is the first to go
//! when the list is full); a newer or unreadable file makes the store read-only.
//!
//! Each entry records the view it queried (`view`, the wire name, written only for views other
//! than conversations: an entry without it, as every entry from before the other views,
//! queried conversations).
//!
//! A query is recorded as the builder had it, relative times unresolved, so that
//! re-running an entry means the same thing ("this week") it meant then. A query larger
//! than [`MAX_QUERY_BYTES`] is recorded without its body, so a few enormous `in` lists
//! cannot make the file huge.

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::query::QueryBody;
use crate::api::view::View;
use crate::atomic_file;
use crate::file_version;
use crate::presets::{LocalSort, is_conversations, migrate_order_by};

/// The name of the history file inside the config dir.
pub const HISTORY_FILE_NAME: &str = "history.json";
/// The file format version this build writes and fully understands (see
/// [`crate::file_version`]).
pub const SCHEMA_VERSION: u32 = 1;
/// Entries kept; older ones are dropped.
pub const MAX_ENTRIES: usize = 500;
/// Queries larger than this, serialised, are recorded without their body.
pub const MAX_QUERY_BYTES: usize = 256 * 1024;

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "camelCase")]
pub enum RunStatus {
    /// It answered.
    #[default]
    Ok,
    /// It failed; the message as the user saw it.
    Failed {
        /// What went wrong.
        #[serde(default)]
        message: String,
    },
    /// The user cancelled it.
    Cancelled,
}

impl RunStatus {
    /// A short word for lists and search: `ok`, `failed`, `cancelled`.
    pub fn as_str(&self) -> &'static str {
        match self {
            RunStatus::Ok => "ok",
            RunStatus::Failed { .. } => "failed",
            RunStatus::Cancelled => "cancelled",
        }
    }
}

/// One run.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(from = "StoredEntry", into = "StoredEntry")]
pub struct HistoryEntry {
    /// Stable identifier of the entry.
    pub id: String,
    /// The view the query ran on.
    pub view: View,
    /// The query as the builder had it (relative times unresolved); empty when
    /// `query_omitted`.
    pub query: QueryBody,
    /// The query was too large to record.
    pub query_omitted: bool,
    /// The server it ran against.
    pub server_url: String,
    /// When it started.
    #[serde(with = "crate::api::timestamp::serde_utc")]
    pub started_at: Timestamp,
    /// How long it took, in milliseconds.
    pub duration_ms: u64,
    /// Rows received, when it answered.
    pub rows: Option<u64>,
    /// Rows matching, when it answered.
    pub total: Option<u64>,
    /// How it ended (`status` and `message` keys in the file).
    pub status: RunStatus,
    /// The server's `requestId`, when known.
    pub request_id: Option<String>,
    /// The grid's initial sort when the entry is restored: sort keys of an older version
    /// that the server cannot sort by, moved to the client (`gridSort` in the file).
    pub grid_sort: Vec<LocalSort>,
}

/// How an entry is stored: the status as a word beside an optional message, so that
/// every key, `status` included, can be missing from an older file.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct StoredEntry {
    id: String,
    #[serde(skip_serializing_if = "is_conversations")]
    view: View,
    query: QueryBody,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    query_omitted: bool,
    server_url: String,
    #[serde(with = "crate::api::timestamp::serde_utc")]
    started_at: Timestamp,
    duration_ms: u64,
    rows: Option<u64>,
    total: Option<u64>,
    status: StatusWord,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    request_id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    grid_sort: Vec<LocalSort>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
enum StatusWord {
    #[default]
    Ok,
    Failed,
    Cancelled,
}

impl From<StoredEntry> for HistoryEntry {
    fn from(stored: StoredEntry) -> HistoryEntry {
        let status = match stored.status {
            StatusWord::Ok => RunStatus::Ok,
            StatusWord::Failed => RunStatus::Failed { message: stored.message.unwrap_or_default() },
            StatusWord::Cancelled => RunStatus::Cancelled,
        };
        HistoryEntry {
            id: stored.id,
            view: stored.view,
            query: stored.query,
            query_omitted: stored.query_omitted,
            server_url: stored.server_url,
            started_at: stored.started_at,
            duration_ms: stored.duration_ms,
            rows: stored.rows,
            total: stored.total,
            status,
            request_id: stored.request_id,
            grid_sort: stored.grid_sort,
        }
    }
}

impl From<HistoryEntry> for StoredEntry {
    fn from(entry: HistoryEntry) -> StoredEntry {
        let (status, message) = match entry.status {
            RunStatus::Ok => (StatusWord::Ok, None),
            RunStatus::Failed { message } => (StatusWord::Failed, Some(message)),
            RunStatus::Cancelled => (StatusWord::Cancelled, None),
        };
        StoredEntry {
            id: entry.id,
            view: entry.view,
            query: entry.query,
            query_omitted: entry.query_omitted,
            server_url: entry.server_url,
            started_at: entry.started_at,
            duration_ms: entry.duration_ms,
            rows: entry.rows,
            total: entry.total,
            status,
            message,
            request_id: entry.request_id,
            grid_sort: entry.grid_sort,
        }
    }
}

impl HistoryEntry {
    /// The query's notes, if any.
    pub fn notes(&self) -> Option<&str> {
        self.query.notes.as_deref()
    }

    /// True when `needle` (lowercase) occurs in the notes, the query JSON, the view's names,
    /// the status, its message, the server or the request id.
    fn matches(&self, needle: &str) -> bool {
        let contains = |text: &str| text.to_lowercase().contains(needle);
        let message = match &self.status {
            RunStatus::Failed { message } => message.as_str(),
            _ => "",
        };
        self.notes().is_some_and(contains)
            || contains(self.view.as_str())
            || contains(self.view.title())
            || contains(self.status.as_str())
            || contains(message)
            || contains(&self.server_url)
            || self.request_id.as_deref().is_some_and(contains)
            || serde_json::to_string(&self.query).is_ok_and(|json| contains(&json))
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct HistoryFile {
    schema_version: u32,
    entries: Vec<Value>,
}

/// Why the history could not be changed. Messages say what failed, why, then the path.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// The store must not write (newer file format, unreadable file).
    #[error("the history cannot be saved: {reason}")]
    ReadOnly {
        /// Why.
        reason: String,
    },
    /// Writing the file failed (the change is kept in memory).
    #[error("could not save the history: {source} ({})", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// What happened while loading, for the UI to tell the user.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HistoryLoadReport {
    /// The damaged file was moved here; the history started empty.
    pub moved_aside: Option<PathBuf>,
    /// Entries that did not parse; they are kept in the file untouched.
    pub unreadable_count: usize,
    /// Why the store will not write, if it will not.
    pub read_only: Option<String>,
    /// What migrating entries to the published sort rules changed: each distinct change
    /// in words, with how many entries it touched.
    pub migrated: Vec<String>,
    /// Writing the migrated entries back failed (they are migrated in memory).
    pub migration_write_error: Option<String>,
}

impl HistoryLoadReport {
    /// A sentence for the user, when there is something to say.
    pub fn message(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(path) = &self.moved_aside {
            parts.push(format!(
                "The history file could not be read, so it was kept as {} and a new history was started.",
                path.display()
            ));
        }
        if self.unreadable_count > 0 {
            parts.push(format!(
                "{} history entr{} could not be read by this version and are kept unchanged.",
                self.unreadable_count,
                if self.unreadable_count == 1 { "y" } else { "ies" }
            ));
        }
        if let Some(reason) = &self.read_only {
            parts.push(format!("The history is read-only: {reason}"));
        }
        if !self.migrated.is_empty() {
            parts.push(format!(
                "History entries updated to the server's sort rules: {}.",
                self.migrated.join("; ")
            ));
        }
        if let Some(error) = &self.migration_write_error {
            parts.push(format!("The updated history could not be saved: {error}"));
        }
        if parts.is_empty() { None } else { Some(parts.join(" ")) }
    }
}

/// The recorded runs.
#[derive(Debug, Clone, Default)]
pub struct HistoryStore {
    /// The file; `None` keeps everything in memory.
    path: Option<PathBuf>,
    /// Oldest first.
    entries: Vec<HistoryEntry>,
    /// Entries this version could not read, kept verbatim (oldest of all).
    unreadable: Vec<Value>,
    read_only: Option<String>,
    id_counter: u64,
}

impl HistoryStore {
    /// A history that is never written.
    pub fn in_memory() -> HistoryStore {
        HistoryStore::default()
    }

    /// Loads `history.json` from `config_dir` (a missing file is an empty history). Never
    /// fails: problems are in the report.
    pub fn open(config_dir: &Path) -> (HistoryStore, HistoryLoadReport) {
        let path = config_dir.join(HISTORY_FILE_NAME);
        let mut store = HistoryStore { path: Some(path.clone()), ..HistoryStore::default() };
        let mut report = HistoryLoadReport::default();
        // A newer file's version is checked before its shape, so a format change cannot get
        // it moved aside as damaged; what of it this version reads is shown, never written.
        let opened = file_version::open_versioned::<HistoryFile>(&path, "history", SCHEMA_VERSION);
        store.read_only.clone_from(&opened.read_only);
        report.read_only = opened.read_only;
        report.moved_aside = opened.moved_aside;
        let Some(file) = opened.body else { return (store, report) };
        // Distinct changes, with how many entries each touched, in first-seen order.
        let mut changes: Vec<(String, usize)> = Vec::new();
        for value in file.entries {
            match serde_json::from_value::<HistoryEntry>(value.clone()) {
                Ok(mut entry) => {
                    let migration = migrate_order_by(entry.view, &mut entry.query);
                    if !migration.is_empty() {
                        for sort in migration.moved_to_grid.iter() {
                            if !entry.grid_sort.iter().any(|s| s.column == sort.column) {
                                entry.grid_sort.push(sort.clone());
                            }
                        }
                        let change = migration.describe();
                        match changes.iter_mut().find(|(c, _)| *c == change) {
                            Some((_, count)) => *count += 1,
                            None => changes.push((change, 1)),
                        }
                    }
                    store.entries.push(entry);
                }
                Err(err) => {
                    tracing::warn!(%err, "a history entry does not parse; keeping it unchanged");
                    store.unreadable.push(value);
                }
            }
        }
        report.unreadable_count = store.unreadable.len();
        if !changes.is_empty() {
            report.migrated = changes
                .into_iter()
                .map(|(change, count)| match count {
                    1 => format!("1 entry: {change}"),
                    n => format!("{n} entries: {change}"),
                })
                .collect();
            // A read-only store keeps its file; the entries migrate again on the next load.
            if store.read_only.is_none() {
                report.migration_write_error = store.save().err().map(|err| err.to_string());
            }
        }
        (store, report)
    }

    /// The file this store writes, if any.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Number of readable entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there are no readable entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries, newest first.
    pub fn entries(&self) -> Vec<&HistoryEntry> {
        self.entries.iter().rev().collect()
    }

    /// The entry with this id.
    pub fn get(&self, id: &str) -> Option<&HistoryEntry> {
        self.entries.iter().find(|e| e.id == id)
    }

    /// The entries whose notes, query JSON, view, status, error message, server or request
    /// id contain `text` (case-insensitive), newest first; all of them for blank text.
    pub fn search(&self, text: &str) -> Vec<&HistoryEntry> {
        let needle = text.trim().to_lowercase();
        self.entries.iter().rev().filter(|e| needle.is_empty() || e.matches(&needle)).collect()
    }

    /// Records a run (giving it an id when it has none), drops the oldest entries past
    /// [`MAX_ENTRIES`], and saves. Returns the entry's id. When saving fails the entry is
    /// still kept in memory and the error says why the file was not updated.
    pub fn record(&mut self, mut entry: HistoryEntry) -> Result<String, HistoryError> {
        if entry.id.is_empty() || self.get(&entry.id).is_some() {
            entry.id = self.new_id(entry.started_at);
        }
        let too_big = serde_json::to_vec(&entry.query).map_or(true, |json| json.len() > MAX_QUERY_BYTES);
        if too_big {
            entry.query = QueryBody::default();
            entry.query_omitted = true;
        }
        let id = entry.id.clone();
        self.entries.push(entry);
        let excess = (self.unreadable.len() + self.entries.len()).saturating_sub(MAX_ENTRIES);
        let from_unreadable = excess.min(self.unreadable.len());
        self.unreadable.drain(..from_unreadable);
        self.entries.drain(..excess - from_unreadable);
        self.save()?;
        Ok(id)
    }

    /// Removes one entry.
    pub fn remove(&mut self, id: &str) -> Result<(), HistoryError> {
        self.entries.retain(|e| e.id != id);
        self.save()
    }

    /// Forgets every entry, including unreadable ones.
    pub fn clear(&mut self) -> Result<(), HistoryError> {
        self.entries.clear();
        self.unreadable.clear();
        self.save()
    }

    fn new_id(&mut self, at: Timestamp) -> String {
        loop {
            self.id_counter += 1;
            let id = format!("h{:x}-{:x}", at.as_millisecond(), self.id_counter);
            if self.get(&id).is_none() {
                return id;
            }
        }
    }

    fn save(&self) -> Result<(), HistoryError> {
        let Some(path) = &self.path else { return Ok(()) };
        if let Some(reason) = &self.read_only {
            return Err(HistoryError::ReadOnly { reason: reason.clone() });
        }
        let write_error = |source: std::io::Error| HistoryError::Write { path: path.clone(), source };
        let mut entries = self.unreadable.clone();
        for entry in &self.entries {
            entries.push(serde_json::to_value(entry).map_err(|err| write_error(std::io::Error::other(err)))?);
        }
        let file = HistoryFile { schema_version: SCHEMA_VERSION, entries };
        let bytes =
            serde_json::to_vec_pretty(&file).map_err(|err| write_error(std::io::Error::other(err)))?;
        atomic_file::write_atomic(path, |w| {
            w.write_all(&bytes)?;
            w.write_all(b"\n")
        })
        .map_err(write_error)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::query::{Field, Filter, FilterValue, Operator, Selection};

    #[test]
    fn a_file_of_this_version_reopens_and_a_newer_one_is_refused_read_only() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, _) = HistoryStore::open(dir.path());
        store.record(entry("mine", RunStatus::Ok)).unwrap();
        let path = dir.path().join(HISTORY_FILE_NAME);
        let written: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(written["schemaVersion"], Value::from(SCHEMA_VERSION));
        let (reopened, report) = HistoryStore::open(dir.path());
        assert_eq!(reopened.len(), 1);
        assert_eq!(report.read_only, None);

        // A newer version's file whose entries changed shape: refused, not moved aside.
        let newer =
            serde_json::json!({"schemaVersion": SCHEMA_VERSION + 1, "entries": {"byId": {}}}).to_string();
        std::fs::write(&path, &newer).unwrap();
        let (mut store, report) = HistoryStore::open(dir.path());
        let reason = report.read_only.clone().unwrap();
        assert!(reason.contains("newer version"), "{reason}");
        assert!(report.message().unwrap().contains("read-only"));
        assert!(matches!(store.record(entry("lost", RunStatus::Ok)), Err(HistoryError::ReadOnly { .. })));
        assert!(store.clear().is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), newer, "left as the newer version wrote it");
    }

    fn entry(notes: &str, status: RunStatus) -> HistoryEntry {
        HistoryEntry {
            query: QueryBody {
                select: vec![Selection::count()],
                notes: Some(notes.to_string()),
                ..QueryBody::default()
            },
            server_url: "http://127.0.0.1:8787".to_string(),
            started_at: "2026-01-05T10:00:00Z".parse::<Timestamp>().unwrap(),
            duration_ms: 120,
            rows: Some(1),
            total: Some(1),
            status,
            request_id: Some("req-1".to_string()),
            ..HistoryEntry::default()
        }
    }

    #[test]
    fn records_persist_and_reload_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, report) = HistoryStore::open(dir.path());
        assert_eq!(report, HistoryLoadReport::default());
        store.record(entry("first", RunStatus::Ok)).unwrap();
        store.record(entry("second", RunStatus::Failed { message: "HTTP 500 boom".into() })).unwrap();
        store.record(entry("third", RunStatus::Cancelled)).unwrap();
        let (reloaded, report) = HistoryStore::open(dir.path());
        assert_eq!(report.message(), None);
        let notes: Vec<_> = reloaded.entries().iter().map(|e| e.notes().unwrap().to_string()).collect();
        assert_eq!(notes, ["third", "second", "first"]);
        assert_eq!(reloaded.entries()[1].status, RunStatus::Failed { message: "HTTP 500 boom".into() });
        let text = std::fs::read_to_string(dir.path().join(HISTORY_FILE_NAME)).unwrap();
        assert!(text.contains("\"status\": \"failed\""), "{text}");
        assert!(text.contains("\"message\": \"HTTP 500 boom\""), "{text}");
    }

    /// A file written before the move to jiff (the timestamps as chrono's serde wrote them:
    /// UTC, `Z`, fraction digits in groups of three) loads, and saving it again writes the
    /// same text for every timestamp.
    #[test]
    fn timestamps_of_an_older_file_load_and_save_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let stamps = [
            ("h1", "2026-01-05T10:00:00Z", 1_767_607_200_000_i64, 0),
            ("h2", "2026-01-05T10:00:00.250Z", 1_767_607_200_250, 250_000_000),
            ("h3", "2025-12-31T23:59:59.123456Z", 1_767_225_599_123, 123_456_000),
            ("h4", "2026-01-05T10:00:00.000000007Z", 1_767_607_200_000, 7),
        ];
        let entries: Vec<Value> = stamps
            .iter()
            .map(|(id, at, _, _)| {
                serde_json::json!({"id": id, "query": {}, "serverUrl": "http://127.0.0.1:8787",
                                   "startedAt": at, "durationMs": 5, "status": "ok"})
            })
            .collect();
        let old = serde_json::json!({"schemaVersion": SCHEMA_VERSION, "entries": entries});
        std::fs::write(dir.path().join(HISTORY_FILE_NAME), serde_json::to_vec_pretty(&old).unwrap()).unwrap();

        let (mut store, report) = HistoryStore::open(dir.path());
        assert_eq!(report, HistoryLoadReport::default());
        for (id, _, millis, nanos) in stamps {
            let started_at = store.get(id).unwrap().started_at;
            assert_eq!(
                (started_at.as_millisecond(), started_at.subsec_nanosecond()),
                (millis, nanos),
                "{id}"
            );
        }
        store.record(entry("new", RunStatus::Ok)).unwrap();
        let text = std::fs::read_to_string(dir.path().join(HISTORY_FILE_NAME)).unwrap();
        for (_, at, _, _) in stamps {
            assert!(text.contains(&format!("\"startedAt\": \"{at}\"")), "{at} in {text}");
        }
        assert!(text.contains("\"startedAt\": \"2026-01-05T10:00:00Z\""), "{text}");
    }

    #[test]
    fn keeps_the_last_500() {
        let mut store = HistoryStore::in_memory();
        for i in 0..MAX_ENTRIES + 7 {
            store.record(entry(&format!("run {i}"), RunStatus::Ok)).unwrap();
        }
        assert_eq!(store.len(), MAX_ENTRIES);
        assert_eq!(store.entries()[0].notes(), Some("run 506"));
        assert_eq!(store.entries()[MAX_ENTRIES - 1].notes(), Some("run 7"));
        let ids: std::collections::HashSet<_> = store.entries().iter().map(|e| e.id.clone()).collect();
        assert_eq!(ids.len(), MAX_ENTRIES);
    }

    #[test]
    fn search_covers_notes_query_status_and_messages() {
        let mut store = HistoryStore::in_memory();
        store.record(entry("weekly tickets", RunStatus::Ok)).unwrap();
        store.record(entry("agents", RunStatus::Failed { message: "Server said 503".into() })).unwrap();
        let mut filtered = entry("by source", RunStatus::Cancelled);
        filtered.query.filter = Some(Filter::condition(
            Field::Type,
            Operator::Eq,
            Some(FilterValue::Scalar("support_ticket".into())),
        ));
        store.record(filtered).unwrap();
        let notes = |hits: Vec<&HistoryEntry>| {
            hits.iter().map(|e| e.notes().unwrap().to_string()).collect::<Vec<_>>()
        };
        assert_eq!(notes(store.search("WEEKLY")), ["weekly tickets"]);
        assert_eq!(notes(store.search("503")), ["agents"]);
        assert_eq!(notes(store.search("failed")), ["agents"]);
        assert_eq!(notes(store.search("cancelled")), ["by source"]);
        assert_eq!(notes(store.search("support_ticket")), ["by source"]);
        assert_eq!(store.search("  ").len(), 3);
        assert!(store.search("nothing like this").is_empty());
    }

    #[test]
    fn clear_empties_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, _) = HistoryStore::open(dir.path());
        store.record(entry("x", RunStatus::Ok)).unwrap();
        store.clear().unwrap();
        let (reloaded, _) = HistoryStore::open(dir.path());
        assert!(reloaded.is_empty());
    }

    #[test]
    fn the_view_is_recorded_and_an_entry_without_one_is_conversations() {
        let dir = tempfile::tempdir().unwrap();
        let old = serde_json::json!({"schemaVersion": SCHEMA_VERSION, "entries": [
            {"id": "h-old", "query": {"select": [{"type": "aggregation", "aggregation": "count"}]},
             "serverUrl": "http://127.0.0.1:8787", "startedAt": "2026-01-05T10:00:00Z", "status": "ok"}
        ]});
        std::fs::write(dir.path().join(HISTORY_FILE_NAME), serde_json::to_vec_pretty(&old).unwrap()).unwrap();
        let (mut store, report) = HistoryStore::open(dir.path());
        assert_eq!(report, HistoryLoadReport::default());
        assert_eq!(store.get("h-old").unwrap().view, View::Conversations);
        let feedback = HistoryEntry { view: View::Feedback, ..entry("reasons", RunStatus::Ok) };
        let id = store.record(feedback).unwrap();
        let (reloaded, _) = HistoryStore::open(dir.path());
        assert_eq!(reloaded.get(&id).unwrap().view, View::Feedback);
        assert_eq!(reloaded.get("h-old").unwrap().view, View::Conversations);
        let text = std::fs::read_to_string(dir.path().join(HISTORY_FILE_NAME)).unwrap();
        assert_eq!(text.matches("\"view\"").count(), 1, "only the feedback entry names its view: {text}");
        assert!(text.contains("\"view\": \"feedback_view\""), "{text}");
        // Searching finds entries by their view.
        let hits: Vec<&str> = reloaded.search("feedback").iter().map(|e| e.id.as_str()).collect();
        assert_eq!(hits, [id.as_str()]);
    }

    #[test]
    fn huge_queries_are_recorded_without_their_body() {
        let mut store = HistoryStore::in_memory();
        let mut big = entry("big", RunStatus::Ok);
        let ids: Vec<_> = (0..40_000).map(|i| format!("conv_{i:016x}").as_str().into()).collect();
        big.query.filter = Some(Filter::condition(Field::Id, Operator::In, Some(FilterValue::List(ids))));
        let id = store.record(big).unwrap();
        let recorded = store.get(&id).unwrap();
        assert!(recorded.query_omitted);
        assert_eq!(recorded.query, QueryBody::default());
    }
}
