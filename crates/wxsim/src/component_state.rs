//! Component-side state: the verify ticket, pre-auth codes, authorization
//! codes, authorizers and their options, and a short log of pushes made.
//!
//! Everything here is plain data plus the rules WeChat applies to it (which
//! ticket is accepted, when a code is spent or expired), so the HTTP handlers,
//! the flows and the tests share one definition of those rules.

use std::collections::{BTreeMap, VecDeque};

use serde::Serialize;

use crate::errors::WxError;
use crate::tokens::random_string;

/// How many push summaries `/__sim/pushes` keeps.
pub const PUSH_LOG_LEN: usize = 200;

/// The official full-network-release test official account (全网发布 test account).
pub const RELEASE_TEST_OFFICIAL_ACCOUNT: &str = "wx570bc396a51b8ff8";
/// The official full-network-release test mini program.
pub const RELEASE_TEST_MINI_PROGRAM: &str = "wxd101a85aa106f53e";

/// What the component side of the simulator remembers.
#[derive(Debug, Default, Serialize)]
pub struct ComponentState {
    /// Accounts currently authorized to the platform, by appid.
    pub authorizers: BTreeMap<String, Authorizer>,
    /// The latest `component_verify_ticket` pushed: the only one accepted.
    pub ticket: Option<Ticket>,
    /// How many tickets have been minted so far.
    pub tickets_issued: u64,
    /// Pre-auth codes handed out by `api_create_preauthcode`, by code.
    pub preauth_codes: BTreeMap<String, PreAuthCode>,
    /// Authorization codes minted by authorizations, by code.
    pub auth_codes: BTreeMap<String, AuthCode>,
    /// `authorizer_info` fields set by `/__sim/authorizer-info`, by appid:
    /// `api_get_authorizer_info` answers them instead of the generated ones
    /// (a nickname longer than usual, a changed avatar).
    pub authorizer_info: BTreeMap<String, serde_json::Map<String, serde_json::Value>>,
    /// How often `clear_quota` was called, per appid.
    pub quota_clears: BTreeMap<String, u64>,
    /// The most recent pushes, newest last (bounded by [`PUSH_LOG_LEN`]).
    #[serde(skip)]
    pub push_log: VecDeque<serde_json::Value>,
}

/// A `component_verify_ticket` as the simulator issued it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Ticket {
    /// The ticket string.
    pub ticket: String,
    /// When it was minted, simulated Unix seconds.
    pub issued_at: i64,
    /// When `api_component_token` stops accepting it.
    pub expires_at: i64,
}

/// A pre-auth code (`pre_auth_code`), valid once until it expires.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PreAuthCode {
    /// The code.
    pub code: String,
    /// When it stops working.
    pub expires_at: i64,
    /// Whether an authorization already used it.
    pub used: bool,
}

/// An authorization code (`auth_code` / `AuthorizationCode`), exchanged once
/// by `api_query_auth`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AuthCode {
    /// The code.
    pub code: String,
    /// The account that authorized.
    pub authorizer_appid: String,
    /// When it was minted.
    pub issued_at: i64,
    /// When it stops working.
    pub expires_at: i64,
    /// When `api_query_auth` consumed it, if it did.
    pub consumed_at: Option<i64>,
}

impl ComponentState {
    /// Whether `appid` is currently authorized to the platform.
    pub fn is_authorized(&self, appid: &str) -> bool {
        self.authorizers.contains_key(appid)
    }

    /// Mints a new ticket valid for `ttl` seconds; it replaces every earlier one.
    pub fn mint_ticket(&mut self, now: i64, ttl: i64) -> Ticket {
        self.tickets_issued = self.tickets_issued.saturating_add(1);
        let ticket = Ticket {
            ticket: format!("ticket@@@{}", random_string(86)),
            issued_at: now,
            expires_at: now.saturating_add(ttl),
        };
        self.ticket = Some(ticket.clone());
        ticket
    }

    /// Checks a ticket given to `api_component_token`: only the latest one
    /// counts (61006 for anything else), and only until it expires (61005).
    pub fn check_ticket(&self, ticket: &str, now: i64) -> Result<(), WxError> {
        match &self.ticket {
            Some(latest) if !ticket.is_empty() && latest.ticket == ticket => {
                if now >= latest.expires_at {
                    Err(WxError::new(61005, "component verify ticket is expired"))
                } else {
                    Ok(())
                }
            }
            _ => Err(WxError::new(61006, "component verify ticket is invalid")),
        }
    }

