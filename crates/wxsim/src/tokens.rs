//! Access tokens that behave like WeChat's: each has a lifetime; issuing a new
//! one for the same owner replaces the old one, which keeps working for a
//! configurable overlap and then answers 40001; an expired token answers 42001;
//! an unknown one 40001.

use std::collections::HashMap;

use rand::distributions::Alphanumeric;
use rand::Rng;
use serde::Serialize;

use crate::errors::WxError;

/// Whose token it is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", content = "appid", rename_all = "snake_case")]
pub enum TokenOwner {
    /// `component_access_token` of a third-party platform.
    Component(String),
    /// `authorizer_access_token` of an authorized account.
    Authorizer(String),
}

impl TokenOwner {
    /// The appid the token belongs to.
    pub fn appid(&self) -> &str {
        match self {
            Self::Component(a) | Self::Authorizer(a) => a,
        }
    }
}

/// One issued token.
#[derive(Debug, Clone, Serialize)]
pub struct TokenRecord {
    /// The token string.
    pub token: String,
    /// Its owner.
    pub owner: TokenOwner,
    /// When it was issued (simulated Unix seconds).
    pub issued_at: i64,
    /// When it expires.
    pub expires_at: i64,
    /// When it stops working because a successor was issued.
    pub replaced_at: Option<i64>,
}

/// Every token the simulator has issued.
#[derive(Debug, Default)]
pub struct TokenRegistry {
    by_token: HashMap<String, TokenRecord>,
    current: HashMap<TokenOwner, String>,
}

impl TokenRegistry {
    /// Issues a fresh token for `owner`; the previous one stops working
    /// `overlap` seconds from `now`. Returns the token and `expires_in`.
    pub fn issue(&mut self, owner: TokenOwner, now: i64, ttl: i64, overlap: i64) -> (String, i64) {
        if let Some(previous) = self.current.get(&owner) {
            if let Some(record) = self.by_token.get_mut(previous) {
                let end = now.saturating_add(overlap);
                record.replaced_at = Some(record.replaced_at.map_or(end, |t| t.min(end)));
            }
        }
        let token = new_token();
        self.by_token.insert(
            token.clone(),
            TokenRecord {
                token: token.clone(),
                owner: owner.clone(),
                issued_at: now,
                expires_at: now.saturating_add(ttl),
                replaced_at: None,
            },
        );
        self.current.insert(owner, token.clone());
        (token, ttl)
    }

    /// Who `token` belongs to, if it is usable at `now`.
    pub fn validate(&self, token: &str, now: i64) -> Result<TokenOwner, WxError> {
        let record = self
            .by_token
            .get(token)
            .ok_or_else(WxError::invalid_credential)?;
        if record.replaced_at.is_some_and(|t| now >= t) {
            return Err(WxError::invalid_credential());
        }
        if now >= record.expires_at {
            return Err(WxError::token_expired());
        }
        Ok(record.owner.clone())
    }

    /// The owner of `token` whatever its state; for call attribution.
    pub fn owner_of(&self, token: &str) -> Option<&TokenOwner> {
        self.by_token.get(token).map(|r| &r.owner)
    }

    /// Makes every token of `owner` unusable at once (an authorizer revoked).
    pub fn revoke_owner(&mut self, owner: &TokenOwner, now: i64) {
        for record in self.by_token.values_mut() {
            if &record.owner == owner {
                record.replaced_at = Some(record.replaced_at.map_or(now, |t| t.min(now)));
            }
        }
        self.current.remove(owner);
    }

    /// The current token of `owner`, for inspection.
    pub fn current(&self, owner: &TokenOwner) -> Option<&TokenRecord> {
        self.current.get(owner).and_then(|t| self.by_token.get(t))
    }

    /// Every issued token, for `/__sim/state`.
    pub fn all(&self) -> impl Iterator<Item = &TokenRecord> {
        self.by_token.values()
    }
}

fn new_token() -> String {
    format!("90_{}", random_string(96))
}

/// A random alphanumeric string, for tokens, codes and ids.
pub fn random_string(len: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}
