//! The promises of the threads, feedback and events: determinism, links back to the
//! conversations, consistency between the views, the documented rates, and the tables.

use std::collections::{HashMap, HashSet};

use rusqlite::Connection;
use serde_json::Value;

use super::sqlite_views::{PreparedRow, Table, prepare_rows};
use super::taxonomy::{OFF_TOPIC, SUBJECTS};
use super::tests::params;
use super::*;
use crate::api::view::View;

fn with_activity(rows: u64) -> Vec<(Conversation, Activity)> {
    generate_with_activity(&params(rows)).collect()
}

const EVENT_TYPES: [&str; 7] = [
    "chat_opened",
    "message_sent",
    "answer_copied",
    "source_link_clicked",
    "search_performed",
    "feedback_submitted",
    "chat_closed",
];

#[test]
fn activity_is_deterministic_and_leaves_the_conversations_as_they_were() {
    let first = with_activity(3_000);
    let second = with_activity(3_000);
    assert!(first == second, "two generations differ");
    let conversations: Vec<Conversation> = generate(&params(3_000)).collect();
    assert!(first.iter().map(|(c, _)| c).eq(conversations.iter()));
    // Another seed gives other activity, not just other conversations.
    let other: Vec<Activity> =
        generate_with_activity(&DatasetParams { seed: 43, ..params(3_000) }).map(|(_, a)| a).collect();
    let same_questions =
        first.iter().zip(&other).filter(|((_, a), b)| a.threads[0].question == b.threads[0].question).count();
    assert!(same_questions < 600, "{same_questions} of 3000 first questions equal under another seed");
    // The activity of a row depends on its index and the seed only.
    let p = params(3_000);
    let (conversation, expected) = &first[1_234];
    assert_eq!(&activity(&p, 1_234, conversation), expected);
}

#[test]
fn threads_link_back_to_their_conversation_and_its_messages() {
    let rows = with_activity(5_000);
    let known: HashMap<&str, &str> = SUBJECTS.iter().map(|s| (s.name, s.category)).collect();
    let mut thread_ids = HashSet::new();
    for (c, activity) in &rows {
        assert!(!activity.threads.is_empty(), "{} has no thread", c.id);
        let expected_messages: Vec<String> =
            (1..=2 * c.user_message_count).map(|n| format!("{}-m{n}", c.id)).collect();
        let covered: Vec<String> = activity.threads.iter().flat_map(|t| t.message_ids.clone()).collect();
        assert_eq!(covered, expected_messages, "threads split the conversation's messages in order");
        let language = c.properties.as_ref().and_then(|p| p["language"].as_str()).unwrap_or("en");
        let conversation_millis = c.first_message_time.as_millisecond();
        for (number, t) in activity.threads.iter().enumerate() {
            assert!(thread_ids.insert(t.id.clone()), "duplicate id {}", t.id);
            assert_eq!(t.conversation_ids, std::slice::from_ref(&c.id));
            assert_eq!(t.messages_count, t.message_ids.len() as i64);
            assert!(t.messages_count >= 2 && t.messages_count % 2 == 0);
            assert_eq!(t.is_initial_question_answer, number == 0);
            assert_eq!(
                (&t.organization_id, &t.project_id, &t.integration_id),
                (&c.organization_id, &c.project_id, &c.integration_id)
            );
            assert_eq!((&t.properties, &t.user_properties), (&c.properties, &c.user_properties));
            assert_eq!(t.languages, [language.to_owned()]);
            assert!(t.first_message_millis >= conversation_millis);
            assert!(t.first_message_millis < t.last_message_millis);
            assert!(t.last_message_millis < t.last_updated_millis);
            assert_eq!(t.question_length, t.question.chars().count() as i64);
            assert!(!t.question.contains("{}") && !t.answer.contains("{}"), "{}", t.question);
            assert_eq!(t.gap_summary.is_some(), !t.is_documented, "{}", t.id);
            assert_eq!(known.get(t.subject), Some(&t.category));
            assert_eq!(t.is_on_topic, t.subject != OFF_TOPIC);
            assert!(["positive", "neutral", "negative"].contains(&t.sentiment));
            assert!(
                ["how_to", "troubleshooting", "feature_request", "conceptual", "off_topic"]
                    .contains(&t.question_type)
            );
        }
    }
    // The first question's time is the conversation's.
    assert!(
        rows.iter().all(|(c, a)| a.threads[0].first_message_millis == c.first_message_time.as_millisecond())
    );
}

