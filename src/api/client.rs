//! The HTTP client of the Analytics API: bearer auth, timeouts, retries with backoff,
//! a response size cap, typed errors, and a streaming CSV export.
//!
//! One [`AnalyticsClient`] holds one `reqwest::Client` (a connection pool) built once;
//! cloning the client shares it. Every call is a plain future: dropping it stops the
//! request at once and closes its connection, which is how the worker cancels a run.
//!
//! Failure rules, in the order they apply:
//! - plain `http://` is refused unless the host is this computer (the key would travel
//!   unencrypted);
//! - connection errors, HTTP 429 and 5xx are retried at most `max_retries` times with
//!   exponential backoff and jitter, honouring `Retry-After`; other 4xx never are;
//! - a body larger than `max_response_bytes` ends in [`ClientError::TooLarge`] before it
//!   fills memory, whether the size is declared up front or only discovered while reading;
//! - the API key never appears in `Debug`, `Display`, logs or error messages.

use std::fmt;
use std::hash::BuildHasher;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use bytes::{Bytes, BytesMut};
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap, HeaderValue};

use super::query::QueryBody;
use super::redact::{redact_key_in_bytes, redact_key_in_envelope};
use super::response::{
    EXCERPT_MAX_CHARS, EnvelopeError, Problem, PropertyKeysRequest, PropertyValuesRequest, QueryResponse,
    body_excerpt, parse_property_list, parse_query_response, truncate_chars,
};

/// The public Analytics API.
pub const DEFAULT_BASE_URL: &str = "https://api.analytics.inkeep.com";
/// Environment variable holding the API key (the official SDK reads the same one).
pub const KEY_ENV: &str = "INKEEPANALYTICS_API_INTEGRATION_KEY";
/// Environment variable overriding the base URL.
pub const SERVER_URL_ENV: &str = "INKEEPANALYTICS_SERVER_URL";
/// Default cap on a response held in memory: 512 MiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 512 * 1024 * 1024;
/// The longest `Retry-After` the client waits; a server asking for more gets its error shown.
pub const MAX_RETRY_AFTER_SECS: u64 = 60;

/// Path of the query endpoint.
pub const QUERY_PATH: &str = "/query/conversations";
/// Path of the CSV export endpoint.
pub const EXPORT_PATH: &str = "/query/conversations/export";
/// Path of the property-keys endpoint.
pub const PROPERTY_KEYS_PATH: &str = "/query/property-keys";
/// Path of the property-values endpoint.
pub const PROPERTY_VALUES_PATH: &str = "/query/property-values";

/// The header carrying the server's request id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

const USER_AGENT: &str = concat!("inkeep-explorer/", env!("CARGO_PKG_VERSION"));
const ACCEPT_JSON: &str = "application/json, application/problem+json";
const ACCEPT_CSV: &str = "text/csv, application/problem+json;q=0.9";
/// Error bodies are only read for a message; a few KiB carry any sensible problem document.
const ERROR_BODY_LIMIT_BYTES: usize = 64 * 1024;
/// A declared Content-Length is trusted for pre-allocation only up to this much.
const INITIAL_BUFFER_LIMIT_BYTES: u64 = 8 * 1024 * 1024;

/// The API key. `Debug` and `Display` print `ApiKey(***)`; only [`ApiKey::expose`] gives the text.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key; surrounding whitespace (from pasting) is removed.
    pub fn new(key: String) -> Self {
        let trimmed = key.trim();
        if trimmed.len() == key.len() { ApiKey(key) } else { ApiKey(trimmed.to_string()) }
    }

    /// The key itself, for the `Authorization` header and the keychain. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when the key is empty (after trimming).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The key from [`KEY_ENV`], if set and not blank.
    pub fn from_env() -> Option<ApiKey> {
        let key = ApiKey::new(std::env::var(KEY_ENV).ok()?);
        (!key.is_empty()).then_some(key)
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

/// How to reach the API and how patient to be.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientConfig {
    /// Base URL, e.g. `https://api.analytics.inkeep.com` or `http://127.0.0.1:8787`.
    pub base_url: String,
    /// The key; no `Authorization` header is sent without one (the demo server needs none).
    pub api_key: Option<ApiKey>,
    /// Time allowed to establish a connection (TCP and TLS).
    pub connect_timeout_secs: f64,
    /// Time allowed per attempt for the whole answer; for exports, for the headers and then
    /// for each gap between chunks (a large export may legitimately take longer in total).
    pub request_timeout_secs: f64,
    /// Retries after the first attempt, on connection errors, 429 and 5xx only.
    pub max_retries: u32,
    /// Largest answer held in memory; larger ones end in [`ClientError::TooLarge`].
    /// Exports stream to a writer and are not capped.
    pub max_response_bytes: u64,
    /// First backoff delay; doubles on each retry.
    pub retry_base_delay_ms: u64,
    /// Longest backoff delay (the official SDK's is about 2 s).
    pub retry_max_delay_ms: u64,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            base_url: DEFAULT_BASE_URL.to_string(),
            api_key: None,
            connect_timeout_secs: 10.0,
            request_timeout_secs: 120.0,
            max_retries: 3,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            retry_base_delay_ms: 500,
            retry_max_delay_ms: 2000,
        }
    }
}

impl ClientConfig {
    /// Defaults, with the base URL from [`SERVER_URL_ENV`] and the key from [`KEY_ENV`] when set.
    pub fn from_env() -> ClientConfig {
        let base_url = std::env::var(SERVER_URL_ENV)
            .ok()
            .map(|url| url.trim().to_string())
            .filter(|url| !url.is_empty())
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
        ClientConfig { base_url, api_key: ApiKey::from_env(), ..ClientConfig::default() }
    }

    /// Defaults for a given base URL and key.
    pub fn new(base_url: impl Into<String>, api_key: Option<ApiKey>) -> ClientConfig {
        ClientConfig { base_url: base_url.into(), api_key, ..ClientConfig::default() }
    }
}

/// Which wait ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutPhase {
    /// Establishing the connection.
    Connect,
    /// Waiting for the complete answer.
    Response,
    /// An export stream delivered no data for a whole timeout.
    Idle,
}

