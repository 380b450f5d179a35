//! Frame time of the results grid over a 1M-row raw-conversation table, headless (issue 5).
//!
//! Target on the 2-core build machine, release build: one frame (UI pass and tessellation)
//! ≤ 8 ms, whatever the table's size — the grid lays out only the rows on screen.
//!
//! Measured: a still frame in table order; a still frame sorted by a text column with a
//! search active (the view computed once, on the grid's thread, before measuring); and a
//! frame while scrolling by a page every frame, so every frame lays out rows it has not
//! shown before.

// A benchmark that cannot build its input has nothing to measure: failing loudly is right.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use egui::{Event, Modifiers, MouseWheelUnit, RawInput, Rect, TouchPhase, pos2, vec2};
use inkeep_explorer::api::query::QueryBody;
use inkeep_explorer::app::grid_ui::{GridMeta, GridSortKey, GridState, grid_ui};
use inkeep_explorer::data::ResultTable;
use inkeep_explorer::demo::dataset::{DatasetParams, raw_response_json};
use jiff::civil::Date;

const ROWS: u64 = 1_000_000;

/// A 1M-row table of raw conversations, built as a response to `{}` is.
fn table() -> ResultTable {
    let params = DatasetParams { rows: ROWS, seed: 42, end_date: Date::constant(2026, 1, 31) };
    ResultTable::from_response_bytes(&QueryBody::default(), &raw_response_json(&params)).unwrap().0
}

struct Screen {
    ctx: egui::Context,
    table: Arc<ResultTable>,
    meta: GridMeta,
    state: GridState,
}

impl Screen {
    fn new(table: Arc<ResultTable>, state: GridState) -> Screen {
        let meta = GridMeta { total_rows: table.row_count() as u64, is_stale: false };
        Screen { ctx: egui::Context::default(), table, meta, state }
    }

    /// One frame at 1400×900 with these input events: UI pass, then tessellation.
    fn frame(&mut self, events: Vec<Event>) {
        let input = RawInput {
            screen_rect: Some(Rect::from_min_size(pos2(0.0, 0.0), vec2(1400.0, 900.0))),
            events,
            ..RawInput::default()
        };
        let Screen { ctx, table, meta, state } = self;
        let output = ctx.run_ui(input, |ui| {
            black_box(grid_ui(ui, table, meta, state));
        });
        let primitives = ctx.tessellate(output.shapes, output.pixels_per_point);
        black_box(primitives.len());
    }

    /// Draws frames until the grid's view is ready, then a few more to settle layout.
    fn settle(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(120);
        self.frame(Vec::new());
        while self.state.is_updating() {
            assert!(Instant::now() < deadline, "the grid view never finished");
            std::thread::sleep(Duration::from_millis(10));
            self.frame(Vec::new());
        }
        for _ in 0..5 {
            self.frame(Vec::new());
        }
    }
}

fn scroll_page() -> Vec<Event> {
    vec![
        Event::PointerMoved(pos2(700.0, 500.0)),
        Event::MouseWheel {
            unit: MouseWheelUnit::Page,
            delta: vec2(0.0, -1.0),
            phase: TouchPhase::Move,
            source: egui::MouseWheelSource::Unknown,
            modifiers: Modifiers::NONE,
        },
    ]
}

fn benches(c: &mut Criterion) {
    let table = Arc::new(table());
    let mut group = c.benchmark_group("grid_1m");
    group.measurement_time(Duration::from_secs(5));

    let mut screen = Screen::new(table.clone(), GridState::default());
    screen.settle();
    group.bench_function("frame_table_order", |b| b.iter(|| screen.frame(Vec::new())));

    let mut sorted = GridState::default();
    sorted.sort = vec![GridSortKey { column: "id".into(), descending: false }];
    sorted.search_text = "slack".into();
    let mut screen = Screen::new(table.clone(), sorted);
    screen.settle();
    assert!(screen.state.view().len() < table.row_count(), "the search filtered rows");
    group.bench_function("frame_sorted_by_id_searching_slack", |b| b.iter(|| screen.frame(Vec::new())));

    let mut screen = Screen::new(table, GridState::default());
    screen.settle();
    group.bench_function("frame_scrolling_a_page_per_frame", |b| b.iter(|| screen.frame(scroll_page())));
    group.finish();
}

criterion_group!(grid_benches, benches);
criterion_main!(grid_benches);
