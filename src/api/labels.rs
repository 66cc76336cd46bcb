//! `/v1/labels`: team-scoped labels.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;

use crate::api::events::{self, LabelChanges};
use crate::api::resources::{Deleted, LabelOut};
use crate::clock;
use crate::error::{ApiError, OnConflict, Result};
use crate::http::body::{JsonObject, Patch};
use crate::http::db::DbConn;
use crate::http::page::PageRequest;
use crate::http::path::Path;
use crate::http::query::QueryParams;
use crate::http::routes::Routes;
use crate::http::tenant::Tenant;
use crate::ids::{LabelId, PhoneNumberId, TeamId};
use crate::state::AppState;
use crate::store;
use crate::store::labels::LabelRow;
use crate::store::links::LabelHold;
use crate::validate;
use crate::webhooks::events::CONTACT_UPDATED;
use crate::webhooks::outbox;
use crate::wire::{Data, List};

pub fn routes() -> Routes {
    Routes::new()
        .get("/v1/labels", list)
        .post("/v1/labels", create)
        .get("/v1/labels/{id}", fetch)
        .patch("/v1/labels/{id}", update)
        .delete("/v1/labels/{id}", remove)
}

fn duplicate_name() -> ApiError {
    ApiError::invalid_field("name", "A label with this name already exists in the team.")
}

/// A label id from the path: malformed ids cannot exist, so they are simply not found.
pub fn parse_id(raw: &str, param: &'static str) -> Result<LabelId> {
    LabelId::parse(raw).ok_or(ApiError::not_found_param("label", param))
}

async fn list(
    State(state): State<AppState>,
    tenant: Tenant,
    mut db: DbConn,
    query: QueryParams,
) -> Result<List<LabelOut>> {
    let team = query.get("team_id").map(validate::team_id).transpose()?;
    // An unknown (or another organisation's) team is a 404, as everywhere a team id is taken.
    if let Some(team) = &team
        && !store::orgs::team_exists(db.conn(), &tenant.org_id, team).await?
    {
        return Err(ApiError::not_found_param("team", "team_id"));
    }
    let scope =
        format!("labels|{}|team={}", tenant.org_id, team.as_ref().map_or("", TeamId::as_str));
    let page = PageRequest::parse(&query, &state.cursors, scope)?;
    let after = page.after(LabelId::parse)?;
    let mut rows =
        store::labels::list(db.conn(), &tenant.org_id, team.as_ref(), after.as_ref(), page.limit)
            .await?;
    let next_cursor = page.finish(&mut rows, &state.cursors, |l| l.id.as_str());
    Ok(List { data: rows.into_iter().map(LabelOut::from).collect(), next_cursor })
}

async fn create(
    tenant: Tenant,
    mut db: DbConn,
    body: JsonObject,
) -> Result<(StatusCode, Data<LabelOut>)> {
    let name = validate::label_name(body.required_str("name")?)?.to_owned();
    let color = validate::color(body.optional_str("color")?.unwrap_or("gray"))?;
    let team_id = match body.optional_str("team_id")? {
        Some(team) => {
            let team = validate::team_id(team)?;
            if !store::orgs::team_exists(db.conn(), &tenant.org_id, &team).await? {
                return Err(ApiError::not_found_param("team", "team_id"));
            }
            team
        }
        None => {
            // Only an organisation with exactly one team may leave the team implicit.
            let teams = store::orgs::teams(db.conn(), &tenant.org_id).await?;
            match teams.as_slice() {
                [only] => only.id.clone(),
                _ => return Err(ApiError::MissingField("team_id".into())),
            }
        }
    };
    let now = clock::now_ms();
    let row = LabelRow {
        id: LabelId::generate(),
        team_id,
        name,
        color,
        created_at: now,
        updated_at: now,
    };
    store::labels::insert(db.conn(), &tenant.org_id, &row).await.on_unique(duplicate_name())?;
    let label = LabelOut::from(row);
    outbox::record(db.conn(), &tenant.org_id, vec![events::label_created(&label)]).await?;
    Ok((StatusCode::CREATED, Data(label)))
}

