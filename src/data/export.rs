//! Writing a table view to CSV, JSON or Excel (XLSX) files.
//!
//! A view is a list of row indices (sorted, searched) and a list of column indices
//! (the visible columns), as the grid holds them; nothing is copied out of the
//! [`ResultTable`]. Every writer reports progress in rows and checks a cancellation
//! flag every few thousand rows.
//!
//! - **CSV**: RFC 4180 (via the `csv` crate), UTF-8, CRLF line ends, an optional byte
//!   order mark so that Excel reads the file as UTF-8. Values in their raw text form:
//!   timestamps in RFC 3339 (UTC), time buckets as sortable UTC labels (`2026-06-08`,
//!   `2026-06`, `2026-06-08 14:00 UTC`, a week as its Monday's date; see
//!   [`bucket_export_label`](super::display::bucket_export_label)), JSON compact, nulls
//!   empty. Plain CSV keeps every byte of a value, for machine readers. "CSV for Excel"
//!   (with the BOM) neutralises CSV injection: a text cell starting with `=`, `+`, `-`,
//!   `@`, a tab or a carriage return gets a `'` in front, so Excel shows it instead of
//!   running it ([`needs_formula_guard`]). Numbers stay numbers; a text column holding
//!   `-5` is text and gets the `'`.
//! - **JSON**: an array of objects, one per row, with typed values: numbers as numbers,
//!   booleans, timestamps as RFC 3339 strings and buckets as the CSV's labels, JSON columns
//!   embedded as JSON, nulls as `null`. Streamed row by row.
//! - **XLSX** (`rust_xlsxwriter`, constant-memory worksheets): numbers as numbers,
//!   timestamps as Excel date-times (UTC) with a date format (buckets `yyyy-mm-dd`,
//!   `yyyy-mm` for months, `yyyy-mm-dd hh:mm` for hours), a bold frozen header row,
//!   an autofilter and column widths from a sample of the content. Past Excel's
//!   1,048,576 rows a sheet the rows continue on further sheets ("Result",
//!   "Result (2)", …), each with its header. A last sheet, "Query", records the request
//!   body, the server, the time of the run, the `requestId` and the rows exported
//!   against the total — never the API key.
//!
//! [`export_view`] writes through [`AtomicWriter`]: the file appears under its name
//! only when complete, so a failed or cancelled export leaves nothing half-written.
//! For CSV and JSON it can also write a sidecar `<file>.query.json` with the same
//! information as the "Query" sheet.
//!
//! [`StreamExport`] (and its closure form [`export_csv_stream_to_path`]) takes the
//! export endpoint's CSV as it streams in: CSV goes straight to disk, memory bounded;
//! JSON and XLSX are staged in a temporary CSV beside the target and converted (the
//! converted table is held in memory like any result). The stream carries no row count:
//! given the `total` of a query answer, [`check_all_rows`] refuses a download with fewer
//! rows (nothing is kept) and records a warning for more.

use std::io::{self, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use jiff::Timestamp;
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};
use serde::{Deserialize, Serialize};

use crate::api::columns::ColumnSource;
use crate::api::query::{QueryBody, TimeUnit};
use crate::api::timestamp::{format_utc, parse_rfc3339};
use crate::atomic_file::AtomicWriter;

use super::builder::is_json_number;
use super::display::{bucket_unit, group_thousands, push_bucket_label};
use super::parse::{LoadProgress, TableError};
use super::storage::{StrBuf, TextColumn};
use super::table::{CellRef, Column, ColumnData, ColumnType, ResultTable, TimestampText, write_float};
use super::time::{self, TimestampLayout};

/// The most rows an Excel sheet holds, header included.
pub const EXCEL_MAX_ROWS: u32 = 1_048_576;
/// Data rows per sheet by default: Excel's limit less the header row.
pub const DEFAULT_MAX_ROWS_PER_SHEET: u32 = EXCEL_MAX_ROWS - 1;
/// The most columns an Excel sheet holds.
pub const EXCEL_MAX_COLUMNS: usize = 16_384;
/// The longest text an Excel cell holds, in UTF-16 code units; longer text is cut.
pub const EXCEL_MAX_TEXT_UNITS: usize = 32_767;
/// Rows between two progress reports and cancellation checks.
const CHECK_EVERY_ROWS: usize = 4_096;
/// Rows sampled to size XLSX columns.
const WIDTH_SAMPLE_ROWS: usize = 1_000;
/// Column widths in Excel character units.
const MIN_COLUMN_WIDTH: f64 = 8.0;
const MAX_COLUMN_WIDTH: f64 = 60.0;
/// Excel's serial number of 1970-01-01 (days since 1899-12-30).
const EXCEL_UNIX_EPOCH_DAYS: f64 = 25_569.0;
const MILLIS_PER_DAY: f64 = 86_400_000.0;
/// Excel's 1900 date system counts a 29 February 1900 that never was, so serials
/// before 1 March 1900 are off by a day: earlier times are written as text.
const EXCEL_FIRST_EXACT_MILLIS: i64 = -2_203_891_200_000;
/// 10000-01-01T00:00:00Z: Excel has no later dates.
const EXCEL_END_MILLIS: i64 = 253_402_300_800_000;
/// Integers beyond 2^53 lose digits as Excel numbers: they are written as text.
const EXACT_INTEGER_LIMIT: u64 = 1 << 53;
/// The name of the first data sheet; later ones are "Result (2)", "Result (3)"…
pub const RESULT_SHEET_NAME: &str = "Result";
/// The name of the sheet describing the query.
pub const QUERY_SHEET_NAME: &str = "Query";

/// A file format for exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ExportFormat {
    /// Comma-separated values.
    Csv {
        /// Start with a UTF-8 byte order mark, so Excel reads the file as UTF-8.
        bom: bool,
    },
    /// A JSON array of row objects.
    Json,
    /// An Excel workbook.
    Xlsx,
}

impl ExportFormat {
    /// The usual file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv { .. } => "csv",
            ExportFormat::Json => "json",
            ExportFormat::Xlsx => "xlsx",
        }
    }

    /// A label for menus.
    pub fn label(self) -> &'static str {
        match self {
            ExportFormat::Csv { bom: false } => "CSV",
            ExportFormat::Csv { bom: true } => "CSV (Excel-friendly, with BOM)",
            ExportFormat::Json => "JSON",
            ExportFormat::Xlsx => "Excel workbook (XLSX)",
        }
    }

    /// Reads `csv`, `json` or `xlsx` (any case); CSV without a BOM.
    pub fn from_name(name: &str) -> Option<ExportFormat> {
        match name.to_ascii_lowercase().as_str() {
            "csv" => Some(ExportFormat::Csv { bom: false }),
            "json" => Some(ExportFormat::Json),
            "xlsx" => Some(ExportFormat::Xlsx),
            _ => None,
        }
    }

    /// The format a file name's extension names, if any.
    pub fn from_path(path: &Path) -> Option<ExportFormat> {
        path.extension().and_then(|ext| ext.to_str()).and_then(ExportFormat::from_name)
    }

    /// True for the formats that get a `<file>.query.json` sidecar (XLSX carries the
    /// same information in its "Query" sheet).
    pub fn takes_sidecar(self) -> bool {
        !matches!(self, ExportFormat::Xlsx)
    }
}

