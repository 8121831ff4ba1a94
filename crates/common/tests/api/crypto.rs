//! Tests of the WeChat message crypto against published vectors, the distinct error
//! cases, and properties (round trip, padding, no panics on garbage).

use aes::cipher::block_padding::NoPadding;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use common::crypto::{sha1_signature, CryptoError, SealedReply, WxCrypt};
use proptest::prelude::*;
use serde::Deserialize;

/// Carried in the repository (see `tests/data/README.md` for where it comes from).
const VECTORS_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/wxcrypt-vectors.json"
);

const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const TOKEN: &str = "spamtest";
const APPID: &str = "wx2c2769f8efd9abc2";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VectorFile {
    #[allow(dead_code)]
    about: String,
    vectors: Vec<Vector>,
}

/// One published vector. Unknown fields are rejected so that a new field in the
/// fixture forces this test to learn about it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Vector {
    name: String,
    source: String,
    token: String,
    encoding_aes_key: String,
    receive_id: String,
    timestamp: String,
    nonce: String,
    encrypt: String,
    msg_signature: String,
    random: String,
    plaintext: String,
    pad_len: usize,
    url_signature: Option<String>,
}

fn load_vectors() -> Vec<Vector> {
    let text = std::fs::read_to_string(VECTORS_PATH)
        .unwrap_or_else(|e| panic!("cannot read {VECTORS_PATH}: {e}"));
    let file: VectorFile = serde_json::from_str(&text).expect("vectors file parses");
    assert!(!file.vectors.is_empty(), "the vectors file has no vectors");
    file.vectors
}

fn raw_key(encoding_aes_key: &str) -> [u8; 32] {
    let engine = GeneralPurpose::new(
        &alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    engine
        .decode(format!("{encoding_aes_key}="))
        .expect("key decodes")
        .try_into()
        .expect("32-byte key")
}

fn iv(key: &[u8; 32]) -> [u8; 16] {
    key[..16].try_into().expect("16 bytes")
}

/// AES-256-CBC without any padding, to build hostile ciphertexts.
fn raw_encrypt(encoding_aes_key: &str, plain: &[u8]) -> String {
    assert_eq!(plain.len() % 16, 0);
    let key = raw_key(encoding_aes_key);
    let cipher = cbc::Encryptor::<aes::Aes256>::new(&key.into(), &iv(&key).into())
        .encrypt_padded_vec_mut::<NoPadding>(plain);
    STANDARD.encode(cipher)
}

/// AES-256-CBC decryption without unpadding, to inspect what `encrypt` produced.
fn raw_decrypt(encoding_aes_key: &str, encrypt: &str) -> Vec<u8> {
    let key = raw_key(encoding_aes_key);
    let cipher = STANDARD.decode(encrypt).expect("base64");
    cbc::Decryptor::<aes::Aes256>::new(&key.into(), &iv(&key).into())
        .decrypt_padded_vec_mut::<NoPadding>(&cipher)
        .expect("block-aligned")
}

fn crypt() -> WxCrypt {
    WxCrypt::new(TOKEN, KEY, APPID).expect("valid key")
}

/// A copy of `s` with its first character changed (stays hex if it was hex).
fn altered(s: &str) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    chars[0] = if chars[0] == '0' { '1' } else { '0' };
    chars.into_iter().collect()
}

/// Asserts the 32-byte PKCS#7 invariants on a ciphertext and returns the pad length.
fn assert_padding(encoding_aes_key: &str, encrypt: &str, msg: &str, receive_id: &str) -> usize {
    let plain = raw_decrypt(encoding_aes_key, encrypt);
    assert_eq!(plain.len() % 32, 0, "ciphertext length is a multiple of 32");
    let pad = usize::from(*plain.last().expect("non-empty"));
    assert!((1..=32).contains(&pad), "pad {pad} in 1..=32");
    assert!(plain[plain.len() - pad..]
        .iter()
        .all(|&b| usize::from(b) == pad));
    assert_eq!(plain.len(), 20 + msg.len() + receive_id.len() + pad);
    pad
}

