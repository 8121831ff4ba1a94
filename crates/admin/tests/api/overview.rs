//! `GET /admin/overview`: the console's home page figures, each from what
//! is really stored or reported.

use std::time::Duration;

use chrono::TimeDelta;
use common::db::audits::{self, status, Decision};
use common::db::now;
use common::db::schema::{authorizers, comm, wxcallback_biz, wxcallback_component};
use diesel::prelude::*;
use serde_json::{json, Value};

use crate::support::{eventually, TestApp, INNER_TOKEN};

async fn overview(app: &TestApp, jwt: &str) -> Value {
    let answer = app.get("/wxcomponent/admin/overview", jwt).await;
    assert_eq!(answer["code"], 0, "{answer}");
    answer["data"].clone()
}

/// Stores pushes received `ago` before now: component pushes first, then biz.
async fn seed_pushes(app: &TestApp, component_ago: &[i64], biz_ago: &[i64]) {
    let (component_ago, biz_ago) = (component_ago.to_vec(), biz_ago.to_vec());
    app.db()
        .run(move |conn| {
            for ago in component_ago {
                let t = now() - TimeDelta::seconds(ago);
                diesel::insert_into(wxcallback_component::table)
                    .values((
                        wxcallback_component::receivetime.eq(t),
                        wxcallback_component::createtime.eq(t),
                        wxcallback_component::infotype.eq("component_verify_ticket"),
                        wxcallback_component::postbody.eq("<xml/>"),
                    ))
                    .execute(conn)?;
            }
            for ago in biz_ago {
                let t = now() - TimeDelta::seconds(ago);
                diesel::insert_into(wxcallback_biz::table)
                    .values((
                        wxcallback_biz::receivetime.eq(t),
                        wxcallback_biz::createtime.eq(t),
                        wxcallback_biz::tousername.eq("gh_test"),
                        wxcallback_biz::appid.eq("wxoverviewbiz001"),
                        wxcallback_biz::msgtype.eq("text"),
                        wxcallback_biz::event.eq(""),
                        wxcallback_biz::postbody.eq("<xml/>"),
                    ))
                    .execute(conn)?;
            }
            Ok(())
        })
        .await
        .expect("pushes stored");
}

#[tokio::test]
async fn an_empty_platform_shows_nothing_stored_and_a_missing_ticket() {
    let app = TestApp::spawn().await;
    let jwt = app.login().await;
    let data = overview(&app, &jwt).await;
    assert_eq!(data["componentAppid"], app.sim.settings.component_appid);
    assert_eq!(
        data["ticket"],
        json!({"present": false, "ageSecs": null, "stale": true})
    );
    assert_eq!(data["componentToken"]["present"], false);
    assert_eq!(
        data["authorizers"],
        json!({"officialAccounts": 0, "miniPrograms": 0})
    );
    assert_eq!(data["pushes"]["lastDay"], 0);
    assert_eq!(data["pushes"]["hourly"], json!(vec![0; 24]));
    assert_eq!(data["refusals"], json!({"lastHour": 0, "lastDay": 0}));
    assert_eq!(data["gateways"], json!([]));
    assert_eq!(data["attention"]["auditsRejected"]["count"], 0);
    assert_eq!(
        data["attention"]["authorizationsFailed"],
        json!({"count": 0, "latest": []})
    );
    assert_eq!(data["attention"]["refreshTokensRefused"]["count"], 0);
}

