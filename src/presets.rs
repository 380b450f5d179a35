//! Presets: named queries the user keeps, plus built-in starters.
//!
//! Stored as JSON in the platform config dir (`presets.json`):
//!
//! ```json
//! {"schemaVersion": 1, "presets": [{"id", "name", "description", "view", "query", "createdAt", "updatedAt"}], "hiddenBuiltins": []}
//! ```
//!
//! `view` is the query view the preset queries, by its wire name (`feedback_view`). It is
//! written only for views other than conversations, so a preset without it (every preset
//! written before the other views existed) queries conversations, and conversation presets
//! stay byte-identical to what older versions wrote.
//!
//! Rules that keep presets from being lost:
//! - every write is atomic ([`crate::atomic_file`]): a temporary file, fsync, rename;
//! - a file that does not parse is moved aside to `presets.json.corrupt-<timestamp>`
//!   and the load says so ([`PresetLoadReport`]); a new list starts, and nothing is
//!   written until the user saves something;
//! - one preset that no longer parses (a query model change) is kept verbatim and
//!   written back untouched, while the others load;
//! - a file written by a newer version (a higher `schemaVersion`) or one that cannot be
//!   read (permissions) makes the store read-only rather than risk overwriting it;
//! - every field has a default, so files from older versions load;
//! - importing never overwrites: a name already taken gets a suffix (`Weekly (2)`).
//!
//! Built-in presets ship in `assets/presets.json`. They are not stored in the user's
//! file, so a new version can improve them; deleting one hides it
//! ([`PresetStore::restore_builtins`] brings them back), and they cannot be renamed
//! or edited — duplicate one to change it. Their time filters are relative ("last 30
//! days", "this week"; see [`crate::relative_time`]) and are resolved when they run.
//!
//! Names are unique, compared without regard to case or surrounding spaces.

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::columns::is_published_order_by_field;
use crate::api::query::{Aggregation, Direction, Field, QueryBody, Selection};
use crate::api::view::View;
use crate::atomic_file::{self, AtomicWriter};
use crate::file_version;

/// The name of the presets file inside the config dir.
pub const PRESETS_FILE_NAME: &str = "presets.json";
/// The file format version this build writes and fully understands (see
/// [`crate::file_version`]).
pub const SCHEMA_VERSION: u32 = 1;
/// The built-in presets, as shipped.
const BUILTIN_PRESETS_JSON: &str = include_str!("../assets/presets.json");

/// The platform config dir of the app (`~/.config/inkeep-explorer` on Linux): presets live
/// beside the settings.
pub use crate::settings::default_config_dir;

/// A named query.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Preset {
    /// Stable identifier (names can change).
    pub id: String,
    /// Unique name shown in the list.
    pub name: String,
    /// Optional free text.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The view the query is for (absent in the file: conversations).
    #[serde(skip_serializing_if = "is_conversations")]
    pub view: View,
    /// The query, relative times unresolved.
    pub query: QueryBody,
    /// When it was first saved.
    #[serde(with = "crate::api::timestamp::serde_utc")]
    pub created_at: Timestamp,
    /// When it last changed.
    #[serde(with = "crate::api::timestamp::serde_utc")]
    pub updated_at: Timestamp,
    /// Shipped with the app (read-only).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub builtin: bool,
    /// The grid's initial sort when the preset is opened: result columns the server
    /// cannot sort by (`count`, `countDistinct_…`, path columns), sorted by the client.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub grid_sort: Vec<LocalSort>,
}

/// True for the conversations view, which stored presets and history entries leave unsaid
/// (files from before the other views mean it).
pub(crate) fn is_conversations(view: &View) -> bool {
    *view == View::Conversations
}

/// A sort the grid applies on the client, after the answer arrives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LocalSort {
    /// The result column.
    pub column: String,
    /// Largest first.
    #[serde(default)]
    pub descending: bool,
}

/// What [`migrate_order_by`] changed in one query.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OrderByMigration {
    /// A sort on bare `count` became a sort on `count_id`, and the `count` selection a
    /// count of `id` (the same numbers: `id` is never null).
    pub counted_id: bool,
    /// Sort keys the server cannot sort by, removed from `orderBy`; the grid sorts by
    /// them instead.
    pub moved_to_grid: Vec<LocalSort>,
}

