//! `POST /v1/{phone_number_id}/contacts/bulk_label` (contract §5): attach or detach one label on
//! up to 1,000 contacts, all or nothing, in the request's transaction.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use crate::api::events::{self, LabelChanges};
use crate::api::{accounts, labels};
use crate::clock;
use crate::error::{ApiError, Result};
use crate::http::body::JsonObject;
use crate::http::db::DbConn;
use crate::http::path::Path;
use crate::http::tenant::Tenant;
use crate::ids::ContactId;
use crate::store;
use crate::store::links::{Bulk, BulkOutcome, Operation};
use crate::webhooks::events::CONTACT_UPDATED;
use crate::webhooks::outbox;
use crate::wire::{Data, WriteJson};

pub const MAX_IDS: usize = 1000;

impl WriteJson for BulkOutcome {}

pub async fn bulk_label(
    tenant: Tenant,
    mut db: DbConn,
    Path(phone_number_id): Path<String>,
    body: JsonObject,
) -> Result<Data<BulkOutcome>> {
    // 1. Validate everything before touching the database.
    let phone_number_id = crate::validate::phone_number_id(&phone_number_id)?;
    let ids = contact_ids(&body)?;
    let raw_label_id = body.required_str("label_id")?;
    let operation = match body.required_str("operation")? {
        "attach" => Operation::Attach,
        "detach" => Operation::Detach,
        _ => {
            return Err(ApiError::invalid_field(
                "operation",
                "`operation` must be `attach` or `detach`.",
            ));
        }
    };
    // A malformed label id names no label: a 404, after every 400 (contract §5, step 2).
    let label_id = labels::parse_id(raw_label_id, "label_id")?;

    // 2. Partition, apply and stamp in the store's few statements. The contacts whose link
    //    changed come back only if a subscription will receive their `contact.updated`.
    let org = &tenant.org_id;
    let now = clock::now_ms();
    let result = store::links::bulk(
        db.conn(),
        org,
        &phone_number_id,
        &label_id,
        &ids,
        operation,
        now,
        CONTACT_UPDATED,
    )
    .await?;
    let (outcome, changed) = match result {
        Bulk::NoAccount => return Err(ApiError::not_found_param("account", "phone_number_id")),
        Bulk::NoLabel => return Err(ApiError::not_found_param("label", "label_id")),
        Bulk::Applied { outcome, changed } => (outcome, changed),
    };

    // 3. One `contact.updated` per changed contact, in the same transaction.
    if !changed.is_empty() {
        let account = accounts::find(db.conn(), &tenant, &phone_number_id).await?;
        let changes = match operation {
            Operation::Attach => LabelChanges::attached(&label_id),
            Operation::Detach => LabelChanges::detached(&label_id),
        };
        let phone_numbers = HashMap::from([(account.phone_number_id, account.phone_number)]);
        let events = events::links_changed(changed, &phone_numbers, &changes);
        outbox::record(db.conn(), org, events).await?;
    }
    crate::metrics::bulk_label(
        outcome.applied,
        outcome.skipped_cross_org,
        outcome.skipped_team_mismatch,
    );
    Ok(Data(outcome))
}

/// 1 to 1,000 well-formed contact ids, duplicates dropped (first occurrence kept).
fn contact_ids(body: &JsonObject) -> Result<Vec<ContactId>> {
    let items = match body.get("contact_ids") {
        None | Some(Value::Null) => return Err(ApiError::MissingField("contact_ids".into())),
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(ApiError::invalid_field("contact_ids", "`contact_ids` must be an array."));
        }
    };
    if items.is_empty() || items.len() > MAX_IDS {
        return Err(ApiError::invalid_field(
            "contact_ids",
            format!("`contact_ids` must hold 1 to {MAX_IDS} ids."),
        ));
    }
    let mut seen = HashSet::with_capacity(items.len());
    let mut ids = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let id = item.as_str().and_then(ContactId::parse).ok_or_else(|| {
            ApiError::invalid_field(
                format!("contact_ids[{i}]"),
                format!("`contact_ids[{i}]` is not a contact id (ctc_…)."),
            )
        })?;
        if seen.insert(id.clone()) {
            ids.push(id);
        }
    }
    Ok(ids)
}
