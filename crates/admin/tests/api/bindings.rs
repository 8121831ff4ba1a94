//! Binding a business id from the authorization redirect's `auth_code`:
//! `POST /inner/bindings`, `GET /inner/bindings`, the console's list and
//! unbind, the code spent once when the `authorized` push races the page,
//! and bad input refused with stored data intact.

use common::db::schema::{authorizer_bindings, authorizers};
use diesel::prelude::*;
use serde_json::{json, Value};
use wxsim::push::{push, PushFields, PushMode, PushTarget};

use crate::support::{eventually, TestApp};

const QUERY_AUTH: &str = "/cgi-bin/component/api_query_auth";

/// An authorization code WeChat would hand the operator's page for `appid`
/// (authorizing it in wxsim), without any push.
fn auth_code(app: &TestApp, appid: &str) -> String {
    wxsim::flows::mint_auth_code(&app.sim.state, appid, true).code
}

#[track_caller]
fn data(answer: &Value) -> &Value {
    assert_eq!(answer["code"], 0, "{answer}");
    &answer["data"]
}

async fn bind(app: &TestApp, body: Value) -> Value {
    let (status, answer) = app.inner_post("/inner/bindings", body).await;
    assert_eq!(status, 200, "{answer}");
    answer
}

async fn binding(app: &TestApp, biz_id: &str) -> Value {
    let (status, answer) = app
        .inner_get(&format!("/inner/bindings?bizId={biz_id}"))
        .await;
    assert_eq!(status, 200, "{answer}");
    data(&answer).clone()
}

/// Every stored (bizId, appid, state) and every stored authorizer appid.
async fn stored(app: &TestApp) -> (Vec<(String, String, String)>, Vec<String>) {
    app.db()
        .run(|conn| {
            let rows = authorizer_bindings::table
                .select((
                    authorizer_bindings::bizid,
                    authorizer_bindings::appid,
                    authorizer_bindings::state,
                ))
                .order(authorizer_bindings::id)
                .load(conn)?;
            let appids = authorizers::table
                .select(authorizers::appid)
                .order(authorizers::id)
                .load(conn)?;
            Ok((rows, appids))
        })
        .await
        .expect("stored rows")
}

