//! Every write request is one transaction, and a POST with an `Idempotency-Key` stores its
//! response in that same transaction (contract §6).
//!
//! [`in_transaction`] takes the body (already read in full by [`crate::http::body::buffered`],
//! so a slow client never holds a lock), begins the transaction, runs the handler, then commits
//! on success or rolls back on any error: a handler cannot leave half its writes behind. With a
//! key, the request first claims the key inside the transaction; the claim, the effect and the
//! stored response commit together or not at all, so a crash leaves either all of them or none.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::clock;
use crate::error::{ApiError, Result};
use crate::http::body::ReadBody;
use crate::http::db::{TxSlot, is_write};
use crate::http::tenant::Tenant;
use crate::ids::hex;
use crate::state::AppState;
use crate::store::Tx;
use crate::store::idempotency::{self as records, StoredResponse};
use crate::webhooks::outbox::{self, Recorded};
use crate::webhooks::secret::{self, ShowsSecret};
use crate::webhooks::target::CheckedAhead;
use crate::wire::{self, REQUEST_ID_HEADER};

pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
pub const REPLAYED: &str = "idempotent-replayed";
pub const MAX_KEY_CHARS: usize = 255;

/// Runs the rest of `tenant`'s request; wraps every write in one transaction, and makes keyed
/// POSTs idempotent.
pub async fn in_transaction(
    state: &AppState,
    tenant: &Tenant,
    req: Request,
    next: Next,
) -> Response {
    if !is_write(req.method()) {
        return next.run(req).await;
    }
    // Boxed: axum moves every layer's future into a box of its own on every request, reads
    // included, and inline the write path (transaction, idempotency record) made this layer's
    // future several kilobytes to copy (docs/performance.md, "Futures copied per request").
    match Box::pin(run(state, tenant, req, next)).await {
        Ok(response) | Err(response) => response,
    }
}

type Flow<T> = std::result::Result<T, Response>;

async fn run(state: &AppState, tenant: &Tenant, req: Request, next: Next) -> Flow<Response> {
    let (parts, body) = req.into_parts();
    // Only POST is idempotent by key; PATCH and DELETE ignore the header (§6).
    let key = if parts.method == Method::POST {
        idempotency_key(&parts.headers).map_err(reply)?
    } else {
        None
    };
    let bytes = ReadBody::of(&parts, body).await.map_err(reply)?;
    let mut parts = parts;
    check_receiver_ahead(state, &mut parts, &bytes).await;
    let tx = state.db.begin().await.map_err(|e| reply(e.into()))?;
    match key {
        Some(key) => idempotent(state, tx, tenant, &key, parts, bytes, next).await,
        None => {
            let (response, tx, recorded) = handle(tx, parts, bytes, next).await;
            finish(state, tx, response, recorded).await
        }
    }
}

/// The one lookup a write makes that can be slow, a webhook receiver's host (up to 2 s), runs
/// here, before the transaction begins. Inside it, the lookup would hold SQLite's write gate, and
/// every writer of the node would wait on one tenant's resolver. The subscription's handler
/// takes the answer from the request ([`CheckedAhead`]).
async fn check_receiver_ahead(state: &AppState, parts: &mut Parts, body: &[u8]) {
    #[derive(serde::Deserialize)]
    struct Receiver {
        url: String,
    }
    if !parts.uri.path().starts_with("/v1/webhook_subscriptions") {
        return;
    }
    let Ok(Receiver { url }) = serde_json::from_slice(body) else { return };
    parts.extensions.insert(CheckedAhead::check(url, state.webhooks.allow_private).await);
}

/// Runs the handler with `tx` available to it; returns the response, the transaction and the
/// webhook events the handler recorded in it.
async fn handle(
    tx: Tx,
    parts: Parts,
    bytes: Bytes,
    next: Next,
) -> (Response, Option<Tx>, Recorded) {
    let slot = TxSlot::new(tx);
    let mut req = Request::from_parts(parts, Body::empty());
    req.extensions_mut().insert(ReadBody(bytes));
    req.extensions_mut().insert(slot.clone());
    let (response, recorded) = outbox::tracking(next.run(req)).await;
    (response, slot.take(), recorded)
}

/// Commits on success (then wakes the webhook dispatcher if events were recorded), rolls back
/// otherwise.
async fn finish(
    state: &AppState,
    tx: Option<Tx>,
    response: Response,
    recorded: Recorded,
) -> Flow<Response> {
    let Some(tx) = tx else { return Ok(response) };
    if response.status().is_success() {
        tx.commit().await.map_err(|e| reply(e.into()))?;
        outbox::committed(recorded, &state.webhook_wake);
    } else {
        rollback(tx).await;
    }
    Ok(response)
}

async fn rollback(tx: Tx) {
    if let Err(error) = tx.rollback().await {
        tracing::warn!(%error, "rollback failed; the connection is discarded");
    }
}

fn reply(error: ApiError) -> Response {
    error.into_response()
}

