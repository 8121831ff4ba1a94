//! The component (third-party platform) API: tokens, pre-auth codes,
//! authorization, authorizer info.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{WechatClient, WechatError};

/// `component_access_token` as WeChat issues it.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct AccessToken {
    /// The token.
    #[serde(alias = "component_access_token", alias = "access_token")]
    pub token: String,
    /// Seconds until it expires.
    pub expires_in: i64,
}

/// A pre-authorization code for building authorization links.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct PreAuthCode {
    /// The code.
    pub pre_auth_code: String,
    /// Seconds until it expires.
    pub expires_in: i64,
}

/// What `api_query_auth` returns about a new authorization.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct AuthorizationInfo {
    /// The authorized account.
    pub authorizer_appid: String,
    /// Its first access token.
    pub authorizer_access_token: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// The long-lived refresh token.
    pub authorizer_refresh_token: String,
    /// Permission sets granted.
    #[serde(default)]
    pub func_info: Vec<serde_json::Value>,
}

impl AuthorizationInfo {
    /// The granted permission-set ids, `|`-joined as wxcomponent stores them.
    pub fn func_info_ids(&self) -> String {
        func_ids(&self.func_info)
    }
}

/// An authorizer access token refreshed with the refresh token.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct AuthorizerToken {
    /// The token.
    pub authorizer_access_token: String,
    /// Seconds until it expires.
    pub expires_in: i64,
    /// The refresh token to use next time (WeChat may rotate it).
    pub authorizer_refresh_token: String,
}

/// `api_get_authorizer_info`, kept as WeChat sent it plus the fields we store.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct AuthorizerInfo {
    /// `authorizer_info` object (nick_name, head_img, service_type_info, ...).
    pub authorizer_info: serde_json::Value,
    /// `authorization_info` object (authorizer_appid, func_info, ...).
    pub authorization_info: serde_json::Value,
}

impl AuthorizerInfo {
    fn text(&self, key: &str) -> String {
        self.authorizer_info
            .get(key)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    }

    fn id_of(&self, key: &str) -> i64 {
        self.authorizer_info
            .get(key)
            .and_then(|v| v.get("id"))
            .and_then(|v| v.as_i64())
            .unwrap_or(-1)
    }

    /// 0 for a mini program, 1 for an official account (wxcomponent's `apptype`).
    pub fn app_type(&self) -> i32 {
        if self.authorizer_info.get("MiniProgramInfo").is_some() {
            0
        } else {
            1
        }
    }
    /// Display name.
    pub fn nick_name(&self) -> String {
        self.text("nick_name")
    }
    /// Avatar URL.
    pub fn head_img(&self) -> String {
        self.text("head_img")
    }
    /// Original id (gh_...).
    pub fn user_name(&self) -> String {
        self.text("user_name")
    }
    /// Owner's name.
    pub fn principal_name(&self) -> String {
        self.text("principal_name")
    }
    /// QR code URL.
    pub fn qrcode_url(&self) -> String {
        self.text("qrcode_url")
    }
    /// `service_type_info.id`.
    pub fn service_type(&self) -> i64 {
        self.id_of("service_type_info")
    }
    /// `verify_type_info.id` (-1 unverified).
    pub fn verify_type(&self) -> i64 {
        self.id_of("verify_type_info")
    }
    /// Granted permission-set ids, `|`-joined.
    pub fn func_info_ids(&self) -> String {
        self.authorization_info
            .get("func_info")
            .and_then(|v| v.as_array())
            .map(|items| func_ids(items))
            .unwrap_or_default()
    }
}

/// One row of `api_get_authorizer_list`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct AuthorizerListItem {
    /// The account.
    pub authorizer_appid: String,
    /// Its refresh token.
    pub refresh_token: String,
    /// When it authorized (Unix seconds).
    pub auth_time: i64,
}

#[derive(Deserialize)]
struct QueryAuthAnswer {
    authorization_info: AuthorizationInfo,
}

#[derive(Deserialize)]
struct AuthorizerList {
    total_count: i64,
    list: Vec<AuthorizerListItem>,
}

