//! `GET /v1/{phone_number_id}/contacts`: newest first, filtered by `phone`, `search` or
//! `label_id`, paged by keyset.

use axum::extract::State;

use super::ContactOut;
use crate::api::{accounts, labels};
use crate::error::{ApiError, Result};
use crate::http::db::DbConn;
use crate::http::page::PageRequest;
use crate::http::path::Path;
use crate::http::query::QueryParams;
use crate::http::tenant::Tenant;
use crate::ids::ContactId;
use crate::state::AppState;
use crate::store::{self, contacts::ContactFilter};
use crate::validate;
use crate::wire::List;

pub async fn list(
    State(state): State<AppState>,
    tenant: Tenant,
    mut db: DbConn,
    Path(phone_number_id): Path<String>,
    query: QueryParams,
) -> Result<List<ContactOut>> {
    let account = accounts::resolve(db.conn(), &tenant, &phone_number_id).await?;
    // `?phone=+62…` sent unencoded arrives as " 62…" (a `+` is a space in a query string);
    // read it as the number the client meant.
    let phone = query.get("phone").map(|p| match p.strip_prefix(' ') {
        Some(rest) => format!("+{rest}"),
        None => p.to_owned(),
    });
    let phone = phone.as_deref().map(|p| validate::phone_number("phone", p)).transpose()?;
    let search = query.get("search").map(search_term).transpose()?;
    // A label the caller cannot see is a 404, like any other foreign id.
    let label = match query.get("label_id") {
        None => None,
        Some(raw) => {
            let id = labels::parse_id(raw, "label_id")?;
            store::labels::get(db.conn(), &tenant.org_id, &id)
                .await?
                .ok_or(ApiError::not_found_param("label", "label_id"))?;
            Some(id)
        }
    };

    let scope = format!(
        "contacts|{}|{}|phone={}|search={}|label={}",
        tenant.org_id,
        account.phone_number_id,
        phone.unwrap_or(""),
        search.as_deref().unwrap_or(""),
        label.as_ref().map_or("", |l| l.as_str()),
    );
    let page = PageRequest::parse(&query, &state.cursors, scope)?;
    let after = page.after(ContactId::parse)?;
    let filter = ContactFilter {
        phone,
        search: search.as_deref(),
        label: label.as_ref(),
        after: after.as_ref(),
    };
    let mut rows = store::contacts::list(
        db.conn(),
        &tenant.org_id,
        &account.phone_number_id,
        &filter,
        page.limit,
    )
    .await?;
    let next_cursor = page.finish(&mut rows, &state.cursors, |c| c.id.as_str());
    Ok(List { data: rows.into_iter().map(|c| ContactOut::new(c, &account)).collect(), next_cursor })
}

/// 1 to 200 characters, compared case-insensitively.
fn search_term(raw: &str) -> Result<String> {
    validate::no_nul("search", raw)?;
    let length = raw.chars().count();
    if (1..=validate::SEARCH_MAX_CHARS).contains(&length) {
        Ok(raw.to_lowercase())
    } else {
        Err(ApiError::invalid_field("search", "`search` must be 1 to 200 characters."))
    }
}
