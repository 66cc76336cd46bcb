//! Deliveries: one per (event, subscription), plus one per replay. The API writes new rows and
//! moves whole subscriptions' unfinished rows (pause, resume, delete); attempts are the
//! dispatcher's.

use crate::ids::{DeliveryId, EventId, OrgId, SubscriptionId};
use crate::store::{Conn, on_conn};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeliveryRow {
    pub id: DeliveryId,
    pub subscription_id: SubscriptionId,
    pub event_id: EventId,
    pub event_type: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: Option<i64>,
    pub last_attempt_at: Option<i64>,
    pub response_status: Option<i64>,
    pub response_body: Option<String>,
    pub last_error: Option<String>,
    pub replayed_from: Option<DeliveryId>,
    pub created_at: i64,
    pub updated_at: i64,
    /// The event's envelope, as every attempt sends it.
    pub payload: String,
}

/// A delivery about to be written, `pending` with no attempt made.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NewDelivery {
    pub id: DeliveryId,
    pub subscription_id: SubscriptionId,
    pub event_id: EventId,
    pub event_type: String,
    /// `None` holds it (the subscription is paused).
    pub next_attempt_at: Option<i64>,
    pub replayed_from: Option<DeliveryId>,
}

/// Filters of `GET /v1/webhook_deliveries`; `after` is the id the previous page ended on.
#[derive(Debug, Default)]
pub struct DeliveryFilter<'a> {
    pub subscription: Option<&'a SubscriptionId>,
    pub status: Option<&'a str>,
    pub event_type: Option<&'a str>,
    pub event_id: Option<&'a EventId>,
    /// Exclusive bounds on `created_at`, in milliseconds.
    pub created_after: Option<i64>,
    pub created_before: Option<i64>,
    pub after: Option<&'a DeliveryId>,
}

/// Inserts every delivery in one statement whatever their number.
pub async fn insert_many(
    conn: Conn<'_>,
    org: &OrgId,
    rows: &[NewDelivery],
    now: i64,
) -> sqlx::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    // One JSON parameter for SQLite's json_each, parallel arrays for PostgreSQL's unnest.
    match conn {
        Conn::Sqlite(c) => {
            const SQL: &str = "INSERT INTO webhook_deliveries (id, org_id, subscription_id, \
                event_id, event_type, status, attempts, next_attempt_at, replayed_from, \
                created_at, updated_at) \
                SELECT json_extract(value, '$.id'), $1, json_extract(value, '$.subscription_id'), \
                json_extract(value, '$.event_id'), json_extract(value, '$.event_type'), \
                'pending', 0, json_extract(value, '$.next_attempt_at'), \
                json_extract(value, '$.replayed_from'), $2, $2 FROM json_each($3)";
            let json = serde_json::to_string(rows).unwrap_or_default();
            sqlx::query(SQL).bind(org).bind(now).bind(json).execute(c).await?;
        }
        Conn::Postgres(c) => {
            const SQL: &str = "INSERT INTO webhook_deliveries (id, org_id, subscription_id, \
                event_id, event_type, status, attempts, next_attempt_at, replayed_from, \
                created_at, updated_at) \
                SELECT id, $1, subscription_id, event_id, event_type, 'pending', 0, \
                next_attempt_at, replayed_from, $2, $2 \
                FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], \
                $8::text[]) AS d (id, subscription_id, event_id, event_type, next_attempt_at, \
                replayed_from)";
            let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
            let subs: Vec<&str> = rows.iter().map(|r| r.subscription_id.as_str()).collect();
            let events: Vec<&str> = rows.iter().map(|r| r.event_id.as_str()).collect();
            let types: Vec<&str> = rows.iter().map(|r| r.event_type.as_str()).collect();
            let next: Vec<Option<i64>> = rows.iter().map(|r| r.next_attempt_at).collect();
            let from: Vec<Option<&str>> =
                rows.iter().map(|r| r.replayed_from.as_ref().map(DeliveryId::as_str)).collect();
            sqlx::query(SQL)
                .bind(org)
                .bind(now)
                .bind(ids)
                .bind(subs)
                .bind(events)
                .bind(types)
                .bind(next)
                .bind(from)
                .execute(c)
                .await?;
        }
    }
    Ok(())
}

