//! The storage seam: SQLite (embedded default) or PostgreSQL, chosen once from the URL scheme.
//!
//! Handlers see only [`Db`] (a pool), [`Tx`] (a write transaction) and [`Conn`] (a borrowed
//! connection of either). Query functions take a `Conn` and use [`on_conn!`] to run the same SQL
//! text on whichever backend it is; the few statements whose dialects differ are written twice,
//! side by side, with a comment saying why. The hot reads take a [`Read`] instead: on SQLite
//! outside a transaction they run on the node's [`read::Readers`], inline, rather than through
//! sqlx's connection threads (see [`read`]).

pub mod accounts;
pub mod attempts;
pub mod checkpoint;
pub mod contacts;
pub mod dispatch;
pub mod idempotency;
pub mod inline;
pub mod key_cache;
pub mod keys;
pub mod labels;
pub mod links;
pub mod operator;
pub mod orgs;
pub mod read;
pub mod secrets;
pub mod upsert;
pub mod url;
pub mod webhooks;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{
    PgConnection, PgPool, Pool, Postgres, Sqlite, SqliteConnection, SqlitePool, Transaction,
};
use tokio::sync::{Mutex, OwnedMutexGuard};

pub use read::Read;
use read::Readers;

/// Runs `$body` with `$c` bound to the backend's `&mut Connection`; the body is compiled once per
/// backend, so the same SQL text serves both. Both arms must yield one type, so `execute`
/// results are reduced to `rows_affected()`. Written `on_conn!(conn, |c| body)`, a closure's
/// shape, so that rustfmt formats the call sites like any other expression.
#[macro_export]
macro_rules! on_conn {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::store::Conn::Sqlite($c) => $body,
            $crate::store::Conn::Postgres($c) => $body,
        }
    };
}
pub use crate::on_conn;

/// Where `kirim` keeps its data unless told otherwise.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://kirim.db";

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// How long a request may wait for a pooled connection (or a reader's turn off the runtime
/// threads) before answering 503. It bounds how long a request hangs on a database that stopped
/// answering (the pool keeps retrying to connect until then), and a queue longer than this means
/// the node is overloaded anyway.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a pooled connection may sit unused before the pool closes it. The pool hands out the
/// connection given back last (vendor/README.md), so the unused ones are those a busier moment
/// opened; closed after a minute (checked each minute), none waits long enough for a load
/// balancer's or a NAT's idle cut-off (four minutes and up) to leave it dead in the pool.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a SQLite writer may queue for the write gate before answering 503.
const WRITE_GATE_TIMEOUT: Duration = Duration::from_secs(30);

/// A pool of either backend.
#[derive(Clone)]
pub enum Db {
    Sqlite {
        pool: SqlitePool,
        write_gate: Arc<Mutex<()>>,
        /// Connections for the hot reads, on a database file (none in memory: another
        /// connection would open another database).
        readers: Option<Arc<Readers>>,
    },
    Postgres(PgPool),
}

/// A borrowed connection, from a pool or inside a transaction.
pub enum Conn<'c> {
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

/// A connection checked out of the pool, for reads.
pub enum PooledConn {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

/// A write transaction. On SQLite it also holds this process's write gate: writers queue here in
/// FIFO order instead of polling SQLite's file lock, which keeps latency flat under contention.
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>, OwnedMutexGuard<()>),
    Postgres(Transaction<'static, Postgres>),
}

impl Db {
    /// Connects to `url` (`sqlite://…` or `postgres://…`), creating a SQLite file if missing; an
    /// error names the database (password hidden).
    pub async fn connect(url: &str, max_connections: u32) -> crate::BoxResult<Self> {
        Self::connect_raw(url, max_connections)
            .await
            .map_err(|e| format!("cannot open the database {}: {e}", url::describe(url)).into())
    }

    /// Connects to an existing database only: a missing SQLite file is an error naming its
    /// absolute path (the operator's commands must not leave an empty database behind a typo).
    pub async fn open_existing(url: &str, max_connections: u32) -> crate::BoxResult<Self> {
        if let Some(file) = url::sqlite_file(url)
            && !file.exists()
        {
            return Err(format!(
                "no database at {}: check --database-url (KIRIM_DATABASE_URL), or create it with \
                 `kirim migrate`",
                file.display()
            )
            .into());
        }
        Self::connect(url, max_connections).await
    }

