//! The one timestamp rule: what a time value in a filter is, how it becomes an instant,
//! how an instant is written back, and how time values in answers are read.
//!
//! Every layer that reads a timestamp uses these functions (the validator, the form, the
//! relative-time resolver, the demo's SQL compiler, the chart's time filter, the table
//! builder), so the app, its checks and the embedded demo API accept exactly the same set.
//!
//! Two readers, on purpose:
//!
//! - [`parse_filter_timestamp`] is **strict**. It is the set the published schema (and so
//!   the real server) accepts in a filter: RFC 3339 with an offset
//!   (`2024-05-01T09:30:00Z`, `2024-05-01T09:30:00.25+02:00`), or a calendar date written
//!   exactly `YYYY-MM-DD`, meaning midnight UTC. A date-time without an offset is refused:
//!   the server would refuse it, so the app must not send it and the demo must not take it.
//! - [`parse_answer_timestamp`] is **lenient**. Answers are not ours to choose: the API
//!   documents bucket values only as ISO-8601 strings ("a client should accept any
//!   ISO-8601 form"), so a value without an offset (read as UTC), with a short offset
//!   (`+02`), without seconds, or a bare date is still read rather than shown as text.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::Offset;

/// Reads a timestamp as a filter value: RFC 3339 with an offset, or a date written exactly
/// `YYYY-MM-DD` (midnight UTC). `None` for anything else, including a date-time without an
/// offset, surrounding spaces and impossible calendar dates (`2024-02-30`).
pub fn parse_filter_timestamp(text: &str) -> Option<Timestamp> {
    parse_rfc3339(text).or_else(|| parse_date(text))
}

/// True when `text` is a timestamp filter value (see [`parse_filter_timestamp`]).
pub fn is_filter_timestamp(text: &str) -> bool {
    parse_filter_timestamp(text).is_some()
}

/// Reads a time value from an answer, in any ISO-8601 form: everything
/// [`parse_filter_timestamp`] takes, and also other ISO-8601/Temporal spellings (a short
/// or basic offset, no seconds, a bracketed zone annotation), and date-times without an
/// offset, which are read as UTC because the server buckets in UTC. Lenient because an
/// answer's spelling is not documented; never use it for what the app sends.
pub fn parse_answer_timestamp(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    if let Some(at) = parse_filter_timestamp(text) {
        return Some(at);
    }
    if let Ok(at) = text.parse::<Timestamp>() {
        return Some(at);
    }
    // No offset: the civil date-time, taken in UTC. jiff refuses `Z` here, which the
    // timestamp parse above has already taken.
    let civil = text.parse::<DateTime>().ok()?;
    Offset::UTC.to_timestamp(civil).ok()
}

/// Writes an instant as RFC 3339 in UTC (`Z`), with as many fraction digits as it needs in
/// groups of three: none, milliseconds, microseconds or nanoseconds
/// (`2024-05-01T10:00:00Z`, `2024-05-01T10:00:00.250Z`).
pub fn format_utc(at: Timestamp) -> String {
    let nanos = at.subsec_nanosecond();
    if nanos == 0 {
        format!("{at:.0}")
    } else if nanos % 1_000_000 == 0 {
        format!("{at:.3}")
    } else if nanos % 1_000 == 0 {
        format!("{at:.6}")
    } else {
        format!("{at:.9}")
    }
}

/// Serde for an instant saved in a file (presets, history, export sidecars): written with
/// [`format_utc`] (`2026-01-05T10:00:00Z`, `2026-01-05T10:00:00.250Z`), the exact text the
/// files have always held, and read back from RFC 3339 in any offset (or any other form
/// jiff reads as an instant), so every file written before still loads.
///
/// Use with `#[serde(with = "crate::api::timestamp::serde_utc")]`.
pub mod serde_utc {
    use jiff::Timestamp;
    use serde::{Deserialize as _, Deserializer, Serializer};

