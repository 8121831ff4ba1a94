//! The token core: the `component_access_token` from the stored ticket and
//! secret, and every `authorizer_access_token` from its refresh token, each
//! stored in `wxtoken` with the expiry WeChat gave and cached in process.
//!
//! Single-flight: within a process, one refresh per token at a time (a per-key
//! async mutex, the cache re-checked after taking it); across processes and
//! replicas, a lock row in `comm` (wxcomponent's `TLock_*` keys) taken before
//! calling WeChat, with the stored token re-read after taking it, so two
//! replicas never both refresh the same token. A failed refresh keeps
//! handing out the old token while it is still valid. A caller whose token
//! WeChat rejected reports it; the token is invalidated only if it is still
//! the current one, so a late report cannot kill a fresh successor.
//!
//! The in-process cache is only a shortcut: an entry is re-read from the
//! database after `cache_ttl`, so a token another replica replaced is picked
//! up without anyone reporting it.
//!
//! The platform secret is `wechat.component_secret` when configured, else
//! the sealed `comm` row `secret` the admin console writes (see
//! [`crate::secrets`]), read at each refresh so a new secret applies at once
//! on every replica.
//!
//! The admin service runs this with a background refresher and exposes it on
//! its inner API; the callback receiver uses it directly to exchange
//! authorization codes.

pub mod store;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{NaiveDateTime, TimeDelta};
use secrecy::{ExposeSecret, SecretString};

use crate::config::SecretsSettings;
use crate::db::{authorizers, now, Db, DbError};
use crate::secrets::{self, MasterKey};
use crate::wechat::{with_token, TokenSource, WechatClient, WechatError};
use store::StoredToken;

/// Which token.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TokenKey {
    /// The platform's `component_access_token`.
    Component,
    /// The `authorizer_access_token` of this authorizer appid.
    Authorizer(String),
}

impl TokenKey {
    fn token_type(&self) -> i32 {
        match self {
            Self::Component => store::TOKEN_TYPE_COMPONENT,
            Self::Authorizer(_) => store::TOKEN_TYPE_AUTHORIZER,
        }
    }
}

/// Why no token could be handed out.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// No `component_verify_ticket` has arrived yet (wxcomponent's 1007).
    #[error("no component_verify_ticket yet; WeChat was asked to push one")]
    NoTicket,
    /// The platform secret is not configured (nor stored by the console).
    #[error("the component secret is not configured (wechat.component_secret or the console's Secret setting)")]
    NoSecret,
    /// The appid is not an authorizer of this platform.
    #[error("{0} has not authorized this platform")]
    NotAuthorized(String),
    /// WeChat refused the refresh token (61023): the account must authorize again.
    #[error("the refresh token of {0} is no longer valid; the account must authorize again")]
    RefreshTokenInvalid(String),
    /// WeChat refused or could not be reached.
    #[error(transparent)]
    Wechat(#[from] WechatError),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// Another process held the refresh lock for too long.
    #[error("timed out waiting for another process to refresh the token")]
    LockTimeout,
}

/// Timing of the token core.
#[derive(Debug, Clone)]
pub struct TokenOptions {
    /// A token is not handed out when it expires within this margin.
    pub request_margin: Duration,
    /// How long a refresh lock is valid if its holder dies.
    pub lock_ttl: Duration,
    /// How long to wait for another process's refresh.
    pub lock_wait: Duration,
    /// How long the in-process copy of a token is trusted before the
    /// database is read again.
    pub cache_ttl: Duration,
    /// At most one `api_start_push_ticket` per this interval while no ticket
    /// has arrived.
    pub start_push_interval: Duration,
}

impl Default for TokenOptions {
    fn default() -> Self {
        Self {
            request_margin: Duration::from_secs(60),
            lock_ttl: Duration::from_secs(15),
            lock_wait: Duration::from_secs(10),
            cache_ttl: Duration::from_secs(30),
            start_push_interval: Duration::from_secs(10),
        }
    }
}

