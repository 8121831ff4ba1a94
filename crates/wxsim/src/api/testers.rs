//! Experience members (体验者) of a managed mini program, with its
//! authorizer_access_token, as WeChat's 第三方平台 → 小程序管理 → 成员管理
//! documents them:
//! - `POST /wxa/bind_tester {wechatid}` → `userstr`; 85001 no such WeChat id
//!   (or one that cannot be searched), 85002 the mini program has
//!   `tester_limit` members, 85003 the user is a member of
//!   `tester_weapp_limit` mini programs, 85004 already a member
//!   (bindTester.html; the two limits are wxsim settings: WeChat documents
//!   the codes, not the numbers).
//! - `POST /wxa/unbind_tester {wechatid | userstr}` (either one). A member
//!   that is not bound gets -1 "system error", what WeChat answers for a
//!   wrong wechatid (its doc lists no other code).
//! - `POST /wxa/memberauth {action: "get_experiencer"}` → `members[{userstr}]`.
//!
//! Which WeChat ids exist is up to the test: `POST /__sim/wechat-users
//! {wechatid, searchable?}` registers one (searchable unless `false`).

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::access::json_body;
use super::wxa::mini_program;
use crate::calls::lock;
use crate::errors::{ok, ok_with, WxError, WxResult};
use crate::privacy_state::{Tester, WechatUser};
use crate::state::SimState;

/// Registers the member routes and `/__sim/wechat-users`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/wxa/bind_tester", web::post().to(bind))
        .route("/wxa/unbind_tester", web::post().to(unbind))
        .route("/wxa/memberauth", web::post().to(members))
        .route("/__sim/wechat-users", web::post().to(register_user));
}

#[derive(Deserialize)]
struct BindBody {
    #[serde(default)]
    wechatid: String,
}

/// 64 hex digits, the shape of WeChat's `userstr`.
fn new_userstr() -> String {
    (0..4)
        .map(|_| format!("{:016x}", rand::random::<u64>()))
        .collect()
}

async fn bind(
    state: web::Data<SimState>,
    req: HttpRequest,
    body: web::Bytes,
) -> WxResult<HttpResponse> {
    let appid = mini_program(&state, &req)?;
    let BindBody { wechatid } = json_body(&body)?;
    let wechatid = wechatid.trim().to_string();
    let settings = &state.settings;
    let now = state.now();
    let mut accounts = lock(&state.accounts);
    if !accounts
        .wechat_users
        .get(&wechatid)
        .is_some_and(|user| user.searchable)
    {
        return Err(WxError::new(
            85001,
            "user not exist or user cannot be searched (微信号不存在或微信号设置为不可搜索)",
        ));
    }
    let testers = &accounts.account(&appid).testers;
    if testers.iter().any(|t| t.wechatid == wechatid) {
        return Err(WxError::new(85004, "user already bind (微信号已经绑定)"));
    }
    if testers.len() >= settings.tester_limit {
        return Err(WxError::new(
            85002,
            format!(
                "number of tester reach bind limit: {} (小程序绑定的体验者数量达到上限)",
                settings.tester_limit
            ),
        ));
    }
    let memberships = accounts
        .accounts
        .values()
        .filter(|account| account.testers.iter().any(|t| t.wechatid == wechatid))
        .count();
    if memberships >= settings.tester_weapp_limit {
        return Err(WxError::new(
            85003,
            format!(
                "user already bind too many weapps: {} (微信号绑定的小程序体验者达到上限)",
                settings.tester_weapp_limit
            ),
        ));
    }
    let userstr = new_userstr();
    accounts.account(&appid).testers.push(Tester {
        wechatid,
        userstr: userstr.clone(),
        bound_at: now,
    });
    Ok(ok_with(json!({ "userstr": userstr })))
}

#[derive(Deserialize)]
struct UnbindBody {
    #[serde(default)]
    wechatid: String,
    #[serde(default)]
    userstr: String,
}

async fn unbind(
    state: web::Data<SimState>,
    req: HttpRequest,
    body: web::Bytes,
) -> WxResult<HttpResponse> {
    let appid = mini_program(&state, &req)?;
    let UnbindBody { wechatid, userstr } = json_body(&body)?;
    let (wechatid, userstr) = (wechatid.trim(), userstr.trim());
    if wechatid.is_empty() && userstr.is_empty() {
        return Err(WxError::bad_body("wechatid or userstr is required"));
    }
    let mut accounts = lock(&state.accounts);
    let testers = &mut accounts.account(&appid).testers;
    let position = testers
        .iter()
        .position(|t| {
            (!wechatid.is_empty() && t.wechatid == wechatid)
                || (!userstr.is_empty() && t.userstr == userstr)
        })
        .ok_or_else(WxError::system)?;
    testers.remove(position);
    Ok(ok())
}

#[derive(Deserialize)]
struct MembersBody {
    #[serde(default)]
    action: String,
}

async fn members(
    state: web::Data<SimState>,
    req: HttpRequest,
    body: web::Bytes,
) -> WxResult<HttpResponse> {
    let appid = mini_program(&state, &req)?;
    let MembersBody { action } = json_body(&body)?;
    if action != "get_experiencer" {
        return Err(WxError::bad_body(format!(
            "action {action:?}: only get_experiencer is supported"
        )));
    }
    let members: Vec<_> = lock(&state.accounts)
        .account(&appid)
        .testers
        .iter()
        .map(|t| json!({ "userstr": t.userstr }))
        .collect();
    Ok(ok_with(json!({ "members": members })))
}

fn searchable_by_default() -> bool {
    true
}

#[derive(Deserialize)]
struct UserBody {
    #[serde(default)]
    wechatid: String,
    #[serde(default = "searchable_by_default")]
    searchable: bool,
}

/// `POST /__sim/wechat-users {wechatid, searchable?}`: a WeChat user exists
/// (and can be found by its id unless `searchable` is false), so
/// `bind_tester` can bind it.
async fn register_user(state: web::Data<SimState>, body: web::Bytes) -> WxResult<HttpResponse> {
    let UserBody {
        wechatid,
        searchable,
    } = json_body(&body)?;
    let wechatid = wechatid.trim().to_string();
    if wechatid.is_empty() {
        return Err(WxError::bad_body("wechatid is required"));
    }
    lock(&state.accounts)
        .wechat_users
        .insert(wechatid.clone(), WechatUser { searchable });
    Ok(ok_with(
        json!({ "wechatid": wechatid, "searchable": searchable }),
    ))
}
