//! SQLite reads on the request's own thread.
//!
//! sqlx runs each SQLite connection on a thread of its own and sends every statement there and
//! every row back through channels: several context switches a statement, far more than an
//! indexed read costs (docs/performance.md, "SQLite: the thread hand-off"). The hot reads
//! therefore run on [`Readers`]: read-only connections to the same file, used inline on the
//! runtime thread that serves the request. In WAL mode a reader never waits for the writer, and
//! each statement starts a read transaction that sees every transaction committed before it, on
//! this node or another process, so such a read takes microseconds.
//!
//! What may run inline (docs/decisions.md, "Reads on SQLite"): a statement whose work is bounded
//! by an index range and its `LIMIT` ([`Cost::Bounded`]: a lookup by key, a keyset page). Even
//! then it runs under a budget of SQLite VM steps; past the budget (a label page whose links
//! mostly belong to another account, say) it is interrupted and run again on a blocking thread,
//! where [`Cost::Unbounded`] statements (a substring search) always run. Writes never come here:
//! they stay on sqlx, in `BEGIN IMMEDIATE` behind the write gate.

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags};
use sqlx::error::{DatabaseError, ErrorKind};
use tokio::sync::Semaphore;

use super::{ACQUIRE_TIMEOUT, Conn};

/// How long a reader waits for a lock. WAL readers take none that a writer holds for long (only
/// a recovering or resetting WAL index can make them wait); past this the read is a 503, and the
/// runtime thread was never blocked for longer.
const BUSY_TIMEOUT: Duration = Duration::from_millis(100);
/// SQLite VM steps between two looks at an inline statement's budget.
const STEPS_PER_CHECK: i32 = 1_000;
/// An inline statement's budget, in VM steps: 25 times a label's page of 100 (~2,000 steps; a
/// lookup by key takes 20 to 40), a millisecond or two of work. A walk that skips rows (about 5
/// steps each) gives up after some 10,000 of them.
const INLINE_STEPS: i64 = 50_000;
/// The statements a reader keeps prepared: every read's SQL, and the list's few shapes.
const STATEMENT_CACHE: usize = 32;

/// Where a read runs.
pub enum Read<'c> {
    /// On SQLite outside a transaction: the node's [`Readers`].
    Sqlite(&'c Readers),
    /// On a sqlx connection: PostgreSQL, or SQLite inside a write transaction (which must read
    /// its own uncommitted writes).
    Conn(Conn<'c>),
}

impl<'c> From<Conn<'c>> for Read<'c> {
    fn from(conn: Conn<'c>) -> Self {
        Self::Conn(conn)
    }
}

/// How much work a statement can do, which decides where it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cost {
    /// Bounded by an index range and a `LIMIT`: inline, within the step budget.
    Bounded,
    /// Not bounded by an index (a scan): always on a blocking thread.
    Unbounded,
}

/// Read-only connections to the node's SQLite file, opened on demand and kept for reuse.
pub struct Readers {
    file: PathBuf,
    idle: Mutex<Vec<Reader>>,
    /// How many readers are kept idle; also how many statements run off the runtime threads at
    /// once, as the sqlx pool bounds its connections.
    keep: usize,
    off_thread: Arc<Semaphore>,
    closed: AtomicBool,
}

/// One connection and its statement's remaining budget (in checks of [`STEPS_PER_CHECK`]).
struct Reader {
    conn: Connection,
    budget: Arc<AtomicI64>,
}

impl Readers {
    /// Readers of `file`, which must exist (no reader creates a database).
    pub(super) fn new(file: PathBuf, max_connections: u32) -> Self {
        let keep = max_connections.max(1) as usize;
        Self {
            file,
            idle: Mutex::new(Vec::new()),
            keep,
            off_thread: Arc::new(Semaphore::new(keep)),
            closed: AtomicBool::new(false),
        }
    }

