//! Export round trips: CSV, JSON and XLSX written from a table view and read back
//! (XLSX with calamine), the multi-sheet split, the sidecar, atomic writes, cancellation,
//! streamed exports (held against the query's total) and CSV injection ("CSV for Excel"
//! guards formulas, plain CSV and XLSX keep text as it is).

// The helpers below are test code too; clippy's allow-unwrap-in-tests only covers `#[test]` fns.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use calamine::{Data, Reader, Xlsx, open_workbook};
use inkeep_explorer::api::query::{Field, Filter, FilterValue, Operator, QueryBody, Selection};
use inkeep_explorer::api::view::View;
use inkeep_explorer::data::drill::Provenance;
use inkeep_explorer::data::export::{
    CellTyping, ExportControl, ExportError, ExportFormat, ExportMeta, ExportOptions, ExportSidecar,
    ShortExport, StreamExport, check_all_rows, excess_rows_warning, export_csv_stream_to_path, export_view,
    needs_formula_guard, sidecar_path,
};
use inkeep_explorer::data::{ResultTable, TableView};
use serde_json::{Map, Value, json};

const SECRET: &str = "sk-live-do-not-leak";

fn rows_of(values: Vec<Value>) -> Vec<Map<String, Value>> {
    values.into_iter().map(|v| v.as_object().unwrap().clone()).collect()
}

/// Raw conversation rows, plus a float (`score`) and a bool (`flag`) column.
fn sample_table() -> ResultTable {
    let rows = rows_of(vec![
        json!({"id": "conv_1", "userMessageCount": 3, "firstMessageTime": "2026-01-05T10:00:00.123Z",
               "type": "openai", "properties": {"source": "widget", "browser": {"name": "Firefox"}},
               "userProperties": null, "score": 2.5, "flag": true}),
        json!({"id": "conv_2, \"quoted\"", "userMessageCount": 12, "firstMessageTime": "2026-01-06T00:00:00.000Z",
               "type": null, "properties": null, "userProperties": {"userId": "u1"}, "score": 0.1, "flag": false}),
        json!({"id": "line\nbreak", "userMessageCount": 0, "firstMessageTime": "2026-02-28T23:59:59.999Z",
               "type": "support_ticket", "properties": {"tags": ["a", "b"]}, "userProperties": null,
               "score": null, "flag": null}),
    ]);
    ResultTable::from_rows(&QueryBody::default(), &rows)
}

fn body() -> QueryBody {
    QueryBody {
        select: vec![Selection::field(Field::Id), Selection::count()],
        filter: Some(Filter::condition(
            Field::Type,
            Operator::Eq,
            Some(FilterValue::Scalar("openai".into())),
        )),
        notes: Some("weekly report".into()),
        ..QueryBody::default()
    }
}

fn meta(total: Option<u64>) -> ExportMeta {
    ExportMeta {
        view: View::Conversations,
        body: body(),
        server_url: format!("https://user:{SECRET}@api.example.com/v1?key={SECRET}"),
        run_at: "2026-01-07T08:30:00Z".parse().unwrap(),
        request_id: Some("req-abc".into()),
        total,
        drilled_from: None,
        comparison: None,
    }
}

fn all_cols(table: &ResultTable) -> Vec<usize> {
    (0..table.column_count()).collect()
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn export(
    table: &ResultTable,
    rows: &[u32],
    cols: &[usize],
    format: ExportFormat,
    path: &Path,
    options: &ExportOptions,
) -> Result<inkeep_explorer::data::export::ExportOutcome, ExportError> {
    let never = AtomicBool::new(false);
    let view = TableView { table, rows, columns: cols };
    export_view(view, format, path, &meta(Some(40)), options, &mut ExportControl::new(&mut |_| {}, &never))
}

#[test]
fn csv_is_rfc4180_with_crlf_raw_values_and_a_sidecar() {
    let dir = tempfile::tempdir().unwrap();
    let table = sample_table();
    let path = dir.path().join("report.csv");
    let cols = [0, 1, 5, 6, 7, 9, 10];
    let outcome = export(
        &table,
        &table.all_rows(),
        &cols,
        ExportFormat::Csv { bom: false },
        &path,
        &ExportOptions::default(),
    )
    .unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let expected = "id,userMessageCount,firstMessageTime,type,properties,score,flag\r\n\
        conv_1,3,2026-01-05T10:00:00.123Z,openai,\"{\"\"source\"\":\"\"widget\"\",\"\"browser\"\":{\"\"name\"\":\"\"Firefox\"\"}}\",2.5,true\r\n\
        \"conv_2, \"\"quoted\"\"\",12,2026-01-06T00:00:00.000Z,,,0.1,false\r\n\
        \"line\nbreak\",0,2026-02-28T23:59:59.999Z,support_ticket,\"{\"\"tags\"\":[\"\"a\"\",\"\"b\"\"]}\",,\r\n";
    assert_eq!(text, expected);
    assert_eq!(outcome.rows_written, 3);
    assert_eq!(outcome.sheets, 1);
    assert_eq!(outcome.bytes, expected.len() as u64);

    // Read back: the same table, cell for cell.
    let back = ResultTable::from_csv_reader(&QueryBody::default(), text.as_bytes(), |_| true).unwrap();
    assert_eq!(back.row_count(), 3);
    for &col in &cols {
        let name = table.columns()[col].name();
        let back_col = back.column_index(name).unwrap();
        assert_eq!(back.columns()[back_col].column_type(), table.columns()[col].column_type(), "{name}");
        for row in 0..3 {
            assert_eq!(back.cell_text(row, back_col), table.cell_text(row, col), "row {row} column {name}");
        }
    }

    // The sidecar describes the query and holds no secret.
    let sidecar = outcome.sidecar.clone().unwrap();
    assert_eq!(sidecar, dir.path().join("report.csv.query.json"));
    assert_eq!(sidecar, sidecar_path(&path));
    let sidecar_text = std::fs::read_to_string(&sidecar).unwrap();
    assert!(!sidecar_text.contains(SECRET), "{sidecar_text}");
    let parsed: ExportSidecar = serde_json::from_str(&sidecar_text).unwrap();
    assert_eq!(parsed.query, body());
    assert_eq!(parsed.view, View::Conversations);
    assert_eq!(sidecar_text.matches("\"view\": \"conversations_view\"").count(), 1, "{sidecar_text}");
    assert_eq!(parsed.rows_exported, 3);
    assert_eq!(parsed.total, Some(40));
    assert_eq!(parsed.request_id.as_deref(), Some("req-abc"));
    assert_eq!(parsed.server_url, "https://api.example.com/v1");
    assert_eq!(parsed.file, "report.csv");
    assert_eq!(parsed.format, "csv");
    assert_eq!(names_in(dir.path()), ["report.csv", "report.csv.query.json"]);
}

#[test]
fn csv_bom_view_order_and_no_sidecar_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let table = sample_table();
    let path = dir.path().join("excel.csv");
    let options = ExportOptions { sidecar: false, ..ExportOptions::default() };
    // A sorted, filtered view: rows 2 then 0; columns userMessageCount then id.
    let outcome = export(&table, &[2, 0], &[1, 0], ExportFormat::Csv { bom: true }, &path, &options).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF");
    assert_eq!(
        std::str::from_utf8(&bytes[3..]).unwrap(),
        "userMessageCount,id\r\n0,\"line\nbreak\"\r\n3,conv_1\r\n"
    );
    assert_eq!(outcome.sidecar, None);
    assert_eq!(outcome.rows_written, 2);
    assert_eq!(names_in(dir.path()), ["excel.csv"]);
}

