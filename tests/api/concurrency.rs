//! Concurrent writers: overlapping bulk label calls (API.md §5) never fail, and each one is
//! applied whole, so the link table ends as the last call touching each contact left it; a
//! PATCH never undoes another's change; a rename racing a deletion is never half-told.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use kirim::enums::Tier;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::fixtures::*;
use crate::hooks::{deliveries, dispatching_app, fast_settings, subscribe, subscribe_to};
use crate::receiver::{Receiver, Reply};
use crate::support::{TestApp, unique_phone};
use crate::upsert::upsert_path;

const CLIENTS: usize = 8;
const SHARED: usize = 1000;
const PRIVATE: usize = 100;
const STORM: Duration = Duration::from_secs(3);

/// xorshift64*: enough randomness to vary windows, orders and operations, with no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// One completed call: the ticket taken before sending and the one taken after the response,
/// whether it attached, and the contacts (indices into the pool) it named.
struct Call {
    start: u64,
    end: u64,
    attach: bool,
    contacts: Vec<usize>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn overlapping_bulk_calls_never_fail_and_the_last_call_per_contact_wins() {
    let app = Arc::new(TestApp::spawn().await);
    let org = Arc::new(app.org_with_tier(Tier::Enterprise).await);
    let label = Arc::new(app.label(&org, "Contended").await);
    // The pool: 1,000 contacts every client uses, then 100 private to each client.
    let pool = Arc::new(app.insert_contacts(&org, SHARED + CLIENTS * PRIVATE).await);
    let tickets = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + STORM;

    let mut clients = Vec::new();
    for k in 0..CLIENTS {
        let (app, org, label, pool, tickets) =
            (app.clone(), org.clone(), label.clone(), pool.clone(), tickets.clone());
        clients.push(tokio::spawn(async move {
            let mut rng =
                Rng(0x9E37_79B9_7F4A_7C15 ^ (k as u64 + 1).wrapping_mul(0xBF58_476D_1CE4_E5B9));
            let mut calls = Vec::new();
            while Instant::now() < deadline {
                // 900 of the shared contacts (all but a random window of 100) and this
                // client's private 100: 1,000 ids, in a random order.
                let skip = rng.below(SHARED - PRIVATE + 1);
                let mut contacts: Vec<usize> =
                    (0..SHARED).filter(|i| !(skip..skip + PRIVATE).contains(i)).collect();
                contacts.extend(SHARED + k * PRIVATE..SHARED + (k + 1) * PRIVATE);
                for i in (1..contacts.len()).rev() {
                    contacts.swap(i, rng.below(i + 1));
                }
                let attach = rng.next().is_multiple_of(2);
                let ids: Vec<&str> = contacts.iter().map(|&i| pool[i].as_str()).collect();
                let body = json!({
                    "contact_ids": ids,
                    "label_id": *label,
                    "operation": if attach { "attach" } else { "detach" },
                });
                let start = tickets.fetch_add(1, Ordering::SeqCst);
                let r = app.post(&org.key, &bulk_path(&org), &body).await;
                let end = tickets.fetch_add(1, Ordering::SeqCst);
                r.assert_status(StatusCode::OK);
                assert_eq!(
                    r.data(),
                    &json!({ "applied": 1000, "skipped_cross_org": 0, "skipped_team_mismatch": 0 })
                );
                calls.push(Call { start, end, attach, contacts });
            }
            calls
        }));
    }
    let mut calls = Vec::new();
    for client in clients {
        calls.extend(client.await.expect("a client finished without a failed call"));
    }
    assert!(calls.len() >= 2 * CLIENTS, "the storm made only {} calls", calls.len());

    // Per contact, the calls that may have been the last to commit: those no other call touching
    // the contact started after. Calls that overlap in time may have committed in either order,
    // so the final state must be the operation of one of them.
    let mut touching: Vec<Vec<&Call>> = vec![Vec::new(); pool.len()];
    for call in &calls {
        for &i in &call.contacts {
            touching[i].push(call);
        }
    }
    let linked: std::collections::HashSet<String> =
        app.links_of_label(&label).await.into_iter().collect();
    let mut unambiguous = 0;
    for (i, calls) in touching.iter().enumerate() {
        let latest_start = calls.iter().map(|c| c.start).max();
        let candidates: Vec<bool> = calls
            .iter()
            .filter(|c| latest_start.is_none_or(|s| c.end > s))
            .map(|c| c.attach)
            .collect();
        let is_linked = linked.contains(&pool[i]);
        if candidates.is_empty() {
            assert!(!is_linked, "contact {i} was never named but is linked");
            continue;
        }
        assert!(
            candidates.contains(&is_linked),
            "contact {i}: linked = {is_linked}, but the last calls touching it were {candidates:?}"
        );
        if candidates.iter().all(|&a| a == candidates[0]) {
            unambiguous += 1;
        }
        if i >= SHARED {
            assert_eq!(candidates.len(), 1, "a private contact's calls are sequential");
        }
    }
    assert!(unambiguous >= CLIENTS * PRIVATE, "{unambiguous} contacts had one possible outcome");
    let outside: Vec<String> = linked.into_iter().filter(|id| !pool.contains(id)).collect();
    assert!(outside.is_empty(), "links to contacts never named: {outside:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deleting_a_label_during_bulk_calls_leaves_no_link_and_no_server_error() {
    let app = Arc::new(TestApp::spawn().await);
    let org = Arc::new(app.org_with_tier(Tier::Enterprise).await);
    let label = Arc::new(app.label(&org, "Doomed").await);
    let contacts = Arc::new(app.insert_contacts(&org, 1000).await);

    let mut writers = Vec::new();
    for k in 0..4 {
        let (app, org, label, contacts) =
            (app.clone(), org.clone(), label.clone(), contacts.clone());
        writers.push(tokio::spawn(async move {
            let mut statuses = Vec::new();
            for n in 0..15 {
                let op = if (n + k) % 3 == 2 { "detach" } else { "attach" };
                let body = json!({ "contact_ids": *contacts, "label_id": *label, "operation": op });
                let r = app.post(&org.key, &bulk_path(&org), &body).await;
                match r.status {
                    StatusCode::OK => {
                        assert_eq!(r.data()["applied"], 1000, "whole or nothing: {}", r.body);
                    }
                    StatusCode::NOT_FOUND => {
                        r.assert_error(StatusCode::NOT_FOUND, "resource_not_found");
                        assert_eq!(r.param(), "label_id");
                    }
                    other => panic!("{other}: {}", r.body),
                }
                statuses.push(r.status);
            }
            statuses
        }));
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let r = app.delete(&org.key, &format!("/v1/labels/{label}")).await;
    r.assert_status(StatusCode::OK);

    let mut statuses = Vec::new();
    for w in writers {
        statuses.extend(w.await.expect("no writer saw a server error"));
    }
    assert!(statuses.contains(&StatusCode::NOT_FOUND), "calls after the deletion found no label");
    assert!(app.links_of_label(&label).await.is_empty(), "no link outlives its label");
    assert_eq!(app.count_rows("contact_labels").await, 0);
}

/// A contact deleted while bulk calls and single attaches link it takes its links with it:
/// no link is left to a contact that is gone, and no writer sees a server error.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deleting_contacts_during_link_writes_leaves_no_link_to_a_deleted_contact() {
    const CONTACTS: usize = 200;
    const DOOMED: usize = 60;
    let app = Arc::new(TestApp::spawn().await);
    let org = Arc::new(app.org_with_tier(Tier::Enterprise).await);
    let labels = Arc::new([app.label(&org, "Busy").await, app.label(&org, "Busier").await]);
    let contacts = Arc::new(app.insert_contacts(&org, CONTACTS).await);
    let deleting = Arc::new(AtomicBool::new(true));

    let mut writers = Vec::new();
    for k in 0..2 {
        let (app, org, labels, contacts, deleting) =
            (app.clone(), org.clone(), labels.clone(), contacts.clone(), deleting.clone());
        writers.push(tokio::spawn(async move {
            let mut n = 0;
            while deleting.load(Ordering::Relaxed) || n < 4 {
                let op = if n % 2 == 0 { "attach" } else { "detach" };
                let body =
                    json!({ "contact_ids": *contacts, "label_id": labels[k], "operation": op });
                let r = app.post(&org.key, &bulk_path(&org), &body).await;
                r.assert_status(StatusCode::OK);
                let (applied, gone) = (&r.data()["applied"], &r.data()["skipped_cross_org"]);
                let total = applied.as_i64().unwrap() + gone.as_i64().unwrap();
                assert_eq!(total, CONTACTS as i64, "every id accounted for: {}", r.body);
                n += 1;
            }
            n % 2 == 1 // whether the last call attached
        }));
    }
    let single = {
        let (app, org, labels, contacts) =
            (app.clone(), org.clone(), labels.clone(), contacts.clone());
        tokio::spawn(async move {
            for id in contacts.iter().take(DOOMED) {
                let path = format!("/v1/{}/contacts/{id}/labels", org.phone_number_id);
                let r = app.post(&org.key, &path, &json!({ "label_id": labels[0] })).await;
                if r.status != StatusCode::OK {
                    r.assert_error(StatusCode::NOT_FOUND, "resource_not_found");
                    assert_eq!(r.param(), "id");
                }
            }
        })
    };
    for id in contacts.iter().take(DOOMED) {
        let path = format!("/v1/{}/contacts/{id}", org.phone_number_id);
        app.delete(&org.key, &path).await.assert_status(StatusCode::OK);
    }
    deleting.store(false, Ordering::Relaxed);
    single.await.expect("no single attach saw a server error");
    let mut last_attached = Vec::new();
    for w in writers {
        last_attached.push(w.await.expect("no bulk call saw a server error"));
    }

    assert_eq!(app.orphan_links().await, 0, "a link outlived its contact");
    // The survivors carry each label as its writer's last call left them.
    for (label, attached) in labels.iter().zip(last_attached) {
        let expected = if attached { CONTACTS - DOOMED } else { 0 };
        assert_eq!(app.links_of_label(label).await.len(), expected, "label {label}");
    }
}

/// Single detaches of a label racing bulk calls of the same label on the same contacts: the
/// single call locks its contact before it removes the link, in the bulk call's order, so
/// neither waits on the other in a cycle (a deadlock would be a 500).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn single_detaches_and_bulk_calls_of_one_label_never_deadlock() {
    const CONTACTS: usize = 100;
    let app = Arc::new(TestApp::spawn().await);
    let org = Arc::new(app.org_with_tier(Tier::Enterprise).await);
    let label = Arc::new(app.label(&org, "Contested").await);
    let contacts = Arc::new(app.insert_contacts(&org, CONTACTS).await);
    let bulk = {
        let (app, org, label, contacts) =
            (app.clone(), org.clone(), label.clone(), contacts.clone());
        tokio::spawn(async move {
            for n in 0..30 {
                let op = if n % 2 == 0 { "attach" } else { "detach" };
                let body = json!({ "contact_ids": *contacts, "label_id": *label, "operation": op });
                app.post(&org.key, &bulk_path(&org), &body).await.assert_status(StatusCode::OK);
            }
        })
    };
    let singles: Vec<_> = (0..2)
        .map(|k| {
            let (app, org, label, contacts) =
                (app.clone(), org.clone(), label.clone(), contacts.clone());
            tokio::spawn(async move {
                for id in contacts.iter().skip(k).step_by(2).cycle().take(150) {
                    let path = format!("{}/labels/{label}", contact_path(&org, id));
                    app.delete(&org.key, &path).await.assert_status(StatusCode::OK);
                }
            })
        })
        .collect();
    bulk.await.expect("no bulk call saw a server error");
    for single in singles {
        single.await.expect("no single detach saw a server error");
    }
}

/// A label deleted while its contacts are being deleted and bulk calls of another label write
/// to them: all lock the contacts first, in one order, so none waits on another in a cycle (a
/// deadlock would be a 500), and no link is left to a contact that is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deleting_a_label_while_deleting_its_contacts_never_deadlocks() {
    const CONTACTS: usize = 100;
    let app = Arc::new(TestApp::spawn().await);
    let org = Arc::new(app.org_with_tier(Tier::Enterprise).await);
    let other = app.label(&org, "Other").await;
    for round in 0..10 {
        let label = app.label(&org, &format!("Doomed {round}")).await;
        let contacts = app.insert_contacts(&org, CONTACTS).await;
        let body = json!({ "contact_ids": contacts, "label_id": label, "operation": "attach" });
        app.post(&org.key, &bulk_path(&org), &body).await.assert_status(StatusCode::OK);

        let writers: Vec<_> = ["attach", "detach", "attach"]
            .into_iter()
            .map(|op| {
                let (app, org) = (app.clone(), org.clone());
                let body = json!({ "contact_ids": contacts, "label_id": other, "operation": op });
                tokio::spawn(async move { app.post(&org.key, &bulk_path(&org), &body).await })
            })
            .collect();
        let deleters: Vec<_> = contacts
            .iter()
            .step_by(10)
            .map(|id| {
                let (app, org, path) = (app.clone(), org.clone(), contact_path(&org, id));
                tokio::spawn(async move { app.delete(&org.key, &path).await })
            })
            .collect();
        let deleted = app.delete(&org.key, &format!("/v1/labels/{label}")).await;
        deleted.assert_status(StatusCode::OK);
        for task in deleters.into_iter().chain(writers) {
            task.await.unwrap().assert_status(StatusCode::OK);
        }
        assert_eq!(app.orphan_links().await, 0, "round {round}");
    }
}

