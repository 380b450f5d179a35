//! The background worker: a named thread owning a tokio runtime, the API client and (when
//! used) the embedded demo API. The window sends [`Job`]s and drains [`Event`]s each
//! frame; after every event the worker calls the repaint callback so the window wakes up.
//!
//! Nothing here knows egui: the window passes a plain `Fn()` that requests a repaint.
//! Everything that may block (network, keychain over D-Bus, files) happens here, never on
//! the UI thread.
//!
//! # Runs and cancellation
//!
//! At most one query runs at a time. A new [`Job::Run`] cancels the one in flight (it
//! ends with [`Event::Cancelled`]); the window additionally drops any event whose
//! `request_id` is not the run it waits for, so a superseded answer is never shown.
//!
//! # Connections
//!
//! [`Job::Connect`] is handled in order with the other jobs, so a run sent right after a
//! connect goes to the new connection. Each connection gets a new id; events about
//! suggestions and connection tests carry it so stale ones can be dropped. The demo server
//! is started the first time it is needed and kept, so switching back to it is instant.
//!
//! # Results
//!
//! A run's answer is turned into a [`ResultTable`] here, on a blocking thread, never on the
//! UI thread. "Load all rows" ([`Job::LoadAll`]) streams the export endpoint's CSV through a
//! bounded in-memory pipe into [`ResultTable::from_csv_reader`] on a blocking thread, so the
//! whole CSV is never held at once; it reports progress and can be cancelled. The CSV carries
//! no row count: the load holds the rows it got against the query answer's `total` (passed
//! along by the window, else asked for first) and refuses fewer
//! ([`check_all_rows`]).
//!
//! # Presets and history
//!
//! The presets and the run history write their files synchronously, so they live on a
//! thread of their own ([`Job::OpenStores`], then [`Job::Presets`] and [`Job::History`]);
//! after every change the window gets a read-only snapshot ([`Event::PresetsChanged`],
//! [`Event::HistoryChanged`]).
//!
//! # Exports
//!
//! [`Job::Export`] writes a view of a table, or streams every matching row from the export
//! endpoint, to a file on blocking threads (see `export_job`), with progress and
//! cancellation; the file appears under its name only when complete.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio_util::sync::CancellationToken;

use crate::api::client::{AnalyticsClient, ApiKey, ClientConfig, ClientError, EXPORT_PATH, QUERY_PATH};
use crate::api::query::{Field, QueryBody, Selection};
use crate::api::redact::redact_key_in_envelope;
use crate::api::response::{PropertyField, PropertyKeysRequest, PropertyValuesRequest, QueryResponse};
use crate::atomic_file::{FileAccess, write_atomic_with};
use crate::data::export::{ShortExport, check_all_rows};
use crate::data::{LoadProgress, Meta, ResultTable, TableError};
use crate::demo::dataset::DatasetParams;
use crate::demo::server::{DEFAULT_PAGE_SIZE, DemoServer, ServerConfig};
use crate::secrets::{KEYCHAIN_UNREADABLE_MESSAGE, KeySource, Keychain, SecretError};
use crate::settings::Settings;

mod stores;
pub use stores::{
    HistoryOp, HistoryUpdate, PresetFilePurpose, PresetOp, PresetsCause, PresetsUpdate, describe_import,
};

mod export_job;
pub use export_job::{ExportPhase, ExportProgress, ExportRequest, ExportSource};

/// The bearer token sent to the embedded demo API, which accepts any token. Not a secret.
pub const DEMO_TOKEN: &str = "demo";

/// Wakes the window up after an event was sent (the window passes `ctx.request_repaint`).
pub type RepaintFn = Arc<dyn Fn() + Send + Sync>;

/// How the worker is set up; tests inject a mock keychain and a small dataset here.
pub struct WorkerConfig {
    /// Where a key may be saved and loaded.
    pub keychain: Arc<Keychain>,
    /// The dataset of the embedded demo API.
    pub demo_dataset: DatasetParams,
    /// The most rows one answer of the embedded demo API carries (tests make it small to
    /// exercise "Load all rows").
    pub demo_page_size: usize,
    /// Timeouts and retries for every client built (base URL and key are set per connection).
    pub client_defaults: ClientConfig,
}

impl std::fmt::Debug for WorkerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerConfig")
            .field("keychain", &self.keychain)
            .field("demo_dataset", &self.demo_dataset)
            .field("demo_page_size", &self.demo_page_size)
            .finish_non_exhaustive()
    }
}

