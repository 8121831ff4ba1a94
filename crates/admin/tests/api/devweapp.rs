//! Managed mini programs: the code → audit → release cycle through
//! wxcomponent's routes against wxsim.

use crate::support::TestApp;
use common::db::schema::authorizers;
use diesel::prelude::*;
use serde_json::{json, Value};

/// The managed mini program of these tests (and of `miniprogram`'s).
pub(crate) const APPID: &str = "wxmanagedmini00001";

/// An admin whose [`APPID`] granted permission set 18, and a login.
pub(crate) async fn managed_app() -> (TestApp, String) {
    managed_app_with(&[]).await
}

async fn managed_app_with(overrides: &[(&str, &str)]) -> (TestApp, String) {
    managed(TestApp::spawn_with(overrides).await).await
}

/// Seeds `app` with a ticket, [`APPID`] (permission set 18) and an official
/// account, and logs in.
pub(crate) async fn managed(app: TestApp) -> (TestApp, String) {
    app.seed_ticket().await;
    app.seed_authorizer(APPID, true).await;
    app.seed_authorizer("wxofficialacct0001", false).await;
    app.db()
        .run(|conn| {
            diesel::update(authorizers::table.filter(authorizers::appid.eq(APPID)))
                .set(authorizers::funcinfo.eq("1|17|18"))
                .execute(conn)?;
            Ok(())
        })
        .await
        .expect("test set-up");
    let jwt = app.login().await;
    (app, jwt)
}

/// `/wxcomponent/admin/{route}?appid=APPID`.
pub(crate) fn path(route: &str) -> String {
    format!("/wxcomponent/admin/{route}?appid={APPID}")
}

