//! "Load all rows": the export endpoint's CSV streamed through a bounded pipe into a table
//! on a blocking thread, with progress and cancellation, one load per tab.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use tokio_util::sync::CancellationToken;

use crate::api::client::{AnalyticsClient, ClientError};
use crate::api::query::QueryBody;
use crate::api::view::View;
use crate::data::export::check_all_rows;
use crate::data::{LoadProgress, ResultTable, TableError};

use super::pipe::{self, PIPE_CAPACITY_CHUNKS};
use super::{Core, Emitter, Event, JobTag, LoadAllError, PROGRESS_INTERVAL, TabId, blocking, elapsed_ms};

impl Core {
    /// Cancels the load of `tab`, if one is going.
    pub(super) fn cancel_load_of(&mut self, tab: TabId) {
        if let Some((_, token)) = self.loading.remove(&tab) {
            token.cancel();
        }
    }

    /// Cancels the loads of every tab (a new connection).
    pub(super) fn cancel_every_load(&mut self) {
        for (_, (_, token)) in self.loading.drain() {
            token.cancel();
        }
    }

    /// Streams the export of `body` into a table on a blocking thread, through a bounded
    /// pipe, with progress and cancellation, and holds its rows against `total`. A newer load
    /// of the same tab cancels this one.
    pub(super) fn load_all(
        &mut self,
        tag: JobTag,
        job_id: u64,
        view: View,
        body: QueryBody,
        total: Option<u64>,
    ) {
        self.cancel_load_of(tag.tab);
        let emitter = self.emitter.clone();
        let Some(client) = self.client.clone() else {
            emitter.emit(Event::LoadFinished {
                tag,
                job_id,
                duration_ms: 0,
                result: Err(LoadAllError::Client(ClientError::Request {
                    message: "not connected to a server yet".to_string(),
                    url: String::new(),
                })),
            });
            return;
        };
        let token = CancellationToken::new();
        self.loading.insert(tag.tab, (job_id, token.clone()));
        tokio::spawn(async move {
            let started = Instant::now();
            let result =
                load_all_rows(LoadTarget { tag, job_id, view }, &client, body, total, &token, &emitter).await;
            emitter.emit(Event::LoadFinished { tag, job_id, duration_ms: elapsed_ms(started), result });
        });
    }
}

/// Rows matching `body`: the `total` of its query answer (the rows of the page are dropped).
pub(super) async fn query_total(
    client: &AnalyticsClient,
    view: View,
    body: &QueryBody,
) -> Result<u64, ClientError> {
    let raw = client.query_raw(view, body).await?;
    let url = client.endpoint_url(view.query_path());
    let body = body.clone();
    blocking(move || {
        ResultTable::from_answer_in(view, &body, &raw.bytes)
            .map(|(_, meta)| meta.total)
            .map_err(|source| ClientError::Envelope { source, request_id: raw.request_id, url: url.clone() })
    })
    .await
    .map_err(|message| ClientError::Request { message, url: client.endpoint_url(view.query_path()) })?
}

/// The body of [`Job::LoadAll`]: the export streams into one end of a bounded pipe while a
/// blocking thread builds the table from the other end, so the CSV is never held whole.
/// The table must have at least `total` rows (asked for first when `None`).
/// Which load of which tab, on which view.
#[derive(Clone, Copy)]
struct LoadTarget {
    tag: JobTag,
    job_id: u64,
    view: View,
}

async fn load_all_rows(
    target: LoadTarget,
    client: &AnalyticsClient,
    body: QueryBody,
    total: Option<u64>,
    token: &CancellationToken,
    emitter: &Emitter,
) -> Result<Arc<ResultTable>, LoadAllError> {
    let LoadTarget { tag, job_id, view } = target;
    let total = match total {
        Some(total) => total,
        None => tokio::select! {
            () = token.cancelled() => return Err(LoadAllError::Cancelled),
            counted = query_total(client, view, &body) => counted.map_err(LoadAllError::Client)?,
        },
    };
    let (mut writer, reader) = pipe::pipe(PIPE_CAPACITY_CHUNKS);
    // Set on cancel: the parser stops at its next progress check.
    let stop = Arc::new(AtomicBool::new(false));
    let rows_parsed = Arc::new(AtomicU64::new(0));
    let mut parser = {
        let (stop, rows_parsed, body) = (Arc::clone(&stop), Arc::clone(&rows_parsed), body.clone());
        tokio::task::spawn_blocking(move || {
            ResultTable::from_csv_reader_in(view, &body, reader, |progress| {
                rows_parsed.store(progress.row_count as u64, Ordering::Relaxed);
                !stop.load(Ordering::Relaxed)
            })
        })
    };
    let mut last_report: Option<Instant> = None;
    let progress = |byte_count: u64| {
        if last_report.is_none_or(|at| at.elapsed() >= PROGRESS_INTERVAL) {
            last_report = Some(Instant::now());
            let row_count = usize::try_from(rows_parsed.load(Ordering::Relaxed)).unwrap_or(usize::MAX);
            emitter.emit(Event::LoadProgress {
                tag,
                job_id,
                progress: LoadProgress { row_count, byte_count },
            });
        }
    };
    let exported = tokio::select! {
        () = token.cancelled() => None,
        result = client.export_csv(view, &body, &mut writer, progress) => Some(result),
    };
    let stop_parser = |writer: pipe::PipeWriter| {
        stop.store(true, Ordering::Relaxed);
        // Without the end marker the reader sees the stream break off, never a short table.
        drop(writer);
    };
    match exported {
        None => {
            stop_parser(writer);
            let _ = parser.await;
            Err(LoadAllError::Cancelled)
        }
        Some(Err(error)) => {
            stop_parser(writer);
            match parser.await {
                // The parser gave up first (bad CSV), which broke the pipe: its error is the cause.
                Ok(Err(table_error))
                    if is_broken_pipe(&error) && !matches!(table_error, TableError::Cancelled) =>
                {
                    Err(LoadAllError::Table(table_error))
                }
                _ => Err(LoadAllError::Client(error)),
            }
        }
        Some(Ok(_)) => {
            if writer.finish().is_err() {
                // The parser already stopped; its result below says why.
                tracing::debug!("the CSV parser stopped before the end of the export");
            }
            let parsed = tokio::select! {
                () = token.cancelled() => {
                    stop.store(true, Ordering::Relaxed);
                    let _ = parser.await;
                    return Err(LoadAllError::Cancelled);
                }
                parsed = &mut parser => parsed,
            };
            match parsed {
                Ok(Ok(table)) => {
                    // More rows than counted is fine (the workspace grew); the window says so.
                    check_all_rows(table.row_count() as u64, Some(total))
                        .map_err(LoadAllError::Incomplete)?;
                    Ok(Arc::new(table))
                }
                Ok(Err(TableError::Cancelled)) => Err(LoadAllError::Cancelled),
                Ok(Err(table_error)) => Err(LoadAllError::Table(table_error)),
                Err(join_error) => Err(LoadAllError::Table(TableError::Csv(format!(
                    "the background task failed: {join_error} ({})",
                    client.endpoint_url(View::Conversations.export_path())
                )))),
            }
        }
    }
}

fn is_broken_pipe(error: &ClientError) -> bool {
    matches!(error, ClientError::Io { source } if source.kind() == std::io::ErrorKind::BrokenPipe)
}
