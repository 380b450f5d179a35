use std::collections::HashSet;

use super::*;

#[test]
fn every_field_belongs_to_a_view_and_names_are_unique() {
    let names: HashSet<&str> = Field::ALL.iter().map(|f| f.as_str()).collect();
    assert_eq!(names.len(), Field::ALL.len());
    for field in Field::ALL {
        assert!(!field.views().is_empty(), "{field} belongs to no view");
        assert_eq!(Field::from_name(field.as_str()), Some(field));
        assert_eq!(serde_json::to_value(field).unwrap(), serde_json::json!(field.as_str()));
    }
    // The union holds every view's fields and nothing else.
    let union: HashSet<Field> = View::ALL.into_iter().flat_map(View::fields).collect();
    assert_eq!(union, Field::ALL.into_iter().collect::<HashSet<_>>());
}

#[test]
fn a_field_has_one_type_in_every_view_that_has_it() {
    for field in Field::ALL {
        let types: HashSet<FieldType> =
            View::ALL.into_iter().filter_map(|view| view.field_type(field)).collect();
        assert_eq!(types.len(), 1, "{field} has types {types:?} across views");
        assert_eq!(types.into_iter().next(), Some(field.field_type()));
    }
}

#[test]
fn no_view_lists_a_field_twice() {
    for view in View::ALL {
        let fields = view.fields();
        assert_eq!(fields.iter().collect::<HashSet<_>>().len(), fields.len(), "{view}");
    }
}

#[test]
fn endpoints_titles_and_wire_names() {
    let table: Vec<(&str, &str, &str, &str)> =
        View::ALL.into_iter().map(|v| (v.title(), v.query_path(), v.export_path(), v.as_str())).collect();
    assert_eq!(
        table,
        [
            ("Conversations", "/query/conversations", "/query/conversations/export", "conversations_view"),
            ("Events", "/query/events", "/query/events/export", "events_view"),
            ("Feedback", "/query/feedback", "/query/feedback/export", "feedback_view"),
            (
                "Semantic threads",
                "/query/semantic-threads",
                "/query/semantic-threads/export",
                "semantic_threads_view"
            ),
        ]
    );
}

#[test]
fn json_timestamp_and_default_time_fields() {
    use Field::*;
    assert_eq!(View::Conversations.json_fields(), [Properties, UserProperties]);
    assert_eq!(View::Events.json_fields(), [Properties, UserProperties]);
    assert_eq!(View::Feedback.json_fields(), [Reasons, Sources, Properties, UserProperties]);
    assert_eq!(View::SemanticThreads.json_fields(), [Properties, UserProperties]);
    assert_eq!(View::Conversations.timestamp_fields(), [FirstMessageTime]);
    assert_eq!(View::Events.timestamp_fields(), [CreatedAt]);
    assert_eq!(View::Feedback.timestamp_fields(), [CreatedAt, UpdatedAt]);
    assert_eq!(View::SemanticThreads.timestamp_fields(), [FirstMessageTime, LastMessageTime, LastUpdated]);
    for view in View::ALL {
        assert!(view.timestamp_fields().contains(&view.default_time_field()), "{view}");
    }
    assert_eq!(View::SemanticThreads.numeric_fields(), [MessagesCount, QuestionLength]);
    assert!(View::Events.numeric_fields().is_empty());
    assert_eq!(Reasons.field_type(), FieldType::ObjectArray);
    assert_eq!(Languages.field_type(), FieldType::StringArray);
    assert_eq!(IsDocumented.field_type(), FieldType::Boolean);
    assert_eq!(GapSummary.field_type(), FieldType::LongText);
    assert_eq!(UserMessageCount.field_type(), FieldType::Number);
}

#[test]
fn only_semantic_threads_take_the_text_search() {
    let takers: Vec<View> = View::ALL.into_iter().filter(|v| v.takes_text_search()).collect();
    assert_eq!(takers, [View::SemanticThreads]);
}

#[test]
fn a_foreign_field_message_names_the_view_and_the_owners() {
    assert_eq!(
        foreign_field_message(View::Conversations, Field::EventType),
        "`eventType` is not a field of the conversations view; it belongs to events."
    );
    assert_eq!(
        foreign_field_message(View::Events, Field::CreatedAt),
        "`createdAt` is not a field of the events view; it belongs to feedback."
            .replace("events view; it belongs to feedback", "events view; it belongs to events and feedback")
    );
    assert_eq!(
        foreign_field_message(View::Conversations, Field::ConversationId),
        "`conversationId` is not a field of the conversations view; it belongs to events and feedback."
    );
}

#[test]
fn drill_columns_are_the_views_own_fields_and_include_its_time() {
    for view in View::ALL {
        let columns = view.drill_columns();
        assert!(!columns.is_empty(), "{view}");
        for field in columns {
            assert!(view.has_field(*field), "{view} drills into {field}, not its field");
            assert!(!field.is_json(), "{view}: {field} would unpack into many columns");
        }
        assert!(columns.contains(&view.default_time_field()), "{view} drill-down shows no time");
    }
}
