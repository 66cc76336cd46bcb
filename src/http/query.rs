//! Query strings, parsed leniently (unknown parameters are ignored, as a client written for a
//! newer API version expects) but with every known parameter checked by its handler.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::error::ApiError;

#[derive(Debug, Default)]
pub struct QueryParams(Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let raw = parts.uri.query().unwrap_or("");
        Ok(Self(form_urlencoded::parse(raw.as_bytes()).into_owned().collect()))
    }
}

impl QueryParams {
    /// The parameter's value; when repeated, the last one wins.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}
