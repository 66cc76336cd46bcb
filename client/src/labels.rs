//! Labels: team-scoped tags on contacts.

use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::client::Client;
use crate::error::Result;
use crate::pager::Pager;
use crate::{Deleted, enc};

/// A label as the server returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    /// `lbl_…`
    pub id: String,
    pub name: String,
    /// One of the thirteen colours (`gray`, `red`, … `pink`).
    pub color: String,
    pub team_id: String,
    pub created_at: String,
    pub updated_at: String,
}

/// Body of `POST /v1/labels`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NewLabel {
    /// 1–50 characters, unique per team (case-insensitively).
    pub name: String,
    /// Default `gray`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Required only when the organisation has more than one team.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
}

/// Body of `PATCH /v1/labels/{id}`; `None` leaves a field unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LabelPatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
}

impl Client {
    /// `GET /v1/labels`, optionally only one team's.
    pub fn list_labels(&self, team_id: Option<&str>) -> Pager<Label> {
        let query = team_id.map(|t| ("team_id", t.to_owned())).into_iter().collect();
        Pager::new(self, "/v1/labels".to_owned(), query)
    }

    /// `POST /v1/labels`.
    pub async fn create_label(&self, label: &NewLabel) -> Result<Label> {
        self.call_with(Method::POST, "/v1/labels", label).await
    }

    /// `GET /v1/labels/{id}`.
    pub async fn get_label(&self, id: &str) -> Result<Label> {
        self.call(Method::GET, &format!("/v1/labels/{}", enc(id)), &[], None).await
    }

    /// `PATCH /v1/labels/{id}`.
    pub async fn update_label(&self, id: &str, patch: &LabelPatch) -> Result<Label> {
        self.call_with(Method::PATCH, &format!("/v1/labels/{}", enc(id)), patch).await
    }

    /// `DELETE /v1/labels/{id}`: removes it from every contact too.
    pub async fn delete_label(&self, id: &str) -> Result<Deleted> {
        self.call(Method::DELETE, &format!("/v1/labels/{}", enc(id)), &[], None).await
    }
}
