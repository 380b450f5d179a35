//! What a release promises, checked without building one: `--version` names the commit and
//! agrees with the About dialog, the icons exist at the sizes the package declares, the desktop
//! entry, AppStream metainfo, changelog and man pages name the same app and version, and the
//! files a newer version wrote are refused read-only and left as they were. (The validators
//! themselves, `desktop-file-validate` and `appstreamcli validate`, run in `.ci/run`; the
//! `.deb` is built and installed by `scripts/package.sh`.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use inkeep_explorer::app::commands::Command;
use inkeep_explorer::app::{APP_ID, APP_NAME};
use inkeep_explorer::build_info;
use inkeep_explorer::settings::{SCHEMA_VERSION, TABS_SCHEMA_VERSION, ThemeSetting};
use serde_json::{Value, json};
use support::*;

const BIN: &str = env!("CARGO_BIN_EXE_inkeep-explorer");

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo(path)).unwrap_or_else(|err| panic!("{path}: {err}"))
}

#[test]
fn version_names_the_commit_and_agrees_with_the_about_dialog() {
    let output = Process::new(BIN).arg("--version").output().unwrap();
    assert!(output.status.success());
    let printed = String::from_utf8(output.stdout).unwrap();
    // The About dialog shows (and "Copy version" copies) the same line.
    assert_eq!(printed.trim_end(), format!("inkeep-explorer {}", build_info::VERSION_LINE));
    assert!(printed.contains(env!("CARGO_PKG_VERSION")), "{printed}");
    // The commit is the one checked out (cargo reran build.rs when HEAD moved), or
    // "unknown" when this is not a git checkout at all.
    let head = Process::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| String::from_utf8(out.stdout).unwrap().trim().to_string());
    let expected = head.unwrap_or_else(|| "unknown".to_string());
    assert!(printed.contains(&format!("commit {expected},")), "{printed} should name {expected}");
    assert_eq!(build_info::GIT_COMMIT, expected);
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{} is not a PNG", path.display());
    assert_eq!(&bytes[12..16], b"IHDR");
    let word = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (word(16), word(20))
}

#[test]
fn icons_exist_at_the_declared_sizes() {
    let sizes: Vec<u32> =
        read("packaging/icon-sizes").split_whitespace().map(|size| size.parse().unwrap()).collect();
    assert_eq!(sizes, [16, 24, 32, 48, 64, 128, 256, 512], "the sizes a desktop needs");
    for size in sizes {
        let path = repo(&format!("assets/icon/{APP_ID}-{size}.png"));
        assert_eq!(png_size(&path), (size, size), "{}", path.display());
    }
    let svg = read(&format!("assets/icon/{APP_ID}.svg"));
    assert!(svg.contains("<svg") && svg.contains("viewBox=\"0 0 256 256\""));
    let ico = std::fs::read(repo(&format!("assets/icon/{APP_ID}.ico"))).unwrap();
    assert_eq!(&ico[..4], [0, 0, 1, 0], "an .ico for the Windows installer");
}

#[test]
fn desktop_entry_metainfo_changelog_and_packager_name_the_same_app() {
    let desktop = read(&format!("packaging/linux/{APP_ID}.desktop"));
    let key = |name: &str| {
        desktop
            .lines()
            .find_map(|line| line.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name}= in the desktop entry"))
            .to_string()
    };
    assert_eq!(key("Name"), APP_NAME);
    assert_eq!(key("Exec"), "inkeep-explorer", "the binary on PATH");
    assert_eq!(key("Icon"), APP_ID, "the hicolor icon name");
    assert_eq!(key("StartupWMClass"), APP_ID, "the window's app id, so the window gets this entry's icon");

    let metainfo = read("packaging/linux/com.inkeep.explorer.metainfo.xml");
    assert!(metainfo.contains(&format!("<launchable type=\"desktop-id\">{APP_ID}.desktop</launchable>")));
    assert!(metainfo.contains("<binary>inkeep-explorer</binary>"));
    assert!(metainfo.contains(&format!("<project_license>{}</project_license>", build_info::LICENSE)));
    assert!(
        metainfo.contains(&format!("<release version=\"{}\"", build_info::VERSION)),
        "the metainfo lists this version's release"
    );
    let changelog = read("CHANGELOG.md");
    assert!(changelog.contains(&format!("## {} - ", build_info::VERSION)), "the changelog has this version");

    let cargo = read("Cargo.toml");
    assert!(
        cargo.contains("[package.metadata.packager]")
            && cargo.contains("identifier = \"com.inkeep.explorer\"")
    );
    assert!(cargo.contains("formats = [\"app\", \"dmg\", \"wix\"]"));
}

