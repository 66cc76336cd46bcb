//! Cross-node wake-ups on PostgreSQL: a commit that recorded deliveries runs
//! `pg_notify('kirim_webhooks', '')`, and every node's dispatcher `LISTEN`s, so a first attempt
//! leaves within moments wherever the change was committed.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgListener;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::CHANNEL;
use crate::store::Db;

/// Pause before listening again after the connection failed.
const RETRY: Duration = Duration::from_secs(1);

/// Forwards notifications to `wake` for as long as the task lives; nothing to do on SQLite, where
/// only one node writes and the in-process signal already covers its commits.
pub fn listen(db: &Db, wake: Arc<Notify>) -> JoinHandle<()> {
    let Db::Postgres(pool) = db else { return tokio::spawn(async {}) };
    let pool = pool.clone();
    tokio::spawn(async move {
        loop {
            let mut listener = match PgListener::connect_with(&pool).await {
                Ok(listener) => listener,
                Err(error) => {
                    tracing::warn!(%error, "webhook LISTEN: cannot connect");
                    tokio::time::sleep(RETRY).await;
                    continue;
                }
            };
            if let Err(error) = listener.listen(CHANNEL).await {
                tracing::warn!(%error, "webhook LISTEN failed");
                tokio::time::sleep(RETRY).await;
                continue;
            }
            // `recv` reconnects on its own after a lost connection; notifications sent while
            // it was away are covered by the poll. Any wake-up may find nothing: that is fine.
            loop {
                match listener.recv().await {
                    Ok(_) => wake.notify_one(),
                    Err(error) => {
                        tracing::warn!(%error, "webhook LISTEN lost");
                        wake.notify_one();
                        tokio::time::sleep(RETRY).await;
                        break;
                    }
                }
            }
        }
    })
}
