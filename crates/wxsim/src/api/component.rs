//! The fake component (third-party platform) API of `api.weixin.qq.com`:
//! same paths, query parameters, JSON fields and error codes as the real one.
//!
//! Order of checks, as WeChat does: the access token first (41001 missing,
//! 40001 unknown or replaced, 42001 expired), then the body (44002 empty,
//! 47001 not the JSON expected), then the fields (`component_appid` must be
//! the platform's, 40013 otherwise).

use std::collections::HashMap;

use actix_web::{web, HttpRequest, HttpResponse};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::json;

use crate::calls::lock;
use crate::component_state::{option_values, original_id, Authorizer};
use crate::errors::{ok, WxError, WxResult};
use crate::flows;
use crate::state::SimState;
use crate::tokens::TokenOwner;

/// Registers the component API routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/cgi-bin/component/api_component_token",
        web::post().to(component_token),
    )
    .route(
        "/cgi-bin/component/api_create_preauthcode",
        web::post().to(create_preauthcode),
    )
    .route(
        "/cgi-bin/component/api_query_auth",
        web::post().to(query_auth),
    )
    .route(
        "/cgi-bin/component/api_authorizer_token",
        web::post().to(authorizer_token),
    )
    .route(
        "/cgi-bin/component/api_get_authorizer_info",
        web::post().to(authorizer_info),
    )
    .route("/__sim/media/{kind}/{appid}", web::get().to(media))
    .route(
        "/cgi-bin/component/api_get_authorizer_list",
        web::post().to(authorizer_list),
    )
    .route(
        "/cgi-bin/component/api_start_push_ticket",
        web::post().to(start_push_ticket),
    )
    .route(
        "/cgi-bin/component/api_get_authorizer_option",
        web::post().to(get_option),
    )
    .route(
        "/cgi-bin/component/api_set_authorizer_option",
        web::post().to(set_option),
    )
    .route(
        "/cgi-bin/component/clear_quota",
        web::post().to(component_clear_quota),
    )
    .route("/cgi-bin/clear_quota", web::post().to(clear_quota));
}

/// Parses a JSON body: 44002 when empty, 47001 (naming the problem) when it
/// is not the JSON expected.
pub(crate) fn parse_body<T: DeserializeOwned>(body: &[u8]) -> WxResult<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(WxError::empty_body());
    }
    serde_json::from_slice(body).map_err(WxError::bad_body)
}

/// The query parameters of a request, leniently (a malformed query is empty).
pub(crate) fn query_params(req: &HttpRequest) -> HashMap<String, String> {
    web::Query::<HashMap<String, String>>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .unwrap_or_default()
}

/// Validates `component_access_token` of the query: it must be a current
/// token of the platform.
fn component_caller(state: &SimState, req: &HttpRequest) -> WxResult<String> {
    let params = query_params(req);
    let token = params
        .get("component_access_token")
        .filter(|t| !t.is_empty())
        .ok_or_else(WxError::missing_token)?;
    match lock(&state.tokens).validate(token, state.now())? {
        TokenOwner::Component(appid) if appid == state.settings.component_appid => Ok(appid),
        _ => Err(WxError::invalid_credential()),
    }
}

/// The body's `component_appid` must be present (41002) and the caller's (40013).
fn check_component_appid(given: Option<&str>, caller: &str) -> WxResult<()> {
    match given.filter(|a| !a.is_empty()) {
        None => Err(WxError::missing_param(41002, "component_appid")),
        Some(appid) if appid == caller => Ok(()),
        Some(_) => Err(WxError::invalid_appid()),
    }
}

fn required<'a>(value: &'a Option<String>, code: i64, name: &str) -> WxResult<&'a str> {
    value
        .as_deref()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| WxError::missing_param(code, name))
}

#[derive(Deserialize)]
struct ComponentTokenBody {
    component_appid: Option<String>,
    component_appsecret: Option<String>,
    component_verify_ticket: Option<String>,
}

