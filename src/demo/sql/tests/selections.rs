//! What queries return: selections with paths, aggregations, grouping (nulls as one key),
//! time buckets, and ordering (multi-key, nulls and JSON values placed like PostgreSQL).

use jiff::Timestamp;
use jiff::civil::Time;
use jiff::tz::Offset;
use rusqlite::Connection;
use serde_json::{Value, json};

use crate::api::columns;
use crate::api::query::TimeUnit;
use crate::api::view::View;
use crate::demo::fixture::{body, cond, ids, rows, rows_to_values, store};
use crate::demo::sql::{compile_query, format_bucket, time_bucket_sql};

#[test]
fn time_bucket_formulas_match_jiff_across_boundaries() {
    let conn = Connection::open_in_memory().unwrap();
    let mut epochs: Vec<i64> = Vec::new();
    // Every 7 hours 13 minutes over six years (crossing 2024-02-29 and year ends), plus
    // instants before 1970 and exact bucket edges.
    let start = "2019-12-25T00:00:00Z".parse::<Timestamp>().unwrap().as_second();
    epochs.extend((0..7000).map(|i| start + i * (7 * 3600 + 13 * 60 + 7)));
    epochs.extend([
        -1,
        0,
        1,
        -86_400,
        -86_401,
        -604_800 * 3 + 5,
        345_600,
        345_599,
        951_782_400,
        1_709_164_800,
    ]);
    for unit in TimeUnit::ALL {
        let sql = format!("SELECT {}", time_bucket_sql(unit, "?1"));
        let mut stmt = conn.prepare(&sql).unwrap();
        for &epoch in &epochs {
            let bucket: i64 = stmt.query_row([epoch], |row| row.get(0)).unwrap();
            let t = Timestamp::from_second(epoch).unwrap();
            let civil = Offset::UTC.to_datetime(t);
            let date = civil.date();
            let expected = match unit {
                TimeUnit::Hour => date.at(civil.hour(), 0, 0, 0),
                TimeUnit::Day => date.to_datetime(Time::midnight()),
                TimeUnit::Week => (date
                    - jiff::Span::new().days(i64::from(date.weekday().to_monday_zero_offset())))
                .to_datetime(Time::midnight()),
                TimeUnit::Month => date.first_of_month().to_datetime(Time::midnight()),
            };
            assert_eq!(bucket, Offset::UTC.to_timestamp(expected).unwrap().as_second(), "{unit} of {t}");
        }
    }
    assert_eq!(format_bucket(1_709_164_800), "2024-02-29T00:00:00Z");
    assert_eq!(format_bucket(-1), "1969-12-31T23:59:59Z");
}

#[test]
fn column_names_follow_result_columns() {
    let queries = [
        json!({}),
        json!({"select": [{"type": "time", "timeUnit": "day"}, {"type": "aggregation", "aggregation": "count"}],
               "groupBy": [{"field": "type"}, {"field": "properties", "path": ["source"], "includeInSelect": false},
                           {"field": "properties", "path": ["x"]}]}),
        json!({"select": [{"type": "field", "field": "type"}, {"type": "field", "field": "type"},
                          {"type": "field", "field": "userProperties"},
                          {"type": "field", "field": "properties", "mode": "json"}]}),
    ];
    for query in queries {
        let q = body(query);
        let compiled = compile_query(View::Conversations, &q).unwrap();
        let names: Vec<&str> = compiled.columns.iter().map(|c| c.name.as_str()).collect();
        let expected: Vec<String> =
            columns::result_columns(View::Conversations, &q).into_iter().map(|c| c.name).collect();
        assert_eq!(names, expected);
        for (i, column) in compiled.columns.iter().enumerate() {
            assert_eq!(column.alias, format!("c{i}"));
        }
    }
}

