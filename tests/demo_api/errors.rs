//! Errors: problem+json with every field, and the request id.

use super::*;

fn check_problem(answer: &Answer, status: u16, code: &str, path: &str) -> String {
    assert_eq!(answer.status, status, "{}", answer.text());
    assert!(answer.content_type.starts_with("application/problem+json"), "{}", answer.content_type);
    let problem = answer.json();
    assert_eq!(problem["status"], json!(status));
    assert_eq!(problem["code"], json!(code));
    assert_eq!(problem["error"]["code"], json!(code));
    assert!(problem["title"].as_str().is_some_and(|t| !t.is_empty()));
    let detail = problem["detail"].as_str().expect("detail").to_string();
    assert!(!detail.is_empty());
    assert_eq!(problem["error"]["message"], json!(detail));
    assert_eq!(problem["instance"], json!(path));
    let header_id = answer.request_id.clone().expect("x-request-id header");
    assert!(header_id.starts_with("req_"), "{header_id}");
    assert_eq!(problem["requestId"], json!(header_id), "the body names the same request as the header");
    detail
}

fn post_with(server: &DemoServer, path: &str, headers: &[(&str, &str)], body: &str) -> Answer {
    send(reqwest::Method::POST, &format!("{}{path}", server.url()), headers, Some(body.to_string().into()))
}

#[test]
fn missing_or_malformed_authorization_is_401() {
    let json_type = ("content-type", "application/json");
    let answer = post_with(server(), "/query/conversations", &[json_type], "{}");
    let detail = check_problem(&answer, 401, "unauthorized", "/query/conversations");
    assert!(detail.contains("Authorization"), "{detail}");
    assert_eq!(answer.headers.get("www-authenticate").unwrap(), "Bearer");
    for malformed in ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Token abc", "Bearer a b"] {
        let answer =
            post_with(server(), "/query/conversations", &[json_type, ("authorization", malformed)], "{}");
        let detail = check_problem(&answer, 401, "unauthorized", "/query/conversations");
        assert!(detail.contains("malformed"), "{malformed}: {detail}");
    }
    // Every endpoint checks, not only the query.
    let answer = post_with(server(), "/query/property-keys", &[json_type], r#"{"field":"properties"}"#);
    check_problem(&answer, 401, "unauthorized", "/query/property-keys");
}

#[test]
fn with_an_api_key_only_that_key_is_accepted() {
    let json_type = ("content-type", "application/json");
    let wrong = post_with(
        keyed_server(),
        "/query/conversations",
        &[json_type, ("authorization", "Bearer nope")],
        "{}",
    );
    let detail = check_problem(&wrong, 401, "unauthorized", "/query/conversations");
    assert!(!detail.contains(API_KEY), "the key is never echoed");
    let prefix = format!("Bearer {}", &API_KEY[..API_KEY.len() - 1]);
    let almost =
        post_with(keyed_server(), "/query/conversations", &[json_type, ("authorization", &prefix)], "{}");
    check_problem(&almost, 401, "unauthorized", "/query/conversations");
    let longer = format!("Bearer {API_KEY}x");
    let longer =
        post_with(keyed_server(), "/query/conversations", &[json_type, ("authorization", &longer)], "{}");
    check_problem(&longer, 401, "unauthorized", "/query/conversations");
    let right = format!("Bearer {API_KEY}");
    let answer =
        post_with(keyed_server(), "/query/conversations", &[json_type, ("authorization", &right)], "{}");
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(answer.json()["data"]["total"], json!(KEYED_ROWS));
}

