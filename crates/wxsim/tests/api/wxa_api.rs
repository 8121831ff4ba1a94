//! Mini programs: login (`jscode2session`, both kinds) with single-use codes,
//! and code management (`/wxa/*`) following WeChat's state machine
//! commit → submit_audit → audit decided → release → revert, driven over HTTP.

use crate::support_account::{assert_errcode, errcode, Sim, MINI_PROGRAM, OFFICIAL_ACCOUNT};
use serde_json::{json, Value};

// ---------------------------------------------------------------- login

async fn mint(sim: &Sim, body: Value) -> (String, String) {
    let answer = sim.post("/__sim/jscode", &body).await;
    assert_errcode(&answer, 0);
    let code = answer["code"].as_str().expect("a code").to_string();
    let openid = answer["openid"].as_str().expect("an openid").to_string();
    (code, openid)
}

fn own_login(sim: &Sim, code: &str) -> String {
    let settings = &sim.state.settings;
    format!(
        "/sns/jscode2session?appid={}&secret={}&js_code={code}&grant_type=authorization_code",
        settings.mini_program_appid, settings.mini_program_secret
    )
}

fn component_login(sim: &Sim, appid: &str, code: &str, token: &str) -> String {
    format!(
        "/sns/component/jscode2session?appid={appid}&js_code={code}&grant_type=authorization_code\
         &component_appid={}&component_access_token={token}",
        sim.state.settings.component_appid
    )
}

#[tokio::test]
async fn the_platforms_mini_program_logs_in_once_per_code() {
    let sim = Sim::start().await;
    let appid = sim.state.settings.mini_program_appid.clone();
    let (code, openid) = mint(&sim, json!({ "appid": appid })).await;
    assert!(openid.starts_with('o') && openid.len() == 28, "{openid}");

    let session = sim.get(&own_login(&sim, &code)).await;
    assert_eq!(session["openid"], openid.as_str());
    // 16 bytes in canonical base64: 22 characters, the last one with its low
    // 4 bits clear, then "==".
    let key = session["session_key"].as_str().expect("a session_key");
    assert!(
        key.len() == 24 && key.ends_with("==") && key[21..22].chars().all(|c| "AQgw".contains(c)),
        "{key}"
    );
    assert!(session.get("errcode").is_none(), "{session}");
    assert!(session.get("unionid").is_none(), "{session}");

    assert_errcode(&sim.get(&own_login(&sim, &code)).await, 40163);
    assert_errcode(&sim.get(&own_login(&sim, "nosuchcode")).await, 40029);
}

#[tokio::test]
async fn a_login_code_carries_the_given_user_and_expires_after_5_minutes() {
    let sim = Sim::start().await;
    let appid = sim.state.settings.mini_program_appid.clone();
    let (code, openid) = mint(
        &sim,
        json!({"appid": appid, "openid": "oReturningUser", "unionid": "uUnion1"}),
    )
    .await;
    assert_eq!(openid, "oReturningUser");
    let session = sim.get(&own_login(&sim, &code)).await;
    assert_eq!(session["openid"], "oReturningUser");
    assert_eq!(session["unionid"], "uUnion1");

    let (late, _) = mint(&sim, json!({ "appid": appid })).await;
    sim.state.clock.advance(300);
    assert_errcode(&sim.get(&own_login(&sim, &late)).await, 40029);
}

