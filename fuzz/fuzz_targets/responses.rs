//! What comes back from a server: the query envelope, property lists, problem+json, and
//! the export CSV, each turned into a result table and read the ways the app reads it.
//!
//! Input: one selector byte (which of a few queries the answer belongs to, since the table
//! builder shapes columns after the query) followed by the answer's bytes. Checks:
//! - `parse_query_response`, `parse_property_list`, `Problem::from_json_bytes`,
//!   `body_excerpt`, `ResultTable::from_response_bytes` and `ResultTable::from_csv_reader`
//!   never panic;
//! - when both the envelope parser and the streaming table builder accept an answer, the
//!   table built from the parsed rows equals the one built from the bytes (the app uses the
//!   second, tests and the inspector the first), and the counts agree. JSON cells are
//!   compared as JSON: the byte path keeps the text as sent (`"\u00e9"` stays escaped),
//!   the row path re-serialises it. Answers with a repeated key in an object are left out:
//!   the byte path keeps the first value on purpose (see `TableBuilder::cell`), while
//!   serde_json's `Value` keeps the last;
//! - every table built is read without panicking: every cell's text and display form, sort
//!   by each column both ways, quick search, TSV copy, chart derivation, CSV and JSON export.

#![no_main]

use std::collections::HashSet;
use std::fmt;
use std::sync::OnceLock;
use std::sync::atomic::AtomicBool;

use inkeep_explorer::api::query::{QueryBody, parse_query};
use inkeep_explorer::api::response::{
    EXCERPT_MAX_CHARS, Problem, body_excerpt, parse_property_list, parse_query_response, truncate_chars,
};
use inkeep_explorer::data::copy::{row_to_json, to_tsv};
use inkeep_explorer::data::display::cell_display;
use inkeep_explorer::data::export::{write_csv, write_json};
use inkeep_explorer::data::series::{SeriesOptions, column_roles, derive_chart};
use inkeep_explorer::data::{CellRef, ResultTable, SortKey, search_view, sort_view};
use jiff::civil::DateTime;
use jiff::tz::Offset;
use libfuzzer_sys::fuzz_target;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// The queries an answer may belong to: raw rows, unpacked and whole JSON fields, time
/// buckets with aggregations, and grouping by a JSON path.
const QUERIES: [&str; 6] = [
    "{}",
    r#"{"select":[{"type":"field","field":"id"},{"type":"field","field":"properties"}]}"#,
    r#"{"select":[{"type":"field","field":"userProperties","mode":"json"},{"type":"field","field":"properties","path":["source"]}]}"#,
    r#"{"select":[{"type":"time","timeUnit":"day"},{"type":"aggregation","aggregation":"count"},{"type":"aggregation","aggregation":"avg","field":"userMessageCount"}],"groupBy":[{"field":"type"}]}"#,
    r#"{"select":[{"type":"time","timeUnit":"week"},{"type":"aggregation","aggregation":"countDistinct","field":"userProperties","path":["userId"]}],"groupBy":[{"field":"properties","path":["source"]}]}"#,
    r#"{"select":[{"type":"aggregation","aggregation":"sum","field":"properties","path":["csat"]}],"groupBy":[{"field":"properties","path":["language"],"includeInSelect":true}]}"#,
];

fn queries() -> &'static [QueryBody] {
    static PARSED: OnceLock<Vec<QueryBody>> = OnceLock::new();
    PARSED.get_or_init(|| QUERIES.iter().filter_map(|text| parse_query(text).ok()).collect())
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let queries = queries();
    assert_eq!(queries.len(), QUERIES.len(), "a built-in query does not parse");
    let query = &queries[usize::from(selector) % queries.len()];

    let _ = parse_property_list(bytes);
    if let Some(problem) = Problem::from_json_bytes(bytes) {
        let _ = problem.to_string();
        let _ = (problem.code(), problem.message());
    }
    let excerpt = body_excerpt(bytes, EXCERPT_MAX_CHARS);
    assert!(excerpt.chars().count() <= EXCERPT_MAX_CHARS + 1, "excerpt too long: {excerpt:?}");
    let _ = truncate_chars(&String::from_utf8_lossy(bytes), usize::from(selector));

    let envelope = parse_query_response(bytes);
    if let Ok(envelope) = &envelope {
        let _ = envelope.is_truncated();
        exercise(&ResultTable::from_rows(query, &envelope.rows), query);
    }
    if let Ok((table, meta)) = ResultTable::from_response_bytes(query, bytes) {
        exercise(&table, query);
        if let Ok(envelope) = &envelope
            && has_unique_keys(bytes)
        {
            let from_rows = ResultTable::from_rows(query, &envelope.rows);
            assert_same_table(&from_rows, &table);
            assert_eq!(
                (meta.total, meta.page_size, meta.count),
                (envelope.total, envelope.page_size, envelope.count)
            );
        }
    }
    if let Ok(table) = ResultTable::from_csv_reader(query, bytes, |_| true) {
        exercise(&table, query);
    }
});

