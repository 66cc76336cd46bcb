//! WhatsApp accounts, each owned by one team and addressed by Meta's `phone_number_id`.

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
    conn: Conn<'_>,
    org: &OrgId,
    phone_number_id: &PhoneNumberId,
) -> sqlx::Result<Option<AccountRow>> {
    const SQL: &str = "SELECT phone_number_id, org_id, team_id, phone_number, name, status, \
        created_at FROM accounts WHERE org_id = $1 AND phone_number_id = $2";
    on_conn!(conn, |c| sqlx::query_as(SQL).bind(org).bind(phone_number_id).fetch_optional(c).await)
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
