//! Persisted settings of the window: server URL, connection choice, theme and the last
//! export's folder; and, beside them in `tabs.json`, the query tabs ([`SavedTabs`]: their
//! queries and settings, never their results). A query lives in `tabs.json` only; the
//! query that settings files kept before tabs is read once ([`TabBeforeTabs`]). Never a secret: the API key lives in the environment or the OS keychain
//! (see [`crate::secrets`]).
//!
//! The file is JSON in the platform config dir (`settings.json`), written atomically
//! (a temporary file in the same directory, synced, then renamed over the old one) so
//! a crash mid-write leaves either the old or the new file, never half of one. Every
//! field has a default and a field that no longer parses falls back to its default,
//! so an old or partly damaged file still loads.
//!
//! Both files carry a format version ([`SCHEMA_VERSION`], [`TABS_SCHEMA_VERSION`]; see
//! [`crate::file_version`]): a file from a newer version of the app is not used and never
//! written over, and the window says so.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::api::query::QueryBody;
use crate::atomic_file::write_atomic;
use crate::file_version::{self, LoadedVersioned, NewerFile};

/// The name of the settings file inside the config dir.
pub const SETTINGS_FILE_NAME: &str = "settings.json";

/// The name of the tabs file inside the config dir.
pub const TABS_FILE_NAME: &str = "tabs.json";

/// The format version of `settings.json` this build writes and fully understands.
pub const SCHEMA_VERSION: u32 = 1;

/// The format version of `tabs.json` this build writes and fully understands.
pub const TABS_SCHEMA_VERSION: u32 = 1;

/// One query tab as saved: its query and settings, never its result.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SavedTab {
    /// The tab's id (kept so a restarted window numbers new tabs after it).
    pub id: u64,
    /// The title the user gave it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The preset it was opened from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preset_name: Option<String>,
    /// The form state, raw JSON owned by the window (`app::draft`), so a change of the form
    /// model loses one tab's half-typed values at worst, never the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub draft: Option<Value>,
    /// The query as the API reads it, used when the draft no longer loads.
    #[serde(deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub query: Option<QueryBody>,
    /// The result view shown (`table`, `chart`, `request`, `response`).
    #[serde(deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub view: Option<String>,
    /// The grid's sort, hidden columns and widths (raw JSON owned by `app::grid_ui`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grid: Option<Value>,
    /// The chart's settings (raw JSON owned by `app::chart_ui`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chart: Option<Value>,
    /// Where a drill-down tab came from (raw JSON of `data::drill::Provenance`, so one that
    /// no longer reads costs the line in the status bar, never the file); absent in files
    /// written before drill-down.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drilled_from: Option<Value>,
    /// The comparison's period when Compare is on (`previous`, `week`, `month`, `year`), raw
    /// JSON so an unknown one turns Compare off instead of losing the file; absent when off
    /// and in files written before Compare.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compare: Option<Value>,
}

/// The query tabs of the window, saved across restarts (`tabs.json`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SavedTabs {
    /// The tabs, left to right.
    pub tabs: Vec<SavedTab>,
    /// The index of the tab shown.
    pub active: usize,
}

/// What reading `tabs.json` found.
#[derive(Debug, Default)]
pub struct LoadedTabs {
    /// The tabs; `None` when there was no usable file (start from the settings' last query).
    pub tabs: Option<SavedTabs>,
    /// Something to tell the user (the file was damaged and moved aside…).
    pub notice: Option<String>,
    /// Why the file must not be written (it could not be read, or not moved aside).
    pub read_only: Option<String>,
}

impl SavedTabs {
    /// The tabs file inside `config_dir`.
    pub fn path_in(config_dir: &Path) -> PathBuf {
        config_dir.join(TABS_FILE_NAME)
    }

    /// Reads `tabs.json`: a missing file is no tabs; a damaged one is moved aside (and said so);
    /// one from a newer version is restored as far as it reads, and is never written.
    pub fn load(config_dir: &Path) -> LoadedTabs {
        let path = SavedTabs::path_in(config_dir);
        match file_version::load_versioned::<SavedTabs>(&path, "tabs", TABS_SCHEMA_VERSION) {
            LoadedVersioned::Missing => LoadedTabs::default(),
            LoadedVersioned::Parsed(tabs) => LoadedTabs { tabs: Some(tabs), ..LoadedTabs::default() },
            LoadedVersioned::Newer { newer, body } => {
                let reason = newer.to_string();
                let notice = match body {
                    Some(_) => format!("The tabs are restored but will not be saved: {reason}."),
                    None => format!("The tabs were not restored: {reason}."),
                };
                LoadedTabs { tabs: body, notice: Some(notice), read_only: Some(reason) }
            }
            LoadedVersioned::Unusable { moved_aside, read_only } => {
                let notice = match (&moved_aside, &read_only) {
                    (_, Some(reason)) => format!("The tabs were not restored: {reason}."),
                    (Some(moved), None) => format!(
                        "The saved tabs could not be read and were moved aside ({}); starting with one tab.",
                        moved.display()
                    ),
                    (None, None) => "The saved tabs could not be read; starting with one tab.".to_string(),
                };
                LoadedTabs { tabs: None, notice: Some(notice), read_only }
            }
        }
    }

