//! The time axis of a chart: which buckets get a grid mark, which of those get a label, and
//! what the labels say ("Mar 3", "Mar 2026", "Week of Mar 2", "2026").
//!
//! The x axis is the bucket index, one unit per bucket, so months of any length are equally
//! wide. A bucket's importance as a mark is its calendar boundary (a Monday, the first of a
//! month, a new year); egui_plot shows a mark when that many buckets are wide enough, and
//! `x_grid_marks` keeps the labels of different levels from drawing over each other.
//! Everything is UTC, as the buckets are.

use egui_plot::{GridInput, GridMark};
use jiff::Timestamp;
use jiff::civil::Weekday;
use jiff::tz::Offset;

use crate::api::query::TimeUnit;
use crate::data::series::bucket_end;

/// The plot's smallest grid spacing in points (egui_plot's default, set on the plot so the
/// two stay in step): `base_step_size` is this many points in plot units.
pub(crate) const GRID_SPACING_MIN: f32 = 8.0;
/// The largest grid spacing in points (egui_plot's default), where grid lines are strongest.
pub(crate) const GRID_SPACING_MAX: f32 = 300.0;
/// Below this spacing in points egui_plot draws no x tick label (its default for the x axis).
const LABEL_MIN_SPACING: f32 = 60.0;
/// The least room between two tick labels, in points.
const LABEL_GAP: f32 = 12.0;

/// The x axis of a chart.
#[derive(Clone, Copy)]
pub(crate) enum XAxis<'a> {
    /// Bucket starts (epoch ms, UTC).
    Time { unit: TimeUnit, buckets: &'a [i64] },
    /// Category labels.
    Category { column: &'a str, labels: &'a [String] },
}

impl XAxis<'_> {
    pub(crate) fn len(&self) -> usize {
        match self {
            XAxis::Time { buckets, .. } => buckets.len(),
            XAxis::Category { labels, .. } => labels.len(),
        }
    }

    /// The full label of point `index` (tooltips).
    pub(crate) fn long_label(&self, index: usize) -> String {
        match *self {
            XAxis::Time { unit, buckets } => {
                buckets.get(index).map(|&ms| long_bucket_label(unit, ms)).unwrap_or_default()
            }
            XAxis::Category { labels, .. } => labels.get(index).cloned().unwrap_or_default(),
        }
    }
}

/// The importance of bucket `index` as a grid mark, in buckets: 1 for any bucket, larger on
/// calendar boundaries (a Monday in days is 7, a first of the month 30, a new year 365…).
/// egui_plot shows a mark (and its label) only when that many buckets are wide enough.
pub(crate) fn mark_step(axis: XAxis<'_>, index: usize) -> f64 {
    let XAxis::Time { unit, buckets } = axis else {
        return 1.0;
    };
    let Some(time) = buckets.get(index).and_then(|&ms| Timestamp::from_millisecond(ms).ok()) else {
        return 1.0;
    };
    // Buckets are UTC, so their calendar fields are read in UTC.
    let time = Offset::UTC.to_datetime(time);
    let new_year = time.month() == 1;
    let quarter = (time.month() - 1) % 3 == 0;
    match unit {
        TimeUnit::Hour => match (time.hour(), time.day(), time.weekday()) {
            (0, 1, _) if new_year => 8760.0,
            (0, 1, _) => 720.0,
            (0, _, Weekday::Monday) => 168.0,
            (0, _, _) => 24.0,
            (12, _, _) => 12.0,
            (6 | 18, _, _) => 6.0,
            (h, _, _) if h % 3 == 0 => 3.0,
            _ => 1.0,
        },
        TimeUnit::Day => match (time.day(), time.weekday()) {
            (1, _) if new_year => 365.0,
            (1, _) if quarter => 91.0,
            (1, _) => 30.0,
            (_, Weekday::Monday) => 7.0,
            _ => 1.0,
        },
        TimeUnit::Week => match time.day() {
            1..=7 if new_year => 52.0,
            1..=7 if quarter => 13.0,
            1..=7 => 4.0,
            _ => 1.0,
        },
        TimeUnit::Month => match time.month() {
            1 => 12.0,
            _ if quarter => 3.0,
            _ => 1.0,
        },
    }
}

