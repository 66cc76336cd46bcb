//! Contact ↔ label links: one at a time, or in bulk.
//!
//! Every change to a label's links first locks the label's row (PostgreSQL `FOR UPDATE`; on SQLite
//! the write transaction is already exclusive). Writers of one label therefore run one after
//! another, which rules out deadlocks between overlapping bulk calls and makes a concurrent label
//! deletion wait for them, so a bulk call is never half-applied.
//! The contacts involved are then locked `FOR KEY SHARE`: they cannot be deleted under the call,
//! while edits to their other fields go on.

use super::{Conn, on_conn};
use crate::ids::{ContactId, LabelId, OrgId, PhoneNumberId, TeamId};
use crate::store::labels::LabelRow;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Attach,
    Detach,
}

/// How the distinct ids of a bulk call were partitioned (contract §5).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct BulkOutcome {
    pub applied: i64,
    pub skipped_cross_org: i64,
    pub skipped_team_mismatch: i64,
}

/// Locks and returns the label for a change to its links.
pub async fn lock_label(
    conn: Conn<'_>,
    org: &OrgId,
    id: &LabelId,
) -> sqlx::Result<Option<LabelRow>> {
    // Written twice: SQLite has no row locks (its write transaction already excludes others).
    const SQLITE: &str = "SELECT id, team_id, name, color, created_at, updated_at FROM labels \
        WHERE org_id = $1 AND id = $2";
    const POSTGRES: &str = "SELECT id, team_id, name, color, created_at, updated_at FROM labels \
        WHERE org_id = $1 AND id = $2 FOR UPDATE";
    match conn {
        Conn::Sqlite(c) => sqlx::query_as(SQLITE).bind(org).bind(id).fetch_optional(c).await,
        Conn::Postgres(c) => sqlx::query_as(POSTGRES).bind(org).bind(id).fetch_optional(c).await,
    }
}

/// Applies `op` for `label` to the `distinct` ids, as set-based statements whatever their
/// number: find the account's contacts among them, then insert or delete the links of those in
/// the label's team. Returns the outcome and the contacts whose link actually changed (for
/// their `updated_at` and their events). The caller holds the label lock and the transaction.
pub async fn bulk(
    mut conn: Conn<'_>,
    org: &OrgId,
    account: &PhoneNumberId,
    label: &LabelRow,
    distinct: &[ContactId],
    op: Operation,
    now: i64,
) -> sqlx::Result<(BulkOutcome, Vec<ContactId>)> {
    let ids: Vec<&str> = distinct.iter().map(ContactId::as_str).collect();
    // The id list travels as one parameter: a JSON array for SQLite's json_each, a text[] for
    // PostgreSQL's ANY. That is the only difference between the two dialects here.
    let teams: Vec<TeamId> = match conn.reborrow() {
        Conn::Sqlite(c) => {
            const SQL: &str = "SELECT team_id FROM contacts WHERE org_id = $1 AND account_id = $2 \
                AND id IN (SELECT value FROM json_each($3))";
            let json = serde_json::to_string(&ids).unwrap_or_default();
            sqlx::query_scalar(SQL).bind(org).bind(account).bind(json).fetch_all(c).await?
        }
        Conn::Postgres(c) => {
            const SQL: &str = "SELECT team_id FROM contacts WHERE org_id = $1 AND account_id = $2 \
                AND id = ANY($3) ORDER BY id FOR KEY SHARE";
            sqlx::query_scalar(SQL).bind(org).bind(account).bind(&ids).fetch_all(c).await?
        }
    };
    let found = teams.len() as i64;
    let applied = teams.iter().filter(|t| **t == label.team_id).count() as i64;
    let outcome = BulkOutcome {
        applied,
        skipped_cross_org: distinct.len() as i64 - found,
        skipped_team_mismatch: found - applied,
    };
    if applied == 0 {
        return Ok((outcome, Vec::new()));
    }

    // Inserts go in id order, the same order every writer uses. RETURNING names only the rows
    // written, so a link that already was as asked changes nothing downstream.
    let changed: Vec<ContactId> = match (conn, op) {
        (Conn::Sqlite(c), Operation::Attach) => {
            const SQL: &str = "INSERT INTO contact_labels (label_id, contact_id, created_at) \
                SELECT $1, id, $5 FROM contacts WHERE org_id = $2 AND account_id = $3 \
                AND team_id = $4 AND id IN (SELECT value FROM json_each($6)) ORDER BY id \
                ON CONFLICT DO NOTHING RETURNING contact_id";
            let json = serde_json::to_string(&ids).unwrap_or_default();
            sqlx::query_scalar(SQL)
                .bind(&label.id)
                .bind(org)
                .bind(account)
                .bind(&label.team_id)
                .bind(now)
                .bind(json)
                .fetch_all(c)
                .await?
        }
        (Conn::Sqlite(c), Operation::Detach) => {
            const SQL: &str = "DELETE FROM contact_labels WHERE label_id = $1 AND contact_id IN \
                (SELECT id FROM contacts WHERE org_id = $2 AND account_id = $3 AND team_id = $4 \
                AND id IN (SELECT value FROM json_each($5))) RETURNING contact_id";
            let json = serde_json::to_string(&ids).unwrap_or_default();
            sqlx::query_scalar(SQL)
                .bind(&label.id)
                .bind(org)
                .bind(account)
                .bind(&label.team_id)
                .bind(json)
                .fetch_all(c)
                .await?
        }
        (Conn::Postgres(c), Operation::Attach) => {
            const SQL: &str = "INSERT INTO contact_labels (label_id, contact_id, created_at) \
                SELECT $1, id, $5 FROM contacts WHERE org_id = $2 AND account_id = $3 \
                AND team_id = $4 AND id = ANY($6) ORDER BY id \
                ON CONFLICT DO NOTHING RETURNING contact_id";
            sqlx::query_scalar(SQL)
                .bind(&label.id)
                .bind(org)
                .bind(account)
                .bind(&label.team_id)
                .bind(now)
                .bind(&ids)
                .fetch_all(c)
                .await?
        }
        (Conn::Postgres(c), Operation::Detach) => {
            const SQL: &str = "DELETE FROM contact_labels WHERE label_id = $1 AND contact_id IN \
                (SELECT id FROM contacts WHERE org_id = $2 AND account_id = $3 AND team_id = $4 \
                AND id = ANY($5)) RETURNING contact_id";
            sqlx::query_scalar(SQL)
                .bind(&label.id)
                .bind(org)
                .bind(account)
                .bind(&label.team_id)
                .bind(&ids)
                .fetch_all(c)
                .await?
        }
    };
    Ok((outcome, changed))
}

