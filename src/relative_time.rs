//! Relative times for timestamp filters (`firstMessageTime`, and on the other views
//! `createdAt`, `updatedAt`, `lastMessageTime`, `lastUpdated`): "last 30 days", "this week",
//! "previous month", "now - 7 days".
//!
//! A preset that says "unresolved tickets this week" must mean *this* week whenever it
//! runs, so a relative expression is stored verbatim as the string value of a
//! timestamp condition (`{"field":"firstMessageTime","operator":"gte","value":"this week"}`)
//! and [`resolve_relative_times`] rewrites it into a concrete RFC 3339 instant right
//! before the query is sent. A value that is already an RFC 3339 timestamp or a
//! `YYYY-MM-DD` date is left alone; any other string there must parse as an expression
//! below, or resolving reports it with its path (`where.and[1].condition.value`).
//!
//! Everything is UTC. Weeks start on Monday. Months and years are calendar months and
//! years: shifting by a month keeps the day of the month, clamped to the month's length
//! (March 31 − 1 month = February 28, or 29 in a leap year).
//!
//! # Grammar
//!
//! Case and spaces do not matter (`now-3h` = `Now - 3 H`); `−` and `–` work as minus.
//!
//! ```text
//! expression := "now" shift*                          an instant
//!             | amount unit "ago"                     = now - amount unit
//!             | ("start" | "beginning") "of" period shift*   the first instant of the period
//!             | "end" "of" period shift*              the first instant after the period
//!             | ("last" | "past") amount unit         rolling window: [now - amount unit, now)
//!             | period                                a whole period (a range)
//!             | period shift+                         = start of period, shifted
//! period     := "today" | "yesterday"
//!             | ("this" | "current") unit             the period containing now
//!             | ("last" | "previous" | "prev") unit   the whole period before it
//!             | unit                                  = this unit (after "start of" / "end of")
//! shift      := ("+" | "-") amount unit
//! amount     := digits (at most 5000)
//! unit       := s | sec | second | m | min | minute | h | hr | hour | d | day | w | wk | week
//!             | mo | mon | month | q | quarter | y | yr | year     (each also plural)
//! ```
//!
//! Note the difference between `last week` (the whole calendar week before this one) and
//! `last 1 week` / `last 7 days` (the rolling seven days up to now).
//!
//! # Ranges as filter values
//!
//! A range (a period or a rolling window) is a set of instants `[start, end)`. Used with a
//! comparison it stands for the bound on that side, so that the range itself always
//! matches: `gte` → `start`, `gt` → one millisecond before `start`, `lt` → `end`, `lte` →
//! one millisecond before `end`. So `gte "previous month"` and `lt "previous month"`
//! together select exactly the previous month. `eq` a range becomes
//! `{and:[gte start, lt end]}` and `neq` a range `{or:[lt start, gte end]}`. An instant is
//! used as it is with every comparison.

use std::fmt;

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::Offset;
use jiff::{SignedDuration, Span, Timestamp};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::api::query::{Condition, Filter, FilterValue, Operator, QueryBody, Scalar};
use crate::api::timestamp::{format_utc, is_filter_timestamp};
use crate::api::validate::Problem;

/// The largest amount an expression may carry: far beyond any useful filter, small enough
/// that one shift of any unit from a present-day now stays inside the years -9999 to 9999,
/// the range of dates the app can represent (5000 years from 2026 is 7026).
pub const MAX_AMOUNT: u32 = 5_000;

/// A unit of time: the size of a shift or a rolling window, or a calendar period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unit {
    /// One second.
    Second,
    /// One minute.
    Minute,
    /// One hour.
    Hour,
    /// One day (UTC: always 24 hours).
    Day,
    /// One week, Monday to Sunday as a period.
    Week,
    /// One calendar month.
    Month,
    /// Three calendar months; periods start in January, April, July and October.
    Quarter,
    /// One calendar year.
    Year,
}

impl Unit {
    /// Every unit, shortest first.
    pub const ALL: [Unit; 8] = [
        Unit::Second,
        Unit::Minute,
        Unit::Hour,
        Unit::Day,
        Unit::Week,
        Unit::Month,
        Unit::Quarter,
        Unit::Year,
    ];

