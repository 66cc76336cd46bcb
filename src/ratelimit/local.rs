//! Buckets in this process: one node's budget, or the fallback while Redis is away.

use std::collections::HashMap;
use std::sync::Mutex;

use super::{Bucket, Decision, refill};
use crate::clock;

/// Above this many buckets, full ones (which carry no information) are dropped.
const PRUNE_ABOVE: usize = 10_000;

#[derive(Default)]
pub struct LocalBuckets {
    state: Mutex<Buckets>,
}

#[derive(Default)]
struct Buckets {
    by_org: HashMap<(String, Bucket), Level>,
    /// The size past which the next prune runs: [`PRUNE_ABOVE`], or twice what the last prune
    /// kept, so that a map of busy buckets is not walked on every request.
    prune_above: usize,
}

/// A bucket's tokens at `then_ms`, and its capacity then: a bucket is full by its own
/// organisation's plan, not by the plan of the request that happens to prune.
struct Level {
    tokens: f64,
    then_ms: i64,
    capacity: i64,
}

impl Level {
    fn tokens_at(&self, now_ms: i64) -> f64 {
        refill(self.tokens, self.then_ms, now_ms, self.capacity)
    }
}

impl LocalBuckets {
    pub fn take(&self, org: &str, bucket: Bucket, capacity: i64) -> Decision {
        let now = clock::now_ms();
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if state.by_org.len() > state.prune_above.max(PRUNE_ABOVE) {
            state.by_org.retain(|_, level| level.tokens_at(now) < level.capacity as f64);
            state.prune_above = state.by_org.len() * 2;
        }
        let level = state.by_org.entry((org.to_owned(), bucket)).or_insert(Level {
            tokens: capacity as f64,
            then_ms: now,
            capacity,
        });
        // A plan changed since the last request counts with its new capacity.
        level.capacity = capacity;
        let mut tokens = level.tokens_at(now);
        let allowed = tokens >= 1.0;
        if allowed {
            tokens -= 1.0;
        }
        (level.tokens, level.then_ms) = (tokens, now);
        Decision::new(allowed, capacity, tokens, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_capacity_then_refuses() {
        let buckets = LocalBuckets::default();
        let allowed = (0..70).filter(|_| buckets.take("org_a", Bucket::Write, 60).allowed).count();
        assert_eq!(allowed, 60);
        let refused = buckets.take("org_a", Bucket::Write, 60);
        assert!(!refused.allowed);
        assert_eq!(refused.remaining, 0);
        assert_eq!(refused.retry_after, 1);
        assert!(buckets.take("org_a", Bucket::Read, 600).allowed, "buckets are separate");
        assert!(buckets.take("org_b", Bucket::Write, 60).allowed, "organisations are separate");
    }

    #[test]
    fn pruning_keeps_a_bucket_that_is_not_full_by_its_own_capacity() {
        let buckets = LocalBuckets::default();
        // 100 of 600 spent: it refills at 10 a second, so it is far from full for seconds.
        for _ in 0..100 {
            buckets.take("org_pro", Bucket::Read, 600);
        }
        // Enough other buckets to make the next request prune.
        for i in 0..=PRUNE_ABOVE {
            buckets.take(&format!("org_{i}"), Bucket::Write, 60);
        }
        // This request prunes; by its own capacity (60) the pro bucket would count as full.
        buckets.take("org_free", Bucket::Write, 60);
        let pro = buckets.take("org_pro", Bucket::Read, 600);
        assert!(pro.remaining < 590, "the pro bucket was kept: {} left", pro.remaining);
    }

    #[test]
    fn refill_is_proportional_and_capped() {
        assert_eq!(refill(0.0, 0, 30_000, 60), 30.0);
        assert_eq!(refill(50.0, 0, 60_000, 60), 60.0);
    }
}
