//! Passive-reply serialisation round trip, through the crypto as the callback
//! sends it: a reply built from fuzz input is serialised (XML and JSON), sealed
//! (encrypted and signed with the push's timestamp and nonce), written as the
//! sealed XML or JSON body, then read the way WeChat reads it: the outer body
//! parsed, the signature verified, the ciphertext opened and the reply parsed.
//!
//! Property: what comes back equals the reply built (for XML, as XML carries
//! text: characters XML cannot hold dropped, line ends read as `\n`), and a news
//! reply with no or more than eight articles is refused by its article count.
#![no_main]

use arbitrary::Arbitrary;
use common::crypto::WxCrypt;
use common::message::{
    Article, EncryptedEnvelope, Format, MessageError, PassiveReply, RawFields, Reply,
};
use libfuzzer_sys::fuzz_target;
use wxcomponent_fuzz::{reply_as_xml_carries, xml_carried};

#[derive(Arbitrary, Debug)]
enum Body {
    Text(String),
    Image(String),
    Voice(String),
    Video(String, Option<String>, Option<String>),
    Music(String, String, String, String, String),
    News(Vec<(String, String, String, String)>),
}

#[derive(Arbitrary, Debug)]
struct Input {
    to_user_name: String,
    from_user_name: String,
    create_time: i64,
    body: Body,
    timestamp: String,
    nonce: String,
    token: String,
    receive_id: String,
}

fuzz_target!(|input: Input| {
    let reply = match input.body {
        Body::Text(content) => Reply::Text { content },
        Body::Image(media_id) => Reply::Image { media_id },
        Body::Voice(media_id) => Reply::Voice { media_id },
        Body::Video(media_id, title, description) => Reply::Video {
            media_id,
            title,
            description,
        },
        Body::Music(title, description, music_url, hq_music_url, thumb_media_id) => Reply::Music {
            title,
            description,
            music_url,
            hq_music_url,
            thumb_media_id,
        },
        Body::News(items) => Reply::News {
            articles: items
                .into_iter()
                .map(|(title, description, pic_url, url)| Article {
                    title,
                    description,
                    pic_url,
                    url,
                })
                .collect(),
        },
    };
    let reply = PassiveReply {
        to_user_name: input.to_user_name,
        from_user_name: input.from_user_name,
        create_time: input.create_time,
        reply,
    };
    let article_count = match &reply.reply {
        Reply::News { articles } => Some(articles.len()),
        _ => None,
    };
    let valid = reply.reply.validate().is_ok();
    assert_eq!(valid, article_count.is_none_or(|n| (1..=8).contains(&n)));

    // WeChat's timestamps and nonces are digits and letters; the values sealed with
    // are the push's own, so any text an XML element carries unchanged will do.
    let timestamp = xml_carried(&input.timestamp);
    let nonce = xml_carried(&input.nonce);
    let crypt = WxCrypt::new(
        &input.token,
        "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
        &input.receive_id,
    )
    .expect("valid sample key");

    for format in [Format::Xml, Format::Json] {
        let expected = match format {
            Format::Xml => reply_as_xml_carries(&reply),
            Format::Json => reply.clone(),
        };
        let body = reply.to(format);
        let check = |parsed: Result<PassiveReply, MessageError>| {
            if valid {
                assert_eq!(parsed.as_ref(), Ok(&expected), "{format:?} body {body:?}");
            } else {
                assert_eq!(
                    parsed,
                    Err(MessageError::ArticleCount(article_count.unwrap_or(0)))
                );
            }
        };
        check(PassiveReply::parse(&body));

        let sealed = crypt.seal(&body, &timestamp, &nonce);
        for outer in [sealed.to_xml(), sealed.to_json()] {
            let raw = RawFields::parse(&outer).expect("the sealed body parses");
            let envelope = EncryptedEnvelope::from_raw(&raw).expect("an envelope");
            let signature = raw.require_str("MsgSignature").expect("MsgSignature");
            let ts = raw.require_str("TimeStamp").expect("TimeStamp");
            let n = raw.require_str("Nonce").expect("Nonce");
            assert_eq!(
                (ts.as_str(), n.as_str()),
                (timestamp.as_str(), nonce.as_str()),
                "{outer}"
            );
            let opened = crypt
                .open(&signature, &ts, &n, &envelope.encrypt)
                .expect("the sealed reply opens");
            assert_eq!(opened, body);
            check(PassiveReply::parse(&opened));
        }
    }
});
