//! The messages of a conversation: its `userMessageCount` user messages, each followed by
//! the assistant's answer, with deterministic ids and times. They are not a table of their
//! own; threads, feedback and events refer to them by id.

use super::Conversation;
use super::random::Rng;

/// One message: its id and when it was sent, in epoch milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Message {
    pub id: String,
    pub millis: i64,
}

/// A conversation's messages, as question/answer pairs in order.
#[derive(Debug, Clone)]
pub(super) struct Messages {
    /// User message `k` and the answer to it, for `k` in `0..userMessageCount`.
    pub pairs: Vec<(Message, Message)>,
}

/// The id of message `number` (1-based, in sending order) of a conversation: user message
/// `k` (0-based) is number `2k + 1`, its answer `2k + 2`.
pub(super) fn message_id(conversation_id: &str, number: u64) -> String {
    format!("{conversation_id}-m{number}")
}

/// The messages of `conversation`: the first user message at its `firstMessageTime`, each
/// answer 3–20 s after its question, the next question 15 s–4 min after that answer.
pub(super) fn messages(conversation: &Conversation, rng: &mut Rng) -> Messages {
    let count = u64::try_from(conversation.user_message_count).unwrap_or(0).max(1);
    let mut millis = conversation.first_message_time.as_millisecond();
    let mut pairs = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
    for k in 0..count {
        let question = Message { id: message_id(&conversation.id, 2 * k + 1), millis };
        millis += 3_000 + rng.below(17_000) as i64;
        let answer = Message { id: message_id(&conversation.id, 2 * k + 2), millis };
        millis += 15_000 + rng.below(225_000) as i64;
        pairs.push((question, answer));
    }
    Messages { pairs }
}
