//! Query runs: one in flight per tab, each answered with an event tagged with its tab.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use tokio_util::sync::CancellationToken;

use crate::api::client::{ApiKey, ClientError};
use crate::api::query::QueryBody;
use crate::api::redact::redact_key_in_envelope;
use crate::api::view::View;
use crate::data::ResultTable;

use super::{Core, Event, JobTag, RawAnswer, RunAnswer, blocking, elapsed_ms};

impl Core {
    /// Cancels the run in flight for `tag` (a tab and purpose), if any.
    pub(super) fn cancel_run_tagged(&mut self, tag: JobTag) {
        if let Some((_, token)) = self.in_flight.remove(&tag) {
            token.cancel();
        }
    }

    /// Cancels the runs of every tab (a new connection, the window closing).
    pub(super) fn cancel_every_run(&mut self) {
        for (_, (_, token)) in self.in_flight.drain() {
            token.cancel();
        }
    }

    /// Starts a run on its own task. A run still going *in the same tab for the same purpose*
    /// is cancelled first; other tabs' runs, and a comparison's run beside the tab's own, go on.
    pub(super) fn run(&mut self, tag: JobTag, request_id: u64, view: View, body: QueryBody) {
        self.cancel_run_tagged(tag);
        let emitter = self.emitter.clone();
        let Some(client) = self.client.clone() else {
            emitter.emit(Event::Finished {
                tag,
                request_id,
                duration_ms: 0,
                result: Err(ClientError::Request {
                    message: "not connected to a server yet".to_string(),
                    url: String::new(),
                }),
            });
            return;
        };
        let token = CancellationToken::new();
        self.in_flight.insert(tag, (request_id, token.clone()));
        emitter.emit(Event::Started { tag, request_id });
        let key = self.client_key.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            let work = async {
                let raw = client.query_raw(view, &body).await?;
                let url = client.endpoint_url(view.query_path());
                // Parsing a large answer takes a while: never on the runtime's threads.
                blocking(move || build_answer(view, &body, raw.bytes, raw.request_id, &url, key.as_ref()))
                    .await
                    .map_err(|message| ClientError::Request {
                        message,
                        url: client.endpoint_url(view.query_path()),
                    })?
            };
            tokio::select! {
                () = token.cancelled() => emitter.emit(Event::Cancelled { tag, request_id }),
                result = work => {
                    let duration_ms = elapsed_ms(started);
                    emitter.emit(Event::Finished { tag, request_id, duration_ms, result });
                }
            }
        });
    }
}

/// Builds the table of an answer. When the fast parser rejects the bytes, the envelope
/// parser says precisely what is wrong (and, should it accept them, its rows are used).
fn build_answer(
    view: View,
    body: &QueryBody,
    bytes: Bytes,
    server_request_id: Option<String>,
    url: &str,
    key: Option<&ApiKey>,
) -> Result<RunAnswer, ClientError> {
    let (table, meta) = match ResultTable::from_answer_in(view, body, &bytes) {
        Ok(built) => built,
        Err(source) => {
            return Err(ClientError::Envelope {
                source: redact_key_in_envelope(source, key),
                request_id: server_request_id,
                url: url.to_string(),
            });
        }
    };
    Ok(RunAnswer { table: Arc::new(table), meta, server_request_id, raw: RawAnswer::keep(bytes) })
}
