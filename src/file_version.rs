//! The format version of the files the app keeps (settings, tabs, presets, history), and the
//! one check every loader makes.
//!
//! Each file carries `"schemaVersion": N`, the format its writer used; a file without it
//! was written before files were versioned and reads as version 0. The rule that lets
//! users upgrade (and go back) without losing anything:
//!
//! - a file of this build's version or older loads, and fields the older writer did not
//!   know take their defaults;
//! - a file from a *newer* version is refused read-only ([`check`] says why in a sentence
//!   for the user): the app keeps running, reads what it can where that is safe, and never
//!   writes over it, so going back to the newer version finds its file as it left it.
//!
//! A version is raised only when a change would make an older build misread the file;
//! adding a field with a default does not need one.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::atomic_file::{self, LoadedJson};

/// The key holding the format version in every versioned file.
pub const VERSION_KEY: &str = "schemaVersion";

/// A file written by a newer version of the app than this one: the reason it is not written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the {what} file was written by a newer version of inkeep-explorer (format {found}; this version \
     understands up to {understood}), so it is left unchanged and changes are not saved ({})",
    path.display()
)]
pub struct NewerFile {
    /// What the file holds ("settings", "tabs", "presets", "history").
    pub what: String,
    /// The version in the file.
    pub found: u32,
    /// The newest version this build reads and writes.
    pub understood: u32,
    /// The file.
    pub path: PathBuf,
}

/// Whether this build may use (and later write) a file of version `found`: yes when it is not
/// newer than `understood`; otherwise the reason, naming `what` and `path`.
pub fn check(what: &str, found: u32, understood: u32, path: &Path) -> Result<(), NewerFile> {
    if found <= understood {
        return Ok(());
    }
    Err(NewerFile { what: what.to_string(), found, understood, path: path.to_path_buf() })
}

/// The version a parsed file declares: its `schemaVersion`, 0 when it has none (written
/// before files were versioned) or when it is not a count (read as the oldest format, whose
/// fields all default). A version too large for `u32` counts as newer than any build.
pub fn version_of(file: &Value) -> u32 {
    match file.get(VERSION_KEY).and_then(Value::as_u64) {
        Some(version) => u32::try_from(version).unwrap_or(u32::MAX),
        None => 0,
    }
}

/// `body` as pretty JSON with `"schemaVersion": version` as its first key. `body` must
/// serialise to a JSON object.
pub fn to_versioned_json<T: Serialize>(body: &T, version: u32) -> serde_json::Result<Vec<u8>> {
    let fields = match serde_json::to_value(body)? {
        Value::Object(fields) => fields,
        other => {
            return Err(serde::ser::Error::custom(format!(
                "a versioned file must be a JSON object, not {other}"
            )));
        }
    };
    let mut file = Map::with_capacity(fields.len() + 1);
    file.insert(VERSION_KEY.to_string(), Value::from(version));
    for (key, value) in fields {
        if key != VERSION_KEY {
            file.insert(key, value);
        }
    }
    serde_json::to_vec_pretty(&Value::Object(file))
}

/// What [`load_versioned`] found.
#[derive(Debug)]
pub enum LoadedVersioned<T> {
    /// There is no file.
    Missing,
    /// A file of this version or an older one.
    Parsed(T),
    /// A file from a newer version: never to be written. `body` is what this build could
    /// read of it, if anything.
    Newer {
        /// Why it is refused.
        newer: NewerFile,
        /// The file as this build reads it, when it parses.
        body: Option<T>,
    },
    /// The file could not be used; see [`LoadedJson::Unusable`].
    Unusable {
        /// Where the damaged file was moved, if it was.
        moved_aside: Option<PathBuf>,
        /// Why the file must not be written, if it must not.
        read_only: Option<String>,
    },
}

/// A versioned file as a store opens it: what to read, whether it must never be written,
/// and where a damaged file went. [`LoadedVersioned`] flattened for the stores (presets,
/// history) that treat a newer file and an unusable one alike: read what can be read,
/// write nothing.
#[derive(Debug)]
pub struct OpenedVersioned<T> {
    /// The file's contents, when there is a file this build can read.
    pub body: Option<T>,
    /// Why the file must not be written (a newer version's, or one that could not be moved
    /// aside), if it must not.
    pub read_only: Option<String>,
    /// Where a damaged file was moved, if it was.
    pub moved_aside: Option<PathBuf>,
}

/// [`load_versioned`], flattened into an [`OpenedVersioned`].
pub fn open_versioned<T: DeserializeOwned>(path: &Path, what: &str, understood: u32) -> OpenedVersioned<T> {
    match load_versioned(path, what, understood) {
        LoadedVersioned::Missing => OpenedVersioned { body: None, read_only: None, moved_aside: None },
        LoadedVersioned::Parsed(body) => {
            OpenedVersioned { body: Some(body), read_only: None, moved_aside: None }
        }
        LoadedVersioned::Newer { newer, body } => {
            OpenedVersioned { body, read_only: Some(newer.to_string()), moved_aside: None }
        }
        LoadedVersioned::Unusable { moved_aside, read_only } => {
            OpenedVersioned { body: None, read_only, moved_aside }
        }
    }
}

