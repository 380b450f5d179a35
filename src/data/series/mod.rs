//! Chart series derived from a [`ResultTable`]: time-bucket detection, pivoting into one
//! series per group, top-N folding, gap filling and partial-bucket marking.
//!
//! The rules, in the order [`derive_chart`] applies them:
//!
//! - **Time bucket.** The first column named `<field>_<unit>` (`firstMessageTime_day`) whose
//!   unit is `hour`, `day`, `week` or `month` and whose values are timestamps. Buckets are UTC;
//!   weeks start on Monday (ISO); months are calendar months of any length. Each value is
//!   floored to the start of its bucket, so a server that sends a mid-bucket instant still lands
//!   in the right place.
//! - **Measures.** The aggregation columns (`count`, `sum_userMessageCount`…) that hold numbers;
//!   when there are none, any numeric column. When there is no numeric column at all, the
//!   number of result rows is charted (measure `rows`). The caller picks one by name
//!   ([`SeriesOptions::measure`]); the first is the default.
//! - **Series.** Every other column (text, booleans, numbers that are not measures) is a
//!   grouping key: one series per distinct combination, named by its values joined with
//!   `" · "`; a null reads `(none)`. Without keys there is one series named after the measure.
//! - **Top N.** Series are ranked by their total; the first N are kept and the rest are folded
//!   into one series, `Other` (the sum of the rest, or their mean / min / max for `avg` / `min`
//!   / `max` measures). Folding a single series would only rename it, so N + 1 series are all
//!   kept.
//! - **Gaps.** Every bucket between the first and the last is on the axis. A bucket a series
//!   has no row for is 0 for additive measures (counts, sums) when gap filling is on, and a gap
//!   (`None`) otherwise; an average, minimum or maximum of nothing is never 0, so for those it
//!   is always a gap.
//! - **Partial buckets.** The first bucket is partial when the query's time filter (conditions
//!   on the bucketed field with `gt`/`gte`/`lt`/`lte` that are reachable through `and` only)
//!   starts inside it; the last one when the filter ends inside it or when it is not over yet.
//!
//! Without a time bucket, a grouped result becomes a category chart: one bar per value of the
//! first group-by column (top N, the rest folded into `Other`), split into series by the other
//! keys.
//!
//! [`SeriesCache`] (in `cache`) memoises the derivation so that a frame never re-derives: the
//! key is the table's identity and contents fingerprint, the query, and the options. The UTC
//! bucket arithmetic and the query's time filter are in `buckets`.
//!
//! This file is long because the rules above are one computation: the measure decides how gaps
//! fill and how `Other` combines, the time column decides the axis, the keys decide the series,
//! and the time and category charts share the ranking, folding and densifying that turn rows
//! into series. Splitting it by rule would scatter one pass over the rows across files.

mod buckets;
mod cache;

use std::collections::HashMap;
use std::fmt::Write as _;

use jiff::Timestamp;

use crate::api::columns::{ColumnSource, field_column_name};
use crate::api::query::{Aggregation, Field, QueryBody, TimeUnit};

use super::display::{bucket_export_label, cell_copy_text};
use super::export::csv_field;
use super::table::{CellRef, Column, ColumnType, ResultTable, write_float};
use super::time::{TimestampLayout, format_strict};

pub use self::buckets::{
    TimeFilter, bucket_end, bucket_start, buckets_between, nth_bucket, partial_marks, time_filter,
};
pub use self::cache::SeriesCache;

/// How many series (or categories) are kept before the rest is folded into `Other`.
pub const DEFAULT_TOP_N: usize = 10;

/// The name of the series (or category) the folded rest is summed into.
pub const OTHER_NAME: &str = "Other";

/// How a null grouping value reads in a series name.
pub const NONE_LABEL: &str = "(none)";

/// How an empty text grouping value reads in a series name.
pub const EMPTY_LABEL: &str = "(empty)";

/// The separator of the values of several grouping keys in a series name.
pub const KEY_SEPARATOR: &str = " · ";

