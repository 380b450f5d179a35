//! Which rows filters keep: operators on plain fields, times at millisecond precision,
//! type-aware and null-safe comparisons at JSON paths, the JSONB operators, and nesting.

use rusqlite::types::Value as SqlValue;
use serde_json::{Value, json};

use crate::api::view::View;
use crate::demo::fixture::{all_ids, body, cond, cond_no_value, ids, ids_where, store};
use crate::demo::sql::compile_query;

#[test]
fn time_filters_accept_exactly_what_the_validator_accepts() {
    let with_time = |value: &str| {
        body(json!({
            "select": [{"type": "field", "field": "id"}],
            "where": {"condition": {"field": "firstMessageTime", "operator": "gte", "value": value}}
        }))
    };
    let bound = |value: &str| {
        compile_query(View::Conversations, &with_time(value)).ok().and_then(|compiled| {
            compiled.params.into_iter().find_map(|p| match p {
                SqlValue::Text(text) => Some(text),
                _ => None,
            })
        })
    };
    // Accepted: stored at millisecond precision in UTC.
    assert_eq!(bound("2024-05-01").as_deref(), Some("2024-05-01T00:00:00.000Z"));
    assert_eq!(bound("2024-05-01T12:30:00Z").as_deref(), Some("2024-05-01T12:30:00.000Z"));
    assert_eq!(bound("2024-05-01T12:30:00.25-02:00").as_deref(), Some("2024-05-01T14:30:00.250Z"));
    // The demo is no looser than the validator (and so the real server): a date-time
    // without an offset, which it used to take as UTC, is refused by both.
    for value in [
        "2024-05-01",
        "2024-05-01T12:30:00Z",
        "2024-05-01T12:30:00.25-02:00",
        "2024-05-01T12:30:00",
        "2024-05-01 12:30:00",
        "2024-05-01T12:30",
        " 2024-05-01",
        "2024-02-30",
        "yesterday",
        "",
    ] {
        let query = with_time(value);
        let valid = crate::api::validate::validate(View::Conversations, &query).is_empty();
        assert_eq!(compile_query(View::Conversations, &query).is_ok(), valid, "{value:?}");
    }
    assert!(compile_query(View::Conversations, &with_time("2024-05-01T12:30:00")).is_err());
    assert!(
        !crate::api::validate::validate(View::Conversations, &with_time("2024-05-01T12:30:00")).is_empty()
    );
}

