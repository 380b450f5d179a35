//! The protocol between the window and the worker: the [`Job`]s it is sent, the [`Event`]s
//! it reports, and what they carry.
//!
//! Every job that is answered on behalf of a query tab carries a [`JobTag`] (the tab and the
//! purpose), and every event answering it echoes that tag, so the window routes each answer
//! to the tab and feature that asked without looking at what the UI shows. Window-wide jobs
//! (connecting, suggestions, presets, history, settings) answer with events of their own kind.

use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::api::client::{ApiKey, ClientError};
use crate::api::query::{Field, QueryBody};
use crate::api::view::View;
use crate::data::export::ShortExport;
use crate::data::{LoadProgress, Meta, ResultTable, TableError};
use crate::secrets::{KeySource, SecretError};
use crate::settings::{SavedTabs, Settings};

use super::export_job::{ExportProgress, ExportRequest};
use super::stores::{HistoryOp, HistoryUpdate, PresetFilePurpose, PresetOp, PresetsUpdate};

/// A query tab of the window, as the worker knows it: an id that is never reused while the
/// window is open (and is saved with the tabs, so it stays the same across restarts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
pub struct TabId(pub u64);

impl std::fmt::Display for TabId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "tab {}", self.0)
    }
}

/// What a tagged job is for, so its answer reaches the feature that asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// The tab's query run.
    Run,
    /// The run of the same query over the earlier period of a comparison, beside the tab's
    /// own run.
    Compare,
    /// "Load all rows" of the tab's result.
    LoadAll,
    /// The export dialog: the export itself, and the file picked for it.
    Export,
    /// The "Save as" dialog of a chart PNG or the chart's series.
    SaveAs,
}

/// The tab and purpose a job serves; the events answering it carry it back unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct JobTag {
    /// The tab that asked.
    pub tab: TabId,
    /// What for.
    pub purpose: Purpose,
}

impl JobTag {
    /// A tag for `tab` and `purpose`.
    pub fn new(tab: TabId, purpose: Purpose) -> JobTag {
        JobTag { tab, purpose }
    }
}

/// The start of an answer's raw bytes, kept for the Response tab.
///
/// Small answers are kept whole (a `Bytes` shares the client's buffer, so this costs
/// nothing); of a large one only the first [`RAW_PREFIX_BYTES`] are copied, so a huge
/// answer is not held twice (once as JSON, once as the table).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RawAnswer {
    /// The whole body, or its first [`RAW_PREFIX_BYTES`].
    pub bytes: Bytes,
    /// The size of the whole body.
    pub total_bytes: usize,
}

/// Bodies up to this size are kept whole for the Response tab.
pub const RAW_KEEP_WHOLE_BYTES: usize = 8 * 1024 * 1024;

/// Of larger bodies, this many bytes are kept.
pub const RAW_PREFIX_BYTES: usize = 512 * 1024;

impl RawAnswer {
    /// Keeps `bytes` whole when small, else a copy of its start (so the rest can be freed).
    pub fn keep(bytes: Bytes) -> RawAnswer {
        let total_bytes = bytes.len();
        let bytes = if total_bytes <= RAW_KEEP_WHOLE_BYTES {
            bytes
        } else {
            Bytes::copy_from_slice(bytes.get(..RAW_PREFIX_BYTES).unwrap_or(&bytes))
        };
        RawAnswer { bytes, total_bytes }
    }

    /// True when the whole body is kept.
    pub fn is_complete(&self) -> bool {
        self.bytes.len() == self.total_bytes
    }
}

/// A successful run: the table, built on the worker, and what the envelope said.
#[derive(Debug, Clone, PartialEq)]
pub struct RunAnswer {
    /// The rows as typed columns.
    pub table: Arc<ResultTable>,
    /// `total`, `pageSize`, `count`.
    pub meta: Meta,
    /// The server's `x-request-id`, for support.
    pub server_request_id: Option<String>,
    /// The raw answer (or its start).
    pub raw: RawAnswer,
}

