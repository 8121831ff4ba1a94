//! Server domains and business (web-view) domains, the two steps of the
//! release flow between commit and audit (issue 13: 设置第三方平台服务器域名,
//! then 配置小程序服务器域名, plus 业务域名).
//!
//! The order rule: a mini program authorized to the platform may only use
//! domains the platform registered first (`modify_wxa_server_domain`,
//! `modify_wxa_jump_domain`); `modify_domain` leaves out any other domain and
//! WeChat refuses the call (85301, here 1002 with the errcode) when nothing is
//! left. The platform's register has a 测试版 and a 全网发布版 list:
//! `publishedTogether: true` changes both, and only the 全网发布版 list keeps
//! a domain effective in a released mini program. The other way,
//! `directly: true` (`modify_domain_directly`, `setwebviewdomain_directly`),
//! needs no platform register; a business domain set so must serve the mini
//! program's confirm file at its root (`webview_confirm_file`).
//!
//! Input is checked against WeChat's rules ([`common::domains`]) before
//! anything is sent: a bad action, a domain without the scheme its list
//! demands, a platform domain that is no bare host name, too many domains
//! are 1001 naming the field, and WeChat is not called. Mini-program calls
//! refuse an appid stored as an official account the same way.
//!
//! The `pub` functions take typed values so a release campaign sets a mini
//! program's domains the way the console does:
//! [`modify_server_domains`] with a [`ServerDomainChange`],
//! [`modify_webview_domains`] with a [`WebviewDomainChange`].

use common::db::authorizers;
use common::domains::{
    self as rules, FORBIDDEN_HOST, PLATFORM_JUMP_DOMAIN_LIMIT, PLATFORM_SERVER_DOMAIN_LIMIT,
    SERVER_DOMAIN_LIMIT, SERVER_KINDS, WEBVIEW_DOMAIN_LIMIT,
};
use common::tokens::TokenKey;
use common::wechat::Method;
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{json, Map, Value};

use crate::error::AdminError;
use crate::params;
use crate::state::AppState;
use crate::wxapi;

/// What a change does to a list: WeChat's `add`, `delete` and `set`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DomainAction {
    /// Adds the domains given.
    Add,
    /// Removes the domains given.
    Delete,
    /// Replaces the list with the domains given.
    Set,
}

impl DomainAction {
    /// WeChat's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Add => "add",
            Self::Delete => "delete",
            Self::Set => "set",
        }
    }
}

/// A WeChat confirm file: put it at the root of a business domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "snake_case"))]
pub struct ConfirmFile {
    /// Its name (`https://domain/<fileName>`).
    #[serde(default)]
    pub file_name: String,
    /// Its exact content.
    #[serde(default)]
    pub file_content: String,
}

fn decode<T: for<'de> Deserialize<'de>>(path: &str, value: Value) -> Result<T, AdminError> {
    serde_json::from_value(value)
        .map_err(|e| AdminError::Upstream(format!("unexpected answer from WeChat for {path}: {e}")))
}

/// Drops repeated entries (case-insensitively), keeping the first.
fn dedup(items: Vec<String>) -> Vec<String> {
    let mut kept: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        if !kept.iter().any(|k| k.eq_ignore_ascii_case(&item)) {
            kept.push(item);
        }
    }
    kept
}

// ------------------------------------------------------------ the platform

/// One of the platform's two domain registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlatformRegister {
    /// 小程序服务器域名 (`modify_wxa_server_domain`).
    Server,
    /// 小程序业务域名 (`modify_wxa_jump_domain`).
    Jump,
}

impl PlatformRegister {
    fn path(self) -> &'static str {
        match self {
            Self::Server => "/cgi-bin/component/modify_wxa_server_domain",
            Self::Jump => "/cgi-bin/component/modify_wxa_jump_domain",
        }
    }

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
}

/// A platform register as the console shows it: WeChat's semicolon strings
/// split into lists.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PlatformDomains {
    /// 测试版.
    pub testing: Vec<String>,
    /// 全网发布版.
    pub published: Vec<String>,
    /// Domains WeChat did not accept in this change (a business domain that
    /// does not serve the platform's confirm file, ...).
    pub invalid: Vec<String>,
}

