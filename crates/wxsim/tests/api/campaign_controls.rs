//! What a release campaign over many mini programs needs from the
//! simulator: many authorized accounts at once, reviewers that decide
//! each submission by rule, and a time-stamped call log.

use crate::support_account::{assert_errcode, Sim, MINI_PROGRAM};
use crate::wxa_api::wxa;
use serde_json::{json, Value};
use wxsim::component_state::FUNC_MINI_PROGRAM_DEVELOPMENT;

#[tokio::test]
async fn bulk_authorization_creates_managed_mini_programs_once() {
    let sim = Sim::start().await;
    let answer = sim
        .post(
            "/__sim/authorize/bulk",
            &json!({"count": 3, "prefix": "wxbulktest"}),
        )
        .await;
    assert_eq!(answer["created"], 3, "{answer}");
    let appids: Vec<String> = answer["authorizer_appids"]
        .as_array()
        .expect("appids")
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect();
    assert_eq!(
        appids,
        [
            "wxbulktest00000001",
            "wxbulktest00000002",
            "wxbulktest00000003"
        ]
    );
    {
        let component = sim.state.component.lock().expect("state");
        for appid in &appids {
            let authorizer = &component.authorizers[appid];
            assert!(authorizer.is_mini_program, "{appid}");
            assert!(
                authorizer
                    .func_info
                    .contains(&FUNC_MINI_PROGRAM_DEVELOPMENT),
                "{appid}"
            );
        }
    }
    let again = sim
        .post(
            "/__sim/authorize/bulk",
            &json!({"count": 3, "prefix": "wxbulktest"}),
        )
        .await;
    assert_eq!(again["created"], 0, "already authorized: {again}");
    for bad in [
        json!({"count": 0}),
        json!({"count": 10_001}),
        json!({"count": 1, "prefix": "wx-"}),
    ] {
        let refused = sim.post("/__sim/authorize/bulk", &bad).await;
        assert_ne!(refused["errcode"], 0, "{bad}: {refused}");
    }
}

async fn submit_and_status(sim: &Sim) -> Value {
    let app = wxa(sim);
    let submitted = app.submit().await;
    assert_errcode(&submitted, 0);
    app.post(
        "/wxa/get_auditstatus",
        json!({"auditid": submitted["auditid"]}),
    )
    .await
}

#[tokio::test]
async fn the_reviewers_decide_each_submission_by_their_rules() {
    let sim = Sim::start().await;
    let app = wxa(&sim);
    assert_errcode(&app.commit(json!(1), "1.0.0").await, 0);
    // The default: pending until decided by hand.
    assert_eq!(submit_and_status(&sim).await["status"], 2);
    assert_errcode(&app.decide(0).await, 0);

    let rules = sim
        .post(
            "/__sim/wxa/reviewer",
            &json!({"policy": "reject", "reason": "类目不符"}),
        )
        .await;
    assert_eq!(
        rules["default"],
        json!({"policy": "reject", "reason": "类目不符"})
    );
    let status = submit_and_status(&sim).await;
    assert_eq!(
        (status["status"].clone(), status["reason"].clone()),
        (json!(1), json!("类目不符"))
    );

    // A rule for this mini program wins over the default.
    sim.post(
        "/__sim/wxa/reviewer",
        &json!({"policy": "approve", "appids": [MINI_PROGRAM]}),
    )
    .await;
    assert_eq!(submit_and_status(&sim).await["status"], 0);
    sim.post(
        "/__sim/wxa/reviewer",
        &json!({"policy": "delay", "appids": [MINI_PROGRAM]}),
    )
    .await;
    assert_eq!(submit_and_status(&sim).await["status"], 4);
    // A delayed audit is still under review: no second submission.
    assert_errcode(&app.submit().await, 85009);
    let shown = sim.get("/__sim/wxa/reviewer").await;
    assert_eq!(
        shown["per_appid"][MINI_PROGRAM]["policy"], "delay",
        "{shown}"
    );
    let unknown = sim
        .post("/__sim/wxa/reviewer", &json!({"policy": "maybe"}))
        .await;
    assert_ne!(unknown["errcode"], 0, "{unknown}");
}

#[tokio::test]
async fn every_call_is_logged_with_its_time() {
    let sim = Sim::start().await;
    let app = wxa(&sim);
    app.commit(json!(1), "1.0.0").await;
    app.commit(json!(1), "1.0.1").await;
    app.get("/wxa/get_page").await;
    let log = sim.get("/__sim/calls/log?path=/wxa/commit").await;
    let calls = log.as_array().expect("log");
    assert_eq!(calls.len(), 2, "{log}");
    assert!(calls.iter().all(|c| c["appid"] == MINI_PROGRAM), "{log}");
    let first = calls[0]["at_ms"].as_i64().expect("at_ms");
    let second = calls[1]["at_ms"].as_i64().expect("at_ms");
    assert!(first > 0 && second >= first, "{log}");
    let all = sim.get("/__sim/calls/log").await;
    assert_eq!(all.as_array().map(Vec::len), Some(3), "{all}");
}
