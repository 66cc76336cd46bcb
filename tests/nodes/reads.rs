//! Two nodes on one SQLite file: a write acknowledged by either node is in the very next read on
//! both, although reads run on each node's own reader connections (`src/store/read.rs`) and the
//! write on its sqlx pool.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::node::Node;
use crate::support::{Response, TestApp, send};

const ROUNDS: usize = 40;

async fn call(app: &TestApp, node: &Node, key: &str, method: Method, path: &str) -> Response {
    send(app.client.request(method, node.url(path)).bearer_auth(key)).await
}

#[tokio::test]
async fn a_write_on_one_sqlite_node_is_in_the_next_read_on_either() {
    let app = TestApp::spawn_sqlite().await;
    let org = app.org().await;
    let label = app.label(&org, "Seen").await;
    let contacts = format!("/v1/{}/contacts", org.phone_number_id);
    let contact = app.contact(&org, "+6281234567890").await;
    let nodes =
        [Node::start(&app.database_url, None).await, Node::start(&app.database_url, None).await];

    for round in 0..ROUNDS {
        let writer = &nodes[round % 2];
        let name = format!("Round {round}");
        let patch = app.client.patch(writer.url(&format!("{contacts}/{contact}")));
        send(patch.bearer_auth(&org.key).json(&json!({ "name": name })))
            .await
            .assert_status(StatusCode::OK);
        // Attached on even rounds, detached on odd ones.
        let attached = round % 2 == 0;
        let link = if attached {
            let post = app.client.post(writer.url(&format!("{contacts}/{contact}/labels")));
            send(post.bearer_auth(&org.key).json(&json!({ "label_id": label }))).await
        } else {
            let path = format!("{contacts}/{contact}/labels/{label}");
            call(&app, writer, &org.key, Method::DELETE, &path).await
        };
        link.assert_status(StatusCode::OK);

        for node in &nodes {
            let path = format!("{contacts}/{contact}");
            let one = call(&app, node, &org.key, Method::GET, &path).await;
            one.assert_status(StatusCode::OK);
            assert_eq!(one.data()["name"], name.as_str(), "round {round}: the contact is current");
            let path = format!("{contacts}?label_id={label}&limit=100");
            let page = call(&app, node, &org.key, Method::GET, &path).await;
            page.assert_status(StatusCode::OK);
            let listed =
                page.data().as_array().unwrap().iter().any(|c| c["id"] == contact.as_str());
            assert_eq!(listed, attached, "round {round}: the label's page is current");
        }
    }
}