#[test]
fn a_one_column_null_row_survives_csv() {
    let dir = tempfile::tempdir().unwrap();
    let table = sample_table();
    let path = dir.path().join("types.csv");
    let options = ExportOptions { sidecar: false, ..ExportOptions::default() };
    export(&table, &table.all_rows(), &[6], ExportFormat::Csv { bom: false }, &path, &options).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let back = ResultTable::from_csv_reader(&QueryBody::default(), text.as_bytes(), |_| true).unwrap();
    assert_eq!(back.row_count(), 3, "{text:?}");
    assert!(back.cell(1, 0).is_null());
}

#[test]
fn json_is_an_array_of_typed_objects() {
    let dir = tempfile::tempdir().unwrap();
    let table = sample_table();
    let path = dir.path().join("report.json");
    let outcome = export(
        &table,
        &table.all_rows(),
        &all_cols(&table),
        ExportFormat::Json,
        &path,
        &ExportOptions::default(),
    )
    .unwrap();
    assert_eq!(outcome.rows_written, 3);
    let parsed: Vec<Map<String, Value>> =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(parsed.len(), 3);
    assert_eq!(parsed[0]["id"], json!("conv_1"));
    assert_eq!(parsed[0]["userMessageCount"], json!(3));
    assert_eq!(parsed[0]["firstMessageTime"], json!("2026-01-05T10:00:00.123Z"));
    assert_eq!(parsed[0]["properties"], json!({"source": "widget", "browser": {"name": "Firefox"}}));
    assert_eq!(parsed[0]["userProperties"], Value::Null);
    assert_eq!(parsed[0]["score"], json!(2.5));
    assert_eq!(parsed[0]["flag"], json!(true));
    assert_eq!(parsed[1]["id"], json!("conv_2, \"quoted\""));
    assert_eq!(parsed[1]["type"], Value::Null);
    assert_eq!(parsed[1]["userProperties"], json!({"userId": "u1"}));
    assert_eq!(parsed[2]["properties"], json!({"tags": ["a", "b"]}));
    assert_eq!(parsed[2]["score"], Value::Null);
    // Keys in column order, the same for every row.
    let keys: Vec<&str> = parsed[2].keys().map(String::as_str).collect();
    assert_eq!(keys, table.column_names());
    assert!(outcome.sidecar.is_some());

    // An empty view is an empty array.
    let empty = dir.path().join("empty.json");
    export(&table, &[], &all_cols(&table), ExportFormat::Json, &empty, &ExportOptions::default()).unwrap();
    assert_eq!(
        serde_json::from_str::<Vec<Value>>(&std::fs::read_to_string(&empty).unwrap()).unwrap(),
        Vec::<Value>::new()
    );
}

fn read_sheet(path: &Path, name: &str) -> Vec<Vec<Data>> {
    let mut workbook: Xlsx<_> = open_workbook(path).unwrap();
    let range = workbook.worksheet_range(name).unwrap();
    range.rows().map(|row| row.to_vec()).collect()
}

fn sheet_names(path: &Path) -> Vec<String> {
    let workbook: Xlsx<_> = open_workbook(path).unwrap();
    workbook.sheet_names()
}

fn text(cell: &Data) -> String {
    match cell {
        Data::String(s) => s.clone(),
        other => panic!("expected text, found {other:?}"),
    }
}

/// The label → value rows of the Query sheet, and the request body lines.
fn query_sheet(path: &Path) -> (Vec<(String, Data)>, String) {
    let rows = read_sheet(path, "Query");
    let mut labels = Vec::new();
    let mut body_lines = Vec::new();
    let mut in_body = false;
    for row in rows {
        let label = row.first().cloned().unwrap_or(Data::Empty);
        let value = row.get(1).cloned().unwrap_or(Data::Empty);
        if let Data::String(label) = &label {
            in_body = label == "Request body";
            labels.push((label.clone(), value.clone()));
        }
        if in_body {
            body_lines.push(text(&value));
        }
    }
    (labels, body_lines.join("\n"))
}

