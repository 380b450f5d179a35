//! How cells read in the grid (as opposed to [`cell_text`](super::table::ResultTable::cell_text),
//! the raw form), and how time buckets read in copies and exports.
//!
//! One rule for a cell's text, [`cell_shown`]: numbers grouped, booleans ✔ / ✖, text on one
//! line and cut, JSON arrays as lists (`Incorrect · Outdated docs`, `en, fr`: see
//! [`json_display`]). Copies keep the raw value ([`cell_copy_text`]: the JSON as received);
//! the hover and the row detail panel show the whole value ([`cell_full_value`]).
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

/// Displayed text longer than this (in characters) is cut, with `…`; the full value is
/// for the hover and the row detail panel. Laying out a 100 kB cell every frame only to elide
/// it would cost frames.
pub const MAX_CELL_CHARS: usize = 200;

/// JSON cells longer than this (in bytes) are shown as they are (cut) rather than parsed to be
/// summarised: the grid reads its visible cells every frame, and a summary of a huge array
/// would be cut anyway.
const MAX_SUMMARISED_JSON_BYTES: usize = 16 * 1024;

/// Shown for `true` in the grid (booleans sort false before true and match the search
/// `true`, `✔` or `✓`). The heavy check mark, because the fonts egui ships have no glyph for
/// the light one (U+2713).
pub const TRUE_MARK: &str = "✔";
/// Shown for `false` in the grid (matches the search `false`, `✖`, `✗` or `✘`); the heavy
/// multiplication X, the one cross those fonts have in the proportional family, pairing with
/// [`TRUE_MARK`].
pub const FALSE_MARK: &str = "✖";
/// Marks a search for a boolean may use besides `true` / `false`: the grid's own and their
/// light forms, which are what people usually type or paste.
pub const TRUE_SEARCH_MARKS: &[&str] = &[TRUE_MARK, "✓"];
/// See [`TRUE_SEARCH_MARKS`].
pub const FALSE_SEARCH_MARKS: &[&str] = &[FALSE_MARK, "✗", "✘"];

/// How a cell reads in the grid: the one rule for its text, used by the grid's cells, its
/// column widths and [`cell_display`].
#[derive(Debug, Clone, PartialEq)]
pub struct CellShown<'a> {
    /// The text on one line, at most [`MAX_CELL_CHARS`] characters (plus `…`); empty for null
    /// (the grid draws a placeholder).
    pub text: Cow<'a, str>,
    /// Numbers, right-aligned.
    pub numeric: bool,
    /// No value.
    pub null: bool,
    /// The text is not the whole value: a rounded float, a text cut or put on one line, a JSON
    /// array summarised. The hover then shows the value ([`cell_hover_value`]).
    pub partial: bool,
}

/// How the grid shows a cell (see [`CellShown`]):
/// - integers and floats with thousands separators, floats to about seven significant digits
///   ([`float_display`]);
/// - timestamps in UTC, a time bucket as the bucket ([`timestamp_display`]);
/// - booleans as [`TRUE_MARK`] / [`FALSE_MARK`];
/// - text on one line, cut at [`MAX_CELL_CHARS`];
/// - JSON arrays as a list ([`json_display`]: `Incorrect · Outdated docs`, `en, fr`), other
///   JSON compact, as received.
pub fn cell_shown(table: &ResultTable, row: usize, col: usize) -> CellShown<'_> {
    let whole =
        |text: Cow<'static, str>, numeric: bool| CellShown { text, numeric, null: false, partial: false };
    match table.cell(row, col) {
        CellRef::Null => CellShown { text: Cow::Borrowed(""), numeric: false, null: true, partial: false },
        CellRef::Int(v) => whole(Cow::Owned(group_thousands(&v.to_string())), true),
        CellRef::Float(v) => {
            let (text, rounded) = float_display(v);
            CellShown { text: Cow::Owned(text), numeric: true, null: false, partial: rounded }
        }
        CellRef::Timestamp(millis) => {
            whole(Cow::Owned(timestamp_display(table.column(col).and_then(bucket_unit), millis)), false)
        }
        CellRef::Bool(b) => whole(Cow::Borrowed(if b { TRUE_MARK } else { FALSE_MARK }), false),
        CellRef::Text(s) => {
            let (text, partial) = single_line(s, MAX_CELL_CHARS);
            CellShown { text, numeric: false, null: false, partial }
        }
        CellRef::Json(s) => {
            let summary = json_display(s);
            let summarised = matches!(summary, Cow::Owned(_));
            let (text, cut) = match summary {
                Cow::Borrowed(raw) => single_line(raw, MAX_CELL_CHARS),
                Cow::Owned(list) => {
                    let (text, cut) = single_line(&list, MAX_CELL_CHARS);
                    (Cow::Owned(text.into_owned()), cut)
                }
            };
            CellShown { text, numeric: false, null: false, partial: summarised || cut }
        }
    }
}

