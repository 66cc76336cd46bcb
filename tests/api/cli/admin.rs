//! `kirim admin …` and `kirim serve` from a new operator's walk-through: list and show, no
//! database created by accident, errors that say where they looked, JSON errors, and the
//! messages of `serve`.

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

use super::Dir;
use crate::support::TestApp;

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

async fn admin(app: &TestApp, args: &[&str], env: &[(&str, &str)]) -> Out {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_kirim"))
        .arg("admin")
        .args(args)
        .env("KIRIM_DATABASE_URL", &app.database_url)
        .env_remove("KIRIM_JSON")
        .envs(env.iter().copied())
        .output()
        .await
        .unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn json(text: &str) -> Value {
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[tokio::test]
async fn admin_lists_and_shows_organisations_teams_accounts_and_keys_never_a_secret() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let other = app.org().await;

    let orgs = json(&admin(&app, &["org", "list", "--json"], &[]).await.stdout);
    let ids: Vec<&str> =
        orgs.as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&org.id.as_str()) && ids.contains(&other.id.as_str()));

    let shown = json(&admin(&app, &["org", "show", &org.id, "--json"], &[]).await.stdout);
    assert_eq!(shown["id"], org.id.as_str());
    assert_eq!(shown["teams"][0]["id"], org.team.as_str());
    assert_eq!(shown["accounts"][0]["phone_number_id"], org.phone_number_id.as_str());
    let key = &shown["keys"][0];
    assert_eq!(key["id"], org.key_id.as_str());
    let display = key["key"].as_str().unwrap();
    assert!(
        display.starts_with(&org.key[..12]) && display.ends_with(&org.key[org.key.len() - 4..])
    );
    assert_eq!(key["status"], "active");

    let listed = admin(&app, &["key", "list", "--org", &org.id], &[]).await;
    assert!(
        listed.stdout.contains(&org.key_id) && listed.stdout.contains(display),
        "{}",
        listed.stdout
    );
    for out in [&listed, &admin(&app, &["org", "show", &org.id], &[]).await] {
        assert!(!out.stdout.contains(&org.key), "the secret is never shown again");
    }
    let teams = json(&admin(&app, &["team", "list", "--org", &org.id, "--json"], &[]).await.stdout);
    assert_eq!(teams.as_array().unwrap().len(), 1);
    let team = json(&admin(&app, &["team", "show", &org.team, "--json"], &[]).await.stdout);
    assert_eq!(team["org_id"], org.id.as_str());
    let accounts =
        json(&admin(&app, &["account", "list", "--org", &org.id, "--json"], &[]).await.stdout);
    assert_eq!(accounts[0]["phone_number"], org.phone_number.as_str());
    let account =
        json(&admin(&app, &["account", "show", &org.phone_number_id, "--json"], &[]).await.stdout);
    assert_eq!(account["team_id"], org.team.as_str());
    let shown_key = json(&admin(&app, &["key", "show", &org.key_id, "--json"], &[]).await.stdout);
    assert_eq!(shown_key["key"], display);
}

#[tokio::test]
async fn admin_never_creates_a_database_and_names_the_missing_file() {
    let app = TestApp::spawn().await;
    let dir = Dir::new();
    let missing = dir.path("typo.db");
    let url = format!("sqlite://{missing}");
    let out = admin(&app, &["org", "list"], &[("KIRIM_DATABASE_URL", &url)]).await;
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains(&missing), "names the absolute path: {}", out.stderr);
    assert!(!std::path::Path::new(&missing).exists(), "no database was created");
}

#[tokio::test]
async fn not_found_errors_name_the_database_and_are_json_with_json() {
    let app = TestApp::spawn().await;
    let out = admin(
        &app,
        &["team", "create", "--org", "org_01HZZZZZZZZZZZZZZZZZZZZZZZ", "--name", "X", "--json"],
        &[],
    )
    .await;
    assert_eq!(out.code, 1);
    assert!(out.stdout.is_empty());
    let message = json(&out.stderr)["error"]["message"].as_str().unwrap().to_owned();
    assert!(message.contains("no organization org_01HZZZZZZZZZZZZZZZZZZZZZZZ"), "{message}");
    let database = kirim::store::url::describe(&app.database_url);
    assert!(message.contains(&database), "names {database}: {message}");
}