#[test]
fn xlsx_has_typed_cells_a_header_and_a_query_sheet() {
    let dir = tempfile::tempdir().unwrap();
    let table = sample_table();
    let path = dir.path().join("report.xlsx");
    let outcome = export(
        &table,
        &table.all_rows(),
        &all_cols(&table),
        ExportFormat::Xlsx,
        &path,
        &ExportOptions::default(),
    )
    .unwrap();
    assert_eq!(outcome.rows_written, 3);
    assert_eq!(outcome.sheets, 1);
    assert_eq!(outcome.sidecar, None, "XLSX carries its query in a sheet");
    assert_eq!(outcome.bytes, std::fs::metadata(&path).unwrap().len());
    assert_eq!(sheet_names(&path), ["Result", "Query"]);

    let rows = read_sheet(&path, "Result");
    assert_eq!(rows.len(), 4);
    let header: Vec<String> = rows[0].iter().map(text).collect();
    assert_eq!(header, table.column_names());
    let col = |name: &str| table.column_index(name).unwrap();
    assert_eq!(rows[1][col("id")], Data::String("conv_1".into()));
    assert_eq!(rows[1][col("userMessageCount")], Data::Float(3.0));
    assert_eq!(rows[2][col("userMessageCount")], Data::Float(12.0));
    assert_eq!(rows[1][col("score")], Data::Float(2.5));
    assert_eq!(rows[1][col("flag")], Data::Bool(true));
    assert_eq!(rows[2][col("flag")], Data::Bool(false));
    assert_eq!(rows[3][col("flag")], Data::Empty);
    assert_eq!(rows[2][col("type")], Data::Empty);
    assert_eq!(
        rows[1][col("properties")],
        Data::String(r#"{"source":"widget","browser":{"name":"Firefox"}}"#.into())
    );
    // 2026-01-05 is Excel day 46027; 10:00:00.123 is 36000.123 s into it.
    match &rows[1][col("firstMessageTime")] {
        Data::DateTime(at) => {
            assert!(at.is_datetime());
            let expected = 46027.0 + 36_000.123 / 86_400.0;
            assert!((at.as_f64() - expected).abs() < 1e-8, "{} vs {expected}", at.as_f64());
        }
        other => panic!("expected a date, found {other:?}"),
    }
    // 2026-02-28T23:59:59.999Z: Excel day 46081, a millisecond before midnight.
    match &rows[3][col("firstMessageTime")] {
        Data::DateTime(at) => assert!((at.as_f64() - (46082.0 - 0.001 / 86_400.0)).abs() < 1e-8),
        other => panic!("expected a date, found {other:?}"),
    }

    let (labels, body_json) = query_sheet(&path);
    let value = |label: &str| labels.iter().find(|(l, _)| l == label).map(|(_, v)| v.clone()).unwrap();
    assert_eq!(value("View"), Data::String("conversations_view".into()));
    assert_eq!(value("Server"), Data::String("https://api.example.com/v1".into()));
    assert_eq!(value("Run at (UTC)"), Data::String("2026-01-07T08:30:00Z".into()));
    assert_eq!(value("Request ID"), Data::String("req-abc".into()));
    assert_eq!(value("Rows exported"), Data::Float(3.0));
    assert_eq!(value("Total rows"), Data::Float(40.0));
    assert_eq!(value("Notes"), Data::String("weekly report".into()));
    assert_eq!(inkeep_explorer::api::query::parse_query(&body_json).unwrap(), body());

    // Never the key: not in any cell of any sheet.
    for sheet in sheet_names(&path) {
        for row in read_sheet(&path, &sheet) {
            for cell in row {
                assert!(!cell.to_string().contains(SECRET), "{sheet}: {cell}");
            }
        }
    }
}

#[test]
fn xlsx_rows_past_the_sheet_limit_continue_on_new_sheets() {
    let dir = tempfile::tempdir().unwrap();
    let rows = rows_of((0..8).map(|i| json!({"n": i, "label": format!("row {i}")})).collect());
    let table = ResultTable::from_rows(&QueryBody::default(), &rows);
    let n = table.column_index("n").unwrap();
    let label = table.column_index("label").unwrap();
    let path = dir.path().join("split.xlsx");
    let options = ExportOptions { max_rows_per_sheet: 3, ..ExportOptions::default() };
    let outcome =
        export(&table, &table.all_rows(), &[n, label], ExportFormat::Xlsx, &path, &options).unwrap();
    assert_eq!(outcome.sheets, 3);
    assert_eq!(outcome.rows_written, 8);
    assert_eq!(sheet_names(&path), ["Result", "Result (2)", "Result (3)", "Query"]);
    let mut seen = Vec::new();
    for (sheet, expected_rows) in [("Result", 3), ("Result (2)", 3), ("Result (3)", 2)] {
        let rows = read_sheet(&path, sheet);
        assert_eq!(rows[0], vec![Data::String("n".into()), Data::String("label".into())], "{sheet}");
        assert_eq!(rows.len(), expected_rows + 1, "{sheet}");
        for row in &rows[1..] {
            seen.push((row[0].clone(), row[1].clone()));
        }
    }
    let expected: Vec<(Data, Data)> =
        (0..8).map(|i| (Data::Float(f64::from(i)), Data::String(format!("row {i}")))).collect();
    assert_eq!(seen, expected);
    let (labels, _) = query_sheet(&path);
    let sheets = labels.iter().find(|(l, _)| l == "Result sheets").map(|(_, v)| v.to_string()).unwrap();
    assert!(sheets.starts_with("3 "), "{sheets}");
}

#[test]
fn xlsx_of_an_empty_view_has_its_header_and_long_text_is_cut() {
    let dir = tempfile::tempdir().unwrap();
    let long = "é".repeat(40_000);
    let rows = rows_of(vec![json!({"text": long, "n": 1})]);
    let table = ResultTable::from_rows(&QueryBody::default(), &rows);
    let cols = named_cols(&table, &["text", "n"]);
    let path = dir.path().join("long.xlsx");
    let outcome =
        export(&table, &table.all_rows(), &cols, ExportFormat::Xlsx, &path, &ExportOptions::default())
            .unwrap();
    assert_eq!(outcome.truncated_cells, 1);
    let rows = read_sheet(&path, "Result");
    assert_eq!(text(&rows[1][0]).chars().count(), 32_767);

    let empty = dir.path().join("empty.xlsx");
    let outcome = export(&table, &[], &cols, ExportFormat::Xlsx, &empty, &ExportOptions::default()).unwrap();
    assert_eq!((outcome.rows_written, outcome.sheets), (0, 1));
    let rows = read_sheet(&empty, "Result");
    assert_eq!(rows, vec![vec![Data::String("text".into()), Data::String("n".into())]]);
}

fn named_cols(table: &ResultTable, names: &[&str]) -> Vec<usize> {
    names.iter().map(|name| table.column_index(name).unwrap()).collect()
}

fn big_table(row_count: usize) -> ResultTable {
    let rows = rows_of((0..row_count).map(|i| json!({"n": i, "label": format!("row {i}")})).collect());
    ResultTable::from_rows(&QueryBody::default(), &rows)
}

#[test]
fn cancelling_leaves_nothing_and_keeps_an_existing_file() {
    let table = big_table(20_000);
    for format in [ExportFormat::Csv { bom: false }, ExportFormat::Json, ExportFormat::Xlsx] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(format!("out.{}", format.extension()));
        std::fs::write(&path, "previous export").unwrap();
        let cancel = AtomicBool::new(false);
        let mut reports = Vec::new();
        let mut report = |rows_done| {
            reports.push(rows_done);
            if rows_done >= 4_096 {
                cancel.store(true, Ordering::Relaxed);
            }
        };
        let result = export_view(
            TableView {
                table: &table,
                rows: &table.all_rows(),
                columns: &named_cols(&table, &["n", "label"]),
            },
            format,
            &path,
            &meta(None),
            &ExportOptions::default(),
            &mut ExportControl::new(&mut report, &cancel),
        );
        assert!(matches!(result, Err(ExportError::Cancelled)), "{format:?}: {result:?}");
        assert_eq!(reports, [0, 4_096], "{format:?}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "previous export", "{format:?}");
        assert_eq!(names_in(dir.path()), [format!("out.{}", format.extension())], "{format:?}");
    }
}

#[test]
fn progress_counts_rows_to_the_end() {
    let table = big_table(10_000);
    let dir = tempfile::tempdir().unwrap();
    let mut reports = Vec::new();
    let never = AtomicBool::new(false);
    export_view(
        TableView { table: &table, rows: &table.all_rows(), columns: &named_cols(&table, &["n", "label"]) },
        ExportFormat::Json,
        &dir.path().join("p.json"),
        &meta(None),
        &ExportOptions::default(),
        &mut ExportControl::new(&mut |rows_done| reports.push(rows_done), &never),
    )
    .unwrap();
    assert_eq!(reports, [0, 4_096, 8_192, 10_000]);
}

#[test]
fn a_stream_failing_half_way_leaves_no_file_and_no_litter() {
    for format in [ExportFormat::Csv { bom: false }, ExportFormat::Xlsx] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(format!("all.{}", format.extension()));
        std::fs::write(&path, "older").unwrap();
        let never = AtomicBool::new(false);
        let result = export_csv_stream_to_path(
            &path,
            format,
            meta(Some(10)),
            ExportOptions::default(),
            |out: &mut dyn Write| {
                out.write_all(b"n,label\r\n1,a\r\n2,b\r\n")?;
                Err(std::io::Error::other("connection reset after 2 rows"))
            },
            &mut ExportControl::new(&mut |_| {}, &never),
        );
        match result {
            Err(ExportError::Stream(message)) => assert!(message.contains("connection reset"), "{message}"),
            other => panic!("expected a stream error, got {other:?}"),
        }
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "older");
        assert_eq!(names_in(dir.path()), [format!("all.{}", format.extension())]);
    }
}