#[test]
fn plain_field_operators() {
    let store = store();
    assert_eq!(
        ids_where(&store, cond("type", "eq", json!("openai"))),
        ids(&["r01", "r03", "r06", "r08", "r12"])
    );
    // neq never matches a null type (r04, r10).
    assert_eq!(
        ids_where(&store, cond("type", "neq", json!("openai"))),
        ids(&["r02", "r05", "r07", "r09", "r11"])
    );
    assert_eq!(
        ids_where(&store, cond("userMessageCount", "gt", json!(5))),
        ids(&["r03", "r08", "r10", "r12"])
    );
    assert_eq!(
        ids_where(&store, cond("userMessageCount", "gte", json!(5))),
        ids(&["r03", "r05", "r08", "r10", "r12"])
    );
    assert_eq!(ids_where(&store, cond("userMessageCount", "lt", json!(2))), ids(&["r02", "r06", "r11"]));
    assert_eq!(
        ids_where(&store, cond("userMessageCount", "lte", json!(2))),
        ids(&["r02", "r04", "r06", "r09", "r11"])
    );
    assert_eq!(ids_where(&store, cond("userMessageCount", "lt", json!(1.5))), ids(&["r02", "r06", "r11"]));
    assert_eq!(
        ids_where(&store, cond("userMessageCount", "in", json!([1, 10]))),
        ids(&["r02", "r06", "r08", "r11"])
    );
    assert_eq!(
        ids_where(&store, cond("type", "in", json!(["openai", "support_ticket"]))),
        ids(&["r01", "r02", "r03", "r06", "r08", "r09", "r12"])
    );
    assert_eq!(
        ids_where(&store, cond("type", "notIn", json!(["openai"]))),
        ids(&["r02", "r05", "r07", "r09", "r11"])
    );
    assert_eq!(
        ids_where(&store, cond("integrationId", "notIn", json!(["int_widget"]))),
        ids(&["r02", "r05", "r06", "r09", "r11", "r12"])
    );
    assert_eq!(ids_where(&store, cond("integrationId", "notIn", json!([]))).len(), 10);
    assert_eq!(ids_where(&store, cond("integrationId", "in", json!([]))), ids(&[]));
    assert_eq!(ids_where(&store, cond_no_value("integrationId", "isNull")), ids(&["r04", "r10"]));
    assert_eq!(ids_where(&store, cond_no_value("integrationId", "isNotNull")).len(), 10);
    assert_eq!(
        ids_where(&store, cond("organizationId", "gt", json!("org_a"))),
        ids(&["r04", "r05", "r07", "r09", "r12"])
    );
    assert_eq!(ids_where(&store, cond("id", "lte", json!("r02"))), ids(&["r01", "r02"]));
    for op in ["arrayContains", "jsonContains", "jsonContainedBy", "jsonHasKey", "jsonArrayContainsObject"] {
        let err = store
            .query(View::Conversations, &body(json!({"where": cond("type", op, json!("x"))})), 10)
            .unwrap_err();
        assert!(err.is_invalid_query(), "{op}");
        assert!(err.to_string().contains("where.condition.operator"), "{err}");
    }
    for op in ["jsonHasAnyKey", "jsonHasAllKeys"] {
        assert!(
            store
                .query(View::Conversations, &body(json!({"where": cond("type", op, json!(["x"]))})), 10)
                .unwrap_err()
                .is_invalid_query()
        );
    }
    let err = store
        .query(View::Conversations, &body(json!({"where": cond("type", "eq", json!(3))})), 10)
        .unwrap_err();
    assert!(err.is_invalid_query());
    let err = store
        .query(
            View::Conversations,
            &body(json!({"where": cond("type", "eq", json!({"path": ["a"], "value": 1}))})),
            10,
        )
        .unwrap_err();
    assert!(err.is_invalid_query());
}

#[test]
fn time_filters_compare_instants_at_millisecond_precision() {
    let store = store();
    let t = |op: &str, value: &str| ids_where(&store, cond("firstMessageTime", op, json!(value)));
    assert_eq!(t("gte", "2024-03-01"), ids(&["r02", "r08", "r09", "r10"]));
    assert_eq!(t("lt", "2024-01-01"), ids(&["r04", "r12"]));
    assert_eq!(t("eq", "2024-02-29T10:15:30.250Z"), ids(&["r01", "r11"]));
    assert_eq!(t("eq", "2024-02-29T11:15:30.250+01:00"), ids(&["r01", "r11"]));
    assert_eq!(t("eq", "2024-02-29T10:15:30Z"), ids(&[]));
    // 12:00:00.500 is after 12:00:00 even though it is the same second.
    assert_eq!(t("gt", "2024-03-04T12:00:00Z"), ids(&["r08", "r09", "r10"]));
    assert_eq!(t("gt", "2024-03-04T12:00:00.500Z"), ids(&["r09", "r10"]));
    assert_eq!(t("gte", "2024-03-04T12:00:00.500Z"), ids(&["r08", "r09", "r10"]));
    // Finer than a millisecond: 23:59:59.999 ≤ 23:59:59.9995 < 00:00:00.
    assert_eq!(
        t("lte", "2024-02-29T23:59:59.9995Z"),
        ids(&["r01", "r03", "r04", "r05", "r06", "r07", "r11", "r12"])
    );
    assert_eq!(t("gt", "2024-02-29T23:59:59.9995Z"), ids(&["r02", "r08", "r09", "r10"]));
    assert_eq!(t("eq", "2024-02-29T23:59:59.9995Z"), ids(&[]));
    assert_eq!(t("neq", "2024-02-29T10:15:30.250Z").len(), 10);
    // Year 0 at +01:00 is in year -1 in UTC: before every storable time.
    assert_eq!(t("gt", "0000-01-01T00:00:00+01:00").len(), 12);
    assert_eq!(t("lt", "0000-01-01T00:00:00+01:00"), ids(&[]));
    assert_eq!(t("lt", "9999-12-30").len(), 12);
    // Extended years are outside the published schema: refused, as the validator does.
    for value in ["+10000-01-01", "-0001-01-01", "2024-03-01T00:00:00"] {
        let err = store.query(
            View::Conversations,
            &body(json!({"where": cond("firstMessageTime", "gt", json!(value))})),
            10,
        );
        assert!(err.is_err_and(|err| err.is_invalid_query()), "{value}");
    }
    assert_eq!(
        ids_where(&store, cond("firstMessageTime", "in", json!(["2024-03-01", "2024-01-08T00:00:00Z"]))),
        ids(&["r02", "r07"])
    );
    assert_eq!(ids_where(&store, cond("firstMessageTime", "notIn", json!(["2024-03-01"]))).len(), 11);
    let err = store
        .query(
            View::Conversations,
            &body(json!({"where": cond("firstMessageTime", "gt", json!("yesterday"))})),
            10,
        )
        .unwrap_err();
    assert!(err.is_invalid_query());
    assert!(err.to_string().contains("where.condition.value"), "{err}");
}