/// Choices that do not change what is exported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportOptions {
    /// For CSV and JSON: also write `<file>.query.json` describing the query.
    pub sidecar: bool,
    /// For XLSX: data rows per sheet before the rest continue on a new sheet (at most,
    /// and by default, [`DEFAULT_MAX_ROWS_PER_SHEET`]).
    pub max_rows_per_sheet: u32,
}

impl Default for ExportOptions {
    fn default() -> ExportOptions {
        ExportOptions { sidecar: true, max_rows_per_sheet: DEFAULT_MAX_ROWS_PER_SHEET }
    }
}

/// What an export records about the run it came from (in the XLSX "Query" sheet and the
/// sidecar). Holds no secret: there is no place for the key.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportMeta {
    /// The request body as sent (relative times already resolved).
    pub body: QueryBody,
    /// The server the query ran against.
    pub server_url: String,
    /// When the query ran.
    pub run_at: Timestamp,
    /// The server's `requestId` for the run, when it gave one.
    pub request_id: Option<String>,
    /// Rows matching the query, when known.
    pub total: Option<u64>,
}

/// The content of a `<file>.query.json` sidecar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ExportSidecar {
    /// `inkeep-explorer <version>`.
    pub exported_by: String,
    /// The exported file's name.
    pub file: String,
    /// `csv`, `json` or `xlsx`.
    pub format: String,
    /// The server the query ran against (without any credentials in the URL).
    pub server_url: String,
    /// When the query ran (UTC).
    #[serde(with = "crate::api::timestamp::serde_utc::option")]
    pub run_at: Option<Timestamp>,
    /// The server's `requestId`, when known.
    pub request_id: Option<String>,
    /// Rows in the file.
    pub rows_exported: u64,
    /// Rows matching the query, when known.
    pub total: Option<u64>,
    /// Always true: times in the file are UTC.
    pub times_are_utc: bool,
    /// Something the reader should know about the rows, such as more rows than `total`
    /// (see [`excess_rows_warning`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
    /// The request body.
    pub query: QueryBody,
}

impl Default for ExportSidecar {
    fn default() -> ExportSidecar {
        ExportSidecar {
            exported_by: String::new(),
            file: String::new(),
            format: String::new(),
            server_url: String::new(),
            run_at: None,
            request_id: None,
            rows_exported: 0,
            total: None,
            times_are_utc: true,
            warning: None,
            query: QueryBody::default(),
        }
    }
}

/// What a finished export wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportOutcome {
    /// The file written.
    pub path: PathBuf,
    /// Data rows written (header not counted).
    pub rows_written: u64,
    /// Data sheets of an XLSX file (more than one past Excel's row limit: tell the
    /// user); 1 for CSV and JSON.
    pub sheets: u32,
    /// Size of the file in bytes.
    pub bytes: u64,
    /// The `<file>.query.json` written beside it, if any.
    pub sidecar: Option<PathBuf>,
    /// XLSX cells whose text exceeded Excel's 32,767 characters and was cut.
    pub truncated_cells: u64,
}

/// Why an export failed. Messages say what failed, why, then the path.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The cancellation flag was set; nothing was written.
    #[error("the export was cancelled")]
    Cancelled,
    /// Writing failed.
    #[error("could not write the export: {source}{}", in_path(path.as_deref()))]
    Io {
        /// The file being written, when known.
        path: Option<PathBuf>,
        /// The I/O error.
        source: io::Error,
    },
    /// The Excel writer refused something.
    #[error("could not write the Excel file: {message}{}", in_path(path.as_deref()))]
    Xlsx {
        /// The file being written, when known.
        path: Option<PathBuf>,
        /// What the writer said.
        message: String,
    },
    /// More columns than an Excel sheet holds.
    #[error(
        "the result has {column_count} columns, but an Excel sheet holds at most 16,384; export CSV instead"
    )]
    TooManyColumns {
        /// Columns in the view.
        column_count: usize,
    },
    /// The streamed CSV could not be read back for conversion.
    #[error("could not convert the downloaded CSV: {source}{}", in_path(path.as_deref()))]
    Convert {
        /// The file being written.
        path: Option<PathBuf>,
        /// What went wrong reading it.
        source: TableError,
    },
    /// The download feeding a streamed export failed.
    #[error("the download of all rows failed: {0}")]
    Stream(String),
    /// The download of all rows ended with fewer rows than the query counted: it stopped
    /// early, possibly at a row boundary, where it looks complete.
    #[error("{0}; nothing was written")]
    Incomplete(ShortExport),
    /// The export was saved, but its sidecar could not be.
    #[error("the export was saved, but its query sidecar could not be: {source} ({})", path.display())]
    Sidecar {
        /// The sidecar file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
}

fn in_path(path: Option<&Path>) -> String {
    path.map(|p| format!(" ({})", p.display())).unwrap_or_default()
}

impl ExportError {
    /// The same error, naming `path` if it did not name a file yet.
    fn at(self, file: &Path) -> ExportError {
        match self {
            ExportError::Io { path: None, source } => ExportError::Io { path: Some(file.into()), source },
            ExportError::Xlsx { path: None, message } => {
                ExportError::Xlsx { path: Some(file.into()), message }
            }
            ExportError::Convert { path: None, source } => {
                ExportError::Convert { path: Some(file.into()), source }
            }
            other => other,
        }
    }
}

impl From<io::Error> for ExportError {
    fn from(source: io::Error) -> ExportError {
        ExportError::Io { path: None, source }
    }
}

impl From<XlsxError> for ExportError {
    fn from(error: XlsxError) -> ExportError {
        match error {
            XlsxError::IoError(source) => ExportError::Io { path: None, source },
            other => ExportError::Xlsx { path: None, message: other.to_string() },
        }
    }
}

impl From<csv::Error> for ExportError {
    fn from(error: csv::Error) -> ExportError {
        let source = match error.into_kind() {
            csv::ErrorKind::Io(source) => source,
            other => io::Error::other(format!("{other:?}")),
        };
        ExportError::Io { path: None, source }
    }
}

/// Called every few thousand rows: reports progress, and stops on cancellation.
struct Ticker<'a> {
    progress: &'a mut dyn FnMut(u64),
    cancel: &'a AtomicBool,
}

impl Ticker<'_> {
    #[inline]
    fn row_done(&mut self, rows_done: usize) -> Result<(), ExportError> {
        if rows_done.is_multiple_of(CHECK_EVERY_ROWS) {
            self.check(rows_done)?;
        }
        Ok(())
    }

    fn check(&mut self, rows_done: usize) -> Result<(), ExportError> {
        if self.cancel.load(Ordering::Relaxed) {
            return Err(ExportError::Cancelled);
        }
        (self.progress)(rows_done as u64);
        Ok(())
    }
}

