//! Opening a push: which mode it came in, whether its signature verifies, its
//! plaintext; and sealing our answer the same way.

use actix_web::http::header::HeaderMap;
use common::crypto::WxCrypt;
use common::message::{EncryptedEnvelope, Format};
use serde::Deserialize;

use crate::error::CallbackError;

/// The query parameters WeChat puts on both push URLs.
#[derive(Debug, Default, Deserialize)]
pub struct PushQuery {
    /// sha1 over token, timestamp, nonce.
    pub signature: Option<String>,
    /// Unix seconds, as text.
    pub timestamp: Option<String>,
    /// Random text.
    pub nonce: Option<String>,
    /// `aes` in safe mode.
    pub encrypt_type: Option<String>,
    /// sha1 over token, timestamp, nonce, Encrypt.
    pub msg_signature: Option<String>,
    /// The sender (biz URL only).
    pub openid: Option<String>,
    /// URL verification challenge (GET only).
    pub echostr: Option<String>,
}

/// How the answer must be sent back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sealing {
    /// Safe mode: encrypt and sign the reply with these values.
    Encrypted {
        /// The push's timestamp.
        timestamp: String,
        /// The push's nonce.
        nonce: String,
    },
    /// Plain or Cloud Run mode: reply as is.
    Plain,
}

/// A push whose origin has been verified.
#[derive(Debug, Clone)]
pub struct Opened {
    /// The decrypted message, exactly as WeChat sent it.
    pub plaintext: String,
    /// Encoding of the message.
    pub format: Format,
    /// Encoding of the outer body (the envelope in safe mode).
    pub outer_format: Format,
    /// How to answer.
    pub sealing: Sealing,
    /// Arrived through WeChat Cloud Run (plain JSON, `x-wx-source`).
    pub cloudrun: bool,
}

/// Whether WeChat Cloud Run delivered the request.
pub fn from_cloudrun(headers: &HeaderMap) -> bool {
    headers.contains_key("x-wx-source") || headers.contains_key("x-wx-sources")
}

/// What opening needs from the service's configuration.
pub struct Opener<'a> {
    /// Crypto with the platform's token and key; absent in Cloud-Run-only set-ups.
    pub crypt: Option<&'a WxCrypt>,
    /// Accept Cloud Run's plain pushes.
    pub cloudrun_mode: bool,
    /// Maximum distance of `timestamp` from now, 0 = unchecked.
    pub max_clock_skew_secs: i64,
    /// Current Unix time.
    pub now: i64,
}

impl Opener<'_> {
    /// Verifies and decrypts a push.
    pub fn open(
        &self,
        headers: &HeaderMap,
        query: &PushQuery,
        body: &str,
    ) -> Result<Opened, CallbackError> {
        let outer_format = Format::sniff(body)
            .ok_or_else(|| CallbackError::BadRequest("body is neither XML nor JSON".into()))?;
        if self.cloudrun_mode && from_cloudrun(headers) {
            return Ok(Opened {
                plaintext: body.to_string(),
                format: outer_format,
                outer_format,
                sealing: Sealing::Plain,
                cloudrun: true,
            });
        }
        let crypt = self.crypt.ok_or(CallbackError::BadSignature)?;
        let timestamp = query
            .timestamp
            .as_deref()
            .ok_or(CallbackError::MissingParam("timestamp"))?;
        let nonce = query
            .nonce
            .as_deref()
            .ok_or(CallbackError::MissingParam("nonce"))?;
        self.check_timestamp(timestamp)?;
        if query.encrypt_type.as_deref() == Some("aes") {
            let msg_signature = query
                .msg_signature
                .as_deref()
                .ok_or(CallbackError::MissingParam("msg_signature"))?;
            let envelope = EncryptedEnvelope::parse(body)?;
            let plaintext = crypt.open(msg_signature, timestamp, nonce, &envelope.encrypt)?;
            let format = Format::sniff(&plaintext).ok_or_else(|| {
                CallbackError::BadRequest("decrypted message is neither XML nor JSON".into())
            })?;
            Ok(Opened {
                plaintext,
                format,
                outer_format,
                sealing: Sealing::Encrypted {
                    timestamp: timestamp.to_string(),
                    nonce: nonce.to_string(),
                },
                cloudrun: false,
            })
        } else {
            let signature = query
                .signature
                .as_deref()
                .ok_or(CallbackError::MissingParam("signature"))?;
            crypt.verify_url_signature(signature, timestamp, nonce)?;
            Ok(Opened {
                plaintext: body.to_string(),
                format: outer_format,
                outer_format,
                sealing: Sealing::Plain,
                cloudrun: false,
            })
        }
    }

    /// Answers WeChat's URL verification (`GET` with `echostr`).
    pub fn verify_url(&self, query: &PushQuery) -> Result<String, CallbackError> {
        let crypt = self.crypt.ok_or(CallbackError::BadSignature)?;
        let timestamp = query
            .timestamp
            .as_deref()
            .ok_or(CallbackError::MissingParam("timestamp"))?;
        let nonce = query
            .nonce
            .as_deref()
            .ok_or(CallbackError::MissingParam("nonce"))?;
        let echostr = query
            .echostr
            .as_deref()
            .ok_or(CallbackError::MissingParam("echostr"))?;
        self.check_timestamp(timestamp)?;
        match query.msg_signature.as_deref() {
            Some(msg_signature) => Ok(crypt.open(msg_signature, timestamp, nonce, echostr)?),
            None => {
                let signature = query
                    .signature
                    .as_deref()
                    .ok_or(CallbackError::MissingParam("signature"))?;
                crypt.verify_url_signature(signature, timestamp, nonce)?;
                Ok(echostr.to_string())
            }
        }
    }

    fn check_timestamp(&self, timestamp: &str) -> Result<(), CallbackError> {
        if self.max_clock_skew_secs <= 0 {
            return Ok(());
        }
        let ts: i64 = timestamp
            .parse()
            .map_err(|_| CallbackError::StaleTimestamp(timestamp.to_string()))?;
        if (self.now - ts).abs() > self.max_clock_skew_secs {
            return Err(CallbackError::StaleTimestamp(timestamp.to_string()));
        }
        Ok(())
    }
}

/// Our answer as it goes on the wire: `success` and empty answers unencrypted,
/// anything else sealed when the push was.
pub fn seal(crypt: Option<&WxCrypt>, opened: &Opened, reply: &str) -> String {
    if reply.is_empty() || reply == "success" {
        return reply.to_string();
    }
    match (&opened.sealing, crypt) {
        (Sealing::Encrypted { timestamp, nonce }, Some(crypt)) => {
            let sealed = crypt.seal(reply, timestamp, nonce);
            match opened.outer_format {
                Format::Xml => sealed.to_xml(),
                Format::Json => sealed.to_json(),
            }
        }
        _ => reply.to_string(),
    }
}
