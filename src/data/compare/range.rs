//! The query's time range, and the same query over the comparison period.
//!
//! Only conditions every matching row must meet bound the range: those at the top of the
//! filter or inside `and`s under it. A bound under an `or` does not (another branch can
//! match rows outside it). Bounds are read after relative values are resolved, so
//! `gte "last 30 days"` + `lt "now"` and explicit RFC 3339 / date bounds are read alike:
//! `gte a` / `gt a` start the range at `a` / just after it, `lt b` / `lte b` end it at `b` /
//! just after it, and the tightest bound on each side wins.
//!
//! A relative bound stands for its whole range when the other side is missing, as the
//! presets write it: `gte "last 30 days"` alone is the 30 days up to now (the condition
//! becomes `eq "last 30 days"`), `gte "this week"` alone the whole week, and a relative instant
//! alone (`gte "start of this week - 12 weeks"`) ends now (`lt "now"` is added). Both
//! periods' bodies then carry both bounds. An explicit bound alone (`gte 2026-01-01`) is
//! refused: its end is not for the explorer to guess.

use jiff::tz::Offset;
use jiff::{SignedDuration, Span, Timestamp};

use crate::api::field::Field;
use crate::api::query::{Condition, Filter, FilterValue, Operator, QueryBody, Scalar, Selection};
use crate::api::timestamp::{format_utc, parse_filter_timestamp};
use crate::api::view::View;
use crate::relative_time::{RelativeTime, RelativeTimeError, resolve_relative_times};

use super::CompareOffset;

/// A half-open range of instants `[start, end)` on a timestamp field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    /// The timestamp field the range is on.
    pub field: Field,
    /// First instant inside.
    pub start: Timestamp,
    /// First instant after.
    pub end: Timestamp,
}

impl TimeRange {
    /// `2026-11-01T00:00:00Z … 2026-12-01T00:00:00Z`.
    pub fn text(&self) -> String {
        format!("{} … {}", format_utc(self.start), format_utc(self.end))
    }
}

/// The two periods of a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Periods {
    /// The range as the query states it.
    pub current: TimeRange,
    /// The same range, shifted back.
    pub previous: TimeRange,
}

/// Everything needed to run a comparison: both bodies ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct ComparePlan {
    /// How far back.
    pub offset: CompareOffset,
    /// Both ranges.
    pub periods: Periods,
    /// The query as sent for the current period (relative times resolved).
    pub current_body: QueryBody,
    /// The same query with every bound on the range's field shifted back.
    pub previous_body: QueryBody,
}

/// Why a query cannot be compared.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompareError {
    /// No range with both a start and an end on a timestamp field.
    #[error(
        "Compare needs a time range with both a start and an end on {field}; add e.g. {field} in the last \
         30 days{}",
        detail.as_deref().map(|d| format!(" ({d})")).unwrap_or_default()
    )]
    Unbounded {
        /// The field the range should be on.
        field: Field,
        /// What is there now, when something is (`it has a start but no end`).
        detail: Option<String>,
    },
    /// The bounds leave no instant.
    #[error("the time range on {field} is empty: it ends ({end}) before or when it starts ({start})")]
    Empty {
        /// The field.
        field: Field,
        /// The start, RFC 3339.
        start: String,
        /// The end, RFC 3339.
        end: String,
    },
    /// The query has no aggregation: raw rows have nothing to add up.
    #[error(
        "Compare needs an aggregated query (a count, sum or average per bucket or group); this query returns \
         raw rows"
    )]
    NotAggregated,
    /// A relative time could not be read or resolved.
    #[error(transparent)]
    Relative(#[from] RelativeTimeError),
    /// Shifting went outside the dates that can be represented.
    #[error("the comparison period is outside the range of dates that can be represented")]
    OutOfRange,
}

/// The query's bounded time range, read from `body` with relative times already resolved
/// (see the module docs). `view` names the field suggested when there is none.
pub fn bounded_range(view: View, body: &QueryBody) -> Result<TimeRange, CompareError> {
    let mut conditions = Vec::new();
    if let Some(filter) = &body.filter {
        binding_conditions(filter, &mut conditions);
    }
    // Fields in the order their first bound appears.
    let mut fields: Vec<Field> = Vec::new();
    for condition in &conditions {
        if condition.field.is_timestamp() && !fields.contains(&condition.field) {
            fields.push(condition.field);
        }
    }
    let mut half_bounded = None;
    for field in &fields {
        let (start, end) = bounds_on(*field, &conditions);
        match (start, end) {
            (Some(start), Some(end)) if start < end => return Ok(TimeRange { field: *field, start, end }),
            (Some(start), Some(end)) => {
                return Err(CompareError::Empty {
                    field: *field,
                    start: format_utc(start),
                    end: format_utc(end),
                });
            }
            (Some(_), None) if half_bounded.is_none() => {
                half_bounded = Some((*field, "it has a start but no end"));
            }
            (None, Some(_)) if half_bounded.is_none() => {
                half_bounded = Some((*field, "it has an end but no start"));
            }
            _ => {}
        }
    }
    Err(match half_bounded {
        Some((field, detail)) => CompareError::Unbounded { field, detail: Some(detail.to_string()) },
        None => CompareError::Unbounded { field: view.default_time_field(), detail: None },
    })
}

