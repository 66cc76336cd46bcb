//! WhatsApp accounts, each owned by one team and addressed by Meta's `phone_number_id`.

use rusqlite::{OptionalExtension, named_params};

use super::read::{Cost, Read};
use super::{Conn, on_conn};
use crate::enums::AccountStatus;
use crate::ids::{OrgId, PhoneNumberId, TeamId};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccountRow {
    pub phone_number_id: PhoneNumberId,
    pub org_id: OrgId,
    pub team_id: TeamId,
    pub phone_number: String,
    pub name: Option<String>,
    pub status: AccountStatus,
    pub created_at: i64,
}

impl AccountRow {
    /// The row as sqlx's `FromRow` reads it, by column name, from a SQLite reader.
    fn from_reader(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            phone_number_id: row.get("phone_number_id")?,
            org_id: row.get("org_id")?,
            team_id: row.get("team_id")?,
            phone_number: row.get("phone_number")?,
            name: row.get("name")?,
            status: row.get("status")?,
            created_at: row.get("created_at")?,
        })
    }
}

pub async fn insert(conn: Conn<'_>, a: &AccountRow) -> sqlx::Result<()> {
    const SQL: &str = "INSERT INTO accounts \
        (phone_number_id, org_id, team_id, phone_number, name, status, created_at) \
        VALUES ($1, $2, $3, $4, $5, $6, $7)";
    on_conn!(conn, |c| sqlx::query(SQL)
        .bind(&a.phone_number_id)
        .bind(&a.org_id)
        .bind(&a.team_id)
        .bind(&a.phone_number)
        .bind(&a.name)
        .bind(a.status)
        .bind(a.created_at)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// The account, if it exists and belongs to `org`.
pub async fn get(
    read: impl Into<Read<'_>>,
    org: &OrgId,
    phone_number_id: &PhoneNumberId,
) -> sqlx::Result<Option<AccountRow>> {
    const SQL: &str = "SELECT phone_number_id, org_id, team_id, phone_number, name, status, \
        created_at FROM accounts WHERE org_id = $1 AND phone_number_id = $2";
    match read.into() {
        Read::Sqlite(readers) => {
            let (org, id) = (org.clone(), phone_number_id.clone());
            readers
                .run(Cost::Bounded, move |c| {
                    let mut statement = c.prepare_cached(SQL)?;
                    let params = named_params! { "$1": org, "$2": id };
                    statement.query_row(params, AccountRow::from_reader).optional()
                })
                .await
        }
        Read::Conn(conn) => on_conn!(conn, |c| sqlx::query_as(SQL)
            .bind(org)
            .bind(phone_number_id)
            .fetch_optional(c)
            .await),
    }
}

pub async fn list(
    conn: Conn<'_>,
    org: &OrgId,
    only_connected: bool,
) -> sqlx::Result<Vec<AccountRow>> {
    const SQL: &str = "SELECT phone_number_id, org_id, team_id, phone_number, name, status, \
        created_at FROM accounts WHERE org_id = $1 AND ($2 = 0 OR status = 'connected') \
        ORDER BY created_at DESC, phone_number_id DESC";
    on_conn!(conn, |c| sqlx::query_as(SQL)
        .bind(org)
        .bind(i64::from(only_connected))
        .fetch_all(c)
        .await)
}
