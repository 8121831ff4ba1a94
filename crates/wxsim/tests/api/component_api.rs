//! The fake component API through real HTTP: tickets and tokens, pre-auth and
//! auth codes, authorizer tokens, info, list, options, quota, call counting
//! and fault injection.

use std::time::{Duration, Instant};

use crate::support_component::{answer, errcode, settings, start_pair, start_receiver, start_sim};
use serde_json::json;
use wxsim::SimSettings;

#[tokio::test]
async fn component_token_accepts_only_the_latest_unexpired_ticket() {
    let (sim, _receiver) = start_pair().await;

    // No ticket pushed yet: nothing is valid.
    let answer = sim.component_token_with("ticket@@@never-pushed").await;
    assert_eq!(errcode(&answer), 61006, "{answer}");

    let first = sim.push_ticket().await;
    let answer = sim.component_token_with(&first).await;
    assert_eq!(errcode(&answer), 0, "{answer}");
    assert!(answer["component_access_token"]
        .as_str()
        .is_some_and(|t| !t.is_empty()));
    assert_eq!(answer["expires_in"], 7200);

    // Wrong secret, wrong appid.
    let wrong_secret = sim
        .post(
            "/cgi-bin/component/api_component_token",
            json!({
                "component_appid": sim.settings.component_appid,
                "component_appsecret": "not-the-secret",
                "component_verify_ticket": first,
            }),
        )
        .await;
    assert_eq!(errcode(&wrong_secret), 40125, "{wrong_secret}");
    let wrong_appid = sim
        .post(
            "/cgi-bin/component/api_component_token",
            json!({
                "component_appid": "wxsomeoneelse",
                "component_appsecret": sim.settings.component_secret,
                "component_verify_ticket": first,
            }),
        )
        .await;
    assert_eq!(errcode(&wrong_appid), 40013, "{wrong_appid}");

    // A newer push makes the old ticket invalid.
    let second = sim.push_ticket().await;
    assert_ne!(first, second);
    let old = sim.component_token_with(&first).await;
    assert_eq!(errcode(&old), 61006, "{old}");
    assert!(old["errmsg"].as_str().unwrap_or("").contains("invalid"));
    assert_eq!(errcode(&sim.component_token_with(&second).await), 0);

    // After its lifetime (12 h by default) the latest ticket is expired.
    sim.advance(43_200).await;
    let expired = sim.component_token_with(&second).await;
    assert_eq!(errcode(&expired), 61005, "{expired}");
}

#[tokio::test]
async fn tokens_expire_and_are_replaced_with_an_overlap() {
    let receiver = start_receiver(answer(200, "success")).await;
    let mut s = settings(&receiver.base_url);
    s.token_ttl_secs = 100;
    s.token_overlap_secs = 10;
    let sim = start_sim(s).await;
    let body = json!({"component_appid": sim.settings.component_appid});
    let path = "/cgi-bin/component/api_create_preauthcode";

    let first = sim.component_token().await;
    assert_eq!(
        errcode(&sim.component_call(path, &first, body.clone()).await),
        0
    );

    // A second token replaces the first, which keeps working for the overlap.
    let second = sim.component_token().await;
    assert_eq!(
        errcode(&sim.component_call(path, &first, body.clone()).await),
        0
    );
    assert_eq!(
        errcode(&sim.component_call(path, &second, body.clone()).await),
        0
    );
    sim.advance(10).await;
    let replaced = sim.component_call(path, &first, body.clone()).await;
    assert_eq!(errcode(&replaced), 40001, "{replaced}");
    assert_eq!(
        errcode(&sim.component_call(path, &second, body.clone()).await),
        0
    );

    // Past its lifetime the current token is expired.
    sim.advance(95).await;
    let expired = sim.component_call(path, &second, body.clone()).await;
    assert_eq!(errcode(&expired), 42001, "{expired}");

    // Unknown and missing tokens.
    let unknown = sim.component_call(path, "not-a-token", body.clone()).await;
    assert_eq!(errcode(&unknown), 40001, "{unknown}");
    let missing = sim.post(path, body.clone()).await;
    assert_eq!(errcode(&missing), 41001, "{missing}");
    let empty = sim
        .post(&format!("{path}?component_access_token="), body)
        .await;
    assert_eq!(errcode(&empty), 41001, "{empty}");
}

