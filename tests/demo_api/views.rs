//! The other views (events, feedback, semantic threads) over HTTP. Every expectation is
//! recomputed here from the generator (`dataset::generate_with_activity`, same parameters as
//! the server): each generated row is turned into the JSON object the API answers, and
//! filters, groups, time buckets and exports are evaluated over those objects in Rust.

use std::collections::BTreeMap;

use inkeep_explorer::demo::dataset::{Event, Feedback, SemanticThread, generate_with_activity};
use jiff::Timestamp;

use super::*;

/// A view's endpoint and its rows, as the API answers them.
pub(super) struct ViewData {
    pub(super) path: &'static str,
    pub(super) rows: Vec<Map<String, Value>>,
}

fn time_json(millis: i64) -> Value {
    let time = Timestamp::from_millisecond(millis).unwrap();
    Value::String(millis_text(time))
}

fn optional(value: Option<impl Into<Value>>) -> Value {
    value.map_or(Value::Null, Into::into)
}

fn event_row(e: &Event) -> Map<String, Value> {
    let value = json!({
        "id": e.id, "organizationId": e.organization_id, "messageId": optional(e.message_id.clone()),
        "conversationId": e.conversation_id, "createdAt": time_json(e.created_millis),
        "projectId": e.project_id, "integrationId": optional(e.integration_id.clone()),
        "eventType": e.event_type, "type": e.event_group, "searchQuery": optional(e.search_query.clone()),
        "properties": optional(e.properties.clone()), "userProperties": optional(e.user_properties.clone()),
    });
    value.as_object().unwrap().clone()
}

fn feedback_row(f: &Feedback) -> Map<String, Value> {
    let value = json!({
        "id": f.id, "type": f.feedback_type, "messageId": f.message_id,
        "createdAt": time_json(f.created_millis), "updatedAt": time_json(f.updated_millis),
        "organizationId": f.organization_id, "reasons": optional(f.reasons.clone()),
        "sources": optional(f.sources.clone()), "details": optional(f.details.clone()),
        "properties": optional(f.properties.clone()), "userProperties": optional(f.user_properties.clone()),
        "conversationId": f.conversation_id, "projectId": f.project_id,
        "integrationId": optional(f.integration_id.clone()),
    });
    value.as_object().unwrap().clone()
}

fn thread_row(t: &SemanticThread) -> Map<String, Value> {
    let value = json!({
        "id": t.id, "messageIds": t.message_ids, "messagesCount": t.messages_count,
        "organizationId": t.organization_id, "question": t.question, "questionLength": t.question_length,
        "answer": t.answer, "isOnTopic": t.is_on_topic, "isClear": t.is_clear,
        "isDocumented": t.is_documented, "isFeatureSupported": t.is_feature_supported,
        "isAnswerConfident": t.is_answer_confident, "gapSummary": optional(t.gap_summary.clone()),
        "subject": t.subject, "category": t.category, "languages": t.languages,
        "firstPartyEntities": t.first_party_entities, "thirdPartyEntities": t.third_party_entities,
        "emotion": t.emotion, "sentiment": t.sentiment, "questionType": t.question_type,
        "projectId": t.project_id, "integrationId": optional(t.integration_id.clone()),
        "properties": optional(t.properties.clone()), "userProperties": optional(t.user_properties.clone()),
        "firstMessageTime": time_json(t.first_message_millis),
        "lastMessageTime": time_json(t.last_message_millis), "lastUpdated": time_json(t.last_updated_millis),
        "hasPositiveFeedback": t.has_positive_feedback, "hasNegativeFeedback": t.has_negative_feedback,
        "conversationIds": t.conversation_ids, "areAIAnnotationsVerified": t.are_ai_annotations_verified,
        "isInitialQuestionAnswer": t.is_initial_question_answer,
    });
    value.as_object().unwrap().clone()
}

/// Events, feedback and semantic threads of the main server's dataset.
fn views() -> &'static [ViewData; 3] {
    static VIEWS: OnceLock<[ViewData; 3]> = OnceLock::new();
    VIEWS.get_or_init(|| {
        let (mut events, mut feedback, mut threads) = (Vec::new(), Vec::new(), Vec::new());
        for (_, activity) in generate_with_activity(&params()) {
            events.extend(activity.events.iter().map(event_row));
            feedback.extend(activity.feedback.iter().map(feedback_row));
            threads.extend(activity.threads.iter().map(thread_row));
        }
        [
            ViewData { path: "/query/events", rows: events },
            ViewData { path: "/query/feedback", rows: feedback },
            ViewData { path: "/query/semantic-threads", rows: threads },
        ]
    })
}