#[tokio::test]
async fn a_key_expiring_in_the_past_is_refused_and_revoke_given_a_key_says_what_to_pass() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let past = admin(
        &app,
        &["key", "create", "--org", &org.id, "--expires-at", "2020-01-01T00:00:00Z"],
        &[],
    )
    .await;
    assert_eq!(past.code, 1);
    assert!(past.stderr.contains("in the past"), "{}", past.stderr);
    let keys = json(&admin(&app, &["key", "list", "--org", &org.id, "--json"], &[]).await.stdout);
    assert_eq!(keys.as_array().unwrap().len(), 1, "no key was made");
    let future = admin(
        &app,
        &["key", "create", "--org", &org.id, "--expires-at", "2999-01-01T00:00:00Z"],
        &[],
    )
    .await;
    assert_eq!(future.code, 0, "{}", future.stderr);

    let revoke = admin(&app, &["key", "revoke", "--id", &org.key], &[]).await;
    assert_eq!(revoke.code, 1);
    assert!(
        revoke.stderr.contains("key_") && revoke.stderr.contains("not its id"),
        "{}",
        revoke.stderr
    );
    assert!(!revoke.stderr.contains(&org.key), "the key is not echoed");
    let r = app.get(&org.key, "/v1/me").await;
    assert_eq!(r.status, reqwest::StatusCode::OK, "the key still works");
}

#[tokio::test]
async fn boolean_environment_variables_accept_1_0_true_and_false() {
    let app = TestApp::spawn().await;
    app.org().await;
    for (value, is_json) in [("1", true), ("true", true), ("0", false), ("false", false)] {
        let out = admin(&app, &["org", "list"], &[("KIRIM_JSON", value)]).await;
        assert_eq!(out.code, 0, "KIRIM_JSON={value}: {}", out.stderr);
        assert_eq!(
            serde_json::from_str::<Value>(out.stdout.trim()).is_ok(),
            is_json,
            "KIRIM_JSON={value}"
        );
    }
}

/// Starts `kirim serve` with these arguments; returns its stdout lines up to the listening
/// line, and its stderr lines so far. The process is killed on return.
async fn serve_until_listening(args: &[&str]) -> (Vec<String>, Vec<String>) {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_kirim"))
        .arg("serve")
        .args(args)
        .env("KIRIM_LOG", "info")
        .env_remove("KIRIM_DEMO")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut out = Vec::new();
    let mut err = Vec::new();
    let read = async {
        while let Ok(Some(line)) = stdout.next_line().await {
            let done = line.starts_with("kirim listening");
            out.push(line);
            if done {
                break;
            }
        }
        // The log line of the start, written after the listening line.
        if let Ok(Ok(Some(line))) =
            tokio::time::timeout(Duration::from_secs(5), stderr.next_line()).await
        {
            err.push(line);
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(30), read).await;
    let _ = child.kill().await;
    (out, err)
}

#[tokio::test]
async fn serve_demo_on_a_database_with_data_says_which_and_how_to_start_over_without_colour() {
    let app = TestApp::spawn_sqlite().await;
    app.org().await;
    let (stdout, stderr) = serve_until_listening(&[
        "--demo",
        "--listen",
        "127.0.0.1:0",
        "--database-url",
        &app.database_url,
    ])
    .await;
    let file = kirim::store::url::sqlite_file(&app.database_url).unwrap();
    let notice = stdout.iter().find(|l| l.starts_with("demo:")).expect("a demo notice");
    assert!(notice.contains(&file.display().to_string()), "{notice}");
    assert!(notice.contains("still works") && notice.contains("start over"), "{notice}");
    assert!(!stderr.is_empty(), "a log line was read");
    assert!(
        stderr.iter().all(|l| !l.contains('\u{1b}')),
        "no ANSI codes in piped logs: {stderr:?}"
    );
}

#[tokio::test]
async fn database_and_listener_errors_name_the_url_without_its_password_or_the_address() {
    let db = kirim::clock::now_ms();
    let url = format!("postgres://kirim:hunter2secret@127.0.0.1:1/db{db}");
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_kirim"))
        .args(["migrate", "--database-url", &url])
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("postgres://kirim:***@127.0.0.1:1/"), "{stderr}");
    assert!(!stderr.contains("hunter2secret"), "{stderr}");

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let app = TestApp::spawn_sqlite().await;
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_kirim"))
        .args(["serve", "--listen", &address, "--database-url", &app.database_url])
        .env("KIRIM_LOG", "warn")
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains(&format!("cannot listen on {address}")), "{stderr}");
}
