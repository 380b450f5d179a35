//! The four query views against the published schema: each view's field list and `orderBy`
//! set are exactly the SDK's enums (embedded in `published/`, copied from the TypeScript
//! SDK `inkeep/inkeep-analytics-typescript`, `src/models/components/*field.ts` and
//! `*orderby.ts`, commit named on each file's first line); a body naming another view's
//! field, a time bucket on a non-timestamp field, a sort key outside the view's set or
//! `query` on a view other than semantic threads is refused, naming the view.

use inkeep_explorer::api::columns::published_order_by_fields;
use inkeep_explorer::api::validate::published_schema_problems;

use super::*;

/// One name a line, after the provenance comment.
fn published(text: &str) -> Vec<String> {
    text.lines().filter(|line| !line.starts_with('#') && !line.is_empty()).map(str::to_string).collect()
}

/// (view, its published fields, its published orderBy set).
fn published_views() -> [(View, Vec<String>, Vec<String>); 4] {
    [
        (
            View::Conversations,
            published(include_str!("published/conversations_fields.txt")),
            published(include_str!("published/conversations_order_by.txt")),
        ),
        (
            View::Events,
            published(include_str!("published/events_fields.txt")),
            published(include_str!("published/events_order_by.txt")),
        ),
        (
            View::Feedback,
            published(include_str!("published/feedback_fields.txt")),
            published(include_str!("published/feedback_order_by.txt")),
        ),
        (
            View::SemanticThreads,
            published(include_str!("published/semantic_threads_fields.txt")),
            published(include_str!("published/semantic_threads_order_by.txt")),
        ),
    ]
}

fn names(fields: &[Field]) -> Vec<String> {
    fields.iter().map(|f| f.as_str().to_string()).collect()
}

fn problems_in(view: View, doc: Value) -> Vec<Problem> {
    let body = query_from_value(&doc).unwrap_or_else(|err| panic!("{doc} did not parse: {err}"));
    validate(view, &body)
}

#[test]
fn each_views_fields_are_the_published_enum_in_order() {
    for (view, fields, _) in published_views() {
        assert!(fields.len() >= 9, "{view}: the embedded list is read");
        assert_eq!(names(&view.fields()), fields, "{view}");
        // Raw rows carry exactly those fields, in that order.
        let raw: Vec<String> =
            result_columns(view, &QueryBody::default()).into_iter().map(|column| column.name).collect();
        assert_eq!(raw, fields, "{view}: raw rows");
    }
}

#[test]
fn each_views_order_by_set_is_the_published_enum() {
    let all = published_views();
    for (view, _, order_by) in &all {
        assert_eq!(&published_order_by_fields(*view), order_by, "{view}");
        for name in order_by {
            assert!(is_published_order_by_field(*view, name), "{view}: {name}");
        }
        // The other views' names are in this view's set exactly when the published set has them.
        for (_, _, other) in &all {
            for name in other {
                assert_eq!(
                    is_published_order_by_field(*view, name),
                    order_by.contains(name),
                    "{view}: {name}"
                );
            }
        }
    }
}

#[test]
fn a_field_of_another_view_is_refused_naming_the_view() {
    let cases = [
        (View::Conversations, "eventType", "events"),
        (View::Conversations, "question", "semantic threads"),
        (View::Events, "userMessageCount", "conversations"),
        (View::Feedback, "searchQuery", "events"),
        (View::SemanticThreads, "type", "conversations, events and feedback"),
        (View::SemanticThreads, "createdAt", "events and feedback"),
    ];
    for (view, field, owners) in cases {
        let message =
            format!("`{field}` is not a field of the {} view; it belongs to {owners}.", view.noun());
        let docs = [
            (json!({"select": [{"type": "field", "field": field}]}), "select[0].field"),
            (
                json!({"select": [{"type": "aggregation", "aggregation": "count", "field": field}]}),
                "select[0].field",
            ),
            (
                json!({"groupBy": [{"field": field}], "select": [{"type": "aggregation", "aggregation": "count"}]}),
                "groupBy[0].field",
            ),
            (
                json!({"where": {"and": [{"condition": {"field": field, "operator": "isNull"}}]}}),
                "where.and[0].condition.field",
            ),
        ];
        for (doc, path) in docs {
            let found = problems_in(view, doc.clone());
            assert_eq!(found, [Problem::new(path, message.as_str())], "{view} {doc}");
            let body = query_from_value(&doc).unwrap();
            assert_eq!(
                published_schema_problems(view, &body),
                found,
                "{view}: a breach of the published schema"
            );
        }
        // Sorting by it (or by a column built on it) names the view too.
        let found =
            problems_in(view, json!({"orderBy": [{"field": format!("count_{field}"), "direction": "asc"}]}));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].message.ends_with(&message), "{}", found[0].message);
    }
}

#[test]
fn every_field_of_a_view_is_accepted_by_it() {
    for view in View::ALL {
        for field in view.fields() {
            let doc = json!({"select": [{"type": "aggregation", "aggregation": "count", "field": field}],
                             "orderBy": [{"field": format!("count_{field}"), "direction": "desc"}]});
            assert_eq!(problems_in(view, doc), [], "{view} {field}");
            let doc = json!({"where": {"condition": {"field": field, "operator": "isNotNull"}}});
            assert_eq!(problems_in(view, doc), [], "{view} {field}");
        }
    }
}