#[tokio::test]
async fn the_code_audit_release_cycle_works_through_the_console_routes() {
    let (app, jwt) = managed_app().await;

    let list = app
        .get("/wxcomponent/admin/dev-weapp-list?offset=0&limit=15", &jwt)
        .await;
    assert_eq!(list["code"], 0, "{list}");
    assert_eq!(list["data"]["total"], 1, "only mini programs with set 18");
    let record = &list["data"]["records"][0];
    assert_eq!(record["appid"], APPID);
    assert_eq!(record["funcInfo"], json!([1, 17, 18]));
    assert!(record.get("releaseInfo").is_none());

    let templates = app
        .get("/wxcomponent/admin/template-list?templateType=0", &jwt)
        .await;
    assert_eq!(templates["code"], 0, "{templates}");
    let list = templates["data"]["templateList"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["templateId"], 1);
    assert!(list[0]["userVersion"].is_string());
    assert!(list[0]["sourceMiniprogramAppid"].is_string());
    assert_eq!(
        app.get("/wxcomponent/admin/template-list", &jwt).await["data"]["templateList"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    let answer = app
        .post(
            &path("commit-code"),
            &jwt,
            json!({"templateId": "1", "extJson": "{}", "userVersion": "1.0.0", "userDesc": "first"}),
        )
        .await;
    assert_eq!(answer["code"], 0, "{answer}");
    let pages = app.get(&path("page-list"), &jwt).await;
    assert!(pages["data"]["pageList"]
        .as_array()
        .unwrap()
        .contains(&json!("pages/index/index")));
    let categories = app.get(&path("category"), &jwt).await;
    assert_eq!(categories["data"]["categoryList"][0]["firstClass"], "工具");
    assert_eq!(categories["data"]["categoryList"][0]["firstId"], 287);

    let versions = app.get(&path("dev-versions"), &jwt).await;
    assert_eq!(versions["code"], 0, "{versions}");
    assert_eq!(versions["data"]["expInfo"]["expVersion"], "1.0.0");
    assert!(!versions["data"]["expInfo"]["expQrCode"]
        .as_str()
        .unwrap()
        .is_empty());
    assert!(
        versions["data"].get("auditInfo").is_none(),
        "no audit yet: {versions}"
    );

    let submit = json!({
        "itemList": [{"address": "pages/index/index", "tag": "工具", "firstClass": "工具",
                      "secondClass": "效率", "firstId": 287, "secondId": 616, "title": "首页"}],
        "versionDesc": "v1",
    });
    let answer = app.post(&path("submit-audit"), &jwt, submit.clone()).await;
    assert_eq!(answer["code"], 0, "{answer}");
    assert!(answer["data"]["auditId"].as_i64().unwrap() > 0);
    assert_eq!(
        app.post(&path("speed-up-audit"), &jwt, json!({})).await["code"],
        0
    );
    let versions = app.get(&path("dev-versions"), &jwt).await;
    assert_eq!(
        versions["data"]["auditInfo"]["status"], 2,
        "pending: {versions}"
    );
    assert_eq!(versions["data"]["auditInfo"]["userVersion"], "1.0.0");

    assert_eq!(
        app.post(&path("revoke-audit"), &jwt, json!({})).await["code"],
        0
    );
    let answer = app.post(&path("submit-audit"), &jwt, submit).await;
    assert_eq!(answer["code"], 0, "{answer}");
    let decided = app
        .sim
        .control("/__sim/wxa/audit", json!({"appid": APPID, "status": 0}))
        .await;
    assert_eq!(decided["errcode"], 0, "{decided}");

    assert_eq!(
        app.post(&path("release-code"), &jwt, json!({})).await["code"],
        0
    );
    let versions = app.get(&path("dev-versions"), &jwt).await;
    assert_eq!(versions["data"]["releaseInfo"]["releaseVersion"], "1.0.0");
    assert!(!versions["data"]["releaseInfo"]["releaseQrCode"]
        .as_str()
        .unwrap()
        .is_empty());
    let qrcode = app.get(&path("qrcode"), &jwt).await;
    assert!(
        qrcode["data"]["releaseQrCode"]
            .as_str()
            .unwrap()
            .starts_with("/9j/"),
        "a JPEG"
    );

    assert_eq!(
        app.post(
            &path("change-visit-status"),
            &jwt,
            json!({"action": "close"})
        )
        .await["code"],
        0
    );
    let list = app.get("/wxcomponent/admin/dev-weapp-list", &jwt).await;
    assert_eq!(list["data"]["records"][0]["serviceStatus"], 0);
    assert_eq!(
        list["data"]["records"][0]["releaseInfo"]["releaseVersion"],
        "1.0.0"
    );
    assert_eq!(
        app.post(
            &path("change-visit-status"),
            &jwt,
            json!({"action": "open"})
        )
        .await["code"],
        0
    );
    let list = app.get("/wxcomponent/admin/dev-weapp-list", &jwt).await;
    assert_eq!(list["data"]["records"][0]["serviceStatus"], 1);

    // Nothing to roll back to: WeChat refuses and its error is passed on.
    let answer = app
        .post(&path("rollback-release-version"), &jwt, json!({}))
        .await;
    assert_eq!(answer["code"], 1002, "{answer}");
    assert!(answer["data"].as_str().unwrap().starts_with("87012 "));
}

#[tokio::test]
async fn a_draft_becomes_a_template_that_commits_and_is_deleted() {
    let (app, jwt) = managed_app().await;
    // A development mini program uploads code to the platform's 草稿箱.
    let uploaded = app
        .sim
        .control(
            "/__sim/wxa/draft",
            json!({"user_version": "3.0.0", "user_desc": "新版首页", "pages": ["pages/home/home"]}),
        )
        .await;
    let draft_id = uploaded["draft_id"].as_i64().expect("draft_id");

    let drafts = app.get("/wxcomponent/admin/draft-list", &jwt).await;
    assert_eq!(drafts["code"], 0, "{drafts}");
    let list = drafts["data"]["draftList"].as_array().expect("draftList");
    let draft = list
        .iter()
        .find(|d| d["draftId"] == draft_id)
        .expect("the uploaded draft is listed");
    assert_eq!(draft["userVersion"], "3.0.0");
    assert_eq!(draft["userDesc"], "新版首页");
    assert!(draft["createTime"].as_i64().is_some(), "{draft}");

    // The console sends ids as strings.
    let added = app
        .post(
            "/wxcomponent/admin/add-to-template",
            &jwt,
            json!({"draftId": draft_id.to_string()}),
        )
        .await;
    assert_eq!(added["code"], 0, "{added}");
    let templates = app.get("/wxcomponent/admin/template-list", &jwt).await;
    let template = templates["data"]["templateList"]
        .as_array()
        .expect("templateList")
        .iter()
        .find(|t| t["userVersion"] == "3.0.0")
        .cloned()
        .expect("the new template is listed");
    assert_eq!(template["templateType"], 0);
    let template_id = template["templateId"].as_i64().expect("templateId");

    let committed = app
        .post(
            &path("commit-code"),
            &jwt,
            json!({"templateId": template_id.to_string(), "extJson": "{}", "userVersion": "3.0.0"}),
        )
        .await;
    assert_eq!(committed["code"], 0, "{committed}");
    let pages = app.get(&path("page-list"), &jwt).await;
    assert_eq!(pages["data"]["pageList"], json!(["pages/home/home"]));

    let deleted = app
        .post(
            "/wxcomponent/admin/delete-template",
            &jwt,
            json!({"templateId": template_id}),
        )
        .await;
    assert_eq!(deleted["code"], 0, "{deleted}");
    // WeChat's refusals are 1002 with errcode and errmsg in data.
    let again = app
        .post(
            "/wxcomponent/admin/delete-template",
            &jwt,
            json!({"templateId": template_id}),
        )
        .await;
    assert_eq!(again["code"], 1002, "{again}");
    assert!(
        again["data"].as_str().unwrap().starts_with("85064 "),
        "{again}"
    );
    let missing = app
        .post(
            "/wxcomponent/admin/add-to-template",
            &jwt,
            json!({"draftId": 999}),
        )
        .await;
    assert_eq!(missing["code"], 1002, "{missing}");
    assert!(
        missing["data"].as_str().unwrap().starts_with("85064 "),
        "{missing}"
    );

    // Bad input is refused before WeChat, naming the field.
    for (route, body, field) in [
        ("add-to-template", json!({}), "draftId"),
        ("add-to-template", json!({"draftId": "x"}), "draftId"),
        (
            "add-to-template",
            json!({"draftId": 1, "templateType": 2}),
            "templateType",
        ),
        ("delete-template", json!({"templateId": -1}), "templateId"),
    ] {
        let answer = app
            .post(&format!("/wxcomponent/admin/{route}"), &jwt, body.clone())
            .await;
        assert_eq!(answer["code"], 1001, "{route} {body}: {answer}");
        assert!(
            answer["data"].as_str().unwrap_or("").contains(field)
                || answer["errorMsg"].as_str().unwrap_or("").contains(field),
            "{route} {body}: {answer}"
        );
    }
    let list = app.get("/wxcomponent/admin/template-list", &jwt).await;
    assert!(!list["data"]["templateList"]
        .as_array()
        .expect("templateList")
        .iter()
        .any(|t| t["templateId"] == template_id));
}

#[tokio::test]
async fn every_managed_route_needs_an_appid() {
    let (app, jwt) = managed_app().await;
    let gets = ["dev-versions", "page-list", "category", "qrcode"];
    let posts = [
        "submit-audit",
        "revoke-audit",
        "speed-up-audit",
        "commit-code",
        "release-code",
        "change-visit-status",
        "rollback-release-version",
        "upload-media",
    ];
    for route in gets {
        let answer = app.get(&format!("/wxcomponent/admin/{route}"), &jwt).await;
        assert_eq!(answer["code"], 1001, "{route}: {answer}");
        assert!(
            answer["errorMsg"].as_str().unwrap().contains("appid"),
            "{answer}"
        );
    }
    for route in posts {
        let answer = app
            .post(&format!("/wxcomponent/admin/{route}"), &jwt, json!({}))
            .await;
        assert_eq!(answer["code"], 1001, "{route}: {answer}");
        assert!(
            answer["errorMsg"].as_str().unwrap().contains("appid"),
            "{answer}"
        );
    }
}

#[tokio::test]
async fn malformed_managed_requests_are_1001_naming_the_field() {
    let (app, jwt) = managed_app().await;
    let cases: [(&str, Value, &str); 5] = [
        ("commit-code", json!({"userVersion": "1"}), "templateId"),
        ("commit-code", json!({"templateId": "1"}), "userVersion"),
        (
            "commit-code",
            json!({"templateId": "1", "userVersion": "1", "extJson": "{"}),
            "extJson",
        ),
        ("change-visit-status", json!({"action": "pause"}), "action"),
        (
            "submit-audit",
            json!({"itemList": [{"firstId": "x"}]}),
            "itemList[0].firstId",
        ),
    ];
    for (route, body, field) in cases {
        let answer = app.post(&path(route), &jwt, body.clone()).await;
        assert_eq!(answer["code"], 1001, "{route} {body}: {answer}");
        assert!(
            answer["errorMsg"].as_str().unwrap().contains(field),
            "{answer}"
        );
    }
    for query in ["templateType=2", "templateType=x"] {
        let answer = app
            .get(&format!("/wxcomponent/admin/template-list?{query}"), &jwt)
            .await;
        assert_eq!(answer["code"], 1001, "{query}: {answer}");
    }
    let answer = app
        .get("/wxcomponent/admin/dev-weapp-list?limit=21", &jwt)
        .await;
    assert_eq!(answer["code"], 1001);
}

/// POSTs a multipart form with one `media` part to upload-media.
async fn upload(
    app: &TestApp,
    jwt: &str,
    media_type: &str,
    file_name: &str,
    bytes: Vec<u8>,
) -> Value {
    let form = reqwest::multipart::Form::new().part(
        "media",
        reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_string()),
    );
    let response = app
        .client
        .post(app.url(&format!(
            "/wxcomponent/admin/upload-media?appid={APPID}&type={media_type}"
        )))
        .bearer_auth(jwt)
        .multipart(form)
        .send()
        .await
        .expect("upload sent");
    assert_eq!(response.status().as_u16(), 200);
    response.json().await.expect("upload answer JSON")
}

#[tokio::test]
async fn wechat_refusals_are_1002_with_errcode_and_errmsg_in_data() {
    let (app, jwt) = managed_app().await;
    // An official account is not a mini program (WeChat 85015).
    let answer = app
        .get(
            "/wxcomponent/admin/page-list?appid=wxofficialacct0001",
            &jwt,
        )
        .await;
    assert_eq!(answer["code"], 1002, "{answer}");
    assert!(
        answer["data"].as_str().unwrap().starts_with("85015 "),
        "{answer}"
    );

    // Refusals of our own keep their codes: WeChat's 85058 (no audit yet)
    // means there is nothing to speed up.
    let answer = app.post(&path("speed-up-audit"), &jwt, json!({})).await;
    assert_eq!(answer["code"], 1008, "no audit to speed up: {answer}");

    // A second audit while one is pending: the console prints `data` for
    // 1002, so the operator reads WeChat's errcode and errmsg.
    let answer = app
        .post(
            &path("commit-code"),
            &jwt,
            json!({"templateId": "1", "extJson": "{}", "userVersion": "1.0.0", "userDesc": "d"}),
        )
        .await;
    assert_eq!(answer["code"], 0, "{answer}");
    let submit = json!({"itemList": [{"address": "pages/index/index", "tag": "工具",
        "firstClass": "工具", "secondClass": "效率", "firstId": 287, "secondId": 616,
        "title": "首页"}]});
    let answer = app.post(&path("submit-audit"), &jwt, submit.clone()).await;
    assert_eq!(answer["code"], 0, "{answer}");
    let answer = app.post(&path("submit-audit"), &jwt, submit).await;
    assert!(
        answer["data"]
            .as_str()
            .unwrap()
            .starts_with("85009 an audit is already pending (已经有正在审核的版本)"),
        "{answer}"
    );
    assert_eq!(answer["code"], 1002, "{answer}");
    let error_msg = answer["errorMsg"].as_str().unwrap();
    assert!(
        error_msg.starts_with("系统错误") && error_msg.contains("/wxa/submit_audit"),
        "{answer}"
    );

    // The same for calls answering an image or a media id.
    app.sim.fault(
        "/wxa/getwxacodeunlimit",
        json!({"errcode": 45009, "errmsg": "reach max api daily quota limit", "times": 1}),
    );
    let answer = app.get(&path("qrcode"), &jwt).await;
    assert_eq!(answer["code"], 1002, "{answer}");
    assert_eq!(answer["data"], "45009 reach max api daily quota limit");
    let answer = upload(&app, &jwt, "image", "a.bin", vec![1, 2, 3]).await;
    assert_eq!(answer["code"], 1002, "{answer}");
    assert!(
        answer["data"].as_str().unwrap().starts_with("40005 "),
        "{answer}"
    );
}

#[tokio::test]
async fn an_unreachable_wechat_is_still_1010() {
    let (app, jwt) = managed_app_with(&[("WXC__TOKENS__WECHAT_TIMEOUT_MS", "1000")]).await;
    for (route, wechat_path) in [
        ("page-list", "/wxa/get_page"),
        ("qrcode", "/wxa/getwxacodeunlimit"),
    ] {
        app.sim
            .fault(wechat_path, json!({"http_status": 502, "times": 1}));
        let answer = app.get(&path(route), &jwt).await;
        assert_eq!(answer["code"], 1010, "{route}: {answer}");
        assert!(
            answer["data"].as_str().unwrap().contains("502"),
            "{route}: {answer}"
        );
    }
    app.sim.fault(
        "/cgi-bin/media/upload",
        json!({"http_status": 503, "times": 1}),
    );
    let answer = upload(&app, &jwt, "image", "a.jpg", vec![0xFF, 0xD8, 0xFF, 0xD9]).await;
    assert_eq!(answer["code"], 1010, "{answer}");
    // A timeout is no refusal either.
    app.sim
        .fault("/wxa/get_page", json!({"delay_ms": 1500, "times": 1}));
    let answer = app.get(&path("page-list"), &jwt).await;
    assert_eq!(answer["code"], 1010, "{answer}");
}

#[tokio::test]
async fn media_uploads_reach_wechat_and_answer_the_media_id() {
    let (app, jwt) = managed_app().await;
    let answer = upload(&app, &jwt, "image", "a.jpg", vec![0xFF, 0xD8, 0xFF, 0xD9]).await;
    assert_eq!(answer["code"], 0, "{answer}");
    assert_eq!(answer["data"]["type"], "image");
    assert!(!answer["data"]["mediaId"].as_str().unwrap().is_empty());
    assert!(answer["data"]["createdAt"].as_i64().unwrap() > 0);
    assert_eq!(app.sim.count("/cgi-bin/media/upload"), 1);

    let response = app
        .client
        .post(app.url(&format!(
            "/wxcomponent/admin/upload-media?appid={APPID}&type=image"
        )))
        .bearer_auth(&jwt)
        .multipart(reqwest::multipart::Form::new().text("other", "x"))
        .send()
        .await
        .unwrap();
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["code"], 1001, "{answer}");
    assert!(answer["errorMsg"].as_str().unwrap().contains("media"));
    let answer = upload(&app, &jwt, "doc", "a.bin", vec![1]).await;
    assert_eq!(answer["code"], 1001, "{answer}");
    assert!(answer["errorMsg"].as_str().unwrap().contains("type"));
    assert_eq!(app.sim.count("/cgi-bin/media/upload"), 1);
}