#[tokio::test]
async fn own_login_checks_appid_secret_code_and_grant_type() {
    let sim = Sim::start().await;
    let settings = sim.state.settings.clone();
    let (code, _) = mint(&sim, json!({"appid": settings.mini_program_appid})).await;
    let (other, _) = mint(&sim, json!({"appid": "wxsomeoneelse00001"})).await;
    let base = "/sns/jscode2session";
    let app = &settings.mini_program_appid;
    let secret = &settings.mini_program_secret;
    let cases = [
        (
            format!(
                "{base}?appid=wxwrong&secret={secret}&js_code={code}&grant_type=authorization_code"
            ),
            40013,
        ),
        (
            format!("{base}?appid={app}&secret=wrong&js_code={code}&grant_type=authorization_code"),
            40125,
        ),
        (
            format!("{base}?secret={secret}&js_code={code}&grant_type=authorization_code"),
            41002,
        ),
        (
            format!("{base}?appid={app}&secret={secret}&grant_type=authorization_code"),
            41008,
        ),
        (
            format!(
                "{base}?appid={app}&secret={secret}&js_code={code}&grant_type=client_credential"
            ),
            40002,
        ),
        (
            format!(
                "{base}?appid={app}&secret={secret}&js_code={other}&grant_type=authorization_code"
            ),
            40029,
        ),
    ];
    for (path, expected) in cases {
        let answer = sim.get(&path).await;
        assert_eq!(errcode(&answer), expected, "{path}: {answer}");
    }
    // None of the refusals spent the code.
    assert_eq!(
        sim.get(&own_login(&sim, &code)).await["errcode"],
        Value::Null
    );
}

#[tokio::test]
async fn an_authorized_mini_program_logs_in_through_the_component() {
    let sim = Sim::start().await;
    sim.mini_program();
    let component = sim.component_token();
    let (code, openid) = mint(&sim, json!({ "appid": MINI_PROGRAM })).await;
    let session = sim
        .get(&component_login(&sim, MINI_PROGRAM, &code, &component))
        .await;
    assert_eq!(session["openid"], openid.as_str());
    assert!(session["session_key"].is_string());
    assert_errcode(
        &sim.get(&component_login(&sim, MINI_PROGRAM, &code, &component))
            .await,
        40163,
    );
    let calls = sim.get("/__sim/calls").await;
    assert_eq!(
        calls["by_appid"][MINI_PROGRAM]["/sns/component/jscode2session"],
        2
    );
}

#[tokio::test]
async fn component_login_checks_token_component_and_authorization() {
    let sim = Sim::start().await;
    let mini_token = sim.mini_program();
    sim.official_account();
    let component = sim.component_token();
    let (code, _) = mint(&sim, json!({ "appid": MINI_PROGRAM })).await;
    let (unauthorized_code, _) = mint(&sim, json!({"appid": "wxnotauthorized001"})).await;

    assert_errcode(
        &sim.get(&component_login(
            &sim,
            "wxnotauthorized001",
            &unauthorized_code,
            &component,
        ))
        .await,
        61003,
    );
    assert_errcode(
        &sim.get(&component_login(&sim, OFFICIAL_ACCOUNT, &code, &component))
            .await,
        40013,
    );
    assert_errcode(
        &sim.get(&component_login(&sim, MINI_PROGRAM, &code, &mini_token))
            .await,
        40001,
    );
    assert_errcode(
        &sim.get(&component_login(&sim, MINI_PROGRAM, &code, ""))
            .await,
        41001,
    );
    let wrong_component = format!(
        "/sns/component/jscode2session?appid={MINI_PROGRAM}&js_code={code}\
         &grant_type=authorization_code&component_appid=wxother&component_access_token={component}"
    );
    assert_errcode(&sim.get(&wrong_component).await, 40013);
    let no_component = format!(
        "/sns/component/jscode2session?appid={MINI_PROGRAM}&js_code={code}\
         &grant_type=authorization_code&component_access_token={component}"
    );
    assert_errcode(&sim.get(&no_component).await, 41018);

    sim.state.clock.advance(sim.state.settings.token_ttl_secs);
    assert_errcode(
        &sim.get(&component_login(&sim, MINI_PROGRAM, &code, &component))
            .await,
        42001,
    );
}

#[tokio::test]
async fn an_injected_minute_quota_fault_answers_45011() {
    let sim = Sim::start().await;
    let appid = sim.state.settings.mini_program_appid.clone();
    let (code, _) = mint(&sim, json!({ "appid": appid })).await;
    let fault = json!({
        "path": "/sns/jscode2session",
        "errcode": 45011,
        "errmsg": "api minute-quota reach limit  mustslower  retry next minute",
        "times": 1,
    });
    assert_errcode(&sim.post("/__sim/faults", &fault).await, 0);
    assert_errcode(&sim.get(&own_login(&sim, &code)).await, 45011);
    // The fault spent nothing: the code still works once.
    assert!(sim.get(&own_login(&sim, &code)).await["openid"].is_string());
}

