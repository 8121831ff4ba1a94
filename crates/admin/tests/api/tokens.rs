//! Tickets and tokens on the admin and inner APIs: the ticket requirement,
//! caching, the inner token, compare-and-invalidate, WeChat failures.

use crate::support::{TestApp, INNER_TOKEN};
use common::tokens::TokenKey;
use futures::future::join_all;
use reqwest::Method;
use serde_json::json;

const COMPONENT_TOKEN: &str = "/cgi-bin/component/api_component_token";
const AUTHORIZER_TOKEN: &str = "/cgi-bin/component/api_authorizer_token";
const START_PUSH: &str = "/cgi-bin/component/api_start_push_ticket";

#[tokio::test]
async fn without_a_ticket_wechat_is_asked_to_push_one_and_1007_is_answered() {
    let app = TestApp::spawn().await;
    let jwt = app.login().await;
    let answer = app
        .get("/wxcomponent/admin/component-access-token", &jwt)
        .await;
    assert_eq!(answer["code"], 1007, "{answer}");
    assert_eq!(answer["errorMsg"], "Ticket为空");
    assert!(
        app.sim.count(START_PUSH) >= 1,
        "api_start_push_ticket called"
    );
    assert_eq!(app.sim.count(COMPONENT_TOKEN), 0);

    assert_eq!(
        app.get("/wxcomponent/admin/ticket", &jwt).await["code"],
        1007
    );
    let (status, answer) = app.inner_get("/inner/ticket").await;
    assert_eq!((status, answer["code"].clone()), (200, json!(1007)));
    let (status, answer) = app.inner_get("/inner/component-access-token").await;
    assert_eq!((status, answer["code"].clone()), (200, json!(1007)));
}

#[tokio::test]
async fn with_a_ticket_the_component_token_is_fetched_once_stored_and_reused() {
    let app = TestApp::spawn().await;
    let ticket = app.seed_ticket().await;
    let jwt = app.login().await;
    let answer = app.get("/wxcomponent/admin/ticket", &jwt).await;
    assert_eq!(
        answer,
        json!({"code": 0, "errorMsg": "OK", "data": {"ticket": ticket}})
    );

    let first = app
        .get("/wxcomponent/admin/component-access-token", &jwt)
        .await;
    assert_eq!(first["code"], 0, "{first}");
    let token = first["data"]["token"].as_str().unwrap().to_string();
    let (_, inner) = app.inner_get("/inner/component-access-token").await;
    assert_eq!(inner["data"]["token"], token.as_str());
    assert_eq!(app.sim.count(COMPONENT_TOKEN), 1);

    let stored = app.stored_token(TokenKey::Component).await.unwrap();
    assert_eq!(stored.token, token);
    // A restarted instance reads it from the database.
    let second = app.another_instance().await;
    let (_, inner) = second.inner_get("/inner/component-access-token").await;
    assert_eq!(inner["data"]["token"], token.as_str());
    assert_eq!(app.sim.count(COMPONENT_TOKEN), 1);
    let (_, inner) = second.inner_get("/inner/ticket").await;
    assert_eq!(inner["data"]["ticket"], ticket.as_str());
}

#[tokio::test]
async fn authorizer_tokens_come_from_the_refresh_token() {
    let app = TestApp::spawn().await;
    app.seed_ticket().await;
    app.seed_authorizer("wxauthorizer000001", false).await;
    let jwt = app.login().await;
    let answer = app
        .get(
            "/wxcomponent/admin/authorizer-access-token?appid=wxauthorizer000001",
            &jwt,
        )
        .await;
    assert_eq!(answer["code"], 0, "{answer}");
    let token = answer["data"]["token"].as_str().unwrap().to_string();
    let (_, inner) = app
        .inner_get("/inner/authorizer-access-token?appid=wxauthorizer000001")
        .await;
    assert_eq!(inner["data"]["token"], token.as_str());
    assert_eq!(app.sim.count(AUTHORIZER_TOKEN), 1);

    // The token works at WeChat.
    let menu = reqwest::get(format!(
        "{}/cgi-bin/menu/get?access_token={token}",
        app.sim.base_url
    ))
    .await
    .unwrap()
    .json::<serde_json::Value>()
    .await
    .unwrap();
    assert_ne!(menu["errcode"], 40001, "{menu}");
}

