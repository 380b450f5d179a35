//! The query builder: Select, Group by, Filter, Order by and Notes, each a collapsible
//! section that edits a [`QueryDraft`] in place.
//!
//! The form only reads what the shell gives it ([`FormContext`]: the problems found in
//! the draft, computed once per change, and the cached JSON key / value suggestions) and
//! reports what happened ([`FormOutput`]: whether the draft changed, which suggestions to
//! fetch). It never serialises or validates per frame: a 50-condition filter draws in
//! about 2.5 ms even unoptimised.
//!
//! Each problem is shown in small error-coloured text under the row whose wire path it
//! starts with (`select[0]`, `groupBy[1]`, `where.and[1].condition`, `orderBy[0]`,
//! `notes`); a group shows the problems of the group itself (`where.and`); problems of
//! no section (the whole body) show at the top. Section headers count their problems.
//!
//! # Labels (for AccessKit and `egui_kittest`)
//!
//! Every input has a stable, human name. Rows repeat names, so tests use
//! `get_all_by_label(..)` and pick by index: widgets come in reading order, row by row,
//! and a group's own `Add …` buttons come after its items.
//!
//! | widget | name |
//! |---|---|
//! | section headers | `Select section`, `Group by section`, `Filter section`, `Order by section`, `Notes section` (the visible title drops “section”) |
//! | add buttons | `Add field`, `Add aggregation`, `Add time bucket` (Select); `Add group` (Group by); `Add condition`, `Add AND group`, `Add OR group` (under the filter while it is empty or one condition, then at the end of every group); `Add sort` (Order by); `Add value` (list editors, shows `+ value`) |
//! | row buttons (at the start of each row) | `Move up`, `Move down`, `Remove`; `Wrap in group` (conditions); `Remove value` (list items) |
//! | combo boxes | `Field`, `Aggregation`, `Time unit`, `Mode` (unpack / json), `Operator`, `Group type` (AND / OR), `Type` (value type on JSON fields), `Direction`, `Column` |
//! | text inputs | `Path` (JSON path, keys joined by `.`), `Value` (scalar, list item, JSON object), `Notes` |
//! | suggestion menus | `Suggested keys`, `Suggested values` (also the fixed `type` values) |
//! | other | `Include in select` (check box), `Pick date` (date picker button), `Value` (the true/false combo box) |
//!
//! Combo box entries are named by their text: fields, functions, units by their wire
//! names (`count`, `day`, `properties`; an aggregation over rows is `(rows)`), operators by
//! [`Operator::label`] (`=`, `≥`, `is one of`, `is empty`), group types `AND` / `OR`,
//! directions `asc` / `desc`, value types `text`, `number`, `true/false` and, for `=` / `≠`
//! at a JSON path, `null`. Each select and group-by row shows the column it produces as
//! `→ <column>` (`→ properties.*` for an unpacked JSON field); a stale sort key shows
//! `⚠` and has the tooltip `no longer produced by the query`; the notes counter reads
//! `n/80`, red over 80.

mod filter_ui;
mod group_by_ui;
mod notes_ui;
mod order_by_ui;
mod select_ui;
mod value_ui;

use std::collections::{HashMap, HashSet};
use std::hash::Hash;

use egui::{Button, CollapsingHeader, ComboBox, Id, RichText, TextEdit, Ui};

use crate::api::query::{Field, Operator};
use crate::api::validate::Problem;
use crate::api::view::View;
use crate::app::draft::{QueryDraft, path_from_text, path_to_text, path_within};

/// What the shell hands the form each frame.
pub struct FormContext<'a> {
    /// Problems in the draft (from [`QueryDraft::to_body`]), computed once per change.
    pub problems: &'a [Problem],
    /// JSON keys and values fetched so far for this connection.
    pub suggestions: &'a Suggestions,
}

/// The suggestion cache the shell fills from `/query/property-keys` and
/// `/query/property-values`. An entry that is present (even empty) is never requested
/// again until the cache is cleared; the shell should store an empty list when a fetch
/// fails, so the form stops asking.
#[derive(Default, Debug, Clone, PartialEq)]
pub struct Suggestions {
    /// Top-level keys per view and JSON field.
    pub keys: HashMap<(View, Field), Vec<String>>,
    /// Values per view, JSON field and key (the path keys joined by `.`).
    pub values: HashMap<(View, Field, String), Vec<String>>,
}

