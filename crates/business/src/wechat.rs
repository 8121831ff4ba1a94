//! Calling WeChat for an authorized account: a token from the inner API, the
//! call, and — when WeChat says the token is invalid (40001/42001/40014) — a
//! report to the token manager and one retry with the fresh token. WeChat's
//! own answer (errcode/errmsg included) is what the caller gets.

use common::wechat::WechatClient;
use serde_json::Value;

use crate::error::BusinessError;
use crate::inner::InnerClient;

/// WeChat codes meaning "this token is not (or no longer) valid".
const TOKEN_REJECTED: [i64; 3] = [40001, 40014, 42001];

/// HTTP method of a WeChat call.
#[derive(Debug, Clone, Copy)]
pub enum Method {
    /// GET with the token in the query.
    Get,
    /// POST a JSON body.
    Post,
}

/// Calls `path` for `appid` and answers WeChat's JSON as is.
pub async fn call(
    inner: &InnerClient,
    wechat: &WechatClient,
    appid: &str,
    method: Method,
    path: &str,
    query: &[(&str, &str)],
    body: &Value,
) -> Result<Value, BusinessError> {
    let mut token = inner.authorizer_token(appid).await?;
    for attempt in 0..2 {
        let answer = send(wechat, method, path, &token, query, body).await?;
        let errcode = answer.get("errcode").and_then(Value::as_i64).unwrap_or(0);
        if attempt == 0 && TOKEN_REJECTED.contains(&errcode) {
            tracing::warn!(%appid, errcode, path, "WeChat rejected the token; reporting and retrying once");
            inner.report_rejected(appid, &token).await?;
            token = inner.authorizer_token(appid).await?;
            continue;
        }
        return Ok(answer);
    }
    Err(BusinessError::Upstream(
        "WeChat rejected the token twice".into(),
    ))
}

async fn send(
    wechat: &WechatClient,
    method: Method,
    path: &str,
    token: &str,
    query: &[(&str, &str)],
    body: &Value,
) -> Result<Value, BusinessError> {
    let mut params = vec![("access_token", token)];
    params.extend_from_slice(query);
    let result = match method {
        Method::Get => wechat.get_raw(path, &params).await,
        Method::Post => wechat.post_raw(path, &params, body).await,
    };
    result.map_err(|e| BusinessError::Upstream(e.to_string()))
}
