//! Upstream groups: one pingora `LoadBalancer` per named service (or per
//! ad-hoc `host:port` an operator's proxy rule names).
//!
//! Every address a group's `host:port` entries resolve to is a replica
//! ([`DnsDiscovery`], re-resolved every `upstream.discovery_interval_ms`);
//! replicas are health-checked in the background (HTTP `GET /healthz` for our
//! services, TCP connect for ad-hoc targets) and picked round-robin. A group
//! runs its discovery and health-check loop (pingora's own
//! `BackgroundService` for `LoadBalancer`) from [`Upstream::start`] until the
//! group is dropped, so ad-hoc groups of rules an operator deleted stop when
//! the last request using them finishes.

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr as StdSocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use async_trait::async_trait;
use pingora::lb::discovery::ServiceDiscovery;
use pingora::lb::health_check::{HttpHealthCheck, TcpHealthCheck};
use pingora::lb::selection::RoundRobin;
use pingora::lb::{Backend, Backends, Extensions, LoadBalancer};
use pingora::protocols::l4::socket::SocketAddr;
use pingora::server::ShutdownWatch;
use pingora::services::background::BackgroundService;
use tokio::sync::watch;

use crate::settings::{HealthCheckKind, UpstreamSettings};

/// Resolves `host:port` entries to replicas; a name that fails to resolve
/// keeps the replicas it last resolved to, so a DNS hiccup never empties a
/// group.
pub struct DnsDiscovery {
    targets: Vec<(String, u16)>,
    timeout: Duration,
    last_good: Mutex<HashMap<usize, BTreeSet<Backend>>>,
    failing: Mutex<std::collections::HashSet<usize>>,
}

impl DnsDiscovery {
    /// Discovery over `targets` with a per-lookup `timeout`.
    pub fn new(targets: Vec<(String, u16)>, timeout: Duration) -> Self {
        Self {
            targets,
            timeout,
            last_good: Mutex::new(HashMap::new()),
            failing: Mutex::new(std::collections::HashSet::new()),
        }
    }
}

fn backend(addr: StdSocketAddr) -> Backend {
    Backend {
        addr: SocketAddr::Inet(addr),
        weight: 1,
        ext: Extensions::new(),
    }
}

#[async_trait]
impl ServiceDiscovery for DnsDiscovery {
    async fn discover(&self) -> pingora::Result<(BTreeSet<Backend>, HashMap<u64, bool>)> {
        let mut all = BTreeSet::new();
        let mut failures = Vec::new();
        for (i, (host, port)) in self.targets.iter().enumerate() {
            let lookup = tokio::time::timeout(
                self.timeout,
                tokio::net::lookup_host((host.as_str(), *port)),
            )
            .await;
            match lookup {
                Ok(Ok(addrs)) => {
                    let found: BTreeSet<Backend> = addrs.map(backend).collect();
                    all.extend(found.iter().cloned());
                    self.failing
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .remove(&i);
                    self.last_good
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .insert(i, found);
                }
                failed => {
                    let why = match failed {
                        Ok(Err(e)) => e.to_string(),
                        _ => "timed out".to_string(),
                    };
                    // Warn when a name stops resolving, not at every round.
                    let first = self
                        .failing
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .insert(i);
                    if first {
                        tracing::warn!(host = %host, port, error = %why, "upstream name did not resolve; keeping its last replicas");
                    }
                    failures.push(format!("{host}:{port}: {why}"));
                    if let Some(prev) = self
                        .last_good
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .get(&i)
                    {
                        all.extend(prev.iter().cloned());
                    }
                }
            }
        }
        if all.is_empty() && !failures.is_empty() {
            return pingora::Error::e_explain(
                pingora::ErrorType::ConnectNoRoute,
                format!("no upstream address resolved: {}", failures.join("; ")),
            );
        }
        Ok((all, HashMap::new()))
    }
}

/// One upstream group: a name, its replicas, their health.
pub struct Upstream {
    /// Service name (`business`) or `host:port` of an ad-hoc target; the
    /// `upstream` label in logs and metrics.
    pub name: String,
    /// Replicas, health and round-robin selection.
    pub lb: Arc<LoadBalancer<RoundRobin>>,
    /// Where [`Upstream::select`]'s round-robin starts next.
    next: AtomicUsize,
    stop: watch::Sender<bool>,
}

impl Drop for Upstream {
    fn drop(&mut self) {
        // The loop treats a dropped sender as "keep going"; say stop explicitly.
        let _ = self.stop.send(true);
    }
}

