//! The four query views of the API (conversations, events, feedback, semantic threads) and
//! what the contract says about each: its endpoints, its fields and their types, which of
//! them are JSON or timestamps, and the extra `query` key of semantic threads.
//!
//! The published `orderBy` set of a view is built from its fields by one construction for
//! every view; [`crate::api::columns::is_published_order_by_field`] is where it is defined.

mod tables;

use std::fmt;

use serde::{Deserialize, Serialize};

use super::field::Field;

/// The type of a field's values, as the published schema and `API.md` give it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldType {
    /// Short text: ids, enumerations, names.
    String,
    /// Free text that can be long (`question`, `answer`, `gapSummary`, `details`).
    LongText,
    /// A number.
    Number,
    /// An ISO-8601 timestamp.
    Timestamp,
    /// `true` / `false`.
    Boolean,
    /// A JSON object (`properties`, `userProperties`).
    JsonObject,
    /// An array of JSON objects (`reasons`, `sources`).
    ObjectArray,
    /// An array of strings (`languages`, `conversationIds`).
    StringArray,
}

impl FieldType {
    /// JSON objects and arrays of objects: the types with JSON paths and JSON operators.
    pub fn is_json(self) -> bool {
        matches!(self, FieldType::JsonObject | FieldType::ObjectArray)
    }

    /// Text of either length.
    pub fn is_text(self) -> bool {
        matches!(self, FieldType::String | FieldType::LongText)
    }
}

/// One of the query views. On the wire (`views` of the property endpoints) it is the
/// published schema's closed set `conversations_view events_view feedback_view
/// semantic_threads_view`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum View {
    /// Conversations, the view the app explored first.
    #[default]
    #[serde(rename = "conversations_view")]
    Conversations,
    /// Events (messages, copies, link clicks, searches…).
    #[serde(rename = "events_view")]
    Events,
    /// Feedback on answers.
    #[serde(rename = "feedback_view")]
    Feedback,
    /// Semantic threads: one question asked and the answer given, with AI annotations.
    #[serde(rename = "semantic_threads_view")]
    SemanticThreads,
}

/// The values of `type` in conversations, as `API.md` documents them.
const CONVERSATION_TYPES: &[&str] = &["openai", "support_ticket", "support_copilot"];

/// The values of `type` in feedback.
const FEEDBACK_TYPES: &[&str] = &["positive", "negative"];

impl View {
    /// Every view, in the order `API.md` lists them.
    pub const ALL: [View; 4] = [View::Conversations, View::Events, View::Feedback, View::SemanticThreads];

