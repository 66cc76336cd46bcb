//! CSRF defence for the console's state-changing requests.
//!
//! The session cookie is `SameSite=Strict`, so another site cannot make the browser send it at
//! all; on top of that, a console write must come from a page of this origin. Browsers say where
//! a request comes from in `Origin` and `Sec-Fetch-Site`, and a script of another origin cannot
//! add the custom header [`CONSOLE_HEADER`] without a CORS preflight, which kirim never grants.

use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::ids::RequestId;
use crate::wire::{self, REQUEST_ID_HEADER};

/// Sent by the console's script on every request it makes.
pub const CONSOLE_HEADER: &str = "x-kirim-console";

/// GET and HEAD change nothing; anything else must pass [`same_origin`] (and, from the script,
/// carry [`CONSOLE_HEADER`]).
pub fn is_safe(method: &Method) -> bool {
    method == Method::GET || method == Method::HEAD
}

/// True when the browser says the request comes from a page of this origin. `Sec-Fetch-Site`
/// decides when sent (every current browser does, and no page script can set it); otherwise
/// `Origin` must name the host the request was sent to. `Origin` alone is not enough where
/// `Sec-Fetch-Site` is sent: under `Referrer-Policy: no-referrer` a form post says `Origin: null`.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    match (text("sec-fetch-site"), text(header::ORIGIN.as_str()), text(header::HOST.as_str())) {
        (Some(site), _, _) => site == "same-origin",
        (None, Some(origin), Some(host)) => {
            origin.split_once("://").is_some_and(|(_, authority)| authority == host)
        }
        // A request that says nothing of where it comes from is not from a browser page.
        _ => false,
    }
}

/// True when a script request passes the CSRF checks.
pub fn script_request_allowed(method: &Method, headers: &HeaderMap) -> bool {
    is_safe(method) || (headers.contains_key(CONSOLE_HEADER) && same_origin(headers))
}

/// 403 in the API's error envelope, with a request id of its own.
pub fn refused() -> Response {
    let request_id = RequestId::generate().to_string();
    let body = json!({ "error": {
        "type": "permission_error",
        "code": "console_request_refused",
        "message": "The console accepts changes only from its own pages.",
        "request_id": request_id,
    }});
    let mut response = (StatusCode::FORBIDDEN, wire::json_body(&body)).into_response();
    let id = request_id.parse().expect("request ids are ASCII");
    response.headers_mut().insert(REQUEST_ID_HEADER, id);
    response
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn only_requests_from_this_origin_may_change_things() {
        let host = ("host", "127.0.0.1:8080");
        let ours = headers(&[host, ("origin", "http://127.0.0.1:8080")]);
        assert!(same_origin(&ours));
        assert!(same_origin(&headers(&[host, ("sec-fetch-site", "same-origin")])));
        assert!(!same_origin(&headers(&[host, ("origin", "http://evil.example")])));
        assert!(!same_origin(&headers(&[host, ("sec-fetch-site", "cross-site")])));
        assert!(!same_origin(&headers(&[host, ("sec-fetch-site", "same-site")])));
        assert!(!same_origin(&headers(&[host, ("origin", "null")])));
        let form_post = headers(&[host, ("origin", "null"), ("sec-fetch-site", "same-origin")]);
        assert!(same_origin(&form_post));
        assert!(!same_origin(&headers(&[host])));

        let mut with_header = ours.clone();
        with_header.insert(CONSOLE_HEADER, HeaderValue::from_static("1"));
        assert!(script_request_allowed(&Method::POST, &with_header));
        assert!(!script_request_allowed(&Method::POST, &ours));
        assert!(script_request_allowed(&Method::GET, &HeaderMap::new()));
    }
}