impl Suggestions {
    fn holds(&self, request: &SuggestionRequest) -> bool {
        match request {
            SuggestionRequest::Keys { view, field } => self.keys.contains_key(&(*view, *field)),
            SuggestionRequest::Values { view, field, key } => {
                self.values.contains_key(&(*view, *field, key.clone()))
            }
        }
    }

    fn entry_count(&self) -> usize {
        self.keys.len() + self.values.len()
    }
}

/// A suggestion list the form wants; the shell fetches it on the worker.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SuggestionRequest {
    /// The keys of a JSON field.
    Keys {
        /// The view whose rows are looked in (`views` of the request).
        view: View,
        /// `properties` or `userProperties`.
        field: Field,
    },
    /// The values at a key of a JSON field.
    Values {
        /// The view whose rows are looked in (`views` of the request).
        view: View,
        /// `properties` or `userProperties`.
        field: Field,
        /// The key (path keys joined by `.`).
        key: String,
    },
}

/// What happened in the form this frame.
#[derive(Default, Debug, Clone, PartialEq)]
pub struct FormOutput {
    /// The draft was edited.
    pub changed: bool,
    /// Suggestions to fetch; each at most once per (field, key) per cache state.
    pub requests: Vec<SuggestionRequest>,
    /// The view picked: the shell switches the tab's query to it (adapting the draft and
    /// saying what was dropped), so the form leaves the draft's view alone.
    pub view: Option<View>,
}

/// The view picker at the top of the form: one selectable button per view, named
/// `View: Conversations`, `View: Events`…; returns the view clicked when it is another.
fn view_picker(ui: &mut Ui, current: View) -> Option<View> {
    let mut picked = None;
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new("View").strong()).on_hover_text("Which query endpoint the tab asks");
        for view in View::ALL {
            let name = format!("View: {}", view.title());
            let response = ui
                .selectable_label(view == current, view.title())
                .on_hover_text(format!("Query {} ({})", view.noun(), view.query_path()))
                .accessible_name(name);
            if response.clicked() && view != current {
                picked = Some(view);
            }
        }
    });
    picked
}

/// The `query` text search of semantic threads. On another view it shows only while the
/// draft still holds a search (pasted JSON), so it can be cleared.
fn text_search_ui(ui: &mut Ui, draft: &mut QueryDraft, form: &mut Form) {
    if !draft.view.takes_text_search() && draft.text_search.is_none() {
        return;
    }
    ui.horizontal_wrapped(|ui| {
        ui.label("Search").on_hover_text("Free-text search over the questions and answers (`query`)");
        let mut text = draft.text_search.clone().unwrap_or_default();
        let response = ui
            .add(
                TextEdit::singleline(&mut text)
                    .id_salt("text_search")
                    .hint_text("text search")
                    .desired_width(260.0),
            )
            .accessible_name("Text search");
        if response.changed() {
            draft.text_search = (!text.is_empty()).then_some(text);
            form.mark_changed();
        }
    });
    form.problems_where(ui, |path| path == "query");
}

/// The field a new row starts with: `type` where the view has it, else a short text field
/// every reader knows (`category` of semantic threads), else `id`.
pub(crate) fn starting_field(view: View) -> Field {
    [Field::Type, Field::Category, Field::Id]
        .into_iter()
        .find(|field| view.has_field(*field))
        .unwrap_or(Field::Id)
}