impl OrderByMigration {
    /// True when nothing changed.
    pub fn is_empty(&self) -> bool {
        !self.counted_id && self.moved_to_grid.is_empty()
    }

    /// What changed, in words: `sort by count now uses count_id; sort by properties.source
    /// now happens in the grid`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.counted_id {
            parts.push("sort by count now counts id and sorts by count_id".to_string());
        }
        for sort in &self.moved_to_grid {
            parts.push(format!("sort by {} now happens in the grid", sort.column));
        }
        parts.join("; ")
    }
}

/// Brings a query on `view` written under the old, looser sort rules inside the published
/// schema: an `orderBy` on bare `count`, where the query selects a `count` of rows, becomes
/// a sort on `count_id` with that selection rewritten to the count of `id` (every view has
/// an `id`, never null); any other key outside the view's published set
/// ([`is_published_order_by_field`]) is removed and returned as a grid sort. Keys already
/// in the set are left alone.
pub fn migrate_order_by(view: View, query: &mut QueryBody) -> OrderByMigration {
    let mut migration = OrderByMigration::default();
    if query.order_by.iter().all(|o| is_published_order_by_field(view, &o.field)) {
        return migration;
    }
    let is_row_count = |s: &Selection| {
        matches!(
            s,
            Selection::Aggregation { aggregation: Aggregation::Count, field: None, path }
                if path.as_ref().is_none_or(Vec::is_empty)
        )
    };
    let count_id = Selection::aggregate(Aggregation::Count, Field::Id);
    let mut kept = Vec::new();
    for entry in std::mem::take(&mut query.order_by) {
        if is_published_order_by_field(view, &entry.field) {
            kept.push(entry);
        } else if entry.field == "count" && query.select.iter().any(is_row_count) {
            migration.counted_id = true;
            kept.push(crate::api::query::OrderBy { field: "count_id".to_string(), ..entry });
        } else {
            let descending = entry.direction == Direction::Desc;
            migration.moved_to_grid.push(LocalSort { column: entry.field, descending });
        }
    }
    if migration.counted_id {
        // One `count_id` column, where the first `count` was.
        let mut placed = query.select.contains(&count_id);
        query.select.retain_mut(|s| {
            if !is_row_count(s) {
                return true;
            }
            if placed {
                return false;
            }
            *s = count_id.clone();
            placed = true;
            true
        });
    }
    // `count` and `count_id` both sorted: the rewritten key repeats an earlier one.
    let mut seen = std::collections::HashSet::new();
    kept.retain(|o| seen.insert(o.field.clone()));
    query.order_by = kept;
    migration
}

/// Migrates a preset's query on its view ([`migrate_order_by`]); keys moved to the grid
/// join its grid sort. Returns the change in words, naming the preset, when something
/// changed.
fn migrate_preset(preset: &mut Preset) -> Option<String> {
    let migration = migrate_order_by(preset.view, &mut preset.query);
    if migration.is_empty() {
        return None;
    }
    for sort in &migration.moved_to_grid {
        if !preset.grid_sort.iter().any(|s| s.column == sort.column) {
            preset.grid_sort.push(sort.clone());
        }
    }
    Some(format!("“{}”: {}", preset.name, migration.describe()))
}

/// The file as stored.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct PresetFile {
    schema_version: u32,
    /// Raw entries, so one bad preset does not cost the others.
    presets: Vec<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hidden_builtins: Vec<String>,
}

