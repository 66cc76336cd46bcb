//! `kirim labels …`: apply at scale; `--json` results, JSON errors and exit codes.

use serde_json::{Value, json};

use super::{Dir, kirim};
use crate::support::{Org, TestApp};

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

    // A re-run is sent again, not replayed from the first run; it changes nothing.
    let again = kirim(&app, &org, &args).await;
    assert_eq!(again.json()["replayed_chunks"], 0);
    assert_eq!(again.json()["applied"], 2500);
    assert_eq!(app.links_of_label(&label).await.len(), 2500);

    // Detached, then attached again with the very same arguments: the label is back on.
    let mut detach_args = args.to_vec();
    detach_args.push("--detach");
    assert_eq!(kirim(&app, &org, &detach_args).await.json()["applied"], 2500);
    assert!(app.links_of_label(&label).await.is_empty());
    assert_eq!(kirim(&app, &org, &args).await.json()["applied"], 2500);
    assert_eq!(app.links_of_label(&label).await.len(), 2500);

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

/// A malformed id would fail a whole chunk after earlier chunks went through: it is left out and
/// named before anything is sent, and the run says it was partly done.
#[tokio::test]
async fn labels_apply_leaves_out_malformed_ids_and_applies_the_rest() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let dir = Dir::new();
    let ids = app.insert_contacts(&org, 1500).await;
    let file = dir.file("ids.txt", &format!("{}\nctc_TYPO\n", ids.join("\n")));
    let label = app.label(&org, "Typo").await;
    let args =
        ["labels", "apply", &label, "--account", &org.phone_number_id, "--ids", &file, "--json"];
    let run = kirim(&app, &org, &args).await;
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("ctc_TYPO"), "the id is named: {}", run.stderr);
    let s = run.json();
    assert_eq!((s["applied"].clone(), s["skipped_malformed"].clone()), (json!(1500), json!(1)));
    assert_eq!(app.links_of_label(&label).await.len(), 1500);
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
    // A command line refused before anything runs is JSON on stderr too.
    let run = kirim(&app, &org, &["labels", "apply", "lbl_x", "--account", "1", "--json"]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    let error: Value = serde_json::from_str(run.stderr.trim()).unwrap();
    assert_eq!(error["error"]["type"], "usage_error");
    assert!(error["error"]["message"].as_str().unwrap().contains("--ids"), "{error}");
    let run = kirim(
        &app,
        &org,
        &["contacts", "list", "--account", &org.phone_number_id, "--format", "json"],
    )
    .await;
    assert_eq!(run.code, 0);
    assert!(run.stdout.is_empty(), "no contacts, no lines");
}