/// Makes one delivery to `subscription` of each event in the block `events` (see
/// [`super::events::insert_block`]) whose type is among `types`, in one statement: the delivery
/// of an event is named by the block `block` (`wbd_` and a [`crate::ids::ulid_block`]) and the
/// event's index, so deliveries sort as their events do. `next_attempt_at` is `None` for a
/// paused subscription (held).
#[allow(clippy::too_many_arguments, reason = "the statement's parameters")]
pub async fn fan_out(
    conn: Conn<'_>,
    org: &OrgId,
    subscription: &SubscriptionId,
    block: &str,
    events: &str,
    types: &[&str],
    next_attempt_at: Option<i64>,
    now: i64,
) -> sqlx::Result<()> {
    // The block's rows are a range of the events' primary key; the index is what follows the
    // block in the event's id. The block is this transaction's, so its events are the
    // organisation's; `org_id = $1` keeps that true even if two nodes' blocks ever met.
    macro_rules! fan_out {
        ($types:literal) => {
            concat!(
                "INSERT INTO webhook_deliveries (id, org_id, subscription_id, event_id, \
                 event_type, status, attempts, next_attempt_at, created_at, updated_at) \
                 SELECT $4 || substr(id, length($5) + 1), $1, $2, id, type, 'pending', 0, $3, \
                 $6, $6 FROM webhook_events WHERE id BETWEEN $5 || '0000' AND $5 || 'ZZZZ' \
                 AND org_id = $1 AND ",
                $types
            )
        };
    }
    match conn {
        Conn::Sqlite(c) => {
            const SQL: &str = fan_out!("type IN (SELECT value FROM json_each($7))");
            let types = serde_json::to_string(types).expect("strings serialise");
            sqlx::query(SQL)
                .bind(org)
                .bind(subscription)
                .bind(next_attempt_at)
                .bind(block)
                .bind(events)
                .bind(now)
                .bind(types)
                .execute(c)
                .await?;
        }
        Conn::Postgres(c) => {
            const SQL: &str = fan_out!("type = ANY($7)");
            sqlx::query(SQL)
                .bind(org)
                .bind(subscription)
                .bind(next_attempt_at)
                .bind(block)
                .bind(events)
                .bind(now)
                .bind(types)
                .execute(c)
                .await?;
        }
    }
    Ok(())
}

pub async fn get(
    conn: Conn<'_>,
    org: &OrgId,
    id: &DeliveryId,
) -> sqlx::Result<Option<DeliveryRow>> {
    const SQL: &str = "SELECT d.id, d.subscription_id, d.event_id, d.event_type, d.status, \
        d.attempts, d.next_attempt_at, d.last_attempt_at, d.response_status, d.response_body, \
        d.last_error, d.replayed_from, d.created_at, d.updated_at, e.payload \
        FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id \
        WHERE d.org_id = $1 AND d.id = $2";
    on_conn!(conn, |c| sqlx::query_as(SQL).bind(org).bind(id).fetch_optional(c).await)
}

/// One page, newest first, `limit + 1` rows at most. A NULL filter matches everything.
pub async fn list(
    conn: Conn<'_>,
    org: &OrgId,
    f: &DeliveryFilter<'_>,
    limit: i64,
) -> sqlx::Result<Vec<DeliveryRow>> {
    const SQL: &str = "SELECT d.id, d.subscription_id, d.event_id, d.event_type, d.status, \
        d.attempts, d.next_attempt_at, d.last_attempt_at, d.response_status, d.response_body, \
        d.last_error, d.replayed_from, d.created_at, d.updated_at, e.payload \
        FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id \
        WHERE d.org_id = $1 AND ($2 IS NULL OR d.subscription_id = $2) \
        AND ($3 IS NULL OR d.status = $3) AND ($4 IS NULL OR d.event_type = $4) \
        AND ($5 IS NULL OR d.event_id = $5) AND ($6 IS NULL OR d.created_at > $6) \
        AND ($7 IS NULL OR d.created_at < $7) AND ($8 IS NULL OR d.id < $8) \
        ORDER BY d.id DESC LIMIT $9";
    on_conn!(conn, |c| sqlx::query_as(SQL)
        .bind(org)
        .bind(f.subscription)
        .bind(f.status)
        .bind(f.event_type)
        .bind(f.event_id)
        .bind(f.created_after)
        .bind(f.created_before)
        .bind(f.after)
        .bind(limit + 1)
        .fetch_all(c)
        .await)
}

