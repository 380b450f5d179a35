//! The text of a cell as the exports write it: one spelling for CSV, JSON timestamps, the
//! XLSX cells Excel cannot hold as numbers, and the column widths measured from content.

use crate::api::timestamp::{format_utc, parse_rfc3339};
use crate::data::display::{bucket_unit, push_bucket_label};
use crate::data::table::{CellRef, Column, ColumnData, TimestampText, write_float};
use crate::data::time::{self, TimestampLayout};

/// The raw text of a cell as CSV holds it, using `scratch` for values that must be
/// formatted: integers plain, floats shortest round-trip, timestamps RFC 3339 in UTC,
/// JSON compact, booleans `true`/`false`, null empty.
pub(super) fn cell_text<'a>(column: &'a Column, row: usize, scratch: &'a mut String) -> &'a str {
    text_of(column, row, column.cell(row), scratch)
}

/// [`cell_text`] of a cell already read from `column` at `row`.
#[inline]
pub(super) fn text_of<'a>(
    column: &'a Column,
    row: usize,
    cell: CellRef<'a>,
    scratch: &'a mut String,
) -> &'a str {
    match cell {
        CellRef::Null => "",
        CellRef::Text(text) | CellRef::Json(text) => text,
        CellRef::Bool(value) => {
            if value {
                "true"
            } else {
                "false"
            }
        }
        CellRef::Int(value) => {
            scratch.clear();
            scratch.push_str(itoa::Buffer::new().format(value));
            scratch
        }
        CellRef::Float(value) => {
            scratch.clear();
            write_float(value, scratch);
            scratch
        }
        CellRef::Timestamp(millis) => timestamp_text(column, row, millis, scratch),
    }
}

/// A time bucket's label (`2026-06-08`), or a timestamp as RFC 3339 in UTC: the original
/// text when it is already UTC, else the same instant rewritten with a `Z` (keeping its
/// precision).
pub(super) fn timestamp_text<'a>(
    column: &'a Column,
    row: usize,
    millis: i64,
    scratch: &'a mut String,
) -> &'a str {
    scratch.clear();
    if let Some(unit) = bucket_unit(column)
        && push_bucket_label(unit, millis, scratch)
    {
        return scratch;
    }
    match &column.data {
        ColumnData::Timestamp { text: TimestampText::Layout(layout), .. } => {
            time::format_strict(millis, *layout, scratch);
        }
        ColumnData::Timestamp { text: TimestampText::Stored(stored), .. } => {
            let original = stored.get(row);
            if original.ends_with(['Z', 'z']) {
                return original;
            }
            match parse_rfc3339(original.trim()) {
                Some(parsed) => scratch.push_str(&format_utc(parsed)),
                None => return original,
            }
        }
        _ => time::format_strict(millis, TimestampLayout { fraction_digits: 3 }, scratch),
    }
    scratch
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::query::QueryBody;
    use crate::data::table::{ColumnType, ResultTable};
    use serde_json::json;

    #[test]
    fn timestamps_with_offsets_are_written_in_utc() {
        let rows: Vec<serde_json::Map<String, serde_json::Value>> = [
            json!({"at": "2026-01-05T10:00:00+02:00"}),
            json!({"at": "2026-01-05T10:00:00.123456Z"}),
            json!({"at": null}),
        ]
        .into_iter()
        .map(|v| v.as_object().unwrap().clone())
        .collect();
        let table = ResultTable::from_rows(&QueryBody::default(), &rows);
        let col = table.column_index("at").unwrap();
        let column = table.column(col).unwrap();
        assert_eq!(column.column_type(), ColumnType::Timestamp);
        let mut scratch = String::new();
        assert_eq!(cell_text(column, 0, &mut scratch), "2026-01-05T08:00:00Z");
        assert_eq!(cell_text(column, 1, &mut scratch), "2026-01-05T10:00:00.123456Z");
        assert_eq!(cell_text(column, 2, &mut scratch), "");
    }
}
