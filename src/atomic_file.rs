//! Files that are either completely written or not written at all.
//!
//! Everything the explorer saves (exports, presets, history) goes through this
//! module: the bytes go to a temporary file in the *same directory* as the target,
//! which is flushed, `fsync`ed and then renamed over the target in one step. A
//! reader (or the user's file manager) therefore sees the old file or the complete
//! new one, never half of one. A write that fails or is cancelled removes its
//! temporary file and leaves an existing target untouched.
//!
//! The temporary file lives beside the target, not in `/tmp`, because a rename is
//! only atomic within one file system.
//!
//! - [`write_atomic`]: write a whole file from a closure.
//! - [`AtomicWriter`]: a streaming writer that is [`commit`](AtomicWriter::commit)ted
//!   at the end, or discarded when dropped (exports use it).
//! - [`move_aside`]: rename a damaged file out of the way, keeping it for the user.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use tempfile::NamedTempFile;

/// Buffer size of the writer in front of the temporary file.
const BUFFER_BYTES: usize = 256 * 1024;

/// Who may read a file the writer creates (an existing target keeps its permissions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileAccess {
    /// Readable by others, as a document normally is (`0644` on Unix): exports.
    Shared,
    /// Readable by the owner only (`0600` on Unix): presets, history.
    Private,
}

/// A writer into a temporary file beside `target`, renamed over `target` on
/// [`commit`](AtomicWriter::commit). Dropping it without committing (an error, a
/// cancellation, a panic) deletes the temporary file and leaves `target` as it was.
#[derive(Debug)]
pub struct AtomicWriter {
    target: PathBuf,
    temp_path: PathBuf,
    file: BufWriter<NamedTempFile>,
}

impl AtomicWriter {
    /// Starts writing a document that will replace `target` (readable by others when
    /// new). The directory of `target` must exist.
    pub fn create(target: &Path) -> io::Result<AtomicWriter> {
        AtomicWriter::create_with(target, FileAccess::Shared)
    }

    /// Starts writing a file that will replace `target`, with the given access when
    /// `target` does not exist yet (an existing target keeps its permissions). The
    /// directory of `target` must exist.
    pub fn create_with(target: &Path, access: FileAccess) -> io::Result<AtomicWriter> {
        let dir = parent_dir(target);
        let file_name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if file_name.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("`{}` does not name a file", target.display()),
            ));
        }
        // A name that says what the file will become, hidden on Unix, so a crash that
        // leaves it behind is recognisable rather than a mysterious `.tmpXYZ`.
        let temp =
            tempfile::Builder::new().prefix(&format!(".{file_name}.")).suffix(".partial").tempfile_in(dir)?;
        set_permissions(temp.as_file(), target, access);
        let temp_path = temp.path().to_path_buf();
        Ok(AtomicWriter {
            target: target.to_path_buf(),
            temp_path,
            file: BufWriter::with_capacity(BUFFER_BYTES, temp),
        })
    }

    /// The file this writer will replace on commit.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Where the bytes go until the commit.
    pub fn temp_path(&self) -> &Path {
        &self.temp_path
    }

    /// Flushes, syncs the data to disk and renames the temporary file over the
    /// target. Returns the size of the file in bytes. On error the temporary file is
    /// removed and the target is untouched.
    pub fn commit(self) -> io::Result<u64> {
        let temp = self.file.into_inner().map_err(io::IntoInnerError::into_error)?;
        temp.as_file().sync_all()?;
        let byte_count = temp.as_file().metadata()?.len();
        temp.persist(&self.target).map_err(|err| err.error)?;
        sync_dir(parent_dir(&self.target));
        Ok(byte_count)
    }

    /// Throws the written bytes away (the same as dropping the writer).
    pub fn discard(self) {
        drop(self);
    }
}

impl Write for AtomicWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.file.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Writes `target` atomically with what `fill` writes (buffered), creating its
/// directory if needed. The file is readable by the owner only when new (settings,
/// presets and history are private). Returns the size of the file in bytes. If `fill`
/// fails, nothing is left behind and an existing `target` is untouched.
pub fn write_atomic(target: &Path, fill: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<u64> {
    write_atomic_with(target, FileAccess::Private, fill)
}

/// [`write_atomic`] with the access a new file gets: [`FileAccess::Shared`] for documents the
/// user saves (a chart's CSV, a screenshot), [`FileAccess::Private`] for the app's own files.
pub fn write_atomic_with(
    target: &Path,
    access: FileAccess,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<u64> {
    std::fs::create_dir_all(parent_dir(target))?;
    let mut writer = AtomicWriter::create_with(target, access)?;
    fill(&mut writer)?;
    writer.commit()
}

/// Renames a file that could not be read (`presets.json`) to
/// `presets.json.corrupt-<UTC timestamp>` beside it, so that nothing the user had is
/// lost and the next save does not overwrite it. A numeric suffix keeps an earlier
/// moved-aside file from being replaced. Returns the new path.
pub fn move_aside(path: &Path, now: Timestamp) -> io::Result<PathBuf> {
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    // Timestamp::strftime writes the UTC fields.
    let stamp = now.strftime("%Y%m%dT%H%M%SZ");
    let dir = parent_dir(path);
    let mut candidate = dir.join(format!("{file_name}.corrupt-{stamp}"));
    let mut attempt = 2;
    while candidate.exists() {
        candidate = dir.join(format!("{file_name}.corrupt-{stamp}-{attempt}"));
        attempt += 1;
    }
    std::fs::rename(path, &candidate)?;
    Ok(candidate)
}

/// Reads a whole file; `Ok(None)` when it does not exist.
pub fn read_if_exists(path: &Path) -> io::Result<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err),
    }
}

