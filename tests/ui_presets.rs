//! The Presets menu driven as a user would, headless through egui_kittest: saving the
//! current query by clicks and typing, loading a built-in preset, renaming, deleting with a
//! confirmation, a name already taken, built-ins that cannot change, export and import, and
//! a damaged presets file at start. Persistence is checked in a temporary config dir.
//!
//! The store lives on the worker, so the tests step frames until its answer is shown.

// Helpers outside #[test] functions panic on purpose too: a failed step is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use inkeep_explorer::api::query::parse_query;
use inkeep_explorer::app::ExplorerApp;
use inkeep_explorer::app::command::Command;
use inkeep_explorer::app::presets_ui::PresetsCommand;
use inkeep_explorer::app::window::WindowState;
use inkeep_explorer::presets::{PRESETS_FILE_NAME, builtin_presets};
use serde_json::{Value, json};
use support::*;

const COUNT_BY_TYPE: &str = r#"{"select":[{"type":"aggregation","aggregation":"count"}],
    "groupBy":[{"field":"type"}],
    "where":{"condition":{"field":"firstMessageTime","operator":"gte","value":"last 30 days"}}}"#;

const COUNT: &str = r#"{"select":[{"type":"aggregation","aggregation":"count"}]}"#;

/// The window on the demo API (settings in `config_dir`), with `query` in the builder when
/// given, once its presets and connection are there.
fn harness(config_dir: Option<&Path>, query: Option<&str>) -> Harness<'static, ExplorerApp> {
    let mut harness = window(env_in(config_dir, 500), query.map(|json| parse_query(json).unwrap()));
    step_until(&mut harness, "the presets and the connection", |s| {
        s.presets.store.is_some() && is_connected(s)
    });
    harness
}

fn open_menu(harness: &mut Harness<'_, ExplorerApp>) {
    if harness.query_by_label("Search presets").is_none() {
        click(harness, "Presets");
    }
    assert!(harness.query_by_label("Search presets").is_some(), "the Presets menu is open");
}

fn user_preset_names(state: &WindowState) -> Vec<String> {
    let store = state.presets.store.as_ref().unwrap();
    store.list().into_iter().filter(|p| !p.builtin).map(|p| p.name.clone()).collect()
}

/// The user presets in `presets.json`, as (name, description, query) JSON.
fn presets_on_disk(dir: &Path) -> Vec<(String, String, Value)> {
    let text = std::fs::read_to_string(dir.join(PRESETS_FILE_NAME)).unwrap_or_else(|_| "{}".into());
    let file: Value = serde_json::from_str(&text).unwrap();
    file["presets"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["description"].as_str().unwrap_or_default().to_string(),
                p["query"].clone(),
            )
        })
        .collect()
}

/// Saves the builder's query by clicks and typing, and waits for the dialog to close.
fn save_as(harness: &mut Harness<'_, ExplorerApp>, name: &str, description: &str) {
    open_menu(harness);
    click(harness, "Save current query as preset…");
    assert!(app(harness).presets.save_dialog.is_some(), "the save dialog is open");
    assert!(harness.get_by_label("Name").is_focused(), "typing starts in the name");
    type_into(harness, "Name", name);
    if !description.is_empty() {
        type_into(harness, "Description", description);
    }
    click(harness, "Save preset");
    step_until(harness, "the preset to be saved", |s| s.presets.save_dialog.is_none());
}

#[test]
fn the_current_query_is_saved_as_a_preset_by_clicks_and_typing() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness(Some(dir.path()), Some(COUNT_BY_TYPE));
    let query = draft_body(app(&harness));
    save_as(&mut harness, "Openai by type", "for the weekly review");

    assert_eq!(user_preset_names(app(&harness)), ["Openai by type"]);
    assert!(harness.query_by_label_contains("Saved the preset “Openai by type”").is_some(), "the notice");
    // On disk, with the relative time as written.
    let on_disk = presets_on_disk(dir.path());
    assert_eq!(on_disk.len(), 1);
    assert_eq!(on_disk[0].0, "Openai by type");
    assert_eq!(on_disk[0].1, "for the weekly review");
    assert_eq!(on_disk[0].2, serde_json::to_value(&query).unwrap());
    assert_eq!(on_disk[0].2["where"]["condition"]["value"], json!("last 30 days"));

    // Listed in the menu, below the built-ins.
    open_menu(&mut harness);
    assert!(harness.query_by_label("Openai by type").is_some());
    type_into(&mut harness, "Search presets", "weekly review");
    assert!(harness.query_by_label("Openai by type").is_some(), "the description is searched");
    assert!(harness.query_by_label("Conversations by source").is_none(), "other presets are filtered out");
}

