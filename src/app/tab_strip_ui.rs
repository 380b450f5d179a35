//! The tab strip above the builder and the result: one tab per query, like a browser's.
//! Click shows a tab, middle-click or × closes it, double-click renames it, dragging
//! reorders; the + button opens a new tab, and right-click offers rename, duplicate and
//! close. A tab that is running shows a spinner instead of nothing; "Reopen closed tab"
//! appears while a closed tab can still be brought back.

use egui::{Align2, Color32, CornerRadius, FontId, Rect, Role, Sense, Stroke, Ui, Vec2, WidgetInfo};

use crate::app::command::Command;
use crate::app::tabs::Tabs;
use crate::worker::TabId;

/// What the strip keeps between frames: the tab being renamed and its text.
#[derive(Debug, Default)]
pub struct TabStripState {
    /// The tab whose title is being typed, and the text so far.
    pub renaming: Option<(TabId, String)>,
    /// The rename field still has to take the keyboard focus.
    focus_pending: bool,
}

impl TabStripState {
    /// Starts renaming `tab`, with its title as the text.
    pub fn start_rename(&mut self, tab: TabId, title: String) {
        self.renaming = Some((tab, title));
        self.focus_pending = true;
    }
}

/// The widest a tab gets; longer titles end in "…".
const TAB_MAX_WIDTH: f32 = 220.0;
/// The narrowest a tab gets.
const TAB_MIN_WIDTH: f32 = 96.0;
/// Room for the spinner and the close button.
const CLOSE_SIZE: f32 = 16.0;
const PADDING_X: f32 = 10.0;
const TAB_HEIGHT: f32 = 28.0;

/// The accessible name of a tab (what tests and screen readers find it by).
pub fn tab_label(title: &str) -> String {
    format!("Tab: {title}")
}

/// Draws the strip and pushes what the user did.
pub fn tab_strip_ui(ui: &mut Ui, tabs: &Tabs, strip: &mut TabStripState, commands: &mut Vec<Command>) {
    let active = tabs.active_id();
    let mut tab_rects: Vec<(usize, Rect)> = Vec::with_capacity(tabs.len());
    let mut dragged: Option<usize> = None;
    let mut drop_at: Option<usize> = None;
    ui.horizontal(|ui| {
        ui.spacing_mut().item_spacing.x = 2.0;
        egui::ScrollArea::horizontal()
            .id_salt("tab_strip_scroll")
            .max_width(ui.available_width() - 190.0)
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.spacing_mut().item_spacing.x = 2.0;
                    for (index, tab) in tabs.iter().enumerate() {
                        let title = tab.title();
                        if strip.renaming.as_ref().is_some_and(|(id, _)| *id == tab.id) {
                            rename_field_ui(ui, strip, commands);
                            continue;
                        }
                        let shown = TabShown {
                            id: tab.id,
                            title: &title,
                            selected: tab.id == active,
                            busy: tab.is_busy(),
                        };
                        let response = tab_ui(ui, &shown, commands);
                        if response.double_clicked() {
                            strip.start_rename(tab.id, title.clone());
                        } else if response.clicked() {
                            commands.push(Command::ActivateTab(tab.id));
                        }
                        if response.middle_clicked() {
                            commands.push(Command::CloseTab(tab.id));
                        }
                        response.context_menu(|ui| {
                            if ui.button("Rename…").clicked() {
                                strip.start_rename(tab.id, title.clone());
                            }
                            if ui.button("Duplicate").clicked() {
                                commands.push(Command::DuplicateTab(tab.id));
                            }
                            if ui.button("Close").clicked() {
                                commands.push(Command::CloseTab(tab.id));
                            }
                        });
                        if response.dragged() {
                            dragged = Some(index);
                        }
                        if response.drag_stopped() {
                            drop_at = Some(index);
                        }
                        tab_rects.push((index, response.rect));
                    }
                    let new_tab = ui
                        .add(egui::Button::new(egui::RichText::new("+").size(16.0)).frame(false))
                        .on_hover_text("New tab (Ctrl+T)")
                        .accessible_name("New tab");
                    if new_tab.clicked() {
                        commands.push(Command::NewTab);
                    }
                });
            });
        if let Some(closed) = tabs.last_closed() {
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                let reopen = ui
                    .button("Reopen closed tab")
                    .on_hover_text(format!(
                        "Bring back “{}” with its result (Ctrl+Shift+T)",
                        closed.tab.title()
                    ))
                    .accessible_name("Reopen closed tab");
                if reopen.clicked() {
                    commands.push(Command::ReopenClosedTab);
                }
            });
        }
    });
    // Reordering: while a tab is dragged, a line shows where it would go; on release it moves.
    let pointer_x = ui.ctx().pointer_interact_pos().map(|pos| pos.x);
    if let (Some(from), Some(x)) = (dragged.or(drop_at), pointer_x) {
        let to = tab_rects.iter().filter(|(_, rect)| rect.center().x < x).count();
        let to_after_removal = if to > from { to - 1 } else { to };
        if dragged.is_some()
            && let Some(marker_x) = tab_rects
                .get(to)
                .map(|(_, rect)| rect.left())
                .or_else(|| tab_rects.last().map(|(_, rect)| rect.right()))
            && let Some((_, first)) = tab_rects.first()
        {
            let stroke = Stroke::new(2.0, ui.visuals().selection.bg_fill);
            ui.painter().vline(marker_x - 1.0, first.y_range(), stroke);
        }
        if drop_at.is_some() && to_after_removal != from {
            commands.push(Command::MoveTab { from, to: to_after_removal });
        }
    }
}