#[test]
fn every_published_vector_decrypts_reencrypts_and_signs() {
    let vectors = load_vectors();
    for v in &vectors {
        let ctx = format!("vector {} ({})", v.name, v.source);
        let c = WxCrypt::new(&v.token, &v.encoding_aes_key, &v.receive_id)
            .unwrap_or_else(|e| panic!("{ctx}: key rejected: {e}"));
        assert_eq!(c.receive_id(), v.receive_id, "{ctx}");

        assert_eq!(
            c.decrypt(&v.encrypt).as_deref(),
            Ok(v.plaintext.as_str()),
            "{ctx}"
        );

        let random: [u8; 16] = v
            .random
            .as_bytes()
            .try_into()
            .unwrap_or_else(|_| panic!("{ctx}: random is not 16 bytes"));
        assert_eq!(
            c.encrypt_with_random(&v.plaintext, &random),
            v.encrypt,
            "{ctx}"
        );

        let pad = assert_padding(&v.encoding_aes_key, &v.encrypt, &v.plaintext, &v.receive_id);
        assert_eq!(pad, v.pad_len, "{ctx}: pad_len");
        assert_eq!(
            &raw_decrypt(&v.encoding_aes_key, &v.encrypt)[..16],
            random,
            "{ctx}"
        );

        assert_eq!(
            c.msg_signature(&v.timestamp, &v.nonce, &v.encrypt),
            v.msg_signature,
            "{ctx}"
        );
        assert_eq!(
            sha1_signature(&[&v.token, &v.timestamp, &v.nonce, &v.encrypt]),
            v.msg_signature,
            "{ctx}"
        );
        assert_eq!(
            c.verify_msg_signature(&v.msg_signature, &v.timestamp, &v.nonce, &v.encrypt),
            Ok(()),
            "{ctx}"
        );
        assert_eq!(
            c.verify_msg_signature(
                &altered(&v.msg_signature),
                &v.timestamp,
                &v.nonce,
                &v.encrypt
            ),
            Err(CryptoError::BadSignature),
            "{ctx}"
        );
        assert_eq!(
            c.verify_msg_signature(
                &v.msg_signature,
                &altered(&v.timestamp),
                &v.nonce,
                &v.encrypt
            ),
            Err(CryptoError::BadSignature),
            "{ctx}"
        );
        assert_eq!(
            c.open(&v.msg_signature, &v.timestamp, &v.nonce, &v.encrypt)
                .as_deref(),
            Ok(v.plaintext.as_str()),
            "{ctx}"
        );
        assert_eq!(
            c.open(
                &altered(&v.msg_signature),
                &v.timestamp,
                &v.nonce,
                &v.encrypt
            ),
            Err(CryptoError::BadSignature),
            "{ctx}"
        );

        let url_sig = c.url_signature(&v.timestamp, &v.nonce);
        assert_eq!(
            url_sig,
            sha1_signature(&[&v.token, &v.timestamp, &v.nonce]),
            "{ctx}"
        );
        if let Some(expected) = &v.url_signature {
            assert_eq!(&url_sig, expected, "{ctx}: url_signature");
            assert_eq!(
                c.verify_url_signature(expected, &v.timestamp, &v.nonce),
                Ok(()),
                "{ctx}"
            );
            assert_eq!(
                c.verify_url_signature(&altered(expected), &v.timestamp, &v.nonce),
                Err(CryptoError::BadSignature),
                "{ctx}"
            );
        }
        assert_eq!(
            c.verify_url_signature(&url_sig, &v.timestamp, &v.nonce),
            Ok(()),
            "{ctx}"
        );
        assert_eq!(
            c.verify_url_signature(&url_sig, &v.timestamp, &altered(&v.nonce)),
            Err(CryptoError::BadSignature),
            "{ctx}"
        );
    }
}

#[test]
fn sha1_signature_sorts_its_parts() {
    let a = sha1_signature(&["b", "a", "c"]);
    assert_eq!(a, sha1_signature(&["a", "b", "c"]));
    assert_eq!(a, sha1_signature(&["c", "b", "a"]));
    // sha1("abc")
    assert_eq!(a, "a9993e364706816aba3e25717850c26c9cd0d89d");
}

#[test]
fn bad_key_wrong_length_is_rejected() {
    for key in ["", &KEY[..42], &format!("{KEY}A"), &format!("{KEY}=")] {
        match WxCrypt::new(TOKEN, key, APPID) {
            Err(CryptoError::BadKey(why)) => assert!(!why.is_empty()),
            other => panic!("key {key:?}: expected BadKey, got {other:?}"),
        }
    }
}

#[test]
fn bad_key_not_base64_is_rejected() {
    for key in ["!".repeat(43), format!("{}*", &KEY[..42]), "é".repeat(43)] {
        match WxCrypt::new(TOKEN, &key, APPID) {
            Err(CryptoError::BadKey(why)) => assert!(!why.is_empty()),
            other => panic!("key {key:?}: expected BadKey, got {other:?}"),
        }
    }
}

#[test]
fn debug_output_hides_token_and_key() {
    let shown = format!("{:?}", crypt());
    assert!(!shown.contains(TOKEN), "{shown}");
    assert!(!shown.contains(KEY), "{shown}");
    assert!(shown.contains(APPID), "{shown}");
}