    /// Mints a pre-auth code valid for `ttl` seconds.
    pub fn mint_preauth_code(&mut self, now: i64, ttl: i64) -> PreAuthCode {
        self.forget_stale(now);
        let code = PreAuthCode {
            code: format!("preauthcode@@@{}", random_string(64)),
            expires_at: now.saturating_add(ttl),
            used: false,
        };
        self.preauth_codes.insert(code.code.clone(), code.clone());
        code
    }

    /// Spends a pre-auth code: unknown or already used → 61009, expired → 61010.
    pub fn use_preauth_code(&mut self, code: &str, now: i64) -> Result<(), WxError> {
        let Some(entry) = self.preauth_codes.get_mut(code) else {
            return Err(WxError::new(61009, "pre_auth_code is invalid"));
        };
        if entry.used {
            return Err(WxError::new(
                61009,
                "pre_auth_code is invalid (already used)",
            ));
        }
        if now >= entry.expires_at {
            return Err(WxError::new(61010, "pre_auth_code is expired"));
        }
        entry.used = true;
        Ok(())
    }

    /// Mints an authorization code for `appid`, valid for `ttl` seconds.
    pub fn mint_auth_code(&mut self, appid: &str, now: i64, ttl: i64) -> AuthCode {
        self.forget_stale(now);
        let code = AuthCode {
            code: format!("queryauthcode@@@{}", random_string(64)),
            authorizer_appid: appid.to_string(),
            issued_at: now,
            expires_at: now.saturating_add(ttl),
            consumed_at: None,
        };
        self.auth_codes.insert(code.code.clone(), code.clone());
        code
    }

    /// Spends an authorization code for `api_query_auth`: unknown or already
    /// used → 61009 (`code is invalid`), expired → 61010 (`code is expired`).
    pub fn consume_auth_code(&mut self, code: &str, now: i64) -> Result<AuthCode, WxError> {
        let Some(entry) = self.auth_codes.get_mut(code) else {
            return Err(WxError::new(61009, "code is invalid"));
        };
        if entry.consumed_at.is_some() {
            return Err(WxError::new(61009, "code is invalid (already used)"));
        }
        if now >= entry.expires_at {
            return Err(WxError::new(61010, "code is expired"));
        }
        entry.consumed_at = Some(now);
        Ok(entry.clone())
    }

    /// Whether `code` has been exchanged by `api_query_auth`.
    pub fn auth_code_consumed(&self, code: &str) -> bool {
        self.auth_codes
            .get(code)
            .is_some_and(|c| c.consumed_at.is_some())
    }

    /// Records a push for `/__sim/pushes`, dropping the oldest beyond the limit.
    pub fn log_push(&mut self, summary: serde_json::Value) {
        self.push_log.push_back(summary);
        while self.push_log.len() > PUSH_LOG_LEN {
            self.push_log.pop_front();
        }
    }

    /// Drops codes expired for over a day, so a long-running simulator does
    /// not grow without bound. Spent codes stay until then so reuse still
    /// answers "already used".
    fn forget_stale(&mut self, now: i64) {
        let horizon = now.saturating_sub(86_400);
        self.preauth_codes.retain(|_, c| c.expires_at > horizon);
        self.auth_codes.retain(|_, c| c.expires_at > horizon);
    }
}

/// An account (official account or mini program) authorized to the platform.
#[derive(Debug, Clone, Serialize)]
pub struct Authorizer {
    /// The account's appid.
    pub appid: String,
    /// Whether it is a mini program (else an official account).
    pub is_mini_program: bool,
    /// The current `authorizer_refresh_token`.
    pub refresh_token: String,
    /// Permission set ids granted (`func_info`).
    pub func_info: Vec<i64>,
    /// When it was (last) authorized, simulated Unix seconds.
    pub authorized_at: i64,
    /// Values set by `api_set_authorizer_option`, by option name.
    pub options: BTreeMap<String, String>,
}

impl Authorizer {
    /// A freshly authorized account granted every permission set the platform
    /// asks for its kind of account ([`platform_func_info`]), as when the
    /// administrator confirms the authorization page without unticking any.
    pub fn new(appid: &str, is_mini_program: bool, now: i64) -> Self {
        Self {
            appid: appid.to_string(),
            is_mini_program,
            refresh_token: format!("refreshtoken@@@{}", random_string(40)),
            func_info: platform_func_info(is_mini_program).to_vec(),
            authorized_at: now,
            options: BTreeMap::new(),
        }
    }

