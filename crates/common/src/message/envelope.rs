//! The outer, still-encrypted form of a safe-mode push.

use super::{MessageError, RawFields};

/// What WeChat POSTs in safe mode before decryption: biz pushes carry `ToUserName`,
/// component pushes carry `AppId`, both carry the ciphertext in `Encrypt`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptedEnvelope {
    /// `ToUserName`: the authorizer account's original id (biz pushes).
    pub to_user_name: Option<String>,
    /// `AppId`: the component appid (component pushes).
    pub app_id: Option<String>,
    /// `Encrypt`: the base64 ciphertext, to be handed to the crypto module.
    pub encrypt: String,
}

impl EncryptedEnvelope {
    /// Parses an XML or JSON envelope.
    pub fn parse(body: &str) -> Result<Self, MessageError> {
        Self::from_raw(&RawFields::parse(body)?)
    }

    /// Reads the envelope fields from already-decoded raw fields.
    pub fn from_raw(raw: &RawFields) -> Result<Self, MessageError> {
        let fields = raw.fields();
        let encrypt = fields.str("Encrypt")?;
        if encrypt.trim().is_empty() {
            return Err(MessageError::BadField(
                "Encrypt".to_owned(),
                "ciphertext is empty".to_owned(),
            ));
        }
        Ok(EncryptedEnvelope {
            to_user_name: fields.non_empty_str("ToUserName")?,
            app_id: fields.non_empty_str("AppId")?,
            encrypt,
        })
    }
}
