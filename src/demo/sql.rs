//! Compiles a [`QueryBody`] into one parameterised SQLite statement over the `conversations`
//! table, keeping the semantics of the real service, which runs on PostgreSQL.
//!
//! # Safety of the generated SQL
//!
//! No input can change the shape of the SQL:
//! - identifiers come only from the closed enums ([`Field`] → a fixed, quoted column name)
//!   and from aliases generated here (`c0`, `c1`, …; the store maps them back to the
//!   column names of [`result_columns`](crate::api::columns::result_columns));
//! - every value is a bound parameter (`?N`), lists included (bound as one JSON array and
//!   read with `json_each`), and so is every JSON path: keys come from users, so the path
//!   `$."key"."k2"` is built in Rust with JSON string escaping and bound, never spliced;
//! - the only literals in the SQL are constants written in this file.
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
//! - Time buckets are UTC, weeks start on Monday; they are computed from the integer
//!   `firstMessageEpoch` (cheap, and indexable) and formatted by the store with
//!   [`format_bucket`].
//! - Filters on `firstMessageTime` compare instants at the stored millisecond precision:
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

use std::convert::Infallible;
use std::fmt::Write as _;

use jiff::Timestamp;
use jiff::tz::Offset;
use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;
use rusqlite::types::{Value as SqlValue, ValueRef};
use serde_json::{Map, Number, Value};

use crate::api::columns::{self, ColumnSource};
use crate::api::query::{
    Aggregation, Condition, Direction, Field, FieldMode, Filter, FilterValue, Operator, PathTarget,
    QueryBody, Scalar, Selection, TimeUnit,
};
use crate::api::timestamp::{format_utc, parse_filter_timestamp};

/// The table every query reads.
pub const TABLE: &str = "conversations";

/// The deepest filter tree accepted (and/or nesting levels, the root counting as one).
pub const MAX_FILTER_DEPTH: usize = 32;

/// The most conditions one filter tree may hold.
pub const MAX_FILTER_CONDITIONS: usize = 2_000;

/// The most nodes (conditions, `and`s and `or`s) one filter tree may hold.
pub const MAX_FILTER_NODES: usize = 10_000;

/// The most selections plus group-by keys plus order-by keys one query may hold.
pub const MAX_QUERY_ITEMS: usize = 500;

/// 1970-01-05, the first Monday after the epoch (1970-01-01 was a Thursday), in seconds.
const FIRST_MONDAY_EPOCH_SECS: i64 = 4 * 86_400;

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

/// The fixed, quoted SQL reference of a field's column (`t` aliases the table).
fn column_sql(field: Field) -> &'static str {
    match field {
        Field::Id => "t.\"id\"",
        Field::UserMessageCount => "t.\"userMessageCount\"",
        Field::OrganizationId => "t.\"organizationId\"",
        Field::ProjectId => "t.\"projectId\"",
        Field::IntegrationId => "t.\"integrationId\"",
        Field::FirstMessageTime => "t.\"firstMessageTime\"",
        Field::Type => "t.\"type\"",
        Field::Properties => "t.\"properties\"",
        Field::UserProperties => "t.\"userProperties\"",
    }
}

const EPOCH_COLUMN: &str = "t.\"firstMessageEpoch\"";

/// True for the fields whose column may hold NULL.
fn field_nullable(field: Field) -> bool {
    matches!(field, Field::IntegrationId | Field::Type | Field::Properties | Field::UserProperties)
}

