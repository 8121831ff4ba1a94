//! Component (third-party platform) events: 授权事件 pushed to the component URL.

use super::error::bounded;
use super::{MessageError, RawFields};

/// `InfoType` of the ticket push WeChat sends every ten minutes.
pub const INFO_TYPE_VERIFY_TICKET: &str = "component_verify_ticket";
/// `InfoType` of a new authorization.
pub const INFO_TYPE_AUTHORIZED: &str = "authorized";
/// `InfoType` of a changed authorization.
pub const INFO_TYPE_UPDATE_AUTHORIZED: &str = "updateauthorized";
/// `InfoType` of a revoked authorization.
pub const INFO_TYPE_UNAUTHORIZED: &str = "unauthorized";

/// A decrypted push to the component URL, typed by its `InfoType`.
#[derive(Debug, Clone, PartialEq)]
pub struct ComponentEvent {
    /// `AppId`: the component appid the push is addressed to.
    pub app_id: String,
    /// `CreateTime`: unix seconds.
    pub create_time: i64,
    /// What happened, with the fields that `InfoType` carries.
    pub kind: ComponentEventKind,
    /// Every field as received, including ones the typed view does not model.
    pub raw: RawFields,
}

/// The kinds of component push the platform acts on; everything else is kept as `Other`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ComponentEventKind {
    /// `component_verify_ticket`: a fresh ticket, needed to get the component access token.
    VerifyTicket {
        /// `ComponentVerifyTicket`.
        ticket: String,
    },
    /// `authorized`: an account authorized the platform.
    Authorized(AuthorizationChange),
    /// `updateauthorized`: an account changed the permissions it grants.
    UpdateAuthorized(AuthorizationChange),
    /// `unauthorized`: an account revoked its authorization.
    Unauthorized {
        /// `AuthorizerAppid`.
        authorizer_appid: String,
    },
    /// Any other `InfoType` (fast registration, ICP filing, ...); see `raw` for its fields.
    Other {
        /// `InfoType` as received.
        info_type: String,
    },
}

/// The payload of `authorized` / `updateauthorized`: what is needed to call
/// `api_query_auth` and store the authorizer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationChange {
    /// `AuthorizerAppid`: the account that (re)authorized.
    pub authorizer_appid: String,
    /// `AuthorizationCode`: exchanged for the authorizer refresh token.
    pub authorization_code: String,
    /// `AuthorizationCodeExpiredTime`: unix seconds after which the code is void.
    pub authorization_code_expired_time: i64,
    /// `PreAuthCode`: the pre-auth code the authorization page used, when sent.
    pub pre_auth_code: Option<String>,
}

impl ComponentEvent {
    /// Parses a decrypted XML or JSON component push.
    pub fn parse(body: &str) -> Result<Self, MessageError> {
        Self::from_raw(RawFields::parse(body)?)
    }

    /// Types already-decoded raw fields.
    pub fn from_raw(raw: RawFields) -> Result<Self, MessageError> {
        let fields = raw.fields();
        let info_type = fields.str("InfoType")?;
        bounded("InfoType", &info_type)?;
        let app_id = fields.str("AppId")?;
        let create_time = fields.i64("CreateTime")?;
        let kind = match info_type.as_str() {
            INFO_TYPE_VERIFY_TICKET => ComponentEventKind::VerifyTicket {
                ticket: fields.str("ComponentVerifyTicket")?,
            },
            INFO_TYPE_AUTHORIZED => ComponentEventKind::Authorized(authorization(&raw)?),
            INFO_TYPE_UPDATE_AUTHORIZED => {
                ComponentEventKind::UpdateAuthorized(authorization(&raw)?)
            }
            INFO_TYPE_UNAUTHORIZED => ComponentEventKind::Unauthorized {
                authorizer_appid: fields.str("AuthorizerAppid")?,
            },
            _ => ComponentEventKind::Other { info_type },
        };
        Ok(ComponentEvent {
            app_id,
            create_time,
            kind,
            raw,
        })
    }

    /// The account an authorization push is about (`authorized`,
    /// `updateauthorized`, `unauthorized`); `None` for other InfoTypes.
    pub fn authorizer_appid(&self) -> Option<&str> {
        match &self.kind {
            ComponentEventKind::Authorized(change)
            | ComponentEventKind::UpdateAuthorized(change) => Some(&change.authorizer_appid),
            ComponentEventKind::Unauthorized { authorizer_appid } => Some(authorizer_appid),
            _ => None,
        }
    }

    /// The `InfoType` string, for records and routing rules.
    pub fn info_type(&self) -> &str {
        match &self.kind {
            ComponentEventKind::VerifyTicket { .. } => INFO_TYPE_VERIFY_TICKET,
            ComponentEventKind::Authorized(_) => INFO_TYPE_AUTHORIZED,
            ComponentEventKind::UpdateAuthorized(_) => INFO_TYPE_UPDATE_AUTHORIZED,
            ComponentEventKind::Unauthorized { .. } => INFO_TYPE_UNAUTHORIZED,
            ComponentEventKind::Other { info_type } => info_type,
        }
    }
}

fn authorization(raw: &RawFields) -> Result<AuthorizationChange, MessageError> {
    let fields = raw.fields();
    Ok(AuthorizationChange {
        authorizer_appid: fields.str("AuthorizerAppid")?,
        authorization_code: fields.str("AuthorizationCode")?,
        authorization_code_expired_time: fields.i64("AuthorizationCodeExpiredTime")?,
        pre_auth_code: fields.non_empty_str("PreAuthCode")?,
    })
}