#[tokio::test]
async fn a_business_id_binds_to_the_account_that_authorized_with_the_code() {
    let app = TestApp::spawn().await;
    app.seed_ticket().await;
    let appid = "wxboundmini0000001";
    let code = auth_code(&app, appid);

    let answer = bind(&app, json!({"authCode": code, "bizId": "shop-42"})).await;
    let bound = data(&answer);
    assert_eq!(bound["bizId"], "shop-42");
    assert_eq!(bound["appid"], appid);
    assert_eq!(bound["state"], "bound");
    assert_eq!(bound["authCode"], code.as_str());
    assert!(bound["createTime"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z')));

    // The authorizer is stored with WeChat's refresh token and first token.
    let refresh = app.sim.refresh_token(appid);
    let stored_refresh: String = app
        .db()
        .run(move |conn| {
            Ok(authorizers::table
                .filter(authorizers::appid.eq(appid))
                .select(authorizers::refreshtoken)
                .first(conn)?)
        })
        .await
        .expect("authorizer stored");
    assert_eq!(stored_refresh, refresh);
    assert!(app
        .stored_token(common::tokens::TokenKey::Authorizer(appid.into()))
        .await
        .is_some());

    // Read back by business id, on the inner API and in the console.
    assert_eq!(&binding(&app, "shop-42").await, bound);
    assert_eq!(binding(&app, "shop-unknown").await, Value::Null);
    let jwt = app.login().await;
    let list = app
        .get("/wxcomponent/admin/bindings?offset=0&limit=10", &jwt)
        .await;
    assert_eq!(data(&list)["total"], 1);
    assert_eq!(&data(&list)["records"][0], bound);
    let by_appid = app
        .get(&format!("/wxcomponent/admin/bindings?appid={appid}"), &jwt)
        .await;
    assert_eq!(data(&by_appid)["total"], 1);
    let other = app
        .get("/wxcomponent/admin/bindings?bizId=shop-7", &jwt)
        .await;
    assert_eq!(data(&other)["total"], 0);

    // The page sending the same code again gets the same binding; WeChat
    // is not asked twice.
    let again = bind(&app, json!({"authCode": code, "bizId": "shop-42"})).await;
    assert_eq!(data(&again)["appid"], appid);
    assert_eq!(app.sim.count(QUERY_AUTH), 1);

    // Unbinding removes the binding, not the authorization.
    let unbound = app
        .post(
            "/wxcomponent/admin/unbind",
            &jwt,
            json!({"bizId": "shop-42"}),
        )
        .await;
    assert_eq!(unbound["code"], 0, "{unbound}");
    assert_eq!(binding(&app, "shop-42").await, Value::Null);
    let (rows, appids) = stored(&app).await;
    assert!(rows.is_empty());
    assert_eq!(appids, vec![appid.to_string()]);
    let twice = app
        .post(
            "/wxcomponent/admin/unbind",
            &jwt,
            json!({"bizId": "shop-42"}),
        )
        .await;
    assert_eq!(twice["code"], 1001, "{twice}");
}

#[tokio::test]
async fn bad_input_is_refused_and_leaves_stored_bindings_intact() {
    let app = TestApp::spawn().await;
    app.seed_ticket().await;
    let appid = "wxboundmini0000002";
    let code = auth_code(&app, appid);
    data(&bind(&app, json!({"authCode": code, "bizId": "shop-1"})).await);
    let before = stored(&app).await;

    // Missing or malformed fields: 1001 naming the field, WeChat not asked.
    for (body, field) in [
        (json!({"bizId": "shop-1"}), "authCode"),
        (json!({"authCode": "queryauthcode@@@x"}), "bizId"),
        (json!({"authCode": "", "bizId": "shop-1"}), "authCode"),
        (
            json!({"authCode": "queryauthcode@@@x", "bizId": "  "}),
            "bizId",
        ),
        (json!({"authCode": 42, "bizId": "shop-1"}), "authCode"),
        (
            json!({"authCode": "queryauthcode@@@x", "bizId": "x".repeat(65)}),
            "bizId",
        ),
        (
            json!({"authCode": "has space", "bizId": "shop-1"}),
            "authCode",
        ),
    ] {
        let answer = bind(&app, body.clone()).await;
        assert_eq!(answer["code"], 1001, "{body}: {answer}");
        assert!(
            answer["errorMsg"]
                .as_str()
                .is_some_and(|m| m.contains(field)),
            "{body}: {answer}"
        );
    }
    let (status, answer) = app.inner_post("/inner/bindings", json!(null)).await;
    assert_eq!(
        (status, answer["code"].clone()),
        (200, json!(1001)),
        "{answer}"
    );
    let (status, answer) = app.inner_get("/inner/bindings").await;
    assert_eq!(
        (status, answer["code"].clone()),
        (200, json!(1001)),
        "{answer}"
    );
    assert_eq!(app.sim.count(QUERY_AUTH), 1);

    // A code WeChat does not know (61009) and an expired one (61010):
    // WeChat's refusal is 1002 with its errcode and errmsg in `data`.
    let unknown = bind(
        &app,
        json!({"authCode": "queryauthcode@@@unknown", "bizId": "shop-1"}),
    )
    .await;
    assert_eq!(unknown["code"], 1002, "{unknown}");
    assert!(
        unknown["data"]
            .as_str()
            .is_some_and(|d| d.starts_with("61009 ")),
        "{unknown}"
    );
    let late = auth_code(&app, "wxboundmini0000003");
    app.sim.state.clock.advance(3601);
    let expired = bind(&app, json!({"authCode": late, "bizId": "shop-1"})).await;
    assert_eq!(expired["code"], 1002, "{expired}");
    assert!(
        expired["data"]
            .as_str()
            .is_some_and(|d| d.starts_with("61010 ")),
        "{expired}"
    );

    // Nothing stored changed: shop-1 is still bound to the first account.
    assert_eq!(stored(&app).await, before);
    assert_eq!(binding(&app, "shop-1").await["appid"], appid);

    // The inner routes need the inner token.
    let (status, _) = app
        .call(
            reqwest::Method::POST,
            "/inner/bindings",
            None,
            Some(json!({"authCode": "x", "bizId": "y"})),
        )
        .await;
    assert_eq!(status, 401);
    // The console routes need a login.
    let (status, answer) = app
        .call(
            reqwest::Method::GET,
            "/wxcomponent/admin/bindings",
            None,
            None,
        )
        .await;
    assert_eq!(
        (status, answer["code"].clone()),
        (200, json!(1000)),
        "{answer}"
    );
}

/// The `authorized` push of `code` for `appid`, as WeChat sends it.
fn authorized_push(app: &TestApp, appid: &str, code: &str) -> PushFields {
    let now = app.sim.state.now();
    PushFields::new()
        .text("AppId", app.sim.settings.component_appid.clone())
        .int("CreateTime", now)
        .text("InfoType", "authorized")
        .text("AuthorizerAppid", appid)
        .text("AuthorizationCode", code)
        .int("AuthorizationCodeExpiredTime", now + 3600)
}

#[tokio::test]
async fn the_code_is_spent_once_when_the_push_and_the_page_bind_at_the_same_moment() {
    let app = TestApp::spawn_with_callback().await;
    app.seed_ticket().await;
    // WeChat answers the exchange slowly, so whoever claims the code holds
    // the claim while the other party arrives and has to wait for it.
    app.sim.fault(QUERY_AUTH, json!({"delay_ms": 300}));
    let mode = PushMode::from_settings(&app.sim.state.settings);
    for n in 0..4 {
        let appid = format!("wxracingmini00000{n}");
        let biz_id = format!("shop-race-{n}");
        let code = auth_code(&app, &appid);
        let fields = authorized_push(&app, &appid, &code);
        let pushed = push(&app.sim.state, &PushTarget::Component, &fields, mode);
        let bound = bind(&app, json!({"authCode": code, "bizId": biz_id}));
        let (pushed, bound) = if n % 2 == 0 {
            tokio::join!(pushed, bound)
        } else {
            let (bound, pushed) = tokio::join!(bound, pushed);
            (pushed, bound)
        };
        assert!(pushed.delivered, "{pushed:?}");
        assert_eq!(data(&bound)["appid"], appid.as_str(), "{bound}");
        // The callback receiver finishes in the background (details).
        let check = appid.clone();
        assert!(
            eventually(std::time::Duration::from_secs(10), || {
                let appid = check.clone();
                let db = app.db();
                async move {
                    db.run(move |conn| {
                        Ok(authorizers::table
                            .filter(authorizers::appid.eq(&appid))
                            .select(authorizers::nickname)
                            .first::<String>(conn)
                            .optional()?)
                    })
                    .await
                    .expect("authorizer read")
                    .is_some_and(|name| !name.is_empty())
                }
            })
            .await,
            "the callback receiver completed {appid}"
        );
        assert_eq!(
            app.sim.count(QUERY_AUTH),
            n + 1,
            "the code of {appid} was exchanged once"
        );
    }
    let (rows, appids) = stored(&app).await;
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().all(|(_, _, state)| state == "bound"));
    assert_eq!(
        appids.len(),
        4,
        "one authorizer row per account: {appids:?}"
    );
}
