//! The node's side: register, poll the key epoch, empty the cache when it moves, acknowledge.

use std::sync::Arc;

use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::{KeyCache, KeyCacheSettings};
use crate::store::{self, Db};
use crate::{clock, ids};

/// The background task that keeps a node's [`KeyCache`] in use, and in step with the database.
pub struct KeyPoller {
    stop: Arc<Notify>,
    task: JoinHandle<()>,
}

struct Node {
    id: String,
    db: Db,
    cache: Arc<KeyCache>,
    settings: KeyCacheSettings,
    registered: bool,
    /// Whether the last poll failed, so a failure is logged once and the recovery once.
    failing: bool,
}

impl KeyPoller {
    /// Turns the cache on, registers this node and polls once before returning (so the cache is
    /// in use from the first request), then polls every `settings.poll_every` in the background.
    /// Failures are logged and retried; while polls fail the node looks every key up.
    pub async fn start(db: Db, cache: Arc<KeyCache>, settings: KeyCacheSettings) -> Self {
        cache.enable(settings.fresh_for());
        let mut node = Node {
            id: format!("node_{}", ids::ulid().to_lowercase()),
            db,
            cache,
            settings,
            registered: false,
            failing: false,
        };
        node.poll().await;
        let stop = Arc::new(Notify::new());
        let task = tokio::spawn(node.run(stop.clone()));
        Self { stop, task }
    }

    /// Stops polling, turns the cache off and leaves the registry. Called once the node serves
    /// no more requests.
    pub async fn stop(self) {
        self.stop.notify_one();
        let _ = self.task.await;
    }

    /// Stops polling at once and leaves the node's row behind, as a poller stuck on its database
    /// would: the node stops trusting its cache when its last poll is too old, and a revocation
    /// waits for the row's lease. For tests of exactly that.
    pub fn abandon(self) {
        self.task.abort();
    }
}

impl Node {
    async fn run(mut self, stop: Arc<Notify>) {
        loop {
            tokio::select! {
                () = tokio::time::sleep(self.settings.poll_every) => self.poll().await,
                () = stop.notified() => break,
            }
        }
        self.cache.disable();
        if self.registered {
            let leave = async {
                let mut conn = self.db.acquire().await?;
                store::key_cache::deregister(conn.conn(), &self.id).await
            };
            // Best effort: a row left behind lapses, and the next revocation removes it.
            match tokio::time::timeout(self.settings.lease(), leave).await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => tracing::warn!(%error, "could not leave the key-cache registry"),
                Err(_) => tracing::warn!("could not leave the key-cache registry in time"),
            }
        }
    }

    async fn poll(&mut self) {
        // Freshness counts from before the poll's first statement, never from its answer: the
        // generation it reads is at least this recent.
        let started = self.cache.now();
        // A poll that hangs (a stalled database link) is given up after the lease; the cache is
        // not trusted meanwhile anyway.
        let outcome = tokio::time::timeout(self.settings.lease(), self.poll_once()).await;
        match outcome {
            Ok(Ok(true)) => {
                self.cache.polled(started);
                if self.failing {
                    tracing::info!("key cache: polling the database again");
                }
                self.failing = false;
            }
            Ok(Ok(false)) => {
                self.cache.distrust();
                self.registered = false;
                tracing::warn!(
                    node = %self.id,
                    "key cache: this node's registration was removed after its polls stopped; \
                     registering again"
                );
            }
            Ok(Err(error)) => self.failed(&error.to_string()),
            Err(_) => self.failed("no answer within the lease"),
        }
    }

    fn failed(&mut self, why: &str) {
        if !self.failing {
            tracing::warn!(
                error = why,
                "key cache: cannot poll the database; looking every key up until it answers"
            );
        }
        self.failing = true;
    }

    /// One poll: (register,) read the generation, empty the cache if it moved, then acknowledge.
    /// False when the node's row is gone.
    async fn poll_once(&mut self) -> sqlx::Result<bool> {
        let mut conn = self.db.acquire().await?;
        if !self.registered {
            let lease_ms = i64::try_from(self.settings.lease().as_millis()).unwrap_or(i64::MAX);
            store::key_cache::register(conn.conn(), &self.id, lease_ms, clock::now_ms()).await?;
            self.registered = true;
            self.cache.clear();
        }
        let generation = store::key_cache::generation(conn.conn()).await?;
        drop(conn);
        self.cache.observe(generation);
        // The acknowledgement is a write. On SQLite it takes its turn at the write gate (before
        // a connection, as transactions do), or under bulk load it could wait on the busy handler
        // for longer than the cache stays trusted. It stays one autocommit statement: a node
        // paused inside a transaction would hold the registry row a revocation must delete.
        let _turn = self.db.write_turn().await;
        let mut conn = self.db.acquire().await?;
        store::key_cache::heartbeat(conn.conn(), &self.id, generation, clock::now_ms()).await
    }
}