    /// Runs `read` on a reader: inline when it is [`Cost::Bounded`] and stays within the budget,
    /// otherwise on a blocking thread. `read` may therefore run twice; it only reads.
    pub async fn run<T, F>(&self, cost: Cost, read: F) -> sqlx::Result<T>
    where
        T: Send + 'static,
        F: Fn(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        if cost == Cost::Bounded {
            let reader = self.checkout()?;
            reader.budget.store(INLINE_STEPS / i64::from(STEPS_PER_CHECK), Ordering::Relaxed);
            let result = read(&reader.conn);
            self.checkin(reader);
            match result {
                Err(e)
                    if e.sqlite_error_code() == Some(rusqlite::ErrorCode::OperationInterrupted) =>
                {
                    tracing::debug!(
                        "an inline read ran over its budget; running it off the runtime thread"
                    );
                }
                other => return other.map_err(into_sqlx),
            }
        }
        let permit = tokio::time::timeout(ACQUIRE_TIMEOUT, self.off_thread.clone().acquire_owned())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?
            .map_err(|_| sqlx::Error::PoolClosed)?;
        let reader = self.checkout()?;
        let (reader, result) = tokio::task::spawn_blocking(move || {
            reader.budget.store(i64::MAX, Ordering::Relaxed);
            let result = read(&reader.conn);
            drop(permit);
            (reader, result)
        })
        .await
        .map_err(|e| sqlx::Error::Protocol(format!("a read on a blocking thread failed: {e}")))?;
        self.checkin(reader);
        result.map_err(into_sqlx)
    }

    /// Drops the idle readers; every later read answers as a closed pool does (503).
    pub(super) fn close(&self) {
        self.closed.store(true, Ordering::Relaxed);
        self.lock().clear();
    }

    fn checkout(&self) -> sqlx::Result<Reader> {
        if self.closed.load(Ordering::Relaxed) {
            return Err(sqlx::Error::PoolClosed);
        }
        match self.lock().pop() {
            Some(reader) => Ok(reader),
            None => Reader::open(&self.file).map_err(into_sqlx),
        }
    }

