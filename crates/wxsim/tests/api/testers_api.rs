//! Experience members (`/wxa/bind_tester`, `/wxa/unbind_tester`,
//! `/wxa/memberauth`) with WeChat's refusals, and the control endpoint that
//! says which WeChat ids exist, driven over HTTP.

use crate::support_account::{assert_errcode, Sim};
use crate::wxa_api::wxa;
use serde_json::{json, Value};

async fn register(sim: &Sim, wechatid: &str, searchable: bool) {
    let answer = sim
        .post(
            "/__sim/wechat-users",
            &json!({"wechatid": wechatid, "searchable": searchable}),
        )
        .await;
    assert_errcode(&answer, 0);
}

async fn userstrs(sim: &Sim, token: &str) -> Vec<Value> {
    let answer = sim
        .post(
            &format!("/wxa/memberauth?access_token={token}"),
            &json!({"action": "get_experiencer"}),
        )
        .await;
    assert_errcode(&answer, 0);
    answer["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| m["userstr"].clone())
        .collect()
}

#[tokio::test]
async fn members_are_bound_listed_and_unbound_by_wechatid_or_userstr() {
    let sim = Sim::start().await;
    let app = wxa(&sim);
    register(&sim, "shop_owner_01", true).await;
    register(&sim, "shop_clerk_02", true).await;
    assert!(userstrs(&sim, &app.token).await.is_empty());

    let owner = app
        .post("/wxa/bind_tester", json!({"wechatid": "shop_owner_01"}))
        .await;
    assert_errcode(&owner, 0);
    let owner_str = owner["userstr"].as_str().expect("a userstr").to_string();
    assert!(
        owner_str.len() == 64 && owner_str.bytes().all(|b| b.is_ascii_hexdigit()),
        "{owner_str}"
    );
    let clerk = app
        .post("/wxa/bind_tester", json!({"wechatid": "shop_clerk_02"}))
        .await;
    assert_errcode(&clerk, 0);
    assert_eq!(
        userstrs(&sim, &app.token).await,
        vec![json!(owner_str), clerk["userstr"].clone()]
    );
    assert_errcode(
        &app.post("/wxa/bind_tester", json!({"wechatid": "shop_owner_01"}))
            .await,
        85004,
    );

    assert_errcode(
        &app.post("/wxa/unbind_tester", json!({ "userstr": owner_str }))
            .await,
        0,
    );
    assert_errcode(
        &app.post("/wxa/unbind_tester", json!({"wechatid": "shop_clerk_02"}))
            .await,
        0,
    );
    assert!(userstrs(&sim, &app.token).await.is_empty());
    // Not a member (any more): WeChat's -1.
    assert_errcode(
        &app.post("/wxa/unbind_tester", json!({"wechatid": "shop_clerk_02"}))
            .await,
        -1,
    );
    assert_errcode(&app.post("/wxa/unbind_tester", json!({})).await, 47001);
}

#[tokio::test]
async fn only_known_searchable_wechat_ids_can_be_bound() {
    let sim = Sim::start().await;
    let app = wxa(&sim);
    register(&sim, "hidden_user", false).await;
    for wechatid in ["nobody_here", "hidden_user", ""] {
        assert_errcode(
            &app.post("/wxa/bind_tester", json!({ "wechatid": wechatid }))
                .await,
            85001,
        );
    }
    assert_errcode(
        &sim.post("/__sim/wechat-users", &json!({"wechatid": " "}))
            .await,
        47001,
    );
}

#[tokio::test]
async fn a_mini_program_and_a_user_have_their_member_limits() {
    let sim = Sim::start_with(wxsim::SimSettings {
        tester_limit: 2,
        tester_weapp_limit: 1,
        ..wxsim::testing::settings("http://127.0.0.1:9")
    })
    .await;
    let app = wxa(&sim);
    for id in ["member_a", "member_b", "member_c"] {
        register(&sim, id, true).await;
    }
    for id in ["member_a", "member_b"] {
        assert_errcode(
            &app.post("/wxa/bind_tester", json!({ "wechatid": id }))
                .await,
            0,
        );
    }
    assert_errcode(
        &app.post("/wxa/bind_tester", json!({"wechatid": "member_c"}))
            .await,
        85002,
    );
    // member_a is already a member of as many mini programs as it may be.
    let other = sim.authorize("wxotherminiprog001", true);
    let answer = sim
        .post(
            &format!("/wxa/bind_tester?access_token={other}"),
            &json!({"wechatid": "member_a"}),
        )
        .await;
    assert_errcode(&answer, 85003);
    let answer = sim
        .post(
            &format!("/wxa/bind_tester?access_token={other}"),
            &json!({"wechatid": "member_c"}),
        )
        .await;
    assert_errcode(&answer, 0);
}

#[tokio::test]
async fn member_calls_check_action_and_account_kind() {
    let sim = Sim::start().await;
    let app = wxa(&sim);
    assert_errcode(
        &app.post("/wxa/memberauth", json!({"action": "get_admin"}))
            .await,
        47001,
    );
    let official = sim.official_account();
    let answer = sim
        .post(
            &format!("/wxa/memberauth?access_token={official}"),
            &json!({"action": "get_experiencer"}),
        )
        .await;
    assert_errcode(&answer, 85015);
}
