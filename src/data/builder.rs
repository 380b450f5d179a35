//! Column builders: typing by inference while values stream in.
//!
//! A [`ColumnBuilder`] starts untyped and settles on the narrowest type that
//! holds every value seen so far:
//!
//! - only integers → integer; integers and floats → float;
//! - only strings that are RFC 3339 timestamps → timestamp;
//! - only `true`/`false` → bool;
//! - any object or array → JSON (other values become their JSON text);
//! - any other mix → text (numbers and booleans become their text).
//!
//! Changing type converts the values so far, which happens at most a few times
//! per column. [`TableBuilder`] routes the keys of each row to builders, creates
//! `properties.<key>` builders as unpacked keys first appear, and pads the
//! builders a row did not mention with nulls.

use std::borrow::Cow;

use crate::api::columns::{ColumnSource, ResultColumn, result_columns};
use crate::api::query::{Aggregation, Field, QueryBody};
use crate::api::view::View;

use super::storage::{Bitmap, FxHashMap, StrBuf, TextBuilder, TextColumn};
use super::table::{Column, ColumnData, ResultTable, TimestampText, write_float};
use super::time::{self, TimestampLayout};

/// What the query says about a column's values before any arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hint {
    /// Nothing known.
    Plain,
    /// Counts, sums, averages, numeric fields: numeric strings are read as numbers.
    Numeric,
    /// Timestamps and time buckets.
    Timestamp,
    /// A JSON field: strings holding JSON objects or arrays are JSON.
    Json,
}

impl Hint {
    /// The hint a result column's source gives.
    pub(crate) fn of(column: &ResultColumn) -> Hint {
        match &column.source {
            ColumnSource::Raw(field) => Hint::of_field(*field),
            ColumnSource::Field { field, path } if path.is_empty() => Hint::of_field(*field),
            ColumnSource::JsonText(_) => Hint::Json,
            ColumnSource::TimeBucket { .. } => Hint::Timestamp,
            ColumnSource::Aggregation {
                aggregation: Aggregation::Min | Aggregation::Max,
                field: Some(field),
                path,
            } if path.is_empty() && field.is_timestamp() => Hint::Timestamp,
            _ if column.is_numeric() => Hint::Numeric,
            _ => Hint::Plain,
        }
    }

    fn of_field(field: Field) -> Hint {
        if field.is_json() {
            Hint::Json
        } else if field.is_numeric() {
            Hint::Numeric
        } else if field.is_timestamp() {
            Hint::Timestamp
        } else {
            Hint::Plain
        }
    }
}

#[derive(Debug)]
enum Kind {
    /// No value yet (only nulls).
    Empty,
    Int(Vec<i64>),
    Float(Vec<f64>),
    Bool(Bitmap),
    /// Strict timestamps, all in one layout.
    Timestamp {
        millis: Vec<i64>,
        layout: TimestampLayout,
    },
    /// Text; `all_timestamps` while every value so far is an RFC 3339 timestamp
    /// (in mixed layouts), so that the column still ends up a timestamp column.
    Text {
        text: TextBuilder,
        all_timestamps: bool,
    },
    Json(TextBuilder),
}

/// Builds one column, inferring its type from the values pushed.
#[derive(Debug)]
pub(crate) struct ColumnBuilder {
    kind: Kind,
    validity: Bitmap,
    null_count: usize,
    hint: Hint,
}

impl ColumnBuilder {
    /// A builder whose first `rows` cells are null.
    pub(crate) fn with_nulls(hint: Hint, rows: usize) -> ColumnBuilder {
        ColumnBuilder { kind: Kind::Empty, validity: Bitmap::filled(rows, false), null_count: rows, hint }
    }

