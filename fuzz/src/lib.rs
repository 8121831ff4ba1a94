//! What the fuzz targets share: the model of what an XML reader gets back from the
//! text we write, and the checks every push body meets whatever its encoding.

use common::message::{
    ComponentEvent, ComponentEventKind, EncryptedEnvelope, Format, Message, MessageError,
    MessageKind, PassiveReply, RawFields, Reply, MAX_XML_DEPTH,
};
use serde_json::Value;

/// `text` as an XML reader reads it back from `cdata(text)`: the characters XML
/// cannot carry are dropped (as `cdata` documents) and line ends read as `\n`
/// (XML 1.0 §2.11 normalises `\r\n` and a lone `\r` before parsing).
pub fn xml_carried(text: &str) -> String {
    let kept: String = text
        .chars()
        .filter(|&c| {
            matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{fffe}' && c != '\u{ffff}')
        })
        .collect();
    kept.replace("\r\n", "\n").replace('\r', "\n")
}

/// A passive reply as it reads back from its XML form.
pub fn reply_as_xml_carries(reply: &PassiveReply) -> PassiveReply {
    let c = |s: &String| xml_carried(s);
    let body = match &reply.reply {
        Reply::Text { content } => Reply::Text {
            content: c(content),
        },
        Reply::Image { media_id } => Reply::Image {
            media_id: c(media_id),
        },
        Reply::Voice { media_id } => Reply::Voice {
            media_id: c(media_id),
        },
        Reply::Video {
            media_id,
            title,
            description,
        } => Reply::Video {
            media_id: c(media_id),
            title: title.as_ref().map(c),
            description: description.as_ref().map(c),
        },
        Reply::Music {
            title,
            description,
            music_url,
            hq_music_url,
            thumb_media_id,
        } => Reply::Music {
            title: c(title),
            description: c(description),
            music_url: c(music_url),
            hq_music_url: c(hq_music_url),
            thumb_media_id: c(thumb_media_id),
        },
        Reply::News { articles } => Reply::News {
            articles: articles
                .iter()
                .map(|a| common::message::Article {
                    title: c(&a.title),
                    description: c(&a.description),
                    pic_url: c(&a.pic_url),
                    url: c(&a.url),
                })
                .collect(),
        },
    };
    PassiveReply {
        to_user_name: c(&reply.to_user_name),
        from_user_name: c(&reply.from_user_name),
        create_time: reply.create_time,
        reply: body,
    }
}

/// A typed biz message with every text as its XML form carries it. An optional
/// text that is absent and one that is empty count as the same: `RawFields::to_xml`
/// writes JSON `null` as an empty element on purpose (WeChat itself sends an empty
/// `EventKey` for events without one), which types as `Some("")`.
fn message_as_xml_carries(m: &Message) -> (String, String, i64, Option<String>, MessageKind) {
    let c = |s: &String| xml_carried(s);
    let o = |s: &Option<String>| s.as_ref().map(c).filter(|s| !s.is_empty());
    let kind = match &m.kind {
        MessageKind::Text { content } => MessageKind::Text {
            content: c(content),
        },
        MessageKind::Image { pic_url, media_id } => MessageKind::Image {
            pic_url: c(pic_url),
            media_id: c(media_id),
        },
        MessageKind::Voice {
            media_id,
            format,
            recognition,
        } => MessageKind::Voice {
            media_id: c(media_id),
            format: c(format),
            recognition: o(recognition),
        },
        MessageKind::Video {
            media_id,
            thumb_media_id,
        } => MessageKind::Video {
            media_id: c(media_id),
            thumb_media_id: c(thumb_media_id),
        },
        MessageKind::ShortVideo {
            media_id,
            thumb_media_id,
        } => MessageKind::ShortVideo {
            media_id: c(media_id),
            thumb_media_id: c(thumb_media_id),
        },
        MessageKind::Location {
            latitude,
            longitude,
            scale,
            label,
        } => MessageKind::Location {
            latitude: *latitude,
            longitude: *longitude,
            scale: *scale,
            label: c(label),
        },
        MessageKind::Link {
            title,
            description,
            url,
        } => MessageKind::Link {
            title: c(title),
            description: c(description),
            url: c(url),
        },
        MessageKind::Event { event, event_key } => MessageKind::Event {
            event: c(event),
            event_key: o(event_key),
        },
        MessageKind::Unknown { msg_type } => MessageKind::Unknown {
            msg_type: c(msg_type),
        },
    };
    (
        c(&m.to_user_name),
        c(&m.from_user_name),
        m.create_time,
        o(&m.msg_id),
        kind,
    )
}

