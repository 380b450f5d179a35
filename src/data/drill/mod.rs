//! Drill-down: the query for "the rows behind this number".
//!
//! A number in a grouped result (a grid row, a chart point or bar, a whole series) stands
//! for the rows that share its group values. The drill-down query is the original query's
//! filter (the window passes the body that was sent, relative times resolved; a relative
//! time given here is kept as written and resolves when the drill-down is sent), AND
//! one condition per group value, selecting raw rows with the view's default columns
//! ([`View::drill_columns`]) plus the grouped fields. So its `total` is the clicked count.
//!
//! How a group value becomes a condition:
//! - a time bucket is the half-open range `[start, end)` on its timestamp field (UTC hours,
//!   days, ISO weeks from Monday, calendar months, as the API buckets);
//! - a value of a plain field is `eq`, a null `isNull`;
//! - a value at a JSON path (`properties.source`) is `eq {path, value}`, a missing one
//!   `eq {path, value: null}` (the API's way to test a missing value inside JSON);
//! - the `Other` series of a top-N chart is `notIn` the series shown; `notIn` never matches
//!   a null (SQL's `NOT IN`), so when null is not among the series shown it is added back
//!   with `or isNull`, and when it is, nothing more is needed. With several grouping keys
//!   `Other` is "none of the shown combinations": for each, one of its values differs.
//!
//! Every function here is pure: the window hands over the table and the chart it drew.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use serde_json::Number;

use crate::api::columns::{ColumnSource, column_display_name, result_columns};
use crate::api::query::{
    Direction, Field, Filter, FilterValue, Operator, OrderBy, PathTarget, QueryBody, Scalar, Selection,
    TimeUnit,
};
use crate::api::timestamp::format_utc;
use crate::api::validate::MAX_NOTES_CHARS;
use crate::api::view::View;

use super::display::push_bucket_label;
use super::series::{
    CategoryData, ChartData, EMPTY_LABEL, NONE_LABEL, OTHER_NAME, ROWS_MEASURE, Series, bucket_end,
    bucket_start, column_roles, row_series_name,
};
use super::table::{CellRef, ResultTable};

/// What a group value is a value of: a field (or a path inside a JSON field), or a time
/// bucket of a timestamp field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DrillKey {
    /// A plain field, or the value at `path` inside a JSON field.
    Field {
        /// The field.
        field: Field,
        /// Keys inside the JSON field; empty for a plain field.
        path: Vec<String>,
    },
    /// A time bucket of `field`.
    Bucket {
        /// The bucket width.
        unit: TimeUnit,
        /// The timestamp field bucketed.
        field: Field,
    },
}

impl DrillKey {
    /// The key's result column name (`type`, `properties.source`, `firstMessageTime_day`).
    pub fn column_name(&self) -> String {
        match self {
            DrillKey::Field { field, path } => crate::api::columns::field_column_name(*field, path),
            DrillKey::Bucket { unit, field } => crate::api::columns::time_column_name(*unit, *field),
        }
    }
}

/// One group value, as the result table holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyValue {
    /// No value (SQL null, or nothing at the JSON path).
    Null,
    /// Text.
    Text(String),
    /// A number, exactly as it will be written in the filter.
    Number(Number),
    /// A boolean.
    Bool(bool),
    /// An instant, epoch milliseconds UTC: a bucket start, or a timestamp field's value.
    Instant(i64),
}

/// One part of the clicked number's identity.
#[derive(Debug, Clone, PartialEq)]
pub enum DrillPick {
    /// The rows whose `key` has `value`.
    Value {
        /// The grouping key.
        key: DrillKey,
        /// Its value in the clicked row or series.
        value: KeyValue,
    },
    /// The `Other` series (or category) of a top-N chart: the rows whose values of `keys`
    /// are none of the `shown` combinations.
    NoneOf {
        /// The grouping keys the series are made of.
        keys: Vec<DrillKey>,
        /// The values of `keys` of every series shown on its own, one list per series.
        shown: Vec<Vec<KeyValue>>,
    },
}