/// The measure charted when the result has no numeric column: result rows per bucket.
pub const ROWS_MEASURE: &str = "rows";

/// The most buckets an axis gets when filling gaps; beyond it (an hourly axis over years)
/// only the buckets present in the result are shown.
pub const MAX_FILLED_BUCKETS: usize = 20_000;

/// The settings that change what is derived (kind, log scale and hidden series do not).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SeriesOptions {
    /// The measure column to chart; the first measure when `None` or not in the result.
    pub measure: Option<String>,
    /// Series (and categories) kept before folding the rest into `Other`; at least 1.
    pub top_n: usize,
    /// Fill buckets without a row with zero (additive measures only); gaps otherwise.
    pub fill_gaps: bool,
}

impl Default for SeriesOptions {
    fn default() -> Self {
        SeriesOptions { measure: None, top_n: DEFAULT_TOP_N, fill_gaps: true }
    }
}

/// How values of one measure combine when several rows meet in one point (or are folded
/// into `Other`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MeasureKind {
    /// Counts and sums: add up; a missing point is 0.
    Additive,
    /// Averages: the mean of the values.
    Mean,
    /// Minimums: the smallest value.
    Min,
    /// Maximums: the largest value.
    Max,
}

impl MeasureKind {
    /// True when values add up (and a missing point means 0).
    pub fn is_additive(self) -> bool {
        matches!(self, MeasureKind::Additive)
    }

    fn of_aggregation(aggregation: Aggregation) -> MeasureKind {
        match aggregation {
            Aggregation::Count | Aggregation::CountDistinct | Aggregation::Sum => MeasureKind::Additive,
            Aggregation::Avg => MeasureKind::Mean,
            Aggregation::Min => MeasureKind::Min,
            Aggregation::Max => MeasureKind::Max,
        }
    }
}

/// One series: a value per bucket (or category).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The legend name: the grouping values joined with `" · "`, `Other`, or the measure.
    pub name: String,
    /// One value per bucket; `None` is a gap.
    pub values: Vec<Option<f64>>,
    /// The sum of the values (the ranking key).
    pub total: f64,
    /// True for the series the folded rest went into.
    pub is_other: bool,
}

/// A chart over time buckets.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartData {
    /// The bucket width.
    pub unit: TimeUnit,
    /// The bucket column's name (`firstMessageTime_day`).
    pub time_column: String,
    /// Bucket starts, epoch milliseconds (UTC), ascending.
    pub buckets: Vec<i64>,
    /// The series, largest total first, `Other` last.
    pub series: Vec<Series>,
    /// The first bucket is cut by the query's time filter.
    pub partial_first: bool,
    /// The last bucket is cut by the time filter or not over yet.
    pub partial_last: bool,
    /// The measure charted (a column name, or [`ROWS_MEASURE`]).
    pub measure: String,
    /// How the measure's values combine.
    pub measure_kind: MeasureKind,
    /// Every measure the result offers, in column order.
    pub measures: Vec<String>,
    /// The grouping columns that split the series, in column order.
    pub group_columns: Vec<String>,
    /// Distinct series before folding.
    pub series_count_before_folding: usize,
    /// Series folded into `Other` (0 when there is no `Other`).
    pub folded_series_count: usize,
    /// Every bucket between the first and the last is on the axis (false when there would be
    /// more than [`MAX_FILLED_BUCKETS`]).
    pub complete_axis: bool,
    /// Rows without a bucket (null time), left out.
    pub skipped_row_count: usize,
    /// The query's time filter on the bucketed field.
    pub time_filter: TimeFilter,
}

impl ChartData {
    /// True when bucket `index` is marked partial.
    pub fn is_partial(&self, index: usize) -> bool {
        (index == 0 && self.partial_first) || (index + 1 == self.buckets.len() && self.partial_last)
    }

    /// The end (exclusive, epoch ms) of the bucket starting at `start_ms`.
    pub fn bucket_end(&self, start_ms: i64) -> i64 {
        bucket_end(self.unit, start_ms)
    }

