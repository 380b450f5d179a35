//! Connections: connecting (demo, environment key, keychain, typed key), testing the
//! connection, and the suggestions fetched over it.

use std::sync::Arc;

use crate::api::client::{AnalyticsClient, ApiKey, ClientConfig, ClientError};
use crate::api::query::{Field, QueryBody, Selection};
use crate::api::response::{PropertyField, PropertyKeysRequest, PropertyValuesRequest, QueryResponse};
use crate::api::view::View;
use crate::demo::server::{DemoServer, ServerConfig};
use crate::secrets::{KEYCHAIN_UNREADABLE_MESSAGE, KeySource, SecretError};

use super::{ConnectTarget, ConnectionInfo, ConnectionKind, Core, DEMO_TOKEN, Event, RemoteKey, blocking};

impl Core {
    /// Fetches the keys of a JSON field for the form's suggestions.
    pub(super) fn fetch_keys(&self, view: View, field: Field) {
        let (Some(client), Some(property_field)) = (self.client.clone(), PropertyField::from_field(field))
        else {
            return;
        };
        let emitter = self.emitter.clone();
        let connection_id = self.connection_id;
        tokio::spawn(async move {
            let request = keys_request(view, property_field);
            let result = client.property_keys(&request).await.map_err(|err| err.user_message());
            emitter.emit(Event::Keys { connection_id, view, field, result });
        });
    }

    /// Fetches the values of a key of a JSON field for the form's suggestions.
    pub(super) fn fetch_values(&self, view: View, field: Field, key: String) {
        let (Some(client), Some(property_field)) = (self.client.clone(), PropertyField::from_field(field))
        else {
            return;
        };
        let emitter = self.emitter.clone();
        let connection_id = self.connection_id;
        tokio::spawn(async move {
            let request = values_request(view, property_field, key.clone());
            let result = client.property_values(&request).await.map_err(|err| err.user_message());
            emitter.emit(Event::Values { connection_id, view, field, key, result });
        });
    }

    /// Runs a cheap query on the connection and reports how it went.
    pub(super) fn test_connection(&self) {
        let emitter = self.emitter.clone();
        let connection_id = self.connection_id;
        let Some(client) = self.client.clone() else {
            emitter.emit(Event::ConnectionTested {
                connection_id,
                result: Err(ClientError::Request {
                    message: "not connected to a server yet".to_string(),
                    url: String::new(),
                }),
            });
            return;
        };
        tokio::spawn(async move {
            // One row: the number of conversations. Cheap for the server, and it exercises
            // the key's permission to read analytics.
            let body = QueryBody { select: vec![Selection::count()], ..QueryBody::default() };
            let result = client.query(View::Conversations, &body).await.map(|response| count_of(&response));
            emitter.emit(Event::ConnectionTested { connection_id, result });
        });
    }

