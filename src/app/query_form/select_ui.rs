//! The Select section: fields, aggregations and time buckets, each showing its column.

use egui::Ui;

use super::{
    Form, RowAction, apply_row_action, choice, column_label, field_choice, path_editor, row_buttons, width,
};
use crate::api::columns::{ColumnSource, selection_column};
use crate::api::query::{Aggregation, Field, FieldMode, Selection, TimeUnit};
use crate::api::view::View;

/// Draws the selections with their add buttons.
pub(crate) fn select_ui(ui: &mut Ui, select: &mut Vec<Selection>, form: &mut Form) {
    let len = select.len();
    let mut action: Option<(usize, RowAction)> = None;
    for (index, selection) in select.iter_mut().enumerate() {
        ui.push_id(index, |ui| {
            ui.horizontal_wrapped(|ui| {
                if let Some(a) = row_buttons(ui, index, len) {
                    action = Some((index, a));
                }
                if selection_row(ui, selection, form) {
                    form.mark_changed();
                }
                selection_column_label(ui, form.view, selection);
            });
            form.problems_under(ui, &format!("select[{index}]"));
        });
    }
    if let Some((index, a)) = action
        && apply_row_action(select, index, a)
    {
        form.mark_changed();
    }
    form.problems_where(ui, |p| p == "select");
    ui.horizontal_wrapped(|ui| {
        if ui.button("Add field").on_hover_text("Return a field or a value inside a JSON field").clicked() {
            select.push(Selection::field(super::starting_field(form.view)));
            form.mark_changed();
        }
        if ui
            .button("Add aggregation")
            .on_hover_text("count, sum, average, … over the rows (starts as the count of ids: column count_id, shown as “count”, which the server can sort by)")
            .clicked()
        {
            // The count of `id` (never null, so the same number as a count of rows) is a
            // column the server can sort by (`count_id`); a bare `count` is not.
            select.push(Selection::aggregate(Aggregation::Count, Field::Id));
            form.mark_changed();
        }
        if ui.button("Add time bucket").on_hover_text("Group the rows by hour, day, week or month").clicked()
        {
            select.push(Selection::time(TimeUnit::Day));
            form.mark_changed();
        }
    });
}

/// The column the row produces; an unpacked JSON field gives one `field.<key>` per key.
fn selection_column_label(ui: &mut Ui, view: View, selection: &Selection) {
    let column = selection_column(view, selection);
    match column.source {
        ColumnSource::Unpacked(_) => column_label(ui, &format!("{}.*", column.name)),
        _ => column_label(ui, &column.name),
    }
}

/// The editors of one selection; returns true when it changed.
fn selection_row(ui: &mut Ui, selection: &mut Selection, form: &mut Form) -> bool {
    let mut changed = false;
    match selection {
        Selection::Field { field, path, mode } => {
            if let Some(f) = field_choice(ui, "field", *field, &form.view.fields()) {
                *field = f;
                if !f.is_json() {
                    *path = None;
                    *mode = None;
                }
                changed = true;
            }
            if field.is_json() {
                let current = path.as_deref().unwrap_or_default();
                if let Some(new_path) = path_editor(ui, form, *field, current) {
                    if !new_path.is_empty() {
                        // A path picks one value: unpack / json only apply to the whole field.
                        *mode = None;
                    }
                    *path = (!new_path.is_empty()).then_some(new_path);
                    changed = true;
                }
                if path.is_none() || mode.is_some() {
                    let current_mode = mode.unwrap_or_default();
                    let modes = [FieldMode::Unpack, FieldMode::Json];
                    if let Some(m) = choice(ui, "mode", "Mode", width::SMALL, current_mode, &modes, mode_text)
                    {
                        *mode = Some(m);
                        changed = true;
                    }
                }
            }
        }
        Selection::Aggregation { aggregation, field, path } => {
            if let Some(a) = choice(
                ui,
                "aggregation",
                "Aggregation",
                width::AGGREGATION,
                *aggregation,
                &Aggregation::ALL,
                |a| a.as_str().to_string(),
            ) {
                *aggregation = a;
                if !aggregation_fields(form.view, a).contains(field) {
                    *field = aggregation_fields(form.view, a).first().copied().flatten();
                    if !field.is_some_and(Field::is_json) {
                        *path = None;
                    }
                }
                changed = true;
            }
            let options = aggregation_fields(form.view, *aggregation);
            if let Some(f) = choice(ui, "field", "Field", width::FIELD, *field, &options, optional_field_text)
            {
                *field = f;
                if !f.is_some_and(Field::is_json) {
                    *path = None;
                }
                changed = true;
            }
            if let Some(f) = field.filter(|f| f.is_json()) {
                let current = path.as_deref().unwrap_or_default();
                if let Some(new_path) = path_editor(ui, form, f, current) {
                    *path = (!new_path.is_empty()).then_some(new_path);
                    changed = true;
                }
            }
        }
        Selection::Time { time_unit, field } => {
            if let Some(u) =
                choice(ui, "time_unit", "Time unit", width::SMALL, *time_unit, &TimeUnit::ALL, |u| {
                    u.as_str().to_string()
                })
            {
                *time_unit = u;
                changed = true;
            }
            // Buckets only on this view's timestamps; none named means its default time.
            let timestamps: Vec<Field> = form.view.timestamp_fields();
            let current = field.unwrap_or(form.view.default_time_field());
            if let Some(f) = field_choice(ui, "field", current, &timestamps) {
                *field = Some(f);
                changed = true;
            }
        }
    }
    changed
}

fn mode_text(mode: FieldMode) -> String {
    match mode {
        FieldMode::Unpack => "unpack".to_string(),
        FieldMode::Json => "json".to_string(),
    }
}

fn optional_field_text(field: Option<Field>) -> String {
    match field {
        Some(f) => f.as_str().to_string(),
        None => "(rows)".to_string(),
    }
}

/// The fields an aggregation can take: `sum` / `avg` need numbers (or a JSON path), only
/// `count` counts rows (no field).
fn aggregation_fields(view: View, aggregation: Aggregation) -> Vec<Option<Field>> {
    let mut fields: Vec<Option<Field>> = Vec::new();
    if aggregation == Aggregation::Count {
        fields.push(None);
    }
    fields.extend(
        view.fields()
            .into_iter()
            .filter(|f| !aggregation.needs_numeric() || f.is_numeric() || f.is_json())
            .map(Some),
    );
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sum_offers_numbers_and_json_fields_only() {
        assert_eq!(
            aggregation_fields(View::Conversations, Aggregation::Sum),
            [Some(Field::UserMessageCount), Some(Field::Properties), Some(Field::UserProperties)]
        );
        assert_eq!(aggregation_fields(View::Conversations, Aggregation::Count).first(), Some(&None));
        assert_eq!(
            aggregation_fields(View::Conversations, Aggregation::Max).len(),
            View::Conversations.fields().len()
        );
        // Each view offers its own: feedback has no numbers, only JSON fields to sum paths of.
        assert_eq!(
            aggregation_fields(View::Feedback, Aggregation::Sum),
            [
                Some(Field::Reasons),
                Some(Field::Sources),
                Some(Field::Properties),
                Some(Field::UserProperties)
            ]
        );
        assert!(
            aggregation_fields(View::SemanticThreads, Aggregation::Avg)
                .contains(&Some(Field::QuestionLength))
        );
    }
}
