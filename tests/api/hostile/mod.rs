//! Hostile input over HTTP: every route of the contract (§4) gets mutated bodies, wrong types in
//! every field, garbage query strings, path segments and headers, and must answer each with a
//! status below 500 in the JSON envelope whose `request_id` is the `X-Request-Id` header.
//!
//! Driven by the seeded generator in `tests/fuzzgen`: `KIRIM_FUZZ_SEED` replays a run and
//! `KIRIM_FUZZ_ITERATIONS` sets the requests per route (default 40). See `docs/fuzzing.md`.

#[path = "../../fuzzgen/mod.rs"]
mod fuzzgen;
mod search;

use fuzzgen::{Rng, near, random_string, replay_hint};
use reqwest::header::{HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::documented::{self, Ids};
use crate::support::{Org, TestApp, unique_phone};

const ERROR_TYPES: [&str; 7] = [
    "invalid_request_error",
    "authentication_error",
    "permission_error",
    "not_found",
    "conflict",
    "rate_limit_error",
    "api_error",
];

/// One documented route: method, path template (`{pn}`, `{ctc}`, `{lbl}` for the real ids), and a
/// valid body for writes.
struct Route {
    method: Method,
    path: String,
    body: Option<Value>,
}

/// Real ids to put in paths and bodies, so mutated requests also reach the deep code paths.
struct World {
    org: Org,
    foreign: Org,
    contact: String,
    label: String,
}

impl World {
    async fn new(app: &TestApp) -> Self {
        let org = app.org_without_limits().await;
        let foreign = app.org_without_limits().await;
        let contact = app.contact(&org, &unique_phone()).await;
        let label = app.label(&org, "Fuzz").await;
        Self { org, foreign, contact, label }
    }

    /// Every operation of the OpenAPI document, with a valid body for those that take one.
    fn routes(&self) -> Vec<Route> {
        let real = Ids {
            phone_number_id: &self.org.phone_number_id,
            contact: &self.contact,
            label: &self.label,
            team: &self.org.team,
        };
        let template = Ids { phone_number_id: "{pn}", contact: "{ctc}", label: "{lbl}", ..real };
        documented::operations()
            .into_iter()
            .map(|op| Route {
                method: op.method.clone(),
                path: op.path_with(&template),
                body: op.body_with(&real),
            })
            .collect()
    }

    /// The route's path with real ids, each segment possibly mutated and percent-encoded.
    fn path(&self, rng: &mut Rng, template: &str, mutate: bool) -> String {
        let segments: Vec<String> = template
            .split('/')
            .map(|segment| {
                let real = match segment {
                    "{pn}" => self.org.phone_number_id.clone(),
                    "{ctc}" => self.contact.clone(),
                    "{lbl}" => self.label.clone(),
                    other => other.to_owned(),
                };
                if !mutate || segment.is_empty() || !rng.chance(35) {
                    return real;
                }
                match rng.below(6) {
                    0 => self.foreign.phone_number_id.clone(),
                    1 => rng
                        .pick(&["..", ".", "", "%2F", "%00", "%FF", "%C3%28", "%", "%%"])
                        .to_string(),
                    _ => percent_encode(&capped(near(rng, &real, 30))),
                }
            })
            .collect();
        let mut path = segments.join("/");
        if mutate && rng.chance(5) {
            path.push('/');
        }
        path
    }
}

fn percent_encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>().replace('+', "%20")
}

/// URLs stay well under what an HTTP client and server accept as a request line (hyper refuses
/// the longest before the application sees them; that is not what these tests are about).
fn capped(s: String) -> String {
    s.chars().take(1500).collect()
}

/// Query strings: the list parameters with near-valid and garbage values, repeated, huge.
fn query(rng: &mut Rng, world: &World, cursor: &str) -> String {
    const NAMES: [&str; 9] =
        ["limit", "cursor", "search", "phone", "label_id", "team_id", "status", "LIMIT", ""];
    let mut parts = Vec::new();
    for _ in 0..rng.below(6) {
        let name = if rng.chance(85) {
            rng.pick(&NAMES).to_string()
        } else {
            capped(random_string(rng, 6))
        };
        let valid = match name.as_str() {
            "limit" => rng.range(0, 101).to_string(),
            "cursor" => cursor.to_owned(),
            "phone" => unique_phone(),
            "label_id" => world.label.clone(),
            "team_id" => world.org.team.clone(),
            "status" => rng.pick(&["connected", "all"]).to_string(),
            _ => "ana".to_owned(),
        };
        let value = capped(near(rng, &valid, 30));
        let value = match rng.below(10) {
            0 => value.replace('%', "%%").replace('&', "%G"),
            1 => "%".repeat(rng.range(1, 3000)),
            _ => percent_encode(&value),
        };
        parts.push(format!("{}={value}", percent_encode(&name)));
    }
    if parts.is_empty() { String::new() } else { format!("?{}", parts.join("&")) }
}