/// Links one contact to a label; linking twice is a no-op. True if the link is new.
pub async fn attach(
    conn: Conn<'_>,
    label: &LabelId,
    contact: &ContactId,
    now: i64,
) -> sqlx::Result<bool> {
    const SQL: &str = "INSERT INTO contact_labels (label_id, contact_id, created_at) \
        VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";
    let n = on_conn!(conn, |c| sqlx::query(SQL)
        .bind(label)
        .bind(contact)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Unlinks one contact from a label; unlinking an absent link is a no-op. True if there was one.
pub async fn detach(conn: Conn<'_>, label: &LabelId, contact: &ContactId) -> sqlx::Result<bool> {
    const SQL: &str = "DELETE FROM contact_labels WHERE label_id = $1 AND contact_id = $2";
    let n = on_conn!(conn, |c| sqlx::query(SQL)
        .bind(label)
        .bind(contact)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Unlinks a label from every contact (before the label is deleted); returns those contacts.
pub async fn detach_all(conn: Conn<'_>, label: &LabelId) -> sqlx::Result<Vec<ContactId>> {
    const SQL: &str = "DELETE FROM contact_labels WHERE label_id = $1 RETURNING contact_id";
    on_conn!(conn, |c| sqlx::query_scalar(SQL).bind(label).fetch_all(c).await)
}

/// The labels on a contact, newest label first (a contact carries few; no paging needed).
pub async fn labels_of(
    conn: Conn<'_>,
    org: &OrgId,
    contact: &ContactId,
) -> sqlx::Result<Vec<LabelRow>> {
    const SQL: &str = "SELECT l.id, l.team_id, l.name, l.color, l.created_at, l.updated_at \
        FROM contact_labels cl JOIN labels l ON l.id = cl.label_id \
        WHERE l.org_id = $1 AND cl.contact_id = $2 ORDER BY l.id DESC";
    on_conn!(conn, |c| sqlx::query_as(SQL).bind(org).bind(contact).fetch_all(c).await)
}
