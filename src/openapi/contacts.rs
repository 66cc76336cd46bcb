//! The operations under `/v1/{phone_number_id}/contacts`.

use serde_json::{Value, json};

use super::build::{
    Access, EXAMPLE_REQUEST_ID, Op, data_envelope, list_envelope, query_param, schema_ref,
};
use super::params::{
    ACCOUNT, INVALID, MISSING, NOT_FOUND, account_param, body, contact_param, label_param, link,
    page_params,
};
use crate::api::contacts::MAX_IDS;
use crate::ids::DEMO_PHONE_NUMBER_ID as PHONE_NUMBER_ID;
use crate::validate::SEARCH_MAX_CHARS;

const COLLECTION: &str = "/v1/{phone_number_id}/contacts";
const ONE: &str = "/v1/{phone_number_id}/contacts/{id}";
const LABELS: &str = "/v1/{phone_number_id}/contacts/{id}/labels";

/// Links from a response whose `data` is a contact, to the operations on that contact.
fn contact_links(pointer: &str) -> Value {
    let params = json!({
        "phone_number_id": "$request.path.phone_number_id",
        "id": format!("$response.body#{pointer}"),
    });
    json!({
        "GetContact": link("v1.contact.get", params.clone()),
        "UpdateContact": link("v1.contact.update", params.clone()),
        "ListContactLabels": link("v1.contact.list_labels", params.clone()),
        "AttachLabel": link("v1.contact.attach_label", params.clone()),
        "DeleteContact": link("v1.contact.delete", params),
    })
}

pub fn all() -> Vec<Op> {
    let contact = || data_envelope(schema_ref("Contact"));
    let link_result = || data_envelope(schema_ref("LabelLink"));
    let (bulk_request, bulk_response) = bulk_examples();
    vec![
        Op {
            tag: "contacts",
            summary: "List contacts",
            description: "Newest first (oldest change first with `updated_since`). Filters combine; a cursor is bound to the filters it was \
                          issued with."
                .into(),
            params: [
                account_param(),
                query_param("phone", "Exact E.164 number.", schema_ref("PhoneNumber")),
                search_param(),
                query_param(
                    "label_id",
                    "Only contacts carrying this label.",
                    schema_ref("LabelId"),
                ),
                query_param(
                    "updated_since",
                    "Only contacts changed at or after this time (label changes included), \
                     oldest change first instead of newest first. Resume a sync from your \
                     watermark minus the server's request deadline: a change becomes visible \
                     when it commits, after its stamp.",
                    json!({ "type": "string", "format": "date-time" }),
                ),
            ]
            .into_iter()
            .chain(page_params())
            .collect(),
            response_description: "A page of contacts",
            response: list_envelope(schema_ref("Contact")),
            links: contact_links("/data/0/id"),
            errors: vec![ACCOUNT, INVALID, "invalid_limit", "invalid_cursor", NOT_FOUND],
            ..Op::new("get", COLLECTION, "v1.contact.list")
        },
        Op {
            tag: "contacts",
            summary: "Create a contact",
            description: "`phone_number` is unique per account (else `409 \
                          duplicate_phone_number`). The contact joins its account's team unless \
                          `team_id` names another team of the organisation."
                .into(),
            access: Access::Post,
            params: vec![account_param()],
            body: Some(body("ContactIn", Value::Null)),
            status: 201,
            response_description: "The contact",
            response: contact(),
            links: contact_links("/data/id"),
            errors: vec![ACCOUNT, MISSING, INVALID, NOT_FOUND, "duplicate_phone_number"],
            ..Op::new("post", COLLECTION, "v1.contact.create")
        },
        Op {
            tag: "contacts",
            summary: "Fetch a contact",
            params: vec![account_param(), contact_param()],
            response_description: "The contact",
            response: contact(),
            errors: vec![ACCOUNT, NOT_FOUND],
            ..Op::new("get", ONE, "v1.contact.get")
        },
        Op {
            tag: "contacts",
            summary: "Update a contact",
            description:
                "Absent fields are unchanged, `null` clears; `metadata` merges key by key \
                          and a `null` value removes that key."
                    .into(),
            access: Access::Write,
            params: vec![account_param(), contact_param()],
            body: Some(body("ContactPatch", Value::Null)),
            response_description: "The contact",
            response: contact(),
            errors: vec![ACCOUNT, INVALID, NOT_FOUND],
            ..Op::new("patch", ONE, "v1.contact.update")
        },
        Op {
            tag: "contacts",
            summary: "Delete a contact",
            description: "Also removes its label links.".into(),
            access: Access::Write,
            params: vec![account_param(), contact_param()],
            response_description: "Deleted",
            response: data_envelope(schema_ref("Deleted")),
            errors: vec![ACCOUNT, NOT_FOUND],
            ..Op::new("delete", ONE, "v1.contact.delete")
        },
        Op {
            tag: "contacts",
            summary: "Labels on a contact",
            description: "Newest first.".into(),
            params: [account_param(), contact_param()].into_iter().chain(page_params()).collect(),
            response_description: "A page of the contact's labels",
            response: list_envelope(schema_ref("Label")),
            errors: vec![ACCOUNT, "invalid_limit", "invalid_cursor", NOT_FOUND],
            ..Op::new("get", LABELS, "v1.contact.list_labels")
        },
        Op {
            tag: "contacts",
            summary: "Attach a label to a contact",
            description: "Attaching twice is a no-op success. The label must be of the contact's \
                          team (else `400 invalid_field_value`, `param` `label_id`)."
                .into(),
            access: Access::Post,
            params: vec![account_param(), contact_param()],
            body: Some(body("AttachIn", Value::Null)),
            response_description: "Attached",
            response: link_result(),
            links: json!({
                "DetachLabel": link("v1.contact.detach_label", json!({
                    "phone_number_id": "$request.path.phone_number_id",
                    "id": "$request.path.id",
                    "label_id": "$response.body#/data/label_id",
                })),
            }),
            errors: vec![ACCOUNT, MISSING, INVALID, NOT_FOUND],
            ..Op::new("post", LABELS, "v1.contact.attach_label")
        },
        Op {
            tag: "contacts",
            summary: "Detach a label from a contact",
            description: "Detaching a label that is not on the contact is a no-op success.".into(),
            access: Access::Write,
            params: vec![account_param(), contact_param(), label_param("label_id")],
            response_description: "Detached",
            response: link_result(),
            errors: vec![ACCOUNT, NOT_FOUND],
            ..Op::new(
                "delete",
                "/v1/{phone_number_id}/contacts/{id}/labels/{label_id}",
                "v1.contact.detach_label",
            )
        },
        Op {
            tag: "contacts",
            summary: "Attach or detach a label across many contacts",
            description: bulk_description(),
            access: Access::Post,
            params: vec![account_param()],
            body: Some(body("BulkLabelIn", bulk_request)),
            response_description: "Bulk operation result",
            response: data_envelope(schema_ref("BulkLabelResult")),
            response_examples: bulk_response,
            errors: vec![ACCOUNT, MISSING, INVALID, NOT_FOUND],
            ..Op::new("post", "/v1/{phone_number_id}/contacts/bulk_label", "v1.contact.bulk_label")
        },
        super::upsert::op(),
    ]
}

