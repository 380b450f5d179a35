//! The endpoints: query and CSV export (streamed through a bounded channel) of each view,
//! property keys and values. Store calls run on blocking threads.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde_json::json;
use tokio::sync::mpsc;

use super::problem::{ApiError, RequestContext};
use super::{
    AppState, DEFAULT_PROPERTY_VALUES_LIMIT, EXPORT_CHANNEL_CHUNKS, MAX_PROPERTY_VALUES_LIMIT, panic_message,
};
use crate::api::query::QueryBody;
use crate::api::response::{PropertyKeysRequest, PropertyValuesRequest};
use crate::api::view::View;
use crate::demo::store::{DemoStore, StoreError};

use super::checks::{accept_body, check_filter, parse_query_body, parse_request_body};

/// Runs a store call on the store holding `view`, on a blocking thread; a failure or panic
/// there becomes an [`ApiError`].
pub(super) async fn run_store<T, F>(state: &AppState, view: View, call: F) -> Result<T, ApiError>
where
    F: FnOnce(&DemoStore) -> Result<T, StoreError> + Send + 'static,
    T: Send + 'static,
{
    let store = state.store_for(view).await?;
    match tokio::task::spawn_blocking(move || call(&store)).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(store_error(&error)),
        Err(join_error) => {
            let message = if join_error.is_panic() {
                panic_message(join_error.into_panic().as_ref())
            } else {
                "the query was cancelled".to_string()
            };
            tracing::error!(%message, "store call failed");
            Err(ApiError::internal(format!("the query engine failed: {message}")))
        }
    }
}

/// How a store error is answered: the caller's fault (an invalid query) is 422, anything
/// else is the server's (500), logged for support.
pub(super) fn store_error(error: &StoreError) -> ApiError {
    if error.is_invalid_query() {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, error.to_string())
    } else {
        tracing::error!(%error, "store call failed");
        ApiError::internal(format!("the demo database failed: {error}"))
    }
}

/// `POST /query/<view>`: one page of the answer, with `total`.
pub(super) async fn query_view(
    view: View,
    State(state): State<Arc<AppState>>,
    context: RequestContext,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let answer = async {
        let bytes = accept_body(&state, &headers, body).await?;
        let query = parse_query_body(view, &bytes)?;
        let page_size = state.page_size;
        let page = run_store(&state, view, move |store| store.query(view, &query, page_size)).await?;
        let count = page.rows.len();
        Ok::<_, ApiError>(axum::Json(json!({
            "status": "ok",
            "data": {"result": page.rows, "total": page.total, "pageSize": page_size, "count": count},
        })))
    };
    context.respond(answer.await)
}

/// One message from the export thread.
pub(super) enum ExportMessage {
    Chunk(Bytes),
    Failed(ApiError),
}

/// `POST /query/<view>/export`: the whole answer as CSV, streamed.
pub(super) async fn export_view(
    view: View,
    State(state): State<Arc<AppState>>,
    context: RequestContext,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let answer = async {
        let bytes = accept_body(&state, &headers, body).await?;
        let query = parse_query_body(view, &bytes)?;
        let store = state.store_for(view).await?;
        let (sender, mut receiver) = mpsc::channel::<ExportMessage>(EXPORT_CHANNEL_CHUNKS);
        tokio::task::spawn_blocking(move || run_export(&store, view, &query, &sender));
        // Wait for the first piece so that an export failing at once is answered with a
        // problem, not with a 200 and an empty or cut-off body.
        let first = match receiver.recv().await {
            Some(ExportMessage::Chunk(chunk)) => Some(chunk),
            Some(ExportMessage::Failed(error)) => return Err(error),
            None => None,
        };
        let rest =
            futures_util::stream::poll_fn(move |cx| receiver.poll_recv(cx)).map(|message| match message {
                ExportMessage::Chunk(chunk) => Ok(chunk),
                // Headers are gone already: breaking the body is how the client learns of it.
                ExportMessage::Failed(error) => Err(std::io::Error::other(error.detail)),
            });
        let stream = futures_util::stream::iter(first.map(Ok)).chain(rest);
        Ok::<_, ApiError>(
            (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                    (header::CONTENT_DISPOSITION, attachment_name(view)),
                ],
                Body::from_stream(stream),
            )
                .into_response(),
        )
    };
    context.respond(answer.await)
}

