//! The embedded Analytics API over HTTP: routes, auth, limits and `application/problem+json`
//! errors, answering exactly as `API.md` describes.
//!
//! # Startup
//!
//! The window starts this server in-process and wants its first frame within a second, so
//! [`DemoServer::start`] binds and answers at once while the dataset is built on a blocking
//! thread. Requests that arrive before the dataset is ready wait for it rather than fail.
//!
//! # Requests
//!
//! Every request gets an id (`x-request-id` header, and `requestId` in problem bodies). A
//! query request is checked in this order, each failure answered with its own problem:
//! bearer token (401), content type (415), body size (413), JSON syntax (400, with line
//! and column), the published schema (400, with the path such as
//! `where.and[2].condition.operator` and what is allowed there: wrong shape, unknown key,
//! wrong type, a `views` entry or an `orderBy.field` outside its closed set), validation
//! (422, listing every problem with its path). Only then does the store run,
//! always on a blocking thread.
//!
//! Content type: a body sent as `application/json` or any `…+json` type is read, and so is
//! a body without `Content-Type` (curl and hand-written scripts often leave it out); a body
//! declared as anything else (`text/plain`, a form…) is refused with 415, because the
//! sender evidently meant something other than a JSON query.
//!
//! # Robustness
//!
//! No input makes the server panic or answer 500. Should a handler panic all the same, the
//! panic is caught per request and answered as a 500 problem; the server keeps serving.
//!
//! # Parts
//!
//! - this module: configuration, the shared state (the store, ready or not), the router
//!   and its layers, and the server's lifecycle;
//! - `problem`: request ids and the `application/problem+json` answers;
//! - `checks`: the checks a request passes, in order, before the store runs;
//! - `handlers`: the endpoints, running the store on blocking threads.

use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::post;
use futures_util::FutureExt;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};

use handlers::{export_view, property_keys, property_values, query_view};
use problem::{ApiError, RequestContext, RequestId, next_request_id};

use crate::api::view::View;
use crate::demo::dataset::{DatasetParams, Tables};
use crate::demo::store::{DemoStore, StoreError};

mod checks;
mod handlers;
mod problem;

/// The address the demo API listens on unless told otherwise.
pub const DEFAULT_ADDR: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 8787);

/// The most rows one `/query/conversations` answer carries unless told otherwise.
pub const DEFAULT_PAGE_SIZE: usize = 1000;

/// How many values `/query/property-values` returns when the request sets no `limit`.
pub const DEFAULT_PROPERTY_VALUES_LIMIT: usize = 100;

/// The most values `/query/property-values` returns whatever `limit` asks for.
pub const MAX_PROPERTY_VALUES_LIMIT: usize = 10_000;

/// The header carrying the request id on every answer.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// How long a shutdown waits for requests in flight before dropping them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// How much of an oversized body is read and discarded before answering 413, so that the
/// client (which is still sending) reads the answer instead of a reset connection.
const OVERSIZED_DRAIN_BYTES: usize = 64 * 1024 * 1024;

/// How many export pieces may wait for a slow client before the export thread pauses.
const EXPORT_CHANNEL_CHUNKS: usize = 8;

/// Everything a demo server needs to start. `Debug` shows whether a key is set, never the key.
#[derive(Clone, PartialEq)]
pub struct ServerConfig {
    /// Where to listen; port 0 picks a free port. Loopback unless `allow_remote`.
    pub addr: SocketAddr,
    /// Which dataset to serve.
    pub dataset: DatasetParams,
    /// When set, only `Authorization: Bearer <api_key>` is accepted; otherwise any bearer token.
    pub api_key: Option<String>,
    /// The most rows one query answer carries.
    pub page_size: usize,
    /// Keep the database in this file (reused when it holds the same dataset); in memory when `None`.
    pub db_path: Option<PathBuf>,
    /// Allow a non-loopback `addr` (then `api_key` is required).
    pub allow_remote: bool,
}