/// Why a preset operation failed. Messages say what failed, why, then the path.
#[derive(Debug, thiserror::Error)]
pub enum PresetError {
    /// The name is empty.
    #[error("a preset needs a name")]
    EmptyName,
    /// Another preset has this name.
    #[error("there is already a preset named \"{name}\"; choose another name")]
    NameTaken {
        /// The name asked for.
        name: String,
    },
    /// No preset has this id.
    #[error("there is no preset with id `{id}`")]
    NotFound {
        /// The id asked for.
        id: String,
    },
    /// Built-in presets cannot be changed.
    #[error("\"{name}\" is a built-in preset and cannot be changed; duplicate it and change the copy")]
    Builtin {
        /// Its name.
        name: String,
    },
    /// The store must not write (newer file format, unreadable file).
    #[error("presets cannot be saved: {reason}")]
    ReadOnly {
        /// Why.
        reason: String,
    },
    /// Writing a file failed.
    #[error("could not save the presets: {source} ({})", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// An import file could not be read.
    #[error("could not read the presets to import: {message} ({})", path.display())]
    Import {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

/// Why [`find_preset_query`] found no query.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PresetLookupError {
    /// No visible preset has this name.
    #[error("there is no preset named \"{name}\"; the presets are: {}", quoted_names(available))]
    NotFound {
        /// The name asked for.
        name: String,
        /// The names of every visible preset (built-in ones first), to choose from.
        available: Vec<String>,
    },
}

fn quoted_names(names: &[String]) -> String {
    if names.is_empty() {
        return "(none)".to_string();
    }
    names.iter().map(|name| format!("\"{name}\"")).collect::<Vec<_>>().join(", ")
}

/// The query of the preset named `name` (case and surrounding spaces ignored), else of the
/// preset whose id is `name` (a built-in also answers to its id without `builtin-`): the user's
/// presets in `config_dir` (none when `None`) and the built-in ones. Relative times stay
/// unresolved; whoever runs it resolves them. The query only: [`find_preset`] also says
/// which view it is for.
pub fn find_preset_query(config_dir: Option<&Path>, name: &str) -> Result<QueryBody, PresetLookupError> {
    find_preset(config_dir, name).map(|preset| preset.query)
}

/// [`find_preset_query`], with the whole preset: its view, and its name (which titles the
/// window's tab). Used by `--preset NAME` of the window and of `run`.
pub fn find_preset(config_dir: Option<&Path>, name: &str) -> Result<Preset, PresetLookupError> {
    // Only look: a damaged file is left where it is for the window to move aside and
    // report (opening the store here would move it silently).
    let intact = |dir: &Path| match atomic_file::read_if_exists(&dir.join(PRESETS_FILE_NAME)) {
        Ok(Some(bytes)) => serde_json::from_slice::<Value>(&bytes).is_ok(),
        Ok(None) => true,
        Err(_) => false,
    };
    let store = match config_dir {
        Some(dir) if intact(dir) => PresetStore::open(dir).0,
        _ => PresetStore::in_memory(),
    };
    // A built-in's id is a stable slug (`conversations-per-day-by-type`), handy in scripts
    // that should not break when a name is reworded.
    let slug = name.trim();
    let by_id =
        || store.list().into_iter().find(|p| p.id == slug || p.id.strip_prefix("builtin-") == Some(slug));
    match store.find_by_name(name).or_else(by_id) {
        Some(preset) => Ok(preset.clone()),
        None => Err(PresetLookupError::NotFound {
            name: name.trim().to_string(),
            available: store.list().iter().map(|p| p.name.clone()).collect(),
        }),
    }
}

/// What happened while loading, for the UI to tell the user.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PresetLoadReport {
    /// The damaged file was moved here; the list started empty.
    pub moved_aside: Option<PathBuf>,
    /// Entries that did not parse; they are kept in the file untouched.
    pub unreadable_count: usize,
    /// Why the store will not write, if it will not.
    pub read_only: Option<String>,
    /// Presets brought inside the published sort rules, each as "“name”: what changed".
    pub migrated: Vec<String>,
    /// Writing the migrated presets back failed (they are migrated in memory).
    pub migration_write_error: Option<String>,
}

