//! The client commands (`kirim contacts|labels …`) as a user runs them: the built binary,
//! talking HTTP to a real server, with files on disk.

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::support::{Org, TestApp, unique_phone};

/// What a run of the binary left: exit code, stdout, stderr.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// Stdout as one JSON value (the `--json` result).
    fn json(&self) -> Value {
        serde_json::from_str(self.stdout.trim()).unwrap_or_else(|e| {
            panic!("stdout is not JSON ({e}): {}\nstderr: {}", self.stdout, self.stderr)
        })
    }
}

async fn kirim(app: &TestApp, org: &Org, args: &[&str]) -> Run {
    kirim_at(&App { base: app.base.clone() }, org, args).await
}

/// A directory of this test's own, removed at the end.
struct Dir(PathBuf);

impl Dir {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("kirim_cli_{}", kirim::ids::ulid()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn file(&self, name: &str, content: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, content).unwrap();
        path.display().to_string()
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn import_reports_bad_rows_with_their_line_and_reason_and_imports_the_rest() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let dir = Dir::new();
    let (a, b, c) = (unique_phone(), unique_phone(), unique_phone());
    let csv = format!(
        "phone_number,name,email,city\n\
         {a},Ana,ana@example.com,Jakarta\n\
         0812,Bad phone,,\n\
         {b},Budi,not-an-email,\n\
         {c},Citra,,Bandung\n\
         {a},Ana again,,\n"
    );
    let file = dir.file("people.csv", &csv);

    let run = kirim(
        &app,
        &org,
        &["contacts", "import", &file, "--account", &org.phone_number_id, "--json"],
    )
    .await;
    assert_eq!(run.code, 3, "partly done; stderr: {}", run.stderr);
    let summary = run.json();
    assert_eq!(summary["rows"], 5);
    assert_eq!(summary["created"], 2);
    assert_eq!(summary["failed"], 3);
    assert_eq!(app.count_rows("contacts").await, 2);

    let errors = std::fs::read_to_string(format!("{file}.errors.csv")).unwrap();
    let lines: Vec<&str> = errors.lines().collect();
    assert_eq!(lines[0], "line,phone_number,param,reason");
    assert!(lines[1].starts_with("3,0812,phone_number,"), "{errors}");
    assert!(lines[2].starts_with(&format!("4,{b},email,")), "{errors}");
    assert!(
        lines[3].starts_with(&format!("6,{a},phone_number,")) && lines[3].contains("line 2"),
        "{errors}"
    );

    // The imported rows carry their fields, the extra column as metadata.
    let api = app.api(&org);
    let filter = kirim_client::ContactFilter { phone: Some(a.clone()), ..Default::default() };
    let ana = api.list_contacts(&org.phone_number_id, &filter).next().await.unwrap().unwrap();
    assert_eq!(ana.name.as_deref(), Some("Ana"));
    assert_eq!(ana.metadata["city"], "Jakarta");
}

#[tokio::test]
async fn a_dry_run_checks_the_file_and_sends_nothing() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let dir = Dir::new();
    let file =
        dir.file("p.csv", &format!("phone_number,email\n{},x@example.com\n+1,\n", unique_phone()));
    let run = kirim(
        &app,
        &org,
        &["contacts", "import", &file, "--account", &org.phone_number_id, "--dry-run", "--json"],
    )
    .await;
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(run.json()["failed"], 1);
    assert_eq!(run.json()["dry_run"], true);
    assert_eq!(app.count_rows("contacts").await, 0);
}

#[tokio::test]
async fn re_running_an_import_creates_nothing_twice_and_a_changed_row_is_updated() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let dir = Dir::new();
    let phones: Vec<String> = (0..2100).map(|_| unique_phone()).collect();
    let mut csv = String::from("phone_number,name\n");
    for (i, p) in phones.iter().enumerate() {
        csv.push_str(&format!("{p},Person {i}\n"));
    }
    let file = dir.file("many.csv", &csv);
    let args = ["contacts", "import", &file, "--account", &org.phone_number_id, "--json"];

    let first = kirim(&app, &org, &args).await;
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert_eq!(first.json()["created"], 2100);
    assert_eq!(first.json()["replayed_chunks"], 0);
    let second = kirim(&app, &org, &args).await;
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert_eq!(second.json()["replayed_chunks"], 3, "the same chunks replay their stored answers");
    assert_eq!(app.count_rows("contacts").await, 2100);

    // The same people with one name changed: a new file, so new keys; upsert finds them all.
    let changed = csv.replacen("Person 7\n", "Person Seven\n", 1);
    let file = dir.file("many2.csv", &changed);
    let third = kirim(
        &app,
        &org,
        &["contacts", "import", &file, "--account", &org.phone_number_id, "--json"],
    )
    .await;
    assert_eq!(third.code, 0, "{}", third.stderr);
    assert_eq!(
        (third.json()["created"].clone(), third.json()["updated"].clone()),
        (json!(0), json!(1))
    );
    assert_eq!(third.json()["unchanged"], 2099);
    assert_eq!(app.count_rows("contacts").await, 2100);
}