/// One tab as the strip draws it.
struct TabShown<'a> {
    id: TabId,
    title: &'a str,
    selected: bool,
    busy: bool,
}

/// Draws one tab: its title (cut with "…"), a spinner while it runs, and ×.
fn tab_ui(ui: &mut Ui, tab: &TabShown<'_>, commands: &mut Vec<Command>) -> egui::Response {
    let font = FontId::proportional(13.5);
    let visuals = ui.visuals().clone();
    let text_color = if tab.selected { visuals.strong_text_color() } else { visuals.text_color() };
    let extra = CLOSE_SIZE + if tab.busy { CLOSE_SIZE + 4.0 } else { 0.0 };
    let max_text = TAB_MAX_WIDTH - 2.0 * PADDING_X - extra - 4.0;
    let galley = {
        let mut job = egui::text::LayoutJob::simple_singleline(tab.title.to_string(), font, text_color);
        job.wrap = egui::text::TextWrapping::truncate_at_width(max_text);
        ui.fonts_mut(|fonts| fonts.layout_job(job))
    };
    let width = (galley.size().x + 2.0 * PADDING_X + extra + 4.0).clamp(TAB_MIN_WIDTH, TAB_MAX_WIDTH);
    let (rect, response) = ui.allocate_exact_size(Vec2::new(width, TAB_HEIGHT), Sense::click_and_drag());
    let label = tab_label(tab.title);
    response.widget_info(|| WidgetInfo::selected(Role::Tab, true, tab.selected, &label));
    let response = response
        .on_hover_text(format!("{}\nDouble-click to rename, drag to move, middle-click to close", tab.title));
    if ui.is_rect_visible(rect) {
        let radius = CornerRadius { nw: 6, ne: 6, sw: 0, se: 0 };
        let fill = if tab.selected {
            visuals.panel_fill
        } else if response.hovered() {
            visuals.widgets.hovered.weak_bg_fill
        } else {
            visuals.widgets.inactive.weak_bg_fill.gamma_multiply(0.6)
        };
        let painter = ui.painter();
        painter.rect_filled(rect, radius, fill);
        let border = if tab.selected { visuals.widgets.noninteractive.bg_stroke } else { Stroke::NONE };
        if tab.selected {
            painter.rect_stroke(rect, radius, border, egui::StrokeKind::Inside);
            // The selected tab opens into the panel below: an accent line on top.
            let accent =
                Rect::from_min_size(rect.min + Vec2::new(4.0, 0.0), Vec2::new(rect.width() - 8.0, 2.5));
            painter.rect_filled(accent, 1.0, visuals.selection.bg_fill);
        }
        let text_pos = rect.left_center() + Vec2::new(PADDING_X, -galley.size().y / 2.0);
        painter.galley(text_pos, galley, text_color);
    }
    let mut right = rect.right() - 6.0;
    let close_rect = Rect::from_center_size(
        egui::pos2(right - CLOSE_SIZE / 2.0, rect.center().y),
        Vec2::splat(CLOSE_SIZE),
    );
    right -= CLOSE_SIZE + 4.0;
    let close = ui
        .interact(close_rect, ui.make_persistent_id(("close_tab", tab.id)), Sense::click())
        .on_hover_text("Close tab (Ctrl+W, middle-click)");
    let close_label = format!("Close tab {}", tab.title);
    close.widget_info(|| WidgetInfo::labeled(Role::Button, true, &close_label));
    if ui.is_rect_visible(close_rect) {
        let painter = ui.painter();
        let show = tab.selected || response.hovered() || close.hovered();
        if close.hovered() {
            painter.rect_filled(close_rect, 3.0, visuals.widgets.hovered.bg_fill);
        }
        let color = if show { visuals.text_color() } else { visuals.weak_text_color() };
        painter.text(close_rect.center(), Align2::CENTER_CENTER, "×", FontId::proportional(14.0), color);
    }
    if close.clicked() {
        commands.push(Command::CloseTab(tab.id));
    }
    if tab.busy {
        let spinner_rect =
            Rect::from_center_size(egui::pos2(right - CLOSE_SIZE / 2.0, rect.center().y), Vec2::splat(12.0));
        egui::Spinner::new().size(12.0).color(Color32::GRAY).paint_at(ui, spinner_rect);
    }
    response
}

/// The text field that replaces a tab's title while it is renamed: Enter keeps the name,
/// Esc keeps the old one, an empty name goes back to the automatic title.
fn rename_field_ui(ui: &mut Ui, strip: &mut TabStripState, commands: &mut Vec<Command>) {
    let Some((id, text)) = strip.renaming.as_mut() else { return };
    let id = *id;
    let edit =
        egui::TextEdit::singleline(text).desired_width(TAB_MAX_WIDTH - 20.0).id_salt(("rename_tab", id));
    let response = ui.add(edit).on_hover_text("Enter keeps the name; Esc cancels");
    let response = response.accessible_name("Tab name");
    if strip.focus_pending {
        response.request_focus();
        strip.focus_pending = false;
    }
    let (enter, escape) =
        ui.input(|input| (input.key_pressed(egui::Key::Enter), input.key_pressed(egui::Key::Escape)));
    if escape {
        strip.renaming = None;
    } else if (response.lost_focus() || enter)
        && let Some((_, name)) = strip.renaming.take()
    {
        commands.push(Command::RenameTab(id, name));
    }
}
