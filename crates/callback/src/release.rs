//! The full-network-release (全网发布) check. WeChat's test accounts send:
//! text `TESTCOMPONENT_MSG_TYPE_TEXT` → passive reply `..._callback`; text
//! `QUERY_AUTH_CODE:<code>` → an empty answer at once, then `api_query_auth`
//! and a customer-service message `<code>_from_api`; an event → `<Event>from_callback`.

use std::time::Duration;

use common::message::{
    Message, MessageKind, Reply, RELEASE_QUERY_AUTH_CODE as QUERY_AUTH_CODE,
    RELEASE_TEST_TEXT as TEST_TEXT,
};
use common::tokens::{TokenKey, TokenManager};
use common::wechat::with_token;
use serde_json::json;

/// How to answer a release-check message.
#[derive(Debug, PartialEq, Eq)]
pub enum ReleaseAnswer {
    /// Reply with this at once.
    Reply(Reply),
    /// Answer empty, then reply through the API with this code.
    ThroughApi {
        /// The authorization code to exchange.
        auth_code: String,
    },
}

/// The answer the check expects to `msg`, if it is one of the check's messages.
pub fn answer(msg: &Message) -> Option<ReleaseAnswer> {
    match &msg.kind {
        MessageKind::Text { content } if content == TEST_TEXT => {
            Some(ReleaseAnswer::Reply(Reply::Text {
                content: format!("{TEST_TEXT}_callback"),
            }))
        }
        MessageKind::Text { content } => {
            content
                .strip_prefix(QUERY_AUTH_CODE)
                .map(|code| ReleaseAnswer::ThroughApi {
                    auth_code: code.trim().to_string(),
                })
        }
        MessageKind::Event { event, .. } => Some(ReleaseAnswer::Reply(Reply::Text {
            content: format!("{event}from_callback"),
        })),
        _ => None,
    }
}

/// Exchanges the code and sends `<code>_from_api` to `touser`, retrying briefly.
pub async fn reply_through_api(tokens: TokenManager, auth_code: String, touser: String) {
    for attempt in 1..=3u32 {
        match try_reply(&tokens, &auth_code, &touser).await {
            Ok(()) => {
                tracing::info!(%touser, "release check: customer-service reply sent");
                return;
            }
            Err(e) => {
                tracing::warn!(attempt, error = %e, "release check: reply through the API failed");
                tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
            }
        }
    }
}

async fn try_reply(
    tokens: &TokenManager,
    auth_code: &str,
    touser: &str,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let info = with_token(&tokens.source(TokenKey::Component), |token| async move {
        tokens
            .client()
            .query_auth(&token, tokens.component_appid(), auth_code)
            .await
    })
    .await??;
    tokens
        .client()
        .send_custom_message(
            &info.authorizer_access_token,
            &json!({
                "touser": touser,
                "msgtype": "text",
                "text": {"content": format!("{auth_code}_from_api")},
            }),
        )
        .await?;
    Ok(())
}