/// Everything that can go wrong talking to the API, typed so the UI can explain it.
///
/// `Display` reads "what failed: why — URL"; [`ClientError::user_message`] says it in
/// words for a support manager. No variant ever holds the API key.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The base URL cannot be used.
    #[error("invalid server URL: {reason} — {url}")]
    InvalidUrl {
        /// The URL as given (credentials and query removed).
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Plain `http://` to a host other than this computer.
    #[error(
        "refusing plain http:// to a host that is not this computer: the key and the data would \
         travel unencrypted; use https:// — {url}"
    )]
    InsecureUrl {
        /// The URL as given.
        url: String,
    },
    /// The key cannot be put in a header (line breaks, control characters).
    #[error("the API key cannot be sent: it contains characters not allowed in an HTTP header")]
    InvalidKey,
    /// The server could not be reached (DNS, refused, reset before answering).
    #[error("cannot reach the server: {message} — {url}")]
    Connect {
        /// The endpoint.
        url: String,
        /// The underlying cause.
        message: String,
    },
    /// A wait ran out.
    #[error("the request timed out: {} — {url}", timeout_reason(*phase, *timeout_secs))]
    Timeout {
        /// The endpoint.
        url: String,
        /// Which wait.
        phase: TimeoutPhase,
        /// The limit that ran out.
        timeout_secs: f64,
    },
    /// The server answered with a problem+json error.
    #[error(
        "the request failed with HTTP {status}: {problem}{} — {url}",
        request_id_note(problem.request_id.as_deref())
    )]
    Api {
        /// HTTP status.
        status: u16,
        /// The parsed problem; `request_id` is filled from the header when the body has none.
        /// (Boxed: it is the largest variant, and every `Result` carries the error's size.)
        problem: Box<Problem>,
        /// The endpoint.
        url: String,
    },
    /// The server answered with an error whose body is not problem+json (proxy page, empty…).
    #[error("the request failed with HTTP {status}{}: {body_excerpt}{} — {url}",
        reason_phrase(*status), request_id_note(request_id.as_deref()))]
    Http {
        /// HTTP status.
        status: u16,
        /// The start of the body, HTML removed, at most about 200 characters.
        body_excerpt: String,
        /// From the `x-request-id` header.
        request_id: Option<String>,
        /// The endpoint.
        url: String,
    },
    /// The answer is larger than the configured cap.
    #[error("the answer is too large: {} — {url}", too_large_reason(*limit_bytes, *declared_bytes))]
    TooLarge {
        /// The cap.
        limit_bytes: u64,
        /// The size the server announced, when it did.
        declared_bytes: Option<u64>,
        /// The endpoint.
        url: String,
    },
    /// A 2xx answer that is not the documented format.
    #[error(
        "the answer is not in the documented format: {source}{} — {url}",
        request_id_note(request_id.as_deref())
    )]
    Envelope {
        /// What was wrong.
        source: EnvelopeError,
        /// From the `x-request-id` header.
        request_id: Option<String>,
        /// The endpoint.
        url: String,
    },
    /// The body broke off: connection reset, or fewer bytes than announced.
    #[error("the answer was cut off: {message} — {url}")]
    Body {
        /// What happened.
        message: String,
        /// The endpoint.
        url: String,
    },
    /// Writing the export failed.
    #[error("writing the export failed: {source}")]
    Io {
        /// The writer's error.
        #[from]
        source: std::io::Error,
    },
    /// The caller cancelled the request.
    #[error("the request was cancelled")]
    Cancelled,
    /// The request could not be built or sent for a reason not covered above.
    #[error("the request could not be sent: {message} — {url}")]
    Request {
        /// What went wrong.
        message: String,
        /// The endpoint.
        url: String,
    },
}

fn timeout_reason(phase: TimeoutPhase, timeout_secs: f64) -> String {
    match phase {
        TimeoutPhase::Connect => format!("no connection within {timeout_secs} s"),
        TimeoutPhase::Response => format!("no complete answer within {timeout_secs} s"),
        TimeoutPhase::Idle => format!("the export stalled, no data for {timeout_secs} s"),
    }
}

fn request_id_note(request_id: Option<&str>) -> String {
    request_id.map(|id| format!(" (request id {id})")).unwrap_or_default()
}

fn reason_phrase(status: u16) -> String {
    StatusCode::from_u16(status)
        .ok()
        .and_then(|code| code.canonical_reason())
        .map(|reason| format!(" {reason}"))
        .unwrap_or_default()
}

fn too_large_reason(limit_bytes: u64, declared_bytes: Option<u64>) -> String {
    match declared_bytes {
        Some(declared) => format!(
            "the server announced {}, more than the limit of {}",
            format_bytes(declared),
            format_bytes(limit_bytes)
        ),
        None => format!("more than the limit of {}", format_bytes(limit_bytes)),
    }
}

/// `1536` → `1.5 KiB`, `512 MiB`, `17 bytes`.
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = UNITS[0];
    for next in &UNITS[1..] {
        if value < 1024.0 {
            break;
        }
        value /= 1024.0;
        unit = next;
    }
    if value.fract() == 0.0 { format!("{value} {unit}") } else { format!("{value:.1} {unit}") }
}