/// Bulk upsert and bulk label lock the contacts they share in one order, so calls of the two on
/// the same contacts queue rather than deadlock, even where phone numbers sort against the ids.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bulk_upserts_and_bulk_label_calls_on_the_same_contacts_never_deadlock() {
    const N: usize = 200;
    let app = Arc::new(TestApp::spawn().await);
    let org = Arc::new(app.org_with_tier(Tier::Enterprise).await);
    let label = Arc::new(app.label(&org, "Shared").await);
    // Created in descending phone order, so the ids ascend as the phone numbers descend.
    let stem = unique_phone();
    let phones: Vec<String> =
        (0..N).rev().map(|i| format!("{}{i:03}", &stem[..stem.len() - 3])).collect();
    let items = |name: &str| -> Value {
        let contacts: Vec<Value> =
            phones.iter().map(|p| json!({ "phone_number": p, "name": name })).collect();
        json!({ "contacts": contacts })
    };
    let r = app.post(&org.key, &upsert_path(&org), &items("Created")).await;
    r.assert_status(StatusCode::OK);
    let ids: Vec<String> = r.data()["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids ascend against the phone numbers");

    let until = Instant::now() + Duration::from_secs(2);
    let labeller = {
        let (app, org, label) = (app.clone(), org.clone(), label.clone());
        tokio::spawn(async move {
            let mut n = 0;
            while Instant::now() < until {
                let op = if n % 2 == 0 { "attach" } else { "detach" };
                let body = json!({ "contact_ids": ids, "label_id": *label, "operation": op });
                app.post(&org.key, &bulk_path(&org), &body).await.assert_status(StatusCode::OK);
                n += 1;
            }
        })
    };
    let mut n = 0;
    while Instant::now() < until {
        let r = app.post(&org.key, &upsert_path(&org), &items(&format!("Round {n}"))).await;
        r.assert_status(StatusCode::OK);
        assert_eq!(r.data()["updated"], N, "{}", r.body);
        n += 1;
    }
    labeller.await.expect("no bulk label call failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_creates_of_one_phone_number_or_label_name_let_exactly_one_win() {
    let app = Arc::new(TestApp::spawn().await);
    let org = Arc::new(app.org_with_tier(Tier::Enterprise).await);
    let phone = unique_phone();

    let mut racers = Vec::new();
    for k in 0..CLIENTS {
        let (app, org, phone) = (app.clone(), org.clone(), phone.clone());
        racers.push(tokio::spawn(async move {
            let contact = json!({ "phone_number": phone, "name": format!("Racer {k}") });
            let c = app.post(&org.key, &contacts_path(&org), &contact).await;
            let label = json!({ "name": if k % 2 == 0 { "Race" } else { " race " } });
            let l = app.post(&org.key, "/v1/labels", &label).await;
            (c, l)
        }));
    }
    let (mut contacts_won, mut labels_won) = (0, 0);
    for racer in racers {
        let (c, l) = racer.await.unwrap();
        match c.status {
            StatusCode::CREATED => contacts_won += 1,
            _ => {
                c.assert_error(StatusCode::CONFLICT, "duplicate_phone_number");
            }
        }
        match l.status {
            StatusCode::CREATED => labels_won += 1,
            _ => {
                l.assert_error(StatusCode::BAD_REQUEST, "invalid_field_value");
                assert_eq!(l.param(), "name");
            }
        }
    }
    assert_eq!((contacts_won, labels_won), (1, 1));
    assert_eq!(app.count_rows("contacts").await, 1);
    assert_eq!(app.count_rows("labels").await, 1);
}

