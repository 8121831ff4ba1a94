//! The business service against a real admin (its inner API for tokens) and
//! wxsim: component mini-program login, every official-account route's
//! success, the retry after WeChat rejects a token, and auto-reply through a
//! real forward from the callback receiver.

use std::collections::HashMap;
use std::sync::Arc;

use crate::support::TestApp;
use common::config::Settings;
use common::db::schema::{authorizers, wxcallback_rules};
use common::db::testing::TestDatabase;
use common::db::Db;
use diesel::prelude::*;
use serde_json::{json, Value};
use wxsim::testing::TestSim;
use wxsim::{SimSettings, SimState};

const INNER_TOKEN: &str = "inner-token-for-business-tests";
const API_TOKEN: &str = "operator-token-for-business-tests";
const MASTER_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const OA: &str = "wxofficialacct0001";
const MP: &str = "wxminiprogram00001";

struct World {
    app: TestApp,
    sim_url: String,
    sim: actix_web::web::Data<SimState>,
    db: Db,
    http: reqwest::Client,
}

async fn world() -> World {
    let database = Arc::new(TestDatabase::new());
    let shared = |sim: &SimSettings, sim_url: &str, extra: &[(&str, String)]| {
        let mut env: HashMap<String, String> = [
            ("WXC__DATABASE__URL", database.url().to_string()),
            ("WXC__WECHAT__COMPONENT_APPID", sim.component_appid.clone()),
            (
                "WXC__WECHAT__COMPONENT_SECRET",
                sim.component_secret.clone(),
            ),
            ("WXC__WECHAT__TOKEN", sim.token.clone()),
            (
                "WXC__WECHAT__ENCODING_AES_KEY",
                sim.encoding_aes_key.clone(),
            ),
            ("WXC__WECHAT__API_BASE_URL", sim_url.to_string()),
            ("WXC__SECRETS__MASTER_KEY", MASTER_KEY.to_string()),
            ("WXC__ADMIN__INNER_TOKEN", INNER_TOKEN.to_string()),
            ("WXC__TOKENS__REFRESH_INTERVAL_SECS", "0".to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        for (k, v) in extra {
            env.insert((*k).to_string(), v.clone());
        }
        Settings::load_from(&env).expect("settings")
    };

    // wxsim must know the callback receiver's port before either starts, so the
    // port is picked free and given up; should something else take it
    // meanwhile, both start again on another.
    let mut attempt = 0;
    let (sim_settings, sim_url, sim_state) = loop {
        attempt += 1;
        let callback_port = common::loopback::free_port();
        let sim = TestSim::spawn(wxsim::testing::settings(&format!(
            "http://127.0.0.1:{callback_port}"
        )))
        .await;
        let (sim_settings, sim_url, sim_state) = (sim.settings, sim.base_url, sim.state);
        let callback = callback::Application::build(shared(
            &sim_settings,
            &sim_url,
            &[
                ("WXC__CALLBACK__HOST", "127.0.0.1".into()),
                ("WXC__CALLBACK__PORT", callback_port.to_string()),
            ],
        ))
        .await;
        match callback {
            Ok(callback) => {
                tokio::spawn(callback.run_until_stopped());
                break (sim_settings, sim_url, sim_state);
            }
            Err(callback::StartError::Bind { .. }) if attempt < 5 => continue,
            Err(e) => panic!("callback starts: {e}"),
        }
    };

    let admin = admin::Application::build(shared(
        &sim_settings,
        &sim_url,
        &[
            ("WXC__ADMIN__HOST", "127.0.0.1".into()),
            ("WXC__ADMIN__PORT", "0".into()),
            ("WXC__ADMIN__PASSWORD", "unused-in-these-tests".into()),
        ],
    ))
    .await
    .expect("admin starts");
    let admin_url = format!("http://{}", admin.address());
    tokio::spawn(admin.run_until_stopped());

    let app = TestApp::spawn_with(
        Arc::clone(&database),
        &[
            (
                "WXC__WECHAT__COMPONENT_APPID",
                sim_settings.component_appid.clone(),
            ),
            ("WXC__WECHAT__API_BASE_URL", sim_url.clone()),
            ("WXC__BUSINESS__INNER_API_URL", admin_url),
            ("WXC__BUSINESS__INNER_TOKEN", INNER_TOKEN.to_string()),
            ("WXC__BUSINESS__API_TOKEN", API_TOKEN.to_string()),
        ],
    )
    .await;

    let db_settings = database.settings();
    let db = tokio::task::spawn_blocking(move || Db::connect(&db_settings))
        .await
        .expect("join")
        .expect("db");

    // WeChat has pushed a ticket, and both accounts have authorized the platform.
    let ticket = wxsim::flows::mint_ticket(&sim_state).ticket;
    wxsim::flows::ensure_authorized(&sim_state, OA, false);
    wxsim::flows::ensure_authorized(&sim_state, MP, true);
    let refresh = |appid: &str| {
        sim_state
            .component
            .lock()
            .expect("sim state")
            .authorizers
            .get(appid)
            .map(|a| a.refresh_token.clone())
            .expect("authorized")
    };
    let (oa_refresh, mp_refresh) = (refresh(OA), refresh(MP));
    db.run(move |conn| {
        common::tokens::store::save_ticket(conn, &ticket)?;
        for (appid, refresh_token) in [(OA, oa_refresh), (MP, mp_refresh)] {
            diesel::insert_into(authorizers::table)
                .values((
                    authorizers::appid.eq(appid),
                    authorizers::refreshtoken.eq(refresh_token),
                    authorizers::authtime.eq(common::db::now()),
                ))
                .execute(conn)?;
        }
        Ok(())
    })
    .await
    .expect("seed");

    World {
        app,
        sim_url,
        sim: sim_state,
        db,
        http: reqwest::Client::new(),
    }
}

impl World {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        form: Option<&[(&str, &str)]>,
    ) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.app.base_url))
            .bearer_auth(API_TOKEN);
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

    async fn sim(&self, path: &str, body: Value) -> Value {
        self.http
            .post(format!("{}{path}", self.sim_url))
            .json(&body)
            .send()
            .await
            .expect("sim")
            .json()
            .await
            .expect("sim json")
    }
}

