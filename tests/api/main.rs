//! The API suite: one binary, every test against a real server over a fresh database.
//! SQLite by default; PostgreSQL with `KIRIM_TEST_POSTGRES_URL` (see `support.rs`).

mod fixtures;
mod support;

mod contacts;
mod idempotency;
mod labels;
mod limits;
mod links;
mod openapi;
mod patch;
mod ratelimit;
mod smoke;
