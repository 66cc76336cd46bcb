//! The transactional outbox (contract §8.5): an event and one delivery per subscription that
//! wants it are written in the transaction of the change they report, so a rolled-back change
//! has no event and a committed one has its deliveries waiting.
//!
//! Handlers call [`record`] with the request's connection. The request's transaction layer runs
//! the handler under [`tracking`] and, after a successful commit only, hands what was recorded to
//! [`committed`], which counts it and wakes this node's dispatcher. On PostgreSQL [`record`] also
//! queues a `NOTIFY kirim_webhooks`, which the database delivers to every node's listener only
//! when the transaction commits.

use std::cell::RefCell;
use std::collections::BTreeMap;

use serde::Serialize;
use tokio::sync::Notify;

use crate::clock;
use crate::ids::{self, DeliveryId, EventId, OrgId, SubscriptionId};
use crate::store::Conn;
use crate::store::webhooks::deliveries;
use crate::store::webhooks::events;
use crate::store::webhooks::subscriptions;

/// The channel dispatchers `LISTEN` on.
pub const CHANNEL: &str = "kirim_webhooks";

/// An event to record: its type and its `data`, already serialised (so `data.contact` keeps the
/// field order of `GET`).
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub event_type: &'static str,
    pub data: String,
}

impl NewEvent {
    pub fn new(event_type: &'static str, data: &impl Serialize) -> Self {
        let data = serde_json::to_string(data).expect("event data serialises");
        Self { event_type, data }
    }
}

/// What a request recorded, handed to [`committed`] once its transaction commits.
#[derive(Debug, Default)]
pub struct Recorded {
    events: BTreeMap<&'static str, u64>,
    wake: bool,
}

tokio::task_local! {
    static RECORDED: RefCell<Recorded>;
}

/// Runs `fut` (a request's handler), returning its output and what it recorded.
pub async fn tracking<F: Future>(fut: F) -> (F::Output, Recorded) {
    RECORDED
        .scope(RefCell::new(Recorded::default()), async {
            let output = fut.await;
            (output, RECORDED.with(RefCell::take))
        })
        .await
}

/// After a commit: counts the events and wakes this node's dispatcher if anything became due.
pub fn committed(recorded: Recorded, wake: &Notify) {
    for (event_type, n) in recorded.events {
        crate::metrics::webhook_events_recorded(event_type, n);
    }
    if recorded.wake {
        wake.notify_one();
    }
}

/// Marks the current request as having made deliveries due (a resume, a replay), so its commit
/// wakes the dispatcher. Outside [`tracking`] it does nothing.
pub fn wake_after_commit() {
    let _ = RECORDED.try_with(|r| r.borrow_mut().wake = true);
}

/// Also queues the cross-node wake-up for PostgreSQL (sent only if the transaction commits).
pub async fn notify_nodes(conn: Conn<'_>) -> sqlx::Result<()> {
    wake_after_commit();
    if let Conn::Postgres(c) = conn {
        sqlx::query("SELECT pg_notify($1, '')").bind(CHANNEL).execute(c).await?;
    }
    Ok(())
}

/// Whether a subscription of `org` that is active or paused lists `event_type`: one small read,
/// so that a change renders its events only when someone will receive them.
pub async fn wanted(conn: Conn<'_>, org: &OrgId, event_type: &str) -> sqlx::Result<bool> {
    subscriptions::listened(conn, org, event_type).await
}

/// Records `events` of `org` in the caller's transaction: each envelope rendered once, and one
/// delivery per subscription that is active (due now) or paused (held) and lists the type.
/// Events no such subscription wants are dropped. A few statements whatever the number of
/// events: one read of the organisation's subscriptions, one insert of the events per type, one
/// of the deliveries per subscription. The events of a request are a block of ids
/// ([`ids::ulid_block`]) that the database fills in, a block per 2^20 events.
pub async fn record(mut conn: Conn<'_>, org: &OrgId, events: Vec<NewEvent>) -> sqlx::Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let subscriptions = subscriptions::receiving(conn.reborrow(), org).await?;
    let wanted: Vec<(&SubscriptionId, bool, Vec<String>)> =
        subscriptions.iter().map(|s| (&s.id, s.status == "active", s.event_types())).collect();
    let wants =
        |event_type: &str| wanted.iter().any(|(_, _, types)| types.iter().any(|t| t == event_type));
    // An event nobody subscribed to would never be sent, nor listed: it is not stored.
    let events: Vec<NewEvent> = events.into_iter().filter(|e| wants(e.event_type)).collect();
    for block in events.chunks(1 << ids::BLOCK_BITS) {
        record_block(conn.reborrow(), org, &wanted, block).await?;
    }
    Ok(())
}

/// [`record`] for at most one block of events, each wanted by a subscription.
async fn record_block(
    mut conn: Conn<'_>,
    org: &OrgId,
    wanted: &[(&SubscriptionId, bool, Vec<String>)],
    events: &[NewEvent],
) -> sqlx::Result<()> {
    let now = clock::now_ms();
    let created_at = clock::rfc3339(now);
    // By type, each in the order recorded; the block's indexes run on from one type to the next.
    let mut by_type: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    for event in events {
        let rest = envelope_after_id(event.event_type, &created_at, &event.data);
        by_type.entry(event.event_type).or_default().push(rest);
    }
    let block = format!("{}_{}", EventId::PREFIX, ids::ulid_block());
    let mut first = 0;
    for (event_type, rests) in &by_type {
        events::insert_block(conn.reborrow(), org, &block, first, event_type, rests, now).await?;
        first += rests.len();
    }

    let mut due = false;
    for (subscription, active, types) in wanted {
        let types: Vec<&str> =
            by_type.keys().copied().filter(|t| types.iter().any(|w| w == t)).collect();
        if types.is_empty() {
            continue;
        }
        let deliveries = format!("{}_{}", DeliveryId::PREFIX, ids::ulid_block());
        let next_attempt_at = active.then_some(now);
        deliveries::fan_out(
            conn.reborrow(),
            org,
            subscription,
            &deliveries,
            &block,
            &types,
            next_attempt_at,
            now,
        )
        .await?;
        due |= *active;
    }
    if due {
        notify_nodes(conn).await?;
    }
    let _ = RECORDED.try_with(|r| {
        let mut r = r.borrow_mut();
        for (event_type, rests) in &by_type {
            *r.events.entry(event_type).or_default() += rests.len() as u64;
        }
    });
    Ok(())
}

/// The envelope `{"id","type","created_at","livemode":true,"data"}` after its `id`, which the
/// database writes in front ([`events::insert_block`]): `,"type":…,"data":…}`.
fn envelope_after_id(event_type: &str, created_at: &str, data: &str) -> String {
    let quoted = |s: &str| serde_json::to_string(s).expect("a string serialises");
    format!(
        ",\"type\":{},\"created_at\":{},\"livemode\":true,\"data\":{data}}}",
        quoted(event_type),
        quoted(created_at),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_envelope_is_json_in_the_documented_order_once_its_id_is_in_front() {
        let rest =
            envelope_after_id("contact.created", "2026-05-23T10:00:00.000Z", r#"{"b":1,"a":2}"#);
        let text = format!(r#"{{"id":"evt_01J0000000000000000000000"{rest}"#);
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["type"], "contact.created");
        assert_eq!(value["livemode"], true);
        assert!(text.starts_with(r#"{"id":"evt_"#) && text.ends_with(r#""data":{"b":1,"a":2}}"#));
    }
}
