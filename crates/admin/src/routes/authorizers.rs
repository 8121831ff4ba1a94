//! `POST /admin/pull-authorizer-list`, `GET /admin/authorizer-list`.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::ok;
use crate::auth::AuthUser;
use crate::authorizers::{self, ListFilter, MAX_LIST_LIMIT};
use crate::error::{AdminError, AdminResult};
use crate::params::{self, Query};
use crate::state::AppState;

/// Longest `q`: an appid is at most 64 characters, a name far less.
const SEARCH_WIDTH: usize = 64;

/// Re-reads every authorizer from WeChat; `data` summarises the pull.
pub async fn pull(_: AuthUser, state: web::Data<AppState>) -> AdminResult<HttpResponse> {
    let summary = authorizers::pull(&state).await?;
    Ok(ok(summary))
}

/// `{total, records}`: `offset`, `limit` (≤ 20, default 10), `appid`, and
/// the console's `q` (appid or name contains) and `appType` (0 mini
/// program, 1 official account).
pub async fn list(
    _: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> AdminResult<HttpResponse> {
    let query = Query::parse(req.query_string())?;
    let (offset, limit) = query.page(10, MAX_LIST_LIMIT)?;
    let app_type = match query.text("appType") {
        None => None,
        Some("0") => Some(0),
        Some("1") => Some(1),
        Some(_) => return Err(AdminError::invalid("appType: must be 0 or 1")),
    };
    let search = query.text("q").map(str::to_string);
    if search
        .as_ref()
        .is_some_and(|q| q.chars().count() > SEARCH_WIDTH)
    {
        return Err(AdminError::invalid(format!(
            "q: at most {SEARCH_WIDTH} characters"
        )));
    }
    let filter = ListFilter {
        appid: params::optional_appid(&query)?,
        search,
        app_type,
    };
    let (total, records) = authorizers::page(&state, filter, offset, limit).await?;
    Ok(ok(json!({ "total": total, "records": records })))
}
