//! WeChat-side flows that end in a push: a new verify ticket, an administrator
//! authorizing (or revoking) the platform, a user sending a message. The
//! control endpoints, the release check, the background pusher and the fake
//! API share these functions.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::account_state::audit_status;
use crate::calls::lock;
use crate::component_state::{granted_func_info, platform_func_info, AuthCode, Authorizer, Ticket};
use crate::errors::WxError;
use crate::push::{push, PushFields, PushFormat, PushMode, PushOutcome, PushTarget, PushValue};
use crate::state::SimState;
use crate::tokens::TokenOwner;

/// The openid the simulator's user has when a message names none.
pub const DEFAULT_OPENID: &str = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M";

/// A ticket and how its push went.
#[derive(Debug, Clone, Serialize)]
pub struct TicketPush {
    /// The ticket, now the only one `api_component_token` accepts.
    pub ticket: Ticket,
    /// The push to the component URL.
    pub push: PushOutcome,
}

/// Mints a new ticket (replacing the previous one) without pushing it yet.
pub fn mint_ticket(state: &SimState) -> Ticket {
    let now = state.now();
    lock(&state.component).mint_ticket(now, state.settings.ticket_ttl_secs)
}

/// Pushes `ticket` to the component URL as `component_verify_ticket`.
pub async fn push_existing_ticket(state: &SimState, ticket: &Ticket) -> PushOutcome {
    let fields = component_fields(state, "component_verify_ticket")
        .text("ComponentVerifyTicket", ticket.ticket.clone());
    push(
        state,
        &PushTarget::Component,
        &fields,
        PushMode::from_settings(&state.settings),
    )
    .await
}

/// Mints a new ticket and pushes it.
pub async fn push_ticket(state: &SimState) -> TicketPush {
    let ticket = mint_ticket(state);
    let push = push_existing_ticket(state, &ticket).await;
    TicketPush { ticket, push }
}

/// `AppId`, `CreateTime`, `InfoType`: the head of every component push.
fn component_fields(state: &SimState, info_type: &str) -> PushFields {
    PushFields::new()
        .text("AppId", state.settings.component_appid.clone())
        .int("CreateTime", state.now())
        .text("InfoType", info_type)
}

/// An administrator opening an authorization link and confirming it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AuthorizeRequest {
    /// The `pre_auth_code` of the link.
    pub pre_auth_code: Option<String>,
    /// The account that authorizes.
    pub authorizer_appid: Option<String>,
    /// Whether that account is a mini program; defaults to what `auth_type` allows.
    pub is_mini_program: Option<bool>,
    /// Where the browser goes afterwards.
    pub redirect_uri: Option<String>,
    /// `auth_type` of the link: 1 official accounts, 2 mini programs, 3 both, ...
    pub auth_type: Option<i64>,
    /// `biz_appid` of the link: only this account may authorize.
    pub biz_appid: Option<String>,
    /// The permission set ids the administrator leaves ticked on the page;
    /// default every set the platform asks for this kind of account (see
    /// [`platform_func_info`]). A re-authorization replaces the sets granted.
    pub func_info: Option<Vec<i64>>,
    /// The whole authorization link (PC `componentloginpage` or H5
    /// `bindcomponent`); its parameters fill in the fields not given.
    pub url: Option<String>,
}

/// What an authorization did.
#[derive(Debug, Clone, Serialize)]
pub struct AuthorizeOutcome {
    /// The account that authorized.
    pub authorizer_appid: String,
    /// Whether it is a mini program.
    pub is_mini_program: bool,
    /// `authorized` or `updateauthorized`.
    pub info_type: String,
    /// The permission set ids granted, as `api_query_auth` will answer them.
    pub func_info: Vec<i64>,
    /// The authorization code (also in the push and the redirect).
    pub auth_code: String,
    /// Seconds the code stays valid.
    pub expires_in: i64,
    /// `AuthorizationCodeExpiredTime`: simulated Unix time it expires.
    pub expires_at: i64,
    /// The browser redirect `redirect_uri?auth_code=..&expires_in=..`, if a
    /// redirect URI was given.
    pub redirect: Option<String>,
    /// The push to the component URL.
    pub push: PushOutcome,
}

