//! Domain management (第三方平台 → 小程序管理 → 域名管理), as WeChat answers it:
//!
//! - the platform's own registers, with the component_access_token:
//!   `POST /cgi-bin/component/modify_wxa_server_domain` (小程序服务器域名),
//!   `POST /cgi-bin/component/modify_wxa_jump_domain` (小程序业务域名, each
//!   domain must serve the platform's confirm file at its root) and
//!   `POST /cgi-bin/component/get_domain_confirmfile`;
//! - a mini program's, with its authorizer_access_token (an official
//!   account's token gets 85015): `POST /wxa/modify_domain` (only domains the
//!   platform registered in its 测试版 list; the others come back in
//!   `invalid_*`, and when nothing is left 85301), `/wxa/modify_domain_directly`
//!   (no platform list, WeChat's URL rules only), `/wxa/get_effective_domain`,
//!   `/wxa/setwebviewdomain` (a platform business domain or a subdomain of
//!   one, else 89021), `/wxa/setwebviewdomain_directly` (the domain must
//!   serve the mini program's confirm file, else 86103),
//!   `/wxa/get_webviewdomain_confirmfile`, `/wxa/get_effective_webviewdomain`.
//!
//! What "effective" means: the domains set through the platform that are
//! still in the platform's register — its 全网发布版 list once the mini
//! program has a released version, its 测试版 list before — plus the ones
//! set directly (代开发的小程序域名配置说明: a domain the platform removed is
//! dropped from the mini program at release). wxsim has no 公众平台, so
//! `mp_domain` is always empty, and no ICP register, so `no_icp_domain` is.
//!
//! The simulated web is steered with `POST /__sim/domain-file {domain,
//! file_name, file_content}` (an operator uploading a confirm file to the
//! root of `domain`); `GET /__sim/domains` shows the whole domain state.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::access::json_body;
use super::templates::component;
use super::wxa::mini_program;
use crate::calls::lock;
use crate::domain_state::{
    self as rules, Action, DomainState, PlatformDomains, ServerDomainLists, FORBIDDEN_HOST,
    PLATFORM_JUMP_DOMAIN_LIMIT, PLATFORM_SERVER_CHANGES_PER_MONTH, PLATFORM_SERVER_DOMAIN_LIMIT,
    SERVER_CHANGES_PER_MONTH, SERVER_DOMAIN_LIMIT, SERVER_KINDS, WEBVIEW_DOMAIN_LIMIT,
};
use crate::errors::{ok, ok_with, WxError, WxResult};
use crate::state::SimState;

/// Registers the domain routes and their control endpoints.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/cgi-bin/component/modify_wxa_server_domain",
        web::post().to(platform_server_domain),
    )
    .route(
        "/cgi-bin/component/modify_wxa_jump_domain",
        web::post().to(platform_jump_domain),
    )
    .route(
        "/cgi-bin/component/get_domain_confirmfile",
        web::post().to(platform_confirm_file),
    )
    .route("/wxa/modify_domain", web::post().to(modify_domain))
    .route(
        "/wxa/modify_domain_directly",
        web::post().to(modify_domain_directly),
    )
    .route(
        "/wxa/get_effective_domain",
        web::post().to(effective_domain),
    )
    .route("/wxa/setwebviewdomain", web::post().to(set_webview_domain))
    .route(
        "/wxa/setwebviewdomain_directly",
        web::post().to(set_webview_domain_directly),
    )
    .route(
        "/wxa/get_webviewdomain_confirmfile",
        web::post().to(webview_confirm_file),
    )
    .route(
        "/wxa/get_effective_webviewdomain",
        web::post().to(effective_webview_domain),
    )
    .route("/__sim/domain-file", web::post().to(serve_file))
    .route("/__sim/domains", web::get().to(snapshot));
}

fn bad_action() -> WxError {
    WxError::new(
        40097,
        "invalid args: action must be add, delete, set or get",
    )
}

fn too_many() -> WxError {
    WxError::new(85016, "exceed valid domain count (域名数量超过限制)")
}

/// 86102, the quota error of the server-domain APIs.
fn quota_reached(limit: usize) -> WxError {
    WxError::new(
        86102,
        format!("每个月只能修改{limit}次，超过域名修改次数限制 (no changes left this month)"),
    )
}

fn nothing_to_modify() -> WxError {
    WxError::new(
        85017,
        "no domain to modify after filtered, please confirm the domain has been set in \
         miniprogram or open",
    )
}

fn read_action(action: Option<&str>) -> WxResult<Action> {
    action.and_then(Action::parse).ok_or_else(bad_action)
}

// ------------------------------------------------------------ the platform

