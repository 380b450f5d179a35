//! The JSON operators and the number aggregations on events, feedback and semantic threads,
//! recomputed from the generator as `views.rs` does. The keys and values asked for are taken
//! from the data itself, so the checks follow the dataset instead of naming its contents.

use std::collections::{BTreeMap, BTreeSet};

use super::views::{ViewData, count, events, feedback, query_view, threads, total};
use super::*;

/// PostgreSQL's `a @> b` on JSON: every key of an object `b` is in `a` with a contained
/// value, every element of an array `b` is contained in some element of `a`, and scalars
/// are equal.
fn json_contains(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            b.iter().all(|(key, value)| a.get(key).is_some_and(|inner| json_contains(inner, value)))
        }
        (Value::Array(a), Value::Array(b)) => {
            b.iter().all(|wanted| a.iter().any(|have| json_contains(have, wanted)))
        }
        (a, b) => a == b,
    }
}

/// The top-level keys of `field` over a view's rows, most common first, with their counts.
fn keys_by_frequency(view: &ViewData, field: &str) -> Vec<(String, usize)> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for row in &view.rows {
        if let Some(object) = row[field].as_object() {
            for key in object.keys() {
                *counts.entry(key.clone()).or_default() += 1;
            }
        }
    }
    let mut keys: Vec<(String, usize)> = counts.into_iter().collect();
    keys.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    keys
}

fn has(row: &Map<String, Value>, field: &str, key: &str) -> bool {
    row[field].as_object().is_some_and(|object| object.contains_key(key))
}

/// Every JSON operator on `properties` and `userProperties` of every new view.
#[test]
fn json_operators_on_each_view() {
    let mut checked = 0;
    for view in [events(), feedback(), threads()] {
        for field in ["properties", "userProperties"] {
            let keys = keys_by_frequency(view, field);
            assert!(keys.len() >= 2, "{} {field} has keys to test with: {keys:?}", view.path);
            let (common, rare) = (keys[0].0.as_str(), keys[keys.len() - 1].0.as_str());
            let case = |operator: &str, value: Value, expected: u64| {
                let filter = condition(field, operator, Some(value.clone()));
                assert_eq!(total(view, filter), expected, "{} {field} {operator} {value}", view.path);
                assert!(expected > 0, "{} {field} {operator} {value} selects some rows", view.path);
            };
            case("jsonHasKey", json!(rare), count(view, |row| has(row, field, rare)));
            case(
                "jsonHasAnyKey",
                json!([common, rare]),
                count(view, |row| has(row, field, common) || has(row, field, rare)),
            );
            case(
                "jsonHasAllKeys",
                json!([common, rare]),
                count(view, |row| has(row, field, common) && has(row, field, rare)),
            );
            // The value of the common key in the first row that has it, as an object to contain.
            let sample = view.rows.iter().find_map(|row| row[field].get(common).cloned()).unwrap();
            let wanted = json!({ common: sample });
            case("jsonContains", wanted.clone(), count(view, |row| json_contains(&row[field], &wanted)));
            // Contained by: one whole document, widened by an unrelated key, holds itself and
            // every document that is a part of it.
            let mut whole = view.rows.iter().find_map(|row| row[field].as_object().cloned()).unwrap();
            whole.insert("zzUnrelated".into(), json!("x"));
            let whole = Value::Object(whole);
            case(
                "jsonContainedBy",
                whole.clone(),
                count(view, |row| row[field].is_object() && json_contains(&whole, &row[field])),
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 6);
    // A JSON path with a value on the new views: a `{path, value}` pair on `properties`.
    for view in [feedback(), threads()] {
        let (key, _) = keys_by_frequency(view, "properties")[0].clone();
        let value = view.rows.iter().find_map(|row| row["properties"].get(&key).cloned()).unwrap();
        assert_eq!(
            total(view, condition("properties", "eq", Some(pair(&[&key], value.clone())))),
            count(view, |row| row["properties"].get(&key) == Some(&value)),
            "{} properties.{key} = {value}",
            view.path
        );
    }
}

/// `sum`, `avg`, `min`, `max` and `countDistinct` per group, on the number fields of threads
/// and on a text field of events, against the same sums over the generated rows.
#[test]
fn number_aggregations_per_group() {
    for field in ["questionLength", "messagesCount"] {
        let page = query_view(
            threads(),
            json!({
                "select": [
                    {"type": "aggregation", "aggregation": "sum", "field": field},
                    {"type": "aggregation", "aggregation": "avg", "field": field},
                    {"type": "aggregation", "aggregation": "min", "field": field},
                    {"type": "aggregation", "aggregation": "max", "field": field},
                    {"type": "aggregation", "aggregation": "count"}
                ],
                "groupBy": [{"field": "category"}]
            }),
        );
        let mut expected: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        for row in &threads().rows {
            let category = row["category"].as_str().unwrap().to_string();
            expected.entry(category).or_default().push(row[field].as_i64().unwrap());
        }
        assert_eq!(page.rows.len(), expected.len(), "one row per category");
        for row in &page.rows {
            let values = &expected[row["category"].as_str().unwrap()];
            let sum: i64 = values.iter().sum();
            assert_eq!(row[&format!("sum_{field}")].as_f64().unwrap(), sum as f64, "{field} sum {row:?}");
            let avg = row[&format!("avg_{field}")].as_f64().unwrap();
            assert!((avg - sum as f64 / values.len() as f64).abs() < 1e-9, "{field} avg {row:?}");
            assert_eq!(row[&format!("min_{field}")].as_f64(), values.iter().min().map(|v| *v as f64));
            assert_eq!(row[&format!("max_{field}")].as_f64(), values.iter().max().map(|v| *v as f64));
            assert_eq!(row["count"].as_u64(), Some(values.len() as u64));
        }
    }
    // Distinct conversations per event type.
    let page = query_view(
        events(),
        json!({
            "select": [{"type": "aggregation", "aggregation": "countDistinct", "field": "conversationId"}],
            "groupBy": [{"field": "eventType"}]
        }),
    );
    let mut expected: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for row in &events().rows {
        expected
            .entry(row["eventType"].as_str().unwrap().to_string())
            .or_default()
            .insert(row["conversationId"].as_str().unwrap().to_string());
    }
    let actual: BTreeMap<String, u64> = page
        .rows
        .iter()
        .map(|row| {
            (
                row["eventType"].as_str().unwrap().to_string(),
                row["countDistinct_conversationId"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected: BTreeMap<String, u64> = expected.into_iter().map(|(k, v)| (k, v.len() as u64)).collect();
    assert_eq!(actual, expected);
}