/// The SQLite JSON path of `keys` inside a JSON field: `$."k1"."k2"`, each key written as a
/// JSON string (so `"` and `\` are escaped and control characters become `\uXXXX`).
/// An empty list is the whole document, `$`.
pub fn json_path(keys: &[String]) -> String {
    let mut path = String::from("$");
    for key in keys {
        path.push('.');
        push_json_string(&mut path, key);
    }
    path
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

/// The bucket start (epoch seconds) of `unit` for the epoch-seconds expression
/// `epoch_sql`, as SQL. Built only from constants and the given column reference, so the
/// store can create expression indexes that exactly match the queries.
///
/// `%` truncates towards zero in SQLite, hence the `((x % n) + n) % n` floor modulo,
/// which keeps instants before 1970 in the right bucket.
pub fn time_bucket_sql(unit: TimeUnit, epoch_sql: &str) -> String {
    let e = epoch_sql;
    match unit {
        TimeUnit::Hour => format!("({e} - (({e} % 3600) + 3600) % 3600)"),
        TimeUnit::Day => format!("({e} - (({e} % 86400) + 86400) % 86400)"),
        TimeUnit::Week => format!("({e} - ((({e} - {FIRST_MONDAY_EPOCH_SECS}) % 604800) + 604800) % 604800)"),
        TimeUnit::Month => format!("unixepoch({e}, 'unixepoch', 'start of month')"),
    }
}

/// Formats a bucket start (epoch seconds) as RFC 3339 `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format_bucket(epoch_secs: i64) -> String {
    match Timestamp::from_second(epoch_secs) {
        Ok(instant) => format_utc(instant),
        Err(_) => epoch_secs.to_string(),
    }
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

/// The SQL of one result column.
struct Expr {
    sql: String,
    kind: ValueKind,
    aggregate: bool,
    nullable: bool,
}

impl Expr {
    fn value(sql: String, kind: ValueKind, nullable: bool) -> Expr {
        Expr { sql, kind, aggregate: false, nullable }
    }

    fn aggregate(sql: String, kind: ValueKind) -> Expr {
        Expr { sql, kind, aggregate: true, nullable: true }
    }
}

/// `nullif(x -> p, 'null')`: the JSON text at a path, SQL NULL when absent or a JSON null,
/// so both kinds of null are one group key.
fn json_value_sql(column: &str, path: &str) -> String {
    format!("nullif(({column} -> {path}), 'null')")
}

fn source_expr(source: &ColumnSource, params: &mut Vec<SqlValue>, loc: &str) -> Result<Expr, CompileError> {
    match source {
        ColumnSource::Raw(field) => {
            let kind = if field.is_json() { ValueKind::Json } else { ValueKind::Plain };
            Ok(Expr::value(column_sql(*field).to_string(), kind, field_nullable(*field)))
        }
        ColumnSource::Field { field, path } => field_expr(*field, path, params, loc),
        ColumnSource::Unpacked(field) => {
            Ok(Expr::value(column_sql(*field).to_string(), ValueKind::Unpacked, field_nullable(*field)))
        }
        ColumnSource::JsonText(field) => {
            let column = column_sql(*field);
            Ok(Expr::value(format!("json({column})"), ValueKind::JsonString, field_nullable(*field)))
        }
        ColumnSource::Aggregation { aggregation, field, path } => {
            aggregation_expr(*aggregation, *field, path, params, loc)
        }
        ColumnSource::TimeBucket { unit, field } => {
            if !field.is_timestamp() {
                return Err(CompileError::new(
                    loc,
                    format!("time buckets need a timestamp field (firstMessageTime), not `{field}`"),
                ));
            }
            Ok(Expr::value(time_bucket_sql(*unit, EPOCH_COLUMN), ValueKind::TimeBucket, false))
        }
    }
}

fn field_expr(
    field: Field,
    path: &[String],
    params: &mut Vec<SqlValue>,
    loc: &str,
) -> Result<Expr, CompileError> {
    let column = column_sql(field);
    if path.is_empty() {
        let kind = if field.is_json() { ValueKind::Json } else { ValueKind::Plain };
        return Ok(Expr::value(column.to_string(), kind, field_nullable(field)));
    }
    if !field.is_json() {
        return Err(no_path_error(field, loc));
    }
    let p = bind_path(params, path);
    Ok(Expr::value(json_value_sql(column, &p), ValueKind::Json, true))
}

fn no_path_error(field: Field, loc: &str) -> CompileError {
    CompileError::new(
        loc,
        format!("`{field}` is not a JSON field; paths work only on properties and userProperties"),
    )
}

fn aggregation_expr(
    aggregation: Aggregation,
    field: Option<Field>,
    path: &[String],
    params: &mut Vec<SqlValue>,
    loc: &str,
) -> Result<Expr, CompileError> {
    let Some(field) = field else {
        if aggregation == Aggregation::Count && path.is_empty() {
            return Ok(Expr::aggregate("count(*)".to_string(), ValueKind::Plain));
        }
        if aggregation == Aggregation::Count {
            return Err(CompileError::new(loc, "a path needs a field (properties or userProperties)"));
        }
        return Err(CompileError::new(loc, format!("`{aggregation}` needs a field")));
    };
    let column = column_sql(field);
    if !path.is_empty() && !field.is_json() {
        return Err(no_path_error(field, loc));
    }
    if path.is_empty() {
        return match aggregation {
            Aggregation::Count => Ok(Expr::aggregate(format!("count({column})"), ValueKind::Plain)),
            Aggregation::CountDistinct => {
                Ok(Expr::aggregate(format!("count(DISTINCT {column})"), ValueKind::Plain))
            }
            _ if field.is_json() => Err(CompileError::new(
                loc,
                format!("`{aggregation}` over the whole of `{field}` is not possible; give a path"),
            )),
            Aggregation::Sum | Aggregation::Avg if !field.is_numeric() => Err(CompileError::new(
                loc,
                format!("`{aggregation}` needs a number; `{field}` is not numeric"),
            )),
            Aggregation::Sum => Ok(Expr::aggregate(format!("sum({column})"), ValueKind::Plain)),
            Aggregation::Avg => Ok(Expr::aggregate(format!("avg({column})"), ValueKind::Float)),
            Aggregation::Min => Ok(Expr::aggregate(format!("min({column})"), ValueKind::Plain)),
            Aggregation::Max => Ok(Expr::aggregate(format!("max({column})"), ValueKind::Plain)),
        };
    }
    let p = bind_path(params, path);
    let value = format!("({column} ->> {p})");
    let json_type = format!("json_type({column}, {p})");
    let numbers = format!("CASE WHEN {json_type} IN ('integer', 'real') THEN {value} END");
    // min/max see numbers and strings; booleans would come back as 0/1 and objects as
    // text, which would be neither JSONB's order nor a useful answer.
    let scalars = format!("CASE WHEN {json_type} IN ('integer', 'real', 'text') THEN {value} END");
    let sql = match aggregation {
        Aggregation::Count => format!("count({value})"),
        Aggregation::CountDistinct => format!("count(DISTINCT {})", json_value_sql(column, &p)),
        Aggregation::Sum => format!("sum({numbers})"),
        Aggregation::Avg => return Ok(Expr::aggregate(format!("avg({numbers})"), ValueKind::Float)),
        Aggregation::Min => format!("min({scalars})"),
        Aggregation::Max => format!("max({scalars})"),
    };
    Ok(Expr::aggregate(sql, ValueKind::Plain))
}

/// One planned result column.
struct ColumnPlan {
    name: String,
    alias: String,
    expr: Expr,
}

impl ColumnPlan {
    /// What to sort by for this column. JSON values sort like JSONB: by type (strings,
    /// numbers, booleans, arrays, objects), then by value (numbers numerically).
    fn sort_keys(&self) -> Vec<String> {
        let alias = format!("\"{}\"", self.alias);
        match self.expr.kind {
            ValueKind::Json => json_sort_keys(&alias, "'$'"),
            _ => vec![alias],
        }
    }
}

/// The sort keys of the JSON value at `path` in the JSON text `doc`: its JSONB type rank
/// (PostgreSQL orders String < Number < Boolean < Array < Object), then its SQL value.
/// Both are NULL for a JSON null or a missing value, so the nulls clause places them.
fn json_sort_keys(doc: &str, path: &str) -> Vec<String> {
    vec![
        format!(
            "CASE json_type({doc}, {path}) WHEN 'text' THEN 1 WHEN 'integer' THEN 2 WHEN 'real' THEN 2 \
             WHEN 'false' THEN 3 WHEN 'true' THEN 3 WHEN 'array' THEN 4 WHEN 'object' THEN 5 END"
        ),
        format!("({doc} ->> {path})"),
    ]
}

/// Everything but the final SQL text.
struct Plan {
    columns: Vec<ColumnPlan>,
    /// Group keys that are not result columns (`includeInSelect: false`).
    hidden_keys: Vec<Expr>,
    filter: Option<String>,
    grouped: bool,
}

/// Where the column `name` comes from in the body, for error messages.
fn column_location(q: &QueryBody, name: &str) -> String {
    if let Some(i) = q.select.iter().position(|s| columns::selection_column(s).name == name) {
        return format!("select[{i}]");
    }
    if let Some(i) = q
        .group_by
        .iter()
        .position(|g| columns::field_column_name(g.field, g.path.as_deref().unwrap_or_default()) == name)
    {
        return format!("groupBy[{i}]");
    }
    "select".to_string()
}

fn check_query_size(q: &QueryBody) -> Result<(), CompileError> {
    let items = q.select.len() + q.group_by.len() + q.order_by.len();
    if items > MAX_QUERY_ITEMS {
        return Err(CompileError::new(
            "",
            format!(
                "the query has {items} selections, groupings and sort keys; at most {MAX_QUERY_ITEMS} are allowed"
            ),
        ));
    }
    for (i, selection) in q.select.iter().enumerate() {
        if let Selection::Field { field, path: Some(path), mode: Some(FieldMode::Json) } = selection
            && !path.is_empty()
            && field.is_json()
        {
            return Err(CompileError::new(
                format!("select[{i}].mode"),
                "`mode: \"json\"` cannot be combined with a path",
            ));
        }
    }
    Ok(())
}

fn plan(q: &QueryBody, params: &mut Vec<SqlValue>) -> Result<Plan, CompileError> {
    check_query_size(q)?;
    let grouped = q.is_grouped();
    let mut columns = Vec::new();
    for (index, column) in columns::result_columns(q).into_iter().enumerate() {
        let loc = column_location(q, &column.name);
        let expr = source_expr(&column.source, params, &loc)?;
        columns.push(ColumnPlan { name: column.name, alias: format!("c{index}"), expr });
    }
    let mut hidden_keys = Vec::new();
    for (i, group) in q.group_by.iter().enumerate() {
        let path = group.path.as_deref().unwrap_or_default();
        let expr = field_expr(group.field, path, params, &format!("groupBy[{i}]"))?;
        let shown = columns.iter().any(|c| !c.expr.aggregate && c.expr.sql == expr.sql);
        if !shown && !hidden_keys.iter().any(|h: &Expr| h.sql == expr.sql) {
            hidden_keys.push(expr);
        }
    }
    let filter = match &q.filter {
        Some(filter) => Some(compile_filter(filter, params)?),
        None => None,
    };
    Ok(Plan { columns, hidden_keys, filter, grouped })
}

impl Plan {
    /// The GROUP BY expressions: every non-aggregate column, then the hidden keys.
    fn group_keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = Vec::new();
        let shown = self.columns.iter().filter(|c| !c.expr.aggregate).map(|c| c.expr.sql.as_str());
        for key in shown.chain(self.hidden_keys.iter().map(|h| h.sql.as_str())) {
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        keys
    }

    fn source_and_filter_sql(&self) -> String {
        let mut sql = format!("FROM \"{TABLE}\" AS t");
        if let Some(filter) = &self.filter {
            let _ = write!(sql, " WHERE {filter}");
        }
        sql
    }
}

fn order_term(key: &str, direction: Direction, nullable: bool) -> String {
    match (direction, nullable) {
        (Direction::Asc, true) => format!("{key} ASC NULLS LAST"),
        (Direction::Asc, false) => format!("{key} ASC"),
        (Direction::Desc, true) => format!("{key} DESC NULLS FIRST"),
        (Direction::Desc, false) => format!("{key} DESC"),
    }
}

fn push_terms(terms: &mut Vec<String>, keys: &[String], direction: Direction, nullable: bool) {
    terms.extend(keys.iter().map(|key| order_term(key, direction, nullable)));
}

fn order_terms(q: &QueryBody, plan: &Plan, params: &mut Vec<SqlValue>) -> Result<Vec<String>, CompileError> {
    let mut terms = Vec::new();
    for (i, order) in q.order_by.iter().enumerate() {
        let name = order.field.as_str();
        let exact = plan.columns.iter().find(|c| c.expr.kind != ValueKind::Unpacked && c.name == name);
        if let Some(column) = exact {
            push_terms(&mut terms, &column.sort_keys(), order.direction, column.expr.nullable);
            continue;
        }
        let unpacked = plan.columns.iter().filter(|c| c.expr.kind == ValueKind::Unpacked).find_map(|c| {
            let key = name.strip_prefix(c.name.as_str())?.strip_prefix('.')?;
            (!key.is_empty()).then_some((c, key))
        });
        if let Some((column, key)) = unpacked {
            let p = bind_path(params, &[key.to_string()]);
            let keys = json_sort_keys(&format!("\"{}\"", column.alias), &p);
            push_terms(&mut terms, &keys, order.direction, true);
            continue;
        }
        let known: Vec<String> = plan
            .columns
            .iter()
            .map(|c| {
                if c.expr.kind == ValueKind::Unpacked { format!("{}.<key>", c.name) } else { c.name.clone() }
            })
            .collect();
        return Err(CompileError::new(
            format!("orderBy[{i}].field"),
            format!("`{name}` is not a column of this query; it has: {}", known.join(", ")),
        ));
    }
    // Tie-breakers, so that the same query always pages the same way.
    if plan.grouped {
        for column in plan.columns.iter().filter(|c| !c.expr.aggregate) {
            push_terms(&mut terms, &column.sort_keys(), Direction::Asc, column.expr.nullable);
            if column.expr.kind == ValueKind::Json {
                // `1` and `1.0` rank and compare equal but are different keys.
                terms.push(order_term(&format!("\"{}\"", column.alias), Direction::Asc, true));
            }
        }
        for key in &plan.hidden_keys {
            if key.kind == ValueKind::Json {
                push_terms(&mut terms, &json_sort_keys(&key.sql, "'$'"), Direction::Asc, true);
            }
            terms.push(order_term(&key.sql, Direction::Asc, key.nullable));
        }
    } else {
        terms.push(order_term(column_sql(Field::FirstMessageTime), Direction::Desc, false));
        terms.push(order_term(column_sql(Field::Id), Direction::Desc, false));
    }
    Ok(terms)
}

/// Compiles the page query: every result row, in order, without `LIMIT` (the caller binds
/// one with [`CompiledQuery::with_limit`]).
pub fn compile_query(q: &QueryBody) -> Result<CompiledQuery, CompileError> {
    let mut params = Vec::new();
    let plan = plan(q, &mut params)?;
    let order = order_terms(q, &plan, &mut params)?;
    let select_list = if plan.columns.is_empty() {
        // Only `includeInSelect: false` keys: the rows are empty objects, one per group.
        "1 AS \"c_\"".to_string()
    } else {
        let items: Vec<String> =
            plan.columns.iter().map(|c| format!("{} AS \"{}\"", c.expr.sql, c.alias)).collect();
        items.join(", ")
    };
    let mut sql = format!("SELECT {select_list} {}", plan.source_and_filter_sql());
    if plan.grouped {
        let keys = plan.group_keys();
        if !keys.is_empty() {
            let _ = write!(sql, " GROUP BY {}", keys.join(", "));
        }
    }
    if !order.is_empty() {
        let _ = write!(sql, " ORDER BY {}", order.join(", "));
    }
    let columns = plan
        .columns
        .into_iter()
        .map(|c| OutputColumn { name: c.name, alias: c.alias, kind: c.expr.kind })
        .collect();
    Ok(CompiledQuery { sql, params, columns, grouped: plan.grouped })
}

/// Compiles `SELECT count(*)` over the rows (or groups) [`compile_query`] returns: the
/// response's `total`.
pub fn compile_count(q: &QueryBody) -> Result<CompiledQuery, CompileError> {
    // The select list is compiled (and checked) with parameters of its own: the count
    // statement must bind exactly the parameters it uses.
    let mut scratch = Vec::new();
    let full = plan(q, &mut scratch)?;
    let _ = order_terms(q, &full, &mut scratch)?;

    let mut params = Vec::new();
    let filter = match &q.filter {
        Some(filter) => Some(compile_filter(filter, &mut params)?),
        None => None,
    };
    let mut keys: Vec<String> = Vec::new();
    if full.grouped {
        for column in columns::result_columns(q) {
            if matches!(column.source, ColumnSource::Aggregation { .. }) {
                continue;
            }
            let expr = source_expr(&column.source, &mut params, "select")?;
            if !keys.contains(&expr.sql) {
                keys.push(expr.sql);
            }
        }
        for (i, group) in q.group_by.iter().enumerate() {
            let path = group.path.as_deref().unwrap_or_default();
            let expr = field_expr(group.field, path, &mut params, &format!("groupBy[{i}]"))?;
            if !keys.contains(&expr.sql) {
                keys.push(expr.sql);
            }
        }
    }
    let mut from_where = format!("FROM \"{TABLE}\" AS t");
    if let Some(filter) = &filter {
        let _ = write!(from_where, " WHERE {filter}");
    }
    let sql = if !full.grouped {
        format!("SELECT count(*) {from_where}")
    } else if keys.is_empty() {
        // Aggregates without grouping: always exactly one row, even over no rows.
        params.clear();
        "SELECT 1".to_string()
    } else {
        format!("SELECT count(*) FROM (SELECT 1 {from_where} GROUP BY {})", keys.join(", "))
    };
    Ok(CompiledQuery { sql, params, columns: Vec::new(), grouped: full.grouped })
}

/// Checks the size of a filter tree without recursion (a hostile tree may be deep).
fn check_filter_size(filter: &Filter) -> Result<(), CompileError> {
    let mut stack = vec![(filter, 1usize)];
    let (mut conditions, mut nodes) = (0usize, 0usize);
    while let Some((node, depth)) = stack.pop() {
        nodes += 1;
        if depth > MAX_FILTER_DEPTH {
            return Err(CompileError::new(
                "where",
                format!("the filter nests deeper than {MAX_FILTER_DEPTH} levels"),
            ));
        }
        if nodes > MAX_FILTER_NODES {
            return Err(CompileError::new(
                "where",
                format!("the filter has more than {MAX_FILTER_NODES} parts"),
            ));
        }
        match node {
            Filter::Condition(_) => {
                conditions += 1;
                if conditions > MAX_FILTER_CONDITIONS {
                    return Err(CompileError::new(
                        "where",
                        format!("the filter has more than {MAX_FILTER_CONDITIONS} conditions"),
                    ));
                }
            }
            Filter::And(items) | Filter::Or(items) => {
                stack.extend(items.iter().map(|item| (item, depth + 1)))
            }
        }
    }
    Ok(())
}

/// Compiles a filter tree into a parenthesised SQL boolean expression over the table alias
/// `t`, appending its values to `params` (placeholders continue from `params.len()`).
///
/// Also used by the property-keys/values endpoints for their `where`. Locations in errors
/// start at `where`.
pub fn compile_filter(f: &Filter, params: &mut Vec<SqlValue>) -> Result<String, CompileError> {
    check_filter_size(f)?;
    filter_sql(f, params, "where")
}

fn filter_sql(f: &Filter, params: &mut Vec<SqlValue>, loc: &str) -> Result<String, CompileError> {
    match f {
        Filter::Condition(condition) => condition_sql(condition, params, &format!("{loc}.condition")),
        Filter::And(items) | Filter::Or(items) => {
            let (op, name, empty) = match f {
                Filter::And(_) => ("AND", "and", "1"),
                _ => ("OR", "or", "0"),
            };
            let mut parts = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                parts.push(filter_sql(item, params, &format!("{loc}.{name}[{i}]"))?);
            }
            Ok(if parts.is_empty() { format!("({empty})") } else { join_balanced(&parts, op) })
        }
    }
}

