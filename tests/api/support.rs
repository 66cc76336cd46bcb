//! The test harness: a real server on a random port, over a fresh database per test.
//!
//! SQLite by default (a temporary file); PostgreSQL when `KIRIM_TEST_POSTGRES_URL` is set to a
//! server URL (e.g. `postgres://postgres@127.0.0.1:5432/postgres`): each test then creates its own
//! database and drops it when done. Each test also makes its own organisations, so tests run in
//! parallel and prove tenant isolation as they go.

#![allow(
    dead_code,
    reason = "shared by the suite's modules; not every helper is used by every build"
)]

use std::time::Duration;

use kirim::admin::{self, NewAccount, NewOrg};
use kirim::enums::{AccountStatus, Tier};
use kirim::store::Db;
use kirim::webhooks::WebhookSettings;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::Value;

pub const PG_ENV: &str = "KIRIM_TEST_POSTGRES_URL";
const DEFAULT_PG: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A running server and the database behind it.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub db: Db,
    /// The URL of this test's database, for servers started as separate processes.
    pub database_url: String,
    /// This node's webhook dispatcher, when the test asked for one.
    pub dispatcher: Option<kirim::dispatch::DispatcherHandle>,
    /// This node's API-key cache, kept in step by a poller as `kirim serve` keeps its own.
    pub key_cache: std::sync::Arc<kirim::keycache::KeyCache>,
    _database: TestDatabase,
}

