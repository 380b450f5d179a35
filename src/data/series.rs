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
//! [`SeriesCache`] memoises the derivation so that a frame never re-derives: the key is the
//! table's identity and contents fingerprint, the query, and the options.

use super::time::{civil_from_days, days_from_civil};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};

use jiff::Timestamp;

use crate::api::columns::{ColumnSource, field_column_name};
use crate::api::query::{Aggregation, Field, Filter, FilterValue, Operator, QueryBody, Scalar, TimeUnit};
use crate::api::timestamp::parse_filter_timestamp;

use super::display::{bucket_export_label, cell_copy_text};
use super::export::csv_field;
use super::table::{CellRef, Column, ColumnType, ResultTable, write_float};
use super::time::{TimestampLayout, format_strict};

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

const MILLIS_PER_HOUR: i64 = 3_600_000;
const MILLIS_PER_DAY: i64 = 86_400_000;
const MILLIS_PER_WEEK: i64 = 7 * MILLIS_PER_DAY;
/// Day number (since 1970-01-01, a Thursday) of the first Monday, 1970-01-05.
const FIRST_MONDAY_DAYS: i64 = 4;

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

/// The instants a query's time filter lets through, at millisecond precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimeFilter {
    /// The first instant included (epoch ms), if the filter has a lower bound.
    pub start_ms: Option<i64>,
    /// The first instant excluded (epoch ms), if the filter has an upper bound.
    pub end_ms: Option<i64>,
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
    if let Some(time) = &roles.time {
        return Chart::Time(derive_time(table, query, &roles, time, measure, measures, options, now));
    }
    match category_column(table, query, &roles) {
        Some(category) => {
            Chart::Category(derive_category(table, &roles, category, measure, measures, options))
        }
        None => Chart::Unavailable(NoChart::NoTimeBucket),
    }
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
/// kept ids in rank order, and how many were folded.
struct Folding {
    new_index: Vec<Option<usize>>,
    kept: Vec<usize>,
    folded: usize,
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
    Folding { new_index, kept: order, folded: names.len() - keep_count }
}

