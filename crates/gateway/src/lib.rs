//! The wxcomponent-rs gateway: the only public entry point, a pingora reverse
//! proxy in front of the scalable services.
//!
//! # What it does
//!
//! - **Two listeners.** The public one (`listen`, default `0.0.0.0:80`) for
//!   browsers, mini programs and WeChat's pushes; the internal one
//!   (`internal_listen`, default `0.0.0.0:8080`) for service-to-service
//!   traffic. `/inner/*` is answered 404 on the public listener (after path
//!   normalisation, so `/%69nner/` and `//inner` are refused too) and proxied
//!   to the admin on the internal one. Both answer `GET /healthz` themselves.
//! - **Routing** ([`routes`]): static routes from the settings
//!   (`/wxcallback/*` → callback, `/wxcomponent/*` and exactly `/` → admin),
//!   then the operator's proxy rules polled from the admin, then the admin's
//!   fallback or `default_service` (business), like wxcomponent's NoRoute
//!   proxy.
//! - **Upstreams** ([`upstream`]): named services whose `host:port` entries
//!   resolve to replicas (re-resolved every few seconds), health-checked on
//!   `/healthz`, picked round-robin; a failed connect is retried on another
//!   healthy replica (`upstream.retries`).
//! - **Requests** ([`proxy`]): `X-Request-Id` (a valid incoming one is kept),
//!   `X-Forwarded-For` (appended only when the peer is a trusted proxy, else
//!   replaced by the peer), `X-Real-IP`, `X-Forwarded-Proto`/`-Host`;
//!   hop-by-hop headers stripped both ways; body limits, per route where
//!   configured ([`limits`], 413); per-client-IP token buckets, stricter on
//!   `PUT /wxcomponent/auth` (429), never on WeChat's pushes (`/wxcallback/*`
//!   meet one global safety valve instead, 503); upstream timeouts.
//!   Failures answer `{"code":1002,"errorMsg":...}` with 502 (every replica
//!   refused), 503 (no healthy replica) or 504 (timeout). On the console's
//!   API (`/wxcomponent/*`) every such answer is HTTP 200 with the envelope,
//!   the only form the official console reads.
//! - **Operations**: Prometheus metrics on `metrics_listen` ([`metrics`]), a
//!   structured access log (`target: gateway::access`: request id, route,
//!   upstream, replica, status, duration), graceful shutdown on SIGTERM
//!   (`grace_period_secs` + at most `shutdown_timeout_secs`), `threads`
//!   workers per listener. It never compiles diesel (`common` without `db`).
//!
//! # The `/inner/routes` contract (admin side)
//!
//! The gateway polls `GET {admin replica}{admin_routes.path}` every
//! `admin_routes.poll_interval_ms` with:
//! - `Authorization: Bearer <admin_routes.inner_token>` (omitted when empty);
//! - `If-None-Match: <ETag of the table in use>` once it has one;
//! - its view of the configured services' health for the console's overview,
//!   `x-wxc-gateway: <host name or random id>` and
//!   `x-wxc-upstreams: admin=1/1,business=2/3` (`name=healthy/total`, format
//!   in [`common::upstream_health`]).
//!
//! The admin answers `304 Not Modified` when the ETag still matches, else
//! `200` with an `ETag` header and:
//!
//! ```json
//! {"code": 0, "errorMsg": "OK", "data": {
//!   "routes": [
//!     {"prefix": "/api/", "upstream": "business", "stripPrefix": false},
//!     {"prefix": "/shop/", "upstream": "http://10.0.0.5:8080/base", "stripPrefix": true}
//!   ],
//!   "fallback": "http://127.0.0.1:9000"
//! }}
//! ```
//!
//! `data` is [`common::routing::RoutingDocument`], the one type the admin
//! writes and the gateway reads:
//! - `prefix`: starts with `/`, matched on whole segments, longest first,
//!   after the static routes;
//! - `upstream`: a service name from the gateway's `services`, any
//!   `host[:port]` (port 80 by default; every address it resolves to is a
//!   replica, TCP-checked), or `http://host[:port][/base]` (the base path is
//!   prepended); `https://` is not supported (no TLS in the gateway) and the
//!   admin refuses it when the route is saved;
//! - `stripPrefix`: remove the prefix before forwarding;
//! - `fallback` (null = none): wxcomponent's single proxy rule, where
//!   requests no route takes go instead of `default_service`.
//!
//! Unknown fields are ignored. A route whose upstream cannot be used (an
//! unknown host, a row saved before the admin checked upstreams) is skipped
//! and logged alone. A non-zero `code`, a body that is not the document, a
//! non-2xx status or an unreachable admin keep the last good table.

pub mod limits;
pub mod metrics;
pub mod net;
pub mod poller;
pub mod proxy;
pub mod ratelimit;
pub mod routes;
pub mod settings;
pub mod upstream;

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use async_trait::async_trait;
use pingora::server::configuration::ServerConf;
use pingora::server::{RunArgs, Server, ShutdownSignal, ShutdownSignalWatch};
use pingora::services::background::background_service;
use pingora::services::listening::Service;
use tokio::sync::watch;