/// Runs the export on a blocking thread, forwarding the store's pieces (about 64 KiB each).
/// A closed channel (the client went away) makes the sink fail, which stops the export.
pub(super) fn run_export(
    store: &DemoStore,
    view: View,
    query: &QueryBody,
    sender: &mpsc::Sender<ExportMessage>,
) {
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
        let mut sink = |bytes: &[u8]| -> std::io::Result<()> {
            sender
                .blocking_send(ExportMessage::Chunk(Bytes::copy_from_slice(bytes)))
                .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away"))
        };
        store.export_csv(view, query, &mut sink)
    }));
    let failure = match result {
        Ok(Ok(row_count)) => {
            tracing::debug!(row_count, "export finished");
            return;
        }
        Ok(Err(StoreError::SinkFailed(_))) => {
            tracing::debug!("export stopped: the client went away");
            return;
        }
        Ok(Err(error)) => store_error(&error),
        Err(panic) => {
            let message = panic_message(panic.as_ref());
            tracing::error!(%message, "export panicked");
            ApiError::internal(format!("the export failed: {message}"))
        }
    };
    // Nobody to tell if the client is gone already.
    let _ = sender.blocking_send(ExportMessage::Failed(failure));
}

/// The views of a property request grouped by the store holding them: the conversations,
/// and the other views (each group named by one of its views, for [`run_store`]).
fn by_store(views: &[View]) -> Vec<(View, Vec<View>)> {
    let (conversations, others): (Vec<View>, Vec<View>) =
        views.iter().copied().partition(|view| *view == View::Conversations);
    [conversations, others]
        .into_iter()
        .filter_map(|group| group.first().copied().map(|first| (first, group)))
        .collect()
}

/// The `Content-Disposition` of a view's export: `attachment; filename="feedback.csv"`.
fn attachment_name(view: View) -> &'static str {
    match view {
        View::Conversations => "attachment; filename=\"conversations.csv\"",
        View::Events => "attachment; filename=\"events.csv\"",
        View::Feedback => "attachment; filename=\"feedback.csv\"",
        View::SemanticThreads => "attachment; filename=\"semantic-threads.csv\"",
    }
}

pub(super) async fn property_keys(
    State(state): State<Arc<AppState>>,
    context: RequestContext,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let answer = async {
        let bytes = accept_body(&state, &headers, body).await?;
        let request: PropertyKeysRequest = parse_request_body(&bytes, "property-keys request")?;
        check_filter(request.where_.as_ref())?;
        let field = request.field.field();
        // Without `views` the real server looks in all four.
        let views = request.views.unwrap_or_else(|| View::ALL.to_vec());
        let filter = request.where_;
        let mut keys = Vec::new();
        for (store_view, views) in by_store(&views) {
            let filter = filter.clone();
            let found = run_store(&state, store_view, move |store| {
                store.property_keys(field, &views, filter.as_ref())
            })
            .await?;
            keys.extend(found);
        }
        keys.sort();
        keys.dedup();
        Ok::<_, ApiError>(axum::Json(json!({ "results": keys })))
    };
    context.respond(answer.await)
}

pub(super) async fn property_values(
    State(state): State<Arc<AppState>>,
    context: RequestContext,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let answer = async {
        let bytes = accept_body(&state, &headers, body).await?;
        let request: PropertyValuesRequest = parse_request_body(&bytes, "property-values request")?;
        check_filter(request.where_.as_ref())?;
        if request.key.is_empty() {
            return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "`key` must not be empty"));
        }
        if request.limit == Some(0) {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                format!(
                    "invalid property-values request at `limit`: a positive integer is allowed (at least 1; \
                     {DEFAULT_PROPERTY_VALUES_LIMIT} when left out), not 0"
                ),
            ));
        }
        let limit = request
            .limit
            .map_or(DEFAULT_PROPERTY_VALUES_LIMIT, |limit| limit as usize)
            .min(MAX_PROPERTY_VALUES_LIMIT);
        let field = request.field.field();
        let views = request.views.unwrap_or_else(|| View::ALL.to_vec());
        let (key, filter) = (request.key, request.where_);
        let mut counts: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
        for (store_view, views) in by_store(&views) {
            let (key, filter) = (key.clone(), filter.clone());
            let counted = run_store(&state, store_view, move |store| {
                store.property_value_counts(field, &key, &views, filter.as_ref(), None)
            })
            .await?;
            for (value, count) in counted {
                *counts.entry(value).or_default() += count;
            }
        }
        // Most frequent first, ties by value, as one store orders them.
        let mut counted: Vec<(String, u64)> = counts.into_iter().collect();
        counted.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let values: Vec<String> = counted.into_iter().take(limit).map(|(value, _)| value).collect();
        Ok::<_, ApiError>(axum::Json(json!({ "results": values })))
    };
    context.respond(answer.await)
}
