//! The export dialog of the result table driven as a user would, headless through
//! egui_kittest, against the embedded demo API (or a tiny local server whose export stalls):
//! the current view (sorted, searched, with a hidden column) to CSV, every row of a truncated
//! result streamed to JSON, an Excel workbook read back with calamine, a cancelled export
//! and an export into a folder that does not exist.
//!
//! Headless there is no system file dialog: the path is typed into the dialog's `Save to`
//! field. Expected values are computed here from the table and the dataset, not read back
//! from the export code. `Harness::run` does not wait for the worker, so the tests step
//! frames until a condition holds, with a deadline.

// Helpers outside #[test] functions panic on purpose too: a failed step is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::{Path, PathBuf};

use calamine::{Data, Reader, Xlsx, open_workbook};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use inkeep_explorer::api::client::ApiKey;
use inkeep_explorer::api::query::parse_query;
use inkeep_explorer::app::export_model::ExportStatus;
use inkeep_explorer::app::export_plan::ExportScope;
use inkeep_explorer::app::state::RunState;
use inkeep_explorer::app::{AppEnv, ExplorerApp};
use inkeep_explorer::demo::dataset::{DatasetParams, generate};
use inkeep_explorer::demo::server::{DemoServer, ServerConfig};
use inkeep_explorer::worker::ConnectionKind;
use serde_json::{Value, json};
use support::*;

const DEMO_ROWS: u64 = 600;

fn status(harness: &Harness<'_, ExplorerApp>) -> ExportStatus {
    app(harness).export.dialog.as_ref().expect("the export dialog is open").status.clone()
}

/// Runs `json` once connected and waits for a good answer.
fn run_query(harness: &mut Harness<'_, ExplorerApp>) {
    step_until(harness, "the connection", is_connected);
    click(harness, "Run");
    step_until(harness, "the run", finished);
    assert!(
        matches!(app(harness).active().run, RunState::Done(_)),
        "the run failed: {:?}",
        app(harness).active().run
    );
}

fn demo_run(json: &str, page_size: usize) -> Harness<'static, ExplorerApp> {
    let env = AppEnv { demo_page_size: page_size, ..AppEnv::isolated(DEMO_ROWS) };
    let mut harness = window(env, Some(parse_query(json).unwrap()));
    step_until(&mut harness, "the demo connection", connected(ConnectionKind::Demo));
    run_query(&mut harness);
    harness
}

/// Types `path` into the dialog, presses Export and waits for the export to end.
fn export_to(harness: &mut Harness<'_, ExplorerApp>, path: &Path) -> ExportStatus {
    type_into(harness, "Save to", path.to_str().unwrap());
    click(harness, "Export");
    step_until(harness, "the export", |s| {
        s.export.dialog.as_ref().is_some_and(|d| !matches!(d.status, ExportStatus::Running(_)))
    });
    status(harness)
}

fn summary_of(status: &ExportStatus) -> &str {
    match status {
        ExportStatus::Succeeded { summary, .. } => summary,
        other => panic!("the export did not succeed: {other:?}"),
    }
}

fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header = reader.headers().unwrap().iter().map(str::to_string).collect();
    let rows = reader.records().map(|r| r.unwrap().iter().map(str::to_string).collect()).collect();
    (header, rows)
}

/// Files in `dir`, by name.
fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

const RAW_ROWS: &str = r#"{"select":[{"type":"field","field":"id"},{"type":"field","field":"type"},
    {"type":"field","field":"userMessageCount"},{"type":"field","field":"firstMessageTime"}],
    "orderBy":[{"field":"id","direction":"asc"}]}"#;

#[test]
fn export_is_disabled_with_the_reason_until_there_is_a_result() {
    let mut harness = window(AppEnv::isolated(DEMO_ROWS), None);
    step_until(&mut harness, "the connection", is_connected);
    assert!(disabled(&harness, "Export…"));
    harness.get_by_label("Export…").hover();
    for _ in 0..6 {
        harness.step();
    }
    assert!(harness.query_by_label_contains("Run a query first").is_some(), "the tooltip gives the reason");
}

