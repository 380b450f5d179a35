//! How cells read in the grid (as opposed to [`cell_text`](super::table::ResultTable::cell_text),
//! the raw form), and how time buckets read in copies and exports.
//!
//! One rule for time: **everything the app shows is UTC**, as the server buckets and as
//! relative times resolve. A time bucket shows the bucket itself (`2026-06-08` for a day,
//! `2026-06-08 (week)` for the ISO week starting that Monday, `2026-06` for a month,
//! `2026-06-08 14:00 UTC` for an hour), never an instant shifted into the machine's zone,
//! which would label June 8 as "June 7, 17:00" west of Greenwich. Any other timestamp
//! reads `2026-06-08 14:03:22 UTC`; the machine's local time is only offered on hover
//! ([`timestamp_hover`]). Copies and exports write buckets in a sortable, parseable form
//! ([`bucket_export_label`]: the week as its Monday's date) and other timestamps as RFC 3339.

use std::borrow::Cow;
use std::fmt::Write as _;

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::{Offset, TimeZone};

use crate::api::columns::ColumnSource;
use crate::api::query::TimeUnit;
use crate::api::timestamp::format_utc;

use super::series::bucket_start;
use super::table::{CellRef, Column, ResultTable, write_float};
use super::time::civil_from_days;

const MILLIS_PER_DAY: i64 = 86_400_000;
const MILLIS_PER_HOUR: i64 = 3_600_000;

/// The text a grid shows for a cell; null is the empty string (the grid may draw
/// a placeholder instead).
pub fn cell_display(table: &ResultTable, row: usize, col: usize) -> Cow<'_, str> {
    match table.cell(row, col) {
        CellRef::Null => Cow::Borrowed(""),
        CellRef::Int(v) => Cow::Owned(group_thousands(&v.to_string())),
        CellRef::Float(v) => {
            let mut text = String::new();
            write_float(v, &mut text);
            Cow::Owned(group_thousands(&text))
        }
        CellRef::Timestamp(millis) => {
            Cow::Owned(timestamp_display(table.column(col).and_then(bucket_unit), millis))
        }
        CellRef::Bool(b) => Cow::Borrowed(if b { "true" } else { "false" }),
        CellRef::Text(s) | CellRef::Json(s) => Cow::Borrowed(s),
    }
}

/// The unit of a time-bucket column (`firstMessageTime_day` → day); `None` for any other.
pub fn bucket_unit(column: &Column) -> Option<TimeUnit> {
    match column.source() {
        Some(ColumnSource::TimeBucket { unit, .. }) => Some(*unit),
        _ => None,
    }
}

/// How the grid shows a timestamp: the bucket label in a bucket column of `unit`
/// ([`bucket_label`]), else the instant in UTC ([`timestamp_utc`]). Never the local zone.
pub fn timestamp_display(unit: Option<TimeUnit>, millis: i64) -> String {
    match unit {
        Some(unit) => bucket_label(unit, millis),
        None => timestamp_utc(millis),
    }
}

/// A time bucket as the grid and the chart's table read it, in UTC: `2026-06-08 14:00 UTC`,
/// `2026-06-08`, `2026-06-08 (week)` (the ISO week starting that Monday), `2026-06`. A value
/// that is not the start of a `unit` bucket is shown as the full instant
/// (`2026-06-07 17:00:00 UTC`) rather than rounded into a bucket it does not start.
pub fn bucket_label(unit: TimeUnit, millis: i64) -> String {
    let mut out = String::new();
    if !push_bucket_label(unit, millis, &mut out) {
        return timestamp_utc(millis);
    }
    if unit == TimeUnit::Week {
        out.push_str(" (week)");
    }
    out
}

/// A time bucket as copies and exports write it: sortable and parseable, in UTC:
/// `2026-06-08 14:00 UTC`, `2026-06-08`, `2026-06-08` for the week starting that Monday
/// (so that weeks sort and read as dates), `2026-06`. `None` when `millis` does not start a
/// `unit` bucket; the caller then writes the instant in RFC 3339.
pub fn bucket_export_label(unit: TimeUnit, millis: i64) -> Option<String> {
    let mut out = String::new();
    push_bucket_label(unit, millis, &mut out).then_some(out)
}

/// Appends the export label of a bucket (see [`bucket_export_label`]) to `out`; false (and
/// nothing appended) when `millis` does not start a `unit` bucket.
pub fn push_bucket_label(unit: TimeUnit, millis: i64, out: &mut String) -> bool {
    if bucket_start(unit, millis) != millis {
        return false;
    }
    let (year, month, day) = civil_from_days(millis.div_euclid(MILLIS_PER_DAY));
    let hour = millis.rem_euclid(MILLIS_PER_DAY) / MILLIS_PER_HOUR;
    // Writing to a String cannot fail.
    let _ = match unit {
        TimeUnit::Hour => write!(out, "{year:04}-{month:02}-{day:02} {hour:02}:00 UTC"),
        TimeUnit::Day | TimeUnit::Week => write!(out, "{year:04}-{month:02}-{day:02}"),
        TimeUnit::Month => write!(out, "{year:04}-{month:02}"),
    };
    true
}

/// The text a copy holds for a cell: the export label of a time bucket
/// ([`bucket_export_label`]), otherwise the raw text
/// ([`cell_text`](super::table::ResultTable::cell_text): RFC 3339 for other timestamps).
pub fn cell_copy_text(table: &ResultTable, row: usize, col: usize) -> Cow<'_, str> {
    if let CellRef::Timestamp(millis) = table.cell(row, col)
        && let Some(unit) = table.column(col).and_then(bucket_unit)
        && let Some(label) = bucket_export_label(unit, millis)
    {
        return Cow::Owned(label);
    }
    table.cell_text(row, col)
}

