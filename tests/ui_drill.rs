//! Drill-down in the window, driven through egui_kittest against the embedded demo API: a
//! grid row, a path group, a null group, a chart bar, a whole series and `Other` each open a
//! new tab on the same view whose `total` is the number clicked, and the new tab's status
//! bar says where it came from.

// Helpers outside #[test] functions panic on purpose too: a failed step is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use egui::{PointerButton, Pos2, Rect};
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use inkeep_explorer::api::view::View;
use inkeep_explorer::app::AppEnv;
use inkeep_explorer::app::commands::Command;
use inkeep_explorer::app::format::thousands;
use inkeep_explorer::app::state::ResultView;
use inkeep_explorer::data::drill::Provenance;
use inkeep_explorer::data::series::{Chart, SeriesOptions, derive_chart};
use inkeep_explorer::worker::ConnectionKind;
use support::*;

/// Conversations of the demo dataset: enough for every type and source, few enough that the
/// other views (built after the conversations) load quickly in a debug build.
const ROWS: u64 = 500;

/// A window on the demo API that ran `query` on `view`.
fn ran(view: View, query: &str) -> Window {
    let mut harness = window(AppEnv::isolated(ROWS), None);
    step_until(&mut harness, "the demo connection", connected(ConnectionKind::Demo));
    // A loaded body is a conversations query; switching the view keeps every field the
    // view has (the test's queries name only those).
    load_query(&mut harness, query);
    command(&mut harness, Command::SetQueryView(view));
    assert_eq!(
        active_tab(&harness).draft.best_effort_body(),
        inkeep_explorer::api::query::parse_query(query).unwrap()
    );
    command(&mut harness, Command::Run);
    step_until(&mut harness, "the run", finished);
    assert!(outcome(&harness).meta.total > 0, "the query has groups");
    harness
}

/// Waits for the drill-down tab to run and checks it: a new tab on `view`, shown, whose
/// `total` is the number clicked, with the provenance in its status bar.
fn drilled(harness: &mut Window, view: View) -> Provenance {
    step_until(harness, "the drill-down tab runs", |state| {
        state.tabs.len() == 2 && state.active().drilled_from.is_some() && finished(state)
    });
    let tab = active_tab(harness);
    let from = tab.drilled_from.clone().unwrap();
    assert_eq!(tab.draft.view, view, "the same view");
    let total = outcome(harness).meta.total;
    assert_eq!(Some(total as f64), from.clicked, "{}: total equals the clicked count", from.text);
    assert!(from.text.starts_with("from: count"), "{}", from.text);
    assert!(shows(harness, &from.text), "the status bar says {}", from.text);
    from
}

/// The count of the source tab's row whose `column` reads `value` (`None`: null).
fn count_where(harness: &Window, column: &str, value: Option<&str>) -> f64 {
    let table = &outcome(harness).table;
    let (col, count) = (table.column_index(column).unwrap(), table.column_index("count").unwrap());
    let row = (0..table.row_count())
        .find(|&row| match value {
            None => table.cell(row, col).is_null(),
            Some(value) => !table.cell(row, col).is_null() && table.cell_text(row, col) == value,
        })
        .unwrap_or_else(|| panic!("no row with {column} = {value:?}"));
    table.cell(row, count).as_f64().unwrap()
}

/// Right-clicks the one cell reading `label` and picks "Show rows behind this".
fn drill_from_cell(harness: &mut Window, label: &str) {
    assert_eq!(harness.query_all_by_label(label).count(), 1, "one cell reads {label}");
    harness.get_by_label(label).click_secondary();
    harness.run_ok();
    click(harness, "Show rows behind this");
}

#[test]
fn a_grid_row_opens_its_rows_in_a_new_tab_and_the_status_bar_says_from_where() {
    let mut harness = ran(
        View::Conversations,
        r#"{"select":[{"type":"aggregation","aggregation":"count"}],"groupBy":[{"field":"type"}]}"#,
    );
    let count = count_where(&harness, "type", Some("support_ticket"));
    drill_from_cell(&mut harness, "support_ticket");
    let from = drilled(&mut harness, View::Conversations);
    assert_eq!(from.clicked, Some(count));
    assert_eq!(from.text, "from: count by type \u{27a1} support_ticket");
    assert_eq!(active_tab(&harness).title(), "Rows behind support_ticket", "the notes title the tab");
    // The rows shown are raw conversations of that type.
    assert!(grid_column(&harness, "type").iter().all(|kind| kind == "support_ticket"));
}

