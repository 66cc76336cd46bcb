//! Process-wide counters, exported at `GET /metrics` in the Prometheus text format.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::ratelimit::Bucket;

static RATE_LIMITED_READ: AtomicU64 = AtomicU64::new(0);
static RATE_LIMITED_WRITE: AtomicU64 = AtomicU64::new(0);
static REDIS_FALLBACKS: AtomicU64 = AtomicU64::new(0);

pub fn rate_limited(bucket: Bucket) {
    match bucket {
        Bucket::Read => &RATE_LIMITED_READ,
        Bucket::Write => &RATE_LIMITED_WRITE,
    }
    .fetch_add(1, Ordering::Relaxed);
}

pub fn redis_fallback() {
    REDIS_FALLBACKS.fetch_add(1, Ordering::Relaxed);
}

pub fn redis_fallbacks() -> u64 {
    REDIS_FALLBACKS.load(Ordering::Relaxed)
}
