//! A per-node cache of the API-key lookup that keeps revocation immediate on every node.
//!
//! The protocol, in short (the argument is in docs/performance.md, "The key lookup and
//! revocation"):
//!
//! - Every change to what the lookup returns moves `key_epoch.generation` in its own transaction
//!   (database triggers, migration 0005).
//! - Each node registers in `key_cache_nodes` and polls the generation ([`KeyPoller`]); when it
//!   has moved, the node empties its cache, then acknowledges the generation and beats.
//! - A node uses its cache only while its last successful poll started less than
//!   [`KeyCacheSettings::fresh_for`] ago (its own monotonic clock); otherwise it looks keys up.
//! - A lookup's answer enters the cache only if the cache was not emptied while it ran, so a
//!   lookup that raced a revocation cannot put the key back.
//! - A revocation, after its commit, waits until every registered node has acknowledged the new
//!   generation or has not beaten for its lease, in which case it deletes the node's row
//!   ([`wait_for_every_node`]); a node whose row is gone registers again before it trusts a poll.

mod confirm;
mod poller;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

pub use confirm::{ConfirmError, wait_for_every_node};
pub use poller::KeyPoller;

use crate::clock;
use crate::store::Conn;
use crate::store::keys::{self, KeyOwner};

/// How often a node polls the key epoch unless configured.
pub const DEFAULT_POLL: Duration = Duration::from_millis(50);
/// Keys held at most; a full cache is emptied and fills again with the keys in use.
const CAPACITY: usize = 10_000;

/// How often a node polls; how long it trusts a poll and its lease follow from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyCacheSettings {
    pub poll_every: Duration,
}

impl Default for KeyCacheSettings {
    fn default() -> Self {
        Self { poll_every: DEFAULT_POLL }
    }
}

impl KeyCacheSettings {
    /// How long after the start of its last successful poll a node still serves from its cache:
    /// twenty polls, so a few slow ones do not turn the cache off.
    pub fn fresh_for(&self) -> Duration {
        self.poll_every * 20
    }

    /// How long a revoker waits for a node that neither acknowledges nor beats before deleting
    /// its row: twice [`Self::fresh_for`], so the node has stopped using its cache by then even
    /// if its clock ran at half the revoker's speed.
    pub fn lease(&self) -> Duration {
        self.fresh_for() * 2
    }
}

/// How the node's key lookups went since it started, for `/metrics` and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LookupCounts {
    /// Answered from the cache.
    pub hits: u64,
    /// Not in the cache: looked up (and cached if found).
    pub misses: u64,
    /// Looked up without the cache, because the node's last successful poll is too old (or no
    /// poller runs).
    pub uncached: u64,
}

/// The node's cache: key hash → the key and its organisation, positive answers only.
pub struct KeyCache {
    entries: Mutex<Entries>,
    origin: Instant,
    /// Nanoseconds after `origin` when the last successful poll started; 0 while none has.
    fresh_from: AtomicU64,
    /// How long a successful poll keeps the cache in use, in nanoseconds; 0 turns it off (no
    /// poller runs).
    fresh_for: AtomicU64,
    hits: AtomicU64,
    misses: AtomicU64,
    uncached: AtomicU64,
}

#[derive(Default)]
struct Entries {
    /// The generation the cache was last emptied for.
    generation: Option<i64>,
    /// Times the cache was emptied for a change. A lookup inserts its answer only if this did
    /// not move while it ran: a lookup that read a key before its revocation, and finishes after
    /// the poller emptied the cache for it, must not put it back.
    clears: u64,
    keys: HashMap<String, Arc<KeyOwner>>,
}

impl Entries {
    /// Drops every key, for `generation` (`None`: not known), so lookups in flight keep out.
    fn empty(&mut self, generation: Option<i64>) {
        self.keys.clear();
        self.clears += 1;
        self.generation = generation;
    }
}

/// How many times the cache had been emptied when a lookup began.
#[derive(Debug, Clone, Copy)]
struct Ticket(u64);

impl Default for KeyCache {
    fn default() -> Self {
        Self::new()
    }
}

impl KeyCache {
    /// Off until a [`KeyPoller`] starts: every key is looked up.
    pub fn new() -> Self {
        Self {
            entries: Mutex::default(),
            origin: Instant::now(),
            fresh_from: AtomicU64::new(0),
            fresh_for: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            uncached: AtomicU64::new(0),
        }
    }

