//! Operational endpoints, no authentication: `GET /v1/health` (can this node serve: does its
//! database answer?), `GET /livez` (is the process up; touches nothing) and `GET /metrics`.

use axum::extract::State;
use serde_json::json;

use crate::error::{ApiError, Result};
use crate::http::routes::Routes;
use crate::state::AppState;
use crate::store::{Conn, on_conn};
use crate::wire::Data;

pub fn routes() -> Routes {
    Routes::new()
        .get("/v1/health", health)
        .get("/livez", || async { "ok" })
        .get("/metrics", metrics)
}

async fn health(State(state): State<AppState>) -> Result<Data<serde_json::Value>> {
    let reachable = async {
        let mut pooled = state.db.acquire().await?;
        let conn: Conn<'_> = pooled.conn();
        on_conn!(conn, |c| sqlx::query("SELECT 1").execute(c).await.map(|r| r.rows_affected()))
    };
    // A short bound: a health check that hangs is worse than one that says no.
    match tokio::time::timeout(std::time::Duration::from_secs(2), reachable).await {
        Ok(Ok(_)) => Ok(Data(json!({
            "status": "ok",
            "database": "ok",
            "version": env!("CARGO_PKG_VERSION"),
        }))),
        _ => Err(ApiError::Unavailable),
    }
}

async fn metrics(State(state): State<AppState>) -> impl axum::response::IntoResponse {
    let content_type = [(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")];
    (content_type, crate::metrics::render(state.db.pool_usage(), state.key_cache.counts()))
}
