//! RFC 3339 timestamps as epoch milliseconds (UTC).
//!
//! The API spells its timestamps in one of two exact layouts:
//! `2026-01-05T10:00:00.123Z` (JavaScript's `toISOString`) and
//! `2026-01-05T00:00:00Z` (time buckets). [`parse_strict`] reads those layouts
//! without allocating and reports the layout, so that a column whose values all
//! share one layout keeps only the milliseconds and still gives back the exact
//! original text through [`format_strict`]. Any other RFC 3339 spelling
//! (offsets, microseconds) goes through [`parse_rfc3339`] and the column keeps
//! its original text beside the milliseconds.

/// The exact spelling of a strict timestamp: `YYYY-MM-DDTHH:MM:SS[.f{1,3}]Z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimestampLayout {
    /// Digits after the decimal point, 0 to 3 (0 means no decimal point).
    pub fraction_digits: u8,
}

const MILLIS_PER_DAY: i64 = 86_400_000;

/// Parses `YYYY-MM-DDTHH:MM:SS[.f{1,3}]Z` into epoch milliseconds and its layout.
///
/// Returns `None` for anything else, including valid RFC 3339 text in another
/// layout: the caller then falls back to [`parse_rfc3339`].
pub fn parse_strict(text: &str) -> Option<(i64, TimestampLayout)> {
    let b = text.as_bytes();
    if b.len() < 20 || b.len() > 24 || b.last() != Some(&b'Z') {
        return None;
    }
    if b.get(4) != Some(&b'-')
        || b.get(7) != Some(&b'-')
        || b.get(10) != Some(&b'T')
        || b.get(13) != Some(&b':')
        || b.get(16) != Some(&b':')
    {
        return None;
    }
    let year = digits(b, 0, 4)?;
    let month = digits(b, 5, 2)?;
    let day = digits(b, 8, 2)?;
    let hour = digits(b, 11, 2)?;
    let minute = digits(b, 14, 2)?;
    let second = digits(b, 17, 2)?;
    let (millis_part, fraction_digits) = match b.len() {
        20 => (0, 0u8),
        // One to three fraction digits between the '.' at 19 and the trailing 'Z'.
        len => {
            if b.get(19) != Some(&b'.') || len == 21 {
                return None;
            }
            let count = len - 21;
            let value = digits(b, 20, count)?;
            let scale = [100, 10, 1].get(count - 1).copied()?;
            (value * scale, count as u8)
        }
    };
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let millis = days * MILLIS_PER_DAY + ((hour * 60 + minute) * 60 + second) * 1000 + millis_part;
    Some((millis, TimestampLayout { fraction_digits }))
}

/// Parses a timestamp from an answer into epoch milliseconds: the strict layouts without
/// allocating, anything else in any ISO-8601 form through the one lenient answer rule
/// ([`parse_answer_timestamp`](crate::api::timestamp::parse_answer_timestamp)), since the
/// API documents its time values only as ISO-8601 strings.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    if let Some((millis, _)) = parse_strict(text) {
        return Some(millis);
    }
    crate::api::timestamp::parse_answer_timestamp(text).map(jiff::Timestamp::as_millisecond)
}

