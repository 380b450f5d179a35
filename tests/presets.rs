//! Presets and history on disk (always in a temporary directory, never the real config
//! dir): saving, loading, renaming, duplicating, deleting, searching, built-ins, corrupt
//! files, import with duplicates; and relative times in presets.

// The helpers below are test code too; clippy's allow-unwrap-in-tests only covers `#[test]` fns.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use inkeep_explorer::api::columns::{is_published_order_by_field, result_columns};
use inkeep_explorer::api::query::{
    Aggregation, Field, Filter, FilterValue, Operator, QueryBody, Selection, TimeUnit,
};
use inkeep_explorer::api::validate::validate;
use inkeep_explorer::api::view::View;
use inkeep_explorer::history::{HISTORY_FILE_NAME, HistoryEntry, HistoryStore, RunStatus};
use inkeep_explorer::presets::{LocalSort, PRESETS_FILE_NAME, PresetError, PresetStore, builtin_presets};
use inkeep_explorer::relative_time::{has_relative_times, resolve_relative_times};
use jiff::Timestamp;
use serde_json::{Value, json};

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn utc(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn weekly_query() -> QueryBody {
    QueryBody {
        select: vec![Selection::time(TimeUnit::Week), Selection::count()],
        filter: Some(Filter::condition(
            Field::FirstMessageTime,
            Operator::Gte,
            Some(FilterValue::Scalar("last 12 weeks".into())),
        )),
        ..QueryBody::default()
    }
}

fn count_query() -> QueryBody {
    QueryBody { select: vec![Selection::count()], ..QueryBody::default() }
}

fn user_names(store: &PresetStore) -> Vec<String> {
    store.list().into_iter().filter(|p| !p.builtin).map(|p| p.name.clone()).collect()
}

#[test]
fn builtin_presets_are_valid_once_their_relative_times_resolve() {
    let builtins = builtin_presets();
    let names: Vec<&str> = builtins.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Conversations per day by type (last 30 days)",
            "Support agents by conversations (last 30 days)",
            "Average user messages per week",
            "Conversations by source",
            "Unresolved support tickets this week",
            "Negative feedback per week by reason",
            "Knowledge gaps by category (last 30 days)",
            "Question sentiment per week",
            "Most frequent search queries (last 30 days)",
            "Threads with negative feedback (last 30 days)",
        ]
    );
    let views: Vec<View> = builtins.iter().map(|p| p.view).collect();
    assert_eq!(
        views,
        [
            [View::Conversations; 5].as_slice(),
            &[
                View::Feedback,
                View::SemanticThreads,
                View::SemanticThreads,
                View::Events,
                View::SemanticThreads
            ],
        ]
        .concat()
    );
    // Around week, month and year boundaries, and in a leap February.
    for now in
        ["2026-01-05T00:00:00Z", "2024-02-29T23:59:59Z", "2025-12-31T12:00:00Z", "2026-03-01T00:00:00Z"]
    {
        for preset in &builtins {
            assert!(preset.builtin);
            assert!(!preset.description.is_empty(), "{}", preset.name);
            let resolved = resolve_relative_times(&preset.query, utc(now)).unwrap();
            assert!(!has_relative_times(&resolved), "{}", preset.name);
            assert_eq!(validate(preset.view, &resolved), vec![], "{} at {now}", preset.name);
        }
    }
    // The relative values are stored verbatim, and they are what the presets are about.
    let per_day = serde_json::to_value(&builtins[0].query).unwrap();
    assert_eq!(per_day["where"]["condition"]["value"], json!("last 30 days"));
    let this_week = resolve_relative_times(&builtins[4].query, utc("2026-01-08T09:00:00Z")).unwrap();
    let text = serde_json::to_string(&this_week).unwrap();
    assert!(text.contains(r#""value":"2026-01-05T00:00:00Z""#), "{text}");
    assert!(
        validate(View::Conversations, &builtins[4].query).iter().any(|p| p.path.ends_with("condition.value"))
    );
    // The other views' times are relative too, on their own timestamp fields.
    let negative = resolve_relative_times(&builtins[5].query, utc("2026-01-08T09:00:00Z")).unwrap();
    let text = serde_json::to_string(&negative).unwrap();
    assert!(
        text.contains(r#""field":"createdAt","operator":"gte","value":"2025-10-13T00:00:00Z""#),
        "{text}"
    );
    // Each is a query of its own view only: on conversations they name foreign fields.
    for preset in &builtins[5..] {
        let resolved = resolve_relative_times(&preset.query, utc("2026-01-08T09:00:00Z")).unwrap();
        let problems = validate(View::Conversations, &resolved);
        assert!(
            problems.iter().any(|p| p.message.contains("is not a field of the conversations view")),
            "{problems:?}"
        );
    }
}

#[test]
fn save_load_rename_duplicate_delete_search() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, report) = PresetStore::open(dir.path());
    assert_eq!(report.message(), None);
    let builtin_count = builtin_presets().len();
    assert_eq!(store.list().len(), builtin_count);

    let weekly = store
        .save_new(
            "  Weekly volume ",
            Some("Tickets per week for the Monday review"),
            View::Conversations,
            weekly_query(),
        )
        .unwrap();
    let counts = store.save_new("Counts", None, View::Conversations, count_query()).unwrap();
    assert!(matches!(
        store.save_new("weekly VOLUME", None, View::Conversations, count_query()),
        Err(PresetError::NameTaken { .. })
    ));
    assert!(matches!(
        store.save_new("   ", None, View::Conversations, count_query()),
        Err(PresetError::EmptyName)
    ));
    assert!(matches!(
        store.save_new("Conversations by source", None, View::Conversations, count_query()),
        Err(PresetError::NameTaken { .. })
    ));

    // Reload: same presets, relative values verbatim.
    let (reloaded, _) = PresetStore::open(dir.path());
    let loaded = reloaded.get(&weekly).unwrap();
    assert_eq!(loaded.name, "Weekly volume");
    assert_eq!(loaded.description, "Tickets per week for the Monday review");
    assert_eq!(loaded.query, weekly_query());
    assert_eq!(user_names(&reloaded), ["Counts", "Weekly volume"]);
    let stored: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join(PRESETS_FILE_NAME)).unwrap()).unwrap();
    assert_eq!(stored["schemaVersion"], json!(1));
    assert_eq!(stored["presets"].as_array().unwrap().len(), 2, "built-ins are not copied into the file");

    // Rename (a change of case of its own name is fine), duplicate, delete.
    store.rename(&counts, "counts").unwrap();
    assert!(matches!(store.rename(&counts, "Weekly Volume"), Err(PresetError::NameTaken { .. })));
    store.rename(&counts, "All conversations").unwrap();
    let copy = store.duplicate(&weekly).unwrap();
    let copy2 = store.duplicate(&weekly).unwrap();
    assert_eq!(store.get(&copy).unwrap().name, "Weekly volume (copy)");
    assert_eq!(store.get(&copy2).unwrap().name, "Weekly volume (copy 2)");
    assert_eq!(store.get(&copy).unwrap().query, weekly_query());
    store.delete(&copy2).unwrap();
    store.set_description(&weekly, "changed").unwrap();
    store.update_query(&weekly, View::Conversations, count_query()).unwrap();
    assert!(store.get(&weekly).unwrap().updated_at >= store.get(&weekly).unwrap().created_at);

    let (reloaded, _) = PresetStore::open(dir.path());
    assert_eq!(user_names(&reloaded), ["All conversations", "Weekly volume", "Weekly volume (copy)"]);
    assert_eq!(reloaded.get(&weekly).unwrap().query, count_query());
    assert_eq!(reloaded.get(&weekly).unwrap().description, "changed");

    // Search: name and description, case-insensitive; built-ins included.
    let found: Vec<String> = reloaded.search("WEEK").into_iter().map(|p| p.name.clone()).collect();
    assert_eq!(
        found,
        [
            "Average user messages per week",
            "Unresolved support tickets this week",
            "Negative feedback per week by reason",
            "Question sentiment per week",
            "Weekly volume",
            "Weekly volume (copy)"
        ]
    );
    let by_description: Vec<String> =
        reloaded.search("busiest").into_iter().map(|p| p.name.clone()).collect();
    assert_eq!(by_description, ["Support agents by conversations (last 30 days)"]);
    assert_eq!(reloaded.search("").len(), builtin_count + 3);
    assert_eq!(reloaded.find_by_name("all CONVERSATIONS").map(|p| p.id.clone()), Some(counts));
    assert_eq!(names_in(dir.path()), [PRESETS_FILE_NAME]);
}

