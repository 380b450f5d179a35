//! Request ids and the `application/problem+json` answers: every error the server gives
//! carries the request id and the path, with the status's code and title.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::api::response::{PROBLEM_CONTENT_TYPE, Problem};

/// The request id, put in the request's extensions by the outermost layer.
#[derive(Debug, Clone)]
pub(super) struct RequestId(pub(super) String);

/// A fresh request id: `req_`, a per-process random part and a counter, in hex.
pub(super) fn next_request_id() -> String {
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
pub(super) struct RequestContext {
    pub(super) request_id: String,
    pub(super) path: String,
}

impl RequestContext {
    pub(super) fn from_parts(parts: &Parts) -> RequestContext {
        RequestContext {
            request_id: parts.extensions.get::<RequestId>().map(|id| id.0.clone()).unwrap_or_default(),
            path: parts.uri.path().to_string(),
        }
    }

    pub(super) fn from_request(request: &Request) -> RequestContext {
        RequestContext {
            request_id: request.extensions().get::<RequestId>().map(|id| id.0.clone()).unwrap_or_default(),
            path: request.uri().path().to_string(),
        }
    }

    /// The handler's answer, or the problem+json answer for its error.
    pub(super) fn respond(&self, answer: Result<impl IntoResponse, ApiError>) -> Response {
        match answer {
            Ok(answer) => answer.into_response(),
            Err(error) => self.problem(error),
        }
    }

    /// The problem+json answer for `error`.
    pub(super) fn problem(&self, error: ApiError) -> Response {
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
pub(super) fn status_code_and_title(status: StatusCode) -> (&'static str, &'static str) {
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
pub(super) struct ApiError {
    pub(super) status: StatusCode,
    pub(super) detail: String,
    pub(super) headers: Vec<(header::HeaderName, HeaderValue)>,
}

impl ApiError {
    pub(super) fn new(status: StatusCode, detail: impl Into<String>) -> ApiError {
        ApiError { status, detail: detail.into(), headers: Vec::new() }
    }

    pub(super) fn with_header(mut self, name: header::HeaderName, value: &'static str) -> ApiError {
        self.headers.push((name, HeaderValue::from_static(value)));
        self
    }

    pub(super) fn unauthorized(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, detail).with_header(header::WWW_AUTHENTICATE, "Bearer")
    }

    pub(super) fn internal(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_distinct() {
        let first = next_request_id();
        let second = next_request_id();
        assert!(first.starts_with("req_") && first.len() == 20, "{first}");
        assert_ne!(first, second);
    }
}
