//! Events: what users did around a conversation, as stored in the `events` table.
//!
//! The real `eventType` names are not published, so these are **synthetic**:
//!
//! | `eventType` | `type` | rate | `messageId` |
//! |---|---|---|---|
//! | `chat_opened` | `chat` | 90% of conversations, 1–20 s before the first message | none |
//! | `message_sent` | `chat` | one per user message | the user message |
//! | `answer_copied` | `engagement` | 10% of answers | the answer |
//! | `source_link_clicked` | `engagement` | 18% of answers | the answer |
//! | `search_performed` | `search` | 0–3 per conversation (≈0.55), with a `searchQuery` | none |
//! | `feedback_submitted` | `feedback` | exactly one per feedback row, same message and time | the answer |
//! | `chat_closed` | `chat` | 55% of conversations, after the last answer and feedback | none |
//!
//! That is ≈6.3 events per conversation. `properties` holds only strings (the published
//! answer schema requires it): the conversation's `source` and `language` where it has
//! them plus a key or two per event type, or null when the conversation has no
//! `properties`; `userProperties` is the conversation's (all strings already) or null.
//! A conversation's events are ordered by time; ids number them in that order.

use serde_json::{Map, Value};

use super::Conversation;
use super::feedback::Feedback;
use super::messages::Messages;
use super::random::Rng;
use super::taxonomy::{Subject, docs_site};
use super::threads::{ThreadPlan, choose};

/// One generated event, as stored in the `events` table.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// `evt_`, the conversation id's hex digits, `_` and the event's number (three digits).
    pub id: String,
    /// The conversation's organization.
    pub organization_id: String,
    /// The message the event is about, if any.
    pub message_id: Option<String>,
    /// The conversation.
    pub conversation_id: String,
    /// When it happened (epoch milliseconds).
    pub created_millis: i64,
    /// The conversation's project.
    pub project_id: String,
    /// The conversation's integration.
    pub integration_id: Option<String>,
    /// The synthetic event name (see the module docs).
    pub event_type: &'static str,
    /// The event's group: `chat`, `engagement`, `search` or `feedback`.
    pub event_group: &'static str,
    /// What was searched, on `search_performed` only.
    pub search_query: Option<String>,
    /// An object of strings, or `None`.
    pub properties: Option<Value>,
    /// The conversation's `userProperties` (an object of strings), or `None`.
    pub user_properties: Option<Value>,
}

/// The inputs of [`make_events`].
pub(super) struct EventInputs<'a> {
    pub conversation: &'a Conversation,
    pub messages: &'a Messages,
    pub threads: &'a [ThreadPlan],
    pub feedback: &'a [Feedback],
}