#[test]
fn a_path_group_and_its_null_group_open_their_rows() {
    let query = r#"{"select":[{"type":"aggregation","aggregation":"count"}],
                    "groupBy":[{"field":"properties","path":["source"]}]}"#;
    let mut harness = ran(View::Conversations, query);
    let table = &outcome(&harness).table;
    let col = table.column_index("properties.source").unwrap();
    let source = (0..table.row_count())
        .map(|row| table.cell_text(row, col).into_owned())
        .find(|text| !text.is_empty())
        .unwrap();
    let count = count_where(&harness, "properties.source", Some(&source));
    drill_from_cell(&mut harness, &source);
    let from = drilled(&mut harness, View::Conversations);
    assert_eq!(from.clicked, Some(count));
    assert!(from.text.ends_with(&format!("by properties.source \u{27a1} {source}")), "{}", from.text);

    // The null group: its count cell is the one to right-click (a null cell reads nothing).
    let mut harness = ran(View::Conversations, query);
    let null_count = count_where(&harness, "properties.source", None);
    drill_from_cell(&mut harness, &thousands(null_count as u64));
    let from = drilled(&mut harness, View::Conversations);
    assert_eq!(from.clicked, Some(null_count));
    assert!(from.text.ends_with("\u{27a1} (none)"), "{}", from.text);
}

/// A month-by-type chart of the tab shown, drawn as stacked bars.
fn stacked_chart(view: View, query: &str) -> Window {
    let mut harness = ran(view, query);
    command(&mut harness, Command::SetView(ResultView::Chart));
    harness.run_ok();
    click(&mut harness, "Stacked bars");
    harness
}

/// The plot's data area, roughly: from the legend's top down to the x axis above the hint
/// line, across the panel.
fn plot_area(harness: &Window) -> Rect {
    let hint = harness.get_by_label_contains("Drag to pan").rect();
    let top = harness
        .query_all_by_role(egui::accesskit::Role::CheckBox)
        .map(|node| node.rect().top())
        .fold(f32::INFINITY, f32::min);
    Rect::from_min_max(
        Pos2::new(hint.left() + 80.0, top),
        Pos2::new(hint.right().max(hint.left() + 600.0), hint.top() - 60.0),
    )
}

fn click_at(harness: &mut Window, pos: Pos2, button: PointerButton) {
    harness.hover_at(pos);
    harness.run_ok();
    for pressed in [true, false] {
        harness.event(egui::Event::PointerButton { pos, button, pressed, modifiers: egui::Modifiers::NONE });
        harness.step();
    }
    harness.run_ok();
}

#[test]
fn a_click_on_a_bar_of_the_chart_opens_the_rows_behind_it() {
    let query = r#"{"select":[{"type":"time","timeUnit":"month"},{"type":"aggregation","aggregation":"count"}],
                    "groupBy":[{"field":"type"}]}"#;
    let mut harness = stacked_chart(View::Conversations, query);
    let (table, body) = (outcome(&harness).table.clone(), outcome(&harness).body.clone());
    let area = plot_area(&harness);
    // Low in the plot the first series' bars stand; a click between bars or above them hits
    // nothing, so try points across the plot until one opens a tab.
    let points = (0..12).flat_map(|column| {
        (0..6).map(move |row| {
            Pos2::new(
                area.left() + area.width() * (0.2 + 0.05 * column as f32),
                area.bottom() - 20.0 - 30.0 * row as f32,
            )
        })
    });
    for point in points {
        click_at(&mut harness, point, PointerButton::Primary);
        if app(&harness).tabs.len() > 1 {
            break;
        }
    }
    let from = drilled(&mut harness, View::Conversations);
    assert!(from.text.starts_with("from: count per month by type \u{27a1} "), "{}", from.text);
    // The number clicked is a point of the chart that was drawn.
    let Chart::Time(chart) =
        derive_chart(Some(&table), &body, &SeriesOptions::default(), jiff::Timestamp::now())
    else {
        panic!("a time chart")
    };
    let clicked = from.clicked.unwrap();
    assert!(chart.series.iter().any(|s| s.values.contains(&Some(clicked))), "{clicked} is on the chart");
}

