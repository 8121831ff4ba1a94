//! `/wxcallback/component` and `/wxcallback/biz/{appid}`.

use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;

use crate::error::CallbackError;
use crate::inbound::{Opener, PushQuery};
use crate::{push, CallbackState};

fn opener(state: &CallbackState) -> Opener<'_> {
    Opener {
        crypt: state.crypt.as_ref(),
        cloudrun_mode: state.settings.cloudrun_mode,
        max_clock_skew_secs: state.settings.max_clock_skew_secs,
        now: common::db::now().and_utc().timestamp(),
    }
}

fn query(req: &HttpRequest) -> Result<PushQuery, CallbackError> {
    web::Query::<PushQuery>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .map_err(|e| CallbackError::BadRequest(format!("bad query string: {e}")))
}

fn request_id(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Reads the body up to `callback.max_body_bytes`.
async fn read_body(
    state: &CallbackState,
    mut payload: web::Payload,
) -> Result<String, CallbackError> {
    let limit = state.settings.max_body_bytes;
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| CallbackError::BadRequest(format!("cannot read body: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(CallbackError::TooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    String::from_utf8(body.to_vec())
        .map_err(|_| CallbackError::BadRequest("body is not UTF-8".into()))
}

fn answer(body: String) -> HttpResponse {
    let content_type = match body.trim_start().chars().next() {
        Some('<') => "application/xml; charset=utf-8",
        Some('{') => "application/json; charset=utf-8",
        _ => "text/plain; charset=utf-8",
    };
    HttpResponse::Ok().content_type(content_type).body(body)
}

/// URL verification: the plain echostr, or the encrypted one decrypted.
pub async fn verify(
    state: web::Data<CallbackState>,
    req: HttpRequest,
) -> Result<HttpResponse, CallbackError> {
    let query = query(&req)?;
    let echo = opener(&state).verify_url(&query)?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(echo))
}

/// 授权事件URL.
pub async fn component(
    state: web::Data<CallbackState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, CallbackError> {
    let body = read_body(&state, payload).await?;
    let opened = opener(&state)
        .open(req.headers(), &query(&req)?, &body)
        .inspect_err(|e| state.refusals.note(e))?;
    let id = request_id(&req);
    Ok(answer(
        push::component(&state, opened, id.as_deref()).await?,
    ))
}

/// 消息与事件URL of `appid`.
pub async fn biz(
    state: web::Data<CallbackState>,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, CallbackError> {
    let appid = path.into_inner();
    if appid.is_empty()
        || appid.len() > 64
        || !appid.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(CallbackError::BadRequest(format!(
            "invalid appid in the URL: {appid:?}"
        )));
    }
    let body = read_body(&state, payload).await?;
    let opened = opener(&state)
        .open(req.headers(), &query(&req)?, &body)
        .inspect_err(|e| state.refusals.note(e))?;
    let id = request_id(&req);
    Ok(answer(
        push::biz(&state, &appid, opened, id.as_deref()).await?,
    ))
}
