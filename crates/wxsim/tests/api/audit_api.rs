//! Audits beyond the latest one: the status of any earlier audit
//! (`/wxa/get_auditstatus`), the platform's monthly audit and speed-up quota
//! (`/wxa/queryquota`), and phased releases (`/wxa/grayrelease`,
//! `/wxa/getgrayreleaseplan`, `/wxa/revertgrayrelease`), driven over HTTP.

use crate::support_account::{assert_errcode, Sim, MINI_PROGRAM};
use crate::wxa_api::{wxa, Wxa};
use serde_json::{json, Value};

async fn status_of(app: &Wxa<'_>, auditid: &Value) -> Value {
    app.post("/wxa/get_auditstatus", json!({ "auditid": auditid }))
        .await
}

#[tokio::test]
async fn an_earlier_audit_answers_its_own_status() {
    let sim = Sim::start().await;
    let app = wxa(&sim);
    assert_errcode(&status_of(&app, &json!(1)).await, 86001);
    app.commit(json!(1), "1.0.0").await;
    let first = app.submit().await["auditid"].clone();
    let rejected = sim
        .post(
            "/__sim/wxa/audit",
            &json!({"appid": MINI_PROGRAM, "status": 1, "reason": "帐号信息不合规范", "screenshot": "m1|m2"}),
        )
        .await;
    assert_errcode(&rejected, 0);
    let second = app.submit().await["auditid"].clone();
    assert_ne!(first, second);

    assert_eq!(
        status_of(&app, &first).await,
        json!({"errcode": 0, "errmsg": "ok", "status": 1, "reason": "帐号信息不合规范", "screenshot": "m1|m2"})
    );
    assert_eq!(status_of(&app, &second).await["status"], 2);
    // Ids as strings, as some clients send them.
    let as_text = json!(second.as_i64().unwrap().to_string());
    assert_eq!(status_of(&app, &as_text).await["status"], 2);
    assert_errcode(&status_of(&app, &json!(1)).await, 85012);
    // Another mini program's audit is not this one's.
    let other = sim.authorize("wxotherminiprog001", true);
    let answer = sim
        .post(
            &format!("/wxa/get_auditstatus?access_token={other}"),
            &json!({ "auditid": first }),
        )
        .await;
    assert_errcode(&answer, 86001);
}

async fn quota(app: &Wxa<'_>) -> Value {
    let answer = app.get("/wxa/queryquota").await;
    assert_errcode(&answer, 0);
    answer
}

#[tokio::test]
async fn submissions_and_speed_ups_spend_the_platforms_monthly_quota() {
    let sim = Sim::start_with(wxsim::SimSettings {
        audit_quota_limit: 2,
        speedup_quota_limit: 1,
        ..wxsim::testing::settings("http://127.0.0.1:9")
    })
    .await;
    let app = wxa(&sim);
    assert_eq!(
        quota(&app).await,
        json!({"errcode": 0, "errmsg": "ok", "rest": 2, "limit": 2, "speedup_rest": 1, "speedup_limit": 1})
    );
    app.commit(json!(1), "1.0.0").await;
    let first = app.submit().await["auditid"].clone();
    assert_eq!(quota(&app).await["rest"], 1);
    assert_errcode(
        &app.post("/wxa/speedupaudit", json!({ "auditid": first }))
            .await,
        0,
    );
    assert_eq!(quota(&app).await["speedup_rest"], 0);
    assert_errcode(&app.get("/wxa/undocodeaudit").await, 0);

    // The quota is the platform's: another mini program spends the rest.
    let other_token = sim.authorize("wxotherminiprog001", true);
    let other = Wxa {
        sim: &sim,
        token: other_token,
    };
    other.commit(json!(1), "1.0.0").await;
    let second = other.submit().await["auditid"].clone();
    assert_eq!(quota(&app).await["rest"], 0);
    assert_errcode(
        &other
            .post("/wxa/speedupaudit", json!({ "auditid": second }))
            .await,
        89405,
    );
    assert_errcode(&app.submit().await, 85085);

    // A new (Beijing) month brings new quota; the old tokens expired.
    sim.state.clock.advance(32 * 86_400);
    let app = wxa(&sim);
    assert_eq!(quota(&app).await["rest"], 2);
    assert_errcode(&app.submit().await, 0);
}