async fn component_token(state: web::Data<SimState>, body: web::Bytes) -> WxResult<HttpResponse> {
    let body: ComponentTokenBody = parse_body(&body)?;
    let appid = required(&body.component_appid, 41002, "component_appid")?;
    if appid != state.settings.component_appid {
        return Err(WxError::invalid_appid());
    }
    let secret = required(&body.component_appsecret, 41004, "component_appsecret")?;
    if secret != state.settings.component_secret {
        return Err(WxError::invalid_secret());
    }
    let ticket = body.component_verify_ticket.as_deref().unwrap_or_default();
    let now = state.now();
    lock(&state.component).check_ticket(ticket, now)?;
    let (token, expires_in) = lock(&state.tokens).issue(
        TokenOwner::Component(appid.to_string()),
        now,
        state.settings.token_ttl_secs,
        state.settings.token_overlap_secs,
    );
    Ok(HttpResponse::Ok().json(json!({
        "component_access_token": token,
        "expires_in": expires_in,
    })))
}

#[derive(Deserialize)]
struct AppidBody {
    component_appid: Option<String>,
}

async fn create_preauthcode(
    state: web::Data<SimState>,
    req: HttpRequest,
    body: web::Bytes,
) -> WxResult<HttpResponse> {
    let caller = component_caller(&state, &req)?;
    let body: AppidBody = parse_body(&body)?;
    check_component_appid(body.component_appid.as_deref(), &caller)?;
    let ttl = state.settings.preauth_code_ttl_secs;
    let code = lock(&state.component).mint_preauth_code(state.now(), ttl);
    Ok(HttpResponse::Ok().json(json!({
        "pre_auth_code": code.code,
        "expires_in": ttl,
    })))
}

#[derive(Deserialize)]
struct QueryAuthBody {
    component_appid: Option<String>,
    authorization_code: Option<String>,
}

fn func_info(authorizer: &Authorizer) -> serde_json::Value {
    authorizer
        .func_info
        .iter()
        .map(|id| json!({"funcscope_category": {"id": id}}))
        .collect()
}

async fn query_auth(
    state: web::Data<SimState>,
    req: HttpRequest,
    body: web::Bytes,
) -> WxResult<HttpResponse> {
    let caller = component_caller(&state, &req)?;
    let body: QueryAuthBody = parse_body(&body)?;
    check_component_appid(body.component_appid.as_deref(), &caller)?;
    let code = required(&body.authorization_code, 41002, "authorization_code")?;
    let now = state.now();
    let authorizer = {
        let mut component = lock(&state.component);
        let code = component.consume_auth_code(code, now)?;
        component
            .authorizers
            .get(&code.authorizer_appid)
            .cloned()
            .ok_or_else(|| flows::not_authorized(&code.authorizer_appid))?
    };
    let (token, expires_in) = lock(&state.tokens).issue(
        TokenOwner::Authorizer(authorizer.appid.clone()),
        now,
        state.settings.token_ttl_secs,
        state.settings.token_overlap_secs,
    );
    Ok(HttpResponse::Ok().json(json!({
        "authorization_info": {
            "authorizer_appid": authorizer.appid,
            "authorizer_access_token": token,
            "expires_in": expires_in,
            "authorizer_refresh_token": authorizer.refresh_token,
            "func_info": func_info(&authorizer),
        }
    })))
}

#[derive(Deserialize)]
struct AuthorizerTokenBody {
    component_appid: Option<String>,
    authorizer_appid: Option<String>,
    authorizer_refresh_token: Option<String>,
}

async fn authorizer_token(
    state: web::Data<SimState>,
    req: HttpRequest,
    body: web::Bytes,
) -> WxResult<HttpResponse> {
    let caller = component_caller(&state, &req)?;
    let body: AuthorizerTokenBody = parse_body(&body)?;
    check_component_appid(body.component_appid.as_deref(), &caller)?;
    let appid = required(&body.authorizer_appid, 41002, "authorizer_appid")?;
    let refresh = required(
        &body.authorizer_refresh_token,
        61023,
        "authorizer_refresh_token",
    )?;
    let refresh_token = {
        let component = lock(&state.component);
        match component.authorizers.get(appid) {
            Some(a) if a.refresh_token == refresh => a.refresh_token.clone(),
            _ => return Err(WxError::new(61023, "refresh_token is invalid")),
        }
    };
    let (token, expires_in) = lock(&state.tokens).issue(
        TokenOwner::Authorizer(appid.to_string()),
        state.now(),
        state.settings.token_ttl_secs,
        state.settings.token_overlap_secs,
    );
    Ok(HttpResponse::Ok().json(json!({
        "authorizer_access_token": token,
        "expires_in": expires_in,
        "authorizer_refresh_token": refresh_token,
    })))
}