#[test]
fn field_selections_with_paths_keep_json_types() {
    let store = store();
    let result = rows(
        &store,
        json!({
            "select": [{"type": "field", "field": "id"},
                       {"type": "field", "field": "properties", "path": ["csat"]},
                       {"type": "field", "field": "properties", "path": ["browser"]},
                       {"type": "field", "field": "properties", "path": ["browser", "version"]},
                       {"type": "field", "field": "properties", "path": ["tags"]}],
            "where": cond("id", "in", json!(["r01", "r03", "r05", "r06", "r07", "r08", "r10"])),
            "orderBy": [{"field": "id", "direction": "asc"}]
        }),
    );
    let c = "properties.csat";
    let b = "properties.browser";
    let v = "properties.browser.version";
    let t = "properties.tags";
    assert_eq!(
        result,
        vec![
            json!({"id": "r01", c: 5, b: {"name": "Firefox", "version": 120}, v: 120, t: ["billing", "auth"]}),
            json!({"id": "r03", c: null, b: null, v: null, t: []}),
            json!({"id": "r05", c: 4.5, b: null, v: null, t: ["bug", "billing"]}),
            json!({"id": "r06", c: "5", b: null, v: null, t: null}),
            json!({"id": "r07", c: true, b: null, v: null, t: null}),
            json!({"id": "r08", c: null, b: null, v: null, t: null}),
            json!({"id": "r10", c: null, b: null, v: null, t: "billing"}),
        ]
    );
}

#[test]
fn aggregations_without_grouping() {
    let store = store();
    let agg = |aggregation: &str, field: Option<&str>, path: Option<Vec<&str>>| {
        let mut selection = json!({"type": "aggregation", "aggregation": aggregation});
        if let Some(field) = field {
            selection["field"] = json!(field);
        }
        if let Some(path) = path {
            selection["path"] = json!(path);
        }
        let result = rows(&store, json!({"select": [selection]}));
        assert_eq!(result.len(), 1);
        result[0].as_object().unwrap().values().next().unwrap().clone()
    };
    assert_eq!(agg("count", None, None), json!(12));
    assert_eq!(agg("sum", Some("userMessageCount"), None), json!(50));
    assert!(agg("sum", Some("userMessageCount"), None).is_i64());
    assert_eq!(agg("avg", Some("userMessageCount"), None), json!(50.0 / 12.0));
    assert_eq!(agg("min", Some("userMessageCount"), None), json!(1));
    assert_eq!(agg("max", Some("userMessageCount"), None), json!(10));
    assert_eq!(agg("min", Some("firstMessageTime"), None), json!("2021-01-03T08:00:00.000Z"));
    assert_eq!(agg("max", Some("type"), None), json!("support_ticket"));
    assert_eq!(agg("count", Some("integrationId"), None), json!(10));
    assert_eq!(agg("countDistinct", Some("integrationId"), None), json!(5));
    assert_eq!(agg("count", Some("type"), None), json!(10));
    assert_eq!(agg("countDistinct", Some("type"), None), json!(3));
    assert_eq!(agg("count", Some("properties"), None), json!(11));
    assert_eq!(agg("count", Some("userProperties"), Some(vec!["userId"])), json!(6));
    assert_eq!(agg("countDistinct", Some("userProperties"), Some(vec!["userId"])), json!(3));
    // csat: 5, 3, null, 4.5, "5", true, 2 — sum/avg see only the numbers.
    assert_eq!(agg("sum", Some("properties"), Some(vec!["csat"])), json!(14.5));
    assert_eq!(agg("avg", Some("properties"), Some(vec!["csat"])), json!(3.625));
    assert_eq!(agg("count", Some("properties"), Some(vec!["csat"])), json!(6));
    assert_eq!(agg("countDistinct", Some("properties"), Some(vec!["csat"])), json!(6));
    assert_eq!(agg("min", Some("properties"), Some(vec!["csat"])), json!(2));
    assert_eq!(agg("min", Some("userProperties"), Some(vec!["userId"])), json!("alice"));
    assert_eq!(agg("max", Some("userProperties"), Some(vec!["userId"])), json!("carol"));
    assert_eq!(agg("sum", Some("properties"), Some(vec!["browser", "version"])), json!(120));
    assert!(agg("avg", Some("properties"), Some(vec!["browser", "version"])).is_f64());
    assert_eq!(agg("sum", Some("properties"), Some(vec!["nope"])), Value::Null);
    assert_eq!(agg("avg", Some("properties"), Some(vec!["nope"])), Value::Null);
    assert_eq!(agg("count", Some("properties"), Some(vec!["nope"])), json!(0));
}