impl Default for ServerConfig {
    /// 127.0.0.1:8787, the default dataset, no key, pages of 1000, in memory, loopback only.
    fn default() -> Self {
        ServerConfig {
            addr: DEFAULT_ADDR,
            dataset: DatasetParams::default(),
            api_key: None,
            page_size: DEFAULT_PAGE_SIZE,
            db_path: None,
            allow_remote: false,
        }
    }
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("addr", &self.addr)
            .field("dataset", &self.dataset)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("page_size", &self.page_size)
            .field("db_path", &self.db_path)
            .field("allow_remote", &self.allow_remote)
            .finish()
    }
}

impl ServerConfig {
    /// A configuration for in-process use: a free loopback port, the given dataset, defaults otherwise.
    pub fn local(dataset: DatasetParams) -> ServerConfig {
        ServerConfig {
            addr: SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 0),
            dataset,
            ..ServerConfig::default()
        }
    }

    /// Checks the settings that would make the server unsafe or useless, before binding.
    pub fn check(&self) -> Result<(), ServerError> {
        // A token travels in an HTTP header after `Bearer `: only visible ASCII can match.
        if self
            .api_key
            .as_deref()
            .is_some_and(|key| key.is_empty() || !key.bytes().all(|b| b.is_ascii_graphic()))
        {
            return Err(ServerError::InvalidApiKey);
        }
        if self.page_size == 0 {
            return Err(ServerError::ZeroPageSize);
        }
        if !self.addr.ip().is_loopback() {
            if !self.allow_remote {
                return Err(ServerError::RemoteNotAllowed { addr: self.addr });
            }
            if self.api_key.is_none() {
                return Err(ServerError::RemoteWithoutApiKey { addr: self.addr });
            }
        }
        Ok(())
    }
}

/// Why the demo server could not start or keep running.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// A non-loopback address without `allow_remote`.
    #[error(
        "refusing to listen on {addr}: it is not a loopback address, and the demo API would be \
         reachable from other machines; use 127.0.0.1, or allow it explicitly with --allow-remote \
         (which also requires --api-key)"
    )]
    RemoteNotAllowed {
        /// The address asked for.
        addr: SocketAddr,
    },
    /// A non-loopback address allowed, but no API key to protect it.
    #[error("listening on the non-loopback address {addr} requires an API key (--api-key)")]
    RemoteWithoutApiKey {
        /// The address asked for.
        addr: SocketAddr,
    },
    /// An API key that is empty or has characters a bearer token cannot carry.
    #[error("the API key must be non-empty and consist of visible ASCII characters (no spaces)")]
    InvalidApiKey,
    /// A page size of zero.
    #[error("the page size must be at least 1")]
    ZeroPageSize,
    /// The address could not be bound.
    #[error("could not listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The server's own thread or runtime could not be started.
    #[error("could not start the server thread: {0}")]
    Runtime(std::io::Error),
    /// The dataset could not be built or opened.
    #[error("the demo dataset could not be prepared: {0}")]
    Dataset(String),
    /// Serving failed after startup.
    #[error("the server stopped with an error: {0}")]
    Serve(std::io::Error),
}

/// Where the dataset is: still being built, ready, or failed to build.
#[derive(Clone)]
enum StoreState {
    Building,
    Ready(Arc<DemoStore>),
    Failed(Arc<str>),
}

/// What every request handler shares: the settings, and the stores once they are ready.
///
/// The conversations are loaded first, on their own (a twentieth of the work), so the API
/// answers them while the other views (events, feedback, semantic threads: most of the
/// rows) are still loading into a second in-memory database; a request on those waits for
/// it. A database kept in a file (`--db`) holds all four views and serves both.
pub struct AppState {
    api_key: Option<String>,
    page_size: usize,
    conversations: watch::Sender<StoreState>,
    activity: watch::Sender<StoreState>,
}

impl AppState {
    /// A state whose stores are still to come: requests wait until they are set.
    pub fn new(api_key: Option<String>, page_size: usize) -> Arc<AppState> {
        let (conversations, _) = watch::channel(StoreState::Building);
        let (activity, _) = watch::channel(StoreState::Building);
        Arc::new(AppState { api_key, page_size: page_size.max(1), conversations, activity })
    }

