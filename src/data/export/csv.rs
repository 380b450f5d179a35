//! The CSV writer: RFC 4180 with CRLF line ends, formatted straight into large blocks (the
//! biggest exports are CSV), optionally as "CSV for Excel" (a BOM and the formula guard),
//! and the one CSV quoting rule ([`csv_field`]) the chart's CSV and the demo API use too.

use std::io::{self, Write};
use std::sync::mpsc;

use crate::data::storage::{StrBuf, TextColumn};
use crate::data::table::{CellRef, Column, ColumnData};
use crate::data::view::TableView;

use super::cell::text_of;
use super::formula_guard::{CellTyping, csv_field_for_excel};
use super::{ExportControl, ExportError, view_columns};

/// Bytes the CSV writer gathers before handing them to its output in one write: more
/// than the atomic writer's own buffer, so a block goes through it without a second copy.
const CSV_BLOCK_BYTES: usize = 1024 * 1024;
/// Capacity of a CSV block buffer: room for the row that crosses the threshold.
const CSV_BUFFER_CAPACITY: usize = CSV_BLOCK_BYTES + 64 * 1024;

/// Writes the view as CSV (RFC 4180, CRLF, header row of column names) and returns the
/// number of data rows written. `bom` makes it "CSV for Excel": it starts with a UTF-8 byte
/// order mark and text cells that a spreadsheet would run as formulas get a `'` in front
/// ([`needs_formula_guard`](super::needs_formula_guard)). Without `bom` every value is written as it is.
///
/// Cells are formatted straight into one block buffer (no per-cell allocation, no
/// per-field state machine) with the quoting rules of the `csv` crate's default writer:
/// a field is quoted only when it holds `,`, `"`, CR or LF, and a record that would be
/// empty (one column, empty value) is written as `""`.
pub fn write_csv<W: Write>(
    view: TableView<'_>,
    bom: bool,
    out: W,
    control: &mut ExportControl<'_>,
) -> Result<u64, ExportError> {
    let mut out = out;
    let rows_written = format_csv_as(view, bom, control, &mut |block| {
        out.write_all(block)?;
        block.clear();
        Ok(())
    })?;
    out.flush()?;
    control.check(rows_written)?;
    Ok(rows_written as u64)
}

/// [`write_csv`] with the writing on a second thread: a block is formatted while the
/// previous one is copied into the file, the two biggest costs of a large export.
pub(super) fn write_csv_overlapped<W: Write + Send>(
    view: TableView<'_>,
    bom: bool,
    out: W,
    control: &mut ExportControl<'_>,
) -> Result<u64, ExportError> {
    // At most one block waits while one is written; written blocks come back for reuse.
    let (full_sender, full_blocks) = mpsc::sync_channel::<Vec<u8>>(1);
    let (spare_sender, spare_blocks) = mpsc::channel::<Vec<u8>>();
    let (formatted, written) = std::thread::scope(|scope| {
        let writer = scope.spawn(move || -> io::Result<()> {
            let mut out = out;
            for mut block in full_blocks {
                out.write_all(&block)?;
                block.clear();
                // Once the formatting is done nobody takes spares: dropping one is fine.
                let _ = spare_sender.send(block);
            }
            out.flush()
        });
        let formatted = format_csv_as(view, bom, control, &mut |block| {
            let spare = spare_blocks.try_recv().unwrap_or_else(|_| Vec::with_capacity(CSV_BUFFER_CAPACITY));
            // A closed channel means the writer failed; its own error is reported below.
            full_sender
                .send(std::mem::replace(block, spare))
                .map_err(|_| io::Error::other("the CSV writer thread stopped"))
        });
        // Ends the writer's loop once it has written what was sent.
        drop(full_sender);
        let written =
            writer.join().unwrap_or_else(|_| Err(io::Error::other("the CSV writer thread panicked")));
        (formatted, written)
    });
    let rows_written = match (formatted, written) {
        (Err(ExportError::Cancelled), _) => return Err(ExportError::Cancelled),
        // The writer's error explains a formatter that could not hand over a block.
        (_, Err(source)) => return Err(source.into()),
        (formatted, Ok(())) => formatted?,
    };
    control.check(rows_written)?;
    Ok(rows_written as u64)
}

/// [`format_csv`] as plain CSV or, with `bom`, as "CSV for Excel": the BOM and the formula
/// guard go together, and the plain writer is compiled without the guard's checks.
fn format_csv_as(
    view: TableView<'_>,
    bom: bool,
    control: &mut ExportControl<'_>,
    emit: &mut dyn FnMut(&mut Vec<u8>) -> io::Result<()>,
) -> Result<usize, ExportError> {
    if bom { format_csv::<true>(view, control, emit) } else { format_csv::<false>(view, control, emit) }
}