    /// Writes `at` as an RFC 3339 string in UTC.
    pub fn serialize<S: Serializer>(at: &Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&super::format_utc(*at))
    }

    /// Reads an RFC 3339 string (or another form jiff reads as an instant).
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        read(&text).map_err(serde::de::Error::custom)
    }

    /// The instant in `text`, or why it is not one.
    pub(super) fn read(text: &str) -> Result<Timestamp, String> {
        match super::parse_rfc3339(text) {
            Some(at) => Ok(at),
            None => text.parse::<Timestamp>().map_err(|err| format!("not an RFC 3339 timestamp: {err}")),
        }
    }

    /// The same for an optional instant (`null` or absent is `None`).
    pub mod option {
        use jiff::Timestamp;
        use serde::{Deserialize as _, Deserializer, Serializer};

        /// Writes `Some(at)` as an RFC 3339 string in UTC, `None` as `null`.
        pub fn serialize<S: Serializer>(at: &Option<Timestamp>, serializer: S) -> Result<S::Ok, S::Error> {
            match at {
                Some(at) => super::serialize(at, serializer),
                None => serializer.serialize_none(),
            }
        }

        /// Reads `null` as `None`, a string as [`super::deserialize`] does.
        pub fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<Timestamp>, D::Error> {
            match Option::<std::borrow::Cow<'de, str>>::deserialize(deserializer)? {
                Some(text) => super::read(&text).map(Some).map_err(serde::de::Error::custom),
                None => Ok(None),
            }
        }
    }
}

/// `YYYY-MM-DD`, exactly ten characters, a real calendar day; midnight UTC.
fn parse_date(text: &str) -> Option<Timestamp> {
    let b = text.as_bytes();
    if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let date = Date::new(number(b, 0, 4)? as i16, number(b, 5, 2)? as i8, number(b, 8, 2)? as i8).ok()?;
    Offset::UTC.to_timestamp(date.to_datetime(Time::midnight())).ok()
}

/// RFC 3339 `date-time` (section 5.6): `YYYY-MM-DD`, `T` (or `t`, or a space, which the
/// RFC allows for readability), `hh:mm:ss`, an optional fraction of any length, then `Z`,
/// `z` or `±hh:mm` (at most 23:59). A leap second (`:60`) is read as the last
/// nanosecond of :59, as RFC 3339 allows it and an instant cannot hold it. Unlike
/// [`parse_filter_timestamp`], a bare date is refused.
pub fn parse_rfc3339(text: &str) -> Option<Timestamp> {
    let b = text.as_bytes();
    if b.len() < 20
        || b.get(4) != Some(&b'-')
        || b.get(7) != Some(&b'-')
        || !matches!(b.get(10), Some(b'T' | b't' | b' '))
        || b.get(13) != Some(&b':')
        || b.get(16) != Some(&b':')
    {
        return None;
    }
    let year = number(b, 0, 4)? as i16;
    let month = number(b, 5, 2)? as i8;
    let day = number(b, 8, 2)? as i8;
    let hour = number(b, 11, 2)? as i8;
    let minute = number(b, 14, 2)? as i8;
    let second = number(b, 17, 2)?;
    let mut at = 19;
    let mut nanos: i64 = 0;
    if b.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        while b.get(at).is_some_and(u8::is_ascii_digit) {
            // Digits past the ninth are below a nanosecond: read, then dropped.
            if at - start < 9 {
                nanos = nanos * 10 + i64::from(b.get(at).copied().unwrap_or(b'0') - b'0');
            }
            at += 1;
        }
        let digits = at - start;
        if digits == 0 {
            return None;
        }
        for _ in digits..9 {
            nanos *= 10;
        }
    }
    let offset_seconds = match b.get(at..)? {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let hours = number(b, at + 1, 2)?;
            let minutes = number(b, at + 4, 2)?;
            if hours > 23 || minutes > 59 {
                return None;
            }
            let seconds = (hours * 60 + minutes) * 60;
            if *sign == b'-' { -seconds } else { seconds }
        }
        _ => return None,
    };
    let (second, nanos) = match second {
        60 => (59, 999_999_999),
        second => (second, nanos),
    };
    let date = Date::new(year, month, day).ok()?;
    let time = Time::new(hour, minute, second as i8, i32::try_from(nanos).ok()?).ok()?;
    let offset = Offset::from_seconds(i32::try_from(offset_seconds).ok()?).ok()?;
    offset.to_timestamp(DateTime::from_parts(date, time)).ok()
}

