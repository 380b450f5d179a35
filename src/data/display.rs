//! How cells read in the grid (as opposed to [`cell_text`](super::table::ResultTable::cell_text),
//! the raw form used for copy and export): numbers with thousands separators,
//! timestamps in local time without the `T` and `Z`, with the UTC form for tooltips.

use std::borrow::Cow;

use chrono::{DateTime, FixedOffset, Local, TimeZone, Utc};

use super::table::{CellRef, ResultTable, write_float};

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
        CellRef::Timestamp(millis) => Cow::Owned(timestamp_local(millis)),
        CellRef::Bool(b) => Cow::Borrowed(if b { "true" } else { "false" }),
        CellRef::Text(s) | CellRef::Json(s) => Cow::Borrowed(s),
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
/// when it has milliseconds).
pub fn timestamp_local(millis: i64) -> String {
    match Local.timestamp_millis_opt(millis).single() {
        Some(local) => format_readable(&local, millis),
        None => timestamp_utc(millis),
    }
}

/// A timestamp in a fixed offset, formatted like [`timestamp_local`].
pub fn timestamp_in(millis: i64, offset: FixedOffset) -> String {
    match offset.timestamp_millis_opt(millis).single() {
        Some(time) => format_readable(&time, millis),
        None => timestamp_utc(millis),
    }
}

/// A timestamp in UTC for tooltips: `2026-01-05 10:00:00 UTC` (with `.123` when
/// it has milliseconds).
pub fn timestamp_utc(millis: i64) -> String {
    match DateTime::<Utc>::from_timestamp_millis(millis) {
        Some(time) => format!("{} UTC", format_readable(&time, millis)),
        None => millis.to_string(),
    }
}

fn format_readable<Tz: TimeZone>(time: &DateTime<Tz>, millis: i64) -> String
where
    Tz::Offset: std::fmt::Display,
{
    if millis.rem_euclid(1000) == 0 {
        time.format("%Y-%m-%d %H:%M:%S").to_string()
    } else {
        time.format("%Y-%m-%d %H:%M:%S%.3f").to_string()
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
        let millis =
            chrono::DateTime::parse_from_rfc3339("2026-01-05T10:00:00.123Z").unwrap().timestamp_millis();
        assert_eq!(timestamp_utc(millis), "2026-01-05 10:00:00.123 UTC");
        assert_eq!(timestamp_utc(millis - 123), "2026-01-05 10:00:00 UTC");
        let plus_two = FixedOffset::east_opt(2 * 3600).unwrap();
        assert_eq!(timestamp_in(millis, plus_two), "2026-01-05 12:00:00.123");
    }
}