    /// Hands over one store holding every view (or why there is none); waiting requests
    /// proceed.
    pub fn set_store(&self, store: Result<DemoStore, StoreError>) {
        let state = store_state(store);
        self.conversations.send_replace(state.clone());
        self.activity.send_replace(state);
    }

    /// True once the conversations are ready to answer queries (the other views may still
    /// be loading).
    pub fn is_ready(&self) -> bool {
        matches!(*self.conversations.borrow(), StoreState::Ready(_))
    }

    /// Waits until the conversations are ready; `Err` with the reason when they could not
    /// be built.
    pub async fn wait_ready(&self) -> Result<(), String> {
        ready(&self.conversations).await.map(|_| ()).map_err(|reason| reason.to_string())
    }

    /// The store holding `view`'s rows, waiting while it is being built; 503 when there is none.
    async fn store_for(&self, view: View) -> Result<Arc<DemoStore>, ApiError> {
        let sender = if view == View::Conversations { &self.conversations } else { &self.activity };
        ready(sender).await.map_err(|reason| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("the demo dataset is not available: {reason}"),
            )
        })
    }

    /// Builds the stores on a blocking thread of the current runtime and hands each over
    /// when done: in memory, the conversations first, then the other views; from a file,
    /// all of them at once.
    fn spawn_store_build(self: &Arc<Self>, dataset: DatasetParams, db_path: Option<PathBuf>) {
        let state = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            let Some(path) = db_path else {
                let conversations = build(|| DemoStore::open_tables(&dataset, Tables::Conversations));
                tracing::info!(
                    rows = dataset.rows,
                    elapsed_ms = elapsed_ms(started),
                    "demo conversations ready"
                );
                state.conversations.send_replace(conversations);
                let activity = build(|| DemoStore::open_tables(&dataset, Tables::Activity));
                tracing::info!(elapsed_ms = elapsed_ms(started), "demo events, feedback and threads ready");
                state.activity.send_replace(activity);
                return;
            };
            let all = build(|| DemoStore::open(&dataset, Some(&path)));
            tracing::info!(rows = dataset.rows, elapsed_ms = elapsed_ms(started), "demo dataset ready");
            state.conversations.send_replace(all.clone());
            state.activity.send_replace(all);
        });
    }
}

/// A store, or why there is none, as the handlers see it.
fn store_state(store: Result<DemoStore, StoreError>) -> StoreState {
    match store {
        Ok(store) => StoreState::Ready(Arc::new(store)),
        Err(error) => {
            tracing::error!(%error, "the demo dataset could not be prepared");
            StoreState::Failed(Arc::from(error.to_string()))
        }
    }
}

/// Builds a store, turning a panic into a failure the requests report.
fn build(open: impl FnOnce() -> Result<DemoStore, StoreError>) -> StoreState {
    match std::panic::catch_unwind(AssertUnwindSafe(open)) {
        Ok(store) => store_state(store),
        Err(_) => {
            tracing::error!("building the demo dataset panicked");
            StoreState::Failed(Arc::from("building the dataset panicked"))
        }
    }
}

fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// The store behind `sender` once built, or why there is none.
async fn ready(sender: &watch::Sender<StoreState>) -> Result<Arc<DemoStore>, Arc<str>> {
    let mut receiver = sender.subscribe();
    // The sender lives in the state, so the channel cannot close while we wait.
    let state = match receiver.wait_for(|state| !matches!(state, StoreState::Building)).await {
        Ok(state) => state.clone(),
        Err(_) => StoreState::Failed(Arc::from("the server is shutting down")),
    };
    match state {
        StoreState::Ready(store) => Ok(store),
        StoreState::Failed(reason) => Err(reason),
        StoreState::Building => Err(Arc::from("the dataset is still being built")),
    }
}