pub(super) fn events() -> &'static ViewData {
    &views()[0]
}

pub(super) fn feedback() -> &'static ViewData {
    &views()[1]
}

pub(super) fn threads() -> &'static ViewData {
    &views()[2]
}

pub(super) fn query_view(view: &ViewData, body: Value) -> Page {
    let page = read_page(&post(view.path, &body), &body);
    assert_eq!(page.page_size, PAGE_SIZE);
    page
}

pub(super) fn total(view: &ViewData, filter: Value) -> u64 {
    query_view(view, json!({ "where": filter })).total
}

pub(super) fn count(view: &ViewData, predicate: impl Fn(&Map<String, Value>) -> bool) -> u64 {
    view.rows.iter().filter(|row| predicate(row)).count() as u64
}

fn millis_of(value: &Value) -> i64 {
    time_value(value).as_millisecond()
}

#[test]
fn every_view_answers_every_row_and_raw_rows_are_its_fields_newest_first() {
    for (view, time_field) in
        [(events(), "createdAt"), (feedback(), "createdAt"), (threads(), "firstMessageTime")]
    {
        assert!(view.rows.len() > 100, "{} has rows", view.path);
        let page = query_view(view, json!({}));
        assert_eq!(page.total, view.rows.len() as u64, "{}", view.path);
        let expected_keys: Vec<&str> = keys(&view.rows[0]);
        let mut newest_first: Vec<&Map<String, Value>> = view.rows.iter().collect();
        newest_first.sort_by(|a, b| {
            (millis_of(&b[time_field]), b["id"].as_str()).cmp(&(millis_of(&a[time_field]), a["id"].as_str()))
        });
        for (got, want) in page.rows.iter().zip(newest_first) {
            let mut got_keys = keys(got);
            got_keys.sort_unstable();
            let mut want_keys = expected_keys.clone();
            want_keys.sort_unstable();
            assert_eq!(got_keys, want_keys, "{}", view.path);
            assert_eq!(got, want, "{}: the row as generated", view.path);
        }
    }
}

#[test]
fn string_operators_on_each_view() {
    let cases: [(&ViewData, &str, &str); 3] = [
        (events(), "eventType", "search_performed"),
        (feedback(), "type", "negative"),
        (threads(), "category", ""),
    ];
    for (view, field, value) in cases {
        // Semantic threads: take a category that occurs.
        let value = if value.is_empty() { threads().rows[0]["category"].as_str().unwrap() } else { value };
        let is = |row: &Map<String, Value>| row[field].as_str() == Some(value);
        assert_eq!(total(view, condition(field, "eq", Some(json!(value)))), count(view, is), "{field} eq");
        assert_eq!(
            total(view, condition(field, "neq", Some(json!(value)))),
            count(view, |row| !row[field].is_null() && !is(row)),
            "{field} neq"
        );
        assert_eq!(total(view, condition(field, "in", Some(json!([value])))), count(view, is));
        assert_eq!(
            total(view, condition(field, "notIn", Some(json!([value])))),
            count(view, |row| !row[field].is_null() && !is(row))
        );
        assert_eq!(
            total(view, condition(field, "gt", Some(json!(value)))),
            count(view, |row| row[field].as_str().is_some_and(|text| text > value))
        );
    }
}

#[test]
fn null_checks_booleans_and_numbers() {
    assert_eq!(
        total(events(), condition("searchQuery", "isNotNull", None)),
        count(events(), |row| !row["searchQuery"].is_null())
    );
    assert_eq!(
        total(feedback(), condition("details", "isNull", None)),
        count(feedback(), |row| row["details"].is_null())
    );
    for field in ["isDocumented", "hasNegativeFeedback", "isInitialQuestionAnswer"] {
        for value in [true, false] {
            assert_eq!(
                total(threads(), condition(field, "eq", Some(json!(value)))),
                count(threads(), |row| row[field] == json!(value)),
                "{field} = {value}"
            );
        }
    }
    assert_eq!(
        total(threads(), condition("questionLength", "gte", Some(json!(60)))),
        count(threads(), |row| row["questionLength"].as_i64().is_some_and(|n| n >= 60))
    );
    // A boolean compared with a string is refused, as the real server refuses it.
    let answer = post(threads().path, &json!({"where": condition("isDocumented", "eq", Some(json!("yes")))}));
    assert!(matches!(answer.status, 400 | 422), "{}", answer.text());
}

