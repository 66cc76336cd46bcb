//! `POST /v1/{phone_number_id}/contacts/bulk_upsert` (contract §10): up to 1,000 contacts matched
//! by phone number, created or patched in the request's one transaction.
//!
//! Everything that can be checked without the database is checked first, naming the item
//! (`contacts[3].email`); the rest (teams, merged metadata, the label's team) is checked inside
//! the transaction, and any error rolls back all of it. Writes are set-based
//! ([`crate::store::upsert`]).

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use serde_json::{Map, Value};

use super::metadata_object;
use crate::api::events::{self, LabelChanges};
use crate::api::resources::ContactOut;
use crate::api::{accounts, labels};
use crate::clock;
use crate::error::{ApiError, Result};
use crate::http::body::{JsonObject, Patch};
use crate::http::db::DbConn;
use crate::http::path::Path;
use crate::http::tenant::Tenant;
use crate::ids::{ContactId, TeamId};
use crate::store::accounts::AccountRow;
use crate::store::contacts::{ContactFields, ContactRow};
use crate::store::links::LabelHold;
use crate::store::{self, upsert};
use crate::validate;
use crate::webhooks::outbox;
use crate::wire::{Data, WriteJson};

pub const MAX_ITEMS: usize = 1000;

/// One item, checked: the phone that matches it and PATCH-style fields.
struct Item {
    phone_number: String,
    name: Patch<String>,
    email: Patch<String>,
    /// The metadata patch: a `null` value removes that key.
    metadata: Patch<Map<String, Value>>,
    team_id: Patch<TeamId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
}

#[derive(Debug, Serialize)]
pub struct Upserted {
    id: ContactId,
    phone_number: String,
    result: Outcome,
}

#[derive(Debug, Serialize)]
pub struct UpsertOut {
    created: usize,
    updated: usize,
    unchanged: usize,
    contacts: Vec<Upserted>,
}

impl WriteJson for UpsertOut {}

/// What happened to one contact, in request order: what the events of §8 are made from
/// (`contact.created` with `acquisition_source: import`, or `contact.updated` with these fields).
struct Change {
    id: ContactId,
    outcome: Outcome,
    /// Sorted names among `email`, `labels`, `metadata`, `name`, `team_id`.
    changed_fields: Vec<&'static str>,
}

pub async fn bulk_upsert(
    tenant: Tenant,
    mut db: DbConn,
    Path(phone_number_id): Path<String>,
    body: JsonObject,
) -> Result<Data<UpsertOut>> {
    // 1. Everything that needs no database.
    let phone_number_id = validate::phone_number_id(&phone_number_id)?;
    let items = parse_items(&body)?;
    let label_id = match body.optional_str("label_id")? {
        Some(raw) => Some(labels::parse_id(raw, "label_id")?),
        None => None,
    };

    // 2. The account, the label (locked, as bulk label does), the teams named.
    let account = accounts::find(db.conn(), &tenant, &phone_number_id).await?;
    let label = match &label_id {
        Some(id) => Some(
            store::links::lock_label(db.conn(), &tenant.org_id, id, LabelHold::Links)
                .await?
                .ok_or(ApiError::not_found_param("label", "label_id"))?,
        ),
        None => None,
    };
    let teams: HashSet<TeamId> =
        store::orgs::teams(db.conn(), &tenant.org_id).await?.into_iter().map(|t| t.id).collect();
    for (i, item) in items.iter().enumerate() {
        if let Patch::Value(team) = &item.team_id
            && !teams.contains(team)
        {
            return Err(ApiError::not_found_param("team", format!("contacts[{i}].team_id")));
        }
    }

    // 3. Create the missing contacts, then patch the others.
    let now = clock::now_ms();
    let new_rows: Vec<(ContactId, ContactFields)> =
        items.iter().map(|item| (ContactId::generate(), new_fields(item, &account))).collect();
    let created =
        upsert::insert_missing(db.conn(), &tenant.org_id, &phone_number_id, &new_rows, now).await?;
    let existing_phones: Vec<&str> = items
        .iter()
        .map(|item| item.phone_number.as_str())
        .filter(|phone| !created.contains(*phone))
        .collect();
    let mut existing: HashMap<String, ContactRow> =
        upsert::lock_by_phones(db.conn(), &tenant.org_id, &phone_number_id, &existing_phones)
            .await?
            .into_iter()
            .map(|row| (row.phone_number.clone(), row))
            .collect();

    let mut changes = Vec::with_capacity(items.len());
    let mut final_fields = Vec::with_capacity(items.len());
    for (i, (item, (new_id, fields))) in items.iter().zip(new_rows).enumerate() {
        if created.contains(&item.phone_number) {
            changes.push(Change {
                id: new_id,
                outcome: Outcome::Created,
                changed_fields: Vec::new(),
            });
            final_fields.push(fields);
            continue;
        }
        // A contact deleted between the insert and the lock (a concurrent DELETE) is gone:
        // the client may retry the call, which will then create it.
        let current = existing.remove(&item.phone_number).ok_or(ApiError::Unavailable)?;
        let (patched, changed_fields) = patch(item, &current, &account, i)?;
        let outcome = if changed_fields.is_empty() { Outcome::Unchanged } else { Outcome::Updated };
        changes.push(Change { id: current.id, outcome, changed_fields });
        final_fields.push(patched);
    }

    // 4. The label: every item's contact must be in its team, and ends up carrying it.
    if let Some(label) = &label {
        for (i, fields) in final_fields.iter().enumerate() {
            if fields.team_id != label.team_id {
                return Err(ApiError::invalid_field(
                    format!("contacts[{i}].team_id"),
                    format!("`contacts[{i}]` is not in the label's team."),
                ));
            }
        }
        let patched_ids: Vec<&str> = changes
            .iter()
            .filter(|c| c.outcome != Outcome::Created)
            .map(|c| c.id.as_str())
            .collect();
        let already = upsert::linked(db.conn(), &label.id, &patched_ids).await?;
        for change in changes.iter_mut().filter(|c| c.outcome != Outcome::Created) {
            if !already.contains(change.id.as_str()) {
                change.changed_fields.push("labels");
                change.changed_fields.sort_unstable();
                change.outcome = Outcome::Updated;
            }
        }
    }

    let updates: Vec<(ContactId, ContactFields)> = changes
        .iter()
        .zip(&final_fields)
        .filter(|(c, _)| c.outcome == Outcome::Updated)
        .map(|(c, f)| (c.id.clone(), f.clone()))
        .collect();
    upsert::update_many(db.conn(), &tenant.org_id, &phone_number_id, &updates, now).await?;
    if let Some(label) = &label {
        let mut ids: Vec<&str> = changes.iter().map(|c| c.id.as_str()).collect();
        ids.sort_unstable();
        upsert::link_all(db.conn(), &label.id, &ids, now).await?;
    }

    record_events(&mut db, &tenant, &account, &changes, label.as_ref().map(|l| &l.id), now).await?;

    let count = |o: Outcome| changes.iter().filter(|c| c.outcome == o).count();
    let out = UpsertOut {
        created: count(Outcome::Created),
        updated: count(Outcome::Updated),
        unchanged: count(Outcome::Unchanged),
        contacts: changes
            .into_iter()
            .zip(items)
            .map(|(c, item)| Upserted {
                id: c.id,
                phone_number: item.phone_number,
                result: c.outcome,
            })
            .collect(),
    };
    Ok(Data(out))
}