#[tokio::test]
async fn an_account_unauthorized_while_its_token_is_fetched_keeps_no_token() {
    let app = TestApp::spawn().await;
    app.seed_ticket().await;
    let appid = "wxgonewhilefetched";
    app.seed_authorizer(appid, false).await;
    app.sim
        .fault(AUTHORIZER_TOKEN, json!({"delay_ms": 1000, "times": 1}));
    let fetch = app.inner_get("/inner/authorizer-access-token?appid=wxgonewhilefetched");
    let unauthorize = async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        // What the callback receiver does on an `unauthorized` push.
        app.db()
            .run(move |conn| common::db::authorizers::remove(conn, appid))
            .await
            .expect("unauthorized");
    };
    let ((_, answer), ()) = futures::future::join(fetch, unauthorize).await;
    assert_eq!(answer["code"], 1001, "{answer}");
    assert!(
        answer["errorMsg"]
            .as_str()
            .unwrap()
            .contains("has not authorized"),
        "{answer}"
    );
    assert_eq!(app.sim.count(AUTHORIZER_TOKEN), 1);
    assert!(app
        .stored_token(TokenKey::Authorizer(appid.into()))
        .await
        .is_none());
}

#[tokio::test]
async fn bad_or_unknown_appids_are_1001_naming_appid() {
    let app = TestApp::spawn().await;
    app.seed_ticket().await;
    let jwt = app.login().await;
    for path in [
        "/wxcomponent/admin/authorizer-access-token",
        "/wxcomponent/admin/authorizer-access-token?appid=",
        "/wxcomponent/admin/authorizer-access-token?appid=a%20b",
        "/wxcomponent/admin/authorizer-access-token?appid=wxnotauthorized01",
    ] {
        let answer = app.get(path, &jwt).await;
        assert_eq!(answer["code"], 1001, "{path}: {answer}");
        assert!(
            answer["errorMsg"].as_str().unwrap().contains("appid"),
            "{answer}"
        );
    }
    let (status, answer) = app.inner_get("/inner/authorizer-access-token").await;
    assert_eq!((status, answer["code"].clone()), (200, json!(1001)));
}

#[tokio::test]
async fn a_refresh_token_wechat_refuses_is_reported_as_1008() {
    let app = TestApp::spawn().await;
    app.seed_ticket().await;
    app.seed_authorizer("wxauthorizer000002", false).await;
    app.spoil_refresh_tokens().await;
    let (_, answer) = app
        .inner_get("/inner/authorizer-access-token?appid=wxauthorizer000002")
        .await;
    assert_eq!(answer["code"], 1008, "{answer}");
}

#[tokio::test]
async fn wechat_refusing_a_token_is_1002_with_its_error_and_unreachable_is_1010() {
    let app = TestApp::spawn().await;
    app.seed_ticket().await;
    app.sim.fault(
        COMPONENT_TOKEN,
        json!({"errcode": 45009, "errmsg": "quota", "times": 2}),
    );
    let jwt = app.login().await;
    let answer = app
        .get("/wxcomponent/admin/component-access-token", &jwt)
        .await;
    assert_eq!(answer["code"], 1002, "{answer}");
    assert_eq!(answer["data"], "45009 quota", "{answer}");
    // The inner API answers as wxcomponent's did (1002 with the error).
    let (status, answer) = app.inner_get("/inner/component-access-token").await;
    assert_eq!(
        (status, answer["code"].clone()),
        (200, json!(1002)),
        "{answer}"
    );
    assert_eq!(answer["data"], "45009 quota", "{answer}");

    app.sim
        .fault(COMPONENT_TOKEN, json!({"http_status": 502, "times": 1}));
    let answer = app
        .get("/wxcomponent/admin/component-access-token", &jwt)
        .await;
    assert_eq!(answer["code"], 1010, "{answer}");
    assert!(answer["data"].as_str().unwrap().contains("502"), "{answer}");
}