/// Formats the view as CSV into block buffers and hands each full one, and the last,
/// to `emit`, which must leave the buffer it gets empty (cleared or replaced). Returns
/// the number of data rows. `FOR_EXCEL` starts with a BOM and guards formulas
/// ([`needs_formula_guard`]) in the header and in text and JSON cells.
fn format_csv<const FOR_EXCEL: bool>(
    view: TableView<'_>,
    control: &mut ExportControl<'_>,
    emit: &mut dyn FnMut(&mut Vec<u8>) -> io::Result<()>,
) -> Result<usize, ExportError> {
    control.check(0)?;
    let columns = view_columns(view);
    let rows = view.rows;
    let mut buf: Vec<u8> = Vec::with_capacity(CSV_BUFFER_CAPACITY);
    if FOR_EXCEL {
        buf.extend_from_slice("\u{feff}".as_bytes());
    }
    if !columns.is_empty() {
        let record_start = buf.len();
        for (index, column) in columns.iter().enumerate() {
            if index > 0 {
                buf.push(b',');
            }
            if FOR_EXCEL {
                csv_field_for_excel(&mut buf, column.name().as_bytes(), CellTyping::Text);
            } else {
                csv_field(&mut buf, column.name().as_bytes());
            }
        }
        end_csv_record(&mut buf, record_start);
    }
    let mut sources: Vec<CsvSource<'_>> = columns.iter().map(|column| CsvSource::new(column)).collect();
    let mut scratch = String::new();
    let mut digits = itoa::Buffer::new();
    for (done, &row) in rows.iter().enumerate() {
        if columns.is_empty() {
            break;
        }
        let row = row as usize;
        let record_start = buf.len();
        for (index, source) in sources.iter_mut().enumerate() {
            if index > 0 {
                buf.push(b',');
            }
            source.write::<FOR_EXCEL>(row, &mut buf, &mut scratch, &mut digits);
        }
        end_csv_record(&mut buf, record_start);
        if buf.len() >= CSV_BLOCK_BYTES {
            emit(&mut buf)?;
        }
        control.row_done(done + 1)?;
    }
    if !buf.is_empty() {
        emit(&mut buf)?;
    }
    Ok(if columns.is_empty() { 0 } else { rows.len() })
}

/// How the CSV writer reads one column of the view.
enum CsvSource<'t> {
    /// Dictionary-encoded text: each distinct value is encoded (quoted when needed) the
    /// first time a row uses it, then copied. Repeated JSON cells are where this pays.
    Dict {
        column: &'t Column,
        codes: &'t [u32],
        values: &'t StrBuf,
        /// The encoded values used so far, back to back.
        encoded: Vec<u8>,
        /// Per code, its bytes in `encoded` once encoded.
        spans: Vec<Option<(usize, usize)>>,
    },
    /// Anything else, cell by cell.
    Cells(&'t Column),
}

