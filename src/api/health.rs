//! `GET /v1/health`: is this node able to serve (can it reach its database)?

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde_json::json;

use crate::error::{ApiError, Result};
use crate::state::AppState;
use crate::store::{Conn, on_conn};
use crate::wire::Data;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/health", get(health))
}

async fn health(State(state): State<AppState>) -> Result<Data<serde_json::Value>> {
    let reachable = async {
        let mut pooled = state.db.acquire().await?;
        let conn: Conn<'_> = pooled.conn();
        on_conn!(conn, c => sqlx::query("SELECT 1").execute(c).await.map(|r| r.rows_affected()))
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