/// Everything a drill-down needs: the query the number came from and what was clicked.
#[derive(Debug, Clone, PartialEq)]
pub struct DrillRequest {
    /// The view of the query (the drill-down queries the same one).
    pub view: View,
    /// The query drilled from (the window's: as sent, relative times resolved).
    pub query: QueryBody,
    /// The measure clicked (`count`, `sum_userMessageCount`), for the provenance line.
    pub measure: String,
    /// The group values of the clicked number.
    pub picks: Vec<DrillPick>,
    /// The number clicked (a cell, a point, a series' total), when there is one.
    pub clicked: Option<f64>,
}

/// Where a drill-down tab came from: kept with the tab (`tabs.json`) and written into its
/// exports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// One line: "from: count per day by type ➡ 2026-11-12, support_ticket".
    pub text: String,
    /// The view of the query drilled from.
    pub view: View,
    /// The query drilled from.
    pub query: QueryBody,
    /// The number clicked: for a count, the `total` the drill-down should answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clicked: Option<f64>,
}

/// A drill-down query and the line saying where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct DrillDown {
    /// The query for the rows behind the number.
    pub body: QueryBody,
    /// Where it came from.
    pub provenance: Provenance,
}

/// Why a number cannot be drilled into.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DrillError {
    /// Raw rows are the rows already.
    #[error("these are raw rows already; drill-down works on grouped results (counts, sums…)")]
    NotGrouped,
    /// A `groupBy` key with `includeInSelect: false` splits the rows by a value the result
    /// does not show, so the row's own value is unknown.
    #[error(
        "the query groups by `{0}` without showing it (includeInSelect is false), so the rows \
         behind one result row cannot be told apart; include it and run again"
    )]
    HiddenKey(String),
    /// A whole JSON object (or an array) as a grouping value cannot be written as a condition.
    #[error("`{0}` holds a JSON object or array, which a filter cannot match exactly")]
    JsonValue(String),
    /// A grouping column is missing from the result.
    #[error("the result has no column `{0}`")]
    MissingColumn(String),
    /// The series or category clicked is not in the result.
    #[error("no row of the result belongs to `{0}`")]
    NoSuchSeries(String),
    /// The point clicked is not on the chart.
    #[error("there is no point {0} on the chart")]
    NoSuchPoint(usize),
    /// A number that is not finite cannot be written in JSON.
    #[error("`{0}` holds a number JSON cannot carry")]
    NotFinite(String),
}

/// The separator of the measure and the values in the provenance line. egui's default fonts
/// have no `→` (a missing glyph panics in tests): this arrow is in them (a test in
/// `app::drill_ui` checks every glyph of the line).
pub const PROVENANCE_ARROW: &str = "➡";

// ---------------------------------------------------------------------------------------
// From a table and a chart to a request.

/// The grouping keys of a grouped query, by result column name: every column that is not an
/// aggregation (what the API's `GROUP BY` is made of).
pub fn group_keys(view: View, query: &QueryBody) -> Result<Vec<(String, DrillKey)>, DrillError> {
    if !query.is_grouped() {
        return Err(DrillError::NotGrouped);
    }
    if let Some(hidden) = query.group_by.iter().find(|group| !group.includes_in_select()) {
        let path = hidden.path.clone().unwrap_or_default();
        return Err(DrillError::HiddenKey(crate::api::columns::field_column_name(hidden.field, &path)));
    }
    let mut keys = Vec::new();
    for column in result_columns(view, query) {
        let key = match column.source {
            ColumnSource::Aggregation { .. } => continue,
            ColumnSource::Field { field, path } => DrillKey::Field { field, path },
            ColumnSource::Raw(field) => DrillKey::Field { field, path: Vec::new() },
            ColumnSource::TimeBucket { unit, field } => DrillKey::Bucket { unit, field },
            ColumnSource::Unpacked(_) | ColumnSource::JsonText(_) => {
                return Err(DrillError::JsonValue(column.name));
            }
        };
        keys.push((column.name, key));
    }
    Ok(keys)
}

/// The first measure of a grouped query (the one a grid row stands for), or `rows`.
fn first_measure(view: View, query: &QueryBody) -> String {
    result_columns(view, query)
        .into_iter()
        .find(|column| matches!(column.source, ColumnSource::Aggregation { .. }))
        .map_or_else(|| ROWS_MEASURE.to_string(), |column| column.name)
}

