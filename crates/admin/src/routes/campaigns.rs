//! Release campaigns (`crate::campaigns`), as the console's 批量发版 page
//! calls them: create, list, one, its accounts, and the four actions.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::{ok, ok_empty};
use crate::auth::AuthUser;
use crate::campaigns::{self, spec::CampaignRequest, store::AccountState};
use crate::error::{AdminError, AdminResult};
use crate::params::{self, Query};
use crate::state::AppState;

/// Most rows of one page.
pub(super) const MAX_LIMIT: i64 = 200;

fn campaign_id(value: i64) -> Result<i32, AdminError> {
    i32::try_from(value)
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| AdminError::invalid(format!("id: {value} is not a campaign id")))
}

/// `{id}` of the actions' bodies.
#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct IdBody {
    /// The campaign.
    id: i64,
}

fn body_id(body: &[u8]) -> Result<i32, AdminError> {
    let IdBody { id } = params::json(body)?;
    campaign_id(id)
}

/// Creates and starts a campaign: `{id}`.
pub async fn create(
    _: AuthUser,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> AdminResult<HttpResponse> {
    let request: CampaignRequest = params::json(&body)?;
    let id = campaigns::create(&state, request).await?;
    Ok(ok(json!({ "id": id })))
}

/// `{total, records}`: `offset`, `limit` (≤ 200).
pub async fn list(
    _: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> AdminResult<HttpResponse> {
    let query = Query::parse(req.query_string())?;
    let (offset, limit) = query.page(20, MAX_LIMIT)?;
    let (total, records) = campaigns::list(&state, offset, limit).await?;
    Ok(ok(json!({ "total": total, "records": records })))
}

/// One campaign: `?id=`.
pub async fn get(
    _: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> AdminResult<HttpResponse> {
    let query = Query::parse(req.query_string())?;
    let id = campaign_id(query.int("id", 0)?)?;
    Ok(ok(campaigns::get(&state, id).await?))
}

/// `{total, records}` of a campaign's mini programs: `id`, `state` (empty =
/// all), `offset`, `limit` (≤ 200).
pub async fn accounts(
    _: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> AdminResult<HttpResponse> {
    let query = Query::parse(req.query_string())?;
    let id = campaign_id(query.int("id", 0)?)?;
    let account_state = match query.text("state") {
        None => None,
        Some(text) => Some(AccountState::parse(text).ok_or_else(|| {
            AdminError::invalid(format!(
                "state: {text:?} is none of pending, running, waiting_audit, released, done, audit_rejected, failed, cancelled"
            ))
        })?),
    };
    let (offset, limit) = query.page(50, MAX_LIMIT)?;
    let (total, records) = campaigns::accounts(&state, id, account_state, offset, limit).await?;
    Ok(ok(json!({ "total": total, "records": records })))
}

/// `POST /admin/campaign-pause {id}`: stops claiming its accounts.
pub async fn pause(
    _: AuthUser,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> AdminResult<HttpResponse> {
    campaigns::pause(&state, body_id(&body)?).await?;
    Ok(ok_empty())
}

/// `POST /admin/campaign-resume {id}`: works a paused campaign again.
pub async fn resume(
    _: AuthUser,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> AdminResult<HttpResponse> {
    campaigns::resume(&state, body_id(&body)?).await?;
    Ok(ok_empty())
}

/// `POST /admin/campaign-cancel {id}`: cancels the accounts not yet submitted.
pub async fn cancel(
    _: AuthUser,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> AdminResult<HttpResponse> {
    campaigns::cancel(&state, body_id(&body)?).await?;
    Ok(ok_empty())
}

/// `POST /admin/campaign-retry {id}`: puts failed and rejected accounts
/// back to work; `{requeued}`.
pub async fn retry(
    _: AuthUser,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> AdminResult<HttpResponse> {
    let requeued = campaigns::retry(&state, body_id(&body)?).await?;
    Ok(ok(json!({ "requeued": requeued })))
}