#[test]
fn a_builtin_preset_loads_into_the_builder_as_one_undo_step() {
    let mut harness = harness(None, Some(COUNT));
    let before = draft_body(app(&harness));
    let builtin = builtin_presets().into_iter().find(|p| p.name == "Conversations by source").unwrap();
    assert_ne!(builtin.query, before);

    open_menu(&mut harness);
    click(&mut harness, "Conversations by source");
    assert_eq!(draft_body(app(&harness)), builtin.query);
    assert!(harness.query_by_label("Search presets").is_none(), "loading closes the menu");
    assert!(harness.query_by_label_contains("Loaded the preset “Conversations by source”").is_some());

    // The description is there on hover.
    open_menu(&mut harness);
    harness.get_by_label("Conversations by source").hover();
    for _ in 0..6 {
        harness.step();
    }
    assert!(harness.query_by_label_contains("How many conversations came from each source").is_some());

    unfocus(&mut harness);
    click(&mut harness, "Undo");
    assert_eq!(draft_body(app(&harness)), before);
}

#[test]
fn a_preset_is_renamed_and_deleted_after_confirmation() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness(Some(dir.path()), Some(COUNT));
    save_as(&mut harness, "Draft name", "");

    open_menu(&mut harness);
    click(&mut harness, "Edit Draft name");
    type_into(&mut harness, "Name", "Daily count");
    type_into(&mut harness, "Description", "all conversations");
    click(&mut harness, "Save changes");
    step_until(&mut harness, "the rename", |s| s.presets.edit_dialog.is_none());
    assert_eq!(user_preset_names(app(&harness)), ["Daily count"]);
    let on_disk = presets_on_disk(dir.path());
    assert_eq!(
        on_disk.iter().map(|(n, d, _)| (n.as_str(), d.as_str())).collect::<Vec<_>>(),
        [("Daily count", "all conversations")]
    );

    // Asking first; "Cancel" keeps it.
    open_menu(&mut harness);
    click(&mut harness, "Delete Daily count");
    assert!(harness.query_by_label_contains("Delete the preset “Daily count”?").is_some());
    click(&mut harness, "Keep the preset");
    assert!(app(&harness).presets.confirm.is_none());
    assert_eq!(user_preset_names(app(&harness)), ["Daily count"]);

    open_menu(&mut harness);
    click(&mut harness, "Delete Daily count");
    click(&mut harness, "Delete preset");
    step_until(&mut harness, "the delete", |s| user_preset_names(s).is_empty());
    assert!(presets_on_disk(dir.path()).is_empty(), "gone from the file too");
    open_menu(&mut harness);
    assert!(harness.query_by_label("Daily count").is_none(), "gone from the list");
}

#[test]
fn a_name_already_taken_is_refused_and_nothing_is_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness(Some(dir.path()), Some(COUNT));
    save_as(&mut harness, "Mine", "first");
    let first = presets_on_disk(dir.path());

    load_query(&mut harness, COUNT_BY_TYPE);
    open_menu(&mut harness);
    click(&mut harness, "Save current query as preset…");
    type_into(&mut harness, "Name", " MINE ");
    type_into(&mut harness, "Description", "second");
    // Said at once, and Save waits for another name.
    assert!(harness.query_by_label_contains("There is already a preset named “Mine”").is_some());
    assert!(disabled(&harness, "Save preset"));

    // Should it be sent anyway (two windows, a race), the store refuses it and the dialog
    // keeps what was typed.
    command(&mut harness, Command::Presets(PresetsCommand::ConfirmSave));
    step_until(&mut harness, "the refusal", |s| {
        s.presets.save_dialog.as_ref().is_some_and(|form| form.error.is_some() && form.pending_op.is_none())
    });
    let form = app(&harness).presets.save_dialog.clone().unwrap();
    assert_eq!((form.name.as_str(), form.description.as_str()), (" MINE ", "second"));
    assert!(form.error.unwrap().contains("already a preset named \"MINE\""));
    assert_eq!(presets_on_disk(dir.path()), first, "the file is unchanged");

    // Another name saves.
    type_into(&mut harness, "Name", "Mine by type");
    click(&mut harness, "Save preset");
    step_until(&mut harness, "the save", |s| s.presets.save_dialog.is_none());
    let names: Vec<String> = presets_on_disk(dir.path()).into_iter().map(|(n, _, _)| n).collect();
    assert_eq!(names, ["Mine", "Mine by type"]);
}

