//! Event type names: those a subscription may ask for, and those this server emits.

/// Every type a subscription may list: the hosted API's documented types (accepted even where
/// this server never emits them, so a receiver's subscription call works unchanged) and ours.
pub const KNOWN: [&str; 19] = [
    "message.received",
    "message.status",
    "message.status_updated",
    "message.created",
    "message.sent",
    "conversation.assigned",
    "conversation.closed",
    "contact.created",
    "contact.updated",
    "customer.created",
    "customer.updated",
    "customer.archived",
    "customer.onboarded",
    "customer.setup_link.created",
    "customer.setup_link.consumed",
    CONTACT_DELETED,
    LABEL_CREATED,
    LABEL_UPDATED,
    LABEL_DELETED,
];

pub const CONTACT_CREATED: &str = "contact.created";
pub const CONTACT_UPDATED: &str = "contact.updated";
pub const CONTACT_DELETED: &str = "contact.deleted";
pub const LABEL_CREATED: &str = "label.created";
pub const LABEL_UPDATED: &str = "label.updated";
pub const LABEL_DELETED: &str = "label.deleted";

/// The types this server records.
pub const EMITTED: [&str; 6] = [
    CONTACT_CREATED,
    CONTACT_UPDATED,
    CONTACT_DELETED,
    LABEL_CREATED,
    LABEL_UPDATED,
    LABEL_DELETED,
];

/// The known type spelled `name`, as a `'static` name.
pub fn known(name: &str) -> Option<&'static str> {
    KNOWN.iter().copied().find(|known| *known == name)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_emitted_type_is_known() {
        assert!(super::EMITTED.iter().all(|t| super::known(t).is_some()));
    }
}
