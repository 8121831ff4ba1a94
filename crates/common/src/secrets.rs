//! Secrets at rest: values such as the platform's AppSecret are stored in the
//! database sealed with AES-256-GCM under a master key that never lives in
//! the database (from `secrets.master_key`, or a key file the admin service
//! creates once). A sealed value reads `wxc1:` + base64(nonce | ciphertext | tag);
//! the name of the row is bound in as associated data, so a sealed value
//! copied into another row does not open.
//!
//! wxcomponent stored its secret AES-256-CBC encrypted under the md5 hex of
//! `MYSQL_PASSWORD` (IV = first 16 key bytes, PKCS#7); [`open_wxcomponent`]
//! reads such a value once so the admin can re-seal it under our scheme.

use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use md5::{Digest as _, Md5};
use secrecy::ExposeSecret as _;

use crate::config::SecretsSettings;

/// Prefix of every value sealed by [`MasterKey::seal`].
pub const SEALED_PREFIX: &str = "wxc1:";
/// `comm` key of the platform's AppSecret (wxcomponent's name).
pub const COMPONENT_SECRET_KEY: &str = "secret";

const NONCE_LEN: usize = 12;

/// Why a secret could not be sealed, opened or the key loaded.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The configured or stored master key is not base64 of 32 bytes.
    #[error("invalid master key: {0}")]
    InvalidKey(String),
    /// The key file could not be read or created.
    #[error("master key file {path}: {source}")]
    KeyFile {
        /// The file.
        path: PathBuf,
        /// The I/O failure.
        source: std::io::Error,
    },
    /// The stored value is not in a format we know.
    #[error("stored secret is malformed: {0}")]
    Malformed(String),
    /// Authentication failed: another master key, or the value was altered.
    #[error("stored secret does not open with this master key (another key, or altered)")]
    Decrypt,
}

/// The AES-256 key secrets are sealed with.
#[derive(Clone)]
pub struct MasterKey {
    key: [u8; 32],
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

impl MasterKey {
    /// A new random key.
    pub fn generate() -> Self {
        Self {
            key: rand::random::<[u8; 32]>(),
        }
    }

    /// Reads base64 of exactly 32 bytes.
    pub fn from_base64(text: &str) -> Result<Self, SecretError> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|e| SecretError::InvalidKey(format!("not base64: {e}")))?;
        let key: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| {
            SecretError::InvalidKey(format!("must be 32 bytes, got {}", b.len()))
        })?;
        Ok(Self { key })
    }

    /// The key as base64, for writing the key file.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.key)
    }

    /// The configured key, else the one in the key file; `None` when neither
    /// exists (nothing sealed can be opened then). Never creates a file.
    pub fn load(settings: &SecretsSettings) -> Result<Option<Self>, SecretError> {
        let configured = settings.master_key.expose_secret();
        if !configured.trim().is_empty() {
            return Self::from_base64(configured).map(Some);
        }
        let path = Path::new(&settings.key_path);
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_base64(&text).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(SecretError::KeyFile {
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    /// Like [`MasterKey::load`], but creates the key file (mode 0600) with a
    /// new random key when there is none. Two processes starting at once
    /// agree on one key: the file is created exclusively, the loser reads it.
    pub fn load_or_create(settings: &SecretsSettings) -> Result<Self, SecretError> {
        if let Some(key) = Self::load(settings)? {
            return Ok(key);
        }
        let path = Path::new(&settings.key_path);
        let file_error = |source| SecretError::KeyFile {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(file_error)?;
        }
        let key = Self::generate();
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        match options.open(path) {
            Ok(mut file) => {
                file.write_all(format!("{}\n", key.to_base64()).as_bytes())
                    .and_then(|()| file.sync_all())
                    .map_err(file_error)?;
                tracing::warn!(path = %path.display(), "created a new master key file for secrets at rest; back it up and share it between replicas");
                Ok(key)
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Self::load(settings)?
                .ok_or_else(|| SecretError::InvalidKey("key file vanished".into())),
            Err(e) => Err(file_error(e)),
        }
    }

    /// Seals `plaintext` for the row named `purpose`.
    pub fn seal(&self, purpose: &str, plaintext: &str) -> String {
        let cipher = Aes256Gcm::new(&self.key.into());
        let nonce_bytes = rand::random::<[u8; NONCE_LEN]>();
        let nonce = Nonce::from_slice(&nonce_bytes);
        let payload = Payload {
            msg: plaintext.as_bytes(),
            aad: purpose.as_bytes(),
        };
        // Encryption with a valid key and nonce length cannot fail.
        let sealed = cipher.encrypt(nonce, payload).unwrap_or_default();
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(&sealed);
        format!("{SEALED_PREFIX}{}", STANDARD.encode(out))
    }

    /// Opens a value sealed for `purpose`.
    pub fn open(&self, purpose: &str, sealed: &str) -> Result<String, SecretError> {
        let body = sealed
            .strip_prefix(SEALED_PREFIX)
            .ok_or_else(|| SecretError::Malformed("no wxc1: prefix".into()))?;
        let bytes = STANDARD
            .decode(body.trim())
            .map_err(|e| SecretError::Malformed(format!("not base64: {e}")))?;
        if bytes.len() < NONCE_LEN + 16 {
            return Err(SecretError::Malformed("too short".into()));
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let cipher = Aes256Gcm::new(&self.key.into());
        let plain = cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: purpose.as_bytes(),
                },
            )
            .map_err(|_| SecretError::Decrypt)?;
        String::from_utf8(plain).map_err(|_| SecretError::Malformed("not UTF-8".into()))
    }
}

/// Whether `value` was sealed by [`MasterKey::seal`].
pub fn is_sealed(value: &str) -> bool {
    value.starts_with(SEALED_PREFIX)
}

/// wxcomponent's key: the 32 ASCII bytes of md5-hex(`MYSQL_PASSWORD`).
fn wxcomponent_key(mysql_password: &str) -> [u8; 32] {
    let digest = hex::encode(Md5::digest(mysql_password.as_bytes()));
    let mut key = [0u8; 32];
    key.copy_from_slice(&digest.as_bytes()[..32]);
    key
}

/// Reads a value wxcomponent stored with `SetCommKvEncrypt`: base64 of
/// AES-256-CBC under md5-hex(`mysql_password`), IV = the key's first 16 bytes.
/// Fails on a wrong password (bad padding or not text) instead of returning garbage.
pub fn open_wxcomponent(stored: &str, mysql_password: &str) -> Result<String, SecretError> {
    let cipher = STANDARD
        .decode(stored.trim())
        .map_err(|e| SecretError::Malformed(format!("not base64: {e}")))?;
    if cipher.is_empty() || cipher.len() % 16 != 0 {
        return Err(SecretError::Malformed(
            "not a whole number of AES blocks".into(),
        ));
    }
    let key = wxcomponent_key(mysql_password);
    let plain = cbc::Decryptor::<aes::Aes256>::new(&key.into(), key[..16].into())
        .decrypt_padded_vec_mut::<Pkcs7>(&cipher)
        .map_err(|_| SecretError::Decrypt)?;
    let text = String::from_utf8(plain).map_err(|_| SecretError::Decrypt)?;
    if text.is_empty() || text.chars().any(char::is_control) {
        return Err(SecretError::Decrypt);
    }
    Ok(text)
}

/// Encrypts as wxcomponent did; for tests and migration tooling only.
pub fn seal_wxcomponent(plaintext: &str, mysql_password: &str) -> String {
    let key = wxcomponent_key(mysql_password);
    let cipher = cbc::Encryptor::<aes::Aes256>::new(&key.into(), key[..16].into())
        .encrypt_padded_vec_mut::<Pkcs7>(plaintext.as_bytes());
    STANDARD.encode(cipher)
}

/// The most of a secret ever shown: its first and last three characters
/// around asterisks; short secrets are all asterisks.
pub fn mask(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.is_empty() {
        return String::new();
    }
    if chars.len() < 12 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 3..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 6))
}