#[tokio::test]
async fn minting_a_code_needs_an_appid_and_a_valid_openid() {
    let sim = Sim::start().await;
    assert_errcode(&sim.post("/__sim/jscode", &json!({})).await, 41002);
    assert_errcode(
        &sim.post(
            "/__sim/jscode",
            &json!({"appid": "wxa", "openid": "bad openid"}),
        )
        .await,
        40003,
    );
    assert_errcode(&sim.post_raw("/__sim/jscode", "").await, 44002);
}

// ---------------------------------------------------------------- code management

/// A mini program's token and the calls its tests make (shared with the
/// privacy, member and audit modules).
pub(crate) struct Wxa<'a> {
    pub(crate) sim: &'a Sim,
    pub(crate) token: String,
}

impl Wxa<'_> {
    pub(crate) async fn get(&self, path: &str) -> Value {
        self.sim
            .get(&format!("{path}?access_token={}", self.token))
            .await
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> Value {
        self.sim
            .post(&format!("{path}?access_token={}", self.token), &body)
            .await
    }

    pub(crate) async fn commit(&self, template_id: Value, version: &str) -> Value {
        self.post(
            "/wxa/commit",
            json!({
                "template_id": template_id,
                "ext_json": "{\"extAppid\":\"wxminiprogram00001\",\"ext\":{\"name\":\"wxsim\"}}",
                "user_version": version,
                "user_desc": format!("version {version}"),
            }),
        )
        .await
    }

    pub(crate) async fn submit(&self) -> Value {
        self.post("/wxa/submit_audit", json!({})).await
    }

    pub(crate) async fn release(&self) -> Value {
        self.post("/wxa/release", json!({})).await
    }

    pub(crate) async fn version_info(&self) -> Value {
        self.post("/wxa/getversioninfo", json!({})).await
    }

    pub(crate) async fn decide(&self, status: i64) -> Value {
        self.sim
            .post(
                "/__sim/wxa/audit",
                &json!({"appid": MINI_PROGRAM, "status": status}),
            )
            .await
    }
}

pub(crate) fn wxa(sim: &Sim) -> Wxa<'_> {
    Wxa {
        sim,
        token: sim.mini_program(),
    }
}

#[tokio::test]
async fn templates_are_listed_with_the_component_token() {
    let sim = Sim::start().await;
    let component = sim.component_token();
    let all = sim
        .get(&format!("/wxa/gettemplatelist?access_token={component}"))
        .await;
    assert_errcode(&all, 0);
    let list = all["template_list"].as_array().expect("a list");
    assert_eq!(list.len(), 3);
    for key in ["template_id", "user_version", "user_desc", "create_time"] {
        assert!(list[0].get(key).is_some(), "{key} in {}", list[0]);
    }
    // wxcomponent passes component_access_token= and an empty template_type.
    let normal = sim
        .get(&format!(
            "/wxa/gettemplatelist?component_access_token={component}&template_type=0"
        ))
        .await;
    assert_eq!(normal["template_list"].as_array().map(Vec::len), Some(2));
    let unfiltered = sim
        .get(&format!(
            "/wxa/gettemplatelist?component_access_token={component}&template_type="
        ))
        .await;
    assert_eq!(
        unfiltered["template_list"].as_array().map(Vec::len),
        Some(3)
    );

    let mini = sim.mini_program();
    assert_errcode(
        &sim.get(&format!("/wxa/gettemplatelist?access_token={mini}"))
            .await,
        40001,
    );
    assert_errcode(&sim.get("/wxa/gettemplatelist").await, 41001);
}