#[tokio::test]
async fn an_authorized_mini_program_logs_in_through_the_component() {
    let world = world().await;
    let code = world
        .sim(
            "/__sim/jscode",
            json!({"appid": MP, "openid": "oMpUser00001"}),
        )
        .await;
    let code = code["code"].as_str().expect("code");
    let response = world
        .http
        .get(format!(
            "{}/api/login?code={code}&appid={MP}",
            world.app.base_url
        ))
        .send()
        .await
        .expect("login");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    let token = body["data"]["token"].as_str().expect("token");
    let me: Value = world
        .http
        .get(format!("{}/api/me", world.app.base_url))
        .bearer_auth(token)
        .send()
        .await
        .expect("me")
        .json()
        .await
        .expect("json");
    assert_eq!(me["data"]["openid"], "oMpUser00001");
    assert_eq!(me["data"]["appid"], MP);
    assert_eq!(world.sim.calls.count("/sns/component/jscode2session"), 1);
}

#[tokio::test]
async fn an_account_that_has_not_authorized_is_the_callers_mistake_not_a_bad_gateway() {
    // schemathesis found it: the token manager's 1001 was answered 502.
    let world = world().await;
    let (status, body) = world
        .call(
            reqwest::Method::GET,
            "/api/v0.1/cgi-bin/menu?appid=wxnotauthorized",
            None,
            None,
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["code"], -1);
    assert!(
        body["errorMsg"]
            .as_str()
            .is_some_and(|m| m.contains("1001")),
        "{body}"
    );
}

#[tokio::test]
async fn menus_are_created_read_and_deleted_through_wechat() {
    let world = world().await;
    let path = format!("/api/v0.1/cgi-bin/menu?appid={OA}");
    let menu = json!({"button": [{"type": "click", "name": "今日歌曲", "key": "V1001_TODAY_MUSIC"}, {"name": "菜单", "sub_button": [{"type": "view", "name": "搜索", "url": "http://www.soso.com/"}]}]});
    assert_eq!(
        world
            .call(reqwest::Method::POST, &path, Some(menu), None)
            .await,
        (200, json!({"errcode": 0, "errmsg": "ok"}))
    );
    let (status, got) = world.call(reqwest::Method::GET, &path, None, None).await;
    assert_eq!(status, 200);
    assert_eq!(got["menu"]["button"][0]["key"], "V1001_TODAY_MUSIC");
    assert_eq!(
        got["menu"]["button"][1]["sub_button"][0]["url"],
        "http://www.soso.com/"
    );
    assert_eq!(
        world
            .call(reqwest::Method::DELETE, &path, None, None)
            .await
            .1["errcode"],
        0
    );
    let (_, gone) = world.call(reqwest::Method::GET, &path, None, None).await;
    assert_eq!(
        gone["errcode"], 46003,
        "WeChat's own error passes through: {gone}"
    );
}