    /// Writes `tabs.json` into `config_dir` atomically, creating the directory if needed.
    pub fn save(&self, config_dir: &Path) -> Result<(), SettingsError> {
        let path = SavedTabs::path_in(config_dir);
        let bytes = match file_version::to_versioned_json(self, TABS_SCHEMA_VERSION) {
            Ok(bytes) => bytes,
            Err(err) => return Err(SettingsError::Write { path, source: std::io::Error::other(err) }),
        };
        match write_atomic(&path, |out| out.write_all(&bytes)) {
            Ok(_) => Ok(()),
            Err(source) => Err(SettingsError::Write { path, source }),
        }
    }
}

/// Which API the window talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ConnectionChoice {
    /// The real API when a key is configured, otherwise the embedded demo API.
    #[default]
    Automatic,
    /// Always the embedded demo API, even when a key exists.
    Demo,
    /// The server URL below, with the configured key.
    Remote,
}

/// The colour theme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ThemeSetting {
    /// Follow the operating system's light / dark setting.
    #[default]
    System,
    /// Always light.
    Light,
    /// Always dark.
    Dark,
}

/// Everything the window remembers across restarts, apart from what eframe keeps
/// (window size, panel widths).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Settings {
    /// The server URL chosen in the connection dialog; `None` means the default (or
    /// `INKEEPANALYTICS_SERVER_URL`).
    #[serde(deserialize_with = "lenient")]
    pub server_url: Option<String>,
    /// Demo, remote, or automatic.
    #[serde(deserialize_with = "lenient")]
    pub connection: ConnectionChoice,
    /// Light, dark or system.
    #[serde(deserialize_with = "lenient")]
    pub theme: ThemeSetting,
    /// The tab shown, as settings files from before tabs kept it: read to build the first
    /// tab when there is no `tabs.json`, never written (the tabs live in `tabs.json` alone,
    /// so a query is never kept in two places that could disagree).
    #[serde(flatten, skip_serializing)]
    pub before_tabs: TabBeforeTabs,
    /// The folder of the last export, where the next one is suggested.
    #[serde(deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub last_export_dir: Option<PathBuf>,
}

/// What settings files written before query tabs kept of the one query: the keys
/// `lastQuery`, `lastDraft`, `tab`, `grid` and `chart`. Only ever read.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TabBeforeTabs {
    /// The last query as the API reads it.
    #[serde(deserialize_with = "lenient")]
    pub last_query: Option<QueryBody>,
    /// The last form state (raw JSON owned by `app::draft`).
    pub last_draft: Option<Value>,
    /// The result view shown last.
    #[serde(deserialize_with = "lenient")]
    pub tab: Option<String>,
    /// The grid's settings (raw JSON owned by `app::grid_ui`).
    pub grid: Option<Value>,
    /// The chart's settings (raw JSON owned by `app::chart_ui`).
    pub chart: Option<Value>,
}

impl TabBeforeTabs {
    /// The same tab in today's shape; `None` when the file kept no query at all.
    pub fn to_saved_tabs(&self) -> Option<SavedTabs> {
        if *self == TabBeforeTabs::default() {
            return None;
        }
        let tab = SavedTab {
            id: 1,
            draft: self.last_draft.clone(),
            query: self.last_query.clone(),
            view: self.tab.clone(),
            grid: self.grid.clone(),
            chart: self.chart.clone(),
            ..SavedTab::default()
        };
        Some(SavedTabs { tabs: vec![tab], active: 0 })
    }
}

