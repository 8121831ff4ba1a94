//! WeChat message crypto (WXBizMsgCrypt), as used by the Open Platform for every push
//! and every passive reply.
//!
//! The scheme, in short:
//!
//! - The AES key is `base64_decode(EncodingAESKey + "=")`: 43 characters become 32 bytes.
//!   Official keys carry non-zero trailing bits, so the decoding is lenient about them.
//! - AES-256-CBC with `IV = key[0..16]`, over
//!   `random(16) | len(msg) as u32 big-endian | msg | receive_id`, padded PKCS#7-style to a
//!   multiple of **32** bytes (pad values `1..=32`), then base64 (standard, padded).
//! - `msg_signature = sha1_hex(concat(sort([token, timestamp, nonce, encrypt])))`; the URL
//!   verification signature is the same over `[token, timestamp, nonce]`.
//!
//! Decryption treats its input as hostile: every check returns a distinct [`CryptoError`],
//! nothing indexes out of range, and signatures are compared in constant time.

use std::fmt;

use aes::cipher::block_padding::NoPadding;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use aes::Aes256;
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use rand::distributions::Alphanumeric;
use rand::Rng as _;
use secrecy::{ExposeSecret as _, SecretString};
use serde::Serialize;
use sha1::{Digest as _, Sha1};

use crate::message::cdata;

type Aes256CbcEnc = cbc::Encryptor<Aes256>;
type Aes256CbcDec = cbc::Decryptor<Aes256>;

/// Padding block size of the WeChat scheme (PKCS#7 over 32 bytes, not the AES block of 16).
const PAD_BLOCK: usize = 32;
/// AES block size: the ciphertext length must be a multiple of it.
const AES_BLOCK: usize = 16;
/// Length of the random prefix of every plaintext.
const RANDOM_LEN: usize = 16;
/// Random prefix plus the big-endian u32 message length.
const HEADER_LEN: usize = RANDOM_LEN + 4;
/// Length of an EncodingAESKey as WeChat issues it.
const ENCODING_AES_KEY_LEN: usize = 43;

/// Lenient base64 for the EncodingAESKey: official keys have non-zero trailing bits,
/// which the strict standard engine would reject.
const LENIENT_KEY_ENGINE: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Why a WeChat crypto operation failed. Each case is distinct so callers can log
/// precisely what was wrong with a push without ever logging the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// The signature did not match: the request is not from WeChat, or the token differs.
    #[error("signature mismatch")]
    BadSignature,
    /// The EncodingAESKey is unusable; the message says why.
    #[error("invalid EncodingAESKey: {0}")]
    BadKey(String),
    /// The ciphertext is not valid base64.
    #[error("ciphertext is not valid base64")]
    BadBase64,
    /// The ciphertext or the decrypted plaintext has an impossible length.
    #[error("ciphertext or plaintext has an invalid length")]
    BadLength,
    /// The decrypted plaintext does not end in valid 32-byte PKCS#7 padding (wrong key or tampering).
    #[error("decrypted plaintext has invalid padding")]
    BadPadding,
    /// The decrypted message is not UTF-8.
    #[error("decrypted message is not valid UTF-8")]
    BadUtf8,
    /// The message was encrypted for another receiver (app id).
    #[error("receive id mismatch: expected {expected:?}, got {actual:?}")]
    ReceiveIdMismatch {
        /// The receive id this crypt was configured with.
        expected: String,
        /// The receive id found at the end of the plaintext (lossily decoded).
        actual: String,
    },
}

