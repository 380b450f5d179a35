//! Compiles a [`QueryBody`] of any view into one parameterised SQLite statement over that
//! view's table (`conversations`, `events`, `feedback`, `semantic_threads`), keeping the
//! semantics of the real service, which runs on PostgreSQL.
//!
//! # Safety of the generated SQL
//!
//! No input can change the shape of the SQL:
//! - identifiers come only from the closed enums ([`Field`](crate::api::field::Field) → a fixed, quoted column name)
//!   and from aliases generated here (`c0`, `c1`, …; the store maps them back to the
//!   column names of [`result_columns`](crate::api::columns::result_columns));
//! - every value is a bound parameter (`?N`), lists included (bound as one JSON array and
//!   read with `json_each`), and so is every JSON path: keys come from users, so the path
//!   `$."key"."k2"` is built in Rust with JSON string escaping and bound, never spliced;
//! - the only literals in the SQL are constants written in this module.
//!
//! # PostgreSQL semantics kept
//!
//! - A comparison with null is false: `neq` and `notIn` never match a null (a missing JSON
//!   key or a JSON null included).
//! - Nulls group together as one key (a JSON null and a missing key are the same key).
//! - Ascending order puts nulls last, descending order puts them first.
//! - `count` is an integer, `avg` a float; aggregates ignore nulls; `sum`/`avg` over a JSON
//!   path only see numbers (booleans and strings are ignored like nulls).
//! - The JSON operators are JSONB's `@>`, `<@`, `?`, `?|`, `?&`, implemented in Rust
//!   ([`jsonb_contains`], [`jsonb_exists`]) and registered as SQLite functions by
//!   [`register_functions`].
//! - Time buckets are UTC, weeks start on Monday; they are computed from the integer epoch
//!   column stored beside each timestamp (`firstMessageEpoch`, `createdAtEpoch`…; cheap, and
//!   indexable) and formatted by the store with [`format_bucket`].
//! - Booleans are stored as 0/1 and answered as `true`/`false`.
//! - Semantic threads' free-text `query` matches threads whose question, answer, gap
//!   summary, subject or category contains the text, ignoring ASCII case.
//! - Filters on timestamps compare instants at the stored millisecond precision:
//!   the value (RFC 3339 with any offset, or a `YYYY-MM-DD` date meaning midnight UTC) is
//!   converted in Rust to the fixed-width stored text `YYYY-MM-DDTHH:MM:SS.sssZ`, whose
//!   lexical order is chronological.
//!
//! - JSON values sort like JSONB: by type (strings, numbers, booleans, arrays, objects),
//!   then by value, numbers numerically.
//!
//! Where PostgreSQL depends on things SQLite has no equivalent for, the stand-in compares
//! text by code point (no collation), and `min`/`max` over a JSON path consider numbers and
//! strings only, in SQLite's order (numbers before strings).
//!
//! # Parts
//!
//! - this module: the entry points, the types shared by the parts (errors, compiled
//!   statements, output columns) and the small helpers they all use (parameter binding,
//!   JSON paths);
//! - `table`: where each view's rows are: tables, columns, epoch columns, nullability;
//! - `select`: planning the result columns and building the `SELECT` (grouping,
//!   ordering, time buckets, the `count` statement);
//! - `filter`: the `WHERE` clause: the filter tree and conditions on plain and time fields;
//! - `json_filter`: conditions on the JSON fields, one function per operator family;
//! - `jsonb`: JSONB's operators implemented in Rust and registered as SQLite functions.

use std::fmt::Write as _;

use rusqlite::types::Value as SqlValue;
use serde_json::Number;

use crate::api::query::{Filter, QueryBody};
use crate::api::validate::{foreign_field_problems, foreign_filter_problems};
use crate::api::view::View;

mod filter;
mod json_filter;
mod jsonb;
mod select;
mod table;
#[cfg(test)]
mod tests;

pub use filter::compile_filter;
pub use jsonb::{json_array_contains_object, jsonb_contains, jsonb_exists, register_functions};
pub use select::{compile_count, compile_query, format_bucket, time_bucket_sql};
pub use table::{epoch_column, table_name};

/// The deepest filter tree accepted (and/or nesting levels, the root counting as one).
pub const MAX_FILTER_DEPTH: usize = 32;

/// The most conditions one filter tree may hold.
pub const MAX_FILTER_CONDITIONS: usize = 2_000;

/// The most nodes (conditions, `and`s and `or`s) one filter tree may hold.
pub const MAX_FILTER_NODES: usize = 10_000;

/// The most selections plus group-by keys plus order-by keys one query may hold.
pub const MAX_QUERY_ITEMS: usize = 500;

/// Why a query cannot be compiled: the body asks for something the API does not allow.
///
/// The server answers these with 400/422; `location` says where in the body
/// (`select[2]`, `where.and[1].condition.value`, `orderBy[0].field`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}{}", at_location(location))]
pub struct CompileError {
    /// Where in the body: a path like `where.and[1].condition.value`.
    pub location: String,
    /// What is wrong.
    pub message: String,
}

fn at_location(location: &str) -> String {
    if location.is_empty() { String::new() } else { format!(" (at `{location}`)") }
}

impl CompileError {
    fn new(location: impl Into<String>, message: impl Into<String>) -> CompileError {
        CompileError { location: location.into(), message: message.into() }
    }
}