    async fn connect_raw(url: &str, max_connections: u32) -> crate::BoxResult<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            // JIT compiles a plan's expressions on every execution (nothing is cached across
            // executions of a prepared statement): ~10 ms each time a generic plan's estimate
            // crosses `jit_above_cost`, as a label's first page did, for queries that run in 0.3 ms.
            let options = PgConnectOptions::from_str(url)?.options([("jit", "off")]);
            let pool = PgPoolOptions::new()
                .max_connections(max_connections)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .idle_timeout(IDLE_TIMEOUT)
                // A ping before every checkout would double the round trips of a request; a
                // broken connection shows itself on first use instead (503) and is discarded.
                .test_before_acquire(false)
                .connect_with(options)
                .await?;
            Ok(Self::Postgres(pool))
        } else if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // WAL with NORMAL is durable against process crashes; only an OS crash can lose
                // the last transactions, never corrupt the file.
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5))
                // `kirim serve` checkpoints outside the write gate (see `checkpoint`).
                .pragma("wal_autocheckpoint", checkpoint::BACKSTOP_PAGES.to_string());
            let pool = SqlitePoolOptions::new()
                .max_connections(max_connections)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .idle_timeout(IDLE_TIMEOUT)
                // A ping before every checkout would double the round trips of a request; a
                // broken connection shows itself on first use instead (503) and is discarded.
                .test_before_acquire(false)
                .connect_with(options)
                .await?;
            // The file as SQLite resolved it; empty for an in-memory database.
            let file: String =
                sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
                    .fetch_one(&pool)
                    .await?;
            let readers =
                (!file.is_empty()).then(|| Arc::new(Readers::new(file.into(), max_connections)));
            Ok(Self::Sqlite { pool, write_gate: Arc::new(Mutex::new(())), readers })
        } else {
            Err(format!("unsupported database URL `{url}`: use sqlite://FILE or postgres://…")
                .into())
        }
    }

    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        match self {
            Self::Sqlite { pool, .. } => SQLITE_MIGRATIONS.run(pool).await,
            Self::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await,
        }
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Self::Sqlite { .. } => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }

    /// A pooled connection: an idle one at once, otherwise sqlx's `acquire`, boxed. That future
    /// is about 14 KB (it has room for opening a connection, handshake included), and an `async
    /// fn` holds whatever it awaits inline: awaited unboxed, it made the future of every handler
    /// that might check a connection out that large, whether or not the request did, and axum
    /// copies each handler's future into a box on every request (docs/performance.md, "Futures
    /// copied per request"). `try_acquire` skips only the checks this pool turns off (a ping,
    /// a `before_acquire` hook) and yields to tasks already waiting.
    pub async fn acquire(&self) -> sqlx::Result<PooledConn> {
        Ok(match self {
            Self::Sqlite { pool, .. } => PooledConn::Sqlite(checkout(pool).await?),
            Self::Postgres(pool) => PooledConn::Postgres(checkout(pool).await?),
        })
    }

    /// Begins a write transaction. SQLite's `BEGIN IMMEDIATE` takes the write lock up front, so a
    /// transaction never fails half-way on a lock upgrade. sqlx's `begin` is boxed, for the reason
    /// given at [`Db::acquire`].
    ///
    /// On PostgreSQL the `BEGIN` runs in a task of its own. sqlx 0.9.0's is not cancel-safe there:
    /// dropped between sending `BEGIN` and reading the answer (as hyper drops a request whose
    /// client disconnects), it leaves the connection inside a transaction that nothing ends, and
    /// the pool hands it to the next request, whose statements then run in it and hold its locks
    /// (transact-rs/sqlx#4393, fixed after 0.9.0). A task always finishes the `BEGIN`; if nobody
    /// awaits it any more, the transaction it made is dropped, which rolls it back.
    pub async fn begin(&self) -> sqlx::Result<Tx> {
        Ok(match self {
            Self::Sqlite { pool, write_gate, .. } => {
                // Waiting this long for the gate means the node is overloaded: answer 503.
                let gate =
                    tokio::time::timeout(WRITE_GATE_TIMEOUT, write_gate.clone().lock_owned())
                        .await
                        .map_err(|_| sqlx::Error::PoolTimedOut)?;
                Tx::Sqlite(Box::pin(pool.begin_with("BEGIN IMMEDIATE")).await?, gate)
            }
            Self::Postgres(pool) => {
                let pool = pool.clone();
                let begun = tokio::spawn(async move { pool.begin().await }).await;
                Tx::Postgres(begun.map_err(|e| sqlx::Error::Protocol(format!("BEGIN: {e}")))??)
            }
        })
    }

    /// On SQLite, this process's write gate, for a write made of one autocommit statement: it
    /// then queues with the transactions instead of retrying on SQLite's busy handler, which can
    /// miss every gap between them for seconds. Nothing is held open in the database while the
    /// guard lives. `None` on PostgreSQL, where writers do not queue in the process.
    pub async fn write_turn(&self) -> Option<OwnedMutexGuard<()>> {
        match self {
            Self::Sqlite { write_gate, .. } => Some(write_gate.clone().lock_owned().await),
            Self::Postgres(_) => None,
        }
    }

    /// The connections for inline reads: on a SQLite file only.
    pub fn readers(&self) -> Option<&Arc<Readers>> {
        match self {
            Self::Sqlite { readers, .. } => readers.as_ref(),
            Self::Postgres(_) => None,
        }
    }

    pub async fn close(&self) {
        match self {
            Self::Sqlite { pool, readers, .. } => {
                if let Some(readers) = readers {
                    readers.close();
                }
                pool.close().await;
            }
            Self::Postgres(pool) => pool.close().await,
        }
    }

    /// Connections `(in use, idle)`, for metrics.
    pub fn pool_usage(&self) -> (u32, u32) {
        let (size, idle) = match self {
            Self::Sqlite { pool, .. } => (pool.size(), pool.num_idle() as u32),
            Self::Postgres(pool) => (pool.size(), pool.num_idle() as u32),
        };
        (size.saturating_sub(idle), idle)
    }
}

