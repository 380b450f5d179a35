//! The connection badge in the top bar ("Demo data" on the embedded API) and the
//! connection dialog: server URL, API key (kept in the keychain, never in a file), Test
//! connection, switching between the real API and the demo without a restart.

use egui::{Color32, RichText, TextEdit, Ui};

use crate::api::client::KEY_ENV;
use crate::app::commands::Command;
use crate::app::connection_model::{
    Connection, ConnectionCommand, ConnectionDialog, ConnectionStatus, TestOutcome,
};
use crate::app::format::ok_color;
use crate::app::response_ui::details_grid;
use crate::worker::ConnectionKind;

/// The badge and server of the current connection, and the button opening the dialog.
///
/// Called inside a right-to-left layout (the right end of the top bar), so widgets are
/// added right-most first: the button, then the key source, the host, the badge.
pub fn connection_bar_ui(ui: &mut Ui, connection: &Connection, commands: &mut Vec<Command>) {
    if ui.button("Connection…").on_hover_text("Server URL, API key, test, demo data").clicked() {
        commands.push(Command::Connection(ConnectionCommand::OpenDialog));
    }
    match &connection.status {
        ConnectionStatus::Connecting => {
            ui.label("Connecting…");
            ui.spinner();
        }
        ConnectionStatus::Failed { message } => {
            badge(ui, "Not connected", Color32::from_rgb(0xb0, 0x30, 0x30)).on_hover_text(message);
        }
        ConnectionStatus::Connected(info) => match info.kind {
            ConnectionKind::Demo => {
                badge(ui, "Demo data", Color32::from_rgb(0xb8, 0x6e, 0x00)).on_hover_text(
                    "The embedded demo API with synthetic conversations. Open Connection… and enter an API \
                     key to see your own data.",
                );
            }
            ConnectionKind::Remote => {
                let key = info.key_source.map_or("no key", |source| source.describe());
                ui.label(RichText::new(key).weak());
                ui.label(RichText::new(host_of(&info.base_url)).monospace());
                badge(ui, "Live", Color32::from_rgb(0x2e, 0x7d, 0x32))
                    .on_hover_text(format!("Connected to {}", info.base_url));
            }
        },
    }
}

/// A coloured, rounded label.
fn badge(ui: &mut Ui, text: &str, fill: Color32) -> egui::Response {
    egui::Frame::new()
        .fill(fill)
        .corner_radius(8.0)
        .inner_margin(egui::Margin::symmetric(8, 2))
        .show(ui, |ui| ui.label(RichText::new(text).color(Color32::WHITE).strong()))
        .inner
}

/// `https://api.analytics.inkeep.com/x` → `api.analytics.inkeep.com`.
fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.split('/').next().unwrap_or(rest)
}

/// The connection dialog (a window), shown while `connection.dialog.open`.
pub fn connection_dialog_ui(ctx: &egui::Context, connection: &mut Connection, commands: &mut Vec<Command>) {
    let Connection { dialog, status, test_outcome, env_key, .. } = connection;
    if !dialog.open {
        return;
    }
    let state = DialogView { status, test_outcome, has_env_key: env_key.is_some() };
    let mut open = true;
    egui::Window::new("Connection")
        .id(egui::Id::unique("connection_dialog"))
        .open(&mut open)
        .collapsible(false)
        .resizable(false)
        .default_width(460.0)
        .pivot(egui::Align2::CENTER_TOP)
        .default_pos(ctx.content_rect().center_top() + egui::vec2(0.0, 60.0))
        .show(ctx, |ui| dialog_contents(ui, dialog, &state, commands));
    if !open {
        commands.push(Command::Connection(ConnectionCommand::CloseDialog));
    }
}

/// What the dialog shows of the connection beside its own draft.
struct DialogView<'a> {
    status: &'a ConnectionStatus,
    test_outcome: &'a Option<TestOutcome>,
    has_env_key: bool,
}