impl PresetLoadReport {
    /// A sentence for the user, when there is something to say.
    pub fn message(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(path) = &self.moved_aside {
            parts.push(format!(
                "The presets file could not be read, so it was kept as {} and a new list was started.",
                path.display()
            ));
        }
        if self.unreadable_count > 0 {
            parts.push(format!(
                "{} preset(s) could not be read by this version; they are kept in the file unchanged.",
                self.unreadable_count
            ));
        }
        if let Some(reason) = &self.read_only {
            parts.push(format!("Presets are read-only: {reason}"));
        }
        if !self.migrated.is_empty() {
            parts.push(format!(
                "Updated to the server's sort rules (the server cannot sort by every column): {}.",
                self.migrated.join("; ")
            ));
        }
        if let Some(error) = &self.migration_write_error {
            parts.push(format!("The updated presets could not be saved: {error}"));
        }
        if parts.is_empty() { None } else { Some(parts.join(" ")) }
    }
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImportReport {
    /// Names of the presets added (after any renaming).
    pub added: Vec<String>,
    /// Presets whose name was taken: (name in the file, name given).
    pub renamed: Vec<(String, String)>,
    /// Presets identical to one already present (same name, description, view and query).
    pub already_present: Vec<String>,
    /// Entries that could not be read, with the reason.
    pub skipped: Vec<String>,
    /// Presets brought inside the published sort rules, each as "“name”: what changed".
    pub migrated: Vec<String>,
}

/// The user's presets and the built-in ones.
#[derive(Debug, Clone)]
pub struct PresetStore {
    /// The file; `None` keeps everything in memory.
    path: Option<PathBuf>,
    builtins: Vec<Preset>,
    user: Vec<Preset>,
    hidden_builtins: Vec<String>,
    unreadable: Vec<Value>,
    read_only: Option<String>,
    id_counter: u64,
}

/// The built-in presets shipped in `assets/presets.json`.
pub fn builtin_presets() -> Vec<Preset> {
    let file: PresetFile = match serde_json::from_str(BUILTIN_PRESETS_JSON) {
        Ok(file) => file,
        Err(err) => {
            tracing::error!(%err, "the built-in presets do not parse");
            return Vec::new();
        }
    };
    file.presets
        .into_iter()
        .filter_map(|value| match serde_json::from_value::<Preset>(value) {
            Ok(preset) => Some(Preset { builtin: true, ..preset }),
            Err(err) => {
                tracing::error!(%err, "a built-in preset does not parse");
                None
            }
        })
        .collect()
}

/// Names compare without case or surrounding spaces.
fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// True when `name` is `base`, or `base` with an import suffix (`base (2)`).
fn is_same_or_suffixed(name: &str, base: &str) -> bool {
    let (name, base) = (name_key(name), name_key(base));
    name == base
        || name
            .strip_prefix(&base)
            .and_then(|rest| rest.strip_prefix(" ("))
            .and_then(|rest| rest.strip_suffix(')'))
            .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
}

impl PresetStore {
    /// A store that is never written (for tests and for running without a config dir).
    pub fn in_memory() -> PresetStore {
        PresetStore {
            path: None,
            builtins: builtin_presets(),
            user: Vec::new(),
            hidden_builtins: Vec::new(),
            unreadable: Vec::new(),
            read_only: None,
            id_counter: 0,
        }
    }

    /// Loads `presets.json` from `config_dir` (a missing file is an empty list). Never
    /// fails: problems are in the report, and leave the store read-only where writing
    /// could lose something.
    pub fn open(config_dir: &Path) -> (PresetStore, PresetLoadReport) {
        let path = config_dir.join(PRESETS_FILE_NAME);
        let mut store = PresetStore { path: Some(path.clone()), ..PresetStore::in_memory() };
        let mut report = PresetLoadReport::default();
        // A newer file's version is checked before its shape, so a format change cannot get
        // it moved aside as damaged; what of it this version reads is shown, never written.
        let opened = file_version::open_versioned::<PresetFile>(&path, "presets", SCHEMA_VERSION);
        store.read_only.clone_from(&opened.read_only);
        report.read_only = opened.read_only;
        report.moved_aside = opened.moved_aside;
        let Some(file) = opened.body else { return (store, report) };
        for value in file.presets {
            match serde_json::from_value::<Preset>(value.clone()) {
                Ok(mut preset) => {
                    report.migrated.extend(migrate_preset(&mut preset));
                    store.user.push(Preset { builtin: false, ..preset });
                }
                Err(err) => {
                    tracing::warn!(%err, "a preset does not parse; keeping it unchanged");
                    store.unreadable.push(value);
                }
            }
        }
        report.unreadable_count = store.unreadable.len();
        store.hidden_builtins = file.hidden_builtins;
        if !report.migrated.is_empty() {
            // Rewritten now (atomically), so the file on disk is what the app sends; a
            // read-only store keeps the old file and migrates again on the next load.
            let written = match &store.read_only {
                Some(reason) => Err(reason.clone()),
                None => store.write(&store.user, &store.hidden_builtins).map_err(|err| err.to_string()),
            };
            report.migration_write_error = written.err();
        }
        (store, report)
    }

