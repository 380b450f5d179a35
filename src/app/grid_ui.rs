//! The results grid: a virtualised, sortable, searchable table over a [`ResultTable`].
//!
//! [`grid_ui`] draws one frame of it. It reads the table through row-index views (sorted,
//! then filtered by the quick search) that live in [`GridState`] and are recomputed only when
//! the table, the sort keys, the search text or the searched columns change — never per frame.
//! That work runs off the UI thread (`grid_view_cache` says how and
//! why not on the worker), so typing in the search box never drops a frame; until the answer
//! arrives the grid keeps showing the previous view and the count line says it is working.
//!
//! The file is long because the grid is one widget: its toolbar, header, body, selection,
//! column window and menus all read and write the same [`GridState`] within one frame. The
//! one part with a life of its own, the view computation, is in `grid_view_cache`.
//!
//! # Finding things from tests (egui_kittest) and screen readers
//!
//! - Header buttons are labelled with the column's display name ([`column_display_name`]:
//!   the wire name, except `count_id`, shown as `count`); when the column is a key of the
//!   grid's own (local) sort the label continues with a space and the marker: `⏶` ascending,
//!   `⏷` descending, followed by the key's 1-based rank when more than one key is set
//!   (`count ⏶`, `name ⏷2`). Without a local sort, the columns of the server's `orderBy`
//!   carry `⬆` / `⬇` instead (`count ⬇`).
//! - The toolbar says whose order is on screen: `Sorted in the grid by count ⏷ (not by the
//!   server)` or `Order from the server: count ⬇`.
//! - The search box is labelled `Search`; the count line reads `N of M rows` (`3 of 20 rows`),
//!   with thousands separators.
//! - Cells are labels with the displayed text (`data::display::cell_shown`: booleans `✔` / `✖`,
//!   JSON arrays as lists such as `Incorrect · Outdated docs`); a null cell reads `null`.
//! - Hovering a cell whose text is not the whole value (cut, rounded, a summarised JSON array,
//!   several lines, or elided by the column's width) shows the whole value, JSON
//!   pretty-printed; a boolean's hover reads `true` / `false`.
//! - A click on a row number, Enter on a selection, a double click on a cell or the menu's
//!   `Show row details` opens the row detail panel (`row_detail_ui`) at the grid's right;
//!   once open it follows the clicked row. Escape closes it (and clears the selection).
//! - The column menu is the `Columns` button, with one checkbox per column, named after it.
//! - The banner reads `Showing N of T rows`, with the buttons `Load all rows` and
//!   `Export all rows`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use egui::{Align, Color32, Event, Key, Label, Layout, Modifiers, RichText, Sense, TextStyle, Ui};
use egui_extras::{Column as TableColumn, TableBuilder, TableRow};
use serde::{Deserialize, Serialize};

use crate::api::links::{conversation_ids, link_targets};
use crate::api::view::View;
use crate::app::chart_ui::long_bucket_label;
use crate::app::format::thousands;
use crate::app::grid_view_cache::{ViewCache, ViewRequest};
use crate::app::row_detail_ui::{RowDetail, RowDetailAction, row_detail_ui};
use crate::data::copy::{column_to_tsv, row_to_json, to_tsv};
use crate::data::display::{bucket_unit, cell_copy_text, cell_hover_value, cell_shown, timestamp_hover};
use crate::data::{CellRef, ResultTable, SortKey, TableView};

/// Opacity of the grid while a newer run is pending (the previous result stays readable).
pub const STALE_OPACITY: f32 = 0.5;

/// Tooltips show at most this many characters of a value.
const MAX_TOOLTIP_CHARS: usize = 4_000;

/// Rows sampled from the top of a table to size its columns.
const WIDTH_SAMPLE_ROWS: usize = 200;

/// Bounds of a column's initial width, in points.
const MIN_COLUMN_WIDTH: f32 = 48.0;
const MAX_INITIAL_COLUMN_WIDTH: f32 = 360.0;

/// Horizontal room around a cell's text, in points.
const CELL_PADDING: f32 = 12.0;

/// What the grid needs to know about the response besides the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GridMeta {
    /// Rows matching the query on the server; more than the table holds when the response was
    /// cut at the page size (the grid then offers to load or export them all).
    pub total_rows: u64,
    /// A newer run is pending: the grid is drawn dimmed.
    pub is_stale: bool,
}

impl GridMeta {
    /// Meta for a table that holds the whole result and is current.
    pub fn complete(table: &ResultTable) -> GridMeta {
        GridMeta { total_rows: table.row_count() as u64, is_stale: false }
    }
}

/// Something the grid asks its owner to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GridAction {
    /// Fetch every matching row (the response holds fewer than `total`).
    LoadAllRows,
    /// Export every matching row to a file.
    ExportAllRows,
    /// Text the grid put on the clipboard (already sent with `ctx.copy_text`; returned so
    /// the shell can show a toast and tests can read it).
    CopyToClipboard(String),
    /// Open, in a new tab, the rows behind a row of a grouped result (its table index).
    DrillDown(usize),
    /// Open, in a new tab, the rows of `to` linked to a row (its conversations, or a
    /// conversation's feedback, events or threads).
    OpenLinked {
        /// The view the row is from.
        from: View,
        /// The conversation ids the row is about.
        ids: Vec<String>,
        /// The view to open.
        to: View,
    },
}

/// The row menu's drill-down entry (`app::drill` opens the rows).
pub const ROWS_BEHIND_LABEL: &str = "Show rows behind this";

/// The name a column is shown under (`count_id` reads `count`); defined with the column
/// naming rules.
pub use crate::api::columns::column_display_name;

/// One sort key, by column name so that it survives a rerun that returns the same columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GridSortKey {
    /// Column name.
    pub column: String,
    /// Largest first.
    pub descending: bool,
}

/// A cell position: a row of the current view (sorted and filtered, 0-based) and a table
/// column index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GridCell {
    /// Position in the current view.
    pub view_row: usize,
    /// Column index in the table.
    pub column: usize,
}

/// What is selected. Positions refer to the current view, so any change of the view (sort,
/// search, new table) or of the visible columns clears the selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GridSelection {
    /// The rectangle spanned by two cells (the same cell for a single one), across the
    /// visible columns between them.
    Cells {
        /// Where the selection started (click, or drag start).
        anchor: GridCell,
        /// The opposite corner (shift+click, or drag end).
        focus: GridCell,
    },
    /// Whole rows `anchor..=focus` (either order), every visible column.
    Rows {
        /// Where the selection started.
        anchor: usize,
        /// The other end.
        focus: usize,
    },
}

