//! What every handler shares.

use std::sync::Arc;
use std::time::Duration;

use crate::cursor::CursorKey;
use crate::keycache::KeyCache;
use crate::ratelimit::Limiter;
use crate::ratelimit::local::LocalBuckets;
use crate::ratelimit::redis::RedisBuckets;
use crate::store::Db;
use crate::webhooks::WebhookSettings;

/// How long a duplicate idempotent request waits for the first: 30 s unless configured.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(30);

/// Cloned by every extractor and middleware layer of every request, so it is one `Arc`: a clone
/// is one counter, where cloning the fields themselves (seven counters and the cursor key's bytes)
/// cost a GET 12 % of its time, the counters bouncing between the runtime's threads.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The node's shared parts, reached through [`AppState`].
#[derive(Clone)]
pub struct Shared {
    pub db: Db,
    pub cursors: CursorKey,
    pub limiter: Arc<Limiter>,
    /// How long a duplicate idempotent request waits for the first one.
    pub idempotency_wait: Duration,
    /// The most any request may take before it is answered 503 (a database that stopped
    /// answering mid-query must not hang clients).
    pub request_timeout: Duration,
    /// The operator's webhook options (receiver policy, retry schedule, timeout, retention).
    pub webhooks: Arc<WebhookSettings>,
    /// Signalled after a request commits new due deliveries, to wake this node's dispatcher.
    pub webhook_wake: Arc<tokio::sync::Notify>,
    /// API keys this node has looked up; off (every key looked up) until a
    /// [`crate::keycache::KeyPoller`] runs for it.
    pub key_cache: Arc<KeyCache>,
}

impl AppState {
    /// In-process rate limits and the default idempotency wait; loads (or creates, on first
    /// start) the shared secrets from the database.
    pub async fn new(db: Db) -> sqlx::Result<Self> {
        let mut conn = db.acquire().await?;
        let secret = crate::store::secrets::get_or_create(conn.conn(), "cursor_mac_key").await?;
        drop(conn);
        Ok(Self(Arc::new(Shared {
            db,
            cursors: CursorKey::new(secret.as_bytes()),
            limiter: Arc::new(Limiter::Local(LocalBuckets::default())),
            idempotency_wait: DEFAULT_WAIT,
            request_timeout: DEFAULT_WAIT + Duration::from_secs(30),
            webhooks: Arc::new(WebhookSettings::default()),
            webhook_wake: Arc::new(tokio::sync::Notify::new()),
            key_cache: Arc::new(KeyCache::new()),
        })))
    }

    /// The settings to change while the node is being configured (a copy if already shared).
    fn settings(&mut self) -> &mut Shared {
        Arc::make_mut(&mut self.0)
    }

    /// Shares rate-limit buckets with every node using the same Redis.
    pub fn with_redis(mut self, url: &str) -> redis::RedisResult<Self> {
        self.settings().limiter = Arc::new(Limiter::Redis(RedisBuckets::new(url)?));
        Ok(self)
    }

    /// Also keeps the request timeout 30 s beyond the wait, so a waiting duplicate can replay.
    pub fn with_idempotency_wait(mut self, wait: Duration) -> Self {
        let settings = self.settings();
        settings.idempotency_wait = wait;
        settings.request_timeout = wait + Duration::from_secs(30);
        self
    }

    pub fn with_webhooks(mut self, settings: WebhookSettings) -> Self {
        self.settings().webhooks = Arc::new(settings);
        self
    }
}
