//! The Notes section: one line with a live `n/80` counter.

use egui::{RichText, TextEdit, Ui};

use super::Form;

/// The most characters (not bytes) the API accepts in `notes`.
pub(crate) const NOTES_MAX_CHARS: usize = 80;

/// Draws the notes field and its counter, red once over the limit.
pub(crate) fn notes_ui(ui: &mut Ui, notes: &mut Option<String>, form: &mut Form) {
    ui.horizontal(|ui| {
        let was_absent = notes.is_none();
        let text = notes.get_or_insert_with(String::new);
        let response = ui
            .add(
                TextEdit::singleline(text)
                    .id_salt("notes")
                    .hint_text("a note for this query")
                    .desired_width((ui.available_width() - 60.0).max(120.0)),
            )
            .accessible_name("Notes");
        let char_count = text.chars().count();
        if response.changed() {
            if text.is_empty() {
                *notes = None;
            }
            form.mark_changed();
        } else if was_absent {
            *notes = None;
        }
        let counter = RichText::new(format!("{char_count}/{NOTES_MAX_CHARS}")).small();
        let counter = if char_count > NOTES_MAX_CHARS {
            counter.color(ui.visuals().error_fg_color)
        } else {
            counter.weak()
        };
        ui.label(counter).on_hover_text("Characters used of the 80 the API accepts");
    });
    form.problems_under(ui, "notes");
}
