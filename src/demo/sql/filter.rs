//! The `WHERE` clause: the filter tree (checked for size without recursion, joined as a
//! balanced tree) and the conditions on plain and time fields. Conditions on the JSON
//! fields are in [`super::json_filter`].

use jiff::Timestamp;
use jiff::tz::Offset;
use rusqlite::types::Value as SqlValue;
use serde_json::{Number, Value};

use super::json_filter::json_condition_sql;
use super::table::column_sql;
use super::{
    CompileError, MAX_FILTER_CONDITIONS, MAX_FILTER_DEPTH, MAX_FILTER_NODES, bind, check_filter_fields,
    number_to_sql,
};
use crate::api::query::{Condition, Field, Filter, FilterValue, Operator, Scalar};
use crate::api::timestamp::parse_filter_timestamp;
use crate::api::view::View;

/// Checks the size of a filter tree without recursion (a hostile tree may be deep).
pub(super) fn check_filter_size(filter: &Filter) -> Result<(), CompileError> {
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
pub fn compile_filter(view: View, f: &Filter, params: &mut Vec<SqlValue>) -> Result<String, CompileError> {
    check_filter_fields(view, f)?;
    compile_filter_unchecked(f, params)
}

/// [`compile_filter`] for a filter whose fields were checked against the view already.
pub(super) fn compile_filter_unchecked(
    f: &Filter,
    params: &mut Vec<SqlValue>,
) -> Result<String, CompileError> {
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
pub(super) fn join_balanced(parts: &[String], op: &str) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        _ => {
            let (left, right) = parts.split_at(parts.len() / 2);
            format!("({} {op} {})", join_balanced(left, op), join_balanced(right, op))
        }
    }
}

/// One condition: on a field stored as JSON (objects, arrays of objects, arrays of strings;
/// see [`json_condition_sql`]) or on a plain one.
fn condition_sql(c: &Condition, params: &mut Vec<SqlValue>, loc: &str) -> Result<String, CompileError> {
    if c.field.is_json() || c.field.is_string_array() {
        json_condition_sql(c, params, loc)
    } else {
        plain_condition_sql(c, params, loc)
    }
}

/// The location of a condition's value, for errors.
pub(super) fn value_loc(loc: &str) -> String {
    format!("{loc}.value")
}

/// The SQL operator of a comparison (`eq` … `lte`); none for the other operators.
pub(super) fn comparison_sql(operator: Operator) -> Option<&'static str> {
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

/// The value as one scalar, for the comparisons (`eq` … `lte`).
fn single_scalar<'a>(
    value: &'a FilterValue,
    operator: Operator,
    loc: &str,
) -> Result<&'a Scalar, CompileError> {
    match value {
        FilterValue::Scalar(scalar) => Ok(scalar),
        _ => Err(one_value_expected(operator, loc)),
    }
}

/// A comparison was given a list, at the condition `loc`.
pub(super) fn one_value_expected(operator: Operator, loc: &str) -> CompileError {
    CompileError::new(value_loc(loc), format!("`{operator}` expects one value, not a list"))
}

/// `in` / `notIn` over a plain column: the list is one bound JSON array, whatever its length;
/// `notIn` never matches a null (PostgreSQL's `NOT IN`).
fn list_membership_sql(
    column: &str,
    operator: Operator,
    items: Vec<Value>,
    params: &mut Vec<SqlValue>,
) -> String {
    let p = bind(params, SqlValue::Text(Value::Array(items).to_string()));
    match operator {
        Operator::In => format!("({column} IN (SELECT value FROM json_each({p})))"),
        _ => format!("({column} IS NOT NULL AND {column} NOT IN (SELECT value FROM json_each({p})))"),
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
                format!(
                    "`{operator}` works only on JSON fields (properties, userProperties…), not on `{}`",
                    c.field
                ),
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
    if c.field.is_timestamp() {
        return time_condition_sql(c.field, operator, value, params, loc);
    }
    if let Some(op) = comparison_sql(operator) {
        let scalar = single_scalar(value, operator, loc)?;
        let p = bind(params, plain_value(c.field, scalar, &value_loc(loc))?);
        return Ok(format!("({column} {op} {p})"));
    }
    // in / notIn.
    let mut items = Vec::new();
    for scalar in scalar_list(value, operator, loc)? {
        items.push(match plain_value(c.field, scalar, &value_loc(loc))? {
            SqlValue::Integer(i) => Value::from(i),
            // Booleans are stored as 0/1: the list holds them as such.
            SqlValue::Real(f) => Number::from_f64(f).map_or(Value::Null, Value::Number),
            SqlValue::Text(s) => Value::String(s),
            SqlValue::Null | SqlValue::Blob(_) => Value::Null,
        });
    }
    Ok(list_membership_sql(column, operator, items, params))
}

/// A scalar converted to the type of a plain (non-JSON, non-time) field.
fn plain_value(field: Field, scalar: &Scalar, loc: &str) -> Result<SqlValue, CompileError> {
    if field.is_boolean() {
        return match scalar {
            Scalar::Bool(b) => Ok(SqlValue::Integer(i64::from(*b))),
            _ => Err(CompileError::new(loc, format!("`{field}` is true or false; give a boolean"))),
        };
    }
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
    field: Field,
    operator: Operator,
    value: &FilterValue,
    params: &mut Vec<SqlValue>,
    loc: &str,
) -> Result<String, CompileError> {
    let column = column_sql(field);
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
                format!("{field} is compared with a time string (RFC 3339 or YYYY-MM-DD)"),
            )),
        }
    };
    let not_null = format!("({column} IS NOT NULL)");
    if comparison_sql(operator).is_some() {
        let scalar = single_scalar(value, operator, loc)?;
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
    Ok(list_membership_sql(column, operator, texts, params))
}
