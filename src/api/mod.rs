//! The `/v1` endpoints, one module per resource, each with its `routes()`.

pub mod accounts;
pub mod contacts;
pub mod events;
pub mod health;
pub mod labels;
pub mod me;
pub mod resources;
pub mod webhooks;

use crate::http::routes::Routes;

/// Every route that needs an API key.
pub fn authenticated() -> Routes {
    Routes::new()
        .merge(me::routes())
        .merge(accounts::routes())
        .merge(contacts::routes())
        .merge(labels::routes())
        .merge(webhooks::routes())
}

/// Routes open to anyone.
pub fn public() -> Routes {
    health::routes()
}