use crate::limits::BodyLimits;
use crate::metrics::{Metrics, MetricsApp};
use crate::poller::Maintenance;
use crate::proxy::{GatewayProxy, Listener, Shared, Timeouts};
use crate::ratelimit::{GlobalLimiter, RateLimiter};
use crate::routes::RouteTable;
use crate::settings::{parse_address_list, Settings, SettingsError};
use crate::upstream::{Upstream, Upstreams};

/// Why the gateway could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A setting is unusable.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// A listener address could not be bound.
    #[error("cannot bind `{setting}` {addr}: {source}")]
    Bind {
        /// The setting naming the address.
        setting: &'static str,
        /// The address.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
    /// The metrics registry refused a family (a bug).
    #[error("metrics: {0}")]
    Metrics(#[from] prometheus::Error),
    /// The start-up discovery could not run.
    #[error("start-up discovery: {0}")]
    Discovery(String),
}

/// A built gateway, bound to its addresses, not yet serving.
pub struct Gateway {
    server: Server,
    public_addr: SocketAddr,
    internal_addr: Option<SocketAddr>,
    metrics_addr: Option<SocketAddr>,
    shared: Arc<Shared>,
    config_file: String,
}

/// Picks the address to listen on; port 0 is replaced by a free port
/// (pingora binds when the server starts, so the port is probed here and
/// released — tests and tools need the real one before that).
fn listen_addr(setting: &'static str, value: &str) -> Result<SocketAddr, BuildError> {
    let addr: SocketAddr = value.parse().map_err(|_| {
        BuildError::Settings(SettingsError::Invalid {
            setting: setting.to_string(),
            reason: format!("`{value}` is not an ip:port address"),
        })
    })?;
    if addr.port() != 0 {
        return Ok(addr);
    }
    let probe = TcpListener::bind(addr).map_err(|source| BuildError::Bind {
        setting,
        addr: value.to_string(),
        source,
    })?;
    probe.local_addr().map_err(|source| BuildError::Bind {
        setting,
        addr: value.to_string(),
        source,
    })
}

/// Resolves every group once before serving, on a private runtime in its
/// own thread (so `build` works whether or not the caller is inside one).
fn discover_all(groups: Vec<Arc<Upstream>>) -> Result<(), BuildError> {
    std::thread::scope(|scope| {
        scope
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| BuildError::Discovery(e.to_string()))?;
                runtime.block_on(async {
                    for group in &groups {
                        group.discover().await;
                    }
                });
                Ok(())
            })
            .join()
            .map_err(|_| BuildError::Discovery("discovery thread panicked".into()))?
    })
}

/// Builds the gateway from `settings`: upstream groups (resolved once), the
/// static route table, both listeners, metrics and the background task.
pub fn build(settings: Settings) -> Result<Gateway, BuildError> {
    let trusted = settings.trusted_proxy_cidrs()?;
    let public_addr = listen_addr("listen", &settings.listen)?;
    let internal_addr = (!settings.internal_listen.is_empty())
        .then(|| listen_addr("internal_listen", &settings.internal_listen))
        .transpose()?;
    let metrics_addr = (!settings.metrics_listen.is_empty())
        .then(|| listen_addr("metrics_listen", &settings.metrics_listen))
        .transpose()?;

    let mut named = HashMap::new();
    for (name, service) in &settings.services {
        let targets =
            parse_address_list(&service.address).map_err(|reason| SettingsError::Invalid {
                setting: format!("services.{name}.address"),
                reason,
            })?;
        let group = Upstream::new(name, targets, service.health_check, &settings.upstream);
        named.insert(name.clone(), Arc::new(group));
    }
    discover_all(named.values().cloned().collect())?;
    let upstreams = Arc::new(Upstreams::new(named, settings.upstream.clone()));

    let (table, default_route) =
        RouteTable::from_settings(&settings, |name| upstreams.named(name))?;

    let metrics = Arc::new(Metrics::new()?);
    let rl = &settings.rate_limit;
    let up = &settings.upstream;
    let shared = Arc::new(Shared {
        table: ArcSwap::from_pointee(table),
        default_route,
        upstreams: Arc::clone(&upstreams),
        metrics: Arc::clone(&metrics),
        limit: RateLimiter::new(rl.requests_per_sec, rl.burst),
        auth_limit: RateLimiter::new(rl.auth_requests_per_min / 60.0, rl.auth_burst),
        push_limit: GlobalLimiter::new(rl.callback_requests_per_sec, rl.callback_burst),
        trusted,
        body_limits: BodyLimits::new(settings.max_body_bytes, &settings.body_limits),
        timeouts: Timeouts {
            connect: Duration::from_millis(up.connect_timeout_ms),
            read: Duration::from_millis(up.read_timeout_ms),
            write: Duration::from_millis(up.write_timeout_ms),
            idle: Duration::from_millis(up.idle_timeout_ms),
        },
        retries: up.retries,
    });

    let conf = ServerConf {
        threads: settings.effective_threads(),
        grace_period_seconds: Some(settings.grace_period_secs),
        graceful_shutdown_timeout_seconds: Some(settings.shutdown_timeout_secs),
        // Attempts per request: the first, one per allowed connect retry,
        // and one more for a stale pooled connection.
        max_retries: up.retries + 2,
        ..ServerConf::default()
    };
    let mut server = Server::new_with_opt_and_conf(None, conf);
    server.bootstrap();

    let mut public = pingora::proxy::http_proxy_service_with_name(
        &server.configuration,
        GatewayProxy {
            shared: Arc::clone(&shared),
            listener: Listener::Public,
        },
        "gateway public",
    );
    public.add_tcp(&public_addr.to_string());
    server.add_service(public);

    if let Some(addr) = internal_addr {
        let mut internal = pingora::proxy::http_proxy_service_with_name(
            &server.configuration,
            GatewayProxy {
                shared: Arc::clone(&shared),
                listener: Listener::Internal,
            },
            "gateway internal",
        );
        internal.add_tcp(&addr.to_string());
        server.add_service(internal);
    }

    if let Some(addr) = metrics_addr {
        let mut service = Service::new(
            "gateway metrics".to_string(),
            MetricsApp {
                metrics: Arc::clone(&metrics),
                upstreams: Arc::clone(&upstreams),
            },
        );
        service.threads = Some(1);
        service.add_tcp(&addr.to_string());
        server.add_service(service);
    }

    let admin = &settings.admin_routes;
    server.add_service(background_service(
        "gateway maintenance",
        Maintenance::new(
            Arc::clone(&shared),
            admin.service.clone(),
            admin.path.clone(),
            Duration::from_millis(admin.poll_interval_ms),
            Duration::from_millis(admin.timeout_ms),
            admin.inner_token.clone(),
        ),
    ));

    Ok(Gateway {
        server,
        public_addr,
        internal_addr,
        metrics_addr,
        shared,
        config_file: settings.loaded_from.as_ref().map_or_else(
            || "(built-in defaults)".to_string(),
            |p| p.display().to_string(),
        ),
    })
}

