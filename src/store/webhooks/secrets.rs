//! Signing secrets of a subscription. A secret is active while `expires_at` is NULL or in the
//! future; the caller has resolved the subscription within its organisation. `secret` is stored
//! sealed under the operator key, or as generated when `nonce` is NULL.

use crate::ids::{SecretId, SubscriptionId};
use crate::store::{Conn, on_conn};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SecretRow {
    pub id: SecretId,
    pub secret: String,
    pub nonce: Option<String>,
    pub created_at: i64,
    pub expires_at: Option<i64>,
}

pub async fn insert(
    conn: Conn<'_>,
    subscription: &SubscriptionId,
    id: &SecretId,
    secret: &str,
    nonce: Option<&str>,
    now: i64,
) -> sqlx::Result<()> {
    const SQL: &str = "INSERT INTO webhook_secrets \
        (id, subscription_id, secret, nonce, created_at, expires_at) \
        VALUES ($1, $2, $3, $4, $5, NULL)";
    on_conn!(conn, |c| sqlx::query(SQL)
        .bind(id)
        .bind(subscription)
        .bind(secret)
        .bind(nonce)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// The active secrets, oldest first (sign with them newest first).
pub async fn active(
    conn: Conn<'_>,
    subscription: &SubscriptionId,
    now: i64,
) -> sqlx::Result<Vec<SecretRow>> {
    const SQL: &str = "SELECT id, secret, nonce, created_at, expires_at FROM webhook_secrets \
        WHERE subscription_id = $1 AND (expires_at IS NULL OR expires_at > $2) ORDER BY id";
    on_conn!(conn, |c| sqlx::query_as(SQL).bind(subscription).bind(now).fetch_all(c).await)
}

/// Rotation: every active secret expires at `until` at the latest (one already due earlier keeps
/// its date), and secrets already expired are forgotten.
pub async fn expire_active(
    mut conn: Conn<'_>,
    subscription: &SubscriptionId,
    now: i64,
    until: i64,
) -> sqlx::Result<()> {
    const EXPIRE: &str = "UPDATE webhook_secrets SET expires_at = $2 \
        WHERE subscription_id = $1 AND (expires_at IS NULL OR expires_at > $2)";
    const PRUNE: &str =
        "DELETE FROM webhook_secrets WHERE subscription_id = $1 AND expires_at <= $2";
    on_conn!(conn.reborrow(), |c| sqlx::query(EXPIRE)
        .bind(subscription)
        .bind(until)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    on_conn!(conn, |c| sqlx::query(PRUNE)
        .bind(subscription)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Revokes one secret now; false if the subscription has no such secret.
pub async fn delete(
    conn: Conn<'_>,
    subscription: &SubscriptionId,
    id: &SecretId,
) -> sqlx::Result<bool> {
    const SQL: &str = "DELETE FROM webhook_secrets WHERE subscription_id = $1 AND id = $2";
    let n = on_conn!(conn, |c| sqlx::query(SQL)
        .bind(subscription)
        .bind(id)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Forgets every secret of a deleted subscription.
pub async fn delete_all(conn: Conn<'_>, subscription: &SubscriptionId) -> sqlx::Result<()> {
    const SQL: &str = "DELETE FROM webhook_secrets WHERE subscription_id = $1";
    on_conn!(conn, |c| sqlx::query(SQL)
        .bind(subscription)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}
