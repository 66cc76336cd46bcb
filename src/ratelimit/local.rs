//! Buckets in this process: one node's budget, or the fallback while Redis is away.

use std::collections::HashMap;
use std::sync::Mutex;

use super::{Bucket, Decision, refill};
use crate::clock;

/// Above this many buckets, full ones (which carry no information) are dropped.
const PRUNE_ABOVE: usize = 10_000;

#[derive(Default)]
pub struct LocalBuckets {
    buckets: Mutex<HashMap<(String, Bucket), (f64, i64)>>,
}

impl LocalBuckets {
    pub fn take(&self, org: &str, bucket: Bucket, capacity: i64) -> Decision {
        let now = clock::now_ms();
        let mut buckets = self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() > PRUNE_ABOVE {
            buckets.retain(|_, (tokens, then)| {
                refill(*tokens, *then, now, capacity) < capacity as f64
            });
        }
        let state = buckets.entry((org.to_owned(), bucket)).or_insert((capacity as f64, now));
        let mut tokens = refill(state.0, state.1, now, capacity);
        let allowed = tokens >= 1.0;
        if allowed {
            tokens -= 1.0;
        }
        *state = (tokens, now);
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
    fn refill_is_proportional_and_capped() {
        assert_eq!(refill(0.0, 0, 30_000, 60), 30.0);
        assert_eq!(refill(50.0, 0, 60_000, 60), 60.0);
    }
}