/// A change of a platform register: `{action, domains, publishedTogether}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlatformDomainChange {
    /// What to do.
    pub action: DomainAction,
    /// Bare host names such as `www.qq.com`.
    #[serde(default)]
    pub domains: Vec<String>,
    /// Also change the 全网发布版 list (WeChat's
    /// `is_modify_published_together`, false when absent).
    #[serde(default)]
    pub published_together: bool,
}

impl PlatformDomainChange {
    /// The domains lowercased and checked: bare host names, at least one
    /// for `add` and `delete`, at most the register's limit.
    fn validated(&self, register: PlatformRegister) -> Result<Vec<String>, AdminError> {
        let mut domains = Vec::with_capacity(self.domains.len());
        for (i, domain) in self.domains.iter().enumerate() {
            let host = domain.trim().to_ascii_lowercase();
            if !rules::is_host(&host) {
                return Err(AdminError::invalid(format!(
                    "domains[{i}]: {domain:?} is not a bare host name such as www.qq.com \
                     (no scheme, port or path)"
                )));
            }
            domains.push(host);
        }
        let domains = dedup(domains);
        if domains.is_empty() && self.action != DomainAction::Set {
            return Err(AdminError::invalid(format!(
                "domains: {} needs at least one domain",
                self.action.as_str()
            )));
        }
        if domains.len() > register.limit() {
            return Err(AdminError::invalid(format!(
                "domains: at most {} domains, got {}",
                register.limit(),
                domains.len()
            )));
        }
        Ok(domains)
    }
}

fn platform_answer(register: PlatformRegister, answer: &Value) -> PlatformDomains {
    let list = |prefix: &str| {
        answer
            .get(format!("{prefix}_{}", register.field()))
            .and_then(Value::as_str)
            .map(rules::split_domains)
            .unwrap_or_default()
    };
    PlatformDomains {
        testing: list("testing"),
        published: list("published"),
        invalid: list("invalid"),
    }
}

async fn platform_call(
    state: &AppState,
    register: PlatformRegister,
    body: &Value,
) -> Result<PlatformDomains, AdminError> {
    let answer = wxapi::call(
        state,
        &TokenKey::Component,
        Method::Post,
        register.path(),
        &[],
        body,
    )
    .await?;
    Ok(platform_answer(register, &answer))
}

/// The platform's register, both lists.
pub async fn platform_domains(
    state: &AppState,
    register: PlatformRegister,
) -> Result<PlatformDomains, AdminError> {
    platform_call(state, register, &json!({"action": "get"})).await
}

/// Changes the platform's register; answers it after the change, with the
/// domains WeChat refused in `invalid`.
pub async fn modify_platform_domains(
    state: &AppState,
    register: PlatformRegister,
    change: &PlatformDomainChange,
) -> Result<PlatformDomains, AdminError> {
    let domains = change.validated(register)?;
    let body = json!({
        "action": change.action.as_str(),
        "is_modify_published_together": change.published_together,
        register.field(): domains.join(";"),
    });
    platform_call(state, register, &body).await
}

/// The file every business domain of the platform must serve at its root
/// (`get_domain_confirmfile`).
pub async fn platform_confirm_file(state: &AppState) -> Result<ConfirmFile, AdminError> {
    let path = "/cgi-bin/component/get_domain_confirmfile";
    let answer = wxapi::call(
        state,
        &TokenKey::Component,
        Method::Post,
        path,
        &[],
        &json!({}),
    )
    .await?;
    decode(path, answer)
}

// --------------------------------------------------- a mini program's server domains

/// The console's names of the six lists, in [`SERVER_KINDS`]' order.
const CAMEL_KINDS: [&str; 6] = [
    "requestDomain",
    "wsRequestDomain",
    "uploadDomain",
    "downloadDomain",
    "udpDomain",
    "tcpDomain",
];

/// A mini program's six server-domain lists, each entry `scheme://host[:port]`
/// (request/upload/download `https`, WebSocket `wss`, UDP `udp`, TCP `tcp`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ServerDomains {
    /// `wx.request`.
    pub request_domain: Vec<String>,
    /// `wx.connectSocket`.
    pub ws_request_domain: Vec<String>,
    /// `wx.uploadFile`.
    pub upload_domain: Vec<String>,
    /// `wx.downloadFile`.
    pub download_domain: Vec<String>,
    /// UDP.
    pub udp_domain: Vec<String>,
    /// TCP.
    pub tcp_domain: Vec<String>,
}