fn streamed_csv() -> Vec<u8> {
    let mut csv = b"id,userMessageCount,firstMessageTime,type\r\n".to_vec();
    for i in 0..5 {
        write!(csv, "conv_{i},{i},2026-01-0{}T00:00:00.000Z,\"support,ticket\"\r\n", i + 1).unwrap();
    }
    csv
}

/// The sidecar and the Query sheet name the view of the query, whichever it is; a sidecar
/// written before the other views (no `view`) reads as conversations.
#[test]
fn the_sidecar_and_the_query_sheet_record_the_view() {
    let dir = tempfile::tempdir().unwrap();
    let rows = rows_of(vec![json!({"id": "fb_1", "type": "negative"})]);
    let table = ResultTable::from_rows(&QueryBody::default(), &rows);
    let never = AtomicBool::new(false);
    for view in [View::Feedback, View::SemanticThreads, View::Events] {
        let meta = ExportMeta { view, ..meta(Some(1)) };
        for format in [ExportFormat::Csv { bom: false }, ExportFormat::Json, ExportFormat::Xlsx] {
            let path = dir.path().join(format!("{}.{}", view.as_str(), format.extension()));
            let table_view = TableView { table: &table, rows: &[0], columns: &[0, 1] };
            let outcome = export_view(
                table_view,
                format,
                &path,
                &meta,
                &ExportOptions::default(),
                &mut ExportControl::new(&mut |_| {}, &never),
            )
            .unwrap();
            match outcome.sidecar {
                Some(sidecar) => {
                    let text = std::fs::read_to_string(sidecar).unwrap();
                    let raw: Value = serde_json::from_str(&text).unwrap();
                    assert_eq!(raw["view"], json!(view.as_str()), "{text}");
                    let parsed: ExportSidecar = serde_json::from_str(&text).unwrap();
                    assert_eq!(parsed.view, view);
                }
                None => {
                    assert_eq!(format, ExportFormat::Xlsx);
                    let (labels, _) = query_sheet(&path);
                    let value = labels.iter().find(|(l, _)| l == "View").map(|(_, v)| v.clone());
                    assert_eq!(value, Some(Data::String(view.as_str().into())), "{labels:?}");
                }
            }
        }
    }
    let old = r#"{"exportedBy": "inkeep-explorer 0.1.0", "file": "r.csv", "format": "csv",
        "rowsExported": 1, "query": {"select": [{"type": "aggregation", "aggregation": "count"}]}}"#;
    let old: ExportSidecar = serde_json::from_str(old).unwrap();
    assert_eq!(old.view, View::Conversations);
    assert_eq!(old.query.select, [Selection::count()]);
}

