//! The About dialog: which build this is (version, git commit, build date — the same line
//! `inkeep-explorer --version` prints, from [`crate::build_info`]), the licence, and where
//! the app keeps its files, each with an "Open folder" button (see
//! [`about_model`](crate::app::about_model)).

use std::path::Path;

use egui::{RichText, Ui};

use crate::app::about_model::{AboutCommand, AboutDialog};
use crate::app::commands::Command;
use crate::build_info;

/// The About dialog, when open.
pub fn about_dialog_ui(ctx: &egui::Context, dialog: Option<&AboutDialog>, commands: &mut Vec<Command>) {
    let Some(dialog) = dialog else { return };
    let mut open = true;
    egui::Window::new("About Inkeep Explorer")
        .id(egui::Id::unique("about_dialog"))
        .open(&mut open)
        .collapsible(false)
        .resizable(false)
        .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
        .show(ctx, |ui| about_body_ui(ui, dialog, commands));
    if !open {
        commands.push(Command::About(AboutCommand::Close));
    }
}

fn about_body_ui(ui: &mut Ui, dialog: &AboutDialog, commands: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        if let Some(texture) = icon_texture(ui.ctx()) {
            ui.add(egui::Image::new(&texture).fit_to_exact_size(egui::vec2(64.0, 64.0)));
        }
        ui.vertical(|ui| {
            ui.label(RichText::new(build_info::APP_NAME).strong().size(18.0));
            ui.label(env!("CARGO_PKG_DESCRIPTION"));
        });
    });
    ui.add_space(6.0);
    egui::Grid::new("about_grid").num_columns(2).spacing([12.0, 6.0]).show(ui, |ui| {
        ui.label("Version");
        ui.label(build_info::VERSION);
        ui.end_row();
        ui.label("Commit");
        ui.label(build_info::GIT_COMMIT);
        ui.end_row();
        ui.label("Built");
        ui.label(build_info::BUILD_DATE);
        ui.end_row();
        ui.label("Licence");
        ui.label(build_info::LICENSE);
        ui.end_row();
        folder_row_ui(ui, "Settings", "config", dialog.config_dir.as_deref(), commands);
        folder_row_ui(ui, "Window data", "data", dialog.data_dir.as_deref(), commands);
    });
    ui.add_space(6.0);
    ui.horizontal(|ui| {
        let copy = ui
            .button("Copy version")
            .on_hover_text(format!("Copy \"inkeep-explorer {}\" for a bug report", build_info::VERSION_LINE));
        if copy.clicked() {
            commands.push(Command::CopyText {
                text: format!("inkeep-explorer {}", build_info::VERSION_LINE),
                what: "the version",
            });
        }
        if ui.button("Close").accessible_name("Close About").clicked() {
            commands.push(Command::About(AboutCommand::Close));
        }
    });
}

/// One folder: its path and an "Open folder" button (named for a screen reader by `which`).
fn folder_row_ui(ui: &mut Ui, label: &str, which: &str, path: Option<&Path>, commands: &mut Vec<Command>) {
    ui.label(label);
    match path {
        Some(path) => {
            ui.horizontal(|ui| {
                ui.label(RichText::new(path.display().to_string()).monospace());
                let exists = path.is_dir();
                let open = ui
                    .add_enabled(exists, egui::Button::new("Open folder"))
                    .on_disabled_hover_text("Nothing has been saved there yet")
                    .accessible_name(format!("Open {which} folder"));
                if open.clicked() {
                    commands.push(Command::About(AboutCommand::OpenFolder(path.to_path_buf())));
                }
            });
        }
        None => {
            ui.label(RichText::new("none: this window keeps no files").weak());
        }
    }
    ui.end_row();
}

/// The icon as a texture, decoded once and kept in egui's memory.
fn icon_texture(ctx: &egui::Context) -> Option<egui::TextureHandle> {
    let id = egui::Id::unique("about_icon_texture");
    if let Some(texture) = ctx.data(|data| data.get_temp::<egui::TextureHandle>(id)) {
        return Some(texture);
    }
    let icon = crate::app::icon::decode(crate::app::icon::ICON_64_PNG)?;
    let size = [usize::try_from(icon.width).ok()?, usize::try_from(icon.height).ok()?];
    let image = egui::ColorImage::from_rgba_unmultiplied(size, &icon.rgba);
    let texture = ctx.load_texture("about_icon", image, egui::TextureOptions::LINEAR);
    ctx.data_mut(|data| data.insert_temp(id, texture.clone()));
    Some(texture)
}
