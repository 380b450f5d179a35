//! Planning the result columns of a query and building its `SELECT`: the select list,
//! `GROUP BY`, `ORDER BY` with PostgreSQL's null placement and JSONB's value order, the time
//! buckets, and the `count` statement behind a response's `total`.

use std::fmt::Write as _;

use jiff::Timestamp;
use rusqlite::types::Value as SqlValue;

use super::filter::{check_filter_size, compile_filter_unchecked};
use super::table::{
    TEXT_SEARCH_FIELDS, column_sql, epoch_column_sql, field_nullable, field_value_kind, table_name,
};
use super::{
    CompileError, CompiledQuery, MAX_QUERY_ITEMS, OutputColumn, ValueKind, bind, bind_path, check_fields,
    check_filter_fields,
};
use crate::api::columns::{self, ColumnSource};
use crate::api::query::{Aggregation, Direction, Field, FieldMode, QueryBody, Selection, TimeUnit};
use crate::api::timestamp::format_utc;
use crate::api::view::View;

/// 1970-01-05, the first Monday after the epoch (1970-01-01 was a Thursday), in seconds.
const FIRST_MONDAY_EPOCH_SECS: i64 = 4 * 86_400;

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
            Ok(Expr::value(column_sql(*field).to_string(), field_value_kind(*field), field_nullable(*field)))
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
        ColumnSource::TimeBucket { unit, field } => match epoch_column_sql(*field) {
            Some(epoch) => Ok(Expr::value(time_bucket_sql(*unit, &epoch), ValueKind::TimeBucket, false)),
            None => {
                Err(CompileError::new(loc, format!("time buckets need a timestamp field, not `{field}`")))
            }
        },
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
        return Ok(Expr::value(column.to_string(), field_value_kind(field), field_nullable(field)));
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
        format!("`{field}` is not a JSON field; paths work only on JSON objects and arrays of objects"),
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
            return Err(CompileError::new(loc, "a path needs a JSON field (properties or userProperties)"));
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
    view: View,
    columns: Vec<ColumnPlan>,
    /// Group keys that are not result columns (`includeInSelect: false`).
    hidden_keys: Vec<Expr>,
    filter: Option<String>,
    grouped: bool,
}

/// Where the column `name` comes from in the body, for error messages.
fn column_location(view: View, q: &QueryBody, name: &str) -> String {
    if let Some(i) = q.select.iter().position(|s| columns::selection_column(view, s).name == name) {
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

fn plan(view: View, q: &QueryBody, params: &mut Vec<SqlValue>) -> Result<Plan, CompileError> {
    check_query_size(q)?;
    if let Some(filter) = &q.filter {
        check_filter_size(filter)?;
    }
    check_fields(view, q)?;
    let grouped = q.is_grouped();
    let mut columns = Vec::new();
    for (index, column) in columns::result_columns(view, q).into_iter().enumerate() {
        let loc = column_location(view, q, &column.name);
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
    let filter = where_sql(view, q, params)?;
    Ok(Plan { view, columns, hidden_keys, filter, grouped })
}

/// The `WHERE` condition of a query: its filter, and semantic threads' text search.
fn where_sql(view: View, q: &QueryBody, params: &mut Vec<SqlValue>) -> Result<Option<String>, CompileError> {
    let mut parts = Vec::new();
    if let Some(filter) = &q.filter {
        check_filter_fields(view, filter)?;
        parts.push(compile_filter_unchecked(filter, params)?);
    }
    if let Some(text) = q.query.as_deref().map(str::trim).filter(|text| !text.is_empty()) {
        parts.push(text_search_sql(text, params));
    }
    Ok(match parts.len() {
        0 => None,
        1 => parts.pop(),
        _ => Some(format!("({})", parts.join(" AND "))),
    })
}

/// The threads whose question, answer, gap summary, subject or category contains `text`,
/// ignoring ASCII case. `instr`, not `LIKE`: the text is matched as typed, `%` and `_`
/// included.
fn text_search_sql(text: &str, params: &mut Vec<SqlValue>) -> String {
    let p = bind(params, SqlValue::Text(text.to_lowercase()));
    let tests: Vec<String> = TEXT_SEARCH_FIELDS
        .iter()
        .map(|field| format!("instr(lower({}), {p}) > 0", column_sql(*field)))
        .collect();
    format!("({})", tests.join(" OR "))
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
        let mut sql = format!("FROM \"{}\" AS t", table_name(self.view));
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
        // Raw rows: newest first, as the real service answers.
        let time = plan.view.default_time_field();
        terms.push(order_term(column_sql(time), Direction::Desc, field_nullable(time)));
        terms.push(order_term(column_sql(Field::Id), Direction::Desc, false));
    }
    Ok(terms)
}

/// Compiles the page query of `view`: every result row, in order, without `LIMIT` (the
/// caller binds one with [`CompiledQuery::with_limit`]).
pub fn compile_query(view: View, q: &QueryBody) -> Result<CompiledQuery, CompileError> {
    let mut params = Vec::new();
    let plan = plan(view, q, &mut params)?;
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
pub fn compile_count(view: View, q: &QueryBody) -> Result<CompiledQuery, CompileError> {
    // The select list is compiled (and checked) with parameters of its own: the count
    // statement must bind exactly the parameters it uses.
    let mut scratch = Vec::new();
    let full = plan(view, q, &mut scratch)?;
    let _ = order_terms(q, &full, &mut scratch)?;

    let mut params = Vec::new();
    let filter = where_sql(view, q, &mut params)?;
    let mut keys: Vec<String> = Vec::new();
    if full.grouped {
        for column in columns::result_columns(view, q) {
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
    let mut from_where = format!("FROM \"{}\" AS t", table_name(view));
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