/// Which of the platform's two registers a request is about.
#[derive(Clone, Copy)]
enum Register {
    Server,
    Jump,
}

impl Register {
    /// WeChat's field name, without the `testing_`/`published_`/`invalid_` prefix.
    fn field(self) -> &'static str {
        match self {
            Self::Server => "wxa_server_domain",
            Self::Jump => "wxa_jump_h5_domain",
        }
    }

    fn limit(self) -> usize {
        match self {
            Self::Server => PLATFORM_SERVER_DOMAIN_LIMIT,
            Self::Jump => PLATFORM_JUMP_DOMAIN_LIMIT,
        }
    }

    fn changes_per_month(self, state: &SimState) -> usize {
        match self {
            Self::Server => PLATFORM_SERVER_CHANGES_PER_MONTH,
            Self::Jump => state.settings.jump_domain_changes_per_month,
        }
    }

    fn of(self, domains: &mut DomainState) -> &mut PlatformDomains {
        match self {
            Self::Server => &mut domains.server,
            Self::Jump => &mut domains.jump,
        }
    }
}

#[derive(Deserialize)]
struct PlatformBody {
    action: Option<String>,
    #[serde(default)]
    is_modify_published_together: bool,
    wxa_server_domain: Option<String>,
    wxa_jump_h5_domain: Option<String>,
}

async fn platform_server_domain(
    state: web::Data<SimState>,
    req: HttpRequest,
    body: web::Bytes,
) -> WxResult<HttpResponse> {
    platform_domain(&state, &req, &body, Register::Server)
}

async fn platform_jump_domain(
    state: web::Data<SimState>,
    req: HttpRequest,
    body: web::Bytes,
) -> WxResult<HttpResponse> {
    platform_domain(&state, &req, &body, Register::Jump)
}

/// One of the platform's registers: domains that are no bare host name (and,
/// for business domains, that do not serve the platform's confirm file) are
/// left out and named in `invalid_*`; deleting an absent domain succeeds.
fn platform_domain(
    state: &SimState,
    req: &HttpRequest,
    body: &[u8],
    register: Register,
) -> WxResult<HttpResponse> {
    component(state, req)?;
    let body: PlatformBody = json_body(body)?;
    let action = read_action(body.action.as_deref())?;
    let joined = match register {
        Register::Server => body.wxa_server_domain,
        Register::Jump => body.wxa_jump_h5_domain,
    };
    let requested = rules::split_domains(joined.as_deref().unwrap_or_default());
    let (file_name, file_content) = rules::confirm_file(&state.settings.component_appid);
    let now = state.now();
    let mut domains = lock(&state.domains);
    let (mut valid, mut invalid) = (Vec::new(), Vec::new());
    for domain in requested {
        let host = domain.to_ascii_lowercase();
        let verified = !matches!(register, Register::Jump)
            || action == Action::Delete
            || domains.serves(&host, &file_name, &file_content);
        if rules::is_host(&host) && verified {
            valid.push(host);
        } else {
            invalid.push(domain);
        }
    }
    let per_month = register.changes_per_month(state);
    let list = register.of(&mut domains);
    if action != Action::Get {
        let mut testing = list.testing.clone();
        let mut changed = rules::apply(&mut testing, action, &valid);
        let mut published = list.published.clone();
        if body.is_modify_published_together {
            changed |= rules::apply(&mut published, action, &valid);
        }
        if changed {
            if testing.len() > register.limit() || published.len() > register.limit() {
                return Err(too_many());
            }
            if !rules::quota_left(&mut list.changes, now, per_month) {
                return Err(quota_reached(per_month));
            }
            list.changes.push(now);
            list.testing = testing;
            list.published = published;
        }
    }
    let field = register.field();
    let mut answer = Map::new();
    answer.insert(format!("testing_{field}"), json!(list.testing.join(";")));
    answer.insert(
        format!("published_{field}"),
        json!(list.published.join(";")),
    );
    if !invalid.is_empty() {
        answer.insert(format!("invalid_{field}"), json!(invalid.join(";")));
    }
    Ok(ok_with(Value::Object(answer)))
}

async fn platform_confirm_file(
    state: web::Data<SimState>,
    req: HttpRequest,
) -> WxResult<HttpResponse> {
    component(&state, &req)?;
    let (file_name, file_content) = rules::confirm_file(&state.settings.component_appid);
    Ok(ok_with(
        json!({"file_name": file_name, "file_content": file_content}),
    ))
}

// --------------------------------------------------- a mini program's server domains