/// An event before it is numbered.
struct Draft {
    millis: i64,
    event_type: &'static str,
    event_group: &'static str,
    message_id: Option<String>,
    search_query: Option<String>,
    /// Properties of this event on top of the conversation's `source` and `language`.
    extra: Vec<(&'static str, String)>,
}

/// Search counts 0–3 by weight.
const SEARCH_COUNTS: [(u64, u32); 4] = [(0, 600), (1, 280), (2, 90), (3, 30)];

/// The events of one conversation, in time order.
pub(super) fn make_events(inputs: &EventInputs<'_>, rng: &mut Rng) -> Vec<Event> {
    let conversation = inputs.conversation;
    let base = base_properties(conversation);
    let user_properties = string_object(conversation.user_properties.as_ref());
    let mut drafts: Vec<Draft> = Vec::with_capacity(8);
    let first_millis = conversation.first_message_time.as_millisecond();
    if rng.chance(900) {
        let trigger = choose(rng, &["button", "button", "shortcut", "link"]);
        drafts.push(Draft {
            millis: first_millis - 1_000 - rng.below(19_000) as i64,
            event_type: "chat_opened",
            event_group: "chat",
            message_id: None,
            search_query: None,
            extra: vec![("trigger", trigger.to_owned())],
        });
    }
    let site = docs_site(&conversation.organization_id);
    for (index, (question, answer)) in inputs.messages.pairs.iter().enumerate() {
        drafts.push(Draft {
            millis: question.millis,
            event_type: "message_sent",
            event_group: "chat",
            message_id: Some(question.id.clone()),
            search_query: None,
            extra: vec![("messageNumber", (index + 1).to_string())],
        });
        let plan = thread_of(inputs.threads, index);
        if rng.chance(100) {
            let content = choose(rng, &["text", "text", "code"]);
            drafts.push(Draft {
                millis: answer.millis + 2_000 + rng.below(60_000) as i64,
                event_type: "answer_copied",
                event_group: "engagement",
                message_id: Some(answer.id.clone()),
                search_query: None,
                extra: vec![("contentType", content.to_owned())],
            });
        }
        if rng.chance(180)
            && let Some(plan) = plan
        {
            let articles = plan.subject.articles;
            let (title, path) =
                articles.get(rng.below(articles.len() as u64) as usize).copied().unwrap_or(("", ""));
            drafts.push(Draft {
                millis: answer.millis + 3_000 + rng.below(120_000) as i64,
                event_type: "source_link_clicked",
                event_group: "engagement",
                message_id: Some(answer.id.clone()),
                search_query: None,
                extra: vec![("title", title.to_owned()), ("url", format!("{site}{path}"))],
            });
        }
    }
    let last_answer_millis = inputs.messages.pairs.last().map_or(first_millis, |(_, answer)| answer.millis);
    let searches = rng.pick(&SEARCH_COUNTS);
    for _ in 0..searches {
        let Some(plan) = inputs.threads.get(rng.below(inputs.threads.len() as u64) as usize) else { break };
        let query = Subject::fill(choose(rng, plan.subject.searches), plan.variant).to_lowercase();
        let span = u64::try_from(last_answer_millis - first_millis).unwrap_or(0) + 60_000;
        drafts.push(Draft {
            millis: first_millis - 30_000 + rng.below(span + 30_000) as i64,
            event_type: "search_performed",
            event_group: "search",
            message_id: None,
            search_query: Some(query),
            extra: vec![("resultCount", rng.below(12).to_string())],
        });
    }
    let mut last_millis = last_answer_millis;
    for feedback in inputs.feedback {
        last_millis = last_millis.max(feedback.created_millis);
        drafts.push(Draft {
            millis: feedback.created_millis,
            event_type: "feedback_submitted",
            event_group: "feedback",
            message_id: Some(feedback.message_id.clone()),
            search_query: None,
            extra: vec![("feedbackType", feedback.feedback_type.to_owned())],
        });
    }
    if rng.chance(550) {
        drafts.push(Draft {
            millis: last_millis + 5_000 + rng.below(595_000) as i64,
            event_type: "chat_closed",
            event_group: "chat",
            message_id: None,
            search_query: None,
            extra: Vec::new(),
        });
    }
    // Stable, so events at the same millisecond keep their generation order.
    drafts.sort_by_key(|draft| draft.millis);
    let hex = conversation.id.strip_prefix("conv_").unwrap_or(&conversation.id);
    drafts
        .into_iter()
        .enumerate()
        .map(
            |(
                number,
                Draft { millis: created_millis, event_type, event_group, message_id, search_query, extra },
            )| Event {
                id: format!("evt_{hex}_{:03}", number + 1),
                organization_id: conversation.organization_id.clone(),
                message_id,
                conversation_id: conversation.id.clone(),
                created_millis,
                project_id: conversation.project_id.clone(),
                integration_id: conversation.integration_id.clone(),
                event_type,
                event_group,
                search_query,
                properties: base.as_ref().map(|base| {
                    let mut properties = base.clone();
                    for (key, value) in extra {
                        properties.insert(key.to_owned(), Value::from(value));
                    }
                    Value::Object(properties)
                }),
                user_properties: user_properties.clone(),
            },
        )
        .collect()
}

/// The thread the user message at `index` belongs to.
fn thread_of(threads: &[ThreadPlan], index: usize) -> Option<&ThreadPlan> {
    // Each thread has one answer per user message, in order.
    let mut first = 0;
    for plan in threads {
        let next = first + plan.answers.len();
        if index < next {
            return Some(plan);
        }
        first = next;
    }
    None
}

/// `source` and `language` of the conversation's `properties`, as strings; `None` when the
/// conversation has no `properties`.
fn base_properties(conversation: &Conversation) -> Option<Map<String, Value>> {
    let properties = conversation.properties.as_ref()?;
    let mut base = Map::with_capacity(5);
    for key in ["source", "language"] {
        if let Some(value) = properties.get(key).and_then(Value::as_str) {
            base.insert(key.into(), Value::from(value));
        }
    }
    Some(base)
}

/// The string-valued entries of an object (the schema allows nothing else in events).
fn string_object(value: Option<&Value>) -> Option<Value> {
    let object = value?.as_object()?;
    let strings =
        object.iter().filter(|(_, value)| value.is_string()).map(|(key, value)| (key.clone(), value.clone()));
    Some(Value::Object(strings.collect()))
}
