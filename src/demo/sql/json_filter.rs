//! Conditions on the JSON fields (`properties`, `userProperties`): null checks and
//! type-aware comparisons of the value at a path, and the JSONB operators (containment, key
//! existence, array membership), one function per operator family.

use rusqlite::types::Value as SqlValue;
use serde_json::Value;

use super::filter::{comparison_sql, join_balanced, one_value_expected, value_loc};
use super::table::{column_sql, indexed_path_column};
use super::{CompileError, bind, bind_path, number_to_sql};
use crate::api::query::{Condition, Field, FilterValue, Operator, PathTarget, Scalar};

/// The JSON types (as `json_type` names them) a scalar can equal, and its bound value.
fn typed_scalar(scalar: &Scalar) -> (&'static str, SqlValue) {
    match scalar {
        Scalar::String(s) => ("('text')", SqlValue::Text(s.clone())),
        Scalar::Number(n) => ("('integer', 'real')", number_to_sql(n)),
        Scalar::Bool(b) => ("('true', 'false')", SqlValue::Integer(i64::from(*b))),
    }
}

/// `value at path = scalar`, type-aware (a JSON number never equals a string, `true` is not 1).
///
/// `indexed` is the generated column holding the string at that path, when the table has one
/// (`properties_source`, NULL unless the value there is a string): a string is then looked
/// up in its index alone, without reading any row's JSON.
fn typed_eq_sql(
    column: &str,
    path: &str,
    scalar: &Scalar,
    indexed: Option<&str>,
    params: &mut Vec<SqlValue>,
) -> String {
    match (scalar, indexed) {
        (Scalar::Bool(b), _) => {
            format!("(json_type({column}, {path}) = '{}')", if *b { "true" } else { "false" })
        }
        (Scalar::String(text), Some(indexed)) => {
            let p = bind(params, SqlValue::Text(text.clone()));
            format!("({indexed} = {p})")
        }
        _ => {
            let (types, value) = typed_scalar(scalar);
            let p = bind(params, value);
            format!("(json_type({column}, {path}) IN {types} AND ({column} ->> {path}) = {p})")
        }
    }
}

/// `value at path IN list`, type-aware, one bound JSON array per JSON type; strings through
/// the `indexed` column when there is one (see [`typed_eq_sql`]).
fn typed_in_sql(
    column: &str,
    path: &str,
    items: &[&Scalar],
    indexed: Option<&str>,
    params: &mut Vec<SqlValue>,
) -> String {
    let mut parts = Vec::new();
    let strings: Vec<Value> =
        items.iter().filter(|s| matches!(s, Scalar::String(_))).map(|s| s.to_json()).collect();
    let numbers: Vec<Value> =
        items.iter().filter(|s| matches!(s, Scalar::Number(_))).map(|s| s.to_json()).collect();
    let strings = match indexed {
        Some(indexed) if !strings.is_empty() => {
            let p = bind(params, SqlValue::Text(Value::Array(strings).to_string()));
            parts.push(format!("({indexed} IN (SELECT value FROM json_each({p})))"));
            Vec::new()
        }
        _ => strings,
    };
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

/// A condition on a JSON field, with what every operator family needs to build its SQL.
struct JsonCondition<'a> {
    /// The field's quoted column reference.
    column: &'static str,
    field: Field,
    operator: Operator,
    value: Option<&'a FilterValue>,
    /// The keys of the `{path, value}` pair; none (the whole field) without a pair.
    keys: Option<&'a [String]>,
    /// Where the condition is in the body, for errors.
    loc: &'a str,
}

impl<'a> JsonCondition<'a> {
    fn new(c: &'a Condition, loc: &'a str) -> JsonCondition<'a> {
        let value = c.value.as_ref();
        JsonCondition {
            column: column_sql(c.field),
            field: c.field,
            operator: c.operator,
            value,
            keys: pair_path(value),
            loc,
        }
    }

    /// The pair's JSON path, bound, or `'$'` (the whole field). Bound only where the SQL
    /// uses it: every bound parameter must appear in the SQL.
    fn path_sql(&self, params: &mut Vec<SqlValue>) -> String {
        match self.keys {
            Some(keys) => bind_path(params, keys),
            None => "'$'".to_string(),
        }
    }

    /// The JSON document the operator applies to: the value at the pair's path, or the field.
    fn doc_sql(&self, params: &mut Vec<SqlValue>) -> String {
        match self.keys {
            Some(keys) => format!("({} -> {})", self.column, bind_path(params, keys)),
            None => self.column.to_string(),
        }
    }

    /// The generated column holding the value at the pair's path, when the table has one.
    fn indexed(&self) -> Option<&'static str> {
        indexed_path_column(self.field, self.keys?)
    }

    /// An error at the condition's value.
    fn value_error(&self, message: String) -> CompileError {
        CompileError::new(value_loc(self.loc), message)
    }

    /// "`operator` needs `what`", at the condition's value.
    fn missing(&self, what: &str) -> CompileError {
        self.value_error(format!("`{}` needs {what}", self.operator))
    }
}

