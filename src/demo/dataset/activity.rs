//! What happens in each conversation beyond its own row: its semantic threads, the feedback
//! on their answers and the events around it, derived from the conversation alone.
//!
//! Every conversation's activity draws from its own generators, one per concern
//! (messages, threads, feedback, events), seeded from the dataset seed, a salt per concern
//! and the conversation's index; so the conversations stay exactly what they were without
//! activity, and the activity of one conversation never depends on another's.
//!
//! Times follow the conversation's messages, not the dataset's span: a conversation late on
//! `end_date` can have threads, feedback and events after
//! [`DatasetParams::end_time_exclusive`] (up to a few hours for a long one), and its
//! `chat_opened` and search events come up to 30 s before its first message.
//!
//! Cost: at 100 000 conversations the four tables hold ≈880 000 rows and ≈480 MB (44 MB
//! for the conversations alone), and `populate` takes ≈18× as long as it did for the
//! conversations alone; the volume, not the per-row work, dominates.

use super::events::{EventInputs, make_events};
use super::feedback::give_feedback;
use super::messages::messages;
use super::random::{Rng, mix64};
use super::threads::plan_threads;
use super::{
    Conversation, Conversations, DatasetParams, Event, Feedback, ROW_STRIDE, SemanticThread, generate,
};

/// The rows of the other views that one conversation produces.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Activity {
    /// Its semantic threads, in question order (at least one).
    pub threads: Vec<SemanticThread>,
    /// The feedback on its answers, in thread order (at most one per thread).
    pub feedback: Vec<Feedback>,
    /// Its events, in time order.
    pub events: Vec<Event>,
}

// Salts that give each concern of each conversation its own stream.
const MESSAGES_SALT: u64 = 0x3E55_A6E5_0000_0011;
const THREADS_SALT: u64 = 0x7A2E_AD50_0000_0012;
const FEEDBACK_SALT: u64 = 0xFEED_BAC4_0000_0013;
const EVENTS_SALT: u64 = 0xE7E4_7500_0000_0014;

/// The activity of `conversation`, row `index` of the dataset `params` describe.
pub fn activity(params: &DatasetParams, index: u64, conversation: &Conversation) -> Activity {
    let stream = |salt: u64| Rng::from_seed(mix64(params.seed ^ salt) ^ index.wrapping_mul(ROW_STRIDE));
    let messages = messages(conversation, &mut stream(MESSAGES_SALT));
    // How far through the dataset the conversation is, for slow trends.
    let progress_per_mille =
        u64::try_from(u128::from(index) * 1000 / u128::from(params.rows.max(1))).unwrap_or(0);
    let mut plans = plan_threads(conversation, &messages, progress_per_mille, &mut stream(THREADS_SALT));
    let mut feedback_rng = stream(FEEDBACK_SALT);
    let feedback: Vec<Feedback> = plans
        .iter_mut()
        .enumerate()
        .filter_map(|(number, plan)| give_feedback(conversation, plan, number, &mut feedback_rng))
        .collect();
    let events = make_events(
        &EventInputs { conversation, messages: &messages, threads: &plans, feedback: &feedback },
        &mut stream(EVENTS_SALT),
    );
    Activity { threads: plans.into_iter().map(|plan| plan.thread).collect(), feedback, events }
}

/// Streams the conversations of a dataset with their activity, in generation order.
pub fn generate_with_activity(params: &DatasetParams) -> WithActivity {
    WithActivity { params: *params, conversations: generate(params), next_index: 0 }
}

/// The iterator [`generate_with_activity`] returns.
#[derive(Debug, Clone)]
pub struct WithActivity {
    params: DatasetParams,
    conversations: Conversations,
    next_index: u64,
}

impl Iterator for WithActivity {
    type Item = (Conversation, Activity);

    fn next(&mut self) -> Option<(Conversation, Activity)> {
        let conversation = self.conversations.next()?;
        let index = self.next_index;
        self.next_index += 1;
        let activity = activity(&self.params, index, &conversation);
        Some((conversation, activity))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.conversations.size_hint()
    }
}

impl ExactSizeIterator for WithActivity {}