impl WorkerConfig {
    /// The demo API's usual page size, for configs that do not care.
    pub const DEFAULT_DEMO_PAGE_SIZE: usize = DEFAULT_PAGE_SIZE;
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
    /// Run a query; cancels the run in flight.
    Run {
        /// The window's id for this run.
        request_id: u64,
        /// The validated body.
        body: QueryBody,
    },
    /// Cancel a run if it is still in flight.
    Cancel {
        /// The run to cancel.
        request_id: u64,
    },
    /// Fetch the keys of a JSON field for suggestions.
    FetchKeys {
        /// `properties` or `userProperties`.
        field: Field,
    },
    /// Fetch the values of a key of a JSON field for suggestions.
    FetchValues {
        /// `properties` or `userProperties`.
        field: Field,
        /// The key (path keys joined by `.`).
        key: String,
    },
    /// Run a cheap query to see whether the connection works.
    TestConnection,
    /// Delete the key saved in the keychain.
    ForgetSavedKey,
    /// Write the settings file.
    SaveSettings {
        /// The config dir.
        dir: PathBuf,
        /// What to write.
        settings: Box<Settings>,
    },
    /// Stream the full result of a query from the export endpoint into a table.
    LoadAll {
        /// The window's id of this load.
        job_id: u64,
        /// The query (the same body as the run whose table it completes).
        body: QueryBody,
        /// Rows matching the query, from the answer of the run the table came from; `None`
        /// asks the query endpoint first. Fewer rows than this fail the load.
        total: Option<u64>,
    },
    /// Cancel a load if it is still going.
    CancelLoad {
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
        /// The run.
        request_id: u64,
    },
    /// A run ended with an answer or an error.
    Finished {
        /// The run.
        request_id: u64,
        /// Wall time from sending to the table being built.
        duration_ms: u64,
        /// The answer, as a table.
        result: Result<RunAnswer, ClientError>,
    },
    /// How far "Load all rows" has got (sent at most every [`PROGRESS_INTERVAL`]).
    LoadProgress {
        /// The load.
        job_id: u64,
        /// Rows parsed and bytes received so far.
        progress: LoadProgress,
    },
    /// "Load all rows" ended.
    LoadFinished {
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
    /// How far an export has got (sent at most every [`PROGRESS_INTERVAL`]).
    ExportProgress {
        /// The export.
        job_id: u64,
        /// Rows and bytes so far.
        progress: ExportProgress,
    },
    /// An export ended: what was written, or why nothing was.
    ExportFinished {
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
    SavePathPicked(Option<PathBuf>),
    /// A run was cancelled (by [`Job::Cancel`] or a newer run) before it answered.
    Cancelled {
        /// The run.
        request_id: u64,
    },
    /// Keys of a JSON field.
    Keys {
        /// The connection they were fetched on.
        connection_id: u64,
        /// The field.
        field: Field,
        /// The keys, or why they could not be fetched.
        result: Result<Vec<String>, String>,
    },
    /// Values of a key of a JSON field.
    Values {
        /// The connection they were fetched on.
        connection_id: u64,
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

/// The window's handle on the worker thread. Dropping it stops the worker.
pub struct Worker {
    jobs: Option<tokio::sync::mpsc::UnboundedSender<Job>>,
    events: mpsc::Receiver<Event>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// The runtime's handle, only to count its tasks ([`Worker::alive_tasks`]).
    runtime: tokio::runtime::Handle,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker").field("running", &self.jobs.is_some()).finish()
    }
}

impl Worker {
    /// Starts the worker thread and its runtime.
    pub fn spawn(config: WorkerConfig, repaint: RepaintFn) -> std::io::Result<Worker> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("worker-rt")
            .enable_all()
            .build()?;
        let (job_sender, mut job_receiver) = tokio::sync::mpsc::unbounded_channel::<Job>();
        let (event_sender, event_receiver) = mpsc::channel::<Event>();
        let emitter = Emitter { sender: event_sender, repaint };
        let runtime_handle = runtime.handle().clone();
        let thread = std::thread::Builder::new().name("worker".to_string()).spawn(move || {
            runtime.block_on(async move {
                let mut core = Core::new(config, emitter);
                while let Some(job) = job_receiver.recv().await {
                    core.handle(job).await;
                }
                core.cancel_in_flight();
            });
            // Requests still in flight are abandoned rather than awaited: the window is closing.
            runtime.shutdown_timeout(std::time::Duration::from_millis(500));
        })?;
        Ok(Worker {
            jobs: Some(job_sender),
            events: event_receiver,
            thread: Some(thread),
            runtime: runtime_handle,
        })
    }

    /// Queues a job. Returns false when the worker has stopped (it then did nothing).
    pub fn send(&self, job: Job) -> bool {
        self.jobs.as_ref().is_some_and(|jobs| jobs.send(job).is_ok())
    }

    /// The next event, if one is waiting. Never blocks.
    pub fn try_recv(&self) -> Option<Event> {
        self.events.try_recv().ok()
    }

    /// Tasks alive on the worker's runtime: runs, loads, fetches, saves, and the HTTP
    /// client's connection tasks (one per pooled connection). Tests use it to see that
    /// superseded runs leave nothing behind.
    pub fn alive_tasks(&self) -> usize {
        self.runtime.metrics().num_alive_tasks()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // Closing the job channel ends the worker's loop.
        self.jobs = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Sends events and wakes the window.
#[derive(Clone)]
struct Emitter {
    sender: mpsc::Sender<Event>,
    repaint: RepaintFn,
}

impl Emitter {
    fn emit(&self, event: Event) {
        // A closed channel means the window is gone; nothing to tell.
        if self.sender.send(event).is_ok() {
            (self.repaint)();
        }
    }
}

/// The worker's state, owned by the loop on the runtime.
struct Core {
    emitter: Emitter,
    keychain: Arc<Keychain>,
    demo_dataset: DatasetParams,
    demo_page_size: usize,
    client_defaults: ClientConfig,
    client: Option<AnalyticsClient>,
    /// The key of the current connection, only to scrub it from error excerpts.
    client_key: Option<ApiKey>,
    connection_id: u64,
    /// The key of the last real connection, reused by [`RemoteKey::Current`].
    remote_key: Option<(ApiKey, KeySource)>,
    /// Kept once started so switching back to the demo is instant.
    demo: Option<Arc<DemoServer>>,
    in_flight: Option<(u64, CancellationToken)>,
    /// The "Load all rows" in progress.
    loading: Option<(u64, CancellationToken)>,
    /// The export in progress: its id, and what stops its download and its file thread.
    exporting: Option<(u64, CancellationToken, Arc<AtomicBool>)>,
    /// The presets and the run history, on their own thread (opened by [`Job::OpenStores`]).
    stores: Option<stores::StoreThread>,
}

impl Core {
    fn new(config: WorkerConfig, emitter: Emitter) -> Core {
        Core {
            emitter,
            keychain: config.keychain,
            demo_dataset: config.demo_dataset,
            demo_page_size: config.demo_page_size,
            client_defaults: config.client_defaults,
            client: None,
            client_key: None,
            connection_id: 0,
            remote_key: None,
            demo: None,
            in_flight: None,
            loading: None,
            exporting: None,
            stores: None,
        }
    }

    async fn handle(&mut self, job: Job) {
        match job {
            Job::Connect(target) => self.connect(target).await,
            Job::Run { request_id, body } => self.run(request_id, body),
            Job::Cancel { request_id } => {
                if self.in_flight.as_ref().is_some_and(|(id, _)| *id == request_id) {
                    self.cancel_in_flight();
                }
            }
            Job::LoadAll { job_id, body, total } => self.load_all(job_id, body, total),
            Job::CancelLoad { job_id } => {
                if self.loading.as_ref().is_some_and(|(id, _)| *id == job_id) {
                    self.cancel_loading();
                }
            }
            Job::SaveText { path, text } => {
                let emitter = self.emitter.clone();
                tokio::spawn(async move {
                    let target = path.clone();
                    let result = blocking(move || {
                        write_atomic_with(&target, FileAccess::Shared, |out| out.write_all(text.as_bytes()))
                            .map(|_| ())
                            .map_err(|err| format!("could not write the file: {err} ({})", target.display()))
                    })
                    .await
                    .and_then(|r| r);
                    emitter.emit(Event::TextSaved { path, result });
                });
            }
            Job::Export { job_id, request } => self.export(job_id, *request),
            Job::CancelExport { job_id } => {
                if let Some((_, token, cancel)) = self.exporting.as_ref().filter(|(id, ..)| *id == job_id) {
                    cancel.store(true, Ordering::Relaxed);
                    token.cancel();
                }
            }
            Job::OpenFolder { folder } => {
                let emitter = self.emitter.clone();
                tokio::spawn(async move {
                    let target = folder.clone();
                    let result =
                        blocking(move || export_job::open_folder(&target)).await.and_then(|result| result);
                    emitter.emit(Event::FolderOpened { folder, result });
                });
            }
            Job::PickSavePath { file_name, directory } => {
                let emitter = self.emitter.clone();
                tokio::spawn(async move {
                    let picked = blocking(move || {
                        let mut dialog = rfd::FileDialog::new().set_file_name(file_name);
                        if let Some(directory) = directory {
                            dialog = dialog.set_directory(directory);
                        }
                        dialog.save_file()
                    })
                    .await
                    .unwrap_or(None);
                    emitter.emit(Event::SavePathPicked(picked));
                });
            }
            Job::OpenStores { config_dir } => {
                // Dropping a previous store thread first lets its queued writes finish.
                self.stores = None;
                self.stores = Some(stores::StoreThread::spawn(config_dir, self.emitter.clone()));
            }
            Job::Presets { op_id, op } => self.store_thread().presets(op_id, op),
            Job::History(op) => self.store_thread().history(op),
            Job::PickPresetFile { purpose, directory, file_name } => {
                let emitter = self.emitter.clone();
                tokio::spawn(async move {
                    let path = blocking(move || {
                        let mut dialog = rfd::FileDialog::new().add_filter("Presets (JSON)", &["json"]);
                        if let Some(directory) = directory {
                            dialog = dialog.set_directory(directory);
                        }
                        match purpose {
                            PresetFilePurpose::Import => dialog.pick_file(),
                            PresetFilePurpose::Export => dialog.set_file_name(file_name).save_file(),
                        }
                    })
                    .await
                    .unwrap_or(None);
                    emitter.emit(Event::PresetFilePicked { purpose, path });
                });
            }
            Job::FetchKeys { field } => self.fetch_keys(field),
            Job::FetchValues { field, key } => self.fetch_values(field, key),
            Job::TestConnection => self.test_connection(),
            Job::ForgetSavedKey => {
                let keychain = Arc::clone(&self.keychain);
                let result = blocking(move || keychain.forget())
                    .await
                    .unwrap_or_else(|message| Err(SecretError::Failed(message)));
                if result.is_ok() && self.remote_key.as_ref().is_some_and(|(_, s)| *s == KeySource::Keychain)
                {
                    // The key stays usable for this session, but it is no longer saved.
                    if let Some((_, source)) = self.remote_key.as_mut() {
                        *source = KeySource::SessionOnly;
                    }
                }
                self.emitter.emit(Event::KeyForgotten(result));
            }
            Job::SaveSettings { dir, settings } => {
                let emitter = self.emitter.clone();
                tokio::spawn(async move {
                    let result = blocking(move || settings.save(&dir).map_err(|err| err.to_string()))
                        .await
                        .and_then(|result| result);
                    emitter.emit(Event::SettingsSaved(result));
                });
            }
            Job::SavePng { purpose, path, width, height, rgba } => {
                let emitter = self.emitter.clone();
                tokio::spawn(async move {
                    let target = path.clone();
                    let result =
                        blocking(move || write_png(&target, width, height, &rgba)).await.and_then(|r| r);
                    emitter.emit(Event::PngSaved { purpose, path, result });
                });
            }
        }
    }

    /// The store thread; opened in memory when no [`Job::OpenStores`] came first.
    fn store_thread(&mut self) -> &mut stores::StoreThread {
        self.stores.get_or_insert_with(|| stores::StoreThread::spawn(None, self.emitter.clone()))
    }

    fn cancel_in_flight(&mut self) {
        if let Some((_, token)) = self.in_flight.take() {
            token.cancel();
        }
    }

    /// Starts an export on its own task; an export still going is cancelled first (the
    /// window runs one at a time).
    fn export(&mut self, job_id: u64, request: ExportRequest) {
        if let Some((_, token, cancel)) = self.exporting.take() {
            cancel.store(true, Ordering::Relaxed);
            token.cancel();
        }
        let token = CancellationToken::new();
        let cancel = Arc::new(AtomicBool::new(false));
        self.exporting = Some((job_id, token.clone(), Arc::clone(&cancel)));
        let (client, emitter) = (self.client.clone(), self.emitter.clone());
        tokio::spawn(export_job::run(job_id, request, client, token, cancel, emitter));
    }

    fn cancel_loading(&mut self) {
        if let Some((_, token)) = self.loading.take() {
            token.cancel();
        }
    }

    fn run(&mut self, request_id: u64, body: QueryBody) {
        self.cancel_in_flight();
        let emitter = self.emitter.clone();
        let Some(client) = self.client.clone() else {
            emitter.emit(Event::Finished {
                request_id,
                duration_ms: 0,
                result: Err(ClientError::Request {
                    message: "not connected to a server yet".to_string(),
                    url: String::new(),
                }),
            });
            return;
        };
        let token = CancellationToken::new();
        self.in_flight = Some((request_id, token.clone()));
        emitter.emit(Event::Started { request_id });
        let key = self.client_key.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            let work = async {
                let raw = client.query_raw(&body).await?;
                let url = client.endpoint_url(QUERY_PATH);
                // Parsing a large answer takes a while: never on the runtime's threads.
                blocking(move || build_answer(&body, raw.bytes, raw.request_id, &url, key.as_ref()))
                    .await
                    .map_err(|message| ClientError::Request {
                        message,
                        url: client.endpoint_url(QUERY_PATH),
                    })?
            };
            tokio::select! {
                () = token.cancelled() => emitter.emit(Event::Cancelled { request_id }),
                result = work => {
                    let duration_ms = elapsed_ms(started);
                    emitter.emit(Event::Finished { request_id, duration_ms, result });
                }
            }
        });
    }

    /// Streams the export of `body` into a table on a blocking thread, through a bounded
    /// pipe, with progress and cancellation, and holds its rows against `total`. A newer load
    /// cancels this one.
    fn load_all(&mut self, job_id: u64, body: QueryBody, total: Option<u64>) {
        self.cancel_loading();
        let emitter = self.emitter.clone();
        let Some(client) = self.client.clone() else {
            emitter.emit(Event::LoadFinished {
                job_id,
                duration_ms: 0,
                result: Err(LoadAllError::Client(ClientError::Request {
                    message: "not connected to a server yet".to_string(),
                    url: String::new(),
                })),
            });
            return;
        };
        let token = CancellationToken::new();
        self.loading = Some((job_id, token.clone()));
        tokio::spawn(async move {
            let started = Instant::now();
            let result = load_all_rows(job_id, &client, body, total, &token, &emitter).await;
            emitter.emit(Event::LoadFinished { job_id, duration_ms: elapsed_ms(started), result });
        });
    }

    fn fetch_keys(&self, field: Field) {
        let (Some(client), Some(property_field)) = (self.client.clone(), PropertyField::from_field(field))
        else {
            return;
        };
        let emitter = self.emitter.clone();
        let connection_id = self.connection_id;
        tokio::spawn(async move {
            let result = client
                .property_keys(&PropertyKeysRequest::new(property_field))
                .await
                .map_err(|err| err.user_message());
            emitter.emit(Event::Keys { connection_id, field, result });
        });
    }

    fn fetch_values(&self, field: Field, key: String) {
        let (Some(client), Some(property_field)) = (self.client.clone(), PropertyField::from_field(field))
        else {
            return;
        };
        let emitter = self.emitter.clone();
        let connection_id = self.connection_id;
        tokio::spawn(async move {
            let request = PropertyValuesRequest {
                limit: Some(SUGGESTED_VALUES_LIMIT),
                ..PropertyValuesRequest::new(property_field, key.clone())
            };
            let result = client.property_values(&request).await.map_err(|err| err.user_message());
            emitter.emit(Event::Values { connection_id, field, key, result });
        });
    }

    fn test_connection(&self) {
        let emitter = self.emitter.clone();
        let connection_id = self.connection_id;
        let Some(client) = self.client.clone() else {
            emitter.emit(Event::ConnectionTested {
                connection_id,
                result: Err(ClientError::Request {
                    message: "not connected to a server yet".to_string(),
                    url: String::new(),
                }),
            });
            return;
        };
        tokio::spawn(async move {
            // One row: the number of conversations. Cheap for the server, and it exercises
            // the key's permission to read analytics.
            let body = QueryBody { select: vec![Selection::count()], ..QueryBody::default() };
            let result = client.query(&body).await.map(|response| count_of(&response));
            emitter.emit(Event::ConnectionTested { connection_id, result });
        });
    }

    async fn connect(&mut self, target: ConnectTarget) {
        self.cancel_in_flight();
        self.cancel_loading();
        let mut notice = None;
        let mut notice_details = None;
        let resolved = match target {
            ConnectTarget::Demo => None,
            ConnectTarget::Automatic { base_url, env_key } => match env_key {
                Some(key) => Some((base_url, Some((key, KeySource::Environment)))),
                None => match self.load_saved_key().await {
                    Ok(Some(key)) => Some((base_url, Some((key, KeySource::Keychain)))),
                    // No key anywhere: the demo, without comment (that is the normal first start).
                    Ok(None) | Err(SecretError::Unavailable(_)) => None,
                    Err(err) => {
                        tracing::warn!(error = %err, "the saved key could not be read");
                        notice = Some(KEYCHAIN_UNREADABLE_MESSAGE.to_string());
                        notice_details = Some(err.details());
                        None
                    }
                },
            },
            ConnectTarget::Remote { base_url, key: RemoteKey::Without } => Some((base_url, None)),
            ConnectTarget::Remote { base_url, key: RemoteKey::FromEnvironment(key) } => {
                Some((base_url, Some((key, KeySource::Environment))))
            }
            ConnectTarget::Remote { base_url, key: RemoteKey::Entered { key, remember } } => {
                let source = if remember {
                    let keychain = Arc::clone(&self.keychain);
                    let secret = key.expose().to_string();
                    let result = blocking(move || keychain.save(&secret))
                        .await
                        .unwrap_or_else(|message| Err(SecretError::Failed(message)));
                    match result {
                        Ok(()) => KeySource::Keychain,
                        Err(err) => {
                            // One plain sentence for the user; the D-Bus error for Details and the log.
                            tracing::warn!(error = %err, "the key could not be saved in the keychain");
                            notice = Some(err.save_message().to_string());
                            notice_details = Some(err.details());
                            KeySource::SessionOnly
                        }
                    }
                } else {
                    KeySource::SessionOnly
                };
                Some((base_url, Some((key, source))))
            }
            ConnectTarget::Remote { base_url, key: RemoteKey::Current } => {
                let key = match self.remote_key.clone() {
                    Some(current) => Some(current),
                    None => self.load_saved_key().await.ok().flatten().map(|key| (key, KeySource::Keychain)),
                };
                Some((base_url, key))
            }
        };
        let (kind, base_url, key) = match resolved {
            Some((base_url, key)) => (ConnectionKind::Remote, base_url, key),
            None => match self.ensure_demo().await {
                Ok(url) => (ConnectionKind::Demo, url, None),
                Err(message) => {
                    self.emitter.emit(Event::ConnectFailed {
                        message: format!("The embedded demo API could not start: {message}"),
                    });
                    return;
                }
            },
        };
        // The demo API, like the real one, wants a bearer token, but accepts any.
        let api_key = match (&key, kind) {
            (Some((key, _)), _) => Some(key.clone()),
            (None, ConnectionKind::Demo) => Some(ApiKey::new(DEMO_TOKEN.to_string())),
            (None, ConnectionKind::Remote) => None,
        };
        let config = ClientConfig { base_url: base_url.clone(), api_key, ..self.client_defaults.clone() };
        match AnalyticsClient::new(config) {
            Ok(client) => {
                self.client = Some(client.clone());
                self.client_key = key.as_ref().map(|(key, _)| key.clone());
                self.connection_id += 1;
                if kind == ConnectionKind::Remote && key.is_some() {
                    self.remote_key = key.clone();
                }
                self.emitter.emit(Event::Connected(ConnectionInfo {
                    id: self.connection_id,
                    kind,
                    base_url: client.base_url().to_string(),
                    key_source: key.map(|(_, source)| source),
                    notice,
                    notice_details,
                }));
            }
            Err(err) => self.emitter.emit(Event::ConnectFailed { message: err.user_message() }),
        }
    }

    async fn load_saved_key(&self) -> Result<Option<ApiKey>, SecretError> {
        let keychain = Arc::clone(&self.keychain);
        match blocking(move || keychain.load()).await {
            Ok(result) => result.map(|key| key.map(ApiKey::new).filter(|key| !key.is_empty())),
            Err(message) => Err(SecretError::Failed(message)),
        }
    }

    /// Starts the demo server the first time; its base URL.
    async fn ensure_demo(&mut self) -> Result<String, String> {
        if let Some(demo) = &self.demo {
            return Ok(demo.url());
        }
        let config =
            ServerConfig { page_size: self.demo_page_size, ..ServerConfig::local(self.demo_dataset) };
        let server = blocking(move || DemoServer::start_in_background(config).map_err(|err| err.to_string()))
            .await
            .and_then(|result| result)?;
        let url = server.url();
        self.demo = Some(Arc::new(server));
        Ok(url)
    }
}

/// How often "Load all rows" reports progress.
pub const PROGRESS_INTERVAL: Duration = Duration::from_millis(100);

/// Chunks the export may get ahead of the CSV reader (each is one network chunk, usually
/// a few KiB to 64 KiB), bounding the memory of the pipe.
const PIPE_CAPACITY_CHUNKS: usize = 32;

fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Builds the table of an answer. When the fast parser rejects the bytes, the envelope
/// parser says precisely what is wrong (and, should it accept them, its rows are used).
fn build_answer(
    body: &QueryBody,
    bytes: Bytes,
    server_request_id: Option<String>,
    url: &str,
    key: Option<&ApiKey>,
) -> Result<RunAnswer, ClientError> {
    let (table, meta) = match ResultTable::from_answer(body, &bytes) {
        Ok(built) => built,
        Err(source) => {
            return Err(ClientError::Envelope {
                source: redact_key_in_envelope(source, key),
                request_id: server_request_id,
                url: url.to_string(),
            });
        }
    };
    Ok(RunAnswer { table: Arc::new(table), meta, server_request_id, raw: RawAnswer::keep(bytes) })
}

/// Rows matching `body`: the `total` of its query answer (the rows of the page are dropped).
async fn query_total(client: &AnalyticsClient, body: &QueryBody) -> Result<u64, ClientError> {
    let raw = client.query_raw(body).await?;
    let url = client.endpoint_url(QUERY_PATH);
    let body = body.clone();
    blocking(move || {
        ResultTable::from_answer(&body, &raw.bytes)
            .map(|(_, meta)| meta.total)
            .map_err(|source| ClientError::Envelope { source, request_id: raw.request_id, url: url.clone() })
    })
    .await
    .map_err(|message| ClientError::Request { message, url: client.endpoint_url(QUERY_PATH) })?
}

/// The body of [`Job::LoadAll`]: the export streams into one end of a bounded pipe while a
/// blocking thread builds the table from the other end, so the CSV is never held whole.
/// The table must have at least `total` rows (asked for first when `None`).
async fn load_all_rows(
    job_id: u64,
    client: &AnalyticsClient,
    body: QueryBody,
    total: Option<u64>,
    token: &CancellationToken,
    emitter: &Emitter,
) -> Result<Arc<ResultTable>, LoadAllError> {
    let total = match total {
        Some(total) => total,
        None => tokio::select! {
            () = token.cancelled() => return Err(LoadAllError::Cancelled),
            counted = query_total(client, &body) => counted.map_err(LoadAllError::Client)?,
        },
    };
    let (mut writer, reader) = pipe::pipe(PIPE_CAPACITY_CHUNKS);
    // Set on cancel: the parser stops at its next progress check.
    let stop = Arc::new(AtomicBool::new(false));
    let rows_parsed = Arc::new(AtomicU64::new(0));
    let mut parser = {
        let (stop, rows_parsed, body) = (Arc::clone(&stop), Arc::clone(&rows_parsed), body.clone());
        tokio::task::spawn_blocking(move || {
            ResultTable::from_csv_reader(&body, reader, |progress| {
                rows_parsed.store(progress.row_count as u64, Ordering::Relaxed);
                !stop.load(Ordering::Relaxed)
            })
        })
    };
    let mut last_report: Option<Instant> = None;
    let progress = |byte_count: u64| {
        if last_report.is_none_or(|at| at.elapsed() >= PROGRESS_INTERVAL) {
            last_report = Some(Instant::now());
            let row_count = usize::try_from(rows_parsed.load(Ordering::Relaxed)).unwrap_or(usize::MAX);
            emitter.emit(Event::LoadProgress { job_id, progress: LoadProgress { row_count, byte_count } });
        }
    };
    let exported = tokio::select! {
        () = token.cancelled() => None,
        result = client.export_csv(&body, &mut writer, progress) => Some(result),
    };
    let stop_parser = |writer: pipe::PipeWriter| {
        stop.store(true, Ordering::Relaxed);
        // Without the end marker the reader sees the stream break off, never a short table.
        drop(writer);
    };
    match exported {
        None => {
            stop_parser(writer);
            let _ = parser.await;
            Err(LoadAllError::Cancelled)
        }
        Some(Err(error)) => {
            stop_parser(writer);
            match parser.await {
                // The parser gave up first (bad CSV), which broke the pipe: its error is the cause.
                Ok(Err(table_error))
                    if is_broken_pipe(&error) && !matches!(table_error, TableError::Cancelled) =>
                {
                    Err(LoadAllError::Table(table_error))
                }
                _ => Err(LoadAllError::Client(error)),
            }
        }
        Some(Ok(_)) => {
            if writer.finish().is_err() {
                // The parser already stopped; its result below says why.
                tracing::debug!("the CSV parser stopped before the end of the export");
            }
            let parsed = tokio::select! {
                () = token.cancelled() => {
                    stop.store(true, Ordering::Relaxed);
                    let _ = parser.await;
                    return Err(LoadAllError::Cancelled);
                }
                parsed = &mut parser => parsed,
            };
            match parsed {
                Ok(Ok(table)) => {
                    // More rows than counted is fine (the workspace grew); the window says so.
                    check_all_rows(table.row_count() as u64, Some(total))
                        .map_err(LoadAllError::Incomplete)?;
                    Ok(Arc::new(table))
                }
                Ok(Err(TableError::Cancelled)) => Err(LoadAllError::Cancelled),
                Ok(Err(table_error)) => Err(LoadAllError::Table(table_error)),
                Err(join_error) => Err(LoadAllError::Table(TableError::Csv(format!(
                    "the background task failed: {join_error} ({})",
                    client.endpoint_url(EXPORT_PATH)
                )))),
            }
        }
    }
}

fn is_broken_pipe(error: &ClientError) -> bool {
    matches!(error, ClientError::Io { source } if source.kind() == std::io::ErrorKind::BrokenPipe)
}

/// A bounded, in-memory byte pipe between the async export (writer) and a blocking parser
/// thread (reader). The writer waits when the reader falls behind, which in turn slows the
/// download: memory stays bounded by the capacity.
mod pipe {
    use std::io;
    use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};

    enum Message {
        Chunk(Vec<u8>),
        /// The stream is complete; without it, a closed writer is a broken-off stream.
        End,
    }

    /// A pipe holding at most `capacity_chunks` unread writes.
    pub(super) fn pipe(capacity_chunks: usize) -> (PipeWriter, PipeReader) {
        let (sender, receiver) = sync_channel(capacity_chunks.max(1));
        (PipeWriter { sender }, PipeReader { receiver, chunk: Vec::new(), position: 0, ended: false })
    }

    /// The writing end.
    pub(super) struct PipeWriter {
        sender: SyncSender<Message>,
    }

    impl PipeWriter {
        /// Marks the stream complete.
        pub(super) fn finish(self) -> io::Result<()> {
            self.send(Message::End)
        }

        fn send(&self, message: Message) -> io::Result<()> {
            match self.sender.try_send(message) {
                Ok(()) => Ok(()),
                Err(TrySendError::Full(message)) => {
                    let send = || self.sender.send(message).map_err(|_| broken_pipe());
                    // Waiting for the reader on a runtime thread: tell tokio, so other
                    // tasks move to another thread meanwhile.
                    let on_multi_thread_runtime = tokio::runtime::Handle::try_current().is_ok_and(|handle| {
                        handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread
                    });
                    if on_multi_thread_runtime { tokio::task::block_in_place(send) } else { send() }
                }
                Err(TrySendError::Disconnected(_)) => Err(broken_pipe()),
            }
        }
    }

    fn broken_pipe() -> io::Error {
        io::Error::new(io::ErrorKind::BrokenPipe, "the CSV reader stopped")
    }

    impl io::Write for PipeWriter {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if buf.is_empty() {
                return Ok(0);
            }
            self.send(Message::Chunk(buf.to_vec()))?;
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// The reading end; blocks until data arrives.
    pub(super) struct PipeReader {
        receiver: Receiver<Message>,
        chunk: Vec<u8>,
        position: usize,
        ended: bool,
    }

    impl io::Read for PipeReader {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if buf.is_empty() {
                return Ok(0);
            }
            loop {
                let rest = self.chunk.get(self.position..).unwrap_or_default();
                if !rest.is_empty() {
                    let n = rest.len().min(buf.len());
                    buf.get_mut(..n).unwrap_or_default().copy_from_slice(rest.get(..n).unwrap_or_default());
                    self.position += n;
                    return Ok(n);
                }
                if self.ended {
                    return Ok(0);
                }
                match self.receiver.recv() {
                    Ok(Message::Chunk(chunk)) => {
                        self.chunk = chunk;
                        self.position = 0;
                    }
                    Ok(Message::End) => self.ended = true,
                    Err(_) => {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "the export stopped before its end",
                        ));
                    }
                }
            }
        }
    }
}