    /// The singular English name (`day`).
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Second => "second",
            Unit::Minute => "minute",
            Unit::Hour => "hour",
            Unit::Day => "day",
            Unit::Week => "week",
            Unit::Month => "month",
            Unit::Quarter => "quarter",
            Unit::Year => "year",
        }
    }

    /// Reads a unit name, abbreviation or plural (`d`, `days`, `hrs`, `mo`).
    pub fn from_name(name: &str) -> Option<Unit> {
        let unit = match name {
            "s" | "sec" | "secs" | "second" | "seconds" => Unit::Second,
            "m" | "min" | "mins" | "minute" | "minutes" => Unit::Minute,
            "h" | "hr" | "hrs" | "hour" | "hours" => Unit::Hour,
            "d" | "day" | "days" => Unit::Day,
            "w" | "wk" | "wks" | "week" | "weeks" => Unit::Week,
            "mo" | "mon" | "mons" | "month" | "months" => Unit::Month,
            "q" | "quarter" | "quarters" => Unit::Quarter,
            "y" | "yr" | "yrs" | "year" | "years" => Unit::Year,
            _ => return None,
        };
        Some(unit)
    }

    /// `amount` of this unit in words: `1 day`, `7 days`.
    fn count_text(self, amount: u64) -> String {
        if amount == 1 { format!("1 {}", self.as_str()) } else { format!("{amount} {}s", self.as_str()) }
    }

    /// Months in one unit, for the calendar units.
    fn months(self) -> Option<i64> {
        match self {
            Unit::Month => Some(1),
            Unit::Quarter => Some(3),
            Unit::Year => Some(12),
            _ => None,
        }
    }

    /// The length of one unit in seconds, for the fixed-length units.
    fn seconds(self) -> Option<i64> {
        match self {
            Unit::Second => Some(1),
            Unit::Minute => Some(60),
            Unit::Hour => Some(3600),
            Unit::Day => Some(86_400),
            Unit::Week => Some(7 * 86_400),
            Unit::Month | Unit::Quarter | Unit::Year => None,
        }
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which calendar period, relative to the one containing now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Which {
    /// The period containing now (`this week`, `today`).
    Current,
    /// The whole period before it (`previous month`, `yesterday`).
    Previous,
}

/// A calendar period: `this week`, `previous month`, `today`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PeriodRef {
    /// Its length.
    pub unit: Unit,
    /// This one or the previous one.
    pub which: Which,
}

impl PeriodRef {
    /// The period containing now.
    pub fn current(unit: Unit) -> PeriodRef {
        PeriodRef { unit, which: Which::Current }
    }

    /// The whole period before the one containing now.
    pub fn previous(unit: Unit) -> PeriodRef {
        PeriodRef { unit, which: Which::Previous }
    }

    /// `[start, end)` of the period, for `now`.
    pub fn range(&self, now: Timestamp) -> Result<(Timestamp, Timestamp), RelativeTimeError> {
        let current = start_of(self.unit, now)?;
        let start = match self.which {
            Which::Current => current,
            Which::Previous => shift(current, self.unit, -1)?,
        };
        let end = shift(start, self.unit, 1)?;
        Ok((start, end))
    }
}

impl fmt::Display for PeriodRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.unit, self.which) {
            (Unit::Day, Which::Current) => f.write_str("today"),
            (Unit::Day, Which::Previous) => f.write_str("yesterday"),
            (unit, Which::Current) => write!(f, "this {unit}"),
            (unit, Which::Previous) => write!(f, "previous {unit}"),
        }
    }
}

/// A signed amount of a unit added to an instant (`- 7 days`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shift {
    /// How many units; negative goes back in time.
    pub amount: i64,
    /// Which unit.
    pub unit: Unit,
}

/// Where an instant expression starts before its shifts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Anchor {
    /// The time of the run.
    Now,
    /// The first instant of a period (`start of month`).
    StartOf(PeriodRef),
    /// The first instant after a period (`end of this week` = next Monday, 00:00).
    EndOf(PeriodRef),
}

/// A parsed relative time expression (see the module docs for the grammar).
///
/// Serialised as its canonical text (`"now - 7 days"`, `"this week"`), which parses back
/// to the same value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RelativeTime {
    /// One instant: an anchor moved by shifts (`now`, `now - 3 hours`, `start of month`).
    Instant {
        /// The starting point.
        anchor: Anchor,
        /// Applied in order.
        shifts: Vec<Shift>,
    },
    /// A whole calendar period (`today`, `this week`, `previous month`).
    Period(PeriodRef),
    /// The rolling window of the last `amount` units up to now (`last 30 days`).
    Rolling {
        /// How many units, at least 1.
        amount: u32,
        /// Which unit.
        unit: Unit,
    },
}

/// What an expression stands for at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolved {
    /// One instant.
    Instant(Timestamp),
    /// The instants `start <= t < end`.
    Range {
        /// First instant inside.
        start: Timestamp,
        /// First instant after.
        end: Timestamp,
    },
}

impl Resolved {
    /// The first instant (the instant itself for an instant).
    pub fn start(&self) -> Timestamp {
        match *self {
            Resolved::Instant(at) => at,
            Resolved::Range { start, .. } => start,
        }
    }

    /// The first instant after a range (the instant itself for an instant).
    pub fn end(&self) -> Timestamp {
        match *self {
            Resolved::Instant(at) => at,
            Resolved::Range { end, .. } => end,
        }
    }
}

impl fmt::Display for Resolved {
    /// `2026-01-05T00:00:00Z`, or `2026-01-05T00:00:00Z … 2026-01-12T00:00:00Z` for a
    /// range (start included, end excluded), as the request inspector shows it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Resolved::Instant(at) => f.write_str(&format_utc(*at)),
            Resolved::Range { start, end } => {
                write!(f, "{} … {} (UTC)", format_utc(*start), format_utc(*end))
            }
        }
    }
}

/// Why an expression could not be read or used; `path` names the filter value it came
/// from (`where.and[1].condition.value`), empty for a bare expression.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", if path.is_empty() { String::new() } else { format!("`{path}`: ") })]
pub struct RelativeTimeError {
    /// Wire path of the offending value; empty when not known.
    pub path: String,
    /// A sentence saying what is wrong and what would work.
    pub message: String,
}

