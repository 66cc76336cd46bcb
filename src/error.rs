//! The one error type of the API and its wire envelope:
//! `{"error": {"type", "code", "message", "param"?, "request_id"}}`.

use std::borrow::Cow;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::wire;

pub type Result<T, E = ApiError> = std::result::Result<T, E>;

/// Every failure a request can end in. The variant decides status, type and code; 5xx details
/// are logged where they happen and never reach the client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    InvalidRequest(Cow<'static, str>),
    #[error("Missing required field `{0}`.")]
    MissingField(String),
    #[error("{message}")]
    InvalidField { param: String, message: String },
    #[error("{message}")]
    InvalidPhoneNumber { param: String, message: String },
    #[error("`limit` must be an integer from 1 to 100.")]
    InvalidLimit,
    #[error("`cursor` is not a cursor issued for this list and these filters.")]
    InvalidCursor,
    #[error("`Idempotency-Key` must be 1 to 255 visible ASCII characters.")]
    InvalidIdempotencyKey,
    #[error("No API key: send `Authorization: Bearer <key>`.")]
    MissingApiKey,
    #[error("The API key is invalid or has been revoked.")]
    InvalidApiKey,
    #[error("The API key has expired.")]
    ExpiredApiKey,
    #[error("No such {resource}.")]
    NotFound { resource: &'static str, param: Option<Cow<'static, str>> },
    #[error("No such route.")]
    RouteNotFound,
    #[error("Method not allowed on this route.")]
    MethodNotAllowed,
    #[error("A request with this Idempotency-Key is still being processed.")]
    IdempotencyInProgress,
    #[error("A contact with this phone number already exists on this account.")]
    DuplicatePhoneNumber,
    #[error("The request body is larger than 1 MiB.")]
    PayloadTooLarge,
    #[error("This Idempotency-Key was used with a different request.")]
    IdempotencyKeyReuse,
    #[error("Rate limit exceeded; retry after {retry_after} seconds.")]
    RateLimited { retry_after: u64 },
    #[error("{0}")]
    InvalidWebhookUrl(String),
    #[error("The webhook subscription is not active.")]
    SubscriptionNotActive,
    #[error("The organisation already has the most webhook subscriptions allowed (20).")]
    SubscriptionLimitReached,
    #[error("The subscription already has the most active secrets allowed (5).")]
    SecretLimitReached,
    #[error("This is the subscription's only active secret; rotate before revoking it.")]
    LastActiveSecret,
    #[error("An internal error occurred.")]
    Internal,
    #[error("The service is temporarily unavailable.")]
    Unavailable,
}

impl ApiError {
    pub fn invalid_field(param: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidField { param: param.into(), message: message.into() }
    }

    pub fn invalid_phone(param: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidPhoneNumber { param: param.into(), message: message.into() }
    }

    pub fn not_found(resource: &'static str) -> Self {
        Self::NotFound { resource, param: None }
    }

    pub fn not_found_param(resource: &'static str, param: impl Into<Cow<'static, str>>) -> Self {
        Self::NotFound { resource, param: Some(param.into()) }
    }

    /// One instance of every variant, for documents that list what the API can answer (the
    /// OpenAPI document's error responses and examples).
    pub fn catalogue() -> Vec<ApiError> {
        use ApiError::*;
        let all = vec![
            InvalidRequest("The request body is not valid JSON.".into()),
            MissingField("label_id".into()),
            ApiError::invalid_field("contact_ids[3]", "`contact_ids[3]` is not a contact id."),
            ApiError::invalid_phone("phone_number_id", "`phone_number_id` must be 6 to 20 digits."),
            InvalidLimit,
            InvalidCursor,
            InvalidIdempotencyKey,
            MissingApiKey,
            InvalidApiKey,
            ExpiredApiKey,
            ApiError::not_found_param("label", "label_id"),
            RouteNotFound,
            MethodNotAllowed,
            IdempotencyInProgress,
            DuplicatePhoneNumber,
            PayloadTooLarge,
            IdempotencyKeyReuse,
            RateLimited { retry_after: 1 },
            InvalidWebhookUrl("`url` must use https://.".into()),
            SubscriptionNotActive,
            SubscriptionLimitReached,
            SecretLimitReached,
            LastActiveSecret,
            Internal,
            Unavailable,
        ];
        // No wildcard: a new variant does not compile until it is listed above.
        for error in &all {
            match error {
                InvalidRequest(_) | MissingField(_) | InvalidField { .. } => {}
                InvalidPhoneNumber { .. } | InvalidLimit | InvalidCursor => {}
                InvalidIdempotencyKey | MissingApiKey | InvalidApiKey | ExpiredApiKey => {}
                NotFound { .. } | RouteNotFound | MethodNotAllowed => {}
                IdempotencyInProgress | DuplicatePhoneNumber | PayloadTooLarge => {}
                IdempotencyKeyReuse | RateLimited { .. } | Internal | Unavailable => {}
                InvalidWebhookUrl(_) | SubscriptionNotActive | SubscriptionLimitReached => {}
                SecretLimitReached | LastActiveSecret => {}
            }
        }
        all
    }

    /// The variant whose wire code is `code`, from [`ApiError::catalogue`].
    pub fn by_code(code: &str) -> Option<ApiError> {
        Self::catalogue().into_iter().find(|e| e.kind().1 == code)
    }

