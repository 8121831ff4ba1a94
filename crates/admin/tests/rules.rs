//! Message-forward rules: wxcomponent's CRUD format, duplicates, validation
//! and the test push.

mod support;

use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use common::db::schema::wxcallback_rules;
use diesel::prelude::*;
use serde_json::{json, Value};
use support::TestApp;

fn rule(info_type: &str, msg_type: &str, event: &str, port: u16) -> Value {
    json!({
        "name": "rule",
        "infoType": info_type,
        "msgType": msg_type,
        "event": event,
        "open": 1,
        "data": {"port": port, "path": "/forward/$APPID$"},
    })
}

#[tokio::test]
async fn rules_are_added_listed_by_type_updated_and_deleted() {
    let app = TestApp::spawn().await;
    let jwt = app.login().await;
    for body in [
        rule("authorized", "", "", 8081),
        rule("", "text", "", 8082),
        rule("", "event", "subscribe", 8083),
    ] {
        let answer = app
            .put("/wxcomponent/admin/callback-proxy-rule", &jwt, body)
            .await;
        assert_eq!(answer["code"], 0, "{answer}");
    }
    let all = app
        .get(
            "/wxcomponent/admin/callback-proxy-rule-list?offset=0&limit=999",
            &jwt,
        )
        .await;
    assert_eq!(all["data"]["total"], 3, "{all}");
    let component = app
        .get(
            "/wxcomponent/admin/callback-proxy-rule-list?type=1&offset=0&limit=999",
            &jwt,
        )
        .await;
    assert_eq!(component["data"]["total"], 1);
    let first = &component["data"]["rules"][0];
    assert_eq!(first["infoType"], "authorized");
    assert_eq!(first["open"], 1);
    assert_eq!(
        first["data"],
        json!({"port": 8081, "path": "/forward/$APPID$"})
    );
    assert!(first["createTime"].as_i64().unwrap() > 1_600_000_000);
    let biz = app
        .get("/wxcomponent/admin/callback-proxy-rule-list?type=2", &jwt)
        .await;
    assert_eq!(biz["data"]["total"], 2);

    // The console toggles `open` by posting the whole row back (with its
    // createTime/updateTime in milliseconds after its own formatting).
    let mut row = biz["data"]["rules"][0].clone();
    row["open"] = json!(0);
    row["createTime"] = json!(1_700_000_000_000_i64);
    let answer = app
        .post("/wxcomponent/admin/callback-proxy-rule", &jwt, row.clone())
        .await;
    assert_eq!(answer["code"], 0, "{answer}");
    let biz = app
        .get("/wxcomponent/admin/callback-proxy-rule-list?type=2", &jwt)
        .await;
    let updated = biz["data"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == row["id"])
        .unwrap()
        .clone();
    assert_eq!(updated["open"], 0);

    let id = row["id"].as_i64().unwrap();
    let answer = app
        .delete(
            &format!("/wxcomponent/admin/callback-proxy-rule?id={id}"),
            &jwt,
        )
        .await;
    assert_eq!(answer["code"], 0);
    let all = app
        .get("/wxcomponent/admin/callback-proxy-rule-list", &jwt)
        .await;
    assert_eq!(all["data"]["total"], 2);
}

#[tokio::test]
async fn a_second_rule_for_the_same_event_is_1001_with_a_clear_message() {
    let app = TestApp::spawn().await;
    let jwt = app.login().await;
    let answer = app
        .put(
            "/wxcomponent/admin/callback-proxy-rule",
            &jwt,
            rule("", "event", "CLICK", 9000),
        )
        .await;
    assert_eq!(answer["code"], 0);
    let answer = app
        .put(
            "/wxcomponent/admin/callback-proxy-rule",
            &jwt,
            rule("", "event", "CLICK", 9001),
        )
        .await;
    assert_eq!(answer["code"], 1001, "{answer}");
    let message = answer["errorMsg"].as_str().unwrap();
    assert!(
        message.contains("该事件已存在转发规则") && message.contains("CLICK"),
        "{message}"
    );

    // Updating another rule into the same slot is refused the same way.
    app.put(
        "/wxcomponent/admin/callback-proxy-rule",
        &jwt,
        rule("", "text", "", 9002),
    )
    .await;
    let list = app
        .get("/wxcomponent/admin/callback-proxy-rule-list?type=2", &jwt)
        .await;
    let text = list["data"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["msgType"] == "text")
        .unwrap()
        .clone();
    let mut clash = rule("", "event", "CLICK", 9002);
    clash["id"] = text["id"].clone();
    let answer = app
        .post("/wxcomponent/admin/callback-proxy-rule", &jwt, clash)
        .await;
    assert_eq!(answer["code"], 1001, "{answer}");
    let count: i64 = app
        .db()
        .run(|conn| Ok(wxcallback_rules::table.count().get_result(conn)?))
        .await
        .unwrap();
    assert_eq!(count, 2, "nothing half-written");
}