/// Compiles a condition on `properties` or `userProperties`.
pub(super) fn json_condition_sql(
    c: &Condition,
    params: &mut Vec<SqlValue>,
    loc: &str,
) -> Result<String, CompileError> {
    let cond = JsonCondition::new(c, loc);
    match cond.operator {
        Operator::IsNull | Operator::IsNotNull => return Ok(null_check_sql(&cond, params)),
        Operator::Eq
        | Operator::Neq
        | Operator::Gt
        | Operator::Gte
        | Operator::Lt
        | Operator::Lte
        | Operator::In
        | Operator::NotIn => return path_comparison_sql(&cond, params),
        _ => {}
    }
    let operand = jsonb_operand(&cond)?;
    match cond.operator {
        Operator::ArrayContains => array_contains_sql(&cond, &operand, params),
        Operator::JsonContains | Operator::JsonContainedBy => Ok(containment_sql(&cond, &operand, params)),
        Operator::JsonHasKey => has_key_sql(&cond, &operand, params),
        Operator::JsonHasAnyKey | Operator::JsonHasAllKeys => has_keys_sql(&cond, operand, params),
        Operator::JsonArrayContainsObject => array_contains_object_sql(&cond, params),
        operator => {
            Err(CompileError::new(format!("{loc}.operator"), format!("`{operator}` is not supported here")))
        }
    }
}

/// `isNull` / `isNotNull`: of the value at the pair's path, or of the whole field.
fn null_check_sql(cond: &JsonCondition<'_>, params: &mut Vec<SqlValue>) -> String {
    let column = cond.column;
    let is = if cond.operator == Operator::IsNull { "IS NULL" } else { "IS NOT NULL" };
    match cond.value {
        Some(FilterValue::Path { .. }) => format!("(({column} ->> {}) {is})", cond.path_sql(params)),
        _ => format!("({column} {is})"),
    }
}

/// The comparisons (`eq` … `lte`, `in`, `notIn`) of the value at a `{path, value}` pair.
fn path_comparison_sql(cond: &JsonCondition<'_>, params: &mut Vec<SqlValue>) -> Result<String, CompileError> {
    let Some(FilterValue::Path { value: target, .. }) = cond.value else {
        return Err(cond.value_error(format!(
            "`{}` on `{}` compares a value inside it: give {{\"path\": [..], \"value\": ..}}",
            cond.operator, cond.field
        )));
    };
    if cond.operator == Operator::In && matches!(target, PathTarget::List(items) if items.is_empty()) {
        return Ok("(0)".to_string());
    }
    let path = cond.path_sql(params);
    match cond.operator {
        Operator::Eq | Operator::Neq => equality_sql(cond, &path, target, params),
        Operator::In | Operator::NotIn => Ok(membership_sql(cond, &path, target, params)),
        _ => ordering_sql(cond, &path, target, params),
    }
}

/// `eq` / `neq` at a path: null means absent (or a JSON null); a scalar compares type-aware.
fn equality_sql(
    cond: &JsonCondition<'_>,
    path: &str,
    target: &PathTarget,
    params: &mut Vec<SqlValue>,
) -> Result<String, CompileError> {
    let negated = cond.operator == Operator::Neq;
    match target {
        PathTarget::Null => Ok(null_at_path_sql(cond.column, path, negated)),
        PathTarget::Scalar(scalar) => {
            let eq = typed_eq_sql(cond.column, path, scalar, cond.indexed(), params);
            Ok(if negated { present_and_not(cond.column, path, &eq) } else { eq })
        }
        PathTarget::List(_) => Err(one_value_expected(cond.operator, cond.loc)),
    }
}

/// `in` / `notIn` at a path: a scalar is a list of one; null means absent (or a JSON null).
fn membership_sql(
    cond: &JsonCondition<'_>,
    path: &str,
    target: &PathTarget,
    params: &mut Vec<SqlValue>,
) -> String {
    let negated = cond.operator == Operator::NotIn;
    let items: Vec<&Scalar> = match target {
        PathTarget::Null => return null_at_path_sql(cond.column, path, negated),
        PathTarget::Scalar(scalar) => vec![scalar],
        PathTarget::List(items) => items.iter().collect(),
    };
    let any = typed_in_sql(cond.column, path, &items, cond.indexed(), params);
    if negated { present_and_not(cond.column, path, &any) } else { any }
}

/// `gt`, `gte`, `lt`, `lte` at a path: only a value of the scalar's JSON type compares.
fn ordering_sql(
    cond: &JsonCondition<'_>,
    path: &str,
    target: &PathTarget,
    params: &mut Vec<SqlValue>,
) -> Result<String, CompileError> {
    let column = cond.column;
    match target {
        PathTarget::Scalar(scalar) => {
            let op = comparison_sql(cond.operator).unwrap_or("=");
            let (types, bound) = typed_scalar(scalar);
            let b = bind(params, bound);
            Ok(format!("(json_type({column}, {path}) IN {types} AND ({column} ->> {path}) {op} {b})"))
        }
        PathTarget::Null => Err(cond.value_error(format!("`{}` cannot compare with null", cond.operator))),
        PathTarget::List(_) => Err(one_value_expected(cond.operator, cond.loc)),
    }
}

