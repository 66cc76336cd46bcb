//! Contact ↔ label links: one at a time, or in bulk.
//!
//! Every change to a label's links holds the label, and its deletion holds it exclusively, so a
//! deletion waits for the changes in flight and no change is half-applied to a deleted label. On
//! SQLite the write transaction is already exclusive. On PostgreSQL the hold is a transaction-
//! scoped advisory lock on the label's id, shared by link writers and exclusive for deletion
//! ([`LabelHold`]): link writers of one label run side by side (they order themselves on the
//! contacts' rows, see [`bulk`]), and because advisory locks are heavyweight locks with a queue,
//! a deletion waiting for the writers in flight holds back those that come after it. A row lock
//! could not do both: `FOR UPDATE` on the label made its writers queue behind each other, and
//! `FOR KEY SHARE` let a stream of them starve the deletion (row share lockers do not queue
//! behind a waiting exclusive one; the label-deletion race in `tests/api/concurrency.rs` fails).
//!
//! On PostgreSQL no foreign key checks the links (migration 0008): their per-row checks cost as
//! much as the insert. What they guaranteed holds because every writer of a link holds its label
//! and has locked, or just created, its contact; the label's deletion deletes its links first,
//! and the contact's deletion after the contact ([`contacts::delete`]).

use super::{Conn, inline, on_conn};
use crate::ids::{ContactId, LabelId, OrgId, PhoneNumberId, TeamId};
use crate::store::contacts::{self, TouchedContact};
use crate::store::labels::{LabelRow, label_by_id};
use crate::store::webhooks::subscriptions;

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

/// How a change holds its label (see the module).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelHold {
    /// A change to the label's links: other link writers of the label go on.
    Links,
    /// The label's deletion: waits for the link writers in flight, and holds back the rest.
    Delete,
}

/// The advisory lock's first key: the class of object locked (the second is the label's id,
/// hashed), so that these locks cannot meet another use of advisory locks.
const LABEL_LOCK_CLASS: i32 = 0x6c62_6c00;

/// Holds the label for `hold` until the transaction ends, then returns it (`None`: not the
/// organisation's). On PostgreSQL the label is read after the lock is granted, by a statement
/// of its own, so that it sees a deletion that committed while this call waited; a deletion
/// also locks the row, so that a rename in flight ([`crate::store::labels::get_locked`])
/// commits first and the label's last state is the renamed one.
pub async fn lock_label(
    conn: Conn<'_>,
    org: &OrgId,
    id: &LabelId,
    hold: LabelHold,
) -> sqlx::Result<Option<LabelRow>> {
    const SQL: &str = label_by_id!();
    const FOR_DELETE: &str = concat!(label_by_id!(), " FOR UPDATE");
    match conn {
        Conn::Sqlite(c) => sqlx::query_as(SQL).bind(org).bind(id).fetch_optional(c).await,
        Conn::Postgres(c) => {
            hold_label(&mut *c, org, id, hold).await?;
            let sql = if hold == LabelHold::Delete { FOR_DELETE } else { SQL };
            sqlx::query_as(sql).bind(org).bind(id).fetch_optional(c).await
        }
    }
}

/// The lock's key hashes the organisation with the label, because it is taken before the label
/// is known to be the caller's: a key naming another organisation's label then holds nothing of
/// theirs.
async fn hold_label(
    c: &mut sqlx::PgConnection,
    org: &OrgId,
    id: &LabelId,
    hold: LabelHold,
) -> sqlx::Result<()> {
    let sql = match hold {
        LabelHold::Links => "SELECT pg_advisory_xact_lock_shared($1, hashtext($2 || ' ' || $3))",
        LabelHold::Delete => "SELECT pg_advisory_xact_lock($1, hashtext($2 || ' ' || $3))",
    };
    sqlx::query(sql).bind(LABEL_LOCK_CLASS).bind(org).bind(id).execute(c).await?;
    Ok(())
}