    /// Rows pushed so far.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.validity.len()
    }

    pub(crate) fn hint(&self) -> Hint {
        self.hint
    }

    /// Appends a null.
    pub(crate) fn push_null(&mut self) {
        match &mut self.kind {
            Kind::Empty => {}
            Kind::Int(values) => values.push(0),
            Kind::Float(values) => values.push(0.0),
            Kind::Bool(values) => values.push(false),
            Kind::Timestamp { millis, .. } => millis.push(0),
            Kind::Text { text, .. } => text.push_null(),
            Kind::Json(text) => text.push_null(),
        }
        self.validity.push(false);
        self.null_count += 1;
    }

    /// Appends an integer.
    pub(crate) fn push_int(&mut self, value: i64) {
        match &mut self.kind {
            Kind::Int(values) => values.push(value),
            Kind::Float(values) => values.push(value as f64),
            Kind::Text { text, all_timestamps } => {
                *all_timestamps = false;
                text.push(&value.to_string());
            }
            Kind::Json(text) => text.push(&value.to_string()),
            Kind::Empty => {
                let mut values = vec![0; self.validity.len()];
                values.push(value);
                self.kind = Kind::Int(values);
            }
            Kind::Bool(_) | Kind::Timestamp { .. } => {
                self.convert_to_text();
                self.push_int(value);
                return;
            }
        }
        self.validity.push(true);
    }

    /// Appends a float.
    pub(crate) fn push_float(&mut self, value: f64) {
        match &mut self.kind {
            Kind::Float(values) => values.push(value),
            Kind::Int(values) => {
                let mut floats: Vec<f64> = Vec::with_capacity(values.capacity().max(values.len() + 1));
                floats.extend(values.iter().map(|&v| v as f64));
                floats.push(value);
                self.kind = Kind::Float(floats);
            }
            Kind::Text { text, all_timestamps } => {
                *all_timestamps = false;
                let mut out = String::new();
                write_float(value, &mut out);
                text.push(&out);
            }
            Kind::Json(text) => {
                let mut out = String::new();
                write_json_float(value, &mut out);
                text.push(&out);
            }
            Kind::Empty => {
                let mut values = vec![0.0; self.validity.len()];
                values.push(value);
                self.kind = Kind::Float(values);
            }
            Kind::Bool(_) | Kind::Timestamp { .. } => {
                self.convert_to_text();
                self.push_float(value);
                return;
            }
        }
        self.validity.push(true);
    }

    /// Appends a boolean.
    pub(crate) fn push_bool(&mut self, value: bool) {
        let text = if value { "true" } else { "false" };
        match &mut self.kind {
            Kind::Bool(values) => values.push(value),
            Kind::Text { text: builder, all_timestamps } => {
                *all_timestamps = false;
                builder.push(text);
            }
            Kind::Json(builder) => builder.push(text),
            Kind::Empty => {
                let mut values = Bitmap::filled(self.validity.len(), false);
                values.push(value);
                self.kind = Kind::Bool(values);
            }
            Kind::Int(_) | Kind::Float(_) | Kind::Timestamp { .. } => {
                self.convert_to_text();
                self.push_bool(value);
                return;
            }
        }
        self.validity.push(true);
    }

    /// Appends a string value (a JSON string, or a CSV field known to be text).
    pub(crate) fn push_str(&mut self, value: &str) {
        match &mut self.kind {
            Kind::Timestamp { millis, layout } => match time::parse_strict(value) {
                Some((ms, found)) if found == *layout => millis.push(ms),
                _ => {
                    self.convert_to_text();
                    self.push_str(value);
                    return;
                }
            },
            Kind::Text { text, all_timestamps } => {
                text.push(value);
                if *all_timestamps {
                    *all_timestamps = time::parse_rfc3339(value).is_some();
                }
            }
            Kind::Json(text) => {
                let mut out = String::with_capacity(value.len() + 2);
                json_quote(value, &mut out);
                text.push(&out);
            }
            Kind::Empty => match time::parse_strict(value) {
                Some((ms, layout)) => {
                    let mut millis = vec![0; self.validity.len()];
                    millis.push(ms);
                    self.kind = Kind::Timestamp { millis, layout };
                }
                None => {
                    self.convert_to_text();
                    self.push_str(value);
                    return;
                }
            },
            Kind::Int(_) | Kind::Float(_) | Kind::Bool(_) => {
                self.convert_to_text();
                self.push_str(value);
                return;
            }
        }
        self.validity.push(true);
    }

    /// Appends compact JSON text (an object or array).
    pub(crate) fn push_json(&mut self, value: &str) {
        if !matches!(self.kind, Kind::Json(_)) {
            self.convert_to_json();
        }
        if let Kind::Json(text) = &mut self.kind {
            text.push(value);
        }
        self.validity.push(true);
    }

    /// Appends text whose type is not known from the wire (a CSV field, a numeric
    /// string in a count column): canonical integers (no leading zeros, so codes
    /// like `007` stay text), JSON-spelled floats and `true`/`false` are typed;
    /// anything else is a string.
    pub(crate) fn push_lexical(&mut self, value: &str) {
        if let Some(int) = parse_canonical_int(value) {
            self.push_int(int);
        } else if let Some(float) = parse_canonical_float(value) {
            self.push_float(float);
        } else if value == "true" || value == "false" {
            self.push_bool(value == "true");
        } else {
            self.push_str(value);
        }
    }

    /// Turns the values so far into text.
    fn convert_to_text(&mut self) {
        let rows = self.validity.len();
        let mut text = TextBuilder::new();
        let mut scratch = String::new();
        let all_timestamps = matches!(self.kind, Kind::Empty | Kind::Timestamp { .. });
        for row in 0..rows {
            if !self.validity.get(row) {
                text.push_null();
                continue;
            }
            scratch.clear();
            match &self.kind {
                Kind::Empty | Kind::Text { .. } | Kind::Json(_) => {}
                Kind::Int(values) => scratch.push_str(&values.get(row).copied().unwrap_or(0).to_string()),
                Kind::Float(values) => write_float(values.get(row).copied().unwrap_or(0.0), &mut scratch),
                Kind::Bool(values) => scratch.push_str(if values.get(row) { "true" } else { "false" }),
                Kind::Timestamp { millis, layout } => {
                    time::format_strict(millis.get(row).copied().unwrap_or(0), *layout, &mut scratch)
                }
            }
            text.push(&scratch);
        }
        if matches!(self.kind, Kind::Text { .. } | Kind::Json(_)) {
            return;
        }
        self.kind = Kind::Text { text, all_timestamps };
    }

    /// Turns the values so far into JSON text.
    fn convert_to_json(&mut self) {
        let rows = self.validity.len();
        let mut json = TextBuilder::new();
        let mut scratch = String::new();
        let mut plain = String::new();
        for row in 0..rows {
            if !self.validity.get(row) {
                json.push_null();
                continue;
            }
            scratch.clear();
            match &self.kind {
                Kind::Empty | Kind::Json(_) => {}
                Kind::Int(values) => scratch.push_str(&values.get(row).copied().unwrap_or(0).to_string()),
                Kind::Float(values) => {
                    write_json_float(values.get(row).copied().unwrap_or(0.0), &mut scratch)
                }
                Kind::Bool(values) => scratch.push_str(if values.get(row) { "true" } else { "false" }),
                Kind::Timestamp { millis, layout } => {
                    plain.clear();
                    time::format_strict(millis.get(row).copied().unwrap_or(0), *layout, &mut plain);
                    json_quote(&plain, &mut scratch);
                }
                Kind::Text { text, .. } => json_quote(text.get(row), &mut scratch),
            }
            json.push(&scratch);
        }
        self.kind = Kind::Json(json);
    }

    /// The finished column.
    pub(crate) fn finish(self, name: String, source: Option<ColumnSource>) -> Column {
        let rows = self.validity.len();
        let data = match self.kind {
            Kind::Empty => match self.hint {
                Hint::Numeric => ColumnData::Int(vec![0; rows]),
                Hint::Timestamp => ColumnData::Timestamp {
                    millis: vec![0; rows],
                    text: TimestampText::Layout(TimestampLayout { fraction_digits: 3 }),
                },
                Hint::Json => ColumnData::Json(empty_text(rows)),
                Hint::Plain => ColumnData::Text(empty_text(rows)),
            },
            Kind::Int(mut values) => {
                values.shrink_to_fit();
                ColumnData::Int(values)
            }
            Kind::Float(mut values) => {
                values.shrink_to_fit();
                ColumnData::Float(values)
            }
            Kind::Bool(mut values) => {
                values.shrink_to_fit();
                ColumnData::Bool(values)
            }
            Kind::Timestamp { mut millis, layout } => {
                millis.shrink_to_fit();
                ColumnData::Timestamp { millis, text: TimestampText::Layout(layout) }
            }
            Kind::Text { text, all_timestamps } => {
                let text = text.finish();
                if all_timestamps && rows > self.null_count {
                    timestamps_from_text(text, &self.validity)
                } else {
                    ColumnData::Text(text)
                }
            }
            Kind::Json(text) => ColumnData::Json(text.finish()),
        };
        let mut validity = self.validity;
        let validity = if self.null_count == 0 {
            None
        } else {
            validity.shrink_to_fit();
            Some(validity)
        };
        Column { name, source, data, validity, null_count: self.null_count }
    }
}

