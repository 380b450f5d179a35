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

use std::fmt::Write as _;
use std::iter::FusedIterator;

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::Offset;
use rusqlite::{Connection, params};
use serde_json::{Map, Value};

/// Version of the generation rules; stored in `demo_meta` so that a kept database made by
/// other rules is never mistaken for the current one.
pub const GENERATOR_VERSION: u32 = 1;

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

/// Creates the `conversations` and `demo_meta` tables (without the secondary indexes, which
/// [`populate`] builds after the bulk insert). Existing tables are left as they are.
pub fn create_schema(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS conversations (
            id TEXT NOT NULL PRIMARY KEY,
            userMessageCount INTEGER NOT NULL,
            organizationId TEXT NOT NULL,
            projectId TEXT NOT NULL,
            integrationId TEXT,
            firstMessageTime TEXT NOT NULL,
            firstMessageEpoch INTEGER NOT NULL,
            type TEXT,
            properties TEXT,
            userProperties TEXT
        );
        CREATE TABLE IF NOT EXISTS demo_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
    )
}

/// Creates the secondary indexes the common queries use (time ranges and buckets, by type).
pub fn create_indexes(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE INDEX IF NOT EXISTS conversations_first_message_epoch
            ON conversations (firstMessageEpoch);
        CREATE INDEX IF NOT EXISTS conversations_first_message_time
            ON conversations (firstMessageTime);
        CREATE INDEX IF NOT EXISTS conversations_type_epoch
            ON conversations (type, firstMessageEpoch);",
    )
}

/// Replaces any dataset in `conn` with the one `params` describe: creates the schema, inserts
/// every conversation in one transaction with a prepared statement, then builds the indexes
/// and writes the `demo_meta` rows, and commits.
///
/// The load runs with the rollback journal and syncing off (restored afterwards), which is
/// what makes it fast and is safe only because the data can always be generated again: if
/// this fails, or the process dies during it, discard the database file rather than reuse it.
pub fn populate(conn: &mut Connection, params: &DatasetParams) -> rusqlite::Result<()> {
    let journal_mode: String = conn.pragma_query_value(None, "journal_mode", |row| row.get(0))?;
    let synchronous: i64 = conn.pragma_query_value(None, "synchronous", |row| row.get(0))?;
    let cache_size: i64 = conn.pragma_query_value(None, "cache_size", |row| row.get(0))?;
    // Larger pages load and scan faster; SQLite ignores this unless the database is empty.
    conn.pragma_update(None, "page_size", 16_384)?;
    conn.pragma_update(None, "journal_mode", "OFF")?;
    conn.pragma_update(None, "synchronous", "OFF")?;
    // The index builds sort in cache-sized runs; a large cache keeps them from spilling to
    // temporary files. Negative means KiB, so up to 128 MiB while loading.
    conn.pragma_update(None, "cache_size", -131_072)?;
    let loaded = load(conn, params);
    let restored = conn
        .pragma_update(None, "journal_mode", &journal_mode)
        .and_then(|()| conn.pragma_update(None, "synchronous", synchronous))
        .and_then(|()| conn.pragma_update(None, "cache_size", cache_size));
    loaded.and(restored)
}

/// True if `conn` already holds a complete dataset made with exactly `params` and the current
/// [`GENERATOR_VERSION`] (so a database kept with `--db FILE` can be reused as it is).
pub fn matches_params(conn: &Connection, params: &DatasetParams) -> rusqlite::Result<bool> {
    let table_count: i64 = conn.query_row(
        "SELECT count(*) FROM sqlite_master
         WHERE type = 'table' AND name IN ('conversations', 'demo_meta')",
        [],
        |row| row.get(0),
    )?;
    if table_count != 2 {
        return Ok(false);
    }
    let mut stmt = conn.prepare("SELECT value FROM demo_meta WHERE key = ?1")?;
    for (key, expected) in meta_rows(params) {
        let mut rows = stmt.query([key])?;
        let stored: Option<String> = match rows.next()? {
            Some(row) => row.get(0)?,
            None => None,
        };
        if stored.as_deref() != Some(expected.as_str()) {
            return Ok(false);
        }
    }
    // The meta rows are committed together with the data, so this is a cheap second check
    // against a file that was modified by hand.
    let row_count: i64 = conn.query_row("SELECT count(*) FROM conversations", [], |row| row.get(0))?;
    Ok(u64::try_from(row_count).ok() == Some(params.rows))
}

