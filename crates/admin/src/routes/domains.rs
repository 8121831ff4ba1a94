//! Server and business domains (`crate::domains`): the platform's registers
//! first, then each mini program's (`?appid=` on reads, `appid` in bodies).

use actix_web::{web, HttpRequest, HttpResponse};

use super::ok;
use crate::auth::AuthUser;
use crate::domains::{self, PlatformDomainChange, PlatformRegister};
use crate::error::{AdminError, AdminResult};
use crate::params::{self, Query};
use crate::state::AppState;

/// `?directly=true` reads what was set directly (false when absent).
fn directly(query: &Query) -> Result<bool, AdminError> {
    match query.text("directly") {
        None | Some("false" | "0") => Ok(false),
        Some("true" | "1") => Ok(true),
        Some(other) => Err(AdminError::invalid(format!(
            "directly: must be true or false, got {other:?}"
        ))),
    }
}

/// `{testing, published, invalid}` of the platform's 小程序服务器域名.
pub async fn platform_server(_: AuthUser, state: web::Data<AppState>) -> AdminResult<HttpResponse> {
    Ok(ok(domains::platform_domains(
        &state,
        PlatformRegister::Server,
    )
    .await?))
}

/// `{action, domains, publishedTogether}` → the register after the change.
pub async fn modify_platform_server(
    _: AuthUser,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> AdminResult<HttpResponse> {
    let change: PlatformDomainChange = params::json(&body)?;
    Ok(ok(domains::modify_platform_domains(
        &state,
        PlatformRegister::Server,
        &change,
    )
    .await?))
}

/// `{testing, published, invalid}` of the platform's 小程序业务域名.
pub async fn platform_jump(_: AuthUser, state: web::Data<AppState>) -> AdminResult<HttpResponse> {
    Ok(ok(domains::platform_domains(
        &state,
        PlatformRegister::Jump,
    )
    .await?))
}

/// `{action, domains, publishedTogether}` → the register after the change.
pub async fn modify_platform_jump(
    _: AuthUser,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> AdminResult<HttpResponse> {
    let change: PlatformDomainChange = params::json(&body)?;
    Ok(ok(domains::modify_platform_domains(
        &state,
        PlatformRegister::Jump,
        &change,
    )
    .await?))
}

/// `{fileName, fileContent}`: what each platform business domain serves.
pub async fn platform_confirm_file(
    _: AuthUser,
    state: web::Data<AppState>,
) -> AdminResult<HttpResponse> {
    Ok(ok(domains::platform_confirm_file(&state).await?))
}

/// The six lists of `?appid=` (`&directly=true`: the ones set directly).
pub async fn server_domain(
    _: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> AdminResult<HttpResponse> {
    let query = Query::parse(req.query_string())?;
    let appid = params::appid(&query)?;
    Ok(ok(domains::server_domains(
        &state,
        &appid,
        directly(&query)?,
    )
    .await?))
}

/// `{appid, action, requestDomain?, ..., directly?}` → the six lists after
/// the change, plus `invalid*` for what WeChat left out.
pub async fn modify_server_domain(
    _: AuthUser,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> AdminResult<HttpResponse> {
    let (appid, change) = domains::server_domain_request(&body)?;
    Ok(ok(
        domains::modify_server_domains(&state, &appid, &change).await?
    ))
}

/// `{mpDomain, thirdDomain, directDomain, effectiveDomain}` of `?appid=`.
pub async fn effective_domain(
    _: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> AdminResult<HttpResponse> {
    let appid = params::appid(&Query::parse(req.query_string())?)?;
    Ok(ok(domains::effective_domains(&state, &appid).await?))
}

/// `{webviewDomain}` of `?appid=` (`&directly=true`: the ones set directly).
pub async fn webview_domain(
    _: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> AdminResult<HttpResponse> {
    let query = Query::parse(req.query_string())?;
    let appid = params::appid(&query)?;
    Ok(ok(domains::webview_domains(
        &state,
        &appid,
        directly(&query)?,
    )
    .await?))
}

/// `{appid, action, webviewDomain, directly?}` → `{webviewDomain}` after the change.
pub async fn modify_webview_domain(
    _: AuthUser,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> AdminResult<HttpResponse> {
    let (appid, change) = domains::webview_domain_request(&body)?;
    Ok(ok(
        domains::modify_webview_domains(&state, &appid, &change).await?
    ))
}

/// `{fileName, fileContent}` of `?appid=`: what a business domain set
/// directly must serve.
pub async fn webview_confirm_file(
    _: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> AdminResult<HttpResponse> {
    let appid = params::appid(&Query::parse(req.query_string())?)?;
    Ok(ok(domains::webview_confirm_file(&state, &appid).await?))
}