/// PATCH merges into the contact it read: eight at once on one contact, each adding a metadata
/// key of its own, must leave all eight keys.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_patches_of_one_contact_keep_each_others_changes() {
    let app = Arc::new(TestApp::spawn().await);
    let org = Arc::new(app.org_with_tier(Tier::Enterprise).await);
    for round in 0..20 {
        let id = app.contact(&org, &unique_phone()).await;
        let path = contact_path(&org, &id);
        let patches: Vec<_> = (0..CLIENTS)
            .map(|k| {
                let (app, org, path) = (app.clone(), org.clone(), path.clone());
                tokio::spawn(async move {
                    let body = json!({ "metadata": { format!("k{k}"): round } });
                    app.patch(&org.key, &path, &body).await
                })
            })
            .collect();
        for patch in patches {
            patch.await.unwrap().assert_status(StatusCode::OK);
        }
        let metadata = app.get(&org.key, &path).await.data()["metadata"].clone();
        for k in 0..CLIENTS {
            assert_eq!(metadata[format!("k{k}")], round, "round {round}: {metadata}");
        }
    }
}

/// A rename racing the label's deletion: either the rename commits first, and `label.deleted`
/// carries the new name, or it finds the label gone (404) and records nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rename_racing_the_labels_deletion_is_told_whole_or_not_at_all() {
    let app = Arc::new(TestApp::spawn_webhooks(fast_settings(), false).await);
    let org = Arc::new(app.org_with_tier(Tier::Enterprise).await);
    let events = ["label.updated", "label.deleted"];
    let (subscription, _) = subscribe_to(&app, &org, "http://127.0.0.1:9/hook", &events).await;
    let mut recorded = 0;
    for round in 0..20 {
        let label = app.label(&org, &format!("Before {round}")).await;
        let path = format!("/v1/labels/{label}");
        let renamed = format!("After {round}");
        let rename = {
            let (app, org, path) = (app.clone(), org.clone(), path.clone());
            let body = json!({ "name": renamed });
            tokio::spawn(async move { app.patch(&org.key, &path, &body).await })
        };
        app.delete(&org.key, &path).await.assert_status(StatusCode::OK);
        let rename = rename.await.unwrap();

        let all = deliveries(&app, &org, &subscription).await;
        let told: Vec<&Value> = all[recorded..].iter().map(|d| &d["payload"]).collect();
        recorded = all.len();
        let kinds: Vec<&str> = told.iter().map(|e| e["type"].as_str().unwrap()).collect();
        let last_name = &told.last().unwrap()["data"]["label"]["name"];
        match rename.status {
            StatusCode::OK => {
                assert_eq!(kinds, ["label.updated", "label.deleted"], "round {round}");
                assert_eq!(last_name, renamed.as_str(), "round {round}: deleted as renamed");
            }
            _ => {
                rename.assert_error(StatusCode::NOT_FOUND, "resource_not_found");
                assert_eq!(kinds, ["label.deleted"], "round {round}");
                assert_eq!(last_name, format!("Before {round}").as_str(), "round {round}");
            }
        }
    }
}

