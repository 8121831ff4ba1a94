//! `POST /cgi-bin/message/custom/send`: customer-service messages. Accepted
//! messages are recorded in `AccountState::sent_messages` so tests (and the
//! full-network-release check) can see what the platform sent.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::Value;

use super::access::{authorizer_appid, check_openid, json_body};
use crate::account_state::SentMessage;
use crate::calls::lock;
use crate::errors::{ok, WxError, WxResult};
use crate::state::SimState;

/// Most bytes a text message may carry.
pub const MAX_TEXT_BYTES: usize = 2048;

/// Message types `custom/send` knows.
const MSG_TYPES: &[&str] = &[
    "text",
    "image",
    "voice",
    "video",
    "music",
    "news",
    "mpnews",
    "mpnewsarticle",
    "msgmenu",
    "wxcard",
    "miniprogrampage",
];

/// Registers the message route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/cgi-bin/message/custom/send", web::post().to(custom_send));
}

async fn custom_send(
    state: web::Data<SimState>,
    req: HttpRequest,
    body: web::Bytes,
) -> WxResult<HttpResponse> {
    let appid = authorizer_appid(&state, &req)?;
    let message: Value = json_body(&body)?;
    let Value::Object(fields) = &message else {
        return Err(WxError::bad_body("the body must be a JSON object"));
    };
    let touser = match fields.get("touser") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => return Err(WxError::new(40003, "invalid openid: touser is required")),
    };
    check_openid(&touser)?;
    let msgtype = match fields.get("msgtype") {
        Some(Value::String(t)) if MSG_TYPES.contains(&t.as_str()) => t.clone(),
        Some(other) => return Err(WxError::new(40008, format!("invalid message type {other}"))),
        None => {
            return Err(WxError::new(
                40008,
                "invalid message type: msgtype is required",
            ))
        }
    };
    let content = check_payload(&msgtype, fields.get(&msgtype))?;
    lock(&state.accounts).sent_messages.push(SentMessage {
        appid,
        touser,
        msgtype,
        content,
        body: message.clone(),
        at: state.now(),
    });
    Ok(ok())
}

/// Checks the object named after `msgtype`; answers the text content for text.
fn check_payload(msgtype: &str, payload: Option<&Value>) -> WxResult<String> {
    let field = |name: &str| {
        payload
            .and_then(|p| p.get(name))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    match msgtype {
        "text" => {
            let content = field("content")
                .ok_or_else(|| WxError::new(44004, "empty content: text.content is required"))?;
            if content.len() > MAX_TEXT_BYTES {
                return Err(WxError::new(
                    45002,
                    format!(
                        "content size out of limit: {} bytes, at most {MAX_TEXT_BYTES}",
                        content.len()
                    ),
                ));
            }
            Ok(content.to_string())
        }
        "image" | "voice" | "video" | "mpnews" => {
            field("media_id").ok_or_else(|| {
                WxError::new(
                    40007,
                    format!("invalid media_id: {msgtype}.media_id is required"),
                )
            })?;
            Ok(String::new())
        }
        "music" => {
            field("thumb_media_id").ok_or_else(|| {
                WxError::new(40007, "invalid media_id: music.thumb_media_id is required")
            })?;
            Ok(String::new())
        }
        "news" => {
            let articles = payload
                .and_then(|p| p.get("articles"))
                .and_then(Value::as_array)
                .filter(|a| !a.is_empty())
                .ok_or_else(|| WxError::new(44003, "empty news data: news.articles is required"))?;
            if articles.len() > 1 {
                return Err(WxError::new(
                    45008,
                    "article size out of limit: news carries one article",
                ));
            }
            Ok(String::new())
        }
        _ => {
            if payload.is_some_and(Value::is_object) {
                Ok(String::new())
            } else {
                Err(WxError::bad_body(format!(
                    "msgtype {msgtype} needs a {msgtype:?} object"
                )))
            }
        }
    }
}
