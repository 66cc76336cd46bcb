//! The layer in front of every authenticated route: the route named for logs and metrics, then
//! authentication, the rate limit and the write transaction, in that order. One layer rather than
//! four, because axum clones each layer's service and boxes its future on every request
//! (docs/performance.md, "Futures copied per request").

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::http::request_id::Route;
use crate::http::{rate_limit, tenant, transaction};
use crate::state::AppState;

pub async fn authenticated(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = Route::of(&req);
    let mut response = guarded(&state, req, next).await;
    Route::tag(route, &mut response);
    response
}

async fn guarded(state: &AppState, req: Request, next: Next) -> Response {
    let (req, tenant) = match tenant::authenticate(state, req).await {
        Ok(authenticated) => authenticated,
        Err(refused) => return refused,
    };
    let decision = rate_limit::take(state, &tenant, req.method()).await;
    let mut response = if decision.allowed {
        transaction::in_transaction(state, &tenant, req, next).await
    } else {
        rate_limit::refuse(&decision)
    };
    rate_limit::report(&decision, &mut response);
    response
}
