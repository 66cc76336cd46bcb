//! The client and its transport: base URL, key, timeout, retries with backoff, and an
//! `Idempotency-Key` on every POST that all of its retries reuse.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{self, ApiError, Error, Result};
use crate::retry::{self, Backoff, Outcome};

/// The address of a server started with `kirim serve` and no options.
pub const DEFAULT_BASE_URL: &str = "http://127.0.0.1:8080";

/// A client of one server with one key. Cheap to clone (the connection pool is shared).
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    key: String,
    max_retries: u32,
    backoff: Backoff,
    /// When set, every POST sends this key instead of a fresh one (see
    /// [`Client::with_idempotency_key`]).
    fixed_key: Option<String>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key stays out of logs and panics.
        f.debug_struct("Client").field("base", &self.base).finish_non_exhaustive()
    }
}

/// Builds a [`Client`]: `Client::builder().base_url(…).api_key(…).build()`.
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    base: String,
    key: String,
    timeout: Duration,
    max_retries: u32,
    backoff: Backoff,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            base: DEFAULT_BASE_URL.to_owned(),
            key: String::new(),
            timeout: Duration::from_secs(60),
            max_retries: 4,
            backoff: Backoff::default(),
        }
    }
}

impl ClientBuilder {
    /// The server, e.g. `https://api.example.com` (without `/v1`). Default [`DEFAULT_BASE_URL`].
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base = url.into().trim_end_matches('/').to_owned();
        self
    }

    /// The API key (`kdv_live_…`), sent as `Authorization: Bearer`.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.key = key.into();
        self
    }

    /// Limit for one attempt, connect to last byte. Default 60 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Retries after the first attempt (0 turns retrying off). Default 4.
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// The backoff between retries. Default 0.5 s doubling, capped at 30 s.
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// The client, or [`Error::Config`] if the base URL is not an `http(s)://` URL.
    pub fn build(self) -> Result<Client> {
        if !(self.base.starts_with("http://") || self.base.starts_with("https://")) {
            return Err(Error::Config(format!(
                "base URL `{}` must start with http:// or https://",
                self.base
            )));
        }
        install_tls_provider();
        let http = reqwest::Client::builder()
            .timeout(self.timeout)
            .user_agent(concat!("kirim-client/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Config(e.to_string()))?;
        Ok(Client {
            http,
            base: self.base,
            key: self.key,
            max_retries: self.max_retries,
            backoff: self.backoff,
            fixed_key: None,
        })
    }
}

/// A whole answer: status, headers, and the JSON body (`Null` when empty).
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status.
    pub status: StatusCode,
    /// Response headers (`X-Request-Id`, `Idempotent-Replayed`, rate-limit headers, …).
    pub headers: HeaderMap,
    /// The body as JSON.
    pub body: Value,
}

impl Reply {
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// True when the server replayed a stored answer for the `Idempotency-Key`.
    pub fn replayed(&self) -> bool {
        self.header("idempotent-replayed") == Some("true")
    }

    /// `data` of a 2xx, typed, or the error this answer carries.
    pub fn into_data<T: DeserializeOwned>(&self) -> Result<T> {
        check(self)?;
        self.data()
    }

    /// `data` of a success envelope, typed.
    pub fn data<T: DeserializeOwned>(&self) -> Result<T> {
        decode(self.status.as_u16(), &self.body["data"])
    }
}

pub(crate) fn decode<T: DeserializeOwned>(status: u16, value: &Value) -> Result<T> {
    T::deserialize(value).map_err(|e| Error::Decode {
        status,
        message: format!("{e}; got {}", error::excerpt(value.to_string().as_bytes())),
    })
}

impl Client {
    /// A builder with the defaults (local server, 60 s timeout, 4 retries).
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client of `base_url` with `api_key` and the other defaults.
    pub fn new(base_url: impl Into<String>, api_key: impl Into<String>) -> Result<Self> {
        Self::builder().base_url(base_url).api_key(api_key).build()
    }

