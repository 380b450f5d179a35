//! What the Analytics API answers, read from bytes: the `/query/conversations` envelope,
//! the `{results:[…]}` lists of the property endpoints, and `application/problem+json`
//! errors. Also the request bodies of the property endpoints. No networking here: the
//! client ([`super::client`]) and the embedded demo server both use these types.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::query::{Field, Filter};
use super::view::View;

/// The media type of error answers.
pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// How many characters of a body an error message quotes.
pub const EXCERPT_MAX_CHARS: usize = 200;

/// A successful `/query/conversations` answer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QueryResponse {
    /// The rows, each a JSON object keyed by column name, in the server's column order.
    pub rows: Vec<Map<String, Value>>,
    /// How many rows match the query (may exceed `rows.len()`: see `page_size`).
    pub total: u64,
    /// The most rows one response carries; larger results are only complete through export.
    pub page_size: u64,
    /// How many rows this response carries, as the server counted them.
    pub count: u64,
    /// The server's request id (`x-request-id`), for support.
    pub request_id: Option<String>,
}

impl QueryResponse {
    /// True when the server matched more rows than it sent (the rest needs the export endpoint).
    pub fn is_truncated(&self) -> bool {
        self.total > self.rows.len() as u64
    }
}

/// Why a successful (2xx) answer is not the documented envelope.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EnvelopeError {
    /// The body is empty.
    #[error("the answer is empty")]
    Empty,
    /// The body ends in the middle of the JSON document.
    #[error("the JSON ends early (truncated after {received_bytes} bytes)")]
    Truncated {
        /// How many bytes arrived.
        received_bytes: usize,
    },
    /// The body is not JSON at all (an HTML page from a proxy, plain text…).
    #[error("the answer is not JSON ({reason}); it starts with: {excerpt}")]
    NotJson {
        /// The parser's complaint.
        reason: String,
        /// The start of the body, HTML tags removed.
        excerpt: String,
    },
    /// The JSON is not an object.
    #[error("the answer is JSON but not an object (it is {found})")]
    NotAnObject {
        /// What it is instead: "an array", "a string"…
        found: &'static str,
    },
    /// `status` is something other than `"ok"`.
    #[error("status was {status}")]
    StatusNotOk {
        /// The status as it appeared, JSON-quoted (`"error"`).
        status: String,
    },
    /// A required key is absent.
    #[error("missing `{field}`")]
    Missing {
        /// Dotted path to the key, e.g. `data.total`.
        field: String,
    },
    /// A key holds the wrong kind of value.
    #[error("`{field}` is not {expected}")]
    WrongType {
        /// Dotted path to the key, e.g. `data.result` or `data.result[3]`.
        field: String,
        /// What it should be: "an array", "a non-negative integer"…
        expected: &'static str,
    },
    /// The answer has a content type that cannot be what was asked for (HTML instead of CSV).
    #[error("the answer has content type `{content_type}`, expected {expected}")]
    UnexpectedContentType {
        /// The `Content-Type` header as received.
        content_type: String,
        /// What was expected, in words.
        expected: &'static str,
    },
}

/// Parses the documented envelope `{status:"ok", data:{result:[…], total, pageSize, count}}`.
///
/// `request_id` is left empty: it travels in a header, which the client fills in.
pub fn parse_query_response(bytes: &[u8]) -> Result<QueryResponse, EnvelopeError> {
    let mut root = parse_object(bytes)?;
    check_status(&root)?;
    let data = match root.get_mut("data") {
        None => return Err(missing("data")),
        Some(Value::Object(data)) => data,
        Some(_) => return Err(wrong_type("data", "an object")),
    };
    let total = read_count(data, "total")?;
    let page_size = read_count(data, "pageSize")?;
    let count = read_count(data, "count")?;
    let rows = match data.get_mut("result").map(Value::take) {
        None => return Err(missing("data.result")),
        Some(Value::Array(items)) => {
            let mut rows = Vec::with_capacity(items.len());
            for (index, item) in items.into_iter().enumerate() {
                match item {
                    Value::Object(row) => rows.push(row),
                    _ => return Err(wrong_type(&format!("data.result[{index}]"), "an object")),
                }
            }
            rows
        }
        Some(_) => return Err(wrong_type("data.result", "an array")),
    };
    if count != rows.len() as u64 {
        // Not fatal: the rows are what the grid shows; the mismatch is worth a trace for support.
        tracing::warn!(count, row_count = rows.len(), "`data.count` differs from the number of rows");
    }
    Ok(QueryResponse { rows, total, page_size, count, request_id: None })
}

