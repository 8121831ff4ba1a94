//! What every authorizer-side handler does first: read the query, check the
//! `access_token` the way WeChat does, and read the JSON body without ever
//! panicking, answering WeChat's codes (41001, 40001, 42001, 44002, 47001).

use std::collections::HashMap;

use actix_web::{web, HttpRequest};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use crate::calls::lock;
use crate::errors::{WxError, WxResult};
use crate::state::SimState;
use crate::tokens::TokenOwner;

/// The query parameters of a request; a malformed query reads as empty, so
/// the handler answers "missing" instead of an HTTP 400.
pub fn query(req: &HttpRequest) -> HashMap<String, String> {
    web::Query::<HashMap<String, String>>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .unwrap_or_default()
}

/// A non-empty query parameter.
pub fn param<'a>(query: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    query
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
}

/// The appid of the authorizer whose `access_token` the request carries.
/// 41001 without a token; 40001 for an unknown or replaced token, or for a
/// token that is not an `authorizer_access_token`; 42001 once it expired.
pub fn authorizer_appid(state: &SimState, req: &HttpRequest) -> WxResult<String> {
    let query = query(req);
    let token = param(&query, "access_token").ok_or_else(WxError::missing_token)?;
    match lock(&state.tokens).validate(token, state.now())? {
        TokenOwner::Authorizer(appid) => Ok(appid),
        TokenOwner::Component(_) => Err(WxError::new(
            40001,
            "invalid credential, access_token is invalid or not latest \
             (a component_access_token is not an authorizer_access_token)",
        )),
    }
}

/// The appid of an official account's token: menus and tags are official
/// account features, so a mini program's token gets 48001.
pub fn official_account(state: &SimState, req: &HttpRequest) -> WxResult<String> {
    let appid = authorizer_appid(state, req)?;
    if is_mini_program(state, &appid) == Some(true) {
        return Err(WxError::new(
            48001,
            "api unauthorized: this api is for official accounts, not mini programs",
        ));
    }
    Ok(appid)
}

/// Checks a `component_access_token`: it must belong to the configured
/// platform. Same codes as [`authorizer_appid`].
pub fn check_component_token(state: &SimState, token: Option<&str>) -> WxResult<String> {
    let token = token.ok_or_else(WxError::missing_token)?;
    match lock(&state.tokens).validate(token, state.now())? {
        TokenOwner::Component(appid) if appid == state.settings.component_appid => Ok(appid),
        _ => Err(WxError::new(
            40001,
            "invalid credential, access_token is invalid or not latest \
             (not this platform's component_access_token)",
        )),
    }
}

/// Whether `appid` is an authorized mini program (`Some(true)`), an authorized
/// official account (`Some(false)`), or not authorized (`None`).
pub fn is_mini_program(state: &SimState, appid: &str) -> Option<bool> {
    lock(&state.component)
        .authorizers
        .get(appid)
        .map(|a| a.is_mini_program)
}

/// Parses a JSON body: 44002 when it is empty, 47001 naming what does not fit
/// otherwise.
pub fn json_body<T: DeserializeOwned>(body: &[u8]) -> WxResult<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(WxError::empty_body());
    }
    serde_json::from_slice(body).map_err(|e| WxError::bad_body(format!("invalid JSON body: {e}")))
}

/// Accepts an integer id given as a JSON number or a string of digits, as
/// WeChat does (wxcomponent sends `template_id` as a string).
pub fn lenient_i64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        Number(i64),
        Text(String),
    }
    match Option::<Id>::deserialize(deserializer)? {
        None => Ok(None),
        Some(Id::Number(n)) => Ok(Some(n)),
        Some(Id::Text(s)) if s.trim().is_empty() => Ok(None),
        Some(Id::Text(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("expected an integer id, got {s:?}"))),
    }
}

/// Whether `openid` has the shape of an openid: 1 to 64 characters of
/// `[A-Za-z0-9_-]` (WeChat's are 28, starting with `o`).
pub fn is_openid(openid: &str) -> bool {
    !openid.is_empty()
        && openid.len() <= 64
        && openid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// 40003 for anything that is not an openid.
pub fn check_openid(openid: &str) -> WxResult<()> {
    if is_openid(openid) {
        Ok(())
    } else {
        Err(WxError::new(40003, format!("invalid openid {openid:?}")))
    }
}