#[tokio::test]
async fn a_draft_becomes_a_template_until_the_library_is_full_and_templates_are_deleted() {
    let sim = Sim::start().await;
    let component = sim.component_token();
    let at = |path: &str| format!("{path}?access_token={component}");
    let drafts = sim.get(&at("/wxa/gettemplatedraftlist")).await;
    assert_errcode(&drafts, 0);
    let seeded = &drafts["draft_list"][0];
    for key in ["create_time", "user_version", "user_desc", "draft_id"] {
        assert!(seeded.get(key).is_some(), "{key} in {seeded}");
    }

    // A development mini program uploads code from WeChat DevTools.
    let uploaded = sim
        .post(
            "/__sim/wxa/draft",
            &json!({"user_version": "3.0.0", "user_desc": "新版首页", "pages": ["pages/home/home"]}),
        )
        .await;
    let draft_id = uploaded["draft_id"].as_i64().expect("draft_id");
    let drafts = sim.get(&at("/wxa/gettemplatedraftlist")).await;
    assert_eq!(drafts["draft_list"].as_array().map(Vec::len), Some(2));

    let add = at("/wxa/addtotemplate");
    assert_errcode(&sim.post(&add, &json!({"draft_id": draft_id})).await, 0);
    // WeChat's own example sends the id as a string.
    let standard = json!({"draft_id": draft_id.to_string(), "template_type": 1});
    assert_errcode(&sim.post(&add, &standard).await, 0);
    let list = sim.get(&at("/wxa/gettemplatelist")).await;
    let templates = list["template_list"].as_array().expect("a list");
    assert_eq!(templates.len(), 5, "{list}");
    let made: Vec<&Value> = templates
        .iter()
        .filter(|t| t["user_version"] == "3.0.0")
        .collect();
    assert_eq!(made.len(), 2, "{list}");
    assert_eq!(made[0]["template_type"], 0);
    assert_eq!(made[1]["template_type"], 1);
    let made_id = made[0]["template_id"].as_i64().expect("template_id");
    // The draft stays in the 草稿箱.
    let drafts = sim.get(&at("/wxa/gettemplatedraftlist")).await;
    assert_eq!(drafts["draft_list"].as_array().map(Vec::len), Some(2));

    assert_errcode(&sim.post(&add, &json!({"draft_id": 999})).await, 85064);
    assert_errcode(&sim.post(&add, &json!({})).await, 85064);
    let bad_type = json!({"draft_id": draft_id, "template_type": 2});
    assert_errcode(&sim.post(&add, &bad_type).await, 40097);
    let mini = sim.mini_program();
    assert_errcode(
        &sim.post(
            &format!("/wxa/addtotemplate?access_token={mini}"),
            &json!({"draft_id": draft_id}),
        )
        .await,
        40001,
    );

    // The new template commits like any other.
    let app = wxa(&sim);
    let commit = json!({"template_id": made_id, "ext_json": "{}", "user_version": "3.0.0"});
    assert_errcode(&app.post("/wxa/commit", commit).await, 0);
    let pages = app.get("/wxa/get_page").await;
    assert_eq!(pages["page_list"], json!(["pages/home/home"]), "{pages}");

    let delete = at("/wxa/deletetemplate");
    assert_errcode(
        &sim.post(&delete, &json!({"template_id": made_id})).await,
        0,
    );
    assert_errcode(
        &sim.post(&delete, &json!({"template_id": made_id})).await,
        85064,
    );
    let list = sim.get(&at("/wxa/gettemplatelist")).await;
    assert_eq!(list["template_list"].as_array().map(Vec::len), Some(4));

    // The library holds template_library_limit templates, then 85065.
    let limit = sim.state.settings.template_library_limit;
    for _ in 4..limit {
        assert_errcode(&sim.post(&add, &json!({"draft_id": 0})).await, 0);
    }
    assert_errcode(&sim.post(&add, &json!({"draft_id": 0})).await, 85065);
    let list = sim.get(&at("/wxa/gettemplatelist")).await;
    assert_eq!(list["template_list"].as_array().map(Vec::len), Some(limit));
}

