//! The business service's one error type.
//!
//! Policy, following the user's templates:
//! - the counter, login and auto-reply routes answer `{"code":-1,"errorMsg":...}`
//!   (the Flask templates); bad input → 400 with a message saying what to send,
//!   a missing or bad login token → 401, WeChat refusing a login → 400 with
//!   WeChat's code and message;
//! - the official-account routes (`/api/v0.1/cgi-bin/*`) answer like WeChat,
//!   as the seed documents: `{"errcode":-1,"errmsg":"..."}` for our own
//!   validation (400), WeChat's answer as is otherwise;
//! - the token manager refusing because of the request (1001: the appid has
//!   not authorized the platform) → 400 with its reason; the token manager
//!   refusing otherwise, or it or WeChat unreachable → 502; the database unreachable
//!   → 503; anything else internal → 500 with a generic message. Causes are
//!   logged, never sent.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use common::db::DbError;
use common::envelope::ApiError;
use serde_json::json;

use crate::inner::InnerError;

/// The token manager's code for a refusal caused by the request itself
/// (wxcomponent's 1001, e.g. an appid that has not authorized the platform).
const INVALID_PARAM: i64 = 1001;

/// The code the templates use for every failure.
pub const FAILURE_CODE: i32 = -1;

/// Everything that can go wrong in a business request.
#[derive(Debug, thiserror::Error)]
pub enum BusinessError {
    /// The client sent something unusable; the message says what.
    #[error("{0}")]
    BadRequest(String),
    /// An official-account route's input failed validation (answered WeChat-style).
    #[error("{0}")]
    InvalidWx(String),
    /// No valid login token, or no operator token on a management route.
    #[error("{0}")]
    Unauthorized(String),
    /// The thing named does not exist.
    #[error("{0}")]
    NotFound(String),
    /// A management route while `business.api_token` is not configured.
    #[error("management routes are disabled: set business.api_token")]
    ManagementDisabled,
    /// WeChat refused a login.
    #[error("微信登录失败 ({errcode}): {errmsg}")]
    LoginRefused {
        /// WeChat's code (40029 invalid code, 45011 rate limit, ...).
        errcode: i64,
        /// WeChat's message.
        errmsg: String,
    },
    /// The token manager could not give a token.
    #[error(transparent)]
    Inner(#[from] InnerError),
    /// WeChat could not be reached or answered garbage.
    #[error("WeChat call failed: {0}")]
    Upstream(String),
    /// Storage failed.
    #[error(transparent)]
    Database(#[from] DbError),
    /// A bug or an impossible state.
    #[error("internal error: {0}")]
    Internal(String),
}

impl BusinessError {
    fn status(&self) -> u16 {
        match self {
            Self::BadRequest(_) | Self::InvalidWx(_) | Self::LoginRefused { .. } => 400,
            Self::Unauthorized(_) => 401,
            Self::ManagementDisabled => 403,
            Self::NotFound(_) => 404,
            Self::Inner(InnerError::Refused { code, .. }) if *code == INVALID_PARAM => 400,
            Self::Inner(_) | Self::Upstream(_) => 502,
            Self::Database(DbError::Pool(_)) => 503,
            Self::Database(_) | Self::Internal(_) => 500,
        }
    }

    fn client_message(&self) -> String {
        match self {
            Self::Inner(InnerError::Refused { code, message }) => {
                format!("token manager refused ({code}): {message}")
            }
            Self::Inner(InnerError::Unreachable(_)) => "token manager unreachable".into(),
            Self::Upstream(_) => "WeChat could not be reached".into(),
            Self::Database(DbError::Pool(_)) => {
                "服务暂不可用，请稍后重试 (database unavailable)".into()
            }
            Self::Database(_) | Self::Internal(_) => "系统错误 (internal error)".into(),
            other => other.to_string(),
        }
    }
}

impl ResponseError for BusinessError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        if self.status() >= 500 {
            tracing::error!(error = %self, "business request failed");
        }
        let builder = &mut HttpResponse::build(self.status_code());
        match self {
            Self::InvalidWx(message) => {
                builder.json(json!({"errcode": FAILURE_CODE, "errmsg": message}))
            }
            _ => builder.json(
                ApiError::custom(FAILURE_CODE, self.status(), self.client_message()).envelope(),
            ),
        }
    }
}