#[test]
fn bad_base64_ciphertext_is_rejected() {
    let c = crypt();
    for bad in ["not base64!", "abc", "====", "QUJD\u{e9}"] {
        assert_eq!(c.decrypt(bad), Err(CryptoError::BadBase64), "{bad:?}");
    }
}

#[test]
fn ciphertext_not_a_multiple_of_16_is_bad_length() {
    let c = crypt();
    assert_eq!(c.decrypt(""), Err(CryptoError::BadLength));
    assert_eq!(
        c.decrypt(&STANDARD.encode([7u8; 15])),
        Err(CryptoError::BadLength)
    );
    assert_eq!(
        c.decrypt(&STANDARD.encode([7u8; 33])),
        Err(CryptoError::BadLength)
    );
}

#[test]
fn plaintext_shorter_than_header_is_bad_length() {
    let c = crypt();
    // Valid padding removing everything.
    assert_eq!(
        c.decrypt(&raw_encrypt(KEY, &[32u8; 32])),
        Err(CryptoError::BadLength)
    );
    // 12 bytes left after a valid pad of 20.
    let mut plain = vec![b'x'; 12];
    plain.extend([20u8; 20]);
    assert_eq!(
        c.decrypt(&raw_encrypt(KEY, &plain)),
        Err(CryptoError::BadLength)
    );
    // A 16-byte ciphertext whose pad leaves 15 bytes.
    let mut plain = vec![b'x'; 15];
    plain.push(1);
    assert_eq!(
        c.decrypt(&raw_encrypt(KEY, &plain)),
        Err(CryptoError::BadLength)
    );
}

#[test]
fn length_prefix_past_the_end_is_bad_length() {
    let c = crypt();
    for claimed in [11u32, 1000, u32::MAX] {
        let mut plain = vec![b'r'; 16];
        plain.extend(claimed.to_be_bytes());
        plain.extend(b"0123456789"); // 10 bytes, fewer than claimed
        let pad = 32 - plain.len() % 32;
        plain.extend(std::iter::repeat_n(pad as u8, pad));
        assert_eq!(
            c.decrypt(&raw_encrypt(KEY, &plain)),
            Err(CryptoError::BadLength),
            "{claimed}"
        );
    }
}

#[test]
fn message_that_is_not_utf8_is_bad_utf8() {
    let c = crypt();
    let msg = [0xffu8, 0xfe, b'a'];
    let mut plain = vec![b'r'; 16];
    plain.extend((msg.len() as u32).to_be_bytes());
    plain.extend(msg);
    plain.extend(APPID.as_bytes());
    let pad = 32 - plain.len() % 32;
    plain.extend(std::iter::repeat_n(pad as u8, pad));
    assert_eq!(
        c.decrypt(&raw_encrypt(KEY, &plain)),
        Err(CryptoError::BadUtf8)
    );
}

#[test]
fn tampered_last_block_is_bad_padding() {
    let c = crypt();
    let encrypt = c.encrypt_with_random("hello", b"0123456789abcdef");
    let mut cipher = STANDARD.decode(&encrypt).expect("base64");
    let n = cipher.len();
    // CBC: flipping a byte of the previous block flips the same byte of the last plaintext block.
    let mut high_pad = cipher.clone();
    high_pad[n - 17] ^= 0x80; // last pad byte becomes >= 128
    assert_eq!(
        c.decrypt(&STANDARD.encode(&high_pad)),
        Err(CryptoError::BadPadding)
    );

    let mut zero_pad = cipher.clone();
    let pad = 32 - (20 + 5 + APPID.len()) % 32;
    zero_pad[n - 17] ^= pad as u8; // last pad byte becomes 0
    assert_eq!(
        c.decrypt(&STANDARD.encode(&zero_pad)),
        Err(CryptoError::BadPadding)
    );

    assert!(pad >= 2);
    cipher[n - 18] ^= 0x01; // the pad bytes no longer agree
    assert_eq!(
        c.decrypt(&STANDARD.encode(&cipher)),
        Err(CryptoError::BadPadding)
    );

    // Valid-looking pad byte but longer than a 32-byte block.
    let mut plain = vec![b'x'; 15];
    plain.extend([33u8; 33]);
    assert_eq!(
        c.decrypt(&raw_encrypt(KEY, &plain)),
        Err(CryptoError::BadPadding)
    );
}