impl GridSelection {
    /// The view rows covered, lowest first.
    pub fn row_range(&self) -> (usize, usize) {
        let (a, b) = match *self {
            GridSelection::Cells { anchor, focus } => (anchor.view_row, focus.view_row),
            GridSelection::Rows { anchor, focus } => (anchor, focus),
        };
        (a.min(b), a.max(b))
    }
}

/// UI state of the grid. Sort keys, search text, hidden columns and widths are persisted
/// (each with a default, so older files load); the selection and the computed views are not.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct GridState {
    /// Sort keys, most significant first; keys naming a column the table lacks are ignored.
    pub sort: Vec<GridSortKey>,
    /// Quick search text (case-insensitive substring over the visible columns).
    pub search_text: String,
    /// Names of hidden columns.
    pub hidden_columns: BTreeSet<String>,
    /// Widths the user gave columns by dragging, by column name, in points.
    pub column_widths: BTreeMap<String, f32>,
    /// The current selection.
    #[serde(skip)]
    pub selection: Option<GridSelection>,
    /// The server's order of the table on screen (the `orderBy` of the query that produced
    /// it), shown when the grid does not sort locally. Set by the owner each frame.
    #[serde(skip)]
    pub server_order: Vec<GridSortKey>,
    /// A sort to start the next result with (a preset whose sort keys the server cannot
    /// sort by); the owner moves it into [`GridState::sort`] when the result arrives.
    #[serde(skip)]
    pub pending_sort: Option<Vec<GridSortKey>>,
    /// The row detail panel: which table row it shows (none: closed).
    #[serde(skip)]
    pub detail: RowDetail,
    /// The view the rows on screen come from, when they are rows of a view (set by the
    /// owner each frame): a row's menu then offers the linked rows of the other views
    /// ("Open conversation", "Open feedback"…; see `api::links`).
    #[serde(skip)]
    pub source_view: Option<View>,
    /// The rows are groups (set by the owner each frame): a row's menu then offers the rows
    /// behind it (`drill_ui`).
    #[serde(skip)]
    pub drillable: bool,
    #[serde(skip)]
    cache: GridCache,
}

impl Clone for GridState {
    /// Clones the settings and the selection; the clone computes its own views.
    fn clone(&self) -> GridState {
        GridState {
            sort: self.sort.clone(),
            search_text: self.search_text.clone(),
            hidden_columns: self.hidden_columns.clone(),
            column_widths: self.column_widths.clone(),
            selection: self.selection,
            server_order: self.server_order.clone(),
            source_view: self.source_view,
            drillable: self.drillable,
            pending_sort: self.pending_sort.clone(),
            detail: RowDetail::default(),
            cache: GridCache::default(),
        }
    }
}

impl GridState {
    /// The rows on screen, in order (table row indices): the last finished view for the
    /// current sort and search. Empty before the first frame.
    pub fn view(&self) -> &[u32] {
        self.cache.views.rows()
    }

    /// The rows on screen when they are a view of `table` (shared, not copied); `None` when
    /// the grid has not drawn `table` yet (exports use it to write exactly what is shown).
    pub fn view_of(&self, table: &Arc<ResultTable>) -> Option<Arc<Vec<u32>>> {
        self.cache.views.is_of(table).then(|| Arc::clone(self.cache.views.rows()))
    }

    /// True while a sort or search is running for newer settings than [`GridState::view`].
    pub fn is_updating(&self) -> bool {
        self.cache.views.is_updating()
    }

    /// Indices of the columns shown, in table order.
    pub fn visible_columns(&self, table: &ResultTable) -> Vec<usize> {
        table
            .columns()
            .iter()
            .enumerate()
            .filter(|(_, column)| !self.hidden_columns.contains(column.name()))
            .map(|(index, _)| index)
            .collect()
    }

    /// The selection as TSV (see [`to_tsv`]), optionally with a header line; `None` without
    /// a selection.
    pub fn selection_tsv(&self, table: &ResultTable, with_header: bool) -> Option<String> {
        let visible = self.visible_columns(table);
        let (rows, cols) = self.selection_bounds(&visible)?;
        let view_rows = self.view().get(rows.0..=rows.1)?;
        Some(to_tsv(table, view_rows, &cols, with_header))
    }

    /// The table row of the selection's focus (its last clicked end).
    fn selection_focus_row(&self) -> Option<u32> {
        let view_row = match self.selection? {
            GridSelection::Cells { focus, .. } => focus.view_row,
            GridSelection::Rows { focus, .. } => focus,
        };
        self.view().get(view_row).copied()
    }

    /// The view-row range and table columns of the selection.
    fn selection_bounds(&self, visible: &[usize]) -> Option<((usize, usize), Vec<usize>)> {
        let selection = self.selection?;
        let rows = selection.row_range();
        let cols = match selection {
            GridSelection::Rows { .. } => visible.to_vec(),
            GridSelection::Cells { anchor, focus } => {
                let a = visible.iter().position(|&c| c == anchor.column)?;
                let b = visible.iter().position(|&c| c == focus.column)?;
                visible.get(a.min(b)..=a.max(b))?.to_vec()
            }
        };
        Some((rows, cols))
    }

    fn is_selected(&self, view_row: usize, visible_position: Option<usize>, visible: &[usize]) -> bool {
        let Some(selection) = self.selection else { return false };
        let (low, high) = selection.row_range();
        if view_row < low || view_row > high {
            return false;
        }
        match (selection, visible_position) {
            (GridSelection::Rows { .. }, _) => true,
            (GridSelection::Cells { .. }, None) => false,
            (GridSelection::Cells { anchor, focus }, Some(position)) => {
                let a = visible.iter().position(|&c| c == anchor.column);
                let b = visible.iter().position(|&c| c == focus.column);
                match (a, b) {
                    (Some(a), Some(b)) => a.min(b) <= position && position <= a.max(b),
                    _ => false,
                }
            }
        }
    }

    /// The width of column `col`: as the user left it, else measured from the content.
    fn column_width(&self, table: &ResultTable, col: usize) -> f32 {
        table
            .column(col)
            .and_then(|column| self.column_widths.get(column.name()).copied())
            .or_else(|| self.cache.content_widths.get(col).copied())
            .unwrap_or(MIN_COLUMN_WIDTH)
    }