impl RelativeTimeError {
    fn new(message: impl Into<String>) -> RelativeTimeError {
        RelativeTimeError { path: String::new(), message: message.into() }
    }

    fn at(mut self, path: &str) -> RelativeTimeError {
        self.path = path.to_string();
        self
    }

    /// The error as a validation [`Problem`], so the form can point at the value.
    pub fn to_problem(&self) -> Problem {
        Problem::new(self.path.clone(), self.message.clone())
    }
}

/// Examples for error messages.
const EXAMPLES: &str = "\"now - 7 days\", \"last 30 days\", \"this week\", \"previous month\", \"today\", \
                        \"start of month\"";

impl RelativeTime {
    /// Parses an expression (see the module docs for the grammar).
    pub fn parse(text: &str) -> Result<RelativeTime, RelativeTimeError> {
        let trimmed = text.trim();
        let looks_like_a_date = trimmed.len() >= 5
            && trimmed.bytes().take(4).all(|b| b.is_ascii_digit())
            && trimmed.as_bytes().get(4) == Some(&b'-');
        if looks_like_a_date {
            return Err(RelativeTimeError::new(format!(
                "`{trimmed}` looks like a date but is not a valid one: write a date as YYYY-MM-DD \
                 (2024-05-01) or a timestamp in RFC 3339 form (2024-05-01T09:30:00Z)."
            )));
        }
        let tokens = tokenize(text)?;
        let mut parser = Parser { tokens: &tokens, at: 0 };
        let expression = parser.expression()?;
        match parser.peek() {
            None => Ok(expression),
            Some(token) => Err(RelativeTimeError::new(format!(
                "`{text}` is not a relative time: `{token}` was not expected there. Try {EXAMPLES}."
            ))),
        }
    }

    /// What the expression stands for at `now`.
    pub fn resolve(&self, now: Timestamp) -> Result<Resolved, RelativeTimeError> {
        // Whole seconds: a filter bound finer than that only makes the request harder to read.
        let now = Timestamp::new(now.as_second(), 0).unwrap_or(now);
        match self {
            RelativeTime::Instant { anchor, shifts } => {
                let mut at = match anchor {
                    Anchor::Now => now,
                    Anchor::StartOf(period) => period.range(now)?.0,
                    Anchor::EndOf(period) => period.range(now)?.1,
                };
                for step in shifts {
                    at = shift(at, step.unit, step.amount)?;
                }
                Ok(Resolved::Instant(at))
            }
            RelativeTime::Period(period) => {
                let (start, end) = period.range(now)?;
                Ok(Resolved::Range { start, end })
            }
            RelativeTime::Rolling { amount, unit } => {
                let start = shift(now, *unit, -i64::from(*amount))?;
                Ok(Resolved::Range { start, end: now })
            }
        }
    }

    /// True for the expressions that stand for a range rather than an instant.
    pub fn is_range(&self) -> bool {
        !matches!(self, RelativeTime::Instant { .. })
    }
}

impl fmt::Display for RelativeTime {
    /// The canonical text: `now - 7 days`, `this week`, `last 30 days`, `start of month`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RelativeTime::Instant { anchor, shifts } => {
                match anchor {
                    Anchor::Now => f.write_str("now")?,
                    Anchor::StartOf(period) => write!(f, "start of {period}")?,
                    Anchor::EndOf(period) => write!(f, "end of {period}")?,
                }
                for step in shifts {
                    let sign = if step.amount < 0 { '-' } else { '+' };
                    write!(f, " {sign} {}", step.unit.count_text(step.amount.unsigned_abs()))?;
                }
                Ok(())
            }
            RelativeTime::Period(period) => write!(f, "{period}"),
            RelativeTime::Rolling { amount, unit } => {
                write!(f, "last {}", unit.count_text(u64::from(*amount)))
            }
        }
    }
}

impl std::str::FromStr for RelativeTime {
    type Err = RelativeTimeError;

    fn from_str(text: &str) -> Result<RelativeTime, RelativeTimeError> {
        RelativeTime::parse(text)
    }
}

impl Serialize for RelativeTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RelativeTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        RelativeTime::parse(&text).map_err(serde::de::Error::custom)
    }
}

// ---------------------------------------------------------------------------------------------
// Calendar arithmetic
// ---------------------------------------------------------------------------------------------

fn out_of_range() -> RelativeTimeError {
    RelativeTimeError::new("the time is outside the range of dates that can be represented")
}

/// The first instant of the `unit` period containing `at` (weeks start on Monday).
fn start_of(unit: Unit, at: Timestamp) -> Result<Timestamp, RelativeTimeError> {
    let civil = Offset::UTC.to_datetime(at);
    let date = civil.date();
    let midnight = |date: Date| date.to_datetime(Time::midnight());
    let first_of_month = |month: i8| Date::new(date.year(), month, 1).ok().map(midnight);
    let start: Option<DateTime> = match unit {
        Unit::Second => civil.with().subsec_nanosecond(0).build().ok(),
        Unit::Minute => civil.with().second(0).subsec_nanosecond(0).build().ok(),
        Unit::Hour => civil.with().minute(0).second(0).subsec_nanosecond(0).build().ok(),
        Unit::Day => Some(midnight(date)),
        Unit::Week => Span::new()
            .try_days(i64::from(date.weekday().to_monday_zero_offset()))
            .ok()
            .and_then(|back| date.checked_sub(back).ok())
            .map(midnight),
        Unit::Month => first_of_month(date.month()),
        Unit::Quarter => first_of_month((date.month() - 1) / 3 * 3 + 1),
        Unit::Year => first_of_month(1),
    };
    start.and_then(|civil| Offset::UTC.to_timestamp(civil).ok()).ok_or_else(out_of_range)
}