#[tokio::test]
async fn the_figures_count_what_is_stored() {
    let app = TestApp::spawn().await;
    let jwt = app.login().await;
    app.seed_ticket().await;
    let (_, token) = app.inner_get("/inner/component-access-token").await;
    assert_eq!(token["code"], 0, "{token}");
    app.seed_authorizer("wxoverviewoa0001", false).await;
    app.seed_authorizer("wxoverviewmp0001", true).await;
    app.seed_authorizer("wxoverviewmp0002", true).await;
    // Two pushes now and one half an hour ago (the last hour), one five
    // hours ago, one from yesterday outside the chart.
    seed_pushes(&app, &[0, 0], &[1800, 5 * 3600, 30 * 3600]).await;
    app.db()
        .run(|conn| {
            let rejected = Decision {
                status: status::REJECTED,
                reason: "page missing".into(),
                screen_shot: String::new(),
            };
            audits::decided(conn, "wxoverviewmp0001", &rejected)?;
            let approved = Decision {
                status: status::APPROVED,
                reason: String::new(),
                screen_shot: String::new(),
            };
            audits::decided(conn, "wxoverviewmp0002", &approved)
        })
        .await
        .expect("audits stored");

    let data = overview(&app, &jwt).await;
    assert_eq!(data["ticket"]["present"], true);
    assert!(
        data["ticket"]["ageSecs"].as_i64().expect("age") < 60,
        "{data}"
    );
    assert_eq!(data["ticket"]["stale"], false);
    let stored = app
        .stored_token(common::tokens::TokenKey::Component)
        .await
        .expect("component token stored");
    assert_eq!(data["componentToken"]["present"], true);
    assert_eq!(
        data["componentToken"]["expiresAt"],
        stored
            .expires_at
            .and_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    let expires_in = data["componentToken"]["expiresInSecs"]
        .as_i64()
        .expect("expiresInSecs");
    assert!((7000..=7200).contains(&expires_in), "{data}");
    assert_eq!(
        data["authorizers"],
        json!({"officialAccounts": 1, "miniPrograms": 2})
    );
    assert_eq!(data["pushes"]["lastHour"], 3, "{data}");
    assert_eq!(data["pushes"]["lastDay"], 4, "{data}");
    let hourly: Vec<i64> =
        serde_json::from_value(data["pushes"]["hourly"].clone()).expect("24 counts");
    assert_eq!(hourly.len(), 24);
    assert_eq!((hourly[23], hourly[18]), (3, 1), "{hourly:?}");
    assert_eq!(hourly.iter().sum::<i64>(), 4);
    assert_eq!(
        data["attention"]["auditsRejected"],
        json!({"count": 1, "appids": ["wxoverviewmp0001"]})
    );

    // A ticket not renewed for 20 minutes is stale.
    app.db()
        .run(|conn| {
            diesel::update(comm::table.find("ticket"))
                .set(comm::updatetime.eq(now() - TimeDelta::minutes(20)))
                .execute(conn)?;
            Ok(())
        })
        .await
        .expect("ticket aged");
    let data = overview(&app, &jwt).await;
    assert_eq!(data["ticket"]["stale"], true, "{data}");
    assert!(data["ticket"]["ageSecs"].as_i64().expect("age") >= 1200);
}

async fn poll_routes(app: &TestApp, headers: &[(&str, &str)]) -> u16 {
    let mut request = app
        .client
        .get(app.url("/inner/routes"))
        .bearer_auth(INNER_TOKEN);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("poll sent").status().as_u16()
}

#[tokio::test]
async fn a_gateway_s_poll_reports_the_services_health() {
    let app = TestApp::spawn().await;
    let jwt = app.login().await;
    let status = poll_routes(
        &app,
        &[
            ("x-wxc-gateway", "gateway-a"),
            ("x-wxc-upstreams", "admin=1/1,business=2/3"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    let data = overview(&app, &jwt).await;
    let gateways = data["gateways"].as_array().expect("gateways");
    assert_eq!(gateways.len(), 1, "{data}");
    assert_eq!(gateways[0]["gateway"], "gateway-a");
    assert!(gateways[0]["ageSecs"].as_u64().expect("age") < 5);
    assert_eq!(
        gateways[0]["services"],
        json!([
            {"name": "admin", "healthy": 1, "total": 1},
            {"name": "business", "healthy": 2, "total": 3}
        ])
    );

    // An unchanged table (304) still carries the latest view; an unreadable
    // report does not break the poll and is not kept.
    let etag = app
        .client
        .get(app.url("/inner/routes"))
        .bearer_auth(INNER_TOKEN)
        .send()
        .await
        .expect("poll sent")
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .expect("etag");
    let status = poll_routes(
        &app,
        &[
            ("if-none-match", etag.as_str()),
            ("x-wxc-gateway", "gateway-a"),
            ("x-wxc-upstreams", "admin=1/1,business=3/3"),
        ],
    )
    .await;
    assert_eq!(status, 304);
    let status = poll_routes(
        &app,
        &[
            ("x-wxc-gateway", "gateway-b"),
            ("x-wxc-upstreams", "business=5/3"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    let data = overview(&app, &jwt).await;
    assert_eq!(data["gateways"].as_array().expect("gateways").len(), 1);
    assert_eq!(data["gateways"][0]["services"][1]["healthy"], 3, "{data}");
}

#[tokio::test]
async fn a_refresh_token_wechat_refused_needs_attention_until_the_account_authorizes_again() {
    let app = TestApp::spawn().await;
    let jwt = app.login().await;
    app.seed_ticket().await;
    app.seed_authorizer("wxoverviewstale1", false).await;
    app.spoil_refresh_tokens().await;
    let (_, answer) = app
        .inner_get("/inner/authorizer-access-token?appid=wxoverviewstale1")
        .await;
    assert_eq!(answer["code"], 1008, "{answer}");
    let data = overview(&app, &jwt).await;
    assert_eq!(
        data["attention"]["refreshTokensRefused"],
        json!({"count": 1, "appids": ["wxoverviewstale1"]})
    );

    // Authorizing again stores a new refresh token: no longer listed.
    let fresh = app.sim.authorize("wxoverviewstale1", false);
    app.db()
        .run(move |conn| {
            diesel::update(authorizers::table)
                .set(authorizers::refreshtoken.eq(&fresh))
                .execute(conn)?;
            Ok(())
        })
        .await
        .expect("authorized again");
    let data = overview(&app, &jwt).await;
    assert_eq!(
        data["attention"]["refreshTokensRefused"]["count"], 0,
        "{data}"
    );
}

#[tokio::test]
async fn a_forged_push_to_the_callback_raises_the_refusal_count() {
    let app = TestApp::spawn_with_callback().await;
    let jwt = app.login().await;
    let callback = &app.sim.settings.callback_url;
    let forged = app
        .client
        .post(format!(
            "{callback}/wxcallback/component?timestamp={}&nonce=1&encrypt_type=aes&msg_signature=forged",
            now().and_utc().timestamp()
        ))
        .body("<xml><ToUserName><![CDATA[x]]></ToUserName><Encrypt><![CDATA[AAAA]]></Encrypt></xml>")
        .send()
        .await
        .expect("forged push sent");
    assert_eq!(forged.status().as_u16(), 401);
    let counted = eventually(Duration::from_secs(10), || async {
        overview(&app, &jwt).await["refusals"]["lastHour"] == 1
    })
    .await;
    assert!(counted, "{}", overview(&app, &jwt).await);
    assert_eq!(overview(&app, &jwt).await["refusals"]["lastDay"], 1);
}

#[tokio::test]
async fn the_overview_needs_a_login() {
    let app = TestApp::spawn().await;
    let answer = app.get("/wxcomponent/admin/overview", "not-a-jwt").await;
    assert_ne!(answer["code"], 0, "{answer}");
    assert!(answer["data"].get("componentAppid").is_none(), "{answer}");
}

#[tokio::test]
async fn failed_authorizations_need_attention_until_the_account_is_pulled() {
    let app = TestApp::spawn().await;
    let jwt = app.login().await;
    app.seed_ticket().await;
    let appid = "wxoverviewfailed1";
    app.db()
        .run(move |conn| {
            common::db::authorization_failures::record(
                conn,
                "wxoverviewfailed0",
                "details",
                "WeChat error 61003: component is not authorized by this account",
                1_000,
            )?;
            common::db::authorization_failures::record(
                conn,
                appid,
                "exchange",
                "WeChat error 61010: code is expired",
                2_000,
            )
        })
        .await
        .expect("failures recorded");
    let data = overview(&app, &jwt).await;
    let failed = &data["attention"]["authorizationsFailed"];
    assert_eq!(failed["count"], 2, "{data}");
    assert_eq!(
        failed["latest"][0],
        json!({"appid": appid, "step": "exchange",
            "error": "WeChat error 61010: code is expired", "failTime": 2_000}),
        "latest first"
    );
    assert_eq!(failed["latest"][1]["appid"], "wxoverviewfailed0");

    // The account authorized in WeChat after all: the pull stores it and
    // the failure goes.
    app.sim.authorize(appid, false);
    let pulled = app
        .post("/wxcomponent/admin/pull-authorizer-list", &jwt, json!({}))
        .await;
    assert_eq!(pulled["code"], 0, "{pulled}");
    let data = overview(&app, &jwt).await;
    let failed = &data["attention"]["authorizationsFailed"];
    assert_eq!(failed["count"], 1, "{data}");
    assert_eq!(failed["latest"][0]["appid"], "wxoverviewfailed0");
}
