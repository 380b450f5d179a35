use serde_json::{Map, Value, json};

use super::*;
use crate::api::query::{GroupBy, parse_query};
use crate::api::validate::validate;
use crate::data::series::{Chart, SeriesOptions, derive_chart};

fn rows(values: Value) -> Vec<Map<String, Value>> {
    values.as_array().unwrap().iter().map(|row| row.as_object().unwrap().clone()).collect()
}

fn table(view: View, query: &QueryBody, values: Value) -> ResultTable {
    ResultTable::from_rows_in(view, query, &rows(values))
}

fn filter_json(body: &QueryBody) -> Value {
    serde_json::to_value(&body.filter).unwrap()
}

fn day_by_type() -> QueryBody {
    parse_query(
        r#"{"select":[{"type":"time","timeUnit":"day"},{"type":"aggregation","aggregation":"count"}],
            "groupBy":[{"field":"type"}],
            "where":{"condition":{"field":"firstMessageTime","operator":"gte","value":"last 30 days"}}}"#,
    )
    .unwrap()
}

/// Valid as sent: relative times resolved, as the window does right before sending.
fn assert_valid(view: View, body: &QueryBody) {
    let sent = crate::relative_time::resolve_relative_times(body, jiff::Timestamp::now()).unwrap();
    let problems = validate(view, &sent);
    assert!(problems.is_empty(), "{problems:?} in {}", body.to_pretty_json());
}

#[test]
fn a_grid_row_becomes_its_filter_and_bucket_as_a_half_open_range() {
    let query = day_by_type();
    let table = table(
        View::Conversations,
        &query,
        json!([
            {"firstMessageTime_day":"2026-11-12T00:00:00Z","type":"support_ticket","count":4},
            {"firstMessageTime_day":"2026-11-12T00:00:00Z","type":null,"count":2},
        ]),
    );
    let request = row_request(View::Conversations, &query, &table, 0).unwrap();
    let drill = build_drill_down(&request);
    assert_eq!(drill.provenance.text, "from: count per day by type ➡ 2026-11-12, support_ticket");
    assert_eq!(
        filter_json(&drill.body),
        json!({"and":[
            {"condition":{"field":"firstMessageTime","operator":"gte","value":"last 30 days"}},
            {"and":[
                {"condition":{"field":"firstMessageTime","operator":"gte","value":"2026-11-12T00:00:00Z"}},
                {"condition":{"field":"firstMessageTime","operator":"lt","value":"2026-11-13T00:00:00Z"}}]},
            {"condition":{"field":"type","operator":"eq","value":"support_ticket"}}]}),
        "the relative time stays as written; the bucket is concrete"
    );
    assert!(drill.body.group_by.is_empty() && !drill.body.is_grouped(), "raw rows");
    assert_eq!(drill.body.notes.as_deref(), Some("Rows behind 2026-11-12, support_ticket"), "titles the tab");
    assert_eq!(request.clicked, Some(4.0), "the row's count");
    assert_eq!(drill.body.select.first(), Some(&Selection::field(Field::Id)));
    assert_eq!(
        drill.body.order_by,
        vec![OrderBy { field: "firstMessageTime".into(), direction: Direction::Desc }]
    );
    assert_valid(View::Conversations, &drill.body);

    let null_row = build_drill_down(&row_request(View::Conversations, &query, &table, 1).unwrap());
    assert_eq!(null_row.provenance.text, "from: count per day by type ➡ 2026-11-12, (none)");
    let Some(Filter::And(parts)) = &null_row.body.filter else { panic!() };
    assert_eq!(
        serde_json::to_value(parts.last()).unwrap(),
        json!({"condition":{"field":"type","operator":"isNull"}})
    );
    assert_valid(View::Conversations, &null_row.body);
}

