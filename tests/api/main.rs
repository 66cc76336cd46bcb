//! The API suite: one binary, every test against a real server over a fresh database.
//! SQLite by default; PostgreSQL with `KIRIM_TEST_POSTGRES_URL` (see `support.rs`).

mod documented;
mod fixtures;
mod hooks;
mod receiver;
mod support;

mod accounts;
mod auth;
mod bulk;
mod bulk_validation;
mod cli;
mod client;
mod concurrency;
mod console;
mod contacts;
mod delivery_flow;
mod delivery_outcomes;
mod delivery_retention;
mod delivery_signature;
mod demo;
mod errors;
mod filters;
mod hostile;
mod idempotency;
mod key_cache;
mod labels;
mod limits;
mod links;
mod metrics;
mod openapi;
mod pagination;
mod patch;
mod pool;
mod ratelimit;
mod readers;
mod smoke;
mod tenancy;
mod upsert;
mod upsert_events;
mod upsert_validation;
mod webhook_client;
mod webhooks;
