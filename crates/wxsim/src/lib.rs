//! wxsim: a WeChat simulator. It serves a fake `api.weixin.qq.com` (same paths,
//! parameters, fields and error codes as the parts wxcomponent-rs calls) and
//! plays WeChat's side of the pushes, so the platform runs and is tested
//! offline. Tests start it in-process on port 0; `start.sh` runs the binary.

pub mod account_state;
pub mod api;
pub mod calls;
pub mod clock;
pub mod component_state;
pub mod domain_state;
pub mod errors;
pub mod flows;
pub mod privacy_state;
pub mod push;
pub mod release_check;
pub mod reviewer;
pub mod settings;
pub mod state;
pub mod testing;
pub mod tokens;

use std::net::{SocketAddr, TcpListener};

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};

pub use account_state::AccountState;
pub use component_state::ComponentState;
pub use settings::SimSettings;
pub use state::SimState;

/// Why the simulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The configured EncodingAESKey is unusable.
    #[error("invalid encoding_aes_key: {0}")]
    Key(#[from] common::crypto::CryptoError),
    /// The listen address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// `host:port`.
        address: String,
        /// The OS error.
        source: std::io::Error,
    },
}

/// A bound simulator, not yet serving.
pub struct WxSim {
    address: SocketAddr,
    server: Server,
    state: web::Data<SimState>,
    pusher: push::TicketPusher,
}

impl WxSim {
    /// Binds the fake API (port 0 picks a free port).
    pub async fn start(settings: SimSettings) -> Result<Self, SimError> {
        let address = format!("{}:{}", settings.host, settings.port);
        let bind_error = |source| SimError::Bind {
            address: address.clone(),
            source,
        };
        let listener = TcpListener::bind(&address).map_err(bind_error)?;
        let local = listener.local_addr().map_err(bind_error)?;
        let state = web::Data::new(SimState::new(settings)?);
        let app_state = state.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(app_state.clone())
                .wrap(from_fn(calls::count_and_inject))
                .configure(api::configure)
        })
        .shutdown_timeout(1)
        .listen(listener)
        .map_err(bind_error)?
        .run();
        let pusher = push::spawn_ticket_pusher(state.clone());
        Ok(Self {
            address: local,
            server,
            state,
            pusher,
        })
    }

    /// The address actually bound.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// `http://host:port`, the value for `wechat.api_base_url`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Shared state, for tests to inspect and steer the simulator directly.
    pub fn state(&self) -> web::Data<SimState> {
        self.state.clone()
    }

    /// A handle to stop the server (`handle.stop(true).await`), e.g. from a
    /// test or a signal handler; the ticket pusher stops with it.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Whether the background ticket pusher is running.
    pub fn ticket_pusher_running(&self) -> bool {
        self.pusher.is_running()
    }

    /// Serves until stopped; the background ticket pusher stops with it.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Self {
            server, mut pusher, ..
        } = self;
        let result = server.await;
        pusher.stop();
        result
    }
}