/// The value of `key` in table row `row`, column `col`.
fn key_value(table: &ResultTable, row: usize, col: usize, key: &DrillKey) -> Result<KeyValue, DrillError> {
    let name = || table.column(col).map(|c| c.name().to_string()).unwrap_or_default();
    Ok(match (table.cell(row, col), key) {
        (CellRef::Null, _) => KeyValue::Null,
        (CellRef::Timestamp(ms), DrillKey::Bucket { unit, .. }) => KeyValue::Instant(bucket_start(*unit, ms)),
        (CellRef::Timestamp(ms), DrillKey::Field { field, path })
            if path.is_empty() && field.is_timestamp() =>
        {
            KeyValue::Instant(ms)
        }
        // Text that looked like a time (inside JSON, say): compared as the text it was.
        (CellRef::Timestamp(_), _) => KeyValue::Text(table.cell_text(row, col).into_owned()),
        (CellRef::Text(text), _) => KeyValue::Text(text.to_string()),
        (CellRef::Int(value), _) => KeyValue::Number(value.into()),
        (CellRef::Float(value), _) => {
            KeyValue::Number(Number::from_f64(value).ok_or_else(|| DrillError::NotFinite(name()))?)
        }
        (CellRef::Bool(value), _) => KeyValue::Bool(value),
        (CellRef::Json(_), _) => return Err(DrillError::JsonValue(name())),
    })
}

/// The values of `keys` (with their table columns) in row `row`.
fn row_values(
    table: &ResultTable,
    row: usize,
    keys: &[(usize, DrillKey)],
) -> Result<Vec<KeyValue>, DrillError> {
    keys.iter().map(|(col, key)| key_value(table, row, *col, key)).collect()
}

/// `keys` with the table column each is in.
fn locate(table: &ResultTable, keys: Vec<(String, DrillKey)>) -> Result<Vec<(usize, DrillKey)>, DrillError> {
    keys.into_iter()
        .map(|(name, key)| {
            table.column_index(&name).map(|col| (col, key)).ok_or(DrillError::MissingColumn(name))
        })
        .collect()
}

/// The drill-down of one grid row of a grouped result: every grouping value of the row.
pub fn row_request(
    view: View,
    query: &QueryBody,
    table: &ResultTable,
    row: usize,
) -> Result<DrillRequest, DrillError> {
    if row >= table.row_count() {
        return Err(DrillError::NoSuchPoint(row));
    }
    let keys = locate(table, group_keys(view, query)?)?;
    let values = row_values(table, row, &keys)?;
    let picks =
        keys.into_iter().zip(values).map(|((_, key), value)| DrillPick::Value { key, value }).collect();
    let measure = first_measure(view, query);
    let clicked = table.column_index(&measure).and_then(|col| table.cell(row, col).as_f64());
    Ok(DrillRequest { view, query: query.clone(), measure, picks, clicked })
}

/// The query's grouping keys among the table columns at `cols`, in that order.
fn keys_of_columns(
    view: View,
    query: &QueryBody,
    table: &ResultTable,
    cols: &[usize],
) -> Result<Vec<(usize, DrillKey)>, DrillError> {
    let keys = group_keys(view, query)?;
    cols.iter()
        .map(|&col| {
            let name = table.column(col).map(|c| c.name().to_string()).unwrap_or_default();
            keys.iter()
                .find(|(key_name, _)| *key_name == name)
                .map(|(_, key)| (col, key.clone()))
                .ok_or(DrillError::MissingColumn(name))
        })
        .collect()
}

/// The picks for series `name` of a chart whose series are made of `keys`: the values of
/// a row of that series, or for `Other`, none of the `shown` series' values.
fn series_picks(
    table: &ResultTable,
    keys: &[(usize, DrillKey)],
    name: &str,
    is_other: bool,
    shown: &[&str],
) -> Result<Vec<DrillPick>, DrillError> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let cols: Vec<usize> = keys.iter().map(|(col, _)| *col).collect();
    let find_row = |name: &str| {
        (0..table.row_count())
            .find(|&row| row_series_name(table, row, &cols) == name)
            .ok_or_else(|| DrillError::NoSuchSeries(name.to_string()))
    };
    if is_other {
        let shown = shown
            .iter()
            .map(|name| find_row(name).and_then(|row| row_values(table, row, keys)))
            .collect::<Result<Vec<_>, _>>()?;
        let keys = keys.iter().map(|(_, key)| key.clone()).collect();
        return Ok(vec![DrillPick::NoneOf { keys, shown }]);
    }
    let row = find_row(name)?;
    let values = row_values(table, row, keys)?;
    Ok(keys.iter().cloned().zip(values).map(|((_, key), value)| DrillPick::Value { key, value }).collect())
}