/// A name for the folded rest that no kept name already uses.
fn other_name(kept_names: &[&str]) -> String {
    let mut name = OTHER_NAME.to_string();
    while kept_names.contains(&name.as_str()) {
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

/// Turns entries into dense series: the kept series in rank order, then `Other`.
#[allow(clippy::too_many_arguments)]
fn densify(
    entries: &[Entry],
    x_map: &dyn Fn(u32) -> Option<usize>,
    x_count: usize,
    series_names: &[String],
    folding: &Folding,
    kind: MeasureKind,
    fill_gaps: bool,
) -> Vec<Series> {
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
    let kept_names: Vec<&str> =
        folding.kept.iter().filter_map(|&id| series_names.get(id)).map(String::as_str).collect();
    let mut series = Vec::with_capacity(series_count);
    for (index, chunk) in grid.chunks(x_count.max(1)).enumerate().take(series_count) {
        let values: Vec<Option<f64>> = chunk.iter().map(|acc| acc.finish(kind, fill_gaps)).collect();
        let total = values.iter().flatten().sum();
        let is_other = index >= folding.kept.len();
        let name = if is_other {
            other_name(&kept_names)
        } else {
            kept_names.get(index).map(|s| s.to_string()).unwrap_or_default()
        };
        series.push(Series { name, values, total, is_other });
    }
    series
}

#[allow(clippy::too_many_arguments)]
fn derive_time(
    table: &ResultTable,
    query: &QueryBody,
    roles: &ColumnRoles,
    time: &TimeColumn,
    measure: Measure,
    measures: Vec<String>,
    options: &SeriesOptions,
    now: Timestamp,
) -> ChartData {
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
        &|x| Some(x as usize).filter(|&x| x < x_count),
        x_count,
        &interner.names,
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

fn derive_category(
    table: &ResultTable,
    roles: &ColumnRoles,
    category: usize,
    measure: Measure,
    measures: Vec<String>,
    options: &SeriesOptions,
) -> CategoryData {
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
    let kept_categories: Vec<&str> =
        category_folding.kept.iter().filter_map(|&id| categories.names.get(id)).map(String::as_str).collect();
    let mut labels: Vec<String> = kept_categories.iter().map(|s| s.to_string()).collect();
    if category_folding.folded > 0 {
        labels.push(other_name(&kept_categories));
    }
    let kept_count = category_folding.kept.len();
    let x_map = |x: u32| -> Option<usize> {
        Some(category_folding.new_index.get(x as usize).copied().flatten().unwrap_or(kept_count))
    };
    let series_folding = rank_and_fold(&series_names.names, &series_totals, options.top_n);
    let series = densify(
        &entries,
        &x_map,
        labels.len(),
        &series_names.names,
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
// Buckets (UTC).

/// The start (epoch ms) of the `unit` bucket holding `ms`: hours, days, ISO weeks starting
/// Monday, calendar months; all in UTC.
pub fn bucket_start(unit: TimeUnit, ms: i64) -> i64 {
    match unit {
        TimeUnit::Hour => ms - ms.rem_euclid(MILLIS_PER_HOUR),
        TimeUnit::Day => ms - ms.rem_euclid(MILLIS_PER_DAY),
        TimeUnit::Week => {
            let days = ms.div_euclid(MILLIS_PER_DAY);
            (days - (days - FIRST_MONDAY_DAYS).rem_euclid(7)) * MILLIS_PER_DAY
        }
        TimeUnit::Month => month_start(month_index(ms)),
    }
}

/// The end (exclusive, epoch ms) of the bucket starting at `start_ms`.
pub fn bucket_end(unit: TimeUnit, start_ms: i64) -> i64 {
    nth_bucket(unit, bucket_start(unit, start_ms), 1)
}

/// The start of the bucket `n` buckets after the one starting at `start_ms`.
pub fn nth_bucket(unit: TimeUnit, start_ms: i64, n: i64) -> i64 {
    match unit {
        TimeUnit::Hour => start_ms + n * MILLIS_PER_HOUR,
        TimeUnit::Day => start_ms + n * MILLIS_PER_DAY,
        TimeUnit::Week => start_ms + n * MILLIS_PER_WEEK,
        TimeUnit::Month => month_start(month_index(start_ms) + n),
    }
}

/// How many buckets after the one starting at `first_ms` the one starting at `later_ms` is.
pub fn buckets_between(unit: TimeUnit, first_ms: i64, later_ms: i64) -> i64 {
    match unit {
        TimeUnit::Hour => (later_ms - first_ms).div_euclid(MILLIS_PER_HOUR),
        TimeUnit::Day => (later_ms - first_ms).div_euclid(MILLIS_PER_DAY),
        TimeUnit::Week => (later_ms - first_ms).div_euclid(MILLIS_PER_WEEK),
        TimeUnit::Month => month_index(later_ms) - month_index(first_ms),
    }
}

/// Months since year 0 of the month holding `ms` (`year * 12 + month - 1`).
fn month_index(ms: i64) -> i64 {
    let (year, month, _) = civil_from_days(ms.div_euclid(MILLIS_PER_DAY));
    year * 12 + month - 1
}

/// The first instant of month `index` (see [`month_index`]).
fn month_start(index: i64) -> i64 {
    days_from_civil(index.div_euclid(12), index.rem_euclid(12) + 1, 1) * MILLIS_PER_DAY
}

// ---------------------------------------------------------------------------------------
// The query's time filter and partial buckets.

/// The bounds the query's filter puts on `field`: the `gt`/`gte`/`lt`/`lte` conditions that
/// every matching row must satisfy (reachable through `and` only; an `or` of one branch is
/// that branch). Values are RFC 3339 or `YYYY-MM-DD` (midnight UTC), as the API takes them.
pub fn time_filter(query: &QueryBody, field: Field) -> TimeFilter {
    let mut bounds = TimeFilter::default();
    if let Some(filter) = &query.filter {
        collect_bounds(filter, field, &mut bounds);
    }
    bounds
}

fn collect_bounds(filter: &Filter, field: Field, bounds: &mut TimeFilter) {
    match filter {
        Filter::Condition(condition) => {
            if condition.field != field {
                return;
            }
            let Some(FilterValue::Scalar(Scalar::String(text))) = &condition.value else {
                return;
            };
            // The filter's own rule: this query was validated with it before it ran.
            let Some(ms) = parse_filter_timestamp(text).map(Timestamp::as_millisecond) else {
                return;
            };
            let (start, end) = match condition.operator {
                Operator::Gt => (Some(ms + 1), None),
                Operator::Gte => (Some(ms), None),
                Operator::Lt => (None, Some(ms)),
                Operator::Lte => (None, Some(ms + 1)),
                _ => (None, None),
            };
            if let Some(start) = start {
                bounds.start_ms = Some(bounds.start_ms.map_or(start, |s| s.max(start)));
            }
            if let Some(end) = end {
                bounds.end_ms = Some(bounds.end_ms.map_or(end, |e| e.min(end)));
            }
        }
        Filter::And(items) => items.iter().for_each(|item| collect_bounds(item, field, bounds)),
        Filter::Or(items) => {
            if let [only] = items.as_slice() {
                collect_bounds(only, field, bounds);
            }
        }
    }
}

/// Whether the first and the last bucket are partial: the filter starts inside the first,
/// or ends inside the last, or the last is not over at `now_ms`.
pub fn partial_marks(unit: TimeUnit, buckets: &[i64], filter: TimeFilter, now_ms: i64) -> (bool, bool) {
    let (Some(&first), Some(&last)) = (buckets.first(), buckets.last()) else {
        return (false, false);
    };
    let first_end = bucket_end(unit, first);
    let last_end = bucket_end(unit, last);
    let partial_first = filter.start_ms.is_some_and(|start| start > first && start < first_end);
    let cut_by_filter = filter.end_ms.is_some_and(|end| end > last && end < last_end);
    (partial_first, cut_by_filter || now_ms < last_end)
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

// ---------------------------------------------------------------------------------------
// The cache.

/// What identifies a derivation: the table (address, shape and a fingerprint of its
/// contents, so a new table at a reused address is still noticed), the query and the options.
#[derive(Debug, Clone, PartialEq)]
struct CacheKey {
    table: Option<TableIdentity>,
    query: QueryBody,
    options: SeriesOptions,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TableIdentity {
    address: usize,
    row_count: usize,
    column_count: usize,
    fingerprint: u64,
}

impl TableIdentity {
    fn of(table: &ResultTable) -> TableIdentity {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        let rows = table.row_count();
        let samples = [0, rows / 3, rows / 2, rows.saturating_sub(1)];
        for column in table.columns() {
            column.name().hash(&mut hasher);
            column.column_type().hash(&mut hasher);
            column.null_count().hash(&mut hasher);
            for row in samples.into_iter().filter(|&row| row < rows) {
                hash_cell(column.cell(row), &mut hasher);
            }
        }
        TableIdentity {
            address: std::ptr::from_ref(table) as usize,
            row_count: rows,
            column_count: table.column_count(),
            fingerprint: hasher.finish(),
        }
    }
}

fn hash_cell(cell: CellRef<'_>, hasher: &mut impl Hasher) {
    match cell {
        CellRef::Null => 0u8.hash(hasher),
        CellRef::Int(v) | CellRef::Timestamp(v) => v.hash(hasher),
        CellRef::Float(v) => v.to_bits().hash(hasher),
        CellRef::Text(s) | CellRef::Json(s) => s.hash(hasher),
        CellRef::Bool(b) => b.hash(hasher),
    }
}

/// Memoises [`derive_chart`]: a frame only re-derives when the table, the query or the
/// options change; the partial marks follow the current time every frame (cheaply).
#[derive(Debug, Default)]
pub struct SeriesCache {
    key: Option<CacheKey>,
    chart: Chart,
    derivation_count: u64,
}

impl SeriesCache {
    /// An empty cache.
    pub fn new() -> SeriesCache {
        SeriesCache::default()
    }

    /// The chart of `table` under `query` and `options`, derived only when one of them changed.
    pub fn get(
        &mut self,
        table: Option<&ResultTable>,
        query: &QueryBody,
        options: &SeriesOptions,
        now: Timestamp,
    ) -> &Chart {
        let identity = table.map(TableIdentity::of);
        let fresh = self
            .key
            .as_ref()
            .is_some_and(|key| key.table == identity && key.options == *options && key.query == *query);
        if fresh {
            if let Chart::Time(data) = &mut self.chart {
                data.apply_now(now);
            }
        } else {
            self.chart = derive_chart(table, query, options, now);
            self.key = Some(CacheKey { table: identity, query: query.clone(), options: options.clone() });
            self.derivation_count += 1;
        }
        &self.chart
    }

    /// The last chart derived (without checking whether it is current).
    pub fn chart(&self) -> &Chart {
        &self.chart
    }

    /// How many times the chart was derived: changes exactly when the chart was rebuilt, so
    /// the UI can reset its zoom for a new result.
    pub fn derivation_count(&self) -> u64 {
        self.derivation_count
    }

    /// Forgets the cached chart.
    pub fn clear(&mut self) {
        self.key = None;
        self.chart = Chart::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::query::parse_query;
    use serde_json::{Map, Value, json};

    fn ms(text: &str) -> i64 {
        text.parse::<Timestamp>().unwrap().as_millisecond()
    }

    fn table(query: &QueryBody, rows: Value) -> ResultTable {
        let rows: Vec<Map<String, Value>> =
            rows.as_array().unwrap().iter().map(|row| row.as_object().cloned().unwrap()).collect();
        ResultTable::from_rows(query, &rows)
    }

    fn query(text: Value) -> QueryBody {
        parse_query(&text.to_string()).unwrap()
    }

    /// A time after every bucket in these tests, so nothing is partial because of `now`.
    fn later() -> Timestamp {
        "2100-01-01T00:00:00Z".parse::<Timestamp>().unwrap()
    }

    fn day_by_type() -> QueryBody {
        query(json!({
            "select": [{"type": "time", "timeUnit": "day"}, {"type": "aggregation", "aggregation": "count"}],
            "groupBy": [{"field": "type"}]
        }))
    }

    fn time_chart(table: &ResultTable, query: &QueryBody, options: &SeriesOptions) -> ChartData {
        match derive_chart(Some(table), query, options, later()) {
            Chart::Time(data) => data,
            other => panic!("expected a time chart, got {other:?}"),
        }
    }

    fn values(series: &Series) -> Vec<Option<f64>> {
        series.values.clone()
    }

    fn named<'a>(data: &'a ChartData, name: &str) -> &'a Series {
        data.series.iter().find(|s| s.name == name).unwrap_or_else(|| panic!("no series {name}"))
    }

    #[test]
    fn detects_time_bucket_measures_and_keys() {
        let q = query(json!({
            "select": [
                {"type": "time", "timeUnit": "week"},
                {"type": "aggregation", "aggregation": "count"},
                {"type": "aggregation", "aggregation": "avg", "field": "userMessageCount"},
                {"type": "aggregation", "aggregation": "min", "field": "firstMessageTime"}
            ],
            "groupBy": [{"field": "type"}, {"field": "userMessageCount"}]
        }));
        let t = table(
            &q,
            json!([{
                "firstMessageTime_week": "2026-03-02T00:00:00Z", "count": 3, "avg_userMessageCount": 2.5,
                "min_firstMessageTime": "2026-03-03T10:00:00.000Z", "type": "openai", "userMessageCount": 4
            }]),
        );
        let roles = column_roles(&t);
        let time = roles.time.unwrap();
        assert_eq!((time.index, time.unit, time.field), (0, TimeUnit::Week, Field::FirstMessageTime));
        assert_eq!(roles.measures, vec![1, 2], "count and avg; min of a time is not a number");
        // The numeric group-by key is a key, not a measure, because there are aggregations.
        assert_eq!(roles.keys, vec![4, 5]);
    }

    #[test]
    fn a_bucket_name_needs_timestamp_values_and_a_known_unit() {
        let q = query(json!({"select": [{"type": "field", "field": "properties", "path": ["visit_day"]}]}));
        let t = table(&q, json!([{"properties.visit_day": "monday"}]));
        assert!(column_roles(&t).time.is_none(), "text values are not buckets");
        let q = query(json!({"select": [{"type": "field", "field": "properties", "path": ["a_year"]}]}));
        let t = table(&q, json!([{"properties.a_year": "2026-01-01T00:00:00Z"}]));
        assert!(column_roles(&t).time.is_none(), "year is not a bucket unit");
    }

    #[test]
    fn pivots_one_series_per_type_with_null_as_none() {
        let q = day_by_type();
        let t = table(
            &q,
            json!([
                {"firstMessageTime_day": "2026-03-01T00:00:00Z", "count": 5, "type": "openai"},
                {"firstMessageTime_day": "2026-03-01T00:00:00Z", "count": 2, "type": "support_ticket"},
                {"firstMessageTime_day": "2026-03-02T00:00:00Z", "count": 7, "type": "openai"},
                {"firstMessageTime_day": "2026-03-02T00:00:00Z", "count": 1, "type": null},
            ]),
        );
        let data = time_chart(&t, &q, &SeriesOptions::default());
        assert_eq!(data.unit, TimeUnit::Day);
        assert_eq!(data.buckets, vec![ms("2026-03-01T00:00:00Z"), ms("2026-03-02T00:00:00Z")]);
        let names: Vec<&str> = data.series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, vec!["openai", "support_ticket", NONE_LABEL], "by total, then name");
        assert_eq!(values(named(&data, "openai")), vec![Some(5.0), Some(7.0)]);
        assert_eq!(values(named(&data, "support_ticket")), vec![Some(2.0), Some(0.0)]);
        assert_eq!(values(named(&data, NONE_LABEL)), vec![Some(0.0), Some(1.0)]);
        assert_eq!(named(&data, "openai").total, 12.0);
        assert_eq!(data.measure, "count");
        assert_eq!(data.group_columns, vec!["type".to_string()]);
    }

    #[test]
    fn several_keys_combine_and_no_key_names_the_series_after_the_measure() {
        let q = query(json!({
            "select": [{"type": "time", "timeUnit": "day"}, {"type": "aggregation", "aggregation": "sum", "field": "userMessageCount"}],
            "groupBy": [{"field": "type"}, {"field": "userProperties", "path": ["supportAgentName"]}]
        }));
        let t = table(
            &q,
            json!([
                {"firstMessageTime_day": "2026-03-01T00:00:00Z", "sum_userMessageCount": 4, "type": "openai", "userProperties.supportAgentName": "Ann"},
                {"firstMessageTime_day": "2026-03-01T00:00:00Z", "sum_userMessageCount": 3, "type": "openai", "userProperties.supportAgentName": null},
            ]),
        );
        let data = time_chart(&t, &q, &SeriesOptions::default());
        let names: Vec<&str> = data.series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, vec!["openai · Ann", "openai · (none)"]);

        let q = query(
            json!({"select": [{"type": "time", "timeUnit": "day"}, {"type": "aggregation", "aggregation": "count"}]}),
        );
        let t = table(&q, json!([{"firstMessageTime_day": "2026-03-01T00:00:00Z", "count": 9}]));
        let data = time_chart(&t, &q, &SeriesOptions::default());
        assert_eq!(data.series.len(), 1);
        assert_eq!(data.series[0].name, "count");
        assert_eq!(data.series[0].values, vec![Some(9.0)]);
    }

    #[test]
    fn top_n_keeps_the_largest_and_folds_the_rest_into_other() {
        let q = query(json!({
            "select": [{"type": "time", "timeUnit": "day"}, {"type": "aggregation", "aggregation": "count"}],
            "groupBy": [{"field": "userProperties", "path": ["userId"]}]
        }));
        // 50 users; user i has i+1 conversations on day 1 and 2*(i+1) on day 2.
        let mut rows = Vec::new();
        for i in 0..50 {
            rows.push(json!({"firstMessageTime_day": "2026-03-01T00:00:00Z", "count": i + 1, "userProperties.userId": format!("u{i:02}")}));
            rows.push(json!({"firstMessageTime_day": "2026-03-02T00:00:00Z", "count": 2 * (i + 1), "userProperties.userId": format!("u{i:02}")}));
        }
        let t = table(&q, Value::Array(rows));
        let data = time_chart(&t, &q, &SeriesOptions { top_n: 10, ..SeriesOptions::default() });
        assert_eq!(data.series.len(), 11);
        assert_eq!(data.series_count_before_folding, 50);
        assert_eq!(data.folded_series_count, 40);
        let expected_kept: Vec<String> = (40..50).rev().map(|i| format!("u{i:02}")).collect();
        let kept: Vec<String> = data.series[..10].iter().map(|s| s.name.clone()).collect();
        assert_eq!(kept, expected_kept);
        let other = data.series.last().unwrap();
        assert!(other.is_other);
        assert_eq!(other.name, OTHER_NAME);
        // Users 0..40 fold: day 1 sums 1..=40 = 820, day 2 twice that.
        assert_eq!(other.values, vec![Some(820.0), Some(1640.0)]);
        assert_eq!(other.total, 2460.0);
        // Every row is still counted once.
        let all: f64 = data.series.iter().map(|s| s.total).sum();
        assert_eq!(all, 3.0 * (50.0 * 51.0 / 2.0));

        // N + 1 series: folding one would only rename it.
        let data = time_chart(&t, &q, &SeriesOptions { top_n: 49, ..SeriesOptions::default() });
        assert_eq!(data.series.len(), 50);
        assert!(data.series.iter().all(|s| !s.is_other));
    }

    #[test]
    fn other_of_averages_is_their_mean() {
        let q = query(json!({
            "select": [{"type": "time", "timeUnit": "day"}, {"type": "aggregation", "aggregation": "avg", "field": "userMessageCount"}],
            "groupBy": [{"field": "type"}]
        }));
        let t = table(
            &q,
            json!([
                {"firstMessageTime_day": "2026-03-01T00:00:00Z", "avg_userMessageCount": 10.0, "type": "a"},
                {"firstMessageTime_day": "2026-03-01T00:00:00Z", "avg_userMessageCount": 2.0, "type": "b"},
                {"firstMessageTime_day": "2026-03-01T00:00:00Z", "avg_userMessageCount": 4.0, "type": "c"},
                {"firstMessageTime_day": "2026-03-03T00:00:00Z", "avg_userMessageCount": 1.0, "type": "d"},
            ]),
        );
        let data = time_chart(&t, &q, &SeriesOptions { top_n: 1, ..SeriesOptions::default() });
        assert_eq!(data.measure_kind, MeasureKind::Mean);
        assert_eq!(data.series[0].name, "a");
        // A missing average is a gap, never a zero, even with gap filling on.
        assert_eq!(data.series[0].values, vec![Some(10.0), None, None]);
        assert_eq!(data.series[1].values, vec![Some(3.0), None, Some(1.0)]);
    }

    #[test]
    fn day_gaps_are_filled_across_a_leap_day_or_left_as_gaps() {
        let q = day_by_type();
        let t = table(
            &q,
            json!([
                {"firstMessageTime_day": "2028-02-27T00:00:00Z", "count": 3, "type": "openai"},
                {"firstMessageTime_day": "2028-03-01T00:00:00Z", "count": 4, "type": "openai"},
            ]),
        );
        let data = time_chart(&t, &q, &SeriesOptions::default());
        let expected: Vec<i64> = ["2028-02-27", "2028-02-28", "2028-02-29", "2028-03-01"]
            .iter()
            .map(|d| ms(&format!("{d}T00:00:00Z")))
            .collect();
        assert_eq!(data.buckets, expected);
        assert_eq!(data.series[0].values, vec![Some(3.0), Some(0.0), Some(0.0), Some(4.0)]);
        assert!(data.complete_axis);

        let gaps = time_chart(&t, &q, &SeriesOptions { fill_gaps: false, ..SeriesOptions::default() });
        assert_eq!(gaps.buckets, expected, "the axis stays complete");
        assert_eq!(gaps.series[0].values, vec![Some(3.0), None, None, Some(4.0)]);
    }

    #[test]
    fn week_gaps_cross_month_and_year_boundaries_on_mondays() {
        let q = query(
            json!({"select": [{"type": "time", "timeUnit": "week"}, {"type": "aggregation", "aggregation": "count"}]}),
        );
        let t = table(
            &q,
            json!([
                {"firstMessageTime_week": "2025-12-22T00:00:00Z", "count": 1},
                {"firstMessageTime_week": "2026-01-12T00:00:00Z", "count": 2},
            ]),
        );
        let data = time_chart(&t, &q, &SeriesOptions::default());
        let expected: Vec<i64> = ["2025-12-22", "2025-12-29", "2026-01-05", "2026-01-12"]
            .iter()
            .map(|d| ms(&format!("{d}T00:00:00Z")))
            .collect();
        assert_eq!(data.buckets, expected);
        assert_eq!(data.series[0].values, vec![Some(1.0), Some(0.0), Some(0.0), Some(2.0)]);
        // Every bucket start is a Monday.
        for &b in &data.buckets {
            let weekday = Timestamp::from_millisecond(b).unwrap().strftime("%a").to_string();
            assert_eq!(weekday, "Mon");
        }
    }

    #[test]
    fn month_gaps_use_calendar_months_including_leap_february() {
        let q = query(
            json!({"select": [{"type": "time", "timeUnit": "month"}, {"type": "aggregation", "aggregation": "count"}]}),
        );
        let t = table(
            &q,
            json!([
                {"firstMessageTime_month": "2027-11-01T00:00:00Z", "count": 1},
                {"firstMessageTime_month": "2028-04-01T00:00:00Z", "count": 2},
            ]),
        );
        let data = time_chart(&t, &q, &SeriesOptions::default());
        let expected: Vec<i64> =
            ["2027-11-01", "2027-12-01", "2028-01-01", "2028-02-01", "2028-03-01", "2028-04-01"]
                .iter()
                .map(|d| ms(&format!("{d}T00:00:00Z")))
                .collect();
        assert_eq!(data.buckets, expected);
        assert_eq!(
            data.series[0].values,
            vec![Some(1.0), Some(0.0), Some(0.0), Some(0.0), Some(0.0), Some(2.0)]
        );
        assert_eq!(bucket_end(TimeUnit::Month, ms("2028-02-01T00:00:00Z")), ms("2028-03-01T00:00:00Z"));
        assert_eq!(
            ms("2028-03-01T00:00:00Z") - ms("2028-02-01T00:00:00Z"),
            29 * MILLIS_PER_DAY,
            "February 2028 has 29 days"
        );
    }

    #[test]
    fn hour_gaps_cross_midnight() {
        let q = query(
            json!({"select": [{"type": "time", "timeUnit": "hour"}, {"type": "aggregation", "aggregation": "count"}]}),
        );
        let t = table(
            &q,
            json!([
                {"firstMessageTime_hour": "2026-03-03T22:00:00Z", "count": 5},
                {"firstMessageTime_hour": "2026-03-04T01:00:00Z", "count": 6},
            ]),
        );
        let data = time_chart(&t, &q, &SeriesOptions::default());
        let expected: Vec<i64> = ["2026-03-03T22", "2026-03-03T23", "2026-03-04T00", "2026-03-04T01"]
            .iter()
            .map(|h| ms(&format!("{h}:00:00Z")))
            .collect();
        assert_eq!(data.buckets, expected);
        assert_eq!(data.series[0].values, vec![Some(5.0), Some(0.0), Some(0.0), Some(6.0)]);
    }

    #[test]
    fn bucket_arithmetic_matches_jiff() {
        use jiff::civil::DateTime;
        use jiff::tz::Offset;
        let utc = |civil: DateTime| Offset::UTC.to_timestamp(civil).unwrap().as_millisecond();
        let mut t = DateTime::constant(2027, 12, 20, 0, 0, 0, 0);
        let end = DateTime::constant(2028, 3, 10, 0, 0, 0, 0);
        while t < end {
            let m = utc(t) + 1234;
            let hour = t.with().minute(0).second(0).build().unwrap();
            assert_eq!(bucket_start(TimeUnit::Hour, m), utc(hour));
            let day = t.date().to_datetime(jiff::civil::Time::midnight());
            assert_eq!(bucket_start(TimeUnit::Day, m), utc(day));
            let monday = day - jiff::Span::new().days(i64::from(day.weekday().to_monday_zero_offset()));
            assert_eq!(bucket_start(TimeUnit::Week, m), utc(monday), "{t}");
            let month = t.date().first_of_month().to_datetime(jiff::civil::Time::midnight());
            assert_eq!(bucket_start(TimeUnit::Month, m), utc(month));
            t += jiff::Span::new().hours(7);
        }
    }

    #[test]
    fn a_filter_starting_mid_week_marks_the_first_bucket_partial() {
        let base = json!({
            "select": [{"type": "time", "timeUnit": "week"}, {"type": "aggregation", "aggregation": "count"}],
        });
        let rows = json!([
            {"firstMessageTime_week": "2026-03-02T00:00:00Z", "count": 1},
            {"firstMessageTime_week": "2026-03-09T00:00:00Z", "count": 1},
            {"firstMessageTime_week": "2026-03-16T00:00:00Z", "count": 1},
        ]);
        let with_filter = |filter: Value| {
            let mut body = base.clone();
            body["where"] = filter;
            query(body)
        };
        // Wednesday 2026-03-04: inside the first week.
        let q = with_filter(json!({"and": [
            {"condition": {"field": "firstMessageTime", "operator": "gte", "value": "2026-03-04"}},
            {"condition": {"field": "type", "operator": "eq", "value": "openai"}}
        ]}));
        let data = time_chart(&table(&q, rows.clone()), &q, &SeriesOptions::default());
        assert_eq!(data.time_filter.start_ms, Some(ms("2026-03-04T00:00:00Z")));
        assert!(data.partial_first);
        assert!(!data.partial_last);
        assert!(data.is_partial(0) && !data.is_partial(1) && !data.is_partial(2));

        // From the Monday itself the first week is whole.
        let q = with_filter(
            json!({"condition": {"field": "firstMessageTime", "operator": "gte", "value": "2026-03-02T00:00:00Z"}}),
        );
        assert!(!time_chart(&table(&q, rows.clone()), &q, &SeriesOptions::default()).partial_first);

        // Inside an OR the bound does not hold for every row.
        let q = with_filter(json!({"or": [
            {"condition": {"field": "firstMessageTime", "operator": "gte", "value": "2026-03-04"}},
            {"condition": {"field": "type", "operator": "eq", "value": "openai"}}
        ]}));
        assert!(!time_chart(&table(&q, rows.clone()), &q, &SeriesOptions::default()).partial_first);

        // An upper bound on the Thursday of the last week cuts it; `lt` next Monday does not.
        let q = with_filter(
            json!({"and": [{"condition": {"field": "firstMessageTime", "operator": "lte", "value": "2026-03-19T12:00:00+01:00"}}]}),
        );
        let data = time_chart(&table(&q, rows.clone()), &q, &SeriesOptions::default());
        assert_eq!(data.time_filter.end_ms, Some(ms("2026-03-19T11:00:00Z") + 1));
        assert!(data.partial_last);
        let q = with_filter(
            json!({"condition": {"field": "firstMessageTime", "operator": "lt", "value": "2026-03-23"}}),
        );
        assert!(!time_chart(&table(&q, rows), &q, &SeriesOptions::default()).partial_last);
    }

    #[test]
    fn now_inside_the_last_bucket_marks_it_partial() {
        let q = query(
            json!({"select": [{"type": "time", "timeUnit": "month"}, {"type": "aggregation", "aggregation": "count"}]}),
        );
        let t = table(
            &q,
            json!([
                {"firstMessageTime_month": "2026-01-01T00:00:00Z", "count": 1},
                {"firstMessageTime_month": "2026-02-01T00:00:00Z", "count": 1},
            ]),
        );
        let at = |text: &str| text.parse::<Timestamp>().unwrap();
        let Chart::Time(mut data) =
            derive_chart(Some(&t), &q, &SeriesOptions::default(), at("2026-02-28T23:59:59Z"))
        else {
            panic!("time chart expected")
        };
        assert!(data.partial_last && !data.partial_first);
        data.apply_now(at("2026-03-01T00:00:00Z"));
        assert!(!data.partial_last, "February is over at midnight on March 1");
    }

    #[test]
    fn category_chart_by_the_first_group_by_column() {
        let q = query(json!({
            "select": [{"type": "aggregation", "aggregation": "count"}],
            "groupBy": [{"field": "type"}]
        }));
        let t = table(
            &q,
            json!([
                {"count": 5, "type": "openai"},
                {"count": 9, "type": "support_ticket"},
                {"count": 2, "type": null},
            ]),
        );
        let Chart::Category(data) = derive_chart(Some(&t), &q, &SeriesOptions::default(), later()) else {
            panic!("category chart expected")
        };
        assert_eq!(data.column, "type");
        assert_eq!(data.categories, vec!["support_ticket", "openai", NONE_LABEL]);
        assert_eq!(data.series.len(), 1);
        assert_eq!(data.series[0].name, "count");
        assert_eq!(data.series[0].values, vec![Some(9.0), Some(5.0), Some(2.0)]);

        let data = match derive_chart(
            Some(&t),
            &q,
            &SeriesOptions { top_n: 1, ..SeriesOptions::default() },
            later(),
        ) {
            Chart::Category(data) => data,
            other => panic!("{other:?}"),
        };
        assert_eq!(data.categories, vec!["support_ticket", OTHER_NAME]);
        assert_eq!(data.series[0].values, vec![Some(9.0), Some(7.0)]);
    }

    #[test]
    fn without_bucket_or_group_there_is_an_explanation() {
        let q = query(json!({"select": [{"type": "aggregation", "aggregation": "count"}]}));
        let t = table(&q, json!([{"count": 5}]));
        let chart = derive_chart(Some(&t), &q, &SeriesOptions::default(), later());
        assert_eq!(chart, Chart::Unavailable(NoChart::NoTimeBucket));
        assert!(NoChart::NoTimeBucket.offers_day_bucket());
        assert_eq!(
            derive_chart(None, &q, &SeriesOptions::default(), later()),
            Chart::Unavailable(NoChart::NoResult)
        );
        let empty = table(&q, json!([]));
        assert_eq!(
            derive_chart(Some(&empty), &q, &SeriesOptions::default(), later()),
            Chart::Unavailable(NoChart::NoRows)
        );
    }

    #[test]
    fn the_measure_can_be_chosen_and_rows_are_counted_without_one() {
        let q = query(json!({
            "select": [
                {"type": "time", "timeUnit": "day"},
                {"type": "aggregation", "aggregation": "count"},
                {"type": "aggregation", "aggregation": "max", "field": "userMessageCount"}
            ]
        }));
        let t = table(
            &q,
            json!([{"firstMessageTime_day": "2026-03-01T00:00:00Z", "count": 4, "max_userMessageCount": 17}]),
        );
        let options =
            SeriesOptions { measure: Some("max_userMessageCount".into()), ..SeriesOptions::default() };
        let data = time_chart(&t, &q, &options);
        assert_eq!(data.measures, vec!["count".to_string(), "max_userMessageCount".to_string()]);
        assert_eq!((data.measure.as_str(), data.measure_kind), ("max_userMessageCount", MeasureKind::Max));
        assert_eq!(data.series[0].values, vec![Some(17.0)]);

        let q = query(
            json!({"select": [{"type": "time", "timeUnit": "day"}, {"type": "field", "field": "type"}]}),
        );
        let t = table(
            &q,
            json!([
                {"firstMessageTime_day": "2026-03-01T00:00:00Z", "type": "openai"},
                {"firstMessageTime_day": "2026-03-01T00:00:00Z", "type": "openai"},
                {"firstMessageTime_day": "2026-03-01T00:00:00Z", "type": "support_ticket"},
            ]),
        );
        let data = time_chart(&t, &q, &SeriesOptions::default());
        assert_eq!(data.measure, ROWS_MEASURE);
        assert_eq!(values(named(&data, "openai")), vec![Some(2.0)]);
        assert_eq!(values(named(&data, "support_ticket")), vec![Some(1.0)]);
    }

    #[test]
    fn csv_has_rfc3339_buckets_and_one_column_per_series() {
        let q = day_by_type();
        let t = table(
            &q,
            json!([
                {"firstMessageTime_day": "2026-03-01T00:00:00Z", "count": 5, "type": "open,ai"},
                {"firstMessageTime_day": "2026-03-03T00:00:00Z", "count": 2, "type": "support_ticket"},
            ]),
        );
        let data = time_chart(&t, &q, &SeriesOptions { fill_gaps: false, ..SeriesOptions::default() });
        assert_eq!(
            data.to_csv(),
            "firstMessageTime_day,\"open,ai\",support_ticket\r\n\
             2026-03-01,5,\r\n\
             2026-03-02,,\r\n\
             2026-03-03,,2\r\n"
        );
    }

    #[test]
    fn the_cache_derives_once_per_table_query_and_options() {
        let q = day_by_type();
        let rows = json!([{"firstMessageTime_day": "2026-03-01T00:00:00Z", "count": 5, "type": "openai"}]);
        let t = table(&q, rows);
        let mut cache = SeriesCache::new();
        let options = SeriesOptions::default();
        for _ in 0..5 {
            assert!(matches!(cache.get(Some(&t), &q, &options, later()), Chart::Time(_)));
        }
        assert_eq!(cache.derivation_count(), 1);
        let other = SeriesOptions { top_n: 3, ..SeriesOptions::default() };
        cache.get(Some(&t), &q, &other, later());
        assert_eq!(cache.derivation_count(), 2);
        let changed = table(
            &q,
            json!([{"firstMessageTime_day": "2026-03-01T00:00:00Z", "count": 6, "type": "openai"}]),
        );
        cache.get(Some(&changed), &q, &other, later());
        assert_eq!(cache.derivation_count(), 3);
        assert_eq!(cache.chart().series()[0].values, vec![Some(6.0)]);
        cache.get(None, &q, &other, later());
        assert_eq!(cache.chart(), &Chart::Unavailable(NoChart::NoResult));
    }
}
