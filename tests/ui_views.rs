//! The query views in the window, driven through egui_kittest: a tab's view picker, the
//! builder's fields following the view, switching view dropping exactly what the new view
//! lacks (and saying so), one Ctrl+Z bringing it all back, the text search of semantic
//! threads, and the request the tab would send (body and endpoint) for each view.

// Helpers outside #[test] functions panic on purpose too: a failed step is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable as _;
use inkeep_explorer::api::query::{Field, QueryBody, parse_query};
use inkeep_explorer::api::view::View;
use inkeep_explorer::app::AppEnv;
use inkeep_explorer::app::commands::Command;
use inkeep_explorer::app::presets_model::PresetsCommand;
use inkeep_explorer::worker::ConnectionKind;
use support::*;

/// A conversations query with something every other view lacks in each section.
fn conversations_query() -> QueryBody {
    parse_query(
        r#"{
            "select": [
                {"type": "time", "timeUnit": "week"},
                {"type": "aggregation", "aggregation": "count", "field": "id"}
            ],
            "groupBy": [{"field": "userMessageCount"}, {"field": "integrationId"}],
            "where": {"and": [
                {"condition": {"field": "firstMessageTime", "operator": "gte", "value": "2024-01-01"}},
                {"condition": {"field": "projectId", "operator": "isNotNull"}}
            ]},
            "orderBy": [{"field": "firstMessageTime_week", "direction": "asc"}]
        }"#,
    )
    .unwrap()
}

fn views_window() -> Window {
    let mut harness = window(AppEnv::isolated(300), Some(conversations_query()));
    step_until(&mut harness, "the demo connection", connected(ConnectionKind::Demo));
    harness
}

/// The entries of the `index`-th `Field` combo box: the field names that gain a widget when
/// it opens (other rows show field names too). It is closed again after.
fn field_options(harness: &mut Window, index: usize) -> Vec<String> {
    let names: Vec<&str> = Field::ALL.into_iter().map(Field::as_str).collect();
    let count = |harness: &Window, name: &str| harness.query_all_by_label(name).count();
    let closed: Vec<usize> = names.iter().map(|name| count(harness, name)).collect();
    click_nth(harness, "Field", index);
    let options: Vec<String> = names
        .iter()
        .zip(closed)
        .filter(|(name, before)| count(harness, name) > *before)
        .map(|(name, _)| name.to_string())
        .collect();
    unfocus(harness);
    assert!(!options.is_empty(), "the Field combo box #{index} opened");
    options
}

/// The text of the Request tab's JSON editor.
fn request_json(harness: &Window) -> serde_json::Value {
    let text = app(harness).active().inspector.text.clone();
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("{err}: {text}"))
}

#[test]
fn switching_view_drops_what_the_view_lacks_says_so_and_undoes_in_one_step() {
    let mut harness = views_window();
    let before = draft_body(app(&harness));
    assert_eq!(app(&harness).active().draft.view, View::Conversations);
    for view in View::ALL {
        assert!(shows(&harness, &format!("View: {}", view.title())), "{view:?} in the picker");
    }
    // The group-by field picker (after the time bucket's and the count's) offers this view's fields.
    let offered = field_options(&mut harness, 2);
    assert!(offered.contains(&"userMessageCount".to_string()), "{offered:?}");
    assert!(!offered.contains(&"reasons".to_string()), "{offered:?}");

    click(&mut harness, "View: Feedback");
    let tab = app(&harness).active();
    assert_eq!(tab.draft.view, View::Feedback);
    let notice = app(&harness).notice.as_ref().expect("a notice").text.clone();
    assert_eq!(
        notice,
        "Dropped for Feedback: group by userMessageCount and filter on firstMessageTime (Ctrl+Z brings \
         them back)."
    );
    assert!(
        shows_containing(&harness, "Dropped for Feedback: group by userMessageCount"),
        "in the status bar"
    );
    let after = draft_body(app(&harness));
    assert_eq!(after.group_by.len(), 1);
    assert_eq!(after.select, before.select, "the default bucket and the count apply to feedback too");
    // The sort on the bucket follows it to feedback's time.
    assert_eq!(after.order_by[0].field, "createdAt_week");
    assert!(tab.title().starts_with("Feedback: "), "{}", tab.title());

    // The builder now offers feedback's fields: the one group-by row is the third Field.
    let offered = field_options(&mut harness, 2);
    assert!(offered.contains(&"reasons".to_string()), "{offered:?}");
    assert!(offered.contains(&"createdAt".to_string()), "{offered:?}");
    assert!(!offered.contains(&"userMessageCount".to_string()), "{offered:?}");
    // The time bucket offers feedback's timestamps only.
    let buckets = field_options(&mut harness, 0);
    assert_eq!(buckets, ["createdAt", "updatedAt"]);

    // The request the tab would send: this body, to the feedback endpoint.
    click(&mut harness, "Request");
    assert!(shows(&harness, "POST /query/feedback"), "the endpoint is shown");
    let sent = request_json(&harness);
    assert_eq!(sent, serde_json::to_value(&after).unwrap());
    assert!(!sent.to_string().contains("userMessageCount"), "{sent}");

    // One undo brings the view and everything dropped back.
    unfocus(&mut harness);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    harness.run_ok();
    assert_eq!(app(&harness).active().draft.view, View::Conversations);
    assert_eq!(draft_body(app(&harness)), before);
    assert!(shows(&harness, "POST /query/conversations"));
    // And redo goes forward again.
    harness.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    harness.run_ok();
    assert_eq!(app(&harness).active().draft.view, View::Feedback);
    assert_eq!(draft_body(app(&harness)), after);
}