    fn checkin(&self, reader: Reader) {
        let mut idle = self.lock();
        if idle.len() < self.keep && !self.closed.load(Ordering::Relaxed) {
            idle.push(reader);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Reader>> {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Reader {
    fn open(file: &std::path::Path) -> rusqlite::Result<Self> {
        // Read-write without create, then `query_only`: the connection takes part in WAL as any
        // other (it may run recovery or the last checkpoint) but can change no data, and a
        // missing file is an error rather than a new empty database.
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(file, flags)?;
        conn.pragma_update(None, "query_only", true)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        // Plans that do not depend on bound values. Otherwise SQLite takes a bound `LIMIT` as a
        // value the plan was made for, and the cache's clearing of the bindings after every run
        // expires the statement: each page would be parsed and planned again (7 % of a label
        // page's time). Every statement here is a walk by key whose plan no value changes.
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
        let budget = Arc::new(AtomicI64::new(i64::MAX));
        let left = budget.clone();
        // The handler runs every STEPS_PER_CHECK steps of the statement in progress; returning
        // true interrupts it (SQLITE_INTERRUPT), which `run` takes as "over budget".
        conn.progress_handler(
            STEPS_PER_CHECK,
            Some(move || left.fetch_sub(1, Ordering::Relaxed) <= 0),
        )?;
        Ok(Self { conn, budget })
    }
}

/// rusqlite's errors as sqlx's, so that a statement run with rusqlite (a read, or a write's in
/// [`super::inline`]) fails the way every other does: busy or locked is a 503
/// ([`super::is_unavailable`]), anything else a 500.
pub(super) fn into_sqlx(error: rusqlite::Error) -> sqlx::Error {
    match error {
        rusqlite::Error::SqliteFailure(failure, message) => {
            let message = message.unwrap_or_else(|| failure.to_string());
            sqlx::Error::Database(Box::new(ReadError { code: failure.extended_code, message }))
        }
        rusqlite::Error::FromSqlConversionFailure(..)
        | rusqlite::Error::InvalidColumnType(..)
        | rusqlite::Error::IntegralValueOutOfRange(..) => sqlx::Error::Decode(Box::new(error)),
        other => sqlx::Error::Protocol(other.to_string()),
    }
}

/// A SQLite failure reported by rusqlite, with its extended result code as sqlx reports SQLite's.
#[derive(Debug, thiserror::Error)]
#[error("{message} (SQLite code {code})")]
struct ReadError {
    code: i32,
    message: String,
}

impl DatabaseError for ReadError {
    fn message(&self) -> &str {
        &self.message
    }

    fn code(&self) -> Option<Cow<'_, str>> {
        Some(self.code.to_string().into())
    }

    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> ErrorKind {
        ErrorKind::Other
    }
}

#[cfg(test)]
mod tests {
    use std::thread::{self, ThreadId};

    use super::*;

    /// Runs `sql` (one integer back) as a bounded read; returns it and the threads it ran on.
    async fn run_counting(readers: &Readers, sql: &'static str) -> (i64, Vec<ThreadId>) {
        let threads = Arc::new(Mutex::new(Vec::new()));
        let seen = threads.clone();
        let value = readers
            .run(Cost::Bounded, move |c| {
                seen.lock().unwrap().push(thread::current().id());
                c.prepare_cached(sql)?.query_row([], |row| row.get(0))
            })
            .await
            .unwrap();
        let threads = threads.lock().unwrap().clone();
        (value, threads)
    }

    #[tokio::test]
    async fn a_read_past_its_inline_budget_is_finished_off_the_runtime_thread() {
        let dir = std::env::temp_dir().join(format!("kirim-read-{}", crate::ids::ulid()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("kirim.db");
        drop(Connection::open(&file).unwrap());
        let readers = Readers::new(file, 2);
        let here = thread::current().id();

        let (one, threads) = run_counting(&readers, "SELECT 1").await;
        assert_eq!((one, threads), (1, vec![here]), "a small read runs inline, once");

        // About ten VM steps a row: far past the budget.
        const COUNT: &str = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n \
            WHERE i < 100000) SELECT count(*) FROM n";
        let (count, threads) = run_counting(&readers, COUNT).await;
        assert_eq!(count, 100_000, "the caller gets the answer, not the interruption");
        assert_eq!(threads.len(), 2, "interrupted inline, then run again");
        assert_eq!(threads[0], here);
        assert_ne!(threads[1], here, "the second run is on a blocking thread");

        // A third of the budget, twenty times on one prepared statement: SQLite counts its steps
        // across runs, the budget does not.
        const THIRD: &str = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n \
            WHERE i < 1000) SELECT count(*) FROM n";
        for _ in 0..20 {
            let (count, threads) = run_counting(&readers, THIRD).await;
            assert_eq!((count, threads), (1_000, vec![here]), "each run has the whole budget");
        }
        readers.close();
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn a_locked_database_is_unavailable_after_the_short_busy_timeout() {
        let dir = std::env::temp_dir().join(format!("kirim-read-{}", crate::ids::ulid()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("kirim.db");
        let setup = Connection::open(&file).unwrap();
        setup.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (x);").unwrap();
        drop(setup);
        // Exclusive locking mode, the only way a WAL reader is kept out: the connection holds
        // the file's lock after its write until it closes.
        let locker = Connection::open(&file).unwrap();
        locker
            .execute_batch("PRAGMA locking_mode = EXCLUSIVE; BEGIN; INSERT INTO t VALUES (1);")
            .unwrap();
        let readers = Readers::new(file, 2);
        let count =
            |c: &Connection| c.query_row("SELECT count(*) FROM t", [], |r| r.get::<_, i64>(0));

        let started = std::time::Instant::now();
        let error = readers.run(Cost::Bounded, count).await.unwrap_err();
        assert!(super::super::is_unavailable(&error), "busy is a 503: {error}");
        assert!(started.elapsed() < Duration::from_secs(1), "the runtime thread waited briefly");

        locker.execute_batch("COMMIT").unwrap();
        drop(locker);
        assert_eq!(readers.run(Cost::Bounded, count).await.unwrap(), 1, "then it reads again");
        readers.close();
        let _ = std::fs::remove_dir_all(dir);
    }
}
