//! Webhook tables (migration `0004_webhooks`): subscriptions, their signing secrets, the event
//! outbox and deliveries. Every query is scoped by organisation, or by a subscription the caller
//! has already resolved within its organisation.

pub mod deliveries;
pub mod events;
pub mod secrets;
pub mod subscriptions;
