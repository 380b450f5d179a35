//! The About dialog's model: which folders it names, [`AboutCommand`] and its update, and
//! "Open folder", which hands a folder to the platform's file manager (`xdg-open`, `open`,
//! `explorer`, chosen under `cfg`); a failure becomes a notice, never a panic. No egui:
//! `about_ui.rs` draws it.
//!
//! The folders: the config dir holds settings, tabs, presets and history
//! ([`crate::settings::default_config_dir`]); the data dir is where eframe keeps the window's
//! size and panel widths (`eframe::storage_dir` of [`APP_ID`]). A window that keeps no files
//! (tests, `AppEnv::isolated`) names neither.

use std::path::{Path, PathBuf};

use crate::app::effects::Effect;
use crate::app::state::NoticeKind;
use crate::build_info::APP_ID;

/// The About dialog while it is open.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AboutDialog {
    /// Where settings, tabs, presets and history are kept; `None` when nowhere.
    pub config_dir: Option<PathBuf>,
    /// Where the window's size and panel widths are kept; `None` when nowhere.
    pub data_dir: Option<PathBuf>,
}

impl AboutDialog {
    /// The dialog for a window keeping its files in `config_dir` (`None`: it keeps none).
    pub fn new(config_dir: Option<&Path>) -> AboutDialog {
        AboutDialog {
            config_dir: config_dir.map(Path::to_path_buf),
            data_dir: config_dir.and_then(|_| eframe::storage_dir(APP_ID)),
        }
    }
}

/// What the About dialog asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AboutCommand {
    /// Show the dialog (the top bar's "About" button).
    Open,
    /// Close it.
    Close,
    /// Show this folder in the system's file manager.
    OpenFolder(PathBuf),
}

/// Applies an About command to the dialog's state (`dialog`); `config_dir` is the window's.
pub fn update(
    dialog: &mut Option<AboutDialog>,
    command: AboutCommand,
    config_dir: Option<&Path>,
) -> Vec<Effect> {
    match command {
        AboutCommand::Open => *dialog = Some(AboutDialog::new(config_dir)),
        AboutCommand::Close => *dialog = None,
        AboutCommand::OpenFolder(path) => {
            return match open_folder(&path) {
                Ok(()) => vec![Effect::notify(NoticeKind::Info, format!("Opened {}", path.display()))],
                Err(message) => vec![Effect::notify(NoticeKind::Warning, message)],
            };
        }
    }
    Vec::new()
}

/// The program that shows a folder in the platform's file manager.
#[cfg(all(unix, not(target_os = "macos")))]
const FOLDER_OPENER: Option<&str> = Some("xdg-open");
/// The program that shows a folder in the platform's file manager.
#[cfg(target_os = "macos")]
const FOLDER_OPENER: Option<&str> = Some("open");
/// The program that shows a folder in the platform's file manager.
#[cfg(windows)]
const FOLDER_OPENER: Option<&str> = Some("explorer");
/// The program that shows a folder in the platform's file manager: none known here.
#[cfg(not(any(unix, windows)))]
const FOLDER_OPENER: Option<&str> = None;

/// Shows `path` in the file manager, without waiting for it. The error says what failed in
/// a sentence for the status bar.
pub fn open_folder(path: &Path) -> Result<(), String> {
    if !path.is_dir() {
        return Err(format!(
            "The folder does not exist yet; nothing has been saved there ({}).",
            path.display()
        ));
    }
    let Some(program) = FOLDER_OPENER else {
        return Err(format!("This platform has no known way to open a folder ({}).", path.display()));
    };
    match std::process::Command::new(program)
        .arg(path)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        Ok(mut child) => {
            // Reaped off the UI thread, so it does not linger as a zombie; its exit status
            // says little (explorer exits 1 on success).
            let _ = std::thread::Builder::new().name("open-folder".into()).spawn(move || child.wait());
            Ok(())
        }
        Err(err) => Err(format!("Could not open the folder with {program}: {err} ({}).", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_and_close_and_a_missing_folder_is_a_notice() {
        let dir = tempfile::tempdir().unwrap();
        let mut dialog = None;
        assert!(update(&mut dialog, AboutCommand::Open, Some(dir.path())).is_empty());
        let open = dialog.clone().unwrap();
        assert_eq!(open.config_dir.as_deref(), Some(dir.path()));
        assert!(update(&mut dialog, AboutCommand::Close, None).is_empty());
        assert_eq!(dialog, None);

        update(&mut dialog, AboutCommand::Open, None);
        assert_eq!(dialog, Some(AboutDialog::default()), "a window keeping no files names no folders");

        let missing = dir.path().join("not-there");
        let effects = update(&mut dialog, AboutCommand::OpenFolder(missing.clone()), None);
        match effects.as_slice() {
            [Effect::Notify(NoticeKind::Warning, text)] => {
                assert!(text.contains("does not exist") && text.contains("not-there"), "{text}");
            }
            other => panic!("{other:?}"),
        }
        assert!(!missing.exists(), "nothing was created");
    }
}
