//! The query builder driven as a user would: by the names of its widgets, through
//! egui_kittest, with the draft's body checked against literal JSON.

// Helpers outside `#[test]` functions unwrap too; a failed unwrap is a failed test here.
#![allow(clippy::unwrap_used)]

mod support;

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use inkeep_explorer::api::columns::{is_published_order_by_field, result_columns};
use inkeep_explorer::api::query::{Field, parse_query};
use inkeep_explorer::api::validate::Problem;
use inkeep_explorer::api::view::View;
use inkeep_explorer::app::draft::QueryDraft;
use inkeep_explorer::app::query_form::{FormContext, SuggestionRequest, Suggestions, query_form_ui};
use serde_json::json;
use support::{Settle, click, click_nth, pick, unfocus};

/// What the shell would keep: the draft, the problems computed once per change, the
/// suggestion cache, and every request the form made.
#[derive(Default)]
struct Shell {
    draft: QueryDraft,
    problems: Vec<Problem>,
    suggestions: Suggestions,
    requests: Vec<SuggestionRequest>,
    change_count: usize,
}

impl Shell {
    fn with_body(body: serde_json::Value) -> Shell {
        let draft = QueryDraft::from_body(&parse_query(&body.to_string()).unwrap());
        let problems = draft.to_body().err().unwrap_or_default();
        Shell { draft, problems, ..Shell::default() }
    }
}

/// The form has nothing running behind it: every input must leave it still within the
/// harness's step budget.
impl Settle for Shell {
    fn settle(harness: &mut Harness<'_, Self>) {
        harness.run();
    }
}

fn harness(shell: Shell) -> Harness<'static, Shell> {
    Harness::builder().with_size(egui::vec2(1000.0, 1000.0)).build_ui_state(
        |ui, shell: &mut Shell| {
            let ctx = FormContext { problems: &shell.problems, suggestions: &shell.suggestions };
            let output = query_form_ui(ui, &mut shell.draft, &ctx);
            if output.changed {
                shell.change_count += 1;
                shell.problems = shell.draft.to_body().err().unwrap_or_default();
            }
            shell.requests.extend(output.requests);
        },
        shell,
    )
}

fn body_json(harness: &Harness<'_, Shell>) -> serde_json::Value {
    let body = harness.state().draft.to_body().unwrap_or_else(|p| panic!("problems: {p:?}"));
    serde_json::to_value(body).unwrap()
}

#[test]
fn building_a_query_by_clicks_gives_the_expected_body() {
    let mut harness = harness(Shell::default());
    harness.run();

    click(&mut harness, "Add aggregation");
    pick(&mut harness, "Aggregation", 0, "max");
    pick(&mut harness, "Aggregation", 0, "count");
    // `max` needed a field; `count` keeps it (a count of ids) until rows are chosen.
    pick(&mut harness, "Field", 0, "(rows)");

    click(&mut harness, "Add time bucket");
    pick(&mut harness, "Time unit", 0, "month");
    pick(&mut harness, "Time unit", 0, "day");

    click(&mut harness, "Add group");
    // Field combos so far: aggregation (0), time bucket (1), group (2).
    pick(&mut harness, "Field", 2, "projectId");
    pick(&mut harness, "Field", 2, "type");

    click(&mut harness, "Add condition");
    pick(&mut harness, "Field", 3, "userMessageCount");
    pick(&mut harness, "Operator", 0, "≥");
    click(&mut harness, "Value");
    harness.get_by_label("Value").type_text("3");
    harness.run();

    assert_eq!(
        body_json(&harness),
        json!({
            "select": [
                {"type": "aggregation", "aggregation": "count"},
                {"type": "time", "timeUnit": "day"}
            ],
            "groupBy": [{"field": "type"}],
            "where": {"condition": {"field": "userMessageCount", "operator": "gte", "value": 3}}
        })
    );
    assert!(harness.state().change_count >= 10, "every edit is reported");
    // Each select and group row names the column it produces.
    for column in ["→ count", "→ firstMessageTime_day", "→ type"] {
        harness.get_by_label(column);
    }
}

#[test]
fn a_bad_number_is_flagged_next_to_its_condition_as_you_type() {
    let mut harness = harness(Shell::with_body(json!({
        "where": {"and": [
            {"condition": {"field": "type", "operator": "eq", "value": "openai"}},
            {"condition": {"field": "userMessageCount", "operator": "gt", "value": 1}}
        ]}
    })));
    harness.run();
    let value = harness.get_all_by_label("Value").nth(1).unwrap();
    value.click();
    harness.run();
    harness.get_all_by_label("Value").nth(1).unwrap().type_text("2a");
    harness.run();
    let problems = &harness.state().problems;
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].path, "where.and[1].condition.value");
    harness.get_by_label(&problems[0].message.clone());
    // Nothing is lost: the text typed stays in the draft.
    assert_eq!(harness.state().draft.best_effort_body().filter.map(|f| f.condition_count()), Some(2));
}

