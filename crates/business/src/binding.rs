//! Binding a merchant to its mini program or official account: the page
//! WeChat redirects to after an authorization receives `auth_code`; it sends
//! the code with the merchant's business id here, and the admin's inner API
//! exchanges the code and keeps the binding (`/inner/bindings`). The state
//! of a binding (`bound`, or `unauthorized` after the account revoked the
//! platform) is read back by business id.
//!
//! In your own service take the business id from the merchant's session,
//! not from the request, so one merchant cannot bind another's id.

use serde_json::Value;

use crate::error::BusinessError;
use crate::inner::InnerError;
use crate::AppState;

/// Longest business id the admin stores.
const MAX_BIZ_ID_CHARS: usize = 64;

fn check_biz_id(biz_id: &str) -> Result<(), BusinessError> {
    if biz_id.is_empty() {
        return Err(BusinessError::BadRequest(
            "bizId is required (the merchant's business id)".into(),
        ));
    }
    if biz_id.chars().count() > MAX_BIZ_ID_CHARS {
        return Err(BusinessError::BadRequest(format!(
            "bizId: at most {MAX_BIZ_ID_CHARS} characters"
        )));
    }
    Ok(())
}

/// The admin refusing the binding (bad input, or WeChat refusing the code)
/// is the caller's problem; anything else stays the token manager's.
fn refusal(e: InnerError) -> BusinessError {
    match e {
        InnerError::Refused { code, message } if code == 1001 || code == 1002 => {
            BusinessError::BadRequest(format!("绑定失败 ({code}): {message}"))
        }
        other => other.into(),
    }
}

/// Binds `biz_id` to the account that authorized with `auth_code`; answers
/// the binding (`{bizId, appid, authCode, state, createTime, updateTime}`).
pub async fn bind(state: &AppState, auth_code: &str, biz_id: &str) -> Result<Value, BusinessError> {
    if auth_code.is_empty() {
        return Err(BusinessError::BadRequest(
            "authCode is required (auth_code of WeChat's redirect)".into(),
        ));
    }
    check_biz_id(biz_id)?;
    state.inner.bind(auth_code, biz_id).await.map_err(refusal)
}

/// The binding of `biz_id`, null when it is not bound.
pub async fn binding(state: &AppState, biz_id: &str) -> Result<Value, BusinessError> {
    check_biz_id(biz_id)?;
    state.inner.binding(biz_id).await.map_err(refusal)
}