/// The columns of the view that exist.
fn view_columns<'t>(table: &'t ResultTable, cols: &[usize]) -> Vec<&'t Column> {
    cols.iter().filter_map(|&col| table.column(col)).collect()
}

// ---------------------------------------------------------------------------------------------
// Cell text
// ---------------------------------------------------------------------------------------------

/// The raw text of a cell as CSV holds it, using `scratch` for values that must be
/// formatted: integers plain, floats shortest round-trip, timestamps RFC 3339 in UTC,
/// JSON compact, booleans `true`/`false`, null empty.
fn cell_text<'a>(column: &'a Column, row: usize, scratch: &'a mut String) -> &'a str {
    text_of(column, row, column.cell(row), scratch)
}

/// [`cell_text`] of a cell already read from `column` at `row`.
#[inline]
fn text_of<'a>(column: &'a Column, row: usize, cell: CellRef<'a>, scratch: &'a mut String) -> &'a str {
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
fn timestamp_text<'a>(column: &'a Column, row: usize, millis: i64, scratch: &'a mut String) -> &'a str {
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

// ---------------------------------------------------------------------------------------------
// CSV injection: "CSV for Excel" neutralises cells a spreadsheet would run as formulas
// ---------------------------------------------------------------------------------------------

/// What the "CSV for Excel" writer knows about the type of a cell it guards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellTyping {
    /// A text cell of a typed table: text whatever it spells, so `-5` in a text column is
    /// text and is guarded like any other text starting with `-`.
    Text,
    /// A cell whose type is read from its spelling, as the app reads CSV: a field of the
    /// export endpoint's CSV (which carries no types), or a JSON cell (whose JSON text spells
    /// its type). A JSON number (`-5`, `-1.5e3`) is a number, which no spreadsheet runs as a
    /// formula, and stays as it is; anything else is text.
    Lexical,
}

/// True when `field`, written into a "CSV for Excel", must be prefixed with `'` so that a
/// spreadsheet shows it as text instead of running it as a formula (OWASP "CSV injection"):
/// text starting with `=`, `+`, `-`, `@`, a tab or a carriage return.
///
/// The one rule for every "CSV for Excel" path: the table writer asks it for text and JSON
/// cells (numbers, booleans and timestamps are never guarded), the streamed "all rows"
/// export for every field of the downloaded CSV. Plain CSV never asks: it keeps the bytes
/// as they are, for machine readers. The common case costs one comparison of the first
/// byte.
#[inline]
pub fn needs_formula_guard(field: &[u8], typing: CellTyping) -> bool {
    match field.first() {
        Some(b'=' | b'@' | b'\t' | b'\r') => true,
        Some(b'+' | b'-') => match typing {
            CellTyping::Text => true,
            CellTyping::Lexical => !std::str::from_utf8(field).is_ok_and(is_json_number),
        },
        _ => false,
    }
}

/// The prefix that makes a spreadsheet read a cell as text.
const FORMULA_GUARD: u8 = b'\'';

/// Appends one field of a "CSV for Excel" to `buf`: as [`csv_field`] does, with `'` in front
/// of the content when [`needs_formula_guard`] says so (inside the quotes of a quoted field).
#[inline]
fn csv_field_for_excel(buf: &mut Vec<u8>, field: &[u8], typing: CellTyping) {
    if !needs_formula_guard(field, typing) {
        csv_field(buf, field);
        return;
    }
    let start = buf.len();
    csv_field(buf, field);
    // A guarded field starts with a trigger byte, never with `"`: a quote at `start` is the
    // opening quote of a quoted field.
    let content_start = start + usize::from(buf.get(start) == Some(&b'"'));
    buf.insert(content_start, FORMULA_GUARD);
}

/// Neutralises formulas in the export endpoint's CSV as it streams into a "CSV for Excel":
/// every field goes through [`needs_formula_guard`] (typed [`CellTyping::Lexical`]: the CSV
/// carries no types), guarded ones get `'` in front of their content; everything else is
/// copied byte for byte. Fields that start with `+` or `-` are held until their end (the
/// decision needs the whole field: `-5` is a number, `-5+1` a formula); all others are
/// decided on their first byte.
#[derive(Debug, Default)]
struct StreamFormulaGuard {
    state: GuardState,
    /// The bytes of a held field so far (for a quoted one: after its opening quote).
    held: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum GuardState {
    /// At the start of a field (also between the CR and LF of a line end).
    #[default]
    FieldStart,
    /// Inside an unquoted field, decided.
    Unquoted,
    /// Inside an unquoted field that is held.
    HeldUnquoted,
    /// Right after the opening quote of a quoted field.
    QuotedStart,
    /// Inside a quoted field, decided.
    Quoted,
    /// Inside a quoted field, decided, right after a quote (an escaped one or the closing one).
    QuotedQuote,
    /// Inside a quoted field that is held.
    HeldQuoted,
    /// Inside a quoted field that is held, right after a quote.
    HeldQuotedQuote,
}

impl StreamFormulaGuard {
    /// Appends `input`, guarded, to `out`.
    fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) {
        out.reserve(input.len() + 16);
        // Bytes from `run_start` are copied in one go when something has to be inserted or held.
        let mut run_start = 0;
        for (at, &byte) in input.iter().enumerate() {
            match self.state {
                GuardState::FieldStart => match byte {
                    b'"' => self.state = GuardState::QuotedStart,
                    // A line end or an empty field: still at the start of one.
                    b',' | b'\r' | b'\n' => {}
                    _ => self.first_content_byte(
                        byte,
                        false,
                        input.get(..at).unwrap_or_default(),
                        &mut run_start,
                        out,
                    ),
                },
                GuardState::Unquoted => {
                    if matches!(byte, b',' | b'\r' | b'\n') {
                        self.state = GuardState::FieldStart;
                    }
                }
                GuardState::HeldUnquoted => {
                    if matches!(byte, b',' | b'\r' | b'\n') {
                        self.release(self.held.len(), out);
                        run_start = at;
                        self.state = GuardState::FieldStart;
                    } else {
                        self.held.push(byte);
                        run_start = at + 1;
                    }
                }
                GuardState::QuotedStart => match byte {
                    b'"' => self.state = GuardState::QuotedQuote,
                    _ => self.first_content_byte(
                        byte,
                        true,
                        input.get(..at).unwrap_or_default(),
                        &mut run_start,
                        out,
                    ),
                },
                GuardState::Quoted => {
                    if byte == b'"' {
                        self.state = GuardState::QuotedQuote;
                    }
                }
                GuardState::QuotedQuote => {
                    self.state = match byte {
                        b'"' => GuardState::Quoted,
                        b',' | b'\r' | b'\n' => GuardState::FieldStart,
                        // Text after a closing quote (not RFC 4180): copied as it comes.
                        _ => GuardState::Unquoted,
                    };
                }
                GuardState::HeldQuoted => {
                    self.held.push(byte);
                    run_start = at + 1;
                    if byte == b'"' {
                        self.state = GuardState::HeldQuotedQuote;
                    }
                }
                GuardState::HeldQuotedQuote => {
                    if byte == b'"' {
                        self.held.push(byte);
                        run_start = at + 1;
                        self.state = GuardState::HeldQuoted;
                    } else {
                        // The quote before was the closing one: the content is what precedes it.
                        self.release(self.held.len().saturating_sub(1), out);
                        run_start = at;
                        self.state = match byte {
                            b',' | b'\r' | b'\n' => GuardState::FieldStart,
                            _ => GuardState::Unquoted,
                        };
                    }
                }
            }
        }
        out.extend_from_slice(input.get(run_start..).unwrap_or_default());
    }