    /// Records the server's `orderBy` of the table on screen (cheap when unchanged).
    pub fn set_server_order(&mut self, order_by: &[crate::api::query::OrderBy]) {
        let same = self.server_order.len() == order_by.len()
            && self.server_order.iter().zip(order_by).all(|(key, o)| {
                key.column == o.field && key.descending == (o.direction == crate::api::query::Direction::Desc)
            });
        if !same {
            self.server_order = order_by
                .iter()
                .map(|o| GridSortKey {
                    column: o.field.clone(),
                    descending: o.direction == crate::api::query::Direction::Desc,
                })
                .collect();
        }
    }

    /// Starts the next result with `sort` (replacing any earlier pending sort); an empty
    /// list leaves the grid's sort alone.
    pub fn start_next_result_sorted(&mut self, sort: Vec<GridSortKey>) {
        self.pending_sort = (!sort.is_empty()).then_some(sort);
    }

    /// True when the grid sorts `table` itself (a key names one of its columns).
    pub fn sorts_locally(&self, table: &ResultTable) -> bool {
        self.sort.iter().any(|key| table.column_index(&key.column).is_some())
    }

    /// The sort keys resolved against `table`.
    fn sort_keys(&self, table: &ResultTable) -> Vec<SortKey> {
        self.sort
            .iter()
            .filter_map(|key| {
                table.column_index(&key.column).map(|column| SortKey { column, descending: key.descending })
            })
            .collect()
    }

    /// A plain click on a header: ascending, then descending, then unsorted; a click on a
    /// column that is not the only key starts over with it alone.
    fn click_header(&mut self, name: &str) {
        let only = match self.sort.as_slice() {
            [key] if key.column == name => Some(key.descending),
            _ => None,
        };
        self.sort = match only {
            None => vec![GridSortKey { column: name.to_string(), descending: false }],
            Some(false) => vec![GridSortKey { column: name.to_string(), descending: true }],
            Some(true) => Vec::new(),
        };
    }

    /// Shift+click on a header: adds the column as the least significant key, or cycles its
    /// direction (ascending → descending → removed) when it already is a key.
    fn shift_click_header(&mut self, name: &str) {
        match self.sort.iter().position(|key| key.column == name) {
            None => self.sort.push(GridSortKey { column: name.to_string(), descending: false }),
            Some(index) => {
                let descending = self.sort.get(index).is_some_and(|key| key.descending);
                if descending {
                    self.sort.remove(index);
                } else if let Some(key) = self.sort.get_mut(index) {
                    key.descending = true;
                }
            }
        }
    }
}

/// What the grid keeps between frames besides its settings: the row views (computed off the
/// UI thread, see `grid_view_cache`) and the column layout.
#[derive(Debug, Default)]
struct GridCache {
    views: ViewCache,
    /// Counts tables seen, so the column layout can be reset for each new one.
    table_epoch: u64,
    /// Initial widths from the content, per table column (empty until measured).
    content_widths: Vec<f32>,
    /// Table epoch and visible columns of the last frame, to reset the egui_extras widths
    /// (which it keys by column position) when they change.
    layout_key: Option<(u64, Vec<usize>)>,
    /// A drag that started on a cell is extending the selection.
    drag_selecting: bool,
    /// Position in the visible columns of the first column on screen.
    first_column: usize,
    /// Sideways wheel distance not yet turned into a column step, in points.
    sideways_scroll: f32,
    /// Where the table body was last frame (for the sideways wheel).
    table_rect: Option<egui::Rect>,
}

impl GridCache {
    /// Starts over when `table` is not the table of the cached views; returns true then.
    fn sync_table(&mut self, table: &Arc<ResultTable>) -> bool {
        if !self.views.sync_table(table) {
            return false;
        }
        self.table_epoch += 1;
        self.content_widths.clear();
        self.first_column = 0;
        true
    }
}

/// Draws the grid for `table` and returns what the user asked for.
///
/// Takes the table behind an `Arc` because sorting and searching run on other threads; a new
/// `Arc` (another run) resets the views and the selection, the same one keeps them.
pub fn grid_ui(
    ui: &mut Ui,
    table: &Arc<ResultTable>,
    meta: &GridMeta,
    state: &mut GridState,
) -> Vec<GridAction> {
    // A scope, so that dimming a stale grid does not dim what the caller draws after it.
    ui.scope(|ui| {
        if meta.is_stale {
            ui.multiply_opacity(STALE_OPACITY);
        }
        grid_contents_ui(ui, table, meta, state)
    })
    .inner
}

fn grid_contents_ui(
    ui: &mut Ui,
    table: &Arc<ResultTable>,
    meta: &GridMeta,
    state: &mut GridState,
) -> Vec<GridAction> {
    let mut actions = Vec::new();
    if state.cache.sync_table(table) {
        state.selection = None;
        state.detail.close();
    }
    if state.cache.views.poll() {
        state.selection = None;
    }

    if meta.total_rows > table.row_count() as u64 {
        truncation_banner(ui, table, meta, &mut actions);
    }
    toolbar(ui, table, state);

    let visible = state.visible_columns(table);
    let needle = state.search_text.clone();
    let request = ViewRequest {
        keys: state.sort_keys(table),
        columns: if needle.is_empty() { Vec::new() } else { visible.clone() },
        needle,
    };
    if state.cache.views.request(ui.ctx(), table, request) {
        state.selection = None;
    }
    if let Some(selection) = state.selection
        && (selection.row_range().1 >= state.view().len() || state.selection_bounds(&visible).is_none())
    {
        state.selection = None;
    }

    keyboard(ui, table, state, &mut actions);
    if !ui.input(|input| input.pointer.primary_down()) {
        state.cache.drag_selecting = false;
    }

    if table.column_count() == 0 {
        ui.label("The result has no columns.");
        return actions;
    }
    if visible.is_empty() {
        ui.label("Every column is hidden: turn some on in the Columns menu.");
        return actions;
    }
    ui.separator();
    for action in row_detail_ui(ui, table, &mut state.detail) {
        match action {
            RowDetailAction::Copy(text) => copy_text(ui, text, &mut actions),
            RowDetailAction::CopyRowAsJson => {
                if let Some(row) = state.detail.row() {
                    copy_text(ui, row_json(table, row as usize), &mut actions);
                }
            }
        }
    }
    table_ui(ui, table, state, &visible, &mut actions);
    actions
}