#[derive(Deserialize)]
struct AuthorizerBody {
    component_appid: Option<String>,
    authorizer_appid: Option<String>,
}

/// `GET /__sim/media/{head|qrcode}/{appid}`: a small SVG standing in for
/// the account's head image or QR code when `media_url` points here.
async fn media(path: web::Path<(String, String)>) -> HttpResponse {
    let (kind, appid) = path.into_inner();
    let colour = match kind.as_str() {
        "head" => "#07c160",
        "qrcode" => "#1f2329",
        _ => return HttpResponse::NotFound().finish(),
    };
    let initial: String = appid
        .chars()
        .rev()
        .take(2)
        .filter(char::is_ascii_alphanumeric)
        .collect();
    HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header(("cache-control", "max-age=86400"))
        .body(format!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64"><rect width="64" height="64" rx="8" fill="{colour}"/><text x="32" y="40" font-size="22" text-anchor="middle" fill="#fff" font-family="sans-serif">{initial}</text></svg>"##
        ))
}

/// Where the account's `kind` image is: wxsim's own stand-in when
/// `media_url` is set, else WeChat's host as WeChat answers.
fn media_link(media_url: &str, kind: &str, appid: &str, wechat: String) -> String {
    let base = media_url.trim_end_matches('/');
    if base.is_empty() {
        wechat
    } else {
        format!("{base}/__sim/media/{kind}/{appid}")
    }
}

/// The `authorizer_info` object WeChat returns for `authorizer`; stable
/// per appid so tests can predict it. Image links go to `media_url` when set.
pub fn authorizer_info_json(authorizer: &Authorizer, media_url: &str) -> serde_json::Value {
    let appid = &authorizer.appid;
    let user_name = original_id(appid);
    let short = appid.get(appid.len().saturating_sub(6)..).unwrap_or(appid);
    let kind = if authorizer.is_mini_program {
        "小程序"
    } else {
        "公众号"
    };
    let mut info = json!({
        "nick_name": format!("wxsim {kind} {short}"),
        "head_img": media_link(media_url, "head", appid, format!("http://wx.qlogo.cn/mmopen/wxsim/{appid}/0")),
        "service_type_info": {"id": if authorizer.is_mini_program { 0 } else { 2 }},
        "verify_type_info": {"id": 0},
        "user_name": user_name,
        "principal_name": "wxsim 测试主体",
        "alias": if authorizer.is_mini_program { String::new() } else { format!("wxsim_{short}") },
        "business_info": {
            "open_store": 0,
            "open_scan": 0,
            "open_pay": 0,
            "open_card": 0,
            "open_shake": 0,
        },
        "qrcode_url": media_link(media_url, "qrcode", appid, format!("http://mmbiz.qpic.cn/mmbiz_jpg/wxsim/{appid}/0")),
        "signature": format!("wxsim simulated account {appid}"),
        "account_status": 1,
        "register_type": 0,
        "idc": 1,
        "basic_config": {"is_phone_configured": true, "is_email_configured": true},
    });
    if authorizer.is_mini_program {
        info["MiniProgramInfo"] = json!({
            "network": {
                "RequestDomain": ["https://api.example.com"],
                "WsRequestDomain": [],
                "UploadDomain": [],
                "DownloadDomain": [],
                "BizDomain": [],
                "UDPDomain": [],
                "TCPDomain": [],
            },
            "categories": [{"first": "工具", "second": "效率"}],
            "visit_status": 0,
        });
    }
    info
}