impl<'t> CsvSource<'t> {
    fn new(column: &'t Column) -> CsvSource<'t> {
        match &column.data {
            ColumnData::Text(TextColumn::Dict { values, codes })
            | ColumnData::Json(TextColumn::Dict { values, codes }) => CsvSource::Dict {
                column,
                codes,
                values,
                encoded: Vec::new(),
                spans: vec![None; values.len()],
            },
            _ => CsvSource::Cells(column),
        }
    }

    /// Appends the field of `row` to `buf` (what [`cell_text`] gives, quoted as needed;
    /// `FOR_EXCEL`: text and JSON guarded against formulas).
    #[inline]
    fn write<const FOR_EXCEL: bool>(
        &mut self,
        row: usize,
        buf: &mut Vec<u8>,
        scratch: &mut String,
        digits: &mut itoa::Buffer,
    ) {
        match self {
            CsvSource::Dict { column, codes, values, encoded, spans } => {
                if column.is_null(row) {
                    return;
                }
                // A missing row or a null code reads as empty text, as `Column::cell` has it.
                let Some(&code) = codes.get(row) else {
                    return;
                };
                let Some(span) = spans.get_mut(code as usize) else {
                    return;
                };
                let (start, end) = match *span {
                    Some(known) => known,
                    None => {
                        let start = encoded.len();
                        let value = values.get(code as usize).as_bytes();
                        if FOR_EXCEL {
                            csv_field_for_excel(encoded, value, typing_of(column));
                        } else {
                            csv_field(encoded, value);
                        }
                        *span = Some((start, encoded.len()));
                        (start, encoded.len())
                    }
                };
                buf.extend_from_slice(encoded.get(start..end).unwrap_or_default());
            }
            CsvSource::Cells(column) => match column.cell(row) {
                CellRef::Null => {}
                // Digits and a sign never need quotes.
                CellRef::Int(value) => buf.extend_from_slice(digits.format(value).as_bytes()),
                // Numbers, booleans and timestamps are never guarded: only text can be a formula.
                CellRef::Text(text) if FOR_EXCEL => {
                    csv_field_for_excel(buf, text.as_bytes(), CellTyping::Text)
                }
                CellRef::Json(text) if FOR_EXCEL => {
                    csv_field_for_excel(buf, text.as_bytes(), CellTyping::Lexical)
                }
                cell => csv_field(buf, text_of(column, row, cell, scratch).as_bytes()),
            },
        }
    }
}

/// How the formula guard types the cells of a dictionary-encoded column: JSON text spells its
/// type (a JSON number is a number), text is text.
fn typing_of(column: &Column) -> CellTyping {
    match column.data {
        ColumnData::Json(_) => CellTyping::Lexical,
        _ => CellTyping::Text,
    }
}

/// Ends a CSV record that started at `record_start` in `buf`. A record with no bytes at
/// all is written as `""`: a blank line would read back as no record.
#[inline]
fn end_csv_record(buf: &mut Vec<u8>, record_start: usize) {
    if buf.len() == record_start {
        buf.extend_from_slice(b"\"\"");
    }
    buf.extend_from_slice(b"\r\n");
}

/// True for the bytes that make a CSV field need quotes.
#[inline(always)]
fn is_csv_special(byte: u8) -> bool {
    matches!(byte, b',' | b'"' | b'\r' | b'\n')
}

/// True when `field` holds a delimiter, a quote or a line break.
#[inline]
fn csv_needs_quotes(field: &[u8]) -> bool {
    // Eight bytes at a time: most fields (ids, names, timestamps) have none of these.
    let mut words = field.chunks_exact(8);
    for word in &mut words {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        let word = u64::from_ne_bytes(bytes);
        if has_byte(word, b',') | has_byte(word, b'"') | has_byte(word, b'\r') | has_byte(word, b'\n') {
            return true;
        }
    }
    words.remainder().iter().any(|&byte| is_csv_special(byte))
}

/// Appends one CSV field to `buf`: as it is, or in double quotes with its quotes doubled
/// when it holds a comma, a quote or a line break (RFC 4180). The one CSV quoting rule:
/// the chart's CSV and the demo API's CSV answers use it too.
#[inline]
pub fn csv_field(buf: &mut Vec<u8>, field: &[u8]) {
    if csv_needs_quotes(field) {
        csv_quoted(buf, field);
    } else {
        buf.extend_from_slice(field);
    }
}

/// Appends `field` in double quotes, its quotes doubled.
fn csv_quoted(buf: &mut Vec<u8>, field: &[u8]) {
    let start = buf.len();
    // Room for the worst case (every byte a quote), filled with quotes; cut back to what
    // was written at the end. Bytes are copied to a cursor that skips one slot after
    // each quote: the slot keeps its fill, which doubles the quote. JSON cells, the
    // usual quoted ones, have a quote every few bytes, so this runs branch-free instead
    // of searching for each quote; 8-byte words without a quote are copied whole.
    buf.resize(start + 2 * field.len() + 2, b'"');
    let Some(out) = buf.get_mut(start + 1..) else {
        return;
    };
    let mut at = 0;
    let mut words = field.chunks_exact(8);
    for word in &mut words {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        if has_byte(u64::from_ne_bytes(bytes), b'"') {
            at = copy_doubling_quotes(out, at, &bytes);
        } else {
            if let Some(slots) = out.get_mut(at..at + 8) {
                slots.copy_from_slice(&bytes);
            }
            at += 8;
        }
    }
    at = copy_doubling_quotes(out, at, words.remainder());
    // After the opening quote, the content, then `out[at]`: a fill quote, the closing one.
    buf.truncate(start + 1 + at + 1);
}

/// Copies `bytes` into `out` from `at`, skipping a (quote-filled) slot after each quote;
/// returns the cursor after them.
#[inline(always)]
fn copy_doubling_quotes(out: &mut [u8], mut at: usize, bytes: &[u8]) -> usize {
    for &byte in bytes {
        if let Some(slot) = out.get_mut(at) {
            *slot = byte;
        }
        at += 1 + usize::from(byte == b'"');
    }
    at
}

/// True when one of the 8 bytes of `word` is `byte` (the classic "has a zero byte" test
/// on the word XOR `byte` repeated; exact, no false positives).
#[inline(always)]
fn has_byte(word: u64, byte: u8) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let x = word ^ (ONES * u64::from(byte));
    x.wrapping_sub(ONES) & !x & HIGHS != 0
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicBool;