/// Why "Load all rows" did not produce a table.
#[derive(Debug, thiserror::Error)]
pub enum LoadAllError {
    /// The export request failed.
    #[error("{}", .0.user_message())]
    Client(ClientError),
    /// The CSV could not be read into a table.
    #[error("{0}")]
    Table(TableError),
    /// The export ended with fewer rows than the query counted (at a row boundary, where it
    /// looks complete): the rows are not shown as if they were all.
    #[error("{0}, fewer than the query counted.")]
    Incomplete(ShortExport),
    /// Cancelled by the user (or a newer run).
    #[error("loading was cancelled")]
    Cancelled,
}

/// Why a file could not be saved; said in words, with the path last.
pub type SaveResult = Result<(), String>;

/// What a PNG is written for, so its outcome reaches the right place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PngPurpose {
    /// `--screenshot` of the command line.
    Automation,
    /// "Export PNG" of the chart.
    Chart,
}

/// Which API to connect to.
#[derive(Debug, Clone)]
pub enum ConnectTarget {
    /// The real API at `base_url` when a key exists (the environment's, else the keychain's),
    /// otherwise the embedded demo API.
    Automatic {
        /// Server URL for the real API.
        base_url: String,
        /// The key from `INKEEPANALYTICS_API_INTEGRATION_KEY`, when set.
        env_key: Option<ApiKey>,
    },
    /// The embedded demo API.
    Demo,
    /// The API at `base_url`.
    Remote {
        /// Server URL.
        base_url: String,
        /// Which key to send.
        key: RemoteKey,
    },
}

/// The key for a [`ConnectTarget::Remote`] connection.
#[derive(Debug, Clone)]
pub enum RemoteKey {
    /// The key from `INKEEPANALYTICS_API_INTEGRATION_KEY`.
    FromEnvironment(ApiKey),
    /// A key typed in the connection dialog.
    Entered {
        /// The key.
        key: ApiKey,
        /// Save it in the keychain (falls back to this session only when there is none).
        remember: bool,
    },
    /// The key in use for the last real connection, else the keychain's, else none (a demo
    /// server started with `inkeep-explorer serve` needs none).
    Current,
    /// No key at all.
    Without,
}

/// Which kind of server a connection talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionKind {
    /// The embedded demo API (synthetic data).
    Demo,
    /// A real (or separately started) API server.
    Remote,
}

/// An established connection, as the window shows it. Never holds the key itself.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionInfo {
    /// Increases with every connection; suggestion and test events carry it.
    pub id: u64,
    /// Demo or remote.
    pub kind: ConnectionKind,
    /// The base URL requests go to.
    pub base_url: String,
    /// Where the key came from; `None` when requests carry no key.
    pub key_source: Option<KeySource>,
    /// Something the user should know about how this connection was made, e.g. that no
    /// keychain was available and the key is kept for this session only. One plain sentence.
    pub notice: Option<String>,
    /// The technical cause behind `notice` (the keychain's D-Bus error…), for "Details".
    pub notice_details: Option<String>,
}

