//! Exports on the worker ([`Job::Export`](super::Job::Export)): a view of a table already in
//! memory, or every matching row streamed from the export endpoint, written to disk with
//! progress and cancellation.
//!
//! All file work happens on blocking threads, never on the runtime's threads or the UI
//! thread. Files appear under their name only when complete ([`crate::atomic_file`]): a
//! failed or cancelled export leaves nothing under the chosen name and never replaces an
//! existing file.
//!
//! A streamed export goes through the same bounded pipe as "Load all rows": the download
//! writes into one end, a blocking thread copies the other end into a
//! [`StreamExport`], so memory stays bounded and the disk never blocks the runtime. The
//! download carries no row count: the export holds its rows against the `total` in the
//! request's [`ExportMeta`] (the window passes the run's; when it is missing the query
//! endpoint is asked first) and keeps nothing when fewer rows came
//! ([`check_all_rows`](crate::data::export::check_all_rows)).

use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use tokio_util::sync::CancellationToken;

use crate::api::client::{AnalyticsClient, ClientError};
use crate::api::query::QueryBody;
use crate::api::view::View;
use crate::data::export::{
    ExportControl, ExportError, ExportFormat, ExportMeta, ExportOptions, ExportOutcome, StreamExport,
};
use crate::data::{ResultTable, TableView};

use super::pipe::{self, PIPE_CAPACITY_CHUNKS};
use super::{Emitter, Event, JobTag, PROGRESS_INTERVAL, blocking, elapsed_ms};

/// An export as its events name it: the tag of the job and the window's id of it.
#[derive(Debug, Clone, Copy)]
struct ExportJobId {
    tag: JobTag,
    job_id: u64,
}

/// What to export.
#[derive(Debug, Clone)]
pub enum ExportSource {
    /// Rows and columns of a table in memory, in the order given (the grid's view).
    View {
        /// The table.
        table: Arc<ResultTable>,
        /// Table row indices, in the order to write them.
        rows: Arc<Vec<u32>>,
        /// Table column indices, in the order to write them.
        columns: Vec<usize>,
    },
    /// Every matching row of `body`, streamed from the export endpoint. Fewer rows than
    /// [`ExportMeta::total`] (asked for first when `None`) fail the export.
    AllRows {
        /// The view of the run shown (its export endpoint).
        view: View,
        /// The query (the body of the run shown).
        body: QueryBody,
    },
}

/// An export for the worker to carry out.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    /// What to write.
    pub source: ExportSource,
    /// CSV, JSON or XLSX.
    pub format: ExportFormat,
    /// The file to write (its folder must exist).
    pub path: PathBuf,
    /// What the sidecar and the XLSX "Query" sheet record about the run.
    pub meta: ExportMeta,
    /// Sidecar and sheet size.
    pub options: ExportOptions,
}

/// What an export is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExportPhase {
    /// Writing rows of a table in memory.
    #[default]
    Writing,
    /// Receiving rows from the export endpoint.
    Downloading,
    /// Turning the downloaded rows into JSON or XLSX.
    Converting,
}

/// How far an export has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExportProgress {
    /// What it is doing.
    pub phase: ExportPhase,
    /// Rows written (or, while downloading, received) so far.
    pub row_count: u64,
    /// Bytes received so far (streamed exports only; 0 otherwise).
    pub byte_count: u64,
}

/// Sends [`Event::ExportProgress`] at most every [`PROGRESS_INTERVAL`].
struct Reporter {
    job_id: ExportJobId,
    emitter: Emitter,
    last: Option<Instant>,
}

impl Reporter {
    fn new(job_id: ExportJobId, emitter: Emitter) -> Reporter {
        Reporter { job_id, emitter, last: None }
    }

    fn report(&mut self, progress: ExportProgress) {
        if self.last.is_none_or(|at| at.elapsed() >= PROGRESS_INTERVAL) {
            self.last = Some(Instant::now());
            self.emitter.emit(Event::ExportProgress {
                tag: self.job_id.tag,
                job_id: self.job_id.job_id,
                progress,
            });
        }
    }
}

/// Runs the export and reports its end with [`Event::ExportFinished`].
pub(super) async fn run(
    tag: JobTag,
    job_id: u64,
    request: ExportRequest,
    client: Option<AnalyticsClient>,
    token: CancellationToken,
    cancel: Arc<AtomicBool>,
    emitter: Emitter,
) {
    let started = Instant::now();
    let result = export(ExportJobId { tag, job_id }, request, client, &token, &cancel, &emitter).await;
    // Cancelled is cancelled, whatever error the interruption caused on the way.
    let result = match result {
        Err(_) if cancel.load(Ordering::Relaxed) || token.is_cancelled() => Err(ExportError::Cancelled),
        other => other,
    };
    emitter.emit(Event::ExportFinished { tag, job_id, duration_ms: elapsed_ms(started), result });
}

