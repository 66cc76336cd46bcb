//! The sending side of webhooks (contract §8.3–§8.5): a dispatcher that claims due deliveries
//! from the outbox, signs and sends each outside any transaction, and records the outcome under
//! its lease.

pub mod address;
pub mod client;
pub mod outcome;
pub mod schedule;
pub mod sign;