/// The body of `modify_domain(_directly)`: `action` and the six lists, each
/// an array of strings when present (47001 naming the field otherwise).
fn server_body(body: &[u8]) -> WxResult<(Action, ServerDomainLists)> {
    let map: Map<String, Value> = json_body(body)?;
    let action = read_action(map.get("action").and_then(Value::as_str))?;
    let mut lists = ServerDomainLists::default();
    for (field, _) in SERVER_KINDS {
        let Some(value) = map.get(field).filter(|v| !v.is_null()) else {
            continue;
        };
        let items = value
            .as_array()
            .and_then(|a| {
                a.iter()
                    .map(|v| v.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>()
            })
            .ok_or_else(|| WxError::bad_body(format!("{field} must be an array of strings")))?;
        if let Some(list) = lists.list_mut(field) {
            *list = items;
        }
    }
    Ok((action, lists))
}

/// Applies `action` with `valid` to `current`; the new lists, or 85016
/// when one would exceed [`SERVER_DOMAIN_LIMIT`].
fn changed_lists(
    current: &ServerDomainLists,
    action: Action,
    valid: &ServerDomainLists,
) -> WxResult<ServerDomainLists> {
    let mut next = current.clone();
    for (field, _) in SERVER_KINDS {
        if let Some(list) = next.list_mut(field) {
            rules::apply(list, action, valid.list(field));
            if list.len() > SERVER_DOMAIN_LIMIT {
                return Err(too_many());
            }
        }
    }
    Ok(next)
}

/// The answer of `modify_domain`, success or 85301: the lists, the
/// domains filtered out, and `no_icp_domain`, as WeChat sends them.
fn server_answer(
    errcode: i64,
    errmsg: &str,
    lists: &ServerDomainLists,
    invalid: &ServerDomainLists,
) -> HttpResponse {
    let mut answer = Map::new();
    answer.insert("errcode".into(), json!(errcode));
    answer.insert("errmsg".into(), json!(errmsg));
    answer.extend(lists.fields(""));
    answer.extend(invalid.fields("invalid_"));
    answer.insert("no_icp_domain".into(), json!([]));
    HttpResponse::Ok().json(answer)
}

async fn modify_domain(
    state: web::Data<SimState>,
    req: HttpRequest,
    body: web::Bytes,
) -> WxResult<HttpResponse> {
    let appid = mini_program(&state, &req)?;
    let (action, requested) = server_body(&body)?;
    let now = state.now();
    let mut guard = lock(&state.domains);
    let domains = &mut *guard;
    let platform = domains.server.testing.clone();
    let account = domains.mini_program(&appid);
    if action == Action::Get {
        return Ok(ok_with(Value::Object(account.third.fields(""))));
    }
    let (mut valid, mut invalid) = (ServerDomainLists::default(), ServerDomainLists::default());
    for (field, scheme) in SERVER_KINDS {
        for item in requested.list(field) {
            let accepted = rules::parse_url(item).filter(|url| {
                action == Action::Delete
                    || (url.scheme == scheme
                        && url.host != FORBIDDEN_HOST
                        && platform.iter().any(|d| d.eq_ignore_ascii_case(&url.host)))
            });
            let (target, value) = match accepted {
                Some(url) => (&mut valid, url.to_string()),
                None => (&mut invalid, item.clone()),
            };
            if let Some(list) = target.list_mut(field) {
                list.push(value);
            }
        }
    }
    let next = changed_lists(&account.third, action, &valid)?;
    if valid.is_empty() || next == account.third {
        if invalid.is_empty() {
            return Err(nothing_to_modify());
        }
        return Ok(server_answer(
            85301,
            &WxError::new(
                85301,
                "no domain to modify after filtered, please confirm the domain has been set in \
                 miniprogram or open, and follows the rule of domains",
            )
            .errmsg,
            &account.third,
            &invalid,
        ));
    }
    if !rules::quota_left(&mut account.server_changes, now, SERVER_CHANGES_PER_MONTH) {
        return Err(quota_reached(SERVER_CHANGES_PER_MONTH));
    }
    account.server_changes.push(now);
    account.third = next;
    Ok(server_answer(0, "ok", &account.third, &invalid))
}

async fn modify_domain_directly(
    state: web::Data<SimState>,
    req: HttpRequest,
    body: web::Bytes,
) -> WxResult<HttpResponse> {
    let appid = mini_program(&state, &req)?;
    let (action, requested) = server_body(&body)?;
    let mut valid = ServerDomainLists::default();
    for (field, scheme) in SERVER_KINDS {
        for item in requested.list(field) {
            let url = rules::parse_url(item)
                .filter(|url| url.scheme == scheme)
                .ok_or_else(|| {
                    WxError::new(
                        86100,
                        format!("invalid url protocol: {field} needs {scheme}://host[:port], got {item:?}"),
                    )
                })?;
            if url.host == FORBIDDEN_HOST {
                return Err(WxError::new(86101, "不支持配置api.weixin.qq.com"));
            }
            if let Some(list) = valid.list_mut(field) {
                list.push(url.to_string());
            }
        }
    }
    let now = state.now();
    let mut domains = lock(&state.domains);
    let account = domains.mini_program(&appid);
    if action != Action::Get {
        let next = changed_lists(&account.direct, action, &valid)?;
        if next != account.direct {
            if !rules::quota_left(&mut account.server_changes, now, SERVER_CHANGES_PER_MONTH) {
                return Err(quota_reached(SERVER_CHANGES_PER_MONTH));
            }
            account.server_changes.push(now);
            account.direct = next;
        }
    }
    Ok(ok_with(Value::Object(account.direct.fields(""))))
}

/// Whether `appid` has a released version: from then on the platform's
/// 全网发布版 register decides what stays effective.
fn released(state: &SimState, appid: &str) -> bool {
    lock(&state.accounts)
        .accounts
        .get(appid)
        .is_some_and(|a| a.code.release.is_some())
}

fn platform_register(register: &PlatformDomains, released: bool) -> &[String] {
    if released {
        &register.published
    } else {
        &register.testing
    }
}

async fn effective_domain(
    state: web::Data<SimState>,
    req: HttpRequest,
    body: web::Bytes,
) -> WxResult<HttpResponse> {
    let appid = mini_program(&state, &req)?;
    let _: Value = json_body(&body)?;
    let released = released(&state, &appid);
    let mut guard = lock(&state.domains);
    let domains = &mut *guard;
    let platform = platform_register(&domains.server, released).to_vec();
    let account = domains.mini_program(&appid);
    let mut effective = ServerDomainLists::default();
    for (field, _) in SERVER_KINDS {
        let kept = account.third.list(field).iter().filter(|url| {
            rules::parse_url(url)
                .is_some_and(|u| platform.iter().any(|d| d.eq_ignore_ascii_case(&u.host)))
        });
        let mut list: Vec<String> = kept.cloned().collect();
        rules::apply(&mut list, Action::Add, account.direct.list(field));
        if let Some(target) = effective.list_mut(field) {
            *target = list;
        }
    }
    Ok(ok_with(json!({
        "mp_domain": ServerDomainLists::default().fields(""),
        "third_domain": account.third.fields(""),
        "direct_domain": account.direct.fields(""),
        "effective_domain": effective.fields(""),
    })))
}

// ------------------------------------------------ a mini program's business domains

#[derive(Deserialize)]
struct WebviewBody {
    action: Option<String>,
    webviewdomain: Option<Vec<String>>,
}

/// A business domain URL: `https://host`, no port ("仅支持https";
/// "业务域名中不能含有端口号").
fn webview_url(item: &str) -> Option<rules::DomainUrl> {
    rules::parse_url(item).filter(|url| url.scheme == "https" && url.port.is_none())
}

/// `setwebviewdomain`: without `action`, every business domain of the
/// platform is added ("如果没有指定 action,则默认将第三方平台登记的小程序业务域名
/// 全部添加到该小程序"). 89020 while the platform has none, 89021 for a domain
/// outside them, 89029 beyond [`WEBVIEW_DOMAIN_LIMIT`], 89019 when nothing
/// changes. Only `get` answers the list (the current page documents no
/// other field).
async fn set_webview_domain(
    state: web::Data<SimState>,
    req: HttpRequest,
    body: web::Bytes,
) -> WxResult<HttpResponse> {
    let appid = mini_program(&state, &req)?;
    let body: WebviewBody = json_body(&body)?;
    let action = match body.action.as_deref() {
        None => None,
        Some(a) => Some(read_action(Some(a))?),
    };
    let mut guard = lock(&state.domains);
    let domains = &mut *guard;
    let platform = domains.jump.testing.clone();
    let account = domains.mini_program(&appid);
    if action == Some(Action::Get) {
        return Ok(ok_with(json!({"webviewdomain": account.webview_third})));
    }
    if platform.is_empty() {
        return Err(WxError::new(
            89020,
            "open's webview domain is null! Need to set open's webview domain first!",
        ));
    }
    let (action, items) = match action {
        Some(action) => (action, body.webviewdomain.unwrap_or_default()),
        None => (
            Action::Add,
            platform.iter().map(|d| format!("https://{d}")).collect(),
        ),
    };
    let mut valid = Vec::new();
    for item in &items {
        let url = webview_url(item)
            .filter(|url| {
                action == Action::Delete || platform.iter().any(|d| rules::within(&url.host, d))
            })
            .ok_or_else(|| WxError::new(89021, "request domain is not open's webview domain!"))?;
        valid.push(url.to_string());
    }
    let mut next = account.webview_third.clone();
    if !rules::apply(&mut next, action, &valid) {
        return Err(WxError::new(89019, "webview domain not change"));
    }
    if next.len() > WEBVIEW_DOMAIN_LIMIT {
        return Err(too_many_webview());
    }
    account.webview_third = next;
    Ok(ok())
}

fn too_many_webview() -> WxError {
    WxError::new(
        89029,
        format!("业务域名数量超过限制，最多可以添加{WEBVIEW_DOMAIN_LIMIT}个业务域名"),
    )
}

/// `setwebviewdomain_directly`: no platform register, but each added domain
/// must serve the mini program's confirm file at its root (86103 "check
/// confirmfile fail!").
async fn set_webview_domain_directly(
    state: web::Data<SimState>,
    req: HttpRequest,
    body: web::Bytes,
) -> WxResult<HttpResponse> {
    let appid = mini_program(&state, &req)?;
    let body: WebviewBody = json_body(&body)?;
    let action = read_action(body.action.as_deref())?;
    let (file_name, file_content) = rules::confirm_file(&appid);
    let mut domains = lock(&state.domains);
    let mut valid = Vec::new();
    if action != Action::Get {
        for item in body.webviewdomain.unwrap_or_default() {
            let url = webview_url(&item).ok_or_else(|| {
                WxError::new(
                    86100,
                    format!("invalid url protocol: https://host expected, got {item:?}"),
                )
            })?;
            if action != Action::Delete && !domains.serves(&url.host, &file_name, &file_content) {
                return Err(WxError::new(86103, "check confirmfile fail!"));
            }
            valid.push(url.to_string());
        }
    }
    let account = domains.mini_program(&appid);
    let mut next = account.webview_direct.clone();
    rules::apply(&mut next, action, &valid);
    if next.len() > WEBVIEW_DOMAIN_LIMIT {
        return Err(too_many_webview());
    }
    account.webview_direct = next;
    Ok(ok_with(json!({"webviewdomain": account.webview_direct})))
}

async fn webview_confirm_file(
    state: web::Data<SimState>,
    req: HttpRequest,
    body: web::Bytes,
) -> WxResult<HttpResponse> {
    let appid = mini_program(&state, &req)?;
    let _: Value = json_body(&body)?;
    let (file_name, file_content) = rules::confirm_file(&appid);
    Ok(ok_with(
        json!({"file_name": file_name, "file_content": file_content}),
    ))
}

async fn effective_webview_domain(
    state: web::Data<SimState>,
    req: HttpRequest,
) -> WxResult<HttpResponse> {
    let appid = mini_program(&state, &req)?;
    let released = released(&state, &appid);
    let mut guard = lock(&state.domains);
    let domains = &mut *guard;
    let platform = platform_register(&domains.jump, released).to_vec();
    let account = domains.mini_program(&appid);
    let mut effective: Vec<String> = account
        .webview_third
        .iter()
        .filter(|url| {
            rules::parse_url(url)
                .is_some_and(|u| platform.iter().any(|d| rules::within(&u.host, d)))
        })
        .cloned()
        .collect();
    rules::apply(&mut effective, Action::Add, &account.webview_direct);
    Ok(ok_with(json!({
        "mp_webviewdomain": [],
        "third_webviewdomain": account.webview_third,
        "direct_webviewdomain": account.webview_direct,
        "effective_webviewdomain": effective,
    })))
}

// ------------------------------------------------------------ control

#[derive(Deserialize)]
struct ServedFile {
    domain: String,
    file_name: String,
    file_content: String,
}

/// `https://{domain}/{file_name}` now answers `file_content`.
async fn serve_file(state: web::Data<SimState>, body: web::Bytes) -> WxResult<HttpResponse> {
    let file: ServedFile = json_body(&body)?;
    let host = file.domain.trim().to_ascii_lowercase();
    if !rules::is_host(&host) || file.file_name.trim().is_empty() {
        return Err(WxError::bad_body(
            "domain must be a host name such as www.example.com, file_name non-empty",
        ));
    }
    lock(&state.domains)
        .served_files
        .entry(host)
        .or_default()
        .insert(file.file_name.trim().to_string(), file.file_content);
    Ok(ok())
}

async fn snapshot(state: web::Data<SimState>) -> HttpResponse {
    HttpResponse::Ok().json(&*lock(&state.domains))
}
