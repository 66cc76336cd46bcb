//! Recording what an attempt came to, in the transaction that also keeps the subscription's
//! run of dead deliveries (auto-disable, contract §8.4), and the outbox's upkeep: its backlog
//! and its retention purge.

use super::webhooks::deliveries;
use super::{Conn, on_conn};
use crate::ids::{self, DeliveryId, EventId, SubscriptionId};

/// Deliveries that die in a row before their subscription is disabled.
pub const DISABLE_AFTER: i64 = 24;

/// One finished attempt, ready to store.
pub struct AttemptRecord<'a> {
    pub delivery_id: &'a DeliveryId,
    pub subscription_id: &'a SubscriptionId,
    pub node: &'a str,
    /// `delivered`, `failed` or `dead`.
    pub status: &'static str,
    pub next_attempt_at: Option<i64>,
    pub attempted_at: i64,
    pub response_status: Option<i64>,
    pub response_body: Option<&'a str>,
    pub last_error: Option<&'static str>,
}

/// What storing the attempt changed.
#[derive(Debug, PartialEq, Eq)]
pub enum Recorded {
    /// The lease was no longer ours (it expired and another node took the row, or the row was
    /// finished meanwhile, e.g. by deleting its subscription): nothing was written.
    LeaseLost,
    Stored,
    /// Stored, and this death disabled the subscription.
    StoredAndDisabled,
}

