//! Property keys and values.

use super::*;

fn property_list(path: &str, body: Value) -> Vec<String> {
    let answer = post(path, &body);
    assert_eq!(answer.status, 200, "{body}: {}", answer.text());
    assert!(answer.request_id.is_some());
    let root = answer.json();
    assert_eq!(keys(root.as_object().unwrap()), ["results"]);
    root["results"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
}

#[test]
fn property_keys_are_the_union_of_top_level_keys() {
    let union = |field: &str, keep: &dyn Fn(&Conversation) -> bool| -> Vec<String> {
        data()
            .iter()
            .filter(|c| keep(c))
            .filter_map(|c| plain(c, field).as_object().cloned())
            .flat_map(|o| o.keys().cloned().collect::<Vec<_>>())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    };
    assert_eq!(
        property_list(
            "/query/property-keys",
            json!({"field": "properties", "views": ["conversations_view"]})
        ),
        union("properties", &|_| true)
    );
    assert_eq!(
        property_list(
            "/query/property-keys",
            json!({"field": "userProperties", "views": ["conversations_view"]})
        ),
        union("userProperties", &|_| true)
    );
    let tickets = property_list(
        "/query/property-keys",
        json!({"field": "properties", "where": {"condition": {"field": "type", "operator": "eq", "value": "support_ticket"}}}),
    );
    assert_eq!(tickets, union("properties", &|c| c.conversation_type == Some("support_ticket")));
    assert!(!tickets.contains(&"articles".to_string()), "tickets have no articles");
}

/// Distinct values of a key as strings, most frequent first, ties by value.
fn expected_values(field: &str, key: &str, keep: impl Fn(&Conversation) -> bool) -> Vec<String> {
    let mut counts: HashMap<String, u64> = HashMap::new();
    for c in data().iter().filter(|c| keep(c)) {
        let doc = plain(c, field);
        match doc.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => *counts.entry(s.clone()).or_default() += 1,
            Some(other) => *counts.entry(other.to_string()).or_default() += 1,
        }
    }
    let mut values: Vec<(String, u64)> = counts.into_iter().collect();
    values.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    values.into_iter().map(|(v, _)| v).collect()
}

#[test]
fn property_values_most_frequent_first() {
    let languages =
        property_list("/query/property-values", json!({"field": "properties", "key": "language"}));
    assert_eq!(languages, expected_values("properties", "language", |_| true));
    assert_eq!(languages.len(), 8);
    let top = property_list(
        "/query/property-values",
        json!({"field": "properties", "key": "language", "limit": 3}),
    );
    assert_eq!(top, languages[..3]);
    let resolved = property_list("/query/property-values", json!({"field": "properties", "key": "resolved"}));
    assert_eq!(resolved, expected_values("properties", "resolved", |_| true));
    assert_eq!(
        resolved.iter().collect::<BTreeSet<_>>(),
        ["false".to_string(), "true".to_string()].iter().collect()
    );
    let agents = property_list(
        "/query/property-values",
        json!({
            "field": "userProperties",
            "key": "supportAgentName",
            "views": ["conversations_view"],
            "where": {"condition": {"field": "organizationId", "operator": "eq", "value": "org_lumenlabs"}}
        }),
    );
    assert_eq!(
        agents,
        expected_values("userProperties", "supportAgentName", |c| c.organization_id == "org_lumenlabs")
    );
    assert_eq!(agents.len(), 5, "Lumen Labs has five agents");
}

/// Keys and values are looked up in the views a request names; without `views`, in all
/// four (the union of each view's own).
#[test]
fn property_suggestions_come_from_the_named_views_only() {
    let all_keys = property_list("/query/property-keys", json!({"field": "properties"}));
    let in_view =
        |views: Value| property_list("/query/property-keys", json!({"field": "properties", "views": views}));
    let conversation_keys = in_view(json!(["conversations_view"]));
    assert!(conversation_keys.contains(&"source".to_string()), "{conversation_keys:?}");
    let mut union = Vec::new();
    for view in ["conversations_view", "events_view", "feedback_view", "semantic_threads_view"] {
        union.extend(in_view(json!([view])));
    }
    union.sort();
    union.dedup();
    assert_eq!(all_keys, union, "no views named in the request: all four");
    let event_keys = in_view(json!(["events_view"]));
    assert!(event_keys.iter().any(|key| !conversation_keys.contains(key)), "events have keys of their own");
    assert_eq!(in_view(json!([])), Vec::<String>::new(), "no view named, nothing to look in");

    let values = |views: Value| {
        property_list(
            "/query/property-values",
            json!({"field": "properties", "key": "language", "views": views}),
        )
    };
    let languages = expected_values("properties", "language", |_| true);
    assert!(!languages.is_empty());
    assert_eq!(values(json!(["conversations_view"])), languages);
    assert!(
        values(json!(["events_view"])).iter().all(|value| !value.is_empty()),
        "events answer their own values"
    );
    // The filter and the limit apply within the named view.
    let narrowed = property_list(
        "/query/property-values",
        json!({
            "field": "userProperties",
            "key": "supportAgentName",
            "views": ["conversations_view"],
            "where": {"condition": {"field": "organizationId", "operator": "eq", "value": "org_lumenlabs"}},
            "limit": 2
        }),
    );
    let all_agents = expected_values("userProperties", "supportAgentName", |_| true);
    let lumen_agents =
        expected_values("userProperties", "supportAgentName", |c| c.organization_id == "org_lumenlabs");
    assert!(all_agents.len() > lumen_agents.len(), "the filter must narrow something");
    assert_eq!(narrowed, lumen_agents[..2]);
}

/// What the app sends for suggestions names the explored view, and the demo answers it.
#[test]
fn the_apps_suggestion_requests_name_the_conversations_view() {
    use inkeep_explorer::api::response::{PropertyField, PropertyKeysRequest, PropertyValuesRequest};
    use inkeep_explorer::api::view::View;
    let keys = PropertyKeysRequest::new(PropertyField::Properties);
    assert_eq!(keys.views, Some(vec![View::Conversations]));
    let answer = post("/query/property-keys", &serde_json::to_value(&keys).unwrap());
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(
        answer.json()["results"],
        json!(property_list(
            "/query/property-keys",
            json!({"field": "properties", "views": ["conversations_view"]})
        ))
    );
    let values = PropertyValuesRequest::new(PropertyField::Properties, "language");
    assert_eq!(values.views, Some(vec![View::Conversations]));
    let answer = post("/query/property-values", &serde_json::to_value(&values).unwrap());
    assert_eq!(answer.json()["results"], json!(expected_values("properties", "language", |_| true)));
}