    /// The file this store writes, if any.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Why the store will not write, if it will not.
    pub fn read_only_reason(&self) -> Option<&str> {
        self.read_only.as_deref()
    }

    /// How many built-in presets are hidden ([`restore_builtins`](PresetStore::restore_builtins)
    /// shows them again).
    pub fn hidden_builtin_count(&self) -> usize {
        self.builtins.iter().filter(|p| self.hidden_builtins.contains(&p.id)).count()
    }

    /// Every visible preset: built-ins first (as shipped), then the user's by name.
    pub fn list(&self) -> Vec<&Preset> {
        let mut user: Vec<&Preset> = self.user.iter().collect();
        user.sort_by_cached_key(|p| (name_key(&p.name), p.created_at));
        self.builtins.iter().filter(|p| !self.hidden_builtins.contains(&p.id)).chain(user).collect()
    }

    /// The presets whose name or description contains `text` (case-insensitive), in
    /// [`list`](PresetStore::list) order; every preset for blank text.
    pub fn search(&self, text: &str) -> Vec<&Preset> {
        let needle = text.trim().to_lowercase();
        self.list()
            .into_iter()
            .filter(|p| {
                needle.is_empty()
                    || p.name.to_lowercase().contains(&needle)
                    || p.description.to_lowercase().contains(&needle)
            })
            .collect()
    }

    /// The preset with this id (hidden built-ins included).
    pub fn get(&self, id: &str) -> Option<&Preset> {
        self.user.iter().chain(&self.builtins).find(|p| p.id == id)
    }

    /// The visible preset with this name (case-insensitive).
    pub fn find_by_name(&self, name: &str) -> Option<&Preset> {
        let key = name_key(name);
        self.list().into_iter().find(|p| name_key(&p.name) == key)
    }

    /// Saves `query` on `view` as a new preset and returns its id.
    pub fn save_new(
        &mut self,
        name: &str,
        description: Option<&str>,
        view: View,
        query: QueryBody,
    ) -> Result<String, PresetError> {
        self.save_new_with_grid_sort(name, description, view, query, Vec::new())
    }

    fn save_new_with_grid_sort(
        &mut self,
        name: &str,
        description: Option<&str>,
        view: View,
        query: QueryBody,
        grid_sort: Vec<LocalSort>,
    ) -> Result<String, PresetError> {
        let name = self.check_name(name, None)?;
        let now = Timestamp::now();
        let id = self.new_id(now);
        let preset = Preset {
            id: id.clone(),
            name,
            description: description.unwrap_or_default().trim().to_string(),
            view,
            query,
            created_at: now,
            updated_at: now,
            builtin: false,
            grid_sort,
        };
        self.mutate(|user, _| {
            user.push(preset);
            Ok(())
        })?;
        Ok(id)
    }

    /// Replaces the query of a user preset, and its view ("save over").
    pub fn update_query(&mut self, id: &str, view: View, query: QueryBody) -> Result<(), PresetError> {
        self.edit(id, |preset| {
            preset.view = view;
            preset.query = query;
        })
    }

    /// Changes the description of a user preset.
    pub fn set_description(&mut self, id: &str, description: &str) -> Result<(), PresetError> {
        let description = description.trim().to_string();
        self.edit(id, |preset| preset.description = description)
    }

    /// Renames a user preset; the new name must be free (its own name in another case is
    /// fine).
    pub fn rename(&mut self, id: &str, new_name: &str) -> Result<(), PresetError> {
        let name = self.check_name(new_name, Some(id))?;
        self.edit(id, |preset| preset.name = name)
    }

    /// Copies a preset (built-in or not) as a user preset named "`<name> (copy)`" (or
    /// "(copy 2)"…), and returns the copy's id.
    pub fn duplicate(&mut self, id: &str) -> Result<String, PresetError> {
        let original = self.get(id).cloned().ok_or_else(|| PresetError::NotFound { id: id.to_string() })?;
        let mut name = format!("{} (copy)", original.name);
        let mut attempt = 2;
        while self.find_by_name(&name).is_some() {
            name = format!("{} (copy {attempt})", original.name);
            attempt += 1;
        }
        self.save_new_with_grid_sort(
            &name,
            Some(&original.description),
            original.view,
            original.query,
            original.grid_sort,
        )
    }

