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

/// `POST /admin/secret` body.
#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct SecretBody {
    /// The component secret.
    secret: String,
}

/// Stores the component secret, sealed. A secret pinned in the
/// configuration is refused with 1002 and the reason in `data`, which
/// wxcomponent's console prints (it shows only a code for 1008).
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
///
/// One masking, ours, and it survives the console's: wxcomponent's console
/// masks what it gets once more, showing its first 5 and last 4 characters
/// around 11 `*`. Our mask keeps the secret's length and puts `*` in every
/// position it hides (all of them below 12 characters), so the console's
/// slices of it show the same 3 + 3 characters and only `*` between
/// (`abc**` + `***********` + `*xyz`), never a broken or shortened value. An
/// empty string means no secret, which the console shows as nothing.
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
