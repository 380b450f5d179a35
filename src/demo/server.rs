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

use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use futures_util::{FutureExt, StreamExt};
use serde::de::DeserializeOwned;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot, watch};

use crate::api::query::{Filter, QueryBody, parse_query};
use crate::api::response::{PROBLEM_CONTENT_TYPE, Problem, PropertyKeysRequest, PropertyValuesRequest, View};
use crate::api::validate::{
    MAX_BODY_BYTES, Problem as ValidationProblem, published_schema_problems, validate,
};
use crate::demo::dataset::DatasetParams;
use crate::demo::store::{DemoStore, StoreError};

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

/// What every request handler shares: the settings, and the store once it is ready.
pub struct AppState {
    api_key: Option<String>,
    page_size: usize,
    store: watch::Sender<StoreState>,
}

impl AppState {
    /// A state whose store is still to come: requests wait until [`AppState::set_store`] is called.
    pub fn new(api_key: Option<String>, page_size: usize) -> Arc<AppState> {
        let (store, _) = watch::channel(StoreState::Building);
        Arc::new(AppState { api_key, page_size: page_size.max(1), store })
    }

    /// Hands over the store (or why there is none); waiting requests proceed.
    pub fn set_store(&self, store: Result<DemoStore, StoreError>) {
        let state = match store {
            Ok(store) => StoreState::Ready(Arc::new(store)),
            Err(error) => StoreState::Failed(Arc::from(error.to_string())),
        };
        self.store.send_replace(state);
    }

    /// True once the dataset is ready to answer queries.
    pub fn is_ready(&self) -> bool {
        matches!(*self.store.borrow(), StoreState::Ready(_))
    }

    /// Waits until the store is ready; `Err` with the reason when it could not be built.
    pub async fn wait_ready(&self) -> Result<(), String> {
        self.ready_store().await.map(|_| ()).map_err(|reason| reason.to_string())
    }

    /// The store once built, or why there is none.
    async fn ready_store(&self) -> Result<Arc<DemoStore>, Arc<str>> {
        let mut receiver = self.store.subscribe();
        // The sender lives in `self`, so the channel cannot close while we wait.
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

    /// The store for a request, waiting while it is being built; 503 when there is none.
    async fn store(&self) -> Result<Arc<DemoStore>, ApiError> {
        self.ready_store().await.map_err(|reason| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("the demo dataset is not available: {reason}"),
            )
        })
    }

    /// Builds the store on a blocking thread of the current runtime and hands it over when done.
    fn spawn_store_build(self: &Arc<Self>, dataset: DatasetParams, db_path: Option<PathBuf>) {
        let state = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            let result = std::panic::catch_unwind(|| DemoStore::open(&dataset, db_path.as_deref()));
            match result {
                Ok(Ok(store)) => {
                    tracing::info!(
                        rows = dataset.rows,
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        "demo dataset ready"
                    );
                    state.set_store(Ok(store));
                }
                Ok(Err(error)) => {
                    tracing::error!(%error, "the demo dataset could not be prepared");
                    state.set_store(Err(error));
                }
                Err(_) => {
                    tracing::error!("building the demo dataset panicked");
                    state.store.send_replace(StoreState::Failed(Arc::from("building the dataset panicked")));
                }
            }
        });
    }
}

/// The request id, put in the request's extensions by the outermost layer.
#[derive(Debug, Clone)]
struct RequestId(String);

/// A fresh request id: `req_`, a per-process random part and a counter, in hex.
fn next_request_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(1);
    static PROCESS_PART: OnceLock<u32> = OnceLock::new();
    let process_part = *PROCESS_PART.get_or_init(|| {
        use std::hash::{BuildHasher, Hasher};
        // RandomState is seeded from the OS: enough to tell two server runs apart in logs.
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u128(
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()),
        );
        hasher.finish() as u32
    });
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("req_{process_part:08x}{count:08x}")
}

/// What a handler needs to write a problem: the request id and the path (`instance`).
#[derive(Debug, Clone)]
struct RequestContext {
    request_id: String,
    path: String,
}

impl RequestContext {
    fn from_parts(parts: &Parts) -> RequestContext {
        RequestContext {
            request_id: parts.extensions.get::<RequestId>().map(|id| id.0.clone()).unwrap_or_default(),
            path: parts.uri.path().to_string(),
        }
    }

    fn from_request(request: &Request) -> RequestContext {
        RequestContext {
            request_id: request.extensions().get::<RequestId>().map(|id| id.0.clone()).unwrap_or_default(),
            path: request.uri().path().to_string(),
        }
    }