#[tokio::test]
async fn malformed_bodies_answer_wechat_errors_and_never_panic() {
    let (sim, _receiver) = start_pair().await;
    let token = sim.component_token().await;
    let with_token = |path: &str| format!("{path}?component_access_token={token}");

    let (status, text) = sim
        .post_raw("/cgi-bin/component/api_component_token", "")
        .await;
    assert_eq!(status, 200);
    assert!(text.contains("44002"), "{text}");

    let paths = [
        "/cgi-bin/component/api_component_token".to_string(),
        with_token("/cgi-bin/component/api_get_authorizer_list"),
        with_token("/cgi-bin/component/api_query_auth"),
        "/__sim/authorize".to_string(),
        "/__sim/message".to_string(),
    ];
    // Not the JSON object expected: 47001 naming the problem.
    for body in [
        "{not json",
        "[1,2,3]",
        "{\"component_appid\": 5, \"pre_auth_code\": 5, \"appid\": 5}",
        "\u{0}\u{1}garbage",
    ] {
        for path in &paths {
            let (status, text) = sim.post_raw(path, body).await;
            assert_eq!(status, 200, "{path} {body:?}");
            let value: serde_json::Value = serde_json::from_str(&text).expect("JSON error");
            assert_eq!(errcode(&value), 47001, "{path} {body:?}: {text}");
            assert!(value["errmsg"]
                .as_str()
                .unwrap_or("")
                .contains("data format error"));
        }
    }
    // Valid JSON with wrong values: some WeChat error, never a panic.
    let body = "{\"component_appid\": \"x\", \"offset\": \"a lot\"}";
    for path in &paths {
        let (status, text) = sim.post_raw(path, body).await;
        assert_eq!(status, 200, "{path}");
        let value: serde_json::Value = serde_json::from_str(&text).expect("JSON error");
        assert_ne!(errcode(&value), 0, "{path}: {text}");
    }

    // Still serving afterwards.
    assert_eq!(sim.get("/__sim/healthz").await["status"], "ok");
}

#[tokio::test]
async fn component_appid_in_the_body_must_be_the_platforms() {
    let (sim, _receiver) = start_pair().await;
    let token = sim.component_token().await;
    let wrong = sim
        .component_call(
            "/cgi-bin/component/api_create_preauthcode",
            &token,
            json!({"component_appid": "wxnotme"}),
        )
        .await;
    assert_eq!(errcode(&wrong), 40013, "{wrong}");
    let missing = sim
        .component_call(
            "/cgi-bin/component/api_create_preauthcode",
            &token,
            json!({}),
        )
        .await;
    assert_eq!(errcode(&missing), 41002, "{missing}");
}