/// Header sets a client should not send: broken bearer schemes, keys of the wrong shape or of
/// another organisation, garbage idempotency keys and content types.
fn headers(rng: &mut Rng, world: &World, has_body: bool) -> Vec<(HeaderName, HeaderValue)> {
    let key = &world.org.key;
    let mut out = Vec::new();
    let auth: Option<Vec<u8>> = match rng.below(12) {
        0 => None,
        1 => Some(format!("bearer {key}").into_bytes()),
        2 => Some(format!("Bearer  {key} ").into_bytes()),
        3 => Some(format!("Basic {key}").into_bytes()),
        4 => Some(format!("Bearer {}", near(rng, key, 33)).into_bytes()),
        5 => Some(format!("Bearer {}", world.foreign.key).into_bytes()),
        6 => Some(random_string(rng, 40).into_bytes()),
        7 => Some([b"Bearer ".as_slice(), &[0x80, 0xff, 0xfe], key.as_bytes()].concat()),
        8 => Some(format!("Bearer\t{key}").into_bytes()),
        _ => Some(format!("Bearer {key}").into_bytes()),
    };
    if let Some(value) = auth.and_then(|v| HeaderValue::from_bytes(&v).ok()) {
        out.push((reqwest::header::AUTHORIZATION, value));
    }
    if rng.chance(30) {
        let garbage: Vec<u8> = match rng.below(4) {
            0 => (0..rng.length(255)).map(|_| rng.next_u64() as u8).collect(),
            1 => "k".repeat(rng.range(250, 260)).into_bytes(),
            2 => format!("fuzz-{}", rng.below(4)).into_bytes(),
            _ => random_string(rng, 30).into_bytes(),
        };
        if let Ok(value) = HeaderValue::from_bytes(&garbage) {
            out.push((HeaderName::from_static("idempotency-key"), value));
        }
    }
    let content_type: Option<&str> = match rng.below(12) {
        0 => None,
        1 => Some("text/plain"),
        2 => Some("APPLICATION/JSON; charset=utf-16"),
        3 => Some("application/vnd.kirim+json"),
        4 => Some("application/json;;;"),
        5 => Some("application/x-www-form-urlencoded"),
        6 => Some("multipart/form-data; boundary=x"),
        7 => Some(""),
        _ if has_body => Some("application/json"),
        _ => None,
    };
    if let Some(value) = content_type.and_then(|v| HeaderValue::from_str(v).ok()) {
        out.push((reqwest::header::CONTENT_TYPE, value));
    }
    if rng.chance(10) {
        let (name, value) = rng
            .pick(&[
                ("x-request-id", "req_01HZZZZZZZZZZZZZZZZZZZZZZZ"),
                ("accept", "text/html"),
                ("content-encoding", "gzip"),
                ("x-http-method-override", "DELETE"),
                ("accept-charset", "utf-7"),
            ])
            .to_owned();
        out.push((HeaderName::from_static(name), HeaderValue::from_static(value)));
    }
    out
}

/// The whole answer, checked against the envelope rules; a violation names the request.
async fn send_checked(
    app: &TestApp,
    method: Method,
    url: &str,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Option<Vec<u8>>,
    hint: &str,
) -> (StatusCode, Value) {
    let mut request = app.client.request(method.clone(), format!("{}{url}", app.base));
    for (name, value) in headers {
        request = request.header(name, value);
    }
    if let Some(body) = body {
        request = request.body(body);
    }
    let response = request.send().await.unwrap_or_else(|e| panic!("{method} {url}: {e} {hint}"));
    let status = response.status();
    let header_id =
        response.headers().get("x-request-id").and_then(|v| v.to_str().ok()).map_or_else(
            || panic!("{method} {url}: {status} without X-Request-Id {hint}"),
            str::to_owned,
        );
    let bytes = response
        .bytes()
        .await
        .unwrap_or_else(|e| panic!("{method} {url} → {status}: body unreadable: {e:?} {hint}"));
    let what = || format!("{method} {url} → {status}: {} {hint}", String::from_utf8_lossy(&bytes));
    assert!(!status.is_server_error(), "{}", what());
    assert!(header_id.starts_with("req_"), "{}", what());
    if method == Method::HEAD {
        return (status, Value::Null);
    }
    let body: Value =
        serde_json::from_slice(&bytes).unwrap_or_else(|_| panic!("not JSON: {}", what()));
    if status.is_success() {
        // openapi.json is a document, not an envelope.
        if !url.starts_with("/v1/openapi.json") {
            assert!(body.get("data").is_some(), "{}", what());
            assert_eq!(body["request_id"].as_str(), Some(header_id.as_str()), "{}", what());
        }
    } else {
        let error = &body["error"];
        assert!(ERROR_TYPES.contains(&error["type"].as_str().unwrap_or("")), "{}", what());
        assert!(error["code"].is_string() && error["message"].is_string(), "{}", what());
        assert_eq!(error["request_id"].as_str(), Some(header_id.as_str()), "{}", what());
    }
    (status, body)
}

const METHODS: [Method; 7] = [
    Method::GET,
    Method::POST,
    Method::PATCH,
    Method::DELETE,
    Method::PUT,
    Method::HEAD,
    Method::OPTIONS,
];