#[test]
fn builtins_cannot_be_changed_but_their_copy_can() {
    let mut harness = harness(None, Some(COUNT));
    let name = "Conversations by source";
    open_menu(&mut harness);
    assert!(disabled(&harness, &format!("Edit {name}")));
    assert!(disabled(&harness, &format!("Update {name}")));
    harness.get_by_label(&format!("Edit {name}")).hover();
    for _ in 0..6 {
        harness.step();
    }
    assert!(harness.query_by_label_contains("Built-in presets cannot be changed").is_some(), "says why");

    click(&mut harness, &format!("Duplicate {name}"));
    let copy = format!("{name} (copy)");
    step_until(&mut harness, "the copy", |s| user_preset_names(s) == [copy.clone()]);
    open_menu(&mut harness);
    assert!(!disabled(&harness, &format!("Edit {copy}")));

    // Updating the copy replaces its query with the builder's, after confirmation.
    click(&mut harness, &format!("Update {copy}"));
    click(&mut harness, "Replace query");
    step_until(&mut harness, "the update", |s| {
        s.presets.store.as_ref().unwrap().find_by_name(&copy).unwrap().query == parse_query(COUNT).unwrap()
    });

    // Hiding a built-in, then bringing it back.
    open_menu(&mut harness);
    click(&mut harness, &format!("Hide {name}"));
    click(&mut harness, "Hide preset");
    step_until(&mut harness, "the hide", |s| s.presets.store.as_ref().unwrap().find_by_name(name).is_none());
    open_menu(&mut harness);
    click(&mut harness, "Restore built-in presets");
    step_until(&mut harness, "the restore", |s| {
        s.presets.store.as_ref().unwrap().find_by_name(name).is_some()
    });
}

#[test]
fn exported_presets_import_with_taken_names_renamed() {
    let dir = tempfile::tempdir().unwrap();
    let share = dir.path().join("share.json");
    let mut harness = harness(Some(dir.path()), Some(COUNT));
    save_as(&mut harness, "Shared", "");

    open_menu(&mut harness);
    click(&mut harness, "Export my presets…");
    type_into(&mut harness, "Presets file", share.to_str().unwrap());
    click(&mut harness, "Export");
    step_until(&mut harness, "the export", |s| s.presets.file_dialog.is_none());
    let exported: Value = serde_json::from_str(&std::fs::read_to_string(&share).unwrap()).unwrap();
    assert_eq!(exported["presets"][0]["name"], json!("Shared"));
    assert_eq!(exported["presets"][0]["query"], serde_json::to_value(parse_query(COUNT).unwrap()).unwrap());

    // Change "Shared" so the file's version is a different preset with a taken name.
    load_query(&mut harness, COUNT_BY_TYPE);
    open_menu(&mut harness);
    click(&mut harness, "Update Shared");
    click(&mut harness, "Replace query");
    step_until(&mut harness, "the update", |s| {
        s.presets.store.as_ref().unwrap().find_by_name("Shared").unwrap().query
            == parse_query(COUNT_BY_TYPE).unwrap()
    });

    open_menu(&mut harness);
    click(&mut harness, "Import presets…");
    type_into(&mut harness, "Presets file", share.to_str().unwrap());
    click(&mut harness, "Import");
    step_until(&mut harness, "the import", |s| s.presets.file_dialog.is_none());
    assert_eq!(user_preset_names(app(&harness)), ["Shared", "Shared (2)"]);
    assert!(
        harness.query_by_label_contains("added “Shared” as “Shared (2)”").is_some(),
        "the notice says which name was taken"
    );
    let on_disk = presets_on_disk(dir.path());
    assert_eq!(on_disk[1].0, "Shared (2)");
    assert_eq!(on_disk[1].2, serde_json::to_value(parse_query(COUNT).unwrap()).unwrap());

    // A file that is not there: said in the dialog, which stays open.
    open_menu(&mut harness);
    click(&mut harness, "Import presets…");
    type_into(&mut harness, "Presets file", dir.path().join("missing.json").to_str().unwrap());
    click(&mut harness, "Import");
    step_until(&mut harness, "the failure", |s| {
        s.presets.file_dialog.as_ref().is_some_and(|d| d.error.is_some())
    });
    assert!(harness.query_by_label_contains("could not read the presets to import").is_some());
}

