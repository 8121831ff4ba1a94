//! `POST/GET /admin/secret`, `POST /admin/componentinfo`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::{ok, ok_empty};
use crate::auth::AuthUser;
use crate::error::AdminResult;
use crate::params;
use crate::platform::{self, ComponentInfo};
use crate::state::AppState;

#[derive(Deserialize)]
struct SecretBody {
    secret: String,
}

/// Stores the component secret, sealed.
pub async fn set_secret(
    _: AuthUser,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> AdminResult<HttpResponse> {
    let body: SecretBody = params::json(&body)?;
    platform::set_secret(&state, &body.secret).await?;
    Ok(ok_empty())
}

/// `{"secret": masked}`: never more than its first and last three characters.
pub async fn get_secret(_: AuthUser, state: web::Data<AppState>) -> AdminResult<HttpResponse> {
    let masked = platform::masked_secret(&state).await?;
    Ok(ok(json!({ "secret": masked })))
}

/// Stores `{name, desc, redirectUrl}` for the authorization pages.
pub async fn set_component_info(
    _: AuthUser,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> AdminResult<HttpResponse> {
    let info: ComponentInfo = params::json(&body)?;
    platform::set_component_info(&state, info).await?;
    Ok(ok_empty())
}