/// Parses the `{results:[string…]}` answer of the property endpoints.
///
/// Numbers and booleans are accepted and turned into their JSON text, since a property
/// value can be one; objects, arrays and null are rejected.
pub fn parse_property_list(bytes: &[u8]) -> Result<Vec<String>, EnvelopeError> {
    let mut root = parse_object(bytes)?;
    // The documented answer has no status, but a server that adds `status:"error"` must not
    // be read as an empty list.
    check_status_if_present(&root)?;
    match root.get_mut("results").map(Value::take) {
        None => Err(missing("results")),
        Some(Value::Array(items)) => items
            .into_iter()
            .enumerate()
            .map(|(index, item)| match item {
                Value::String(text) => Ok(text),
                Value::Number(number) => Ok(number.to_string()),
                Value::Bool(flag) => Ok(flag.to_string()),
                _ => Err(wrong_type(&format!("results[{index}]"), "a string")),
            })
            .collect(),
        Some(_) => Err(wrong_type("results", "an array")),
    }
}

fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, EnvelopeError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(EnvelopeError::Empty);
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(EnvelopeError::NotAnObject { found: kind_of(&other) }),
        Err(err) if err.is_eof() && looks_like_json(bytes) => {
            Err(EnvelopeError::Truncated { received_bytes: bytes.len() })
        }
        Err(err) => Err(EnvelopeError::NotJson {
            reason: strip_position(&err.to_string()),
            excerpt: body_excerpt(bytes, EXCERPT_MAX_CHARS),
        }),
    }
}

fn check_status(root: &Map<String, Value>) -> Result<(), EnvelopeError> {
    match root.get("status") {
        None => Err(missing("status")),
        Some(_) => check_status_if_present(root),
    }
}

fn check_status_if_present(root: &Map<String, Value>) -> Result<(), EnvelopeError> {
    match root.get("status") {
        None => Ok(()),
        Some(Value::String(status)) if status == "ok" => Ok(()),
        Some(other) => Err(EnvelopeError::StatusNotOk { status: other.to_string() }),
    }
}

fn read_count(data: &Map<String, Value>, key: &str) -> Result<u64, EnvelopeError> {
    let field = format!("data.{key}");
    match data.get(key) {
        None => Err(missing(&field)),
        Some(Value::Number(number)) => {
            if let Some(value) = number.as_u64() {
                return Ok(value);
            }
            // Some JSON encoders write whole numbers as `100.0`; accept those, nothing fractional.
            match number.as_f64() {
                Some(value) if value >= 0.0 && value.fract() == 0.0 && value < u64::MAX as f64 => {
                    Ok(value as u64)
                }
                _ => Err(wrong_type(&field, "a non-negative integer")),
            }
        }
        Some(_) => Err(wrong_type(&field, "a non-negative integer")),
    }
}

fn missing(field: &str) -> EnvelopeError {
    EnvelopeError::Missing { field: field.to_string() }
}

fn wrong_type(field: &str, expected: &'static str) -> EnvelopeError {
    EnvelopeError::WrongType { field: field.to_string(), expected }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A body that starts like JSON and ran out is truncated; one that starts with `<` is HTML.
fn looks_like_json(bytes: &[u8]) -> bool {
    matches!(bytes.iter().find(|b| !b.is_ascii_whitespace()), Some(b'{' | b'['))
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(idx) => message[..idx].to_string(),
        None => message.to_string(),
    }
}