    /// Recomputes the partial marks for the current time `now`: cheap, done every frame.
    pub fn apply_now(&mut self, now: Timestamp) {
        let (partial_first, partial_last) =
            partial_marks(self.unit, &self.buckets, self.time_filter, now.as_millisecond());
        self.partial_first = partial_first;
        self.partial_last = partial_last;
    }

    /// The series as CSV: the bucket (its UTC label, as exports write it: `2026-06-08`) then
    /// one column per series; an empty cell is a gap.
    pub fn to_csv(&self) -> String {
        let labels: Vec<String> = self
            .buckets
            .iter()
            .map(|&ms| {
                bucket_export_label(self.unit, ms).unwrap_or_else(|| {
                    let mut text = String::with_capacity(20);
                    format_strict(ms, TimestampLayout { fraction_digits: 0 }, &mut text);
                    text
                })
            })
            .collect();
        series_csv(&self.time_column, &labels, &self.series)
    }
}

/// A bar chart by the values of one grouping column (a result without a time bucket).
#[derive(Debug, Clone, PartialEq)]
pub struct CategoryData {
    /// The column whose values are the bars (the first group-by column).
    pub column: String,
    /// The bar labels, largest total first, `Other` last.
    pub categories: Vec<String>,
    /// The series (one per combination of the other keys, or one named after the measure).
    pub series: Vec<Series>,
    /// The measure charted.
    pub measure: String,
    /// How the measure's values combine.
    pub measure_kind: MeasureKind,
    /// Every measure the result offers.
    pub measures: Vec<String>,
    /// Distinct categories before folding.
    pub category_count_before_folding: usize,
    /// Categories folded into `Other`.
    pub folded_category_count: usize,
    /// Distinct series before folding.
    pub series_count_before_folding: usize,
    /// Series folded into `Other`.
    pub folded_series_count: usize,
}

impl CategoryData {
    /// The series as CSV: the category, then one column per series.
    pub fn to_csv(&self) -> String {
        series_csv(&self.column, &self.categories, &self.series)
    }
}

/// Why a result cannot be charted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoChart {
    /// No query has been run yet.
    NoResult,
    /// The result has no rows.
    NoRows,
    /// No time bucket, and no group-by column to draw bars by.
    NoTimeBucket,
}

impl NoChart {
    /// A friendly explanation.
    pub fn message(self) -> &'static str {
        match self {
            NoChart::NoResult => "Run a query to see its chart here.",
            NoChart::NoRows => "The result has no rows, so there is nothing to chart.",
            NoChart::NoTimeBucket => {
                "This result has no time bucket to draw over time, and no group-by column to draw \
                 bars by. Charts need a time bucket selection (hour, day, week or month, in UTC) \
                 such as firstMessageTime_day, usually with an aggregation such as count."
            }
        }
    }

    /// True when adding a day bucket to the query would make the result chartable.
    pub fn offers_day_bucket(self) -> bool {
        matches!(self, NoChart::NoTimeBucket)
    }
}

/// What a result charts as.
#[derive(Debug, Clone, PartialEq)]
pub enum Chart {
    /// Series over time buckets.
    Time(ChartData),
    /// Bars by the first group-by column.
    Category(CategoryData),
    /// Nothing to chart, and why.
    Unavailable(NoChart),
}

impl Default for Chart {
    fn default() -> Self {
        Chart::Unavailable(NoChart::NoResult)
    }
}

impl Chart {
    /// The series, when there is a chart.
    pub fn series(&self) -> &[Series] {
        match self {
            Chart::Time(data) => &data.series,
            Chart::Category(data) => &data.series,
            Chart::Unavailable(_) => &[],
        }
    }

    /// The CSV of the series, when there is a chart.
    pub fn to_csv(&self) -> Option<String> {
        match self {
            Chart::Time(data) => Some(data.to_csv()),
            Chart::Category(data) => Some(data.to_csv()),
            Chart::Unavailable(_) => None,
        }
    }
}