#[test]
fn feedback_flags_on_threads_match_the_feedback_rows() {
    let rows = with_activity(20_000);
    let mut feedback_ids = HashSet::new();
    for (c, activity) in &rows {
        for t in &activity.threads {
            let on_thread = |kind: &str| {
                activity
                    .feedback
                    .iter()
                    .any(|f| f.feedback_type == kind && t.message_ids.contains(&f.message_id))
            };
            assert_eq!(t.has_negative_feedback, on_thread("negative"), "{}", t.id);
            assert_eq!(t.has_positive_feedback, on_thread("positive"), "{}", t.id);
        }
        for f in &activity.feedback {
            assert!(feedback_ids.insert(f.id.clone()));
            assert_eq!(f.conversation_id, c.id);
            assert_eq!((&f.organization_id, &f.project_id), (&c.organization_id, &c.project_id));
            // Feedback is on an answer (an even message number) of this conversation.
            let number: u64 = f.message_id.strip_prefix(&format!("{}-m", c.id)).unwrap().parse().unwrap();
            assert!(
                number.is_multiple_of(2) && number <= 2 * c.user_message_count as u64,
                "{}",
                f.message_id
            );
            let thread = activity.threads.iter().find(|t| t.message_ids.contains(&f.message_id)).unwrap();
            assert!(f.created_millis > thread.first_message_millis);
            assert!(f.updated_millis >= f.created_millis);
            assert!(thread.last_updated_millis >= f.updated_millis);
            match f.feedback_type {
                "negative" => {
                    let reasons = f.reasons.as_ref().unwrap().as_array().unwrap();
                    assert!(!reasons.is_empty());
                    for reason in reasons {
                        assert!(reason["label"].is_string() && reason["details"].is_string(), "{reason}");
                    }
                }
                "positive" => {
                    if let Some(reasons) = &f.reasons {
                        assert!(reasons.as_array().unwrap().iter().all(|r| r["label"].is_string()));
                    }
                }
                other => panic!("feedback type {other}"),
            }
            if let Some(sources) = &f.sources {
                for source in sources.as_array().unwrap() {
                    assert!(matches!(source["type"].as_str(), Some("positive" | "negative" | "new") | None));
                    assert!(source["type"].is_null() || source["type"].is_string());
                    assert!(source["url"].as_str().unwrap().starts_with("https://docs."));
                }
            }
        }
    }
    let negative_reasons: HashSet<&str> = rows
        .iter()
        .flat_map(|(_, a)| &a.feedback)
        .filter(|f| f.feedback_type == "negative")
        .flat_map(|f| {
            f.reasons.as_ref().unwrap().as_array().unwrap().iter().map(|r| r["label"].as_str().unwrap())
        })
        .collect();
    assert!(negative_reasons.is_superset(&HashSet::from([
        "Incorrect",
        "Outdated docs",
        "Missing information"
    ])));
}

#[test]
fn negative_feedback_is_likelier_when_the_answer_was_not_confident_or_not_documented() {
    let rows = with_activity(20_000);
    // (threads, negative) for good answers and for the others.
    let (mut good, mut weak) = ((0, 0), (0, 0));
    for t in rows.iter().flat_map(|(_, a)| &a.threads) {
        let tally = if t.is_documented && t.is_answer_confident { &mut good } else { &mut weak };
        tally.0 += 1;
        tally.1 += usize::from(t.has_negative_feedback);
    }
    let rate = |(threads, negative): (usize, usize)| negative as f64 / threads as f64;
    assert!(rate(weak) > 4.0 * rate(good), "weak {weak:?} good {good:?}");
    assert!(rate(good) > 0.0);
}

#[test]
fn volumes_follow_the_documented_rates() {
    let rows = with_activity(20_000);
    let n = rows.len() as f64;
    let threads: usize = rows.iter().map(|(_, a)| a.threads.len()).sum();
    let feedback: usize = rows.iter().map(|(_, a)| a.feedback.len()).sum();
    let events: usize = rows.iter().map(|(_, a)| a.events.len()).sum();
    assert!((1.3..1.6).contains(&(threads as f64 / n)), "{threads} threads");
    assert!((5.5..7.0).contains(&(events as f64 / n)), "{events} events");
    let feedback_rate = feedback as f64 / threads as f64;
    assert!((0.03..0.08).contains(&feedback_rate), "{feedback} feedback rows on {threads} threads");
    let negative =
        rows.iter().flat_map(|(_, a)| &a.feedback).filter(|f| f.feedback_type == "negative").count();
    assert!(negative * 4 > feedback && negative * 4 < feedback * 3, "{negative} of {feedback} negative");
    let undocumented = rows.iter().flat_map(|(_, a)| &a.threads).filter(|t| !t.is_documented).count();
    assert!((0.15..0.35).contains(&(undocumented as f64 / threads as f64)), "{undocumented} undocumented");
    let sentiments: HashSet<&str> = rows.iter().flat_map(|(_, a)| &a.threads).map(|t| t.sentiment).collect();
    assert_eq!(sentiments.len(), 3);
}