#[test]
fn bucket_ends_follow_the_unit_weeks_from_monday_months_by_calendar() {
    let cases = [
        (TimeUnit::Hour, "2026-11-12T13:00:00Z", "2026-11-12T14:00:00Z", "2026-11-12 13:00 UTC"),
        (TimeUnit::Day, "2026-02-28T00:00:00Z", "2026-03-01T00:00:00Z", "2026-02-28"),
        // A Wednesday in the answer is floored to its Monday.
        (TimeUnit::Week, "2026-11-11T00:00:00Z", "2026-11-16T00:00:00Z", "week of 2026-11-09"),
        (TimeUnit::Month, "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z", "2026-12"),
    ];
    for (unit, bucket, end, label) in cases {
        let query = QueryBody {
            select: vec![
                Selection::Time { time_unit: unit, field: Some(Field::CreatedAt) },
                Selection::count(),
            ],
            ..QueryBody::default()
        };
        let column = format!("createdAt_{unit}");
        let table = table(View::Events, &query, json!([{ column: bucket, "count": 3 }]));
        let drill = build_drill_down(&row_request(View::Events, &query, &table, 0).unwrap());
        let Some(Filter::And(range)) = &drill.body.filter else { panic!("{unit}") };
        let bounds: Vec<Value> = range
            .iter()
            .map(|part| serde_json::to_value(part).unwrap()["condition"]["value"].clone())
            .collect();
        assert_eq!(bounds[1], json!(end), "{unit}");
        assert_eq!(drill.provenance.text, format!("from: count per {unit} ➡ {label}"));
        assert_eq!(drill.body.order_by[0].field, "createdAt", "sorted by the bucketed field");
        assert_valid(View::Events, &drill.body);
    }
}

#[test]
fn path_groups_compare_the_value_at_their_path_and_null_means_missing() {
    let query = QueryBody {
        select: vec![Selection::count()],
        group_by: vec![GroupBy::path(Field::Properties, &["source"]), GroupBy::field(Field::IsOnTopic)],
        ..QueryBody::default()
    };
    let table = table(
        View::SemanticThreads,
        &query,
        json!([
            {"count":5,"properties.source":"slack","isOnTopic":true},
            {"count":2,"properties.source":null,"isOnTopic":false},
        ]),
    );
    let drill = build_drill_down(&row_request(View::SemanticThreads, &query, &table, 0).unwrap());
    assert_eq!(
        filter_json(&drill.body),
        json!({"and":[
            {"condition":{"field":"properties","operator":"eq","value":{"path":["source"],"value":"slack"}}},
            {"condition":{"field":"isOnTopic","operator":"eq","value":true}}]})
    );
    assert!(
        drill.body.select.contains(&Selection::field_path(Field::Properties, &["source"])),
        "the path is shown"
    );
    assert_eq!(drill.body.select.first(), Some(&Selection::field(Field::Question)));
    assert_valid(View::SemanticThreads, &drill.body);
    let missing = build_drill_down(&row_request(View::SemanticThreads, &query, &table, 1).unwrap());
    assert_eq!(
        filter_json(&missing.body)["and"][0],
        json!({"condition":{"field":"properties","operator":"eq","value":{"path":["source"],"value":null}}})
    );
    assert_eq!(missing.provenance.text, "from: count by properties.source, isOnTopic ➡ (none), false");
    assert_valid(View::SemanticThreads, &missing.body);
}

