//! Contacts of one WhatsApp account: CRUD, list filters, a contact's labels, bulk label and
//! bulk upsert.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::client::Client;
use crate::error::Result;
use crate::labels::Label;
use crate::pager::Pager;
use crate::{Deleted, enc};

/// A contact as the server returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    /// `ctc_…`
    pub id: String,
    /// E.164, unique within the account.
    pub phone_number: String,
    pub name: Option<String>,
    pub email: Option<String>,
    /// Strings, numbers and booleans by key.
    pub metadata: Map<String, Value>,
    pub whatsapp_account: WhatsappAccount,
    /// The contact's team (by default its account's team). kirim always sends it; a server that
    /// does not (the hosted API documents no team on a contact) leaves it `None`.
    #[serde(default)]
    pub team_id: Option<String>,
    /// RFC 3339, milliseconds, UTC.
    pub created_at: String,
    /// RFC 3339, milliseconds, UTC.
    pub updated_at: String,
}

/// The account a contact belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhatsappAccount {
    pub phone_number: String,
    pub phone_number_id: String,
}

/// Body of `POST …/contacts`, and one item of a bulk upsert.
///
/// In a bulk upsert the fields follow PATCH rules for a contact that already exists: a field
/// left `None` is left as it is; to clear one, use [`UpsertItem`] with `Some(None)`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct NewContact {
    pub phone_number: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
}

/// Body of `PATCH …/contacts/{id}`: `None` leaves a field unchanged, `Some(None)` clears it
/// (sent as `null`). `metadata` merges key by key; a `null` value removes that key.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ContactPatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Option<Map<String, Value>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team_id: Option<Option<String>>,
}

/// One item of a bulk upsert: the phone number that matches, and PATCH-style fields.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct UpsertItem {
    pub phone_number: String,
    #[serde(flatten)]
    pub fields: ContactPatch,
}

impl From<NewContact> for UpsertItem {
    fn from(c: NewContact) -> Self {
        Self {
            phone_number: c.phone_number,
            fields: ContactPatch {
                name: c.name.map(Some),
                email: c.email.map(Some),
                metadata: c.metadata.map(Some),
                team_id: c.team_id.map(Some),
            },
        }
    }
}

/// Filters of `GET …/contacts`. All optional; they combine.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactFilter {
    /// Exact E.164 number.
    pub phone: Option<String>,
    /// Case-insensitive substring of name or email (1–200 chars).
    pub search: Option<String>,
    /// Only contacts carrying this label.
    pub label_id: Option<String>,
    /// Contacts changed at or after this RFC 3339 time, oldest change first (sync).
    pub updated_since: Option<String>,
    /// Page size, 1–100 (server default 25).
    pub limit: Option<u32>,
}

impl ContactFilter {
    fn query(&self) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        let fields = [
            ("phone", &self.phone),
            ("search", &self.search),
            ("label_id", &self.label_id),
            ("updated_since", &self.updated_since),
        ];
        for (name, value) in fields {
            if let Some(v) = value {
                q.push((name, v.clone()));
            }
        }
        if let Some(limit) = self.limit {
            q.push(("limit", limit.to_string()));
        }
        q
    }
}

/// `attach` or `detach`, for bulk label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Operation {
    Attach,
    Detach,
}

/// Result of a bulk label call; the three counts add up to the distinct ids sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkLabelResult {
    pub applied: u64,
    pub skipped_cross_org: u64,
    pub skipped_team_mismatch: u64,
}

/// Result of linking or unlinking one label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelLink {
    pub contact_id: String,
    pub label_id: String,
    pub attached: bool,
}

/// What a bulk upsert did with one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UpsertResult {
    Created,
    Updated,
    Unchanged,
}

/// One item's outcome, in request order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpsertedContact {
    pub id: String,
    pub phone_number: String,
    pub result: UpsertResult,
}

/// Result of a bulk upsert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkUpsertResult {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub contacts: Vec<UpsertedContact>,
}

fn contacts_path(account: &str) -> String {
    format!("/v1/{}/contacts", enc(account))
}

fn contact_path(account: &str, id: &str) -> String {
    format!("/v1/{}/contacts/{}", enc(account), enc(id))
}