/// `at` moved by `amount` units; calendar units keep the day of the month, clamped to
/// the target month's length.
fn shift(at: Timestamp, unit: Unit, amount: i64) -> Result<Timestamp, RelativeTimeError> {
    let shifted = match (unit.seconds(), unit.months()) {
        (Some(unit_seconds), _) => amount
            .checked_mul(unit_seconds)
            .and_then(|seconds| at.checked_add(SignedDuration::from_secs(seconds)).ok()),
        // Calendar units move the civil date-time in UTC; jiff clamps the day of the month
        // to the target month's length.
        (None, Some(months_per_unit)) => amount
            .checked_mul(months_per_unit)
            .and_then(|months| Span::new().try_months(months).ok())
            .and_then(|span| Offset::UTC.to_datetime(at).checked_add(span).ok())
            .and_then(|civil| Offset::UTC.to_timestamp(civil).ok()),
        (None, None) => None,
    };
    shifted.ok_or_else(out_of_range)
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    Number(u32),
    Plus,
    Minus,
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Word(word) => f.write_str(word),
            Token::Number(n) => write!(f, "{n}"),
            Token::Plus => f.write_str("+"),
            Token::Minus => f.write_str("-"),
        }
    }
}

fn tokenize(text: &str) -> Result<Vec<Token>, RelativeTimeError> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '+' {
            chars.next();
            tokens.push(Token::Plus);
        } else if matches!(c, '-' | '\u{2212}' | '\u{2013}') {
            chars.next();
            tokens.push(Token::Minus);
        } else if c.is_ascii_digit() {
            let mut digits = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                digits.push(d);
                chars.next();
            }
            match digits.parse::<u32>() {
                Ok(n) if n <= MAX_AMOUNT => tokens.push(Token::Number(n)),
                _ => {
                    return Err(RelativeTimeError::new(format!(
                        "`{digits}` is too large; amounts go up to {MAX_AMOUNT}, because dates end at the year 9999."
                    )));
                }
            }
        } else if c.is_alphabetic() {
            let mut word = String::new();
            while let Some(&l) = chars.peek().filter(|l| l.is_alphabetic()) {
                word.extend(l.to_lowercase());
                chars.next();
            }
            tokens.push(Token::Word(word));
        } else {
            return Err(RelativeTimeError::new(format!(
                "`{text}` is not a timestamp or a relative time: `{c}` is not expected. An RFC 3339 time \
                 looks like 2024-05-01T09:30:00Z; relative times look like {EXAMPLES}."
            )));
        }
    }
    if tokens.is_empty() {
        return Err(RelativeTimeError::new(format!("The time is empty. Try {EXAMPLES}.")));
    }
    Ok(tokens)
}

