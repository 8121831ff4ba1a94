//! The admin service's one error type and its mapping to the wire.
//!
//! Policy:
//! - Every failure is an [`AdminError`] carrying one of wxcomponent's codes
//!   (1000-1011), or 41004 for "no secret configured" (the code wxcomponent's
//!   console already explains: "尚未配置 Secret ...").
//! - The body is always the `{code, errorMsg, data}` envelope. `errorMsg` is
//!   the code's own text, followed by what exactly is wrong when there is
//!   something to say ("参数格式有误: limit must be between 1 and 20"); `data`
//!   repeats that detail as a string, as wxcomponent's `WithData(err)` did
//!   (its console shows `data` for 1002 and for a failed callback test).
//! - HTTP status, by route family:
//!   - `/wxcomponent/*` (console API and auth pages): **always 200**, even for
//!     1000/1003/1004 and 1002. wxcomponent's console (axios) treats any
//!     non-2xx answer as a thrown exception and never reads the code, so its
//!     logout on 1003/1004, its "该事件已存在转发规则" on 1001 and its
//!     lockout message would all break otherwise. Clients tell success from
//!     failure by `code`.
//!   - `/inner/*` token routes: 401 when the caller is not authenticated
//!     (as wxcomponent's IP check did), otherwise 200 with the code, because
//!     business services written for wxcomponent read `code` and some HTTP
//!     clients throw on non-2xx.
//!   - `/inner/routes` (the gateway's own protocol) and `/healthz`: real
//!     statuses (401, 304, 500, 503).
//! - Internal failures (database, I/O, bugs) are 1002 "系统错误"; their cause
//!   goes to the log with the request, never to the client. A client mistake
//!   is never reported as 1002, an internal failure never as 1001.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use common::db::DbError;
use common::envelope::{Envelope, ErrorCode};
use common::tokens::TokenError;
use common::wechat::WechatError;

/// Code answered when no component secret is configured: wxcomponent's
/// console maps it to "尚未配置 Secret，无法生成 token ...".
pub const NO_SECRET_CODE: i32 = 41004;

/// Everything an admin request can fail with.
#[derive(Debug)]
pub enum AdminError {
    /// 1000: no credentials (missing JWT or inner token).
    NotAuthorized(String),
    /// 1001: malformed or missing input; the message names the field.
    InvalidParam(String),
    /// 1003: the console JWT expired.
    AuthTimeout,
    /// 1004: the console JWT is not valid (bad signature, unknown user,
    /// password changed since it was issued).
    AuthToken,
    /// 1005: a user update was refused (wrong old password, name taken).
    User(String),
    /// 1006: wrong username or password.
    AuthFailed,
    /// 1007: no `component_verify_ticket` yet.
    EmptyTicket,
    /// 1008: the request conflicts with the current state.
    InvalidStatus(String),
    /// 1010: WeChat (or a forward target) failed or refused.
    Upstream(String),
    /// 1011: too many failed logins from this IP.
    LockedOut,
    /// 41004: no component secret configured yet.
    NoSecret,
    /// 1002: an internal failure; the cause is logged, not sent.
    Internal(String),
}

