//! The HTTP client of the Analytics API: bearer auth, timeouts, retries with backoff,
//! a response size cap, typed errors, and a streaming CSV export.
//!
//! One [`AnalyticsClient`] holds one `reqwest::Client` (a connection pool) built once;
//! cloning the client shares it. Every call is a plain future: dropping it stops the
//! request at once and closes its connection, which is how the worker cancels a run.
//!
//! Failure rules, in the order they apply:
//! - plain `http://` is refused unless the host is this computer (the key would travel
//!   unencrypted);
//! - connection errors, HTTP 429 and 5xx are retried at most `max_retries` times with
//!   exponential backoff and jitter, honouring `Retry-After`; other 4xx never are;
//! - a body larger than `max_response_bytes` ends in [`ClientError::TooLarge`] before it
//!   fills memory, whether the size is declared up front or only discovered while reading;
//! - the API key never appears in `Debug`, `Display`, logs or error messages.
//!
//! # Parts
//!
//! - this module: the property endpoints' paths (a query's come from its
//!   [`View`](crate::api::view::View)), the key and the configuration;
//! - `http`: the client itself: requests, status checks, capped reading, retries;
//! - `error`: the errors, how they read in logs and what they tell a support manager;
//! - `retry`: `Retry-After` and the backoff between attempts;
//! - `url`: the checks a base URL must pass (errors quote it through
//!   [`redact_url`](super::redact::redact_url)).

use std::fmt;

mod error;
mod http;
mod retry;
mod url;

pub use error::{ClientError, TimeoutPhase, format_bytes};
pub use http::{AnalyticsClient, RawResponse};
pub use retry::{backoff_delay, parse_retry_after};

/// The public Analytics API.
pub const DEFAULT_BASE_URL: &str = "https://api.analytics.inkeep.com";
/// Environment variable holding the API key (the official SDK reads the same one).
pub const KEY_ENV: &str = "INKEEPANALYTICS_API_INTEGRATION_KEY";
/// Environment variable overriding the base URL.
pub const SERVER_URL_ENV: &str = "INKEEPANALYTICS_SERVER_URL";
/// Default cap on a response held in memory: 512 MiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 512 * 1024 * 1024;
/// The longest `Retry-After` the client waits; a server asking for more gets its error shown.
pub const MAX_RETRY_AFTER_SECS: u64 = 60;

/// Path of the property-keys endpoint.
pub const PROPERTY_KEYS_PATH: &str = "/query/property-keys";
/// Path of the property-values endpoint.
pub const PROPERTY_VALUES_PATH: &str = "/query/property-values";

/// The header carrying the server's request id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The API key. `Debug` and `Display` print `ApiKey(***)`; only [`ApiKey::expose`] gives the text.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key; surrounding whitespace (from pasting) is removed.
    pub fn new(key: String) -> Self {
        let trimmed = key.trim();
        if trimmed.len() == key.len() { ApiKey(key) } else { ApiKey(trimmed.to_string()) }
    }

    /// The key itself, for the `Authorization` header and the keychain. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when the key is empty (after trimming).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The key from [`KEY_ENV`], if set and not blank.
    pub fn from_env() -> Option<ApiKey> {
        let key = ApiKey::new(std::env::var(KEY_ENV).ok()?);
        (!key.is_empty()).then_some(key)
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

/// How to reach the API and how patient to be.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientConfig {
    /// Base URL, e.g. `https://api.analytics.inkeep.com` or `http://127.0.0.1:8787`.
    pub base_url: String,
    /// The key; no `Authorization` header is sent without one (the demo server needs none).
    pub api_key: Option<ApiKey>,
    /// Time allowed to establish a connection (TCP and TLS).
    pub connect_timeout_secs: f64,
    /// Time allowed per attempt for the whole answer; for exports, for the headers and then
    /// for each gap between chunks (a large export may legitimately take longer in total).
    pub request_timeout_secs: f64,
    /// Retries after the first attempt, on connection errors, 429 and 5xx only.
    pub max_retries: u32,
    /// Largest answer held in memory; larger ones end in [`ClientError::TooLarge`].
    /// Exports stream to a writer and are not capped.
    pub max_response_bytes: u64,
    /// First backoff delay; doubles on each retry.
    pub retry_base_delay_ms: u64,
    /// Longest backoff delay (the official SDK's is about 2 s).
    pub retry_max_delay_ms: u64,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            base_url: DEFAULT_BASE_URL.to_string(),
            api_key: None,
            connect_timeout_secs: 10.0,
            request_timeout_secs: 120.0,
            max_retries: 3,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            retry_base_delay_ms: 500,
            retry_max_delay_ms: 2000,
        }
    }
}

impl ClientConfig {
    /// Defaults, with the base URL from [`SERVER_URL_ENV`] and the key from [`KEY_ENV`] when set.
    pub fn from_env() -> ClientConfig {
        let base_url = std::env::var(SERVER_URL_ENV)
            .ok()
            .map(|url| url.trim().to_string())
            .filter(|url| !url.is_empty())
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
        ClientConfig { base_url, api_key: ApiKey::from_env(), ..ClientConfig::default() }
    }

    /// Defaults for a given base URL and key.
    pub fn new(base_url: impl Into<String>, api_key: Option<ApiKey>) -> ClientConfig {
        ClientConfig { base_url: base_url.into(), api_key, ..ClientConfig::default() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_key_is_masked() {
        let key = ApiKey::new("  sk-very-secret-123 \n".to_string());
        assert_eq!(key.expose(), "sk-very-secret-123");
        assert_eq!(format!("{key:?} {key}"), "ApiKey(***) ApiKey(***)");
        let config = ClientConfig::new("https://example.com", Some(key));
        assert!(!format!("{config:?}").contains("secret"));
        let client = AnalyticsClient::new(config).unwrap();
        assert!(!format!("{client:?}").contains("secret"));
        assert!(client.has_api_key());
        let broken =
            ClientConfig::new("https://example.com", Some(ApiKey::new("sk-abc\ndef-secret".to_string())));
        let err = AnalyticsClient::new(broken).unwrap_err();
        assert!(matches!(err, ClientError::InvalidKey));
        assert!(!format!("{err:?} {err}").contains("secret"));
    }
}