/// The parameters of an authorization link.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LinkParams {
    /// `component_appid`.
    pub component_appid: Option<String>,
    /// `pre_auth_code`.
    pub pre_auth_code: Option<String>,
    /// `redirect_uri`, decoded.
    pub redirect_uri: Option<String>,
    /// `auth_type`.
    pub auth_type: Option<i64>,
    /// `biz_appid`.
    pub biz_appid: Option<String>,
}

/// Reads the parameters of a PC (`componentloginpage`) or H5
/// (`bindcomponent`, with or without `#wechat_redirect`) authorization link.
pub fn parse_authorization_link(link: &str) -> Result<LinkParams, WxError> {
    let url = reqwest::Url::parse(link.trim())
        .map_err(|e| WxError::new(40097, format!("invalid args: authorization link: {e}")))?;
    let mut params = LinkParams::default();
    for (key, value) in url.query_pairs() {
        let value = value.into_owned();
        match key.as_ref() {
            "component_appid" => params.component_appid = Some(value),
            "pre_auth_code" => params.pre_auth_code = Some(value),
            "redirect_uri" => params.redirect_uri = Some(value),
            "auth_type" => {
                let parsed = value.trim().parse::<i64>().map_err(|_| {
                    WxError::new(40097, format!("invalid args: auth_type {value:?}"))
                })?;
                params.auth_type = Some(parsed);
            }
            "biz_appid" => params.biz_appid = Some(value).filter(|v| !v.is_empty()),
            _ => {}
        }
    }
    Ok(params)
}

/// The administrator confirms the authorization page: the pre-auth code is
/// spent, the account is authorized (or its authorization updated), an
/// authorization code is minted and pushed as `authorized` /
/// `updateauthorized`, and the browser redirect is computed.
pub async fn authorize(
    state: &SimState,
    request: AuthorizeRequest,
) -> Result<AuthorizeOutcome, WxError> {
    let mut request = request;
    if let Some(link) = request.url.clone() {
        let params = parse_authorization_link(&link)?;
        if let Some(appid) = &params.component_appid {
            if appid != &state.settings.component_appid {
                return Err(WxError::new(
                    40013,
                    format!("invalid appid: the link is for component {appid}"),
                ));
            }
        }
        request.pre_auth_code = request.pre_auth_code.or(params.pre_auth_code);
        request.redirect_uri = request.redirect_uri.or(params.redirect_uri);
        request.auth_type = request.auth_type.or(params.auth_type);
        request.biz_appid = request.biz_appid.or(params.biz_appid);
    }
    let pre_auth_code = non_empty(request.pre_auth_code)
        .ok_or_else(|| WxError::missing_param(41002, "pre_auth_code"))?;
    let appid = non_empty(request.authorizer_appid)
        .or_else(|| request.biz_appid.clone())
        .ok_or_else(|| WxError::missing_param(41002, "authorizer_appid"))?;
    let auth_type = request.auth_type.unwrap_or(3);
    if let Some(biz) = &request.biz_appid {
        if biz != &appid {
            return Err(WxError::new(
                40097,
                format!("invalid args: the link is for account {biz} only"),
            ));
        }
    }

    let now = state.now();
    let (info_type, is_mini_program, func_info, code) = {
        let mut component = lock(&state.component);
        let known = component.authorizers.get(&appid).map(|a| a.is_mini_program);
        let is_mini_program = request.is_mini_program.or(known).unwrap_or(auth_type == 2);
        check_auth_type(auth_type, is_mini_program)?;
        let func_info = match &request.func_info {
            Some(chosen) => granted_func_info(chosen, is_mini_program)?,
            None => platform_func_info(is_mini_program).to_vec(),
        };
        component.use_preauth_code(&pre_auth_code, now)?;
        let info_type = match component.authorizers.get_mut(&appid) {
            Some(existing) => {
                existing.is_mini_program = is_mini_program;
                existing.func_info = func_info.clone();
                existing.authorized_at = now;
                "updateauthorized"
            }
            None => {
                let mut authorizer = Authorizer::new(&appid, is_mini_program, now);
                authorizer.func_info = func_info.clone();
                component.authorizers.insert(appid.clone(), authorizer);
                "authorized"
            }
        };
        let code = component.mint_auth_code(&appid, now, state.settings.auth_code_ttl_secs);
        (info_type, is_mini_program, func_info, code)
    };

    let fields = component_fields(state, info_type)
        .text("AuthorizerAppid", appid.clone())
        .text("AuthorizationCode", code.code.clone())
        .int("AuthorizationCodeExpiredTime", code.expires_at)
        .text("PreAuthCode", pre_auth_code);
    let push = push(
        state,
        &PushTarget::Component,
        &fields,
        PushMode::from_settings(&state.settings),
    )
    .await;
    let expires_in = state.settings.auth_code_ttl_secs;
    let redirect =
        non_empty(request.redirect_uri).map(|uri| redirect_with(&uri, &code, expires_in));
    Ok(AuthorizeOutcome {
        authorizer_appid: appid,
        is_mini_program,
        info_type: info_type.to_string(),
        func_info,
        auth_code: code.code,
        expires_in,
        expires_at: code.expires_at,
        redirect,
        push,
    })
}

