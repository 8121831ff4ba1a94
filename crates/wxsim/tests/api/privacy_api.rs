//! The user privacy guide of a managed mini program
//! (`/cgi-bin/component/{set,get}privacysetting`, `uploadprivacyextfile`)
//! and WeChat's refusal to audit code whose privacy keys the guide does not
//! cover, driven over HTTP.

use crate::support_account::{assert_errcode, Sim};
use crate::wxa_api::{wxa, Wxa};
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

const SET: &str = "/cgi-bin/component/setprivacysetting";
const GET: &str = "/cgi-bin/component/getprivacysetting";
const UPLOAD: &str = "/cgi-bin/component/uploadprivacyextfile";

fn owner() -> Value {
    json!({"contact_phone": "13800000000", "notice_method": "弹窗"})
}

fn guide(keys: &[&str]) -> Value {
    let list: Vec<Value> = keys
        .iter()
        .map(|k| json!({"privacy_key": k, "privacy_text": format!("{k} 用于下单")}))
        .collect();
    json!({"privacy_ver": 2, "owner_setting": owner(), "setting_list": list})
}

async fn upload(app: &Wxa<'_>, name: &str, bytes: Vec<u8>) -> Value {
    let form = Form::new().part("file", Part::bytes(bytes).file_name(name.to_string()));
    app.sim
        .client
        .post(format!(
            "{}{UPLOAD}?access_token={}",
            app.sim.base_url, app.token
        ))
        .multipart(form)
        .send()
        .await
        .expect("POST reaches wxsim")
        .json()
        .await
        .expect("a JSON answer")
}

#[tokio::test]
async fn code_using_privacy_keys_is_refused_at_submission_until_the_guide_covers_them() {
    let sim = Sim::start().await;
    let app = wxa(&sim);

    // Before any code: nothing used, nothing set.
    let empty = app.post(GET, json!({})).await;
    assert_errcode(&empty, 0);
    assert_eq!(empty["code_exist"], 0);
    assert_eq!(empty["privacy_list"], json!([]));
    assert_eq!(empty["setting_list"], json!([]));
    assert_eq!(empty["update_time"], 0);
    assert_eq!(empty["owner_setting"]["contact_phone"], "");

    // Template 2's code uses UserInfo and Location.
    assert_errcode(&app.commit(json!(2), "1.1.0").await, 0);
    let used = app.post(GET, json!({"privacy_ver": 2})).await;
    assert_eq!(used["code_exist"], 1);
    assert_eq!(used["privacy_list"], json!(["UserInfo", "Location"]));
    assert_eq!(
        used["setting_list"],
        json!([
            {"privacy_key": "UserInfo", "privacy_text": "", "privacy_label": "用户信息（微信昵称、头像）"},
            {"privacy_key": "Location", "privacy_text": "", "privacy_label": "位置信息"},
        ])
    );
    let refused = app.submit().await;
    assert_errcode(&refused, 61040);
    assert!(
        refused["errmsg"]
            .as_str()
            .unwrap()
            .contains("UserInfo/Location"),
        "{refused}"
    );

    // A guide covering one key is not enough.
    assert_errcode(&app.post(SET, guide(&["UserInfo"])).await, 0);
    let refused = app.submit().await;
    assert_errcode(&refused, 61040);
    assert!(
        refused["errmsg"].as_str().unwrap().contains("Location"),
        "{refused}"
    );
    assert!(
        !refused["errmsg"].as_str().unwrap().contains("UserInfo"),
        "{refused}"
    );

    assert_errcode(
        &app.post(SET, guide(&["UserInfo", "Location", "MyOwnKey"]))
            .await,
        0,
    );
    let set = app.post(GET, json!({})).await;
    assert_eq!(set["setting_list"][1]["privacy_text"], "Location 用于下单");
    assert_eq!(set["setting_list"][2]["privacy_key"], "MyOwnKey");
    assert_eq!(set["setting_list"][2]["privacy_label"], "");
    assert_eq!(set["owner_setting"]["notice_method"], "弹窗");
    assert!(set["update_time"].as_i64().unwrap() > 0);
    assert_errcode(&app.submit().await, 0);
}