#[test]
fn a_damaged_presets_file_is_moved_aside_and_the_window_says_so() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(PRESETS_FILE_NAME), b"{\"presets\": [ oops").unwrap();
    let mut harness = harness(Some(dir.path()), Some(COUNT));
    let warning = app(&harness).presets.load_warning.clone().expect("a load warning");
    assert!(warning.contains("could not be read, so it was kept as"), "{warning}");
    assert!(
        harness.query_by_label_contains("The presets file could not be read").is_some(),
        "the status bar says so"
    );
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let moved: Vec<&String> = names.iter().filter(|n| n.starts_with("presets.json.corrupt-")).collect();
    assert_eq!(moved.len(), 1, "{names:?}");
    assert!(warning.contains(moved[0].as_str()), "the message names the kept file: {warning}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join(moved[0])).unwrap(),
        "{\"presets\": [ oops",
        "kept byte for byte"
    );
    assert!(!dir.path().join(PRESETS_FILE_NAME).exists());

    // The menu says it too, and works: the built-ins are there and saving starts a new file.
    open_menu(&mut harness);
    assert!(harness.query_by_label("Dismiss presets warning").is_some(), "the warning heads the menu");
    assert!(harness.query_all_by_label_contains("could not be read, so it was kept as").count() >= 1);
    assert!(harness.query_by_label("Conversations by source").is_some());
    click(&mut harness, "Dismiss presets warning");
    assert!(app(&harness).presets.load_warning.is_none());
    save_as(&mut harness, "Fresh start", "");
    assert_eq!(presets_on_disk(dir.path()).len(), 1);
}

#[test]
fn an_old_preset_is_migrated_at_start_and_opens_with_its_sort_in_the_grid() {
    let dir = tempfile::tempdir().unwrap();
    let old = json!({"schemaVersion": 1, "presets": [
        {"id": "p1", "name": "Sources, old style", "query": {
            "select": [{"type": "aggregation", "aggregation": "count"}],
            "groupBy": [{"field": "type"}],
            "orderBy": [{"field": "count", "direction": "desc"}]
        }},
        {"id": "p2", "name": "Types by path", "query": {
            "select": [{"type": "aggregation", "aggregation": "sum", "field": "userMessageCount"}],
            "groupBy": [{"field": "type"}, {"field": "properties", "path": ["source"]}],
            "orderBy": [{"field": "type", "direction": "asc"}, {"field": "properties.source", "direction": "desc"}]
        }}
    ]});
    std::fs::write(dir.path().join(PRESETS_FILE_NAME), old.to_string()).unwrap();
    let mut harness = harness(Some(dir.path()), Some(COUNT));
    let warning = app(&harness).presets.load_warning.clone().expect("a migration notice");
    assert!(
        warning.contains("“Sources, old style”: sort by count now counts id and sorts by count_id"),
        "{warning}"
    );
    assert!(
        warning.contains("“Types by path”: sort by properties.source now happens in the grid"),
        "{warning}"
    );
    assert!(
        harness.query_by_label_contains("Updated to the server's sort rules").is_some(),
        "the status bar says so"
    );
    let on_disk = presets_on_disk(dir.path());
    assert_eq!(on_disk[0].2["orderBy"], json!([{"field": "count_id", "direction": "desc"}]));
    assert_eq!(on_disk[1].2["orderBy"], json!([{"field": "type", "direction": "asc"}]));

    // Opening it and running it: the server sorts by type, the grid by the path column.
    open_menu(&mut harness);
    click(&mut harness, "Sources, old style");
    assert_eq!(draft_body(app(&harness)).order_by[0].field, "count_id");
    open_menu(&mut harness);
    click(&mut harness, "Types by path");
    click(&mut harness, "Run");
    step_until(&mut harness, "the run", |s| {
        s.active().run.outcome().is_some() && s.active().run.pending_id().is_none()
    });
    let sort = &app(&harness).active().grid.sort;
    assert_eq!(sort.len(), 1);
    assert_eq!((sort[0].column.as_str(), sort[0].descending), ("properties.source", true));
    assert!(
        harness.query_by_label("Sorted in the grid by properties.source ⏷ (not by the server)").is_some(),
        "the grid says the order is its own"
    );
}