#[tokio::test]
async fn code_goes_from_commit_through_audit_to_release_and_back() {
    let sim = Sim::start().await;
    let app = wxa(&sim);

    assert_eq!(
        app.version_info().await,
        json!({"errcode": 0, "errmsg": "ok"})
    );
    assert_errcode(&app.get("/wxa/get_latest_auditstatus").await, 85058);

    // Commit: an experience version with the template's pages.
    assert_errcode(&app.commit(json!("1"), "1.0.0").await, 0);
    let info = app.version_info().await;
    assert_eq!(info["exp_info"]["exp_version"], "1.0.0");
    assert_eq!(info["exp_info"]["exp_desc"], "version 1.0.0");
    assert!(info.get("release_info").is_none());
    assert_eq!(
        app.get("/wxa/get_page").await["page_list"],
        json!(["pages/index/index", "pages/logs/logs"])
    );

    // Submit: pending; release is refused until the audit passes.
    let submitted = app.submit().await;
    assert_errcode(&submitted, 0);
    let auditid = submitted["auditid"].as_i64().expect("an auditid");
    let status = app.get("/wxa/get_latest_auditstatus").await;
    assert_eq!(status["auditid"], auditid);
    assert_eq!(status["status"], 2);
    assert_eq!(status["user_version"], "1.0.0");
    assert!(status["submit_audit_time"].is_i64());
    assert_errcode(&app.release().await, 85020);

    // Approved by the reviewers: release it.
    assert_errcode(&app.decide(0).await, 0);
    assert_eq!(app.get("/wxa/get_latest_auditstatus").await["status"], 0);
    assert_errcode(&app.release().await, 0);
    assert_errcode(&app.release().await, 85052);
    let info = app.version_info().await;
    assert_eq!(info["release_info"]["release_version"], "1.0.0");
    assert_eq!(info["release_info"]["release_desc"], "version 1.0.0");
    assert!(info["release_info"]["release_time"].is_i64());

    // Nothing to go back to yet.
    assert_errcode(&app.get("/wxa/revertcoderelease").await, 87012);

    // A second version, released, then reverted to the first; only once.
    // Template 3: template 2's code uses privacy keys (see privacy_api).
    assert_errcode(&app.commit(json!(3), "1.1.0").await, 0);
    let second = app.submit().await;
    assert_ne!(second["auditid"], auditid);
    assert_errcode(&app.decide(0).await, 0);
    assert_errcode(&app.release().await, 0);
    assert_eq!(
        app.version_info().await["release_info"]["release_version"],
        "1.1.0"
    );
    assert_errcode(&app.get("/wxa/revertcoderelease").await, 0);
    let info = app.version_info().await;
    assert_eq!(info["release_info"]["release_version"], "1.0.0");
    assert_eq!(info["exp_info"]["exp_version"], "1.1.0");
    assert_errcode(&app.get("/wxa/revertcoderelease").await, 87012);
}

#[tokio::test]
async fn release_needs_an_approved_audit() {
    let sim = Sim::start().await;
    let app = wxa(&sim);
    assert_errcode(&app.release().await, 85019);
    assert_errcode(&app.submit().await, 85086);

    app.commit(json!(1), "1.0.0").await;
    assert_errcode(&app.submit().await, 0);
    assert_errcode(&app.submit().await, 85009);

    let rejected = sim
        .post(
            "/__sim/wxa/audit",
            &json!({"appid": MINI_PROGRAM, "status": 1, "reason": "帐号信息不合规范", "screenshot": "m1|m2"}),
        )
        .await;
    assert_errcode(&rejected, 0);
    let status = app.get("/wxa/get_latest_auditstatus").await;
    assert_eq!(status["status"], 1);
    assert_eq!(status["reason"], "帐号信息不合规范");
    assert_eq!(status["ScreenShot"], "m1|m2");
    assert_errcode(&app.release().await, 85020);

    // A rejected audit can be followed by a new one.
    assert_errcode(&app.submit().await, 0);
    assert_errcode(&app.decide(4).await, 0);
    assert_eq!(app.get("/wxa/get_latest_auditstatus").await["status"], 4);
    assert_errcode(&app.release().await, 85020);
    assert_errcode(&app.submit().await, 85009);
}

