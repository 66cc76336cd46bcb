//! `/v1/labels`: create, fetch, update, delete; names unique per team; colours; teams.

use reqwest::StatusCode;
use serde_json::json;

use crate::fixtures::*;
use crate::support::TestApp;

const COLORS: [&str; 13] = [
    "gray", "red", "orange", "amber", "yellow", "lime", "green", "emerald", "teal", "sky", "blue",
    "violet", "pink",
];

#[tokio::test]
async fn creating_a_label_returns_every_field_and_defaults_to_gray() {
    let app = TestApp::spawn().await;
    let org = app.org().await;

    let r = app.post(&org.key, "/v1/labels", &json!({ "name": "VIP", "extra": 1 })).await;

    r.assert_status(StatusCode::CREATED);
    assert_data_envelope(&r);
    let label = r.data();
    assert_label_shape(label);
    assert_eq!(label["name"], "VIP");
    assert_eq!(label["color"], "gray");
    assert_eq!(label["team_id"], org.team.as_str(), "the only team is implied");
    assert_eq!(label["created_at"], label["updated_at"]);
    let fetched = app.get(&org.key, &format!("/v1/labels/{}", label["id"].as_str().unwrap())).await;
    fetched.assert_status(StatusCode::OK);
    assert_data_envelope(&fetched);
    assert_eq!(fetched.data(), label);
}

#[tokio::test]
async fn a_label_colour_is_one_of_the_thirteen() {
    let app = TestApp::spawn().await;
    let org = app.org().await;

    for (i, color) in COLORS.iter().enumerate() {
        let r = app
            .post(&org.key, "/v1/labels", &json!({ "name": format!("L{i}"), "color": color }))
            .await;
        r.assert_status(StatusCode::CREATED);
        assert_eq!(r.data()["color"], *color);
    }
    let r =
        app.post(&org.key, "/v1/labels", &json!({ "name": "Null colour", "color": null })).await;
    assert_eq!(r.data()["color"], "gray");
    for bad in [json!("purple"), json!("Gray"), json!(""), json!(3)] {
        let r = app.post(&org.key, "/v1/labels", &json!({ "name": "Bad", "color": bad })).await;
        assert_error_envelope(
            &r,
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "invalid_field_value",
        );
        assert_eq!(r.param(), "color");
    }
    assert_eq!(app.count_rows("labels").await, 14);
}

#[tokio::test]
async fn a_label_name_is_trimmed_and_1_to_50_characters() {
    let app = TestApp::spawn().await;
    let org = app.org().await;

    let r = app.post(&org.key, "/v1/labels", &json!({ "name": "  Lead \t" })).await;
    assert_eq!(r.data()["name"], "Lead");
    let fifty = "ñ".repeat(50);
    let r = app.post(&org.key, "/v1/labels", &json!({ "name": format!(" {fifty} ") })).await;
    r.assert_status(StatusCode::CREATED);
    assert_eq!(r.data()["name"], fifty.as_str());
    for bad in [json!(""), json!("   "), json!("x".repeat(51)), json!(5)] {
        let r = app.post(&org.key, "/v1/labels", &json!({ "name": bad })).await;
        r.assert_error(StatusCode::BAD_REQUEST, "invalid_field_value");
        assert_eq!(r.param(), "name");
    }
    for missing in [json!({}), json!({ "name": null, "color": "red" })] {
        let r = app.post(&org.key, "/v1/labels", &missing).await;
        r.assert_error(StatusCode::BAD_REQUEST, "missing_required_field");
        assert_eq!(r.param(), "name");
    }
    assert_eq!(app.count_rows("labels").await, 2);
}

