//! Concurrent bulk label calls (API.md §5): overlapping calls never fail, and each one is applied
//! whole, so the link table ends as the last call touching each contact left it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use kirim::enums::Tier;
use reqwest::StatusCode;
use serde_json::json;

use crate::fixtures::*;
use crate::support::TestApp;

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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_creates_of_one_phone_number_or_label_name_let_exactly_one_win() {
    let app = Arc::new(TestApp::spawn().await);
    let org = Arc::new(app.org_with_tier(Tier::Enterprise).await);
    let phone = crate::support::unique_phone();

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
