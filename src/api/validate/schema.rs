//! The problems that put a body outside the published schema of its view, as opposed to a
//! body the schema admits but that cannot be answered: a field the view does not have, an
//! `orderBy.field` outside the view's closed set, the `query` key on a view other than
//! semantic threads. The real server's schema check refuses these before anything else.

use super::{Problem, foreign_field_message};
use crate::api::columns::is_published_order_by_field;
use crate::api::query::{Aggregation, Field, Filter, QueryBody, Selection, TimeUnit};
use crate::api::view::View;

/// The breaches of `view`'s published schema in `query`, in document order. The demo server
/// answers them as it answers a body of the wrong shape (400); [`super::validate`] reports
/// them too, among the others.
pub fn published_schema_problems(view: View, query: &QueryBody) -> Vec<Problem> {
    let mut out: Vec<Problem> = query_key_problem(view, query).into_iter().collect();
    out.extend(foreign_field_problems(view, query));
    out.extend(
        query
            .order_by
            .iter()
            .enumerate()
            .filter(|(_, order)| !is_published_order_by_field(view, &order.field))
            .map(|(index, order)| {
                Problem::new(format!("orderBy[{index}].field"), unsortable_message(view, &order.field))
            }),
    );
    out
}

/// The fields `query` names outside `orderBy` that `view` does not have, in document order.
pub fn foreign_field_problems(view: View, query: &QueryBody) -> Vec<Problem> {
    foreign(view, field_references(query))
}

/// The fields `filter` (at `where`) names that `view` does not have, in document order.
pub fn foreign_filter_problems(view: View, filter: &Filter) -> Vec<Problem> {
    let mut references = Vec::new();
    filter_references(filter, "where", &mut references);
    foreign(view, references)
}

fn foreign(view: View, references: Vec<(String, Field)>) -> Vec<Problem> {
    references
        .into_iter()
        .filter(|(_, field)| !view.has_field(*field))
        .map(|(at, field)| Problem::new(at, foreign_field_message(view, field)))
        .collect()
}

/// The `query` text search on a view that does not take it.
pub(super) fn query_key_problem(view: View, query: &QueryBody) -> Option<Problem> {
    (query.query.is_some() && !view.takes_text_search()).then(|| {
        Problem::new(
            "query",
            format!(
                "`query` (the text search) only works on the semantic threads view, not on the {} view; \
                 remove it or filter with `where`.",
                view.noun()
            ),
        )
    })
}

/// Every field the body names outside `orderBy`, with its wire path, in document order.
fn field_references(query: &QueryBody) -> Vec<(String, Field)> {
    let mut out = Vec::new();
    for (index, selection) in query.select.iter().enumerate() {
        let field = match selection {
            Selection::Field { field, .. } => Some(*field),
            Selection::Aggregation { field, .. } | Selection::Time { field, .. } => *field,
        };
        if let Some(field) = field {
            out.push((format!("select[{index}].field"), field));
        }
    }
    for (index, group) in query.group_by.iter().enumerate() {
        out.push((format!("groupBy[{index}].field"), group.field));
    }
    if let Some(filter) = &query.filter {
        filter_references(filter, "where", &mut out);
    }
    out
}

/// The conditions' fields of `filter`, in document order. Iterative, so that no nesting
/// depth can overflow the stack (the demo's compiler walks a tree before measuring it).
fn filter_references(filter: &Filter, at: &str, out: &mut Vec<(String, Field)>) {
    let mut stack = vec![(filter, at.to_string())];
    while let Some((node, at)) = stack.pop() {
        let (key, items) = match node {
            Filter::Condition(condition) => {
                out.push((format!("{at}.condition.field"), condition.field));
                continue;
            }
            Filter::And(items) => ("and", items),
            Filter::Or(items) => ("or", items),
        };
        // Pushed last to first, so popped in document order.
        for (index, item) in items.iter().enumerate().rev() {
            stack.push((item, format!("{at}.{key}[{index}]")));
        }
    }
}

/// The field an order-by name is built on (`eventType` in `count_eventType`), if any.
fn order_by_base(column: &str) -> Option<Field> {
    Field::from_name(column)
        .or_else(|| {
            let (field, unit) = column.rsplit_once('_')?;
            TimeUnit::from_name(unit).and(Field::from_name(field))
        })
        .or_else(|| {
            let (aggregation, field) = column.split_once('_')?;
            Aggregation::ALL.into_iter().any(|a| a.as_str() == aggregation).then_some(())?;
            Field::from_name(field)
        })
}

/// Why `column` (outside `view`'s published set) cannot be sorted by, and what to do instead.
pub(super) fn unsortable_message(view: View, column: &str) -> String {
    if let Some(field) = order_by_base(column).filter(|field| !view.has_field(*field)) {
        return format!(
            "`{column}` cannot be sorted by on the server: {}",
            foreign_field_message(view, field)
        );
    }
    let rule = "the published schema only sorts by fields, time buckets and sum/count/avg/min/max of a field";
    let instead = if column == Aggregation::Count.as_str() {
        "Select the count of `id` (column `count_id`) and sort by that, or sort the column in the grid."
            .to_string()
    } else if let Some(rest) = column.strip_prefix("countDistinct_") {
        format!(
            "A distinct count (of `{rest}`) cannot be sorted by on the server; sort the column in the grid."
        )
    } else if let Some(aggregation) =
        Aggregation::ALL.into_iter().find(|aggregation| aggregation.as_str() == column)
    {
        format!("`{aggregation}` needs a field; select `{aggregation}` of a field and sort by that column.")
    } else if column.contains('.') {
        "A path inside a JSON field cannot be sorted by on the server; group by or select it and sort \
         the column in the grid."
            .to_string()
    } else {
        let sum = view.numeric_fields().first().map(|field| format!(", `sum_{field}`")).unwrap_or_default();
        let plain = if view.has_field(Field::Type) { Field::Type } else { Field::Id };
        format!(
            "Sort by a field (`{plain}`), a time bucket (`{}_day`) or an aggregation of a field \
             (`count_id`{sum}), or sort the column in the grid.",
            view.default_time_field()
        )
    };
    format!("`{column}` cannot be sorted by on the server: {rule}. {instead}")
}