/// The grid marks on the visible buckets: every bucket whose importance ([`mark_step`]) is
/// wide enough to draw, with labels kept apart.
///
/// egui_plot labels a mark when its `step_size` spans more than [`LABEL_MIN_SPACING`] points
/// and more than the label is wide, but it never compares two labels of different levels:
/// on a 30-day daily chart the first of the month ("Dec 2026", step 30) sits one day after a
/// Monday ("Nov 30", step 7) and both were drawn on top of each other. So the labels are
/// placed here, most important first, and a mark whose label would touch one already placed
/// keeps its grid line but loses its label: its step is lowered below the label threshold.
/// `label_width` measures a label as the plot will draw it (points).
pub(crate) fn x_grid_marks(
    axis: XAxis<'_>,
    input: GridInput,
    label_width: &dyn Fn(&str) -> f32,
) -> Vec<GridMark> {
    let count = axis.len();
    if count == 0 {
        return Vec::new();
    }
    let first = input.bounds.0.ceil().max(0.0);
    let last = input.bounds.1.floor().min(count as f64 - 1.0);
    if first.is_nan() || last.is_nan() || first > last {
        return Vec::new();
    }
    let mut marks = Vec::new();
    for index in first as usize..=last as usize {
        let step_size = mark_step(axis, index);
        if step_size > input.base_step_size {
            marks.push(GridMark { value: index as f64, step_size });
        }
    }
    if matches!(axis, XAxis::Time { .. }) && input.base_step_size > 0.0 {
        keep_labels_apart(axis, &mut marks, input.base_step_size, label_width);
    }
    marks
}

/// Lowers the step of every mark whose label would overlap a more important one (see
/// [`x_grid_marks`]). Category axes never need it: all their marks are of one level, and
/// egui_plot already skips labels wider than one level's spacing.
fn keep_labels_apart(
    axis: XAxis<'_>,
    marks: &mut [GridMark],
    base_step_size: f64,
    label_width: &dyn Fn(&str) -> f32,
) {
    // egui_plot derives `base_step_size` from the smallest grid spacing in points.
    let points_per_bucket = f64::from(GRID_SPACING_MIN) / base_step_size;
    let unlabelled_step = f64::from(LABEL_MIN_SPACING) / points_per_bucket * 0.99;
    let mut order: Vec<usize> = (0..marks.len()).collect();
    // Most important first; among equals, left to right.
    order.sort_by(|&a, &b| marks[b].step_size.total_cmp(&marks[a].step_size).then(a.cmp(&b)));
    let mut placed: Vec<(f64, f64)> = Vec::new();
    for position in order {
        let Some(mark) = marks.get_mut(position) else { continue };
        let spacing = mark.step_size * points_per_bucket;
        if spacing <= f64::from(LABEL_MIN_SPACING) {
            continue; // egui_plot draws no label for it anyway
        }
        let width = f64::from(label_width(&x_tick_label(axis, *mark)));
        if spacing < width {
            continue; // nor for a label wider than its own spacing
        }
        let center = mark.value * points_per_bucket;
        let half = width / 2.0 + f64::from(LABEL_GAP) / 2.0;
        let span = (center - half, center + half);
        if placed.iter().any(|&(left, right)| span.0 < right && left < span.1) {
            mark.step_size = mark.step_size.min(unlabelled_step);
        } else {
            placed.push(span);
        }
    }
}

