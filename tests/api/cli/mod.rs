//! The client commands (`kirim contacts|labels …`) as a user runs them: the built binary,
//! talking HTTP to a real server, with files on disk.

mod admin;
mod import;
mod labels;
mod listen;

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::support::{Org, TestApp};

/// What a run of the binary left: exit code, stdout, stderr.
pub(super) struct Run {
    pub(super) code: i32,
    pub(super) stdout: String,
    pub(super) stderr: String,
}

impl Run {
    /// Stdout as one JSON value (the `--json` result).
    pub(super) fn json(&self) -> Value {
        serde_json::from_str(self.stdout.trim()).unwrap_or_else(|e| {
            panic!("stdout is not JSON ({e}): {}\nstderr: {}", self.stdout, self.stderr)
        })
    }
}

pub(super) async fn kirim(app: &TestApp, org: &Org, args: &[&str]) -> Run {
    kirim_at(&App { base: app.base.clone() }, org, args).await
}

/// A directory of this test's own, removed at the end.
pub(super) struct Dir(PathBuf);

impl Dir {
    pub(super) fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("kirim_cli_{}", kirim::ids::ulid()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    pub(super) fn file(&self, name: &str, content: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, content).unwrap();
        path.display().to_string()
    }

    pub(super) fn path(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A server without bulk upsert (as the hosted API is): the real server behind a proxy that
/// answers `404 route_not_found` for that one route.
pub(super) async fn without_bulk_upsert(app: &TestApp) -> String {
    use axum::body::Body;
    use axum::extract::Request;
    use axum::http::StatusCode;
    use axum::response::{IntoResponse, Response};

    let upstream = app.base.clone();
    let http = app.client.clone();
    let proxy = move |req: Request| {
        let (upstream, http) = (upstream.clone(), http.clone());
        async move {
            let path = req.uri().path_and_query().map(ToString::to_string).unwrap_or_default();
            if path.contains("/bulk_upsert") {
                let body = json!({ "error": { "type": "not_found", "code": "route_not_found",
                    "message": "No such route.", "request_id": "req_proxy" } });
                return (
                    StatusCode::NOT_FOUND,
                    [("content-type", "application/json")],
                    body.to_string(),
                )
                    .into_response();
            }
            let (parts, body) = req.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
            let mut forward = http.request(parts.method, format!("{upstream}{path}")).body(bytes);
            for (name, value) in &parts.headers {
                if name != "host" {
                    forward = forward.header(name, value);
                }
            }
            let answer = forward.send().await.unwrap();
            let mut response = Response::builder().status(answer.status().as_u16());
            for (name, value) in answer.headers() {
                response = response.header(name, value);
            }
            response.body(Body::from(answer.bytes().await.unwrap())).unwrap()
        }
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let app = axum::Router::new().fallback(proxy);
        kirim::http_server::run(listener, app, std::future::pending(), std::time::Duration::ZERO)
            .await;
    });
    format!("http://{address}")
}

/// Only a base URL: where the binary is pointed.
pub(super) struct App {
    pub(super) base: String,
}

pub(super) async fn kirim_at(app: &App, org: &Org, args: &[&str]) -> Run {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_kirim"))
        .args(args)
        .env("KIRIM_API_URL", &app.base)
        .env("KIRIM_API_KEY", &org.key)
        .env_remove("KIRIM_JSON")
        .output()
        .await
        .expect("the kirim binary runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
