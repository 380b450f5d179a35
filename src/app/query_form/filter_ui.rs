//! The Filter section: a tree of conditions and nested AND / OR groups, any depth.

use egui::{Frame, Margin, RichText, Ui};

use super::{
    Form, RowAction, apply_row_action, choice, field_choice, icon_button, operator_choice, path_editor,
    row_buttons, value_ui, width,
};
use crate::api::view::View;
use crate::app::draft::{ConditionDraft, FilterDraft, GroupDraft, GroupKind, operators_for};

/// What a node's buttons asked for; applied by its parent after the frame's drawing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NodeAction {
    /// Move or remove.
    Row(RowAction),
    /// Replace the condition by an AND group holding it.
    Wrap,
}

/// Where a node sits: its wire path and its place among its siblings.
struct Place<'p> {
    path: &'p str,
    index: usize,
    sibling_count: usize,
    is_root: bool,
}

/// Draws the filter tree, or the buttons that start one.
pub(crate) fn filter_ui(ui: &mut Ui, filter: &mut Option<FilterDraft>, form: &mut Form) {
    let mut root_action = None;
    if let Some(node) = filter.as_mut() {
        let place = Place { path: "where", index: 0, sibling_count: 1, is_root: true };
        root_action = node_ui(ui, node, &place, form);
    }
    match root_action {
        Some(NodeAction::Row(RowAction::Remove)) => {
            *filter = None;
            form.mark_changed();
        }
        Some(NodeAction::Wrap) => {
            if let Some(node) = filter.take() {
                *filter = Some(wrap(node));
            }
            form.mark_changed();
        }
        Some(NodeAction::Row(_)) | None => {}
    }
    // A group carries its own add buttons; a lone condition (or nothing) needs these.
    if !matches!(filter, Some(FilterDraft::Group(_)))
        && let Some(new_node) = add_buttons(ui, form.view)
    {
        *filter = Some(match filter.take() {
            None => new_node,
            Some(existing) => {
                FilterDraft::Group(GroupDraft { kind: GroupKind::And, items: vec![existing, new_node] })
            }
        });
        form.mark_changed();
    }
}

fn wrap(node: FilterDraft) -> FilterDraft {
    FilterDraft::Group(GroupDraft { kind: GroupKind::And, items: vec![node] })
}

/// `Add condition`, `Add AND group`, `Add OR group`; returns the node to add.
fn add_buttons(ui: &mut Ui, view: View) -> Option<FilterDraft> {
    let mut added = None;
    ui.horizontal_wrapped(|ui| {
        if ui.small_button("Add condition").on_hover_text("Compare a field with a value").clicked() {
            let mut condition = ConditionDraft::default();
            condition.set_field(super::starting_field(view));
            added = Some(FilterDraft::Condition(condition));
        }
        if ui.small_button("Add AND group").on_hover_text("A group where every item must match").clicked() {
            added = Some(FilterDraft::Group(GroupDraft { kind: GroupKind::And, items: Vec::new() }));
        }
        if ui.small_button("Add OR group").on_hover_text("A group where any item may match").clicked() {
            added = Some(FilterDraft::Group(GroupDraft { kind: GroupKind::Or, items: Vec::new() }));
        }
    });
    added
}

fn node_ui(ui: &mut Ui, node: &mut FilterDraft, place: &Place, form: &mut Form) -> Option<NodeAction> {
    match node {
        FilterDraft::Condition(condition) => condition_ui(ui, condition, place, form),
        FilterDraft::Group(group) => group_ui(ui, group, place, form),
    }
}

/// The move / remove buttons; the root can only be removed.
fn node_buttons(ui: &mut Ui, place: &Place) -> Option<NodeAction> {
    if place.is_root {
        icon_button(ui, "🗑", "Remove", true).then_some(NodeAction::Row(RowAction::Remove))
    } else {
        row_buttons(ui, place.index, place.sibling_count).map(NodeAction::Row)
    }
}

fn group_ui(ui: &mut Ui, group: &mut GroupDraft, place: &Place, form: &mut Form) -> Option<NodeAction> {
    let mut action = None;
    let key = group.kind.as_str();
    Frame::group(ui.style()).inner_margin(Margin::same(4)).show(ui, |ui| {
        ui.horizontal_wrapped(|ui| {
            action = node_buttons(ui, place);
            let kinds = [GroupKind::And, GroupKind::Or];
            if let Some(kind) =
                choice(ui, "group_kind", "Group type", width::SMALL, group.kind, &kinds, |k| match k {
                    GroupKind::And => "AND".to_string(),
                    GroupKind::Or => "OR".to_string(),
                })
            {
                group.kind = kind;
                form.mark_changed();
            }
            let meaning = match group.kind {
                GroupKind::And => "all of these match",
                GroupKind::Or => "any of these matches",
            };
            ui.label(RichText::new(meaning).small().weak());
        });
        form.problems_where(ui, |p| {
            p == place.path || p.strip_prefix(place.path).is_some_and(|rest| rest == ".and" || rest == ".or")
        });
        let count = group.items.len();
        let mut child_action: Option<(usize, NodeAction)> = None;
        for (index, item) in group.items.iter_mut().enumerate() {
            let path = format!("{}.{key}[{index}]", place.path);
            let child = Place { path: &path, index, sibling_count: count, is_root: false };
            ui.push_id(index, |ui| {
                if let Some(a) = node_ui(ui, item, &child, form) {
                    child_action = Some((index, a));
                }
            });
        }
        match child_action {
            Some((index, NodeAction::Row(a))) if apply_row_action(&mut group.items, index, a) => {
                form.mark_changed();
            }
            Some((index, NodeAction::Wrap)) => {
                if let Some(item) = group.items.get_mut(index) {
                    let node = std::mem::replace(item, FilterDraft::Group(GroupDraft::default()));
                    *item = wrap(node);
                    form.mark_changed();
                }
            }
            Some((_, NodeAction::Row(_))) | None => {}
        }
        if let Some(new_node) = add_buttons(ui, form.view) {
            group.items.push(new_node);
            form.mark_changed();
        }
    });
    action
}

fn condition_ui(
    ui: &mut Ui,
    condition: &mut ConditionDraft,
    place: &Place,
    form: &mut Form,
) -> Option<NodeAction> {
    let mut action = None;
    ui.horizontal_wrapped(|ui| {
        action = node_buttons(ui, place);
        if icon_button(ui, "⊞", "Wrap in group", true) {
            action = Some(NodeAction::Wrap);
        }
        if let Some(field) = field_choice(ui, "field", condition.field, &form.view.fields()) {
            condition.set_field(field);
            form.mark_changed();
        }
        let at_path = condition.field.is_json() && condition.value.is_at_path();
        if condition.field.is_json() {
            let shown: &[String] = if at_path { &condition.value.path } else { &[] };
            if let Some(path) = path_editor(ui, form, condition.field, shown) {
                condition.set_path(path);
                form.mark_changed();
            }
        }
        let options = operators_for(condition.field, at_path);
        if let Some(operator) = operator_choice(ui, condition.operator, &options) {
            condition.set_operator(operator);
            form.mark_changed();
        }
        if value_ui::value_ui(ui, condition, form) {
            form.mark_changed();
        }
    });
    if !form.problems.is_empty() {
        form.problems_under(ui, place.path);
    }
    action
}
