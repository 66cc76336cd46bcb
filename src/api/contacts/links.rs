//! One contact's labels: list, attach, detach.

use axum::extract::State;

use super::{find, parse_id};
use crate::api::accounts;
use crate::api::events::{self, LabelChanges};
use crate::api::labels;
use crate::api::resources::{ContactOut, LabelOut, LinkState};
use crate::clock;
use crate::error::{ApiError, Result};
use crate::http::body::JsonObject;
use crate::http::db::DbConn;
use crate::http::page::PageRequest;
use crate::http::path::Path;
use crate::http::query::QueryParams;
use crate::http::tenant::Tenant;
use crate::ids::{ContactId, LabelId, OrgId};
use crate::state::AppState;
use crate::store::accounts::AccountRow;
use crate::store::links::LabelHold;
use crate::store::{self, Conn};
use crate::webhooks::outbox;
use crate::wire::{Data, List};

/// The labels on the contact, newest first, paged like every list.
pub async fn list(
    State(state): State<AppState>,
    tenant: Tenant,
    mut db: DbConn,
    Path((phone_number_id, id)): Path<(String, String)>,
    query: QueryParams,
) -> Result<List<LabelOut>> {
    let account = accounts::resolve(db.conn(), &tenant, &phone_number_id).await?;
    let contact = find(db.conn(), &tenant, &account, &parse_id(&id)?).await?;
    let scope = format!("contact_labels|{}|{}", tenant.org_id, contact.id);
    let page = PageRequest::parse(&query, &state.cursors, scope)?;
    let after = page.after(LabelId::parse)?;
    let mut rows =
        store::links::labels_of(db.conn(), &tenant.org_id, &contact.id, after.as_ref(), page.limit)
            .await?;
    let next_cursor = page.finish(&mut rows, &state.cursors, |l| l.id.as_str());
    Ok(List { data: rows.into_iter().map(LabelOut::from).collect(), next_cursor })
}

/// Attaching twice is a no-op success. The label must be of the contact's team, as in bulk.
pub async fn attach(
    tenant: Tenant,
    mut db: DbConn,
    Path((phone_number_id, id)): Path<(String, String)>,
    body: JsonObject,
) -> Result<Data<LinkState>> {
    let account = accounts::resolve(db.conn(), &tenant, &phone_number_id).await?;
    let contact_id = parse_id(&id)?;
    let label_id = body.required_str("label_id")?;
    let label_id = labels::parse_id(label_id, "label_id")?;
    let label = store::links::lock_label(db.conn(), &tenant.org_id, &label_id, LabelHold::Links)
        .await?
        .ok_or(ApiError::not_found_param("label", "label_id"))?;
    // Locked: nothing else keeps the contact from being deleted before the link commits.
    let contact = store::contacts::get_locked(
        db.conn(),
        &tenant.org_id,
        &account.phone_number_id,
        &contact_id,
    )
    .await?
    .ok_or(ApiError::not_found_param("contact", "id"))?;
    if contact.team_id != label.team_id {
        return Err(ApiError::invalid_field(
            "label_id",
            "The label belongs to another team than the contact.",
        ));
    }
    if store::links::attach(db.conn(), &label_id, &contact_id, clock::now_ms()).await? {
        let changes = LabelChanges::attached(&label_id);
        link_changed(db.conn(), &tenant.org_id, &account, &contact_id, &changes).await?;
    }
    Ok(Data(LinkState { contact_id, label_id, attached: true }))
}

/// Detaching a label that is not on the contact is a no-op success.
pub async fn detach(
    tenant: Tenant,
    mut db: DbConn,
    Path((phone_number_id, id, label_id)): Path<(String, String, String)>,
) -> Result<Data<LinkState>> {
    let account = accounts::resolve(db.conn(), &tenant, &phone_number_id).await?;
    let contact_id = parse_id(&id)?;
    let label_id = labels::parse_id(&label_id, "label_id")?;
    store::links::lock_label(db.conn(), &tenant.org_id, &label_id, LabelHold::Links)
        .await?
        .ok_or(ApiError::not_found_param("label", "label_id"))?;
    // Locked before the link is removed, as a bulk call locks its contacts before it touches
    // their links: taken the other way round, the two could each wait on the other.
    store::contacts::get_locked(db.conn(), &tenant.org_id, &account.phone_number_id, &contact_id)
        .await?
        .ok_or(ApiError::not_found_param("contact", "id"))?;
    if store::links::detach(db.conn(), &label_id, &contact_id).await? {
        let changes = LabelChanges::detached(&label_id);
        link_changed(db.conn(), &tenant.org_id, &account, &contact_id, &changes).await?;
    }
    Ok(Data(LinkState { contact_id, label_id, attached: false }))
}

/// A contact's link set changed: stamp its `updated_at` and record `contact.updated`.
async fn link_changed(
    mut conn: Conn<'_>,
    org: &OrgId,
    account: &AccountRow,
    contact: &ContactId,
    changes: &LabelChanges,
) -> Result<()> {
    let ids = [contact.clone()];
    let touched = store::contacts::touch(conn.reborrow(), org, &ids, clock::now_ms()).await?;
    let events: Vec<_> = touched
        .into_iter()
        .map(|t| {
            let contact = ContactOut::new(t.contact, account);
            events::contact_updated(&contact, &["labels"], Some(changes))
        })
        .collect();
    outbox::record(conn, org, events).await?;
    Ok(())
}
