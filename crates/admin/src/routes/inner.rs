//! The inner API: `GET /inner/component-access-token`,
//! `/inner/authorizer-access-token?appid=`, `/inner/ticket` (wxcomponent's
//! answers), and `/inner/routes` for the gateway.
//!
//! A caller whose token WeChat rejected (40001/42001) reports it with
//! `POST /inner/token-rejected {appid, token}` (in the body, so tokens never
//! reach request logs): it is invalidated only if it is still the current
//! one, and the answer carries the token now current (refreshed once,
//! however many callers report it).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use common::envelope::Envelope;
use common::tokens::TokenKey;
use common::upstream_health;
use serde_json::json;

use super::ok;
use super::tokens::load_ticket;
use crate::error::{AdminError, AdminResult};
use crate::inner::InnerCaller;
use crate::params::{self, Query};
use crate::proxy;
use crate::state::AppState;

/// `{"token": component_access_token}`.
pub async fn component_token(
    _: InnerCaller,
    state: web::Data<AppState>,
) -> AdminResult<HttpResponse> {
    let token = state.tokens.component_token().await?;
    Ok(ok(json!({ "token": token })))
}

/// `{"token": authorizer_access_token}` of `appid`.
pub async fn authorizer_token(
    _: InnerCaller,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> AdminResult<HttpResponse> {
    let query = Query::parse(req.query_string())?;
    let appid = params::appid(&query)?;
    let token = state.tokens.authorizer_token(&appid).await?;
    Ok(ok(json!({ "token": token })))
}

/// `POST /inner/token-rejected` body.
#[derive(serde::Deserialize, utoipa::ToSchema)]
pub(super) struct RejectedBody {
    /// The authorizer, empty for the component token.
    #[serde(default)]
    appid: String,
    /// The token WeChat rejected.
    token: String,
}

/// `POST /inner/token-rejected {appid, token}` (`appid` empty for the
/// component token): invalidates `token` if it is still current; answers
/// `{invalidated, token}` with the token now current.
pub async fn token_rejected(
    _: InnerCaller,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> AdminResult<HttpResponse> {
    let body: RejectedBody = params::json(&body)?;
    if body.token.is_empty() {
        return Err(AdminError::invalid("token: required"));
    }
    let key = if body.appid.is_empty() {
        TokenKey::Component
    } else {
        params::check_appid(&body.appid)?;
        TokenKey::Authorizer(body.appid.clone())
    };
    let invalidated = state.tokens.report_rejected(&key, &body.token).await?;
    tracing::info!(token = ?key, invalidated, "caller reported a rejected token");
    let token = state.tokens.get(&key).await?.token;
    Ok(ok(json!({ "invalidated": invalidated, "token": token })))
}

/// `{"ticket": ...}` or 1007.
pub async fn ticket(_: InnerCaller, state: web::Data<AppState>) -> AdminResult<HttpResponse> {
    Ok(ok(json!({ "ticket": load_ticket(&state).await? })))
}

/// Keeps the upstream health report a gateway's poll carries, if any
/// ([`common::upstream_health`]); an unreadable one is logged, not fatal
/// to the poll.
fn note_gateway_report(req: &HttpRequest, state: &AppState) {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let (Some(gateway), Some(report)) = (
        header(upstream_health::GATEWAY_HEADER),
        header(upstream_health::UPSTREAMS_HEADER),
    ) else {
        return;
    };
    if let Err(e) = state.gateway_reports.record_headers(gateway, report) {
        tracing::warn!(error = %e, "ignored a gateway's upstream health report");
    }
}

/// The gateway's routing document with an `ETag`; 304 when the gateway's
/// `If-None-Match` still matches. Failures use real HTTP statuses here.
pub async fn routes(_: InnerCaller, req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    note_gateway_report(&req, &state);
    let document = match state.db.run(proxy::routing_document).await {
        Ok(d) => d,
        Err(e) => return AdminError::from(e).response_with(StatusCode::SERVICE_UNAVAILABLE),
    };
    let etag = document.etag();
    let unchanged = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if unchanged {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .finish();
    }
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .json(Envelope::ok(document))
}