/// WeChat's signature: SHA-1 hex (lowercase) of the parts sorted bytewise and concatenated.
/// Used both for `msg_signature` (4 parts) and URL verification (3 parts).
pub fn sha1_signature(parts: &[&str]) -> String {
    let mut sorted: Vec<&str> = parts.to_vec();
    sorted.sort_unstable();
    let mut hasher = Sha1::new();
    for part in sorted {
        hasher.update(part.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// Compares two strings without an early exit on the first differing byte, so the time
/// taken does not reveal how much of a forged signature or token was right. Lengths are
/// public.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// One platform's message crypto: its token, AES key and the receive id (the component
/// appid in third-party mode). Cheap to clone; `Debug` never shows the token or key.
#[derive(Clone)]
pub struct WxCrypt {
    token: SecretString,
    key: [u8; 32],
    iv: [u8; 16],
    receive_id: String,
}

impl fmt::Debug for WxCrypt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WxCrypt")
            .field("token", &"[REDACTED]")
            .field("key", &"[REDACTED]")
            .field("receive_id", &self.receive_id)
            .finish()
    }
}

impl WxCrypt {
    /// Builds the crypt from the platform settings; fails with [`CryptoError::BadKey`]
    /// when the EncodingAESKey is not 43 base64 characters decoding to 32 bytes.
    pub fn new(token: &str, encoding_aes_key: &str, receive_id: &str) -> Result<Self, CryptoError> {
        let chars = encoding_aes_key.chars().count();
        if chars != ENCODING_AES_KEY_LEN || encoding_aes_key.len() != ENCODING_AES_KEY_LEN {
            return Err(CryptoError::BadKey(format!(
                "expected {ENCODING_AES_KEY_LEN} ASCII characters, got {chars} characters"
            )));
        }
        let decoded = LENIENT_KEY_ENGINE
            .decode(format!("{encoding_aes_key}="))
            .map_err(|e| CryptoError::BadKey(format!("not base64: {e}")))?;
        let key: [u8; 32] = decoded.as_slice().try_into().map_err(|_| {
            CryptoError::BadKey(format!("decodes to {} bytes instead of 32", decoded.len()))
        })?;
        let mut iv = [0u8; 16];
        iv.copy_from_slice(&key[..16]);
        Ok(Self {
            token: SecretString::from(token.to_owned()),
            key,
            iv,
            receive_id: receive_id.to_owned(),
        })
    }

    /// The receive id appended to every plaintext and required on decryption.
    pub fn receive_id(&self) -> &str {
        &self.receive_id
    }

    /// Encrypts `msg` with a fresh random 16-character alphanumeric prefix, as the
    /// official samples do. Returns the base64 ciphertext (the `Encrypt` field).
    pub fn encrypt(&self, msg: &str) -> String {
        let mut random = [0u8; RANDOM_LEN];
        let mut rng = rand::thread_rng();
        for byte in &mut random {
            *byte = rng.sample(Alphanumeric);
        }
        self.encrypt_with_random(msg, &random)
    }

    /// Encrypts `msg` with the given random prefix. Deterministic, so it can reproduce
    /// published vectors exactly; production code should call [`WxCrypt::encrypt`].
    pub fn encrypt_with_random(&self, msg: &str, random: &[u8; 16]) -> String {
        let body_len = HEADER_LEN + msg.len() + self.receive_id.len();
        let pad = PAD_BLOCK - body_len % PAD_BLOCK;
        let mut plain = Vec::with_capacity(body_len + pad);
        plain.extend_from_slice(random);
        // Messages over 4 GiB cannot be pushed through WeChat; saturate rather than panic.
        let len = u32::try_from(msg.len()).unwrap_or(u32::MAX);
        plain.extend_from_slice(&len.to_be_bytes());
        plain.extend_from_slice(msg.as_bytes());
        plain.extend_from_slice(self.receive_id.as_bytes());
        // `pad` is in 1..=32, so the cast is lossless.
        plain.resize(body_len + pad, pad as u8);
        let cipher = Aes256CbcEnc::new(&self.key.into(), &self.iv.into())
            .encrypt_padded_vec_mut::<NoPadding>(&plain);
        STANDARD.encode(cipher)
    }

    /// Decrypts an `Encrypt` field, checking the padding, the length prefix, UTF-8 and the
    /// receive id. Never panics, whatever the input.
    pub fn decrypt(&self, encrypt: &str) -> Result<String, CryptoError> {
        let cipher = STANDARD
            .decode(encrypt)
            .map_err(|_| CryptoError::BadBase64)?;
        if cipher.is_empty() || cipher.len() % AES_BLOCK != 0 {
            return Err(CryptoError::BadLength);
        }
        let plain = Aes256CbcDec::new(&self.key.into(), &self.iv.into())
            .decrypt_padded_vec_mut::<NoPadding>(&cipher)
            .map_err(|_| CryptoError::BadLength)?;

        let unpadded = strip_padding(&plain)?;
        let (random_and_len, rest) = unpadded
            .split_at_checked(HEADER_LEN)
            .ok_or(CryptoError::BadLength)?;
        let len_bytes: [u8; 4] = random_and_len
            .get(RANDOM_LEN..HEADER_LEN)
            .and_then(|b| b.try_into().ok())
            .ok_or(CryptoError::BadLength)?;
        let msg_len =
            usize::try_from(u32::from_be_bytes(len_bytes)).map_err(|_| CryptoError::BadLength)?;
        let (msg, receive_id) = rest
            .split_at_checked(msg_len)
            .ok_or(CryptoError::BadLength)?;
        let msg = std::str::from_utf8(msg).map_err(|_| CryptoError::BadUtf8)?;
        if receive_id != self.receive_id.as_bytes() {
            return Err(CryptoError::ReceiveIdMismatch {
                expected: self.receive_id.clone(),
                actual: String::from_utf8_lossy(receive_id).into_owned(),
            });
        }
        Ok(msg.to_owned())
    }

    /// The `msg_signature` WeChat expects over an `Encrypt` field.
    pub fn msg_signature(&self, timestamp: &str, nonce: &str, encrypt: &str) -> String {
        sha1_signature(&[self.token.expose_secret(), timestamp, nonce, encrypt])
    }

    /// Checks a pushed `msg_signature` in constant time.
    pub fn verify_msg_signature(
        &self,
        signature: &str,
        timestamp: &str,
        nonce: &str,
        encrypt: &str,
    ) -> Result<(), CryptoError> {
        let expected = self.msg_signature(timestamp, nonce, encrypt);
        if constant_time_eq(&expected, signature) {
            Ok(())
        } else {
            Err(CryptoError::BadSignature)
        }
    }

    /// The plain `signature` of URL verification (and of unencrypted pushes).
    pub fn url_signature(&self, timestamp: &str, nonce: &str) -> String {
        sha1_signature(&[self.token.expose_secret(), timestamp, nonce])
    }

    /// Checks a URL-verification `signature` in constant time.
    pub fn verify_url_signature(
        &self,
        signature: &str,
        timestamp: &str,
        nonce: &str,
    ) -> Result<(), CryptoError> {
        let expected = self.url_signature(timestamp, nonce);
        if constant_time_eq(&expected, signature) {
            Ok(())
        } else {
            Err(CryptoError::BadSignature)
        }
    }

    /// Opens a push: verifies `msg_signature`, then decrypts. The signature is checked
    /// first so forged bodies never reach the decryption code.
    pub fn open(
        &self,
        msg_signature: &str,
        timestamp: &str,
        nonce: &str,
        encrypt: &str,
    ) -> Result<String, CryptoError> {
        self.verify_msg_signature(msg_signature, timestamp, nonce, encrypt)?;
        self.decrypt(encrypt)
    }

    /// Seals a passive reply: encrypts it and signs the ciphertext with the given
    /// timestamp and nonce, ready to serialize as XML or JSON.
    pub fn seal(&self, reply: &str, timestamp: &str, nonce: &str) -> SealedReply {
        let encrypt = self.encrypt(reply);
        let msg_signature = self.msg_signature(timestamp, nonce, &encrypt);
        SealedReply {
            encrypt,
            msg_signature,
            timestamp: timestamp.to_owned(),
            nonce: nonce.to_owned(),
        }
    }
}

/// Checks and removes the 32-byte PKCS#7 padding: the last byte `p` must be in `1..=32`
/// and the last `p` bytes must all equal `p`.
fn strip_padding(plain: &[u8]) -> Result<&[u8], CryptoError> {
    let &pad = plain.last().ok_or(CryptoError::BadPadding)?;
    let pad_len = usize::from(pad);
    if pad_len == 0 || pad_len > PAD_BLOCK || pad_len > plain.len() {
        return Err(CryptoError::BadPadding);
    }
    let (body, padding) = plain
        .split_at_checked(plain.len() - pad_len)
        .ok_or(CryptoError::BadPadding)?;
    if padding.iter().any(|&b| b != pad) {
        return Err(CryptoError::BadPadding);
    }
    Ok(body)
}

/// An encrypted, signed passive reply, as WeChat expects it back in the response body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SealedReply {
    /// Base64 ciphertext of the reply.
    #[serde(rename = "Encrypt")]
    pub encrypt: String,
    /// Signature over token, timestamp, nonce and `encrypt`.
    #[serde(rename = "MsgSignature")]
    pub msg_signature: String,
    /// Timestamp used in the signature (echoed from the push or freshly generated).
    #[serde(rename = "TimeStamp")]
    pub timestamp: String,
    /// Nonce used in the signature.
    #[serde(rename = "Nonce")]
    pub nonce: String,
}

impl SealedReply {
    /// The XML body for replies to XML pushes.
    pub fn to_xml(&self) -> String {
        format!(
            "<xml><Encrypt>{}</Encrypt><MsgSignature>{}</MsgSignature>\
             <TimeStamp>{}</TimeStamp><Nonce>{}</Nonce></xml>",
            cdata(&self.encrypt),
            cdata(&self.msg_signature),
            xml_text(&self.timestamp),
            cdata(&self.nonce),
        )
    }

    /// The JSON body for replies to JSON pushes (all four fields as strings).
    pub fn to_json(&self) -> String {
        // Serializing a struct of four strings cannot fail; fall back to an empty object
        // rather than panic should that ever change.
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{}"))
    }
}

/// Escapes text for an XML element body.
fn xml_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
