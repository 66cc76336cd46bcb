//! The dispatcher's loop: claim what is due and fits the free slots, start each attempt, sleep
//! until something may have become due; on shutdown stop claiming and let attempts finish.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;

use super::attempt::millis;
use super::{Dispatcher, metrics, wake};
use crate::clock;
use crate::ids::SubscriptionId;
use crate::store::attempts;
use crate::store::dispatch::{self as queue, ClaimLimits, Claimed};

/// Added to the attempt timeout for the lease: time to read the job and record the outcome.
const LEASE_MARGIN: Duration = Duration::from_secs(5);
/// How often old events and deliveries are purged, and how many rows per statement.
const PURGE_EVERY: Duration = Duration::from_secs(600);
const PURGE_BATCH: i64 = 1_000;
/// How often deliveries left due for a subscription that stopped receiving are settled
/// ([`attempts::settle_strays`]): they are rare (a race on PostgreSQL), and nothing waits on them.
/// Never more often than the loop's poll, so that a node told to poll rarely (the instruction
/// count check, where any timer inside a scenario is counted as its cost) is quiet in between.
const SETTLE_EVERY: Duration = Duration::from_secs(2);

/// How often, at most, the loop looks up the next scheduled attempt while attempts are in flight.
const LOOK_EVERY: Duration = Duration::from_secs(1);

/// A running dispatcher; [`DispatcherHandle::shutdown`] stops it.
pub struct DispatcherHandle {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl DispatcherHandle {
    /// Stops claiming at once; attempts in flight get up to `grace` to finish. An attempt cut
    /// off after that keeps its lease, which expires, and the delivery is sent again.
    pub async fn shutdown(self, grace: Duration) {
        let _ = self.stop.send(true);
        let mut task = self.task;
        if tokio::time::timeout(grace, &mut task).await.is_err() {
            task.abort();
        }
    }
}

impl Dispatcher {
    /// Starts the loop, the retention purge, the settling of strays and, on PostgreSQL, the
    /// `LISTEN` for other nodes.
    pub fn spawn(self) -> DispatcherHandle {
        let dispatcher = Arc::new(self);
        let (stop, stopped) = watch::channel(false);
        let listener = wake::listen(&dispatcher.db, dispatcher.wake.clone());
        let purge = tokio::spawn(dispatcher.clone().purge_forever());
        let settle = tokio::spawn(dispatcher.clone().settle_forever());
        let task = tokio::spawn(async move {
            dispatcher.run(stopped).await;
            listener.abort();
            purge.abort();
            settle.abort();
        });
        DispatcherHandle { stop, task }
    }

    async fn run(self: Arc<Self>, mut stopped: watch::Receiver<bool>) {
        let mut in_flight = JoinSet::new();
        let mut looked = Instant::now();
        while !*stopped.borrow() {
            while in_flight.try_join_next().is_some() {}
            let full = match self.claim_round(&mut in_flight).await {
                Ok(full) => full,
                Err(error) => {
                    tracing::warn!(%error, "webhook dispatcher: claim failed");
                    false
                }
            };
            if full {
                continue;
            }
            // While attempts are in flight, each end wakes the loop to claim again; what is
            // scheduled later is looked up (and the backlog gauge set) at most every LOOK_EVERY,
            // not at every end: on a large backlog the look-up costs more than the claim.
            let pause = if in_flight.is_empty() || looked.elapsed() >= LOOK_EVERY {
                looked = Instant::now();
                self.until_next_due().await
            } else {
                self.config.poll
            };
            tokio::select! {
                () = self.wake.notified() => {}
                () = self.freed.notified() => {}
                () = tokio::time::sleep(pause) => {}
                changed = stopped.changed() => {
                    // The handle was dropped: nobody is left to stop the loop, so stop now.
                    if changed.is_err() {
                        break;
                    }
                }
            }
        }
        while in_flight.join_next().await.is_some() {}
    }

