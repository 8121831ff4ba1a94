//! The user's own release flow (their document "004", the seed of this: 草稿箱 → 模板 →
//! 提交代码 with `ext_json` → 设置第三方平台服务器域名 → 配置小程序服务器域名 →
//! 设置小程序用户隐私保护指引 → 提交审核 → 发布) walked through the console
//! routes against wxsim for one mini program, each step checked in WeChat's
//! own state afterwards.

use crate::devweapp::{managed_app, path, APPID};
use crate::support::TestApp;
use serde_json::{json, Value};

/// `/wxcomponent/admin/{route}`.
pub(crate) fn admin(route: &str) -> String {
    format!("/wxcomponent/admin/{route}")
}

/// `data` of a successful answer (fails the test on any other code).
#[track_caller]
pub(crate) fn data(answer: &Value) -> &Value {
    assert_eq!(answer["code"], 0, "{answer}");
    &answer["data"]
}

async fn sim_state(app: &TestApp) -> Value {
    reqwest::get(format!("{}/__sim/state", app.sim.base_url))
        .await
        .expect("wxsim state")
        .json()
        .await
        .expect("wxsim state JSON")
}

#[tokio::test]
async fn a_draft_reaches_a_merchants_mini_program_released_with_domains_and_privacy_guide() {
    let (app, jwt) = managed_app().await;

    // 草稿箱 → 模板库: the developer's upload becomes a template.
    let drafts = app.get(&admin("draft-list"), &jwt).await;
    let draft = data(&drafts)["draftList"][0].clone();
    let version = draft["userVersion"]
        .as_str()
        .expect("draft version")
        .to_string();
    let answer = app
        .post(
            &admin("add-to-template"),
            &jwt,
            json!({"draftId": draft["draftId"], "templateType": 0}),
        )
        .await;
    data(&answer);
    let library = app.get(&admin("template-list"), &jwt).await;
    let template = data(&library)["templateList"]
        .as_array()
        .expect("templates")
        .iter()
        .find(|t| t["userVersion"] == version.as_str())
        .cloned()
        .expect("the draft is in the library");

    // 提交代码 with ext_json naming the merchant (extAppid) and its settings.
    let ext_json = json!({"extEnable": true, "extAppid": APPID, "directCommit": false,
        "ext": {"host_url": "https://api.example.com"}})
    .to_string();
    let answer = app
        .post(
            &path("commit-code"),
            &jwt,
            json!({"templateId": template["templateId"], "extJson": ext_json,
                "userVersion": version, "userDesc": "会员页上线"}),
        )
        .await;
    data(&answer);

    // 配置小程序服务器域名 before the platform's: WeChat filters it out.
    let mini_domains = json!({"appid": APPID, "action": "set",
        "requestDomain": ["https://api.example.com"], "uploadDomain": ["https://api.example.com"]});
    let refused = app
        .post(&admin("server-domain"), &jwt, mini_domains.clone())
        .await;
    assert_eq!(refused["code"], 1002, "{refused}");
    // 设置第三方平台服务器域名, then the mini program's.
    let platform = app
        .post(
            &admin("platform-server-domain"),
            &jwt,
            json!({"action": "add", "domains": ["api.example.com"], "publishedTogether": true}),
        )
        .await;
    assert_eq!(data(&platform)["published"], json!(["api.example.com"]));
    let set = app.post(&admin("server-domain"), &jwt, mini_domains).await;
    assert_eq!(
        data(&set)["requestDomain"],
        json!(["https://api.example.com"])
    );

    // 设置小程序用户隐私保护指引 for every key the committed code uses.
    let privacy = app.get(&path("privacy-setting"), &jwt).await;
    let used = data(&privacy)["privacyList"].clone();
    let keys: Vec<&str> = used
        .as_array()
        .expect("privacyList")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(!keys.is_empty(), "the draft's code uses privacy interfaces");
    let setting_list: Vec<Value> = keys
        .iter()
        .map(|k| json!({"privacyKey": k, "privacyText": "为会员提供服务"}))
        .collect();
    let answer = app
        .post(
            &admin("privacy-setting"),
            &jwt,
            json!({"appid": APPID, "privacyVer": 2, "settingList": setting_list,
                "ownerSetting": {"contactEmail": "ops@example.com", "noticeMethod": "弹窗"}}),
        )
        .await;
    data(&answer);

    // 提交审核, WeChat's reviewers approve, 发布.
    let submitted = app.post(&path("submit-audit"), &jwt, json!({})).await;
    let audit_id = data(&submitted)["auditId"].as_i64().expect("auditId");
    let decided = app
        .sim
        .control("/__sim/wxa/audit", json!({"appid": APPID, "status": 0}))
        .await;
    assert_eq!(decided["errcode"], 0, "{decided}");
    let status = app
        .get(
            &format!("{}&auditId={audit_id}", path("audit-status")),
            &jwt,
        )
        .await;
    assert_eq!(data(&status)["status"], 0, "approved");
    data(&app.post(&path("release-code"), &jwt, json!({})).await);

    // The merchant's mini program is online with all of it.
    let versions = app.get(&path("dev-versions"), &jwt).await;
    assert_eq!(
        data(&versions)["releaseInfo"]["releaseVersion"],
        version.as_str()
    );
    let effective = app.get(&path("effective-domain"), &jwt).await;
    assert_eq!(
        data(&effective)["effectiveDomain"]["requestDomain"],
        json!(["https://api.example.com"]),
        "the released mini program may call its server"
    );
    let live = app
        .get(&format!("{}&privacyVer=1", path("privacy-setting")), &jwt)
        .await;
    let live_keys: Vec<&Value> = data(&live)["settingList"]
        .as_array()
        .expect("live settingList")
        .iter()
        .map(|s| &s["privacyKey"])
        .collect();
    assert_eq!(live_keys.len(), keys.len(), "the guide went live: {live}");
    let state = sim_state(&app).await;
    let code = &state["accounts"]["accounts"][APPID]["code"];
    assert_eq!(code["release"]["user_version"], version.as_str(), "{code}");
    let committed: Value = serde_json::from_str(
        code["exp"]["ext_json"]
            .as_str()
            .expect("ext_json kept as WeChat got it"),
    )
    .expect("ext_json is JSON");
    assert_eq!(committed["extAppid"], APPID);
}