impl ClientError {
    /// The HTTP status, for errors the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Api { status, .. } | ClientError::Http { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The server's request id, from the problem document or the `x-request-id` header.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            ClientError::Api { problem, .. } => problem.request_id.as_deref(),
            ClientError::Http { request_id, .. } | ClientError::Envelope { request_id, .. } => {
                request_id.as_deref()
            }
            _ => None,
        }
    }

    /// The endpoint (or base URL) concerned, when there is one.
    pub fn url(&self) -> Option<&str> {
        match self {
            ClientError::InvalidUrl { url, .. }
            | ClientError::InsecureUrl { url }
            | ClientError::Connect { url, .. }
            | ClientError::Timeout { url, .. }
            | ClientError::Api { url, .. }
            | ClientError::Http { url, .. }
            | ClientError::TooLarge { url, .. }
            | ClientError::Envelope { url, .. }
            | ClientError::Body { url, .. }
            | ClientError::Request { url, .. } => Some(url),
            ClientError::InvalidKey | ClientError::Io { .. } | ClientError::Cancelled => None,
        }
    }

    /// The problem document, for errors that carried one.
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            ClientError::Api { problem, .. } => Some(problem.as_ref()),
            _ => None,
        }
    }

    /// True for failures a later identical attempt may not repeat (network, 429, 5xx, timeouts).
    pub fn is_transient(&self) -> bool {
        match self {
            ClientError::Connect { .. } | ClientError::Timeout { .. } | ClientError::Body { .. } => true,
            ClientError::Api { status, .. } | ClientError::Http { status, .. } => {
                is_retryable_status(*status)
            }
            _ => false,
        }
    }

    /// The error in words a support manager understands, with what to do about it.
    pub fn user_message(&self) -> String {
        let mut text = match self {
            ClientError::Api { status, .. } | ClientError::Http { status, .. } => {
                let detail = match self {
                    ClientError::Api { problem, .. } => problem.message().map(str::to_string),
                    ClientError::Http { body_excerpt, .. } if body_excerpt != "(empty body)" => {
                        Some(body_excerpt.clone())
                    }
                    _ => None,
                };
                status_message(*status, detail.as_deref())
            }
            ClientError::Connect { url, .. } => format!(
                "Cannot reach the server. Check the network connection and the server URL ({}).",
                origin_of(url)
            ),
            ClientError::Timeout { url, phase: TimeoutPhase::Connect, timeout_secs } => format!(
                "Cannot reach the server: no connection within {timeout_secs} s. Check the network \
                 connection and the server URL ({}).",
                origin_of(url)
            ),
            ClientError::Timeout { phase: TimeoutPhase::Response, timeout_secs, .. } => format!(
                "The server did not answer within {timeout_secs} s. Try again, or narrow the query \
                 (a shorter time range, fewer groups)."
            ),
            ClientError::Timeout { phase: TimeoutPhase::Idle, timeout_secs, .. } => {
                format!("The export stalled: no data arrived for {timeout_secs} s. Try again.")
            }
            ClientError::TooLarge { limit_bytes, .. } => format!(
                "The answer is larger than the limit of {}. Narrow the query (filters, grouping) or use \
                 Export, which writes straight to a file.",
                format_bytes(*limit_bytes)
            ),
            ClientError::Envelope { source, .. } => format!(
                "The server's answer was not in the expected format ({source}). Check that the server \
                 URL points at the Inkeep Analytics API."
            ),
            ClientError::Body { .. } => {
                "The connection broke while the answer was arriving. Try again.".to_string()
            }
            ClientError::InsecureUrl { .. } => "The server URL uses http://, which would send the key and \
                 the data unencrypted. Use an https:// address (http:// is only allowed for this computer)."
                .to_string(),
            ClientError::InvalidUrl { reason, .. } => format!("The server URL is not valid: {reason}."),
            ClientError::InvalidKey => "The API key contains characters a key cannot have (a line break?). \
                 Paste it again."
                .to_string(),
            ClientError::Io { source } => format!("The export file could not be written: {source}."),
            ClientError::Cancelled => "Cancelled.".to_string(),
            ClientError::Request { message, .. } => format!("The request could not be sent: {message}."),
        };
        if let Some(id) = self.request_id() {
            text.push_str(&format!(" Request id for support: {id}."));
        }
        text
    }
}

fn status_message(status: u16, detail: Option<&str>) -> String {
    let with_detail = |lead: String| match detail {
        Some(detail) => format!("{lead}: {}", detail.trim_end_matches('.')).trim_end().to_string() + ".",
        None => format!("{lead}."),
    };
    match status {
        401 => "The API key was not accepted. Check that it is the current key of an API integration \
                and has not been revoked."
            .to_string(),
        403 => "This key cannot read analytics: only the key of an API integration can. Create an API \
                integration in the Inkeep dashboard and use its key."
            .to_string(),
        429 => "The service is rate limiting requests (too many in a short time). Wait a minute and try \
                again."
            .to_string(),
        400 | 422 => with_detail("The service could not run this query".to_string()),
        404 => {
            with_detail("The service does not know this address (HTTP 404); check the server URL".to_string())
        }
        500..=599 => format!(
            "The analytics service had a problem (HTTP {status}). Try again in a moment; if it keeps \
             happening, contact Inkeep support."
        ),
        300..=399 => with_detail(format!(
            "The server redirected the request (HTTP {status}); set the server URL to the final address"
        )),
        _ => with_detail(format!("The service answered with an error (HTTP {status})")),
    }
}

/// `scheme://host:port` of a URL, for messages that should not repeat a long path.
fn origin_of(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(parsed) => parsed.origin().ascii_serialization(),
        Err(_) => url.to_string(),
    }
}

fn is_retryable_status(status: u16) -> bool {
    status == 429 || (500..=599).contains(&status)
}

/// The body of a successful query, unparsed, for the columnar parser.
#[derive(Debug, Clone, PartialEq)]
pub struct RawResponse {
    /// The complete body (at most `max_response_bytes`).
    pub bytes: Bytes,
    /// From the `x-request-id` header.
    pub request_id: Option<String>,
}

/// The client. Cheap to clone; all clones share one connection pool.
#[derive(Clone)]
pub struct AnalyticsClient {
    http: reqwest::Client,
    inner: Arc<Inner>,
}

struct Inner {
    base_url: String,
    /// `Bearer <key>`, marked sensitive so `http`'s own `Debug` hides it.
    authorization: Option<HeaderValue>,
    /// The key, only to scrub it from error bodies that might echo it.
    api_key: Option<ApiKey>,
    connect_timeout: Duration,
    request_timeout: Duration,
    max_retries: u32,
    max_response_bytes: u64,
    retry_base_delay: Duration,
    retry_max_delay: Duration,
}

impl fmt::Debug for AnalyticsClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AnalyticsClient")
            .field("base_url", &self.inner.base_url)
            .field("api_key", &self.inner.api_key)
            .field("connect_timeout", &self.inner.connect_timeout)
            .field("request_timeout", &self.inner.request_timeout)
            .field("max_retries", &self.inner.max_retries)
            .field("max_response_bytes", &self.inner.max_response_bytes)
            .finish_non_exhaustive()
    }
}