#[test]
fn builtins_are_read_only_and_deleting_hides_them() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _) = PresetStore::open(dir.path());
    let builtin = builtin_presets()[3].clone();
    assert!(matches!(store.rename(&builtin.id, "Mine"), Err(PresetError::Builtin { .. })));
    assert!(matches!(
        store.update_query(&builtin.id, View::Conversations, count_query()),
        Err(PresetError::Builtin { .. })
    ));
    let copy = store.duplicate(&builtin.id).unwrap();
    assert_eq!(store.get(&copy).unwrap().name, "Conversations by source (copy)");
    assert!(!store.get(&copy).unwrap().builtin);
    store.delete(&builtin.id).unwrap();
    let (reloaded, _) = PresetStore::open(dir.path());
    assert!(reloaded.list().iter().all(|p| p.id != builtin.id));
    assert!(reloaded.find_by_name("Conversations by source").is_none());
    let (mut store, _) = PresetStore::open(dir.path());
    store.restore_builtins().unwrap();
    assert!(store.find_by_name("Conversations by source").is_some());
}

#[test]
fn a_corrupt_presets_file_is_moved_aside_and_nothing_is_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(PRESETS_FILE_NAME);
    std::fs::write(&path, "{\"schemaVersion\": 1, \"presets\": [ {\"name\": \"half").unwrap();
    let (mut store, report) = PresetStore::open(dir.path());
    let moved = report.moved_aside.clone().unwrap();
    assert!(moved.file_name().unwrap().to_string_lossy().starts_with("presets.json.corrupt-"), "{moved:?}");
    assert_eq!(
        std::fs::read_to_string(&moved).unwrap(),
        "{\"schemaVersion\": 1, \"presets\": [ {\"name\": \"half"
    );
    assert!(report.message().unwrap().contains("could not be read"), "{:?}", report.message());
    // Nothing is written until the user saves; then only the new file appears.
    assert!(!path.exists());
    assert_eq!(user_names(&store), Vec::<String>::new());
    store.save_new("Fresh", None, View::Conversations, count_query()).unwrap();
    let mut names = names_in(dir.path());
    names.retain(|n| n != PRESETS_FILE_NAME);
    assert_eq!(names, [moved.file_name().unwrap().to_string_lossy().into_owned()]);
}

