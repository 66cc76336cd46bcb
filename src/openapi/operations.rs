//! Every operation of the contract (§4), with the error codes each handler can answer.

use serde_json::{Value, json};

use super::build::{Access, Op, data_envelope, list_envelope, query_param, schema_ref};
use super::params::{INVALID, MISSING, NOT_FOUND, body, label_param, link, page_params};

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