    /// The account's original id (`gh_...`), the `ToUserName` of its pushes.
    pub fn user_name(&self) -> String {
        original_id(&self.appid)
    }
}

/// 小程序开发与数据分析 (development management and data analysis): the mini
/// program permission set that makes an authorizer a managed (代开发) mini
/// program whose code the platform commits, audits and releases.
pub const FUNC_MINI_PROGRAM_DEVELOPMENT: i64 = 18;

/// The mini program permission sets (小程序权限集) the simulated platform asks
/// for, so the console's managed mini program pages have accounts to show:
/// 17 获取小程序码, 18 小程序开发与数据分析, 19 小程序客服管理, 25 开放平台账号管理,
/// 30 小程序基本信息管理, 31 小程序认证名称检测, 37 附近的小程序管理, 40 小程序插件管理,
/// 45 微信物流服务, 48 微信财政电子票据管理, 49 小程序云开发管理, 51 小程序即时配送,
/// 52 小程序直播管理.
pub const MINI_PROGRAM_FUNC_INFO: &[i64] = &[
    17,
    FUNC_MINI_PROGRAM_DEVELOPMENT,
    19,
    25,
    30,
    31,
    37,
    40,
    45,
    48,
    49,
    51,
    52,
];

/// The official account permission sets (公众号权限集) the simulated platform
/// asks for: 1 消息管理, 2 用户管理, 3 账号服务, 4 网页服务, 6 微信多客服,
/// 7 群发与通知, 8 微信卡券, 9 微信扫一扫, 10 微信连WIFI, 11 素材管理, 12 微信摇周边,
/// 13 微信门店, 15 菜单管理, 22 城市服务, 23 广告管理, 24 开放平台账号管理,
/// 26 微信电子发票, 27 快速注册小程序, 33 小程序关联管理.
pub const OFFICIAL_ACCOUNT_FUNC_INFO: &[i64] = &[
    1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 15, 22, 23, 24, 26, 27, 33,
];

/// The permission sets the platform asks for from a mini program or an
/// official account: WeChat offers an account only the sets of its kind.
pub fn platform_func_info(is_mini_program: bool) -> &'static [i64] {
    if is_mini_program {
        MINI_PROGRAM_FUNC_INFO
    } else {
        OFFICIAL_ACCOUNT_FUNC_INFO
    }
}

/// The sets an administrator grants when ticking `chosen` on the authorization
/// page: each must be one the platform asks for from this kind of account
/// (40097 otherwise, naming it), at least one, duplicates dropped.
pub fn granted_func_info(chosen: &[i64], is_mini_program: bool) -> Result<Vec<i64>, WxError> {
    let offered = platform_func_info(is_mini_program);
    if chosen.is_empty() {
        return Err(WxError::new(
            40097,
            "invalid args: func_info must grant at least one permission set",
        ));
    }
    if let Some(id) = chosen.iter().find(|id| !offered.contains(id)) {
        let kind = if is_mini_program {
            "mini programs"
        } else {
            "official accounts"
        };
        return Err(WxError::new(
            40097,
            format!(
                "invalid args: func_info {id} is not a permission set the platform asks {kind} for ({offered:?})"
            ),
        ));
    }
    Ok(offered
        .iter()
        .copied()
        .filter(|id| chosen.contains(id))
        .collect())
}

/// The original id (`user_name`, `gh_` + 12 hex digits) the simulator gives
/// `appid`: stable, so pushes, authorizer info and tests agree on it. The
/// official release-test accounts get their real original ids.
pub fn original_id(appid: &str) -> String {
    match appid {
        RELEASE_TEST_OFFICIAL_ACCOUNT => "gh_3c884a361561".to_string(),
        RELEASE_TEST_MINI_PROGRAM => "gh_8dad206e9538".to_string(),
        _ => {
            let digest = common::crypto::sha1_signature(&["wxsim-original-id", appid]);
            format!("gh_{}", digest.get(..12).unwrap_or(&digest))
        }
    }
}

/// The authorizer options `api_get/set_authorizer_option` know, with the
/// values each accepts.
pub fn option_values(name: &str) -> Option<&'static [&'static str]> {
    match name {
        "location_report" => Some(&["0", "1", "2"]),
        "voice_recognize" | "customer_service" => Some(&["0", "1"]),
        _ => None,
    }
}
