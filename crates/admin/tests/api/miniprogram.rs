//! Managed mini programs beyond code and audit, through the console's
//! routes against wxsim: the privacy guide (and WeChat refusing to audit
//! code it does not cover), experience members, the status of an earlier
//! audit, the audit quota, and phased releases.

use std::sync::Arc;

use common::db::testing::TestDatabase;
use serde_json::{json, Value};

use crate::devweapp::{managed, managed_app, path, APPID};
use crate::support::{Sim, TestApp};

const SET_PRIVACY: &str = "/cgi-bin/component/setprivacysetting";
const GET_PRIVACY: &str = "/cgi-bin/component/getprivacysetting";
const UPLOAD_PRIVACY: &str = "/cgi-bin/component/uploadprivacyextfile";

fn admin(route: &str) -> String {
    format!("/wxcomponent/admin/{route}")
}

async fn commit(app: &TestApp, jwt: &str, template_id: &str, version: &str) {
    let body = json!({"templateId": template_id, "extJson": "{}", "userVersion": version});
    let answer = app.post(&path("commit-code"), jwt, body).await;
    assert_eq!(answer["code"], 0, "{answer}");
}

async fn submit(app: &TestApp, jwt: &str) -> Value {
    let body = json!({"itemList": [{"address": "pages/index/index", "tag": "工具",
        "firstClass": "工具", "secondClass": "效率", "firstId": 287, "secondId": 616,
        "title": "首页"}]});
    app.post(&path("submit-audit"), jwt, body).await
}

async fn decide(app: &TestApp, status: i64, reason: &str) {
    let decided = app
        .sim
        .control(
            "/__sim/wxa/audit",
            json!({"appid": APPID, "status": status, "reason": reason, "screenshot": "m1|m2"}),
        )
        .await;
    assert_eq!(decided["errcode"], 0, "{decided}");
}

#[track_caller]
fn assert_wechat_refused(answer: &Value, errcode: i64) {
    assert_eq!(answer["code"], 1002, "{answer}");
    assert!(
        answer["data"]
            .as_str()
            .is_some_and(|d| d.starts_with(&format!("{errcode} "))),
        "WeChat's {errcode} in data: {answer}"
    );
}

#[track_caller]
fn assert_invalid(answer: &Value, field: &str) {
    assert_eq!(answer["code"], 1001, "{answer}");
    assert!(
        answer["errorMsg"]
            .as_str()
            .is_some_and(|m| m.contains(field)),
        "{field} named: {answer}"
    );
}

fn guide() -> Value {
    json!({
        "appid": APPID,
        "settingList": [
            {"privacyKey": "UserInfo", "privacyText": "展示会员头像和昵称"},
            {"privacyKey": "Location", "privacyText": "计算到门店的距离"},
        ],
        "ownerSetting": {"contactPhone": "13800000000", "noticeMethod": "弹窗"},
    })
}

#[tokio::test]
async fn a_promise_not_to_use_the_privacy_interfaces_stands_in_for_the_guide() {
    let (app, jwt) = managed_app().await;
    commit(&app, &jwt, "2", "1.1.0").await;
    assert_wechat_refused(&submit(&app, &jwt).await, 61040);
    let body = json!({"privacyApiNotUse": true});
    let answer = app.post(&path("submit-audit"), &jwt, body).await;
    assert_eq!(answer["code"], 0, "{answer}");
    let versions = app.get(&path("dev-versions"), &jwt).await;
    assert_eq!(
        versions["data"]["auditInfo"]["status"], 2,
        "under review: {versions}"
    );
}