impl ServerDomains {
    fn lists(&self) -> [&Vec<String>; 6] {
        [
            &self.request_domain,
            &self.ws_request_domain,
            &self.upload_domain,
            &self.download_domain,
            &self.udp_domain,
            &self.tcp_domain,
        ]
    }

    fn lists_mut(&mut self) -> [&mut Vec<String>; 6] {
        [
            &mut self.request_domain,
            &mut self.ws_request_domain,
            &mut self.upload_domain,
            &mut self.download_domain,
            &mut self.udp_domain,
            &mut self.tcp_domain,
        ]
    }

    /// Whether every list is empty.
    pub fn is_empty(&self) -> bool {
        self.lists().iter().all(|l| l.is_empty())
    }

    /// The lists WeChat answered under `{prefix}requestdomain` and so on
    /// (absent ones empty).
    fn from_wechat(answer: &Value, prefix: &str) -> Self {
        let mut domains = Self::default();
        for ((field, _), list) in SERVER_KINDS.iter().zip(domains.lists_mut()) {
            *list = answer
                .get(format!("{prefix}{field}"))
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
        }
        domains
    }

    fn to_wechat(&self) -> Map<String, Value> {
        SERVER_KINDS
            .iter()
            .zip(self.lists())
            .map(|((field, _), list)| ((*field).to_string(), json!(list)))
            .collect()
    }

    /// Each entry checked against its list's scheme and normalized
    /// (`scheme://host[:port]`, lowercase); at most 200 a list, at least one
    /// domain in all.
    pub(crate) fn validated(&self) -> Result<Self, AdminError> {
        let mut checked = Self::default();
        let kinds = SERVER_KINDS.iter().zip(CAMEL_KINDS);
        for (((_, scheme), name), (given, target)) in
            kinds.zip(self.lists().into_iter().zip(checked.lists_mut()))
        {
            let mut list = Vec::with_capacity(given.len());
            for (i, item) in given.iter().enumerate() {
                let url = rules::parse_url(item)
                    .filter(|url| url.scheme == *scheme)
                    .ok_or_else(|| {
                        AdminError::invalid(format!(
                            "{name}[{i}]: {item:?} must be {scheme}://host[:port], without a path"
                        ))
                    })?;
                if url.host == FORBIDDEN_HOST {
                    return Err(AdminError::invalid(format!(
                        "{name}[{i}]: {FORBIDDEN_HOST} cannot be a server domain"
                    )));
                }
                list.push(url.to_string());
            }
            let list = dedup(list);
            if list.len() > SERVER_DOMAIN_LIMIT {
                return Err(AdminError::invalid(format!(
                    "{name}: at most {SERVER_DOMAIN_LIMIT} domains, got {}",
                    list.len()
                )));
            }
            *target = list;
        }
        if checked.is_empty() {
            return Err(AdminError::invalid(
                "requestDomain, wsRequestDomain, uploadDomain, downloadDomain, udpDomain, \
                 tcpDomain: at least one domain is required",
            ));
        }
        Ok(checked)
    }
}

/// A change of a mini program's server domains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerDomainChange {
    /// What to do with each list (`set` replaces all six: a list left empty
    /// is emptied).
    pub action: DomainAction,
    /// The domains, per list.
    pub domains: ServerDomains,
    /// Through `modify_domain_directly` (no platform register needed)
    /// instead of `modify_domain`.
    pub directly: bool,
}

/// The appid and the flags of a change request (the lists are read from the
/// same body as [`ServerDomains`], so each bad field is named).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChangeHead {
    appid: String,
    action: DomainAction,
    #[serde(default)]
    directly: bool,
}

/// Reads `POST /admin/server-domain`'s body `{appid, action, requestDomain?,
/// ..., directly?}`: the appid and the typed change (1001 naming a bad field).
pub fn server_domain_request(body: &[u8]) -> Result<(String, ServerDomainChange), AdminError> {
    let head: ChangeHead = params::json(body)?;
    let domains: ServerDomains = params::json(body)?;
    Ok((
        head.appid,
        ServerDomainChange {
            action: head.action,
            domains,
            directly: head.directly,
        },
    ))
}

/// A mini program's server domains after a change, and the domains WeChat
/// left out (not in the platform's register, ...). Serialized as the six
/// lists plus `invalidRequestDomain` and so on for the non-empty ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerDomainResult {
    /// The lists now.
    pub domains: ServerDomains,
    /// What WeChat reported as `invalid_*`.
    pub invalid: ServerDomains,
}

