//! The example business service: what a WeChat platform developer copies to
//! build their own service behind the gateway. The Cloud Run templates'
//! counter (`GET/POST /api/count`), mini-program login (`GET /api/login`),
//! official-account management through authorizer tokens from the admin's
//! inner API (`/api/v0.1/cgi-bin/*`), and the target of forwarded messages
//! with keyword auto-reply (`POST /api/wx/message/{appid}`), and binding a
//! merchant's business id from the authorization redirect (`/api/bind`). It never holds
//! WeChat secrets of the platform: tokens come from the token manager.

pub mod autoreply;
pub mod binding;
pub mod counter;
pub mod error;
mod fields;
pub mod inner;
pub mod login;
pub mod menu;
mod routes;
pub mod wechat;

use std::net::SocketAddr;

use actix_web::dev::Server;
use actix_web::web;
use common::config::{BusinessSettings, Settings};
use common::db::Db;
pub use common::startup::StartError;
use common::startup::{blocking, listen, serve};
use common::wechat::WechatClient;
use inner::InnerClient;
use secrecy::SecretString;

/// What the handlers share.
pub struct AppState {
    /// The `[business]` settings.
    pub settings: BusinessSettings,
    /// The database.
    pub db: Db,
    /// The token manager's inner API.
    pub inner: InnerClient,
    /// WeChat (or wxsim).
    pub wechat: WechatClient,
    /// The platform appid (for component mini-program login).
    pub component_appid: String,
    /// The secret login tokens are signed with.
    pub jwt_secret: SecretString,
}

/// A bound, not yet running business service.
pub struct Application {
    address: SocketAddr,
    server: Server,
}

impl Application {
    /// Opens the database (applying migrations) and binds the listener; port 0
    /// picks a free port, which [`Application::address`] reports.
    pub async fn build(settings: Settings) -> Result<Self, StartError> {
        let db_settings = settings.database.clone();
        let configured = settings.business.jwt_secret.clone();
        let (db, jwt_secret) = blocking(move || {
            let db = Db::connect(&db_settings)?;
            let secret = login::jwt_secret(&mut *db.get()?, &configured)?;
            Ok((db, secret))
        })
        .await?;
        let timeout = std::time::Duration::from_millis(settings.tokens.wechat_timeout_ms);
        let state = web::Data::new(AppState {
            inner: InnerClient::new(
                &settings.business.inner_api_url,
                settings.business.inner_token.clone(),
            )
            .map_err(StartError::http)?,
            wechat: WechatClient::new(&settings.wechat.api_base_url, timeout)
                .map_err(StartError::http)?,
            component_appid: settings.wechat.component_appid.clone(),
            settings: settings.business.clone(),
            db: db.clone(),
            jwt_secret,
        });
        let (listener, local) = listen(&settings.business.host, settings.business.port)?;
        let db = web::Data::new(db);
        let server = serve(listener, local, move |cfg| {
            cfg.app_data(db.clone()).app_data(state.clone());
            routes::configure(cfg);
        })?;
        Ok(Self {
            address: local,
            server,
        })
    }

    /// The address actually bound.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Serves until SIGINT/SIGTERM, then finishes in-flight requests.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
