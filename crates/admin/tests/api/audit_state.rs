//! The stored audit state of a managed mini program, end to end: submitted
//! and withdrawn through the admin, decided in wxsim, whose
//! `weapp_audit_*` push reaches the real callback receiver, and shown by
//! `GET /admin/audit-state` and the rows of `dev-weapp-list`.

use common::db::schema::wxcallback_biz;
use diesel::prelude::*;
use serde_json::{json, Value};

use crate::devweapp::{managed, path, APPID};
use crate::support::TestApp;

#[track_caller]
fn data(answer: &Value) -> &Value {
    assert_eq!(answer["code"], 0, "{answer}");
    &answer["data"]
}

async fn audit_state(app: &TestApp, jwt: &str) -> Value {
    data(&app.get(&path("audit-state"), jwt).await).clone()
}

/// wxsim's reviewers decide the pending audit; the push must be delivered.
async fn decide(app: &TestApp, decision: Value) {
    let answer = app.sim.control("/__sim/wxa/audit", decision).await;
    assert_eq!(answer["errcode"], 0, "{answer}");
    assert_eq!(answer["push"]["delivered"], true, "{answer}");
}

async fn submit(app: &TestApp, jwt: &str) -> i64 {
    let answer = app
        .post(
            &path("submit-audit"),
            jwt,
            json!({"itemList": [{"address": "pages/index/index", "tag": "工具",
                "firstClass": "工具", "secondClass": "效率", "firstId": 287,
                "secondId": 616, "title": "首页"}]}),
        )
        .await;
    data(&answer)["auditId"].as_i64().expect("audit id")
}

async fn audit_events_stored(app: &TestApp) -> Vec<String> {
    app.db()
        .run(|conn| {
            Ok(wxcallback_biz::table
                .filter(wxcallback_biz::appid.eq(APPID))
                .filter(wxcallback_biz::event.like("weapp_audit_%"))
                .order(wxcallback_biz::id)
                .select(wxcallback_biz::event)
                .load(conn)?)
        })
        .await
        .expect("records read")
}

#[tokio::test]
async fn an_audit_decided_by_wechat_shows_in_the_console_through_the_callback() {
    let (app, jwt) = managed(TestApp::spawn_with_callback().await).await;
    let committed = app
        .post(
            &path("commit-code"),
            &jwt,
            json!({"templateId": "1", "extJson": "{}", "userVersion": "2.1.0", "userDesc": "会员页"}),
        )
        .await;
    data(&committed);
    assert_eq!(audit_state(&app, &jwt).await, Value::Null, "no audit yet");

    // Submitted through the admin: auditing, with WeChat's audit id.
    let first = submit(&app, &jwt).await;
    let state = audit_state(&app, &jwt).await;
    assert_eq!(state["appid"], APPID);
    assert_eq!(state["auditId"], first);
    assert_eq!(state["status"], 2);
    assert_eq!(state["userVersion"], "2.1.0");
    assert!(state["submitAuditTime"].as_i64().is_some_and(|t| t > 0));

    // Rejected by WeChat: the push reaches the callback receiver, which
    // stores it as before and records the decision.
    decide(
        &app,
        json!({"appid": APPID, "status": 1, "reason": "名称与内容不符", "screenshot": "mediaA|mediaB"}),
    )
    .await;
    let state = audit_state(&app, &jwt).await;
    assert_eq!(state["status"], 1, "{state}");
    assert_eq!(state["reason"], "名称与内容不符");
    assert_eq!(state["screenShot"], "mediaA|mediaB");
    assert_eq!(state["auditId"], first, "the decision is of that audit");
    let list = app
        .get("/wxcomponent/admin/dev-weapp-list?offset=0&limit=10", &jwt)
        .await;
    let row = &data(&list)["records"][0];
    assert_eq!(row["appid"], APPID);
    assert_eq!(row["auditState"]["status"], 1, "{row}");
    assert_eq!(row["auditState"]["reason"], "名称与内容不符");

    // Submitted again, then withdrawn through the admin.
    let second = submit(&app, &jwt).await;
    assert_ne!(second, first);
    let state = audit_state(&app, &jwt).await;
    assert_eq!(
        (state["status"].clone(), state["auditId"].clone()),
        (json!(2), json!(second))
    );
    assert_eq!(state["reason"], "", "the old rejection is gone");
    assert_eq!(
        data(&app.post(&path("revoke-audit"), &jwt, json!({})).await),
        &Value::Null
    );
    assert_eq!(audit_state(&app, &jwt).await["status"], 3);

    // A third audit is delayed, then approved.
    let third = submit(&app, &jwt).await;
    decide(
        &app,
        json!({"appid": APPID, "status": 4, "reason": "审核排队中"}),
    )
    .await;
    let state = audit_state(&app, &jwt).await;
    assert_eq!(
        (state["status"].clone(), state["reason"].clone()),
        (json!(4), json!("审核排队中"))
    );
    decide(&app, json!({"appid": APPID, "status": 0})).await;
    let state = audit_state(&app, &jwt).await;
    assert_eq!(state["status"], 0, "{state}");
    assert_eq!(state["reason"], "");
    assert_eq!(state["auditId"], third);

    // Every push is still stored as a record.
    assert_eq!(
        audit_events_stored(&app).await,
        [
            "weapp_audit_fail",
            "weapp_audit_delay",
            "weapp_audit_success"
        ]
    );
}

#[tokio::test]
async fn the_audit_state_route_refuses_a_missing_or_malformed_appid() {
    let (app, jwt) = managed(TestApp::spawn().await).await;
    for query in ["", "?appid=", "?appid=not%20an%20appid"] {
        let answer = app
            .get(&format!("/wxcomponent/admin/audit-state{query}"), &jwt)
            .await;
        assert_eq!(answer["code"], 1001, "{query}: {answer}");
    }
}