/// The value at `path` is absent or a JSON null or, `negated`, present and not null.
fn null_at_path_sql(column: &str, path: &str, negated: bool) -> String {
    let is = if negated { "IS NOT NULL" } else { "IS NULL" };
    format!("(({column} ->> {path}) {is})")
}

/// The value at `path` is present and `matched` is not true: PostgreSQL's `<>` and
/// `NOT IN`, which never match a null.
fn present_and_not(column: &str, path: &str, matched: &str) -> String {
    format!("({} AND NOT coalesce({matched}, 0))", null_at_path_sql(column, path, true))
}

/// The JSONB operators' operand: the pair's target, or the value itself, as a JSON document.
fn jsonb_operand(cond: &JsonCondition<'_>) -> Result<Value, CompileError> {
    Ok(match cond.value {
        None => return Err(cond.missing("a value")),
        Some(FilterValue::Path { value: target, .. }) => match target {
            PathTarget::Scalar(s) => s.to_json(),
            PathTarget::List(items) => Value::Array(items.iter().map(Scalar::to_json).collect()),
            PathTarget::Null => Value::Null,
        },
        Some(other) => other.to_json(),
    })
}

/// `arrayContains`: the value at the path is an array with an element equal (type-aware)
/// to one scalar.
fn array_contains_sql(
    cond: &JsonCondition<'_>,
    operand: &Value,
    params: &mut Vec<SqlValue>,
) -> Result<String, CompileError> {
    let scalar = match operand {
        Value::String(_) | Value::Number(_) | Value::Bool(_) => Scalar::from_json(operand),
        _ => None,
    };
    let Some(scalar) = scalar else {
        return Err(cond.missing("one string, number or boolean"));
    };
    let element = match &scalar {
        Scalar::Bool(b) => format!("je.type = '{}'", if *b { "true" } else { "false" }),
        _ => {
            let (types, bound) = typed_scalar(&scalar);
            let b = bind(params, bound);
            format!("je.type IN {types} AND je.value = {b}")
        }
    };
    let column = cond.column;
    let p = cond.path_sql(params);
    Ok(format!(
        "(json_type({column}, {p}) = 'array' AND EXISTS (SELECT 1 FROM json_each({column}, {p}) AS je WHERE {element}))"
    ))
}

/// `jsonContains` (`@>`) and `jsonContainedBy` (`<@`).
fn containment_sql(cond: &JsonCondition<'_>, operand: &Value, params: &mut Vec<SqlValue>) -> String {
    let function = if cond.operator == Operator::JsonContains {
        "inkeep_jsonb_contains"
    } else {
        "inkeep_jsonb_contained_by"
    };
    let doc = cond.doc_sql(params);
    let b = bind(params, SqlValue::Text(operand.to_string()));
    format!("({function}({doc}, {b}) = 1)")
}

/// A scalar as a key: strings as they are, numbers and booleans as their JSON text.
fn key_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `jsonHasKey` (`?`).
fn has_key_sql(
    cond: &JsonCondition<'_>,
    operand: &Value,
    params: &mut Vec<SqlValue>,
) -> Result<String, CompileError> {
    let Some(key) = key_text(operand) else {
        return Err(cond.missing("one key (a string)"));
    };
    let doc = cond.doc_sql(params);
    let b = bind(params, SqlValue::Text(Value::String(key).to_string()));
    Ok(format!("(inkeep_jsonb_exists({doc}, {b}) = 1)"))
}

/// `jsonHasAnyKey` (`?|`) and `jsonHasAllKeys` (`?&`): one key counts as a list of one.
fn has_keys_sql(
    cond: &JsonCondition<'_>,
    operand: Value,
    params: &mut Vec<SqlValue>,
) -> Result<String, CompileError> {
    let items = match operand {
        Value::Array(items) => items,
        Value::String(_) | Value::Number(_) | Value::Bool(_) => vec![operand],
        _ => return Err(cond.missing("a list of keys")),
    };
    let mut keys = Vec::with_capacity(items.len());
    for item in &items {
        let Some(key) = key_text(item) else {
            return Err(cond.missing("a list of keys (strings)"));
        };
        keys.push(Value::String(key));
    }
    let function = if cond.operator == Operator::JsonHasAnyKey {
        "inkeep_jsonb_exists_any"
    } else {
        "inkeep_jsonb_exists_all"
    };
    let doc = cond.doc_sql(params);
    let b = bind(params, SqlValue::Text(Value::Array(keys).to_string()));
    Ok(format!("({function}({doc}, {b}) = 1)"))
}

/// `jsonArrayContainsObject`: takes a JSON object as its value, never a pair.
fn array_contains_object_sql(
    cond: &JsonCondition<'_>,
    params: &mut Vec<SqlValue>,
) -> Result<String, CompileError> {
    let Some(FilterValue::Json(object)) = cond.value else {
        return Err(cond.missing("a JSON object, such as {\"title\": \"Pricing\"}"));
    };
    let b = bind(params, SqlValue::Text(Value::Object(object.clone()).to_string()));
    Ok(format!("(inkeep_json_array_contains_object({}, {b}) = 1)", cond.column))
}
