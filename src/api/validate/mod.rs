//! Client-side validation of a [`QueryBody`] sent to one [`View`]: the rules the server
//! applies, checked before anything is sent.
//!
//! The embedded demo server calls [`validate`] too, so this module *is* its rule set. Each
//! [`Problem`] names the part of the query it concerns by its wire path, spelled the way
//! `serde_path_to_error` prints it (`select[1].field`, `where.and[2].condition.value`,
//! empty for the whole body), so the form can point at the offending input and the server
//! can report it.
//!
//! The file is long because the rules of the three parts of a body (selections and
//! grouping, the filter tree, sorting) share its path and message helpers, and each rule
//! is short; the breaches of the published schema, which the demo answers differently, are
//! apart in `schema`.
//!
//! Where `API.md` is silent, the rules follow what a careful server over a SQL store would
//! refuse rather than silently answer wrongly:
//! - a whole JSON field (no `path`) can be selected, counted and tested with the JSON
//!   operators, but not grouped by, aggregated other than by `count`, or compared with a plain
//!   value (`eq`, `gt`, `in`…: those need a `{path, value}` pair): whole objects have no
//!   meaningful order, and their equality depends on how the store writes them;
//! - every field named must be a field of the view, a time bucket must bucket one of the
//!   view's timestamp fields, and only semantic threads take the `query` text search; the
//!   messages name the view (and the views a foreign field belongs to);
//! - comparisons on plain fields must use the field's type (numbers for `userMessageCount`,
//!   RFC 3339 timestamps or `YYYY-MM-DD` dates for `firstMessageTime`, one of the documented
//!   values for `type`, `true`/`false` for booleans, text for the ids); an array of strings
//!   (`languages`) is tested with `arrayContains` (or `isNull` / `isNotNull`);
//! - two selections may not produce the same result column, the same group-by key may not
//!   appear twice, and the same column may not be sorted by twice;
//! - a query must produce at least one column;
//! - `orderBy.field` must be in the view's published closed set
//!   ([`is_published_order_by_field`]); [`published_schema_problems`] lists the breaches of
//!   the published schema (that set, fields outside the view, `query` elsewhere);
//! - `"value": null` only goes with `isNull` / `isNotNull` (where it means "no value"); a
//!   `{path, value: null}` pair is how `eq` / `neq` test for a missing value inside JSON.

use std::fmt;
use std::io;

use super::columns::{is_published_order_by_field, produces_column, result_columns, selection_column};
use super::query::{
    Aggregation, Condition, Field, FieldMode, Filter, FilterValue, GroupBy, Operator, PathTarget, QueryBody,
    Scalar, Selection,
};
use super::timestamp::is_filter_timestamp;
use super::view::{FieldType, View, field_list, foreign_field_message};

mod schema;

pub use schema::{foreign_field_problems, foreign_filter_problems, published_schema_problems};
use schema::{query_key_problem, unsortable_message};

/// One problem found in a query, with the path to the part it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Wire path of the offending part (`where.and[2].condition.value`); empty for the whole body.
    pub path: String,
    /// A sentence a support manager can act on.
    pub message: String,
}

impl Problem {
    /// A problem at `path` (empty for the whole body).
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem { path: path.into(), message: message.into() }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "`{}`: {}", self.path, self.message)
        }
    }
}

/// The most characters (not bytes) `notes` may hold.
pub const MAX_NOTES_CHARS: usize = 80;

/// The largest serialized body, in bytes, the API accepts.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// All problems of `query` sent to `view`, in document order; empty = valid.
pub fn validate(view: View, query: &QueryBody) -> Vec<Problem> {
    let mut out = Vec::new();
    out.extend(query_key_problem(view, query));
    if result_columns(view, query).is_empty() {
        out.push(Problem::new(
            "",
            "This query returns no columns: nothing is selected and every group-by key has \
             includeInSelect set to false. Select something or include a group-by key.",
        ));
    }
    check_selections(view, &query.select, &mut out);
    check_group_by(view, &query.group_by, &mut out);
    if let Some(filter) = &query.filter {
        check_filter(view, filter, "where", &mut out);
    }
    check_order_by(view, query, &mut out);
    if let Some(notes) = &query.notes {
        let char_count = notes.chars().count();
        if char_count > MAX_NOTES_CHARS {
            out.push(Problem::new(
                "notes",
                format!("Notes may be at most {MAX_NOTES_CHARS} characters; these have {char_count}."),
            ));
        }
    }
    out
}

