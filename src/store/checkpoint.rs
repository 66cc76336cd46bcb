//! SQLite checkpoints, made beside the writers instead of inside their write gate.
//!
//! In WAL mode SQLite copies the log back into the database file (a checkpoint) at the end of
//! the commit that takes the log past `wal_autocheckpoint` pages. That commit still holds this
//! node's write gate, so every writer queued behind it waited for the copy and its `fsync`: under
//! bulk-label load, commits took 0.8 ms at the median and 22–26 ms at the 99th percentile, a
//! quarter of the gate's time (docs/performance.md, "SQLite: checkpoints outside the write gate").
//!
//! So the writers' own checkpoint is only a backstop ([`BACKSTOP_PAGES`]), and
//! [`checkpoint_forever`] checkpoints every [`DEFAULT_EVERY`] unless configured: first beside the
//! writers (`PASSIVE` copies what is committed and never blocks a writer), then, once the log
//! holds [`RESTART_PAGES`] or more, again with the write turn held. That last pass is what
//! bounds the log: SQLite starts the log over only when a writer finds every page of it copied,
//! which under continuous writes a checkpoint running beside them never achieves. It holds every
//! writer back while it copies and `fsync`s what was committed since the pass before it, so the
//! task first catches up beside the writers, then queues for the turn and keeps copying until
//! the turn comes.

use std::time::Duration;

use super::{Conn, Db};

/// The writers' own automatic checkpoint (SQLite's `wal_autocheckpoint`, default 1,000 pages):
/// reached only if [`checkpoint_forever`] is not running (`kirim admin`) or falls behind.
pub const BACKSTOP_PAGES: u32 = 10_000;
/// A log of at least this many pages is finished with the write turn held, so that it restarts.
/// Under bulk-label load (1,000 ids a call) that is about four times a second, each time
/// holding the writers back for two `fsync`s of what was committed since the pass before (1–7 ms
/// with the catch-up below, ~30 ms without it). When the writers pause, the first pass alone
/// catches up and the log restarts without it.
const RESTART_PAGES: i64 = 4_000;
/// Before it queues for the write turn, a round that has reached [`RESTART_PAGES`] copies beside
/// the writers until a pass finds fewer than this many pages committed since the pass before it
/// (about two bulk-label calls of 1,000 ids), or [`CATCH_UP_PASSES`] have run. Each pass copies
/// what was committed during the one before, so the passes shrink.
const CAUGHT_UP_PAGES: i64 = 256;
const CATCH_UP_PASSES: usize = 8;
/// How often the log is checkpointed unless configured (`kirim serve --sqlite-checkpoint-ms`).
pub const DEFAULT_EVERY: Duration = Duration::from_millis(100);

/// Background task of `kirim serve`: checkpoints a SQLite file every `every`; returns at once on
/// PostgreSQL and on an in-memory SQLite database (which has no log).
pub async fn checkpoint_forever(db: Db, every: Duration) {
    if db.readers().is_none() {
        return;
    }
    loop {
        tokio::time::sleep(every).await;
        match checkpoint(&db).await {
            Ok(()) => {}
            // The server is stopping; closing the last connection checkpoints the log.
            Err(sqlx::Error::PoolClosed) => return,
            Err(error) => tracing::warn!(%error, "SQLite checkpoint failed"),
        }
    }
}

/// One round: copy the committed log beside the writers, then, if the log has grown to
/// [`RESTART_PAGES`], finish the copy while no writer of this node can append to it.
async fn checkpoint(db: &Db) -> sqlx::Result<()> {
    let mut log = passive(db).await?;
    if log < RESTART_PAGES {
        return Ok(());
    }
    // The held pass, which every writer waits for, copies and syncs what was committed since the
    // pass before it (docs/performance.md, "SQLite: the log's last pass"). So first catch up
    // beside the writers, then queue for the turn and go on copying while the writers ahead of
    // it commit: the held pass is left with what was committed during the last of those passes.
    for _ in 0..CATCH_UP_PASSES {
        let now = passive(db).await?;
        if now < log {
            return Ok(()); // a writer has started the log over: nothing is left to finish
        }
        let committed = now - log;
        log = now;
        if committed < CAUGHT_UP_PAGES {
            break;
        }
    }
    // A task of its own waits for the turn, so that no connection is held while waiting for it,
    // the order every writer keeps: a connection held while waiting for the turn could leave the
    // turn's holder without one. If a pass fails, the task gives the turn back as it gets it.
    let turn = tokio::spawn({
        let db = db.clone();
        async move { db.write_turn().await }
    });
    while !turn.is_finished() {
        let now = passive(db).await?;
        if now == log {
            break; // nothing committed since the last pass: nothing to gain by another
        }
        log = now;
    }
    let Ok(_turn) = turn.await else {
        return Ok(()); // the runtime is shutting down
    };
    passive(db).await?;
    Ok(())
}

