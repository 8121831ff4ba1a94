//! The authorizer-side API of official accounts, driven over HTTP like the
//! platform drives it: token checks, customer-service messages, the custom
//! menu (WeChat's limits at their boundaries), tags and remarks, and the
//! call counts per authorizer appid.

use crate::support_account::{assert_errcode, errcode, Sim, MINI_PROGRAM, OFFICIAL_ACCOUNT};
use serde_json::{json, Value};

const SEND: &str = "/cgi-bin/message/custom/send";

fn text(content: &str) -> Value {
    json!({"touser": "oUserA0000000000000000000001", "msgtype": "text", "text": {"content": content}})
}

// ---------------------------------------------------------------- tokens

#[tokio::test]
async fn a_call_without_access_token_is_41001() {
    let sim = Sim::start().await;
    sim.official_account();
    assert_errcode(&sim.post(SEND, &text("hi")).await, 41001);
    assert_errcode(&sim.get("/cgi-bin/menu/get?access_token=").await, 41001);
}

#[tokio::test]
async fn an_unknown_token_is_40001() {
    let sim = Sim::start().await;
    sim.official_account();
    let answer = sim
        .post(&format!("{SEND}?access_token=not-a-token"), &text("hi"))
        .await;
    assert_errcode(&answer, 40001);
}

#[tokio::test]
async fn an_expired_token_is_42001() {
    let sim = Sim::start().await;
    let token = sim.official_account();
    sim.state
        .clock
        .advance(sim.state.settings.token_ttl_secs + 1);
    let answer = sim
        .post(&format!("{SEND}?access_token={token}"), &text("hi"))
        .await;
    assert_errcode(&answer, 42001);
}

#[tokio::test]
async fn a_replaced_token_works_during_the_overlap_then_is_40001() {
    let sim = Sim::start().await;
    let old = sim.official_account();
    let new = sim.official_account();
    let path = |t: &str| format!("/cgi-bin/tags/get?access_token={t}");
    assert_errcode(&sim.get(&path(&old)).await, 0);
    sim.state
        .clock
        .advance(sim.state.settings.token_overlap_secs);
    assert_errcode(&sim.get(&path(&old)).await, 40001);
    assert_errcode(&sim.get(&path(&new)).await, 0);
}

#[tokio::test]
async fn a_component_token_is_not_an_authorizer_token() {
    let sim = Sim::start().await;
    sim.official_account();
    let component = sim.component_token();
    let answer = sim
        .post(&format!("{SEND}?access_token={component}"), &text("hi"))
        .await;
    assert_errcode(&answer, 40001);
    assert!(sim.snapshot().await["accounts"]["sent_messages"]
        .as_array()
        .is_some_and(Vec::is_empty));
}

// ---------------------------------------------------------------- custom send

#[tokio::test]
async fn a_text_message_is_recorded_and_visible_in_state() {
    let sim = Sim::start().await;
    let token = sim.official_account();
    let body = text("你好, wxsim");
    let answer = sim
        .post(&format!("{SEND}?access_token={token}"), &body)
        .await;
    assert_eq!(answer["errcode"], 0);
    assert_eq!(answer["errmsg"], "ok");

    let state = sim.snapshot().await;
    let sent = &state["accounts"]["sent_messages"];
    assert_eq!(sent.as_array().map(Vec::len), Some(1));
    assert_eq!(sent[0]["appid"], OFFICIAL_ACCOUNT);
    assert_eq!(sent[0]["touser"], "oUserA0000000000000000000001");
    assert_eq!(sent[0]["msgtype"], "text");
    assert_eq!(sent[0]["content"], "你好, wxsim");
    assert_eq!(sent[0]["body"], body);
}

#[tokio::test]
async fn other_message_types_are_recorded_with_empty_content() {
    let sim = Sim::start().await;
    let token = sim.mini_program();
    let body = json!({"touser": "oMini", "msgtype": "image", "image": {"media_id": "MEDIA"}});
    assert_errcode(
        &sim.post(&format!("{SEND}?access_token={token}"), &body)
            .await,
        0,
    );
    let state = sim.snapshot().await;
    let sent = &state["accounts"]["sent_messages"][0];
    assert_eq!(sent["appid"], MINI_PROGRAM);
    assert_eq!(sent["msgtype"], "image");
    assert_eq!(sent["content"], "");
}

