//! One export to one file: the view through the format's writer into an atomic file, then
//! the sidecar, committed together (or not at all).

use std::io::{self, Write};
use std::path::Path;

use crate::atomic_file::AtomicWriter;
use crate::data::view::TableView;

use super::csv::write_csv_overlapped;
use super::json::write_json;
use super::xlsx::write_xlsx;
use super::{
    ExportControl, ExportError, ExportFormat, ExportMeta, ExportOptions, ExportOutcome, WriteSummary,
    sidecar_for, sidecar_path,
};

/// Writes the view of `table` to `path` in `format`, atomically, plus a sidecar for
/// CSV/JSON when `options.sidecar` is set. `control.report` hears the rows written so far;
/// setting `control.cancel` stops the export with [`ExportError::Cancelled`] and nothing is
/// left under `path`.
pub fn export_view(
    view: TableView<'_>,
    format: ExportFormat,
    path: &Path,
    meta: &ExportMeta,
    options: &ExportOptions,
    control: &mut ExportControl<'_>,
) -> Result<ExportOutcome, ExportError> {
    // Errors from below do not know the file yet; they get its path once, here.
    let mut write = || -> Result<ExportOutcome, ExportError> {
        let mut file = AtomicWriter::create(path)?;
        let written = match format {
            ExportFormat::Csv { bom } => {
                WriteSummary::flat(write_csv_overlapped(view, bom, &mut file, control)?)
            }
            ExportFormat::Json => WriteSummary::flat(write_json(view, &mut file, control)?),
            ExportFormat::Xlsx => write_xlsx(view, meta, options, &mut file, control)?,
        };
        commit(file, format, meta, options, written, control)
    };
    write().map_err(|e| e.at(path))
}

/// Commits the export (after one last cancellation check) and writes the sidecar.
pub(super) fn commit(
    file: AtomicWriter,
    format: ExportFormat,
    meta: &ExportMeta,
    options: &ExportOptions,
    written: WriteSummary,
    control: &ExportControl<'_>,
) -> Result<ExportOutcome, ExportError> {
    let WriteSummary { rows_written, sheets, truncated_cells } = written;
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
    if control.is_cancelled() {
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