    /// The first byte of a field's content (after its opening quote, if `quoted`): a sign
    /// may start a number, so the field is held until its end decides; any other byte is
    /// decided at once, with the guard written before it when it starts a formula.
    /// `before` is the input up to this byte; its bytes from `run_start` are still uncopied.
    fn first_content_byte(
        &mut self,
        byte: u8,
        quoted: bool,
        before: &[u8],
        run_start: &mut usize,
        out: &mut Vec<u8>,
    ) {
        let at = before.len();
        if matches!(byte, b'+' | b'-') {
            out.extend_from_slice(before.get(*run_start..).unwrap_or_default());
            self.held.clear();
            self.held.push(byte);
            *run_start = at + 1;
            self.state = if quoted { GuardState::HeldQuoted } else { GuardState::HeldUnquoted };
            return;
        }
        if needs_formula_guard(&[byte], CellTyping::Lexical) {
            out.extend_from_slice(before.get(*run_start..).unwrap_or_default());
            out.push(FORMULA_GUARD);
            *run_start = at;
        }
        self.state = if quoted { GuardState::Quoted } else { GuardState::Unquoted };
    }

    /// Ends the stream: a field still held (the last one, without a line end) is written.
    fn finish(&mut self, out: &mut Vec<u8>) {
        match self.state {
            GuardState::HeldUnquoted | GuardState::HeldQuoted => self.release(self.held.len(), out),
            GuardState::HeldQuotedQuote => self.release(self.held.len().saturating_sub(1), out),
            _ => {}
        }
        self.state = GuardState::FieldStart;
    }

    /// Writes the held field, guarded when its first `content_len` bytes (its content) need it.
    fn release(&mut self, content_len: usize, out: &mut Vec<u8>) {
        let content = self.held.get(..content_len).unwrap_or_default();
        if needs_formula_guard(content, CellTyping::Lexical) {
            out.push(FORMULA_GUARD);
        }
        out.extend_from_slice(&self.held);
        self.held.clear();
    }
}

// ---------------------------------------------------------------------------------------------
// CSV
// ---------------------------------------------------------------------------------------------

/// Bytes the CSV writer gathers before handing them to its output in one write: more
/// than the atomic writer's own buffer, so a block goes through it without a second copy.
const CSV_BLOCK_BYTES: usize = 1024 * 1024;
/// Capacity of a CSV block buffer: room for the row that crosses the threshold.
const CSV_BUFFER_CAPACITY: usize = CSV_BLOCK_BYTES + 64 * 1024;

/// Writes the view as CSV (RFC 4180, CRLF, header row of column names) and returns the
/// number of data rows written. `bom` makes it "CSV for Excel": it starts with a UTF-8 byte
/// order mark and text cells that a spreadsheet would run as formulas get a `'` in front
/// ([`needs_formula_guard`]). Without `bom` every value is written as it is.
///
/// Cells are formatted straight into one block buffer (no per-cell allocation, no
/// per-field state machine) with the quoting rules of the `csv` crate's default writer:
/// a field is quoted only when it holds `,`, `"`, CR or LF, and a record that would be
/// empty (one column, empty value) is written as `""`.
pub fn write_csv<W: Write>(
    table: &ResultTable,
    rows: &[u32],
    cols: &[usize],
    bom: bool,
    out: W,
    progress: &mut dyn FnMut(u64),
    cancel: &AtomicBool,
) -> Result<u64, ExportError> {
    let mut ticker = Ticker { progress, cancel };
    let mut out = out;
    let rows_written = format_csv_as(table, rows, cols, bom, &mut ticker, &mut |block| {
        out.write_all(block)?;
        block.clear();
        Ok(())
    })?;
    out.flush()?;
    ticker.check(rows_written)?;
    Ok(rows_written as u64)
}