#[test]
fn semantic_threads_take_a_text_search_that_no_other_view_is_sent() {
    let mut harness = views_window();
    assert!(!shows(&harness, "Text search"), "conversations have no text search");
    click(&mut harness, "View: Semantic threads");
    assert_eq!(app(&harness).active().draft.view, View::SemanticThreads);
    let notice = app(&harness).notice.as_ref().expect("a notice").text.clone();
    assert_eq!(notice, "Dropped for Semantic threads: group by userMessageCount (Ctrl+Z brings them back).");
    type_into(&mut harness, "Text search", "refund");
    unfocus(&mut harness);
    let body = draft_body(app(&harness));
    assert_eq!(body.query.as_deref(), Some("refund"));
    // Threads begin at firstMessageTime: the filter on it and the bucket's sort stay.
    assert_eq!(body.order_by[0].field, "firstMessageTime_week");
    assert!(body.filter.is_some());
    click(&mut harness, "Request");
    assert!(shows(&harness, "POST /query/semantic-threads"));
    assert_eq!(request_json(&harness)["query"], "refund");

    click(&mut harness, "View: Events");
    let notice = app(&harness).notice.as_ref().expect("a notice").text.clone();
    assert!(notice.contains("text search"), "{notice}");
    let body = draft_body(app(&harness));
    assert_eq!(body.query, None, "events are not sent the search");
    assert!(request_json(&harness).get("query").is_none());
    assert!(shows(&harness, "POST /query/events"));
    assert!(!shows(&harness, "Text search"));
}

#[test]
fn a_preset_of_another_view_opens_on_that_view_and_its_run_and_history_say_so() {
    let mut harness = views_window();
    step_until(&mut harness, "the presets", |s| s.presets.store.is_some());
    let preset = inkeep_explorer::presets::builtin_presets()
        .into_iter()
        .find(|preset| preset.view == View::Feedback)
        .expect("a built-in feedback preset");
    command(&mut harness, Command::Presets(PresetsCommand::Load { id: preset.id.clone(), new_tab: true }));
    let tab = app(&harness).active();
    assert_eq!(tab.draft.view, View::Feedback);
    assert_eq!(tab.draft.best_effort_body(), preset.query);
    click(&mut harness, "Run");
    step_until(&mut harness, "the feedback run", finished);
    let outcome = outcome(&harness);
    assert_eq!(outcome.view, View::Feedback, "the outcome records the view it ran on");
    step_until(&mut harness, "the history entry", |s| {
        s.run_history
            .store
            .as_ref()
            .is_some_and(|store| store.entries().iter().any(|e| e.view == View::Feedback))
    });
}

