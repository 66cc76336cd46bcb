//! How deliveries flow (contract §8.4–§8.5): pause holds and resume sends oldest first, a run of
//! dead deliveries disables the subscription, a delivery left due for a subscription that
//! stopped receiving is settled, neither a slow receiver nor a long backlog (of one
//! subscription or twenty) holds up another subscription, and a node without the
//! private-targets option refuses to send to them.

use std::time::Duration;

use reqwest::StatusCode;

use crate::hooks::{
    deliveries, dispatching_app, eventually, fast_settings, set_status, settled, subscribe,
    subscription,
};
use kirim::store::on_conn;

use crate::receiver::{Receiver, Reply};
use crate::support::{Org, TestApp, unique_phone};

/// The dispatcher's per-subscription bound: how far arrival order may stray from creation order.
const PER_SUBSCRIPTION: usize = 4;

#[tokio::test]
async fn a_paused_subscription_holds_its_deliveries_and_resume_sends_them_oldest_first() {
    let app = dispatching_app().await;
    let org = app.org().await;
    let receiver = Receiver::start().await;
    let (id, _) = subscribe(&app, &org, &receiver.url).await;
    set_status(&app, &org, &id, "paused").await;
    let contacts = app.contacts(&org, 12).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(receiver.got().is_empty(), "nothing is sent while paused");
    let held = deliveries(&app, &org, &id).await;
    assert_eq!(held.len(), 12);
    assert!(held.iter().all(|d| d["status"] == "pending" && d["attempts"] == 0));

    set_status(&app, &org, &id, "active").await;
    let got = receiver.wait_for(12, Duration::from_secs(10)).await;
    // Creation index of each contact in arrival order (first arrival of each).
    let mut arrived: Vec<usize> = Vec::new();
    for r in &got {
        let contact = r.json()["data"]["contact"]["id"].as_str().unwrap().to_owned();
        let created = contacts.iter().position(|c| *c == contact).expect("one of ours");
        if !arrived.contains(&created) {
            arrived.push(created);
        }
    }
    assert_eq!(arrived.len(), 12);
    // Oldest first with up to PER_SUBSCRIPTION in flight: a delivery starts only once every older
    // one has started and all but PER_SUBSCRIPTION - 1 of them have been answered, so when the
    // k-th oldest arrives, at least k - 3 older ones already have.
    for (position, &created) in arrived.iter().enumerate() {
        let older_before = arrived[..position].iter().filter(|&&c| c < created).count();
        assert!(
            older_before + PER_SUBSCRIPTION > created,
            "the {created}th oldest arrived after only {older_before} older ones: {arrived:?}"
        );
    }
}

