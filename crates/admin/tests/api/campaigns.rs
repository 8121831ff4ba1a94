//! Release campaigns (批量发版) end to end: the real admin's runner works
//! simulated mini programs in wxsim (bulk-authorized, pulled into the
//! admin like any authorizer, audits decided by wxsim's reviewer rules),
//! and every claim is checked in WeChat's own state and call log.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::seed_flow::{admin, data};
use crate::support::{eventually, TestApp};
use serde_json::{json, Value};

/// Fast timing so a campaign over 200 mini programs runs in seconds.
const FAST: &[(&str, &str)] = &[
    ("WXC__CAMPAIGNS__WORKERS", "8"),
    ("WXC__CAMPAIGNS__SCAN_INTERVAL_MS", "10"),
    ("WXC__CAMPAIGNS__POLL_INTERVAL_MS", "30"),
    ("WXC__CAMPAIGNS__BACKOFF_BASE_MS", "20"),
    ("WXC__CAMPAIGNS__BACKOFF_MAX_MS", "200"),
    ("WXC__CAMPAIGNS__CALLS_PER_MINUTE", "5000"),
    ("WXC__CAMPAIGNS__LEASE_SECS", "30"),
];

/// The WeChat paths a campaign calls (what the budget counts).
const CAMPAIGN_PATHS: [&str; 8] = [
    "/wxa/commit",
    "/wxa/modify_domain",
    "/wxa/setwebviewdomain",
    "/cgi-bin/component/setprivacysetting",
    "/wxa/submit_audit",
    "/wxa/get_auditstatus",
    "/wxa/get_latest_auditstatus",
    "/wxa/release",
];

/// The template whose code uses `UserInfo` and `Location` (wxsim's seed).
const PRIVACY_TEMPLATE: i64 = 2;
/// A template without privacy interfaces.
const PLAIN_TEMPLATE: i64 = 1;

/// An admin with `overrides` on top of [`FAST`], `count` managed mini
/// programs authorized in wxsim and pulled, the platform's server domain
/// registered; answers the app, a login and the appids.
async fn campaign_app(
    count: usize,
    prefix: &str,
    overrides: &[(&str, &str)],
) -> (TestApp, String, Vec<String>) {
    let mut settings: Vec<(&str, &str)> = FAST.to_vec();
    settings.extend_from_slice(overrides);
    let app = TestApp::spawn_with(&settings).await;
    app.seed_ticket().await;
    let jwt = app.login().await;
    let appids = authorize(&app, &jwt, count, prefix).await;
    let platform = app
        .post(
            &admin("platform-server-domain"),
            &jwt,
            json!({"action": "add", "domains": ["api.example.com"], "publishedTogether": true}),
        )
        .await;
    data(&platform);
    (app, jwt, appids)
}

/// `count` more mini programs authorized in wxsim and pulled into the admin.
async fn authorize(app: &TestApp, jwt: &str, count: usize, prefix: &str) -> Vec<String> {
    let bulk = app
        .sim
        .control(
            "/__sim/authorize/bulk",
            json!({"count": count, "prefix": prefix}),
        )
        .await;
    let appids: Vec<String> = bulk["authorizer_appids"]
        .as_array()
        .expect("appids")
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect();
    assert_eq!(appids.len(), count, "{bulk}");
    let pulled = app
        .post(&admin("pull-authorizer-list"), jwt, json!({}))
        .await;
    data(&pulled);
    appids
}

fn campaign_body(template_id: i64, targets: Value) -> Value {
    json!({
        "templateId": template_id,
        "userVersion": "2.0.0",
        "userDesc": "会员页上线",
        "extJson": {"extAppid": "", "ext": {"host_url": "https://api.example.com/$APPID$"}},
        "autoRelease": true,
        "targets": targets,
        "serverDomain": {"requestDomain": ["https://api.example.com"], "wsRequestDomain": [],
            "uploadDomain": ["https://api.example.com"], "downloadDomain": []},
        "privacySetting": {"privacyVer": 2,
            "settingList": [{"privacyKey": "UserInfo", "privacyText": "展示会员头像"},
                {"privacyKey": "Location", "privacyText": "推荐附近门店"}],
            "ownerSetting": {"contactEmail": "ops@example.com", "noticeMethod": "弹窗"}},
    })
}

