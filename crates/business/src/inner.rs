//! The admin's inner API, reached through the gateway's internal listener.
//! Tokens: the business service never holds WeChat secrets: it asks for a
//! token per call (the admin caches them) and reports a token WeChat rejected
//! so the token manager replaces it (only if it is still the current one).
//! Bindings: a business id bound to the account that authorized through the
//! operator's page (`/inner/bindings`).

use std::time::Duration;

use common::wechat::TokenSource;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{json, Value};

/// Why no token could be obtained.
#[derive(Debug, thiserror::Error)]
pub enum InnerError {
    /// The inner API could not be reached.
    #[error("token manager unreachable: {0}")]
    Unreachable(String),
    /// The inner API refused (code ≠ 0): e.g. 1007 no ticket yet, or the
    /// account is not authorized.
    #[error("token manager refused ({code}): {message}")]
    Refused {
        /// wxcomponent error code.
        code: i64,
        /// Its message.
        message: String,
    },
}

#[derive(Deserialize)]
struct Envelope {
    code: i64,
    #[serde(default, rename = "errorMsg")]
    error_msg: String,
    #[serde(default)]
    data: Value,
}

/// Client of the admin's `/inner/*` token routes.
#[derive(Clone)]
pub struct InnerClient {
    http: reqwest::Client,
    base_url: String,
    token: SecretString,
}

impl InnerClient {
    /// A client for `base_url` presenting `token`.
    pub fn new(base_url: &str, token: SecretString) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()?;
        Ok(Self {
            http,
            base_url: base_url.trim_end_matches('/').to_string(),
            token,
        })
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let request = self
            .http
            .request(method, format!("{}{path}", self.base_url));
        let token = self.token.expose_secret();
        if token.is_empty() {
            request
        } else {
            request.bearer_auth(token)
        }
    }

    /// The current `authorizer_access_token` of `appid`.
    pub async fn authorizer_token(&self, appid: &str) -> Result<String, InnerError> {
        self.token(
            self.request(reqwest::Method::GET, "/inner/authorizer-access-token")
                .query(&[("appid", appid)]),
        )
        .await
    }

    /// The current `component_access_token`.
    pub async fn component_token(&self) -> Result<String, InnerError> {
        self.token(self.request(reqwest::Method::GET, "/inner/component-access-token"))
            .await
    }

    /// An authorizer's token as a [`TokenSource`], for calling WeChat with it.
    pub fn authorizer<'a>(&'a self, appid: &'a str) -> InnerToken<'a> {
        InnerToken {
            client: self,
            appid,
        }
    }

    /// The platform's `component_access_token` as a [`TokenSource`].
    pub fn component(&self) -> InnerToken<'_> {
        InnerToken {
            client: self,
            appid: "",
        }
    }

    /// Reports that WeChat rejected `token`; `appid` empty for the
    /// component token.
    pub async fn report_rejected(&self, appid: &str, token: &str) -> Result<(), InnerError> {
        self.data(
            self.request(reqwest::Method::POST, "/inner/token-rejected")
                .json(&json!({"appid": appid, "token": token})),
        )
        .await?;
        Ok(())
    }

    /// Binds `biz_id` to the account that authorized with `auth_code`
    /// (`POST /inner/bindings`); answers the binding as the admin does.
    pub async fn bind(&self, auth_code: &str, biz_id: &str) -> Result<Value, InnerError> {
        self.data(
            self.request(reqwest::Method::POST, "/inner/bindings")
                .json(&json!({"authCode": auth_code, "bizId": biz_id})),
        )
        .await
    }

    /// The binding of `biz_id` (`GET /inner/bindings`), null when not bound.
    pub async fn binding(&self, biz_id: &str) -> Result<Value, InnerError> {
        self.data(
            self.request(reqwest::Method::GET, "/inner/bindings")
                .query(&[("bizId", biz_id)]),
        )
        .await
    }

    /// The `data` of a successful answer; a refusal with the admin's code and
    /// `errorMsg` (which names WeChat's errcode and errmsg for 1002).
    async fn data(&self, request: reqwest::RequestBuilder) -> Result<Value, InnerError> {
        let response = request
            .send()
            .await
            .map_err(|e| InnerError::Unreachable(e.to_string()))?;
        let status = response.status();
        let envelope: Envelope = response
            .json()
            .await
            .map_err(|e| InnerError::Unreachable(format!("HTTP {status}: {e}")))?;
        if envelope.code != 0 {
            return Err(InnerError::Refused {
                code: envelope.code,
                message: envelope.error_msg,
            });
        }
        Ok(envelope.data)
    }

    async fn token(&self, request: reqwest::RequestBuilder) -> Result<String, InnerError> {
        let data = self.data(request).await?;
        match data.get("token").and_then(Value::as_str) {
            Some(token) if !token.is_empty() => Ok(token.to_string()),
            _ => Err(InnerError::Unreachable(format!(
                "the token manager answered no token: {data}"
            ))),
        }
    }
}

/// One token the inner API hands out: an authorizer's, or the platform's
/// (`appid` empty, as the inner API spells it).
pub struct InnerToken<'a> {
    client: &'a InnerClient,
    appid: &'a str,
}

impl TokenSource for InnerToken<'_> {
    type Error = InnerError;

    async fn token(&self) -> Result<String, InnerError> {
        if self.appid.is_empty() {
            self.client.component_token().await
        } else {
            self.client.authorizer_token(self.appid).await
        }
    }

    async fn report_rejected(&self, token: &str) -> Result<(), InnerError> {
        self.client.report_rejected(self.appid, token).await
    }
}
