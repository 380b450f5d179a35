//! The Order by section: a column picker listing exactly what the query produces, a
//! direction, and a warning on keys the query no longer produces.

use egui::{ComboBox, RichText, Ui};

use super::{Form, RowAction, SuggestionRequest, apply_row_action, choice, row_buttons, width};
use crate::api::columns::{ColumnSource, ResultColumn, result_columns};
use crate::api::query::{Direction, OrderBy};
use crate::app::draft::QueryDraft;

/// The tooltip of a sort key whose column the query does not produce.
pub(crate) const STALE_TEXT: &str = "no longer produced by the query";

/// Draws the sort keys with their add button.
pub(crate) fn order_by_ui(ui: &mut Ui, draft: &mut QueryDraft, form: &mut Form) {
    let columns = result_columns(&draft.columns_body());
    let order_by = &mut draft.order_by;
    let len = order_by.len();
    let mut action: Option<(usize, RowAction)> = None;
    for (index, entry) in order_by.iter_mut().enumerate() {
        ui.push_id(index, |ui| {
            ui.horizontal_wrapped(|ui| {
                if let Some(a) = row_buttons(ui, index, len) {
                    action = Some((index, a));
                }
                if sort_row(ui, entry, &columns, form) {
                    form.mark_changed();
                }
            });
            form.problems_under(ui, &format!("orderBy[{index}]"));
        });
    }
    if let Some((index, a)) = action
        && apply_row_action(order_by, index, a)
    {
        form.mark_changed();
    }
    form.problems_where(ui, |p| p == "orderBy");
    if ui.button("Add sort").on_hover_text("Sort the result by one of its columns").clicked() {
        let options = column_options(&columns, form);
        let field = options
            .iter()
            .find(|name| !order_by.iter().any(|o| &o.field == *name))
            .or(options.first())
            .cloned()
            .unwrap_or_default();
        order_by.push(OrderBy { field, direction: Direction::Asc });
        form.mark_changed();
    }
}

/// The names the picker offers: every produced column, with an unpacked JSON field
/// standing for one `field.<key>` column per suggested key.
pub(crate) fn column_options(columns: &[ResultColumn], form: &Form) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for column in columns {
        match &column.source {
            ColumnSource::Unpacked(field) => {
                for key in form.suggestions.keys.get(field).into_iter().flatten() {
                    names.push(format!("{}.{key}", column.name));
                }
            }
            _ => names.push(column.name.clone()),
        }
    }
    let mut seen = std::collections::HashSet::new();
    names.retain(|n| seen.insert(n.clone()));
    names
}

fn sort_row(ui: &mut Ui, entry: &mut OrderBy, columns: &[ResultColumn], form: &mut Form) -> bool {
    let mut changed = false;
    let produced = columns.iter().any(|c| c.matches(&entry.field));
    let shown = if entry.field.is_empty() { "(choose)".to_string() } else { entry.field.clone() };
    let selected =
        if produced { RichText::new(shown) } else { RichText::new(shown).color(ui.visuals().warn_fg_color) };
    let mut picked: Option<String> = None;
    let inner =
        ComboBox::from_id_salt("column").width(width::COLUMN).selected_text(selected).show_ui(ui, |ui| {
            for column in columns {
                if let ColumnSource::Unpacked(field) = column.source {
                    form.request(SuggestionRequest::Keys { field });
                }
            }
            let options = column_options(columns, form);
            for name in &options {
                if ui.selectable_label(*name == entry.field, name.as_str()).clicked() && *name != entry.field
                {
                    picked = Some(name.clone());
                }
            }
            let unpacked_without_keys = columns.iter().any(|c| match c.source {
                ColumnSource::Unpacked(field) => form.suggestions.keys.get(&field).is_none_or(Vec::is_empty),
                _ => false,
            });
            if unpacked_without_keys {
                ui.weak("(loading JSON keys…)");
            }
        });
    let response = inner.response.accessible_name("Column");
    if produced {
        response.on_hover_text("The result column to sort by");
    } else {
        response.on_hover_text(STALE_TEXT);
        ui.label(RichText::new("⚠").color(ui.visuals().warn_fg_color)).on_hover_text(STALE_TEXT);
    }
    if let Some(name) = picked {
        entry.field = name;
        changed = true;
    }
    let directions = [Direction::Asc, Direction::Desc];
    if let Some(d) =
        choice(ui, "direction", "Direction", width::SMALL, entry.direction, &directions, |d| match d {
            Direction::Asc => "asc".to_string(),
            Direction::Desc => "desc".to_string(),
        })
    {
        entry.direction = d;
        changed = true;
    }
    changed
}