#[test]
fn group_by_with_and_without_include_in_select() {
    let store = store();
    let count = json!({"type": "aggregation", "aggregation": "count"});
    let result = rows(&store, json!({"select": [count], "groupBy": [{"field": "type"}]}));
    assert_eq!(
        result,
        vec![
            json!({"count": 5, "type": "openai"}),
            json!({"count": 3, "type": "support_copilot"}),
            json!({"count": 2, "type": "support_ticket"}),
            json!({"count": 2, "type": null}),
        ]
    );
    let hidden =
        rows(&store, json!({"select": [count], "groupBy": [{"field": "type", "includeInSelect": false}]}));
    assert_eq!(
        hidden,
        vec![json!({"count": 5}), json!({"count": 3}), json!({"count": 2}), json!({"count": 2})]
    );
    // Only hidden keys: one empty row per group.
    let page = store
        .query(
            View::Conversations,
            &body(json!({"groupBy": [{"field": "organizationId", "includeInSelect": false}]})),
            10,
        )
        .unwrap();
    assert_eq!(page.total, 2);
    assert_eq!(rows_to_values(page.rows), vec![json!({}), json!({})]);
    // Grouping without aggregation: distinct keys.
    let distinct = rows(&store, json!({"groupBy": [{"field": "organizationId"}, {"field": "projectId"}]}));
    assert_eq!(
        distinct,
        vec![
            json!({"organizationId": "org_a", "projectId": "proj_1"}),
            json!({"organizationId": "org_a", "projectId": "proj_2"}),
            json!({"organizationId": "org_b", "projectId": "proj_3"}),
            json!({"organizationId": "org_b", "projectId": "proj_4"}),
        ]
    );
}

#[test]
fn json_path_group_keys_put_both_kinds_of_null_in_one_group() {
    let store = store();
    let result = rows(
        &store,
        json!({
            "select": [{"type": "aggregation", "aggregation": "count"},
                       {"type": "aggregation", "aggregation": "sum", "field": "userMessageCount"}],
            "groupBy": [{"field": "properties", "path": ["source"]}]
        }),
    );
    let s = "properties.source";
    let sum = "sum_userMessageCount";
    assert_eq!(
        result,
        vec![
            json!({"count": 1, sum: 1, s: "api"}),
            json!({"count": 1, sum: 5, s: "discord"}),
            json!({"count": 2, sum: 2, s: "slack"}),
            json!({"count": 3, sum: 14, s: "widget"}),
            json!({"count": 1, sum: 2, s: "zendesk"}),
            // r04 (NULL field), r08 and r12 (no key), r10 (JSON null).
            json!({"count": 4, sum: 26, s: null}),
        ]
    );
    // Mixed JSON types at one path are different keys and sort like JSONB:
    // strings, numbers, booleans, then nulls.
    let result = rows(
        &store,
        json!({
            "select": [{"type": "field", "field": "properties", "path": ["csat"]},
                       {"type": "aggregation", "aggregation": "count"}],
            "groupBy": [{"field": "properties", "path": ["csat"]}]
        }),
    );
    let c = "properties.csat";
    assert_eq!(
        result,
        vec![
            json!({c: "5", "count": 1}),
            json!({c: 2, "count": 1}),
            json!({c: 3, "count": 1}),
            json!({c: 4.5, "count": 1}),
            json!({c: 5, "count": 1}),
            json!({c: true, "count": 1}),
            json!({c: null, "count": 6}),
        ]
    );
}

