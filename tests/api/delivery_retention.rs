//! Retention (contract §8.4): events and deliveries older than the cutoff are purged, newer ones
//! stay, and a purge in batches gets through everything.

use kirim::store::attempts::purge_before;
use kirim::store::on_conn;

use crate::hooks::{deliveries, dispatching_app, settled, subscribe};
use crate::receiver::Receiver;
use crate::support::TestApp;

async fn count(app: &TestApp, table: &str, org: &str) -> i64 {
    let sql = format!("SELECT count(*) FROM {table} WHERE org_id = $1");
    let mut pooled = app.db.acquire().await.unwrap();
    on_conn!(pooled.conn(), |c| sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(org)
        .fetch_one(c)
        .await)
    .unwrap()
}

/// Deliveries of `org` whose event is gone.
async fn orphans(app: &TestApp, org: &str) -> i64 {
    let mut pooled = app.db.acquire().await.unwrap();
    on_conn!(pooled.conn(), |c| sqlx::query_scalar(
        "SELECT count(*) FROM webhook_deliveries d WHERE d.org_id = $1 \
         AND NOT EXISTS (SELECT 1 FROM webhook_events e WHERE e.id = d.event_id)"
    )
    .bind(org)
    .fetch_one(c)
    .await)
    .unwrap()
}

#[tokio::test]
async fn events_and_deliveries_older_than_the_cutoff_are_purged_and_newer_ones_kept() {
    let app = dispatching_app().await;
    let org = app.org().await;
    let receiver = Receiver::start().await;
    let (id, _) = subscribe(&app, &org, &receiver.url).await;
    app.contacts(&org, 5).await;
    settled(&app, &org, &id, 5).await;
    let created: Vec<i64> = {
        let mut pooled = app.db.acquire().await.unwrap();
        on_conn!(pooled.conn(), |c| sqlx::query_scalar(
            "SELECT created_at FROM webhook_events WHERE org_id = $1 ORDER BY created_at"
        )
        .bind(&org.id)
        .fetch_all(c)
        .await)
        .unwrap()
    };
    assert_eq!(created.len(), 5);

    // A cutoff before everything purges nothing.
    let mut tx = app.db.begin().await.unwrap();
    assert_eq!(purge_before(tx.conn(), created[0], 2).await.unwrap(), 0);
    tx.commit().await.unwrap();
    assert_eq!(count(&app, "webhook_events", &org.id).await, 5);

    // A cutoff after everything, two rows a statement: repeated until nothing is left. (An
    // event's id carries the time it was named, which can be a moment after its created_at.)
    loop {
        let mut tx = app.db.begin().await.unwrap();
        let purged = purge_before(tx.conn(), created[4] + 1_000, 2).await.unwrap();
        tx.commit().await.unwrap();
        // An event goes only after its deliveries: none is ever left pointing at nothing.
        assert_eq!(orphans(&app, &org.id).await, 0);
        if purged == 0 {
            break;
        }
    }
    assert_eq!(count(&app, "webhook_events", &org.id).await, 0);
    assert_eq!(count(&app, "webhook_deliveries", &org.id).await, 0);
    assert!(deliveries(&app, &org, &id).await.is_empty());
}