#[tokio::test]
async fn tags_user_tags_and_remarks_work_end_to_end() {
    let world = world().await;
    let tags = format!("/api/v0.1/cgi-bin/tags?appid={OA}");
    let (_, created) = world
        .call(
            reqwest::Method::POST,
            &tags,
            None,
            Some(&[("name", "广东")]),
        )
        .await;
    let id = created["tag"]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("{created}"));
    let id_text = id.to_string();
    let (_, dup) = world
        .call(
            reqwest::Method::POST,
            &tags,
            None,
            Some(&[("name", "广东")]),
        )
        .await;
    assert_eq!(dup["errcode"], 45157, "{dup}");
    let (_, renamed) = world
        .call(
            reqwest::Method::PUT,
            &tags,
            None,
            Some(&[("id", &id_text), ("name", "广州")]),
        )
        .await;
    assert_eq!(renamed["errcode"], 0, "{renamed}");
    let (_, listed) = world.call(reqwest::Method::GET, &tags, None, None).await;
    assert!(listed["tags"].to_string().contains("广州"), "{listed}");

    let members = format!("/api/v0.1/cgi-bin/user/tags?appid={OA}");
    let (_, tagged) = world
        .call(
            reqwest::Method::PUT,
            &members,
            None,
            Some(&[("tagid", &id_text), ("openid_list", "oUserA,oUserB")]),
        )
        .await;
    assert_eq!(tagged["errcode"], 0, "{tagged}");
    let (_, by_tag) = world
        .call(
            reqwest::Method::GET,
            &format!("{members}&tagid={id}"),
            None,
            None,
        )
        .await;
    assert_eq!(by_tag["count"], 2, "{by_tag}");
    let (_, by_user) = world
        .call(
            reqwest::Method::GET,
            &format!("{members}&openid=oUserA"),
            None,
            None,
        )
        .await;
    assert_eq!(by_user["tagid_list"], json!([id]), "{by_user}");
    let (_, untagged) = world
        .call(
            reqwest::Method::DELETE,
            &members,
            None,
            Some(&[("tagid", &id_text), ("openid_list", "[\"oUserA\"]")]),
        )
        .await;
    assert_eq!(untagged["errcode"], 0, "{untagged}");
    let (_, after) = world
        .call(
            reqwest::Method::GET,
            &format!("{members}&tagid={id}"),
            None,
            None,
        )
        .await;
    assert_eq!(after["count"], 1, "{after}");

    let remark = format!("/api/v0.1/cgi-bin/user/remark?appid={OA}");
    let (_, remarked) = world
        .call(
            reqwest::Method::PUT,
            &remark,
            None,
            Some(&[("openid", "oUserA"), ("remark", "老客户")]),
        )
        .await;
    assert_eq!(remarked["errcode"], 0, "{remarked}");

    let (_, deleted) = world
        .call(
            reqwest::Method::DELETE,
            &tags,
            None,
            Some(&[("id", &id_text)]),
        )
        .await;
    assert_eq!(deleted["errcode"], 0, "{deleted}");
}

#[tokio::test]
async fn a_rejected_token_is_reported_and_the_call_retried_once() {
    let world = world().await;
    let path = format!("/api/v0.1/cgi-bin/tags?appid={OA}");
    assert_eq!(
        world.call(reqwest::Method::GET, &path, None, None).await.0,
        200
    );
    let refreshes_before = world
        .sim
        .calls
        .count("/cgi-bin/component/api_authorizer_token");
    world
        .sim("/__sim/faults", json!({"path": "/cgi-bin/tags/get", "errcode": 40001, "errmsg": "invalid credential", "times": 1}))
        .await;
    let (status, answer) = world.call(reqwest::Method::GET, &path, None, None).await;
    assert_eq!(status, 200);
    assert!(answer["tags"].is_array(), "the retry succeeded: {answer}");
    assert_eq!(
        world.sim.calls.count("/cgi-bin/tags/get"),
        3,
        "first call, rejected call, retry"
    );
    assert_eq!(
        world
            .sim
            .calls
            .count("/cgi-bin/component/api_authorizer_token"),
        refreshes_before + 1,
        "the token manager replaced the rejected token once"
    );
}

