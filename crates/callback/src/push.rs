//! What happens to a verified push: stored with its de-duplication key and its
//! effects before anything else ([`crate::intake`]), forwarded by rule or
//! answered for the release check, and the answer remembered for WeChat's
//! retries (with the key itself when it is known at once).

use std::time::Duration;

use common::db::audits::Decision;
use common::db::now;
use common::message::{
    AuditResult, ComponentEvent, ComponentEventKind, Message, PassiveReply, RawFields,
};
use common::tokens::TokenKey;
use sha1::{Digest, Sha1};

use crate::error::CallbackError;
use crate::forward::Forward;
use crate::inbound::{seal, Opened};
use crate::intake::{Push, PushKind};
use crate::records::{self, BizRecord, Claim, ComponentRecord};
use crate::release::{self, ReleaseAnswer};
use crate::{rules, CallbackState};

use crate::intake::SUCCESS;

/// Handles a push to the component URL (授权事件URL); answers the wire body.
pub async fn component(
    state: &CallbackState,
    opened: Opened,
    request_id: Option<&str>,
) -> Result<String, CallbackError> {
    let raw = opened.format.parse(&opened.plaintext)?;
    if is_container_probe(&opened, &raw) {
        return Ok(SUCCESS.into());
    }
    let event = ComponentEvent::from_raw(raw.clone())?;
    let key = dedup_key("component", event.create_time, &[&opened.plaintext]);
    let stored = state
        .intake
        .store(Push {
            key: key.clone(),
            kind: PushKind::Component {
                record: ComponentRecord {
                    create_time: event.create_time,
                    info_type: event.info_type().to_string(),
                    body: opened.plaintext.clone(),
                },
                effect: event.kind.clone(),
            },
        })
        .await?;
    if let Claim::Duplicate(answer) = stored.claim {
        tracing::info!(
            info_type = event.info_type(),
            "retry of a stored component push"
        );
        return Ok(answer_of_duplicate(state, &key, answer).await);
    }
    match &event.kind {
        ComponentEventKind::Authorized(change) | ComponentEventKind::UpdateAuthorized(change) => {
            crate::authorization::spawn(state.tokens.clone(), change.clone(), event.create_time);
        }
        ComponentEventKind::Unauthorized { authorizer_appid } => {
            state
                .tokens
                .forget(&TokenKey::Authorizer(authorizer_appid.clone()));
        }
        ComponentEventKind::VerifyTicket { .. } => {
            tracing::info!("component_verify_ticket stored");
        }
        ComponentEventKind::Other { info_type } => {
            tracing::info!(%info_type, "component push recorded");
        }
    }
    if let Some(rule) = rules::for_component(&stored.rules, event.info_type()) {
        let forward = Forward {
            rule,
            appid: "",
            plaintext: &opened.plaintext,
            format: opened.format,
            raw: &raw,
            request_id,
        };
        forward.send(&state.http, state.forward_timeout()).await;
    }
    Ok(SUCCESS.into())
}

/// Handles a push to the biz URL (消息与事件URL) of `appid`.
pub async fn biz(
    state: &CallbackState,
    appid: &str,
    opened: Opened,
    request_id: Option<&str>,
) -> Result<String, CallbackError> {
    let raw = opened.format.parse(&opened.plaintext)?;
    if is_container_probe(&opened, &raw) {
        return Ok(SUCCESS.into());
    }
    let msg = Message::from_raw(raw.clone())?;
    let key = dedup_key("biz", msg.create_time, &[appid, &msg.dedup_key()]);
    let release_check = is_release_appid(state, appid) && release::answer(&msg).is_some();
    let stored = state
        .intake
        .store(Push {
            key: key.clone(),
            kind: PushKind::Biz {
                record: BizRecord {
                    create_time: msg.create_time,
                    to_user_name: msg.to_user_name.clone(),
                    appid: appid.to_string(),
                    msg_type: msg.msg_type().to_string(),
                    event: msg.event().unwrap_or_default().to_string(),
                    body: opened.plaintext.clone(),
                },
                audit: audit_decision(appid, &msg),
                release_check,
            },
        })
        .await?;
    if let Claim::Duplicate(answer) = stored.claim {
        tracing::info!(%appid, msg_type = msg.msg_type(), "retry of a stored push");
        return Ok(answer_of_duplicate(state, &key, answer).await);
    }
    if stored.answered {
        return Ok(SUCCESS.into());
    }
    let reply = reply_to(state, appid, &opened, &raw, &msg, &stored.rules, request_id).await?;
    let wire = seal(state.crypt.as_ref(), &opened, &reply);
    remember(state, &key, &wire).await;
    Ok(wire)
}