/// One failed attempt and whether another may follow.
struct Failure {
    error: ClientError,
    retry: Retry,
}

enum Retry {
    Never,
    /// Retry after backoff, or after the server's `Retry-After` when it gave one.
    Allowed {
        retry_after: Option<Duration>,
    },
}

impl Failure {
    fn fatal(error: ClientError) -> Failure {
        Failure { error, retry: Retry::Never }
    }

    fn transient(error: ClientError) -> Failure {
        Failure { error, retry: Retry::Allowed { retry_after: None } }
    }
}

impl From<ClientError> for Failure {
    fn from(error: ClientError) -> Failure {
        Failure::fatal(error)
    }
}

impl AnalyticsClient {
    /// Builds the client. Fails on an unusable URL, plain `http://` to a non-loopback host,
    /// or a key that cannot be sent in a header.
    pub fn new(config: ClientConfig) -> Result<Self, ClientError> {
        let (base_url, is_loopback) = validate_base_url(&config.base_url)?;
        let api_key = config.api_key.filter(|key| !key.is_empty());
        let authorization = match &api_key {
            Some(key) => {
                let mut value = HeaderValue::from_str(&format!("Bearer {}", key.expose()))
                    .map_err(|_| ClientError::InvalidKey)?;
                value.set_sensitive(true);
                Some(value)
            }
            None => None,
        };
        let connect_timeout = secs_to_duration(config.connect_timeout_secs, 10.0);
        let request_timeout = secs_to_duration(config.request_timeout_secs, 120.0);
        let mut builder = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(connect_timeout)
            // A redirected POST turns into a GET and may drop the body; an API base URL
            // should not redirect, so a 3xx is reported with its Location instead.
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(Duration::from_secs(60));
        if is_loopback {
            // A proxy from the environment must not intercept the local demo server.
            builder = builder.no_proxy();
        }
        let http = builder
            .build()
            .map_err(|err| ClientError::Request { message: error_chain(&err), url: base_url.clone() })?;
        Ok(AnalyticsClient {
            http,
            inner: Arc::new(Inner {
                base_url,
                authorization,
                api_key,
                connect_timeout,
                request_timeout,
                max_retries: config.max_retries,
                max_response_bytes: config.max_response_bytes,
                retry_base_delay: Duration::from_millis(config.retry_base_delay_ms),
                retry_max_delay: Duration::from_millis(
                    config.retry_max_delay_ms.max(config.retry_base_delay_ms),
                ),
            }),
        })
    }

    /// The base URL, normalised (no trailing slash).
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// True when requests carry an `Authorization` header.
    pub fn has_api_key(&self) -> bool {
        self.inner.authorization.is_some()
    }

    /// The full URL of an endpoint path such as [`QUERY_PATH`].
    pub fn endpoint_url(&self, path: &str) -> String {
        format!("{}{}", self.inner.base_url, path)
    }

    /// Runs a query and parses the documented envelope.
    pub async fn query(&self, body: &QueryBody) -> Result<QueryResponse, ClientError> {
        let raw = self.query_raw(body).await?;
        match parse_query_response(&raw.bytes) {
            Ok(mut response) => {
                response.request_id = raw.request_id;
                Ok(response)
            }
            Err(source) => Err(ClientError::Envelope {
                source: redact_key_in_envelope(source, self.inner.api_key.as_ref()),
                request_id: raw.request_id,
                url: self.endpoint_url(QUERY_PATH),
            }),
        }
    }

    /// Runs a query and returns the body unparsed (for a faster parser elsewhere).
    pub async fn query_raw(&self, body: &QueryBody) -> Result<RawResponse, ClientError> {
        let url = self.endpoint_url(QUERY_PATH);
        let payload = encode_json(body, &url)?;
        self.post_for_bytes(&url, payload).await
    }

    /// The keys occurring in a JSON field.
    pub async fn property_keys(&self, request: &PropertyKeysRequest) -> Result<Vec<String>, ClientError> {
        self.post_for_list(PROPERTY_KEYS_PATH, request).await
    }

    /// The values a key of a JSON field takes.
    pub async fn property_values(&self, request: &PropertyValuesRequest) -> Result<Vec<String>, ClientError> {
        self.post_for_list(PROPERTY_VALUES_PATH, request).await
    }

    /// Streams the full result as CSV into `out`, chunk by chunk, calling `progress` with
    /// the bytes written so far after each chunk. Returns the bytes written.
    ///
    /// The body is never held in memory. A failure before the first byte is written is
    /// retried like any request; after that it is returned (the writer already has part of
    /// the file, so the caller must discard it). A stream that ends short of its
    /// `Content-Length` is an error, not a silently short file.
    pub async fn export_csv<W: std::io::Write + Send>(
        &self,
        body: &QueryBody,
        out: &mut W,
        mut progress: impl FnMut(u64) + Send,
    ) -> Result<u64, ClientError> {
        let url = self.endpoint_url(EXPORT_PATH);
        let payload = encode_json(body, &url)?;
        let mut attempt: u32 = 0;
        loop {
            let mut written_bytes: u64 = 0;
            let result =
                self.export_attempt(&url, payload.clone(), out, &mut progress, &mut written_bytes).await;
            match result {
                Ok(()) => {
                    out.flush()?;
                    tracing::debug!(%url, written_bytes, "export finished");
                    return Ok(written_bytes);
                }
                Err(failure) if written_bytes > 0 => return Err(failure.error),
                Err(failure) => match self.retry_delay(attempt, &failure) {
                    Some(delay) => {
                        self.log_retry(&url, attempt, delay, &failure.error);
                        tokio::time::sleep(delay).await;
                        attempt += 1;
                    }
                    None => return Err(failure.error),
                },
            }
        }
    }

