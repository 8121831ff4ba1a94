//! `/wxcomponent/openapi.json`: public, and in step with the routes: every
//! operation it lists is routed (answered by a handler, not actix's empty
//! 404), and the routes the console and business services use are in it.

use crate::support::TestApp;
use reqwest::Method;
use serde_json::Value;

/// The document as the app serves it, without credentials.
async fn document(app: &TestApp) -> Value {
    let answer = app
        .client
        .get(app.url("/wxcomponent/openapi.json"))
        .send()
        .await
        .expect("openapi.json answers");
    assert_eq!(answer.status(), 200);
    answer.json().await.expect("openapi.json is JSON")
}

/// Every (method, path) of the document.
fn operations(doc: &Value) -> Vec<(String, String)> {
    let paths = doc["paths"].as_object().expect("paths is an object");
    let mut ops = Vec::new();
    for (path, item) in paths {
        for method in item.as_object().expect("a path item is an object").keys() {
            ops.push((method.to_ascii_uppercase(), path.clone()));
        }
    }
    ops
}

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")),
        "{}",
        doc["openapi"]
    );
    let ops = operations(&doc);
    assert!(ops.len() >= 90, "only {} operations", ops.len());
    for (method, path) in &ops {
        assert!(
            !path.contains('{'),
            "{path}: admin paths have no parameters"
        );
        let method = Method::from_bytes(method.as_bytes()).expect("an HTTP method");
        let answer = app
            .client
            .request(method.clone(), app.url(path))
            .send()
            .await
            .expect("the route answers");
        let status = answer.status().as_u16();
        let body = answer.bytes().await.expect("a body");
        assert!(
            !(status == 404 && body.is_empty()) && status != 405,
            "{method} {path}: not routed ({status})"
        );
        // Every answer but the document itself is the envelope.
        if path != "/wxcomponent/openapi.json" {
            let value: Value = serde_json::from_slice(&body)
                .unwrap_or_else(|e| panic!("{method} {path}: not JSON ({e})"));
            assert!(value["code"].is_i64(), "{method} {path}: {value}");
        }
    }
    // The reverse: an undocumented path under the API is actix's 404.
    let answer = app
        .client
        .get(app.url("/wxcomponent/admin/no-such-route"))
        .send()
        .await
        .expect("answers");
    assert_eq!(answer.status(), 404);
}

#[tokio::test]
async fn the_document_names_the_known_routes_with_their_security() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    let ops = operations(&doc);
    for (method, path) in [
        ("PUT", "/wxcomponent/auth"),
        ("GET", "/wxcomponent/admin/overview"),
        ("GET", "/wxcomponent/admin/authorizer-list"),
        ("PUT", "/wxcomponent/admin/callback-proxy-rule"),
        ("DELETE", "/wxcomponent/admin/proxy-route"),
        ("POST", "/wxcomponent/admin/campaign-retry"),
        ("GET", "/wxcomponent/authpage/authorization-links"),
        ("GET", "/inner/authorizer-access-token"),
        ("POST", "/inner/token-rejected"),
        ("GET", "/inner/routes"),
    ] {
        assert!(
            ops.contains(&(method.to_string(), path.to_string())),
            "{method} {path} missing"
        );
    }
    let paths = &doc["paths"];
    assert_eq!(
        paths["/inner/ticket"]["get"]["security"][0]["innerToken"],
        serde_json::json!([])
    );
    assert_eq!(paths["/inner/ticket"]["get"]["tags"][0], "inner");
    assert_eq!(
        paths["/wxcomponent/admin/ticket"]["get"]["security"][0]["consoleJwt"],
        serde_json::json!([])
    );
    assert!(paths["/wxcomponent/auth"]["put"]["security"].is_null());
    // The console's pages, files and the health probe are not API operations.
    assert!(paths["/"].is_null() && paths["/healthz"].is_null());
    assert!(paths["/wxcomponent/console"].is_null());
    // The login body's schema comes from the type the handler decodes.
    let login = &doc["components"]["schemas"]["LoginBody"];
    assert_eq!(
        login["required"],
        serde_json::json!(["username", "password"])
    );
}