/// A drill-down tab's export says where it came from: the sidecar and the Query sheet carry
/// the provenance line, the view and the query drilled from; other exports carry none.
#[test]
fn a_drill_down_export_records_where_it_came_from() {
    let dir = tempfile::tempdir().unwrap();
    let rows = rows_of(vec![json!({"id": "c1", "type": "support_ticket"})]);
    let table = ResultTable::from_rows(&QueryBody::default(), &rows);
    let never = AtomicBool::new(false);
    let from = Provenance {
        text: "from: count per day by type ➡ 2026-11-12, support_ticket".into(),
        view: View::Conversations,
        query: QueryBody { select: vec![Selection::count()], ..QueryBody::default() },
        clicked: Some(1.0),
    };
    let drill_meta = ExportMeta { drilled_from: Some(from.clone()), ..meta(Some(1)) };
    for format in [ExportFormat::Csv { bom: false }, ExportFormat::Xlsx] {
        let path = dir.path().join(format!("drill.{}", format.extension()));
        let table_view = TableView { table: &table, rows: &[0], columns: &[0, 1] };
        let outcome = export_view(
            table_view,
            format,
            &path,
            &drill_meta,
            &ExportOptions::default(),
            &mut ExportControl::new(&mut |_| {}, &never),
        )
        .unwrap();
        match outcome.sidecar {
            Some(sidecar) => {
                let text = std::fs::read_to_string(sidecar).unwrap();
                let raw: Value = serde_json::from_str(&text).unwrap();
                assert_eq!(raw["drilledFrom"]["text"], json!(from.text), "{text}");
                assert_eq!(raw["drilledFrom"]["view"], json!("conversations_view"), "{text}");
                let parsed: ExportSidecar = serde_json::from_str(&text).unwrap();
                assert_eq!(parsed.drilled_from, Some(from.clone()));
            }
            None => {
                let (labels, body) = query_sheet(&path);
                let value = |name: &str| labels.iter().find(|(l, _)| l == name).map(|(_, v)| v.clone());
                assert_eq!(value("Drilled from"), Some(Data::String(from.text.clone())), "{labels:?}");
                assert_eq!(value("Drilled from view"), Some(Data::String("conversations_view".into())));
                assert!(value("Query drilled from").is_some(), "{labels:?}");
                assert_eq!(body, drill_meta.body.to_pretty_json(), "the request body is still whole");
                let sheet = read_sheet(&path, "Query");
                let start =
                    sheet.iter().position(|row| row[0] == Data::String("Query drilled from".into())).unwrap();
                let lines: Vec<String> = sheet[start..].iter().map(|row| text(&row[1])).collect();
                assert_eq!(lines.join("\n"), from.query.to_pretty_json());
            }
        }
    }
    // An export of an ordinary tab records no provenance.
    let plain = dir.path().join("plain.csv");
    let table_view = TableView { table: &table, rows: &[0], columns: &[0, 1] };
    let outcome = export_view(
        table_view,
        ExportFormat::Csv { bom: false },
        &plain,
        &meta(Some(1)),
        &ExportOptions::default(),
        &mut ExportControl::new(&mut |_| {}, &never),
    )
    .unwrap();
    let text = std::fs::read_to_string(outcome.sidecar.unwrap()).unwrap();
    assert!(!text.contains("drilledFrom"), "{text}");
}

#[test]
fn streamed_csv_goes_to_disk_as_is_with_counts_and_sidecar() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("all.csv");
    let never = AtomicBool::new(false);
    let mut export =
        StreamExport::begin(&path, ExportFormat::Csv { bom: true }, meta(Some(5)), ExportOptions::default())
            .unwrap();
    // Chunks that split records and quoted fields anywhere, through a writer bound like
    // the client's `export_csv<W: Write + Send>(…, out: &mut W, …)`.
    fn feed<W: Write + Send>(out: &mut W, bytes: &[u8]) {
        for chunk in bytes.chunks(7) {
            out.write_all(chunk).unwrap();
        }
        out.flush().unwrap();
    }
    feed(&mut export, &streamed_csv());
    assert_eq!(export.bytes_received(), streamed_csv().len() as u64);
    assert!(!path.exists(), "nothing under the name before finishing");
    let outcome = export.finish(&mut ExportControl::new(&mut |_| {}, &never)).unwrap();
    assert_eq!(outcome.rows_written, 5);
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF");
    assert_eq!(&bytes[3..], streamed_csv().as_slice());
    let sidecar: ExportSidecar =
        serde_json::from_str(&std::fs::read_to_string(outcome.sidecar.unwrap()).unwrap()).unwrap();
    assert_eq!(sidecar.rows_exported, 5);
    assert_eq!(names_in(dir.path()), ["all.csv", "all.csv.query.json"]);
}

