//! 授权事件URL: tickets land, authorizations make authorizers, unauthorize removes them.

use crate::support::Stack;
use common::db::schema::{authorizers, comm, wxcallback_component, wxtoken};
use common::db::{now, stored_time};
use diesel::prelude::*;
use serde_json::json;

async fn stored_ticket(stack: &Stack) -> Option<String> {
    stack
        .db
        .run(|conn| {
            Ok(comm::table
                .find("ticket")
                .select(comm::value)
                .first::<String>(conn)
                .optional()?)
        })
        .await
        .expect("query")
}

async fn component_records(stack: &Stack, info_type: &'static str) -> i64 {
    stack
        .db
        .run(move |conn| {
            Ok(wxcallback_component::table
                .filter(wxcallback_component::infotype.eq(info_type))
                .count()
                .get_result(conn)?)
        })
        .await
        .expect("query")
}

async fn refresh_token_of(stack: &Stack, appid: &str) -> Option<String> {
    let appid = appid.to_string();
    stack
        .db
        .run(move |conn| {
            Ok(authorizers::table
                .filter(authorizers::appid.eq(&appid))
                .select(authorizers::refreshtoken)
                .first::<String>(conn)
                .optional()?)
        })
        .await
        .expect("query")
}

async fn nickname_of(stack: &Stack, appid: &str) -> String {
    let appid = appid.to_string();
    stack
        .db
        .run(move |conn| {
            Ok(authorizers::table
                .filter(authorizers::appid.eq(&appid))
                .select(authorizers::nickname)
                .first::<String>(conn)
                .optional()?)
        })
        .await
        .expect("query")
        .unwrap_or_default()
}

async fn tokens_of(stack: &Stack, appid: &str) -> i64 {
    let appid = appid.to_string();
    stack
        .db
        .run(move |conn| {
            Ok(wxtoken::table
                .filter(wxtoken::appid.eq(&appid))
                .count()
                .get_result(conn)?)
        })
        .await
        .expect("query")
}

#[tokio::test]
async fn a_pushed_ticket_is_stored_and_the_latest_wins() {
    let stack = Stack::start().await;
    let first = stack.push_ticket().await;
    assert_eq!(stored_ticket(&stack).await.as_deref(), Some(first.as_str()));
    let second = stack.push_ticket().await;
    assert_ne!(first, second);
    assert_eq!(
        stored_ticket(&stack).await.as_deref(),
        Some(second.as_str())
    );
    assert_eq!(
        component_records(&stack, "component_verify_ticket").await,
        2
    );
}

#[tokio::test]
async fn the_stored_record_is_the_decrypted_push() {
    let stack = Stack::start().await;
    let ticket = stack.push_ticket().await;
    let body: String = stack
        .db
        .run(|conn| {
            Ok(wxcallback_component::table
                .select(wxcallback_component::postbody)
                .first(conn)?)
        })
        .await
        .expect("record");
    assert!(body.contains(&ticket), "postbody is the plaintext: {body}");
    assert!(!body.contains("<Encrypt>"));
}

#[tokio::test]
async fn an_authorization_makes_an_authorizer_with_its_refresh_token() {
    let stack = Stack::start().await;
    stack.push_ticket().await;
    let appid = "wxauthorized000001";
    stack.authorize(appid).await;
    stack
        .eventually("the authorizer row appears with its details", || async {
            !nickname_of(&stack, appid).await.is_empty()
        })
        .await;
    let stored = refresh_token_of(&stack, appid).await.expect("row");
    let sim_refresh = wxsim::calls::lock(&stack.sim.component)
        .authorizers
        .get(appid)
        .map(|a| a.refresh_token.clone())
        .expect("sim knows the authorizer");
    assert_eq!(stored, sim_refresh);
    assert_eq!(tokens_of(&stack, appid).await, 1, "first access token kept");
    assert_eq!(
        stack.sim.calls.count("/cgi-bin/component/api_query_auth"),
        1
    );
    assert_eq!(
        stack
            .sim
            .calls
            .count("/cgi-bin/component/api_get_authorizer_info"),
        1
    );
}

