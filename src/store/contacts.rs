//! Contacts of one WhatsApp account. Every query is scoped by organisation and account.

use rusqlite::{OptionalExtension, named_params};
use sqlx::QueryBuilder;

use super::read::{Cost, Read};
use super::{Conn, on_conn};
use crate::ids::{ContactId, LabelId, OrgId, PhoneNumberId, TeamId};

/// A [`ContactRow`]'s columns (`contacts c` joined with its `contact_changes ch`), in the order
/// [`ContactRow::from_reader`] reads them: the queries a reader runs select these first. Given a
/// name, `updated_at` is that relation's (a subquery that has joined the two itself).
macro_rules! contact_columns {
    () => {
        contact_columns!(ch)
    };
    ($changes:ident) => {
        concat!(
            "c.id, c.team_id, c.phone_number, c.name, c.email, c.metadata, c.created_at, ",
            stringify!($changes),
            ".updated_at"
        )
    };
}
pub(crate) use contact_columns;

/// `contacts c` and its row of `contact_changes ch` (which holds `updated_at`, migration 0009),
/// as a literal for `concat!`. Written as a cross join with the condition in `WHERE`, which both
/// dialects accept and which keeps SQLite from walking the changes first.
macro_rules! contact_and_change {
    () => {
        "contacts c CROSS JOIN contact_changes ch WHERE ch.contact_id = c.id"
    };
}
pub(crate) use contact_and_change;

/// A changed contact's new `updated_at`, as a literal for `concat!`: the change's time `$now`,
/// or a millisecond past the stamp it replaces when that is later. A writer takes its time
/// before it waits for the contacts' locks, so on PostgreSQL a change could commit after
/// another with an earlier time; receivers order a contact's events by `updated_at` (API.md
/// §8.2), so a contact's stamp never goes back. (Two changes within one millisecond share it,
/// and a stamp repeated with the same time, as bulk upsert's read-back does, changes nothing.)
macro_rules! next_updated_at {
    ($table:literal, $now:literal) => {
        concat!(
            "CASE WHEN ",
            $table,
            ".updated_at > ",
            $now,
            " THEN ",
            $table,
            ".updated_at + 1 ELSE ",
            $now,
            " END"
        )
    };
}
pub(crate) use next_updated_at;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ContactRow {
    pub id: ContactId,
    pub team_id: TeamId,
    pub phone_number: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub metadata: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl ContactRow {
    /// The row from a SQLite reader, selected by [`contact_columns!`]. By position, not by name:
    /// a page reads a hundred of them, and a lookup by name compares every column's name.
    fn from_reader(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get(0)?,
            team_id: row.get(1)?,
            phone_number: row.get(2)?,
            name: row.get(3)?,
            email: row.get(4)?,
            metadata: row.get(5)?,
            created_at: row.get(6)?,
            updated_at: row.get(7)?,
        })
    }
}

/// The writable state of a contact, as stored.
#[derive(Debug, Clone)]
pub struct ContactFields {
    pub team_id: TeamId,
    pub phone_number: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub metadata: String,
}

/// Filters of `GET /contacts`; `after` is the id the previous page ended on.
#[derive(Debug, Default)]
pub struct ContactFilter<'a> {
    pub phone: Option<&'a str>,
    /// Already lower-cased; matched as a substring of the name or the email.
    pub search: Option<&'a str>,
    pub label: Option<&'a LabelId>,
    pub after: Option<&'a ContactId>,
    /// `updated_since` (§9): only contacts with `updated_at ≥` this, oldest change first.
    pub updated_since: Option<i64>,
    /// In that order, the `(updated_at, id)` the previous page ended on.
    pub after_change: Option<(i64, &'a ContactId)>,
}