impl Serialize for ServerDomainResult {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for (name, list) in CAMEL_KINDS.iter().zip(self.domains.lists()) {
            map.serialize_entry(name, list)?;
        }
        for (name, list) in CAMEL_KINDS.iter().zip(self.invalid.lists()) {
            if !list.is_empty() {
                let mut key = String::from("invalid");
                key.extend(name.chars().take(1).flat_map(char::to_uppercase));
                key.push_str(name.get(1..).unwrap_or_default());
                map.serialize_entry(&key, list)?;
            }
        }
        map.end()
    }
}

/// Refuses (1001, nothing sent to WeChat) an appid that is not a stored
/// authorizer, or is stored as an official account.
async fn mini_program(state: &AppState, appid: &str) -> Result<(), AdminError> {
    params::check_appid(appid)?;
    let id = appid.to_string();
    match state
        .db
        .run(move |conn| authorizers::find(conn, &id))
        .await?
    {
        None => Err(AdminError::invalid(format!(
            "appid: {appid} has not authorized this platform"
        ))),
        Some(row) if row.app_type == 1 => Err(AdminError::invalid(format!(
            "appid: {appid} is an official account; domains are set on mini programs"
        ))),
        Some(_) => Ok(()),
    }
}

fn server_path(directly: bool) -> &'static str {
    if directly {
        "/wxa/modify_domain_directly"
    } else {
        "/wxa/modify_domain"
    }
}

/// The server domains of `appid`: the ones set through the platform, or
/// (`directly`) the ones set directly.
pub async fn server_domains(
    state: &AppState,
    appid: &str,
    directly: bool,
) -> Result<ServerDomains, AdminError> {
    mini_program(state, appid).await?;
    let answer = wxapi::authorizer_call(
        state,
        appid,
        Method::Post,
        server_path(directly),
        &[],
        &json!({"action": "get"}),
    )
    .await?;
    Ok(ServerDomains::from_wechat(&answer, ""))
}

/// Sets `appid`'s server domains; answers the lists after the change and
/// what WeChat left out. Through the platform (`directly: false`), WeChat
/// refuses (1002 "85301 ...") when none of the domains is in the platform's
/// register: register them first ([`modify_platform_domains`]).
pub async fn modify_server_domains(
    state: &AppState,
    appid: &str,
    change: &ServerDomainChange,
) -> Result<ServerDomainResult, AdminError> {
    let domains = change.domains.validated()?;
    mini_program(state, appid).await?;
    let mut body = domains.to_wechat();
    body.insert("action".into(), json!(change.action.as_str()));
    let answer = wxapi::authorizer_call(
        state,
        appid,
        Method::Post,
        server_path(change.directly),
        &[],
        &Value::Object(body),
    )
    .await?;
    let invalid = ServerDomains::from_wechat(&answer, "invalid_");
    let domains = if answer.get(SERVER_KINDS[0].0).is_some() {
        ServerDomains::from_wechat(&answer, "")
    } else {
        server_domains(state, appid, change.directly).await?
    };
    Ok(ServerDomainResult { domains, invalid })
}

/// `get_effective_domain`: where each server domain comes from and which
/// are in effect.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "snake_case"))]
pub struct EffectiveDomains {
    /// Set on 公众平台 by the mini program itself.
    pub mp_domain: ServerDomains,
    /// Set through the platform (`modify_domain`).
    pub third_domain: ServerDomains,
    /// Set directly (`modify_domain_directly`).
    pub direct_domain: ServerDomains,
    /// In effect since the last commit or release.
    pub effective_domain: ServerDomains,
}

/// The effective server domains of `appid`.
pub async fn effective_domains(
    state: &AppState,
    appid: &str,
) -> Result<EffectiveDomains, AdminError> {
    mini_program(state, appid).await?;
    let answer = wxapi::authorizer_call(
        state,
        appid,
        Method::Post,
        "/wxa/get_effective_domain",
        &[],
        &json!({}),
    )
    .await?;
    let part = |name: &str| ServerDomains::from_wechat(&answer[name], "");
    Ok(EffectiveDomains {
        mp_domain: part("mp_domain"),
        third_domain: part("third_domain"),
        direct_domain: part("direct_domain"),
        effective_domain: part("effective_domain"),
    })
}