#[test]
fn filter_groups_nest_wrap_and_switch() {
    let mut harness = harness(Shell::default());
    harness.run();
    click(&mut harness, "Add condition");
    click(&mut harness, "Value");
    harness.get_by_label("Value").type_text("openai");
    harness.run();
    click(&mut harness, "Wrap in group");
    // Now the root is an AND group holding the condition: add an OR group inside it,
    // and a condition inside that.
    click(&mut harness, "Add OR group");
    // The inner group's buttons come before the outer group's (which close it).
    click_nth(&mut harness, "Add condition", 0);
    pick(&mut harness, "Operator", 1, "is empty");
    pick(&mut harness, "Group type", 0, "OR");
    assert_eq!(
        body_json(&harness),
        json!({"where": {"or": [
            {"condition": {"field": "type", "operator": "eq", "value": "openai"}},
            {"or": [{"condition": {"field": "type", "operator": "isNull"}}]}
        ]}})
    );
    // Move the inner group above the condition, then remove the condition.
    click_nth(&mut harness, "Move up", 1);
    click_nth(&mut harness, "Remove", 3);
    assert_eq!(
        body_json(&harness),
        json!({"where": {"or": [{"or": [{"condition": {"field": "type", "operator": "isNull"}}]}]}})
    );
}

#[test]
fn the_order_by_picker_offers_only_columns_the_server_can_sort_by() {
    let body = json!({
        "select": [
            {"type": "aggregation", "aggregation": "count"},
            {"type": "time", "timeUnit": "week"},
            {"type": "field", "field": "properties"},
            {"type": "aggregation", "aggregation": "sum", "field": "userMessageCount"},
            {"type": "aggregation", "aggregation": "countDistinct", "field": "userProperties", "path": ["userId"]},
            {"type": "field", "field": "properties", "path": ["source"]}
        ],
        "groupBy": [
            {"field": "type"},
            {"field": "userProperties", "path": ["userType"], "includeInSelect": false}
        ]
    });
    let mut harness = harness(Shell::with_body(body.clone()));
    harness
        .state_mut()
        .suggestions
        .keys
        .insert((View::Conversations, Field::Properties), vec!["source".into(), "plan".into()]);
    harness.run();
    // What is left out is named, with where it sorts.
    harness.get_by_label(
        "count, properties.*, countDistinct_userProperties.userId, properties.source: sorted in the grid \
         (click the header)",
    );
    click(&mut harness, "Add sort");
    click(&mut harness, "Column");
    let offered = popup_options(&harness);
    // Independently: the produced columns, kept when the published set has them. An unpacked
    // JSON field is no column of its own (it becomes `properties.<key>` path columns).
    let produced: Vec<String> = result_columns(View::Conversations, &parse_query(&body.to_string()).unwrap())
        .into_iter()
        .filter(|c| !c.is_unpacked())
        .map(|c| c.name)
        .collect();
    let expected: Vec<&String> =
        produced.iter().filter(|n| is_published_order_by_field(View::Conversations, n)).collect();
    assert_eq!(offered.iter().collect::<Vec<_>>(), expected);
    assert_eq!(offered, ["firstMessageTime_week", "sum_userMessageCount", "type"]);
    for never in ["count", "properties.source", "properties.plan", "countDistinct_userProperties.userId"] {
        assert!(!offered.iter().any(|o| o == never), "{never} offered: {offered:?}");
    }
    click(&mut harness, "sum_userMessageCount");
    pick(&mut harness, "Direction", 0, "desc");
    assert_eq!(
        body_json(&harness)["orderBy"],
        json!([{"field": "sum_userMessageCount", "direction": "desc"}])
    );
    assert!(harness.state().requests.is_empty(), "the picker needs no JSON keys");
}

#[test]
fn add_aggregation_counts_ids_so_the_server_can_sort_by_it() {
    let mut harness = harness(Shell::default());
    harness.run();
    click(&mut harness, "Add aggregation");
    harness.get_by_label("→ count_id");
    click(&mut harness, "Add sort");
    pick(&mut harness, "Direction", 0, "desc");
    let body = body_json(&harness);
    assert_eq!(
        body,
        json!({
            "select": [{"type": "aggregation", "aggregation": "count", "field": "id"}],
            "orderBy": [{"field": "count_id", "direction": "desc"}]
        })
    );
    assert!(is_published_order_by_field(View::Conversations, body["orderBy"][0]["field"].as_str().unwrap()));
}