/// Draws the whole query builder for `draft` and edits it in place.
pub fn query_form_ui(ui: &mut Ui, draft: &mut QueryDraft, ctx: &FormContext) -> FormOutput {
    let ledger_id = ui.make_persistent_id("query_form.requests");
    let mut form = Form::new(ui, ledger_id, draft.view, ctx);
    ui.push_id("query_form", |ui| {
        if let Some(view) = view_picker(ui, draft.view) {
            form.output.view = Some(view);
        }
        form.problems_where(ui, |path| !is_section_path(path));
        text_search_ui(ui, draft, &mut form);
        let problems = form.problems;
        section(ui, "Select", "select", problems, |ui| {
            select_ui::select_ui(ui, &mut draft.select, &mut form);
        });
        section(ui, "Group by", "groupBy", problems, |ui| {
            group_by_ui::group_by_ui(ui, &mut draft.group_by, &mut form);
        });
        section(ui, "Filter", "where", problems, |ui| {
            filter_ui::filter_ui(ui, &mut draft.filter, &mut form);
        });
        section(ui, "Order by", "orderBy", problems, |ui| {
            order_by_ui::order_by_ui(ui, draft, &mut form);
        });
        section(ui, "Notes", "notes", problems, |ui| {
            notes_ui::notes_ui(ui, &mut draft.notes, &mut form);
        });
    });
    form.finish(ui)
}

/// True for problems that belong to one of the sections (all others show at the top).
fn is_section_path(path: &str) -> bool {
    ["query", "select", "groupBy", "where", "orderBy", "notes"]
        .iter()
        .any(|section| path_within(path, section))
}

/// A collapsible section, open at first; its state is kept under a stable id (from the
/// section's wire key). The header counts the problems inside, so a closed section still
/// says it needs attention, and is named `<title> section` so it never shares a name with
/// an input (`Notes`).
fn section(ui: &mut Ui, title: &str, wire_key: &str, problems: &[Problem], body: impl FnOnce(&mut Ui)) {
    let problem_count = problems.iter().filter(|p| path_within(&p.path, wire_key)).count();
    let header = match problem_count {
        0 => RichText::new(title).strong(),
        1 => RichText::new(format!("{title}  · 1 problem")).strong().color(ui.visuals().error_fg_color),
        n => RichText::new(format!("{title}  · {n} problems")).strong().color(ui.visuals().error_fg_color),
    };
    let response = CollapsingHeader::new(header)
        .id_salt(("query_form.section", wire_key))
        .default_open(true)
        .show(ui, body);
    response.header_response.accessible_name(format!("{title} section"));
}

/// `→ column`: the result column a row produces, small and weak. Monospace, because the
/// arrow is in the monospace font only.
pub(crate) fn column_label(ui: &mut Ui, column: &str) {
    ui.label(RichText::new(format!("→ {column}")).small().family(egui::FontFamily::Monospace).weak())
        .on_hover_text("The result column this produces");
}

/// Fixed widths keep rows aligned and compact.
pub(crate) mod width {
    /// Field combo boxes.
    pub const FIELD: f32 = 130.0;
    /// Operator combo boxes.
    pub const OPERATOR: f32 = 110.0;
    /// Aggregation combo boxes.
    pub const AGGREGATION: f32 = 110.0;
    /// Small enum combo boxes (time unit, mode, direction, scalar type, group type).
    pub const SMALL: f32 = 70.0;
    /// JSON path editors.
    pub const PATH: f32 = 110.0;
    /// Scalar value editors.
    pub const VALUE: f32 = 130.0;
    /// List item editors.
    pub const ITEM: f32 = 110.0;
    /// The order-by column picker.
    pub const COLUMN: f32 = 200.0;
}

/// Requests already sent and not yet answered; kept in egui memory, not in the draft.
#[derive(Clone, Default)]
struct RequestLedger {
    in_flight: HashSet<SuggestionRequest>,
    cache_entry_count: usize,
}

/// The state shared by the sections while one frame of the form is drawn.
pub(crate) struct Form<'a> {
    /// The view the draft queries: the fields, types and suggestions offered are its.
    pub(crate) view: View,
    pub(crate) problems: &'a [Problem],
    pub(crate) suggestions: &'a Suggestions,
    output: FormOutput,
    ledger: RequestLedger,
    ledger_id: Id,
}