/// The `demo_meta` rows describing a dataset.
fn meta_rows(params: &DatasetParams) -> [(&'static str, String); 4] {
    [
        ("rows", params.rows.to_string()),
        ("seed", params.seed.to_string()),
        ("end_date", params.end_date.strftime("%Y-%m-%d").to_string()),
        ("generator_version", GENERATOR_VERSION.to_string()),
    ]
}

const INSERT_SQL: &str = "INSERT INTO conversations (id, userMessageCount, organizationId, projectId,
    integrationId, firstMessageTime, firstMessageEpoch, type, properties, userProperties)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";

fn load(conn: &mut Connection, params: &DatasetParams) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    tx.execute_batch("DROP TABLE IF EXISTS demo_meta; DROP TABLE IF EXISTS conversations;")?;
    create_schema(&tx)?;
    {
        let mut insert = tx.prepare_cached(INSERT_SQL)?;
        // Buffers reused across rows so that the text columns cost no allocation each.
        let mut time_text = String::with_capacity(24);
        let mut properties_text = Vec::with_capacity(512);
        let mut user_properties_text = Vec::with_capacity(256);
        for conversation in generate(params) {
            time_text.clear();
            push_time_text(&mut time_text, conversation.first_message_time);
            let properties = json_text(conversation.properties.as_ref(), &mut properties_text)?;
            let user_properties =
                json_text(conversation.user_properties.as_ref(), &mut user_properties_text)?;
            insert.execute(params![
                conversation.id,
                conversation.user_message_count,
                conversation.organization_id,
                conversation.project_id,
                conversation.integration_id,
                time_text,
                conversation.first_message_epoch(),
                conversation.conversation_type,
                properties,
                user_properties,
            ])?;
        }
    }
    create_indexes(&tx)?;
    {
        let mut insert_meta = tx.prepare("INSERT INTO demo_meta (key, value) VALUES (?1, ?2)")?;
        for (key, value) in meta_rows(params) {
            insert_meta.execute(params![key, value])?;
        }
    }
    tx.commit()
}

/// Serialises `value` into `buffer` (cleared first) and returns it as text.
fn json_text<'a>(value: Option<&Value>, buffer: &'a mut Vec<u8>) -> rusqlite::Result<Option<&'a str>> {
    let Some(value) = value else {
        return Ok(None);
    };
    buffer.clear();
    serde_json::to_writer(&mut *buffer, value)
        .map_err(|error| rusqlite::Error::ToSqlConversionFailure(Box::new(error)))?;
    std::str::from_utf8(buffer)
        .map(Some)
        .map_err(|error| rusqlite::Error::ToSqlConversionFailure(Box::new(error)))
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
const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// The SplitMix64 output function: a bijection on `u64` with good avalanche.
fn mix64(value: u64) -> u64 {
    let mut z = value;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// SplitMix64 (Steele, Lea, Flood), used to seed [`Rng`].
#[derive(Debug, Clone)]
struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN_GAMMA);
        mix64(self.state)
    }
}

/// xoshiro256** (Blackman, Vigna), seeded through SplitMix64 as its authors recommend.
#[derive(Debug, Clone)]
struct Rng {
    state: [u64; 4],
}

impl Rng {
    fn from_seed(seed: u64) -> Self {
        let mut seeder = SplitMix64 { state: seed };
        Self { state: [seeder.next_u64(), seeder.next_u64(), seeder.next_u64(), seeder.next_u64()] }
    }

    fn next_u64(&mut self) -> u64 {
        let [mut s0, mut s1, mut s2, mut s3] = self.state;
        let result = s1.wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let shifted = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= shifted;
        s3 = s3.rotate_left(45);
        self.state = [s0, s1, s2, s3];
        result
    }