fn dialog_contents(
    ui: &mut Ui,
    dialog: &mut ConnectionDialog,
    state: &DialogView<'_>,
    commands: &mut Vec<Command>,
) {
    match state.status {
        ConnectionStatus::Connected(info) => {
            let what = match info.kind {
                ConnectionKind::Demo => {
                    format!("Using the embedded demo API (synthetic data) at {}.", info.base_url)
                }
                ConnectionKind::Remote => format!(
                    "Connected to {} ({}).",
                    info.base_url,
                    info.key_source.map_or("no key", |source| source.describe())
                ),
            };
            ui.label(what);
            if let Some(notice) = &info.notice {
                ui.label(RichText::new(notice).color(ui.visuals().warn_fg_color));
                // The cause (a D-Bus error…) is for whoever debugs it, not the headline.
                if let Some(details) = &info.notice_details {
                    egui::CollapsingHeader::new("Details").id_salt("connection_notice_details").show(
                        ui,
                        |ui| {
                            ui.add(egui::Label::new(RichText::new(details).monospace().small()).wrap());
                        },
                    );
                }
            }
        }
        ConnectionStatus::Connecting => {
            ui.label("Connecting…");
        }
        ConnectionStatus::Failed { message } => {
            ui.label(RichText::new(message).color(ui.visuals().error_fg_color));
        }
    }
    ui.add_space(6.0);
    egui::Grid::new("connection_form").num_columns(2).spacing([8.0, 6.0]).show(ui, |ui| {
        let label = ui.label("Server URL");
        ui.add(TextEdit::singleline(&mut dialog.server_url).desired_width(300.0).hint_text("https://…"))
            .labelled_by(label.id);
        ui.end_row();

        let label = ui.label("API key");
        let hint = if state.has_env_key {
            format!("empty: use ${KEY_ENV}")
        } else {
            "paste the key of an API integration".to_string()
        };
        ui.add(
            TextEdit::singleline(&mut dialog.key_text).password(true).desired_width(300.0).hint_text(hint),
        )
        .labelled_by(label.id)
        .on_hover_text("Leave empty to keep the key in use (or the saved one)");
        ui.end_row();
    });
    ui.checkbox(&mut dialog.remember_key, "Remember the key in the system keychain").on_hover_text(
        "Saved in the OS keychain, never in a file. Without a keychain the key is kept for this session only.",
    );
    ui.add_space(6.0);
    ui.horizontal_wrapped(|ui| {
        if ui.button("Connect").on_hover_text("Use this server and key").clicked() {
            commands.push(Command::Connection(ConnectionCommand::ConnectFromDialog));
        }
        if ui.button("Use demo data").on_hover_text("Switch to the embedded demo API").clicked() {
            commands.push(Command::Connection(ConnectionCommand::UseDemo));
        }
        let connected = matches!(state.status, ConnectionStatus::Connected(_));
        let running = matches!(state.test_outcome, Some(TestOutcome::Running));
        if ui
            .add_enabled(connected && !running, egui::Button::new("Test connection"))
            .on_hover_text("Run a tiny query on the current connection")
            .clicked()
        {
            commands.push(Command::Connection(ConnectionCommand::Test));
        }
        if ui.button("Forget saved key").on_hover_text("Remove the key from the keychain").clicked() {
            commands.push(Command::Connection(ConnectionCommand::ForgetSavedKey));
        }
    });
    match &state.test_outcome {
        None => {}
        Some(TestOutcome::Running) => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Testing…");
            });
        }
        Some(TestOutcome::Passed(text)) => {
            ui.label(RichText::new(format!("✔ {text}")).color(ok_color(ui)));
        }
        Some(TestOutcome::Failed { summary, details }) => {
            ui.label(RichText::new(format!("⚠ {summary}")).color(ui.visuals().error_fg_color));
            egui::CollapsingHeader::new("Details").id_salt("test_details").show(ui, |ui| {
                details_grid(ui, details, "test_error_details");
                if ui.button("Copy test details").clicked() {
                    commands.push(Command::CopyText { text: details.to_text(), what: "the test details" });
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_is_taken_from_the_url() {
        assert_eq!(host_of("https://api.analytics.inkeep.com"), "api.analytics.inkeep.com");
        assert_eq!(host_of("http://127.0.0.1:8787/x"), "127.0.0.1:8787");
        assert_eq!(host_of("weird"), "weird");
    }
}
