//! Request plumbing shared by every handler: request ids, authentication, the write transaction,
//! and the extractors that turn raw input into checked values or enveloped errors.

pub mod body;
pub mod db;
pub mod guard;
pub mod page;
pub mod path;
pub mod query;
pub mod rate_limit;
pub mod request_id;
pub mod routes;
pub mod tenant;
pub mod transaction;