#[test]
fn the_text_search_is_only_for_semantic_threads() {
    let doc = json!({"query": "how do I rotate a key", "select": [{"type": "aggregation", "aggregation": "count"}]});
    let body = query_from_value(&doc).unwrap();
    assert_eq!(body.query.as_deref(), Some("how do I rotate a key"));
    assert_eq!(serde_json::to_value(&body).unwrap(), doc, "written back as read");
    assert_eq!(validate(View::SemanticThreads, &body), []);
    for view in [View::Conversations, View::Events, View::Feedback] {
        let found = validate(view, &body);
        assert_eq!(found.len(), 1, "{view}: {found:?}");
        assert_eq!(found[0].path, "query");
        assert!(
            found[0].message.contains(&format!("not on the {} view", view.noun())),
            "{}",
            found[0].message
        );
        assert_eq!(published_schema_problems(view, &body), found);
    }
    // Absent, the key is not written.
    assert_eq!(serde_json::to_value(QueryBody::default()).unwrap(), json!({}));
}

#[test]
fn time_buckets_only_on_the_views_timestamp_fields() {
    for view in View::ALL {
        for field in view.fields() {
            let doc = json!({"select": [{"type": "time", "timeUnit": "day", "field": field}]});
            let found = problems_in(view, doc);
            if field.is_timestamp() {
                assert_eq!(found, [], "{view} {field}");
            } else {
                assert_eq!(found.len(), 1, "{view} {field}: {found:?}");
                assert_eq!(found[0].path, "select[0].field");
                let expected = format!("timestamp field of the {} view", view.noun());
                assert!(found[0].message.contains(&expected), "{}", found[0].message);
            }
        }
    }
    assert_eq!(View::Feedback.timestamp_fields(), [Field::CreatedAt, Field::UpdatedAt]);
    let found = problems_in(
        View::Feedback,
        json!({"select": [{"type": "time", "timeUnit": "week", "field": "type"}]}),
    );
    assert_eq!(
        found[0].message,
        "Time buckets need a timestamp field of the feedback view (createdAt or updatedAt), not `type`."
    );
    // A bucket without a field is the view's default time field.
    let bare = query_from_value(&json!({"select": [{"type": "time", "timeUnit": "week"}]})).unwrap();
    let columns: Vec<String> =
        View::ALL.into_iter().map(|view| result_columns(view, &bare).remove(0).name).collect();
    assert_eq!(
        columns,
        ["firstMessageTime_week", "createdAt_week", "createdAt_week", "firstMessageTime_week"]
    );
}

#[test]
fn values_are_checked_against_the_views_types() {
    let thread =
        |condition: Value| problems_in(View::SemanticThreads, json!({"where": {"condition": condition}}));
    assert_eq!(thread(json!({"field": "isDocumented", "operator": "eq", "value": false})), []);
    let found = thread(json!({"field": "isDocumented", "operator": "eq", "value": "no"}));
    assert_eq!(found[0].path, "where.condition.value");
    assert!(found[0].message.starts_with("isDocumented is true or false;"), "{found:?}");
    assert_eq!(thread(json!({"field": "questionLength", "operator": "gt", "value": 40})), []);
    assert!(
        thread(json!({"field": "questionLength", "operator": "gt", "value": "40"}))[0]
            .message
            .contains("is a number")
    );
    assert_eq!(
        thread(json!({"field": "lastUpdated", "operator": "gte", "value": "2026-03-04T10:00:00Z"})),
        []
    );
    assert_eq!(thread(json!({"field": "languages", "operator": "arrayContains", "value": "python"})), []);
    let found = thread(json!({"field": "languages", "operator": "eq", "value": "python"}));
    assert_eq!(found[0].path, "where.condition.operator");
    assert!(found[0].message.contains("list of strings; test it with arrayContains"), "{found:?}");
    // arrayContains stays refused on plain text.
    assert_eq!(thread(json!({"field": "category", "operator": "arrayContains", "value": "x"})).len(), 1);
    // `type` takes the documented values of its view.
    let feedback = |value: &str| {
        problems_in(
            View::Feedback,
            json!({"where": {"condition": {"field": "type", "operator": "eq", "value": value}}}),
        )
    };
    assert_eq!(feedback("negative"), []);
    assert!(feedback("openai")[0].message.contains("positive, negative"));
    let events = problems_in(
        View::Events,
        json!({"where": {"condition": {"field": "type", "operator": "eq", "value": "openai-ish"}}}),
    );
    assert_eq!(events, [], "events' `type` is free text");
    // Feedback's arrays of objects take paths and the JSON operators.
    let found = problems_in(
        View::Feedback,
        json!({"where": {"condition": {"field": "reasons", "operator": "jsonArrayContainsObject", "value": {"label": "Incorrect"}}},
               "groupBy": [{"field": "reasons", "path": ["0", "label"]}]}),
    );
    assert_eq!(found, []);
    // Messages list the view's own JSON and numeric fields.
    let found =
        problems_in(View::Feedback, json!({"select": [{"type": "field", "field": "type", "mode": "json"}]}));
    assert!(
        found[0].message.contains("the JSON fields reasons, sources, properties and userProperties"),
        "{found:?}"
    );
    let found = problems_in(
        View::Events,
        json!({"select": [{"type": "aggregation", "aggregation": "sum", "field": "type"}]}),
    );
    assert!(found[0].message.contains("needs a number: a JSON path"), "{found:?}");
    let found = problems_in(
        View::SemanticThreads,
        json!({"select": [{"type": "aggregation", "aggregation": "avg", "field": "subject"}]}),
    );
    assert!(found[0].message.contains("messagesCount or questionLength or a JSON path"), "{found:?}");
}