#[test]
fn man_pages_are_generated_from_the_command_line_definitions() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("man");
    let status = Process::new(BIN).arg("generate-man").arg(&out).status().unwrap();
    assert!(status.success());
    let mut pages: Vec<String> =
        std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    pages.sort();
    assert_eq!(pages, ["inkeep-explorer-run.1", "inkeep-explorer-serve.1", "inkeep-explorer.1"]);
    let main = std::fs::read_to_string(out.join("inkeep-explorer.1")).unwrap();
    assert!(main.starts_with(".ie") || main.contains(".TH inkeep-explorer 1"), "{main}");
    assert!(main.contains(build_info::VERSION), "the page names the version");
    assert!(!main.contains("generate-man"), "the packaging command stays hidden");
    let run = std::fs::read_to_string(out.join("inkeep-explorer-run.1")).unwrap();
    assert!(run.contains("preset") && run.contains("demo"), "{run}");
}

#[test]
fn the_about_dialog_names_the_build_and_the_folders() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = window(env_in(Some(dir.path()), 100), None);
    click(&mut harness, "About");
    assert!(app(&harness).about.is_some());
    assert!(shows(&harness, "About Inkeep Explorer"));
    for text in [build_info::VERSION, build_info::GIT_COMMIT, build_info::BUILD_DATE, build_info::LICENSE] {
        assert!(shows(&harness, text), "the dialog shows {text}");
    }
    assert!(shows(&harness, &dir.path().display().to_string()), "the config folder");
    assert!(!disabled(&harness, "Open config folder"), "it exists, so it can be opened");
    click(&mut harness, "Copy version");
    let notice = app(&harness).notice.as_ref().unwrap().text.clone();
    assert!(notice.contains("Copied the version"), "{notice}");
    click(&mut harness, "Close About");
    assert!(app(&harness).about.is_none());

    // A window keeping no files names no folders, and opening a missing one is a notice.
    let mut harness = window(env_in(None, 100), None);
    click(&mut harness, "About");
    assert!(shows(&harness, "none: this window keeps no files"));
    let missing = dir.path().join("never-created");
    command(
        &mut harness,
        Command::About(inkeep_explorer::app::about_model::AboutCommand::OpenFolder(missing)),
    );
    let notice = app(&harness).notice.as_ref().unwrap().text.clone();
    assert!(notice.contains("does not exist yet"), "{notice}");
}

#[test]
fn files_this_version_writes_reopen_and_a_newer_versions_files_are_left_untouched() {
    // This version's files: written on exit with their versions, and read back.
    let dir = tempfile::tempdir().unwrap();
    {
        let mut harness = window(env_in(Some(dir.path()), 100), None);
        command(&mut harness, Command::SetTheme(ThemeSetting::Dark));
        command(&mut harness, Command::NewTab);
        eframe::App::on_exit(harness.state_mut(), None);
    }
    let version = |name: &str| -> Value {
        let file: Value = serde_json::from_slice(&std::fs::read(dir.path().join(name)).unwrap()).unwrap();
        file["schemaVersion"].clone()
    };
    assert_eq!(version("settings.json"), json!(SCHEMA_VERSION));
    assert_eq!(version("tabs.json"), json!(TABS_SCHEMA_VERSION));
    let harness = window(env_in(Some(dir.path()), 100), None);
    assert_eq!(app(&harness).settings.theme, ThemeSetting::Dark);
    assert_eq!(app(&harness).tabs.len(), 2);
    assert!(app(&harness).settings.settings_writable && app(&harness).settings.tabs_writable);
    drop(harness);

    // A newer version's files: the window runs, says so, and writes neither.
    let newer = tempfile::tempdir().unwrap();
    let settings = serde_json::to_string_pretty(
        &json!({"schemaVersion": SCHEMA_VERSION + 1, "theme": "dark", "somethingNew": {"a": 1}}),
    )
    .unwrap();
    let tabs = serde_json::to_string_pretty(
        &json!({"schemaVersion": TABS_SCHEMA_VERSION + 1, "tabs": [{"id": 9, "name": "From later"}], "active": 0}),
    )
    .unwrap();
    std::fs::write(newer.path().join("settings.json"), &settings).unwrap();
    std::fs::write(newer.path().join("tabs.json"), &tabs).unwrap();
    let mut harness = window(env_in(Some(newer.path()), 100), None);
    let notice = app(&harness).notice.as_ref().map(|n| n.text.clone()).unwrap_or_default();
    assert!(notice.contains("settings file was written by a newer version"), "{notice}");
    assert!(notice.contains("tabs file was written by a newer version"), "{notice}");
    assert!(!app(&harness).settings.settings_writable && !app(&harness).settings.tabs_writable);
    assert_eq!(active_tab(&harness).title(), "From later", "the tabs it could read are shown");
    assert_eq!(app(&harness).settings.theme, ThemeSetting::System, "the settings are not used");

    command(&mut harness, Command::SetTheme(ThemeSetting::Light));
    command(&mut harness, Command::NewTab);
    // The debounced save (through the worker) and the save on exit both skip the files.
    std::thread::sleep(std::time::Duration::from_millis(1600));
    for _ in 0..30 {
        harness.step();
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    eframe::App::on_exit(harness.state_mut(), None);
    drop(harness);
    assert_eq!(std::fs::read_to_string(newer.path().join("settings.json")).unwrap(), settings);
    assert_eq!(std::fs::read_to_string(newer.path().join("tabs.json")).unwrap(), tabs);
}