/// Refuses an account type the link's `auth_type` does not allow
/// (1: official accounts only, 2: mini programs only).
fn check_auth_type(auth_type: i64, is_mini_program: bool) -> Result<(), WxError> {
    match (auth_type, is_mini_program) {
        (1, true) => Err(WxError::new(
            40097,
            "invalid args: auth_type 1 lets only official accounts authorize",
        )),
        (2, false) => Err(WxError::new(
            40097,
            "invalid args: auth_type 2 lets only mini programs authorize",
        )),
        _ => Ok(()),
    }
}

/// `redirect_uri` with `auth_code` and `expires_in` appended to its very end,
/// as WeChat redirects the administrator's browser
/// (`redirect_uri?auth_code=xxx&expires_in=600`): the URI is kept exactly as
/// given, so with a hash-routed page (`https://host/#/redirectPage`) the code
/// lands after the fragment, where the page's router reads it. The separator
/// is `&` when the last part (the fragment if any, else the whole URI)
/// already has a query, none when that query ends open (`?` or `&`).
fn redirect_with(uri: &str, code: &AuthCode, expires_in: i64) -> String {
    let tail = uri.rsplit_once('#').map_or(uri, |(_, fragment)| fragment);
    let separator = if tail.ends_with(['?', '&']) {
        ""
    } else if tail.contains('?') {
        "&"
    } else {
        "?"
    };
    format!(
        "{uri}{separator}auth_code={}&expires_in={expires_in}",
        encode_query_value(&code.code)
    )
}

/// Percent-encodes what may not stand in a query value; `@` (which every
/// WeChat code carries, `queryauthcode@@@...`) is allowed there and kept.
fn encode_query_value(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'@') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// What a revocation did.
#[derive(Debug, Clone, Serialize)]
pub struct UnauthorizeOutcome {
    /// The account that revoked its authorization.
    pub authorizer_appid: String,
    /// The `unauthorized` push to the component URL.
    pub push: PushOutcome,
}

/// The administrator revokes the authorization: the account, its refresh
/// token and every token it had stop working at once, and `unauthorized` is
/// pushed. Unknown accounts answer 61003.
pub async fn unauthorize(state: &SimState, appid: &str) -> Result<UnauthorizeOutcome, WxError> {
    let now = state.now();
    let removed = lock(&state.component).authorizers.remove(appid);
    if removed.is_none() {
        return Err(not_authorized(appid));
    }
    lock(&state.tokens).revoke_owner(&TokenOwner::Authorizer(appid.to_string()), now);
    let fields = component_fields(state, "unauthorized").text("AuthorizerAppid", appid.to_string());
    let push = push(
        state,
        &PushTarget::Component,
        &fields,
        PushMode::from_settings(&state.settings),
    )
    .await;
    Ok(UnauthorizeOutcome {
        authorizer_appid: appid.to_string(),
        push,
    })
}

/// 61003: the account has not authorized the platform.
pub fn not_authorized(appid: &str) -> WxError {
    WxError::new(
        61003,
        format!("component is not authorized by this account ({appid})"),
    )
}

/// Authorizes `appid` directly (no pre-auth code, no push) unless it already
/// is; returns whether it was newly authorized.
pub fn ensure_authorized(state: &SimState, appid: &str, is_mini_program: bool) -> bool {
    let now = state.now();
    let mut component = lock(&state.component);
    if component.is_authorized(appid) {
        return false;
    }
    component.authorizers.insert(
        appid.to_string(),
        Authorizer::new(appid, is_mini_program, now),
    );
    true
}

