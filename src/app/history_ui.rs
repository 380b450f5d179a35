//! The run history: every run is recorded when it ends (answered, failed, cancelled or
//! superseded by a newer run) with its query as the builder had it (relative times
//! unresolved), the server, start time, duration, rows, total, outcome and the server's
//! `requestId`; and the History panel on the right lists them newest first, with a search,
//! "Restore" (load into the builder), "Re-run" (load and run) and "Clear history".
//!
//! The store lives on the worker (its writes are synchronous); the window keeps the latest
//! read-only snapshot ([`RunHistory::store`]). Runs in flight are remembered here, by the
//! window's request id, from `start_run` until they end.

use egui::{RichText, TextEdit, Ui};
use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::api::columns::result_columns;
use crate::api::view::View;
use crate::app::commands::Command;
use crate::app::format::{format_duration_ms, ok_color, thousands};
use crate::app::history_model::{HistoryCommand, RunHistory};
use crate::history::{HistoryEntry, RunStatus};

/// A short description of a query for the list: its notes, else its result columns.
pub fn query_summary(entry: &HistoryEntry) -> String {
    if entry.query_omitted {
        return "(the query was too large to record)".to_string();
    }
    if let Some(line) = entry.notes().and_then(|notes| notes.lines().find(|l| !l.trim().is_empty())) {
        return line.trim().to_string();
    }
    let query = &entry.query;
    let mut summary = match (entry.view, query.select.is_empty() && query.group_by.is_empty()) {
        (View::Conversations, true) => "conversation rows".to_string(),
        (view, true) => format!("{} rows", view.noun()),
        (view, false) => {
            let columns =
                result_columns(view, query).into_iter().map(|column| column.name).collect::<Vec<_>>();
            match view {
                View::Conversations => columns.join(", "),
                // Other views say which, as the tab titles do.
                other => format!("{}: {}", other.title(), columns.join(", ")),
            }
        }
    };
    if query.filter.is_some() {
        summary.push_str(" · filtered");
    }
    summary
}

/// When a run started, in local time: the time alone today, else the date too.
fn started_text(started_at: Timestamp) -> String {
    let zone = TimeZone::system();
    let local = started_at.to_zoned(zone.clone());
    if local.date() == Timestamp::now().to_zoned(zone).date() {
        local.strftime("%H:%M:%S").to_string()
    } else {
        local.strftime("%Y-%m-%d %H:%M").to_string()
    }
}

/// The rows and total of an entry: `12 rows`, `1,000 of 5,000 rows`.
fn rows_text(entry: &HistoryEntry) -> Option<String> {
    let rows = entry.rows?;
    Some(match entry.total {
        Some(total) if total != rows => format!("{} of {} rows", thousands(rows), thousands(total)),
        _ => format!("{} row{}", thousands(rows), if rows == 1 { "" } else { "s" }),
    })
}

/// The History panel's contents.
pub fn history_panel_ui(ui: &mut Ui, history: &mut RunHistory, commands: &mut Vec<Command>) {
    let mut push = |command: HistoryCommand| commands.push(Command::History(command));
    ui.add_space(4.0);
    ui.horizontal(|ui| {
        ui.label(RichText::new("History").heading());
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui
                .small_button("✖")
                .on_hover_text("Close the history")
                .accessible_name("Close history")
                .clicked()
            {
                push(HistoryCommand::TogglePanel);
            }
        });
    });
    if let Some(warning) = &history.warning {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(format!("⚠ {warning}")).color(ui.visuals().warn_fg_color));
            if ui.small_button("Dismiss").accessible_name("Dismiss history warning").clicked() {
                push(HistoryCommand::DismissWarning);
            }
        });
    }
    let Some(store) = history.store.clone() else {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(RichText::new("Loading the history…").weak());
        });
        return;
    };
    ui.add(
        TextEdit::singleline(&mut history.search)
            .hint_text("notes, fields, values, status, requestId")
            .desired_width(f32::INFINITY),
    )
    .accessible_name("Search history");
    let matching = history.matching();
    let entries = store.entries();
    ui.horizontal(|ui| {
        let count = if matching.len() == entries.len() {
            format!("{} run{}", thousands(entries.len() as u64), if entries.len() == 1 { "" } else { "s" })
        } else {
            format!("{} of {} runs", thousands(matching.len() as u64), thousands(entries.len() as u64))
        };
        ui.label(RichText::new(count).weak());
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let clear = ui
                .add_enabled(!entries.is_empty(), egui::Button::new("Clear history…").small())
                .on_hover_text("Forget every recorded run");
            if clear.clicked() {
                push(HistoryCommand::AskClear);
            }
        });
    });
    ui.separator();
    if entries.is_empty() {
        ui.label(RichText::new("Runs are listed here as they finish.").weak());
        return;
    }
    if matching.is_empty() {
        ui.label(RichText::new(format!("No run matches “{}”.", history.search.trim())).weak());
        return;
    }
    let line = ui.spacing().interact_size.y;
    let entry_height = 3.0 * line + 2.0 * ui.spacing().item_spacing.y + 8.0;
    egui::ScrollArea::vertical().id_salt("history_list").auto_shrink([false, false]).show_rows(
        ui,
        entry_height,
        matching.len(),
        |ui, range| {
            for &index in matching.get(range).unwrap_or_default() {
                let Some(entry) = entries.get(index) else { continue };
                let (rect, _) = ui.allocate_exact_size(
                    egui::vec2(ui.available_width(), entry_height),
                    egui::Sense::hover(),
                );
                ui.scope_builder(egui::UiBuilder::new().max_rect(rect), |ui| {
                    entry_ui(ui, entry, &mut push);
                });
            }
        },
    );
}

