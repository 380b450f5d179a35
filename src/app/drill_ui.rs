//! The drill-down's widgets: the status-bar row of a drill-down tab saying where it came
//! from, the chart's "rows behind" menu (a point, every series at a bucket, a whole series;
//! opened on a legend entry, that entry's series first), and which series a click on the plot
//! hits.
//!
//! They read state and return what was asked for; `chart_ui` only calls them (and they
//! import no command, so the chart and grid stay free of import cycles).

use egui::{RichText, Ui};

use crate::data::drill::{ChartPoint, Provenance};
use crate::data::series::Series;

/// How far from a drawn point a click still hits it, in points (pixels at scale 1).
const HIT_POINTS: f64 = 8.0;

/// The first row of a drill-down tab's status bar: "from: count per day by type ➡ …", with
/// the query it came from on hover.
pub fn provenance_ui(ui: &mut Ui, drilled_from: Option<&Provenance>) {
    let Some(from) = drilled_from else { return };
    ui.add(egui::Label::new(RichText::new(&from.text).italics()).truncate()).on_hover_text(format!(
        "This tab shows the rows behind a number of this {} query:\n{}",
        from.view.noun(),
        from.query.to_pretty_json()
    ));
    ui.separator();
}

/// How the series of a chart are drawn, as far as hitting them goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickKind {
    /// Lines: the point nearest the pointer.
    Line,
    /// Bars side by side in each bucket: the bar under the pointer.
    Bars,
    /// Stacked bars: the band under the pointer, within the bar's width.
    StackedBars,
    /// Stacked areas: the band under the pointer, anywhere across the bucket.
    StackedArea,
}

/// Where the pointer is on the plot, for [`pick_series`].
pub struct PointerOnPlot<'a> {
    /// The series drawn, in order.
    pub series: &'a [Series],
    /// Which are shown (the legend hides some).
    pub visible: &'a [bool],
    /// The bucket (or category) under the pointer.
    pub index: usize,
    /// How they are drawn.
    pub kind: PickKind,
    /// A value's coordinate on the plot's value axis (`log10` on a log scale); `None` when
    /// it cannot be drawn.
    pub plotted: &'a dyn Fn(f64) -> Option<f64>,
    /// Where bars start on the value axis (0, or the floor of a log scale).
    pub floor: f64,
    /// The pointer on the value axis, plot coordinates.
    pub at: f64,
    /// The pointer on the argument axis less the point's centre (−0.5 … 0.5).
    pub offset: f64,
    /// Plot units per screen point on the value axis.
    pub units_per_point: f64,
}

/// The series drawn under the pointer at its bucket, if a point, bar or band is hit.
pub fn pick_series(pointer: &PointerOnPlot<'_>) -> Option<usize> {
    let tolerance = HIT_POINTS * pointer.units_per_point.abs();
    let value = |s: &Series| s.values.get(pointer.index).copied().flatten();
    let shown: Vec<usize> =
        (0..pointer.series.len()).filter(|&i| pointer.visible.get(i) == Some(&true)).collect();
    let within = |low: f64, high: f64| {
        let (low, high) = (low.min(high), low.max(high));
        pointer.at >= low - tolerance && pointer.at <= high + tolerance
    };
    match pointer.kind {
        PickKind::Line => shown
            .iter()
            .filter_map(|&i| {
                let y = (pointer.plotted)(value(pointer.series.get(i)?)?)?;
                let distance = (y - pointer.at).abs();
                (distance <= tolerance).then_some((i, distance))
            })
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(i, _)| i),
        PickKind::Bars => {
            let width = 0.8 / shown.len().max(1) as f64;
            let slot = ((pointer.offset + 0.4) / width).floor();
            if slot < 0.0 {
                return None;
            }
            let index = *shown.get(slot as usize)?;
            let y = (pointer.plotted)(value(pointer.series.get(index)?)?)?;
            within(pointer.floor, y).then_some(index)
        }
        PickKind::StackedBars | PickKind::StackedArea => {
            // Stacked bars are 0.8 of a bucket wide: the gap between them is no bar.
            if pointer.kind == PickKind::StackedBars && pointer.offset.abs() > 0.4 {
                return None;
            }
            let mut height = 0.0;
            let stack_y = |h: f64| (pointer.plotted)(h).map_or(pointer.floor, |y| y.max(pointer.floor));
            for &i in &shown {
                let v = pointer.series.get(i).and_then(value).unwrap_or(0.0);
                if v < 0.0 {
                    continue;
                }
                let base = height;
                height += v;
                if v > 0.0 && within(stack_y(base), stack_y(height)) {
                    return Some(i);
                }
            }
            None
        }
    }
}

/// What the chart's drill-down needs from the plot this frame.
pub struct PlotDrill<'a> {
    /// The series drawn.
    pub series: &'a [Series],
    /// The point under the pointer, its label ("Tue 2026-11-12 (UTC)", a category), and the
    /// series a click there hits.
    pub hovered: Option<(usize, String, Option<usize>)>,
    /// The series whose legend entry is under the pointer: its whole series heads the menu.
    pub legend_series: Option<usize>,
}

/// What the plot's menu remembers from the right-click that opened it (the pointer moves
/// into the menu, off the point).
#[derive(Debug, Clone, PartialEq)]
struct MenuPoint {
    index: usize,
    label: String,
    series: Option<usize>,
}

