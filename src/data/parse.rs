//! Building a [`ResultTable`] from a response: JSON rows, the raw response bytes
//! (streaming, no `serde_json::Value` per row), or the export endpoint's CSV.
//!
//! The fast path walks the documented envelope
//! `{status:"ok", data:{result:[row…], total, pageSize, count}}` with serde
//! visitors. Each row's keys are borrowed from the input and matched against the
//! previous row's key order; each value is taken as a borrowed raw JSON slice and
//! typed by its first byte, so strings without escapes and JSON objects are copied
//! once, straight into the column buffers.

use std::fmt;
use std::io::Read;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::api::query::QueryBody;
use crate::api::response::{EnvelopeError, parse_query_response};
use crate::api::view::View;

use super::builder::{ColumnBuilder, Hint, TableBuilder, Target, compact_json, is_json_document};
use super::table::ResultTable;

/// The counts of the response envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Meta {
    /// Rows matching the query (may exceed the rows in the response).
    pub total: u64,
    /// The most rows one response carries.
    pub page_size: u64,
    /// Rows in this response.
    pub count: u64,
}

impl Meta {
    /// True when the response holds fewer rows than match the query, so the full
    /// result is only available through the export endpoint.
    pub fn is_truncated(&self) -> bool {
        self.total > self.count
    }
}

/// Why a response or export could not be turned into a table.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// Not JSON, or JSON of the wrong shape; the message says where.
    #[error("the response could not be read: {0}")]
    Json(String),
    /// The envelope's `status` was not `"ok"`.
    #[error("the server answered with status {0:?} instead of \"ok\"")]
    Status(String),
    /// A required part of the envelope is absent.
    #[error("the response has no `{0}`")]
    Missing(&'static str),
    /// The CSV export could not be read.
    #[error("the CSV export could not be read: {0}")]
    Csv(String),
    /// The progress callback asked to stop.
    #[error("loading was cancelled")]
    Cancelled,
}

/// How far a CSV load has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LoadProgress {
    /// Data rows read so far.
    pub row_count: usize,
    /// Bytes of CSV read so far.
    pub byte_count: u64,
}

/// Rows between two progress reports (and cancellation checks) of a CSV load.
const PROGRESS_EVERY_ROWS: usize = 16_384;

impl ResultTable {
    /// Builds a table from already-parsed JSON rows of a conversations response to `query`.
    pub fn from_rows(query: &QueryBody, rows: &[Map<String, Value>]) -> ResultTable {
        ResultTable::from_rows_in(View::Conversations, query, rows)
    }

    /// Builds a table from already-parsed JSON rows of a response of `view` to `query`.
    pub fn from_rows_in(view: View, query: &QueryBody, rows: &[Map<String, Value>]) -> ResultTable {
        let mut table = TableBuilder::new(view, query);
        for row in rows {
            for (position, (key, value)) in row.iter().enumerate() {
                match table.resolve(position, key) {
                    Target::Slot(slot) => {
                        if let Some(cell) = table.cell(slot) {
                            push_value(cell, value);
                        }
                    }
                    Target::Unpack(group) => match value {
                        Value::Null => {}
                        Value::Object(object) => {
                            for (inner_position, (inner_key, inner)) in object.iter().enumerate() {
                                let slot = table.resolve_unpacked(group, inner_position, inner_key);
                                if let Some(cell) = table.cell(slot) {
                                    push_value(cell, inner);
                                }
                            }
                        }
                        other => {
                            let slot = table.unpack_fallback(group);
                            if let Some(cell) = table.cell(slot) {
                                push_value(cell, other);
                            }
                        }
                    },
                }
            }
            table.end_row();
        }
        table.finish()
    }

    /// The table of a query answer: the fast parser first; when it rejects the bytes, the
    /// envelope parser says precisely what is wrong — or, should it accept them, its rows
    /// are used. The window and `inkeep-explorer run` both read answers this way.
    pub fn from_answer(query: &QueryBody, bytes: &[u8]) -> Result<(ResultTable, Meta), EnvelopeError> {
        ResultTable::from_answer_in(View::Conversations, query, bytes)
    }

    /// [`ResultTable::from_answer`] for an answer of `view` (its columns, time buckets and
    /// raw fields are that view's).
    pub fn from_answer_in(
        view: View,
        query: &QueryBody,
        bytes: &[u8],
    ) -> Result<(ResultTable, Meta), EnvelopeError> {
        match ResultTable::from_response_bytes_in(view, query, bytes) {
            Ok(built) => Ok(built),
            Err(table_error) => {
                let response = parse_query_response(bytes)?;
                tracing::warn!(%table_error, "the fast parser rejected an answer the envelope parser accepts");
                let meta =
                    Meta { total: response.total, page_size: response.page_size, count: response.count };
                Ok((ResultTable::from_rows_in(view, query, &response.rows), meta))
            }
        }
    }