    /// The problem+json answer for `error`.
    fn problem(&self, error: ApiError) -> Response {
        let status = error.status;
        let (code, title) = status_code_and_title(status);
        let problem = Problem::new(status.as_u16(), code, title, error.detail)
            .with_request_id(self.request_id.clone())
            .with_instance(self.path.clone());
        let body = serde_json::to_vec(&problem).unwrap_or_else(|_| b"{}".to_vec());
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_CONTENT_TYPE));
        for (name, value) in error.headers {
            headers.insert(name, value);
        }
        response
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestContext {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(RequestContext::from_parts(parts))
    }
}

/// The machine-readable code and the title of each status the server answers with.
fn status_code_and_title(status: StatusCode) -> (&'static str, &'static str) {
    match status {
        StatusCode::BAD_REQUEST => ("bad_request", "Bad Request"),
        StatusCode::UNAUTHORIZED => ("unauthorized", "Unauthorized"),
        StatusCode::FORBIDDEN => ("forbidden", "Forbidden"),
        StatusCode::NOT_FOUND => ("not_found", "Not Found"),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "Method Not Allowed"),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "Payload Too Large"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported_media_type", "Unsupported Media Type"),
        StatusCode::UNPROCESSABLE_ENTITY => ("unprocessable_entity", "Unprocessable Entity"),
        StatusCode::SERVICE_UNAVAILABLE => ("service_unavailable", "Service Unavailable"),
        _ => ("internal_server_error", "Internal Server Error"),
    }
}

/// An error answer before it is written: status, detail, and extra headers.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    detail: String,
    headers: Vec<(header::HeaderName, HeaderValue)>,
}

impl ApiError {
    fn new(status: StatusCode, detail: impl Into<String>) -> ApiError {
        ApiError { status, detail: detail.into(), headers: Vec::new() }
    }

    fn with_header(mut self, name: header::HeaderName, value: &'static str) -> ApiError {
        self.headers.push((name, HeaderValue::from_static(value)));
        self
    }

    fn unauthorized(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, detail).with_header(header::WWW_AUTHENTICATE, "Bearer")
    }

    fn internal(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, detail)
    }
}

/// The router with every route and layer, serving `state`.
pub fn router(state: Arc<AppState>) -> Router {
    with_layers(
        Router::new()
            .route("/query/conversations", post(query_conversations))
            .route("/query/conversations/export", post(export_conversations))
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
            "no endpoint at `{}`; the demo API serves POST /query/conversations, \
             /query/conversations/export, /query/property-keys and /query/property-values",
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

/// Checks `Authorization: Bearer <token>` against the configured key (any token when none).
fn check_auth(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(ApiError::unauthorized(
            "missing `Authorization` header; send `Authorization: Bearer <API key>`",
        ));
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|text| {
            let (scheme, token) = text.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .filter(|token| !token.is_empty() && !token.contains(char::is_whitespace));
    let Some(token) = token else {
        return Err(ApiError::unauthorized("malformed `Authorization` header; expected `Bearer <API key>`"));
    };
    match &state.api_key {
        Some(key) if !constant_time_eq(key.as_bytes(), token.as_bytes()) => {
            Err(ApiError::unauthorized("the API key is not valid for this server"))
        }
        _ => Ok(()),
    }
}

/// Compares two secrets in time that depends only on their lengths, not on where they differ.
fn constant_time_eq(expected: &[u8], given: &[u8]) -> bool {
    let mut difference = expected.len() ^ given.len();
    for (index, byte) in given.iter().enumerate() {
        let other = expected.get(index % expected.len().max(1)).copied().unwrap_or(0);
        difference |= usize::from(byte ^ other);
    }
    difference == 0
}

/// Refuses a body declared as something other than JSON (a missing type is accepted).
fn check_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let essence =
        value.to_str().unwrap_or_default().split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if essence == "application/json" || essence.ends_with("+json") {
        Ok(())
    } else {
        let shown = if essence.is_empty() { "an empty type".to_string() } else { format!("`{essence}`") };
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("the body is declared as {shown}; send it as `Content-Type: application/json`"),
        ))
    }
}

