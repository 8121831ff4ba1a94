//! Message-forward rules: wxcomponent's CRUD format, duplicates, validation
//! and the test push.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use crate::support::TestApp;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use common::db::schema::wxcallback_rules;
use diesel::prelude::*;
use serde_json::{json, Value};

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

/// What a forward target received.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    content_type: Option<String>,
    appid: Option<String>,
    /// The body as JSON, or as text when it is not JSON.
    body: Value,
}

type Received = Arc<Mutex<Vec<Seen>>>;

/// A forward target on port 0 that records what it receives.
async fn start_target(answer: &'static str) -> (u16, Received) {
    let seen: Received = Arc::default();
    let recorded = Arc::clone(&seen);
    let listener = TcpListener::bind("127.0.0.1:0").expect("test set-up");
    let port = listener.local_addr().expect("test set-up").port();
    let server = HttpServer::new(move || {
        let recorded = Arc::clone(&recorded);
        App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
            let recorded = Arc::clone(&recorded);
            async move {
                let header = |name: &str| {
                    req.headers()
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string)
                };
                let body = serde_json::from_slice(&body)
                    .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
                recorded.lock().expect("test set-up").push(Seen {
                    path: req.path().to_string(),
                    content_type: header("content-type"),
                    appid: header("x-wx-appid"),
                    body,
                });
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
    assert_eq!(seen[0].path, "/forward/wxtestappid");
    assert_eq!(seen[0].body["MsgType"], "event");
    assert_eq!(seen[0].body["Event"], "subscribe");
    assert_eq!(seen[1].body["InfoType"], "authorized");
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

/// Adds `body` as the only rule; answers it as the console lists it.
async fn add_only_rule(app: &TestApp, jwt: &str, body: Value) -> Value {
    let answer = app
        .put("/wxcomponent/admin/callback-proxy-rule", jwt, body)
        .await;
    assert_eq!(answer["code"], 0, "{answer}");
    let list = app
        .get("/wxcomponent/admin/callback-proxy-rule-list", jwt)
        .await;
    assert_eq!(list["data"]["total"], 1, "{list}");
    list["data"]["rules"][0].clone()
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
    let stored = &add_only_rule(&app, &jwt, body).await;
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
    assert_eq!(seen[0].path, "/hook/wxtestappid");
    let sent = seen[0].body.as_str().expect("an XML body, not JSON");
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

/// The authorizer whose messages the callback receiver forwards below.
const BIZ_APPID: &str = "wxbizaccount000001";

/// A real callback receiver on port 0 sharing the admin's database and
/// WeChat settings: it forwards by the rules the admin stored.
struct Receiver {
    url: String,
    crypt: common::crypto::WxCrypt,
    client: reqwest::Client,
}

impl Receiver {
    async fn start(app: &TestApp) -> Self {
        let sim = &app.sim.settings;
        let mut env = app.env.clone();
        for (key, value) in [
            ("WXC__CALLBACK__HOST", "127.0.0.1".to_string()),
            ("WXC__CALLBACK__PORT", "0".to_string()),
            ("WXC__WECHAT__TOKEN", sim.token.clone()),
            (
                "WXC__WECHAT__ENCODING_AES_KEY",
                sim.encoding_aes_key.clone(),
            ),
        ] {
            env.insert(key.to_string(), value);
        }
        let settings = common::config::Settings::load_from(&env).expect("callback settings");
        let receiver = callback::Application::build(settings)
            .await
            .expect("callback receiver starts");
        let url = format!("http://{}", receiver.address());
        tokio::spawn(receiver.run_until_stopped());
        let crypt =
            common::crypto::WxCrypt::new(&sim.token, &sim.encoding_aes_key, &sim.component_appid)
                .expect("crypt");
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        Self { url, crypt, client }
    }

    /// Pushes a text message to `BIZ_APPID`'s message URL as WeChat does
    /// (encrypted, signed); answers the HTTP status.
    async fn push_text(&self, content: &str, msg_id: u64) -> u16 {
        let now = chrono::Utc::now().timestamp();
        let plaintext = format!(
            "<xml><ToUserName><![CDATA[gh_biz]]></ToUserName><FromUserName><![CDATA[user1]]></FromUserName><CreateTime>{now}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
        );
        let (timestamp, nonce) = (now.to_string(), msg_id.to_string());
        let encrypt = self.crypt.encrypt(&plaintext);
        let signature = self.crypt.url_signature(&timestamp, &nonce);
        let msg_signature = self.crypt.msg_signature(&timestamp, &nonce, &encrypt);
        let response = self
            .client
            .post(format!(
                "{}/wxcallback/biz/{BIZ_APPID}?signature={signature}&timestamp={timestamp}&nonce={nonce}&encrypt_type=aes&msg_signature={msg_signature}",
                self.url
            ))
            .body(format!(
                "<xml><ToUserName><![CDATA[gh_biz]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
            ))
            .send()
            .await
            .expect("callback answers");
        response.status().as_u16()
    }
}

/// `$APPID$` is replaced in `data.path` only, as in wxcomponent (the path is
/// the only place its console and its forwarder know it). A target with it
/// anywhere else was saved by the admin and then sent to one URL by the test
/// button and to another by the callback receiver; now the admin refuses it
/// on save, and a row holding one anyway is refused alike by the test button
/// and ignored by the receiver.
#[tokio::test]
async fn appid_outside_the_path_is_refused_alike_by_the_admin_and_the_callback() {
    let app = TestApp::spawn().await;
    let jwt = app.login().await;
    let receiver = Receiver::start(&app).await;
    let (port, seen) = start_target("forwarded").await;

    // A row another writer left (a hand-made rule, an older version).
    let info = json!({"url": format!("http://127.0.0.1:{port}/to/$APPID$"), "path": "/hook"});
    let info = info.to_string();
    let id: i32 = app
        .db()
        .run(move |conn| {
            diesel::insert_into(wxcallback_rules::table)
                .values((
                    wxcallback_rules::name.eq("appid in the url"),
                    wxcallback_rules::msgtype.eq("text"),
                    wxcallback_rules::rule_type.eq(1),
                    wxcallback_rules::open.eq(1),
                    wxcallback_rules::info.eq(&info),
                ))
                .execute(conn)?;
            Ok(wxcallback_rules::table
                .select(wxcallback_rules::id)
                .first(conn)?)
        })
        .await
        .expect("rule row");
    let tested = app
        .post("/wxcomponent/admin/callback-test", &jwt, json!({"id": id}))
        .await;
    let pushed = receiver.push_text("hello", 1).await;
    let paths: Vec<String> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|s| s.path.clone())
        .collect();
    assert!(
        paths.is_empty(),
        "neither the test button nor the receiver may send to such a target; \
         they sent to {paths:?} (test button answered {tested})"
    );
    assert_eq!(tested["code"], 1008, "{tested}");
    assert!(
        tested["data"].as_str().unwrap().contains("data.url"),
        "{tested}"
    );
    assert_eq!(pushed, 200, "the push itself is still acknowledged");

    // Saving such a target is refused with the reason, wherever `$APPID$` is.
    for url in [
        format!("http://$APPID$.example.com:{port}"),
        format!("http://127.0.0.1:{port}/to/$APPID$"),
        format!("http://127.0.0.1:{port}?appid=$APPID$"),
    ] {
        let mut body = rule("", "image", "", 0);
        body["data"] = json!({"url": url, "path": "/hook"});
        let answer = app
            .put("/wxcomponent/admin/callback-proxy-rule", &jwt, body)
            .await;
        assert_eq!(answer["code"], 1002, "{url}: {answer}");
        assert!(
            answer["data"].as_str().unwrap().starts_with("data.url"),
            "{url}: {answer}"
        );
    }
}

/// A rule for text messages to `http://127.0.0.1:{port}{path}` in `format`.
fn text_rule_to(port: u16, path: &str, format: &str) -> Value {
    let mut body = rule("", "text", "", 0);
    body["data"] = json!({
        "url": format!("http://127.0.0.1:{port}"),
        "path": path,
        "format": format,
    });
    body
}

/// Saves `body` as rule `id` through the console's edit form.
async fn edit_rule(app: &TestApp, jwt: &str, id: &Value, mut body: Value) {
    body["id"] = id.clone();
    let answer = app
        .post("/wxcomponent/admin/callback-proxy-rule", jwt, body)
        .await;
    assert_eq!(answer["code"], 0, "{answer}");
}

/// The test button sends with the receiver's own sender: the same URL
/// building, body encoding and headers, for both body formats.
#[tokio::test]
async fn the_test_button_sends_as_the_callback_receiver_forwards() {
    let app = TestApp::spawn().await;
    let jwt = app.login().await;
    let receiver = Receiver::start(&app).await;
    let (port, seen) = start_target("success").await;
    let target = |format: &str| text_rule_to(port, "/hook/$APPID$", format);
    let id = add_only_rule(&app, &jwt, target("json")).await["id"].clone();
    for (msg_id, format) in [(1, "json"), (2, "xml")] {
        // The same rule edited each time, likely within the second the
        // receiver loaded it: it must see the edit all the same.
        edit_rule(&app, &jwt, &id, target(format)).await;
        seen.lock().unwrap().clear();
        let tested = app
            .post("/wxcomponent/admin/callback-test", &jwt, json!({"id": id}))
            .await;
        assert_eq!(tested["code"], 0, "{tested}");
        assert_eq!(receiver.push_text("hi", msg_id).await, 200);
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 2, "{format}: {seen:?}");
        let (test, real) = (&seen[0], &seen[1]);
        assert_eq!(test.path, "/hook/wxtestappid", "{format}");
        assert_eq!(real.path, format!("/hook/{BIZ_APPID}"), "{format}");
        assert_eq!(
            test.appid.as_deref(),
            Some("wxtestappid"),
            "{format}: {test:?}"
        );
        assert_eq!(real.appid.as_deref(), Some(BIZ_APPID), "{format}: {real:?}");
        assert_eq!(test.content_type, real.content_type, "{format}");
        assert_eq!(test.body.is_object(), real.body.is_object(), "{format}");
        let fields = |seen: &Seen| match &seen.body {
            Value::String(xml) => common::message::RawFields::parse(xml).expect("XML body"),
            Value::Object(map) => common::message::RawFields::from(map.clone()),
            other => panic!("{format}: unexpected body {other}"),
        };
        assert_eq!(fields(test).get_str("MsgType").as_deref(), Some("text"));
        assert_eq!(fields(real).get_str("MsgType").as_deref(), Some("text"));
        if format == "xml" {
            assert_eq!(test.content_type.as_deref(), Some("application/xml"));
        } else {
            assert_eq!(test.content_type.as_deref(), Some("application/json"));
        }
    }
    let answer = app
        .delete(
            &format!("/wxcomponent/admin/callback-proxy-rule?id={id}"),
            &jwt,
        )
        .await;
    assert_eq!(answer["code"], 0, "{answer}");
}

/// Sleeps until just after the wall clock's next whole second, so what
/// follows runs within one second of `updatetime` (stored in whole seconds).
async fn start_of_a_second() {
    let into = u64::from(chrono::Utc::now().timestamp_subsec_millis().min(999));
    tokio::time::sleep(std::time::Duration::from_millis(1000 - into + 5)).await;
}

/// A rule edited twice within one second forwards per the second edit: the
/// receiver's cache once summarised the table by row count, highest id and
/// latest `updatetime` (whole seconds), so a second edit in the second its
/// cache was loaded went unnoticed until the next change.
#[tokio::test]
async fn the_receiver_forwards_per_the_second_of_two_edits_within_one_second() {
    let app = TestApp::spawn().await;
    let jwt = app.login().await;
    let receiver = Receiver::start(&app).await;
    let (port, seen) = start_target("success").await;
    let to = |path: &str| text_rule_to(port, path, "json");
    let id = add_only_rule(&app, &jwt, to("/added/$APPID$")).await["id"].clone();

    start_of_a_second().await;
    let started = std::time::Instant::now();
    for (msg_id, path) in [(1, "/first/$APPID$"), (2, "/second/$APPID$")] {
        edit_rule(&app, &jwt, &id, to(path)).await;
        assert_eq!(receiver.push_text("hi", msg_id).await, 200);
    }
    let elapsed = started.elapsed();

    let paths: Vec<String> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|s| s.path.clone())
        .collect();
    assert_eq!(
        paths,
        [
            format!("/first/{BIZ_APPID}"),
            format!("/second/{BIZ_APPID}")
        ],
        "each push goes where the rule pointed when it arrived \
         (both edits and pushes took {elapsed:?})"
    );
}
