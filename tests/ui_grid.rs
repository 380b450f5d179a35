//! The results grid driven as a user would, headless through egui_kittest: clicking headers,
//! typing in the search box, hiding columns, selecting and copying cells, and the banner of a
//! truncated result. Expected values are computed here from the handmade rows, not read back
//! from the grid's own code.
//!
//! Sorting and searching run on a thread, so after each action the tests step frames until
//! the grid shows the new state, with a deadline.
//!
//! What is on screen is read from the accessibility tree: every cell is a label; the labels of
//! the table body are grouped into rows by their vertical position and ordered left to right,
//! the first one being the row number.

// Helpers outside #[test] functions panic on purpose too: a failed step is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui::{Modifiers, PointerButton, Pos2};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use inkeep_explorer::api::query::parse_query;
use inkeep_explorer::app::grid_ui::{GridAction, GridMeta, GridState, grid_ui};
use inkeep_explorer::data::{ColumnType, ResultTable};
use serde_json::{Map, Value, json};
use support::{Settle, click};

struct Fixture {
    table: Arc<ResultTable>,
    meta: GridMeta,
    grid: GridState,
    actions: Vec<GridAction>,
}

const NAME: &str = "properties.name";
const TEAM: &str = "properties.team";
const COUNT: &str = "properties.count";
const SCORE: &str = "properties.score";
const CREATED: &str = "properties.created";
const TAGS: &str = "properties.tags";

/// Twenty rows: names with distinct first letters (mixed case, two with accents), a team with
/// ties, integers with nulls and ties, floats with nulls, timestamps, JSON arrays.
fn rows() -> Vec<Value> {
    let names = [
        "alpha", "Bravo", "charlie", "Délta", "echo", "Foxtrot", "golf", "Hotel", "india", "Juliett", "kilo",
        "Lima", "mike", "November", "oscar", "Papa", "québec", "Romeo", "sierra", "Tango",
    ];
    let teams = ["red", "Blue", "green"];
    let counts: [Option<i64>; 20] = [
        Some(5),
        None,
        Some(1200),
        Some(3),
        Some(42),
        None,
        Some(7),
        Some(1_234_567),
        Some(0),
        Some(-8),
        Some(15),
        Some(15),
        Some(9),
        None,
        Some(100),
        Some(2),
        Some(64),
        Some(1000),
        Some(11),
        Some(3),
    ];
    names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let score = match i % 5 {
                0 => Value::Null,
                1 => json!(0.1 + 0.2),
                2 => json!(1234.5),
                3 => json!(-2.25),
                _ => json!(i as f64 * 10.0 + 0.5),
            };
            let created = format!("2026-01-{:02}T{:02}:30:00Z", i + 1, i % 24);
            json!({"properties": {
                "name": name,
                "team": teams[i % 3],
                "count": counts[i],
                "score": score,
                "created": created,
                "tags": ["t", i],
            }})
        })
        .collect()
}

fn table() -> ResultTable {
    let query = parse_query(r#"{"select":[{"type":"field","field":"properties","mode":"unpack"}]}"#).unwrap();
    let rows: Vec<Map<String, Value>> =
        rows().into_iter().map(|row| row.as_object().cloned().unwrap()).collect();
    ResultTable::from_rows(&query, &rows)
}

/// The grid sorts and filters on its view-cache thread, so frames after an input may keep
/// repainting until the view arrives: run the budget and go on.
impl Settle for Fixture {
    fn settle(harness: &mut Harness<'_, Self>) {
        harness.run_ok();
    }
}

fn window(table: ResultTable, total_rows: u64) -> Harness<'static, Fixture> {
    harness_sized(table, total_rows, egui::vec2(1400.0, 800.0))
}

