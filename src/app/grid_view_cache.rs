//! The grid's sorted and searched row views, computed off the UI thread.
//!
//! # Why a thread of its own, beside the worker
//!
//! Sorting a million rows by text takes a few hundred milliseconds and searching them about
//! a hundred, so the grid cannot compute its view inside a frame. The worker is the wrong
//! place for it: the worker serves the window's I/O (runs, load-all, exports) through the
//! `Job`/`Event` protocol, and its answers go through the command dispatcher to the state
//! that asked. A view is pure CPU work over an immutable `Arc<ResultTable>` that only the
//! grid reads, it is superseded at every keystroke in the search box, and the grid must work
//! without a worker (the UI tests and the frame benches draw it alone). So each change of the
//! view's inputs starts one short-lived `grid-view` thread, and a newer change makes an older
//! thread stop at its next chunk (a shared generation counter), so abandoned work costs at
//! most one chunk.
//!
//! # How a result reaches the frame
//!
//! The thread sends its [`ViewRequest`] and rows over a channel and calls
//! `ctx.request_repaint()`. The next frame's [`ViewCache::poll`] takes the answer (if it is
//! for the newest request) and makes it the shown view; until then the grid keeps drawing
//! the previous view and says it is working ([`ViewCache::is_updating`]). Nothing else in
//! the window sees these threads.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::sync::{Arc, Weak};

use crate::data::{ResultTable, SearchCursor, SortKey, sort_view};

/// Table rows a search thread scans between two checks for a newer request.
const SEARCH_CHUNK_ROWS: usize = 65_536;

/// What a view is computed from.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct ViewRequest {
    /// Sort keys, most significant first; empty keeps the table's order.
    pub(super) keys: Vec<SortKey>,
    /// Empty: no search (and then `columns` is empty too, so hiding columns costs nothing).
    pub(super) needle: String,
    /// The columns searched.
    pub(super) columns: Vec<usize>,
}

/// A finished view.
#[derive(Debug, Clone, Default)]
struct ShownView {
    request: ViewRequest,
    rows: Arc<Vec<u32>>,
}

/// A view being computed on a thread.
#[derive(Debug)]
struct Job {
    generation: u64,
    request: ViewRequest,
    receiver: Receiver<JobOutput>,
}

#[derive(Debug)]
struct JobOutput {
    generation: u64,
    request: ViewRequest,
    sorted: Arc<Vec<u32>>,
    rows: Arc<Vec<u32>>,
}

/// The views of one table: the one on screen, the last sort (reused when only the search
/// changes) and the computation in flight, if any.
#[derive(Debug, Default)]
pub(super) struct ViewCache {
    /// Identity of the table the views belong to. A `Weak` keeps the allocation (so the
    /// address cannot be reused by a newer table) without keeping an old table's data alive.
    table: Weak<ResultTable>,
    /// The last sort computed, reused when only the search changes.
    sorted: Option<(Vec<SortKey>, Arc<Vec<u32>>)>,
    shown: ShownView,
    job: Option<Job>,
    /// The newest job generation; older threads stop when they see a newer one.
    latest_generation: Arc<AtomicU64>,
    /// A request whose thread died without an answer; not tried again.
    failed: Option<ViewRequest>,
}

impl ViewCache {
    /// The rows on screen, in order (table row indices).
    pub(super) fn rows(&self) -> &Arc<Vec<u32>> {
        &self.shown.rows
    }

    /// True when the views are views of `table` (the same allocation, not an equal table).
    pub(super) fn is_of(&self, table: &Arc<ResultTable>) -> bool {
        std::ptr::eq(self.table.as_ptr(), Arc::as_ptr(table))
    }

    /// True while a thread computes a view newer than the one on screen.
    pub(super) fn is_updating(&self) -> bool {
        self.job.is_some()
    }

    /// Starts over when `table` is not the table of the cached views; returns true then.
    pub(super) fn sync_table(&mut self, table: &Arc<ResultTable>) -> bool {
        if self.is_of(table) {
            return false;
        }
        self.cancel_job();
        self.table = Arc::downgrade(table);
        self.sorted = None;
        self.failed = None;
        self.shown = ShownView { request: ViewRequest::default(), rows: Arc::new(table.all_rows()) };
        true
    }