/// [`validate`] plus the serialized-size check (body at most 2 MB).
pub fn validate_for_send(view: View, query: &QueryBody) -> Result<(), Vec<Problem>> {
    let mut problems = Vec::new();
    // The whole body comes first in document order, so its size problem leads the list.
    match serialized_byte_count(query) {
        Ok(byte_count) if byte_count > MAX_BODY_BYTES => problems.push(Problem::new(
            "",
            format!(
                "The query is {:.1} MB ({byte_count} bytes) when sent, but the API accepts at most 2 MB \
                 ({MAX_BODY_BYTES} bytes). Shorten the longest lists of values.",
                mebibytes(byte_count)
            ),
        )),
        Ok(_) => {}
        Err(error) => {
            problems.push(Problem::new("", format!("The query could not be written as JSON: {error}.")))
        }
    }
    problems.extend(validate(view, query));
    if problems.is_empty() { Ok(()) } else { Err(problems) }
}

/// The size of the compact JSON the client sends, counted without building it.
fn serialized_byte_count(query: &QueryBody) -> Result<usize, serde_json::Error> {
    let mut counter = ByteCounter { byte_count: 0 };
    serde_json::to_writer(&mut counter, query)?;
    Ok(counter.byte_count)
}

struct ByteCounter {
    byte_count: usize,
}

impl io::Write for ByteCounter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.byte_count = self.byte_count.saturating_add(buf.len());
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn mebibytes(byte_count: usize) -> f64 {
    // Precision loss is irrelevant for a one-decimal size in a message.
    let bytes = byte_count as f64;
    bytes / (1024.0 * 1024.0)
}

// ---------------------------------------------------------------------------------------------
// Selections and group-by
// ---------------------------------------------------------------------------------------------

/// The JSON fields of `view` as a phrase: "the JSON fields properties and userProperties".
fn json_fields_phrase(view: View) -> String {
    format!("the JSON fields {}", field_list(&view.json_fields(), "and"))
}

/// What `sum` / `avg` can work on in `view`: "userMessageCount or a JSON path".
fn number_sources(view: View) -> String {
    let numeric = view.numeric_fields();
    if numeric.is_empty() {
        "a JSON path".to_string()
    } else {
        format!("{} or a JSON path", field_list(&numeric, "or"))
    }
}

/// Reports `field` at `at` when it is not a field of `view`; true when it is foreign (the
/// caller then skips the checks that depend on the field).
fn foreign_field(view: View, field: Field, at: &str, out: &mut Vec<Problem>) -> bool {
    let foreign = !view.has_field(field);
    if foreign {
        out.push(Problem::new(at, foreign_field_message(view, field)));
    }
    foreign
}

fn check_selections(view: View, select: &[Selection], out: &mut Vec<Problem>) {
    let names: Vec<String> = select.iter().map(|s| selection_column(view, s).name).collect();
    for (index, selection) in select.iter().enumerate() {
        let at = format!("select[{index}]");
        let name = names.get(index).map(String::as_str).unwrap_or_default();
        if let Some(first) = names.iter().take(index).position(|earlier| earlier == name) {
            out.push(Problem::new(
                at.as_str(),
                format!(
                    "This selection produces the column `{name}`, which select[{first}] already produces; \
                     remove one of them."
                ),
            ));
        }
        let field_at = format!("{at}.field");
        match selection {
            Selection::Field { field, path, mode } => {
                if !foreign_field(view, *field, &field_at, out) {
                    check_field_selection(view, &at, *field, path.as_deref(), *mode, out);
                }
            }
            Selection::Aggregation { aggregation, field, path } => {
                if !field.is_some_and(|field| foreign_field(view, field, &field_at, out)) {
                    check_aggregation(view, &at, *aggregation, *field, path.as_deref(), out);
                }
            }
            Selection::Time { time_unit: _, field: Some(field) } => {
                if !foreign_field(view, *field, &field_at, out) && !field.is_timestamp() {
                    out.push(Problem::new(
                        field_at,
                        format!(
                            "Time buckets need a timestamp field of the {} view ({}), not `{field}`.",
                            view.noun(),
                            field_list(&view.timestamp_fields(), "or")
                        ),
                    ));
                }
            }
            Selection::Time { time_unit: _, field: None } => {}
        }
    }
}