#[tokio::test]
async fn a_message_forwarded_by_the_callback_receiver_gets_its_auto_reply() {
    let world = world().await;
    let (status, _) = world
        .call(
            reqwest::Method::POST,
            "/api/autoreply",
            Some(json!({"appid": OA, "keyword": "营业时间", "match": "contains", "reply": {"type": "text", "content": "每天 9:00-18:00"}})),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let info = json!({"url": world.app.base_url, "path": "/api/wx/message/$APPID$"}).to_string();
    world
        .db
        .run(move |conn| {
            diesel::insert_into(wxcallback_rules::table)
                .values((
                    wxcallback_rules::name.eq("to business"),
                    wxcallback_rules::msgtype.eq("text"),
                    wxcallback_rules::rule_type.eq(1),
                    wxcallback_rules::open.eq(1),
                    wxcallback_rules::info.eq(&info),
                ))
                .execute(conn)?;
            Ok(())
        })
        .await
        .expect("rule");
    let outcome = world
        .sim(
            "/__sim/message",
            json!({"appid": OA, "msg_type": "text", "content": "请问营业时间？"}),
        )
        .await;
    let reply = &outcome["push"]["reply"];
    assert_eq!(reply["kind"], "encrypted", "{outcome}");
    assert_eq!(reply["signature_valid"], true, "{outcome}");
    assert!(reply.to_string().contains("每天 9:00-18:00"), "{reply}");
}

#[tokio::test]
async fn a_merchant_binds_its_business_id_from_the_authorization_redirect() {
    let world = world().await;
    let appid = "wxmerchantmini0001";
    // WeChat's redirect hands the operator's page this code.
    let code = wxsim::flows::mint_auth_code(&world.sim, appid, true).code;

    let (status, bound) = world
        .call(
            reqwest::Method::POST,
            "/api/bind",
            Some(json!({"authCode": code, "bizId": "merchant-17"})),
            None,
        )
        .await;
    assert_eq!(status, 200, "{bound}");
    assert_eq!(bound["code"], 0, "{bound}");
    assert_eq!(bound["data"]["appid"], appid);
    assert_eq!(bound["data"]["state"], "bound");

    let (status, read) = world
        .call(
            reqwest::Method::GET,
            "/api/bind?bizId=merchant-17",
            None,
            None,
        )
        .await;
    assert_eq!((status, read["code"].clone()), (200, json!(0)), "{read}");
    assert_eq!(read["data"], bound["data"]);
    let (_, unknown) = world
        .call(
            reqwest::Method::GET,
            "/api/bind?bizId=merchant-none",
            None,
            None,
        )
        .await;
    assert_eq!(unknown["data"], Value::Null, "{unknown}");

    // The account is now an authorizer the token manager serves.
    let stored: i64 = world
        .db
        .run(move |conn| {
            Ok(authorizers::table
                .filter(authorizers::appid.eq(appid))
                .count()
                .get_result(conn)?)
        })
        .await
        .expect("authorizers read");
    assert_eq!(stored, 1);

    // Bad input and codes WeChat refuses are the caller's 400, saying why.
    for body in [
        json!({"bizId": "merchant-17"}),
        json!({"authCode": "queryauthcode@@@x"}),
    ] {
        let (status, answer) = world
            .call(reqwest::Method::POST, "/api/bind", Some(body.clone()), None)
            .await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert_eq!(answer["code"], -1, "{answer}");
    }
    let (status, refused) = world
        .call(
            reqwest::Method::POST,
            "/api/bind",
            Some(json!({"authCode": "queryauthcode@@@unknown", "bizId": "merchant-17"})),
            None,
        )
        .await;
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused["errorMsg"]
            .as_str()
            .is_some_and(|m| m.contains("61009")),
        "{refused}"
    );
    let (_, still) = world
        .call(
            reqwest::Method::GET,
            "/api/bind?bizId=merchant-17",
            None,
            None,
        )
        .await;
    assert_eq!(still["data"], bound["data"], "the binding is intact");
}
