//! Joining the answers of the two periods into one table.
//!
//! Each column of the current answer is one of:
//!
//! - a **bucket** (a time bucket column holding timestamps): joined on its offset, the
//!   number of buckets from the bucket holding the start of its period, so the first day
//!   of this range meets the first day of the previous one;
//! - a **measure** (an aggregation holding numbers): compared, and followed by its
//!   `previous` and `change %` columns (`previous <measure>` and `change % <measure>` when
//!   the query has more than one measure). A bucket is followed by `previous <bucket>`,
//!   the previous period's bucket it was joined with;
//! - a **group** (anything else): joined on its text, null distinct from empty.
//!
//! Rows come in the current answer's order, then the groups and buckets only the previous
//! period has, in its order. A side without a row counts as zero there.

use std::collections::{HashMap, VecDeque};

use jiff::tz::Offset;
use jiff::{SignedDuration, Timestamp};

use crate::api::columns::ColumnSource;
use crate::api::query::{Aggregation, TimeUnit};
use crate::data::builder::{ColumnBuilder, Hint};
use crate::data::table::{CellRef, Column, ColumnType, ResultTable};

use super::CompareOffset;
use super::range::{Periods, shift_months};
use super::summary::{Change, CompareSummary};

/// The joined table and the summary of its first additive measure.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The current answer's columns with the comparison columns beside them.
    pub table: ResultTable,
    /// Totals of the first `count` or `sum` column; `None` when the query has neither
    /// (averages, minima, maxima and distinct counts do not add up over rows).
    pub summary: Option<CompareSummary>,
    /// The previous period laid over the current one, for the chart: the current answer's
    /// columns (same names and sources) over the joined rows, each bucket the current
    /// period's bucket at the same offset and each measure its previous value.
    pub aligned_previous: ResultTable,
}

/// What a column of the current answer is to the join.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Bucket(TimeUnit),
    Measure,
    Group,
}

fn role_of(column: &Column) -> Role {
    match column.source() {
        Some(ColumnSource::TimeBucket { unit, .. }) if column.column_type() == ColumnType::Timestamp => {
            Role::Bucket(*unit)
        }
        Some(ColumnSource::Aggregation { .. }) if column.column_type().is_numeric() => Role::Measure,
        _ => Role::Group,
    }
}

fn is_additive(column: &Column) -> bool {
    matches!(
        column.source(),
        Some(ColumnSource::Aggregation { aggregation: Aggregation::Count | Aggregation::Sum, .. })
    )
}

/// The first instant of the `unit` bucket holding `at` (UTC; weeks start on Monday).
fn bucket_start(unit: TimeUnit, at: Timestamp) -> Option<Timestamp> {
    let civil = Offset::UTC.to_datetime(at);
    let date = civil.date();
    let start = match unit {
        TimeUnit::Hour => civil.with().minute(0).second(0).subsec_nanosecond(0).build().ok()?,
        TimeUnit::Day => date.to_datetime(jiff::civil::Time::midnight()),
        TimeUnit::Week => {
            let back = i64::from(date.weekday().to_monday_zero_offset());
            date.checked_sub(jiff::Span::new().try_days(back).ok()?)
                .ok()?
                .to_datetime(jiff::civil::Time::midnight())
        }
        TimeUnit::Month => date.first_of_month().to_datetime(jiff::civil::Time::midnight()),
    };
    Offset::UTC.to_timestamp(start).ok()
}

fn fixed_length(unit: TimeUnit) -> Option<SignedDuration> {
    match unit {
        TimeUnit::Hour => Some(SignedDuration::from_hours(1)),
        TimeUnit::Day => Some(SignedDuration::from_hours(24)),
        TimeUnit::Week => Some(SignedDuration::from_hours(7 * 24)),
        TimeUnit::Month => None,
    }
}

/// Buckets from `base` (a bucket start) to the bucket holding `at`.
fn bucket_offset(unit: TimeUnit, base: Timestamp, at: Timestamp) -> Option<i64> {
    let start = bucket_start(unit, at)?;
    match fixed_length(unit) {
        Some(length) => {
            let length_ms = length.as_millis();
            let diff_ms = start.duration_since(base).as_millis();
            i64::try_from(diff_ms.div_euclid(length_ms)).ok()
        }
        None => {
            let (a, b) = (Offset::UTC.to_datetime(base), Offset::UTC.to_datetime(start));
            Some(
                (i64::from(b.year()) * 12 + i64::from(b.month()))
                    - (i64::from(a.year()) * 12 + i64::from(a.month())),
            )
        }
    }
}

