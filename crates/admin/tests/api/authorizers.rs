//! Pulling the authorizer list from WeChat and listing it with fresh details.

use crate::support::TestApp;
use common::db::schema::{authorizers, wxcallback_component};
use common::tokens::TokenKey;
use diesel::prelude::*;
use serde_json::json;

async fn stored_appids(app: &TestApp) -> Vec<String> {
    app.db()
        .run(|conn| {
            Ok(authorizers::table
                .select(authorizers::appid)
                .order(authorizers::appid.asc())
                .load(conn)?)
        })
        .await
        .expect("test set-up")
}

#[tokio::test]
async fn a_pull_stores_every_authorizer_with_its_details_and_removes_those_gone() {
    let app = TestApp::spawn().await;
    app.seed_ticket().await;
    // One stale row WeChat no longer lists, with a token.
    app.seed_authorizer("wxgoneaccount00001", false).await;
    let (_, gone_token) = app
        .inner_get("/inner/authorizer-access-token?appid=wxgoneaccount00001")
        .await;
    assert_eq!(gone_token["code"], 0);
    app.sim
        .control(
            "/__sim/unauthorize",
            json!({"authorizer_appid": "wxgoneaccount00001"}),
        )
        .await;
    for i in 0..3 {
        app.sim.authorize(&format!("wxpulledaccount{i:03}"), i == 1);
    }
    let jwt = app.login().await;
    let answer = app
        .post("/wxcomponent/admin/pull-authorizer-list", &jwt, json!({}))
        .await;
    assert_eq!(answer["code"], 0, "{answer}");
    assert_eq!(answer["data"]["total"], 3);
    assert_eq!(answer["data"]["removed"], 1);
    assert_eq!(
        stored_appids(&app).await,
        vec![
            "wxpulledaccount000",
            "wxpulledaccount001",
            "wxpulledaccount002"
        ]
    );
    assert!(app
        .stored_token(TokenKey::Authorizer("wxgoneaccount00001".into()))
        .await
        .is_none());

    let (count, mini, nick, refresh, func): (i64, i32, String, String, String) = app
        .db()
        .run(|conn| {
            let count = authorizers::table.count().get_result(conn)?;
            let (mini, nick, refresh, func) = authorizers::table
                .filter(authorizers::appid.eq("wxpulledaccount001"))
                .select((
                    authorizers::apptype,
                    authorizers::nickname,
                    authorizers::refreshtoken,
                    authorizers::funcinfo,
                ))
                .first(conn)?;
            Ok((count, mini, nick, refresh, func))
        })
        .await
        .unwrap();
    assert_eq!(count, 3);
    assert_eq!(mini, 0, "a mini program");
    assert!(nick.starts_with("wxsim"), "{nick}");
    assert_eq!(refresh, app.sim.refresh_token("wxpulledaccount001"));
    assert!(func.contains('|'), "{func}");

    // The pulled refresh tokens work.
    let (_, answer) = app
        .inner_get("/inner/authorizer-access-token?appid=wxpulledaccount002")
        .await;
    assert_eq!(answer["code"], 0, "{answer}");
}

#[tokio::test]
async fn a_failed_pull_writes_nothing() {
    let app = TestApp::spawn().await;
    app.seed_ticket().await;
    app.seed_authorizer("wxkeptaccount00001", false).await;
    app.sim.authorize("wxnewaccount000001", false);
    app.sim.fault(
        "/cgi-bin/component/api_get_authorizer_list",
        json!({"errcode": 45009, "errmsg": "quota"}),
    );
    let jwt = app.login().await;
    let answer = app
        .post("/wxcomponent/admin/pull-authorizer-list", &jwt, json!({}))
        .await;
    assert_eq!(answer["code"], 1002, "{answer}");
    assert_eq!(answer["data"], "45009 quota", "{answer}");
    assert_eq!(stored_appids(&app).await, vec!["wxkeptaccount00001"]);
}

