//! WeChat calls made with a platform or authorizer token. A token WeChat
//! rejects is reported to the token core (invalidated only if still
//! current) and the call is made once more with the fresh one
//! ([`common::wechat::with_token`]).
//! Failures map as [`crate::error`] says: WeChat's refusal (`errcode` ≠ 0)
//! is [`AdminError::Wechat`], an unreachable or unreadable WeChat is
//! [`AdminError::Upstream`].

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use common::tokens::TokenKey;
use common::wechat::with_token::answer_rejects_token;
use common::wechat::{with_token, with_token_checked, Method, WechatError};
use serde_json::Value;

use crate::error::AdminError;
use crate::state::AppState;

fn token_param(key: &TokenKey) -> &'static str {
    match key {
        TokenKey::Component => "component_access_token",
        TokenKey::Authorizer(_) => "access_token",
    }
}

/// Calls `path` with the token of `key`, retrying once after a rejected token.
pub async fn call(
    state: &AppState,
    key: &TokenKey,
    method: Method,
    path: &str,
    query: &[(&str, &str)],
    body: &Value,
) -> Result<Value, AdminError> {
    let tokens = &state.tokens;
    let param = token_param(key);
    Ok(with_token(&tokens.source(key.clone()), |token| async move {
        let mut params: Vec<(&str, &str)> = vec![(param, token.as_str())];
        params.extend_from_slice(query);
        tokens
            .client()
            .request_json(method, path, &params, body)
            .await
    })
    .await??)
}

/// Calls with an authorizer's token.
pub async fn authorizer_call(
    state: &AppState,
    appid: &str,
    method: Method,
    path: &str,
    query: &[(&str, &str)],
    body: &Value,
) -> Result<Value, AdminError> {
    call(
        state,
        &TokenKey::Authorizer(appid.to_string()),
        method,
        path,
        query,
        body,
    )
    .await
}

/// A transport failure without the URL (its query holds the access token).
fn transport(path: &str, source: reqwest::Error) -> AdminError {
    WechatError::Transport {
        path: path.to_string(),
        source,
    }
    .into()
}

/// A non-200 answer, worded as the client's own calls word it.
fn http_status(path: &str, status: reqwest::StatusCode) -> AdminError {
    WechatError::Status {
        path: path.to_string(),
        status: status.as_u16(),
    }
    .into()
}

/// WeChat's refusal in a JSON answer that should have been something else
/// (an image, a media id); an answer that is no refusal either is unreadable.
fn error_in(path: &str, bytes: &[u8]) -> AdminError {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v) if v.get("errcode").and_then(Value::as_i64).unwrap_or(0) != 0 => AdminError::Wechat {
            path: path.to_string(),
            errcode: v.get("errcode").and_then(Value::as_i64).unwrap_or_default(),
            errmsg: v
                .get("errmsg")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        },
        _ => AdminError::Upstream(format!("unexpected answer from WeChat for {path}")),
    }
}

/// Whether an answer that should have been something else is WeChat
/// rejecting the token.
fn rejected(bytes: &[u8]) -> bool {
    serde_json::from_slice::<Value>(bytes).is_ok_and(|v| answer_rejects_token(&v))
}

/// What WeChat sent back, read whole.
struct Fetched {
    status: reqwest::StatusCode,
    is_image: bool,
    bytes: Vec<u8>,
}

/// Fetches an image (QR codes) with an authorizer's token; answers it as
/// base64, as wxcomponent's console expects.
pub async fn authorizer_image(
    state: &AppState,
    appid: &str,
    method: Method,
    path: &str,
    body: &Value,
) -> Result<String, AdminError> {
    let url = &format!("{}{path}", state.tokens.client().base_url());
    let source = state.tokens.source(TokenKey::Authorizer(appid.to_string()));
    let is_refusal = |answer: &Result<Fetched, AdminError>| matches!(answer, Ok(f) if !(f.status.is_success() && f.is_image) && rejected(&f.bytes));
    let fetched = with_token_checked(&source, is_refusal, |token| async move {
        let request = match method {
            Method::Get => state.http.get(url),
            Method::Post => state.http.post(url).json(body),
        };
        let response = request
            .query(&[("access_token", token.as_str())])
            .send()
            .await
            .map_err(|e| transport(path, e))?;
        let is_image = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("image/"));
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| transport(path, e))?;
        Ok(Fetched {
            status,
            is_image,
            bytes: bytes.to_vec(),
        })
    })
    .await??;
    if fetched.status.is_success() && fetched.is_image {
        return Ok(STANDARD.encode(&fetched.bytes));
    }
    if !fetched.status.is_success() {
        return Err(http_status(path, fetched.status));
    }
    Err(error_in(path, &fetched.bytes))
}

