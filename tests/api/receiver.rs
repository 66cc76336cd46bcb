//! A webhook receiver for tests: a real HTTP server on 127.0.0.1 that verifies signatures the
//! way the documentation tells receivers to, records every request, and answers as scripted.

#![allow(dead_code, reason = "each test binary that includes this module uses a part of it")]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How the receiver answers one request.
#[derive(Clone, Debug)]
pub enum Reply {
    Status(u16),
    /// A status with extra headers (`Retry-After`, `Location`).
    WithHeaders(u16, Vec<(&'static str, String)>),
    /// A status with a body.
    Body(u16, String),
    /// Sleeps first (a slow receiver, or one that times out).
    Slow(Duration, u16),
}

/// One request as the receiver got it.
#[derive(Clone, Debug)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
    pub at: Instant,
    /// The secrets (of those the receiver knows) whose `v1` matched, in header order.
    pub verified_by: Vec<String>,
    /// The `t` of the signature, if it parsed.
    pub t: Option<i64>,
    /// How many `v1` values the header carried.
    pub v1_count: usize,
    /// The status the receiver answered (or is about to answer, for a slow reply).
    pub status: u16,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }

    pub fn attempt(&self) -> u32 {
        self.header("x-kirim-attempt").parse().unwrap_or(0)
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("the body is JSON")
    }
}

#[derive(Default)]
struct Inner {
    got: Mutex<Vec<Received>>,
    script: Mutex<VecDeque<Reply>>,
    otherwise: Mutex<Option<Reply>>,
    secrets: Mutex<Vec<String>>,
    arrived: tokio::sync::Notify,
}

#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    inner: Arc<Inner>,
}

impl Receiver {
    /// A receiver answering 200 to everything until told otherwise.
    pub async fn start() -> Self {
        let inner = Arc::new(Inner::default());
        let app = axum::Router::new().fallback(receive).with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let forever = std::future::pending();
        tokio::spawn(kirim::http_server::run(listener, app, forever, Duration::ZERO));
        Self { url, inner }
    }

    /// Secrets to verify with (the `whsec_…` strings, as shown at creation or rotation).
    pub fn trust(&self, secret: &str) {
        self.inner.secrets.lock().unwrap().push(secret.to_owned());
    }

    /// Answers these, in order, to the next requests; then `otherwise` (200 unless set).
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.inner.script.lock().unwrap().extend(replies);
    }

    pub fn otherwise(&self, reply: Reply) {
        *self.inner.otherwise.lock().unwrap() = Some(reply);
    }

    pub fn got(&self) -> Vec<Received> {
        self.inner.got.lock().unwrap().clone()
    }

    /// Waits until at least `n` requests have arrived (panics after `within`).
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Received> {
        let deadline = Instant::now() + within;
        loop {
            let notified = self.inner.arrived.notified();
            let got = self.got();
            if got.len() >= n {
                return got;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "waited {within:?} for {n} requests, got {}", got.len());
            let _ = tokio::time::timeout(left, notified).await;
        }
    }
}

async fn receive(State(inner): State<Arc<Inner>>, headers: HeaderMap, body: Bytes) -> Response {
    let signature = headers.get("x-kirim-signature").and_then(|v| v.to_str().ok());
    let (t, v1s) = signature.map(parse_signature).unwrap_or_default();
    let secrets = inner.secrets.lock().unwrap().clone();
    let verified_by = match t {
        Some(t) if (now_secs() - t).abs() <= 300 => v1s
            .iter()
            .filter_map(|v1| secrets.iter().find(|s| expected(s, t, &body) == *v1).cloned())
            .collect(),
        _ => Vec::new(),
    };
    let reply = inner.script.lock().unwrap().pop_front();
    let reply = reply.or_else(|| inner.otherwise.lock().unwrap().clone());
    let reply = reply.unwrap_or(Reply::Status(200));
    let status = match &reply {
        Reply::Status(code)
        | Reply::WithHeaders(code, _)
        | Reply::Body(code, _)
        | Reply::Slow(_, code) => *code,
    };
    let v1_count = v1s.len();
    let received = Received { headers, body, at: Instant::now(), verified_by, t, v1_count, status };
    inner.got.lock().unwrap().push(received);
    inner.arrived.notify_waiters();
    answer(reply).await
}

async fn answer(reply: Reply) -> Response {
    let status = |code: u16| StatusCode::from_u16(code).unwrap();
    match reply {
        Reply::Status(code) => status(code).into_response(),
        Reply::Body(code, body) => (status(code), body).into_response(),
        Reply::WithHeaders(code, headers) => {
            let mut response = status(code).into_response();
            for (name, value) in headers {
                response
                    .headers_mut()
                    .insert(HeaderName::from_static(name), HeaderValue::from_str(&value).unwrap());
            }
            response
        }
        Reply::Slow(pause, code) => {
            tokio::time::sleep(pause).await;
            status(code).into_response()
        }
    }
}

/// `t=…,v1=…,v1=…` → `(t, [v1…])`, as a receiver parses it.
fn parse_signature(header: &str) -> (Option<i64>, Vec<String>) {
    let mut t = None;
    let mut v1s = Vec::new();
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => t = value.parse().ok(),
            Some(("v1", value)) => v1s.push(value.to_owned()),
            _ => {}
        }
    }
    (t, v1s)
}

/// HMAC-SHA256 keyed with the whole `whsec_…` string over `"{t}." + body`, lower-case hex.
pub fn expected(secret: &str, t: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

fn now_secs() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}
