//! Deterministic synthetic conversations for the embedded demo API, and the SQLite loader.
//!
//! The same [`DatasetParams`] (row count, seed, end date) always give byte-identical rows:
//! every random draw comes from this module's own SplitMix64 / xoshiro256** generators and
//! only IEEE-exact arithmetic (no `exp`/`ln`/`powf`, whose last bit may differ between
//! platform math libraries), so neither a crate upgrade nor another machine changes the data.
//! Bump [`GENERATOR_VERSION`] whenever the output changes on purpose, so that databases kept
//! with `--db FILE` are rebuilt.
//!
//! Shape of the data:
//! - conversations span the [`SPAN_DAYS`] days ending on `end_date` (UTC), growing about 2.4×
//!   over the period, with quieter weekends, per-day noise, one busy weekday and a
//!   business-hours profile; rows come out in chronological order;
//! - `type` ≈ 55% `openai`, 30% `support_copilot`, 15% `support_ticket`, a handful NULL;
//! - 2 organizations, 4 projects, 6 integrations ([`INTEGRATIONS`]), ≈1% NULL `integrationId`;
//! - `properties` (≈3% NULL): `source` (fixed by the integration, absent without one),
//!   `language`, `tags`, `resolved`, `csat`, a nested `browser` object on widget
//!   conversations and an `articles` array of objects;
//! - `userProperties` (≈0.5% NULL): `id`, `identificationType`, `userId` (repeat users),
//!   `userType`, and `supportAgentName` / `supportAgentEmail` ([`SUPPORT_AGENTS`]) on
//!   support conversations only.
//!
//! Each conversation also produces the rows of the other three query views (see
//! [`activity`]): per conversation ≈1.45 semantic threads (one per question, at least one),
//! ≈0.08 feedback rows (feedback on ≈5% of threads, about half negative) and ≈6.3 events;
//! at the default 100 000 conversations that is ≈145 000 threads, ≈8 000 feedback rows and
//! ≈630 000 events. They draw from their own generators, so the conversations are exactly
//! what they were before these views existed.
//!
//! # Parts
//!
//! - this module: the parameters, the conversations and their fixed vocabularies, the
//!   conversation generator;
//! - `activity`: a conversation's threads, feedback and events, from `messages` (the
//!   messages a conversation is made of), `threads`, `feedback` and `events`, in the words
//!   of `taxonomy` (the product's subjects, questions, answers and documentation);
//! - `random`: the pseudo-random generators every draw comes from;
//! - `sqlite`: the schema, the bulk load and the check that a kept file holds this dataset;
//!   `sqlite_views`: the tables of the other three views.

use std::fmt::Write as _;
use std::iter::FusedIterator;

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::Offset;
use serde_json::{Map, Value};

mod activity;
mod events;
mod feedback;
mod messages;
mod random;
mod sqlite;
mod sqlite_views;
mod taxonomy;
#[cfg(test)]
mod tests;
mod threads;
#[cfg(test)]
mod views_tests;

pub use activity::{Activity, WithActivity, activity, generate_with_activity};
pub use events::Event;
pub use feedback::Feedback;
use random::{Rng, mix64};
pub use sqlite::{Tables, create_indexes, create_schema, matches_params, populate, populate_tables};
pub use threads::SemanticThread;

/// Version of the generation rules; stored in `demo_meta` so that a kept database made by
/// other rules is never mistaken for the current one. Version 2 added the events, feedback
/// and semantic threads tables.
pub const GENERATOR_VERSION: u32 = 4;

/// Number of days the dataset covers, ending on (and including) `end_date`.
pub const SPAN_DAYS: u32 = 180;

/// Parameters that fully determine a dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DatasetParams {
    /// Number of conversations.
    pub rows: u64,
    /// Seed of the pseudo-random generators.
    pub seed: u64,
    /// Last day covered (UTC); the data ends before the following midnight.
    pub end_date: Date,
}