/// A typed component event with every text as its XML form carries it.
fn event_as_xml_carries(e: &ComponentEvent) -> (String, i64, ComponentEventKind) {
    let c = |s: &String| xml_carried(s);
    let change = |a: &common::message::AuthorizationChange| common::message::AuthorizationChange {
        authorizer_appid: c(&a.authorizer_appid),
        authorization_code: c(&a.authorization_code),
        authorization_code_expired_time: a.authorization_code_expired_time,
        pre_auth_code: a.pre_auth_code.as_ref().map(c).filter(|s| !s.is_empty()),
    };
    let kind = match &e.kind {
        ComponentEventKind::VerifyTicket { ticket } => {
            ComponentEventKind::VerifyTicket { ticket: c(ticket) }
        }
        ComponentEventKind::Authorized(a) => ComponentEventKind::Authorized(change(a)),
        ComponentEventKind::UpdateAuthorized(a) => ComponentEventKind::UpdateAuthorized(change(a)),
        ComponentEventKind::Unauthorized { authorizer_appid } => ComponentEventKind::Unauthorized {
            authorizer_appid: c(authorizer_appid),
        },
        ComponentEventKind::Other { info_type } => ComponentEventKind::Other {
            info_type: c(info_type),
        },
    };
    (c(&e.app_id), e.create_time, kind)
}

/// Element levels `value` takes in `RawFields::to_xml` under its key.
fn xml_levels(value: &Value) -> usize {
    match value {
        Value::Object(map) => 1 + map.values().map(xml_levels).max().unwrap_or(0),
        Value::Array(items) => items.iter().map(xml_levels).max().unwrap_or(0),
        _ => 1,
    }
}

/// Every check a push body meets, XML or JSON:
/// - the typed parsers never panic and type exactly the fields `RawFields` decodes;
/// - a passive reply reads back from both of its serialisations (JSON exactly, XML as
///   XML carries text);
/// - the XML the fields convert to (what an XML-only forward target gets) is always
///   well-formed, refused only when deeper than `MAX_XML_DEPTH`, reads back to a fixed
///   point, and types to the same message or event as the fields themselves.
pub fn check_push(body: &str) {
    let message = Message::parse(body);
    let event = ComponentEvent::parse(body);
    let envelope = EncryptedEnvelope::parse(body);
    let reply = PassiveReply::parse(body);
    let (format, raw) = match RawFields::parse_with_format(body) {
        Ok(parsed) => parsed,
        Err(e) => {
            assert!(
                message.is_err() && event.is_err() && envelope.is_err() && reply.is_err(),
                "a typed parser accepted what RawFields refuses ({e})"
            );
            return;
        }
    };
    assert_eq!(Format::sniff(body), Some(format));
    if let Ok(m) = &message {
        assert_eq!(m.raw, raw);
        assert_eq!(raw.get_str("MsgType").as_deref(), Some(m.msg_type()));
        assert_eq!(
            m.msg_id.is_some(),
            m.dedup_key() == m.msg_id.clone().unwrap_or_default()
        );
    }
    if let Ok(e) = &event {
        assert_eq!(e.raw, raw);
        assert_eq!(raw.get_str("InfoType").as_deref(), Some(e.info_type()));
        if let Some(appid) = e.authorizer_appid() {
            assert_eq!(raw.get_str("AuthorizerAppid").as_deref(), Some(appid));
        }
    }
    if let Ok(env) = &envelope {
        assert_eq!(raw.get_str("Encrypt").as_ref(), Some(&env.encrypt));
        assert!(!env.encrypt.trim().is_empty());
    }
    if let Ok(r) = &reply {
        r.reply.validate().expect("a parsed reply is valid");
        assert_eq!(
            PassiveReply::parse(&r.to_json()).as_ref(),
            Ok(r),
            "JSON round trip"
        );
        assert_eq!(
            PassiveReply::parse(&r.to_xml()),
            Ok(reply_as_xml_carries(r)),
            "XML round trip of {}",
            r.to_xml()
        );
    }

    let xml = raw.to_xml();
    let levels = 1 + raw.as_map().values().map(xml_levels).max().unwrap_or(0);
    let converted = match RawFields::parse(&xml) {
        Ok(converted) => {
            assert!(levels <= MAX_XML_DEPTH + 1, "{levels} levels read: {xml}");
            converted
        }
        Err(MessageError::TooDeep(_)) => {
            assert!(levels > MAX_XML_DEPTH + 1, "{levels} levels refused: {xml}");
            return;
        }
        Err(e) => panic!("RawFields::to_xml wrote unreadable XML ({e}): {xml:?}"),
    };
    assert_eq!(
        RawFields::parse(&converted.to_xml()).as_ref(),
        Ok(&converted),
        "fixed point"
    );
    if let Ok(m) = &message {
        let again = Message::from_raw(converted.clone()).expect("the XML form types as well");
        assert_eq!(message_as_xml_carries(&again), message_as_xml_carries(m));
    }
    if let Ok(e) = &event {
        let again = ComponentEvent::from_raw(converted).expect("the XML form types as well");
        assert_eq!(event_as_xml_carries(&again), event_as_xml_carries(e));
    }
}