/// A short, readable excerpt of a body for error messages: HTML tags, scripts and styles
/// removed, common entities decoded, whitespace collapsed, at most `max_chars` characters
/// (an ellipsis marks the cut). An empty body gives `(empty body)`.
pub fn body_excerpt(bytes: &[u8], max_chars: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let trimmed = text.trim_start();
    let looks_like_html = trimmed.starts_with('<')
        && (trimmed.len() > 1 && trimmed[1..].starts_with(|c: char| c.is_ascii_alphabetic() || c == '!'));
    let plain = if looks_like_html { strip_html(&text) } else { text.into_owned() };
    let collapsed = plain.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.is_empty() {
        return "(empty body)".to_string();
    }
    truncate_chars(&collapsed, max_chars)
}

/// Cuts `text` to at most `max_chars` characters, marking a cut with `…`.
pub fn truncate_chars(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        None => text.to_string(),
        Some((byte_index, _)) => format!("{}…", text[..byte_index].trim_end()),
    }
}

/// Removes tags, and the contents of `<script>`/`<style>`/`<head>` except the `<title>`,
/// so a proxy's error page reads as its words.
fn strip_html(html: &str) -> String {
    let mut out = String::with_capacity(html.len().min(4096));
    let lower = html.to_ascii_lowercase();
    let mut index = 0;
    while index < html.len() {
        let rest = &lower[index..];
        if rest.starts_with('<') {
            // Skip whole elements whose contents are not prose.
            let skipped = ["script", "style"].iter().find_map(|tag| {
                let open = format!("<{tag}");
                if rest.starts_with(&open) {
                    let close = format!("</{tag}");
                    Some(rest.find(&close).map(|end| end + close.len()).unwrap_or(rest.len()))
                } else {
                    None
                }
            });
            let jump = match skipped {
                Some(len) => match lower[index + len..].find('>') {
                    Some(gt) if len < rest.len() => len + gt + 1,
                    _ => len,
                },
                None => rest.find('>').map(|gt| gt + 1).unwrap_or(rest.len()),
            };
            index += jump;
            // A tag separates words (`<td>a</td><td>b</td>` → "a b").
            out.push(' ');
        } else {
            let next = rest.find('<').unwrap_or(rest.len());
            out.push_str(&decode_entities(&html[index..index + next]));
            index += next;
        }
    }
    out
}

fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    text.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}

/// `error:{code, message}` inside a [`Problem`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ProblemError {
    /// Machine-readable code, e.g. `bad_request`.
    #[serde(default)]
    pub code: String,
    /// Human-readable message.
    #[serde(default)]
    pub message: String,
}

/// An `application/problem+json` error answer:
/// `{title, status, detail, instance?, requestId?, code, error:{code, message}}`.
///
/// Every field is optional when read, because gateways and older servers send partial
/// documents; absent fields are omitted when written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// Short summary of the problem type, e.g. `Bad Request`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The HTTP status the server meant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// What exactly was wrong with this request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// A URI identifying this occurrence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// The server's request id, for support.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Machine-readable code: `bad_request`, `unauthorized`, `forbidden`, `not_found`,
    /// `unprocessable_entity`, `internal_server_error`…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The nested `{code, message}` form of the same error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ProblemError>,
}

impl Problem {
    /// A complete problem as the demo server sends it: `error` repeats `code` and `detail`.
    pub fn new(status: u16, code: &str, title: &str, detail: impl Into<String>) -> Problem {
        let detail = detail.into();
        Problem {
            title: Some(title.to_string()),
            status: Some(status),
            detail: Some(detail.clone()),
            instance: None,
            request_id: None,
            code: Some(code.to_string()),
            error: Some(ProblemError { code: code.to_string(), message: detail }),
        }
    }

