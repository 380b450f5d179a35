//! The Excel writer: constant-memory worksheets with typed cells, date formats, a frozen
//! header, an autofilter and widths from the content; rows past Excel's limit continue on
//! further sheets; a last "Query" sheet records the run (never the key).

use std::io::Write;

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use crate::api::columns::ColumnSource;
use crate::api::query::TimeUnit;
use crate::api::timestamp::format_utc;
use crate::data::table::{CellRef, Column, ColumnType};
use crate::data::view::TableView;

use super::cell::cell_text;
use super::{
    ComparisonRecord, ExportControl, ExportError, ExportMeta, ExportOptions, WriteSummary,
    excess_rows_warning, exported_by, redact_url, view_columns,
};

/// The most rows an Excel sheet holds, header included.
pub const EXCEL_MAX_ROWS: u32 = 1_048_576;
/// Data rows per sheet by default: Excel's limit less the header row.
pub const DEFAULT_MAX_ROWS_PER_SHEET: u32 = EXCEL_MAX_ROWS - 1;
/// The most columns an Excel sheet holds.
pub const EXCEL_MAX_COLUMNS: usize = 16_384;
/// The longest text an Excel cell holds, in UTF-16 code units; longer text is cut.
pub const EXCEL_MAX_TEXT_UNITS: usize = 32_767;
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

/// Writes the view as an Excel workbook into `out` (see the [module docs](super) for the
/// layout). `meta` fills the "Query" sheet.
pub fn write_xlsx<W: Write + Send>(
    view: TableView<'_>,
    meta: &ExportMeta,
    options: &ExportOptions,
    out: W,
    control: &mut ExportControl<'_>,
) -> Result<WriteSummary, ExportError> {
    control.check(0)?;
    let columns = view_columns(view);
    let rows = view.rows;
    if columns.len() > EXCEL_MAX_COLUMNS {
        return Err(ExportError::TooManyColumns { column_count: columns.len() });
    }
    let plans = plan_columns(&columns, rows);
    let per_sheet = options.max_rows_per_sheet.clamp(1, DEFAULT_MAX_ROWS_PER_SHEET) as usize;
    let header_format = Format::new().set_bold();
    let mut workbook = Workbook::new();
    let mut summary = WriteSummary::default();
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
            control.row_done(summary.rows_written as usize)?;
        }
        if !plans.is_empty() {
            sheet.autofilter(0, 0, chunk.len() as u32, (plans.len() - 1) as u16)?;
        }
        summary.sheets += 1;
    }
    write_query_sheet(workbook.add_worksheet(), meta, &summary)?;
    control.check(rows.len())?;
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

/// The "Query" sheet: label / value rows, then the request body one line per row.
fn write_query_sheet(
    sheet: &mut Worksheet,
    meta: &ExportMeta,
    summary: &WriteSummary,
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
    let at = label(sheet, "View")?;
    sheet.write_string(at, 1, meta.view.as_str())?;
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
    if let Some(from) = &meta.drilled_from {
        let at = label(sheet, "Drilled from")?;
        sheet.write_string(at, 1, &from.text)?;
        let at = label(sheet, "Drilled from view")?;
        sheet.write_string(at, 1, from.view.as_str())?;
    }
    let at = label(sheet, "Request body")?;
    // One line per row: a range of cells copies out as the JSON document.
    let mut after_body = at;
    for (offset, line) in meta.body.to_pretty_json().lines().enumerate() {
        let (line, _) = excel_text(line);
        after_body = at + offset as u32 + 1;
        sheet.write_string(at + offset as u32, 1, line)?;
    }
    // A drill-down's own query, after the body, one line per row like it.
    if let Some(from) = &meta.drilled_from {
        let start = after_body;
        sheet.write_string_with_format(start, 0, "Query drilled from", &bold)?;
        for (offset, line) in from.query.to_pretty_json().lines().enumerate() {
            let (line, _) = excel_text(line);
            after_body = start + offset as u32 + 1;
            sheet.write_string(start + offset as u32, 1, line)?;
        }
    }
    if let Some(comparison) = &meta.comparison {
        write_comparison_rows(sheet, comparison, after_body.max(row) + 1, &bold)?;
    }
    Ok(())
}

/// The comparison's rows below the request body: the periods, the previous period's
/// `requestId`, total and body, and the change.
fn write_comparison_rows(
    sheet: &mut Worksheet,
    comparison: &ComparisonRecord,
    first_row: u32,
    bold: &Format,
) -> Result<(), XlsxError> {
    let mut row = first_row;
    let mut pair = |sheet: &mut Worksheet, label: &str, value: &str| -> Result<u32, XlsxError> {
        sheet.write_string_with_format(row, 0, label, bold)?;
        sheet.write_string(row, 1, value)?;
        row += 1;
        Ok(row)
    };
    pair(sheet, "Compared with", comparison.offset.label())?;
    pair(
        sheet,
        "Period (UTC)",
        &format!("{} … {} on {}", format_utc(comparison.start), format_utc(comparison.end), comparison.field),
    )?;
    pair(
        sheet,
        "Previous period (UTC)",
        &format!("{} … {}", format_utc(comparison.previous_start), format_utc(comparison.previous_end)),
    )?;
    if let Some(summary) = &comparison.summary {
        pair(sheet, "Totals", summary)?;
    }
    if let Some(change) = &comparison.change {
        pair(sheet, "Change", change)?;
    }
    pair(sheet, "Previous request ID", comparison.previous_request_id.as_deref().unwrap_or("(none)"))?;
    let total = comparison.previous_total.map_or_else(|| "unknown".to_string(), |total| total.to_string());
    pair(sheet, "Previous total rows", &total)?;
    let at = pair(sheet, "Previous request body", "")? - 1;
    for (offset, line) in comparison.previous_query.to_pretty_json().lines().enumerate() {
        let (line, _) = excel_text(line);
        sheet.write_string(at + offset as u32, 1, line)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