/// The buttons opening the rows of other views linked to table row `row` of view `from`:
/// none when the row does not carry its conversation ids (a grouped result).
fn links_menu_ui(ui: &mut Ui, table: &ResultTable, row: usize, from: View, actions: &mut Vec<GridAction>) {
    let serde_json::Value::Object(values) = row_to_json(table, row) else { return };
    let ids = conversation_ids(from, &values);
    if ids.is_empty() {
        return;
    }
    for to in link_targets(from) {
        let label = match (to, ids.len()) {
            (View::Conversations, 1) => "Open conversation".to_string(),
            (View::Conversations, n) => format!("Open {n} conversations"),
            (to, _) => format!("Open {}", to.noun()),
        };
        if ui.button(label).on_hover_text(format!("In a new tab, on the {} view", to.noun())).clicked() {
            actions.push(GridAction::OpenLinked { from, ids: ids.clone(), to: *to });
            ui.close();
        }
    }
    ui.separator();
}

/// Row `row` as pretty-printed JSON, for "Copy row as JSON".
fn row_json(table: &ResultTable, row: usize) -> String {
    serde_json::to_string_pretty(&row_to_json(table, row)).unwrap_or_default()
}

fn truncation_banner(ui: &mut Ui, table: &ResultTable, meta: &GridMeta, actions: &mut Vec<GridAction>) {
    let fill = ui.visuals().warn_fg_color.gamma_multiply(0.15);
    egui::Frame::new().fill(fill).inner_margin(6.0).corner_radius(4.0).show(ui, |ui| {
        ui.horizontal(|ui| {
            ui.label(format!(
                "Showing {} of {} rows",
                thousands(table.row_count() as u64),
                thousands(meta.total_rows)
            ));
            if ui.button("Load all rows").on_hover_text("Fetch every matching row into the grid").clicked() {
                actions.push(GridAction::LoadAllRows);
            }
            if ui.button("Export all rows").on_hover_text("Write every matching row to a file").clicked() {
                actions.push(GridAction::ExportAllRows);
            }
        });
    });
}

fn toolbar(ui: &mut Ui, table: &ResultTable, state: &mut GridState) {
    ui.horizontal(|ui| {
        let label = ui.label("Search");
        let edit = egui::TextEdit::singleline(&mut state.search_text)
            .id_salt("grid_search")
            .hint_text("text in any visible column")
            .desired_width(220.0);
        ui.add(edit).labelled_by(label.id);
        if !state.search_text.is_empty() && ui.small_button("✖").on_hover_text("Clear search").clicked() {
            state.search_text.clear();
        }
        ui.separator();
        ui.label(format!(
            "{} of {} rows",
            thousands(state.view().len() as u64),
            thousands(table.row_count() as u64)
        ));
        if state.is_updating() {
            ui.spinner();
            ui.label(
                RichText::new(if state.search_text.is_empty() { "Sorting…" } else { "Searching…" }).weak(),
            );
        }
        ui.separator();
        columns_menu(ui, table, state);
        if !state.sort.is_empty() && ui.small_button("Clear sort").clicked() {
            state.sort.clear();
        }
        if let Some(text) = order_note(table, state) {
            ui.separator();
            // Truncated rather than clipped in a narrow window; the hover has the whole note.
            let explanation = "The server sorts only by plain fields, time buckets and sum/count/avg/min/max \
                 of a field (Order by, in the builder). A click on a header sorts the rows here, in the grid; \
                 exports of all rows keep the server's order.";
            ui.add(egui::Label::new(RichText::new(&text).weak()).truncate())
                .on_hover_text(format!("{text}\n\n{explanation}"));
        }
    });
}