fn check_field_selection(
    view: View,
    at: &str,
    field: Field,
    path: Option<&[String]>,
    mode: Option<FieldMode>,
    out: &mut Vec<Problem>,
) {
    if let Some(keys) = path {
        let path_at = format!("{at}.path");
        if field.is_json() {
            check_json_path(&path_at, keys, out);
            if mode == Some(FieldMode::Json) {
                out.push(Problem::new(
                    path_at,
                    "A path cannot be combined with mode \"json\", which returns the whole field as one \
                     column; remove the path or the mode.",
                ));
            }
        } else {
            out.push(not_json_path(view, path_at, field));
        }
    }
    if mode.is_some() && !field.is_json() {
        out.push(Problem::new(
            format!("{at}.mode"),
            format!("`mode` only applies to {}, not to `{field}`.", json_fields_phrase(view)),
        ));
    }
}

fn check_aggregation(
    view: View,
    at: &str,
    aggregation: Aggregation,
    field: Option<Field>,
    path: Option<&[String]>,
    out: &mut Vec<Problem>,
) {
    let field_at = format!("{at}.field");
    let path_at = format!("{at}.path");
    let Some(field) = field else {
        let missing = match aggregation {
            Aggregation::Count => None,
            Aggregation::Sum | Aggregation::Avg => Some(format!(
                "`{aggregation}` needs a number: {}. Choose a field to aggregate.",
                number_sources(view)
            )),
            Aggregation::CountDistinct => {
                Some("`countDistinct` needs a field whose distinct values it counts.".to_string())
            }
            Aggregation::Min => Some("`min` needs a field to take the smallest value of.".to_string()),
            Aggregation::Max => Some("`max` needs a field to take the largest value of.".to_string()),
        };
        if let Some(message) = missing {
            out.push(Problem::new(field_at, message));
        }
        if path.is_some() {
            out.push(Problem::new(
                path_at,
                format!(
                    "A path needs a JSON field: set `field` to {}.",
                    field_list(&view.json_fields(), "or")
                ),
            ));
        }
        return;
    };
    let whole_json = field.is_json() && path.is_none();
    if aggregation.needs_numeric() && !field.is_numeric() && !(field.is_json() && path.is_some()) {
        let detail = if field.is_json() {
            format!("give a path inside `{field}` to a numeric value")
        } else {
            format!("`{field}` is not a number")
        };
        out.push(Problem::new(
            field_at,
            format!("`{aggregation}` needs a number: {} ({detail}).", number_sources(view)),
        ));
    } else if whole_json && aggregation != Aggregation::Count {
        out.push(Problem::new(
            field_at,
            format!(
                "`{aggregation}` cannot work on whole JSON objects; give a path inside `{field}` \
                 (e.g. [\"source\"]), or use `count`."
            ),
        ));
    }
    if let Some(keys) = path {
        if field.is_json() {
            check_json_path(&path_at, keys, out);
        } else {
            out.push(not_json_path(view, path_at, field));
        }
    }
}

fn check_group_by(view: View, group_by: &[GroupBy], out: &mut Vec<Problem>) {
    for (index, group) in group_by.iter().enumerate() {
        let at = format!("groupBy[{index}]");
        if foreign_field(view, group.field, &format!("{at}.field"), out) {
            continue;
        }
        let same_key = |other: &GroupBy| other.field == group.field && other.path == group.path;
        if let Some(first) = group_by.iter().take(index).position(same_key) {
            out.push(Problem::new(
                at.as_str(),
                format!("groupBy[{first}] already groups by this key; remove one of them."),
            ));
        }
        match &group.path {
            Some(keys) if group.field.is_json() => check_json_path(&format!("{at}.path"), keys, out),
            Some(_) => out.push(not_json_path(view, format!("{at}.path"), group.field)),
            None if group.field.is_json() => out.push(Problem::new(
                format!("{at}.field"),
                format!(
                    "Grouping by a whole JSON object is not supported; give a path inside `{}` \
                     (e.g. [\"source\"]).",
                    group.field
                ),
            )),
            None => {}
        }
    }
}