/// Mints an authorization code for `appid` without any push (the release
/// check's `QUERY_AUTH_CODE:<code>`), authorizing the account first if needed.
pub fn mint_auth_code(state: &SimState, appid: &str, is_mini_program: bool) -> AuthCode {
    ensure_authorized(state, appid, is_mini_program);
    let now = state.now();
    lock(&state.component).mint_auth_code(appid, now, state.settings.auth_code_ttl_secs)
}

/// A user message or event for `/__sim/message`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MessageRequest {
    /// The authorizer the message is sent to.
    pub appid: String,
    /// The sender's openid (default [`DEFAULT_OPENID`]).
    pub from: Option<String>,
    /// `text`, `image`, `voice`, `video`, `shortvideo`, `location`, `link` or `event`.
    pub msg_type: Option<String>,
    /// Text content (`text`), or the title of a `link`.
    pub content: Option<String>,
    /// The event name for `event` (e.g. `subscribe`, `CLICK`, `LOCATION`).
    pub event: Option<String>,
    /// `EventKey` of the event.
    pub event_key: Option<String>,
    /// Body encoding; default the configured `push_format`.
    pub format: Option<String>,
    /// Safe mode (default true).
    pub encrypted: Option<bool>,
    /// Cloud Run style; default the configured `push_cloudrun`.
    pub cloudrun: Option<bool>,
    /// Extra fields (added or overriding the generated ones).
    pub fields: Option<BTreeMap<String, serde_json::Value>>,
}

/// What a message push did.
#[derive(Debug, Clone, Serialize)]
pub struct MessageOutcome {
    /// The authorizer.
    pub appid: String,
    /// The sender's openid.
    pub openid: String,
    /// `MsgType` sent.
    pub msg_type: String,
    /// The push to the biz URL, with the decoded reply.
    pub push: PushOutcome,
}

/// Builds the fields of the user message `request` describes.
pub fn message_fields(state: &SimState, request: &MessageRequest) -> Result<PushFields, WxError> {
    let to = crate::component_state::original_id(&request.appid);
    let from = request
        .from
        .clone()
        .filter(|f| !f.is_empty())
        .unwrap_or_else(|| DEFAULT_OPENID.to_string());
    let msg_type = request
        .msg_type
        .clone()
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| {
            if request.event.is_some() {
                "event".into()
            } else {
                "text".into()
            }
        });
    let msg_id = msg_id();
    let mut fields = PushFields::new()
        .text("ToUserName", to)
        .text("FromUserName", from)
        .int("CreateTime", state.now())
        .text("MsgType", msg_type.clone());
    let media = format!("media_{}", crate::tokens::random_string(24));
    fields = match msg_type.as_str() {
        "text" => fields
            .text(
                "Content",
                request.content.clone().unwrap_or_else(|| "hello".into()),
            )
            .int("MsgId", msg_id),
        "image" => fields
            .text("PicUrl", "http://mmbiz.qpic.cn/wxsim/image.jpg")
            .text("MediaId", media)
            .int("MsgId", msg_id),
        "voice" => fields
            .text("MediaId", media)
            .text("Format", "amr")
            .int("MsgId", msg_id),
        "video" | "shortvideo" => fields
            .text("MediaId", media)
            .text(
                "ThumbMediaId",
                format!("thumb_{}", crate::tokens::random_string(24)),
            )
            .int("MsgId", msg_id),
        "location" => fields
            .float("Location_X", 23.134521)
            .float("Location_Y", 113.358803)
            .int("Scale", 20)
            .text(
                "Label",
                request
                    .content
                    .clone()
                    .unwrap_or_else(|| "Guangzhou".into()),
            )
            .int("MsgId", msg_id),
        "link" => fields
            .text(
                "Title",
                request
                    .content
                    .clone()
                    .unwrap_or_else(|| "wxsim link".into()),
            )
            .text("Description", "a link sent through wxsim")
            .text("Url", "https://example.com/wxsim")
            .int("MsgId", msg_id),
        "event" => {
            let event = request
                .event
                .clone()
                .filter(|e| !e.is_empty())
                .ok_or_else(|| WxError::missing_param(41002, "event"))?;
            let mut fields = fields.text("Event", event.clone());
            if let Some(key) = &request.event_key {
                fields = fields.text("EventKey", key.clone());
            }
            if event == "LOCATION" {
                fields = fields
                    .float("Latitude", 23.137466)
                    .float("Longitude", 113.352425)
                    .float("Precision", 119.385040);
            }
            fields
        }
        other => {
            return Err(WxError::new(
                40008,
                format!("invalid message type: {other:?}"),
            ))
        }
    };
    for (name, value) in request.fields.iter().flatten() {
        let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(WxError::new(
                40097,
                format!("invalid args: field name {name:?}"),
            ));
        }
        let value = match value {
            serde_json::Value::String(s) => PushValue::Text(s.clone()),
            serde_json::Value::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => PushValue::Int(i),
                (None, Some(f)) => PushValue::Float(f),
                _ => PushValue::Text(n.to_string()),
            },
            other => PushValue::Text(other.to_string()),
        };
        fields.set(name, value);
    }
    Ok(fields)
}