/// Whose order the rows on screen are in: the grid's own sort, or the server's `orderBy`
/// (none when neither sorts).
fn order_note(table: &ResultTable, state: &GridState) -> Option<String> {
    let keys = |sort: &[GridSortKey], arrows: (char, char)| {
        sort.iter()
            .filter(|key| table.column_index(&key.column).is_some())
            .map(|key| {
                let arrow = if key.descending { arrows.1 } else { arrows.0 };
                format!("{} {arrow}", column_display_name(&key.column))
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    if state.sorts_locally(table) {
        Some(format!("Sorted in the grid by {} (not by the server)", keys(&state.sort, LOCAL_ARROWS)))
    } else if !state.server_order.is_empty() {
        let text = keys(&state.server_order, SERVER_ARROWS);
        (!text.is_empty()).then(|| format!("Order from the server: {text}"))
    } else {
        None
    }
}

/// Markers of the grid's own sort (ascending, descending).
const LOCAL_ARROWS: (char, char) = ('⏶', '⏷');
/// Markers of the server's order (ascending, descending).
const SERVER_ARROWS: (char, char) = ('⬆', '⬇');

fn columns_menu(ui: &mut Ui, table: &ResultTable, state: &mut GridState) {
    ui.menu_button("Columns", |ui| {
        ui.horizontal(|ui| {
            if ui.button("Show all").clicked() {
                state.hidden_columns.clear();
            }
            if ui.button("Hide all").clicked() {
                state.hidden_columns = table.columns().iter().map(|c| c.name().to_string()).collect();
            }
        });
        ui.separator();
        egui::ScrollArea::vertical().max_height(400.0).show(ui, |ui| {
            for column in table.columns() {
                let name = column.name();
                let mut shown = !state.hidden_columns.contains(name);
                let response = ui.checkbox(&mut shown, name).on_hover_text(column.column_type().as_str());
                if response.changed() {
                    if shown {
                        state.hidden_columns.remove(name);
                    } else {
                        state.hidden_columns.insert(name.to_string());
                    }
                }
            }
        });
    });
}

/// Ctrl+C copies the selection; Enter shows the selection's row in the row detail panel;
/// Escape clears the selection and closes the panel. All only when no text field has the
/// keyboard (a focused text field copies its own selection).
fn keyboard(ui: &mut Ui, table: &ResultTable, state: &mut GridState, actions: &mut Vec<GridAction>) {
    if ui.ctx().egui_wants_keyboard_input() {
        return;
    }
    if state.selection.is_none() {
        if state.detail.row().is_some()
            && ui.input_mut(|input| input.consume_key(Modifiers::NONE, Key::Escape))
        {
            state.detail.close();
        }
        return;
    }
    if ui.input_mut(|input| input.consume_key(Modifiers::NONE, Key::Enter))
        && let Some(row) = state.selection_focus_row()
    {
        state.detail.open(table, row);
    }
    let copy = ui.input_mut(|input| {
        let event = input.events.iter().any(|event| matches!(event, Event::Copy));
        event || input.consume_key(Modifiers::COMMAND, Key::C)
    });
    if copy && let Some(text) = state.selection_tsv(table, false) {
        copy_text(ui, text, actions);
    }
    if ui.input_mut(|input| input.consume_key(Modifiers::NONE, Key::Escape)) {
        state.selection = None;
        state.detail.close();
    }
}

fn copy_text(ui: &Ui, text: String, actions: &mut Vec<GridAction>) {
    ui.ctx().copy_text(text.clone());
    actions.push(GridAction::CopyToClipboard(text));
}

/// The header text of a column: its display name, then the grid's sort marker when it is a
/// key of the local sort, else the server's marker when it is a key of the server's order
/// and the grid does not sort (`local_sort` empty).
fn header_label(name: &str, local_sort: &[GridSortKey], server_order: &[GridSortKey]) -> String {
    let shown = column_display_name(name);
    if local_sort.is_empty() {
        return match server_order.iter().find(|key| key.column == name) {
            Some(key) => {
                format!("{shown} {}", if key.descending { SERVER_ARROWS.1 } else { SERVER_ARROWS.0 })
            }
            None => shown.to_string(),
        };
    }
    match local_sort.iter().position(|key| key.column == name) {
        None => shown.to_string(),
        Some(rank) => {
            let descending = local_sort.get(rank).is_some_and(|key| key.descending);
            let arrow = if descending { LOCAL_ARROWS.1 } else { LOCAL_ARROWS.0 };
            if local_sort.len() > 1 {
                format!("{shown} {arrow}{}", rank + 1)
            } else {
                format!("{shown} {arrow}")
            }
        }
    }
}

fn table_ui(
    ui: &mut Ui,
    table: &ResultTable,
    state: &mut GridState,
    visible: &[usize],
    actions: &mut Vec<GridAction>,
) {
    if state.cache.content_widths.len() != table.column_count() {
        state.cache.content_widths = content_widths(ui, table);
    }
    let body_font = TextStyle::Body.resolve(ui.style());
    let row_height = (ui.fonts_mut(|fonts| fonts.row_height(&body_font)) + 6.0).round();
    let view = state.cache.views.rows().clone();
    // As wide as the largest row number, grouped, in zeros (digits are equally wide).
    let widest_number: String = thousands(view.len().max(1) as u64)
        .chars()
        .map(|c| if c.is_ascii_digit() { '0' } else { c })
        .collect();
    let row_number_width =
        (ui.painter().layout_no_wrap(widest_number, body_font.clone(), Color32::WHITE).size().x
            + CELL_PADDING)
            .max(24.0);

    // Only the columns that fit are laid out; the rest are reached with the column scrollbar
    // (or Shift+wheel), a column at a time. Scrolling the table sideways in a ScrollArea would
    // put the vertical scrollbar at the far right of all columns, out of sight.
    let spacing = ui.spacing().item_spacing;
    let widths: Vec<f32> = visible.iter().map(|&col| state.column_width(table, col)).collect();
    let data_width =
        ui.available_width() - ui.spacing().scroll.allocated_width() - row_number_width - spacing.x - 2.0;
    let mut window = ColumnWindow::fit(&widths, state.cache.first_column, data_width, spacing.x);
    // Shift+wheel (or a sideways swipe) over the table moves a column per notch. Taken before
    // the table is drawn, so that its vertical scroll area does not see it.
    if let Some(rect) = state.cache.table_rect
        && ui.rect_contains_pointer(rect)
    {
        let sideways = ui.input_mut(|input| std::mem::take(&mut input.smooth_scroll_delta.x));
        state.cache.sideways_scroll += sideways;
        let mut first = window.first;
        while state.cache.sideways_scroll <= -COLUMN_SCROLL_POINTS {
            state.cache.sideways_scroll += COLUMN_SCROLL_POINTS;
            first = (first + 1).min(window.max_first);
        }
        while state.cache.sideways_scroll >= COLUMN_SCROLL_POINTS {
            state.cache.sideways_scroll -= COLUMN_SCROLL_POINTS;
            first = first.saturating_sub(1);
        }
        if first != window.first {
            window = ColumnWindow::fit(&widths, first, data_width, spacing.x);
        }
    }
    state.cache.first_column = window.first;
    let on_screen = visible.get(window.first..window.end).unwrap_or_default();
    let scrollbar_height =
        if window.is_everything(visible.len()) { 0.0 } else { COLUMN_BAR_HEIGHT + spacing.y };

    let layout_key = (state.cache.table_epoch, on_screen.to_vec());
    let reset_layout = state.cache.layout_key.as_ref() != Some(&layout_key);
    state.cache.layout_key = Some(layout_key);

    let header_height = row_height + 2.0;
    let body_height = (ui.available_height() - header_height - spacing.y - scrollbar_height).max(row_height);
    let shift = ui.input(|input| input.modifiers.shift);
    let mut builder = TableBuilder::new(ui)
        .id_salt("inkeep_grid")
        .striped(true)
        .resizable(true)
        .sense(Sense::click_and_drag())
        .cell_layout(Layout::left_to_right(Align::Center))
        .min_scrolled_height(0.0)
        .max_scroll_height(body_height)
        .auto_shrink([false, false])
        .column(TableColumn::exact(row_number_width).resizable(false));
    for (index, &col) in on_screen.iter().enumerate() {
        let column = match window.partial_width {
            // The last column is cut at the edge: drawn narrower, not resizable, not remembered.
            Some(width) if index + 1 == on_screen.len() => TableColumn::initial(width).resizable(false),
            _ => TableColumn::initial(state.column_width(table, col)).resizable(true),
        };
        builder = builder.column(column.at_least(24.0).clip(true));
    }
    if reset_layout {
        // egui_extras keeps widths by column position: another set of columns (or a new
        // table) starts from our widths, remembered by name or measured from the content.
        builder.reset();
    }
    let table_response = builder
        .header(header_height, |mut header| {
            header.col(|ui| {
                ui.add(Label::new(RichText::new("#").weak()).selectable(false));
            });
            for &col in on_screen {
                header.col(|ui| header_cell(ui, table, col, state));
            }
        })
        .body(|body| {
            let remembered = if window.partial_width.is_some() {
                on_screen.get(..on_screen.len().saturating_sub(1)).unwrap_or_default()
            } else {
                on_screen
            };
            remember_widths(body.widths(), table, remembered, state);
            let frame = RowsFrame {
                view: TableView { table, rows: &view, columns: visible },
                on_screen,
                first_position: window.first,
                font: &body_font,
                shift,
            };
            body.rows(row_height, view.len(), |mut row| {
                let view_row = row.index();
                let Some(&table_row) = view.get(view_row) else { return };
                body_row(&mut row, &frame, state, view_row, table_row as usize, actions);
            });
        });

    state.cache.table_rect = Some(table_response.inner_rect);
    if scrollbar_height > 0.0
        && let Some(first) = column_scrollbar(ui, &window, visible.len())
    {
        state.cache.first_column = first;
    }
}

/// Height of the column scrollbar, in points.
const COLUMN_BAR_HEIGHT: f32 = 10.0;

/// Sideways scroll distance that moves the columns by one, in points.
const COLUMN_SCROLL_POINTS: f32 = 40.0;

/// Which visible columns are on screen: positions `first..end`, the last one possibly cut.
#[derive(Debug, Clone, Copy, PartialEq)]
struct ColumnWindow {
    first: usize,
    end: usize,
    /// Width of the last column when it does not fit whole.
    partial_width: Option<f32>,
    /// The largest `first` that still fills the width (everything from it to the end fits).
    max_first: usize,
}

impl ColumnWindow {
    /// Columns of `widths` from `first` (clamped so the end is never left blank) that fit in
    /// `available` points, `spacing` points apart.
    fn fit(widths: &[f32], first: usize, available: f32, spacing: f32) -> ColumnWindow {
        let count = widths.len();
        let mut max_first = count;
        let mut used = 0.0;
        while max_first > 0 {
            let width = widths.get(max_first - 1).copied().unwrap_or(0.0) + spacing;
            if used + width > available && max_first < count {
                break;
            }
            used += width;
            max_first -= 1;
        }
        let first = first.min(max_first);
        let mut end = first;
        let mut used = 0.0;
        let mut partial_width = None;
        while let Some(&width) = widths.get(end) {
            if used + width + spacing <= available {
                used += width + spacing;
                end += 1;
                continue;
            }
            // A column that does not fit whole still shows its start, if there is room for it.
            let rest = available - used - spacing;
            if rest >= MIN_COLUMN_WIDTH || end == first {
                partial_width = Some(rest.max(MIN_COLUMN_WIDTH));
                end += 1;
            }
            break;
        }
        ColumnWindow { first, end, partial_width, max_first }
    }

    /// True when all `count` columns are on screen, whole.
    fn is_everything(&self, count: usize) -> bool {
        self.first == 0 && self.end >= count && self.partial_width.is_none()
    }
}

/// A horizontal bar under the table showing which columns are on screen; dragging or clicking
/// it picks the first column shown.
fn column_scrollbar(ui: &mut Ui, window: &ColumnWindow, count: usize) -> Option<usize> {
    let width = ui.available_width() - ui.spacing().scroll.allocated_width();
    let (rect, response) =
        ui.allocate_exact_size(egui::vec2(width, COLUMN_BAR_HEIGHT), Sense::click_and_drag());
    let response = response.on_hover_text("Scroll the columns (or Shift+wheel over the table)");
    let shown = (window.end - window.first).max(1) as f32;
    let handle_width = (rect.width() * shown / count.max(1) as f32).clamp(24.0, rect.width());
    let travel = (rect.width() - handle_width).max(1.0);
    let fraction = if window.max_first == 0 { 0.0 } else { window.first as f32 / window.max_first as f32 };
    let handle = egui::Rect::from_min_size(
        egui::pos2(rect.left() + travel * fraction.clamp(0.0, 1.0), rect.top()),
        egui::vec2(handle_width, rect.height()),
    );
    let visuals = ui.visuals();
    let handle_color = if response.dragged() || response.hovered() {
        visuals.widgets.hovered.bg_fill
    } else {
        visuals.widgets.inactive.bg_fill
    };
    let radius = rect.height() / 2.0;
    ui.painter().rect_filled(rect, radius, visuals.extreme_bg_color);
    ui.painter().rect_filled(handle, radius, handle_color);
    if !(response.dragged() || response.clicked()) {
        return None;
    }
    let pointer = response.interact_pointer_pos()?;
    let fraction = ((pointer.x - rect.left() - handle_width / 2.0) / travel).clamp(0.0, 1.0);
    Some((fraction * window.max_first as f32).round() as usize)
}

/// Keeps widths the user dragged, by name; widths equal to the measured ones are not stored,
/// so a later result with other content gets widths that fit it.
fn remember_widths(widths: &[f32], table: &ResultTable, visible: &[usize], state: &mut GridState) {
    for (&col, &width) in visible.iter().zip(widths.iter().skip(1)) {
        let Some(name) = table.column(col).map(|c| c.name()) else { continue };
        let measured = state.cache.content_widths.get(col).copied().unwrap_or(MIN_COLUMN_WIDTH);
        let known = state.column_widths.get(name).copied().unwrap_or(measured);
        if (known - width).abs() > 0.5 {
            state.column_widths.insert(name.to_string(), width);
        }
    }
}

fn header_cell(ui: &mut Ui, table: &ResultTable, col: usize, state: &mut GridState) {
    let Some(column) = table.column(col) else { return };
    let name = column.name();
    let local: &[GridSortKey] = if state.sorts_locally(table) { &state.sort } else { &[] };
    let text = header_label(name, local, &state.server_order);
    let order = if !local.is_empty() {
        "\nSorted here, in the grid (⏶ ⏷), not by the server"
    } else if state.server_order.iter().any(|key| key.column == name) {
        "\nIn the server's order (⬆ ⬇, the query's Order by)"
    } else {
        ""
    };
    let response = ui
        .add(egui::Button::new(RichText::new(text).strong()).frame(false).truncate())
        .on_hover_text(format!(
            "{name} ({}){order}\nClick to sort in the grid; Shift+click to add a sort key",
            column.column_type().as_str()
        ));
    if response.clicked() {
        if ui.input(|input| input.modifiers.shift) {
            state.shift_click_header(name);
        } else {
            state.click_header(name);
        }
        ui.ctx().request_repaint();
    }
    response.context_menu(|ui| {
        if ui.button("Sort ascending").clicked() {
            state.sort = vec![GridSortKey { column: name.to_string(), descending: false }];
            ui.close();
        }
        if ui.button("Sort descending").clicked() {
            state.sort = vec![GridSortKey { column: name.to_string(), descending: true }];
            ui.close();
        }
        if !state.sort.is_empty() && ui.button("Clear sort").clicked() {
            state.sort.clear();
            ui.close();
        }
        if ui.button("Hide column").clicked() {
            state.hidden_columns.insert(name.to_string());
            ui.close();
        }
    });
}

/// What every row of one frame shares.
#[derive(Clone, Copy)]
struct RowsFrame<'a> {
    /// The table, the rows of the view and every visible column (selections span these).
    view: TableView<'a>,
    /// The visible columns on screen: `view.columns[first_position..]`.
    on_screen: &'a [usize],
    first_position: usize,
    /// Shift is held (read once per frame, not once per cell).
    shift: bool,
    font: &'a egui::FontId,
}

fn body_row(
    row: &mut TableRow<'_, '_>,
    frame: &RowsFrame<'_>,
    state: &mut GridState,
    view_row: usize,
    table_row: usize,
    actions: &mut Vec<GridAction>,
) {
    let RowsFrame { view, on_screen, first_position, font, shift } = *frame;
    let TableView { table, columns: visible, .. } = view;
    row.set_selected(state.is_selected(view_row, None, visible));
    let (_, number) = row.col(|ui| {
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
            ui.add(Label::new(RichText::new(thousands(view_row as u64 + 1)).weak()).selectable(false));
        });
    });
    if number.clicked() {
        state.selection = Some(match state.selection {
            Some(GridSelection::Rows { anchor, .. }) if shift => {
                GridSelection::Rows { anchor, focus: view_row }
            }
            _ => GridSelection::Rows { anchor: view_row, focus: view_row },
        });
        // Selecting a row shows it in full.
        state.detail.open(table, table_row as u32);
    }
    row_context_menu(&number, view, state, None, table_row, actions);

    for (index, &col) in on_screen.iter().enumerate() {
        let position = first_position + index;
        row.set_selected(state.is_selected(view_row, Some(position), visible));
        let (_, response) = row.col(|ui| cell_ui(ui, table, table_row, col));
        let here = GridCell { view_row, column: col };
        if response.drag_started() {
            state.selection = Some(GridSelection::Cells { anchor: here, focus: here });
            state.cache.drag_selecting = true;
        } else if response.clicked() {
            state.selection = Some(match state.selection {
                Some(GridSelection::Cells { anchor, .. }) if shift => {
                    GridSelection::Cells { anchor, focus: here }
                }
                _ => GridSelection::Cells { anchor: here, focus: here },
            });
            // An open panel follows the row clicked; a double click opens it.
            if response.double_clicked() {
                state.detail.open(table, table_row as u32);
            } else {
                state.detail.follow(table, table_row as u32);
            }
        } else if response.secondary_clicked() && !state.is_selected(view_row, Some(position), visible) {
            state.selection = Some(GridSelection::Cells { anchor: here, focus: here });
        }
        // While a drag that started on a cell goes on, the cell under the pointer is the corner.
        if state.cache.drag_selecting
            && response.contains_pointer()
            && let Some(GridSelection::Cells { focus, .. }) = state.selection.as_mut()
        {
            *focus = here;
        }
        cell_tooltip(&response, table, table_row, col, font);
        row_context_menu(&response, view, state, Some(col), table_row, actions);
    }
}

