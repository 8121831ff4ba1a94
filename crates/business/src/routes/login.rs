//! `GET /api/login` and the example protected route `GET /api/me`.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::error::BusinessError;
use crate::{login, AppState};

#[derive(Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    code: String,
    appid: Option<String>,
}

/// `{"code":0,"data":{"token":...}}` for a valid `code`.
pub async fn login(
    state: web::Data<AppState>,
    query: web::Query<LoginQuery>,
) -> Result<HttpResponse, BusinessError> {
    let token = login::login(&state, query.code.trim(), query.appid.as_deref()).await?;
    Ok(HttpResponse::Ok().json(json!({"code": 0, "data": {"token": token}})))
}

/// Requires our token; answers who the caller is.
pub async fn me(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, BusinessError> {
    let token = bearer(&req).ok_or_else(|| {
        BusinessError::Unauthorized("请先登录 (missing Authorization: Bearer <token>)".into())
    })?;
    let claims = login::verify(&state, token)?;
    let session = login::has_session(&state.db, &claims.appid, &claims.sub).await?;
    Ok(HttpResponse::Ok().json(json!({
        "code": 0,
        "data": {"openid": claims.sub, "appid": claims.appid, "expiresAt": claims.exp, "session": session},
    })))
}

/// The bearer token of a request.
pub fn bearer(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
}