#[test]
fn an_unreadable_preset_is_kept_and_a_newer_file_is_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(PRESETS_FILE_NAME);
    let future_entry =
        json!({"id": "x1", "name": "From the future", "query": {"select": [{"type": "hologram"}]}});
    std::fs::write(
        &path,
        serde_json::to_string(&json!({
            "schemaVersion": 1,
            "presets": [
                {"id": "a1", "name": "Old but fine", "query": {"select": [{"type": "aggregation", "aggregation": "count"}]}},
                future_entry
            ]
        }))
        .unwrap(),
    )
    .unwrap();
    let (mut store, report) = PresetStore::open(dir.path());
    assert_eq!(report.unreadable_count, 1);
    assert_eq!(user_names(&store), ["Old but fine"]);
    // Missing fields took their defaults.
    assert_eq!(store.get("a1").unwrap().description, "");
    store.save_new("New one", None, View::Conversations, count_query()).unwrap();
    let stored: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let entries = stored["presets"].as_array().unwrap();
    assert_eq!(entries.len(), 3);
    assert!(entries.contains(&future_entry), "the unreadable entry goes back unchanged");

    // A file from a newer version: loads, but is never written.
    let newer =
        json!({"schemaVersion": 2, "presets": [{"id": "b1", "name": "Kept", "query": {}}], "newThing": true});
    std::fs::write(&path, newer.to_string()).unwrap();
    let (mut store, report) = PresetStore::open(dir.path());
    assert!(report.read_only.is_some());
    assert_eq!(user_names(&store), ["Kept"]);
    assert!(matches!(
        store.save_new("Nope", None, View::Conversations, count_query()),
        Err(PresetError::ReadOnly { .. })
    ));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), newer.to_string());
}