#[tokio::test]
async fn twenty_four_dead_deliveries_in_a_row_disable_the_subscription() {
    let app = dispatching_app().await;
    let org = app.org().await;
    let receiver = Receiver::start().await;
    let (id, _) = subscribe(&app, &org, &receiver.url).await;
    let before = scrape(&app).await;

    // 23 dead, then one delivered: the run starts again.
    receiver.otherwise(Reply::Status(400));
    app.contacts(&org, 23).await;
    settled(&app, &org, &id, 23).await;
    assert_eq!(subscription(&app, &org, &id).await["consecutive_failures"], 23);
    receiver.otherwise(Reply::Status(200));
    app.contacts(&org, 1).await;
    settled(&app, &org, &id, 24).await;
    let s = subscription(&app, &org, &id).await;
    assert_eq!(
        (s["status"].as_str(), s["consecutive_failures"].as_i64()),
        (Some("active"), Some(0))
    );

    // Then 30 more that die: the 24th disables it, what is unfinished dies with it, and the
    // changes made after it records nothing for it.
    receiver.otherwise(Reply::Status(400));
    app.contacts(&org, 30).await;
    eventually(Duration::from_secs(20), "the subscription to be disabled", || async {
        let s = subscription(&app, &org, &id).await;
        (s["status"] == "disabled").then_some(())
    })
    .await;
    let all = settled(&app, &org, &id, 48).await;
    let s = subscription(&app, &org, &id).await;
    assert_eq!(s["disabled_reason"], "consecutive_failures");
    assert!(s["consecutive_failures"].as_i64().unwrap() >= 24);
    let last = &all[24..];
    assert!(last.iter().all(|d| d["status"] == "dead"));
    let by_http = last.iter().filter(|d| d["last_error"] == "http_status").count();
    let by_disable = last.iter().filter(|d| d["last_error"] == "subscription_disabled").count();
    assert!(by_http >= 24 && by_http + by_disable == last.len(), "{by_http} + {by_disable}");

    let (sent, recorded) = (receiver.got().len(), all.len());
    app.contacts(&org, 1).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(receiver.got().len(), sent);
    assert_eq!(deliveries(&app, &org, &id).await.len(), recorded);

    let after = scrape(&app).await;
    let disabled = "kirim_webhook_subscriptions_disabled_total";
    assert!(value(&after, disabled) >= value(&before, disabled) + 1.0);
    let dead = "kirim_webhook_attempts_total{outcome=\"dead\"}";
    assert!(value(&after, dead) >= value(&before, dead) + 47.0);
    let delivered = "kirim_webhook_attempts_total{outcome=\"delivered\"}";
    assert!(value(&after, delivered) >= value(&before, delivered) + 1.0);
    let count = "kirim_webhook_attempt_duration_seconds_count";
    assert!(value(&after, count) >= value(&before, count) + 48.0);
    assert!(after.contains("kirim_webhook_backlog_age_seconds "));
}

/// What the database holds of a delivery: `(status, next_attempt_at, last_error)`.
async fn stored(app: &TestApp, delivery: &str) -> (String, Option<i64>, Option<String>) {
    const SQL: &str =
        "SELECT status, next_attempt_at, last_error FROM webhook_deliveries WHERE id = $1";
    let mut pooled = app.db.acquire().await.unwrap();
    on_conn!(pooled.conn(), |c| sqlx::query_as(SQL).bind(delivery).fetch_one(c).await).unwrap()
}

/// Makes a delivery due now, as a request recording it while its subscription was being paused,
/// disabled or deleted leaves it on PostgreSQL (that change's update could not see the row).
async fn make_due(app: &TestApp, delivery: &str) {
    const SQL: &str = "UPDATE webhook_deliveries SET status = 'pending', last_error = NULL, \
        next_attempt_at = $2 WHERE id = $1";
    let mut pooled = app.db.acquire().await.unwrap();
    on_conn!(pooled.conn(), |c| sqlx::query(SQL)
        .bind(delivery)
        .bind(kirim::clock::now_ms())
        .execute(c)
        .await
        .map(|_| ()))
    .unwrap();
}

#[tokio::test]
async fn a_delivery_left_due_for_a_subscription_that_stopped_receiving_is_settled() {
    let app = dispatching_app().await;
    let org = app.org().await;
    let receiver = Receiver::start().await;
    let (paused, _) = subscribe(&app, &org, &receiver.url).await;
    let (deleted, _) = subscribe(&app, &org, &receiver.url).await;
    set_status(&app, &org, &paused, "paused").await;
    set_status(&app, &org, &deleted, "paused").await;
    app.contacts(&org, 1).await;
    let held = deliveries(&app, &org, &paused).await[0]["id"].as_str().unwrap().to_owned();
    let killed = deliveries(&app, &org, &deleted).await[0]["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/webhook_subscriptions/{deleted}");
    app.delete(&org.key, &path).await.assert_status(StatusCode::OK);
    assert_eq!(stored(&app, &killed).await.0, "dead");

    make_due(&app, &held).await;
    make_due(&app, &killed).await;
    eventually(Duration::from_secs(10), "the strays to be settled", || async {
        let (held, killed) = (stored(&app, &held).await, stored(&app, &killed).await);
        (held.1.is_none() && killed.0 == "dead").then_some(())
    })
    .await;
    assert_eq!(stored(&app, &held).await, ("pending".to_owned(), None, None), "held again");
    let killed = stored(&app, &killed).await;
    assert_eq!(killed.2.as_deref(), Some("subscription_deleted"));
    assert!(receiver.got().is_empty(), "neither was sent");

    // Resumed, the held one goes out.
    set_status(&app, &org, &paused, "active").await;
    receiver.wait_for(1, Duration::from_secs(10)).await;
}

