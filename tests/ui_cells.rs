//! How the cells of the other query views read in the window (issue 14, "Reading the cells"):
//! a feedback-like answer with `reasons` (an array of `{label, details}`), `languages` (an
//! array of strings), a boolean and a long multi-line text, handed to a tab as the worker's
//! answer to its run, as `benches/tabs.rs` does, so that no server has to produce it.
//!
//! Checked through the accessibility tree, as a person reads it: the grid's labels, the hover
//! of a cell, and the row detail panel (opened from a cell's menu, by Enter, closed by
//! Escape), with the clipboard command its Copy button sends.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::Key;
use egui::accesskit::Role;
use egui_kittest::kittest::Queryable as _;
use inkeep_explorer::api::query::QueryBody;
use inkeep_explorer::app::AppEnv;
use inkeep_explorer::app::commands::Command;
use inkeep_explorer::app::state::ResultView;
use inkeep_explorer::data::{Meta, ResultTable};
use inkeep_explorer::worker::{Event, JobTag, Purpose, RawAnswer, RunAnswer};
use serde_json::json;
use support::{Window, app, command, is_connected, step_until};

/// The long answer of row 1: two lines, longer than a grid cell shows.
fn long_answer() -> String {
    format!("First line of the answer.\nSecond line, {} the end.", "and so on ".repeat(40))
}

const REASONS: &str = r#"[{"label":"Incorrect","details":"The steps are wrong"},{"label":"Outdated docs","details":"v1 only"}]"#;

/// Three rows, built from a JSON answer as the worker builds them.
fn answer() -> RunAnswer {
    let reasons: serde_json::Value = serde_json::from_str(REASONS).unwrap();
    let body = json!({"status": "ok", "data": {"result": [
        {"id": "fb-0", "reasons": reasons, "languages": ["en", "fr"], "isClear": true, "answer": long_answer()},
        {"id": "fb-1", "reasons": [], "languages": null, "isClear": false, "answer": "short"},
        {"id": "fb-2", "reasons": [{"title": "Setup guide", "url": "https://x"}], "languages": ["de"],
         "isClear": null, "answer": "two\nlines"},
    ], "total": 3, "pageSize": 100, "count": 3}});
    let (table, meta) =
        ResultTable::from_response_bytes(&QueryBody::default(), &serde_json::to_vec(&body).unwrap()).unwrap();
    assert_eq!(table.row_count(), 3);
    RunAnswer {
        table: Arc::new(table),
        meta: Meta { total: 3, page_size: meta.page_size, count: 3 },
        server_request_id: None,
        raw: RawAnswer::default(),
    }
}

/// A connected window whose tab shows [`answer`] in the Table view.
fn window_with_answer() -> Window {
    let mut harness = support::window(AppEnv::isolated(50), None);
    step_until(&mut harness, "the connection", is_connected);
    command(&mut harness, Command::LoadQuery(Box::default()));
    command(&mut harness, Command::SetView(ResultView::Table));
    command(&mut harness, Command::Run);
    let tab = app(&harness).tabs.active_id();
    let request_id = app(&harness).active().run.pending_id().expect("the run was sent");
    // Before any frame drains the worker, so the demo's own answer to this run (same id)
    // arrives after it and is ignored as stale.
    let tag = JobTag::new(tab, Purpose::Run);
    command(
        &mut harness,
        Command::Worker(Event::Finished { tag, request_id, duration_ms: 1, result: Ok(answer()) }),
    );
    step_until(&mut harness, "the answer in the grid", |state| {
        state.active().run.outcome().is_some_and(|outcome| outcome.row_count() == 3)
            && state.active().grid.view().len() == 3
    });
    // Today's table builder types an answer by the conversations view, whose columns come
    // first (all null here): only the feedback-like ones are shown, as a user would choose.
    support::click(&mut harness, "Columns");
    support::click(&mut harness, "Hide all");
    for name in ["id", "reasons", "languages", "isClear", "answer"] {
        // A click in the menu may close it.
        if harness.query_by_role_and_label(Role::CheckBox, name).is_none() {
            support::click(&mut harness, "Columns");
        }
        harness.get_by_role_and_label(Role::CheckBox, name).click();
        harness.run_ok();
    }
    harness.key_press(Key::Escape);
    harness.run_ok();
    harness
}

/// Steps frames until a widget's label contains `text` (tooltips wait for the pointer to rest).
fn wait_for_label_containing(harness: &mut Window, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while harness.query_by_label_contains(text).is_none() {
        assert!(Instant::now() < deadline, "nothing shows {text:?}");
        harness.step();
    }
}

