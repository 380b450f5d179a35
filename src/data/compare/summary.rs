//! The change between two numbers, and the summary of a comparison: the total for the
//! range, the previous total and the change, as the window's summary line and the cron
//! report's sentence ("+12.2 % on last week").

use crate::data::display::group_thousands;

use super::CompareOffset;

/// How a number changed from the previous period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Change {
    /// By this many percent of the previous value, rounded to one decimal (never 0: an
    /// equal value is [`Change::Unchanged`]).
    Percent(f64),
    /// From zero to something: no percentage exists.
    New,
    /// Equal on both sides (zero on both included).
    Unchanged,
}

impl Change {
    /// The change from `previous` to `current`.
    pub fn between(current: f64, previous: f64) -> Change {
        if current == previous {
            Change::Unchanged
        } else if previous == 0.0 {
            Change::New
        } else {
            let percent = ((current - previous) / previous.abs() * 1000.0).round() / 10.0;
            if percent == 0.0 { Change::Unchanged } else { Change::Percent(percent) }
        }
    }

    /// The number a `change %` cell holds; `None` for [`Change::New`], which reads `new`.
    pub fn percent(self) -> Option<f64> {
        match self {
            Change::Percent(percent) => Some(percent),
            Change::Unchanged => Some(0.0),
            Change::New => None,
        }
    }

    /// `+12.2 %`, `-3 %`, `new`, `0 %`.
    pub fn text(self) -> String {
        match self {
            Change::Percent(percent) => {
                format!("{}{} %", if percent > 0.0 { "+" } else { "-" }, number_text(percent.abs()))
            }
            Change::New => "new".to_string(),
            Change::Unchanged => "0 %".to_string(),
        }
    }
}

/// A number as a person reads it: thousands grouped, at most two decimals.
pub fn number_text(value: f64) -> String {
    let rounded = (value * 100.0).round() / 100.0;
    if rounded.fract() == 0.0 && rounded.abs() < 1e15 {
        let text = format!("{}", rounded as i64);
        match text.strip_prefix('-') {
            Some(digits) => format!("-{}", group_thousands(digits)),
            None => group_thousands(&text),
        }
    } else {
        let text = format!("{rounded:.2}");
        let text = text.trim_end_matches('0');
        match text.split_once('.') {
            Some((whole, fraction)) => {
                let (sign, digits) = whole.strip_prefix('-').map_or(("", whole), |d| ("-", d));
                format!("{sign}{}.{fraction}", group_thousands(digits))
            }
            None => text.to_string(),
        }
    }
}

/// The totals of one measure over the whole range, in both periods.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareSummary {
    /// The measure's column (`count`, `sum_userMessageCount`).
    pub measure: String,
    /// Its sum over every row of the current period.
    pub current_total: f64,
    /// Its sum over every row of the previous period.
    pub previous_total: f64,
    /// From the previous total to the current one.
    pub change: Change,
    /// Which previous period.
    pub offset: CompareOffset,
}

impl CompareSummary {
    /// The summary of `measure` with these totals.
    pub fn new(
        measure: &str,
        current_total: f64,
        previous_total: f64,
        offset: CompareOffset,
    ) -> CompareSummary {
        CompareSummary {
            measure: measure.to_string(),
            current_total,
            previous_total,
            change: Change::between(current_total, previous_total),
            offset,
        }
    }

    /// The cron report's words: `+12.2 % on last week`, `new on last week`.
    pub fn report_line(&self) -> String {
        format!("{} {}", self.change.text(), self.offset.phrase())
    }

    /// The window's line above the chart: `count: 1,234 · previous period: 1,100 · +12.2 %`.
    pub fn line(&self) -> String {
        format!(
            "{}: {} · {}: {} · {}",
            self.measure,
            number_text(self.current_total),
            self.offset.label(),
            number_text(self.previous_total),
            self.change.text()
        )
    }
}
