//! Comparing a query with an earlier period: "is this up or down on last week?".
//!
//! A comparison runs the same query twice: once as written, once with its time range
//! shifted back ([`CompareOffset`]), and joins the two answers row by row.
//!
//! - [`range`]: finds the query's bounded time range on a timestamp field (relative values
//!   such as "last 30 days" resolved against `now` exactly as
//!   [`resolve_relative_times`](crate::relative_time::resolve_relative_times) does, or
//!   explicit bounds), refuses an unbounded query with a sentence saying what it needs,
//!   and builds the previous period's body ([`plan_comparison`]).
//! - [`join`]: joins the two [`ResultTable`](crate::data::ResultTable)s on the bucket offset
//!   (the bucket's index from the start of its range) and the group values, adding a
//!   `previous` and a `change %` column per measure ([`join_comparison`]).
//! - [`summary`]: the range's total, the previous total and the change, and the sentence
//!   a cron report quotes ("+12.2 % on last week").
//!
//! The rules, chosen once here:
//!
//! - A group or bucket present on one side only counts as zero on the other: it is a row of
//!   the joined table, never dropped.
//! - The change is `(current − previous) / previous × 100`, rounded to one decimal. From
//!   zero to anything it reads `new`; zero on both sides reads `0` (no change).
//! - The previous period of a range that is a whole number of calendar months (`this
//!   month`, `previous quarter`, 2026-01-01 to 2026-04-01) is the same number of calendar
//!   months before it; any other range moves back by its own length. The week, month and
//!   year offsets move both bounds by that calendar amount (a month back from March 31 is
//!   February 28, or 29).
//!
//! This lives in `data` because the join builds a [`ResultTable`](crate::data::ResultTable)
//! with the typed column builders; it reads the query model of `api` and the relative-time
//! resolver, which sits beside `api` and knows nothing of `data`.

pub mod join;
pub mod range;
pub mod summary;

#[cfg(test)]
mod tests;

use std::fmt;

pub use join::{Comparison, join_comparison};
pub use range::{CompareError, ComparePlan, Periods, TimeRange, bounded_range, plan_comparison};
pub use summary::{Change, CompareSummary};

/// How far back the comparison period lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CompareOffset {
    /// The period just before, as long as the range itself.
    #[default]
    Previous,
    /// The same period one week earlier.
    Week,
    /// The same period one calendar month earlier.
    Month,
    /// The same period one calendar year earlier.
    Year,
}

impl CompareOffset {
    /// Every offset, in the order menus list them.
    pub const ALL: [CompareOffset; 4] =
        [CompareOffset::Previous, CompareOffset::Week, CompareOffset::Month, CompareOffset::Year];

    /// The command-line name: `previous`, `week`, `month`, `year`.
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOffset::Previous => "previous",
            CompareOffset::Week => "week",
            CompareOffset::Month => "month",
            CompareOffset::Year => "year",
        }
    }

    /// Reads a command-line name (any case).
    pub fn from_name(name: &str) -> Option<CompareOffset> {
        CompareOffset::ALL.into_iter().find(|offset| offset.as_str().eq_ignore_ascii_case(name.trim()))
    }

    /// The menu label: `previous period`, `same period last week`.
    pub fn label(self) -> &'static str {
        match self {
            CompareOffset::Previous => "previous period",
            CompareOffset::Week => "same period last week",
            CompareOffset::Month => "same period last month",
            CompareOffset::Year => "same period last year",
        }
    }

    /// The words after a change in a report: `on the previous period`, `on last week`.
    pub fn phrase(self) -> &'static str {
        match self {
            CompareOffset::Previous => "on the previous period",
            CompareOffset::Week => "on last week",
            CompareOffset::Month => "on last month",
            CompareOffset::Year => "on last year",
        }
    }
}

impl fmt::Display for CompareOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