/// The tick label of a grid mark: finer marks read as dates ("Mar 3", "Mar 3 14:00",
/// "Week of Mar 2"), month and year boundaries as "Mar 2026" and "2026".
pub(crate) fn x_tick_label(axis: XAxis<'_>, mark: GridMark) -> String {
    let index = mark.value.round();
    if index < 0.0 || (index - mark.value).abs() > 1e-6 {
        return String::new();
    }
    let index = index as usize;
    match axis {
        XAxis::Category { labels, .. } => {
            labels.get(index).map(|label| truncate(label, 24)).unwrap_or_default()
        }
        XAxis::Time { unit, buckets } => {
            let Some(time) = buckets.get(index).and_then(|&ms| Timestamp::from_millisecond(ms).ok()) else {
                return String::new();
            };
            let step = mark.step_size;
            let format = match unit {
                TimeUnit::Hour if step < 24.0 => "%b %-d %H:%M",
                TimeUnit::Hour if step < 720.0 => "%b %-d",
                TimeUnit::Hour if step < 8760.0 => "%b %Y",
                TimeUnit::Day if step < 30.0 => "%b %-d",
                TimeUnit::Day if step < 365.0 => "%b %Y",
                TimeUnit::Week if step < 4.0 => "Week of %b %-d",
                TimeUnit::Week if step < 52.0 => "%b %Y",
                TimeUnit::Month => "%b %Y",
                _ => "%Y",
            };
            time.strftime(format).to_string()
        }
    }
}

