//! The key epoch and the registry of caching nodes (migration 0005): what lets a node cache API
//! keys while a revocation still reaches every node before it returns (see [`crate::keycache`]).

use super::{Conn, on_conn};

/// A registered node as a revoker sees it while waiting for it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PendingNode {
    pub node_id: String,
    pub beat: i64,
    pub lease_ms: i64,
}

/// The generation: it moves with every UPDATE or DELETE of `api_keys` and `organizations`.
pub async fn generation(conn: Conn<'_>) -> sqlx::Result<i64> {
    const SQL: &str = "SELECT generation FROM key_epoch WHERE id = 1";
    on_conn!(conn, |c| sqlx::query_scalar(SQL).fetch_one(c).await)
}

/// Adds this node to the registry (or resets its row, when an earlier attempt's answer was lost)
/// with nothing acknowledged yet: revokers wait for its first poll.
pub async fn register(conn: Conn<'_>, node_id: &str, lease_ms: i64, now: i64) -> sqlx::Result<()> {
    const SQL: &str = "INSERT INTO key_cache_nodes \
        (node_id, beat, acked_generation, lease_ms, last_seen) VALUES ($1, 0, -1, $2, $3) \
        ON CONFLICT (node_id) DO UPDATE SET beat = key_cache_nodes.beat + 1, \
        acked_generation = -1, lease_ms = $2, last_seen = $3";
    on_conn!(conn, |c| sqlx::query(SQL)
        .bind(node_id)
        .bind(lease_ms)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Records that the node has emptied its cache of everything older than `acked` and is alive.
/// False when the node's row is gone (a revoker judged it lapsed): it must register again.
pub async fn heartbeat(conn: Conn<'_>, node_id: &str, acked: i64, now: i64) -> sqlx::Result<bool> {
    const SQL: &str = "UPDATE key_cache_nodes \
        SET beat = beat + 1, acked_generation = $2, last_seen = $3 WHERE node_id = $1";
    let n = on_conn!(conn, |c| sqlx::query(SQL)
        .bind(node_id)
        .bind(acked)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn deregister(conn: Conn<'_>, node_id: &str) -> sqlx::Result<()> {
    const SQL: &str = "DELETE FROM key_cache_nodes WHERE node_id = $1";
    on_conn!(conn, |c| sqlx::query(SQL).bind(node_id).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The registered nodes that have not acknowledged `generation` yet.
pub async fn pending(conn: Conn<'_>, generation: i64) -> sqlx::Result<Vec<PendingNode>> {
    const SQL: &str = "SELECT node_id, beat, lease_ms FROM key_cache_nodes \
        WHERE acked_generation < $1 ORDER BY node_id";
    on_conn!(conn, |c| sqlx::query_as(SQL).bind(generation).fetch_all(c).await)
}

/// Deletes a node's row only if its beat is still `beat`, the value watched for its lease: a
/// heartbeat written meanwhile (even one waiting on this row's lock) keeps the row.
pub async fn remove_lapsed(conn: Conn<'_>, node_id: &str, beat: i64) -> sqlx::Result<bool> {
    const SQL: &str = "DELETE FROM key_cache_nodes WHERE node_id = $1 AND beat = $2";
    let n = on_conn!(conn, |c| sqlx::query(SQL)
        .bind(node_id)
        .bind(beat)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}
