//! The `events`, `feedback` and `semantic_threads` tables: their schema, indexes and the
//! inserts the bulk load ([`super::populate`]) runs for each conversation's activity.
//!
//! Stored like `conversations`: timestamps as the fixed-width text
//! `YYYY-MM-DDTHH:MM:SS.sssZ` (whose order is chronological) plus an integer epoch-seconds
//! column for time buckets (named by [`crate::demo::sql::epoch_column`], which the tests check
//! against these tables); JSON objects and arrays as compact
//! JSON text; booleans as 0/1.
//!
//! The tables are `WITHOUT ROWID`, clustered by `id` (ids increase in generation order, so
//! the load appends), which saves the separate primary-key index a rowid table needs.
//!
//! Every table with `properties` has a virtual generated column `properties_source`
//! (`properties ->> '$.source'`, the most filtered JSON key), indexed on `conversations`,
//! `feedback` and `semantic_threads`, so that a query compiled to compare that column,
//! rather than to extract the path from each row's JSON, reads the index instead of
//! parsing every row (1 ms instead of 38 ms for 31k of 100k conversations, 1.5 ms instead
//! of 81 ms on the 145k threads). No query compiles to it yet. On `events` the column
//! exists but is not indexed: at ≈6 events per conversation the index cost ≈0.35 s of the
//! 100k build, more than the whole build of the conversations.
//!
//! Indexes are deliberately few, because the events table is six times the conversations:
//! `events (eventType, createdAtEpoch)` alone costs ≈0.3 s at 100k conversations.

use rusqlite::types::Value as SqlValue;
use rusqlite::{CachedStatement, Transaction, params_from_iter};
use serde_json::Value;

use super::{Activity, Conversation, time_text};

/// The `CREATE TABLE` statements of the three tables.
pub(super) const SCHEMA_SQL: &str = "
    CREATE TABLE IF NOT EXISTS events (
        id TEXT NOT NULL PRIMARY KEY,
        organizationId TEXT NOT NULL,
        messageId TEXT,
        conversationId TEXT NOT NULL,
        createdAt TEXT NOT NULL,
        createdAtEpoch INTEGER NOT NULL,
        projectId TEXT NOT NULL,
        integrationId TEXT,
        eventType TEXT NOT NULL,
        type TEXT NOT NULL,
        searchQuery TEXT,
        properties TEXT,
        userProperties TEXT,
        properties_source TEXT GENERATED ALWAYS AS (CASE json_type(properties, '$.source') WHEN 'text' THEN properties ->> '$.source' END) VIRTUAL
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS feedback (
        id TEXT NOT NULL PRIMARY KEY,
        type TEXT NOT NULL,
        messageId TEXT NOT NULL,
        createdAt TEXT NOT NULL,
        createdAtEpoch INTEGER NOT NULL,
        updatedAt TEXT NOT NULL,
        updatedAtEpoch INTEGER NOT NULL,
        organizationId TEXT NOT NULL,
        reasons TEXT,
        sources TEXT,
        details TEXT,
        properties TEXT,
        userProperties TEXT,
        conversationId TEXT NOT NULL,
        projectId TEXT NOT NULL,
        integrationId TEXT,
        properties_source TEXT GENERATED ALWAYS AS (CASE json_type(properties, '$.source') WHEN 'text' THEN properties ->> '$.source' END) VIRTUAL
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS semantic_threads (
        id TEXT NOT NULL PRIMARY KEY,
        messageIds TEXT NOT NULL,
        messagesCount INTEGER NOT NULL,
        organizationId TEXT NOT NULL,
        question TEXT NOT NULL,
        questionLength INTEGER NOT NULL,
        answer TEXT NOT NULL,
        isOnTopic INTEGER NOT NULL,
        isClear INTEGER NOT NULL,
        isDocumented INTEGER NOT NULL,
        isFeatureSupported INTEGER NOT NULL,
        isAnswerConfident INTEGER NOT NULL,
        gapSummary TEXT,
        subject TEXT NOT NULL,
        category TEXT NOT NULL,
        languages TEXT NOT NULL,
        firstPartyEntities TEXT NOT NULL,
        thirdPartyEntities TEXT NOT NULL,
        emotion TEXT NOT NULL,
        sentiment TEXT NOT NULL,
        questionType TEXT NOT NULL,
        projectId TEXT NOT NULL,
        integrationId TEXT,
        properties TEXT,
        userProperties TEXT,
        firstMessageTime TEXT NOT NULL,
        firstMessageEpoch INTEGER NOT NULL,
        lastMessageTime TEXT NOT NULL,
        lastMessageEpoch INTEGER NOT NULL,
        lastUpdated TEXT NOT NULL,
        lastUpdatedEpoch INTEGER NOT NULL,
        hasPositiveFeedback INTEGER NOT NULL,
        hasNegativeFeedback INTEGER NOT NULL,
        conversationIds TEXT NOT NULL,
        areAIAnnotationsVerified INTEGER NOT NULL,
        isInitialQuestionAnswer INTEGER NOT NULL,
        properties_source TEXT GENERATED ALWAYS AS (CASE json_type(properties, '$.source') WHEN 'text' THEN properties ->> '$.source' END) VIRTUAL
    ) WITHOUT ROWID;";

/// The secondary indexes of the three tables: time ranges (text) and buckets (epoch) by the
/// usual grouping column, the links back to conversations, and `properties_source`.
pub(super) const INDEXES_SQL: &str = "
    CREATE INDEX IF NOT EXISTS events_event_type_epoch ON events (eventType, createdAtEpoch);
    CREATE INDEX IF NOT EXISTS feedback_created_at ON feedback (createdAt);
    CREATE INDEX IF NOT EXISTS feedback_created_at_epoch ON feedback (createdAtEpoch);
    CREATE INDEX IF NOT EXISTS feedback_updated_at ON feedback (updatedAt);
    CREATE INDEX IF NOT EXISTS feedback_type_epoch ON feedback (type, createdAtEpoch);
    CREATE INDEX IF NOT EXISTS feedback_conversation ON feedback (conversationId);
    CREATE INDEX IF NOT EXISTS feedback_message ON feedback (messageId);
    CREATE INDEX IF NOT EXISTS feedback_properties_source ON feedback (properties_source, createdAtEpoch);
    CREATE INDEX IF NOT EXISTS semantic_threads_category_epoch
        ON semantic_threads (category, firstMessageEpoch);
    CREATE INDEX IF NOT EXISTS semantic_threads_properties_source
        ON semantic_threads (properties_source, firstMessageEpoch);";

const INSERT_CONVERSATION_SQL: &str = "INSERT INTO conversations (id, userMessageCount,
    organizationId, projectId, integrationId, firstMessageTime, firstMessageEpoch, type, properties,
    userProperties) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";

const INSERT_EVENT_SQL: &str = "INSERT INTO events (id, organizationId, messageId, conversationId,
    createdAt, createdAtEpoch, projectId, integrationId, eventType, type, searchQuery, properties,
    userProperties) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";

