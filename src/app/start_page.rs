//! The start page, shown where a query has no result yet: the presets as cards (one click
//! loads and runs one), the recent runs (one click restores one), what the connection means,
//! and "Start with a chart" — a newcomer's chart in one click.
//!
//! A feature component: [`StartPage`] is its read-only model, built from plain data by the
//! caller, and [`start_page_ui`] draws it and pushes [`StartPageCommand`]s, which the caller
//! turns into the window's commands. Nothing here reads or changes the window's state.

use std::sync::Arc;

use egui::text::{LayoutJob, TextWrapping};
use egui::{
    Align, Color32, FontId, Galley, Layout, RichText, Role, ScrollArea, Sense, Stroke, TextStyle, Ui, Vec2,
    WidgetInfo, vec2,
};
use jiff::Timestamp;

use crate::api::query::{QueryBody, Selection};
use crate::api::view::View;
use crate::app::format::thousands;
use crate::history::{HistoryEntry, RunStatus};
use crate::presets::Preset;

/// Widest the page grows; wider windows centre it.
const MAX_PAGE_WIDTH: f32 = 1080.0;
/// Narrowest a card gets before the grid drops a column.
const MIN_CARD_WIDTH: f32 = 250.0;
/// Every card has the same height, so the rows of the grid line up.
const CARD_HEIGHT: f32 = 132.0;
/// Space between cards, both ways.
const CARD_GAP: f32 = 12.0;
/// Padding inside a card.
const CARD_PADDING: f32 = 12.0;
/// How many recent runs the page lists.
const RECENT_RUN_COUNT: usize = 6;

/// What the connection is, in the terms the page explains it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartConnection<'a> {
    /// A connect job is on its way.
    Connecting,
    /// The embedded demo API over synthetic data.
    Demo,
    /// A real Analytics API.
    Remote {
        /// Its base URL.
        url: &'a str,
    },
    /// The last connect failed.
    Failed {
        /// Why, as the connection reported it.
        message: &'a str,
    },
}

/// The start page's model: everything it shows, borrowed from the window for one frame.
#[derive(Debug, Clone)]
pub struct StartPage<'a> {
    /// Every visible preset, built-ins first; `None` until the presets are loaded.
    pub presets: Option<Vec<&'a Preset>>,
    /// The run history, newest first; `None` until it is loaded.
    pub recent_runs: Option<Vec<&'a HistoryEntry>>,
    /// The connection.
    pub connection: StartConnection<'a>,
    /// Now, for "5 min ago".
    pub now: Timestamp,
}

/// What the start page asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartPageCommand {
    /// Load the preset into the query and run it.
    RunPreset {
        /// The preset.
        id: String,
    },
    /// Load the preset, run it and show the Chart view.
    ChartPreset {
        /// The preset.
        id: String,
    },
    /// Load a recent run's query into the builder.
    RestoreRun {
        /// The history entry.
        id: String,
    },
    /// Open the connection dialog.
    OpenConnection,
}

impl StartPage<'_> {
    /// The preset behind "Start with a chart": the first built-in whose query has a time
    /// bucket (its result is drawn as lines over time).
    pub fn chart_preset(&self) -> Option<&Preset> {
        self.presets
            .as_ref()?
            .iter()
            .copied()
            .find(|preset| preset.builtin && time_bucket(&preset.query).is_some())
    }
}

/// The time bucket of a query, if it has one ("day", "week"…).
fn time_bucket(query: &QueryBody) -> Option<&'static str> {
    query.select.iter().find_map(|selection| match selection {
        Selection::Time { time_unit, .. } => Some(time_unit.as_str()),
        _ => None,
    })
}

/// How a query's answer is best looked at, in a few words: "Chart per day by type",
/// "Bars by type", "One number", "Rows".
pub fn view_summary(query: &QueryBody) -> String {
    let group = query.group_by.first().map(|group| match &group.path {
        Some(path) if !path.is_empty() => path.join("."),
        _ => group.field.as_str().to_string(),
    });
    let aggregated = query.select.iter().any(Selection::is_aggregation);
    match (time_bucket(query), group) {
        (Some(unit), Some(group)) => format!("📈 Chart per {unit} by {group}"),
        (Some(unit), None) => format!("📈 Chart per {unit}"),
        (None, Some(group)) => format!("📊 Bars by {group}"),
        (None, None) if aggregated => "🔢 One number".to_string(),
        (None, None) => "☰ Rows".to_string(),
    }
}

