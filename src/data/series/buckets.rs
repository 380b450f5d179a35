//! UTC time buckets (hours, days, ISO weeks, calendar months) and the query's time filter
//! that decides which buckets at the ends of an axis are partial. Pure arithmetic on epoch
//! milliseconds: the chart derivation places rows with it, and the chart draws bucket ends
//! with it.

use jiff::Timestamp;

use crate::api::query::{Field, Filter, FilterValue, Operator, QueryBody, Scalar, TimeUnit};
use crate::api::timestamp::parse_filter_timestamp;
use crate::data::time::{civil_from_days, days_from_civil};

const MILLIS_PER_HOUR: i64 = 3_600_000;
pub(super) const MILLIS_PER_DAY: i64 = 86_400_000;
const MILLIS_PER_WEEK: i64 = 7 * MILLIS_PER_DAY;
/// Day number (since 1970-01-01, a Thursday) of the first Monday, 1970-01-05.
const FIRST_MONDAY_DAYS: i64 = 4;

/// The instants a query's time filter lets through, at millisecond precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimeFilter {
    /// The first instant included (epoch ms), if the filter has a lower bound.
    pub start_ms: Option<i64>,
    /// The first instant excluded (epoch ms), if the filter has an upper bound.
    pub end_ms: Option<i64>,
}

/// The start (epoch ms) of the `unit` bucket holding `ms`: hours, days, ISO weeks starting
/// Monday, calendar months; all in UTC.
pub fn bucket_start(unit: TimeUnit, ms: i64) -> i64 {
    match unit {
        TimeUnit::Hour => ms - ms.rem_euclid(MILLIS_PER_HOUR),
        TimeUnit::Day => ms - ms.rem_euclid(MILLIS_PER_DAY),
        TimeUnit::Week => {
            let days = ms.div_euclid(MILLIS_PER_DAY);
            (days - (days - FIRST_MONDAY_DAYS).rem_euclid(7)) * MILLIS_PER_DAY
        }
        TimeUnit::Month => month_start(month_index(ms)),
    }
}

/// The end (exclusive, epoch ms) of the bucket starting at `start_ms`.
pub fn bucket_end(unit: TimeUnit, start_ms: i64) -> i64 {
    nth_bucket(unit, bucket_start(unit, start_ms), 1)
}

/// The start of the bucket `n` buckets after the one starting at `start_ms`.
pub fn nth_bucket(unit: TimeUnit, start_ms: i64, n: i64) -> i64 {
    match unit {
        TimeUnit::Hour => start_ms + n * MILLIS_PER_HOUR,
        TimeUnit::Day => start_ms + n * MILLIS_PER_DAY,
        TimeUnit::Week => start_ms + n * MILLIS_PER_WEEK,
        TimeUnit::Month => month_start(month_index(start_ms) + n),
    }
}

/// How many buckets after the one starting at `first_ms` the one starting at `later_ms` is.
pub fn buckets_between(unit: TimeUnit, first_ms: i64, later_ms: i64) -> i64 {
    match unit {
        TimeUnit::Hour => (later_ms - first_ms).div_euclid(MILLIS_PER_HOUR),
        TimeUnit::Day => (later_ms - first_ms).div_euclid(MILLIS_PER_DAY),
        TimeUnit::Week => (later_ms - first_ms).div_euclid(MILLIS_PER_WEEK),
        TimeUnit::Month => month_index(later_ms) - month_index(first_ms),
    }
}

/// Months since year 0 of the month holding `ms` (`year * 12 + month - 1`).
fn month_index(ms: i64) -> i64 {
    let (year, month, _) = civil_from_days(ms.div_euclid(MILLIS_PER_DAY));
    year * 12 + month - 1
}

/// The first instant of month `index` (see [`month_index`]).
fn month_start(index: i64) -> i64 {
    days_from_civil(index.div_euclid(12), index.rem_euclid(12) + 1, 1) * MILLIS_PER_DAY
}

// ---------------------------------------------------------------------------------------
// The query's time filter and partial buckets.

/// The bounds the query's filter puts on `field`: the `gt`/`gte`/`lt`/`lte` conditions that
/// every matching row must satisfy (reachable through `and` only; an `or` of one branch is
/// that branch). Values are RFC 3339 or `YYYY-MM-DD` (midnight UTC), as the API takes them.
pub fn time_filter(query: &QueryBody, field: Field) -> TimeFilter {
    let mut bounds = TimeFilter::default();
    if let Some(filter) = &query.filter {
        collect_bounds(filter, field, &mut bounds);
    }
    bounds
}

fn collect_bounds(filter: &Filter, field: Field, bounds: &mut TimeFilter) {
    match filter {
        Filter::Condition(condition) => {
            if condition.field != field {
                return;
            }
            let Some(FilterValue::Scalar(Scalar::String(text))) = &condition.value else {
                return;
            };
            // The filter's own rule: this query was validated with it before it ran.
            let Some(ms) = parse_filter_timestamp(text).map(Timestamp::as_millisecond) else {
                return;
            };
            let (start, end) = match condition.operator {
                Operator::Gt => (Some(ms + 1), None),
                Operator::Gte => (Some(ms), None),
                Operator::Lt => (None, Some(ms)),
                Operator::Lte => (None, Some(ms + 1)),
                _ => (None, None),
            };
            if let Some(start) = start {
                bounds.start_ms = Some(bounds.start_ms.map_or(start, |s| s.max(start)));
            }
            if let Some(end) = end {
                bounds.end_ms = Some(bounds.end_ms.map_or(end, |e| e.min(end)));
            }
        }
        Filter::And(items) => items.iter().for_each(|item| collect_bounds(item, field, bounds)),
        Filter::Or(items) => {
            if let [only] = items.as_slice() {
                collect_bounds(only, field, bounds);
            }
        }
    }
}

/// Whether the first and the last bucket are partial: the filter starts inside the first,
/// or ends inside the last, or the last is not over at `now_ms`.
pub fn partial_marks(unit: TimeUnit, buckets: &[i64], filter: TimeFilter, now_ms: i64) -> (bool, bool) {
    let (Some(&first), Some(&last)) = (buckets.first(), buckets.last()) else {
        return (false, false);
    };
    let first_end = bucket_end(unit, first);
    let last_end = bucket_end(unit, last);
    let partial_first = filter.start_ms.is_some_and(|start| start > first && start < first_end);
    let cut_by_filter = filter.end_ms.is_some_and(|end| end > last && end < last_end);
    (partial_first, cut_by_filter || now_ms < last_end)
}