#[test]
fn other_is_not_in_the_series_shown_and_keeps_the_nulls_it_holds() {
    let key = DrillKey::Field { field: Field::Type, path: Vec::new() };
    let text = |s: &str| KeyValue::Text(s.into());
    // Null folded into Other: notIn drops nulls, so they are added back.
    let folded_null =
        none_of(std::slice::from_ref(&key), &[vec![text("openai")], vec![text("support_ticket")]]);
    assert_eq!(
        serde_json::to_value(&folded_null).unwrap(),
        json!({"or":[
            {"condition":{"field":"type","operator":"notIn","value":["openai","support_ticket"]}},
            {"condition":{"field":"type","operator":"isNull"}}]})
    );
    // Null shown on its own: notIn alone is right.
    let shown_null = none_of(std::slice::from_ref(&key), &[vec![text("openai")], vec![KeyValue::Null]]);
    assert_eq!(
        serde_json::to_value(&shown_null).unwrap(),
        json!({"condition":{"field":"type","operator":"notIn","value":["openai"]}})
    );
    // Only null shown.
    let only_null = none_of(std::slice::from_ref(&key), &[vec![KeyValue::Null]]);
    assert_eq!(
        serde_json::to_value(&only_null).unwrap(),
        json!({"condition":{"field":"type","operator":"isNotNull"}})
    );
    // A path key: notIn a list at the path, missing values added back.
    let path = DrillKey::Field { field: Field::Properties, path: vec!["source".into()] };
    assert_eq!(
        serde_json::to_value(none_of(std::slice::from_ref(&path), &[vec![text("slack")]])).unwrap(),
        json!({"or":[
            {"condition":{"field":"properties","operator":"notIn","value":{"path":["source"],"value":["slack"]}}},
            {"condition":{"field":"properties","operator":"eq","value":{"path":["source"],"value":null}}}]})
    );
    // Two keys: no shown combination, each excluded by one differing value.
    let two = none_of(&[key.clone(), path.clone()], &[vec![text("openai"), KeyValue::Null]]);
    assert_eq!(
        serde_json::to_value(&two).unwrap(),
        json!({"or":[
            {"or":[{"condition":{"field":"type","operator":"neq","value":"openai"}},
                   {"condition":{"field":"type","operator":"isNull"}}]},
            {"condition":{"field":"properties","operator":"neq","value":{"path":["source"],"value":null}}}]})
    );
    for filter in [folded_null, shown_null, only_null, two] {
        let body = QueryBody { filter: Some(filter), ..QueryBody::default() };
        assert_valid(View::Conversations, &body);
    }
}

/// A day × type result with more types than the chart keeps.
fn top_n_chart() -> (QueryBody, ResultTable, ChartData) {
    let query = parse_query(
        r#"{"select":[{"type":"time","timeUnit":"day"},{"type":"aggregation","aggregation":"count"}],
            "groupBy":[{"field":"type"}]}"#,
    )
    .unwrap();
    let table = table(
        View::Conversations,
        &query,
        json!([
            {"firstMessageTime_day":"2026-11-12T00:00:00Z","type":"support_ticket","count":9},
            {"firstMessageTime_day":"2026-11-12T00:00:00Z","type":"openai","count":5},
            {"firstMessageTime_day":"2026-11-12T00:00:00Z","type":null,"count":1},
            {"firstMessageTime_day":"2026-11-13T00:00:00Z","type":"support_copilot","count":2},
        ]),
    );
    let options = SeriesOptions { top_n: 1, ..SeriesOptions::default() };
    let Chart::Time(chart) = derive_chart(Some(&table), &query, &options, jiff::Timestamp::UNIX_EPOCH) else {
        panic!("a time chart")
    };
    (query, table, chart)
}

#[test]
fn a_chart_point_an_other_point_and_a_legend_entry_drill_into_their_rows() {
    let (query, table, chart) = top_n_chart();
    assert_eq!(chart.series.len(), 2, "support_ticket and Other");
    let point = ChartPoint { series: Some(0), index: Some(1) };
    let drill =
        build_drill_down(&time_chart_request(View::Conversations, &query, &table, &chart, point).unwrap());
    assert_eq!(drill.provenance.text, "from: count per day by type ➡ 2026-11-13, support_ticket");
    assert_valid(View::Conversations, &drill.body);

    let other = ChartPoint { series: Some(1), index: Some(0) };
    let drill =
        build_drill_down(&time_chart_request(View::Conversations, &query, &table, &chart, other).unwrap());
    assert_eq!(drill.provenance.text, "from: count per day by type ➡ 2026-11-12, Other");
    assert_eq!(
        filter_json(&drill.body)["and"][1],
        json!({"or":[
            {"condition":{"field":"type","operator":"notIn","value":["support_ticket"]}},
            {"condition":{"field":"type","operator":"isNull"}}]})
    );
    assert_valid(View::Conversations, &drill.body);

    let legend = ChartPoint { series: Some(0), index: None };
    let drill =
        build_drill_down(&time_chart_request(View::Conversations, &query, &table, &chart, legend).unwrap());
    assert_eq!(drill.provenance.text, "from: count by type ➡ support_ticket");
    assert_eq!(
        filter_json(&drill.body),
        json!({"condition":{"field":"type","operator":"eq","value":"support_ticket"}})
    );
}