/// The detected time-bucket column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeColumn {
    /// Its index in the table.
    pub index: usize,
    /// Its name.
    pub name: String,
    /// The bucket width.
    pub unit: TimeUnit,
    /// The timestamp field bucketed (for the query's time filter).
    pub field: Field,
}

/// What each column of a result is for in a chart.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ColumnRoles {
    /// The time bucket, if any.
    pub time: Option<TimeColumn>,
    /// Measure candidates (indices), in column order.
    pub measures: Vec<usize>,
    /// Grouping keys (indices), in column order.
    pub keys: Vec<usize>,
}

/// Sorts the columns of `table` into time bucket, measures and grouping keys (see the module
/// docs for the rules).
pub fn column_roles(table: &ResultTable) -> ColumnRoles {
    let time = table.columns().iter().enumerate().find_map(|(index, column)| time_column(index, column));
    let time_index = time.as_ref().map(|t| t.index);
    let numeric = |column: &Column| column.column_type().is_numeric();
    let aggregations: Vec<usize> = table
        .columns()
        .iter()
        .enumerate()
        .filter(|(index, column)| {
            Some(*index) != time_index && numeric(column) && aggregation_of(column).is_some()
        })
        .map(|(index, _)| index)
        .collect();
    let measures = if aggregations.is_empty() {
        table
            .columns()
            .iter()
            .enumerate()
            .filter(|(index, column)| Some(*index) != time_index && numeric(column))
            .map(|(index, _)| index)
            .collect()
    } else {
        aggregations
    };
    let keys = table
        .columns()
        .iter()
        .enumerate()
        .filter(|(index, column)| {
            Some(*index) != time_index
                && !measures.contains(index)
                // A non-numeric aggregate (the min of a time) is neither a measure nor a key.
                && aggregation_of(column).is_none()
                && matches!(
                    column.column_type(),
                    ColumnType::Text | ColumnType::Bool | ColumnType::Integer | ColumnType::Float
                )
        })
        .map(|(index, _)| index)
        .collect();
    ColumnRoles { time, measures, keys }
}

/// The time bucket `column` stands for, if it is one: named `<field>_<unit>` and typed as
/// timestamps.
fn time_column(index: usize, column: &Column) -> Option<TimeColumn> {
    if column.column_type() != ColumnType::Timestamp {
        return None;
    }
    if let Some(ColumnSource::TimeBucket { unit, field }) = column.source() {
        return Some(TimeColumn { index, name: column.name().to_string(), unit: *unit, field: *field });
    }
    let (prefix, suffix) = column.name().rsplit_once('_')?;
    let unit = TimeUnit::from_name(suffix)?;
    if prefix.is_empty() {
        return None;
    }
    let field = Field::from_name(prefix).unwrap_or(Field::FirstMessageTime);
    Some(TimeColumn { index, name: column.name().to_string(), unit, field })
}

/// The aggregation a column holds: from its source, or from its name when the server sent a
/// column the query did not announce.
fn aggregation_of(column: &Column) -> Option<Aggregation> {
    match column.source() {
        Some(ColumnSource::Aggregation { aggregation, .. }) => Some(*aggregation),
        Some(_) => None,
        None => {
            let name = column.name();
            if name == "count" {
                return Some(Aggregation::Count);
            }
            let (prefix, rest) = name.split_once('_')?;
            if rest.is_empty() {
                return None;
            }
            Aggregation::ALL.into_iter().find(|a| a.as_str() == prefix)
        }
    }
}

/// The chosen measure: its column (none for [`ROWS_MEASURE`]), name and kind.
struct Measure {
    column: Option<usize>,
    name: String,
    kind: MeasureKind,
}