#[tokio::test]
async fn a_component_token_wechat_rejects_during_an_authorization_is_replaced_at_once() {
    let stack = Stack::start().await;
    stack.push_ticket().await;
    let appid = "wxrejectedtoken001";
    let details = "/cgi-bin/component/api_get_authorizer_info";
    let token = "/cgi-bin/component/api_component_token";
    let fault: wxsim::calls::Fault = serde_json::from_value(
        json!({"errcode": 40001, "errmsg": "invalid credential", "times": 1}),
    )
    .expect("fault");
    stack.sim.calls.set_fault(details, fault);
    let tokens_before = stack.sim.calls.count(token);
    stack.authorize(appid).await;
    stack
        .eventually("the authorizer's details are stored", || async {
            !nickname_of(&stack, appid).await.is_empty()
        })
        .await;
    assert_eq!(
        stack.sim.calls.count(details),
        2,
        "refused once, then stored"
    );
    // One token for the code exchange and the first details call; the
    // rejected one is reported and replaced before the second call, not
    // offered to WeChat again.
    assert_eq!(stack.sim.calls.count(token), tokens_before + 2);
}

#[tokio::test]
async fn a_nickname_longer_than_its_column_is_stored_cut_at_once() {
    let stack = Stack::start().await;
    stack.push_ticket().await;
    let appid = "wxlongnickname0001";
    // 40 characters (120 bytes in UTF-8) for a VARCHAR(32) column, and an
    // owner's name over its 64; strict MySQL refuses either uncut.
    let nick_name = "名字很长的公众号".repeat(5);
    let principal_name = "主体".repeat(40);
    stack
        .sim_post(
            "/__sim/authorizer-info",
            json!({"authorizer_appid": appid, "authorizer_info": {
                "nick_name": nick_name,
                "principal_name": principal_name,
            }}),
        )
        .await;
    stack.authorize(appid).await;
    stack
        .eventually("the authorizer's details are stored", || async {
            !nickname_of(&stack, appid).await.is_empty()
        })
        .await;
    let expected: String = nick_name.chars().take(32).collect();
    assert_eq!(nickname_of(&stack, appid).await, expected);
    let lookup = appid.to_string();
    let principal: String = stack
        .db
        .run(move |conn| {
            Ok(authorizers::table
                .filter(authorizers::appid.eq(&lookup))
                .select(authorizers::principalname)
                .first(conn)?)
        })
        .await
        .expect("query");
    assert_eq!(principal.chars().count(), 64, "{principal}");
    assert_eq!(
        stack
            .sim
            .calls
            .count("/cgi-bin/component/api_get_authorizer_info"),
        1,
        "stored at the first try, not retried"
    );
}

#[tokio::test]
async fn the_authorization_is_retried_while_wechat_fails() {
    let stack = Stack::start().await;
    stack.push_ticket().await;
    stack
        .sim_post(
            "/__sim/faults",
            json!({"path": "/cgi-bin/component/api_get_authorizer_info", "http_status": 502, "times": 2}),
        )
        .await;
    let appid = "wxauthorizedretry1";
    stack.authorize(appid).await;
    stack
        .eventually("the details arrive after retries", || async {
            !nickname_of(&stack, appid).await.is_empty()
        })
        .await;
    assert_eq!(
        stack
            .sim
            .calls
            .count("/cgi-bin/component/api_get_authorizer_info"),
        3
    );
    assert_eq!(
        stack.sim.calls.count("/cgi-bin/component/api_query_auth"),
        1,
        "the single-use code is spent once"
    );
    assert!(refresh_token_of(&stack, appid).await.is_some());
}

#[tokio::test]
async fn unauthorize_removes_the_authorizer_and_its_tokens() {
    let stack = Stack::start().await;
    stack.push_ticket().await;
    let appid = "wxauthorizedgone01";
    stack.authorize(appid).await;
    stack
        .eventually("authorized", || async {
            refresh_token_of(&stack, appid).await.is_some()
        })
        .await;
    let outcome = stack
        .sim_post("/__sim/unauthorize", json!({"authorizer_appid": appid}))
        .await;
    assert_eq!(outcome["push"]["delivered"], true, "{outcome}");
    assert_eq!(refresh_token_of(&stack, appid).await, None);
    assert_eq!(tokens_of(&stack, appid).await, 0);
    assert_eq!(component_records(&stack, "unauthorized").await, 1);
}

