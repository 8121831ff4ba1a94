//! Messages and events (消息与事件) pushed to the biz URL on behalf of an authorizer.

use super::error::bounded;
use super::fields::Fields;
use super::{MessageError, RawFields};

/// The text WeChat's full-network-release check (全网发布) sends first; the
/// callback answers it and the admin's console looks for it among the pushes.
pub const RELEASE_TEST_TEXT: &str = "TESTCOMPONENT_MSG_TYPE_TEXT";
/// The prefix of the check's second text, followed by an authorization code.
pub const RELEASE_QUERY_AUTH_CODE: &str = "QUERY_AUTH_CODE:";

/// A decrypted push to the biz URL: a user message or an event, typed by `MsgType`.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// `ToUserName`: the authorizer account's original id (`gh_...`).
    pub to_user_name: String,
    /// `FromUserName`: the sender's openid (or the system for some events).
    pub from_user_name: String,
    /// `CreateTime`: unix seconds.
    pub create_time: i64,
    /// `MsgId`, kept as text because it is a 64-bit id; events usually have none.
    pub msg_id: Option<String>,
    /// What was sent, with the fields that `MsgType` carries.
    pub kind: MessageKind,
    /// Every field as received, including nested event payloads (`ScanCodeInfo`, ...).
    pub raw: RawFields,
}

/// The body of a message by `MsgType`; unknown types are kept as `Unknown`.
#[derive(Debug, Clone, PartialEq)]
pub enum MessageKind {
    /// `text`.
    Text {
        /// `Content`.
        content: String,
    },
    /// `image`.
    Image {
        /// `PicUrl`.
        pic_url: String,
        /// `MediaId`.
        media_id: String,
    },
    /// `voice`.
    Voice {
        /// `MediaId`.
        media_id: String,
        /// `Format` (amr, speex, ...).
        format: String,
        /// `Recognition`: speech-to-text, when enabled.
        recognition: Option<String>,
    },
    /// `video`.
    Video {
        /// `MediaId`.
        media_id: String,
        /// `ThumbMediaId`.
        thumb_media_id: String,
    },
    /// `shortvideo`.
    ShortVideo {
        /// `MediaId`.
        media_id: String,
        /// `ThumbMediaId`.
        thumb_media_id: String,
    },
    /// `location`.
    Location {
        /// `Location_X`.
        latitude: f64,
        /// `Location_Y`.
        longitude: f64,
        /// `Scale`: map zoom level.
        scale: i64,
        /// `Label`: place description.
        label: String,
    },
    /// `link`.
    Link {
        /// `Title`.
        title: String,
        /// `Description`.
        description: String,
        /// `Url`.
        url: String,
    },
    /// `event`: subscribe, CLICK, scancode_push, ...; event-specific fields stay in `raw`.
    Event {
        /// `Event`, exactly as sent (case matters: `CLICK` vs `subscribe`).
        event: String,
        /// `EventKey`, when present (kept even if empty, as WeChat sent it).
        event_key: Option<String>,
    },
    /// Any other `MsgType` (miniprogrampage, file, ...).
    Unknown {
        /// `MsgType` as received.
        msg_type: String,
    },
}

impl Message {
    /// Parses a decrypted XML or JSON biz push.
    pub fn parse(body: &str) -> Result<Self, MessageError> {
        Self::from_raw(RawFields::parse(body)?)
    }

    /// Types already-decoded raw fields.
    pub fn from_raw(raw: RawFields) -> Result<Self, MessageError> {
        let fields = raw.fields();
        let msg_type = fields.str("MsgType")?;
        let to_user_name = fields.str("ToUserName")?;
        let from_user_name = fields.str("FromUserName")?;
        let create_time = fields.i64("CreateTime")?;
        let msg_id = fields.non_empty_str("MsgId")?;
        let kind = kind(&fields, msg_type)?;
        let message = Message {
            to_user_name,
            from_user_name,
            create_time,
            msg_id,
            kind,
            raw,
        };
        bounded("ToUserName", &message.to_user_name)?;
        bounded("MsgType", message.msg_type())?;
        bounded("Event", message.event().unwrap_or_default())?;
        Ok(message)
    }

    /// The `MsgType` string, for records and routing rules.
    pub fn msg_type(&self) -> &str {
        match &self.kind {
            MessageKind::Text { .. } => "text",
            MessageKind::Image { .. } => "image",
            MessageKind::Voice { .. } => "voice",
            MessageKind::Video { .. } => "video",
            MessageKind::ShortVideo { .. } => "shortvideo",
            MessageKind::Location { .. } => "location",
            MessageKind::Link { .. } => "link",
            MessageKind::Event { .. } => "event",
            MessageKind::Unknown { msg_type } => msg_type,
        }
    }

    /// The `Event` name for event pushes, `None` for user messages.
    pub fn event(&self) -> Option<&str> {
        match &self.kind {
            MessageKind::Event { event, .. } => Some(event),
            _ => None,
        }
    }

    /// A key for dropping WeChat's retries: the `MsgId` when there is one, otherwise
    /// (as WeChat recommends for events) `FromUserName` + `CreateTime` + the event name
    /// (or `MsgType`).
    pub fn dedup_key(&self) -> String {
        match &self.msg_id {
            Some(id) => id.clone(),
            None => format!(
                "{}#{}#{}",
                self.from_user_name,
                self.create_time,
                self.event().unwrap_or_else(|| self.msg_type())
            ),
        }
    }
}

fn kind(fields: &Fields<'_>, msg_type: String) -> Result<MessageKind, MessageError> {
    Ok(match msg_type.as_str() {
        "text" => MessageKind::Text {
            content: fields.str("Content")?,
        },
        "image" => MessageKind::Image {
            pic_url: fields.str("PicUrl")?,
            media_id: fields.str("MediaId")?,
        },
        "voice" => MessageKind::Voice {
            media_id: fields.str("MediaId")?,
            format: fields.str("Format")?,
            recognition: fields.opt_str("Recognition")?,
        },
        "video" => MessageKind::Video {
            media_id: fields.str("MediaId")?,
            thumb_media_id: fields.str("ThumbMediaId")?,
        },
        "shortvideo" => MessageKind::ShortVideo {
            media_id: fields.str("MediaId")?,
            thumb_media_id: fields.str("ThumbMediaId")?,
        },
        "location" => MessageKind::Location {
            latitude: fields.f64("Location_X")?,
            longitude: fields.f64("Location_Y")?,
            scale: fields.i64("Scale")?,
            label: fields.str("Label")?,
        },
        "link" => MessageKind::Link {
            title: fields.str("Title")?,
            description: fields.str("Description")?,
            url: fields.str("Url")?,
        },
        "event" => MessageKind::Event {
            event: fields.str("Event")?,
            event_key: fields.opt_str("EventKey")?,
        },
        _ => MessageKind::Unknown { msg_type },
    })
}