#[test]
fn the_current_view_is_written_sorted_searched_and_without_hidden_columns() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = demo_run(RAW_ROWS, 1000);
    let table = outcome(&harness).table.clone();
    assert_eq!(table.row_count() as u64, DEMO_ROWS, "the whole result is in the table");

    // Sort by userMessageCount, largest first; search; hide firstMessageTime.
    click(&mut harness, "userMessageCount");
    click(&mut harness, "userMessageCount ⏶");
    type_into(&mut harness, "Search", "openai");
    click(&mut harness, "Columns");
    harness.get_by_role_and_label(Role::CheckBox, "firstMessageTime").click();
    harness.run_ok();
    unfocus(&mut harness);
    step_until(&mut harness, "the view", |s| {
        !s.active().grid.is_updating() && s.active().grid.hidden_columns.contains("firstMessageTime")
    });

    // Independently: rows whose visible cells contain "openai" (any case).
    let visible = ["id", "type", "userMessageCount"];
    let cols: Vec<usize> = visible.iter().map(|name| table.column_index(name).unwrap()).collect();
    let mut expected: Vec<Vec<String>> = (0..table.row_count())
        .map(|row| cols.iter().map(|&col| table.cell_text(row, col).into_owned()).collect::<Vec<_>>())
        .filter(|cells| cells.iter().any(|cell| cell.to_lowercase().contains("openai")))
        .collect();
    assert!(
        expected.len() > 10 && expected.len() < table.row_count(),
        "the search filters: {}",
        expected.len()
    );

    click(&mut harness, "Export…");
    assert_eq!(app(&harness).export.dialog.as_ref().unwrap().scope, ExportScope::CurrentView);
    let path = dir.path().join("view.csv");
    let status = export_to(&mut harness, &path);
    let summary = summary_of(&status).to_string();
    assert!(summary.contains(&format!("Exported {} of {DEMO_ROWS} rows", expected.len())), "{summary}");
    assert!(summary.contains(&path.display().to_string()), "{summary}");
    assert!(harness.query_by_label("Open folder").is_some(), "the outcome offers the folder");

    let (header, rows) = read_csv(&path);
    assert_eq!(header, visible, "the visible columns, in grid order");
    let counts: Vec<i64> = rows.iter().map(|row| row[2].parse().unwrap()).collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "largest first: {counts:?}");
    assert!(counts.first() > counts.last(), "the counts differ, so the order shows");
    let mut written = rows.clone();
    written.sort();
    expected.sort();
    assert_eq!(written, expected, "exactly the rows the search keeps");
    // The grid's order, row for row.
    let view: Vec<String> = app(&harness)
        .active()
        .grid
        .view()
        .iter()
        .map(|&row| table.cell_text(row as usize, cols[0]).into_owned())
        .collect();
    assert_eq!(rows.iter().map(|row| row[0].clone()).collect::<Vec<_>>(), view);

    // The sidecar describes the run, and the folder is remembered for the next export.
    let sidecar: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("view.csv.query.json")).unwrap())
            .unwrap();
    let shown = outcome(&harness).clone();
    assert_eq!(sidecar["rowsExported"], json!(expected.len()));
    assert_eq!(sidecar["total"], json!(DEMO_ROWS));
    assert_eq!(sidecar["requestId"], json!(shown.server_request_id.clone().expect("the demo gives ids")));
    assert_eq!(sidecar["serverUrl"], json!(app(&harness).connection_info().unwrap().base_url));
    assert_eq!(sidecar["query"], serde_json::to_value(&shown.body).unwrap());
    assert_eq!(app(&harness).export.last_dir.as_deref(), Some(dir.path()));
    assert_eq!(app(&harness).current_settings().last_export_dir.as_deref(), Some(dir.path()));
    click(&mut harness, "Close");
    assert!(app(&harness).export.dialog.is_none());
    click(&mut harness, "Export…");
    let suggested = PathBuf::from(&app(&harness).export.dialog.as_ref().unwrap().path_text);
    assert_eq!(suggested.parent(), Some(dir.path()), "suggested in the last folder");
    let name = suggested.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with("conversations-") && name.ends_with(".csv"), "{name}");

    // Excel-friendly CSV starts with a byte order mark; XLSX has no sidecar option.
    click(&mut harness, "CSV for Excel (BOM)");
    let bom_path = dir.path().join("bom.csv");
    export_to(&mut harness, &bom_path);
    assert!(std::fs::read(&bom_path).unwrap().starts_with("\u{feff}id,type".as_bytes()));
    click(&mut harness, "Export again");
    click(&mut harness, "XLSX");
    assert!(disabled(&harness, "Write query sidecar"));
    assert!(
        app(&harness).export.dialog.as_ref().unwrap().path_text.ends_with("bom.xlsx"),
        "the extension follows"
    );
}

