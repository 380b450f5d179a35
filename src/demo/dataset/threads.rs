//! Semantic threads: one per question a user asked in a conversation, with the answer and
//! the AI annotations of the `semantic_threads` view.
//!
//! A conversation's first user message opens a question; each later one opens a new
//! question with probability [`NEW_QUESTION_PER_MILLE`] and otherwise follows up on the
//! current one (≈1.45 threads per conversation). A thread covers its user messages and
//! their answers. Its subject comes from [`SUBJECTS`] by weight, a subject's question
//! templates give `question` and `questionType`, and the annotations depend on each other:
//! undocumented answers are less often confident and carry a `gapSummary`, troubleshooting
//! questions are more often frustrated, and frustration grows slowly over the period.

use serde_json::Value;

use super::Conversation;
use super::messages::{Message, Messages};
use super::random::Rng;
use super::taxonomy::{OFF_TOPIC, SUBJECTS, Subject, UNDOCUMENTED_ANSWERS, VariantKind};

/// One generated semantic thread, as stored in the `semantic_threads` table.
#[derive(Debug, Clone, PartialEq)]
pub struct SemanticThread {
    /// `thr_`, the conversation id's hex digits, `_` and the question's number (two digits).
    pub id: String,
    /// The user messages of the question and their answers, in order.
    pub message_ids: Vec<String>,
    /// `message_ids.len()`.
    pub messages_count: i64,
    /// The conversation's organization.
    pub organization_id: String,
    /// The question, from the subject's templates.
    pub question: String,
    /// Characters in `question`.
    pub question_length: i64,
    /// The answer given.
    pub answer: String,
    /// False only for off-topic questions.
    pub is_on_topic: bool,
    /// Whether the question was clear.
    pub is_clear: bool,
    /// Whether the docs cover the question.
    pub is_documented: bool,
    /// Whether the product does what was asked.
    pub is_feature_supported: bool,
    /// Whether the answer was confident.
    pub is_answer_confident: bool,
    /// What the docs lack; present exactly when `is_documented` is false.
    pub gap_summary: Option<String>,
    /// The subject (see the taxonomy).
    pub subject: &'static str,
    /// The subject's category.
    pub category: &'static str,
    /// The conversation's `properties.language`, or `en` without one.
    pub languages: Vec<String>,
    /// The product's own parts the question mentions.
    pub first_party_entities: Vec<String>,
    /// Other companies' products the question mentions.
    pub third_party_entities: Vec<String>,
    /// `neutral`, `curious`, `confused`, `frustrated`, `satisfied` or `urgent`.
    pub emotion: &'static str,
    /// `positive`, `neutral` or `negative`, following the emotion.
    pub sentiment: &'static str,
    /// `how_to`, `troubleshooting`, `feature_request`, `conceptual` or `off_topic`.
    pub question_type: &'static str,
    /// The conversation's project.
    pub project_id: String,
    /// The conversation's integration.
    pub integration_id: Option<String>,
    /// The conversation's `properties`.
    pub properties: Option<Value>,
    /// The conversation's `userProperties`.
    pub user_properties: Option<Value>,
    /// When its first user message was sent (epoch milliseconds).
    pub first_message_millis: i64,
    /// When its last answer was sent (epoch milliseconds).
    pub last_message_millis: i64,
    /// When the annotations (or the latest feedback) last changed (epoch milliseconds).
    pub last_updated_millis: i64,
    /// True when positive feedback was given on one of its messages.
    pub has_positive_feedback: bool,
    /// True when negative feedback was given on one of its messages.
    pub has_negative_feedback: bool,
    /// The one conversation the thread belongs to.
    pub conversation_ids: Vec<String>,
    /// Whether a person checked the annotations.
    pub are_ai_annotations_verified: bool,
    /// True for the first question of its conversation.
    pub is_initial_question_answer: bool,
}

/// A thread with what feedback and events need to know about it.
#[derive(Debug, Clone)]
pub(super) struct ThreadPlan {
    pub thread: SemanticThread,
    pub subject: &'static Subject,
    pub variant: &'static str,
    /// The answers given in the thread (the messages feedback can be given on).
    pub answers: Vec<Message>,
}

/// Chance that a follow-up user message starts a new question, per mille.
pub(super) const NEW_QUESTION_PER_MILLE: u64 = 200;

const EMOTIONS_CALM: [(&str, u32); 6] = [
    ("neutral", 480),
    ("curious", 260),
    ("confused", 120),
    ("frustrated", 60),
    ("satisfied", 60),
    ("urgent", 20),
];
const EMOTIONS_TROUBLE: [(&str, u32); 6] = [
    ("neutral", 300),
    ("curious", 40),
    ("confused", 220),
    ("frustrated", 300),
    ("satisfied", 10),
    ("urgent", 130),
];

/// Extra chance of frustration at the very end of the period, per mille (linear from 0).
const FRUSTRATION_GROWTH_PER_MILLE: u64 = 120;