/// The menu of a row number (`col` is `None`) or of a cell.
fn row_context_menu(
    response: &egui::Response,
    view: TableView<'_>,
    state: &mut GridState,
    col: Option<usize>,
    table_row: usize,
    actions: &mut Vec<GridAction>,
) {
    let table = view.table;
    response.context_menu(|ui| {
        if ui.button("Show row details").clicked() {
            state.detail.open(table, table_row as u32);
            ui.close();
        }
        ui.separator();
        if let Some(col) = col
            && ui.button("Copy value").clicked()
        {
            copy_text(ui, cell_copy_text(table, table_row, col).into_owned(), actions);
            ui.close();
        }
        if state.drillable && ui.button(ROWS_BEHIND_LABEL).clicked() {
            actions.push(GridAction::DrillDown(table_row));
            ui.close();
        }
        if let Some(from) = state.source_view {
            links_menu_ui(ui, table, table_row, from, actions);
        }
        if ui.button("Copy row as JSON").clicked() {
            copy_text(ui, row_json(table, table_row), actions);
            ui.close();
        }
        if let Some(col) = col
            && ui.button("Copy column").clicked()
        {
            copy_text(ui, column_to_tsv(table, view.rows, col, false), actions);
            ui.close();
        }
        if state.selection.is_some() {
            ui.separator();
            if ui.button("Copy selection").clicked() {
                if let Some(text) = state.selection_tsv(table, false) {
                    copy_text(ui, text, actions);
                }
                ui.close();
            }
            if ui.button("Copy selection with header").clicked() {
                if let Some(text) = state.selection_tsv(table, true) {
                    copy_text(ui, text, actions);
                }
                ui.close();
            }
        }
    });
}