    use jiff::Timestamp;
    use serde_json::json;

    use super::*;
    use crate::api::query::QueryBody;
    use crate::data::export::cell::cell_text;
    use crate::data::table::ResultTable;

    /// The CSV writer as it was, on the `csv` crate: the new writer must match it byte
    /// for byte. With `bom` ("CSV for Excel") text that starts like a formula gets a `'`, by
    /// a rule written out here again: text cells always, JSON cells unless a JSON number.
    fn csv_crate_reference(table: &ResultTable, rows: &[u32], cols: &[usize], bom: bool) -> Vec<u8> {
        let columns = view_columns(TableView { table, rows, columns: cols });
        let mut out = Vec::new();
        if bom {
            out.extend_from_slice("\u{feff}".as_bytes());
        }
        let formula_like = |text: &str| text.starts_with(['=', '+', '-', '@', '\t', '\r']);
        let guarded = |text: &str, json: bool| -> String {
            let number = json && serde_json::from_str::<serde_json::Number>(text).is_ok();
            if bom && formula_like(text) && !number { format!("'{text}") } else { text.to_string() }
        };
        let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(&mut out);
        if !columns.is_empty() {
            writer.write_record(columns.iter().map(|c| guarded(c.name(), false))).unwrap();
            let mut scratch = String::new();
            for &row in rows {
                for column in &columns {
                    let text = cell_text(column, row as usize, &mut scratch);
                    let field = match column.cell(row as usize) {
                        CellRef::Text(_) => guarded(text, false),
                        CellRef::Json(_) => guarded(text, true),
                        _ => text.to_string(),
                    };
                    writer.write_field(field).unwrap();
                }
                writer.write_record(None::<&[u8]>).unwrap();
            }
        }
        writer.flush().unwrap();
        drop(writer);
        out
    }

    fn written_csv(table: &ResultTable, rows: &[u32], cols: &[usize], bom: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let view = TableView { table, rows, columns: cols };
        let rows_written =
            write_csv(view, bom, &mut out, &mut ExportControl::new(&mut |_| {}, &AtomicBool::new(false)));
        let expected = if cols.iter().any(|&c| table.column(c).is_some()) { rows.len() } else { 0 };
        assert_eq!(rows_written.unwrap(), expected as u64);
        out
    }

