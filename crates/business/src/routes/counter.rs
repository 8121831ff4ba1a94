//! `GET /api/count` and `POST /api/count`, answered like the Flask template.

use actix_web::{web, HttpResponse};
use common::db::Db;
use serde_json::json;

use crate::counter;
use crate::error::BusinessError;

/// The current count as `{"code":0,"data":N}`.
pub async fn get_count(db: web::Data<Db>) -> Result<HttpResponse, BusinessError> {
    let value = counter::current(&db).await?;
    Ok(HttpResponse::Ok().json(json!({ "code": 0, "data": value })))
}

/// `{"action":"inc"}` adds one, `{"action":"clear"}` resets; answers the new count.
pub async fn update_count(
    db: web::Data<Db>,
    body: web::Bytes,
) -> Result<HttpResponse, BusinessError> {
    let action = counter::parse_action(&body)?;
    let value = counter::apply(&db, action).await?;
    Ok(HttpResponse::Ok().json(json!({ "code": 0, "data": value })))
}