/// A path must have at least one key, and no key may be empty.
fn check_json_path(path_at: &str, keys: &[String], out: &mut Vec<Problem>) {
    if keys.is_empty() {
        out.push(Problem::new(
            path_at,
            "A path needs at least one key, e.g. [\"source\"]; leave `path` out to use the whole field.",
        ));
    }
    for (index, key) in keys.iter().enumerate() {
        if key.is_empty() {
            out.push(Problem::new(format!("{path_at}[{index}]"), "A path key may not be empty."));
        }
    }
}

fn not_json_path(view: View, path_at: String, field: Field) -> Problem {
    Problem::new(
        path_at,
        format!(
            "`{field}` is not a JSON field, so it has no path; paths work on {}.",
            field_list(&view.json_fields(), "and")
        ),
    )
}

// ---------------------------------------------------------------------------------------------
// The filter tree
// ---------------------------------------------------------------------------------------------

fn check_filter(view: View, filter: &Filter, at: &str, out: &mut Vec<Problem>) {
    let (key, items) = match filter {
        Filter::Condition(condition) => {
            check_condition(view, condition, &format!("{at}.condition"), out);
            return;
        }
        Filter::And(items) => ("and", items),
        Filter::Or(items) => ("or", items),
    };
    let at = format!("{at}.{key}");
    if items.is_empty() {
        out.push(Problem::new(
            at.as_str(),
            format!("An empty `{key}` has nothing to combine; add a condition to it or remove it."),
        ));
    }
    for (index, item) in items.iter().enumerate() {
        check_filter(view, item, &format!("{at}[{index}]"), out);
    }
}

/// Operators whose value is a list of keys.
fn takes_key_list(operator: Operator) -> bool {
    matches!(operator, Operator::JsonHasAnyKey | Operator::JsonHasAllKeys)
}

/// Operators whose value is a list (`in`, `notIn` and the key lists).
fn takes_list(operator: Operator) -> bool {
    matches!(operator, Operator::In | Operator::NotIn) || takes_key_list(operator)
}

/// The JSON containment operators, which take a JSON object (or a pair).
fn is_containment(operator: Operator) -> bool {
    matches!(operator, Operator::JsonContains | Operator::JsonContainedBy | Operator::JsonArrayContainsObject)
}

/// What `operator` expects as its value on `field`, as a phrase for messages.
fn expected_value(operator: Operator, field: Field) -> &'static str {
    match operator {
        Operator::IsNull | Operator::IsNotNull => "no value",
        Operator::In | Operator::NotIn if field.is_json() => {
            "a {path, value} pair with a list, e.g. {\"path\": [\"source\"], \"value\": [\"slack\", \"web\"]}"
        }
        Operator::In | Operator::NotIn => "a list of values, e.g. [\"a\", \"b\"]",
        Operator::JsonHasAnyKey | Operator::JsonHasAllKeys => "a list of keys, e.g. [\"source\", \"userId\"]",
        Operator::JsonHasKey => "a key name, e.g. \"source\"",
        Operator::JsonContains | Operator::JsonContainedBy => {
            "a JSON object, e.g. {\"source\": \"slack\"}, or a {path, value} pair"
        }
        Operator::JsonArrayContainsObject => "a JSON object, e.g. {\"id\": \"42\"}",
        Operator::ArrayContains => "one value, or a {path, value} pair",
        Operator::Eq | Operator::Neq | Operator::Gt | Operator::Gte | Operator::Lt | Operator::Lte
            if field.is_json() =>
        {
            "a {path, value} pair, e.g. {\"path\": [\"source\"], \"value\": \"slack\"}"
        }
        Operator::Eq | Operator::Neq | Operator::Gt | Operator::Gte | Operator::Lt | Operator::Lte => {
            "one value"
        }
    }
}

