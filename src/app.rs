//! `app(state) -> Router`: the whole HTTP surface, used by `kirim serve` and by the tests.
//!
//! Layers, outermost first: request id, whole body read and deadline (one layer,
//! [`crate::http::request_id::outer`]) → (public routes, whose layer names the route | route
//! name → authentication → rate limit → write transaction and idempotency, one layer in
//! [`crate::http::guard`] → handler). Unknown paths and methods answer in the error envelope.
//! The console (`/console`) sits beside them with layers of its own and hands its API calls to
//! the same `/v1` router.

use axum::Router;
use axum::middleware::{from_fn, from_fn_with_state};

use crate::http::routes::Operation;
use crate::http::{guard, request_id};
use crate::state::AppState;
use crate::{api, console, openapi};

/// Every operation the app routes, in the order the modules declare them.
pub fn operations() -> Vec<Operation> {
    let all = api::public().merge(openapi::routes()).merge(api::authenticated());
    all.operations().to_vec()
}

pub fn app(state: AppState) -> Router {
    let api = api_router(state.clone());
    api.clone().merge(console::router(state, api))
}

/// Everything but the console.
fn api_router(state: AppState) -> Router {
    let authenticated = api::authenticated()
        .into_router()
        .route_layer(from_fn_with_state(state.clone(), guard::authenticated));

    let public = Router::new()
        .merge(api::public().into_router())
        .merge(openapi::routes().into_router())
        .route_layer(from_fn(request_id::record_route));

    Router::new()
        .merge(public)
        .merge(authenticated)
        .fallback(request_id::route_not_found)
        .method_not_allowed_fallback(request_id::method_not_allowed)
        .layer(from_fn_with_state(state.clone(), request_id::outer))
        .with_state(state)
}