fn pick_measure(table: &ResultTable, roles: &ColumnRoles, wanted: Option<&str>) -> (Measure, Vec<String>) {
    let names: Vec<String> =
        roles.measures.iter().filter_map(|&i| table.column(i)).map(|c| c.name().to_string()).collect();
    if names.is_empty() {
        let rows = Measure { column: None, name: ROWS_MEASURE.to_string(), kind: MeasureKind::Additive };
        return (rows, vec![ROWS_MEASURE.to_string()]);
    }
    let position = wanted.and_then(|wanted| names.iter().position(|n| n == wanted)).unwrap_or(0);
    let column = roles.measures.get(position).copied();
    let kind = column
        .and_then(|i| table.column(i))
        .and_then(aggregation_of)
        .map_or(MeasureKind::Additive, MeasureKind::of_aggregation);
    let name = names.get(position).cloned().unwrap_or_default();
    (Measure { column, name, kind }, names)
}

/// Derives the chart of `table` (see the module docs). `now` decides whether the last bucket
/// is over.
pub fn derive_chart(
    table: Option<&ResultTable>,
    query: &QueryBody,
    options: &SeriesOptions,
    now: Timestamp,
) -> Chart {
    let Some(table) = table else {
        return Chart::Unavailable(NoChart::NoResult);
    };
    if table.row_count() == 0 {
        return Chart::Unavailable(NoChart::NoRows);
    }
    let roles = column_roles(table);
    let (measure, measures) = pick_measure(table, &roles, options.measure.as_deref());
    let time = roles.time.clone();
    let category = category_column(table, query, &roles);
    let inputs = ChartInputs { table, roles, measure, measures, options };
    if let Some(time) = time {
        return Chart::Time(derive_time(inputs, query, &time, now));
    }
    match category {
        Some(category) => Chart::Category(derive_category(inputs, category)),
        None => Chart::Unavailable(NoChart::NoTimeBucket),
    }
}

/// What both shapes of chart are derived from: the table, what its columns are for, the
/// measure charted (and every measure offered), and the options.
struct ChartInputs<'a> {
    table: &'a ResultTable,
    roles: ColumnRoles,
    measure: Measure,
    measures: Vec<String>,
    options: &'a SeriesOptions,
}

/// The column of the first group-by key the result holds, when it is a grouping key.
fn category_column(table: &ResultTable, query: &QueryBody, roles: &ColumnRoles) -> Option<usize> {
    query.group_by.iter().filter(|g| g.includes_in_select()).find_map(|group| {
        let name = field_column_name(group.field, group.path.as_deref().unwrap_or_default());
        table.column_index(&name).filter(|index| roles.keys.contains(index))
    })
}

/// A running combination of the values meeting in one point.
#[derive(Debug, Clone, Copy)]
struct Acc {
    sum: f64,
    count: u32,
    min: f64,
    max: f64,
}

impl Acc {
    const EMPTY: Acc = Acc { sum: 0.0, count: 0, min: f64::INFINITY, max: f64::NEG_INFINITY };

    #[inline]
    fn add(&mut self, value: f64) {
        self.sum += value;
        self.count += 1;
        self.min = self.min.min(value);
        self.max = self.max.max(value);
    }

    fn finish(&self, kind: MeasureKind, fill_gaps: bool) -> Option<f64> {
        if self.count == 0 {
            return (fill_gaps && kind.is_additive()).then_some(0.0);
        }
        Some(match kind {
            MeasureKind::Additive => self.sum,
            MeasureKind::Mean => self.sum / f64::from(self.count),
            MeasureKind::Min => self.min,
            MeasureKind::Max => self.max,
        })
    }
}

/// Distinct strings with dense ids, looked up without allocating.
#[derive(Default)]
struct Interner {
    names: Vec<String>,
    lookup: HashMap<String, u32>,
}

impl Interner {
    fn id(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.lookup.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.to_string());
        self.lookup.insert(name.to_string(), id);
        id
    }
}

/// Appends how a grouping value reads in a series name.
fn push_label(table: &ResultTable, row: usize, col: usize, out: &mut String) {
    match table.cell(row, col) {
        CellRef::Null => out.push_str(NONE_LABEL),
        CellRef::Text(text) | CellRef::Json(text) if text.is_empty() => out.push_str(EMPTY_LABEL),
        CellRef::Text(text) | CellRef::Json(text) => out.push_str(text),
        CellRef::Bool(value) => out.push_str(if value { "true" } else { "false" }),
        CellRef::Int(value) => {
            let _ = write!(out, "{value}");
        }
        CellRef::Float(value) => write_float(value, out),
        CellRef::Timestamp(_) => out.push_str(&cell_copy_text(table, row, col)),
    }
}

