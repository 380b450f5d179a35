//! Each view's fields with their types, in the order raw rows carry them (the order of the
//! published schema's field enums, `inkeep-analytics-typescript`
//! `src/models/components/{conversations,events,feedback,semanticthread}field.ts`).
//!
//! Types follow the published answer schemas and `API.md`: where the schema says "any"
//! (most semantic-thread annotations), `API.md`'s reading applies: booleans as booleans,
//! counts and lengths as numbers, the rest strings or arrays of strings. Free text that can
//! run to paragraphs (`question`, `answer`, `gapSummary`, a feedback's `details`) is
//! [`FieldType::LongText`].

use super::FieldType;
use super::FieldType::{Boolean, JsonObject, LongText, Number, ObjectArray, String, StringArray, Timestamp};
use crate::api::field::Field;

/// `POST /query/conversations`.
pub(super) const CONVERSATIONS: &[(Field, FieldType)] = &[
    (Field::Id, String),
    (Field::UserMessageCount, Number),
    (Field::OrganizationId, String),
    (Field::ProjectId, String),
    (Field::IntegrationId, String),
    (Field::FirstMessageTime, Timestamp),
    (Field::Type, String),
    (Field::Properties, JsonObject),
    (Field::UserProperties, JsonObject),
];

/// `POST /query/events`.
pub(super) const EVENTS: &[(Field, FieldType)] = &[
    (Field::Id, String),
    (Field::OrganizationId, String),
    (Field::MessageId, String),
    (Field::ConversationId, String),
    (Field::CreatedAt, Timestamp),
    (Field::ProjectId, String),
    (Field::IntegrationId, String),
    (Field::EventType, String),
    (Field::Type, String),
    (Field::SearchQuery, String),
    (Field::Properties, JsonObject),
    (Field::UserProperties, JsonObject),
];

/// `POST /query/feedback`.
pub(super) const FEEDBACK: &[(Field, FieldType)] = &[
    (Field::Id, String),
    (Field::Type, String),
    (Field::MessageId, String),
    (Field::CreatedAt, Timestamp),
    (Field::UpdatedAt, Timestamp),
    (Field::OrganizationId, String),
    (Field::Reasons, ObjectArray),
    (Field::Sources, ObjectArray),
    (Field::Details, LongText),
    (Field::Properties, JsonObject),
    (Field::UserProperties, JsonObject),
    (Field::ConversationId, String),
    (Field::ProjectId, String),
    (Field::IntegrationId, String),
];

/// `POST /query/semantic-threads`.
pub(super) const SEMANTIC_THREADS: &[(Field, FieldType)] = &[
    (Field::Id, String),
    (Field::MessageIds, StringArray),
    (Field::MessagesCount, Number),
    (Field::OrganizationId, String),
    (Field::Question, LongText),
    (Field::QuestionLength, Number),
    (Field::Answer, LongText),
    (Field::IsOnTopic, Boolean),
    (Field::IsClear, Boolean),
    (Field::IsDocumented, Boolean),
    (Field::IsFeatureSupported, Boolean),
    (Field::IsAnswerConfident, Boolean),
    (Field::GapSummary, LongText),
    (Field::Subject, String),
    (Field::Category, String),
    (Field::Languages, StringArray),
    (Field::FirstPartyEntities, StringArray),
    (Field::ThirdPartyEntities, StringArray),
    (Field::Emotion, String),
    (Field::Sentiment, String),
    (Field::QuestionType, String),
    (Field::ProjectId, String),
    (Field::IntegrationId, String),
    (Field::Properties, JsonObject),
    (Field::UserProperties, JsonObject),
    (Field::FirstMessageTime, Timestamp),
    (Field::LastMessageTime, Timestamp),
    (Field::LastUpdated, Timestamp),
    (Field::HasPositiveFeedback, Boolean),
    (Field::HasNegativeFeedback, Boolean),
    (Field::ConversationIds, StringArray),
    (Field::AreAiAnnotationsVerified, Boolean),
    (Field::IsInitialQuestionAnswer, Boolean),
];

/// The columns a drill-down into conversations shows: which conversation, when, what kind,
/// how long, through which integration.
pub(super) const CONVERSATIONS_DRILL: &[Field] =
    &[Field::Id, Field::FirstMessageTime, Field::Type, Field::UserMessageCount, Field::IntegrationId];

/// The columns a drill-down into events shows; `conversationId` keeps the row's links.
pub(super) const EVENTS_DRILL: &[Field] =
    &[Field::Id, Field::CreatedAt, Field::EventType, Field::Type, Field::SearchQuery, Field::ConversationId];

/// The columns a drill-down into feedback shows; `conversationId` keeps the row's links.
pub(super) const FEEDBACK_DRILL: &[Field] =
    &[Field::Id, Field::CreatedAt, Field::Type, Field::Details, Field::ConversationId];

/// The columns a drill-down into semantic threads shows: the question and its annotations
/// a manager reads first; `conversationIds` keeps the row's links.
pub(super) const SEMANTIC_THREADS_DRILL: &[Field] = &[
    Field::Question,
    Field::Category,
    Field::Subject,
    Field::Sentiment,
    Field::FirstMessageTime,
    Field::ConversationIds,
];
