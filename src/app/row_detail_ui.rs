//! The row detail panel: every column of one row with its whole value, wrapped, JSON
//! pretty-printed, each value with its own Copy button.
//!
//! The grid opens it (a click on a row number, Enter on a selection, a double click on a
//! cell, or "Show row details" in a cell's menu) and draws it at its right, inside its own
//! area. It shows a table row, not a position in the view, so it stays on its row while the
//! grid is sorted or searched; a new result closes it.
//!
//! It stays cheap on a 1M-row table: only the shown row is read, once, when the row changes
//! ([`RowDetail::fields`] caches the texts, so JSON is not pretty-printed every frame).
//!
//! # Finding things from tests (egui_kittest) and screen readers
//!
//! - The panel's heading reads `Row details`; its buttons `Copy this row as JSON` and `Close
//!   details` (named apart from the cell menu's `Copy row as JSON` and the dialogs' `Close`).
//! - Per column: a label with the column's display name, a `Copy` button (hover: `Copy the
//!   value of NAME`), then the value as a label (`null` for no value).

use egui::{RichText, ScrollArea, Ui};

use crate::api::columns::column_display_name;
use crate::data::display::{FALSE_MARK, TRUE_MARK, cell_copy_text, cell_full_value, cell_shown, cut_chars};
use crate::data::{CellRef, ResultTable};

/// Values longer than this (in characters) are cut in the panel, with a note: laying out
/// megabytes of text every frame would stall the window. Copy gives the whole value.
const MAX_DETAIL_CHARS: usize = 20_000;

/// Default width of the panel, in points.
const DEFAULT_WIDTH: f32 = 380.0;

/// Which row the panel shows (none: closed) and its texts for that row.
#[derive(Debug, Default)]
pub struct RowDetail {
    /// The table row shown; `None` when the panel is closed.
    row: Option<u32>,
    /// The texts of `row`, made when it was opened.
    fields: Vec<DetailField>,
}

/// One column of the shown row, as the panel reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct DetailField {
    /// Table column index (for copying).
    pub column: usize,
    /// The column's display name.
    pub name: String,
    /// The column's type (`text`, `json`, …).
    pub type_name: &'static str,
    /// The whole value for reading (cut after [`MAX_DETAIL_CHARS`] characters, with a note).
    pub value: String,
    /// A second line: a timestamp's raw text under its readable form.
    pub note: Option<String>,
    /// JSON: shown in a monospace font.
    pub monospace: bool,
    /// No value: shown as a weak `null`.
    pub null: bool,
}

/// What the panel asks of the grid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowDetailAction {
    /// Put this text on the clipboard.
    Copy(String),
    /// Put the row on the clipboard as JSON.
    CopyRowAsJson,
}

impl RowDetail {
    /// Shows table row `row` of `table` (reading only that row).
    pub fn open(&mut self, table: &ResultTable, row: u32) {
        if self.row == Some(row) {
            return;
        }
        self.row = Some(row);
        self.fields = read_row(table, row as usize);
    }

    /// Shows `row` if the panel is open (the panel follows the selection once open).
    pub fn follow(&mut self, table: &ResultTable, row: u32) {
        if self.row.is_some() {
            self.open(table, row);
        }
    }

    /// Closes the panel.
    pub fn close(&mut self) {
        self.row = None;
        self.fields = Vec::new();
    }

    /// The table row shown, `None` when closed.
    pub fn row(&self) -> Option<u32> {
        self.row
    }

    /// The shown row's fields (empty when closed).
    pub fn fields(&self) -> &[DetailField] {
        &self.fields
    }
}

/// The fields of one row: every column of `table` at `row`.
pub fn read_row(table: &ResultTable, row: usize) -> Vec<DetailField> {
    if row >= table.row_count() {
        return Vec::new();
    }
    table
        .columns()
        .iter()
        .enumerate()
        .map(|(col, column)| {
            let cell = table.cell(row, col);
            let (value, note) = match cell {
                CellRef::Timestamp(_) => (
                    cell_shown(table, row, col).text.into_owned(),
                    Some(table.cell_text(row, col).into_owned()),
                ),
                CellRef::Int(_) => (cell_shown(table, row, col).text.into_owned(), None),
                CellRef::Bool(b) => {
                    (if b { format!("{TRUE_MARK} true") } else { format!("{FALSE_MARK} false") }, None)
                }
                _ => (capped(&cell_full_value(table, row, col)), None),
            };
            DetailField {
                column: col,
                name: column_display_name(column.name()).to_string(),
                type_name: column.column_type().as_str(),
                value,
                note,
                monospace: matches!(cell, CellRef::Json(_)),
                null: cell.is_null(),
            }
        })
        .collect()
}