#[tokio::test]
async fn custom_send_validates_like_wechat() {
    let sim = Sim::start().await;
    let token = sim.official_account();
    let path = format!("{SEND}?access_token={token}");
    let cases = [
        (json!({"msgtype": "text", "text": {"content": "x"}}), 40003),
        (
            json!({"touser": "", "msgtype": "text", "text": {"content": "x"}}),
            40003,
        ),
        (
            json!({"touser": "not an openid!", "msgtype": "text", "text": {"content": "x"}}),
            40003,
        ),
        (json!({"touser": "oU", "text": {"content": "x"}}), 40008),
        (json!({"touser": "oU", "msgtype": "telegram"}), 40008),
        (json!({"touser": "oU", "msgtype": "text"}), 44004),
        (
            json!({"touser": "oU", "msgtype": "text", "text": {"content": ""}}),
            44004,
        ),
        (
            json!({"touser": "oU", "msgtype": "image", "image": {}}),
            40007,
        ),
        (
            json!({"touser": "oU", "msgtype": "news", "news": {"articles": []}}),
            44003,
        ),
        (
            json!({"touser": "oU", "msgtype": "news", "news": {"articles": [{"title": "a"}, {"title": "b"}]}}),
            45008,
        ),
    ];
    for (body, code) in cases {
        let answer = sim.post(&path, &body).await;
        assert_eq!(errcode(&answer), code, "body {body} answered {answer}");
    }
    assert!(sim.snapshot().await["accounts"]["sent_messages"]
        .as_array()
        .is_some_and(Vec::is_empty));
}

#[tokio::test]
async fn text_content_is_limited_to_2048_bytes() {
    let sim = Sim::start().await;
    let token = sim.official_account();
    let path = format!("{SEND}?access_token={token}");
    assert_errcode(&sim.post(&path, &text(&"a".repeat(2048))).await, 0);
    assert_errcode(&sim.post(&path, &text(&"a".repeat(2049))).await, 45002);
    // 683 three-byte characters = 2049 bytes.
    assert_errcode(&sim.post(&path, &text(&"好".repeat(683))).await, 45002);
}

#[tokio::test]
async fn malformed_bodies_are_47001_and_empty_ones_44002() {
    let sim = Sim::start().await;
    let token = sim.official_account();
    let path = format!("{SEND}?access_token={token}");
    let answer = sim.post_raw(&path, "{\"touser\": ").await;
    assert_errcode(&answer, 47001);
    assert!(answer["errmsg"]
        .as_str()
        .is_some_and(|m| m.contains("invalid JSON body")));
    assert_errcode(&sim.post_raw(&path, "[1, 2]").await, 47001);
    assert_errcode(&sim.post_raw(&path, "").await, 44002);
    assert_errcode(&sim.post_raw(&path, "  \n").await, 44002);
}

#[tokio::test]
async fn calls_are_counted_per_authorizer_appid() {
    let sim = Sim::start().await;
    let official = sim.official_account();
    let mini = sim.mini_program();
    for _ in 0..2 {
        sim.post(&format!("{SEND}?access_token={official}"), &text("x"))
            .await;
    }
    sim.post(&format!("{SEND}?access_token={mini}"), &text("x"))
        .await;
    let calls = sim.get("/__sim/calls").await;
    assert_eq!(calls["paths"][SEND], 3);
    assert_eq!(calls["by_appid"][OFFICIAL_ACCOUNT][SEND], 2);
    assert_eq!(calls["by_appid"][MINI_PROGRAM][SEND], 1);
}

// ---------------------------------------------------------------- menu

fn click(name: &str) -> Value {
    json!({"type": "click", "name": name, "key": "K"})
}