async fn create(app: &TestApp, jwt: &str, body: Value) -> i64 {
    let answer = app.post(&admin("campaigns"), jwt, body).await;
    data(&answer)["id"].as_i64().expect("campaign id")
}

async fn campaign(app: &TestApp, jwt: &str, id: i64) -> Value {
    let answer = app
        .get(&format!("{}?id={id}", admin("campaign")), jwt)
        .await;
    data(&answer).clone()
}

async fn wait_for_state(app: &TestApp, jwt: &str, id: i64, state: &str) -> Value {
    let reached = eventually(Duration::from_secs(120), || async {
        campaign(app, jwt, id).await["state"] == state
    })
    .await;
    let current = campaign(app, jwt, id).await;
    assert!(reached, "campaign {id} never became {state}: {current}");
    current
}

/// Every account of campaign `id` (in `state`, or all), page by page.
async fn accounts(app: &TestApp, jwt: &str, id: i64, state: &str) -> Vec<Value> {
    let mut out = Vec::new();
    loop {
        let answer = app
            .get(
                &format!(
                    "{}?id={id}&state={state}&offset={}&limit=50",
                    admin("campaign-accounts"),
                    out.len()
                ),
                jwt,
            )
            .await;
        let page = data(&answer);
        let records = page["records"].as_array().expect("records").clone();
        let total = page["total"].as_u64().expect("total");
        out.extend(records);
        if out.len() as u64 >= total {
            return out;
        }
    }
}

fn appids_of(accounts: &[Value]) -> BTreeSet<String> {
    accounts
        .iter()
        .filter_map(|a| a["appid"].as_str())
        .map(str::to_string)
        .collect()
}

async fn reviewer(app: &TestApp, rule: Value) {
    let answer = app.sim.control("/__sim/wxa/reviewer", rule).await;
    assert!(answer.get("default").is_some(), "{answer}");
}

/// The most campaign calls wxsim saw in any 60 s.
fn busiest_minute(app: &TestApp) -> usize {
    let times: Vec<i64> = app
        .sim
        .state
        .calls
        .log()
        .into_iter()
        .filter(|c| CAMPAIGN_PATHS.contains(&c.path.as_str()))
        .map(|c| c.at_ms)
        .collect();
    let mut most = 0;
    let mut start = 0;
    for (end, at) in times.iter().enumerate() {
        while times[start] <= at - 60_000 {
            start += 1;
        }
        most = most.max(end + 1 - start);
    }
    most
}

fn count_for(app: &TestApp, appid: &str, path: &str) -> u64 {
    app.sim.state.calls.count_for(appid, path)
}

