//! Server-wide secrets kept in the database, so every node that shares it shares them.

use super::{Conn, on_conn};
use crate::ids::{hex, random_bytes};

/// The secret called `name`, generated on first use. Concurrent first uses agree: the insert
/// is a no-op for all but one of them and everyone reads back the winner.
pub async fn get_or_create(mut conn: Conn<'_>, name: &str) -> sqlx::Result<String> {
    const INSERT: &str = "INSERT INTO server_secrets (name, value) VALUES ($1, $2) \
        ON CONFLICT (name) DO NOTHING";
    const SELECT: &str = "SELECT value FROM server_secrets WHERE name = $1";
    let fresh = hex(&random_bytes::<32>());
    on_conn!(conn.reborrow(), |c| sqlx::query(INSERT)
        .bind(name)
        .bind(&fresh)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    on_conn!(conn, |c| sqlx::query_scalar(SELECT).bind(name).fetch_one(c).await)
}