/// Work for the worker.
#[derive(Debug)]
pub enum Job {
    /// Replace the connection (and its client).
    Connect(ConnectTarget),
    /// Run a query; cancels the run in flight of the same tab (runs of other tabs go on).
    Run {
        /// Which tab asked, and for what; the answer carries it back.
        tag: JobTag,
        /// The window's id for this run.
        request_id: u64,
        /// The view queried (its endpoint).
        view: View,
        /// The validated body.
        body: QueryBody,
    },
    /// Cancel a run if it is still in flight.
    Cancel {
        /// Which tab asked, and for what; the answer carries it back.
        tag: JobTag,
        /// The run to cancel.
        request_id: u64,
    },
    /// Fetch the keys of a JSON field for suggestions.
    FetchKeys {
        /// The view whose rows are looked in (`views` of the request).
        view: View,
        /// `properties` or `userProperties`.
        field: Field,
    },
    /// Fetch the values of a key of a JSON field for suggestions.
    FetchValues {
        /// The view whose rows are looked in (`views` of the request).
        view: View,
        /// `properties` or `userProperties`.
        field: Field,
        /// The key (path keys joined by `.`).
        key: String,
    },
    /// Run a cheap query to see whether the connection works.
    TestConnection,
    /// Delete the key saved in the keychain.
    ForgetSavedKey,
    /// Write the settings file and the tabs file beside it, each when given.
    SaveSettings {
        /// The config dir.
        dir: PathBuf,
        /// What to write (`None` when the file must not be written: a newer version wrote it).
        settings: Option<Box<Settings>>,
        /// The query tabs (`None` when their file must not be written: it could not be read).
        tabs: Option<Box<SavedTabs>>,
    },
    /// Stream the full result of a query from the export endpoint into a table.
    LoadAll {
        /// Which tab asked, and for what; the answer carries it back.
        tag: JobTag,
        /// The window's id of this load.
        job_id: u64,
        /// The view of the run whose table it completes (its export endpoint).
        view: View,
        /// The query (the same body as the run whose table it completes).
        body: QueryBody,
        /// Rows matching the query, from the answer of the run the table came from; `None`
        /// asks the query endpoint first. Fewer rows than this fail the load.
        total: Option<u64>,
    },
    /// Cancel a load if it is still going.
    CancelLoad {
        /// Which tab asked, and for what; the answer carries it back.
        tag: JobTag,
        /// The load to cancel.
        job_id: u64,
    },
    /// Write text (a CSV of chart series…) to a file, atomically.
    SaveText {
        /// The file to write.
        path: PathBuf,
        /// The content.
        text: String,
    },
    /// Write a table view, or every matching row from the export endpoint, to a file
    /// (see [`ExportRequest`]); reports [`Event::ExportProgress`] and [`Event::ExportFinished`].
    Export {
        /// Which tab asked, and for what; the answer carries it back.
        tag: JobTag,
        /// The window's id of this export.
        job_id: u64,
        /// What to write where.
        request: Box<ExportRequest>,
    },
    /// Cancel an export if it is still going; nothing is left under its file name.
    CancelExport {
        /// The export to cancel.
        job_id: u64,
    },
    /// Open a folder in the system's file manager; answered by [`Event::FolderOpened`].
    OpenFolder {
        /// The folder.
        folder: PathBuf,
    },
    /// Ask the user for a file to save to, with the system's file dialog.
    PickSavePath {
        /// Which tab asked, and for what; the answer carries it back.
        tag: JobTag,
        /// The file name suggested.
        file_name: String,
        /// The directory the dialog opens in, when known.
        directory: Option<PathBuf>,
    },
    /// Encode an RGBA image as PNG and write it.
    SavePng {
        /// Why: the outcome event carries it back.
        purpose: PngPurpose,
        /// The file to write.
        path: PathBuf,
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// `width * height * 4` bytes, row by row, unpremultiplied RGBA.
        rgba: Vec<u8>,
    },
    /// Open the presets and the run history from the config dir (in memory when `None`),
    /// on a thread of their own; answered by [`Event::PresetsChanged`] and
    /// [`Event::HistoryChanged`].
    OpenStores {
        /// The config dir.
        config_dir: Option<PathBuf>,
    },
    /// Change the presets; answered by [`Event::PresetsChanged`] with the same `op_id`.
    Presets {
        /// The window's id of the operation.
        op_id: u64,
        /// What to do.
        op: PresetOp,
    },
    /// Change the run history; answered by [`Event::HistoryChanged`].
    History(HistoryOp),
    /// Ask the user for a presets file with the system's file dialog.
    PickPresetFile {
        /// Import or export.
        purpose: PresetFilePurpose,
        /// The directory the dialog opens in, when known.
        directory: Option<PathBuf>,
        /// The file name suggested (export).
        file_name: String,
    },
}