    /// Uniform in `0..bound` (Lemire's multiply-high; the bias is far below anything visible).
    fn below(&mut self, bound: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(bound)) >> 64) as u64
    }

    /// Uniform in `[0, 1)` with 53 random bits.
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// True with probability `per_mille / 1000`.
    fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    /// One value of `table`, chosen with probability proportional to its weight.
    fn pick<T: Copy + Default>(&mut self, table: &[(T, u32)]) -> T {
        let total: u64 = table.iter().map(|&(_, weight)| u64::from(weight)).sum();
        let mut target = self.below(total);
        for &(value, weight) in table {
            let weight = u64::from(weight);
            if target < weight {
                return value;
            }
            target -= weight;
        }
        T::default()
    }
}

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

#[cfg(test)]
mod tests {
    #[test]
    fn raw_response_json_is_the_documented_envelope_of_every_row() {
        let params = DatasetParams { rows: 50, seed: 7, end_date: Date::constant(2025, 3, 1) };
        let answer = crate::api::response::parse_query_response(&raw_response_json(&params)).unwrap();
        assert_eq!((answer.total, answer.count, answer.rows.len()), (50, 50, 50));
        let first = generate(&params).next().unwrap();
        let row = &answer.rows[0];
        assert_eq!(row["id"], serde_json::Value::from(first.id.clone()));
        assert_eq!(row["firstMessageTime"], serde_json::Value::from(first.first_message_time_string()));
        assert_eq!(
            row.keys().map(String::as_str).collect::<Vec<_>>(),
            crate::api::query::Field::ALL.map(|f| f.as_str())
        );
    }

    use std::collections::{HashMap, HashSet};

    use jiff::civil::Weekday;

    use super::*;

    fn params(rows: u64) -> DatasetParams {
        DatasetParams { rows, seed: 42, end_date: Date::constant(2025, 6, 30) }
    }

    fn rows(rows: u64) -> Vec<Conversation> {
        generate(&params(rows)).collect()
    }