    /// Deletes a user preset, or hides a built-in one.
    pub fn delete(&mut self, id: &str) -> Result<(), PresetError> {
        if self.builtins.iter().any(|p| p.id == id) {
            let id = id.to_string();
            return self.mutate(|_, hidden| {
                if !hidden.contains(&id) {
                    hidden.push(id);
                }
                Ok(())
            });
        }
        let id = id.to_string();
        self.mutate(|user, _| {
            let before = user.len();
            user.retain(|p| p.id != id);
            if user.len() == before { Err(PresetError::NotFound { id }) } else { Ok(()) }
        })
    }

    /// Shows every built-in preset again.
    pub fn restore_builtins(&mut self) -> Result<(), PresetError> {
        self.mutate(|_, hidden| {
            hidden.clear();
            Ok(())
        })
    }

    /// Writes presets to `path` for sharing (the same format as the store's file):
    /// those with the given ids, or every user preset when `ids` is empty. Returns how
    /// many were written.
    pub fn export_to(&self, path: &Path, ids: &[String]) -> Result<usize, PresetError> {
        let chosen: Vec<Preset> = if ids.is_empty() {
            self.user.clone()
        } else {
            ids.iter()
                .map(|id| self.get(id).cloned().ok_or_else(|| PresetError::NotFound { id: id.clone() }))
                .collect::<Result<_, _>>()?
        };
        let file = PresetFile {
            schema_version: SCHEMA_VERSION,
            presets: chosen
                .iter()
                .map(|p| serde_json::to_value(Preset { builtin: false, ..p.clone() }))
                .collect::<Result<_, _>>()
                .map_err(|err| PresetError::Write {
                    path: path.to_path_buf(),
                    source: std::io::Error::other(err),
                })?,
            hidden_builtins: Vec::new(),
        };
        let write = || -> std::io::Result<()> {
            let mut writer = AtomicWriter::create(path)?;
            serde_json::to_writer_pretty(&mut writer, &file).map_err(std::io::Error::other)?;
            std::io::Write::write_all(&mut writer, b"\n")?;
            writer.commit()?;
            Ok(())
        };
        write().map_err(|source| PresetError::Write { path: path.to_path_buf(), source })?;
        Ok(chosen.len())
    }

    /// Adds the presets in a shared file: a presets file, an array of presets, or one
    /// preset. Imported presets get new ids; a name already taken gets " (2)", " (3)"…;
    /// a preset identical to one present (name, description, view and query) is not added
    /// twice. Entries that do not parse are skipped and reported.
    pub fn import_from(&mut self, path: &Path) -> Result<ImportReport, PresetError> {
        let import_error = |message: String| PresetError::Import { path: path.to_path_buf(), message };
        let bytes = std::fs::read(path).map_err(|err| import_error(err.to_string()))?;
        let value: Value = serde_json::from_slice(&bytes).map_err(|err| import_error(err.to_string()))?;
        let entries = match value {
            Value::Array(items) => items,
            Value::Object(ref object) if object.contains_key("presets") => {
                let file: PresetFile =
                    serde_json::from_value(value).map_err(|err| import_error(err.to_string()))?;
                file.presets
            }
            Value::Object(_) => vec![value],
            _ => {
                return Err(import_error(
                    "expected a presets file, an array of presets or one preset".into(),
                ));
            }
        };
        let mut report = ImportReport::default();
        let mut incoming = Vec::new();
        for (index, entry) in entries.into_iter().enumerate() {
            match serde_json::from_value::<Preset>(entry) {
                Ok(mut preset) => {
                    report.migrated.extend(migrate_preset(&mut preset));
                    incoming.push(preset);
                }
                Err(err) => report.skipped.push(format!("entry {}: {err}", index + 1)),
            }
        }
        let now = Timestamp::now();
        let mut added: Vec<Preset> = Vec::new();
        for preset in incoming {
            let original_name = if preset.name.trim().is_empty() {
                "Imported preset".to_string()
            } else {
                preset.name.trim().to_string()
            };
            let description = preset.description.trim().to_string();
            let taken = |name: &str| {
                self.find_by_name(name).is_some() || added.iter().any(|p| name_key(&p.name) == name_key(name))
            };
            // The same preset, perhaps renamed "Name (2)" by an earlier import of this file.
            let identical = self.list().into_iter().chain(added.iter()).any(|p| {
                is_same_or_suffixed(&p.name, &original_name)
                    && p.description == description
                    && p.view == preset.view
                    && p.query == preset.query
                    && p.grid_sort == preset.grid_sort
            });
            if identical {
                report.already_present.push(original_name);
                continue;
            }
            let mut name = original_name.clone();
            let mut attempt = 2;
            while taken(&name) {
                name = format!("{original_name} ({attempt})");
                attempt += 1;
            }
            if name != original_name {
                report.renamed.push((original_name, name.clone()));
            }
            report.added.push(name.clone());
            let created_at = if preset.created_at.as_second() == 0 { now } else { preset.created_at };
            let id = self.new_id(now);
            added.push(Preset {
                id,
                name,
                description,
                view: preset.view,
                query: preset.query,
                created_at,
                updated_at: now,
                builtin: false,
                grid_sort: preset.grid_sort,
            });
        }
        if !added.is_empty() {
            self.mutate(|user, _| {
                user.extend(added);
                Ok(())
            })?;
        }
        Ok(report)
    }

