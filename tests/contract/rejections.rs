//! Rejections, with the path of the offending part

use super::*;

#[test]
fn unknown_keys_are_rejected_where_they_are() {
    assert_rejected(r#"{"selct":[]}"#, "selct", "unknown field `selct`");
    assert_rejected(
        r#"{"select":[{"type":"field","field":"type"},{"type":"aggregation","aggregation":"count","extra":1}]}"#,
        "select[1].extra",
        "unknown field `extra`",
    );
    assert_rejected(
        r#"{"groupBy":[{"field":"type","includeInSelection":true}]}"#,
        "groupBy[0].includeInSelection",
        "unknown field",
    );
    assert_rejected(
        r#"{"where":{"condition":{"field":"type","operator":"eq","valu":"openai"}}}"#,
        "where.condition.valu",
        "unknown field `valu`",
    );
    assert_rejected(
        r#"{"orderBy":[{"field":"count","direction":"asc","nulls":"last"}]}"#,
        "orderBy[0].nulls",
        "unknown field",
    );
    assert_rejected(r#"{"where":{"conditions":{}}}"#, "where.conditions", "unknown field `conditions`");
}

#[test]
fn keys_of_another_selection_shape_are_rejected() {
    // `type` first: the foreign key itself is named.
    assert_rejected(
        r#"{"select":[{"type":"aggregation","aggregation":"count","mode":"json"}]}"#,
        "select[0].mode",
        "does not belong in a selection of type `aggregation`",
    );
    assert_rejected(
        r#"{"select":[{"type":"time","timeUnit":"day","path":["x"]}]}"#,
        "select[0].path",
        "does not belong in a selection of type `time`",
    );
    // `type` last: only known at the end, so the selection is named.
    assert_rejected(
        r#"{"select":[{"timeUnit":"day","type":"field","field":"id"}]}"#,
        "select[0]",
        "`timeUnit` does not belong in a selection of type `field`",
    );
}

#[test]
fn unknown_names_are_rejected_at_their_key() {
    assert_rejected(
        r#"{"where":{"and":[{"condition":{"field":"type","operator":"eq","value":"openai"}},{"condition":{"field":"type","operator":"neq","value":"x"}},{"condition":{"field":"type","operator":"bogus","value":1}}]}}"#,
        "where.and[2].condition.operator",
        "unknown variant `bogus`",
    );
    assert_rejected(
        r#"{"where":{"or":[{"and":[{"condition":{"field":"id","operator":"eq","value":"a"}},{"condition":{"field":"id","operator":"like","value":"b"}}]}]}}"#,
        "where.or[0].and[1].condition.operator",
        "unknown variant `like`",
    );
    assert_rejected(
        r#"{"where":{"condition":{"field":"name","operator":"eq","value":"a"}}}"#,
        "where.condition.field",
        "unknown variant `name`",
    );
    assert_rejected(r#"{"select":[{"type":"chart"}]}"#, "select[0].type", "unknown variant `chart`");
    assert_rejected(
        r#"{"select":[{"type":"field","field":"type"},{"type":"aggregation","aggregation":"median"}]}"#,
        "select[1].aggregation",
        "unknown variant `median`",
    );
    assert_rejected(
        r#"{"select":[{"type":"time","timeUnit":"year"}]}"#,
        "select[0].timeUnit",
        "unknown variant `year`",
    );
    assert_rejected(
        r#"{"select":[{"type":"field","field":"nope"}]}"#,
        "select[0].field",
        "unknown variant `nope`",
    );
    assert_rejected(
        r#"{"select":[{"type":"field","field":"properties","mode":"flat"}]}"#,
        "select[0].mode",
        "unknown variant `flat`",
    );
    assert_rejected(
        r#"{"orderBy":[{"field":"count","direction":"up"}]}"#,
        "orderBy[0].direction",
        "unknown variant `up`",
    );
}

#[test]
fn wrong_value_types_are_rejected_at_their_key() {
    assert_rejected(r#"{"notes":5}"#, "notes", "expected a string");
    assert_rejected(r#"{"select":{}}"#, "select", "expected a sequence");
    assert_rejected(
        r#"{"select":[{"type":"field","field":"properties","path":"source"}]}"#,
        "select[0].path",
        "expected a sequence",
    );
    assert_rejected(
        r#"{"select":[{"type":"field","field":"properties","path":["a",1]}]}"#,
        "select[0].path[1]",
        "expected a string",
    );
    assert_rejected(r#"{"select":["count"]}"#, "select[0]", "expected a selection object");
    assert_rejected(
        r#"{"groupBy":[{"field":"type","includeInSelect":"yes"}]}"#,
        "groupBy[0].includeInSelect",
        "expected a boolean",
    );
    assert_rejected(
        r#"{"orderBy":[{"field":3,"direction":"asc"}]}"#,
        "orderBy[0].field",
        "expected a string",
    );
    assert_rejected(r#"{"where":{"and":{}}}"#, "where.and", "expected a sequence");
    assert_rejected(
        r#"{"where":{"condition":{"field":"type","operator":"in","value":["a",["b"]]}}}"#,
        "where.condition.value",
        "list item [1] must be a string, number or boolean",
    );
    assert_rejected(
        r#"{"where":{"condition":{"field":"properties","operator":"eq","value":{"path":"source","value":"x"}}}}"#,
        "where.condition.value",
        "`path` must be an array of strings",
    );
    assert_rejected(
        r#"{"where":{"condition":{"field":"properties","operator":"in","value":{"path":["s"],"value":[1,[2]]}}}}"#,
        "where.condition.value",
        "list item [1]",
    );
}

#[test]
fn missing_and_repeated_keys_are_rejected() {
    assert_rejected(r#"{"select":[{"field":"type"}]}"#, "select[0]", "missing field `type`");
    assert_rejected(r#"{"select":[{"type":"field"}]}"#, "select[0]", "missing field `field`");
    assert_rejected(
        r#"{"select":[{"type":"aggregation","field":"id"}]}"#,
        "select[0]",
        "missing field `aggregation`",
    );
    assert_rejected(r#"{"select":[{"type":"time"}]}"#, "select[0]", "missing field `timeUnit`");
    assert_rejected(r#"{"orderBy":[{"field":"count"}]}"#, "orderBy[0]", "missing field `direction`");
    assert_rejected(
        r#"{"where":{"condition":{"field":"type","value":"x"}}}"#,
        "where.condition",
        "missing field `operator`",
    );
    assert_rejected(
        r#"{"select":[{"type":"field","field":"id","field":"type"}]}"#,
        "select[0].field",
        "duplicate field `field`",
    );
}

#[test]
fn a_filter_has_exactly_one_key() {
    assert_rejected(r#"{"where":{}}"#, "where", "this one is empty");
    assert_rejected(
        r#"{"where":{"condition":{"field":"type","operator":"isNull"},"and":[]}}"#,
        "where.and",
        "has both `condition` and `and`",
    );
    assert_rejected(r#"{"where":{"and":[{}]}}"#, "where.and[0]", "this one is empty");
    assert_rejected(r#"{"where":"type = openai"}"#, "where", "expected a filter object");
}

#[test]
fn only_objects_are_read_as_objects() {
    // serde's derived structs would take positional arrays; the API documents objects.
    assert_rejected("[]", "", "expected a query object");
    assert_rejected(r#"[[{"type":"field","field":"type"}]]"#, "", "expected a query object");
    assert_rejected(r#"{"orderBy":[["count","desc"]]}"#, "orderBy[0]", "expected an order-by object");
    assert_rejected(r#"{"groupBy":[["type"]]}"#, "groupBy[0]", "expected a group-by object");
    assert_rejected(
        r#"{"where":{"condition":["type","isNull"]}}"#,
        "where.condition",
        "expected a condition object",
    );
    assert_rejected(r#"{"select":[["field","type"]]}"#, "select[0]", "expected a selection object");
    assert!(query_from_value(&json!([])).is_err());
}

#[test]
fn bad_json_syntax_reports_line_and_column() {
    let text = "{\n  \"notes\": \"weekly\"\n  \"select\": []\n}";
    let err = parse_query(text).unwrap_err();
    assert_eq!((err.line, err.column), (3, 3), "{err:?}");
    assert!(err.message.contains("expected `,` or `}`"), "{}", err.message);
    assert!(!err.message.contains(" at line "), "position is reported separately: {}", err.message);

    let err = parse_query("{\"select\": [\n  {\"type\": \"field\", \"field\": \"id\",}\n]}").unwrap_err();
    assert_eq!(err.line, 2, "{err:?}");
    assert!(err.message.contains("trailing comma"), "{}", err.message);

    let err = parse_query("{\"notes\": \"unterminated").unwrap_err();
    assert!(err.message.contains("EOF"), "{}", err.message);

    let err = parse_query("{} {}").unwrap_err();
    assert_eq!(err.path, "");
    assert_eq!((err.line, err.column), (1, 4));
    assert!(err.message.contains("trailing characters"));
}

#[test]
fn parse_errors_read_as_sentences_with_path_and_position() {
    let err = parse_query(r#"{"where":{"condition":{"field":"type","operator":"bogus"}}}"#).unwrap_err();
    assert_eq!(err.path, "where.condition.operator");
    assert_eq!(err.line, 1);
    assert_eq!(err.column, 56);
    let shown = err.to_string();
    assert!(shown.starts_with("unknown variant `bogus`"), "{shown}");
    assert!(shown.ends_with(" at `where.condition.operator` (line 1, column 56)"), "{shown}");

    // From an already-parsed value there is no position.
    let err = query_from_value(&json!({"select": [{"type": "time", "timeUnit": "decade"}]})).unwrap_err();
    assert_eq!(err.path, "select[0].timeUnit");
    assert_eq!((err.line, err.column), (0, 0));
    assert!(!err.to_string().contains("line"), "{err}");
}