#[test]
fn other_and_a_whole_series_open_from_the_charts_menu_on_another_view() {
    // Events by month and type, the top 1 kept: the rest is Other.
    let query = r#"{"select":[{"type":"time","timeUnit":"month","field":"createdAt"},
                              {"type":"aggregation","aggregation":"count"}],
                    "groupBy":[{"field":"eventType"}]}"#;
    let mut harness = stacked_chart(View::Events, query);
    type_into(&mut harness, "Top", "1");
    unfocus(&mut harness);
    let (table, body) = (outcome(&harness).table.clone(), outcome(&harness).body.clone());
    let options = SeriesOptions { top_n: 1, ..SeriesOptions::default() };
    let Chart::Time(chart) = derive_chart(Some(&table), &body, &options, jiff::Timestamp::now()) else {
        panic!("a time chart")
    };
    let other = chart.series.iter().find(|s| s.is_other).expect("an Other series");
    let area = plot_area(&harness);
    click_at(&mut harness, area.center(), PointerButton::Secondary);
    click(&mut harness, "Show all rows of Other");
    let from = drilled(&mut harness, View::Events);
    assert_eq!(from.clicked, Some(other.total));
    assert!(from.text.ends_with("by eventType \u{27a1} Other"), "{}", from.text);

    // The whole first series, as its legend entry stands for it.
    let mut harness = stacked_chart(View::Events, query);
    let first = &chart.series[0];
    let area = plot_area(&harness);
    click_at(&mut harness, area.center(), PointerButton::Secondary);
    click(&mut harness, &format!("Show all rows of {}", first.name));
    let from = drilled(&mut harness, View::Events);
    assert_eq!(from.clicked, Some(first.total));
}

/// With a comparison on, the grid shows the joined table (previous, change %): a row of it
/// still drills into that group's rows of the current period. (The joined table keeps the
/// current rows in their order, so this does not tell its row indices from the answer's; a
/// group found only in the previous period would.)
#[test]
fn a_row_of_a_comparison_drills_into_its_current_period() {
    use jiff::ToSpan;
    let today = jiff::tz::Offset::UTC.to_datetime(jiff::Timestamp::now()).date();
    let end = today.checked_sub(3.days()).unwrap();
    let start = end.checked_sub(14.days()).unwrap();
    let query = format!(
        r#"{{"select":[{{"type":"aggregation","aggregation":"count"}}],"groupBy":[{{"field":"type"}}],
             "where":{{"and":[
                {{"condition":{{"field":"firstMessageTime","operator":"gte","value":"{start}"}}}},
                {{"condition":{{"field":"firstMessageTime","operator":"lt","value":"{end}"}}}}]}}}}"#
    );
    let mut harness = ran(View::Conversations, &query);
    let count = count_where(&harness, "type", Some("openai"));
    click(&mut harness, "Compare");
    step_until(&mut harness, "the comparison", |state| {
        finished(state)
            && matches!(state.active().compare.run, inkeep_explorer::app::compare_model::CompareRun::Done(_))
    });
    drill_from_cell(&mut harness, "openai");
    let from = drilled(&mut harness, View::Conversations);
    assert_eq!(from.clicked, Some(count), "the current period's count");
    assert!(from.text.ends_with("by type \u{27a1} openai"), "{}", from.text);
}

/// A right-click on a legend entry heads the plot's menu with that whole series (and leaves
/// out the point under the pointer): its rows open in a new tab, as many as the series holds.
#[test]
fn a_right_click_on_a_legend_entry_opens_that_whole_series() {
    let query = r#"{"select":[{"type":"time","timeUnit":"month","field":"createdAt"},
                              {"type":"aggregation","aggregation":"count"}],
                    "groupBy":[{"field":"eventType"}]}"#;
    let mut harness = stacked_chart(View::Events, query);
    let (table, body) = (outcome(&harness).table.clone(), outcome(&harness).body.clone());
    let Chart::Time(chart) =
        derive_chart(Some(&table), &body, &SeriesOptions::default(), jiff::Timestamp::now())
    else {
        panic!("a time chart")
    };
    let second = &chart.series[1];
    let entry = harness.get_by_role_and_label(egui::accesskit::Role::CheckBox, &second.name).rect();
    click_at(&mut harness, entry.center(), PointerButton::Secondary);
    let label = format!("Show all rows of {}", second.name);
    let menu: Vec<String> = harness
        .query_all_by_role(egui::accesskit::Role::Button)
        .filter_map(|node| node.accesskit_node().label())
        .filter(|text| text.starts_with("Show "))
        .collect();
    assert_eq!(menu.first(), Some(&label), "the legend's series heads the menu: {menu:?}");
    assert_eq!(menu.iter().filter(|text| **text == label).count(), 1, "{menu:?}");
    assert!(!menu.iter().any(|text| text.starts_with("Show rows behind")), "{menu:?}");
    click(&mut harness, &label);
    let from = drilled(&mut harness, View::Events);
    assert_eq!(from.clicked, Some(second.total));
    // The legend entry still shows its series: the right-click did not toggle it.
    let first_tab = app(&harness).tabs.iter().next().unwrap();
    assert!(!first_tab.chart_settings.hidden_series.contains(&second.name));
}
