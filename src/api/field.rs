//! The fields a query can name: the union of every view's fields, one variant per wire
//! name. Which view has which field, and of what type, is [`super::view`]'s business; a
//! field has the same type in every view that has it (a test there checks it), so the
//! type predicates here need no view.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::view::{FieldType, View};

/// A field of one or more query views, by its wire name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Field {
    /// The row id (string).
    Id,
    /// Number of user messages of a conversation (number).
    UserMessageCount,
    /// Organization id (string).
    OrganizationId,
    /// Project id (string or null).
    ProjectId,
    /// Integration id (string or null).
    IntegrationId,
    /// Time of the first message (timestamp).
    FirstMessageTime,
    /// The kind of row: a conversation, event or feedback type (string).
    Type,
    /// Free-form JSON object (or null).
    Properties,
    /// JSON object describing the user (or null).
    UserProperties,
    /// The message an event or a feedback concerns (string).
    MessageId,
    /// The conversation an event or a feedback belongs to (string).
    ConversationId,
    /// When the event or feedback was created (timestamp).
    CreatedAt,
    /// What happened, e.g. a copy or a link click (string).
    EventType,
    /// The text of a search event (string).
    SearchQuery,
    /// When the feedback was last changed (timestamp).
    UpdatedAt,
    /// Feedback reasons: an array of `{label, details}` (or null).
    Reasons,
    /// Sources rated by a feedback: an array of `{type, title?, url?}` (or null).
    Sources,
    /// The free text of a feedback (long text or null).
    Details,
    /// The messages of a semantic thread (array of strings).
    MessageIds,
    /// How many messages a semantic thread spans (number).
    MessagesCount,
    /// The question a user asked (long text).
    Question,
    /// Length of the question (number).
    QuestionLength,
    /// The answer given (long text).
    Answer,
    /// AI annotation: the question is on topic (boolean).
    IsOnTopic,
    /// AI annotation: the question is clear (boolean).
    IsClear,
    /// AI annotation: the answer is in the docs (boolean).
    IsDocumented,
    /// AI annotation: the feature asked about exists (boolean).
    IsFeatureSupported,
    /// AI annotation: the answer is confident (boolean).
    IsAnswerConfident,
    /// What the docs lack, when the answer is not documented (long text).
    GapSummary,
    /// The product subject of the question (string).
    Subject,
    /// The category of the question (string).
    Category,
    /// Languages the thread mentions (array of strings).
    Languages,
    /// The product's own entities mentioned (array of strings).
    FirstPartyEntities,
    /// Other products mentioned (array of strings).
    ThirdPartyEntities,
    /// The user's emotion (string).
    Emotion,
    /// The user's sentiment (string).
    Sentiment,
    /// The kind of question (string).
    QuestionType,
    /// Time of the last message of a thread (timestamp).
    LastMessageTime,
    /// When the thread was last annotated (timestamp).
    LastUpdated,
    /// The thread got positive feedback (boolean).
    HasPositiveFeedback,
    /// The thread got negative feedback (boolean).
    HasNegativeFeedback,
    /// The conversations a thread comes from (array of strings).
    ConversationIds,
    /// A person checked the AI annotations (boolean).
    #[serde(rename = "areAIAnnotationsVerified")]
    AreAiAnnotationsVerified,
    /// The thread is the first question of its conversation (boolean).
    IsInitialQuestionAnswer,
}

impl Field {
    /// Every field of every view: the conversation fields in the order raw conversation rows
    /// carry them, then those the other views add, in the order `API.md` lists the views.
    pub const ALL: [Field; 44] = [
        Field::Id,
        Field::UserMessageCount,
        Field::OrganizationId,
        Field::ProjectId,
        Field::IntegrationId,
        Field::FirstMessageTime,
        Field::Type,
        Field::Properties,
        Field::UserProperties,
        Field::MessageId,
        Field::ConversationId,
        Field::CreatedAt,
        Field::EventType,
        Field::SearchQuery,
        Field::UpdatedAt,
        Field::Reasons,
        Field::Sources,
        Field::Details,
        Field::MessageIds,
        Field::MessagesCount,
        Field::Question,
        Field::QuestionLength,
        Field::Answer,
        Field::IsOnTopic,
        Field::IsClear,
        Field::IsDocumented,
        Field::IsFeatureSupported,
        Field::IsAnswerConfident,
        Field::GapSummary,
        Field::Subject,
        Field::Category,
        Field::Languages,
        Field::FirstPartyEntities,
        Field::ThirdPartyEntities,
        Field::Emotion,
        Field::Sentiment,
        Field::QuestionType,
        Field::LastMessageTime,
        Field::LastUpdated,
        Field::HasPositiveFeedback,
        Field::HasNegativeFeedback,
        Field::ConversationIds,
        Field::AreAiAnnotationsVerified,
        Field::IsInitialQuestionAnswer,
    ];