#[tokio::test]
async fn a_campaign_over_200_mini_programs_releases_the_approved_and_records_the_rejections() {
    let (app, jwt, appids) = campaign_app(200, "wxcamp", &[]).await;
    let rejected: Vec<String> = appids.iter().step_by(4).cloned().collect();
    reviewer(&app, json!({"policy": "approve"})).await;
    reviewer(
        &app,
        json!({"policy": "reject", "reason": "类目与代码内容不符", "appids": rejected}),
    )
    .await;

    let id = create(
        &app,
        &jwt,
        campaign_body(PRIVACY_TEMPLATE, json!({"all": true})),
    )
    .await;
    let listed = app
        .get(&format!("{}?offset=0&limit=10", admin("campaigns")), &jwt)
        .await;
    assert_eq!(data(&listed)["total"], 1);
    assert_eq!(data(&listed)["records"][0]["id"], id);
    assert_eq!(data(&listed)["records"][0]["counts"]["total"], 200);

    let finished = wait_for_state(&app, &jwt, id, "finished").await;
    let counts = &finished["counts"];
    assert_eq!(counts["released"], 150, "{finished}");
    assert_eq!(counts["rejected"], 50, "{finished}");
    assert_eq!(counts["failed"], 0, "{finished}");
    assert_eq!(finished["templateId"], PRIVACY_TEMPLATE);
    assert_eq!(finished["userVersion"], "2.0.0");

    let refused = accounts(&app, &jwt, id, "audit_rejected").await;
    assert_eq!(appids_of(&refused), rejected.iter().cloned().collect());
    for account in &refused {
        assert_eq!(account["lastError"], "类目与代码内容不符", "{account}");
        assert!(account["auditId"].as_i64().unwrap_or(0) > 0, "{account}");
    }
    let released = accounts(&app, &jwt, id, "released").await;
    assert_eq!(released.len(), 150);
    assert!(released
        .iter()
        .all(|a| a["step"] == "done" && a["lastError"] == ""));

    // In WeChat: the code, its ext_json and the domains of each account.
    let committed: Vec<(String, Value, Option<String>)> = {
        let sim = app.sim.state.accounts.lock().expect("wxsim state");
        appids
            .iter()
            .map(|appid| {
                let code = &sim.accounts[appid].code;
                let exp = code.exp.as_ref().expect("committed");
                let ext: Value = serde_json::from_str(&exp.ext_json).expect("ext_json");
                let online = code.release.as_ref().map(|r| r.user_version.clone());
                (appid.clone(), ext, online)
            })
            .collect()
    };
    for (appid, ext, online) in committed {
        assert_eq!(ext["extAppid"], appid.as_str());
        assert_eq!(
            ext["ext"]["host_url"],
            format!("https://api.example.com/{appid}")
        );
        if rejected.contains(&appid) {
            assert_eq!(online, None, "{appid} was rejected");
        } else {
            assert_eq!(online.as_deref(), Some("2.0.0"), "{appid}");
        }
        assert_eq!(count_for(&app, &appid, "/wxa/commit"), 1, "{appid}");
        assert_eq!(count_for(&app, &appid, "/wxa/submit_audit"), 1, "{appid}");
    }
    {
        let domains = app.sim.state.domains.lock().expect("wxsim domains");
        for appid in &appids {
            let third = &domains.mini_programs[appid].third;
            assert_eq!(
                third.requestdomain,
                vec!["https://api.example.com".to_string()],
                "{appid}"
            );
            assert_eq!(
                third.uploaddomain,
                vec!["https://api.example.com".to_string()],
                "{appid}"
            );
        }
    }
    assert!(busiest_minute(&app) <= 5000);
}

/// A campaign over `count` mini programs whose audits wait for the
/// reviewers (so it cannot end early), once `submitted` of them are under
/// audit; answers the app, a login, the appids and the campaign.
async fn campaign_under_audit(
    count: usize,
    prefix: &str,
    overrides: &[(&str, &str)],
    submitted: i64,
) -> (TestApp, String, Vec<String>, i64) {
    let (app, jwt, appids) = campaign_app(count, prefix, overrides).await;
    let id = create(
        &app,
        &jwt,
        campaign_body(PRIVACY_TEMPLATE, json!({"all": true})),
    )
    .await;
    let reached = eventually(Duration::from_secs(60), || async {
        campaign(&app, &jwt, id).await["counts"]["waitingAudit"]
            .as_i64()
            .unwrap_or(0)
            >= submitted
    })
    .await;
    assert!(reached, "{}", campaign(&app, &jwt, id).await);
    (app, jwt, appids, id)
}

/// The reviewers approve what was submitted and what will be; a new
/// instance on the same database takes the campaign to its end.
async fn finish_elsewhere(
    app: &TestApp,
    jwt: &str,
    appids: &[String],
    id: i64,
) -> (TestApp, Value) {
    reviewer(app, json!({"policy": "approve"})).await;
    for appid in appids {
        app.sim
            .control("/__sim/wxa/audit", json!({"appid": appid, "status": 0}))
            .await;
    }
    let again = app.another_instance().await;
    let finished = wait_for_state(&again, jwt, id, "finished").await;
    assert_eq!(finished["counts"]["released"], appids.len(), "{finished}");
    (again, finished)
}