#[test]
fn json_path_comparisons_are_type_aware_and_null_safe() {
    let store = store();
    let pair = |path: &[&str], value: Value| json!({"path": path, "value": value});
    let p =
        |op: &str, path: &[&str], value: Value| ids_where(&store, cond("properties", op, pair(path, value)));
    assert_eq!(p("eq", &["source"], json!("widget")), ids(&["r01", "r03", "r07"]));
    assert_eq!(p("eq", &["csat"], json!(5)), ids(&["r01"]));
    assert_eq!(p("eq", &["csat"], json!(5.0)), ids(&["r01"]));
    assert_eq!(p("eq", &["csat"], json!("5")), ids(&["r06"]));
    assert_eq!(p("eq", &["csat"], json!(true)), ids(&["r07"]));
    assert_eq!(p("eq", &["csat"], json!(1)), ids(&[]));
    assert_eq!(p("eq", &["resolved"], json!(false)), ids(&["r02"]));
    assert_eq!(p("eq", &["browser", "name"], json!("Firefox")), ids(&["r01"]));
    assert_eq!(p("eq", &["source"], Value::Null), ids(&["r04", "r08", "r10", "r12"]));
    assert_eq!(p("neq", &["source"], json!("widget")), ids(&["r02", "r05", "r06", "r09", "r11"]));
    assert_eq!(
        p("neq", &["source"], Value::Null),
        ids(&["r01", "r02", "r03", "r05", "r06", "r07", "r09", "r11"])
    );
    assert_eq!(p("neq", &["csat"], json!(5)), ids(&["r02", "r05", "r06", "r07", "r11"]));
    assert_eq!(p("gt", &["csat"], json!(3)), ids(&["r01", "r05"]));
    assert_eq!(p("gte", &["csat"], json!(3)), ids(&["r01", "r02", "r05"]));
    assert_eq!(p("lt", &["csat"], json!(3)), ids(&["r11"]));
    assert_eq!(p("lte", &["csat"], json!(3)), ids(&["r02", "r11"]));
    assert_eq!(p("gt", &["language"], json!("df")), ids(&["r05", "r11"]));
    assert_eq!(p("in", &["source"], json!(["slack", "api"])), ids(&["r02", "r06", "r11"]));
    assert_eq!(p("in", &["csat"], json!([5, "5"])), ids(&["r01", "r06"]));
    assert_eq!(p("in", &["csat"], json!([true, 2])), ids(&["r07", "r11"]));
    assert_eq!(p("in", &["csat"], json!([])), ids(&[]));
    assert_eq!(p("notIn", &["source"], json!(["widget", "slack"])), ids(&["r05", "r06", "r09"]));
    assert_eq!(p("notIn", &["csat"], json!([5, true])), ids(&["r02", "r05", "r06", "r11"]));
    assert_eq!(p("isNull", &["csat"], Value::Null), ids(&["r03", "r04", "r08", "r09", "r10", "r12"]));
    assert_eq!(p("isNotNull", &["csat"], Value::Null), ids(&["r01", "r02", "r05", "r06", "r07", "r11"]));
    let u = |op: &str, path: &[&str], value: Value| {
        ids_where(&store, cond("userProperties", op, pair(path, value)))
    };
    assert_eq!(u("eq", &["userId"], json!("alice")), ids(&["r02", "r03", "r09"]));
    assert_eq!(u("neq", &["userType"], json!("customer")), ids(&["r03", "r06", "r12"]));
    assert_eq!(ids_where(&store, cond_no_value("properties", "isNull")), ids(&["r04"]));
    assert_eq!(ids_where(&store, cond_no_value("userProperties", "isNull")), ids(&["r05"]));
    assert_eq!(ids_where(&store, cond_no_value("properties", "isNotNull")).len(), 11);
    let err = store
        .query(View::Conversations, &body(json!({"where": cond("properties", "eq", json!("x"))})), 10)
        .unwrap_err();
    assert!(err.is_invalid_query());
}

