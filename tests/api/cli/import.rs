//! `kirim contacts import|export`: bad rows, re-runs, the export round trip, the fallback.

use serde_json::{Value, json};

use super::{App, Dir, kirim, kirim_at, without_bulk_upsert};
use crate::fixtures::{contact_path, contacts_path};
use crate::support::{TestApp, unique_phone};

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
async fn re_running_an_import_creates_nothing_twice_and_puts_back_what_changed_since() {
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
    // Renamed elsewhere, then the same file again: it is applied again, not replayed.
    let filter = format!("{}?phone={}", contacts_path(&org), phones[0].replace('+', "%2B"));
    let id = app.get(&org.key, &filter).await.data()[0]["id"].as_str().unwrap().to_owned();
    let renamed =
        app.patch(&org.key, &contact_path(&org, &id), &json!({ "name": "Renamed" })).await;
    renamed.assert_status(reqwest::StatusCode::OK);
    let second = kirim(&app, &org, &args).await;
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert_eq!(second.json()["replayed_chunks"], 0);
    let counts = ["created", "updated", "unchanged"].map(|k| second.json()[k].clone());
    assert_eq!(counts, [json!(0), json!(1), json!(2099)]);
    let back = app.get(&org.key, &contact_path(&org, &id)).await;
    assert_eq!(back.data()["name"], "Person 0");
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

/// An import the server stops part-way still reports what it found: the summary, and the rows
/// refused so far in their file.
#[tokio::test]
async fn an_import_that_stops_part_way_still_reports_its_refused_rows() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let dir = Dir::new();
    let file = dir.file("p.csv", &format!("phone_number\n{}\nbad\n", unique_phone()));
    let unknown_label = "lbl_01JZZZZZZZZZZZZZZZZZZZZZZZ";
    let args =
        ["contacts", "import", &file, "--account", &org.phone_number_id, "--label", unknown_label];
    let run = kirim(&app, &org, &[&args[..], &["--json"]].concat()).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("label_id"), "the server's reason: {}", run.stderr);
    assert_eq!(run.json()["failed"], 1, "the bad row is reported");
    assert_eq!(run.json()["not_sent"], 1, "the good row is counted as not sent");
    let errors = std::fs::read_to_string(format!("{file}.errors.csv")).unwrap();
    assert!(errors.contains(",bad,"), "{errors}");
    assert_eq!(app.count_rows("contacts").await, 0);
    let human = kirim(&app, &org, &args).await;
    assert!(human.stdout.starts_with("import stopped;"), "{}", human.stdout);

    // A run that cannot even read its file leaves no errors file of the run before.
    std::fs::write(&file, b"phone_number\n\xff\xfe\n").unwrap();
    let unreadable = kirim(&app, &org, &args).await;
    assert_eq!(unreadable.code, 1, "{}", unreadable.stderr);
    assert!(!std::path::Path::new(&format!("{file}.errors.csv")).exists(), "stale errors file");
}