/// Builds the series name of `row` from the key columns into `out`.
/// The name of the series table row `row` belongs to, when the series are split by the
/// columns `keys` (their labels joined with [`KEY_SEPARATOR`]): how a drill-down finds the
/// rows of a series it was given by name.
pub fn row_series_name(table: &ResultTable, row: usize, keys: &[usize]) -> String {
    let mut name = String::new();
    series_key(table, row, keys, &mut name);
    name
}

fn series_key(table: &ResultTable, row: usize, keys: &[usize], out: &mut String) {
    out.clear();
    for (position, &col) in keys.iter().enumerate() {
        if position > 0 {
            out.push_str(KEY_SEPARATOR);
        }
        push_label(table, row, col, out);
    }
}

/// The value a row contributes: its measure cell, or 1 for [`ROWS_MEASURE`].
fn measure_value(table: &ResultTable, row: usize, measure: &Measure) -> Option<f64> {
    match measure.column {
        None => Some(1.0),
        Some(col) => table.cell(row, col).as_f64().filter(|v| v.is_finite()),
    }
}

/// The outcome of ranking: for each old id its new index (`None` = folded into `Other`), the
/// kept ids in rank order with their names, and how many were folded.
struct Folding {
    new_index: Vec<Option<usize>>,
    kept: Vec<usize>,
    kept_names: Vec<String>,
    folded: usize,
}

impl Folding {
    /// The labels along an axis of the ranked ids: the kept names, then a name for the folded
    /// rest when there is one.
    fn labels(&self) -> Vec<String> {
        let mut labels = self.kept_names.clone();
        if self.folded > 0 {
            labels.push(other_name(&self.kept_names));
        }
        labels
    }
}

/// Ranks ids by total (largest first, then by name) and keeps the first `top_n`; the rest is
/// folded, unless that would fold a single id.
fn rank_and_fold(names: &[String], totals: &[f64], top_n: usize) -> Folding {
    let mut order: Vec<usize> = (0..names.len()).collect();
    order.sort_by(|&a, &b| {
        let total_a = totals.get(a).copied().unwrap_or(0.0);
        let total_b = totals.get(b).copied().unwrap_or(0.0);
        total_b.total_cmp(&total_a).then_with(|| names.get(a).cmp(&names.get(b)))
    });
    let top_n = top_n.max(1);
    let keep_count = if order.len() <= top_n + 1 { order.len() } else { top_n };
    let mut new_index = vec![None; names.len()];
    for (rank, &id) in order.iter().take(keep_count).enumerate() {
        if let Some(slot) = new_index.get_mut(id) {
            *slot = Some(rank);
        }
    }
    order.truncate(keep_count);
    let kept_names = order.iter().filter_map(|&id| names.get(id)).cloned().collect();
    Folding { new_index, kept: order, kept_names, folded: names.len() - keep_count }
}

/// A name for the folded rest that no kept name already uses.
fn other_name(kept_names: &[String]) -> String {
    let mut name = OTHER_NAME.to_string();
    while kept_names.contains(&name) {
        name.push_str(" (rest)");
    }
    name
}

/// One row's contribution: its series, its point on the x axis, its value.
struct Entry {
    series: u32,
    x: u32,
    value: Option<f64>,
}

/// The x axis entries are placed on: `position` maps an entry's `x` to its index on the
/// axis (`None` drops the entry), and the axis has `count` points.
struct XAxis<'a> {
    position: &'a dyn Fn(u32) -> Option<usize>,
    count: usize,
}