/// One organisation ready to call the API: a team, an account in it, and a key.
#[derive(Debug, Clone)]
pub struct Org {
    pub id: String,
    pub team: String,
    pub phone_number_id: String,
    pub phone_number: String,
    pub key: String,
    pub key_id: String,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(std::env::var(PG_ENV).ok().filter(|url| !url.is_empty())).await
    }

    /// On PostgreSQL whatever the environment says (`KIRIM_TEST_POSTGRES_URL`, or the local
    /// server on 127.0.0.1:5432), for tests that are about several nodes sharing one database.
    pub async fn spawn_postgres() -> Self {
        let url = std::env::var(PG_ENV).ok().filter(|url| !url.is_empty());
        Self::spawn_with(Some(url.unwrap_or_else(|| DEFAULT_PG.to_owned()))).await
    }

    /// On SQLite whatever the environment says.
    pub async fn spawn_sqlite() -> Self {
        Self::spawn_with(None).await
    }

    async fn spawn_with(postgres: Option<String>) -> Self {
        let database = TestDatabase::create(postgres).await;
        // Few connections per test: dozens of tests share one PostgreSQL (100 connections).
        let db = Db::connect(&database.url, 4).await.expect("connect to the test database");
        db.migrate().await.expect("migrations apply");
        let app = Self::serve(db.clone()).await;
        Self { database_url: database.url.clone(), _database: database, ..app }
    }

    /// A server with these webhook settings and, when `dispatch`, its dispatcher running.
    pub async fn spawn_webhooks(settings: WebhookSettings, dispatch: bool) -> Self {
        let postgres = std::env::var(PG_ENV).ok().filter(|url| !url.is_empty());
        let database = TestDatabase::create(postgres).await;
        let db = Db::connect(&database.url, 6).await.expect("connect to the test database");
        db.migrate().await.expect("migrations apply");
        let app = Self::serve_webhooks(db, settings, dispatch).await;
        Self { database_url: database.url.clone(), _database: database, ..app }
    }

    /// Another node over `db` with these webhook settings (and its dispatcher, when `dispatch`).
    pub async fn serve_webhooks(db: Db, settings: WebhookSettings, dispatch: bool) -> Self {
        let state = kirim::state::AppState::new(db.clone()).await.expect("state");
        let state = state.with_webhooks(settings);
        let dispatcher = dispatch.then(|| {
            let config = kirim::dispatch::DispatchConfig::new(&state.webhooks);
            kirim::dispatch::Dispatcher::new(db, config, state.webhook_wake.clone()).spawn()
        });
        Self { dispatcher, ..Self::serve_state(state).await }
    }

    /// Another server over the same database, as a second node would be.
    pub async fn serve(db: Db) -> Self {
        let state = kirim::state::AppState::new(db.clone()).await.expect("state");
        Self::serve_state(state).await
    }

    /// A server with this state (e.g. with a shorter idempotency wait), caching keys as
    /// `kirim serve` does: its poller registers it, so a revocation waits for it too.
    pub async fn serve_state(state: kirim::state::AppState) -> Self {
        let settings = kirim::keycache::KeyCacheSettings::default();
        let cache = state.key_cache.clone();
        // Polls for as long as the test's runtime runs.
        let _ = kirim::keycache::KeyPoller::start(state.db.clone(), cache.clone(), settings).await;
        Self::serve_state_without_poller(state).await
    }

    /// A server with this state whose key cache is kept by the test (or is off: without a
    /// poller every key is looked up).
    pub async fn serve_state_without_poller(state: kirim::state::AppState) -> Self {
        let db = state.db.clone();
        let key_cache = state.key_cache.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            // The production loop, so the suite sees its limits and its answers too.
            let forever = std::future::pending::<()>();
            kirim::http_server::run(listener, kirim::app::app(state), forever, Duration::ZERO)
                .await;
        });
        kirim_client::install_tls_provider();
        Self {
            base: format!("http://{address}"),
            client: reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap(),
            db,
            database_url: String::new(),
            dispatcher: None,
            key_cache,
            _database: TestDatabase::none(),
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.db.backend() == "postgres"
    }

    /// A new organisation (pro tier unless said otherwise) with one team, one account, one key.
    pub async fn org(&self) -> Org {
        self.org_with_tier(Tier::Pro).await
    }

    pub async fn org_with_tier(&self, tier: Tier) -> Org {
        self.org_with(NewOrg::new("Test Org", tier)).await
    }

    /// An organisation whose rate limits no run reaches, for fuzz tests: with a large
    /// `KIRIM_FUZZ_ITERATIONS` they send more requests a minute than any tier allows, and a 429
    /// is not what they check (the limits have tests of their own). Enterprise, because only
    /// that tier takes limits of its own.
    pub async fn org_without_limits(&self) -> Org {
        let limit = Some(100_000_000);
        let new = NewOrg::new("Test Org", Tier::Enterprise);
        self.org_with(NewOrg { write_per_minute: limit, read_per_minute: limit, ..new }).await
    }

    async fn org_with(&self, new: NewOrg) -> Org {
        let org = admin::create_org(&self.db, new).await.unwrap();
        let org_id = org.id.to_string();
        let team = self.team(&org_id, "Main").await;
        let (phone_number_id, phone_number) = self.account(&org_id, &team).await;
        let key = admin::create_key(&self.db, &org_id, Some("test"), None).await.unwrap();
        Org {
            id: org_id,
            team,
            phone_number_id,
            phone_number,
            key: key.key,
            key_id: key.id.to_string(),
        }
    }

    pub async fn team(&self, org: &str, name: &str) -> String {
        admin::create_team(&self.db, org, name).await.unwrap().id.to_string()
    }

    /// A new connected account in `team`; returns `(phone_number_id, phone_number)`.
    pub async fn account(&self, org: &str, team: &str) -> (String, String) {
        self.account_with_status(org, team, AccountStatus::Connected).await
    }

    pub async fn account_with_status(
        &self,
        org: &str,
        team: &str,
        status: AccountStatus,
    ) -> (String, String) {
        let digits = unique_digits();
        let account = NewAccount {
            phone_number_id: digits.clone(),
            org_id: org.to_owned(),
            team_id: team.to_owned(),
            phone_number: format!("+1{}", &digits[digits.len() - 10..]),
            name: Some("Test Account".into()),
            status,
        };
        let phone = account.phone_number.clone();
        admin::create_account(&self.db, account).await.unwrap();
        (digits, phone)
    }

    /// A `kirim-client` of this server with the org's key, retrying quickly.
    pub fn api(&self, org: &Org) -> kirim_client::Client {
        let backoff = kirim_client::retry::Backoff {
            base: Duration::from_millis(20),
            cap: Duration::from_secs(2),
        };
        kirim_client::Client::builder()
            .base_url(&self.base)
            .api_key(&org.key)
            .backoff(backoff)
            .build()
            .unwrap()
    }

    pub fn request(&self, method: Method, key: &str, path: &str) -> RequestBuilder {
        self.client.request(method, format!("{}{path}", self.base)).bearer_auth(key)
    }

    pub async fn get(&self, key: &str, path: &str) -> Response {
        send(self.request(Method::GET, key, path)).await
    }

    pub async fn post(&self, key: &str, path: &str, body: &Value) -> Response {
        send(self.request(Method::POST, key, path).json(body)).await
    }

    pub async fn patch(&self, key: &str, path: &str, body: &Value) -> Response {
        send(self.request(Method::PATCH, key, path).json(body)).await
    }

    pub async fn delete(&self, key: &str, path: &str) -> Response {
        send(self.request(Method::DELETE, key, path)).await
    }

    /// Creates a contact through the API; returns its id.
    pub async fn contact(&self, org: &Org, phone: &str) -> String {
        let path = format!("/v1/{}/contacts", org.phone_number_id);
        let r = self.post(&org.key, &path, &serde_json::json!({ "phone_number": phone })).await;
        r.assert_status(StatusCode::CREATED);
        r.body["data"]["id"].as_str().unwrap().to_owned()
    }

    /// Creates `n` contacts through the API; returns their ids in creation order.
    pub async fn contacts(&self, org: &Org, n: usize) -> Vec<String> {
        let mut ids = Vec::with_capacity(n);
        for _ in 0..n {
            ids.push(self.contact(org, &unique_phone()).await);
        }
        ids
    }

    /// Creates a label through the API (in the org's only team); returns its id.
    pub async fn label(&self, org: &Org, name: &str) -> String {
        let r = self.post(&org.key, "/v1/labels", &serde_json::json!({ "name": name })).await;
        r.assert_status(StatusCode::CREATED);
        r.body["data"]["id"].as_str().unwrap().to_owned()
    }

    /// Number of links of `label`, read straight from the database.
    pub async fn links_of_label(&self, label: &str) -> Vec<String> {
        let mut pooled = self.db.acquire().await.unwrap();
        kirim::store::on_conn!(pooled.conn(), |c| sqlx::query_scalar(
            "SELECT contact_id FROM contact_labels WHERE label_id = $1 ORDER BY contact_id"
        )
        .bind(label)
        .fetch_all(c)
        .await)
        .unwrap()
    }
}

