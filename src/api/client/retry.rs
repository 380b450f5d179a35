//! When to try again: the server's `Retry-After`, else exponential backoff with jitter.

use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

/// `Retry-After` as delta-seconds or an HTTP date (RFC 9110), relative to `now`.
/// A date in the past means "now"; anything unreadable is ignored (backoff applies).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    // Not in the RFC, but some servers send fractions; harmless to accept.
    if let Ok(secs) = value.parse::<f64>() {
        return Duration::try_from_secs_f64(secs).ok();
    }
    // An HTTP date is RFC 2822's date-time form (`Wed, 21 Oct 2015 07:28:00 GMT`).
    let date = jiff::fmt::rfc2822::DateTimeParser::new().parse_timestamp(value).ok()?;
    let target =
        SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(u64::try_from(date.as_second()).ok()?))?;
    Some(target.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Exponential backoff with "equal jitter": half the exponential delay, plus a random part
/// of the other half (`jitter` in 0..1), so clients that failed together spread out.
pub fn backoff_delay(attempt: u32, base: Duration, max: Duration, jitter: f64) -> Duration {
    let factor = 2u32.saturating_pow(attempt.min(20));
    let exponential = base.saturating_mul(factor).min(max);
    let half = exponential / 2;
    half + half.mul_f64(jitter.clamp(0.0, 1.0))
}

/// A pseudo-random fraction in 0..1 without a `rand` dependency: the std hasher is keyed
/// randomly per process, and a counter and the clock make each call different.
pub(super) fn jitter_fraction() -> f64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos =
        SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let seed = COUNTER.fetch_add(1, Ordering::Relaxed) ^ (u64::from(nanos) << 20);
    let hash = std::collections::hash_map::RandomState::new().hash_one(seed);
    (hash >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_470); // 2015-10-21T07:27:50Z
        assert_eq!(parse_retry_after("1", now), Some(Duration::from_secs(1)));
        assert_eq!(parse_retry_after(" 120 ", now), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after("0.5", now), Some(Duration::from_millis(500)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now), Some(Duration::from_secs(10)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let base = Duration::from_millis(100);
        let max = Duration::from_millis(2000);
        assert_eq!(backoff_delay(0, base, max, 0.0), Duration::from_millis(50));
        assert_eq!(backoff_delay(0, base, max, 1.0), Duration::from_millis(100));
        assert_eq!(backoff_delay(2, base, max, 0.5), Duration::from_millis(300));
        assert_eq!(backoff_delay(10, base, max, 1.0), max);
        assert_eq!(backoff_delay(u32::MAX, base, max, 0.0), Duration::from_millis(1000));
        let samples: Vec<f64> = (0..50).map(|_| jitter_fraction()).collect();
        assert!(samples.iter().all(|j| (0.0..1.0).contains(j)));
        let distinct = samples.iter().map(|j| j.to_bits()).collect::<std::collections::HashSet<_>>();
        assert!(distinct.len() > 40, "jitter is not varying: {distinct:?}");
    }
}