const INSERT_FEEDBACK_SQL: &str = "INSERT INTO feedback (id, type, messageId, createdAt,
    createdAtEpoch, updatedAt, updatedAtEpoch, organizationId, reasons, sources, details, properties,
    userProperties, conversationId, projectId, integrationId)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)";

const INSERT_THREAD_SQL: &str = "INSERT INTO semantic_threads (id, messageIds, messagesCount,
    organizationId, question, questionLength, answer, isOnTopic, isClear, isDocumented,
    isFeatureSupported, isAnswerConfident, gapSummary, subject, category, languages,
    firstPartyEntities, thirdPartyEntities, emotion, sentiment, questionType, projectId,
    integrationId, properties, userProperties, firstMessageTime, firstMessageEpoch,
    lastMessageTime, lastMessageEpoch, lastUpdated, lastUpdatedEpoch, hasPositiveFeedback,
    hasNegativeFeedback, conversationIds, areAIAnnotationsVerified, isInitialQuestionAnswer)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
    ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35, ?36)";

/// Whole seconds since 1970-01-01 UTC, floored, of epoch milliseconds.
pub(super) fn epoch_seconds(millis: i64) -> i64 {
    millis.div_euclid(1000)
}

/// The table a prepared row goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Table {
    Conversations,
    Events,
    Feedback,
    SemanticThreads,
}

/// A row ready to bind: its table and its values in the order of that table's insert.
pub(super) type PreparedRow = (Table, Vec<SqlValue>);

fn text(value: impl Into<String>) -> SqlValue {
    SqlValue::Text(value.into())
}

fn optional_text(value: Option<impl Into<String>>) -> SqlValue {
    value.map_or(SqlValue::Null, text)
}

fn json(value: Option<&Value>) -> rusqlite::Result<SqlValue> {
    match value {
        None => Ok(SqlValue::Null),
        Some(value) => serde_json::to_string(value)
            .map(SqlValue::Text)
            .map_err(|error| rusqlite::Error::ToSqlConversionFailure(Box::new(error))),
    }
}

fn string_list(items: &[String]) -> rusqlite::Result<SqlValue> {
    serde_json::to_string(items)
        .map(SqlValue::Text)
        .map_err(|error| rusqlite::Error::ToSqlConversionFailure(Box::new(error)))
}

fn flag(value: bool) -> SqlValue {
    SqlValue::Integer(i64::from(value))
}

