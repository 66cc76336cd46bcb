//! How handlers reach the database: [`DbConn`] is the request's transaction for writes (see
//! [`crate::http::transaction`]) and a pooled connection for reads; [`Reads`] serves read
//! handlers whose statements all take a [`Read`], without a pooled connection on SQLite.

use std::sync::{Arc, Mutex};

use axum::extract::FromRequestParts;
use axum::http::Method;
use axum::http::request::Parts;

use crate::error::{ApiError, Result};
use crate::state::AppState;
use crate::store::read::Readers;
use crate::store::{Conn, PooledConn, Read, Tx};

/// Writes run in the request's transaction; everything else reads from the pool.
pub fn is_write(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Where the request's transaction waits while the handler is not holding it.
#[derive(Clone)]
pub struct TxSlot(Arc<Mutex<Option<Tx>>>);

impl TxSlot {
    pub fn new(tx: Tx) -> Self {
        Self(Arc::new(Mutex::new(Some(tx))))
    }

    pub fn take(&self) -> Option<Tx> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take()
    }

    fn put(&self, tx: Tx) {
        *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(tx);
    }
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
        if let Self::InTx(tx, slot) = self
            && let Some(tx) = tx.take()
        {
            slot.put(tx);
        }
    }
}

/// The connection a read request was authenticated with, passed on to its handler.
#[derive(Clone)]
pub struct ReadConn(Arc<Mutex<Option<PooledConn>>>);

impl ReadConn {
    pub fn new(conn: PooledConn) -> Self {
        Self(Arc::new(Mutex::new(Some(conn))))
    }

    fn take(&self) -> Option<PooledConn> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take()
    }
}

impl FromRequestParts<AppState> for DbConn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        if is_write(&parts.method) {
            // A write runs in the request's transaction or not at all: a pooled connection here
            // would commit its statements one by one, outside the transaction's all-or-nothing.
            let slot = parts.extensions.get::<TxSlot>();
            return match slot.and_then(|slot| slot.take().map(|tx| (tx, slot.clone()))) {
                Some((tx, slot)) => Ok(Self::InTx(Some(tx), slot)),
                None => {
                    tracing::error!("a write handler found no transaction to run in");
                    Err(ApiError::Internal)
                }
            };
        }
        if let Some(conn) = parts.extensions.get::<ReadConn>().and_then(ReadConn::take) {
            return Ok(Self::Pooled(conn));
        }
        Ok(Self::Pooled(state.db.acquire().await?))
    }
}

/// A read handler's way to the database when every statement it runs takes a [`Read`]: on a
/// SQLite file the node's readers (inline, and nothing is checked out of the pool); otherwise
/// (PostgreSQL, an in-memory SQLite database) a pooled connection, as [`DbConn`] gives.
pub enum Reads {
    Readers(Arc<Readers>),
    Pooled(PooledConn),
}

impl Reads {
    pub fn read(&mut self) -> Read<'_> {
        match self {
            Self::Readers(readers) => Read::Sqlite(readers),
            Self::Pooled(conn) => Read::Conn(conn.conn()),
        }
    }
}

impl FromRequestParts<AppState> for Reads {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        if is_write(&parts.method) {
            // Readers see only what is committed: a write must read inside its transaction.
            tracing::error!("a write handler asked for the readers");
            return Err(ApiError::Internal);
        }
        // The connection the request was authenticated with, if any; on SQLite it goes back to
        // the pool now rather than when the response is sent.
        let authenticated = parts.extensions.get::<ReadConn>().and_then(ReadConn::take);
        match (state.db.readers(), authenticated) {
            (Some(readers), _) => Ok(Self::Readers(readers.clone())),
            (None, Some(conn)) => Ok(Self::Pooled(conn)),
            (None, None) => Ok(Self::Pooled(state.db.acquire().await?)),
        }
    }
}