#[tokio::test]
async fn the_list_pages_with_fresh_details_from_wechat() {
    let app = TestApp::spawn().await;
    app.seed_ticket().await;
    for i in 0..3 {
        app.seed_authorizer(&format!("wxlistedaccount{i:03}"), i == 0)
            .await;
    }
    let jwt = app.login().await;
    let page = app
        .get("/wxcomponent/admin/authorizer-list?offset=1&limit=1", &jwt)
        .await;
    assert_eq!(page["code"], 0, "{page}");
    assert_eq!(page["data"]["total"], 3);
    let records = page["data"]["records"].as_array().unwrap();
    assert_eq!(records.len(), 1);
    let record = &records[0];
    assert_eq!(record["appid"], "wxlistedaccount001");
    assert_eq!(record["appType"], 1);
    assert!(
        record["nickName"].as_str().unwrap().starts_with("wxsim"),
        "{record}"
    );
    assert_eq!(record["accountStatus"], 1);
    assert_eq!(record["basicConfig"]["isPhoneConfigured"], true);
    assert!(record["authTime"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        record["refreshToken"],
        app.sim.refresh_token("wxlistedaccount001")
    );
    for field in [
        "id",
        "serviceType",
        "userName",
        "headImg",
        "qrcodeUrl",
        "principalName",
        "funcInfo",
        "verifyInfo",
        "registerType",
    ] {
        assert!(record.get(field).is_some(), "{field} in {record}");
    }
    // The fresh details were stored.
    let nick: String = app
        .db()
        .run(|conn| {
            Ok(authorizers::table
                .filter(authorizers::appid.eq("wxlistedaccount001"))
                .select(authorizers::nickname)
                .first(conn)?)
        })
        .await
        .unwrap();
    assert!(nick.starts_with("wxsim"), "{nick}");

    let one = app
        .get(
            "/wxcomponent/admin/authorizer-list?appid=wxlistedaccount000",
            &jwt,
        )
        .await;
    assert_eq!(one["data"]["total"], 1);
    assert_eq!(one["data"]["records"][0]["appType"], 0);

    for query in [
        "limit=21",
        "limit=0",
        "offset=-1",
        "offset=x",
        "appid=a%20b",
    ] {
        let answer = app
            .get(&format!("/wxcomponent/admin/authorizer-list?{query}"), &jwt)
            .await;
        assert_eq!(answer["code"], 1001, "{query}: {answer}");
    }
}

#[tokio::test]
async fn an_account_wechat_no_longer_knows_is_listed_from_the_database() {
    let app = TestApp::spawn().await;
    app.seed_ticket().await;
    app.seed_authorizer("wxrevokedaccount01", false).await;
    app.sim
        .control(
            "/__sim/unauthorize",
            json!({"authorizer_appid": "wxrevokedaccount01"}),
        )
        .await;
    let jwt = app.login().await;
    let page = app.get("/wxcomponent/admin/authorizer-list", &jwt).await;
    assert_eq!(page["code"], 0, "{page}");
    assert_eq!(page["data"]["records"][0]["nickName"], "seeded");
    assert_eq!(
        page["data"]["records"][0]["basicConfig"],
        serde_json::Value::Null
    );
}

#[tokio::test]
async fn listing_never_brings_back_an_account_removed_meanwhile_nor_an_old_grant() {
    let app = TestApp::spawn().await;
    app.seed_ticket().await;
    let (gone, regranted) = ("wxremovedmeanwhile", "wxregrantedmeanwh");
    app.seed_authorizer(gone, false).await;
    app.seed_authorizer(regranted, false).await;
    let jwt = app.login().await;
    app.sim.fault(
        "/cgi-bin/component/api_get_authorizer_info",
        json!({"delay_ms": 1500}),
    );
    let listing = app.get("/wxcomponent/admin/authorizer-list", &jwt);
    let meanwhile = async {
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        app.db()
            .run(move |conn| {
                diesel::delete(authorizers::table.filter(authorizers::appid.eq(gone)))
                    .execute(conn)?;
                diesel::update(authorizers::table.filter(authorizers::appid.eq(regranted)))
                    .set(authorizers::refreshtoken.eq("refresh-of-the-new-grant"))
                    .execute(conn)?;
                Ok(())
            })
            .await
            .expect("changes meanwhile");
    };
    let (page, ()) = futures::future::join(listing, meanwhile).await;
    assert_eq!(page["code"], 0, "{page}");
    assert_eq!(stored_appids(&app).await, vec![regranted.to_string()]);
    let (refresh, nick): (String, String) = app
        .db()
        .run(move |conn| {
            Ok(authorizers::table
                .filter(authorizers::appid.eq(regranted))
                .select((authorizers::refreshtoken, authorizers::nickname))
                .first(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(refresh, "refresh-of-the-new-grant");
    assert!(
        nick.starts_with("wxsim"),
        "the fresh details were stored: {nick}"
    );
}

/// Stores a component push as the callback receiver does.
async fn store_push(app: &TestApp, info_type: &'static str, appid: &'static str) {
    let created = chrono::Utc::now().timestamp();
    let body = format!(
        "<xml><AppId><![CDATA[wxcomponent]]></AppId><CreateTime>{created}</CreateTime>\
         <InfoType><![CDATA[{info_type}]]></InfoType><AuthorizerAppid><![CDATA[{appid}]]></AuthorizerAppid>\
         <AuthorizationCode><![CDATA[code]]></AuthorizationCode>\
         <AuthorizationCodeExpiredTime>{expires}</AuthorizationCodeExpiredTime></xml>",
        expires = created + 3600
    );
    app.db()
        .run(move |conn| {
            diesel::insert_into(wxcallback_component::table)
                .values((
                    wxcallback_component::receivetime.eq(common::db::now()),
                    wxcallback_component::createtime.eq(common::db::now()),
                    wxcallback_component::infotype.eq(info_type),
                    wxcallback_component::postbody.eq(body),
                ))
                .execute(conn)?;
            Ok(())
        })
        .await
        .expect("push stored");
}

#[tokio::test]
async fn a_pull_never_undoes_pushes_that_arrived_while_it_read_the_list() {
    let app = TestApp::spawn().await;
    app.seed_ticket().await;
    let (revoked, kept, new) = (
        "wxrevokedduring01",
        "wxlistedkept0001",
        "wxauthorizedduring",
    );
    app.sim.authorize(revoked, false);
    app.sim.authorize(kept, false);
    app.seed_authorizer(revoked, false).await;
    let jwt = app.login().await;
    app.sim.fault(
        "/cgi-bin/component/api_get_authorizer_list",
        json!({"delay_ms": 1500}),
    );
    let pull = app.post("/wxcomponent/admin/pull-authorizer-list", &jwt, json!({}));
    let meanwhile = async {
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        // The callback receiver handles an unauthorize of a listed account and
        // an authorization of a new one.
        store_push(&app, "unauthorized", revoked).await;
        store_push(&app, "authorized", new).await;
        app.db()
            .run(move |conn| {
                diesel::delete(authorizers::table.filter(authorizers::appid.eq(revoked)))
                    .execute(conn)?;
                diesel::insert_into(authorizers::table)
                    .values((
                        authorizers::appid.eq(new),
                        authorizers::refreshtoken.eq("refresh-from-the-push"),
                    ))
                    .execute(conn)?;
                Ok(())
            })
            .await
            .expect("the receiver's changes");
    };
    let (answer, ()) = futures::future::join(pull, meanwhile).await;
    assert_eq!(answer["code"], 0, "{answer}");
    assert_eq!(answer["data"]["total"], 2);
    assert_eq!(answer["data"]["stored"], 1);
    assert_eq!(answer["data"]["removed"], 0);
    assert_eq!(
        stored_appids(&app).await,
        vec![new.to_string(), kept.to_string()]
    );
}

#[tokio::test]
async fn a_pull_never_moves_an_authorization_time_backwards() {
    let app = TestApp::spawn().await;
    app.seed_ticket().await;
    let appid = "wxlaterauthtime01";
    app.seed_authorizer(appid, false).await;
    let later = common::db::now() + chrono::TimeDelta::days(1);
    app.db()
        .run(move |conn| {
            diesel::update(authorizers::table.filter(authorizers::appid.eq(appid)))
                .set(authorizers::authtime.eq(later))
                .execute(conn)?;
            Ok(())
        })
        .await
        .expect("a later push's time");
    let jwt = app.login().await;
    let answer = app
        .post("/wxcomponent/admin/pull-authorizer-list", &jwt, json!({}))
        .await;
    assert_eq!(answer["data"]["stored"], 1, "{answer}");
    let stored: chrono::NaiveDateTime = app
        .db()
        .run(move |conn| {
            Ok(authorizers::table
                .filter(authorizers::appid.eq(appid))
                .select(authorizers::authtime)
                .first(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(stored, later);
}