#[tokio::test]
async fn auth_codes_are_single_use_and_expire() {
    let (sim, _receiver) = start_pair().await;
    let token = sim.component_token().await;
    let appid = "wxauthorizer0001";

    let authorized = sim.authorize(&token, appid, false).await;
    assert_eq!(authorized["info_type"], "authorized", "{authorized}");
    let code = authorized["auth_code"]
        .as_str()
        .expect("auth_code")
        .to_string();

    let answer = sim.query_auth(&token, &code).await;
    assert_eq!(errcode(&answer), 0, "{answer}");
    let info = &answer["authorization_info"];
    assert_eq!(info["authorizer_appid"], appid);
    assert_eq!(info["expires_in"], 7200);
    assert!(info["authorizer_access_token"]
        .as_str()
        .is_some_and(|t| !t.is_empty()));
    assert!(info["authorizer_refresh_token"]
        .as_str()
        .is_some_and(|t| !t.is_empty()));
    assert_eq!(info["func_info"][0]["funcscope_category"]["id"], 1);

    // The same code again: refused.
    let again = sim.query_auth(&token, &code).await;
    assert_eq!(errcode(&again), 61009, "{again}");
    // An unknown code.
    let unknown = sim.query_auth(&token, "queryauthcode@@@unknown").await;
    assert_eq!(errcode(&unknown), 61009, "{unknown}");

    // A code used after its lifetime (3600 s by default).
    let fresh = sim.authorize(&token, appid, false).await;
    assert_eq!(fresh["info_type"], "updateauthorized");
    let fresh_code = fresh["auth_code"].as_str().expect("auth_code").to_string();
    sim.advance(3601).await;
    let token = sim.component_token().await;
    let expired = sim.query_auth(&token, &fresh_code).await;
    assert_eq!(errcode(&expired), 61010, "{expired}");
}

#[tokio::test]
async fn pre_auth_codes_are_single_use_and_expire() {
    let (sim, _receiver) = start_pair().await;
    let token = sim.component_token().await;
    let code = sim.preauthcode(&token).await;
    let body = json!({"pre_auth_code": code, "authorizer_appid": "wxpreauth0001"});
    assert_eq!(
        errcode(&sim.post("/__sim/authorize", body.clone()).await),
        0
    );
    let reused = sim.post("/__sim/authorize", body).await;
    assert_eq!(errcode(&reused), 61009, "{reused}");

    let code = sim.preauthcode(&token).await;
    sim.advance(1800).await;
    let expired = sim
        .post(
            "/__sim/authorize",
            json!({"pre_auth_code": code, "authorizer_appid": "wxpreauth0002"}),
        )
        .await;
    assert_eq!(errcode(&expired), 61010, "{expired}");
}

#[tokio::test]
async fn authorizer_tokens_refresh_until_unauthorized() {
    let (sim, _receiver) = start_pair().await;
    let token = sim.component_token().await;
    let appid = "wxauthorizer0002";
    let code = sim.authorize(&token, appid, false).await["auth_code"]
        .as_str()
        .expect("code")
        .to_string();
    let answer = sim.query_auth(&token, &code).await;
    let first_access = answer["authorization_info"]["authorizer_access_token"]
        .as_str()
        .expect("token")
        .to_string();
    let refresh = answer["authorization_info"]["authorizer_refresh_token"]
        .as_str()
        .expect("refresh")
        .to_string();

    let body = json!({
        "component_appid": sim.settings.component_appid,
        "authorizer_appid": appid,
        "authorizer_refresh_token": refresh,
    });
    let refreshed = sim
        .component_call(
            "/cgi-bin/component/api_authorizer_token",
            &token,
            body.clone(),
        )
        .await;
    assert_eq!(errcode(&refreshed), 0, "{refreshed}");
    assert_eq!(refreshed["authorizer_refresh_token"], refresh.as_str());
    assert_eq!(refreshed["expires_in"], 7200);
    let second_access = refreshed["authorizer_access_token"]
        .as_str()
        .expect("token");
    assert_ne!(second_access, first_access);
    {
        let tokens = sim.state.tokens.lock().expect("lock");
        let owner = tokens
            .validate(second_access, sim.state.now())
            .expect("new token valid");
        assert_eq!(owner.appid(), appid);
    }

    // An unknown refresh token.
    let mut wrong = body.clone();
    wrong["authorizer_refresh_token"] = json!("refreshtoken@@@wrong");
    let answer = sim
        .component_call("/cgi-bin/component/api_authorizer_token", &token, wrong)
        .await;
    assert_eq!(errcode(&answer), 61023, "{answer}");

    // After the account revokes the authorization, its refresh token and
    // tokens are dead.
    let revoked = sim
        .post("/__sim/unauthorize", json!({"authorizer_appid": appid}))
        .await;
    assert_eq!(revoked["authorizer_appid"], appid, "{revoked}");
    let answer = sim
        .component_call("/cgi-bin/component/api_authorizer_token", &token, body)
        .await;
    assert_eq!(errcode(&answer), 61023, "{answer}");
    let tokens = sim.state.tokens.lock().expect("lock");
    assert!(tokens.validate(second_access, sim.state.now()).is_err());
}