/// See [`Db::acquire`].
async fn checkout<DB: sqlx::Database>(pool: &Pool<DB>) -> sqlx::Result<PoolConnection<DB>> {
    match pool.try_acquire() {
        Some(conn) => Ok(conn),
        None => Box::pin(pool.acquire()).await,
    }
}

impl Conn<'_> {
    /// A shorter-lived handle on the same connection, for running several statements in turn.
    pub fn reborrow(&mut self) -> Conn<'_> {
        match self {
            Conn::Sqlite(c) => Conn::Sqlite(c),
            Conn::Postgres(c) => Conn::Postgres(c),
        }
    }
}

impl PooledConn {
    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            Self::Sqlite(c) => Conn::Sqlite(c),
            Self::Postgres(c) => Conn::Postgres(c),
        }
    }
}

impl Tx {
    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            Self::Sqlite(tx, _) => Conn::Sqlite(tx),
            Self::Postgres(tx) => Conn::Postgres(tx),
        }
    }

    pub async fn commit(self) -> sqlx::Result<()> {
        match self {
            Self::Sqlite(tx, _gate) => tx.commit().await,
            Self::Postgres(tx) => tx.commit().await,
        }
    }

    pub async fn rollback(self) -> sqlx::Result<()> {
        match self {
            Self::Sqlite(tx, _gate) => tx.rollback().await,
            Self::Postgres(tx) => tx.rollback().await,
        }
    }
}