#[tokio::test]
async fn code_using_privacy_keys_is_audited_only_once_the_guide_covers_them() {
    let (app, jwt) = managed_app().await;
    // Template 2's code uses UserInfo and Location.
    commit(&app, &jwt, "2", "1.1.0").await;

    let privacy = app.get(&path("privacy-setting"), &jwt).await;
    assert_eq!(privacy["code"], 0, "{privacy}");
    let data = &privacy["data"];
    assert_eq!(data["codeExist"], 1);
    assert_eq!(data["privacyList"], json!(["UserInfo", "Location"]));
    assert_eq!(data["settingList"][0]["privacyKey"], "UserInfo");
    assert_eq!(data["settingList"][0]["privacyText"], "");
    assert_eq!(data["settingList"][1]["privacyLabel"], "位置信息");
    assert_eq!(data["updateTime"], 0);
    assert_eq!(data["ownerSetting"]["contactPhone"], "");
    assert!(data["ownerSetting"]["extFileMediaId"].is_string());
    let desc = data["privacyDesc"].as_array().expect("privacyDesc");
    assert!(desc.contains(&json!({"privacyKey": "PhoneNumber", "privacyDesc": "手机号"})));

    assert_wechat_refused(&submit(&app, &jwt).await, 61040);

    let set = app.post(&admin("privacy-setting"), &jwt, guide()).await;
    assert_eq!(set, json!({"code": 0, "errorMsg": "OK", "data": {}}));
    let privacy = app
        .get(&format!("{}&privacyVer=2", path("privacy-setting")), &jwt)
        .await;
    let data = &privacy["data"];
    assert_eq!(data["settingList"][1]["privacyText"], "计算到门店的距离");
    assert_eq!(data["ownerSetting"]["contactPhone"], "13800000000");
    assert_eq!(data["ownerSetting"]["noticeMethod"], "弹窗");
    assert!(data["updateTime"].as_i64().unwrap() > 0);

    let answer = submit(&app, &jwt).await;
    assert_eq!(answer["code"], 0, "{answer}");
    assert!(answer["data"]["auditId"].as_i64().unwrap() > 0);

    // Released, the guide is the live one.
    decide(&app, 0, "").await;
    assert_eq!(
        app.post(&path("release-code"), &jwt, json!({})).await["code"],
        0
    );
    let live = app
        .get(&format!("{}&privacyVer=1", path("privacy-setting")), &jwt)
        .await;
    assert_eq!(
        live["data"]["settingList"][0]["privacyText"],
        "展示会员头像和昵称"
    );
    // privacyVer 1 edits the live owner only.
    let owner = json!({"appid": APPID, "privacyVer": 1,
        "ownerSetting": {"contactEmail": "owner@example.com", "noticeMethod": "公告"}});
    let answer = app.post(&admin("privacy-setting"), &jwt, owner).await;
    assert_eq!(answer["code"], 0, "{answer}");
    let live = app
        .get(&format!("{}&privacyVer=1", path("privacy-setting")), &jwt)
        .await;
    assert_eq!(
        live["data"]["ownerSetting"]["contactEmail"],
        "owner@example.com"
    );
}

#[tokio::test]
async fn bad_privacy_input_is_1001_naming_the_field_and_wechat_is_not_called() {
    let (app, jwt) = managed_app().await;
    let with = |patch: Value| {
        let mut body = guide();
        for (k, v) in patch.as_object().expect("a patch object") {
            body[k] = v.clone();
        }
        body
    };
    let cases = [
        (
            with(json!({"ownerSetting": {"noticeMethod": "弹窗"}})),
            "ownerSetting",
        ),
        (
            with(json!({"ownerSetting": {"contactQq": "10000"}})),
            "ownerSetting.noticeMethod",
        ),
        (
            with(json!({"settingList": [{"privacyText": "x"}]})),
            "settingList[0].privacyKey",
        ),
        (
            with(json!({"settingList": [{"privacyKey": "UserInfo", "privacyText": " "}]})),
            "settingList[0].privacyText",
        ),
        (with(json!({"privacyVer": 3})), "privacyVer"),
        (with(json!({"privacyVer": 1})), "settingList"),
        (with(json!({"appid": ""})), "appid"),
        (with(json!({"appid": "wx bad"})), "appid"),
        (with(json!({"settingList": "UserInfo"})), "settingList"),
    ];
    for (body, field) in cases {
        let answer = app
            .post(&admin("privacy-setting"), &jwt, body.clone())
            .await;
        assert_invalid(&answer, field);
    }
    for query in ["privacyVer=3", "privacyVer=x"] {
        let answer = app
            .get(&format!("{}&{query}", path("privacy-setting")), &jwt)
            .await;
        assert_invalid(&answer, "privacyVer");
    }
    assert_invalid(&app.get(&admin("privacy-setting"), &jwt).await, "appid");
    assert_eq!(app.sim.count(SET_PRIVACY), 0);
    assert_eq!(app.sim.count(GET_PRIVACY), 0);
}

