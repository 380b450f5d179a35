//! The one rule for a file path typed into a dialog's field (save, export, preset import and
//! export): surrounding spaces are ignored, a leading `~` means the home directory, and a
//! relative path lands in the dialog's directory (where Browse… opens), not in whatever the
//! process's working directory happens to be.

use std::path::{Path, PathBuf};

/// What the window says when the system file dialog gave no path: the path field is the
/// fallback (no desktop portal runs in many sessions).
pub const NO_FILE_CHOSEN: &str =
    "No file was chosen (or no file dialog is available here): type the path instead.";

/// The file a typed path names: trimmed, `~` expanded to the home directory, relative paths
/// joined to `directory`. `None` when nothing is typed, or when the text ends in a path
/// separator (it names a folder, not a file).
pub fn resolve_typed_path(text: &str, directory: Option<&Path>) -> Option<PathBuf> {
    resolve_typed_path_in(text, directory, home_dir().as_deref())
}

/// [`resolve_typed_path`] with the home directory given (`None`: `~` is left as typed).
pub fn resolve_typed_path_in(text: &str, directory: Option<&Path>, home: Option<&Path>) -> Option<PathBuf> {
    let typed = text.trim();
    if typed.is_empty() || typed.ends_with(['/', std::path::MAIN_SEPARATOR]) {
        return None;
    }
    let under_home = typed.strip_prefix('~').and_then(|rest| {
        // `~/x` (and `~\x` on Windows) only: `~user` and a file named `~x` stay as typed.
        let rest = rest.strip_prefix(['/', std::path::MAIN_SEPARATOR])?;
        Some(home?.join(rest))
    });
    let expanded = under_home.unwrap_or_else(|| PathBuf::from(typed));
    Some(match directory {
        Some(dir) if expanded.is_relative() => dir.join(expanded),
        _ => expanded,
    })
}

/// The user's home directory, from the environment (`HOME`, or `USERPROFILE` on Windows).
fn home_dir() -> Option<PathBuf> {
    let variable = if cfg!(windows) { "USERPROFILE" } else { "HOME" };
    std::env::var_os(variable).filter(|home| !home.is_empty()).map(PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_land_in_the_directory() {
        let dir = PathBuf::from("/tmp/exports");
        let at = |text: &str| resolve_typed_path_in(text, Some(&dir), None);
        assert_eq!(at("a.csv"), Some(dir.join("a.csv")));
        assert_eq!(at("  sub/b.csv  "), Some(dir.join("sub").join("b.csv")));
        assert_eq!(at("../up.csv"), Some(dir.join("..").join("up.csv")));
        assert_eq!(resolve_typed_path_in("a.csv", None, None), Some(PathBuf::from("a.csv")));
    }

    #[cfg(unix)]
    #[test]
    fn absolute_paths_are_kept() {
        let dir = PathBuf::from("/tmp/exports");
        assert_eq!(resolve_typed_path_in("/abs/c.csv", Some(&dir), None), Some(PathBuf::from("/abs/c.csv")));
    }

    #[test]
    fn a_tilde_is_the_home_directory() {
        let dir = PathBuf::from("/tmp/exports");
        let home = PathBuf::from("/home/ann");
        let at = |text: &str| resolve_typed_path_in(text, Some(&dir), Some(&home));
        assert_eq!(at("~/reports/a.csv"), Some(home.join("reports").join("a.csv")));
        // Not a home reference: a file whose name starts with `~`, in the directory.
        assert_eq!(at("~a.csv"), Some(dir.join("~a.csv")));
        // No home known: the text as typed, relative to the directory.
        assert_eq!(resolve_typed_path_in("~/a.csv", Some(&dir), None), Some(dir.join("~/a.csv")));
    }

    #[test]
    fn nothing_or_a_folder_is_no_file() {
        let dir = PathBuf::from("/tmp/exports");
        for text in ["", "   ", "sub/", "/abs/", "~/"] {
            assert_eq!(
                resolve_typed_path_in(text, Some(&dir), Some(Path::new("/home/ann"))),
                None,
                "{text:?}"
            );
        }
    }

    #[test]
    fn the_environment_home_is_used() {
        // Whatever HOME is here, `~/x` is `x` inside it (and `~/x` stays relative without one).
        let expected = match home_dir() {
            Some(home) => home.join("x.csv"),
            None => PathBuf::from("/d").join("~/x.csv"),
        };
        assert_eq!(resolve_typed_path("~/x.csv", Some(Path::new("/d"))), Some(expected));
    }
}