/// The same for a contact: a PATCH racing the contact's deletion either commits first, and
/// `contact.deleted` carries what it wrote, or finds the contact gone (404) and records nothing.
/// Receivers order events by `updated_at`; a deletion told with an older state would read as
/// stale.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_patch_racing_the_contacts_deletion_is_told_whole_or_not_at_all() {
    let app = Arc::new(TestApp::spawn_webhooks(fast_settings(), false).await);
    let org = Arc::new(app.org_with_tier(Tier::Enterprise).await);
    let events = ["contact.updated", "contact.deleted"];
    let (subscription, _) = subscribe_to(&app, &org, "http://127.0.0.1:9/hook", &events).await;
    let mut recorded = 0;
    for round in 0..40 {
        let id = app.contact(&org, &unique_phone()).await;
        let path = contact_path(&org, &id);
        let renamed = format!("After {round}");
        let patch = {
            let (app, org, path) = (app.clone(), org.clone(), path.clone());
            let body = json!({ "name": renamed });
            tokio::spawn(async move { app.patch(&org.key, &path, &body).await })
        };
        app.delete(&org.key, &path).await.assert_status(StatusCode::OK);
        let patch = patch.await.unwrap();

        let all = deliveries(&app, &org, &subscription).await;
        let told: Vec<&Value> = all[recorded..].iter().map(|d| &d["payload"]).collect();
        recorded = all.len();
        let kinds: Vec<&str> = told.iter().map(|e| e["type"].as_str().unwrap()).collect();
        let last = &told.last().unwrap()["data"]["contact"];
        match patch.status {
            StatusCode::OK => {
                assert_eq!(kinds, ["contact.updated", "contact.deleted"], "round {round}");
                assert_eq!(last["name"], renamed.as_str(), "round {round}: deleted as patched");
            }
            _ => {
                patch.assert_error(StatusCode::NOT_FOUND, "resource_not_found");
                assert_eq!(kinds, ["contact.deleted"], "round {round}");
                assert_eq!(last["name"], Value::Null, "round {round}");
            }
        }
    }
}