/// The start of the bucket `offset` buckets after `base`.
fn bucket_at(unit: TimeUnit, base: Timestamp, offset: i64) -> Option<Timestamp> {
    match fixed_length(unit) {
        Some(length) => base.checked_add(length.checked_mul(i32::try_from(offset).ok()?)?).ok(),
        None => shift_months(base, offset),
    }
}

/// One side's key of a row: bucket offsets and group texts, in column order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum KeyPart {
    Offset(i64),
    Null,
    Text(String),
}

struct Side<'t> {
    table: &'t ResultTable,
    /// For each column of the current answer, the same-named column of this side.
    columns: Vec<Option<usize>>,
    /// Bucket starts of this side's period, per bucket unit.
    start: Timestamp,
}

impl Side<'_> {
    fn key(&self, roles: &[Role], row: usize) -> Vec<KeyPart> {
        let mut key = Vec::new();
        for (role, col) in roles.iter().zip(&self.columns) {
            let cell = col.map_or(CellRef::Null, |col| self.table.cell(row, col));
            match (role, cell) {
                (Role::Measure, _) => {}
                (Role::Bucket(unit), CellRef::Timestamp(millis)) => {
                    let offset = Timestamp::from_millisecond(millis)
                        .ok()
                        .and_then(|at| bucket_offset(*unit, bucket_start(*unit, self.start)?, at));
                    key.push(offset.map_or(KeyPart::Null, KeyPart::Offset));
                }
                (_, CellRef::Null) => key.push(KeyPart::Null),
                (_, _) => key.push(KeyPart::Text(
                    col.map(|col| self.table.cell_text(row, col).into_owned()).unwrap_or_default(),
                )),
            }
        }
        key
    }

    fn measure(&self, col: usize, row: usize) -> f64 {
        self.columns
            .get(col)
            .copied()
            .flatten()
            .and_then(|col| self.table.cell(row, col).as_f64())
            .unwrap_or(0.0)
    }
}

/// Appends a cell of another table to a builder, keeping its type.
fn push_cell(builder: &mut ColumnBuilder, table: &ResultTable, row: usize, col: usize) {
    match table.cell(row, col) {
        CellRef::Null => builder.push_null(),
        CellRef::Int(value) => builder.push_int(value),
        CellRef::Float(value) => builder.push_float(value),
        CellRef::Bool(value) => builder.push_bool(value),
        CellRef::Json(text) => builder.push_json(text),
        CellRef::Text(text) => builder.push_str(text),
        CellRef::Timestamp(_) => builder.push_str(&table.cell_text(row, col)),
    }
}

fn push_number(builder: &mut ColumnBuilder, value: f64, integer: bool) {
    if integer && value.fract() == 0.0 && value.abs() < 9e15 {
        builder.push_int(value as i64);
    } else {
        builder.push_float(value);
    }
}

/// One output row: the row of each side it joins (none: zero there).
#[derive(Debug, Clone, Copy)]
struct Pair {
    current: Option<usize>,
    previous: Option<usize>,
}