/// A user sends a message (or triggers an event) to an authorized account:
/// it is pushed to the biz URL and the passive reply read back.
pub async fn send_message(
    state: &SimState,
    request: &MessageRequest,
) -> Result<MessageOutcome, WxError> {
    if request.appid.is_empty() {
        return Err(WxError::missing_param(41002, "appid"));
    }
    if !lock(&state.component).is_authorized(&request.appid) {
        return Err(not_authorized(&request.appid));
    }
    let fields = message_fields(state, request)?;
    let mut mode = PushMode::from_settings(&state.settings);
    if let Some(format) = &request.format {
        mode.format = PushFormat::parse(format).ok_or_else(|| {
            WxError::new(
                40097,
                format!("invalid args: format {format:?}, expected xml or json"),
            )
        })?;
    }
    if let Some(encrypted) = request.encrypted {
        mode.encrypted = encrypted;
    }
    if let Some(cloudrun) = request.cloudrun {
        mode.cloudrun = cloudrun;
    }
    let openid = fields.get_text("FromUserName").unwrap_or_default();
    let msg_type = fields.get_text("MsgType").unwrap_or_default();
    let target = PushTarget::Biz {
        appid: request.appid.clone(),
        openid: openid.clone(),
    };
    let push = push(state, &target, &fields, mode).await;
    Ok(MessageOutcome {
        appid: request.appid.clone(),
        openid,
        msg_type,
        push,
    })
}

/// A 64-bit message id like WeChat's (positive, 19 digits at most).
fn msg_id() -> i64 {
    let id = rand::random::<u64>() >> 2;
    i64::try_from(id).unwrap_or(i64::MAX).max(1)
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

/// Pushes the decision on `appid`'s audit to its 消息与事件URL as WeChat
/// does: `weapp_audit_success`, `weapp_audit_fail` (with the reason and the
/// reviewer's screenshots) or `weapp_audit_delay` (with the reason). `None`
/// for a status that is no decision.
pub async fn push_audit_decision(
    state: &SimState,
    appid: &str,
    status: i64,
    reason: &str,
    screenshot: &str,
) -> Option<PushOutcome> {
    let now = state.now();
    let fields = PushFields::new()
        .text("ToUserName", crate::component_state::original_id(appid))
        .text("FromUserName", DEFAULT_OPENID)
        .int("CreateTime", now)
        .text("MsgType", "event");
    let fields = match status {
        audit_status::APPROVED => fields
            .text("Event", "weapp_audit_success")
            .int("SuccTime", now),
        audit_status::REJECTED => fields
            .text("Event", "weapp_audit_fail")
            .text("Reason", reason)
            .int("FailTime", now)
            .text("ScreenShot", screenshot),
        audit_status::DELAYED => fields
            .text("Event", "weapp_audit_delay")
            .text("Reason", reason)
            .int("DelayTime", now),
        _ => return None,
    };
    let target = PushTarget::Biz {
        appid: appid.to_string(),
        openid: DEFAULT_OPENID.to_string(),
    };
    Some(
        push(
            state,
            &target,
            &fields,
            PushMode::from_settings(&state.settings),
        )
        .await,
    )
}
