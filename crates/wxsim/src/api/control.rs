//! `/__sim/*` actions that play WeChat's side: push a ticket, authorize or
//! revoke, send a user message, run the full-network-release check. Tests and
//! the `wxsim` CLI drive the simulator through these.

use actix_web::{web, HttpResponse};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::json;

use super::component::parse_body;
use crate::calls::lock;
use crate::errors::{WxError, WxResult};
use crate::flows::{self, AuthorizeRequest, MessageRequest};
use crate::release_check::{self, ReleaseCheckRequest};
use crate::state::SimState;

/// Registers the action routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/__sim/push/ticket", web::post().to(push_ticket))
        .route("/__sim/preauthcode", web::post().to(preauthcode))
        .route("/__sim/authorize", web::post().to(authorize))
        .route("/__sim/authorize/bulk", web::post().to(authorize_bulk))
        .route("/__sim/unauthorize", web::post().to(unauthorize))
        .route("/__sim/auth-code", web::post().to(auth_code))
        .route("/__sim/message", web::post().to(message))
        .route("/__sim/release-check", web::post().to(release_check))
        .route("/__sim/pushes", web::get().to(pushes));
}

/// A body that may be absent: empty means all defaults.
fn optional_body<T: DeserializeOwned + Default>(body: &[u8]) -> WxResult<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        Ok(T::default())
    } else {
        parse_body(body)
    }
}

fn json_answer(value: &impl serde::Serialize) -> WxResult<HttpResponse> {
    let value = serde_json::to_value(value).map_err(|_| WxError::system())?;
    Ok(HttpResponse::Ok().json(value))
}

async fn push_ticket(state: web::Data<SimState>) -> WxResult<HttpResponse> {
    json_answer(&flows::push_ticket(&state).await)
}

async fn preauthcode(state: web::Data<SimState>) -> HttpResponse {
    let ttl = state.settings.preauth_code_ttl_secs;
    let code = lock(&state.component).mint_preauth_code(state.now(), ttl);
    HttpResponse::Ok().json(json!({"pre_auth_code": code.code, "expires_in": ttl}))
}

async fn authorize(state: web::Data<SimState>, body: web::Bytes) -> WxResult<HttpResponse> {
    let request: AuthorizeRequest = parse_body(&body)?;
    json_answer(&flows::authorize(&state, request).await?)
}

/// Most accounts one bulk authorization creates.
pub const MAX_BULK_AUTHORIZE: usize = 10_000;

#[derive(Deserialize)]
struct BulkRequest {
    count: usize,
    prefix: Option<String>,
}

/// `POST /__sim/authorize/bulk {count, prefix?}`: `count` mini programs
/// (appids `prefix` + a zero-padded number, 18 characters as WeChat's;
/// default prefix `wxbulk`) authorize the platform with every permission
/// set it asks for, 18 included, without pushes or redirects: the
/// platform finds them with `api_get_authorizer_list`, as after
/// authorizations it missed. Answers `{authorizer_appids, created}`
/// (accounts already authorized are kept as they are).
async fn authorize_bulk(state: web::Data<SimState>, body: web::Bytes) -> WxResult<HttpResponse> {
    let request: BulkRequest = parse_body(&body)?;
    if request.count == 0 || request.count > MAX_BULK_AUTHORIZE {
        return Err(WxError::bad_body(format!(
            "count must be 1 to {MAX_BULK_AUTHORIZE}"
        )));
    }
    let prefix = request.prefix.unwrap_or_else(|| "wxbulk".into());
    let width = 18usize
        .saturating_sub(prefix.len())
        .max(request.count.to_string().len());
    if !prefix.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(WxError::bad_body("prefix must be letters and digits"));
    }
    let mut appids = Vec::with_capacity(request.count);
    let mut created = 0;
    for i in 1..=request.count {
        let appid = format!("{prefix}{i:0width$}");
        if flows::ensure_authorized(&state, &appid, true) {
            created += 1;
        }
        appids.push(appid);
    }
    Ok(HttpResponse::Ok().json(json!({"authorizer_appids": appids, "created": created})))
}

#[derive(Deserialize)]
struct AppidRequest {
    authorizer_appid: Option<String>,
    appid: Option<String>,
    #[serde(default)]
    is_mini_program: bool,
}

impl AppidRequest {
    fn appid(&self) -> WxResult<&str> {
        self.authorizer_appid
            .as_deref()
            .or(self.appid.as_deref())
            .filter(|a| !a.is_empty())
            .ok_or_else(|| WxError::missing_param(41002, "authorizer_appid"))
    }
}

async fn unauthorize(state: web::Data<SimState>, body: web::Bytes) -> WxResult<HttpResponse> {
    let request: AppidRequest = parse_body(&body)?;
    json_answer(&flows::unauthorize(&state, request.appid()?).await?)
}

async fn auth_code(state: web::Data<SimState>, body: web::Bytes) -> WxResult<HttpResponse> {
    let request: AppidRequest = parse_body(&body)?;
    let appid = request.appid()?;
    let code = flows::mint_auth_code(&state, appid, request.is_mini_program);
    Ok(HttpResponse::Ok().json(json!({
        "authorizer_appid": appid,
        "auth_code": code.code,
        "expires_in": state.settings.auth_code_ttl_secs,
        "expires_at": code.expires_at,
    })))
}

async fn message(state: web::Data<SimState>, body: web::Bytes) -> WxResult<HttpResponse> {
    let request: MessageRequest = parse_body(&body)?;
    json_answer(&flows::send_message(&state, &request).await?)
}

async fn release_check(state: web::Data<SimState>, body: web::Bytes) -> WxResult<HttpResponse> {
    let request: ReleaseCheckRequest = optional_body(&body)?;
    json_answer(&release_check::run(&state, &request).await)
}

async fn pushes(state: web::Data<SimState>) -> HttpResponse {
    let log: Vec<serde_json::Value> = lock(&state.component).push_log.iter().cloned().collect();
    HttpResponse::Ok().json(log)
}