/// True when the error means "the database cannot be reached right now" rather than a bug.
pub fn is_unavailable(error: &sqlx::Error) -> bool {
    use sqlx::Error::*;
    match error {
        PoolTimedOut | PoolClosed | Io(_) | Tls(_) | WorkerCrashed => true,
        Database(db) => {
            // SQLite: BUSY or LOCKED, whatever the extended code (517 BUSY_SNAPSHOT, 261
            // BUSY_RECOVERY…), after the busy timeout. PostgreSQL: admin shutdown, cannot connect
            // now, too many connections, and query cancelled by statement_timeout.
            let code = db.code();
            let code = code.as_deref();
            let sqlite_busy =
                code.and_then(|c| c.parse::<i32>().ok()).is_some_and(|c| matches!(c & 0xff, 5 | 6));
            sqlite_busy || matches!(code, Some("57P01" | "57P02" | "57P03" | "53300" | "57014"))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    /// The two backends' migrations are written in lockstep: same files, same order.
    #[test]
    fn migrations_are_in_lockstep() {
        let names = |backend: &str| {
            let dir =
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend);
            let mut names: Vec<String> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            names
        };
        assert_eq!(names("sqlite"), names("postgres"));
        assert!(!names("sqlite").is_empty());
    }

    /// Migration 0007 rebuilds SQLite's `contacts` and `contact_labels`: a database written
    /// before it keeps every contact and link, and the links still follow their contact.
    /// Migration 0009 then moves each contact's `updated_at` to `contact_changes`, which follows
    /// its contact too.
    #[tokio::test]
    async fn sqlite_contacts_clustering_keeps_every_link() {
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .connect("sqlite::memory:")
            .await
            .unwrap();
        super::SQLITE_MIGRATIONS.run_to(6, &pool).await.unwrap();
        sqlx::raw_sql(
            "INSERT INTO organizations VALUES ('org_1', 'Org', 'free', 1, 1, 0);
             INSERT INTO teams VALUES ('team_1', 'org_1', 'Team', 0);
             INSERT INTO accounts (phone_number_id, org_id, team_id, phone_number, status,
                 created_at) VALUES ('acc_1', 'org_1', 'team_1', '+6281', 'connected', 0);
             INSERT INTO contacts (id, org_id, account_id, team_id, phone_number, created_at,
                 updated_at) VALUES ('ctc_1', 'org_1', 'acc_1', 'team_1', '+1', 0, 0),
                 ('ctc_2', 'org_1', 'acc_1', 'team_1', '+2', 0, 7);
             INSERT INTO labels VALUES ('lbl_1', 'org_1', 'team_1', 'A', 'a', 'red', 0, 0),
                 ('lbl_2', 'org_1', 'team_1', 'B', 'b', 'red', 0, 0);
             INSERT INTO contact_labels VALUES ('lbl_1', 'ctc_1', 1), ('lbl_2', 'ctc_1', 2),
                 ('lbl_1', 'ctc_2', 3);",
        )
        .execute(&pool)
        .await
        .unwrap();

        super::SQLITE_MIGRATIONS.run(&pool).await.unwrap();

        let links =
            "SELECT label_id, contact_id, created_at FROM contact_labels ORDER BY created_at";
        let rows: Vec<(String, String, i64)> =
            sqlx::query_as(links).fetch_all(&pool).await.unwrap();
        assert_eq!(
            rows,
            [("lbl_1", "ctc_1", 1), ("lbl_2", "ctc_1", 2), ("lbl_1", "ctc_2", 3)]
                .map(|(l, c, t)| (l.to_owned(), c.to_owned(), t))
        );
        let changes = "SELECT contact_id, account_id, updated_at FROM contact_changes \
            ORDER BY contact_id";
        let stamps: Vec<(String, String, i64)> =
            sqlx::query_as(changes).fetch_all(&pool).await.unwrap();
        assert_eq!(
            stamps,
            [("ctc_1", 0), ("ctc_2", 7)].map(|(c, t)| (c.to_owned(), "acc_1".to_owned(), t))
        );
        let clustered: String =
            sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE name = 'contacts'")
                .fetch_one(&pool)
                .await
                .unwrap();
        assert!(clustered.ends_with("WITHOUT ROWID"), "{clustered}");

        sqlx::query("DELETE FROM contacts WHERE id = 'ctc_1'").execute(&pool).await.unwrap();
        let left: Vec<(String, String, i64)> =
            sqlx::query_as(links).fetch_all(&pool).await.unwrap();
        assert_eq!(left, [("lbl_1".to_owned(), "ctc_2".to_owned(), 3)]);
        let stamps: Vec<(String, String, i64)> =
            sqlx::query_as(changes).fetch_all(&pool).await.unwrap();
        assert_eq!(stamps, [("ctc_2".to_owned(), "acc_1".to_owned(), 7)]);
    }
}