#[test]
fn import_never_overwrites_and_export_round_trips() {
    let team = tempfile::tempdir().unwrap();
    let (mut alice, _) = PresetStore::open(team.path().join("alice").as_path());
    let weekly =
        alice.save_new("Weekly volume", Some("from Alice"), View::Conversations, weekly_query()).unwrap();
    let counts = alice.save_new("Counts", None, View::Conversations, count_query()).unwrap();
    let shared = team.path().join("shared-presets.json");
    assert_eq!(alice.export_to(&shared, &[weekly.clone(), counts.clone()]).unwrap(), 2);

    let (mut bob, _) = PresetStore::open(team.path().join("bob").as_path());
    bob.save_new("Weekly volume", Some("Bob's own"), View::Conversations, count_query()).unwrap();
    let report = bob.import_from(&shared).unwrap();
    assert_eq!(report.added, ["Weekly volume (2)", "Counts"]);
    assert_eq!(report.renamed, [("Weekly volume".to_string(), "Weekly volume (2)".to_string())]);
    assert!(report.skipped.is_empty());
    // Bob's own preset is untouched; the imported one kept its query and description.
    assert_eq!(bob.find_by_name("Weekly volume").unwrap().description, "Bob's own");
    assert_eq!(bob.find_by_name("Weekly volume").unwrap().query, count_query());
    let imported = bob.find_by_name("Weekly volume (2)").unwrap();
    assert_eq!(imported.query, weekly_query());
    assert_eq!(imported.description, "from Alice");
    assert_ne!(imported.id, weekly, "imported presets get new ids");

    // Importing the same file again adds nothing twice.
    let again = bob.import_from(&shared).unwrap();
    assert!(again.added.is_empty(), "{again:?}");
    assert_eq!(again.already_present, ["Weekly volume", "Counts"]);

    // A bare array with a bad entry and a third name clash.
    let loose = team.path().join("loose.json");
    std::fs::write(
        &loose,
        json!([
            {"name": "Weekly volume", "query": {"select": [{"type": "aggregation", "aggregation": "count"}]}},
            {"name": "Broken", "query": {"select": "not a list"}}
        ])
        .to_string(),
    )
    .unwrap();
    let report = bob.import_from(&loose).unwrap();
    assert_eq!(report.added, ["Weekly volume (3)"]);
    assert_eq!(report.skipped.len(), 1);
    let (reloaded, _) = PresetStore::open(team.path().join("bob").as_path());
    assert_eq!(user_names(&reloaded), ["Counts", "Weekly volume", "Weekly volume (2)", "Weekly volume (3)"]);

    // Not JSON at all: an error naming the file, and nothing changes.
    let junk = team.path().join("junk.json");
    std::fs::write(&junk, "not json").unwrap();
    let err = bob.import_from(&junk).unwrap_err();
    assert!(err.to_string().contains("junk.json"), "{err}");
    assert_eq!(user_names(&bob), user_names(&reloaded));
}

fn run(notes: &str, status: RunStatus) -> HistoryEntry {
    HistoryEntry {
        query: QueryBody { notes: Some(notes.into()), ..count_query() },
        server_url: "http://127.0.0.1:8787".into(),
        started_at: utc("2026-01-05T10:00:00Z"),
        duration_ms: 42,
        rows: Some(3),
        total: Some(3),
        status,
        request_id: Some("req-1".into()),
        ..HistoryEntry::default()
    }
}

