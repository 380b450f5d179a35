//! The background worker: a named thread owning a tokio runtime, the API client and (when
//! used) the embedded demo API. The window sends [`Job`]s and drains [`Event`]s each
//! frame; after every event the worker calls the repaint callback so the window wakes up.
//!
//! Nothing here knows egui: the window passes a plain `Fn()` that requests a repaint.
//! Everything that may block (network, keychain over D-Bus, files) happens here, never on
//! the UI thread.
//!
//! The parts: [`protocol`] (the `Job` and `Event` enums and their [`JobTag`]s), this file (the
//! runtime thread and the dispatch of jobs), `connection` (connecting, testing, suggestions),
//! `runs` (query runs), `load_all` ("Load all rows") with its `pipe`, `export_job` and
//! `stores` (presets and run history on their own thread).
//!
//! # Runs and cancellation
//!
//! Each query tab runs at most one query at a time; tabs run concurrently. A new
//! [`Job::Run`] cancels the run in flight *of the same tab* (it ends with
//! [`Event::Cancelled`]); the window additionally drops any event whose `request_id` is not
//! the run its tab waits for, so a superseded answer is never shown. "Load all rows" is per
//! tab in the same way.
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
//! A run's answer is turned into a [`ResultTable`](crate::data::ResultTable) here, on a
//! blocking thread, never on the UI thread. "Load all rows" ([`Job::LoadAll`]) streams the
//! export endpoint's CSV through a bounded in-memory pipe into the table's CSV reader on a
//! blocking thread, so the whole CSV is never held at once; it reports progress and can be
//! cancelled. The CSV carries no row count: the load holds the rows it got against the query
//! answer's `total` (passed along by the window, else asked for first) and refuses fewer.
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

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use crate::api::client::{AnalyticsClient, ApiKey, ClientConfig};
use crate::atomic_file::{FileAccess, write_atomic_with};
use crate::demo::dataset::DatasetParams;
use crate::demo::server::{DEFAULT_PAGE_SIZE, DemoServer};
use crate::secrets::{KeySource, Keychain, SecretError};

mod connection;
mod export_job;
mod load_all;
mod pipe;
pub mod protocol;
mod runs;
mod stores;