    async fn post_for_list<T: serde::Serialize>(
        &self,
        path: &str,
        request: &T,
    ) -> Result<Vec<String>, ClientError> {
        let url = self.endpoint_url(path);
        let payload = encode_json(request, &url)?;
        let raw = self.post_for_bytes(&url, payload).await?;
        parse_property_list(&raw.bytes).map_err(|source| ClientError::Envelope {
            source: redact_key_in_envelope(source, self.inner.api_key.as_ref()),
            request_id: raw.request_id,
            url,
        })
    }

    /// POSTs JSON and reads the whole (capped) answer, with retries.
    async fn post_for_bytes(&self, url: &str, payload: Bytes) -> Result<RawResponse, ClientError> {
        let mut attempt: u32 = 0;
        loop {
            match self.bytes_attempt(url, payload.clone()).await {
                Ok(raw) => return Ok(raw),
                Err(failure) => match self.retry_delay(attempt, &failure) {
                    Some(delay) => {
                        self.log_retry(url, attempt, delay, &failure.error);
                        tokio::time::sleep(delay).await;
                        attempt += 1;
                    }
                    None => return Err(failure.error),
                },
            }
        }
    }

    async fn bytes_attempt(&self, url: &str, payload: Bytes) -> Result<RawResponse, Failure> {
        let work = async {
            let response = self.send(url, payload, ACCEPT_JSON).await?;
            let response = self.check_status(url, response).await?;
            let request_id = request_id_of(response.headers());
            let bytes = self.read_capped(url, response).await?;
            let body_bytes = bytes.len();
            tracing::debug!(%url, body_bytes, request_id = request_id.as_deref(), "answer received");
            Ok(RawResponse { bytes, request_id })
        };
        match tokio::time::timeout(self.inner.request_timeout, work).await {
            Ok(result) => result,
            // Not retried: the server is slow on this query and would most likely be slow again,
            // multiplying the wait by the number of retries.
            Err(_) => Err(Failure::fatal(self.timeout_error(url, TimeoutPhase::Response))),
        }
    }

    async fn export_attempt<W: std::io::Write + Send>(
        &self,
        url: &str,
        payload: Bytes,
        out: &mut W,
        progress: &mut (impl FnMut(u64) + Send),
        written_bytes: &mut u64,
    ) -> Result<(), Failure> {
        let timeout = self.inner.request_timeout;
        let head = async {
            let response = self.send(url, payload, ACCEPT_CSV).await?;
            self.check_status(url, response).await
        };
        let mut response = match tokio::time::timeout(timeout, head).await {
            Ok(result) => result?,
            Err(_) => return Err(Failure::fatal(self.timeout_error(url, TimeoutPhase::Response))),
        };
        let request_id = request_id_of(response.headers());
        if let Some(content_type) = content_type_of(response.headers()) {
            let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
            // A CSV file that is really an HTML page or a JSON document would mislead whoever opens it.
            if essence == "text/html" || essence == "application/json" || essence.ends_with("+json") {
                return Err(Failure::fatal(ClientError::Envelope {
                    source: EnvelopeError::UnexpectedContentType { content_type, expected: "CSV (text/csv)" },
                    request_id,
                    url: url.to_string(),
                }));
            }
        }
        let declared_bytes = content_length_of(response.headers());
        let close_delimited = is_close_delimited(response.version(), response.headers());
        let mut last_byte = None;
        loop {
            let chunk = match tokio::time::timeout(timeout, response.chunk()).await {
                Err(_) => return Err(Failure::fatal(self.timeout_error(url, TimeoutPhase::Idle))),
                Ok(Err(err)) => {
                    return Err(Failure::transient(body_error(url, &err, *written_bytes, declared_bytes)));
                }
                Ok(Ok(None)) => break,
                Ok(Ok(Some(chunk))) => chunk,
            };
            out.write_all(&chunk).map_err(|source| Failure::fatal(ClientError::Io { source }))?;
            *written_bytes += chunk.len() as u64;
            last_byte = chunk.last().copied().or(last_byte);
            progress(*written_bytes);
        }
        if let Some(declared) = declared_bytes
            && *written_bytes < declared
        {
            return Err(Failure::transient(ClientError::Body {
                message: format!("the stream ended after {} of {} bytes", written_bytes, declared),
                url: url.to_string(),
            }));
        }
        // Without a length or chunked encoding, a cut connection looks exactly like the end of
        // the body. Every CSV record ends with a line break, so a stream that stops without one
        // was cut in the middle of a row: an error, not a silently short (and garbled) file.
        if close_delimited && *written_bytes > 0 && last_byte != Some(b'\n') {
            return Err(Failure::transient(ClientError::Body {
                message: format!(
                    "the stream stopped in the middle of a row after {written_bytes} bytes (the server \
                     announced no length, so the connection closing was the only end)"
                ),
                url: url.to_string(),
            }));
        }
        Ok(())
    }