    #[test]
    fn csv_field_quotes_like_the_rfc_4180_definition() {
        // The definition, written plainly: quote when a comma, quote or line break is
        // inside, doubling the quotes. The fast path must agree at every length and
        // position (the 8-byte words and the remainder).
        let plain = |field: &[u8]| -> Vec<u8> {
            if field.iter().any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n')) {
                let mut out = vec![b'"'];
                for &b in field {
                    out.extend_from_slice(if b == b'"' { b"\"\"" } else { std::slice::from_ref(&b) });
                }
                out.push(b'"');
                out
            } else {
                field.to_vec()
            }
        };
        for special in [b',', b'"', b'\r', b'\n', b'x'] {
            for len in 0..20 {
                for at in 0..len {
                    let mut field: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
                    field[at] = special;
                    let mut buf = b"prefix".to_vec();
                    csv_field(&mut buf, &field);
                    assert_eq!(&buf[6..], plain(&field), "{:?}", String::from_utf8_lossy(&field));
                }
            }
        }
        let mut buf = Vec::new();
        csv_field(&mut buf, "\"é\",\"\"".as_bytes());
        assert_eq!(buf, "\"\"\"é\"\",\"\"\"\"\"".as_bytes());
    }

    #[test]
    fn csv_quotes_only_fields_with_delimiters_quotes_or_line_breaks() {
        let rows: Vec<serde_json::Map<String, serde_json::Value>> = [
            json!({"a,b": "plain", "n": -12, "say \"hi\"": "x,y", "e": ""}),
            json!({"a,b": "she said \"no\"", "n": 9_223_372_036_854_775_807_i64, "say \"hi\"": "line\r\nbreak", "e": null}),
            json!({"a,b": "0123456789abcdef0123456789,abcdef", "n": null, "say \"hi\"": "\"", "e": "é"}),
        ]
        .into_iter()
        .map(|v| v.as_object().unwrap().clone())
        .collect();
        let table = ResultTable::from_rows(&QueryBody::default(), &rows);
        let cols: Vec<usize> =
            ["a,b", "n", "say \"hi\"", "e"].map(|name| table.column_index(name).unwrap()).into();
        let text = String::from_utf8(written_csv(&table, &table.all_rows(), &cols, false)).unwrap();
        assert_eq!(
            text,
            "\"a,b\",n,\"say \"\"hi\"\"\",e\r\n\
             plain,-12,\"x,y\",\r\n\
             \"she said \"\"no\"\"\",9223372036854775807,\"line\r\nbreak\",\r\n\
             \"0123456789abcdef0123456789,abcdef\",,\"\"\"\",é\r\n"
        );
        // One column of empty values: each record is `""`, never a blank line.
        let e = table.column_index("e").unwrap();
        let text = String::from_utf8(written_csv(&table, &[1, 0], &[e], true)).unwrap();
        assert_eq!(text, "\u{feff}e\r\n\"\"\r\n\"\"\r\n");
        // No columns: the BOM alone.
        assert_eq!(written_csv(&table, &[0], &[], true), "\u{feff}".as_bytes());
    }

    #[test]
    fn csv_matches_the_csv_crate_on_plain_and_dictionary_columns() {
        let rows: Vec<serde_json::Map<String, serde_json::Value>> = (0..600)
            .map(|i| {
                json!({
                    "distinct": format!("row {i}, \"quoted\"\r\n{}", "x".repeat(i % 23)),
                    "kind": (["a,b", "plain", "say \"hi\""][i % 3]),
                    "doc": {"n": i, "tag": format!("t{i}")},
                    "shape": {"kind": (["a", "b"][i % 2]), "list": [1, 2]},
                    "sometimes": (if i % 5 == 0 { serde_json::Value::Null } else { json!(["x", "y"][i % 2]) }),
                })
                .as_object()
                .unwrap()
                .clone()
            })
            .collect();
        let table = ResultTable::from_rows(&QueryBody::default(), &rows);
        let storage = |name: &str| match &table.column(table.column_index(name).unwrap()).unwrap().data {
            ColumnData::Text(TextColumn::Plain(_)) | ColumnData::Json(TextColumn::Plain(_)) => "plain",
            ColumnData::Text(TextColumn::Dict { .. }) | ColumnData::Json(TextColumn::Dict { .. }) => "dict",
            _ => "other",
        };
        // Both storages of text and of JSON are covered.
        assert_eq!(
            ["distinct", "kind", "doc", "shape", "sometimes"].map(storage),
            ["plain", "dict", "plain", "dict", "dict"]
        );
        let cols: Vec<usize> = (0..table.column_count()).collect();
        let order: Vec<u32> = (0..600).rev().step_by(7).chain([3, 3, 0]).collect();
        for bom in [false, true] {
            assert_eq!(
                written_csv(&table, &order, &cols, bom),
                csv_crate_reference(&table, &order, &cols, bom)
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn csv_matches_the_csv_crate_byte_for_byte(
            cells in proptest::collection::vec(
                (
                    "[a-c,\"\r\n é{}:\\[\\]]{0,40}",
                    proptest::option::of(proptest::num::i64::ANY),
                    proptest::option::of(-1e30f64..1e30),
                    proptest::option::of(proptest::bool::ANY),
                    proptest::option::of(0i64..4_102_444_800_000),
                    proptest::option::of("[a-z\", ]{0,12}"),
                ),
                0..12,
            ),
            bom in proptest::bool::ANY,
            one_column in proptest::bool::ANY,
        ) {
            let rows: Vec<serde_json::Map<String, serde_json::Value>> = cells
                .iter()
                .map(|(text, int, float, flag, millis, json)| {
                    let at = millis.map(|ms| {
                        format!("{:.3}", Timestamp::from_millisecond(ms).unwrap())
                    });
                    json!({
                        "text": text,
                        "int": int,
                        "float": float,
                        "flag": flag,
                        "at": at,
                        "json": json.as_ref().map(|s| json!({"k": s, "list": [1, s]})),
                    })
                    .as_object()
                    .unwrap()
                    .clone()
                })
                .collect();
            let table = ResultTable::from_rows(&QueryBody::default(), &rows);
            // The raw-conversation columns of `{}` come first (all null here); then ours.
            let text_column = table.column_index("text").unwrap_or(0);
            let cols: Vec<usize> =
                if one_column { vec![text_column] } else { (0..table.column_count()).rev().collect() };
            let order: Vec<u32> = table.all_rows().into_iter().rev().collect();
            proptest::prop_assert_eq!(
                written_csv(&table, &order, &cols, bom),
                csv_crate_reference(&table, &order, &cols, bom)
            );
        }
    }
}
