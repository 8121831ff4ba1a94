//! The one sender: a push POSTed to a rule's endpoint, the same for the
//! callback receiver's real forwarding and the console's test button.

use std::time::Duration;

use serde_json::Value;

use super::Rule;
use crate::message::{Format, PassiveReply, RawFields};

/// A push to forward by rule.
pub struct Forward<'a> {
    /// The matching rule.
    pub rule: &'a Rule,
    /// The authorizer appid (empty for component pushes), for `$APPID$` and `X-Wx-Appid`.
    pub appid: &'a str,
    /// The decrypted message as received.
    pub plaintext: &'a str,
    /// Its encoding.
    pub format: Format,
    /// Its fields.
    pub raw: &'a RawFields,
    /// The gateway's request id, passed on for tracing.
    pub request_id: Option<&'a str>,
}

/// Why a target did not take the push; the text starts `POST {url}: `.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// No connection, a timeout, or an unreadable answer.
    #[error("POST {url}: {source}")]
    Transport {
        /// Where it was sent.
        url: String,
        /// What failed.
        source: reqwest::Error,
    },
    /// The target answered a non-2xx status.
    #[error("POST {url}: HTTP {status}: {body}")]
    Status {
        /// Where it was sent.
        url: String,
        /// Its status.
        status: reqwest::StatusCode,
        /// Its body.
        body: String,
    },
}

impl Forward<'_> {
    /// The body in the target's encoding and its content type: JSON of the
    /// fields, the XML as received, or the fields as XML.
    fn body(&self) -> (String, &'static str) {
        match self.rule.endpoint.format() {
            Format::Json => (
                Value::Object(self.raw.as_map().clone()).to_string(),
                "application/json",
            ),
            Format::Xml if self.format == Format::Xml => {
                (self.plaintext.to_string(), "application/xml")
            }
            Format::Xml => (self.raw.to_xml(), "application/xml"),
        }
    }

    /// POSTs the push within `timeout`; answers the target's body when it
    /// answered 2xx.
    pub async fn post(
        &self,
        http: &reqwest::Client,
        timeout: Duration,
    ) -> Result<String, SendError> {
        let url = self.rule.endpoint.url(self.appid);
        let (body, content_type) = self.body();
        let mut request = http
            .post(&url)
            .timeout(timeout)
            .header("content-type", content_type)
            .header("x-wx-appid", self.appid)
            .body(body);
        if let Some(id) = self.request_id {
            request = request.header("x-request-id", id);
        }
        let transport = |source| SendError::Transport {
            url: url.clone(),
            source,
        };
        let response = request.send().await.map_err(transport)?;
        let status = response.status();
        let body = response.text().await.map_err(transport)?;
        if !status.is_success() {
            return Err(SendError::Status { url, status, body });
        }
        Ok(body)
    }

    /// Sends the push; answers the target's passive reply, if it gave one. A
    /// target that fails or does not answer in time never costs the push: it
    /// is logged and the caller answers `success`.
    pub async fn send(&self, http: &reqwest::Client, timeout: Duration) -> Option<PassiveReply> {
        let text = match self.post(http, timeout).await {
            Ok(text) => text,
            Err(e) => {
                tracing::warn!(rule = self.rule.id, error = %e, "forward failed; answering success");
                return None;
            }
        };
        let text = text.trim();
        if text.is_empty() || text == "success" {
            return None;
        }
        match PassiveReply::parse(text) {
            Ok(reply) => Some(reply),
            Err(e) => {
                let url = self.rule.endpoint.url(self.appid);
                tracing::warn!(rule = self.rule.id, %url, error = %e, "forward target's reply is not a passive reply; answering success");
                None
            }
        }
    }
}