#[test]
fn all_rows_of_a_truncated_result_are_streamed_to_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = demo_run(RAW_ROWS, 100);
    let shown = outcome(&harness).clone();
    assert_eq!((shown.row_count(), shown.meta.total), (100, DEMO_ROWS));

    // The banner's button opens the dialog with every row chosen.
    click(&mut harness, "Export all rows");
    assert_eq!(app(&harness).export.dialog.as_ref().unwrap().scope, ExportScope::AllRows);
    click(&mut harness, "JSON");
    let path = dir.path().join("all.json");
    let status = export_to(&mut harness, &path);
    let summary = summary_of(&status).to_string();
    assert!(summary.starts_with(&format!("Exported {} rows", DEMO_ROWS)), "{summary}");

    let rows: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(rows.len() as u64, DEMO_ROWS, "every matching row");
    // Independently from the generator: every id once, in order, with its typed count.
    let params = DatasetParams { rows: DEMO_ROWS, ..DatasetParams::default() };
    let mut conversations: Vec<_> = generate(&params).collect();
    conversations.sort_by(|a, b| a.id.cmp(&b.id));
    for (row, conversation) in rows.iter().zip(&conversations) {
        assert_eq!(row["id"], json!(conversation.id));
        assert_eq!(row["type"], json!(conversation.conversation_type));
        assert!(row["userMessageCount"].is_number(), "{row}");
    }
    let sidecar: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("all.json.query.json")).unwrap())
            .unwrap();
    assert_eq!(sidecar["rowsExported"], json!(DEMO_ROWS));
    assert_eq!(sidecar["format"], json!("json"));
    assert_eq!(*outcome(&harness), shown, "the table shown is untouched");
    assert_eq!(files_in(dir.path()), ["all.json", "all.json.query.json"], "no temporary file is left");
}

#[test]
fn an_excel_export_has_typed_cells_and_a_query_sheet_without_the_key() {
    const KEY: &str = "sk-export-test-secret-0123456789";
    let server = DemoServer::start_in_background(ServerConfig {
        api_key: Some(KEY.to_string()),
        ..ServerConfig::local(DatasetParams { rows: DEMO_ROWS, ..DatasetParams::default() })
    })
    .unwrap();
    let env = AppEnv {
        env_key: Some(ApiKey::new(KEY.to_string())),
        env_server_url: Some(server.url()),
        ..AppEnv::isolated(DEMO_ROWS)
    };
    let query = parse_query(
        r#"{"select":[{"type":"time","timeUnit":"day"},{"type":"aggregation","aggregation":"count"}],
            "groupBy":[{"field":"type"}],"where":{"condition":{"field":"type","operator":"isNotNull"}},
            "notes":"weekly report"}"#,
    )
    .unwrap();
    let mut harness = window(env, Some(query));
    run_query(&mut harness);
    assert_eq!(app(&harness).connection_info().unwrap().kind, ConnectionKind::Remote);
    let shown = outcome(&harness).clone();
    let table = shown.table.clone();

    let dir = tempfile::tempdir().unwrap();
    click(&mut harness, "Export…");
    click(&mut harness, "XLSX");
    let path = dir.path().join("report.xlsx");
    summary_of(&export_to(&mut harness, &path));

    let mut workbook: Xlsx<_> = open_workbook(&path).unwrap();
    assert_eq!(workbook.sheet_names(), ["Result", "Query"]);
    let result: Vec<Vec<Data>> =
        workbook.worksheet_range("Result").unwrap().rows().map(<[Data]>::to_vec).collect();
    assert_eq!(
        result[0],
        ["firstMessageTime_day", "count", "type"].map(|name| Data::String(name.to_string())).to_vec()
    );
    assert_eq!(result.len() - 1, table.row_count());
    // Counts are numbers that add up to the typed conversations; days are dates; types text.
    let params = DatasetParams { rows: DEMO_ROWS, ..DatasetParams::default() };
    let typed = generate(&params).filter(|c| c.conversation_type.is_some()).count();
    let counted: f64 = result[1..]
        .iter()
        .map(|row| match row[1] {
            Data::Float(count) => count,
            ref other => panic!("count is not a number: {other:?}"),
        })
        .sum();
    assert_eq!(counted, typed as f64);
    for row in &result[1..] {
        assert!(matches!(&row[0], Data::DateTime(at) if at.is_datetime()), "{:?}", row[0]);
        assert!(matches!(&row[2], Data::String(_)), "{:?}", row[2]);
    }

    let query_sheet: Vec<Vec<Data>> =
        workbook.worksheet_range("Query").unwrap().rows().map(<[Data]>::to_vec).collect();
    let value = |label: &str| {
        query_sheet
            .iter()
            .find(|row| row.first() == Some(&Data::String(label.to_string())))
            .and_then(|row| row.get(1).cloned())
            .unwrap_or_else(|| panic!("no {label} row"))
    };
    let request_id = shown.server_request_id.clone().expect("the server gives request ids");
    assert_eq!(value("Request ID"), Data::String(request_id));
    let base_url = app(&harness).connection_info().unwrap().base_url.clone();
    assert!(base_url.starts_with(&server.url()), "{base_url}");
    assert_eq!(value("Server"), Data::String(base_url));
    assert_eq!(value("Rows exported"), Data::Float(table.row_count() as f64));
    assert_eq!(value("Notes"), Data::String("weekly report".to_string()));
    for sheet in workbook.sheet_names() {
        for row in workbook.worksheet_range(&sheet).unwrap().rows() {
            for cell in row {
                assert!(!cell.to_string().contains(KEY), "the key is in {sheet}: {cell}");
            }
        }
    }
}

