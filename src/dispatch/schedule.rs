//! When the next attempt goes out (contract §8.4): the operator's delays before attempts 2..n,
//! each with ±20 % jitter so a receiver coming back from an outage is not hit by every delivery
//! in the same second, stretched by a receiver's `Retry-After` (capped at 24 h).

use std::time::{Duration, SystemTime};

use crate::ids::random_bytes;

/// The longest any receiver can push back the next attempt with `Retry-After`.
pub const RETRY_AFTER_CAP: Duration = Duration::from_secs(24 * 3600);
/// Jitter, as a fraction of the delay, either way.
const JITTER: f64 = 0.2;

/// Delays before attempts 2, 3, …; the number of attempts is one more than the delays.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetrySchedule(Vec<Duration>);

impl RetrySchedule {
    /// From the operator's delays (`KIRIM_WEBHOOK_RETRY_SCHEDULE`).
    pub fn new(delays: Vec<Duration>) -> Self {
        Self(delays)
    }

    /// The most attempts a delivery gets before it is `dead`.
    pub fn max_attempts(&self) -> u32 {
        self.0.len() as u32 + 1
    }

    /// The jittered delay after failed attempt `attempt` (1-based), or `None` when it was the last.
    pub fn delay_after(&self, attempt: u32) -> Option<Duration> {
        let base = *self.0.get(attempt.checked_sub(1)? as usize)?;
        Some(jitter(base))
    }
}

/// `base` scaled by a uniform factor in [0.8, 1.2].
fn jitter(base: Duration) -> Duration {
    let unit = f64::from(u32::from_le_bytes(random_bytes())) / f64::from(u32::MAX);
    base.mul_f64(1.0 - JITTER + 2.0 * JITTER * unit)
}

/// A `Retry-After` value (delay seconds or an HTTP date) as a delay from `now`, capped at 24 h.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    let delay = match value.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => httpdate::parse_http_date(value).ok()?.duration_since(now).unwrap_or_default(),
    };
    Some(delay.min(RETRY_AFTER_CAP))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_are_jittered_within_a_fifth_and_end_after_the_last() {
        let schedule = RetrySchedule::new(vec![Duration::from_secs(10), Duration::from_secs(3600)]);
        for _ in 0..200 {
            let d = schedule.delay_after(1).unwrap();
            assert!(d >= Duration::from_secs(8) && d <= Duration::from_secs(12), "{d:?}");
        }
        assert!(schedule.delay_after(2).unwrap() >= Duration::from_secs(2880));
        assert_eq!(schedule.delay_after(3), None);
        assert_eq!(schedule.delay_after(0), None);
    }

    #[test]
    fn retry_after_takes_seconds_or_a_date_and_is_capped() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(parse_retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:50:37 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("999999", now), Some(RETRY_AFTER_CAP));
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
