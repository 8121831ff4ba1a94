//! Hostile input in every filter and field: SQL meta-characters and values
//! far longer than any column answer a clear refusal (1001, or the forward
//! rules' 1002 with the reason) or an honest empty result, never an internal
//! error, and change nothing stored — on SQLite and on MySQL, whose columns
//! have widths SQLite ignores.

use crate::support::TestApp;
use serde_json::{json, Value};

/// SQL meta-characters in the shapes injections take, and over-long values.
fn payloads() -> Vec<String> {
    vec![
        "' OR '1'='1".into(),
        "wxa' OR 1=1 -- ".into(),
        "1; DROP TABLE user; --".into(),
        "\" OR \"\"=\"".into(),
        "%' OR 1=1 #".into(),
        "\\'; SELECT SLEEP(5); -- ".into(),
        "wxa') UNION SELECT username, password FROM user -- ".into(),
        "%".into(),
        "_".into(),
        "x".repeat(4_000),
        "长".repeat(1_500),
    ]
}

/// What the console shows of stored state: it must read the same after every
/// refused or harmless request.
async fn snapshot(app: &TestApp, jwt: &str) -> Vec<Value> {
    let mut pages = Vec::new();
    for path in [
        "/wxcomponent/admin/wx-component-records?offset=0&limit=20&startTime=0&endTime=4102444800",
        "/wxcomponent/admin/wx-biz-records?offset=0&limit=20&startTime=0&endTime=4102444800",
        "/wxcomponent/admin/callback-proxy-rule-list?type=1",
        "/wxcomponent/admin/callback-proxy-rule-list?type=2",
        "/wxcomponent/admin/proxy-routes",
        "/wxcomponent/admin/authorizer-list?offset=0&limit=20",
        "/wxcomponent/admin/bindings?offset=0&limit=20",
    ] {
        let answer = app.get(path, jwt).await;
        assert_eq!(answer["code"], 0, "{path}: {answer}");
        pages.push(answer["data"].clone());
    }
    pages
}