#[tokio::test]
async fn authorizer_info_fields_set_by_the_control_route_are_answered() {
    let (sim, _receiver) = start_pair().await;
    let token = sim.component_token().await;
    let appid = "wxlongname0001";
    let long_name = "一个名字非常非常长的公众号".repeat(4);
    let set = sim
        .post(
            "/__sim/authorizer-info",
            json!({"authorizer_appid": appid, "authorizer_info": {"nick_name": long_name}}),
        )
        .await;
    assert_eq!(
        set["authorizer_info"]["nick_name"],
        long_name.as_str(),
        "{set}"
    );
    sim.authorize(&token, appid, false).await;
    let token = sim.component_token().await;
    let info = sim
        .component_call(
            "/cgi-bin/component/api_get_authorizer_info",
            &token,
            json!({"component_appid": sim.settings.component_appid, "authorizer_appid": appid}),
        )
        .await;
    assert_eq!(errcode(&info), 0, "{info}");
    assert_eq!(info["authorizer_info"]["nick_name"], long_name.as_str());
    assert!(
        info["authorizer_info"]["user_name"]
            .as_str()
            .is_some_and(|u| u.starts_with("gh_")),
        "fields not set stay generated: {info}"
    );
}

#[tokio::test]
async fn authorizer_info_and_paged_list() {
    let (sim, _receiver) = start_pair().await;
    let token = sim.component_token().await;
    let appids = ["wxlist000001", "wxlist000002", "wxlist000003"];
    for appid in appids {
        sim.authorize(&token, appid, false).await;
        sim.advance(1).await;
    }
    sim.authorize(&token, "wxminiprog0001", true).await;
    let token = sim.component_token().await;

    let info = sim
        .component_call(
            "/cgi-bin/component/api_get_authorizer_info",
            &token,
            json!({"component_appid": sim.settings.component_appid, "authorizer_appid": "wxlist000001"}),
        )
        .await;
    assert_eq!(errcode(&info), 0, "{info}");
    let authorizer = &info["authorizer_info"];
    for field in [
        "nick_name",
        "head_img",
        "user_name",
        "principal_name",
        "qrcode_url",
    ] {
        assert!(
            authorizer[field].as_str().is_some_and(|v| !v.is_empty()),
            "{field}: {info}"
        );
    }
    assert!(authorizer["user_name"]
        .as_str()
        .unwrap_or("")
        .starts_with("gh_"));
    assert_eq!(authorizer["service_type_info"]["id"], 2);
    assert_eq!(authorizer["verify_type_info"]["id"], 0);
    assert!(authorizer["business_info"].is_object());
    assert!(
        authorizer.get("MiniProgramInfo").is_none(),
        "official account: {info}"
    );
    assert_eq!(
        info["authorization_info"]["authorizer_appid"],
        "wxlist000001"
    );
    assert!(info["authorization_info"]["func_info"]
        .as_array()
        .is_some_and(|f| !f.is_empty()));

    let mini = sim
        .component_call(
            "/cgi-bin/component/api_get_authorizer_info",
            &token,
            json!({"component_appid": sim.settings.component_appid, "authorizer_appid": "wxminiprog0001"}),
        )
        .await;
    assert!(
        mini["authorizer_info"]["MiniProgramInfo"]["network"].is_object(),
        "{mini}"
    );

    let unknown = sim
        .component_call(
            "/cgi-bin/component/api_get_authorizer_info",
            &token,
            json!({"component_appid": sim.settings.component_appid, "authorizer_appid": "wxnobody"}),
        )
        .await;
    assert_eq!(errcode(&unknown), 61003, "{unknown}");

    let list = |offset: i64, count: i64| json!({"component_appid": sim.settings.component_appid, "offset": offset, "count": count});
    let page = sim
        .component_call(
            "/cgi-bin/component/api_get_authorizer_list",
            &token,
            list(0, 2),
        )
        .await;
    assert_eq!(page["total_count"], 4, "{page}");
    let items = page["list"].as_array().expect("list");
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["authorizer_appid"], "wxlist000001");
    assert_eq!(items[1]["authorizer_appid"], "wxlist000002");
    assert!(items[0]["refresh_token"]
        .as_str()
        .is_some_and(|t| !t.is_empty()));
    assert!(items[0]["auth_time"].as_i64().is_some());
    let rest = sim
        .component_call(
            "/cgi-bin/component/api_get_authorizer_list",
            &token,
            list(2, 500),
        )
        .await;
    let items = rest["list"].as_array().expect("list");
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["authorizer_appid"], "wxlist000003");
    let beyond = sim
        .component_call(
            "/cgi-bin/component/api_get_authorizer_list",
            &token,
            list(10, 5),
        )
        .await;
    assert_eq!(beyond["list"].as_array().map(Vec::len), Some(0));
    for bad in [list(0, 0), list(0, 501), list(-1, 10)] {
        let answer = sim
            .component_call("/cgi-bin/component/api_get_authorizer_list", &token, bad)
            .await;
        assert_ne!(errcode(&answer), 0, "{answer}");
    }
}

