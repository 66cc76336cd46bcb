//! The resources as the API sends them: a contact and a label, the same in a response's `data`
//! and in a webhook event's (`crate::api::events`).

use serde::Serialize;
use serde_json::value::RawValue;

use crate::clock;
use crate::enums::Color;
use crate::ids::{ContactId, LabelId, PhoneNumberId, TeamId};
use crate::store::accounts::AccountRow;
use crate::store::contacts::ContactRow;
use crate::store::labels::LabelRow;
use crate::wire::{WriteJson, write_json_string};

#[derive(Debug, Serialize)]
pub struct ContactOut {
    id: ContactId,
    object: &'static str,
    phone_number: String,
    name: Option<String>,
    email: Option<String>,
    /// The stored text: the server writes it as compact JSON (keys sorted), so it is sent as it is.
    metadata: Box<RawValue>,
    whatsapp_account: WhatsappAccount,
    team_id: TeamId,
    created_at: String,
    updated_at: String,
}

#[derive(Debug, Serialize)]
struct WhatsappAccount {
    phone_number: String,
    phone_number_id: PhoneNumberId,
}

impl ContactOut {
    pub fn new(c: ContactRow, account: &AccountRow) -> Self {
        Self::with_account(c, account.phone_number.clone(), account.phone_number_id.clone())
    }

    pub fn with_account(
        c: ContactRow,
        phone_number: String,
        phone_number_id: PhoneNumberId,
    ) -> Self {
        Self {
            id: c.id,
            object: "contact",
            phone_number: c.phone_number,
            name: c.name,
            email: c.email,
            metadata: RawValue::from_string(c.metadata).unwrap_or_else(|_| empty_object()),
            whatsapp_account: WhatsappAccount { phone_number, phone_number_id },
            team_id: c.team_id,
            created_at: clock::rfc3339(c.created_at),
            updated_at: clock::rfc3339(c.updated_at),
        }
    }
}

impl WriteJson for ContactOut {
    /// Byte for byte what the derived `Serialize` writes (a test holds the two together), with
    /// the keys as constant text and each value copied once.
    fn write_json(&self, out: &mut Vec<u8>) {
        let optional = |out: &mut Vec<u8>, value: &Option<String>| match value {
            Some(text) => write_json_string(out, text),
            None => out.extend_from_slice(b"null"),
        };
        out.extend_from_slice(b"{\"id\":");
        write_json_string(out, self.id.as_str());
        out.extend_from_slice(b",\"object\":\"contact\",\"phone_number\":");
        write_json_string(out, &self.phone_number);
        out.extend_from_slice(b",\"name\":");
        optional(out, &self.name);
        out.extend_from_slice(b",\"email\":");
        optional(out, &self.email);
        out.extend_from_slice(b",\"metadata\":");
        out.extend_from_slice(self.metadata.get().as_bytes());
        out.extend_from_slice(b",\"whatsapp_account\":{\"phone_number\":");
        write_json_string(out, &self.whatsapp_account.phone_number);
        out.extend_from_slice(b",\"phone_number_id\":");
        write_json_string(out, self.whatsapp_account.phone_number_id.as_str());
        out.extend_from_slice(b"},\"team_id\":");
        write_json_string(out, self.team_id.as_str());
        out.extend_from_slice(b",\"created_at\":");
        write_json_string(out, &self.created_at);
        out.extend_from_slice(b",\"updated_at\":");
        write_json_string(out, &self.updated_at);
        out.push(b'}');
    }
}

/// `{}`, for stored metadata that is not JSON (written by hand, outside the API).
fn empty_object() -> Box<RawValue> {
    RawValue::from_string("{}".to_owned()).expect("`{}` is JSON")
}

#[derive(Debug, Serialize)]
pub struct LabelOut {
    id: LabelId,
    object: &'static str,
    name: String,
    color: Color,
    team_id: TeamId,
    created_at: String,
    updated_at: String,
}

impl WriteJson for LabelOut {}

impl From<LabelRow> for LabelOut {
    fn from(l: LabelRow) -> Self {
        Self {
            id: l.id,
            object: "label",
            name: l.name,
            color: l.color,
            team_id: l.team_id,
            created_at: clock::rfc3339(l.created_at),
            updated_at: clock::rfc3339(l.updated_at),
        }
    }
}

/// The answer to a deletion, `{"id", "object", "deleted": true}`, in the contract's order.
#[derive(Debug, Serialize)]
pub struct Deleted<I> {
    id: I,
    object: &'static str,
    deleted: bool,
}

impl<I> Deleted<I> {
    pub fn new(id: I, object: &'static str) -> Self {
        Self { id, object, deleted: true }
    }
}

impl<I: Serialize> WriteJson for Deleted<I> {}

/// The answer to a link change, `{"contact_id", "label_id", "attached"}`.
#[derive(Debug, Serialize)]
pub struct LinkState {
    pub contact_id: ContactId,
    pub label_id: LabelId,
    pub attached: bool,
}

impl WriteJson for LinkState {}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn rendered(metadata: &str) -> Value {
        let row = ContactRow {
            id: ContactId::generate(),
            team_id: TeamId::generate(),
            phone_number: "+6281300000001".to_owned(),
            name: None,
            email: None,
            metadata: metadata.to_owned(),
            created_at: 0,
            updated_at: 0,
        };
        let account = PhoneNumberId::parse("106540352242922").unwrap();
        let out = ContactOut::with_account(row, "+6281100000000".to_owned(), account);
        serde_json::to_value(&out).unwrap()["metadata"].clone()
    }

    #[test]
    fn a_contact_in_a_list_is_written_as_serde_writes_it() {
        let texts = [
            "Ayu Lestari",
            "quote \" and backslash \\ and slash /",
            "controls \u{0} \u{1f} \t \n \r \u{7f}",
            "ünïcödé 日本語 😀",
            "",
        ];
        for (i, text) in texts.iter().enumerate() {
            let row = ContactRow {
                id: ContactId::generate(),
                team_id: TeamId::generate(),
                phone_number: format!("+62813{text}"),
                name: Some((*text).to_owned()),
                email: (i % 2 == 0).then(|| format!("{text}@example.com")),
                metadata: format!(r#"{{"note":{}}}"#, serde_json::to_string(text).unwrap()),
                created_at: 1_779_000_000_123,
                updated_at: 1_779_000_000_456 + i as i64,
            };
            let account = PhoneNumberId::parse("106540352242922").unwrap();
            let out = ContactOut::with_account(row, format!("+6281100{text}"), account);
            let mut written = Vec::new();
            out.write_json(&mut written);
            assert_eq!(String::from_utf8(written).unwrap(), serde_json::to_string(&out).unwrap());
        }
    }

    #[test]
    fn metadata_goes_out_as_stored_and_unreadable_metadata_as_an_empty_object() {
        assert_eq!(rendered(r#"{"plan":"gold","seats":3}"#), json!({"plan": "gold", "seats": 3}));
        assert_eq!(rendered("not json"), json!({}));
        assert_eq!(rendered(""), json!({}));
    }
}