/// Reads the whole body, refusing (with 413) one over [`MAX_BODY_BYTES`].
async fn read_body(headers: &HeaderMap, body: Body) -> Result<Bytes, ApiError> {
    let too_large = |size: &str| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body is {size}; the API accepts at most {MAX_BODY_BYTES} bytes (2 MB)"),
        )
    };
    let declared_length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.parse::<u64>().ok());
    let mut stream = body.into_data_stream();
    if let Some(length) = declared_length.filter(|length| *length > MAX_BODY_BYTES as u64) {
        drain(&mut stream, 0).await;
        return Err(too_large(&format!("{length} bytes")));
    }
    let mut buffer = Vec::with_capacity(declared_length.map_or(1024, |length| length as usize));
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|error| {
            ApiError::new(StatusCode::BAD_REQUEST, format!("the body could not be read: {error}"))
        })?;
        if buffer.len() + chunk.len() > MAX_BODY_BYTES {
            let received = buffer.len() + chunk.len();
            drain(&mut stream, received).await;
            return Err(too_large(&format!("over {MAX_BODY_BYTES} bytes")));
        }
        buffer.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(buffer))
}

/// Reads and discards what is left of an oversized body, up to a bound.
async fn drain(stream: &mut axum::body::BodyDataStream, mut received: usize) {
    while received < OVERSIZED_DRAIN_BYTES {
        match stream.next().await {
            Some(Ok(chunk)) => received += chunk.len(),
            _ => break,
        }
    }
}

/// Auth, content type and size: the checks every endpoint makes before reading the body.
async fn accept_body(state: &AppState, headers: &HeaderMap, body: Body) -> Result<Bytes, ApiError> {
    check_auth(state, headers)?;
    check_content_type(headers)?;
    read_body(headers, body).await
}

/// Rejects text that is not well-formed JSON with 400 and the line and column.
fn check_json_syntax(bytes: &[u8]) -> Result<&str, ApiError> {
    let text = std::str::from_utf8(bytes).map_err(|error| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("the body is not valid UTF-8 (at byte {})", error.valid_up_to()),
        )
    })?;
    if text.trim().is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "the body is empty; send a JSON object (`{}` asks for raw conversations)",
        ));
    }
    if let Err(error) = serde_json::from_str::<serde::de::IgnoredAny>(text) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!(
                "malformed JSON at line {}, column {}: {}",
                error.line(),
                error.column(),
                strip_position(&error.to_string())
            ),
        ));
    }
    Ok(text)
}

/// serde_json appends " at line L column C"; the detail states the position itself.
fn strip_position(message: &str) -> &str {
    message.rfind(" at line ").map_or(message, |index| &message[..index])
}

/// Reads a query body: 400 for bad JSON and for a body outside the published schema (wrong
/// shape, unknown key, wrong type, an `orderBy.field` outside the closed set), with the
/// path; 422 for a body the schema admits but that cannot be answered.
fn parse_query_body(bytes: &[u8]) -> Result<QueryBody, ApiError> {
    let text = check_json_syntax(bytes)?;
    let query = parse_query(text).map_err(|error| {
        schema_error(
            "query",
            &error.path,
            &format!("{}{}", error.message, line_column(error.line, error.column)),
        )
    })?;
    check_query(&query)?;
    Ok(query)
}

/// ` (line L, column C)` when the position is known.
fn line_column(line: usize, column: usize) -> String {
    if line > 0 { format!(" (line {line}, column {column})") } else { String::new() }
}

/// The 400 answer for a body outside the published schema: the detail names the JSON path
/// (or the top level) and, in serde's words, what is allowed there.
fn schema_error(what: &str, path: &str, message: &str) -> ApiError {
    let at = if path.is_empty() || path == "." { "the top level".to_string() } else { format!("`{path}`") };
    ApiError::new(StatusCode::BAD_REQUEST, format!("invalid {what} at {at}: {message}"))
}

/// Reads a property request body, like [`parse_query_body`].
fn parse_request_body<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, ApiError> {
    let text = check_json_syntax(bytes)?;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let parsed: Result<T, _> = serde_path_to_error::deserialize(&mut deserializer);
    parsed.map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        schema_error(what, &path, strip_position(&inner.to_string()))
    })
}

/// Checks a query the schema could read: an `orderBy.field` outside the published set is
/// a schema breach (400, as the real server's schema check answers it); any other problem
/// is a 422. Each answer lists all its problems with their paths.
fn check_query(query: &QueryBody) -> Result<(), ApiError> {
    let outside = published_schema_problems(query);
    if !outside.is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("invalid query: {}", list_problems(&outside)),
        ));
    }
    let problems = validate(query);
    if problems.is_empty() {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        format!("invalid query: {}", list_problems(&problems)),
    ))
}

/// `` `path`: message; `path`: message `` (a problem of the whole body without a path).
fn list_problems(problems: &[ValidationProblem]) -> String {
    let listed: Vec<String> = problems
        .iter()
        .map(|problem| {
            if problem.path.is_empty() {
                problem.message.clone()
            } else {
                format!("`{}`: {}", problem.path, problem.message)
            }
        })
        .collect();
    listed.join("; ")
}