    /// Builds a table straight from the bytes of a `/query/conversations` response
    /// to `query`, without a `serde_json::Value` per row, and returns the envelope's
    /// counts. A missing `total`, `pageSize` or `count` reads as the number of rows.
    pub fn from_response_bytes(query: &QueryBody, bytes: &[u8]) -> Result<(ResultTable, Meta), TableError> {
        ResultTable::from_response_bytes_in(View::Conversations, query, bytes)
    }

    /// [`ResultTable::from_response_bytes`] for a response of `view`.
    pub fn from_response_bytes_in(
        view: View,
        query: &QueryBody,
        bytes: &[u8],
    ) -> Result<(ResultTable, Meta), TableError> {
        // Checking UTF-8 once here is cheaper than serde_json checking every string
        // and raw value of a byte slice on its own.
        let text = std::str::from_utf8(bytes)
            .map_err(|err| TableError::Json(format!("the response is not UTF-8 text: {err}")))?;
        let mut table = TableBuilder::new(view, query);
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let envelope = deserializer
            .deserialize_map(EnvelopeVisitor { table: &mut table })
            .and_then(|envelope| deserializer.end().map(|()| envelope))
            .map_err(|err| TableError::Json(err.to_string()))?;
        match envelope.status.as_deref() {
            Some("ok") => {}
            Some(other) => return Err(TableError::Status(other.to_string())),
            None => return Err(TableError::Missing("status")),
        }
        let data = envelope.data.ok_or(TableError::Missing("data"))?;
        if !data.has_result {
            return Err(TableError::Missing("data.result"));
        }
        let rows = table.row_count() as u64;
        let meta = Meta {
            total: data.total.unwrap_or(rows),
            page_size: data.page_size.unwrap_or(rows),
            count: data.count.unwrap_or(rows),
        };
        Ok((table.finish(), meta))
    }

    /// Builds a table from the export endpoint's CSV: a header row of column
    /// names, then one record per row; an empty field is null, other fields are
    /// typed by inference (integers, floats, booleans, timestamps, JSON, text). `progress` is called
    /// every few thousand rows and at the end; returning `false` cancels.
    pub fn from_csv_reader<R: Read>(
        query: &QueryBody,
        reader: R,
        progress: impl FnMut(LoadProgress) -> bool,
    ) -> Result<ResultTable, TableError> {
        ResultTable::from_csv_reader_in(View::Conversations, query, reader, progress)
    }

    /// [`ResultTable::from_csv_reader`] for the export of `view`.
    pub fn from_csv_reader_in<R: Read>(
        view: View,
        query: &QueryBody,
        reader: R,
        mut progress: impl FnMut(LoadProgress) -> bool,
    ) -> Result<ResultTable, TableError> {
        let mut csv_reader = csv::ReaderBuilder::new().has_headers(true).from_reader(reader);
        let mut table = TableBuilder::new(view, query);
        let headers = csv_reader.headers().map_err(|err| TableError::Csv(err.to_string()))?.clone();
        let targets: Vec<Target> =
            headers.iter().enumerate().map(|(position, name)| table.resolve(position, name)).collect();
        let mut record = csv::ByteRecord::new();
        loop {
            match csv_reader.read_byte_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(err) => return Err(TableError::Csv(err.to_string())),
            }
            for (field_index, (bytes, &target)) in record.iter().zip(&targets).enumerate() {
                if bytes.is_empty() {
                    continue;
                }
                let Ok(text) = std::str::from_utf8(bytes) else {
                    return Err(TableError::Csv(format!(
                        "row {}, column `{}`: the value is not valid UTF-8",
                        table.row_count() + 1,
                        headers.get(field_index).unwrap_or("")
                    )));
                };
                push_csv_field(&mut table, target, text);
            }
            table.end_row();
            if table.row_count().is_multiple_of(PROGRESS_EVERY_ROWS) {
                let report = LoadProgress { row_count: table.row_count(), byte_count: record_end(&record) };
                if !progress(report) {
                    return Err(TableError::Cancelled);
                }
            }
        }
        let report = LoadProgress { row_count: table.row_count(), byte_count: csv_reader.position().byte() };
        if !progress(report) {
            return Err(TableError::Cancelled);
        }
        Ok(table.finish())
    }
}

fn record_end(record: &csv::ByteRecord) -> u64 {
    record.position().map_or(0, |p| p.byte() + record.as_slice().len() as u64)
}