/// One `contact.created` (`acquisition_source: import`) per created contact and one
/// `contact.updated` per changed one, with the contacts as `GET` now shows them, in the request's
/// transaction (§8.5). Unchanged contacts emit nothing.
async fn record_events(
    db: &mut DbConn,
    tenant: &Tenant,
    account: &AccountRow,
    changes: &[Change],
    label: Option<&crate::ids::LabelId>,
    now: i64,
) -> Result<()> {
    let ids: Vec<ContactId> =
        changes.iter().filter(|c| c.outcome != Outcome::Unchanged).map(|c| c.id.clone()).collect();
    // Stamping with the upsert's own `now` changes nothing and reads the rows back in one
    // statement.
    let rows: HashMap<ContactId, ContactRow> =
        store::contacts::touch(db.conn(), &tenant.org_id, &ids, now)
            .await?
            .into_iter()
            .map(|t| (t.contact.id.clone(), t.contact))
            .collect();
    let attached = label.map(LabelChanges::attached);
    let mut recorded = Vec::with_capacity(rows.len());
    for change in changes {
        let Some(row) = rows.get(&change.id) else { continue };
        let contact = ContactOut::new(row.clone(), account);
        recorded.push(match change.outcome {
            Outcome::Created => events::contact_imported(&contact),
            _ => {
                let labels =
                    attached.as_ref().filter(|_| change.changed_fields.contains(&"labels"));
                events::contact_updated(&contact, &change.changed_fields, labels)
            }
        });
    }
    outbox::record(db.conn(), &tenant.org_id, recorded).await?;
    Ok(())
}

/// 1 to 1,000 items, each checked as `POST …/contacts` checks its body; a phone number seen
/// before in the call is an error on its second occurrence.
fn parse_items(body: &JsonObject) -> Result<Vec<Item>> {
    let raw = match body.get("contacts") {
        None | Some(Value::Null) => return Err(ApiError::MissingField("contacts".into())),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(ApiError::invalid_field("contacts", "`contacts` must be an array.")),
    };
    if raw.is_empty() || raw.len() > MAX_ITEMS {
        return Err(ApiError::invalid_field(
            "contacts",
            format!("`contacts` must hold 1 to {MAX_ITEMS} contacts."),
        ));
    }
    let mut seen = HashSet::with_capacity(raw.len());
    let mut items = Vec::with_capacity(raw.len());
    for (i, value) in raw.iter().enumerate() {
        let item = parse_item(value).map_err(|e| within(i, e))?;
        if !seen.insert(item.phone_number.clone()) {
            return Err(ApiError::invalid_field(
                format!("contacts[{i}].phone_number"),
                format!("`contacts[{i}].phone_number` appears earlier in this call."),
            ));
        }
        items.push(item);
    }
    Ok(items)
}