    async fn send(
        &self,
        url: &str,
        payload: Bytes,
        accept: &'static str,
    ) -> Result<reqwest::Response, Failure> {
        let mut request = self
            .http
            .post(url)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, accept)
            .body(payload);
        if let Some(authorization) = &self.inner.authorization {
            request = request.header(header::AUTHORIZATION, authorization.clone());
        }
        tracing::debug!(%url, "POST");
        request.send().await.map_err(|err| self.send_failure(url, &err))
    }

    fn send_failure(&self, url: &str, err: &reqwest::Error) -> Failure {
        let url = url.to_string();
        if err.is_timeout() {
            if err.is_connect() {
                return Failure::transient(self.timeout_error(&url, TimeoutPhase::Connect));
            }
            return Failure::fatal(self.timeout_error(&url, TimeoutPhase::Response));
        }
        if err.is_builder() || err.is_redirect() {
            return Failure::fatal(ClientError::Request { message: error_chain(err), url });
        }
        // Refused, DNS, TLS, reset or closed before an answer: nothing reached the caller, so
        // the request can be repeated.
        Failure::transient(ClientError::Connect { message: error_chain(err), url })
    }

    fn timeout_error(&self, url: &str, phase: TimeoutPhase) -> ClientError {
        let limit = match phase {
            TimeoutPhase::Connect => self.inner.connect_timeout,
            TimeoutPhase::Response | TimeoutPhase::Idle => self.inner.request_timeout,
        };
        ClientError::Timeout { url: url.to_string(), phase, timeout_secs: limit.as_secs_f64() }
    }

    /// Passes 2xx answers through; turns anything else into a typed error (reading a bounded
    /// part of the body for the message).
    async fn check_status(
        &self,
        url: &str,
        mut response: reqwest::Response,
    ) -> Result<reqwest::Response, Failure> {
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let headers = response.headers().clone();
        let request_id = request_id_of(&headers);
        let retry_after = headers
            .get(header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| parse_retry_after(value, SystemTime::now()));
        let mut body = Vec::new();
        let mut truncated = false;
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let room = ERROR_BODY_LIMIT_BYTES.saturating_sub(body.len());
                    body.extend_from_slice(chunk.get(..room.min(chunk.len())).unwrap_or_default());
                    if chunk.len() > room {
                        truncated = true;
                        break;
                    }
                }
                Ok(None) => break,
                // A broken error body still leaves the status to report.
                Err(_) => {
                    truncated = true;
                    break;
                }
            }
        }
        let body = redact_key_in_bytes(body, self.inner.api_key.as_ref());
        let url = url.to_string();
        let code = status.as_u16();
        let problem = if truncated { None } else { Problem::from_json_bytes(&body) };
        let error = match problem {
            Some(mut problem) => {
                if problem.request_id.is_none() {
                    problem.request_id = request_id;
                }
                ClientError::Api { status: code, problem: Box::new(problem), url }
            }
            None => {
                let location = headers.get(header::LOCATION).and_then(|value| value.to_str().ok());
                let body_excerpt = match location {
                    Some(location) if status.is_redirection() => {
                        format!("redirected to {}", truncate_chars(location, EXCERPT_MAX_CHARS))
                    }
                    _ => body_excerpt(&body, EXCERPT_MAX_CHARS),
                };
                ClientError::Http { status: code, body_excerpt, request_id, url }
            }
        };
        tracing::debug!(status = code, error = %error, "error answer");
        let retry = if is_retryable_status(code) { Retry::Allowed { retry_after } } else { Retry::Never };
        Err(Failure { error, retry })
    }

    /// Reads a whole body, refusing to hold more than `max_response_bytes`: a declared
    /// `Content-Length` over the cap fails before reading anything, and the count is checked
    /// chunk by chunk for bodies that do not declare it (or lie).
    async fn read_capped(&self, url: &str, mut response: reqwest::Response) -> Result<Bytes, Failure> {
        let limit_bytes = self.inner.max_response_bytes;
        let declared_bytes = content_length_of(response.headers());
        let too_large = |declared_bytes| {
            Failure::fatal(ClientError::TooLarge { limit_bytes, declared_bytes, url: url.to_string() })
        };
        if let Some(declared) = declared_bytes
            && declared > limit_bytes
        {
            return Err(too_large(Some(declared)));
        }
        let initial = declared_bytes.unwrap_or(0).min(limit_bytes).min(INITIAL_BUFFER_LIMIT_BYTES);
        let mut buffer = BytesMut::with_capacity(usize::try_from(initial).unwrap_or(0));
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if buffer.len() as u64 + chunk.len() as u64 > limit_bytes {
                        return Err(too_large(None));
                    }
                    buffer.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(err) => {
                    return Err(Failure::transient(body_error(
                        url,
                        &err,
                        buffer.len() as u64,
                        declared_bytes,
                    )));
                }
            }
        }
        // The HTTP layer normally reports a short body itself; this catches any that slip through.
        if let Some(declared) = declared_bytes
            && (buffer.len() as u64) < declared
        {
            return Err(Failure::transient(ClientError::Body {
                message: format!("the body ended after {} of {} bytes", buffer.len(), declared),
                url: url.to_string(),
            }));
        }
        Ok(buffer.freeze())
    }

    /// The wait before retry number `attempt + 1`, or `None` when no retry is due.
    fn retry_delay(&self, attempt: u32, failure: &Failure) -> Option<Duration> {
        let Retry::Allowed { retry_after } = failure.retry else {
            return None;
        };
        if attempt >= self.inner.max_retries {
            return None;
        }
        match retry_after {
            // Waiting longer than this leaves the user staring at a spinner; the error says
            // "rate limited" and they can try again themselves.
            Some(wait) if wait > Duration::from_secs(MAX_RETRY_AFTER_SECS) => None,
            Some(wait) => Some(wait),
            None => Some(backoff_delay(
                attempt,
                self.inner.retry_base_delay,
                self.inner.retry_max_delay,
                jitter_fraction(),
            )),
        }
    }

    fn log_retry(&self, url: &str, attempt: u32, delay: Duration, error: &ClientError) {
        tracing::warn!(
            %url,
            retry = attempt + 1,
            max_retries = self.inner.max_retries,
            delay_ms = delay.as_millis() as u64,
            %error,
            "retrying"
        );
    }
}

/// Checks and normalises a base URL; returns it without a trailing slash, and whether the
/// host is this computer.
fn validate_base_url(raw: &str) -> Result<(String, bool), ClientError> {
    let trimmed = raw.trim();
    let invalid =
        |reason: &str| ClientError::InvalidUrl { url: redact_url(trimmed), reason: reason.to_string() };
    if trimmed.is_empty() {
        return Err(invalid("it is empty"));
    }
    let url = reqwest::Url::parse(trimmed).map_err(|err| invalid(&err.to_string()))?;
    let scheme = url.scheme();
    if scheme != "http" && scheme != "https" {
        return Err(invalid(&format!(
            "the scheme must be https:// (or http:// for this computer), not {scheme}://"
        )));
    }
    let Some(host) = url.host_str() else {
        return Err(invalid("it has no host"));
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("it contains credentials; put the key in the API key field instead"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("it must not have a query (?…) or fragment (#…)"));
    }
    let is_loopback = is_loopback_host(host);
    if scheme == "http" && !is_loopback {
        return Err(ClientError::InsecureUrl { url: redact_url(trimmed) });
    }
    let normalised = url.as_str().trim_end_matches('/').to_string();
    Ok((normalised, is_loopback))
}