/// [`write_csv`] with the writing on a second thread: a block is formatted while the
/// previous one is copied into the file, the two biggest costs of a large export.
fn write_csv_overlapped<W: Write + Send>(
    table: &ResultTable,
    rows: &[u32],
    cols: &[usize],
    bom: bool,
    out: W,
    progress: &mut dyn FnMut(u64),
    cancel: &AtomicBool,
) -> Result<u64, ExportError> {
    let mut ticker = Ticker { progress, cancel };
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
        let formatted = format_csv_as(table, rows, cols, bom, &mut ticker, &mut |block| {
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
    ticker.check(rows_written)?;
    Ok(rows_written as u64)
}

/// [`format_csv`] as plain CSV or, with `bom`, as "CSV for Excel": the BOM and the formula
/// guard go together, and the plain writer is compiled without the guard's checks.
fn format_csv_as(
    table: &ResultTable,
    rows: &[u32],
    cols: &[usize],
    bom: bool,
    ticker: &mut Ticker<'_>,
    emit: &mut dyn FnMut(&mut Vec<u8>) -> io::Result<()>,
) -> Result<usize, ExportError> {
    if bom {
        format_csv::<true>(table, rows, cols, ticker, emit)
    } else {
        format_csv::<false>(table, rows, cols, ticker, emit)
    }
}

/// Formats the view as CSV into block buffers and hands each full one, and the last,
/// to `emit`, which must leave the buffer it gets empty (cleared or replaced). Returns
/// the number of data rows. `FOR_EXCEL` starts with a BOM and guards formulas
/// ([`needs_formula_guard`]) in the header and in text and JSON cells.
fn format_csv<const FOR_EXCEL: bool>(
    table: &ResultTable,
    rows: &[u32],
    cols: &[usize],
    ticker: &mut Ticker<'_>,
    emit: &mut dyn FnMut(&mut Vec<u8>) -> io::Result<()>,
) -> Result<usize, ExportError> {
    ticker.check(0)?;
    let columns = view_columns(table, cols);
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
        ticker.row_done(done + 1)?;
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

// ---------------------------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------------------------

/// Writes the view as a JSON array of objects (column name → typed value), one row per
/// line, and returns the number of rows written.
pub fn write_json<W: Write>(
    table: &ResultTable,
    rows: &[u32],
    cols: &[usize],
    out: W,
    progress: &mut dyn FnMut(u64),
    cancel: &AtomicBool,
) -> Result<u64, ExportError> {
    let mut ticker = Ticker { progress, cancel };
    ticker.check(0)?;
    let columns = view_columns(table, cols);
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
        ticker.row_done(done + 1)?;
    }
    out.write_all(if rows.is_empty() { b"]\n" } else { b"\n]\n" })?;
    out.flush()?;
    ticker.check(rows.len())?;
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

// ---------------------------------------------------------------------------------------------
// XLSX
// ---------------------------------------------------------------------------------------------

/// What [`write_xlsx`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct XlsxSummary {
    /// Data rows written, over all sheets.
    pub rows_written: u64,
    /// Data sheets ("Result", "Result (2)", …).
    pub sheets: u32,
    /// Cells whose text was cut to Excel's limit.
    pub truncated_cells: u64,
}

/// How one column goes into a sheet.
struct ColumnPlan<'t> {
    column: &'t Column,
    /// The number format of timestamp cells.
    date_format: Option<Format>,
    width: f64,
}

fn date_format_for(column: &Column) -> Format {
    let pattern = match column.source() {
        Some(ColumnSource::TimeBucket { unit: TimeUnit::Day | TimeUnit::Week, .. }) => "yyyy-mm-dd",
        Some(ColumnSource::TimeBucket { unit: TimeUnit::Month, .. }) => "yyyy-mm",
        Some(ColumnSource::TimeBucket { unit: TimeUnit::Hour, .. }) => "yyyy-mm-dd hh:mm",
        _ => "yyyy-mm-dd hh:mm:ss",
    };
    Format::new().set_num_format(pattern)
}

/// Column widths from the header and a sample of the rows, in Excel character units.
fn plan_columns<'t>(columns: &[&'t Column], rows: &[u32]) -> Vec<ColumnPlan<'t>> {
    let mut scratch = String::new();
    columns
        .iter()
        .map(|&column| {
            let (date_format, content_chars) = match column.column_type() {
                ColumnType::Timestamp => {
                    let format = date_format_for(column);
                    let chars = match column.source() {
                        Some(ColumnSource::TimeBucket { unit: TimeUnit::Hour, .. }) => 16,
                        Some(ColumnSource::TimeBucket { .. }) => 10,
                        _ => 19,
                    };
                    (Some(format), chars)
                }
                _ => {
                    let widest = rows
                        .iter()
                        .take(WIDTH_SAMPLE_ROWS)
                        .map(|&row| cell_text(column, row as usize, &mut scratch).chars().count())
                        .max()
                        .unwrap_or(0);
                    (None, widest)
                }
            };
            // Room for the autofilter button beside the header text.
            let header_chars = column.name().chars().count() + 3;
            let width =
                (header_chars.max(content_chars) as f64 + 1.0).clamp(MIN_COLUMN_WIDTH, MAX_COLUMN_WIDTH);
            ColumnPlan { column, date_format, width }
        })
        .collect()
}

fn sheet_name(index: usize) -> String {
    if index == 0 { RESULT_SHEET_NAME.to_string() } else { format!("{RESULT_SHEET_NAME} ({})", index + 1) }
}

/// Text cut to Excel's cell limit, and whether it was cut.
fn excel_text(text: &str) -> (&str, bool) {
    // UTF-16 never needs more units than UTF-8 needs bytes.
    if text.len() <= EXCEL_MAX_TEXT_UNITS {
        return (text, false);
    }
    let mut units = 0;
    for (at, c) in text.char_indices() {
        units += c.len_utf16();
        if units > EXCEL_MAX_TEXT_UNITS {
            return (text.get(..at).unwrap_or(""), true);
        }
    }
    (text, false)
}

