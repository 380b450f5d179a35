//! Switching a query tab to another view: the pure rule that adapts a draft to the view,
//! keeping what still applies and listing what was dropped, so the notice can say exactly
//! that ("Dropped for Feedback: group by userMessageCount, filter on firstMessageTime").
//!
//! Every view shares one body shape, so only what names a field the new view lacks goes:
//! selections (fields, aggregations over them, time buckets on them), group-by keys,
//! filter conditions and sort keys on such fields, and the `query` text search on a view
//! that does not take it. A time bucket without a field buckets the view's default time,
//! so it stays and a sort key on its column follows the new column name
//! (`firstMessageTime_week` becomes `createdAt_week`).

use crate::api::columns::{ColumnSource, result_columns, time_column_name};
use crate::api::query::{Field, Selection};
use crate::api::view::{View, name_list};
use crate::app::draft::{ConditionDraft, FilterDraft, GroupDraft, QueryDraft, ScalarDraft, ValueForm};

/// A draft adapted to a view, and what had to go.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewSwitch {
    /// The draft on the new view.
    pub draft: QueryDraft,
    /// What was dropped, each as the notice names it (`group by userMessageCount`), in the
    /// order of the body, without repeats.
    pub dropped: Vec<String>,
}

impl ViewSwitch {
    /// The notice after the switch: what was dropped, or that nothing was.
    pub fn notice(&self) -> String {
        let title = self.draft.view.title();
        if self.dropped.is_empty() {
            format!("Switched to {title}; the whole query still applies.")
        } else {
            let names: Vec<&str> = self.dropped.iter().map(String::as_str).collect();
            format!("Dropped for {title}: {} (Ctrl+Z brings them back).", name_list(&names, "and"))
        }
    }
}

/// `draft` moved to `view`: every part naming a field `view` lacks is removed, the rest kept.
pub fn adapt_to_view(draft: &QueryDraft, view: View) -> ViewSwitch {
    let old_view = draft.view;
    let mut dropped = Vec::new();
    let mut drop = |what: String| {
        if !dropped.contains(&what) {
            dropped.push(what);
        }
    };
    let mut out = draft.clone();
    out.view = view;

    // Sort keys first: which column each names is read against the query as it was.
    let old_columns = result_columns(old_view, &draft.columns_body());
    let mut order_by = Vec::new();
    // Said last, in body order (select, groupBy, where, orderBy).
    let mut dropped_sorts = Vec::new();
    for key in &draft.order_by {
        let column = old_columns.iter().find(|column| column.matches(&key.field));
        let field = match column {
            Some(column) => source_field(&column.source),
            None => Field::from_name(&key.field),
        };
        match column.map(|column| &column.source) {
            // A bucket of the default time follows the view's default time.
            Some(ColumnSource::TimeBucket { unit, field })
                if *field == old_view.default_time_field() && has_default_bucket(draft, *unit) =>
            {
                let mut key = key.clone();
                key.field = time_column_name(*unit, view.default_time_field());
                order_by.push(key);
            }
            _ if field.is_some_and(|field| !view.has_field(field)) => {
                dropped_sorts.push(format!("sort by {}", key.field));
            }
            _ => order_by.push(key.clone()),
        }
    }

    let mut select = Vec::new();
    for selection in &draft.select {
        let field = match selection {
            Selection::Field { field, .. } => Some(*field),
            Selection::Aggregation { field, .. } => *field,
            Selection::Time { field, .. } => *field,
        };
        if field.is_some_and(|field| !view.has_field(field)) {
            let column = crate::api::columns::selection_column(old_view, selection);
            drop(format!("select {}", column.name));
        } else {
            select.push(selection.clone());
        }
    }
    let mut group_by = Vec::new();
    for group in &draft.group_by {
        if view.has_field(group.field) {
            group_by.push(group.clone());
        } else {
            drop(format!("group by {}", group.field));
        }
    }
    out.filter = draft.filter.as_ref().and_then(|filter| keep_filter(filter, view, &mut drop));
    if out.text_search.is_some() && !view.takes_text_search() {
        out.text_search = None;
        drop("text search".to_string());
    }
    for sort in dropped_sorts {
        drop(sort);
    }
    out.select = select;
    out.group_by = group_by;
    out.order_by = order_by;
    ViewSwitch { draft: out, dropped }
}

/// True when the select has a time bucket of `unit` without a field (the view's default).
fn has_default_bucket(draft: &QueryDraft, unit: crate::api::query::TimeUnit) -> bool {
    draft.select.iter().any(
        |selection| matches!(selection, Selection::Time { time_unit, field: None } if *time_unit == unit),
    )
}