#[tokio::test]
async fn videos_up_to_the_consoles_10_mb_are_uploaded() {
    let (app, jwt) = managed_app().await;
    const MB: usize = 1024 * 1024;
    // A 9 MB screen recording, then the console's own limit exactly.
    for size in [9 * MB, 10 * MB] {
        let answer = upload(&app, &jwt, "video", "recording.mp4", vec![7; size]).await;
        assert_eq!(answer["code"], 0, "{size} bytes: {answer}");
        assert_eq!(answer["data"]["type"], "video");
        assert!(!answer["data"]["mediaId"].as_str().unwrap().is_empty());
    }
    // Beyond it: refused before WeChat is called.
    let answer = upload(&app, &jwt, "video", "recording.mp4", vec![7; 10 * MB + 1]).await;
    assert_eq!(answer["code"], 1001, "{answer}");
    assert_eq!(app.sim.count("/cgi-bin/media/upload"), 2);
}

#[tokio::test]
async fn media_uploads_get_more_time_than_other_wechat_calls() {
    // Other calls time out after 1 s here (5 s by default); the upload has
    // its own 20 s, as wxcomponent's, so a slow upload still succeeds.
    let (app, jwt) = managed_app_with(&[("WXC__TOKENS__WECHAT_TIMEOUT_MS", "1000")]).await;
    app.sim.fault(
        "/cgi-bin/media/upload",
        json!({"delay_ms": 2000, "times": 1}),
    );
    let answer = upload(&app, &jwt, "video", "recording.mp4", vec![7; 1024 * 1024]).await;
    assert_eq!(answer["code"], 0, "{answer}");
    assert!(!answer["data"]["mediaId"].as_str().unwrap().is_empty());
    app.sim
        .fault("/wxa/get_page", json!({"delay_ms": 2000, "times": 1}));
    let answer = app.get(&path("page-list"), &jwt).await;
    assert_eq!(
        answer["code"], 1010,
        "the other calls keep their timeout: {answer}"
    );
}
