//! Operators' keyword auto-reply rules: `GET/POST /api/autoreply`,
//! `DELETE /api/autoreply/{id}` (operator token required).

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::error::BusinessError;
use crate::routes::oa::Operator;
use crate::{autoreply, AppState};

#[derive(Deserialize)]
pub struct ListQuery {
    appid: Option<String>,
}

/// Rules of an account (with the global ones), or all.
pub async fn list(
    _: Operator,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, BusinessError> {
    let rules = autoreply::list(&state.db, query.into_inner().appid).await?;
    Ok(HttpResponse::Ok().json(json!({"code": 0, "data": rules})))
}

/// Creates a rule.
pub async fn create(
    _: Operator,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, BusinessError> {
    let rule = autoreply::parse_new_rule(&body)?;
    let rule = autoreply::create(&state.db, rule).await?;
    Ok(HttpResponse::Ok().json(json!({"code": 0, "data": rule})))
}

/// Deletes a rule.
pub async fn delete(
    _: Operator,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, BusinessError> {
    let id: i32 = path
        .parse()
        .map_err(|_| BusinessError::BadRequest("id参数错误: id must be a number".into()))?;
    if !autoreply::delete(&state.db, id).await? {
        return Err(BusinessError::NotFound(format!("no auto-reply rule {id}")));
    }
    Ok(HttpResponse::Ok().json(json!({"code": 0, "data": {"id": id}})))
}