#[tokio::test]
async fn other_info_types_are_recorded() {
    let stack = Stack::start().await;
    let plaintext = format!(
        "<xml><AppId><![CDATA[{}]]></AppId><CreateTime>{}</CreateTime><InfoType><![CDATA[notify_third_fasteregister]]></InfoType><appid>wxnew</appid><status>0</status></xml>",
        stack.sim_settings.component_appid,
        crate::support::now()
    );
    let (query, body) = stack.seal_push(&plaintext, &stack.sim_settings.component_appid);
    let (status, answer) = stack
        .post(&format!("/wxcallback/component{query}"), body)
        .await;
    assert_eq!((status, answer.as_str()), (200, "success"));
    assert_eq!(
        component_records(&stack, "notify_third_fasteregister").await,
        1
    );
}

#[tokio::test]
async fn json_pushes_are_handled_like_xml() {
    let stack = Stack::start_with(crate::support::Options {
        push_format: "json",
        ..Default::default()
    })
    .await;
    let ticket = stack.push_ticket().await;
    assert_eq!(
        stored_ticket(&stack).await.as_deref(),
        Some(ticket.as_str())
    );
}

/// Stores an `authorized` push the way a receiver that stopped right after
/// storing it leaves it: the record, no exchange.
async fn store_unfinished_push(
    stack: &Stack,
    info_type: &str,
    appid: &str,
    code: &str,
    expires: i64,
) {
    let created = crate::support::now();
    let body = format!(
        "<xml><AppId><![CDATA[{component}]]></AppId><CreateTime>{created}</CreateTime>\
         <InfoType><![CDATA[{info_type}]]></InfoType><AuthorizerAppid><![CDATA[{appid}]]></AuthorizerAppid>\
         <AuthorizationCode><![CDATA[{code}]]></AuthorizationCode>\
         <AuthorizationCodeExpiredTime>{expires}</AuthorizationCodeExpiredTime></xml>",
        component = stack.sim_settings.component_appid,
    );
    let info_type = info_type.to_string();
    stack
        .db
        .run(move |conn| {
            diesel::insert_into(wxcallback_component::table)
                .values((
                    wxcallback_component::receivetime.eq(now()),
                    wxcallback_component::createtime.eq(stored_time(created)),
                    wxcallback_component::infotype.eq(info_type),
                    wxcallback_component::postbody.eq(body),
                ))
                .execute(conn)?;
            Ok(())
        })
        .await
        .expect("record stored");
}

async fn comm_rows(stack: &Stack, key: &str) -> i64 {
    let key = key.to_string();
    stack
        .db
        .run(move |conn| Ok(comm::table.find(key).count().get_result(conn)?))
        .await
        .expect("query")
}

async fn mint_code(stack: &Stack, appid: &str) -> String {
    let minted = stack
        .sim_post("/__sim/auth-code", json!({"authorizer_appid": appid}))
        .await;
    minted["auth_code"].as_str().expect("a code").to_string()
}

#[tokio::test]
async fn a_restarted_receiver_finishes_an_authorization_left_unfinished() {
    let stack = Stack::start().await;
    stack.push_ticket().await;
    let appid = "wxresumed00000001";
    let code = mint_code(&stack, appid).await;
    store_unfinished_push(
        &stack,
        "authorized",
        appid,
        &code,
        crate::support::now() + 3600,
    )
    .await;
    assert_eq!(refresh_token_of(&stack, appid).await, None);

    stack.another_callback().await;
    stack
        .eventually("the restarted receiver stores the authorizer", || async {
            !nickname_of(&stack, appid).await.is_empty()
        })
        .await;
    assert!(refresh_token_of(&stack, appid).await.is_some());
    assert_eq!(
        stack.sim.calls.count("/cgi-bin/component/api_query_auth"),
        1
    );

    // Finished work is not done again by the next start, nor is the lock kept.
    stack.another_callback().await;
    let lock = format!("TLock_auth_{appid}");
    stack
        .eventually("the resume lock is released", || async {
            comm_rows(&stack, &lock).await == 0
        })
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        stack.sim.calls.count("/cgi-bin/component/api_query_auth"),
        1
    );
}