fn harness_sized(table: ResultTable, total_rows: u64, size: egui::Vec2) -> Harness<'static, Fixture> {
    let fixture = Fixture {
        meta: GridMeta { total_rows, is_stale: false },
        table: Arc::new(table),
        grid: GridState::default(),
        actions: Vec::new(),
    };
    let mut harness = Harness::builder().with_size(size).build_ui_state(
        |ui, fixture: &mut Fixture| {
            let actions = grid_ui(ui, &fixture.table, &fixture.meta, &mut fixture.grid);
            fixture.actions.extend(actions);
        },
        fixture,
    );
    settle(&mut harness, "the first view", |h| !h.state().grid.view().is_empty());
    harness
}

fn harness() -> Harness<'static, Fixture> {
    let table = table();
    let rows = table.row_count() as u64;
    window(table, rows)
}

/// Steps frames until `done` holds and the grid has no work pending, failing after 30 s.
fn settle(
    harness: &mut Harness<'static, Fixture>,
    what: &str,
    done: impl Fn(&Harness<'static, Fixture>) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        harness.step();
        if done(harness) && !harness.state().grid.is_updating() {
            break;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
    // Move the pointer away so no tooltip covers the table, and let the frame settle.
    harness.remove_cursor();
    harness.run_ok();
}

/// The label of a header button: exactly `name`, or `name` and a sort marker.
fn header_label(harness: &Harness<'static, Fixture>, name: &str) -> Option<String> {
    let prefix = format!("{name} ");
    harness
        .query_all_by_role(Role::Button)
        .filter_map(|node| node.accesskit_node().label())
        .find(|label| label == name || label.starts_with(&prefix))
}

fn click_header(harness: &mut Harness<'static, Fixture>, name: &str, modifiers: Modifiers) {
    let label = header_label(harness, name).unwrap_or_else(|| panic!("no header {name}"));
    harness.get_by_role_and_label(Role::Button, &label).click_modifiers(modifiers);
}

/// Header names in screen order, without sort markers.
fn headers(harness: &Harness<'static, Fixture>) -> Vec<String> {
    let table = table();
    let mut found: Vec<(f32, String)> = table
        .column_names()
        .into_iter()
        .filter_map(|name| {
            let label = header_label(harness, name)?;
            let node = harness.get_by_role_and_label(Role::Button, &label);
            Some((node.rect().left(), name.to_string()))
        })
        .collect();
    found.sort_by(|a, b| a.0.total_cmp(&b.0));
    found.into_iter().map(|(_, name)| name).collect()
}

/// The table body as shown: one entry per visible row, the row number first, then the cells.
fn shown_rows(harness: &Harness<'static, Fixture>) -> Vec<Vec<String>> {
    let header_bottom = harness.get_by_label("#").rect().bottom();
    let mut by_line: BTreeMap<i64, Vec<(f32, String)>> = BTreeMap::new();
    for node in harness.query_all_by_role(Role::Label) {
        let rect = node.rect();
        if rect.top() < header_bottom {
            continue;
        }
        let line = (rect.center().y / 4.0).round() as i64;
        by_line.entry(line).or_default().push((rect.left(), node.value().unwrap_or_default()));
    }
    by_line
        .into_values()
        .map(|mut cells| {
            cells.sort_by(|a, b| a.0.total_cmp(&b.0));
            cells.into_iter().map(|(_, text)| text).collect()
        })
        .collect()
}

/// The shown values of column `name`.
fn shown_column(harness: &Harness<'static, Fixture>, name: &str) -> Vec<String> {
    let position = headers(harness).iter().position(|h| h == name).unwrap_or_else(|| panic!("{name} hidden"));
    shown_rows(harness).into_iter().map(|row| row.get(position + 1).cloned().unwrap_or_default()).collect()
}

fn grouped(value: i64) -> String {
    let digits = value.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    if value < 0 { format!("-{out}") } else { out }
}

fn counts() -> Vec<Option<i64>> {
    rows().iter().map(|row| row["properties"]["count"].as_i64()).collect()
}

fn names() -> Vec<String> {
    rows().iter().map(|row| row["properties"]["name"].as_str().unwrap().to_string()).collect()
}

fn count_text(count: Option<i64>) -> String {
    count.map_or("null".to_string(), grouped)
}

fn last_copy(harness: &Harness<'static, Fixture>) -> String {
    match harness.state().actions.last() {
        Some(GridAction::CopyToClipboard(text)) => text.clone(),
        other => panic!("expected a copy, got {other:?}"),
    }
}

#[test]
fn the_table_is_typed_as_the_grid_expects() {
    let table = table();
    let types: Vec<ColumnType> = table.columns().iter().map(|c| c.column_type()).collect();
    assert_eq!(table.column_names(), [NAME, TEAM, COUNT, SCORE, CREATED, TAGS]);
    assert_eq!(
        types,
        [
            ColumnType::Text,
            ColumnType::Text,
            ColumnType::Integer,
            ColumnType::Float,
            ColumnType::Timestamp,
            ColumnType::Json
        ]
    );
}

#[test]
fn cells_read_as_formatted_values_in_table_order() {
    let harness = harness();
    let shown = shown_rows(&harness);
    assert_eq!(shown.len(), 20, "every row fits on screen: {shown:?}");
    let numbers: Vec<String> = shown.iter().map(|row| row[0].clone()).collect();
    assert_eq!(numbers, (1..=20).map(|n| n.to_string()).collect::<Vec<_>>());
    assert_eq!(shown_column(&harness, NAME), names());
    assert_eq!(shown_column(&harness, COUNT), counts().into_iter().map(count_text).collect::<Vec<_>>());
    // Floats: nulls dimmed as "null", 0.1 + 0.2 rounded for reading, thousands grouped.
    assert_eq!(shown_column(&harness, SCORE)[..5], ["null", "0.3", "1,234.5", "-2.25", "40.5"]);
    // Timestamps in UTC, whatever the machine's zone, without the T and Z.
    let created = shown_column(&harness, CREATED);
    let expected: Vec<String> =
        (0..20).map(|i| format!("2026-01-{:02} {:02}:30:00 UTC", i + 1, i % 24)).collect();
    assert_eq!(created, expected);
    assert_eq!(shown_column(&harness, TAGS)[3], "t, 3", "a JSON array reads as a list");
    assert_eq!(harness.get_by_label("20 of 20 rows").value().as_deref(), Some("20 of 20 rows"));
    assert!(harness.query_by_label_contains("Showing").is_none(), "no banner for a complete result");
}

#[test]
fn timestamps_show_rfc_3339_on_hover() {
    let mut harness = harness();
    let created = shown_column(&harness, CREATED);
    harness.get_by_label(&created[1]).hover();
    harness.run_ok();
    // Tooltips wait for the pointer to rest.
    let deadline = Instant::now() + Duration::from_secs(10);
    while harness.query_all_by_label_contains("2026-01-02T01:30:00Z\nYour time: ").next().is_none() {
        assert!(Instant::now() < deadline, "no RFC 3339 tooltip with the local time");
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn header_clicks_sort_ascending_descending_then_off_with_nulls_last() {
    let mut harness = harness();
    let original = shown_column(&harness, NAME);

    click_header(&mut harness, COUNT, Modifiers::NONE);
    settle(&mut harness, "ascending", |h| header_label(h, COUNT).as_deref() == Some("properties.count ⏶"));
    let mut present: Vec<i64> = counts().into_iter().flatten().collect();
    present.sort();
    let nulls = counts().iter().filter(|c| c.is_none()).count();
    let mut ascending: Vec<String> = present.iter().map(|&v| grouped(v)).collect();
    ascending.extend(std::iter::repeat_n("null".to_string(), nulls));
    assert_eq!(shown_column(&harness, COUNT), ascending);
    // Row numbers count the view, not the table.
    assert_eq!(shown_rows(&harness)[0][0], "1");

    click_header(&mut harness, COUNT, Modifiers::NONE);
    settle(&mut harness, "descending", |h| header_label(h, COUNT).as_deref() == Some("properties.count ⏷"));
    let mut descending: Vec<String> = present.iter().rev().map(|&v| grouped(v)).collect();
    descending.extend(std::iter::repeat_n("null".to_string(), nulls));
    assert_eq!(shown_column(&harness, COUNT), descending);

    click_header(&mut harness, COUNT, Modifiers::NONE);
    settle(&mut harness, "unsorted", |h| header_label(h, COUNT).as_deref() == Some(COUNT));
    assert_eq!(shown_column(&harness, NAME), original);

    // Text sorts case-insensitively (the first letters are distinct, accents aside).
    click_header(&mut harness, NAME, Modifiers::NONE);
    settle(&mut harness, "by name", |h| header_label(h, NAME).as_deref() == Some("properties.name ⏶"));
    let mut by_name = names();
    by_name.sort_by_key(|name| name.to_lowercase());
    assert_eq!(shown_column(&harness, NAME), by_name);
}

#[test]
fn shift_click_adds_a_secondary_key() {
    let mut harness = harness();
    click_header(&mut harness, TEAM, Modifiers::NONE);
    settle(&mut harness, "by team", |h| header_label(h, TEAM).as_deref() == Some("properties.team ⏶"));
    click_header(&mut harness, COUNT, Modifiers::SHIFT);
    settle(&mut harness, "by team then count", |h| {
        header_label(h, COUNT).as_deref() == Some("properties.count ⏶2")
    });
    assert_eq!(header_label(&harness, TEAM).as_deref(), Some("properties.team ⏶1"));

    let data = rows();
    let mut expected: Vec<(String, Option<i64>, String)> = data
        .iter()
        .map(|row| {
            let p = &row["properties"];
            (
                p["team"].as_str().unwrap().to_lowercase(),
                p["count"].as_i64(),
                p["name"].as_str().unwrap().into(),
            )
        })
        .collect();
    // Nulls last within each team; the sort is stable, so ties keep table order.
    expected.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| (a.1.is_none(), a.1).cmp(&(b.1.is_none(), b.1))));
    let expected_names: Vec<String> = expected.iter().map(|e| e.2.clone()).collect();
    assert_eq!(shown_column(&harness, NAME), expected_names);

    // Shift+click again flips the secondary key only.
    click_header(&mut harness, COUNT, Modifiers::SHIFT);
    settle(&mut harness, "count descending", |h| {
        header_label(h, COUNT).as_deref() == Some("properties.count ⏷2")
    });
    expected.sort_by(|a, b| {
        a.0.cmp(&b.0).then_with(|| match (a.1, b.1) {
            (Some(x), Some(y)) => y.cmp(&x),
            (x, y) => x.is_none().cmp(&y.is_none()),
        })
    });
    let expected_names: Vec<String> = expected.iter().map(|e| e.2.clone()).collect();
    assert_eq!(shown_column(&harness, NAME), expected_names);
}

#[test]
fn search_filters_visible_columns_and_counts_rows() {
    let mut harness = harness();
    harness.get_by_label("Search").focus();
    harness.run_ok();
    harness.get_by_label("Search").type_text("QUÉ");
    settle(&mut harness, "one match", |h| h.query_by_label("1 of 20 rows").is_some());
    assert_eq!(shown_column(&harness, NAME), ["québec"]);

    // A needle in several columns: count what should match from the rows themselves.
    let table = table();
    let needle = "li";
    let expected: Vec<String> = (0..table.row_count())
        .filter(|&row| {
            (0..table.column_count()).any(|col| table.cell_text(row, col).to_lowercase().contains(needle))
        })
        .map(|row| table.cell_text(row, 0).into_owned())
        .collect();
    assert!(expected.len() >= 3, "a useful needle: {expected:?}");
    harness.get_by_label("Search").focus();
    harness.key_press_modifiers(Modifiers::COMMAND, egui::Key::A);
    harness.get_by_label("Search").type_text(needle);
    let count = format!("{} of 20 rows", expected.len());
    settle(&mut harness, "several matches", |h| h.query_by_label(&count).is_some());
    assert_eq!(shown_column(&harness, NAME), expected);

    // Hiding the name column takes it out of the search too.
    click(&mut harness, "Columns");
    harness.get_by_role_and_label(Role::CheckBox, NAME).click();
    harness.run_ok();
    harness.key_press(egui::Key::Escape);
    let without_name: Vec<usize> = (0..table.row_count())
        .filter(|&row| {
            (1..table.column_count()).any(|col| table.cell_text(row, col).to_lowercase().contains(needle))
        })
        .collect();
    let count = format!("{} of 20 rows", without_name.len());
    settle(&mut harness, "the search without names", |h| h.query_by_label(&count).is_some());
    assert_eq!(headers(&harness), [TEAM, COUNT, SCORE, CREATED, TAGS]);
    assert!(harness.state().grid.hidden_columns.contains(NAME));
}

#[test]
fn a_range_selected_by_click_and_shift_click_copies_as_tsv() {
    let mut harness = harness();
    // From "charlie" (row 3, name) to the count of row 5 ("42").
    click(&mut harness, "charlie");
    harness.get_by_label("42").click_modifiers(Modifiers::SHIFT);
    harness.run_ok();
    harness.event(egui::Event::Copy);
    // One frame handles the event; its output carries the clipboard command.
    harness.step();
    let expected = "charlie\tgreen\t1200\nDélta\tred\t3\necho\tBlue\t42";
    let copied = harness
        .output()
        .platform_output
        .commands
        .iter()
        .any(|command| matches!(command, egui::OutputCommand::CopyText(text) if text == expected));
    harness.run_ok();
    assert_eq!(last_copy(&harness), expected);
    assert!(copied, "the text went to the clipboard too");
}

#[test]
fn dragging_selects_a_rectangle_and_ctrl_c_copies_it() {
    let mut harness = harness();
    let start = harness.get_by_label("Bravo").rect().center();
    let end = harness.get_by_label("1,234,567").rect().center();
    harness.event(egui::Event::PointerMoved(start));
    harness.event(egui::Event::PointerButton {
        pos: start,
        button: PointerButton::Primary,
        pressed: true,
        modifiers: Modifiers::NONE,
    });
    let steps = 8;
    for i in 1..=steps {
        let t = i as f32 / steps as f32;
        harness.event(egui::Event::PointerMoved(Pos2::new(
            start.x + (end.x - start.x) * t,
            start.y + (end.y - start.y) * t,
        )));
    }
    harness.event(egui::Event::PointerButton {
        pos: end,
        button: PointerButton::Primary,
        pressed: false,
        modifiers: Modifiers::NONE,
    });
    harness.run_ok();
    harness.key_press_modifiers(Modifiers::COMMAND, egui::Key::C);
    harness.run_ok();
    // Rows 2–8, name to count; null cells are empty fields.
    let table = table();
    let expected: Vec<String> = (1..8)
        .map(|row| (0..3).map(|col| table.cell_text(row, col).into_owned()).collect::<Vec<_>>().join("\t"))
        .collect();
    assert_eq!(last_copy(&harness), expected.join("\n"));
    assert!(last_copy(&harness).contains("Bravo\tBlue\t\n"), "a null count is an empty field");
}

#[test]
fn row_numbers_select_whole_rows() {
    let mut harness = harness();
    // Row numbers are the leftmost labels of their text (counts may read the same).
    let click_row_number = |harness: &mut Harness<'static, Fixture>, n: &str, modifiers: Modifiers| {
        harness
            .get_all_by_label(n)
            .min_by(|a, b| a.rect().left().total_cmp(&b.rect().left()))
            .unwrap()
            .click_modifiers(modifiers);
        harness.run_ok();
    };
    click_row_number(&mut harness, "2", Modifiers::NONE);
    click_row_number(&mut harness, "3", Modifiers::SHIFT);
    harness.event(egui::Event::Copy);
    harness.run_ok();
    let table = table();
    // A field holding a quote is quoted, its quotes doubled (as spreadsheets paste it).
    let field = |text: String| {
        if text.contains(['"', '\t', '\n']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text }
    };
    let line = |row: usize| {
        (0..table.column_count())
            .map(|col| field(table.cell_text(row, col).into_owned()))
            .collect::<Vec<_>>()
            .join("\t")
    };
    assert_eq!(last_copy(&harness), format!("{}\n{}", line(1), line(2)));
}

#[test]
fn the_cell_menu_copies_a_value_a_row_as_json_and_a_column() {
    let mut harness = harness();
    harness.get_by_label("1,234,567").click_secondary();
    harness.run_ok();
    click(&mut harness, "Copy value");
    assert_eq!(last_copy(&harness), "1234567");

    harness.get_by_label("Hotel").click_secondary();
    harness.run_ok();
    click(&mut harness, "Copy row as JSON");
    let row: Value = serde_json::from_str(&last_copy(&harness)).unwrap();
    assert_eq!(
        row,
        json!({NAME: "Hotel", TEAM: "Blue", COUNT: 1_234_567, SCORE: 1234.5,
               CREATED: "2026-01-08T07:30:00Z", TAGS: ["t", 7]})
    );

    harness.get_by_label("Hotel").click_secondary();
    harness.run_ok();
    click(&mut harness, "Copy column");
    assert_eq!(last_copy(&harness), names().join("\n"));
}

#[test]
fn a_truncated_result_shows_a_banner_with_load_and_export() {
    let mut harness = window(table(), 48_211);
    assert!(harness.query_by_label("Showing 20 of 48,211 rows").is_some());
    click(&mut harness, "Load all rows");
    click(&mut harness, "Export all rows");
    assert_eq!(harness.state().actions, [GridAction::LoadAllRows, GridAction::ExportAllRows]);
}

#[test]
fn a_new_table_resets_the_view_and_keeps_the_sort_by_name() {
    let mut harness = harness();
    click_header(&mut harness, COUNT, Modifiers::NONE);
    settle(&mut harness, "ascending", |h| header_label(h, COUNT).as_deref() == Some("properties.count ⏶"));
    let sorted = harness.state().grid.view().to_vec();
    // Another run with the same columns but only the first five rows.
    let query = parse_query(r#"{"select":[{"type":"field","field":"properties","mode":"unpack"}]}"#).unwrap();
    let five: Vec<Map<String, Value>> =
        rows().into_iter().take(5).map(|row| row.as_object().cloned().unwrap()).collect();
    harness.state_mut().table = Arc::new(ResultTable::from_rows(&query, &five));
    harness.state_mut().meta = GridMeta { total_rows: 5, is_stale: true };
    settle(&mut harness, "the new table", |h| h.query_by_label("5 of 5 rows").is_some());
    assert_ne!(harness.state().grid.view(), sorted.as_slice());
    assert_eq!(shown_column(&harness, COUNT), ["3", "5", "42", "1,200", "null"]);
}

#[test]
fn columns_that_do_not_fit_scroll_sideways_a_column_at_a_time() {
    let rows = table().row_count() as u64;
    let mut harness = harness_sized(table(), rows, egui::vec2(560.0, 600.0));
    let first = headers(&harness);
    assert_eq!(first.first().map(String::as_str), Some(NAME));
    assert!(first.len() < 6, "not every column fits in 560 points: {first:?}");

    // A sideways wheel over the table (Shift+wheel on a mouse) moves by whole columns.
    let center = harness.get_by_label("alpha").rect().center();
    harness.event(egui::Event::PointerMoved(center));
    harness.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Point,
        delta: egui::vec2(-100.0, 0.0),
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Unknown,
        modifiers: Modifiers::NONE,
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    while headers(&harness).first().map(String::as_str) == Some(NAME) {
        assert!(Instant::now() < deadline, "the columns did not move");
        harness.step();
    }
    let moved = headers(&harness);
    let all = [NAME, TEAM, COUNT, SCORE, CREATED, TAGS];
    let start = all.iter().position(|name| moved.first() == Some(&name.to_string())).unwrap();
    assert!(start >= 1, "moved right: {moved:?}");
    assert_eq!(moved, all[start..start + moved.len()], "a contiguous run of columns: {moved:?}");
    // The rows are the same rows.
    assert_eq!(shown_rows(&harness).len(), 20);
}

/// The alpha of the colour of every text drawn in the last frame.
fn text_alphas(harness: &Harness<'static, Fixture>) -> Vec<u8> {
    fn walk(shape: &egui::Shape, out: &mut Vec<u8>) {
        match shape {
            egui::Shape::Text(text) => out.push(text.fallback_color.a()),
            egui::Shape::Vec(shapes) => shapes.iter().for_each(|s| walk(s, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for clipped in &harness.output().shapes {
        walk(&clipped.shape, &mut out);
    }
    out
}

#[test]
fn a_stale_result_is_drawn_dimmed() {
    let mut harness = harness();
    let fresh = text_alphas(&harness);
    assert!(!fresh.is_empty() && fresh.iter().all(|&a| a > 100), "{fresh:?}");
    harness.state_mut().meta.is_stale = true;
    harness.run_ok();
    let stale = text_alphas(&harness);
    assert_eq!(stale.len(), fresh.len());
    for (before, after) in fresh.iter().zip(&stale) {
        assert!((f32::from(*after) - f32::from(*before) * 0.5).abs() <= 1.0, "{before} → {after}");
    }
}

#[test]
fn the_toolbar_and_headers_say_whether_the_server_or_the_grid_sorted() {
    let query = parse_query(
        r#"{"select":[{"type":"aggregation","aggregation":"count","field":"id"}],"groupBy":[{"field":"type"}],
            "orderBy":[{"field":"count_id","direction":"desc"}]}"#,
    )
    .unwrap();
    let answer = [("support_ticket", 9), ("openai", 4), ("support_copilot", 1)];
    let rows: Vec<Map<String, Value>> = answer
        .iter()
        .map(|(kind, count)| json!({"count_id": count, "type": kind}).as_object().cloned().unwrap())
        .collect();
    let mut harness = window(ResultTable::from_rows(&query, &rows), answer.len() as u64);
    harness.state_mut().grid.set_server_order(&query.order_by);
    settle(&mut harness, "the server's order", |h| {
        h.query_by_label("Order from the server: count ⬇").is_some()
    });
    // `count_id` reads as `count`, with the server's arrow; the rows are as received.
    assert_eq!(header_label(&harness, "count").as_deref(), Some("count ⬇"));
    assert!(header_label(&harness, "count_id").is_none(), "the wire name is not the header");
    assert_eq!(shown_column_at(&harness, 1), ["support_ticket", "openai", "support_copilot"]);

    click_header(&mut harness, "type", Modifiers::NONE);
    settle(&mut harness, "a local sort", |h| header_label(h, "type").as_deref() == Some("type ⏶"));
    harness.get_by_label("Sorted in the grid by type ⏶ (not by the server)");
    assert!(harness.query_by_label("Order from the server: count ⬇").is_none());
    assert_eq!(
        header_label(&harness, "count").as_deref(),
        Some("count"),
        "no server arrow under a local sort"
    );
    let mut by_type: Vec<&str> = answer.iter().map(|(kind, _)| *kind).collect();
    by_type.sort();
    assert_eq!(shown_column_at(&harness, 1), by_type);

    // Copies keep the wire name.
    harness.state_mut().grid.selection =
        Some(inkeep_explorer::app::grid_ui::GridSelection::Rows { anchor: 0, focus: 0 });
    let tsv = harness.state().grid.selection_tsv(&harness.state().table, true).unwrap();
    assert!(tsv.starts_with("count_id\ttype"), "{tsv}");

    // Clearing the local sort hands the order back to the server.
    harness.get_by_label("Clear sort").click();
    settle(&mut harness, "the server's order again", |h| {
        h.query_by_label("Order from the server: count ⬇").is_some()
    });
    assert_eq!(shown_column_at(&harness, 1), ["support_ticket", "openai", "support_copilot"]);
}

/// The shown values of the `position`-th column (0-based, row numbers aside).
fn shown_column_at(harness: &Harness<'static, Fixture>, position: usize) -> Vec<String> {
    shown_rows(harness).into_iter().map(|row| row.get(position + 1).cloned().unwrap_or_default()).collect()
}