/// The query with a one-sided relative bound closed (see the module docs).
fn close_relative_ranges(body: &QueryBody) -> QueryBody {
    let mut closed = body.clone();
    let Some(filter) = closed.filter.as_mut() else { return closed };
    let mut fields = Vec::new();
    {
        let mut conditions = Vec::new();
        binding_conditions(filter, &mut conditions);
        for condition in &conditions {
            if condition.field.is_timestamp() && !fields.contains(&condition.field) {
                fields.push(condition.field);
            }
        }
    }
    for field in fields {
        let (lower, upper) = {
            let mut conditions = Vec::new();
            binding_conditions(filter, &mut conditions);
            let on_field: Vec<&Condition> = conditions.into_iter().filter(|c| c.field == field).collect();
            let has =
                |ops: &[Operator]| on_field.iter().any(|c| ops.contains(&c.operator) && c.value.is_some());
            (
                has(&[Operator::Gte, Operator::Gt, Operator::Eq]),
                has(&[Operator::Lt, Operator::Lte, Operator::Eq]),
            )
        };
        if lower == upper {
            continue;
        }
        let wanted: &[Operator] =
            if lower { &[Operator::Gte, Operator::Gt] } else { &[Operator::Lt, Operator::Lte] };
        let mut instant_lower = false;
        let mut widened = false;
        visit_binding_mut(filter, &mut |condition| {
            if widened || condition.field != field || !wanted.contains(&condition.operator) {
                return;
            }
            let Some(FilterValue::Scalar(Scalar::String(text))) = &condition.value else { return };
            if parse_filter_timestamp(text).is_some() {
                return;
            }
            match RelativeTime::parse(text) {
                Ok(expression) if expression.is_range() => {
                    condition.operator = Operator::Eq;
                    widened = true;
                }
                Ok(_) if lower => instant_lower = true,
                _ => {}
            }
        });
        if !widened && instant_lower {
            let until_now = Filter::Condition(Condition {
                field,
                operator: Operator::Lt,
                value: Some(FilterValue::Scalar(Scalar::String("now".to_string()))),
            });
            match &mut *filter {
                Filter::And(items) => items.push(until_now),
                other => *other = Filter::And(vec![other.clone(), until_now]),
            }
        }
    }
    closed
}

/// Calls `visit` on every condition every matching row meets (see [`binding_conditions`]).
fn visit_binding_mut(filter: &mut Filter, visit: &mut impl FnMut(&mut Condition)) {
    match filter {
        Filter::Condition(condition) => visit(condition),
        Filter::And(items) => items.iter_mut().for_each(|item| visit_binding_mut(item, visit)),
        Filter::Or(items) if items.len() == 1 => {
            items.iter_mut().for_each(|item| visit_binding_mut(item, visit))
        }
        Filter::Or(_) => {}
    }
}

/// The conditions every matching row meets: the top condition and those under `and`s.
fn binding_conditions<'f>(filter: &'f Filter, out: &mut Vec<&'f Condition>) {
    match filter {
        Filter::Condition(condition) => out.push(condition),
        Filter::And(items) => items.iter().for_each(|item| binding_conditions(item, out)),
        // One branch of several bounds nothing; a lone branch is the same as its item.
        Filter::Or(items) if items.len() == 1 => items.iter().for_each(|item| binding_conditions(item, out)),
        Filter::Or(_) => {}
    }
}

fn timestamp_value(condition: &Condition) -> Option<Timestamp> {
    match &condition.value {
        Some(FilterValue::Scalar(Scalar::String(text))) => parse_filter_timestamp(text),
        _ => None,
    }
}

/// The tightest start and end the conditions put on `field`.
fn bounds_on(field: Field, conditions: &[&Condition]) -> (Option<Timestamp>, Option<Timestamp>) {
    let just_after = |at: Timestamp| at.checked_add(SignedDuration::from_millis(1)).ok();
    let mut start: Option<Timestamp> = None;
    let mut end: Option<Timestamp> = None;
    for condition in conditions.iter().filter(|c| c.field == field) {
        let Some(at) = timestamp_value(condition) else { continue };
        let (low, high) = match condition.operator {
            Operator::Gte => (Some(at), None),
            Operator::Gt => (just_after(at), None),
            Operator::Lt => (None, Some(at)),
            Operator::Lte => (None, just_after(at)),
            Operator::Eq => (Some(at), just_after(at)),
            _ => (None, None),
        };
        if let Some(low) = low {
            start = Some(start.map_or(low, |s| s.max(low)));
        }
        if let Some(high) = high {
            end = Some(end.map_or(high, |e| e.min(high)));
        }
    }
    (start, end)
}