    /// The wire name (`conversations_view`).
    pub fn as_str(self) -> &'static str {
        match self {
            View::Conversations => "conversations_view",
            View::Events => "events_view",
            View::Feedback => "feedback_view",
            View::SemanticThreads => "semantic_threads_view",
        }
    }

    /// The name people read: "Conversations", "Semantic threads".
    pub fn title(self) -> &'static str {
        match self {
            View::Conversations => "Conversations",
            View::Events => "Events",
            View::Feedback => "Feedback",
            View::SemanticThreads => "Semantic threads",
        }
    }

    /// The name inside a sentence: "the semantic threads view".
    pub fn noun(self) -> &'static str {
        match self {
            View::Conversations => "conversations",
            View::Events => "events",
            View::Feedback => "feedback",
            View::SemanticThreads => "semantic threads",
        }
    }

    /// The query endpoint: `/query/conversations`.
    pub fn query_path(self) -> &'static str {
        match self {
            View::Conversations => "/query/conversations",
            View::Events => "/query/events",
            View::Feedback => "/query/feedback",
            View::SemanticThreads => "/query/semantic-threads",
        }
    }

    /// The CSV export endpoint: `/query/conversations/export`.
    pub fn export_path(self) -> &'static str {
        match self {
            View::Conversations => "/query/conversations/export",
            View::Events => "/query/events/export",
            View::Feedback => "/query/feedback/export",
            View::SemanticThreads => "/query/semantic-threads/export",
        }
    }

    /// The view's fields with their types, in the order raw rows carry them.
    pub fn field_types(self) -> &'static [(Field, FieldType)] {
        match self {
            View::Conversations => tables::CONVERSATIONS,
            View::Events => tables::EVENTS,
            View::Feedback => tables::FEEDBACK,
            View::SemanticThreads => tables::SEMANTIC_THREADS,
        }
    }

    /// The view's fields, in the order raw rows carry them.
    pub fn fields(self) -> Vec<Field> {
        self.field_types().iter().map(|(field, _)| *field).collect()
    }

    /// The type of `field` in this view; `None` when the view has no such field.
    pub fn field_type(self, field: Field) -> Option<FieldType> {
        self.field_types().iter().find(|(f, _)| *f == field).map(|(_, kind)| *kind)
    }

    /// True when `field` is a field of this view.
    pub fn has_field(self, field: Field) -> bool {
        self.field_type(field).is_some()
    }

    /// The fields of this view whose type satisfies `keep`, in raw-row order.
    fn fields_where(self, keep: impl Fn(FieldType) -> bool) -> Vec<Field> {
        self.field_types().iter().filter(|(_, kind)| keep(*kind)).map(|(field, _)| *field).collect()
    }

    /// The JSON fields (objects and arrays of objects): the ones with paths and JSON operators.
    pub fn json_fields(self) -> Vec<Field> {
        self.fields_where(FieldType::is_json)
    }

    /// The timestamp fields: the only ones time buckets accept.
    pub fn timestamp_fields(self) -> Vec<Field> {
        self.fields_where(|kind| kind == FieldType::Timestamp)
    }

    /// The numeric fields (`sum` and `avg` accept these, and JSON paths).
    pub fn numeric_fields(self) -> Vec<Field> {
        self.fields_where(|kind| kind == FieldType::Number)
    }

    /// The field a time bucket without `field` buckets. The published schema leaves the
    /// default undocumented; these are the views' primary times (when the conversation or
    /// thread began, when the event or feedback was created).
    pub fn default_time_field(self) -> Field {
        match self {
            View::Conversations | View::SemanticThreads => Field::FirstMessageTime,
            View::Events | View::Feedback => Field::CreatedAt,
        }
    }

    /// The raw fields a drill-down ("the rows behind this number") selects by default, in
    /// the order they are shown: enough to tell the rows apart and read what they are,
    /// without the wide JSON fields.
    pub fn drill_columns(self) -> &'static [Field] {
        match self {
            View::Conversations => tables::CONVERSATIONS_DRILL,
            View::Events => tables::EVENTS_DRILL,
            View::Feedback => tables::FEEDBACK_DRILL,
            View::SemanticThreads => tables::SEMANTIC_THREADS_DRILL,
        }
    }

    /// True for the one view whose body takes the free-text `query` key (semantic threads).
    pub fn takes_text_search(self) -> bool {
        self == View::SemanticThreads
    }

    /// The values `field` is documented to take in this view, when they are a closed set
    /// (`type` of conversations and of feedback).
    pub fn documented_values(self, field: Field) -> Option<&'static [&'static str]> {
        match (self, field) {
            (View::Conversations, Field::Type) => Some(CONVERSATION_TYPES),
            (View::Feedback, Field::Type) => Some(FEEDBACK_TYPES),
            _ => None,
        }
    }
}

impl fmt::Display for View {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `a`, `a and b`, `a, b and c` (or with `or`): names for messages.
pub fn name_list(names: &[&str], conjunction: &str) -> String {
    match names.split_last() {
        None => String::new(),
        Some((last, [])) => (*last).to_string(),
        Some((last, rest)) => format!("{} {conjunction} {last}", rest.join(", ")),
    }
}

/// [`name_list`] of field names.
pub fn field_list(fields: &[Field], conjunction: &str) -> String {
    let names: Vec<&str> = fields.iter().map(|field| field.as_str()).collect();
    name_list(&names, conjunction)
}

/// Why `field` cannot be used in `view`: "`eventType` is not a field of the conversations
/// view; it belongs to events."
pub fn foreign_field_message(view: View, field: Field) -> String {
    let owners: Vec<&str> = field.views().into_iter().map(View::noun).collect();
    let owners = name_list(&owners, "and");
    format!("`{field}` is not a field of the {} view; it belongs to {owners}.", view.noun())
}

#[cfg(test)]
mod tests;