async fn plan(app: &Wxa<'_>) -> Value {
    let answer = app.get("/wxa/getgrayreleaseplan").await;
    assert_errcode(&answer, 0);
    answer["gray_release_plan"].clone()
}

async fn gray(app: &Wxa<'_>, body: Value) -> Value {
    app.post("/wxa/grayrelease", body).await
}

/// Commits, audits and releases `version`, then commits and submits the next.
async fn online_with_pending_update(app: &Wxa<'_>) {
    app.commit(json!(1), "1.0.0").await;
    assert_errcode(&app.submit().await, 0);
    assert_errcode(&app.decide(0).await, 0);
    assert_errcode(&app.release().await, 0);
    app.commit(json!(3), "2.0.0").await;
    assert_errcode(&app.submit().await, 0);
}

#[tokio::test]
async fn a_phased_release_widens_then_the_release_finishes_it() {
    let sim = Sim::start().await;
    let app = wxa(&sim);
    assert_eq!(
        plan(&app).await,
        json!({"status": 0, "create_timestamp": 0, "gray_percentage": 0,
               "support_experiencer_first": false, "support_debuger_first": false})
    );
    online_with_pending_update(&app).await;
    assert_errcode(&gray(&app, json!({"gray_percentage": 10})).await, 85080);
    assert_errcode(&app.decide(0).await, 0);

    let started = gray(
        &app,
        json!({"gray_percentage": 10, "support_experiencer_first": true}),
    )
    .await;
    assert_errcode(&started, 0);
    let running = plan(&app).await;
    assert_eq!(running["status"], 1);
    assert_eq!(running["gray_percentage"], 10);
    assert_eq!(running["support_experiencer_first"], true);
    assert_eq!(running["support_debuger_first"], false);
    let created = running["create_timestamp"].clone();
    assert!(created.as_i64().unwrap() > 0);

    for lower in [5, 10] {
        assert_errcode(
            &gray(&app, json!({ "gray_percentage": lower })).await,
            85082,
        );
    }
    sim.state.clock.advance(60);
    assert_errcode(&gray(&app, json!({"gray_percentage": 50})).await, 0);
    let wider = plan(&app).await;
    assert_eq!(wider["gray_percentage"], 50);
    assert_eq!(wider["create_timestamp"], created, "the same plan");

    assert_errcode(&app.release().await, 0);
    assert_eq!(plan(&app).await["status"], 3);
    assert_eq!(
        app.version_info().await["release_info"]["release_version"],
        "2.0.0"
    );
    assert_errcode(&gray(&app, json!({"gray_percentage": 60})).await, 85080);
}

#[tokio::test]
async fn a_phased_release_can_be_withdrawn_and_started_again() {
    let sim = Sim::start().await;
    let app = wxa(&sim);
    online_with_pending_update(&app).await;
    app.decide(0).await;
    assert_errcode(&app.get("/wxa/revertgrayrelease").await, 85021);
    assert_errcode(&gray(&app, json!({"gray_percentage": 20})).await, 0);
    assert_errcode(&app.get("/wxa/revertgrayrelease").await, 0);
    assert_eq!(plan(&app).await["status"], 4);
    assert_errcode(&app.get("/wxa/revertgrayrelease").await, 85021);
    // A new plan may start lower than the withdrawn one.
    assert_errcode(&gray(&app, json!({"gray_percentage": 5})).await, 0);
    assert_eq!(plan(&app).await["gray_percentage"], 5);
}

#[tokio::test]
async fn a_phased_release_needs_a_valid_percentage_and_an_online_version() {
    let sim = Sim::start().await;
    let app = wxa(&sim);
    app.commit(json!(1), "1.0.0").await;
    app.submit().await;
    app.decide(0).await;
    assert_errcode(&gray(&app, json!({"gray_percentage": 10})).await, 85079);
    app.release().await;
    app.commit(json!(3), "2.0.0").await;
    app.submit().await;
    app.decide(0).await;
    for body in [
        json!({}),
        json!({"gray_percentage": 101}),
        json!({"gray_percentage": -1}),
        json!({"gray_percentage": 0}),
    ] {
        assert_errcode(&gray(&app, body).await, 85081);
    }
    let members_only = json!({"gray_percentage": 0, "support_debuger_first": true});
    assert_errcode(&gray(&app, members_only).await, 0);
    assert_eq!(plan(&app).await["support_debuger_first"], true);
}
