//! Faults on the real processes: the admin down, WeChat failing, a full disk,
//! every process restarted. Each test asserts what WeChat, the operator and
//! the business service see, and what the database holds afterwards.

use std::time::Instant;

use diesel::connection::SimpleConnection;
use serde_json::{json, Value};

use crate::support::{
    sealed_biz_push, text_message, Stack, Stop, API_TOKEN, APPID, AUTHORIZER_TOKEN_PATH,
    COMPONENT_TOKEN_PATH, SERVICES,
};

/// Adds an operator proxy route `/viasim/` → wxsim (prefix stripped), so
/// `GET /viasim/__sim/healthz` on the gateway is answered by wxsim only
/// through that route; waits until the gateway serves it.
async fn route_to_wxsim(stack: &Stack, jwt: &str) -> String {
    let added = stack
        .json(
            stack
                .http
                .put(format!("{}/wxcomponent/admin/proxy-route", stack.gateway))
                .bearer_auth(jwt)
                .json(&json!({"prefix": "/viasim/", "upstream": stack.sim, "stripPrefix": true})),
        )
        .await;
    assert_eq!(added["code"], 0, "{added}");
    let routed = format!("{}/viasim/__sim/healthz", stack.gateway);
    stack
        .eventually("the gateway serves the operator's route", || {
            served_by_wxsim(stack, &routed)
        })
        .await;
    routed
}

async fn served_by_wxsim(stack: &Stack, url: &str) -> bool {
    match stack.http.get(url).send().await {
        Ok(r) if r.status() == 200 => r
            .json::<Value>()
            .await
            .is_ok_and(|v| v == json!({"status": "ok"})),
        _ => false,
    }
}