fn push_csv_field(table: &mut TableBuilder, target: Target, text: &str) {
    match target {
        Target::Slot(slot) => {
            if let Some(cell) = table.cell(slot) {
                push_text_field(cell, text);
            }
        }
        Target::Unpack(group) => match serde_json::from_str::<Map<String, Value>>(text) {
            Ok(object) => {
                for (position, (key, value)) in object.iter().enumerate() {
                    let slot = table.resolve_unpacked(group, position, key);
                    if let Some(cell) = table.cell(slot) {
                        push_value(cell, value);
                    }
                }
            }
            Err(_) => {
                let slot = table.unpack_fallback(group);
                if let Some(cell) = table.cell(slot) {
                    push_text_field(cell, text);
                }
            }
        },
    }
}

/// A CSV field: JSON fields and JSON-looking text are JSON, the rest is typed by
/// its spelling.
fn push_text_field(cell: &mut ColumnBuilder, text: &str) {
    let looks_like_json = text.starts_with('{') || text.starts_with('[');
    // The server writes JSON fields as JSON; other columns must prove it.
    if looks_like_json && (cell.hint() == Hint::Json || is_json_document(text)) {
        cell.push_json(&compact_json(text));
    } else {
        cell.push_lexical(text);
    }
}

fn push_value(cell: &mut ColumnBuilder, value: &Value) {
    match value {
        Value::Null => {}
        Value::Bool(b) => cell.push_bool(*b),
        Value::Number(n) => {
            if let Some(int) = n.as_i64() {
                cell.push_int(int);
            } else if let Some(float) = n.as_f64() {
                cell.push_float(float);
            }
        }
        Value::String(s) => push_string(cell, s),
        Value::Array(_) | Value::Object(_) => cell.push_json(&value.to_string()),
    }
}

/// A JSON string value, read as the column's hint suggests.
fn push_string(cell: &mut ColumnBuilder, text: &str) {
    match cell.hint() {
        Hint::Json if is_json_document(text) => cell.push_json(&compact_json(text)),
        Hint::Numeric => cell.push_lexical(text),
        _ => cell.push_str(text),
    }
}

/// One raw JSON value (as serde_json's `RawValue` gives it: no surrounding
/// whitespace), typed by its first byte.
fn push_raw(cell: &mut ColumnBuilder, raw: &str) -> Result<(), String> {
    match raw.as_bytes().first() {
        Some(b'n') => {}
        Some(b't') => cell.push_bool(true),
        Some(b'f') => cell.push_bool(false),
        Some(b'"') => {
            let inner = raw.get(1..raw.len().saturating_sub(1)).unwrap_or("");
            if memchr::memchr(b'\\', inner.as_bytes()).is_none() {
                push_string(cell, inner);
            } else {
                let unescaped: String = serde_json::from_str(raw).map_err(|err| err.to_string())?;
                push_string(cell, &unescaped);
            }
        }
        Some(b'{' | b'[') => cell.push_json(&compact_json(raw)),
        Some(_) => {
            let integral = raw.bytes().all(|b| b.is_ascii_digit() || b == b'-');
            match raw.parse::<i64>() {
                Ok(int) if integral => cell.push_int(int),
                _ => match raw.parse::<f64>() {
                    Ok(float) => cell.push_float(float),
                    Err(_) => return Err(format!("`{raw}` is not a JSON value")),
                },
            }
        }
        None => return Err("empty JSON value".to_string()),
    }
    Ok(())
}

#[derive(Default)]
struct Envelope {
    status: Option<String>,
    data: Option<DataMeta>,
}

#[derive(Default)]
struct DataMeta {
    has_result: bool,
    total: Option<u64>,
    page_size: Option<u64>,
    count: Option<u64>,
}

struct EnvelopeVisitor<'t> {
    table: &'t mut TableBuilder,
}

impl<'de> Visitor<'de> for EnvelopeVisitor<'_> {
    type Value = Envelope;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the response envelope {\"status\":\"ok\",\"data\":{\"result\":[…]}}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Envelope, A::Error> {
        let mut envelope = Envelope::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "status" => envelope.status = Some(map.next_value_seed(StatusSeed)?),
                "data" => envelope.data = Some(map.next_value_seed(DataSeed { table: self.table })?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(envelope)
    }
}

struct StatusSeed;

impl<'de> DeserializeSeed<'de> for StatusSeed {
    type Value = String;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<String, D::Error> {
        deserializer.deserialize_str(StatusSeed)
    }
}

impl<'de> Visitor<'de> for StatusSeed {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string for `status`")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<String, E> {
        Ok(value.to_string())
    }
}

struct DataSeed<'t> {
    table: &'t mut TableBuilder,
}