/// The bulk-label examples: the call of the hosted documentation (`106540352242922`, attach),
/// with ids of the right form, and its answer.
fn bulk_examples() -> (Value, Value) {
    let request = json!({
        "attach": { "summary": "Attach a label to three contacts", "value": {
            "contact_ids": [
                "ctc_01J0ZQ3X5V8K2M4N6P7R9S0T1W",
                "ctc_01J0ZQ3X5V8K2M4N6P7R9S0T1X",
                "ctc_01J0ZQ3X5V8K2M4N6P7R9S0T1Y",
            ],
            "label_id": "lbl_01J0ZQ3X5V8K2M4N6P7R9S0T1Z",
            "operation": "attach",
        }},
        "detach": { "summary": "Detach it again", "value": {
            "contact_ids": ["ctc_01J0ZQ3X5V8K2M4N6P7R9S0T1W"],
            "label_id": "lbl_01J0ZQ3X5V8K2M4N6P7R9S0T1Z",
            "operation": "detach",
        }},
    });
    let response = json!({
        "attach": { "summary": "One applied, one of another account, one of another team",
            "value": {
                "data": { "applied": 1, "skipped_cross_org": 1, "skipped_team_mismatch": 1 },
                "request_id": EXAMPLE_REQUEST_ID,
            }
        },
    });
    (request, response)
}

fn bulk_description() -> String {
    format!(
        "Apply or remove a label from up to {MAX_IDS} contacts in a single transaction. Contacts \
         not owned by the path-scoped account are silently skipped and counted under \
         `skipped_cross_org`; contacts of the account in another team than the label's under \
         `skipped_team_mismatch`; every other contact is `applied` (after the call the link \
         exists, or does not, whether or not it did before). Duplicate ids are counted once, so \
         the three counts add up to the number of distinct ids.\n\nExample: `POST \
         /v1/{PHONE_NUMBER_ID}/contacts/bulk_label`."
    )
}

fn search_param() -> Value {
    query_param(
        "search",
        "Case-insensitive substring of the name or email.",
        json!({ "type": "string", "minLength": 1, "maxLength": SEARCH_MAX_CHARS }),
    )
}
