//! Query tabs, driven as a user would through egui_kittest: two tabs running at once against
//! a stand-in API that holds its answers until the test lets them go (so both runs are
//! pending together), cancelling one tab's run while the other's goes on, closing a tab and
//! bringing it back with its result, and the tabs coming back after a restart. Then the
//! strip's gestures with real input events: Ctrl+T / Ctrl+Tab / Ctrl+Shift+Tab / Ctrl+W,
//! double-click to rename, middle-click to close, and dragging a tab to reorder.

// Helpers outside #[test] functions panic on purpose too: a failed step is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable as _;
use inkeep_explorer::api::client::ApiKey;
use inkeep_explorer::api::query::parse_query;
use inkeep_explorer::app::AppEnv;
use inkeep_explorer::app::commands::Command;
use inkeep_explorer::app::state::RunState;
use inkeep_explorer::app::tab::QueryTab;
use inkeep_explorer::worker::ConnectionKind;
use serde_json::{Value, json};
use support::*;

/// A stand-in API on loopback. A query's answer is one row whose `type` is the query's
/// notes, so each answer says which query asked. Notes starting with `hold` are answered
/// only once `release` is set; `never` is never answered.
fn held_api(release: Arc<AtomicBool>) -> LocalApi {
    use axum::response::IntoResponse as _;
    let query = move |body: String| {
        let release = Arc::clone(&release);
        async move {
            let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
            let notes = body.get("notes").and_then(Value::as_str).unwrap_or_default().to_string();
            if notes == "never" {
                tokio::time::sleep(Duration::from_secs(600)).await;
            }
            while notes.starts_with("hold") && !release.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            axum::Json(json!({
                "status": "ok",
                "data": {"result": [{"type": notes, "count": 1}], "total": 1, "pageSize": 1, "count": 1}
            }))
            .into_response()
        }
    };
    serve_locally(axum::Router::new().route("/query/conversations", axum::routing::post(query)))
}

fn held_window(api: &LocalApi) -> Window {
    let env = AppEnv {
        env_key: Some(ApiKey::new("test-key".to_string())),
        env_server_url: Some(api.url.clone()),
        ..AppEnv::isolated(100)
    };
    let query = parse_query(
        r#"{"select":[{"type":"aggregation","aggregation":"count"}],"groupBy":[{"field":"type"}]}"#,
    )
    .unwrap();
    let mut harness = window(env, Some(query));
    step_until(&mut harness, "the connection", connected(ConnectionKind::Remote));
    harness
}

/// Types `notes` into the shown tab's Notes field and runs it.
fn run_with_notes(harness: &mut Window, notes: &str) {
    type_into(harness, "Notes", notes);
    unfocus(harness);
    click(harness, "Run");
}

/// The `type` of the one row of a tab's answer.
fn answered_type(tab: &QueryTab) -> String {
    let RunState::Done(outcome) = &tab.run else { panic!("{}: {:?}", tab.title(), tab.run) };
    let column = outcome.table.column_names().iter().position(|name| *name == "type").unwrap();
    outcome.table.cell_text(0, column).into_owned()
}

#[test]
fn two_tabs_run_at_once_and_each_shows_its_own_answer() {
    let release = Arc::new(AtomicBool::new(false));
    let api = held_api(Arc::clone(&release));
    let mut harness = held_window(&api);

    run_with_notes(&mut harness, "hold A");
    click(&mut harness, "New tab");
    assert_eq!(app(&harness).tabs.len(), 2);
    load_query(
        &mut harness,
        r#"{"select":[{"type":"aggregation","aggregation":"count"}],"groupBy":[{"field":"type"}]}"#,
    );
    run_with_notes(&mut harness, "hold B");

    // Both are in flight together: the second run did not cancel the first.
    step_until(&mut harness, "both runs sent", |s| s.tabs.iter().all(|tab| tab.run.pending_id().is_some()));
    for _ in 0..10 {
        harness.step();
    }
    assert!(app(&harness).tabs.iter().all(|tab| tab.run.pending_id().is_some() && tab.is_busy()));

    release.store(true, Ordering::SeqCst);
    step_until(&mut harness, "both answers", |s| {
        s.tabs.iter().all(|tab| matches!(tab.run, RunState::Done(_)))
    });
    let state = app(&harness);
    assert_eq!(answered_type(tab_titled(state, "hold A")), "hold A");
    assert_eq!(answered_type(tab_titled(state, "hold B")), "hold B");

    // The grid shows the answer of the tab shown, and switching tabs switches answers.
    assert!(shows(&harness, "hold B") && !shows(&harness, "hold A"));
    click(&mut harness, "Tab: hold A");
    assert_eq!(active_tab(&harness).title(), "hold A");
    assert!(shows(&harness, "hold A") && !shows(&harness, "hold B"));
}