/// The router with every route and layer, serving `state`.
pub fn router(state: Arc<AppState>) -> Router {
    // Every view's query and export endpoint, at the paths the view names.
    let mut routes = Router::new();
    for view in View::ALL {
        routes = routes
            .route(view.query_path(), post(move |s, c, h, b| query_view(view, s, c, h, b)))
            .route(view.export_path(), post(move |s, c, h, b| export_view(view, s, c, h, b)));
    }
    with_layers(
        routes
            .route("/query/property-keys", post(property_keys))
            .route("/query/property-values", post(property_values))
            .fallback(not_found)
            // After the routes: it applies to the routes added so far.
            .method_not_allowed_fallback(method_not_allowed)
            .with_state(state),
    )
}

/// The layers every route gets. Outermost first: request id, panic catching, and no
/// built-in body limit (the handlers enforce their own, answered as problem+json).
fn with_layers(router: Router) -> Router {
    router
        .layer(DefaultBodyLimit::disable())
        .layer(middleware::from_fn(catch_panic))
        .layer(middleware::from_fn(assign_request_id))
}

async fn assign_request_id(mut request: Request, next: Next) -> Response {
    let request_id = next_request_id();
    request.extensions_mut().insert(RequestId(request_id.clone()));
    let mut response = next.run(request).await;
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}

async fn catch_panic(request: Request, next: Next) -> Response {
    let context = RequestContext::from_request(&request);
    match AssertUnwindSafe(next.run(request)).catch_unwind().await {
        Ok(response) => response,
        Err(panic) => {
            let message = panic_message(panic.as_ref());
            tracing::error!(request_id = %context.request_id, path = %context.path, %message, "handler panicked");
            context.problem(ApiError::internal(format!(
                "the server failed while handling this request ({message}); please report request {}",
                context.request_id
            )))
        }
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = panic.downcast_ref::<&str>() {
        (*text).to_string()
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text.clone()
    } else {
        "unknown panic".to_string()
    }
}

async fn not_found(context: RequestContext) -> Response {
    context.problem(ApiError::new(
        StatusCode::NOT_FOUND,
        format!(
            "no endpoint at `{}`; the demo API serves POST /query/conversations, /query/events, \
             /query/feedback and /query/semantic-threads, each with its /export, and \
             /query/property-keys and /query/property-values",
            context.path
        ),
    ))
}

async fn method_not_allowed(context: RequestContext, method: axum::http::Method) -> Response {
    context.problem(
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("`{}` accepts only POST, not {method}", context.path),
        )
        .with_header(header::ALLOW, "POST"),
    )
}

/// A demo server running in-process. Dropping it shuts it down, as [`DemoServer::shutdown`] does.
pub struct DemoServer {
    addr: SocketAddr,
    state: Arc<AppState>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl DemoServer {
    /// Binds `config.addr` and serves on the current tokio runtime; returns once listening.
    /// The dataset is built in the background; requests wait for it.
    pub async fn start(config: ServerConfig) -> Result<DemoServer, ServerError> {
        let (listener, state) = bind_and_build(&config).await?;
        let addr = listener.local_addr().map_err(|source| ServerError::Bind { addr: config.addr, source })?;
        let (shutdown, signal) = oneshot::channel::<()>();
        tokio::spawn(serve_with_grace(listener, Arc::clone(&state), async {
            let _ = signal.await;
        }));
        Ok(DemoServer { addr, state, shutdown: Some(shutdown), thread: None })
    }

    /// Starts the server on its own thread with its own runtime, for callers that are not
    /// async (the window, tests); returns once listening.
    pub fn start_in_background(config: ServerConfig) -> Result<DemoServer, ServerError> {
        config.check()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("demo-api")
            .enable_all()
            .build()
            .map_err(ServerError::Runtime)?;
        let (ready_sender, ready_receiver) = std::sync::mpsc::channel();
        let (shutdown, signal) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("demo-api".to_string())
            .spawn(move || {
                runtime.block_on(async move {
                    let (listener, state) = match bind_and_build(&config).await {
                        Ok(bound) => bound,
                        Err(error) => {
                            let _ = ready_sender.send(Err(error));
                            return;
                        }
                    };
                    let addr = match listener.local_addr() {
                        Ok(addr) => addr,
                        Err(source) => {
                            let _ = ready_sender.send(Err(ServerError::Bind { addr: config.addr, source }));
                            return;
                        }
                    };
                    let _ = ready_sender.send(Ok((addr, Arc::clone(&state))));
                    serve_with_grace(listener, state, async {
                        let _ = signal.await;
                    })
                    .await;
                });
                // A dataset still being built must not hold the caller's shutdown for long.
                runtime.shutdown_timeout(Duration::from_secs(1));
            })
            .map_err(ServerError::Runtime)?;
        match ready_receiver.recv() {
            Ok(Ok((addr, state))) => {
                Ok(DemoServer { addr, state, shutdown: Some(shutdown), thread: Some(thread) })
            }
            Ok(Err(error)) => {
                let _ = thread.join();
                Err(error)
            }
            Err(_) => {
                let _ = thread.join();
                Err(ServerError::Runtime(std::io::Error::other("the server thread ended during startup")))
            }
        }
    }

    /// The base URL, e.g. `http://127.0.0.1:8787`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address actually bound (with the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// True once the dataset is built and queries are answered without waiting.
    pub fn is_ready(&self) -> bool {
        self.state.is_ready()
    }

    /// Stops accepting connections and lets requests in flight finish (for a few seconds at
    /// most). With [`DemoServer::start_in_background`] this waits for the server thread.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        self.stop();
    }
}

