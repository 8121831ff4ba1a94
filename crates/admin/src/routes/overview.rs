//! `GET /admin/overview`: the console's home page in one answer (see
//! [`crate::overview`]).

use actix_web::{web, HttpResponse};

use super::ok;
use crate::auth::AuthUser;
use crate::error::AdminResult;
use crate::overview;
use crate::state::AppState;

/// The overview now.
pub async fn get(_: AuthUser, state: web::Data<AppState>) -> AdminResult<HttpResponse> {
    Ok(ok(overview::overview(&state).await?))
}
