//! Everything that can go wrong talking to the API: [`ClientError`], how each reads in a
//! log ("what failed: why — URL") and in words for a support manager, with what to do.

use reqwest::StatusCode;

use crate::api::response::{EnvelopeError, Problem};

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

pub(super) fn is_retryable_status(status: u16) -> bool {
    status == 429 || (500..=599).contains(&status)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::client::DEFAULT_MAX_RESPONSE_BYTES;

    #[test]
    fn byte_sizes_read_well() {
        assert_eq!(format_bytes(17), "17 bytes");
        assert_eq!(format_bytes(1024), "1 KiB");
        assert_eq!(format_bytes(1536), "1.5 KiB");
        assert_eq!(format_bytes(DEFAULT_MAX_RESPONSE_BYTES), "512 MiB");
        assert_eq!(format_bytes(2 * 1024 * 1024 * 1024), "2 GiB");
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
