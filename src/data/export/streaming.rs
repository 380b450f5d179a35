//! Exports fed by the export endpoint's CSV as it streams in ("all rows"): CSV goes straight
//! to disk (through the formula guard for "CSV for Excel"), JSON and XLSX are staged in a
//! temporary CSV and converted; and the one check of the rows a download brought against the
//! query's count ([`check_all_rows`]).

use std::io::{self, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::atomic_file::AtomicWriter;
use crate::data::display::group_thousands;
use crate::data::parse::{LoadProgress, TableError};
use crate::data::table::ResultTable;
use crate::data::view::TableView;

use super::file::{commit, export_view};
use super::formula_guard::StreamFormulaGuard;
use super::{
    ExportControl, ExportError, ExportFormat, ExportMeta, ExportOptions, ExportOutcome, WriteSummary,
};

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
/// let outcome = export.finish(&mut ExportControl::new(&mut report, &cancel))?;
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
    /// cells guarded against formulas on the way ([`needs_formula_guard`](super::needs_formula_guard)); plain CSV is
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
    /// (`control` then reports rows read, then rows written). Cancellation discards
    /// everything.
    pub fn finish(self, control: &mut ExportControl<'_>) -> Result<ExportOutcome, ExportError> {
        let path = self.path.clone();
        self.finish_inner(control).map_err(|e| e.at(&path))
    }

    fn finish_inner(self, control: &mut ExportControl<'_>) -> Result<ExportOutcome, ExportError> {
        let StreamExport { path, format, meta, options, sink, counter } = self;
        // Checked before anything is committed or converted: a short download leaves nothing.
        check_all_rows(counter.data_rows(), meta.total).map_err(ExportError::Incomplete)?;
        match sink {
            Sink::Direct(mut writer) => {
                writer.flush()?;
                let rows = counter.data_rows();
                (control.report)(rows);
                commit(writer, format, &meta, &options, WriteSummary::flat(rows), control)
            }
            Sink::Guarded { mut writer, mut guard, mut scratch } => {
                scratch.clear();
                guard.finish(&mut scratch);
                writer.write_all(&scratch)?;
                writer.flush()?;
                let rows = counter.data_rows();
                (control.report)(rows);
                commit(writer, format, &meta, &options, WriteSummary::flat(rows), control)
            }
            Sink::Staged(staged) => {
                let staged = staged.into_inner().map_err(io::IntoInnerError::into_error)?;
                let reader = BufReader::with_capacity(256 * 1024, staged.reopen()?);
                let table = ResultTable::from_csv_reader(&meta.body, reader, |load: LoadProgress| {
                    (control.report)(load.row_count as u64);
                    !control.is_cancelled()
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
                let view = TableView { table: &table, rows: &rows, columns: &cols };
                export_view(view, format, &path, &meta, &options, control)
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
    control: &mut ExportControl<'_>,
) -> Result<ExportOutcome, ExportError> {
    let mut export = StreamExport::begin(path, format, meta, options)?;
    fill(export.writer()).map_err(|err| ExportError::Stream(err.to_string()))?;
    if control.is_cancelled() {
        return Err(ExportError::Cancelled);
    }
    export.finish(control)
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