fn cell_ui(ui: &mut Ui, table: &ResultTable, row: usize, col: usize) {
    let cell = cell_shown(table, row, col);
    let text = if cell.null { RichText::new("null").weak().italics() } else { RichText::new(cell.text) };
    let label = Label::new(text).selectable(false).truncate().show_tooltip_when_elided(false);
    if cell.numeric {
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| ui.add(label));
    } else {
        ui.add(label);
    }
}

/// The hover of a cell: a bucket's span and raw value, an instant's RFC 3339 form and local
/// time, a boolean's `true` / `false`, and the whole value when the cell shows less than all of
/// it (a rounded float, a cut or multi-line text, a summarised JSON array, or a text elided by
/// the column's width), JSON pretty-printed.
fn cell_tooltip(response: &egui::Response, table: &ResultTable, row: usize, col: usize, font: &egui::FontId) {
    if !response.hovered() {
        return;
    }
    let tooltip = match table.cell(row, col) {
        CellRef::Null | CellRef::Int(_) => None,
        CellRef::Bool(value) => Some(if value { "true".to_string() } else { "false".to_string() }),
        CellRef::Timestamp(millis) => Some(match table.column(col).and_then(bucket_unit) {
            Some(unit) => format!("{}\n{}", long_bucket_label(unit, millis), table.cell_text(row, col)),
            None => timestamp_hover(millis),
        }),
        CellRef::Float(_) | CellRef::Text(_) | CellRef::Json(_) => {
            let shown = cell_shown(table, row, col);
            let elided = shown.partial
                || response.ctx.fonts_mut(|fonts| {
                    fonts.layout_no_wrap(shown.text.into_owned(), font.clone(), Color32::WHITE).size().x
                }) > response.rect.width() - 2.0;
            elided.then(|| cell_hover_value(table, row, col, MAX_TOOLTIP_CHARS))
        }
    };
    if let Some(tooltip) = tooltip {
        response.clone().on_hover_text(tooltip);
    }
}