#[test]
fn streamed_csv_converts_to_xlsx_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let never = AtomicBool::new(false);
    let convert = |name: &str, format: ExportFormat| -> PathBuf {
        let path = dir.path().join(name);
        let outcome = export_csv_stream_to_path(
            &path,
            format,
            meta(Some(5)),
            ExportOptions::default(),
            |out: &mut dyn Write| out.write_all(&streamed_csv()),
            &mut ExportControl::new(&mut |_| {}, &never),
        )
        .unwrap();
        assert_eq!(outcome.rows_written, 5);
        path
    };
    let xlsx = convert("all.xlsx", ExportFormat::Xlsx);
    let rows = read_sheet(&xlsx, "Result");
    assert_eq!(rows.len(), 6);
    assert_eq!(rows[2][0], Data::String("conv_1".into()));
    assert_eq!(rows[2][1], Data::Float(1.0));
    assert!(matches!(rows[2][2], Data::DateTime(at) if (at.as_f64() - 46024.0).abs() < 1e-9));
    assert_eq!(rows[2][3], Data::String("support,ticket".into()));

    let json_path = convert("all.json", ExportFormat::Json);
    let parsed: Vec<Map<String, Value>> =
        serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    assert_eq!(parsed[4]["userMessageCount"], json!(4));
    assert_eq!(parsed[4]["firstMessageTime"], json!("2026-01-05T00:00:00.000Z"));
    assert_eq!(names_in(dir.path()), ["all.json", "all.json.query.json", "all.xlsx"]);
}

#[test]
fn too_many_columns_for_excel_is_refused_before_writing() {
    let dir = tempfile::tempdir().unwrap();
    let mut row = Map::new();
    for i in 0..16_385 {
        row.insert(format!("c{i}"), json!(i));
    }
    let table = ResultTable::from_rows(&QueryBody::default(), &[row]);
    let path = dir.path().join("wide.xlsx");
    let result = export(
        &table,
        &table.all_rows(),
        &all_cols(&table),
        ExportFormat::Xlsx,
        &path,
        &ExportOptions::default(),
    );
    let column_count = table.column_count();
    assert!(column_count > 16_384);
    assert!(
        matches!(result, Err(ExportError::TooManyColumns { column_count: c }) if c == column_count),
        "{result:?}"
    );
    assert!(names_in(dir.path()).is_empty());
}

#[test]
fn formats_and_paths() {
    assert_eq!(ExportFormat::from_name("XLSX"), Some(ExportFormat::Xlsx));
    assert_eq!(ExportFormat::from_path(Path::new("a/b.json")), Some(ExportFormat::Json));
    assert_eq!(ExportFormat::from_path(Path::new("a/b.txt")), None);
    assert_eq!(sidecar_path(Path::new("/x/y.json")), PathBuf::from("/x/y.json.query.json"));
}

// ---------------------------------------------------------------------------------------------
// "All rows" against the query's total
// ---------------------------------------------------------------------------------------------

#[test]
fn a_stream_with_fewer_rows_than_the_total_keeps_nothing_in_every_format() {
    for format in [
        ExportFormat::Csv { bom: false },
        ExportFormat::Csv { bom: true },
        ExportFormat::Json,
        ExportFormat::Xlsx,
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(format!("all.{}", format.extension()));
        std::fs::write(&path, "older").unwrap();
        let never = AtomicBool::new(false);
        // Five complete rows, cut at a row boundary: the bytes look like a whole CSV.
        let mut export = StreamExport::begin(&path, format, meta(Some(6)), ExportOptions::default()).unwrap();
        export.write_all(&streamed_csv()).unwrap();
        let result = export.finish(&mut ExportControl::new(&mut |_| {}, &never));
        match result {
            Err(ExportError::Incomplete(short)) => {
                assert_eq!(short, ShortExport { received: 5, total: 6 });
            }
            other => panic!("{format:?}: expected the short export to fail, got {other:?}"),
        }
        let message = ExportError::Incomplete(ShortExport { received: 41_000, total: 48_210 }).to_string();
        assert_eq!(message, "the export stopped after 41,000 of 48,210 rows; nothing was written");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "older",
            "{format:?}: the existing file is untouched"
        );
        assert_eq!(names_in(dir.path()), [format!("all.{}", format.extension())], "{format:?}: no litter");
    }
}

#[test]
fn a_stream_with_exactly_the_total_or_an_unknown_total_succeeds_without_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let never = AtomicBool::new(false);
    for (name, total) in [("exact.csv", Some(5)), ("unknown.csv", None)] {
        let path = dir.path().join(name);
        let mut export = StreamExport::begin(
            &path,
            ExportFormat::Csv { bom: false },
            meta(total),
            ExportOptions::default(),
        )
        .unwrap();
        export.write_all(&streamed_csv()).unwrap();
        let outcome = export.finish(&mut ExportControl::new(&mut |_| {}, &never)).unwrap();
        assert_eq!(outcome.rows_written, 5);
        let sidecar: ExportSidecar =
            serde_json::from_str(&std::fs::read_to_string(outcome.sidecar.unwrap()).unwrap()).unwrap();
        assert_eq!(sidecar.warning, None, "{name}");
        assert_eq!(check_all_rows(5, total), Ok(None));
    }
}