fn empty_text(rows: usize) -> TextColumn {
    TextColumn::Dict { values: StrBuf::new(), codes: vec![super::storage::NULL_CODE; rows] }
}

/// A text column whose every value parsed as RFC 3339 (in mixed layouts): the
/// milliseconds for sorting, the original text for display and copy.
fn timestamps_from_text(text: TextColumn, validity: &Bitmap) -> ColumnData {
    let mut millis = Vec::with_capacity(text.len());
    for row in 0..text.len() {
        if !validity.get(row) {
            millis.push(0);
            continue;
        }
        match time::parse_rfc3339(text.get(row)) {
            Some(ms) => millis.push(ms),
            // Cannot happen (every value was checked as it arrived); stay text to be safe.
            None => return ColumnData::Text(text),
        }
    }
    ColumnData::Timestamp { millis, text: TimestampText::Stored(text) }
}

/// `-?[1-9][0-9]*|0` within i64.
pub(crate) fn parse_canonical_int(text: &str) -> Option<i64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let bytes = digits.as_bytes();
    let canonical = !bytes.is_empty()
        && bytes.len() <= 19
        && bytes.iter().all(u8::is_ascii_digit)
        && (bytes.first() != Some(&b'0') || bytes.len() == 1)
        && text != "-0";
    if canonical { text.parse().ok() } else { None }
}