#[test]
fn history_survives_a_corrupt_file_and_keeps_unreadable_entries() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(HISTORY_FILE_NAME);
    std::fs::write(&path, [0xFF, 0xFE, 0x00]).unwrap();
    let (mut history, report) = HistoryStore::open(dir.path());
    let moved = report.moved_aside.clone().unwrap();
    assert!(moved.file_name().unwrap().to_string_lossy().starts_with("history.json.corrupt-"));
    assert_eq!(std::fs::read(&moved).unwrap(), [0xFF, 0xFE, 0x00]);
    assert!(history.is_empty());
    history.record(run("after the crash", RunStatus::Ok)).unwrap();
    assert_eq!(names_in(dir.path()).len(), 2);

    let odd = json!({"id": "h-odd", "query": {"bogus": true}, "status": "ok"});
    let stored: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut entries = stored["entries"].as_array().unwrap().clone();
    entries.insert(0, odd.clone());
    std::fs::write(&path, json!({"schemaVersion": 1, "entries": entries}).to_string()).unwrap();
    let (mut history, report) = HistoryStore::open(dir.path());
    assert_eq!(report.unreadable_count, 1);
    assert_eq!(history.len(), 1);
    history.record(run("more", RunStatus::Failed { message: "HTTP 502 from the gateway".into() })).unwrap();
    let stored: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(stored["entries"][0], odd);
    assert_eq!(stored["entries"].as_array().unwrap().len(), 3);
    let (history, _) = HistoryStore::open(dir.path());
    let notes: Vec<_> = history.entries().iter().map(|e| e.notes().unwrap().to_string()).collect();
    assert_eq!(notes, ["more", "after the crash"]);
    assert_eq!(history.search("gateway").len(), 1);
}

#[test]
fn a_history_entry_from_an_older_file_loads_with_defaults() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(HISTORY_FILE_NAME),
        json!({"schemaVersion": 1, "entries": [{"query": {}, "serverUrl": "http://x"}]}).to_string(),
    )
    .unwrap();
    let (history, report) = HistoryStore::open(dir.path());
    assert_eq!(report.unreadable_count, 0, "{report:?}");
    let entry = history.entries()[0].clone();
    assert_eq!(entry.server_url, "http://x");
    assert_eq!(entry.status, RunStatus::Ok);
    assert_eq!(entry.rows, None);
}

#[test]
fn looking_a_preset_up_leaves_a_damaged_file_for_the_window_to_report() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(PRESETS_FILE_NAME);
    std::fs::write(&path, "{\"presets\": [").unwrap();
    let builtin = &builtin_presets()[0];
    let query = inkeep_explorer::presets::find_preset_query(Some(dir.path()), &builtin.name).unwrap();
    assert_eq!(query, builtin.query);
    assert_eq!(names_in(dir.path()), [PRESETS_FILE_NAME], "nothing was moved aside");
    let err = inkeep_explorer::presets::find_preset_query(Some(dir.path()), "Mine").unwrap_err();
    assert!(err.to_string().contains(&builtin.name), "{err}");
    // The window's store then finds the damage and says so.
    let (_, report) = PresetStore::open(dir.path());
    assert!(report.moved_aside.is_some());
}

/// Every order-by field of a body, checked against its view's published set independently
/// of the validator.
fn assert_published_order_by(view: View, body: &QueryBody, what: &str) {
    for entry in &body.order_by {
        assert!(
            is_published_order_by_field(view, &entry.field),
            "{what}: orderBy {} is not published",
            entry.field
        );
    }
}

#[test]
fn the_shipped_preset_file_is_inside_the_published_rules_as_written() {
    // The raw asset, not `builtin_presets()`: loading migrates, which would hide a mistake here.
    let file: Value = serde_json::from_str(include_str!("../assets/presets.json")).unwrap();
    let presets = file["presets"].as_array().unwrap();
    assert_eq!(presets.len(), builtin_presets().len());
    let mut sorted_by_count_id = 0;
    for raw in presets {
        let name = raw["name"].as_str().unwrap();
        // No `view`: conversations, as in files from before the other views.
        let view: View = match raw.get("view") {
            Some(view) => serde_json::from_value(view.clone()).unwrap(),
            None => View::Conversations,
        };
        assert_ne!(raw.get("view"), Some(&json!("conversations_view")), "{name}: conversations stay unsaid");
        let query: QueryBody = serde_json::from_value(raw["query"].clone()).unwrap();
        for now in ["2026-01-05T00:00:00Z", "2024-02-29T23:59:59Z"] {
            let resolved = resolve_relative_times(&query, utc(now)).unwrap();
            assert_eq!(validate(view, &resolved), vec![], "{name} at {now}");
            assert_published_order_by(view, &resolved, name);
        }
        // The orderBy names a column the query produces.
        let columns: Vec<String> = result_columns(view, &query).into_iter().map(|c| c.name).collect();
        for entry in &query.order_by {
            assert!(columns.contains(&entry.field), "{name}: sorts by {} of {columns:?}", entry.field);
        }
        sorted_by_count_id += query.order_by.iter().filter(|o| o.field == "count_id").count();
        // A name promising a top N would need a row limit the API does not have.
        assert!(!name.to_lowercase().starts_with("top "), "{name}");
    }
    assert_eq!(sorted_by_count_id, 5, "the five presets sorted by a count sort by count_id");
    // And loading them changes nothing.
    for preset in builtin_presets() {
        assert!(preset.grid_sort.is_empty(), "{}", preset.name);
    }
}

