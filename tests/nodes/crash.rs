//! SIGKILL under keyed writes: the effect and the idempotency record commit together, so after a
//! restart each request is either fully there (and replays) or not at all (and applies once).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use kirim::store::on_conn;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::node::Node;
use crate::support::{Org, TestApp, send, unique_phone};

const CONTACTS: usize = 50;
/// SIGKILLs per backend.
const CYCLES: usize = 20;

#[derive(Debug, Clone)]
struct Sent {
    key: String,
    path: String,
    body: Value,
    effect: Effect,
    status: Option<StatusCode>,
}

#[derive(Debug, Clone)]
enum Effect {
    Contact { phone: String },
    Labelled { label: String },
}

#[tokio::test]
async fn a_killed_sqlite_node_loses_no_acknowledged_write_and_applies_nothing_by_halves() {
    crash_cycles(TestApp::spawn_sqlite().await).await;
}

#[tokio::test]
async fn a_killed_postgres_node_loses_no_acknowledged_write_and_applies_nothing_by_halves() {
    crash_cycles(TestApp::spawn_postgres().await).await;
}

async fn crash_cycles(app: TestApp) {
    let org = app.org().await;
    let contacts = app.contacts(&org, CONTACTS).await;
    for cycle in 0..CYCLES {
        let mut node = Node::start(&app.database_url, None).await;
        let labels: Vec<String> = {
            let mut labels = Vec::new();
            for i in 0..30 {
                labels.push(app.label(&org, &format!("crash {cycle}-{i}")).await);
            }
            labels
        };
        let sent = Arc::new(Mutex::new(Vec::<Sent>::new()));
        let labels = Arc::new(Mutex::new(labels));
        let clients: Vec<_> = (0..4)
            .map(|client| {
                let (app_client, base, org, contacts) =
                    (app.client.clone(), node.base.clone(), org.clone(), contacts.clone());
                let (sent, labels) = (sent.clone(), labels.clone());
                tokio::spawn(async move {
                    for n in 0.. {
                        let op = next_op(
                            &org,
                            &contacts,
                            &labels,
                            format!("crash-{cycle}-{client}-{n}"),
                            n,
                        );
                        let Some(mut op) = op else { break };
                        let index = {
                            let mut sent = sent.lock().unwrap();
                            sent.push(op.clone());
                            sent.len() - 1
                        };
                        let request = app_client
                            .post(format!("{base}{}", op.path))
                            .bearer_auth(&org.key)
                            .header("Idempotency-Key", &op.key)
                            .json(&op.body);
                        match request.send().await {
                            Ok(response) => {
                                op.status = Some(response.status());
                                sent.lock().unwrap()[index].status = Some(response.status());
                            }
                            Err(_) => break, // the node is gone
                        }
                    }
                })
            })
            .collect();
        // Once the load is under way, a different moment each cycle: 0 to 300 ms later.
        let acknowledged =
            || sent.lock().unwrap().iter().any(|s| s.status.is_some_and(|st| st.is_success()));
        tokio::time::timeout(Duration::from_secs(30), async {
            while !acknowledged() {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .expect("the node acknowledges writes");
        tokio::time::sleep(Duration::from_millis((cycle as u64 * 137) % 300)).await;
        node.kill().await;
        for c in clients {
            c.await.unwrap();
        }

        let sent = sent.lock().unwrap().clone();
        assert!(
            sent.iter().any(|s| s.status.is_some_and(|st| st.is_success())),
            "load ran before the kill"
        );
        let node = Node::start(&app.database_url, None).await;
        check_after_restart(&app, &org, &node, &sent).await;
    }
    if !app.is_postgres() {
        let mut pooled = app.db.acquire().await.unwrap();
        let integrity: String =
            on_conn!(pooled.conn(), |c| sqlx::query_scalar("PRAGMA integrity_check")
                .fetch_one(c)
                .await)
            .unwrap();
        assert_eq!(integrity, "ok");
        let violations: Vec<String> = on_conn!(pooled.conn(), |c| sqlx::query_scalar(
            "SELECT \"table\" FROM pragma_foreign_key_check"
        )
        .fetch_all(c)
        .await)
        .unwrap();
        assert!(violations.is_empty(), "foreign keys hold: {violations:?}");
    }
}

fn next_op(
    org: &Org,
    contacts: &[String],
    labels: &Mutex<Vec<String>>,
    key: String,
    n: usize,
) -> Option<Sent> {
    if n % 2 == 1
        && let Some(label) = labels.lock().unwrap().pop()
    {
        return Some(Sent {
            key,
            path: format!("/v1/{}/contacts/bulk_label", org.phone_number_id),
            body: json!({ "contact_ids": contacts, "label_id": label, "operation": "attach" }),
            effect: Effect::Labelled { label },
            status: None,
        });
    }
    let phone = unique_phone();
    Some(Sent {
        key,
        path: format!("/v1/{}/contacts", org.phone_number_id),
        body: json!({ "phone_number": phone }),
        effect: Effect::Contact { phone },
        status: None,
    })
}

/// How much of `effect` is in the database: contacts with the phone, or links of the label.
async fn effect_count(app: &TestApp, effect: &Effect) -> i64 {
    let mut pooled = app.db.acquire().await.unwrap();
    match effect {
        Effect::Contact { phone } => on_conn!(pooled.conn(), |c| sqlx::query_scalar(
            "SELECT count(*) FROM contacts WHERE phone_number = $1"
        )
        .bind(phone)
        .fetch_one(c)
        .await)
        .unwrap(),
        Effect::Labelled { label } => on_conn!(pooled.conn(), |c| sqlx::query_scalar(
            "SELECT count(*) FROM contact_labels WHERE label_id = $1"
        )
        .bind(label)
        .fetch_one(c)
        .await)
        .unwrap(),
    }
}

async fn has_record(app: &TestApp, org: &Org, key: &str) -> bool {
    let mut pooled = app.db.acquire().await.unwrap();
    let n: i64 = on_conn!(pooled.conn(), |c| sqlx::query_scalar(
        "SELECT count(*) FROM idempotency_keys WHERE org_id = $1 AND idempotency_key = $2"
    )
    .bind(&org.id)
    .bind(key)
    .fetch_one(c)
    .await)
    .unwrap();
    n == 1
}

async fn check_after_restart(app: &TestApp, org: &Org, node: &Node, sent: &[Sent]) {
    let full = |effect: &Effect| match effect {
        Effect::Contact { .. } => 1,
        Effect::Labelled { .. } => CONTACTS as i64,
    };
    for s in sent {
        let count = effect_count(app, &s.effect).await;
        let recorded = has_record(app, org, &s.key).await;
        assert!(count == 0 || count == full(&s.effect), "all or nothing: {s:?} has {count}");
        assert_eq!(recorded, count == full(&s.effect), "record and effect commit together: {s:?}");
        if s.status.is_some_and(|st| st.is_success()) {
            assert!(recorded, "an acknowledged write survives the kill: {s:?}");
        }

        // The client retries with its key: a replay if it had landed, else it applies once now.
        let retry = send(
            app.client
                .post(node.url(&s.path))
                .bearer_auth(&org.key)
                .header("Idempotency-Key", &s.key)
                .json(&s.body),
        )
        .await;
        assert!(retry.status.is_success(), "retry of {s:?}: {}", retry.body);
        let expected = if recorded { "true" } else { "false" };
        assert_eq!(retry.header("idempotent-replayed"), Some(expected), "{s:?}");
        assert_eq!(
            effect_count(app, &s.effect).await,
            full(&s.effect),
            "applied exactly once: {s:?}"
        );
    }
}
