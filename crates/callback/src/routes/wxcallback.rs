//! `/wxcallback/component` and `/wxcallback/biz/{appid}`.

use std::convert::Infallible;
use std::task::Poll;

use actix_web::body::{MessageBody, SizedStream};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use futures_util::{future, stream, StreamExt};

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

/// Reads the body up to `callback.max_body_bytes`; otherwise the answer
/// refusing it. A declared length over the limit is refused before a byte
/// of the body is read.
async fn read_body(
    state: &CallbackState,
    req: &HttpRequest,
    mut payload: web::Payload,
) -> Result<String, HttpResponse> {
    let limit = state.settings.max_body_bytes;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| usize::try_from(n).map_or(true, |n| n > limit)) {
        return Err(refuse_unread(CallbackError::TooLarge(limit), payload));
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            CallbackError::BadRequest(format!("cannot read body: {e}")).error_response()
        })?;
        if body.len() + chunk.len() > limit {
            return Err(refuse_unread(CallbackError::TooLarge(limit), payload));
        }
        body.extend_from_slice(&chunk);
    }
    String::from_utf8(body.to_vec())
        .map_err(|_| CallbackError::BadRequest("body is not UTF-8".into()).error_response())
}

/// The answer to a body refused before its end. The rest of the body is
/// held until the answer has been sent: actix then closes the connection,
/// where a body it finds dropped would be drained for keep-alive, however
/// long a chunked one goes on.
fn refuse_unread(error: CallbackError, unread: web::Payload) -> HttpResponse {
    let (response, body) = error.error_response().into_parts();
    let bytes = match body.try_into_bytes() {
        Ok(bytes) => bytes,
        Err(body) => return response.set_body(body),
    };
    let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    let held = stream::poll_fn(move |_| {
        let _rest = &unread;
        Poll::Ready(None)
    });
    let once = stream::once(future::ready(Ok::<_, Infallible>(bytes)));
    response
        .set_body(SizedStream::new(size, once.chain(held)))
        .map_into_boxed_body()
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
    let body = match read_body(&state, &req, payload).await {
        Ok(body) => body,
        Err(refusal) => return Ok(refusal),
    };
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
    // The body first, so that no refusal leaves an unread body behind.
    let body = match read_body(&state, &req, payload).await {
        Ok(body) => body,
        Err(refusal) => return Ok(refusal),
    };
    let appid = path.into_inner();
    if appid.is_empty()
        || appid.len() > 64
        || !appid.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(CallbackError::BadRequest(format!(
            "invalid appid in the URL: {appid:?}"
        )));
    }
    let opened = opener(&state)
        .open(req.headers(), &query(&req)?, &body)
        .inspect_err(|e| state.refusals.note(e))?;
    let id = request_id(&req);
    Ok(answer(
        push::biz(&state, &appid, opened, id.as_deref()).await?,
    ))
}