#[tokio::test]
async fn a_restarted_admin_resumes_the_campaign_without_repeating_a_step() {
    let (app, jwt, appids, id) = campaign_under_audit(40, "wxrestart", &[], 10).await;
    app.stop().await;
    assert_ne!(campaign_state_in_db(&app, id).await, "finished");
    let (again, _) = finish_elsewhere(&app, &jwt, &appids, id).await;
    for appid in &appids {
        let log: Vec<_> = again
            .sim
            .state
            .calls
            .log()
            .into_iter()
            .filter(|c| c.appid.as_deref() == Some(appid.as_str()))
            .collect();
        for path in [
            "/wxa/commit",
            "/cgi-bin/component/setprivacysetting",
            "/wxa/submit_audit",
            "/wxa/release",
        ] {
            assert_eq!(count_for(&again, appid, path), 1, "{appid} {path} {log:?}");
        }
    }
}

#[tokio::test]
async fn a_crashed_admins_accounts_are_taken_over_when_their_leases_expire() {
    let (app, jwt, appids, id) =
        campaign_under_audit(20, "wxcrash", &[("WXC__CAMPAIGNS__LEASE_SECS", "1")], 5).await;
    app.crash().await;
    let (again, _) = finish_elsewhere(&app, &jwt, &appids, id).await;
    for appid in &appids {
        // A step cut off by the crash may run again; a submission repeated
        // finds its audit pending (85009) and goes on with it.
        assert!(
            count_for(&again, appid, "/wxa/submit_audit") <= 2,
            "{appid}"
        );
        assert_eq!(count_for(&again, appid, "/wxa/release"), 1, "{appid}");
    }
}

/// The campaign's state read from the database (the first instance is down).
async fn campaign_state_in_db(app: &TestApp, id: i64) -> String {
    use common::db::schema::wxc_campaigns;
    use diesel::prelude::*;
    let id = i32::try_from(id).expect("id");
    app.db()
        .run(move |conn| {
            Ok(wxc_campaigns::table
                .filter(wxc_campaigns::id.eq(id))
                .select(wxc_campaigns::state)
                .first::<String>(conn)?)
        })
        .await
        .expect("campaign row")
}

#[tokio::test]
async fn two_admins_on_one_database_never_work_the_same_account_twice() {
    let (app, jwt, appids) = campaign_app(60, "wxtwins", &[("WXC__CAMPAIGNS__WORKERS", "4")]).await;
    let other = app.another_instance().await;
    reviewer(&app, json!({"policy": "approve"})).await;
    let id = create(
        &other,
        &jwt,
        campaign_body(PRIVACY_TEMPLATE, json!({"all": true})),
    )
    .await;
    let finished = wait_for_state(&app, &jwt, id, "finished").await;
    assert_eq!(finished["counts"]["released"], 60, "{finished}");
    for appid in &appids {
        for path in [
            "/wxa/commit",
            "/wxa/modify_domain",
            "/wxa/submit_audit",
            "/wxa/release",
        ] {
            assert_eq!(count_for(&app, appid, path), 1, "{appid} {path}");
        }
    }
}

