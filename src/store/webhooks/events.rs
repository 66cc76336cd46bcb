//! The outbox's event rows: one per event, its envelope rendered once.
//!
//! A request's events are stored as a block (see [`crate::ids::ulid_block`]): the database
//! names each row by appending its index to the block, writes the envelope's `id` itself, and
//! the deliveries are then made from the block's rows ([`super::deliveries::fan_out`]), so no
//! id travels to the database one by one.

use crate::ids::{OrgId, block_suffix_sql};
use crate::store::Conn;

/// Inserts the events of one type in one statement whatever their number. `block` is the ids'
/// common start (`evt_` and a [`crate::ids::ulid_block`]); the i-th of `rests` gets the id
/// ending in index `first + i`. Each rest is the envelope after its `id` (`,"type":…}`).
pub async fn insert_block(
    conn: Conn<'_>,
    org: &OrgId,
    block: &str,
    first: usize,
    event_type: &str,
    rests: &[String],
    now: i64,
) -> sqlx::Result<()> {
    // The rests travel as one JSON array for SQLite's json_each and as an array for
    // PostgreSQL's unnest: the only difference between the two statements.
    let first = i64::try_from(first).expect("a block holds 2^20 events");
    match conn {
        Conn::Sqlite(c) => {
            const SQL: &str = concat!(
                "INSERT INTO webhook_events (id, org_id, type, payload, created_at) \
                 SELECT id, $1, $2, '{\"id\":\"' || id || '\"' || rest, $3 FROM (SELECT $4 || ",
                block_suffix_sql!("key + $5"),
                " AS id, value AS rest FROM json_each($6))"
            );
            let json = serde_json::to_string(rests).expect("strings serialise");
            sqlx::query(SQL)
                .bind(org)
                .bind(event_type)
                .bind(now)
                .bind(block)
                .bind(first)
                .bind(json)
                .execute(c)
                .await?;
        }
        Conn::Postgres(c) => {
            const SQL: &str = concat!(
                "INSERT INTO webhook_events (id, org_id, type, payload, created_at) \
                 SELECT id, $1, $2, '{\"id\":\"' || id || '\"' || rest, $3 FROM (SELECT $4 || ",
                block_suffix_sql!("ord - 1 + $5"),
                " AS id, rest FROM unnest($6::text[]) WITH ORDINALITY AS e (rest, ord)) e"
            );
            sqlx::query(SQL)
                .bind(org)
                .bind(event_type)
                .bind(now)
                .bind(block)
                .bind(first)
                .bind(rests)
                .execute(c)
                .await?;
        }
    }
    Ok(())
}
