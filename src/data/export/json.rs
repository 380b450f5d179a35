//! The JSON writer: an array of row objects with typed values, streamed row by row.

use std::io::{self, BufWriter, Write};

use crate::data::table::{CellRef, Column};
use crate::data::view::TableView;

use super::cell::timestamp_text;
use super::{ExportControl, ExportError, view_columns};

/// Writes the view as a JSON array of objects (column name → typed value), one row per
/// line, and returns the number of rows written.
pub fn write_json<W: Write>(
    view: TableView<'_>,
    out: W,
    control: &mut ExportControl<'_>,
) -> Result<u64, ExportError> {
    control.check(0)?;
    let columns = view_columns(view);
    let rows = view.rows;
    let mut out = BufWriter::with_capacity(64 * 1024, out);
    // Keys are the same on every row: encode them once.
    let keys: Vec<String> = columns
        .iter()
        .map(|c| serde_json::to_string(c.name()).map(|key| format!("{key}:")))
        .collect::<Result<_, _>>()
        .map_err(io::Error::other)?;
    let mut scratch = String::new();
    out.write_all(b"[")?;
    for (done, &row) in rows.iter().enumerate() {
        out.write_all(if done == 0 { b"\n{" } else { b",\n{" })?;
        for (index, (column, key)) in columns.iter().zip(&keys).enumerate() {
            if index > 0 {
                out.write_all(b",")?;
            }
            out.write_all(key.as_bytes())?;
            write_json_value(column, row as usize, &mut out, &mut scratch)?;
        }
        out.write_all(b"}")?;
        control.row_done(done + 1)?;
    }
    out.write_all(if rows.is_empty() { b"]\n" } else { b"\n]\n" })?;
    out.flush()?;
    control.check(rows.len())?;
    Ok(rows.len() as u64)
}

fn write_json_value<W: Write>(
    column: &Column,
    row: usize,
    out: &mut W,
    scratch: &mut String,
) -> io::Result<()> {
    match column.cell(row) {
        CellRef::Null => out.write_all(b"null"),
        CellRef::Int(value) => write!(out, "{value}"),
        CellRef::Float(value) if value.is_finite() => {
            serde_json::to_writer(out, &value).map_err(io::Error::other)
        }
        CellRef::Float(_) => out.write_all(b"null"),
        CellRef::Bool(value) => out.write_all(if value { b"true" } else { b"false" }),
        CellRef::Text(text) => serde_json::to_writer(out, text).map_err(io::Error::other),
        CellRef::Timestamp(millis) => {
            serde_json::to_writer(out, timestamp_text(column, row, millis, scratch)).map_err(io::Error::other)
        }
        CellRef::Json(text) => {
            // JSON cells are compact JSON text; one read from a CSV may not be valid JSON,
            // and embedding it raw would break the whole file.
            if serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok() {
                out.write_all(text.as_bytes())
            } else {
                serde_json::to_writer(out, text).map_err(io::Error::other)
            }
        }
    }
}
