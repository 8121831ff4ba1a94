//! `POST /admin/pull-authorizer-list`, `GET /admin/authorizer-list`.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::ok;
use crate::auth::AuthUser;
use crate::authorizers::{self, MAX_LIST_LIMIT};
use crate::error::AdminResult;
use crate::params::{self, Query};
use crate::state::AppState;

/// Re-reads every authorizer from WeChat; `data` summarises the pull.
pub async fn pull(_: AuthUser, state: web::Data<AppState>) -> AdminResult<HttpResponse> {
    let summary = authorizers::pull(&state).await?;
    Ok(ok(summary))
}

/// `{total, records}`: `offset`, `limit` (≤ 20, default 10), `appid`.
pub async fn list(
    _: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> AdminResult<HttpResponse> {
    let query = Query::parse(req.query_string())?;
    let (offset, limit) = query.page(10, MAX_LIST_LIMIT)?;
    let appid = params::optional_appid(&query)?;
    let (total, records) = authorizers::page(&state, appid, offset, limit).await?;
    Ok(ok(json!({ "total": total, "records": records })))
}