/// Stores the attempt if this node still holds the lease, and keeps the subscription's count of
/// dead deliveries: any delivery resets it; the 24th death in a row disables the subscription and
/// kills its unfinished deliveries.
pub async fn record(mut conn: Conn<'_>, a: &AttemptRecord<'_>) -> sqlx::Result<Recorded> {
    lock_subscription_if_counted(conn.reborrow(), a).await?;
    const STORE: &str = "UPDATE webhook_deliveries SET status = $1, attempts = attempts + 1, \
        next_attempt_at = $2, last_attempt_at = $3, response_status = $4, response_body = $5, \
        last_error = $6, locked_by = NULL, locked_until = NULL, updated_at = $3 \
        WHERE id = $7 AND locked_by = $8 AND status IN ('pending', 'failed')";
    let stored = on_conn!(conn.reborrow(), |c| sqlx::query(STORE)
        .bind(a.status)
        .bind(a.next_attempt_at)
        .bind(a.attempted_at)
        .bind(a.response_status)
        .bind(a.response_body)
        .bind(a.last_error)
        .bind(a.delivery_id)
        .bind(a.node)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    if stored == 0 {
        return Ok(Recorded::LeaseLost);
    }
    match a.status {
        "delivered" => {
            const RESET: &str = "UPDATE webhook_subscriptions SET consecutive_failures = 0 \
                WHERE id = $1 AND consecutive_failures <> 0";
            on_conn!(conn, |c| sqlx::query(RESET)
                .bind(a.subscription_id)
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?;
            Ok(Recorded::Stored)
        }
        "dead" => count_death(conn, a.subscription_id, a.attempted_at).await,
        _ => Ok(Recorded::Stored),
    }
}

/// On PostgreSQL, locks the subscription when this attempt will write it: a death is counted
/// (and the 24th disables the subscription and ends its other deliveries), and a success resets
/// a count above zero. The API's writers of a subscription (pause, delete, replay) lock it before
/// its deliveries; locking it here only after the delivery row let the two wait on each other in
/// a cycle, and so did two deaths of one subscription, one of them disabling it. A success with
/// nothing to reset locks nothing, so that deliveries to a healthy receiver do not queue on their
/// subscription. SQLite's write transaction already excludes every other writer.
async fn lock_subscription_if_counted(conn: Conn<'_>, a: &AttemptRecord<'_>) -> sqlx::Result<()> {
    const LOCK: &str = "SELECT 1 FROM webhook_subscriptions \
        WHERE id = $1 AND ($2 OR consecutive_failures <> 0) FOR NO KEY UPDATE";
    let counted = match a.status {
        "dead" => true,
        "delivered" => false,
        _ => return Ok(()),
    };
    if let Conn::Postgres(c) = conn {
        sqlx::query(LOCK).bind(a.subscription_id).bind(counted).execute(c).await?;
    }
    Ok(())
}

async fn count_death(
    mut conn: Conn<'_>,
    subscription_id: &SubscriptionId,
    now: i64,
) -> sqlx::Result<Recorded> {
    const COUNT: &str = "UPDATE webhook_subscriptions \
        SET consecutive_failures = consecutive_failures + 1 WHERE id = $1 \
        RETURNING consecutive_failures, status";
    const DISABLE: &str = "UPDATE webhook_subscriptions SET status = 'disabled', \
        disabled_reason = 'consecutive_failures', updated_at = $2 \
        WHERE id = $1 AND status <> 'disabled' AND deleted_at IS NULL";
    let (failures, status): (i64, String) = on_conn!(conn.reborrow(), |c| sqlx::query_as(COUNT)
        .bind(subscription_id)
        .fetch_one(c)
        .await)?;
    if failures < DISABLE_AFTER || status == "disabled" {
        return Ok(Recorded::Stored);
    }
    let disabled = on_conn!(conn.reborrow(), |c| sqlx::query(DISABLE)
        .bind(subscription_id)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    if disabled == 0 {
        return Ok(Recorded::Stored);
    }
    deliveries::kill_unfinished(conn, subscription_id, "subscription_disabled", now).await?;
    Ok(Recorded::StoredAndDisabled)
}

/// The next time anything is scheduled: the oldest `next_attempt_at` of unfinished deliveries
/// of active subscriptions (in the past: the backlog's age; in the future: when to look again).
pub async fn earliest_due(conn: Conn<'_>) -> sqlx::Result<Option<i64>> {
    // Walks the due index in order and stops at the first row of an active subscription (nearly
    // always the first row): `MIN()` over the join read the whole backlog, every time the
    // dispatcher went to sleep, which held a draining backlog of 100,000 rows to 18 deliveries a
    // second on PostgreSQL.
    const SQL: &str = "SELECT d.next_attempt_at FROM webhook_deliveries d \
        JOIN webhook_subscriptions s ON s.id = d.subscription_id \
        WHERE d.status IN ('pending', 'failed') AND d.next_attempt_at IS NOT NULL \
        AND s.status = 'active' AND s.deleted_at IS NULL \
        ORDER BY d.next_attempt_at LIMIT 1";
    on_conn!(conn, |c| sqlx::query_scalar(SQL).fetch_optional(c).await)
}

/// Settles due deliveries whose subscription stopped receiving: they end `dead` when it was
/// disabled or deleted, and are held when it is paused, as if they had been there when it
/// changed; and held deliveries of a subscription that is active again are made due. On
/// PostgreSQL a request can record a delivery while a concurrent transaction disables, deletes,
/// pauses or resumes its subscription; that transaction's update of the unfinished deliveries
/// cannot see a row not yet committed, and the claim takes only active subscriptions' due rows,
/// so without this such a delivery would stay due, or held, for ever. Looks at the same oldest
/// due rows as the claim; returns how many rows it settled. Run in a transaction of its own.
pub async fn settle_strays(mut conn: Conn<'_>, now: i64) -> sqlx::Result<u64> {
    macro_rules! strays {
        ($subscription:literal) => {
            concat!(
                "id IN (SELECT d.id FROM (SELECT id, subscription_id FROM webhook_deliveries \
                 WHERE status IN ('pending', 'failed') AND next_attempt_at <= $1 \
                 AND (locked_until IS NULL OR locked_until < $1) \
                 ORDER BY next_attempt_at, id LIMIT 2000) d \
                 JOIN webhook_subscriptions s ON s.id = d.subscription_id WHERE ",
                $subscription,
                ") AND status IN ('pending', 'failed') AND next_attempt_at IS NOT NULL \
                 AND (locked_until IS NULL OR locked_until < $1)"
            )
        };
    }
    const DEAD: &str = concat!(
        "UPDATE webhook_deliveries SET status = 'dead', next_attempt_at = NULL, \
         last_error = (SELECT CASE WHEN s.deleted_at IS NULL THEN 'subscription_disabled' \
         ELSE 'subscription_deleted' END FROM webhook_subscriptions s \
         WHERE s.id = webhook_deliveries.subscription_id), \
         locked_by = NULL, locked_until = NULL, updated_at = $1 WHERE ",
        strays!("s.status = 'disabled' OR s.deleted_at IS NOT NULL")
    );
    const HELD: &str = concat!(
        "UPDATE webhook_deliveries SET next_attempt_at = NULL, updated_at = $1 WHERE ",
        strays!("s.status = 'paused' AND s.deleted_at IS NULL")
    );
    // The mirror case: a request that read the subscription paused records its deliveries held
    // while a resume commits. The resume's release cannot see rows not yet committed, and the
    // claim takes due rows only, so without this they would be held for ever on an active
    // subscription. They are made due now (after the ones the resume released: newer events).
    const RELEASED: &str = "UPDATE webhook_deliveries SET next_attempt_at = $1, updated_at = $1 \
        WHERE id IN (SELECT d.id FROM webhook_subscriptions s CROSS JOIN webhook_deliveries d \
        WHERE d.subscription_id = s.id AND s.status = 'active' AND s.deleted_at IS NULL \
        AND d.status IN ('pending', 'failed') AND d.next_attempt_at IS NULL LIMIT 2000) \
        AND status IN ('pending', 'failed') AND next_attempt_at IS NULL";
    if let Conn::Postgres(c) = conn.reborrow() {
        super::dispatch::walk_the_due_index(c).await?;
    }
    let mut settled = 0;
    for sql in [DEAD, HELD, RELEASED] {
        settled += on_conn!(conn.reborrow(), |c| sqlx::query(sql)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
    }
    Ok(settled)
}

/// Deletes up to `batch` deliveries of events made before `cutoff`, then up to `batch` of those
/// events that no delivery points at any more; returns how many rows went. Batched so that a
/// large purge never holds a long transaction; the caller repeats until nothing goes. Both walk
/// an index by id: an event's ULID carries its time, and every delivery is younger than its event.
pub async fn purge_before(mut conn: Conn<'_>, cutoff: i64, batch: i64) -> sqlx::Result<u64> {
    const DELIVERIES: &str = "DELETE FROM webhook_deliveries WHERE id IN \
        (SELECT id FROM webhook_deliveries WHERE event_id < $1 LIMIT $2)";
    // Below the oldest event a delivery still names, so that an event goes after its deliveries
    // even when they outnumber a batch.
    const EVENTS: &str = "DELETE FROM webhook_events WHERE id IN \
        (SELECT id FROM webhook_events WHERE id < $1 \
         AND id < coalesce((SELECT min(event_id) FROM webhook_deliveries), $1) LIMIT $2)";
    let bound = format!("{}_{}", EventId::PREFIX, ids::ulid_time_prefix(cutoff));
    let mut purged = 0;
    for sql in [DELIVERIES, EVENTS] {
        purged += on_conn!(conn.reborrow(), |c| sqlx::query(sql)
            .bind(&bound)
            .bind(batch)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
    }
    Ok(purged)
}