#[test]
fn cells_read_naturally_with_the_whole_value_on_hover() {
    let mut harness = window_with_answer();

    // Arrays of objects by their label (else title), arrays of strings as a list.
    harness.get_by_label("Incorrect · Outdated docs");
    harness.get_by_label("Setup guide");
    harness.get_by_label("en, fr");
    harness.get_by_label("de");
    assert!(harness.query_by_label(REASONS).is_none(), "the raw JSON is not the cell's text");
    // Booleans as marks; a null boolean as null.
    assert_eq!(harness.query_all_by_label("✔").count(), 1);
    assert_eq!(harness.query_all_by_label("✖").count(), 1);
    // Long text: one line, cut at 200 characters.
    let one_line = long_answer().replace('\n', " ");
    let cut: String = one_line.chars().take(200).chain(['…']).collect();
    harness.get_by_label(&cut);
    assert!(harness.query_by_label_contains("the end.").is_none(), "the grid does not show the whole text");

    // The hover of a summarised array is its JSON, pretty-printed.
    harness.get_by_label("Incorrect · Outdated docs").hover();
    wait_for_label_containing(&mut harness, "\"details\": \"The steps are wrong\"");
    // The hover of a long text is the whole of it, line break kept.
    harness.get_by_label(&cut).hover();
    wait_for_label_containing(&mut harness, "the end.");
    assert!(harness.query_by_label(&long_answer()).is_some(), "the hover keeps the line break");
    // A boolean's hover says what the mark means.
    harness.get_by_label("✔").hover();
    wait_for_label_containing(&mut harness, "true");
}

#[test]
fn the_row_detail_panel_lists_every_column_in_full() {
    let mut harness = window_with_answer();
    assert!(harness.query_by_label("Row details").is_none(), "closed until asked for");

    // From a cell's menu.
    harness.get_by_label("Incorrect · Outdated docs").click_secondary();
    harness.run_ok();
    support::click(&mut harness, "Show row details");
    harness.get_by_label("Row details");
    let pretty =
        serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(REASONS).unwrap()).unwrap();
    harness.get_by_label(&pretty);
    harness.get_by_label(&long_answer());
    harness.get_by_label("✔ true");
    harness.get_by_label("[\n  \"en\",\n  \"fr\"\n]");

    // Each value has its Copy button; the reasons' copies the JSON as received.
    let reasons_label = harness.get_by_role_and_label(Role::Label, "reasons").rect().center().y;
    let copy = harness
        .query_all_by_role_and_label(Role::Button, "Copy")
        .min_by(|a, b| {
            (a.rect().center().y - reasons_label)
                .abs()
                .total_cmp(&(b.rect().center().y - reasons_label).abs())
        })
        .expect("a Copy button");
    copy.click();
    harness.step();
    let copied: Vec<String> = harness
        .output()
        .platform_output
        .commands
        .iter()
        .filter_map(|command| match command {
            egui::OutputCommand::CopyText(text) => Some(text.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(copied, [REASONS]);
    harness.run_ok();

    // The whole row, typed, as the cell menu's "Copy row as JSON" gives it.
    harness.get_by_label("Copy this row as JSON").click();
    harness.step();
    let row = harness
        .output()
        .platform_output
        .commands
        .iter()
        .find_map(|command| match command {
            egui::OutputCommand::CopyText(text) => serde_json::from_str::<serde_json::Value>(text).ok(),
            _ => None,
        })
        .expect("the row was copied");
    assert_eq!(row["reasons"], serde_json::from_str::<serde_json::Value>(REASONS).unwrap());
    assert_eq!((row["isClear"].clone(), row["answer"].clone()), (json!(true), json!(long_answer())));
    harness.run_ok();

    // Its button closes it; the menu opens it again.
    support::click(&mut harness, "Close details");
    assert!(harness.query_by_label("Row details").is_none());
    harness.get_by_label("Incorrect · Outdated docs").click_secondary();
    harness.run_ok();
    support::click(&mut harness, "Show row details");
    harness.get_by_label("Row details");

    // Escape closes it.
    harness.key_press(Key::Escape);
    harness.run_ok();
    assert!(harness.query_by_label("Row details").is_none());
    assert!(app(&harness).active().grid.detail.row().is_none());

    // A click on a cell selects it without opening the panel; Enter opens it on that row.
    harness.get_by_label("short").click();
    harness.run_ok();
    assert!(harness.query_by_label("Row details").is_none());
    harness.key_press(Key::Enter);
    harness.run_ok();
    harness.get_by_label("Row details");
    harness.get_by_label("✖ false");
    let row = app(&harness).active().grid.detail.row();
    assert_eq!(row, Some(1), "the panel shows the clicked row");

    // Once open, it follows the row clicked.
    harness.get_by_label("two lines").click();
    harness.run_ok();
    assert_eq!(app(&harness).active().grid.detail.row(), Some(2));
    // (Its text "two\nlines" is also the hover of the clicked cell: the JSON is the panel's alone.)
    harness.get_by_label("[\n  {\n    \"title\": \"Setup guide\",\n    \"url\": \"https://x\"\n  }\n]");

    // Selecting a whole row by its number opens the panel on it too.
    harness.key_press(Key::Escape);
    harness.run_ok();
    assert!(harness.query_by_label("Row details").is_none());
    harness.get_all_by_label("1").min_by(|a, b| a.rect().left().total_cmp(&b.rect().left())).unwrap().click();
    harness.run_ok();
    harness.get_by_label("Row details");
    assert_eq!(app(&harness).active().grid.detail.row(), Some(0));
}