/// Joins with `op` as a balanced tree of parentheses: SQLite limits expression depth, and
/// a long flat `a OR b OR c …` parses as a deep left-leaning tree.
fn join_balanced(parts: &[String], op: &str) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        _ => {
            let (left, right) = parts.split_at(parts.len() / 2);
            format!("({} {op} {})", join_balanced(left, op), join_balanced(right, op))
        }
    }
}

fn condition_sql(c: &Condition, params: &mut Vec<SqlValue>, loc: &str) -> Result<String, CompileError> {
    if c.field.is_json() { json_condition_sql(c, params, loc) } else { plain_condition_sql(c, params, loc) }
}

fn value_loc(loc: &str) -> String {
    format!("{loc}.value")
}

fn comparison_sql(operator: Operator) -> Option<&'static str> {
    match operator {
        Operator::Eq => Some("="),
        Operator::Neq => Some("<>"),
        Operator::Gt => Some(">"),
        Operator::Gte => Some(">="),
        Operator::Lt => Some("<"),
        Operator::Lte => Some("<="),
        _ => None,
    }
}

/// The value as a list of scalars (`in`/`notIn` and the key lists accept one scalar too).
fn scalar_list<'a>(
    value: &'a FilterValue,
    operator: Operator,
    loc: &str,
) -> Result<Vec<&'a Scalar>, CompileError> {
    match value {
        FilterValue::Scalar(s) => Ok(vec![s]),
        FilterValue::List(items) => Ok(items.iter().collect()),
        _ => Err(CompileError::new(
            value_loc(loc),
            format!("`{operator}` expects a list of strings, numbers or booleans"),
        )),
    }
}

