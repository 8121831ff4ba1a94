//! A client for the WeChat API (`api.weixin.qq.com` or wxsim).
//!
//! Every call goes to a configurable base URL, so tests and local runs talk to
//! wxsim. WeChat answers errors as HTTP 200 with `{"errcode": N, "errmsg": ...}`;
//! the client turns those into [`WechatError::Api`] so callers can react to
//! the codes that matter (40001/42001 token invalid, 61023 refresh token
//! invalid, 45009 quota, ...).

mod component;
pub mod with_token;

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub use component::{
    AccessToken, AuthorizationInfo, AuthorizerInfo, AuthorizerListItem, AuthorizerToken,
    PreAuthCode,
};
pub use with_token::{
    raw_rejects_token, with_token, with_token_checked, Method, TokenSource, TOKEN_REJECTED,
};

/// Why a WeChat call failed.
#[derive(Debug, thiserror::Error)]
pub enum WechatError {
    /// The request could not be sent or the answer not read.
    #[error("WeChat request to {path} failed: {source}")]
    Transport {
        /// API path called.
        path: String,
        /// The transport failure.
        source: reqwest::Error,
    },
    /// WeChat answered with a non-200 HTTP status.
    #[error("WeChat answered HTTP {status} for {path}")]
    Status {
        /// API path called.
        path: String,
        /// The HTTP status.
        status: u16,
    },
    /// WeChat answered an error code.
    #[error("WeChat error {errcode} for {path}: {errmsg}")]
    Api {
        /// API path called.
        path: String,
        /// `errcode`.
        errcode: i64,
        /// `errmsg`.
        errmsg: String,
    },
    /// The answer was not the JSON expected.
    #[error("unexpected answer from WeChat for {path}: {detail}")]
    Decode {
        /// API path called.
        path: String,
        /// What did not fit.
        detail: String,
    },
}

impl WechatError {
    /// The WeChat errcode, when WeChat answered one.
    pub fn errcode(&self) -> Option<i64> {
        match self {
            Self::Api { errcode, .. } => Some(*errcode),
            _ => None,
        }
    }

    /// Whether WeChat said the access token used is invalid or expired
    /// ([`TOKEN_REJECTED`]): the caller should report it and retry once
    /// ([`with_token`] does).
    pub fn is_token_rejected(&self) -> bool {
        self.errcode().is_some_and(with_token::rejects_token)
    }
}

/// The status part every WeChat answer may carry.
#[derive(Debug, Deserialize)]
struct Status {
    #[serde(default)]
    errcode: i64,
    #[serde(default)]
    errmsg: String,
}

/// A cheap-to-clone WeChat API client.
#[derive(Debug, Clone)]
pub struct WechatClient {
    http: reqwest::Client,
    base_url: String,
}

impl WechatClient {
    /// A client for `base_url` (no trailing slash needed) with a per-request timeout.
    pub fn new(base_url: &str, timeout: Duration) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .build()?;
        Ok(Self {
            http,
            base_url: base_url.trim_end_matches('/').to_string(),
        })
    }

    /// The base URL calls go to.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// POSTs `body` as JSON to `path?query` and decodes the answer as `T`
    /// after checking `errcode`.
    pub async fn post_json<B, T>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        body: &B,
    ) -> Result<T, WechatError>
    where
        B: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        let request = self
            .http
            .post(format!("{}{path}", self.base_url))
            .query(query)
            .json(body);
        self.send(path, request).await
    }

    /// GETs `path?query` and decodes the answer as `T` after checking `errcode`.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, WechatError> {
        let request = self
            .http
            .get(format!("{}{path}", self.base_url))
            .query(query);
        self.send(path, request).await
    }

    /// Calls `path?query` with `method` (`body` is sent only with POST) and
    /// decodes the answer as `T` after checking `errcode`.
    pub async fn request_json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: &serde_json::Value,
    ) -> Result<T, WechatError> {
        match method {
            Method::Get => self.get_json(path, query).await,
            Method::Post => self.post_json(path, query, body).await,
        }
    }

    /// Calls `path?query` with `method` (`body` is sent only with POST) and
    /// answers WeChat's JSON as it is, `errcode` included.
    pub async fn request_raw(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, WechatError> {
        match method {
            Method::Get => self.get_raw(path, query).await,
            Method::Post => self.post_raw(path, query, body).await,
        }
    }

    /// POSTs `body` and answers WeChat's JSON as it is, `errcode` included:
    /// for callers that pass WeChat's answer through.
    pub async fn post_raw<B: Serialize + ?Sized>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        body: &B,
    ) -> Result<serde_json::Value, WechatError> {
        let request = self
            .http
            .post(format!("{}{path}", self.base_url))
            .query(query)
            .json(body);
        self.send_raw(path, request).await
    }

    /// GETs and answers WeChat's JSON as it is, `errcode` included.
    pub async fn get_raw(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<serde_json::Value, WechatError> {
        let request = self
            .http
            .get(format!("{}{path}", self.base_url))
            .query(query);
        self.send_raw(path, request).await
    }

    async fn send_raw(
        &self,
        path: &str,
        request: reqwest::RequestBuilder,
    ) -> Result<serde_json::Value, WechatError> {
        let bytes = self.fetch(path, request).await?;
        serde_json::from_slice(&bytes).map_err(|e| WechatError::Decode {
            path: path.to_string(),
            detail: e.to_string(),
        })
    }

    async fn fetch(
        &self,
        path: &str,
        request: reqwest::RequestBuilder,
    ) -> Result<Vec<u8>, WechatError> {
        // The URL carries access tokens in its query: keep it out of the error.
        let transport = |source: reqwest::Error| WechatError::Transport {
            path: path.to_string(),
            source: source.without_url(),
        };
        let response = request.send().await.map_err(transport)?;
        let status = response.status();
        if !status.is_success() {
            return Err(WechatError::Status {
                path: path.to_string(),
                status: status.as_u16(),
            });
        }
        Ok(response.bytes().await.map_err(transport)?.to_vec())
    }

    async fn send<T: DeserializeOwned>(
        &self,
        path: &str,
        request: reqwest::RequestBuilder,
    ) -> Result<T, WechatError> {
        let bytes = self.fetch(path, request).await?;
        decode(path, &bytes)
    }
}

/// Checks `errcode` and decodes a WeChat JSON answer.
fn decode<T: DeserializeOwned>(path: &str, bytes: &[u8]) -> Result<T, WechatError> {
    let decode_error = |e: serde_json::Error| WechatError::Decode {
        path: path.to_string(),
        detail: e.to_string(),
    };
    let status: Status = serde_json::from_slice(bytes).map_err(decode_error)?;
    if status.errcode != 0 {
        return Err(WechatError::Api {
            path: path.to_string(),
            errcode: status.errcode,
            errmsg: status.errmsg,
        });
    }
    serde_json::from_slice(bytes).map_err(decode_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn transport_errors_never_show_the_token_in_the_url() {
        let client =
            WechatClient::new("http://127.0.0.1:9", Duration::from_millis(500)).expect("client");
        let err = client
            .get_raw("/cgi-bin/menu/get", &[("access_token", "SECRET-TOKEN-123")])
            .await
            .expect_err("nothing listens on port 9");
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains("SECRET-TOKEN-123"), "{shown}");
        assert!(shown.contains("/cgi-bin/menu/get"), "{shown}");
    }
}