/// The body wxcomponent's add-rule form sends (`forwardMessage/index.tsx`):
/// its form fields, `data` with `+port`, and `open: 1`.
fn console_form(info_type: &str, path: &str, port: Value) -> Value {
    json!({
        "name": "ticket",
        "infoType": info_type,
        "path": path,
        "port": port.to_string(),
        "data": {"port": port, "path": path},
        "open": 1,
    })
}

#[tokio::test]
async fn the_add_rule_form_gets_1001_only_for_a_duplicate_and_the_reason_otherwise() {
    // The console prints "该事件已存在转发规则" for every 1001 on this form,
    // so an invalid field must not be 1001: it is 1002, the reason in `data`.
    let app = TestApp::spawn().await;
    let jwt = app.login().await;
    for (body, field) in [
        (
            console_form("authorized", "/ticket", json!(70000)),
            "data.port",
        ),
        (console_form("authorized", "/ticket", json!(0)), "data.port"),
        (
            console_form("authorized", "/ticket", json!(80.5)),
            "data.port",
        ),
        (
            console_form("authorized", "ticket", json!(8081)),
            "data.path",
        ),
        (
            console_form("authorized", "/my ticket", json!(8081)),
            "data.path",
        ),
        (
            console_form(&"x".repeat(65), "/ticket", json!(8081)),
            "infoType",
        ),
    ] {
        let answer = app
            .put("/wxcomponent/admin/callback-proxy-rule", &jwt, body.clone())
            .await;
        assert_eq!(answer["code"], 1002, "{body}: {answer}");
        let data = answer["data"].as_str().expect("the reason in data");
        assert!(data.starts_with(field), "{body}: {answer}");
        assert!(!data.contains("该事件已存在转发规则"), "{body}: {answer}");
    }
    let answer = app
        .put(
            "/wxcomponent/admin/callback-proxy-rule",
            &jwt,
            console_form("authorized", "/ticket", json!(8081)),
        )
        .await;
    assert_eq!(answer["code"], 0, "{answer}");
    let answer = app
        .put(
            "/wxcomponent/admin/callback-proxy-rule",
            &jwt,
            console_form("authorized", "/other", json!(8082)),
        )
        .await;
    assert_eq!(
        answer["code"], 1001,
        "the duplicate the console means: {answer}"
    );
}