/// The `Idempotency-Key` header, if any: 1 to 255 characters of visible ASCII.
pub fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>> {
    let Some(value) = headers.get(IDEMPOTENCY_KEY) else { return Ok(None) };
    let key = value.to_str().map_err(|_| ApiError::InvalidIdempotencyKey)?;
    // `to_str` also lets tabs through; a key is visible ASCII and spaces only.
    let visible = key.bytes().all(|b| (0x20..0x7f).contains(&b));
    if key.is_empty() || key.len() > MAX_KEY_CHARS || !visible {
        return Err(ApiError::InvalidIdempotencyKey);
    }
    Ok(Some(key.to_owned()))
}

/// SHA-256 of method, path and the body as canonical JSON (keys sorted, no whitespace), so the
/// same request spelled differently is still the same request. A body that is not JSON is
/// hashed as sent.
pub fn fingerprint(parts: &Parts, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    hash.update(parts.method.as_str());
    hash.update(b"\n");
    hash.update(parts.uri.path());
    hash.update(b"\n");
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(json) => hash.update(json.to_string()),
        Err(_) => hash.update(body),
    }
    hex(&hash.finalize())
}

#[allow(clippy::too_many_arguments, reason = "the request's parts, taken apart once by the caller")]
async fn idempotent(
    state: &AppState,
    mut tx: Tx,
    tenant: &Tenant,
    key: &str,
    parts: Parts,
    bytes: Bytes,
    next: Next,
) -> Flow<Response> {
    let fingerprint = fingerprint(&parts, &bytes);
    let claimed = async {
        records::set_wait(tx.conn(), state.idempotency_wait.as_millis() as u64).await?;
        records::claim(tx.conn(), &tenant.org_id, key, &fingerprint, clock::now_ms()).await
    }
    .await;
    let claimed = match claimed {
        Ok(claimed) => claimed,
        Err(error) => {
            rollback(tx).await;
            return Err(if records::is_lock_timeout(&error) {
                reply(ApiError::IdempotencyInProgress)
            } else {
                reply(error.into())
            });
        }
    };

    if !claimed {
        let stored = records::get(tx.conn(), &tenant.org_id, key).await;
        rollback(tx).await;
        return match stored.map_err(|e| reply(e.into()))? {
            Some(stored) if stored.fingerprint != fingerprint => {
                Err(reply(ApiError::IdempotencyKeyReuse))
            }
            Some(stored) => Ok(replay(state, stored)),
            // Purged between the claim and the read: the client may simply retry.
            None => Err(reply(ApiError::IdempotencyInProgress)),
        };
    }

    if let Err(error) = records::savepoint(tx.conn()).await {
        rollback(tx).await;
        return Err(reply(error.into()));
    }
    let (response, tx, recorded) = handle(tx, parts, bytes, next).await;
    let Some(mut tx) = tx else { return Ok(response) };
    let status = response.status();
    if status.is_server_error() {
        // Not stored: the claim goes with the rollback, so a retry may succeed.
        rollback(tx).await;
        return Ok(with_replayed(response, false));
    }

    let (head, body) = response.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let stored = async {
        if !status.is_success() {
            // A failed request keeps no effect, but its answer is stored like any other.
            records::rollback_to_savepoint(tx.conn()).await?;
        }
        let mut text = String::from_utf8_lossy(&body);
        if head.extensions.get::<ShowsSecret>().is_some() {
            let key = state.webhooks.secret_key.as_ref();
            text = secret::seal_text(key, text.into_owned()).into();
        }
        let request_id = wire::current_request_id();
        records::complete(tx.conn(), &tenant.org_id, key, status.as_u16(), &text, &request_id)
            .await?;
        tx.commit().await
    }
    .await;
    stored.map_err(|e| reply(e.into()))?;
    if status.is_success() {
        outbox::committed(recorded, &state.webhook_wake);
    }
    Ok(with_replayed(Response::from_parts(head, Body::from(body)), false))
}

/// The stored answer, verbatim, under the original request's id.
fn replay(state: &AppState, stored: StoredResponse) -> Response {
    let key = state.webhooks.secret_key.as_ref();
    let body = match secret::open_text(key, stored.response_body) {
        Ok(body) => body,
        Err(error) => {
            tracing::error!(%error, "a stored answer showing a secret cannot be opened");
            return reply(ApiError::Internal);
        }
    };
    crate::metrics::idempotent_replay();
    let status = u16::try_from(stored.status_code)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Ok(id) = HeaderValue::from_str(&stored.request_id) {
        headers.insert(REQUEST_ID_HEADER, id);
    }
    with_replayed(response, true)
}

fn with_replayed(mut response: Response, replayed: bool) -> Response {
    let value = HeaderValue::from_static(if replayed { "true" } else { "false" });
    response.headers_mut().insert(REPLAYED, value);
    response
}

/// Background task: deletes expired records every `every`.
pub async fn purge_forever(db: crate::store::Db, every: Duration) {
    loop {
        tokio::time::sleep(every).await;
        match db.acquire().await {
            Ok(mut conn) => match records::purge_expired(conn.conn(), clock::now_ms()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(purged = n, "expired idempotency records deleted"),
                Err(error) => tracing::warn!(%error, "idempotency purge failed"),
            },
            Err(error) => tracing::warn!(%error, "idempotency purge: no connection"),
        }
    }
}