/// Marks a subscription active without releasing its held deliveries: what a resume leaves on
/// PostgreSQL when a request that read the subscription paused records a delivery held while the
/// resume commits (the resume's release could not see the row).
async fn activate_only(app: &TestApp, subscription: &str) {
    const SQL: &str = "UPDATE webhook_subscriptions SET status = 'active' WHERE id = $1";
    let mut pooled = app.db.acquire().await.unwrap();
    on_conn!(pooled.conn(), |c| sqlx::query(SQL).bind(subscription).execute(c).await.map(|_| ()))
        .unwrap();
}

/// The mirror case: a delivery left held for a subscription that is active again is made due
/// and sent, not held for ever.
#[tokio::test]
async fn a_delivery_left_held_for_an_active_subscription_is_sent() {
    let app = dispatching_app().await;
    let org = app.org().await;
    let receiver = Receiver::start().await;
    let (subscription, _) = subscribe(&app, &org, &receiver.url).await;
    set_status(&app, &org, &subscription, "paused").await;
    app.contacts(&org, 1).await;
    let held = deliveries(&app, &org, &subscription).await[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(stored(&app, &held).await.1, None, "held while paused");

    activate_only(&app, &subscription).await;
    let got = receiver.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got[0].header("x-kirim-delivery-id"), held);
}

#[tokio::test]
async fn a_slow_receiver_holds_up_no_other_subscription() {
    let app = dispatching_app().await;
    let (slow_org, fast_org) = (app.org().await, app.org().await);
    let slow = Receiver::start().await;
    slow.otherwise(Reply::Slow(Duration::from_millis(1500), 200));
    let fast = Receiver::start().await;
    let (slow_id, _) = subscribe(&app, &slow_org, &slow.url).await;
    subscribe(&app, &fast_org, &fast.url).await;

    // Enough for several rounds of the slow receiver's in-flight slots.
    app.contacts(&slow_org, 12).await;
    slow.wait_for(1, Duration::from_secs(5)).await;
    app.contact(&fast_org, &unique_phone()).await;
    fast.wait_for(1, Duration::from_secs(5)).await;
    let slow_done = deliveries(&app, &slow_org, &slow_id)
        .await
        .iter()
        .filter(|d| d["status"] == "delivered")
        .count();
    assert!(slow_done < 12, "the fast receiver was served while the slow one still had work");
    assert!(slow.got().len() <= 2 * PER_SUBSCRIPTION, "the slow one never had more than its slots");
    settled(&app, &slow_org, &slow_id, 12).await;
}

/// `n` new contacts (at most 1,000) in one bulk upsert: `n` `contact.created` events at once.
async fn create_contacts(app: &TestApp, org: &Org, n: usize) {
    let path = format!("/v1/{}/contacts/bulk_upsert", org.phone_number_id);
    let contacts: Vec<_> =
        (0..n).map(|_| serde_json::json!({ "phone_number": unique_phone() })).collect();
    let r = app.post(&org.key, &path, &serde_json::json!({ "contacts": contacts })).await;
    r.assert_status(StatusCode::OK);
}