async fn export(
    job_id: ExportJobId,
    request: ExportRequest,
    client: Option<AnalyticsClient>,
    token: &CancellationToken,
    cancel: &Arc<AtomicBool>,
    emitter: &Emitter,
) -> Result<ExportOutcome, ExportError> {
    let ExportRequest { source, format, path, mut meta, options } = request;
    {
        let path = path.clone();
        blocking(move || check_folder(&path)).await.map_err(background_failure)??;
    }
    match source {
        ExportSource::View { table, rows, columns } => {
            let cancel = Arc::clone(cancel);
            let mut reporter = Reporter::new(job_id, emitter.clone());
            blocking(move || {
                let mut progress = |row_count: u64| {
                    reporter.report(ExportProgress { phase: ExportPhase::Writing, row_count, byte_count: 0 })
                };
                crate::data::export::export_view(
                    TableView { table: &table, rows: &rows, columns: &columns },
                    format,
                    &path,
                    &meta,
                    &options,
                    &mut ExportControl::new(&mut progress, &cancel),
                )
            })
            .await
            .map_err(background_failure)?
        }
        ExportSource::AllRows { view, body } => {
            let Some(client) = client else {
                return Err(ExportError::Stream("not connected to a server yet".to_string()));
            };
            if meta.total.is_none() {
                let counted = tokio::select! {
                    () = token.cancelled() => return Err(ExportError::Cancelled),
                    counted = super::load_all::query_total(&client, view, &body) => counted,
                };
                let total = counted.map_err(|error| {
                    ExportError::Stream(format!(
                        "the count of matching rows failed: {}",
                        describe_client_error(&error)
                    ))
                })?;
                meta.total = Some(total);
            }
            let stream = Streamed { job_id, format, path, meta, options };
            stream.run(&client, view, &body, token, cancel, emitter).await
        }
    }
}

/// A folder that does not exist is said in so many words, before anything is written.
fn check_folder(path: &Path) -> Result<(), ExportError> {
    let folder = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    if folder.is_dir() {
        return Ok(());
    }
    Err(ExportError::Io {
        path: Some(folder.to_path_buf()),
        source: io::Error::new(io::ErrorKind::NotFound, "the folder does not exist"),
    })
}

fn background_failure(message: String) -> ExportError {
    ExportError::Io { path: None, source: io::Error::other(message) }
}

/// A streamed ("all rows") export.
struct Streamed {
    job_id: ExportJobId,
    format: ExportFormat,
    path: PathBuf,
    meta: ExportMeta,
    options: ExportOptions,
}

impl Streamed {
    async fn run(
        self,
        client: &AnalyticsClient,
        view: View,
        body: &QueryBody,
        token: &CancellationToken,
        cancel: &Arc<AtomicBool>,
        emitter: &Emitter,
    ) -> Result<ExportOutcome, ExportError> {
        let job_id = self.job_id;
        let (mut writer, reader) = pipe::pipe(PIPE_CAPACITY_CHUNKS);
        let mut file_task = {
            let cancel = Arc::clone(cancel);
            let reporter = Reporter::new(job_id, emitter.clone());
            tokio::task::spawn_blocking(move || self.write(reader, &cancel, reporter))
        };
        // Progress is reported by the file thread, which sees both the bytes and the rows.
        let progress = |_byte_count: u64| {};
        let downloaded = tokio::select! {
            () = token.cancelled() => None,
            result = client.export_csv(view, body, &mut writer, progress) => Some(result),
        };
        let stop = |writer: pipe::PipeWriter| {
            cancel.store(true, Ordering::Relaxed);
            // Without the end marker the file thread sees the stream break off.
            drop(writer);
        };
        match downloaded {
            None => {
                stop(writer);
                let _ = file_task.await;
                Err(ExportError::Cancelled)
            }
            Some(Err(error)) => {
                // Not a cancellation: the file thread ends on the broken-off stream.
                drop(writer);
                match file_task.await {
                    // The file thread gave up first (disk full…), which broke the pipe.
                    Ok(Err(file_error)) if is_broken_pipe(&error) => Err(file_error),
                    _ => Err(ExportError::Stream(describe_client_error(&error))),
                }
            }
            Some(Ok(_)) => {
                if writer.finish().is_err() {
                    tracing::debug!("the export's file thread stopped before the end of the download");
                }
                tokio::select! {
                    () = token.cancelled() => {
                        cancel.store(true, Ordering::Relaxed);
                        let _ = file_task.await;
                        Err(ExportError::Cancelled)
                    }
                    written = &mut file_task => written.map_err(|err| background_failure(err.to_string()))?,
                }
            }
        }
    }

