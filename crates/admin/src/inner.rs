//! Who may call `/inner/*`: business services and the gateway, presenting
//! the shared token `admin.inner_token` as `Authorization: Bearer <token>`
//! or `X-Inner-Token: <token>`. Loopback callers without a token are let in
//! only when `admin.inner_allow_loopback` is set. The gateway never exposes
//! `/inner/*` on its public listener; the token is the second wall (unlike
//! wxcomponent's check of the client IP alone).

use std::future::{ready, Ready};

use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, ResponseError};
use secrecy::ExposeSecret as _;

use crate::client_ip;
use crate::error::AdminError;
use crate::state::AppState;

/// Header carrying the inner token as an alternative to `Authorization`.
pub const TOKEN_HEADER: &str = "x-inner-token";

/// An authenticated inner caller.
#[derive(Debug, Clone, Copy)]
pub struct InnerCaller;

/// Refusal of an inner call: HTTP 401 with `{"code":1000}`, as wxcomponent.
#[derive(Debug)]
pub struct InnerAuthError(AdminError);

impl std::fmt::Display for InnerAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl ResponseError for InnerAuthError {
    fn status_code(&self) -> StatusCode {
        StatusCode::UNAUTHORIZED
    }

    fn error_response(&self) -> HttpResponse {
        self.0.response_with(StatusCode::UNAUTHORIZED)
    }
}

fn presented(req: &HttpRequest) -> Option<&str> {
    if let Some(token) = crate::auth::bearer(req) {
        return Some(token);
    }
    req.headers()
        .get(TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// Checks the caller of an inner route.
pub fn authenticate(req: &HttpRequest, state: &AppState) -> Result<InnerCaller, AdminError> {
    let expected = state.settings.admin.inner_token.expose_secret();
    if let Some(token) = presented(req) {
        if !expected.is_empty() && common::crypto::constant_time_eq(token, expected) {
            return Ok(InnerCaller);
        }
        return Err(AdminError::NotAuthorized(
            "the inner token is not valid".into(),
        ));
    }
    let loopback = client_ip::peer_ip(req).is_some_and(|ip| ip.is_loopback());
    if state.settings.admin.inner_allow_loopback && loopback {
        return Ok(InnerCaller);
    }
    Err(AdminError::NotAuthorized(
        "the inner token is required (Authorization: Bearer <admin.inner_token>)".into(),
    ))
}

impl FromRequest for InnerCaller {
    type Error = InnerAuthError;
    type Future = Ready<Result<Self, InnerAuthError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let result = match req.app_data::<web::Data<AppState>>() {
            Some(state) => authenticate(req, state),
            None => Err(AdminError::internal("app state missing")),
        };
        ready(result.map_err(InnerAuthError))
    }
}