/// Deliveries dying at their receiver (each death counts against the subscription, and the 24th
/// disables it and ends its other deliveries) while the subscription is paused and resumed: the
/// dispatcher locks the subscription before the delivery, as the API's writers of a subscription
/// do, so neither waits on the other in a cycle. On PostgreSQL a deadlock was a 500 for the
/// PATCH, and an attempt sent but never recorded for the dispatcher.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pausing_a_subscription_while_its_deliveries_die_never_deadlocks() {
    let app = Arc::new(dispatching_app().await);
    let org = Arc::new(app.org_with_tier(Tier::Enterprise).await);
    let receiver = Receiver::start().await;
    receiver.otherwise(Reply::Status(400));
    let (subscription, _) = subscribe(&app, &org, &receiver.url).await;
    let label = app.label(&org, "Dying").await;
    let contacts = app.insert_contacts(&org, 100).await;
    let writing = Arc::new(AtomicBool::new(true));
    let toggler = {
        let (app, org, writing) = (app.clone(), org.clone(), writing.clone());
        let path = format!("/v1/webhook_subscriptions/{subscription}");
        tokio::spawn(async move {
            let mut n = 0;
            while writing.load(Ordering::Relaxed) || n < 10 {
                let status = if n % 2 == 0 { "paused" } else { "active" };
                let r = app.patch(&org.key, &path, &json!({ "status": status })).await;
                r.assert_status(StatusCode::OK);
                n += 1;
            }
        })
    };
    for n in 0..20 {
        let op = if n % 2 == 0 { "attach" } else { "detach" };
        let body = json!({ "contact_ids": contacts, "label_id": label, "operation": op });
        app.post(&org.key, &bulk_path(&org), &body).await.assert_status(StatusCode::OK);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    writing.store(false, Ordering::Relaxed);
    toggler.await.expect("no PATCH of the subscription saw a server error");
    assert!(!receiver.got().is_empty(), "deliveries were attempted meanwhile");
}

