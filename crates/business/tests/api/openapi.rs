//! `/api/openapi.json`: public, and in step with the routes: every operation
//! it lists is routed (answered by a handler, not actix's empty 404), and
//! the routes the templates document are in it.

use crate::support::TestApp;
use reqwest::Method;
use serde_json::Value;

async fn document(app: &TestApp) -> Value {
    let answer = app
        .client
        .get(format!("{}/api/openapi.json", app.base_url))
        .send()
        .await
        .expect("openapi.json answers");
    assert_eq!(answer.status(), 200);
    answer.json().await.expect("openapi.json is JSON")
}

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    let paths = doc["paths"].as_object().expect("paths is an object");
    let mut count = 0;
    for (path, item) in paths {
        // Path parameters get a value of their type.
        let concrete = path.replace("{appid}", "wxappid").replace("{id}", "1");
        for method in item.as_object().expect("a path item").keys() {
            count += 1;
            let method =
                Method::from_bytes(method.to_ascii_uppercase().as_bytes()).expect("an HTTP method");
            let answer = app
                .client
                .request(method.clone(), format!("{}{concrete}", app.base_url))
                .send()
                .await
                .expect("the route answers");
            let status = answer.status().as_u16();
            let body = answer.bytes().await.expect("a body");
            assert!(
                !(status == 404 && body.is_empty()) && status != 405,
                "{method} {path}: not routed ({status})"
            );
        }
    }
    assert!(count >= 20, "only {count} operations");
    let answer = app
        .client
        .get(format!("{}/api/no-such-route", app.base_url))
        .send()
        .await
        .expect("answers");
    assert_eq!(answer.status(), 404);
}

#[tokio::test]
async fn the_document_names_the_known_routes() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    let paths = &doc["paths"];
    for (method, path) in [
        ("get", "/api/count"),
        ("post", "/api/count"),
        ("get", "/api/login"),
        ("get", "/api/me"),
        ("post", "/api/bind"),
        ("post", "/api/wx/message/{appid}"),
        ("delete", "/api/autoreply/{id}"),
        ("put", "/api/v0.1/cgi-bin/user/remark"),
    ] {
        assert!(paths[path][method].is_object(), "{method} {path} missing");
    }
    assert_eq!(
        paths["/api/autoreply"]["get"]["security"][0]["operatorToken"],
        serde_json::json!([])
    );
    assert!(paths["/healthz"].is_null());
}

#[tokio::test]
async fn the_counter_keeps_its_served_by_header_through_the_table() {
    let app = TestApp::spawn().await;
    let answer = app
        .client
        .get(format!("{}/api/count", app.base_url))
        .send()
        .await
        .expect("answers");
    assert!(answer.headers().contains_key("x-served-by"));
}