/// A response, read whole.
#[derive(Debug)]
pub struct Response {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Response {
    #[track_caller]
    pub fn assert_status(&self, expected: StatusCode) -> &Self {
        assert_eq!(self.status, expected, "unexpected status; body: {}", self.body);
        self
    }

    /// Asserts an error envelope with this status and code, and that its request id is the header's.
    #[track_caller]
    pub fn assert_error(&self, status: StatusCode, code: &str) -> &Self {
        self.assert_status(status);
        assert_eq!(self.body["error"]["code"], code, "body: {}", self.body);
        assert_eq!(
            self.body["error"]["request_id"].as_str(),
            self.header("x-request-id"),
            "error request_id equals X-Request-Id"
        );
        self
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn param(&self) -> &Value {
        &self.body["error"]["param"]
    }

    pub fn data(&self) -> &Value {
        &self.body["data"]
    }
}

pub async fn send(request: RequestBuilder) -> Response {
    let response = request.send().await.expect("the server answers");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.expect("a whole body");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|_| {
            panic!("{status}: body is not JSON: {}", String::from_utf8_lossy(&bytes))
        })
    };
    Response { status, headers, body }
}

/// 15 digits unlikely to repeat within a run (also used as a phone_number_id).
pub fn unique_digits() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let seed = u64::from(std::process::id()) % 1000;
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("1{:03}{:05}{:06}", seed, nanos % 100_000, n % 1_000_000)
}

pub fn unique_phone() -> String {
    let d = unique_digits();
    format!("+4{}", &d[d.len() - 11..])
}

/// A database that exists for one test: a temporary SQLite file, or a PostgreSQL database
/// created for the test and dropped (forcibly) afterwards.
struct TestDatabase {
    url: String,
    cleanup: Option<Cleanup>,
}

enum Cleanup {
    SqliteDir(std::path::PathBuf),
    Postgres { server: String, name: String },
}

impl TestDatabase {
    fn none() -> Self {
        Self { url: String::new(), cleanup: None }
    }

    async fn create(postgres: Option<String>) -> Self {
        let name = format!("kirim_test_{}", kirim::ids::ulid().to_lowercase());
        match postgres {
            Some(server) => {
                let admin = Db::connect(&server, 1)
                    .await
                    .expect("PostgreSQL answers at KIRIM_TEST_POSTGRES_URL");
                let Db::Postgres(pool) = &admin else {
                    panic!("{PG_ENV} must be a postgres:// URL")
                };
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(pool)
                    .await
                    .unwrap();
                admin.close().await;
                let url = with_database(&server, &name);
                Self { url, cleanup: Some(Cleanup::Postgres { server, name }) }
            }
            _ => {
                let dir = std::env::temp_dir().join(&name);
                std::fs::create_dir_all(&dir).unwrap();
                let url = format!("sqlite://{}", dir.join("kirim.db").display());
                Self { url, cleanup: Some(Cleanup::SqliteDir(dir)) }
            }
        }
    }
}

/// `postgres://u@h:p/x?o` → `postgres://u@h:p/NAME?o`.
fn with_database(server: &str, name: &str) -> String {
    let (base, query) = server.split_once('?').map_or((server, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let root = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{root}/{name}?{q}"),
        None => format!("{root}/{name}"),
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match self.cleanup.take() {
            None => {}
            Some(Cleanup::SqliteDir(dir)) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Some(Cleanup::Postgres { server, name }) => {
                // Drop runs inside the test's runtime; a fresh thread with its own runtime may block.
                let _ = std::thread::spawn(move || {
                    let rt =
                        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                    rt.block_on(async {
                        if let Ok(Db::Postgres(pool)) = Db::connect(&server, 1).await {
                            let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                            let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&pool).await;
                            pool.close().await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

/// Signs in to the console at `base` through its form, as a same-origin browser page would:
/// the status, the `kirim_console=…` cookie pair if the key was accepted, and the page.
pub async fn console_sign_in(base: &str, key: &str) -> (StatusCode, Option<String>, String) {
    let browser =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = browser
        .post(format!("{base}/console/session"))
        .header("Sec-Fetch-Site", "same-origin")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("key={key}"))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let cookie = r.headers().get("set-cookie").map(|c| {
        let header = c.to_str().unwrap();
        header.split(';').next().unwrap().to_owned()
    });
    (status, cookie, r.text().await.unwrap())
}