fn subs(n: usize) -> Value {
    let list: Vec<Value> = (0..n)
        .map(|i| json!({"type": "view", "name": format!("s{i}"), "url": "https://example.com/"}))
        .collect();
    json!({"name": "更多", "sub_button": list})
}

async fn create_menu(sim: &Sim, token: &str, buttons: Value) -> Value {
    sim.post(
        &format!("/cgi-bin/menu/create?access_token={token}"),
        &json!({ "button": buttons }),
    )
    .await
}

#[tokio::test]
async fn menu_create_get_delete_round_trip() {
    let sim = Sim::start().await;
    let token = sim.official_account();
    let get = format!("/cgi-bin/menu/get?access_token={token}");
    assert_errcode(&sim.get(&get).await, 46003);

    let buttons = json!([
        {"type": "click", "name": "今日歌曲", "key": "V1001_TODAY_MUSIC"},
        {"name": "菜单", "sub_button": [
            {"type": "view", "name": "搜索", "url": "http://www.soso.com/"},
            {"type": "miniprogram", "name": "wxa", "url": "http://mp.weixin.qq.com",
             "appid": "wx286b93c14bbf93aa", "pagepath": "pages/lunar/index"},
            {"type": "media_id", "name": "图片", "media_id": "MEDIA_ID1"},
            {"type": "article_id", "name": "文章", "article_id": "ARTICLE_ID1"}
        ]},
        {"type": "scancode_push", "name": "扫码", "key": "rselfmenu_0_1"}
    ]);
    assert_errcode(&create_menu(&sim, &token, buttons).await, 0);

    let menu = sim.get(&get).await;
    assert_eq!(
        menu,
        json!({"menu": {"button": [
            {"type": "click", "name": "今日歌曲", "key": "V1001_TODAY_MUSIC", "sub_button": []},
            {"name": "菜单", "sub_button": [
                {"type": "view", "name": "搜索", "url": "http://www.soso.com/", "sub_button": []},
                {"type": "miniprogram", "name": "wxa", "url": "http://mp.weixin.qq.com",
                 "appid": "wx286b93c14bbf93aa", "pagepath": "pages/lunar/index", "sub_button": []},
                {"type": "media_id", "name": "图片", "media_id": "MEDIA_ID1", "sub_button": []},
                {"type": "article_id", "name": "文章", "article_id": "ARTICLE_ID1", "sub_button": []}
            ]},
            {"type": "scancode_push", "name": "扫码", "key": "rselfmenu_0_1", "sub_button": []}
        ]}})
    );

    assert_errcode(
        &sim.get(&format!("/cgi-bin/menu/delete?access_token={token}"))
            .await,
        0,
    );
    assert_errcode(&sim.get(&get).await, 46003);
}

#[tokio::test]
async fn menus_are_kept_per_account() {
    let sim = Sim::start().await;
    let first = sim.official_account();
    let second = sim.authorize("wxofficialacct0002", false);
    assert_errcode(&create_menu(&sim, &first, json!([click("A")])).await, 0);
    assert_errcode(
        &sim.get(&format!("/cgi-bin/menu/get?access_token={second}"))
            .await,
        46003,
    );
}

#[tokio::test]
async fn menu_button_count_is_1_to_3() {
    let sim = Sim::start().await;
    let token = sim.official_account();
    let three = json!([click("A"), click("B"), click("C")]);
    let four = json!([click("A"), click("B"), click("C"), click("D")]);
    assert_errcode(&create_menu(&sim, &token, three).await, 0);
    assert_errcode(&create_menu(&sim, &token, four).await, 40016);
    assert_errcode(&create_menu(&sim, &token, json!([])).await, 40016);
    assert_errcode(
        &sim.post(
            &format!("/cgi-bin/menu/create?access_token={token}"),
            &json!({}),
        )
        .await,
        40016,
    );
}