impl Client {
    /// `GET /v1/{phone_number_id}/contacts`: every matching contact, page after page.
    pub fn list_contacts(&self, account: &str, filter: &ContactFilter) -> Pager<Contact> {
        Pager::new(self, contacts_path(account), filter.query())
    }

    /// `POST /v1/{phone_number_id}/contacts`.
    pub async fn create_contact(&self, account: &str, contact: &NewContact) -> Result<Contact> {
        self.call_with(Method::POST, &contacts_path(account), contact).await
    }

    /// `GET /v1/{phone_number_id}/contacts/{id}`.
    pub async fn get_contact(&self, account: &str, id: &str) -> Result<Contact> {
        self.call(Method::GET, &contact_path(account, id), &[], None).await
    }

    /// `PATCH /v1/{phone_number_id}/contacts/{id}`.
    pub async fn update_contact(
        &self,
        account: &str,
        id: &str,
        patch: &ContactPatch,
    ) -> Result<Contact> {
        self.call_with(Method::PATCH, &contact_path(account, id), patch).await
    }

    /// `DELETE /v1/{phone_number_id}/contacts/{id}`.
    pub async fn delete_contact(&self, account: &str, id: &str) -> Result<Deleted> {
        self.call(Method::DELETE, &contact_path(account, id), &[], None).await
    }

    /// `GET /v1/{phone_number_id}/contacts/{id}/labels`.
    pub async fn contact_labels(&self, account: &str, id: &str) -> Result<Vec<Label>> {
        let path = format!("{}/labels", contact_path(account, id));
        Pager::new(self, path, Vec::new()).collect().await
    }

    /// `POST /v1/{phone_number_id}/contacts/{id}/labels`: attach one label (no-op if attached).
    pub async fn attach_label(&self, account: &str, id: &str, label_id: &str) -> Result<LabelLink> {
        let path = format!("{}/labels", contact_path(account, id));
        self.call_with(Method::POST, &path, &json!({ "label_id": label_id })).await
    }

    /// `DELETE /v1/{phone_number_id}/contacts/{id}/labels/{label_id}` (no-op if absent).
    pub async fn detach_label(&self, account: &str, id: &str, label_id: &str) -> Result<LabelLink> {
        let path = format!("{}/labels/{}", contact_path(account, id), enc(label_id));
        self.call(Method::DELETE, &path, &[], None).await
    }

    /// `POST /v1/{phone_number_id}/contacts/bulk_label`: up to 1,000 ids, all or nothing.
    pub async fn bulk_label(
        &self,
        account: &str,
        label_id: &str,
        operation: Operation,
        contact_ids: &[String],
    ) -> Result<BulkLabelResult> {
        let path = format!("{}/bulk_label", contacts_path(account));
        let body =
            json!({ "contact_ids": contact_ids, "label_id": label_id, "operation": operation });
        self.call_with(Method::POST, &path, &body).await
    }

    /// `POST /v1/{phone_number_id}/contacts/bulk_upsert`: up to 1,000 contacts matched by phone
    /// number, created or updated in one transaction; with `label_id`, each ends up carrying it.
    pub async fn bulk_upsert(
        &self,
        account: &str,
        contacts: &[UpsertItem],
        label_id: Option<&str>,
    ) -> Result<BulkUpsertResult> {
        let path = format!("{}/bulk_upsert", contacts_path(account));
        let mut body = json!({ "contacts": contacts });
        if let Some(label) = label_id {
            body["label_id"] = label.into();
        }
        self.call_with(Method::POST, &path, &body).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patch_sends_only_what_it_sets_and_null_for_what_it_clears() {
        let patch = ContactPatch {
            name: Some(None),
            email: Some(Some("a@b.co".into())),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&patch).unwrap(),
            json!({ "name": null, "email": "a@b.co" })
        );
        let item = UpsertItem { phone_number: "+14155550123".into(), fields: patch };
        assert_eq!(
            serde_json::to_value(&item).unwrap(),
            json!({ "phone_number": "+14155550123", "name": null, "email": "a@b.co" })
        );
    }

    #[test]
    fn filters_become_query_parameters() {
        let f =
            ContactFilter { search: Some("ana".into()), limit: Some(100), ..Default::default() };
        assert_eq!(f.query(), vec![("search", "ana".to_owned()), ("limit", "100".to_owned())]);
    }
}