/// What a bulk call found: a missing account or label (a 404, the caller rolls back), or the
/// partition of the ids and, when asked for, the contacts whose link changed as they now are.
#[derive(Debug)]
pub enum Bulk {
    NoAccount,
    NoLabel,
    Applied { outcome: BulkOutcome, changed: Vec<TouchedContact> },
}

/// Applies `op` for `label` to the `distinct` ids of `account`, all set-based whatever their
/// number, and stamps `updated_at = now` on the contacts whose link changed. If a subscription
/// of the organisation receives `event_type`, those contacts come back (for their events);
/// otherwise nothing but the partition does: rendering 1,000 contacts for nobody would be most
/// of the call's cost.
///
/// PostgreSQL: after holding the label (see the module), one statement locks the account's
/// contacts among the ids `FOR NO KEY UPDATE` in id order and returns the partition as one row.
/// Every writer that stamps contacts locks them in that order, so overlapping calls queue on the
/// contacts they share instead of deadlocking, and the later of two calls on a contact is the
/// one that commits last. A second statement links or unlinks the contacts the first locked
/// (their ids come back with the partition) and stamps them. It must be a second one: a
/// statement sees the links as of its start, before it waited for the locks, so a detach folded
/// into the first would miss links that a call it waited for had just committed.
///
/// SQLite: the write transaction already excludes other writers. The partition is one row, then
/// the write returns the ids it linked or unlinked, and the stamp updates those contacts by key:
/// three statements, after the check for a subscription, all run on the request's thread
/// ([`inline`]), so that the write gate is not held through four round trips to sqlx's thread
/// and a thousand rows sent back from it. Working out the changed set inside the stamp instead
/// (each contact looked up again and its link probed before the write) cost more than sending
/// the ids back (docs/performance.md, "The bulk path").
#[allow(clippy::too_many_arguments, reason = "the call's parts, each a bound parameter")]
pub async fn bulk(
    conn: Conn<'_>,
    org: &OrgId,
    account: &PhoneNumberId,
    label: &LabelId,
    distinct: &[ContactId],
    op: Operation,
    now: i64,
    event_type: &str,
) -> sqlx::Result<Bulk> {
    let ids: Vec<&str> = distinct.iter().map(ContactId::as_str).collect();
    match conn {
        Conn::Sqlite(c) => {
            let json = serde_json::to_string(&ids).unwrap_or_default();
            let call = SqliteCall { org, label, account, json: &json, now, event_type };
            let applied = inline::run(&mut *c, |db| call.apply(db, distinct.len(), op));
            let SqliteApplied { outcome, written, render } = match applied.await? {
                Ok(applied) => applied,
                Err(missing) => return Ok(missing),
            };
            let changed = if render {
                let mut changed = contacts::touch(Conn::Sqlite(c), org, &written, now).await?;
                // In id order, as on PostgreSQL, whatever order SQLite updated them in.
                changed.sort_unstable_by(|a, b| a.contact.id.cmp(&b.contact.id));
                changed
            } else {
                Vec::new()
            };
            Ok(Bulk::Applied { outcome, changed })
        }
        Conn::Postgres(c) => {
            let render = subscriptions::listened(Conn::Postgres(&mut *c), org, event_type).await?;
            hold_label(&mut *c, org, label, LabelHold::Links).await?;
            let locked: LockedPartition = sqlx::query_as(POSTGRES_LOCK)
                .bind(org)
                .bind(label)
                .bind(account)
                .bind(&ids)
                .fetch_one(&mut *c)
                .await?;
            let (outcome, _) = match locked.partition.decide(distinct.len()) {
                Ok(found) => found,
                Err(missing) => return Ok(missing),
            };
            let Some(applied) = locked.applied_ids else {
                return Ok(Bulk::Applied { outcome, changed: Vec::new() });
            };
            let write = match op {
                Operation::Attach => POSTGRES_ATTACH,
                Operation::Detach => POSTGRES_DETACH,
            };
            let changed = sqlx::query_as(write)
                .bind(label)
                .bind(&applied)
                .bind(now)
                .bind(render)
                .fetch_all(&mut *c)
                .await?;
            Ok(Bulk::Applied { outcome, changed })
        }
    }
}

