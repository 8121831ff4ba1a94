//! Business-id bindings: `POST /inner/bindings {authCode, bizId}` and
//! `GET /inner/bindings?bizId=` for business services (the operator's page
//! behind them), `GET /admin/bindings` and `POST /admin/unbind {bizId}` for
//! the console.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::{ok, ok_empty};
use crate::auth::AuthUser;
use crate::bindings::{self, BindRequest};
use crate::error::AdminResult;
use crate::inner::InnerCaller;
use crate::params::{self, Query};
use crate::state::AppState;

/// Largest page of `GET /admin/bindings`, as the other console lists.
pub(super) const MAX_LIST_LIMIT: i64 = 20;

/// Exchanges `authCode` and binds `bizId`: the binding.
pub async fn bind(
    _: InnerCaller,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> AdminResult<HttpResponse> {
    let request: BindRequest = params::json(&body)?;
    Ok(ok(bindings::bind(&state, &request).await?))
}

/// The binding of `bizId`, null when it is not bound.
pub async fn find(
    _: InnerCaller,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> AdminResult<HttpResponse> {
    let query = Query::parse(req.query_string())?;
    let biz_id = query.required("bizId")?;
    Ok(ok(bindings::find(&state, biz_id).await?))
}

/// `{total, records}`: `offset`, `limit` (≤ 20, default 10), `bizId`, `appid`.
pub async fn list(
    _: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> AdminResult<HttpResponse> {
    let query = Query::parse(req.query_string())?;
    let (offset, limit) = query.page(10, MAX_LIST_LIMIT)?;
    let biz_id = match query.text("bizId") {
        Some(b) => {
            bindings::check_biz_id(b)?;
            Some(b.to_string())
        }
        None => None,
    };
    let appid = params::optional_appid(&query)?;
    let (total, records) = bindings::page(&state, biz_id, appid, offset, limit).await?;
    Ok(ok(json!({ "total": total, "records": records })))
}

/// `POST /admin/unbind` body.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct UnbindBody {
    /// The business id to unbind.
    #[serde(default)]
    biz_id: String,
}

/// Removes the binding of `bizId`.
pub async fn unbind(
    _: AuthUser,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> AdminResult<HttpResponse> {
    let body: UnbindBody = params::json(&body)?;
    bindings::unbind(&state, &body.biz_id).await?;
    Ok(ok_empty())
}