    /// The same problem with a request id.
    pub fn with_request_id(mut self, request_id: impl Into<String>) -> Problem {
        self.request_id = Some(request_id.into());
        self
    }

    /// The same problem with an `instance` URI (usually the request path).
    pub fn with_instance(mut self, instance: impl Into<String>) -> Problem {
        self.instance = Some(instance.into());
        self
    }

    /// The machine-readable code: `code`, else `error.code`.
    pub fn code(&self) -> Option<&str> {
        non_empty(self.code.as_deref())
            .or_else(|| self.error.as_ref().and_then(|error| non_empty(Some(&error.code))))
    }

    /// What went wrong, in the server's words: `detail`, else `error.message`, else `title`.
    pub fn message(&self) -> Option<&str> {
        non_empty(self.detail.as_deref())
            .or_else(|| self.error.as_ref().and_then(|error| non_empty(Some(&error.message))))
            .or_else(|| non_empty(self.title.as_deref()))
    }

    /// Reads a problem document leniently: fields of the wrong type are ignored rather than
    /// failing the whole document. Returns `None` unless the body is a JSON object with at
    /// least one of `title`, `detail`, `code`, `error` (so `{"foo":1}` is not a problem).
    pub fn from_json_bytes(bytes: &[u8]) -> Option<Problem> {
        let Ok(Value::Object(root)) = serde_json::from_slice::<Value>(bytes) else {
            return None;
        };
        let text = |key: &str| root.get(key).and_then(Value::as_str).map(str::to_string);
        let error = match root.get("error") {
            Some(Value::Object(error)) => Some(ProblemError {
                code: error.get("code").and_then(Value::as_str).unwrap_or_default().to_string(),
                message: error.get("message").and_then(Value::as_str).unwrap_or_default().to_string(),
            }),
            // Some gateways send `{"error": "message"}`.
            Some(Value::String(message)) => {
                Some(ProblemError { code: String::new(), message: message.clone() })
            }
            _ => None,
        };
        let problem = Problem {
            title: text("title"),
            status: root.get("status").and_then(Value::as_u64).and_then(|s| u16::try_from(s).ok()),
            detail: text("detail").or_else(|| text("message")),
            instance: text("instance"),
            request_id: text("requestId"),
            code: text("code"),
            error,
        };
        let has_content = problem.title.is_some()
            || problem.detail.is_some()
            || problem.code.is_some()
            || problem.error.is_some();
        has_content.then_some(problem)
    }
}

fn non_empty(text: Option<&str>) -> Option<&str> {
    text.filter(|t| !t.trim().is_empty())
}

impl fmt::Display for Problem {
    /// `Title: detail [code]`, leaving out what is absent.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let title = non_empty(self.title.as_deref());
        let message = self.message().filter(|m| Some(*m) != title);
        match (title, message) {
            (Some(title), Some(message)) => write!(f, "{title}: {message}")?,
            (Some(text), None) | (None, Some(text)) => f.write_str(text)?,
            (None, None) => f.write_str("no details given")?,
        }
        if let Some(code) = self.code() {
            write!(f, " [{code}]")?;
        }
        Ok(())
    }
}

/// Which JSON field the property endpoints look into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PropertyField {
    /// `properties` of a conversation.
    Properties,
    /// `userProperties` of a conversation.
    UserProperties,
}

impl PropertyField {
    /// Both fields, in the order the forms offer them.
    pub const ALL: [PropertyField; 2] = [PropertyField::Properties, PropertyField::UserProperties];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            PropertyField::Properties => "properties",
            PropertyField::UserProperties => "userProperties",
        }
    }

    /// The conversation field it names.
    pub fn field(self) -> Field {
        match self {
            PropertyField::Properties => Field::Properties,
            PropertyField::UserProperties => Field::UserProperties,
        }
    }

    /// The property field for a conversation field; `None` for non-JSON fields.
    pub fn from_field(field: Field) -> Option<PropertyField> {
        match field {
            Field::Properties => Some(PropertyField::Properties),
            Field::UserProperties => Some(PropertyField::UserProperties),
            _ => None,
        }
    }
}