#[tokio::test]
async fn authorizer_options_get_and_set() {
    let (sim, _receiver) = start_pair().await;
    let token = sim.component_token().await;
    let appid = "wxoptions0001";
    sim.authorize(&token, appid, false).await;
    let get = |name: &str| json!({"component_appid": sim.settings.component_appid, "authorizer_appid": appid, "option_name": name});
    let answer = sim
        .component_call(
            "/cgi-bin/component/api_get_authorizer_option",
            &token,
            get("voice_recognize"),
        )
        .await;
    assert_eq!(answer["option_value"], "0", "{answer}");
    assert_eq!(answer["option_name"], "voice_recognize");
    assert_eq!(answer["authorizer_appid"], appid);

    let mut set = get("location_report");
    set["option_value"] = json!("2");
    let answer = sim
        .component_call(
            "/cgi-bin/component/api_set_authorizer_option",
            &token,
            set.clone(),
        )
        .await;
    assert_eq!(errcode(&answer), 0, "{answer}");
    assert_eq!(answer["errmsg"], "ok");
    let answer = sim
        .component_call(
            "/cgi-bin/component/api_get_authorizer_option",
            &token,
            get("location_report"),
        )
        .await;
    assert_eq!(answer["option_value"], "2");

    set["option_value"] = json!("7");
    let bad_value = sim
        .component_call("/cgi-bin/component/api_set_authorizer_option", &token, set)
        .await;
    assert_ne!(errcode(&bad_value), 0);
    let bad_name = sim
        .component_call(
            "/cgi-bin/component/api_get_authorizer_option",
            &token,
            get("colour"),
        )
        .await;
    assert_ne!(errcode(&bad_name), 0);
}