#[tokio::test]
async fn replicas_starting_together_spend_an_unfinished_code_once() {
    let stack = Stack::start().await;
    stack.push_ticket().await;
    let appid = "wxresumed00000002";
    let code = mint_code(&stack, appid).await;
    store_unfinished_push(
        &stack,
        "authorized",
        appid,
        &code,
        crate::support::now() + 3600,
    )
    .await;
    futures::future::join(stack.another_callback(), stack.another_callback()).await;
    stack
        .eventually("the authorizer is stored", || async {
            !nickname_of(&stack, appid).await.is_empty()
        })
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        stack.sim.calls.count("/cgi-bin/component/api_query_auth"),
        1
    );
}

#[tokio::test]
async fn expired_codes_and_revoked_accounts_are_not_resumed() {
    let stack = Stack::start().await;
    stack.push_ticket().await;
    let expired = "wxresumed00000003";
    let code = mint_code(&stack, expired).await;
    store_unfinished_push(
        &stack,
        "authorized",
        expired,
        &code,
        crate::support::now() - 1,
    )
    .await;
    let revoked = "wxresumed00000004";
    let code = mint_code(&stack, revoked).await;
    store_unfinished_push(
        &stack,
        "authorized",
        revoked,
        &code,
        crate::support::now() + 3600,
    )
    .await;
    store_unfinished_push(&stack, "unauthorized", revoked, "", 0).await;

    stack.another_callback().await;
    // A third account resumed after them shows the start-up pass has run.
    let marker = "wxresumed00000005";
    let code = mint_code(&stack, marker).await;
    store_unfinished_push(
        &stack,
        "authorized",
        marker,
        &code,
        crate::support::now() + 3600,
    )
    .await;
    stack.another_callback().await;
    stack
        .eventually("the marker account is stored", || async {
            refresh_token_of(&stack, marker).await.is_some()
        })
        .await;
    assert_eq!(refresh_token_of(&stack, expired).await, None);
    assert_eq!(refresh_token_of(&stack, revoked).await, None);
    assert_eq!(
        stack.sim.calls.count("/cgi-bin/component/api_query_auth"),
        1,
        "only the marker's code was exchanged"
    );
}

async fn failed_authorizations(stack: &Stack) -> Vec<common::db::authorization_failures::Failure> {
    stack
        .db
        .run(|conn| Ok(common::db::authorization_failures::latest(conn, 10)?.1))
        .await
        .expect("query")
}

#[tokio::test]
async fn an_authorization_wechat_refuses_is_kept_for_the_console_until_it_succeeds() {
    let stack = Stack::start().await;
    stack.push_ticket().await;
    stack
        .sim_post(
            "/__sim/faults",
            json!({"path": "/cgi-bin/component/api_query_auth", "errcode": 61010,
                "errmsg": "code is expired", "times": 1}),
        )
        .await;
    let appid = "wxauthfailed00001";
    stack.authorize(appid).await;
    stack
        .eventually("the failure is kept", || async {
            !failed_authorizations(&stack).await.is_empty()
        })
        .await;
    let failures = failed_authorizations(&stack).await;
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0].appid, appid);
    assert_eq!(failures[0].step, "exchange");
    assert!(failures[0].error.contains("61010"), "{failures:?}");
    assert!(failures[0].fail_time > 0);
    assert_eq!(refresh_token_of(&stack, appid).await, None);
    assert_eq!(
        stack.sim.calls.count("/cgi-bin/component/api_query_auth"),
        1,
        "an expired code is not retried"
    );

    // The administrator authorizes again: the account is stored and the
    // failure forgotten.
    stack.authorize(appid).await;
    stack
        .eventually("the account is stored", || async {
            !nickname_of(&stack, appid).await.is_empty()
        })
        .await;
    assert!(failed_authorizations(&stack).await.is_empty());
}