/// Reads a versioned JSON file: checks its version *before* reading its fields (a newer
/// format may not parse as this one, and must not be moved aside as damaged for that), then
/// parses it as `T`. A file that is not JSON, or not in `T`'s shape, is moved aside as
/// [`atomic_file::load_json_file`] does. `what` names the file in messages ("tabs").
pub fn load_versioned<T: DeserializeOwned>(path: &Path, what: &str, understood: u32) -> LoadedVersioned<T> {
    let value: Value = match atomic_file::load_json_file(path, what) {
        LoadedJson::Missing => return LoadedVersioned::Missing,
        LoadedJson::Parsed(value) => value,
        LoadedJson::Unusable { moved_aside, read_only } => {
            return LoadedVersioned::Unusable { moved_aside, read_only };
        }
    };
    if let Err(newer) = check(what, version_of(&value), understood, path) {
        let body = serde_json::from_value(value).ok();
        return LoadedVersioned::Newer { newer, body };
    }
    match serde_json::from_value(value) {
        Ok(body) => LoadedVersioned::Parsed(body),
        Err(err) => {
            tracing::warn!(%err, path = %path.display(), "the {what} file does not fit its format; moving it aside");
            match atomic_file::move_aside(path, jiff::Timestamp::now()) {
                Ok(moved) => LoadedVersioned::Unusable { moved_aside: Some(moved), read_only: None },
                Err(move_err) => LoadedVersioned::Unusable {
                    moved_aside: None,
                    read_only: Some(format!(
                        "the {what} file is damaged ({err}) and could not be moved aside: {move_err} ({})",
                        path.display()
                    )),
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Default, Serialize, Deserialize)]
    #[serde(default)]
    struct Body {
        items: Vec<u32>,
    }

    #[test]
    fn this_version_and_older_ones_are_usable_and_newer_ones_are_refused() {
        let path = Path::new("/somewhere/tabs.json");
        assert_eq!(check("tabs", 0, 1, path), Ok(()), "a file from before versions");
        assert_eq!(check("tabs", 1, 1, path), Ok(()), "this version");
        // What the next version will do with a file this one writes.
        assert_eq!(check("tabs", 1, 2, path), Ok(()), "read by the next version");
        let refused = check("tabs", 2, 1, path).unwrap_err();
        let message = refused.to_string();
        assert!(message.contains("newer version") && message.contains("tabs.json"), "{message}");
        assert!(message.contains("format 2") && message.contains("up to 1"), "{message}");
    }

    #[test]
    fn the_version_is_read_from_the_file_and_written_first() {
        assert_eq!(version_of(&serde_json::json!({"items": []})), 0);
        assert_eq!(version_of(&serde_json::json!({"schemaVersion": 3})), 3);
        assert_eq!(version_of(&serde_json::json!({"schemaVersion": 1u64 << 40})), u32::MAX);
        let bytes = to_versioned_json(&Body { items: vec![1] }, 7).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.trim_start_matches(['{', '\n', ' ']).starts_with("\"schemaVersion\": 7"), "{text}");
        assert!(to_versioned_json(&[1, 2], 1).is_err(), "only objects carry a version");
    }

    #[test]
    fn load_versioned_checks_the_version_before_the_shape() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.json");
        assert!(matches!(load_versioned::<Body>(&path, "x", 1), LoadedVersioned::Missing));

        std::fs::write(&path, to_versioned_json(&Body { items: vec![4] }, 1).unwrap()).unwrap();
        match load_versioned::<Body>(&path, "x", 1) {
            LoadedVersioned::Parsed(body) => assert_eq!(body.items, vec![4]),
            other => panic!("{other:?}"),
        }

        // A newer file whose shape changed is refused, not moved aside as damaged.
        let newer = r#"{"schemaVersion": 2, "items": {"now": "an object"}}"#;
        std::fs::write(&path, newer).unwrap();
        match load_versioned::<Body>(&path, "x", 1) {
            LoadedVersioned::Newer { newer, body } => {
                assert_eq!(newer.found, 2);
                assert!(body.is_none());
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(std::fs::read_to_string(&path).unwrap(), newer, "left as it was");

        // The same shape change in a file claiming this version is damage: moved aside.
        std::fs::write(&path, r#"{"schemaVersion": 1, "items": {"now": "an object"}}"#).unwrap();
        match load_versioned::<Body>(&path, "x", 1) {
            LoadedVersioned::Unusable { moved_aside: Some(moved), read_only: None } => {
                assert!(moved.exists())
            }
            other => panic!("{other:?}"),
        }
        assert!(!path.exists());
    }
}