    /// A trimmed, free name (`own_id` may keep its own name).
    fn check_name(&self, name: &str, own_id: Option<&str>) -> Result<String, PresetError> {
        let trimmed = name.trim();
        if trimmed.is_empty() {
            return Err(PresetError::EmptyName);
        }
        match self.find_by_name(trimmed) {
            Some(existing) if Some(existing.id.as_str()) != own_id => {
                Err(PresetError::NameTaken { name: trimmed.to_string() })
            }
            _ => Ok(trimmed.to_string()),
        }
    }

    fn new_id(&mut self, now: Timestamp) -> String {
        loop {
            self.id_counter += 1;
            let id = format!("p{:x}-{:x}", now.as_millisecond(), self.id_counter);
            if self.get(&id).is_none() {
                return id;
            }
        }
    }

    /// Changes one user preset and stamps `updatedAt`.
    fn edit(&mut self, id: &str, change: impl FnOnce(&mut Preset)) -> Result<(), PresetError> {
        if let Some(builtin) = self.builtins.iter().find(|p| p.id == id) {
            return Err(PresetError::Builtin { name: builtin.name.clone() });
        }
        let id = id.to_string();
        self.mutate(|user, _| {
            let preset = user
                .iter_mut()
                .find(|p| p.id == id)
                .ok_or_else(|| PresetError::NotFound { id: id.clone() })?;
            change(preset);
            preset.updated_at = Timestamp::now();
            Ok(())
        })
    }

    /// Applies a change to copies of the stored parts, writes them, and only then keeps
    /// them: a failed write leaves the store as it was.
    fn mutate<T>(
        &mut self,
        change: impl FnOnce(&mut Vec<Preset>, &mut Vec<String>) -> Result<T, PresetError>,
    ) -> Result<T, PresetError> {
        if let Some(reason) = &self.read_only {
            return Err(PresetError::ReadOnly { reason: reason.clone() });
        }
        let mut user = self.user.clone();
        let mut hidden = self.hidden_builtins.clone();
        let result = change(&mut user, &mut hidden)?;
        self.write(&user, &hidden)?;
        self.user = user;
        self.hidden_builtins = hidden;
        Ok(result)
    }