/// A point of a time chart: `series` (an index into `chart.series`; `None` for every series
/// together) at bucket `bucket` (`None` for the whole series: a legend entry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChartPoint {
    /// The series, or all of them.
    pub series: Option<usize>,
    /// The bucket (or category), or all of them.
    pub index: Option<usize>,
}

/// What was clicked in a result: a row of the table, or a point, bar or series of its chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DrillTarget {
    /// A row of the table (its index in the table, not in a sorted view).
    Row(usize),
    /// A point, a bar or a whole series of the chart drawn from the table.
    Chart(ChartPoint),
}

/// The drill-down of a point (or a whole series) of a time chart drawn from `table`.
pub fn time_chart_request(
    view: View,
    query: &QueryBody,
    table: &ResultTable,
    chart: &ChartData,
    point: ChartPoint,
) -> Result<DrillRequest, DrillError> {
    let mut picks = Vec::new();
    let clicked = chart_value(&chart.series, point);
    if let Some(index) = point.index {
        let start = *chart.buckets.get(index).ok_or(DrillError::NoSuchPoint(index))?;
        let field = column_roles(table)
            .time
            .map(|time| time.field)
            .ok_or_else(|| DrillError::MissingColumn(chart.time_column.clone()))?;
        picks.push(DrillPick::Value {
            key: DrillKey::Bucket { unit: chart.unit, field },
            value: KeyValue::Instant(start),
        });
    }
    if let Some(series) = point.series {
        let chosen = chart.series.get(series).ok_or(DrillError::NoSuchPoint(series))?;
        let cols: Vec<usize> =
            chart.group_columns.iter().filter_map(|name| table.column_index(name)).collect();
        let keys = keys_of_columns(view, query, table, &cols)?;
        let shown: Vec<&str> = chart.series.iter().filter(|s| !s.is_other).map(|s| s.name.as_str()).collect();
        picks.extend(series_picks(table, &keys, &chosen.name, chosen.is_other, &shown)?);
    } else {
        // Checks the query is grouped at all (a bucket of raw rows is no number).
        group_keys(view, query)?;
    }
    Ok(DrillRequest { view, query: query.clone(), measure: chart.measure.clone(), picks, clicked })
}

/// The value of a chart point: one series at one point, a whole series (its total), or
/// every series at one point (their sum).
fn chart_value(series: &[Series], point: ChartPoint) -> Option<f64> {
    match (point.series, point.index) {
        (Some(s), Some(i)) => series.get(s)?.values.get(i).copied().flatten(),
        (Some(s), None) => series.get(s).map(|s| s.total),
        (None, Some(i)) => Some(series.iter().filter_map(|s| s.values.get(i).copied().flatten()).sum()),
        (None, None) => Some(series.iter().map(|s| s.total).sum()),
    }
}

/// The drill-down of a bar (or a whole series, or a whole category) of a category chart
/// drawn from `table`.
pub fn category_chart_request(
    view: View,
    query: &QueryBody,
    table: &ResultTable,
    chart: &CategoryData,
    point: ChartPoint,
) -> Result<DrillRequest, DrillError> {
    let category =
        table.column_index(&chart.column).ok_or_else(|| DrillError::MissingColumn(chart.column.clone()))?;
    let mut picks = Vec::new();
    let clicked = chart_value(&chart.series, point);
    if let Some(index) = point.index {
        let label = chart.categories.get(index).ok_or(DrillError::NoSuchPoint(index))?;
        let kept = chart.categories.len() - usize::from(chart.folded_category_count > 0);
        let keys = keys_of_columns(view, query, table, &[category])?;
        let shown: Vec<&str> = chart.categories.iter().take(kept).map(String::as_str).collect();
        picks.extend(series_picks(table, &keys, label, index >= kept, &shown)?);
    }
    if let Some(series) = point.series {
        let chosen = chart.series.get(series).ok_or(DrillError::NoSuchPoint(series))?;
        let cols: Vec<usize> = column_roles(table).keys.into_iter().filter(|&col| col != category).collect();
        let keys = keys_of_columns(view, query, table, &cols)?;
        let shown: Vec<&str> = chart.series.iter().filter(|s| !s.is_other).map(|s| s.name.as_str()).collect();
        picks.extend(series_picks(table, &keys, &chosen.name, chosen.is_other, &shown)?);
    }
    Ok(DrillRequest { view, query: query.clone(), measure: chart.measure.clone(), picks, clicked })
}