/// The decimal number in `b[start..start + len]`, when every byte there is a digit.
fn number(b: &[u8], start: usize, len: usize) -> Option<i64> {
    let digits = b.get(start..start + len)?;
    digits
        .iter()
        .try_fold(0i64, |acc, &byte| byte.is_ascii_digit().then(|| acc * 10 + i64::from(byte - b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Seconds since the epoch computed from the civil fields by hand (Howard Hinnant's
    /// days-from-civil), independent of jiff.
    fn epoch_seconds(year: i64, month: i64, day: i64, hour: i64, minute: i64, second: i64) -> i64 {
        let y = if month <= 2 { year - 1 } else { year };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (month + 9) % 12;
        let doy = (153 * mp + 2) / 5 + day - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        days * 86_400 + hour * 3600 + minute * 60 + second
    }

    fn millis(text: &str) -> Option<i64> {
        parse_filter_timestamp(text).map(Timestamp::as_millisecond)
    }

    #[test]
    fn offsets_are_applied() {
        let utc = epoch_seconds(2024, 5, 1, 9, 30, 0) * 1000;
        assert_eq!(millis("2024-05-01T09:30:00Z"), Some(utc));
        assert_eq!(millis("2024-05-01t09:30:00z"), Some(utc));
        assert_eq!(millis("2024-05-01 09:30:00Z"), Some(utc));
        assert_eq!(millis("2024-05-01T11:30:00+02:00"), Some(utc));
        assert_eq!(millis("2024-05-01T04:00:00-05:30"), Some(utc));
        assert_eq!(millis("2024-05-01T09:30:00-00:00"), Some(utc));
        // Crossing midnight backwards into the previous day, month and year.
        assert_eq!(millis("2024-01-01T01:00:00+02:00"), Some(epoch_seconds(2023, 12, 31, 23, 0, 0) * 1000));
    }

    #[test]
    fn fractional_seconds_of_any_length() {
        let base = epoch_seconds(2024, 5, 1, 9, 30, 0);
        assert_eq!(millis("2024-05-01T09:30:00.5Z"), Some(base * 1000 + 500));
        assert_eq!(millis("2024-05-01T09:30:00.250+00:00"), Some(base * 1000 + 250));
        let nanos = parse_filter_timestamp("2024-05-01T09:30:00.123456789123Z").unwrap();
        assert_eq!((nanos.as_second(), nanos.subsec_nanosecond()), (base, 123_456_789));
        assert_eq!(parse_filter_timestamp("2024-05-01T09:30:00.Z"), None);
    }

    #[test]
    fn dates_mean_midnight_utc() {
        assert_eq!(millis("2024-05-01"), Some(epoch_seconds(2024, 5, 1, 0, 0, 0) * 1000));
        assert_eq!(millis("2024-02-29"), Some(epoch_seconds(2024, 2, 29, 0, 0, 0) * 1000));
        assert_eq!(millis("1969-12-31"), Some(-86_400_000));
    }

    #[test]
    fn impossible_and_malformed_values_are_refused() {
        for text in [
            "2024-02-30",
            "2023-02-29",
            "2024-13-01",
            "2024-5-1",
            "2024-05-01T24:00:00Z",
            "2024-05-01T09:61:00Z",
            "2024-02-30T09:30:00Z",
            "2024-05-01T09:30:00+24:00",
            "2024-05-01T09:30:00+0200",
            "2024-05-01T09:30:00+02",
            "2024-05-01T09:30Z",
            " 2024-05-01",
            "2024-05-01T09:30:00Z ",
            "yesterday",
            "",
        ] {
            assert_eq!(parse_filter_timestamp(text), None, "{text:?}");
            assert!(!is_filter_timestamp(text), "{text:?}");
        }
    }

    #[test]
    fn no_offset_is_refused_strictly_and_read_as_utc_leniently() {
        for text in ["2024-05-01T09:30:00", "2024-05-01 09:30:00.5", "2024-05-01T09:30"] {
            assert_eq!(parse_filter_timestamp(text), None, "{text}");
        }
        let at = |text: &str| parse_answer_timestamp(text).map(Timestamp::as_millisecond);
        let base = epoch_seconds(2024, 5, 1, 9, 30, 0) * 1000;
        assert_eq!(at("2024-05-01T09:30:00"), Some(base));
        assert_eq!(at("2024-05-01 09:30:00.5"), Some(base + 500));
        assert_eq!(at("2024-05-01T09:30"), Some(base));
        assert_eq!(at("2024-05-01T11:30+02"), Some(base));
        assert_eq!(at("2024-05-01T11:30:00+0200"), Some(base));
        assert_eq!(at(" 2024-05-01T09:30:00Z "), Some(base));
        assert_eq!(at("2024-05-01"), Some(epoch_seconds(2024, 5, 1, 0, 0, 0) * 1000));
        assert_eq!(at("2024-02-30T00:00:00"), None);
        assert_eq!(at("soon"), None);
    }

    #[test]
    fn every_strict_value_reads_the_same_leniently() {
        for text in
            ["2024-05-01T09:30:00Z", "2024-05-01T11:30:00.125+02:00", "2024-05-01", "2024-12-31 23:59:60Z"]
        {
            assert_eq!(parse_answer_timestamp(text), parse_filter_timestamp(text), "{text}");
            assert!(parse_filter_timestamp(text).is_some(), "{text}");
        }
    }

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Saved {
        #[serde(with = "serde_utc")]
        at: Timestamp,
        #[serde(with = "serde_utc::option", default)]
        maybe: Option<Timestamp>,
    }

    #[test]
    fn saved_instants_keep_the_text_files_have_always_held() {
        // The forms chrono's serde wrote (UTC, `Z`, fraction digits in groups of three)
        // read back and write out byte for byte.
        for text in [
            "2026-01-05T10:00:00Z",
            "2026-01-05T10:00:00.250Z",
            "2026-01-05T10:00:00.123456Z",
            "2026-01-05T10:00:00.000000007Z",
            "1969-12-31T23:59:59.999Z",
        ] {
            let json = format!(r#"{{"at":"{text}","maybe":"{text}"}}"#);
            let saved: Saved = serde_json::from_str(&json).unwrap();
            assert_eq!(serde_json::to_string(&saved).unwrap(), json, "{text}");
        }
        // Other offsets and a missing or null optional value also load.
        let saved: Saved = serde_json::from_str(r#"{"at":"2026-01-05T12:00:00+02:00"}"#).unwrap();
        assert_eq!(saved, Saved { at: parse_filter_timestamp("2026-01-05T10:00:00Z").unwrap(), maybe: None });
        assert_eq!(serde_json::to_string(&saved).unwrap(), r#"{"at":"2026-01-05T10:00:00Z","maybe":null}"#);
        let saved: Saved = serde_json::from_str(r#"{"at":"2026-01-05T10:00:00Z","maybe":null}"#).unwrap();
        assert_eq!(saved.maybe, None);
        let err = serde_json::from_str::<Saved>(r#"{"at":"yesterday"}"#).unwrap_err();
        assert!(err.to_string().contains("RFC 3339"), "{err}");
    }

    #[test]
    fn formatting_is_utc_with_whole_groups_of_fraction_digits() {
        let at = |s: i64, n: i32| format_utc(Timestamp::new(s, n).unwrap());
        let base = epoch_seconds(2024, 5, 1, 9, 30, 0);
        assert_eq!(at(base, 0), "2024-05-01T09:30:00Z");
        assert_eq!(at(base, 250_000_000), "2024-05-01T09:30:00.250Z");
        assert_eq!(at(base, 999_000_000), "2024-05-01T09:30:00.999Z");
        assert_eq!(at(base, 1_000), "2024-05-01T09:30:00.000001Z");
        assert_eq!(at(base, 7), "2024-05-01T09:30:00.000000007Z");
        // Round trip through the strict parser, from any offset.
        for text in ["2024-05-01T11:30:00.25+02:00", "1999-12-31T23:59:59.999-01:00", "2024-05-01"] {
            let parsed = parse_filter_timestamp(text).unwrap();
            assert_eq!(parse_filter_timestamp(&format_utc(parsed)), Some(parsed), "{text}");
            assert!(format_utc(parsed).ends_with('Z'));
        }
    }
}
