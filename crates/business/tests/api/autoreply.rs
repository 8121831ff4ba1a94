//! Forwarded messages get keyword auto-replies, in the format they came in;
//! operators manage the rules with their token.

use std::sync::Arc;

use crate::support::TestApp;
use common::db::testing::TestDatabase;
use serde_json::{json, Value};

const TOKEN: &str = "operator-token-for-tests";
const APPID: &str = "wxautoreply0000001";

async fn app() -> TestApp {
    TestApp::spawn_with(
        Arc::new(TestDatabase::new()),
        &[
            ("WXC__BUSINESS__API_TOKEN", TOKEN.to_string()),
            ("WXC__BUSINESS__WELCOME_MESSAGE", "欢迎关注！".to_string()),
        ],
    )
    .await
}

async fn add_rule(app: &TestApp, rule: Value) -> (u16, Value) {
    let response = app
        .client
        .post(format!("{}/api/autoreply", app.base_url))
        .bearer_auth(TOKEN)
        .json(&rule)
        .send()
        .await
        .expect("post rule");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

async fn forward(app: &TestApp, body: String, content_type: &str) -> (u16, String) {
    let response = app
        .client
        .post(format!("{}/api/wx/message/{APPID}", app.base_url))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("forward");
    (
        response.status().as_u16(),
        response.text().await.expect("body"),
    )
}

fn text_json(content: &str) -> String {
    json!({"ToUserName": "gh_acc", "FromUserName": "oUser1", "CreateTime": 1700000000, "MsgType": "text", "Content": content, "MsgId": 42}).to_string()
}

#[tokio::test]
async fn exact_keywords_win_over_contains_and_replies_keep_the_json_format() {
    let app = app().await;
    assert_eq!(add_rule(&app, json!({"keyword": "价格", "match": "contains", "reply": {"type": "text", "content": "contains-reply"}})).await.0, 200);
    assert_eq!(add_rule(&app, json!({"appid": APPID, "keyword": "价格", "match": "exact", "reply": {"type": "text", "content": "exact-reply"}})).await.0, 200);
    let (status, body) = forward(&app, text_json("价格"), "application/json").await;
    assert_eq!(status, 200);
    let reply: Value = serde_json::from_str(&body).expect("JSON reply");
    assert_eq!(reply["Content"], "exact-reply");
    assert_eq!(reply["ToUserName"], "oUser1");
    assert_eq!(reply["FromUserName"], "gh_acc");
    let (_, body) = forward(&app, text_json("请问价格多少"), "application/json").await;
    let reply: Value = serde_json::from_str(&body).expect("JSON reply");
    assert_eq!(reply["Content"], "contains-reply");
}

#[tokio::test]
async fn xml_messages_get_xml_news_replies() {
    let app = app().await;
    let (status, created) = add_rule(
        &app,
        json!({"keyword": "新闻", "match": "contains", "reply": {"type": "news", "articles": [{"title": "标题", "description": "摘要", "picUrl": "https://x/p.png", "url": "https://x/a"}]}}),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let xml = "<xml><ToUserName><![CDATA[gh_acc]]></ToUserName><FromUserName><![CDATA[oUser2]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[今天的新闻]]></Content><MsgId>43</MsgId></xml>";
    let (status, body) = forward(&app, xml.into(), "application/xml").await;
    assert_eq!(status, 200);
    assert!(body.starts_with("<xml>"), "{body}");
    assert!(
        body.contains("<MsgType><![CDATA[news]]></MsgType>") && body.contains("标题"),
        "{body}"
    );
}

#[tokio::test]
async fn a_follow_gets_the_welcome_message_and_other_messages_success() {
    let app = app().await;
    let follow = json!({"ToUserName": "gh_acc", "FromUserName": "oUser3", "CreateTime": 1700000000, "MsgType": "event", "Event": "subscribe", "EventKey": ""}).to_string();
    let (_, body) = forward(&app, follow, "application/json").await;
    let reply: Value = serde_json::from_str(&body).expect("JSON reply");
    assert_eq!(reply["Content"], "欢迎关注！");
    let (status, body) = forward(&app, text_json("no rule matches this"), "application/json").await;
    assert_eq!((status, body.as_str()), (200, "success"));
    let image = json!({"ToUserName": "gh_acc", "FromUserName": "oUser3", "CreateTime": 1700000000, "MsgType": "image", "PicUrl": "u", "MediaId": "m", "MsgId": 44}).to_string();
    assert_eq!(forward(&app, image, "application/json").await.1, "success");
}

#[tokio::test]
async fn malformed_forwards_are_refused() {
    let app = app().await;
    for (body, content_type) in [
        ("", "application/json"),
        ("hello", "text/plain"),
        ("{\"MsgType\":\"text\"}", "application/json"),
        ("<xml><broken>", "application/xml"),
    ] {
        let (status, answer) = forward(&app, body.into(), content_type).await;
        assert_eq!(status, 400, "{body:?} → {answer}");
        let answer: Value = serde_json::from_str(&answer).expect("JSON error");
        assert_eq!(answer["code"], -1);
    }
}

#[tokio::test]
async fn rules_are_validated_listed_and_deleted() {
    let app = app().await;
    for bad in [
        json!({"keyword": "", "match": "exact", "reply": {"type": "text", "content": "x"}}),
        json!({"keyword": "k", "match": "fuzzy", "reply": {"type": "text", "content": "x"}}),
        json!({"keyword": "k", "match": "exact", "reply": {"type": "text", "content": ""}}),
        json!({"keyword": "k", "match": "exact", "reply": {"type": "news", "articles": []}}),
        json!({"keyword": "k"}),
    ] {
        let (status, body) = add_rule(&app, bad.clone()).await;
        assert_eq!(status, 400, "{bad} → {body}");
        assert_eq!(body["code"], -1);
    }
    let (_, created) = add_rule(
        &app,
        json!({"keyword": "k", "match": "exact", "reply": {"type": "text", "content": "x"}}),
    )
    .await;
    let (status, duplicate) = add_rule(
        &app,
        json!({"keyword": "k", "match": "exact", "reply": {"type": "text", "content": "y"}}),
    )
    .await;
    assert_eq!(status, 400, "{duplicate}");
    let id = created["data"]["id"].as_i64().expect("id");
    let list: Value = app
        .client
        .get(format!("{}/api/autoreply", app.base_url))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(list["data"].as_array().map(Vec::len), Some(1));
    let delete = |id: i64| {
        app.client
            .delete(format!("{}/api/autoreply/{id}", app.base_url))
            .bearer_auth(TOKEN)
            .send()
    };
    assert_eq!(delete(id).await.expect("delete").status(), 200);
    assert_eq!(delete(id).await.expect("delete").status(), 404);
}

#[tokio::test]
async fn management_needs_the_operator_token() {
    let app = app().await;
    let anonymous = app
        .client
        .post(format!("{}/api/autoreply", app.base_url))
        .json(&json!({"keyword": "k", "match": "exact", "reply": {"type": "text", "content": "x"}}))
        .send()
        .await
        .expect("post");
    assert_eq!(anonymous.status(), 401);
    let wrong = app
        .client
        .get(format!(
            "{}/api/v0.1/cgi-bin/menu?appid={APPID}",
            app.base_url
        ))
        .bearer_auth("wrong")
        .send()
        .await
        .expect("get");
    assert_eq!(wrong.status(), 401);

    let unconfigured = TestApp::spawn().await;
    let disabled = unconfigured
        .client
        .get(format!("{}/api/autoreply", unconfigured.base_url))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("get");
    assert_eq!(disabled.status(), 403);
}
