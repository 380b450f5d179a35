//! The project's own client speaks to the demo API.

use super::*;

#[test]
fn the_analytics_client_reads_answers_and_problems() {
    use inkeep_explorer::api::client::{AnalyticsClient, ApiKey, ClientConfig};
    use inkeep_explorer::api::query::{Field, GroupBy, QueryBody, Selection};
    use inkeep_explorer::api::response::{PropertyField, PropertyKeysRequest};
    use inkeep_explorer::api::view::View;

    let config =
        ClientConfig { max_retries: 0, ..ClientConfig::new(server().url(), Some(ApiKey::new(TOKEN.into()))) };
    let client = AnalyticsClient::new(config).unwrap();
    runtime().block_on(async {
        let body = QueryBody {
            select: vec![Selection::count()],
            group_by: vec![GroupBy::field(Field::OrganizationId)],
            ..QueryBody::default()
        };
        let response = client.query(View::Conversations, &body).await.unwrap();
        assert_eq!(response.total, 2);
        assert_eq!(response.page_size, PAGE_SIZE);
        assert!(response.request_id.as_deref().is_some_and(|id| id.starts_with("req_")));
        let counted: u64 = response.rows.iter().map(|row| row["count"].as_u64().unwrap()).sum();
        assert_eq!(counted, ROWS);

        let keys =
            client.property_keys(&PropertyKeysRequest::new(PropertyField::UserProperties)).await.unwrap();
        assert!(keys.contains(&"userId".to_string()), "{keys:?}");

        let mut csv_bytes = Vec::new();
        client.export_csv(View::Conversations, &QueryBody::default(), &mut csv_bytes, |_| {}).await.unwrap();
        let line_count = csv_bytes.split(|b| *b == b'\n').filter(|line| !line.is_empty()).count();
        assert_eq!(line_count as u64, ROWS + 1, "header and every row");

        let invalid = QueryBody { notes: Some("n".repeat(81)), ..QueryBody::default() };
        let error = client.query(View::Conversations, &invalid).await.unwrap_err();
        assert_eq!(error.status(), Some(422));
        let problem = error.problem().expect("a problem document");
        assert_eq!(problem.code(), Some("unprocessable_entity"));
        assert!(problem.message().is_some_and(|m| m.contains("notes")));
        assert!(error.request_id().is_some_and(|id| id.starts_with("req_")));
    });
}
