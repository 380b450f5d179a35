//! Links between the views: the query that opens, in another view, the rows a row of one
//! view is about. A semantic thread, a feedback row or an event belongs to conversations
//! (`conversationIds`, `conversationId`); a conversation has feedback, events and threads.
//!
//! The link is a plain query on the target view, so it is inside the published schema and
//! shows in the new tab's builder like any other filter:
//! - to conversations: `id in [the row's conversation ids]`;
//! - from a conversation to feedback or events: `conversationId eq <id>`;
//! - from a conversation to semantic threads: `conversationIds arrayContains <id>`.

use serde_json::{Map, Value};

use super::field::Field;
use super::query::{Filter, FilterValue, Operator, QueryBody, Scalar};
use super::view::View;

/// The most conversation ids one link names (a thread names one; the cap keeps a hand-made
/// row from building a huge filter).
pub const MAX_LINKED_IDS: usize = 500;

/// Where a row of `from` links to: conversations from the other views, the other views from
/// a conversation.
pub fn link_targets(from: View) -> &'static [View] {
    match from {
        View::Conversations => &[View::Feedback, View::Events, View::SemanticThreads],
        View::Events | View::Feedback | View::SemanticThreads => &[View::Conversations],
    }
}

/// The conversation ids a row of `from` is about: its `id` for a conversation, its
/// `conversationId` (events, feedback) or `conversationIds` (semantic threads) otherwise.
/// Empty when the row does not carry them (a grouped result, a selection without them).
pub fn conversation_ids(from: View, row: &Map<String, Value>) -> Vec<String> {
    let strings = |value: Option<&Value>| -> Vec<String> {
        match value {
            Some(Value::String(id)) => vec![id.clone()],
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_string).collect(),
            _ => Vec::new(),
        }
    };
    let mut ids = match from {
        View::Conversations => strings(row.get(Field::Id.as_str())),
        View::Events | View::Feedback => strings(row.get(Field::ConversationId.as_str())),
        View::SemanticThreads => strings(row.get(Field::ConversationIds.as_str())),
    };
    ids.dedup();
    ids.truncate(MAX_LINKED_IDS);
    ids
}

/// The query on `to` that opens the rows linked to `ids` (conversation ids), or `None` when
/// there are none or `to` is not a target of `from`.
pub fn linked_query(from: View, ids: &[String], to: View) -> Option<QueryBody> {
    if ids.is_empty() || !link_targets(from).contains(&to) {
        return None;
    }
    let string = |id: &String| Scalar::String(id.clone());
    let filter = match to {
        View::Conversations => match ids {
            [one] => Filter::condition(Field::Id, Operator::Eq, Some(FilterValue::Scalar(string(one)))),
            _ => Filter::condition(
                Field::Id,
                Operator::In,
                Some(FilterValue::List(ids.iter().map(string).collect())),
            ),
        },
        // A conversation's rows in the other views: one id (the row clicked).
        View::Events | View::Feedback => {
            Filter::condition(Field::ConversationId, Operator::Eq, Some(FilterValue::Scalar(string(&ids[0]))))
        }
        View::SemanticThreads => Filter::condition(
            Field::ConversationIds,
            Operator::ArrayContains,
            Some(FilterValue::Scalar(string(&ids[0]))),
        ),
    };
    let notes = match ids {
        [one] => format!("{} of conversation {one}", to.title()),
        _ => format!("{} of {} conversations", to.title(), ids.len()),
    };
    Some(QueryBody {
        filter: Some(filter),
        notes: Some(notes.chars().take(80).collect()),
        ..QueryBody::default()
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::api::validate::validate;

    fn row(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn rows_name_their_conversations() {
        assert_eq!(conversation_ids(View::Conversations, &row(json!({"id": "c1"}))), ["c1"]);
        assert_eq!(conversation_ids(View::Feedback, &row(json!({"conversationId": "c2"}))), ["c2"]);
        assert_eq!(
            conversation_ids(View::SemanticThreads, &row(json!({"conversationIds": ["c3", "c4"]}))),
            ["c3", "c4"]
        );
        assert!(conversation_ids(View::Events, &row(json!({"count": 3}))).is_empty(), "a grouped row");
    }

    #[test]
    fn every_link_is_a_valid_query_of_its_target_view() {
        let ids = vec!["c1".to_string(), "c2".to_string()];
        for from in View::ALL {
            for to in View::ALL {
                let query = linked_query(from, &ids, to);
                assert_eq!(query.is_some(), link_targets(from).contains(&to), "{from} → {to}");
                if let Some(query) = query {
                    let problems = validate(to, &query);
                    assert!(problems.is_empty(), "{from} → {to}: {problems:?}");
                    assert!(query.notes.is_some_and(|notes| notes.contains(to.title())));
                }
            }
        }
        assert!(linked_query(View::Feedback, &[], View::Conversations).is_none());
    }
}