/// Writes the view as an Excel workbook into `out` (see the module docs for the
/// layout). `meta` fills the "Query" sheet.
#[allow(clippy::too_many_arguments)] // The view (table, rows, columns) travels as the grid holds it.
pub fn write_xlsx<W: Write + Send>(
    table: &ResultTable,
    rows: &[u32],
    cols: &[usize],
    meta: &ExportMeta,
    options: &ExportOptions,
    out: W,
    progress: &mut dyn FnMut(u64),
    cancel: &AtomicBool,
) -> Result<XlsxSummary, ExportError> {
    let mut ticker = Ticker { progress, cancel };
    ticker.check(0)?;
    let columns = view_columns(table, cols);
    if columns.len() > EXCEL_MAX_COLUMNS {
        return Err(ExportError::TooManyColumns { column_count: columns.len() });
    }
    let plans = plan_columns(&columns, rows);
    let per_sheet = options.max_rows_per_sheet.clamp(1, DEFAULT_MAX_ROWS_PER_SHEET) as usize;
    let header_format = Format::new().set_bold();
    let mut workbook = Workbook::new();
    let mut summary = XlsxSummary::default();
    let mut chunks: Vec<&[u32]> = rows.chunks(per_sheet).collect();
    if chunks.is_empty() {
        // An empty result still gets a sheet with its header.
        chunks.push(&[]);
    }
    let mut scratch = String::new();
    for (sheet_index, chunk) in chunks.iter().enumerate() {
        let sheet = workbook.add_worksheet_with_constant_memory()?;
        sheet.set_name(sheet_name(sheet_index))?;
        for (col, plan) in plans.iter().enumerate() {
            let col = col as u16;
            sheet.set_column_width(col, plan.width)?;
            sheet.write_string_with_format(0, col, plan.column.name(), &header_format)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        for (offset, &row) in chunk.iter().enumerate() {
            let sheet_row = offset as u32 + 1;
            for (col, plan) in plans.iter().enumerate() {
                let truncated =
                    write_xlsx_cell(sheet, sheet_row, col as u16, plan, row as usize, &mut scratch)?;
                summary.truncated_cells += u64::from(truncated);
            }
            summary.rows_written += 1;
            ticker.row_done(summary.rows_written as usize)?;
        }
        if !plans.is_empty() {
            sheet.autofilter(0, 0, chunk.len() as u32, (plans.len() - 1) as u16)?;
        }
        summary.sheets += 1;
    }
    write_query_sheet(workbook.add_worksheet(), meta, &summary)?;
    ticker.check(rows.len())?;
    workbook.save_to_writer(out)?;
    Ok(summary)
}

/// Writes one cell; true when its text had to be cut.
fn write_xlsx_cell(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    plan: &ColumnPlan<'_>,
    table_row: usize,
    scratch: &mut String,
) -> Result<bool, XlsxError> {
    match plan.column.cell(table_row) {
        CellRef::Null => {}
        CellRef::Int(value) if value.unsigned_abs() <= EXACT_INTEGER_LIMIT => {
            sheet.write_number(row, col, value as f64)?;
        }
        CellRef::Float(value) if value.is_finite() => {
            sheet.write_number(row, col, value)?;
        }
        CellRef::Bool(value) => {
            sheet.write_boolean(row, col, value)?;
        }
        CellRef::Timestamp(millis) if (EXCEL_FIRST_EXACT_MILLIS..EXCEL_END_MILLIS).contains(&millis) => {
            let serial = millis as f64 / MILLIS_PER_DAY + EXCEL_UNIX_EPOCH_DAYS;
            match &plan.date_format {
                Some(format) => sheet.write_number_with_format(row, col, serial, format)?,
                None => sheet.write_number(row, col, serial)?,
            };
        }
        CellRef::Text(text) | CellRef::Json(text) => {
            let (text, truncated) = excel_text(text);
            sheet.write_string(row, col, text)?;
            return Ok(truncated);
        }
        // Huge integers, NaN and times Excel cannot date: their text.
        CellRef::Int(_) | CellRef::Float(_) | CellRef::Timestamp(_) => {
            sheet.write_string(row, col, cell_text(plan.column, table_row, scratch))?;
        }
    }
    Ok(false)
}

/// The server URL without credentials (`https://user:secret@host` → `https://host`) or
/// query string: only the server is recorded, never a secret someone put in the URL.
pub fn redact_url(url: &str) -> String {
    let without_query = url.split(['?', '#']).next().unwrap_or_default();
    match without_query.split_once("://") {
        Some((scheme, rest)) => {
            let authority_end = rest.find('/').unwrap_or(rest.len());
            let (authority, path) = rest.split_at(authority_end);
            let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
            format!("{scheme}://{host}{path}")
        }
        None => without_query.to_string(),
    }
}

fn exported_by() -> String {
    format!("inkeep-explorer {}", env!("CARGO_PKG_VERSION"))
}

/// The "Query" sheet: label / value rows, then the request body one line per row.
fn write_query_sheet(
    sheet: &mut Worksheet,
    meta: &ExportMeta,
    summary: &XlsxSummary,
) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    sheet.set_name(QUERY_SHEET_NAME)?;
    sheet.set_column_width(0, 22)?;
    sheet.set_column_width(1, 100)?;
    let mut row = 0u32;
    let mut label = |sheet: &mut Worksheet, text: &str| -> Result<u32, XlsxError> {
        sheet.write_string_with_format(row, 0, text, &bold)?;
        row += 1;
        Ok(row - 1)
    };
    let at = label(sheet, "Exported by")?;
    sheet.write_string(at, 1, exported_by())?;
    let at = label(sheet, "Server")?;
    sheet.write_string(at, 1, redact_url(&meta.server_url))?;
    let at = label(sheet, "Run at (UTC)")?;
    sheet.write_string(at, 1, format!("{:.0}", meta.run_at))?;
    let at = label(sheet, "Request ID")?;
    sheet.write_string(at, 1, meta.request_id.as_deref().unwrap_or("(none)"))?;
    let at = label(sheet, "Rows exported")?;
    sheet.write_number(at, 1, summary.rows_written as f64)?;
    let at = label(sheet, "Total rows")?;
    match meta.total {
        Some(total) => sheet.write_number(at, 1, total as f64)?,
        None => sheet.write_string(at, 1, "unknown")?,
    };
    let at = label(sheet, "Result sheets")?;
    let sheets_text = if summary.sheets > 1 {
        format!(
            "{} (Excel holds {} rows a sheet: rows continue from \"{}\" to \"{}\")",
            summary.sheets,
            EXCEL_MAX_ROWS,
            sheet_name(0),
            sheet_name(summary.sheets as usize - 1)
        )
    } else {
        "1".to_string()
    };
    sheet.write_string(at, 1, sheets_text)?;
    let at = label(sheet, "Times")?;
    sheet.write_string(at, 1, "All times are UTC.")?;
    if let Some(warning) = excess_rows_warning(summary.rows_written, meta.total) {
        let at = label(sheet, "Warning")?;
        sheet.write_string(at, 1, warning)?;
    }
    if let Some(notes) = meta.body.notes.as_deref().filter(|n| !n.is_empty()) {
        let at = label(sheet, "Notes")?;
        sheet.write_string(at, 1, notes)?;
    }
    let at = label(sheet, "Request body")?;
    // One line per row: a range of cells copies out as the JSON document.
    for (offset, line) in meta.body.to_pretty_json().lines().enumerate() {
        let (line, _) = excel_text(line);
        sheet.write_string(at + offset as u32, 1, line)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------

/// The sidecar path of an export: `<file>.query.json` (`report.csv.query.json`).
pub fn sidecar_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".query.json");
    path.with_file_name(name)
}

fn sidecar_for(path: &Path, format: ExportFormat, meta: &ExportMeta, rows_exported: u64) -> ExportSidecar {
    ExportSidecar {
        exported_by: exported_by(),
        file: path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        format: format.extension().to_string(),
        server_url: redact_url(&meta.server_url),
        run_at: Some(meta.run_at),
        request_id: meta.request_id.clone(),
        rows_exported,
        total: meta.total,
        times_are_utc: true,
        warning: excess_rows_warning(rows_exported, meta.total),
        query: meta.body.clone(),
    }
}

/// Writes the view of `table` to `path` in `format`, atomically, plus a sidecar for
/// CSV/JSON when `options.sidecar` is set. `progress` gets the rows written so far;
/// setting `cancel` stops the export with [`ExportError::Cancelled`] and nothing is
/// left under `path`.
#[allow(clippy::too_many_arguments)] // The view (table, rows, columns) travels as the grid holds it.
pub fn export_view(
    table: &ResultTable,
    rows: &[u32],
    cols: &[usize],
    format: ExportFormat,
    path: &Path,
    meta: &ExportMeta,
    options: &ExportOptions,
    progress: &mut dyn FnMut(u64),
    cancel: &AtomicBool,
) -> Result<ExportOutcome, ExportError> {
    export_view_inner(table, rows, cols, format, path, meta, options, progress, cancel)
        .map_err(|e| e.at(path))
}

#[allow(clippy::too_many_arguments)]
fn export_view_inner(
    table: &ResultTable,
    rows: &[u32],
    cols: &[usize],
    format: ExportFormat,
    path: &Path,
    meta: &ExportMeta,
    options: &ExportOptions,
    progress: &mut dyn FnMut(u64),
    cancel: &AtomicBool,
) -> Result<ExportOutcome, ExportError> {
    let mut file = AtomicWriter::create(path)?;
    let (rows_written, sheets, truncated_cells) = match format {
        ExportFormat::Csv { bom } => {
            (write_csv_overlapped(table, rows, cols, bom, &mut file, progress, cancel)?, 1, 0)
        }
        ExportFormat::Json => (write_json(table, rows, cols, &mut file, progress, cancel)?, 1, 0),
        ExportFormat::Xlsx => {
            let summary = write_xlsx(table, rows, cols, meta, options, &mut file, progress, cancel)?;
            (summary.rows_written, summary.sheets, summary.truncated_cells)
        }
    };
    finish(file, format, meta, options, rows_written, sheets, truncated_cells, cancel)
}

