//! Webhook subscriptions of an organisation. Deleted ones keep their row (`deleted_at`) so their
//! deliveries keep a history; every read here but [`exists`] leaves them out.

use crate::ids::{OrgId, SubscriptionId};
use crate::store::{Conn, on_conn};

/// The columns of [`SubscriptionRow`], as a literal for `concat!`.
macro_rules! columns {
    () => {
        "id, url, description, events, status, disabled_reason, consecutive_failures, \
         created_at, updated_at"
    };
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SubscriptionRow {
    pub id: SubscriptionId,
    pub url: String,
    pub description: Option<String>,
    /// A JSON array of event type names.
    pub events: String,
    pub status: String,
    pub disabled_reason: Option<String>,
    pub consecutive_failures: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl SubscriptionRow {
    pub fn event_types(&self) -> Vec<String> {
        serde_json::from_str(&self.events).unwrap_or_default()
    }
}

pub async fn insert(conn: Conn<'_>, org: &OrgId, s: &SubscriptionRow) -> sqlx::Result<()> {
    const SQL: &str = "INSERT INTO webhook_subscriptions (id, org_id, url, description, events, \
        status, disabled_reason, consecutive_failures, created_at, updated_at) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
    on_conn!(conn, |c| sqlx::query(SQL)
        .bind(&s.id)
        .bind(org)
        .bind(&s.url)
        .bind(&s.description)
        .bind(&s.events)
        .bind(&s.status)
        .bind(&s.disabled_reason)
        .bind(s.consecutive_failures)
        .bind(s.created_at)
        .bind(s.updated_at)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// The subscription, unless deleted; on PostgreSQL its row is locked for the rest of the
/// transaction (`lock`), so changes to it and to its secrets run one after another.
pub async fn get(
    conn: Conn<'_>,
    org: &OrgId,
    id: &SubscriptionId,
    lock: bool,
) -> sqlx::Result<Option<SubscriptionRow>> {
    const SQL: &str = concat!(
        "SELECT ",
        columns!(),
        " FROM webhook_subscriptions WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL"
    );
    const LOCKING: &str = concat!(
        "SELECT ",
        columns!(),
        " FROM webhook_subscriptions WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL \
         FOR UPDATE"
    );
    // SQLite has no row locks: its write transaction already excludes every other writer.
    match conn {
        Conn::Sqlite(c) => sqlx::query_as(SQL).bind(org).bind(id).fetch_optional(c).await,
        Conn::Postgres(c) => {
            let sql = if lock { LOCKING } else { SQL };
            sqlx::query_as(sql).bind(org).bind(id).fetch_optional(c).await
        }
    }
}

/// Whether the organisation has or had this subscription (deleted ones count: their
/// deliveries can still be listed).
pub async fn exists(conn: Conn<'_>, org: &OrgId, id: &SubscriptionId) -> sqlx::Result<bool> {
    const SQL: &str = "SELECT COUNT(*) FROM webhook_subscriptions WHERE org_id = $1 AND id = $2";
    let n: i64 = on_conn!(conn, |c| sqlx::query_scalar(SQL).bind(org).bind(id).fetch_one(c).await)?;
    Ok(n > 0)
}

/// How many subscriptions the organisation has. On PostgreSQL the organisation's row is locked
/// first, so two concurrent creations cannot both pass the limit.
pub async fn count_for_create(mut conn: Conn<'_>, org: &OrgId) -> sqlx::Result<i64> {
    if let Conn::Postgres(c) = conn.reborrow() {
        sqlx::query("SELECT id FROM organizations WHERE id = $1 FOR UPDATE")
            .bind(org.as_str())
            .fetch_optional(c)
            .await?;
    }
    const SQL: &str = "SELECT COUNT(*) FROM webhook_subscriptions \
        WHERE org_id = $1 AND deleted_at IS NULL";
    on_conn!(conn, |c| sqlx::query_scalar(SQL).bind(org.as_str()).fetch_one(c).await)
}

/// One page, newest first, `limit + 1` rows at most.
pub async fn list(
    conn: Conn<'_>,
    org: &OrgId,
    after: Option<&SubscriptionId>,
    limit: i64,
) -> sqlx::Result<Vec<SubscriptionRow>> {
    const SQL: &str = concat!(
        "SELECT ",
        columns!(),
        " FROM webhook_subscriptions WHERE org_id = $1 AND deleted_at IS NULL \
         AND ($2 IS NULL OR id < $2) ORDER BY id DESC LIMIT $3"
    );
    on_conn!(conn, |c| sqlx::query_as(SQL)
        .bind(org.as_str())
        .bind(after)
        .bind(limit + 1)
        .fetch_all(c)
        .await)
}

/// Writes every mutable column of `s`.
pub async fn update(conn: Conn<'_>, org: &OrgId, s: &SubscriptionRow) -> sqlx::Result<()> {
    const SQL: &str = "UPDATE webhook_subscriptions SET url = $3, description = $4, events = $5, \
        status = $6, disabled_reason = $7, consecutive_failures = $8, updated_at = $9 \
        WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL";
    on_conn!(conn, |c| sqlx::query(SQL)
        .bind(org)
        .bind(&s.id)
        .bind(&s.url)
        .bind(&s.description)
        .bind(&s.events)
        .bind(&s.status)
        .bind(&s.disabled_reason)
        .bind(s.consecutive_failures)
        .bind(s.updated_at)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Marks the subscription deleted; false if there was none.
pub async fn mark_deleted(
    conn: Conn<'_>,
    org: &OrgId,
    id: &SubscriptionId,
    now: i64,
) -> sqlx::Result<bool> {
    const SQL: &str = "UPDATE webhook_subscriptions SET deleted_at = $3, updated_at = $3 \
        WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL";
    let n = on_conn!(conn, |c| sqlx::query(SQL)
        .bind(org)
        .bind(id)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Which subscriptions of the organisation ($1) receive new events: active or paused, not
/// deleted. As a literal for `concat!`.
macro_rules! receiving {
    () => {
        "webhook_subscriptions WHERE org_id = $1 AND deleted_at IS NULL \
         AND status IN ('active', 'paused')"
    };
}

/// The subscriptions that receive new events. An organisation has at most 20, so the outbox
/// matches event types in the server.
pub async fn receiving(conn: Conn<'_>, org: &OrgId) -> sqlx::Result<Vec<SubscriptionRow>> {
    const SQL: &str = concat!("SELECT ", columns!(), " FROM ", receiving!(), " ORDER BY id");
    on_conn!(conn, |c| sqlx::query_as(SQL).bind(org.as_str()).fetch_all(c).await)
}

/// Whether a subscription that receives new events lists `event_type` ($2): one row, true or
/// false. On SQLite a bulk call also runs it on its own thread (`links::bulk`).
pub const SQLITE_LISTENED: &str = concat!(
    "SELECT EXISTS (SELECT 1 FROM ",
    receiving!(),
    " AND EXISTS (SELECT 1 FROM json_each(events) WHERE value = $2))"
);

const POSTGRES_LISTENED: &str =
    concat!("SELECT EXISTS (SELECT 1 FROM ", receiving!(), " AND events::jsonb ? $2)");

/// See [`SQLITE_LISTENED`].
pub async fn listened(conn: Conn<'_>, org: &OrgId, event_type: &str) -> sqlx::Result<bool> {
    let sql = match conn {
        Conn::Sqlite(_) => SQLITE_LISTENED,
        Conn::Postgres(_) => POSTGRES_LISTENED,
    };
    on_conn!(conn, |c| sqlx::query_scalar(sql)
        .bind(org.as_str())
        .bind(event_type)
        .fetch_one(c)
        .await)
}
