//! The value editor of a condition, fitted to its field and operator: a typed scalar
//! (with a date picker for timestamps), a list, a JSON object, nothing, or the target of
//! a `{path, value}` pair.

use egui::{RichText, TextEdit, Ui};

use super::{Form, SuggestionRequest, choice, icon_button, suggestion_menu, width};
use crate::api::query::Field;
use crate::api::timestamp::is_filter_timestamp;
use crate::api::view::View;
use crate::app::draft::{
    ConditionDraft, ScalarDraft, ScalarKind, TargetForm, ValueDraft, ValueForm, accepts_null_target,
    check_timestamp, natural_form, natural_kind, parse_json_object, parse_number, relative_time_hint,
    takes_keys,
};

/// How a scalar editor behaves for a given field and operator.
#[derive(Clone, Debug)]
struct ScalarEditor {
    /// Offer the string / number / boolean chooser (JSON fields).
    choose_kind: bool,
    /// Check the text as a timestamp.
    is_time: bool,
    /// Offer a date picker next to the text (single values only).
    date_picker: bool,
    /// Width of the text box.
    text_width: f32,
    /// The text is a key of this JSON field: suggest keys.
    keys_of: Option<Field>,
    /// The text is a value at this JSON key: suggest values.
    values_of: Option<(Field, String)>,
    /// The field has a small closed set of values (`type`).
    fixed_values: &'static [&'static str],
}

impl ScalarEditor {
    fn new(view: View, condition: &ConditionDraft, at_path: bool) -> ScalarEditor {
        let field = condition.field;
        let keys = field.is_json() && takes_keys(condition.operator);
        ScalarEditor {
            choose_kind: field.is_json() && !keys,
            is_time: field.is_timestamp() && !at_path,
            date_picker: field.is_timestamp() && !at_path,
            text_width: width::VALUE,
            // Suggestions know the top-level keys only.
            keys_of: (keys && !at_path).then_some(field),
            values_of: (at_path && !keys && !condition.value.path.is_empty())
                .then(|| (field, condition.value.path.join("."))),
            // The view's documented values (`type` of conversations, of feedback).
            fixed_values: view.documented_values(field).unwrap_or(&[]),
        }
    }

    fn hint(&self, kind: ScalarKind) -> &'static str {
        if self.is_time {
            "YYYY-MM-DD or last 30 days"
        } else if self.keys_of.is_some() {
            "key"
        } else if kind == ScalarKind::Number {
            "number"
        } else {
            "value"
        }
    }
}

/// Draws the editor the condition's operator calls for; returns true when the value changed.
pub(crate) fn value_ui(ui: &mut Ui, condition: &mut ConditionDraft, form: &mut Form) -> bool {
    let at_path = condition.value.form == ValueForm::Path;
    let shown =
        if at_path { ValueForm::Path } else { natural_form(condition.field, condition.operator, false) };
    let mut editor = ScalarEditor::new(form.view, condition, at_path);
    let operator = condition.operator;
    let value = &mut condition.value;
    let mut edited = false;
    if at_path && accepts_null_target(operator) && editor.choose_kind {
        // `eq` / `neq` at a path may compare with null: offered as a fourth type.
        edited |= target_type_choice(ui, value);
        editor.choose_kind = false;
    }
    let target = if at_path { value.target } else { TargetForm::Scalar };
    if value.form == ValueForm::Null {
        // A body written by hand (or pasted) may say `"value": null`; it is kept as it is
        // until the user types a value, so the JSON round-trips.
        ui.label("null").on_hover_text(
            "The query says \"value\": null. Comparing with null matches nothing; \
             to find empty values use the operator \"is empty\" (isNull).",
        );
        if ui.small_button("Replace").on_hover_text("Type a value instead of null").clicked() {
            value.switch_form(shown, TargetForm::Scalar);
            return true;
        }
        return false;
    }
    edited |= match shown {
        ValueForm::None | ValueForm::Null => false,
        ValueForm::Scalar => scalar_editor(ui, form, &mut value.scalar, &editor),
        ValueForm::List => list_editor(ui, form, &mut value.list, &editor, condition.field),
        ValueForm::Json => json_editor(ui, &mut value.json),
        ValueForm::Path => match target {
            TargetForm::Scalar => scalar_editor(ui, form, &mut value.scalar, &editor),
            TargetForm::List => list_editor(ui, form, &mut value.list, &editor, condition.field),
            TargetForm::Null => false,
        },
    };
    if edited && value.form != shown {
        // A value typed for a condition that had none (or one of another form) takes the
        // form its operator expects.
        value.switch_form(shown, target);
    }
    edited
}

/// The `Type` chooser of a path target: text, number, true/false or null.
fn target_type_choice(ui: &mut Ui, value: &mut ValueDraft) -> bool {
    let current = match value.target {
        TargetForm::Null => None,
        TargetForm::Scalar | TargetForm::List => Some(value.scalar.kind),
    };
    let options = [Some(ScalarKind::String), Some(ScalarKind::Number), Some(ScalarKind::Bool), None];
    let picked = choice(ui, "kind", "Type", width::SMALL, current, &options, |k| match k {
        Some(kind) => kind.label().to_string(),
        None => "null".to_string(),
    });
    match picked {
        Some(None) => {
            value.target = TargetForm::Null;
            true
        }
        Some(Some(kind)) => {
            value.target = TargetForm::Scalar;
            value.scalar.kind = kind;
            true
        }
        None => false,
    }
}