/// A SQLite bulk call's parameters, bound by name (`$1`…) as the statements below number them.
struct SqliteCall<'a> {
    org: &'a OrgId,
    label: &'a LabelId,
    account: &'a PhoneNumberId,
    /// The ids, as a JSON array.
    json: &'a str,
    now: i64,
    event_type: &'a str,
}

/// What a SQLite bulk call's statements did: the partition, the contacts whose link changed,
/// and whether a subscription wants them rendered (they are then not stamped yet).
struct SqliteApplied {
    outcome: BulkOutcome,
    written: Vec<ContactId>,
    render: bool,
}

impl SqliteCall<'_> {
    /// Whether a subscription listens, the partition, then the write, which names the contacts
    /// it linked or unlinked, then, if nobody listens, their stamp (otherwise `touch` stamps
    /// them and reads them back): the outcome, those contacts and whether they are to be
    /// rendered, or the 404.
    fn apply(
        &self,
        db: &rusqlite::Connection,
        distinct: usize,
        op: Operation,
    ) -> rusqlite::Result<Result<SqliteApplied, Bulk>> {
        let (org, label, account, json) = (self.org, self.label, self.account, self.json);
        let listening: [(&str, &dyn rusqlite::ToSql); 2] = [("$1", org), ("$2", &self.event_type)];
        let render: bool = inline::bound(db, subscriptions::SQLITE_LISTENED, &listening)?
            .raw_query()
            .next()?
            .map_or(Ok(false), |row| row.get(0))?;
        let mut params: Vec<(&str, &dyn rusqlite::ToSql)> =
            vec![("$1", org), ("$2", label), ("$3", account), ("$4", &json), ("$5", &self.now)];
        let partition = match inline::bound(db, SQLITE_PARTITION, &params)?.raw_query().next()? {
            Some(row) => Partition::from_reader(row)?,
            None => return Err(rusqlite::Error::QueryReturnedNoRows),
        };
        let (outcome, team) = match partition.decide(distinct) {
            Ok(found) => found,
            Err(missing) => return Ok(Err(missing)),
        };
        if outcome.applied == 0 {
            return Ok(Ok(SqliteApplied { outcome, written: Vec::new(), render }));
        }
        let write = match op {
            Operation::Attach => SQLITE_ATTACH,
            Operation::Detach => SQLITE_DETACH,
        };
        params.push(("$6", &team));
        let written: Vec<ContactId> = inline::bound(db, write, &params)?
            .raw_query()
            .mapped(|row| row.get(0))
            .collect::<Result<_, _>>()?;
        if !render && !written.is_empty() {
            let ids = serde_json::to_string(&written).unwrap_or_default();
            let params: [(&str, &dyn rusqlite::ToSql); 3] =
                [("$1", org), ("$2", &self.now), ("$3", &ids)];
            inline::bound(db, contacts::SQLITE_STAMP, &params)?.raw_execute()?;
        }
        Ok(Ok(SqliteApplied { outcome, written, render }))
    }
}

/// The one row of a bulk call's first statement.
#[derive(sqlx::FromRow)]
struct Partition {
    account_found: bool,
    label_team: Option<TeamId>,
    found: i64,
    applied: i64,
}

impl Partition {
    fn from_reader(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            account_found: row.get("account_found")?,
            label_team: row.get("label_team")?,
            found: row.get("found")?,
            applied: row.get("applied")?,
        })
    }

    /// The outcome and the label's team, or the 404 (the account's first, as everywhere).
    fn decide(self, distinct: usize) -> Result<(BulkOutcome, TeamId), Bulk> {
        if !self.account_found {
            return Err(Bulk::NoAccount);
        }
        let team = self.label_team.ok_or(Bulk::NoLabel)?;
        let outcome = BulkOutcome {
            applied: self.applied,
            skipped_cross_org: distinct as i64 - self.found,
            skipped_team_mismatch: self.found - self.applied,
        };
        Ok((outcome, team))
    }
}

