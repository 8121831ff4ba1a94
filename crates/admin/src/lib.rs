//! The admin service: the token manager (ticket, component and authorizer
//! tokens kept fresh by a background refresher, single-flight across
//! replicas), wxcomponent's admin API under `/wxcomponent/*` so its console
//! works unchanged, the inner API under `/inner/*` for business services and
//! the gateway, and a web console at `/`.

pub mod audit_quota;
pub mod audit_state;
pub mod auth;
pub mod authorizers;
pub mod bindings;
pub mod campaigns;
pub mod client_ip;
pub mod devweapp;
pub mod domains;
pub mod error;
pub mod gateway_reports;
pub mod gray_release;
pub mod housekeeping;
pub mod inner;
pub mod lockout;
pub mod overview;
pub mod params;
pub mod platform;
pub mod privacy;
pub mod proxy;
pub mod records;
mod routes;
pub mod rules;
pub mod state;
pub mod testers;
pub mod users;
pub mod worker;
pub mod wxapi;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::web;
use common::config::{Settings, SettingsError};
use common::db::Db;
use common::secrets::MasterKey;
pub use common::startup::StartError;
use common::startup::{blocking, listen, serve};
use common::tokens::TokenManager;
use secrecy::ExposeSecret as _;

use crate::auth::JwtKeys;
use crate::campaigns::runner::Runner;
use crate::client_ip::Cidr;
use crate::housekeeping::Housekeeping;
use crate::platform::Adoption;
use crate::state::AppState;
use crate::users::{FirstAdmin, Passwords};
use crate::worker::RefreshPolicy;

/// How long a stopping replica lets campaign steps in hand finish (a
/// WeChat call's timeout and the write after it).
const CAMPAIGN_STOP_GRACE: Duration = Duration::from_secs(15);

/// A bound, not yet running admin service.
pub struct Application {
    address: SocketAddr,
    server: Server,
    tokens: TokenManager,
    refresh: Option<RefreshPolicy>,
    housekeeping: Option<Housekeeping>,
    campaigns: Option<Runner>,
}

/// What first-start set-up produced.
struct Setup {
    passwords: Passwords,
    jwt_secret: Vec<u8>,
}

fn blocking_setup(db: &Db, settings: &Settings, master: &MasterKey) -> Result<Setup, StartError> {
    let passwords = Passwords::new().map_err(StartError::setup)?;
    let mut conn = db.get()?;
    let legacy = platform::legacy_password(settings);
    match platform::adopt_wxcomponent_secret(&mut conn, master, legacy.as_deref())
        .map_err(StartError::setup)?
    {
        Adoption::Nothing => {}
        Adoption::Adopted => {
            tracing::info!(
                "re-sealed the component secret stored by wxcomponent under the master key"
            )
        }
        Adoption::Unreadable(reason) => tracing::warn!(
            reason = %reason,
            "a component secret stored by wxcomponent could not be read; set it again in the console"
        ),
    }
    let jwt_secret =
        auth::load_or_create_secret(&mut conn, settings.admin.jwt_secret.expose_secret(), master)
            .map_err(StartError::setup)?;
    match users::ensure_first_admin(
        &mut conn,
        &passwords,
        &settings.admin.username,
        settings.admin.password.expose_secret(),
    )
    .map_err(StartError::setup)?
    {
        FirstAdmin::Existing => {}
        FirstAdmin::Configured(username) => {
            tracing::info!(username = %username, "created the first administrator from admin.username/admin.password")
        }
        FirstAdmin::Generated { username, password } => {
            // Printed once, on the terminal only: this is the one time the
            // password exists outside the person's head.
            eprintln!(
                "\n==> wxcomponent admin: first administrator created\n    username: {username}\n    password: {password}\n    (shown once; change it in the console, or set WXC__ADMIN__PASSWORD before the first start)\n"
            );
            tracing::warn!(username = %username, "created the first administrator with a random password (printed on stderr once)");
        }
    }
    Ok(Setup {
        passwords,
        jwt_secret,
    })
}