/// Commits the export (after one last cancellation check) and writes the sidecar.
#[allow(clippy::too_many_arguments)]
fn finish(
    file: AtomicWriter,
    format: ExportFormat,
    meta: &ExportMeta,
    options: &ExportOptions,
    rows_written: u64,
    sheets: u32,
    truncated_cells: u64,
    cancel: &AtomicBool,
) -> Result<ExportOutcome, ExportError> {
    let path = file.target().to_path_buf();
    // Prepared before the export is committed, so a sidecar that cannot even be
    // started stops the export too.
    let sidecar = if options.sidecar && format.takes_sidecar() {
        let sidecar_file = sidecar_path(&path);
        let mut writer = AtomicWriter::create(&sidecar_file)?;
        serde_json::to_writer_pretty(&mut writer, &sidecar_for(&path, format, meta, rows_written))
            .map_err(io::Error::other)?;
        writer.write_all(b"\n")?;
        Some(writer)
    } else {
        None
    };
    if cancel.load(Ordering::Relaxed) {
        return Err(ExportError::Cancelled);
    }
    let bytes = file.commit()?;
    let sidecar = match sidecar {
        Some(writer) => {
            let sidecar_file = writer.target().to_path_buf();
            writer.commit().map_err(|source| ExportError::Sidecar { path: sidecar_file.clone(), source })?;
            Some(sidecar_file)
        }
        None => None,
    };
    Ok(ExportOutcome { path, rows_written, sheets, bytes, sidecar, truncated_cells })
}

// ---------------------------------------------------------------------------------------------
// Streamed exports ("all rows" through the export endpoint)
// ---------------------------------------------------------------------------------------------

/// An "all rows" download that brought fewer rows than the query answer's `total`.
///
/// The export endpoint's CSV carries no row count, so a stream cut exactly at a row boundary
/// (no `Content-Length`, a close that looks like the end) cannot be told from a complete
/// one by its bytes; only the count a query answer gave can.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShortExport {
    /// Data rows received.
    pub received: u64,
    /// Rows matching the query, as the query answer counted them.
    pub total: u64,
}

impl std::fmt::Display for ShortExport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the export stopped after {} of {} rows",
            group_thousands(&self.received.to_string()),
            group_thousands(&self.total.to_string())
        )
    }
}

/// Checks the rows an "all rows" download brought against the `total` the query answer gave
/// (when known). Fewer is a failure (the download stopped early); more is a success with a
/// warning ([`excess_rows_warning`]) — a live workspace gains rows between the two requests.
/// The one check for `run --all`, "Load all rows" and "Export all rows".
pub fn check_all_rows(received: u64, total: Option<u64>) -> Result<Option<String>, ShortExport> {
    match total {
        Some(total) if received < total => Err(ShortExport { received, total }),
        _ => Ok(excess_rows_warning(received, total)),
    }
}

/// The warning for more rows than the query counted, or `None`.
pub fn excess_rows_warning(received: u64, total: Option<u64>) -> Option<String> {
    let total = total.filter(|&total| received > total)?;
    let extra = received - total;
    Some(format!(
        "{} {} than the {} the query counted: rows were added between the count and the export",
        group_thousands(&extra.to_string()),
        if extra == 1 { "row more" } else { "rows more" },
        group_thousands(&total.to_string())
    ))
}

/// Counts CSV records and bytes as they pass: line ends outside quotes.
#[derive(Debug, Default)]
struct RecordCounter {
    line_ends: u64,
    bytes: u64,
    in_quotes: bool,
    last_byte: Option<u8>,
}

impl RecordCounter {
    fn observe(&mut self, buf: &[u8]) {
        for &byte in buf {
            match byte {
                b'"' => self.in_quotes = !self.in_quotes,
                b'\n' if !self.in_quotes => self.line_ends += 1,
                _ => {}
            }
        }
        self.bytes += buf.len() as u64;
        if let Some(&last) = buf.last() {
            self.last_byte = Some(last);
        }
    }

    /// Data records seen: lines less the header (a last line without a line end counts).
    fn data_rows(&self) -> u64 {
        let unterminated = u64::from(self.last_byte.is_some_and(|b| b != b'\n'));
        (self.line_ends + unterminated).saturating_sub(1)
    }
}

/// Where streamed bytes go.
#[derive(Debug)]
enum Sink {
    /// CSV: straight into the target's atomic writer.
    Direct(AtomicWriter),
    /// "CSV for Excel": through the formula guard into the target's atomic writer.
    Guarded {
        writer: AtomicWriter,
        guard: StreamFormulaGuard,
        /// The guarded bytes of the current write, reused.
        scratch: Vec<u8>,
    },
    /// JSON / XLSX: a temporary CSV beside the target, converted at the end.
    Staged(BufWriter<tempfile::NamedTempFile>),
}

/// An export fed by a stream of the export endpoint's CSV.
///
/// ```text
/// let mut export = StreamExport::begin(&path, format, meta, options)?;
/// client.export_csv(&body, &mut export, |bytes| …).await?;   // it is a `Write + Send`
/// let outcome = export.finish(&mut progress, &cancel)?;
/// ```
///
/// Dropping it without [`finish`](StreamExport::finish) discards everything.
#[derive(Debug)]
pub struct StreamExport {
    path: PathBuf,
    format: ExportFormat,
    meta: ExportMeta,
    options: ExportOptions,
    sink: Sink,
    counter: RecordCounter,
}

impl StreamExport {
    /// Starts a streamed export to `path`. The CSV the stream writes must have a header
    /// row of column names (as the export endpoint sends). A "CSV for Excel" (`bom`) gets its
    /// cells guarded against formulas on the way ([`needs_formula_guard`]); plain CSV is
    /// written byte for byte. When `meta.total` is known, [`finish`](StreamExport::finish)
    /// refuses fewer rows ([`check_all_rows`]).
    pub fn begin(
        path: &Path,
        format: ExportFormat,
        meta: ExportMeta,
        options: ExportOptions,
    ) -> Result<StreamExport, ExportError> {
        let sink = match format {
            ExportFormat::Csv { bom } => {
                let mut writer = AtomicWriter::create(path).map_err(|e| ExportError::from(e).at(path))?;
                if bom {
                    writer.write_all("\u{feff}".as_bytes()).map_err(|e| ExportError::from(e).at(path))?;
                    Sink::Guarded { writer, guard: StreamFormulaGuard::default(), scratch: Vec::new() }
                } else {
                    Sink::Direct(writer)
                }
            }
            ExportFormat::Json | ExportFormat::Xlsx => {
                let dir = match path.parent() {
                    Some(dir) if !dir.as_os_str().is_empty() => dir,
                    _ => Path::new("."),
                };
                let staged = tempfile::Builder::new()
                    .prefix(".download.")
                    .suffix(".csv.partial")
                    .tempfile_in(dir)
                    .map_err(|e| ExportError::from(e).at(path))?;
                Sink::Staged(BufWriter::with_capacity(256 * 1024, staged))
            }
        };
        Ok(StreamExport {
            path: path.to_path_buf(),
            format,
            meta,
            options,
            sink,
            counter: RecordCounter::default(),
        })
    }

