//! The admin service's one error type and its mapping to the wire.
//!
//! Policy:
//! - Every failure is an [`AdminError`] carrying one of wxcomponent's codes
//!   (1000-1011), or 41004 for "no secret configured" (the code wxcomponent's
//!   console already explains: "尚未配置 Secret ...").
//! - The body is always the `{code, errorMsg, data}` envelope. `errorMsg` is
//!   the code's own text, followed by what exactly is wrong when there is
//!   something to say ("参数格式有误: limit must be between 1 and 20"); `data`
//!   repeats that detail as a string, as wxcomponent's `WithData(err)` did.
//! - The codes follow what wxcomponent's console (`client/src/utils/axios.ts`)
//!   shows the operator: for 1002 it prints `data`; for every other code a
//!   fixed text per code (1001 "参数格式错误", 1008 and 1010 "系统错误，请稍后重试
//!   code：N"), and some forms replace even that (the add-rule form prints
//!   "该事件已存在转发规则" for every 1001). So:
//!   - WeChat refusing a call (it answered `errcode` ≠ 0) is **1002** with
//!     `data` = "`errcode` `errmsg`" (e.g. "85009 already has an audit"), as
//!     wxcomponent answers `ErrSystemError.WithData(err)`: the operator sees
//!     WeChat's reason, not a code to look up.
//!   - WeChat being unreachable (transport failure, timeout, non-200 HTTP,
//!     an answer that cannot be decoded) is 1010, the detail in `data`.
//!   - A refusal the console could not explain otherwise ([`AdminError::Refused`]:
//!     a secret pinned in the configuration; an invalid forward rule, where
//!     1001 is kept for "a rule for this event exists") is 1002 with the
//!     reason in `data`.
//!   - Other malformed input stays 1001, the field named in `errorMsg` and `data`.
//!   - The token core's own refusals keep their codes: 1007 no ticket, 41004
//!     no secret, 1001 not authorized, 1008 refresh token invalid.
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
//!   goes to the log with the request, never to the client (`data` only says
//!   where to look). An internal failure is never reported as 1001.

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
    /// 1010: WeChat (or a forward target) could not be reached or answered
    /// something unreadable.
    Upstream(String),
    /// 1002: WeChat refused the call; `data` is its errcode and errmsg.
    Wechat {
        /// The WeChat API path called (only in `errorMsg` and the log).
        path: String,
        /// WeChat's `errcode`.
        errcode: i64,
        /// WeChat's `errmsg`.
        errmsg: String,
    },
    /// 1002: a refusal the operator must read: wxcomponent's console prints
    /// `data` for 1002 only (see the module doc).
    Refused(String),
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

    /// The same refusal for routes whose console gives 1001 its own meaning
    /// (forward rules: "该事件已存在转发规则"): invalid input becomes 1002
    /// with the reason in `data`, which the console prints; every other
    /// error is unchanged.
    pub fn shown_as_refusal(self) -> Self {
        match self {
            Self::InvalidParam(message) => Self::Refused(message),
            other => other,
        }
    }

    /// WeChat's errcode, when WeChat refused the call.
    pub fn wechat_errcode(&self) -> Option<i64> {
        match self {
            Self::Wechat { errcode, .. } => Some(*errcode),
            _ => None,
        }
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
            Self::Internal(_) | Self::Wechat { .. } | Self::Refused(_) => ErrorCode::SystemError,
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
            | Self::Upstream(m)
            | Self::Refused(m) => Some(m.clone()),
            Self::Wechat {
                errcode, errmsg, ..
            } => Some(format!("{errcode} {errmsg}").trim_end().to_string()),
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
                _,
                Self::Wechat {
                    path,
                    errcode,
                    errmsg,
                },
            ) => format!("{base}: WeChat error {errcode} for {path}: {errmsg}"),
            (
                Some(d),
                Self::InvalidParam(_)
                | Self::NotAuthorized(_)
                | Self::User(_)
                | Self::InvalidStatus(_)
                | Self::Upstream(_)
                | Self::Refused(_),
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
            Self::Wechat {
                path,
                errcode,
                errmsg,
            } => {
                tracing::warn!(path = %path, errcode, errmsg = %errmsg, "WeChat refused the call")
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

/// WeChat's refusals are 1002 with errcode and errmsg, everything else that
/// kept the answer from us is 1010 (see the module doc).
impl From<WechatError> for AdminError {
    fn from(e: WechatError) -> Self {
        match e {
            WechatError::Api {
                path,
                errcode,
                errmsg,
            } => Self::Wechat {
                path,
                errcode,
                errmsg,
            },
            // reqwest's message carries the URL, and with it the access
            // token in its query: keep only the path.
            WechatError::Transport { path, source } => Self::Upstream(format!(
                "WeChat request to {path} failed: {}",
                source.without_url()
            )),
            other @ (WechatError::Status { .. } | WechatError::Decode { .. }) => {
                Self::Upstream(other.to_string())
            }
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
