//! Memory of a 1M-row raw-conversation table against the size of its JSON (issue 5:
//! "≤ 3× the size of its JSON"), counted by the allocator rather than by the table's own
//! accounting (`ResultTable::heap_size_bytes`), which is printed beside it as a check.
//!
//! Not a timing benchmark: it builds the table once and prints
//! - the bytes the table holds once built (live heap after the parse less before it),
//! - the peak of the heap during the parse above what was live before it (the transient
//!   cost of loading: the parser's buffers and the builders' growth),
//! - the process's peak resident set (`VmHWM`), which includes the JSON and the generator.
//!
//! Run with `cargo bench --bench memory`.

// A benchmark that cannot build its input has nothing to measure: failing loudly is right.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use inkeep_explorer::api::query::QueryBody;
use inkeep_explorer::data::ResultTable;
use inkeep_explorer::demo::dataset::{DatasetParams, raw_response_json};
use jiff::civil::Date;

const ROWS: u64 = 1_000_000;
/// Issue 5's bound: the table may take at most this many times the JSON's bytes.
const TARGET_RATIO: f64 = 3.0;

/// The system allocator, counting the bytes live now and the most live since the last reset.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

impl Counting {
    fn added(size: usize) {
        let live = LIVE.fetch_add(size, Ordering::Relaxed) + size;
        PEAK.fetch_max(live, Ordering::Relaxed);
    }

    fn removed(size: usize) {
        LIVE.fetch_sub(size, Ordering::Relaxed);
    }

    fn live() -> usize {
        LIVE.load(Ordering::Relaxed)
    }

    /// Starts a new peak from what is live now.
    fn reset_peak() -> usize {
        let live = Counting::live();
        PEAK.store(live, Ordering::Relaxed);
        live
    }

    fn peak() -> usize {
        PEAK.load(Ordering::Relaxed)
    }
}

// SAFETY: every call is forwarded to the system allocator unchanged; the counters only
// observe the sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc` is passed on as it is.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            Counting::added(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            Counting::added(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator (so from `System`) with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        Counting::removed(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract for `realloc` is passed on as it is.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            Counting::removed(layout.size());
            Counting::added(new_size);
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The process's peak resident set in bytes (`VmHWM`), when /proc tells it.
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn mb(bytes: usize) -> f64 {
    bytes as f64 / 1e6
}

fn main() {
    // `cargo bench` passes `--bench`; a filter that names nothing here skips the run
    // (as criterion benches do), so `cargo bench -- NAME` elsewhere does not pay for this.
    let filter = std::env::args().skip(1).find(|arg| !arg.starts_with('-'));
    if filter.as_deref().is_some_and(|f| !"table_memory_1m".contains(f)) {
        return;
    }
    let params = DatasetParams { rows: ROWS, seed: 42, end_date: Date::constant(2026, 1, 31) };
    let json = raw_response_json(&params);
    let query = QueryBody::default();

    let before = Counting::reset_peak();
    let (table, meta) = ResultTable::from_response_bytes(&query, &json).unwrap();
    let after = Counting::live();
    let peak = Counting::peak();
    assert_eq!(meta.count, ROWS);

    let held = after.saturating_sub(before);
    let ratio = held as f64 / json.len() as f64;
    let accounted = table.heap_size_bytes();
    println!(
        "table_memory_1m: table {:.1} MB for {:.1} MB of JSON = {:.2}× (target ≤ {TARGET_RATIO}×) — {}",
        mb(held),
        mb(json.len()),
        ratio,
        if ratio <= TARGET_RATIO { "met" } else { "MISSED" }
    );
    println!(
        "table_memory_1m: the table's own accounting (heap_size_bytes) {:.1} MB ({:+.1}% against the allocator)",
        mb(accounted),
        (accounted as f64 / held as f64 - 1.0) * 100.0
    );
    println!(
        "table_memory_1m: peak heap during the parse {:.1} MB above the JSON = {:.2}× the JSON",
        mb(peak.saturating_sub(before)),
        peak.saturating_sub(before) as f64 / json.len() as f64
    );
    if let Some(rss) = peak_rss_bytes() {
        println!(
            "table_memory_1m: process peak RSS {:.1} MB (JSON, table and generator together)",
            rss as f64 / 1e6
        );
    }
    drop(table);
}