#[test]
fn cancel_in_one_tab_leaves_the_other_running_and_it_finishes() {
    let release = Arc::new(AtomicBool::new(false));
    let api = held_api(Arc::clone(&release));
    let mut harness = held_window(&api);

    run_with_notes(&mut harness, "never");
    harness.key_press_modifiers(Modifiers::COMMAND, Key::T);
    harness.run_ok();
    assert_eq!(app(&harness).tabs.len(), 2, "Ctrl+T opens a tab");
    load_query(
        &mut harness,
        r#"{"select":[{"type":"aggregation","aggregation":"count"}],"groupBy":[{"field":"type"}]}"#,
    );
    run_with_notes(&mut harness, "hold B");
    step_until(&mut harness, "both runs sent", |s| s.tabs.iter().all(|tab| tab.run.pending_id().is_some()));

    // Cancel the first tab's run from its own tab.
    click(&mut harness, "Tab: never");
    click(&mut harness, "Cancel");
    let state = app(&harness);
    assert!(tab_titled(state, "never").run.pending_id().is_none(), "cancelled");
    assert!(tab_titled(state, "hold B").run.pending_id().is_some(), "the other tab still runs");

    release.store(true, Ordering::SeqCst);
    step_until(&mut harness, "the other tab's answer", |s| {
        matches!(tab_titled(s, "hold B").run, RunState::Done(_))
    });
    assert_eq!(answered_type(tab_titled(app(&harness), "hold B")), "hold B");
    assert!(matches!(tab_titled(app(&harness), "never").run, RunState::NotRequested));
}

#[test]
fn closing_a_tab_and_undoing_the_close_restores_its_query_and_result() {
    let release = Arc::new(AtomicBool::new(true));
    let api = held_api(release);
    let mut harness = held_window(&api);
    run_with_notes(&mut harness, "first");
    step_until(&mut harness, "the answer", finished);
    let request_id = outcome(&harness).request_id;
    let query = draft_body(app(&harness));
    click(&mut harness, "New tab");
    assert_eq!(app(&harness).tabs.len(), 2);

    // Closing the tab with a result offers to bring it back.
    click(&mut harness, "Close tab first");
    assert_eq!(app(&harness).tabs.len(), 1);
    assert!(app(&harness).tabs.iter().all(|tab| tab.title() != "first"));
    assert!(shows_containing(&harness, "Closed the tab “first”"));
    click(&mut harness, "Reopen closed tab");
    assert_eq!(app(&harness).tabs.len(), 2);
    assert_eq!(active_tab(&harness).title(), "first");
    assert_eq!(draft_body(app(&harness)), query);
    assert_eq!(outcome(&harness).request_id, request_id, "the same result, not a new run");
    assert_eq!(answered_type(active_tab(&harness)), "first");

    // Ctrl+W closes the tab shown; Ctrl+Shift+T brings it back; an empty tab closes for good.
    harness.key_press_modifiers(Modifiers::COMMAND, Key::W);
    harness.run_ok();
    assert_eq!(app(&harness).tabs.len(), 1);
    harness.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::T);
    harness.run_ok();
    assert_eq!(active_tab(&harness).title(), "first");
    assert_eq!(outcome(&harness).request_id, request_id);
    let empty = app(&harness).tabs.iter().find(|tab| tab.is_empty()).unwrap().id;
    command(&mut harness, Command::CloseTab(empty));
    assert!(app(&harness).tabs.last_closed().is_none_or(|closed| closed.tab.id != empty));
}

