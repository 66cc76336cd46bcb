//! Bulk upsert of contacts (contract §10), set-based: each step is one statement whatever the
//! number of items, the rows travelling as one JSON parameter (SQLite `json_each`, PostgreSQL
//! `jsonb_to_recordset`), which is the only difference between the two dialects here.
//!
//! Concurrency: new contacts are inserted `ON CONFLICT (account_id, phone_number) DO NOTHING`
//! in phone order, so two calls creating the same phones never fail on the unique key (the
//! second waits for the first and finds the row) and never wait on each other in a cycle.
//! Existing rows are then locked `FOR NO KEY UPDATE` in id order, the order in which bulk label
//! and every stamp lock contacts: in phone order, an upsert and a bulk call on the same contacts
//! deadlocked, and PostgreSQL aborted one of them.

use std::collections::HashSet;

use serde_json::json;

use super::Conn;
use super::contacts::{self, ContactFields, ContactRow, contact_and_change, contact_columns};
use crate::ids::{ContactId, LabelId, OrgId, PhoneNumberId};

fn rows_json<'a>(rows: impl Iterator<Item = (&'a str, &'a ContactFields)>) -> String {
    let rows: Vec<_> = rows
        .map(|(id, f)| {
            json!({
                "id": id,
                "team_id": f.team_id,
                "phone_number": f.phone_number,
                "name": f.name,
                "email": f.email,
                "name_lc": f.name.as_deref().map(str::to_lowercase),
                "email_lc": f.email.as_deref().map(str::to_lowercase),
                "metadata": f.metadata,
            })
        })
        .collect();
    serde_json::Value::Array(rows).to_string()
}

/// Inserts the contacts whose phone number is not on the account yet; returns the phone
/// numbers it inserted.
pub async fn insert_missing(
    conn: Conn<'_>,
    org: &OrgId,
    account: &PhoneNumberId,
    rows: &[(ContactId, ContactFields)],
    now: i64,
) -> sqlx::Result<HashSet<String>> {
    let json = rows_json(rows.iter().map(|(id, f)| (id.as_str(), f)));
    let inserted: Vec<String> = match conn {
        Conn::Sqlite(c) => {
            // `WHERE true` tells SQLite's parser that ON CONFLICT is the upsert clause.
            const SQL: &str = "INSERT INTO contacts (id, org_id, account_id, team_id, \
                phone_number, name, email, name_lc, email_lc, metadata, created_at) \
                SELECT value ->> 'id', $1, $2, value ->> 'team_id', value ->> 'phone_number', \
                value ->> 'name', value ->> 'email', value ->> 'name_lc', value ->> 'email_lc', \
                value ->> 'metadata', $3 FROM json_each($4) WHERE true \
                ORDER BY value ->> 'phone_number' \
                ON CONFLICT (account_id, phone_number) DO NOTHING RETURNING phone_number";
            sqlx::query_scalar(SQL)
                .bind(org.as_str())
                .bind(account.as_str())
                .bind(now)
                .bind(json)
                .fetch_all(c)
                .await?
        }
        Conn::Postgres(c) => {
            const SQL: &str = "INSERT INTO contacts (id, org_id, account_id, team_id, phone_number, name, \
                email, name_lc, email_lc, metadata, created_at) \
                SELECT v.id, $1, $2, v.team_id, v.phone_number, v.name, v.email, v.name_lc, \
                v.email_lc, v.metadata, $3 FROM jsonb_to_recordset($4::jsonb) AS v(id text, team_id text, phone_number text, name text, email text, \
                name_lc text, email_lc text, metadata text) ORDER BY v.phone_number \
                ON CONFLICT (account_id, phone_number) DO NOTHING RETURNING phone_number";
            sqlx::query_scalar(SQL)
                .bind(org.as_str())
                .bind(account.as_str())
                .bind(now)
                .bind(json)
                .fetch_all(c)
                .await?
        }
    };
    Ok(inserted.into_iter().collect())
}

/// The account's contacts with these phone numbers, locked against concurrent change until the
/// transaction ends (on PostgreSQL in id order, see the module).
pub async fn lock_by_phones(
    conn: Conn<'_>,
    org: &OrgId,
    account: &PhoneNumberId,
    phones: &[&str],
) -> sqlx::Result<Vec<ContactRow>> {
    match conn {
        Conn::Sqlite(c) => {
            // No row locks in SQLite: its write transaction already excludes other writers.
            const SQL: &str = concat!(
                "SELECT ",
                contact_columns!(),
                " FROM ",
                contact_and_change!(),
                " AND c.org_id = $1 AND c.account_id = $2 \
                AND c.phone_number IN (SELECT value FROM json_each($3)) ORDER BY c.phone_number"
            );
            let json = serde_json::to_string(phones).unwrap_or_default();
            sqlx::query_as(SQL)
                .bind(org.as_str())
                .bind(account.as_str())
                .bind(json)
                .fetch_all(c)
                .await
        }
        Conn::Postgres(c) => {
            const SQL: &str = concat!(
                "SELECT ",
                contact_columns!(),
                " FROM ",
                contact_and_change!(),
                " AND c.org_id = $1 AND c.account_id = $2 AND c.phone_number = ANY($3) \
                ORDER BY c.id FOR NO KEY UPDATE OF c"
            );
            sqlx::query_as(SQL)
                .bind(org.as_str())
                .bind(account.as_str())
                .bind(phones)
                .fetch_all(c)
                .await
        }
    }
}

