//! [`ResultTable`]: a query result as typed, compact columns.
//!
//! Columns come in the order the query produces them
//! ([`result_columns`](crate::api::columns::result_columns)), with unpacked JSON
//! fields expanded into `properties.<key>` columns in first-seen key order. Each
//! column has one [`ColumnType`], inferred from its values (see
//! [`parse`](super::parse) for the rules), and a validity bitmap for nulls.
//!
//! The table is built once and never changes: sorting and searching produce
//! row-index views (`Vec<u32>`) over it ([`sort`](super::sort),
//! [`search`](super::search)), so it can be shared behind an `Arc` between the UI
//! and the worker.

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::api::columns::ColumnSource;

use super::storage::{Bitmap, TextColumn};
use super::time::{self, TimestampLayout};

/// The type of a column, inferred from its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColumnType {
    /// Whole numbers (`i64`).
    Integer,
    /// Numbers with fractions (`f64`).
    Float,
    /// RFC 3339 timestamps, held as epoch milliseconds (UTC).
    Timestamp,
    /// Text.
    Text,
    /// `true` / `false`.
    Bool,
    /// JSON objects or arrays, held as compact JSON text.
    Json,
}

impl ColumnType {
    /// True for integer and float columns (right-aligned, summed, charted).
    pub fn is_numeric(self) -> bool {
        matches!(self, ColumnType::Integer | ColumnType::Float)
    }

    /// A short lowercase name for tooltips and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            ColumnType::Integer => "integer",
            ColumnType::Float => "float",
            ColumnType::Timestamp => "timestamp",
            ColumnType::Text => "text",
            ColumnType::Bool => "bool",
            ColumnType::Json => "json",
        }
    }
}

/// One cell, borrowed from the table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CellRef<'a> {
    /// No value.
    Null,
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A timestamp in epoch milliseconds (UTC).
    Timestamp(i64),
    /// Text.
    Text(&'a str),
    /// A boolean.
    Bool(bool),
    /// Compact JSON text.
    Json(&'a str),
}

impl CellRef<'_> {
    /// True for [`CellRef::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, CellRef::Null)
    }

    /// The value as a float, for numbers and timestamps (milliseconds).
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            CellRef::Int(v) | CellRef::Timestamp(v) => Some(v as f64),
            CellRef::Float(v) => Some(v),
            _ => None,
        }
    }
}

/// How a timestamp column gives back its original text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TimestampText {
    /// Every value was written in this strict layout: formatting the milliseconds
    /// reproduces it exactly, so no text is stored.
    Layout(TimestampLayout),
    /// Values in other layouts: the original text, per row.
    Stored(TextColumn),
}

/// The values of a column; slots of null rows hold a placeholder.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ColumnData {
    Int(Vec<i64>),
    Float(Vec<f64>),
    Bool(Bitmap),
    Timestamp { millis: Vec<i64>, text: TimestampText },
    Text(TextColumn),
    Json(TextColumn),
}

/// One typed column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub(crate) name: String,
    pub(crate) source: Option<ColumnSource>,
    pub(crate) data: ColumnData,
    /// Set bit = value present; `None` when the column has no nulls.
    pub(crate) validity: Option<Bitmap>,
    pub(crate) null_count: usize,
}

impl Column {
    /// The column name (`count`, `properties.source`…).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Where the values come from; `None` for a column the query did not ask for
    /// (the server sent an unexpected key).
    pub fn source(&self) -> Option<&ColumnSource> {
        self.source.as_ref()
    }

    /// The inferred type.
    pub fn column_type(&self) -> ColumnType {
        match &self.data {
            ColumnData::Int(_) => ColumnType::Integer,
            ColumnData::Float(_) => ColumnType::Float,
            ColumnData::Bool(_) => ColumnType::Bool,
            ColumnData::Timestamp { .. } => ColumnType::Timestamp,
            ColumnData::Text(_) => ColumnType::Text,
            ColumnData::Json(_) => ColumnType::Json,
        }
    }

    /// Number of null cells.
    pub fn null_count(&self) -> usize {
        self.null_count
    }

    /// True when row `row` is null (or out of range).
    #[inline]
    pub fn is_null(&self, row: usize) -> bool {
        match &self.validity {
            Some(bits) => !bits.get(row),
            None => row >= self.len(),
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        match &self.data {
            ColumnData::Int(v) => v.len(),
            ColumnData::Float(v) => v.len(),
            ColumnData::Bool(v) => v.len(),
            ColumnData::Timestamp { millis, .. } => millis.len(),
            ColumnData::Text(t) | ColumnData::Json(t) => t.len(),
        }
    }

    /// True when the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The cell at `row`; [`CellRef::Null`] out of range.
    #[inline]
    pub fn cell(&self, row: usize) -> CellRef<'_> {
        if self.is_null(row) {
            return CellRef::Null;
        }
        match &self.data {
            ColumnData::Int(v) => v.get(row).map_or(CellRef::Null, |&x| CellRef::Int(x)),
            ColumnData::Float(v) => v.get(row).map_or(CellRef::Null, |&x| CellRef::Float(x)),
            ColumnData::Bool(v) => CellRef::Bool(v.get(row)),
            ColumnData::Timestamp { millis, .. } => {
                millis.get(row).map_or(CellRef::Null, |&x| CellRef::Timestamp(x))
            }
            ColumnData::Text(t) => CellRef::Text(t.get(row)),
            ColumnData::Json(t) => CellRef::Json(t.get(row)),
        }
    }