/// Shutdown requests from a [`RunningGateway`] handle.
struct HandleSignal(watch::Receiver<bool>);

#[async_trait]
impl ShutdownSignalWatch for HandleSignal {
    async fn recv(&self) -> ShutdownSignal {
        let mut rx = self.0.clone();
        // A dropped handle also stops the server.
        let _ = rx.wait_for(|stop| *stop).await;
        ShutdownSignal::GracefulTerminate
    }
}

impl Gateway {
    /// Where the public listener listens.
    pub fn public_addr(&self) -> SocketAddr {
        self.public_addr
    }

    /// Where the internal listener listens, if enabled.
    pub fn internal_addr(&self) -> Option<SocketAddr> {
        self.internal_addr
    }

    /// Where `/metrics` is served, if enabled.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// How many operator rules the current table holds (for tools and tests).
    pub fn operator_rule_count(&self) -> usize {
        self.shared.table.load().rule_count()
    }

    /// Serves until SIGTERM (graceful: in-flight requests finish within
    /// the grace period and shutdown timeout) or SIGINT (immediate).
    pub fn run(self) {
        tracing::info!(
            config = %self.config_file,
            public = %self.public_addr,
            internal = ?self.internal_addr,
            metrics = ?self.metrics_addr,
            "gateway starting"
        );
        self.server.run(RunArgs::default());
    }

    /// Serves on a background thread until [`RunningGateway::shutdown`]
    /// (tests and embedding; no signal handlers are installed).
    pub fn spawn(self) -> RunningGateway {
        let (stop, rx) = watch::channel(false);
        let public_addr = self.public_addr;
        let internal_addr = self.internal_addr;
        let metrics_addr = self.metrics_addr;
        let server = self.server;
        let thread = std::thread::spawn(move || {
            server.run(RunArgs {
                shutdown_signal: Box::new(HandleSignal(rx)),
            });
        });
        RunningGateway {
            public_addr,
            internal_addr,
            metrics_addr,
            stop,
            thread: Some(thread),
        }
    }
}

/// A gateway serving on a background thread.
pub struct RunningGateway {
    /// The public listener.
    pub public_addr: SocketAddr,
    /// The internal listener, if enabled.
    pub internal_addr: Option<SocketAddr>,
    /// The metrics listener, if enabled.
    pub metrics_addr: Option<SocketAddr>,
    stop: watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RunningGateway {
    /// Waits until every listener accepts connections, up to `timeout`.
    pub fn wait_ready(&self, timeout: Duration) -> bool {
        let deadline = std::time::Instant::now() + timeout;
        let addrs: Vec<SocketAddr> = [
            Some(self.public_addr),
            self.internal_addr,
            self.metrics_addr,
        ]
        .into_iter()
        .flatten()
        .collect();
        while std::time::Instant::now() < deadline {
            if addrs.iter().all(|a| {
                std::net::TcpStream::connect_timeout(a, Duration::from_millis(200)).is_ok()
            }) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// Graceful shutdown, returning once the server has stopped.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        let _ = self.stop.send(true);
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                tracing::error!("gateway thread panicked");
            }
        }
    }
}

impl Drop for RunningGateway {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}
