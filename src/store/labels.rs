//! Labels: team-scoped, names unique per team case-insensitively (by `name_key`).

use rusqlite::{OptionalExtension, named_params};

use super::read::{Cost, Read};
use super::{Conn, on_conn};
use crate::enums::Color;
use crate::ids::{LabelId, OrgId, TeamId};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LabelRow {
    pub id: LabelId,
    pub team_id: TeamId,
    pub name: String,
    pub color: Color,
    pub created_at: i64,
    pub updated_at: i64,
}

impl LabelRow {
    /// The row as sqlx's `FromRow` reads it, by column name, from a SQLite reader.
    fn from_reader(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get("id")?,
            team_id: row.get("team_id")?,
            name: row.get("name")?,
            color: row.get("color")?,
            created_at: row.get("created_at")?,
            updated_at: row.get("updated_at")?,
        })
    }
}

/// The key label names are unique by within a team.
pub fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// One label of the organisation by id (`$1`, `$2`), as a literal for `concat!`.
macro_rules! label_by_id {
    () => {
        "SELECT id, team_id, name, color, created_at, updated_at FROM labels \
         WHERE org_id = $1 AND id = $2"
    };
}
pub(crate) use label_by_id;

pub async fn insert(conn: Conn<'_>, org: &OrgId, label: &LabelRow) -> sqlx::Result<()> {
    const SQL: &str = "INSERT INTO labels \
        (id, org_id, team_id, name, name_key, color, created_at, updated_at) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    on_conn!(conn, |c| sqlx::query(SQL)
        .bind(&label.id)
        .bind(org)
        .bind(&label.team_id)
        .bind(&label.name)
        .bind(name_key(&label.name))
        .bind(label.color)
        .bind(label.created_at)
        .bind(label.updated_at)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn get(
    read: impl Into<Read<'_>>,
    org: &OrgId,
    id: &LabelId,
) -> sqlx::Result<Option<LabelRow>> {
    const SQL: &str = label_by_id!();
    match read.into() {
        Read::Sqlite(readers) => {
            let (org, id) = (org.clone(), id.clone());
            readers
                .run(Cost::Bounded, move |c| {
                    let mut statement = c.prepare_cached(SQL)?;
                    let params = named_params! { "$1": org, "$2": id };
                    statement.query_row(params, LabelRow::from_reader).optional()
                })
                .await
        }
        Read::Conn(conn) => {
            on_conn!(conn, |c| sqlx::query_as(SQL).bind(org).bind(id).fetch_optional(c).await)
        }
    }
}

/// As [`get`] inside a write, and on PostgreSQL the row stays locked until the transaction
/// ends: a rename writes back what it read, and the label's deletion, which locks the row too
/// ([`crate::store::links::lock_label`]), cannot slip in between. SQLite's write transaction
/// already excludes both.
pub async fn get_locked(
    conn: Conn<'_>,
    org: &OrgId,
    id: &LabelId,
) -> sqlx::Result<Option<LabelRow>> {
    const SQLITE: &str = label_by_id!();
    const POSTGRES: &str = concat!(label_by_id!(), " FOR NO KEY UPDATE");
    let sql = if matches!(conn, Conn::Postgres(_)) { POSTGRES } else { SQLITE };
    on_conn!(conn, |c| sqlx::query_as(sql).bind(org).bind(id).fetch_optional(c).await)
}

/// Writes the label's name and colour; false if it is not there (any more).
pub async fn update(conn: Conn<'_>, org: &OrgId, label: &LabelRow) -> sqlx::Result<bool> {
    const SQL: &str = "UPDATE labels SET name = $3, name_key = $4, color = $5, updated_at = $6 \
        WHERE org_id = $1 AND id = $2";
    let written = on_conn!(conn, |c| sqlx::query(SQL)
        .bind(org)
        .bind(&label.id)
        .bind(&label.name)
        .bind(name_key(&label.name))
        .bind(label.color)
        .bind(label.updated_at)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(written == 1)
}

/// Deletes the label and, by cascade, every link to it; false if there was none.
pub async fn delete(conn: Conn<'_>, org: &OrgId, id: &LabelId) -> sqlx::Result<bool> {
    const SQL: &str = "DELETE FROM labels WHERE org_id = $1 AND id = $2";
    let done = on_conn!(conn, |c| sqlx::query(SQL)
        .bind(org)
        .bind(id)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// One page, newest first, `limit + 1` rows at most.
pub async fn list(
    conn: Conn<'_>,
    org: &OrgId,
    team: Option<&TeamId>,
    after: Option<&LabelId>,
    limit: i64,
) -> sqlx::Result<Vec<LabelRow>> {
    // A NULL filter matches everything; both are cheap checks on an (org_id, id) range walk.
    const SQL: &str = "SELECT id, team_id, name, color, created_at, updated_at FROM labels \
        WHERE org_id = $1 AND ($2 IS NULL OR team_id = $2) AND ($3 IS NULL OR id < $3) \
        ORDER BY id DESC LIMIT $4";
    on_conn!(conn, |c| sqlx::query_as(SQL)
        .bind(org)
        .bind(team)
        .bind(after)
        .bind(limit + 1)
        .fetch_all(c)
        .await)
}
