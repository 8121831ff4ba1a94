//! The WeChat push / reply model.
//!
//! WeChat pushes arrive as XML (`<xml><ToUserName><![CDATA[..]]></ToUserName>...</xml>`) or,
//! from cloud-hosted setups and business services, as JSON objects with the same PascalCase
//! field names. Both decode into [`RawFields`] and from there into typed values:
//! [`EncryptedEnvelope`] (the outer safe-mode form), [`ComponentEvent`] (授权事件 on the
//! component URL), [`Message`] (消息与事件 on the biz URL) and [`PassiveReply`] (被动回复),
//! which also serializes back to both encodings. Malformed input is always a
//! [`MessageError`], never a panic; XML with a DTD is refused.

mod audit;
mod biz;
mod component;
mod depth_guard;
mod envelope;
mod error;
mod fields;
mod format;
mod reply;
mod reply_wire;
mod writer;

pub use audit::{
    AuditOutcome, AuditResult, EVENT_AUDIT_DELAY, EVENT_AUDIT_FAIL, EVENT_AUDIT_SUCCESS,
};
pub use biz::{Message, MessageKind, RELEASE_QUERY_AUTH_CODE, RELEASE_TEST_TEXT};
pub use component::{
    AuthorizationChange, ComponentEvent, ComponentEventKind, INFO_TYPE_AUTHORIZED,
    INFO_TYPE_UNAUTHORIZED, INFO_TYPE_UPDATE_AUTHORIZED, INFO_TYPE_VERIFY_TICKET,
};
pub use envelope::EncryptedEnvelope;
pub use error::{MessageError, MAX_IDENTIFIER_CHARS};
pub use format::{Format, RawFields, MAX_XML_DEPTH};
pub use reply::{Article, PassiveReply, Reply, MAX_NEWS_ARTICLES};
pub use writer::cdata;