impl fmt::Display for PropertyField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The views the app's suggestions look in: the one it explores. Without `views` the server
/// would also offer keys and values that exist only in the other views.
fn explored_views() -> Option<Vec<View>> {
    Some(vec![View::Conversations])
}

/// Body of `POST /query/property-keys`: which keys occur in a JSON field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PropertyKeysRequest {
    /// The JSON field to list keys of.
    pub field: PropertyField,
    /// Views to look in, e.g. `["conversations_view"]`; all when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub views: Option<Vec<View>>,
    /// Only conversations matching this filter (`where` on the wire).
    #[serde(rename = "where", default, skip_serializing_if = "Option::is_none")]
    pub where_: Option<Filter>,
}

impl PropertyKeysRequest {
    /// All keys of `field` in the explored view (`conversations_view`), no filter.
    pub fn new(field: PropertyField) -> PropertyKeysRequest {
        PropertyKeysRequest { field, views: explored_views(), where_: None }
    }
}

/// Body of `POST /query/property-values`: which values a key of a JSON field takes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PropertyValuesRequest {
    /// The JSON field.
    pub field: PropertyField,
    /// The key inside it.
    pub key: String,
    /// Views to look in; all when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub views: Option<Vec<View>>,
    /// Only conversations matching this filter (`where` on the wire).
    #[serde(rename = "where", default, skip_serializing_if = "Option::is_none")]
    pub where_: Option<Filter>,
    /// At most this many values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

