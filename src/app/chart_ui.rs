//! The Chart tab: the result's series over time buckets (or bars by a group-by column),
//! drawn with `egui_plot`.
//!
//! What is drawn comes from [`data::series`](crate::data::series) through a
//! [`SeriesCache`], so a frame never re-derives it. This module only lays it out:
//!
//! - the x axis is the bucket index (one unit per bucket, so months of any length are equally
//!   wide); its grid marks and tick labels are [`time_axis`](crate::app::time_axis)'s, which
//!   keeps labels of different calendar levels from overlapping;
//! - lines, grouped bars, stacked bars or stacked areas; a log scale draws `log10` of the
//!   values with real values on the axis (zeros cannot be drawn on it and are left out);
//! - partial buckets: dashed line segments, lighter bars, a shaded band labelled "partial";
//! - hovering shows every series' value at the bucket under the pointer;
//! - the legend hides a series on click (remembered in [`ChartSettings::hidden_series`]);
//!   zoom, pan and double-click reset are the plot's own.
//!
//! The UI never changes anything but its settings: adding a day bucket and exports are
//! returned as [`ChartAction`]s for the shell.

use std::collections::BTreeSet;

use egui::{Align2, Color32, RichText, Stroke, TextStyle, Ui};
use egui_plot::{
    Bar, BarChart, ColorConflictHandling, FilledArea, GridInput, GridMark, ItemId, Legend, Line, LineStyle,
    Plot, PlotMemory, PlotPoint, PlotPoints, PlotUi, Points, Span, Text,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::api::query::{QueryBody, TimeUnit};
use crate::app::compare_model::PreviousLine;
use crate::app::drill_ui::{PickKind, PlotDrill, PointerOnPlot, pick_series, plot_drill_ui};
use crate::app::time_axis::{GRID_SPACING_MAX, GRID_SPACING_MIN, XAxis, x_grid_marks, x_tick_label};
pub use crate::app::time_axis::{long_bucket_label, short_bucket_label};
use crate::data::ResultTable;
use crate::data::compare::Change;
use crate::data::drill::ChartPoint;
use crate::data::series::{
    CategoryData, Chart, ChartData, DEFAULT_TOP_N, MeasureKind, NoChart, Series, SeriesCache, SeriesOptions,
    bucket_end,
};
use crate::data::table::write_float;

/// The most series (or bars) the top-N control allows.
pub const MAX_TOP_N: usize = 50;

/// How the series are drawn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ChartKind {
    /// One line per series.
    #[default]
    Line,
    /// Bars side by side within each bucket.
    Bars,
    /// Bars stacked within each bucket.
    StackedBars,
    /// Areas stacked on each other.
    StackedArea,
}

impl ChartKind {
    /// Every kind, in the order the toolbar offers them.
    pub const ALL: [ChartKind; 4] =
        [ChartKind::Line, ChartKind::Bars, ChartKind::StackedBars, ChartKind::StackedArea];

    /// The toolbar label.
    pub fn label(self) -> &'static str {
        match self {
            ChartKind::Line => "Line",
            ChartKind::Bars => "Bars",
            ChartKind::StackedBars => "Stacked bars",
            ChartKind::StackedArea => "Stacked area",
        }
    }

    fn is_stacked(self) -> bool {
        matches!(self, ChartKind::StackedBars | ChartKind::StackedArea)
    }
}

/// UI-owned chart settings (persisted with `serde(default)`, so new fields load from old files).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChartSettings {
    /// How the series are drawn.
    pub kind: ChartKind,
    /// The measure column to chart; the first one when `None` or absent from the result.
    pub measure: Option<String>,
    /// Series (and bars of a category chart) kept before the rest is folded into "Other".
    pub top_n: usize,
    /// Fill buckets without data with zero (counts and sums); gaps otherwise.
    pub fill_gaps: bool,
    /// Draw values on a log10 scale.
    pub log_scale: bool,
    /// Series hidden through the legend, by name (kept across results with the same names).
    pub hidden_series: BTreeSet<String>,
}

impl Default for ChartSettings {
    fn default() -> Self {
        ChartSettings {
            kind: ChartKind::Line,
            measure: None,
            top_n: DEFAULT_TOP_N,
            fill_gaps: true,
            log_scale: false,
            hidden_series: BTreeSet::new(),
        }
    }
}

impl ChartSettings {
    /// The settings that change what is derived.
    pub fn series_options(&self) -> SeriesOptions {
        SeriesOptions {
            measure: self.measure.clone(),
            top_n: self.top_n.clamp(1, MAX_TOP_N),
            fill_gaps: self.fill_gaps,
        }
    }
}

/// What the chart asks the shell to do.
#[derive(Clone, Debug, PartialEq)]
pub enum ChartAction {
    /// Add `{type:"time", timeUnit:"day"}` to the query and run it.
    AddDayBucket,
    /// Save this part of the window (the plot with its axes and legend, in points) as a PNG.
    ExportPng {
        /// The plot's rectangle.
        rect: egui::Rect,
    },
    /// Save this CSV of the series (bucket in RFC 3339, then one column per series).
    ExportSeriesCsv(String),
    /// Open the rows behind a point, a bar or a whole series in a new tab.
    DrillDown(ChartPoint),
}

/// Draws the Chart tab for `table` (the result of `query`) and returns what the shell should do.
/// `now` decides whether the last bucket is over (partial).
pub fn chart_ui(
    ui: &mut Ui,
    table: Option<&ResultTable>,
    query: &QueryBody,
    series_cache: &mut SeriesCache,
    settings: &mut ChartSettings,
    now: Timestamp,
) -> Vec<ChartAction> {
    chart_ui_with_previous(ui, table, query, series_cache, settings, now, &[])
}