#[tokio::test]
async fn release_wants_a_json_body() {
    let sim = Sim::start().await;
    let app = wxa(&sim);
    let answer = sim
        .post_raw(&format!("/wxa/release?access_token={}", app.token), "")
        .await;
    assert_errcode(&answer, 44002);
}

#[tokio::test]
async fn a_pending_audit_can_be_withdrawn_within_the_quota() {
    let sim = Sim::start().await;
    let app = wxa(&sim);
    assert_errcode(&app.get("/wxa/undocodeaudit").await, 85058);
    app.commit(json!(1), "1.0.0").await;
    for _ in 0..5 {
        assert_errcode(&app.submit().await, 0);
        assert_errcode(&app.get("/wxa/undocodeaudit").await, 0);
        assert_eq!(app.get("/wxa/get_latest_auditstatus").await["status"], 3);
        assert_errcode(&app.get("/wxa/undocodeaudit").await, 85021);
    }
    assert_errcode(&app.submit().await, 0);
    assert_errcode(&app.get("/wxa/undocodeaudit").await, 87013);
    // The next day brings new quota (and a fresh token: the old one expired).
    sim.state.clock.advance(86_400);
    let app = wxa(&sim);
    assert_errcode(&app.get("/wxa/undocodeaudit").await, 0);
}

#[tokio::test]
async fn a_pending_audit_can_be_sped_up() {
    let sim = Sim::start().await;
    let app = wxa(&sim);
    app.commit(json!(1), "1.0.0").await;
    let auditid = app.submit().await["auditid"].clone();
    assert_errcode(
        &app.post("/wxa/speedupaudit", json!({"auditid": 1})).await,
        85012,
    );
    assert_errcode(
        &app.post("/wxa/speedupaudit", json!({ "auditid": auditid }))
            .await,
        0,
    );
    assert_errcode(
        &app.post("/wxa/speedupaudit", json!({ "auditid": auditid }))
            .await,
        89404,
    );
    app.decide(0).await;
    assert_errcode(
        &app.post("/wxa/speedupaudit", json!({ "auditid": auditid }))
            .await,
        89402,
    );
}

#[tokio::test]
async fn commit_checks_template_ext_json_and_version() {
    let sim = Sim::start().await;
    let app = wxa(&sim);
    assert_errcode(&app.commit(json!(99), "1.0.0").await, 85014);
    assert_errcode(&app.commit(json!("x"), "1.0.0").await, 47001);
    assert_errcode(&app.commit(json!(1), "").await, 85015);
    assert_errcode(&app.commit(json!(1), &"9".repeat(65)).await, 85015);
    let bad_ext = app
        .post(
            "/wxa/commit",
            json!({"template_id": 1, "ext_json": "{not json", "user_version": "1"}),
        )
        .await;
    assert_errcode(&bad_ext, 85048);
    assert_errcode(&app.get("/wxa/get_page").await, 86001);
}

#[tokio::test]
async fn the_deciding_control_endpoint_checks_its_input() {
    let sim = Sim::start().await;
    let app = wxa(&sim);
    assert_errcode(&app.decide(0).await, 85058);
    app.commit(json!(1), "1.0.0").await;
    app.submit().await;
    assert_errcode(&app.decide(3).await, 47001);
    assert_errcode(&app.decide(0).await, 0);
    assert_errcode(&app.decide(1).await, 85021);
    let unknown = sim
        .post(
            "/__sim/wxa/audit",
            &json!({"appid": "wxnobody", "status": 0}),
        )
        .await;
    assert_errcode(&unknown, 85058);
}