/// Writes these fields to these contacts of the account and stamps them `now`.
pub async fn update_many(
    mut conn: Conn<'_>,
    org: &OrgId,
    account: &PhoneNumberId,
    rows: &[(ContactId, ContactFields)],
    now: i64,
) -> sqlx::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let json = rows_json(rows.iter().map(|(id, f)| (id.as_str(), f)));
    match conn.reborrow() {
        Conn::Sqlite(c) => {
            // SQLite must walk the rows and find each contact by its key: the unary `+`s keep
            // it from using the (account_id, id) index to walk the account's contacts instead,
            // testing each against all the rows (minutes for a large account).
            const SQL: &str = "WITH v AS MATERIALIZED (SELECT value ->> 'id' AS id, \
                value ->> 'team_id' AS team_id, value ->> 'name' AS name, \
                value ->> 'email' AS email, value ->> 'name_lc' AS name_lc, \
                value ->> 'email_lc' AS email_lc, value ->> 'metadata' AS metadata \
                FROM json_each($3)) \
                UPDATE contacts SET team_id = v.team_id, name = v.name, email = v.email, \
                name_lc = v.name_lc, email_lc = v.email_lc, metadata = v.metadata FROM v \
                WHERE +contacts.org_id = $1 AND +contacts.account_id = $2 AND contacts.id = v.id";
            sqlx::query(SQL)
                .bind(org.as_str())
                .bind(account.as_str())
                .bind(json)
                .execute(c)
                .await?;
        }
        Conn::Postgres(c) => {
            const SQL: &str = "UPDATE contacts c SET team_id = v.team_id, name = v.name, email = v.email, \
                name_lc = v.name_lc, email_lc = v.email_lc, metadata = v.metadata \
                FROM jsonb_to_recordset($3::jsonb) AS v(id text, team_id text, phone_number text, name text, email text, \
                name_lc text, email_lc text, metadata text) WHERE c.org_id = $1 AND c.account_id = $2 AND c.id = v.id";
            sqlx::query(SQL)
                .bind(org.as_str())
                .bind(account.as_str())
                .bind(json)
                .execute(c)
                .await?;
        }
    }
    let ids: Vec<ContactId> = rows.iter().map(|(id, _)| id.clone()).collect();
    contacts::stamp(conn, org, &ids, now).await
}

/// Of these contacts, the ones already carrying the label.
pub async fn linked(
    conn: Conn<'_>,
    label: &LabelId,
    ids: &[&str],
) -> sqlx::Result<HashSet<String>> {
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let found: Vec<String> = match conn {
        Conn::Sqlite(c) => {
            const SQL: &str = "SELECT contact_id FROM contact_labels WHERE label_id = $1 \
                AND contact_id IN (SELECT value FROM json_each($2))";
            let json = serde_json::to_string(ids).unwrap_or_default();
            sqlx::query_scalar(SQL).bind(label.as_str()).bind(json).fetch_all(c).await?
        }
        Conn::Postgres(c) => {
            const SQL: &str = "SELECT contact_id FROM contact_labels WHERE label_id = $1 \
                AND contact_id = ANY($2)";
            sqlx::query_scalar(SQL).bind(label.as_str()).bind(ids).fetch_all(c).await?
        }
    };
    Ok(found.into_iter().collect())
}

/// Links the label to every one of these contacts (existing links stay), in id order.
pub async fn link_all(conn: Conn<'_>, label: &LabelId, ids: &[&str], now: i64) -> sqlx::Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    match conn {
        Conn::Sqlite(c) => {
            const SQL: &str = "INSERT INTO contact_labels (label_id, contact_id, created_at) \
                SELECT $1, value, $2 FROM json_each($3) WHERE true ORDER BY value \
                ON CONFLICT DO NOTHING";
            let json = serde_json::to_string(ids).unwrap_or_default();
            sqlx::query(SQL).bind(label.as_str()).bind(now).bind(json).execute(c).await?;
        }
        Conn::Postgres(c) => {
            const SQL: &str = "INSERT INTO contact_labels (label_id, contact_id, created_at) \
                SELECT $1, x, $2 FROM unnest($3::text[]) AS x ORDER BY x \
                ON CONFLICT DO NOTHING";
            sqlx::query(SQL).bind(label.as_str()).bind(now).bind(ids).execute(c).await?;
        }
    }
    Ok(())
}
