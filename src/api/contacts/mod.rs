//! `/v1/{phone_number_id}/contacts`: contacts of one WhatsApp account.
//!
//! - this file: the contact resource (create, fetch, update, delete);
//! - [`list`]: paged listing with filters;
//! - [`links`]: one contact's labels;
//! - [`bulk`]: attach or detach a label on up to 1,000 contacts at once;
//! - [`upsert`]: create or update up to 1,000 contacts at once, matched by phone number.

mod bulk;
mod links;
mod list;
mod upsert;

pub use bulk::MAX_IDS;
pub use upsert::MAX_ITEMS as MAX_UPSERT_ITEMS;

use axum::http::StatusCode;
use serde_json::{Map, Value};

use crate::api::resources::{ContactOut, Deleted};
use crate::api::{accounts, events};
use crate::clock;
use crate::error::{ApiError, OnConflict, Result};
use crate::http::body::{JsonObject, Patch};
use crate::http::db::{DbConn, Reads};
use crate::http::path::Path;
use crate::http::routes::Routes;
use crate::http::tenant::Tenant;
use crate::ids::{ContactId, TeamId};
use crate::store::accounts::AccountRow;
use crate::store::contacts::{ContactFields, ContactRow};
use crate::store::{self, Conn};
use crate::validate;
use crate::webhooks::outbox;
use crate::wire::Data;

pub fn routes() -> Routes {
    Routes::new()
        .get("/v1/{phone_number_id}/contacts", list::list)
        .post("/v1/{phone_number_id}/contacts", create)
        .post("/v1/{phone_number_id}/contacts/bulk_label", bulk::bulk_label)
        .post("/v1/{phone_number_id}/contacts/bulk_upsert", upsert::bulk_upsert)
        .get("/v1/{phone_number_id}/contacts/{id}", fetch)
        .patch("/v1/{phone_number_id}/contacts/{id}", update)
        .delete("/v1/{phone_number_id}/contacts/{id}", remove)
        .get("/v1/{phone_number_id}/contacts/{id}/labels", links::list)
        .post("/v1/{phone_number_id}/contacts/{id}/labels", links::attach)
        .delete("/v1/{phone_number_id}/contacts/{id}/labels/{label_id}", links::detach)
}

/// A contact id from the path; a malformed one names no contact, so it is not found.
fn parse_id(raw: &str) -> Result<ContactId> {
    ContactId::parse(raw).ok_or(ApiError::not_found_param("contact", "id"))
}

/// The contact, in this account of this organisation, or 404.
async fn find(
    conn: Conn<'_>,
    tenant: &Tenant,
    account: &AccountRow,
    id: &ContactId,
) -> Result<ContactRow> {
    store::contacts::get(conn, &tenant.org_id, &account.phone_number_id, id)
        .await?
        .ok_or(ApiError::not_found_param("contact", "id"))
}

/// A team id from a body, checked to be one of the organisation's teams.
async fn team_of_org(conn: Conn<'_>, tenant: &Tenant, raw: &str) -> Result<TeamId> {
    let team = validate::team_id(raw)?;
    if store::orgs::team_exists(conn, &tenant.org_id, &team).await? {
        Ok(team)
    } else {
        Err(ApiError::not_found_param("team", "team_id"))
    }
}

fn metadata_object(value: &Value) -> Result<&Map<String, Value>> {
    value
        .as_object()
        .ok_or_else(|| ApiError::invalid_field("metadata", "`metadata` must be an object."))
}

async fn create(
    tenant: Tenant,
    mut db: DbConn,
    Path(phone_number_id): Path<String>,
    body: JsonObject,
) -> Result<(StatusCode, Data<ContactOut>)> {
    let account = accounts::resolve(db.conn(), &tenant, &phone_number_id).await?;
    let phone_number = validate::phone_number("phone_number", body.required_str("phone_number")?)?;
    let name = body.optional_str("name")?.map(validate::contact_name).transpose()?;
    let email = body.optional_str("email")?.map(validate::email).transpose()?;
    // A null value on create simply leaves the key out: stored metadata never holds nulls.
    let metadata: Map<String, Value> = match body.get("metadata") {
        None | Some(Value::Null) => Map::new(),
        Some(value) => metadata_object(value)?
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    };
    validate::metadata(&metadata)?;
    let team_id = match body.optional_str("team_id")? {
        Some(raw) => team_of_org(db.conn(), &tenant, raw).await?,
        None => account.team_id.clone(),
    };

    let id = ContactId::generate();
    let fields = ContactFields {
        team_id,
        phone_number: phone_number.to_owned(),
        name: name.map(str::to_owned),
        email: email.map(str::to_owned),
        metadata: Value::Object(metadata).to_string(),
    };
    let now = clock::now_ms();
    store::contacts::insert(db.conn(), &tenant.org_id, &account.phone_number_id, &id, &fields, now)
        .await
        .on_unique(ApiError::DuplicatePhoneNumber)?;
    let row = find(db.conn(), &tenant, &account, &id).await?;
    let contact = ContactOut::new(row, &account);
    outbox::record(db.conn(), &tenant.org_id, vec![events::contact_created(&contact)]).await?;
    Ok((StatusCode::CREATED, Data(contact)))
}