/// How the store turns one SQL result column into JSON (and CSV).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// By SQLite storage class: integer/real → number, text → string, null → null.
    Plain,
    /// A float whatever the storage class (`avg`).
    Float,
    /// JSON text decoded into a JSON value (a value at a path, a raw JSON field).
    Json,
    /// JSON text returned as one string (`mode: "json"`).
    JsonString,
    /// A JSON object expanded into one `<name>.<key>` column per top-level key.
    Unpacked,
    /// An integer epoch (seconds) formatted as `YYYY-MM-DDTHH:MM:SSZ`.
    TimeBucket,
    /// A boolean stored as 0/1, answered as `true`/`false`.
    Bool,
}

/// One column of a compiled query, in result order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputColumn {
    /// The result column name (for [`ValueKind::Unpacked`], the prefix of its columns).
    pub name: String,
    /// The SQL alias, `c0`, `c1`, …; the SQL result column at the same index.
    pub alias: String,
    /// How to decode its values.
    pub kind: ValueKind,
}

/// A compiled statement: SQL with `?N` placeholders and the values to bind, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledQuery {
    /// The SQL text (no `LIMIT`; see [`CompiledQuery::with_limit`]).
    pub sql: String,
    /// The values of `?1`, `?2`, …
    pub params: Vec<SqlValue>,
    /// The result columns, one per SQL column in order. Empty for [`compile_count`], and for
    /// a grouped query whose only keys have `includeInSelect: false` (its SQL then selects
    /// one placeholder column the store ignores).
    pub columns: Vec<OutputColumn>,
    /// True when rows are groups (any aggregation or any `groupBy`).
    pub grouped: bool,
}

impl CompiledQuery {
    /// The SQL with `LIMIT ?N` appended, and the parameters with `limit` bound as `?N`.
    pub fn with_limit(&self, limit: usize) -> (String, Vec<SqlValue>) {
        let mut params = self.params.clone();
        params.push(SqlValue::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
        (format!("{} LIMIT ?{}", self.sql, params.len()), params)
    }
}

/// Refuses a body naming a field `view`'s table has no column for, or the `query` text
/// search on a view other than semantic threads. Validation refuses both before a query
/// gets here; this keeps the compiler from ever naming a column a table lacks.
fn check_fields(view: View, q: &QueryBody) -> Result<(), CompileError> {
    if q.query.is_some() && !view.takes_text_search() {
        return Err(CompileError::new(
            "query",
            format!("the {} view has no text search; remove `query`", view.noun()),
        ));
    }
    match foreign_field_problems(view, q).into_iter().next() {
        Some(problem) => Err(CompileError::new(problem.path, problem.message)),
        None => Ok(()),
    }
}

/// [`check_fields`] for a filter on its own (property requests).
fn check_filter_fields(view: View, filter: &Filter) -> Result<(), CompileError> {
    match foreign_filter_problems(view, filter).into_iter().next() {
        Some(problem) => Err(CompileError::new(problem.path, problem.message)),
        None => Ok(()),
    }
}

/// The SQLite JSON path of `keys` inside a JSON field: `$."k1"."k2"`, each key written as a
/// JSON string (so `"` and `\` are escaped and control characters become `\uXXXX`).
/// An empty list is the whole document, `$`.
///
/// A key written as a plain non-negative integer (`0`, `12`) indexes an array, `$[0]`, as
/// PostgreSQL's `#>` does with such a key on an array: `reasons` → `["0", "label"]` is the
/// first reason's label. SQLite's path has to choose one reading where PostgreSQL decides
/// per document, so an *object* key made only of digits cannot be reached by path here.
pub fn json_path(keys: &[String]) -> String {
    let mut path = String::from("$");
    for key in keys {
        if is_array_index(key) {
            path.push('[');
            path.push_str(key);
            path.push(']');
        } else {
            path.push('.');
            push_json_string(&mut path, key);
        }
    }
    path
}

/// The SQLite JSON path of one top-level *object* key (`$."0"` even for digits): what the
/// property endpoints look up, which are the keys of objects.
pub fn json_object_key_path(key: &str) -> String {
    let mut path = String::from("$.");
    push_json_string(&mut path, key);
    path
}

/// `0`, `7`, `12`: digits without a leading zero, short enough to be an index.
fn is_array_index(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 9
        && key.bytes().all(|b| b.is_ascii_digit())
        && (key == "0" || !key.starts_with('0'))
}

fn push_json_string(out: &mut String, text: &str) {
    out.push('"');
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Binds `value` and returns its placeholder.
fn bind(params: &mut Vec<SqlValue>, value: SqlValue) -> String {
    params.push(value);
    format!("?{}", params.len())
}

/// Binds the JSON path of `keys` (reusing an equal bound text, so one path used in the
/// select list, the grouping and the ordering is one parameter and SQLite sees identical
/// expressions) and returns its placeholder.
fn bind_path(params: &mut Vec<SqlValue>, keys: &[String]) -> String {
    let path = json_path(keys);
    if let Some(index) = params.iter().position(|p| matches!(p, SqlValue::Text(t) if *t == path)) {
        return format!("?{}", index + 1);
    }
    bind(params, SqlValue::Text(path))
}

fn number_to_sql(number: &Number) -> SqlValue {
    match number.as_i64() {
        Some(i) => SqlValue::Integer(i),
        None => SqlValue::Real(number.as_f64().unwrap_or(f64::NAN)),
    }
}