/// `localhost`, 127.0.0.0/8 and ::1 (also IPv4-mapped). `host` is as `Url::host_str` gives
/// it: IPv6 in brackets.
fn is_loopback_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.eq_ignore_ascii_case("localhost") || bare.eq_ignore_ascii_case("localhost.") {
        return true;
    }
    match bare.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => ip.is_loopback(),
        Ok(IpAddr::V6(ip)) => ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
        Err(_) => false,
    }
}

/// A URL fit for an error message: no credentials, no query, at most 200 characters.
fn redact_url(raw: &str) -> String {
    match reqwest::Url::parse(raw) {
        Ok(mut url) => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.set_query(None);
            url.set_fragment(None);
            truncate_chars(url.as_str(), EXCERPT_MAX_CHARS)
        }
        // Unparseable: keep only what precedes any `@` or `?`, which could hide a secret.
        Err(_) => {
            let cut = raw.find(['@', '?']).map(|index| &raw[..index]).unwrap_or(raw);
            truncate_chars(cut, EXCERPT_MAX_CHARS)
        }
    }
}

fn encode_json<T: serde::Serialize>(value: &T, url: &str) -> Result<Bytes, ClientError> {
    serde_json::to_vec(value).map(Bytes::from).map_err(|err| ClientError::Request {
        message: format!("the body could not be encoded: {err}"),
        url: url.to_string(),
    })
}

fn body_error(
    url: &str,
    err: &reqwest::Error,
    received_bytes: u64,
    declared_bytes: Option<u64>,
) -> ClientError {
    let received = match declared_bytes {
        Some(declared) => format!("{received_bytes} of {declared} bytes"),
        None => format!("{received_bytes} bytes"),
    };
    ClientError::Body { message: format!("{} (received {received})", error_chain(err)), url: url.to_string() }
}