impl Default for DatasetParams {
    /// 100 000 rows, seed 42, ending today (UTC).
    fn default() -> Self {
        Self { rows: 100_000, seed: 42, end_date: Offset::UTC.to_datetime(Timestamp::now()).date() }
    }
}

impl DatasetParams {
    /// The first instant covered: midnight UTC at the start of the first of the [`SPAN_DAYS`] days.
    pub fn start_time(&self) -> Timestamp {
        millis_to_datetime(self.start_epoch_day() * MILLIS_PER_DAY)
    }

    /// The first instant after the data: midnight UTC at the end of `end_date`.
    pub fn end_time_exclusive(&self) -> Timestamp {
        millis_to_datetime((self.end_epoch_day() + 1) * MILLIS_PER_DAY)
    }

    /// `end_date` as days since 1970-01-01.
    fn end_epoch_day(&self) -> i64 {
        self.end_date.duration_since(UNIX_EPOCH_DATE).as_secs().div_euclid(86_400)
    }

    /// The first covered day as days since 1970-01-01.
    fn start_epoch_day(&self) -> i64 {
        self.end_epoch_day() - i64::from(SPAN_DAYS) + 1
    }
}

/// One generated conversation, as stored in the `conversations` table.
#[derive(Debug, Clone, PartialEq)]
pub struct Conversation {
    /// `conv_` and 16 hex digits, time-ordered like a ULID (44 bits of epoch milliseconds,
    /// 20 random); unique within a dataset, increasing in generation order.
    pub id: String,
    /// Messages the user sent: mostly 1–5, up to 40.
    pub user_message_count: i64,
    /// Owning organization (see [`INTEGRATIONS`]).
    pub organization_id: String,
    /// Project within the organization.
    pub project_id: String,
    /// Integration the conversation came through; `None` for a few.
    pub integration_id: Option<String>,
    /// When the first message was sent, with millisecond precision.
    pub first_message_time: Timestamp,
    /// `openai`, `support_ticket`, `support_copilot`, or `None` (rare).
    pub conversation_type: Option<&'static str>,
    /// A JSON object, or `None` (≈3%).
    pub properties: Option<Value>,
    /// A JSON object, or `None` (rare).
    pub user_properties: Option<Value>,
}

impl Conversation {
    /// The exact `firstMessageTime` TEXT stored: `YYYY-MM-DDTHH:MM:SS.sssZ` in UTC.
    pub fn first_message_time_string(&self) -> String {
        let mut text = String::with_capacity(24);
        push_time_text(&mut text, self.first_message_time);
        text
    }

    /// The exact `firstMessageEpoch` stored: whole seconds since 1970-01-01 UTC.
    pub fn first_message_epoch(&self) -> i64 {
        // Floored, like the stored value, for instants before 1970 too.
        self.first_message_time.as_millisecond().div_euclid(1000)
    }

    /// The exact `properties` TEXT stored (compact JSON, keys in generation order).
    pub fn properties_text(&self) -> Option<String> {
        self.properties.as_ref().map(Value::to_string)
    }

    /// The exact `userProperties` TEXT stored (compact JSON, keys in generation order).
    pub fn user_properties_text(&self) -> Option<String> {
        self.user_properties.as_ref().map(Value::to_string)
    }
}

/// An integration of the demo organizations; it fixes the project, the organization and
/// `properties.source` of the conversations that come through it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Integration {
    /// `integrationId`.
    pub id: &'static str,
    /// `projectId` of the project the integration belongs to.
    pub project_id: &'static str,
    /// `organizationId` of the project's organization.
    pub organization_id: &'static str,
    /// `properties.source` of its conversations.
    pub source: &'static str,
}

