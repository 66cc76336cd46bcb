//! The dispatcher's queries on the outbox (`webhook_deliveries`): claim due rows under a lease,
//! read what to send, record an attempt's outcome under that lease.
//!
//! These are the only queries not scoped to one organisation: the dispatcher serves them all.
//! A lease (`locked_by`, `locked_until`) is what makes each attempt one node's: a claim takes only
//! rows whose lease is free or expired, and an outcome is written only by the lease's holder, so
//! a node that was presumed dead cannot overwrite the attempt another node made since.

use super::{Conn, on_conn};
use crate::ids::{DeliveryId, EventId, SubscriptionId};

/// A due delivery this node now holds the lease on.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Claimed {
    pub id: DeliveryId,
    pub subscription_id: SubscriptionId,
    /// Attempts made before this one.
    pub attempts: i64,
    pub next_attempt_at: i64,
}

/// What an attempt sends: the subscription's current URL and the event's recorded bytes.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Job {
    pub url: String,
    pub event_id: EventId,
    pub event_type: String,
    pub payload: String,
}

/// How a claim is bounded.
pub struct ClaimLimits<'a> {
    pub total: i64,
    pub per_subscription: i64,
    /// Subscriptions that already have all their in-flight slots taken on this node.
    pub saturated: &'a [SubscriptionId],
}

/// Leases up to `limits.total` due deliveries of active subscriptions until `lease_until`, in
/// schedule order with at most `limits.per_subscription` per subscription, so one subscription's
/// backlog never fills a claim. Only the 2,000 oldest due rows are ranked, so a claim costs the
/// same whatever the backlog (ranking a backlog of tens of thousands took a second on SQLite).
/// The rows of saturated subscriptions are left out before that cut, not after: a slow
/// receiver's backlog would otherwise fill the window and hold back every other subscription's
/// deliveries until it drained below 2,000 (contract §8.5). The walk still steps over those
/// rows, which costs far less than ranking them. Run in a short transaction of its own. The rows come back in
/// schedule order (`RETURNING` has none of its own), so that when a subscription has fewer free
/// slots than rows claimed, the oldest are the ones sent.
pub async fn claim(
    conn: Conn<'_>,
    node: &str,
    now: i64,
    lease_until: i64,
    limits: &ClaimLimits<'_>,
) -> sqlx::Result<Vec<Claimed>> {
    let mut claimed = claim_unordered(conn, node, now, lease_until, limits).await?;
    claimed.sort_by(|a, b| (a.next_attempt_at, &a.id).cmp(&(b.next_attempt_at, &b.id)));
    Ok(claimed)
}

async fn claim_unordered(
    conn: Conn<'_>,
    node: &str,
    now: i64,
    lease_until: i64,
    limits: &ClaimLimits<'_>,
) -> sqlx::Result<Vec<Claimed>> {
    // Shared head: due rows of active subscriptions, ranked within their subscription.
    macro_rules! ranked {
        ($saturated:literal) => {
            concat!(
                "WITH ranked AS (SELECT d.id, d.next_attempt_at, row_number() OVER \
                 (PARTITION BY d.subscription_id ORDER BY d.next_attempt_at, d.id) AS n \
                 FROM (SELECT id, subscription_id, next_attempt_at FROM webhook_deliveries \
                 WHERE status IN ('pending', 'failed') AND next_attempt_at <= $1 \
                 AND (locked_until IS NULL OR locked_until < $1) AND ",
                $saturated,
                " ORDER BY next_attempt_at, id LIMIT 2000) d \
                 JOIN webhook_subscriptions s ON s.id = d.subscription_id \
                 WHERE s.status = 'active' AND s.deleted_at IS NULL), \
                 picked AS (SELECT id FROM ranked WHERE n <= $4 \
                 ORDER BY next_attempt_at, id LIMIT $5) "
            )
        };
    }
    // PostgreSQL: SKIP LOCKED lets nodes claim side by side; the lease condition is repeated on
    // the locked rows because a row another node leased since this statement's snapshot is
    // re-checked against its new version there.
    const POSTGRES: &str = concat!(
        ranked!("subscription_id <> ALL($6::text[])"),
        "UPDATE webhook_deliveries SET locked_by = $2, locked_until = $3 WHERE id IN \
         (SELECT id FROM webhook_deliveries WHERE id IN (SELECT id FROM picked) \
         AND status IN ('pending', 'failed') \
         AND (locked_until IS NULL OR locked_until < $1) FOR UPDATE SKIP LOCKED) \
         RETURNING id, subscription_id, attempts, next_attempt_at"
    );
    // SQLite: one writer at a time (BEGIN IMMEDIATE), so no row locks to skip.
    const SQLITE: &str = concat!(
        ranked!("subscription_id NOT IN (SELECT value FROM json_each($6))"),
        "UPDATE webhook_deliveries SET locked_by = $2, locked_until = $3 \
         WHERE id IN (SELECT id FROM picked) RETURNING id, subscription_id, attempts, next_attempt_at"
    );
    match conn {
        Conn::Postgres(c) => {
            walk_the_due_index(&mut *c).await?;
            sqlx::query_as(POSTGRES)
                .bind(now)
                .bind(node)
                .bind(lease_until)
                .bind(limits.per_subscription)
                .bind(limits.total)
                .bind(limits.saturated)
                .fetch_all(c)
                .await
        }
        Conn::Sqlite(c) => {
            let saturated = serde_json::to_string(limits.saturated).unwrap_or_default();
            sqlx::query_as(SQLITE)
                .bind(now)
                .bind(node)
                .bind(lease_until)
                .bind(limits.per_subscription)
                .bind(limits.total)
                .bind(saturated)
                .fetch_all(c)
                .await
        }
    }
}

/// For the rest of the transaction, makes PostgreSQL read a window of due rows (the oldest 2,000)
/// by walking the due index in order and stopping. A backlog grows faster than autovacuum
/// analyses the table, and with the statistics of a small table the planner read every due row
/// through a bitmap and sorted them: 80-120 ms a claim at 100,000 due rows, 25 deliveries a
/// second. The statements are also planned for their values at every run: the generic plan a
/// connection keeps after five runs was made for the table as it was then, and with a backlog
/// of 200,000 rows one claim ran for over 20 s (docs/performance.md, "The bulk path").
pub async fn walk_the_due_index(c: &mut sqlx::PgConnection) -> sqlx::Result<()> {
    sqlx::query(
        "SELECT set_config('enable_bitmapscan', 'off', true), \
         set_config('plan_cache_mode', 'force_custom_plan', true)",
    )
    .execute(c)
    .await?;
    Ok(())
}

/// Gives a lease back without an attempt (no free slot after all, or shutting down).
pub async fn release(conn: Conn<'_>, node: &str, id: &DeliveryId) -> sqlx::Result<()> {
    const SQL: &str = "UPDATE webhook_deliveries SET locked_by = NULL, locked_until = NULL \
        WHERE id = $1 AND locked_by = $2";
    on_conn!(conn, |c| sqlx::query(SQL).bind(id).bind(node).execute(c).await.map(|_| ()))
}

pub async fn job(conn: Conn<'_>, id: &DeliveryId) -> sqlx::Result<Option<Job>> {
    const SQL: &str = "SELECT s.url, e.id AS event_id, e.type AS event_type, e.payload \
        FROM webhook_deliveries d \
        JOIN webhook_subscriptions s ON s.id = d.subscription_id \
        JOIN webhook_events e ON e.id = d.event_id WHERE d.id = $1";
    on_conn!(conn, |c| sqlx::query_as(SQL).bind(id).fetch_optional(c).await)
}