// ---------------------------------------------------------------------------------------
// From a request to the query.

/// Builds the drill-down query and its provenance line.
pub fn build_drill_down(request: &DrillRequest) -> DrillDown {
    let DrillRequest { view, query, measure, picks, clicked } = request;
    let mut conditions: Vec<Filter> = match &query.filter {
        Some(Filter::And(items)) => items.clone(),
        Some(filter) => vec![filter.clone()],
        None => Vec::new(),
    };
    for pick in picks {
        conditions.push(match pick {
            DrillPick::Value { key, value } => equals(key, value),
            DrillPick::NoneOf { keys, shown } => none_of(keys, shown),
        });
    }
    let filter = match conditions.len() {
        0 => None,
        1 => conditions.pop(),
        _ => Some(Filter::And(conditions)),
    };
    let body = QueryBody {
        query: query.query.clone(),
        select: drill_select(*view, picks),
        group_by: Vec::new(),
        filter,
        order_by: vec![OrderBy {
            field: drill_time_field(*view, picks).as_str().to_string(),
            direction: Direction::Desc,
        }],
        notes: Some(drill_notes(picks)),
    };
    let provenance = Provenance {
        text: provenance_text(measure, picks),
        view: *view,
        query: query.clone(),
        clicked: *clicked,
    };
    DrillDown { body, provenance }
}

/// The drill-down's notes, which title its tab: "Rows behind 2026-11-12, support_ticket",
/// cut to the API's 80 characters.
fn drill_notes(picks: &[DrillPick]) -> String {
    let values = provenance_values(picks);
    let text = if values.is_empty() {
        "Rows behind every group".to_string()
    } else {
        format!("Rows behind {values}")
    };
    if text.chars().count() <= MAX_NOTES_CHARS {
        return text;
    }
    let mut cut: String = text.chars().take(MAX_NOTES_CHARS - 1).collect();
    cut.push('…');
    cut
}

/// The view's drill columns, then every grouped field that is not among them (so the values
/// the rows were drilled by are on screen).
fn drill_select(view: View, picks: &[DrillPick]) -> Vec<Selection> {
    let mut select: Vec<Selection> =
        view.drill_columns().iter().map(|field| Selection::field(*field)).collect();
    let keys = picks.iter().flat_map(|pick| match pick {
        DrillPick::Value { key, .. } => std::slice::from_ref(key),
        DrillPick::NoneOf { keys, .. } => keys.as_slice(),
    });
    for key in keys {
        let selection = match key {
            DrillKey::Field { field, path } if path.is_empty() => Selection::field(*field),
            DrillKey::Field { field, path } => {
                Selection::Field { field: *field, path: Some(path.clone()), mode: None }
            }
            DrillKey::Bucket { field, .. } => Selection::field(*field),
        };
        if !select.contains(&selection) {
            select.push(selection);
        }
    }
    select
}

/// The timestamp field the rows are sorted by (newest first): the bucketed one, else the
/// view's primary time.
fn drill_time_field(view: View, picks: &[DrillPick]) -> Field {
    picks
        .iter()
        .find_map(|pick| match pick {
            DrillPick::Value { key: DrillKey::Bucket { field, .. }, .. } => Some(*field),
            _ => None,
        })
        .unwrap_or_else(|| view.default_time_field())
}

fn condition(field: Field, operator: Operator, value: Option<FilterValue>) -> Filter {
    Filter::condition(field, operator, value)
}

