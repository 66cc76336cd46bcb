//! Authentication: the bearer key becomes the caller's organisation ([`Tenant`]), and every
//! handler after this layer is tenant-scoped by taking a `Tenant`.

use std::sync::Arc;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::clock;
use crate::enums::Tier;
use crate::error::{ApiError, Result};
use crate::http::db::{ReadConn, is_write};
use crate::ids::{self, KeyId, OrgId};
use crate::state::AppState;
use crate::store::PooledConn;
use crate::store::keys::KeyOwner;

/// The authenticated caller: one organisation, through one key.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub org_id: OrgId,
    pub org_name: String,
    pub key_id: KeyId,
    pub key_label: Option<String>,
    pub key_last4: String,
    pub limits: RateLimits,
}

/// An organisation's budget per minute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimits {
    pub tier: Tier,
    pub write_per_minute: i64,
    pub read_per_minute: i64,
}

/// Middleware: resolves `Authorization: Bearer kdv_live_…` on every request, through the node's
/// key cache ([`crate::keycache`]: a revocation has reached every node's cache before it returns,
/// so the next request on any node is refused).
pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    match resolve(&state, req.headers().get(header::AUTHORIZATION)).await {
        Ok((tenant, conn)) => {
            tracing::Span::current().record("org", tenant.org_id.as_str());
            req.extensions_mut().insert(tenant);
            // A read goes on with the connection that looked its key up, if one did: one checkout
            // a request at most. A write gives it back now: holding it while waiting for the
            // transaction's connection would let a full pool deadlock on itself.
            if let Some(conn) = conn.filter(|_| !is_write(req.method())) {
                req.extensions_mut().insert(ReadConn::new(conn));
            }
            next.run(req).await
        }
        Err(error) => error.into_response(),
    }
}

async fn resolve(
    state: &AppState,
    header: Option<&header::HeaderValue>,
) -> Result<(Tenant, Option<PooledConn>)> {
    let value = header.ok_or(ApiError::MissingApiKey)?;
    let value = value.to_str().map_err(|_| ApiError::InvalidApiKey)?;
    let (scheme, secret) = value.trim().split_once(' ').ok_or(ApiError::MissingApiKey)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::MissingApiKey);
    }
    let secret = secret.trim();
    if !ids::is_well_formed_api_key(secret) {
        return Err(ApiError::InvalidApiKey);
    }
    // The lookup is by SHA-256 of the key, so the index never compares the secret itself; the
    // hash found is then checked again in constant time, so no comparison of ours leaks timing.
    let hash = ids::hash_api_key(secret);
    // A connection is checked out only when the cache cannot answer. On SQLite a read then
    // touches no pooled connection at all (it runs on the node's readers), and giving an unused
    // one back to sqlx's pool was a round trip to its thread: 12 % of a GET's time.
    // Boxed: the lookup is seldom run and its future is large, and inline it would be copied with
    // every request's (docs/performance.md, "Futures copied per request").
    let (owner, conn) = match state.key_cache.cached(&hash) {
        Some(owner) => (Some(owner), None),
        None => {
            let (owner, conn) = Box::pin(look_up(state, &hash)).await?;
            (owner, Some(conn))
        }
    };
    let owner = owner
        .filter(|owner| ids::constant_time_eq(owner.key_hash.as_bytes(), hash.as_bytes()))
        .ok_or(ApiError::InvalidApiKey)?;
    if owner.revoked_at.is_some() {
        return Err(ApiError::InvalidApiKey);
    }
    if owner.expires_at.is_some_and(|at| at <= clock::now_ms()) {
        return Err(ApiError::ExpiredApiKey);
    }
    let tenant = Tenant {
        org_id: owner.org_id.clone(),
        org_name: owner.org_name.clone(),
        key_id: owner.key_id.clone(),
        key_label: owner.key_label.clone(),
        key_last4: owner.last4.clone(),
        limits: RateLimits {
            tier: owner.tier,
            write_per_minute: owner.write_per_minute,
            read_per_minute: owner.read_per_minute,
        },
    };
    Ok((tenant, conn))
}

/// The key from the database, and the connection that looked it up (the request may go on
/// using it).
async fn look_up(state: &AppState, hash: &str) -> Result<(Option<Arc<KeyOwner>>, PooledConn)> {
    let mut conn = state.db.acquire().await?;
    let owner = state.key_cache.fetch(conn.conn(), hash).await?;
    Ok((owner, conn))
}

impl<S: Send + Sync> FromRequestParts<S> for Tenant {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self> {
        parts.extensions.get::<Tenant>().cloned().ok_or_else(|| {
            tracing::error!("handler needs a tenant but the route is not authenticated");
            ApiError::Internal
        })
    }
}
