//! `/v1/webhook_deliveries`: what was sent where, and replays (one delivery, or up to 1,000
//! matching ones) of the same event body to the subscription's current URL and secrets.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use super::{event_type, subscription_id, time_or_null, timestamp};
use crate::clock;
use crate::error::{ApiError, Result};
use crate::http::body::JsonObject;
use crate::http::db::DbConn;
use crate::http::page::PageRequest;
use crate::http::path::Path;
use crate::http::query::QueryParams;
use crate::http::tenant::Tenant;
use crate::ids::{DeliveryId, EventId, SubscriptionId};
use crate::state::AppState;
use crate::store::Conn;
use crate::store::webhooks::deliveries::{
    self, DeliveryFilter, DeliveryRow, NewDelivery, ReplayFilter,
};
use crate::store::webhooks::subscriptions;
use crate::webhooks::outbox;
use crate::wire::{Data, List, WriteJson};

/// Deliveries one bulk replay enqueues at most.
pub const MAX_BULK_REPLAY: i64 = 1000;
pub const STATUSES: [&str; 4] = ["pending", "failed", "delivered", "dead"];

#[derive(Debug, Serialize)]
pub struct DeliveryOut {
    id: DeliveryId,
    object: &'static str,
    subscription_id: SubscriptionId,
    event_id: EventId,
    event_type: String,
    status: String,
    attempts: i64,
    next_attempt_at: Option<String>,
    last_attempt_at: Option<String>,
    response_status: Option<i64>,
    last_error: Option<String>,
    replayed_from: Option<DeliveryId>,
    created_at: String,
    updated_at: String,
    response_body: Option<String>,
    /// The event's body as stored, signed and sent, byte for byte (a receiver can check a
    /// signature over it).
    payload: Box<RawValue>,
}

impl WriteJson for DeliveryOut {}

impl From<DeliveryRow> for DeliveryOut {
    fn from(d: DeliveryRow) -> Self {
        Self {
            id: d.id,
            object: "webhook_delivery",
            subscription_id: d.subscription_id,
            event_id: d.event_id,
            event_type: d.event_type,
            status: d.status,
            attempts: d.attempts,
            next_attempt_at: time_or_null(d.next_attempt_at),
            last_attempt_at: time_or_null(d.last_attempt_at),
            response_status: d.response_status,
            last_error: d.last_error,
            replayed_from: d.replayed_from,
            created_at: clock::rfc3339(d.created_at),
            updated_at: clock::rfc3339(d.updated_at),
            response_body: d.response_body,
            payload: RawValue::from_string(d.payload).unwrap_or_else(|_| null()),
        }
    }
}

fn null() -> Box<RawValue> {
    RawValue::from_string("null".to_owned()).expect("`null` is JSON")
}

fn parse_id(raw: &str) -> Result<DeliveryId> {
    DeliveryId::parse(raw).ok_or(ApiError::not_found_param("webhook_delivery", "id"))
}

/// A subscription the organisation has (or had: a deleted one's deliveries stay listable).
async fn known_subscription(conn: Conn<'_>, tenant: &Tenant, raw: &str) -> Result<SubscriptionId> {
    let id = subscription_id(raw, "subscription_id")?;
    if subscriptions::exists(conn, &tenant.org_id, &id).await? {
        Ok(id)
    } else {
        Err(ApiError::not_found_param("webhook_subscription", "subscription_id"))
    }
}