fn scalar_of(value: &KeyValue) -> Option<Scalar> {
    match value {
        KeyValue::Text(text) => Some(Scalar::String(text.clone())),
        KeyValue::Number(number) => Some(Scalar::Number(number.clone())),
        KeyValue::Bool(value) => Some(Scalar::Bool(*value)),
        KeyValue::Null | KeyValue::Instant(_) => None,
    }
}

fn time_text(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map(format_utc).unwrap_or_default()
}

/// The instants `[start, end)` a key value stands for: a bucket, or one stored millisecond.
fn instant_range(key: &DrillKey, ms: i64) -> (i64, i64) {
    match key {
        DrillKey::Bucket { unit, .. } => (ms, bucket_end(*unit, ms)),
        DrillKey::Field { .. } => (ms, ms + 1),
    }
}

fn key_field(key: &DrillKey) -> Field {
    match key {
        DrillKey::Field { field, .. } | DrillKey::Bucket { field, .. } => *field,
    }
}

fn path_value(path: &[String], value: PathTarget) -> Option<FilterValue> {
    Some(FilterValue::Path { path: path.to_vec(), value })
}

/// The rows whose `key` has `value`.
fn equals(key: &DrillKey, value: &KeyValue) -> Filter {
    let field = key_field(key);
    match (key, value) {
        (_, KeyValue::Instant(ms)) => {
            let (start, end) = instant_range(key, *ms);
            Filter::And(vec![
                condition(field, Operator::Gte, Some(FilterValue::Scalar(Scalar::String(time_text(start))))),
                condition(field, Operator::Lt, Some(FilterValue::Scalar(Scalar::String(time_text(end))))),
            ])
        }
        (DrillKey::Field { path, .. }, KeyValue::Null) if !path.is_empty() => {
            condition(field, Operator::Eq, path_value(path, PathTarget::Null))
        }
        (_, KeyValue::Null) => condition(field, Operator::IsNull, None),
        (DrillKey::Field { path, .. }, value) if !path.is_empty() => {
            let target = scalar_of(value).map_or(PathTarget::Null, PathTarget::Scalar);
            condition(field, Operator::Eq, path_value(path, target))
        }
        (_, value) => condition(field, Operator::Eq, scalar_of(value).map(FilterValue::Scalar)),
    }
}

/// The rows whose `key` is null (or missing at the path), or, `negated`, is not.
fn null_test(key: &DrillKey, negated: bool) -> Filter {
    let field = key_field(key);
    match key {
        DrillKey::Field { path, .. } if !path.is_empty() => {
            let operator = if negated { Operator::Neq } else { Operator::Eq };
            condition(field, operator, path_value(path, PathTarget::Null))
        }
        _ => condition(field, if negated { Operator::IsNotNull } else { Operator::IsNull }, None),
    }
}

/// The rows whose `key` is not `value` — nulls included when `value` is not null (SQL's
/// `<>` never matches a null, so they are added back).
fn differs(key: &DrillKey, value: &KeyValue) -> Filter {
    let field = key_field(key);
    let not_equal = match (key, value) {
        (_, KeyValue::Null) => return null_test(key, true),
        (_, KeyValue::Instant(ms)) => {
            let (start, end) = instant_range(key, *ms);
            Filter::Or(vec![
                condition(field, Operator::Lt, Some(FilterValue::Scalar(Scalar::String(time_text(start))))),
                condition(field, Operator::Gte, Some(FilterValue::Scalar(Scalar::String(time_text(end))))),
            ])
        }
        (DrillKey::Field { path, .. }, value) if !path.is_empty() => {
            let target = scalar_of(value).map_or(PathTarget::Null, PathTarget::Scalar);
            condition(field, Operator::Neq, path_value(path, target))
        }
        (_, value) => condition(field, Operator::Neq, scalar_of(value).map(FilterValue::Scalar)),
    };
    Filter::Or(vec![not_equal, null_test(key, false)])
}