/// Why the settings could not be read or written. Messages say what failed, why, then the path.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The file exists but could not be read.
    #[error("could not read the settings: {source} ({})", path.display())]
    Read {
        /// The settings file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a JSON object.
    #[error("could not understand the settings file: {source} ({})", path.display())]
    Parse {
        /// The settings file.
        path: PathBuf,
        /// The JSON error.
        source: serde_json::Error,
    },
    /// The file was written by a newer version of the app: it is not used, and must not be
    /// written over.
    #[error(transparent)]
    Newer(#[from] NewerFile),
    /// The file could not be written.
    #[error("could not save the settings: {source} ({})", path.display())]
    Write {
        /// The settings file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// The platform config dir of the app (`~/.config/inkeep-explorer` on Linux), when the
/// platform has one.
pub fn default_config_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("com", "Inkeep", "inkeep-explorer")
        .map(|dirs| dirs.config_dir().to_path_buf())
}

impl Settings {
    /// The settings file inside `config_dir`.
    pub fn path_in(config_dir: &Path) -> PathBuf {
        config_dir.join(SETTINGS_FILE_NAME)
    }

    /// Reads the settings from `config_dir`; a missing file gives the defaults. A file from a
    /// newer version is [`SettingsError::Newer`]: the caller uses the defaults and does not
    /// save over it.
    pub fn load(config_dir: &Path) -> Result<Settings, SettingsError> {
        let path = Settings::path_in(config_dir);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Settings::default()),
            Err(source) => return Err(SettingsError::Read { path, source }),
        };
        let file: Value = match serde_json::from_slice(&bytes) {
            Ok(file) => file,
            Err(source) => return Err(SettingsError::Parse { path, source }),
        };
        file_version::check("settings", file_version::version_of(&file), SCHEMA_VERSION, &path)?;
        serde_json::from_value(file).map_err(|source| SettingsError::Parse { path, source })
    }

    /// Writes the settings into `config_dir` atomically, creating the directory if needed.
    pub fn save(&self, config_dir: &Path) -> Result<(), SettingsError> {
        let path = Settings::path_in(config_dir);
        let bytes = match file_version::to_versioned_json(self, SCHEMA_VERSION) {
            Ok(bytes) => bytes,
            Err(err) => return Err(SettingsError::Write { path, source: std::io::Error::other(err) }),
        };
        // Owner-only, like presets and history (and like the temporary file it used to be).
        match write_atomic(&path, |out| out.write_all(&bytes)) {
            Ok(_) => Ok(()),
            Err(source) => Err(SettingsError::Write { path, source }),
        }
    }
}

