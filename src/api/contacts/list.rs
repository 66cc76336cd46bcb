//! `GET /v1/{phone_number_id}/contacts`: newest first, filtered by `phone`, `search` or
//! `label_id`, paged by keyset; with `updated_since` (§9), the changes since then, oldest first.

use axum::extract::State;

use crate::api::resources::ContactOut;
use crate::api::{accounts, labels};
use crate::error::{ApiError, Result};
use crate::http::db::Reads;
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
    mut db: Reads,
    Path(phone_number_id): Path<String>,
    query: QueryParams,
) -> Result<List<ContactOut>> {
    let account = accounts::resolve(db.read(), &tenant, &phone_number_id).await?;
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
            store::labels::get(db.read(), &tenant.org_id, &id)
                .await?
                .ok_or(ApiError::not_found_param("label", "label_id"))?;
            Some(id)
        }
    };

    let updated_since = query.get("updated_since").map(parse_updated_since).transpose()?;

    let mut scope = format!(
        "contacts|{}|{}|phone={}|search={}|label={}",
        tenant.org_id,
        account.phone_number_id,
        phone.unwrap_or(""),
        search.as_deref().unwrap_or(""),
        label.as_ref().map_or("", |l| l.as_str()),
    );
    if let Some(since) = updated_since {
        scope.push_str(&format!("|updated_since={since}"));
    }
    let page = PageRequest::parse(&query, &state.cursors, scope)?;
    // In `updated_since` order a cursor holds `<updated_at>:<id>` (signed like any other).
    let (after, after_change) = if updated_since.is_some() {
        let change = page.after(|raw| {
            let (at, id) = raw.split_once(':')?;
            Some((at.parse::<i64>().ok()?, ContactId::parse(id)?))
        })?;
        (None, change)
    } else {
        (page.after(ContactId::parse)?, None)
    };
    let filter = ContactFilter {
        phone,
        search: search.as_deref(),
        label: label.as_ref(),
        after: after.as_ref(),
        updated_since,
        after_change: after_change.as_ref().map(|(at, id)| (*at, id)),
    };
    let mut rows = store::contacts::list(
        db.read(),
        &tenant.org_id,
        &account.phone_number_id,
        &filter,
        page.limit,
    )
    .await?;
    let next_cursor = if updated_since.is_some() {
        let mut keys: Vec<String> =
            rows.iter().map(|c| format!("{}:{}", c.updated_at, c.id)).collect();
        let cursor = page.finish(&mut keys, &state.cursors, |k| k);
        rows.truncate(keys.len());
        cursor
    } else {
        page.finish(&mut rows, &state.cursors, |c| c.id.as_str())
    };
    Ok(List { data: rows.into_iter().map(|c| ContactOut::new(c, &account)).collect(), next_cursor })
}

/// An RFC 3339 timestamp, as epoch milliseconds.
/// Rounded up to the millisecond, as `updated_at` is kept: `updated_at ≥ updated_since` holds
/// for every contact returned, also for a timestamp with a finer fraction.
fn parse_updated_since(raw: &str) -> Result<i64> {
    crate::clock::parse_rfc3339_rounded_up(raw).ok_or_else(|| {
        ApiError::invalid_field(
            "updated_since",
            "`updated_since` must be an RFC 3339 timestamp (2026-05-23T10:00:00.000Z).",
        )
    })
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