fn assert_clean_answer(what: &str, answer: &Value) {
    let code = answer["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("{what}: no code: {answer}"));
    let text = answer.to_string();
    assert!(
        !text.contains("internal error"),
        "{what}: an internal error instead of a clear answer: {answer}"
    );
    assert!(
        code == 0 || answer["errorMsg"].as_str().is_some_and(|m| !m.is_empty()),
        "{what}: a refusal without a message: {answer}"
    );
}

#[tokio::test]
async fn every_filter_answers_hostile_values_cleanly_and_matches_nothing() {
    let app = TestApp::spawn().await;
    let jwt = app.login().await;
    crate::records::seed(&app).await;
    app.seed_authorizer("wxa", true).await;
    let before = snapshot(&app, &jwt).await;

    let filters = [
        ("/wxcomponent/admin/wx-component-records?offset=0&limit=20&startTime=0&endTime=4102444800", "infoType"),
        ("/wxcomponent/admin/wx-biz-records?offset=0&limit=20&startTime=0&endTime=4102444800", "appid"),
        ("/wxcomponent/admin/wx-biz-records?offset=0&limit=20&startTime=0&endTime=4102444800", "msgType"),
        ("/wxcomponent/admin/wx-biz-records?offset=0&limit=20&startTime=0&endTime=4102444800", "event"),
        ("/wxcomponent/admin/authorizer-list?offset=0&limit=20", "q"),
        ("/wxcomponent/admin/authorizer-list?offset=0&limit=20", "appType"),
        ("/wxcomponent/admin/bindings?offset=0&limit=20", "bizId"),
        ("/wxcomponent/admin/bindings?offset=0&limit=20", "appid"),
        ("/wxcomponent/admin/callback-proxy-rule-list?type=1", "infoType"),
        ("/wxcomponent/admin/wx-biz-records?startTime=0&endTime=4102444800", "offset"),
        ("/wxcomponent/admin/wx-biz-records?offset=0&startTime=0&endTime=4102444800", "limit"),
        ("/wxcomponent/admin/wx-biz-records?offset=0&limit=20&endTime=4102444800", "startTime"),
        ("/wxcomponent/admin/callback-proxy-rule-list?", "type"),
        ("/wxcomponent/admin/campaigns?offset=0&limit=20", "state"),
    ];
    for (path, param) in filters {
        for payload in payloads() {
            let encoded: String = url_encode(&payload);
            let url = format!("{path}&{param}={encoded}");
            let answer = app.get(&url, &jwt).await;
            let what = format!("{param}={}", payload.chars().take(40).collect::<String>());
            assert_clean_answer(&what, &answer);
            if answer["code"] == 0 {
                let data = &answer["data"];
                let matched = data["total"]
                    .as_i64()
                    .or_else(|| data["records"].as_array().map(|r| r.len() as i64));
                // `%` and `_` are literal characters, not LIKE wildcards.
                if let Some(matched) = matched {
                    assert_eq!(matched, 0, "{what} on {path} matched stored rows: {answer}");
                }
            }
        }
    }
    assert_eq!(snapshot(&app, &jwt).await, before, "stored data changed");
}

#[tokio::test]
async fn every_field_refuses_over_long_and_hostile_values_and_keeps_the_data() {
    let app = TestApp::spawn().await;
    let jwt = app.login().await;
    let rule = json!({"name": "rule", "infoType": "", "msgType": "text", "event": "", "open": 1,
        "data": {"port": 8081, "path": "/forward/$APPID$"}});
    assert_eq!(
        app.put("/wxcomponent/admin/callback-proxy-rule", &jwt, rule.clone())
            .await["code"],
        0
    );
    let route = json!({"prefix": "/api/orders/", "upstream": "business"});
    assert_eq!(
        app.put("/wxcomponent/admin/proxy-route", &jwt, route.clone())
            .await["code"],
        0
    );
    let before = snapshot(&app, &jwt).await;
    let long = "x".repeat(5_000);
    let wide = "长".repeat(600);

    for value in [&long, &wide] {
        for field in ["name", "msgType", "event", "infoType"] {
            let mut body = rule.clone();
            body[field] = json!(value);
            body["msgType"] = if field == "msgType" {
                json!(value)
            } else {
                json!("image")
            };
            let answer = app
                .put("/wxcomponent/admin/callback-proxy-rule", &jwt, body)
                .await;
            assert_clean_answer(&format!("rule {field}"), &answer);
            assert_ne!(
                answer["code"],
                0,
                "rule {field} of {} chars accepted",
                value.chars().count()
            );
        }
        let mut body = rule.clone();
        body["data"]["path"] = json!(format!("/{value}"));
        body["msgType"] = json!("voice");
        let answer = app
            .put("/wxcomponent/admin/callback-proxy-rule", &jwt, body)
            .await;
        assert_clean_answer("rule data.path", &answer);
        assert_ne!(
            answer["code"],
            0,
            "a rule path of {} chars accepted",
            value.chars().count()
        );
        for field in ["prefix", "upstream"] {
            let mut body = json!({"prefix": "/api/other/", "upstream": "business"});
            body[field] = json!(format!("/{value}/"));
            let answer = app.put("/wxcomponent/admin/proxy-route", &jwt, body).await;
            assert_clean_answer(&format!("proxy route {field}"), &answer);
            assert_eq!(answer["code"], 1001, "proxy route {field}: {answer}");
        }
        let answer = app
            .post(
                "/wxcomponent/admin/username",
                &jwt,
                json!({"username": value}),
            )
            .await;
        assert_eq!(answer["code"], 1001, "username: {answer}");
        let (status, answer) = app
            .inner_post(
                "/inner/bindings",
                json!({"bizId": value, "authCode": value}),
            )
            .await;
        assert_eq!(
            (status, answer["code"].clone()),
            (200, json!(1001)),
            "bizId: {answer}"
        );
        let answer = app.login_as(value, value).await;
        assert_clean_answer("login", &answer);
        assert_ne!(answer["code"], 0);
    }
    for payload in payloads() {
        let mut body = rule.clone();
        body["name"] = json!(body_name(&payload));
        body["msgType"] = json!("location");
        let answer = app
            .put("/wxcomponent/admin/callback-proxy-rule", &jwt, body)
            .await;
        assert_clean_answer("rule name with SQL", &answer);
        if answer["code"] == 0 {
            let list = app
                .get("/wxcomponent/admin/callback-proxy-rule-list?type=2", &jwt)
                .await;
            let stored = list["data"]["rules"]
                .as_array()
                .and_then(|rules| rules.iter().find(|r| r["msgType"] == "location"))
                .cloned()
                .unwrap_or_else(|| panic!("the new rule is listed: {list}"));
            assert_eq!(
                stored["name"],
                body_name(&payload).trim(),
                "stored as typed (trimmed)"
            );
            let answer = app
                .delete(
                    &format!("/wxcomponent/admin/callback-proxy-rule?id={}", stored["id"]),
                    &jwt,
                )
                .await;
            assert_eq!(answer["code"], 0, "{answer}");
        }
    }
    assert_eq!(snapshot(&app, &jwt).await, before, "stored data changed");
    assert_eq!(
        app.login_as("admin", crate::support::PASSWORD).await["code"],
        0
    );
}

/// Percent-encodes every byte outside the unreserved set.
fn url_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The first 60 characters: a rule name the rules accept in length.
fn body_name(payload: &str) -> String {
    payload.chars().take(60).collect()
}