#[tokio::test]
async fn the_service_can_be_paused_and_resumed() {
    let sim = Sim::start().await;
    let app = wxa(&sim);
    let status = app.post("/wxa/getvisitstatus", json!({})).await;
    assert_eq!(status, json!({"errcode": 0, "errmsg": "ok", "status": 1}));
    assert_errcode(
        &app.post("/wxa/change_visitstatus", json!({"action": "close"}))
            .await,
        0,
    );
    assert_eq!(
        app.post("/wxa/getvisitstatus", json!({})).await["status"],
        0
    );
    assert_errcode(
        &app.post("/wxa/change_visitstatus", json!({"action": "open"}))
            .await,
        0,
    );
    assert_eq!(
        app.post("/wxa/getvisitstatus", json!({})).await["status"],
        1
    );
    assert_errcode(
        &app.post("/wxa/change_visitstatus", json!({"action": "pause"}))
            .await,
        85022,
    );
    let empty = sim
        .post_raw(
            &format!("/wxa/getvisitstatus?access_token={}", app.token),
            "",
        )
        .await;
    assert_errcode(&empty, 44002);
}

#[tokio::test]
async fn qr_codes_are_jpeg_images() {
    let sim = Sim::start().await;
    let app = wxa(&sim);
    let url = format!(
        "{}/wxa/get_qrcode?access_token={}&path=pages%2Findex%2Findex",
        sim.base_url, app.token
    );
    assert_errcode(&sim.get(&url[sim.base_url.len()..]).await, 86001);
    app.commit(json!(1), "1.0.0").await;
    for response in [
        sim.client.get(&url).send().await.expect("GET answers"),
        sim.client.post(&url).send().await.expect("POST answers"),
        sim.client
            .post(format!(
                "{}/wxa/getwxacodeunlimit?access_token={}",
                sim.base_url, app.token
            ))
            .json(&json!({"scene": "wxcomponent"}))
            .send()
            .await
            .expect("POST answers"),
    ] {
        assert_eq!(response.status(), 200);
        assert_eq!(
            response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("image/jpeg")
        );
        let bytes = response.bytes().await.expect("a body");
        assert!(bytes.starts_with(&[0xFF, 0xD8]) && bytes.ends_with(&[0xFF, 0xD9]));
    }
    assert_errcode(
        &app.post("/wxa/getwxacodeunlimit", json!({"scene": "s".repeat(33)}))
            .await,
        40169,
    );
}

#[tokio::test]
async fn categories_are_listed() {
    let sim = Sim::start().await;
    let app = wxa(&sim);
    let answer = app.get("/wxa/get_category").await;
    assert_errcode(&answer, 0);
    let first = &answer["category_list"][0];
    for key in ["first_class", "second_class", "first_id", "second_id"] {
        assert!(first.get(key).is_some(), "{key} in {first}");
    }
}

#[tokio::test]
async fn code_management_is_for_mini_programs_only() {
    let sim = Sim::start().await;
    let official = sim.official_account();
    let component = sim.component_token();
    for path in [
        "/wxa/get_latest_auditstatus",
        "/wxa/get_page",
        "/wxa/get_category",
        "/wxa/revertcoderelease",
        "/wxa/undocodeaudit",
    ] {
        assert_errcode(
            &sim.get(&format!("{path}?access_token={official}")).await,
            85015,
        );
        assert_errcode(
            &sim.get(&format!("{path}?access_token={component}")).await,
            40001,
        );
        assert_errcode(&sim.get(path).await, 41001);
    }
    let answer = sim
        .post(
            &format!("/wxa/commit?access_token={official}"),
            &json!({"template_id": 1, "user_version": "1"}),
        )
        .await;
    assert_errcode(&answer, 85015);
}

#[tokio::test]
async fn code_state_is_kept_per_mini_program() {
    let sim = Sim::start().await;
    let app = wxa(&sim);
    let other = sim.authorize("wxminiprogram00002", true);
    app.commit(json!(1), "1.0.0").await;
    let info = sim
        .post(
            &format!("/wxa/getversioninfo?access_token={other}"),
            &json!({}),
        )
        .await;
    assert_eq!(info, json!({"errcode": 0, "errmsg": "ok"}));
    let calls = sim.get("/__sim/calls").await;
    assert_eq!(calls["by_appid"][MINI_PROGRAM]["/wxa/commit"], 1);
    assert_eq!(
        calls["by_appid"]["wxminiprogram00002"]["/wxa/getversioninfo"],
        1
    );
}

