//! The shape of the compiled statements: every one prepares and binds exactly its parameters,
//! hostile input stays in the bound values, and errors say where in the body they are.

use rusqlite::types::Value as SqlValue;
use serde_json::{Value, json};

use super::{fixture_conn, run};
use crate::api::query::{Field, Filter, FilterValue, Operator, QueryBody, Scalar};
use crate::api::view::View;
use crate::demo::fixture::{body, cond, ids, ids_where, rows, store};
use crate::demo::sql::{
    MAX_FILTER_CONDITIONS, MAX_FILTER_DEPTH, compile_count, compile_filter, compile_query, json_path,
};

#[test]
fn json_paths_escape_keys() {
    let keys = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(json_path(&[]), "$");
    assert_eq!(json_path(&keys(&["a", "b"])), r#"$."a"."b""#);
    assert_eq!(json_path(&keys(&["a\"b", "c\\d", "x.y", ""])), r#"$."a\"b"."c\\d"."x.y"."""#);
    assert_eq!(json_path(&keys(&["n\nl\u{1}", "ключ"])), "$.\"n\\u000al\\u0001\".\"ключ\"");
    // Digits index arrays, as PostgreSQL's `#>` does; a leading zero or a sign is a key.
    assert_eq!(json_path(&keys(&["0", "label"])), r#"$[0]."label""#);
    assert_eq!(json_path(&keys(&["tags", "12"])), r#"$."tags"[12]"#);
    assert_eq!(json_path(&keys(&["01", "-1", "1.5"])), r#"$."01"."-1"."1.5""#);
}

#[test]
fn hostile_input_never_reaches_the_sql_text() {
    let hostile = "x'); DROP TABLE conversations; -- \"]) ключ ;";
    let template = |key: &str, value: &str| {
        json!({
            "select": [{"type": "field", "field": "properties", "path": [key]},
                       {"type": "aggregation", "aggregation": "sum", "field": "properties", "path": [key, key]},
                       {"type": "field", "field": "userProperties"}],
            "groupBy": [{"field": "properties", "path": [key], "includeInSelect": false}],
            "where": {"or": [
                {"condition": {"field": "type", "operator": "in", "value": [value, value]}},
                {"condition": {"field": "properties", "operator": "eq", "value": {"path": [key], "value": value}}},
                {"condition": {"field": "properties", "operator": "jsonContains", "value": {key: value}}},
                {"condition": {"field": "properties", "operator": "jsonHasAnyKey", "value": [key]}},
                {"condition": {"field": "firstMessageTime", "operator": "gt", "value": "2024-01-01"}}
            ]},
            "orderBy": [{"field": format!("properties.{key}"), "direction": "desc"},
                        {"field": format!("userProperties.{key}"), "direction": "asc"}]
        })
    };
    let benign = compile_query(View::Conversations, &body(template("k", "v"))).unwrap();
    let evil = compile_query(View::Conversations, &body(template(hostile, hostile))).unwrap();
    // Same shape: only the bound values differ.
    assert_eq!(benign.sql, evil.sql);
    assert_eq!(benign.params.len(), evil.params.len());
    for needle in ["DROP", "ключ", "--", "x'"] {
        assert!(!evil.sql.contains(needle), "{needle} in {}", evil.sql);
    }
    assert!(evil.params.iter().any(|p| matches!(p, SqlValue::Text(t) if t.contains("DROP TABLE"))));
    let count_benign = compile_count(View::Conversations, &body(template("k", "v"))).unwrap();
    let count_evil = compile_count(View::Conversations, &body(template(hostile, hostile))).unwrap();
    assert_eq!(count_benign.sql, count_evil.sql);
    let conn = fixture_conn();
    run(&conn, &evil);
    run(&conn, &count_evil);
    let rows: i64 = conn.query_row("SELECT count(*) FROM conversations", [], |r| r.get(0)).unwrap();
    assert_eq!(rows, 12);
}

/// Every field × operator × value form: each either compiles into SQL that prepares,
/// binds exactly its parameters and runs (page and count, plain and grouped), or is a
/// [`CompileError`] pointing into `where`.
#[test]
fn every_condition_compiles_to_runnable_sql_or_a_located_error() {
    let values = [
        None,
        Some(json!("openai")),
        Some(json!(3)),
        Some(json!(2.5)),
        Some(json!(true)),
        Some(json!("2024-02-29")),
        Some(json!(["a", 1, false])),
        Some(json!([])),
        Some(json!({"source": "widget"})),
        Some(json!({"path": ["csat"], "value": 3})),
        Some(json!({"path": ["browser", "name"], "value": "Firefox"})),
        Some(json!({"path": ["tags"], "value": ["billing", 2, true]})),
        Some(json!({"path": ["tags"], "value": []})),
        Some(json!({"path": ["source"], "value": null})),
        Some(json!({"path": [], "value": "x"})),
    ];
    let conn = fixture_conn();
    let shapes = [
        json!({}),
        json!({"select": [{"type": "time", "timeUnit": "week"}, {"type": "aggregation", "aggregation": "count"}],
               "groupBy": [{"field": "properties", "path": ["source"]}]}),
    ];
    let (mut compiled_count, mut error_count) = (0, 0);
    for field in crate::api::view::View::Conversations.fields() {
        for operator in Operator::ALL {
            for value in &values {
                let mut condition = json!({"field": field, "operator": operator});
                if let Some(value) = value {
                    condition["value"] = value.clone();
                }
                for shape in &shapes {
                    let mut query = shape.clone();
                    query["where"] = json!({"and": [{"condition": condition.clone()}]});
                    let q = body(query);
                    match (compile_query(View::Conversations, &q), compile_count(View::Conversations, &q)) {
                        (Ok(page), Ok(count)) => {
                            compiled_count += 1;
                            run(&conn, &page);
                            assert_eq!(run(&conn, &count), 1);
                        }
                        (Err(a), Err(b)) => {
                            error_count += 1;
                            assert_eq!(a, b);
                            assert!(a.location.starts_with("where.and[0].condition"), "{a}");
                        }
                        (a, b) => panic!("page and count disagree for {condition}: {a:?} / {b:?}"),
                    }
                }
            }
        }
    }
    assert!(compiled_count > 300 && error_count > 100, "{compiled_count} / {error_count}");
}

#[test]
fn selection_and_order_errors_say_where() {
    let err = |query: Value| compile_query(View::Conversations, &body(query)).unwrap_err();
    let e = err(
        json!({"select": [{"type": "field", "field": "id"}, {"type": "field", "field": "type", "path": ["x"]}]}),
    );
    assert_eq!(e.location, "select[1]");
    let e = err(json!({"select": [{"type": "aggregation", "aggregation": "sum", "field": "id"}]}));
    assert_eq!(e.location, "select[0]");
    assert!(e.message.contains("not numeric"), "{e}");
    let e = err(json!({"select": [{"type": "aggregation", "aggregation": "avg"}]}));
    assert_eq!(e.location, "select[0]");
    let e = err(json!({"select": [{"type": "aggregation", "aggregation": "max", "field": "properties"}]}));
    assert_eq!(e.location, "select[0]");
    let e = err(json!({"select": [{"type": "time", "timeUnit": "day", "field": "type"}]}));
    assert_eq!(e.location, "select[0]");
    let e = err(json!({"select": [{"type": "field", "field": "properties", "path": ["a"], "mode": "json"}]}));
    assert_eq!(e.location, "select[0].mode");
    let e = err(json!({"groupBy": [{"field": "id"}, {"field": "type", "path": ["a"]}]}));
    assert_eq!(e.location, "groupBy[1]");
    let e = err(json!({"select": [{"type": "field", "field": "properties", "mode": "json"}],
                       "orderBy": [{"field": "properties.a", "direction": "asc"}]}));
    assert_eq!(e.location, "orderBy[0].field");
    let e = err(json!({"select": [{"type": "field", "field": "properties"}],
                       "orderBy": [{"field": "properties", "direction": "asc"}]}));
    assert_eq!(e.location, "orderBy[0].field");
    assert!(e.message.contains("properties.<key>"), "{e}");
    // Unknown order columns are errors; known ones compile.
    assert!(
        compile_query(
            View::Conversations,
            &body(json!({"orderBy": [{"field": "properties", "direction": "asc"}]}))
        )
        .is_ok()
    );
}

#[test]
fn oversized_filters_are_errors_not_sqlite_failures() {
    let mut deep = json!({"condition": {"field": "id", "operator": "eq", "value": "x"}});
    for _ in 0..MAX_FILTER_DEPTH {
        deep = json!({"and": [deep]});
    }
    let e = compile_filter(View::Conversations, &serde_json::from_value(deep).unwrap(), &mut Vec::new())
        .unwrap_err();
    assert!(e.message.contains("deeper"), "{e}");
    // A programmatic tree far deeper than JSON parsing allows: no stack overflow.
    let mut filter = Filter::condition(Field::Id, Operator::IsNull, None);
    for _ in 0..100_000 {
        filter = Filter::Or(vec![filter]);
    }
    assert!(compile_filter(View::Conversations, &filter, &mut Vec::new()).is_err());
    std::mem::forget(filter); // dropping it would recurse 100 000 levels deep
    let wide = Filter::Or(
        (0..=MAX_FILTER_CONDITIONS).map(|_| Filter::condition(Field::Id, Operator::IsNull, None)).collect(),
    );
    assert!(
        compile_filter(View::Conversations, &wide, &mut Vec::new())
            .unwrap_err()
            .message
            .contains("conditions")
    );
    // At the limits it compiles and runs.
    let mut ok = json!({"condition": {"field": "id", "operator": "eq", "value": "r01"}});
    for _ in 1..MAX_FILTER_DEPTH {
        ok = json!({"or": [ok, {"condition": {"field": "type", "operator": "eq", "value": "nope"}}]});
    }
    let q = body(json!({"where": ok}));
    assert_eq!(run(&fixture_conn(), &compile_query(View::Conversations, &q).unwrap()), 1);
    let wide = Filter::Or(
        (0..MAX_FILTER_CONDITIONS)
            .map(|i| {
                Filter::condition(
                    Field::UserMessageCount,
                    Operator::Eq,
                    Some(FilterValue::Scalar(Scalar::from(i as i64))),
                )
            })
            .collect(),
    );
    let q = QueryBody { filter: Some(wide), ..QueryBody::default() };
    assert_eq!(run(&fixture_conn(), &compile_query(View::Conversations, &q).unwrap()), 12);
}

#[test]
fn other_views_fields_and_the_text_search_are_located_errors() {
    let cases = [
        (json!({"select": [{"type": "field", "field": "eventType"}]}), "select[0].field", "events"),
        (json!({"groupBy": [{"field": "reasons", "path": ["label"]}]}), "groupBy[0].field", "feedback"),
        (
            json!({"where": {"and": [{"condition": {"field": "isDocumented", "operator": "eq", "value": true}}]}}),
            "where.and[0].condition.field",
            "semantic threads",
        ),
        (json!({"query": "keys"}), "query", "text search"),
    ];
    for (doc, location, word) in cases {
        let q = body(doc.clone());
        for err in [
            compile_query(View::Conversations, &q).unwrap_err(),
            compile_count(View::Conversations, &q).unwrap_err(),
        ] {
            assert_eq!(err.location, location, "{doc}");
            assert!(err.message.contains(word), "{doc}: {}", err.message);
        }
    }
    let filter =
        body(json!({"where": {"condition": {"field": "searchQuery", "operator": "isNull"}}})).filter.unwrap();
    let err = compile_filter(View::Conversations, &filter, &mut Vec::new()).unwrap_err();
    assert_eq!(err.location, "where.condition.field");
    assert!(err.message.contains("not a field of the conversations view"), "{}", err.message);
}

#[test]
fn count_binds_only_what_it_uses() {
    let q = body(json!({
        "select": [{"type": "aggregation", "aggregation": "sum", "field": "properties", "path": ["csat"]}],
        "where": {"condition": {"field": "properties", "operator": "eq", "value": {"path": ["source"], "value": "slack"}}}
    }));
    let count = compile_count(View::Conversations, &q).unwrap();
    assert_eq!(count.sql, "SELECT 1");
    assert!(count.params.is_empty());
    let q = body(json!({"where": {"condition": {"field": "type", "operator": "eq", "value": "openai"}}}));
    let count = compile_count(View::Conversations, &q).unwrap();
    assert_eq!(count.params, vec![SqlValue::Text("openai".into())]);
    assert_eq!(run(&fixture_conn(), &count), 1);
    let (sql, params) = compile_query(View::Conversations, &q).unwrap().with_limit(2);
    assert!(sql.ends_with("LIMIT ?2"), "{sql}");
    assert_eq!(params.last(), Some(&SqlValue::Integer(2)));
}

#[test]
fn hostile_keys_and_values_cannot_change_the_sql() {
    let store = store();
    let hostile_values = [
        "widget'; DROP TABLE conversations; --",
        "\" OR 1=1 --",
        "]); DELETE FROM conversations; --",
        "$.source",
        "ключ ☃ \u{0}",
    ];
    for value in hostile_values {
        assert_eq!(ids_where(&store, cond("type", "eq", json!(value))), ids(&[]));
        assert_eq!(ids_where(&store, cond("type", "neq", json!(value))).len(), 10);
        assert_eq!(
            ids_where(&store, cond("properties", "eq", json!({"path": ["source"], "value": value}))),
            ids(&[])
        );
        assert_eq!(
            ids_where(&store, cond("properties", "eq", json!({"path": [value], "value": 1}))),
            ids(&[])
        );
        assert_eq!(ids_where(&store, cond("properties", "jsonHasKey", json!(value))), ids(&[]));
        assert_eq!(ids_where(&store, cond("properties", "jsonContains", json!({value: value}))), ids(&[]));
    }
    let p = |path: &str, value: Value| {
        ids_where(&store, cond("properties", "eq", json!({"path": [path], "value": value})))
    };
    assert_eq!(p("weird \"key\"", json!("v1")), ids(&["r12"]));
    assert_eq!(p("semi;colon", json!("--")), ids(&["r12"]));
    assert_eq!(p("unicode ключ", json!("значение")), ids(&["r12"]));
    assert_eq!(p("a.b", json!(1)), ids(&["r12"]));
    assert_eq!(p("back\\slash", json!(true)), ids(&["r12"]));
    assert_eq!(ids_where(&store, cond("properties", "jsonHasKey", json!("weird \"key\""))), ids(&["r12"]));
    // The same keys as selections, group keys and order keys.
    let result = rows(
        &store,
        json!({
            "select": [{"type": "field", "field": "properties", "path": ["weird \"key\""]},
                       {"type": "aggregation", "aggregation": "count"}],
            "groupBy": [{"field": "properties", "path": ["semi;colon"]}],
            "orderBy": [{"field": "properties.semi;colon", "direction": "desc"}]
        }),
    );
    assert_eq!(
        result,
        vec![
            json!({"properties.weird \"key\"": null, "count": 11, "properties.semi;colon": null}),
            json!({"properties.weird \"key\"": "v1", "count": 1, "properties.semi;colon": "--"}),
        ]
    );
    let result = rows(
        &store,
        json!({
            "select": [{"type": "field", "field": "id"}, {"type": "field", "field": "properties"}],
            "where": cond("id", "eq", json!("r12")),
            "orderBy": [{"field": "properties.weird \"key\"", "direction": "asc"},
                        {"field": "properties.unicode ключ", "direction": "asc"}]
        }),
    );
    assert_eq!(
        result,
        vec![json!({"id": "r12", "properties.weird \"key\"": "v1", "properties.semi;colon": "--",
                    "properties.unicode ключ": "значение", "properties.a.b": 1,
                    "properties.back\\slash": true})]
    );
    assert_eq!(store.query(View::Conversations, &QueryBody::default(), 100).unwrap().total, 12);
}
