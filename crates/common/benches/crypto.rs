//! What the callback spends on each push before touching the database:
//! verifying and decrypting a 600-byte safe-mode push, parsing it into a
//! message, and sealing a passive reply. Run by `bench/run` (criterion; not a
//! test).

use common::crypto::WxCrypt;
use common::message::{EncryptedEnvelope, Format, Message, PassiveReply, Reply};
use std::hint::black_box;

use criterion::Criterion;

const TOKEN: &str = "wxsimtoken";
const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const APPID: &str = "wxcomponentsim0001";

/// A text message of about 600 bytes, as WeChat sends one.
fn message() -> String {
    let content = "这是一条基准测试消息 benchmark message ".repeat(9);
    format!(
        "<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>\
         <FromUserName><![CDATA[oBenchUser0000000000000000001]]></FromUserName>\
         <CreateTime>1796000000</CreateTime><MsgType><![CDATA[text]]></MsgType>\
         <Content><![CDATA[{content}]]></Content><MsgId>7000000000000000001</MsgId></xml>"
    )
}

fn benches(c: &mut Criterion) {
    let crypt = match WxCrypt::new(TOKEN, KEY, APPID) {
        Ok(crypt) => crypt,
        Err(e) => panic!("the bench's key is valid: {e}"),
    };
    let plaintext = message();
    let encrypt = crypt.encrypt(&plaintext);
    let (timestamp, nonce) = ("1796000000", "1234567890");
    let signature = crypt.msg_signature(timestamp, nonce, &encrypt);
    let body = format!(
        "<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    );

    c.bench_function("open a 600-byte push (envelope, signature, AES)", |b| {
        b.iter(|| {
            let envelope = EncryptedEnvelope::parse(black_box(&body)).ok();
            envelope.and_then(|e| crypt.open(&signature, timestamp, nonce, &e.encrypt).ok())
        })
    });
    c.bench_function("parse the decrypted push into a message", |b| {
        b.iter(|| {
            Format::Xml
                .parse(black_box(&plaintext))
                .ok()
                .and_then(|raw| Message::from_raw(raw).ok())
        })
    });
    let msg = match Message::parse(&plaintext) {
        Ok(msg) => msg,
        Err(e) => panic!("the bench's message parses: {e}"),
    };
    c.bench_function("seal a passive text reply (XML, AES, signature)", |b| {
        b.iter(|| {
            let reply = PassiveReply::answering(
                &msg,
                Reply::Text {
                    content: "收到 received".into(),
                },
                1_796_000_000,
            );
            crypt
                .seal(&reply.to(Format::Xml), timestamp, nonce)
                .to_xml()
        })
    });
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    benches(&mut criterion);
    criterion.final_summary();
}
