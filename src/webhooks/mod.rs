//! Webhooks (contract §8): what the API side shares with the dispatcher that sends them.
//!
//! [`settings`] holds the operator's options, [`target`] the address policy applied to every
//! receiver URL (at creation and again at send time), [`secret`] makes and seals signing secrets,
//! [`events`] names the event types, and [`outbox`] records events with their deliveries in the
//! transaction of the change they report.

pub mod events;
pub mod outbox;
pub mod secret;
pub mod settings;
pub mod target;

pub use settings::WebhookSettings;