/// The labels of the items of the open combo box popup, in order.
fn popup_options(harness: &Harness<'_, Shell>) -> Vec<String> {
    let list = harness.get_by_role(egui::accesskit::Role::ListBox);
    list.children_recursive()
        .filter(|n| n.accesskit_node().role() == egui::accesskit::Role::Button)
        .filter_map(|n| n.accesskit_node().label())
        .collect()
}

#[test]
fn a_stale_order_by_entry_is_flagged() {
    let mut harness = harness(Shell::with_body(json!({
        "select": [{"type": "aggregation", "aggregation": "count", "field": "id"}],
        "orderBy": [{"field": "count_id", "direction": "desc"}]
    })));
    harness.run();
    assert!(harness.query_by_label("⚠").is_none(), "a produced column is not flagged");

    // The user swaps the aggregation; the sort key now names a column that is gone.
    pick(&mut harness, "Aggregation", 0, "countDistinct");
    harness.get_by_label("⚠").hover();
    harness.run();
    harness.get_by_label("no longer produced by the query");
    assert!(harness.state().problems.iter().any(|p| p.path.starts_with("orderBy[0]")), "validation agrees");
}

#[test]
fn a_sort_the_server_cannot_do_is_flagged() {
    let mut harness = harness(Shell::with_body(json!({
        "select": [{"type": "aggregation", "aggregation": "count"}],
        "orderBy": [{"field": "count", "direction": "desc"}]
    })));
    harness.run();
    harness.get_by_label("⚠").hover();
    harness.run();
    harness.get_by_label("the server cannot sort by this column; sort it in the grid by clicking its header");
}

#[test]
fn the_notes_counter_turns_red_over_80() {
    let mut harness = harness(Shell::with_body(json!({"notes": "n".repeat(80)})));
    harness.run();
    assert_eq!(counter_colour(&harness, "80/80"), Some(false));
    harness.get_by_role_and_label(egui::accesskit::Role::TextInput, "Notes").click();
    harness.run();
    harness.key_press(egui::Key::End);
    harness.get_by_role_and_label(egui::accesskit::Role::TextInput, "Notes").type_text("!");
    harness.run();
    assert_eq!(harness.state().draft.notes.as_deref().map(|n| n.chars().count()), Some(81));
    assert_eq!(counter_colour(&harness, "81/80"), Some(true));
    assert!(harness.state().problems.iter().any(|p| p.path == "notes"));
}

/// Whether the text `text` was painted in the error colour (`None` when not painted).
fn counter_colour(harness: &Harness<'_, Shell>, text: &str) -> Option<bool> {
    let error = harness.ctx.global_style().visuals.error_fg_color;
    harness.output().shapes.iter().find_map(|clipped| match &clipped.shape {
        egui::Shape::Text(shape) if shape.galley.text() == text => {
            Some(shape.galley.job.sections.iter().all(|s| s.format.color == error))
        }
        _ => None,
    })
}

#[test]
fn json_path_keys_are_requested_once_and_offered() {
    let mut harness = harness(Shell::with_body(json!({
        "where": {"condition": {"field": "properties", "operator": "eq", "value": {"path": ["so"], "value": "x"}}}
    })));
    harness.run();
    click(&mut harness, "Path");
    harness.run();
    assert_eq!(
        harness.state().requests,
        [SuggestionRequest::Keys { view: View::Conversations, field: Field::Properties }]
    );
    harness
        .state_mut()
        .suggestions
        .keys
        .insert((View::Conversations, Field::Properties), vec!["source".into()]);
    click(&mut harness, "Suggested keys");
    click(&mut harness, "source");
    assert_eq!(body_json(&harness)["where"]["condition"]["value"], json!({"path": ["source"], "value": "x"}));
    // The value editor now asks for the values at that key when its menu opens.
    click(&mut harness, "Suggested values");
    assert_eq!(
        harness.state().requests.last(),
        Some(&SuggestionRequest::Values {
            view: View::Conversations,
            field: Field::Properties,
            key: "source".into()
        })
    );
    unfocus(&mut harness);

    // `=` at a path may compare with null: a missing value.
    pick(&mut harness, "Type", 0, "null");
    assert_eq!(
        body_json(&harness)["where"]["condition"]["value"],
        json!({"path": ["source"], "value": null})
    );
    pick(&mut harness, "Type", 0, "number");
    click(&mut harness, "Value");
    harness.key_press(egui::Key::End);
    harness.get_by_label("Value").type_text("7");
    harness.run();
    // The text typed before the switch to null is still there: "x7" is no number.
    let problems = &harness.state().problems;
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].path, "where.condition.value.value");

    // A new connection clears the cache: the keys are asked for again, once.
    let asked_before = harness.state().requests.len();
    harness.state_mut().suggestions = Suggestions::default();
    click(&mut harness, "Path");
    harness.run();
    // The value editor still had focus when the cache went, so its values are asked for too.
    assert_eq!(
        harness.state().requests[asked_before..],
        [
            SuggestionRequest::Values {
                view: View::Conversations,
                field: Field::Properties,
                key: "source".into()
            },
            SuggestionRequest::Keys { view: View::Conversations, field: Field::Properties }
        ]
    );
}

