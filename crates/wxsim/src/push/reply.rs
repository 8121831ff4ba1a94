//! Reading a biz push's passive reply back as WeChat does.

use common::message::{Format, RawFields};
use serde::{Deserialize, Serialize};

use crate::state::SimState;

/// What the platform answered to a biz push, decoded as WeChat would.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyKind {
    /// An empty body: "no reply".
    Empty,
    /// The literal `success`: "no reply".
    Success,
    /// An encrypted passive reply (`Encrypt`, `MsgSignature`, `TimeStamp`, `Nonce`).
    Encrypted,
    /// A plaintext passive reply.
    Plain,
    /// Something WeChat could not use.
    Invalid,
}

/// The passive reply to a biz push.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BizReply {
    /// What kind of answer it was.
    pub kind: ReplyKind,
    /// For encrypted replies: whether `MsgSignature` matched.
    pub signature_valid: Option<bool>,
    /// The reply message (decrypted when it was encrypted).
    pub plaintext: Option<String>,
    /// `MsgType` of the reply.
    pub msg_type: Option<String>,
    /// `Content` of a text reply.
    pub content: Option<String>,
    /// `ToUserName` of the reply (should be the user's openid).
    pub to_user_name: Option<String>,
    /// `FromUserName` of the reply (should be the account's original id).
    pub from_user_name: Option<String>,
    /// Every field of the reply message.
    pub fields: Option<serde_json::Value>,
    /// Why the reply could not be read, when it could not.
    pub error: Option<String>,
}

impl BizReply {
    fn new(kind: ReplyKind) -> Self {
        Self {
            kind,
            signature_valid: None,
            plaintext: None,
            msg_type: None,
            content: None,
            to_user_name: None,
            from_user_name: None,
            fields: None,
            error: None,
        }
    }

    fn invalid(error: impl Into<String>) -> Self {
        Self {
            error: Some(error.into()),
            ..Self::new(ReplyKind::Invalid)
        }
    }

    /// Whether the platform chose not to reply (empty body or `success`).
    pub fn is_no_reply(&self) -> bool {
        matches!(self.kind, ReplyKind::Empty | ReplyKind::Success)
    }

    /// The text content, if this is a readable (and, when encrypted, correctly
    /// signed) text reply.
    pub fn text(&self) -> Option<&str> {
        let readable = match self.kind {
            ReplyKind::Encrypted => self.signature_valid == Some(true),
            ReplyKind::Plain => true,
            _ => false,
        };
        if readable && self.msg_type.as_deref() == Some("text") {
            self.content.as_deref()
        } else {
            None
        }
    }
}

/// Reads a passive reply as WeChat does: empty or `success` means no reply;
/// an `Encrypt` field means a safe-mode reply, whose `MsgSignature` is checked
/// over `TimeStamp`, `Nonce` and `Encrypt` before it is decrypted; anything
/// else must be a plaintext reply message.
pub fn decode_reply(state: &SimState, body: &str) -> BizReply {
    let trimmed = body.trim();
    if trimmed.is_empty() {
        return BizReply::new(ReplyKind::Empty);
    }
    if trimmed == "success" {
        return BizReply::new(ReplyKind::Success);
    }
    let raw = match RawFields::parse(trimmed) {
        Ok(raw) => raw,
        Err(e) => return BizReply::invalid(format!("reply is not a message: {e}")),
    };
    let Some(encrypt) = raw.get_str("Encrypt") else {
        let mut reply = BizReply::new(ReplyKind::Plain);
        fill(&mut reply, trimmed.to_string(), raw);
        return reply;
    };
    let mut reply = BizReply::new(ReplyKind::Encrypted);
    let signature = raw.get_str("MsgSignature").unwrap_or_default();
    let timestamp = raw.get_str("TimeStamp").unwrap_or_default();
    let nonce = raw.get_str("Nonce").unwrap_or_default();
    let valid = state
        .crypt
        .verify_msg_signature(&signature, &timestamp, &nonce, &encrypt)
        .is_ok();
    reply.signature_valid = Some(valid);
    if !valid {
        reply.error = Some("MsgSignature does not match TimeStamp, Nonce and Encrypt".into());
    }
    match state.crypt.decrypt(&encrypt) {
        Ok(plain) => match Format::sniff(&plain).map(|f| f.parse(&plain)) {
            Some(Ok(inner)) => fill(&mut reply, plain, inner),
            Some(Err(e)) => {
                reply.error = Some(format!("decrypted reply is not a message: {e}"));
                reply.plaintext = Some(plain);
            }
            None => {
                reply.error = Some("decrypted reply is neither XML nor JSON".into());
                reply.plaintext = Some(plain);
            }
        },
        Err(e) => reply.error = Some(format!("cannot decrypt the reply: {e}")),
    }
    reply
}

fn fill(reply: &mut BizReply, plaintext: String, raw: RawFields) {
    reply.plaintext = Some(plaintext);
    reply.msg_type = raw.get_str("MsgType");
    reply.content = raw.get_str("Content");
    reply.to_user_name = raw.get_str("ToUserName");
    reply.from_user_name = raw.get_str("FromUserName");
    if reply.msg_type.is_none() && reply.error.is_none() {
        reply.error = Some("reply has no MsgType".into());
    }
    reply.fields = Some(serde_json::Value::Object(raw.into_map()));
}
