//! `kirim serve`: connect, migrate, optionally seed the demo, and serve until SIGINT/SIGTERM.

use std::time::Duration;

use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

use crate::cli::{LogFormat, ServeArgs};
use crate::dispatch::{DispatchConfig, Dispatcher};
use crate::http::transaction;
use crate::state::AppState;
use crate::store::Db;
use crate::{BoxResult, demo, http_server};

/// How often expired idempotency records are deleted.
const PURGE_EVERY: Duration = Duration::from_secs(600);

pub async fn serve(args: ServeArgs) -> BoxResult<()> {
    init_logging(args.log_format);
    let db = Db::connect(&args.database.database_url, args.db_max_connections).await?;
    db.migrate().await?;
    let listener = TcpListener::bind(&args.listen).await?;
    let address = listener.local_addr()?;
    if args.demo {
        demo::seed_if_empty(&db, &format!("http://{address}")).await?;
    }
    let mut state = AppState::new(db.clone())
        .await?
        .with_idempotency_wait(Duration::from_secs(args.idempotency_wait_secs))
        .with_webhooks(args.webhooks.clone().into());
    if let Some(url) = &args.redis_url {
        state = state.with_redis(url)?;
    }
    tokio::spawn(transaction::purge_forever(db.clone(), PURGE_EVERY));
    let config = DispatchConfig::new(&state.webhooks);
    let dispatcher = Dispatcher::new(db.clone(), config, state.webhook_wake.clone()).spawn();
    // Scripts and tests read this line to learn the port when listening on port 0.
    println!("kirim listening on http://{address} ({})", db.backend());
    tracing::info!(%address, backend = db.backend(), "listening");
    let grace = Duration::from_secs(args.shutdown_grace_secs);
    // The signal stops the dispatcher's claims while requests drain; attempts already in flight
    // finish within the same grace.
    let (stopping, stop) = tokio::sync::oneshot::channel::<()>();
    let signal = async move {
        shutdown_signal().await;
        let _ = stopping.send(());
    };
    let dispatcher = tokio::spawn(async move {
        let _ = stop.await;
        dispatcher.shutdown(grace).await;
    });
    http_server::run(listener, crate::app::app(state), signal, grace).await;
    let _ = dispatcher.await;
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_env("KIRIM_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { () = ctrl_c => {}, () = terminate => {} }
    tracing::info!("shutting down: finishing in-flight requests");
}