#[test]
fn time_filters_on_every_timestamp_field() {
    for (view, field) in [
        (events(), "createdAt"),
        (feedback(), "updatedAt"),
        (threads(), "lastMessageTime"),
        (threads(), "lastUpdated"),
    ] {
        let times: Vec<i64> = view.rows.iter().map(|row| millis_of(&row[field])).collect();
        let mut sorted = times.clone();
        sorted.sort_unstable();
        let middle = sorted[sorted.len() / 2];
        let at = time_json(middle);
        assert_eq!(
            total(view, condition(field, "gte", Some(at.clone()))),
            times.iter().filter(|t| **t >= middle).count() as u64,
            "{field} gte"
        );
        assert_eq!(
            total(view, condition(field, "lt", Some(at))),
            times.iter().filter(|t| **t < middle).count() as u64,
            "{field} lt"
        );
    }
}

#[test]
fn arrays_of_strings_and_json_paths() {
    let language = threads().rows[0]["languages"][0].as_str().unwrap().to_string();
    assert_eq!(
        total(threads(), condition("languages", "arrayContains", Some(json!(language)))),
        count(threads(), |row| row["languages"].as_array().unwrap().iter().any(|l| l == &json!(language)))
    );
    assert_eq!(
        total(
            feedback(),
            condition("reasons", "jsonArrayContainsObject", Some(json!({"label": "Incorrect"})))
        ),
        count(feedback(), |row| {
            row["reasons"].as_array().is_some_and(|reasons| reasons.iter().any(|r| r["label"] == "Incorrect"))
        })
    );
    let source = |row: &Map<String, Value>| at(Some(&row["properties"]), &["source"]).cloned();
    assert_eq!(
        total(events(), condition("properties", "eq", Some(pair(&["source"], json!("slack"))))),
        count(events(), |row| source(row) == Some(json!("slack")))
    );
}