/// A draft whose filter holds `count` conditions of every value form, in nested groups.
fn big_filter_draft(count: usize) -> QueryDraft {
    let forms = [
        json!({"condition": {"field": "type", "operator": "in", "value": ["openai", "support_ticket"]}}),
        json!({"condition": {"field": "userMessageCount", "operator": "gte", "value": 3}}),
        json!({"condition": {"field": "firstMessageTime", "operator": "lt", "value": "2024-06-01"}}),
        json!({"condition": {"field": "properties", "operator": "eq", "value": {"path": ["source"], "value": "slack"}}}),
        json!({"condition": {"field": "userProperties", "operator": "jsonContains", "value": {"userType": "admin"}}}),
        json!({"condition": {"field": "integrationId", "operator": "isNull"}}),
    ];
    let groups: Vec<serde_json::Value> = (0..count / 5)
        .map(|g| json!({"or": (0..5).map(|i| forms[(g * 5 + i) % forms.len()].clone()).collect::<Vec<_>>()}))
        .collect();
    let body = json!({
        "select": [{"type": "aggregation", "aggregation": "count", "field": "id"}, {"type": "time", "timeUnit": "day"}],
        "groupBy": [{"field": "type"}],
        "where": {"and": groups},
        "orderBy": [{"field": "count_id", "direction": "desc"}]
    });
    QueryDraft::from_body(&parse_query(&body.to_string()).unwrap())
}

/// Speed lives in `benches/frame.rs`; this checks that a large tree draws fully and that
/// drawing alone never edits the draft.
#[test]
fn a_fifty_condition_filter_draws_without_editing() {
    let mut draft = big_filter_draft(50);
    assert_eq!(draft.filter.as_ref().map(|f| f.condition_count()), Some(50));
    let problems = draft.to_body().err().unwrap_or_default();
    assert!(problems.is_empty(), "{problems:?}");
    let suggestions = Suggestions::default();
    let ctx = egui::Context::default();
    let input = || egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(700.0, 900.0))),
        ..egui::RawInput::default()
    };
    for _ in 0..3 {
        let mut output = ctx.run_ui(input(), |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                let form_ctx = FormContext { problems: &problems, suggestions: &suggestions };
                let form_output = query_form_ui(ui, &mut draft, &form_ctx);
                assert!(!form_output.changed, "drawing alone changes nothing");
            });
        });
        let primitives = ctx.tessellate(std::mem::take(&mut output.shapes), output.pixels_per_point);
        assert!(!primitives.is_empty());
        output.textures_delta.clear();
    }
    assert_eq!(draft, big_filter_draft(50));
}

#[test]
fn a_date_is_checked_as_typed() {
    let mut harness = harness(Shell::with_body(json!({
        "where": {"condition": {"field": "firstMessageTime", "operator": "gte", "value": "2024-05-01"}}
    })));
    harness.run();
    // The calendar: one day on, saved.
    click(&mut harness, "Pick date");
    click(&mut harness, ">");
    click(&mut harness, "Save");
    assert_eq!(body_json(&harness)["where"]["condition"]["value"], json!("2024-05-02"));
    click(&mut harness, "Value");
    harness.key_press(egui::Key::End);
    harness.key_press(egui::Key::Backspace);
    harness.run();
    let problems = harness.state().problems.clone();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].path, "where.condition.value");
    assert!(problems[0].message.contains("2024-05-0"), "{}", problems[0].message);
    harness.get_by_label(&problems[0].message);
    harness.get_by_label("Value").type_text("3T08:00:00Z");
    harness.run();
    assert_eq!(
        body_json(&harness)["where"]["condition"]["value"],
        json!("2024-05-03T08:00:00Z"),
        "{:?}",
        harness.state().problems
    );
}
