//! Copying parts of a table: TSV for spreadsheets, a row as typed JSON.
//!
//! TSV follows the rules Excel and Google Sheets use when they paste: fields
//! separated by tabs, rows by newlines, and a field that holds a tab, a line
//! break or a double quote wrapped in double quotes with its quotes doubled.
//!
//! Time buckets are copied as their labels, in UTC and sortable (`2026-06-08` for a day or
//! the week starting that Monday, `2026-06` for a month, `2026-06-08 14:00 UTC` for an hour:
//! [`bucket_export_label`](super::display::bucket_export_label)); other timestamps as
//! RFC 3339 in UTC.

use serde_json::{Map, Number, Value};

use super::display::cell_copy_text;
use super::table::{CellRef, ResultTable};

/// The cells of `rows` × `cols` as tab-separated text, optionally with a header
/// row of column names. Null cells are empty; there is no trailing newline.
pub fn to_tsv(table: &ResultTable, rows: &[u32], cols: &[usize], with_header: bool) -> String {
    let mut out = String::new();
    if with_header {
        for (i, &col) in cols.iter().enumerate() {
            if i > 0 {
                out.push('\t');
            }
            push_tsv_field(table.column(col).map_or("", |c| c.name()), &mut out);
        }
    }
    for (line, &row) in rows.iter().enumerate() {
        if with_header || line > 0 {
            out.push('\n');
        }
        for (i, &col) in cols.iter().enumerate() {
            if i > 0 {
                out.push('\t');
            }
            push_tsv_field(&cell_copy_text(table, row as usize, col), &mut out);
        }
    }
    out
}

/// The values of one column over `rows`, one per line (for "Copy column").
pub fn column_to_tsv(table: &ResultTable, rows: &[u32], col: usize, with_header: bool) -> String {
    to_tsv(table, rows, &[col], with_header)
}

/// Appends one TSV field, quoted when it must be.
pub fn push_tsv_field(value: &str, out: &mut String) {
    if value.contains(['\t', '\n', '\r', '"']) {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

/// One cell as a typed JSON value: numbers as numbers, time buckets as their labels,
/// other timestamps as their RFC 3339 text, JSON cells parsed, null as null.
pub fn cell_to_json(table: &ResultTable, row: usize, col: usize) -> Value {
    match table.cell(row, col) {
        CellRef::Null => Value::Null,
        CellRef::Int(v) => Value::Number(v.into()),
        CellRef::Float(v) => Number::from_f64(v).map_or(Value::Null, Value::Number),
        CellRef::Bool(v) => Value::Bool(v),
        CellRef::Text(s) => Value::String(s.to_string()),
        CellRef::Timestamp(_) => Value::String(cell_copy_text(table, row, col).into_owned()),
        CellRef::Json(s) => serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.to_string())),
    }
}

/// Row `row` as a JSON object of column name → typed value, in column order.
pub fn row_to_json(table: &ResultTable, row: usize) -> Value {
    let mut object = Map::new();
    for (col, column) in table.columns().iter().enumerate() {
        object.insert(column.name().to_string(), cell_to_json(table, row, col));
    }
    Value::Object(object)
}
