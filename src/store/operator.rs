//! What the operator's `list` and `show` commands read: whole tables, across organisations.
//! Nothing here is reachable from the API, which always scopes by the caller's organisation.

use super::accounts::AccountRow;
use super::orgs::OrgRow;
use super::{Conn, on_conn};
use crate::ids::{KeyId, OrgId, PhoneNumberId, TeamId};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TeamRecord {
    pub id: TeamId,
    pub org_id: OrgId,
    pub name: String,
    pub created_at: i64,
}

/// A key as the operator may see it: never its hash.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeyRecord {
    pub id: KeyId,
    pub org_id: OrgId,
    pub label: Option<String>,
    pub prefix: String,
    pub last4: String,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub created_at: i64,
}

/// The columns of each table's rows, then the rest of the statement.
macro_rules! select {
    (ORG, $tail:literal) => {
        concat!("SELECT id, name, tier, write_per_minute, read_per_minute, created_at FROM organizations", $tail)
    };
    (TEAM, $tail:literal) => {
        concat!("SELECT id, org_id, name, created_at FROM teams", $tail)
    };
    (ACCOUNT, $tail:literal) => {
        concat!("SELECT phone_number_id, org_id, team_id, phone_number, name, status, created_at FROM accounts", $tail)
    };
    (KEY, $tail:literal) => {
        concat!("SELECT id, org_id, label, prefix, last4, expires_at, revoked_at, created_at FROM api_keys", $tail)
    };
}

pub async fn orgs(conn: Conn<'_>) -> sqlx::Result<Vec<OrgRow>> {
    const SQL: &str = select!(ORG, " ORDER BY id");
    on_conn!(conn, |c| sqlx::query_as(SQL).fetch_all(c).await)
}

pub async fn org(conn: Conn<'_>, id: &OrgId) -> sqlx::Result<Option<OrgRow>> {
    const SQL: &str = select!(ORG, " WHERE id = $1");
    on_conn!(conn, |c| sqlx::query_as(SQL).bind(id).fetch_optional(c).await)
}

pub async fn teams(conn: Conn<'_>, org: &OrgId) -> sqlx::Result<Vec<TeamRecord>> {
    const SQL: &str = select!(TEAM, " WHERE org_id = $1 ORDER BY id");
    on_conn!(conn, |c| sqlx::query_as(SQL).bind(org).fetch_all(c).await)
}

pub async fn team(conn: Conn<'_>, id: &TeamId) -> sqlx::Result<Option<TeamRecord>> {
    const SQL: &str = select!(TEAM, " WHERE id = $1");
    on_conn!(conn, |c| sqlx::query_as(SQL).bind(id).fetch_optional(c).await)
}

pub async fn accounts(conn: Conn<'_>, org: &OrgId) -> sqlx::Result<Vec<AccountRow>> {
    const SQL: &str = select!(ACCOUNT, " WHERE org_id = $1 ORDER BY phone_number_id");
    on_conn!(conn, |c| sqlx::query_as(SQL).bind(org).fetch_all(c).await)
}

pub async fn account(conn: Conn<'_>, id: &PhoneNumberId) -> sqlx::Result<Option<AccountRow>> {
    const SQL: &str = select!(ACCOUNT, " WHERE phone_number_id = $1");
    on_conn!(conn, |c| sqlx::query_as(SQL).bind(id).fetch_optional(c).await)
}

pub async fn keys(conn: Conn<'_>, org: &OrgId) -> sqlx::Result<Vec<KeyRecord>> {
    const SQL: &str = select!(KEY, " WHERE org_id = $1 ORDER BY id");
    on_conn!(conn, |c| sqlx::query_as(SQL).bind(org).fetch_all(c).await)
}

pub async fn key(conn: Conn<'_>, id: &KeyId) -> sqlx::Result<Option<KeyRecord>> {
    const SQL: &str = select!(KEY, " WHERE id = $1");
    on_conn!(conn, |c| sqlx::query_as(SQL).bind(id).fetch_optional(c).await)
}
