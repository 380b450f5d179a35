//! Inputs the fuzz targets under `fuzz/` (see `fuzz/README.md`) ran into, kept as ordinary
//! tests so that they run with `cargo test` on the stable toolchain: the behaviour each one
//! pinned down, asserted with values worked out by hand.

use inkeep_explorer::api::query::{QueryBody, parse_query};
use inkeep_explorer::api::response::parse_query_response;
use inkeep_explorer::api::validate::validate;
use inkeep_explorer::api::view::View;
use inkeep_explorer::app::draft::QueryDraft;
use inkeep_explorer::data::{CellRef, ResultTable};
use serde_json::Value;

/// The grouped query of the `responses` target's selector 3.
const GROUPED: &str = r#"{"select":[{"type":"time","timeUnit":"day"},{"type":"aggregation","aggregation":"count"},{"type":"aggregation","aggregation":"avg","field":"userMessageCount"}],"groupBy":[{"field":"type"}]}"#;

fn grouped_query() -> QueryBody {
    parse_query(GROUPED).unwrap_or_else(|e| panic!("the grouped query does not parse: {e}"))
}

fn text_of(table: &ResultTable, row: usize, name: &str) -> String {
    let Some(col) = table.column_index(name) else { panic!("no column `{name}`") };
    table.cell_text(row, col).into_owned()
}

/// `responses` target: a row that repeats a key. The streaming (byte) path keeps the first
/// value and stays aligned: one row, every column one cell. (serde_json's `Value`, and so the
/// envelope parser, keeps the last value instead; the fuzz target compares the two paths only
/// on answers without repeated keys.)
#[test]
fn a_repeated_key_keeps_its_first_value_and_the_row_stays_aligned() {
    let body = br#"{"status":"ok","data":{"result":[{"firstMessageTime_day":"2025-06-01T00:00:00.000Z","type":"openai","count":12,"type":"support_ticket","count":3}],"total":1,"pageSize":100,"count":1}}"#;
    let (table, meta) = ResultTable::from_response_bytes(&grouped_query(), body).unwrap();
    assert_eq!(table.row_count(), 1);
    assert!(table.columns().iter().all(|c| c.len() == 1), "a column has more or fewer cells than rows");
    assert_eq!(text_of(&table, 0, "type"), "openai");
    assert_eq!(text_of(&table, 0, "count"), "12");
    assert_eq!(text_of(&table, 0, "avg_userMessageCount"), "");
    assert_eq!((meta.total, meta.page_size, meta.count), (1, 100, 1));

    let envelope = parse_query_response(body).unwrap();
    assert_eq!(envelope.rows[0]["type"], Value::from("support_ticket"));
}

/// `responses` target (its first finding, on a seed): a JSON cell with an escape. The byte
/// path keeps the JSON text as the server sent it, the row path re-serialises the parsed
/// value; the two are the same JSON document, which is how the target compares them.
#[test]
fn escaped_json_cells_are_the_same_document_on_both_paths() {
    let body = br#"{"status":"ok","data":{"result":[{"id":"c2","userProperties":{"userId":"u\u00e9","n":1.50}}],"total":1,"pageSize":2,"count":1}}"#;
    let query = QueryBody::default();
    let (from_bytes, _) = ResultTable::from_response_bytes(&query, body).unwrap();
    let from_rows = ResultTable::from_rows(&query, &parse_query_response(body).unwrap().rows);
    let col = from_bytes.column_index("userProperties").unwrap();
    let (CellRef::Json(sent), CellRef::Json(reserialised)) =
        (from_bytes.cell(0, col), from_rows.cell(0, col))
    else {
        panic!("userProperties is not a JSON column");
    };
    assert_eq!(sent, r#"{"userId":"u\u00e9","n":1.50}"#);
    assert_eq!(reserialised, r#"{"userId":"ué","n":1.5}"#);
    let parse = |text: &str| serde_json::from_str::<Value>(text).unwrap();
    assert_eq!(parse(sent), parse(reserialised));
}

/// `query_body` target: valid bodies whose numbers are at the edges of what JSON numbers
/// hold (beyond `i64`, tiny and huge floats, negative zero) round-trip through the form's
/// draft unchanged, and through JSON text unchanged.
#[test]
fn valid_bodies_with_edge_numbers_round_trip_through_the_draft() {
    let numbers = ["18446744073709551615", "-9223372036854775808", "1e300", "1.5e-7", "-0.0", "0.1", "12.0"];
    for number in numbers {
        for text in [
            format!(
                r#"{{"where":{{"condition":{{"field":"userMessageCount","operator":"gte","value":{number}}}}}}}"#
            ),
            format!(
                r#"{{"where":{{"condition":{{"field":"properties","operator":"in","value":{{"path":["csat"],"value":[{number},true,"x"]}}}}}}}}"#
            ),
        ] {
            let body = parse_query(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert!(
                validate(View::Conversations, &body).is_empty(),
                "{text} is valid: {:?}",
                validate(View::Conversations, &body)
            );
            assert_eq!(
                QueryDraft::from_body(&body).to_body(),
                Ok(body.clone()),
                "draft round trip of {text}"
            );
            let again = parse_query(&serde_json::to_string(&body).unwrap()).unwrap();
            assert_eq!(again, body, "JSON round trip of {text}");
        }
    }
}