/// A row's menu opens the rows of another view it links to, in a new tab that runs: from a
/// semantic thread to its conversation, and from that conversation to its threads.
#[test]
fn a_row_opens_its_linked_rows_of_another_view_in_a_new_tab() {
    let mut harness = window(AppEnv::isolated(300), None);
    step_until(&mut harness, "the demo connection", connected(ConnectionKind::Demo));
    // Raw rows of semantic threads: every field, `question` and `conversationIds` among them.
    click(&mut harness, "View: Semantic threads");
    click(&mut harness, "Run");
    step_until(&mut harness, "the threads", finished);
    let conversation = grid_column(&harness, "conversationIds")[0].clone();
    let conversation_id: Vec<String> = serde_json::from_str(&conversation).unwrap();
    let question = grid_column(&harness, "question")[0].clone();
    let tabs_before = app(&harness).tabs.len();

    harness.get_by_label(&question).click_secondary();
    harness.run_ok();
    click(&mut harness, "Open conversation");
    assert_eq!(app(&harness).tabs.len(), tabs_before + 1, "a new tab");
    assert_eq!(app(&harness).active().draft.view, View::Conversations);
    step_until(&mut harness, "the linked conversation", finished);
    let opened = outcome(&harness);
    assert_eq!(opened.view, View::Conversations);
    assert_eq!(opened.meta.total, 1, "exactly the thread's conversation");
    assert_eq!(grid_column(&harness, "id"), conversation_id);

    // Back the other way: the conversation's threads include the one we came from.
    harness.get_by_label(&conversation_id[0]).click_secondary();
    harness.run_ok();
    click(&mut harness, "Open semantic threads");
    step_until(&mut harness, "the conversation's threads", finished);
    assert_eq!(outcome(&harness).view, View::SemanticThreads);
    assert!(grid_column(&harness, "question").contains(&question), "the thread is among them");
}

/// `--query FILE` and `--preset NAME` open on the view the file or the preset names.
#[test]
fn a_query_file_or_preset_opens_on_its_view() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.json");
    std::fs::write(
        &path,
        r#"{"view": "events_view", "body": {"select": [{"type": "aggregation", "aggregation": "count"}]}}"#,
    )
    .unwrap();
    let launch = inkeep_explorer::app::LaunchOptions { query_file: Some(path), ..Default::default() };
    let harness = open_window(launch, AppEnv::isolated(300), None);
    assert_eq!(app(&harness).active().draft.view, View::Events);
    assert!(app(&harness).active().derived.problems.is_empty(), "a valid events query");

    let launch = inkeep_explorer::app::LaunchOptions {
        preset: Some("Knowledge gaps by category (last 30 days)".to_string()),
        ..Default::default()
    };
    let harness = open_window(launch, AppEnv::isolated(300), None);
    assert_eq!(app(&harness).active().draft.view, View::SemanticThreads);
    assert!(app(&harness).active().derived.problems.is_empty(), "a valid threads query");
}

/// A built-in preset of each new view runs on the demo and reads as a table and as a chart.
#[test]
fn a_built_in_preset_of_each_new_view_shows_as_a_table_and_a_chart() {
    use inkeep_explorer::app::state::ResultView;
    let mut harness = views_window();
    step_until(&mut harness, "the presets", |s| s.presets.store.is_some());
    for name in [
        "Negative feedback per week by reason",
        "Question sentiment per week",
        "Knowledge gaps by category (last 30 days)",
        "Most frequent search queries (last 30 days)",
    ] {
        let preset = inkeep_explorer::presets::builtin_presets()
            .into_iter()
            .find(|preset| preset.name == name)
            .unwrap_or_else(|| panic!("no built-in {name}"));
        command(
            &mut harness,
            Command::Presets(PresetsCommand::Load { id: preset.id.clone(), new_tab: true }),
        );
        command(&mut harness, Command::SetView(ResultView::Table));
        click(&mut harness, "Run");
        step_until(&mut harness, name, finished);
        let outcome = outcome(&harness);
        assert_eq!(outcome.view, preset.view, "{name}");
        assert!(outcome.row_count() > 0, "{name}: the demo answers rows");
        let first_column = outcome.table.columns()[0].name().to_string();
        assert!(!grid_column(&harness, &first_column).is_empty(), "{name}: the grid shows them");

        command(&mut harness, Command::SetView(ResultView::Chart));
        for _ in 0..10 {
            harness.step();
        }
        harness.run_ok();
        assert!(shows_containing(&harness, " series"), "{name}: the chart draws its series");
    }
}