#[tokio::test]
async fn malformed_rules_are_1002_naming_the_field_in_data() {
    let app = TestApp::spawn().await;
    let jwt = app.login().await;
    let cases = [
        (rule("", "", "", 9000), "infoType"),
        (rule("authorized", "text", "", 9000), "infoType"),
        (rule("", "text", "", 0), "data.port"),
        (
            rule("", "text", "", 9000).tap(|r| r["data"]["port"] = json!(70000)),
            "data.port",
        ),
        (
            rule("", "text", "", 9000).tap(|r| r["data"]["path"] = json!("no-slash")),
            "data.path",
        ),
        (
            rule("", "text", "", 9000).tap(|r| r["data"]["port"] = json!("80")),
            "data.port",
        ),
        (json!({"msgType": "text"}), "data"),
        (
            rule("", "text", "", 9000).tap(|r| r["open"] = json!("yes")),
            "open",
        ),
        (rule("", &"x".repeat(65), "", 9000), "msgType"),
        (
            rule("", "text", "", 0).tap(|r| r["data"]["url"] = json!("ftp://host")),
            "data.url",
        ),
        (
            rule("", "text", "", 0).tap(|r| r["data"]["url"] = json!("http://host/hook")),
            "data.url",
        ),
        (
            rule("", "text", "", 0).tap(|r| r["data"]["url"] = json!("http://u:p@host")),
            "data.url",
        ),
        (
            rule("", "text", "", 0).tap(|r| r["data"]["url"] = json!("not a url")),
            "data.url",
        ),
        (
            rule("", "text", "", 9000).tap(|r| r["data"]["format"] = json!("yaml")),
            "data.format",
        ),
    ];
    for (body, field) in cases {
        let answer = app
            .put("/wxcomponent/admin/callback-proxy-rule", &jwt, body.clone())
            .await;
        assert_eq!(answer["code"], 1002, "{body}: {answer}");
        assert!(
            answer["data"].as_str().unwrap().contains(field),
            "{body}: {answer}"
        );
    }
    // Update and delete: the console prints `data` for 1002 there too.
    let answer = app
        .post(
            "/wxcomponent/admin/callback-proxy-rule",
            &jwt,
            rule("", "text", "", 9000),
        )
        .await;
    assert_eq!(answer["code"], 1002, "an update needs an id: {answer}");
    assert!(answer["data"].as_str().unwrap().starts_with("id"));
    let mut unknown = rule("", "text", "", 9000);
    unknown["id"] = json!(999);
    let answer = app
        .post("/wxcomponent/admin/callback-proxy-rule", &jwt, unknown)
        .await;
    assert_eq!(answer["code"], 1002);
    assert!(answer["data"].as_str().unwrap().contains("999"));
    let mut bad_port = rule("", "text", "", 0);
    bad_port["id"] = json!(1);
    let answer = app
        .post("/wxcomponent/admin/callback-proxy-rule", &jwt, bad_port)
        .await;
    assert_eq!(answer["code"], 1002);
    assert!(answer["data"].as_str().unwrap().starts_with("data.port"));
    for query in ["", "?id=", "?id=abc", "?id=-3"] {
        let answer = app
            .delete(
                &format!("/wxcomponent/admin/callback-proxy-rule{query}"),
                &jwt,
            )
            .await;
        assert_eq!(answer["code"], 1002, "{query}: {answer}");
        assert!(
            answer["data"].as_str().unwrap().starts_with("id"),
            "{query}: {answer}"
        );
    }
    for query in ["?type=3", "?limit=0", "?offset=x"] {
        let answer = app
            .get(
                &format!("/wxcomponent/admin/callback-proxy-rule-list{query}"),
                &jwt,
            )
            .await;
        assert_eq!(answer["code"], 1001, "{query}: {answer}");
    }
}

trait Tap {
    fn tap(self, f: impl FnOnce(&mut Self)) -> Self;
}

impl Tap for Value {
    fn tap(mut self, f: impl FnOnce(&mut Self)) -> Self {
        f(&mut self);
        self
    }
}

/// A forward target on port 0 that records what it receives.
async fn start_target(answer: &'static str) -> (u16, Arc<Mutex<Vec<(String, Value)>>>) {
    let seen: Arc<Mutex<Vec<(String, Value)>>> = Arc::default();
    let recorded = Arc::clone(&seen);
    let listener = TcpListener::bind("127.0.0.1:0").expect("test set-up");
    let port = listener.local_addr().expect("test set-up").port();
    let server = HttpServer::new(move || {
        let recorded = Arc::clone(&recorded);
        App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
            let recorded = Arc::clone(&recorded);
            async move {
                let value = serde_json::from_slice(&body)
                    .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
                recorded
                    .lock()
                    .expect("test set-up")
                    .push((req.path().to_string(), value));
                HttpResponse::Ok().body(answer)
            }
        }))
    })
    .workers(1)
    .listen(listener)
    .expect("test set-up")
    .run();
    tokio::spawn(server);
    (port, seen)
}

#[tokio::test]
async fn the_test_push_reaches_the_target_and_its_answer_is_returned() {
    let app = TestApp::spawn().await;
    let jwt = app.login().await;
    let (port, seen) = start_target("forwarded-ok").await;
    app.put(
        "/wxcomponent/admin/callback-proxy-rule",
        &jwt,
        rule("", "event", "subscribe", port),
    )
    .await;
    app.put(
        "/wxcomponent/admin/callback-proxy-rule",
        &jwt,
        rule("authorized", "", "", port),
    )
    .await;
    let list = app
        .get("/wxcomponent/admin/callback-proxy-rule-list", &jwt)
        .await;
    for rule in list["data"]["rules"].as_array().unwrap() {
        let answer = app
            .post(
                "/wxcomponent/admin/callback-test",
                &jwt,
                json!({"id": rule["id"]}),
            )
            .await;
        assert_eq!(
            answer,
            json!({"code": 0, "errorMsg": "OK", "data": "forwarded-ok"})
        );
    }
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].0, "/forward/wxtestappid");
    assert_eq!(seen[0].1["MsgType"], "event");
    assert_eq!(seen[0].1["Event"], "subscribe");
    assert_eq!(seen[1].1["InfoType"], "authorized");
}