    fn str_at<'a>(value: &'a Option<Value>, key: &str) -> Option<&'a str> {
        value.as_ref()?.get(key)?.as_str()
    }

    #[test]
    fn splitmix64_matches_the_reference_vector() {
        // Published outputs of SplitMix64 seeded with 1234567.
        let mut seeder = SplitMix64 { state: 1_234_567 };
        let outputs: Vec<u64> = (0..5).map(|_| seeder.next_u64()).collect();
        assert_eq!(
            outputs,
            [
                6_457_827_717_110_365_317,
                3_203_168_211_198_807_973,
                9_817_491_932_198_370_423,
                4_593_380_528_125_082_431,
                16_408_922_859_458_223_821
            ]
        );
    }

    #[test]
    fn xoshiro256starstar_matches_an_independent_implementation() {
        // Computed with a separate Python implementation of xoshiro256** seeded by SplitMix64(42).
        let mut rng = Rng::from_seed(42);
        let outputs: Vec<u64> = (0..5).map(|_| rng.next_u64()).collect();
        assert_eq!(
            outputs,
            [
                1_546_998_764_402_558_742,
                6_990_951_692_964_543_102,
                12_544_586_762_248_559_009,
                17_057_574_109_182_124_193,
                18_295_552_978_065_317_476
            ]
        );
    }

    #[test]
    fn same_params_give_identical_rows_and_other_params_differ() {
        let first = rows(5_000);
        assert_eq!(first, rows(5_000));
        assert_eq!(generate(&params(5_000)).len(), 5_000);

        let other_seed: Vec<Conversation> = generate(&DatasetParams { seed: 43, ..params(5_000) }).collect();
        let same_ids = first.iter().zip(&other_seed).filter(|(a, b)| a.id == b.id).count();
        let same_properties =
            first.iter().zip(&other_seed).filter(|(a, b)| a.properties == b.properties).count();
        assert_eq!(same_ids, 0);
        assert!(same_properties < 500, "{same_properties} rows kept their properties under another seed");

        let later = DatasetParams { end_date: Date::constant(2025, 7, 30), ..params(5_000) };
        let shifted: Vec<Conversation> = generate(&later).collect();
        assert!(shifted.iter().zip(&first).all(|(a, b)| a.first_message_time > b.first_message_time));
    }

    #[test]
    fn ids_are_unique_and_look_like_conversation_ids() {
        let conversations = rows(20_000);
        let ids: HashSet<&str> = conversations.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids.len(), 20_000);
        // Time-ordered, like ULIDs: ids sort the way the rows were generated.
        assert!(conversations.windows(2).all(|w| w[0].id < w[1].id));
        for id in ids {
            let hex = id.strip_prefix("conv_").unwrap();
            assert_eq!(hex.len(), 16, "{id}");
            assert!(hex.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()), "{id}");
        }
    }

    #[test]
    fn times_cover_the_180_days_ending_on_end_date_in_order() {
        let p = params(20_000);
        let conversations = rows(20_000);
        let start: Timestamp = "2025-01-02T00:00:00Z".parse().unwrap();
        let end: Timestamp = "2025-07-01T00:00:00Z".parse().unwrap();
        assert_eq!(p.start_time(), start);
        assert_eq!(p.end_time_exclusive(), end);
        assert!(conversations.iter().all(|c| c.first_message_time >= start && c.first_message_time < end));
        assert!(conversations.windows(2).all(|w| w[0].first_message_time <= w[1].first_message_time));
        let days: HashSet<Date> =
            conversations.iter().map(|c| Offset::UTC.to_datetime(c.first_message_time).date()).collect();
        assert_eq!(days.len(), 180);
        // Millisecond precision is really used.
        let with_millis = conversations.iter().filter(|c| c.first_message_time.subsec_millisecond() != 0);
        assert!(with_millis.count() > 19_000);
    }

    #[test]
    fn time_text_is_rfc3339_with_millis_and_sorts_like_the_instant() {
        let conversations = rows(5_000);
        for c in &conversations {
            let text = c.first_message_time_string();
            assert_eq!(text, format!("{:.3}", c.first_message_time));
            assert_eq!(text.parse::<Timestamp>().unwrap(), c.first_message_time);
            assert_eq!(c.first_message_epoch(), text.parse::<Timestamp>().unwrap().as_second());
        }
        let mut by_text: Vec<&Conversation> = conversations.iter().collect();
        by_text.sort_by_key(|c| c.first_message_time_string());
        let mut by_time: Vec<&Conversation> = conversations.iter().collect();
        by_time.sort_by_key(|c| c.first_message_time);
        assert!(by_text.iter().zip(&by_time).all(|(a, b)| a.first_message_time == b.first_message_time));
    }

    #[test]
    fn types_follow_the_target_proportions() {
        let conversations = rows(20_000);
        let mut counts: HashMap<Option<&str>, usize> = HashMap::new();
        for c in &conversations {
            *counts.entry(c.conversation_type).or_default() += 1;
        }
        let share = |t| counts.get(&t).copied().unwrap_or(0) as f64 / 20_000.0;
        assert!((share(Some("openai")) - 0.55).abs() < 0.02, "{counts:?}");
        assert!((share(Some("support_copilot")) - 0.30).abs() < 0.02, "{counts:?}");
        assert!((share(Some("support_ticket")) - 0.15).abs() < 0.02, "{counts:?}");
        let nulls = counts.get(&None).copied().unwrap_or(0);
        assert!((5..=200).contains(&nulls), "{nulls} NULL types");
        assert_eq!(counts.len(), 4);
    }

    #[test]
    fn properties_are_null_for_about_three_percent() {
        let conversations = rows(20_000);
        let null_properties = conversations.iter().filter(|c| c.properties.is_none()).count();
        assert!((400..=800).contains(&null_properties), "{null_properties} NULL properties");
        let null_users = conversations.iter().filter(|c| c.user_properties.is_none()).count();
        assert!((20..=250).contains(&null_users), "{null_users} NULL userProperties");
        assert!(
            conversations
                .iter()
                .flat_map(|c| [&c.properties, &c.user_properties])
                .flatten()
                .all(Value::is_object)
        );
    }

    #[test]
    fn user_message_count_is_skewed_with_a_tail_to_40() {
        let conversations = rows(20_000);
        let mut counts: Vec<i64> = conversations.iter().map(|c| c.user_message_count).collect();
        assert!(counts.iter().all(|n| (1..=40).contains(n)));
        let small = counts.iter().filter(|&&n| n <= 5).count();
        assert!(small > 16_000, "{small} of 20000 in 1..=5");
        counts.sort_unstable();
        let median = counts[counts.len() / 2];
        let mean = counts.iter().sum::<i64>() as f64 / counts.len() as f64;
        assert!(median <= 3 && mean > median as f64, "median {median}, mean {mean}");
        assert!(*counts.last().unwrap() >= 35);
        assert!(counts.iter().filter(|&&n| n > 20).count() > 100);
    }

    #[test]
    fn organizations_projects_and_integrations_are_consistent() {
        let conversations = rows(20_000);
        let mut project_org: HashMap<&str, HashSet<&str>> = HashMap::new();
        let mut integration_project: HashMap<&str, HashSet<&str>> = HashMap::new();
        let mut integration_source: HashMap<&str, HashSet<Option<&str>>> = HashMap::new();
        let mut null_integrations = 0;
        for c in &conversations {
            project_org.entry(&c.project_id).or_default().insert(&c.organization_id);
            let source = str_at(&c.properties, "source");
            match &c.integration_id {
                Some(integration) => {
                    integration_project.entry(integration).or_default().insert(&c.project_id);
                    if c.properties.is_some() {
                        integration_source.entry(integration).or_default().insert(source);
                    }
                }
                None => {
                    null_integrations += 1;
                    assert_eq!(source, None, "no source without an integration");
                }
            }
        }
        assert_eq!(project_org.len(), 4);
        assert!(project_org.values().all(|orgs| orgs.len() == 1));
        let organizations: HashSet<&str> = project_org.values().flatten().copied().collect();
        assert_eq!(organizations.len(), 2);
        assert_eq!(integration_project.len(), 6);
        assert!(integration_project.values().all(|projects| projects.len() == 1));
        assert!(integration_source.values().all(|sources| sources.len() == 1 && !sources.contains(&None)));
        let sources: HashSet<&str> = integration_source.values().flatten().flatten().copied().collect();
        assert_eq!(sources, HashSet::from(["widget", "slack", "discord", "api", "zendesk"]));
        assert!((50..=500).contains(&null_integrations), "{null_integrations} NULL integrations");
    }

    #[test]
    fn support_agents_appear_only_on_support_conversations_with_one_email_each() {
        let conversations = rows(20_000);
        let mut agent_emails: HashMap<&str, HashSet<&str>> = HashMap::new();
        let mut email_agents: HashMap<&str, HashSet<&str>> = HashMap::new();
        let (mut support_rows, mut support_with_agent) = (0, 0);
        for c in &conversations {
            let name = str_at(&c.user_properties, "supportAgentName");
            let email = str_at(&c.user_properties, "supportAgentEmail");
            assert_eq!(name.is_some(), email.is_some());
            let support = matches!(c.conversation_type, Some("support_ticket" | "support_copilot"));
            if !support {
                assert_eq!(name, None, "agent on a {:?} conversation", c.conversation_type);
            } else if c.user_properties.is_some() {
                support_rows += 1;
                support_with_agent += usize::from(name.is_some());
            }
            if let (Some(name), Some(email)) = (name, email) {
                agent_emails.entry(name).or_default().insert(email);
                email_agents.entry(email).or_default().insert(name);
                let domain = email.split('@').nth(1).unwrap();
                let expected =
                    if c.organization_id == "org_northwind" { "northwind.io" } else { "lumenlabs.dev" };
                assert_eq!(domain, expected, "{email} answering for {}", c.organization_id);
            }
        }
        assert!((10..=14).contains(&agent_emails.len()), "{} agents", agent_emails.len());
        assert!(agent_emails.values().all(|emails| emails.len() == 1));
        assert!(email_agents.values().all(|names| names.len() == 1));
        assert!(support_with_agent * 100 > support_rows * 85, "{support_with_agent} of {support_rows}");
    }

    #[test]
    fn weekdays_and_business_hours_are_busier() {
        let conversations = rows(20_000);
        let mut per_day: HashMap<Date, usize> = HashMap::new();
        let mut per_hour = [0usize; 24];
        for c in &conversations {
            let time = Offset::UTC.to_datetime(c.first_message_time);
            *per_day.entry(time.date()).or_default() += 1;
            if time.weekday().to_monday_zero_offset() < 5 {
                per_hour[time.hour() as usize] += 1;
            }
        }
        let average = |weekend: bool| {
            let days: Vec<usize> = per_day
                .iter()
                .filter(|(day, _)| matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday) == weekend)
                .map(|(_, &n)| n)
                .collect();
            days.iter().sum::<usize>() as f64 / days.len() as f64
        };
        assert!(average(false) > 1.8 * average(true), "weekday {} weekend {}", average(false), average(true));
        let business = per_hour[9..17].iter().sum::<usize>() as f64 / 8.0;
        let night = per_hour[0..6].iter().sum::<usize>() as f64 / 6.0;
        assert!(business > 3.0 * night, "business {business} night {night}");
    }

    #[test]
    fn traffic_grows_over_the_period() {
        let p = params(20_000);
        let conversations = rows(20_000);
        let first_days_end = p.start_time() + jiff::SignedDuration::from_hours(30 * 24);
        let last_days_start = p.end_time_exclusive() - jiff::SignedDuration::from_hours(30 * 24);
        let first = conversations.iter().filter(|c| c.first_message_time < first_days_end).count();
        let last = conversations.iter().filter(|c| c.first_message_time >= last_days_start).count();
        assert!(last as f64 > 1.6 * first as f64, "first 30 days {first}, last 30 days {last}");
    }

    #[test]
    fn properties_have_the_documented_keys_and_values() {
        let conversations = rows(20_000);
        let allowed_tags = ["billing", "auth", "api", "onboarding", "bug", "pricing"];
        let (mut csat_present, mut browsers, mut articles, mut tagged) = (0, 0, 0, 0);
        let mut languages = HashSet::new();
        let mut resolved_support = (0, 0);
        let mut resolved_openai = (0, 0);
        for c in &conversations {
            let Some(properties) = c.properties.as_ref().and_then(Value::as_object) else { continue };
            let keys: Vec<&str> = properties.keys().map(String::as_str).collect();
            let order = ["source", "language", "tags", "resolved", "csat", "browser", "articles"];
            let positions: Vec<usize> =
                keys.iter().map(|k| order.iter().position(|o| o == k).unwrap()).collect();
            assert!(positions.windows(2).all(|w| w[0] < w[1]), "key order {keys:?}");
            languages.insert(properties["language"].as_str().unwrap().to_owned());

            let tags: Vec<&str> =
                properties["tags"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
            assert!(tags.len() <= 3);
            let positions: Vec<usize> =
                tags.iter().map(|t| allowed_tags.iter().position(|a| a == t).unwrap()).collect();
            assert!(positions.windows(2).all(|w| w[0] < w[1]), "tags distinct and in order: {tags:?}");
            tagged += usize::from(!tags.is_empty());

            if let Some(csat) = properties.get("csat") {
                assert!((1..=5).contains(&csat.as_i64().unwrap()));
                csat_present += 1;
            }
            let resolved = properties.get("resolved").map(|r| r.as_bool().unwrap());
            let tally = if c.conversation_type == Some("openai") {
                &mut resolved_openai
            } else {
                &mut resolved_support
            };
            if c.conversation_type.is_some() {
                tally.0 += 1;
                tally.1 += usize::from(resolved.is_some());
            }
            if let Some(browser) = properties.get("browser") {
                assert_eq!(properties["source"], "widget");
                assert!(["Chrome", "Safari", "Firefox", "Edge"].contains(&browser["name"].as_str().unwrap()));
                assert!(browser["version"].as_i64().unwrap() >= 16);
                browsers += 1;
            }
            if let Some(list) = properties.get("articles") {
                let list = list.as_array().unwrap();
                assert!((1..=3).contains(&list.len()));
                for article in list {
                    assert!(!article["title"].as_str().unwrap().is_empty());
                    let score = article["score"].as_f64().unwrap();
                    assert!((0.5..1.0).contains(&score));
                }
                articles += 1;
            }
        }
        let with_properties = conversations.iter().filter(|c| c.properties.is_some()).count();
        assert!(csat_present * 2 < with_properties, "csat is often absent");
        assert!(csat_present > 1_000);
        assert!(browsers > 1_000 && articles > 500, "browsers {browsers}, articles {articles}");
        assert!(tagged * 100 > with_properties * 60);
        assert!(languages.contains("en") && languages.len() >= 6, "{languages:?}");
        let rate = |(rows, present): (usize, usize)| present as f64 / rows as f64;
        assert!(rate(resolved_support) > 0.9 && rate(resolved_openai) < 0.4);
        // Scores print as exact hundredths.
        let text =
            conversations.iter().find_map(|c| c.properties_text().filter(|t| t.contains("score"))).unwrap();
        assert!(text.contains(r#""score":0."#) && !text.contains("000000"), "{text}");
    }

    #[test]
    fn user_properties_identify_repeat_users() {
        let conversations = rows(20_000);
        let mut identified = 0;
        let mut per_user: HashMap<&str, usize> = HashMap::new();
        let mut user_types: HashMap<&str, HashSet<&str>> = HashMap::new();
        let mut identification_types = HashSet::new();
        for c in &conversations {
            let Some(user) = c.user_properties.as_ref() else { continue };
            let identification = user["identificationType"].as_str().unwrap();
            identification_types.insert(identification);
            let user_type = user["userType"].as_str().unwrap();
            assert!(["customer", "internal", "trial"].contains(&user_type));
            assert!(!user["id"].as_str().unwrap().is_empty());
            match user.get("userId").and_then(Value::as_str) {
                Some(user_id) => {
                    assert_eq!(identification, "ID_PROVIDED");
                    assert_eq!(user["id"], user_id);
                    identified += 1;
                    *per_user.entry(user_id).or_default() += 1;
                    user_types.entry(user_id).or_default().insert(user_type);
                }
                None => assert_ne!(identification, "ID_PROVIDED"),
            }
        }
        assert_eq!(identification_types, HashSet::from(["COOKIED", "ID_PROVIDED", "ANONYMOUS"]));
        assert!(identified > 5_000);
        assert!(per_user.len() * 10 < identified * 6, "{} users in {identified} rows", per_user.len());
        assert!(per_user.values().max().unwrap() >= &20);
        assert!(user_types.values().all(|types| types.len() == 1), "a user keeps their userType");
    }

    fn column_strings(conn: &Connection, sql: &str) -> Vec<Option<String>> {
        let mut stmt = conn.prepare(sql).unwrap();
        stmt.query_map([], |row| row.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
    }

    #[test]
    fn populate_stores_the_generated_rows_and_matches_params_round_trips() {
        let p = params(5_000);
        let mut conn = Connection::open_in_memory().unwrap();
        assert!(!matches_params(&conn, &p).unwrap());
        let journal_before: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0)).unwrap();
        populate(&mut conn, &p).unwrap();
        let journal_after: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0)).unwrap();
        assert_eq!(journal_before, journal_after);

        assert!(matches_params(&conn, &p).unwrap());
        assert!(!matches_params(&conn, &DatasetParams { seed: 7, ..p }).unwrap());
        assert!(!matches_params(&conn, &DatasetParams { rows: 4_999, ..p }).unwrap());
        assert!(
            !matches_params(&conn, &DatasetParams { end_date: Date::constant(2025, 7, 1), ..p }).unwrap()
        );

        let expected = rows(5_000);
        let mut stmt = conn
            .prepare(
                "SELECT id, userMessageCount, organizationId, projectId, integrationId, firstMessageTime,
                        firstMessageEpoch, type, properties, userProperties
                 FROM conversations ORDER BY rowid",
            )
            .unwrap();
        let stored: Vec<_> = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, i64>(6)?,
                    r.get::<_, Option<String>>(7)?,
                    r.get::<_, Option<String>>(8)?,
                    r.get::<_, Option<String>>(9)?,
                ))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        drop(stmt);
        assert_eq!(stored.len(), expected.len());
        for (row, c) in stored.iter().zip(&expected) {
            assert_eq!(row.0, c.id);
            assert_eq!(row.1, c.user_message_count);
            assert_eq!((row.2.as_str(), row.3.as_str()), (c.organization_id.as_str(), c.project_id.as_str()));
            assert_eq!(row.4, c.integration_id);
            assert_eq!(row.5, c.first_message_time_string());
            assert_eq!(row.5.parse::<Timestamp>().unwrap().as_second(), row.6);
            assert_eq!(row.7.as_deref(), c.conversation_type);
            assert_eq!(row.8, c.properties_text());
            assert_eq!(row.9, c.user_properties_text());
            let parsed: Option<Value> = row.8.as_deref().map(|t| serde_json::from_str(t).unwrap());
            assert_eq!(parsed, c.properties);
        }

        // SQLite itself reads the text timestamp as the stored epoch, and the JSON as objects.
        let mismatched: i64 = conn
            .query_row(
                "SELECT count(*) FROM conversations
                 WHERE unixepoch(firstMessageTime) IS NOT firstMessageEpoch",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(mismatched, 0);
        let json_objects: i64 = conn
            .query_row("SELECT count(*) FROM conversations WHERE json_type(properties) = 'object'", [], |r| {
                r.get(0)
            })
            .unwrap();
        let non_null: i64 =
            conn.query_row("SELECT count(properties) FROM conversations", [], |r| r.get(0)).unwrap();
        assert_eq!(json_objects, non_null);

        let indexes = column_strings(
            &conn,
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'conversations'
             AND name NOT LIKE 'sqlite_autoindex%' ORDER BY name",
        );
        assert_eq!(indexes.len(), 3, "{indexes:?}");
        let meta = column_strings(&conn, "SELECT key || '=' || value FROM demo_meta ORDER BY key");
        let meta: Vec<String> = meta.into_iter().flatten().collect();
        assert_eq!(meta, ["end_date=2025-06-30", "generator_version=1", "rows=5000", "seed=42"]);

        // Populating again with other params replaces the dataset.
        let smaller = DatasetParams { rows: 300, seed: 9, ..p };
        populate(&mut conn, &smaller).unwrap();
        assert!(matches_params(&conn, &smaller).unwrap());
        assert!(!matches_params(&conn, &p).unwrap());
        let count: i64 = conn.query_row("SELECT count(*) FROM conversations", [], |r| r.get(0)).unwrap();
        assert_eq!(count, 300);
    }

    #[test]
    fn an_incomplete_database_does_not_match() {
        let p = params(200);
        let mut conn = Connection::open_in_memory().unwrap();
        create_schema(&conn).unwrap();
        assert!(!matches_params(&conn, &p).unwrap(), "empty tables");
        populate(&mut conn, &p).unwrap();
        conn.execute("DELETE FROM conversations WHERE rowid = 1", []).unwrap();
        assert!(!matches_params(&conn, &p).unwrap(), "a missing row");
    }

    #[test]
    fn a_file_database_is_reusable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo.sqlite");
        let p = params(1_000);
        {
            let mut conn = Connection::open(&path).unwrap();
            populate(&mut conn, &p).unwrap();
        }
        let conn = Connection::open(&path).unwrap();
        assert!(matches_params(&conn, &p).unwrap());
        let journal: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0)).unwrap();
        assert_eq!(journal, "delete");
    }

    #[test]
    fn zero_rows_make_an_empty_but_complete_dataset() {
        let p = params(0);
        assert_eq!(generate(&p).count(), 0);
        let mut conn = Connection::open_in_memory().unwrap();
        populate(&mut conn, &p).unwrap();
        assert!(matches_params(&conn, &p).unwrap());
    }

    /// FNV-1a over every stored column of every row.
    fn fingerprint(conversations: &[Conversation]) -> u64 {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        let mut feed = |text: &str| {
            for byte in text.bytes().chain([0xff]) {
                hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
            }
        };
        for c in conversations {
            feed(&c.id);
            feed(&c.user_message_count.to_string());
            feed(&c.organization_id);
            feed(&c.project_id);
            feed(c.integration_id.as_deref().unwrap_or("NULL"));
            feed(&c.first_message_time_string());
            feed(&c.first_message_epoch().to_string());
            feed(c.conversation_type.unwrap_or("NULL"));
            feed(&c.properties_text().unwrap_or_else(|| "NULL".into()));
            feed(&c.user_properties_text().unwrap_or_else(|| "NULL".into()));
        }
        hash
    }

    #[test]
    fn output_is_pinned_for_this_generator_version() {
        // If this fails, the generated data changed: bump GENERATOR_VERSION (so kept databases
        // are rebuilt) and pin the new values.
        assert_eq!(GENERATOR_VERSION, 1);
        let conversations = rows(2_000);
        let first = &conversations[0];
        assert_eq!(first.first_message_time_string(), "2025-01-02T07:17:10.463Z");
        assert_eq!(first.id, "conv_19425e016bf002af");
        assert_eq!(fingerprint(&conversations), 14_929_367_198_872_148_561);
    }
}