/// A delivery that bulk replay may copy.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Replayable {
    pub id: DeliveryId,
    pub event_id: EventId,
    pub event_type: String,
}

/// Which deliveries bulk replay copies: the subscription's in `status`, optionally of one type
/// and within exclusive bounds on `created_at`.
#[derive(Debug)]
pub struct ReplayFilter<'a> {
    pub subscription: &'a SubscriptionId,
    pub status: &'a str,
    pub event_type: Option<&'a str>,
    pub created_after: Option<i64>,
    pub created_before: Option<i64>,
}

/// Matching deliveries, oldest first, that no delivery replays yet: `limit` at most.
pub async fn replayable(
    conn: Conn<'_>,
    org: &OrgId,
    f: &ReplayFilter<'_>,
    limit: i64,
) -> sqlx::Result<Vec<Replayable>> {
    const SQL: &str = "SELECT d.id, d.event_id, d.event_type FROM webhook_deliveries d \
        WHERE d.org_id = $1 AND d.subscription_id = $2 AND d.status = $3 \
        AND ($4 IS NULL OR d.event_type = $4) AND ($5 IS NULL OR d.created_at > $5) \
        AND ($6 IS NULL OR d.created_at < $6) \
        AND NOT EXISTS (SELECT 1 FROM webhook_deliveries r WHERE r.replayed_from = d.id) \
        ORDER BY d.id LIMIT $7";
    on_conn!(conn, |c| sqlx::query_as(SQL)
        .bind(org)
        .bind(f.subscription)
        .bind(f.status)
        .bind(f.event_type)
        .bind(f.created_after)
        .bind(f.created_before)
        .bind(limit)
        .fetch_all(c)
        .await)
}

/// Pause: the subscription's unfinished deliveries wait (no next attempt) until resumed.
pub async fn hold(conn: Conn<'_>, subscription: &SubscriptionId, now: i64) -> sqlx::Result<u64> {
    const SQL: &str = "UPDATE webhook_deliveries SET next_attempt_at = NULL, updated_at = $2 \
        WHERE subscription_id = $1 AND status IN ('pending', 'failed') \
        AND next_attempt_at IS NOT NULL";
    on_conn!(conn, |c| sqlx::query(SQL)
        .bind(subscription)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))
}

/// Resume: every held delivery is due now; they share one time, so id order (creation order)
/// sends the oldest first.
pub async fn release(conn: Conn<'_>, subscription: &SubscriptionId, now: i64) -> sqlx::Result<u64> {
    const SQL: &str = "UPDATE webhook_deliveries SET next_attempt_at = $2, updated_at = $2 \
        WHERE subscription_id = $1 AND status IN ('pending', 'failed') \
        AND next_attempt_at IS NULL";
    on_conn!(conn, |c| sqlx::query(SQL)
        .bind(subscription)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))
}

/// The subscription's unfinished deliveries end `dead` with `reason` as their last error.
pub async fn kill_unfinished(
    conn: Conn<'_>,
    subscription: &SubscriptionId,
    reason: &str,
    now: i64,
) -> sqlx::Result<u64> {
    const SQL: &str = "UPDATE webhook_deliveries SET status = 'dead', next_attempt_at = NULL, \
        last_error = $2, locked_by = NULL, locked_until = NULL, updated_at = $3 \
        WHERE subscription_id = $1 AND status IN ('pending', 'failed')";
    on_conn!(conn, |c| sqlx::query(SQL)
        .bind(subscription)
        .bind(reason)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))
}