/// Validates a filter of a property request the way a query's `where` is validated.
fn check_filter(filter: Option<&Filter>) -> Result<(), ApiError> {
    match filter {
        Some(filter) => check_query(&QueryBody { filter: Some(filter.clone()), ..QueryBody::default() }),
        None => Ok(()),
    }
}

/// Runs a store call on a blocking thread; a failure or panic there becomes an [`ApiError`].
async fn run_store<T, F>(state: &AppState, call: F) -> Result<T, ApiError>
where
    F: FnOnce(&DemoStore) -> Result<T, StoreError> + Send + 'static,
    T: Send + 'static,
{
    let store = state.store().await?;
    match tokio::task::spawn_blocking(move || call(&store)).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(store_error(&error)),
        Err(join_error) => {
            let message = if join_error.is_panic() {
                panic_message(join_error.into_panic().as_ref())
            } else {
                "the query was cancelled".to_string()
            };
            tracing::error!(%message, "store call failed");
            Err(ApiError::internal(format!("the query engine failed: {message}")))
        }
    }
}

/// How a store error is answered: the caller's fault (an invalid query) is 422, anything
/// else is the server's (500), logged for support.
fn store_error(error: &StoreError) -> ApiError {
    if error.is_invalid_query() {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, error.to_string())
    } else {
        tracing::error!(%error, "store call failed");
        ApiError::internal(format!("the demo database failed: {error}"))
    }
}

async fn query_conversations(
    State(state): State<Arc<AppState>>,
    context: RequestContext,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let answer = async {
        let bytes = accept_body(&state, &headers, body).await?;
        let query = parse_query_body(&bytes)?;
        let page_size = state.page_size;
        let page = run_store(&state, move |store| store.query(&query, page_size)).await?;
        let count = page.rows.len();
        Ok::<_, ApiError>(axum::Json(json!({
            "status": "ok",
            "data": {"result": page.rows, "total": page.total, "pageSize": page_size, "count": count},
        })))
    };
    match answer.await {
        Ok(json) => json.into_response(),
        Err(error) => context.problem(error),
    }
}

/// One message from the export thread.
enum ExportMessage {
    Chunk(Bytes),
    Failed(ApiError),
}

async fn export_conversations(
    State(state): State<Arc<AppState>>,
    context: RequestContext,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let answer = async {
        let bytes = accept_body(&state, &headers, body).await?;
        let query = parse_query_body(&bytes)?;
        let store = state.store().await?;
        let (sender, mut receiver) = mpsc::channel::<ExportMessage>(EXPORT_CHANNEL_CHUNKS);
        tokio::task::spawn_blocking(move || run_export(&store, &query, &sender));
        // Wait for the first piece so that an export failing at once is answered with a
        // problem, not with a 200 and an empty or cut-off body.
        let first = match receiver.recv().await {
            Some(ExportMessage::Chunk(chunk)) => Some(chunk),
            Some(ExportMessage::Failed(error)) => return Err(error),
            None => None,
        };
        let rest =
            futures_util::stream::poll_fn(move |cx| receiver.poll_recv(cx)).map(|message| match message {
                ExportMessage::Chunk(chunk) => Ok(chunk),
                // Headers are gone already: breaking the body is how the client learns of it.
                ExportMessage::Failed(error) => Err(std::io::Error::other(error.detail)),
            });
        let stream = futures_util::stream::iter(first.map(Ok)).chain(rest);
        Ok::<_, ApiError>(
            (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                    (header::CONTENT_DISPOSITION, "attachment; filename=\"conversations.csv\""),
                ],
                Body::from_stream(stream),
            )
                .into_response(),
        )
    };
    match answer.await {
        Ok(response) => response,
        Err(error) => context.problem(error),
    }
}

/// Runs the export on a blocking thread, forwarding the store's pieces (about 64 KiB each).
/// A closed channel (the client went away) makes the sink fail, which stops the export.
fn run_export(store: &DemoStore, query: &QueryBody, sender: &mpsc::Sender<ExportMessage>) {
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
        let mut sink = |bytes: &[u8]| -> std::io::Result<()> {
            sender
                .blocking_send(ExportMessage::Chunk(Bytes::copy_from_slice(bytes)))
                .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away"))
        };
        store.export_csv(query, &mut sink)
    }));
    let failure = match result {
        Ok(Ok(row_count)) => {
            tracing::debug!(row_count, "export finished");
            return;
        }
        Ok(Err(StoreError::SinkFailed(_))) => {
            tracing::debug!("export stopped: the client went away");
            return;
        }
        Ok(Err(error)) => store_error(&error),
        Err(panic) => {
            let message = panic_message(panic.as_ref());
            tracing::error!(%message, "export panicked");
            ApiError::internal(format!("the export failed: {message}"))
        }
    };
    // Nobody to tell if the client is gone already.
    let _ = sender.blocking_send(ExportMessage::Failed(failure));
}

