//! Feedback: a thumbs up or down on one answer of a semantic thread, with reasons, sources
//! and sometimes a comment, as stored in the `feedback` table.
//!
//! At most one feedback row per thread, on one of its answers, 5 s–10 min after it. The
//! chance depends on the answer (per mille, positive / negative):
//!
//! | answer | positive | negative |
//! |---|---|---|
//! | documented and confident | 35 | 10 |
//! | documented or confident, not both | 15 | 55 |
//! | neither | 10 | 85 |
//!
//! which gives feedback on ≈5% of threads (≈8 rows per 100 conversations), about half of it
//! negative, and negative feedback 5–8 times likelier where the answer was not confident or
//! not documented.

use serde_json::{Map, Value};

use super::Conversation;
use super::random::Rng;
use super::taxonomy::{NEGATIVE_DETAILS, NEGATIVE_REASONS, POSITIVE_DETAILS, POSITIVE_REASONS, docs_site};
use super::threads::{ThreadPlan, choose};

/// One generated feedback row, as stored in the `feedback` table.
#[derive(Debug, Clone, PartialEq)]
pub struct Feedback {
    /// `fb_`, the conversation id's hex digits, `_` and the thread's number (two digits).
    pub id: String,
    /// `positive` or `negative`.
    pub feedback_type: &'static str,
    /// The answer the feedback is on (one of its thread's `messageIds`).
    pub message_id: String,
    /// When it was given (epoch milliseconds), after the answer.
    pub created_millis: i64,
    /// When it was last edited (epoch milliseconds); mostly `created_millis`.
    pub updated_millis: i64,
    /// The conversation's organization.
    pub organization_id: String,
    /// An array of `{label, details}`; for positive feedback also `[]` or `None`.
    pub reasons: Option<Value>,
    /// An array of `{type, title, url}` (`type` positive, negative, new or null), or `None`.
    pub sources: Option<Value>,
    /// A comment, or `None`.
    pub details: Option<String>,
    /// The conversation's `properties`.
    pub properties: Option<Value>,
    /// The conversation's `userProperties`.
    pub user_properties: Option<Value>,
    /// The conversation.
    pub conversation_id: String,
    /// The conversation's project.
    pub project_id: String,
    /// The conversation's integration.
    pub integration_id: Option<String>,
}

/// Feedback chances per mille (positive, negative) by whether the answer was documented and
/// confident; see the module docs.
pub(super) fn feedback_chances(documented: bool, confident: bool) -> (u64, u64) {
    match (documented, confident) {
        (true, true) => (35, 10),
        (false, false) => (10, 85),
        _ => (15, 55),
    }
}

/// Draws the feedback on `plan`'s answers, if any, and records it on the thread
/// (`hasPositiveFeedback` / `hasNegativeFeedback`, `lastUpdated`).
pub(super) fn give_feedback(
    conversation: &Conversation,
    plan: &mut ThreadPlan,
    number: usize,
    rng: &mut Rng,
) -> Option<Feedback> {
    let thread = &mut plan.thread;
    let (positive, negative) = feedback_chances(thread.is_documented, thread.is_answer_confident);
    let draw = rng.below(1000);
    let negative_feedback = if draw < negative {
        true
    } else if draw < negative + positive {
        false
    } else {
        return None;
    };
    let answer = plan.answers.get(rng.below(plan.answers.len() as u64) as usize)?;
    let created_millis = answer.millis + 5_000 + rng.below(595_000) as i64;
    let updated_millis =
        if rng.chance(150) { created_millis + 10_000 + rng.below(3_600_000) as i64 } else { created_millis };
    let site = docs_site(&conversation.organization_id);
    let (reasons, sources, details) = if negative_feedback {
        thread.has_negative_feedback = true;
        let reasons = negative_reasons(rng, thread.is_documented);
        let sources = rng.chance(600).then(|| {
            let mut list = vec![source(Some("negative"), rng, plan.subject.articles, site)];
            if rng.chance(300) {
                list.push(source(Some("new"), rng, plan.subject.articles, site));
            }
            Value::Array(list)
        });
        (Some(reasons), sources, rng.chance(450).then(|| choose(rng, &NEGATIVE_DETAILS).to_owned()))
    } else {
        thread.has_positive_feedback = true;
        let reasons = match rng.below(10) {
            0..=4 => Some(Value::Array(Vec::new())),
            5..=7 => None,
            _ => {
                let (label, details) = POSITIVE_REASONS[rng.below(POSITIVE_REASONS.len() as u64) as usize];
                Some(Value::Array(vec![reason(label, choose(rng, details))]))
            }
        };
        let sources = rng.chance(350).then(|| {
            let kind = if rng.chance(850) { Some("positive") } else { None };
            Value::Array(vec![source(kind, rng, plan.subject.articles, site)])
        });
        (reasons, sources, rng.chance(250).then(|| choose(rng, &POSITIVE_DETAILS).to_owned()))
    };
    thread.last_updated_millis = thread.last_updated_millis.max(updated_millis);
    let hex = conversation.id.strip_prefix("conv_").unwrap_or(&conversation.id);
    Some(Feedback {
        id: format!("fb_{hex}_{:02}", number + 1),
        feedback_type: if negative_feedback { "negative" } else { "positive" },
        message_id: answer.id.clone(),
        created_millis,
        updated_millis,
        organization_id: conversation.organization_id.clone(),
        reasons,
        sources,
        details,
        properties: conversation.properties.clone(),
        user_properties: conversation.user_properties.clone(),
        conversation_id: conversation.id.clone(),
        project_id: conversation.project_id.clone(),
        integration_id: conversation.integration_id.clone(),
    })
}

/// One or two distinct negative reasons; "Missing information" is likelier when the answer
/// was not documented.
fn negative_reasons(rng: &mut Rng, documented: bool) -> Value {
    let missing_weight = if documented { 150 } else { 600 };
    let weights: [(usize, u32); 5] = [(0, 300), (1, 200), (2, 250), (3, missing_weight), (4, 50)];
    let first = rng.pick(&weights);
    let mut chosen = vec![first];
    if rng.chance(250) {
        let second = rng.pick(&weights);
        if second != first {
            chosen.push(second);
        }
    }
    let reasons =
        chosen.into_iter().filter_map(|index| NEGATIVE_REASONS.get(index)).map(|&(label, details)| {
            let detail = choose(rng, details);
            reason(label, detail)
        });
    Value::Array(reasons.collect())
}

fn reason(label: &str, details: &str) -> Value {
    let mut object = Map::with_capacity(2);
    object.insert("label".into(), Value::from(label));
    object.insert("details".into(), Value::from(details));
    Value::Object(object)
}

/// A source: one of the subject's articles on the organization's docs site; a `new` source
/// is a page the user suggests, which has a URL but no title yet.
fn source(kind: Option<&str>, rng: &mut Rng, articles: &[(&'static str, &'static str)], site: &str) -> Value {
    let (title, path) = articles.get(rng.below(articles.len() as u64) as usize).copied().unwrap_or(("", ""));
    let mut object = Map::with_capacity(3);
    object.insert("type".into(), kind.map_or(Value::Null, Value::from));
    if kind == Some("new") {
        object.insert("title".into(), Value::Null);
        object.insert("url".into(), Value::from(format!("{site}{path}#faq")));
    } else {
        object.insert("title".into(), Value::from(title));
        object.insert("url".into(), Value::from(format!("{site}{path}")));
    }
    Value::Object(object)
}
