//! Forwarding a push to a business service by rule, and turning its answer
//! into our passive reply. A target that fails or does not answer within the
//! configured timeout never costs the push: the caller answers `success`.

use std::time::Duration;

use common::message::{Format, PassiveReply, RawFields};
use serde_json::Value;

use crate::rules::Rule;

/// What to send and where.
pub struct Forward<'a> {
    /// The matching rule.
    pub rule: &'a Rule,
    /// The authorizer appid (empty for component pushes).
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

impl Forward<'_> {
    /// Sends the push; answers the business service's passive reply, if it gave one.
    pub async fn send(&self, http: &reqwest::Client, timeout: Duration) -> Option<PassiveReply> {
        let url = self.rule.target.url_template.replace("$APPID$", self.appid);
        let (body, content_type) = match self.rule.target.format {
            Format::Json => (
                Value::Object(self.raw.as_map().clone()).to_string(),
                "application/json",
            ),
            Format::Xml if self.format == Format::Xml => {
                (self.plaintext.to_string(), "application/xml")
            }
            Format::Xml => (self.raw.to_xml(), "application/xml"),
        };
        let mut request = http
            .post(&url)
            .timeout(timeout)
            .header("content-type", content_type)
            .header("x-wx-appid", self.appid)
            .body(body);
        if let Some(id) = self.request_id {
            request = request.header("x-request-id", id);
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) => {
                tracing::warn!(rule = self.rule.id, %url, error = %e, "forward failed; answering success");
                return None;
            }
        };
        let status = response.status();
        let text = match response.text().await {
            Ok(text) => text,
            Err(e) => {
                tracing::warn!(rule = self.rule.id, %url, error = %e, "forward answer unreadable");
                return None;
            }
        };
        if !status.is_success() {
            tracing::warn!(rule = self.rule.id, %url, %status, "forward target failed; answering success");
            return None;
        }
        let text = text.trim();
        if text.is_empty() || text == "success" {
            return None;
        }
        match PassiveReply::parse(text) {
            Ok(reply) => Some(reply),
            Err(e) => {
                tracing::warn!(rule = self.rule.id, %url, error = %e, "forward target's reply is not a passive reply; answering success");
                None
            }
        }
    }
}