fn plain_condition_sql(c: &Condition, params: &mut Vec<SqlValue>, loc: &str) -> Result<String, CompileError> {
    let column = column_sql(c.field);
    let operator = c.operator;
    match operator {
        Operator::IsNull => return Ok(format!("({column} IS NULL)")),
        Operator::IsNotNull => return Ok(format!("({column} IS NOT NULL)")),
        _ if operator.is_json_only() => {
            return Err(CompileError::new(
                format!("{loc}.operator"),
                format!("`{operator}` works only on properties and userProperties, not on `{}`", c.field),
            ));
        }
        _ => {}
    }
    let Some(value) = &c.value else {
        return Err(CompileError::new(value_loc(loc), format!("`{operator}` needs a value")));
    };
    if matches!(value, FilterValue::Path { .. } | FilterValue::Json(_)) {
        return Err(CompileError::new(
            value_loc(loc),
            format!("`{}` is not a JSON field; compare it with a string, number or boolean", c.field),
        ));
    }
    if c.field == Field::FirstMessageTime {
        return time_condition_sql(operator, value, params, loc);
    }
    if let Some(op) = comparison_sql(operator) {
        let FilterValue::Scalar(scalar) = value else {
            return Err(CompileError::new(
                value_loc(loc),
                format!("`{operator}` expects one value, not a list"),
            ));
        };
        let p = bind(params, plain_value(c.field, scalar, &value_loc(loc))?);
        return Ok(format!("({column} {op} {p})"));
    }
    // in / notIn: the list is one bound JSON array, whatever its length.
    let mut items = Vec::new();
    for scalar in scalar_list(value, operator, loc)? {
        items.push(match plain_value(c.field, scalar, &value_loc(loc))? {
            SqlValue::Integer(i) => Value::from(i),
            SqlValue::Real(f) => Number::from_f64(f).map_or(Value::Null, Value::Number),
            SqlValue::Text(s) => Value::String(s),
            SqlValue::Null | SqlValue::Blob(_) => Value::Null,
        });
    }
    let p = bind(params, SqlValue::Text(Value::Array(items).to_string()));
    Ok(match operator {
        Operator::In => format!("({column} IN (SELECT value FROM json_each({p})))"),
        _ => format!("({column} IS NOT NULL AND {column} NOT IN (SELECT value FROM json_each({p})))"),
    })
}

/// A scalar converted to the type of a plain (non-JSON, non-time) field.
fn plain_value(field: Field, scalar: &Scalar, loc: &str) -> Result<SqlValue, CompileError> {
    if field.is_numeric() {
        return match scalar {
            Scalar::Number(n) => Ok(number_to_sql(n)),
            Scalar::String(s) => {
                let trimmed = s.trim();
                if let Ok(i) = trimmed.parse::<i64>() {
                    Ok(SqlValue::Integer(i))
                } else if let Ok(f) = trimmed.parse::<f64>()
                    && f.is_finite()
                {
                    Ok(SqlValue::Real(f))
                } else {
                    Err(CompileError::new(loc, format!("`{field}` is a number; `{s}` is not")))
                }
            }
            Scalar::Bool(_) => Err(CompileError::new(loc, format!("`{field}` is a number, not a boolean"))),
        };
    }
    match scalar {
        Scalar::String(s) => Ok(SqlValue::Text(s.clone())),
        Scalar::Number(_) | Scalar::Bool(_) => {
            Err(CompileError::new(loc, format!("`{field}` is text; give the value as a string")))
        }
    }
}

/// Where an instant falls relative to the stored text format.
enum StoredInstant {
    /// Before year 0: before every storable time.
    BeforeAll,
    /// After year 9999: after every storable time.
    AfterAll,
    /// The stored text of the instant truncated to milliseconds, and whether that was exact.
    Text { text: String, exact: bool },
}

fn stored_instant(instant: Timestamp) -> StoredInstant {
    let at = Offset::UTC.to_datetime(instant);
    if at.year() < 0 {
        return StoredInstant::BeforeAll;
    }
    if at.year() > 9999 {
        return StoredInstant::AfterAll;
    }
    let nanos = at.subsec_nanosecond();
    let text = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        at.year(),
        at.month(),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        nanos / 1_000_000
    );
    StoredInstant::Text { text, exact: nanos % 1_000_000 == 0 }
}

fn time_condition_sql(
    operator: Operator,
    value: &FilterValue,
    params: &mut Vec<SqlValue>,
    loc: &str,
) -> Result<String, CompileError> {
    let column = column_sql(Field::FirstMessageTime);
    let parse = |scalar: &Scalar| -> Result<StoredInstant, CompileError> {
        match scalar {
            Scalar::String(s) => parse_filter_timestamp(s).map(stored_instant).ok_or_else(|| {
                CompileError::new(
                    value_loc(loc),
                    format!(
                        "`{s}` is not a time; use RFC 3339 (2024-05-01T12:00:00Z) or a date (2024-05-01)"
                    ),
                )
            }),
            _ => Err(CompileError::new(
                value_loc(loc),
                "firstMessageTime is compared with a time string (RFC 3339 or YYYY-MM-DD)",
            )),
        }
    };
    let not_null = format!("({column} IS NOT NULL)");
    if comparison_sql(operator).is_some() {
        let FilterValue::Scalar(scalar) = value else {
            return Err(CompileError::new(
                value_loc(loc),
                format!("`{operator}` expects one value, not a list"),
            ));
        };
        let stored = parse(scalar)?;
        return Ok(match stored {
            StoredInstant::BeforeAll => match operator {
                Operator::Neq | Operator::Gt | Operator::Gte => not_null,
                _ => "(0)".to_string(),
            },
            StoredInstant::AfterAll => match operator {
                Operator::Neq | Operator::Lt | Operator::Lte => not_null,
                _ => "(0)".to_string(),
            },
            StoredInstant::Text { text, exact } => {
                // Stored times have millisecond precision: against a finer instant, `gt`
                // and `gte` both mean "after its millisecond", `lt`/`lte` "up to it".
                let op = match (operator, exact) {
                    (Operator::Eq, false) => return Ok("(0)".to_string()),
                    (Operator::Neq, false) => return Ok(not_null),
                    (Operator::Gt | Operator::Gte, false) => ">",
                    (Operator::Lt | Operator::Lte, false) => "<=",
                    (op, true) => comparison_sql(op).unwrap_or("="),
                    _ => "=",
                };
                let p = bind(params, SqlValue::Text(text));
                format!("({column} {op} {p})")
            }
        });
    }
    let mut texts = Vec::new();
    for scalar in scalar_list(value, operator, loc)? {
        // An instant no stored time can equal is in no list position.
        if let StoredInstant::Text { text, exact: true } = parse(scalar)? {
            texts.push(Value::String(text));
        }
    }
    let p = bind(params, SqlValue::Text(Value::Array(texts).to_string()));
    Ok(match operator {
        Operator::In => format!("({column} IN (SELECT value FROM json_each({p})))"),
        _ => format!("({column} IS NOT NULL AND {column} NOT IN (SELECT value FROM json_each({p})))"),
    })
}

/// The JSON types (as `json_type` names them) a scalar can equal, and its bound value.
fn typed_scalar(scalar: &Scalar) -> (&'static str, SqlValue) {
    match scalar {
        Scalar::String(s) => ("('text')", SqlValue::Text(s.clone())),
        Scalar::Number(n) => ("('integer', 'real')", number_to_sql(n)),
        Scalar::Bool(b) => ("('true', 'false')", SqlValue::Integer(i64::from(*b))),
    }
}

/// `value at path = scalar`, type-aware (a JSON number never equals a string, `true` is not 1).
fn typed_eq_sql(column: &str, path: &str, scalar: &Scalar, params: &mut Vec<SqlValue>) -> String {
    match scalar {
        Scalar::Bool(b) => {
            format!("(json_type({column}, {path}) = '{}')", if *b { "true" } else { "false" })
        }
        _ => {
            let (types, value) = typed_scalar(scalar);
            let p = bind(params, value);
            format!("(json_type({column}, {path}) IN {types} AND ({column} ->> {path}) = {p})")
        }
    }
}

/// `value at path IN list`, type-aware, one bound JSON array per JSON type.
fn typed_in_sql(column: &str, path: &str, items: &[&Scalar], params: &mut Vec<SqlValue>) -> String {
    let mut parts = Vec::new();
    let strings: Vec<Value> =
        items.iter().filter(|s| matches!(s, Scalar::String(_))).map(|s| s.to_json()).collect();
    let numbers: Vec<Value> =
        items.iter().filter(|s| matches!(s, Scalar::Number(_))).map(|s| s.to_json()).collect();
    for (types, list) in [("('text')", strings), ("('integer', 'real')", numbers)] {
        if !list.is_empty() {
            let p = bind(params, SqlValue::Text(Value::Array(list).to_string()));
            parts.push(format!(
                "(json_type({column}, {path}) IN {types} AND ({column} ->> {path}) IN (SELECT value FROM json_each({p})))"
            ));
        }
    }
    for b in [true, false] {
        if items.iter().any(|s| matches!(s, Scalar::Bool(x) if *x == b)) {
            parts.push(format!("(json_type({column}, {path}) = '{}')", if b { "true" } else { "false" }));
        }
    }
    if parts.is_empty() { "(0)".to_string() } else { join_balanced(&parts, "OR") }
}