#[cfg(feature = "tokens")]
mod stored {
    use diesel::prelude::*;

    use super::{MasterKey, SecretError};
    use crate::db::schema::comm;
    use crate::db::{DbConnection, DbError};

    /// Why a stored secret could not be read.
    #[derive(Debug, thiserror::Error)]
    pub enum StoredSecretError {
        /// The database failed.
        #[error(transparent)]
        Db(#[from] DbError),
        /// The value is there but does not open.
        #[error(transparent)]
        Secret(#[from] SecretError),
    }

    /// The raw `comm` value of `key`, sealed or not.
    pub fn load_raw(conn: &mut DbConnection, key: &str) -> Result<Option<String>, DbError> {
        Ok(comm::table
            .find(key)
            .select(comm::value)
            .first(conn)
            .optional()?)
    }

    /// Opens the sealed `comm` value of `key`; `None` when absent or empty.
    pub fn load_sealed(
        conn: &mut DbConnection,
        key: &str,
        master: &MasterKey,
    ) -> Result<Option<String>, StoredSecretError> {
        match load_raw(conn, key)? {
            Some(value) if !value.is_empty() => Ok(Some(master.open(key, &value)?)),
            _ => Ok(None),
        }
    }

    /// Seals `value` and stores it as the `comm` value of `key`.
    pub fn store_sealed(
        conn: &mut DbConnection,
        key: &str,
        value: &str,
        master: &MasterKey,
    ) -> Result<(), DbError> {
        crate::tokens::store::put_comm(conn, key, &master.seal(key, value))
    }
}

#[cfg(feature = "tokens")]
pub use stored::{load_raw, load_sealed, store_sealed, StoredSecretError};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key_and_row() {
        let key = MasterKey::generate();
        let sealed = key.seal("secret", "s3cr3t-value");
        assert!(is_sealed(&sealed));
        assert!(!sealed.contains("s3cr3t"));
        assert_eq!(key.open("secret", &sealed).unwrap(), "s3cr3t-value");
        assert!(matches!(
            key.open("other", &sealed),
            Err(SecretError::Decrypt)
        ));
        assert!(matches!(
            MasterKey::generate().open("secret", &sealed),
            Err(SecretError::Decrypt)
        ));
    }

    #[test]
    fn wxcomponent_values_round_trip_and_refuse_a_wrong_password() {
        let stored = seal_wxcomponent("0123456789abcdef0123456789abcdef", "dbpass");
        assert_eq!(
            open_wxcomponent(&stored, "dbpass").unwrap(),
            "0123456789abcdef0123456789abcdef"
        );
        assert!(open_wxcomponent(&stored, "other").is_err());
    }

    #[test]
    fn masks_show_at_most_six_characters() {
        assert_eq!(mask(""), "");
        assert_eq!(mask("short"), "*****");
        assert_eq!(mask("abcdefghijklmnop"), "abc**********nop");
    }
}