    fn write(&self, user: &[Preset], hidden: &[String]) -> Result<(), PresetError> {
        let Some(path) = &self.path else { return Ok(()) };
        let write_error = |source: std::io::Error| PresetError::Write { path: path.clone(), source };
        let mut presets: Vec<Value> = user
            .iter()
            .map(serde_json::to_value)
            .collect::<Result<_, _>>()
            .map_err(|err| write_error(std::io::Error::other(err)))?;
        // Entries this version could not read go back as they were.
        presets.extend(self.unreadable.iter().cloned());
        let file = PresetFile { schema_version: SCHEMA_VERSION, presets, hidden_builtins: hidden.to_vec() };
        let bytes =
            serde_json::to_vec_pretty(&file).map_err(|err| write_error(std::io::Error::other(err)))?;
        atomic_file::write_atomic(path, |w| {
            w.write_all(&bytes)?;
            w.write_all(b"\n")
        })
        .map_err(write_error)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::query::parse_query;

    fn migrated(json: &str) -> (QueryBody, OrderByMigration) {
        let mut query = parse_query(json).unwrap();
        let migration = migrate_order_by(View::Conversations, &mut query);
        (query, migration)
    }

    #[test]
    fn a_count_sort_becomes_count_id_once() {
        // `count` and `count_id` both selected and sorted: one column, one key.
        let (query, migration) = migrated(
            r#"{"select":[{"type":"aggregation","aggregation":"count"},
                {"type":"aggregation","aggregation":"count","field":"id"}],
                "orderBy":[{"field":"count","direction":"desc"},{"field":"count_id","direction":"asc"}]}"#,
        );
        assert!(migration.counted_id);
        assert_eq!(query.select, [Selection::aggregate(Aggregation::Count, Field::Id)]);
        assert_eq!(query.order_by.len(), 1);
        assert_eq!(query.order_by[0].field, "count_id");
        assert_eq!(query.order_by[0].direction, Direction::Desc);
    }

    #[test]
    fn a_count_sort_without_a_row_count_moves_to_the_grid() {
        // No bare `count` selection to rewrite: nothing equivalent exists.
        let (query, migration) = migrated(
            r#"{"select":[{"type":"aggregation","aggregation":"count","field":"type"}],
                "orderBy":[{"field":"count","direction":"asc"}]}"#,
        );
        assert!(!migration.counted_id);
        assert_eq!(migration.moved_to_grid, [LocalSort { column: "count".into(), descending: false }]);
        assert!(query.order_by.is_empty());
        assert_eq!(migration.describe(), "sort by count now happens in the grid");
    }

    #[test]
    fn published_sorts_are_left_alone() {
        let json = r#"{"select":[{"type":"time","timeUnit":"day"},{"type":"aggregation","aggregation":"count"}],
            "orderBy":[{"field":"firstMessageTime_day","direction":"asc"}]}"#;
        let (query, migration) = migrated(json);
        assert!(migration.is_empty());
        assert_eq!(query, parse_query(json).unwrap(), "a bare count that is not sorted by stays");
        for entry in &query.order_by {
            assert!(is_published_order_by_field(View::Conversations, &entry.field));
        }
    }

    #[test]
    fn migration_uses_the_view_of_the_query() {
        // `createdAt_week` is published for feedback, not for conversations.
        let json = r#"{"select":[{"type":"time","timeUnit":"week","field":"createdAt"},
            {"type":"aggregation","aggregation":"count"}],
            "orderBy":[{"field":"createdAt_week","direction":"asc"},{"field":"count","direction":"desc"}]}"#;
        let mut feedback = parse_query(json).unwrap();
        let migration = migrate_order_by(View::Feedback, &mut feedback);
        assert!(migration.counted_id);
        assert!(migration.moved_to_grid.is_empty(), "{migration:?}");
        let keys: Vec<&str> = feedback.order_by.iter().map(|o| o.field.as_str()).collect();
        assert_eq!(keys, ["createdAt_week", "count_id"]);
        // On conversations the same bucket is another view's field: it moves to the grid.
        let (_, on_conversations) = migrated(json);
        assert_eq!(
            on_conversations.moved_to_grid,
            [LocalSort { column: "createdAt_week".into(), descending: false }]
        );
    }

    #[test]
    fn the_view_is_written_only_when_it_is_not_conversations() {
        let conversations = Preset { name: "c".into(), ..Preset::default() };
        let value = serde_json::to_value(&conversations).unwrap();
        assert!(value.get("view").is_none(), "{value}");
        let feedback = Preset { name: "f".into(), view: View::Feedback, ..Preset::default() };
        let value = serde_json::to_value(&feedback).unwrap();
        assert_eq!(value["view"], "feedback_view");
        assert_eq!(serde_json::from_value::<Preset>(value).unwrap().view, View::Feedback);
    }
}