/// The keys of a condition's `{path, value}` pair; none (the whole field) without a pair.
fn pair_path(value: Option<&FilterValue>) -> Option<&[String]> {
    match value {
        Some(FilterValue::Path { path, .. }) if !path.is_empty() => Some(path),
        _ => None,
    }
}

fn json_condition_sql(c: &Condition, params: &mut Vec<SqlValue>, loc: &str) -> Result<String, CompileError> {
    let column = column_sql(c.field);
    let operator = c.operator;
    let vloc = value_loc(loc);
    let value = c.value.as_ref();
    let keys = pair_path(value);
    // Bound only where the SQL uses it: every bound parameter must appear in the SQL.
    let path_sql = |params: &mut Vec<SqlValue>| match keys {
        Some(keys) => bind_path(params, keys),
        None => "'$'".to_string(),
    };
    let doc_sql = |params: &mut Vec<SqlValue>| match keys {
        Some(keys) => format!("({column} -> {})", bind_path(params, keys)),
        None => column.to_string(),
    };
    let missing = |what: &str| CompileError::new(vloc.clone(), format!("`{operator}` needs {what}"));

    match operator {
        Operator::IsNull | Operator::IsNotNull => {
            let is = if operator == Operator::IsNull { "IS NULL" } else { "IS NOT NULL" };
            return Ok(match value {
                Some(FilterValue::Path { .. }) => format!("(({column} ->> {}) {is})", path_sql(params)),
                _ => format!("({column} {is})"),
            });
        }
        Operator::Eq
        | Operator::Neq
        | Operator::Gt
        | Operator::Gte
        | Operator::Lt
        | Operator::Lte
        | Operator::In
        | Operator::NotIn => {
            let Some(FilterValue::Path { value: target, .. }) = value else {
                return Err(CompileError::new(
                    vloc,
                    format!(
                        "`{operator}` on `{}` compares a value inside it: give {{\"path\": [..], \"value\": ..}}",
                        c.field
                    ),
                ));
            };
            if operator == Operator::In && matches!(target, PathTarget::List(items) if items.is_empty()) {
                return Ok("(0)".to_string());
            }
            let p = &path_sql(params);
            let present = format!("(({column} ->> {p}) IS NOT NULL)");
            return match (operator, target) {
                (Operator::Eq | Operator::In, PathTarget::Null) => {
                    Ok(format!("(({column} ->> {p}) IS NULL)"))
                }
                (Operator::Neq | Operator::NotIn, PathTarget::Null) => Ok(present),
                (Operator::Eq, PathTarget::Scalar(s)) => Ok(typed_eq_sql(column, p, s, params)),
                (Operator::Neq, PathTarget::Scalar(s)) => {
                    let eq = typed_eq_sql(column, p, s, params);
                    Ok(format!("({present} AND NOT coalesce({eq}, 0))"))
                }
                (Operator::In, PathTarget::Scalar(s)) => Ok(typed_in_sql(column, p, &[s], params)),
                (Operator::In, PathTarget::List(items)) => {
                    Ok(typed_in_sql(column, p, &items.iter().collect::<Vec<_>>(), params))
                }
                (Operator::NotIn, PathTarget::Scalar(s)) => {
                    let any = typed_in_sql(column, p, &[s], params);
                    Ok(format!("({present} AND NOT coalesce({any}, 0))"))
                }
                (Operator::NotIn, PathTarget::List(items)) => {
                    let any = typed_in_sql(column, p, &items.iter().collect::<Vec<_>>(), params);
                    Ok(format!("({present} AND NOT coalesce({any}, 0))"))
                }
                (_, PathTarget::Scalar(s)) => {
                    let op = comparison_sql(operator).unwrap_or("=");
                    let (types, bound) = typed_scalar(s);
                    let b = bind(params, bound);
                    Ok(format!("(json_type({column}, {p}) IN {types} AND ({column} ->> {p}) {op} {b})"))
                }
                (_, PathTarget::Null) => {
                    Err(CompileError::new(vloc, format!("`{operator}` cannot compare with null")))
                }
                (_, PathTarget::List(_)) => {
                    Err(CompileError::new(vloc, format!("`{operator}` expects one value, not a list")))
                }
            };
        }
        _ => {}
    }

    // The JSONB operators: the pair's target, or the value itself, as a JSON document.
    let operand: Value = match value {
        None => return Err(missing("a value")),
        Some(FilterValue::Path { value: target, .. }) => match target {
            PathTarget::Scalar(s) => s.to_json(),
            PathTarget::List(items) => Value::Array(items.iter().map(Scalar::to_json).collect()),
            PathTarget::Null => Value::Null,
        },
        Some(other) => other.to_json(),
    };
    match operator {
        Operator::ArrayContains => {
            let scalar = match &operand {
                Value::String(_) | Value::Number(_) | Value::Bool(_) => Scalar::from_json(&operand),
                _ => None,
            };
            let Some(scalar) = scalar else {
                return Err(missing("one string, number or boolean"));
            };
            let element = match &scalar {
                Scalar::Bool(b) => format!("je.type = '{}'", if *b { "true" } else { "false" }),
                _ => {
                    let (types, bound) = typed_scalar(&scalar);
                    let b = bind(params, bound);
                    format!("je.type IN {types} AND je.value = {b}")
                }
            };
            let p = path_sql(params);
            Ok(format!(
                "(json_type({column}, {p}) = 'array' AND EXISTS (SELECT 1 FROM json_each({column}, {p}) AS je WHERE {element}))"
            ))
        }
        Operator::JsonContains | Operator::JsonContainedBy => {
            let function = if operator == Operator::JsonContains {
                "inkeep_jsonb_contains"
            } else {
                "inkeep_jsonb_contained_by"
            };
            let doc = doc_sql(params);
            let b = bind(params, SqlValue::Text(operand.to_string()));
            Ok(format!("({function}({doc}, {b}) = 1)"))
        }
        Operator::JsonHasKey => {
            let key = match &operand {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => return Err(missing("one key (a string)")),
            };
            let doc = doc_sql(params);
            let b = bind(params, SqlValue::Text(Value::String(key).to_string()));
            Ok(format!("(inkeep_jsonb_exists({doc}, {b}) = 1)"))
        }
        Operator::JsonHasAnyKey | Operator::JsonHasAllKeys => {
            let items = match operand {
                Value::Array(items) => items,
                Value::String(_) | Value::Number(_) | Value::Bool(_) => vec![operand],
                _ => return Err(missing("a list of keys")),
            };
            let mut keys = Vec::with_capacity(items.len());
            for item in items {
                keys.push(Value::String(match item {
                    Value::String(s) => s,
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => return Err(missing("a list of keys (strings)")),
                }));
            }
            let function = if operator == Operator::JsonHasAnyKey {
                "inkeep_jsonb_exists_any"
            } else {
                "inkeep_jsonb_exists_all"
            };
            let doc = doc_sql(params);
            let b = bind(params, SqlValue::Text(Value::Array(keys).to_string()));
            Ok(format!("({function}({doc}, {b}) = 1)"))
        }
        Operator::JsonArrayContainsObject => {
            let Some(FilterValue::Json(object)) = value else {
                return Err(missing("a JSON object, such as {\"title\": \"Pricing\"}"));
            };
            let b = bind(params, SqlValue::Text(Value::Object(object.clone()).to_string()));
            Ok(format!("(inkeep_json_array_contains_object({column}, {b}) = 1)"))
        }
        _ => Err(CompileError::new(format!("{loc}.operator"), format!("`{operator}` is not supported here"))),
    }
}

// ---------------------------------------------------------------------------------------
// JSONB semantics in Rust.

fn is_scalar(value: &Value) -> bool {
    !matches!(value, Value::Array(_) | Value::Object(_))
}

fn number_eq(a: &Number, b: &Number) -> bool {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return x == y;
    }
    if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
        return x == y;
    }
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// JSONB scalar equality: same type and equal (numbers numerically: `1` equals `1.0`).
fn scalar_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => number_eq(x, y),
        _ => false,
    }
}

/// PostgreSQL's `left @> right` on JSONB values.
///
/// Objects: every key of the right is in the left with a contained value (recursively).
/// Arrays: every element of the right is contained in some element of the left, order and
/// duplicates ignored. Scalars: equal. As a special case at the top level only, an array
/// contains a scalar it has as an element (`[1, 2] @> 1`), but not the other way round.
pub fn jsonb_contains(left: &Value, right: &Value) -> bool {
    match (left, right) {
        (Value::Array(items), scalar) if is_scalar(scalar) => {
            items.iter().any(|item| is_scalar(item) && scalar_eq(item, scalar))
        }
        (l, r) if is_scalar(l) && is_scalar(r) => scalar_eq(l, r),
        _ => container_contains(left, right),
    }
}