#[test]
fn time_buckets_at_week_month_and_year_boundaries() {
    let store = store();
    let bucket = |unit: &str| {
        let result = rows(
            &store,
            json!({"select": [{"type": "time", "timeUnit": unit},
                              {"type": "aggregation", "aggregation": "count"}]}),
        );
        let name = format!("firstMessageTime_{unit}");
        result
            .iter()
            .map(|r| (r[&name].as_str().unwrap().to_string(), r["count"].as_i64().unwrap()))
            .collect::<Vec<_>>()
    };
    let owned = |list: &[(&str, i64)]| list.iter().map(|(s, n)| (s.to_string(), *n)).collect::<Vec<_>>();
    assert_eq!(
        bucket("week"),
        owned(&[
            ("2020-12-28T00:00:00Z", 1), // Sunday 2021-01-03 → Monday of the previous year
            ("2023-12-25T00:00:00Z", 1), // Sunday 2023-12-31
            ("2024-01-01T00:00:00Z", 2), // Monday 00:00 and Sunday 23:59:59
            ("2024-01-08T00:00:00Z", 1),
            ("2024-02-26T00:00:00Z", 4), // leap day and 1 March share a week
            ("2024-03-04T00:00:00Z", 3),
        ])
    );
    assert_eq!(
        bucket("month"),
        owned(&[
            ("2021-01-01T00:00:00Z", 1),
            ("2023-12-01T00:00:00Z", 1),
            ("2024-01-01T00:00:00Z", 3),
            ("2024-02-01T00:00:00Z", 3), // 29 February 23:59:59.999 is still February
            ("2024-03-01T00:00:00Z", 4),
        ])
    );
    assert_eq!(
        bucket("day"),
        owned(&[
            ("2021-01-03T00:00:00Z", 1),
            ("2023-12-31T00:00:00Z", 1),
            ("2024-01-01T00:00:00Z", 1),
            ("2024-01-07T00:00:00Z", 1),
            ("2024-01-08T00:00:00Z", 1),
            ("2024-02-29T00:00:00Z", 3),
            ("2024-03-01T00:00:00Z", 1),
            ("2024-03-04T00:00:00Z", 3),
        ])
    );
    let hours = bucket("hour");
    assert_eq!(hours.len(), 10);
    assert!(hours.contains(&("2024-02-29T10:00:00Z".to_string(), 2)));
    assert!(hours.contains(&("2024-02-29T23:00:00Z".to_string(), 1)));
    assert!(hours.contains(&("2024-03-04T12:00:00Z".to_string(), 2)));
    assert!(hours.contains(&("2024-03-04T13:00:00Z".to_string(), 1)));
    assert!(hours.contains(&("2023-12-31T23:00:00Z".to_string(), 1)));
}

#[test]
fn count_by_day_by_type() {
    let store = store();
    let result = rows(
        &store,
        json!({
            "select": [{"type": "time", "timeUnit": "day"}, {"type": "aggregation", "aggregation": "count"}],
            "groupBy": [{"field": "type"}]
        }),
    );
    let d = "firstMessageTime_day";
    assert_eq!(
        result,
        vec![
            json!({d: "2021-01-03T00:00:00Z", "count": 1, "type": "openai"}),
            json!({d: "2023-12-31T00:00:00Z", "count": 1, "type": null}),
            json!({d: "2024-01-01T00:00:00Z", "count": 1, "type": "support_copilot"}),
            json!({d: "2024-01-07T00:00:00Z", "count": 1, "type": "openai"}),
            json!({d: "2024-01-08T00:00:00Z", "count": 1, "type": "support_copilot"}),
            json!({d: "2024-02-29T00:00:00Z", "count": 2, "type": "openai"}),
            json!({d: "2024-02-29T00:00:00Z", "count": 1, "type": "support_copilot"}),
            json!({d: "2024-03-01T00:00:00Z", "count": 1, "type": "support_ticket"}),
            json!({d: "2024-03-04T00:00:00Z", "count": 1, "type": "openai"}),
            json!({d: "2024-03-04T00:00:00Z", "count": 1, "type": "support_ticket"}),
            json!({d: "2024-03-04T00:00:00Z", "count": 1, "type": null}),
        ]
    );
}

