//! The outbox's event rows: one per event, its envelope rendered once.

use crate::ids::{EventId, OrgId};
use crate::store::Conn;

/// An event about to be stored.
#[derive(Debug, Clone)]
pub struct NewEventRow {
    pub id: EventId,
    pub event_type: &'static str,
    pub payload: String,
}

/// Inserts every event in one statement whatever their number.
pub async fn insert_many(
    conn: Conn<'_>,
    org: &OrgId,
    rows: &[NewEventRow],
    now: i64,
) -> sqlx::Result<()> {
    // The rows travel as one JSON parameter for SQLite's json_each and as parallel arrays for
    // PostgreSQL's unnest: the only difference between the two statements.
    match conn {
        Conn::Sqlite(c) => {
            const SQL: &str = "INSERT INTO webhook_events (id, org_id, type, payload, created_at) \
                SELECT json_extract(value, '$[0]'), $1, json_extract(value, '$[1]'), \
                json_extract(value, '$[2]'), $2 FROM json_each($3)";
            let json: Vec<[&str; 3]> =
                rows.iter().map(|r| [r.id.as_str(), r.event_type, r.payload.as_str()]).collect();
            let json = serde_json::to_string(&json).unwrap_or_default();
            sqlx::query(SQL).bind(org).bind(now).bind(json).execute(c).await?;
        }
        Conn::Postgres(c) => {
            const SQL: &str = "INSERT INTO webhook_events (id, org_id, type, payload, created_at) \
                SELECT id, $1, type, payload, $2 \
                FROM unnest($3::text[], $4::text[], $5::text[]) AS e (id, type, payload)";
            let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
            let types: Vec<&str> = rows.iter().map(|r| r.event_type).collect();
            let payloads: Vec<&str> = rows.iter().map(|r| r.payload.as_str()).collect();
            sqlx::query(SQL)
                .bind(org)
                .bind(now)
                .bind(ids)
                .bind(types)
                .bind(payloads)
                .execute(c)
                .await?;
        }
    }
    Ok(())
}