/// PostgreSQL's first statement also names the contacts it locked that the call applies to
/// (`None`: none), for the write to use as they are.
#[derive(sqlx::FromRow)]
struct LockedPartition {
    #[sqlx(flatten)]
    partition: Partition,
    applied_ids: Option<Vec<String>>,
}

// Parameters of every SQLite statement below and of PostgreSQL's first, bound in this order
// whether used or not: $1 org, $2 label, $3 account, $4 the ids (a JSON array on SQLite, text[]
// on PostgreSQL), $5 now, $6 the label's team.

// On SQLite the partition and the link write walk the ids' JSON array and look each id up in
// `contacts`: `json_each($4) CROSS JOIN contacts`, where CROSS JOIN keeps that order whatever the
// statistics (with none, a plain JOIN scanned the account's contacts and the whole array for
// each). The stamp is `contacts::stamp` (or `touch`) on the ids the write returned.

/// The account's contacts among the ids, as a literal for `concat!`.
macro_rules! sqlite_among_ids {
    () => {
        "json_each($4) AS j CROSS JOIN contacts c ON c.id = j.value \
         WHERE c.org_id = $1 AND c.account_id = $3"
    };
}

const SQLITE_PARTITION: &str = concat!(
    "SELECT \
    EXISTS (SELECT 1 FROM accounts WHERE org_id = $1 AND phone_number_id = $3) AS account_found, \
    (SELECT team_id FROM labels WHERE org_id = $1 AND id = $2) AS label_team, \
    count(c.id) AS found, \
    coalesce(sum(c.team_id = (SELECT team_id FROM labels WHERE org_id = $1 AND id = $2)), 0) \
        AS applied \
    FROM ",
    sqlite_among_ids!()
);

// Attach inserts in key order, as the link table is stored.
const SQLITE_ATTACH: &str = concat!(
    "INSERT INTO contact_labels (label_id, contact_id, created_at) SELECT $2, c.id, $5 FROM ",
    sqlite_among_ids!(),
    " AND c.team_id = $6 ORDER BY c.id ON CONFLICT DO NOTHING RETURNING contact_id"
);

const SQLITE_DETACH: &str = concat!(
    "DELETE FROM contact_labels WHERE label_id = $2 AND contact_id IN (SELECT c.id FROM ",
    sqlite_among_ids!(),
    " AND c.team_id = $6) RETURNING contact_id"
);

// The label is held before this statement (`hold_label`), so no contact is locked while waiting
// for a label whose deletion waits for those contacts; a label that is gone locks none.
const POSTGRES_LOCK: &str = "WITH label AS ( \
        SELECT team_id FROM labels WHERE org_id = $1 AND id = $2 \
    ), owned AS ( \
        SELECT c.id, c.team_id FROM contacts c \
        WHERE c.org_id = $1 AND c.account_id = $3 AND c.id = ANY($4) \
        AND EXISTS (SELECT 1 FROM label) \
        ORDER BY c.id FOR NO KEY UPDATE \
    ), applied AS ( \
        SELECT id FROM owned WHERE team_id = (SELECT team_id FROM label) \
    ) SELECT \
    EXISTS (SELECT 1 FROM accounts WHERE org_id = $1 AND phone_number_id = $3) AS account_found, \
    (SELECT team_id FROM label) AS label_team, \
    (SELECT count(*) FROM owned) AS found, \
    (SELECT count(*) FROM applied) AS applied, \
    (SELECT array_agg(id ORDER BY id) FROM applied) AS applied_ids";

