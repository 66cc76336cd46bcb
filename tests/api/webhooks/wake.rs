//! After a commit, and only then, the dispatchers learn of new due deliveries: this node's
//! through its in-process signal, every PostgreSQL node through `NOTIFY`.

use reqwest::StatusCode;
use serde_json::json;

use super::{contacts_path, execute, subscribe};
use crate::support::TestApp;

#[tokio::test]
async fn a_commit_with_due_deliveries_wakes_this_nodes_dispatcher_and_only_then() {
    let base = TestApp::spawn().await;
    let state = kirim::state::AppState::new(base.db.clone()).await.unwrap();
    let wake = state.webhook_wake.clone();
    let app = TestApp::serve_state(state).await;
    let org = base.org().await;
    let quiet = std::time::Duration::from_millis(300);

    app.contact(&org, "+14155550131").await;
    assert!(tokio::time::timeout(quiet, wake.notified()).await.is_err(), "nothing to send");

    subscribe(&app, &org, &["contact.created"]).await;
    app.contact(&org, "+14155550132").await;
    let woken = tokio::time::timeout(std::time::Duration::from_secs(5), wake.notified()).await;
    assert!(woken.is_ok(), "woken after the commit");

    // A rolled-back request wakes nobody.
    let duplicate = json!({ "phone_number": "+14155550132" });
    app.post(&org.key, &contacts_path(&org), &duplicate)
        .await
        .assert_error(StatusCode::CONFLICT, "duplicate_phone_number");
    assert!(tokio::time::timeout(quiet, wake.notified()).await.is_err());
}

#[tokio::test]
async fn on_postgres_a_commit_notifies_every_listening_node() {
    let app = TestApp::spawn_postgres().await;
    let org = app.org().await;
    subscribe(&app, &org, &["contact.created", "label.deleted"]).await;
    let kirim::store::Db::Postgres(pool) = &app.db else { unreachable!("spawn_postgres") };
    let mut listener = sqlx::postgres::PgListener::connect_with(pool).await.unwrap();
    listener.listen(kirim::webhooks::outbox::CHANNEL).await.unwrap();

    app.contact(&org, "+14155550133").await;
    let note = tokio::time::timeout(std::time::Duration::from_secs(5), listener.recv()).await;
    assert_eq!(note.expect("notified").unwrap().channel(), "kirim_webhooks");

    // A request rolled back after recording and queueing the notification notifies nobody: a
    // trigger keeps the label's row, so its deletion answers 404 after the outbox wrote.
    let label = app.label(&org, "Doomed").await;
    execute(
        &app,
        "CREATE FUNCTION keep_labels() RETURNS trigger LANGUAGE plpgsql AS \
        $$ BEGIN RETURN NULL; END $$; \
        CREATE TRIGGER keep_labels BEFORE DELETE ON labels FOR EACH ROW \
        EXECUTE FUNCTION keep_labels()",
    )
    .await;
    app.delete(&org.key, &format!("/v1/labels/{label}"))
        .await
        .assert_error(StatusCode::NOT_FOUND, "resource_not_found");
    let quiet = tokio::time::timeout(std::time::Duration::from_millis(500), listener.recv()).await;
    assert!(quiet.is_err(), "no notification for a rolled-back change");
}
