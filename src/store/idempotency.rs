//! Idempotency records: claimed at the start of a keyed POST, completed with its response in the
//! same transaction as its effect.

use super::{Conn, on_conn};
use crate::ids::OrgId;

/// Records older than this are treated as absent, and purged.
pub const TTL_MS: i64 = 24 * 60 * 60 * 1000;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredResponse {
    pub fingerprint: String,
    pub status_code: i32,
    pub response_body: String,
    pub request_id: String,
}

/// Claims `key` for this request. True when this request owns it (new, or the old record had
/// expired); false when a live record exists. On PostgreSQL the insert waits while another
/// transaction holds an uncommitted claim on the same key.
pub async fn claim(
    conn: Conn<'_>,
    org: &OrgId,
    key: &str,
    fingerprint: &str,
    now: i64,
) -> sqlx::Result<bool> {
    const SQL: &str = "INSERT INTO idempotency_keys \
        (org_id, idempotency_key, fingerprint, status_code, response_body, request_id, created_at) \
        VALUES ($1, $2, $3, 0, '', '', $4) \
        ON CONFLICT (org_id, idempotency_key) DO UPDATE SET fingerprint = excluded.fingerprint, \
        status_code = 0, response_body = '', request_id = '', created_at = excluded.created_at \
        WHERE idempotency_keys.created_at < $5";
    let claimed = on_conn!(conn, |c| sqlx::query(SQL)
        .bind(org)
        .bind(key)
        .bind(fingerprint)
        .bind(now)
        .bind(now - TTL_MS)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(claimed == 1)
}

pub async fn get(conn: Conn<'_>, org: &OrgId, key: &str) -> sqlx::Result<Option<StoredResponse>> {
    const SQL: &str = "SELECT fingerprint, status_code, response_body, request_id \
        FROM idempotency_keys WHERE org_id = $1 AND idempotency_key = $2";
    on_conn!(conn, |c| sqlx::query_as(SQL).bind(org).bind(key).fetch_optional(c).await)
}

/// Completes a claimed record with the response it will replay.
pub async fn complete(
    conn: Conn<'_>,
    org: &OrgId,
    key: &str,
    status: u16,
    body: &str,
    request_id: &str,
) -> sqlx::Result<()> {
    const SQL: &str = "UPDATE idempotency_keys SET status_code = $3, response_body = $4, \
        request_id = $5 WHERE org_id = $1 AND idempotency_key = $2";
    on_conn!(conn, |c| sqlx::query(SQL)
        .bind(org)
        .bind(key)
        .bind(i32::from(status))
        .bind(body)
        .bind(request_id)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Deletes expired records; returns how many.
pub async fn purge_expired(conn: Conn<'_>, now: i64) -> sqlx::Result<u64> {
    const SQL: &str = "DELETE FROM idempotency_keys WHERE created_at < $1";
    on_conn!(conn, |c| sqlx::query(SQL)
        .bind(now - TTL_MS)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))
}

/// Bounds how long this transaction waits for another's claim (PostgreSQL; SQLite writers are
/// already serialised by the write gate).
pub async fn set_wait(conn: Conn<'_>, wait_ms: u64) -> sqlx::Result<()> {
    if let Conn::Postgres(c) = conn {
        sqlx::query("SELECT set_config('lock_timeout', $1, true)")
            .bind(format!("{wait_ms}ms"))
            .execute(c)
            .await?;
    }
    Ok(())
}

/// Savepoints let a failed request (4xx) undo its writes yet keep its claim and store its answer.
/// On PostgreSQL the claim's bound on waiting ([`set_wait`]) ends here too, in the same round
/// trip: the request's own lock waits (a label held by its deletion) are not the claim's, and
/// running out of it there would be a 500, not a `409 idempotency_in_progress`.
pub async fn savepoint(conn: Conn<'_>) -> sqlx::Result<()> {
    match conn {
        Conn::Sqlite(c) => sqlx::query("SAVEPOINT request_effects").execute(c).await.map(drop),
        Conn::Postgres(c) => {
            sqlx::raw_sql("SET LOCAL lock_timeout TO DEFAULT; SAVEPOINT request_effects")
                .execute(c)
                .await
                .map(drop)
        }
    }
}

pub async fn rollback_to_savepoint(conn: Conn<'_>) -> sqlx::Result<()> {
    on_conn!(conn, |c| sqlx::query("ROLLBACK TO SAVEPOINT request_effects")
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// True for PostgreSQL's `lock_not_available` (the claim wait ran out).
pub fn is_lock_timeout(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.code().as_deref() == Some("55P03"))
}