/// The first value of `condition` outside the closed set `view` documents for its field
/// (`openai` as the `type` of feedback), if any.
fn foreign_value(condition: &ConditionDraft, view: View) -> Option<String> {
    let known = view.documented_values(condition.field)?;
    let values: Vec<&ScalarDraft> = match condition.value.form {
        ValueForm::Scalar => vec![&condition.value.scalar],
        ValueForm::List => condition.value.list.iter().collect(),
        ValueForm::None | ValueForm::Json | ValueForm::Path | ValueForm::Null => Vec::new(),
    };
    values
        .into_iter()
        .map(|value| value.text.trim())
        .find(|text| !text.is_empty() && !known.contains(text))
        .map(str::to_string)
}

/// The field a column's values come from, if one.
fn source_field(source: &ColumnSource) -> Option<Field> {
    match source {
        ColumnSource::Raw(field)
        | ColumnSource::Field { field, .. }
        | ColumnSource::Unpacked(field)
        | ColumnSource::JsonText(field)
        | ColumnSource::TimeBucket { field, .. } => Some(*field),
        ColumnSource::Aggregation { field, .. } => *field,
    }
}

/// The filter without conditions on fields `view` lacks; a group left empty by that goes
/// too (a group that was empty before stays: the user is building it).
fn keep_filter(filter: &FilterDraft, view: View, drop: &mut impl FnMut(String)) -> Option<FilterDraft> {
    match filter {
        FilterDraft::Condition(condition) => {
            if !view.has_field(condition.field) {
                drop(format!("filter on {}", condition.field));
                None
            } else if let Some(foreign) = foreign_value(condition, view) {
                // `type = openai` names a conversation type: it does not apply to feedback.
                drop(format!("filter on {} = {foreign}", condition.field));
                None
            } else {
                Some(filter.clone())
            }
        }
        FilterDraft::Group(group) => {
            let items: Vec<FilterDraft> =
                group.items.iter().filter_map(|item| keep_filter(item, view, drop)).collect();
            if items.is_empty() && !group.items.is_empty() {
                None
            } else {
                Some(FilterDraft::Group(GroupDraft { kind: group.kind, items }))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::api::query::{Aggregation, parse_query};

    fn draft(view: View, body: serde_json::Value) -> QueryDraft {
        QueryDraft::from_body_in(view, &parse_query(&body.to_string()).unwrap())
    }

    fn cond(field: &str, operator: &str, value: serde_json::Value) -> serde_json::Value {
        json!({"condition": {"field": field, "operator": operator, "value": value}})
    }

    #[test]
    fn drops_exactly_what_the_view_lacks_and_keeps_the_rest() {
        let before = draft(
            View::Conversations,
            json!({
                "select": [
                    {"type": "aggregation", "aggregation": "count", "field": "id"},
                    {"type": "aggregation", "aggregation": "sum", "field": "userMessageCount"},
                    {"type": "field", "field": "type"}
                ],
                "groupBy": [{"field": "userMessageCount"}, {"field": "projectId"}],
                "where": {"and": [
                    cond("firstMessageTime", "gte", json!("2024-01-01")),
                    cond("type", "in", json!(["openai", "support_ticket"])),
                    cond("integrationId", "eq", json!("i1")),
                    cond("firstMessageTime", "lt", json!("2024-02-01"))
                ]},
                "orderBy": [
                    {"field": "sum_userMessageCount", "direction": "desc"},
                    {"field": "count_id", "direction": "asc"}
                ],
                "notes": "kept"
            }),
        );
        let switch = adapt_to_view(&before, View::Feedback);
        assert_eq!(
            switch.dropped,
            [
                "select sum_userMessageCount",
                "group by userMessageCount",
                "filter on firstMessageTime",
                "filter on type = openai",
                "sort by sum_userMessageCount"
            ]
        );
        let after = switch.draft.to_body().unwrap();
        let expected = parse_query(
            &json!({
                "select": [
                    {"type": "aggregation", "aggregation": "count", "field": "id"},
                    {"type": "field", "field": "type"}
                ],
                "groupBy": [{"field": "projectId"}],
                "where": {"and": [cond("integrationId", "eq", json!("i1"))]},
                "orderBy": [{"field": "count_id", "direction": "asc"}],
                "notes": "kept"
            })
            .to_string(),
        )
        .unwrap();
        assert_eq!(after, expected);
        assert_eq!(switch.draft.view, View::Feedback);
        assert_eq!(
            switch.notice(),
            "Dropped for Feedback: select sum_userMessageCount, group by userMessageCount, filter on \
             firstMessageTime, filter on type = openai and sort by sum_userMessageCount (Ctrl+Z brings them \
             back)."
        );
    }

    #[test]
    fn a_query_that_fits_both_views_is_unchanged_but_for_the_view() {
        let before = draft(
            View::Conversations,
            json!({
                "select": [{"type": "aggregation", "aggregation": "countDistinct", "field": "projectId"}],
                "groupBy": [{"field": "integrationId"}],
                "where": cond("properties", "jsonHasKey", json!("source"))
            }),
        );
        let switch = adapt_to_view(&before, View::Events);
        assert!(switch.dropped.is_empty());
        assert_eq!(QueryDraft { view: View::Conversations, ..switch.draft.clone() }, before);
        assert_eq!(switch.notice(), "Switched to Events; the whole query still applies.");
        // And back: the same draft again.
        assert_eq!(adapt_to_view(&switch.draft, View::Conversations).draft, before);
    }

    #[test]
    fn a_default_time_bucket_stays_and_its_sort_key_follows_the_new_time_field() {
        let before = draft(
            View::Conversations,
            json!({
                "select": [
                    {"type": "time", "timeUnit": "week"},
                    {"type": "time", "timeUnit": "day", "field": "firstMessageTime"},
                    {"type": "aggregation", "aggregation": "count"}
                ],
                "orderBy": [
                    {"field": "firstMessageTime_week", "direction": "asc"},
                    {"field": "firstMessageTime_day", "direction": "asc"}
                ]
            }),
        );
        let switch = adapt_to_view(&before, View::Feedback);
        assert_eq!(switch.dropped, ["select firstMessageTime_day", "sort by firstMessageTime_day"]);
        let body = switch.draft.to_body().unwrap();
        assert_eq!(body.order_by.len(), 1);
        assert_eq!(body.order_by[0].field, "createdAt_week");
        assert_eq!(body.select[0], Selection::time(crate::api::query::TimeUnit::Week));
        // Semantic threads begin at firstMessageTime too: the bucketed field is back.
        let threads = adapt_to_view(&switch.draft, View::SemanticThreads);
        assert!(threads.dropped.is_empty(), "{:?}", threads.dropped);
        assert_eq!(threads.draft.order_by[0].field, "firstMessageTime_week");
    }

    #[test]
    fn groups_emptied_by_the_switch_go_and_the_text_search_stays_on_threads_only() {
        let mut before = draft(
            View::SemanticThreads,
            json!({
                "select": [{"type": "aggregation", "aggregation": "count"}],
                "where": {"or": [
                    {"and": [cond("isDocumented", "eq", json!(false)), cond("category", "eq", json!("billing"))]},
                    cond("projectId", "eq", json!("p1"))
                ]}
            }),
        );
        before.text_search = Some("refund".into());
        assert!(before.to_body().is_ok());
        let switch = adapt_to_view(&before, View::Events);
        assert_eq!(switch.dropped, ["filter on isDocumented", "filter on category", "text search"]);
        let body = switch.draft.to_body().unwrap();
        assert_eq!(body.query, None);
        assert_eq!(
            serde_json::to_value(body.filter).unwrap(),
            json!({"or": [cond("projectId", "eq", json!("p1"))]})
        );
        // A group the user left empty while building is not theirs to lose.
        let mut building = QueryDraft { select: vec![Selection::count()], ..QueryDraft::default() };
        building.filter = Some(FilterDraft::Group(GroupDraft::default()));
        let switch = adapt_to_view(&building, View::Feedback);
        assert!(switch.dropped.is_empty());
        assert_eq!(switch.draft.filter, building.filter);
    }

    #[test]
    fn every_view_pair_yields_a_draft_the_new_view_accepts() {
        // The widest query each view can state: every field selected, grouped and filtered.
        for from in View::ALL {
            let mut full = QueryDraft { view: from, ..QueryDraft::default() };
            for field in from.fields() {
                full.select.push(Selection::aggregate(Aggregation::Max, field));
            }
            for to in View::ALL {
                let switch = adapt_to_view(&full, to);
                for selection in &switch.draft.select {
                    let Selection::Aggregation { field: Some(field), .. } = selection else { continue };
                    assert!(to.has_field(*field), "{from:?} → {to:?} kept {field}");
                }
                let kept = switch.draft.select.len();
                let gone = switch.dropped.len();
                assert_eq!(kept + gone, from.fields().len(), "{from:?} → {to:?}");
            }
        }
    }
}