#[test]
fn grouped_counts_by_field_and_time_bucket() {
    // Negative feedback per week: the count of each (week, type) group.
    let body = json!({
        "select": [{"type": "time", "timeUnit": "week", "field": "createdAt"},
                   {"type": "aggregation", "aggregation": "count", "field": "id"}],
        "groupBy": [{"field": "type"}],
    });
    let page = query_view(feedback(), body);
    let mut expected: BTreeMap<(String, String), u64> = BTreeMap::new();
    for row in &feedback().rows {
        let week = bucket_text(bucket(time_value(&row["createdAt"]), "week"));
        *expected.entry((week, row["type"].as_str().unwrap().to_string())).or_default() += 1;
    }
    assert_eq!(page.total, expected.len() as u64);
    let got: BTreeMap<(String, String), u64> = page
        .rows
        .iter()
        .map(|row| {
            let key = (
                row["createdAt_week"].as_str().unwrap().to_string(),
                row["type"].as_str().unwrap().to_string(),
            );
            (key, row["count_id"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(got, expected);

    // Knowledge gaps: undocumented threads by category, busiest first.
    let body = json!({
        "select": [{"type": "aggregation", "aggregation": "count", "field": "id"}],
        "groupBy": [{"field": "category"}],
        "where": condition("isDocumented", "eq", Some(json!(false))),
        "orderBy": [{"field": "count_id", "direction": "desc"}],
    });
    let page = query_view(threads(), body);
    let mut by_category: BTreeMap<&str, u64> = BTreeMap::new();
    for row in threads().rows.iter().filter(|row| row["isDocumented"] == json!(false)) {
        *by_category.entry(row["category"].as_str().unwrap()).or_default() += 1;
    }
    let got: BTreeMap<&str, u64> = page
        .rows
        .iter()
        .map(|row| (row["category"].as_str().unwrap(), row["count_id"].as_u64().unwrap()))
        .collect();
    assert_eq!(got, by_category);
    let counts: Vec<u64> = page.rows.iter().map(|row| row["count_id"].as_u64().unwrap()).collect();
    assert!(counts.windows(2).all(|pair| pair[0] >= pair[1]), "busiest first: {counts:?}");

    // Booleans group as booleans.
    let body = json!({"select": [{"type": "aggregation", "aggregation": "count"}], "groupBy": [{"field": "hasNegativeFeedback"}]});
    let page = query_view(threads(), body);
    for row in &page.rows {
        let value = row["hasNegativeFeedback"].clone();
        assert!(value.is_boolean(), "{row:?}");
        assert_eq!(row["count"].as_u64().unwrap(), count(threads(), |t| t["hasNegativeFeedback"] == value));
    }
}

#[test]
fn the_text_search_finds_threads_by_their_words() {
    let word = "password";
    let matches = |row: &Map<String, Value>| {
        ["question", "answer", "gapSummary", "subject", "category"]
            .iter()
            .any(|field| row[*field].as_str().is_some_and(|text| text.to_lowercase().contains(word)))
    };
    let expected = count(threads(), matches);
    let page = query_view(threads(), json!({"query": "PassWord"}));
    assert_eq!(page.total, expected);
    // Elsewhere the key is outside the published schema.
    let answer = post(events().path, &json!({"query": "password"}));
    assert_eq!(answer.status, 400, "{}", answer.text());
}

#[test]
fn exports_of_every_view_hold_total_rows() {
    for view in views() {
        let answer = post(&format!("{}/export", view.path), &json!({}));
        assert_eq!(answer.status, 200, "{}", answer.text());
        assert!(answer.content_type.starts_with("text/csv"));
        let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(answer.body.as_slice());
        let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
        assert_eq!(header, keys(&view.rows[0]), "{}", view.path);
        assert_eq!(reader.records().count(), view.rows.len(), "{}", view.path);
    }
}

#[test]
fn property_keys_follow_the_views_asked_for() {
    let keys_of = |views: Value| -> Vec<String> {
        let answer = post("/query/property-keys", &json!({"field": "properties", "views": views}));
        assert_eq!(answer.status, 200, "{}", answer.text());
        serde_json::from_value(answer.json()["results"].clone()).unwrap()
    };
    let mut event_keys: Vec<String> = events()
        .rows
        .iter()
        .filter_map(|row| row["properties"].as_object())
        .flat_map(|object| object.keys().cloned())
        .collect();
    event_keys.sort();
    event_keys.dedup();
    assert_eq!(keys_of(json!(["events_view"])), event_keys);
    let conversations = keys_of(json!(["conversations_view"]));
    let both = keys_of(json!(["conversations_view", "events_view"]));
    for key in conversations.iter().chain(&event_keys) {
        assert!(both.contains(key), "{key} in the union");
    }
}

/// The query a link opens returns exactly the rows it is about, in both directions.
#[test]
fn links_between_views_return_the_rows_they_claim() {
    use inkeep_explorer::api::links::{conversation_ids, linked_query};
    use inkeep_explorer::api::view::View;
    let run = |view: View, query: &inkeep_explorer::api::query::QueryBody| {
        let path = match view {
            View::Conversations => "/query/conversations",
            View::Events => events().path,
            View::Feedback => feedback().path,
            View::SemanticThreads => threads().path,
        };
        read_page(&post(path, &serde_json::to_value(query).unwrap()), &json!(path))
    };
    // From a feedback row and a thread to their conversation.
    for (view, row) in [(View::Feedback, &feedback().rows[3]), (View::SemanticThreads, &threads().rows[5])] {
        let ids = conversation_ids(view, row);
        assert_eq!(ids.len(), 1, "{row:?}");
        let page = run(View::Conversations, &linked_query(view, &ids, View::Conversations).unwrap());
        assert_eq!(page.total, 1);
        assert_eq!(page.rows[0]["id"], json!(ids[0]));
    }
    // From a conversation with feedback to its feedback, events and threads.
    let id = feedback().rows[3]["conversationId"].as_str().unwrap().to_string();
    let ids = vec![id.clone()];
    for (view, data, belongs) in [
        (
            View::Feedback,
            feedback(),
            &(|row: &Map<String, Value>, id: &str| row["conversationId"] == json!(id))
                as &dyn Fn(&Map<String, Value>, &str) -> bool,
        ),
        (View::Events, events(), &|row: &Map<String, Value>, id: &str| row["conversationId"] == json!(id)),
        (View::SemanticThreads, threads(), &|row: &Map<String, Value>, id: &str| {
            row["conversationIds"].as_array().unwrap().contains(&json!(id))
        }),
    ] {
        let page = run(view, &linked_query(View::Conversations, &ids, view).unwrap());
        let expected = count(data, |row| belongs(row, &id));
        assert!(expected > 0, "{view}");
        assert_eq!(page.total, expected, "{view}");
        assert!(page.rows.iter().all(|row| belongs(row, &id)), "{view}");
    }
    // From several threads to their conversations at once.
    let ids: Vec<String> =
        threads().rows.iter().take(40).flat_map(|row| conversation_ids(View::SemanticThreads, row)).collect();
    let mut distinct = ids.clone();
    distinct.sort();
    distinct.dedup();
    let page =
        run(View::Conversations, &linked_query(View::SemanticThreads, &ids, View::Conversations).unwrap());
    assert_eq!(page.total, distinct.len() as u64);
}

/// A digit in a path indexes an array, as PostgreSQL's `#>` does: feedback by its first
/// reason's label (the built-in "Negative feedback per week by reason").
#[test]
fn a_path_into_an_array_groups_by_its_element() {
    let body = json!({
        "select": [{"type": "aggregation", "aggregation": "count", "field": "id"}],
        "groupBy": [{"field": "reasons", "path": ["0", "label"]}],
        "where": condition("type", "eq", Some(json!("negative"))),
    });
    let page = query_view(feedback(), body);
    let mut expected: BTreeMap<Option<String>, u64> = BTreeMap::new();
    for row in feedback().rows.iter().filter(|row| row["type"] == "negative") {
        let label = row["reasons"][0]["label"].as_str().map(str::to_string);
        *expected.entry(label).or_default() += 1;
    }
    assert!(expected.keys().filter(|label| label.is_some()).count() >= 3, "{expected:?}");
    let got: BTreeMap<Option<String>, u64> = page
        .rows
        .iter()
        .map(|row| (row["reasons.0.label"].as_str().map(str::to_string), row["count_id"].as_u64().unwrap()))
        .collect();
    assert_eq!(got, expected);
}

/// Every time unit on every timestamp field of the new views: the count of each bucket.
#[test]
fn every_time_unit_on_every_timestamp_field() {
    for (view, field) in [
        (events(), "createdAt"),
        (feedback(), "createdAt"),
        (feedback(), "updatedAt"),
        (threads(), "firstMessageTime"),
        (threads(), "lastMessageTime"),
        (threads(), "lastUpdated"),
    ] {
        for unit in ["hour", "day", "week", "month"] {
            let body = json!({
                "select": [{"type": "time", "timeUnit": unit, "field": field},
                           {"type": "aggregation", "aggregation": "count"}],
            });
            let page = query_view(view, body);
            let mut expected: BTreeMap<String, u64> = BTreeMap::new();
            for row in &view.rows {
                *expected.entry(bucket_text(bucket(time_value(&row[field]), unit))).or_default() += 1;
            }
            assert_eq!(page.total, expected.len() as u64, "{field}_{unit}");
            let column = format!("{field}_{unit}");
            for row in &page.rows {
                let key = row[column.as_str()].as_str().unwrap();
                assert_eq!(row["count"].as_u64(), expected.get(key).copied(), "{column} {key}");
            }
        }
    }
}

/// The ordering comparisons on each view's own text fields compare by code point (the
/// demo's documented stand-in for PostgreSQL's collation, see `demo::sql`).
#[test]
fn ordering_comparisons_on_text_fields() {
    for (view, field) in [(events(), "eventType"), (feedback(), "type"), (threads(), "sentiment")] {
        let pivot = view.rows[view.rows.len() / 2][field].as_str().unwrap().to_string();
        for (operator, keep) in [
            ("lt", (|a: &str, b: &str| a < b) as fn(&str, &str) -> bool),
            ("lte", |a: &str, b: &str| a <= b),
            ("gt", |a: &str, b: &str| a > b),
            ("gte", |a: &str, b: &str| a >= b),
        ] {
            assert_eq!(
                total(view, condition(field, operator, Some(json!(pivot)))),
                count(view, |row| row[field].as_str().is_some_and(|text| keep(text, &pivot))),
                "{field} {operator} {pivot}"
            );
        }
    }
}