/// The threads of one conversation, in question order.
pub(super) fn plan_threads(
    conversation: &Conversation,
    messages: &Messages,
    progress_per_mille: u64,
    rng: &mut Rng,
) -> Vec<ThreadPlan> {
    // Where each question starts, as indexes into the message pairs.
    let mut starts = vec![0usize];
    for k in 1..messages.pairs.len() {
        if rng.chance(NEW_QUESTION_PER_MILLE) {
            starts.push(k);
        }
    }
    let subject_weights: Vec<(usize, u32)> =
        SUBJECTS.iter().enumerate().map(|(index, subject)| (index, subject.weight)).collect();
    let language = conversation
        .properties
        .as_ref()
        .and_then(|properties| properties.get("language"))
        .and_then(Value::as_str)
        .unwrap_or("en")
        .to_owned();
    let hex = conversation.id.strip_prefix("conv_").unwrap_or(&conversation.id);
    let mut plans = Vec::with_capacity(starts.len());
    for (number, &start) in starts.iter().enumerate() {
        let end = starts.get(number + 1).copied().unwrap_or(messages.pairs.len());
        let pairs = messages.pairs.get(start..end).unwrap_or_default();
        let subject = SUBJECTS.get(rng.pick(&subject_weights)).unwrap_or(&SUBJECTS[0]);
        let variant = choose(rng, subject.variants);
        let (template, question_type) = subject
            .questions
            .get(rng.below(subject.questions.len() as u64) as usize)
            .copied()
            .unwrap_or_default();
        let question = Subject::fill(template, variant);
        let on_topic = subject.name != OFF_TOPIC;
        let is_clear = rng.chance(900);
        let is_documented = rng.chance(subject.documented_per_mille);
        let is_feature_supported =
            on_topic && rng.chance(if question_type == "feature_request" { 550 } else { 970 });
        let confident_per_mille = match (is_documented, is_clear) {
            (true, true) => 900,
            (true, false) => 600,
            (false, _) => 300,
        };
        let is_answer_confident = rng.chance(confident_per_mille);
        let answer = if is_documented {
            Subject::fill(choose(rng, subject.answers), variant)
        } else {
            choose(rng, &UNDOCUMENTED_ANSWERS).to_owned()
        };
        let gap_summary = (!is_documented).then(|| Subject::fill(choose(rng, subject.gaps), variant));
        let emotions = if question_type == "troubleshooting" { &EMOTIONS_TROUBLE } else { &EMOTIONS_CALM };
        let mut emotion = rng.pick(emotions);
        if rng.chance(progress_per_mille * FRUSTRATION_GROWTH_PER_MILLE / 1000) {
            emotion = "frustrated";
        }
        let sentiment = sentiment_of(emotion, rng);
        let (mut first_party, mut third_party): (Vec<String>, Vec<String>) =
            (subject.first_party.iter().map(|&entity| entity.to_owned()).collect(), Vec::new());
        match subject.variant_kind {
            VariantKind::FirstParty if !first_party.iter().any(|entity| entity == variant) => {
                first_party.push(variant.to_owned());
            }
            VariantKind::ThirdParty => third_party.push(variant.to_owned()),
            _ => {}
        }
        let mut message_ids = Vec::with_capacity(pairs.len() * 2);
        for (question_message, answer_message) in pairs {
            message_ids.push(question_message.id.clone());
            message_ids.push(answer_message.id.clone());
        }
        let first_message_millis = pairs.first().map_or(0, |(question, _)| question.millis);
        let last_message_millis = pairs.last().map_or(first_message_millis, |(_, answer)| answer.millis);
        // Annotated one to thirty minutes after the last answer.
        let last_updated_millis = last_message_millis + 60_000 + rng.below(29 * 60_000) as i64;
        let thread = SemanticThread {
            id: format!("thr_{hex}_{:02}", number + 1),
            messages_count: message_ids.len() as i64,
            message_ids,
            organization_id: conversation.organization_id.clone(),
            question_length: question.chars().count() as i64,
            question,
            answer,
            is_on_topic: on_topic,
            is_clear,
            is_documented,
            is_feature_supported,
            is_answer_confident,
            gap_summary,
            subject: subject.name,
            category: subject.category,
            languages: vec![language.clone()],
            first_party_entities: first_party,
            third_party_entities: third_party,
            emotion,
            sentiment,
            question_type,
            project_id: conversation.project_id.clone(),
            integration_id: conversation.integration_id.clone(),
            properties: conversation.properties.clone(),
            user_properties: conversation.user_properties.clone(),
            first_message_millis,
            last_message_millis,
            last_updated_millis,
            has_positive_feedback: false,
            has_negative_feedback: false,
            conversation_ids: vec![conversation.id.clone()],
            are_ai_annotations_verified: rng.chance(80),
            is_initial_question_answer: number == 0,
        };
        let answers = pairs.iter().map(|(_, answer_message)| answer_message.clone()).collect();
        plans.push(ThreadPlan { thread, subject, variant, answers });
    }
    plans
}

/// A uniformly chosen item of a non-empty list (`""` for an empty one).
pub(super) fn choose(rng: &mut Rng, items: &[&'static str]) -> &'static str {
    items.get(rng.below(items.len() as u64) as usize).copied().unwrap_or("")
}

fn sentiment_of(emotion: &str, rng: &mut Rng) -> &'static str {
    let (positive, negative) = match emotion {
        "satisfied" => (950, 0),
        "curious" => (400, 20),
        "neutral" => (120, 60),
        "confused" => (30, 400),
        "urgent" => (0, 600),
        _ => (0, 900), // frustrated
    };
    let draw = rng.below(1000);
    if draw < positive {
        "positive"
    } else if draw < positive + negative {
        "negative"
    } else {
        "neutral"
    }
}
