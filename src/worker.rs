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

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Instant;

use tokio_util::sync::CancellationToken;

use crate::api::client::{AnalyticsClient, ApiKey, ClientConfig, ClientError};
use crate::api::query::{Field, QueryBody, Selection};
use crate::api::response::{PropertyField, PropertyKeysRequest, PropertyValuesRequest, QueryResponse};
use crate::demo::dataset::DatasetParams;
use crate::demo::server::{DemoServer, ServerConfig};
use crate::secrets::{KeySource, Keychain, SecretError};
use crate::settings::{Settings, write_atomically};

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
    /// Timeouts and retries for every client built (base URL and key are set per connection).
    pub client_defaults: ClientConfig,
}

impl std::fmt::Debug for WorkerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerConfig")
            .field("keychain", &self.keychain)
            .field("demo_dataset", &self.demo_dataset)
            .finish_non_exhaustive()
    }
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
    /// keychain was available and the key is kept for this session only.
    pub notice: Option<String>,
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
    /// Encode an RGBA image as PNG and write it.
    SavePng {
        /// The file to write.
        path: PathBuf,
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// `width * height * 4` bytes, row by row, unpremultiplied RGBA.
        rgba: Vec<u8>,
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
        /// Wall time from sending to the parsed answer.
        duration_ms: u64,
        /// The answer.
        result: Result<QueryResponse, ClientError>,
    },
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
    /// The outcome of [`Job::SavePng`].
    PngSaved {
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
        Ok(Worker { jobs: Some(job_sender), events: event_receiver, thread: Some(thread) })
    }

    /// Queues a job. Returns false when the worker has stopped (it then did nothing).
    pub fn send(&self, job: Job) -> bool {
        self.jobs.as_ref().is_some_and(|jobs| jobs.send(job).is_ok())
    }

    /// The next event, if one is waiting. Never blocks.
    pub fn try_recv(&self) -> Option<Event> {
        self.events.try_recv().ok()
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
    client_defaults: ClientConfig,
    client: Option<AnalyticsClient>,
    connection_id: u64,
    /// The key of the last real connection, reused by [`RemoteKey::Current`].
    remote_key: Option<(ApiKey, KeySource)>,
    /// Kept once started so switching back to the demo is instant.
    demo: Option<Arc<DemoServer>>,
    in_flight: Option<(u64, CancellationToken)>,
}

impl Core {
    fn new(config: WorkerConfig, emitter: Emitter) -> Core {
        Core {
            emitter,
            keychain: config.keychain,
            demo_dataset: config.demo_dataset,
            client_defaults: config.client_defaults,
            client: None,
            connection_id: 0,
            remote_key: None,
            demo: None,
            in_flight: None,
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
            Job::SavePng { path, width, height, rgba } => {
                let emitter = self.emitter.clone();
                tokio::spawn(async move {
                    let target = path.clone();
                    let result =
                        blocking(move || write_png(&target, width, height, &rgba)).await.and_then(|r| r);
                    emitter.emit(Event::PngSaved { path, result });
                });
            }
        }
    }

    fn cancel_in_flight(&mut self) {
        if let Some((_, token)) = self.in_flight.take() {
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
        tokio::spawn(async move {
            let started = Instant::now();
            tokio::select! {
                () = token.cancelled() => emitter.emit(Event::Cancelled { request_id }),
                result = client.query(&body) => {
                    let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
                    emitter.emit(Event::Finished { request_id, duration_ms, result });
                }
            }
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
        let mut notice = None;
        let resolved = match target {
            ConnectTarget::Demo => None,
            ConnectTarget::Automatic { base_url, env_key } => match env_key {
                Some(key) => Some((base_url, Some((key, KeySource::Environment)))),
                None => match self.load_saved_key().await {
                    Ok(Some(key)) => Some((base_url, Some((key, KeySource::Keychain)))),
                    // No key anywhere: the demo, without comment (that is the normal first start).
                    Ok(None) | Err(SecretError::Unavailable(_)) => None,
                    Err(err) => {
                        notice = Some(format!("The saved key could not be read ({err}); showing demo data."));
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
                    match blocking(move || keychain.save(&secret)).await {
                        Ok(Ok(())) => KeySource::Keychain,
                        Ok(Err(err)) => {
                            notice = Some(format!(
                                "The key could not be saved: {err}. It is kept for this session only."
                            ));
                            KeySource::SessionOnly
                        }
                        Err(message) => {
                            notice = Some(format!(
                                "The key could not be saved: {message}. It is kept for this session only."
                            ));
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
        let config = ServerConfig::local(self.demo_dataset);
        let server = blocking(move || DemoServer::start_in_background(config).map_err(|err| err.to_string()))
            .await
            .and_then(|result| result)?;
        let url = server.url();
        self.demo = Some(Arc::new(server));
        Ok(url)
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
    write_atomically(path, &bytes)
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
        let config = WorkerConfig {
            keychain: Arc::new(keychain),
            demo_dataset: small_dataset(),
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
            Event::Finished { request_id: 7, result: Ok(response), .. } => {
                assert_eq!(count_of(&response), 300);
            }
            other => panic!("unexpected {other:?}"),
        }
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
