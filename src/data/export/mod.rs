//! Writing a table view to CSV, JSON or Excel (XLSX) files.
//!
//! A view ([`TableView`]) is a list of row indices (sorted,
//! searched) and a list of column indices (the visible columns), as the grid holds them;
//! nothing is copied out of the [`ResultTable`](crate::data::ResultTable). Every writer
//! reports progress in rows and checks a cancellation flag every few thousand rows
//! ([`ExportControl`]).
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
//!   "Result (2)", …), each with its header. A last sheet, "Query", records the query
//!   view, the request body, the server, the time of the run, the `requestId` and the rows exported
//!   against the total — never the API key.
//!
//! [`export_view`] writes through [`AtomicWriter`](crate::atomic_file::AtomicWriter): the
//! file appears under its name only when complete, so a failed or cancelled export leaves
//! nothing half-written.
//! For CSV and JSON it can also write a sidecar `<file>.query.json` with the same
//! information as the "Query" sheet.
//!
//! [`StreamExport`] (and its closure form [`export_csv_stream_to_path`]) takes the
//! export endpoint's CSV as it streams in: CSV goes straight to disk, memory bounded;
//! JSON and XLSX are staged in a temporary CSV beside the target and converted (the
//! converted table is held in memory like any result). The stream carries no row count:
//! given the `total` of a query answer, [`check_all_rows`] refuses a download with fewer
//! rows (nothing is kept) and records a warning for more.
//!
//! # Where things are
//!
//! This module holds what every format shares: the format, the options, the errors, the
//! record of the query ([`ExportMeta`], [`ExportSidecar`]), the progress/cancel pair
//! ([`ExportControl`]) and the cells' text (`cell`). Each writer has its file: `csv` (with
//! the formula guard of "CSV for Excel" in `formula_guard`), `json` and `xlsx`; `file` writes
//! one of them to a path with its sidecar; `streaming` takes the export endpoint's CSV as it
//! arrives. Everything public is re-exported here, so callers name
//! `data::export::…` whatever file it lives in.

mod cell;
mod comparison;
mod csv;
mod file;
mod formula_guard;
mod json;
mod streaming;
mod xlsx;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use jiff::Timestamp;
use rust_xlsxwriter::XlsxError;
use serde::{Deserialize, Serialize};

use crate::api::query::QueryBody;
use crate::api::view::View;

use super::drill::Provenance;
use super::parse::TableError;
use super::table::Column;
use super::view::TableView;

pub use self::comparison::ComparisonRecord;
pub use self::csv::{csv_field, write_csv};
pub use self::file::export_view;
pub use self::formula_guard::{CellTyping, needs_formula_guard};
pub use self::json::write_json;
pub use self::streaming::{
    ShortExport, StreamExport, check_all_rows, excess_rows_warning, export_csv_stream_to_path,
};
pub use self::xlsx::{
    DEFAULT_MAX_ROWS_PER_SHEET, EXCEL_MAX_COLUMNS, EXCEL_MAX_ROWS, EXCEL_MAX_TEXT_UNITS, QUERY_SHEET_NAME,
    RESULT_SHEET_NAME, write_xlsx,
};