async fn fetch(tenant: Tenant, mut db: DbConn, Path(id): Path<String>) -> Result<Data<LabelOut>> {
    let id = parse_id(&id, "id")?;
    let row = store::labels::get(db.conn(), &tenant.org_id, &id)
        .await?
        .ok_or(ApiError::not_found_param("label", "id"))?;
    Ok(Data(row.into()))
}

async fn update(
    tenant: Tenant,
    mut db: DbConn,
    Path(id): Path<String>,
    body: JsonObject,
) -> Result<Data<LabelOut>> {
    let id = parse_id(&id, "id")?;
    let before = store::labels::get_locked(db.conn(), &tenant.org_id, &id)
        .await?
        .ok_or(ApiError::not_found_param("label", "id"))?;
    let mut row = before.clone();
    if body.get("team_id").is_some() {
        return Err(ApiError::invalid_field("team_id", "A label's `team_id` cannot be changed."));
    }
    match body.patch_str("name")? {
        Patch::Absent => {}
        Patch::Null => return Err(ApiError::invalid_field("name", "`name` cannot be null.")),
        Patch::Value(name) => row.name = validate::label_name(name)?.to_owned(),
    }
    match body.patch_str("color")? {
        Patch::Absent => {}
        Patch::Null => return Err(ApiError::invalid_field("color", "`color` cannot be null.")),
        Patch::Value(color) => row.color = validate::color(color)?,
    }
    // No change, no write and no event (a rename to the same name in another case is a change).
    let changed: Vec<&'static str> =
        [("color", before.color != row.color), ("name", before.name != row.name)]
            .into_iter()
            .filter_map(|(field, changed)| changed.then_some(field))
            .collect();
    if changed.is_empty() {
        return Ok(Data(row.into()));
    }
    row.updated_at = clock::now_ms();
    if !store::labels::update(db.conn(), &tenant.org_id, &row).await.on_unique(duplicate_name())? {
        return Err(ApiError::not_found_param("label", "id"));
    }
    let label = LabelOut::from(row);
    outbox::record(db.conn(), &tenant.org_id, vec![events::label_updated(&label, &changed)])
        .await?;
    Ok(Data(label))
}

/// Deletes the label; each contact that carried it is stamped and gets a `contact.updated`
/// (`labels` detached), and the label's last state goes out as `label.deleted`.
async fn remove(
    tenant: Tenant,
    mut db: DbConn,
    Path(id): Path<String>,
) -> Result<Data<Deleted<LabelId>>> {
    let id = parse_id(&id, "id")?;
    // Held exclusively: the link changes in flight finish first, later ones wait, then see a 404.
    let last = store::links::lock_label(db.conn(), &tenant.org_id, &id, LabelHold::Delete)
        .await?
        .ok_or(ApiError::not_found_param("label", "id"))?;
    let unlinked = store::links::detach_all(db.conn(), &id).await?;
    let now = clock::now_ms();
    let mut recorded = Vec::new();
    if outbox::wanted(db.conn(), &tenant.org_id, CONTACT_UPDATED).await? {
        let touched = store::contacts::touch(db.conn(), &tenant.org_id, &unlinked, now).await?;
        if !touched.is_empty() {
            // Contacts of every account of the organisation: their phone numbers, in one query.
            let accounts = store::accounts::list(db.conn(), &tenant.org_id, false).await?;
            let phone_numbers: HashMap<PhoneNumberId, String> =
                accounts.into_iter().map(|a| (a.phone_number_id, a.phone_number)).collect();
            let changes = LabelChanges::detached(&id);
            recorded.extend(events::links_changed(touched, &phone_numbers, &changes));
        }
    } else {
        store::contacts::stamp(db.conn(), &tenant.org_id, &unlinked, now).await?;
    }
    recorded.push(events::label_deleted(&LabelOut::from(last)));
    outbox::record(db.conn(), &tenant.org_id, recorded).await?;
    // Last: if the row is gone after all, the 404 rolls back everything above with it.
    if !store::labels::delete(db.conn(), &tenant.org_id, &id).await? {
        return Err(ApiError::not_found_param("label", "id"));
    }
    Ok(Data(Deleted::new(id, "label")))
}
