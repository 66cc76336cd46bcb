//! The sending side of webhooks (contract §8.3–§8.5): a dispatcher that claims due deliveries
//! from the outbox under a lease, signs and sends each outside any transaction, and records the
//! outcome under that lease.
//!
//! Concurrency is bounded twice: a global cap on attempts in flight, and a smaller one per
//! subscription, so one slow receiver only ever occupies its own few slots. The dispatcher wakes
//! on the in-process signal of a commit, on PostgreSQL `NOTIFY` from other nodes, on an attempt
//! finishing, and at the next scheduled retry, with a short poll as the fallback for all of them.

mod attempt;
pub mod client;
pub mod metrics;
pub mod outcome;
mod run;
pub mod schedule;
pub mod sign;
mod wake;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, Semaphore};

use self::client::WebhookClient;
pub use self::run::DispatcherHandle;
use self::schedule::RetrySchedule;
use crate::ids::SubscriptionId;
use crate::store::Db;
use crate::webhooks::WebhookSettings;
use crate::webhooks::secret::{self, Stored};

/// The PostgreSQL channel a commit that recorded deliveries notifies.
pub const CHANNEL: &str = "kirim_webhooks";

/// Turns a stored secret into the `whsec_…` string it signs with (`None`: cannot be opened).
pub type SecretOpener = Arc<dyn Fn(&Stored) -> Option<String> + Send + Sync>;

/// How the dispatcher sends.
#[derive(Clone)]
pub struct DispatchConfig {
    /// Allow `http://` and private, loopback and link-local targets (tests, on-premises).
    pub allow_private: bool,
    pub schedule: RetrySchedule,
    /// For one whole exchange with a receiver.
    pub timeout: Duration,
    /// Events and deliveries older than this are purged.
    pub retention: Duration,
    /// The loop's longest sleep without looking for due deliveries.
    pub poll: Duration,
    /// Attempts in flight on this node, in all.
    pub global_in_flight: usize,
    /// Attempts in flight on this node, per subscription.
    pub per_subscription: usize,
    /// Reads a stored secret (decrypting it when the operator set a key).
    pub open_secret: SecretOpener,
}

impl DispatchConfig {
    /// The operator's settings, with the default concurrency bounds.
    pub fn new(settings: &WebhookSettings) -> Self {
        let key = settings.secret_key.clone();
        Self {
            allow_private: settings.allow_private,
            schedule: RetrySchedule::new(settings.retry_schedule.clone()),
            timeout: settings.timeout,
            retention: settings.retention,
            poll: settings.poll,
            global_in_flight: 64,
            per_subscription: 4,
            open_secret: Arc::new(move |stored: &Stored| {
                match secret::open(key.as_ref(), stored) {
                    Ok(plain) => Some(plain),
                    Err(error) => {
                        tracing::error!(%error, "a webhook signing secret cannot be read");
                        None
                    }
                }
            }),
        }
    }
}

/// One node's dispatcher.
pub struct Dispatcher {
    db: Db,
    config: DispatchConfig,
    client: WebhookClient,
    /// This process's lease owner name, fresh on every start.
    node: String,
    global: Arc<Semaphore>,
    per_subscription: Mutex<HashMap<SubscriptionId, Arc<Semaphore>>>,
    /// Woken by commits that recorded deliveries (and by `NOTIFY` from other nodes).
    wake: Arc<Notify>,
    /// Woken when an attempt finishes and frees a slot.
    freed: Notify,
}

impl Dispatcher {
    pub fn new(db: Db, config: DispatchConfig, wake: Arc<Notify>) -> Self {
        Self {
            client: WebhookClient::new(config.allow_private, config.timeout),
            global: Arc::new(Semaphore::new(config.global_in_flight)),
            node: format!("node_{}", crate::ids::ulid()),
            per_subscription: Mutex::default(),
            freed: Notify::new(),
            db,
            config,
            wake,
        }
    }
}
