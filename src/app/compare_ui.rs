//! The Compare toggle of a tab (with the period to compare with) and the line above the
//! grid and chart giving the totals and the change. Reads the tab's [`CompareState`] and
//! sends [`CompareCommand`]s; nothing here changes state.

use egui::{RichText, Ui};

use crate::app::commands::Command;
use crate::app::compare_model::{CompareCommand, CompareRun, CompareState};
use crate::data::compare::CompareOffset;

/// The "Compare" checkbox and the offset menu. `availability` says why the query cannot be
/// compared (from [`crate::app::compare_model::compare_availability`]): the toggle is then
/// disabled with that sentence on hover, unless it is on already (so it can be turned off).
pub fn compare_toggle_ui(
    ui: &mut Ui,
    state: &CompareState,
    availability: &Result<(), String>,
    commands: &mut Vec<Command>,
) {
    let mut enabled = state.enabled;
    let usable = availability.is_ok() || state.enabled;
    let toggle = ui.add_enabled(usable, egui::Checkbox::new(&mut enabled, "Compare"));
    let toggle = match availability {
        Ok(()) => {
            toggle.on_hover_text("Run the query over an earlier period too, and show both side by side")
        }
        Err(reason) => toggle.on_disabled_hover_text(reason.as_str()).on_hover_text(reason.as_str()),
    };
    if toggle.changed() {
        commands.push(Command::Compare(CompareCommand::SetEnabled(enabled)));
    }
    ui.add_enabled_ui(state.enabled, |ui| {
        let label = ui.label("with");
        egui::ComboBox::from_id_salt("compare_offset")
            .selected_text(state.offset.label())
            .show_ui(ui, |ui| {
                for offset in CompareOffset::ALL {
                    if ui.selectable_label(state.offset == offset, offset.label()).clicked()
                        && offset != state.offset
                    {
                        commands.push(Command::Compare(CompareCommand::SetOffset(offset)));
                    }
                }
            })
            .response
            .labelled_by(label.id);
    });
}

/// The comparison's line above the grid or chart: `count: 1,234 · previous period: 1,100 ·
/// +12.2 %`, or where the comparison stands. Nothing when it is off.
pub fn compare_summary_ui(ui: &mut Ui, state: &CompareState, request_id: Option<u64>) {
    let Some(line) = state.status_line(request_id) else { return };
    let text = RichText::new(line);
    let text = match &state.run {
        CompareRun::Refused(_) | CompareRun::Failed { .. } => text.color(ui.visuals().warn_fg_color),
        CompareRun::Done(_) => text.strong(),
        _ => text.weak(),
    };
    ui.label(text);
}
