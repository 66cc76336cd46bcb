//! The revoker's side: after a change to keys or organisations has committed, wait until no
//! node can still serve the old state from its cache.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::store::{self, Db};

/// How often the registry is read while waiting.
const CHECK_EVERY: Duration = Duration::from_millis(5);

#[derive(Debug, thiserror::Error)]
pub enum ConfirmError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A node kept beating for longer than its lease without acknowledging: not something a
    /// node of this version does, but the wait must end.
    #[error("node(s) {0} kept polling without acknowledging the change")]
    Unacknowledged(String),
}

/// What the waiter has seen of one node that has not acknowledged yet.
struct Watch {
    beat: i64,
    /// When the waiter first saw `beat` (after the answer that showed it, never before).
    beat_seen: Instant,
    pending_since: Instant,
}

/// Returns once every registered node has acknowledged the current generation (it emptied its
/// cache after the change), or has not beaten for its lease (its row is then deleted: the node
/// stopped trusting its cache long before, and must register again to trust it anew). Call it
/// after the change has committed. Takes about one poll interval, or a lease when a node has
/// stopped.
pub async fn wait_for_every_node(db: &Db) -> Result<(), ConfirmError> {
    let mut conn = db.acquire().await?;
    let generation = store::key_cache::generation(conn.conn()).await?;
    let mut watched: HashMap<String, Watch> = HashMap::new();
    loop {
        let pending = store::key_cache::pending(conn.conn(), generation).await?;
        let seen = Instant::now();
        if pending.is_empty() {
            return Ok(());
        }
        watched.retain(|id, _| pending.iter().any(|node| node.node_id == *id));
        let mut stuck = Vec::new();
        for node in &pending {
            let lease = Duration::from_millis(u64::try_from(node.lease_ms).unwrap_or(0));
            let watch = watched.entry(node.node_id.clone()).or_insert(Watch {
                beat: node.beat,
                beat_seen: seen,
                pending_since: seen,
            });
            if watch.beat != node.beat {
                // Alive: its next poll reads the new generation and acknowledges it.
                watch.beat = node.beat;
                watch.beat_seen = seen;
                if seen.duration_since(watch.pending_since) > lease {
                    stuck.push(node.node_id.clone());
                }
            } else if seen.duration_since(watch.beat_seen) >= lease {
                // No beat for a whole lease of this clock since a moment after the change: the
                // node's last successful poll started before that, so it stopped serving from its
                // cache half a lease ago. Deleted only if it still has not beaten (else the next
                // look sees the new beat).
                store::key_cache::remove_lapsed(conn.conn(), &node.node_id, node.beat).await?;
            }
        }
        if !stuck.is_empty() {
            return Err(ConfirmError::Unacknowledged(stuck.join(", ")));
        }
        tokio::time::sleep(CHECK_EVERY).await;
    }
}
