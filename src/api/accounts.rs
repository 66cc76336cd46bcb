//! `GET /v1/accounts`, and the lookup every account-scoped path starts with.

use serde::Serialize;

use crate::enums::AccountStatus;
use crate::error::{ApiError, Result};
use crate::http::db::DbConn;
use crate::http::query::QueryParams;
use crate::http::routes::Routes;
use crate::http::tenant::Tenant;
use crate::ids::{PhoneNumberId, TeamId};
use crate::store::accounts::AccountRow;
use crate::store::{self, Read};
use crate::validate;
use crate::wire::{List, WriteJson};

pub fn routes() -> Routes {
    Routes::new().get("/v1/accounts", list)
}

#[derive(Debug, Serialize)]
pub struct AccountOut {
    object: &'static str,
    phone_number_id: PhoneNumberId,
    phone_number: String,
    name: Option<String>,
    status: AccountStatus,
    team_id: TeamId,
}

impl WriteJson for AccountOut {}

impl From<AccountRow> for AccountOut {
    fn from(a: AccountRow) -> Self {
        Self {
            object: "account",
            phone_number_id: a.phone_number_id,
            phone_number: a.phone_number,
            name: a.name,
            status: a.status,
            team_id: a.team_id,
        }
    }
}

/// All of an organisation's accounts fit on one page (an organisation has a handful of numbers).
async fn list(tenant: Tenant, mut db: DbConn, query: QueryParams) -> Result<List<AccountOut>> {
    let only_connected = match query.get("status") {
        None | Some("connected") => true,
        Some("all") => false,
        Some(_) => {
            return Err(ApiError::invalid_field(
                "status",
                "`status` must be `connected` or `all`.",
            ));
        }
    };
    let rows = store::accounts::list(db.conn(), &tenant.org_id, only_connected).await?;
    Ok(List { data: rows.into_iter().map(AccountOut::from).collect(), next_cursor: None })
}

/// The account a `/v1/{phone_number_id}/…` path names: 400 if malformed, 404 if unknown or
/// another organisation's.
pub async fn resolve(
    read: impl Into<Read<'_>>,
    tenant: &Tenant,
    phone_number_id: &str,
) -> Result<AccountRow> {
    find(read, tenant, &validate::phone_number_id(phone_number_id)?).await
}

/// The account with this id, if it is the caller's; 404 otherwise.
pub async fn find(
    read: impl Into<Read<'_>>,
    tenant: &Tenant,
    id: &PhoneNumberId,
) -> Result<AccountRow> {
    store::accounts::get(read, &tenant.org_id, id)
        .await?
        .ok_or(ApiError::not_found_param("account", "phone_number_id"))
}