impl Upstream {
    /// A group over `targets`, checked as `health` says, not yet discovered
    /// nor started.
    pub fn new(
        name: &str,
        targets: Vec<(String, u16)>,
        health: HealthCheckKind,
        settings: &UpstreamSettings,
    ) -> Self {
        let discovery = DnsDiscovery::new(
            targets,
            Duration::from_millis(settings.connect_timeout_ms.max(1000)),
        );
        let mut lb = LoadBalancer::<RoundRobin>::from_backends(Backends::new(Box::new(discovery)));
        let timeout = Duration::from_millis(settings.health_check_timeout_ms);
        match health {
            HealthCheckKind::Http => {
                let mut hc = HttpHealthCheck::new(name, false);
                match pingora::http::RequestHeader::build(
                    "GET",
                    settings.health_check_path.as_bytes(),
                    None,
                ) {
                    Ok(mut req) => {
                        let _ = req.insert_header("Host", name);
                        let _ = req.insert_header("User-Agent", "wxcomponent-gateway");
                        hc.req = req;
                    }
                    Err(e) => tracing::error!(error = %e, "bad health check path; checking /"),
                }
                hc.peer_template.options.connection_timeout = Some(timeout);
                hc.peer_template.options.read_timeout = Some(timeout);
                hc.consecutive_failure = settings.unhealthy_after;
                hc.consecutive_success = settings.healthy_after;
                lb.set_health_check(Box::new(hc));
            }
            HealthCheckKind::Tcp => {
                let mut hc = TcpHealthCheck::new();
                hc.peer_template.options.connection_timeout = Some(timeout);
                hc.consecutive_failure = settings.unhealthy_after;
                hc.consecutive_success = settings.healthy_after;
                lb.set_health_check(hc);
            }
            HealthCheckKind::None => {}
        }
        lb.health_check_frequency = Some(Duration::from_millis(settings.health_check_interval_ms));
        lb.update_frequency = Some(Duration::from_millis(settings.discovery_interval_ms));
        lb.parallel_health_check = true;
        let (stop, _) = watch::channel(false);
        Self {
            name: name.to_string(),
            lb: Arc::new(lb),
            next: AtomicUsize::new(0),
            stop,
        }
    }

    /// Resolves the replicas once (before the first request needs them).
    pub async fn discover(&self) {
        if let Err(e) = self.lb.update().await {
            tracing::warn!(upstream = %self.name, error = %e, "initial discovery failed");
        }
    }

    /// Runs discovery and health checks on the current runtime until the
    /// group is dropped or `shutdown` turns true.
    pub fn start(&self, mut shutdown: ShutdownWatch) {
        let lb = Arc::clone(&self.lb);
        let stop = self.stop.subscribe();
        tokio::spawn(async move {
            tokio::select! {
                () = lb.start(stop) => {}
                _ = shutdown.wait_for(|down| *down) => {}
            }
        });
    }

    /// Every replica with its health, for metrics and logs.
    pub fn replicas(&self) -> Vec<(StdSocketAddr, bool)> {
        let backends = self.lb.backends();
        backends
            .get_backend()
            .iter()
            .filter_map(|b| b.addr.as_inet().map(|a| (*a, backends.ready(b))))
            .collect()
    }

    /// Whether a healthy replica other than `tried` exists.
    pub fn has_untried_healthy(&self, tried: &[StdSocketAddr]) -> bool {
        self.replicas()
            .iter()
            .any(|(addr, healthy)| *healthy && !tried.contains(addr))
    }

    /// The next healthy replica round-robin, skipping `tried` ones.
    ///
    /// One pass over the current replicas from a shared counter, with the
    /// health the background checks keep: the same choice as the load
    /// balancer's own `RoundRobin` selection for equal weights, without its
    /// per-request de-duplication set (an allocation and a SipHash for each
    /// replica looked at).
    pub fn select(&self, tried: &[StdSocketAddr]) -> Option<Backend> {
        let backends = self.lb.backends();
        let all = backends.get_backend();
        let n = all.len();
        if n == 0 {
            return None;
        }
        let start = self.next.fetch_add(1, Ordering::Relaxed) % n;
        all.iter()
            .cycle()
            .skip(start)
            .take(n)
            .find(|b| backends.ready(b) && b.addr.as_inet().is_none_or(|a| !tried.contains(a)))
            .cloned()
    }
}

/// Every upstream group of the gateway: the configured services, plus the
/// ad-hoc `host:port` targets of operator rules, shared while any route
/// table or request still uses them.
pub struct Upstreams {
    named: HashMap<String, Arc<Upstream>>,
    adhoc: Mutex<HashMap<String, Weak<Upstream>>>,
    settings: UpstreamSettings,
}

impl Upstreams {
    /// The registry over the configured services.
    pub fn new(named: HashMap<String, Arc<Upstream>>, settings: UpstreamSettings) -> Self {
        Self {
            named,
            adhoc: Mutex::new(HashMap::new()),
            settings,
        }
    }

    /// A configured service.
    pub fn named(&self, name: &str) -> Option<Arc<Upstream>> {
        self.named.get(name).cloned()
    }

    /// The configured services.
    pub fn all_named(&self) -> impl Iterator<Item = &Arc<Upstream>> {
        self.named.values()
    }

    /// Every live group, configured and ad-hoc.
    pub fn all(&self) -> Vec<Arc<Upstream>> {
        let mut out: Vec<Arc<Upstream>> = self.named.values().cloned().collect();
        out.extend(
            self.adhoc
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .values()
                .filter_map(Weak::upgrade),
        );
        out
    }

    /// The ad-hoc group for `host:port`, created, discovered and started on
    /// first use (TCP-checked: an arbitrary target may have no `/healthz`).
    pub async fn adhoc(&self, host: &str, port: u16, shutdown: &ShutdownWatch) -> Arc<Upstream> {
        let key = format!("{host}:{port}");
        let existing = {
            let mut map = self
                .adhoc
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            map.retain(|_, w| w.strong_count() > 0);
            map.get(&key).and_then(Weak::upgrade)
        };
        if let Some(up) = existing {
            return up;
        }
        let up = Arc::new(Upstream::new(
            &key,
            vec![(host.to_string(), port)],
            HealthCheckKind::Tcp,
            &self.settings,
        ));
        up.discover().await;
        up.start(shutdown.clone());
        self.adhoc
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(key, Arc::downgrade(&up));
        up
    }
}