fn truncate(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The tooltip title of a bucket: "Tue 2026-03-03 14:00–15:00 UTC", "Tue 2026-03-03 (UTC)",
/// "Week of Mon 2026-03-02 (UTC)", "March 2026 (UTC)".
pub fn long_bucket_label(unit: TimeUnit, bucket_ms: i64) -> String {
    let Some(time) = Timestamp::from_millisecond(bucket_ms).ok() else {
        return bucket_ms.to_string();
    };
    match unit {
        TimeUnit::Hour => {
            let end = Timestamp::from_millisecond(bucket_end(unit, bucket_ms)).unwrap_or(time);
            format!("{}–{} UTC", time.strftime("%a %Y-%m-%d %H:%M"), end.strftime("%H:%M"))
        }
        TimeUnit::Day => format!("{} (UTC)", time.strftime("%a %Y-%m-%d")),
        TimeUnit::Week => format!("Week of {} (UTC)", time.strftime("%a %Y-%m-%d")),
        TimeUnit::Month => format!("{} (UTC)", time.strftime("%B %Y")),
    }
}

/// A short bucket label for notes: "Mar 3 14:00", "2026-03-03", "week of Mar 2", "Mar 2026".
pub fn short_bucket_label(unit: TimeUnit, bucket_ms: i64) -> String {
    let Some(time) = Timestamp::from_millisecond(bucket_ms).ok() else {
        return bucket_ms.to_string();
    };
    let format = match unit {
        TimeUnit::Hour => "%b %-d %H:%M UTC",
        TimeUnit::Day => "%Y-%m-%d",
        TimeUnit::Week => "week of %b %-d",
        TimeUnit::Month => "%b %Y",
    };
    time.strftime(format).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(text: &str) -> i64 {
        text.parse::<Timestamp>().unwrap().as_millisecond()
    }

    #[test]
    fn bucket_labels_name_their_unit_in_utc() {
        assert_eq!(
            long_bucket_label(TimeUnit::Hour, ms("2026-03-03T14:00:00Z")),
            "Tue 2026-03-03 14:00–15:00 UTC"
        );
        assert_eq!(long_bucket_label(TimeUnit::Day, ms("2026-03-03T00:00:00Z")), "Tue 2026-03-03 (UTC)");
        assert_eq!(
            long_bucket_label(TimeUnit::Week, ms("2026-03-02T00:00:00Z")),
            "Week of Mon 2026-03-02 (UTC)"
        );
        assert_eq!(long_bucket_label(TimeUnit::Month, ms("2026-03-01T00:00:00Z")), "March 2026 (UTC)");
    }

    #[test]
    fn tick_labels_follow_the_mark_level() {
        let days = [ms("2026-02-28T00:00:00Z"), ms("2026-03-01T00:00:00Z"), ms("2026-03-02T00:00:00Z")];
        let axis = XAxis::Time { unit: TimeUnit::Day, buckets: &days };
        assert_eq!(mark_step(axis, 0), 1.0);
        assert_eq!(mark_step(axis, 1), 30.0, "the first of a month");
        assert_eq!(mark_step(axis, 2), 7.0, "a Monday");
        let label = |index: usize| {
            x_tick_label(axis, GridMark { value: index as f64, step_size: mark_step(axis, index) })
        };
        assert_eq!(label(0), "Feb 28");
        assert_eq!(label(1), "Mar 2026");
        assert_eq!(label(2), "Mar 2");
        let hours = [ms("2026-03-03T14:00:00Z")];
        let axis = XAxis::Time { unit: TimeUnit::Hour, buckets: &hours };
        assert_eq!(x_tick_label(axis, GridMark { value: 0.0, step_size: 1.0 }), "Mar 3 14:00");
        let weeks = [ms("2026-03-09T00:00:00Z")];
        let axis = XAxis::Time { unit: TimeUnit::Week, buckets: &weeks };
        assert_eq!(x_tick_label(axis, GridMark { value: 0.0, step_size: 1.0 }), "Week of Mar 9");
    }

    #[test]
    fn grid_marks_skip_what_is_too_dense() {
        let days: Vec<i64> = (0..60).map(|d| ms("2026-01-01T00:00:00Z") + d * 86_400_000).collect();
        let axis = XAxis::Time { unit: TimeUnit::Day, buckets: &days };
        let all = x_grid_marks(axis, GridInput { bounds: (-0.5, 59.5), base_step_size: 0.5 }, &|_| 0.0);
        assert_eq!(all.len(), 60);
        let coarse = x_grid_marks(axis, GridInput { bounds: (-0.5, 59.5), base_step_size: 10.0 }, &|_| 0.0);
        let values: Vec<f64> = coarse.iter().map(|m| m.value).collect();
        // Jan 1 (a new year), Feb 1 and Mar 1 (months); Mondays (7) are too dense.
        assert_eq!(values, vec![0.0, 31.0, 59.0]);
    }

    #[test]
    fn a_month_label_pushes_out_the_monday_label_beside_it() {
        // 30 days to Dec 4, 2026, 36 points a day: Monday Nov 30 (step 7) and Dec 1 (step 30)
        // are 36 points apart, and both labels are wider than that.
        let days: Vec<i64> = (0..30).map(|d| ms("2026-11-05T00:00:00Z") + d * 86_400_000).collect();
        let axis = XAxis::Time { unit: TimeUnit::Day, buckets: &days };
        let base_step_size = f64::from(GRID_SPACING_MIN) / 36.0;
        let input = || GridInput { bounds: (-0.5, 29.5), base_step_size };
        let width = |text: &str| text.chars().count() as f32 * 7.5;
        let marks = x_grid_marks(axis, input(), &width);
        let labelled: Vec<String> = marks
            .iter()
            .filter(|m| m.step_size * 36.0 > f64::from(LABEL_MIN_SPACING))
            .map(|m| x_tick_label(axis, *m))
            .collect();
        assert_eq!(labelled, ["Nov 9", "Nov 16", "Nov 23", "Dec 2026"]);
        // Nov 30 keeps its grid line.
        assert!(marks.iter().any(|m| m.value == 25.0 && m.step_size > base_step_size));
        // Without measuring (labels of no width) nothing collides and both are kept.
        let unmeasured = x_grid_marks(axis, input(), &|_| 0.0);
        assert!(unmeasured.iter().any(|m| m.value == 25.0 && m.step_size == 7.0));
    }
}