fn scalar_editor(ui: &mut Ui, form: &mut Form, draft: &mut ScalarDraft, editor: &ScalarEditor) -> bool {
    let mut changed = false;
    if editor.choose_kind
        && let Some(kind) =
            choice(ui, "kind", "Type", width::SMALL, draft.kind, &ScalarKind::ALL, |k| k.label().to_string())
    {
        draft.kind = kind;
        changed = true;
    }
    if draft.kind == ScalarKind::Bool {
        return bool_editor(ui, draft) || changed;
    }
    let error = match draft.kind {
        ScalarKind::Number => parse_number(&draft.text).err(),
        ScalarKind::String if editor.is_time => check_timestamp(&draft.text).err(),
        _ => None,
    };
    let mut edit = TextEdit::singleline(&mut draft.text)
        .id_salt("text")
        .hint_text(editor.hint(draft.kind))
        .desired_width(editor.text_width);
    if error.is_some() {
        // Immediate feedback while typing; the message itself is in the tooltip and,
        // once the shell revalidates, under the row.
        edit = edit.text_color(ui.visuals().error_fg_color);
    }
    let response = ui.add(edit).accessible_name("Value");
    let response = match &error {
        Some(message) => response.on_hover_text(message),
        None => response,
    };
    if response.changed() {
        changed = true;
    }
    if let Some(field) = editor.keys_of {
        if response.has_focus() {
            form.request(SuggestionRequest::Keys { view: form.view, field });
        }
        if let Some(key) = suggestion_menu(
            ui,
            form,
            "value_keys",
            "Suggested keys",
            SuggestionRequest::Keys { view: form.view, field },
        ) {
            draft.text = key;
            changed = true;
        }
    }
    if let Some((field, key)) = &editor.values_of {
        let request = SuggestionRequest::Values { view: form.view, field: *field, key: key.clone() };
        if response.has_focus() {
            form.request(request.clone());
        }
        if let Some(value) = suggestion_menu(ui, form, "values", "Suggested values", request) {
            draft.kind = guess_kind(&value);
            draft.text = value;
            changed = true;
        }
    }
    if !editor.fixed_values.is_empty() && fixed_values_menu(ui, draft, editor.fixed_values) {
        changed = true;
    }
    if editor.date_picker && date_picker(ui, &mut draft.text) {
        changed = true;
    }
    if editor.is_time && draft.kind == ScalarKind::String {
        if relative_time_menu(ui, &mut draft.text) {
            changed = true;
        }
        if let Some(hint) = relative_time_hint(&draft.text, jiff::Timestamp::now()) {
            ui.label(RichText::new(format!("= {hint}")).weak().small()).on_hover_text(
                "A relative time is resolved each time the query runs (UTC; weeks start on Monday)",
            );
        }
    }
    changed
}

/// Relative times offered by the menu beside a date value; any other expression of the
/// grammar in `relative_time.rs` can be typed.
const RELATIVE_CHOICES: [&str; 10] = [
    "today",
    "yesterday",
    "last 7 days",
    "last 30 days",
    "this week",
    "previous week",
    "this month",
    "previous month",
    "this year",
    "now - 24 hours",
];

/// A menu of common relative times ("last 30 days"…); returns true when one was chosen.
fn relative_time_menu(ui: &mut Ui, text: &mut String) -> bool {
    let mut chosen = None;
    ui.menu_button("⏱", |ui| {
        ui.label(RichText::new("Resolved when the query runs (UTC)").weak());
        for choice in RELATIVE_CHOICES {
            if ui.button(choice).clicked() {
                chosen = Some(choice);
                ui.close();
            }
        }
    })
    .response
    .on_hover_text("Relative time: last 30 days, this week, previous month…")
    .accessible_name("Relative time");
    match chosen {
        Some(choice) => {
            *text = choice.to_string();
            true
        }
        None => false,
    }
}

/// A suggested value arrives as text; numbers and booleans are sent as such.
fn guess_kind(value: &str) -> ScalarKind {
    if value == "true" || value == "false" {
        ScalarKind::Bool
    } else if parse_number(value).is_ok() {
        ScalarKind::Number
    } else {
        ScalarKind::String
    }
}

fn bool_editor(ui: &mut Ui, draft: &mut ScalarDraft) -> bool {
    let current = match draft.text.trim() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    };
    let options = [Some(true), Some(false)];
    let picked = choice(ui, "bool", "Value", width::SMALL, current, &options, |b| match b {
        Some(true) => "true".to_string(),
        Some(false) => "false".to_string(),
        None => "(choose)".to_string(),
    });
    match picked.flatten() {
        Some(b) => {
            draft.text = if b { "true" } else { "false" }.to_string();
            true
        }
        None => false,
    }
}