#[tokio::test]
async fn sub_button_count_is_1_to_5_and_one_level_deep() {
    let sim = Sim::start().await;
    let token = sim.official_account();
    assert_errcode(&create_menu(&sim, &token, json!([subs(5)])).await, 0);
    assert_errcode(&create_menu(&sim, &token, json!([subs(6)])).await, 40023);
    let nested = json!([{"name": "a", "sub_button": [
        {"name": "b", "sub_button": [click("c")]}
    ]}]);
    assert_errcode(&create_menu(&sim, &token, nested).await, 40022);
}

#[tokio::test]
async fn button_names_are_limited_in_bytes() {
    let sim = Sim::start().await;
    let token = sim.official_account();
    // Five CJK characters are 15 bytes, six are 18: the limit is 16.
    assert_errcode(
        &create_menu(&sim, &token, json!([click("一二三四五")])).await,
        0,
    );
    assert_errcode(
        &create_menu(&sim, &token, json!([click("一二三四五六")])).await,
        40018,
    );
    assert_errcode(
        &create_menu(&sim, &token, json!([click(&"a".repeat(16))])).await,
        0,
    );
    assert_errcode(
        &create_menu(&sim, &token, json!([click(&"a".repeat(17))])).await,
        40018,
    );
    assert_errcode(&create_menu(&sim, &token, json!([click("")])).await, 40018);
    let sub = |name: String| json!([{"name": "m", "sub_button": [click(&name)]}]);
    assert_errcode(&create_menu(&sim, &token, sub("好".repeat(20))).await, 0);
    assert_errcode(
        &create_menu(&sim, &token, sub("好".repeat(21))).await,
        40025,
    );
}

#[tokio::test]
async fn keys_and_urls_are_limited_in_bytes() {
    let sim = Sim::start().await;
    let token = sim.official_account();
    let key = |k: String| json!([{"type": "click", "name": "k", "key": k}]);
    assert_errcode(&create_menu(&sim, &token, key("k".repeat(128))).await, 0);
    assert_errcode(
        &create_menu(&sim, &token, key("k".repeat(129))).await,
        40019,
    );
    let sub_key = |k: String| json!([{"name": "m", "sub_button": [{"type": "click", "name": "k", "key": k}]}]);
    assert_errcode(
        &create_menu(&sim, &token, sub_key("k".repeat(129))).await,
        40026,
    );

    let url = |len: usize| {
        let prefix = "https://example.com/";
        format!("{prefix}{}", "u".repeat(len - prefix.len()))
    };
    let view = |u: String| json!([{"type": "view", "name": "v", "url": u}]);
    assert_errcode(&create_menu(&sim, &token, view(url(1024))).await, 0);
    assert_errcode(&create_menu(&sim, &token, view(url(1025))).await, 40020);
    let sub_view =
        |u: String| json!([{"name": "m", "sub_button": [{"type": "view", "name": "v", "url": u}]}]);
    assert_errcode(&create_menu(&sim, &token, sub_view(url(1025))).await, 40027);
    assert_errcode(
        &create_menu(&sim, &token, view("ftp://example.com/".into())).await,
        40055,
    );
    assert_errcode(
        &create_menu(&sim, &token, sub_view("javascript:alert(1)".into())).await,
        40054,
    );
}

#[tokio::test]
async fn each_button_type_needs_its_fields() {
    let sim = Sim::start().await;
    let token = sim.official_account();
    let cases = [
        (json!({"type": "click", "name": "c"}), 40019),
        (json!({"type": "location_select", "name": "c"}), 40019),
        (json!({"type": "view", "name": "v"}), 40020),
        (
            json!({"type": "miniprogram", "name": "m", "url": "https://a.com", "appid": "wxa"}),
            40165,
        ),
        (
            json!({"type": "miniprogram", "name": "m", "url": "https://a.com", "pagepath": "p"}),
            40166,
        ),
        (
            json!({"type": "miniprogram", "name": "m", "appid": "wxa", "pagepath": "p"}),
            40020,
        ),
        (json!({"type": "media_id", "name": "m"}), 40117),
        (json!({"type": "article_view_limited", "name": "m"}), 40117),
        (json!({"type": "bogus", "name": "b"}), 40017),
        (json!({"name": "no type"}), 40017),
    ];
    for (button, code) in cases {
        let answer = create_menu(&sim, &token, json!([button])).await;
        assert_eq!(errcode(&answer), code, "button {button} answered {answer}");
    }
    let sub_cases = [
        (json!({"type": "bogus", "name": "b"}), 40024),
        (json!({"type": "media_id", "name": "m"}), 40118),
    ];
    for (button, code) in sub_cases {
        let answer =
            create_menu(&sim, &token, json!([{"name": "m", "sub_button": [button]}])).await;
        assert_eq!(
            errcode(&answer),
            code,
            "sub-button {button} answered {answer}"
        );
    }
}

