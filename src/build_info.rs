//! What this build is: version, git commit, build date and licence, embedded at build time
//! (`build.rs`). `inkeep-explorer --version` and the About dialog both print
//! [`VERSION_LINE`], so a bug report names the same build whichever one the user copies.

/// The app's name, as the window title, the menu entry and the About dialog show it.
pub const APP_NAME: &str = "Inkeep Explorer";

/// The window's app id: the Wayland app id and X11 class that desktops match to the installed
/// `inkeep-explorer.desktop` (its icon and menu entry), and the name of the folder where
/// eframe keeps the window's size and panel widths.
pub const APP_ID: &str = "inkeep-explorer";

/// The crate's version (`Cargo.toml`).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The short git commit the binary was built from, or `unknown` outside a git checkout.
pub const GIT_COMMIT: &str = env!("INKEEP_EXPLORER_GIT_COMMIT");

/// The build date, `YYYY-MM-DD` in UTC (`SOURCE_DATE_EPOCH` when the build set it).
pub const BUILD_DATE: &str = env!("INKEEP_EXPLORER_BUILD_DATE");

/// The licence, as an SPDX expression (`Cargo.toml`).
pub const LICENSE: &str = env!("CARGO_PKG_LICENSE");

/// Version, commit and build date in one line: `0.1.0 (commit 1a2b3c4, built 2026-12-04)`.
/// A `const` so that clap's `--version` can take it as is.
pub const VERSION_LINE: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("INKEEP_EXPLORER_GIT_COMMIT"),
    ", built ",
    env!("INKEEP_EXPLORER_BUILD_DATE"),
    ")"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_line_names_version_commit_and_date() {
        assert!(VERSION_LINE.starts_with(VERSION), "{VERSION_LINE}");
        assert!(VERSION_LINE.contains(&format!("commit {GIT_COMMIT}")), "{VERSION_LINE}");
        assert!(VERSION_LINE.contains(&format!("built {BUILD_DATE}")), "{VERSION_LINE}");
        assert!(!GIT_COMMIT.is_empty());
        // YYYY-MM-DD: the build script's date arithmetic produced a real date.
        let parts: Vec<&str> = BUILD_DATE.split('-').collect();
        assert_eq!(parts.len(), 3, "{BUILD_DATE}");
        let month: u32 = parts[1].parse().unwrap();
        let day: u32 = parts[2].parse().unwrap();
        assert!((1..=12).contains(&month) && (1..=31).contains(&day), "{BUILD_DATE}");
        assert!(parts[0].parse::<u32>().unwrap() >= 2025, "{BUILD_DATE}");
    }
}
