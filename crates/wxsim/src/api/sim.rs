//! `/__sim/*`: what tests and the CLI use to inspect and steer the simulator.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::calls::{lock, Fault};
use crate::errors::{WxError, WxResult};
use crate::state::SimState;

/// Registers the inspection and control routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/__sim/healthz", web::get().to(healthz))
        .route("/__sim/calls", web::get().to(calls))
        .route("/__sim/calls/log", web::get().to(call_log))
        .route("/__sim/faults", web::get().to(faults))
        .route("/__sim/faults", web::post().to(set_fault))
        .route("/__sim/faults", web::delete().to(clear_fault))
        .route("/__sim/clock", web::get().to(clock))
        .route("/__sim/clock/advance", web::post().to(advance_clock))
        .route(
            "/__sim/authorizer-info",
            web::post().to(set_authorizer_info),
        )
        .route("/__sim/state", web::get().to(snapshot))
        .route("/__sim/reset", web::post().to(reset));
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

async fn calls(state: web::Data<SimState>) -> HttpResponse {
    HttpResponse::Ok().json(state.calls.counts())
}

#[derive(Deserialize)]
struct LogQuery {
    path: Option<String>,
    appid: Option<String>,
}

/// `GET /__sim/calls/log?path=&appid=`: the time-stamped calls, oldest
/// first, of one path and/or appid or all.
async fn call_log(state: web::Data<SimState>, query: web::Query<LogQuery>) -> HttpResponse {
    let log: Vec<_> = state
        .calls
        .log()
        .into_iter()
        .filter(|c| query.path.as_ref().is_none_or(|p| &c.path == p))
        .filter(|c| {
            query
                .appid
                .as_ref()
                .is_none_or(|a| c.appid.as_ref() == Some(a))
        })
        .collect();
    HttpResponse::Ok().json(log)
}

async fn faults(state: web::Data<SimState>) -> HttpResponse {
    HttpResponse::Ok().json(state.calls.faults())
}

#[derive(Deserialize)]
struct FaultRequest {
    path: String,
    #[serde(flatten)]
    fault: Fault,
}

async fn set_fault(
    state: web::Data<SimState>,
    body: web::Json<FaultRequest>,
) -> WxResult<HttpResponse> {
    let FaultRequest { path, fault } = body.into_inner();
    if !path.starts_with('/') {
        return Err(WxError::bad_body("path must start with /"));
    }
    if fault.errcode.is_none() && fault.http_status.is_none() && fault.delay_ms.is_none() {
        return Err(WxError::bad_body(
            "a fault needs errcode, http_status or delay_ms",
        ));
    }
    state.calls.set_fault(&path, fault);
    Ok(crate::errors::ok())
}

#[derive(Deserialize)]
struct PathQuery {
    path: String,
}

async fn clear_fault(state: web::Data<SimState>, query: web::Query<PathQuery>) -> HttpResponse {
    state.calls.clear_fault(&query.path);
    crate::errors::ok()
}

async fn clock(state: web::Data<SimState>) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({
        "now": state.now(),
        "offset": state.clock.offset(),
    }))
}

#[derive(Deserialize)]
struct Advance {
    secs: i64,
}

async fn advance_clock(state: web::Data<SimState>, body: web::Json<Advance>) -> HttpResponse {
    state.clock.advance(body.secs);
    HttpResponse::Ok().json(serde_json::json!({"now": state.now(), "offset": state.clock.offset()}))
}

#[derive(Deserialize)]
struct AuthorizerInfoRequest {
    authorizer_appid: String,
    authorizer_info: serde_json::Map<String, serde_json::Value>,
}

/// `POST /__sim/authorizer-info {authorizer_appid, authorizer_info: {...}}`:
/// the given fields replace the generated ones in the account's
/// `api_get_authorizer_info` answers from now on (also before it authorizes);
/// answers every field set for it so far.
async fn set_authorizer_info(
    state: web::Data<SimState>,
    body: web::Json<AuthorizerInfoRequest>,
) -> WxResult<HttpResponse> {
    let AuthorizerInfoRequest {
        authorizer_appid,
        authorizer_info,
    } = body.into_inner();
    if authorizer_appid.is_empty() {
        return Err(WxError::bad_body("authorizer_appid is required"));
    }
    let mut component = lock(&state.component);
    let set = component
        .authorizer_info
        .entry(authorizer_appid.clone())
        .or_default();
    set.extend(authorizer_info);
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "authorizer_appid": authorizer_appid,
        "authorizer_info": set,
    })))
}

async fn snapshot(state: web::Data<SimState>) -> WxResult<HttpResponse> {
    let tokens: Vec<_> = lock(&state.tokens).all().cloned().collect();
    let component =
        serde_json::to_value(&*lock(&state.component)).map_err(|_| WxError::system())?;
    let accounts = serde_json::to_value(&*lock(&state.accounts)).map_err(|_| WxError::system())?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "now": state.now(),
        "tokens": tokens,
        "component": component,
        "accounts": accounts,
    })))
}

async fn reset(state: web::Data<SimState>) -> HttpResponse {
    state.reset();
    crate::errors::ok()
}