/// Timeout of `/cgi-bin/media/upload`, wxcomponent's: a 10 MB video takes
/// far longer to reach WeChat than the 5 s every other call gets
/// (`tokens.wechat_timeout_ms`, the longer of the two applies).
pub const MEDIA_UPLOAD_TIMEOUT: Duration = Duration::from_secs(20);

/// A file to upload to WeChat as one multipart field.
#[derive(Debug, Clone)]
pub struct FilePart {
    /// The form field WeChat reads (`media`, `file`).
    pub field: &'static str,
    /// The file name sent with it.
    pub file_name: String,
    /// Its content type.
    pub content_type: String,
    /// Its bytes.
    pub data: Vec<u8>,
}

/// Uploads a temporary media file (`/cgi-bin/media/upload`) for an authorizer.
pub async fn upload_media(
    state: &AppState,
    appid: &str,
    media_type: &str,
    file_name: &str,
    content_type: &str,
    data: Vec<u8>,
) -> Result<Value, AdminError> {
    let part = FilePart {
        field: "media",
        file_name: file_name.to_string(),
        content_type: content_type.to_string(),
        data,
    };
    upload_file(
        state,
        appid,
        "/cgi-bin/media/upload",
        &[("type", media_type)],
        part,
    )
    .await
}

/// Uploads `part` as a multipart form to `path` with an authorizer's token
/// (retried once after a rejected token), with [`MEDIA_UPLOAD_TIMEOUT`];
/// answers WeChat's JSON, its refusal as [`AdminError::Wechat`].
pub async fn upload_file(
    state: &AppState,
    appid: &str,
    path: &str,
    query: &[(&str, &str)],
    part: FilePart,
) -> Result<Value, AdminError> {
    let url = &format!("{}{path}", state.tokens.client().base_url());
    let timeout = MEDIA_UPLOAD_TIMEOUT.max(Duration::from_millis(
        state.settings.tokens.wechat_timeout_ms,
    ));
    let source = state.tokens.source(TokenKey::Authorizer(appid.to_string()));
    let is_refusal =
        |answer: &Result<Fetched, AdminError>| matches!(answer, Ok(f) if rejected(&f.bytes));
    let part = &part;
    let fetched = with_token_checked(&source, is_refusal, |token| async move {
        let file = reqwest::multipart::Part::bytes(part.data.clone())
            .file_name(part.file_name.clone())
            .mime_str(&part.content_type)
            .map_err(|e| AdminError::invalid(format!("{}: content type: {e}", part.field)))?;
        let form = reqwest::multipart::Form::new().part(part.field, file);
        let mut params = vec![("access_token", token.as_str())];
        params.extend_from_slice(query);
        let response = state
            .http
            .post(url)
            .query(&params)
            .timeout(timeout)
            .multipart(form)
            .send()
            .await
            .map_err(|e| transport(path, e))?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| transport(path, e))?;
        Ok(Fetched {
            status,
            is_image: false,
            bytes: bytes.to_vec(),
        })
    })
    .await??;
    if !fetched.status.is_success() {
        return Err(http_status(path, fetched.status));
    }
    let value: Value =
        serde_json::from_slice(&fetched.bytes).map_err(|_| error_in(path, &fetched.bytes))?;
    if value.get("errcode").and_then(Value::as_i64).unwrap_or(0) != 0 {
        return Err(error_in(path, &fetched.bytes));
    }
    Ok(value)
}