#[tokio::test]
async fn test_pushes_to_closed_or_unreachable_rules_fail_clearly() {
    let app = TestApp::spawn().await;
    let jwt = app.login().await;
    // Nothing listens on this port.
    let closed_port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    app.put(
        "/wxcomponent/admin/callback-proxy-rule",
        &jwt,
        rule("", "text", "", closed_port),
    )
    .await;
    let mut off = rule("", "image", "", closed_port);
    off["open"] = json!(0);
    app.put("/wxcomponent/admin/callback-proxy-rule", &jwt, off)
        .await;
    let list = app
        .get("/wxcomponent/admin/callback-proxy-rule-list", &jwt)
        .await;
    let id_of = |msg_type: &str| {
        list["data"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["msgType"] == msg_type)
            .unwrap()["id"]
            .clone()
    };
    let answer = app
        .post(
            "/wxcomponent/admin/callback-test",
            &jwt,
            json!({"id": id_of("text")}),
        )
        .await;
    assert_eq!(answer["code"], 1010, "{answer}");
    assert!(answer["data"]
        .as_str()
        .unwrap()
        .contains("POST http://127.0.0.1"));
    let answer = app
        .post(
            "/wxcomponent/admin/callback-test",
            &jwt,
            json!({"id": id_of("image")}),
        )
        .await;
    assert_eq!(answer["code"], 1008, "{answer}");
    let answer = app
        .post(
            "/wxcomponent/admin/callback-test",
            &jwt,
            json!({"id": 424242}),
        )
        .await;
    assert_eq!(answer["code"], 1001);
    let answer = app
        .post("/wxcomponent/admin/callback-test", &jwt, json!({}))
        .await;
    assert_eq!(answer["code"], 1001);
    assert!(answer["errorMsg"].as_str().unwrap().contains("id"));
}

#[tokio::test]
async fn a_rule_with_an_absolute_url_and_xml_format_is_kept_and_tested_as_xml() {
    let app = TestApp::spawn().await;
    let jwt = app.login().await;
    let (port, seen) = start_target("xml-ok").await;
    let mut body = rule("", "text", "", 0);
    body["data"] = json!({
        "url": format!("http://127.0.0.1:{port}/"),
        "path": "/hook/$APPID$",
        "format": "xml",
    });
    let answer = app
        .put("/wxcomponent/admin/callback-proxy-rule", &jwt, body)
        .await;
    assert_eq!(answer["code"], 0, "{answer}");
    let list = app
        .get("/wxcomponent/admin/callback-proxy-rule-list", &jwt)
        .await;
    let stored = &list["data"]["rules"][0];
    assert_eq!(
        stored["data"],
        json!({"port": 0, "path": "/hook/$APPID$",
               "url": format!("http://127.0.0.1:{port}"), "format": "xml"})
    );
    let answer = app
        .post(
            "/wxcomponent/admin/callback-test",
            &jwt,
            json!({"id": stored["id"]}),
        )
        .await;
    assert_eq!(answer["data"], "xml-ok", "{answer}");
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].0, "/hook/wxtestappid");
    let sent = seen[0].1.as_str().expect("an XML body, not JSON");
    let fields = common::message::RawFields::parse(sent).expect("well-formed XML");
    assert!(sent.starts_with("<xml>"), "{sent}");
    assert_eq!(fields.get_str("MsgType").as_deref(), Some("text"));
    assert_eq!(
        fields.get_str("ToUserName").as_deref(),
        Some("TestUserName1")
    );

    // Back to wxcomponent's own form: the url and format go.
    let mut plain = rule("", "text", "", port);
    plain["id"] = stored["id"].clone();
    let answer = app
        .post("/wxcomponent/admin/callback-proxy-rule", &jwt, plain)
        .await;
    assert_eq!(answer["code"], 0, "{answer}");
    let list = app
        .get("/wxcomponent/admin/callback-proxy-rule-list", &jwt)
        .await;
    assert_eq!(
        list["data"]["rules"][0]["data"],
        json!({"port": port, "path": "/forward/$APPID$"})
    );
}