fn old_count_sorted() -> Value {
    json!({
        "select": [{"type": "aggregation", "aggregation": "count"}],
        "groupBy": [{"field": "type"}],
        "orderBy": [{"field": "count", "direction": "desc"}, {"field": "type", "direction": "asc"}]
    })
}

fn old_path_sorted() -> Value {
    json!({
        "select": [
            {"type": "aggregation", "aggregation": "countDistinct", "field": "userProperties", "path": ["userId"]}
        ],
        "groupBy": [{"field": "properties", "path": ["source"]}],
        "orderBy": [
            {"field": "countDistinct_userProperties.userId", "direction": "desc"},
            {"field": "properties.source", "direction": "asc"}
        ]
    })
}

#[test]
fn an_old_presets_file_is_migrated_on_load_and_rewritten_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(PRESETS_FILE_NAME);
    let old = json!({"schemaVersion": 1, "presets": [
        {"id": "a", "name": "By type", "query": old_count_sorted()},
        {"id": "b", "name": "Sources", "query": old_path_sorted()},
        {"id": "c", "name": "Fine", "query": {"select": [{"type": "field", "field": "firstMessageTime"}],
            "orderBy": [{"field": "firstMessageTime", "direction": "desc"}]}}
    ]});
    std::fs::write(&path, serde_json::to_vec_pretty(&old).unwrap()).unwrap();

    let (store, report) = PresetStore::open(dir.path());
    let message = report.message().unwrap();
    assert!(message.contains("“By type”: sort by count now counts id and sorts by count_id"), "{message}");
    assert!(
        message.contains("“Sources”: sort by countDistinct_userProperties.userId now happens in the grid")
    );
    assert!(message.contains("sort by properties.source now happens in the grid"), "{message}");
    assert!(!message.contains("Fine"), "{message}");

    let by_type = store.find_by_name("By type").unwrap();
    assert_eq!(by_type.query.select, [Selection::aggregate(Aggregation::Count, Field::Id)]);
    let fields: Vec<&str> = by_type.query.order_by.iter().map(|o| o.field.as_str()).collect();
    assert_eq!(fields, ["count_id", "type"]);
    assert!(by_type.grid_sort.is_empty());
    let sources = store.find_by_name("Sources").unwrap();
    assert!(sources.query.order_by.is_empty());
    assert_eq!(
        sources.grid_sort,
        [
            LocalSort { column: "countDistinct_userProperties.userId".into(), descending: true },
            LocalSort { column: "properties.source".into(), descending: false },
        ]
    );
    for preset in store.list().into_iter().filter(|p| !p.builtin) {
        assert_eq!(validate(View::Conversations, &preset.query), vec![], "{}", preset.name);
        assert_published_order_by(View::Conversations, &preset.query, &preset.name);
    }

    // The file now holds the migrated presets (written atomically: nothing else in the dir).
    assert_eq!(names_in(dir.path()), [PRESETS_FILE_NAME]);
    let on_disk: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(on_disk["presets"][0]["query"]["orderBy"][0]["field"], json!("count_id"));
    assert_eq!(on_disk["presets"][0]["query"]["select"][0]["field"], json!("id"));
    assert_eq!(
        on_disk["presets"][1]["gridSort"][1],
        json!({"column": "properties.source", "descending": false})
    );
    assert_eq!(
        on_disk["presets"][2]["query"], old["presets"][2]["query"],
        "an untouched query is written as it was"
    );

    // A second load has nothing left to say and changes nothing.
    let (again, report) = PresetStore::open(dir.path());
    assert_eq!(report.message(), None);
    assert_eq!(again.find_by_name("Sources").unwrap().grid_sort.len(), 2);
    let after: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(after, on_disk);
}