async fn authorizer_info(
    state: web::Data<SimState>,
    req: HttpRequest,
    body: web::Bytes,
) -> WxResult<HttpResponse> {
    let caller = component_caller(&state, &req)?;
    let body: AuthorizerBody = parse_body(&body)?;
    check_component_appid(body.component_appid.as_deref(), &caller)?;
    let appid = required(&body.authorizer_appid, 41002, "authorizer_appid")?;
    let (authorizer, set) = {
        let component = lock(&state.component);
        let authorizer = component
            .authorizers
            .get(appid)
            .cloned()
            .ok_or_else(|| flows::not_authorized(appid))?;
        (authorizer, component.authorizer_info.get(appid).cloned())
    };
    let mut info = authorizer_info_json(&authorizer, &state.settings.media_url);
    for (field, value) in set.unwrap_or_default() {
        info[field] = value;
    }
    Ok(HttpResponse::Ok().json(json!({
        "authorizer_info": info,
        "authorization_info": {
            "authorizer_appid": authorizer.appid,
            // Older answers (and wxcomponent's Go struct) spell it this way.
            "authorization_appid": authorizer.appid,
            "authorizer_refresh_token": authorizer.refresh_token,
            "func_info": func_info(&authorizer),
        },
    })))
}

#[derive(Deserialize)]
struct ListBody {
    component_appid: Option<String>,
    offset: Option<i64>,
    count: Option<i64>,
}

async fn authorizer_list(
    state: web::Data<SimState>,
    req: HttpRequest,
    body: web::Bytes,
) -> WxResult<HttpResponse> {
    let caller = component_caller(&state, &req)?;
    let body: ListBody = parse_body(&body)?;
    check_component_appid(body.component_appid.as_deref(), &caller)?;
    let offset = body.offset.unwrap_or(0);
    let count = body
        .count
        .ok_or_else(|| WxError::missing_param(41002, "count"))?;
    if offset < 0 {
        return Err(WxError::new(40097, "invalid args: offset must be >= 0"));
    }
    if !(1..=500).contains(&count) {
        return Err(WxError::new(40097, "invalid args: count must be 1..=500"));
    }
    let component = lock(&state.component);
    let mut all: Vec<&Authorizer> = component.authorizers.values().collect();
    all.sort_by(|a, b| {
        a.authorized_at
            .cmp(&b.authorized_at)
            .then_with(|| a.appid.cmp(&b.appid))
    });
    let list: Vec<_> = all
        .iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(count).unwrap_or(0))
        .map(|a| {
            json!({
                "authorizer_appid": a.appid,
                "refresh_token": a.refresh_token,
                "auth_time": a.authorized_at,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "total_count": all.len(),
        "list": list,
    })))
}

#[derive(Deserialize)]
struct StartPushBody {
    component_appid: Option<String>,
    component_secret: Option<String>,
}

async fn start_push_ticket(state: web::Data<SimState>, body: web::Bytes) -> WxResult<HttpResponse> {
    let body: StartPushBody = parse_body(&body)?;
    let appid = required(&body.component_appid, 41002, "component_appid")?;
    if appid != state.settings.component_appid {
        return Err(WxError::invalid_appid());
    }
    let secret = required(&body.component_secret, 41004, "component_secret")?;
    if secret != state.settings.component_secret {
        return Err(WxError::invalid_secret());
    }
    // WeChat answers at once and pushes afterwards: the platform may be busy
    // answering this very call when the push arrives.
    let ticket = flows::mint_ticket(&state);
    let pusher = state.clone();
    actix_web::rt::spawn(async move {
        let outcome = flows::push_existing_ticket(&pusher, &ticket).await;
        if !outcome.delivered {
            tracing::warn!(
                error = outcome.error.as_deref().unwrap_or(""),
                "ticket push after api_start_push_ticket failed"
            );
        }
    });
    Ok(ok())
}

#[derive(Deserialize)]
struct OptionBody {
    component_appid: Option<String>,
    authorizer_appid: Option<String>,
    option_name: Option<String>,
    option_value: Option<serde_json::Value>,
}