#[tokio::test]
async fn privacy_api_not_use_declares_the_uncovered_keys_unused() {
    let sim = Sim::start().await;
    let app = wxa(&sim);
    app.commit(json!(2), "1.1.0").await;
    let declared = app
        .post("/wxa/submit_audit", json!({"privacy_api_not_use": true}))
        .await;
    assert_errcode(&declared, 0);
}

#[tokio::test]
async fn drafts_carry_their_privacy_keys_into_templates_and_code() {
    let sim = Sim::start().await;
    let draft = sim
        .post(
            "/__sim/wxa/draft",
            &json!({"user_version": "4.0.0", "privacy_keys": ["Camera"]}),
        )
        .await;
    let draft_id = draft["draft_id"].as_i64().expect("a draft id");
    let component = sim.component_token();
    let added = sim
        .post(
            &format!("/wxa/addtotemplate?access_token={component}"),
            &json!({ "draft_id": draft_id }),
        )
        .await;
    assert_errcode(&added, 0);
    let list = sim
        .get(&format!("/wxa/gettemplatelist?access_token={component}"))
        .await;
    let template_id = list["template_list"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["user_version"] == "4.0.0")
        .expect("the new template")["template_id"]
        .clone();
    let app = wxa(&sim);
    assert_errcode(&app.commit(template_id, "4.0.0").await, 0);
    assert_eq!(
        app.post(GET, json!({})).await["privacy_list"],
        json!(["Camera"])
    );
    assert_errcode(&app.submit().await, 61040);
}

#[tokio::test]
async fn setting_a_guide_checks_owner_version_and_items_as_wechat_does() {
    let sim = Sim::start().await;
    let app = wxa(&sim);
    let list = json!([{"privacy_key": "UserInfo", "privacy_text": "展示头像"}]);
    let cases = [
        (json!({"setting_list": list}), 86069),
        (
            json!({"setting_list": list, "owner_setting": {"notice_method": "弹窗"}}),
            86069,
        ),
        (
            json!({"setting_list": list, "owner_setting": {"contact_qq": "10000"}}),
            86070,
        ),
        (
            json!({"privacy_ver": 3, "setting_list": list, "owner_setting": owner()}),
            86071,
        ),
        (json!({"owner_setting": owner()}), 47001),
        (
            json!({"owner_setting": owner(), "setting_list": [{"privacy_key": "UserInfo"}]}),
            47001,
        ),
        (
            json!({"owner_setting": owner(), "setting_list": "UserInfo"}),
            47001,
        ),
        (
            json!({"setting_list": list, "owner_setting":
                {"contact_email": "a@b.c", "notice_method": "公告", "ext_file_media_id": "123"}}),
            86073,
        ),
        // No live guide yet.
        (json!({"privacy_ver": 1, "owner_setting": owner()}), 86074),
    ];
    for (body, code) in cases {
        assert_errcode(&app.post(SET, body).await, code);
    }
    assert_errcode(&app.post(GET, json!({"privacy_ver": 0})).await, 86071);
    let empty = sim
        .post_raw(&format!("{GET}?access_token={}", app.token), "")
        .await;
    assert_errcode(&empty, 44002);
    // Nothing was stored.
    assert_eq!(
        app.post(GET, json!({})).await["owner_setting"]["contact_phone"],
        ""
    );
}