/// Initial width of every column: the widest of its header (with room for a sort marker)
/// and the displayed text of the first rows, within bounds.
fn content_widths(ui: &Ui, table: &ResultTable) -> Vec<f32> {
    let font = TextStyle::Body.resolve(ui.style());
    let sample_rows = table.row_count().min(WIDTH_SAMPLE_ROWS);
    (0..table.column_count())
        .map(|col| {
            let header = table.column(col).map_or(String::new(), |c| format!("{} ⏶9", c.name()));
            let mut longest = header;
            let mut longest_chars = longest.chars().count();
            for row in 0..sample_rows {
                let cell = cell_shown(table, row, col);
                let chars = cell.text.chars().count();
                if chars > longest_chars {
                    longest_chars = chars;
                    longest = cell.text.into_owned();
                }
            }
            let width = ui.painter().layout_no_wrap(longest, font.clone(), Color32::WHITE).size().x;
            (width + CELL_PADDING).clamp(MIN_COLUMN_WIDTH, MAX_INITIAL_COLUMN_WIDTH)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_boolean_marks_have_glyphs_in_the_fonts_the_window_uses() {
        let ctx = egui::Context::default();
        // Fonts are loaded by the first pass.
        let mut output = ctx.run_ui(Default::default(), |_| {});
        output.textures_delta.clear();
        let font = egui::FontId::proportional(14.0);
        for mark in [crate::data::display::TRUE_MARK, crate::data::display::FALSE_MARK, "·", "…"] {
            for c in mark.chars() {
                assert!(ctx.fonts_mut(|fonts| fonts.has_glyph(&font, c)), "no glyph for {c:?}");
            }
        }
    }

    #[test]
    fn headers_tell_the_servers_order_from_the_grids() {
        let server = [GridSortKey { column: "count_id".into(), descending: true }];
        // No local sort: the server's marker, under the display name.
        assert_eq!(header_label("count_id", &[], &server), "count ⬇");
        assert_eq!(header_label("type", &[], &server), "type");
        // A local sort replaces the server's markers everywhere.
        let local = [GridSortKey { column: "type".into(), descending: false }];
        assert_eq!(header_label("count_id", &local, &server), "count");
        assert_eq!(header_label("type", &local, &server), "type ⏶");
        assert_eq!(column_display_name("count_id"), "count");
        assert_eq!(column_display_name("count"), "count");
        assert_eq!(column_display_name("sum_userMessageCount"), "sum_userMessageCount");
    }

    #[test]
    fn header_clicks_cycle_and_shift_adds_keys() {
        let mut state = GridState::default();
        state.click_header("a");
        assert_eq!(header_label("a", &state.sort, &[]), "a ⏶");
        state.click_header("a");
        assert_eq!(header_label("a", &state.sort, &[]), "a ⏷");
        state.click_header("a");
        assert!(state.sort.is_empty());
        state.click_header("a");
        state.shift_click_header("b");
        assert_eq!(header_label("a", &state.sort, &[]), "a ⏶1");
        assert_eq!(header_label("b", &state.sort, &[]), "b ⏶2");
        state.shift_click_header("b");
        assert_eq!(header_label("b", &state.sort, &[]), "b ⏷2");
        state.shift_click_header("b");
        assert_eq!(header_label("a", &state.sort, &[]), "a ⏶");
        assert_eq!(header_label("b", &state.sort, &[]), "b");
        // A plain click on a column of a multi-key sort starts over with it alone.
        state.shift_click_header("b");
        state.click_header("b");
        assert_eq!(state.sort, vec![GridSortKey { column: "b".into(), descending: false }]);
    }

    #[test]
    fn the_column_window_fits_the_width_and_never_leaves_the_end_blank() {
        let widths = [100.0, 100.0, 100.0, 100.0];
        // Everything fits.
        let all = ColumnWindow::fit(&widths, 0, 500.0, 10.0);
        assert_eq!((all.first, all.end, all.partial_width, all.max_first), (0, 4, None, 0));
        assert!(all.is_everything(4));
        // Two whole columns (220 points) and 80 points of the third.
        let start = ColumnWindow::fit(&widths, 0, 310.0, 10.0);
        assert_eq!((start.first, start.end, start.partial_width), (0, 3, Some(80.0)));
        assert_eq!(start.max_first, 2);
        assert!(!start.is_everything(4));
        // Scrolled past the end: clamped to the last two, whole.
        let end = ColumnWindow::fit(&widths, 9, 310.0, 10.0);
        assert_eq!((end.first, end.end, end.partial_width), (2, 4, None));
        // A column wider than the screen is still shown, cut.
        let wide = ColumnWindow::fit(&[900.0], 0, 300.0, 10.0);
        assert_eq!((wide.first, wide.end, wide.partial_width), (0, 1, Some(290.0)));
    }

    #[test]
    fn persisted_state_loads_from_older_files() {
        let state: GridState = serde_json::from_str(r#"{"search_text":"abc"}"#).unwrap();
        assert_eq!(state.search_text, "abc");
        assert!(state.sort.is_empty() && state.hidden_columns.is_empty());
        let back: GridState = serde_json::from_str(&serde_json::to_string(&state).unwrap()).unwrap();
        assert_eq!(back.search_text, "abc");
    }
}
