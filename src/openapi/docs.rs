//! `GET /docs`: Swagger UI over `/v1/openapi.json`, with its assets compiled into the binary so
//! the page works on a machine without internet access (vendored from `swagger-ui-dist` 5.35.0,
//! see `assets/swagger-ui/README.md`).

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::http::routes::Routes;

const BUNDLE_JS: &[u8] = include_bytes!("../../assets/swagger-ui/swagger-ui-bundle.js");
const CSS: &[u8] = include_bytes!("../../assets/swagger-ui/swagger-ui.css");
const FAVICON: &[u8] = include_bytes!("../../assets/swagger-ui/favicon-32x32.png");

/// The page: the online validator badge is off (it would call out to swagger.io), the key the
/// reader enters under "Authorize" is kept across reloads.
const PAGE: &str = r##"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Kirim API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
  <style>body { margin: 0; }</style>
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: "/v1/openapi.json",
      dom_id: "#swagger-ui",
      deepLinking: true,
      persistAuthorization: true,
      displayOperationId: true,
      validatorUrl: null,
      tryItOutEnabled: true,
    });
  </script>
</body>
</html>
"##;

pub fn routes() -> Routes {
    Routes::new()
        .get("/docs", || async { asset("text/html; charset=utf-8", PAGE.as_bytes(), false) })
        .get("/docs/swagger-ui-bundle.js", || async {
            asset("text/javascript; charset=utf-8", BUNDLE_JS, true)
        })
        .get("/docs/swagger-ui.css", || async { asset("text/css; charset=utf-8", CSS, true) })
        .get("/docs/favicon-32x32.png", || async { asset("image/png", FAVICON, true) })
}

fn asset(content_type: &'static str, bytes: &'static [u8], immutable: bool) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // The assets change only with the binary; the page is cheap to fetch again.
    let cache = if immutable { "public, max-age=86400" } else { "no-cache" };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}