/// The six integrations: two organizations with two projects each.
pub const INTEGRATIONS: [Integration; 6] = [
    Integration {
        id: "int_northwind_widget",
        project_id: "proj_northwind_docs",
        organization_id: "org_northwind",
        source: "widget",
    },
    Integration {
        id: "int_northwind_slack",
        project_id: "proj_northwind_docs",
        organization_id: "org_northwind",
        source: "slack",
    },
    Integration {
        id: "int_northwind_zendesk",
        project_id: "proj_northwind_support",
        organization_id: "org_northwind",
        source: "zendesk",
    },
    Integration {
        id: "int_lumenlabs_widget",
        project_id: "proj_lumenlabs_docs",
        organization_id: "org_lumenlabs",
        source: "widget",
    },
    Integration {
        id: "int_lumenlabs_discord",
        project_id: "proj_lumenlabs_docs",
        organization_id: "org_lumenlabs",
        source: "discord",
    },
    Integration {
        id: "int_lumenlabs_api",
        project_id: "proj_lumenlabs_app",
        organization_id: "org_lumenlabs",
        source: "api",
    },
];

/// A support agent who appears in `userProperties` of support conversations of their organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SupportAgent {
    /// `supportAgentName`.
    pub name: &'static str,
    /// `supportAgentEmail`; always the same for the same name.
    pub email: &'static str,
    /// The organization the agent works for.
    pub organization_id: &'static str,
}

const fn agent(name: &'static str, email: &'static str, organization_id: &'static str) -> SupportAgent {
    SupportAgent { name, email, organization_id }
}

/// The twelve support agents: seven at Northwind, five at Lumen Labs.
pub const SUPPORT_AGENTS: [SupportAgent; 12] = [
    agent("Maya Patel", "maya.patel@northwind.io", "org_northwind"),
    agent("Jonas Weber", "jonas.weber@northwind.io", "org_northwind"),
    agent("Sofia Rossi", "sofia.rossi@northwind.io", "org_northwind"),
    agent("Daniel Kim", "daniel.kim@northwind.io", "org_northwind"),
    agent("Amara Okafor", "amara.okafor@northwind.io", "org_northwind"),
    agent("Lucas Martin", "lucas.martin@northwind.io", "org_northwind"),
    agent("Hannah Schmidt", "hannah.schmidt@northwind.io", "org_northwind"),
    agent("Priya Nair", "priya.nair@lumenlabs.dev", "org_lumenlabs"),
    agent("Tom Becker", "tom.becker@lumenlabs.dev", "org_lumenlabs"),
    agent("Elena García", "elena.garcia@lumenlabs.dev", "org_lumenlabs"),
    agent("Kenji Tanaka", "kenji.tanaka@lumenlabs.dev", "org_lumenlabs"),
    agent("Chloé Dubois", "chloe.dubois@lumenlabs.dev", "org_lumenlabs"),
];

/// Streams the conversations of a dataset in chronological order, one at a time.
pub fn generate(params: &DatasetParams) -> Conversations {
    Conversations {
        rows: params.rows,
        next_index: 0,
        row_seed_key: mix64(params.seed ^ ROW_SALT),
        previous_id_value: None,
        timeline: Timeline::new(params),
        slot_cursor: 0,
    }
}

/// The iterator [`generate`] returns.
#[derive(Debug, Clone)]
pub struct Conversations {
    rows: u64,
    next_index: u64,
    row_seed_key: u64,
    /// The numeric part of the previous id; ids increase strictly, which makes them unique.
    previous_id_value: Option<u64>,
    timeline: Timeline,
    /// The hour slot of the previous row: rows are generated in time order, so the search for
    /// the next row's slot only ever moves forward.
    slot_cursor: usize,
}

impl Iterator for Conversations {
    type Item = Conversation;

    fn next(&mut self) -> Option<Conversation> {
        if self.next_index >= self.rows {
            return None;
        }
        let index = self.next_index;
        self.next_index += 1;
        Some(self.make(index))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let remaining = usize::try_from(self.rows - self.next_index).unwrap_or(usize::MAX);
        (remaining, Some(remaining))
    }
}

impl ExactSizeIterator for Conversations {}

impl FusedIterator for Conversations {}

