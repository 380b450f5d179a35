//! The one API-key redaction rule: where the key could be echoed back (an error body from a
//! misbehaving server or proxy, the excerpt of a non-JSON answer, a CLI error message), it is
//! replaced by [`REDACTED`] before anything is shown, logged or written.
//!
//! URLs get the same care: [`redact_url`] drops the credentials and query a URL may carry
//! before it is quoted in an error.

use std::borrow::Cow;

use super::client::ApiKey;
use super::response::{EXCERPT_MAX_CHARS, EnvelopeError, truncate_chars};

/// Keys shorter than this are not scrubbed: replacing a short string would mangle ordinary
/// text, and no real key is that short.
pub const MIN_REDACTED_KEY_CHARS: usize = 8;

/// What a key is replaced with.
pub const REDACTED: &str = "***";

/// The key to scrub, when there is one long enough to scrub.
fn redactable(key: Option<&ApiKey>) -> Option<&str> {
    key.map(ApiKey::expose).filter(|key| key.chars().count() >= MIN_REDACTED_KEY_CHARS)
}

/// `text` with every occurrence of the key replaced by [`REDACTED`]; borrowed unchanged when
/// there is no key, the key is too short to scrub, or it does not occur.
pub fn redact_key<'a>(text: &'a str, key: Option<&ApiKey>) -> Cow<'a, str> {
    match redactable(key) {
        Some(key) if text.contains(key) => Cow::Owned(text.replace(key, REDACTED)),
        _ => Cow::Borrowed(text),
    }
}

/// [`redact_key`] for a body that may not be UTF-8: returned as it is when the key does not
/// occur, else read as (lossy) UTF-8 with the key replaced.
pub fn redact_key_in_bytes(body: Vec<u8>, key: Option<&ApiKey>) -> Vec<u8> {
    match redactable(key) {
        Some(needle) if body.windows(needle.len()).any(|window| window == needle.as_bytes()) => {
            redact_key(&String::from_utf8_lossy(&body), key).into_owned().into_bytes()
        }
        _ => body,
    }
}

/// [`redact_key`] applied to the one envelope error that quotes the answer (the excerpt of a
/// body that is not JSON, e.g. a proxy page).
pub fn redact_key_in_envelope(error: EnvelopeError, key: Option<&ApiKey>) -> EnvelopeError {
    match error {
        EnvelopeError::NotJson { reason, excerpt } => {
            let excerpt = redact_key(&excerpt, key).into_owned();
            EnvelopeError::NotJson { reason, excerpt }
        }
        error => error,
    }
}

/// A URL fit for an error message or an export's record of the server: no credentials, no
/// query, no fragment, at most [`EXCERPT_MAX_CHARS`] characters. The one URL rule: errors,
/// the XLSX "Query" sheet, sidecars and the export dialog all quote URLs through it.
pub fn redact_url(raw: &str) -> String {
    let raw = raw.trim();
    match reqwest::Url::parse(raw) {
        Ok(mut url) => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.set_query(None);
            url.set_fragment(None);
            let mut text = url.to_string();
            // The parser adds a `/` to a bare origin; quote the URL as it was given.
            if url.path() == "/" && !raw.split(['?', '#']).next().unwrap_or(raw).ends_with('/') {
                text.pop();
            }
            truncate_chars(&text, EXCERPT_MAX_CHARS)
        }
        // Unparseable: keep only what precedes any `@` or `?`, which could hide a secret.
        Err(_) => {
            let cut = raw.find(['@', '?']).map(|index| &raw[..index]).unwrap_or(raw);
            truncate_chars(cut, EXCERPT_MAX_CHARS)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> ApiKey {
        ApiKey::new(text.to_string())
    }

    #[test]
    fn every_occurrence_of_a_long_key_is_replaced() {
        let secret = key("sk-secret-1234567");
        assert_eq!(redact_key("echo sk-secret-1234567 back", Some(&secret)), "echo *** back");
        assert_eq!(redact_key("sk-secret-1234567sk-secret-1234567", Some(&secret)), "******");
        assert!(matches!(redact_key("nothing here", Some(&secret)), Cow::Borrowed("nothing here")));
        assert_eq!(redact_key("nothing", None), "nothing");
    }

    #[test]
    fn keys_shorter_than_the_minimum_are_left_alone() {
        // Counted in characters, not bytes: seven 2-byte characters are still too short.
        let short: String = "é".repeat(MIN_REDACTED_KEY_CHARS - 1);
        let text = format!("a {short} b");
        assert_eq!(redact_key(&text, Some(&key(&short))), text);
        let long: String = "é".repeat(MIN_REDACTED_KEY_CHARS);
        assert_eq!(redact_key(&format!("a {long} b"), Some(&key(&long))), format!("a {REDACTED} b"));
    }

    #[test]
    fn bytes_and_envelopes_follow_the_same_rule() {
        let secret = key("sk-secret-1234567");
        let mut body = b"<html>\xff key=sk-secret-1234567</html>".to_vec();
        body = redact_key_in_bytes(body, Some(&secret));
        assert!(!String::from_utf8_lossy(&body).contains("sk-secret"));
        assert!(String::from_utf8_lossy(&body).contains("key=***"));
        let untouched = b"\xff no key".to_vec();
        assert_eq!(redact_key_in_bytes(untouched.clone(), Some(&secret)), untouched);

        let error = EnvelopeError::NotJson { reason: "x".into(), excerpt: "sk-secret-1234567 echoed".into() };
        assert_eq!(
            redact_key_in_envelope(error, Some(&secret)),
            EnvelopeError::NotJson { reason: "x".into(), excerpt: "*** echoed".into() }
        );
        assert_eq!(redact_key_in_envelope(EnvelopeError::Empty, Some(&secret)), EnvelopeError::Empty);
    }

    #[test]
    fn urls_lose_credentials_query_and_length() {
        assert_eq!(redact_url("https://user:pw@example.com/a?key=secret#f"), "https://example.com/a");
        assert_eq!(redact_url("not a url user:pw@host?key=secret"), "not a url user:pw");
        let long = format!("https://example.com/{}", "a".repeat(500));
        assert!(redact_url(&long).chars().count() <= EXCERPT_MAX_CHARS + 1, "{}", redact_url(&long));
    }

    #[test]
    fn urls_lose_credentials_query_and_fragment_and_keep_their_shape() {
        assert_eq!(
            redact_url("https://user:pw@api.example.com:8443/v1?key=x#frag"),
            "https://api.example.com:8443/v1"
        );
        assert_eq!(redact_url("http://127.0.0.1:8787"), "http://127.0.0.1:8787");
        assert_eq!(redact_url("http://127.0.0.1:8787/"), "http://127.0.0.1:8787/");
        assert_eq!(redact_url("https://host?key=secret"), "https://host");
        assert_eq!(redact_url("https://a@b@host/p@q"), "https://host/p@q");
    }
}