impl<'de> DeserializeSeed<'de> for DataSeed<'_> {
    type Value = DataMeta;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<DataMeta, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for DataSeed<'_> {
    type Value = DataMeta;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object {\"result\":[…],\"total\",\"pageSize\",\"count\"} for `data`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<DataMeta, A::Error> {
        let mut data = DataMeta::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "result" => {
                    map.next_value_seed(ResultSeed { table: &mut *self.table })?;
                    data.has_result = true;
                }
                "total" => data.total = Some(map.next_value_seed(CountSeed("data.total"))?),
                "pageSize" => data.page_size = Some(map.next_value_seed(CountSeed("data.pageSize"))?),
                "count" => data.count = Some(map.next_value_seed(CountSeed("data.count"))?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(data)
    }
}

struct CountSeed(&'static str);

impl<'de> DeserializeSeed<'de> for CountSeed {
    type Value = u64;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<u64, D::Error> {
        deserializer.deserialize_u64(self)
    }
}

impl<'de> Visitor<'de> for CountSeed {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a non-negative integer for `{}`", self.0)
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<u64, E> {
        Ok(value)
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<u64, E> {
        u64::try_from(value).map_err(|_| E::invalid_value(de::Unexpected::Signed(value), &self))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<u64, E> {
        // Some servers print counts as 12.0.
        if value >= 0.0 && value.fract() == 0.0 && value < u64::MAX as f64 {
            Ok(value as u64)
        } else {
            Err(E::invalid_value(de::Unexpected::Float(value), &self))
        }
    }
}

struct ResultSeed<'t> {
    table: &'t mut TableBuilder,
}

impl<'de> DeserializeSeed<'de> for ResultSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ResultSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of row objects for `data.result`")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        while seq.next_element_seed(RowSeed { table: &mut *self.table, index })?.is_some() {
            index += 1;
        }
        Ok(())
    }
}

struct RowSeed<'t> {
    table: &'t mut TableBuilder,
    index: usize,
}

impl<'de> DeserializeSeed<'de> for RowSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RowSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a row object at `data.result[{}]`", self.index)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let table = self.table;
        let mut position = 0;
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let raw: &'de RawValue = map.next_value()?;
            match table.resolve(position, key.as_str()) {
                Target::Slot(slot) => {
                    if let Some(cell) = table.cell(slot) {
                        push_raw(cell, raw.get()).map_err(|message| {
                            de::Error::custom(format!(
                                "{message} at `data.result[{}].{}`",
                                self.index,
                                key.as_str()
                            ))
                        })?;
                    }
                }
                Target::Unpack(group) => push_unpacked(table, group, raw.get()).map_err(|message| {
                    de::Error::custom(format!("{message} at `data.result[{}].{}`", self.index, key.as_str()))
                })?,
            }
            position += 1;
        }
        table.end_row();
        Ok(())
    }
}

/// The value of an unpacked JSON field sent as one object: each key becomes a
/// `<field>.<key>` cell.
fn push_unpacked(table: &mut TableBuilder, group: usize, raw: &str) -> Result<(), String> {
    match raw.as_bytes().first() {
        Some(b'n') => Ok(()),
        Some(b'{') => {
            let mut deserializer = serde_json::Deserializer::from_str(raw);
            deserializer.deserialize_map(UnpackVisitor { table, group }).map_err(|err| err.to_string())
        }
        _ => {
            let slot = table.unpack_fallback(group);
            match table.cell(slot) {
                Some(cell) => push_raw(cell, raw),
                None => Ok(()),
            }
        }
    }
}

struct UnpackVisitor<'t> {
    table: &'t mut TableBuilder,
    group: usize,
}

impl<'de> Visitor<'de> for UnpackVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut position = 0;
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let raw: &'de RawValue = map.next_value()?;
            let slot = self.table.resolve_unpacked(self.group, position, key.as_str());
            if let Some(cell) = self.table.cell(slot) {
                push_raw(cell, raw.get()).map_err(de::Error::custom)?;
            }
            position += 1;
        }
        Ok(())
    }
}

/// An object key, borrowed from the input unless it had escapes.
enum Key<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl Key<'_> {
    fn as_str(&self) -> &str {
        match self {
            Key::Borrowed(s) => s,
            Key::Owned(s) => s,
        }
    }
}

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Key<'de>, D::Error> {
        deserializer.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_borrowed_str<E: de::Error>(self, value: &'de str) -> Result<Key<'de>, E> {
        Ok(Key::Borrowed(value))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Key<'de>, E> {
        Ok(Key::Owned(value.to_string()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Key<'de>, E> {
        Ok(Key::Owned(value))
    }
}