    /// On a blocking thread: copies the pipe into the export, then completes it (a CSV is
    /// committed, JSON and XLSX are converted).
    fn write(
        self,
        mut reader: pipe::PipeReader,
        cancel: &AtomicBool,
        mut reporter: Reporter,
    ) -> Result<ExportOutcome, ExportError> {
        let Streamed { format, path, meta, options, .. } = self;
        let mut export = StreamExport::begin(&path, format, meta, options)?;
        let mut records = RecordCount::default();
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            if cancel.load(Ordering::Relaxed) {
                return Err(ExportError::Cancelled);
            }
            let read = match reader.read(&mut buffer) {
                Ok(0) => break,
                Ok(read) => read,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(ExportError::Stream(err.to_string())),
            };
            let chunk = buffer.get(..read).unwrap_or_default();
            export.write_all(chunk).map_err(|source| ExportError::Io { path: Some(path.clone()), source })?;
            records.observe(chunk);
            reporter.report(ExportProgress {
                phase: ExportPhase::Downloading,
                row_count: records.data_rows(),
                byte_count: export.bytes_received(),
            });
        }
        let bytes = export.bytes_received();
        let mut progress = |row_count: u64| {
            reporter.report(ExportProgress { phase: ExportPhase::Converting, row_count, byte_count: bytes })
        };
        export.finish(&mut ExportControl::new(&mut progress, cancel))
    }
}

/// Counts CSV records as they stream past, for the progress line: line ends outside quotes,
/// less the header.
#[derive(Debug, Default)]
struct RecordCount {
    line_ends: u64,
    in_quotes: bool,
}

impl RecordCount {
    fn observe(&mut self, chunk: &[u8]) {
        for &byte in chunk {
            match byte {
                b'"' => self.in_quotes = !self.in_quotes,
                b'\n' if !self.in_quotes => self.line_ends += 1,
                _ => {}
            }
        }
    }

    fn data_rows(&self) -> u64 {
        self.line_ends.saturating_sub(1)
    }
}

fn is_broken_pipe(error: &ClientError) -> bool {
    matches!(error, ClientError::Io { source } if source.kind() == io::ErrorKind::BrokenPipe)
}

/// The client's message, with the server's own words when it gave some.
fn describe_client_error(error: &ClientError) -> String {
    let mut message = error.user_message();
    if let Some(detail) = error.problem().and_then(|problem| problem.detail.as_deref())
        && !message.contains(detail)
    {
        message.push_str(&format!(" The server said: {}.", detail.trim_end_matches('.')));
    }
    message
}

/// Opens `folder` in the system's file manager and waits for the opener to return (on a
/// blocking thread of the worker, so its process is reaped and the window never waits).
pub(super) fn open_folder(folder: &Path) -> Result<(), String> {
    let (program, args): (&str, Vec<&std::ffi::OsStr>) = if cfg!(target_os = "windows") {
        ("explorer", vec![folder.as_os_str()])
    } else if cfg!(target_os = "macos") {
        ("open", vec![folder.as_os_str()])
    } else {
        ("xdg-open", vec![folder.as_os_str()])
    };
    let status = std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .map_err(|err| {
            let why = if err.kind() == io::ErrorKind::NotFound {
                format!("{program} is not installed")
            } else {
                format!("{program} did not start: {err}")
            };
            format!("could not open the folder: {why} ({})", folder.display())
        })?;
    // Explorer exits with 1 even when it opened the folder.
    if status.success() || cfg!(target_os = "windows") {
        Ok(())
    } else {
        Err(format!("could not open the folder: {program} failed ({status}) ({})", folder.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_counted_across_chunks_and_quotes() {
        let mut count = RecordCount::default();
        count.observe(b"a,b\r\n1,\"x\ny\"\r");
        assert_eq!(count.data_rows(), 0);
        count.observe(b"\n2,z\r\n");
        assert_eq!(count.data_rows(), 2);
    }

    #[test]
    fn a_missing_folder_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        let err = check_folder(&missing.join("a.csv")).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("the folder does not exist"), "{text}");
        assert!(text.contains(&missing.display().to_string()), "{text}");
        assert!(check_folder(&dir.path().join("a.csv")).is_ok());
    }
}