/// The row of a raw conversation as the API returns it for `{}`: every field in API
/// order, JSON fields as objects.
pub fn conversation_row(conversation: Conversation) -> serde_json::Map<String, serde_json::Value> {
    use serde_json::Value;
    let first_message_time = conversation.first_message_time_string();
    let mut row = serde_json::Map::new();
    row.insert("id".into(), Value::from(conversation.id));
    row.insert("userMessageCount".into(), Value::from(conversation.user_message_count));
    row.insert("organizationId".into(), Value::from(conversation.organization_id));
    row.insert("projectId".into(), Value::from(conversation.project_id));
    row.insert("integrationId".into(), conversation.integration_id.map_or(Value::Null, Value::from));
    row.insert("firstMessageTime".into(), Value::from(first_message_time));
    row.insert("type".into(), conversation.conversation_type.map_or(Value::Null, Value::from));
    row.insert("properties".into(), conversation.properties.unwrap_or(Value::Null));
    row.insert("userProperties".into(), conversation.user_properties.unwrap_or(Value::Null));
    row
}

/// The whole `/query/conversations` answer to `{}` for a dataset, every row on one page,
/// as compact JSON: the input of the result-model, grid and export benchmarks.
pub fn raw_response_json(params: &DatasetParams) -> Vec<u8> {
    let rows = params.rows;
    let mut out = Vec::with_capacity(usize::try_from(rows).unwrap_or(0).saturating_mul(700));
    out.extend_from_slice(br#"{"status":"ok","data":{"result":["#);
    for (index, conversation) in generate(params).enumerate() {
        if index > 0 {
            out.push(b',');
        }
        // Writing JSON into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut out, &conversation_row(conversation));
    }
    out.extend_from_slice(format!(r#"],"total":{rows},"pageSize":{rows},"count":{rows}}}}}"#).as_bytes());
    out
}

/// `epoch_millis` as the stored timestamp text, `YYYY-MM-DDTHH:MM:SS.sssZ` in UTC.
pub fn time_text(epoch_millis: i64) -> String {
    let mut text = String::with_capacity(24);
    push_time_text(&mut text, millis_to_datetime(epoch_millis));
    text
}

/// Appends `time` as `YYYY-MM-DDTHH:MM:SS.sssZ`.
fn push_time_text(text: &mut String, time: Timestamp) {
    let time = Offset::UTC.to_datetime(time);
    // Writing to a String cannot fail.
    let _ = write!(
        text,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        time.year(),
        time.month(),
        time.day(),
        time.hour(),
        time.minute(),
        time.second(),
        time.millisecond(),
    );
}

const MILLIS_PER_DAY: i64 = 86_400_000;
const MILLIS_PER_HOUR: i64 = 3_600_000;
/// Day 0 of the epoch days.
const UNIX_EPOCH_DATE: Date = Date::constant(1970, 1, 1);

/// Only reachable for dates near the ends of jiff's range (years -9999 to 9999), which no
/// demo uses.
fn millis_to_datetime(epoch_millis: i64) -> Timestamp {
    Timestamp::from_millisecond(epoch_millis).unwrap_or_default()
}

// Salts that give each use of the seed its own independent stream.
const ROW_SALT: u64 = 0x5EED_0FC0_4E45_A701;
const TIMELINE_SALT: u64 = 0x714E_114E_D475_0003;
const USER_SALT: u64 = 0x05E2_51D0_0000_0004;
/// Odd constant that spreads consecutive row indexes over the seed space.
const ROW_STRIDE: u64 = 0xD1B5_4A32_D192_ED03;

/// Where in time each row falls: the cumulative share of all conversations at the end of each
/// hour of the covered days. Row `i` of `n` takes the point `(i + jitter) / n` of that
/// distribution, so rows come out in time order and every hour gets exactly its share.
#[derive(Debug, Clone)]
struct Timeline {
    start_millis: i64,
    cumulative_share: Vec<f64>,
}

/// Relative traffic by hour of day (UTC) on weekdays: quiet nights, a morning ramp, a lunch dip.
const WEEKDAY_HOURS: [f64; 24] = [
    0.25, 0.18, 0.14, 0.12, 0.13, 0.20, 0.35, 0.60, 0.90, 1.00, 1.00, 0.95, 0.80, 0.95, 1.00, 1.00, 0.95,
    0.80, 0.60, 0.50, 0.45, 0.40, 0.35, 0.30,
];

/// Relative traffic by hour of day (UTC) on weekends: flatter, later, lower peak.
const WEEKEND_HOURS: [f64; 24] = [
    0.35, 0.30, 0.25, 0.22, 0.20, 0.22, 0.30, 0.40, 0.55, 0.70, 0.80, 0.85, 0.85, 0.85, 0.85, 0.80, 0.75,
    0.70, 0.65, 0.60, 0.55, 0.50, 0.45, 0.40,
];

impl Timeline {
    fn new(params: &DatasetParams) -> Self {
        let mut rng = Rng::from_seed(mix64(params.seed ^ TIMELINE_SALT));
        let start_day = params.start_epoch_day();
        let last_day_offset = f64::from(SPAN_DAYS - 1);
        // One busy weekday (a launch, an outage) somewhere in the middle of the period.
        let mut spike_day = 40 + rng.below(u64::from(SPAN_DAYS) - 60);
        let spike_weekday = (start_day + spike_day as i64 + 3).rem_euclid(7);
        if spike_weekday >= 5 {
            // Moved to the following Monday.
            spike_day += (7 - spike_weekday) as u64;
        }
        let weekday_total: f64 = WEEKDAY_HOURS.iter().sum();
        let weekend_total: f64 = WEEKEND_HOURS.iter().sum();
        let mut cumulative_share = Vec::with_capacity(SPAN_DAYS as usize * 24);
        let mut running_total = 0.0;
        for day_offset in 0..SPAN_DAYS {
            // 1970-01-01 was a Thursday; 0 = Monday.
            let weekday = (start_day + i64::from(day_offset) + 3).rem_euclid(7);
            let weekend = weekday >= 5;
            let progress = f64::from(day_offset) / last_day_offset;
            let growth = 1.0 + 0.9 * progress + 0.5 * progress * progress;
            let noise = 0.85 + 0.3 * rng.unit();
            let week_factor = match weekday {
                5 => 0.42,
                6 => 0.36,
                _ => 1.0,
            };
            let spike = if u64::from(day_offset) == spike_day { 1.7 } else { 1.0 };
            let day_weight = growth * noise * week_factor * spike;
            let (hours, hours_total) =
                if weekend { (&WEEKEND_HOURS, weekend_total) } else { (&WEEKDAY_HOURS, weekday_total) };
            for hour_weight in hours {
                running_total += day_weight * hour_weight / hours_total;
                cumulative_share.push(running_total);
            }
        }
        for share in &mut cumulative_share {
            *share /= running_total;
        }
        if let Some(last) = cumulative_share.last_mut() {
            *last = 1.0;
        }
        Self { start_millis: start_day * MILLIS_PER_DAY, cumulative_share }
    }

    /// The instant (epoch milliseconds) at `share` of the distribution, searching forward from
    /// `cursor`, which it advances to the hour slot found.
    fn time_at(&self, share: f64, cursor: &mut usize) -> i64 {
        let last_slot = self.cumulative_share.len().saturating_sub(1);
        while *cursor < last_slot && self.cumulative_share.get(*cursor).is_some_and(|&end| end <= share) {
            *cursor += 1;
        }
        let slot_end = self.cumulative_share.get(*cursor).copied().unwrap_or(1.0);
        let slot_start = match cursor.checked_sub(1) {
            Some(previous) => self.cumulative_share.get(previous).copied().unwrap_or(0.0),
            None => 0.0,
        };
        let fraction = if slot_end > slot_start {
            ((share - slot_start) / (slot_end - slot_start)).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let offset_millis = ((fraction * MILLIS_PER_HOUR as f64) as i64).min(MILLIS_PER_HOUR - 1);
        self.start_millis + (*cursor as i64) * MILLIS_PER_HOUR + offset_millis
    }
}

const TYPES: [(Option<&str>, u32); 4] =
    [(Some("openai"), 550), (Some("support_copilot"), 300), (Some("support_ticket"), 148), (None, 2)];

/// Integration weights (indexes into [`INTEGRATIONS`]) by conversation type: the assistant is
/// used everywhere but Zendesk; tickets and the copilot live mostly in Zendesk and the API.
const OPENAI_INTEGRATIONS: [(usize, u32); 5] = [(0, 280), (1, 120), (3, 240), (4, 140), (5, 220)];
const COPILOT_INTEGRATIONS: [(usize, u32); 3] = [(2, 550), (5, 300), (1, 150)];
const TICKET_INTEGRATIONS: [(usize, u32); 4] = [(2, 600), (5, 150), (3, 100), (0, 150)];

/// userMessageCount 1–12 by weight; 0 stands for the long tail 13–40.
const MESSAGE_COUNTS: [(i64, u32); 13] = [
    (1, 340),
    (2, 230),
    (3, 140),
    (4, 90),
    (5, 60),
    (6, 38),
    (7, 26),
    (8, 18),
    (9, 13),
    (10, 10),
    (11, 7),
    (12, 5),
    (0, 23),
];

const LANGUAGES: [(&str, u32); 8] =
    [("en", 700), ("de", 80), ("fr", 60), ("es", 60), ("ja", 40), ("pt", 40), ("ko", 10), ("it", 10)];

/// Tags in the order they are written, with how often each is drawn.
const TAGS: [(&str, u32); 6] =
    [("billing", 22), ("auth", 20), ("api", 25), ("onboarding", 15), ("bug", 12), ("pricing", 6)];
const TAG_COUNTS: [(usize, u32); 4] = [(0, 280), (1, 420), (2, 210), (3, 90)];

const CSAT_SCORES: [(i64, u32); 5] = [(5, 400), (4, 300), (3, 150), (2, 80), (1, 70)];

/// (Browser name, lowest major version, number of versions seen) and weight.
const BROWSERS: [((&str, i64, u64), u32); 4] = [
    (("Chrome", 118, 14), 600),
    (("Safari", 16, 3), 200),
    (("Firefox", 119, 14), 100),
    (("Edge", 118, 14), 100),
];

const ARTICLE_TITLES: [&str; 10] = [
    "Getting started with the widget",
    "Rotating API keys",
    "Configuring SSO with Okta",
    "Understanding your invoice",
    "API rate limits",
    "Setting up webhooks",
    "Migrating from v1 to v2",
    "Troubleshooting login errors",
    "Plans and pricing",
    "Exporting your data",
];

const IDENTIFICATION_TYPES: [(&str, u32); 3] = [("COOKIED", 480), ("ID_PROVIDED", 370), ("ANONYMOUS", 150)];
const USER_TYPES: [(&str, u32); 3] = [("customer", 800), ("trial", 140), ("internal", 60)];

/// Identified users per organization; a skewed draw makes some of them frequent.
const USERS_PER_ORGANIZATION: u64 = 2_500;

/// Agent weights within each organization (indexes into [`SUPPORT_AGENTS`]).
const NORTHWIND_AGENTS: [(usize, u32); 7] = [(0, 30), (1, 25), (2, 20), (3, 15), (4, 12), (5, 10), (6, 8)];
const LUMENLABS_AGENTS: [(usize, u32); 5] = [(7, 30), (8, 25), (9, 20), (10, 15), (11, 10)];

impl Conversations {
    /// Row `index`; draws from its own generator, so rows never depend on each other.
    fn make(&mut self, index: u64) -> Conversation {
        let mut rng = Rng::from_seed(self.row_seed_key ^ index.wrapping_mul(ROW_STRIDE));
        let share = (index as f64 + rng.unit()) / self.rows as f64;
        let epoch_millis = self.timeline.time_at(share, &mut self.slot_cursor);
        let id_value = self.next_id_value(epoch_millis, rng.next_u64());
        let conversation_type = rng.pick(&TYPES);
        let support = matches!(conversation_type, Some("support_copilot" | "support_ticket"));
        let integration_choices: &[(usize, u32)] = match conversation_type {
            Some("support_copilot") => &COPILOT_INTEGRATIONS,
            Some("support_ticket") => &TICKET_INTEGRATIONS,
            _ => &OPENAI_INTEGRATIONS,
        };
        let integration = INTEGRATIONS.get(rng.pick(integration_choices)).unwrap_or(&INTEGRATIONS[0]);
        // The project stays known when the integration is missing (e.g. a deleted one).
        let has_integration = !rng.chance(12);
        let user_message_count = match rng.pick(&MESSAGE_COUNTS) {
            0 => {
                // The product of two uniform draws has a density falling towards 1, so the
                // tail thins out smoothly up to 40.
                let product = rng.unit() * rng.unit();
                13 + (28.0 * product) as i64
            }
            count => count,
        };
        let properties = (!rng.chance(30)).then(|| {
            make_properties(&mut rng, conversation_type, support, has_integration.then_some(integration))
        });
        let user_properties =
            (!rng.chance(5)).then(|| make_user_properties(&mut rng, support, integration.organization_id));
        Conversation {
            id: format!("conv_{id_value:016x}"),
            user_message_count,
            organization_id: integration.organization_id.to_owned(),
            project_id: integration.project_id.to_owned(),
            integration_id: has_integration.then(|| integration.id.to_owned()),
            first_message_time: millis_to_datetime(epoch_millis),
            conversation_type,
            properties,
            user_properties,
        }
    }
}

impl Conversations {
    /// A time-ordered id like ULID or UUIDv7: the first 44 bits are the epoch milliseconds,
    /// the last 20 random. Rows come in time order, so ids increase and the primary-key index
    /// is appended to rather than updated all over (four times faster to load); a clash
    /// within one millisecond takes the previous value plus one, so every id is unique.
    fn next_id_value(&mut self, epoch_millis: i64, random: u64) -> u64 {
        let candidate = (u64::try_from(epoch_millis).unwrap_or(0) << 20) | (random >> 44);
        let value = match self.previous_id_value {
            Some(previous) if candidate <= previous => previous.wrapping_add(1),
            _ => candidate,
        };
        self.previous_id_value = Some(value);
        value
    }
}

fn make_properties(
    rng: &mut Rng,
    conversation_type: Option<&str>,
    support: bool,
    integration: Option<&Integration>,
) -> Value {
    let mut properties = Map::with_capacity(7);
    if let Some(integration) = integration {
        properties.insert("source".into(), Value::from(integration.source));
    }
    properties.insert("language".into(), Value::from(rng.pick(&LANGUAGES)));
    properties.insert("tags".into(), make_tags(rng));
    let (resolved_present, resolved_true) = if support { (950, 700) } else { (300, 600) };
    if rng.chance(resolved_present) {
        properties.insert("resolved".into(), Value::from(rng.chance(resolved_true)));
    }
    if rng.chance(if support { 300 } else { 80 }) {
        properties.insert("csat".into(), Value::from(rng.pick(&CSAT_SCORES)));
    }
    if integration.is_some_and(|integration| integration.source == "widget") && rng.chance(600) {
        let (name, lowest_version, version_count) = rng.pick(&BROWSERS);
        let version = lowest_version + rng.below(version_count) as i64;
        let mut browser = Map::with_capacity(2);
        browser.insert("name".into(), Value::from(name));
        browser.insert("version".into(), Value::from(version));
        properties.insert("browser".into(), Value::Object(browser));
    }
    let articles_per_mille = match conversation_type {
        Some("support_ticket") => 0,
        Some("support_copilot") => 100,
        _ => 150,
    };
    if rng.chance(articles_per_mille) {
        properties.insert("articles".into(), make_articles(rng));
    }
    Value::Object(properties)
}

/// 0–3 distinct tags, written in the order of [`TAGS`].
fn make_tags(rng: &mut Rng) -> Value {
    let count = rng.pick(&TAG_COUNTS);
    let mut chosen = [false; TAGS.len()];
    for _ in 0..count {
        // A weighted draw among the tags not chosen yet.
        let remaining_weight: u64 =
            TAGS.iter().zip(chosen).filter(|&(_, on)| !on).map(|(&(_, weight), _)| u64::from(weight)).sum();
        let mut target = rng.below(remaining_weight);
        for (slot, &(_, weight)) in chosen.iter_mut().zip(TAGS.iter()) {
            if *slot {
                continue;
            }
            let weight = u64::from(weight);
            if target < weight {
                *slot = true;
                break;
            }
            target -= weight;
        }
    }
    let tags = TAGS.iter().zip(chosen).filter(|&(_, on)| on).map(|(&(tag, _), _)| Value::from(tag));
    Value::Array(tags.collect())
}

/// 1–3 distinct articles with relevance scores in 0.55–0.98, best first.
fn make_articles(rng: &mut Rng) -> Value {
    let count = 1 + rng.below(3) as usize;
    let mut picked: Vec<(u64, &str)> = Vec::with_capacity(count);
    while picked.len() < count {
        let title =
            ARTICLE_TITLES.get(rng.below(ARTICLE_TITLES.len() as u64) as usize).copied().unwrap_or("");
        if !picked.iter().any(|&(_, existing)| existing == title) {
            picked.push((55 + rng.below(44), title));
        }
    }
    picked.sort_by_key(|&(score, _)| std::cmp::Reverse(score));
    let articles = picked.into_iter().map(|(score, title)| {
        let mut article = Map::with_capacity(2);
        article.insert("title".into(), Value::from(title));
        // A whole number of hundredths, so the JSON shows e.g. 0.82.
        article.insert("score".into(), Value::from(score as f64 / 100.0));
        Value::Object(article)
    });
    Value::Array(articles.collect())
}

fn make_user_properties(rng: &mut Rng, support: bool, organization_id: &str) -> Value {
    let mut user = Map::with_capacity(6);
    let identification_type = rng.pick(&IDENTIFICATION_TYPES);
    match identification_type {
        "ID_PROVIDED" => {
            // Squaring a uniform draw favours low user numbers: a few users come back often.
            let u = rng.unit();
            let user_number = (USERS_PER_ORGANIZATION as f64 * u * u) as u64;
            let organization_number = u64::from(organization_id == "org_lumenlabs");
            let user_key = mix64(USER_SALT ^ (organization_number << 32) ^ user_number);
            let user_id = format!("usr_{:012x}", user_key >> 16);
            user.insert("id".into(), Value::from(user_id.clone()));
            user.insert("identificationType".into(), Value::from(identification_type));
            user.insert("userId".into(), Value::from(user_id));
            // A known user keeps the same type in every conversation.
            let mut user_rng = Rng::from_seed(user_key);
            user.insert("userType".into(), Value::from(user_rng.pick(&USER_TYPES)));
        }
        _ => {
            let prefix = if identification_type == "COOKIED" { "ck" } else { "anon" };
            user.insert("id".into(), Value::from(format!("{prefix}_{:012x}", rng.next_u64() >> 16)));
            user.insert("identificationType".into(), Value::from(identification_type));
            user.insert("userType".into(), Value::from(rng.pick(&USER_TYPES)));
        }
    }
    if support && rng.chance(920) {
        let agents: &[(usize, u32)] =
            if organization_id == "org_lumenlabs" { &LUMENLABS_AGENTS } else { &NORTHWIND_AGENTS };
        if let Some(agent) = SUPPORT_AGENTS.get(rng.pick(agents)) {
            user.insert("supportAgentName".into(), Value::from(agent.name));
            user.insert("supportAgentEmail".into(), Value::from(agent.email));
        }
    }
    Value::Object(user)
}
