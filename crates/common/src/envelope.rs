//! The `{code, errorMsg, data}` envelope and wxcomponent's error codes.
//!
//! Error policy, shared by every service:
//! - every failure is one [`ApiError`] carrying a wxcomponent code (1000-1011,
//!   or a service's own such as -1) and an HTTP status chosen by the code;
//! - the client sees the code and a message written for it; the cause of an
//!   internal failure (database, I/O, a bug) is logged with the request and
//!   never sent, so 1002 always reads "系统错误";
//! - a client mistake is never reported as 500, an internal failure never as 400.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The response body of every wxcomponent-compatible endpoint; read back
/// by the gateway from the admin's `/inner/routes`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope<T> {
    /// 0 on success, otherwise an [`ErrorCode`] value.
    pub code: i32,
    /// "OK" on success, else what went wrong.
    #[serde(rename = "errorMsg")]
    pub error_msg: String,
    /// The payload; omitted when there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<T>,
}

impl<T> Envelope<T> {
    /// A success carrying `data`.
    pub fn ok(data: T) -> Self {
        Self {
            code: 0,
            error_msg: "OK".into(),
            data: Some(data),
        }
    }
}

impl Envelope<()> {
    /// A success without payload.
    pub fn ok_empty() -> Self {
        Self {
            code: 0,
            error_msg: "OK".into(),
            data: None,
        }
    }
}

/// wxcomponent's error codes (`comm/errno/def.go`), same numbers and texts,
/// so its console understands our answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// 1000 访问未授权: missing credentials or a bad WeChat signature.
    NotAuthorized,
    /// 1001 参数格式有误: malformed input.
    InvalidParam,
    /// 1002 系统错误: an internal failure; details only in the log.
    SystemError,
    /// 1003 登录超时: the JWT expired.
    AuthTimeout,
    /// 1004 Token错误: the JWT is invalid.
    AuthTokenErr,
    /// 1005 用户更新错误: a user update was refused.
    UserErr,
    /// 1006 登录失败: wrong username or password.
    AuthErr,
    /// 1007 Ticket为空: no component_verify_ticket has arrived yet.
    EmptyTicket,
    /// 1008 状态异常: the request conflicts with the current state.
    InvalidStatus,
    /// 1009 类型错误: an unsupported type value.
    InvalidType,
    /// 1010 请求错误: an upstream (WeChat) request failed.
    RequestErr,
    /// 1011 登录失败次数超过限制: login locked out.
    AuthErrExceedLimit,
}

impl ErrorCode {
    /// Every code, for tables and tests.
    pub const ALL: [ErrorCode; 12] = [
        Self::NotAuthorized,
        Self::InvalidParam,
        Self::SystemError,
        Self::AuthTimeout,
        Self::AuthTokenErr,
        Self::UserErr,
        Self::AuthErr,
        Self::EmptyTicket,
        Self::InvalidStatus,
        Self::InvalidType,
        Self::RequestErr,
        Self::AuthErrExceedLimit,
    ];

    /// The number on the wire.
    pub fn code(self) -> i32 {
        match self {
            Self::NotAuthorized => 1000,
            Self::InvalidParam => 1001,
            Self::SystemError => 1002,
            Self::AuthTimeout => 1003,
            Self::AuthTokenErr => 1004,
            Self::UserErr => 1005,
            Self::AuthErr => 1006,
            Self::EmptyTicket => 1007,
            Self::InvalidStatus => 1008,
            Self::InvalidType => 1009,
            Self::RequestErr => 1010,
            Self::AuthErrExceedLimit => 1011,
        }
    }

    /// wxcomponent's message for the code.
    pub fn message(self) -> &'static str {
        match self {
            Self::NotAuthorized => "访问未授权",
            Self::InvalidParam => "参数格式有误",
            Self::SystemError => "系统错误",
            Self::AuthTimeout => "登录超时",
            Self::AuthTokenErr => "Token错误",
            Self::UserErr => "用户更新错误",
            Self::AuthErr => "登录失败",
            Self::EmptyTicket => "Ticket为空",
            Self::InvalidStatus => "状态异常",
            Self::InvalidType => "类型错误",
            Self::RequestErr => "请求错误",
            Self::AuthErrExceedLimit => "登录失败次数超过限制",
        }
    }

    /// The HTTP status that goes with the code.
    pub fn http_status(self) -> u16 {
        match self {
            Self::NotAuthorized | Self::AuthTimeout | Self::AuthTokenErr | Self::AuthErr => 401,
            Self::InvalidParam | Self::UserErr | Self::InvalidType => 400,
            Self::InvalidStatus => 409,
            Self::AuthErrExceedLimit => 429,
            Self::RequestErr => 502,
            Self::EmptyTicket => 503,
            Self::SystemError => 500,
        }
    }
}