/// A bulk upsert and PATCHes of one contact at once: whichever commits last leaves the contact
/// as GET shows it, and its stamp is the latest of all the contact's events. A writer takes its
/// time before it waits for the contact's lock; stamped with that time as it was, the last
/// commit could carry an earlier `updated_at` than a change it replaced, and a receiver ordering
/// by `updated_at` (API.md §8.2) would keep the replaced state.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_contacts_updated_at_never_goes_back_under_concurrent_writers() {
    let app = Arc::new(TestApp::spawn_webhooks(fast_settings(), false).await);
    let org = Arc::new(app.org_with_tier(Tier::Enterprise).await);
    let (subscription, _) =
        subscribe_to(&app, &org, "http://127.0.0.1:9/hook", &["contact.updated"]).await;
    let mut seen = 0;
    for round in 0..30 {
        let phone = unique_phone();
        let id = app.contact(&org, &phone).await;
        let path = contact_path(&org, &id);
        let mut writers = Vec::new();
        for k in 0..3 {
            let (app, org, path, phone) = (app.clone(), org.clone(), path.clone(), phone.clone());
            writers.push(tokio::spawn(async move {
                let name = format!("r{round} w{k}");
                let r = if k == 0 {
                    let body = json!({ "contacts": [{ "phone_number": phone, "name": name }] });
                    app.post(&org.key, &upsert_path(&org), &body).await
                } else {
                    app.patch(&org.key, &path, &json!({ "name": name })).await
                };
                r.assert_status(StatusCode::OK);
            }));
        }
        for w in writers {
            w.await.unwrap();
        }
        let now = app.get(&org.key, &path).await;
        let all = deliveries(&app, &org, &subscription).await;
        let told: Vec<&Value> =
            all[seen..].iter().map(|d| &d["payload"]["data"]["contact"]).collect();
        seen = all.len();
        let stamp = |c: &Value| c["updated_at"].as_str().unwrap().to_owned();
        let latest = told.iter().map(|c| stamp(c)).max().unwrap();
        assert_eq!(
            stamp(now.data()),
            latest,
            "round {round}: the last commit has the latest stamp"
        );
        let names: Vec<&Value> =
            told.iter().filter(|c| stamp(c) == latest).map(|c| &c["name"]).collect();
        assert!(names.contains(&&now.data()["name"]), "round {round}: {names:?} vs {}", now.body);
    }
}
