//! The pure parts of an export: which rows ([`ExportScope`]), the file name suggested, the
//! extension following the format, what is written (the grid's view or every row), the
//! record of the query that goes with the file and the outcome's summary. No state, no
//! egui: the export model and dialog call these.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiff::civil::Date;

use crate::api::client::format_bytes;
use crate::api::query::{QueryBody, Selection};
use crate::api::view::View;
use crate::app::format::{format_duration_ms, thousands};
use crate::app::path_input::resolve_typed_path;
use crate::app::state::RunOutcome;
use crate::data::ResultTable;
use crate::data::drill::Provenance;
use crate::data::export::{EXCEL_MAX_ROWS, ExportFormat, ExportMeta, ExportOutcome, redact_url};
use crate::worker::ExportSource;

/// Longest file-name stem suggested (before the date), in characters.
const MAX_STEM_CHARS: usize = 80;

/// Which rows an export writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportScope {
    /// The grid's view: its rows in its order, its visible columns.
    CurrentView,
    /// Every row matching the query, every column.
    AllRows,
}

/// A file name that says what the file holds, with the date and the format's extension:
/// `conversations-2026-11-26.csv`, `conversations-count-by-type-per-day-2026-11-26.xlsx`,
/// `semantic-threads-…` for a query of that view.
pub fn suggested_file_name(view: View, body: &QueryBody, format: ExportFormat, today: Date) -> String {
    let mut parts: Vec<String> = vec![slug(view.noun())];
    for selection in &body.select {
        if let Selection::Aggregation { aggregation, .. } = selection {
            let name = slug(aggregation.as_str());
            if !parts.contains(&name) {
                parts.push(name);
            }
        }
    }
    let groups: Vec<String> = body
        .group_by
        .iter()
        .map(|group| {
            let mut name = group.field.as_str().to_string();
            for key in group.path.iter().flatten() {
                name.push('-');
                name.push_str(key);
            }
            slug(&name)
        })
        .filter(|name| !name.is_empty())
        .collect();
    if !groups.is_empty() {
        parts.push(format!("by-{}", groups.join("-")));
    }
    if let Some(unit) = body.select.iter().find_map(|selection| match selection {
        Selection::Time { time_unit, .. } => Some(*time_unit),
        _ => None,
    }) {
        parts.push(format!("per-{}", unit.as_str()));
    }
    let mut stem = parts.join("-");
    if stem.chars().count() > MAX_STEM_CHARS {
        stem = stem.chars().take(MAX_STEM_CHARS).collect::<String>().trim_end_matches('-').to_string();
    }
    format!("{stem}-{}.{}", today.strftime("%Y-%m-%d"), format.extension())
}

/// Letters, digits and `_` kept, camelCase split, everything else one `-`, lower case:
/// `countDistinct` → `count-distinct`, `properties.team` → `properties-team`.
fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 4);
    let mut previous_lower = false;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            if c.is_ascii_uppercase() && previous_lower {
                out.push('-');
            }
            previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            out.push(c.to_ascii_lowercase());
        } else {
            previous_lower = false;
            if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
        }
    }
    out.trim_end_matches('-').to_string()
}

/// The path with its extension switched to `format`'s when it ends in one of the export
/// extensions (`.csv`, `.json`, `.xlsx`); any other path is left as typed.
pub fn retarget_extension(path_text: &str, format: ExportFormat) -> String {
    let path = Path::new(path_text);
    match ExportFormat::from_path(path) {
        Some(current) if current.extension() != format.extension() => {
            path.with_extension(format.extension()).display().to_string()
        }
        _ => path_text.to_string(),
    }
}

/// The file a typed path names: `~/` at home, relative paths inside `directory`, the format's
/// extension added when the name has none. `None` when nothing is typed.
pub fn resolve_path(path_text: &str, directory: Option<&Path>, format: ExportFormat) -> Option<PathBuf> {
    let mut path = resolve_typed_path(path_text, directory)?;
    if path.extension().is_none() {
        path.set_extension(format.extension());
    }
    Some(path)
}

/// What to hand the worker for `scope`, given the table, the grid's view of it (`None` when
/// the grid has not drawn this table) and its visible columns, and whether the table holds
/// fewer rows than match, and the query (view and body) the table answered. Errors say why
/// the export cannot start.
pub fn plan_export(
    scope: ExportScope,
    table: &Arc<ResultTable>,
    view: Option<Arc<Vec<u32>>>,
    visible_columns: Vec<usize>,
    truncated: bool,
    (query_view, body): (View, &QueryBody),
) -> Result<ExportSource, String> {
    match scope {
        ExportScope::AllRows if truncated => {
            Ok(ExportSource::AllRows { view: query_view, body: body.clone() })
        }
        ExportScope::AllRows => Ok(ExportSource::View {
            table: Arc::clone(table),
            rows: Arc::new(table.all_rows()),
            columns: (0..table.column_count()).collect(),
        }),
        ExportScope::CurrentView => {
            let Some(rows) = view else {
                return Err(
                    "The grid has not shown this result yet; open the Table tab and try again.".to_string()
                );
            };
            if visible_columns.is_empty() {
                return Err(
                    "Every column is hidden in the grid: show some in the Columns menu, or export all rows."
                        .to_string(),
                );
            }
            Ok(ExportSource::View { table: Arc::clone(table), rows, columns: visible_columns })
        }
    }
}