/// A finite float spelled as a JSON number with a fraction or an exponent
/// (`2.5`, `3.0`, `1e21`; not `007`, `.5`, `NaN` or `inf`).
fn parse_canonical_float(text: &str) -> Option<f64> {
    if !is_json_number(text) {
        return None;
    }
    text.parse::<f64>().ok().filter(|value| value.is_finite())
}

/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
pub(crate) fn is_json_number(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut i = usize::from(bytes.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let start = *i;
        while bytes.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    let leading_zero = bytes.get(i) == Some(&b'0');
    let int_digits = digits(&mut i);
    if int_digits == 0 || (leading_zero && int_digits > 1) {
        return false;
    }
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == bytes.len()
}

/// A float as JSON: like [`write_float`] but keeping a `.0` on whole numbers, so the
/// value reads back as a float.
fn write_json_float(value: f64, out: &mut String) {
    if !value.is_finite() {
        out.push_str("null");
        return;
    }
    let start = out.len();
    write_float(value, out);
    let written = out.get(start..).unwrap_or("");
    if !written.contains(['.', 'e', 'E']) {
        out.push_str(".0");
    }
}

/// Appends `value` as a JSON string literal, escaping as serde_json does.
pub(crate) fn json_quote(value: &str, out: &mut String) {
    out.push('"');
    let mut last = 0;
    for (i, byte) in value.bytes().enumerate() {
        let escape: Cow<'static, str> = match byte {
            b'"' => "\\\"".into(),
            b'\\' => "\\\\".into(),
            b'\n' => "\\n".into(),
            b'\r' => "\\r".into(),
            b'\t' => "\\t".into(),
            0x08 => "\\b".into(),
            0x0c => "\\f".into(),
            0..=0x1f => format!("\\u{byte:04x}").into(),
            _ => continue,
        };
        out.push_str(value.get(last..i).unwrap_or(""));
        out.push_str(&escape);
        last = i + 1;
    }
    out.push_str(value.get(last..).unwrap_or(""));
    out.push('"');
}

/// JSON text without whitespace outside strings; borrowed when already compact
/// (always, for what serde_json and `JSON.stringify` write).
pub(crate) fn compact_json(text: &str) -> Cow<'_, str> {
    if is_compact(text.as_bytes()) {
        return Cow::Borrowed(text);
    }
    let mut out = Vec::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    for &byte in text.as_bytes() {
        if in_string {
            out.push(byte);
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
        } else {
            match byte {
                b' ' | b'\n' | b'\r' | b'\t' => {}
                b'"' => {
                    in_string = true;
                    out.push(byte);
                }
                _ => out.push(byte),
            }
        }
    }
    // Only ASCII whitespace was removed, so the bytes are still UTF-8.
    match String::from_utf8(out) {
        Ok(compact) => Cow::Owned(compact),
        Err(_) => Cow::Borrowed(text),
    }
}