/// One error type for every service: what the client is told, plus the
/// internal cause that only the log sees.
#[derive(Debug)]
pub struct ApiError {
    code: i32,
    status: u16,
    message: String,
    cause: Option<String>,
}

impl ApiError {
    /// An error with the code's own message.
    pub fn new(code: ErrorCode) -> Self {
        Self {
            code: code.code(),
            status: code.http_status(),
            message: code.message().into(),
            cause: None,
        }
    }

    /// An error whose message tells the client precisely what to fix.
    pub fn with_message(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            ..Self::new(code)
        }
    }

    /// 1001 with a message saying which input is wrong.
    pub fn invalid_param(message: impl Into<String>) -> Self {
        Self::with_message(ErrorCode::InvalidParam, message)
    }

    /// 1002 for a failure the client cannot fix; `cause` is logged, not sent.
    pub fn internal(cause: impl fmt::Display) -> Self {
        Self {
            cause: Some(cause.to_string()),
            ..Self::new(ErrorCode::SystemError)
        }
    }

    /// A service-specific code outside wxcomponent's table (the Flask
    /// templates use -1 for every failure).
    pub fn custom(code: i32, status: u16, message: impl Into<String>) -> Self {
        Self {
            code,
            status,
            message: message.into(),
            cause: None,
        }
    }

    /// The code sent to the client.
    pub fn code(&self) -> i32 {
        self.code
    }

    /// The HTTP status sent to the client.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The message sent to the client.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The internal cause, if any; for logs only.
    pub fn cause(&self) -> Option<&str> {
        self.cause.as_deref()
    }

    /// The body sent to the client.
    pub fn envelope(&self) -> Envelope<()> {
        Envelope {
            code: self.code,
            error_msg: self.message.clone(),
            data: None,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "code {} ({}): {}", self.code, self.status, self.message)?;
        if let Some(cause) = &self.cause {
            write!(f, ": {cause}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

impl From<ErrorCode> for ApiError {
    fn from(code: ErrorCode) -> Self {
        Self::new(code)
    }
}

#[cfg(feature = "web")]
mod web {
    use actix_web::http::StatusCode;
    use actix_web::{HttpResponse, ResponseError};

    use super::ApiError;

    impl ResponseError for ApiError {
        fn status_code(&self) -> StatusCode {
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        }

        fn error_response(&self) -> HttpResponse {
            if let Some(cause) = &self.cause {
                tracing::error!(code = self.code, cause = %cause, "request failed");
            } else if self.status >= 500 {
                tracing::warn!(code = self.code, message = %self.message, "request failed");
            }
            HttpResponse::build(self.status_code()).json(self.envelope())
        }
    }
}

/// The envelope's schemas, for the services' OpenAPI documents.
#[cfg(feature = "openapi")]
pub mod schema {
    use serde_json::json;
    use utoipa::openapi::schema::Schema;

    use crate::openapi::{closed_object, constant, one_of_ints, string};

    /// A success: code 0, errorMsg "OK", and `data` (absent when `None`,
    /// as [`super::Envelope::ok_empty`] sends it).
    pub fn ok(data: Option<Schema>) -> Schema {
        let mut fields = vec![
            ("code", constant(json!(0)), true),
            ("errorMsg", constant(json!("OK")), true),
        ];
        if let Some(data) = data {
            fields.push(("data", data, true));
        }
        closed_object(&fields)
    }

    /// A refusal: one of `codes`, the message, and optionally the detail as
    /// a string (`data`).
    pub fn refusal(codes: &[i64]) -> Schema {
        closed_object(&[
            ("code", one_of_ints(codes), true),
            ("errorMsg", string(), true),
            ("data", string(), false),
        ])
    }

    /// Every code of wxcomponent's table.
    pub fn wxcomponent_codes() -> Vec<i64> {
        super::ErrorCode::ALL
            .iter()
            .map(|c| i64::from(c.code()))
            .collect()
    }
}
