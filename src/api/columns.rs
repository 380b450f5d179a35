//! Which columns a query produces, in order, by the API's naming rules.
//!
//! The order-by picker, validation, the grid and the demo server all use
//! [`result_columns`], so a name is spelled one way everywhere:
//! `count`, `sum_userMessageCount`, `countDistinct_userProperties.userId`,
//! `firstMessageTime_day`, `type`, `properties.source`.
//!
//! Order: the selections, in the order given; then each group-by key with
//! `includeInSelect` (default true) that is not already a column. A query with
//! neither selections nor grouping returns raw rows of its view: every field of the view
//! ([`View::fields`]), JSON fields as JSON objects.
//!
//! A time bucket without a field buckets the view's [`View::default_time_field`], so the
//! names depend on the view as well as on the query.

use super::query::{Aggregation, Field, FieldMode, QueryBody, Selection, TimeUnit};
use super::view::View;

/// Where a result column's values come from.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnSource {
    /// A raw field of the view as stored (JSON fields as objects).
    Raw(Field),
    /// A plain field, or the value at a JSON path inside a JSON field.
    Field {
        /// The field.
        field: Field,
        /// Path inside the JSON field; empty for plain fields.
        path: Vec<String>,
    },
    /// A whole JSON field with `mode:"unpack"`: expands at run time into one
    /// `<field>.<key>` column per top-level key present in the result.
    Unpacked(Field),
    /// A whole JSON field with `mode:"json"`: one stringified column.
    JsonText(Field),
    /// An aggregate.
    Aggregation {
        /// The function.
        aggregation: Aggregation,
        /// The field aggregated; none for `count` of rows.
        field: Option<Field>,
        /// Path inside the JSON field.
        path: Vec<String>,
    },
    /// A time bucket: the bucket start as an RFC 3339 string.
    TimeBucket {
        /// Bucket width.
        unit: TimeUnit,
        /// The timestamp field bucketed.
        field: Field,
    },
}

/// One column of a result.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultColumn {
    /// The column name; for [`ColumnSource::Unpacked`] the prefix (`properties`)
    /// of the `properties.<key>` columns it expands to.
    pub name: String,
    /// Where its values come from.
    pub source: ColumnSource,
}

impl ResultColumn {
    /// True when the column stands for a family of `<name>.<key>` columns.
    pub fn is_unpacked(&self) -> bool {
        matches!(self.source, ColumnSource::Unpacked(_))
    }

    /// True when `column` is this column, or one of the columns it unpacks into.
    pub fn matches(&self, column: &str) -> bool {
        if self.is_unpacked() {
            column
                .strip_prefix(self.name.as_str())
                .and_then(|rest| rest.strip_prefix('.'))
                .is_some_and(|key| !key.is_empty())
        } else {
            self.name == column
        }
    }

    /// True when the values are numbers whatever the data (counts, sums, averages,
    /// numeric fields).
    pub fn is_numeric(&self) -> bool {
        match &self.source {
            ColumnSource::Raw(field) => field.is_numeric(),
            ColumnSource::Field { field, path } => path.is_empty() && field.is_numeric(),
            ColumnSource::Aggregation { aggregation, field, path } => match aggregation {
                Aggregation::Count | Aggregation::CountDistinct | Aggregation::Sum | Aggregation::Avg => true,
                Aggregation::Min | Aggregation::Max => {
                    path.is_empty() && field.is_some_and(Field::is_numeric)
                }
            },
            ColumnSource::Unpacked(_) | ColumnSource::JsonText(_) | ColumnSource::TimeBucket { .. } => false,
        }
    }
}

/// The name of a field, or of a path inside it: `type`, `properties.source`.
pub fn field_column_name(field: Field, path: &[String]) -> String {
    if path.is_empty() {
        field.as_str().to_string()
    } else {
        format!("{}.{}", field.as_str(), path.join("."))
    }
}

/// The column name of an aggregation: `count`, `sum_userMessageCount`,
/// `countDistinct_userProperties.userId`.
pub fn aggregation_column_name(aggregation: Aggregation, field: Option<Field>, path: &[String]) -> String {
    match field {
        None => aggregation.as_str().to_string(),
        Some(field) => format!("{}_{}", aggregation.as_str(), field_column_name(field, path)),
    }
}

/// The column name of a time bucket: `firstMessageTime_day`.
pub fn time_column_name(unit: TimeUnit, field: Field) -> String {
    format!("{}_{}", field.as_str(), unit.as_str())
}