#[tokio::test]
async fn a_mini_program_has_no_menu_api() {
    let sim = Sim::start().await;
    let token = sim.mini_program();
    assert_errcode(&create_menu(&sim, &token, json!([click("A")])).await, 48001);
}

// ---------------------------------------------------------------- tags

async fn create_tag(sim: &Sim, token: &str, name: &str) -> Value {
    sim.post(
        &format!("/cgi-bin/tags/create?access_token={token}"),
        &json!({"tag": {"name": name}}),
    )
    .await
}

async fn tag_users(sim: &Sim, token: &str, openids: &[&str], tagid: i64) -> Value {
    sim.post(
        &format!("/cgi-bin/tags/members/batchtagging?access_token={token}"),
        &json!({"openid_list": openids, "tagid": tagid}),
    )
    .await
}

async fn tag_ids(sim: &Sim, token: &str, openid: &str) -> Value {
    sim.post(
        &format!("/cgi-bin/tags/getidlist?access_token={token}"),
        &json!({ "openid": openid }),
    )
    .await
}

#[tokio::test]
async fn tags_are_created_listed_renamed_and_deleted() {
    let sim = Sim::start().await;
    let token = sim.official_account();
    let list = format!("/cgi-bin/tags/get?access_token={token}");
    assert_eq!(
        sim.get(&list).await,
        json!({"tags": [{"id": 2, "name": "星标组", "count": 0}]})
    );

    assert_eq!(
        create_tag(&sim, &token, "广东").await,
        json!({"tag": {"id": 100, "name": "广东"}})
    );
    assert_eq!(create_tag(&sim, &token, "北京").await["tag"]["id"], 101);
    assert_errcode(&tag_users(&sim, &token, &["oA", "oB"], 100).await, 0);
    assert_eq!(
        sim.get(&list).await,
        json!({"tags": [
            {"id": 2, "name": "星标组", "count": 0},
            {"id": 100, "name": "广东", "count": 2},
            {"id": 101, "name": "北京", "count": 0},
        ]})
    );

    let update = format!("/cgi-bin/tags/update?access_token={token}");
    assert_errcode(
        &sim.post(&update, &json!({"tag": {"id": 100, "name": "广东人"}}))
            .await,
        0,
    );
    assert_errcode(
        &sim.post(&update, &json!({"tag": {"id": 100, "name": "北京"}}))
            .await,
        45157,
    );
    assert_errcode(
        &sim.post(&update, &json!({"tag": {"id": 2, "name": "x"}}))
            .await,
        45058,
    );
    assert_errcode(
        &sim.post(&update, &json!({"tag": {"id": 999, "name": "x"}}))
            .await,
        45159,
    );

    let delete = format!("/cgi-bin/tags/delete?access_token={token}");
    assert_errcode(&sim.post(&delete, &json!({"tag": {"id": 1}})).await, 45058);
    assert_errcode(
        &sim.post(&delete, &json!({"tag": {"id": 555}})).await,
        45159,
    );
    assert_errcode(&sim.post(&delete, &json!({"tag": {"id": 100}})).await, 0);
    assert_eq!(tag_ids(&sim, &token, "oA").await, json!({"tagid_list": []}));
    assert_eq!(
        sim.get(&list).await["tags"].as_array().map(Vec::len),
        Some(2)
    );
}