#[test]
fn a_category_bar_drills_into_its_category_and_other_category() {
    let query = QueryBody {
        select: vec![Selection::count()],
        group_by: vec![GroupBy::field(Field::EventType)],
        ..QueryBody::default()
    };
    let table = table(
        View::Events,
        &query,
        json!([{"count":7,"eventType":"message"},{"count":3,"eventType":"copy"},{"count":1,"eventType":null}]),
    );
    let options = SeriesOptions { top_n: 1, ..SeriesOptions::default() };
    let Chart::Category(chart) = derive_chart(Some(&table), &query, &options, jiff::Timestamp::UNIX_EPOCH)
    else {
        panic!("a category chart")
    };
    let bar = ChartPoint { series: Some(0), index: Some(0) };
    let drill = build_drill_down(&category_chart_request(View::Events, &query, &table, &chart, bar).unwrap());
    assert_eq!(drill.provenance.text, "from: count by eventType ➡ message");
    let other = ChartPoint { series: Some(0), index: Some(1) };
    let drill =
        build_drill_down(&category_chart_request(View::Events, &query, &table, &chart, other).unwrap());
    assert_eq!(
        filter_json(&drill.body),
        json!({"or":[
            {"condition":{"field":"eventType","operator":"notIn","value":["message"]}},
            {"condition":{"field":"eventType","operator":"isNull"}}]})
    );
    assert_valid(View::Events, &drill.body);
}

#[test]
fn numbers_that_are_no_group_cannot_be_drilled_into() {
    let raw = QueryBody::default();
    let table = table(View::Feedback, &raw, json!([{"id":"f1","type":"positive"}]));
    assert_eq!(row_request(View::Feedback, &raw, &table, 0), Err(DrillError::NotGrouped));
    let hidden = QueryBody {
        select: vec![Selection::count()],
        group_by: vec![GroupBy { field: Field::Type, path: None, include_in_select: Some(false) }],
        ..QueryBody::default()
    };
    let table = table_of_count(&hidden);
    let error = row_request(View::Feedback, &hidden, &table, 0).unwrap_err();
    assert_eq!(error, DrillError::HiddenKey("type".into()));
    assert!(error.to_string().contains("includeInSelect"), "{error}");
}

fn table_of_count(query: &QueryBody) -> ResultTable {
    table(View::Feedback, query, json!([{"count":2}]))
}

#[test]
fn every_views_drill_down_is_valid_for_it() {
    for view in View::ALL {
        let time = view.default_time_field();
        let query = QueryBody {
            select: vec![
                Selection::Time { time_unit: TimeUnit::Week, field: Some(time) },
                Selection::count(),
            ],
            group_by: vec![GroupBy::path(Field::UserProperties, &["userType"])],
            ..QueryBody::default()
        };
        let column = format!("{time}_week");
        let table = table(
            view,
            &query,
            json!([{ column: "2026-11-09T00:00:00Z", "userProperties.userType": "admin", "count": 1 }]),
        );
        let drill = build_drill_down(&row_request(view, &query, &table, 0).unwrap());
        assert_valid(view, &drill.body);
        for field in view.drill_columns() {
            assert!(drill.body.select.contains(&Selection::field(*field)), "{view}: {field}");
        }
    }
}

#[test]
fn long_group_values_are_cut_to_the_notes_limit() {
    let long = "x".repeat(200);
    let request = DrillRequest {
        view: View::Conversations,
        query: QueryBody { select: vec![Selection::count()], ..QueryBody::default() },
        measure: "count".into(),
        picks: vec![DrillPick::Value {
            key: DrillKey::Field { field: Field::Properties, path: vec!["source".into()] },
            value: KeyValue::Text(long.clone()),
        }],
        clicked: None,
    };
    let drill = build_drill_down(&request);
    let notes = drill.body.notes.clone().unwrap();
    assert_eq!(notes.chars().count(), crate::api::validate::MAX_NOTES_CHARS);
    assert!(notes.starts_with("Rows behind xxx") && notes.ends_with('…'), "{notes}");
    assert!(drill.provenance.text.ends_with(&long), "the status bar line is whole");
    assert_valid(View::Conversations, &drill.body);
}