/// Deserialises a field, falling back to its default when the stored value no longer fits
/// (an enum variant renamed, a query model changed): one stale field must not cost the user
/// every other setting.
fn lenient<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned + Default,
{
    let value = Value::deserialize(deserializer)?;
    Ok(serde_json::from_value(value).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::query::{Selection, TimeUnit};

    #[test]
    fn tabs_round_trip_and_a_damaged_file_is_moved_aside() {
        let dir = tempfile::tempdir().unwrap();
        assert!(SavedTabs::load(dir.path()).tabs.is_none());
        let tabs = SavedTabs {
            tabs: vec![
                SavedTab { id: 3, name: Some("Mine".into()), ..SavedTab::default() },
                SavedTab { id: 7, view: Some("chart".into()), ..SavedTab::default() },
            ],
            active: 1,
        };
        tabs.save(dir.path()).unwrap();
        assert_eq!(SavedTabs::load(dir.path()).tabs, Some(tabs));

        std::fs::write(SavedTabs::path_in(dir.path()), "{ not json").unwrap();
        let loaded = SavedTabs::load(dir.path());
        assert!(loaded.tabs.is_none());
        assert!(loaded.read_only.is_none());
        assert!(loaded.notice.unwrap().contains("moved aside"));
        assert!(!SavedTabs::path_in(dir.path()).exists(), "the damaged file is out of the way");
    }

    #[test]
    fn settings_and_tabs_files_carry_their_version_and_reload() {
        let dir = tempfile::tempdir().unwrap();
        let settings = Settings { theme: ThemeSetting::Dark, ..Settings::default() };
        settings.save(dir.path()).unwrap();
        let tabs = SavedTabs { tabs: vec![SavedTab { id: 2, ..SavedTab::default() }], active: 0 };
        tabs.save(dir.path()).unwrap();
        for (file, version) in [(SETTINGS_FILE_NAME, SCHEMA_VERSION), (TABS_FILE_NAME, TABS_SCHEMA_VERSION)] {
            let written: Value =
                serde_json::from_slice(&std::fs::read(dir.path().join(file)).unwrap()).unwrap();
            assert_eq!(file_version::version_of(&written), version, "{file}");
        }
        assert_eq!(Settings::load(dir.path()).unwrap(), settings);
        let loaded = SavedTabs::load(dir.path());
        assert_eq!(loaded.tabs, Some(tabs));
        assert!(loaded.read_only.is_none() && loaded.notice.is_none());

        // Files from before versions (no schemaVersion) load as they always did.
        std::fs::write(Settings::path_in(dir.path()), r#"{"theme":"light"}"#).unwrap();
        assert_eq!(Settings::load(dir.path()).unwrap().theme, ThemeSetting::Light);
        std::fs::write(SavedTabs::path_in(dir.path()), r#"{"tabs":[{"id":5}],"active":0}"#).unwrap();
        assert_eq!(SavedTabs::load(dir.path()).tabs.unwrap().tabs[0].id, 5);
    }

    #[test]
    fn newer_settings_and_tabs_files_are_refused_read_only() {
        let dir = tempfile::tempdir().unwrap();
        let settings = format!(r#"{{"schemaVersion": {}, "theme": "dark"}}"#, SCHEMA_VERSION + 1);
        std::fs::write(Settings::path_in(dir.path()), &settings).unwrap();
        let err = Settings::load(dir.path()).unwrap_err();
        assert!(matches!(err, SettingsError::Newer(_)), "{err}");
        assert!(err.to_string().contains("newer version") && err.to_string().contains(SETTINGS_FILE_NAME));

        // Tabs are restored as far as this version reads them, and marked never to be written.
        let tabs = format!(
            r#"{{"schemaVersion": {}, "tabs": [{{"id": 4, "name": "Later"}}]}}"#,
            TABS_SCHEMA_VERSION + 1
        );
        std::fs::write(SavedTabs::path_in(dir.path()), &tabs).unwrap();
        let loaded = SavedTabs::load(dir.path());
        assert_eq!(loaded.tabs.unwrap().tabs[0].name.as_deref(), Some("Later"));
        assert!(loaded.read_only.unwrap().contains("newer version"));
        assert!(loaded.notice.unwrap().contains("will not be saved"));
        // One whose shape this version cannot read is not restored, and not moved aside either.
        let reshaped =
            format!(r#"{{"schemaVersion": {}, "tabs": {{"byId": {{}}}}}}"#, TABS_SCHEMA_VERSION + 1);
        std::fs::write(SavedTabs::path_in(dir.path()), &reshaped).unwrap();
        let loaded = SavedTabs::load(dir.path());
        assert!(loaded.tabs.is_none() && loaded.read_only.is_some());
        assert_eq!(std::fs::read_to_string(SavedTabs::path_in(dir.path())).unwrap(), reshaped);
        assert_eq!(std::fs::read_to_string(Settings::path_in(dir.path())).unwrap(), settings);
    }

    #[test]
    fn missing_file_gives_defaults() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Settings::load(dir.path()).unwrap(), Settings::default());
    }

    #[test]
    fn round_trips_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a").join("b");
        let settings = Settings {
            server_url: Some("http://127.0.0.1:9".to_string()),
            connection: ConnectionChoice::Remote,
            theme: ThemeSetting::Dark,
            last_export_dir: Some(PathBuf::from("/home/someone/exports")),
            before_tabs: TabBeforeTabs::default(),
        };
        settings.save(&nested).unwrap();
        assert_eq!(Settings::load(&nested).unwrap(), settings);
        // Only the settings file is left behind: the temporary file was renamed, not copied.
        let names: Vec<_> = std::fs::read_dir(&nested).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from(SETTINGS_FILE_NAME)]);
    }

    #[test]
    fn stale_fields_fall_back_without_losing_the_others() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            Settings::path_in(dir.path()),
            r#"{"serverUrl":"http://x","theme":"purple","lastQuery":{"bogus":1},"unknownNewField":true}"#,
        )
        .unwrap();
        let settings = Settings::load(dir.path()).unwrap();
        assert_eq!(settings.server_url.as_deref(), Some("http://x"));
        assert_eq!(settings.theme, ThemeSetting::System);
        assert_eq!(settings.before_tabs.last_query, None);
    }

    #[test]
    fn a_query_kept_before_tabs_is_read_but_never_written_again() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            Settings::path_in(dir.path()),
            r#"{"theme":"dark","lastQuery":{"select":[{"type":"time","timeUnit":"day"}]},
                "tab":"chart","grid":{"sort":[]}}"#,
        )
        .unwrap();
        let settings = Settings::load(dir.path()).unwrap();
        assert_eq!(settings.theme, ThemeSetting::Dark);
        let saved = settings.before_tabs.to_saved_tabs().expect("the old query becomes a tab");
        let tab = &saved.tabs[0];
        assert_eq!(
            tab.query,
            Some(QueryBody { select: vec![Selection::time(TimeUnit::Day)], ..QueryBody::default() })
        );
        assert_eq!(tab.view.as_deref(), Some("chart"));
        assert!(tab.grid.is_some());

        settings.save(dir.path()).unwrap();
        let text = std::fs::read_to_string(Settings::path_in(dir.path())).unwrap();
        for key in ["lastQuery", "lastDraft", "\"tab\"", "\"grid\"", "\"chart\""] {
            assert!(!text.contains(key), "{key} is kept in tabs.json only: {text}");
        }
        assert!(text.contains("\"theme\": \"dark\""), "{text}");
        assert_eq!(Settings::load(dir.path()).unwrap().before_tabs.to_saved_tabs(), None);
    }

    #[test]
    fn a_file_that_is_not_json_is_an_error_naming_the_path() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(Settings::path_in(dir.path()), "not json").unwrap();
        let err = Settings::load(dir.path()).unwrap_err();
        assert!(err.to_string().contains(SETTINGS_FILE_NAME), "{err}");
    }
}
