//! Revocation under load: once `kirim admin key revoke` has returned, every request that starts
//! afterwards is refused, on every node — raced 100 times while both nodes are busy with the key.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use kirim::admin::{self, NewOrg};
use kirim::enums::Tier;
use reqwest::StatusCode;

use crate::node::Node;
use crate::support::TestApp;

const ROUNDS: usize = 100;

/// Requests `GET /v1/me` with `key` on `node` until `stop`; returns (start instant, status) of each.
async fn hammer(
    client: reqwest::Client,
    url: String,
    key: String,
    stop: Arc<AtomicBool>,
) -> Vec<(Instant, StatusCode)> {
    let mut seen = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let started = Instant::now();
        let response = client.get(&url).bearer_auth(&key).send().await.expect("the node answers");
        seen.push((started, response.status()));
    }
    seen
}

async fn revoke_with_the_cli(database_url: &str, key_id: &str) {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_kirim"))
        .args(["admin", "key", "revoke", "--id", key_id, "--json", "--database-url", database_url])
        .output()
        .await
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

async fn race_revocations(app: &TestApp, nodes: &[Node]) {
    let unlimited = NewOrg {
        write_per_minute: Some(1_000_000),
        read_per_minute: Some(1_000_000),
        ..NewOrg::new("Race", Tier::Enterprise)
    };
    let org = admin::create_org(&app.db, unlimited).await.unwrap();
    let org_id = org.id.to_string();
    for round in 0..ROUNDS {
        let key = admin::create_key(&app.db, &org_id, Some("race"), None).await.unwrap();
        let (secret, key_id) = (key.key.as_str(), key.id.to_string());
        for node in nodes {
            let r = app.client.get(node.url("/v1/me")).bearer_auth(secret).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK, "round {round}: the key works before");
        }
        let stop = Arc::new(AtomicBool::new(false));
        let hammers: Vec<_> = nodes
            .iter()
            .map(|node| {
                let (client, url) = (app.client.clone(), node.url("/v1/me"));
                tokio::spawn(hammer(client, url, secret.to_owned(), stop.clone()))
            })
            .collect();
        // Revoked at a varying point of both nodes' load.
        tokio::time::sleep(Duration::from_millis(5 + (round % 7) as u64 * 3)).await;
        revoke_with_the_cli(&app.database_url, &key_id).await;
        let returned = Instant::now();
        for node in nodes {
            let r = app.client.get(node.url("/v1/me")).bearer_auth(secret).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "round {round}: next request");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        stop.store(true, Ordering::Relaxed);
        for (node, hammer) in hammers.into_iter().enumerate() {
            let seen = hammer.await.unwrap();
            for (started, status) in seen {
                if started > returned {
                    assert_eq!(status, StatusCode::UNAUTHORIZED, "round {round}, node {node}");
                } else {
                    assert!(
                        matches!(status, StatusCode::OK | StatusCode::UNAUTHORIZED),
                        "{status}"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn revocation_races_on_two_postgres_nodes_never_let_a_later_request_through() {
    let app = TestApp::spawn_postgres().await;
    let nodes =
        [Node::start(&app.database_url, None).await, Node::start(&app.database_url, None).await];
    race_revocations(&app, &nodes).await;
}

#[tokio::test]
async fn revocation_races_on_two_nodes_of_one_sqlite_file_never_let_a_later_request_through() {
    let app = TestApp::spawn_sqlite().await;
    let nodes =
        [Node::start(&app.database_url, None).await, Node::start(&app.database_url, None).await];
    race_revocations(&app, &nodes).await;
}