/// True when no JSON object in `bytes` repeats a key.
fn has_unique_keys(bytes: &[u8]) -> bool {
    serde_json::from_slice::<UniqueKeys>(bytes).is_ok()
}

/// Deserialises any JSON document, failing on an object with a repeated key.
struct UniqueKeys;

impl<'de> Deserialize<'de> for UniqueKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UniqueKeysVisitor)
    }
}

struct UniqueKeysVisitor;

impl<'de> Visitor<'de> for UniqueKeysVisitor {
    type Value = UniqueKeys;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value without repeated keys")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_unit<E: de::Error>(self) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<UniqueKeys, A::Error> {
        while seq.next_element::<UniqueKeys>()?.is_some() {}
        Ok(UniqueKeys)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<UniqueKeys, A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            map.next_value::<UniqueKeys>()?;
            if !seen.insert(key) {
                return Err(de::Error::custom("repeated key"));
            }
        }
        Ok(UniqueKeys)
    }
}

/// Same columns, types, nulls and cells; JSON cells equal as JSON documents.
fn assert_same_table(from_rows: &ResultTable, from_bytes: &ResultTable) {
    assert_eq!(from_rows.column_names(), from_bytes.column_names(), "row path and byte path disagree");
    assert_eq!(from_rows.row_count(), from_bytes.row_count(), "row path and byte path disagree");
    for (a, b) in from_rows.columns().iter().zip(from_bytes.columns()) {
        let name = a.name();
        assert_eq!(a.column_type(), b.column_type(), "column `{name}`: row path and byte path disagree");
        assert_eq!(a.null_count(), b.null_count(), "column `{name}`: row path and byte path disagree");
        assert_eq!(a.source(), b.source(), "column `{name}`: row path and byte path disagree");
        for row in 0..from_rows.row_count() {
            match (a.cell(row), b.cell(row)) {
                (CellRef::Json(x), CellRef::Json(y)) => {
                    let parse = |text: &str| serde_json::from_str::<serde_json::Value>(text).ok();
                    assert_eq!(parse(x), parse(y), "column `{name}` row {row}: {x} vs {y}");
                }
                (x, y) => assert_eq!(x, y, "column `{name}` row {row}: row path and byte path disagree"),
            }
        }
    }
}

/// Reads `table` every way the app does.
fn exercise(table: &ResultTable, query: &QueryBody) {
    let rows = table.all_rows();
    let cols: Vec<usize> = (0..table.column_count()).collect();
    for row in 0..table.row_count() {
        for &col in &cols {
            let _ = table.cell_text(row, col);
            let _ = cell_display(table, row, col);
            let _ = table.cell(row, col).as_f64();
        }
        let _ = row_to_json(table, row);
    }
    for &col in cols.iter().take(8) {
        for key in [SortKey::ascending(col), SortKey::descending(col)] {
            let sorted = sort_view(table, &[key]);
            assert_eq!(sorted.len(), table.row_count(), "sorting lost or added rows");
        }
    }
    if cols.len() >= 2 {
        let sorted = sort_view(table, &[SortKey::descending(1), SortKey::ascending(0)]);
        assert_eq!(sorted.len(), table.row_count(), "sorting lost or added rows");
    }
    let needle = if table.row_count() > 0 && !cols.is_empty() {
        table.cell_text(0, 0).chars().take(3).collect::<String>()
    } else {
        "a".to_string()
    };
    let found = search_view(table, &rows, &cols, &needle);
    assert!(found.len() <= rows.len());
    let _ = to_tsv(table, &rows, &cols, true);
    let _ = column_roles(table);
    let now = Offset::UTC.to_timestamp(DateTime::constant(2025, 6, 30, 12, 0, 0, 0)).unwrap_or_default();
    let chart = derive_chart(Some(table), query, &SeriesOptions::default(), now);
    let _ = chart.to_csv();
    let cancel = AtomicBool::new(false);
    let mut out = Vec::new();
    let written = write_csv(table, &rows, &cols, false, &mut out, &mut |_| {}, &cancel);
    assert!(written.is_ok(), "CSV export into memory failed: {written:?}");
    out.clear();
    let written = write_json(table, &rows, &cols, &mut out, &mut |_| {}, &cancel);
    assert!(written.is_ok(), "JSON export into memory failed: {written:?}");
    if let Ok(text) = std::str::from_utf8(&out) {
        assert!(serde_json::from_str::<serde_json::Value>(text).is_ok(), "JSON export is not JSON: {text}");
    }
}