async fn fetch(
    tenant: Tenant,
    mut db: Reads,
    Path((phone_number_id, id)): Path<(String, String)>,
) -> Result<Data<ContactOut>> {
    let phone_number_id = validate::phone_number_id(&phone_number_id)?;
    let id = parse_id(&id)?;
    // The hot read: contact and account in one query; only a miss asks which one is missing.
    match store::contacts::get_in_account(db.read(), &tenant.org_id, &phone_number_id, &id).await? {
        Some(found) => Ok(Data(ContactOut::with_account(
            found.contact,
            found.account_phone_number,
            phone_number_id,
        ))),
        None => {
            accounts::find(db.read(), &tenant, &phone_number_id).await?;
            Err(ApiError::not_found_param("contact", "id"))
        }
    }
}

/// PATCH: absent leaves a field as it is, `null` clears it; `metadata` merges key by key and a
/// `null` value removes that key; `team_id: null` puts the contact back in its account's team.
async fn update(
    tenant: Tenant,
    mut db: DbConn,
    Path((phone_number_id, id)): Path<(String, String)>,
    body: JsonObject,
) -> Result<Data<ContactOut>> {
    let account = accounts::resolve(db.conn(), &tenant, &phone_number_id).await?;
    let id = parse_id(&id)?;
    // Locked until the commit: the PATCH writes back what it read with its changes merged in,
    // so two at once must not both start from the same state.
    let current =
        store::contacts::get_locked(db.conn(), &tenant.org_id, &account.phone_number_id, &id)
            .await?
            .ok_or(ApiError::not_found_param("contact", "id"))?;
    if body.get("phone_number").is_some() {
        return Err(ApiError::invalid_field(
            "phone_number",
            "A contact's `phone_number` cannot be changed.",
        ));
    }

    let mut fields = ContactFields {
        team_id: current.team_id.clone(),
        phone_number: current.phone_number.clone(),
        name: current.name.clone(),
        email: current.email.clone(),
        metadata: current.metadata.clone(),
    };
    match body.patch_str("name")? {
        Patch::Absent => {}
        Patch::Null => fields.name = None,
        Patch::Value(name) => fields.name = Some(validate::contact_name(name)?.to_owned()),
    }
    match body.patch_str("email")? {
        Patch::Absent => {}
        Patch::Null => fields.email = None,
        Patch::Value(email) => fields.email = Some(validate::email(email)?.to_owned()),
    }
    match body.patch_value("metadata") {
        Patch::Absent => {}
        Patch::Null => fields.metadata = "{}".to_owned(),
        Patch::Value(value) => {
            let mut merged: Map<String, Value> =
                serde_json::from_str(&fields.metadata).unwrap_or_default();
            for (key, value) in metadata_object(value)? {
                if value.is_null() {
                    merged.remove(key);
                } else {
                    merged.insert(key.clone(), value.clone());
                }
            }
            validate::metadata(&merged)?;
            fields.metadata = Value::Object(merged).to_string();
        }
    }
    match body.patch_str("team_id")? {
        Patch::Absent => {}
        Patch::Null => fields.team_id = account.team_id.clone(),
        Patch::Value(raw) => fields.team_id = team_of_org(db.conn(), &tenant, raw).await?,
    }

    // No change, no write: `updated_at` stays and no event is recorded.
    let changed = changed_fields(&current, &fields);
    if changed.is_empty() {
        return Ok(Data(ContactOut::new(current, &account)));
    }
    store::contacts::update(
        db.conn(),
        &tenant.org_id,
        &account.phone_number_id,
        &id,
        &fields,
        clock::now_ms(),
    )
    .await?;
    let row = find(db.conn(), &tenant, &account, &id).await?;
    let contact = ContactOut::new(row, &account);
    let event = events::contact_updated(&contact, &changed, None);
    outbox::record(db.conn(), &tenant.org_id, vec![event]).await?;
    Ok(Data(contact))
}

/// The fields a PATCH changed, sorted by name (metadata compared as values, not as text).
fn changed_fields(before: &ContactRow, after: &ContactFields) -> Vec<&'static str> {
    let json = |text: &str| serde_json::from_str::<Map<String, Value>>(text).unwrap_or_default();
    [
        ("email", before.email != after.email),
        ("metadata", !validate::same_metadata(&json(&before.metadata), &json(&after.metadata))),
        ("name", before.name != after.name),
        ("team_id", before.team_id != after.team_id),
    ]
    .into_iter()
    .filter_map(|(field, changed)| changed.then_some(field))
    .collect()
}

async fn remove(
    tenant: Tenant,
    mut db: DbConn,
    Path((phone_number_id, id)): Path<(String, String)>,
) -> Result<Data<Deleted<ContactId>>> {
    let account = accounts::resolve(db.conn(), &tenant, &phone_number_id).await?;
    let id = parse_id(&id)?;
    // Read first, and locked: `contact.deleted` carries the contact's last state, which no
    // writer may change between this read and the deletion.
    let last =
        store::contacts::get_locked(db.conn(), &tenant.org_id, &account.phone_number_id, &id)
            .await?
            .ok_or(ApiError::not_found_param("contact", "id"))?;
    let last = ContactOut::new(last, &account);
    if !store::contacts::delete(db.conn(), &tenant.org_id, &account.phone_number_id, &id).await? {
        return Err(ApiError::not_found_param("contact", "id"));
    }
    outbox::record(db.conn(), &tenant.org_id, vec![events::contact_deleted(&last)]).await?;
    Ok(Data(Deleted::new(id, "contact")))
}
