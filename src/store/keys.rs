//! API keys: created and revoked from the command line, looked up by hash on every request.

use super::{Conn, on_conn};
use crate::enums::Tier;
use crate::ids::{KeyId, OrgId};

#[derive(Debug, Clone)]
pub struct KeyInsert<'a> {
    pub id: &'a KeyId,
    pub org_id: &'a OrgId,
    pub label: Option<&'a str>,
    pub key_hash: &'a str,
    pub prefix: &'a str,
    pub last4: &'a str,
    pub expires_at: Option<i64>,
    pub created_at: i64,
}

/// What a request learns from its key: the key itself and its organisation's limits.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeyOwner {
    pub key_id: KeyId,
    pub key_hash: String,
    pub key_label: Option<String>,
    pub last4: String,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub org_id: OrgId,
    pub org_name: String,
    pub tier: Tier,
    pub write_per_minute: i64,
    pub read_per_minute: i64,
}

pub async fn insert(conn: Conn<'_>, key: &KeyInsert<'_>) -> sqlx::Result<()> {
    const SQL: &str = "INSERT INTO api_keys \
        (id, org_id, label, key_hash, prefix, last4, expires_at, created_at) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    on_conn!(conn, |c| sqlx::query(SQL)
        .bind(key.id)
        .bind(key.org_id)
        .bind(key.label)
        .bind(key.key_hash)
        .bind(key.prefix)
        .bind(key.last4)
        .bind(key.expires_at)
        .bind(key.created_at)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Marks the key revoked; returns false when there is no such key. Revoking twice keeps the
/// first revocation time.
pub async fn revoke(conn: Conn<'_>, id: &KeyId, now: i64) -> sqlx::Result<bool> {
    const SQL: &str = "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1";
    let done = on_conn!(conn, |c| sqlx::query(SQL)
        .bind(id)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// The key with this hash and its organisation. Revocation and expiry are judged by the caller,
/// so that each gets its own error code.
pub async fn find_by_hash(conn: Conn<'_>, key_hash: &str) -> sqlx::Result<Option<KeyOwner>> {
    const SQL: &str = "SELECT k.id AS key_id, k.key_hash, k.label AS key_label, k.last4, k.expires_at, \
        k.revoked_at, o.id AS org_id, o.name AS org_name, o.tier, o.write_per_minute, \
        o.read_per_minute \
        FROM api_keys k JOIN organizations o ON o.id = k.org_id WHERE k.key_hash = $1";
    on_conn!(conn, |c| sqlx::query_as(SQL).bind(key_hash).fetch_optional(c).await)
}