/// Plans a comparison of `body` on `view` at `now`: resolves its relative times, finds its
/// range, and builds the previous period's body. Both bodies stay inside the published
/// schema: only timestamp values change, each to an RFC 3339 instant.
pub fn plan_comparison(
    view: View,
    body: &QueryBody,
    now: Timestamp,
    offset: CompareOffset,
) -> Result<ComparePlan, CompareError> {
    if !body.select.iter().any(|selection| matches!(selection, Selection::Aggregation { .. })) {
        return Err(CompareError::NotAggregated);
    }
    let current_body = resolve_relative_times(&close_relative_ranges(body), now)?;
    let current = bounded_range(view, &current_body)?;
    let step = Step::for_range(offset, &current);
    let previous =
        TimeRange { field: current.field, start: step.apply(current.start)?, end: step.apply(current.end)? };
    let mut previous_body = current_body.clone();
    if let Some(filter) = &current_body.filter {
        previous_body.filter = Some(shift_filter(filter, current.field, &step)?);
    }
    Ok(ComparePlan { offset, periods: Periods { current, previous }, current_body, previous_body })
}

/// How one instant moves back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// By a fixed length.
    Duration(SignedDuration),
    /// By calendar months, the day of the month clamped to the target month's length.
    Months(i64),
}

impl Step {
    fn for_range(offset: CompareOffset, range: &TimeRange) -> Step {
        match offset {
            CompareOffset::Previous => match whole_months(range) {
                Some(months) => Step::Months(months),
                None => Step::Duration(range.end.duration_since(range.start)),
            },
            CompareOffset::Week => Step::Duration(SignedDuration::from_hours(7 * 24)),
            CompareOffset::Month => Step::Months(1),
            CompareOffset::Year => Step::Months(12),
        }
    }

    /// `at` moved back by this step.
    fn apply(self, at: Timestamp) -> Result<Timestamp, CompareError> {
        match self {
            Step::Duration(length) => at.checked_sub(length).map_err(|_| CompareError::OutOfRange),
            Step::Months(months) => shift_months(at, -months).ok_or(CompareError::OutOfRange),
        }
    }
}

/// `at` moved by `months` calendar months in UTC (jiff clamps the day of the month).
pub(crate) fn shift_months(at: Timestamp, months: i64) -> Option<Timestamp> {
    let span = Span::new().try_months(months).ok()?;
    let civil = Offset::UTC.to_datetime(at).checked_add(span).ok()?;
    Offset::UTC.to_timestamp(civil).ok()
}

/// The number of calendar months in a range that starts and ends at midnight UTC on the
/// first of a month; `None` for any other range.
fn whole_months(range: &TimeRange) -> Option<i64> {
    let month_index = |at: Timestamp| {
        let civil = Offset::UTC.to_datetime(at);
        let at_month_start = civil.day() == 1
            && civil.hour() == 0
            && civil.minute() == 0
            && civil.second() == 0
            && civil.subsec_nanosecond() == 0;
        at_month_start.then(|| i64::from(civil.year()) * 12 + i64::from(civil.month()))
    };
    let months = month_index(range.end)? - month_index(range.start)?;
    (months > 0).then_some(months)
}

/// The filter with every timestamp value compared with `field` moved back by `step`, in
/// every branch (so that an `or` beside the range moves with it).
fn shift_filter(filter: &Filter, field: Field, step: &Step) -> Result<Filter, CompareError> {
    match filter {
        Filter::Condition(condition) => {
            let shiftable = condition.field == field
                && (condition.operator.is_ordering()
                    || matches!(condition.operator, Operator::Eq | Operator::Neq));
            match timestamp_value(condition).filter(|_| shiftable) {
                Some(at) => Ok(Filter::Condition(Condition {
                    field: condition.field,
                    operator: condition.operator,
                    value: Some(FilterValue::Scalar(Scalar::String(format_utc(step.apply(at)?)))),
                })),
                None => Ok(Filter::Condition(condition.clone())),
            }
        }
        Filter::And(items) => Ok(Filter::And(
            items.iter().map(|item| shift_filter(item, field, step)).collect::<Result<_, _>>()?,
        )),
        Filter::Or(items) => Ok(Filter::Or(
            items.iter().map(|item| shift_filter(item, field, step)).collect::<Result<_, _>>()?,
        )),
    }
}
