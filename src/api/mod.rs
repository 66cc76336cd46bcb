//! The `/v1` endpoints, one module per resource, each ending in its `router()`.

pub mod accounts;
pub mod contacts;
pub mod events;
pub mod health;
pub mod labels;
pub mod me;
pub mod webhooks;

use axum::Router;

use crate::state::AppState;

/// Every route that needs an API key.
pub fn authenticated() -> Router<AppState> {
    Router::new()
        .merge(me::router())
        .merge(accounts::router())
        .merge(contacts::router())
        .merge(labels::router())
        .merge(webhooks::router())
}

/// Routes open to anyone.
pub fn public() -> Router<AppState> {
    health::router()
}