#[tokio::test]
async fn the_inner_api_requires_the_shared_token() {
    let app = TestApp::spawn().await;
    app.seed_ticket().await;
    let path = app.url("/inner/ticket");
    let none = app.client.get(&path).send().await.unwrap();
    assert_eq!(none.status().as_u16(), 401);
    let body: serde_json::Value = none.json().await.unwrap();
    assert_eq!(body["code"], 1000);

    let wrong = app
        .client
        .get(&path)
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    let almost = app
        .client
        .get(&path)
        .bearer_auth(&INNER_TOKEN[..INNER_TOKEN.len() - 1])
        .send()
        .await
        .unwrap();
    assert_eq!(almost.status().as_u16(), 401);

    let header = app
        .client
        .get(&path)
        .header("x-inner-token", INNER_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(header.status().as_u16(), 200);
    let (status, body) = app.inner_get("/inner/ticket").await;
    assert_eq!((status, body["code"].clone()), (200, json!(0)));

    // A console JWT is not an inner token.
    let jwt = app.login().await;
    let (status, _) = app
        .call(Method::GET, "/inner/ticket", Some(&jwt), None)
        .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn loopback_callers_need_no_token_only_when_enabled() {
    let app = TestApp::spawn_with(&[
        ("WXC__ADMIN__INNER_TOKEN", ""),
        ("WXC__ADMIN__INNER_ALLOW_LOOPBACK", "true"),
    ])
    .await;
    app.seed_ticket().await;
    let (status, _) = app.call(Method::GET, "/inner/ticket", None, None).await;
    assert_eq!(status, 200);

    let closed = TestApp::spawn_with(&[("WXC__ADMIN__INNER_TOKEN", "")]).await;
    let (status, _) = closed.call(Method::GET, "/inner/ticket", None, None).await;
    assert_eq!(status, 401);
    let (status, _) = closed.inner_get("/inner/ticket").await;
    assert_eq!(status, 401, "no token is configured, so none is accepted");
}

/// `POST /inner/token-rejected`, as a business service reports.
async fn report(app: &TestApp, appid: &str, token: &str) -> serde_json::Value {
    let response = app
        .client
        .post(app.url("/inner/token-rejected"))
        .bearer_auth(INNER_TOKEN)
        .json(&json!({"appid": appid, "token": token}))
        .send()
        .await
        .expect("report sent");
    assert_eq!(response.status().as_u16(), 200);
    response.json().await.expect("report JSON")
}

#[tokio::test]
async fn a_rejected_token_is_invalidated_only_while_current_and_refreshed_once() {
    let app = TestApp::spawn().await;
    app.seed_ticket().await;
    let (_, answer) = app.inner_get("/inner/component-access-token").await;
    let t1 = answer["data"]["token"].as_str().unwrap().to_string();
    assert_eq!(app.sim.count(COMPONENT_TOKEN), 1);

    // Many callers report T1 at once: one refresh.
    let answers = join_all((0..20).map(|_| report(&app, "", &t1))).await;
    let t2 = answers[0]["data"]["token"].as_str().unwrap().to_string();
    assert_ne!(t1, t2);
    for answer in &answers {
        assert_eq!(answer["code"], 0, "{answer}");
        assert_eq!(answer["data"]["token"], t2.as_str(), "{answer}");
    }
    assert!(answers.iter().any(|a| a["data"]["invalidated"] == true));
    assert_eq!(app.sim.count(COMPONENT_TOKEN), 2, "refreshed exactly once");
    let (_, answer) = app.inner_get("/inner/component-access-token").await;
    assert_eq!(answer["data"]["token"], t2.as_str());

    // A late report of T1 cannot kill T2.
    let answer = report(&app, "", &t1).await;
    assert_eq!(answer["data"]["invalidated"], false);
    assert_eq!(answer["data"]["token"], t2.as_str());
    assert_eq!(app.sim.count(COMPONENT_TOKEN), 2);

    // Reporting the current one replaces it.
    let answer = report(&app, "", &t2).await;
    assert_eq!(answer["data"]["invalidated"], true);
    assert_ne!(answer["data"]["token"], t2.as_str());
    assert_eq!(app.sim.count(COMPONENT_TOKEN), 3);
}

#[tokio::test]
async fn malformed_rejection_reports_are_1001() {
    let app = TestApp::spawn().await;
    for body in [
        json!({}),
        json!({"token": ""}),
        json!({"appid": "a b", "token": "x"}),
    ] {
        let response = app
            .client
            .post(app.url("/inner/token-rejected"))
            .bearer_auth(INNER_TOKEN)
            .json(&body)
            .send()
            .await
            .unwrap();
        let answer: serde_json::Value = response.json().await.unwrap();
        assert_eq!(answer["code"], 1001, "{body}: {answer}");
    }
}

#[tokio::test]
async fn a_rejection_seen_by_one_replica_reaches_the_other() {
    let app = TestApp::spawn().await;
    let other = app.another_instance().await;
    app.seed_ticket().await;
    app.seed_authorizer("wxauthorizer000003", true).await;
    let path = "/inner/authorizer-access-token?appid=wxauthorizer000003";
    let t1 = app.inner_get(path).await.1["data"]["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(other.inner_get(path).await.1["data"]["token"], t1.as_str());
    let t2 = report(&app, "wxauthorizer000003", &t1).await["data"]["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(t1, t2);
    // The other replica still caches T1; a caller reporting it there gets T2
    // without a second refresh.
    let answer = report(&other, "wxauthorizer000003", &t1).await;
    assert_eq!(answer["data"]["token"], t2.as_str());
    assert_eq!(answer["data"]["invalidated"], false);
    assert_eq!(app.sim.count(AUTHORIZER_TOKEN), 2);
}

#[tokio::test]
async fn without_a_secret_tokens_answer_41004_until_one_is_set_in_the_console() {
    let app = TestApp::spawn_with(&[("WXC__WECHAT__COMPONENT_SECRET", "")]).await;
    app.seed_ticket().await;
    let jwt = app.login().await;
    let answer = app
        .get("/wxcomponent/admin/component-access-token", &jwt)
        .await;
    assert_eq!(answer["code"], 41004, "{answer}");
    assert_eq!(
        app.get("/wxcomponent/admin/secret", &jwt).await["data"]["secret"],
        ""
    );

    let secret = app.sim.settings.component_secret.clone();
    let answer = app
        .post("/wxcomponent/admin/secret", &jwt, json!({"secret": secret}))
        .await;
    assert_eq!(answer["code"], 0, "{answer}");
    let answer = app
        .get("/wxcomponent/admin/component-access-token", &jwt)
        .await;
    assert_eq!(answer["code"], 0, "{answer}");
    // A replica (and the callback receiver, through the same token core)
    // reads the sealed secret too.
    let other = app.another_instance().await;
    let appid = app.sim.settings.component_appid.clone();
    app.db()
        .run(move |conn| common::tokens::store::delete_tokens(conn, &appid))
        .await
        .unwrap();
    let (_, answer) = other.inner_get("/inner/component-access-token").await;
    assert_eq!(answer["code"], 0, "{answer}");
}

#[tokio::test]
async fn the_cloud_run_cloudbase_token_is_refused_clearly() {
    let app = TestApp::spawn().await;
    let jwt = app.login().await;
    let answer = app
        .get("/wxcomponent/admin/cloudbase-access-token", &jwt)
        .await;
    assert_eq!(answer["code"], 1008, "{answer}");
    assert!(answer["errorMsg"]
        .as_str()
        .unwrap()
        .contains("component-access-token"));
}
