//! `/v1/webhook_subscriptions`: create (with the initial secret, shown once), list, fetch,
//! update (URL, description, events, pause/resume/re-enable) and delete.

use std::collections::HashSet;

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::Value;

use super::{event_type, subscription_id, time_or_null};
use crate::api::resources::Deleted;
use crate::clock;
use crate::error::{ApiError, Result};
use crate::http::body::{JsonObject, Patch};
use crate::http::db::DbConn;
use crate::http::page::PageRequest;
use crate::http::path::Path;
use crate::http::query::QueryParams;
use crate::http::tenant::Tenant;
use crate::ids::{SecretId, SubscriptionId};
use crate::state::AppState;
use crate::store::Conn;
use crate::store::webhooks::deliveries;
use crate::store::webhooks::secrets::{self, SecretRow};
use crate::store::webhooks::subscriptions::{self, SubscriptionRow};
use crate::validate;
use crate::webhooks::secret::ShowsSecret;
use crate::webhooks::target::CheckedAhead;
use crate::webhooks::{outbox, secret, target};
use crate::wire::{Data, List, WriteJson};

/// Subscriptions per organisation.
pub const MAX_SUBSCRIPTIONS: i64 = 20;
/// Event types per subscription.
pub const MAX_EVENTS: usize = 50;
pub const DESCRIPTION_MAX_CHARS: usize = 255;

#[derive(Debug, Serialize)]
pub struct SubscriptionOut {
    id: SubscriptionId,
    object: &'static str,
    url: String,
    description: Option<String>,
    events: Vec<String>,
    status: String,
    secrets: Vec<SecretSummary>,
    created_at: String,
    updated_at: String,
    disabled_reason: Option<String>,
    consecutive_failures: i64,
}

impl WriteJson for SubscriptionOut {}

/// A signing secret as the subscription shows it: never the secret itself.
#[derive(Debug, Serialize)]
struct SecretSummary {
    id: SecretId,
    created_at: String,
    expires_at: Option<String>,
}

impl SubscriptionOut {
    fn new(s: SubscriptionRow, secrets: Vec<SecretRow>) -> Self {
        Self {
            events: s.event_types(),
            id: s.id,
            object: "webhook_subscription",
            url: s.url,
            description: s.description,
            status: s.status,
            secrets: secrets
                .into_iter()
                .map(|k| SecretSummary {
                    id: k.id,
                    created_at: clock::rfc3339(k.created_at),
                    expires_at: time_or_null(k.expires_at),
                })
                .collect(),
            created_at: clock::rfc3339(s.created_at),
            updated_at: clock::rfc3339(s.updated_at),
            disabled_reason: s.disabled_reason,
            consecutive_failures: s.consecutive_failures,
        }
    }
}

/// The creation answer: the subscription and, this once, its secret.
#[derive(Serialize)]
pub struct Created {
    #[serde(flatten)]
    subscription: SubscriptionOut,
    initial_secret: String,
}

impl WriteJson for Created {}

/// The subscription with its active secrets, or 404.
pub(super) async fn find(
    mut conn: Conn<'_>,
    tenant: &Tenant,
    id: &SubscriptionId,
    lock: bool,
) -> Result<SubscriptionRow> {
    subscriptions::get(conn.reborrow(), &tenant.org_id, id, lock)
        .await?
        .ok_or(ApiError::not_found_param("webhook_subscription", "id"))
}

async fn out(conn: Conn<'_>, row: SubscriptionRow) -> Result<SubscriptionOut> {
    let secrets = secrets::active(conn, &row.id, clock::now_ms()).await?;
    Ok(SubscriptionOut::new(row, secrets))
}

/// The receiver URL, checked against the address policy after resolving its host: before the
/// transaction began where it could be ([`crate::http::transaction`]), or now.
async fn checked_url(state: &AppState, ahead: Option<&CheckedAhead>, raw: &str) -> Result<String> {
    let checked = match ahead.and_then(|ahead| ahead.answer_for(raw)) {
        Some(checked) => checked,
        None => target::check_url(raw, state.webhooks.allow_private).await,
    };
    match checked {
        Ok(target) => Ok(target.url.to_string()),
        Err(refusal) => Err(ApiError::InvalidWebhookUrl(refusal.to_string())),
    }
}

/// 1 to 50 known event types, duplicates dropped (first occurrence kept), as stored JSON.
fn event_list(value: Option<&Value>) -> Result<String> {
    let items = match value {
        None | Some(Value::Null) => return Err(ApiError::MissingField("events".into())),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(ApiError::invalid_field("events", "`events` must be an array.")),
    };
    if items.is_empty() || items.len() > MAX_EVENTS {
        return Err(ApiError::invalid_field(
            "events",
            format!("`events` must hold 1 to {MAX_EVENTS} event types."),
        ));
    }
    let mut seen = HashSet::new();
    let mut types = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let name = event_type(item, &format!("events[{i}]"))?;
        if seen.insert(name) {
            types.push(name);
        }
    }
    Ok(serde_json::to_string(&types).expect("strings serialise"))
}

fn description(raw: &str) -> Result<String> {
    validate::no_nul("description", raw)?;
    if raw.chars().count() > DESCRIPTION_MAX_CHARS {
        return Err(ApiError::invalid_field(
            "description",
            format!("`description` must be at most {DESCRIPTION_MAX_CHARS} characters."),
        ));
    }
    Ok(raw.to_owned())
}