fn check_condition(view: View, condition: &Condition, at: &str, out: &mut Vec<Problem>) {
    let Condition { field, operator, value } = condition;
    let (field, operator) = (*field, *operator);
    if foreign_field(view, field, &format!("{at}.field"), out) {
        return;
    }
    let array_test = operator == Operator::ArrayContains && field.is_string_array();
    if operator.is_json_only() && !field.is_json() && !array_test {
        out.push(Problem::new(
            format!("{at}.operator"),
            format!("`{operator}` only works on {}, not on `{field}`.", json_fields_phrase(view)),
        ));
        return;
    }
    if field.is_string_array()
        && !matches!(operator, Operator::ArrayContains | Operator::IsNull | Operator::IsNotNull)
    {
        out.push(Problem::new(
            format!("{at}.operator"),
            format!(
                "`{field}` is a list of strings; test it with arrayContains (or isNull / isNotNull), \
                 not with `{operator}`."
            ),
        ));
        return;
    }
    let value_at = format!("{at}.value");
    let takes_none = matches!(operator, Operator::IsNull | Operator::IsNotNull);
    let Some(value) = value else {
        if !takes_none {
            out.push(Problem::new(
                value_at,
                format!("`{operator}` needs a value: {}.", expected_value(operator, field)),
            ));
        }
        return;
    };
    if takes_none {
        // `"value": null` says "no value" too; anything else is a mistake.
        if *value != FilterValue::Null {
            out.push(Problem::new(value_at, format!("`{operator}` takes no value; remove it.")));
        }
        return;
    }
    match value {
        FilterValue::Null => out.push(Problem::new(value_at, null_value_message(operator, field))),
        FilterValue::Scalar(scalar) => check_scalar_value(view, field, operator, scalar, &value_at, out),
        FilterValue::List(items) => check_list_value(view, field, operator, items, &value_at, out),
        FilterValue::Json(_) => {
            if !is_containment(operator) {
                out.push(Problem::new(
                    value_at,
                    format!(
                        "`{operator}` needs {}; a JSON object only works with jsonContains, \
                         jsonContainedBy and jsonArrayContainsObject.",
                        expected_value(operator, field)
                    ),
                ));
            }
        }
        FilterValue::Path { path, value: target } => {
            check_pair(view, field, operator, path, target, &value_at, out);
        }
    }
}

/// Why `"value": null` does not work with `operator` (never `isNull` / `isNotNull`).
fn null_value_message(operator: Operator, field: Field) -> String {
    match operator {
        // SQL's `= NULL` is never true: the condition would silently match nothing.
        Operator::Eq | Operator::Neq => {
            "Comparing with null matches nothing; use the operator isNull (or isNotNull).".to_string()
        }
        _ => format!("`{operator}` needs {}, not null.", expected_value(operator, field)),
    }
}

fn check_scalar_value(
    view: View,
    field: Field,
    operator: Operator,
    scalar: &Scalar,
    at: &str,
    out: &mut Vec<Problem>,
) {
    if takes_list(operator) || is_containment(operator) {
        out.push(Problem::new(at, format!("`{operator}` needs {}.", expected_value(operator, field))));
        return;
    }
    if field.is_json() {
        match operator {
            // The two operators that take a plain scalar on a whole JSON field.
            Operator::JsonHasKey => check_key(scalar, at, out),
            Operator::ArrayContains => {}
            _ => out.push(Problem::new(
                at,
                format!(
                    "To compare a value inside `{field}`, give a {{path, value}} pair such as \
                     {{\"path\": [\"source\"], \"value\": \"slack\"}}; `{operator}` cannot compare the whole \
                     object with one value."
                ),
            )),
        }
        return;
    }
    if operator.is_ordering() && matches!(scalar, Scalar::Bool(_)) {
        out.push(ordering_bool(operator, at));
        return;
    }
    check_scalar_type(view, field, scalar, at, out);
}