/// True when no whitespace lies outside strings. Strings are skipped with
/// `memchr`, and the gaps between them (`{`, `":`, `,`) are a few bytes each.
fn is_compact(bytes: &[u8]) -> bool {
    let is_space = |b: &u8| matches!(b, b' ' | b'\n' | b'\r' | b'\t');
    let mut at = 0;
    loop {
        let Some(rest) = bytes.get(at..) else { return true };
        // Outside a string: up to the next quote.
        let Some(quote) = memchr::memchr(b'"', rest) else { return !rest.iter().any(is_space) };
        if rest.get(..quote).is_some_and(|gap| gap.iter().any(is_space)) {
            return false;
        }
        at += quote + 1;
        // Inside a string: to the closing quote, stepping over escapes.
        loop {
            let Some(rest) = bytes.get(at..) else { return true };
            let Some(stop) = memchr::memchr2(b'"', b'\\', rest) else { return true };
            let is_quote = rest.get(stop) == Some(&b'"');
            at += stop + if is_quote { 1 } else { 2 };
            if is_quote {
                break;
            }
        }
    }
}

/// True when `text` is a JSON object or array.
pub(crate) fn is_json_document(text: &str) -> bool {
    let trimmed = text.trim_start();
    (trimmed.starts_with('{') || trimmed.starts_with('['))
        && serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
}

/// Where a row key goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// Into one column builder.
    Slot(usize),
    /// An unpacked JSON field sent as an object: its keys go to the group's
    /// `<name>.<key>` builders.
    Unpack(usize),
}

#[derive(Debug)]
struct Unpack {
    /// Key inside the object → slot.
    keys: FxHashMap<String, usize>,
    /// The slot of each key position in the previous object, tried first.
    predicted: Vec<usize>,
    /// Where a non-object value of the field goes.
    fallback: Option<usize>,
}

#[derive(Debug)]
struct Group {
    name: String,
    source: Option<ColumnSource>,
    unpack: Option<Unpack>,
}

#[derive(Debug)]
struct Slot {
    name: String,
    source: Option<ColumnSource>,
    group: usize,
    builder: ColumnBuilder,
}

/// Routes the keys of each row to column builders.
#[derive(Debug)]
pub(crate) struct TableBuilder {
    groups: Vec<Group>,
    slots: Vec<Slot>,
    index: FxHashMap<String, Target>,
    /// The target of each key position in the previous row: rows from one
    /// response share a key order, so this saves a hash lookup per cell.
    predicted: Vec<Target>,
    row_count: usize,
}

impl TableBuilder {
    /// A builder with one group per result column of `query` sent to `view` (plus a last
    /// group for keys the query did not ask for).
    pub(crate) fn new(view: View, query: &QueryBody) -> TableBuilder {
        let mut builder = TableBuilder {
            groups: Vec::new(),
            slots: Vec::new(),
            index: FxHashMap::default(),
            predicted: Vec::new(),
            row_count: 0,
        };
        for column in result_columns(view, query) {
            let group = builder.groups.len();
            if column.is_unpacked() {
                builder.index.insert(column.name.clone(), Target::Unpack(group));
                builder.groups.push(Group {
                    name: column.name,
                    source: Some(column.source),
                    unpack: Some(Unpack {
                        keys: FxHashMap::default(),
                        predicted: Vec::new(),
                        fallback: None,
                    }),
                });
            } else {
                let hint = Hint::of(&column);
                builder.groups.push(Group { name: column.name.clone(), source: None, unpack: None });
                builder.add_slot(group, column.name, Some(column.source), hint);
            }
        }
        builder.groups.push(Group { name: String::new(), source: None, unpack: None });
        builder
    }

    fn add_slot(&mut self, group: usize, name: String, source: Option<ColumnSource>, hint: Hint) -> usize {
        let slot = self.slots.len();
        self.index.insert(name.clone(), Target::Slot(slot));
        self.slots.push(Slot {
            name,
            source,
            group,
            builder: ColumnBuilder::with_nulls(hint, self.row_count),
        });
        slot
    }