pub async fn insert(
    conn: Conn<'_>,
    org: &OrgId,
    account: &PhoneNumberId,
    id: &ContactId,
    f: &ContactFields,
    now: i64,
) -> sqlx::Result<()> {
    // Its `contact_changes` row follows (migration 0009's trigger).
    const SQL: &str = "INSERT INTO contacts (id, org_id, account_id, team_id, phone_number, name, \
        email, name_lc, email_lc, metadata, created_at) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
    on_conn!(conn, |c| sqlx::query(SQL)
        .bind(id)
        .bind(org)
        .bind(account)
        .bind(&f.team_id)
        .bind(&f.phone_number)
        .bind(&f.name)
        .bind(&f.email)
        .bind(lower(&f.name))
        .bind(lower(&f.email))
        .bind(&f.metadata)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// One contact of an account by id, as a literal for `concat!`.
macro_rules! contact_by_id {
    () => {
        concat!(
            "SELECT ",
            contact_columns!(),
            " FROM ",
            contact_and_change!(),
            " AND c.org_id = $1 AND c.account_id = $2 AND c.id = $3"
        )
    };
}

pub async fn get(
    conn: Conn<'_>,
    org: &OrgId,
    account: &PhoneNumberId,
    id: &ContactId,
) -> sqlx::Result<Option<ContactRow>> {
    const SQL: &str = contact_by_id!();
    on_conn!(conn, |c| sqlx::query_as(SQL).bind(org).bind(account).bind(id).fetch_optional(c).await)
}

/// As [`get`], and on PostgreSQL the row stays locked until the transaction ends: the contact
/// cannot be deleted before a link written to it commits (see [`delete`]), nor changed by
/// another PATCH between this read and the write based on it. SQLite's write transaction
/// already excludes both.
pub async fn get_locked(
    conn: Conn<'_>,
    org: &OrgId,
    account: &PhoneNumberId,
    id: &ContactId,
) -> sqlx::Result<Option<ContactRow>> {
    const SQLITE: &str = contact_by_id!();
    const POSTGRES: &str = concat!(contact_by_id!(), " FOR NO KEY UPDATE OF c");
    let sql = if matches!(conn, Conn::Postgres(_)) { POSTGRES } else { SQLITE };
    on_conn!(conn, |c| sqlx::query_as(sql).bind(org).bind(account).bind(id).fetch_optional(c).await)
}

/// A contact and its account's phone number, when both are the caller's: the one query a
/// `GET /contacts/{id}` needs. `None` says nothing about which of the two is missing.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ContactInAccount {
    #[sqlx(flatten)]
    pub contact: ContactRow,
    pub account_phone_number: String,
}

pub async fn get_in_account(
    read: impl Into<Read<'_>>,
    org: &OrgId,
    account: &PhoneNumberId,
    id: &ContactId,
) -> sqlx::Result<Option<ContactInAccount>> {
    const SQL: &str = concat!(
        "SELECT ",
        contact_columns!(),
        ", a.phone_number AS account_phone_number \
        FROM contacts c CROSS JOIN contact_changes ch CROSS JOIN accounts a \
        WHERE c.org_id = $1 AND c.account_id = $2 AND c.id = $3 AND ch.contact_id = c.id \
        AND a.phone_number_id = c.account_id AND a.org_id = $1"
    );
    match read.into() {
        Read::Sqlite(readers) => {
            let (org, account, id) = (org.clone(), account.clone(), id.clone());
            readers
                .run(Cost::Bounded, move |c| {
                    let mut statement = c.prepare_cached(SQL)?;
                    let params = named_params! { "$1": org, "$2": account, "$3": id };
                    let found = |row: &rusqlite::Row<'_>| {
                        Ok(ContactInAccount {
                            contact: ContactRow::from_reader(row)?,
                            account_phone_number: row.get(8)?,
                        })
                    };
                    statement.query_row(params, found).optional()
                })
                .await
        }
        Read::Conn(conn) => on_conn!(conn, |c| sqlx::query_as(SQL)
            .bind(org)
            .bind(account)
            .bind(id)
            .fetch_optional(c)
            .await),
    }
}

