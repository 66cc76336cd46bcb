//! The outcome rules of contract §8.4: what one attempt's answer means for the delivery.
//!
//! Any 2xx is delivered. 3xx (redirects are never followed), 408, 429, 5xx, timeouts and DNS,
//! connect and TLS failures are retried on the schedule; any other 4xx is the receiver saying
//! "never", so the delivery is dead at once. A retryable failure on the last attempt is dead too.

use std::time::Duration;

use super::schedule::RetrySchedule;

/// How an attempt ended, before any judgement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// The receiver answered. `retry_after` is its `Retry-After`, already capped.
    Status { code: u16, retry_after: Option<Duration> },
    /// No answer: the request failed on the way.
    Failed(Failure),
}

/// Why no answer came; the names are the delivery's `last_error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    Timeout,
    /// DNS, connection refused or reset, or a target refused by the address policy.
    Connect,
    Tls,
}

impl Failure {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Timeout => "timeout",
            Self::Connect => "connect_error",
            Self::Tls => "tls_error",
        }
    }
}

/// What happens to the delivery next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Delivered,
    /// `failed`, with another attempt after `delay`.
    Retry {
        error: &'static str,
        delay: Duration,
    },
    Dead {
        error: &'static str,
    },
}

impl Step {
    /// The delivery's `status` after this step.
    pub fn status(&self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Retry { .. } => "failed",
            Self::Dead { .. } => "dead",
        }
    }

    pub fn error(&self) -> Option<&'static str> {
        match self {
            Self::Delivered => None,
            Self::Retry { error, .. } | Self::Dead { error } => Some(error),
        }
    }
}

/// The step after attempt number `attempt` (1-based) got `answer`.
pub fn next_step(answer: &Answer, attempt: u32, schedule: &RetrySchedule) -> Step {
    let (error, stretch) = match *answer {
        Answer::Status { code: 200..=299, .. } => return Step::Delivered,
        Answer::Status { code: 300..=399, .. } => ("redirect", None),
        Answer::Status { code: 429 | 503, retry_after } => ("http_status", retry_after),
        Answer::Status { code: 408 | 500..=599, .. } => ("http_status", None),
        Answer::Status { .. } => return Step::Dead { error: "http_status" },
        Answer::Failed(failure) => (failure.as_str(), None),
    };
    match schedule.delay_after(attempt) {
        Some(delay) => Step::Retry { error, delay: stretch.map_or(delay, |s| s.max(delay)) },
        None => Step::Dead { error },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16) -> Answer {
        Answer::Status { code, retry_after: None }
    }

    fn fast() -> RetrySchedule {
        RetrySchedule::new(vec![Duration::from_millis(100), Duration::from_millis(200)])
    }

    #[test]
    fn any_2xx_is_delivered() {
        for code in [200, 201, 202, 204, 299] {
            assert_eq!(next_step(&status(code), 1, &fast()), Step::Delivered);
        }
    }

    #[test]
    fn redirects_timeouts_throttling_and_server_errors_are_retried() {
        let cases = [
            (status(301), "redirect"),
            (status(307), "redirect"),
            (status(408), "http_status"),
            (status(429), "http_status"),
            (status(500), "http_status"),
            (status(503), "http_status"),
            (Answer::Failed(Failure::Timeout), "timeout"),
            (Answer::Failed(Failure::Connect), "connect_error"),
            (Answer::Failed(Failure::Tls), "tls_error"),
        ];
        for (answer, expected) in cases {
            let step = next_step(&answer, 1, &fast());
            assert!(matches!(step, Step::Retry { error, .. } if error == expected), "{answer:?}");
            assert_eq!(next_step(&answer, 3, &fast()), Step::Dead { error: expected });
        }
    }

    #[test]
    fn other_client_errors_are_dead_at_once() {
        for code in [400, 401, 403, 404, 410, 422] {
            assert_eq!(next_step(&status(code), 1, &fast()), Step::Dead { error: "http_status" });
        }
    }

    #[test]
    fn retry_after_stretches_429_and_503_but_never_shortens() {
        let stretched = Answer::Status { code: 429, retry_after: Some(Duration::from_secs(5)) };
        assert_eq!(
            next_step(&stretched, 1, &fast()),
            Step::Retry { error: "http_status", delay: Duration::from_secs(5) }
        );
        let short = Answer::Status { code: 503, retry_after: Some(Duration::ZERO) };
        let Step::Retry { delay, .. } = next_step(&short, 1, &fast()) else { panic!() };
        assert!(delay >= Duration::from_millis(80));
        let ignored = Answer::Status { code: 500, retry_after: Some(Duration::from_secs(5)) };
        let Step::Retry { delay, .. } = next_step(&ignored, 1, &fast()) else { panic!() };
        assert!(delay <= Duration::from_millis(120));
    }
}