#[tokio::test]
async fn clear_quota_for_the_platform_and_for_an_authorizer() {
    let (sim, _receiver) = start_pair().await;
    let token = sim.component_token().await;
    let component = sim.settings.component_appid.clone();

    let answer = sim
        .post(
            &format!("/cgi-bin/clear_quota?component_access_token={token}"),
            json!({"appid": component}),
        )
        .await;
    assert_eq!(errcode(&answer), 0, "{answer}");
    let answer = sim
        .component_call(
            "/cgi-bin/component/clear_quota",
            &token,
            json!({"component_appid": component}),
        )
        .await;
    assert_eq!(errcode(&answer), 0, "{answer}");
    let other = sim
        .post(
            &format!("/cgi-bin/clear_quota?component_access_token={token}"),
            json!({"appid": "wxsomeoneelse"}),
        )
        .await;
    assert_eq!(errcode(&other), 40013, "{other}");
    let missing = sim
        .post("/cgi-bin/clear_quota", json!({"appid": component}))
        .await;
    assert_eq!(errcode(&missing), 41001, "{missing}");

    // With an authorizer's own access token.
    let appid = "wxquota00001";
    let code = sim.authorize(&token, appid, false).await["auth_code"]
        .as_str()
        .expect("code")
        .to_string();
    let access = sim.query_auth(&token, &code).await["authorization_info"]
        ["authorizer_access_token"]
        .as_str()
        .expect("token")
        .to_string();
    let answer = sim
        .post(
            &format!("/cgi-bin/clear_quota?access_token={access}"),
            json!({"appid": appid}),
        )
        .await;
    assert_eq!(errcode(&answer), 0, "{answer}");
    let clears = sim
        .state
        .component
        .lock()
        .expect("lock")
        .quota_clears
        .clone();
    assert_eq!(clears.get(&component), Some(&2));
    assert_eq!(clears.get(appid), Some(&1));
}

#[tokio::test]
async fn start_push_ticket_pushes_a_new_ticket_at_once() {
    let (sim, receiver) = start_pair().await;
    let body = |secret: &str| json!({"component_appid": sim.settings.component_appid, "component_secret": secret});
    let wrong = sim
        .post("/cgi-bin/component/api_start_push_ticket", body("nope"))
        .await;
    assert_eq!(errcode(&wrong), 40125, "{wrong}");
    assert_eq!(receiver.count(), 0);

    let secret = sim.settings.component_secret.clone();
    let answer = sim
        .post("/cgi-bin/component/api_start_push_ticket", body(&secret))
        .await;
    assert_eq!(answer, json!({"errcode": 0, "errmsg": "ok"}));
    let pushes = receiver.wait_for(1, 5).await;
    let fields = crate::support_component::push_fields(&sim.crypt(), &pushes[0]);
    assert_eq!(
        fields.get_str("InfoType").as_deref(),
        Some("component_verify_ticket")
    );
    let ticket = fields.get_str("ComponentVerifyTicket").expect("ticket");
    assert_eq!(errcode(&sim.component_token_with(&ticket).await), 0);
}

#[tokio::test]
async fn calls_are_counted_per_path_and_appid() {
    let (sim, _receiver) = start_pair().await;
    let token = sim.component_token().await;
    sim.preauthcode(&token).await;
    sim.preauthcode(&token).await;
    let calls = sim.get("/__sim/calls").await;
    let path = "/cgi-bin/component/api_create_preauthcode";
    assert_eq!(calls["paths"][path], 2, "{calls}");
    assert_eq!(calls["paths"]["/cgi-bin/component/api_component_token"], 1);
    assert_eq!(
        calls["by_appid"][sim.settings.component_appid.as_str()][path],
        2,
        "{calls}"
    );
    assert_eq!(
        sim.state
            .calls
            .count_for(&sim.settings.component_appid, path),
        2
    );
    // Control endpoints are not counted.
    assert!(calls["paths"].get("/__sim/push/ticket").is_none());
}