fn status_filter(raw: &str, allowed: &[&'static str]) -> Result<&'static str> {
    allowed.iter().copied().find(|s| *s == raw).ok_or_else(|| {
        ApiError::invalid_field(
            "status",
            format!("`status` must be one of {}.", allowed.join(", ")),
        )
    })
}

/// Newest first; filters `subscription_id`, `status`, `event_type`, `event_id`,
/// `created_after`, `created_before` (both exclusive).
pub async fn list(
    State(state): State<AppState>,
    tenant: Tenant,
    mut db: DbConn,
    query: QueryParams,
) -> Result<List<DeliveryOut>> {
    let subscription = match query.get("subscription_id") {
        Some(raw) => Some(known_subscription(db.conn(), &tenant, raw).await?),
        None => None,
    };
    let status = query.get("status").map(|s| status_filter(s, &STATUSES)).transpose()?;
    let event_type =
        query.get("event_type").map(|t| event_type(&json!(t), "event_type")).transpose()?;
    let event_id = query
        .get("event_id")
        .map(|raw| {
            EventId::parse(raw).ok_or_else(|| {
                ApiError::invalid_field("event_id", "`event_id` is not an event id (evt_…).")
            })
        })
        .transpose()?;
    let created_after = query.get("created_after").map(|t| timestamp(t, "created_after"));
    let created_after = created_after.transpose()?;
    let created_before = query.get("created_before").map(|t| timestamp(t, "created_before"));
    let created_before = created_before.transpose()?;

    let scope = format!(
        "webhook_deliveries|{}|sub={}|status={}|type={}|event={}|after={}|before={}",
        tenant.org_id,
        subscription.as_ref().map_or("", |s| s.as_str()),
        status.unwrap_or(""),
        event_type.unwrap_or(""),
        event_id.as_ref().map_or("", |e| e.as_str()),
        created_after.map_or(String::new(), |t| t.to_string()),
        created_before.map_or(String::new(), |t| t.to_string()),
    );
    let page = PageRequest::parse(&query, &state.cursors, scope)?;
    let after = page.after(DeliveryId::parse)?;
    let filter = DeliveryFilter {
        subscription: subscription.as_ref(),
        status,
        event_type,
        event_id: event_id.as_ref(),
        created_after,
        created_before,
        after: after.as_ref(),
    };
    let mut rows = deliveries::list(db.conn(), &tenant.org_id, &filter, page.limit).await?;
    let next_cursor = page.finish(&mut rows, &state.cursors, |d| d.id.as_str());
    Ok(List { data: rows.into_iter().map(DeliveryOut::from).collect(), next_cursor })
}

pub async fn fetch(
    tenant: Tenant,
    mut db: DbConn,
    Path(id): Path<String>,
) -> Result<Data<DeliveryOut>> {
    let id = parse_id(&id)?;
    let row = deliveries::get(db.conn(), &tenant.org_id, &id)
        .await?
        .ok_or(ApiError::not_found_param("webhook_delivery", "id"))?;
    Ok(Data(row.into()))
}

/// The subscription, if it is active (locked against a concurrent pause), else 409.
async fn active_subscription(conn: Conn<'_>, tenant: &Tenant, id: &SubscriptionId) -> Result<()> {
    match subscriptions::get(conn, &tenant.org_id, id, true).await? {
        Some(s) if s.status == "active" => Ok(()),
        _ => Err(ApiError::SubscriptionNotActive),
    }
}

/// A new delivery of the same event, due now.
fn replay_of(
    id: DeliveryId,
    subscription: &SubscriptionId,
    event_id: EventId,
    event_type: String,
) -> NewDelivery {
    NewDelivery {
        id: DeliveryId::generate(),
        subscription_id: subscription.clone(),
        event_id,
        event_type,
        next_attempt_at: Some(clock::now_ms()),
        replayed_from: Some(id),
    }
}

/// `POST /v1/webhook_deliveries/{id}/replay` → 202.
pub async fn replay(
    tenant: Tenant,
    mut db: DbConn,
    Path(id): Path<String>,
) -> Result<(StatusCode, Data<Value>)> {
    let id = parse_id(&id)?;
    let original = deliveries::get(db.conn(), &tenant.org_id, &id)
        .await?
        .ok_or(ApiError::not_found_param("webhook_delivery", "id"))?;
    active_subscription(db.conn(), &tenant, &original.subscription_id).await?;
    let new =
        replay_of(original.id, &original.subscription_id, original.event_id, original.event_type);
    deliveries::insert_many(db.conn(), &tenant.org_id, std::slice::from_ref(&new), clock::now_ms())
        .await?;
    outbox::notify_nodes(db.conn()).await?;
    Ok((
        StatusCode::ACCEPTED,
        Data(json!({
            "id": new.id,
            "object": "webhook_delivery",
            "replayed_from": id,
            "status": "pending",
        })),
    ))
}

/// `POST /v1/webhook_deliveries/bulk_replay` → 202 `{enqueued, capped}`: up to 1,000 matching
/// deliveries, oldest first, that were not replayed before.
pub async fn bulk_replay(
    tenant: Tenant,
    mut db: DbConn,
    body: JsonObject,
) -> Result<(StatusCode, Data<Value>)> {
    let raw = body.required_str("subscription_id")?;
    let status = match body.optional_str("status")? {
        None => "dead",
        Some(raw) => status_filter(raw, &["dead", "failed"])?,
    };
    let event_type = match body.get("event_type") {
        None | Some(Value::Null) => None,
        Some(value) => Some(event_type(value, "event_type")?),
    };
    let created_after = body.optional_str("created_after")?;
    let created_after = created_after.map(|t| timestamp(t, "created_after")).transpose()?;
    let created_before = body.optional_str("created_before")?;
    let created_before = created_before.map(|t| timestamp(t, "created_before")).transpose()?;
    let subscription = subscription_id(raw, "subscription_id")?;
    // Locked against a concurrent pause; a deleted one is not found, a paused one is a 409.
    match subscriptions::get(db.conn(), &tenant.org_id, &subscription, true).await? {
        None => return Err(ApiError::not_found_param("webhook_subscription", "subscription_id")),
        Some(s) if s.status != "active" => return Err(ApiError::SubscriptionNotActive),
        Some(_) => {}
    }

    let filter = ReplayFilter {
        subscription: &subscription,
        status,
        event_type,
        created_after,
        created_before,
    };
    let mut found =
        deliveries::replayable(db.conn(), &tenant.org_id, &filter, MAX_BULK_REPLAY + 1).await?;
    let capped = found.len() as i64 > MAX_BULK_REPLAY;
    found.truncate(MAX_BULK_REPLAY as usize);
    let new: Vec<NewDelivery> = found
        .into_iter()
        .map(|d| replay_of(d.id, &subscription, d.event_id, d.event_type))
        .collect();
    deliveries::insert_many(db.conn(), &tenant.org_id, &new, clock::now_ms()).await?;
    if !new.is_empty() {
        outbox::notify_nodes(db.conn()).await?;
    }
    Ok((StatusCode::ACCEPTED, Data(json!({ "enqueued": new.len(), "capped": capped }))))
}