/// The text a grid shows for a cell ([`cell_shown`]); null is the empty string (the grid
/// draws a placeholder instead).
pub fn cell_display(table: &ResultTable, row: usize, col: usize) -> Cow<'_, str> {
    cell_shown(table, row, col).text
}

/// A JSON value as the grid reads it. An array reads as a list: an object by its `label`,
/// else its `title`, else its `name` (the first that is a non-empty string), else as compact
/// JSON; a string as itself; anything else as compact JSON. Items are separated by ` · ` when
/// the array holds an object, else by `, ` (`[{"label":"Incorrect"},{"label":"Outdated
/// docs"}]` → `Incorrect · Outdated docs`, `["en","fr"]` → `en, fr`); an empty array reads as
/// the empty string. A lone JSON string reads as its text. Objects, numbers, invalid JSON and
/// texts over 16 kB come back unchanged (borrowed): only a changed text is owned.
pub fn json_display(raw: &str) -> Cow<'_, str> {
    let trimmed = raw.trim_start();
    if raw.len() > MAX_SUMMARISED_JSON_BYTES || !(trimmed.starts_with('[') || trimmed.starts_with('"')) {
        return Cow::Borrowed(raw);
    }
    match serde_json::from_str::<serde_json::Value>(raw) {
        Ok(serde_json::Value::Array(items)) => {
            let has_object = items.iter().any(serde_json::Value::is_object);
            let separator = if has_object { " · " } else { ", " };
            let mut out = String::new();
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push_str(separator);
                }
                push_item(item, &mut out);
            }
            Cow::Owned(out)
        }
        Ok(serde_json::Value::String(text)) => Cow::Owned(text),
        _ => Cow::Borrowed(raw),
    }
}

/// Appends how one array item reads (see [`json_display`]).
fn push_item(item: &serde_json::Value, out: &mut String) {
    match item {
        serde_json::Value::String(text) => out.push_str(text),
        serde_json::Value::Object(object) => {
            let name = ["label", "title", "name"].iter().find_map(|key| {
                object.get(*key).and_then(serde_json::Value::as_str).filter(|s| !s.is_empty())
            });
            match name {
                Some(name) => out.push_str(name),
                None => out.push_str(&item.to_string()),
            }
        }
        other => out.push_str(&other.to_string()),
    }
}

/// A JSON text pretty-printed (two-space indents) for reading in full: the hover of a JSON
/// cell and the row detail panel. Invalid JSON comes back unchanged.
pub fn json_pretty(raw: &str) -> Cow<'_, str> {
    match serde_json::from_str::<serde_json::Value>(raw) {
        Ok(value) => serde_json::to_string_pretty(&value).map_or(Cow::Borrowed(raw), Cow::Owned),
        Err(_) => Cow::Borrowed(raw),
    }
}

/// The whole value of a cell for reading, as its hover and the row detail panel show it:
/// text as it is (line breaks kept), JSON pretty-printed, a float's exact digits, a boolean
/// as `true` / `false`, a timestamp as the raw text (RFC 3339), null as `null`.
pub fn cell_full_value(table: &ResultTable, row: usize, col: usize) -> Cow<'_, str> {
    match table.cell(row, col) {
        CellRef::Null => Cow::Borrowed("null"),
        CellRef::Json(raw) => json_pretty(raw),
        _ => table.cell_text(row, col),
    }
}

/// The hover of a cell whose text is not the whole value ([`CellShown::partial`], or elided
/// by the column's width): the whole value ([`cell_full_value`]), cut after `max_chars`
/// characters with `…`.
pub fn cell_hover_value(table: &ResultTable, row: usize, col: usize, max_chars: usize) -> String {
    let full = cell_full_value(table, row, col);
    let (head, cut) = cut_chars(&full, max_chars);
    if cut { format!("{head}…") } else { head.to_string() }
}