// The write is given the ids the first statement locked, rather than finding them again among
// the account's contacts. Joined with `contacts`, the detach walked every link of the label
// whenever the statistics said it had few: a label that gained thousands of links since the last
// ANALYZE cost a look-up per link, up to 0.75 s a call (docs/performance.md, "The bulk
// path"). By the array alone neither write looks anything up per link: under that stale
// estimate the detach reads the label's range of the primary key and filters it with a hash of
// the ids.
//
// Parameters: $1 label, $2 the ids (text[], in id order), $3 now, $4 whether to return the
// changed contacts.

/// The write and the stamp of the contacts it changed, as one statement: the links it names
/// are those it wrote, and every contact it stamps is already locked by this transaction. The
/// contacts are read back (a [`TouchedContact`] each) only when $4 asks for them.
macro_rules! postgres_write {
    ($changed:literal) => {
        concat!(
            "WITH changed AS (",
            $changed,
            "), stamped AS (UPDATE contact_changes ch SET updated_at = ",
            contacts::next_updated_at!("ch", "$3"),
            " FROM changed WHERE ch.contact_id = changed.contact_id \
             RETURNING ch.contact_id, ch.updated_at) \
             SELECT c.id, c.team_id, c.phone_number, c.name, c.email, c.metadata, c.created_at, \
             s.updated_at, c.account_id FROM stamped s JOIN contacts c ON c.id = s.contact_id \
             WHERE $4 ORDER BY c.id"
        )
    };
}

// In id order, as the array is.
const POSTGRES_ATTACH: &str = postgres_write!(
    "INSERT INTO contact_labels (label_id, contact_id, created_at) \
     SELECT $1, id, $3 FROM unnest($2::text[]) AS id ON CONFLICT DO NOTHING RETURNING contact_id"
);

const POSTGRES_DETACH: &str = postgres_write!(
    "DELETE FROM contact_labels WHERE label_id = $1 AND contact_id = ANY($2) RETURNING contact_id"
);

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
///
/// On PostgreSQL the contacts are locked first, in id order, as every other writer of links
/// locks them ([`bulk`], [`contacts::delete`]): a contact's deletion locks the contact, then
/// deletes its links, so unlinking first and stamping the contacts after would wait on it in a
/// cycle (a deadlock). The label is held exclusively, so no link to it appears meanwhile.
pub async fn detach_all(mut conn: Conn<'_>, label: &LabelId) -> sqlx::Result<Vec<ContactId>> {
    const LOCK: &str = "SELECT c.id FROM contact_labels l JOIN contacts c ON c.id = l.contact_id \
        WHERE l.label_id = $1 ORDER BY c.id FOR NO KEY UPDATE OF c";
    const SQL: &str = "DELETE FROM contact_labels WHERE label_id = $1 RETURNING contact_id";
    if let Conn::Postgres(c) = conn.reborrow() {
        sqlx::query(LOCK).bind(label).execute(c).await?;
    }
    on_conn!(conn, |c| sqlx::query_scalar(SQL).bind(label).fetch_all(c).await)
}

/// One page of the labels on a contact, newest label first: those before `after`, `limit + 1`
/// rows at most.
pub async fn labels_of(
    conn: Conn<'_>,
    org: &OrgId,
    contact: &ContactId,
    after: Option<&LabelId>,
    limit: i64,
) -> sqlx::Result<Vec<LabelRow>> {
    const SQL: &str = "SELECT l.id, l.team_id, l.name, l.color, l.created_at, l.updated_at \
        FROM contact_labels cl JOIN labels l ON l.id = cl.label_id \
        WHERE l.org_id = $1 AND cl.contact_id = $2 AND ($3 IS NULL OR l.id < $3) \
        ORDER BY l.id DESC LIMIT $4";
    on_conn!(conn, |c| sqlx::query_as(SQL)
        .bind(org)
        .bind(contact)
        .bind(after)
        .bind(limit + 1)
        .fetch_all(c)
        .await)
}
