//! The node's API-key cache: what it serves is what the database says, as soon as a change has
//! returned (revocation) or within a poll (changes made by hand in SQL); unknown keys are never
//! cached; expiry is judged on every request; and a node that stops polling stops using it.

use std::time::{Duration, Instant};

use kirim::admin;
use kirim::ids::{self, KeyId, OrgId};
use kirim::keycache::{KeyCacheSettings, KeyPoller};
use kirim::state::AppState;
use kirim::store::keys::{self, KeyInsert};
use reqwest::StatusCode;

use crate::support::TestApp;

/// Runs one statement on the test's database, as an operator at a SQL prompt would.
async fn by_hand(app: &TestApp, sql: &'static str, id: &str) {
    let mut pooled = app.db.acquire().await.unwrap();
    kirim::store::on_conn!(pooled.conn(), |c| sqlx::query(sql)
        .bind(id)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))
    .unwrap();
}

#[tokio::test]
async fn a_key_refused_before_it_existed_works_as_soon_as_it_is_created() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let secret = ids::new_api_key();
    app.get(&secret.secret, "/v1/me")
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "invalid_api_key");

    // Stored as `kirim admin key create` stores a key, but with a secret the test knew before.
    let insert = KeyInsert {
        id: &KeyId::generate(),
        org_id: &OrgId::parse(&org.id).unwrap(),
        label: Some("late"),
        key_hash: &secret.hash,
        prefix: &secret.prefix,
        last4: &secret.last4,
        expires_at: None,
        created_at: kirim::clock::now_ms(),
    };
    keys::insert(app.db.acquire().await.unwrap().conn(), &insert).await.unwrap();

    let r = app.get(&secret.secret, "/v1/me").await;
    r.assert_status(StatusCode::OK);
    assert_eq!(r.data()["api_key"]["label"], "late");
    let before = app.key_cache.counts();
    app.get(&secret.secret, "/v1/me").await.assert_status(StatusCode::OK);
    assert_eq!(
        app.key_cache.counts().hits,
        before.hits + 1,
        "the key is now served from the cache"
    );
}

#[tokio::test]
async fn a_cached_key_is_refused_as_expired_once_its_time_has_passed() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let expires_at = kirim::clock::now_ms() + 1_500;
    let key = admin::create_key(&app.db, &org.id, None, Some(&kirim::clock::rfc3339(expires_at)))
        .await
        .unwrap()
        .key;
    app.get(&key, "/v1/me").await.assert_status(StatusCode::OK);
    let before = app.key_cache.counts();
    app.get(&key, "/v1/me").await.assert_status(StatusCode::OK);
    assert_eq!(app.key_cache.counts().hits, before.hits + 1, "served from the cache");

    // Expiry is a time, not an event: wait for it to pass.
    let left = expires_at - kirim::clock::now_ms();
    tokio::time::sleep(Duration::from_millis(u64::try_from(left).unwrap_or(0) + 20)).await;
    let before = app.key_cache.counts();
    app.get(&key, "/v1/me").await.assert_error(StatusCode::UNAUTHORIZED, "expired_api_key");
    assert_eq!(app.key_cache.counts().hits, before.hits + 1, "judged on the cached key");
}

/// Sends `GET /v1/me` until `done` holds for the response, for at most 5 s.
async fn until(app: &TestApp, key: &str, done: impl Fn(&crate::support::Response) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let r = app.get(key, "/v1/me").await;
        if done(&r) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the node never saw the change: {} {}",
            r.status,
            r.body
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn changes_made_by_hand_in_sql_reach_the_cached_key_within_a_poll() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    app.get(&org.key, "/v1/me").await.assert_status(StatusCode::OK);
    app.get(&org.key, "/v1/me").await.assert_status(StatusCode::OK);
    assert!(app.key_cache.counts().hits >= 1, "the key is cached");

    by_hand(&app, "UPDATE organizations SET read_per_minute = 777 WHERE id = $1", &org.id).await;
    until(&app, &org.key, |r| r.header("x-ratelimit-limit") == Some("777")).await;

    by_hand(&app, "UPDATE api_keys SET revoked_at = 1 WHERE id = $1", &org.key_id).await;
    until(&app, &org.key, |r| r.status == StatusCode::UNAUTHORIZED).await;
    app.get(&org.key, "/v1/me").await.assert_error(StatusCode::UNAUTHORIZED, "invalid_api_key");
}

#[tokio::test]
async fn a_node_whose_poller_stops_stops_using_its_cache_and_a_revocation_still_returns() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    // A second node over the same database, whose poller the test stops.
    let settings = KeyCacheSettings::default();
    let state = AppState::new(app.db.clone()).await.unwrap();
    let poller = KeyPoller::start(app.db.clone(), state.key_cache.clone(), settings).await;
    let stuck = TestApp::serve_state_without_poller(state).await;
    for node in [&app, &stuck] {
        node.get(&org.key, "/v1/me").await.assert_status(StatusCode::OK);
        node.get(&org.key, "/v1/me").await.assert_status(StatusCode::OK);
        assert!(node.key_cache.counts().hits >= 1, "both nodes serve the key from their cache");
    }

    poller.abandon();
    let started = Instant::now();
    admin::revoke_key(&app.db, &org.key_id).await.unwrap();
    let took = started.elapsed();
    // The running node acknowledged at once; the stopped one could not, so the revocation
    // waited out its lease, and no longer.
    assert!(took >= settings.lease(), "waited for the stopped node's lease: {took:?}");
    assert!(took < settings.lease() * 3, "returned soon after the lease: {took:?}");

    let before = stuck.key_cache.counts();
    for node in [&app, &stuck] {
        node.get(&org.key, "/v1/me")
            .await
            .assert_error(StatusCode::UNAUTHORIZED, "invalid_api_key");
    }
    let after = stuck.key_cache.counts();
    assert_eq!(after.uncached, before.uncached + 1, "the stopped node looked the key up");
    assert_eq!(after.hits, before.hits);
}
