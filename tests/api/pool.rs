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