/// Turns entries into dense series: the kept series in rank order, then `Other`.
fn densify(
    entries: &[Entry],
    axis: XAxis<'_>,
    folding: &Folding,
    kind: MeasureKind,
    fill_gaps: bool,
) -> Vec<Series> {
    let XAxis { position: x_map, count: x_count } = axis;
    let has_other = folding.folded > 0;
    let series_count = folding.kept.len() + usize::from(has_other);
    let mut grid = vec![Acc::EMPTY; series_count * x_count];
    for entry in entries {
        let Some(x) = x_map(entry.x) else { continue };
        let out =
            folding.new_index.get(entry.series as usize).copied().flatten().unwrap_or(folding.kept.len());
        // A null measure adds nothing: the point reads as missing (0 or a gap, as configured).
        if let (Some(value), Some(acc)) = (entry.value, grid.get_mut(out * x_count + x)) {
            acc.add(value);
        }
    }
    let kept_names = &folding.kept_names;
    let mut series = Vec::with_capacity(series_count);
    for (index, chunk) in grid.chunks(x_count.max(1)).enumerate().take(series_count) {
        let values: Vec<Option<f64>> = chunk.iter().map(|acc| acc.finish(kind, fill_gaps)).collect();
        let total = values.iter().flatten().sum();
        let is_other = index >= folding.kept.len();
        let name = if is_other {
            other_name(kept_names)
        } else {
            kept_names.get(index).map(|s| s.to_string()).unwrap_or_default()
        };
        series.push(Series { name, values, total, is_other });
    }
    series
}

/// A chart over the time buckets of `time`.
fn derive_time(inputs: ChartInputs<'_>, query: &QueryBody, time: &TimeColumn, now: Timestamp) -> ChartData {
    let ChartInputs { table, roles, measure, measures, options } = inputs;
    let unit = time.unit;
    let rows = table.row_count();
    let mut interner = Interner::default();
    let mut totals: Vec<f64> = Vec::new();
    let mut entries: Vec<Entry> = Vec::with_capacity(rows);
    // Bucket starts per entry, until the axis is known.
    let mut starts: Vec<i64> = Vec::with_capacity(rows);
    let mut key = String::new();
    let mut skipped_row_count = 0;
    // The legend reads like the grid's header (`count_id` as `count`).
    let single_name = crate::api::columns::column_display_name(&measure.name).to_string();
    for row in 0..rows {
        let CellRef::Timestamp(ms) = table.cell(row, time.index) else {
            skipped_row_count += 1;
            continue;
        };
        let series = if roles.keys.is_empty() {
            interner.id(&single_name)
        } else {
            series_key(table, row, &roles.keys, &mut key);
            interner.id(&key)
        };
        let value = measure_value(table, row, &measure);
        if totals.len() <= series as usize {
            totals.resize(series as usize + 1, 0.0);
        }
        if let (Some(total), Some(value)) = (totals.get_mut(series as usize), value) {
            *total += value;
        }
        entries.push(Entry { series, x: 0, value });
        starts.push(bucket_start(unit, ms));
    }
    let first = starts.iter().copied().min();
    let last = starts.iter().copied().max();
    let (buckets, complete_axis) = match (first, last) {
        (Some(first), Some(last)) => {
            let span = buckets_between(unit, first, last);
            if span < MAX_FILLED_BUCKETS as i64 {
                let count = span.max(0) as usize + 1;
                for (entry, &start) in entries.iter_mut().zip(&starts) {
                    entry.x = buckets_between(unit, first, start) as u32;
                }
                ((0..count as i64).map(|i| nth_bucket(unit, first, i)).collect::<Vec<i64>>(), true)
            } else {
                let mut present = starts.clone();
                present.sort_unstable();
                present.dedup();
                for (entry, start) in entries.iter_mut().zip(&starts) {
                    entry.x = present.binary_search(start).unwrap_or(0) as u32;
                }
                (present, false)
            }
        }
        _ => (Vec::new(), true),
    };
    let folding = rank_and_fold(&interner.names, &totals, options.top_n);
    let x_count = buckets.len();
    let series = densify(
        &entries,
        XAxis { position: &|x| Some(x as usize).filter(|&x| x < x_count), count: x_count },
        &folding,
        measure.kind,
        options.fill_gaps,
    );
    let time_filter = time_filter(query, time.field);
    let (partial_first, partial_last) = partial_marks(unit, &buckets, time_filter, now.as_millisecond());
    let group_columns =
        roles.keys.iter().filter_map(|&i| table.column(i)).map(|c| c.name().to_string()).collect();
    ChartData {
        unit,
        time_column: time.name.clone(),
        buckets,
        series,
        partial_first,
        partial_last,
        measure: measure.name,
        measure_kind: measure.kind,
        measures,
        group_columns,
        series_count_before_folding: interner.names.len(),
        folded_series_count: folding.folded,
        complete_axis,
        skipped_row_count,
        time_filter,
    }
}

