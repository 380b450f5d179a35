//! JSONB semantics in Rust: PostgreSQL's `@>`, `<@`, `?`, `?|`, `?&` and the demo API's
//! `jsonArrayContainsObject`, registered as deterministic SQLite functions that the
//! compiled filters call.

use std::convert::Infallible;

use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;
use rusqlite::types::ValueRef;
use serde_json::{Map, Number, Value};

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
    use rusqlite::Connection;
    use serde_json::{Value, json};

    use super::*;

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
}