fn option_name(body: &OptionBody) -> WxResult<(&str, &'static [&'static str])> {
    let name = required(&body.option_name, 41002, "option_name")?;
    let values = option_values(name).ok_or_else(|| {
        WxError::new(
            40097,
            format!(
                "invalid args: option_name {name:?}, expected location_report, voice_recognize or customer_service"
            ),
        )
    })?;
    Ok((name, values))
}

async fn get_option(
    state: web::Data<SimState>,
    req: HttpRequest,
    body: web::Bytes,
) -> WxResult<HttpResponse> {
    let caller = component_caller(&state, &req)?;
    let body: OptionBody = parse_body(&body)?;
    check_component_appid(body.component_appid.as_deref(), &caller)?;
    let appid = required(&body.authorizer_appid, 41002, "authorizer_appid")?;
    let (name, _) = option_name(&body)?;
    let component = lock(&state.component);
    let authorizer = component
        .authorizers
        .get(appid)
        .ok_or_else(|| flows::not_authorized(appid))?;
    let value = authorizer
        .options
        .get(name)
        .cloned()
        .unwrap_or_else(|| "0".to_string());
    Ok(HttpResponse::Ok().json(json!({
        "authorizer_appid": appid,
        "option_name": name,
        "option_value": value,
    })))
}

async fn set_option(
    state: web::Data<SimState>,
    req: HttpRequest,
    body: web::Bytes,
) -> WxResult<HttpResponse> {
    let caller = component_caller(&state, &req)?;
    let body: OptionBody = parse_body(&body)?;
    check_component_appid(body.component_appid.as_deref(), &caller)?;
    let appid = required(&body.authorizer_appid, 41002, "authorizer_appid")?;
    let (name, allowed) = option_name(&body)?;
    let value = match &body.option_value {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Number(n)) => n.to_string(),
        None => return Err(WxError::missing_param(41002, "option_value")),
        Some(other) => return Err(WxError::bad_body(format!("option_value {other}"))),
    };
    if !allowed.contains(&value.as_str()) {
        return Err(WxError::new(
            40097,
            format!("invalid args: option_value {value:?} for {name}, expected one of {allowed:?}"),
        ));
    }
    let mut component = lock(&state.component);
    let authorizer = component
        .authorizers
        .get_mut(appid)
        .ok_or_else(|| flows::not_authorized(appid))?;
    authorizer.options.insert(name.to_string(), value);
    Ok(ok())
}

async fn component_clear_quota(
    state: web::Data<SimState>,
    req: HttpRequest,
    body: web::Bytes,
) -> WxResult<HttpResponse> {
    let caller = component_caller(&state, &req)?;
    let body: AppidBody = parse_body(&body)?;
    check_component_appid(body.component_appid.as_deref(), &caller)?;
    count_clear(&state, &caller);
    Ok(ok())
}

#[derive(Deserialize)]
struct ClearQuotaBody {
    appid: Option<String>,
}

/// `/cgi-bin/clear_quota`: with `component_access_token` it clears the
/// platform's own quota (`appid` = the component appid); with an
/// authorizer's `access_token` it clears that account's (`appid` = its appid).
async fn clear_quota(
    state: web::Data<SimState>,
    req: HttpRequest,
    body: web::Bytes,
) -> WxResult<HttpResponse> {
    let params = query_params(&req);
    let owner = if params.contains_key("component_access_token") {
        TokenOwner::Component(component_caller(&state, &req)?)
    } else {
        let token = params
            .get("access_token")
            .filter(|t| !t.is_empty())
            .ok_or_else(WxError::missing_token)?;
        lock(&state.tokens).validate(token, state.now())?
    };
    let body: ClearQuotaBody = parse_body(&body)?;
    let appid = required(&body.appid, 41002, "appid")?;
    if appid != owner.appid() {
        return Err(WxError::invalid_appid());
    }
    count_clear(&state, appid);
    Ok(ok())
}

fn count_clear(state: &SimState, appid: &str) {
    let mut component = lock(&state.component);
    let count = component.quota_clears.entry(appid.to_string()).or_default();
    *count = count.saturating_add(1);
}
