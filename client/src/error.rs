//! The one error type of the client: the server's error envelope, typed, or a failure to talk to
//! the server at all.

use serde::Deserialize;

/// `Result` with [`Error`] as the error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What a call can end in besides success.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server answered with its error envelope (after any retries).
    #[error("{0}")]
    Api(Box<ApiError>),
    /// No answer: connection refused or reset, timeout, TLS failure (after any retries).
    #[error("cannot reach the server: {0}")]
    Transport(#[source] reqwest::Error),
    /// An answer that is not what the contract promises (not JSON, or not the expected shape).
    #[error("unexpected answer (HTTP {status}): {message}")]
    Decode {
        /// HTTP status of the answer.
        status: u16,
        /// What did not match, and the start of the body.
        message: String,
    },
    /// The client was configured with something unusable (a base URL that is not a URL, …).
    #[error("invalid client configuration: {0}")]
    Config(String),
}

/// The server's error envelope, `{"error": {"type", "code", "message", "param"?, "request_id"}}`,
/// with the HTTP status and `Retry-After` of the answer it came in.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ApiError {
    /// HTTP status code.
    #[serde(skip)]
    pub status: u16,
    /// One of the seven error types (`invalid_request_error`, `not_found`, …).
    #[serde(rename = "type")]
    pub kind: String,
    /// The precise code (`invalid_field_value`, `resource_not_found`, …).
    pub code: String,
    /// A sentence for a human.
    pub message: String,
    /// The offending field, e.g. `contacts[3].email` or `label_id`.
    #[serde(default)]
    pub param: Option<String>,
    /// The request's id (`req_…`), to quote when asking the operator about it.
    #[serde(default)]
    pub request_id: Option<String>,
    /// Seconds the server asked to wait (`Retry-After`), on 429 and some 503s.
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.message)?;
        if let Some(param) = &self.param {
            write!(f, " (param `{param}`)")?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " [{id}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

impl Error {
    /// The server's error, if the server answered with one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Self::Api(e) => Some(e),
            _ => None,
        }
    }

    /// The error code (`resource_not_found`, …) if the server answered with one.
    pub fn code(&self) -> Option<&str> {
        self.api().map(|e| e.code.as_str())
    }

    /// HTTP status of the answer, if there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api(e) => Some(e.status),
            Self::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }
}

#[derive(Deserialize)]
struct Envelope {
    error: ApiError,
}

/// Reads an error envelope out of a non-2xx body; `None` if the body is not one.
pub(crate) fn parse_envelope(
    status: u16,
    retry_after: Option<u64>,
    body: &[u8],
) -> Option<ApiError> {
    let Envelope { mut error } = serde_json::from_slice(body).ok()?;
    error.status = status;
    error.retry_after = retry_after;
    Some(error)
}

/// The first bytes of a body, for messages.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out: String = text.chars().take(200).collect();
    if text.chars().count() > 200 {
        out.push('…');
    }
    out
}
