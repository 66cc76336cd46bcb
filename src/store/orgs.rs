//! Organisations and their teams (administered from the command line, read by `/v1/me`).

use super::{Conn, on_conn};
use crate::enums::Tier;
use crate::ids::{OrgId, TeamId};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrgRow {
    pub id: OrgId,
    pub name: String,
    pub tier: Tier,
    pub write_per_minute: i64,
    pub read_per_minute: i64,
    pub created_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct TeamRow {
    pub id: TeamId,
    pub name: String,
}

pub async fn insert(conn: Conn<'_>, org: &OrgRow) -> sqlx::Result<()> {
    const SQL: &str = "INSERT INTO organizations \
        (id, name, tier, write_per_minute, read_per_minute, created_at) \
        VALUES ($1, $2, $3, $4, $5, $6)";
    on_conn!(conn, |c| sqlx::query(SQL)
        .bind(&org.id)
        .bind(&org.name)
        .bind(org.tier)
        .bind(org.write_per_minute)
        .bind(org.read_per_minute)
        .bind(org.created_at)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn exists(conn: Conn<'_>, org: &OrgId) -> sqlx::Result<bool> {
    const SQL: &str = "SELECT count(*) FROM organizations WHERE id = $1";
    let n: i64 = on_conn!(conn, |c| sqlx::query_scalar(SQL).bind(org).fetch_one(c).await)?;
    Ok(n > 0)
}

pub async fn any(conn: Conn<'_>) -> sqlx::Result<bool> {
    const SQL: &str = "SELECT count(*) FROM (SELECT 1 FROM organizations LIMIT 1) AS one";
    let n: i64 = on_conn!(conn, |c| sqlx::query_scalar(SQL).fetch_one(c).await)?;
    Ok(n > 0)
}

pub async fn insert_team(
    conn: Conn<'_>,
    org: &OrgId,
    id: &TeamId,
    name: &str,
    now: i64,
) -> sqlx::Result<()> {
    const SQL: &str = "INSERT INTO teams (id, org_id, name, created_at) VALUES ($1, $2, $3, $4)";
    on_conn!(conn, |c| sqlx::query(SQL)
        .bind(id)
        .bind(org)
        .bind(name)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn teams(conn: Conn<'_>, org: &OrgId) -> sqlx::Result<Vec<TeamRow>> {
    const SQL: &str = "SELECT id, name FROM teams WHERE org_id = $1 ORDER BY id";
    on_conn!(conn, |c| sqlx::query_as(SQL).bind(org).fetch_all(c).await)
}

pub async fn team_exists(conn: Conn<'_>, org: &OrgId, team: &TeamId) -> sqlx::Result<bool> {
    const SQL: &str = "SELECT count(*) FROM teams WHERE org_id = $1 AND id = $2";
    let n: i64 =
        on_conn!(conn, |c| sqlx::query_scalar(SQL).bind(org).bind(team).fetch_one(c).await)?;
    Ok(n > 0)
}