/// The causes of an error joined with ": ", without reqwest's own "error sending request
/// for url (…)" wrapper (the URL is reported separately).
fn error_chain(err: &reqwest::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        let text = cause.to_string();
        // Some layers repeat their cause in their own message; keep each text once.
        if !text.is_empty() && !parts.iter().any(|seen| seen.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    if parts.is_empty() {
        let mut top = err.to_string();
        if let Some(url) = err.url() {
            top = top.replace(&format!(" ({url})"), "").replace(url.as_str(), "");
        }
        top
    } else {
        parts.join(": ")
    }
}

fn request_id_of(headers: &HeaderMap) -> Option<String> {
    headers
        .get(REQUEST_ID_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(|id| truncate_chars(id, EXCERPT_MAX_CHARS))
}

/// True when an HTTP/1 body ends only where the connection closes (no `Content-Length`, no
/// chunked encoding; RFC 9112 §6.3), so that a cut connection cannot be told from the end.
fn is_close_delimited(version: reqwest::Version, headers: &HeaderMap) -> bool {
    if !matches!(version, reqwest::Version::HTTP_09 | reqwest::Version::HTTP_10 | reqwest::Version::HTTP_11) {
        return false;
    }
    if headers.contains_key(header::TRANSFER_ENCODING) {
        let last_coding = headers
            .get_all(header::TRANSFER_ENCODING)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .next_back()
            .map(str::trim);
        return !last_coding.is_some_and(|coding| coding.eq_ignore_ascii_case("chunked"));
    }
    !headers.contains_key(header::CONTENT_LENGTH)
}

fn content_length_of(headers: &HeaderMap) -> Option<u64> {
    headers.get(header::CONTENT_LENGTH)?.to_str().ok()?.trim().parse().ok()
}

fn content_type_of(headers: &HeaderMap) -> Option<String> {
    headers.get(header::CONTENT_TYPE)?.to_str().ok().map(str::to_string)
}

/// `Retry-After` as delta-seconds or an HTTP date (RFC 9110), relative to `now`.
/// A date in the past means "now"; anything unreadable is ignored (backoff applies).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    // Not in the RFC, but some servers send fractions; harmless to accept.
    if let Ok(secs) = value.parse::<f64>() {
        return Duration::try_from_secs_f64(secs).ok();
    }
    // An HTTP date is RFC 2822's date-time form (`Wed, 21 Oct 2015 07:28:00 GMT`).
    let date = jiff::fmt::rfc2822::DateTimeParser::new().parse_timestamp(value).ok()?;
    let target =
        SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(u64::try_from(date.as_second()).ok()?))?;
    Some(target.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Exponential backoff with "equal jitter": half the exponential delay, plus a random part
/// of the other half (`jitter` in 0..1), so clients that failed together spread out.
pub fn backoff_delay(attempt: u32, base: Duration, max: Duration, jitter: f64) -> Duration {
    let factor = 2u32.saturating_pow(attempt.min(20));
    let exponential = base.saturating_mul(factor).min(max);
    let half = exponential / 2;
    half + half.mul_f64(jitter.clamp(0.0, 1.0))
}

/// A pseudo-random fraction in 0..1 without a `rand` dependency: the std hasher is keyed
/// randomly per process, and a counter and the clock make each call different.
fn jitter_fraction() -> f64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos =
        SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let seed = COUNTER.fetch_add(1, Ordering::Relaxed) ^ (u64::from(nanos) << 20);
    let hash = std::collections::hash_map::RandomState::new().hash_one(seed);
    (hash >> 11) as f64 / (1u64 << 53) as f64
}

fn secs_to_duration(secs: f64, fallback_secs: f64) -> Duration {
    Duration::try_from_secs_f64(secs)
        .ok()
        .filter(|duration| !duration.is_zero())
        .unwrap_or_else(|| Duration::from_secs_f64(fallback_secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for host in ["localhost", "LOCALHOST", "127.0.0.1", "127.3.2.1", "[::1]", "[::ffff:127.0.0.1]"] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in ["example.com", "10.0.0.1", "[::2]", "localhost.example.com", "128.0.0.1"] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn base_url_validation() {
        let ok = |url: &str| validate_base_url(url).unwrap();
        assert_eq!(
            ok("https://api.analytics.inkeep.com/"),
            ("https://api.analytics.inkeep.com".to_string(), false)
        );
        assert_eq!(ok(" http://127.0.0.1:8787 "), ("http://127.0.0.1:8787".to_string(), true));
        assert_eq!(
            ok("https://gw.example.com/analytics/"),
            ("https://gw.example.com/analytics".to_string(), false)
        );
        assert_eq!(ok("http://[::1]:9/").0, "http://[::1]:9");
        assert!(matches!(validate_base_url("http://example.com"), Err(ClientError::InsecureUrl { .. })));
        assert!(matches!(validate_base_url("http://10.1.1.1:80"), Err(ClientError::InsecureUrl { .. })));
        for bad in
            ["", "not a url", "ftp://example.com", "https://user:pw@example.com", "https://x.com/?key=1"]
        {
            assert!(matches!(validate_base_url(bad), Err(ClientError::InvalidUrl { .. })), "{bad}");
        }
        let err = validate_base_url("https://user:hunter2secret@example.com").unwrap_err().to_string();
        assert!(!err.contains("hunter2secret"), "{err}");
        let err = validate_base_url("ftp://example.com?token=abcdefgh").unwrap_err().to_string();
        assert!(!err.contains("abcdefgh"), "{err}");
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_470); // 2015-10-21T07:27:50Z
        assert_eq!(parse_retry_after("1", now), Some(Duration::from_secs(1)));
        assert_eq!(parse_retry_after(" 120 ", now), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after("0.5", now), Some(Duration::from_millis(500)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now), Some(Duration::from_secs(10)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let base = Duration::from_millis(100);
        let max = Duration::from_millis(2000);
        assert_eq!(backoff_delay(0, base, max, 0.0), Duration::from_millis(50));
        assert_eq!(backoff_delay(0, base, max, 1.0), Duration::from_millis(100));
        assert_eq!(backoff_delay(2, base, max, 0.5), Duration::from_millis(300));
        assert_eq!(backoff_delay(10, base, max, 1.0), max);
        assert_eq!(backoff_delay(u32::MAX, base, max, 0.0), Duration::from_millis(1000));
        let samples: Vec<f64> = (0..50).map(|_| jitter_fraction()).collect();
        assert!(samples.iter().all(|j| (0.0..1.0).contains(j)));
        let distinct = samples.iter().map(|j| j.to_bits()).collect::<std::collections::HashSet<_>>();
        assert!(distinct.len() > 40, "jitter is not varying: {distinct:?}");
    }

    #[test]
    fn close_delimited_bodies_are_recognised() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut map = HeaderMap::new();
            for (name, value) in pairs {
                map.append(*name, HeaderValue::from_static(value));
            }
            map
        };
        let http_11 = reqwest::Version::HTTP_11;
        assert!(is_close_delimited(http_11, &headers(&[])));
        assert!(is_close_delimited(reqwest::Version::HTTP_10, &headers(&[("content-type", "text/csv")])));
        assert!(!is_close_delimited(http_11, &headers(&[("content-length", "10")])));
        assert!(!is_close_delimited(http_11, &headers(&[("transfer-encoding", "chunked")])));
        assert!(!is_close_delimited(http_11, &headers(&[("transfer-encoding", "gzip, Chunked")])));
        assert!(is_close_delimited(http_11, &headers(&[("transfer-encoding", "chunked, gzip")])));
        // HTTP/2 frames its bodies itself.
        assert!(!is_close_delimited(reqwest::Version::HTTP_2, &headers(&[])));
    }

    #[test]
    fn byte_sizes_read_well() {
        assert_eq!(format_bytes(17), "17 bytes");
        assert_eq!(format_bytes(1024), "1 KiB");
        assert_eq!(format_bytes(1536), "1.5 KiB");
        assert_eq!(format_bytes(DEFAULT_MAX_RESPONSE_BYTES), "512 MiB");
        assert_eq!(format_bytes(2 * 1024 * 1024 * 1024), "2 GiB");
    }

    #[test]
    fn api_key_is_masked() {
        let key = ApiKey::new("  sk-very-secret-123 \n".to_string());
        assert_eq!(key.expose(), "sk-very-secret-123");
        assert_eq!(format!("{key:?} {key}"), "ApiKey(***) ApiKey(***)");
        let config = ClientConfig::new("https://example.com", Some(key));
        assert!(!format!("{config:?}").contains("secret"));
        let client = AnalyticsClient::new(config).unwrap();
        assert!(!format!("{client:?}").contains("secret"));
        assert!(client.has_api_key());
        let broken =
            ClientConfig::new("https://example.com", Some(ApiKey::new("sk-abc\ndef-secret".to_string())));
        let err = AnalyticsClient::new(broken).unwrap_err();
        assert!(matches!(err, ClientError::InvalidKey));
        assert!(!format!("{err:?} {err}").contains("secret"));
    }

    #[test]
    fn user_messages_by_status() {
        let http = |status| ClientError::Http {
            status,
            body_excerpt: "(empty body)".to_string(),
            request_id: Some("r-9".to_string()),
            url: "https://example.com/query/conversations".to_string(),
        };
        assert!(http(401).user_message().starts_with("The API key was not accepted"));
        assert!(http(403).user_message().contains("API integration"));
        assert!(http(429).user_message().contains("rate limiting"));
        assert!(http(503).user_message().contains("had a problem (HTTP 503)"));
        assert!(http(503).user_message().ends_with("Request id for support: r-9."));
        let api = ClientError::Api {
            status: 422,
            problem: Box::new(Problem::new(
                422,
                "unprocessable_entity",
                "Unprocessable Entity",
                "unknown field `foo`.",
            )),
            url: "https://example.com/query/conversations".to_string(),
        };
        assert_eq!(api.user_message(), "The service could not run this query: unknown field `foo`.");
        assert_eq!(api.status(), Some(422));
        let connect = ClientError::Connect {
            url: "https://example.com/query/conversations".to_string(),
            message: "refused".to_string(),
        };
        assert_eq!(
            connect.user_message(),
            "Cannot reach the server. Check the network connection and the server URL (https://example.com)."
        );
        assert_eq!(connect.status(), None);
        assert_eq!(
            connect.to_string(),
            "cannot reach the server: refused — https://example.com/query/conversations"
        );
    }
}