/// Rows between two progress reports and cancellation checks.
const CHECK_EVERY_ROWS: usize = 4_096;

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
    /// The view the query ran on.
    pub view: View,
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
    /// Where the query came from when it is a drill-down (the rows behind a number).
    pub drilled_from: Option<Provenance>,
    /// For a comparison: the previous period's query, request id and the change.
    pub comparison: Option<ComparisonRecord>,
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
    /// The view the query ran on (its wire name, `feedback_view`); a sidecar from before
    /// the other views has none and was a conversations query.
    pub view: View,
    /// The request body.
    pub query: QueryBody,
    /// Where the query came from when it is a drill-down: the line the window shows, the
    /// query drilled from and its view, and the number clicked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drilled_from: Option<Provenance>,
    /// For a comparison: the previous period's request body and `requestId`, both periods
    /// and the change (`+12.2 % on last week`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comparison: Option<ComparisonRecord>,
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
            view: View::Conversations,
            query: QueryBody::default(),
            drilled_from: None,
            comparison: None,
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
    pub(super) fn at(self, file: &Path) -> ExportError {
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

impl From<::csv::Error> for ExportError {
    fn from(error: ::csv::Error) -> ExportError {
        let source = match error.into_kind() {
            ::csv::ErrorKind::Io(source) => source,
            other => io::Error::other(format!("{other:?}")),
        };
        ExportError::Io { path: None, source }
    }
}

/// What a writer wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WriteSummary {
    /// Data rows written, over all sheets.
    pub rows_written: u64,
    /// Data sheets of an XLSX file ("Result", "Result (2)", …); 1 for CSV and JSON.
    pub sheets: u32,
    /// XLSX cells whose text was cut to Excel's limit; 0 for CSV and JSON.
    pub truncated_cells: u64,
}

impl WriteSummary {
    /// A CSV or JSON file of `rows_written` rows: one "sheet", nothing cut.
    fn flat(rows_written: u64) -> WriteSummary {
        WriteSummary { rows_written, sheets: 1, truncated_cells: 0 }
    }
}

/// The progress/cancel pair every writer gets besides the view: `report` hears the rows
/// written so far every few thousand rows, and setting `cancel` stops the export with
/// [`ExportError::Cancelled`] at the next of those checks.
pub struct ExportControl<'a> {
    /// Called with the rows done so far.
    pub report: &'a mut dyn FnMut(u64),
    /// Set (from any thread) to stop the export.
    pub cancel: &'a AtomicBool,
}

impl<'a> ExportControl<'a> {
    /// Reports to `report` and stops when `cancel` is set.
    pub fn new(report: &'a mut dyn FnMut(u64), cancel: &'a AtomicBool) -> ExportControl<'a> {
        ExportControl { report, cancel }
    }

    /// Called after each row: every few thousand rows, reports and checks for cancellation.
    #[inline]
    fn row_done(&mut self, rows_done: usize) -> Result<(), ExportError> {
        if rows_done.is_multiple_of(CHECK_EVERY_ROWS) {
            self.check(rows_done)?;
        }
        Ok(())
    }

    /// Stops on cancellation, else reports `rows_done`.
    fn check(&mut self, rows_done: usize) -> Result<(), ExportError> {
        if self.is_cancelled() {
            return Err(ExportError::Cancelled);
        }
        (self.report)(rows_done as u64);
        Ok(())
    }

    fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
}

impl std::fmt::Debug for ExportControl<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportControl").field("cancel", &self.cancel).finish_non_exhaustive()
    }
}

/// The columns of the view that exist.
fn view_columns<'t>(view: TableView<'t>) -> Vec<&'t Column> {
    view.columns.iter().filter_map(|&col| view.table.column(col)).collect()
}

// ---------------------------------------------------------------------------------------------
// The record of the query (XLSX "Query" sheet, sidecar)
// ---------------------------------------------------------------------------------------------

/// The server URL without credentials or query string: only the server is recorded, never a
/// secret someone put in the URL. One rule for every URL quoted anywhere, kept in `api`.
pub use crate::api::redact::redact_url;

/// Who wrote an export: `inkeep-explorer <version>`.
fn exported_by() -> String {
    format!("inkeep-explorer {}", env!("CARGO_PKG_VERSION"))
}

/// The sidecar path of an export: `<file>.query.json` (`report.csv.query.json`).
pub fn sidecar_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".query.json");
    path.with_file_name(name)
}

/// The sidecar of an export of `rows_exported` rows to `path`.
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
        view: meta.view,
        query: meta.body.clone(),
        drilled_from: meta.drilled_from.clone(),
        comparison: meta.comparison.clone(),
    }
}
