//! `GET /v1/me`: who the key belongs to, its limits, and the organisation's teams.

use serde_json::{Value, json};

use crate::error::Result;
use crate::http::db::DbConn;
use crate::http::routes::Routes;
use crate::http::tenant::Tenant;
use crate::store;
use crate::wire::Data;

pub fn routes() -> Routes {
    Routes::new().get("/v1/me", me)
}

async fn me(tenant: Tenant, mut db: DbConn) -> Result<Data<Value>> {
    let teams = store::orgs::teams(db.conn(), &tenant.org_id).await?;
    Ok(Data(json!({
        "organization": {
            "id": tenant.org_id,
            "object": "organization",
            "name": tenant.org_name,
        },
        "api_key": {
            "id": tenant.key_id,
            "object": "api_key",
            "label": tenant.key_label,
            "last4": tenant.last4,
        },
        "rate_limits": {
            "tier": tenant.tier,
            "write_per_minute": tenant.write_per_minute,
            "read_per_minute": tenant.read_per_minute,
        },
        "teams": teams,
    })))
}
