//! `kirim serve`: connect, migrate, optionally seed the demo, and serve until SIGINT/SIGTERM.

use std::io::IsTerminal;
use std::time::Duration;

use clap::builder::BoolishValueParser;
use clap::{Args, ValueEnum};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

use crate::dispatch::{DispatchConfig, Dispatcher};
use crate::http::transaction;
use crate::keycache::{KeyCacheSettings, KeyPoller};
use crate::log_writer::{self, LogFlusher};
use crate::state::AppState;
use crate::store::{DEFAULT_DATABASE_URL, Db, checkpoint};
use crate::{BoxResult, demo, http_server};

/// How often expired idempotency records are deleted.
const PURGE_EVERY: Duration = Duration::from_secs(600);

/// `kirim serve`'s options; each also reads a `KIRIM_…` environment variable.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (printed on start).
    #[arg(long, env = "KIRIM_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// `sqlite://FILE` (created if missing) or `postgres://…`.
    #[arg(long, env = "KIRIM_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
    /// On an empty database, create a demo organisation, account, 1,000 contacts and labels.
    #[arg(long, env = "KIRIM_DEMO", value_parser = BoolishValueParser::new())]
    pub demo: bool,
    /// Largest number of database connections this node opens.
    #[arg(long, env = "KIRIM_DB_MAX_CONNECTIONS", default_value_t = 16)]
    pub db_max_connections: u32,
    /// Redis shared by all nodes for rate limits; without it, each node limits on its own.
    #[arg(long, env = "KIRIM_REDIS_URL")]
    pub redis_url: Option<String>,
    /// Seconds a duplicate Idempotency-Key request waits for the first before 409.
    #[arg(long, env = "KIRIM_IDEMPOTENCY_WAIT_SECS", default_value_t = 30)]
    pub idempotency_wait_secs: u64,
    /// On SIGTERM, seconds to let in-flight requests finish before exiting anyway.
    #[arg(long, env = "KIRIM_SHUTDOWN_GRACE_SECS", default_value_t = 30)]
    pub shutdown_grace_secs: u64,
    /// Milliseconds between this node's polls for key and organisation changes, which let it
    /// cache API keys (a revocation waits about this long); 0 turns the cache off.
    #[arg(long, env = "KIRIM_KEY_CACHE_POLL_MS", default_value_t = 50,
          value_parser = clap::value_parser!(u64).range(0..=60_000))]
    pub key_cache_poll_ms: u64,
    /// SQLite: milliseconds between checkpoints of the write-ahead log beside the writers, which
    /// copy committed pages back into the database file so that no commit has to.
    #[arg(long, env = "KIRIM_SQLITE_CHECKPOINT_MS",
          default_value_t = checkpoint::DEFAULT_EVERY.as_millis() as u64,
          value_parser = clap::value_parser!(u64).range(1..=60_000))]
    pub sqlite_checkpoint_ms: u64,
    #[command(flatten)]
    pub webhooks: crate::webhooks::settings::WebhookArgs,
    /// Log format.
    #[arg(long, env = "KIRIM_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

pub async fn serve(args: ServeArgs) -> BoxResult<()> {
    // Held to the end: dropping it writes out the lines still queued.
    let _log_writer = init_logging(args.log_format);
    let db = Db::connect(&args.database_url, args.db_max_connections).await?;
    db.migrate().await?;
    let listener = TcpListener::bind(&args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let address = listener.local_addr()?;
    if args.demo {
        demo::seed_if_empty(&db, &format!("http://{address}"), &args.database_url).await?;
    }
    let mut state = AppState::new(db.clone())
        .await?
        .with_idempotency_wait(Duration::from_secs(args.idempotency_wait_secs))
        .with_webhooks(args.webhooks.clone().into());
    if let Some(url) = &args.redis_url {
        state = state.with_redis(url)?;
    }
    let key_poller = match args.key_cache_poll_ms {
        0 => None,
        ms => {
            let settings = KeyCacheSettings { poll_every: Duration::from_millis(ms) };
            Some(KeyPoller::start(db.clone(), state.key_cache.clone(), settings).await)
        }
    };
    tokio::spawn(transaction::purge_forever(db.clone(), PURGE_EVERY));
    let checkpoint_every = Duration::from_millis(args.sqlite_checkpoint_ms);
    tokio::spawn(checkpoint::checkpoint_forever(db.clone(), checkpoint_every));
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
    // Only once no request is served: until then the cache must stay in step.
    if let Some(poller) = key_poller {
        poller.stop().await;
    }
    let _ = dispatcher.await;
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Logs to stderr through [`log_writer`]: no request waits for the write.
fn init_logging(format: LogFormat) -> LogFlusher {
    let filter = EnvFilter::try_from_env("KIRIM_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let (writer, flusher) = log_writer::spawn(std::io::stderr());
    // Colour codes only for a person at a terminal; never in files, pipes or log collectors.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(std::io::stderr().is_terminal());
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        LogFormat::Text => builder.try_init(),
    };
    flusher
}

async fn shutdown_signal() {
    http_server::stop_requested(false).await;
    tracing::info!("shutting down: finishing in-flight requests");
}
