//! Secret rotation and early revocation. Rotation gives every active secret an expiry (so the
//! receiver can accept both while it switches) and adds a new one, shown only in the answer.

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::Value;

use super::subscription_id;
use super::subscriptions::find;
use crate::api::resources::Deleted;
use crate::clock;
use crate::error::{ApiError, Result};
use crate::http::body::OptionalJsonObject;
use crate::http::db::DbConn;
use crate::http::path::Path;
use crate::http::tenant::Tenant;
use crate::ids::SecretId;
use crate::state::AppState;
use crate::store::webhooks::{secrets, subscriptions};
use crate::webhooks::secret::{self, ShowsSecret};
use crate::wire::{Data, WriteJson};

/// Active secrets per subscription.
pub const MAX_ACTIVE_SECRETS: usize = 5;
pub const MAX_EXPIRES_IN_HOURS: i64 = 720;
pub const DEFAULT_EXPIRES_IN_HOURS: i64 = 24;

/// `POST /v1/webhook_subscriptions/{id}/secrets`, body `{"expires_in_hours": 0–720}`, which may
/// be left out (24 hours).
pub async fn rotate(
    State(state): State<AppState>,
    tenant: Tenant,
    mut db: DbConn,
    Path(id): Path<String>,
    OptionalJsonObject(body): OptionalJsonObject,
) -> Result<(StatusCode, Extension<ShowsSecret>, Data<NewSecret>)> {
    let id = subscription_id(&id, "id")?;
    let hours = match body.get("expires_in_hours") {
        None | Some(Value::Null) => DEFAULT_EXPIRES_IN_HOURS,
        // JSON does not tell 24 from 24.0: both are the integer 24.
        Some(value) => value
            .as_f64()
            .filter(|h| h.fract() == 0.0 && (0.0..=MAX_EXPIRES_IN_HOURS as f64).contains(h))
            .map(|h| h as i64)
            .ok_or_else(|| {
                ApiError::invalid_field(
                    "expires_in_hours",
                    "`expires_in_hours` must be an integer from 0 to 720.",
                )
            })?,
    };
    let mut subscription = find(db.conn(), &tenant, &id, true).await?;
    let now = clock::now_ms();
    let active = secrets::active(db.conn(), &subscription.id, now).await?;
    // With 0 hours the current secrets end now, so only the new one stays active.
    let active_after = if hours == 0 { 1 } else { active.len() + 1 };
    if active_after > MAX_ACTIVE_SECRETS {
        return Err(ApiError::SecretLimitReached);
    }
    secrets::expire_active(db.conn(), &subscription.id, now, now + hours * 3_600_000).await?;
    let plain = secret::generate();
    let stored = secret::seal(state.webhooks.secret_key.as_ref(), &plain);
    let secret_id = SecretId::generate();
    let (sealed, nonce) = (&stored.secret, stored.nonce.as_deref());
    secrets::insert(db.conn(), &subscription.id, &secret_id, sealed, nonce, now).await?;
    subscription.updated_at = now;
    subscriptions::update(db.conn(), &tenant.org_id, &subscription).await?;
    let shown = NewSecret {
        id: secret_id,
        object: "webhook_secret",
        secret: plain,
        created_at: clock::rfc3339(now),
        expires_at: None,
    };
    Ok((StatusCode::CREATED, Extension(ShowsSecret), Data(shown)))
}

/// A rotation's answer, the only time the secret is shown (contract §8.1).
#[derive(Debug, Serialize)]
pub struct NewSecret {
    id: SecretId,
    object: &'static str,
    secret: String,
    created_at: String,
    expires_at: Option<String>,
}

impl WriteJson for NewSecret {}

/// `DELETE /v1/webhook_subscriptions/{id}/secrets/{secret_id}`: revokes an active secret now,
/// unless it is the only one (a subscription always has one to sign with).
pub async fn revoke(
    tenant: Tenant,
    mut db: DbConn,
    Path((id, secret_id)): Path<(String, String)>,
) -> Result<Data<Deleted<SecretId>>> {
    let id = subscription_id(&id, "id")?;
    let secret_id = SecretId::parse(&secret_id)
        .ok_or(ApiError::not_found_param("webhook_secret", "secret_id"))?;
    let mut subscription = find(db.conn(), &tenant, &id, true).await?;
    let now = clock::now_ms();
    let active = secrets::active(db.conn(), &subscription.id, now).await?;
    if !active.iter().any(|s| s.id == secret_id) {
        return Err(ApiError::not_found_param("webhook_secret", "secret_id"));
    }
    if active.len() == 1 {
        return Err(ApiError::LastActiveSecret);
    }
    secrets::delete(db.conn(), &subscription.id, &secret_id).await?;
    subscription.updated_at = now;
    subscriptions::update(db.conn(), &tenant.org_id, &subscription).await?;
    Ok(Data(Deleted::new(secret_id, "webhook_secret")))
}