pub async fn create(
    State(state): State<AppState>,
    tenant: Tenant,
    ahead: Option<Extension<CheckedAhead>>,
    mut db: DbConn,
    body: JsonObject,
) -> Result<(StatusCode, Extension<ShowsSecret>, Data<Created>)> {
    let raw_url = body.required_str("url")?;
    let events = event_list(body.get("events"))?;
    let description = body.optional_str("description")?.map(description).transpose()?;
    let url = checked_url(&state, ahead.as_deref(), raw_url).await?;
    if subscriptions::count_for_create(db.conn(), &tenant.org_id).await? >= MAX_SUBSCRIPTIONS {
        return Err(ApiError::SubscriptionLimitReached);
    }

    let now = clock::now_ms();
    let row = SubscriptionRow {
        id: SubscriptionId::generate(),
        url,
        description,
        events,
        status: "active".into(),
        disabled_reason: None,
        consecutive_failures: 0,
        created_at: now,
        updated_at: now,
    };
    subscriptions::insert(db.conn(), &tenant.org_id, &row).await?;
    let plain = secret::generate();
    let stored = secret::seal(state.webhooks.secret_key.as_ref(), &plain);
    let secret_id = SecretId::generate();
    let (sealed, nonce) = (&stored.secret, stored.nonce.as_deref());
    secrets::insert(db.conn(), &row.id, &secret_id, sealed, nonce, now).await?;
    let subscription = out(db.conn(), row).await?;
    let created = Created { subscription, initial_secret: plain };
    Ok((StatusCode::CREATED, Extension(ShowsSecret), Data(created)))
}

pub async fn list(
    State(state): State<AppState>,
    tenant: Tenant,
    mut db: DbConn,
    query: QueryParams,
) -> Result<List<SubscriptionOut>> {
    let scope = format!("webhook_subscriptions|{}", tenant.org_id);
    let page = PageRequest::parse(&query, &state.cursors, scope)?;
    let after = page.after(SubscriptionId::parse)?;
    let mut rows =
        subscriptions::list(db.conn(), &tenant.org_id, after.as_ref(), page.limit).await?;
    let next_cursor = page.finish(&mut rows, &state.cursors, |s| s.id.as_str());
    // At most 20 subscriptions per organisation: one small secrets query each.
    let mut data = Vec::with_capacity(rows.len());
    for row in rows {
        data.push(out(db.conn(), row).await?);
    }
    Ok(List { data, next_cursor })
}

pub async fn fetch(
    tenant: Tenant,
    mut db: DbConn,
    Path(id): Path<String>,
) -> Result<Data<SubscriptionOut>> {
    let id = subscription_id(&id, "id")?;
    let row = find(db.conn(), &tenant, &id, false).await?;
    Ok(Data(out(db.conn(), row).await?))
}

/// PATCH: `url`, `description` (`null` clears it), `events` (replaces the set), `status`.
/// Pausing holds the unfinished deliveries; resuming releases them, oldest first; `active` (or
/// `paused`) on a disabled subscription re-enables it with its failure count at zero.
pub async fn update(
    State(state): State<AppState>,
    tenant: Tenant,
    ahead: Option<Extension<CheckedAhead>>,
    mut db: DbConn,
    Path(id): Path<String>,
    body: JsonObject,
) -> Result<Data<SubscriptionOut>> {
    let id = subscription_id(&id, "id")?;
    let before = find(db.conn(), &tenant, &id, true).await?;
    let mut row = before.clone();
    match body.patch_str("url")? {
        Patch::Absent => {}
        Patch::Null => return Err(ApiError::invalid_field("url", "`url` cannot be null.")),
        Patch::Value(raw) => row.url = checked_url(&state, ahead.as_deref(), raw).await?,
    }
    match body.patch_str("description")? {
        Patch::Absent => {}
        Patch::Null => row.description = None,
        Patch::Value(raw) => row.description = Some(description(raw)?),
    }
    match body.get("events") {
        None => {}
        Some(Value::Null) => {
            return Err(ApiError::invalid_field("events", "`events` cannot be null."));
        }
        value => row.events = event_list(value)?,
    }
    match body.patch_str("status")? {
        Patch::Absent => {}
        Patch::Value(status @ ("active" | "paused")) => {
            if before.status == "disabled" {
                row.disabled_reason = None;
                row.consecutive_failures = 0;
            }
            row.status = status.to_owned();
        }
        _ => {
            return Err(ApiError::invalid_field(
                "status",
                "`status` must be `active` or `paused`.",
            ));
        }
    }

    let unchanged = (&row.url, &row.description, &row.events, &row.status)
        == (&before.url, &before.description, &before.events, &before.status);
    if unchanged {
        return Ok(Data(out(db.conn(), before).await?));
    }
    let now = clock::now_ms();
    row.updated_at = now;
    subscriptions::update(db.conn(), &tenant.org_id, &row).await?;
    match (before.status.as_str(), row.status.as_str()) {
        ("active", "paused") => {
            deliveries::hold(db.conn(), &row.id, now).await?;
        }
        ("paused", "active") if deliveries::release(db.conn(), &row.id, now).await? > 0 => {
            outbox::notify_nodes(db.conn()).await?;
        }
        _ => {}
    }
    Ok(Data(out(db.conn(), row).await?))
}

/// Deletes the subscription: its unfinished deliveries become `dead`
/// (`subscription_deleted`) and its secrets are forgotten.
pub async fn remove(
    tenant: Tenant,
    mut db: DbConn,
    Path(id): Path<String>,
) -> Result<Data<Deleted<SubscriptionId>>> {
    let id = subscription_id(&id, "id")?;
    find(db.conn(), &tenant, &id, true).await?;
    let now = clock::now_ms();
    if !subscriptions::mark_deleted(db.conn(), &tenant.org_id, &id, now).await? {
        return Err(ApiError::not_found_param("webhook_subscription", "id"));
    }
    deliveries::kill_unfinished(db.conn(), &id, "subscription_deleted", now).await?;
    secrets::delete_all(db.conn(), &id).await?;
    Ok(Data(Deleted::new(id, "webhook_subscription")))
}