/// Writes the fields and stamps the contact `now`.
pub async fn update(
    mut conn: Conn<'_>,
    org: &OrgId,
    account: &PhoneNumberId,
    id: &ContactId,
    f: &ContactFields,
    now: i64,
) -> sqlx::Result<()> {
    const SQL: &str = "UPDATE contacts SET team_id = $4, name = $5, email = $6, name_lc = $7, \
        email_lc = $8, metadata = $9 WHERE org_id = $1 AND account_id = $2 AND id = $3";
    let written = on_conn!(conn.reborrow(), |c| sqlx::query(SQL)
        .bind(org)
        .bind(account)
        .bind(id)
        .bind(&f.team_id)
        .bind(&f.name)
        .bind(&f.email)
        .bind(lower(&f.name))
        .bind(lower(&f.email))
        .bind(&f.metadata)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    if written == 0 {
        return Ok(());
    }
    // The contact's row is locked by the update, so its change can be stamped by key.
    const STAMP: &str = concat!(
        "UPDATE contact_changes SET updated_at = ",
        next_updated_at!("contact_changes", "$2"),
        " WHERE contact_id = $1"
    );
    on_conn!(conn, |c| sqlx::query(STAMP).bind(id).bind(now).execute(c).await.map(drop))
}

/// Deletes the contact and its label links; false if there was none.
///
/// The links go by a second statement: on PostgreSQL no foreign key ties them to the contact
/// (migration 0008). It must come second, and be a statement of its own: the `DELETE` waits for
/// the row locks of link writers in flight (every one of them locks the contact, see
/// [`crate::store::links`]), and only a statement that starts after that wait sees the links
/// they committed. Writers that come later find the contact gone.
pub async fn delete(
    mut conn: Conn<'_>,
    org: &OrgId,
    account: &PhoneNumberId,
    id: &ContactId,
) -> sqlx::Result<bool> {
    const SQL: &str = "DELETE FROM contacts WHERE org_id = $1 AND account_id = $2 AND id = $3";
    const LINKS: &str = "DELETE FROM contact_labels WHERE contact_id = $1";
    let done = on_conn!(conn.reborrow(), |c| sqlx::query(SQL)
        .bind(org)
        .bind(account)
        .bind(id)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    if done == 0 {
        return Ok(false);
    }
    on_conn!(conn, |c| sqlx::query(LINKS).bind(id).execute(c).await.map(drop))?;
    Ok(true)
}

/// One page, newest first: `limit` rows at most, one more to tell whether another page exists.
///
/// With a label filter the walk is driven by the `(label_id, contact_id)` key of the link table,
/// so a deep page costs the same as the first one. With `updated_since` the order is the oldest
/// change first, a keyset walk over `(updated_at, id)` (index `contact_changes_account_updated`).
pub async fn list(
    read: impl Into<Read<'_>>,
    org: &OrgId,
    account: &PhoneNumberId,
    filter: &ContactFilter<'_>,
    limit: i64,
) -> sqlx::Result<Vec<ContactRow>> {
    let read = read.into();
    let postgres = matches!(read, Read::Conn(Conn::Postgres(_)));
    let query = list_query(postgres, org, account, filter, limit);
    match read {
        Read::Sqlite(readers) => {
            // Every walk is an index range cut short by the LIMIT, except a substring search,
            // which reads each contact of the account until the page is full.
            let cost = if filter.search.is_some() { Cost::Unbounded } else { Cost::Bounded };
            readers
                .run(cost, move |c| {
                    let mut statement = c.prepare_cached(&query.sql)?;
                    let params = rusqlite::params_from_iter(&query.args);
                    statement.query_map(params, ContactRow::from_reader)?.collect()
                })
                .await
        }
        Read::Conn(conn) => on_conn!(conn, |c| {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(query.sql));
            for arg in query.args {
                q = match arg {
                    Arg::Text(text) => q.bind(text),
                    Arg::Int(int) => q.bind(int),
                };
            }
            q.fetch_all(c).await
        }),
    }
}

/// A statement built at run time, with `$1`, `$2`… numbered in the order of `args`, which both
/// sqlx (either backend) and a SQLite reader bind.
struct Query {
    sql: String,
    args: Vec<Arg>,
}

enum Arg {
    Text(String),
    Int(i64),
}

impl rusqlite::ToSql for Arg {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            Arg::Text(text) => text.to_sql(),
            Arg::Int(int) => int.to_sql(),
        }
    }
}

impl Query {
    fn new(sql: &str) -> Self {
        Self { sql: sql.to_owned(), args: Vec::new() }
    }

    fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    fn bind(&mut self, arg: Arg) -> &mut Self {
        self.args.push(arg);
        self.sql.push_str(&format!("${}", self.args.len()));
        self
    }

    fn text(&mut self, text: &str) -> &mut Self {
        self.bind(Arg::Text(text.to_owned()))
    }

    fn int(&mut self, int: i64) -> &mut Self {
        self.bind(Arg::Int(int))
    }
}