/// Containment of two containers of the same kind (no top-level scalar special case).
fn container_contains(left: &Value, right: &Value) -> bool {
    match (left, right) {
        (Value::Object(l), Value::Object(r)) => object_contains(l, r),
        (Value::Array(l), Value::Array(r)) => r.iter().all(|wanted| {
            if is_scalar(wanted) {
                l.iter().any(|item| is_scalar(item) && scalar_eq(item, wanted))
            } else {
                l.iter().any(|item| !is_scalar(item) && container_contains(item, wanted))
            }
        }),
        _ => false,
    }
}

fn object_contains(left: &Map<String, Value>, right: &Map<String, Value>) -> bool {
    right.iter().all(|(key, wanted)| match left.get(key) {
        None => false,
        Some(have) if is_scalar(have) || is_scalar(wanted) => scalar_eq(have, wanted),
        Some(have) => container_contains(have, wanted),
    })
}

/// PostgreSQL's `doc ? key`: `key` is a top-level key of an object, a string element of an
/// array, or the string itself.
pub fn jsonb_exists(doc: &Value, key: &str) -> bool {
    match doc {
        Value::Object(map) => map.contains_key(key),
        Value::Array(items) => items.iter().any(|item| item.as_str() == Some(key)),
        Value::String(s) => s == key,
        _ => false,
    }
}

/// The demo API's `jsonArrayContainsObject`: some array that is a top-level member of
/// `doc` (or `doc` itself, when it is an array) holds an object containing `object`.
pub fn json_array_contains_object(doc: &Value, object: &Map<String, Value>) -> bool {
    let holds = |items: &Vec<Value>| {
        items.iter().any(|item| matches!(item, Value::Object(element) if object_contains(element, object)))
    };
    match doc {
        Value::Object(map) => {
            map.values().any(|member| matches!(member, Value::Array(items) if holds(items)))
        }
        Value::Array(items) => holds(items),
        _ => false,
    }
}

fn keys_of(keys: &Value) -> impl Iterator<Item = &str> {
    keys.as_array().into_iter().flatten().filter_map(Value::as_str)
}

/// A SQL argument as JSON: text is parsed as JSON, numbers are numbers, NULL and blobs are none.
fn json_arg(value: ValueRef<'_>) -> Option<Value> {
    match value {
        ValueRef::Text(bytes) => serde_json::from_slice(bytes).ok(),
        ValueRef::Integer(i) => Some(Value::from(i)),
        ValueRef::Real(f) => Number::from_f64(f).map(Value::Number),
        ValueRef::Null | ValueRef::Blob(_) => None,
    }
}

/// Registers a function `name(doc, constant)`; the constant is parsed once per statement.
fn register_json_predicate(
    conn: &Connection,
    name: &str,
    predicate: fn(&Value, &Value) -> bool,
) -> rusqlite::Result<()> {
    let flags =
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC | FunctionFlags::SQLITE_INNOCUOUS;
    conn.create_scalar_function(name, 2, flags, move |ctx| {
        let constant = ctx.get_or_create_aux(1, |raw| Ok::<_, Infallible>(json_arg(raw)))?;
        let Some(constant) = constant.as_ref() else {
            return Ok(None);
        };
        let Some(doc) = json_arg(ctx.get_raw(0)) else {
            return Ok(None);
        };
        Ok(Some(predicate(&doc, constant)))
    })
}

