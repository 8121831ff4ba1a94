//! Official-account routes check their input before anything reaches WeChat:
//! each failure is a WeChat-style `{"errcode":-1,"errmsg":...}` naming the problem.

use std::sync::Arc;

use crate::support::TestApp;
use common::db::testing::TestDatabase;
use serde_json::{json, Value};

const TOKEN: &str = "operator-token-for-tests";

/// A request: method, path, form fields.
type Case<'a> = (reqwest::Method, &'a str, Vec<(&'a str, &'a str)>);

async fn app() -> TestApp {
    TestApp::spawn_with(
        Arc::new(TestDatabase::new()),
        &[
            ("WXC__BUSINESS__API_TOKEN", TOKEN.to_string()),
            // Nothing listens here: a request that got past validation would
            // fail with 502, so a 400 proves validation came first.
            (
                "WXC__BUSINESS__INNER_API_URL",
                "http://127.0.0.1:9".to_string(),
            ),
        ],
    )
    .await
}

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
    form: Option<&[(&str, &str)]>,
) -> (u16, Value) {
    let mut request = app
        .client
        .request(method, format!("{}{path}", app.base_url))
        .bearer_auth(TOKEN);
    if let Some(body) = body {
        request = request.json(&body);
    }
    if let Some(form) = form {
        request = request.form(form);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

fn button(name: &str) -> Value {
    json!({"type": "click", "name": name, "key": "K"})
}

async fn menu(app: &TestApp, menu: Value) -> (u16, Value) {
    send(
        app,
        reqwest::Method::POST,
        "/api/v0.1/cgi-bin/menu?appid=wxaccount1",
        Some(menu),
        None,
    )
    .await
}

#[tokio::test]
async fn menus_outside_wechats_limits_are_refused_before_calling_wechat() {
    let app = app().await;
    let long_key = "k".repeat(129);
    let long_url = format!("https://x/{}", "u".repeat(1020));
    let cases = vec![
        (json!({}), "button"),
        (json!({"button": []}), "1-3"),
        (
            json!({"button": [button("a"), button("b"), button("c"), button("d")]}),
            "1-3",
        ),
        (json!({"button": [button("一二三四五六")]}), "bytes"),
        (
            json!({"button": [{"name": "m", "sub_button": [button("1"), button("2"), button("3"), button("4"), button("5"), button("6")]}]}),
            "1-5",
        ),
        (json!({"button": [{"type": "click", "name": "a"}]}), "key"),
        (
            json!({"button": [{"type": "click", "name": "a", "key": long_key}]}),
            "key",
        ),
        (json!({"button": [{"type": "view", "name": "a"}]}), "url"),
        (
            json!({"button": [{"type": "view", "name": "a", "url": long_url}]}),
            "url",
        ),
        (
            json!({"button": [{"type": "miniprogram", "name": "a", "url": "https://x", "appid": "wx1"}]}),
            "pagepath",
        ),
        (
            json!({"button": [{"type": "teleport", "name": "a"}]}),
            "type",
        ),
        (
            json!({"button": [{"name": "", "type": "click", "key": "k"}]}),
            "name",
        ),
    ];
    for (body, expected) in cases {
        let (status, answer) = menu(&app, body.clone()).await;
        assert_eq!(status, 400, "{body} → {answer}");
        assert_eq!(answer["errcode"], -1);
        let message = answer["errmsg"].as_str().expect("errmsg");
        assert!(
            message.contains(expected),
            "{body}: {message:?} should mention {expected:?}"
        );
    }
}

#[tokio::test]
async fn menus_at_the_limits_pass_validation() {
    let app = app().await;
    let five_cjk = "一二三四五";
    let subs: Vec<Value> = (0..5).map(|i| button(&format!("s{i}"))).collect();
    let ok = json!({"button": [button(five_cjk), {"name": "more", "sub_button": subs}, {"type": "view", "name": "v", "url": format!("https://x/{}", "u".repeat(1014))}]});
    let (status, answer) = menu(&app, ok).await;
    assert_eq!(
        status, 502,
        "valid menu reaches the token manager (unreachable here): {answer}"
    );
}

#[tokio::test]
async fn tag_and_user_inputs_are_checked() {
    let app = app().await;
    let put = reqwest::Method::PUT;
    let cases: Vec<Case> = vec![
        (
            reqwest::Method::POST,
            "/api/v0.1/cgi-bin/tags?appid=wxaccount1",
            vec![],
        ),
        (
            reqwest::Method::POST,
            "/api/v0.1/cgi-bin/tags?appid=wxaccount1",
            vec![("name", "这是一个非常非常非常长的标签名字超过了三十个字节")],
        ),
        (
            put.clone(),
            "/api/v0.1/cgi-bin/tags?appid=wxaccount1",
            vec![("id", "x"), ("name", "n")],
        ),
        (
            reqwest::Method::DELETE,
            "/api/v0.1/cgi-bin/tags?appid=wxaccount1",
            vec![],
        ),
        (
            put.clone(),
            "/api/v0.1/cgi-bin/user/tags?appid=wxaccount1",
            vec![("tagid", "100")],
        ),
        (
            put.clone(),
            "/api/v0.1/cgi-bin/user/tags?appid=wxaccount1",
            vec![("tagid", "100"), ("openid_list", "bad openid!")],
        ),
        (
            put.clone(),
            "/api/v0.1/cgi-bin/user/remark?appid=wxaccount1",
            vec![("remark", "r")],
        ),
        (
            put.clone(),
            "/api/v0.1/cgi-bin/user/remark?appid=wxaccount1",
            vec![("openid", "oUser"), ("remark", "备注备注备注备注备注备注")],
        ),
        (
            reqwest::Method::POST,
            "/api/v0.1/cgi-bin/tags",
            vec![("name", "n")],
        ),
    ];
    for (method, path, form) in cases {
        let (status, answer) = send(&app, method.clone(), path, None, Some(&form)).await;
        assert_eq!(status, 400, "{method} {path} {form:?} → {answer}");
        assert_eq!(answer["errcode"], -1, "{answer}");
    }
    let many: Vec<String> = (0..51).map(|i| format!("oUser{i}")).collect();
    let list = many.join(",");
    let (status, _) = send(
        &app,
        put,
        "/api/v0.1/cgi-bin/user/tags?appid=wxaccount1",
        None,
        Some(&[("tagid", "100"), ("openid_list", &list)]),
    )
    .await;
    assert_eq!(status, 400, "at most 50 openids");
    let (status, answer) = send(
        &app,
        reqwest::Method::GET,
        "/api/v0.1/cgi-bin/user/tags?appid=wxaccount1",
        None,
        None,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(answer["errmsg"], "参数缺失或参数错误");
}