/// `gateway_route_polls_total{result="failed"}` from the gateway's metrics.
async fn failed_route_polls(stack: &Stack) -> u64 {
    let text = stack
        .http
        .get(format!("{}/metrics", stack.metrics))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics body");
    text.lines()
        .find_map(|l| l.strip_prefix(r#"gateway_route_polls_total{result="failed"} "#))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

fn menu_url(stack: &Stack) -> String {
    format!("{}/api/v0.1/cgi-bin/menu?appid={APPID}", stack.gateway)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_admin_down_pushes_are_stored_routes_kept_and_business_recovers_by_itself() {
    const PUSHES: u64 = 30;
    const PUSH_APPID: &str = "wxe2eadmindown001";
    let mut stack = Stack::start().await;
    stack.push_ticket().await;
    let jwt = stack.login().await;
    stack.authorize(&jwt, APPID).await;
    let routed = route_to_wxsim(&stack, &jwt).await;
    let menu = json!({"button": [{"type": "click", "name": "今日", "key": "TODAY"}]});
    let created = stack
        .json(
            stack
                .http
                .post(menu_url(&stack))
                .bearer_auth(API_TOKEN)
                .json(&menu),
        )
        .await;
    assert_eq!(created["errcode"], 0, "{created}");
    let business_pid = stack.pid("business");
    let polls_failed_before = failed_route_polls(&stack).await;

    assert!(!stack.stop("admin", Stop::Kill).await.success());

    // WeChat's pushes are acknowledged and stored as before.
    let mut sent = Vec::new();
    for n in 0..PUSHES {
        let plaintext = text_message(PUSH_APPID, n, &format!("while the admin is down {n}"));
        let (url, body) = sealed_biz_push(&stack.gateway, PUSH_APPID, &plaintext, &format!("d{n}"));
        let response = stack.http.post(url).body(body).send().await.expect("push");
        assert_eq!(response.status(), 200, "push {n}");
        assert_eq!(response.text().await.expect("body"), "success", "push {n}");
        sent.push(plaintext);
    }
    stack.push_ticket().await;
    assert_eq!(stack.stored_biz_bodies(PUSH_APPID).await, sent);

    // The gateway has found the admin gone and keeps its last route table.
    stack
        .eventually("a route poll failed", || async {
            failed_route_polls(&stack).await > polls_failed_before
        })
        .await;
    assert!(
        served_by_wxsim(&stack, &routed).await,
        "the operator's route is still served"
    );

    // The business service cannot get a token: a JSON 502 saying so.
    let (status, body) = stack
        .status_json(stack.http.get(menu_url(&stack)).bearer_auth(API_TOKEN))
        .await;
    assert_eq!(status, 502, "{body}");
    let fields: Vec<&String> = body.as_object().expect("an object").keys().collect();
    assert_eq!(fields, ["code", "errorMsg"], "{body}");
    assert_eq!(body["code"], -1, "{body}");
    assert!(
        body["errorMsg"]
            .as_str()
            .is_some_and(|m| m.starts_with("token manager")),
        "{body}"
    );

    // The admin comes back; business recovers without a restart.
    stack.start_again("admin").await;
    stack
        .eventually("the business service manages the account again", || async {
            let (status, body) = stack
                .status_json(stack.http.get(menu_url(&stack)).bearer_auth(API_TOKEN))
                .await;
            status == 200 && body["menu"]["button"][0]["key"] == "TODAY"
        })
        .await;
    assert_eq!(
        stack.pid("business"),
        business_pid,
        "business was not restarted"
    );
    assert!(served_by_wxsim(&stack, &routed).await);
}

/// The tokens handed out now: the component token by the inner API, the
/// authorizer token by the inner API, the component token by the console.
async fn current_tokens(stack: &Stack, jwt: &str) -> (String, String, String) {
    let (status, component) = stack.inner("/inner/component-access-token").await;
    assert_eq!(
        (status, &component["code"]),
        (200, &json!(0)),
        "{component}"
    );
    let (status, authorizer) = stack
        .inner(&format!("/inner/authorizer-access-token?appid={APPID}"))
        .await;
    assert_eq!(
        (status, &authorizer["code"]),
        (200, &json!(0)),
        "{authorizer}"
    );
    let console = stack
        .console_get("/wxcomponent/admin/component-access-token", jwt)
        .await;
    assert_eq!(console["code"], 0, "{console}");
    let token = |v: &Value| v["data"]["token"].as_str().expect("a token").to_string();
    (token(&component), token(&authorizer), token(&console))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wechat_failing_makes_the_refresher_back_off_while_the_valid_tokens_are_served() {
    let stack = Stack::builder().refreshing_soon().start().await;
    stack.push_ticket().await;
    let jwt = stack.login().await;
    stack.authorize(&jwt, APPID).await;
    let before = current_tokens(&stack, &jwt).await;
    assert_eq!(
        before.0, before.2,
        "the console hands out the inner API's token"
    );
    let faulted_at = Instant::now();
    let calls_before = (
        stack.sim_calls(COMPONENT_TOKEN_PATH).await,
        stack.sim_calls(AUTHORIZER_TOKEN_PATH).await,
    );

    for fault in [
        json!({"http_status": 503}),
        json!({"errcode": 45009, "errmsg": "reach max api daily quota limit"}),
        json!({"delay_ms": 3000}),
    ] {
        for path in [COMPONENT_TOKEN_PATH, AUTHORIZER_TOKEN_PATH] {
            stack.wechat_fault(path, &fault).await;
        }
        let base = (
            stack.sim_calls(COMPONENT_TOKEN_PATH).await,
            stack.sim_calls(AUTHORIZER_TOKEN_PATH).await,
        );
        stack
            .eventually(
                &format!("two refresh attempts on each path under {fault}"),
                || async {
                    // Meanwhile callers get the stored, still-valid tokens.
                    assert_eq!(current_tokens(&stack, &jwt).await, before, "under {fault}");
                    stack.sim_calls(COMPONENT_TOKEN_PATH).await >= base.0 + 2
                        && stack.sim_calls(AUTHORIZER_TOKEN_PATH).await >= base.1 + 2
                },
            )
            .await;
    }
    // Not a hot loop: at most one attempt per path per second of faults
    // (1 s rounds, backoff 2-4 s), whatever the machine's speed.
    let elapsed = faulted_at.elapsed().as_secs() + 1;
    let attempts = (
        stack.sim_calls(COMPONENT_TOKEN_PATH).await - calls_before.0,
        stack.sim_calls(AUTHORIZER_TOKEN_PATH).await - calls_before.1,
    );
    assert!(
        attempts.0 <= elapsed + 1 && attempts.1 <= elapsed + 1,
        "{attempts:?} attempts in {elapsed} s"
    );
    eprintln!(
        "refresh attempts under faults in {elapsed} s: component {}, authorizer {}",
        attempts.0, attempts.1
    );

    for path in [COMPONENT_TOKEN_PATH, AUTHORIZER_TOKEN_PATH] {
        stack.clear_wechat_fault(path).await;
    }
    stack
        .eventually("both tokens renewed once WeChat answers again", || async {
            let now = current_tokens(&stack, &jwt).await;
            now.0 != before.0 && now.1 != before.1 && now.2 != before.2
        })
        .await;
}

#[derive(diesel::QueryableByName)]
struct IntegrityCheck {
    #[diesel(sql_type = diesel::sql_types::Text)]
    integrity_check: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_answers_503_and_tears_no_record() {
    const MAX_PUSHES: u64 = 3000;
    const AFTER_FULL: u64 = 10;
    const FULL_APPID: &str = "wxe2ediskfull0001";
    let mut stack = Stack::start().await;
    let Some(db_path) = stack.sqlite_path() else {
        eprintln!("skipped: a full disk is simulated with RLIMIT_FSIZE on the SQLite file; this run is on MySQL");
        return;
    };
    stack.stop("callback", Stop::Term).await;
    // An empty WAL: the limit then bounds how much the callback may append.
    stack
        .db
        .run(|conn| {
            conn.batch_execute("PRAGMA wal_checkpoint(TRUNCATE)")?;
            Ok(())
        })
        .await
        .expect("checkpoint");
    let size = |suffix: &str| {
        std::fs::metadata(format!("{}{suffix}", db_path.display())).map_or(0, |m| m.len())
    };
    let limit_kib = size("").max(size("-wal")) / 1024 + 256;
    stack
        .start_with_file_size_limit("callback", limit_kib)
        .await;

    // 4 KiB of text per push: the files reach the limit after some dozens.
    let padding = "满".repeat(1365);
    let mut sent: Vec<(String, String, String)> = Vec::new();
    let (mut stored, mut refused) = (Vec::new(), Vec::new());
    for n in 0..MAX_PUSHES {
        let plaintext = text_message(FULL_APPID, n, &format!("{n} {padding}"));
        let (url, body) =
            sealed_biz_push(&stack.callback, FULL_APPID, &plaintext, &format!("f{n}"));
        let response = stack
            .http
            .post(&url)
            .body(body.clone())
            .send()
            .await
            .expect("push");
        let status = response.status().as_u16();
        let answer = response.text().await.expect("body");
        match status {
            200 => {
                assert_eq!(answer, "success", "push {n}");
                stored.push(plaintext.clone());
            }
            503 => {
                let envelope: Value = serde_json::from_str(&answer).expect("a JSON 503");
                assert_eq!(envelope["code"], 1002, "{envelope}");
                refused.push(sent.len());
            }
            other => panic!("push {n}: HTTP {other}: {answer}"),
        }
        sent.push((plaintext, url, body));
        if refused.len() as u64 >= AFTER_FULL {
            break;
        }
    }
    assert!(
        refused.len() as u64 >= AFTER_FULL,
        "{MAX_PUSHES} pushes and no write failed under a {limit_kib} KiB file size limit"
    );
    eprintln!(
        "disk full after {} stored pushes; {} answered 503",
        stored.len(),
        refused.len()
    );

    // The disk has room again (the limit lifted): every acknowledged push is
    // there, whole; the database is intact; WeChat's retries are stored once.
    stack.stop("callback", Stop::Kill).await;
    stack.start_again("callback").await;
    let bodies = stack.stored_biz_bodies(FULL_APPID).await;
    for body in &bodies {
        assert!(
            sent.iter().any(|(plaintext, _, _)| plaintext == body),
            "a stored body is not one that was sent: {} bytes",
            body.len()
        );
    }
    for plaintext in &stored {
        assert_eq!(
            bodies.iter().filter(|b| *b == plaintext).count(),
            1,
            "an acknowledged push is stored once, whole"
        );
    }
    let integrity = stack
        .db
        .run(|conn| match conn {
            common::db::DbConnection::Sqlite(c) => {
                use diesel::RunQueryDsl;
                Ok(diesel::sql_query("PRAGMA integrity_check").load::<IntegrityCheck>(c)?)
            }
            common::db::DbConnection::Mysql(_) => Err(common::db::DbError::Task(
                "PRAGMA integrity_check is SQLite's".into(),
            )),
        })
        .await
        .expect("integrity check");
    let integrity: Vec<&str> = integrity
        .iter()
        .map(|r| r.integrity_check.as_str())
        .collect();
    assert_eq!(integrity, ["ok"]);
    for &i in &refused {
        let (_, url, body) = &sent[i];
        let response = stack
            .http
            .post(url)
            .body(body.clone())
            .send()
            .await
            .expect("retry");
        assert_eq!(response.status(), 200);
        assert_eq!(response.text().await.expect("body"), "success");
    }
    let bodies = stack.stored_biz_bodies(FULL_APPID).await;
    let expected: Vec<&String> = sent.iter().map(|(p, _, _)| p).collect();
    assert_eq!(
        bodies.len(),
        expected.len(),
        "every push stored exactly once"
    );
    for plaintext in expected {
        assert!(bodies.contains(plaintext));
    }
}

/// The ticket WeChat (wxsim) pushed last and accepts, null if none yet.
async fn wechat_ticket(stack: &Stack) -> Value {
    stack
        .json(stack.http.get(format!("{}/__sim/state", stack.sim)))
        .await["component"]["ticket"]["ticket"]
        .clone()
}

/// What the operator sees of the platform: the ticket, the forward rules,
/// the proxy routes and the authorizers.
async fn kept_state(stack: &Stack, jwt: &str) -> (Value, Value, Value, Vec<String>) {
    let ticket = stack.console_get("/wxcomponent/admin/ticket", jwt).await;
    let rules = stack
        .console_get(
            "/wxcomponent/admin/callback-proxy-rule-list?offset=0&limit=20",
            jwt,
        )
        .await;
    let routes = stack
        .console_get("/wxcomponent/admin/proxy-routes", jwt)
        .await;
    for answer in [&ticket, &rules, &routes] {
        assert_eq!(answer["code"], 0, "{answer}");
    }
    (
        ticket["data"].clone(),
        rules["data"].clone(),
        routes["data"].clone(),
        stack.authorizers(jwt).await,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everything_restarted_or_killed_keeps_ticket_tokens_authorizers_rules_and_sessions() {
    let mut stack = Stack::start().await;
    stack.push_ticket().await;
    let jwt = stack.login().await;
    stack.authorize(&jwt, APPID).await;
    let rule = stack
        .json(
            stack
                .http
                .put(format!(
                    "{}/wxcomponent/admin/callback-proxy-rule",
                    stack.gateway
                ))
                .bearer_auth(&jwt)
                .json(&json!({
                    "name": "kept across restarts",
                    "infoType": "",
                    "msgType": "text",
                    "event": "",
                    "open": 1,
                    "data": {"port": 9, "path": "/kept"},
                })),
        )
        .await;
    assert_eq!(rule["code"], 0, "{rule}");
    let routed = route_to_wxsim(&stack, &jwt).await;
    let before = kept_state(&stack, &jwt).await;
    assert!(
        before.0["ticket"].as_str().is_some_and(|t| !t.is_empty()),
        "{:?}",
        before.0
    );
    assert_eq!(before.3, [APPID]);

    // A graceful restart (docker stop, a rolling update), then every process
    // crashing at once (SIGKILL: nothing flushed or closed by the services).
    for how in [Stop::Term, Stop::Kill] {
        // Any ticket push the token manager asked for has landed: the
        // platform holds WeChat's latest ticket when everything stops.
        stack
            .eventually("the platform holds WeChat's latest ticket", || async {
                let stored = stack.console_get("/wxcomponent/admin/ticket", &jwt).await;
                stored["data"]["ticket"] == wechat_ticket(&stack).await
            })
            .await;
        let held = stack.console_get("/wxcomponent/admin/ticket", &jwt).await["data"].clone();
        let tokens = current_tokens(&stack, &jwt).await;
        stack.stop_all(how).await;
        stack.start_all().await;
        for name in SERVICES {
            eprintln!("{name} restarted after {how:?} as PID {}", stack.pid(name));
        }

        // The session issued before the restart still works, and sees the
        // same tokens and state. (The tokens first: the restarted wxsim has
        // forgotten them, and the authorizer list calls WeChat, which then
        // renews them.)
        assert_eq!(current_tokens(&stack, &jwt).await, tokens, "after {how:?}");
        let (ticket, rules, routes, authorizers) = kept_state(&stack, &jwt).await;
        assert_eq!(
            (&rules, &routes, &authorizers),
            (&before.1, &before.2, &before.3),
            "after {how:?}"
        );
        // The ticket kept, unless WeChat has pushed a newer one since: the
        // restarted wxsim forgot its ticket, refuses the old one and pushes a
        // fresh one when the token manager asks (api_start_push_ticket).
        let latest = wechat_ticket(&stack).await;
        assert!(
            ticket == held || ticket["ticket"] == latest,
            "after {how:?}: ticket {ticket}, held {held}, WeChat's latest {latest}"
        );
        stack
            .eventually("the gateway serves the operator's route again", || {
                served_by_wxsim(&stack, &routed)
            })
            .await;
    }
}