#[test]
fn jsonb_operators_on_fields_and_paths() {
    let store = store();
    let w = |op: &str, value: Value| ids_where(&store, cond("properties", op, value));
    assert_eq!(w("arrayContains", json!({"path": ["tags"], "value": "billing"})), ids(&["r01", "r05"]));
    assert_eq!(w("arrayContains", json!({"path": ["tags"], "value": "nested"})), ids(&[]));
    assert_eq!(w("arrayContains", json!("billing")), ids(&[]));
    assert_eq!(w("jsonContains", json!({"source": "widget", "resolved": true})), ids(&["r01", "r03", "r07"]));
    assert_eq!(w("jsonContains", json!({"tags": ["billing"]})), ids(&["r01", "r05"]));
    assert_eq!(w("jsonContains", json!({"tags": [["nested"]]})), ids(&["r09"]));
    assert_eq!(w("jsonContains", json!({"browser": {"name": "Firefox"}})), ids(&["r01"]));
    assert_eq!(w("jsonContains", json!({"csat": 5})), ids(&["r01"]));
    assert_eq!(w("jsonContains", json!({"articles": [{"title": "Pricing"}]})), ids(&["r01", "r09"]));
    assert_eq!(w("jsonContains", json!({})).len(), 11);
    assert_eq!(w("jsonContains", json!({"path": ["tags"], "value": "billing"})), ids(&["r01", "r05", "r10"]));
    assert_eq!(w("jsonContains", json!({"path": ["tags"], "value": ["auth", "billing"]})), ids(&["r01"]));
    assert_eq!(w("jsonContains", json!({"path": ["csat"], "value": null})), ids(&["r03"]));
    assert_eq!(
        w("jsonContainedBy", json!({"source": "slack", "csat": 2, "language": "en", "extra": 1})),
        ids(&["r08", "r11"])
    );
    assert_eq!(
        w("jsonContainedBy", json!({"path": ["tags"], "value": ["billing", "auth", "api"]})),
        ids(&["r01", "r02", "r03", "r10"])
    );
    assert_eq!(w("jsonHasKey", json!("language")), ids(&["r05", "r06", "r11"]));
    assert_eq!(w("jsonHasKey", json!("csat")), ids(&["r01", "r02", "r03", "r05", "r06", "r07", "r11"]));
    assert_eq!(w("jsonHasKey", json!({"path": ["tags"], "value": "billing"})), ids(&["r01", "r05", "r10"]));
    assert_eq!(w("jsonHasKey", json!({"path": ["nested"], "value": "a"})), ids(&["r09"]));
    assert_eq!(
        w("jsonHasAnyKey", json!(["language", "articles"])),
        ids(&["r01", "r05", "r06", "r09", "r11"])
    );
    assert_eq!(w("jsonHasAnyKey", json!([])), ids(&[]));
    assert_eq!(
        w("jsonHasAllKeys", json!(["source", "csat"])),
        ids(&["r01", "r02", "r03", "r05", "r06", "r07", "r11"])
    );
    assert_eq!(w("jsonHasAllKeys", json!([])).len(), 11);
    assert_eq!(w("jsonHasAnyKey", json!({"path": ["browser"], "value": ["name", "x"]})), ids(&["r01"]));
    assert_eq!(w("jsonArrayContainsObject", json!({"title": "Pricing"})), ids(&["r01", "r09"]));
    assert_eq!(w("jsonArrayContainsObject", json!({"title": "Pricing", "score": 0.9})), ids(&["r01"]));
    assert_eq!(w("jsonArrayContainsObject", json!({"title": "Nope"})), ids(&[]));
    let u = |op: &str, value: Value| ids_where(&store, cond("userProperties", op, value));
    assert_eq!(u("jsonHasKey", json!("supportAgentName")), ids(&["r02", "r07", "r09"]));
    assert_eq!(
        u("jsonContains", json!({"identificationType": "COOKIED"})),
        ids(&["r01", "r07", "r10", "r12"])
    );
    // A JSON null at a path is not a missing key for `?` (PostgreSQL).
    assert_eq!(u("jsonHasKey", json!("userType")).len(), 9);
    assert!(
        store
            .query(
                View::Conversations,
                &body(json!({"where": cond("properties", "jsonArrayContainsObject", json!("x"))})),
                10
            )
            .unwrap_err()
            .is_invalid_query()
    );
}