/// [`chart_ui`] with a comparison's previous period drawn dashed over the series of the
/// same name, aligned on the current period's buckets (see `compare_model`).
pub fn chart_ui_with_previous(
    ui: &mut Ui,
    table: Option<&ResultTable>,
    query: &QueryBody,
    series_cache: &mut SeriesCache,
    settings: &mut ChartSettings,
    now: Timestamp,
    previous: &[PreviousLine],
) -> Vec<ChartAction> {
    let mut actions = Vec::new();
    let options = settings.series_options();
    let chart = series_cache.get(table, query, &options, now);
    let view = match chart {
        Chart::Unavailable(reason) => {
            unavailable_ui(ui, *reason, &mut actions);
            return actions;
        }
        Chart::Time(data) => View::time(data),
        Chart::Category(data) => View::category(data),
    };
    let toolbar = toolbar_ui(ui, &view, settings);
    info_ui(ui, &view, settings, now);
    let (plot_rect, drill) = plot_ui(ui, &view, settings, previous);
    actions.extend(drill.map(ChartAction::DrillDown));
    if toolbar.export_png {
        actions.push(ChartAction::ExportPng { rect: plot_rect });
    }
    if toolbar.export_csv {
        actions.push(ChartAction::ExportSeriesCsv(view.to_csv()));
    }
    actions
}

fn unavailable_ui(ui: &mut Ui, reason: NoChart, actions: &mut Vec<ChartAction>) {
    ui.add_space(24.0);
    ui.vertical_centered(|ui| {
        ui.set_max_width(560.0);
        ui.label(RichText::new("Nothing to chart yet").heading());
        ui.add_space(8.0);
        ui.label(reason.message());
        if reason.offers_day_bucket() {
            ui.add_space(12.0);
            let button = ui.button("Add a day bucket").on_hover_text(
                "Adds a day time bucket (firstMessageTime, UTC days) to the query and runs it",
            );
            if button.clicked() {
                actions.push(ChartAction::AddDayBucket);
            }
        }
    });
}

/// What the UI needs of a chart, whatever its kind.
struct View<'a> {
    axis: XAxis<'a>,
    series: &'a [Series],
    measure: &'a str,
    measure_kind: MeasureKind,
    measures: &'a [String],
    time: Option<&'a ChartData>,
    category: Option<&'a CategoryData>,
}

