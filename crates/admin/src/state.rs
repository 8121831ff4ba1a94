//! What every handler shares: the database, the token manager, keys, and the
//! settings the routes read. Built once in [`crate::Application::build`].

use std::sync::Arc;

use common::config::Settings;
use common::db::Db;
use common::secrets::MasterKey;
use common::tokens::TokenManager;

use crate::auth::JwtKeys;
use crate::client_ip::Cidr;
use crate::gateway_reports::GatewayReports;
use crate::users::Passwords;

/// Shared state of the admin service; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The shared database.
    pub db: Db,
    /// Tickets and tokens.
    pub tokens: TokenManager,
    /// The settings the service was started with.
    pub settings: Arc<Settings>,
    /// Seals secrets stored in the database.
    pub master_key: MasterKey,
    /// Signs and checks console JWTs.
    pub jwt: JwtKeys,
    /// Password hashing.
    pub passwords: Arc<Passwords>,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Arc<Vec<Cidr>>,
    /// For WeChat calls the typed client does not cover (images, uploads)
    /// and for forward-rule tests.
    pub http: reqwest::Client,
    /// One authorizer-list pull at a time per process.
    pub pull_lock: Arc<tokio::sync::Mutex<()>>,
    /// The gateways' latest upstream health reports.
    pub gateway_reports: Arc<GatewayReports>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("db", &self.db)
            .field("tokens", &self.tokens)
            .finish_non_exhaustive()
    }
}
