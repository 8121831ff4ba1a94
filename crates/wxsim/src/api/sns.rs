//! Mini-program login: `GET /sns/jscode2session` for the platform's own mini
//! program (appid + AppSecret) and `GET /sns/component/jscode2session` for an
//! authorized mini program (component_access_token). Codes come from the
//! control endpoint `POST /__sim/jscode`, standing in for `wx.login()`: each
//! is usable once, for 5 simulated minutes.

use std::collections::HashMap;

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::access::{
    check_component_token, check_openid, is_mini_program, json_body, param, query,
};
use crate::account_state::{JsCode, JS_CODE_TTL_SECS};
use crate::calls::lock;
use crate::errors::{WxError, WxResult};
use crate::state::SimState;
use crate::tokens::random_string;

/// Registers the login routes and `/__sim/jscode`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/sns/jscode2session", web::get().to(jscode2session))
        .route(
            "/sns/component/jscode2session",
            web::get().to(component_jscode2session),
        )
        .route("/__sim/jscode", web::post().to(mint_code));
}

async fn jscode2session(state: web::Data<SimState>, req: HttpRequest) -> WxResult<HttpResponse> {
    let query = query(&req);
    let appid = param(&query, "appid").ok_or_else(|| WxError::new(41002, "appid missing"))?;
    let secret = param(&query, "secret").ok_or_else(|| WxError::new(41004, "appsecret missing"))?;
    if appid != state.settings.mini_program_appid {
        return Err(WxError::invalid_appid());
    }
    if secret != state.settings.mini_program_secret {
        return Err(WxError::invalid_secret());
    }
    let code = code_params(&query)?;
    spend_code(&state, appid, code)
}

async fn component_jscode2session(
    state: web::Data<SimState>,
    req: HttpRequest,
) -> WxResult<HttpResponse> {
    let query = query(&req);
    let component = check_component_token(&state, param(&query, "component_access_token"))?;
    let given = param(&query, "component_appid")
        .ok_or_else(|| WxError::new(41018, "missing component_appid"))?;
    if given != component {
        return Err(WxError::new(
            40013,
            "invalid appid: component_appid does not own the component_access_token",
        ));
    }
    let appid = param(&query, "appid").ok_or_else(|| WxError::new(41002, "appid missing"))?;
    match is_mini_program(&state, appid) {
        None => {
            return Err(WxError::new(
                61003,
                "component is not authorized by this account",
            ))
        }
        // jscode2session is a mini-program login; WeChat treats an official
        // account's appid as an invalid appid here.
        Some(false) => {
            return Err(WxError::new(
                40013,
                "invalid appid: the account is not a mini program",
            ))
        }
        Some(true) => {}
    }
    let code = code_params(&query)?;
    spend_code(&state, appid, code)
}

/// `js_code` (41008 when missing) after checking `grant_type` (40002).
fn code_params(query: &HashMap<String, String>) -> WxResult<&str> {
    if param(query, "grant_type") != Some("authorization_code") {
        return Err(WxError::new(
            40002,
            "invalid grant_type: expected authorization_code",
        ));
    }
    param(query, "js_code").ok_or_else(|| WxError::new(41008, "missing code"))
}

/// Spends `code` for `appid`: 40029 when unknown, minted for another appid or
/// expired; 40163 when already used (WeChat's "code been used").
fn spend_code(state: &SimState, appid: &str, code: &str) -> WxResult<HttpResponse> {
    let now = state.now();
    let mut accounts = lock(&state.accounts);
    let entry = accounts
        .js_codes
        .get_mut(code)
        .filter(|c| c.appid == appid)
        .ok_or_else(|| WxError::new(40029, "invalid code"))?;
    if entry.used {
        return Err(WxError::new(40163, "code been used"));
    }
    if now >= entry.expires_at {
        return Err(WxError::new(40029, "invalid code (expired)"));
    }
    entry.used = true;
    let mut answer = json!({
        "openid": entry.openid,
        "session_key": session_key(),
    });
    if let Some(unionid) = &entry.unionid {
        answer["unionid"] = json!(unionid);
    }
    Ok(HttpResponse::Ok().json(answer))
}

/// A session key as WeChat gives it: 16 random bytes in standard base64
/// (canonical, so strict decoders accept it as an AES-128 key).
fn session_key() -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes: [u8; 16] = rand::random();
    let mut out = String::with_capacity(24);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[derive(Deserialize)]
struct MintRequest {
    #[serde(default)]
    appid: String,
    openid: Option<String>,
    unionid: Option<String>,
}

/// `POST /__sim/jscode {appid, openid?, unionid?}` → `{code, openid, expires_in}`:
/// what `wx.login()` gives a mini program. Without `openid`, a new user.
async fn mint_code(state: web::Data<SimState>, body: web::Bytes) -> WxResult<HttpResponse> {
    let request: MintRequest = json_body(&body)?;
    if request.appid.is_empty() {
        return Err(WxError::new(41002, "appid missing"));
    }
    let openid = match request.openid.filter(|o| !o.is_empty()) {
        Some(openid) => {
            check_openid(&openid)?;
            openid
        }
        None => format!("o{}", random_string(27)),
    };
    let now = state.now();
    let code = random_string(32);
    let mut accounts = lock(&state.accounts);
    // Forget codes long dead so the map stays small in long runs.
    accounts
        .js_codes
        .retain(|_, c| c.expires_at.saturating_add(3600) > now);
    accounts.js_codes.insert(
        code.clone(),
        JsCode {
            appid: request.appid,
            openid: openid.clone(),
            unionid: request.unionid.filter(|u| !u.is_empty()),
            expires_at: now.saturating_add(JS_CODE_TTL_SECS),
            used: false,
        },
    );
    Ok(HttpResponse::Ok().json(json!({
        "errcode": 0,
        "errmsg": "ok",
        "code": code,
        "openid": openid,
        "expires_in": JS_CODE_TTL_SECS,
    })))
}