#[test]
fn tabs_and_their_queries_come_back_after_a_restart_without_their_results() {
    let dir = tempfile::tempdir().unwrap();
    let first_query = r#"{"select":[{"type":"aggregation","aggregation":"count"}],"notes":"Volume"}"#;
    let second_query =
        r#"{"select":[{"type":"aggregation","aggregation":"count"}],"groupBy":[{"field":"type"}]}"#;
    {
        let mut harness = window(env_in(Some(dir.path()), 100), None);
        step_until(&mut harness, "the connection", is_connected);
        load_query(&mut harness, first_query);
        click(&mut harness, "Run");
        step_until(&mut harness, "the answer", finished);
        click(&mut harness, "New tab");
        load_query(&mut harness, second_query);
        let id = active_tab(&harness).id;
        command(&mut harness, Command::RenameTab(id, "By type".to_string()));
        harness.run_ok();
        assert!(harness.query_by_label("Tab: By type").is_some(), "the strip shows the new name");
        // Back to the first tab: the one shown is saved too.
        click(&mut harness, "Tab: Volume");
        let tabs_file = dir.path().join("tabs.json");
        step_until_outside(&mut harness, "the tabs to be saved", || {
            std::fs::read_to_string(&tabs_file)
                .is_ok_and(|text| text.contains("By type") && text.contains("\"active\": 0"))
        });
    }

    let mut harness = window(env_in(Some(dir.path()), 100), None);
    let state = app(&harness);
    let titles: Vec<String> = state.tabs.iter().map(QueryTab::title).collect();
    assert_eq!(titles, ["Volume", "By type"]);
    assert_eq!(active_tab(&harness).title(), "Volume");
    assert_eq!(draft_body(app(&harness)), parse_query(first_query).unwrap());
    assert_eq!(
        tab_titled(app(&harness), "By type").draft.to_body().unwrap(),
        parse_query(second_query).unwrap()
    );
    assert!(
        app(&harness).tabs.iter().all(|tab| matches!(tab.run, RunState::NotRequested)),
        "no results kept"
    );
    harness.run_ok();
    assert!(harness.query_by_label("Tab: By type").is_some());

    // A query from the command line opens in a tab of its own, beside the restored ones.
    drop(harness);
    let launched =
        parse_query(r#"{"select":[{"type":"aggregation","aggregation":"count"}],"notes":"From the CLI"}"#)
            .unwrap();
    let harness = window(env_in(Some(dir.path()), 100), Some(launched.clone()));
    assert_eq!(app(&harness).tabs.len(), 3);
    assert_eq!(active_tab(&harness).title(), "From the CLI");
    assert_eq!(draft_body(app(&harness)), launched);
}

/// A window on the embedded demo with three tabs, titled by their queries' notes: One, Two,
/// Three (the last one shown).
fn three_tabs() -> Window {
    let mut harness = window(env_in(None, 100), None);
    for (index, name) in ["One", "Two", "Three"].into_iter().enumerate() {
        if index > 0 {
            click(&mut harness, "New tab");
        }
        load_query(
            &mut harness,
            &format!(r#"{{"select":[{{"type":"aggregation","aggregation":"count"}}],"notes":"{name}"}}"#),
        );
    }
    assert_eq!(titles(&harness), ["One", "Two", "Three"]);
    assert_eq!(active_tab(&harness).title(), "Three");
    harness
}

fn titles(harness: &Window) -> Vec<String> {
    app(harness).tabs.iter().map(QueryTab::title).collect()
}

fn press(harness: &mut Window, modifiers: Modifiers, key: Key) {
    harness.key_press_modifiers(modifiers, key);
    harness.run_ok();
}

#[test]
fn keyboard_opens_cycles_and_closes_tabs() {
    let mut harness = three_tabs();

    // Ctrl+Tab goes right and wraps; Ctrl+Shift+Tab goes left and wraps back.
    press(&mut harness, Modifiers::CTRL, Key::Tab);
    assert_eq!(active_tab(&harness).title(), "One", "Ctrl+Tab wraps to the first tab");
    press(&mut harness, Modifiers::CTRL, Key::Tab);
    assert_eq!(active_tab(&harness).title(), "Two");
    press(&mut harness, Modifiers::CTRL | Modifiers::SHIFT, Key::Tab);
    press(&mut harness, Modifiers::CTRL | Modifiers::SHIFT, Key::Tab);
    assert_eq!(active_tab(&harness).title(), "Three", "Ctrl+Shift+Tab wraps to the last tab");

    // Ctrl+T opens an empty tab right of the one shown, and shows it.
    press(&mut harness, Modifiers::CTRL | Modifiers::SHIFT, Key::Tab);
    press(&mut harness, Modifiers::COMMAND, Key::T);
    assert_eq!(app(&harness).tabs.len(), 4);
    assert_eq!(app(&harness).tabs.active_index(), 2, "the new tab is right of Two");
    assert!(active_tab(&harness).is_empty());

    // Ctrl+W closes the tab shown, and only it.
    press(&mut harness, Modifiers::COMMAND, Key::W);
    assert_eq!(titles(&harness), ["One", "Two", "Three"]);
    assert_eq!(active_tab(&harness).title(), "Three", "the tab right of the closed one is shown");
    press(&mut harness, Modifiers::COMMAND, Key::W);
    assert_eq!(titles(&harness), ["One", "Two"]);
    assert!(harness.query_by_label("Tab: Three").is_none(), "the strip lost it too");
}

/// Double-clicks the one widget named `name`: both clicks in one frame (kittest's own
/// `click` spreads a click's events over frames).
fn double_click(harness: &mut Window, name: &str) {
    let pos = harness.get_by_label(name).rect().center();
    let events = &mut harness.input_mut().events;
    events.push(egui::Event::PointerMoved(pos));
    for pressed in [true, false, true, false] {
        let button = egui::PointerButton::Primary;
        events.push(egui::Event::PointerButton { pos, button, pressed, modifiers: Modifiers::NONE });
    }
    harness.run_ok();
}

#[test]
fn double_click_renames_a_tab_and_middle_click_closes_one() {
    let mut harness = three_tabs();
    // Let the harness's clock pass egui's double-click delay since the clicks on "New tab",
    // so the two clicks below count as a double-click, not a triple one.
    harness.run_steps(60);

    double_click(&mut harness, "Tab: Two");
    assert!(harness.query_by_label("Tab: Two").is_none(), "the title became a text field");
    type_into(&mut harness, "Tab name", "Agent tickets");
    press(&mut harness, Modifiers::NONE, Key::Enter);
    assert_eq!(titles(&harness), ["One", "Agent tickets", "Three"]);
    assert_eq!(tab_titled(app(&harness), "Agent tickets").name.as_deref(), Some("Agent tickets"));
    assert!(harness.query_by_label("Tab: Agent tickets").is_some());

    harness.get_by_label("Tab: One").click_button(egui::PointerButton::Middle);
    harness.run_ok();
    assert_eq!(titles(&harness), ["Agent tickets", "Three"], "middle-click closed One");
    assert_eq!(active_tab(&harness).title(), "Three", "the tab shown stays shown");
}

#[test]
fn dragging_a_tab_moves_it() {
    let mut harness = three_tabs();
    let from = harness.get_by_label("Tab: One").rect();
    let past = harness.get_by_label("Tab: Three").rect().right_center() - egui::vec2(4.0, 0.0);

    harness.hover_at(from.center());
    harness.run_ok();
    harness.drag_at(from.center());
    harness.step();
    // Move in steps, as a hand does: the drag starts once the pointer has left the click radius.
    for step in 1..=10 {
        let t = step as f32 / 10.0;
        harness.hover_at(from.center() + (past - from.center()) * t);
        harness.step();
    }
    // Release where the pointer is (kittest's `drop_at` also removes the pointer in the same
    // frame, and the strip needs to know where the tab was dropped).
    harness.event(egui::Event::PointerButton {
        pos: past,
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers: Modifiers::NONE,
    });
    harness.run_ok();
    assert_eq!(titles(&harness), ["Two", "Three", "One"]);
    assert_eq!(active_tab(&harness).title(), "Three", "the tab shown stays shown");
}