struct Parser<'t> {
    tokens: &'t [Token],
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn peek_word(&self) -> Option<&str> {
        match self.peek() {
            Some(Token::Word(word)) => Some(word.as_str()),
            _ => None,
        }
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn expect_word(&mut self, word: &str) -> Result<(), RelativeTimeError> {
        match self.next() {
            Some(Token::Word(found)) if found == word => Ok(()),
            Some(other) => Err(RelativeTimeError::new(format!("expected `{word}` but found `{other}`"))),
            None => Err(RelativeTimeError::new(format!("expected `{word}` at the end"))),
        }
    }

    fn unit(&mut self) -> Result<Unit, RelativeTimeError> {
        match self.next() {
            Some(Token::Word(word)) => Unit::from_name(&word).ok_or_else(|| {
                RelativeTimeError::new(format!(
                    "`{word}` is not a unit of time; use seconds, minutes, hours, days, weeks, months, \
                     quarters or years"
                ))
            }),
            Some(other) => Err(RelativeTimeError::new(format!("expected a unit of time, found `{other}`"))),
            None => Err(RelativeTimeError::new(
                "a unit of time (days, weeks, months…) is missing at the end".to_string(),
            )),
        }
    }

    fn amount(&mut self) -> Result<u32, RelativeTimeError> {
        match self.next() {
            Some(Token::Number(n)) => Ok(n),
            Some(other) => Err(RelativeTimeError::new(format!("expected a number, found `{other}`"))),
            None => Err(RelativeTimeError::new("a number is missing at the end".to_string())),
        }
    }

    fn expression(&mut self) -> Result<RelativeTime, RelativeTimeError> {
        match self.peek().cloned() {
            Some(Token::Word(word)) => match word.as_str() {
                "now" => {
                    self.next();
                    Ok(RelativeTime::Instant { anchor: Anchor::Now, shifts: self.shifts()? })
                }
                "start" | "beginning" | "end" => {
                    self.next();
                    self.expect_word("of")?;
                    let period = self.period(true)?;
                    let anchor = if word == "end" { Anchor::EndOf(period) } else { Anchor::StartOf(period) };
                    Ok(RelativeTime::Instant { anchor, shifts: self.shifts()? })
                }
                "last" | "past" if matches!(self.tokens.get(self.at + 1), Some(Token::Number(_))) => {
                    self.next();
                    let amount = self.amount()?;
                    let unit = self.unit()?;
                    if amount == 0 {
                        return Err(RelativeTimeError::new(format!(
                            "`last 0 {unit}s` is an empty range; use at least 1"
                        )));
                    }
                    Ok(RelativeTime::Rolling { amount, unit })
                }
                _ => {
                    let period = self.period(false)?;
                    let shifts = self.shifts()?;
                    if shifts.is_empty() {
                        Ok(RelativeTime::Period(period))
                    } else {
                        Ok(RelativeTime::Instant { anchor: Anchor::StartOf(period), shifts })
                    }
                }
            },
            Some(Token::Number(_)) => {
                let amount = i64::from(self.amount()?);
                let unit = self.unit()?;
                self.expect_word("ago")?;
                Ok(RelativeTime::Instant {
                    anchor: Anchor::Now,
                    shifts: vec![Shift { amount: -amount, unit }],
                })
            }
            Some(other) => Err(RelativeTimeError::new(format!(
                "a relative time cannot start with `{other}`. Try {EXAMPLES}."
            ))),
            None => Err(RelativeTimeError::new(format!("The time is empty. Try {EXAMPLES}."))),
        }
    }

    /// A period; a bare unit (`month`) only after `start of` / `end of`.
    fn period(&mut self, bare_unit_allowed: bool) -> Result<PeriodRef, RelativeTimeError> {
        let Some(word) = self.peek_word().map(str::to_string) else {
            return Err(RelativeTimeError::new(format!(
                "expected a period such as `this week` or `previous month`, found `{}`",
                self.peek().map_or_else(|| "nothing".to_string(), Token::to_string)
            )));
        };
        let period = match word.as_str() {
            "today" => {
                self.next();
                PeriodRef::current(Unit::Day)
            }
            "yesterday" => {
                self.next();
                PeriodRef::previous(Unit::Day)
            }
            "this" | "current" => {
                self.next();
                PeriodRef::current(self.unit()?)
            }
            "last" | "previous" | "prev" => {
                self.next();
                PeriodRef::previous(self.unit()?)
            }
            other if bare_unit_allowed && Unit::from_name(other).is_some() => {
                PeriodRef::current(self.unit()?)
            }
            other => {
                return Err(RelativeTimeError::new(format!(
                    "`{other}` does not start a relative time. Try {EXAMPLES}."
                )));
            }
        };
        Ok(period)
    }

    fn shifts(&mut self) -> Result<Vec<Shift>, RelativeTimeError> {
        let mut shifts = Vec::new();
        loop {
            let sign = match self.peek() {
                Some(Token::Plus) => 1,
                Some(Token::Minus) => -1,
                _ => return Ok(shifts),
            };
            self.next();
            let amount = sign * i64::from(self.amount()?);
            let unit = self.unit()?;
            shifts.push(Shift { amount, unit });
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------------------------

/// True when `text` is already a concrete time the API accepts for `firstMessageTime`: an
/// RFC 3339 timestamp or a `YYYY-MM-DD` date.
pub fn is_concrete_time(text: &str) -> bool {
    is_filter_timestamp(text)
}

/// One relative value found in a query.
#[derive(Debug, Clone, PartialEq)]
pub struct RelativeValue {
    /// Wire path of the value (`where.and[1].condition.value`).
    pub path: String,
    /// The text as written.
    pub text: String,
    /// The operator it is compared with.
    pub operator: Operator,
    /// The parsed expression, or why it does not parse.
    pub parsed: Result<RelativeTime, RelativeTimeError>,
}

/// Every timestamp value in the filter that is not a concrete time, in document
/// order (for the request inspector: "this week = 2026-01-05 … 2026-01-12 (UTC)").
pub fn relative_values(body: &QueryBody) -> Vec<RelativeValue> {
    let mut out = Vec::new();
    if let Some(filter) = &body.filter {
        collect_relative(filter, "where", &mut out);
    }
    out
}

/// True when the query holds at least one relative timestamp value.
pub fn has_relative_times(body: &QueryBody) -> bool {
    !relative_values(body).is_empty()
}

fn relative_text(condition: &Condition) -> Option<&str> {
    match (&condition.field, &condition.value) {
        // Every timestamp field of every view (`createdAt` of feedback and events too).
        (field, Some(FilterValue::Scalar(Scalar::String(text))))
            if field.is_timestamp() && !is_concrete_time(text) =>
        {
            Some(text)
        }
        _ => None,
    }
}

fn collect_relative(filter: &Filter, at: &str, out: &mut Vec<RelativeValue>) {
    match filter {
        Filter::Condition(condition) => {
            if let Some(text) = relative_text(condition) {
                let path = format!("{at}.condition.value");
                out.push(RelativeValue {
                    parsed: RelativeTime::parse(text).map_err(|err| err.at(&path)),
                    path,
                    text: text.to_string(),
                    operator: condition.operator,
                });
            }
        }
        Filter::And(items) => {
            for (index, item) in items.iter().enumerate() {
                collect_relative(item, &format!("{at}.and[{index}]"), out);
            }
        }
        Filter::Or(items) => {
            for (index, item) in items.iter().enumerate() {
                collect_relative(item, &format!("{at}.or[{index}]"), out);
            }
        }
    }
}

/// The query with every relative timestamp value replaced by the concrete
/// RFC 3339 instant it stands for at `now` (see the module docs for how ranges map onto
/// operators). A query without relative values comes back unchanged. A value that is
/// neither a concrete time nor a valid expression, or a range used with an operator
/// other than a comparison, is an error naming the value's path.
pub fn resolve_relative_times(body: &QueryBody, now: Timestamp) -> Result<QueryBody, RelativeTimeError> {
    let mut resolved = body.clone();
    if let Some(filter) = &body.filter {
        resolved.filter = Some(resolve_filter(filter, "where", now)?);
    }
    Ok(resolved)
}

fn resolve_filter(filter: &Filter, at: &str, now: Timestamp) -> Result<Filter, RelativeTimeError> {
    match filter {
        Filter::Condition(condition) => resolve_condition(condition, at, now),
        Filter::And(items) => Ok(Filter::And(
            items
                .iter()
                .enumerate()
                .map(|(index, item)| resolve_filter(item, &format!("{at}.and[{index}]"), now))
                .collect::<Result<_, _>>()?,
        )),
        Filter::Or(items) => Ok(Filter::Or(
            items
                .iter()
                .enumerate()
                .map(|(index, item)| resolve_filter(item, &format!("{at}.or[{index}]"), now))
                .collect::<Result<_, _>>()?,
        )),
    }
}

fn resolve_condition(condition: &Condition, at: &str, now: Timestamp) -> Result<Filter, RelativeTimeError> {
    let Some(text) = relative_text(condition) else {
        return Ok(Filter::Condition(condition.clone()));
    };
    let path = format!("{at}.condition.value");
    let expression = RelativeTime::parse(text).map_err(|err| err.at(&path))?;
    let resolved = expression.resolve(now).map_err(|err| err.at(&path))?;
    let one_ms_before = |instant: Timestamp| {
        instant.checked_sub(SignedDuration::from_millis(1)).map_err(|_| out_of_range().at(&path))
    };
    let compare = |operator: Operator, instant: Timestamp| {
        Filter::Condition(Condition {
            field: condition.field,
            operator,
            value: Some(FilterValue::Scalar(Scalar::String(format_utc(instant)))),
        })
    };
    let filter = match (resolved, condition.operator) {
        (Resolved::Instant(instant), operator) if is_comparison(operator) => compare(operator, instant),
        (Resolved::Range { start, .. }, Operator::Gte) => compare(Operator::Gte, start),
        (Resolved::Range { start, .. }, Operator::Gt) => compare(Operator::Gt, one_ms_before(start)?),
        (Resolved::Range { end, .. }, Operator::Lt) => compare(Operator::Lt, end),
        (Resolved::Range { end, .. }, Operator::Lte) => compare(Operator::Lte, one_ms_before(end)?),
        (Resolved::Range { start, end }, Operator::Eq) => {
            Filter::And(vec![compare(Operator::Gte, start), compare(Operator::Lt, end)])
        }
        (Resolved::Range { start, end }, Operator::Neq) => {
            Filter::Or(vec![compare(Operator::Lt, start), compare(Operator::Gte, end)])
        }
        (_, operator) => {
            return Err(RelativeTimeError {
                path,
                message: format!(
                    "The relative time \"{text}\" can only be compared with eq, neq, gt, gte, lt or lte, \
                     not with {operator}."
                ),
            });
        }
    };
    Ok(filter)
}

fn is_comparison(operator: Operator) -> bool {
    matches!(operator, Operator::Eq | Operator::Neq) || operator.is_ordering()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::query::{Field, Filter};

    fn utc(text: &str) -> Timestamp {
        crate::api::timestamp::parse_filter_timestamp(text).unwrap()
    }

    fn range(expression: &str, now: &str) -> (String, String) {
        match RelativeTime::parse(expression).unwrap().resolve(utc(now)).unwrap() {
            Resolved::Range { start, end } => (format_utc(start), format_utc(end)),
            Resolved::Instant(at) => panic!("{expression} resolved to the instant {at}"),
        }
    }

    fn instant(expression: &str, now: &str) -> String {
        match RelativeTime::parse(expression).unwrap().resolve(utc(now)).unwrap() {
            Resolved::Instant(at) => format_utc(at),
            other => panic!("{expression} resolved to the range {other}"),
        }
    }

    #[test]
    fn weeks_start_on_monday() {
        // 2026-01-04 is a Sunday, 2026-01-05 a Monday.
        assert_eq!(
            range("this week", "2026-01-04T23:59:59Z"),
            ("2025-12-29T00:00:00Z".into(), "2026-01-05T00:00:00Z".into())
        );
        assert_eq!(
            range("this week", "2026-01-05T00:00:00Z"),
            ("2026-01-05T00:00:00Z".into(), "2026-01-12T00:00:00Z".into())
        );
        assert_eq!(
            range("last week", "2026-01-05T00:00:00Z"),
            ("2025-12-29T00:00:00Z".into(), "2026-01-05T00:00:00Z".into())
        );
        assert_eq!(
            range("previous week", "2026-01-07T12:00:00Z"),
            range("last week", "2026-01-07T12:00:00Z")
        );
    }

    #[test]
    fn months_across_the_year_and_leap_februaries() {
        assert_eq!(
            range("previous month", "2026-01-15T08:00:00Z"),
            ("2025-12-01T00:00:00Z".into(), "2026-01-01T00:00:00Z".into())
        );
        assert_eq!(
            range("this month", "2024-02-29T23:00:00Z"),
            ("2024-02-01T00:00:00Z".into(), "2024-03-01T00:00:00Z".into())
        );
        assert_eq!(
            range("previous month", "2024-03-31T10:00:00Z"),
            ("2024-02-01T00:00:00Z".into(), "2024-03-01T00:00:00Z".into())
        );
        // Month shifts clamp to the month's length: 29 days in 2024, 28 in 2025.
        assert_eq!(instant("now - 1 month", "2024-03-31T10:00:00Z"), "2024-02-29T10:00:00Z");
        assert_eq!(instant("now - 1 month", "2025-03-31T10:00:00Z"), "2025-02-28T10:00:00Z");
        assert_eq!(instant("now - 1 year", "2024-02-29T00:00:00Z"), "2023-02-28T00:00:00Z");
        assert_eq!(instant("now + 1 month", "2026-01-31T00:00:00Z"), "2026-02-28T00:00:00Z");
        assert_eq!(instant("now - 1 mo", "2026-05-31T00:00:00Z"), "2026-04-30T00:00:00Z");
        assert_eq!(instant("start of month", "2026-12-31T23:59:59.999Z"), "2026-12-01T00:00:00Z");
        assert_eq!(instant("end of month", "2026-12-31T23:59:59Z"), "2027-01-01T00:00:00Z");
        assert_eq!(
            range("this year", "2026-12-31T23:59:59Z"),
            ("2026-01-01T00:00:00Z".into(), "2027-01-01T00:00:00Z".into())
        );
        assert_eq!(
            range("last year", "2026-01-01T00:00:00Z"),
            ("2025-01-01T00:00:00Z".into(), "2026-01-01T00:00:00Z".into())
        );
        assert_eq!(
            range("previous quarter", "2026-02-10T00:00:00Z"),
            ("2025-10-01T00:00:00Z".into(), "2026-01-01T00:00:00Z".into())
        );
    }

    #[test]
    fn days_and_rolling_windows() {
        assert_eq!(
            range("today", "2026-03-01T00:30:00Z"),
            ("2026-03-01T00:00:00Z".into(), "2026-03-02T00:00:00Z".into())
        );
        assert_eq!(
            range("yesterday", "2024-03-01T00:30:00Z"),
            ("2024-02-29T00:00:00Z".into(), "2024-03-01T00:00:00Z".into())
        );
        assert_eq!(
            range("last 30 days", "2026-03-01T10:00:00Z"),
            ("2026-01-30T10:00:00Z".into(), "2026-03-01T10:00:00Z".into())
        );
        assert_eq!(
            range("last 12 hours", "2026-01-01T06:00:00Z"),
            ("2025-12-31T18:00:00Z".into(), "2026-01-01T06:00:00Z".into())
        );
        assert_eq!(instant("now-3h", "2026-01-01T01:00:00Z"), "2025-12-31T22:00:00Z");
        assert_eq!(instant("Now − 7 Days", "2026-01-03T00:00:00Z"), "2025-12-27T00:00:00Z");
        assert_eq!(instant("now - 1 day - 2 hours", "2026-01-03T00:00:00Z"), "2026-01-01T22:00:00Z");
        assert_eq!(instant("3 days ago", "2026-01-03T00:00:00Z"), "2025-12-31T00:00:00Z");
        assert_eq!(instant("today - 29 days", "2026-03-01T10:00:00Z"), "2026-01-31T00:00:00Z");
        assert_eq!(instant("start of this week", "2026-01-01T10:00:00Z"), "2025-12-29T00:00:00Z");
        assert_eq!(instant("start of previous month", "2026-01-01T10:00:00Z"), "2025-12-01T00:00:00Z");
    }

    #[test]
    fn canonical_text_round_trips_through_serde() {
        for text in [
            "now",
            "now - 7 days",
            "now + 1 hour - 30 minutes",
            "today",
            "yesterday",
            "this week",
            "previous month",
            "last 30 days",
            "last 1 hour",
            "end of previous week",
            "start of today - 29 days",
        ] {
            let parsed = RelativeTime::parse(text).unwrap();
            assert_eq!(parsed.to_string(), text);
            let json = serde_json::to_string(&parsed).unwrap();
            assert_eq!(json, format!("\"{text}\""));
            assert_eq!(serde_json::from_str::<RelativeTime>(&json).unwrap(), parsed);
        }
        assert_eq!(RelativeTime::parse("now-3h").unwrap().to_string(), "now - 3 hours");
        assert_eq!(RelativeTime::parse("start of month").unwrap().to_string(), "start of this month");
    }

    #[test]
    fn bad_expressions_say_what_is_wrong() {
        for (text, needle) in [
            ("", "empty"),
            ("now - 7 fortnights", "fortnights"),
            ("next week", "next"),
            ("now - days", "number"),
            ("last 0 days", "empty range"),
            ("now - 7", "unit"),
            ("this week please", "please"),
            ("now - 9999999 days", "too large"),
            ("2024-13-01", "not a valid one"),
            ("10:30", "not expected"),
        ] {
            let err = RelativeTime::parse(text).unwrap_err();
            assert!(err.message.contains(needle), "{text}: {}", err.message);
        }
    }

    #[test]
    fn queries_resolve_ranges_by_operator() {
        let now = utc("2026-01-07T12:00:00Z");
        let cond = |op: Operator, value: &str| {
            Filter::condition(Field::FirstMessageTime, op, Some(FilterValue::Scalar(value.into())))
        };
        let body = QueryBody {
            filter: Some(Filter::And(vec![
                cond(Operator::Gte, "this week"),
                cond(Operator::Lt, "this week"),
                cond(Operator::Gt, "yesterday"),
                cond(Operator::Lte, "yesterday"),
                cond(Operator::Eq, "previous month"),
                cond(Operator::Neq, "today"),
                cond(Operator::Lt, "now - 1 hour"),
                cond(Operator::Gte, "2025-01-01"),
                cond(Operator::Gte, "2025-01-01T00:00:00Z"),
            ])),
            ..QueryBody::default()
        };
        let resolved = resolve_relative_times(&body, now).unwrap();
        let expected = Filter::And(vec![
            cond(Operator::Gte, "2026-01-05T00:00:00Z"),
            cond(Operator::Lt, "2026-01-12T00:00:00Z"),
            cond(Operator::Gt, "2026-01-05T23:59:59.999Z"),
            cond(Operator::Lte, "2026-01-06T23:59:59.999Z"),
            Filter::And(vec![
                cond(Operator::Gte, "2025-12-01T00:00:00Z"),
                cond(Operator::Lt, "2026-01-01T00:00:00Z"),
            ]),
            Filter::Or(vec![
                cond(Operator::Lt, "2026-01-07T00:00:00Z"),
                cond(Operator::Gte, "2026-01-08T00:00:00Z"),
            ]),
            cond(Operator::Lt, "2026-01-07T11:00:00Z"),
            cond(Operator::Gte, "2025-01-01"),
            cond(Operator::Gte, "2025-01-01T00:00:00Z"),
        ]);
        assert_eq!(resolved.filter, Some(expected));
        assert!(
            crate::api::validate::validate(crate::api::view::View::Conversations, &resolved).is_empty(),
            "{:?}",
            crate::api::validate::validate(crate::api::view::View::Conversations, &resolved)
        );
        assert_eq!(relative_values(&body).len(), 7);
        assert!(!has_relative_times(&resolved));
    }

    #[test]
    fn every_timestamp_field_resolves_and_other_fields_keep_their_text() {
        let now = utc("2026-01-07T12:00:00Z");
        let cond = |field: Field, value: &str| {
            Filter::condition(field, Operator::Gte, Some(FilterValue::Scalar(value.into())))
        };
        let body = QueryBody {
            filter: Some(Filter::And(vec![
                cond(Field::CreatedAt, "this week"),
                cond(Field::UpdatedAt, "last 30 days"),
                cond(Field::LastMessageTime, "today"),
                // Not a timestamp: "this week" could be a search query someone typed.
                cond(Field::SearchQuery, "this week"),
            ])),
            ..QueryBody::default()
        };
        let resolved = resolve_relative_times(&body, now).unwrap();
        let expected = Filter::And(vec![
            cond(Field::CreatedAt, "2026-01-05T00:00:00Z"),
            cond(Field::UpdatedAt, "2025-12-08T12:00:00Z"),
            cond(Field::LastMessageTime, "2026-01-07T00:00:00Z"),
            cond(Field::SearchQuery, "this week"),
        ]);
        assert_eq!(resolved.filter, Some(expected));
        assert_eq!(relative_values(&body).len(), 3);
    }

    #[test]
    fn query_errors_name_the_value() {
        let now = utc("2026-01-07T12:00:00Z");
        let body = QueryBody {
            filter: Some(Filter::Or(vec![
                Filter::condition(Field::Type, Operator::Eq, Some(FilterValue::Scalar("openai".into()))),
                Filter::And(vec![Filter::condition(
                    Field::FirstMessageTime,
                    Operator::Gte,
                    Some(FilterValue::Scalar("last fortnight".into())),
                )]),
            ])),
            ..QueryBody::default()
        };
        let err = resolve_relative_times(&body, now).unwrap_err();
        assert_eq!(err.path, "where.or[1].and[0].condition.value");
        assert!(err.message.contains("fortnight"), "{}", err.message);
        assert_eq!(err.to_problem().path, "where.or[1].and[0].condition.value");

        let body = QueryBody {
            filter: Some(Filter::condition(
                Field::FirstMessageTime,
                Operator::ArrayContains,
                Some(FilterValue::Scalar("this week".into())),
            )),
            ..QueryBody::default()
        };
        let err = resolve_relative_times(&body, now).unwrap_err();
        assert_eq!(err.path, "where.condition.value");
        assert!(err.message.contains("arrayContains"), "{}", err.message);
    }
}