impl<'a> View<'a> {
    fn time(data: &'a ChartData) -> View<'a> {
        View {
            axis: XAxis::Time { unit: data.unit, buckets: &data.buckets },
            series: &data.series,
            measure: &data.measure,
            measure_kind: data.measure_kind,
            measures: &data.measures,
            time: Some(data),
            category: None,
        }
    }

    fn category(data: &'a CategoryData) -> View<'a> {
        View {
            axis: XAxis::Category { column: &data.column, labels: &data.categories },
            series: &data.series,
            measure: &data.measure,
            measure_kind: data.measure_kind,
            measures: &data.measures,
            time: None,
            category: Some(data),
        }
    }

    fn is_partial(&self, index: usize) -> bool {
        self.time.is_some_and(|data| data.is_partial(index))
    }

    /// The kind actually drawn: a category chart has bars only.
    fn effective_kind(&self, kind: ChartKind) -> ChartKind {
        match (self.category.is_some(), kind) {
            (true, ChartKind::Line) => ChartKind::Bars,
            (true, ChartKind::StackedArea) => ChartKind::StackedBars,
            (_, kind) => kind,
        }
    }

    fn to_csv(&self) -> String {
        match (self.time, self.category) {
            (Some(data), _) => data.to_csv(),
            (None, Some(data)) => data.to_csv(),
            (None, None) => String::new(),
        }
    }
}

/// Buttons clicked in the toolbar this frame.
struct Toolbar {
    export_png: bool,
    export_csv: bool,
}

fn toolbar_ui(ui: &mut Ui, view: &View<'_>, settings: &mut ChartSettings) -> Toolbar {
    let mut toolbar = Toolbar { export_png: false, export_csv: false };
    ui.horizontal_wrapped(|ui| {
        let kinds: &[ChartKind] = if view.category.is_some() {
            &[ChartKind::Bars, ChartKind::StackedBars]
        } else {
            &ChartKind::ALL
        };
        let mut shown = view.effective_kind(settings.kind);
        for &kind in kinds {
            if ui.selectable_value(&mut shown, kind, kind.label()).clicked() {
                settings.kind = kind;
            }
        }
        ui.separator();
        if view.measures.len() > 1 {
            let mut measure = view.measure.to_string();
            egui::ComboBox::from_label("Measure").selected_text(measure.as_str()).show_ui(ui, |ui| {
                for name in view.measures {
                    ui.selectable_value(&mut measure, name.clone(), name.as_str());
                }
            });
            if measure != view.measure {
                settings.measure = Some(measure);
            }
            ui.separator();
        }
        let label = ui.label("Top");
        let mut top_n = settings.top_n.clamp(1, MAX_TOP_N);
        ui.add(egui::DragValue::new(&mut top_n).range(1..=MAX_TOP_N))
            .labelled_by(label.id)
            .on_hover_text("How many series (or bars) to keep; the rest is summed into \"Other\"");
        settings.top_n = top_n;
        ui.label(if view.category.is_some() { "bars" } else { "series" });
        if view.time.is_some() {
            ui.checkbox(&mut settings.fill_gaps, "Fill gaps with zero").on_hover_text(
                "Buckets without data count as 0 (counts and sums); off, they are left as gaps in the lines",
            );
        }
        ui.checkbox(&mut settings.log_scale, "Log scale").on_hover_text(
            "Draw values on a logarithmic scale; zeros cannot be drawn on it and are left out",
        );
        ui.separator();
        toolbar.export_png = ui
            .button("Export PNG")
            .on_hover_text("Save the chart as it is on screen as a PNG image")
            .clicked();
        toolbar.export_csv = ui
            .button("Export CSV")
            .on_hover_text(
                "Save the charted series as CSV: the bucket (UTC: 2026-06-08, 2026-06, 2026-06-08 14:00 UTC), then one column per series",
            )
            .clicked();
    });
    toolbar
}

/// A line saying what is drawn, in which units, and what is folded, partial or left out.
fn info_ui(ui: &mut Ui, view: &View<'_>, settings: &ChartSettings, now: Timestamp) {
    let mut parts: Vec<String> = Vec::new();
    match (view.axis, view.time, view.category) {
        (XAxis::Time { unit, .. }, Some(data), _) => {
            parts.push(format!("{} per {}", view.measure, unit_phrase(unit)));
            parts.push(count_phrase(data.series.len(), "series", "series"));
            if data.folded_series_count > 0 {
                parts.push(format!(
                    "top {} of {} series, {} summed into \"Other\"",
                    data.series.len() - 1,
                    data.series_count_before_folding,
                    data.folded_series_count
                ));
            }
            if !data.complete_axis {
                parts.push("too many buckets to fill gaps: only buckets with data are shown".to_string());
            }
            if data.skipped_row_count > 0 {
                parts.push(count_phrase(
                    data.skipped_row_count,
                    "row without a bucket left out",
                    "rows without a bucket left out",
                ));
            }
        }
        (XAxis::Category { column, .. }, _, Some(data)) => {
            parts.push(format!("{} by {}", view.measure, column));
            if data.folded_category_count > 0 {
                parts.push(format!(
                    "top {} of {} values, {} summed into \"Other\"",
                    data.categories.len() - 1,
                    data.category_count_before_folding,
                    data.folded_category_count
                ));
            }
            if data.folded_series_count > 0 {
                parts.push(format!("{} series summed into \"Other\"", data.folded_series_count));
            }
        }
        _ => {}
    }
    if settings.log_scale {
        parts.push("log scale".to_string());
    }
    ui.label(RichText::new(parts.join(" · ")).weak());
    if let Some(note) = view.time.and_then(|data| partial_note(data, now)) {
        ui.label(RichText::new(note).weak());
    }
}

fn count_phrase(count: usize, one: &str, many: &str) -> String {
    if count == 1 { format!("1 {one}") } else { format!("{count} {many}") }
}

/// "partial: the last bucket (…) is not over yet" for the partial buckets, if any.
fn partial_note(data: &ChartData, now: Timestamp) -> Option<String> {
    let mut notes = Vec::new();
    if let (true, Some(&first)) = (data.partial_first, data.buckets.first()) {
        notes.push(format!(
            "the first bucket ({}) starts before the time filter",
            short_bucket_label(data.unit, first)
        ));
    }
    if let (true, Some(&last)) = (data.partial_last, data.buckets.last()) {
        let why = if now.as_millisecond() < bucket_end(data.unit, last) {
            "is not over yet"
        } else {
            "ends after the time filter"
        };
        notes.push(format!("the last bucket ({}) {why}", short_bucket_label(data.unit, last)));
    }
    (!notes.is_empty()).then(|| format!("Partial (dashed or lighter): {}.", notes.join("; ")))
}

/// The unit with its time zone: "day (UTC)", "week (starting Monday, UTC)"…
fn unit_phrase(unit: TimeUnit) -> &'static str {
    match unit {
        TimeUnit::Hour => "hour (UTC)",
        TimeUnit::Day => "day (UTC)",
        TimeUnit::Week => "week (starting Monday, UTC)",
        TimeUnit::Month => "month (UTC)",
    }
}

// ---------------------------------------------------------------------------------------
// The plot.

/// A palette that stays distinguishable for the top ten; "Other" is grey.
const PALETTE: [Color32; 10] = [
    Color32::from_rgb(0x4E, 0x79, 0xA7),
    Color32::from_rgb(0xF2, 0x8E, 0x2B),
    Color32::from_rgb(0xE1, 0x57, 0x59),
    Color32::from_rgb(0x76, 0xB7, 0xB2),
    Color32::from_rgb(0x59, 0xA1, 0x4F),
    Color32::from_rgb(0xED, 0xC9, 0x48),
    Color32::from_rgb(0xB0, 0x7A, 0xA1),
    Color32::from_rgb(0xFF, 0x9D, 0xA7),
    Color32::from_rgb(0x9C, 0x75, 0x5F),
    Color32::from_rgb(0x6B, 0x6E, 0xCF),
];
const OTHER_COLOR: Color32 = Color32::from_rgb(0x99, 0x99, 0x99);

fn series_color(index: usize, series: &Series) -> Color32 {
    if series.is_other {
        return OTHER_COLOR;
    }
    let base = PALETTE.get(index % PALETTE.len()).copied().unwrap_or(OTHER_COLOR);
    // Past the palette, darker variants keep neighbours apart.
    if index >= PALETTE.len() {
        base.gamma_multiply(0.7 - 0.2 * ((index / PALETTE.len()) % 2) as f32)
    } else {
        base
    }
}

/// Plot values: linear, or log10 with a floor for the bases of bars and stacks.
#[derive(Clone, Copy)]
struct Scale {
    log: bool,
    floor: f64,
}

impl Scale {
    fn new(log: bool, series: &[Series], visible: &[bool]) -> Scale {
        if !log {
            return Scale { log, floor: 0.0 };
        }
        let mut smallest = f64::INFINITY;
        for (s, _) in series.iter().zip(visible).filter(|(_, v)| **v) {
            for value in s.values.iter().flatten() {
                if *value > 0.0 {
                    smallest = smallest.min(*value);
                }
            }
        }
        // Stacks only grow, so the smallest single value is also the smallest stack height.
        let floor = if smallest.is_finite() { smallest.log10().floor() } else { 0.0 };
        Scale { log, floor }
    }