/// Registers the deterministic JSON functions the compiled SQL uses, on one connection:
/// `inkeep_jsonb_contains(doc, json)` (`@>`), `inkeep_jsonb_contained_by(doc, json)` (`<@`),
/// `inkeep_jsonb_exists(doc, "key")` (`?`), `inkeep_jsonb_exists_any(doc, keys)` (`?|`),
/// `inkeep_jsonb_exists_all(doc, keys)` (`?&`) and
/// `inkeep_json_array_contains_object(doc, object)`. Each returns NULL when an argument is
/// NULL or not JSON, else 0 or 1.
pub fn register_functions(conn: &Connection) -> rusqlite::Result<()> {
    register_json_predicate(conn, "inkeep_jsonb_contains", jsonb_contains)?;
    register_json_predicate(conn, "inkeep_jsonb_contained_by", |doc, json| jsonb_contains(json, doc))?;
    register_json_predicate(conn, "inkeep_jsonb_exists", |doc, key| {
        key.as_str().is_some_and(|k| jsonb_exists(doc, k))
    })?;
    register_json_predicate(conn, "inkeep_jsonb_exists_any", |doc, keys| {
        keys_of(keys).any(|k| jsonb_exists(doc, k))
    })?;
    register_json_predicate(conn, "inkeep_jsonb_exists_all", |doc, keys| {
        keys.is_array() && keys_of(keys).all(|k| jsonb_exists(doc, k))
    })?;
    register_json_predicate(conn, "inkeep_json_array_contains_object", |doc, object| match object {
        Value::Object(map) => json_array_contains_object(doc, map),
        _ => false,
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;
    use jiff::civil::Time;
    use jiff::tz::Offset;
    use rusqlite::params_from_iter;
    use serde_json::json;

    use super::*;
    use crate::demo::store::fixture;

    fn body(value: Value) -> QueryBody {
        serde_json::from_value(value).unwrap()
    }

    fn fixture_conn() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        fixture::setup(&mut conn).unwrap();
        register_functions(&conn).unwrap();
        conn
    }

    /// Prepares and runs a compiled statement; checks that it binds exactly its parameters.
    fn run(conn: &Connection, compiled: &CompiledQuery) -> usize {
        let mut stmt = conn.prepare(&compiled.sql).unwrap_or_else(|e| panic!("{e}: {}", compiled.sql));
        assert_eq!(stmt.parameter_count(), compiled.params.len(), "{}", compiled.sql);
        let mut rows = stmt.query(params_from_iter(compiled.params.iter())).unwrap();
        let mut count = 0;
        while rows.next().unwrap_or_else(|e| panic!("{e}: {}", compiled.sql)).is_some() {
            count += 1;
        }
        count
    }

    #[test]
    fn json_paths_escape_keys() {
        let keys = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(json_path(&[]), "$");
        assert_eq!(json_path(&keys(&["a", "b"])), r#"$."a"."b""#);
        assert_eq!(json_path(&keys(&["a\"b", "c\\d", "x.y", ""])), r#"$."a\"b"."c\\d"."x.y"."""#);
        assert_eq!(json_path(&keys(&["n\nl\u{1}", "ключ"])), "$.\"n\\u000al\\u0001\".\"ключ\"");
    }

    #[test]
    fn jsonb_containment_follows_postgresql() {
        let c = |l: Value, r: Value| jsonb_contains(&l, &r);
        assert!(c(json!({"a": 1, "b": 2}), json!({"a": 1})));
        assert!(c(json!({"a": 1}), json!({})));
        assert!(!c(json!({"a": 1}), json!({"a": 2})));
        assert!(!c(json!({"a": 1}), json!({"b": null})));
        assert!(c(json!({"a": {"b": 1, "c": 2}}), json!({"a": {"b": 1}})));
        assert!(c(json!({"a": [1, 2, 3]}), json!({"a": [3, 1, 1]})));
        assert!(!c(json!({"a": [1, 2]}), json!({"a": 1})), "nested arrays do not contain bare scalars");
        assert!(c(json!([1, 2, [1, 3]]), json!([[3]])));
        assert!(!c(json!([1, 2, [1, 3]]), json!([[4]])));
        assert!(c(json!([{"a": 1, "b": 2}, 3]), json!([{"a": 1}])));
        assert!(!c(json!([[1]]), json!([1])));
        assert!(c(json!(["a", "b"]), json!("a")), "top-level array contains a scalar");
        assert!(!c(json!("a"), json!(["a"])));
        assert!(c(json!("a"), json!("a")));
        assert!(c(json!(1), json!(1.0)));
        assert!(c(json!(null), json!(null)));
        assert!(!c(json!(1), json!("1")));
        assert!(!c(json!(true), json!(1)));
        assert!(!c(json!({"a": 1}), json!([])));
        assert!(!c(json!([]), json!({})));
        assert!(c(json!([]), json!([])));
    }

    #[test]
    fn jsonb_key_existence_follows_postgresql() {
        assert!(jsonb_exists(&json!({"a": null}), "a"));
        assert!(!jsonb_exists(&json!({"a": {"b": 1}}), "b"));
        assert!(jsonb_exists(&json!(["a", 1]), "a"));
        assert!(!jsonb_exists(&json!([1]), "1"));
        assert!(jsonb_exists(&json!("a"), "a"));
        assert!(!jsonb_exists(&json!(null), "a"));
        let doc = json!({"articles": [{"title": "T", "score": 1}, 3], "x": {"title": "T"}});
        let object = |v: Value| v.as_object().unwrap().clone();
        assert!(json_array_contains_object(&doc, &object(json!({"title": "T"}))));
        assert!(json_array_contains_object(&doc, &object(json!({"score": 1.0}))));
        assert!(!json_array_contains_object(&doc, &object(json!({"title": "U"}))));
        assert!(!json_array_contains_object(&json!({"x": {"title": "T"}}), &object(json!({"title": "T"}))));
        assert!(json_array_contains_object(&json!([{"a": 1}]), &object(json!({"a": 1}))));
    }

    #[test]
    fn registered_functions_handle_nulls_and_bad_json() {
        let conn = Connection::open_in_memory().unwrap();
        register_functions(&conn).unwrap();
        let eval = |sql: &str| conn.query_row(sql, [], |row| row.get::<_, Option<i64>>(0)).unwrap();
        assert_eq!(eval(r#"SELECT inkeep_jsonb_contains('{"a":[1,2]}', '{"a":[2]}')"#), Some(1));
        assert_eq!(eval(r#"SELECT inkeep_jsonb_contained_by('{"a":1}', '{"a":1,"b":2}')"#), Some(1));
        assert_eq!(eval(r#"SELECT inkeep_jsonb_contained_by('{"a":1,"b":2}', '{"a":1}')"#), Some(0));
        assert_eq!(eval(r#"SELECT inkeep_jsonb_exists('{"a":1}', '"a"')"#), Some(1));
        assert_eq!(eval(r#"SELECT inkeep_jsonb_exists_any('{"a":1}', '["b","a"]')"#), Some(1));
        assert_eq!(eval(r#"SELECT inkeep_jsonb_exists_all('{"a":1}', '["b","a"]')"#), Some(0));
        assert_eq!(eval(r#"SELECT inkeep_jsonb_exists_all('{"a":1}', '[]')"#), Some(1));
        assert_eq!(
            eval(r#"SELECT inkeep_json_array_contains_object('{"l":[{"a":1,"b":2}]}', '{"b":2}')"#),
            Some(1)
        );
        assert_eq!(eval(r#"SELECT inkeep_jsonb_contains(NULL, '{}')"#), None);
        assert_eq!(eval(r#"SELECT inkeep_jsonb_contains('{}', NULL)"#), None);
        assert_eq!(eval(r#"SELECT inkeep_jsonb_contains('not json', '{}')"#), None);
        // Evaluated per row with a constant second argument (parsed once).
        let count: i64 = conn
            .query_row(
                r#"WITH t(d) AS (VALUES ('{"a":1}'), ('{"a":2}'), (NULL), ('{"a":1,"b":0}'))
                   SELECT count(*) FROM t WHERE inkeep_jsonb_contains(d, ?1) = 1"#,
                [r#"{"a":1}"#],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(count, 2);
    }

    #[test]
    fn time_filters_accept_exactly_what_the_validator_accepts() {
        let with_time = |value: &str| {
            body(json!({
                "select": [{"type": "field", "field": "id"}],
                "where": {"condition": {"field": "firstMessageTime", "operator": "gte", "value": value}}
            }))
        };
        let bound = |value: &str| {
            compile_query(&with_time(value)).ok().and_then(|compiled| {
                compiled.params.into_iter().find_map(|p| match p {
                    SqlValue::Text(text) => Some(text),
                    _ => None,
                })
            })
        };
        // Accepted: stored at millisecond precision in UTC.
        assert_eq!(bound("2024-05-01").as_deref(), Some("2024-05-01T00:00:00.000Z"));
        assert_eq!(bound("2024-05-01T12:30:00Z").as_deref(), Some("2024-05-01T12:30:00.000Z"));
        assert_eq!(bound("2024-05-01T12:30:00.25-02:00").as_deref(), Some("2024-05-01T14:30:00.250Z"));
        // The demo is no looser than the validator (and so the real server): a date-time
        // without an offset, which it used to take as UTC, is refused by both.
        for value in [
            "2024-05-01",
            "2024-05-01T12:30:00Z",
            "2024-05-01T12:30:00.25-02:00",
            "2024-05-01T12:30:00",
            "2024-05-01 12:30:00",
            "2024-05-01T12:30",
            " 2024-05-01",
            "2024-02-30",
            "yesterday",
            "",
        ] {
            let query = with_time(value);
            let valid = crate::api::validate::validate(&query).is_empty();
            assert_eq!(compile_query(&query).is_ok(), valid, "{value:?}");
        }
        assert!(compile_query(&with_time("2024-05-01T12:30:00")).is_err());
        assert!(!crate::api::validate::validate(&with_time("2024-05-01T12:30:00")).is_empty());
    }

    #[test]
    fn time_bucket_formulas_match_jiff_across_boundaries() {
        let conn = Connection::open_in_memory().unwrap();
        let mut epochs: Vec<i64> = Vec::new();
        // Every 7 hours 13 minutes over six years (crossing 2024-02-29 and year ends), plus
        // instants before 1970 and exact bucket edges.
        let start = "2019-12-25T00:00:00Z".parse::<Timestamp>().unwrap().as_second();
        epochs.extend((0..7000).map(|i| start + i * (7 * 3600 + 13 * 60 + 7)));
        epochs.extend([
            -1,
            0,
            1,
            -86_400,
            -86_401,
            -604_800 * 3 + 5,
            345_600,
            345_599,
            951_782_400,
            1_709_164_800,
        ]);
        for unit in TimeUnit::ALL {
            let sql = format!("SELECT {}", time_bucket_sql(unit, "?1"));
            let mut stmt = conn.prepare(&sql).unwrap();
            for &epoch in &epochs {
                let bucket: i64 = stmt.query_row([epoch], |row| row.get(0)).unwrap();
                let t = Timestamp::from_second(epoch).unwrap();
                let civil = Offset::UTC.to_datetime(t);
                let date = civil.date();
                let expected = match unit {
                    TimeUnit::Hour => date.at(civil.hour(), 0, 0, 0),
                    TimeUnit::Day => date.to_datetime(Time::midnight()),
                    TimeUnit::Week => (date
                        - jiff::Span::new().days(i64::from(date.weekday().to_monday_zero_offset())))
                    .to_datetime(Time::midnight()),
                    TimeUnit::Month => date.first_of_month().to_datetime(Time::midnight()),
                };
                assert_eq!(bucket, Offset::UTC.to_timestamp(expected).unwrap().as_second(), "{unit} of {t}");
            }
        }
        assert_eq!(format_bucket(1_709_164_800), "2024-02-29T00:00:00Z");
        assert_eq!(format_bucket(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn column_names_follow_result_columns() {
        let queries = [
            json!({}),
            json!({"select": [{"type": "time", "timeUnit": "day"}, {"type": "aggregation", "aggregation": "count"}],
                   "groupBy": [{"field": "type"}, {"field": "properties", "path": ["source"], "includeInSelect": false},
                               {"field": "properties", "path": ["x"]}]}),
            json!({"select": [{"type": "field", "field": "type"}, {"type": "field", "field": "type"},
                              {"type": "field", "field": "userProperties"},
                              {"type": "field", "field": "properties", "mode": "json"}]}),
        ];
        for query in queries {
            let q = body(query);
            let compiled = compile_query(&q).unwrap();
            let names: Vec<&str> = compiled.columns.iter().map(|c| c.name.as_str()).collect();
            let expected: Vec<String> = columns::result_columns(&q).into_iter().map(|c| c.name).collect();
            assert_eq!(names, expected);
            for (i, column) in compiled.columns.iter().enumerate() {
                assert_eq!(column.alias, format!("c{i}"));
            }
        }
    }

    #[test]
    fn hostile_input_never_reaches_the_sql_text() {
        let hostile = "x'); DROP TABLE conversations; -- \"]) ключ ;";
        let template = |key: &str, value: &str| {
            json!({
                "select": [{"type": "field", "field": "properties", "path": [key]},
                           {"type": "aggregation", "aggregation": "sum", "field": "properties", "path": [key, key]},
                           {"type": "field", "field": "userProperties"}],
                "groupBy": [{"field": "properties", "path": [key], "includeInSelect": false}],
                "where": {"or": [
                    {"condition": {"field": "type", "operator": "in", "value": [value, value]}},
                    {"condition": {"field": "properties", "operator": "eq", "value": {"path": [key], "value": value}}},
                    {"condition": {"field": "properties", "operator": "jsonContains", "value": {key: value}}},
                    {"condition": {"field": "properties", "operator": "jsonHasAnyKey", "value": [key]}},
                    {"condition": {"field": "firstMessageTime", "operator": "gt", "value": "2024-01-01"}}
                ]},
                "orderBy": [{"field": format!("properties.{key}"), "direction": "desc"},
                            {"field": format!("userProperties.{key}"), "direction": "asc"}]
            })
        };
        let benign = compile_query(&body(template("k", "v"))).unwrap();
        let evil = compile_query(&body(template(hostile, hostile))).unwrap();
        // Same shape: only the bound values differ.
        assert_eq!(benign.sql, evil.sql);
        assert_eq!(benign.params.len(), evil.params.len());
        for needle in ["DROP", "ключ", "--", "x'"] {
            assert!(!evil.sql.contains(needle), "{needle} in {}", evil.sql);
        }
        assert!(evil.params.iter().any(|p| matches!(p, SqlValue::Text(t) if t.contains("DROP TABLE"))));
        let count_benign = compile_count(&body(template("k", "v"))).unwrap();
        let count_evil = compile_count(&body(template(hostile, hostile))).unwrap();
        assert_eq!(count_benign.sql, count_evil.sql);
        let conn = fixture_conn();
        run(&conn, &evil);
        run(&conn, &count_evil);
        let rows: i64 = conn.query_row("SELECT count(*) FROM conversations", [], |r| r.get(0)).unwrap();
        assert_eq!(rows, 12);
    }

    /// Every field × operator × value form: each either compiles into SQL that prepares,
    /// binds exactly its parameters and runs (page and count, plain and grouped), or is a
    /// [`CompileError`] pointing into `where`.
    #[test]
    fn every_condition_compiles_to_runnable_sql_or_a_located_error() {
        let values = [
            None,
            Some(json!("openai")),
            Some(json!(3)),
            Some(json!(2.5)),
            Some(json!(true)),
            Some(json!("2024-02-29")),
            Some(json!(["a", 1, false])),
            Some(json!([])),
            Some(json!({"source": "widget"})),
            Some(json!({"path": ["csat"], "value": 3})),
            Some(json!({"path": ["browser", "name"], "value": "Firefox"})),
            Some(json!({"path": ["tags"], "value": ["billing", 2, true]})),
            Some(json!({"path": ["tags"], "value": []})),
            Some(json!({"path": ["source"], "value": null})),
            Some(json!({"path": [], "value": "x"})),
        ];
        let conn = fixture_conn();
        let shapes = [
            json!({}),
            json!({"select": [{"type": "time", "timeUnit": "week"}, {"type": "aggregation", "aggregation": "count"}],
                   "groupBy": [{"field": "properties", "path": ["source"]}]}),
        ];
        let (mut compiled_count, mut error_count) = (0, 0);
        for field in Field::ALL {
            for operator in Operator::ALL {
                for value in &values {
                    let mut condition = json!({"field": field, "operator": operator});
                    if let Some(value) = value {
                        condition["value"] = value.clone();
                    }
                    for shape in &shapes {
                        let mut query = shape.clone();
                        query["where"] = json!({"and": [{"condition": condition.clone()}]});
                        let q = body(query);
                        match (compile_query(&q), compile_count(&q)) {
                            (Ok(page), Ok(count)) => {
                                compiled_count += 1;
                                run(&conn, &page);
                                assert_eq!(run(&conn, &count), 1);
                            }
                            (Err(a), Err(b)) => {
                                error_count += 1;
                                assert_eq!(a, b);
                                assert!(a.location.starts_with("where.and[0].condition"), "{a}");
                            }
                            (a, b) => panic!("page and count disagree for {condition}: {a:?} / {b:?}"),
                        }
                    }
                }
            }
        }
        assert!(compiled_count > 300 && error_count > 100, "{compiled_count} / {error_count}");
    }

    #[test]
    fn selection_and_order_errors_say_where() {
        let err = |query: Value| compile_query(&body(query)).unwrap_err();
        let e = err(
            json!({"select": [{"type": "field", "field": "id"}, {"type": "field", "field": "type", "path": ["x"]}]}),
        );
        assert_eq!(e.location, "select[1]");
        let e = err(json!({"select": [{"type": "aggregation", "aggregation": "sum", "field": "id"}]}));
        assert_eq!(e.location, "select[0]");
        assert!(e.message.contains("not numeric"), "{e}");
        let e = err(json!({"select": [{"type": "aggregation", "aggregation": "avg"}]}));
        assert_eq!(e.location, "select[0]");
        let e =
            err(json!({"select": [{"type": "aggregation", "aggregation": "max", "field": "properties"}]}));
        assert_eq!(e.location, "select[0]");
        let e = err(json!({"select": [{"type": "time", "timeUnit": "day", "field": "type"}]}));
        assert_eq!(e.location, "select[0]");
        let e =
            err(json!({"select": [{"type": "field", "field": "properties", "path": ["a"], "mode": "json"}]}));
        assert_eq!(e.location, "select[0].mode");
        let e = err(json!({"groupBy": [{"field": "id"}, {"field": "type", "path": ["a"]}]}));
        assert_eq!(e.location, "groupBy[1]");
        let e = err(json!({"select": [{"type": "field", "field": "properties", "mode": "json"}],
                           "orderBy": [{"field": "properties.a", "direction": "asc"}]}));
        assert_eq!(e.location, "orderBy[0].field");
        let e = err(json!({"select": [{"type": "field", "field": "properties"}],
                           "orderBy": [{"field": "properties", "direction": "asc"}]}));
        assert_eq!(e.location, "orderBy[0].field");
        assert!(e.message.contains("properties.<key>"), "{e}");
        // Unknown order columns are errors; known ones compile.
        assert!(
            compile_query(&body(json!({"orderBy": [{"field": "properties", "direction": "asc"}]}))).is_ok()
        );
    }

    #[test]
    fn oversized_filters_are_errors_not_sqlite_failures() {
        let mut deep = json!({"condition": {"field": "id", "operator": "eq", "value": "x"}});
        for _ in 0..MAX_FILTER_DEPTH {
            deep = json!({"and": [deep]});
        }
        let e = compile_filter(&serde_json::from_value(deep).unwrap(), &mut Vec::new()).unwrap_err();
        assert!(e.message.contains("deeper"), "{e}");
        // A programmatic tree far deeper than JSON parsing allows: no stack overflow.
        let mut filter = Filter::condition(Field::Id, Operator::IsNull, None);
        for _ in 0..100_000 {
            filter = Filter::Or(vec![filter]);
        }
        assert!(compile_filter(&filter, &mut Vec::new()).is_err());
        std::mem::forget(filter); // dropping it would recurse 100 000 levels deep
        let wide = Filter::Or(
            (0..=MAX_FILTER_CONDITIONS)
                .map(|_| Filter::condition(Field::Id, Operator::IsNull, None))
                .collect(),
        );
        assert!(compile_filter(&wide, &mut Vec::new()).unwrap_err().message.contains("conditions"));
        // At the limits it compiles and runs.
        let mut ok = json!({"condition": {"field": "id", "operator": "eq", "value": "r01"}});
        for _ in 1..MAX_FILTER_DEPTH {
            ok = json!({"or": [ok, {"condition": {"field": "type", "operator": "eq", "value": "nope"}}]});
        }
        let q = body(json!({"where": ok}));
        assert_eq!(run(&fixture_conn(), &compile_query(&q).unwrap()), 1);
        let wide = Filter::Or(
            (0..MAX_FILTER_CONDITIONS)
                .map(|i| {
                    Filter::condition(
                        Field::UserMessageCount,
                        Operator::Eq,
                        Some(FilterValue::Scalar(Scalar::from(i as i64))),
                    )
                })
                .collect(),
        );
        let q = QueryBody { filter: Some(wide), ..QueryBody::default() };
        assert_eq!(run(&fixture_conn(), &compile_query(&q).unwrap()), 12);
    }

    #[test]
    fn count_binds_only_what_it_uses() {
        let q = body(json!({
            "select": [{"type": "aggregation", "aggregation": "sum", "field": "properties", "path": ["csat"]}],
            "where": {"condition": {"field": "properties", "operator": "eq", "value": {"path": ["source"], "value": "slack"}}}
        }));
        let count = compile_count(&q).unwrap();
        assert_eq!(count.sql, "SELECT 1");
        assert!(count.params.is_empty());
        let q = body(json!({"where": {"condition": {"field": "type", "operator": "eq", "value": "openai"}}}));
        let count = compile_count(&q).unwrap();
        assert_eq!(count.params, vec![SqlValue::Text("openai".into())]);
        assert_eq!(run(&fixture_conn(), &count), 1);
        let (sql, params) = compile_query(&q).unwrap().with_limit(2);
        assert!(sql.ends_with("LIMIT ?2"), "{sql}");
        assert_eq!(params.last(), Some(&SqlValue::Integer(2)));
    }
}