#[test]
fn events_are_consistent_with_the_conversation_and_its_feedback() {
    let rows = with_activity(10_000);
    let mut event_ids = HashSet::new();
    let mut seen_types = HashSet::new();
    for (c, activity) in &rows {
        let messages: HashSet<String> =
            (1..=2 * c.user_message_count).map(|k| format!("{}-m{k}", c.id)).collect();
        assert!(activity.events.windows(2).all(|w| w[0].created_millis <= w[1].created_millis));
        for e in &activity.events {
            assert!(event_ids.insert(e.id.clone()), "duplicate {}", e.id);
            assert!(EVENT_TYPES.contains(&e.event_type), "{}", e.event_type);
            seen_types.insert(e.event_type);
            assert_eq!(e.conversation_id, c.id);
            assert_eq!(e.integration_id, c.integration_id);
            assert!(e.message_id.as_ref().is_none_or(|m| messages.contains(m)), "{:?}", e.message_id);
            assert_eq!(e.search_query.is_some(), e.event_type == "search_performed");
            assert!(e.search_query.as_ref().is_none_or(|q| !q.is_empty() && !q.contains("{}")));
            for object in [&e.properties, &e.user_properties].into_iter().flatten() {
                let object = object.as_object().unwrap();
                assert!(object.values().all(Value::is_string), "{object:?}");
            }
            assert_eq!(e.properties.is_none(), c.properties.is_none());
            assert_eq!(e.user_properties.is_none(), c.user_properties.is_none());
        }
        let sent = activity.events.iter().filter(|e| e.event_type == "message_sent").count();
        assert_eq!(sent as i64, c.user_message_count);
        // Exactly one feedback_submitted event per feedback row: same message, same time.
        let mut submitted: Vec<(&str, i64)> = activity
            .events
            .iter()
            .filter(|e| e.event_type == "feedback_submitted")
            .map(|e| (e.message_id.as_deref().unwrap(), e.created_millis))
            .collect();
        let mut given: Vec<(&str, i64)> =
            activity.feedback.iter().map(|f| (f.message_id.as_str(), f.created_millis)).collect();
        submitted.sort_unstable();
        given.sort_unstable();
        assert_eq!(submitted, given, "{}", c.id);
    }
    assert_eq!(seen_types.len(), EVENT_TYPES.len());
}