#[test]
fn nested_and_or_filters() {
    let store = store();
    let filter = json!({"or": [
        {"and": [cond("type", "eq", json!("openai")), cond("userMessageCount", "gt", json!(5))]},
        {"and": [cond("properties", "jsonHasKey", json!("language")),
                 {"or": [cond("userProperties", "eq", json!({"path": ["userId"], "value": "carol"})),
                         cond_no_value("userProperties", "isNull")]}]}
    ]});
    // openai and > 5: r03, r08, r12; language and (carol or no userProperties): r05, r06, r11.
    assert_eq!(ids_where(&store, filter), ids(&["r03", "r05", "r06", "r08", "r11", "r12"]));
    assert_eq!(ids_where(&store, json!({"and": []})), all_ids());
    assert_eq!(ids_where(&store, json!({"or": []})), ids(&[]));
    // A long flat OR does not hit SQLite's expression depth limit.
    let many: Vec<Value> = (0..1500).map(|i| cond("userMessageCount", "eq", json!(1000 + i))).collect();
    let mut items = many;
    items.push(cond("id", "eq", json!("r07")));
    assert_eq!(ids_where(&store, json!({"or": items})), ids(&["r07"]));
}

/// `properties.source` is compared through its indexed generated column, and still type-aware:
/// a JSON number 5 is not the string "5", though the column holds both as text.
#[test]
fn the_source_key_is_read_from_its_index_and_stays_type_aware() {
    let conn = super::fixture_conn();
    conn.execute_batch(
        r#"INSERT INTO conversations (id, userMessageCount, organizationId, projectId, firstMessageTime,
               firstMessageEpoch, properties)
           VALUES ('n1', 1, 'o', 'p', '2024-01-01T00:00:00.000Z', 1704067200, '{"source":5}'),
                  ('s1', 1, 'o', 'p', '2024-01-01T00:00:00.000Z', 1704067200, '{"source":"5"}');
           CREATE INDEX conversations_properties_source ON conversations (properties_source, firstMessageEpoch);"#,
    )
    .unwrap();
    let matching = |value: Value, operator: &str| {
        let q = body(json!({
            "select": [{"type": "field", "field": "id"}],
            "where": cond("properties", operator, json!({"path": ["source"], "value": value})),
        }));
        let compiled = compile_query(View::Conversations, &q).unwrap();
        assert!(compiled.sql.contains("properties_source"), "{}", compiled.sql);
        let plan: String = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {}", compiled.sql))
            .unwrap()
            .query_map(rusqlite::params_from_iter(compiled.params.iter()), |row| row.get::<_, String>(3))
            .unwrap()
            .map(Result::unwrap)
            .collect::<Vec<_>>()
            .join("; ");
        assert!(plan.contains("conversations_properties_source"), "the index is used: {plan}");
        let mut stmt = conn.prepare(&compiled.sql).unwrap();
        let ids: Vec<String> = stmt
            .query_map(rusqlite::params_from_iter(compiled.params.iter()), |row| row.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        ids
    };
    assert_eq!(matching(json!("5"), "eq"), ["s1"]);
    assert_eq!(matching(json!(["5", "nothing"]), "in"), ["s1"]);
    assert_eq!(matching(json!("slack"), "eq").len(), 2, "the fixture's two slack rows");
}
