//! The Group by section: field, optional JSON path, include-in-select.

use egui::Ui;

use super::{Form, RowAction, apply_row_action, column_label, field_choice, path_editor, row_buttons};
use crate::api::columns::field_column_name;
use crate::api::query::GroupBy;

/// Draws the group-by keys with their add button.
pub(crate) fn group_by_ui(ui: &mut Ui, group_by: &mut Vec<GroupBy>, form: &mut Form) {
    let len = group_by.len();
    let mut action: Option<(usize, RowAction)> = None;
    for (index, group) in group_by.iter_mut().enumerate() {
        ui.push_id(index, |ui| {
            ui.horizontal_wrapped(|ui| {
                if let Some(a) = row_buttons(ui, index, len) {
                    action = Some((index, a));
                }
                if group_row(ui, group, form) {
                    form.mark_changed();
                }
            });
            form.problems_under(ui, &format!("groupBy[{index}]"));
        });
    }
    if let Some((index, a)) = action
        && apply_row_action(group_by, index, a)
    {
        form.mark_changed();
    }
    form.problems_where(ui, |p| p == "groupBy");
    if ui.button("Add group").on_hover_text("Group the rows by a field").clicked() {
        group_by.push(GroupBy::field(super::starting_field(form.view)));
        form.mark_changed();
    }
}

fn group_row(ui: &mut Ui, group: &mut GroupBy, form: &mut Form) -> bool {
    let mut changed = false;
    if let Some(f) = field_choice(ui, "field", group.field, &form.view.fields()) {
        group.field = f;
        if !f.is_json() {
            group.path = None;
        }
        changed = true;
    }
    if group.field.is_json() {
        let current = group.path.as_deref().unwrap_or_default();
        if let Some(new_path) = path_editor(ui, form, group.field, current) {
            group.path = (!new_path.is_empty()).then_some(new_path);
            changed = true;
        }
    }
    let mut include = group.includes_in_select();
    if ui
        .checkbox(&mut include, "Include in select")
        .on_hover_text("Return the grouping key as a result column")
        .changed()
    {
        // `true` is the default: leave it out of the body rather than spelling it.
        group.include_in_select = if include { None } else { Some(false) };
        changed = true;
    }
    if group.includes_in_select() {
        let name = field_column_name(group.field, group.path.as_deref().unwrap_or_default());
        column_label(ui, &name);
    }
    changed
}