impl<'a> Form<'a> {
    fn new(ui: &Ui, ledger_id: Id, view: View, ctx: &FormContext<'a>) -> Form<'a> {
        let mut ledger: RequestLedger = ui.data(|d| d.get_temp(ledger_id)).unwrap_or_default();
        let entry_count = ctx.suggestions.entry_count();
        if entry_count < ledger.cache_entry_count {
            // The cache was cleared (new connection): what was in flight is moot.
            ledger.in_flight.clear();
        }
        ledger.in_flight.retain(|request| !ctx.suggestions.holds(request));
        ledger.cache_entry_count = entry_count;
        Form {
            view,
            problems: ctx.problems,
            suggestions: ctx.suggestions,
            output: FormOutput::default(),
            ledger,
            ledger_id,
        }
    }

    fn finish(self, ui: &Ui) -> FormOutput {
        let Form { output, ledger, ledger_id, .. } = self;
        ui.data_mut(|d| d.insert_temp(ledger_id, ledger));
        output
    }

    /// Records that the draft was edited.
    pub(crate) fn mark_changed(&mut self) {
        self.output.changed = true;
    }

    /// Asks the shell for a suggestion list unless it is cached or already asked for.
    pub(crate) fn request(&mut self, request: SuggestionRequest) {
        if !self.suggestions.holds(&request) && self.ledger.in_flight.insert(request.clone()) {
            self.output.requests.push(request);
        }
    }

    /// Shows, in the error colour and small, every problem whose path passes `belongs`.
    pub(crate) fn problems_where(&self, ui: &mut Ui, belongs: impl Fn(&str) -> bool) {
        for problem in self.problems.iter().filter(|p| belongs(&p.path)) {
            ui.label(RichText::new(&problem.message).small().color(ui.visuals().error_fg_color));
        }
    }

    /// Shows the problems at `path` or inside it.
    pub(crate) fn problems_under(&self, ui: &mut Ui, path: &str) {
        if !self.problems.is_empty() {
            self.problems_where(ui, |p| path_within(p, path));
        }
    }
}

/// A move or removal asked for by a row's buttons.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RowAction {
    /// Swap with the previous row.
    Up,
    /// Swap with the next row.
    Down,
    /// Delete the row.
    Remove,
}

/// A small icon button with a human name and hover text.
pub(crate) fn icon_button(ui: &mut Ui, icon: &str, name: &str, enabled: bool) -> bool {
    ui.add_enabled(enabled, Button::new(icon).small())
        .on_hover_text(name)
        .on_disabled_hover_text(name)
        .accessible_name(name)
        .clicked()
}

/// The ⬆ ⬇ 🗑 buttons of row `index` of `len`.
pub(crate) fn row_buttons(ui: &mut Ui, index: usize, len: usize) -> Option<RowAction> {
    let mut action = None;
    if icon_button(ui, "⬆", "Move up", index > 0) {
        action = Some(RowAction::Up);
    }
    if icon_button(ui, "⬇", "Move down", index + 1 < len) {
        action = Some(RowAction::Down);
    }
    if icon_button(ui, "🗑", "Remove", true) {
        action = Some(RowAction::Remove);
    }
    action
}

/// Applies a row action to a list; returns true when the list changed.
pub(crate) fn apply_row_action<T>(items: &mut Vec<T>, index: usize, action: RowAction) -> bool {
    match action {
        RowAction::Up if index > 0 && index < items.len() => {
            items.swap(index - 1, index);
            true
        }
        RowAction::Down if index + 1 < items.len() => {
            items.swap(index, index + 1);
            true
        }
        RowAction::Remove if index < items.len() => {
            items.remove(index);
            true
        }
        _ => false,
    }
}

/// A combo box named `name` offering `options`; returns the option picked this frame.
pub(crate) fn choice<T: Copy + PartialEq>(
    ui: &mut Ui,
    id_salt: impl Hash + std::fmt::Debug,
    name: &str,
    width: f32,
    current: T,
    options: &[T],
    text: impl Fn(T) -> String,
) -> Option<T> {
    let mut picked = None;
    ComboBox::from_id_salt(id_salt)
        .width(width)
        .selected_text(text(current))
        .show_ui(ui, |ui| {
            for &option in options {
                if ui.selectable_label(option == current, text(option)).clicked() && option != current {
                    picked = Some(option);
                }
            }
        })
        .response
        .on_hover_text(name)
        .accessible_name(name);
    picked
}

/// A `Field` combo box; `current` is always listed even when not among `options`.
pub(crate) fn field_choice(
    ui: &mut Ui,
    id_salt: impl Hash + std::fmt::Debug,
    current: Field,
    options: &[Field],
) -> Option<Field> {
    choice(ui, id_salt, "Field", width::FIELD, current, options, |f| f.as_str().to_string())
}