#[test]
fn ordering_multi_key_with_nulls_like_postgresql() {
    let store = store();
    let order = |order_by: Value| -> Vec<String> {
        let result = rows(
            &store,
            json!({"select": [{"type": "field", "field": "id"}, {"type": "field", "field": "type"},
                              {"type": "field", "field": "userMessageCount"},
                              {"type": "field", "field": "properties", "path": ["csat"]}],
                   "orderBy": order_by}),
        );
        result.iter().map(|r| r["id"].as_str().unwrap().to_string()).collect()
    };
    // Descending puts nulls first; ties broken by the second key.
    assert_eq!(
        order(
            json!([{"field": "type", "direction": "desc"}, {"field": "userMessageCount", "direction": "asc"}])
        ),
        ids(&["r04", "r10", "r02", "r09", "r11", "r07", "r05", "r06", "r01", "r03", "r12", "r08"])
    );
    // Ascending puts nulls last.
    assert_eq!(
        order(
            json!([{"field": "type", "direction": "asc"}, {"field": "userMessageCount", "direction": "desc"}])
        ),
        ids(&["r08", "r12", "r03", "r01", "r06", "r05", "r07", "r11", "r09", "r02", "r10", "r04"])
    );
    // JSON values: strings < numbers (numerically) < booleans, then nulls; ties (the
    // nulls) in the default order, firstMessageTime desc.
    assert_eq!(
        order(json!([{"field": "properties.csat", "direction": "asc"}])),
        ids(&["r06", "r11", "r02", "r05", "r01", "r07", "r10", "r09", "r08", "r03", "r04", "r12"])
    );
    assert_eq!(
        order(json!([{"field": "properties.csat", "direction": "desc"}])),
        ids(&["r10", "r09", "r08", "r03", "r04", "r12", "r07", "r01", "r05", "r02", "r11", "r06"])
    );
}

#[test]
fn ordering_by_unpacked_keys_and_aggregates() {
    let store = store();
    let result = rows(
        &store,
        json!({"select": [{"type": "field", "field": "id"}, {"type": "field", "field": "properties"}],
               "where": cond("id", "in", json!(["r01", "r02", "r05", "r11", "r04"])),
               "orderBy": [{"field": "properties.csat", "direction": "desc"}]}),
    );
    let order: Vec<&str> = result.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(order, ["r04", "r01", "r05", "r02", "r11"]);

    let result = rows(
        &store,
        json!({"select": [{"type": "aggregation", "aggregation": "count"}],
               "groupBy": [{"field": "type"}],
               "orderBy": [{"field": "count", "direction": "desc"}]}),
    );
    assert_eq!(
        result,
        vec![
            json!({"count": 5, "type": "openai"}),
            json!({"count": 3, "type": "support_copilot"}),
            json!({"count": 2, "type": "support_ticket"}),
            json!({"count": 2, "type": null}),
        ]
    );
    let result = rows(
        &store,
        json!({"select": [{"type": "aggregation", "aggregation": "avg", "field": "userMessageCount"}],
               "groupBy": [{"field": "organizationId"}],
               "orderBy": [{"field": "avg_userMessageCount", "direction": "asc"}]}),
    );
    // org_a: 3+1+7+1+10+6+1 = 29 / 7; org_b: 2+5+4+2+8 = 21 / 5.
    assert_eq!(
        result,
        vec![
            json!({"avg_userMessageCount": 29.0 / 7.0, "organizationId": "org_a"}),
            json!({"avg_userMessageCount": 21.0 / 5.0, "organizationId": "org_b"}),
        ]
    );
    let err = store
        .query(
            View::Conversations,
            &body(json!({"select": [{"type": "field", "field": "id"}],
                            "orderBy": [{"field": "type", "direction": "asc"}]})),
            10,
        )
        .unwrap_err();
    assert!(err.is_invalid_query());
    assert!(err.to_string().contains("orderBy[0].field"), "{err}");
}
