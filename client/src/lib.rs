//! A Rust client for the Kirim contacts-and-labels API (`/v1`), against kirim or the hosted API.
//!
//! Every endpoint has a typed method on [`Client`]; lists come back as a [`Pager`] that follows
//! `next_cursor`; a failed call is an [`Error`], and the server's error envelope is
//! [`ApiError`] (`type`, `code`, `message`, `param`, `request_id`, HTTP status). Every POST
//! carries an `Idempotency-Key`, reused on its retries; 429 (after `Retry-After`), 502/503/504
//! and lost connections are retried with jittered exponential backoff (see [`retry`]).
//!
//! ```no_run
//! # async fn run() -> kirim_client::Result<()> {
//! use kirim_client::{Client, NewContact};
//! let client = Client::new("http://127.0.0.1:8080", "kdv_live_…")?;
//! let contact = client
//!     .create_contact("106540352242922", &NewContact {
//!         phone_number: "+14155550123".into(),
//!         name: Some("Ana".into()),
//!         ..Default::default()
//!     })
//!     .await?;
//! println!("created {}", contact.id);
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]

mod account;
mod client;
mod contacts;
mod error;
mod labels;
mod pager;
pub mod retry;
pub mod webhooks;

pub use account::{Account, ApiKey, Me, Organization, RateLimits, Team};
pub use client::{
    Client, ClientBuilder, DEFAULT_BASE_URL, Reply, install_tls_provider, new_idempotency_key,
};
pub use contacts::{
    BulkLabelResult, BulkUpsertResult, Contact, ContactFilter, ContactPatch, LabelLink, NewContact,
    Operation, UpsertItem, UpsertResult, UpsertedContact, WhatsappAccount,
};
pub use error::{ApiError, Error, Result};
pub use labels::{Label, LabelPatch, NewLabel};
pub use pager::{Page, Pager};
pub use reqwest::Method;

/// The answer to a DELETE: the id, its object type, and `deleted: true`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Deleted {
    /// The deleted resource's id.
    pub id: String,
    /// `contact`, `label`, `webhook_subscription`, …
    pub object: String,
    /// Always true.
    pub deleted: bool,
}

/// Percent-encodes a path segment, so an id typed by a user cannot change the path.
fn enc(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
