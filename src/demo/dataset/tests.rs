//! The generator's promises: determinism, the documented shape and proportions of the data,
//! consistent links between fields, and output pinned for this generator version.

use std::collections::{HashMap, HashSet};

use jiff::civil::{Date, Weekday};
use serde_json::Value;

use super::*;

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
        crate::api::view::View::Conversations.fields().iter().map(|f| f.as_str()).collect::<Vec<_>>()
    );
}

pub(super) fn params(rows: u64) -> DatasetParams {
    DatasetParams { rows, seed: 42, end_date: Date::constant(2025, 6, 30) }
}

pub(super) fn rows(rows: u64) -> Vec<Conversation> {
    generate(&params(rows)).collect()
}

fn str_at<'a>(value: &'a Option<Value>, key: &str) -> Option<&'a str> {
    value.as_ref()?.get(key)?.as_str()
}

#[test]
fn same_params_give_identical_rows_and_other_params_differ() {
    let first = rows(5_000);
    assert_eq!(first, rows(5_000));
    assert_eq!(generate(&params(5_000)).len(), 5_000);

    let other_seed: Vec<Conversation> = generate(&DatasetParams { seed: 43, ..params(5_000) }).collect();
    let same_ids = first.iter().zip(&other_seed).filter(|(a, b)| a.id == b.id).count();
    let same_properties = first.iter().zip(&other_seed).filter(|(a, b)| a.properties == b.properties).count();
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
        let positions: Vec<usize> = keys.iter().map(|k| order.iter().position(|o| o == k).unwrap()).collect();
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
        let tally =
            if c.conversation_type == Some("openai") { &mut resolved_openai } else { &mut resolved_support };
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
    assert_eq!(GENERATOR_VERSION, 4);
    let conversations = rows(2_000);
    let first = &conversations[0];
    assert_eq!(first.first_message_time_string(), "2025-01-02T07:17:10.463Z");
    assert_eq!(first.id, "conv_19425e016bf002af");
    assert_eq!(fingerprint(&conversations), 14_929_367_198_872_148_561);
}