#[tokio::test]
async fn the_development_guide_goes_live_with_the_next_release() {
    let sim = Sim::start().await;
    let app = wxa(&sim);
    app.commit(json!(2), "1.1.0").await;
    assert_errcode(&app.post(SET, guide(&["UserInfo", "Location"])).await, 0);
    let live = app.post(GET, json!({"privacy_ver": 1})).await;
    assert_eq!(live["update_time"], 0, "nothing live yet: {live}");

    assert_errcode(&app.submit().await, 0);
    assert_errcode(&app.decide(0).await, 0);
    assert_errcode(&app.release().await, 0);
    let live = app.post(GET, json!({"privacy_ver": 1})).await;
    assert_eq!(live["setting_list"][0]["privacy_key"], "UserInfo");
    assert_eq!(live["owner_setting"]["contact_phone"], "13800000000");

    // The live version's owner_setting can be edited directly, nothing else.
    let new_owner = json!({"contact_weixin": "shop-owner", "notice_method": "公告"});
    assert_errcode(
        &app.post(SET, json!({"privacy_ver": 1, "owner_setting": new_owner}))
            .await,
        0,
    );
    let live = app.post(GET, json!({"privacy_ver": 1})).await;
    assert_eq!(live["owner_setting"]["contact_weixin"], "shop-owner");
    assert_eq!(live["setting_list"][1]["privacy_key"], "Location");
    assert_errcode(
        &app.post(
            SET,
            json!({"privacy_ver": 1, "owner_setting": owner(), "setting_list": []}),
        )
        .await,
        47001,
    );
    let file = upload(&app, "guide.txt", b"privacy".to_vec()).await;
    let media_id = file["ext_file_media_id"].as_str().unwrap();
    let changed =
        json!({"contact_qq": "1", "notice_method": "公告", "ext_file_media_id": media_id});
    assert_errcode(
        &app.post(SET, json!({"privacy_ver": 1, "owner_setting": changed}))
            .await,
        86075,
    );
    // The development version is untouched by privacy_ver 1.
    let dev = app.post(GET, json!({"privacy_ver": 2})).await;
    assert_eq!(dev["owner_setting"]["contact_weixin"], "");
}

#[tokio::test]
async fn a_custom_guide_file_is_a_txt_of_at_most_100_kb() {
    let sim = Sim::start().await;
    let app = wxa(&sim);
    let answer = upload(&app, "guide.txt", vec![b'a'; 100 * 1024]).await;
    assert_errcode(&answer, 0);
    let media_id = answer["ext_file_media_id"].as_str().expect("a media id");
    assert!(
        media_id.len() == 19 && media_id.bytes().all(|b| b.is_ascii_digit()),
        "{media_id}"
    );
    assert_errcode(
        &upload(&app, "guide.txt", vec![b'a'; 100 * 1024 + 1]).await,
        40126,
    );
    assert_errcode(&upload(&app, "guide.pdf", b"%PDF".to_vec()).await, 40006);
    assert_errcode(&upload(&app, "guide.txt", Vec::new()).await, 44001);
    let no_file = sim
        .client
        .post(format!(
            "{}{UPLOAD}?access_token={}",
            sim.base_url, app.token
        ))
        .multipart(Form::new().text("media", "x"))
        .send()
        .await
        .expect("POST reaches wxsim")
        .json::<Value>()
        .await
        .expect("a JSON answer");
    assert_errcode(&no_file, 41005);

    // The file becomes the guide's.
    let owner =
        json!({"contact_phone": "1", "notice_method": "弹窗", "ext_file_media_id": media_id});
    let body = json!({"owner_setting": owner, "setting_list": [{"privacy_key": "UserInfo", "privacy_text": "头像"}]});
    assert_errcode(&app.post(SET, body).await, 0);
    assert_eq!(
        app.post(GET, json!({})).await["owner_setting"]["ext_file_media_id"],
        media_id
    );
}

#[tokio::test]
async fn the_answer_describes_every_documented_privacy_key() {
    let sim = Sim::start().await;
    let app = wxa(&sim);
    let answer = app.post(GET, json!({})).await;
    let list = answer["privacy_desc"]["privacy_desc_list"]
        .as_array()
        .expect("privacy_desc_list");
    assert!(list.len() >= 20, "{answer}");
    assert!(list.contains(&json!({"privacy_key": "PhoneNumber", "privacy_desc": "手机号"})));
    assert_eq!(answer["sdk_privacy_info_list"], json!([]));
}

#[tokio::test]
async fn the_guide_is_for_mini_programs_only() {
    let sim = Sim::start().await;
    let official = sim.official_account();
    let answer = sim
        .post(&format!("{GET}?access_token={official}"), &json!({}))
        .await;
    assert_errcode(&answer, 85015);
}