#[tokio::test]
async fn tag_names_are_unique_and_at_most_30_bytes() {
    let sim = Sim::start().await;
    let token = sim.official_account();
    assert_errcode(&create_tag(&sim, &token, &"好".repeat(10)).await, 0);
    assert_errcode(&create_tag(&sim, &token, &"好".repeat(11)).await, 45158);
    assert_errcode(&create_tag(&sim, &token, &"a".repeat(31)).await, 45158);
    assert_errcode(&create_tag(&sim, &token, &"好".repeat(10)).await, 45157);
    assert_errcode(&create_tag(&sim, &token, "星标组").await, 45157);
    assert_errcode(&create_tag(&sim, &token, "").await, 45157);
}

#[tokio::test]
async fn an_account_creates_at_most_100_tags() {
    let sim = Sim::start().await;
    let token = sim.official_account();
    for i in 0..100 {
        assert_errcode(&create_tag(&sim, &token, &format!("t{i}")).await, 0);
    }
    assert_errcode(&create_tag(&sim, &token, "one too many").await, 45056);
}

#[tokio::test]
async fn batch_tagging_checks_size_tag_openids_and_the_per_user_limit() {
    let sim = Sim::start().await;
    let token = sim.official_account();
    create_tag(&sim, &token, "t").await;
    let fifty: Vec<String> = (0..50).map(|i| format!("oUser{i:02}")).collect();
    let fifty: Vec<&str> = fifty.iter().map(String::as_str).collect();
    assert_errcode(&tag_users(&sim, &token, &fifty, 100).await, 0);
    let mut fifty_one = fifty.clone();
    fifty_one.push("oUser50");
    assert_errcode(&tag_users(&sim, &token, &fifty_one, 100).await, 40032);
    assert_errcode(&tag_users(&sim, &token, &[], 100).await, 40032);
    assert_errcode(&tag_users(&sim, &token, &["oA"], 404).await, 45159);
    assert_errcode(&tag_users(&sim, &token, &["o A"], 100).await, 40003);

    // A user carries at most 20 tags; the 21st refuses the whole batch.
    for i in 0..21 {
        create_tag(&sim, &token, &format!("many{i}")).await;
    }
    for tagid in 101..121 {
        assert_errcode(&tag_users(&sim, &token, &["oBusy"], tagid).await, 0);
    }
    assert_errcode(
        &tag_users(&sim, &token, &["oCalm", "oBusy"], 121).await,
        45059,
    );
    assert_eq!(
        tag_ids(&sim, &token, "oCalm").await,
        json!({"tagid_list": []})
    );
    // Tagging again with a tag the user already has is fine.
    assert_errcode(&tag_users(&sim, &token, &["oBusy"], 101).await, 0);
}

#[tokio::test]
async fn batch_untagging_removes_the_tag() {
    let sim = Sim::start().await;
    let token = sim.official_account();
    create_tag(&sim, &token, "t").await;
    tag_users(&sim, &token, &["oA", "oB"], 100).await;
    let answer = sim
        .post(
            &format!("/cgi-bin/tags/members/batchuntagging?access_token={token}"),
            &json!({"openid_list": ["oA"], "tagid": 100}),
        )
        .await;
    assert_errcode(&answer, 0);
    assert_eq!(tag_ids(&sim, &token, "oA").await, json!({"tagid_list": []}));
    assert_eq!(
        tag_ids(&sim, &token, "oB").await,
        json!({"tagid_list": [100]})
    );
}

#[tokio::test]
async fn a_tags_users_are_listed_in_pages_after_next_openid() {
    let sim = Sim::start().await;
    let token = sim.official_account();
    create_tag(&sim, &token, "t").await;
    tag_users(&sim, &token, &["oC", "oA", "oB"], 100).await;
    let path = format!("/cgi-bin/user/tag/get?access_token={token}");
    let all = sim
        .post(&path, &json!({"tagid": 100, "next_openid": ""}))
        .await;
    assert_eq!(
        all,
        json!({"count": 3, "data": {"openid": ["oA", "oB", "oC"]}, "next_openid": "oC"})
    );
    let rest = sim
        .post(&path, &json!({"tagid": 100, "next_openid": "oA"}))
        .await;
    assert_eq!(
        rest,
        json!({"count": 2, "data": {"openid": ["oB", "oC"]}, "next_openid": "oC"})
    );
    let none = sim
        .post(&path, &json!({"tagid": 100, "next_openid": "oC"}))
        .await;
    assert_eq!(none["count"], 0);
    assert_eq!(none["next_openid"], "");
    assert_errcode(&sim.post(&path, &json!({"tagid": 7})).await, 45159);
}

