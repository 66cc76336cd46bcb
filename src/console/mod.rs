//! The web console at `/console`: pages for contacts, labels, imports and webhooks that act
//! only through the public API.
//!
//! The browser holds a sealed session cookie ([`session`]); the page's script calls
//! `/console/api/v1/…`, which [`proxy`] hands to the `/v1` router with the key put back, so the
//! console has no powers of its own. Every response carries a strict Content-Security-Policy and
//! refuses framing; [`guard`] keeps other sites from making changes.

mod assets;
mod guard;
mod pages;
mod proxy;
mod session;

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::{Next, from_fn};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use tokio::sync::OnceCell;

use crate::error::ApiError;
use crate::http::request_id;
use crate::state::AppState;
use session::SessionKey;

/// No inline script or style, no eval, nothing from elsewhere, no framing.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; \
    connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'none'";

/// What the console's handlers share.
#[derive(Clone)]
pub struct Console {
    /// The `/v1` router, which every console request ends in.
    api: Router,
    state: AppState,
    sessions: Arc<OnceCell<SessionKey>>,
}

impl Console {
    /// The session key, loaded from the database on first use (every node that shares the
    /// database shares it, so a session opened on one node works on all).
    async fn sessions(&self) -> Result<&SessionKey, Box<Response>> {
        self.sessions
            .get_or_try_init(|| async {
                let mut conn = self.state.db.acquire().await?;
                let secret =
                    crate::store::secrets::get_or_create(conn.conn(), "console_session_key")
                        .await?;
                Ok::<_, ApiError>(SessionKey::new(secret.as_bytes()))
            })
            .await
            .map_err(|error| Box::new(error.into_response()))
    }
}

/// The console's routes; `api` is the router that serves `/v1`.
pub fn router(state: AppState, api: Router) -> Router {
    let console = Console { api, state, sessions: Arc::new(OnceCell::new()) };
    // Pages and sign-in get a request id and a log line of their own; a proxied call gets the
    // API's, from the router it is handed to.
    let pages = Router::new()
        .route("/console", get(pages::home))
        .route("/console/", get(pages::home))
        .route("/console/session", post(pages::sign_in))
        .route("/console/signout", post(pages::sign_out))
        .route("/console/assets/{name}", get(assets::serve))
        .route_layer(from_fn(request_id::record_route))
        .layer(from_fn(request_id::assign));
    Router::new()
        .route("/console/api/{*path}", any(proxy::forward))
        .merge(pages)
        .layer(from_fn(security_headers))
        .with_state(console)
}

async fn security_headers(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}