impl AdminError {
    /// 1001 naming what is wrong.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::InvalidParam(message.into())
    }

    /// 1002 for an internal failure; `cause` is only logged.
    pub fn internal(cause: impl fmt::Display) -> Self {
        Self::Internal(cause.to_string())
    }

    /// The code on the wire.
    pub fn code(&self) -> i32 {
        self.error_code().map_or(NO_SECRET_CODE, ErrorCode::code)
    }

    fn error_code(&self) -> Option<ErrorCode> {
        Some(match self {
            Self::NotAuthorized(_) => ErrorCode::NotAuthorized,
            Self::InvalidParam(_) => ErrorCode::InvalidParam,
            Self::AuthTimeout => ErrorCode::AuthTimeout,
            Self::AuthToken => ErrorCode::AuthTokenErr,
            Self::User(_) => ErrorCode::UserErr,
            Self::AuthFailed => ErrorCode::AuthErr,
            Self::EmptyTicket => ErrorCode::EmptyTicket,
            Self::InvalidStatus(_) => ErrorCode::InvalidStatus,
            Self::Upstream(_) => ErrorCode::RequestErr,
            Self::LockedOut => ErrorCode::AuthErrExceedLimit,
            Self::Internal(_) => ErrorCode::SystemError,
            Self::NoSecret => return None,
        })
    }

    /// What the client may be told beyond the code's own text.
    pub fn detail(&self) -> Option<String> {
        match self {
            Self::NotAuthorized(m)
            | Self::InvalidParam(m)
            | Self::User(m)
            | Self::InvalidStatus(m)
            | Self::Upstream(m) => Some(m.clone()),
            Self::Internal(_) => Some("internal error; the cause is in the admin service log".into()),
            Self::LockedOut => Some("too many failed logins from this address; try again later".into()),
            Self::NoSecret => Some(
                "set the component secret in the console (系统管理 - Secret与密码管理) or in wechat.component_secret"
                    .into(),
            ),
            Self::AuthTimeout | Self::AuthToken | Self::AuthFailed | Self::EmptyTicket => None,
        }
    }

    /// The envelope sent to the client.
    pub fn envelope(&self) -> Envelope<String> {
        let base = match self.error_code() {
            Some(code) => code.message(),
            None => "尚未配置 Secret，无法生成 token",
        };
        let detail = self.detail();
        let error_msg = match (&detail, self) {
            (
                Some(d),
                Self::InvalidParam(_)
                | Self::NotAuthorized(_)
                | Self::User(_)
                | Self::InvalidStatus(_)
                | Self::Upstream(_),
            ) => {
                format!("{base}: {d}")
            }
            _ => base.to_string(),
        };
        Envelope {
            code: self.code(),
            error_msg,
            data: detail,
        }
    }

    /// Logs the failure at a level matching its kind.
    pub fn log(&self) {
        match self {
            Self::Internal(cause) => {
                tracing::error!(code = self.code(), cause = %cause, "admin request failed")
            }
            Self::Upstream(detail) => {
                tracing::warn!(code = self.code(), detail = %detail, "upstream request failed")
            }
            Self::LockedOut => tracing::warn!("login refused: locked out"),
            _ => tracing::debug!(code = self.code(), "admin request refused"),
        }
    }

    /// The answer with an explicit HTTP status (inner and gateway routes).
    pub fn response_with(&self, status: StatusCode) -> HttpResponse {
        self.log();
        HttpResponse::build(status).json(self.envelope())
    }
}

impl fmt::Display for AdminError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let envelope = self.envelope();
        write!(f, "{} {}", envelope.code, envelope.error_msg)?;
        if let Self::Internal(cause) = self {
            write!(f, " ({cause})")?;
        }
        Ok(())
    }
}

impl std::error::Error for AdminError {}

/// `/wxcomponent/*`: always HTTP 200, the code in the body (see the module doc).
impl ResponseError for AdminError {
    fn status_code(&self) -> StatusCode {
        StatusCode::OK
    }

    fn error_response(&self) -> HttpResponse {
        self.response_with(StatusCode::OK)
    }
}

impl From<DbError> for AdminError {
    fn from(e: DbError) -> Self {
        Self::internal(e)
    }
}

impl From<WechatError> for AdminError {
    fn from(e: WechatError) -> Self {
        match e {
            // reqwest's message carries the URL, and with it the access
            // token in its query: keep only the path.
            WechatError::Transport { path, source } => Self::Upstream(format!(
                "WeChat request to {path} failed: {}",
                source.without_url()
            )),
            other => Self::Upstream(other.to_string()),
        }
    }
}

impl From<TokenError> for AdminError {
    fn from(e: TokenError) -> Self {
        match e {
            TokenError::NoTicket => Self::EmptyTicket,
            TokenError::NoSecret => Self::NoSecret,
            TokenError::NotAuthorized(appid) => {
                Self::InvalidParam(format!("appid: {appid} has not authorized this platform"))
            }
            TokenError::RefreshTokenInvalid(appid) => Self::InvalidStatus(format!(
                "the refresh token of {appid} is no longer valid; the account must authorize again"
            )),
            TokenError::Wechat(w) => w.into(),
            TokenError::Db(d) => d.into(),
            TokenError::LockTimeout => Self::internal(e),
        }
    }
}

/// Result of an admin handler.
pub type AdminResult<T> = Result<T, AdminError>;