#[test]
fn more_rows_than_the_total_succeed_with_a_warning_in_the_sidecar_and_the_query_sheet() {
    let dir = tempfile::tempdir().unwrap();
    let never = AtomicBool::new(false);
    // The query counted 3; the export, a moment later, brought 5.
    let expected =
        "2 rows more than the 3 the query counted: rows were added between the count and the export";
    assert_eq!(check_all_rows(5, Some(3)), Ok(Some(expected.to_string())));
    assert_eq!(excess_rows_warning(5, Some(3)).as_deref(), Some(expected));
    assert_eq!(
        excess_rows_warning(1_001, Some(1_000)).as_deref(),
        Some("1 row more than the 1,000 the query counted: rows were added between the count and the export")
    );

    let csv = dir.path().join("more.csv");
    let mut export =
        StreamExport::begin(&csv, ExportFormat::Csv { bom: false }, meta(Some(3)), ExportOptions::default())
            .unwrap();
    export.write_all(&streamed_csv()).unwrap();
    let outcome = export.finish(&mut ExportControl::new(&mut |_| {}, &never)).unwrap();
    assert_eq!(outcome.rows_written, 5);
    assert_eq!(std::fs::read(&csv).unwrap(), streamed_csv(), "every row is kept");
    let sidecar: Value =
        serde_json::from_str(&std::fs::read_to_string(outcome.sidecar.unwrap()).unwrap()).unwrap();
    assert_eq!(sidecar["warning"], json!(expected));
    assert_eq!((sidecar["rowsExported"].clone(), sidecar["total"].clone()), (json!(5), json!(3)));

    let xlsx = dir.path().join("more.xlsx");
    let outcome = export_csv_stream_to_path(
        &xlsx,
        ExportFormat::Xlsx,
        meta(Some(3)),
        ExportOptions::default(),
        |out: &mut dyn Write| out.write_all(&streamed_csv()),
        &mut ExportControl::new(&mut |_| {}, &never),
    )
    .unwrap();
    assert_eq!(outcome.rows_written, 5);
    let (labels, _) = query_sheet(&xlsx);
    let value = |label: &str| labels.iter().find(|(l, _)| l == label).map(|(_, v)| v.clone());
    assert_eq!(value("Warning"), Some(Data::String(expected.to_string())));
    assert_eq!(value("Rows exported"), Some(Data::Float(5.0)));
    assert_eq!(value("Total rows"), Some(Data::Float(3.0)));
}

// ---------------------------------------------------------------------------------------------
// CSV injection
// ---------------------------------------------------------------------------------------------

/// Text a spreadsheet would run as a formula, and text it would not.
const INJECTION_TEXTS: [&str; 14] = [
    "=1+2",
    "=HYPERLINK(\"http://x\",\"y\")",
    "+41",
    "-5",
    "-2+3",
    "-1,5",
    "@SUM(A1:A2)",
    "\tindented",
    "\rcarriage return",
    "plain",
    "",
    "x=1",
    "'already quoted",
    "1-2",
];

/// The independent rule: text starting with `= + - @`, a tab or a CR gets a `'`.
fn starts_like_a_formula(text: &str) -> bool {
    text.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// A JSON number (`-5`, `-1.5e3`; not `+41`, `-2+3`), by a rule of its own.
fn is_number_literal(text: &str) -> bool {
    !text.starts_with('+')
        && text.chars().all(|c| c.is_ascii_digit() || "-.eE+".contains(c))
        && text.parse::<f64>().is_ok()
}

/// 600 rows cycling through the texts (a column stored as a dictionary) and each text made
/// unique (stored plainly), beside negative integers and floats.
fn injection_table() -> ResultTable {
    let rows = rows_of(
        (0..600)
            .map(|i| {
                let text = INJECTION_TEXTS[i % INJECTION_TEXTS.len()];
                json!({
                    "note": text,
                    "unique": format!("{text}#{i}"),
                    "delta": -(i as i64) - 1,
                    "ratio": -0.25 * i as f64 - 0.5,
                    "doc": {"k": text},
                })
            })
            .collect(),
    );
    ResultTable::from_rows(&QueryBody::default(), &rows)
}

/// The records of a CSV file (a BOM, if any, skipped), header first.
fn csv_records(bytes: &[u8]) -> Vec<Vec<String>> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(bytes);
    reader.records().map(|r| r.unwrap().iter().map(str::to_string).collect()).collect()
}

#[test]
fn csv_for_excel_guards_text_cells_and_plain_csv_keeps_them_verbatim() {
    let dir = tempfile::tempdir().unwrap();
    let table = injection_table();
    let cols = named_cols(&table, &["note", "unique", "delta", "ratio", "doc"]);
    for bom in [false, true] {
        let path = dir.path().join(format!("injection-{bom}.csv"));
        export(&table, &table.all_rows(), &cols, ExportFormat::Csv { bom }, &path, &ExportOptions::default())
            .unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes.starts_with("\u{feff}".as_bytes()), bom);
        let records = csv_records(&bytes);
        assert_eq!(records[0], ["note", "unique", "delta", "ratio", "doc"]);
        assert_eq!(records.len(), 601);
        for (i, record) in records[1..].iter().enumerate() {
            let text = INJECTION_TEXTS[i % INJECTION_TEXTS.len()];
            let unique = format!("{text}#{i}");
            // Excel's CSV: every text cell that starts like a formula, whatever it spells
            // (`-5` in a text column is text), gets the `'`. Plain CSV: the bytes as they are.
            let guarded = |value: &str| {
                if bom && starts_like_a_formula(value) { format!("'{value}") } else { value.to_string() }
            };
            assert_eq!(record[0], guarded(text), "row {i}, bom {bom}");
            assert_eq!(record[1], guarded(&unique), "row {i}, bom {bom}");
            // Numbers stay numbers, negative ones too.
            assert_eq!(record[2], (-(i as i64) - 1).to_string(), "row {i}");
            assert_eq!(record[3].parse::<f64>().unwrap(), -0.25 * i as f64 - 0.5, "row {i}");
            // JSON objects start with `{`: never a formula.
            assert_eq!(serde_json::from_str::<Value>(&record[4]).unwrap(), json!({"k": text}), "row {i}");
        }
    }
}