/// What the worker reports.
#[derive(Debug)]
pub enum Event {
    /// A connection was established.
    Connected(ConnectionInfo),
    /// A connection could not be made; the previous one (if any) stays in use.
    ConnectFailed {
        /// What went wrong, in words for the user.
        message: String,
    },
    /// A run was sent.
    Started {
        /// The tag of the job this answers.
        tag: JobTag,
        /// The run.
        request_id: u64,
    },
    /// A run ended with an answer or an error.
    Finished {
        /// The tag of the job this answers.
        tag: JobTag,
        /// The run.
        request_id: u64,
        /// Wall time from sending to the table being built.
        duration_ms: u64,
        /// The answer, as a table.
        result: Result<RunAnswer, ClientError>,
    },
    /// How far "Load all rows" has got (sent at most every [`PROGRESS_INTERVAL`](crate::worker::PROGRESS_INTERVAL)).
    LoadProgress {
        /// The tag of the job this answers.
        tag: JobTag,
        /// The load.
        job_id: u64,
        /// Rows parsed and bytes received so far.
        progress: LoadProgress,
    },
    /// "Load all rows" ended.
    LoadFinished {
        /// The tag of the job this answers.
        tag: JobTag,
        /// The load.
        job_id: u64,
        /// Wall time of the whole load.
        duration_ms: u64,
        /// The complete table, or why there is none.
        result: Result<Arc<ResultTable>, LoadAllError>,
    },
    /// The outcome of [`Job::SaveText`].
    TextSaved {
        /// The file.
        path: PathBuf,
        /// Whether it was written.
        result: SaveResult,
    },
    /// How far an export has got (sent at most every [`PROGRESS_INTERVAL`](crate::worker::PROGRESS_INTERVAL)).
    ExportProgress {
        /// The tag of the job this answers.
        tag: JobTag,
        /// The export.
        job_id: u64,
        /// Rows and bytes so far.
        progress: ExportProgress,
    },
    /// An export ended: what was written, or why nothing was.
    ExportFinished {
        /// The tag of the job this answers.
        tag: JobTag,
        /// The export.
        job_id: u64,
        /// Wall time of the whole export.
        duration_ms: u64,
        /// The file written, or why not ([`crate::data::export::ExportError::Cancelled`] after a cancel).
        result: Result<crate::data::export::ExportOutcome, crate::data::export::ExportError>,
    },
    /// The outcome of [`Job::OpenFolder`].
    FolderOpened {
        /// The folder.
        folder: PathBuf,
        /// Whether the file manager could be started, or why not.
        result: Result<(), String>,
    },
    /// The outcome of [`Job::PickSavePath`]: `None` when the dialog was cancelled or no
    /// file dialog is available (the two cannot be told apart).
    SavePathPicked {
        /// The tag of the job this answers.
        tag: JobTag,
        /// The file chosen.
        path: Option<PathBuf>,
    },
    /// A run was cancelled (by [`Job::Cancel`] or a newer run) before it answered.
    Cancelled {
        /// The tag of the job this answers.
        tag: JobTag,
        /// The run.
        request_id: u64,
    },
    /// Keys of a JSON field.
    Keys {
        /// The connection they were fetched on.
        connection_id: u64,
        /// The view they were looked up in.
        view: View,
        /// The field.
        field: Field,
        /// The keys, or why they could not be fetched.
        result: Result<Vec<String>, String>,
    },
    /// Values of a key of a JSON field.
    Values {
        /// The connection they were fetched on.
        connection_id: u64,
        /// The view they were looked up in.
        view: View,
        /// The field.
        field: Field,
        /// The key.
        key: String,
        /// The values, or why they could not be fetched.
        result: Result<Vec<String>, String>,
    },
    /// The outcome of [`Job::TestConnection`].
    ConnectionTested {
        /// The connection tested.
        connection_id: u64,
        /// How many conversations the server holds, or the error.
        result: Result<u64, ClientError>,
    },
    /// The outcome of [`Job::ForgetSavedKey`].
    KeyForgotten(Result<(), SecretError>),
    /// The outcome of [`Job::SaveSettings`].
    SettingsSaved(Result<(), String>),
    /// The presets after they were opened or changed.
    PresetsChanged(PresetsUpdate),
    /// The run history after it was opened or changed.
    HistoryChanged(HistoryUpdate),
    /// The outcome of [`Job::PickPresetFile`]: `None` when the dialog was cancelled or no
    /// file dialog is available.
    PresetFilePicked {
        /// Import or export.
        purpose: PresetFilePurpose,
        /// The file chosen.
        path: Option<PathBuf>,
    },
    /// The outcome of [`Job::SavePng`].
    PngSaved {
        /// Why it was written.
        purpose: PngPurpose,
        /// The file.
        path: PathBuf,
        /// Whether it was written.
        result: Result<(), String>,
    },
}
