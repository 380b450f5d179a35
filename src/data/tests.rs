//! Tests of the result model through its public API.

use serde_json::{Map, Value, json};

use super::copy::{row_to_json, to_tsv};
use super::parse::{LoadProgress, Meta, TableError};
use super::search::{SearchCursor, search_view};
use super::sort::{SortKey, sort_rows, sort_view};
use super::table::{CellRef, ColumnType, ResultTable};
use crate::api::query::{Field, FieldMode, QueryBody, Selection, TimeUnit};

fn rows(value: Value) -> Vec<Map<String, Value>> {
    match value {
        Value::Array(items) => items
            .into_iter()
            .map(|item| match item {
                Value::Object(map) => map,
                other => panic!("not an object: {other}"),
            })
            .collect(),
        other => panic!("not an array: {other}"),
    }
}

/// Builds the table both ways (parsed rows and raw response bytes) and checks they agree.
fn build(query: &QueryBody, data: Value) -> ResultTable {
    let count = data.as_array().map_or(0, Vec::len);
    let from_rows = ResultTable::from_rows(query, &rows(data.clone()));
    let envelope =
        json!({"status": "ok", "data": {"result": data, "total": count, "pageSize": 1000, "count": count}});
    let bytes = serde_json::to_vec(&envelope).unwrap();
    let (from_bytes, meta) = ResultTable::from_response_bytes(query, &bytes).unwrap();
    assert_eq!(meta, Meta { total: count as u64, page_size: 1000, count: count as u64 });
    assert_eq!(from_rows, from_bytes, "row path and byte path disagree");
    from_rows
}

fn texts(table: &ResultTable, col: usize) -> Vec<String> {
    (0..table.row_count()).map(|row| table.cell_text(row, col).into_owned()).collect()
}

fn view_texts(table: &ResultTable, view: &[u32], col: usize) -> Vec<String> {
    view.iter().map(|&row| table.cell_text(row as usize, col).into_owned()).collect()
}

fn types(table: &ResultTable) -> Vec<ColumnType> {
    table.columns().iter().map(|c| c.column_type()).collect()
}

fn names(table: &ResultTable) -> Vec<&str> {
    table.column_names()
}

fn raw_rows() -> Value {
    json!([
        {"id": "c-1", "userMessageCount": 3, "organizationId": "org", "projectId": "p1",
         "integrationId": null, "firstMessageTime": "2026-01-05T10:00:00.123Z", "type": "openai",
         "properties": {"source": "web", "tags": ["a", "b"]}, "userProperties": {"userId": "u1"}},
        {"id": "c-2", "userMessageCount": 12, "organizationId": "org", "projectId": "p2",
         "integrationId": "int-1", "firstMessageTime": "2026-01-04T09:30:00.000Z", "type": null,
         "properties": null, "userProperties": {"userId": "u2", "identificationType": "COOKIED"}}
    ])
}