/// The column a single selection produces in `view`.
pub fn selection_column(view: View, selection: &Selection) -> ResultColumn {
    match selection {
        Selection::Field { field, path, mode } => {
            let path = path.clone().unwrap_or_default();
            let name = field_column_name(*field, &path);
            let source = if field.is_json() && path.is_empty() {
                match mode.unwrap_or_default() {
                    FieldMode::Unpack => ColumnSource::Unpacked(*field),
                    FieldMode::Json => ColumnSource::JsonText(*field),
                }
            } else {
                ColumnSource::Field { field: *field, path }
            };
            ResultColumn { name, source }
        }
        Selection::Aggregation { aggregation, field, path } => {
            let path = path.clone().unwrap_or_default();
            ResultColumn {
                name: aggregation_column_name(*aggregation, *field, &path),
                source: ColumnSource::Aggregation { aggregation: *aggregation, field: *field, path },
            }
        }
        Selection::Time { time_unit, field } => {
            let field = field.unwrap_or(view.default_time_field());
            ResultColumn {
                name: time_column_name(*time_unit, field),
                source: ColumnSource::TimeBucket { unit: *time_unit, field },
            }
        }
    }
}

/// The columns `query` produces on `view`, in order (see the module docs for the rules).
///
/// Duplicate names collapse into the first occurrence: the API answers with JSON
/// objects, so two columns of one name cannot both come back.
pub fn result_columns(view: View, query: &QueryBody) -> Vec<ResultColumn> {
    if query.select.is_empty() && query.group_by.is_empty() {
        return view
            .fields()
            .into_iter()
            .map(|field| ResultColumn { name: field.as_str().to_string(), source: ColumnSource::Raw(field) })
            .collect();
    }
    let mut columns: Vec<ResultColumn> = Vec::new();
    let mut push = |column: ResultColumn| {
        if !columns.iter().any(|c| c.name == column.name) {
            columns.push(column);
        }
    };
    for selection in &query.select {
        push(selection_column(view, selection));
    }
    for group in query.group_by.iter().filter(|g| g.includes_in_select()) {
        let path = group.path.clone().unwrap_or_default();
        push(ResultColumn {
            name: field_column_name(group.field, &path),
            source: ColumnSource::Field { field: group.field, path },
        });
    }
    columns
}

/// True when `name` is a column `query` produces on `view` (including `properties.<key>`
/// under an unpacked JSON selection). Order-by entries must pass this.
pub fn produces_column(view: View, query: &QueryBody, name: &str) -> bool {
    result_columns(view, query).iter().any(|c| c.matches(name))
}

/// The aggregations whose `<agg>_<field>` columns the published `orderBy` set names.
/// `countDistinct` is not among them, so its columns can only be sorted on the client.
const ORDERABLE_AGGREGATIONS: [Aggregation; 5] =
    [Aggregation::Sum, Aggregation::Count, Aggregation::Avg, Aggregation::Min, Aggregation::Max];

/// The name a result column is shown under in the grid's header and the chart's legend:
/// the wire name, except the count of ids (`count_id`), which is how the builder counts
/// rows (so the server can sort by it) and reads best as `count`. Copies, exports and the
/// request keep the wire name.
pub fn column_display_name(name: &str) -> &str {
    if name == "count_id" { "count" } else { name }
}

/// True when `name` is in `view`'s closed `orderBy.field` set of the published schema, the
/// same construction for every view: a plain field of the view (`type`, `properties`),
/// `<field>_<hour|day|week|month>` of any field of the view (`firstMessageTime_day`) or
/// `<sum|count|avg|min|max>_<field>` (`count_id`). Bare `count`, `countDistinct_…`, every
/// dotted path column (`properties.source`) and every name built on another view's field
/// are outside it: the real server refuses them, so such columns are sorted by the client
/// after the answer arrives.
///
/// This (with [`published_order_by_fields`], which lists the same set) is the one place
/// the set is defined; the validator, the builder's sort picker, the grid and preset
/// migration all ask it.
pub fn is_published_order_by_field(view: View, name: &str) -> bool {
    let in_view = |name: &str| Field::from_name(name).is_some_and(|field| view.has_field(field));
    if in_view(name) {
        return true;
    }
    let bucketed = name
        .rsplit_once('_')
        .is_some_and(|(field, unit)| in_view(field) && TimeUnit::from_name(unit).is_some());
    let aggregated = name.split_once('_').is_some_and(|(aggregation, field)| {
        in_view(field) && ORDERABLE_AGGREGATIONS.iter().any(|orderable| orderable.as_str() == aggregation)
    });
    bucketed || aggregated
}