/// The statement of [`list`].
fn list_query(
    postgres: bool,
    org: &OrgId,
    account: &PhoneNumberId,
    filter: &ContactFilter<'_>,
    limit: i64,
) -> Query {
    let mut q = Query::new("SELECT ");
    // The walk's order, and a change's stamp and contact for `updated_since`: in `ch`, unless
    // PostgreSQL's label walk has joined the two inside its subquery `c`.
    let changes = ("ch.updated_at", "ch.contact_id");
    let (order_column, (stamp, stamp_id)) = if let Some(label) = filter.label {
        // Both backends must walk the link table's key and look each contact (and its change)
        // up. SQLite does so for a CROSS JOIN; without it SQLite scans the account's contacts
        // and sorts them. PostgreSQL ignores CROSS JOIN, and once statistics show labels on
        // many contacts it merge-joins with a backward scan of all contacts, or of all their
        // changes (90,000 rows read for a label on the oldest 10,000): `OFFSET 0` keeps both
        // lookups in one per-link subquery, which no statistics can turn into a merge.
        q.push(if postgres {
            concat!(
                contact_columns!(c),
                " FROM contact_labels cl CROSS JOIN LATERAL \
                 (SELECT c.*, ch.updated_at FROM contacts c CROSS JOIN contact_changes ch \
                 WHERE c.id = cl.contact_id AND ch.contact_id = cl.contact_id OFFSET 0) c \
                 WHERE cl.label_id = "
            )
        } else {
            concat!(
                contact_columns!(),
                " FROM contact_labels cl CROSS JOIN contacts c CROSS JOIN contact_changes ch \
                 WHERE c.id = cl.contact_id AND ch.contact_id = c.id AND cl.label_id = "
            )
        });
        q.text(label.as_str()).push(" AND ");
        ("cl.contact_id", if postgres { ("c.updated_at", "c.id") } else { changes })
    } else if filter.updated_since.is_some() {
        // Walked from the changes' index, each contact looked up by key.
        q.push(concat!(
            contact_columns!(),
            " FROM contact_changes ch CROSS JOIN contacts c WHERE c.id = ch.contact_id"
        ));
        q.push(" AND ch.account_id = ").text(account.as_str()).push(" AND ");
        ("ch.contact_id", changes)
    } else {
        q.push(concat!(contact_columns!(), " FROM ", contact_and_change!(), " AND "));
        ("c.id", changes)
    };
    q.push("c.org_id = ").text(org.as_str());
    q.push(" AND c.account_id = ").text(account.as_str());
    if let Some(phone) = filter.phone {
        q.push(" AND c.phone_number = ").text(phone);
    }
    if let Some(search) = filter.search {
        let pattern = format!("%{}%", escape_like(search));
        q.push(" AND (c.name_lc LIKE ").text(&pattern).push(" ESCAPE '\\'");
        q.push(" OR c.email_lc LIKE ").text(&pattern).push(" ESCAPE '\\')");
    }
    if let Some(since) = filter.updated_since {
        q.push(" AND ").push(stamp).push(" >= ").int(since);
        if let Some((updated_at, id)) = filter.after_change {
            q.push(" AND (").push(stamp).push(" > ").int(updated_at);
            q.push(" OR (").push(stamp).push(" = ").int(updated_at);
            q.push(" AND ").push(stamp_id).push(" > ").text(id.as_str()).push("))");
        }
        q.push(" ORDER BY ").push(stamp).push(", ").push(stamp_id).push(" LIMIT ").int(limit + 1);
        return q;
    }
    if let Some(after) = filter.after {
        q.push(&format!(" AND {order_column} < ")).text(after.as_str());
    }
    q.push(&format!(" ORDER BY {order_column} DESC LIMIT ")).int(limit + 1);
    q
}

/// A contact stamped by [`touch`], with the account it belongs to.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TouchedContact {
    #[sqlx(flatten)]
    pub contact: ContactRow,
    pub account_id: PhoneNumberId,
}

/// The SQLite stamp of [`touch`] and [`stamp`], also run inline by `links::bulk`: $1 org, $2
/// now, $3 the ids as a JSON array. Each id is looked up by key, in `contacts` for its
/// organisation and in `contact_changes` for the stamp.
pub const SQLITE_STAMP: &str = concat!(
    "UPDATE contact_changes SET updated_at = ",
    next_updated_at!("contact_changes", "$2"),
    " WHERE contact_id IN (SELECT c.id FROM json_each($3) AS j CROSS JOIN contacts c \
    WHERE c.id = j.value AND c.org_id = $1)"
);

/// PostgreSQL: these `$columns` of the organisation's contacts among the ids $3, locked in id
/// order (the order every writer that stamps contacts locks them in, so that two requests
/// stamping overlapping contacts queue instead of deadlocking), as a literal for `concat!`.
macro_rules! postgres_locked {
    ($columns:literal) => {
        concat!(
            "WITH locked AS (SELECT ",
            $columns,
            " FROM contacts WHERE org_id = $1 AND id = ANY($3) ORDER BY id FOR NO KEY UPDATE) "
        )
    };
}