/// The rows whose values of `keys` are none of the `shown` combinations (`Other`).
fn none_of(keys: &[DrillKey], shown: &[Vec<KeyValue>]) -> Filter {
    if let [key] = keys
        && let Some(filter) = not_in(key, shown)
    {
        return filter;
    }
    let mut parts: Vec<Filter> = shown
        .iter()
        .map(|values| {
            let mut any: Vec<Filter> =
                keys.iter().zip(values).map(|(key, value)| differs(key, value)).collect();
            if any.len() == 1 { any.remove(0) } else { Filter::Or(any) }
        })
        .collect();
    if parts.len() == 1 { parts.remove(0) } else { Filter::And(parts) }
}

/// `Other` of one key as `notIn` the shown values, with nulls handled: `notIn` never matches
/// a null, which is right when null is shown on its own and wrong when it is not (then
/// `or isNull` adds the nulls back). `None` when a value is not a scalar (instants).
fn not_in(key: &DrillKey, shown: &[Vec<KeyValue>]) -> Option<Filter> {
    let mut scalars = Vec::new();
    let mut null_shown = false;
    for value in shown.iter().filter_map(|values| values.first()) {
        match value {
            KeyValue::Null => null_shown = true,
            KeyValue::Instant(_) => return None,
            other => scalars.push(scalar_of(other)?),
        }
    }
    let field = key_field(key);
    let not_in = match key {
        _ if scalars.is_empty() => return Some(null_test(key, true)),
        DrillKey::Field { path, .. } if !path.is_empty() => {
            condition(field, Operator::NotIn, path_value(path, PathTarget::List(scalars)))
        }
        _ => condition(field, Operator::NotIn, Some(FilterValue::List(scalars))),
    };
    Some(if null_shown { not_in } else { Filter::Or(vec![not_in, null_test(key, false)]) })
}

// ---------------------------------------------------------------------------------------
// The provenance line.

/// "from: count per day by type ➡ 2026-11-12, support_ticket".
pub fn provenance_text(measure: &str, picks: &[DrillPick]) -> String {
    let (per, by, values) = provenance_parts(picks);
    let mut text = format!("from: {}", column_display_name(measure));
    if let Some(unit) = per {
        let _ = write!(text, " per {unit}");
    }
    if !by.is_empty() {
        let _ = write!(text, " by {}", by.join(", "));
    }
    if !values.is_empty() {
        let _ = write!(text, " {PROVENANCE_ARROW} {}", values.join(", "));
    }
    text
}

/// The values picked, bucket first: "2026-11-12, support_ticket".
fn provenance_values(picks: &[DrillPick]) -> String {
    provenance_parts(picks).2.join(", ")
}

/// The bucket unit, the grouping keys and the values of the picks, bucket first.
fn provenance_parts(picks: &[DrillPick]) -> (Option<TimeUnit>, Vec<String>, Vec<String>) {
    let mut per = None;
    let mut by: Vec<String> = Vec::new();
    let mut values: Vec<String> = Vec::new();
    for pick in picks {
        match pick {
            DrillPick::Value { key: key @ DrillKey::Bucket { unit, .. }, value } => {
                per = Some(*unit);
                values.insert(0, value_label(key, value));
            }
            DrillPick::Value { key, value } => {
                by.push(key.column_name());
                values.push(value_label(key, value));
            }
            DrillPick::NoneOf { keys, .. } => {
                by.extend(keys.iter().map(DrillKey::column_name));
                values.push(OTHER_NAME.to_string());
            }
        }
    }
    (per, by, values)
}

fn value_label(key: &DrillKey, value: &KeyValue) -> String {
    match (key, value) {
        (_, KeyValue::Null) => NONE_LABEL.to_string(),
        (_, KeyValue::Text(text)) if text.is_empty() => EMPTY_LABEL.to_string(),
        (_, KeyValue::Text(text)) => text.clone(),
        (_, KeyValue::Number(number)) => number.to_string(),
        (_, KeyValue::Bool(value)) => value.to_string(),
        (DrillKey::Bucket { unit, .. }, KeyValue::Instant(ms)) => {
            let mut label = String::new();
            if *unit == TimeUnit::Week {
                label.push_str("week of ");
            }
            if push_bucket_label(*unit, *ms, &mut label) { label } else { time_text(*ms) }
        }
        (DrillKey::Field { .. }, KeyValue::Instant(ms)) => time_text(*ms),
    }
}

#[cfg(test)]
mod tests;