    fn cancel_job(&mut self) {
        if self.job.take().is_some() {
            self.latest_generation.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Takes a finished job's view; returns true when the shown view changed.
    pub(super) fn poll(&mut self) -> bool {
        let Some(job) = &self.job else { return false };
        match job.receiver.try_recv() {
            Ok(output) if output.generation == job.generation => {
                self.show(output);
                self.job = None;
                true
            }
            Ok(_) | Err(TryRecvError::Empty) => false,
            Err(TryRecvError::Disconnected) => {
                // The thread ended without an answer, which only a panic in the data layer
                // can cause: keep the previous view rather than start the same work again
                // every frame.
                tracing::warn!("the grid could not sort or search this table; showing the previous view");
                self.failed = self.job.take().map(|job| job.request);
                false
            }
        }
    }

    fn show(&mut self, output: JobOutput) {
        self.sorted = Some((output.request.keys.clone(), output.sorted));
        self.shown = ShownView { request: output.request, rows: output.rows };
    }

    /// Makes sure the shown view is, or will be, the view for `request`; returns true when
    /// the shown view changed in this call (no thread was needed).
    pub(super) fn request(
        &mut self,
        ctx: &egui::Context,
        table: &Arc<ResultTable>,
        request: ViewRequest,
    ) -> bool {
        if self.shown.request == request {
            self.cancel_job();
            return false;
        }
        if self.job.as_ref().is_some_and(|job| job.request == request)
            || self.failed.as_ref() == Some(&request)
        {
            return false;
        }
        self.cancel_job();
        if request.keys.is_empty() && request.needle.is_empty() {
            // Table order needs no work worth a thread.
            self.shown = ShownView { request, rows: Arc::new(table.all_rows()) };
            return true;
        }
        let generation = self.latest_generation.fetch_add(1, Ordering::SeqCst) + 1;
        let sorted =
            self.sorted.as_ref().filter(|(keys, _)| *keys == request.keys).map(|(_, rows)| rows.clone());
        let (sender, receiver) = mpsc::channel();
        let work = ViewWork {
            table: table.clone(),
            request: request.clone(),
            sorted,
            generation,
            latest_generation: self.latest_generation.clone(),
        };
        let repaint = ctx.clone();
        let spawned = std::thread::Builder::new().name("grid-view".into()).spawn(move || {
            if let Some(output) = work.run() {
                // The grid may be gone already; then nobody needs the answer.
                let _ = sender.send(output);
                repaint.request_repaint();
            }
        });
        match spawned {
            Ok(_) => {
                self.job = Some(Job { generation, request, receiver });
                false
            }
            Err(err) => {
                tracing::warn!(
                    "could not start a thread for the grid view, computing it on the UI thread: {err}"
                );
                let work = ViewWork {
                    table: table.clone(),
                    request,
                    sorted: None,
                    generation,
                    latest_generation: self.latest_generation.clone(),
                };
                if let Some(output) = work.run() {
                    self.show(output);
                }
                true
            }
        }
    }
}

/// The inputs of one view computation, owned so it can move to a thread.
struct ViewWork {
    table: Arc<ResultTable>,
    request: ViewRequest,
    sorted: Option<Arc<Vec<u32>>>,
    generation: u64,
    latest_generation: Arc<AtomicU64>,
}

impl ViewWork {
    /// Sorts (unless a sort for the same keys is at hand), then filters by the search;
    /// `None` when a newer request superseded this one.
    fn run(self) -> Option<JobOutput> {
        let ViewWork { table, request, sorted, generation, latest_generation } = self;
        let superseded = || latest_generation.load(Ordering::SeqCst) != generation;
        let sorted = match sorted {
            Some(sorted) => sorted,
            None => Arc::new(sort_view(&table, &request.keys)),
        };
        if superseded() {
            return None;
        }
        let rows = if request.needle.is_empty() {
            sorted.clone()
        } else {
            let mut cursor = SearchCursor::new(&table, &request.columns, &request.needle);
            while !cursor.step(&table, SEARCH_CHUNK_ROWS) {
                if superseded() {
                    return None;
                }
            }
            Arc::new(cursor.filter(&sorted))
        };
        Some(JobOutput { generation, request, sorted, rows })
    }
}