/// A chart of one bar per value of the `category` column.
fn derive_category(inputs: ChartInputs<'_>, category: usize) -> CategoryData {
    let ChartInputs { table, roles, measure, measures, options } = inputs;
    let rows = table.row_count();
    let other_keys: Vec<usize> = roles.keys.iter().copied().filter(|&k| k != category).collect();
    let mut categories = Interner::default();
    let mut category_totals: Vec<f64> = Vec::new();
    let mut series_names = Interner::default();
    let mut series_totals: Vec<f64> = Vec::new();
    let mut entries = Vec::with_capacity(rows);
    let mut key = String::new();
    for row in 0..rows {
        key.clear();
        push_label(table, row, category, &mut key);
        let x = categories.id(&key);
        let series = if other_keys.is_empty() {
            series_names.id(crate::api::columns::column_display_name(&measure.name))
        } else {
            series_key(table, row, &other_keys, &mut key);
            series_names.id(&key)
        };
        let value = measure_value(table, row, &measure);
        for (totals, id) in [(&mut category_totals, x), (&mut series_totals, series)] {
            if totals.len() <= id as usize {
                totals.resize(id as usize + 1, 0.0);
            }
            if let (Some(total), Some(value)) = (totals.get_mut(id as usize), value) {
                *total += value;
            }
        }
        entries.push(Entry { series, x, value });
    }
    let category_folding = rank_and_fold(&categories.names, &category_totals, options.top_n);
    let labels = category_folding.labels();
    let kept_count = category_folding.kept.len();
    let x_map = |x: u32| -> Option<usize> {
        Some(category_folding.new_index.get(x as usize).copied().flatten().unwrap_or(kept_count))
    };
    let series_folding = rank_and_fold(&series_names.names, &series_totals, options.top_n);
    let series = densify(
        &entries,
        XAxis { position: &x_map, count: labels.len() },
        &series_folding,
        measure.kind,
        options.fill_gaps,
    );
    CategoryData {
        column: table.column(category).map(|c| c.name().to_string()).unwrap_or_default(),
        categories: labels,
        series,
        measure: measure.name,
        measure_kind: measure.kind,
        measures,
        category_count_before_folding: categories.names.len(),
        folded_category_count: category_folding.folded,
        series_count_before_folding: series_names.names.len(),
        folded_series_count: series_folding.folded,
    }
}

// ---------------------------------------------------------------------------------------
// CSV.

fn series_csv(first_header: &str, labels: &[String], series: &[Series]) -> String {
    let mut out = Vec::new();
    let mut number = String::new();
    csv_field(&mut out, first_header.as_bytes());
    for s in series {
        out.push(b',');
        csv_field(&mut out, s.name.as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    for (index, label) in labels.iter().enumerate() {
        csv_field(&mut out, label.as_bytes());
        for s in series {
            out.push(b',');
            if let Some(Some(value)) = s.values.get(index) {
                number.clear();
                write_float(*value, &mut number);
                out.extend_from_slice(number.as_bytes());
            }
        }
        out.extend_from_slice(b"\r\n");
    }
    // Always UTF-8: UTF-8 fields with ASCII quotes and separators between them.
    String::from_utf8(out).unwrap_or_else(|err| String::from_utf8_lossy(err.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests;
