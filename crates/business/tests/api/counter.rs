//! The counter behaves exactly like the Cloud Run Flask template, on SQLite
//! and (with `WXC_TEST_MYSQL_URL`) on MySQL.

use crate::support::TestApp;
use serde_json::{json, Value};

#[tokio::test]
async fn count_starts_at_zero() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get_count().await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({"code": 0, "data": 0}));
}

#[tokio::test]
async fn inc_adds_one_and_answers_the_new_count() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.post_action("inc").await,
        (200, json!({"code": 0, "data": 1}))
    );
    assert_eq!(
        app.post_action("inc").await,
        (200, json!({"code": 0, "data": 2}))
    );
    assert_eq!(app.get_count().await, (200, json!({"code": 0, "data": 2})));
}

#[tokio::test]
async fn clear_resets_the_count_to_zero() {
    let app = TestApp::spawn().await;
    app.post_action("inc").await;
    app.post_action("inc").await;
    assert_eq!(
        app.post_action("clear").await,
        (200, json!({"code": 0, "data": 0}))
    );
    assert_eq!(app.get_count().await.1["data"], 0);
}

#[tokio::test]
async fn unknown_action_is_refused_and_leaves_the_count_unchanged() {
    let app = TestApp::spawn().await;
    app.post_action("inc").await;
    for action in ["dec", "INC", "", "clear "] {
        let (status, body) = app.post_action(action).await;
        assert_eq!(status, 400, "action {action:?}");
        assert_eq!(body["code"], -1);
        let message = body["errorMsg"].as_str().expect("errorMsg is a string");
        assert!(
            message.contains("action"),
            "message names the field: {message}"
        );
    }
    assert_eq!(app.get_count().await.1["data"], 1);
}

#[tokio::test]
async fn malformed_bodies_are_refused_and_leave_the_count_unchanged() {
    let app = TestApp::spawn().await;
    app.post_action("inc").await;
    let bodies: [&[u8]; 7] = [
        b"",
        b"not json",
        b"{\"action\":",
        b"[\"inc\"]",
        b"{}",
        b"{\"action\":1}",
        b"{\"action\":null}",
    ];
    for body in bodies {
        let response = app.post_raw(body.to_vec(), "application/json").await;
        assert_eq!(
            response.status(),
            400,
            "body {:?}",
            String::from_utf8_lossy(body)
        );
        let body: Value = response.json().await.expect("error body is JSON");
        assert_eq!(body["code"], -1);
        assert!(body["errorMsg"].as_str().is_some_and(|m| !m.is_empty()));
        assert!(body.get("data").is_none());
    }
    assert_eq!(app.get_count().await.1["data"], 1);
}

#[tokio::test]
async fn a_body_without_content_type_is_still_understood() {
    let app = TestApp::spawn().await;
    let response = app
        .post_raw(br#"{"action":"inc"}"#.to_vec(), "text/plain")
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.expect("json")["data"], 1);
}

#[tokio::test]
async fn two_hundred_concurrent_increments_raise_the_count_by_exactly_two_hundred() {
    let app = TestApp::spawn().await;
    app.post_action("inc").await;
    let requests = (0..200).map(|_| app.post_action("inc"));
    let results = futures::future::join_all(requests).await;
    for (status, body) in &results {
        assert_eq!(*status, 200, "{body}");
    }
    let mut seen: Vec<i64> = results
        .iter()
        .map(|(_, body)| body["data"].as_i64().expect("data is a number"))
        .collect();
    seen.sort_unstable();
    let expected: Vec<i64> = (2..=201).collect();
    assert_eq!(seen, expected, "every increment saw a distinct count");
    assert_eq!(app.get_count().await.1["data"], 201);
}

#[tokio::test]
async fn concurrent_first_increments_on_an_empty_table_all_count() {
    let app = TestApp::spawn().await;
    let requests = (0..40).map(|_| app.post_action("inc"));
    let mut seen: Vec<i64> = futures::future::join_all(requests)
        .await
        .iter()
        .map(|(status, body)| {
            assert_eq!(*status, 200, "{body}");
            body["data"].as_i64().expect("data is a number")
        })
        .collect();
    seen.sort_unstable();
    assert_eq!(seen, (1..=40).collect::<Vec<i64>>());
}

#[tokio::test]
async fn the_count_survives_a_restart() {
    let app = TestApp::spawn().await;
    app.post_action("inc").await;
    app.post_action("inc").await;
    let restarted = app.restart().await;
    assert_eq!(restarted.get_count().await.1["data"], 2);
}

#[tokio::test]
async fn healthz_reports_ok_when_the_database_answers() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(format!("{}/healthz", app.base_url))
        .send()
        .await
        .expect("healthz request");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.expect("json")["status"],
        "ok"
    );
}

#[tokio::test]
async fn unknown_paths_and_methods_are_not_served() {
    let app = TestApp::spawn().await;
    let missing = app
        .client
        .get(format!("{}/api/nothing", app.base_url))
        .send()
        .await
        .expect("request");
    assert_eq!(missing.status(), 404);
    let wrong_method = app
        .client
        .delete(format!("{}/api/count", app.base_url))
        .send()
        .await
        .expect("request");
    assert_eq!(wrong_method.status(), 405);
}

#[tokio::test]
async fn the_counter_says_which_replica_answered() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(format!("{}/api/count", app.base_url))
        .send()
        .await
        .expect("GET /api/count");
    let served_by = response.headers()["x-served-by"]
        .to_str()
        .expect("ASCII")
        .to_string();
    let expected = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty() && h.len() <= 64)
        .unwrap_or_else(|| "-".to_string());
    assert_eq!(served_by, expected);
}