fn check_list_value(
    view: View,
    field: Field,
    operator: Operator,
    items: &[Scalar],
    at: &str,
    out: &mut Vec<Problem>,
) {
    if !takes_list(operator) {
        let hint = match operator {
            Operator::Eq => "; use `in` for several values",
            Operator::Neq => "; use `notIn` for several values",
            _ => "",
        };
        out.push(Problem::new(
            at,
            format!("`{operator}` needs {}, not a list{hint}.", expected_value(operator, field)),
        ));
        return;
    }
    if takes_key_list(operator) {
        check_list_items(operator, items, at, out, check_key);
        return;
    }
    if field.is_json() {
        out.push(Problem::new(
            at,
            format!(
                "To compare a value inside `{field}` with a list, give a {{path, value}} pair such as \
                 {{\"path\": [\"source\"], \"value\": [\"slack\", \"web\"]}}."
            ),
        ));
        return;
    }
    check_list_items(operator, items, at, out, |item, item_at, out| {
        check_scalar_type(view, field, item, item_at, out)
    });
}

/// A list must not be empty; each item is checked with `check_item` at `at[index]`.
fn check_list_items(
    operator: Operator,
    items: &[Scalar],
    at: &str,
    out: &mut Vec<Problem>,
    check_item: impl Fn(&Scalar, &str, &mut Vec<Problem>),
) {
    if items.is_empty() {
        let what = if takes_key_list(operator) { "key" } else { "value" };
        out.push(Problem::new(at, format!("`{operator}` needs at least one {what} in its list.")));
    }
    for (index, item) in items.iter().enumerate() {
        check_item(item, &format!("{at}[{index}]"), out);
    }
}

/// A `{path, value}` pair: JSON fields only, a well-formed path, a target the operator accepts.
fn check_pair(
    view: View,
    field: Field,
    operator: Operator,
    path: &[String],
    target: &PathTarget,
    at: &str,
    out: &mut Vec<Problem>,
) {
    if !field.is_json() {
        out.push(Problem::new(
            at,
            format!(
                "A {{path, value}} pair only works on {}; `{field}` takes a plain value.",
                json_fields_phrase(view)
            ),
        ));
        return;
    }
    check_json_path(&format!("{at}.path"), path, out);
    let target_at = format!("{at}.value");
    let needs_one = |out: &mut Vec<Problem>| {
        let hint = match operator {
            Operator::Eq => "; use `in` for several values",
            Operator::Neq => "; use `notIn` for several values",
            _ => "",
        };
        out.push(Problem::new(
            target_at.as_str(),
            format!("`{operator}` compares with one value, not a list{hint}."),
        ));
    };
    match operator {
        Operator::In | Operator::NotIn | Operator::JsonHasAnyKey | Operator::JsonHasAllKeys => match target {
            PathTarget::List(items) if takes_key_list(operator) => {
                check_list_items(operator, items, &target_at, out, check_key);
            }
            // Values inside JSON fields have no declared type to check list items against.
            PathTarget::List(items) => check_list_items(operator, items, &target_at, out, |_, _, _| {}),
            PathTarget::Scalar(_) | PathTarget::Null => out.push(Problem::new(
                target_at.as_str(),
                format!("`{operator}` needs a list here, e.g. [\"slack\", \"web\"]."),
            )),
        },
        Operator::JsonArrayContainsObject => out.push(Problem::new(
            at,
            format!("`{operator}` needs {}, not a {{path, value}} pair.", expected_value(operator, field)),
        )),
        Operator::JsonContains | Operator::JsonContainedBy | Operator::ArrayContains => {
            if *target == PathTarget::Null {
                out.push(Problem::new(
                    target_at.as_str(),
                    format!("`{operator}` needs something to look for, not null."),
                ));
            } else if operator == Operator::ArrayContains && matches!(target, PathTarget::List(_)) {
                needs_one(out);
            }
        }
        Operator::Eq | Operator::Neq => {
            if matches!(target, PathTarget::List(_)) {
                needs_one(out);
            }
        }
        Operator::Gt | Operator::Gte | Operator::Lt | Operator::Lte => match target {
            PathTarget::List(_) => needs_one(out),
            PathTarget::Null => out.push(Problem::new(
                target_at.as_str(),
                format!(
                    "`{operator}` cannot compare with null; use eq or neq with null to test for a missing \
                     value."
                ),
            )),
            PathTarget::Scalar(scalar) => {
                if operator_is_ordering_bool(operator, scalar) {
                    out.push(ordering_bool(operator, &target_at));
                }
            }
        },
        Operator::JsonHasKey => match target {
            PathTarget::Scalar(scalar) => check_key(scalar, &target_at, out),
            PathTarget::List(_) | PathTarget::Null => out.push(Problem::new(
                target_at.as_str(),
                format!("`{operator}` needs {}.", expected_value(operator, field)),
            )),
        },
        // Handled before any value is looked at.
        Operator::IsNull | Operator::IsNotNull => {}
    }
}