/// Drill-down on the plot: a click on a point or bar opens the rows behind it; the
/// right-click menu offers that point, every series at that bucket, and each whole series
/// (what its legend entry stands for). Returns the point asked for.
pub fn plot_drill_ui(response: &egui::Response, drill: PlotDrill<'_>) -> Option<ChartPoint> {
    let mut asked = None;
    if response.clicked()
        && let Some((index, _, Some(series))) = &drill.hovered
    {
        asked = Some(ChartPoint { series: Some(*series), index: Some(*index) });
    }
    let memory_id = response.id.with("drill_menu_point");
    let legend_id = response.id.with("drill_menu_legend_series");
    // A container's right-click: the legend entries are child widgets that sense clicks.
    if response.container_secondary_clicked() {
        response.ctx.data_mut(|data| {
            data.remove::<usize>(legend_id);
            if let Some(series) = drill.legend_series {
                data.insert_temp(legend_id, series);
            }
        });
        let point = drill.hovered.clone().map(|(index, label, series)| MenuPoint { index, label, series });
        response.ctx.data_mut(|data| match point {
            Some(point) => {
                data.insert_temp(memory_id, point);
            }
            None => data.remove::<MenuPoint>(memory_id),
        });
    }
    response.container_context_menu(|ui| {
        // Right-clicked on a legend entry: that series, whole, first.
        let legend: Option<usize> = ui.data(|data| data.get_temp(legend_id));
        if let Some((index, series)) = legend.and_then(|i| drill.series.get(i).map(|s| (i, s))) {
            if ui.button(format!("Show all rows of {}", series.name)).clicked() {
                asked = Some(ChartPoint { series: Some(index), index: None });
                ui.close();
            }
            ui.separator();
        }
        let point: Option<MenuPoint> = ui.data(|data| data.get_temp(memory_id)).filter(|_| legend.is_none());
        if let Some(point) = point {
            if let Some(series) = point.series.and_then(|i| drill.series.get(i).map(|s| (i, s))) {
                let text = format!("Show rows behind {} at {}", series.1.name, point.label);
                if ui.button(text).clicked() {
                    asked = Some(ChartPoint { series: Some(series.0), index: Some(point.index) });
                    ui.close();
                }
            }
            if ui.button(format!("Show rows behind {}", point.label)).clicked() {
                asked = Some(ChartPoint { series: None, index: Some(point.index) });
                ui.close();
            }
            ui.separator();
        }
        ui.label(RichText::new("Every row of a series:").weak());
        for (index, series) in drill.series.iter().enumerate().filter(|(index, _)| legend != Some(*index)) {
            if ui.button(format!("Show all rows of {}", series.name)).clicked() {
                asked = Some(ChartPoint { series: Some(index), index: None });
                ui.close();
            }
        }
    });
    asked
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::drill::PROVENANCE_ARROW;

    fn series(name: &str, values: &[f64]) -> Series {
        Series {
            name: name.into(),
            values: values.iter().map(|&v| Some(v)).collect(),
            total: values.iter().sum(),
            is_other: false,
        }
    }

    #[test]
    fn the_provenance_line_has_glyphs_in_the_fonts_the_window_uses() {
        let ctx = egui::Context::default();
        let mut output = ctx.run_ui(Default::default(), |_| {});
        output.textures_delta.clear();
        let font = egui::FontId::proportional(14.0);
        for c in format!("from: count per day by type {PROVENANCE_ARROW} week of 2026-11-09, (none) · Other")
            .chars()
        {
            assert!(ctx.fonts_mut(|fonts| fonts.has_glyph(&font, c)), "no glyph for {c:?}");
        }
    }

    #[test]
    fn a_click_hits_the_line_bar_or_band_under_it_and_nothing_elsewhere() {
        let all = [series("a", &[10.0]), series("b", &[4.0]), series("c", &[1.0])];
        let visible = [true, true, true];
        let linear = |v: f64| Some(v);
        let pointer = |kind, at, offset| PointerOnPlot {
            series: &all,
            visible: &visible,
            index: 0,
            kind,
            plotted: &linear,
            floor: 0.0,
            at,
            offset,
            units_per_point: 0.05,
        };
        assert_eq!(pick_series(&pointer(PickKind::Line, 4.2, 0.0)), Some(1));
        assert_eq!(pick_series(&pointer(PickKind::Line, 7.0, 0.0)), None, "between lines: no point");
        // Bars: three slots of 0.8 / 3 across the bucket.
        assert_eq!(pick_series(&pointer(PickKind::Bars, 2.0, -0.3)), Some(0));
        assert_eq!(pick_series(&pointer(PickKind::Bars, 2.0, 0.0)), Some(1));
        assert_eq!(pick_series(&pointer(PickKind::Bars, 6.0, 0.0)), None, "above the bar");
        // Stacked: a 0..10, b 10..14, c 14..15.
        assert_eq!(pick_series(&pointer(PickKind::StackedBars, 12.0, 0.0)), Some(1));
        assert_eq!(pick_series(&pointer(PickKind::StackedBars, 14.5, 0.0)), Some(2));
        assert_eq!(pick_series(&pointer(PickKind::StackedBars, 30.0, 0.0)), None);
        assert_eq!(pick_series(&pointer(PickKind::StackedBars, 12.0, 0.45)), None, "between bars");
        assert_eq!(
            pick_series(&pointer(PickKind::StackedArea, 12.0, 0.45)),
            Some(1),
            "areas fill the bucket"
        );
        // A hidden series is never hit.
        let hidden = [true, false, true];
        let pointer = PointerOnPlot { visible: &hidden, ..pointer(PickKind::Line, 4.0, 0.0) };
        assert_eq!(pick_series(&pointer), None);
    }
}