fn fixed_values_menu(ui: &mut Ui, draft: &mut ScalarDraft, values: &[&str]) -> bool {
    let mut picked = None;
    egui::ComboBox::from_id_salt("fixed_values")
        .width(18.0)
        .selected_text("")
        .show_ui(ui, |ui| {
            for value in values {
                if ui.selectable_label(draft.text == *value, *value).clicked() {
                    picked = Some(*value);
                }
            }
        })
        .response
        .on_hover_text("Suggested values")
        .accessible_name("Suggested values");
    match picked {
        Some(value) if draft.text != value => {
            draft.text = value.to_string();
            true
        }
        _ => false,
    }
}

/// The date a timestamp text names (its local date when it has an offset).
fn date_of(text: &str) -> Option<jiff::civil::Date> {
    let trimmed = text.trim();
    // Both accepted forms start with the value's own calendar date (before its offset is
    // applied), which the timestamp rule has already checked is a real day.
    if !is_filter_timestamp(trimmed) {
        return None;
    }
    trimmed.get(..10)?.parse::<jiff::civil::Date>().ok()
}

/// Replaces the date of `text`, keeping a time and offset typed after it.
fn with_date(text: &str, date: &str) -> String {
    let trimmed = text.trim();
    if is_filter_timestamp(trimmed)
        && let Some(rest) = trimmed.get(10..)
    {
        format!("{date}{rest}")
    } else {
        date.to_string()
    }
}

/// A `Pick date` button opening egui_extras's calendar; returns true when a date was picked.
fn date_picker(ui: &mut Ui, text: &mut String) -> bool {
    // Today in UTC when the text names no date, as the filter values are UTC.
    let mut date =
        date_of(text).unwrap_or_else(|| jiff::tz::Offset::UTC.to_datetime(jiff::Timestamp::now()).date());
    let response = ui
        // Arrows instead of the year/month/day combo boxes: those have no accessible names.
        .add(
            egui_extras::DatePickerButton::new(&mut date)
                .id_salt("date")
                .format("")
                .combo_boxes(false)
                .calendar_week(false),
        )
        .on_hover_text("Pick date")
        .accessible_name("Pick date");
    if response.changed() {
        *text = with_date(text, &date.to_string());
        true
    } else {
        false
    }
}

fn list_editor(
    ui: &mut Ui,
    form: &mut Form,
    items: &mut Vec<ScalarDraft>,
    editor: &ScalarEditor,
    field: Field,
) -> bool {
    let mut changed = false;
    let mut removed = None;
    // A calendar per list item would crowd the row; the text is still checked.
    let item_editor = ScalarEditor { date_picker: false, text_width: width::ITEM, ..editor.clone() };
    // One item a line: a list inline in a wrapping row breaks up unreadably.
    ui.vertical(|ui| {
        for (index, item) in items.iter_mut().enumerate() {
            ui.push_id(("item", index), |ui| {
                ui.horizontal(|ui| {
                    changed |= scalar_editor(ui, form, item, &item_editor);
                    if icon_button(ui, "🗑", "Remove value", true) {
                        removed = Some(index);
                    }
                });
            });
        }
        if let Some(index) = removed
            && index < items.len()
        {
            items.remove(index);
            changed = true;
        }
        if icon_button(ui, "+ value", "Add value", true) {
            let kind =
                items.last().map(|i| i.kind).or_else(|| natural_kind(field)).unwrap_or(ScalarKind::String);
            items.push(ScalarDraft::new(kind, ""));
            changed = true;
        }
    });
    changed
}

fn json_editor(ui: &mut Ui, text: &mut String) -> bool {
    let error = parse_json_object(text).err();
    let mut edit = TextEdit::multiline(text)
        .id_salt("json")
        .code_editor()
        .desired_rows(2)
        .desired_width(220.0)
        .hint_text("{\"key\": \"value\"}");
    if error.is_some() {
        edit = edit.text_color(ui.visuals().error_fg_color);
    }
    let response = ui.add(edit).accessible_name("Value");
    let response = match &error {
        Some(message) => response.on_hover_text(message),
        None => response.on_hover_text("A JSON object"),
    };
    response.changed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picking_a_date_keeps_the_time() {
        assert_eq!(with_date("2024-05-01T08:30:00Z", "2024-06-02"), "2024-06-02T08:30:00Z");
        assert_eq!(with_date("2024-05-01", "2024-06-02"), "2024-06-02");
        assert_eq!(with_date("garbage", "2024-06-02"), "2024-06-02");
        assert_eq!(date_of("2024-05-01T23:30:00-02:00"), jiff::civil::Date::new(2024, 5, 1).ok());
        assert_eq!(date_of("2024-05-01"), jiff::civil::Date::new(2024, 5, 1).ok());
        assert_eq!(date_of("May 1"), None);
    }

    #[test]
    fn suggested_values_keep_their_type() {
        assert_eq!(guess_kind("true"), ScalarKind::Bool);
        assert_eq!(guess_kind("12.5"), ScalarKind::Number);
        assert_eq!(guess_kind("slack"), ScalarKind::String);
    }
}
