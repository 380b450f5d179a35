//! The wire contract of `API.md`, checked against literal JSON documents: every shape of the
//! query body round-trips exactly; everything else is refused with the path of the offending
//! part; validation reports each rule's problem at the right path; result columns are named
//! by the API's rules.

// The helpers below are test code too; clippy's allow-unwrap-in-tests only covers `#[test]` fns.
#![allow(clippy::unwrap_used)]

use inkeep_explorer::api::columns::{
    ColumnSource, is_published_order_by_field, produces_column, result_columns,
};
use inkeep_explorer::api::query::{
    Aggregation, Condition, Direction, Field, FieldMode, Filter, FilterValue, GroupBy, Operator, OrderBy,
    PathTarget, QueryBody, Scalar, Selection, TimeUnit, parse_query, query_from_value,
};
use inkeep_explorer::api::validate::{MAX_BODY_BYTES, MAX_NOTES_CHARS, Problem, validate, validate_for_send};
use inkeep_explorer::api::view::View;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Parses the literal document (as text, the way a body arrives), checks that it equals
/// `expected`, and that both it and `expected` serialise back to exactly the literal: the
/// same JSON value and the same key order.
fn assert_round_trip(doc: Value, expected: &QueryBody) {
    let text = serde_json::to_string_pretty(&doc).unwrap();
    let parsed = parse_query(&text).unwrap_or_else(|err| panic!("{doc} did not parse: {err}"));
    assert_eq!(&parsed, expected, "parsed value of {doc}");
    assert_eq!(query_from_value(&doc).unwrap(), parsed, "query_from_value of {doc}");
    let back = serde_json::to_value(&parsed).unwrap();
    assert_eq!(back, doc, "serialised form of {doc}");
    // `Value` equality ignores key order; the documented order is part of "exact JSON".
    assert_eq!(serde_json::to_string(expected).unwrap(), serde_json::to_string(&doc).unwrap());
}

fn body_with_select(select: Vec<Selection>) -> QueryBody {
    QueryBody { select, ..QueryBody::default() }
}

fn body_with_filter(filter: Filter) -> QueryBody {
    QueryBody { filter: Some(filter), ..QueryBody::default() }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// Parses `text`, which must fail, and returns (path, message).
fn rejection(text: &str) -> (String, String) {
    match parse_query(text) {
        Ok(body) => panic!("{text} was accepted as {body:?}"),
        Err(err) => (err.path, err.message),
    }
}

fn assert_rejected(text: &str, path: &str, fragment: &str) {
    let (got_path, message) = rejection(text);
    assert_eq!(got_path, path, "path for {text} (message: {message})");
    assert!(
        message.contains(fragment),
        "message for {text} is {message:?}, expected it to contain {fragment:?}"
    );
}

/// The problems validation finds in a literal document (which must parse).
fn problems(doc: Value) -> Vec<Problem> {
    let body = query_from_value(&doc).unwrap_or_else(|err| panic!("{doc} did not parse: {err}"));
    validate(View::Conversations, &body)
}

/// Exactly one problem, at `path`, whose message contains `fragment`.
fn assert_problem(doc: Value, path: &str, fragment: &str) {
    let found = problems(doc.clone());
    assert_eq!(found.len(), 1, "expected one problem in {doc}, got {found:#?}");
    assert_eq!(found[0].path, path, "path of the problem in {doc}: {found:#?}");
    assert!(
        found[0].message.contains(fragment),
        "message {:?} for {doc} should contain {fragment:?}",
        found[0].message
    );
}

fn assert_valid(doc: Value) {
    let found = problems(doc.clone());
    assert!(found.is_empty(), "expected {doc} to be valid, got {found:#?}");
}

fn condition(field: &str, operator: &str, value: Option<Value>) -> Value {
    let mut condition = json!({"field": field, "operator": operator});
    if let Some(value) = value {
        condition["value"] = value;
    }
    json!({"where": {"condition": condition}})
}

mod column_names;
mod rejections;
mod round_trips;
mod validation;
mod views;