    /// The key with this hash and its organisation, if the cache is in use (the node's polls
    /// are recent) and holds it. Counted as a hit, a miss, or a lookup made without the cache.
    pub fn cached(&self, hash: &str) -> Option<Arc<KeyOwner>> {
        if !self.is_fresh() {
            self.uncached.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        let found = self.lock().keys.get(hash).cloned();
        let counter = if found.is_some() { &self.hits } else { &self.misses };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// After [`Self::cached`] found nothing: the key from the database, cached if found. Revoked
    /// keys are returned (the caller tells the client so) but never cached; an unknown key is
    /// never cached either, so a key created a moment later works at once.
    pub async fn fetch(&self, conn: Conn<'_>, hash: &str) -> sqlx::Result<Option<Arc<KeyOwner>>> {
        let ticket = self.ticket();
        let owner = keys::find_by_hash(conn, hash).await?.map(Arc::new);
        if let Some(owner) = &owner {
            self.insert(ticket, hash, owner);
        }
        Ok(owner)
    }

    /// Taken before a lookup's statement is sent.
    fn ticket(&self) -> Ticket {
        Ticket(self.lock().clears)
    }

    /// Caches a lookup's answer, unless the cache was emptied since `ticket` was taken (the
    /// answer may predate the change that emptied it), the key cannot be used, or no poller runs.
    fn insert(&self, ticket: Ticket, hash: &str, owner: &Arc<KeyOwner>) {
        let usable = owner.revoked_at.is_none()
            && owner.expires_at.is_none_or(|at| at > clock::now_ms())
            && self.fresh_for.load(Ordering::Relaxed) > 0;
        if !usable {
            return;
        }
        let mut entries = self.lock();
        if entries.clears != ticket.0 {
            return;
        }
        if entries.keys.len() >= CAPACITY {
            entries.keys.clear();
        }
        entries.keys.insert(hash.to_owned(), owner.clone());
    }

    pub fn counts(&self) -> LookupCounts {
        LookupCounts {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            uncached: self.uncached.load(Ordering::Relaxed),
        }
    }

    /// True while the last successful poll started less than the freshness ago.
    pub fn is_fresh(&self) -> bool {
        let fresh_for = self.fresh_for.load(Ordering::Acquire);
        let from = self.fresh_from.load(Ordering::Acquire);
        fresh_for > 0 && from > 0 && self.now().saturating_sub(from) < fresh_for
    }

    /// Nanoseconds since this cache was made, on the monotonic clock (never 0).
    fn now(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_nanos()).unwrap_or(u64::MAX).max(1)
    }

    /// Used by the poller: the cache is in use while polls succeed.
    fn enable(&self, fresh_for: Duration) {
        let nanos = u64::try_from(fresh_for.as_nanos()).unwrap_or(u64::MAX).max(1);
        self.fresh_for.store(nanos, Ordering::Release);
    }

    /// Used by the poller on stopping: no more cache, and nothing kept in it.
    fn disable(&self) {
        self.fresh_for.store(0, Ordering::Release);
        self.fresh_from.store(0, Ordering::Release);
        self.clear();
    }

    /// A poll that started at `started` (from [`Self::now`]) succeeded.
    fn polled(&self, started: u64) {
        self.fresh_from.fetch_max(started, Ordering::AcqRel);
    }

    /// Not trusted until the next successful poll.
    fn distrust(&self) {
        self.fresh_from.store(0, Ordering::Release);
    }

    /// The poller read `generation`: if it moved, everything cached may be stale.
    fn observe(&self, generation: i64) {
        let mut entries = self.lock();
        if entries.generation != Some(generation) {
            entries.empty(Some(generation));
        }
    }

    /// Empties the cache whatever the generation (on registering again).
    fn clear(&self) {
        self.lock().empty(None);
    }

    fn lock(&self) -> MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enums::Tier;
    use crate::ids::{KeyId, OrgId};

    fn owner(revoked_at: Option<i64>, expires_at: Option<i64>) -> Arc<KeyOwner> {
        Arc::new(KeyOwner {
            key_id: KeyId::generate(),
            key_hash: "h".into(),
            key_label: None,
            last4: "abcd".into(),
            expires_at,
            revoked_at,
            org_id: OrgId::generate(),
            org_name: "Org".into(),
            tier: Tier::Pro,
            write_per_minute: 1,
            read_per_minute: 1,
        })
    }

    /// A cache in use: as after a successful poll that read generation 1.
    fn polled_cache() -> KeyCache {
        let cache = KeyCache::new();
        cache.enable(Duration::from_secs(60));
        cache.observe(1);
        cache.polled(cache.now());
        cache
    }

    #[test]
    fn a_lookup_that_raced_a_change_is_not_cached() {
        let cache = polled_cache();
        let ticket = cache.ticket();
        // The poller sees the generation move while the lookup's statement is out.
        cache.observe(2);
        cache.insert(ticket, "h", &owner(None, None));
        assert!(cache.cached("h").is_none());

        let ticket = cache.ticket();
        cache.observe(2); // no move: nothing emptied
        cache.insert(ticket, "h", &owner(None, None));
        assert!(cache.cached("h").is_some());
        assert_eq!(cache.counts(), LookupCounts { hits: 1, misses: 1, uncached: 0 });
    }

    #[test]
    fn revoked_and_expired_keys_are_never_cached() {
        let cache = polled_cache();
        cache.insert(cache.ticket(), "revoked", &owner(Some(1), None));
        cache.insert(cache.ticket(), "expired", &owner(None, Some(clock::now_ms() - 1)));
        assert!(cache.cached("revoked").is_none());
        assert!(cache.cached("expired").is_none());
    }

    #[test]
    fn the_cache_is_not_used_without_a_recent_poll() {
        let cache = KeyCache::new();
        cache.insert(cache.ticket(), "h", &owner(None, None));
        assert!(cache.cached("h").is_none(), "no poller: off, and nothing kept");

        cache.enable(Duration::from_millis(30));
        cache.insert(cache.ticket(), "h", &owner(None, None));
        assert!(cache.cached("h").is_none(), "no successful poll yet");
        cache.polled(cache.now());
        assert!(cache.cached("h").is_some());
        std::thread::sleep(Duration::from_millis(40));
        assert!(cache.cached("h").is_none(), "the last poll is too old");
        cache.polled(cache.now());
        cache.distrust();
        assert!(cache.cached("h").is_none(), "distrusted until the next poll");
        assert_eq!(cache.counts().uncached, 4);
    }
}
