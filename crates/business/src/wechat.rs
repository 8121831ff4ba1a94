//! Calling WeChat for an authorized account: a token from the inner API, the
//! call, and — when WeChat says the token is invalid — a report to the token
//! manager and one retry with the fresh token ([`common::wechat::with_token`]).
//! WeChat's own answer (errcode/errmsg included) is what the caller gets.

use common::wechat::{raw_rejects_token, with_token_checked, Method, WechatClient};
use serde_json::Value;

use crate::error::BusinessError;
use crate::inner::InnerClient;

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
    let answer = with_token_checked(
        &inner.authorizer(appid),
        raw_rejects_token,
        |token| async move {
            let mut params = vec![("access_token", token.as_str())];
            params.extend_from_slice(query);
            wechat.request_raw(method, path, &params, body).await
        },
    )
    .await?;
    answer.map_err(|e| BusinessError::Upstream(e.to_string()))
}