/// How many values a suggestion menu lists.
const SUGGESTED_VALUES_LIMIT: u32 = 200;

/// Runs blocking work (keychain, files, starting a server) off the async threads.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, String> {
    tokio::task::spawn_blocking(work).await.map_err(|err| format!("the background task failed: {err}"))
}

/// The `count` of a `select:[count]` answer.
fn count_of(response: &QueryResponse) -> u64 {
    response.rows.first().and_then(|row| row.get("count")).and_then(serde_json::Value::as_u64).unwrap_or(0)
}

/// Encodes and writes a PNG atomically.
fn write_png(path: &std::path::Path, width: u32, height: u32, rgba: &[u8]) -> Result<(), String> {
    use image::ImageEncoder as _;
    let mut bytes = Vec::new();
    image::codecs::png::PngEncoder::new(&mut bytes)
        .write_image(rgba, width, height, image::ExtendedColorType::Rgba8)
        .map_err(|err| format!("could not encode the screenshot: {err}"))?;
    write_atomic_with(path, FileAccess::Shared, |out| out.write_all(&bytes))
        .map(|_| ())
        .map_err(|err| format!("could not write the screenshot: {err} ({})", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn small_dataset() -> DatasetParams {
        DatasetParams { rows: 300, ..DatasetParams::default() }
    }

    fn worker(keychain: Keychain) -> Worker {
        worker_with_page_size(keychain, WorkerConfig::DEFAULT_DEMO_PAGE_SIZE)
    }

    fn worker_with_page_size(keychain: Keychain, demo_page_size: usize) -> Worker {
        let config = WorkerConfig {
            keychain: Arc::new(keychain),
            demo_dataset: small_dataset(),
            demo_page_size,
            client_defaults: ClientConfig { max_retries: 0, ..ClientConfig::default() },
        };
        Worker::spawn(config, Arc::new(|| {})).unwrap()
    }

    fn next_event(worker: &Worker) -> Event {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(event) = worker.try_recv() {
                return event;
            }
            assert!(Instant::now() < deadline, "no event from the worker within 60 s");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn without_a_key_the_demo_api_answers_a_run() {
        let worker = worker(Keychain::disabled());
        worker.send(Job::Connect(ConnectTarget::Automatic {
            base_url: "https://api.analytics.inkeep.com".to_string(),
            env_key: None,
        }));
        let Event::Connected(info) = next_event(&worker) else { panic!("expected Connected") };
        assert_eq!(info.kind, ConnectionKind::Demo);
        assert!(info.base_url.starts_with("http://127.0.0.1:"), "{}", info.base_url);
        assert_eq!(info.key_source, None);

        worker.send(Job::Run {
            request_id: 7,
            body: QueryBody { select: vec![Selection::count()], ..QueryBody::default() },
        });
        assert!(matches!(next_event(&worker), Event::Started { request_id: 7 }));
        match next_event(&worker) {
            Event::Finished { request_id: 7, result: Ok(answer), .. } => {
                assert_eq!(answer.table.cell(0, 0), crate::data::CellRef::Int(300));
                assert_eq!(answer.meta, Meta { total: 1, page_size: 1000, count: 1 });
                let raw: serde_json::Value = serde_json::from_slice(&answer.raw.bytes).unwrap();
                assert_eq!(raw["data"]["result"][0]["count"], 300);
                assert!(answer.raw.is_complete());
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    fn connect_demo(worker: &Worker) {
        worker.send(Job::Connect(ConnectTarget::Demo));
        let Event::Connected(info) = next_event(worker) else { panic!("expected Connected") };
        assert_eq!(info.kind, ConnectionKind::Demo);
    }

    fn raw_rows_query() -> QueryBody {
        crate::api::query::parse_query(
            r#"{"select":[{"type":"field","field":"id"},{"type":"field","field":"type"},
                {"type":"field","field":"userMessageCount"}],
                "orderBy":[{"field":"id","direction":"asc"}]}"#,
        )
        .unwrap()
    }

    #[test]
    fn load_all_streams_the_export_into_a_table_with_every_row() {
        let worker = worker_with_page_size(Keychain::disabled(), 100);
        connect_demo(&worker);
        worker.send(Job::Run { request_id: 1, body: raw_rows_query() });
        assert!(matches!(next_event(&worker), Event::Started { request_id: 1 }));
        let Event::Finished { result: Ok(first_page), .. } = next_event(&worker) else {
            panic!("expected the first page")
        };
        assert_eq!(first_page.table.row_count(), 100);
        assert_eq!(first_page.meta.total, 300);

        worker.send(Job::LoadAll { job_id: 2, body: raw_rows_query(), total: None });
        let table = loop {
            match next_event(&worker) {
                Event::LoadProgress { job_id: 2, .. } => {}
                Event::LoadFinished { job_id: 2, result, .. } => break result.unwrap(),
                other => panic!("unexpected {other:?}"),
            }
        };
        assert_eq!(table.row_count(), 300);
        assert_eq!(table.column_names(), ["id", "type", "userMessageCount"]);
        // The first page is the start of the full table, row for row.
        for row in 0..100 {
            for col in 0..3 {
                assert_eq!(table.cell_text(row, col), first_page.table.cell_text(row, col), "({row}, {col})");
            }
        }
    }

    /// The result of a load of the 300 demo rows held against `total`.
    fn load_against(total: u64) -> Result<Arc<ResultTable>, LoadAllError> {
        let worker = worker_with_page_size(Keychain::disabled(), 100);
        connect_demo(&worker);
        worker.send(Job::LoadAll { job_id: 3, body: raw_rows_query(), total: Some(total) });
        loop {
            match next_event(&worker) {
                Event::LoadProgress { job_id: 3, .. } => {}
                Event::LoadFinished { job_id: 3, result, .. } => break result,
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn a_load_with_fewer_rows_than_the_total_fails_and_more_succeeds() {
        // As if the run had counted one row more than the export brought.
        match load_against(301) {
            Err(LoadAllError::Incomplete(short)) => {
                assert_eq!(short, ShortExport { received: 300, total: 301 });
            }
            other => panic!("expected an incomplete load, got {other:?}"),
        }
        let message = LoadAllError::Incomplete(ShortExport { received: 41_000, total: 48_210 }).to_string();
        assert_eq!(message, "the export stopped after 41,000 of 48,210 rows, fewer than the query counted.");
        // A workspace that gained a row since the count: every row is loaded.
        assert_eq!(load_against(299).unwrap().row_count(), 300);
    }

    #[test]
    fn a_cancelled_load_ends_cancelled() {
        let worker = worker_with_page_size(Keychain::disabled(), 100);
        connect_demo(&worker);
        worker.send(Job::LoadAll { job_id: 5, body: raw_rows_query(), total: Some(300) });
        worker.send(Job::CancelLoad { job_id: 5 });
        loop {
            match next_event(&worker) {
                Event::LoadProgress { job_id: 5, .. } => {}
                Event::LoadFinished { job_id: 5, result: Err(LoadAllError::Cancelled), .. } => break,
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn the_pipe_delivers_every_byte_and_a_broken_off_stream_is_an_error() {
        use std::io::{Read as _, Write as _};
        let (mut writer, mut reader) = pipe::pipe(2);
        let producer = std::thread::spawn(move || {
            for i in 0..1000u32 {
                writer.write_all(format!("{i},").as_bytes()).unwrap();
            }
            writer.finish().unwrap();
        });
        let mut text = String::new();
        reader.read_to_string(&mut text).unwrap();
        producer.join().unwrap();
        let expected: String = (0..1000u32).map(|i| format!("{i},")).collect();
        assert_eq!(text, expected);

        let (mut writer, mut reader) = pipe::pipe(2);
        writer.write_all(b"partial").unwrap();
        drop(writer);
        let mut text = String::new();
        let error = reader.read_to_string(&mut text).unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::UnexpectedEof);

        // A reader that went away makes the writer fail instead of blocking forever.
        let (mut writer, reader) = pipe::pipe(1);
        drop(reader);
        assert_eq!(writer.write(b"x").unwrap_err().kind(), std::io::ErrorKind::BrokenPipe);
    }

    #[test]
    fn a_large_raw_answer_keeps_only_its_start() {
        let small = RawAnswer::keep(Bytes::from_static(b"{}"));
        assert!(small.is_complete());
        let big = RawAnswer::keep(Bytes::from(vec![b' '; RAW_KEEP_WHOLE_BYTES + 1]));
        assert!(!big.is_complete());
        assert_eq!((big.bytes.len(), big.total_bytes), (RAW_PREFIX_BYTES, RAW_KEEP_WHOLE_BYTES + 1));
    }

    #[test]
    fn a_saved_key_is_used_and_an_entered_key_is_saved() {
        let store = keyring_core::mock::Store::new().unwrap();
        let keychain = Keychain::with_store(store.clone());
        keychain.save("from-keychain").unwrap();
        let worker = worker(Keychain::with_store(store.clone()));
        worker.send(Job::Connect(ConnectTarget::Automatic {
            base_url: "http://127.0.0.1:9".to_string(),
            env_key: None,
        }));
        let Event::Connected(info) = next_event(&worker) else { panic!("expected Connected") };
        assert_eq!(info.kind, ConnectionKind::Remote);
        assert_eq!(info.key_source, Some(KeySource::Keychain));

        worker.send(Job::Connect(ConnectTarget::Remote {
            base_url: "http://127.0.0.1:9".to_string(),
            key: RemoteKey::Entered { key: ApiKey::new("typed".to_string()), remember: true },
        }));
        let Event::Connected(info) = next_event(&worker) else { panic!("expected Connected") };
        assert_eq!(info.key_source, Some(KeySource::Keychain));
        assert_eq!(keychain.load().unwrap().as_deref(), Some("typed"));

        worker.send(Job::ForgetSavedKey);
        assert!(matches!(next_event(&worker), Event::KeyForgotten(Ok(()))));
        assert_eq!(keychain.load().unwrap(), None);
    }

    #[test]
    fn without_a_keychain_an_entered_key_is_kept_for_the_session_and_said_so() {
        let worker = worker(Keychain::disabled());
        worker.send(Job::Connect(ConnectTarget::Remote {
            base_url: "http://127.0.0.1:9".to_string(),
            key: RemoteKey::Entered { key: ApiKey::new("typed".to_string()), remember: true },
        }));
        let Event::Connected(info) = next_event(&worker) else { panic!("expected Connected") };
        assert_eq!(info.key_source, Some(KeySource::SessionOnly));
        let notice = info.notice.unwrap();
        assert!(notice.contains("this session only"), "{notice}");
        assert!(!notice.contains("typed"), "the key must never appear in messages: {notice}");
    }

    #[test]
    fn an_unreachable_server_fails_the_test_with_a_network_error() {
        // Port 9 (discard) on loopback is closed on test machines: the connect is refused.
        let worker = worker(Keychain::disabled());
        worker.send(Job::Connect(ConnectTarget::Remote {
            base_url: "http://127.0.0.1:9".to_string(),
            key: RemoteKey::Without,
        }));
        let Event::Connected(info) = next_event(&worker) else { panic!("expected Connected") };
        worker.send(Job::TestConnection);
        match next_event(&worker) {
            Event::ConnectionTested { connection_id, result: Err(err) } => {
                assert_eq!(connection_id, info.id);
                assert!(matches!(err, ClientError::Connect { .. }), "{err:?}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn png_is_written_and_decodes_to_the_same_pixels() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shot.png");
        let rgba: Vec<u8> = (0..2 * 3 * 4).map(|i| (i * 10) as u8).collect();
        write_png(&path, 2, 3, &rgba).unwrap();
        let decoded = image::open(&path).unwrap().to_rgba8();
        assert_eq!(decoded.dimensions(), (2, 3));
        assert_eq!(decoded.into_raw(), rgba);
    }
}