/// Draws the start page and pushes what the user asks for.
pub fn start_page_ui(ui: &mut Ui, page: &StartPage<'_>, commands: &mut Vec<StartPageCommand>) {
    ScrollArea::vertical().id_salt("start_page").auto_shrink([false, false]).show(ui, |ui| {
        let width = ui.available_width().min(MAX_PAGE_WIDTH);
        let margin = ((ui.available_width() - width) / 2.0).max(0.0);
        ui.horizontal_top(|ui| {
            ui.add_space(margin);
            ui.vertical(|ui| {
                ui.set_width(width);
                ui.add_space(12.0);
                ui.label(RichText::new("Start exploring").heading().strong());
                ui.label(
                    RichText::new("Run a preset with one click, or build a query on the left and press Run (Ctrl+Enter).")
                        .weak(),
                );
                ui.add_space(12.0);
                connection_ui(ui, page.connection, commands);
                ui.add_space(12.0);
                if let Some(preset) = page.chart_preset() {
                    chart_start_ui(ui, preset, commands);
                    ui.add_space(16.0);
                }
                // Not "Presets" alone: that names the top bar's menu.
                section_heading(ui, "Start from a preset");
                presets_ui(ui, page.presets.as_deref(), commands);
                ui.add_space(16.0);
                section_heading(ui, "Recent runs");
                recent_runs_ui(ui, page.recent_runs.as_deref(), page.now, commands);
                ui.add_space(16.0);
            });
        });
    });
}

fn section_heading(ui: &mut Ui, text: &str) {
    ui.label(RichText::new(text).size(17.0).strong());
    ui.add_space(4.0);
}

/// A framed strip that says what the connection is and what that means.
fn connection_ui(ui: &mut Ui, connection: StartConnection<'_>, commands: &mut Vec<StartPageCommand>) {
    let visuals = ui.visuals().clone();
    egui::Frame::group(ui.style())
        .fill(visuals.faint_bg_color)
        .corner_radius(6.0)
        .inner_margin(10.0)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal(|ui| {
                let (title, meaning, button) = match connection {
                    StartConnection::Connecting => {
                        ui.spinner();
                        ("Connecting…", String::new(), None)
                    }
                    // Not "Demo data": that is the top bar's badge, and one name names one widget.
                    StartConnection::Demo => (
                        "You are exploring demo data",
                        "Synthetic conversations, generated on this computer: every feature works and nothing \
                         leaves it. Connect your workspace with an API key to explore your own."
                            .to_string(),
                        Some("Connect your workspace…"),
                    ),
                    StartConnection::Remote { url } => (
                        "Your workspace",
                        format!("Live data from {url}. Queries run there, with your API key."),
                        Some("Change connection…"),
                    ),
                    StartConnection::Failed { message } => (
                        "Not connected",
                        format!("{message}. Runs wait until a connection works."),
                        Some("Fix the connection…"),
                    ),
                };
                let title_color = match connection {
                    StartConnection::Failed { .. } => visuals.error_fg_color,
                    _ => visuals.strong_text_color(),
                };
                // The button first, from the right, so the explanation wraps in what is left.
                ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                    if let Some(button) = button
                        && ui.button(button).clicked()
                    {
                        commands.push(StartPageCommand::OpenConnection);
                    }
                    ui.add_space(12.0);
                    ui.with_layout(Layout::top_down(Align::Min), |ui| {
                        ui.label(RichText::new(title).strong().color(title_color));
                        if !meaning.is_empty() {
                            ui.add(egui::Label::new(RichText::new(meaning).weak()).wrap());
                        }
                    });
                });
            });
        });
}

/// The one big button of the page: a built-in chart, run and shown as a chart.
fn chart_start_ui(ui: &mut Ui, preset: &Preset, commands: &mut Vec<StartPageCommand>) {
    let accent = ui.visuals().selection.bg_fill;
    let text_color = ui.visuals().selection.stroke.color;
    let title = "📈  Start with a chart";
    let detail = format!("Runs “{}” and draws it.", preset.name);
    let button = egui::Button::new(RichText::new(format!("{title}\n{detail}")).size(15.0).color(text_color))
        .fill(accent)
        .corner_radius(8.0)
        .min_size(vec2(320.0, 52.0));
    let response =
        ui.add(button).on_hover_text("One click: the preset runs and its answer opens in the Chart view");
    // Named by its first line alone, so tests and screen readers find it as people read it.
    let response = response.accessible_name("Start with a chart");
    if response.clicked() {
        commands.push(StartPageCommand::ChartPreset { id: preset.id.clone() });
    }
}

