//! The full-network-release check (全网发布检测) WeChat runs before a platform
//! may serve every account, played against the platform's biz URL:
//!
//! 1. text `TESTCOMPONENT_MSG_TYPE_TEXT` must get the passive text reply
//!    `TESTCOMPONENT_MSG_TYPE_TEXT_callback` (encrypted and correctly signed
//!    in safe mode, addressed back to the sender);
//! 2. text `QUERY_AUTH_CODE:<code>` must get an empty reply (or `success`) at
//!    once; then, before a deadline, the platform must exchange `<code>` with
//!    `api_query_auth` and send the customer-service text `<code>_from_api` to
//!    the sender through `/cgi-bin/message/custom/send`;
//! 3. an event (`LOCATION`) must get the passive text reply `LOCATIONfrom_callback`.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::calls::lock;
use crate::component_state::{RELEASE_TEST_MINI_PROGRAM, RELEASE_TEST_OFFICIAL_ACCOUNT};
use crate::flows::{self, MessageRequest};
use crate::push::{BizReply, PushOutcome};
use crate::state::SimState;

/// The openid of WeChat's release-check test user.
pub const TEST_OPENID: &str = "ozy4qt5QUADNXORxCVipKMV9dss0";
/// The text of step 1.
pub const TEXT_MESSAGE: &str = "TESTCOMPONENT_MSG_TYPE_TEXT";
/// The reply step 1 expects.
pub const TEXT_REPLY: &str = "TESTCOMPONENT_MSG_TYPE_TEXT_callback";
/// The event step 3 sends.
pub const EVENT: &str = "LOCATION";
/// How long step 2 waits for the customer-service message by default.
pub const DEFAULT_DEADLINE_SECS: f64 = 10.0;

/// What to check.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ReleaseCheckRequest {
    /// The account to check with (default the official test account
    /// `wx570bc396a51b8ff8`); authorized first if it is not.
    pub appid: Option<String>,
    /// Seconds step 2 waits for the customer-service message (default 10).
    pub deadline_secs: Option<f64>,
}

/// One step of the check.
#[derive(Debug, Clone, Serialize)]
pub struct StepReport {
    /// `text`, `query_auth_code` or `event`.
    pub name: String,
    /// Whether the platform did what WeChat expects.
    pub passed: bool,
    /// What was expected and what happened.
    pub detail: String,
    /// The push and the reply read back.
    pub push: Option<PushOutcome>,
}

/// The result of the whole check.
#[derive(Debug, Clone, Serialize)]
pub struct ReleaseCheckReport {
    /// Whether every step passed.
    pub passed: bool,
    /// The account checked with.
    pub appid: String,
    /// The sender of the test messages.
    pub openid: String,
    /// Each step, in order.
    pub steps: Vec<StepReport>,
}

/// Runs the three steps against the configured callback URL.
pub async fn run(state: &SimState, request: &ReleaseCheckRequest) -> ReleaseCheckReport {
    let appid = request
        .appid
        .clone()
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| RELEASE_TEST_OFFICIAL_ACCOUNT.to_string());
    let deadline = request
        .deadline_secs
        .filter(|d| d.is_finite() && *d >= 0.0)
        .unwrap_or(DEFAULT_DEADLINE_SECS);
    flows::ensure_authorized(state, &appid, appid == RELEASE_TEST_MINI_PROGRAM);
    let steps = vec![
        text_step(state, &appid).await,
        query_auth_code_step(state, &appid, Duration::from_secs_f64(deadline)).await,
        event_step(state, &appid).await,
    ];
    ReleaseCheckReport {
        passed: steps.iter().all(|s| s.passed),
        appid,
        openid: TEST_OPENID.to_string(),
        steps,
    }
}

fn message(appid: &str, msg_type: &str) -> MessageRequest {
    MessageRequest {
        appid: appid.to_string(),
        from: Some(TEST_OPENID.to_string()),
        msg_type: Some(msg_type.to_string()),
        ..MessageRequest::default()
    }
}

async fn send(
    state: &SimState,
    name: &str,
    request: &MessageRequest,
) -> Result<PushOutcome, StepReport> {
    match flows::send_message(state, request).await {
        Ok(outcome) => Ok(outcome.push),
        Err(e) => Err(StepReport {
            name: name.to_string(),
            passed: false,
            detail: format!("could not push: {e}"),
            push: None,
        }),
    }
}