/// The hover text of a timestamp that is not a bucket: the exact UTC instant (RFC 3339),
/// then the same instant in the machine's time zone, with its offset:
/// `2026-06-08T14:03:22Z\nYour time: 2026-06-08 07:03:22 (UTC-07:00)`.
pub fn timestamp_hover(millis: i64) -> String {
    let Ok(time) = Timestamp::from_millisecond(millis) else {
        return millis.to_string();
    };
    let local = time.to_zoned(TimeZone::system());
    format!(
        "{}\nYour time: {} (UTC{})",
        format_utc(time),
        format_readable(local.datetime(), millis),
        offset_text(local.offset())
    )
}

/// An offset as `+HH:MM` (`+HH:MM:SS` when it has seconds), the form the hover has always
/// shown (`UTC-07:00`, `UTC+00:00`).
fn offset_text(offset: Offset) -> String {
    let total = offset.seconds();
    let sign = if total < 0 { '-' } else { '+' };
    let total = total.unsigned_abs();
    let (hours, minutes, seconds) = (total / 3600, total / 60 % 60, total % 60);
    if seconds == 0 {
        format!("{sign}{hours:02}:{minutes:02}")
    } else {
        format!("{sign}{hours:02}:{minutes:02}:{seconds:02}")
    }
}

/// Inserts `,` between groups of three digits in the integer part of a plain
/// decimal number (`-1234567.5` → `-1,234,567.5`); other text (exponents,
/// `NaN`) comes back unchanged.
pub fn group_thousands(number: &str) -> String {
    let (sign, unsigned) = match number.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", number),
    };
    let int_len = unsigned.find(|c: char| !c.is_ascii_digit()).unwrap_or(unsigned.len());
    let (int_part, rest) = unsigned.split_at(int_len);
    let plain = rest.is_empty()
        || (rest.starts_with('.') && rest.get(1..).is_some_and(|f| f.bytes().all(|b| b.is_ascii_digit())));
    if int_part.len() <= 3 || !plain {
        return number.to_string();
    }
    let mut out = String::with_capacity(number.len() + int_part.len() / 3);
    out.push_str(sign);
    for (i, digit) in int_part.chars().enumerate() {
        if i > 0 && (int_part.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out.push_str(rest);
    out
}

/// A timestamp in the machine's local time: `2026-01-05 11:00:00` (with `.123`
/// when it has milliseconds). Only for hover texts: cells show UTC.
pub fn timestamp_local(millis: i64) -> String {
    match Timestamp::from_millisecond(millis) {
        Ok(time) => format_readable(time.to_zoned(TimeZone::system()).datetime(), millis),
        Err(_) => timestamp_utc(millis),
    }
}

/// A timestamp in a fixed offset, formatted like [`timestamp_local`].
pub fn timestamp_in(millis: i64, offset: Offset) -> String {
    match Timestamp::from_millisecond(millis) {
        Ok(time) => format_readable(offset.to_datetime(time), millis),
        Err(_) => timestamp_utc(millis),
    }
}

/// A timestamp in UTC for tooltips: `2026-01-05 10:00:00 UTC` (with `.123` when
/// it has milliseconds).
pub fn timestamp_utc(millis: i64) -> String {
    match Timestamp::from_millisecond(millis) {
        Ok(time) => format!("{} UTC", format_readable(Offset::UTC.to_datetime(time), millis)),
        Err(_) => millis.to_string(),
    }
}

/// `2026-01-05 10:00:00`, with `.123` when `millis` has milliseconds.
fn format_readable(time: DateTime, millis: i64) -> String {
    let seconds = time.strftime("%Y-%m-%d %H:%M:%S");
    match millis.rem_euclid(1000) {
        0 => seconds.to_string(),
        fraction => format!("{seconds}.{fraction:03}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped_in_plain_numbers_only() {
        assert_eq!(group_thousands("0"), "0");
        assert_eq!(group_thousands("999"), "999");
        assert_eq!(group_thousands("1000"), "1,000");
        assert_eq!(group_thousands("-1234567"), "-1,234,567");
        assert_eq!(group_thousands("1234567.125"), "1,234,567.125");
        assert_eq!(group_thousands("1e21"), "1e21");
        assert_eq!(group_thousands("12345abc"), "12345abc");
    }

    #[test]
    fn timestamps_read_without_t_and_z() {
        let millis = "2026-01-05T10:00:00.123Z".parse::<Timestamp>().unwrap().as_millisecond();
        assert_eq!(timestamp_utc(millis), "2026-01-05 10:00:00.123 UTC");
        assert_eq!(timestamp_utc(millis - 123), "2026-01-05 10:00:00 UTC");
        let plus_two = Offset::from_seconds(2 * 3600).unwrap();
        assert_eq!(timestamp_in(millis, plus_two), "2026-01-05 12:00:00.123");
    }

    #[test]
    fn offsets_read_as_hours_and_minutes() {
        assert_eq!(offset_text(Offset::UTC), "+00:00");
        assert_eq!(offset_text(Offset::from_seconds(-7 * 3600).unwrap()), "-07:00");
        assert_eq!(offset_text(Offset::from_seconds(5 * 3600 + 45 * 60).unwrap()), "+05:45");
        assert_eq!(offset_text(Offset::from_seconds(-(3600 + 2 * 60 + 3)).unwrap()), "-01:02:03");
    }
}