/// The presets as a grid of cards, as many columns as fit.
fn presets_ui(ui: &mut Ui, presets: Option<&[&Preset]>, commands: &mut Vec<StartPageCommand>) {
    let Some(presets) = presets else {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Loading presets…");
        });
        return;
    };
    let width = ui.available_width();
    let columns = (((width + CARD_GAP) / (MIN_CARD_WIDTH + CARD_GAP)).floor() as usize).max(1);
    let card_width = ((width - CARD_GAP * (columns - 1) as f32) / columns as f32).max(1.0);
    for row in presets.chunks(columns) {
        ui.horizontal(|ui| {
            ui.spacing_mut().item_spacing.x = CARD_GAP;
            for preset in row {
                if preset_card_ui(ui, preset, vec2(card_width, CARD_HEIGHT)).clicked() {
                    commands.push(StartPageCommand::RunPreset { id: preset.id.clone() });
                }
            }
        });
        ui.add_space(CARD_GAP - ui.spacing().item_spacing.y);
    }
    if !presets.iter().any(|preset| !preset.builtin) {
        ui.label(
            RichText::new(
                "No saved presets yet. Build a query you like and save it from the Presets menu to find it \
                 here.",
            )
            .weak(),
        );
    }
}

/// One preset card: name (★ for built-ins), description, and what its answer looks like.
/// The whole card is one button, named "Run “name”".
fn preset_card_ui(ui: &mut Ui, preset: &Preset, size: Vec2) -> egui::Response {
    let (rect, response) = ui.allocate_exact_size(size, Sense::click());
    let label = format!("Run “{}”", preset.name);
    response.widget_info(|| WidgetInfo::labeled(Role::Button, ui.is_enabled(), &label));
    let response = response.accessible_name(label.clone());
    let response =
        if preset.description.is_empty() { response } else { response.on_hover_text(&preset.description) };
    if !ui.is_rect_visible(rect) {
        return response;
    }
    let visuals = ui.visuals();
    let widget = ui.style().interact(&response);
    let fill = if response.hovered() { visuals.widgets.hovered.weak_bg_fill } else { visuals.faint_bg_color };
    let stroke = if response.hovered() {
        Stroke::new(1.5, visuals.selection.bg_fill)
    } else {
        visuals.widgets.noninteractive.bg_stroke
    };
    let painter = ui.painter_at(rect);
    painter.rect(rect, 8.0, fill, stroke, egui::StrokeKind::Inside);

    let inner = rect.shrink(CARD_PADDING);
    let body_font = TextStyle::Body.resolve(ui.style());
    // Smaller than the description, but readable: egui's Small style is too small here.
    let small_font = FontId::new(body_font.size - 1.5, body_font.family.clone());
    let name = if preset.builtin { format!("★ {}", preset.name) } else { preset.name.clone() };
    let name_font = FontId::new(body_font.size + 1.0, body_font.family.clone());
    let name = wrapped(ui, name, name_font, visuals.strong_text_color(), inner.width(), 2);
    painter.galley(inner.left_top(), name.clone(), widget.text_color());

    // Which view the preset queries, when it is not conversations (most are).
    let shape = match preset.view {
        View::Conversations => view_summary(&preset.query),
        other => format!("{}  ·  {}", other.title(), view_summary(&preset.query)),
    };
    let footer = match preset.builtin {
        true => format!("{shape}  ·  Built-in"),
        false => format!("{shape}  ·  Saved"),
    };
    let footer = wrapped(ui, footer, small_font.clone(), visuals.weak_text_color(), inner.width(), 1);
    let footer_top = inner.bottom() - footer.size().y;
    let description_top = inner.top() + name.size().y + 4.0;
    let row_height = ui.text_style_height(&TextStyle::Body);
    let description_rows = (((footer_top - 4.0 - description_top) / row_height).floor() as usize).max(1);
    let description = if preset.description.is_empty() { "No description." } else { &preset.description };
    let description = wrapped(
        ui,
        description.to_string(),
        body_font,
        visuals.text_color().gamma_multiply(0.85),
        inner.width(),
        description_rows,
    );
    painter.galley(egui::pos2(inner.left(), description_top), description, visuals.text_color());
    painter.galley(egui::pos2(inner.left(), footer_top), footer, visuals.weak_text_color());
    if response.hovered() {
        ui.ctx().set_cursor_icon(egui::CursorIcon::PointingHand);
    }
    response
}

/// `text` laid out to `width`, at most `max_rows` rows, the rest elided with "…".
fn wrapped(ui: &Ui, text: String, font: FontId, color: Color32, width: f32, max_rows: usize) -> Arc<Galley> {
    let mut job = LayoutJob::simple(text, font, color, width);
    job.wrap =
        TextWrapping { max_width: width, max_rows, break_anywhere: false, overflow_character: Some('…') };
    ui.painter().layout_job(job)
}