/// Why a delivered push did not get the text reply `expected`, if it did not.
fn check_text_reply(push: &PushOutcome, appid: &str, expected: &str) -> Option<String> {
    if !push.delivered {
        return Some(undelivered(push));
    }
    let Some(reply) = &push.reply else {
        return Some("no reply was read".into());
    };
    let must_encrypt = push.mode.is_encrypted();
    if must_encrypt && reply.kind != crate::push::ReplyKind::Encrypted {
        return Some(format!(
            "expected an encrypted passive reply, got {:?}: {}",
            reply.kind,
            describe(reply, push)
        ));
    }
    if reply.signature_valid == Some(false) {
        return Some("the reply's MsgSignature does not verify".into());
    }
    if let Some(error) = &reply.error {
        return Some(format!("unreadable reply: {error}"));
    }
    if reply.msg_type.as_deref() != Some("text") {
        return Some(format!(
            "expected a text reply, got MsgType {:?}",
            reply.msg_type
        ));
    }
    if reply.content.as_deref() != Some(expected) {
        return Some(format!(
            "expected Content {expected:?}, got {:?}",
            reply.content
        ));
    }
    if reply.to_user_name.as_deref() != Some(TEST_OPENID) {
        return Some(format!(
            "expected ToUserName {TEST_OPENID:?} (the sender), got {:?}",
            reply.to_user_name
        ));
    }
    let original = crate::component_state::original_id(appid);
    if reply.from_user_name.as_deref() != Some(original.as_str()) {
        return Some(format!(
            "expected FromUserName {original:?} (the account), got {:?}",
            reply.from_user_name
        ));
    }
    None
}

fn undelivered(push: &PushOutcome) -> String {
    format!(
        "push not delivered after {} attempt(s): {}",
        push.attempts,
        push.error.as_deref().unwrap_or("no answer")
    )
}

fn describe(reply: &BizReply, push: &PushOutcome) -> String {
    reply
        .plaintext
        .clone()
        .or_else(|| push.body.clone())
        .unwrap_or_default()
}

async fn text_step(state: &SimState, appid: &str) -> StepReport {
    let name = "text";
    let mut request = message(appid, "text");
    request.content = Some(TEXT_MESSAGE.to_string());
    let push = match send(state, name, &request).await {
        Ok(push) => push,
        Err(report) => return report,
    };
    let failure = check_text_reply(&push, appid, TEXT_REPLY);
    StepReport {
        name: name.to_string(),
        passed: failure.is_none(),
        detail: failure.unwrap_or_else(|| format!("replied {TEXT_REPLY:?}")),
        push: Some(push),
    }
}

async fn query_auth_code_step(state: &SimState, appid: &str, deadline: Duration) -> StepReport {
    let name = "query_auth_code";
    let code = flows::mint_auth_code(state, appid, appid == RELEASE_TEST_MINI_PROGRAM);
    let mut request = message(appid, "text");
    request.content = Some(format!("QUERY_AUTH_CODE:{}", code.code));
    let started = Instant::now();
    let push = match send(state, name, &request).await {
        Ok(push) => push,
        Err(report) => return report,
    };
    let fail = |detail: String, push: PushOutcome| StepReport {
        name: name.to_string(),
        passed: false,
        detail,
        push: Some(push),
    };
    if !push.delivered {
        return fail(undelivered(&push), push);
    }
    if push.attempts > 1 {
        return fail(
            format!(
                "the reply must come at once: it took {} attempts",
                push.attempts
            ),
            push,
        );
    }
    match &push.reply {
        Some(reply) if reply.is_no_reply() => {}
        Some(reply) => {
            let detail = format!(
                "expected an empty reply (or success) at once, got {:?}: {}",
                reply.kind,
                describe(reply, &push)
            );
            return fail(detail, push);
        }
        None => return fail("no reply was read".into(), push),
    }

    let expected = format!("{}_from_api", code.code);
    let until = started + deadline;
    loop {
        let consumed = lock(&state.component).auth_code_consumed(&code.code);
        let sent = lock(&state.accounts).sent_messages.iter().any(|m| {
            m.appid == appid
                && m.touser == TEST_OPENID
                && m.msgtype == "text"
                && m.content == expected
        });
        if consumed && sent {
            return StepReport {
                name: name.to_string(),
                passed: true,
                detail: format!(
                    "empty reply, code exchanged and {expected:?} sent within {} ms",
                    started.elapsed().as_millis()
                ),
                push: Some(push),
            };
        }
        if Instant::now() >= until {
            let mut missing = Vec::new();
            if !consumed {
                missing.push("the code was not exchanged with api_query_auth".to_string());
            }
            if !sent {
                missing.push(format!(
                    "no customer-service text {expected:?} to {TEST_OPENID} was sent through /cgi-bin/message/custom/send"
                ));
            }
            let detail = format!(
                "within {:.1} s: {}",
                deadline.as_secs_f64(),
                missing.join("; ")
            );
            return fail(detail, push);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn event_step(state: &SimState, appid: &str) -> StepReport {
    let name = "event";
    let mut request = message(appid, "event");
    request.event = Some(EVENT.to_string());
    let push = match send(state, name, &request).await {
        Ok(push) => push,
        Err(report) => return report,
    };
    let expected = format!("{EVENT}from_callback");
    let failure = check_text_reply(&push, appid, &expected);
    StepReport {
        name: name.to_string(),
        passed: failure.is_none(),
        detail: failure.unwrap_or_else(|| format!("replied {expected:?}")),
        push: Some(push),
    }
}