/// FNV-1a over every stored value of every row.
fn fingerprint(rows: &[PreparedRow]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (table, values) in rows {
        let text = format!("{table:?}{values:?}");
        for byte in text.bytes().chain([0xff]) {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

fn prepared(rows: u64) -> Vec<PreparedRow> {
    let mut prepared = Vec::new();
    for (conversation, activity) in generate_with_activity(&params(rows)) {
        prepare_rows(&conversation, &activity, &mut prepared).unwrap();
    }
    prepared
}

#[test]
fn stored_activity_is_pinned_for_this_generator_version() {
    // If this fails, the generated rows changed: bump GENERATOR_VERSION (so kept databases
    // are rebuilt) and pin the new values.
    assert_eq!(GENERATOR_VERSION, 4);
    let rows = with_activity(2_000);
    let thread = &rows[0].1.threads[0];
    assert_eq!(thread.id, "thr_19425e016bf002af_01");
    assert_eq!(thread.question, "Can the assistant answer in private Slack channels?");
    assert_eq!(fingerprint(&prepared(2_000)), 7_377_176_484_465_360_689);
}

#[test]
fn populate_stores_exactly_the_generated_rows_of_every_view() {
    let p = params(2_000);
    let mut conn = Connection::open_in_memory().unwrap();
    populate(&mut conn, &p).unwrap();
    let rows = with_activity(2_000);
    let count = |table: &str| -> usize {
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get::<_, i64>(0)).unwrap() as usize
    };
    let threads: Vec<&SemanticThread> = rows.iter().flat_map(|(_, a)| &a.threads).collect();
    let feedback: Vec<&Feedback> = rows.iter().flat_map(|(_, a)| &a.feedback).collect();
    let events: Vec<&Event> = rows.iter().flat_map(|(_, a)| &a.events).collect();
    assert_eq!(count("semantic_threads"), threads.len());
    assert_eq!(count("feedback"), feedback.len());
    assert_eq!(count("events"), events.len());

    // Every stored value, row by row, against the prepared values of the generator.
    let expected = prepared(2_000);
    for (table, sql) in [
        (Table::SemanticThreads, "SELECT * FROM semantic_threads ORDER BY id"),
        (Table::Feedback, "SELECT * FROM feedback ORDER BY id"),
        (Table::Events, "SELECT * FROM events ORDER BY id"),
    ] {
        let mut want: Vec<&Vec<rusqlite::types::Value>> =
            expected.iter().filter(|(t, _)| *t == table).map(|(_, values)| values).collect();
        want.sort_by(|a, b| format!("{:?}", a[0]).cmp(&format!("{:?}", b[0])));
        let mut stmt = conn.prepare(sql).unwrap();
        let width = stmt.column_count();
        let stored: Vec<Vec<rusqlite::types::Value>> = stmt
            .query_map([], |r| (0..width).map(|i| r.get(i)).collect())
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(stored.len(), want.len());
        for (row, values) in stored.iter().zip(&want) {
            // `properties_source` comes last, after the stored columns.
            assert_eq!(&row[..values.len()], values.as_slice(), "{table:?}");
        }
    }

    // Spot values, read as the API would.
    let first = threads[0];
    let (question, documented, gap, languages, epoch): (String, bool, Option<String>, String, i64) = conn
        .query_row(
            "SELECT question, isDocumented, gapSummary, languages, firstMessageEpoch
             FROM semantic_threads WHERE id = ?1",
            [&first.id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap();
    assert_eq!(
        (question.as_str(), documented, gap),
        (first.question.as_str(), first.is_documented, first.gap_summary.clone())
    );
    assert_eq!(serde_json::from_str::<Vec<String>>(&languages).unwrap(), first.languages);
    assert_eq!(epoch, first.first_message_millis.div_euclid(1000));
    let negative: i64 = conn
        .query_row("SELECT count(*) FROM semantic_threads WHERE hasNegativeFeedback = 1", [], |r| r.get(0))
        .unwrap();
    assert_eq!(negative as usize, threads.iter().filter(|t| t.has_negative_feedback).count());
    let negative_rows: i64 =
        conn.query_row("SELECT count(*) FROM feedback WHERE type = 'negative'", [], |r| r.get(0)).unwrap();
    assert_eq!(negative_rows as usize, feedback.iter().filter(|f| f.feedback_type == "negative").count());

    // SQLite reads the text timestamps as the stored epochs, and the JSON as JSON.
    // Every timestamp field of every view, with the epoch column the SQL compiler reads.
    let timestamps = View::ALL.into_iter().flat_map(|view| {
        view.timestamp_fields().into_iter().map(move |field| (crate::demo::sql::table_name(view), field))
    });
    for (table, field) in timestamps {
        let (text, epoch) = (field.as_str(), crate::demo::sql::epoch_column(field).unwrap());
        let mismatched: i64 = conn
            .query_row(
                &format!("SELECT count(*) FROM {table} WHERE unixepoch({text}) IS NOT {epoch}"),
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(mismatched, 0, "{table}.{text}");
    }
    let non_string_values: i64 = conn
        .query_row(
            "SELECT count(*) FROM events, json_each(events.properties) WHERE json_each.type <> 'text'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(non_string_values, 0);
    for table in ["conversations", "events", "feedback", "semantic_threads"] {
        let mismatched: i64 = conn
            .query_row(
                &format!(
                    "SELECT count(*) FROM {table} WHERE properties_source IS NOT (CASE json_type(properties, '$.source') WHEN 'text' THEN properties ->> '$.source' END)"
                ),
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(mismatched, 0, "{table}");
        if table == "events" {
            // Not indexed: it would cost more than a third of the 100k build (see sqlite_views).
            continue;
        }
        // The generated column's index answers a filter on it.
        let plan: String = conn
            .query_row(
                &format!(
                    "EXPLAIN QUERY PLAN SELECT count(*) FROM {table} WHERE properties_source = 'widget'"
                ),
                [],
                |r| r.get(3),
            )
            .unwrap();
        assert!(plan.contains("properties_source"), "{table}: {plan}");
    }
}

#[test]
fn a_database_without_the_view_tables_is_not_reused() {
    // A file kept from generator version 1 has only `conversations` and `demo_meta`.
    let p = params(300);
    let mut conn = Connection::open_in_memory().unwrap();
    populate(&mut conn, &p).unwrap();
    assert!(matches_params(&conn, &p).unwrap());
    conn.execute_batch("DROP TABLE events").unwrap();
    assert!(!matches_params(&conn, &p).unwrap());
    populate(&mut conn, &p).unwrap();
    conn.execute("UPDATE demo_meta SET value = '1' WHERE key = 'generator_version'", []).unwrap();
    assert!(!matches_params(&conn, &p).unwrap(), "an older generator version");
}
