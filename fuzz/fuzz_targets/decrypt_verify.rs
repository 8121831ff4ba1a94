//! Decrypt + verify (WXBizMsgCrypt): hostile ciphertexts, signatures and keys.
//!
//! Properties:
//! - `WxCrypt::new`, `open`, `decrypt` and the signature checks never panic;
//! - `open` succeeds only when the signature is the one we compute, and then says
//!   what `decrypt` says;
//! - encrypt → decrypt and seal-style sign → `open` give the message back for any
//!   message, random prefix, timestamp and nonce; any other signature is refused;
//! - differential: for any plaintext bytes (padding, length prefix, UTF-8 and
//!   receive id all fuzzed), encrypted with AES-256-CBC here, `decrypt` answers
//!   exactly what a straightforward model of the scheme answers.
#![no_main]

use aes::cipher::block_padding::NoPadding;
use aes::cipher::{BlockEncryptMut, KeyIvInit};
use arbitrary::Arbitrary;
use base64::Engine as _;
use common::crypto::{CryptoError, WxCrypt};
use libfuzzer_sys::fuzz_target;

/// WeChat's documented sample EncodingAESKey (its trailing bits are non-zero).
const SAMPLE_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

#[derive(Arbitrary, Debug)]
struct Input {
    key: String,
    token: String,
    receive_id: String,
    timestamp: String,
    nonce: String,
    signature: String,
    encrypt: String,
    message: String,
    random: [u8; 16],
    plaintext: Vec<u8>,
}

/// What decrypting `plain` (already deciphered) must give, written from the scheme's
/// description: 32-byte PKCS#7 padding, 16 random bytes, a big-endian u32 length,
/// the message, then the receive id.
fn model(plain: &[u8], receive_id: &str) -> Result<String, CryptoError> {
    let pad = usize::from(*plain.last().ok_or(CryptoError::BadPadding)?);
    if pad == 0 || pad > 32 || pad > plain.len() {
        return Err(CryptoError::BadPadding);
    }
    let body = &plain[..plain.len() - pad];
    if plain[body.len()..].iter().any(|&b| usize::from(b) != pad) {
        return Err(CryptoError::BadPadding);
    }
    if body.len() < 20 {
        return Err(CryptoError::BadLength);
    }
    let len = u32::from_be_bytes([body[16], body[17], body[18], body[19]]) as usize;
    let rest = &body[20..];
    if len > rest.len() {
        return Err(CryptoError::BadLength);
    }
    let msg = std::str::from_utf8(&rest[..len]).map_err(|_| CryptoError::BadUtf8)?;
    if &rest[len..] != receive_id.as_bytes() {
        return Err(CryptoError::ReceiveIdMismatch {
            expected: receive_id.to_owned(),
            actual: String::from_utf8_lossy(&rest[len..]).into_owned(),
        });
    }
    Ok(msg.to_owned())
}

fuzz_target!(|input: Input| {
    let crypt = match WxCrypt::new(&input.token, &input.key, &input.receive_id) {
        Ok(crypt) => {
            assert_eq!(
                input.key.len(),
                43,
                "a key of {} bytes accepted",
                input.key.len()
            );
            crypt
        }
        Err(CryptoError::BadKey(_)) => WxCrypt::new(&input.token, SAMPLE_KEY, &input.receive_id)
            .expect("the sample key is valid"),
        Err(other) => panic!("a bad key reported as {other:?}"),
    };
    let (ts, nonce) = (input.timestamp.as_str(), input.nonce.as_str());

    // Hostile push.
    let expected_sig = crypt.msg_signature(ts, nonce, &input.encrypt);
    let opened = crypt.open(&input.signature, ts, nonce, &input.encrypt);
    if input.signature == expected_sig {
        assert_eq!(opened, crypt.decrypt(&input.encrypt));
    } else {
        assert_eq!(opened, Err(CryptoError::BadSignature));
    }
    let url_ok = crypt
        .verify_url_signature(&input.signature, ts, nonce)
        .is_ok();
    assert_eq!(url_ok, input.signature == crypt.url_signature(ts, nonce));

    // Round trip.
    let encrypt = crypt.encrypt_with_random(&input.message, &input.random);
    assert_eq!(
        crypt.decrypt(&encrypt).as_deref(),
        Ok(input.message.as_str())
    );
    let signature = crypt.msg_signature(ts, nonce, &encrypt);
    assert_eq!(
        crypt.open(&signature, ts, nonce, &encrypt).as_deref(),
        Ok(input.message.as_str())
    );
    if input.signature != signature {
        assert_eq!(
            crypt.open(&input.signature, ts, nonce, &encrypt),
            Err(CryptoError::BadSignature)
        );
    }

    // Differential against the model, under the sample key.
    let mut plain = input.plaintext;
    plain.truncate(plain.len() - plain.len() % 16);
    if plain.is_empty() {
        return;
    }
    let key = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    )
    .decode(format!("{SAMPLE_KEY}="))
    .expect("sample key decodes");
    let sample = WxCrypt::new("token", SAMPLE_KEY, &input.receive_id).expect("sample key");
    let cipher = cbc::Encryptor::<aes::Aes256>::new_from_slices(&key, &key[..16])
        .expect("32-byte key, 16-byte iv")
        .encrypt_padded_vec_mut::<NoPadding>(&plain);
    let encoded = base64::engine::general_purpose::STANDARD.encode(cipher);
    assert_eq!(sample.decrypt(&encoded), model(&plain, &input.receive_id));
});