#[tokio::test]
async fn label_names_are_unique_per_team_case_insensitively_and_trimmed() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let second = app.team(&org.id, "Sales").await;
    app.label_in(&org, &org.team, "VIP").await;

    for same in ["VIP", "vip", " Vip ", "vIp\n"] {
        let r =
            app.post(&org.key, "/v1/labels", &json!({ "name": same, "team_id": org.team })).await;
        assert_error_envelope(
            &r,
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "invalid_field_value",
        );
        assert_eq!(r.param(), "name");
    }
    // Another team of the organisation, or another organisation, may use the name.
    app.label_in(&org, &second, "vip").await;
    let other = app.org().await;
    app.label(&other, "VIP").await;
    assert_eq!(app.count_rows("labels").await, 3);

    // Renaming into a taken name is refused; renaming to a new case of one's own name is fine.
    let lead = app.label_in(&org, &org.team, "Lead").await;
    let path = format!("/v1/labels/{lead}");
    let r = app.patch(&org.key, &path, &json!({ "name": " vip" })).await;
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_field_value");
    assert_eq!(r.param(), "name");
    assert_eq!(app.get(&org.key, &path).await.data()["name"], "Lead");
    let r = app.patch(&org.key, &path, &json!({ "name": "LEAD" })).await;
    r.assert_status(StatusCode::OK);
    assert_eq!(r.data()["name"], "LEAD");
}

#[tokio::test]
async fn a_label_needs_team_id_when_the_organisation_has_several_teams() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let second = app.team(&org.id, "Sales").await;

    let r = app.post(&org.key, "/v1/labels", &json!({ "name": "VIP" })).await;
    assert_error_envelope(
        &r,
        StatusCode::BAD_REQUEST,
        "invalid_request_error",
        "missing_required_field",
    );
    assert_eq!(r.param(), "team_id");

    let r = app.post(&org.key, "/v1/labels", &json!({ "name": "VIP", "team_id": second })).await;
    r.assert_status(StatusCode::CREATED);
    assert_eq!(r.data()["team_id"], second.as_str());

    let foreign = app.org().await;
    for unknown in ["abcdefghjkmn", foreign.team.as_str()] {
        let r = app.post(&org.key, "/v1/labels", &json!({ "name": "X", "team_id": unknown })).await;
        assert_error_envelope(&r, StatusCode::NOT_FOUND, "not_found", "resource_not_found");
        assert_eq!(r.param(), "team_id");
    }
    for bad in [json!("Sales"), json!(12)] {
        let r = app.post(&org.key, "/v1/labels", &json!({ "name": "X", "team_id": bad })).await;
        r.assert_error(StatusCode::BAD_REQUEST, "invalid_field_value");
        assert_eq!(r.param(), "team_id");
    }
    assert_eq!(app.count_rows("labels").await, 1);
}

#[tokio::test]
async fn patching_a_label_changes_name_and_colour_but_never_its_team() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let created = app.post(&org.key, "/v1/labels", &json!({ "name": "VIP", "color": "red" })).await;
    let before = created.data().clone();
    let path = format!("/v1/labels/{}", before["id"].as_str().unwrap());
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;

    let r = app.patch(&org.key, &path, &json!({ "color": "blue" })).await;
    r.assert_status(StatusCode::OK);
    assert_data_envelope(&r);
    assert_label_shape(r.data());
    assert_eq!(r.data()["name"], "VIP", "absent name is kept");
    assert_eq!(r.data()["color"], "blue");
    assert_eq!(r.data()["created_at"], before["created_at"]);
    assert!(r.data()["updated_at"].as_str() > before["updated_at"].as_str());
    let r = app.patch(&org.key, &path, &json!({ "name": "  Gold  " })).await;
    assert_eq!(r.data()["name"], "Gold");
    assert_eq!(r.data()["color"], "blue");

    for (body, param) in [
        (json!({ "team_id": org.team }), "team_id"),
        (json!({ "name": null }), "name"),
        (json!({ "name": "" }), "name"),
        (json!({ "color": null }), "color"),
        (json!({ "color": "mauve" }), "color"),
        (json!({ "name": "Ok", "color": "mauve" }), "color"),
    ] {
        let r = app.patch(&org.key, &path, &body).await;
        r.assert_error(StatusCode::BAD_REQUEST, "invalid_field_value");
        assert_eq!(r.param(), param, "{body}");
    }
    let fetched = app.get(&org.key, &path).await;
    assert_eq!(fetched.data()["name"], "Gold");
    assert_eq!(fetched.data()["color"], "blue");
}