/// Hands out fresh tokens; cheap to clone.
#[derive(Clone)]
pub struct TokenManager {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    client: WechatClient,
    component_appid: String,
    component_secret: SecretString,
    secrets: Option<SecretsSettings>,
    options: TokenOptions,
    owner: String,
    cache: Mutex<HashMap<TokenKey, Cached>>,
    flights: Mutex<HashMap<TokenKey, Arc<tokio::sync::Mutex<()>>>>,
    last_start_push: Mutex<Option<Instant>>,
    refused_refresh: Mutex<HashMap<String, RefusedRefresh>>,
}

/// A refresh token WeChat refused, and when.
struct RefusedRefresh {
    refresh_token: String,
    at: NaiveDateTime,
}

/// An authorizer whose refresh token WeChat refused (61023) and that has not
/// authorized again since: it must, before any of its tokens can be had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshRefusal {
    /// The account.
    pub appid: String,
    /// When this process last saw WeChat refuse its refresh token.
    pub since: NaiveDateTime,
}

#[derive(Clone)]
struct Cached {
    token: StoredToken,
    at: Instant,
}

impl std::fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenManager")
            .field("component_appid", &self.inner.component_appid)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn delta(d: Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

/// What a refresh under the locks accepts instead of calling WeChat: a
/// token another flight or replica stored meanwhile.
enum Accept {
    /// Any token usable for a request (valid beyond the request margin).
    Fresh,
    /// A usable token other than this one (forced refresh).
    Replacing(Option<StoredToken>),
    /// A token valid for longer than this (background refresh).
    ValidFor(Duration),
}

impl TokenManager {
    /// A manager for the platform `component_appid`. An empty
    /// `component_secret` means "no secret": use [`TokenManager::from_settings`]
    /// to also read the secret the console stores.
    pub fn new(
        db: Db,
        client: WechatClient,
        component_appid: &str,
        component_secret: SecretString,
        options: TokenOptions,
    ) -> Self {
        Self::build(db, client, component_appid, component_secret, None, options)
    }

    fn build(
        db: Db,
        client: WechatClient,
        component_appid: &str,
        component_secret: SecretString,
        secrets: Option<SecretsSettings>,
        options: TokenOptions,
    ) -> Self {
        let owner = format!("{}-{:016x}", std::process::id(), rand::random::<u64>());
        Self {
            inner: Arc::new(Inner {
                db,
                client,
                component_appid: component_appid.to_string(),
                component_secret,
                secrets,
                options,
                owner,
                cache: Mutex::new(HashMap::new()),
                flights: Mutex::new(HashMap::new()),
                last_start_push: Mutex::new(None),
                refused_refresh: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The platform appid.
    pub fn component_appid(&self) -> &str {
        &self.inner.component_appid
    }

    /// The WeChat client the manager calls with.
    pub fn client(&self) -> &WechatClient {
        &self.inner.client
    }

    /// The database the manager stores in.
    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    /// The timing the manager was built with.
    pub fn options(&self) -> &TokenOptions {
        &self.inner.options
    }

    /// A usable `component_access_token`.
    pub async fn component_token(&self) -> Result<String, TokenError> {
        Ok(self.get(&TokenKey::Component).await?.token)
    }

    /// A usable `authorizer_access_token` for `appid`.
    pub async fn authorizer_token(&self, appid: &str) -> Result<String, TokenError> {
        Ok(self
            .get(&TokenKey::Authorizer(appid.to_string()))
            .await?
            .token)
    }

    /// The token for `key` with its expiry: from the process cache, else the
    /// database, else WeChat (single-flight).
    pub async fn get(&self, key: &TokenKey) -> Result<StoredToken, TokenError> {
        if let Some(token) = self.cached_fresh(key) {
            return Ok(token);
        }
        let flight = self.flight(key);
        let _guard = flight.lock().await;
        if let Some(token) = self.cached_fresh(key) {
            return Ok(token);
        }
        let stored = self.load(key).await?;
        if let Some(token) = stored.as_ref().filter(|t| self.is_fresh(t)) {
            self.remember(key, token);
            return Ok(token.clone());
        }
        self.refresh_locked(key, stored, Accept::Fresh).await
    }

    /// Refreshes `key` now even if the stored token is still fresh (unless
    /// another flight or replica replaced it meanwhile).
    pub async fn refresh(&self, key: &TokenKey) -> Result<StoredToken, TokenError> {
        let flight = self.flight(key);
        let _guard = flight.lock().await;
        let stored = self.load(key).await?;
        self.refresh_locked(key, stored.clone(), Accept::Replacing(stored))
            .await
    }

    /// The background refresher's call: refreshes `key` only if the stored
    /// token expires within `within` (re-checked under both locks, so
    /// replicas running the same refresher call WeChat once between them).
    /// Answers the token now stored.
    pub async fn refresh_expiring(
        &self,
        key: &TokenKey,
        within: Duration,
    ) -> Result<StoredToken, TokenError> {
        let flight = self.flight(key);
        let _guard = flight.lock().await;
        let stored = self.load(key).await?;
        if let Some(token) = stored.as_ref().filter(|t| valid_for(t, within)) {
            self.remember(key, token);
            return Ok(token.clone());
        }
        self.refresh_locked(key, stored, Accept::ValidFor(within))
            .await
    }

    /// A caller reports that WeChat rejected `token` (40001/42001). It is
    /// invalidated only if it is still the current token; answers whether it was.
    pub async fn report_rejected(&self, key: &TokenKey, token: &str) -> Result<bool, TokenError> {
        {
            let mut cache = lock(&self.inner.cache);
            if cache.get(key).is_some_and(|c| c.token.token == token) {
                cache.remove(key);
            }
        }
        let appid = self.appid_of(key).to_string();
        let token_type = key.token_type();
        let token = token.to_string();
        Ok(self
            .inner
            .db
            .run(move |conn| store::expire_token_if_current(conn, token_type, &appid, &token))
            .await?)
    }

    /// The authorizers whose refresh token WeChat refused in this process
    /// and whose stored refresh token is still that one: accounts that
    /// authorized again since (a new refresh token) or were removed are
    /// dropped. Held in memory: after a restart the background refresher
    /// finds them again on its first round.
    pub async fn refused_refresh_tokens(&self) -> Result<Vec<RefreshRefusal>, TokenError> {
        let refused: Vec<(String, String)> = lock(&self.inner.refused_refresh)
            .iter()
            .map(|(appid, r)| (appid.clone(), r.refresh_token.clone()))
            .collect();
        if refused.is_empty() {
            return Ok(Vec::new());
        }
        let current = self
            .inner
            .db
            .run(move |conn| {
                let mut still = Vec::new();
                for (appid, token) in refused {
                    let stored = authorizers::refresh_token(conn, &appid)?;
                    still.push((appid, stored.as_deref() == Some(token.as_str())));
                }
                Ok(still)
            })
            .await?;
        let mut map = lock(&self.inner.refused_refresh);
        let mut out = Vec::new();
        for (appid, still_refused) in current {
            if !still_refused {
                map.remove(&appid);
            } else if let Some(r) = map.get(&appid) {
                out.push(RefreshRefusal { appid, since: r.at });
            }
        }
        out.sort_by(|a, b| b.since.cmp(&a.since).then_with(|| a.appid.cmp(&b.appid)));
        Ok(out)
    }

    /// The token of `key` as a [`TokenSource`], for calling WeChat with it
    /// through [`crate::wechat::with_token`].
    pub fn source(&self, key: TokenKey) -> ManagedToken<'_> {
        ManagedToken { manager: self, key }
    }

    /// Forgets the cached token of `key` (after the stored one was deleted).
    pub fn forget(&self, key: &TokenKey) {
        lock(&self.inner.cache).remove(key);
    }

    /// The stored token of `key`, fresh or not, without calling WeChat.
    pub async fn load(&self, key: &TokenKey) -> Result<Option<StoredToken>, TokenError> {
        let appid = self.appid_of(key).to_string();
        let token_type = key.token_type();
        Ok(self
            .inner
            .db
            .run(move |conn| store::load_token(conn, token_type, &appid))
            .await?)
    }

    fn flight(&self, key: &TokenKey) -> Arc<tokio::sync::Mutex<()>> {
        lock(&self.inner.flights)
            .entry(key.clone())
            .or_default()
            .clone()
    }

    fn appid_of<'a>(&'a self, key: &'a TokenKey) -> &'a str {
        match key {
            TokenKey::Component => &self.inner.component_appid,
            TokenKey::Authorizer(appid) => appid,
        }
    }

    fn is_fresh(&self, token: &StoredToken) -> bool {
        valid_for(token, self.inner.options.request_margin)
    }

    fn acceptable(&self, accept: &Accept, token: &StoredToken) -> bool {
        match accept {
            Accept::Fresh => self.is_fresh(token),
            Accept::Replacing(stale) => self.is_fresh(token) && Some(token) != stale.as_ref(),
            Accept::ValidFor(within) => valid_for(token, *within),
        }
    }

    fn cached_fresh(&self, key: &TokenKey) -> Option<StoredToken> {
        let ttl = self.inner.options.cache_ttl;
        lock(&self.inner.cache)
            .get(key)
            .filter(|c| c.at.elapsed() < ttl && self.is_fresh(&c.token))
            .map(|c| c.token.clone())
    }

    fn remember(&self, key: &TokenKey, token: &StoredToken) {
        lock(&self.inner.cache).insert(
            key.clone(),
            Cached {
                token: token.clone(),
                at: Instant::now(),
            },
        );
    }

    /// With the in-process flight held: takes the cross-process lock (or
    /// waits for whoever holds it to store an acceptable token), re-reads,
    /// and only then calls WeChat.
    async fn refresh_locked(
        &self,
        key: &TokenKey,
        stale: Option<StoredToken>,
        accept: Accept,
    ) -> Result<StoredToken, TokenError> {
        let appid = self.appid_of(key).to_string();
        let token_type = key.token_type();
        let lock_key = store::lock_key(token_type, &appid);
        let deadline = tokio::time::Instant::now() + self.inner.options.lock_wait;
        loop {
            let owner = self.inner.owner.clone();
            let until = now() + delta(self.inner.options.lock_ttl);
            let lock_key_c = lock_key.clone();
            let taken = self
                .inner
                .db
                .run(move |conn| store::try_lock(conn, &lock_key_c, &owner, until))
                .await?;
            if taken {
                break;
            }
            if let Some(newer) = self.load(key).await? {
                if self.acceptable(&accept, &newer) {
                    self.remember(key, &newer);
                    return Ok(newer);
                }
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(TokenError::LockTimeout);
            }
            let jitter = Duration::from_millis(rand::random::<u64>() % 25);
            tokio::time::sleep(Duration::from_millis(40) + jitter).await;
        }
        let result = self.refresh_holding_lock(key, stale, &accept).await;
        let owner = self.inner.owner.clone();
        let unlocked = self
            .inner
            .db
            .run(move |conn| store::unlock(conn, &lock_key, &owner))
            .await;
        if let Err(e) = unlocked {
            tracing::warn!(error = %e, "could not release a token refresh lock; it expires on its own");
        }
        result
    }

    async fn refresh_holding_lock(
        &self,
        key: &TokenKey,
        stale: Option<StoredToken>,
        accept: &Accept,
    ) -> Result<StoredToken, TokenError> {
        let current = self.load(key).await?;
        if let Some(newer) = current.as_ref() {
            if self.acceptable(accept, newer) {
                self.remember(key, newer);
                return Ok(newer.clone());
            }
        }
        let fetched = match key {
            TokenKey::Component => self.fetch_component().await,
            TokenKey::Authorizer(appid) => self.fetch_authorizer(appid).await,
        };
        match fetched {
            Ok(token) => {
                let appid = self.appid_of(key).to_string();
                let token_type = key.token_type();
                let saved = token.clone();
                let authorizer = matches!(key, TokenKey::Authorizer(_));
                let stored = self
                    .inner
                    .db
                    .run(move |conn| {
                        // An account unauthorized while WeChat answered keeps no token.
                        if authorizer && !authorizers::exists(conn, &appid)? {
                            return Ok(false);
                        }
                        store::save_token(conn, token_type, &appid, &saved)?;
                        Ok(true)
                    })
                    .await?;
                if !stored {
                    return Err(TokenError::NotAuthorized(self.appid_of(key).to_string()));
                }
                self.remember(key, &token);
                tracing::info!(token = ?key, expires_at = %token.expires_at, "token refreshed");
                Ok(token)
            }
            Err(e) => match current.or(stale).filter(|t| now() < t.expires_at) {
                // The background refresher is told it failed (it retries with
                // backoff); requests keep getting the current token meanwhile.
                Some(_) if matches!(accept, Accept::ValidFor(_)) => Err(e),
                Some(still_valid) => {
                    tracing::warn!(token = ?key, error = %e, "refresh failed; keeping the current token while it is valid");
                    Ok(still_valid)
                }
                None => Err(e),
            },
        }
    }

    /// The platform secret: configured, else the sealed one the console stored.
    async fn component_secret(&self) -> Result<String, TokenError> {
        let configured = self.inner.component_secret.expose_secret();
        if !configured.is_empty() {
            return Ok(configured.to_string());
        }
        let Some(settings) = self.inner.secrets.clone() else {
            return Err(TokenError::NoSecret);
        };
        let loaded = self
            .inner
            .db
            .run(move |conn| {
                let Some(raw) = secrets::load_raw(conn, secrets::COMPONENT_SECRET_KEY)? else {
                    return Ok(Err(TokenError::NoSecret));
                };
                if raw.is_empty() {
                    return Ok(Err(TokenError::NoSecret));
                }
                if !secrets::is_sealed(&raw) {
                    tracing::error!("the stored component secret is not sealed yet (a wxcomponent value); start the admin service once to adopt it");
                    return Ok(Err(TokenError::NoSecret));
                }
                let opened = MasterKey::load(&settings)
                    .and_then(|key| {
                        key.ok_or_else(|| {
                            secrets::SecretError::InvalidKey(format!(
                                "no master key (secrets.master_key, or the file {})",
                                settings.key_path
                            ))
                        })
                    })
                    .and_then(|key| key.open(secrets::COMPONENT_SECRET_KEY, &raw));
                Ok(opened.map_err(|e| {
                    tracing::error!(error = %e, "cannot open the stored component secret");
                    TokenError::NoSecret
                }))
            })
            .await?;
        loaded
    }

    /// Asks WeChat to push a ticket, at most once per `start_push_interval`.
    async fn start_push_ticket(&self, secret: &str) {
        {
            let mut last = lock(&self.inner.last_start_push);
            if last.is_some_and(|t| t.elapsed() < self.inner.options.start_push_interval) {
                return;
            }
            *last = Some(Instant::now());
        }
        match self
            .inner
            .client
            .start_push_ticket(&self.inner.component_appid, secret)
            .await
        {
            Ok(()) => tracing::info!("no component_verify_ticket yet; asked WeChat to push one"),
            Err(e) => tracing::warn!(error = %e, "api_start_push_ticket failed"),
        }
    }

    async fn fetch_component(&self) -> Result<StoredToken, TokenError> {
        let secret = self.component_secret().await?;
        let ticket = self.inner.db.run(store::load_ticket).await?;
        let Some((ticket, _)) = ticket.filter(|(t, _)| !t.is_empty()) else {
            self.start_push_ticket(&secret).await;
            return Err(TokenError::NoTicket);
        };
        let token = self
            .inner
            .client
            .component_token(&self.inner.component_appid, &secret, &ticket)
            .await;
        let token = match token {
            // 61005/61006: the stored ticket is expired or not the latest.
            Err(e) if matches!(e.errcode(), Some(61005 | 61006)) => {
                self.start_push_ticket(&secret).await;
                return Err(e.into());
            }
            other => other?,
        };
        Ok(expiring(token.token, token.expires_in))
    }

    async fn fetch_authorizer(&self, appid: &str) -> Result<StoredToken, TokenError> {
        let lookup = appid.to_string();
        let refresh_token: Option<String> = self
            .inner
            .db
            .run(move |conn| authorizers::refresh_token(conn, &lookup))
            .await?;
        let refresh_token = refresh_token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| TokenError::NotAuthorized(appid.to_string()))?;
        let (client, component_appid) = (&self.inner.client, self.component_appid());
        let answer = with_token(&self.source(TokenKey::Component), |component_token| {
            let refresh_token = &refresh_token;
            async move {
                client
                    .authorizer_token(&component_token, component_appid, appid, refresh_token)
                    .await
            }
        })
        .await?;
        let answer = match answer {
            Err(e) if e.errcode() == Some(61023) => {
                lock(&self.inner.refused_refresh).insert(
                    appid.to_string(),
                    RefusedRefresh {
                        refresh_token: refresh_token.clone(),
                        at: now(),
                    },
                );
                return Err(TokenError::RefreshTokenInvalid(appid.to_string()));
            }
            other => other?,
        };
        lock(&self.inner.refused_refresh).remove(appid);
        if !answer.authorizer_refresh_token.is_empty()
            && answer.authorizer_refresh_token != refresh_token
        {
            let appid = appid.to_string();
            let rotated = answer.authorizer_refresh_token.clone();
            self.inner
                .db
                .run(move |conn| authorizers::rotate_refresh_token(conn, &appid, &rotated))
                .await?;
        }
        Ok(expiring(answer.authorizer_access_token, answer.expires_in))
    }
}

/// One token of a [`TokenManager`] as a [`TokenSource`]: a rejected token
/// is reported with [`TokenManager::report_rejected`].
#[derive(Debug, Clone)]
pub struct ManagedToken<'a> {
    manager: &'a TokenManager,
    key: TokenKey,
}

impl TokenSource for ManagedToken<'_> {
    type Error = TokenError;

    fn token(&self) -> impl Future<Output = Result<String, TokenError>> + Send {
        // Boxed as a trait object: getting an authorizer token may first
        // need the component token, through this very source, and the
        // future's type cannot contain itself.
        let get: Pin<Box<dyn Future<Output = Result<StoredToken, TokenError>> + Send + '_>> =
            Box::pin(self.manager.get(&self.key));
        async move { Ok(get.await?.token) }
    }

    async fn report_rejected(&self, token: &str) -> Result<(), TokenError> {
        self.manager.report_rejected(&self.key, token).await?;
        Ok(())
    }
}

/// Whether `token` is still valid `margin` from now.
fn valid_for(token: &StoredToken, margin: Duration) -> bool {
    now() + delta(margin) < token.expires_at
}

fn expiring(token: String, expires_in: i64) -> StoredToken {
    let expires_at: NaiveDateTime = now() + TimeDelta::seconds(expires_in.max(0));
    StoredToken { token, expires_at }
}

impl From<&crate::config::TokenSettings> for TokenOptions {
    fn from(settings: &crate::config::TokenSettings) -> Self {
        Self {
            request_margin: Duration::from_secs(settings.request_margin_secs),
            lock_ttl: Duration::from_secs(settings.lock_ttl_secs),
            lock_wait: Duration::from_secs(settings.lock_wait_secs),
            cache_ttl: Duration::from_secs(settings.cache_ttl_secs),
            start_push_interval: Duration::from_secs(settings.start_push_interval_secs),
        }
    }
}

impl TokenManager {
    /// The manager every service builds from the shared settings: WeChat
    /// client at `wechat.api_base_url`, the platform identity (secret from
    /// `wechat.component_secret`, else the sealed one in the database under
    /// the `secrets` master key), token timing.
    pub fn from_settings(db: Db, settings: &crate::config::Settings) -> Result<Self, WechatError> {
        let timeout = Duration::from_millis(settings.tokens.wechat_timeout_ms);
        let client =
            WechatClient::new(&settings.wechat.api_base_url, timeout).map_err(|source| {
                WechatError::Transport {
                    path: settings.wechat.api_base_url.clone(),
                    source,
                }
            })?;
        Ok(Self::build(
            db,
            client,
            &settings.wechat.component_appid,
            settings.wechat.component_secret.clone(),
            Some(settings.secrets.clone()),
            TokenOptions::from(&settings.tokens),
        ))
    }
}