/// The directory a file lives in (`.` for a bare file name).
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Makes the rename itself durable. Best effort: not every platform or file system
/// can sync a directory, and the data is already safe in the renamed file.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(handle) = File::open(dir) {
        let _ = handle.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Gives the temporary file the permissions the final file should have: those of an
/// existing target, else what `access` says. Best effort: a file system without Unix
/// permissions keeps its own defaults.
fn set_permissions(file: &File, target: &Path, access: FileAccess) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let permissions = match std::fs::metadata(target) {
            Ok(existing) => existing.permissions(),
            Err(_) => std::fs::Permissions::from_mode(match access {
                FileAccess::Shared => 0o644,
                FileAccess::Private => 0o600,
            }),
        };
        let _ = file.set_permissions(permissions);
    }
    #[cfg(not(unix))]
    let _ = (file, target, access);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn write_atomic_creates_the_directory_and_leaves_only_the_target() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("nested").join("out.json");
        let byte_count = write_atomic(&target, |w| w.write_all(b"{\"a\":1}")).unwrap();
        assert_eq!(byte_count, 7);
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "{\"a\":1}");
        assert_eq!(names_in(&dir.path().join("nested")), vec!["out.json".to_string()]);
    }

    #[test]
    fn a_failing_fill_keeps_the_old_file_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.txt");
        std::fs::write(&target, "old contents").unwrap();
        let err = write_atomic(&target, |w| {
            w.write_all(&[b'x'; 1_000_000])?;
            Err(io::Error::other("disk on fire"))
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "disk on fire");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old contents");
        assert_eq!(names_in(dir.path()), vec!["out.txt".to_string()]);
    }

    #[test]
    fn a_dropped_writer_discards_and_a_committed_one_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("report.csv");
        let mut writer = AtomicWriter::create(&target).unwrap();
        writer.write_all(b"half a file").unwrap();
        assert!(writer.temp_path().starts_with(dir.path()));
        drop(writer);
        assert!(names_in(dir.path()).is_empty());

        let mut writer = AtomicWriter::create(&target).unwrap();
        writer.write_all(b"a,b\r\n1,2\r\n").unwrap();
        assert_eq!(writer.commit().unwrap(), 10);
        assert_eq!(std::fs::read(&target).unwrap(), b"a,b\r\n1,2\r\n");
        assert_eq!(names_in(dir.path()), vec!["report.csv".to_string()]);
    }

    #[cfg(unix)]
    #[test]
    fn new_files_get_the_requested_access_and_existing_ones_keep_theirs() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let shared = dir.path().join("shared.csv");
        AtomicWriter::create(&shared).unwrap().commit().unwrap();
        assert_eq!(std::fs::metadata(&shared).unwrap().permissions().mode() & 0o777, 0o644);
        let private = dir.path().join("private.json");
        write_atomic(&private, |w| w.write_all(b"{}")).unwrap();
        assert_eq!(std::fs::metadata(&private).unwrap().permissions().mode() & 0o777, 0o600);
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o640)).unwrap();
        AtomicWriter::create(&shared).unwrap().commit().unwrap();
        assert_eq!(std::fs::metadata(&shared).unwrap().permissions().mode() & 0o777, 0o640);
    }

    #[test]
    fn move_aside_never_replaces_an_earlier_copy() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("presets.json");
        let now = "2026-02-03T04:05:06Z".parse::<Timestamp>().unwrap();
        std::fs::write(&path, "first").unwrap();
        let first = move_aside(&path, now).unwrap();
        std::fs::write(&path, "second").unwrap();
        let second = move_aside(&path, now).unwrap();
        assert_eq!(first.file_name().unwrap(), "presets.json.corrupt-20260203T040506Z");
        assert_eq!(second.file_name().unwrap(), "presets.json.corrupt-20260203T040506Z-2");
        assert_eq!(std::fs::read_to_string(first).unwrap(), "first");
        assert_eq!(std::fs::read_to_string(second).unwrap(), "second");
        assert!(!path.exists());
    }
}

/// What [`load_json_file`] found.
#[derive(Debug)]
pub enum LoadedJson<T> {
    /// There is no file yet.
    Missing,
    /// The file parsed.
    Parsed(T),
    /// The file could not be used; start empty.
    Unusable {
        /// The damaged file was moved here, out of the way.
        moved_aside: Option<PathBuf>,
        /// Why nothing may be written (the file could not be read, or not moved aside):
        /// writing would overwrite data we could not look at.
        read_only: Option<String>,
    },
}

/// Reads a JSON store file (presets, history). A file that does not parse is moved aside to
/// `<name>.corrupt-<timestamp>` so that saving again cannot destroy it; a file that cannot be
/// read, or moved, makes the caller read-only. `what` names the file in messages ("presets").
pub fn load_json_file<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> LoadedJson<T> {
    let bytes = match read_if_exists(path) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return LoadedJson::Missing,
        Err(err) => {
            return LoadedJson::Unusable {
                moved_aside: None,
                read_only: Some(format!("the {what} file could not be read: {err} ({})", path.display())),
            };
        }
    };
    match serde_json::from_slice(&bytes) {
        Ok(file) => LoadedJson::Parsed(file),
        Err(err) => {
            tracing::warn!(%err, path = %path.display(), "the {what} file does not parse; moving it aside");
            match move_aside(path, Timestamp::now()) {
                Ok(moved) => LoadedJson::Unusable { moved_aside: Some(moved), read_only: None },
                Err(move_err) => LoadedJson::Unusable {
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
