//! The console's files, compiled into the binary: HTML, one stylesheet and plain ES modules, so
//! the console works offline and building kirim needs no JavaScript toolchain.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

macro_rules! assets {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/console/", $name)))),*]
    };
}

/// Every file under `assets/console/` (a test checks that none is missing).
static FILES: &[(&str, &[u8])] = assets![
    "index.html",
    "favicon.svg",
    "signin.html",
    "console.css",
    "app.js",
    "context.js",
    "api.js",
    "dom.js",
    "rules.js",
    "contacts.js",
    "contact.js",
    "labels.js",
    "bulk.js",
    "csv.js",
    "import.js",
    "webhooks.js",
    "deliveries.js",
];

/// The file called `name`, if there is one.
pub fn get(name: &str) -> Option<&'static [u8]> {
    FILES.iter().find(|(n, _)| *n == name).map(|(_, bytes)| *bytes)
}

/// `GET /console/assets/{name}`.
pub async fn serve(Path(name): Path<String>) -> Response {
    let Some(bytes) = get(&name) else {
        return (StatusCode::NOT_FOUND, "no such file").into_response();
    };
    let content_type = match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        _ => "text/html; charset=utf-8",
    };
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Revalidated on every load, so a new binary's files are picked up at once.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_file_of_the_folder_is_compiled_in() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/console");
        for entry in std::fs::read_dir(dir).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            assert!(super::get(&name).is_some(), "{name} is not listed in FILES");
        }
    }
}