    fn target_name(&self, target: Target) -> &str {
        match target {
            Target::Slot(slot) => self.slots.get(slot).map_or("", |s| s.name.as_str()),
            Target::Unpack(group) => self.groups.get(group).map_or("", |g| g.name.as_str()),
        }
    }

    /// The target of the `position`-th key of the current row.
    #[inline]
    pub(crate) fn resolve(&mut self, position: usize, key: &str) -> Target {
        if let Some(&target) = self.predicted.get(position)
            && self.target_name(target) == key
        {
            return target;
        }
        let target = match self.index.get(key) {
            Some(&target) => target,
            None => self.new_target(key),
        };
        match self.predicted.get_mut(position) {
            Some(slot) => *slot = target,
            None => self.predicted.push(target),
        }
        target
    }

    fn new_target(&mut self, key: &str) -> Target {
        let unpacked = self.groups.iter().enumerate().find_map(|(g, group)| {
            group.unpack.as_ref()?;
            let rest = key.strip_prefix(group.name.as_str())?.strip_prefix('.')?;
            (!rest.is_empty()).then(|| (g, rest.to_string()))
        });
        if let Some((group, inner)) = unpacked {
            return Target::Slot(self.unpacked_slot(group, &inner));
        }
        let extras = self.groups.len().saturating_sub(1);
        Target::Slot(self.add_slot(extras, key.to_string(), None, Hint::Plain))
    }

    /// The slot of `key` inside the unpacked field of `group`, the `position`-th key
    /// of its object.
    #[inline]
    pub(crate) fn resolve_unpacked(&mut self, group: usize, position: usize, key: &str) -> usize {
        let Some(g) = self.groups.get(group) else { return usize::MAX };
        let prefix_len = g.name.len() + 1;
        if let Some(unpack) = &g.unpack
            && let Some(&slot) = unpack.predicted.get(position)
            && self.slots.get(slot).and_then(|s| s.name.get(prefix_len..)) == Some(key)
        {
            return slot;
        }
        let slot = self.unpacked_slot(group, key);
        if let Some(unpack) = self.groups.get_mut(group).and_then(|g| g.unpack.as_mut()) {
            match unpack.predicted.get_mut(position) {
                Some(predicted) => *predicted = slot,
                None => unpack.predicted.push(slot),
            }
        }
        slot
    }

    fn unpacked_slot(&mut self, group: usize, key: &str) -> usize {
        let Some(g) = self.groups.get(group) else { return usize::MAX };
        if let Some(&slot) = g.unpack.as_ref().and_then(|u| u.keys.get(key)) {
            return slot;
        }
        let name = format!("{}.{}", g.name, key);
        let source = match &g.source {
            Some(ColumnSource::Unpacked(field)) => {
                Some(ColumnSource::Field { field: *field, path: vec![key.to_string()] })
            }
            other => other.clone(),
        };
        let slot = match self.index.get(&name) {
            Some(&Target::Slot(slot)) => slot,
            _ => self.add_slot(group, name, source, Hint::Plain),
        };
        if let Some(unpack) = self.groups.get_mut(group).and_then(|g| g.unpack.as_mut()) {
            unpack.keys.insert(key.to_string(), slot);
        }
        slot
    }

    /// The slot for a non-object value of an unpacked field (kept as one column
    /// named like the field).
    pub(crate) fn unpack_fallback(&mut self, group: usize) -> usize {
        let Some(g) = self.groups.get(group) else { return usize::MAX };
        if let Some(slot) = g.unpack.as_ref().and_then(|u| u.fallback) {
            return slot;
        }
        let (name, source) = (g.name.clone(), g.source.clone());
        let slot = self.slots.len();
        self.slots.push(Slot {
            name,
            source,
            group,
            builder: ColumnBuilder::with_nulls(Hint::Json, self.row_count),
        });
        if let Some(unpack) = self.groups.get_mut(group).and_then(|g| g.unpack.as_mut()) {
            unpack.fallback = Some(slot);
        }
        slot
    }

    /// The builder of `slot` if it has no value in the current row yet (a
    /// repeated key keeps its first value).
    #[inline]
    pub(crate) fn cell(&mut self, slot: usize) -> Option<&mut ColumnBuilder> {
        let row = self.row_count;
        self.slots.get_mut(slot).map(|s| &mut s.builder).filter(|b| b.len() == row)
    }

