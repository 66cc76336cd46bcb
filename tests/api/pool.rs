//! Many more concurrent requests than database connections: they queue, none fails.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{TestApp, send};

#[tokio::test]
async fn forty_concurrent_writes_and_reads_share_a_four_connection_pool() {
    let app = TestApp::spawn().await; // the harness gives each server 4 connections
    let org = app.org().await;
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let request = if i % 2 == 0 {
                app.request(Method::POST, &org.key, "/v1/labels")
                    .json(&json!({ "name": format!("pool {i}") }))
            } else {
                app.request(Method::GET, &org.key, "/v1/labels")
            };
            tokio::spawn(send(request))
        })
        .collect();
    for task in tasks {
        let r = task.await.unwrap();
        assert!(
            r.status == StatusCode::CREATED || r.status == StatusCode::OK,
            "{}: {}",
            r.status,
            r.body
        );
    }
}

#[tokio::test]
async fn a_write_handler_without_its_transaction_is_an_internal_error_not_a_pool_connection() {
    use axum::extract::FromRequestParts;
    use kirim::error::ApiError;
    use kirim::http::db::{DbConn, TxSlot};

    let app = TestApp::spawn().await;
    let state = kirim::state::AppState::new(app.db.clone()).await.unwrap();
    let (mut parts, ()) = axum::http::Request::post("/v1/labels").body(()).unwrap().into_parts();
    let outside = DbConn::from_request_parts(&mut parts, &state).await;
    assert!(matches!(outside, Err(ApiError::Internal)), "no transaction layer ran");

    // The layer ran, but something took the transaction before the handler.
    let slot = TxSlot::new(app.db.begin().await.unwrap());
    let taken = slot.take().unwrap();
    parts.extensions.insert(slot);
    let emptied = DbConn::from_request_parts(&mut parts, &state).await;
    assert!(matches!(emptied, Err(ApiError::Internal)), "the slot was empty");
    taken.rollback().await.unwrap();

    let (mut read, ()) = axum::http::Request::get("/v1/labels").body(()).unwrap().into_parts();
    assert!(DbConn::from_request_parts(&mut read, &state).await.is_ok(), "reads use the pool");
}

/// PostgreSQL's JIT would compile a plan on every execution once its estimate crosses
/// `jit_above_cost` (~10 ms for a label page that runs in 0.3 ms): the server's connections
/// turn it off.
#[tokio::test]
async fn postgres_connections_run_without_jit() {
    let app = TestApp::spawn_postgres().await;
    let kirim::store::Db::Postgres(pool) = &app.db else { unreachable!("spawned on PostgreSQL") };
    let jit: String = sqlx::query_scalar("SHOW jit").fetch_one(pool).await.unwrap();
    assert_eq!(jit, "off");
}

/// A client that goes away while its write's `BEGIN` is in flight must not leave that connection
/// inside a transaction for the requests after it, whose statements would run in it and hold
/// its locks (sqlx 0.9.0 did on PostgreSQL; see `Db::begin`).
#[tokio::test]
async fn a_begin_dropped_in_flight_leaves_no_connection_inside_a_transaction() {
    use std::future::Future;
    use std::task::{Context, Waker};

    use kirim::store::Conn;

    let app = TestApp::spawn().await;
    for _ in 0..20 {
        // Polled once, the `BEGIN` is sent and its answer not yet read; then the request's
        // future is dropped, as hyper drops it when the client disconnects.
        let mut begin = Box::pin(app.db.begin());
        let _ = begin.as_mut().poll(&mut Context::from_waker(Waker::noop()));
        drop(begin);
    }
    // Every connection of the pool (the harness gives it 4), held at once.
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(app.db.acquire().await.unwrap());
    }
    for pooled in &mut held {
        match pooled.conn() {
            Conn::Postgres(c) => {
                // Inside a transaction, now() is when it began, before this statement. (The
                // simple protocol: a prepared statement's transaction begins at its parse.)
                let row = sqlx::raw_sql("SELECT now() = statement_timestamp()")
                    .fetch_one(c)
                    .await
                    .unwrap();
                let fresh: bool = sqlx::Row::get(&row, 0);
                assert!(fresh, "a connection of the pool is inside a transaction");
            }
            Conn::Sqlite(c) => {
                // SQLite refuses a BEGIN inside a transaction.
                sqlx::query("BEGIN").execute(&mut *c).await.expect("no transaction is open");
                sqlx::query("ROLLBACK").execute(&mut *c).await.unwrap();
            }
        }
    }
}

/// The pool hands out the connection given back last, so a light load keeps to the few server
/// processes it needs, awake and warm, instead of cycling through every connection a heavier
/// load opened (vendor/README.md, the fourth change).
#[tokio::test]
async fn the_pool_hands_out_the_connection_given_back_last() {
    let app = TestApp::spawn_postgres().await;
    // A pool of its own: the server's background tasks borrow from the server's.
    let db = kirim::store::Db::connect(&app.database_url, 3).await.unwrap();
    let kirim::store::Db::Postgres(pool) = &db else { unreachable!("spawned on PostgreSQL") };
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(pool.acquire().await.unwrap());
    }
    let mut pids = Vec::new();
    for conn in &mut held {
        pids.push(backend_pid(conn).await);
    }
    // Given back in the order they were taken; each return is a task of the pool's.
    for (n, conn) in held.into_iter().enumerate() {
        drop(conn);
        idle(pool, n + 1).await;
    }
    for _ in 0..3 {
        let mut conn = pool.acquire().await.unwrap();
        assert_eq!(backend_pid(&mut conn).await, pids[2], "the connection given back last");
        drop(conn);
        idle(pool, 3).await;
    }
    // The one given back before it comes next while that one is out.
    let newest = pool.acquire().await.unwrap();
    let mut next = pool.acquire().await.unwrap();
    assert_eq!(backend_pid(&mut next).await, pids[1]);
    drop((newest, next));
    db.close().await;
}

/// Taking the newest connection leaves the others idle, so the pool's idle timeout closes what a
/// busier moment opened while a light load goes on (a pool taking its connections in turn keeps
/// every one of them busy enough to stay).
#[tokio::test]
async fn connections_a_light_load_leaves_unused_are_closed_after_the_idle_timeout() {
    let app = TestApp::spawn_postgres().await;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(3)
        .idle_timeout(std::time::Duration::from_millis(200))
        .connect(&app.database_url)
        .await
        .unwrap();
    let held = [pool.acquire().await.unwrap(), pool.acquire().await.unwrap()];
    let third = pool.acquire().await.unwrap();
    drop((held, third));
    idle(&pool, 3).await;
    // One query at a time for 1.5 s: one connection is enough for it.
    let started = std::time::Instant::now();
    while started.elapsed() < std::time::Duration::from_millis(1500) {
        sqlx::query("SELECT 1").execute(&pool).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(pool.size(), 1, "the two connections left unused are closed");
    pool.close().await;
}

async fn backend_pid(conn: &mut sqlx::PgConnection) -> i32 {
    sqlx::query_scalar("SELECT pg_backend_pid()").fetch_one(conn).await.unwrap()
}

async fn idle(pool: &sqlx::PgPool, connections: usize) {
    for _ in 0..500 {
        if pool.num_idle() == connections {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("{} idle connections after 5 s, not {connections}", pool.num_idle());
}