/// Appends the rows of `conversation` and its activity, as stored, to `rows`. This is the
/// costly part of the load (formatting and JSON), so it runs beside the inserts.
pub(super) fn prepare_rows(
    conversation: &Conversation,
    activity: &Activity,
    rows: &mut Vec<PreparedRow>,
) -> rusqlite::Result<()> {
    rows.push((
        Table::Conversations,
        vec![
            text(conversation.id.as_str()),
            SqlValue::Integer(conversation.user_message_count),
            text(conversation.organization_id.as_str()),
            text(conversation.project_id.as_str()),
            optional_text(conversation.integration_id.as_deref()),
            text(conversation.first_message_time_string()),
            SqlValue::Integer(conversation.first_message_epoch()),
            optional_text(conversation.conversation_type),
            json(conversation.properties.as_ref())?,
            json(conversation.user_properties.as_ref())?,
        ],
    ));
    for thread in &activity.threads {
        rows.push((
            Table::SemanticThreads,
            vec![
                text(thread.id.as_str()),
                string_list(&thread.message_ids)?,
                SqlValue::Integer(thread.messages_count),
                text(thread.organization_id.as_str()),
                text(thread.question.as_str()),
                SqlValue::Integer(thread.question_length),
                text(thread.answer.as_str()),
                flag(thread.is_on_topic),
                flag(thread.is_clear),
                flag(thread.is_documented),
                flag(thread.is_feature_supported),
                flag(thread.is_answer_confident),
                optional_text(thread.gap_summary.as_deref()),
                text(thread.subject),
                text(thread.category),
                string_list(&thread.languages)?,
                string_list(&thread.first_party_entities)?,
                string_list(&thread.third_party_entities)?,
                text(thread.emotion),
                text(thread.sentiment),
                text(thread.question_type),
                text(thread.project_id.as_str()),
                optional_text(thread.integration_id.as_deref()),
                json(thread.properties.as_ref())?,
                json(thread.user_properties.as_ref())?,
                text(time_text(thread.first_message_millis)),
                SqlValue::Integer(epoch_seconds(thread.first_message_millis)),
                text(time_text(thread.last_message_millis)),
                SqlValue::Integer(epoch_seconds(thread.last_message_millis)),
                text(time_text(thread.last_updated_millis)),
                SqlValue::Integer(epoch_seconds(thread.last_updated_millis)),
                flag(thread.has_positive_feedback),
                flag(thread.has_negative_feedback),
                string_list(&thread.conversation_ids)?,
                flag(thread.are_ai_annotations_verified),
                flag(thread.is_initial_question_answer),
            ],
        ));
    }
    for feedback in &activity.feedback {
        rows.push((
            Table::Feedback,
            vec![
                text(feedback.id.as_str()),
                text(feedback.feedback_type),
                text(feedback.message_id.as_str()),
                text(time_text(feedback.created_millis)),
                SqlValue::Integer(epoch_seconds(feedback.created_millis)),
                text(time_text(feedback.updated_millis)),
                SqlValue::Integer(epoch_seconds(feedback.updated_millis)),
                text(feedback.organization_id.as_str()),
                json(feedback.reasons.as_ref())?,
                json(feedback.sources.as_ref())?,
                optional_text(feedback.details.as_deref()),
                json(feedback.properties.as_ref())?,
                json(feedback.user_properties.as_ref())?,
                text(feedback.conversation_id.as_str()),
                text(feedback.project_id.as_str()),
                optional_text(feedback.integration_id.as_deref()),
            ],
        ));
    }
    for event in &activity.events {
        rows.push((
            Table::Events,
            vec![
                text(event.id.as_str()),
                text(event.organization_id.as_str()),
                optional_text(event.message_id.as_deref()),
                text(event.conversation_id.as_str()),
                text(time_text(event.created_millis)),
                SqlValue::Integer(epoch_seconds(event.created_millis)),
                text(event.project_id.as_str()),
                optional_text(event.integration_id.as_deref()),
                text(event.event_type),
                text(event.event_group),
                optional_text(event.search_query.as_deref()),
                json(event.properties.as_ref())?,
                json(event.user_properties.as_ref())?,
            ],
        ));
    }
    Ok(())
}

/// Inserts prepared rows into the four tables, with statements prepared once.
pub(super) struct RowInserter<'conn> {
    conversations: CachedStatement<'conn>,
    events: CachedStatement<'conn>,
    feedback: CachedStatement<'conn>,
    threads: CachedStatement<'conn>,
}

impl<'conn> RowInserter<'conn> {
    /// Prepares the inserts on `tx`.
    pub(super) fn new(tx: &'conn Transaction<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            conversations: tx.prepare_cached(INSERT_CONVERSATION_SQL)?,
            events: tx.prepare_cached(INSERT_EVENT_SQL)?,
            feedback: tx.prepare_cached(INSERT_FEEDBACK_SQL)?,
            threads: tx.prepare_cached(INSERT_THREAD_SQL)?,
        })
    }

    /// Inserts one prepared row.
    pub(super) fn insert(&mut self, (table, values): &PreparedRow) -> rusqlite::Result<()> {
        let statement = match table {
            Table::Conversations => &mut self.conversations,
            Table::Events => &mut self.events,
            Table::Feedback => &mut self.feedback,
            Table::SemanticThreads => &mut self.threads,
        };
        statement.execute(params_from_iter(values.iter()))?;
        Ok(())
    }
}
