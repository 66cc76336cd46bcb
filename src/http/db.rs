//! Every write request is one transaction.
//!
//! [`in_transaction`] buffers the body (so a slow client never holds a lock), begins the
//! transaction, and after the handler commits it on success or rolls it back on any error: a
//! handler cannot leave half its writes behind. Handlers reach the database through [`DbConn`],
//! which is that transaction for writes and a pooled connection for reads.

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::Method;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, Result};
use crate::http::body::read_body;
use crate::state::AppState;
use crate::store::{Conn, PooledConn, Tx};

/// Where the request's transaction waits while the handler is not holding it.
#[derive(Clone)]
pub struct TxSlot(Arc<Mutex<Option<Tx>>>);

impl TxSlot {
    fn new(tx: Tx) -> Self {
        Self(Arc::new(Mutex::new(Some(tx))))
    }

    fn take(&self) -> Option<Tx> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    fn put(&self, tx: Tx) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(tx);
    }
}

pub fn is_write(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Middleware: wraps a write request in one transaction.
pub async fn in_transaction(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if !is_write(req.method()) {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let bytes = match read_body(body).await {
        Ok(bytes) => bytes,
        Err(error) => return error.into_response(),
    };
    let tx = match state.db.begin().await {
        Ok(tx) => tx,
        Err(error) => return ApiError::from(error).into_response(),
    };
    let slot = TxSlot::new(tx);
    let mut req = Request::from_parts(parts, Body::from(bytes));
    req.extensions_mut().insert(slot.clone());

    let response = next.run(req).await;

    let Some(tx) = slot.take() else {
        return response;
    };
    if response.status().is_success() {
        if let Err(error) = tx.commit().await {
            return ApiError::from(error).into_response();
        }
    } else if let Err(error) = tx.rollback().await {
        tracing::warn!(%error, "rollback failed; the connection is discarded");
    }
    response
}

/// The handler's way to the database.
pub enum DbConn {
    Pooled(PooledConn),
    /// Borrowed from the request's [`TxSlot`] and handed back on drop.
    InTx(Option<Tx>, TxSlot),
}

impl DbConn {
    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            Self::Pooled(c) => c.conn(),
            Self::InTx(tx, _) => tx.as_mut().expect("present until drop").conn(),
        }
    }
}

impl Drop for DbConn {
    fn drop(&mut self) {
        if let Self::InTx(tx, slot) = self {
            if let Some(tx) = tx.take() {
                slot.put(tx);
            }
        }
    }
}

impl FromRequestParts<AppState> for DbConn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        if let Some(slot) = parts.extensions.get::<TxSlot>() {
            if let Some(tx) = slot.take() {
                return Ok(Self::InTx(Some(tx), slot.clone()));
            }
        }
        Ok(Self::Pooled(state.db.acquire().await?))
    }
}