/// A `PASSIVE` checkpoint on a pooled connection; returns how many pages the log holds.
async fn passive(db: &Db) -> sqlx::Result<i64> {
    let mut pooled = db.acquire().await?;
    let Conn::Sqlite(c) = pooled.conn() else {
        return Ok(0);
    };
    // (busy, pages in the log, pages copied); busy is always 0 for PASSIVE.
    let (_, log, _): (i64, i64, i64) =
        sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)").fetch_one(c).await?;
    Ok(log)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database file `kirim.db` in a new directory of its own, and the directory.
    async fn scratch() -> (Db, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("kirim-checkpoint-{}", crate::ids::ulid()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}", dir.join("kirim.db").display());
        (Db::connect(&url, 4).await.unwrap(), dir)
    }

    #[tokio::test]
    async fn the_last_commit_before_the_writers_stop_reaches_the_database_file() {
        let (db, dir) = scratch().await;
        let file = dir.join("kirim.db");
        let write = |sql: &'static str| {
            let db = db.clone();
            async move {
                let mut tx = db.begin().await.unwrap();
                let Conn::Sqlite(c) = tx.conn() else { unreachable!("a SQLite file") };
                sqlx::query(sql).execute(c).await.unwrap();
                tx.commit().await.unwrap();
            }
        };
        write("CREATE TABLE t (x)").await;
        passive(&db).await.unwrap(); // the table in the database file

        let task = tokio::spawn(checkpoint_forever(db.clone(), DEFAULT_EVERY));
        // Rounds go by, then one last commit and the writers stop.
        tokio::time::sleep(DEFAULT_EVERY * 3).await;
        write("INSERT INTO t VALUES (1)").await;

        // `immutable` reads the database file alone, without the log: the row is there once a
        // round has copied it. Rounds come every DEFAULT_EVERY; a loaded machine may delay a few.
        let uri = format!("file:{}?immutable=1", file.display());
        let flags =
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_URI;
        let in_file = || -> i64 {
            rusqlite::Connection::open_with_flags(&uri, flags)
                .unwrap()
                .query_row("SELECT count(*) FROM t", [], |row| row.get(0))
                .unwrap()
        };
        let mut copied = in_file();
        for _ in 0..50 {
            if copied == 1 {
                break;
            }
            tokio::time::sleep(DEFAULT_EVERY).await;
            copied = in_file();
        }
        assert_eq!(copied, 1, "the last commit is still only in the log");
        task.abort();
        db.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn under_continuous_writes_the_log_keeps_restarting_far_below_the_backstop() {
        let (db, dir) = scratch().await;
        let mut pooled = db.acquire().await.unwrap();
        let Conn::Sqlite(c) = pooled.conn() else { unreachable!("a SQLite file") };
        sqlx::query("CREATE TABLE t (x BLOB)").execute(c).await.unwrap();
        drop(pooled);

        // 400 transactions of 32 pages each: 12,800 pages, past the backstop.
        let writer = {
            let db = db.clone();
            tokio::spawn(async move {
                for _ in 0..400 {
                    let mut tx = db.begin().await.unwrap();
                    let Conn::Sqlite(c) = tx.conn() else { unreachable!("a SQLite file") };
                    sqlx::query("INSERT INTO t VALUES (randomblob(32 * 4096))")
                        .execute(c)
                        .await
                        .unwrap();
                    tx.commit().await.unwrap();
                }
            })
        };
        while !writer.is_finished() {
            checkpoint(&db).await.unwrap();
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        writer.await.unwrap();

        // The log file keeps the size of its longest run between restarts: about RESTART_PAGES
        // and what one round lets through. Without the second pass it reaches the backstop.
        let wal = std::fs::metadata(dir.join("kirim.db-wal")).unwrap().len();
        let backstop = u64::from(BACKSTOP_PAGES) * 4096;
        assert!(wal < backstop * 3 / 4, "the log grew to {wal} bytes (backstop {backstop})");
        db.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }
}
