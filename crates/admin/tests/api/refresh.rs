//! Single-flight across replicas and the background refresher. Time-based
//! behaviour uses short token lifetimes in wxsim (real seconds).

use std::sync::Arc;
use std::time::Duration;

use crate::support::{eventually, Sim, TestApp};
use chrono::TimeDelta;
use common::db::now;
use common::db::testing::TestDatabase;
use common::tokens::{store, TokenKey};
use futures::future::join_all;
use serde_json::json;

const COMPONENT_TOKEN: &str = "/cgi-bin/component/api_component_token";
const AUTHORIZER_TOKEN: &str = "/cgi-bin/component/api_authorizer_token";

/// An expired component token in the database, as after a long pause.
async fn store_expired_token(app: &TestApp) {
    let appid = app.sim.settings.component_appid.clone();
    app.db()
        .run(move |conn| {
            store::save_token(
                conn,
                store::TOKEN_TYPE_COMPONENT,
                &appid,
                &store::StoredToken {
                    token: "expired-component-token".into(),
                    expires_at: now() - TimeDelta::seconds(30),
                },
            )
        })
        .await
        .expect("test set-up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn five_hundred_requests_over_two_replicas_cause_one_wechat_call() {
    let app = TestApp::spawn().await;
    let other = app.another_instance().await;
    app.seed_ticket().await;
    store_expired_token(&app).await;

    let client = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(300)
        .build()
        .unwrap();
    let requests = (0..500).map(|i| {
        let base = if i % 2 == 0 {
            &app.base_url
        } else {
            &other.base_url
        };
        let request = client
            .get(format!("{base}/inner/component-access-token"))
            .bearer_auth(crate::support::INNER_TOKEN);
        async move {
            let response = request.send().await.expect("request");
            assert_eq!(response.status().as_u16(), 200);
            response.json::<serde_json::Value>().await.expect("JSON")
        }
    });
    let answers = join_all(requests).await;
    let first = answers[0]["data"]["token"].as_str().unwrap().to_string();
    assert_ne!(first, "expired-component-token");
    for answer in &answers {
        assert_eq!(answer["code"], 0, "{answer}");
        assert_eq!(answer["data"]["token"], first.as_str());
    }
    assert_eq!(
        app.sim.count(COMPONENT_TOKEN),
        1,
        "exactly one api_component_token call"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_authorizer_token_requests_over_two_replicas_cause_one_call_each() {
    let app = TestApp::spawn().await;
    let other = app.another_instance().await;
    app.seed_ticket().await;
    app.seed_authorizer("wxflightauth000001", false).await;
    app.seed_authorizer("wxflightauth000002", true).await;
    let requests = (0..200).map(|i| {
        let target = if i % 2 == 0 { &app } else { &other };
        let appid = if i % 4 < 2 {
            "wxflightauth000001"
        } else {
            "wxflightauth000002"
        };
        async move {
            target
                .inner_get(&format!("/inner/authorizer-access-token?appid={appid}"))
                .await
                .1
        }
    });
    let answers = join_all(requests).await;
    for answer in &answers {
        assert_eq!(answer["code"], 0, "{answer}");
    }
    assert_eq!(app.sim.count(COMPONENT_TOKEN), 1);
    assert_eq!(app.sim.count(AUTHORIZER_TOKEN), 2);
}

fn worker_settings() -> Vec<(&'static str, &'static str)> {
    vec![
        ("WXC__TOKENS__REFRESH_INTERVAL_SECS", "1"),
        ("WXC__TOKENS__REFRESH_MARGIN_SECS", "4"),
        ("WXC__TOKENS__REQUEST_MARGIN_SECS", "1"),
        ("WXC__TOKENS__REFRESH_BACKOFF_MIN_MS", "200"),
        ("WXC__TOKENS__REFRESH_BACKOFF_MAX_MS", "800"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_refresher_renews_tokens_before_they_expire() {
    let sim = Sim::start(7).await;
    let app = TestApp::spawn_on(sim, Arc::new(TestDatabase::new()), &worker_settings()).await;
    app.seed_ticket().await;
    app.seed_authorizer("wxrefreshauth00001", false).await;
    let (_, answer) = app
        .inner_get("/inner/authorizer-access-token?appid=wxrefreshauth00001")
        .await;
    assert_eq!(answer["code"], 0, "{answer}");
    let component = app.stored_token(TokenKey::Component).await.unwrap();
    let authorizer = app
        .stored_token(TokenKey::Authorizer("wxrefreshauth00001".into()))
        .await
        .unwrap();

    let renewed = eventually(Duration::from_secs(15), || async {
        app.sim.count(COMPONENT_TOKEN) >= 2 && app.sim.count(AUTHORIZER_TOKEN) >= 2
    })
    .await;
    assert!(renewed, "both tokens renewed by the refresher");
    let new_component = app.stored_token(TokenKey::Component).await.unwrap();
    assert_ne!(new_component.token, component.token);
    assert!(new_component.expires_at > component.expires_at);
    let new_authorizer = app
        .stored_token(TokenKey::Authorizer("wxrefreshauth00001".into()))
        .await
        .unwrap();
    assert_ne!(new_authorizer.token, authorizer.token);
    // Renewed ahead of expiry: the old token had not expired yet.
    assert!(
        now() < component.expires_at + TimeDelta::seconds(1),
        "the component token was renewed before it expired"
    );
    let (_, answer) = app.inner_get("/inner/component-access-token").await;
    assert_ne!(answer["data"]["token"], component.token.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_refresh_keeps_the_current_token_and_retries_with_backoff() {
    let sim = Sim::start(8).await;
    let app = TestApp::spawn_on(sim, Arc::new(TestDatabase::new()), &worker_settings()).await;
    app.seed_ticket().await;
    let (_, answer) = app.inner_get("/inner/component-access-token").await;
    let t1 = answer["data"]["token"].as_str().unwrap().to_string();
    app.sim.fault(
        COMPONENT_TOKEN,
        json!({"errcode": 45009, "errmsg": "quota", "times": 3}),
    );

    // While WeChat refuses, callers keep getting the still-valid token.
    let failed = eventually(Duration::from_secs(15), || async {
        app.sim.count(COMPONENT_TOKEN) >= 3
    })
    .await;
    assert!(failed, "the refresher retried");
    let (_, answer) = app.inner_get("/inner/component-access-token").await;
    assert_eq!(answer["code"], 0);
    if app.sim.count(COMPONENT_TOKEN) < 5 {
        assert_eq!(answer["data"]["token"], t1.as_str(), "{answer}");
    }

    let recovered = eventually(Duration::from_secs(15), || async {
        app.stored_token(TokenKey::Component)
            .await
            .is_some_and(|t| t.token != t1)
    })
    .await;
    assert!(recovered, "a later attempt succeeded");
    assert_eq!(
        app.sim.count(COMPONENT_TOKEN),
        5,
        "1 + 3 refused + 1 success"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refreshers_on_two_replicas_renew_a_token_once() {
    let sim = Sim::start(9).await;
    let app = TestApp::spawn_on(sim, Arc::new(TestDatabase::new()), &worker_settings()).await;
    let _other = app.another_instance().await;
    app.seed_ticket().await;
    let first = eventually(Duration::from_secs(10), || async {
        app.sim.count(COMPONENT_TOKEN) >= 1
    })
    .await;
    assert!(first, "the refresher fetched the first token");
    let renewed = eventually(Duration::from_secs(15), || async {
        app.sim.count(COMPONENT_TOKEN) >= 2
    })
    .await;
    assert!(renewed);
    // Both refreshers run at least once more before the new token is due
    // (9 s lifetime, renewed with 4 s left): neither calls WeChat again.
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert_eq!(app.sim.count(COMPONENT_TOKEN), 2);
}