    /// The server this client talks to.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// A handle whose POSTs send `key` as their `Idempotency-Key` instead of a fresh one: use it
    /// for one call whose key you choose (e.g. derived from the job, so a re-run after a crash
    /// replays instead of redoing). Retries reuse it like any key.
    pub fn with_idempotency_key(&self, key: impl Into<String>) -> Client {
        Client { fixed_key: Some(key.into()), ..self.clone() }
    }

    /// Sends a request and returns the answer, success or not, after retries. A POST gets an
    /// `Idempotency-Key` (fresh, or the one given by [`Client::with_idempotency_key`]) that every
    /// retry reuses. Only failure to get any answer is an `Err`.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Reply> {
        let idempotency_key = (method == Method::POST)
            .then(|| self.fixed_key.clone().unwrap_or_else(new_idempotency_key));
        let url = format!("{}{path}", self.base);
        let mut retry = 0;
        loop {
            let mut request = self.http.request(method.clone(), &url).bearer_auth(&self.key);
            if !query.is_empty() {
                request = request.query(query);
            }
            if let Some(key) = &idempotency_key {
                request = request.header("Idempotency-Key", key);
            }
            if let Some(body) = body {
                request = request.json(body);
            }
            let attempt = match request.send().await {
                Ok(response) => read(response).await,
                Err(e) => Err(e),
            };
            let (outcome, done) = match &attempt {
                Ok(reply) => {
                    let code = reply.body["error"]["code"].as_str();
                    let retry_after = retry_after(&reply.headers);
                    let outcome =
                        Outcome::Status { status: reply.status.as_u16(), code, retry_after };
                    (outcome, !outcome.is_retryable())
                }
                Err(e) if e.is_builder() => (Outcome::NoAnswer, true),
                Err(_) => (Outcome::NoAnswer, false),
            };
            if done || retry >= self.max_retries {
                return attempt.map_err(Error::Transport);
            }
            tokio::time::sleep(self.backoff.delay(retry, outcome, retry::random_unit())).await;
            retry += 1;
        }
    }

    /// Sends and returns the typed `data` of a 2xx, or the typed error.
    pub(crate) async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<T> {
        let reply = self.send(method, path, query, body).await?;
        check(&reply)?;
        reply.data()
    }

    /// [`Client::call`] with a serialisable body.
    pub(crate) async fn call_with<T: DeserializeOwned, B: Serialize>(
        &self,
        method: Method,
        path: &str,
        body: &B,
    ) -> Result<T> {
        let body = serde_json::to_value(body).map_err(|e| Error::Config(e.to_string()))?;
        self.call(method, path, &[], Some(&body)).await
    }
}

/// `Ok` for a 2xx; the typed error (or a decode error) otherwise.
pub(crate) fn check(reply: &Reply) -> Result<()> {
    if reply.status.is_success() {
        return Ok(());
    }
    let status = reply.status.as_u16();
    let bytes = reply.body.to_string();
    Err(match error::parse_envelope(status, retry_after(&reply.headers), bytes.as_bytes()) {
        Some(api) => Error::Api(Box::new(api)),
        None => Error::Decode {
            status,
            message: format!("no error envelope: {}", error::excerpt(bytes.as_bytes())),
        },
    })
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Error::Api(Box::new(e))
    }
}

async fn read(response: reqwest::Response) -> reqwest::Result<Reply> {
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await?;
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        // A body that is not JSON (a proxy's HTML 502) is kept as a string for messages.
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    Ok(Reply { status, headers, body })
}

fn retry_after(headers: &HeaderMap) -> Option<u64> {
    headers.get(RETRY_AFTER).and_then(|v: &HeaderValue| v.to_str().ok()?.trim().parse().ok())
}

/// A fresh idempotency key: 128 random bits, hex.
pub fn new_idempotency_key() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the operating system's random source is available");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Makes ring the process's TLS provider, if none is yet. reqwest is built here without a
/// provider of its own (its default would compile aws-lc from C; ring is already in the build),
/// and since Cargo unifies features, *every* `reqwest::Client` in a program that links this crate
/// needs a provider installed before it is built: call this first. Calling it again is harmless.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
