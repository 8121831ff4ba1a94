//! Binding a business id (the operator's own merchant id) to the account
//! that authorized through the operator's page: the page receives
//! `auth_code` from WeChat's redirect and hands it with its business id to
//! a business service, which calls `POST /inner/bindings`. The code is
//! exchanged synchronously with `common::authorization`, once even when the
//! `authorized` push carrying it reaches the callback receiver at the same
//! moment, and the binding is stored in `common::db::bindings`.
//!
//! Input is checked before WeChat is called; a refusal (a code unknown,
//! used or expired) leaves every stored row as it was.

use common::authorization;
use common::db::bindings::{self, Binding, PageQuery, AUTH_CODE_WIDTH, BIZ_ID_WIDTH};
use common::db::now;
use serde::Deserialize;

use crate::error::AdminError;
use crate::state::AppState;

/// `POST /inner/bindings` body.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BindRequest {
    /// `auth_code` of WeChat's redirect.
    #[serde(default)]
    pub auth_code: String,
    /// The operator's business id.
    #[serde(default)]
    pub biz_id: String,
}

/// Refuses business ids the table cannot keep as given: empty, longer than
/// the column, or with control characters.
pub fn check_biz_id(biz_id: &str) -> Result<(), AdminError> {
    if biz_id.trim().is_empty() {
        return Err(AdminError::invalid("bizId: required"));
    }
    if biz_id.chars().count() > BIZ_ID_WIDTH {
        return Err(AdminError::invalid(format!(
            "bizId: at most {BIZ_ID_WIDTH} characters"
        )));
    }
    if biz_id.chars().any(char::is_control) || biz_id.trim() != biz_id {
        return Err(AdminError::invalid(
            "bizId: no control characters or surrounding spaces",
        ));
    }
    Ok(())
}

/// Refuses what cannot be a WeChat authorization code (printable ASCII).
fn check_auth_code(auth_code: &str) -> Result<(), AdminError> {
    if auth_code.is_empty() {
        return Err(AdminError::invalid("authCode: required"));
    }
    let printable = auth_code.chars().all(|c| c.is_ascii_graphic());
    if !printable || auth_code.len() > AUTH_CODE_WIDTH {
        return Err(AdminError::invalid(format!(
            "authCode: not a WeChat authorization code (printable ASCII, at most {AUTH_CODE_WIDTH} characters)"
        )));
    }
    Ok(())
}

/// Exchanges the code, stores the authorizer (once) and binds the business
/// id to it; answers the stored binding.
pub async fn bind(state: &AppState, request: &BindRequest) -> Result<Binding, AdminError> {
    check_auth_code(&request.auth_code)?;
    check_biz_id(&request.biz_id)?;
    let authorized_at = now().and_utc().timestamp();
    let exchanged =
        authorization::exchange(&state.tokens, &request.auth_code, authorized_at, None).await?;
    tracing::info!(
        appid = %exchanged.appid,
        reused = exchanged.reused,
        "business id bound"
    );
    let (biz_id, code) = (request.biz_id.clone(), request.auth_code.clone());
    Ok(state
        .db
        .run(move |conn| bindings::bind(conn, &biz_id, &exchanged.appid, &code))
        .await?)
}

/// The binding of `biz_id`, `None` when it is not bound.
pub async fn find(state: &AppState, biz_id: &str) -> Result<Option<Binding>, AdminError> {
    check_biz_id(biz_id)?;
    let biz_id = biz_id.to_string();
    Ok(state
        .db
        .run(move |conn| bindings::find(conn, &biz_id))
        .await?)
}

/// A page of bindings, filtered by business id and account.
pub async fn page(
    state: &AppState,
    biz_id: Option<String>,
    appid: Option<String>,
    offset: i64,
    limit: i64,
) -> Result<(i64, Vec<Binding>), AdminError> {
    Ok(state
        .db
        .run(move |conn| {
            let query = PageQuery {
                biz_id: biz_id.as_deref(),
                appid: appid.as_deref(),
                offset,
                limit,
            };
            bindings::page(conn, &query)
        })
        .await?)
}

/// Removes the binding of `biz_id` (the account stays authorized: only the
/// account itself can revoke that, on WeChat's side); 1001 when there is none.
pub async fn unbind(state: &AppState, biz_id: &str) -> Result<(), AdminError> {
    check_biz_id(biz_id)?;
    let lookup = biz_id.to_string();
    let removed = state
        .db
        .run(move |conn| bindings::unbind(conn, &lookup))
        .await?;
    if removed {
        Ok(())
    } else {
        Err(AdminError::invalid(format!("bizId: {biz_id} is not bound")))
    }
}