pub use export_job::{ExportPhase, ExportProgress, ExportRequest, ExportSource};
pub use protocol::{
    ConnectTarget, ConnectionInfo, ConnectionKind, Event, Job, JobTag, LoadAllError, PngPurpose, Purpose,
    RAW_KEEP_WHOLE_BYTES, RAW_PREFIX_BYTES, RawAnswer, RemoteKey, RunAnswer, SaveResult, TabId,
};
pub use stores::{
    HistoryOp, HistoryUpdate, PresetFilePurpose, PresetOp, PresetsCause, PresetsUpdate, describe_import,
};

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
                core.cancel_every_run();
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
    /// The run in flight of each tab: its id and what cancels it.
    /// Runs in flight: one per tab and purpose (a tab's run and its comparison's run).
    in_flight: HashMap<JobTag, (u64, CancellationToken)>,
    /// The "Load all rows" in progress.
    loading: HashMap<TabId, (u64, CancellationToken)>,
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
            in_flight: HashMap::new(),
            loading: HashMap::new(),
            exporting: None,
            stores: None,
        }
    }

    async fn handle(&mut self, job: Job) {
        match job {
            Job::Connect(target) => self.connect(target).await,
            Job::Run { tag, request_id, view, body } => self.run(tag, request_id, view, body),
            Job::Cancel { tag, request_id } => {
                if self.in_flight.get(&tag).is_some_and(|(id, _)| *id == request_id) {
                    self.cancel_run_tagged(tag);
                }
            }
            Job::LoadAll { tag, job_id, view, body, total } => self.load_all(tag, job_id, view, body, total),
            Job::CancelLoad { tag, job_id } => {
                if self.loading.get(&tag.tab).is_some_and(|(id, _)| *id == job_id) {
                    self.cancel_load_of(tag.tab);
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
            Job::Export { tag, job_id, request } => self.export(tag, job_id, *request),
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
            Job::PickSavePath { tag, file_name, directory } => {
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
                    emitter.emit(Event::SavePathPicked { tag, path: picked });
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
            Job::FetchKeys { view, field } => self.fetch_keys(view, field),
            Job::FetchValues { view, field, key } => self.fetch_values(view, field, key),
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
            Job::SaveSettings { dir, settings, tabs } => {
                let emitter = self.emitter.clone();
                tokio::spawn(async move {
                    let result = blocking(move || {
                        if let Some(settings) = settings {
                            settings.save(&dir).map_err(|err| err.to_string())?;
                        }
                        match tabs {
                            Some(tabs) => tabs.save(&dir).map_err(|err| err.to_string()),
                            None => Ok(()),
                        }
                    })
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

    fn export(&mut self, tag: JobTag, job_id: u64, request: ExportRequest) {
        if let Some((_, token, cancel)) = self.exporting.take() {
            cancel.store(true, Ordering::Relaxed);
            token.cancel();
        }
        let token = CancellationToken::new();
        let cancel = Arc::new(AtomicBool::new(false));
        self.exporting = Some((job_id, token.clone(), Arc::clone(&cancel)));
        let (client, emitter) = (self.client.clone(), self.emitter.clone());
        tokio::spawn(export_job::run(tag, job_id, request, client, token, cancel, emitter));
    }
}

/// How often "Load all rows" and exports report progress.
pub const PROGRESS_INTERVAL: Duration = Duration::from_millis(100);

fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Runs blocking work (keychain, files, starting a server) off the async threads.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, String> {
    tokio::task::spawn_blocking(work).await.map_err(|err| format!("the background task failed: {err}"))
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
    use crate::api::client::ClientError;
    use crate::api::query::{QueryBody, Selection};
    use crate::api::view::View;
    use crate::data::export::ShortExport;
    use crate::data::{Meta, ResultTable};
    use bytes::Bytes;
    use std::time::Duration;

    fn run_tag(tab: u64) -> JobTag {
        JobTag::new(TabId(tab), Purpose::Run)
    }

    fn load_tag(tab: u64) -> JobTag {
        JobTag::new(TabId(tab), Purpose::LoadAll)
    }

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
            tag: run_tag(1),
            request_id: 7,
            view: View::Conversations,
            body: QueryBody { select: vec![Selection::count()], ..QueryBody::default() },
        });
        assert!(matches!(next_event(&worker), Event::Started { request_id: 7, .. }));
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

    #[test]
    fn a_run_goes_to_its_view_and_its_time_buckets_chart() {
        let worker = worker(Keychain::disabled());
        connect_demo(&worker);
        // A bucket without a field buckets the view's default time: feedback's createdAt.
        let body = crate::api::query::parse_query(
            r#"{"select":[{"type":"time","timeUnit":"week"},{"type":"aggregation","aggregation":"count","field":"id"}],
                "groupBy":[{"field":"type"}]}"#,
        )
        .unwrap();
        worker.send(Job::Run { tag: run_tag(1), request_id: 9, view: View::Feedback, body: body.clone() });
        assert!(matches!(next_event(&worker), Event::Started { request_id: 9, .. }));
        let answer = match next_event(&worker) {
            Event::Finished { request_id: 9, result: Ok(answer), .. } => answer,
            other => panic!("unexpected {other:?}"),
        };
        assert!(answer.table.row_count() > 0, "the demo has feedback");
        let roles = crate::data::series::column_roles(&answer.table);
        let time = roles.time.expect("the bucket column is found by its source");
        assert_eq!(time.name, "createdAt_week");
        assert_eq!(time.field, crate::api::query::Field::CreatedAt);
        let chart = crate::data::series::derive_chart(
            Some(&answer.table),
            &body,
            &crate::data::series::SeriesOptions::default(),
            jiff::Timestamp::now(),
        );
        assert!(matches!(chart, crate::data::series::Chart::Time(_)), "{chart:?}");
        // Every value of `type` is a feedback type: the rows came from /query/feedback.
        let type_column = answer.table.column_names().iter().position(|name| *name == "type").unwrap();
        for row in 0..answer.table.row_count() {
            let value = answer.table.cell(row, type_column);
            assert!(matches!(value, crate::data::CellRef::Text("positive" | "negative")), "{value:?}");
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
        worker.send(Job::Run {
            tag: run_tag(1),
            request_id: 1,
            view: View::Conversations,
            body: raw_rows_query(),
        });
        assert!(matches!(next_event(&worker), Event::Started { request_id: 1, .. }));
        let Event::Finished { result: Ok(first_page), .. } = next_event(&worker) else {
            panic!("expected the first page")
        };
        assert_eq!(first_page.table.row_count(), 100);
        assert_eq!(first_page.meta.total, 300);

        worker.send(Job::LoadAll {
            tag: load_tag(1),
            job_id: 2,
            view: View::Conversations,
            body: raw_rows_query(),
            total: None,
        });
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
        worker.send(Job::LoadAll {
            tag: load_tag(1),
            job_id: 3,
            view: View::Conversations,
            body: raw_rows_query(),
            total: Some(total),
        });
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
        worker.send(Job::LoadAll {
            tag: load_tag(1),
            job_id: 5,
            view: View::Conversations,
            body: raw_rows_query(),
            total: Some(300),
        });
        worker.send(Job::CancelLoad { tag: load_tag(1), job_id: 5 });
        loop {
            match next_event(&worker) {
                Event::LoadProgress { job_id: 5, .. } => {}
                Event::LoadFinished { job_id: 5, result: Err(LoadAllError::Cancelled), .. } => break,
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn runs_of_two_tabs_both_answer_and_a_new_run_supersedes_only_its_own_tab() {
        let worker = worker(Keychain::disabled());
        connect_demo(&worker);
        let body = QueryBody { select: vec![Selection::count()], ..QueryBody::default() };
        worker.send(Job::Run {
            tag: run_tag(1),
            request_id: 1,
            view: View::Conversations,
            body: body.clone(),
        });
        worker.send(Job::Run {
            tag: run_tag(2),
            request_id: 2,
            view: View::Conversations,
            body: body.clone(),
        });
        // Tab 1 runs again: its first run is superseded, tab 2's is not.
        worker.send(Job::Run { tag: run_tag(1), request_id: 3, view: View::Conversations, body });
        let mut finished = Vec::new();
        let mut cancelled = Vec::new();
        while finished.len() < 2 {
            match next_event(&worker) {
                Event::Started { .. } => {}
                Event::Finished { tag, request_id, result, .. } => {
                    assert!(result.is_ok(), "{result:?}");
                    finished.push((tag.tab.0, request_id));
                }
                Event::Cancelled { tag, request_id } => cancelled.push((tag.tab.0, request_id)),
                other => panic!("unexpected {other:?}"),
            }
        }
        finished.sort_unstable();
        assert_eq!(finished, [(1, 3), (2, 2)], "each answer carries the tab that asked");
        assert!(cancelled.iter().all(|&(tab, id)| (tab, id) == (1, 1)), "{cancelled:?}");
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