/// `text`, cut after [`MAX_DETAIL_CHARS`] characters with a note saying how to get the rest.
fn capped(text: &str) -> String {
    let (head, cut) = cut_chars(text, MAX_DETAIL_CHARS);
    if !cut {
        return text.to_string();
    }
    let rest = text.chars().count() - MAX_DETAIL_CHARS;
    format!("{head}…\n({rest} more characters: Copy gives the whole value)")
}

/// Draws the panel at the right of `ui` when it is open, and returns what the user asked for.
/// `table` must be the table the panel was opened on (the grid closes it on a new one).
pub fn row_detail_ui(ui: &mut Ui, table: &ResultTable, detail: &mut RowDetail) -> Vec<RowDetailAction> {
    let mut actions = Vec::new();
    if detail.row.is_none() {
        return actions;
    }
    egui::Panel::right("row_detail").default_size(DEFAULT_WIDTH).show(ui, |ui| {
        ui.horizontal(|ui| {
            ui.heading("Row details");
            if ui.button("Close details").on_hover_text("Close the row details (Esc)").clicked() {
                detail.close();
            }
        });
        if detail.row.is_none() {
            return;
        }
        if ui.button("Copy this row as JSON").clicked() {
            actions.push(RowDetailAction::CopyRowAsJson);
        }
        ui.separator();
        ScrollArea::vertical().id_salt("row_detail_scroll").auto_shrink([false, false]).show(ui, |ui| {
            let row = detail.row.unwrap_or_default() as usize;
            for field in &detail.fields {
                field_ui(ui, table, row, field, &mut actions);
            }
        });
    });
    actions
}

fn field_ui(
    ui: &mut Ui,
    table: &ResultTable,
    row: usize,
    field: &DetailField,
    actions: &mut Vec<RowDetailAction>,
) {
    ui.horizontal(|ui| {
        ui.label(RichText::new(&field.name).strong());
        ui.label(RichText::new(field.type_name).weak().small());
        if ui.small_button("Copy").on_hover_text(format!("Copy the value of {}", field.name)).clicked() {
            actions.push(RowDetailAction::Copy(cell_copy_text(table, row, field.column).into_owned()));
        }
    });
    let text = if field.null {
        RichText::new("null").weak().italics()
    } else if field.monospace {
        RichText::new(&field.value).monospace()
    } else {
        RichText::new(&field.value)
    };
    ui.add(egui::Label::new(text).wrap().selectable(true));
    if let Some(note) = &field.note {
        ui.add(egui::Label::new(RichText::new(note).weak().small()).wrap().selectable(true));
    }
    ui.add_space(6.0);
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
    fn the_panel_reads_only_its_row_in_full() {
        let long = format!("first line\n{}", "x".repeat(500));
        let table = table(&[
            json!({"id": "a", "question": "short", "reasons": null, "isClear": false, "createdAt": "2026-06-08T14:03:22Z"}),
            json!({"id": "b", "question": long, "reasons": [{"label": "Incorrect", "details": "d"}], "isClear": true,
                   "createdAt": "2026-06-08T14:03:22Z"}),
        ]);
        let mut detail = RowDetail::default();
        assert!(detail.row().is_none());
        detail.follow(&table, 1);
        assert!(detail.row().is_none(), "following does not open a closed panel");
        detail.open(&table, 1);
        let by_name = |name: &str| detail.fields().iter().find(|f| f.name == name).cloned().unwrap();
        assert_eq!(by_name("question").value, long, "the whole text, line breaks kept");
        let reasons = by_name("reasons");
        assert!(reasons.monospace);
        assert_eq!(reasons.value, "[\n  {\n    \"label\": \"Incorrect\",\n    \"details\": \"d\"\n  }\n]");
        assert_eq!(by_name("isClear").value, "✔ true");
        let created = by_name("createdAt");
        assert_eq!(created.value, "2026-06-08 14:03:22 UTC");
        assert_eq!(created.note.as_deref(), Some("2026-06-08T14:03:22Z"));
        detail.follow(&table, 0);
        assert!(by_name_in(&detail, "reasons").null);
        assert_eq!(by_name_in(&detail, "isClear").value, "✖ false");
        detail.close();
        assert!(detail.fields().is_empty() && detail.row().is_none());
    }

    fn by_name_in(detail: &RowDetail, name: &str) -> DetailField {
        detail.fields().iter().find(|f| f.name == name).cloned().unwrap()
    }

    #[test]
    fn huge_values_are_cut_with_a_note() {
        let huge = "y".repeat(MAX_DETAIL_CHARS + 10);
        let shown = capped(&huge);
        assert!(shown.starts_with(&"y".repeat(MAX_DETAIL_CHARS)));
        assert!(shown.ends_with("(10 more characters: Copy gives the whole value)"), "{shown}");
        assert_eq!(capped("small"), "small");
    }

    #[test]
    fn a_row_past_the_end_reads_as_nothing() {
        let table = table(&[json!({"id": "a"})]);
        assert!(read_row(&table, 5).is_empty());
    }
}