#[tokio::test]
async fn audit_decisions_are_pushed_to_the_platform_as_weapp_audit_events() {
    let receiver =
        crate::support_component::start_receiver(crate::support_component::answer(200, "success"))
            .await;
    let sim = Sim::start_pushing_to(&receiver.base_url).await;
    let crypt = common::crypto::WxCrypt::new(
        &sim.state.settings.token,
        &sim.state.settings.encoding_aes_key,
        &sim.state.settings.component_appid,
    )
    .expect("crypt");
    let app = wxa(&sim);
    let original = wxsim::component_state::original_id(MINI_PROGRAM);

    assert_errcode(&app.commit(json!(1), "1.0.0").await, 0);
    assert_errcode(&app.submit().await, 0);
    let rejected = sim
        .post(
            "/__sim/wxa/audit",
            &json!({"appid": MINI_PROGRAM, "status": 1, "reason": "名称不符合规范", "screenshot": "media_a|media_b"}),
        )
        .await;
    assert_eq!(rejected["push"]["delivered"], true, "{rejected}");
    let pushes = receiver.all();
    assert_eq!(pushes[0].path, format!("/wxcallback/biz/{MINI_PROGRAM}"));
    let fail = crate::support_component::push_fields(&crypt, &pushes[0]);
    assert_eq!(fail.get_str("ToUserName"), Some(original.clone()));
    assert_eq!(fail.get_str("MsgType").as_deref(), Some("event"));
    assert_eq!(fail.get_str("Event").as_deref(), Some("weapp_audit_fail"));
    assert_eq!(fail.get_str("Reason").as_deref(), Some("名称不符合规范"));
    assert_eq!(
        fail.get_str("ScreenShot").as_deref(),
        Some("media_a|media_b")
    );
    assert!(fail.get_i64("FailTime").is_some_and(|t| t > 0));
    let message =
        common::message::Message::parse(&crate::support_component::open_push(&crypt, &pushes[0]))
            .expect("the platform's message model reads it");
    assert_eq!(message.event(), Some("weapp_audit_fail"));

    assert_errcode(&app.submit().await, 0);
    let delayed = app
        .sim
        .post(
            "/__sim/wxa/audit",
            &json!({"appid": MINI_PROGRAM, "status": 4}),
        )
        .await;
    assert_eq!(delayed["push"]["delivered"], true, "{delayed}");
    let approved = app
        .sim
        .post(
            "/__sim/wxa/audit",
            &json!({"appid": MINI_PROGRAM, "status": 0}),
        )
        .await;
    assert_eq!(approved["push"]["delivered"], true, "{approved}");
    let pushes = receiver.all();
    assert_eq!(pushes.len(), 3);
    let delay = crate::support_component::push_fields(&crypt, &pushes[1]);
    assert_eq!(delay.get_str("Event").as_deref(), Some("weapp_audit_delay"));
    assert!(delay.get_str("Reason").is_some_and(|r| !r.is_empty()));
    assert!(delay.get_i64("DelayTime").is_some());
    let success = crate::support_component::push_fields(&crypt, &pushes[2]);
    assert_eq!(
        success.get_str("Event").as_deref(),
        Some("weapp_audit_success")
    );
    assert!(success.get_i64("SuccTime").is_some());

    // Putting an audit back to pending is no decision: nothing is pushed.
    assert_errcode(&app.submit().await, 0);
    let pending = app
        .sim
        .post(
            "/__sim/wxa/audit",
            &json!({"appid": MINI_PROGRAM, "status": 2}),
        )
        .await;
    assert_errcode(&pending, 0);
    assert!(pending["push"].is_null(), "{pending}");
    assert_eq!(receiver.all().len(), 3);
}