/// An `Operator` combo box over `options` (plus the current one if it is not among them).
pub(crate) fn operator_choice(ui: &mut Ui, current: Operator, options: &[Operator]) -> Option<Operator> {
    let mut picked = None;
    ComboBox::from_id_salt("operator")
        .width(width::OPERATOR)
        .selected_text(current.label())
        .show_ui(ui, |ui| {
            if !options.contains(&current) {
                ui.selectable_label(true, current.label()).on_hover_text(current.as_str());
            }
            for &option in options {
                let response =
                    ui.selectable_label(option == current, option.label()).on_hover_text(option.as_str());
                if response.clicked() && option != current {
                    picked = Some(option);
                }
            }
        })
        .response
        .on_hover_text(format!("Operator: {}", current.as_str()))
        .accessible_name("Operator");
    picked
}

/// A `Path` editor for a JSON path with a `Suggested keys` menu; returns the new path
/// when the user changed it. Focusing the editor asks for the field's keys.
pub(crate) fn path_editor(
    ui: &mut Ui,
    form: &mut Form,
    field: Field,
    path: &[String],
) -> Option<Vec<String>> {
    let mut text = path_to_text(path);
    let response = ui
        .add(TextEdit::singleline(&mut text).id_salt("path").hint_text("path").desired_width(width::PATH))
        .on_hover_text("JSON path: keys joined by “.” (write a “.” inside a key as “\\.”)")
        .accessible_name("Path");
    if response.gained_focus() || response.has_focus() {
        form.request(SuggestionRequest::Keys { view: form.view, field });
    }
    let mut new_path = response.changed().then(|| path_from_text(&text));
    if let Some(key) = suggestion_menu(
        ui,
        form,
        "path_keys",
        "Suggested keys",
        SuggestionRequest::Keys { view: form.view, field },
    ) {
        let mut keys = new_path.clone().unwrap_or_else(|| path.to_vec());
        match keys.last_mut() {
            Some(last) => *last = key,
            None => keys.push(key),
        }
        new_path = Some(keys);
    }
    new_path
}

/// A small `▾` menu named `name` listing the cached suggestions for `request`; opening
/// it asks for them. Returns the suggestion picked.
pub(crate) fn suggestion_menu(
    ui: &mut Ui,
    form: &mut Form,
    id_salt: &str,
    name: &str,
    request: SuggestionRequest,
) -> Option<String> {
    let mut picked = None;
    let suggestions = form.suggestions;
    let inner = ComboBox::from_id_salt(id_salt).width(18.0).selected_text("").show_ui(ui, |ui| {
        let list = match &request {
            SuggestionRequest::Keys { view, field } => suggestions.keys.get(&(*view, *field)),
            SuggestionRequest::Values { view, field, key } => {
                suggestions.values.get(&(*view, *field, key.clone()))
            }
        };
        match list {
            None => {
                ui.weak("loading…");
            }
            Some(items) if items.is_empty() => {
                ui.weak("nothing known");
            }
            Some(items) => {
                for item in items {
                    if ui.selectable_label(false, item).clicked() {
                        picked = Some(item.clone());
                    }
                }
            }
        }
    });
    inner.response.on_hover_text(name).accessible_name(name);
    if inner.inner.is_some() {
        form.request(request);
    }
    picked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_actions_move_and_remove() {
        let mut v = vec![1, 2, 3];
        assert!(apply_row_action(&mut v, 0, RowAction::Down));
        assert_eq!(v, [2, 1, 3]);
        assert!(apply_row_action(&mut v, 2, RowAction::Up));
        assert_eq!(v, [2, 3, 1]);
        assert!(!apply_row_action(&mut v, 0, RowAction::Up));
        assert!(!apply_row_action(&mut v, 2, RowAction::Down));
        assert!(apply_row_action(&mut v, 1, RowAction::Remove));
        assert_eq!(v, [2, 1]);
    }

    #[test]
    fn section_paths() {
        assert!(is_section_path("where.and[0].condition"));
        assert!(is_section_path("notes"));
        assert!(!is_section_path(""));
        assert!(!is_section_path("body"));
    }
}