#[tokio::test]
async fn injected_faults_are_seen_through_the_http_api() {
    let (sim, _receiver) = start_pair().await;
    let token = sim.component_token().await;
    let path = "/cgi-bin/component/api_create_preauthcode";
    let body = json!({"component_appid": sim.settings.component_appid});

    // A WeChat errcode, once.
    sim.post(
        "/__sim/faults",
        json!({"path": path, "errcode": 45009, "times": 1}),
    )
    .await;
    let faulted = sim.component_call(path, &token, body.clone()).await;
    assert_eq!(errcode(&faulted), 45009, "{faulted}");
    assert_eq!(
        errcode(&sim.component_call(path, &token, body.clone()).await),
        0
    );

    // HTTP 502, once.
    sim.post(
        "/__sim/faults",
        json!({"path": path, "http_status": 502, "times": 1}),
    )
    .await;
    let response = sim
        .client
        .post(sim.url(&format!("{path}?component_access_token={token}")))
        .json(&body)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status().as_u16(), 502);
    assert_eq!(
        errcode(&sim.component_call(path, &token, body.clone()).await),
        0
    );

    // A delay, once, then normal speed again.
    sim.post(
        "/__sim/faults",
        json!({"path": path, "delay_ms": 400, "times": 1}),
    )
    .await;
    let started = Instant::now();
    assert_eq!(
        errcode(&sim.component_call(path, &token, body.clone()).await),
        0
    );
    assert!(started.elapsed() >= Duration::from_millis(400));
    let started = Instant::now();
    assert_eq!(errcode(&sim.component_call(path, &token, body).await), 0);
    assert!(started.elapsed() < Duration::from_millis(400));

    assert_eq!(sim.state.calls.count(path), 6);
}

/// The permission set ids of a `func_info` array.
fn func_ids(func_info: &serde_json::Value) -> Vec<i64> {
    func_info
        .as_array()
        .expect("func_info is an array")
        .iter()
        .map(|item| {
            item["funcscope_category"]["id"]
                .as_i64()
                .unwrap_or_else(|| panic!("funcscope_category.id: {item}"))
        })
        .collect()
}

#[tokio::test]
async fn a_mini_program_is_granted_set_18_and_an_official_account_its_own_sets() {
    let (sim, _receiver) = start_pair().await;
    let token = sim.component_token().await;
    let info_of = |appid: &str| json!({"component_appid": sim.settings.component_appid, "authorizer_appid": appid});

    // A mini program: 18 (小程序开发与数据分析, what makes it a managed
    // 代开发 mini program) with the other mini program sets, in both answers.
    let mini = sim.authorize(&token, "wxfuncmini000001", true).await;
    assert_eq!(
        mini["func_info"],
        json!(wxsim::component_state::MINI_PROGRAM_FUNC_INFO)
    );
    let code = mini["auth_code"].as_str().expect("auth_code");
    let auth = sim.query_auth(&token, code).await;
    let granted = func_ids(&auth["authorization_info"]["func_info"]);
    assert!(granted.contains(&18), "{auth}");
    assert!(granted.contains(&17) && granted.contains(&19), "{auth}");
    assert!(!granted.contains(&1), "no official account set: {auth}");
    let info = sim
        .component_call(
            "/cgi-bin/component/api_get_authorizer_info",
            &token,
            info_of("wxfuncmini000001"),
        )
        .await;
    assert_eq!(
        func_ids(&info["authorization_info"]["func_info"]),
        granted,
        "{info}"
    );

    // An official account: official account sets (1 消息管理, 15 菜单管理, ...), never 18.
    let official = sim.authorize(&token, "wxfuncofficial01", false).await;
    let code = official["auth_code"].as_str().expect("auth_code");
    let auth = sim.query_auth(&token, code).await;
    let granted = func_ids(&auth["authorization_info"]["func_info"]);
    assert_eq!(granted[0], 1, "{auth}");
    assert!(granted.contains(&15) && granted.contains(&11), "{auth}");
    assert!(!granted.contains(&18), "{auth}");
    let info = sim
        .component_call(
            "/cgi-bin/component/api_get_authorizer_info",
            &token,
            info_of("wxfuncofficial01"),
        )
        .await;
    assert_eq!(func_ids(&info["authorization_info"]["func_info"]), granted);
}