fn func_ids(items: &[serde_json::Value]) -> String {
    items
        .iter()
        .filter_map(|item| item.get("funcscope_category")?.get("id")?.as_i64())
        .map(|id| id.to_string())
        .collect::<Vec<_>>()
        .join("|")
}

impl WechatClient {
    /// `api_component_token`: a component token from appid, secret and ticket.
    pub async fn component_token(
        &self,
        component_appid: &str,
        component_secret: &str,
        ticket: &str,
    ) -> Result<AccessToken, WechatError> {
        self.post_json(
            "/cgi-bin/component/api_component_token",
            &[],
            &json!({
                "component_appid": component_appid,
                "component_appsecret": component_secret,
                "component_verify_ticket": ticket,
            }),
        )
        .await
    }

    /// `api_start_push_ticket`: asks WeChat to push a ticket now.
    pub async fn start_push_ticket(
        &self,
        component_appid: &str,
        component_secret: &str,
    ) -> Result<(), WechatError> {
        self.post_json::<_, serde_json::Value>(
            "/cgi-bin/component/api_start_push_ticket",
            &[],
            &json!({"component_appid": component_appid, "component_secret": component_secret}),
        )
        .await
        .map(drop)
    }

    /// `api_create_preauthcode`.
    pub async fn create_preauthcode(
        &self,
        component_token: &str,
        component_appid: &str,
    ) -> Result<PreAuthCode, WechatError> {
        self.post_json(
            "/cgi-bin/component/api_create_preauthcode",
            &[("component_access_token", component_token)],
            &json!({"component_appid": component_appid}),
        )
        .await
    }

    /// `api_query_auth`: exchanges an authorization code.
    pub async fn query_auth(
        &self,
        component_token: &str,
        component_appid: &str,
        authorization_code: &str,
    ) -> Result<AuthorizationInfo, WechatError> {
        let answer: QueryAuthAnswer = self
            .post_json(
                "/cgi-bin/component/api_query_auth",
                &[("component_access_token", component_token)],
                &json!({
                    "component_appid": component_appid,
                    "authorization_code": authorization_code,
                }),
            )
            .await?;
        Ok(answer.authorization_info)
    }

    /// `api_authorizer_token`: a fresh authorizer token from the refresh token.
    pub async fn authorizer_token(
        &self,
        component_token: &str,
        component_appid: &str,
        authorizer_appid: &str,
        refresh_token: &str,
    ) -> Result<AuthorizerToken, WechatError> {
        self.post_json(
            "/cgi-bin/component/api_authorizer_token",
            &[("component_access_token", component_token)],
            &json!({
                "component_appid": component_appid,
                "authorizer_appid": authorizer_appid,
                "authorizer_refresh_token": refresh_token,
            }),
        )
        .await
    }

    /// `api_get_authorizer_info`.
    pub async fn authorizer_info(
        &self,
        component_token: &str,
        component_appid: &str,
        authorizer_appid: &str,
    ) -> Result<AuthorizerInfo, WechatError> {
        self.post_json(
            "/cgi-bin/component/api_get_authorizer_info",
            &[("component_access_token", component_token)],
            &json!({"component_appid": component_appid, "authorizer_appid": authorizer_appid}),
        )
        .await
    }

    /// `api_get_authorizer_list`: one page, with the total.
    pub async fn authorizer_list(
        &self,
        component_token: &str,
        component_appid: &str,
        offset: u32,
        count: u32,
    ) -> Result<(i64, Vec<AuthorizerListItem>), WechatError> {
        let page: AuthorizerList = self
            .post_json(
                "/cgi-bin/component/api_get_authorizer_list",
                &[("component_access_token", component_token)],
                &json!({"component_appid": component_appid, "offset": offset, "count": count}),
            )
            .await?;
        Ok((page.total_count, page.list))
    }

    /// `/cgi-bin/message/custom/send` with an authorizer token.
    pub async fn send_custom_message(
        &self,
        authorizer_token: &str,
        message: &serde_json::Value,
    ) -> Result<(), WechatError> {
        self.post_json::<_, serde_json::Value>(
            "/cgi-bin/message/custom/send",
            &[("access_token", authorizer_token)],
            message,
        )
        .await
        .map(drop)
    }
}