fn operator_is_ordering_bool(operator: Operator, scalar: &Scalar) -> bool {
    operator.is_ordering() && matches!(scalar, Scalar::Bool(_))
}

fn ordering_bool(operator: Operator, at: &str) -> Problem {
    Problem::new(at, format!("`{operator}` cannot put true and false in order; use eq or neq instead."))
}

/// JSON object keys are text.
fn check_key(scalar: &Scalar, at: &str, out: &mut Vec<Problem>) {
    if !matches!(scalar, Scalar::String(_)) {
        out.push(Problem::new(at, format!("A key is text, e.g. \"source\"; `{scalar}` is not.")));
    }
}

/// A scalar compared with a plain field must have the field's type in `view`.
fn check_scalar_type(view: View, field: Field, scalar: &Scalar, at: &str, out: &mut Vec<Problem>) {
    let kind = view.field_type(field).unwrap_or_else(|| field.field_type());
    let problem = match kind {
        FieldType::Number => match scalar {
            Scalar::Number(_) => None,
            Scalar::String(_) | Scalar::Bool(_) => {
                Some(format!("{field} is a number; `{scalar}` is not a number."))
            }
        },
        FieldType::Timestamp => match scalar {
            Scalar::String(text) if is_filter_timestamp(text) => None,
            _ => Some(format!(
                "{field} needs a timestamp in RFC 3339 form such as 2024-05-01T09:30:00Z, or a date \
                 such as 2024-05-01; `{scalar}` is neither."
            )),
        },
        FieldType::Boolean => match scalar {
            Scalar::Bool(_) => None,
            Scalar::String(_) | Scalar::Number(_) => {
                Some(format!("{field} is true or false; `{scalar}` is neither."))
            }
        },
        FieldType::String | FieldType::LongText | FieldType::StringArray => {
            match (scalar, view.documented_values(field)) {
                (Scalar::String(text), Some(values)) if values.contains(&text.as_str()) => None,
                (_, Some(values)) => {
                    Some(format!("{field} is one of {}; `{scalar}` is not one of them.", values.join(", ")))
                }
                (Scalar::String(_), None) => None,
                (Scalar::Number(_) | Scalar::Bool(_), None) => Some(format!(
                    "`{field}` holds text, so compare it with text (\"{scalar}\"), not with {scalar}."
                )),
            }
        }
        // Values inside JSON fields have no declared type.
        FieldType::JsonObject | FieldType::ObjectArray => None,
    };
    if let Some(message) = problem {
        out.push(Problem::new(at, message));
    }
}

// ---------------------------------------------------------------------------------------------
// Order-by
// ---------------------------------------------------------------------------------------------

fn check_order_by(view: View, query: &QueryBody, out: &mut Vec<Problem>) {
    for (index, order) in query.order_by.iter().enumerate() {
        let at = format!("orderBy[{index}].field");
        let column = order.field.as_str();
        if !is_published_order_by_field(view, column) {
            out.push(Problem::new(at, unsortable_message(view, column)));
            continue;
        }
        if !produces_column(view, query, column) {
            out.push(Problem::new(
                at,
                format!(
                    "This query has no column `{column}` to sort by; it produces {}.",
                    produced_columns(view, query)
                ),
            ));
        } else if let Some(first) =
            query.order_by.iter().take(index).position(|earlier| earlier.field == column)
        {
            out.push(Problem::new(
                at,
                format!(
                    "The results are already sorted by `{column}` (orderBy[{first}]); remove one of them."
                ),
            ));
        }
    }
}