#[test]
fn wrong_receive_id_reports_both_ids() {
    let sender = WxCrypt::new(TOKEN, KEY, "wxsender").expect("key");
    let receiver = crypt();
    let encrypt = sender.encrypt("<xml/>");
    match receiver.decrypt(&encrypt) {
        Err(CryptoError::ReceiveIdMismatch { expected, actual }) => {
            assert_eq!(expected, APPID);
            assert_eq!(actual, "wxsender");
        }
        other => panic!("expected ReceiveIdMismatch, got {other:?}"),
    }
    let err = receiver.decrypt(&encrypt).expect_err("mismatch");
    let shown = err.to_string();
    assert!(
        shown.contains(APPID) && shown.contains("wxsender"),
        "{shown}"
    );
}

#[test]
fn errors_display_distinctly() {
    let errors = [
        CryptoError::BadSignature,
        CryptoError::BadKey("why".into()),
        CryptoError::BadBase64,
        CryptoError::BadLength,
        CryptoError::BadPadding,
        CryptoError::BadUtf8,
        CryptoError::ReceiveIdMismatch {
            expected: "a".into(),
            actual: "b".into(),
        },
    ];
    let shown: std::collections::HashSet<String> = errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(shown.len(), errors.len(), "{shown:?}");
}

#[test]
fn wrong_signature_is_rejected_before_decryption() {
    let c = crypt();
    let encrypt = c.encrypt("hi");
    let sig = c.msg_signature("1", "2", &encrypt);
    assert_eq!(c.open(&sig, "1", "2", &encrypt).as_deref(), Ok("hi"));
    assert_eq!(
        c.open("", "1", "2", &encrypt),
        Err(CryptoError::BadSignature)
    );
    assert_eq!(
        c.open(&sig.to_uppercase(), "1", "2", &encrypt),
        Err(CryptoError::BadSignature)
    );
    assert_eq!(
        c.open(&sig[..39], "1", "2", &encrypt),
        Err(CryptoError::BadSignature)
    );
    // A garbage body with a wrong signature reports the signature, not the body.
    assert_eq!(
        c.open(&sig, "1", "2", "%%%"),
        Err(CryptoError::BadSignature)
    );
    let other = WxCrypt::new("another-token", KEY, APPID).expect("key");
    assert_eq!(
        other.open(&sig, "1", "2", &encrypt),
        Err(CryptoError::BadSignature)
    );
}

#[test]
fn full_pad_block_when_plaintext_is_aligned() {
    let c = crypt();
    // 20 header bytes + 18 appid bytes = 38, so a 26-byte message makes 64 bytes exactly.
    let mut aligned = 0;
    for len in 0..=200 {
        let msg = "m".repeat(len);
        let encrypt = c.encrypt(&msg);
        let body = 20 + len + APPID.len();
        let decoded = STANDARD.decode(&encrypt).expect("base64").len();
        let pad = assert_padding(KEY, &encrypt, &msg, APPID);
        assert_eq!(decoded, body + pad);
        // A remainder of 0 means the body is aligned and needs a whole block of padding.
        let expected_pad = 32 - body % 32;
        assert_eq!(pad, expected_pad, "len {len}");
        if expected_pad == 32 {
            aligned += 1;
            assert_eq!(decoded, body + 32, "len {len}");
        }
        assert_eq!(c.decrypt(&encrypt).as_deref(), Ok(msg.as_str()));
    }
    assert!(aligned >= 6);
}

#[test]
fn encrypt_uses_fresh_random_prefix() {
    let c = crypt();
    let a = c.encrypt("same");
    let b = c.encrypt("same");
    assert_ne!(a, b);
    let prefix = &raw_decrypt(KEY, &a)[..16];
    assert!(prefix.iter().all(u8::is_ascii_alphanumeric));
}

