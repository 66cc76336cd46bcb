//! Buckets in Redis, shared by every node: one Lua script call takes a token atomically, using
//! Redis's own clock so that nodes with skewed clocks still agree.
//!
//! Every call is bounded by a short timeout. When Redis fails or is slow, the node answers from
//! its local buckets, counts the fallback and warns (at most once every 10 s).

use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::local::LocalBuckets;
use super::{Bucket, Decision};
use crate::clock;

/// Longest a request waits on Redis before falling back.
const TIMEOUT: Duration = Duration::from_millis(250);
/// How often a node without a connection tries to make one.
const RECONNECT_EVERY: Duration = Duration::from_secs(1);

const SCRIPT: &str = r"
local capacity = tonumber(ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or capacity
local ts = tonumber(state[2]) or now
local elapsed = now - ts
if elapsed < 0 then elapsed = 0 end
tokens = math.min(capacity, tokens + elapsed * capacity / 60000)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], 120000)
return {allowed, tostring(tokens), tostring(now)}
";

pub struct RedisBuckets {
    client: redis::Client,
    script: redis::Script,
    connection: tokio::sync::Mutex<Option<ConnectionManager>>,
    last_attempt: Mutex<Option<Instant>>,
    fallback: LocalBuckets,
    last_warning_ms: AtomicI64,
}

impl RedisBuckets {
    /// Never fails on an unreachable Redis: the node starts on local buckets and connects later.
    pub fn new(url: &str) -> redis::RedisResult<Self> {
        Ok(Self {
            client: redis::Client::open(url)?,
            script: redis::Script::new(SCRIPT),
            connection: tokio::sync::Mutex::new(None),
            last_attempt: Mutex::new(None),
            fallback: LocalBuckets::default(),
            last_warning_ms: AtomicI64::new(0),
        })
    }

    pub async fn take(&self, org: &str, bucket: Bucket, capacity: i64) -> Decision {
        match tokio::time::timeout(TIMEOUT, self.take_shared(org, bucket, capacity)).await {
            Ok(Ok(decision)) => decision,
            Ok(Err(error)) => self.fall_back(org, bucket, capacity, &error.to_string()),
            Err(_) => self.fall_back(org, bucket, capacity, "timed out"),
        }
    }

    async fn take_shared(
        &self,
        org: &str,
        bucket: Bucket,
        capacity: i64,
    ) -> redis::RedisResult<Decision> {
        let mut conn = self.connection().await?;
        let key = format!("kirim:ratelimit:{org}:{}", bucket.name());
        let (allowed, tokens, now): (i64, String, String) =
            self.script.key(key).arg(capacity).invoke_async(&mut conn).await?;
        let tokens = tokens.parse::<f64>().unwrap_or(0.0);
        let now = now.parse::<i64>().unwrap_or_else(|_| clock::now_ms());
        Ok(Decision::new(allowed == 1, capacity, tokens, now))
    }

    /// The shared connection (it reconnects by itself once made); made lazily, at most once a
    /// second while Redis is unreachable.
    async fn connection(&self) -> redis::RedisResult<ConnectionManager> {
        let mut slot = self.connection.lock().await;
        if let Some(conn) = slot.as_ref() {
            return Ok(conn.clone());
        }
        {
            let mut last =
                self.last_attempt.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if last.is_some_and(|at| at.elapsed() < RECONNECT_EVERY) {
                return Err(redis::RedisError::from((redis::ErrorKind::Io, "not connected")));
            }
            *last = Some(Instant::now());
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(TIMEOUT))
            .set_response_timeout(Some(TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_secs(1));
        let conn = ConnectionManager::new_with_config(self.client.clone(), config).await?;
        *slot = Some(conn.clone());
        Ok(conn)
    }

    fn fall_back(&self, org: &str, bucket: Bucket, capacity: i64, why: &str) -> Decision {
        crate::metrics::redis_fallback();
        let now = clock::now_ms();
        let last = self.last_warning_ms.load(Ordering::Relaxed);
        if now - last > 10_000
            && self
                .last_warning_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing::warn!(
                reason = why,
                "Redis unavailable: rate limits fall back to this node's buckets"
            );
        }
        self.fallback.take(org, bucket, capacity)
    }
}