#[tokio::test]
async fn mutated_requests_on_every_route_never_get_a_server_error() {
    let app = TestApp::spawn().await;
    let seed = fuzzgen::seed();
    let mut world = World::new(&app).await;
    // A real cursor to mutate.
    app.contacts(&world.org, 2).await;
    let page = app
        .get(&world.org.key, &format!("/v1/{}/contacts?limit=1", world.org.phone_number_id))
        .await;
    let cursor = page.body["next_cursor"].as_str().unwrap_or("").to_owned();

    let per_route = fuzzgen::iterations(40);
    let routes = world.routes();
    for (r, route) in routes.iter().enumerate() {
        for case in 0..per_route {
            let property = format!("route {r}");
            let hint = replay_hint(seed, &property, case);
            let mut rng = Rng::for_case(seed, &property, case);
            let method =
                if rng.chance(85) { route.method.clone() } else { rng.pick(&METHODS).clone() };
            let mutate_path = rng.chance(60);
            let path = world.path(&mut rng, &route.path, mutate_path);
            let url = format!("{path}{}", query(&mut rng, &world, &cursor));
            let body = match &route.body {
                Some(valid) if rng.chance(95) => Some(fuzzgen::hostile_json_text(&mut rng, valid)),
                Some(_) => None,
                // Body-less routes get none: see docs/fuzzing.md (an unread body can reset the
                // connection under a large answer).
                None => None,
            };
            // A server that answers without reading a large body (a 401, a 405, a GET) closes
            // the connection on unread data, and the kernel's reset can beat the answer to the
            // client: bodies stay under 32 KiB (`errors.rs` covers the 1 MiB limit).
            let body = body.map(|mut b| {
                b.truncate(32 * 1024);
                b
            });
            let headers = headers(&mut rng, &world, body.is_some());
            send_checked(&app, method, &url, headers, body, &hint).await;
        }
        // A fuzzed DELETE may have removed the fixtures; later routes want them back.
        world.refresh(&app).await;
    }
}

impl World {
    async fn refresh(&mut self, app: &TestApp) {
        let r = app
            .get(
                &self.org.key,
                &format!("/v1/{}/contacts/{}", self.org.phone_number_id, self.contact),
            )
            .await;
        if r.status != StatusCode::OK {
            self.contact = app.contact(&self.org, &unique_phone()).await;
        }
        let r = app.get(&self.org.key, &format!("/v1/labels/{}", self.label)).await;
        if r.status != StatusCode::OK {
            let name = format!("Fuzz {}", kirim::ids::ulid());
            self.label = app.label(&self.org, &name).await;
        }
    }
}

#[tokio::test]
async fn every_field_of_every_body_refuses_every_wrong_type_with_a_4xx() {
    let app = TestApp::spawn().await;
    let seed = fuzzgen::seed();
    let mut world = World::new(&app).await;
    for route in world.routes() {
        let Some(Value::Object(valid)) = &route.body else { continue };
        let mut rng = Rng::for_case(seed, "wrong-types", 0);
        for field in valid.keys() {
            for wrong in fuzzgen::wrong_types() {
                let mut body = valid.clone();
                body.insert(field.clone(), wrong.clone());
                if field == "phone_number" {
                    body.insert(field.clone(), wrong);
                }
                let path = world.path(&mut rng, &route.path, false);
                let hint = format!("[{field} = {}]", body[field]);
                let headers = vec![
                    (
                        reqwest::header::AUTHORIZATION,
                        HeaderValue::from_str(&format!("Bearer {}", world.org.key)).unwrap(),
                    ),
                    (reqwest::header::CONTENT_TYPE, HeaderValue::from_static("application/json")),
                ];
                let bytes = serde_json::to_vec(&Value::Object(body)).unwrap();
                send_checked(&app, route.method.clone(), &path, headers, Some(bytes), &hint).await;
            }
        }
        world.refresh(&app).await;
    }
}

/// A cursor is bound to the filters it was issued with even when a filter value contains the
/// separator the server used between scope and id (regression: the MAC did not delimit them).
#[tokio::test]
async fn a_cursor_issued_for_one_search_cannot_be_reshaped_for_another() {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let path = format!("/v1/{}/contacts", org.phone_number_id);
    let term = "foo|label=\nx";
    for _ in 0..2 {
        let body = json!({ "phone_number": unique_phone(), "name": term });
        app.post(&org.key, &path, &body).await.assert_status(StatusCode::CREATED);
    }
    let r = app.get(&org.key, &format!("{path}?limit=1&search={}", percent_encode(term))).await;
    r.assert_status(StatusCode::OK);
    let cursor = r.body["next_cursor"].as_str().unwrap();
    let (id, tag) = cursor.split_once('.').unwrap();
    let id = String::from_utf8(b64.decode(id).unwrap()).unwrap();
    // Under the old MAC, scope "…search=foo|label=\nx|label=" with this id signed the same
    // bytes as scope "…search=foo|label=" with the id "x|label=\n<id>".
    let forged = format!("{}.{tag}", b64.encode(format!("x|label=\n{id}")));
    let r =
        app.get(&org.key, &format!("{path}?search=foo&cursor={}", percent_encode(&forged))).await;
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_cursor");
}