impl PropertyValuesRequest {
    /// All values of `key` in `field` in the explored view (`conversations_view`), no filter
    /// or limit.
    pub fn new(field: PropertyField, key: impl Into<String>) -> PropertyValuesRequest {
        PropertyValuesRequest { field, key: key.into(), views: explored_views(), where_: None, limit: None }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::api::query::{FilterValue, Operator, Scalar};

    fn err(bytes: &[u8]) -> String {
        parse_query_response(bytes).unwrap_err().to_string()
    }

    #[test]
    fn parses_documented_envelope_in_order() {
        let body = br#"{"status":"ok","data":{"result":[{"type":"openai","count":3},{"type":null,"count":1}],
            "total":2,"pageSize":1000,"count":2}}"#;
        let response = parse_query_response(body).unwrap();
        assert_eq!(response.total, 2);
        assert_eq!(response.page_size, 1000);
        assert_eq!(response.count, 2);
        assert_eq!(response.rows.len(), 2);
        let keys: Vec<&str> = response.rows[0].keys().map(String::as_str).collect();
        assert_eq!(keys, ["type", "count"]);
        assert_eq!(response.rows[1]["type"], Value::Null);
        assert_eq!(response.rows[0]["count"], json!(3));
        assert!(!response.is_truncated());
    }

    #[test]
    fn whole_float_counts_are_accepted_fractions_are_not() {
        let ok = br#"{"status":"ok","data":{"result":[],"total":5.0,"pageSize":100,"count":0}}"#;
        assert_eq!(parse_query_response(ok).unwrap().total, 5);
        assert!(parse_query_response(ok).unwrap().is_truncated());
        let bad = br#"{"status":"ok","data":{"result":[],"total":5.5,"pageSize":100,"count":0}}"#;
        assert_eq!(err(bad), "`data.total` is not a non-negative integer");
        let negative = br#"{"status":"ok","data":{"result":[],"total":1,"pageSize":-1,"count":0}}"#;
        assert_eq!(err(negative), "`data.pageSize` is not a non-negative integer");
    }

    #[test]
    fn envelope_errors_name_the_problem() {
        assert_eq!(err(br#"{"status":"ok"}"#), "missing `data`");
        assert_eq!(
            err(br#"{"status":"ok","data":{"result":[],"pageSize":1,"count":0}}"#),
            "missing `data.total`"
        );
        assert_eq!(
            err(br#"{"status":"ok","data":{"result":{},"total":0,"pageSize":1,"count":0}}"#),
            "`data.result` is not an array"
        );
        assert_eq!(
            err(br#"{"status":"ok","data":{"result":[1],"total":0,"pageSize":1,"count":0}}"#),
            "`data.result[0]` is not an object"
        );
        assert_eq!(err(br#"{"status":"error","data":{}}"#), "status was \"error\"");
        assert_eq!(err(br#"{"data":{}}"#), "missing `status`");
        assert_eq!(err(br#"{"status":"ok","data":[]}"#), "`data` is not an object");
        assert_eq!(err(b"[1,2]"), "the answer is JSON but not an object (it is an array)");
        assert_eq!(err(b"  \n"), "the answer is empty");
    }

    #[test]
    fn truncated_and_html_bodies() {
        let truncated = br#"{"status":"ok","data":{"result":[{"a":1},{"a""#;
        assert_eq!(
            parse_query_response(truncated).unwrap_err(),
            EnvelopeError::Truncated { received_bytes: truncated.len() }
        );
        let html = b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title><style>body{color:red}</style>\
            </head><body><h1>Bad&nbsp;Gateway</h1><script>var x = '<b>';</script><p>nginx</p></body></html>";
        match parse_query_response(html).unwrap_err() {
            EnvelopeError::NotJson { excerpt, .. } => {
                assert_eq!(excerpt, "502 Bad Gateway Bad Gateway nginx")
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn excerpt_is_bounded_and_readable() {
        assert_eq!(body_excerpt(b"", 200), "(empty body)");
        assert_eq!(body_excerpt(b"<html><body></body></html>", 200), "(empty body)");
        let long = "x".repeat(500);
        let excerpt = body_excerpt(long.as_bytes(), 200);
        assert_eq!(excerpt.chars().count(), 201);
        assert!(excerpt.ends_with('…'));
        assert_eq!(body_excerpt("é".repeat(3).as_bytes(), 2), "éé…");
        assert_eq!(body_excerpt(b"a < b and c > d", 200), "a < b and c > d");
        assert_eq!(body_excerpt(b"<p>Tom &amp; Jerry &lt;3</p>", 200), "Tom & Jerry <3");
        assert_eq!(body_excerpt(b"<script>alert(1)", 200), "(empty body)");
    }

    #[test]
    fn property_lists() {
        assert_eq!(parse_property_list(br#"{"results":["a","b"]}"#).unwrap(), ["a", "b"]);
        assert_eq!(parse_property_list(br#"{"results":[1,true,"x"]}"#).unwrap(), ["1", "true", "x"]);
        assert_eq!(parse_property_list(br#"{"results":[]}"#).unwrap(), Vec::<String>::new());
        assert_eq!(parse_property_list(br#"{}"#).unwrap_err().to_string(), "missing `results`");
        assert_eq!(
            parse_property_list(br#"{"results":["a",{}]}"#).unwrap_err().to_string(),
            "`results[1]` is not a string"
        );
        assert_eq!(
            parse_property_list(br#"{"status":"error","results":[]}"#).unwrap_err().to_string(),
            "status was \"error\""
        );
    }

    #[test]
    fn problem_round_trip_and_constructor() {
        let problem = Problem::new(400, "bad_request", "Bad Request", "notes is too long")
            .with_request_id("req-1")
            .with_instance("/query/conversations");
        let value = serde_json::to_value(&problem).unwrap();
        assert_eq!(
            value,
            json!({"title":"Bad Request","status":400,"detail":"notes is too long",
                   "instance":"/query/conversations","requestId":"req-1","code":"bad_request",
                   "error":{"code":"bad_request","message":"notes is too long"}})
        );
        let back: Problem = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(back, problem);
        assert_eq!(Problem::from_json_bytes(value.to_string().as_bytes()).unwrap(), problem);
        assert_eq!(problem.to_string(), "Bad Request: notes is too long [bad_request]");
        let minimal = serde_json::to_value(Problem::default()).unwrap();
        assert_eq!(minimal, json!({}));
    }

    #[test]
    fn problem_reading_is_lenient() {
        let partial = Problem::from_json_bytes(br#"{"title":"Forbidden","status":"403"}"#).unwrap();
        assert_eq!(partial.title.as_deref(), Some("Forbidden"));
        assert_eq!(partial.status, None);
        assert_eq!(partial.to_string(), "Forbidden");
        let nested =
            Problem::from_json_bytes(br#"{"error":{"code":"unauthorized","message":"bad key"}}"#).unwrap();
        assert_eq!(nested.code(), Some("unauthorized"));
        assert_eq!(nested.message(), Some("bad key"));
        let gateway = Problem::from_json_bytes(br#"{"message":"Too Many Requests"}"#).unwrap();
        assert_eq!(gateway.message(), Some("Too Many Requests"));
        assert!(Problem::from_json_bytes(br#"{"foo":1}"#).is_none());
        assert!(Problem::from_json_bytes(b"<html>").is_none());
        assert!(Problem::from_json_bytes(b"[]").is_none());
    }

    #[test]
    fn property_requests_on_the_wire() {
        let keys = PropertyKeysRequest::new(PropertyField::UserProperties);
        // Suggestions name the view being explored, so the other views' keys are not offered.
        assert_eq!(
            serde_json::to_value(&keys).unwrap(),
            json!({"field":"userProperties","views":["conversations_view"]})
        );
        let bare = PropertyKeysRequest { views: None, ..keys };
        assert_eq!(serde_json::to_value(&bare).unwrap(), json!({"field":"userProperties"}));
        assert_eq!(
            serde_json::to_value(PropertyValuesRequest::new(PropertyField::Properties, "k")).unwrap(),
            json!({"field":"properties","key":"k","views":["conversations_view"]})
        );
        let values = PropertyValuesRequest {
            field: PropertyField::Properties,
            key: "source".to_string(),
            views: Some(vec![View::Conversations]),
            where_: Some(Filter::condition(
                Field::Type,
                Operator::Eq,
                Some(FilterValue::Scalar(Scalar::String("openai".to_string()))),
            )),
            limit: Some(50),
        };
        let wire = json!({"field":"properties","key":"source","views":["conversations_view"],
            "where":{"condition":{"field":"type","operator":"eq","value":"openai"}},"limit":50});
        assert_eq!(serde_json::to_value(&values).unwrap(), wire);
        assert_eq!(serde_json::from_value::<PropertyValuesRequest>(wire).unwrap(), values);
        assert!(serde_json::from_value::<PropertyKeysRequest>(json!({"field":"type"})).is_err());
        assert!(serde_json::from_value::<PropertyKeysRequest>(json!({"field":"properties","x":1})).is_err());
    }

    #[test]
    fn views_are_the_closed_published_set() {
        let names: Vec<Value> = View::ALL.iter().map(|view| serde_json::to_value(view).unwrap()).collect();
        assert_eq!(
            names,
            [
                json!("conversations_view"),
                json!("events_view"),
                json!("feedback_view"),
                json!("semantic_threads_view")
            ]
        );
        for view in View::ALL {
            assert_eq!(serde_json::to_value(view).unwrap(), json!(view.as_str()));
        }
        let refused = serde_json::from_value::<PropertyKeysRequest>(
            json!({"field":"properties","views":["conversations"]}),
        );
        assert!(refused.unwrap_err().to_string().contains("conversations_view"));
    }
}