    /// Claims as many due deliveries as there are free slots and starts them; true when the
    /// claim came back full, i.e. more may be waiting right now.
    async fn claim_round(self: &Arc<Self>, in_flight: &mut JoinSet<()>) -> sqlx::Result<bool> {
        let free = self.global.available_permits();
        if free == 0 {
            return Ok(false);
        }
        let busy = self.busy_subscriptions();
        let limits = ClaimLimits {
            total: free as i64,
            per_subscription: self.config.per_subscription as i64,
            in_flight: &busy,
        };
        let now = clock::now_ms();
        let lease_until = now + millis(self.config.timeout + LEASE_MARGIN);
        let mut tx = self.db.begin().await?;
        let claimed = queue::claim(tx.conn(), &self.node, now, lease_until, &limits).await?;
        tx.commit().await?;
        let full = claimed.len() == free;
        for delivery in claimed {
            match self.slots(&delivery.subscription_id) {
                Some(permits) => {
                    let me = self.clone();
                    in_flight.spawn(async move { me.attempt_with(delivery, permits).await });
                }
                None => {
                    let mut tx = self.db.begin().await?;
                    queue::release(tx.conn(), &self.node, &delivery.id).await?;
                    tx.commit().await?;
                }
            }
        }
        Ok(full)
    }

    async fn attempt_with(&self, delivery: Claimed, permits: [OwnedSemaphorePermit; 2]) {
        if let Err(error) = self.attempt(&delivery).await {
            tracing::warn!(%error, delivery_id = %delivery.id, "webhook attempt not recorded");
        }
        drop(permits);
        self.freed.notify_one();
    }

    /// A global slot and one of the subscription's, or `None` when either is taken.
    fn slots(&self, subscription: &SubscriptionId) -> Option<[OwnedSemaphorePermit; 2]> {
        let own = {
            let mut map =
                self.per_subscription.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let slots = map
                .entry(subscription.clone())
                .or_insert_with(|| Arc::new(Semaphore::new(self.config.per_subscription)));
            slots.clone().try_acquire_owned().ok()?
        };
        let global = self.global.clone().try_acquire_owned().ok()?;
        Some([global, own])
    }

    /// Subscriptions with attempts in flight, and how many; idle entries are dropped on the way.
    fn busy_subscriptions(&self) -> Vec<(SubscriptionId, i64)> {
        let mut map =
            self.per_subscription.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let all = self.config.per_subscription;
        map.retain(|_, slots| slots.available_permits() < all);
        map.iter()
            .map(|(id, slots)| (id.clone(), (all - slots.available_permits()) as i64))
            .collect()
    }

    /// Updates the backlog gauge and says how long to sleep: until the next scheduled attempt,
    /// at most the configured poll, which bounds how late a first attempt can be when every
    /// wake-up signal was missed (another node's commit on SQLite, a dropped `LISTEN`).
    async fn until_next_due(&self) -> Duration {
        let earliest = match self.db.acquire().await {
            Ok(mut conn) => attempts::earliest_due(conn.conn()).await.ok().flatten(),
            Err(_) => None,
        };
        let now = clock::now_ms();
        metrics::set_backlog_age(earliest.map_or(0, |at| (now - at).max(0)));
        match earliest {
            Some(at) if at > now => self.config.poll.min(Duration::from_millis((at - now) as u64)),
            _ => self.config.poll,
        }
    }

    async fn purge_forever(self: Arc<Self>) {
        loop {
            let cutoff = clock::now_ms() - millis(self.config.retention);
            loop {
                let purged = self.purge_batch(cutoff).await;
                match purged {
                    Ok(n) if n > 0 => tracing::info!(purged = n, "old webhook events purged"),
                    Ok(_) => break,
                    Err(error) => {
                        tracing::warn!(%error, "webhook retention purge failed");
                        break;
                    }
                }
            }
            tokio::time::sleep(PURGE_EVERY).await;
        }
    }

    async fn settle_forever(self: Arc<Self>) {
        loop {
            tokio::time::sleep(SETTLE_EVERY.max(self.config.poll)).await;
            match self.settle().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(
                    settled = n,
                    "webhook deliveries of stopped subscriptions settled"
                ),
                Err(error) => tracing::warn!(%error, "settling webhook deliveries failed"),
            }
        }
    }

    async fn settle(&self) -> sqlx::Result<u64> {
        let mut tx = self.db.begin().await?;
        let settled = attempts::settle_strays(tx.conn(), clock::now_ms()).await?;
        tx.commit().await?;
        Ok(settled)
    }

    async fn purge_batch(&self, cutoff: i64) -> sqlx::Result<u64> {
        let mut tx = self.db.begin().await?;
        let purged = attempts::purge_before(tx.conn(), cutoff, PURGE_BATCH).await?;
        tx.commit().await?;
        Ok(purged)
    }
}