    /// The plotted y of a value; `None` when a log scale cannot show it.
    fn y(self, value: f64) -> Option<f64> {
        if !self.log {
            Some(value)
        } else if value > 0.0 {
            Some(value.log10())
        } else {
            None
        }
    }

    /// The plotted y of a stack height (never below the floor).
    fn stack_y(self, height: f64) -> f64 {
        self.y(height).map_or(self.floor, |y| y.max(self.floor))
    }

    /// The real value at plotted `y`.
    fn value(self, y: f64) -> f64 {
        if self.log { 10f64.powf(y) } else { y }
    }
}

/// Draws the plot and returns its rectangle (axes and legend included) and the point whose
/// rows were asked for (`drill_ui`).
fn plot_ui(
    ui: &mut Ui,
    view: &View<'_>,
    settings: &mut ChartSettings,
    previous_period: &[PreviousLine],
) -> (egui::Rect, Option<ChartPoint>) {
    let kind = view.effective_kind(settings.kind);
    let visible: Vec<bool> = view.series.iter().map(|s| !settings.hidden_series.contains(&s.name)).collect();
    let scale = Scale::new(settings.log_scale, view.series, &visible);
    let plot_id = ui.make_persistent_id("inkeep_chart_plot");
    let count = view.axis.len();

    // A new axis (another result, unit or length) starts unzoomed.
    let signature = match view.axis {
        XAxis::Time { unit, buckets } => (unit.as_str(), count, buckets.first().copied().unwrap_or_default()),
        XAxis::Category { .. } => ("category", count, 0),
    };
    let signature_id = plot_id.with("axis_signature");
    let previous = ui.data(|data| data.get_temp::<(&'static str, usize, i64)>(signature_id));
    ui.data_mut(|data| data.insert_temp(signature_id, signature));

    let hidden_ids: Vec<ItemId> = view
        .series
        .iter()
        .filter(|s| settings.hidden_series.contains(&s.name))
        .map(|s| ItemId::new(&s.name))
        .collect();
    let legend = Legend::default()
        .follow_insertion_order(true)
        .color_conflict_handling(ColorConflictHandling::PickFirst)
        .hidden_items(hidden_ids);

    let axis = view.axis;
    let layout = Layout { horizontal: view.category.is_some(), count };
    // Tick labels are measured as egui_plot draws them (body text), so they can be kept apart.
    let painter = ui.painter().clone();
    let font = TextStyle::Body.resolve(ui.style());
    let label_width =
        move |text: &str| painter.layout_no_wrap(text.to_owned(), font.clone(), Color32::WHITE).size().x;
    let mut plot = Plot::new("inkeep_chart_plot")
        .id(plot_id)
        .grid_spacing(GRID_SPACING_MIN..=GRID_SPACING_MAX)
        .legend(legend)
        .show_x(false)
        .show_y(false)
        .min_size(egui::vec2(240.0, 160.0))
        // Leave room for the line of hints below the plot.
        .height((ui.available_height() - hint_height(ui)).max(160.0));
    if layout.horizontal {
        // Categories read best as horizontal bars: their labels fit on the y axis.
        plot = plot
            .x_axis_label(y_axis_title(view, settings.log_scale))
            .y_axis_label(x_axis_title(view))
            .y_axis_formatter(move |mark, _| x_tick_label(axis, layout.mark_at_index(mark)))
            .y_grid_spacer(move |input| {
                layout.marks_from_index(x_grid_marks(axis, layout.input_in_index(input), &label_width))
            })
            .include_y(-0.5)
            .include_y(count as f64 - 0.5)
            .include_x(scale.floor);
        if scale.log {
            plot = plot
                .x_axis_formatter(move |mark, _| format_value(scale.value(mark.value)))
                .x_grid_spacer(log_grid_marks);
        }
    } else {
        plot = plot
            .x_axis_label(x_axis_title(view))
            .y_axis_label(y_axis_title(view, settings.log_scale))
            .x_axis_formatter(move |mark, _| x_tick_label(axis, mark))
            .x_grid_spacer(move |input| x_grid_marks(axis, input, &label_width))
            .include_x(-0.5)
            .include_x(count as f64 - 0.5)
            .include_y(scale.floor);
        if scale.log {
            plot = plot
                .y_axis_formatter(move |mark, _| format_value(scale.value(mark.value)))
                .y_grid_spacer(log_grid_marks);
        }
    }
    if previous != Some(signature) {
        plot = plot.reset();
    }

    let scope = ui.scope(|ui| {
        plot.show(ui, |plot_ui| {
            let hovered = hovered_index(plot_ui, layout);
            if let Some(index) = hovered {
                let highlight = ui_highlight_color(plot_ui.ctx());
                let at = layout.position(index);
                let axis = if layout.horizontal { egui_plot::Axis::Y } else { egui_plot::Axis::X };
                plot_ui.add(Span::new("", at - 0.5..=at + 0.5).axis(axis).fill(highlight));
            }
            add_series_items(plot_ui, view, &visible, kind, scale, layout);
            add_previous_lines(plot_ui, view, &visible, scale, previous_period);
            (hovered, plot_ui.pointer_coordinate(), plot_ui.transform().dvalue_dpos())
        })
    });
    let response = scope.inner;
    let (hovered, pointer, units_per_point) = response.inner;
    let drill =
        plot_drill(view, &visible, PlotPointer { hovered, pointer, units_per_point, kind, scale, layout });
    // A series item under the pointer is, in practice, its legend entry (the plot's own
    // items do not take hover; the tooltip lists every series instead).
    let legend_series = response
        .hovered_plot_item
        .and_then(|item| view.series.iter().position(|series| ItemId::new(&series.name) == item));
    let drill =
        plot_drill_ui(&response.response, PlotDrill { series: view.series, hovered: drill, legend_series });
    if let Some(index) = hovered {
        let scale_for_tooltip = scale;
        let _ = response.response.clone().on_hover_ui_at_pointer(|ui| {
            tooltip_ui(
                ui,
                &Tooltip { view, visible: &visible, kind, scale: scale_for_tooltip, previous_period },
                index,
            );
        });
    }

    // The legend toggles the plot's hidden items: remember them by name.
    if let Some(memory) = PlotMemory::load(ui.ctx(), plot_id) {
        for series in view.series {
            if memory.hidden_items.contains(&ItemId::new(&series.name)) {
                settings.hidden_series.insert(series.name.clone());
            } else {
                settings.hidden_series.remove(&series.name);
            }
        }
    }
    ui.label(
        RichText::new(
            "Drag to pan, Ctrl+scroll to zoom, right-drag to zoom into a box, double-click to reset; \
             click a legend entry to hide or show its series; click a point or bar, or right-click, for \
             the rows behind it.",
        )
        .small()
        .weak(),
    );
    (scope.response.rect, drill)
}

/// The pointer over the plot, for the drill-down.
struct PlotPointer {
    hovered: Option<usize>,
    pointer: Option<PlotPoint>,
    units_per_point: [f64; 2],
    kind: ChartKind,
    scale: Scale,
    layout: Layout,
}

/// The point under the pointer, its label and the series a click there hits.
fn plot_drill(view: &View<'_>, visible: &[bool], at: PlotPointer) -> Option<(usize, String, Option<usize>)> {
    let PlotPointer { hovered, pointer, units_per_point, kind, scale, layout } = at;
    let index = hovered?;
    let series = pointer.and_then(|p| {
        let (value, argument, units) =
            if layout.horizontal { (p.x, p.y, units_per_point[0]) } else { (p.y, p.x, units_per_point[1]) };
        let offset = argument - layout.position(index);
        let plotted = move |v: f64| scale.y(v);
        pick_series(&PointerOnPlot {
            series: view.series,
            visible,
            index,
            kind: match kind {
                ChartKind::Line => PickKind::Line,
                ChartKind::Bars => PickKind::Bars,
                ChartKind::StackedBars => PickKind::StackedBars,
                ChartKind::StackedArea => PickKind::StackedArea,
            },
            plotted: &plotted,
            floor: scale.floor,
            at: value,
            offset: if layout.horizontal { -offset } else { offset },
            units_per_point: units,
        })
    });
    Some((index, view.axis.long_label(index), series))
}

/// The height the hint line under the plot takes.
fn hint_height(ui: &Ui) -> f32 {
    ui.text_style_height(&egui::TextStyle::Small) + 2.0 * ui.spacing().item_spacing.y
}

fn ui_highlight_color(ctx: &egui::Context) -> Color32 {
    if ctx.global_style().visuals.dark_mode {
        Color32::from_white_alpha(18)
    } else {
        Color32::from_black_alpha(14)
    }
}

/// Where the points of the x axis sit in the plot: along x left to right (time), or along y
/// top to bottom (categories, drawn as horizontal bars, the largest on top).
#[derive(Clone, Copy)]
struct Layout {
    horizontal: bool,
    count: usize,
}

impl Layout {
    /// The plot coordinate (on the argument axis) of point `index`.
    fn position(self, index: usize) -> f64 {
        if self.horizontal { self.count as f64 - 1.0 - index as f64 } else { index as f64 }
    }

    /// The point at plot coordinate `at`, if one is there.
    fn index_at(self, at: f64) -> Option<usize> {
        let at = at.round();
        let index = if self.horizontal { self.count as f64 - 1.0 - at } else { at };
        (index >= 0.0 && index < self.count as f64).then_some(index as usize)
    }

    /// A grid mark in plot coordinates turned into one in point indices (and back: the map is
    /// its own inverse).
    fn mark_at_index(self, mark: GridMark) -> GridMark {
        GridMark { value: self.position_of_value(mark.value), step_size: mark.step_size }
    }

    fn position_of_value(self, value: f64) -> f64 {
        if self.horizontal { self.count as f64 - 1.0 - value } else { value }
    }

    fn input_in_index(self, input: GridInput) -> GridInput {
        let (a, b) = (self.position_of_value(input.bounds.0), self.position_of_value(input.bounds.1));
        GridInput { bounds: (a.min(b), a.max(b)), base_step_size: input.base_step_size }
    }

    fn marks_from_index(self, marks: Vec<GridMark>) -> Vec<GridMark> {
        marks.into_iter().map(|mark| self.mark_at_index(mark)).collect()
    }
}

/// The point under the pointer, when the pointer is over the plot: the nearest one.
fn hovered_index(plot_ui: &PlotUi<'_>, layout: Layout) -> Option<usize> {
    if !plot_ui.response().hovered() || layout.count == 0 {
        return None;
    }
    let pointer = plot_ui.pointer_coordinate()?;
    layout.index_at(if layout.horizontal { pointer.y } else { pointer.x })
}

fn x_axis_title(view: &View<'_>) -> String {
    match (view.axis, view.time) {
        (XAxis::Time { unit, .. }, Some(data)) => {
            let field =
                data.time_column.rsplit_once('_').map_or(data.time_column.as_str(), |(field, _)| field);
            format!("{field}, by {}", unit_phrase(unit))
        }
        (XAxis::Category { column, .. }, _) => column.to_string(),
        _ => String::new(),
    }
}

fn y_axis_title(view: &View<'_>, log_scale: bool) -> String {
    let per = match (view.axis, view.measure_kind) {
        (XAxis::Time { unit, .. }, MeasureKind::Additive) => format!(" per {}", unit.as_str()),
        _ => String::new(),
    };
    let log = if log_scale { " (log scale)" } else { "" };
    format!("{}{per}{log}", view.measure)
}

/// Draws a comparison's previous period: one dashed line per visible series, in its colour,
/// at the index of each current bucket it was aligned with (time charts only).
fn add_previous_lines(
    plot_ui: &mut PlotUi<'_>,
    view: &View<'_>,
    visible: &[bool],
    scale: Scale,
    previous: &[PreviousLine],
) {
    let (XAxis::Time { buckets, .. }, None) = (view.axis, view.category) else { return };
    for line in previous {
        let Some((index, series)) = view.series.iter().enumerate().find(|(_, s)| s.name == line.series)
        else {
            continue;
        };
        if !visible.get(index).copied().unwrap_or(false) {
            continue;
        }
        let points: Vec<[f64; 2]> = line
            .points
            .iter()
            .filter_map(|(bucket, value)| {
                Some([buckets.binary_search(bucket).ok()? as f64, scale.y(*value)?])
            })
            .collect();
        plot_ui.add(
            Line::new(format!("{} (previous)", series.name), PlotPoints::new(points))
                .color(series_color(index, series).gamma_multiply(0.75))
                .width(1.5)
                .style(LineStyle::dashed_loose())
                .allow_hover(false),
        );
    }
}

/// Adds every series' items: an empty legend anchor first (so hidden series and series with
/// nothing to draw still have a legend entry, in their colour), then the geometry.
fn add_series_items(
    plot_ui: &mut PlotUi<'_>,
    view: &View<'_>,
    visible: &[bool],
    kind: ChartKind,
    scale: Scale,
    layout: Layout,
) {
    let count = view.axis.len();
    let colors: Vec<Color32> = view.series.iter().enumerate().map(|(i, s)| series_color(i, s)).collect();
    for (series, color) in view.series.iter().zip(&colors) {
        plot_ui.add(
            Line::new(series.name.as_str(), PlotPoints::Owned(Vec::new())).color(*color).allow_hover(false),
        );
    }
    let partial: Vec<usize> = (0..count).filter(|&i| view.is_partial(i)).collect();
    // The highest plotted y per point, to put the "partial" notes just above the data.
    let mut tops = vec![f64::NEG_INFINITY; count];
    let mut raise = |index: usize, y: f64| {
        if let Some(top) = tops.get_mut(index) {
            *top = top.max(y);
        }
    };
    match kind {
        ChartKind::Line => {
            for ((series, color), _) in view.series.iter().zip(&colors).zip(visible).filter(|(_, v)| **v) {
                for (index, y) in add_line(plot_ui, series, *color, scale, view).into_iter().enumerate() {
                    if let Some(y) = y {
                        raise(index, y);
                    }
                }
            }
        }
        ChartKind::Bars => {
            let shown: Vec<usize> =
                (0..view.series.len()).filter(|&i| visible.get(i) == Some(&true)).collect();
            let width = 0.8 / shown.len().max(1) as f64;
            for (position, &index) in shown.iter().enumerate() {
                let (Some(series), Some(&color)) = (view.series.get(index), colors.get(index)) else {
                    continue;
                };
                // The first series on the left of a bucket (on top of a horizontal group).
                let offset = -0.4 + width * (position as f64 + 0.5);
                let offset = if layout.horizontal { -offset } else { offset };
                let mut bars = Vec::with_capacity(count);
                for (i, value) in series.values.iter().enumerate() {
                    let Some(y) = value.and_then(|v| scale.y(v)) else { continue };
                    let at = layout.position(i) + offset;
                    let bar = if scale.log {
                        Bar::new(at, y - scale.floor).base_offset(scale.floor)
                    } else {
                        Bar::new(at, y)
                    };
                    raise(i, y);
                    bars.push(styled_bar(bar.width(width * 0.95), color, view.is_partial(i)));
                }
                plot_ui.add(oriented(BarChart::new(series.name.as_str(), bars), layout).color(color));
            }
        }
        ChartKind::StackedBars | ChartKind::StackedArea => {
            let mut positive = vec![0.0f64; count];
            let mut negative = vec![0.0f64; count];
            for ((series, color), _) in view.series.iter().zip(&colors).zip(visible).filter(|(_, v)| **v) {
                let mut bars = Vec::new();
                let mut lower = Vec::with_capacity(count);
                let mut upper = Vec::with_capacity(count);
                for i in 0..count {
                    let value = series.values.get(i).copied().flatten().unwrap_or(0.0);
                    let stack = if value >= 0.0 { positive.get_mut(i) } else { negative.get_mut(i) };
                    let Some(stack) = stack else { continue };
                    let base = *stack;
                    *stack += value;
                    let (y0, y1) =
                        if scale.log { (scale.stack_y(base), scale.stack_y(*stack)) } else { (base, *stack) };
                    raise(i, y1);
                    lower.push(y0);
                    upper.push(y1);
                    if kind == ChartKind::StackedBars && value != 0.0 && (!scale.log || value > 0.0) {
                        let bar = Bar::new(layout.position(i), y1 - y0).base_offset(y0).width(0.8);
                        bars.push(styled_bar(bar, *color, view.is_partial(i)));
                    }
                }
                if kind == ChartKind::StackedBars {
                    plot_ui.add(oriented(BarChart::new(series.name.as_str(), bars), layout).color(*color));
                } else {
                    let xs: Vec<f64> = (0..count).map(|i| i as f64).collect();
                    if xs.len() == lower.len() && xs.len() == upper.len() {
                        plot_ui.add(
                            FilledArea::new(series.name.as_str(), &xs, &lower, &upper)
                                .fill_color(color.gamma_multiply(0.45))
                                .allow_hover(false),
                        );
                    }
                    let points: Vec<Option<f64>> = upper.iter().map(|&y| Some(y)).collect();
                    add_polyline(plot_ui, &series.name, *color, &points, view);
                }
            }
        }
    }
    let highest = tops.iter().copied().filter(|y| y.is_finite()).fold(scale.floor, f64::max);
    for &index in &partial {
        let x = index as f64;
        let top = tops.get(index).copied().filter(|y| y.is_finite()).unwrap_or(highest);
        plot_ui.add(Span::new("", x - 0.5..=x + 0.5).fill(Color32::from_gray(128).gamma_multiply(0.12)));
        plot_ui.add(
            Text::new("", PlotPoint::new(x, top), RichText::new("partial").small().italics())
                .anchor(Align2::CENTER_BOTTOM)
                .allow_hover(false),
        );
    }
}

/// A bar chart along the layout's argument axis, without egui_plot's own hover text (the
/// chart's tooltip lists every series instead).
fn oriented(chart: BarChart, layout: Layout) -> BarChart {
    let chart = chart.allow_hover(false);
    if layout.horizontal { chart.horizontal() } else { chart.vertical() }
}

fn styled_bar(bar: Bar, color: Color32, partial: bool) -> Bar {
    // A partial bucket's bar is lighter: it will still grow (or it was cut by the filter).
    let fill = if partial { color.gamma_multiply(0.3) } else { color.gamma_multiply(0.85) };
    bar.fill(fill).stroke(Stroke::new(1.0, color))
}

/// Adds one series as a line (runs of points between gaps); returns the plotted ys.
fn add_line(
    plot_ui: &mut PlotUi<'_>,
    series: &Series,
    color: Color32,
    scale: Scale,
    view: &View<'_>,
) -> Vec<Option<f64>> {
    let ys: Vec<Option<f64>> = series.values.iter().map(|v| v.and_then(|v| scale.y(v))).collect();
    add_polyline(plot_ui, &series.name, color, &ys, view);
    ys
}

/// Draws `ys` (plotted values, `None` = gap) as solid runs, with the segments into partial
/// buckets dashed and markers where points stand alone or are few.
fn add_polyline(plot_ui: &mut PlotUi<'_>, name: &str, color: Color32, ys: &[Option<f64>], view: &View<'_>) {
    let count = ys.len();
    let show_markers = count <= 60;
    let mut run: Vec<[f64; 2]> = Vec::new();
    let mut dashed: Vec<Vec<[f64; 2]>> = Vec::new();
    let mut singles: Vec<[f64; 2]> = Vec::new();
    for i in 0..count {
        let here = ys.get(i).copied().flatten();
        let previous = i.checked_sub(1).and_then(|p| ys.get(p).copied().flatten());
        // A segment touching a partial bucket is drawn dashed instead of solid.
        let segment_is_partial = view.is_partial(i) || i.checked_sub(1).is_some_and(|p| view.is_partial(p));
        match (previous, here) {
            (Some(y0), Some(y1)) if segment_is_partial => {
                dashed.push(vec![[i as f64 - 1.0, y0], [i as f64, y1]]);
                flush_run(plot_ui, name, color, show_markers, &mut run, &mut singles);
                run.push([i as f64, y1]);
            }
            (_, Some(y)) => run.push([i as f64, y]),
            (_, None) => flush_run(plot_ui, name, color, show_markers, &mut run, &mut singles),
        }
    }
    flush_run(plot_ui, name, color, show_markers, &mut run, &mut singles);
    for segment in dashed {
        plot_ui.add(
            Line::new(name, PlotPoints::new(segment))
                .color(color)
                .width(2.0)
                .style(LineStyle::dashed_loose())
                .allow_hover(false),
        );
    }
    if !singles.is_empty() {
        plot_ui.add(Points::new(name, PlotPoints::new(singles)).color(color).radius(2.5).allow_hover(false));
    }
}

/// Draws a finished run of points as a solid line (a lone point becomes a marker).
fn flush_run(
    plot_ui: &mut PlotUi<'_>,
    name: &str,
    color: Color32,
    show_markers: bool,
    run: &mut Vec<[f64; 2]>,
    singles: &mut Vec<[f64; 2]>,
) {
    match run.len() {
        0 => {}
        1 => singles.append(run),
        _ => {
            let points = std::mem::take(run);
            if show_markers {
                singles.extend(points.iter().copied());
            }
            plot_ui.add(Line::new(name, PlotPoints::new(points)).color(color).width(2.0).allow_hover(false));
        }
    }
}

/// Every series' value at `index`, with its colour; hidden series are listed, dimmed.
/// What the hover tooltip reads.
struct Tooltip<'a> {
    view: &'a View<'a>,
    visible: &'a [bool],
    kind: ChartKind,
    scale: Scale,
    /// The previous period's lines when Compare is on (empty otherwise).
    previous_period: &'a [PreviousLine],
}

/// The previous period's value of `series` at the current bucket starting at `bucket_ms`:
/// `None` when the comparison has no line for that series. A line without that bucket
/// counts it as zero, as the joined table does.
fn previous_value(previous_period: &[PreviousLine], series: &str, bucket_ms: Option<i64>) -> Option<f64> {
    let line = previous_period.iter().find(|line| line.series == series)?;
    let bucket_ms = bucket_ms?;
    Some(line.points.iter().find(|(at, _)| *at == bucket_ms).map_or(0.0, |(_, value)| *value))
}

fn tooltip_ui(ui: &mut Ui, tooltip: &Tooltip<'_>, index: usize) {
    let Tooltip { view, visible, kind, scale, previous_period } = *tooltip;
    let bucket_ms = match view.axis {
        XAxis::Time { buckets, .. } => buckets.get(index).copied(),
        XAxis::Category { .. } => None,
    };
    let mut title = view.axis.long_label(index);
    if view.is_partial(index) {
        title.push_str(" — partial");
    }
    ui.label(RichText::new(title).strong());
    let mut total = 0.0;
    egui::Grid::new("chart_tooltip")
        .num_columns(if previous_period.is_empty() { 2 } else { 3 })
        .spacing([12.0, 2.0])
        .show(ui, |ui| {
            for (i, series) in view.series.iter().enumerate() {
                let shown = visible.get(i).copied().unwrap_or(true);
                let value = series.values.get(index).copied().flatten();
                let color = series_color(i, series);
                let color = if shown { color } else { color.gamma_multiply(0.4) };
                ui.horizontal(|ui| {
                    // A painted swatch: the UI fonts have no reliable bullet glyph.
                    let (swatch, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
                    ui.painter().rect_filled(swatch, 2.0, color);
                    ui.label(RichText::new(series.name.as_str()).color(color));
                });
                let text = match value {
                    Some(v) => {
                        if shown {
                            total += v;
                        }
                        let mut text = format_value(v);
                        if scale.log && v <= 0.0 {
                            text.push_str(" (not on a log scale)");
                        }
                        text
                    }
                    None => "no data".to_string(),
                };
                let text = if shown {
                    RichText::new(text)
                } else {
                    RichText::new(format!("{text} (hidden)")).weak()
                };
                ui.label(text);
                // With Compare on: the same bucket of the earlier period, and the change.
                if let Some(before) = previous_value(previous_period, &series.name, bucket_ms) {
                    let change = Change::between(value.unwrap_or(0.0), before);
                    ui.label(
                        RichText::new(format!("previous {} · {}", format_value(before), change.text()))
                            .weak(),
                    );
                }
                ui.end_row();
            }
            if kind.is_stacked() && view.measure_kind.is_additive() && view.series.len() > 1 {
                ui.label(RichText::new("Total shown").strong());
                ui.label(RichText::new(format_value(total)).strong());
                ui.end_row();
            }
        });
    ui.label(RichText::new(format!("{} · times in UTC", view.measure)).weak().small());
}

/// A value for labels: integers plain, others with up to 4 significant decimals.
fn format_value(value: f64) -> String {
    if !value.is_finite() {
        return "–".to_string();
    }
    if value.fract() == 0.0 && value.abs() < 1e15 {
        return format!("{value:.0}");
    }
    let magnitude = value.abs();
    let decimals = if magnitude >= 100.0 {
        1
    } else if magnitude >= 1.0 {
        2
    } else {
        4
    };
    let mut text = format!("{value:.decimals$}");
    if text.contains('.') {
        while text.ends_with('0') {
            text.pop();
        }
        if text.ends_with('.') {
            text.pop();
        }
    }
    if text.is_empty() {
        write_float(value, &mut text);
    }
    text
}

// ---------------------------------------------------------------------------------------
// Axis labels and grid marks.

/// Log-scale marks: decades strong, 2…9 times a decade faint.
fn log_grid_marks(input: GridInput) -> Vec<GridMark> {
    let (low, high) = input.bounds;
    if !(low.is_finite() && high.is_finite()) || high - low > 400.0 {
        return Vec::new();
    }
    let mut marks = Vec::new();
    let mut decade = low.floor();
    while decade <= high.ceil() {
        // Marks outside the visible range would still get a label, drawn outside the plot.
        if input.base_step_size < 1.0 && decade >= low && decade <= high {
            marks.push(GridMark { value: decade, step_size: 1.0 });
        }
        if input.base_step_size < 0.1 {
            for factor in 2..=9 {
                let value = decade + f64::from(factor).log10();
                if value >= low && value <= high {
                    marks.push(GridMark { value, step_size: 0.1 });
                }
            }
        }
        decade += 1.0;
    }
    marks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_format_plainly() {
        assert_eq!(format_value(1200.0), "1200");
        assert_eq!(format_value(2.5), "2.5");
        assert_eq!(format_value(1.0 / 3.0), "0.3333");
        assert_eq!(format_value(123.45), "123.5");
    }

    #[test]
    fn settings_load_from_old_files_with_defaults() {
        let settings: ChartSettings = serde_json::from_str(r#"{"kind":"StackedBars"}"#).unwrap();
        assert_eq!(settings.kind, ChartKind::StackedBars);
        assert_eq!(settings.top_n, DEFAULT_TOP_N);
        assert!(settings.fill_gaps);
        assert!(settings.hidden_series.is_empty());
    }
}