/// An export that fails leaves the file it would have replaced as it was.
#[tokio::test]
async fn a_failed_export_leaves_the_existing_file_untouched() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let dir = Dir::new();
    let kept = "phone_number\n+14155550123\n";
    let file = dir.file("customers.csv", kept);
    let args = ["contacts", "export", "--account", "999999999999", "--output", &file];
    let run = kirim(&app, &org, &args).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), kept);
    assert!(!std::path::Path::new(&format!("{file}.part")).exists(), "nothing left beside it");
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
                    "name": format!("  Name, with \"quotes\" {i} "),
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
async fn import_falls_back_to_one_contact_at_a_time_without_bulk_upsert() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let dir = Dir::new();
    let label = app.label(&org, "Imported").await;
    let existing =
        app.create_contact(&org, json!({ "phone_number": unique_phone(), "name": "Old" })).await;
    // Only the label is new to this one: an update, as bulk upsert counts it.
    let as_in_file =
        app.create_contact(&org, json!({ "phone_number": unique_phone(), "name": "Same" })).await;
    let csv = format!(
        "phone_number,name\n{},New\n{},Same\n{},Fresh\nbad,Row\n",
        existing["phone_number"].as_str().unwrap(),
        as_in_file["phone_number"].as_str().unwrap(),
        unique_phone()
    );
    let file = dir.file("p.csv", &csv);
    let proxy = App { base: without_bulk_upsert(&app).await };
    let args = labelled_import(&file, &org.phone_number_id, &label);

    let run = kirim_at(&proxy, &org, &args).await;
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("no bulk_upsert"), "a clear notice: {}", run.stderr);
    let s = run.json();
    assert_eq!(s["mode"], "one_by_one");
    assert_eq!(
        (s["created"].clone(), s["updated"].clone(), s["failed"].clone()),
        (json!(1), json!(2), json!(1))
    );
    assert_eq!(app.count_rows("contacts").await, 3);
    assert_eq!(app.links_of_label(&label).await.len(), 3);
    let updated = app.get_contact(&org, existing["id"].as_str().unwrap()).await;
    assert_eq!(updated.data()["name"], "New");

    // Again: nothing is created twice; both numbers are found and already as the file says.
    let again = kirim_at(&proxy, &org, &args).await;
    let counts = ["created", "updated", "unchanged"].map(|k| again.json()[k].clone());
    assert_eq!(counts, [json!(0), json!(0), json!(3)]);
    assert_eq!(app.count_rows("contacts").await, 3);
}

/// `kirim contacts list | head -1`: once the reader is gone the listing stops quietly, exit 0,
/// in every format; never a panic.
#[tokio::test]
async fn a_listing_whose_reader_is_gone_stops_quietly() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    app.insert_contacts(&org, 150).await;
    for format in ["table", "json", "csv"] {
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_kirim"))
            .args(["contacts", "list", "--account", &org.phone_number_id, "--format", format])
            .env("KIRIM_API_URL", &app.base)
            .env("KIRIM_API_KEY", &org.key)
            .env_remove("KIRIM_JSON")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("the kirim binary runs");
        // The pipe's reader is closed before the first page arrives.
        drop(child.stdout.take());
        let out = child.wait_with_output().await.unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{format}: {stderr}");
        assert!(stderr.is_empty(), "{format}: nothing to say: {stderr}");
    }
}

/// `--label` of another team than the account's: the rows whose contact would not be in the
/// label's team are refused before anything is sent, each with what to do, instead of one call
/// (and one write token) per refused row; a row given the label's team goes in, labelled.
#[tokio::test]
async fn import_with_another_teams_label_refuses_rows_outside_its_team_up_front() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let dir = Dir::new();
    let sales = app.team(&org.id, "Sales").await;
    let label = app.label_in(&org, &sales, "Sales lead").await;
    let (a, b, c) = (unique_phone(), unique_phone(), unique_phone());
    let csv = format!("phone_number,name,team_id\n{a},A,\n{b},B,{sales}\n{c},C,{}\n", org.team);
    let file = dir.file("leads.csv", &csv);
    let args = labelled_import(&file, &org.phone_number_id, &label);
    let run = kirim(&app, &org, &args).await;
    assert_eq!(run.code, 3, "{}", run.stderr);
    let counts = ["created", "failed"].map(|k| run.json()[k].clone());
    assert_eq!(counts, [json!(1), json!(2)]);
    let errors = std::fs::read_to_string(format!("{file}.errors.csv")).unwrap();
    let told = format!("give the row team_id {sales}");
    assert_eq!(errors.lines().filter(|l| l.contains(&told)).count(), 2, "{errors}");
    assert_eq!(app.links_of_label(&label).await.len(), 1);
}

/// `kirim contacts import FILE --account ACCOUNT --label LABEL --json`.
fn labelled_import<'a>(file: &'a str, account: &'a str, label: &'a str) -> [&'a str; 8] {
    ["contacts", "import", file, "--account", account, "--label", label, "--json"]
}