#[test]
fn malformed_json_is_400_with_line_and_column() {
    let answer = post_bytes(server(), "/query/conversations", br#"{"select": [ "#.to_vec());
    let detail = check_problem(&answer, 400, "bad_request", "/query/conversations");
    assert!(detail.contains("line 1, column"), "{detail}");
    let answer =
        post_bytes(server(), "/query/conversations", b"{\n  \"select\": [],\n  \"where\": {,}\n}".to_vec());
    let detail = check_problem(&answer, 400, "bad_request", "/query/conversations");
    assert!(detail.contains("line 3, column 13"), "{detail}");
    for body in [&b""[..], b"   ", b"\xff\xfe{}", b"{} {}", b"nul"] {
        let answer = post_bytes(server(), "/query/conversations", body.to_vec());
        check_problem(&answer, 400, "bad_request", "/query/conversations");
    }
}

#[test]
fn bodies_outside_the_published_schema_are_400_naming_the_path() {
    let cases = [
        (
            json!({"where": {"and": [
                {"condition": {"field": "type", "operator": "eq", "value": "openai"}},
                {"condition": {"field": "type", "operator": "bogus", "value": "x"}}
            ]}}),
            "where.and[1].condition.operator",
            "bogus",
        ),
        (json!({"select": [{"type": "field", "field": "nope"}]}), "select[0].field", "nope"),
        (json!({"select": [{"type": "sideways"}]}), "select[0]", "sideways"),
        // An unknown top-level key: the detail says where and lists the keys allowed.
        (json!({"unknownKey": 1}), "unknownKey", "orderBy"),
        // A wrong type.
        (json!({"select": "id"}), "`select`", "sequence"),
        (json!({"notes": 80}), "`notes`", "string"),
        (json!({"orderBy": [{"field": "id", "direction": "up"}]}), "orderBy[0].direction", "up"),
        (json!({"orderBy": [{"field": "count", "direction": "asc"}]}), "orderBy[0].field", "count_id"),
        // Names of the other views' fields, and their text search, are outside the
        // conversations schema: the detail names the view.
        (
            json!({"select": [{"type": "field", "field": "eventType"}]}),
            "select[0].field",
            "`eventType` is not a field of the conversations view; it belongs to events",
        ),
        (
            json!({"where": {"or": [{"condition": {"field": "question", "operator": "isNull"}}]}}),
            "where.or[0].condition.field",
            "it belongs to semantic threads",
        ),
        (
            json!({"orderBy": [{"field": "createdAt_day", "direction": "asc"}]}),
            "orderBy[0].field",
            "conversations view",
        ),
        (json!({"query": "rotate keys"}), "`query`", "only works on the semantic threads view"),
    ];
    for (body, path, word) in cases {
        for endpoint in ["/query/conversations", "/query/conversations/export"] {
            let answer = post(endpoint, &body);
            let detail = check_problem(&answer, 400, "bad_request", endpoint);
            assert!(detail.contains(path), "{body}: detail should name `{path}`: {detail}");
            assert!(detail.contains(word), "{body}: detail should mention `{word}`: {detail}");
        }
    }
    // Property endpoints name the path too: a wrong field, an unknown key, a bad view,
    // a filter of the wrong shape, a limit that is not a positive integer.
    let property_cases = [
        ("/query/property-keys", json!({"field": "type"}), "`field`", "userProperties"),
        (
            "/query/property-keys",
            json!({"field": "properties", "view": ["conversations_view"]}),
            "view",
            "views",
        ),
        (
            "/query/property-keys",
            json!({"field": "properties", "views": ["bogus_view"]}),
            "views[0]",
            "events_view",
        ),
        (
            "/query/property-keys",
            json!({"field": "properties", "views": "conversations_view"}),
            "`views`",
            "sequence",
        ),
        (
            "/query/property-values",
            json!({"field": "properties", "key": "source", "views": ["conversations"]}),
            "views[0]",
            "conversations_view",
        ),
        (
            "/query/property-values",
            json!({"field": "properties", "key": "source", "where": {"or": [{"condition": {"field": "x", "operator": "eq"}}]}}),
            "where.or[0].condition.field",
            "x",
        ),
        (
            "/query/property-keys",
            json!({"field": "properties", "views": ["events_view"], "where": {"condition": {"field": "eventType", "operator": "isNull"}}}),
            "where.condition.field",
            "not a field of the conversations view",
        ),
        (
            "/query/property-values",
            json!({"field": "properties", "key": "source", "limit": 0}),
            "`limit`",
            "positive integer",
        ),
        (
            "/query/property-values",
            json!({"field": "properties", "key": "source", "limit": -3}),
            "`limit`",
            "-3",
        ),
        (
            "/query/property-values",
            json!({"field": "properties", "key": "source", "limit": 2.5}),
            "`limit`",
            "2.5",
        ),
        (
            "/query/property-values",
            json!({"field": "properties", "key": "source", "limit": "5"}),
            "`limit`",
            "u32",
        ),
    ];
    for (endpoint, body, path, word) in property_cases {
        let answer = post(endpoint, &body);
        let detail = check_problem(&answer, 400, "bad_request", endpoint);
        assert!(detail.contains(path), "{body}: detail should name `{path}`: {detail}");
        assert!(detail.contains(word), "{body}: detail should mention `{word}`: {detail}");
    }
}

/// The acceptance case of the published `orderBy` set: what the real server refuses, the
/// demo refuses the same way, on the query endpoint and on its `/export` twin.
#[test]
fn sorting_by_bare_count_is_refused_like_the_real_server() {
    let body = r#"{"select":[{"type":"aggregation","aggregation":"count"}],"orderBy":[{"field":"count","direction":"desc"}]}"#;
    for endpoint in ["/query/conversations", "/query/conversations/export"] {
        let answer = post_bytes(server(), endpoint, body.as_bytes().to_vec());
        let detail = check_problem(&answer, 400, "bad_request", endpoint);
        assert!(detail.contains("orderBy[0].field"), "{detail}");
        assert!(detail.contains("count_id"), "the detail says what to do instead: {detail}");
    }
    // The sortable twin is answered, with the same counts.
    let page = query(json!({
        "select": [{"type": "aggregation", "aggregation": "count", "field": "id"}],
        "orderBy": [{"field": "count_id", "direction": "desc"}]
    }));
    assert_eq!(page.rows[0]["count_id"], json!(ROWS));
}

#[test]
fn unanswerable_queries_inside_the_schema_are_422_naming_the_path() {
    let cases = [
        (
            json!({"where": {"condition": {"field": "userMessageCount", "operator": "eq", "value": "many"}}}),
            "where.condition.value",
            "number",
        ),
        (
            json!({"where": {"condition": {"field": "type", "operator": "jsonHasKey", "value": "x"}}}),
            "where.condition.operator",
            "jsonHasKey",
        ),
        // In the set, but not a column of this query.
        (
            json!({"select": [{"type": "field", "field": "id"}], "orderBy": [{"field": "type", "direction": "asc"}]}),
            "orderBy[0].field",
            "no column `type`",
        ),
        // `"value": null` is read (the schema allows any JSON) but matches nothing.
        (
            json!({"where": {"condition": {"field": "type", "operator": "eq", "value": null}}}),
            "where.condition.value",
            "isNull",
        ),
    ];
    for (body, path, word) in cases {
        let answer = post("/query/conversations", &body);
        let detail = check_problem(&answer, 422, "unprocessable_entity", "/query/conversations");
        assert!(detail.contains(path), "{body}: detail should name `{path}`: {detail}");
        assert!(detail.contains(word), "{body}: detail should mention `{word}`: {detail}");
    }
}

/// For every operator, `"value": null` is refused by the demo exactly when the validator
/// refuses it (the demo runs the validator), and accepted ones are answered.
#[test]
fn null_values_are_refused_exactly_as_the_validator_refuses_them() {
    use inkeep_explorer::api::query::{Operator, parse_query};
    use inkeep_explorer::api::validate::validate;
    use inkeep_explorer::api::view::View;
    for field in ["type", "properties"] {
        for operator in Operator::ALL {
            let body = json!({"where": {"condition": {"field": field, "operator": operator.as_str(), "value": null}}});
            let problems = validate(View::Conversations, &parse_query(&body.to_string()).unwrap());
            let answer = post("/query/conversations", &body);
            if problems.is_empty() {
                let page = read_page(&answer, &body);
                let expected = match (field, operator) {
                    ("type", Operator::IsNull) => count_where(|c| c.conversation_type.is_none()),
                    ("type", Operator::IsNotNull) => count_where(|c| c.conversation_type.is_some()),
                    ("properties", Operator::IsNull) => count_where(|c| plain(c, "properties").is_null()),
                    ("properties", Operator::IsNotNull) => count_where(|c| !plain(c, "properties").is_null()),
                    _ => panic!("{body} passed the validator"),
                };
                assert_eq!(page.total, expected, "{body}");
            } else {
                let detail = check_problem(&answer, 422, "unprocessable_entity", "/query/conversations");
                assert!(detail.contains(&problems[0].path), "{body}: {detail}");
            }
        }
    }
}

#[test]
fn validation_problems_are_422_and_all_listed() {
    let body = json!({
        "select": [
            {"type": "aggregation", "aggregation": "sum", "field": "type"},
            {"type": "field", "field": "id", "path": ["x"]}
        ],
        "notes": "n".repeat(81)
    });
    let answer = post("/query/conversations", &body);
    let detail = check_problem(&answer, 422, "unprocessable_entity", "/query/conversations");
    for path in ["select[0].field", "select[1].path", "notes"] {
        assert!(detail.contains(path), "{path} listed: {detail}");
    }
    // Notes of exactly 80 characters (not bytes) are fine.
    let page =
        query(json!({"notes": "é".repeat(80), "select": [{"type": "aggregation", "aggregation": "count"}]}));
    assert_eq!(page.rows[0]["count"], json!(ROWS));
    let answer = post("/query/conversations/export", &json!({"notes": "n".repeat(81)}));
    let detail = check_problem(&answer, 422, "unprocessable_entity", "/query/conversations/export");
    assert!(detail.contains("notes"), "{detail}");
}

#[test]
fn bodies_over_2_mb_are_413() {
    let big = serde_json::to_vec(&json!({"notes": "x".repeat(2 * 1024 * 1024 + 10)})).unwrap();
    let answer = post_bytes(server(), "/query/conversations", big.clone());
    let detail = check_problem(&answer, 413, "payload_too_large", "/query/conversations");
    assert!(detail.contains("2097152"), "{detail}");
    // Without a Content-Length (chunked), the limit holds too.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        big.chunks(64 * 1024).map(|c| Ok(c.to_vec())).collect();
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let auth = bearer();
    let answer = send(
        reqwest::Method::POST,
        &format!("{}/query/conversations/export", server().url()),
        &[("authorization", &auth)],
        Some(body),
    );
    check_problem(&answer, 413, "payload_too_large", "/query/conversations/export");
    // Exactly at the limit is accepted (and then judged on its content).
    let mut at_limit = br#"{"notes":"short"}"#.to_vec();
    at_limit.resize(2 * 1024 * 1024, b' ');
    let answer = post_bytes(server(), "/query/conversations", at_limit);
    assert_eq!(answer.status, 200, "{}", answer.text());
}

#[test]
fn wrong_method_is_405_and_unknown_path_404() {
    let auth = bearer();
    let url = format!("{}/query/conversations", server().url());
    for method in [reqwest::Method::GET, reqwest::Method::PUT, reqwest::Method::DELETE] {
        let answer = send(method.clone(), &url, &[("authorization", &auth)], None);
        let detail = check_problem(&answer, 405, "method_not_allowed", "/query/conversations");
        assert!(detail.contains(method.as_str()), "{detail}");
        assert_eq!(answer.headers.get("allow").unwrap(), "POST");
    }
    for path in ["/query/nope", "/", "/query/conversations/export/extra"] {
        let answer = post_with(server(), path, &[("authorization", &auth)], "{}");
        check_problem(&answer, 404, "not_found", path);
    }
    let answer = send(reqwest::Method::GET, &format!("{}/nothing/here", server().url()), &[], None);
    check_problem(&answer, 404, "not_found", "/nothing/here");
}

#[test]
fn a_non_json_content_type_is_415_and_a_missing_one_is_accepted() {
    let auth = bearer();
    let answer = post_with(
        server(),
        "/query/conversations",
        &[("authorization", &auth), ("content-type", "text/plain")],
        "{}",
    );
    let detail = check_problem(&answer, 415, "unsupported_media_type", "/query/conversations");
    assert!(detail.contains("application/json"), "{detail}");
    let answer = post_with(server(), "/query/conversations", &[("authorization", &auth)], "{}");
    assert_eq!(answer.status, 200);
    let answer = post_with(
        server(),
        "/query/conversations",
        &[("authorization", &auth), ("content-type", "application/json; charset=utf-8")],
        "{}",
    );
    assert_eq!(answer.status, 200);
}

#[test]
fn request_ids_are_unique_and_on_every_answer() {
    let ids: Vec<String> = (0..5)
        .map(|_| {
            post(
                "/query/conversations",
                &json!({"select": [{"type": "aggregation", "aggregation": "count"}]}),
            )
        })
        .map(|answer| {
            assert_eq!(answer.status, 200);
            answer.request_id.unwrap()
        })
        .collect();
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len(), "{ids:?}");
}
