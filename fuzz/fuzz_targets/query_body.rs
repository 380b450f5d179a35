//! The query body parser and everything that reads a parsed body.
//!
//! Input: arbitrary bytes, read as (lossy) UTF-8 JSON text. Checks:
//! - `parse_query` and `query_from_value` never panic, and agree when both accept;
//! - an accepted body re-serialised (compact, pretty, and as a `Value`) parses back to itself;
//! - `validate`, `validate_for_send`, `result_columns`, the relative-time helpers and the
//!   form draft (`QueryDraft::from_body(..).to_body()`) never panic on it;
//! - a body `validate` accepts round-trips through the draft unchanged (the draft's documented
//!   promise), and a draft that builds a body builds exactly the body it came from;
//! - the whole input read as a relative-time expression: parsing never panics, an accepted
//!   expression resolves without panicking and its canonical text parses back to itself.

#![no_main]

use inkeep_explorer::api::columns::result_columns;
use inkeep_explorer::api::query::{QueryBody, parse_query, query_from_value};
use inkeep_explorer::api::validate::{validate, validate_for_send};
use inkeep_explorer::app::draft::QueryDraft;
use inkeep_explorer::relative_time::{
    RelativeTime, Resolved, has_relative_times, relative_values, resolve_relative_times,
};
use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::Offset;
use libfuzzer_sys::fuzz_target;

/// Fixed clocks, so that a crash reproduces: an ordinary day, and the last instant of a leap
/// day (month and year shifts clamp there).
fn clocks() -> [Timestamp; 2] {
    let utc = |civil: DateTime| Offset::UTC.to_timestamp(civil).unwrap_or_default();
    let ordinary = utc(DateTime::constant(2025, 6, 30, 12, 0, 0, 0));
    let leap_day_end = utc(DateTime::constant(2024, 2, 29, 23, 59, 59, 0));
    [ordinary, leap_day_end]
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    check_relative_time(&text);

    let parsed = parse_query(&text);
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) {
        // The value path must not accept something different from the text path.
        if let (Ok(from_text), Ok(from_value)) = (&parsed, query_from_value(&value)) {
            assert_eq!(from_text, &from_value, "text and value parsers disagree on {text}");
        }
    }
    if let Ok(body) = parsed {
        check_body(&body);
    }
});

fn check_round_trip(body: &QueryBody) {
    let compact = serde_json::to_string(body).unwrap_or_else(|e| panic!("{body:?} does not serialise: {e}"));
    match parse_query(&compact) {
        Ok(again) => assert_eq!(&again, body, "compact round trip changed the body: {compact}"),
        Err(e) => panic!("the serialised body {compact} does not parse back: {e}"),
    }
    let pretty = body.to_pretty_json();
    match parse_query(&pretty) {
        Ok(again) => assert_eq!(&again, body, "pretty round trip changed the body: {pretty}"),
        Err(e) => panic!("the pretty body {pretty} does not parse back: {e}"),
    }
    let value = serde_json::to_value(body).unwrap_or_else(|e| panic!("{body:?} is no JSON value: {e}"));
    match query_from_value(&value) {
        Ok(again) => assert_eq!(&again, body, "value round trip changed the body: {compact}"),
        Err(e) => panic!("the body as a value {compact} does not read back: {e}"),
    }
}

fn check_body(body: &QueryBody) {
    check_round_trip(body);
    let problems = validate(body);
    let _ = validate_for_send(body);
    let _ = result_columns(body);
    let _ = body.is_grouped();

    let relative = has_relative_times(body);
    let _ = relative_values(body);
    for now in clocks() {
        if let Ok(resolved) = resolve_relative_times(body, now) {
            if !relative {
                assert_eq!(&resolved, body, "resolving a body without relative times changed it");
            }
            check_round_trip(&resolved);
            let _ = validate(&resolved);
            let _ = result_columns(&resolved);
        }
    }

    let draft = QueryDraft::from_body(body);
    let _ = draft.best_effort_body();
    let _ = draft.columns_body();
    match draft.to_body() {
        Ok(built) => assert_eq!(&built, body, "the draft of a body built another body"),
        Err(draft_problems) => {
            // A body without relative times that validates must round-trip through the form.
            assert!(
                relative || !problems.is_empty(),
                "a valid body does not round-trip through the form: {draft_problems:?}\nbody: {}",
                serde_json::to_string(body).unwrap_or_default()
            );
        }
    }
}

fn check_relative_time(text: &str) {
    // Expressions are short; the grammar's limits are about amounts, not length.
    if text.len() > 200 {
        return;
    }
    let Ok(expression) = RelativeTime::parse(text) else {
        return;
    };
    let canonical = expression.to_string();
    match RelativeTime::parse(&canonical) {
        Ok(again) => assert_eq!(again, expression, "`{text}` → `{canonical}` parses to something else"),
        Err(e) => panic!("`{text}` → canonical `{canonical}` does not parse: {e}"),
    }
    for now in clocks() {
        if let Ok(Resolved::Range { start, end }) = expression.resolve(now) {
            assert!(start < end, "`{text}` at {now} resolves to the empty or inverted range {start} … {end}");
        }
    }
}