#[test]
fn a_streamed_csv_for_excel_is_guarded_by_the_same_rule_and_plain_csv_stays_byte_for_byte() {
    // The export endpoint's CSV, as a server writes it (quotes only where needed), plus a
    // record with needlessly quoted fields.
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    writer.write_record(["note", "delta", "ratio"]).unwrap();
    for (i, text) in INJECTION_TEXTS.iter().enumerate() {
        writer
            .write_record([
                text.to_string(),
                (-(i as i64) - 1).to_string(),
                format!("{}", -0.5 * i as f64 - 0.5),
            ])
            .unwrap();
    }
    let mut csv = writer.into_inner().unwrap();
    csv.extend_from_slice(b"\"-5\",\"=x\",\"-1.5e3\"\r\n\"\",,\"\"\"=quoted\"\r\n");
    let expected_rows = INJECTION_TEXTS.len() + 2;
    let originals = csv_records(&csv);

    let dir = tempfile::tempdir().unwrap();
    let never = AtomicBool::new(false);
    // Chunks that split fields, quotes and line ends everywhere.
    for chunk in [1, 2, 3, 7, 64, csv.len()] {
        for bom in [false, true] {
            let path = dir.path().join(format!("stream-{chunk}-{bom}.csv"));
            let mut export =
                StreamExport::begin(&path, ExportFormat::Csv { bom }, meta(None), ExportOptions::default())
                    .unwrap();
            for piece in csv.chunks(chunk) {
                export.write_all(piece).unwrap();
            }
            let outcome = export.finish(&mut ExportControl::new(&mut |_| {}, &never)).unwrap();
            assert_eq!(outcome.rows_written, expected_rows as u64);
            let bytes = std::fs::read(&path).unwrap();
            if !bom {
                assert_eq!(bytes, csv, "plain CSV is the download byte for byte (chunks of {chunk})");
                continue;
            }
            let records = csv_records(&bytes);
            assert_eq!(records.len(), originals.len());
            for (record, original) in records.iter().zip(&originals) {
                let expected: Vec<String> = original
                    .iter()
                    .map(|field| {
                        // The CSV carries no types: a number literal is a number, the rest text.
                        if starts_like_a_formula(field) && !is_number_literal(field) {
                            format!("'{field}")
                        } else {
                            field.clone()
                        }
                    })
                    .collect();
                assert_eq!(record, &expected, "chunks of {chunk}");
            }
        }
    }
    // Spot checks against the rule as written in the README.
    let guarded = std::fs::read(dir.path().join("stream-1-true.csv")).unwrap();
    let text = String::from_utf8(guarded).unwrap();
    for line in [
        "'=1+2,-1,-0.5\r\n",
        "'+41,-3,-1.5\r\n",
        "\n-5,-4,-2\r\n",
        "'-2+3,-5,-2.5\r\n",
        "\"'-1,5\",-6,-3\r\n",
        "'\tindented,-8,-4\r\n",
        "\"-5\",\"'=x\",\"-1.5e3\"\r\n",
    ] {
        assert!(text.contains(line), "`{line}` is missing from:\n{text}");
    }
}

#[test]
fn the_guard_is_decided_by_one_function_for_both_typings() {
    for text in INJECTION_TEXTS {
        let bytes = text.as_bytes();
        assert_eq!(needs_formula_guard(bytes, CellTyping::Text), starts_like_a_formula(text), "{text:?}");
        assert_eq!(
            needs_formula_guard(bytes, CellTyping::Lexical),
            starts_like_a_formula(text) && !is_number_literal(text),
            "{text:?}"
        );
    }
    assert!(!needs_formula_guard(b"-1.5e3", CellTyping::Lexical));
    assert!(needs_formula_guard(b"-1.5e3", CellTyping::Text));
    assert!(needs_formula_guard(b"-", CellTyping::Lexical));
}

#[test]
fn an_xlsx_cell_holding_a_formula_stays_a_string_cell() {
    let dir = tempfile::tempdir().unwrap();
    let rows = rows_of(INJECTION_TEXTS.iter().map(|text| json!({"note": text})).collect());
    let table = ResultTable::from_rows(&QueryBody::default(), &rows);
    let note = named_cols(&table, &["note"]);
    let path = dir.path().join("injection.xlsx");
    export(&table, &table.all_rows(), &note, ExportFormat::Xlsx, &path, &ExportOptions::default()).unwrap();
    let cells = read_sheet(&path, "Result");
    assert_eq!(cells[0], [Data::String("note".into())]);
    assert_eq!(cells.len(), INJECTION_TEXTS.len() + 1);
    for (row, text) in cells[1..].iter().zip(INJECTION_TEXTS).filter(|(_, text)| !text.is_empty()) {
        // Written as the text it is, without a `'`: Excel shows a string cell as it is.
        assert_eq!(row.first(), Some(&Data::String(text.to_string())), "{text:?}");
    }
    assert_eq!(cells[2], [Data::String("=HYPERLINK(\"http://x\",\"y\")".into())]);
    // No cell of the sheet is a formula.
    let mut workbook: Xlsx<_> = open_workbook(&path).unwrap();
    let formulas = workbook.worksheet_formula("Result").unwrap();
    assert!(formulas.used_cells().all(|(_, _, formula)| formula.is_empty()), "{formulas:?}");
}
