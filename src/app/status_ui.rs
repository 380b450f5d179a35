//! The status bar: idle / running (spinner, elapsed time) / done / failed, rows shown of
//! `total`, duration, the server's request id, and the latest notice.

use std::time::Duration;

use egui::{RichText, Ui};

use crate::api::view::View;
use crate::app::commands::Command;
use crate::app::format::{format_duration_ms, ok_color, thousands};
use crate::app::state::{Notice, NoticeKind, RunState};

/// How long a notice stays in the status bar.
pub const NOTICE_LIFETIME: Duration = Duration::from_secs(8);

/// How long a demo query on events, feedback or threads runs before the status bar says why
/// it may be waiting.
const DEMO_WAIT_HINT_AFTER: Duration = Duration::from_secs(2);

/// Why a run may be slow, when the status bar can tell: on the demo, the first query on
/// events, feedback or semantic threads waits for those views to load (they are built in
/// the background, after the conversations).
pub fn pending_hint(on_demo: bool, view: View, elapsed: Duration) -> Option<&'static str> {
    (on_demo && view != View::Conversations && elapsed >= DEMO_WAIT_HINT_AFTER).then_some(
        "the demo loads events, feedback and threads after it starts; the first query on them waits",
    )
}

/// Draws the status bar. `on_demo`: the connection is the embedded demo API.
pub fn status_ui(
    ui: &mut Ui,
    run: &RunState,
    on_demo: bool,
    notice: Option<&Notice>,
    commands: &mut Vec<Command>,
) {
    ui.horizontal(|ui| {
        match run {
            RunState::NotRequested => {
                ui.label("Idle");
            }
            RunState::Pending { started, view, .. } => {
                ui.spinner();
                let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
                ui.label(format!("Running… {}", format_duration_ms(elapsed_ms)));
                if let Some(hint) = pending_hint(on_demo, *view, started.elapsed()) {
                    ui.separator();
                    ui.label(RichText::new(hint).weak());
                }
                // The spinner repaints anyway; this keeps the elapsed time moving if it does not.
                ui.ctx().request_repaint_after(Duration::from_millis(100));
            }
            RunState::Done(outcome) => {
                ui.label(RichText::new("✔ Done").color(ok_color(ui)));
                ui.separator();
                ui.label(format!(
                    "{} of {} rows",
                    thousands(outcome.row_count() as u64),
                    thousands(outcome.meta.total)
                ));
                ui.separator();
                ui.label(format_duration_ms(outcome.duration_ms));
                if let Some(request_id) = &outcome.server_request_id {
                    request_id_ui(ui, request_id, commands);
                }
            }
            RunState::Failed { error, .. } => {
                ui.label(RichText::new("⚠ Failed").color(ui.visuals().error_fg_color));
                ui.separator();
                if let Some(status) = error.details.status {
                    ui.label(format!("HTTP {status}"));
                    ui.separator();
                }
                ui.label(format_duration_ms(error.duration_ms));
                if let Some(request_id) = &error.details.request_id {
                    request_id_ui(ui, request_id, commands);
                }
            }
        }
        if let Some(notice) = notice.filter(|notice| notice.at.elapsed() < NOTICE_LIFETIME) {
            ui.separator();
            let text = RichText::new(&notice.text);
            let text = match notice.kind {
                NoticeKind::Info => text.weak(),
                NoticeKind::Warning => text.color(ui.visuals().warn_fg_color),
            };
            ui.add(egui::Label::new(text).truncate());
            // Wake up once more to let it disappear.
            ui.ctx().request_repaint_after(NOTICE_LIFETIME.saturating_sub(notice.at.elapsed()));
        }
    });
}

fn request_id_ui(ui: &mut Ui, request_id: &str, commands: &mut Vec<Command>) {
    ui.separator();
    ui.add(egui::Label::new(format!("requestId {request_id}")).selectable(true));
    if ui
        .small_button("Copy")
        .on_hover_text("Copy the request id")
        .accessible_name("Copy request id")
        .clicked()
    {
        commands.push(Command::CopyText { text: request_id.to_string(), what: "the request id" });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_slow_demo_query_on_the_other_views_says_why_it_waits() {
        let slow = Duration::from_secs(3);
        assert!(
            pending_hint(true, View::Feedback, slow).is_some_and(|hint| hint.contains("events, feedback"))
        );
        assert!(pending_hint(true, View::Feedback, Duration::from_millis(500)).is_none(), "not at once");
        assert!(pending_hint(true, View::Conversations, slow).is_none(), "conversations never wait");
        assert!(pending_hint(false, View::Events, slow).is_none(), "a real server has no such load");
    }
}
