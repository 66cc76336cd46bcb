//! JSON request bodies: content type, size, "must be an object", and typed field access whose
//! errors name the offending field (`param`).

use axum::extract::{FromRequest, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use crate::error::{ApiError, Result};

/// Bodies over this are refused with 413 before they are parsed.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Time a client has to send the whole body.
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The request's body, read once by [`buffered`]; the layers and extractors after it take the
/// bytes from here instead of reading a stream again.
#[derive(Clone, Debug)]
pub struct ReadBody(pub axum::body::Bytes);

impl ReadBody {
    /// The bytes [`buffered`] read, or, where no such layer ran (handler tests), the body read now.
    pub async fn of(parts: &Parts, body: axum::body::Body) -> Result<axum::body::Bytes> {
        match parts.extensions.get::<ReadBody>() {
            Some(read) => Ok(read.0.clone()),
            None => read_body(body).await,
        }
    }
}

/// A request body that is a JSON object.
#[derive(Debug)]
pub struct JsonObject(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for JsonObject {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self> {
        if !is_json(req.headers()) {
            return Err(ApiError::InvalidRequest(
                "Send the body as JSON with `Content-Type: application/json`.".into(),
            ));
        }
        let (parts, body) = req.into_parts();
        let bytes = ReadBody::of(&parts, body).await?;
        parse_object(&bytes).map(JsonObject)
    }
}

/// A JSON object body that may be left out, for an endpoint whose every field has a default (a
/// secret's rotation): no body at all reads as `{}`, whatever the `Content-Type`.
#[derive(Debug)]
pub struct OptionalJsonObject(pub JsonObject);

impl<S: Send + Sync> FromRequest<S> for OptionalJsonObject {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self> {
        let (parts, body) = req.into_parts();
        let bytes = ReadBody::of(&parts, body).await?;
        if bytes.is_empty() {
            return Ok(Self(JsonObject(Map::new())));
        }
        let req = Request::from_parts(parts, axum::body::Body::from(bytes));
        JsonObject::from_request(req, state).await.map(Self)
    }
}

/// Reads the request's body in full before anything answers, bounded by [`MAX_BODY_BYTES`] and
/// [`BODY_TIMEOUT`], and leaves it in the request as [`ReadBody`] (the API's outer layer,
/// [`crate::http::request_id::outer`]). A server that answers early (a 401, a 404, a GET that
/// takes no body) with the body still unread must close the connection, and the kernel's reset
/// for the unread bytes can overtake the answer; read first, and the client always gets it.
pub async fn buffered(req: Request) -> std::result::Result<Request, Response> {
    let (mut parts, body) = req.into_parts();
    match read_body(body).await {
        Ok(bytes) => {
            parts.extensions.insert(ReadBody(bytes));
            Ok(Request::from_parts(parts, axum::body::Body::empty()))
        }
        Err(error) => Err(error.into_response()),
    }
}

/// Reads the whole body, refusing more than [`MAX_BODY_BYTES`].
pub async fn read_body(body: axum::body::Body) -> Result<axum::body::Bytes> {
    // A `Content-Length` over the limit is refused at once, not after waiting for the body.
    if axum::body::HttpBody::size_hint(&body).lower() > MAX_BODY_BYTES as u64 {
        return Err(ApiError::PayloadTooLarge);
    }
    // A client trickling its body is cut off rather than holding a task (and, for a write, the
    // chance of a transaction) indefinitely.
    let read = tokio::time::timeout(BODY_TIMEOUT, axum::body::to_bytes(body, MAX_BODY_BYTES));
    let Ok(read) = read.await else {
        return Err(ApiError::InvalidRequest("The request body was not received in time.".into()));
    };
    read.map_err(|error| {
        let too_large = std::error::Error::source(&error)
            .is_some_and(<dyn std::error::Error + 'static>::is::<http_body_util::LengthLimitError>);
        if too_large {
            ApiError::PayloadTooLarge
        } else {
            ApiError::InvalidRequest("The request body could not be read.".into())
        }
    })
}

fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

pub fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::InvalidRequest("The request body must be a JSON object.".into())),
        Err(e) => Err(ApiError::InvalidRequest(
            format!("The request body is not valid JSON: {e}.").into(),
        )),
    }
}

/// A field of a PATCH body: absent leaves the value unchanged, `null` clears it.
#[derive(Debug, Clone, PartialEq)]
pub enum Patch<T> {
    Absent,
    Null,
    Value(T),
}

impl JsonObject {
    /// A required string; absent or `null` is `missing_required_field`.
    pub fn required_str(&self, name: &str) -> Result<&str> {
        match self.0.get(name) {
            None | Some(Value::Null) => Err(ApiError::MissingField(name.to_owned())),
            Some(value) => as_str(name, value),
        }
    }

    /// An optional string; absent and `null` are both `None`.
    pub fn optional_str(&self, name: &str) -> Result<Option<&str>> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => as_str(name, value).map(Some),
        }
    }

    pub fn patch_str(&self, name: &str) -> Result<Patch<&str>> {
        match self.0.get(name) {
            None => Ok(Patch::Absent),
            Some(Value::Null) => Ok(Patch::Null),
            Some(value) => as_str(name, value).map(Patch::Value),
        }
    }

    pub fn patch_value(&self, name: &str) -> Patch<&Value> {
        match self.0.get(name) {
            None => Patch::Absent,
            Some(Value::Null) => Patch::Null,
            Some(value) => Patch::Value(value),
        }
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }
}

fn as_str<'a>(name: &str, value: &'a Value) -> Result<&'a str> {
    value
        .as_str()
        .ok_or_else(|| ApiError::invalid_field(name, format!("`{name}` must be a string.")))
}