/// Every name of `view`'s published `orderBy.field` set, in the published schema's order:
/// the fields, then each field's four time buckets, then `sum_`, `count_`, `avg_`, `min_`
/// and `max_` of every field.
pub fn published_order_by_fields(view: View) -> Vec<String> {
    let fields = view.fields();
    let mut names: Vec<String> = fields.iter().map(|field| field.as_str().to_string()).collect();
    for field in &fields {
        names.extend(TimeUnit::ALL.into_iter().map(|unit| time_column_name(unit, *field)));
    }
    for aggregation in ORDERABLE_AGGREGATIONS {
        names.extend(fields.iter().map(|field| aggregation_column_name(aggregation, Some(*field), &[])));
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::query::GroupBy;

    fn names(q: &QueryBody) -> Vec<String> {
        result_columns(View::Conversations, q).into_iter().map(|c| c.name).collect()
    }

    #[test]
    fn raw_rows_have_every_field() {
        assert_eq!(names(&QueryBody::default()).len(), 9);
    }

    #[test]
    fn names_follow_the_api_rules() {
        let q = QueryBody {
            select: vec![
                Selection::time(TimeUnit::Day),
                Selection::count(),
                Selection::aggregate(Aggregation::Sum, Field::UserMessageCount),
                Selection::Aggregation {
                    aggregation: Aggregation::CountDistinct,
                    field: Some(Field::UserProperties),
                    path: Some(vec!["userId".into()]),
                },
                Selection::field_path(Field::Properties, &["source"]),
            ],
            group_by: vec![GroupBy::field(Field::Type), GroupBy::path(Field::Properties, &["source"])],
            ..QueryBody::default()
        };
        assert_eq!(
            names(&q),
            [
                "firstMessageTime_day",
                "count",
                "sum_userMessageCount",
                "countDistinct_userProperties.userId",
                "properties.source",
                "type"
            ]
        );
    }

    #[test]
    fn unpacked_selection_matches_its_keys() {
        let q = QueryBody { select: vec![Selection::field(Field::Properties)], ..QueryBody::default() };
        assert!(produces_column(View::Conversations, &q, "properties.source"));
        assert!(!produces_column(View::Conversations, &q, "properties"));
        assert!(!produces_column(View::Conversations, &q, "properties."));
        assert!(!produces_column(View::Conversations, &q, "userProperties.id"));
    }

    #[test]
    fn published_order_by_set_is_the_documented_construction() {
        for name in [
            "type",
            "properties",
            "firstMessageTime",
            "firstMessageTime_day",
            "type_hour",
            "count_id",
            "sum_userMessageCount",
            "max_firstMessageTime",
            "count_userProperties",
        ] {
            assert!(is_published_order_by_field(View::Conversations, name), "{name} is in the published set");
        }
        for name in [
            "count",
            "sum",
            "countDistinct_id",
            "countDistinct_userProperties.userId",
            "properties.source",
            "count_properties.userId",
            "firstMessageTime_year",
            "median_userMessageCount",
            "",
            "Type",
        ] {
            assert!(
                !is_published_order_by_field(View::Conversations, name),
                "{name} is outside the published set"
            );
        }
    }

    #[test]
    fn raw_rows_are_the_views_fields_in_order() {
        for view in View::ALL {
            let columns = result_columns(view, &QueryBody::default());
            let expected: Vec<String> = view.fields().iter().map(|f| f.as_str().to_string()).collect();
            assert_eq!(columns.iter().map(|c| c.name.clone()).collect::<Vec<_>>(), expected, "{view}");
            assert!(columns.iter().all(|c| matches!(c.source, ColumnSource::Raw(_))));
        }
        let events: Vec<String> =
            result_columns(View::Events, &QueryBody::default()).into_iter().map(|c| c.name).collect();
        assert_eq!(events[7], "eventType");
        assert_eq!(events.len(), 12);
    }

    #[test]
    fn a_bare_time_bucket_names_the_views_default_time_field() {
        let q = QueryBody { select: vec![Selection::time(TimeUnit::Week)], ..QueryBody::default() };
        let name = |view| result_columns(view, &q).remove(0).name;
        assert_eq!(name(View::Conversations), "firstMessageTime_week");
        assert_eq!(name(View::Events), "createdAt_week");
        assert_eq!(name(View::Feedback), "createdAt_week");
        assert_eq!(name(View::SemanticThreads), "firstMessageTime_week");
    }

    #[test]
    fn order_by_sets_are_per_view() {
        assert!(is_published_order_by_field(View::Events, "eventType_day"));
        assert!(is_published_order_by_field(View::Events, "count_searchQuery"));
        assert!(!is_published_order_by_field(View::Conversations, "eventType"));
        assert!(!is_published_order_by_field(View::Conversations, "count_eventType"));
        assert!(!is_published_order_by_field(View::Events, "userMessageCount"));
        assert!(!is_published_order_by_field(View::Events, "firstMessageTime_day"));
        assert!(is_published_order_by_field(View::SemanticThreads, "avg_isDocumented"));
        assert!(!is_published_order_by_field(View::Feedback, "countDistinct_reasons"));
    }

    #[test]
    fn the_listed_set_is_the_set_the_predicate_accepts() {
        // Every name any view's set lists, plus near misses, asked of every view.
        let mut candidates: Vec<String> = View::ALL.into_iter().flat_map(published_order_by_fields).collect();
        candidates.extend(["count".into(), "countDistinct_id".into(), "properties.source".into()]);
        for view in View::ALL {
            let listed = published_order_by_fields(view);
            let n = view.fields().len();
            assert_eq!(listed.len(), n * 10, "{view}: fields, 4 buckets and 5 aggregations each");
            for name in &candidates {
                assert_eq!(is_published_order_by_field(view, name), listed.contains(name), "{view} {name}");
            }
        }
    }
}