    /// Replaces the connection; every run and load in flight (of every tab) is cancelled.
    pub(super) async fn connect(&mut self, target: ConnectTarget) {
        self.cancel_every_run();
        self.cancel_every_load();
        let mut notice = None;
        let mut notice_details = None;
        let resolved = match target {
            ConnectTarget::Demo => None,
            ConnectTarget::Automatic { base_url, env_key } => match env_key {
                Some(key) => Some((base_url, Some((key, KeySource::Environment)))),
                None => match self.load_saved_key().await {
                    Ok(Some(key)) => Some((base_url, Some((key, KeySource::Keychain)))),
                    // No key anywhere: the demo, without comment (that is the normal first start).
                    Ok(None) | Err(SecretError::Unavailable(_)) => None,
                    Err(err) => {
                        tracing::warn!(error = %err, "the saved key could not be read");
                        notice = Some(KEYCHAIN_UNREADABLE_MESSAGE.to_string());
                        notice_details = Some(err.details());
                        None
                    }
                },
            },
            ConnectTarget::Remote { base_url, key: RemoteKey::Without } => Some((base_url, None)),
            ConnectTarget::Remote { base_url, key: RemoteKey::FromEnvironment(key) } => {
                Some((base_url, Some((key, KeySource::Environment))))
            }
            ConnectTarget::Remote { base_url, key: RemoteKey::Entered { key, remember } } => {
                let source = if remember {
                    let keychain = Arc::clone(&self.keychain);
                    let secret = key.expose().to_string();
                    let result = blocking(move || keychain.save(&secret))
                        .await
                        .unwrap_or_else(|message| Err(SecretError::Failed(message)));
                    match result {
                        Ok(()) => KeySource::Keychain,
                        Err(err) => {
                            // One plain sentence for the user; the D-Bus error for Details and the log.
                            tracing::warn!(error = %err, "the key could not be saved in the keychain");
                            notice = Some(err.save_message().to_string());
                            notice_details = Some(err.details());
                            KeySource::SessionOnly
                        }
                    }
                } else {
                    KeySource::SessionOnly
                };
                Some((base_url, Some((key, source))))
            }
            ConnectTarget::Remote { base_url, key: RemoteKey::Current } => {
                let key = match self.remote_key.clone() {
                    Some(current) => Some(current),
                    None => self.load_saved_key().await.ok().flatten().map(|key| (key, KeySource::Keychain)),
                };
                Some((base_url, key))
            }
        };
        let (kind, base_url, key) = match resolved {
            Some((base_url, key)) => (ConnectionKind::Remote, base_url, key),
            None => match self.ensure_demo().await {
                Ok(url) => (ConnectionKind::Demo, url, None),
                Err(message) => {
                    self.emitter.emit(Event::ConnectFailed {
                        message: format!("The embedded demo API could not start: {message}"),
                    });
                    return;
                }
            },
        };
        // The demo API, like the real one, wants a bearer token, but accepts any.
        let api_key = match (&key, kind) {
            (Some((key, _)), _) => Some(key.clone()),
            (None, ConnectionKind::Demo) => Some(ApiKey::new(DEMO_TOKEN.to_string())),
            (None, ConnectionKind::Remote) => None,
        };
        let config = ClientConfig { base_url: base_url.clone(), api_key, ..self.client_defaults.clone() };
        match AnalyticsClient::new(config) {
            Ok(client) => {
                self.client = Some(client.clone());
                self.client_key = key.as_ref().map(|(key, _)| key.clone());
                self.connection_id += 1;
                if kind == ConnectionKind::Remote && key.is_some() {
                    self.remote_key = key.clone();
                }
                self.emitter.emit(Event::Connected(ConnectionInfo {
                    id: self.connection_id,
                    kind,
                    base_url: client.base_url().to_string(),
                    key_source: key.map(|(_, source)| source),
                    notice,
                    notice_details,
                }));
            }
            Err(err) => self.emitter.emit(Event::ConnectFailed { message: err.user_message() }),
        }
    }

    async fn load_saved_key(&self) -> Result<Option<ApiKey>, SecretError> {
        let keychain = Arc::clone(&self.keychain);
        match blocking(move || keychain.load()).await {
            Ok(result) => result.map(|key| key.map(ApiKey::new).filter(|key| !key.is_empty())),
            Err(message) => Err(SecretError::Failed(message)),
        }
    }

    /// Starts the demo server the first time; its base URL.
    async fn ensure_demo(&mut self) -> Result<String, String> {
        if let Some(demo) = &self.demo {
            return Ok(demo.url());
        }
        let config =
            ServerConfig { page_size: self.demo_page_size, ..ServerConfig::local(self.demo_dataset) };
        let server = blocking(move || DemoServer::start_in_background(config).map_err(|err| err.to_string()))
            .await
            .and_then(|result| result)?;
        let url = server.url();
        self.demo = Some(Arc::new(server));
        Ok(url)
    }
}

/// How many values a suggestion menu lists.
const SUGGESTED_VALUES_LIMIT: u32 = 200;

/// The keys request of the form's suggestions: only the tab's view is looked in, since the
/// other views' JSON fields hold keys of their own.
fn keys_request(view: View, field: PropertyField) -> PropertyKeysRequest {
    PropertyKeysRequest { views: Some(vec![view]), ..PropertyKeysRequest::new(field) }
}

/// The values request of the form's suggestions, in the tab's view, at most
/// [`SUGGESTED_VALUES_LIMIT`] of them.
fn values_request(view: View, field: PropertyField, key: String) -> PropertyValuesRequest {
    PropertyValuesRequest {
        limit: Some(SUGGESTED_VALUES_LIMIT),
        views: Some(vec![view]),
        ..PropertyValuesRequest::new(field, key)
    }
}

/// The `count` of a `select:[count]` answer.
fn count_of(response: &QueryResponse) -> u64 {
    response.rows.first().and_then(|row| row.get("count")).and_then(serde_json::Value::as_u64).unwrap_or(0)
}

#[cfg(test)]
mod suggestion_tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn suggestions_look_in_the_tab_s_view_only() {
        let keys = serde_json::to_value(keys_request(View::Events, PropertyField::Properties)).unwrap();
        assert_eq!(keys, json!({"field": "properties", "views": ["events_view"]}));
        let values = serde_json::to_value(values_request(
            View::SemanticThreads,
            PropertyField::UserProperties,
            "plan".into(),
        ))
        .unwrap();
        assert_eq!(
            values,
            json!({"field": "userProperties", "key": "plan", "views": ["semantic_threads_view"], "limit": 200})
        );
    }
}