// ------------------------------------------------ a mini program's business domains

/// A mini program's business (web-view) domains: `{webviewDomain: [...]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebviewDomains {
    /// `https://host` entries.
    pub webview_domain: Vec<String>,
}

/// A change of a mini program's business domains.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebviewDomainChange {
    /// What to do.
    pub action: DomainAction,
    /// `https://host` entries (no port, no path).
    #[serde(default)]
    pub webview_domain: Vec<String>,
    /// Through `setwebviewdomain_directly` (each domain must serve the mini
    /// program's confirm file) instead of `setwebviewdomain` (each domain
    /// must be a platform business domain or a subdomain of one).
    #[serde(default)]
    pub directly: bool,
}

/// Reads `POST /admin/webview-domain`'s body `{appid, action, webviewDomain,
/// directly?}`: the appid and the typed change (1001 naming a bad field).
pub fn webview_domain_request(body: &[u8]) -> Result<(String, WebviewDomainChange), AdminError> {
    #[derive(Deserialize)]
    struct Appid {
        appid: String,
    }
    let Appid { appid } = params::json(body)?;
    Ok((appid, params::json(body)?))
}

impl WebviewDomainChange {
    pub(crate) fn validated(&self) -> Result<Vec<String>, AdminError> {
        let mut domains = Vec::with_capacity(self.webview_domain.len());
        for (i, item) in self.webview_domain.iter().enumerate() {
            let url = rules::parse_url(item)
                .filter(|url| url.scheme == "https" && url.port.is_none())
                .ok_or_else(|| {
                    AdminError::invalid(format!(
                        "webviewDomain[{i}]: {item:?} must be https://host, without a port or path"
                    ))
                })?;
            domains.push(url.to_string());
        }
        let domains = dedup(domains);
        if domains.is_empty() {
            return Err(AdminError::invalid(
                "webviewDomain: at least one domain is required",
            ));
        }
        if domains.len() > WEBVIEW_DOMAIN_LIMIT {
            return Err(AdminError::invalid(format!(
                "webviewDomain: at most {WEBVIEW_DOMAIN_LIMIT} domains, got {}",
                domains.len()
            )));
        }
        Ok(domains)
    }
}

fn webview_path(directly: bool) -> &'static str {
    if directly {
        "/wxa/setwebviewdomain_directly"
    } else {
        "/wxa/setwebviewdomain"
    }
}

fn webview_answer(answer: &Value) -> Option<WebviewDomains> {
    let list = answer.get("webviewdomain")?.as_array()?;
    Some(WebviewDomains {
        webview_domain: list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
    })
}

/// The business domains of `appid` set through the platform, or
/// (`directly`) set directly.
pub async fn webview_domains(
    state: &AppState,
    appid: &str,
    directly: bool,
) -> Result<WebviewDomains, AdminError> {
    mini_program(state, appid).await?;
    let answer = wxapi::authorizer_call(
        state,
        appid,
        Method::Post,
        webview_path(directly),
        &[],
        &json!({"action": "get"}),
    )
    .await?;
    Ok(webview_answer(&answer).unwrap_or_default())
}

/// Sets `appid`'s business domains; answers them after the change.
/// `setwebviewdomain` answers no list, so it is read back.
pub async fn modify_webview_domains(
    state: &AppState,
    appid: &str,
    change: &WebviewDomainChange,
) -> Result<WebviewDomains, AdminError> {
    let domains = change.validated()?;
    mini_program(state, appid).await?;
    let answer = wxapi::authorizer_call(
        state,
        appid,
        Method::Post,
        webview_path(change.directly),
        &[],
        &json!({"action": change.action.as_str(), "webviewdomain": domains}),
    )
    .await?;
    match webview_answer(&answer) {
        Some(domains) => Ok(domains),
        None => webview_domains(state, appid, change.directly).await,
    }
}

/// The file a business domain set directly must serve at its root
/// (`get_webviewdomain_confirmfile`, one per mini program).
pub async fn webview_confirm_file(
    state: &AppState,
    appid: &str,
) -> Result<ConfirmFile, AdminError> {
    mini_program(state, appid).await?;
    let path = "/wxa/get_webviewdomain_confirmfile";
    let answer = wxapi::authorizer_call(state, appid, Method::Post, path, &[], &json!({})).await?;
    decode(path, answer)
}