/// The newest runs, one click each to restore its query.
fn recent_runs_ui(
    ui: &mut Ui,
    entries: Option<&[&HistoryEntry]>,
    now: Timestamp,
    commands: &mut Vec<StartPageCommand>,
) {
    let Some(entries) = entries else {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Loading the run history…");
        });
        return;
    };
    if entries.is_empty() {
        ui.label(
            RichText::new("No runs yet. Every run is kept here, so you can pick up where you left off.")
                .weak(),
        );
        return;
    }
    let usable: Vec<&HistoryEntry> =
        entries.iter().copied().filter(|entry| !entry.query_omitted).take(RECENT_RUN_COUNT).collect();
    for entry in usable {
        let summary = crate::app::history_ui::query_summary(entry);
        let (icon, outcome) = match &entry.status {
            RunStatus::Ok => ("✔", rows_text(entry)),
            RunStatus::Failed { .. } => ("⚠", "failed".to_string()),
            RunStatus::Cancelled => ("⏹", "cancelled".to_string()),
        };
        let when = ago_text(entry.started_at, now);
        let line = format!("{icon}  {summary}");
        let detail = format!("{outcome} · {when}");
        let response = ui
            .horizontal(|ui| {
                let button = egui::Button::new(RichText::new(line).strong())
                    .frame(false)
                    .truncate()
                    .right_text(RichText::new(detail).weak());
                ui.add_sized(vec2(ui.available_width(), 24.0), button)
            })
            .inner
            .on_hover_text("Load this query into the builder (Undo goes back)");
        let response = response.accessible_name(format!("Restore “{summary}”, {when}"));
        if response.clicked() {
            commands.push(StartPageCommand::RestoreRun { id: entry.id.clone() });
        }
    }
}

/// The rows of an answered run: "12 rows", "1,000 of 5,000 rows".
fn rows_text(entry: &HistoryEntry) -> String {
    match (entry.rows, entry.total) {
        (Some(rows), Some(total)) if total != rows => {
            format!("{} of {} rows", thousands(rows), thousands(total))
        }
        (Some(1), _) => "1 row".to_string(),
        (Some(rows), _) => format!("{} rows", thousands(rows)),
        (None, _) => "answered".to_string(),
    }
}

/// How long ago `then` was, in the largest whole unit: "just now", "5 min ago", "3 h ago",
/// "2 days ago".
fn ago_text(then: Timestamp, now: Timestamp) -> String {
    let seconds = now.duration_since(then).as_secs().max(0);
    match seconds {
        0..60 => "just now".to_string(),
        60..3_600 => format!("{} min ago", seconds / 60),
        3_600..86_400 => format!("{} h ago", seconds / 3_600),
        86_400..172_800 => "yesterday".to_string(),
        _ => format!("{} days ago", seconds / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::query::parse_query;

    fn summary(json: &str) -> String {
        view_summary(&parse_query(json).unwrap())
    }

    #[test]
    fn the_view_summary_says_how_the_answer_is_drawn() {
        let count = r#"{"type":"aggregation","aggregation":"count"}"#;
        assert_eq!(
            summary(&format!(
                r#"{{"select":[{{"type":"time","timeUnit":"day"}},{count}],"groupBy":[{{"field":"type"}}]}}"#
            )),
            "📈 Chart per day by type"
        );
        assert_eq!(
            summary(&format!(r#"{{"select":[{{"type":"time","timeUnit":"week"}},{count}]}}"#)),
            "📈 Chart per week"
        );
        assert_eq!(
            summary(&format!(
                r#"{{"select":[{count}],"groupBy":[{{"field":"properties","path":["source"]}}]}}"#
            )),
            "📊 Bars by source"
        );
        assert_eq!(summary(&format!(r#"{{"select":[{count}]}}"#)), "🔢 One number");
        assert_eq!(summary(r#"{"select":[{"type":"field","field":"id"}]}"#), "☰ Rows");
    }

    #[test]
    fn ago_counts_in_the_largest_whole_unit() {
        let now: Timestamp = "2026-01-10T12:00:00Z".parse().unwrap();
        let ago = |secs: i64| ago_text(now - jiff::SignedDuration::from_secs(secs), now);
        assert_eq!(ago(5), "just now");
        assert_eq!(ago(5 * 60 + 30), "5 min ago");
        assert_eq!(ago(3 * 3_600), "3 h ago");
        assert_eq!(ago(30 * 3_600), "yesterday");
        assert_eq!(ago(3 * 86_400), "3 days ago");
        // A clock that went backwards is not "in the future".
        assert_eq!(ago(-60), "just now");
    }

    #[test]
    fn the_chart_preset_is_the_first_built_in_with_a_time_bucket() {
        let presets = crate::presets::builtin_presets();
        let page = StartPage {
            presets: Some(presets.iter().collect()),
            recent_runs: None,
            connection: StartConnection::Demo,
            now: Timestamp::now(),
        };
        let chosen = page.chart_preset().expect("a built-in charts over time");
        assert!(time_bucket(&chosen.query).is_some());
        let first_timed = presets.iter().position(|p| time_bucket(&p.query).is_some()).unwrap();
        assert_eq!(chosen.id, presets[first_timed].id);
    }
}
