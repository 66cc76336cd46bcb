//! When to retry and how long to wait: the pure part of the client, tested on its own.
//!
//! A call is retried on 429 (after `Retry-After` when given), on 502/503/504, on a connection
//! failure or timeout, and on `409 idempotency_in_progress` (the first request with the key is
//! still running; waiting lets its stored answer be replayed). POSTs always carry an
//! `Idempotency-Key`, reused on every retry, so retrying a write never applies it twice.

use std::time::Duration;

/// The backoff policy: exponential from `base`, capped, with jitter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Delay before the first retry (before jitter).
    pub base: Duration,
    /// Largest delay between two attempts, `Retry-After` included.
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self { base: Duration::from_millis(500), cap: Duration::from_secs(30) }
    }
}

/// What came back from one attempt, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome<'a> {
    /// An HTTP answer with this status, error code (if an envelope) and `Retry-After` (seconds).
    Status { status: u16, code: Option<&'a str>, retry_after: Option<u64> },
    /// No answer: connect error, reset, timeout.
    NoAnswer,
}

impl Outcome<'_> {
    /// True when another attempt may succeed where this one failed.
    pub fn is_retryable(&self) -> bool {
        match *self {
            Self::NoAnswer => true,
            Self::Status { status, code, .. } => {
                matches!(status, 429 | 502 | 503 | 504)
                    || (status == 409 && code == Some("idempotency_in_progress"))
            }
        }
    }
}

impl Backoff {
    /// The delay before retry number `retry` (0 for the first retry), given what the last
    /// attempt returned and a random `unit` in `[0, 1)`.
    ///
    /// Without `Retry-After`: "equal jitter", half the exponential step fixed and half random,
    /// so clients that failed together do not come back together, yet none retries at once.
    /// With `Retry-After`: that many seconds (the server knows when a token is free), plus up to
    /// a tenth more so that a crowd told the same second spreads out; both capped.
    pub fn delay(&self, retry: u32, outcome: Outcome<'_>, unit: f64) -> Duration {
        let unit = unit.clamp(0.0, 1.0);
        if let Outcome::Status { retry_after: Some(seconds), .. } = outcome {
            let wait = Duration::from_secs(seconds);
            return wait.mul_f64(1.0 + unit / 10.0).min(self.cap);
        }
        let step = self.base.saturating_mul(1u32.checked_shl(retry.min(20)).unwrap_or(u32::MAX));
        let step = step.min(self.cap);
        step / 2 + (step / 2).mul_f64(unit)
    }
}

/// A uniformly random number in `[0, 1)` from the operating system.
pub(crate) fn random_unit() -> f64 {
    let mut bytes = [0u8; 8];
    // Without randomness the delay is merely not jittered.
    let _ = getrandom::fill(&mut bytes);
    (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16) -> Outcome<'static> {
        Outcome::Status { status, code: None, retry_after: None }
    }

    #[test]
    fn retries_rate_limits_gateway_errors_and_lost_connections_only() {
        for s in [429, 502, 503, 504] {
            assert!(status(s).is_retryable(), "{s}");
        }
        assert!(Outcome::NoAnswer.is_retryable());
        for s in [200, 201, 400, 401, 404, 409, 413, 422, 500, 501] {
            assert!(!status(s).is_retryable(), "{s}");
        }
        let in_progress = Outcome::Status {
            status: 409,
            code: Some("idempotency_in_progress"),
            retry_after: None,
        };
        assert!(in_progress.is_retryable());
        let duplicate = Outcome::Status {
            status: 409,
            code: Some("duplicate_phone_number"),
            retry_after: None,
        };
        assert!(!duplicate.is_retryable());
    }

    #[test]
    fn backoff_doubles_with_jitter_within_half_to_full_step() {
        let b = Backoff { base: Duration::from_millis(100), cap: Duration::from_secs(10) };
        for retry in 0..5u32 {
            let step = Duration::from_millis(100 * (1 << retry));
            let low = b.delay(retry, status(503), 0.0);
            let high = b.delay(retry, status(503), 0.999_999);
            assert_eq!(low, step / 2, "retry {retry}");
            assert!(high < step && high > step.mul_f64(0.99), "retry {retry}: {high:?}");
        }
    }

    #[test]
    fn backoff_never_exceeds_the_cap_even_after_many_retries() {
        let b = Backoff { base: Duration::from_millis(500), cap: Duration::from_secs(3) };
        for retry in [10, 31, 32, 1000, u32::MAX] {
            assert!(b.delay(retry, Outcome::NoAnswer, 0.999) <= Duration::from_secs(3));
        }
    }

    #[test]
    fn retry_after_is_honoured_with_a_little_jitter_and_capped() {
        let b = Backoff { base: Duration::from_millis(100), cap: Duration::from_secs(30) };
        let told = |secs| Outcome::Status { status: 429, code: None, retry_after: Some(secs) };
        assert_eq!(b.delay(0, told(2), 0.0), Duration::from_secs(2));
        let jittered = b.delay(0, told(2), 0.5);
        assert!(jittered > Duration::from_secs(2) && jittered <= Duration::from_millis(2200));
        assert_eq!(b.delay(0, told(3600), 0.0), Duration::from_secs(30));
        assert_eq!(b.delay(5, told(0), 0.0), Duration::ZERO, "Retry-After: 0 means now");
    }

    #[test]
    fn random_units_lie_in_the_unit_interval() {
        for _ in 0..1000 {
            let u = random_unit();
            assert!((0.0..1.0).contains(&u));
        }
    }
}
