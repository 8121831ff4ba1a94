//! `GET /admin/ticket`, `/admin/component-access-token`,
//! `/admin/authorizer-access-token?appid=` (wxcomponent answers `{ticket}`
//! / `{token}`), and `/admin/cloudbase-access-token`.

use actix_web::{web, HttpRequest, HttpResponse};
use common::tokens::store;
use serde_json::json;

use super::ok;
use crate::auth::AuthUser;
use crate::error::{AdminError, AdminResult};
use crate::params::{self, Query};
use crate::state::AppState;

/// The latest `component_verify_ticket`, or 1007.
pub async fn ticket(_: AuthUser, state: web::Data<AppState>) -> AdminResult<HttpResponse> {
    Ok(ok(json!({ "ticket": load_ticket(&state).await? })))
}

/// Shared with the inner API.
pub(crate) async fn load_ticket(state: &AppState) -> Result<String, AdminError> {
    state
        .db
        .run(store::load_ticket)
        .await?
        .map(|(ticket, _)| ticket)
        .filter(|t| !t.is_empty())
        .ok_or(AdminError::EmptyTicket)
}

/// A usable `component_access_token`.
pub async fn component_token(_: AuthUser, state: web::Data<AppState>) -> AdminResult<HttpResponse> {
    let token = state.tokens.component_token().await?;
    Ok(ok(json!({ "token": token })))
}

/// A usable `authorizer_access_token` for `appid`.
pub async fn authorizer_token(
    _: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> AdminResult<HttpResponse> {
    let query = Query::parse(req.query_string())?;
    let appid = params::appid(&query)?;
    let token = state.tokens.authorizer_token(&appid).await?;
    Ok(ok(json!({ "token": token })))
}

/// wxcomponent's Cloud Run `cloudbase_access_token`: not available here.
pub async fn cloudbase_token(_: AuthUser) -> AdminResult<HttpResponse> {
    Err(AdminError::InvalidStatus(
        "cloudbase_access_token exists only inside WeChat Cloud Run's wxcomponent; use component-access-token".into(),
    ))
}