/// PostgreSQL's stamp of the contacts `locked`, as a literal for `concat!`.
macro_rules! postgres_stamp {
    () => {
        concat!(
            "UPDATE contact_changes ch SET updated_at = ",
            next_updated_at!("ch", "$2"),
            " FROM locked WHERE ch.contact_id = locked.id"
        )
    };
}

/// Stamps `updated_at = now` on the organisation's contacts among `ids` (their link set changed)
/// and returns them as they now are.
pub async fn touch(
    conn: Conn<'_>,
    org: &OrgId,
    ids: &[ContactId],
    now: i64,
) -> sqlx::Result<Vec<TouchedContact>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    match conn {
        Conn::Sqlite(c) => {
            const SQL: &str = concat!(
                "SELECT ",
                contact_columns!(),
                ", c.account_id FROM json_each($2) AS j CROSS JOIN contacts c \
                CROSS JOIN contact_changes ch \
                WHERE c.id = j.value AND c.org_id = $1 AND ch.contact_id = c.id"
            );
            let json = serde_json::to_string(ids).unwrap_or_default();
            sqlx::query(SQLITE_STAMP).bind(org).bind(now).bind(&json).execute(&mut *c).await?;
            sqlx::query_as(SQL).bind(org).bind(json).fetch_all(c).await
        }
        Conn::Postgres(c) => {
            const SQL: &str = concat!(
                postgres_locked!(
                    "id, team_id, phone_number, name, email, metadata, created_at, account_id"
                ),
                ", stamped AS (",
                postgres_stamp!(),
                " RETURNING ch.contact_id, ch.updated_at) \
                SELECT l.id, l.team_id, l.phone_number, l.name, l.email, l.metadata, \
                l.created_at, s.updated_at, l.account_id \
                FROM locked l JOIN stamped s ON s.contact_id = l.id"
            );
            let ids: Vec<&str> = ids.iter().map(ContactId::as_str).collect();
            sqlx::query_as(SQL).bind(org).bind(now).bind(ids).fetch_all(c).await
        }
    }
}

/// Stamps `updated_at = now` on the organisation's contacts among `ids`, as [`touch`] does,
/// without sending them back (when no event needs them).
pub async fn stamp(conn: Conn<'_>, org: &OrgId, ids: &[ContactId], now: i64) -> sqlx::Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    match conn {
        Conn::Sqlite(c) => {
            let json = serde_json::to_string(ids).unwrap_or_default();
            sqlx::query(SQLITE_STAMP).bind(org).bind(now).bind(json).execute(c).await?;
        }
        Conn::Postgres(c) => {
            const SQL: &str = concat!(postgres_locked!("id"), postgres_stamp!());
            let ids: Vec<&str> = ids.iter().map(ContactId::as_str).collect();
            sqlx::query(SQL).bind(org).bind(now).bind(ids).execute(c).await?;
        }
    }
    Ok(())
}

/// Inserts many contacts of one account in one statement (the demo's 1,000).
pub async fn insert_many(
    conn: Conn<'_>,
    org: &OrgId,
    account: &PhoneNumberId,
    rows: &[(ContactId, ContactFields)],
    now: i64,
) -> sqlx::Result<()> {
    on_conn!(conn, |c| {
        let mut q = QueryBuilder::new(
            "INSERT INTO contacts (id, org_id, account_id, team_id, phone_number, name, email, \
             name_lc, email_lc, metadata, created_at) ",
        );
        q.push_values(rows, |mut b, (id, f)| {
            b.push_bind(id)
                .push_bind(org)
                .push_bind(account)
                .push_bind(&f.team_id)
                .push_bind(&f.phone_number)
                .push_bind(&f.name)
                .push_bind(&f.email)
                .push_bind(lower(&f.name))
                .push_bind(lower(&f.email))
                .push_bind(&f.metadata)
                .push_bind(now);
        });
        q.build().execute(c).await.map(|r| r.rows_affected())
    })?;
    Ok(())
}

fn lower(s: &Option<String>) -> Option<String> {
    s.as_deref().map(str::to_lowercase)
}

/// Makes `%`, `_` and `\` in user input match themselves under `LIKE … ESCAPE '\'`.
pub fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}