#[tokio::test]
async fn the_administrator_may_untick_sets_and_a_reauthorization_replaces_them() {
    let (sim, _receiver) = start_pair().await;
    let token = sim.component_token().await;
    let appid = "wxfuncmini000002";
    let authorize_with = |func_info: serde_json::Value| {
        let sim = &sim;
        let token = token.clone();
        async move {
            let code = sim.preauthcode(&token).await;
            sim.post(
                "/__sim/authorize",
                json!({"pre_auth_code": code, "authorizer_appid": appid, "is_mini_program": true, "func_info": func_info}),
            )
            .await
        }
    };

    // Without 18: no managed mini program. Duplicates are dropped.
    let first = authorize_with(json!([19, 17, 17])).await;
    assert_eq!(errcode(&first), 0, "{first}");
    assert_eq!(first["func_info"], json!([17, 19]));
    let auth = sim
        .query_auth(&token, first["auth_code"].as_str().expect("code"))
        .await;
    assert_eq!(func_ids(&auth["authorization_info"]["func_info"]), [17, 19]);

    // Authorizing again with 18 ticked: updateauthorized, 18 granted.
    let second = authorize_with(json!([17, 18])).await;
    assert_eq!(second["info_type"], "updateauthorized", "{second}");
    let auth = sim
        .query_auth(&token, second["auth_code"].as_str().expect("code"))
        .await;
    assert_eq!(func_ids(&auth["authorization_info"]["func_info"]), [17, 18]);

    // Sets WeChat does not offer a mini program, or none at all, are refused
    // and leave the pre-auth code unspent.
    for refused in [json!([1, 18]), json!([999]), json!([])] {
        let code = sim.preauthcode(&token).await;
        let answer = sim
            .post(
                "/__sim/authorize",
                json!({"pre_auth_code": code, "authorizer_appid": appid, "is_mini_program": true, "func_info": refused}),
            )
            .await;
        assert_eq!(errcode(&answer), 40097, "{refused}: {answer}");
        let retry = sim
            .post(
                "/__sim/authorize",
                json!({"pre_auth_code": code, "authorizer_appid": appid, "is_mini_program": true}),
            )
            .await;
        assert_eq!(errcode(&retry), 0, "the code still works: {retry}");
    }
    // 18 is a mini program set: an official account cannot be granted it.
    let code = sim.preauthcode(&token).await;
    let answer = sim
        .post(
            "/__sim/authorize",
            json!({"pre_auth_code": code, "authorizer_appid": "wxfuncofficial02", "is_mini_program": false, "func_info": [1, 18]}),
        )
        .await;
    assert_eq!(errcode(&answer), 40097, "{answer}");
}

#[tokio::test]
async fn with_media_url_the_accounts_images_are_served_by_wxsim() {
    let receiver = start_receiver(answer(200, "success")).await;
    let sim = start_sim(SimSettings {
        media_url: "http://sim.example:9101/".into(),
        ..settings(&receiver.base_url)
    })
    .await;
    let token = sim.component_token().await;
    sim.authorize(&token, "wxmediaacct01", false).await;
    let token = sim.component_token().await;
    let info = sim
        .component_call(
            "/cgi-bin/component/api_get_authorizer_info",
            &token,
            json!({"component_appid": sim.settings.component_appid, "authorizer_appid": "wxmediaacct01"}),
        )
        .await;
    assert_eq!(errcode(&info), 0, "{info}");
    let head = info["authorizer_info"]["head_img"].as_str().unwrap_or("");
    assert_eq!(
        head,
        "http://sim.example:9101/__sim/media/head/wxmediaacct01"
    );
    assert_eq!(
        info["authorizer_info"]["qrcode_url"],
        "http://sim.example:9101/__sim/media/qrcode/wxmediaacct01"
    );
    let image = sim
        .client
        .get(sim.url("/__sim/media/head/wxmediaacct01"))
        .send()
        .await
        .expect("image");
    assert_eq!(image.status().as_u16(), 200);
    assert_eq!(image.headers()["content-type"], "image/svg+xml");
    assert!(image.text().await.unwrap_or_default().starts_with("<svg"));
    let missing = sim
        .client
        .get(sim.url("/__sim/media/other/wxmediaacct01"))
        .send()
        .await
        .expect("answer");
    assert_eq!(missing.status().as_u16(), 404);
}
