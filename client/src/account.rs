//! Who the key belongs to (`/v1/me`) and the organisation's WhatsApp accounts.

use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::client::Client;
use crate::error::Result;
use crate::pager::Pager;

/// `GET /v1/me`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub organization: Organization,
    pub api_key: ApiKey,
    pub rate_limits: RateLimits,
    pub teams: Vec<Team>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    pub id: String,
    pub name: String,
}

/// The key the call was made with (never the secret itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    pub id: String,
    pub label: Option<String>,
    pub last4: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimits {
    /// `free`, `pro` or `enterprise`.
    pub tier: String,
    pub write_per_minute: u32,
    pub read_per_minute: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    pub id: String,
    pub name: String,
}

/// A WhatsApp account (phone number) of the organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub phone_number_id: String,
    pub phone_number: String,
    pub name: Option<String>,
    /// `connected`, `disconnected`, `degraded` or `onboarding`.
    pub status: String,
    pub team_id: String,
}

impl Client {
    /// `GET /v1/me`.
    pub async fn me(&self) -> Result<Me> {
        self.call(Method::GET, "/v1/me", &[], None).await
    }

    /// `GET /v1/accounts`: connected accounts, or all of them with `all`.
    pub async fn accounts(&self, all: bool) -> Result<Vec<Account>> {
        let status = if all { "all" } else { "connected" };
        Pager::new(self, "/v1/accounts".to_owned(), vec![("status", status.to_owned())])
            .collect()
            .await
    }
}
