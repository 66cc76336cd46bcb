//! kirim: a self-hostable server for the Kirim contacts-and-labels API (`/v1`).
//!
//! Start at [`app::app`] for the HTTP surface, [`api`] for the handlers, [`store`] for the SQL.

#![deny(unsafe_code)]

pub mod admin;
pub mod api;
pub mod app;
pub mod cli;
pub mod clock;
pub mod console;
pub mod cursor;
pub mod demo;
pub mod dispatch;
pub mod enums;
pub mod error;
pub mod http;
pub mod http_server;
pub mod ids;
pub mod keycache;
pub mod log_writer;
pub mod metrics;
pub mod openapi;
pub mod ratelimit;
pub mod serve;
pub mod state;
pub mod store;
pub mod validate;
pub mod webhooks;
pub mod wire;

/// Errors of start-up paths and admin commands, where the only thing to do is print them.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
pub type BoxResult<T> = Result<T, BoxError>;