    pub fn status(&self) -> StatusCode {
        use ApiError::*;
        match self {
            InvalidRequest(_)
            | MissingField(_)
            | InvalidField { .. }
            | InvalidPhoneNumber { .. }
            | InvalidLimit
            | InvalidCursor
            | InvalidIdempotencyKey
            | InvalidWebhookUrl(_) => StatusCode::BAD_REQUEST,
            MissingApiKey | InvalidApiKey | ExpiredApiKey => StatusCode::UNAUTHORIZED,
            NotFound { .. } | RouteNotFound => StatusCode::NOT_FOUND,
            MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            IdempotencyInProgress
            | DuplicatePhoneNumber
            | SubscriptionNotActive
            | SubscriptionLimitReached
            | SecretLimitReached
            | LastActiveSecret => StatusCode::CONFLICT,
            PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            IdempotencyKeyReuse => StatusCode::UNPROCESSABLE_ENTITY,
            RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// `(type, code)` exactly as in the error table of the contract.
    pub fn kind(&self) -> (&'static str, &'static str) {
        use ApiError::*;
        const INVALID: &str = "invalid_request_error";
        match self {
            InvalidRequest(_) => (INVALID, "invalid_request"),
            MissingField(_) => (INVALID, "missing_required_field"),
            InvalidField { .. } => (INVALID, "invalid_field_value"),
            InvalidPhoneNumber { .. } => (INVALID, "invalid_phone_number"),
            InvalidLimit => (INVALID, "invalid_limit"),
            InvalidCursor => (INVALID, "invalid_cursor"),
            InvalidIdempotencyKey => (INVALID, "invalid_idempotency_key"),
            InvalidWebhookUrl(_) => (INVALID, "invalid_webhook_url"),
            MethodNotAllowed => (INVALID, "method_not_allowed"),
            PayloadTooLarge => (INVALID, "payload_too_large"),
            IdempotencyKeyReuse => (INVALID, "idempotency_key_reuse"),
            MissingApiKey => ("authentication_error", "missing_api_key"),
            InvalidApiKey => ("authentication_error", "invalid_api_key"),
            ExpiredApiKey => ("authentication_error", "expired_api_key"),
            NotFound { .. } => ("not_found", "resource_not_found"),
            RouteNotFound => ("not_found", "route_not_found"),
            IdempotencyInProgress => ("conflict", "idempotency_in_progress"),
            DuplicatePhoneNumber => ("conflict", "duplicate_phone_number"),
            SubscriptionNotActive => ("conflict", "subscription_not_active"),
            SubscriptionLimitReached => ("conflict", "subscription_limit_reached"),
            SecretLimitReached => ("conflict", "secret_limit_reached"),
            LastActiveSecret => ("conflict", "last_active_secret"),
            RateLimited { .. } => ("rate_limit_error", "rate_limit_exceeded"),
            Internal => ("api_error", "internal_error"),
            Unavailable => ("api_error", "service_unavailable"),
        }
    }

    pub fn param(&self) -> Option<&str> {
        match self {
            Self::MissingField(p) => Some(p),
            Self::InvalidField { param, .. } | Self::InvalidPhoneNumber { param, .. } => {
                Some(param)
            }
            Self::NotFound { param, .. } => param.as_deref(),
            Self::InvalidLimit => Some("limit"),
            Self::InvalidCursor => Some("cursor"),
            Self::InvalidWebhookUrl(_) => Some("url"),
            _ => None,
        }
    }

    /// The wire body, with the current request's id, its fields in the contract's order (§2).
    pub fn body(&self) -> ErrorBody<'_> {
        let (kind, code) = self.kind();
        ErrorBody {
            error: ErrorFields {
                kind,
                code,
                message: self.to_string(),
                param: self.param(),
                request_id: wire::current_request_id(),
            },
        }
    }
}

/// `{"error": {"type", "code", "message", "param"?, "request_id"}}`.
#[derive(Debug, serde::Serialize)]
pub struct ErrorBody<'a> {
    error: ErrorFields<'a>,
}

#[derive(Debug, serde::Serialize)]
struct ErrorFields<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    code: &'static str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    param: Option<&'a str>,
    request_id: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status(), wire::json_body(&self.body())).into_response();
        if let Self::RateLimited { retry_after } = self {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        }
        // Handlers never log their 5xx themselves; the request span carries the context.
        response.extensions_mut().insert(ErrorCode(self.kind().1));
        response
    }
}

/// Marks a response as an error of this code, for the request's log line.
#[derive(Clone, Copy, Debug)]
pub struct ErrorCode(pub &'static str);

/// Database failures are either the database being unreachable (503, retry later) or a bug (500).
/// Constraint violations that mean something to the client are mapped where they can happen,
/// with [`OnConflict`].
impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        if crate::store::is_unavailable(&error) {
            tracing::warn!(%error, "database unavailable");
            Self::Unavailable
        } else {
            tracing::error!(%error, "database error");
            Self::Internal
        }
    }
}

/// Turns a unique-constraint violation into the client-facing error it means at this call site.
pub trait OnConflict<T> {
    fn on_unique(self, error: ApiError) -> Result<T, ApiError>;
}

impl<T> OnConflict<T> for sqlx::Result<T> {
    fn on_unique(self, error: ApiError) -> Result<T, ApiError> {
        match self {
            Err(sqlx::Error::Database(db)) if db.is_unique_violation() => Err(error),
            other => Ok(other?),
        }
    }
}