fn parse_item(value: &Value) -> Result<Item> {
    let Value::Object(map) = value else {
        return Err(ApiError::invalid_field("", "must be an object."));
    };
    let body = JsonObject(map.clone());
    let phone_number = validate::phone_number("phone_number", body.required_str("phone_number")?)?;
    let name = match body.patch_str("name")? {
        Patch::Value(name) => Patch::Value(validate::contact_name(name)?.to_owned()),
        Patch::Null => Patch::Null,
        Patch::Absent => Patch::Absent,
    };
    let email = match body.patch_str("email")? {
        Patch::Value(email) => Patch::Value(validate::email(email)?.to_owned()),
        Patch::Null => Patch::Null,
        Patch::Absent => Patch::Absent,
    };
    let metadata = match body.patch_value("metadata") {
        Patch::Value(value) => {
            let patch = metadata_object(value)?.clone();
            // Each value is checked now; the merged object's size once it is known.
            let values: Map<String, Value> = patch
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            validate::metadata(&values)?;
            Patch::Value(patch)
        }
        Patch::Null => Patch::Null,
        Patch::Absent => Patch::Absent,
    };
    let team_id = match body.patch_str("team_id")? {
        Patch::Value(team) => Patch::Value(validate::team_id(team)?),
        Patch::Null => Patch::Null,
        Patch::Absent => Patch::Absent,
    };
    Ok(Item { phone_number: phone_number.to_owned(), name, email, metadata, team_id })
}

/// The error, renamed to the item it is about: `email` → `contacts[3].email`.
fn within(i: usize, error: ApiError) -> ApiError {
    let prefix = |param: &str| {
        if param.is_empty() { format!("contacts[{i}]") } else { format!("contacts[{i}].{param}") }
    };
    match error {
        ApiError::MissingField(param) => ApiError::MissingField(prefix(&param)),
        ApiError::InvalidField { param, message } => {
            let param = prefix(&param);
            ApiError::InvalidField { message: format!("`{param}`: {message}"), param }
        }
        ApiError::InvalidPhoneNumber { param, message } => {
            let param = prefix(&param);
            ApiError::InvalidPhoneNumber { message: format!("`{param}`: {message}"), param }
        }
        other => other,
    }
}

/// A new contact from an item: `null` and absent alike leave a field empty.
fn new_fields(item: &Item, account: &AccountRow) -> ContactFields {
    fn value<T: Clone>(p: &Patch<T>) -> Option<T> {
        match p {
            Patch::Value(v) => Some(v.clone()),
            _ => None,
        }
    }
    let metadata: Map<String, Value> = match &item.metadata {
        Patch::Value(m) => {
            m.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.clone(), v.clone())).collect()
        }
        _ => Map::new(),
    };
    ContactFields {
        team_id: value(&item.team_id).unwrap_or_else(|| account.team_id.clone()),
        phone_number: item.phone_number.clone(),
        name: value(&item.name),
        email: value(&item.email),
        metadata: Value::Object(metadata).to_string(),
    }
}

/// An existing contact with the item applied as a PATCH; also the names of the fields that
/// changed.
fn patch(
    item: &Item,
    current: &ContactRow,
    account: &AccountRow,
    i: usize,
) -> Result<(ContactFields, Vec<&'static str>)> {
    let text = |p: &Patch<String>, now: &Option<String>| match p {
        Patch::Absent => now.clone(),
        Patch::Null => None,
        Patch::Value(v) => Some(v.clone()),
    };
    let current_metadata: Map<String, Value> =
        serde_json::from_str(&current.metadata).unwrap_or_default();
    let metadata = match &item.metadata {
        Patch::Absent => current_metadata.clone(),
        Patch::Null => Map::new(),
        Patch::Value(patch) => {
            let mut merged = current_metadata.clone();
            for (key, value) in patch {
                if value.is_null() {
                    merged.remove(key);
                } else {
                    merged.insert(key.clone(), value.clone());
                }
            }
            validate::metadata(&merged).map_err(|e| within(i, e))?;
            merged
        }
    };
    let team_id = match &item.team_id {
        Patch::Absent => current.team_id.clone(),
        Patch::Null => account.team_id.clone(),
        Patch::Value(team) => team.clone(),
    };
    let fields = ContactFields {
        team_id,
        phone_number: current.phone_number.clone(),
        name: text(&item.name, &current.name),
        email: text(&item.email, &current.email),
        metadata: Value::Object(metadata.clone()).to_string(),
    };
    let mut changed = Vec::new();
    if fields.email != current.email {
        changed.push("email");
    }
    if !validate::same_metadata(&metadata, &current_metadata) {
        changed.push("metadata");
    }
    if fields.name != current.name {
        changed.push("name");
    }
    if fields.team_id != current.team_id {
        changed.push("team_id");
    }
    Ok((fields, changed))
}
