//! Bulk label from the benchmark's own side: labels, sequential calls at rest (the flat-cost
//! check), seeding a label on many contacts, and the same-pool replay of the handler's statements
//! (`--same-pool`; not a floor). The loaded API phase is wrk's (`bench/wrk/kirim.lua`).

use std::sync::Arc;
use std::time::Duration;

use kirim::ids::{ContactId, LabelId};
use kirim::store::Db;
use kirim::store::links::Operation;
use serde_json::{Value, json};

use crate::IDS_PER_CALL;
use crate::load::{self, Stats, mix};
use crate::seed::{self, PHONE_NUMBER_ID};
use crate::server::Server;

/// One label per worker: concurrent calls then contend only for the database, as different
/// campaigns would.
pub(crate) async fn bulk_labels(db: &Db, seeded: &seed::Seeded, n: usize) -> Arc<Vec<String>> {
    let mut labels = Vec::new();
    for i in 0..=n {
        labels.push(new_label(db, seeded, &format!("bench {i}")).await);
    }
    Arc::new(labels)
}

pub(crate) async fn new_label(db: &Db, seeded: &seed::Seeded, name: &str) -> String {
    let now = kirim::clock::now_ms();
    let row = kirim::store::labels::LabelRow {
        id: LabelId::generate(),
        team_id: seeded.team.clone(),
        name: name.to_owned(),
        color: kirim::enums::Color::Gray,
        created_at: now,
        updated_at: now,
    };
    let mut tx = db.begin().await.unwrap();
    kirim::store::labels::insert(tx.conn(), &seeded.org, &row).await.unwrap();
    tx.commit().await.unwrap();
    row.id.to_string()
}

/// Call `i` of a worker: a window of 1,000 consecutive contacts, attached on even calls and
/// detached from the same window on the next one, so every call changes 1,000 links.
pub(crate) fn window(seeded: &seed::Seeded, worker: usize, i: u64) -> (&[String], Operation) {
    let span = (seeded.contacts.len() - IDS_PER_CALL) as u64;
    let start = (mix(worker as u64, i / 2) % (span + 1)) as usize;
    let op = if i.is_multiple_of(2) { Operation::Attach } else { Operation::Detach };
    (&seeded.contacts[start..start + IDS_PER_CALL], op)
}

/// The bulk-label load over HTTP from this process (the webhook phases' yardstick).
pub(crate) async fn bulk_http(
    http: &reqwest::Client,
    server: &Server,
    seeded: &Arc<seed::Seeded>,
    labels: &Arc<Vec<String>>,
    concurrency: usize,
    duration: Duration,
) -> Stats {
    let (http, url, seeded, labels) = (
        http.clone(),
        server.url(&format!("/v1/{PHONE_NUMBER_ID}/contacts/bulk_label")),
        seeded.clone(),
        labels.clone(),
    );
    load::run(concurrency, duration, move |worker, i| {
        let request = bulk_call(&http, &url, &seeded, &labels[worker], worker, i);
        async move { applied(request.send().await).await }
    })
    .await
}

/// The HTTP bulk-label call `i` of `worker` (see [`window`]).
pub(crate) fn bulk_call(
    http: &reqwest::Client,
    url: &str,
    seeded: &seed::Seeded,
    label: &str,
    worker: usize,
    i: u64,
) -> reqwest::RequestBuilder {
    let (ids, op) = window(seeded, worker, i);
    let operation = if op == Operation::Attach { "attach" } else { "detach" };
    let body = json!({ "contact_ids": ids, "label_id": label, "operation": operation });
    http.post(url).bearer_auth(&seeded.key).json(&body)
}

pub(crate) async fn applied(response: reqwest::Result<reqwest::Response>) -> Result<u64, String> {
    let response = response.map_err(|e| e.to_string())?;
    let status = response.status();
    let body: Value = response.json().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!("{status}: {body}"));
    }
    Ok(body["data"]["applied"].as_u64().unwrap_or(0))
}

/// The same-pool replay (not a floor): the handler's own transaction — account lookup, label
/// lock, partition, write, commit — issued by this process on a pool of its own. It shares the
/// server's statements and plans, so it cannot show what they cost; it shows what HTTP adds.
pub(crate) async fn same_pool(
    db: &Db,
    seeded: &Arc<seed::Seeded>,
    labels: &Arc<Vec<String>>,
    concurrency: usize,
    duration: Duration,
) -> Stats {
    let (db, seeded, labels) = (db.clone(), seeded.clone(), labels.clone());
    load::run(concurrency, duration, move |worker, i| {
        let (db, seeded, labels) = (db.clone(), seeded.clone(), labels.clone());
        async move {
            let (ids, op) = window(&seeded, worker, i);
            let ids: Vec<ContactId> =
                ids.iter().map(|id| ContactId::from_trusted(id.clone())).collect();
            floor_call(&db, &seeded, &labels[worker], &ids, op).await.map_err(|e| e.to_string())
        }
    })
    .await
}

pub(crate) async fn floor_call(
    db: &Db,
    seeded: &seed::Seeded,
    label: &str,
    ids: &[ContactId],
    op: Operation,
) -> sqlx::Result<u64> {
    let mut tx = db.begin().await?;
    let label = LabelId::from_trusted(label.to_owned());
    let result = kirim::store::links::bulk(
        tx.conn(),
        &seeded.org,
        &seeded.account,
        &label,
        ids,
        op,
        kirim::clock::now_ms(),
        kirim::webhooks::events::CONTACT_UPDATED,
    )
    .await?;
    let kirim::store::links::Bulk::Applied { outcome, .. } = result else {
        panic!("the seeded account and label exist");
    };
    tx.commit().await?;
    Ok(outcome.applied as u64)
}

/// Bulk label p50 at the table's current size, calls one at a time.
pub(crate) async fn bulk_at_rest(
    http: &reqwest::Client,
    server: &Server,
    db: &Db,
    seeded: &seed::Seeded,
) -> Stats {
    let label = new_label(db, seeded, &format!("at rest {}", seeded.contacts.len())).await;
    let url = server.url(&format!("/v1/{PHONE_NUMBER_ID}/contacts/bulk_label"));
    load::sequential(200, |i| {
        let request = bulk_call(http, &url, seeded, &label, 99, i);
        async move { applied(request.send().await).await }
    })
    .await
}

/// A label on the first `n` contacts (attached through the floor statements).
pub(crate) async fn attach_many(db: &Db, seeded: &seed::Seeded, n: usize) -> String {
    let label = new_label(db, seeded, "deep").await;
    for chunk in seeded.contacts[..n.min(seeded.contacts.len())].chunks(IDS_PER_CALL) {
        let ids: Vec<ContactId> =
            chunk.iter().map(|id| ContactId::from_trusted(id.clone())).collect();
        floor_call(db, seeded, &label, &ids, Operation::Attach).await.expect("attach");
    }
    seed::analyze(db).await;
    label
}