#[tokio::test]
async fn pause_resume_retry_and_cancel_steer_the_campaign() {
    let (app, jwt, appids) = campaign_app(6, "wxsteer", &[]).await;
    let id = create(
        &app,
        &jwt,
        campaign_body(PRIVACY_TEMPLATE, json!({"appids": appids})),
    )
    .await;
    let waiting = eventually(Duration::from_secs(60), || async {
        campaign(&app, &jwt, id).await["counts"]["waitingAudit"] == 6
    })
    .await;
    assert!(waiting, "{}", campaign(&app, &jwt, id).await);

    data(
        &app.post(&admin("campaign-pause"), &jwt, json!({"id": id}))
            .await,
    );
    assert_eq!(campaign(&app, &jwt, id).await["state"], "paused");
    let twice = app
        .post(&admin("campaign-pause"), &jwt, json!({"id": id}))
        .await;
    assert_eq!(twice["code"], 1008, "{twice}");
    // Decided while paused: nothing is polled or released until resumed.
    for (i, appid) in appids.iter().enumerate() {
        let status = if i < 2 { 1 } else { 0 };
        app.sim
            .control(
                "/__sim/wxa/audit",
                json!({"appid": appid, "status": status, "reason": "截图不清晰"}),
            )
            .await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let paused = campaign(&app, &jwt, id).await;
    assert_eq!(paused["state"], "paused", "{paused}");
    assert_eq!(paused["counts"]["released"], 0, "{paused}");
    assert_eq!(paused["counts"]["rejected"], 0, "{paused}");
    assert!(appids
        .iter()
        .all(|a| count_for(&app, a, "/wxa/release") == 0));

    data(
        &app.post(&admin("campaign-resume"), &jwt, json!({"id": id}))
            .await,
    );
    let finished = wait_for_state(&app, &jwt, id, "finished").await;
    assert_eq!(finished["counts"]["released"], 4, "{finished}");
    assert_eq!(finished["counts"]["rejected"], 2, "{finished}");
    let rejected = accounts(&app, &jwt, id, "audit_rejected").await;
    assert!(
        rejected.iter().all(|a| a["lastError"] == "截图不清晰"),
        "{rejected:?}"
    );

    // Retry: the rejected are submitted again (not committed again).
    reviewer(&app, json!({"policy": "approve"})).await;
    let retried = app
        .post(&admin("campaign-retry"), &jwt, json!({"id": id}))
        .await;
    assert_eq!(data(&retried)["requeued"], 2);
    let finished = wait_for_state(&app, &jwt, id, "finished").await;
    assert_eq!(finished["counts"]["released"], 6, "{finished}");
    for appid in &appids[..2] {
        assert_eq!(count_for(&app, appid, "/wxa/commit"), 1);
        assert_eq!(count_for(&app, appid, "/wxa/submit_audit"), 2);
    }

    // Cancel: commits keep failing, so nothing is submitted; all cancelled.
    app.sim.fault("/wxa/commit", json!({"errcode": 45009}));
    let second = create(
        &app,
        &jwt,
        campaign_body(PLAIN_TEMPLATE, json!({"appids": appids})),
    )
    .await;
    let retrying = eventually(Duration::from_secs(30), || async {
        accounts(&app, &jwt, second, "running")
            .await
            .iter()
            .any(|a| a["lastErrcode"] == 45009)
    })
    .await;
    assert!(retrying, "{:?}", accounts(&app, &jwt, second, "").await);
    data(
        &app.post(&admin("campaign-cancel"), &jwt, json!({"id": second}))
            .await,
    );
    let cancelled = eventually(Duration::from_secs(30), || async {
        campaign(&app, &jwt, second).await["counts"]["cancelled"] == 6
    })
    .await;
    assert!(cancelled, "{}", campaign(&app, &jwt, second).await);
    assert_eq!(campaign(&app, &jwt, second).await["state"], "cancelled");
    let refused = app
        .post(&admin("campaign-resume"), &jwt, json!({"id": second}))
        .await;
    assert_eq!(refused["code"], 1008, "{refused}");
    let refused = app
        .post(&admin("campaign-retry"), &jwt, json!({"id": second}))
        .await;
    assert_eq!(refused["code"], 1008, "{refused}");
}

#[tokio::test]
async fn transient_errors_are_retried_and_permanent_ones_fail_with_the_errcode() {
    let (app, jwt, appids) = campaign_app(3, "wxfault", &[]).await;
    let unguided = authorize(&app, &jwt, 3, "wxnoguide").await;
    reviewer(&app, json!({"policy": "approve"})).await;
    // Three 45009 (daily quota) answers, then WeChat accepts commits again.
    app.sim.fault(
        "/wxa/commit",
        json!({"errcode": 45009, "errmsg": "reach max api daily quota limit", "times": 3}),
    );
    let id = create(
        &app,
        &jwt,
        campaign_body(PRIVACY_TEMPLATE, json!({"appids": appids})),
    )
    .await;
    let finished = wait_for_state(&app, &jwt, id, "finished").await;
    assert_eq!(finished["counts"]["released"], 3, "{finished}");
    let commits: u64 = appids
        .iter()
        .map(|a| count_for(&app, a, "/wxa/commit"))
        .sum();
    assert_eq!(commits, 3 + 3, "each failed commit was tried again");

    // The privacy template without a guide: WeChat refuses the audit (61040).
    let mut body = campaign_body(PRIVACY_TEMPLATE, json!({"appids": unguided}));
    body.as_object_mut().expect("body").remove("privacySetting");
    let second = create(&app, &jwt, body).await;
    let finished = wait_for_state(&app, &jwt, second, "finished").await;
    assert_eq!(finished["counts"]["failed"], 3, "{finished}");
    for account in accounts(&app, &jwt, second, "failed").await {
        assert_eq!(account["lastErrcode"], 61040, "{account}");
        assert_eq!(account["step"], "submit_audit", "{account}");
        assert_eq!(account["attempts"], 1, "not retried: {account}");
    }
}

#[tokio::test]
async fn the_calls_per_minute_budget_is_never_exceeded() {
    let (app, jwt, _) =
        campaign_app(4, "wxrate", &[("WXC__CAMPAIGNS__CALLS_PER_MINUTE", "10")]).await;
    reviewer(&app, json!({"policy": "approve"})).await;
    // commit, two for domains, guide, submit, poll, release: 7 a mini program.
    let id = create(
        &app,
        &jwt,
        campaign_body(PRIVACY_TEMPLATE, json!({"all": true})),
    )
    .await;
    let spent = eventually(Duration::from_secs(30), || async {
        app.sim
            .state
            .calls
            .log()
            .iter()
            .filter(|c| CAMPAIGN_PATHS.contains(&c.path.as_str()))
            .count()
            >= 5
    })
    .await;
    assert!(spent);
    // Workers keep looking for work; give them many chances to overspend.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(busiest_minute(&app) <= 10, "{}", busiest_minute(&app));
    let progress = campaign(&app, &jwt, id).await;
    assert_ne!(
        progress["state"], "finished",
        "4 × 7 calls do not fit in 10: {progress}"
    );
}

#[tokio::test]
async fn bad_input_is_refused_up_front_and_stores_no_campaign() {
    let (app, jwt, appids) = campaign_app(2, "wxbad", &[]).await;
    app.seed_authorizer("wxofficialacct0001", false).await;
    let good = campaign_body(PLAIN_TEMPLATE, json!({"appids": appids}));
    let with = |field: &str, value: Value| {
        let mut body = good.clone();
        body[field] = value;
        body
    };
    let cases = [
        (with("templateId", json!(999)), "templateId"),
        (with("userVersion", json!("  ")), "userVersion"),
        (with("targets", json!({})), "targets"),
        (
            with("targets", json!({"appids": ["wxnotauthorized01"]})),
            "targets.appids[0]",
        ),
        (
            with("targets", json!({"appids": ["wxofficialacct0001"]})),
            "official account",
        ),
        (
            with(
                "serverDomain",
                json!({"requestDomain": ["http://api.example.com"]}),
            ),
            "requestDomain[0]",
        ),
        (
            with("webviewDomain", json!(["ftp://h5.example.com"])),
            "webviewDomain[0]",
        ),
        (with("extJson", json!("{}")), "extJson"),
        (
            with(
                "privacySetting",
                json!({"privacyVer": 2, "settingList": [], "ownerSetting": {}}),
            ),
            "privacySetting",
        ),
    ];
    for (body, field) in cases {
        let answer = app.post(&admin("campaigns"), &jwt, body.clone()).await;
        assert_eq!(answer["code"], 1001, "{body}: {answer}");
        assert!(
            answer["errorMsg"].as_str().unwrap_or("").contains(field),
            "{field}: {answer}"
        );
    }
    let listed = app
        .get(&format!("{}?offset=0&limit=10", admin("campaigns")), &jwt)
        .await;
    assert_eq!(data(&listed)["total"], 0, "{listed}");
    assert_eq!(app.sim.count("/wxa/commit"), 0);

    let missing = app.get(&format!("{}?id=42", admin("campaign")), &jwt).await;
    assert_eq!(missing["code"], 1001, "{missing}");
    let bad_state = app
        .get(
            &format!("{}?id=42&state=lost", admin("campaign-accounts")),
            &jwt,
        )
        .await;
    assert_eq!(bad_state["code"], 1001, "{bad_state}");
    let nothing = app
        .post(&admin("campaign-pause"), &jwt, json!({"id": 42}))
        .await;
    assert_eq!(nothing["code"], 1001, "{nothing}");
}