async fn upload(app: &TestApp, jwt: &str, name: &str, bytes: Vec<u8>) -> Value {
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
    );
    let response = app
        .client
        .post(app.url(&path("upload-privacy-file")))
        .bearer_auth(jwt)
        .multipart(form)
        .send()
        .await
        .expect("upload sent");
    assert_eq!(response.status().as_u16(), 200);
    response.json().await.expect("upload answer JSON")
}

#[tokio::test]
async fn a_custom_guide_file_is_uploaded_and_becomes_the_guides() {
    let (app, jwt) = managed_app().await;
    let answer = upload(
        &app,
        &jwt,
        "privacy.txt",
        "隐私保护指引".as_bytes().to_vec(),
    )
    .await;
    assert_eq!(answer["code"], 0, "{answer}");
    let media_id = answer["data"]["extFileMediaId"]
        .as_str()
        .expect("extFileMediaId")
        .to_string();
    assert!(!media_id.is_empty());

    assert_invalid(
        &upload(&app, &jwt, "privacy.pdf", b"%PDF".to_vec()).await,
        "file",
    );
    assert_invalid(
        &upload(&app, &jwt, "privacy.txt", vec![b'a'; 100 * 1024 + 1]).await,
        "file",
    );
    assert_invalid(&upload(&app, &jwt, "privacy.txt", Vec::new()).await, "file");
    assert_eq!(app.sim.count(UPLOAD_PRIVACY), 1, "only the good file went");

    let mut body = guide();
    body["ownerSetting"]["extFileMediaId"] = json!(media_id);
    let answer = app.post(&admin("privacy-setting"), &jwt, body).await;
    assert_eq!(answer["code"], 0, "{answer}");
    let privacy = app.get(&path("privacy-setting"), &jwt).await;
    assert_eq!(
        privacy["data"]["ownerSetting"]["extFileMediaId"],
        media_id.as_str()
    );
    // WeChat's refusal of an id it never gave: 86073.
    let mut body = guide();
    body["ownerSetting"]["extFileMediaId"] = json!("1234567890123456789");
    assert_wechat_refused(
        &app.post(&admin("privacy-setting"), &jwt, body).await,
        86073,
    );
}

async fn register(app: &TestApp, wechatid: &str) {
    let answer = app
        .sim
        .control("/__sim/wechat-users", json!({ "wechatid": wechatid }))
        .await;
    assert_eq!(answer["errcode"], 0, "{answer}");
}

async fn members(app: &TestApp, jwt: &str) -> Vec<Value> {
    let answer = app.get(&path("testers"), jwt).await;
    assert_eq!(answer["code"], 0, "{answer}");
    answer["data"]["members"]
        .as_array()
        .expect("members")
        .clone()
}

#[tokio::test]
async fn testers_are_bound_listed_and_unbound_with_wechats_refusals() {
    let (app, jwt) = managed_app().await;
    register(&app, "shop_owner_01").await;
    register(&app, "shop_clerk_02").await;
    assert!(members(&app, &jwt).await.is_empty());

    let bind = |wechatid: &str| json!({"appid": APPID, "wechatid": wechatid});
    let owner = app
        .post(&admin("bind-tester"), &jwt, bind("shop_owner_01"))
        .await;
    assert_eq!(owner["code"], 0, "{owner}");
    let owner_str = owner["data"]["userstr"]
        .as_str()
        .expect("userstr")
        .to_string();
    let clerk = app
        .post(&admin("bind-tester"), &jwt, bind("shop_clerk_02"))
        .await;
    assert_eq!(clerk["code"], 0, "{clerk}");
    assert_eq!(
        members(&app, &jwt).await,
        vec![
            json!({ "userstr": owner_str }),
            json!({"userstr": clerk["data"]["userstr"]})
        ]
    );

    assert_wechat_refused(
        &app.post(&admin("bind-tester"), &jwt, bind("shop_owner_01"))
            .await,
        85004,
    );
    assert_wechat_refused(
        &app.post(&admin("bind-tester"), &jwt, bind("nobody_at_all"))
            .await,
        85001,
    );

    // Exactly one of wechatid and userstr.
    for body in [
        json!({"appid": APPID}),
        json!({"appid": APPID, "wechatid": "shop_clerk_02", "userstr": owner_str}),
        json!({"appid": APPID, "wechatid": " "}),
    ] {
        assert_invalid(
            &app.post(&admin("unbind-tester"), &jwt, body).await,
            "wechatid",
        );
    }
    assert_invalid(
        &app.post(&admin("bind-tester"), &jwt, json!({"appid": APPID}))
            .await,
        "wechatid",
    );
    assert_invalid(
        &app.post(&admin("bind-tester"), &jwt, json!({"wechatid": "x"}))
            .await,
        "appid",
    );
    assert_eq!(app.sim.count("/wxa/unbind_tester"), 0);

    let by_userstr = json!({"appid": APPID, "userstr": owner_str});
    let answer = app.post(&admin("unbind-tester"), &jwt, by_userstr).await;
    assert_eq!(answer, json!({"code": 0, "errorMsg": "OK", "data": {}}));
    let by_id = json!({"appid": APPID, "wechatid": "shop_clerk_02"});
    let answer = app.post(&admin("unbind-tester"), &jwt, by_id.clone()).await;
    assert_eq!(answer["code"], 0, "{answer}");
    assert!(members(&app, &jwt).await.is_empty());
    // Not a member any more: WeChat's -1.
    assert_wechat_refused(&app.post(&admin("unbind-tester"), &jwt, by_id).await, -1);
}

