//! Export.

use super::*;

#[test]
fn export_streams_every_row_beyond_the_page_size() {
    let (header, records) = export(&json!({}));
    assert_eq!(
        header,
        [
            "id",
            "userMessageCount",
            "organizationId",
            "projectId",
            "integrationId",
            "firstMessageTime",
            "type",
            "properties",
            "userProperties"
        ]
    );
    assert_eq!(records.len() as u64, ROWS, "all rows, not one page");
    let by_id: HashMap<&str, &Conversation> = data().iter().map(|c| (c.id.as_str(), c)).collect();
    for record in &records {
        let c = by_id[&record[0]];
        assert_eq!(record[1].parse::<i64>().unwrap(), c.user_message_count);
        assert_eq!(&record[4], c.integration_id.as_deref().unwrap_or(""));
        assert_eq!(instant(&record[5]), c.first_message_time);
        assert_eq!(&record[6], c.conversation_type.unwrap_or(""));
        if let Some(doc) = &c.properties {
            assert_eq!(&serde_json::from_str::<Value>(&record[7]).unwrap(), doc);
        } else {
            assert_eq!(&record[7], "");
        }
    }
}

#[test]
fn export_matches_the_query_total_and_columns() {
    let body = json!({
        "select": [
            {"type": "field", "field": "id"},
            {"type": "field", "field": "type"},
            {"type": "field", "field": "userMessageCount"},
            {"type": "field", "field": "properties", "path": ["source"]}
        ],
        "where": {"condition": {"field": "type", "operator": "in", "value": ["openai", "support_copilot"]}},
        "orderBy": [{"field": "id", "direction": "asc"}]
    });
    let total = query(body.clone()).total;
    let (header, records) = export(&body);
    assert_eq!(header, ["id", "type", "userMessageCount", "properties.source"]);
    assert_eq!(records.len() as u64, total);
    let mut expected: Vec<&Conversation> =
        data().iter().filter(|c| matches!(c.conversation_type, Some("openai" | "support_copilot"))).collect();
    expected.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(records.len(), expected.len());
    assert!(records.len() as u64 > PAGE_SIZE);
    for (record, c) in records.iter().zip(&expected) {
        assert_eq!(&record[0], c.id);
        assert_eq!(&record[1], c.conversation_type.unwrap());
        assert_eq!(record[2].parse::<i64>().unwrap(), c.user_message_count);
        assert_eq!(&record[3], prop_str(c, "source").unwrap_or(""));
    }
}

#[test]
fn export_unpacks_keys_over_the_whole_result_and_groups() {
    let (header, records) = export(&json!({"select": [{"type": "field", "field": "properties"}]}));
    let expected_keys: BTreeSet<String> = data()
        .iter()
        .filter_map(|c| c.properties.as_ref()?.as_object())
        .flat_map(|o| o.keys().map(|k| format!("properties.{k}")))
        .collect();
    assert_eq!(header.iter().cloned().collect::<BTreeSet<_>>(), expected_keys);
    assert_eq!(records.len() as u64, ROWS);

    let (header, records) = export(&json!({
        "select": [{"type": "aggregation", "aggregation": "count"}],
        "groupBy": [{"field": "organizationId"}],
        "orderBy": [{"field": "organizationId", "direction": "asc"}]
    }));
    assert_eq!(header, ["count", "organizationId"]);
    let mut expected: BTreeMap<&str, u64> = BTreeMap::new();
    for c in data() {
        *expected.entry(c.organization_id.as_str()).or_default() += 1;
    }
    let actual: BTreeMap<&str, u64> =
        records.iter().map(|r| (r.get(1).unwrap(), r[0].parse().unwrap())).collect();
    assert_eq!(actual, expected);
}

#[test]
fn an_abandoned_export_does_not_disturb_the_server() {
    runtime().block_on(async {
        let response = client()
            .post(format!("{}/query/conversations/export", server().url()))
            .header("authorization", bearer())
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        // Read one piece, then hang up.
        let mut response = response;
        let first = response.chunk().await.unwrap().unwrap();
        assert!(first.starts_with(b"id,"));
        drop(response);
    });
    assert_eq!(query(json!({})).total, ROWS);
}