/// Joins the current and previous answers of a comparison over `periods` (see the module
/// docs for the columns and the order of rows).
pub fn join_comparison(
    periods: &Periods,
    offset: CompareOffset,
    current: &ResultTable,
    previous: &ResultTable,
) -> Comparison {
    let roles: Vec<Role> = current.columns().iter().map(role_of).collect();
    let current_side = Side {
        table: current,
        columns: (0..current.column_count()).map(Some).collect(),
        start: periods.current.start,
    };
    let previous_side = Side {
        table: previous,
        columns: current.columns().iter().map(|c| previous.column_index(c.name())).collect(),
        start: periods.previous.start,
    };

    let mut waiting: HashMap<Vec<KeyPart>, VecDeque<usize>> = HashMap::new();
    for row in 0..previous.row_count() {
        waiting.entry(previous_side.key(&roles, row)).or_default().push_back(row);
    }
    let mut pairs = Vec::with_capacity(current.row_count().max(previous.row_count()));
    let mut matched = vec![false; previous.row_count()];
    for row in 0..current.row_count() {
        let key = current_side.key(&roles, row);
        let partner = waiting.get_mut(&key).and_then(VecDeque::pop_front);
        if let Some(partner) = partner
            && let Some(seen) = matched.get_mut(partner)
        {
            *seen = true;
        }
        pairs.push(Pair { current: Some(row), previous: partner });
    }
    for (row, seen) in matched.iter().enumerate() {
        if !seen {
            pairs.push(Pair { current: None, previous: Some(row) });
        }
    }

    let measure_count = roles.iter().filter(|r| **r == Role::Measure).count();
    let mut columns = Vec::new();
    let mut aligned = Vec::new();
    for (col, (column, role)) in current.columns().iter().zip(&roles).enumerate() {
        let hint = match role {
            Role::Bucket(_) => Hint::Timestamp,
            Role::Measure => Hint::Numeric,
            Role::Group => Hint::Plain,
        };
        let mut values = ColumnBuilder::with_nulls(hint, 0);
        match role {
            Role::Group => {
                for pair in &pairs {
                    match (pair.current, pair.previous.zip(previous_side.columns.get(col).copied().flatten()))
                    {
                        (Some(row), _) => push_cell(&mut values, current, row, col),
                        (None, Some((row, previous_col))) => {
                            push_cell(&mut values, previous, row, previous_col)
                        }
                        (None, None) => values.push_null(),
                    }
                }
                let finished = values.finish(column.name().to_string(), column.source().cloned());
                aligned.push(finished.clone());
                columns.push(finished);
            }
            Role::Bucket(unit) => {
                let mut earlier = ColumnBuilder::with_nulls(Hint::Timestamp, 0);
                let base = |start| bucket_start(*unit, start);
                for pair in &pairs {
                    let offset = match (pair.current, pair.previous) {
                        (Some(row), _) => current_side.key_offset(col, *unit, row),
                        (None, Some(row)) => previous_side.key_offset(col, *unit, row),
                        (None, None) => None,
                    };
                    let at = |start| offset.and_then(|offset| bucket_at(*unit, base(start)?, offset));
                    match pair.current {
                        Some(row) => push_cell(&mut values, current, row, col),
                        None => push_instant(&mut values, at(periods.current.start)),
                    }
                    push_instant(&mut earlier, at(periods.previous.start));
                }
                let finished = values.finish(column.name().to_string(), column.source().cloned());
                aligned.push(finished.clone());
                columns.push(finished);
                columns.push(earlier.finish(format!("previous {}", column.name()), column.source().cloned()));
            }
            Role::Measure => {
                let integer = column.column_type() == ColumnType::Integer;
                let mut earlier = ColumnBuilder::with_nulls(Hint::Numeric, 0);
                let mut change = ColumnBuilder::with_nulls(Hint::Plain, 0);
                for pair in &pairs {
                    let now_value = pair.current.map_or(0.0, |row| current_side.measure(col, row));
                    let then_value = pair.previous.map_or(0.0, |row| previous_side.measure(col, row));
                    match pair.current {
                        Some(row) => push_cell(&mut values, current, row, col),
                        None => push_number(&mut values, 0.0, integer),
                    }
                    push_number(&mut earlier, then_value, integer);
                    match Change::between(now_value, then_value).percent() {
                        Some(percent) => change.push_float(percent),
                        None => change.push_str("new"),
                    }
                }
                let (previous_name, change_name) = if measure_count == 1 {
                    ("previous".to_string(), "change %".to_string())
                } else {
                    (format!("previous {}", column.name()), format!("change % {}", column.name()))
                };
                columns.push(values.finish(column.name().to_string(), column.source().cloned()));
                let earlier = earlier.finish(previous_name, column.source().cloned());
                let mut laid_over = earlier.clone();
                laid_over.name = column.name().to_string();
                aligned.push(laid_over);
                columns.push(earlier);
                columns.push(change.finish(change_name, None));
            }
        }
    }

    let summary = current
        .columns()
        .iter()
        .enumerate()
        .find(|(_, c)| role_of(c) == Role::Measure && is_additive(c))
        .map(|(col, column)| {
            let current_total: f64 = (0..current.row_count()).map(|row| current_side.measure(col, row)).sum();
            let previous_total: f64 =
                (0..previous.row_count()).map(|row| previous_side.measure(col, row)).sum();
            CompareSummary::new(column.name(), current_total, previous_total, offset)
        });
    Comparison {
        table: ResultTable { row_count: pairs.len(), columns },
        summary,
        aligned_previous: ResultTable { row_count: pairs.len(), columns: aligned },
    }
}

impl Side<'_> {
    /// The bucket offset of `row` in the column matching current column `col`.
    fn key_offset(&self, col: usize, unit: TimeUnit, row: usize) -> Option<i64> {
        let own = self.columns.get(col).copied().flatten()?;
        let CellRef::Timestamp(millis) = self.table.cell(row, own) else { return None };
        let at = Timestamp::from_millisecond(millis).ok()?;
        bucket_offset(unit, bucket_start(unit, self.start)?, at)
    }
}

fn push_instant(builder: &mut ColumnBuilder, at: Option<Timestamp>) {
    match at {
        Some(at) => builder.push_str(&crate::api::timestamp::format_utc(at)),
        None => builder.push_null(),
    }
}