#[tokio::test]
async fn deleting_a_label_removes_it_from_every_contact() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let contacts = app.contacts(&org, 3).await;
    let doomed = app.label(&org, "Doomed").await;
    let kept = app.label(&org, "Kept").await;
    for c in &contacts {
        app.attach(&org, c, &doomed).await;
        app.attach(&org, c, &kept).await;
    }

    let r = app.delete(&org.key, &format!("/v1/labels/{doomed}")).await;

    r.assert_status(StatusCode::OK);
    assert_data_envelope(&r);
    assert_eq!(r.data(), &json!({ "id": doomed, "object": "label", "deleted": true }));
    assert!(app.links_of_label(&doomed).await.is_empty());
    assert_eq!(app.links_of_label(&kept).await.len(), 3, "other labels keep their links");
    for c in &contacts {
        let listed = app.get(&org.key, &format!("{}/labels", contact_path(&org, c))).await;
        let ids: Vec<_> =
            listed.data().as_array().unwrap().iter().map(|l| l["id"].clone()).collect();
        assert_eq!(ids, vec![json!(kept)]);
        app.get_contact(&org, c).await.assert_status(StatusCode::OK);
    }
    app.get(&org.key, &format!("/v1/labels/{doomed}"))
        .await
        .assert_error(StatusCode::NOT_FOUND, "resource_not_found");
    app.delete(&org.key, &format!("/v1/labels/{doomed}"))
        .await
        .assert_error(StatusCode::NOT_FOUND, "resource_not_found");
    // The name is free again.
    app.label(&org, "Doomed").await;
}

#[tokio::test]
async fn malformed_or_unknown_label_ids_in_the_path_are_not_found() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let real = app.label(&org, "VIP").await;

    let mut errors = Vec::new();
    for id in [
        "nope".to_owned(),
        real.to_lowercase(),
        real.replace("lbl_", "ctc_"),
        format!("{real}0"),
        unknown_id("lbl"),
    ] {
        let path = format!("/v1/labels/{id}");
        for r in [
            app.get(&org.key, &path).await,
            app.patch(&org.key, &path, &json!({ "name": "Renamed" })).await,
            app.delete(&org.key, &path).await,
        ] {
            assert_error_envelope(&r, StatusCode::NOT_FOUND, "not_found", "resource_not_found");
            errors.push(error_without_request_id(&r));
        }
    }
    assert!(errors.windows(2).all(|w| w[0] == w[1]), "one answer for every missing id: {errors:?}");
    assert_eq!(app.get(&org.key, &format!("/v1/labels/{real}")).await.data()["name"], "VIP");
}

#[tokio::test]
async fn the_label_list_filters_by_team() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let second = app.team(&org.id, "Sales").await;
    let a = app.label_in(&org, &org.team, "A").await;
    let b = app.label_in(&org, &second, "B").await;
    let c = app.label_in(&org, &org.team, "C").await;

    let ids = |r: &crate::support::Response| -> Vec<String> {
        r.data().as_array().unwrap().iter().map(|l| l["id"].as_str().unwrap().to_owned()).collect()
    };
    let all = app.get(&org.key, "/v1/labels").await;
    assert_list_envelope(&all);
    all.data().as_array().unwrap().iter().for_each(assert_label_shape);
    assert_eq!(ids(&all), vec![c.clone(), b.clone(), a.clone()], "newest first");
    let first = app.get(&org.key, &format!("/v1/labels?team_id={}", org.team)).await;
    assert_eq!(ids(&first), vec![c, a]);
    let sales = app.get(&org.key, &format!("/v1/labels?team_id={second}")).await;
    assert_eq!(ids(&sales), vec![b]);

    let r = app.get(&org.key, "/v1/labels?team_id=Sales").await;
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_field_value");
    assert_eq!(r.param(), "team_id");
    let foreign = app.org().await;
    for unknown in ["abcdefghjkmn", foreign.team.as_str()] {
        let r = app.get(&org.key, &format!("/v1/labels?team_id={unknown}")).await;
        r.assert_error(StatusCode::NOT_FOUND, "resource_not_found");
        assert_eq!(r.param(), "team_id");
    }
}