impl Application {
    /// Opens the database (applying migrations), prepares keys and the first
    /// administrator, and binds the listener; port 0 picks a free port, which
    /// [`Application::address`] reports.
    pub async fn build(settings: Settings) -> Result<Self, StartError> {
        let settings = Arc::new(settings);
        let trusted = Cidr::parse_list(&settings.admin.trusted_proxies).map_err(|e| {
            SettingsError::Invalid {
                setting: "admin.trusted_proxies",
                reason: e.to_string(),
            }
        })?;
        let db_settings = settings.database.clone();
        let db = blocking(move || Ok(Db::connect(&db_settings)?)).await?;
        let secrets_settings = settings.secrets.clone();
        let master_key =
            blocking(move || Ok(MasterKey::load_or_create(&secrets_settings)?)).await?;
        let setup = {
            let (db, settings, master) = (db.clone(), Arc::clone(&settings), master_key.clone());
            blocking(move || blocking_setup(&db, &settings, &master)).await?
        };
        if settings.admin.inner_token.expose_secret().is_empty()
            && !settings.admin.inner_allow_loopback
        {
            tracing::warn!("admin.inner_token is empty: /inner/* refuses every caller");
        }
        let tokens =
            TokenManager::from_settings(db.clone(), &settings).map_err(StartError::http)?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_millis(
                settings.tokens.wechat_timeout_ms.max(1000),
            ))
            .build()
            .map_err(StartError::http)?;
        let housekeeping = Housekeeping::from_settings(db.clone(), Arc::clone(&settings));
        let state = AppState {
            db,
            tokens: tokens.clone(),
            settings: Arc::clone(&settings),
            master_key,
            jwt: JwtKeys::new(&setup.jwt_secret, settings.admin.jwt_expiry_secs),
            passwords: Arc::new(setup.passwords),
            trusted_proxies: Arc::new(trusted),
            http,
            pull_lock: Arc::new(tokio::sync::Mutex::new(())),
            gateway_reports: Arc::default(),
        };

        let (listener, local) = listen(&settings.admin.host, settings.admin.port)?;
        // The runner gets its own token manager and HTTP client: connections
        // a client opens from a request handler belong to that HTTP worker's
        // runtime and die with it at shutdown, while the runner still
        // finishes the WeChat calls in hand (it is another token user, like
        // another replica, coordinated through the database).
        let campaigns = Runner::from_state(AppState {
            tokens: TokenManager::from_settings(state.db.clone(), &settings)
                .map_err(StartError::http)?,
            http: reqwest::Client::builder()
                .timeout(Duration::from_millis(
                    settings.tokens.wechat_timeout_ms.max(1000),
                ))
                .build()
                .map_err(StartError::http)?,
            ..state.clone()
        });
        let data = web::Data::new(state);
        let server = serve(listener, local, move |cfg| {
            cfg.app_data(data.clone())
                .app_data(web::PayloadConfig::new(16 * 1024 * 1024));
            routes::configure(cfg);
        })?;
        Ok(Self {
            address: local,
            server,
            tokens,
            refresh: RefreshPolicy::from_settings(&settings.tokens),
            housekeeping,
            campaigns,
        })
    }

    /// The address actually bound.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The token manager the service hands tokens out of.
    pub fn tokens(&self) -> &TokenManager {
        &self.tokens
    }

    /// A handle that stops the server as SIGTERM would (tests restart a
    /// replica with it).
    pub fn server_handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves (with the background refresher, housekeeping and the campaign
    /// runner) until SIGINT/SIGTERM, then finishes in-flight requests and
    /// the campaign steps in hand.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let refresher = self
            .refresh
            .map(|policy| tokio::spawn(worker::run(self.tokens.clone(), policy)));
        let housekeeping = self.housekeeping.map(|h| tokio::spawn(h.run()));
        let campaigns = match self.campaigns {
            Some(runner) => match runner.start().await {
                Ok(handle) => Some(handle),
                Err(e) => {
                    tracing::error!(error = %e, "campaign runner did not start; campaigns wait for another replica");
                    None
                }
            },
            None => None,
        };
        let result = self.server.await;
        for task in [refresher, housekeeping].into_iter().flatten() {
            task.abort();
        }
        if let Some(handle) = campaigns {
            handle.stop(CAMPAIGN_STOP_GRACE).await;
        }
        result
    }
}
