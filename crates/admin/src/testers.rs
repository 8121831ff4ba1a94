//! Experience members (体验者) of a managed mini program: WeChat's
//! `/wxa/memberauth` (`get_experiencer`), `/wxa/bind_tester` and
//! `/wxa/unbind_tester` with its authorizer token. WeChat names members by
//! an opaque `userstr`; it answers the WeChat id only when binding, so the
//! console keeps what it needs. WeChat's refusals (85001 no such WeChat id,
//! 85002 the mini program's member limit, 85003 the user's, 85004 already a
//! member) come back as 1002 with its errcode and errmsg.

use common::wechat::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::devweapp::decode;
use crate::error::AdminError;
use crate::state::AppState;
use crate::wxapi;

/// An experience member.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "snake_case"))]
pub struct Member {
    /// WeChat's string for the member.
    #[serde(default)]
    pub userstr: String,
}

/// `GET /admin/testers`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Members {
    /// Every member, in WeChat's order.
    #[serde(default)]
    pub members: Vec<Member>,
}

/// The members of `appid`.
pub async fn list(state: &AppState, appid: &str) -> Result<Members, AdminError> {
    let path = "/wxa/memberauth";
    let value = wxapi::authorizer_call(
        state,
        appid,
        Method::Post,
        path,
        &[],
        &json!({"action": "get_experiencer"}),
    )
    .await?;
    decode(path, value)
}

/// A WeChat id as typed: trimmed, required, no spaces inside.
fn wechat_id(field: &str, value: &str) -> Result<String, AdminError> {
    let id = value.trim();
    if id.is_empty() {
        return Err(AdminError::invalid(format!("{field}: required")));
    }
    if id.len() > 64 || id.chars().any(char::is_whitespace) {
        return Err(AdminError::invalid(format!(
            "{field}: {id:?} is not a WeChat id"
        )));
    }
    Ok(id.to_string())
}

/// Binds the WeChat user `wechatid` as a member of `appid`; answers its
/// `userstr`.
pub async fn bind(state: &AppState, appid: &str, wechatid: &str) -> Result<String, AdminError> {
    let wechatid = wechat_id("wechatid", wechatid)?;
    let path = "/wxa/bind_tester";
    let value = wxapi::authorizer_call(
        state,
        appid,
        Method::Post,
        path,
        &[],
        &json!({ "wechatid": wechatid }),
    )
    .await?;
    let member: Member = decode(path, value)?;
    Ok(member.userstr)
}

/// Who to unbind: exactly one of the two, as WeChat takes either.
#[derive(Debug, Clone)]
pub enum MemberRef {
    /// By WeChat id.
    WechatId(String),
    /// By WeChat's `userstr` (as `list` answers it).
    Userstr(String),
}

impl MemberRef {
    /// From the console's optional `wechatid` and `userstr`: exactly one
    /// must be given (1001 otherwise).
    pub fn from_fields(wechatid: Option<&str>, userstr: Option<&str>) -> Result<Self, AdminError> {
        match (given(wechatid), given(userstr)) {
            (Some(id), None) => Ok(Self::WechatId(wechat_id("wechatid", id)?)),
            (None, Some(s)) => Ok(Self::Userstr(wechat_id("userstr", s)?)),
            _ => Err(AdminError::invalid(
                "wechatid, userstr: give exactly one of the two",
            )),
        }
    }
}

/// A value typed in, trimmed; empty counts as absent.
fn given(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// Unbinds a member of `appid`.
pub async fn unbind(state: &AppState, appid: &str, member: &MemberRef) -> Result<(), AdminError> {
    let body = match member {
        MemberRef::WechatId(id) => json!({ "wechatid": id }),
        MemberRef::Userstr(s) => json!({ "userstr": s }),
    };
    wxapi::authorizer_call(state, appid, Method::Post, "/wxa/unbind_tester", &[], &body).await?;
    Ok(())
}