    /// The name used on the wire and in column names.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Id => "id",
            Field::UserMessageCount => "userMessageCount",
            Field::OrganizationId => "organizationId",
            Field::ProjectId => "projectId",
            Field::IntegrationId => "integrationId",
            Field::FirstMessageTime => "firstMessageTime",
            Field::Type => "type",
            Field::Properties => "properties",
            Field::UserProperties => "userProperties",
            Field::MessageId => "messageId",
            Field::ConversationId => "conversationId",
            Field::CreatedAt => "createdAt",
            Field::EventType => "eventType",
            Field::SearchQuery => "searchQuery",
            Field::UpdatedAt => "updatedAt",
            Field::Reasons => "reasons",
            Field::Sources => "sources",
            Field::Details => "details",
            Field::MessageIds => "messageIds",
            Field::MessagesCount => "messagesCount",
            Field::Question => "question",
            Field::QuestionLength => "questionLength",
            Field::Answer => "answer",
            Field::IsOnTopic => "isOnTopic",
            Field::IsClear => "isClear",
            Field::IsDocumented => "isDocumented",
            Field::IsFeatureSupported => "isFeatureSupported",
            Field::IsAnswerConfident => "isAnswerConfident",
            Field::GapSummary => "gapSummary",
            Field::Subject => "subject",
            Field::Category => "category",
            Field::Languages => "languages",
            Field::FirstPartyEntities => "firstPartyEntities",
            Field::ThirdPartyEntities => "thirdPartyEntities",
            Field::Emotion => "emotion",
            Field::Sentiment => "sentiment",
            Field::QuestionType => "questionType",
            Field::LastMessageTime => "lastMessageTime",
            Field::LastUpdated => "lastUpdated",
            Field::HasPositiveFeedback => "hasPositiveFeedback",
            Field::HasNegativeFeedback => "hasNegativeFeedback",
            Field::ConversationIds => "conversationIds",
            Field::AreAiAnnotationsVerified => "areAIAnnotationsVerified",
            Field::IsInitialQuestionAnswer => "isInitialQuestionAnswer",
        }
    }

    /// Looks a field up by its wire name (in any view).
    pub fn from_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.as_str() == name)
    }

    /// The field's type, the same in every view that has it.
    pub fn field_type(self) -> FieldType {
        View::ALL
            .into_iter()
            .find_map(|view| view.field_type(self))
            // Unreachable while every field belongs to a view, which a test checks.
            .unwrap_or(FieldType::String)
    }

    /// The views that have this field, in [`View::ALL`] order.
    pub fn views(self) -> Vec<View> {
        View::ALL.into_iter().filter(|view| view.has_field(self)).collect()
    }

    /// JSON objects and arrays of objects (`properties`, `reasons`): the fields with JSON
    /// paths and the JSON operators.
    pub fn is_json(self) -> bool {
        self.field_type().is_json()
    }

    /// Fields whose values are numbers (`sum` and `avg` accept these).
    pub fn is_numeric(self) -> bool {
        self.field_type() == FieldType::Number
    }

    /// Fields whose values are timestamps (time buckets accept these).
    pub fn is_timestamp(self) -> bool {
        self.field_type() == FieldType::Timestamp
    }

    /// Fields whose values are `true` / `false`.
    pub fn is_boolean(self) -> bool {
        self.field_type() == FieldType::Boolean
    }

    /// Arrays of strings (`languages`, `conversationIds`): `arrayContains` tests them.
    pub fn is_string_array(self) -> bool {
        self.field_type() == FieldType::StringArray
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