    /// Ends the current row: every column it did not mention gets a null.
    #[inline]
    pub(crate) fn end_row(&mut self) {
        self.row_count += 1;
        let rows = self.row_count;
        for slot in &mut self.slots {
            if slot.builder.len() < rows {
                slot.builder.push_null();
            }
        }
    }

    /// Rows completed.
    pub(crate) fn row_count(&self) -> usize {
        self.row_count
    }

    /// The finished table, columns in result order.
    pub(crate) fn finish(self) -> ResultTable {
        let mut slots = self.slots;
        // Stable: within a group (the keys of one unpacked field) first-seen order stays.
        slots.sort_by_key(|s| s.group);
        let columns = slots.into_iter().map(|s| s.builder.finish(s.name, s.source)).collect();
        ResultTable { columns, row_count: self.row_count }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::table::ColumnType;

    fn finish(builder: ColumnBuilder) -> Column {
        builder.finish("c".into(), None)
    }

    #[test]
    fn canonical_numbers_only() {
        assert_eq!(parse_canonical_int("0"), Some(0));
        assert_eq!(parse_canonical_int("-42"), Some(-42));
        assert_eq!(parse_canonical_int("007"), None);
        assert_eq!(parse_canonical_int("-0"), None);
        assert_eq!(parse_canonical_int("+1"), None);
        assert_eq!(parse_canonical_int("99999999999999999999"), None);
        assert_eq!(parse_canonical_float("1.5"), Some(1.5));
        assert_eq!(parse_canonical_float("3.0"), Some(3.0));
        assert_eq!(parse_canonical_float("-1e-7"), Some(-1e-7));
        assert_eq!(parse_canonical_float("01.5"), None);
        assert_eq!(parse_canonical_float(".5"), None);
        assert_eq!(parse_canonical_float("1."), None);
        assert_eq!(parse_canonical_float("1e"), None);
        assert_eq!(parse_canonical_float("NaN"), None);
        assert_eq!(parse_canonical_float("inf"), None);
    }

    #[test]
    fn json_quote_escapes_like_serde_json() {
        for text in ["plain", "quote \" and \\ back", "line\nbreak\ttab\r", "\u{1}ctl", "ünïcødé"] {
            let mut out = String::new();
            json_quote(text, &mut out);
            assert_eq!(out, serde_json::to_string(text).unwrap());
        }
    }

    #[test]
    fn compact_json_strips_only_outside_strings() {
        assert_eq!(compact_json(r#"{"a":1}"#), r#"{"a":1}"#);
        assert_eq!(
            compact_json("{ \"a b\" : [1, 2],\n \"c\": \"x \\\" y\" }"),
            r#"{"a b":[1,2],"c":"x \" y"}"#
        );
        assert!(matches!(compact_json(r#"{"a b":"c \" d\\","e":[1,"f g"]}"#), Cow::Borrowed(_)));
        assert!(matches!(compact_json(r#"{"a":"x\\"} "#), Cow::Owned(_)));
        assert!(matches!(compact_json(r#"{"a":"\" ","b" :1}"#), Cow::Owned(_)));
        assert_eq!(compact_json(r#"{"a":"\" ","b" :1}"#), r#"{"a":"\" ","b":1}"#);
    }

    #[test]
    fn int_then_string_becomes_text_without_losing_values() {
        let mut b = ColumnBuilder::with_nulls(Hint::Plain, 1);
        b.push_int(12);
        b.push_float(2.5);
        b.push_str("abc");
        b.push_null();
        let column = finish(b);
        let texts: Vec<_> = (0..4).map(|r| column.cell_text(r).into_owned()).collect();
        assert_eq!(texts, ["", "12", "2.5", "abc"]);
        assert_eq!(column.null_count(), 2);
    }

    #[test]
    fn scalars_then_object_become_json() {
        let mut b = ColumnBuilder::with_nulls(Hint::Plain, 0);
        b.push_int(3);
        b.push_json(r#"{"k":1}"#);
        b.push_str("a\"b");
        b.push_bool(true);
        let column = finish(b);
        assert_eq!(column.column_type(), ColumnType::Json);
        let texts: Vec<_> = (0..4).map(|r| column.cell_text(r).into_owned()).collect();
        assert_eq!(texts, ["3", r#"{"k":1}"#, r#""a\"b""#, "true"]);
    }
}
