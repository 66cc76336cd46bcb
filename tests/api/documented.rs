//! The operations of the OpenAPI document, for the tests that must reach every endpoint (tenancy,
//! hostile input): they take their routes from here, so an endpoint is covered the day it is
//! documented, and `openapi::route_table_and_document_agree` makes documenting it a must.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::unique_phone;

/// One documented operation; `path` is the document's template (`/v1/labels/{id}`).
#[derive(Clone, Debug)]
pub struct Documented {
    pub method: Method,
    pub path: String,
    /// The component schema of its JSON body, if it takes one (`LabelIn`).
    pub body_schema: Option<String>,
}

/// Real ids for the placeholders of a path and the ids a valid body names.
pub struct Ids<'a> {
    pub phone_number_id: &'a str,
    pub contact: &'a str,
    pub label: &'a str,
    pub team: &'a str,
}

pub fn operations() -> Vec<Documented> {
    let document = kirim::openapi::document();
    let mut out = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("a path item") {
            let schema = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                .as_str()
                .map(|r| r.trim_start_matches("#/components/schemas/").to_owned());
            out.push(Documented {
                method: method.to_uppercase().parse().expect("an HTTP method"),
                path: path.clone(),
                body_schema: schema,
            });
        }
    }
    out
}

impl Documented {
    /// The path with real ids: `{id}` is the contact's under `/contacts/`, the label's under
    /// `/labels/`.
    pub fn path_with(&self, ids: &Ids<'_>) -> String {
        self.path
            .replace("{phone_number_id}", ids.phone_number_id)
            .replace("/contacts/{id}", &format!("/contacts/{}", ids.contact))
            .replace("/labels/{id}", &format!("/labels/{}", ids.label))
            .replace("{label_id}", ids.label)
    }

    /// A valid body for the operation, naming `ids`; `None` when it takes no body.
    pub fn body_with(&self, ids: &Ids<'_>) -> Option<Value> {
        let schema = self.body_schema.as_deref()?;
        Some(match schema {
            "ContactIn" => json!({
                "phone_number": unique_phone(), "name": "Ana", "email": "ana@example.com",
                "metadata": { "tier": "gold", "visits": 3, "vip": true }, "team_id": ids.team,
            }),
            "ContactPatch" => json!({ "name": "Ana B.", "metadata": { "tier": null } }),
            "LabelIn" => json!({ "name": "VIP", "color": "red", "team_id": ids.team }),
            "LabelPatch" => json!({ "name": "Renamed", "color": "blue" }),
            "AttachIn" => json!({ "label_id": ids.label }),
            "BulkLabelIn" => json!({
                "contact_ids": [ids.contact, "ctc_01HZZZZZZZZZZZZZZZZZZZZZZZ"],
                "label_id": ids.label, "operation": "attach",
            }),
            "BulkUpsertIn" => json!({
                "contacts": [{ "phone_number": unique_phone(), "name": "Ana", "team_id": ids.team }],
                "label_id": ids.label,
            }),
            "WebhookSubscriptionIn" => json!({
                "url": "https://93.184.216.34/hooks/kirim",
                "events": ["contact.created", "label.deleted"], "description": "CRM",
            }),
            "WebhookSubscriptionPatch" => json!({ "description": "CRM sync", "status": "paused" }),
            "WebhookSecretRotationIn" => json!({ "expires_in_hours": 1 }),
            "WebhookBulkReplayIn" => json!({
                "subscription_id": "wbs_01HZZZZZZZZZZZZZZZZZZZZZZZ", "status": "dead",
                "event_type": "contact.updated", "created_after": "2026-01-01T00:00:00Z",
            }),
            other => panic!(
                "no valid body known for the schema `{other}` of {} {}: add one to \
                 tests/api/documented.rs so the tenancy and hostile-input tests cover it",
                self.method, self.path
            ),
        })
    }
}