#[tokio::test]
async fn the_member_limits_of_a_mini_program_and_of_a_user_are_wechats_refusals() {
    let sim = Sim::start_with(wxsim::SimSettings {
        tester_limit: 1,
        tester_weapp_limit: 1,
        ..wxsim::testing::settings("http://127.0.0.1:9")
    })
    .await;
    let app = TestApp::spawn_on(sim, Arc::new(TestDatabase::new()), &[]).await;
    let (app, jwt) = managed(app).await;
    app.seed_authorizer("wxsecondmini00002", true).await;
    register(&app, "member_a").await;
    register(&app, "member_b").await;
    let bind = |appid: &str, wechatid: &str| json!({"appid": appid, "wechatid": wechatid});
    let answer = app
        .post(&admin("bind-tester"), &jwt, bind(APPID, "member_a"))
        .await;
    assert_eq!(answer["code"], 0, "{answer}");
    assert_wechat_refused(
        &app.post(&admin("bind-tester"), &jwt, bind(APPID, "member_b"))
            .await,
        85002,
    );
    assert_wechat_refused(
        &app.post(
            &admin("bind-tester"),
            &jwt,
            bind("wxsecondmini00002", "member_a"),
        )
        .await,
        85003,
    );
}

#[tokio::test]
async fn an_earlier_audit_keeps_its_status_and_submissions_spend_the_quota() {
    let (app, jwt) = managed_app().await;
    let quota = app.get(&path("audit-quota"), &jwt).await;
    assert_eq!(quota["code"], 0, "{quota}");
    let limit = quota["data"]["limit"].as_i64().expect("limit");
    assert_eq!(
        quota["data"],
        json!({"rest": limit, "limit": limit, "speedupRest": 10, "speedupLimit": 10})
    );

    commit(&app, &jwt, "1", "1.0.0").await;
    let first = submit(&app, &jwt).await["data"]["auditId"]
        .as_i64()
        .expect("auditId");
    decide(&app, 1, "帐号信息不合规范").await;
    let second = submit(&app, &jwt).await["data"]["auditId"]
        .as_i64()
        .expect("auditId");
    assert_eq!(
        app.post(&path("speed-up-audit"), &jwt, json!({})).await["code"],
        0
    );
    let quota = app.get(&path("audit-quota"), &jwt).await;
    assert_eq!(quota["data"]["rest"], limit - 2);
    assert_eq!(quota["data"]["speedupRest"], 9);

    let status = |id: i64| format!("{}&auditId={id}", path("audit-status"));
    let earlier = app.get(&status(first), &jwt).await;
    assert_eq!(earlier["code"], 0, "{earlier}");
    assert_eq!(earlier["data"]["auditId"], first);
    assert_eq!(earlier["data"]["status"], 1);
    assert_eq!(earlier["data"]["reason"], "帐号信息不合规范");
    assert_eq!(earlier["data"]["screenShot"], "m1|m2");
    let latest = app.get(&status(second), &jwt).await;
    assert_eq!(latest["data"]["status"], 2);
    assert_eq!(latest["data"]["userVersion"], "1.0.0");
    assert!(latest["data"]["submitAuditTime"].as_i64().unwrap() > 0);
    assert_wechat_refused(&app.get(&status(1), &jwt).await, 85012);

    let calls = app.sim.count("/wxa/get_auditstatus");
    for query in ["", "&auditId=x", "&auditId=0"] {
        let answer = app
            .get(&format!("{}{query}", path("audit-status")), &jwt)
            .await;
        assert_invalid(&answer, "auditId");
    }
    assert_eq!(app.sim.count("/wxa/get_auditstatus"), calls);
}

