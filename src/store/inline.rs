//! SQLite statements of a write transaction, run on the request's own thread.
//!
//! sqlx runs each SQLite connection on a thread of its own: every statement is a round trip to
//! that thread, and every row it returns crosses back through a channel. A bulk label call is
//! four statements (whether anyone listens, the partition, the write, the stamp), one of which
//! returns up to 1,000 rows, and the write gate is held throughout: timed inside the server,
//! the round trips and the rows were a tenth of the time every other writer waits
//! (docs/performance.md, "SQLite: a bulk call's statements in one hop"). [`run`] takes the
//! connection's handle from sqlx's thread for the time of a closure and runs the closure's
//! statements here, with rusqlite, as the readers do ([`super::read`]): one round trip for all
//! of them, and rows read where they are used.
//!
//! The closure blocks its runtime thread while it runs, as an inline read does; it is for
//! statements bounded by the ids they are given (a bulk call's 1,000), never for a scan.

use sqlx::SqliteConnection;

use super::read::into_sqlx;

/// Runs `statements` on `conn`'s SQLite connection, inside whatever transaction it has open.
pub async fn run<T>(
    conn: &mut SqliteConnection,
    statements: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T>,
) -> sqlx::Result<T> {
    let mut handle = conn.lock_handle().await?;
    let raw = handle.as_raw_handle().as_ptr();
    // SAFETY: while `handle` lives, sqlx's thread makes no call on this connection or its
    // statements (the guarantee of `lock_handle`), so this thread alone uses it. A connection
    // made by `from_handle` neither closes the handle nor changes its hooks when dropped; it is
    // dropped, with every statement it prepared, before `handle` is, so nothing outlives the
    // lock. Both crates link the same libsqlite3-sys, so the pointer types are the same.
    #[expect(unsafe_code, reason = "the one call that hands sqlx's SQLite handle to rusqlite")]
    let db = unsafe { rusqlite::Connection::from_handle(raw) }.map_err(into_sqlx)?;
    let result = statements(&db).map_err(into_sqlx);
    drop(db);
    drop(handle);
    result
}

/// `sql` prepared, with those of `params` it names bound: like sqlx, which binds every
/// parameter whether the statement uses it or not, where rusqlite refuses a name it lacks.
/// Prepared anew each call: the rusqlite connection lives only as long as [`run`]'s closure, so
/// there is no statement cache to keep it in.
pub fn bound<'c>(
    db: &'c rusqlite::Connection,
    sql: &str,
    params: &[(&str, &dyn rusqlite::ToSql)],
) -> rusqlite::Result<rusqlite::Statement<'c>> {
    let mut statement = db.prepare(sql)?;
    for (name, value) in params {
        if let Some(index) = statement.parameter_index(name)? {
            statement.raw_bind_parameter(index, value)?;
        }
    }
    Ok(statement)
}
