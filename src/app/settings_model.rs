//! The settings feature: the theme, where settings and tabs are kept, and when they are due
//! to be written. What is written is gathered from the features that own it (connection,
//! export, tabs) by `WindowState::current_settings`; the writing happens on the worker,
//! debounced, so a burst of edits costs one write. No egui.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::settings::ThemeSetting;

/// The window's settings bookkeeping.
#[derive(Debug, Clone, Default)]
pub struct WindowSettings {
    /// Light, dark or system.
    pub theme: ThemeSetting,
    /// Settings (and tabs) changed since this instant and are not saved yet.
    pub dirty_since: Option<Instant>,
    /// Where settings are kept; `None` keeps nothing (tests).
    pub config_dir: Option<PathBuf>,
    /// `tabs.json` may be written (false when it exists but could not be read or moved aside:
    /// writing would destroy what we could not look at; or when a newer version wrote it).
    pub tabs_writable: bool,
    /// `settings.json` may be written (false when a newer version of the app wrote it).
    pub settings_writable: bool,
    /// Where exports are suggested (the user's download folder); `None` in tests.
    pub save_dir: Option<PathBuf>,
}

impl WindowSettings {
    /// Settings (and tabs) will be written shortly.
    pub fn mark_dirty(&mut self) {
        if self.dirty_since.is_none() {
            self.dirty_since = Some(Instant::now());
        }
    }

    /// True, once, when the settings changed at least `delay` ago: the caller writes them.
    pub fn take_due(&mut self, delay: Duration) -> bool {
        match self.dirty_since {
            Some(since) if since.elapsed() >= delay => {
                self.dirty_since = None;
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_is_due_once_after_the_delay() {
        let mut settings = WindowSettings::default();
        assert!(!settings.take_due(Duration::ZERO), "nothing changed");
        settings.mark_dirty();
        let first = settings.dirty_since;
        settings.mark_dirty();
        assert_eq!(settings.dirty_since, first, "a burst of changes keeps its first instant");
        assert!(!settings.take_due(Duration::from_secs(3600)), "not yet");
        assert!(settings.take_due(Duration::ZERO));
        assert!(!settings.take_due(Duration::ZERO), "written once");
    }
}