fn feedback_per_week() -> QueryBody {
    serde_json::from_value(json!({
        "select": [{"type": "time", "timeUnit": "week", "field": "createdAt"},
                   {"type": "aggregation", "aggregation": "count", "field": "id"}],
        "groupBy": [{"field": "reasons", "path": ["label"]}],
        "orderBy": [{"field": "createdAt_week", "direction": "asc"}]
    }))
    .unwrap()
}

/// A preset's view survives saving, reloading, duplicating, exporting and importing; an old
/// file (no `view`) loads as conversations and is not rewritten; and migration judges a
/// preset's sort keys by its own view.
#[test]
fn presets_carry_their_view_and_old_files_mean_conversations() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(PRESETS_FILE_NAME);
    let old = json!({"schemaVersion": 1, "presets": [
        {"id": "old", "name": "Old weekly", "query": {"select": [{"type": "field", "field": "firstMessageTime"}],
            "orderBy": [{"field": "firstMessageTime", "direction": "desc"}]},
         "createdAt": "2026-01-05T10:00:00Z", "updatedAt": "2026-01-05T10:00:00Z"},
        // A feedback preset whose sort keys are published for feedback (not conversations):
        // nothing to migrate.
        {"id": "fb", "name": "Reasons", "view": "feedback_view", "query": feedback_per_week(),
         "createdAt": "2026-01-05T10:00:00Z", "updatedAt": "2026-01-05T10:00:00Z"}
    ]});
    let old_text = serde_json::to_vec_pretty(&old).unwrap();
    std::fs::write(&path, &old_text).unwrap();
    let (mut store, report) = PresetStore::open(dir.path());
    assert_eq!(report.message(), None, "nothing migrated: each preset is judged on its view");
    assert_eq!(std::fs::read(&path).unwrap(), old_text, "an old file is not rewritten by loading");
    assert_eq!(store.find_by_name("Old weekly").unwrap().view, View::Conversations);
    let reasons = store.find_by_name("Reasons").unwrap().clone();
    assert_eq!(reasons.view, View::Feedback);
    assert_eq!(reasons.query, feedback_per_week());
    assert!(reasons.grid_sort.is_empty());

    // Saving and overwriting record the view.
    let threads = store.save_new("Threads", None, View::SemanticThreads, QueryBody::default()).unwrap();
    let copy = store.duplicate(&reasons.id).unwrap();
    let old_id = store.find_by_name("Old weekly").unwrap().id.clone();
    store.update_query(&old_id, View::Events, QueryBody::default()).unwrap();
    let (reloaded, _) = PresetStore::open(dir.path());
    assert_eq!(reloaded.get(&threads).unwrap().view, View::SemanticThreads);
    assert_eq!(reloaded.get(&copy).unwrap().view, View::Feedback);
    assert_eq!(reloaded.get(&old_id).unwrap().view, View::Events);
    let on_disk: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let stored_view = |id: &str| {
        on_disk["presets"].as_array().unwrap().iter().find(|p| p["id"] == json!(id)).unwrap()["view"].clone()
    };
    assert_eq!(stored_view(&threads), json!("semantic_threads_view"));
    assert_eq!(stored_view("fb"), json!("feedback_view"));

    // Export and import keep it; the same query on another view is another preset.
    let shared = dir.path().join("shared.json");
    reloaded.export_to(&shared, std::slice::from_ref(&copy)).unwrap();
    let other = tempfile::tempdir().unwrap();
    let (mut elsewhere, _) = PresetStore::open(other.path());
    elsewhere.save_new("Reasons (copy)", None, View::Conversations, feedback_per_week()).unwrap();
    let report = elsewhere.import_from(&shared).unwrap();
    assert_eq!(report.added, ["Reasons (copy) (2)"], "same name and query, another view");
    assert_eq!(elsewhere.find_by_name("Reasons (copy) (2)").unwrap().view, View::Feedback);
    assert_eq!(elsewhere.find_by_name("Reasons (copy)").unwrap().view, View::Conversations);
    assert_eq!(elsewhere.import_from(&shared).unwrap().already_present, ["Reasons (copy)"]);

    // The same sort keys on a conversations preset are another view's fields: moved to the grid.
    let misfiled = json!({"schemaVersion": 1, "presets": [{"id": "x", "name": "Misfiled", "query": feedback_per_week()}]});
    let third = tempfile::tempdir().unwrap();
    std::fs::write(third.path().join(PRESETS_FILE_NAME), misfiled.to_string()).unwrap();
    let (store, report) = PresetStore::open(third.path());
    assert!(report.message().unwrap().contains("sort by createdAt_week now happens in the grid"));
    assert_eq!(store.find_by_name("Misfiled").unwrap().grid_sort.len(), 1);
    // The built-in presets of other views are found by name and carry their view.
    let found = inkeep_explorer::presets::find_preset(None, "question sentiment per week").unwrap();
    assert_eq!(found.view, View::SemanticThreads);
    let by_id = inkeep_explorer::presets::find_preset(None, "knowledge-gaps-by-category").unwrap();
    assert_eq!(
        (by_id.view, by_id.name.as_str()),
        (View::SemanticThreads, "Knowledge gaps by category (last 30 days)")
    );
}

