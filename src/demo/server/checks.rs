//! The checks a request passes before the store runs, in the order the `server` module
//! describes: bearer token, content type, body size, JSON syntax, the published schema,
//! validation. Each failure is its own problem answer.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode, header};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use super::problem::ApiError;
use super::{AppState, OVERSIZED_DRAIN_BYTES};
use crate::api::query::{Filter, QueryBody, parse_query};
use crate::api::validate::{
    MAX_BODY_BYTES, Problem as ValidationProblem, published_schema_problems, validate,
};
use crate::api::view::View;

/// Checks `Authorization: Bearer <token>` against the configured key (any token when none).
pub(super) fn check_auth(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
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
pub(super) fn constant_time_eq(expected: &[u8], given: &[u8]) -> bool {
    let mut difference = expected.len() ^ given.len();
    for (index, byte) in given.iter().enumerate() {
        let other = expected.get(index % expected.len().max(1)).copied().unwrap_or(0);
        difference |= usize::from(byte ^ other);
    }
    difference == 0
}

/// Refuses a body declared as something other than JSON (a missing type is accepted).
pub(super) fn check_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
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
pub(super) async fn read_body(headers: &HeaderMap, body: Body) -> Result<Bytes, ApiError> {
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
pub(super) async fn drain(stream: &mut axum::body::BodyDataStream, mut received: usize) {
    while received < OVERSIZED_DRAIN_BYTES {
        match stream.next().await {
            Some(Ok(chunk)) => received += chunk.len(),
            _ => break,
        }
    }
}

/// Auth, content type and size: the checks every endpoint makes before reading the body.
pub(super) async fn accept_body(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<Bytes, ApiError> {
    check_auth(state, headers)?;
    check_content_type(headers)?;
    read_body(headers, body).await
}

/// Rejects text that is not well-formed JSON with 400 and the line and column.
pub(super) fn check_json_syntax(bytes: &[u8]) -> Result<&str, ApiError> {
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
pub(super) fn strip_position(message: &str) -> &str {
    message.rfind(" at line ").map_or(message, |index| &message[..index])
}

/// Reads a query body sent to `view`'s endpoint: 400 for bad JSON and for a body outside
/// the view's published schema (wrong shape, unknown key, wrong type, a field the view does
/// not have, an `orderBy.field` outside the view's closed set, `query` on a view other than
/// semantic threads), with the path; 422 for a body the schema admits but that cannot be
/// answered.
pub(super) fn parse_query_body(view: View, bytes: &[u8]) -> Result<QueryBody, ApiError> {
    let text = check_json_syntax(bytes)?;
    let query = parse_query(text).map_err(|error| {
        schema_error(
            "query",
            &error.path,
            &format!("{}{}", error.message, line_column(error.line, error.column)),
        )
    })?;
    check_query(view, &query)?;
    Ok(query)
}

/// ` (line L, column C)` when the position is known.
pub(super) fn line_column(line: usize, column: usize) -> String {
    if line > 0 { format!(" (line {line}, column {column})") } else { String::new() }
}

/// The 400 answer for a body outside the published schema: the detail names the JSON path
/// (or the top level) and, in serde's words, what is allowed there.
pub(super) fn schema_error(what: &str, path: &str, message: &str) -> ApiError {
    let at = if path.is_empty() || path == "." { "the top level".to_string() } else { format!("`{path}`") };
    ApiError::new(StatusCode::BAD_REQUEST, format!("invalid {what} at {at}: {message}"))
}

/// Reads a property request body, like [`parse_query_body`].
pub(super) fn parse_request_body<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, ApiError> {
    let text = check_json_syntax(bytes)?;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let parsed: Result<T, _> = serde_path_to_error::deserialize(&mut deserializer);
    parsed.map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        schema_error(what, &path, strip_position(&inner.to_string()))
    })
}

/// Checks a query sent to `view` that the generic body shape admits: a breach of the view's
/// published schema ([`published_schema_problems`]: a field of another view, an
/// `orderBy.field` outside the view's set, `query` on the wrong view) is a 400, as the real
/// server's schema check answers it; any other problem is a 422. Each answer lists all its
/// problems with their paths.
pub(super) fn check_query(view: View, query: &QueryBody) -> Result<(), ApiError> {
    let outside = published_schema_problems(view, query);
    if !outside.is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("invalid query: {}", list_problems(&outside)),
        ));
    }
    let problems = validate(view, query);
    if problems.is_empty() {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        format!("invalid query: {}", list_problems(&problems)),
    ))
}

/// `` `path`: message; `path`: message `` (a problem of the whole body without a path).
pub(super) fn list_problems(problems: &[ValidationProblem]) -> String {
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

/// Validates a filter of a property request the way a query's `where` is validated. The
/// published schema types it as a conversations filter whatever `views` says, so it is
/// checked against the conversations view.
pub(super) fn check_filter(filter: Option<&Filter>) -> Result<(), ApiError> {
    match filter {
        Some(filter) => check_query(
            View::Conversations,
            &QueryBody { filter: Some(filter.clone()), ..QueryBody::default() },
        ),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

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
}
