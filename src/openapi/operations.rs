//! Every operation of the contract (§4), with the error codes each handler can answer.

use serde_json::{Value, json};

use super::build::{
    Access, EXAMPLE_REQUEST_ID, Op, data_envelope, list_envelope, path_param, query_param,
    schema_ref,
};
use super::schemas;
use crate::api::contacts::MAX_IDS;
use crate::ids::DEMO_PHONE_NUMBER_ID as PHONE_NUMBER_ID;
use crate::validate::SEARCH_MAX_CHARS;

pub(super) const ACCOUNT: &str = "invalid_phone_number";
pub(super) const NOT_FOUND: &str = "resource_not_found";
pub(super) const INVALID: &str = "invalid_field_value";
pub(super) const MISSING: &str = "missing_required_field";

pub(super) fn account_param() -> Value {
    path_param(
        "phone_number_id",
        "Meta WhatsApp Business `phone_number_id` of the connected account that owns the \
         resource. Discoverable via `GET /v1/accounts`.",
        schemas::phone_number_id(),
    )
}

pub(super) fn contact_param() -> Value {
    path_param("id", "The contact's id.", schema_ref("ContactId"))
}

pub(super) fn label_param(name: &str) -> Value {
    path_param(name, "The label's id.", schema_ref("LabelId"))
}

pub(super) fn body(schema: &str, examples: Value) -> Value {
    let mut content = json!({ "schema": schema_ref(schema) });
    if !examples.is_null() {
        content["examples"] = examples;
    }
    json!({ "required": true, "content": { "application/json": content } })
}

pub(super) fn page_params() -> [Value; 2] {
    [
        query_param("limit", "Page size.", schemas::limit()),
        query_param(
            "cursor",
            "`next_cursor` of the previous page, with the same filters.",
            json!({ "type": "string", "minLength": 1 }),
        ),
    ]
}

/// A link to another operation, its parameters taken from this response or request.
pub(super) fn link(operation_id: &str, parameters: Value) -> Value {
    json!({ "operationId": operation_id, "parameters": parameters })
}

pub fn all() -> Vec<Op> {
    let mut ops = vec![health(), openapi(), me(), accounts()];
    ops.extend(super::contacts::all());
    ops.extend(labels());
    ops.extend(super::webhooks::all());
    ops
}

fn health() -> Op {
    Op {
        tag: "health",
        summary: "Is this node able to serve",
        description: "No key needed. `503 service_unavailable` when the database does not answer \
                      within two seconds."
            .into(),
        access: Access::Public,
        response_description: "The node and its database are up",
        response: data_envelope(schema_ref("Health")),
        ..Op::new("get", "/v1/health", "v1.health.get")
    }
}

fn openapi() -> Op {
    Op {
        tag: "meta",
        summary: "This OpenAPI document",
        description: "No key needed. Interactive documentation of it is served at `/docs`.".into(),
        access: Access::Public,
        response_description: "The OpenAPI 3.1 document",
        response: json!({ "type": "object", "required": ["openapi", "info", "paths"] }),
        ..Op::new("get", "/v1/openapi.json", "v1.openapi.get")
    }
}

fn me() -> Op {
    Op {
        tag: "organization",
        summary: "The caller's organisation, key, rate limits and teams",
        response_description: "Who the key belongs to",
        response: data_envelope(schema_ref("Me")),
        links: json!({
            "ListTeamLabels": link("v1.label.list",
                json!({ "team_id": "$response.body#/data/teams/0/id" })),
        }),
        ..Op::new("get", "/v1/me", "v1.me.get")
    }
}

fn accounts() -> Op {
    Op {
        tag: "accounts",
        summary: "The organisation's WhatsApp accounts",
        description: "All on one page (`has_more` is always `false`).".into(),
        params: vec![query_param(
            "status",
            "`connected` (default) or `all`.",
            json!({ "type": "string", "enum": ["connected", "all"], "default": "connected" }),
        )],
        response_description: "The accounts",
        response: list_envelope(schema_ref("Account")),
        links: json!({
            "ListContacts": link("v1.contact.list",
                json!({ "phone_number_id": "$response.body#/data/0/phone_number_id" })),
            "CreateContact": link("v1.contact.create",
                json!({ "phone_number_id": "$response.body#/data/0/phone_number_id" })),
        }),
        errors: vec![INVALID],
        ..Op::new("get", "/v1/accounts", "v1.account.list")
    }
}

fn labels() -> Vec<Op> {
    let label_links = json!({
        "GetLabel": link("v1.label.get", json!({ "id": "$response.body#/data/id" })),
        "UpdateLabel": link("v1.label.update", json!({ "id": "$response.body#/data/id" })),
        "DeleteLabel": link("v1.label.delete", json!({ "id": "$response.body#/data/id" })),
    });
    let id = || label_param("id");
    vec![
        Op {
            tag: "labels",
            summary: "List labels",
            description: "Newest first.".into(),
            params: [query_param("team_id", "Only this team's labels.", schema_ref("TeamId"))]
                .into_iter()
                .chain(page_params())
                .collect(),
            response_description: "A page of labels",
            response: list_envelope(schema_ref("Label")),
            links: json!({
                "GetLabel": link("v1.label.get", json!({ "id": "$response.body#/data/0/id" })),
            }),
            errors: vec![INVALID, "invalid_limit", "invalid_cursor", NOT_FOUND],
            ..Op::new("get", "/v1/labels", "v1.label.list")
        },
        Op {
            tag: "labels",
            summary: "Create a label",
            description: "`name` must be unique in the team, ignoring case (else `400 \
                          invalid_field_value`, `param` `name`)."
                .into(),
            access: Access::Post,
            body: Some(body("LabelIn", Value::Null)),
            status: 201,
            response_description: "The label",
            response: data_envelope(schema_ref("Label")),
            links: label_links.clone(),
            errors: vec![MISSING, INVALID, NOT_FOUND],
            ..Op::new("post", "/v1/labels", "v1.label.create")
        },
        Op {
            tag: "labels",
            summary: "Fetch a label",
            params: vec![id()],
            response_description: "The label",
            response: data_envelope(schema_ref("Label")),
            errors: vec![NOT_FOUND],
            ..Op::new("get", "/v1/labels/{id}", "v1.label.get")
        },
        Op {
            tag: "labels",
            summary: "Rename or recolour a label",
            access: Access::Write,
            params: vec![id()],
            body: Some(body("LabelPatch", Value::Null)),
            response_description: "The label",
            response: data_envelope(schema_ref("Label")),
            errors: vec![INVALID, NOT_FOUND],
            ..Op::new("patch", "/v1/labels/{id}", "v1.label.update")
        },
        Op {
            tag: "labels",
            summary: "Delete a label",
            description: "Removes it from every contact.".into(),
            access: Access::Write,
            params: vec![id()],
            response_description: "Deleted",
            response: data_envelope(schema_ref("Deleted")),
            errors: vec![NOT_FOUND],
            ..Op::new("delete", "/v1/labels/{id}", "v1.label.delete")
        },
    ]
}

/// The bulk-label examples: the call of the hosted documentation (`106540352242922`, attach),
/// with ids of the right form, and its answer.
pub fn bulk_examples() -> (Value, Value) {
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

pub fn bulk_description() -> String {
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

pub fn search_param() -> Value {
    query_param(
        "search",
        "Case-insensitive substring of the name or email.",
        json!({ "type": "string", "minLength": 1, "maxLength": SEARCH_MAX_CHARS }),
    )
}
