//! The Order by section: a column picker listing the columns the query produces that the
//! server can sort by ([`is_published_order_by_field`]), a direction, and a warning on keys
//! the query no longer produces or the server cannot sort by.
//!
//! Result columns outside the published set (bare `count`, `countDistinct_…`, dotted path
//! columns such as `properties.source`) are not offered: the real server refuses them. A
//! short note under the section names them and says they sort in the grid, by a click on
//! their header.

use egui::{ComboBox, RichText, Ui};

use super::{Form, RowAction, apply_row_action, choice, row_buttons, width};
use crate::api::columns::{ColumnSource, ResultColumn, is_published_order_by_field, result_columns};
use crate::api::query::{Direction, OrderBy};
use crate::api::view::View;
use crate::app::draft::QueryDraft;

/// The tooltip of a sort key whose column the query does not produce.
pub(crate) const STALE_TEXT: &str = "no longer produced by the query";

/// The tooltip of a sort key the server cannot sort by.
pub(crate) const NOT_SERVER_SORTABLE_TEXT: &str =
    "the server cannot sort by this column; sort it in the grid by clicking its header";

/// Draws the sort keys with their add button.
pub(crate) fn order_by_ui(ui: &mut Ui, draft: &mut QueryDraft, form: &mut Form) {
    let view = draft.view;
    let columns = result_columns(view, &draft.columns_body());
    let order_by = &mut draft.order_by;
    let len = order_by.len();
    let mut action: Option<(usize, RowAction)> = None;
    for (index, entry) in order_by.iter_mut().enumerate() {
        ui.push_id(index, |ui| {
            ui.horizontal_wrapped(|ui| {
                if let Some(a) = row_buttons(ui, index, len) {
                    action = Some((index, a));
                }
                if sort_row(ui, view, entry, &columns) {
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
    let options = column_options(view, &columns);
    let grid_only = grid_only_columns(view, &columns);
    let add = ui
        .add_enabled(!options.is_empty(), egui::Button::new("Add sort"))
        .on_hover_text("Have the server sort the result by one of its columns")
        .on_disabled_hover_text("The server can sort by none of this query's columns; sort in the grid");
    if !grid_only.is_empty() {
        ui.label(
            RichText::new(format!("{}: sorted in the grid (click the header)", grid_only.join(", ")))
                .small()
                .weak(),
        )
        .on_hover_text(
            "The server sorts only by plain fields, time buckets and sum/count/avg/min/max of a field. \
                 Bare count, countDistinct and JSON path columns are sorted in the grid, after the answer \
                 arrives. To have the server sort by a count, count a field (the count of id, column count_id).",
        );
    }
    if add.clicked() {
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

/// The names the picker offers: the produced columns the server can sort by. An unpacked
/// JSON field's `field.<key>` columns are path columns, never among them.
pub(crate) fn column_options(view: View, columns: &[ResultColumn]) -> Vec<String> {
    let mut names: Vec<String> = columns
        .iter()
        .filter(|c| !c.is_unpacked() && is_published_order_by_field(view, &c.name))
        .map(|c| c.name.clone())
        .collect();
    let mut seen = std::collections::HashSet::new();
    names.retain(|n| seen.insert(n.clone()));
    names
}

/// The produced columns only the grid can sort (`properties.*` for an unpacked field).
pub(crate) fn grid_only_columns(view: View, columns: &[ResultColumn]) -> Vec<String> {
    columns
        .iter()
        .filter_map(|c| match c.source {
            ColumnSource::Unpacked(_) => Some(format!("{}.*", c.name)),
            _ if !is_published_order_by_field(view, &c.name) => Some(c.name.clone()),
            _ => None,
        })
        .collect()
}

fn sort_row(ui: &mut Ui, view: View, entry: &mut OrderBy, columns: &[ResultColumn]) -> bool {
    let mut changed = false;
    let produced = columns.iter().any(|c| c.matches(&entry.field));
    let sortable = is_published_order_by_field(view, &entry.field);
    let shown = if entry.field.is_empty() { "(choose)".to_string() } else { entry.field.clone() };
    let selected = if produced && sortable {
        RichText::new(shown)
    } else {
        RichText::new(shown).color(ui.visuals().warn_fg_color)
    };
    let mut picked: Option<String> = None;
    let inner =
        ComboBox::from_id_salt("column").width(width::COLUMN).selected_text(selected).show_ui(ui, |ui| {
            let options = column_options(view, columns);
            for name in &options {
                if ui.selectable_label(*name == entry.field, name.as_str()).clicked() && *name != entry.field
                {
                    picked = Some(name.clone());
                }
            }
            if options.is_empty() {
                ui.weak("(no column the server can sort by)");
            }
        });
    let response = inner.response.accessible_name("Column");
    let warning = if !produced {
        Some(STALE_TEXT)
    } else if !sortable {
        Some(NOT_SERVER_SORTABLE_TEXT)
    } else {
        None
    };
    match warning {
        None => {
            response.on_hover_text("The result column the server sorts by");
        }
        Some(text) => {
            response.on_hover_text(text);
            ui.label(RichText::new("⚠").color(ui.visuals().warn_fg_color)).on_hover_text(text);
        }
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
