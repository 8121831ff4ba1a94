//! `POST /api/bind {authCode, bizId}` and `GET /api/bind?bizId=`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::error::BusinessError;
use crate::{binding, AppState};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BindBody {
    #[serde(default)]
    auth_code: String,
    #[serde(default)]
    biz_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BindingQuery {
    #[serde(default)]
    biz_id: String,
}

/// `{"code":0,"data":binding}` once the code is exchanged and the id bound.
pub async fn bind(
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, BusinessError> {
    let body: BindBody = serde_json::from_slice(&body).map_err(|e| {
        BusinessError::BadRequest(format!(
            "a JSON body {{\"authCode\": ..., \"bizId\": ...}} is required: {e}"
        ))
    })?;
    let bound = binding::bind(&state, body.auth_code.trim(), body.biz_id.trim()).await?;
    Ok(HttpResponse::Ok().json(json!({"code": 0, "data": bound})))
}

/// `{"code":0,"data":binding}`, `data` null when `bizId` is not bound.
pub async fn query(
    state: web::Data<AppState>,
    query: web::Query<BindingQuery>,
) -> Result<HttpResponse, BusinessError> {
    let bound = binding::binding(&state, query.biz_id.trim()).await?;
    Ok(HttpResponse::Ok().json(json!({"code": 0, "data": bound})))
}
