//! Where each view's rows are in the demo database: the table of a view, the quoted column of
//! a field (every table names its columns as the API names the fields), the integer epoch
//! column beside each timestamp, which columns may hold NULL, and how a column's values
//! become JSON. The one place the SQL compiler learns about tables, so that a query on any
//! view compiles the same way.

use crate::api::field::Field;
use crate::api::view::{FieldType, View};

use super::ValueKind;

/// The table holding `view`'s rows.
pub fn table_name(view: View) -> &'static str {
    match view {
        View::Conversations => "conversations",
        View::Events => "events",
        View::Feedback => "feedback",
        View::SemanticThreads => "semantic_threads",
    }
}

/// The fixed, quoted SQL reference of a field's column (`t` aliases the table). Columns are
/// named as the fields, in every table; a field of another view is refused before the SQL
/// is built (see `check_fields`), so this never names a column a table lacks.
pub(super) fn column_sql(field: Field) -> &'static str {
    match field {
        Field::Id => "t.\"id\"",
        Field::UserMessageCount => "t.\"userMessageCount\"",
        Field::OrganizationId => "t.\"organizationId\"",
        Field::ProjectId => "t.\"projectId\"",
        Field::IntegrationId => "t.\"integrationId\"",
        Field::FirstMessageTime => "t.\"firstMessageTime\"",
        Field::Type => "t.\"type\"",
        Field::Properties => "t.\"properties\"",
        Field::UserProperties => "t.\"userProperties\"",
        Field::MessageId => "t.\"messageId\"",
        Field::ConversationId => "t.\"conversationId\"",
        Field::CreatedAt => "t.\"createdAt\"",
        Field::EventType => "t.\"eventType\"",
        Field::SearchQuery => "t.\"searchQuery\"",
        Field::UpdatedAt => "t.\"updatedAt\"",
        Field::Reasons => "t.\"reasons\"",
        Field::Sources => "t.\"sources\"",
        Field::Details => "t.\"details\"",
        Field::MessageIds => "t.\"messageIds\"",
        Field::MessagesCount => "t.\"messagesCount\"",
        Field::Question => "t.\"question\"",
        Field::QuestionLength => "t.\"questionLength\"",
        Field::Answer => "t.\"answer\"",
        Field::IsOnTopic => "t.\"isOnTopic\"",
        Field::IsClear => "t.\"isClear\"",
        Field::IsDocumented => "t.\"isDocumented\"",
        Field::IsFeatureSupported => "t.\"isFeatureSupported\"",
        Field::IsAnswerConfident => "t.\"isAnswerConfident\"",
        Field::GapSummary => "t.\"gapSummary\"",
        Field::Subject => "t.\"subject\"",
        Field::Category => "t.\"category\"",
        Field::Languages => "t.\"languages\"",
        Field::FirstPartyEntities => "t.\"firstPartyEntities\"",
        Field::ThirdPartyEntities => "t.\"thirdPartyEntities\"",
        Field::Emotion => "t.\"emotion\"",
        Field::Sentiment => "t.\"sentiment\"",
        Field::QuestionType => "t.\"questionType\"",
        Field::LastMessageTime => "t.\"lastMessageTime\"",
        Field::LastUpdated => "t.\"lastUpdated\"",
        Field::HasPositiveFeedback => "t.\"hasPositiveFeedback\"",
        Field::HasNegativeFeedback => "t.\"hasNegativeFeedback\"",
        Field::ConversationIds => "t.\"conversationIds\"",
        Field::AreAiAnnotationsVerified => "t.\"areAIAnnotationsVerified\"",
        Field::IsInitialQuestionAnswer => "t.\"isInitialQuestionAnswer\"",
    }
}

/// The integer epoch-seconds column stored beside a timestamp field (`firstMessageTime` →
/// `firstMessageEpoch`, `createdAt` → `createdAtEpoch`), unquoted: time buckets and their
/// indexes are computed from it, and the dataset writes it. This is the one place that
/// pairs them. `None` for a field that is not a timestamp.
pub fn epoch_column(field: Field) -> Option<&'static str> {
    Some(match field {
        Field::FirstMessageTime => "firstMessageEpoch",
        Field::LastMessageTime => "lastMessageEpoch",
        Field::CreatedAt => "createdAtEpoch",
        Field::UpdatedAt => "updatedAtEpoch",
        Field::LastUpdated => "lastUpdatedEpoch",
        _ => return None,
    })
}

/// [`epoch_column`] as a column reference of the query's table (`t."firstMessageEpoch"`).
pub(super) fn epoch_column_sql(field: Field) -> Option<String> {
    epoch_column(field).map(|column| format!("t.\"{column}\""))
}

/// True for the fields whose column may hold NULL (in any table that has them). Columns
/// known never to be NULL sort without a NULLS clause, which lets SQLite use their indexes.
pub(super) fn field_nullable(field: Field) -> bool {
    matches!(
        field,
        Field::IntegrationId
            | Field::Type
            | Field::Properties
            | Field::UserProperties
            | Field::MessageId
            | Field::SearchQuery
            | Field::Reasons
            | Field::Sources
            | Field::Details
            | Field::GapSummary
    )
}

/// How a whole field's stored values become JSON: JSON text (objects and arrays) decoded,
/// booleans (stored 0/1) as `true`/`false`, the rest by storage class.
pub(super) fn field_value_kind(field: Field) -> ValueKind {
    match field.field_type() {
        FieldType::JsonObject | FieldType::ObjectArray | FieldType::StringArray => ValueKind::Json,
        FieldType::Boolean => ValueKind::Bool,
        FieldType::String | FieldType::LongText | FieldType::Number | FieldType::Timestamp => {
            ValueKind::Plain
        }
    }
}

/// The generated column that holds the value at `path` inside `field`, when every table with
/// that field has one (`properties_source`, the most filtered key, indexed: see
/// `dataset::sqlite`). It holds the value at the path when that is a string, NULL otherwise
/// (a number 5 is not the string "5"), so only strings may be compared through it.
pub(super) fn indexed_path_column(field: Field, path: &[String]) -> Option<&'static str> {
    match (field, path) {
        (Field::Properties, [key]) if key == "source" => Some("t.\"properties_source\""),
        _ => None,
    }
}

/// The fields the semantic threads' free-text `query` searches.
pub(super) const TEXT_SEARCH_FIELDS: [Field; 5] =
    [Field::Question, Field::Answer, Field::GapSummary, Field::Subject, Field::Category];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_names_its_own_column_and_timestamps_have_an_epoch_column() {
        for field in Field::ALL {
            assert_eq!(column_sql(field), format!("t.\"{}\"", field.as_str()));
            assert_eq!(epoch_column_sql(field).is_some(), field.is_timestamp(), "{field}");
        }
    }
}