/// A float for reading: about seven significant digits (at least two decimals, at most six),
/// trailing zeros dropped, thousands grouped; exponent form beyond 10¹⁵ or below 10⁻⁴.
/// Returns the text and whether it rounds the value.
pub fn float_display(value: f64) -> (String, bool) {
    let mut exact = String::new();
    write_float(value, &mut exact);
    let magnitude = value.abs();
    if !value.is_finite() || value == 0.0 {
        return (exact, false);
    }
    if !(1e-4..1e15).contains(&magnitude) {
        let text = format!("{value:.4e}");
        let text = match text.split_once('e') {
            Some((mantissa, exponent)) => {
                let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
                format!("{mantissa}e{exponent}")
            }
            None => text,
        };
        let rounded = text != exact;
        return (text, rounded);
    }
    let integer_digits = if magnitude >= 1.0 { magnitude.log10().floor() as i32 + 1 } else { 0 };
    let decimals = (7 - integer_digits).clamp(2, 6) as usize;
    let text = format!("{value:.decimals$}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    let text = if text == "-0" { "0" } else { text };
    let rounded = text != exact;
    (group_thousands(text), rounded)
}

/// The first `max_chars` characters of `text` on one line (line breaks and tabs as spaces),
/// with `…` when cut; the flag is true when the line differs from `text`. Borrows when
/// nothing changes.
pub fn single_line(text: &str, max_chars: usize) -> (Cow<'_, str>, bool) {
    let (head, cut) = cut_chars(text, max_chars);
    let needs_spaces = head.contains(['\n', '\r', '\t']);
    if !cut && !needs_spaces {
        return (Cow::Borrowed(head), false);
    }
    let mut line: String =
        head.chars().map(|c| if matches!(c, '\n' | '\r' | '\t') { ' ' } else { c }).collect();
    if cut {
        line.push('…');
    }
    (Cow::Owned(line), true)
}

/// `text` up to `max_chars` characters, and whether that cut anything.
pub fn cut_chars(text: &str, max_chars: usize) -> (&str, bool) {
    // Byte length bounds the character count: short texts skip the scan.
    if text.len() <= max_chars {
        return (text, false);
    }
    match text.char_indices().nth(max_chars) {
        Some((end, _)) => (text.get(..end).unwrap_or(text), true),
        None => (text, false),
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
    use crate::api::query::parse_query;
    use serde_json::{Map, Value, json};

    fn table(rows: &[Value]) -> ResultTable {
        let rows: Vec<Map<String, Value>> =
            rows.iter().map(|row| row.as_object().cloned().unwrap()).collect();
        ResultTable::from_rows(&parse_query("{}").unwrap(), &rows)
    }

    #[test]
    fn arrays_of_objects_read_by_their_label_title_or_name() {
        let reasons = r#"[{"label":"Incorrect","details":"x"},{"label":"Outdated docs","details":""}]"#;
        assert_eq!(json_display(reasons), "Incorrect · Outdated docs");
        let sources = r#"[{"type":"positive","title":"Setup guide","url":"https://a"},{"type":null,"url":"https://b"}]"#;
        // No label, title or name: the object itself, compact.
        assert_eq!(json_display(sources), r#"Setup guide · {"type":null,"url":"https://b"}"#);
        assert_eq!(json_display(r#"[{"name":"Ada"}]"#), "Ada");
        // The first key that is a non-empty string wins, in the order label, title, name.
        assert_eq!(json_display(r#"[{"name":"n","title":"t","label":""}]"#), "t");
        assert_eq!(json_display(r#"[{"label":3,"title":"t"}]"#), "t");
    }

    #[test]
    fn arrays_of_strings_read_as_a_comma_list() {
        assert_eq!(json_display(r#"["en","fr"]"#), "en, fr");
        assert_eq!(json_display(r#"["t",3,null,true]"#), "t, 3, null, true");
        // A mixed array takes the object separator.
        assert_eq!(json_display(r#"["a",{"label":"b"}]"#), "a · b");
    }

    #[test]
    fn empty_nested_null_and_invalid_json() {
        assert_eq!(json_display("[]"), "");
        assert_eq!(json_display(" [ ] "), "");
        // Nested arrays and objects inside items stay compact JSON; a label still names its object.
        assert_eq!(json_display(r#"[["a","b"],["c"]]"#), r#"["a","b"], ["c"]"#);
        assert_eq!(json_display(r#"[{"label":"L","details":{"deep":[1,2]}}]"#), "L");
        assert_eq!(json_display(r#"[{"meta":{"label":"inner"}}]"#), r#"{"meta":{"label":"inner"}}"#);
        // Objects, numbers and null come back as they are, borrowed.
        for raw in [r#"{"a":1}"#, "42", "null", "true"] {
            assert!(matches!(json_display(raw), Cow::Borrowed(text) if text == raw), "{raw}");
        }
        // A JSON string reads as its text.
        assert_eq!(json_display(r#""hi \"you\"""#), r#"hi "you""#);
        // Invalid JSON passes through unchanged.
        for raw in ["[1,", "[{\"label\":}]", "\"open", "[not json]"] {
            assert!(matches!(json_display(raw), Cow::Borrowed(text) if text == raw), "{raw}");
        }
        // Too long to parse every frame: shown as received.
        let long = format!("[{}\"x\"]", "\"item\",".repeat(3000));
        assert!(long.len() > MAX_SUMMARISED_JSON_BYTES);
        assert!(matches!(json_display(&long), Cow::Borrowed(_)));
    }

    #[test]
    fn pretty_json_for_reading_and_invalid_as_is() {
        assert_eq!(json_pretty(r#"[{"label":"a"}]"#), "[\n  {\n    \"label\": \"a\"\n  }\n]");
        assert_eq!(json_pretty("[oops"), "[oops");
    }

    #[test]
    fn cells_read_by_one_rule_and_copy_raw() {
        let reasons =
            json!([{"label": "Incorrect", "details": "wrong"}, {"label": "Outdated docs", "details": ""}]);
        let long = format!("line one\nline two {}", "z".repeat(300));
        let table = table(&[
            json!({"reasons": reasons, "isClear": true, "languages": ["en", "fr"], "answer": long, "n": 1234, "x": 0.1}),
            json!({"reasons": [], "isClear": false, "languages": null, "answer": "a\nb", "n": null, "x": 2.5}),
        ]);
        let col = |name: &str| table.column_index(name).unwrap();
        let shown = |row: usize, name: &str| cell_shown(&table, row, col(name));

        let r = shown(0, "reasons");
        assert_eq!(
            (r.text.as_ref(), r.partial, r.numeric, r.null),
            ("Incorrect · Outdated docs", true, false, false)
        );
        // Copy keeps the JSON as received; the hover and the detail panel show it in full.
        let raw = r#"[{"label":"Incorrect","details":"wrong"},{"label":"Outdated docs","details":""}]"#;
        assert_eq!(cell_copy_text(&table, 0, col("reasons")), raw);
        assert_eq!(table.cell_text(0, col("reasons")), raw);
        assert!(cell_hover_value(&table, 0, col("reasons"), 4000).contains("\"label\": \"Incorrect\""));
        assert_eq!(shown(1, "reasons").text, "");
        assert!(!shown(1, "reasons").null, "an empty array is a value, not null");

        assert_eq!(shown(0, "isClear").text, TRUE_MARK);
        assert_eq!(shown(1, "isClear").text, FALSE_MARK);
        assert_eq!(cell_copy_text(&table, 0, col("isClear")), "true");

        assert_eq!(shown(0, "languages").text, "en, fr");
        assert!(shown(1, "languages").null);
        assert_eq!(cell_display(&table, 1, col("languages")), "");

        // Long text: one line, cut, partial; the hover has every line.
        let a = shown(0, "answer");
        assert!(a.partial && a.text.starts_with("line one line two") && a.text.ends_with('…'));
        assert_eq!(a.text.chars().count(), MAX_CELL_CHARS + 1);
        assert_eq!(cell_hover_value(&table, 0, col("answer"), 4000), long);
        assert_eq!(cell_hover_value(&table, 0, col("answer"), 8), "line one…");
        // Short but multi-line: shown on one line, and the hover keeps the lines.
        let b = shown(1, "answer");
        assert_eq!((b.text.as_ref(), b.partial), ("a b", true));
        assert_eq!(cell_hover_value(&table, 1, col("answer"), 4000), "a\nb");

        let n = shown(0, "n");
        assert_eq!((n.text.as_ref(), n.numeric, n.partial), ("1,234", true, false));
        assert!(shown(1, "n").null);
        assert_eq!(cell_full_value(&table, 1, col("n")), "null");
        let x = shown(0, "x");
        assert_eq!((x.text.as_ref(), x.partial), ("0.1", false));
    }

    #[test]
    fn floats_read_with_sensible_precision() {
        assert_eq!(float_display(0.1 + 0.2), ("0.3".to_string(), true));
        assert_eq!(float_display(2.5), ("2.5".to_string(), false));
        assert_eq!(float_display(3.0), ("3".to_string(), false));
        assert_eq!(float_display(std::f64::consts::PI), ("3.141593".to_string(), true));
        assert_eq!(float_display(1234567.891234), ("1,234,567.89".to_string(), true));
        assert_eq!(float_display(-1234.5), ("-1,234.5".to_string(), false));
        assert_eq!(float_display(0.000123), ("0.000123".to_string(), false));
        assert_eq!(float_display(1.5e-7), ("1.5e-7".to_string(), false));
        assert_eq!(float_display(1.23456789e20), ("1.2346e20".to_string(), true));
        assert_eq!(float_display(-0.0000001), ("-1e-7".to_string(), false));
    }

    #[test]
    fn long_text_is_cut_to_one_line() {
        assert_eq!(single_line("short", 10), (Cow::Borrowed("short"), false));
        assert_eq!(single_line("a\tb\nc", 10), (Cow::Owned("a b c".to_string()), true));
        let (text, changed) = single_line("ééééé", 3);
        assert_eq!((text.as_ref(), changed), ("ééé…", true));
    }

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