#[test]
fn an_imported_old_preset_is_migrated_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let shared = dir.path().join("shared.json");
    std::fs::write(&shared, json!([{"name": "Shared counts", "query": old_count_sorted()}]).to_string())
        .unwrap();
    let config = dir.path().join("config");
    std::fs::create_dir(&config).unwrap();
    let (mut store, _) = PresetStore::open(&config);
    let report = store.import_from(&shared).unwrap();
    assert_eq!(report.added, ["Shared counts"]);
    assert_eq!(report.migrated.len(), 1);
    assert!(report.migrated[0].starts_with("“Shared counts”: sort by count"), "{:?}", report.migrated);
    let imported = store.find_by_name("Shared counts").unwrap();
    assert_eq!(imported.query.order_by[0].field, "count_id");
    assert_eq!(validate(View::Conversations, &imported.query), vec![]);
    // Importing the same old file again finds it already present (compared after migration).
    let again = store.import_from(&shared).unwrap();
    assert_eq!(again.already_present, ["Shared counts"]);
    let (reloaded, report) = PresetStore::open(&config);
    assert_eq!(report.message(), None, "stored migrated");
    assert!(reloaded.find_by_name("Shared counts").is_some());
}

#[test]
fn old_history_entries_are_migrated_on_load() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(HISTORY_FILE_NAME);
    let old = json!({"schemaVersion": 1, "entries": [
        {"id": "h1", "query": old_count_sorted(), "status": "ok"},
        {"id": "h2", "query": old_count_sorted(), "status": "ok"},
        {"id": "h3", "query": old_path_sorted(), "status": "ok"},
        {"id": "h4", "query": {"select": [{"type": "aggregation", "aggregation": "count"}]}, "status": "ok"}
    ]});
    std::fs::write(&path, old.to_string()).unwrap();
    let (store, report) = HistoryStore::open(dir.path());
    let message = report.message().unwrap();
    assert!(message.contains("2 entries: sort by count now counts id and sorts by count_id"), "{message}");
    assert!(message.contains("1 entry: sort by countDistinct_userProperties.userId now happens in the grid"));
    let h1 = store.get("h1").unwrap();
    assert_eq!(h1.query.order_by[0].field, "count_id");
    assert_eq!(h1.query.select, [Selection::aggregate(Aggregation::Count, Field::Id)]);
    let h3 = store.get("h3").unwrap();
    assert!(h3.query.order_by.is_empty());
    assert_eq!(h3.grid_sort.len(), 2);
    // Bare `count` without a sort on it still loads as it was.
    assert_eq!(store.get("h4").unwrap().query.select, [Selection::count()]);
    for entry in store.entries() {
        assert_eq!(validate(View::Conversations, &entry.query), vec![], "{}", entry.id);
    }
    let on_disk: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(on_disk["entries"][0]["query"]["orderBy"][0]["field"], json!("count_id"));
    assert_eq!(on_disk["entries"][2]["gridSort"][0]["column"], json!("countDistinct_userProperties.userId"));
    let (_, report) = HistoryStore::open(dir.path());
    assert_eq!(report.message(), None);
}
