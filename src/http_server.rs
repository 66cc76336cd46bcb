//! The HTTP/1.1 server loop: accept, serve each connection with bounded patience, and shut down
//! gracefully.
//!
//! Written out (rather than `axum::serve`) for the limits a public server needs: a client has
//! [`HEADER_TIMEOUT`] to send its request head (slow-loris clients are cut off), at most
//! [`MAX_CONNECTIONS`] connections are open at once (more are closed on accept, so trickling
//! clients cannot exhaust file descriptors), and on shutdown the listener closes at once, idle
//! connections close, in-flight requests finish, and the whole takes at most the grace period.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

/// Time a client has to send a request's head (line and headers).
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Open connections at most; further ones are closed as they are accepted.
pub const MAX_CONNECTIONS: usize = 4096;

/// Serves `app` on `listener` until `shutdown` resolves, then drains for at most `grace`.
pub async fn run(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    // Closing `stop` tells connections to finish; each holds a `done` receiver until it has.
    let (stop, stopping) = watch::channel(());
    let (done, finished) = watch::channel(());
    tokio::pin!(shutdown);

    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(error) => {
                // Out of file descriptors and the like: back off instead of spinning.
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::warn!("connection limit reached; closing a new connection");
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        let mut stopping = stopping.clone();
        let finished = finished.clone();
        tokio::spawn(async move {
            let connection = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = stopping.changed() => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
            drop((slot, finished));
        });
    }

    drop(listener);
    drop(stop);
    drop(finished);
    if tokio::time::timeout(grace, done.closed()).await.is_err() {
        tracing::warn!(
            grace_seconds = grace.as_secs(),
            "shutdown grace period over; closing the rest"
        );
    }
}

/// Resolves at the first of Ctrl-C (SIGINT), SIGTERM (what `kill`, `timeout` and container
/// runtimes send) and, with `hangup`, SIGHUP (the terminal was closed).
pub async fn stop_requested(hangup: bool) {
    use tokio::signal::unix::{SignalKind, signal};
    async fn first(kind: SignalKind) {
        match signal(kind) {
            Ok(mut stream) => {
                stream.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    }
    let hung_up = async {
        if hangup {
            first(SignalKind::hangup()).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = first(SignalKind::terminate()) => {}
        () = hung_up => {}
    }
}