impl std::fmt::Debug for DemoServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoServer").field("addr", &self.addr).field("ready", &self.is_ready()).finish()
    }
}

/// Checks the config, binds, and starts building the dataset in the background.
async fn bind_and_build(config: &ServerConfig) -> Result<(TcpListener, Arc<AppState>), ServerError> {
    config.check()?;
    let listener = TcpListener::bind(config.addr)
        .await
        .map_err(|source| ServerError::Bind { addr: config.addr, source })?;
    let state = AppState::new(config.api_key.clone(), config.page_size);
    state.spawn_store_build(config.dataset, config.db_path.clone());
    Ok((listener, state))
}

/// Serves until `signal`, then gives requests in flight [`SHUTDOWN_GRACE`] to finish.
async fn serve_with_grace(
    listener: TcpListener,
    state: Arc<AppState>,
    signal: impl Future<Output = ()> + Send + 'static,
) -> Option<std::io::Error> {
    let (stopping_sender, mut stopping) = watch::channel(false);
    let signal = async move {
        signal.await;
        let _ = stopping_sender.send(true);
    };
    let server = axum::serve(listener, router(state)).with_graceful_shutdown(signal);
    let server = server.into_future();
    tokio::pin!(server);
    tokio::select! {
        result = &mut server => return result.err(),
        _ = stopping.wait_for(|stopping| *stopping) => {}
    }
    match tokio::time::timeout(SHUTDOWN_GRACE, server).await {
        Ok(result) => result.err(),
        Err(_) => {
            tracing::warn!("requests still running after the shutdown grace period were dropped");
            None
        }
    }
}

/// Runs the demo API for the CLI: prints `listening on http://HOST:PORT` as the first line
/// of stdout, serves until Ctrl+C or SIGTERM, then shuts down gracefully. Fails early when
/// the dataset cannot be prepared.
pub async fn serve_until_signal(config: ServerConfig) -> Result<(), ServerError> {
    let (listener, state) = bind_and_build(&config).await?;
    let addr = listener.local_addr().map_err(|source| ServerError::Bind { addr: config.addr, source })?;
    {
        use std::io::Write;
        let mut stdout = std::io::stdout().lock();
        // If stdout is gone there is nobody to tell; serving is still useful.
        let _ = writeln!(stdout, "listening on http://{addr}");
        let _ = stdout.flush();
    }
    tracing::info!(%addr, rows = config.dataset.rows, "demo API listening; building the dataset");
    let (failure_sender, failure_receiver) = oneshot::channel::<String>();
    let watched_state = Arc::clone(&state);
    let signal = async move {
        let dataset_failure = async {
            match watched_state.wait_ready().await {
                Ok(()) => std::future::pending::<()>().await,
                Err(reason) => {
                    let _ = failure_sender.send(reason);
                }
            }
        };
        tokio::select! {
            () = shutdown_signal() => tracing::info!("shutting down"),
            () = dataset_failure => {}
        }
    };
    if let Some(error) = serve_with_grace(listener, state, signal).await {
        return Err(ServerError::Serve(error));
    }
    match failure_receiver.await {
        Ok(reason) => Err(ServerError::Dataset(reason)),
        Err(_) => Ok(()),
    }
}

