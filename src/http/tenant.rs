//! Authentication: the bearer key becomes the caller's organisation ([`Tenant`]), and every
//! handler behind [`crate::http::guard`] is tenant-scoped by taking a `Tenant`.

use std::ops::Deref;
use std::sync::Arc;

use axum::extract::{FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use crate::clock;
use crate::error::{ApiError, Result};
use crate::http::db::{ReadConn, is_write};
use crate::ids;
use crate::state::AppState;
use crate::store::PooledConn;
use crate::store::keys::KeyOwner;

/// The authenticated caller: one organisation, through one key. It is the key's row as the
/// cache or the lookup gave it (read through `Deref`: `tenant.org_id`, `tenant.read_per_minute`),
/// shared rather than copied, so each layer and extractor that takes a `Tenant` clones one
/// reference count instead of five strings.
#[derive(Debug, Clone)]
pub struct Tenant(Arc<KeyOwner>);

impl Deref for Tenant {
    type Target = KeyOwner;

    fn deref(&self) -> &KeyOwner {
        &self.0
    }
}

/// Resolves `Authorization: Bearer kdv_live_…` into the request's [`Tenant`], through the node's
/// key cache ([`crate::keycache`]: a revocation has reached every node's cache before it returns,
/// so the next request on any node is refused); or the 401 to answer.
pub async fn authenticate(
    state: &AppState,
    mut req: Request,
) -> std::result::Result<(Request, Tenant), Response> {
    let (tenant, conn) = resolve(state, req.headers().get(header::AUTHORIZATION))
        .await
        .map_err(IntoResponse::into_response)?;
    tracing::Span::current().record("org", tenant.org_id.as_str());
    req.extensions_mut().insert(tenant.clone());
    // A read goes on with the connection that looked its key up, if one did: one checkout a
    // request at most. A write gives it back now: holding it while waiting for the transaction's
    // connection would let a full pool deadlock on itself.
    if let Some(conn) = conn.filter(|_| !is_write(req.method())) {
        req.extensions_mut().insert(ReadConn::new(conn));
    }
    Ok((req, tenant))
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
    Ok((Tenant(owner), conn))
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