fn entry_ui(ui: &mut Ui, entry: &HistoryEntry, push: &mut impl FnMut(HistoryCommand)) {
    ui.horizontal(|ui| {
        let (icon, color) = match &entry.status {
            RunStatus::Ok => ("✔ ok", ok_color(ui)),
            RunStatus::Failed { .. } => ("⚠ failed", ui.visuals().error_fg_color),
            RunStatus::Cancelled => ("■ cancelled", ui.visuals().weak_text_color()),
        };
        let status = ui.label(RichText::new(icon).color(color));
        if let RunStatus::Failed { message } = &entry.status {
            status.on_hover_text(message);
        }
        ui.label(started_text(entry.started_at));
        if let Some(rows) = rows_text(entry) {
            ui.label(rows);
        }
        ui.label(RichText::new(format_duration_ms(entry.duration_ms)).weak());
    });
    let mut details = format!("Server: {}", entry.server_url);
    if let Some(request_id) = &entry.request_id {
        details.push_str(&format!("\nrequestId: {request_id}"));
    }
    if let RunStatus::Failed { message } = &entry.status {
        details.push_str(&format!("\nError: {message}"));
    }
    if !entry.query_omitted {
        details.push_str(&format!("\n\n{}", entry.query.to_pretty_json()));
    }
    ui.add(egui::Label::new(RichText::new(query_summary(entry)).weak()).truncate()).on_hover_text(details);
    ui.horizontal(|ui| {
        let usable = !entry.query_omitted;
        let why_not = "The query was too large to record.";
        let restore = ui
            .add_enabled(usable, egui::Button::new("Restore").small())
            .on_hover_text(
                "Load this query: into this tab when it is empty (Undo goes back), else into a new \
                 tab (Ctrl+click: always a new tab)",
            )
            .on_disabled_hover_text(why_not);
        if restore.clicked() {
            let new_tab = ui.input(|input| input.modifiers.command);
            push(HistoryCommand::Restore { id: entry.id.clone(), new_tab });
        }
        let rerun = ui
            .add_enabled(usable, egui::Button::new("Re-run").small())
            .on_hover_text("Load this query into the builder and run it")
            .on_disabled_hover_text(why_not);
        if rerun.clicked() {
            let new_tab = ui.input(|input| input.modifiers.command);
            push(HistoryCommand::Rerun { id: entry.id.clone(), new_tab });
        }
    });
    ui.separator();
}

/// The "Clear the history?" confirmation, when asked.
pub fn clear_confirm_ui(ctx: &egui::Context, history: &RunHistory, commands: &mut Vec<Command>) {
    if !history.confirm_clear {
        return;
    }
    let count = history.store.as_ref().map_or(0, |store| store.len());
    let mut open = true;
    egui::Window::new("Clear the history?")
        .id(egui::Id::unique("history_clear_confirm"))
        .collapsible(false)
        .resizable(false)
        .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
        .open(&mut open)
        .show(ctx, |ui| {
            ui.label(format!(
                "Forget all {} recorded run{}? This cannot be undone. Presets are not affected.",
                thousands(count as u64),
                if count == 1 { "" } else { "s" }
            ));
            ui.horizontal(|ui| {
                if ui.button("Clear history").clicked() {
                    commands.push(Command::History(HistoryCommand::Clear));
                }
                if ui.button("Cancel").accessible_name("Keep the history").clicked() {
                    commands.push(Command::History(HistoryCommand::CancelClear));
                }
            });
        });
    if !open {
        commands.push(Command::History(HistoryCommand::CancelClear));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::query::parse_query;

    fn entry(query: &str) -> HistoryEntry {
        HistoryEntry { query: parse_query(query).unwrap(), ..HistoryEntry::default() }
    }

    #[test]
    fn the_summary_is_the_notes_else_the_columns() {
        let grouped = entry(
            r#"{"select":[{"type":"time","timeUnit":"day"},{"type":"aggregation","aggregation":"count"}],
                "groupBy":[{"field":"type"}],"where":{"condition":{"field":"type","operator":"isNotNull"}}}"#,
        );
        assert_eq!(query_summary(&grouped), "firstMessageTime_day, count, type · filtered");
        assert_eq!(query_summary(&entry("{}")), "conversation rows");
        // An entry of another view names it, and its columns are that view's.
        let feedback = HistoryEntry { view: View::Feedback, ..grouped.clone() };
        assert_eq!(query_summary(&feedback), "Feedback: createdAt_day, count, type · filtered");
        let threads = HistoryEntry { view: View::SemanticThreads, ..entry("{}") };
        assert_eq!(query_summary(&threads), "semantic threads rows");
        assert_eq!(query_summary(&entry(r#"{"notes":"\n  weekly tickets \nmore"}"#)), "weekly tickets");
        let omitted = HistoryEntry { query_omitted: true, ..HistoryEntry::default() };
        assert_eq!(query_summary(&omitted), "(the query was too large to record)");
    }

    #[test]
    fn rows_say_of_how_many_when_truncated() {
        let mut e = HistoryEntry { rows: Some(1000), total: Some(5000), ..HistoryEntry::default() };
        assert_eq!(rows_text(&e).as_deref(), Some("1,000 of 5,000 rows"));
        e.total = Some(1000);
        assert_eq!(rows_text(&e).as_deref(), Some("1,000 rows"));
        e.rows = Some(1);
        e.total = Some(1);
        assert_eq!(rows_text(&e).as_deref(), Some("1 row"));
        e.rows = None;
        assert_eq!(rows_text(&e), None);
    }
}