    /// The writer the CSV stream goes into, as a trait object (the export itself is a
    /// `Write + Send` too, for generic writers such as the client's `export_csv`).
    pub fn writer(&mut self) -> &mut (dyn Write + Send) {
        self
    }

    /// Bytes of CSV received so far.
    pub fn bytes_received(&self) -> u64 {
        self.counter.bytes
    }

    /// Completes the export: commits a CSV, or converts the staged CSV to JSON / XLSX
    /// (`progress` then counts rows read, then rows written). Cancellation discards
    /// everything.
    pub fn finish(
        self,
        progress: &mut dyn FnMut(u64),
        cancel: &AtomicBool,
    ) -> Result<ExportOutcome, ExportError> {
        let path = self.path.clone();
        self.finish_inner(progress, cancel).map_err(|e| e.at(&path))
    }

    fn finish_inner(
        self,
        progress: &mut dyn FnMut(u64),
        cancel: &AtomicBool,
    ) -> Result<ExportOutcome, ExportError> {
        let StreamExport { path, format, meta, options, sink, counter } = self;
        // Checked before anything is committed or converted: a short download leaves nothing.
        check_all_rows(counter.data_rows(), meta.total).map_err(ExportError::Incomplete)?;
        match sink {
            Sink::Direct(mut writer) => {
                writer.flush()?;
                let rows = counter.data_rows();
                progress(rows);
                finish(writer, format, &meta, &options, rows, 1, 0, cancel)
            }
            Sink::Guarded { mut writer, mut guard, mut scratch } => {
                scratch.clear();
                guard.finish(&mut scratch);
                writer.write_all(&scratch)?;
                writer.flush()?;
                let rows = counter.data_rows();
                progress(rows);
                finish(writer, format, &meta, &options, rows, 1, 0, cancel)
            }
            Sink::Staged(staged) => {
                let staged = staged.into_inner().map_err(io::IntoInnerError::into_error)?;
                let reader = BufReader::with_capacity(256 * 1024, staged.reopen()?);
                let table = ResultTable::from_csv_reader(&meta.body, reader, |load: LoadProgress| {
                    progress(load.row_count as u64);
                    !cancel.load(Ordering::Relaxed)
                })
                .map_err(|source| match source {
                    TableError::Cancelled => ExportError::Cancelled,
                    source => ExportError::Convert { path: None, source },
                })?;
                let header = csv_header(staged.reopen()?)?;
                drop(staged);
                // The table has a column for everything the query names; one the CSV did
                // not carry (and that no unpacked JSON filled) would be an empty column.
                let cols: Vec<usize> = (0..table.column_count())
                    .filter(|&col| {
                        table.column(col).is_some_and(|column| {
                            header.iter().any(|name| name == column.name())
                                || column.null_count() < column.len()
                        })
                    })
                    .collect();
                let rows = table.all_rows();
                export_view(&table, &rows, &cols, format, &path, &meta, &options, progress, cancel)
            }
        }
    }
}

/// The column names of a CSV's header row.
fn csv_header(file: std::fs::File) -> Result<Vec<String>, ExportError> {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(BufReader::new(file));
    let header = reader
        .headers()
        .map_err(|err| ExportError::Convert { path: None, source: TableError::Csv(err.to_string()) })?;
    Ok(header.iter().map(str::to_string).collect())
}

impl Write for StreamExport {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = match &mut self.sink {
            Sink::Direct(writer) => writer.write(buf)?,
            Sink::Guarded { writer, guard, scratch } => {
                scratch.clear();
                guard.feed(buf, scratch);
                writer.write_all(scratch)?;
                buf.len()
            }
            Sink::Staged(writer) => writer.write(buf)?,
        };
        self.counter.observe(buf.get(..written).unwrap_or(buf));
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.sink {
            Sink::Direct(writer) | Sink::Guarded { writer, .. } => writer.flush(),
            Sink::Staged(writer) => writer.flush(),
        }
    }
}

/// A streamed export in one call: `fill` writes the export endpoint's CSV into the
/// writer it is given (for example by blocking on the client's download), then the
/// export completes as [`StreamExport::finish`] does. An error from `fill` discards
/// everything and comes back as [`ExportError::Stream`].
pub fn export_csv_stream_to_path<E: std::fmt::Display>(
    path: &Path,
    format: ExportFormat,
    meta: ExportMeta,
    options: ExportOptions,
    fill: impl FnOnce(&mut dyn Write) -> Result<(), E>,
    progress: &mut dyn FnMut(u64),
    cancel: &AtomicBool,
) -> Result<ExportOutcome, ExportError> {
    let mut export = StreamExport::begin(path, format, meta, options)?;
    fill(export.writer()).map_err(|err| ExportError::Stream(err.to_string()))?;
    if cancel.load(Ordering::Relaxed) {
        return Err(ExportError::Cancelled);
    }
    export.finish(progress, cancel)
}

#[cfg(test)]
mod tests {
    use super::*;
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

    #[test]
    fn excel_text_counts_utf16_units() {
        let short = "a".repeat(EXCEL_MAX_TEXT_UNITS);
        assert_eq!(excel_text(&short), (short.as_str(), false));
        // 😀 is two UTF-16 units: 16,383 of them fill 32,766 units, the next would overflow.
        let emoji = "😀".repeat(20_000);
        let (cut, truncated) = excel_text(&emoji);
        assert!(truncated);
        assert_eq!(cut.chars().count(), 16_383);
        assert_eq!(cut.encode_utf16().count(), 32_766);
    }

    #[test]
    fn urls_lose_credentials_and_query_strings() {
        assert_eq!(
            redact_url("https://user:pw@api.example.com:8443/v1?key=x#frag"),
            "https://api.example.com:8443/v1"
        );
        assert_eq!(redact_url("http://127.0.0.1:8787"), "http://127.0.0.1:8787");
        assert_eq!(redact_url("https://a@b@host/p@q"), "https://host/p@q");
    }

    #[test]
    fn record_counter_ignores_line_ends_inside_quotes() {
        let mut counter = RecordCounter::default();
        counter.observe(b"a,b\r\n\"x\ny\",1\r\n2,");
        assert_eq!(counter.data_rows(), 2);
        counter.observe(b"3\r\n");
        assert_eq!(counter.data_rows(), 2);
        assert_eq!(counter.bytes, 19);
        assert_eq!(RecordCounter::default().data_rows(), 0);
    }

    /// The CSV writer as it was, on the `csv` crate: the new writer must match it byte
    /// for byte. With `bom` ("CSV for Excel") text that starts like a formula gets a `'`, by
    /// a rule written out here again: text cells always, JSON cells unless a JSON number.
    fn csv_crate_reference(table: &ResultTable, rows: &[u32], cols: &[usize], bom: bool) -> Vec<u8> {
        let columns = view_columns(table, cols);
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
        let rows_written = write_csv(table, rows, cols, bom, &mut out, &mut |_| {}, &AtomicBool::new(false));
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