/// Appends `millis` in the strict layout (UTC, `Z`). Years outside 0..=9999 are
/// written with as many digits as they need, which the strict parser never produces.
pub fn format_strict(millis: i64, layout: TimestampLayout, out: &mut String) {
    let days = millis.div_euclid(MILLIS_PER_DAY);
    let in_day = millis.rem_euclid(MILLIS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    let mut buf = [0u8; 24];
    let second_of_day = in_day / 1000;
    let parts = [
        (0usize, 4usize, year),
        (5, 2, month),
        (8, 2, day),
        (11, 2, second_of_day / 3600),
        (14, 2, second_of_day / 60 % 60),
        (17, 2, second_of_day % 60),
    ];
    if !(0..=9999).contains(&year) {
        // Outside the four-digit range: slow path, never hit for parsed values.
        out.push_str(&format!(
            "{year}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
            second_of_day / 3600,
            second_of_day / 60 % 60,
            second_of_day % 60
        ));
    } else {
        for (start, width, value) in parts {
            write_digits(&mut buf, start, width, value);
        }
        buf[4] = b'-';
        buf[7] = b'-';
        buf[10] = b'T';
        buf[13] = b':';
        buf[16] = b':';
        // Every byte written is an ASCII digit or separator.
        out.push_str(std::str::from_utf8(&buf[..19]).unwrap_or_default());
    }
    let digits_wanted = usize::from(layout.fraction_digits.min(3));
    if digits_wanted > 0 {
        let mut frac = [0u8; 3];
        write_digits(&mut frac, 0, 3, in_day % 1000);
        out.push('.');
        out.push_str(std::str::from_utf8(&frac[..digits_wanted]).unwrap_or_default());
    }
    out.push('Z');
}

/// True when formatting `millis` in `layout` gives back text that parses to the same
/// value, i.e. the layout does not drop precision the value has.
pub fn layout_keeps(millis: i64, layout: TimestampLayout) -> bool {
    let unit = match layout.fraction_digits {
        0 => 1000,
        1 => 100,
        2 => 10,
        _ => 1,
    };
    millis.rem_euclid(unit) == 0
}

fn write_digits(buf: &mut [u8], start: usize, width: usize, mut value: i64) {
    for i in (0..width).rev() {
        if let Some(slot) = buf.get_mut(start + i) {
            *slot = b'0' + (value % 10) as u8;
        }
        value /= 10;
    }
}

fn digits(b: &[u8], start: usize, count: usize) -> Option<i64> {
    let slice = b.get(start..start + count)?;
    let mut value = 0i64;
    for &c in slice {
        if !c.is_ascii_digit() {
            return None;
        }
        value = value * 10 + i64::from(c - b'0');
    }
    Some(value)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`]: (year, month, day).
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// jiff's own ISO-8601 parser, independent of the layouts read here.
    fn jiff_millis(text: &str) -> i64 {
        text.parse::<jiff::Timestamp>().unwrap().as_millisecond()
    }

    #[test]
    fn strict_layouts_parse_like_jiff_and_round_trip() {
        for text in [
            "2026-01-05T10:00:00.123Z",
            "2026-01-05T00:00:00Z",
            "1970-01-01T00:00:00Z",
            "1969-12-31T23:59:59.999Z",
            "2024-02-29T12:34:56.5Z",
            "2000-03-01T00:00:00.07Z",
            "0001-01-01T00:00:00Z",
            // The latest instant jiff (the independent check) holds.
            "9999-12-30T21:59:59.999Z",
        ] {
            let (millis, layout) = parse_strict(text).unwrap();
            assert_eq!(millis, jiff_millis(text), "{text}");
            let mut out = String::new();
            format_strict(millis, layout, &mut out);
            assert_eq!(out, text);
            assert!(layout_keeps(millis, layout));
        }
    }

    #[test]
    fn other_spellings_are_not_strict() {
        for text in [
            "2026-01-05T10:00:00+00:00",
            "2026-01-05T10:00:00.123456Z",
            "2026-01-05 10:00:00Z",
            "2026-02-30T10:00:00Z",
            "2026-13-05T10:00:00Z",
            "2026-01-05T24:00:00Z",
            "2026-01-05T10:00:00.Z",
            "2026-01-05",
            "hello world, this is",
        ] {
            assert!(parse_strict(text).is_none(), "{text}");
        }
        assert_eq!(parse_rfc3339("2026-01-05T12:00:00+02:00"), Some(jiff_millis("2026-01-05T10:00:00Z")));
        assert_eq!(parse_rfc3339("not a time"), None);
        // Answers may use any ISO-8601 form: no offset is UTC (the server buckets in UTC).
        assert_eq!(parse_rfc3339("2026-01-05T10:00:00"), Some(jiff_millis("2026-01-05T10:00:00Z")));
        assert_eq!(
            parse_rfc3339("2026-01-05 10:00:00.123456"),
            Some(jiff_millis("2026-01-05T10:00:00.123Z"))
        );
        assert_eq!(parse_rfc3339("2026-02-30T10:00:00"), None);
    }

    #[test]
    fn layout_keeps_detects_lost_precision() {
        let layout = TimestampLayout { fraction_digits: 0 };
        assert!(layout_keeps(1_000, layout));
        assert!(!layout_keeps(1_001, layout));
        assert!(layout_keeps(-2_000, layout));
    }
}