/// The columns of `query` as a list for messages: `` `count`, `type` ``, with unpacked JSON
/// selections as `` `properties.<key>` ``.
fn produced_columns(view: View, query: &QueryBody) -> String {
    let names: Vec<String> = result_columns(view, query)
        .iter()
        .map(|column| {
            if column.is_unpacked() {
                format!("`{}.<key>`", column.name)
            } else {
                format!("`{}`", column.name)
            }
        })
        .collect();
    if names.is_empty() { "no columns".to_string() } else { names.join(", ") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order_problems(body: serde_json::Value) -> Vec<Problem> {
        let query = super::super::query::query_from_value(&body).unwrap();
        validate(View::Conversations, &query)
            .into_iter()
            .filter(|problem| problem.path.starts_with("orderBy"))
            .collect()
    }

    #[test]
    fn sorting_outside_the_published_set_is_refused_with_a_way_out() {
        let select = serde_json::json!([
            {"type": "aggregation", "aggregation": "count"},
            {"type": "aggregation", "aggregation": "count", "field": "id"},
            {"type": "aggregation", "aggregation": "countDistinct", "field": "userProperties", "path": ["userId"]},
            {"type": "field", "field": "properties", "path": ["source"]},
            {"type": "time", "timeUnit": "day"},
            {"type": "field", "field": "type"}
        ]);
        let cases = [
            ("count", Some("count_id")),
            ("countDistinct_userProperties.userId", Some("in the grid")),
            ("properties.source", Some("sort the column in the grid")),
            ("count_id", None),
            ("firstMessageTime_day", None),
            ("type", None),
        ];
        for (column, hint) in cases {
            let problems = order_problems(serde_json::json!({
                "select": select, "orderBy": [{"field": column, "direction": "desc"}]
            }));
            let outside = published_schema_problems(
                View::Conversations,
                &super::super::query::query_from_value(&serde_json::json!({
                    "select": select, "orderBy": [{"field": column, "direction": "desc"}]
                }))
                .unwrap(),
            );
            assert_eq!(problems, outside, "{column}: every orderBy problem here is a schema breach");
            assert_eq!(
                problems.is_empty(),
                is_published_order_by_field(View::Conversations, column),
                "{column}: {problems:?}"
            );
            if let Some(hint) = hint {
                assert_eq!(problems.len(), 1, "{column}: {problems:?}");
                assert_eq!(problems[0].path, "orderBy[0].field");
                assert!(
                    problems[0].message.starts_with(&format!("`{column}` cannot be sorted by")),
                    "{problems:?}"
                );
                assert!(problems[0].message.contains(hint), "{column}: {}", problems[0].message);
            }
        }
        // A sortable name the query does not produce, and a repeated one, keep their messages.
        let missing = order_problems(serde_json::json!({
            "select": select, "orderBy": [{"field": "sum_userMessageCount", "direction": "asc"}]
        }));
        assert!(missing[0].message.contains("no column `sum_userMessageCount`"), "{missing:?}");
        let twice = order_problems(serde_json::json!({"select": select, "orderBy": [
            {"field": "count_id", "direction": "asc"}, {"field": "count_id", "direction": "desc"}
        ]}));
        assert_eq!(twice.len(), 1);
        assert!(twice[0].message.contains("already sorted by `count_id` (orderBy[0])"), "{twice:?}");
    }

    #[test]
    fn null_values_are_refused_except_as_no_value() {
        let problems = |operator: &str| {
            let query = super::super::query::query_from_value(&serde_json::json!({
                "where": {"condition": {"field": "type", "operator": operator, "value": null}}
            }))
            .unwrap();
            validate(View::Conversations, &query)
        };
        for operator in ["eq", "neq"] {
            let found = problems(operator);
            assert_eq!(found.len(), 1, "{found:?}");
            assert_eq!(found[0].path, "where.condition.value");
            assert_eq!(
                found[0].message,
                "Comparing with null matches nothing; use the operator isNull (or isNotNull)."
            );
        }
        let found = problems("in");
        assert!(found[0].message.contains("not null"), "{found:?}");
        assert_eq!(problems("isNull"), []);
        assert_eq!(problems("isNotNull"), []);
    }

    #[test]
    fn byte_counter_matches_serde_json() {
        let query = QueryBody { notes: Some("é".repeat(10)), ..QueryBody::default() };
        let expected = serde_json::to_vec(&query).unwrap().len();
        assert_eq!(serialized_byte_count(&query).unwrap(), expected);
        assert_eq!(expected, r#"{"notes":""}"#.len() + 20);
    }
}
