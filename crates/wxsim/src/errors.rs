//! WeChat's error answers: HTTP 200 with `{"errcode":N,"errmsg":"..."}`, as the
//! real API does, so clients are tested against the real shape.

use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

/// An error the fake API answers with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("errcode {errcode}: {errmsg}")]
pub struct WxError {
    /// WeChat's error code.
    pub errcode: i64,
    /// WeChat's message, with a `rid` like the real one.
    pub errmsg: String,
}

/// Result of a fake API handler.
pub type WxResult<T> = Result<T, WxError>;

impl WxError {
    /// An error with an explicit message.
    pub fn new(errcode: i64, errmsg: impl Into<String>) -> Self {
        Self {
            errcode,
            errmsg: format!("{} rid: {}", errmsg.into(), rid()),
        }
    }

    /// -1 system error.
    pub fn system() -> Self {
        Self::new(-1, "system error")
    }
    /// 40001: the access token is unknown or replaced.
    pub fn invalid_credential() -> Self {
        Self::new(
            40001,
            "invalid credential, access_token is invalid or not latest",
        )
    }
    /// 42001: the access token expired.
    pub fn token_expired() -> Self {
        Self::new(42001, "access_token expired")
    }
    /// 41001: no access token given.
    pub fn missing_token() -> Self {
        Self::new(41001, "access_token missing")
    }
    /// 40013: an unknown appid.
    pub fn invalid_appid() -> Self {
        Self::new(40013, "invalid appid")
    }
    /// 40125: a wrong AppSecret.
    pub fn invalid_secret() -> Self {
        Self::new(40125, "invalid appsecret")
    }
    /// 47001: the body is not the JSON expected.
    pub fn bad_body(detail: impl std::fmt::Display) -> Self {
        Self::new(47001, format!("data format error: {detail}"))
    }
    /// 44002: empty body.
    pub fn empty_body() -> Self {
        Self::new(44002, "empty post data")
    }
    /// 41002-style missing parameter, with the parameter named.
    pub fn missing_param(code: i64, name: &str) -> Self {
        Self::new(code, format!("{name} missing"))
    }
}

/// The `{"errcode":0,"errmsg":"ok"}` answer.
pub fn ok() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"errcode": 0, "errmsg": "ok"}))
}

/// A successful answer: `errcode` 0 and `errmsg` "ok" beside `fields` (an
/// object), the way WeChat puts its results next to the code.
pub fn ok_with(fields: serde_json::Value) -> HttpResponse {
    let mut answer = serde_json::json!({"errcode": 0, "errmsg": "ok"});
    if let (Some(answer), serde_json::Value::Object(fields)) = (answer.as_object_mut(), fields) {
        answer.extend(fields);
    }
    HttpResponse::Ok().json(answer)
}

impl ResponseError for WxError {
    fn status_code(&self) -> actix_web::http::StatusCode {
        actix_web::http::StatusCode::OK
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::Ok().json(self)
    }
}

fn rid() -> String {
    format!(
        "{:08x}-{:08x}",
        rand::random::<u32>(),
        rand::random::<u32>()
    )
}