#[tokio::test]
async fn labels_apply_sends_2500_ids_in_chunks_and_sums_the_totals() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let stranger = app.org().await;
    let dir = Dir::new();
    let mut ids = app.insert_contacts(&org, 2500).await;
    // Another organisation's contacts are counted, not touched; duplicates count once.
    ids.extend(app.insert_contacts(&stranger, 3).await);
    ids.push(ids[0].clone());
    let file = dir.file("ids.txt", &ids.join("\n"));
    let label = app.label(&org, "Black Friday").await;

    let args =
        ["labels", "apply", &label, "--account", &org.phone_number_id, "--ids", &file, "--json"];
    let run = kirim(&app, &org, &args).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let s = run.json();
    assert_eq!((s["ids"].clone(), s["chunks"].clone()), (json!(2503), json!(3)));
    assert_eq!(s["applied"], 2500);
    assert_eq!(s["skipped_cross_org"], 3);
    assert_eq!(app.links_of_label(&label).await.len(), 2500);

    let again = kirim(&app, &org, &args).await;
    assert_eq!(again.json()["replayed_chunks"], 3, "a re-run replays finished chunks");
    assert_eq!(again.json()["applied"], 2500);

    // From another label, detaching.
    let other = app.label(&org, "Copy").await;
    let copy = [
        "labels",
        "apply",
        &other,
        "--account",
        &org.phone_number_id,
        "--from-label",
        &label,
        "--json",
    ];
    assert_eq!(kirim(&app, &org, &copy).await.json()["applied"], 2500);
    let detach = [
        "labels",
        "apply",
        &other,
        "--account",
        &org.phone_number_id,
        "--from-label",
        &label,
        "--detach",
        "--json",
    ];
    assert_eq!(kirim(&app, &org, &detach).await.json()["applied"], 2500);
    assert!(app.links_of_label(&other).await.is_empty());
}

#[tokio::test]
async fn export_then_import_round_trips_every_field() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let dir = Dir::new();
    let sales = app.team(&org.id, "Sales").await;
    let label = app.label_in(&org, &org.team, "Segment").await;
    for (i, team) in [&org.team, &org.team, &sales].iter().enumerate() {
        let c = app
            .create_contact(
                &org,
                json!({
                    "phone_number": unique_phone(),
                    "name": format!("Name, with \"quotes\" {i}"),
                    "email": if i == 1 { Value::Null } else { json!(format!("p{i}@example.com")) },
                    "metadata": { "visits": i, "vip": i == 0, "note": "multi\nline" },
                    "team_id": team,
                }),
            )
            .await;
        if i < 2 {
            app.attach(&org, c["id"].as_str().unwrap(), &label).await;
        }
    }
    let out = dir.path("segment.csv");
    let run = kirim(
        &app,
        &org,
        &[
            "contacts",
            "export",
            "--account",
            &org.phone_number_id,
            "--label",
            &label,
            "--output",
            &out,
        ],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let all = dir.path("all.csv");
    kirim(&app, &org, &["contacts", "export", "--account", &org.phone_number_id, "--output", &all])
        .await;

    // Into a second account of the same organisation: the same contacts, field for field.
    let (second, _) = app.account(&org.id, &org.team).await;
    let run =
        kirim(&app, &org, &["contacts", "import", &all, "--account", &second, "--json"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["created"], 3);
    let api = app.api(&org);
    let fields = |c: &kirim_client::Contact| {
        (
            c.phone_number.clone(),
            c.name.clone(),
            c.email.clone(),
            Value::Object(c.metadata.clone()).to_string(),
            c.team_id.clone(),
        )
    };
    let mut before: Vec<_> = api
        .list_contacts(&org.phone_number_id, &Default::default())
        .collect()
        .await
        .unwrap()
        .iter()
        .map(fields)
        .collect();
    let mut after: Vec<_> = api
        .list_contacts(&second, &Default::default())
        .collect()
        .await
        .unwrap()
        .iter()
        .map(fields)
        .collect();
    before.sort();
    after.sort();
    assert_eq!(before, after);
    // And back into the first account: nothing changes.
    let run = kirim(
        &app,
        &org,
        &["contacts", "import", &out, "--account", &org.phone_number_id, "--json"],
    )
    .await;
    assert_eq!(
        (run.json()["unchanged"].clone(), run.json()["created"].clone()),
        (json!(2), json!(0))
    );
}

#[tokio::test]
async fn json_mode_puts_results_on_stdout_and_errors_on_stderr_with_documented_exit_codes() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    app.label(&org, "One").await;
    let run = kirim(&app, &org, &["labels", "list", "--json"]).await;
    assert_eq!(run.code, 0);
    assert_eq!(run.json()[0]["name"], "One");

    let run =
        kirim(&app, &org, &["labels", "delete", "lbl_01HZY0F2S5V8W9X0Y1Z2A3B4C5", "--json"]).await;
    assert_eq!(run.code, 1);
    assert!(run.stdout.is_empty());
    let error: Value = serde_json::from_str(run.stderr.trim()).unwrap();
    assert_eq!(error["error"]["code"], "resource_not_found");
    assert_eq!(error["error"]["status"], 404);
    assert!(error["error"]["request_id"].as_str().unwrap().starts_with("req_"));

    let stranger = Org { key: "kdv_live_AAAAAAAAAAAAAAAAAAAAAAAA".into(), ..org.clone() };
    let run =
        kirim(&app, &stranger, &["contacts", "list", "--account", &org.phone_number_id, "--json"])
            .await;
    assert_eq!(run.code, 1);
    let error: Value = serde_json::from_str(run.stderr.trim()).unwrap();
    assert_eq!(error["error"]["code"], "invalid_api_key");

    let run = kirim(&app, &org, &["labels", "apply", "lbl_x", "--account", "1"]).await;
    assert_eq!(run.code, 2, "no id source: usage error; {}", run.stderr);
    let run = kirim(
        &app,
        &org,
        &["contacts", "list", "--account", &org.phone_number_id, "--format", "json"],
    )
    .await;
    assert_eq!(run.code, 0);
    assert!(run.stdout.is_empty(), "no contacts, no lines");
}