async fn plan(app: &TestApp, jwt: &str) -> Value {
    let answer = app.get(&path("gray-release-plan"), jwt).await;
    assert_eq!(answer["code"], 0, "{answer}");
    answer["data"].clone()
}

async fn gray(app: &TestApp, jwt: &str, body: Value) -> Value {
    let mut body = body;
    body["appid"] = json!(APPID);
    app.post(&admin("gray-release"), jwt, body).await
}

#[tokio::test]
async fn a_phased_release_goes_up_is_reverted_and_is_finished_by_the_release() {
    let (app, jwt) = managed_app().await;
    assert_eq!(
        plan(&app, &jwt).await,
        json!({"status": 0, "createTimestamp": 0, "grayPercentage": 0,
               "supportExperiencerFirst": false, "supportDebugerFirst": false})
    );
    // Version 1.0.0 online, 2.0.0 approved.
    commit(&app, &jwt, "1", "1.0.0").await;
    submit(&app, &jwt).await;
    decide(&app, 0, "").await;
    assert_eq!(
        app.post(&path("release-code"), &jwt, json!({})).await["code"],
        0
    );
    commit(&app, &jwt, "3", "2.0.0").await;
    submit(&app, &jwt).await;
    assert_wechat_refused(
        &gray(&app, &jwt, json!({"grayPercentage": 10})).await,
        85080,
    );
    decide(&app, 0, "").await;

    let answer = gray(
        &app,
        &jwt,
        json!({"grayPercentage": 10, "supportExperiencerFirst": true}),
    )
    .await;
    assert_eq!(answer, json!({"code": 0, "errorMsg": "OK", "data": {}}));
    let running = plan(&app, &jwt).await;
    assert_eq!(running["status"], 1);
    assert_eq!(running["grayPercentage"], 10);
    assert_eq!(running["supportExperiencerFirst"], true);
    assert!(running["createTimestamp"].as_i64().unwrap() > 0);
    assert_wechat_refused(&gray(&app, &jwt, json!({"grayPercentage": 5})).await, 85082);
    // The console may send the number as a string.
    let answer = gray(&app, &jwt, json!({"grayPercentage": "50"})).await;
    assert_eq!(answer["code"], 0, "{answer}");
    assert_eq!(plan(&app, &jwt).await["grayPercentage"], 50);

    let revert = json!({ "appid": APPID });
    let answer = app
        .post(&admin("revert-gray-release"), &jwt, revert.clone())
        .await;
    assert_eq!(answer["code"], 0, "{answer}");
    assert_eq!(plan(&app, &jwt).await["status"], 4);
    assert_wechat_refused(
        &app.post(&admin("revert-gray-release"), &jwt, revert).await,
        85021,
    );

    assert_eq!(
        gray(&app, &jwt, json!({"grayPercentage": 20})).await["code"],
        0
    );
    assert_eq!(
        app.post(&path("release-code"), &jwt, json!({})).await["code"],
        0
    );
    assert_eq!(plan(&app, &jwt).await["status"], 3);
    let versions = app.get(&path("dev-versions"), &jwt).await;
    assert_eq!(versions["data"]["releaseInfo"]["releaseVersion"], "2.0.0");

    // Bad input never reaches WeChat.
    let calls = app.sim.count("/wxa/grayrelease");
    for body in [
        json!({"grayPercentage": 101}),
        json!({"grayPercentage": 0}),
        json!({"grayPercentage": -5}),
        json!({"grayPercentage": "x"}),
        json!({}),
    ] {
        assert_invalid(&gray(&app, &jwt, body).await, "grayPercentage");
    }
    assert_invalid(
        &app.post(&admin("revert-gray-release"), &jwt, json!({}))
            .await,
        "appid",
    );
    assert_eq!(app.sim.count("/wxa/grayrelease"), calls);
}
