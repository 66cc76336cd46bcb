//! The webhook events of contact and label changes (contract §8.2), built from the same
//! serialisers as the API's answers, so `data.contact` is exactly what `GET` returns.

use std::collections::HashMap;

use serde::Serialize;

use crate::api::resources::{ContactOut, LabelOut};
use crate::ids::{LabelId, PhoneNumberId};
use crate::store::contacts::TouchedContact;
use crate::webhooks::events::{
    CONTACT_CREATED, CONTACT_DELETED, CONTACT_UPDATED, LABEL_CREATED, LABEL_DELETED, LABEL_UPDATED,
};
use crate::webhooks::outbox::NewEvent;

/// The labels a change attached to and detached from one contact.
#[derive(Debug, Default, Serialize)]
pub struct LabelChanges {
    pub attached: Vec<LabelId>,
    pub detached: Vec<LabelId>,
}

impl LabelChanges {
    pub fn attached(label: &LabelId) -> Self {
        Self { attached: vec![label.clone()], detached: Vec::new() }
    }

    pub fn detached(label: &LabelId) -> Self {
        Self { attached: Vec::new(), detached: vec![label.clone()] }
    }
}

#[derive(Serialize)]
struct ContactCreated<'a> {
    contact: &'a ContactOut,
    acquisition_source: &'static str,
}

#[derive(Serialize)]
struct ContactUpdated<'a> {
    contact: &'a ContactOut,
    changed_fields: &'a [&'static str],
    #[serde(skip_serializing_if = "Option::is_none")]
    label_changes: Option<&'a LabelChanges>,
}

#[derive(Serialize)]
struct ContactOnly<'a> {
    contact: &'a ContactOut,
}

#[derive(Serialize)]
struct LabelData<'a> {
    label: &'a LabelOut,
    #[serde(skip_serializing_if = "Option::is_none")]
    changed_fields: Option<&'a [&'static str]>,
}

/// `contact.created` by the REST call (`acquisition_source: api`).
pub fn contact_created(contact: &ContactOut) -> NewEvent {
    NewEvent::new(CONTACT_CREATED, &ContactCreated { contact, acquisition_source: "api" })
}

/// `contact.created` by an import, e.g. bulk upsert (`acquisition_source: import`).
pub fn contact_imported(contact: &ContactOut) -> NewEvent {
    NewEvent::new(CONTACT_CREATED, &ContactCreated { contact, acquisition_source: "import" })
}

/// `contact.updated`; `changed_fields` sorted, `labels` among them exactly when `labels` is
/// given.
pub fn contact_updated(
    contact: &ContactOut,
    changed_fields: &[&'static str],
    labels: Option<&LabelChanges>,
) -> NewEvent {
    let data = ContactUpdated { contact, changed_fields, label_changes: labels };
    NewEvent::new(CONTACT_UPDATED, &data)
}

/// `contact.updated` for contacts whose link set changed, one per contact: `labels` the only
/// changed field.
pub fn links_changed(
    contacts: Vec<TouchedContact>,
    phone_numbers: &HashMap<PhoneNumberId, String>,
    changes: &LabelChanges,
) -> Vec<NewEvent> {
    contacts
        .into_iter()
        .map(|t| {
            let phone_number = phone_numbers.get(&t.account_id).cloned().unwrap_or_default();
            let contact = ContactOut::with_account(t.contact, phone_number, t.account_id);
            contact_updated(&contact, &["labels"], Some(changes))
        })
        .collect()
}

/// `contact.deleted` with the contact's last state.
pub fn contact_deleted(contact: &ContactOut) -> NewEvent {
    NewEvent::new(CONTACT_DELETED, &ContactOnly { contact })
}

pub fn label_created(label: &LabelOut) -> NewEvent {
    NewEvent::new(LABEL_CREATED, &LabelData { label, changed_fields: None })
}

pub fn label_updated(label: &LabelOut, changed_fields: &[&'static str]) -> NewEvent {
    NewEvent::new(LABEL_UPDATED, &LabelData { label, changed_fields: Some(changed_fields) })
}

pub fn label_deleted(label: &LabelOut) -> NewEvent {
    NewEvent::new(LABEL_DELETED, &LabelData { label, changed_fields: None })
}
