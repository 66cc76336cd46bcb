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
    /// Subscriptions with attempts in flight on this node, and how many.
    pub in_flight: &'a [(SubscriptionId, i64)],
}

/// Leases up to `limits.total` due deliveries of active subscriptions until `lease_until`, at
/// most `limits.per_subscription` per subscription counting those in flight. Each subscription
/// with a free slot offers its oldest due rows (index `webhook_deliveries_subscription_due`), and
/// the offers of the subscriptions with the fewest attempts in flight are taken first, those of
/// equally busy subscriptions in a random order: every subscription gets its turn, however long
/// another's backlog or however many subscriptions another organisation has busy (contract
/// §8.5). A claim costs an index lookup per subscription, not a walk of the backlog. Run in a
/// short transaction of its own. The rows come back in schedule order (`RETURNING` has none of
/// its own), so that when a subscription has fewer free slots than rows claimed, the oldest are
/// the ones sent.
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
    // A subscription's oldest due rows, not leased: `$1` now, `$4` how many, `s` the
    // subscription. The index's condition (`status IN …`) is repeated word for word, so that
    // SQLite uses the partial index.
    macro_rules! due_of_subscription {
        ($columns:literal) => {
            concat!(
                "SELECT ",
                $columns,
                " FROM webhook_deliveries \
                 WHERE subscription_id = s.id AND status IN ('pending', 'failed') \
                 AND next_attempt_at <= $1 AND (locked_until IS NULL OR locked_until < $1) \
                 ORDER BY next_attempt_at, id LIMIT $4"
            )
        };
    }
    // The offers of active subscriptions with a free slot; `busy` is `(subscription_id, n)`, the
    // attempts in flight. The `$5` taken: fewest in flight first; among subscriptions with as
    // many, in an order drawn at random for this claim (`turn`, one per subscription, so that a
    // subscription's own rows stay oldest first). Oldest first across them would serve a long
    // backlog before anything newer, and any fixed order would favour the same subscriptions
    // at every claim.
    macro_rules! picked {
        ($busy:literal, $offers:expr) => {
            concat!(
                "WITH active AS MATERIALIZED (SELECT id, random() AS turn \
                 FROM webhook_subscriptions WHERE status = 'active' AND deleted_at IS NULL), \
                 offered AS (SELECT d.id, d.next_attempt_at, coalesce(busy.n, 0) AS busy, s.turn \
                 FROM active s LEFT JOIN ",
                $busy,
                " ON busy.subscription_id = s.id ",
                $offers,
                " WHERE coalesce(busy.n, 0) < $4), \
                 picked AS (SELECT id FROM offered \
                 ORDER BY busy, turn, next_attempt_at, id LIMIT $5) "
            )
        };
    }
    // PostgreSQL: SKIP LOCKED lets nodes claim side by side; the lease condition is repeated on
    // the locked rows because a row another node leased since this statement's snapshot is
    // re-checked against its new version there.
    const POSTGRES: &str = concat!(
        picked!(
            "unnest($6::text[], $7::int8[]) AS busy (subscription_id, n)",
            concat!("CROSS JOIN LATERAL (", due_of_subscription!("id, next_attempt_at"), ") d")
        ),
        "UPDATE webhook_deliveries SET locked_by = $2, locked_until = $3 WHERE id IN \
         (SELECT id FROM webhook_deliveries WHERE id IN (SELECT id FROM picked) \
         AND status IN ('pending', 'failed') \
         AND (locked_until IS NULL OR locked_until < $1) FOR UPDATE SKIP LOCKED) \
         RETURNING id, subscription_id, attempts, next_attempt_at"
    );
    // SQLite: no LATERAL, so each subscription's offer is a correlated `IN`, and the busy ones
    // come as a JSON object; one writer at a time (BEGIN IMMEDIATE), so no row locks to skip.
    const SQLITE: &str = concat!(
        picked!(
            "(SELECT key AS subscription_id, value AS n FROM json_each($6)) AS busy",
            concat!("JOIN webhook_deliveries d ON d.id IN (", due_of_subscription!("id"), ")")
        ),
        "UPDATE webhook_deliveries SET locked_by = $2, locked_until = $3 \
         WHERE id IN (SELECT id FROM picked) RETURNING id, subscription_id, attempts, next_attempt_at"
    );
    match conn {
        Conn::Postgres(c) => {
            walk_the_due_index(&mut *c).await?;
            let (ids, counts): (Vec<&str>, Vec<i64>) =
                limits.in_flight.iter().map(|(id, n)| (id.as_str(), *n)).unzip();
            sqlx::query_as(POSTGRES)
                .bind(now)
                .bind(node)
                .bind(lease_until)
                .bind(limits.per_subscription)
                .bind(limits.total)
                .bind(ids)
                .bind(counts)
                .fetch_all(c)
                .await
        }
        Conn::Sqlite(c) => {
            let busy: serde_json::Map<String, serde_json::Value> =
                limits.in_flight.iter().map(|(id, n)| (id.to_string(), (*n).into())).collect();
            sqlx::query_as(SQLITE)
                .bind(now)
                .bind(node)
                .bind(lease_until)
                .bind(limits.per_subscription)
                .bind(limits.total)
                .bind(serde_json::Value::Object(busy).to_string())
                .fetch_all(c)
                .await
        }
    }
}

/// For the rest of the transaction, makes PostgreSQL read due rows by walking an index in order
/// and stopping (the claim's per-subscription heads; the strays' window of the oldest 2,000). A
/// backlog grows faster than autovacuum analyses the table, and with the statistics of a small
/// table the planner read every due row through a bitmap and sorted them: 80-120 ms a claim at
/// 100,000 due rows, 25 deliveries a second. The statements are also planned for their values at
/// every run: the generic plan a connection keeps after five runs was made for the table as it
/// was then, and with a backlog of 200,000 rows one claim ran for over 20 s
/// (docs/performance.md, "The bulk path").
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