/// True when a property request's `views` include the one view the demo holds rows of:
/// all views when absent. The other views have no rows here yet, so they offer nothing.
fn looks_in_conversations(views: Option<&[View]>) -> bool {
    views.is_none_or(|views| views.contains(&View::Conversations))
}

async fn property_keys(
    State(state): State<Arc<AppState>>,
    context: RequestContext,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let answer = async {
        let bytes = accept_body(&state, &headers, body).await?;
        let request: PropertyKeysRequest = parse_request_body(&bytes, "property-keys request")?;
        check_filter(request.where_.as_ref())?;
        if !looks_in_conversations(request.views.as_deref()) {
            return Ok(axum::Json(json!({ "results": [] })));
        }
        let field = request.field.field();
        let filter = request.where_;
        let keys = run_store(&state, move |store| store.property_keys(field, filter.as_ref())).await?;
        Ok::<_, ApiError>(axum::Json(json!({ "results": keys })))
    };
    match answer.await {
        Ok(json) => json.into_response(),
        Err(error) => context.problem(error),
    }
}

async fn property_values(
    State(state): State<Arc<AppState>>,
    context: RequestContext,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let answer = async {
        let bytes = accept_body(&state, &headers, body).await?;
        let request: PropertyValuesRequest = parse_request_body(&bytes, "property-values request")?;
        check_filter(request.where_.as_ref())?;
        if request.key.is_empty() {
            return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "`key` must not be empty"));
        }
        if request.limit == Some(0) {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                format!(
                    "invalid property-values request at `limit`: a positive integer is allowed (at least 1; \
                     {DEFAULT_PROPERTY_VALUES_LIMIT} when left out), not 0"
                ),
            ));
        }
        if !looks_in_conversations(request.views.as_deref()) {
            return Ok(axum::Json(json!({ "results": [] })));
        }
        let limit = request
            .limit
            .map_or(DEFAULT_PROPERTY_VALUES_LIMIT, |limit| limit as usize)
            .min(MAX_PROPERTY_VALUES_LIMIT);
        let field = request.field.field();
        let (key, filter) = (request.key, request.where_);
        let values =
            run_store(&state, move |store| store.property_values(field, &key, filter.as_ref(), limit))
                .await?;
        Ok::<_, ApiError>(axum::Json(json!({ "results": values })))
    };
    match answer.await {
        Ok(json) => json.into_response(),
        Err(error) => context.problem(error),
    }
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
        state.store.send_replace(StoreState::Failed(Arc::from("disk full")));
        let url = serve_router(router(state)).await;
        let answer = reqwest::Client::new()
            .post(format!("{url}/query/conversations"))
            .header("authorization", "Bearer t")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 503);
        let problem: serde_json::Value = answer.json().await.unwrap();
        assert_eq!(problem["code"], "service_unavailable");
        assert!(problem["detail"].as_str().unwrap().contains("disk full"));
    }

    #[test]
    fn constant_time_eq_compares_exactly() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret!"));
        assert!(!constant_time_eq(b"secret", b"secre"));
        assert!(!constant_time_eq(b"secret", b""));
        assert!(!constant_time_eq(b"", b"x"));
        // "ab" repeated must not pass as "abab": the length differs.
        assert!(!constant_time_eq(b"ab", b"abab"));
    }

    #[test]
    fn content_types() {
        let with = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(value));
            check_content_type(&headers).map_err(|e| e.status)
        };
        assert_eq!(check_content_type(&HeaderMap::new()).map_err(|e| e.status), Ok(()));
        assert_eq!(with("application/json"), Ok(()));
        assert_eq!(with("Application/JSON; charset=utf-8"), Ok(()));
        assert_eq!(with("application/problem+json"), Ok(()));
        assert_eq!(with("text/plain"), Err(StatusCode::UNSUPPORTED_MEDIA_TYPE));
        assert_eq!(with("application/x-www-form-urlencoded"), Err(StatusCode::UNSUPPORTED_MEDIA_TYPE));
    }

    #[test]
    fn request_ids_are_distinct() {
        let first = next_request_id();
        let second = next_request_id();
        assert!(first.starts_with("req_") && first.len() == 20, "{first}");
        assert_ne!(first, second);
    }
}