    /// The raw text of a cell, as copied and exported: integers plain, floats in
    /// their shortest round-trip form, timestamps as the original RFC 3339 text,
    /// JSON compact, booleans `true`/`false`, null as the empty string.
    pub fn cell_text(&self, row: usize) -> Cow<'_, str> {
        let cell = self.cell(row);
        match (cell, &self.data) {
            (CellRef::Null, _) => Cow::Borrowed(""),
            (CellRef::Timestamp(millis), ColumnData::Timestamp { text, .. }) => match text {
                TimestampText::Stored(stored) => Cow::Borrowed(stored.get(row)),
                TimestampText::Layout(layout) => {
                    let mut out = String::with_capacity(24);
                    time::format_strict(millis, *layout, &mut out);
                    Cow::Owned(out)
                }
            },
            (CellRef::Text(s) | CellRef::Json(s), _) => Cow::Borrowed(s),
            (CellRef::Bool(b), _) => Cow::Borrowed(if b { "true" } else { "false" }),
            (CellRef::Int(v), _) => Cow::Owned(v.to_string()),
            (CellRef::Float(v), _) => {
                let mut out = String::new();
                write_float(v, &mut out);
                Cow::Owned(out)
            }
            (CellRef::Timestamp(millis), _) => {
                let mut out = String::new();
                time::format_strict(millis, TimestampLayout { fraction_digits: 3 }, &mut out);
                Cow::Owned(out)
            }
        }
    }

    /// Heap bytes held by this column.
    pub fn heap_size_bytes(&self) -> usize {
        let data = match &self.data {
            ColumnData::Int(v) => v.capacity() * 8,
            ColumnData::Float(v) => v.capacity() * 8,
            ColumnData::Bool(v) => v.heap_size_bytes(),
            ColumnData::Timestamp { millis, text } => {
                millis.capacity() * 8
                    + match text {
                        TimestampText::Layout(_) => 0,
                        TimestampText::Stored(t) => t.heap_size_bytes(),
                    }
            }
            ColumnData::Text(t) | ColumnData::Json(t) => t.heap_size_bytes(),
        };
        data + self.name.capacity() + self.validity.as_ref().map_or(0, Bitmap::heap_size_bytes)
    }
}

/// Appends a float in its shortest round-trip form: plain notation for ordinary
/// magnitudes, exponent notation for very large or very small ones (`1e21`,
/// `1.5e-7`), as JavaScript prints numbers.
pub fn write_float(value: f64, out: &mut String) {
    let magnitude = value.abs();
    // Rust's Display and LowerExp both print the shortest digits that round-trip.
    let _ = if value == 0.0 || !value.is_finite() || (1e-6..1e21).contains(&magnitude) {
        write!(out, "{value}")
    } else {
        write!(out, "{value:e}")
    };
}

/// A query result: typed columns of equal length.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResultTable {
    pub(crate) columns: Vec<Column>,
    pub(crate) row_count: usize,
}

impl ResultTable {
    /// A table with no rows and no columns.
    pub fn empty() -> ResultTable {
        ResultTable::default()
    }

    /// Number of rows.
    pub fn row_count(&self) -> usize {
        self.row_count
    }

    /// Number of columns.
    pub fn column_count(&self) -> usize {
        self.columns.len()
    }

    /// The columns, in result order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// Column `col`, if it exists.
    pub fn column(&self, col: usize) -> Option<&Column> {
        self.columns.get(col)
    }

    /// The index of the column called `name`.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// The column names, in order.
    pub fn column_names(&self) -> Vec<&str> {
        self.columns.iter().map(|c| c.name.as_str()).collect()
    }

    /// The cell at (`row`, `col`); [`CellRef::Null`] when out of range.
    #[inline]
    pub fn cell(&self, row: usize, col: usize) -> CellRef<'_> {
        self.columns.get(col).map_or(CellRef::Null, |c| c.cell(row))
    }

    /// The raw text of a cell (see [`Column::cell_text`]); empty out of range.
    pub fn cell_text(&self, row: usize, col: usize) -> Cow<'_, str> {
        self.columns.get(col).map_or(Cow::Borrowed(""), |c| c.cell_text(row))
    }

    /// The identity view: every row in table order.
    pub fn all_rows(&self) -> Vec<u32> {
        (0..self.row_count as u32).collect()
    }

    /// Heap bytes held by the table (capacities, not just lengths).
    pub fn heap_size_bytes(&self) -> usize {
        self.columns.capacity() * std::mem::size_of::<Column>()
            + self.columns.iter().map(Column::heap_size_bytes).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_shortest_round_trip() {
        let cases = [
            (0.1, "0.1"),
            (2.5, "2.5"),
            (3.0, "3"),
            (-0.000123, "-0.000123"),
            (1e21, "1e21"),
            (1.5e-7, "1.5e-7"),
            (123456789.125, "123456789.125"),
        ];
        for (value, text) in cases {
            let mut out = String::new();
            write_float(value, &mut out);
            assert_eq!(out, text);
            assert_eq!(out.parse::<f64>().unwrap(), value);
        }
    }
}