/// A server without bulk upsert (as the hosted API is): the real server behind a proxy that
/// answers `404 route_not_found` for that one route.
async fn without_bulk_upsert(app: &TestApp) -> String {
    use axum::body::Body;
    use axum::extract::Request;
    use axum::http::StatusCode;
    use axum::response::{IntoResponse, Response};

    let upstream = app.base.clone();
    let http = app.client.clone();
    let proxy = move |req: Request| {
        let (upstream, http) = (upstream.clone(), http.clone());
        async move {
            let path = req.uri().path_and_query().map(|p| p.to_string()).unwrap_or_default();
            if path.contains("/bulk_upsert") {
                let body = json!({ "error": { "type": "not_found", "code": "route_not_found",
                    "message": "No such route.", "request_id": "req_proxy" } });
                return (
                    StatusCode::NOT_FOUND,
                    [("content-type", "application/json")],
                    body.to_string(),
                )
                    .into_response();
            }
            let (parts, body) = req.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
            let mut forward = http.request(parts.method, format!("{upstream}{path}")).body(bytes);
            for (name, value) in &parts.headers {
                if name != "host" {
                    forward = forward.header(name, value);
                }
            }
            let answer = forward.send().await.unwrap();
            let mut response = Response::builder().status(answer.status().as_u16());
            for (name, value) in answer.headers() {
                response = response.header(name, value);
            }
            response.body(Body::from(answer.bytes().await.unwrap())).unwrap()
        }
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, axum::Router::new().fallback(proxy)).await.unwrap();
    });
    format!("http://{address}")
}

#[tokio::test]
async fn import_falls_back_to_one_contact_at_a_time_without_bulk_upsert() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let dir = Dir::new();
    let label = app.label(&org, "Imported").await;
    let existing =
        app.create_contact(&org, json!({ "phone_number": unique_phone(), "name": "Old" })).await;
    let csv = format!(
        "phone_number,name\n{},New\n{},Fresh\nbad,Row\n",
        existing["phone_number"].as_str().unwrap(),
        unique_phone()
    );
    let file = dir.file("p.csv", &csv);
    let proxy = App { base: without_bulk_upsert(&app).await };
    let args = [
        "contacts",
        "import",
        &file,
        "--account",
        &org.phone_number_id,
        "--label",
        &label,
        "--json",
    ];

    let run = kirim_at(&proxy, &org, &args).await;
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("no bulk_upsert"), "a clear notice: {}", run.stderr);
    let s = run.json();
    assert_eq!(s["mode"], "one_by_one");
    assert_eq!(
        (s["created"].clone(), s["updated"].clone(), s["failed"].clone()),
        (json!(1), json!(1), json!(1))
    );
    assert_eq!(app.count_rows("contacts").await, 2);
    assert_eq!(app.links_of_label(&label).await.len(), 2);
    let updated = app.get_contact(&org, existing["id"].as_str().unwrap()).await;
    assert_eq!(updated.data()["name"], "New");

    // Again: nothing is created twice.
    let again = kirim_at(&proxy, &org, &args).await;
    assert_eq!(again.json()["created"], 1, "the stored answer of the keyed POST is replayed");
    assert_eq!(app.count_rows("contacts").await, 2);
}

/// Only a base URL: where the binary is pointed.
struct App {
    base: String,
}

async fn kirim_at(app: &App, org: &Org, args: &[&str]) -> Run {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_kirim"))
        .args(args)
        .env("KIRIM_API_URL", &app.base)
        .env("KIRIM_API_KEY", &org.key)
        .env_remove("KIRIM_JSON")
        .output()
        .await
        .expect("the kirim binary runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
