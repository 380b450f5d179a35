//! The client itself: one `reqwest::Client` behind [`AnalyticsClient`], each endpoint as a
//! future that the caller cancels by dropping it, the status checks, the capped reading of
//! bodies, the streaming export, and retries with backoff.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::{Bytes, BytesMut};
use reqwest::header::{self, HeaderMap, HeaderValue};

use super::error::is_retryable_status;
use super::retry::{backoff_delay, jitter_fraction, parse_retry_after};
use super::url::validate_base_url;
use super::{
    ApiKey, ClientConfig, ClientError, MAX_RETRY_AFTER_SECS, PROPERTY_KEYS_PATH, PROPERTY_VALUES_PATH,
    REQUEST_ID_HEADER, TimeoutPhase,
};
use crate::api::query::QueryBody;
use crate::api::redact::{redact_key_in_bytes, redact_key_in_envelope};
use crate::api::response::{
    EXCERPT_MAX_CHARS, EnvelopeError, Problem, PropertyKeysRequest, PropertyValuesRequest, QueryResponse,
    body_excerpt, parse_property_list, parse_query_response, truncate_chars,
};
use crate::api::view::View;

const USER_AGENT: &str = concat!("inkeep-explorer/", env!("CARGO_PKG_VERSION"));
const ACCEPT_JSON: &str = "application/json, application/problem+json";
const ACCEPT_CSV: &str = "text/csv, application/problem+json;q=0.9";
/// Error bodies are only read for a message; a few KiB carry any sensible problem document.
const ERROR_BODY_LIMIT_BYTES: usize = 64 * 1024;
/// A declared Content-Length is trusted for pre-allocation only up to this much.
const INITIAL_BUFFER_LIMIT_BYTES: u64 = 8 * 1024 * 1024;

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

    /// The full URL of an endpoint path such as [`View::query_path`].
    pub fn endpoint_url(&self, path: &str) -> String {
        format!("{}{}", self.inner.base_url, path)
    }

    /// Runs a query on `view` and parses the documented envelope.
    pub async fn query(&self, view: View, body: &QueryBody) -> Result<QueryResponse, ClientError> {
        let raw = self.query_raw(view, body).await?;
        match parse_query_response(&raw.bytes) {
            Ok(mut response) => {
                response.request_id = raw.request_id;
                Ok(response)
            }
            Err(source) => Err(ClientError::Envelope {
                source: redact_key_in_envelope(source, self.inner.api_key.as_ref()),
                request_id: raw.request_id,
                url: self.endpoint_url(view.query_path()),
            }),
        }
    }

    /// Runs a query on `view` and returns the body unparsed (for a faster parser elsewhere).
    pub async fn query_raw(&self, view: View, body: &QueryBody) -> Result<RawResponse, ClientError> {
        let url = self.endpoint_url(view.query_path());
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

    /// Streams the full result of `body` on `view` (its export endpoint) as CSV into `out`, chunk by chunk, calling `progress` with
    /// the bytes written so far after each chunk. Returns the bytes written.
    ///
    /// The body is never held in memory. A failure before the first byte is written is
    /// retried like any request; after that it is returned (the writer already has part of
    /// the file, so the caller must discard it). A stream that ends short of its
    /// `Content-Length` is an error, not a silently short file.
    pub async fn export_csv<W: std::io::Write + Send>(
        &self,
        view: View,
        body: &QueryBody,
        out: &mut W,
        mut progress: impl FnMut(u64) + Send,
    ) -> Result<u64, ClientError> {
        let url = self.endpoint_url(view.export_path());
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
}