#[test]
fn sealed_reply_round_trips_and_serializes() {
    let c = crypt();
    let reply = "<xml><Content><![CDATA[hi]]></Content></xml>";
    let sealed = c.seal(reply, "1409735669", "nonce]]>x");
    assert_eq!(sealed.timestamp, "1409735669");
    assert_eq!(sealed.nonce, "nonce]]>x");
    assert_eq!(
        c.open(
            &sealed.msg_signature,
            &sealed.timestamp,
            &sealed.nonce,
            &sealed.encrypt
        )
        .as_deref(),
        Ok(reply)
    );

    let xml = sealed.to_xml();
    assert!(xml.starts_with("<xml><Encrypt><![CDATA["), "{xml}");
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let field = |name: &str| {
        doc.root_element()
            .children()
            .find(|n| n.has_tag_name(name))
            .map(|n| n.children().filter_map(|t| t.text()).collect::<String>())
            .unwrap_or_default()
    };
    assert_eq!(field("Encrypt"), sealed.encrypt);
    assert_eq!(field("MsgSignature"), sealed.msg_signature);
    assert_eq!(field("TimeStamp"), sealed.timestamp);
    assert_eq!(field("Nonce"), sealed.nonce);

    let plain = SealedReply {
        encrypt: "E".into(),
        msg_signature: "S".into(),
        timestamp: "1".into(),
        nonce: "N".into(),
    };
    assert_eq!(
        plain.to_xml(),
        "<xml><Encrypt><![CDATA[E]]></Encrypt><MsgSignature><![CDATA[S]]></MsgSignature>\
         <TimeStamp>1</TimeStamp><Nonce><![CDATA[N]]></Nonce></xml>"
    );
    let json: serde_json::Value = serde_json::from_str(&sealed.to_json()).expect("json");
    assert_eq!(json["Encrypt"], sealed.encrypt.as_str());
    assert_eq!(json["MsgSignature"], sealed.msg_signature.as_str());
    assert_eq!(json["TimeStamp"], sealed.timestamp.as_str());
    assert_eq!(json["Nonce"], sealed.nonce.as_str());
    assert_eq!(json.as_object().map(|o| o.len()), Some(4));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn round_trip_any_chars(chars in proptest::collection::vec(any::<char>(), 0..8192)) {
        let msg: String = chars.into_iter().collect();
        let c = crypt();
        let encrypt = c.encrypt(&msg);
        prop_assert_eq!(c.decrypt(&encrypt), Ok(msg.clone()));
        assert_padding(KEY, &encrypt, &msg, APPID);
    }

    #[test]
    fn round_trip_printable_text(msg in "\\PC{0,8192}", receive_id in "[a-z0-9]{0,40}") {
        let c = WxCrypt::new(TOKEN, KEY, &receive_id).expect("key");
        let encrypt = c.encrypt(&msg);
        prop_assert_eq!(c.decrypt(&encrypt), Ok(msg.clone()));
        assert_padding(KEY, &encrypt, &msg, &receive_id);
    }

    #[test]
    fn round_trip_ascii_and_cjk(msg in "[a-zA-Z0-9 <>/\u{4e00}-\u{9fff}]{0,4096}") {
        let c = crypt();
        let random = *b"fixedrandom16byt";
        let encrypt = c.encrypt_with_random(&msg, &random);
        prop_assert_eq!(c.encrypt_with_random(&msg, &random), encrypt.clone());
        prop_assert_eq!(c.decrypt(&encrypt), Ok(msg.clone()));
        let pad = assert_padding(KEY, &encrypt, &msg, APPID);
        prop_assert!((1..=32).contains(&pad));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn padding_is_1_to_32_and_blocks_are_32(len in 0usize..2048, receive_id in "[a-z0-9]{0,40}") {
        let msg = "x".repeat(len);
        let c = WxCrypt::new(TOKEN, KEY, &receive_id).expect("key");
        let encrypt = c.encrypt(&msg);
        let decoded = STANDARD.decode(&encrypt).expect("base64").len();
        prop_assert_eq!(decoded % 32, 0);
        let pad = assert_padding(KEY, &encrypt, &msg, &receive_id);
        prop_assert!((1..=32).contains(&pad));
    }

    #[test]
    fn garbage_base64_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
        let _ = crypt().decrypt(&STANDARD.encode(&bytes));
    }

    #[test]
    fn garbage_blocks_never_panic(blocks in proptest::collection::vec(any::<[u8; 16]>(), 0..64)) {
        let bytes: Vec<u8> = blocks.concat();
        let _ = crypt().decrypt(&STANDARD.encode(&bytes));
    }

    #[test]
    fn garbage_strings_never_panic(s in any::<String>()) {
        let c = crypt();
        let _ = c.decrypt(&s);
        let _ = c.open(&s, &s, &s, &s);
    }

    /// Plaintexts with a valid pad and an arbitrary length prefix reach the deepest checks.
    #[test]
    fn crafted_plaintexts_never_panic(
        body in proptest::collection::vec(any::<u8>(), 0..200),
        claimed in any::<u32>(),
        use_claim in any::<bool>(),
        pad in 1u8..=32,
    ) {
        let mut plain = body;
        if use_claim && plain.len() >= 20 {
            plain[16..20].copy_from_slice(&claimed.to_be_bytes());
        }
        let total = (plain.len() + usize::from(pad)).div_ceil(16) * 16;
        plain.resize(total, pad);
        let result = crypt().decrypt(&raw_encrypt(KEY, &plain));
        if let Ok(msg) = result {
            prop_assert!(plain.len() >= 20 + msg.len());
        }
    }
}