/// Resolves on Ctrl+C, or on SIGTERM where there is one (what cron and systemd send to stop
/// a job). `serve` and `run` both stop on it.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::response::PROBLEM_CONTENT_TYPE;

    /// Serves `router` on a free loopback port of the current runtime; returns the base URL.
    async fn serve_router(router: Router) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        format!("http://{addr}")
    }

    async fn boom() -> &'static str {
        panic!("kaboom")
    }

    #[tokio::test]
    async fn a_panicking_handler_is_answered_500_and_the_server_survives() {
        let router =
            with_layers(Router::new().route("/boom", post(boom)).route("/fine", post(|| async { "fine" })));
        let url = serve_router(router).await;
        let client = reqwest::Client::new();
        let answer = client.post(format!("{url}/boom")).send().await.unwrap();
        assert_eq!(answer.status(), 500);
        let request_id = answer.headers()["x-request-id"].to_str().unwrap().to_string();
        assert_eq!(answer.headers()["content-type"], PROBLEM_CONTENT_TYPE);
        let problem: serde_json::Value = answer.json().await.unwrap();
        assert_eq!(problem["code"], "internal_server_error");
        assert_eq!(problem["status"], 500);
        assert_eq!(problem["requestId"], request_id.as_str());
        assert_eq!(problem["instance"], "/boom");
        assert!(problem["detail"].as_str().unwrap().contains("kaboom"));
        for _ in 0..3 {
            let answer = client.post(format!("{url}/fine")).send().await.unwrap();
            assert_eq!(answer.status(), 200);
            assert_eq!(answer.text().await.unwrap(), "fine");
        }
    }

    #[tokio::test]
    async fn a_failed_dataset_is_answered_503_not_500() {
        let state = AppState::new(None, 10);
        state.conversations.send_replace(StoreState::Failed(Arc::from("disk full")));
        state.activity.send_replace(StoreState::Failed(Arc::from("out of memory")));
        let url = serve_router(router(state)).await;
        for (path, reason) in [("conversations", "disk full"), ("events", "out of memory")] {
            let answer = reqwest::Client::new()
                .post(format!("{url}/query/{path}"))
                .header("authorization", "Bearer t")
                .body("{}")
                .send()
                .await
                .unwrap();
            assert_eq!(answer.status(), 503);
            let problem: serde_json::Value = answer.json().await.unwrap();
            assert_eq!(problem["code"], "service_unavailable");
            assert!(problem["detail"].as_str().unwrap().contains(reason));
        }
    }

    #[tokio::test]
    async fn conversations_answer_while_the_other_views_are_still_loading() {
        let state = AppState::new(None, 10);
        let store = DemoStore::from_setup(crate::demo::fixture::setup).unwrap();
        state.conversations.send_replace(StoreState::Ready(Arc::new(store)));
        let url = serve_router(router(Arc::clone(&state))).await;
        let post = |path: &str| {
            reqwest::Client::new()
                .post(format!("{url}/query/{path}"))
                .header("authorization", "Bearer t")
                .body("{}")
                .send()
        };
        let answer = post("conversations").await.unwrap();
        assert_eq!(answer.status(), 200, "the conversations do not wait for the other views");
        let waiting = tokio::spawn(post("events"));
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!waiting.is_finished(), "an events query waits for its store");
        let params = DatasetParams { rows: 50, seed: 3, end_date: jiff::civil::Date::constant(2026, 1, 31) };
        let store = DemoStore::open_tables(&params, Tables::Activity).unwrap();
        state.activity.send_replace(StoreState::Ready(Arc::new(store)));
        let answer = waiting.await.unwrap().unwrap();
        assert_eq!(answer.status(), 200, "{:?}", answer.text().await);
    }
}