#[tokio::test]
async fn tags_are_kept_per_account() {
    let sim = Sim::start().await;
    let first = sim.official_account();
    let second = sim.authorize("wxofficialacct0002", false);
    create_tag(&sim, &first, "only here").await;
    assert_errcode(&create_tag(&sim, &second, "only here").await, 0);
    let tags = sim
        .get(&format!("/cgi-bin/tags/get?access_token={second}"))
        .await;
    assert_eq!(tags["tags"].as_array().map(Vec::len), Some(2));
}

// ---------------------------------------------------------------- remarks

#[tokio::test]
async fn remarks_are_kept_per_openid_and_visible_in_state() {
    let sim = Sim::start().await;
    let token = sim.official_account();
    let path = format!("/cgi-bin/user/info/updateremark?access_token={token}");
    let answer = sim
        .post(
            &path,
            &json!({"openid": "oDF3iY9ffA-hqb2vVvbr7qxf6A0Q", "remark": "pangzi"}),
        )
        .await;
    assert_errcode(&answer, 0);
    let state = sim.snapshot().await;
    assert_eq!(
        state["accounts"]["accounts"][OFFICIAL_ACCOUNT]["users"]["oDF3iY9ffA-hqb2vVvbr7qxf6A0Q"]
            ["remark"],
        "pangzi"
    );

    assert_errcode(
        &sim.post(&path, &json!({"openid": "oA", "remark": "好".repeat(10)}))
            .await,
        0,
    );
    assert_errcode(
        &sim.post(&path, &json!({"openid": "oA", "remark": "a".repeat(31)}))
            .await,
        40092,
    );
    assert_errcode(
        &sim.post(&path, &json!({"openid": "", "remark": "x"})).await,
        40003,
    );
}

// ---------------------------------------------------------------- robustness

#[tokio::test]
async fn garbage_bodies_get_wechat_errors_and_never_break_the_server() {
    let sim = Sim::start().await;
    let official = sim.official_account();
    let paths = [
        SEND,
        "/cgi-bin/menu/create",
        "/cgi-bin/tags/create",
        "/cgi-bin/tags/update",
        "/cgi-bin/tags/delete",
        "/cgi-bin/tags/members/batchtagging",
        "/cgi-bin/tags/members/batchuntagging",
        "/cgi-bin/user/tag/get",
        "/cgi-bin/tags/getidlist",
        "/cgi-bin/user/info/updateremark",
    ];
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let bodies = [
        "",
        "null",
        "[]",
        "{",
        "\"text\"",
        "{\"tag\": 5, \"button\": \"x\", \"openid_list\": {}, \"tagid\": \"abc\"}",
        "{\"tag\": {\"id\": 1e400}, \"tagid\": -1, \"touser\": 5}",
        deep.as_str(),
    ];
    for path in paths {
        for body in bodies {
            let answer = sim
                .post_raw(&format!("{path}?access_token={official}"), body)
                .await;
            assert_ne!(errcode(&answer), 0, "{path} accepted {body:.40}: {answer}");
        }
    }
    let invalid_utf8 = sim
        .client
        .post(format!("{}{SEND}?access_token={official}", sim.base_url))
        .body(vec![0xff, 0xfe, b'{'])
        .send()
        .await
        .expect("wxsim answers");
    assert_eq!(invalid_utf8.status(), 200);
    let answer: Value = invalid_utf8.json().await.expect("JSON");
    assert_errcode(&answer, 47001);
    assert_eq!(sim.get("/__sim/healthz").await["status"], "ok");
}