#[test]
fn raw_rows_are_typed_by_their_values() {
    let table = build(&QueryBody::default(), raw_rows());
    assert_eq!(
        names(&table),
        [
            "id",
            "userMessageCount",
            "organizationId",
            "projectId",
            "integrationId",
            "firstMessageTime",
            "type",
            "properties",
            "userProperties"
        ]
    );
    use ColumnType::*;
    assert_eq!(types(&table), [Text, Integer, Text, Text, Text, Timestamp, Text, Json, Json]);
    assert_eq!(table.cell(1, 1), CellRef::Int(12));
    assert_eq!(table.cell(0, 4), CellRef::Null);
    assert_eq!(table.cell(1, 4), CellRef::Text("int-1"));
    let millis = "2026-01-05T10:00:00.123Z".parse::<jiff::Timestamp>().unwrap().as_millisecond();
    assert_eq!(table.cell(0, 5), CellRef::Timestamp(millis));
    assert_eq!(texts(&table, 5), ["2026-01-05T10:00:00.123Z", "2026-01-04T09:30:00.000Z"]);
    assert_eq!(table.cell(0, 7), CellRef::Json(r#"{"source":"web","tags":["a","b"]}"#));
    assert_eq!(table.cell(1, 7), CellRef::Null);
    assert_eq!(table.column(7).unwrap().null_count(), 1);
    assert_eq!(table.column(6).unwrap().null_count(), 1);
}

#[test]
fn numbers_mixes_and_bools_are_inferred() {
    let query =
        QueryBody { select: vec![Selection::field_path(Field::Properties, &["x"])], ..Default::default() };
    let col = |values: Value| {
        let data: Vec<Value> =
            values.as_array().unwrap().iter().map(|v| json!({"properties.x": v})).collect();
        let table = build(&query, Value::Array(data));
        (table.column(0).unwrap().column_type(), texts(&table, 0))
    };
    assert_eq!(
        col(json!([1, 2, null, -3])),
        (ColumnType::Integer, vec!["1".into(), "2".into(), "".into(), "-3".into()])
    );
    assert_eq!(col(json!([1, 2.5, 3])).0, ColumnType::Float);
    assert_eq!(col(json!([1, 2.5, 3])).1, ["1", "2.5", "3"]);
    assert_eq!(col(json!([true, false, null])).0, ColumnType::Bool);
    assert_eq!(
        col(json!([1, "abc", 2.5, true])),
        (ColumnType::Text, vec!["1".into(), "abc".into(), "2.5".into(), "true".into()])
    );
    assert_eq!(col(json!(["2026-01-05T00:00:00Z", "2026-01-06T00:00:00Z"])).0, ColumnType::Timestamp);
    assert_eq!(
        col(json!(["2026-01-05T00:00:00Z", "soon"])),
        (ColumnType::Text, vec!["2026-01-05T00:00:00Z".into(), "soon".into()])
    );
    assert_eq!(
        col(json!([[1, 2], "x", 3])),
        (ColumnType::Json, vec!["[1,2]".into(), "\"x\"".into(), "3".into()])
    );
    assert_eq!(col(json!([null, null])).0, ColumnType::Text);
    // Integers beyond i64 become floats rather than failing.
    assert_eq!(col(json!([1, 18446744073709551615u64])).0, ColumnType::Float);
}

#[test]
fn timestamps_in_mixed_layouts_keep_their_original_text() {
    let query = QueryBody { select: vec![Selection::time(TimeUnit::Day)], ..Default::default() };
    let spellings = [
        "2026-01-05T00:00:00Z",
        "2026-01-05T10:00:00.5Z",
        "2026-01-05T12:00:00+02:00",
        "2026-01-05T01:02:03.123456Z",
    ];
    let data: Vec<Value> = spellings.iter().map(|s| json!({"firstMessageTime_day": s})).collect();
    let table = build(&query, Value::Array(data));
    assert_eq!(table.column(0).unwrap().column_type(), ColumnType::Timestamp);
    assert_eq!(texts(&table, 0), spellings);
    let expected: Vec<i64> =
        spellings.iter().map(|s| s.parse::<jiff::Timestamp>().unwrap().as_millisecond()).collect();
    let got: Vec<i64> = (0..4)
        .map(|row| match table.cell(row, 0) {
            CellRef::Timestamp(ms) => ms,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(got, expected);
}

#[test]
fn numeric_columns_read_numeric_strings_as_numbers() {
    let query = QueryBody { select: vec![Selection::count()], ..Default::default() };
    let table = build(&query, json!([{"count": "12"}, {"count": 7}, {"count": null}]));
    assert_eq!(table.column(0).unwrap().column_type(), ColumnType::Integer);
    assert_eq!(table.cell(0, 0), CellRef::Int(12));
    // An empty result still has the query's columns, typed by their hints.
    let empty = build(&query, json!([]));
    assert_eq!(names(&empty), ["count"]);
    assert_eq!(types(&empty), [ColumnType::Integer]);
}

#[test]
fn unpacked_fields_flatten_in_first_seen_order_with_nulls_for_missing_keys() {
    let query = QueryBody {
        select: vec![Selection::field(Field::Properties), Selection::count()],
        ..Default::default()
    };
    let data = json!([
        {"properties": {"source": "web", "locale": "en"}, "count": 3},
        {"properties": {"tier": "pro", "source": "slack"}, "count": 1},
        {"properties": null, "count": 2},
        {"properties": {"locale": "fr", "nested": {"a": 1}}, "count": 5}
    ]);
    let table = build(&query, data);
    assert_eq!(
        names(&table),
        ["properties.source", "properties.locale", "properties.tier", "properties.nested", "count"]
    );
    assert_eq!(texts(&table, 0), ["web", "slack", "", ""]);
    assert_eq!(texts(&table, 1), ["en", "", "", "fr"]);
    assert_eq!(texts(&table, 2), ["", "pro", "", ""]);
    assert_eq!(table.cell(3, 3), CellRef::Json(r#"{"a":1}"#));
    assert_eq!(table.cell(2, 0), CellRef::Null);
    assert_eq!(texts(&table, 4), ["3", "1", "2", "5"]);

    // The same result sent already flattened gives the same columns.
    let flat = json!([
        {"properties.source": "web", "properties.locale": "en", "count": 3},
        {"properties.tier": "pro", "properties.source": "slack", "count": 1}
    ]);
    let table = build(&query, flat);
    assert_eq!(names(&table), ["properties.source", "properties.locale", "properties.tier", "count"]);
    assert_eq!(texts(&table, 2), ["", "pro"]);
}

#[test]
fn json_mode_stays_one_column() {
    let query = QueryBody {
        select: vec![Selection::Field {
            field: Field::UserProperties,
            path: None,
            mode: Some(FieldMode::Json),
        }],
        ..Default::default()
    };
    let table = build(
        &query,
        json!([{"userProperties": {"userId": "u1"}}, {"userProperties": "{\"userId\": \"u2\"}"}]),
    );
    assert_eq!(names(&table), ["userProperties"]);
    assert_eq!(types(&table), [ColumnType::Json]);
    assert_eq!(texts(&table, 0), [r#"{"userId":"u1"}"#, r#"{"userId":"u2"}"#]);
}

#[test]
fn unexpected_keys_become_extra_columns_at_the_end() {
    let query = QueryBody { select: vec![Selection::count()], ..Default::default() };
    let table = build(&query, json!([{"extra": "x", "count": 1}, {"count": 2, "extra": "y"}]));
    assert_eq!(names(&table), ["count", "extra"]);
    assert!(table.column(1).unwrap().source().is_none());
    assert_eq!(texts(&table, 1), ["x", "y"]);
    // A key repeated within one row keeps its first value.
    let body = br#"{"status":"ok","data":{"result":[{"count":1,"count":2},{"count":3}]}}"#;
    let (table, _) = ResultTable::from_response_bytes(&query, body).unwrap();
    assert_eq!(texts(&table, 0), ["1", "3"]);
}

#[test]
fn envelope_errors_are_clear() {
    let q = QueryBody::default();
    let err = |text: &str| ResultTable::from_response_bytes(&q, text.as_bytes()).unwrap_err();
    assert!(matches!(err("not json"), TableError::Json(_)));
    assert!(
        matches!(err(r#"{"status":"error","data":{"result":[]}}"#), TableError::Status(s) if s == "error")
    );
    assert!(matches!(err(r#"{"status":"ok"}"#), TableError::Missing("data")));
    assert!(matches!(err(r#"{"data":{"result":[]}}"#), TableError::Missing("status")));
    assert!(matches!(err(r#"{"status":"ok","data":{"total":1}}"#), TableError::Missing("data.result")));
    let message = err(r#"{"status":"ok","data":{"result":{"id":1}}}"#).to_string();
    assert!(message.contains("data.result"), "{message}");
    let message = err(r#"{"status":"ok","data":{"result":[{"id":"a"}, 5]}}"#).to_string();
    assert!(message.contains("data.result[1]"), "{message}");
    assert!(message.contains("line 1"), "{message}");
    let message = err(r#"{"status":"ok","data":{"result":[],"total":"many"}}"#).to_string();
    assert!(message.contains("data.total"), "{message}");
    let message = err(r#"{"status":"ok","data":[]}"#).to_string();
    assert!(message.contains("`data`"), "{message}");
    assert!(matches!(err(r#"{"status":"ok","data":{"result":[]}} trailing"#), TableError::Json(_)));
}

#[test]
fn missing_counts_default_to_the_rows_received() {
    let body = br#"{"data":{"result":[{"count":1},{"count":2}]},"status":"ok","extra":{"x":[1]}}"#;
    let query = QueryBody { select: vec![Selection::count()], ..Default::default() };
    let (table, meta) = ResultTable::from_response_bytes(&query, body).unwrap();
    assert_eq!(table.row_count(), 2);
    assert_eq!(meta, Meta { total: 2, page_size: 2, count: 2 });
    assert!(!meta.is_truncated());
    assert!(Meta { total: 5, page_size: 2, count: 2 }.is_truncated());
}

#[test]
fn escaped_strings_and_keys_are_unescaped() {
    let body = br#"{"status":"ok","data":{"result":[{"i\u0064":"tab\there \"q\" \u00e9"}]}}"#;
    let (table, _) = ResultTable::from_response_bytes(&QueryBody::default(), body).unwrap();
    assert_eq!(table.cell(0, 0), CellRef::Text("tab\there \"q\" é"));
}

fn single_column(query_field: &str, values: Value) -> ResultTable {
    let data: Vec<Value> = values.as_array().unwrap().iter().map(|v| json!({ query_field: v })).collect();
    let query =
        QueryBody { select: vec![Selection::field_path(Field::Properties, &["x"])], ..Default::default() };
    build(&query, Value::Array(data))
}

#[test]
fn sort_puts_nulls_last_in_both_directions() {
    let table = single_column("properties.x", json!([3, null, -1, 10, null, 2]));
    let asc = sort_view(&table, &[SortKey::ascending(0)]);
    assert_eq!(view_texts(&table, &asc, 0), ["-1", "2", "3", "10", "", ""]);
    assert_eq!(asc[4..], [1, 4]);
    let desc = sort_view(&table, &[SortKey::descending(0)]);
    assert_eq!(view_texts(&table, &desc, 0), ["10", "3", "2", "-1", "", ""]);
    assert_eq!(desc[4..], [1, 4]);
}

#[test]
fn sort_mixed_numbers_numerically() {
    let table = single_column("properties.x", json!([2.5, 10, -0.5, 1, 1e3, -7]));
    assert_eq!(table.column(0).unwrap().column_type(), ColumnType::Float);
    let asc = sort_view(&table, &[SortKey::ascending(0)]);
    assert_eq!(view_texts(&table, &asc, 0), ["-7", "-0.5", "1", "2.5", "10", "1000"]);
}

#[test]
fn sort_numbers_among_a_few_words_by_value_then_the_words() {
    // A comparison's change %: signed decimals, and `new` where the earlier value was zero.
    let table =
        single_column("properties.x", json!(["12.5", "-3", "new", "0", "1.8", null, "-17.7", "1.75"]));
    assert_eq!(table.column(0).unwrap().column_type(), ColumnType::Text);
    let asc = sort_view(&table, &[SortKey::ascending(0)]);
    assert_eq!(view_texts(&table, &asc, 0), ["-17.7", "-3", "0", "1.75", "1.8", "12.5", "new", ""]);
    let desc = sort_view(&table, &[SortKey::descending(0)]);
    assert_eq!(view_texts(&table, &desc, 0), ["new", "12.5", "1.8", "1.75", "0", "-3", "-17.7", ""]);
    // Many rows of few values (kept as a dictionary): the same order.
    let cycle = ["new", "1.5", "-2", "10", "n/a"];
    let many: Vec<&str> = (0..500).map(|i| cycle[i % cycle.len()]).collect();
    let table = single_column("properties.x", json!(many));
    let asc = sort_view(&table, &[SortKey::ascending(0)]);
    let texts = view_texts(&table, &asc, 0);
    let firsts: Vec<&str> = texts.iter().map(String::as_str).fold(Vec::new(), |mut seen, text| {
        if seen.last() != Some(&text) {
            seen.push(text);
        }
        seen
    });
    assert_eq!(firsts, ["-2", "1.5", "10", "n/a", "new"]);
    // Ids with digits in them stay natural text, as do plain words.
    let ids = single_column("properties.x", json!(["v10", "v9", "2", "new"]));
    let asc = sort_view(&ids, &[SortKey::ascending(0)]);
    assert_eq!(view_texts(&ids, &asc, 0), ["2", "new", "v9", "v10"]);
}

#[test]
fn sort_text_naturally_and_case_insensitively() {
    let words = json!([
        "item10", "Item2", "item1", "banana", "Apple", "apple", "éclair", "Eclair", "Éclair", "zebra",
        "eclairs"
    ]);
    let table = single_column("properties.x", words);
    let asc = sort_view(&table, &[SortKey::ascending(0)]);
    assert_eq!(
        view_texts(&table, &asc, 0),
        [
            "Apple", "apple", "banana", "Eclair", "éclair", "Éclair", "eclairs", "item1", "Item2", "item10",
            "zebra"
        ]
    );
    let desc = sort_view(&table, &[SortKey::descending(0)]);
    // Ties ("Apple"/"apple", "éclair"/"Éclair") keep table order in both directions.
    assert_eq!(
        view_texts(&table, &desc, 0),
        [
            "zebra", "item10", "Item2", "item1", "eclairs", "éclair", "Éclair", "Eclair", "banana", "Apple",
            "apple"
        ]
    );
}

#[test]
fn plain_and_dictionary_text_sort_the_same_way() {
    // Enough distinct values to be stored plain, sharing long prefixes to exercise tie-breaking.
    let values: Vec<Value> = (0..1200)
        .map(|i| match i % 4 {
            0 => json!(format!("conversation-{}", (i * 7919) % 1000)),
            1 => json!(format!("Conversation-{}", (i * 31) % 1000)),
            2 => Value::Null,
            _ => json!(format!("conv-{}-x", i % 50)),
        })
        .collect();
    let table = single_column("properties.x", Value::Array(values.clone()));
    let view = sort_view(&table, &[SortKey::ascending(0)]);
    // Reference: a plain comparison sort on the same keys.
    let mut expected: Vec<u32> = table.all_rows();
    let key = |row: u32| {
        let mut k = Vec::new();
        super::sort::natural_key(&table.cell_text(row as usize, 0), &mut k, usize::MAX);
        k
    };
    expected.sort_by(|&a, &b| {
        let (na, nb) = (table.cell(a as usize, 0).is_null(), table.cell(b as usize, 0).is_null());
        na.cmp(&nb).then_with(|| key(a).cmp(&key(b)))
    });
    assert_eq!(view, expected);
    let desc = sort_view(&table, &[SortKey::descending(0)]);
    let mut expected_desc: Vec<u32> = table.all_rows();
    expected_desc.sort_by(|&a, &b| {
        let (na, nb) = (table.cell(a as usize, 0).is_null(), table.cell(b as usize, 0).is_null());
        na.cmp(&nb).then_with(|| key(b).cmp(&key(a)))
    });
    assert_eq!(desc, expected_desc);
}

#[test]
fn multi_key_sort_is_stable() {
    let query = QueryBody::default();
    let data = json!([
        {"type": "b", "userMessageCount": 2, "id": "r0"},
        {"type": "a", "userMessageCount": 5, "id": "r1"},
        {"type": "b", "userMessageCount": 1, "id": "r2"},
        {"type": null, "userMessageCount": 1, "id": "r3"},
        {"type": "a", "userMessageCount": 5, "id": "r4"},
        {"type": "b", "userMessageCount": null, "id": "r5"},
        {"type": null, "userMessageCount": 9, "id": "r6"}
    ]);
    let table = build(&query, data);
    let type_col = table.column_index("type").unwrap();
    let count_col = table.column_index("userMessageCount").unwrap();
    let id_col = table.column_index("id").unwrap();
    let view = sort_view(&table, &[SortKey::ascending(type_col), SortKey::descending(count_col)]);
    assert_eq!(view_texts(&table, &view, id_col), ["r1", "r4", "r0", "r2", "r5", "r6", "r3"]);
    // Sorting a view keeps the view's order for ties.
    let reversed: Vec<u32> = table.all_rows().into_iter().rev().collect();
    let view = sort_rows(&table, &reversed, &[SortKey::ascending(type_col)]);
    assert_eq!(view_texts(&table, &view, id_col), ["r4", "r1", "r5", "r2", "r0", "r6", "r3"]);
    // Unknown columns are ignored.
    assert_eq!(sort_view(&table, &[SortKey::ascending(99)]), table.all_rows());
}

#[test]
fn sort_bools_and_timestamps() {
    let table = single_column("properties.x", json!([true, null, false, true]));
    assert_eq!(sort_view(&table, &[SortKey::ascending(0)]), [2, 0, 3, 1]);
    let table = single_column(
        "properties.x",
        json!(["2026-01-05T12:00:00+02:00", "2026-01-05T09:00:00Z", "2026-01-05T10:30:00.000Z"]),
    );
    assert_eq!(table.column(0).unwrap().column_type(), ColumnType::Timestamp);
    assert_eq!(sort_view(&table, &[SortKey::ascending(0)]), [1, 0, 2]);
}

#[test]
fn search_is_case_insensitive_over_chosen_columns_only() {
    let table = build(&QueryBody::default(), raw_rows());
    let all: Vec<usize> = (0..table.column_count()).collect();
    let base = table.all_rows();
    assert_eq!(search_view(&table, &base, &all, "WEB"), [0]);
    assert_eq!(search_view(&table, &base, &all, "cookied"), [1]);
    assert_eq!(search_view(&table, &base, &all, "C-"), [0, 1]);
    // Row 0's timestamp (".123Z") also holds "12"; only the count column is searched here.
    assert_eq!(search_view(&table, &base, &all, "12"), [0, 1]);
    assert_eq!(search_view(&table, &base, &[table.column_index("userMessageCount").unwrap()], "12"), [1]);
    assert_eq!(search_view(&table, &base, &all, "2026-01-04T09"), [1]);
    assert_eq!(search_view(&table, &base, &all, ""), [0, 1]);
    assert_eq!(search_view(&table, &base, &all, "nothing like this"), Vec::<u32>::new());
    let id_only = [table.column_index("id").unwrap()];
    assert_eq!(search_view(&table, &base, &id_only, "web"), Vec::<u32>::new());
}

#[test]
fn booleans_search_by_text_or_mark_and_sort_false_first() {
    let table = single_column("properties.x", json!([true, false, null, true]));
    assert_eq!(table.column(0).unwrap().column_type(), ColumnType::Bool);
    let base = table.all_rows();
    for needle in ["true", "TRU", "✔", "✓"] {
        assert_eq!(search_view(&table, &base, &[0], needle), [0, 3], "{needle}");
    }
    for needle in ["false", "als", "✖", "✗", "✘"] {
        assert_eq!(search_view(&table, &base, &[0], needle), [1], "{needle}");
    }
    // "e" is in both words; nulls match nothing.
    assert_eq!(search_view(&table, &base, &[0], "e"), [0, 1, 3]);
    assert_eq!(search_view(&table, &base, &[0], "null"), Vec::<u32>::new());
    assert_eq!(sort_view(&table, &[SortKey::ascending(0)]), [1, 0, 3, 2]);
    let shown: Vec<String> =
        (0..4).map(|row| super::display::cell_display(&table, row, 0).into_owned()).collect();
    assert_eq!(shown, ["✔", "✖", "", "✔"]);
}

#[test]
fn search_handles_unicode_and_row_boundaries() {
    let values: Vec<Value> = (0..600)
        .map(|i| match i {
            0 => json!("Un ÉCLAIR au café"),
            1 => json!("ends with a"),
            2 => json!("b starts this one"),
            3 => json!("STRAßE"),
            _ => json!(format!("filler value {i}")),
        })
        .collect();
    let table = single_column("properties.x", Value::Array(values));
    let base = table.all_rows();
    assert_eq!(search_view(&table, &base, &[0], "éclair"), [0]);
    assert_eq!(search_view(&table, &base, &[0], "CAFÉ"), [0]);
    assert_eq!(search_view(&table, &base, &[0], "eclair"), Vec::<u32>::new());
    assert_eq!(search_view(&table, &base, &[0], "straße"), [3]);
    // "ab" only spans the end of row 1 and the start of row 2: no match.
    assert_eq!(search_view(&table, &base, &[0], "ab"), Vec::<u32>::new());
    assert_eq!(
        search_view(&table, &base, &[0], "VALUE 59"),
        [59, 590, 591, 592, 593, 594, 595, 596, 597, 598, 599]
    );
}

#[test]
fn search_composes_with_a_sorted_view_and_runs_in_chunks() {
    let values: Vec<Value> = (0..2000).map(|i| json!(format!("row-{}", (i * 7) % 2000))).collect();
    let table = single_column("properties.x", Value::Array(values));
    let sorted = sort_view(&table, &[SortKey::descending(0)]);
    let found = search_view(&table, &sorted, &[0], "ROW-19");
    let texts = view_texts(&table, &found, 0);
    let mut expected: Vec<String> =
        (0..2000).map(|i| format!("row-{i}")).filter(|s| s.contains("row-19")).collect();
    expected.sort_by(|a, b| b.len().cmp(&a.len()).then(b.cmp(a)));
    assert_eq!(texts, expected);

    let mut cursor = SearchCursor::new(&table, &[0], "ROW-19");
    let mut steps = 0;
    while !cursor.step(&table, 128) {
        steps += 1;
        assert!(cursor.rows_done() < 2000);
    }
    assert_eq!(steps, 15);
    assert_eq!(cursor.filter(&sorted), found);
    assert_eq!(cursor.match_count(), found.len());
}

#[test]
fn tsv_quotes_like_excel() {
    let query = QueryBody::default();
    let table = build(
        &query,
        json!([
            {"id": "plain", "type": "tab\there", "userMessageCount": 1},
            {"id": "say \"hi\"", "type": "line\nbreak", "userMessageCount": null}
        ]),
    );
    let id = table.column_index("id").unwrap();
    let ty = table.column_index("type").unwrap();
    let count = table.column_index("userMessageCount").unwrap();
    let tsv = to_tsv(&table, &[0, 1], &[id, ty, count], true);
    assert_eq!(
        tsv,
        "id\ttype\tuserMessageCount\nplain\t\"tab\there\"\t1\n\"say \"\"hi\"\"\"\t\"line\nbreak\"\t"
    );
    assert_eq!(to_tsv(&table, &[1], &[count], false), "");
    assert_eq!(to_tsv(&table, &[0], &[id], false), "plain");
}

#[test]
fn row_to_json_keeps_types() {
    let table = build(&QueryBody::default(), raw_rows());
    let row = row_to_json(&table, 0);
    assert_eq!(row["userMessageCount"], json!(3));
    assert_eq!(row["integrationId"], Value::Null);
    assert_eq!(row["firstMessageTime"], json!("2026-01-05T10:00:00.123Z"));
    assert_eq!(row["properties"], json!({"source": "web", "tags": ["a", "b"]}));
    assert_eq!(row.as_object().unwrap().keys().next().unwrap(), "id");
}

#[test]
fn csv_loads_with_inferred_types_and_progress() {
    let query = QueryBody::default();
    let csv = "id,userMessageCount,integrationId,firstMessageTime,properties,score,flag\n\
               c-1,3,,2026-01-05T10:00:00.123Z,\"{\"\"source\"\":\"\"web\"\"}\",1.5,true\n\
               c-2,007,int-1,2026-01-04T09:30:00.000Z,,2,false\n";
    let mut reports = Vec::new();
    let table = ResultTable::from_csv_reader(&query, csv.as_bytes(), |p| {
        reports.push(p);
        true
    })
    .unwrap();
    assert_eq!(table.row_count(), 2);
    let col = |name: &str| table.column_index(name).unwrap();
    assert_eq!(table.column(col("userMessageCount")).unwrap().column_type(), ColumnType::Text);
    assert_eq!(texts(&table, col("userMessageCount")), ["3", "007"]);
    assert_eq!(table.cell(0, col("integrationId")), CellRef::Null);
    assert_eq!(table.column(col("firstMessageTime")).unwrap().column_type(), ColumnType::Timestamp);
    assert_eq!(table.cell(0, col("properties")), CellRef::Json(r#"{"source":"web"}"#));
    assert_eq!(table.column(col("score")).unwrap().column_type(), ColumnType::Float);
    assert_eq!(table.column(col("flag")).unwrap().column_type(), ColumnType::Bool);
    // Columns the query has but the CSV lacks are all null; extra CSV columns come last.
    assert_eq!(names(&table).last(), Some(&"flag"));
    assert_eq!(table.column(col("type")).unwrap().null_count(), 2);
    assert_eq!(reports.last().map(|p: &LoadProgress| p.row_count), Some(2));
    assert_eq!(reports.last().unwrap().byte_count, csv.len() as u64);
}

#[test]
fn csv_unpacked_headers_and_cancel_and_bad_utf8() {
    let query = QueryBody {
        select: vec![Selection::field(Field::Properties), Selection::count()],
        ..Default::default()
    };
    let csv = "count,properties.source,properties.tags\n3,web,\"[\"\"a\"\"]\"\n4,,\n";
    let table = ResultTable::from_csv_reader(&query, csv.as_bytes(), |_| true).unwrap();
    assert_eq!(names(&table), ["properties.source", "properties.tags", "count"]);
    assert_eq!(types(&table), [ColumnType::Text, ColumnType::Json, ColumnType::Integer]);
    assert_eq!(table.cell(1, 0), CellRef::Null);

    let mut big = String::from("count\n");
    for i in 0..40_000 {
        big.push_str(&format!("{i}\n"));
    }
    let result = ResultTable::from_csv_reader(&query, big.as_bytes(), |p| p.row_count < 20_000);
    assert!(matches!(result, Err(TableError::Cancelled)));

    let bad: &[u8] = b"count,properties.source\n1,\xff\xfe\n";
    let err = ResultTable::from_csv_reader(&query, bad, |_| true).unwrap_err();
    assert!(err.to_string().contains("properties.source"), "{err}");
}

#[test]
fn memory_stays_within_three_times_the_json() {
    let data: Vec<Value> = (0..20_000)
        .map(|i| {
            let kind = ["openai", "support_ticket", "support_copilot"][i as usize % 3];
            let source = ["web", "slack", "discord"][i as usize % 3];
            json!({
                "id": format!("{:08x}-7c1e-4b2a-9f00-{:012x}", i * 2654435761u64 % 4294967296, i),
                "userMessageCount": i % 17,
                "organizationId": "org_demo",
                "projectId": format!("proj_{}", i % 4),
                "integrationId": if i % 5 == 0 { Value::Null } else { json!(format!("int_{}", i % 3)) },
                "firstMessageTime": format!("2026-01-{:02}T{:02}:{:02}:00.000Z", 1 + i % 28, i % 24, i % 60),
                "type": kind,
                "properties": {"source": source, "locale": "en-US"},
                "userProperties": {"userId": format!("user_{}", i % 900), "identificationType": "COOKIED"}
            })
        })
        .collect();
    let envelope = json!({"status": "ok", "data": {"result": data, "total": 20_000, "pageSize": 20_000, "count": 20_000}});
    let bytes = serde_json::to_vec(&envelope).unwrap();
    let (table, _) = ResultTable::from_response_bytes(&QueryBody::default(), &bytes).unwrap();
    let ratio = table.heap_size_bytes() as f64 / bytes.len() as f64;
    assert!(ratio < 3.0, "ratio {ratio}");
    assert!(ratio > 0.1, "heap size looks uncounted: {ratio}");
}

#[test]
fn long_shared_prefixes_sort_like_a_comparison_sort() {
    // Many rows sharing long prefixes force the radix refinement several levels deep.
    let mut state = 7u64;
    let values: Vec<Value> = (0..6000)
        .map(|i| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let n = (state >> 40) % 3000;
            let long = "Long shared prefix, longer than the stored sort key. ".repeat(6);
            match i % 7 {
                0 => json!(format!("https://docs.example.com/guides/page-{n}")),
                1 => json!(format!("HTTPS://docs.example.com/guides/Page-{n}/x")),
                2 => json!(format!("https://docs.example.com/guides/page-{n}é")),
                3 => json!(format!("https://docs.example.com/guides/{}", n % 7)),
                4 => json!(format!("{long}{}", n % 300)),
                5 => json!(format!("{long}{}É", n % 300)),
                _ => json!(format!("https://docs.example.com/guides/page-{n}")),
            }
        })
        .collect();
    let table = single_column("properties.x", Value::Array(values));
    let key = |row: u32| {
        let mut k = Vec::new();
        super::sort::natural_key(&table.cell_text(row as usize, 0), &mut k, usize::MAX);
        k
    };
    for descending in [false, true] {
        let view = sort_view(&table, &[SortKey { column: 0, descending }]);
        let mut expected = table.all_rows();
        expected.sort_by(|&a, &b| if descending { key(b).cmp(&key(a)) } else { key(a).cmp(&key(b)) });
        assert_eq!(view, expected, "descending: {descending}");
    }
}

#[test]
fn text_as_a_second_key_settles_ties_of_the_first() {
    let long = "Long shared prefix, longer than the stored sort key. ".repeat(6);
    let data: Vec<Value> = (0..3000)
        .map(|i| {
            let kind = ["a", "b", "c"][i % 3];
            json!({"type": kind, "id": format!("{long}{}", (i * 37) % 1000)})
        })
        .collect();
    let table = build(&QueryBody::default(), Value::Array(data));
    let (ty, id) = (table.column_index("type").unwrap(), table.column_index("id").unwrap());
    let view = sort_view(&table, &[SortKey::descending(ty), SortKey::ascending(id)]);
    let key = |row: u32| {
        let mut k = Vec::new();
        super::sort::natural_key(&table.cell_text(row as usize, id), &mut k, usize::MAX);
        (std::cmp::Reverse(table.cell_text(row as usize, ty).into_owned()), k)
    };
    let mut expected = table.all_rows();
    expected.sort_by_key(|&row| key(row));
    assert_eq!(view, expected);
}

#[test]
fn tables_and_cursors_can_be_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<ResultTable>();
    assert_send_sync::<SearchCursor>();
}

#[test]
fn display_groups_numbers_and_keeps_text() {
    let table = single_column("properties.x", json!([1234567, null, -1000]));
    let shown: Vec<String> =
        (0..3).map(|row| super::display::cell_display(&table, row, 0).into_owned()).collect();
    assert_eq!(shown, ["1,234,567", "", "-1,000"]);
    assert_eq!(table.cell_text(0, 0), "1234567");
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn text_value() -> impl Strategy<Value = Option<String>> {
        prop_oneof![
            1 => Just(None),
            8 => "[aAbé É0-9x/ -]{0,12}".prop_map(Some),
            1 => "(item|Item|ITEM)[0-9]{1,3}".prop_map(Some),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        /// The radix machinery orders rows exactly as a stable comparison sort on the
        /// sort keys would, for dictionary and plain columns, in both directions.
        #[test]
        fn text_sort_matches_a_comparison_sort(values in prop::collection::vec(text_value(), 0..700), descending: bool) {
            let data: Vec<Value> = values.iter().map(|v| json!({"properties.x": v})).collect();
            let query = QueryBody { select: vec![Selection::field_path(Field::Properties, &["x"])], ..Default::default() };
            let table = ResultTable::from_rows(&query, &rows(Value::Array(data)));
            let view = sort_view(&table, &[SortKey { column: 0, descending }]);
            let key = |row: u32| {
                let mut k = Vec::new();
                super::super::sort::natural_key(&table.cell_text(row as usize, 0), &mut k, usize::MAX);
                k
            };
            let mut expected = table.all_rows();
            expected.sort_by(|&a, &b| {
                let (na, nb) = (table.cell(a as usize, 0).is_null(), table.cell(b as usize, 0).is_null());
                let by_key = if descending { key(b).cmp(&key(a)) } else { key(a).cmp(&key(b)) };
                na.cmp(&nb).then(by_key)
            });
            prop_assert_eq!(view, expected);
        }

        /// Search finds exactly the rows whose text contains the needle, ignoring case.
        #[test]
        fn search_matches_a_naive_scan(values in prop::collection::vec(text_value(), 0..700), needle in "[abé0-9 ]{1,3}") {
            let data: Vec<Value> = values.iter().map(|v| json!({"properties.x": v})).collect();
            let query = QueryBody { select: vec![Selection::field_path(Field::Properties, &["x"])], ..Default::default() };
            let table = ResultTable::from_rows(&query, &rows(Value::Array(data)));
            let found = search_view(&table, &table.all_rows(), &[0], &needle);
            let lower = needle.to_lowercase();
            let expected: Vec<u32> = table
                .all_rows()
                .into_iter()
                .filter(|&row| !table.cell(row as usize, 0).is_null() && table.cell_text(row as usize, 0).to_lowercase().contains(&lower))
                .collect();
            prop_assert_eq!(found, expected);
        }
    }
}
