//! The callback receiver's one error type.
//!
//! Policy: a push we cannot trust (bad signature, stale timestamp) → 401 with
//! code 1000 and nothing stored; a push we cannot read (bad base64, padding,
//! receive id, XML/JSON) → 400 with code 1001 and a message saying what is
//! wrong; a body over the limit → 413 and the connection closed
//! (`routes::wxcallback`); storage unavailable → 503 with code
//! 1002 so WeChat retries — we never answer `success` for a push we did not
//! store. Internal causes are logged, never sent.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use common::crypto::CryptoError;
use common::db::DbError;
use common::envelope::{ApiError, ErrorCode};
use common::message::MessageError;

/// Everything that can go wrong with a push.
#[derive(Debug, thiserror::Error)]
pub enum CallbackError {
    /// The signature does not verify.
    #[error("signature mismatch")]
    BadSignature,
    /// Signature parameters are missing.
    #[error("missing query parameter `{0}`")]
    MissingParam(&'static str),
    /// The timestamp is too far from now.
    #[error("timestamp {0} is outside the accepted window")]
    StaleTimestamp(String),
    /// The ciphertext could not be opened.
    #[error("cannot decrypt the push: {0}")]
    Crypto(CryptoError),
    /// The body is not a WeChat push.
    #[error("malformed push: {0}")]
    Malformed(#[from] MessageError),
    /// Something else about the request is unusable.
    #[error("{0}")]
    BadRequest(String),
    /// The body is larger than `callback.max_body_bytes`.
    #[error("body larger than {0} bytes")]
    TooLarge(usize),
    /// Storage failed: WeChat must retry.
    #[error(transparent)]
    Storage(#[from] DbError),
}

impl From<CryptoError> for CallbackError {
    fn from(e: CryptoError) -> Self {
        match e {
            CryptoError::BadSignature => Self::BadSignature,
            other => Self::Crypto(other),
        }
    }
}

impl CallbackError {
    /// Whether the push was refused as untrusted (forged, replayed or
    /// sealed with another key), as the console's refusal count means it.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            Self::BadSignature | Self::MissingParam(_) | Self::StaleTimestamp(_) | Self::Crypto(_)
        )
    }

    fn api_error(&self) -> ApiError {
        match self {
            Self::BadSignature | Self::MissingParam(_) | Self::StaleTimestamp(_) => {
                ApiError::with_message(ErrorCode::NotAuthorized, self.to_string())
            }
            Self::Crypto(_) | Self::Malformed(_) | Self::BadRequest(_) => {
                ApiError::invalid_param(self.to_string())
            }
            Self::TooLarge(_) => {
                ApiError::custom(ErrorCode::InvalidParam.code(), 413, self.to_string())
            }
            Self::Storage(e) => {
                let mut err = ApiError::internal(e);
                err = ApiError::custom(err.code(), 503, err.message());
                err
            }
        }
    }
}

impl ResponseError for CallbackError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.api_error().status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Storage(e) => {
                tracing::error!(error = %e, "push not stored; asking WeChat to retry")
            }
            other => tracing::warn!(error = %other, "push refused"),
        }
        HttpResponse::build(self.status_code()).json(self.api_error().envelope())
    }
}
