//! Rate limits (contract §7): per organisation, a `write` and a `read` token bucket, each holding
//! a minute's budget and refilling continuously at budget/60 tokens a second.
//!
//! One node keeps its buckets in the process ([`local`]); several nodes share them in Redis
//! ([`redis`]), updated atomically by one script call. If Redis stops answering, each node falls
//! back to its own buckets (so the API keeps serving, with at most N × the budget across N nodes)
//! and logs a warning; it goes back to Redis as soon as Redis answers again. The middleware that
//! spends a token per request is [`crate::http::rate_limit`].

pub mod local;
pub mod redis;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bucket {
    Read,
    Write,
}

impl Bucket {
    pub fn name(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
        }
    }
}

/// A bucket's state after one take.
#[derive(Debug, Clone, Copy)]
pub struct Decision {
    pub allowed: bool,
    pub limit: i64,
    /// Whole tokens left.
    pub remaining: i64,
    /// Unix seconds at which the bucket is full again.
    pub reset: i64,
    /// Seconds until the next token (only meaningful when refused).
    pub retry_after: u64,
}

impl Decision {
    /// From the arithmetic shared by both stores: `tokens` left (fractional) at `now_ms`.
    pub fn new(allowed: bool, capacity: i64, tokens: f64, now_ms: i64) -> Self {
        let per_ms = capacity as f64 / 60_000.0;
        let full_in_ms = ((capacity as f64 - tokens).max(0.0) / per_ms).ceil() as i64;
        let next_in_ms = ((1.0 - tokens).max(0.0) / per_ms).ceil() as i64;
        Self {
            allowed,
            limit: capacity,
            remaining: tokens.floor().max(0.0) as i64,
            reset: (now_ms + full_in_ms + 999) / 1000,
            retry_after: ((next_in_ms + 999) / 1000).max(1) as u64,
        }
    }
}

/// Tokens after refilling `tokens` (last seen at `then_ms`) up to `now_ms`. The Redis script
/// does the same arithmetic.
pub fn refill(tokens: f64, then_ms: i64, now_ms: i64, capacity: i64) -> f64 {
    let elapsed = (now_ms - then_ms).max(0) as f64;
    (tokens + elapsed * capacity as f64 / 60_000.0).min(capacity as f64)
}

/// Where the buckets live. One per process, behind an `Arc`: the variants' sizes do not matter.
#[allow(clippy::large_enum_variant, reason = "one instance per process, behind an Arc")]
pub enum Limiter {
    Local(local::LocalBuckets),
    Redis(redis::RedisBuckets),
}

impl Limiter {
    pub async fn take(&self, org: &str, bucket: Bucket, capacity: i64) -> Decision {
        match self {
            Self::Local(buckets) => buckets.take(org, bucket, capacity),
            // Boxed: inline, the Redis round trip's large future would be copied with every
            // request's, on the local limiter too (docs/performance.md, "Futures copied per
            // request").
            Self::Redis(buckets) => Box::pin(buckets.take(org, bucket, capacity)).await,
        }
    }
}
