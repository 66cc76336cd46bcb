//! The two documents (the sign-in form and the console itself) and signing in and out.
//!
//! Signing in is a plain HTML form post, so the key goes from the password field to the server
//! without passing through the page's script. The server checks it by asking the API who it is
//! (`GET /v1/me`, through the same router as every other call) and keeps it only in the sealed
//! session cookie.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt as _;

use super::{Console, assets, guard, session};

/// `GET /console`: the console for a signed-in browser, the sign-in form for any other.
pub async fn home(State(console): State<Console>, headers: HeaderMap) -> Response {
    let signed_in = match console.sessions().await {
        Ok(sessions) => sessions.key_in(&headers).is_some(),
        Err(response) => return *response,
    };
    if signed_in {
        html(StatusCode::OK, document("index.html"))
    } else {
        signin_page(StatusCode::OK, "")
    }
}

/// `POST /console/session` (form field `key`): signs in when the API accepts the key.
pub async fn sign_in(State(console): State<Console>, req: Request) -> Response {
    if !guard::same_origin(req.headers()) {
        return guard::refused();
    }
    let sessions = match console.sessions().await {
        Ok(sessions) => sessions.clone(),
        Err(response) => return *response,
    };
    let (parts, body) = req.into_parts();
    let Ok(form) = axum::body::to_bytes(body, 4096).await else {
        return signin_page(StatusCode::BAD_REQUEST, &alert("The form could not be read.", None));
    };
    let key = form_urlencoded::parse(&form)
        .find_map(|(name, value)| (name == "key").then(|| value.trim().to_owned()))
        .unwrap_or_default();

    let mut me = Request::get("/v1/me");
    if let Ok(value) = HeaderValue::from_str(&format!("Bearer {key}")) {
        me = me.header(header::AUTHORIZATION, value);
    }
    let me = me.body(Body::empty()).expect("a valid request");
    let answer = console.api.clone().oneshot(me).await.into_response();
    if answer.status().is_success() {
        let mut response = see_other("/console/");
        let cookie = session::set_cookie(&sessions.seal(&key), &parts.headers);
        response.headers_mut().insert(header::SET_COOKIE, cookie);
        return response;
    }
    let status = answer.status();
    let body = axum::body::to_bytes(answer.into_body(), 64 * 1024).await.unwrap_or_default();
    let error: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let message = error["error"]["message"].as_str().unwrap_or("The key was not accepted.");
    signin_page(status, &alert(message, error["error"]["request_id"].as_str()))
}

/// `POST /console/signout`: forgets the session in this browser, with everything it cached.
pub async fn sign_out(headers: HeaderMap) -> Response {
    if !guard::same_origin(&headers) {
        return guard::refused();
    }
    let mut response = see_other("/console/");
    let out = response.headers_mut();
    out.insert(header::SET_COOKIE, session::clear_cookie(&headers));
    out.insert("clear-site-data", HeaderValue::from_static("\"cache\", \"storage\""));
    response
}

fn see_other(location: &'static str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, HeaderValue::from_static(location))])
        .into_response()
}

fn document(name: &str) -> String {
    String::from_utf8_lossy(assets::get(name).expect("the console's documents are compiled in"))
        .into_owned()
}

fn signin_page(status: StatusCode, alert: &str) -> Response {
    html(status, document("signin.html").replace("<!--alert-->", alert))
}

fn html(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The API's message and request id, escaped for HTML.
fn alert(message: &str, request_id: Option<&str>) -> String {
    let id = request_id
        .map(|id| {
            format!(" <span class=\"request-id\">Request id: <code>{}</code></span>", escape(id))
        })
        .unwrap_or_default();
    format!("<p class=\"alert\" role=\"alert\">{}{id}</p>", escape(message))
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn messages_are_escaped_into_the_page() {
        let alert = super::alert("<script>x</script> & \"q\"", Some("req_1"));
        assert!(alert.contains("&lt;script&gt;x&lt;/script&gt; &amp; &quot;q&quot;"));
        assert!(alert.contains("<code>req_1</code>"));
    }
}
