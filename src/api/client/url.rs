//! The checks a base URL must pass before any request: http(s) only, a host, no
//! credentials, query or fragment, and plain `http://` only to this computer (the key would
//! travel unencrypted). Errors quote the URL through [`redact_url`].

use std::net::IpAddr;

use super::ClientError;
use crate::api::redact::redact_url;

/// Checks and normalises a base URL; returns it without a trailing slash, and whether the
/// host is this computer.
pub(super) fn validate_base_url(raw: &str) -> Result<(String, bool), ClientError> {
    let trimmed = raw.trim();
    let invalid =
        |reason: &str| ClientError::InvalidUrl { url: redact_url(trimmed), reason: reason.to_string() };
    if trimmed.is_empty() {
        return Err(invalid("it is empty"));
    }
    let url = reqwest::Url::parse(trimmed).map_err(|err| invalid(&err.to_string()))?;
    let scheme = url.scheme();
    if scheme != "http" && scheme != "https" {
        return Err(invalid(&format!(
            "the scheme must be https:// (or http:// for this computer), not {scheme}://"
        )));
    }
    let Some(host) = url.host_str() else {
        return Err(invalid("it has no host"));
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("it contains credentials; put the key in the API key field instead"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("it must not have a query (?…) or fragment (#…)"));
    }
    let is_loopback = is_loopback_host(host);
    if scheme == "http" && !is_loopback {
        return Err(ClientError::InsecureUrl { url: redact_url(trimmed) });
    }
    let normalised = url.as_str().trim_end_matches('/').to_string();
    Ok((normalised, is_loopback))
}

/// `localhost`, 127.0.0.0/8 and ::1 (also IPv4-mapped). `host` is as `Url::host_str` gives
/// it: IPv6 in brackets.
fn is_loopback_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.eq_ignore_ascii_case("localhost") || bare.eq_ignore_ascii_case("localhost.") {
        return true;
    }
    match bare.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => ip.is_loopback(),
        Ok(IpAddr::V6(ip)) => ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for host in ["localhost", "LOCALHOST", "127.0.0.1", "127.3.2.1", "[::1]", "[::ffff:127.0.0.1]"] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in ["example.com", "10.0.0.1", "[::2]", "localhost.example.com", "128.0.0.1"] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn base_url_validation() {
        let ok = |url: &str| validate_base_url(url).unwrap();
        assert_eq!(
            ok("https://api.analytics.inkeep.com/"),
            ("https://api.analytics.inkeep.com".to_string(), false)
        );
        assert_eq!(ok(" http://127.0.0.1:8787 "), ("http://127.0.0.1:8787".to_string(), true));
        assert_eq!(
            ok("https://gw.example.com/analytics/"),
            ("https://gw.example.com/analytics".to_string(), false)
        );
        assert_eq!(ok("http://[::1]:9/").0, "http://[::1]:9");
        assert!(matches!(validate_base_url("http://example.com"), Err(ClientError::InsecureUrl { .. })));
        assert!(matches!(validate_base_url("http://10.1.1.1:80"), Err(ClientError::InsecureUrl { .. })));
        for bad in
            ["", "not a url", "ftp://example.com", "https://user:pw@example.com", "https://x.com/?key=1"]
        {
            assert!(matches!(validate_base_url(bad), Err(ClientError::InvalidUrl { .. })), "{bad}");
        }
        let err = validate_base_url("https://user:hunter2secret@example.com").unwrap_err().to_string();
        assert!(!err.contains("hunter2secret"), "{err}");
        let err = validate_base_url("ftp://example.com?token=abcdefgh").unwrap_err().to_string();
        assert!(!err.contains("abcdefgh"), "{err}");
    }
}