/// A stand-in API on loopback: a query answers two rows of 5 000; the export sends its header
/// and a row, then stalls.
fn stalling_api() -> LocalApi {
    use axum::response::IntoResponse;
    async fn query() -> axum::response::Response {
        axum::Json(json!({
            "status": "ok",
            "data": {"result": [{"type": "openai", "count": 5}, {"type": "support_ticket", "count": 3}],
                     "total": 5000, "pageSize": 2, "count": 2}
        }))
        .into_response()
    }
    serve_locally(
        axum::Router::new()
            .route("/query/conversations", axum::routing::post(query))
            .route("/query/conversations/export", axum::routing::post(|| async { stalled_csv_export() })),
    )
}

#[test]
fn a_cancelled_export_writes_nothing_and_keeps_the_table() {
    let api = stalling_api();
    let env = AppEnv {
        env_key: Some(ApiKey::new("test-key".to_string())),
        env_server_url: Some(api.url.clone()),
        ..AppEnv::isolated(DEMO_ROWS)
    };
    let query = parse_query(
        r#"{"select":[{"type":"aggregation","aggregation":"count"}],"groupBy":[{"field":"type"}]}"#,
    )
    .unwrap();
    let mut harness = window(env, Some(query));
    run_query(&mut harness);
    let shown = outcome(&harness).clone();
    assert_eq!((shown.row_count(), shown.meta.total), (2, 5000));

    let dir = tempfile::tempdir().unwrap();
    for format in ["CSV", "XLSX"] {
        click(&mut harness, "Export all rows");
        click(&mut harness, format);
        let path = dir.path().join(format!("stalled.{}", format.to_lowercase()));
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        // For XLSX a file of that name exists: a cancelled export must leave it as it was.
        let earlier = format == "XLSX";
        if earlier {
            std::fs::write(&path, "an earlier export").unwrap();
        }
        type_into(&mut harness, "Save to", path.to_str().unwrap());
        click(&mut harness, "Export");
        // The download got its first bytes, then stalls: the progress says so.
        step_until(&mut harness, "progress", |s| {
            matches!(&s.export.dialog.as_ref().unwrap().status,
                ExportStatus::Running(running) if running.progress.byte_count > 0)
        });
        assert!(
            harness.query_by_label_contains("Downloading: 1 of 5,000 rows").is_some(),
            "the progress line"
        );
        assert!(disabled(&harness, "Export…"), "one export at a time");
        click(&mut harness, "Cancel export");
        step_until(&mut harness, "the cancellation", |s| {
            matches!(s.export.dialog.as_ref().unwrap().status, ExportStatus::Editing)
        });
        if earlier {
            assert_eq!(std::fs::read_to_string(&path).unwrap(), "an earlier export", "the old file is kept");
            assert_eq!(files_in(dir.path()), [name], "no temporary file is left");
        } else {
            assert!(!path.exists(), "nothing under the chosen name");
            assert!(files_in(dir.path()).is_empty(), "no temporary file is left: {:?}", files_in(dir.path()));
        }
        assert!(harness.query_by_label_contains("Export cancelled").is_some());
        assert_eq!(*outcome(&harness), shown, "the table is unchanged");
        click(&mut harness, "Close");
    }
}

#[test]
fn an_export_into_a_missing_folder_says_so_and_keeps_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = demo_run(RAW_ROWS, 1000);
    let shown = outcome(&harness).clone();
    click(&mut harness, "Export…");
    let missing = dir.path().join("no").join("such");
    let status = export_to(&mut harness, &missing.join("x.csv"));
    let ExportStatus::Failed { message } = status else { panic!("expected a failure: {status:?}") };
    assert!(message.contains("the folder does not exist"), "{message}");
    assert!(message.contains(&missing.display().to_string()), "the folder is named: {message}");
    assert!(message.contains("the table is unchanged"), "{message}");
    assert_eq!(
        harness.query_all_by_label_contains("the folder does not exist").count(),
        2,
        "said in the dialog and the status bar"
    );
    assert_eq!(*outcome(&harness), shown);
    assert!(files_in(dir.path()).is_empty());
    let rows = format!("{DEMO_ROWS} of {DEMO_ROWS} rows");
    assert!(harness.query_all_by_label(&rows).count() > 0, "the grid still shows the result");

    // Fixing the path and exporting again works from the same dialog.
    let status = export_to(&mut harness, &dir.path().join("x.csv"));
    summary_of(&status);
    assert_eq!(read_csv(&dir.path().join("x.csv")).1.len() as u64, DEMO_ROWS);
}