/// A slow receiver with 2,100 deliveries due: another organisation's delivery still goes out at
/// once.
#[tokio::test]
async fn a_slow_receivers_long_backlog_holds_up_no_other_subscription() {
    let app = dispatching_app().await;
    let (slow_org, fast_org) = (app.org().await, app.org().await);
    let slow = Receiver::start().await;
    slow.otherwise(Reply::Slow(Duration::from_millis(1500), 200));
    let fast = Receiver::start().await;
    subscribe(&app, &slow_org, &slow.url).await;
    subscribe(&app, &fast_org, &fast.url).await;

    for _ in 0..3 {
        create_contacts(&app, &slow_org, 700).await;
    }
    slow.wait_for(1, Duration::from_secs(5)).await;
    app.contact(&fast_org, &unique_phone()).await;
    fast.wait_for(1, Duration::from_secs(5)).await;
    assert!(slow.got().len() <= 2 * PER_SUBSCRIPTION, "the slow one never had more than its slots");
}

/// One organisation's backlog on twenty subscriptions, to a receiver that keeps up: more
/// subscriptions busy than the node has slots for them all (64 in flight, 4 a subscription),
/// and more due rows than one claim used to look at (the oldest 2,000). Another organisation's
/// delivery still goes out at once, not after the backlog has drained.
#[tokio::test]
async fn a_long_backlog_of_one_organisation_holds_up_no_other() {
    let app = dispatching_app().await;
    let (busy_org, quiet_org) = (app.org_without_limits().await, app.org().await);
    let busy = Receiver::start().await;
    let quiet = Receiver::start().await;
    for _ in 0..20 {
        subscribe(&app, &busy_org, &busy.url).await;
    }
    subscribe(&app, &quiet_org, &quiet.url).await;

    // 1,000 contacts, twenty subscriptions: 20,000 deliveries due at once.
    create_contacts(&app, &busy_org, 1000).await;
    busy.wait_for(1, Duration::from_secs(10)).await;
    app.contact(&quiet_org, &unique_phone()).await;
    quiet.wait_for(1, Duration::from_secs(10)).await;
    let sent = busy.got().len();
    assert!(sent < 10_000, "the other delivery waited until {sent} of the 20,000 had gone");
}

/// A subscription made where private targets were allowed, then sent by a node where they are
/// not: every attempt is refused before connecting and recorded as `connect_error`.
#[tokio::test]
async fn a_node_without_private_targets_allowed_refuses_to_send_to_them() {
    let lenient = TestApp::spawn_webhooks(fast_settings(), false).await;
    let org = lenient.org().await;
    let receiver = Receiver::start().await;
    let port = receiver.url.rsplit(':').next().unwrap().split('/').next().unwrap().to_owned();
    let urls = [
        format!("https://127.0.0.1:{port}/hook"),
        format!("https://localhost:{port}/hook"),
        format!("https://[::1]:{port}/hook"),
        format!("https://10.1.2.3:{port}/hook"),
        format!("https://169.254.169.254:{port}/hook"),
    ];
    let mut ids = Vec::new();
    for url in &urls {
        ids.push(subscribe(&lenient, &org, url).await.0);
    }
    let strict_settings =
        kirim::webhooks::WebhookSettings { allow_private: false, ..fast_settings() };
    let strict = TestApp::serve_webhooks(lenient.db.clone(), strict_settings, true).await;
    let r = strict
        .post(
            &org.key,
            &format!("/v1/{}/contacts", org.phone_number_id),
            &serde_json::json!({
                "phone_number": unique_phone()
            }),
        )
        .await;
    r.assert_status(StatusCode::CREATED);
    for (id, url) in ids.iter().zip(&urls) {
        let d = eventually(Duration::from_secs(10), "an attempt", || async {
            let d = deliveries(&strict, &org, id).await.pop()?;
            (d["attempts"].as_i64()? >= 1).then_some(d)
        })
        .await;
        assert_eq!(d["last_error"], "connect_error", "{url}");
        assert_eq!(d["response_status"], serde_json::Value::Null, "{url}");
    }
    assert!(receiver.got().is_empty());
}

async fn scrape(app: &TestApp) -> String {
    app.client.get(format!("{}/metrics", app.base)).send().await.unwrap().text().await.unwrap()
}

fn value(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .map_or(0.0, |v| v.parse().unwrap())
}