/// The decision an audit-result push carries; one WeChat sent malformed is
/// still stored and forwarded, only the mini program's state stays as it was.
fn audit_decision(appid: &str, msg: &Message) -> Option<Decision> {
    match AuditResult::from_message(msg) {
        Ok(result) => result.map(|result| Decision {
            status: result.outcome.status(),
            reason: result.reason,
            screen_shot: result.screen_shot,
        }),
        Err(e) => {
            tracing::warn!(%appid, error = %e, "audit result unreadable; audit state unchanged");
            None
        }
    }
}

/// The plaintext reply to a message: the release check's, a forward target's, or `success`.
async fn reply_to(
    state: &CallbackState,
    appid: &str,
    opened: &Opened,
    raw: &RawFields,
    msg: &Message,
    rules: &[rules::Rule],
    request_id: Option<&str>,
) -> Result<String, CallbackError> {
    if is_release_appid(state, appid) {
        if let Some(answer) = release::answer(msg) {
            return Ok(match answer {
                ReleaseAnswer::Reply(reply) => {
                    PassiveReply::answering(msg, reply, now().and_utc().timestamp())
                        .to(opened.format)
                }
                ReleaseAnswer::ThroughApi { auth_code } => {
                    tokio::spawn(release::reply_through_api(
                        state.tokens.clone(),
                        auth_code,
                        msg.from_user_name.clone(),
                    ));
                    String::new()
                }
            });
        }
    }
    let Some(rule) = rules::for_biz(rules, msg.msg_type(), msg.event().unwrap_or_default()) else {
        return Ok(SUCCESS.into());
    };
    let forward = Forward {
        rule,
        appid,
        plaintext: &opened.plaintext,
        format: opened.format,
        raw,
        request_id,
    };
    Ok(
        match forward.send(&state.http, state.forward_timeout()).await {
            Some(reply) => reply.to(opened.format),
            None => SUCCESS.into(),
        },
    )
}

fn is_release_appid(state: &CallbackState, appid: &str) -> bool {
    state.release_appids.iter().any(|a| a == appid)
}

fn is_container_probe(opened: &Opened, raw: &RawFields) -> bool {
    opened.cloudrun && raw.get_str("action").as_deref() == Some("CheckContainerPath")
}

/// A bounded, backend-safe key for the dedup table. The push's `CreateTime`
/// (the same in every retry) leads, so keys arrive almost in order: each
/// batch's inserts land on the last pages of the key's index instead of one
/// random page per push (a hash alone dirtied a page per row on SQLite and
/// split pages of InnoDB's clustered index).
fn dedup_key(kind: &str, create_time: i64, parts: &[&str]) -> String {
    let mut hasher = Sha1::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0u8]);
    }
    format!(
        "{kind}:{create_time:010}:{}",
        hex::encode(hasher.finalize())
    )
}

/// A retry gets the first answer; while the first delivery is still being
/// handled, wait for it a little, then answer `success` (the push is stored).
async fn answer_of_duplicate(state: &CallbackState, key: &str, known: Option<String>) -> String {
    if let Some(answer) = known {
        return answer;
    }
    let deadline =
        tokio::time::Instant::now() + state.forward_timeout() + Duration::from_millis(500);
    while tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let key = key.to_string();
        match state
            .db
            .run(move |conn| records::load_response(conn, &key))
            .await
        {
            Ok(Some(Some(answer))) => return answer,
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the first answer of a retried push");
                break;
            }
        }
    }
    SUCCESS.into()
}

async fn remember(state: &CallbackState, key: &str, answer: &str) {
    let key = key.to_string();
    let answer = answer.to_string();
    if let Err(e) = state
        .db
        .run(move |conn| records::save_response(conn, &key, &answer))
        .await
    {
        tracing::warn!(error = %e, "answer not remembered; a retry would get `success`");
    }
}
