//! The callback receiver: WeChat's two push URLs, wire-compatible with
//! wxcomponent — `/wxcallback/component` (授权事件URL) and
//! `/wxcallback/biz/{appid}` (消息与事件URL). Every push is verified, stored
//! before it is acknowledged, handled once however often WeChat retries it,
//! and answered (encrypted when it came encrypted).

mod authorization;
pub mod error;
pub mod inbound;
pub mod intake;
mod push;
pub mod records;
pub mod refusals;
mod release;
mod resume;
mod routes;
pub mod rules;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::web;
use common::config::{CallbackSettings, Settings, SettingsError};
use common::crypto::WxCrypt;
use common::db::Db;
// The push handlers send through `crate::forward::Forward`, the sender the
// admin's test button shares.
use common::forward;
pub use common::startup::StartError;
use common::startup::{blocking, listen, serve};
use common::tokens::TokenManager;
use secrecy::ExposeSecret;

/// What every request handler shares.
pub struct CallbackState {
    /// The `[callback]` settings.
    pub settings: CallbackSettings,
    /// The platform's message crypto; absent only in Cloud-Run-only set-ups.
    pub crypt: Option<WxCrypt>,
    /// The shared database.
    pub db: Db,
    /// Tokens for `api_query_auth` and the release check.
    pub tokens: TokenManager,
    /// Where pushes are stored (group commit).
    pub intake: intake::Intake,
    /// Client for forwarding to business services.
    pub http: reqwest::Client,
    /// Appids whose pushes get the full-network-release answers.
    pub release_appids: Vec<String>,
    /// Untrusted pushes counted until the next flush.
    pub refusals: Arc<refusals::RefusalCounter>,
}

impl CallbackState {
    fn forward_timeout(&self) -> Duration {
        Duration::from_millis(self.settings.forward_timeout_ms)
    }
}

/// A bound, not yet running callback receiver.
pub struct Application {
    address: SocketAddr,
    server: Server,
    db: Db,
    tokens: TokenManager,
    refusals: Arc<refusals::RefusalCounter>,
}

impl Application {
    /// Checks the WeChat settings, opens the database (applying migrations)
    /// and binds; port 0 picks a free port, which [`Application::address`] reports.
    pub async fn build(settings: Settings) -> Result<Self, StartError> {
        let crypt = crypt_from(&settings)?;
        let db_settings = settings.database.clone();
        let db = blocking(move || Ok(Db::connect(&db_settings)?)).await?;
        let tokens =
            TokenManager::from_settings(db.clone(), &settings).map_err(StartError::http)?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .build()
            .map_err(StartError::http)?;
        let cb = settings.callback.clone();
        let (listener, local) = listen(&cb.host, cb.port)?;
        let refusals = Arc::new(refusals::RefusalCounter::default());
        let intake = intake::Intake::start(
            db.clone(),
            Arc::new(rules::RuleCache::default()),
            cb.forward_host.clone(),
            intake::IntakeLimits {
                writers: cb.store_writers,
                batch_max: cb.store_batch_max,
            },
        );
        let state = web::Data::new(CallbackState {
            release_appids: cb.release_test_appids(),
            settings: cb,
            crypt,
            db: db.clone(),
            tokens: tokens.clone(),
            intake,
            http,
            refusals: refusals.clone(),
        });
        let server = serve(listener, local, move |cfg| {
            cfg.app_data(state.clone());
            routes::configure(cfg);
        })?;
        Ok(Self {
            address: local,
            server,
            db,
            tokens,
            refusals,
        })
    }

    /// The address actually bound.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Serves until SIGINT/SIGTERM. In the background: finishes the
    /// authorizations a stopped process left unfinished, forgets
    /// de-duplication keys older than a day, and stores the counted push
    /// refusals (once more on the way out).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        tokio::spawn(resume::unfinished_authorizations(self.tokens.clone()));
        let db = self.db.clone();
        let purger = tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(600));
            loop {
                every.tick().await;
                let cutoff = common::db::now() - chrono::TimeDelta::days(1);
                if let Err(e) = db.run(move |conn| records::purge_dedup(conn, cutoff)).await {
                    tracing::warn!(error = %e, "could not purge old de-duplication keys");
                }
            }
        });
        let flusher = tokio::spawn(refusals::run(self.db.clone(), self.refusals.clone()));
        let result = self.server.await;
        purger.abort();
        flusher.abort();
        if let Err(e) = self.refusals.flush(&self.db).await {
            tracing::warn!(error = %e, "could not store the last counted push refusals");
        }
        result
    }
}

/// The platform's crypto from `wechat.token`, `wechat.encoding_aes_key` and
/// `wechat.component_appid`; all three are required unless only Cloud Run
/// (which pushes in plain text) is used.
fn crypt_from(settings: &Settings) -> Result<Option<WxCrypt>, StartError> {
    let wechat = &settings.wechat;
    let token = wechat.token.expose_secret();
    let key = wechat.encoding_aes_key.expose_secret();
    if token.is_empty() && key.is_empty() && settings.callback.cloudrun_mode {
        return Ok(None);
    }
    let missing = |setting: &'static str| {
        SettingsError::Invalid {
        setting,
        reason: "required by the callback receiver (set it to the value configured on the open platform)".into(),
    }
    };
    if token.is_empty() {
        return Err(missing("wechat.token").into());
    }
    if key.is_empty() {
        return Err(missing("wechat.encoding_aes_key").into());
    }
    if wechat.component_appid.is_empty() {
        return Err(missing("wechat.component_appid").into());
    }
    WxCrypt::new(token, key, &wechat.component_appid)
        .map(Some)
        .map_err(|e| {
            StartError::Settings(SettingsError::Invalid {
                setting: "wechat.encoding_aes_key",
                reason: e.to_string(),
            })
        })
}