/// What the sidecar and the XLSX "Query" sheet record: the body sent, the view, the server
/// (without credentials), when it ran, the server's request id, the rows matching and, for a
/// drill-down tab, where it came from. Never the key.
pub fn export_meta(outcome: &RunOutcome, drilled_from: Option<&Provenance>) -> ExportMeta {
    ExportMeta {
        view: outcome.view,
        body: outcome.body.clone(),
        server_url: redact_url(&outcome.server_url),
        run_at: outcome.run_at,
        request_id: outcome.server_request_id.clone(),
        total: Some(outcome.meta.total.max(outcome.row_count() as u64)),
        drilled_from: drilled_from.cloned(),
        comparison: None,
    }
}

/// The outcome in words: rows, of how many, the file and its size, the sheets of a big
/// workbook, cut cells, the sidecar.
pub fn outcome_summary(outcome: &ExportOutcome, total_rows: u64, duration_ms: u64) -> String {
    let rows = outcome.rows_written;
    let of_total = if rows < total_rows { format!(" of {}", thousands(total_rows)) } else { String::new() };
    let noun = if rows == 1 && of_total.is_empty() { "row" } else { "rows" };
    let mut text = format!(
        "Exported {}{of_total} {noun} in {} to {} ({}).",
        thousands(rows),
        format_duration_ms(duration_ms),
        outcome.path.display(),
        format_bytes(outcome.bytes)
    );
    if rows > total_rows {
        text.push_str(&format!(" The run had counted {}; the data changed since.", thousands(total_rows)));
    }
    if outcome.sheets > 1 {
        text.push_str(&format!(
            " An Excel sheet holds {} rows, so the rows continue over {} sheets (\"Result\" to \"Result ({})\").",
            thousands(u64::from(EXCEL_MAX_ROWS)),
            outcome.sheets,
            outcome.sheets
        ));
    }
    if outcome.truncated_cells > 0 {
        text.push_str(&format!(
            " {} cells held more than Excel's 32,767 characters and were cut.",
            thousands(outcome.truncated_cells)
        ));
    }
    if let Some(sidecar) = &outcome.sidecar
        && let Some(name) = sidecar.file_name()
    {
        text.push_str(&format!(" The query is described in {}.", name.to_string_lossy()));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::query::parse_query;
    use serde_json::json;

    fn day() -> Date {
        Date::new(2026, 11, 26).unwrap()
    }

    #[test]
    fn file_names_say_what_the_query_holds() {
        let csv = ExportFormat::Csv { bom: false };
        assert_eq!(
            suggested_file_name(View::Conversations, &QueryBody::default(), csv, day()),
            "conversations-2026-11-26.csv"
        );
        assert_eq!(
            suggested_file_name(View::SemanticThreads, &QueryBody::default(), csv, day()),
            "semantic-threads-2026-11-26.csv"
        );
        let by_type_per_day = parse_query(
            r#"{"select":[{"type":"time","timeUnit":"day"},{"type":"aggregation","aggregation":"count"}],
                "groupBy":[{"field":"type"}]}"#,
        )
        .unwrap();
        assert_eq!(
            suggested_file_name(View::Conversations, &by_type_per_day, ExportFormat::Xlsx, day()),
            "conversations-count-by-type-per-day-2026-11-26.xlsx"
        );
        let json_path = parse_query(
            r#"{"select":[{"type":"aggregation","aggregation":"countDistinct","field":"id"},
                {"type":"aggregation","aggregation":"count"}],
                "groupBy":[{"field":"properties","path":["team name"]},{"field":"organizationId"}]}"#,
        )
        .unwrap();
        assert_eq!(
            suggested_file_name(View::Conversations, &json_path, ExportFormat::Json, day()),
            "conversations-count-distinct-count-by-properties-team-name-organization-id-2026-11-26.json"
        );
    }

    #[test]
    fn the_extension_follows_the_format_and_is_added_when_missing() {
        assert_eq!(retarget_extension("/x/a.csv", ExportFormat::Xlsx), "/x/a.xlsx");
        assert_eq!(retarget_extension("/x/a.xlsx", ExportFormat::Csv { bom: true }), "/x/a.csv");
        // Not an export extension: left as typed.
        assert_eq!(retarget_extension("/x/a.txt", ExportFormat::Json), "/x/a.txt");
        let dir = PathBuf::from("/exports");
        assert_eq!(resolve_path("a", Some(&dir), ExportFormat::Json), Some(dir.join("a.json")));
        assert_eq!(resolve_path("sub/b.csv", Some(&dir), ExportFormat::Json), Some(dir.join("sub/b.csv")));
        assert_eq!(
            resolve_path("/abs/c.xlsx", Some(&dir), ExportFormat::Xlsx),
            Some(PathBuf::from("/abs/c.xlsx"))
        );
        assert_eq!(resolve_path("  ", Some(&dir), ExportFormat::Xlsx), None);
        assert_eq!(resolve_path("/abs/", None, ExportFormat::Xlsx), None);
    }

    fn table() -> Arc<ResultTable> {
        let rows: Vec<_> = (0..5)
            .map(|i| json!({"a": i, "b": format!("r{i}"), "c": i % 2 == 0}).as_object().unwrap().clone())
            .collect();
        Arc::new(ResultTable::from_rows(&QueryBody::default(), &rows))
    }

    #[test]
    fn the_view_becomes_the_rows_and_columns_written() {
        let table = table();
        let body = QueryBody { notes: Some("n".into()), ..QueryBody::default() };
        let view = Arc::new(vec![4, 2, 0]);
        match plan_export(
            ExportScope::CurrentView,
            &table,
            Some(view.clone()),
            vec![2, 0],
            false,
            (View::Conversations, &body),
        )
        .unwrap()
        {
            ExportSource::View { rows, columns, .. } => {
                assert_eq!(*rows, vec![4, 2, 0]);
                assert_eq!(columns, vec![2, 0]);
            }
            other => panic!("{other:?}"),
        }
        // All rows of a complete table: the table as it is, every column.
        match plan_export(
            ExportScope::AllRows,
            &table,
            Some(view.clone()),
            vec![2],
            false,
            (View::Conversations, &body),
        )
        .unwrap()
        {
            ExportSource::View { rows, columns, .. } => {
                assert_eq!(*rows, vec![0, 1, 2, 3, 4]);
                assert!(table.column_count() > 2, "more columns than the view shows");
                assert_eq!(columns, (0..table.column_count()).collect::<Vec<_>>());
            }
            other => panic!("{other:?}"),
        }
        // All rows of a truncated table: streamed, with the run's body.
        match plan_export(ExportScope::AllRows, &table, Some(view), vec![2], true, (View::Feedback, &body))
            .unwrap()
        {
            ExportSource::AllRows { view, body: sent } => {
                assert_eq!(sent, body);
                assert_eq!(view, View::Feedback, "the export streams from the run's view");
            }
            other => panic!("{other:?}"),
        }
        let no_view =
            plan_export(ExportScope::CurrentView, &table, None, vec![0], false, (View::Conversations, &body))
                .unwrap_err();
        assert!(no_view.contains("Table tab"), "{no_view}");
        let hidden = plan_export(
            ExportScope::CurrentView,
            &table,
            Some(Arc::new(vec![0])),
            Vec::new(),
            false,
            (View::Conversations, &body),
        )
        .unwrap_err();
        assert!(hidden.contains("Every column is hidden"), "{hidden}");
    }

    #[test]
    fn the_summary_tells_rows_sheets_and_the_sidecar() {
        let outcome = ExportOutcome {
            path: PathBuf::from("/x/big.xlsx"),
            rows_written: 2_500_000,
            sheets: 3,
            bytes: 3 * 1024 * 1024,
            sidecar: None,
            truncated_cells: 2,
        };
        let text = outcome_summary(&outcome, 2_500_000, 61_000);
        assert_eq!(
            text,
            "Exported 2,500,000 rows in 1 min 01 s to /x/big.xlsx (3 MiB). An Excel sheet holds 1,048,576 rows, \
             so the rows continue over 3 sheets (\"Result\" to \"Result (3)\"). 2 cells held more than Excel's \
             32,767 characters and were cut."
        );
        let csv = ExportOutcome {
            path: PathBuf::from("/x/v.csv"),
            rows_written: 37,
            sheets: 1,
            bytes: 100,
            sidecar: Some(PathBuf::from("/x/v.csv.query.json")),
            truncated_cells: 0,
        };
        assert_eq!(
            outcome_summary(&csv, 3_000, 5),
            "Exported 37 of 3,000 rows in 5 ms to /x/v.csv (100 bytes). The query is described in v.csv.query.json."
        );
    }
}
