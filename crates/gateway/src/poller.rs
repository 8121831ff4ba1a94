//! The gateway's background task: starts every upstream's discovery and
//! health-check loop, forgets idle rate-limit buckets, and polls the admin's
//! `GET /inner/routes` (contract in the crate docs).
//!
//! A poll goes to a healthy admin replica with `If-None-Match: <last ETag>`
//! and `Authorization: Bearer <inner_token>`. 304 keeps the table; 200 with
//! a readable document builds a new table and swaps it in atomically; any
//! failure (admin down, 401, garbage) keeps the last good table and is
//! logged and counted (`gateway_route_polls_total{result="failed"}`).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use pingora::server::ShutdownWatch;
use pingora::services::background::BackgroundService;
use secrecy::{ExposeSecret, SecretString};

use crate::proxy::Shared;
use common::routing::{RoutingDocument, UpstreamAddress};
use common::upstream_health::{self, UpstreamHealth};

use crate::routes::{parse_target, read_routing_answer, Route, Target};

/// How often idle rate-limit buckets are dropped.
const SWEEP_EVERY: Duration = Duration::from_secs(10);

/// The background service.
pub struct Maintenance {
    shared: Arc<Shared>,
    admin_service: String,
    path: String,
    interval: Duration,
    token: SecretString,
    client: Option<reqwest::Client>,
    applied: Mutex<Option<RoutingDocument>>,
    failing: Mutex<Option<String>>,
    gateway_id: String,
}

impl Maintenance {
    /// The task over `shared`, polling `path` on `admin_service` (empty = no polling).
    pub fn new(
        shared: Arc<Shared>,
        admin_service: String,
        path: String,
        interval: Duration,
        timeout: Duration,
        token: SecretString,
    ) -> Self {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .no_proxy()
            .build()
            .map_err(|e| tracing::error!(error = %e, "cannot build the admin poll client"))
            .ok();
        Self {
            shared,
            admin_service,
            path,
            interval,
            token,
            client,
            applied: Mutex::new(None),
            failing: Mutex::new(None),
            gateway_id: gateway_id(std::env::var("HOSTNAME").ok()),
        }
    }

    /// Counts a failed poll; logs it as a warning when the reason changes
    /// (not every few seconds while the admin is down).
    fn failed(&self, why: &str) {
        self.shared
            .metrics
            .route_polls
            .with_label_values(&["failed"])
            .inc();
        let mut failing = self
            .failing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if failing.as_deref() == Some(why) {
            tracing::debug!(reason = why, "route poll failed again");
        } else {
            tracing::warn!(
                reason = why,
                "route poll failed; keeping the last good route table"
            );
            *failing = Some(why.to_string());
        }
    }

    /// Notes a successful poll (logs the recovery after failures).
    fn succeeded(&self) {
        let mut failing = self
            .failing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if failing.take().is_some() {
            tracing::info!("route polls succeed again");
        }
    }

    /// One poll; the outcome is logged and counted.
    async fn poll(&self, shutdown: &ShutdownWatch) {
        let Some(client) = &self.client else {
            return self.failed("no HTTP client");
        };
        let Some(admin) = self.shared.upstreams.named(&self.admin_service) else {
            return self.failed("admin service not configured");
        };
        let Some(replica) = admin.select(&[]) else {
            return self.failed("no healthy admin replica");
        };
        let Some(addr) = replica.addr.as_inet() else {
            return self.failed("admin replica has no inet address");
        };
        let url = format!("http://{addr}{}", self.path);
        let services = self.shared.upstreams.all_named().map(|u| {
            let replicas = u.replicas();
            (u.name.clone(), replicas.into_iter().map(|(_, up)| up))
        });
        let mut request = client
            .get(&url)
            .header("x-request-id", crate::net::new_request_id())
            .header(upstream_health::GATEWAY_HEADER, self.gateway_id.as_str())
            .header(upstream_health::UPSTREAMS_HEADER, health_report(services));
        let token = self.token.expose_secret();
        if !token.is_empty() {
            request = request.bearer_auth(token);
        }
        let current_etag = self.shared.table.load().etag.clone();
        if let Some(etag) = &current_etag {
            request = request.header("if-none-match", etag.as_str());
        }
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => return self.failed(&format!("{url}: {}", chain(&e))),
        };
        let status = response.status();
        if status == reqwest::StatusCode::NOT_MODIFIED {
            self.succeeded();
            self.shared
                .metrics
                .route_polls
                .with_label_values(&["unchanged"])
                .inc();
            return;
        }
        if !status.is_success() {
            let hint = if status == reqwest::StatusCode::UNAUTHORIZED {
                " (check admin_routes.inner_token against the admin's inner_token)"
            } else {
                ""
            };
            return self.failed(&format!("{url} answered {status}{hint}"));
        }
        let etag = response
            .headers()
            .get(reqwest::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = match response.bytes().await {
            Ok(b) => b,
            Err(e) => return self.failed(&format!("{url}: reading the body: {e}")),
        };
        let rules = match read_routing_answer(&body) {
            Ok(r) => r,
            Err(e) => return self.failed(&format!("{url}: {e}")),
        };
        self.succeeded();
        let unchanged = self
            .applied
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .is_some_and(|prev| *prev == rules);
        if unchanged && etag == current_etag {
            self.shared
                .metrics
                .route_polls
                .with_label_values(&["unchanged"])
                .inc();
            return;
        }
        self.apply(rules, etag, shutdown).await;
    }

    /// Builds the table for `rules` and swaps it in.
    async fn apply(&self, rules: RoutingDocument, etag: Option<String>, shutdown: &ShutdownWatch) {
        let mut skipped = Vec::new();
        let mut dynamic = Vec::new();
        for rule in &rules.routes {
            match self
                .route_for(
                    &rule.prefix,
                    &rule.prefix,
                    rule.strip_prefix,
                    &rule.upstream,
                    shutdown,
                )
                .await
            {
                Ok(route) => dynamic.push(route),
                Err(e) => skipped.push(format!("{}: {e}", rule.prefix)),
            }
        }
        let last_resort = match &rules.fallback {
            Some(target) => match self
                .route_for("fallback", "/", false, target, shutdown)
                .await
            {
                Ok(route) => route,
                Err(e) => {
                    skipped.push(format!("fallback: {e}"));
                    Arc::clone(&self.shared.default_route)
                }
            },
            None => Arc::clone(&self.shared.default_route),
        };
        for why in &skipped {
            tracing::warn!(rule = %why, "operator proxy rule skipped");
        }
        let count = dynamic.len();
        let table = self
            .shared
            .table
            .load()
            .with_rules(dynamic, last_resort, etag);
        self.shared.table.store(Arc::new(table));
        self.shared
            .metrics
            .operator_routes
            .set(i64::try_from(count).unwrap_or(i64::MAX));
        self.shared
            .metrics
            .route_polls
            .with_label_values(&["updated"])
            .inc();
        tracing::info!(
            rules = count,
            skipped = skipped.len(),
            fallback = rules.fallback.as_deref().unwrap_or("-"),
            "route table updated"
        );
        *self
            .applied
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(rules);
    }

    async fn route_for(
        &self,
        name: &str,
        prefix: &str,
        strip_prefix: bool,
        target: &str,
        shutdown: &ShutdownWatch,
    ) -> Result<Arc<Route>, String> {
        let upstreams = &self.shared.upstreams;
        let parsed = parse_target(target, |n| upstreams.named(n).is_some())?;
        let (upstream, base) = match parsed {
            Target::Service(name) => (
                upstreams
                    .named(&name)
                    .ok_or_else(|| format!("no service {name}"))?,
                String::new(),
            ),
            Target::Address(UpstreamAddress {
                host,
                port,
                base_path,
            }) => (upstreams.adhoc(&host, port, shutdown).await, base_path),
        };
        Ok(Arc::new(Route::new(
            name,
            prefix,
            false,
            strip_prefix,
            false,
            &base,
            upstream,
        )))
    }
}

/// An error with its causes (`error sending request: connection refused`).
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

async fn sleep_or_shutdown(shutdown: &mut ShutdownWatch, pause: Duration) -> bool {
    tokio::select! {
        () = tokio::time::sleep(pause) => false,
        _ = shutdown.wait_for(|down| *down) => true,
    }
}

#[async_trait]
impl BackgroundService for Maintenance {
    async fn start(&self, mut shutdown: ShutdownWatch) {
        for upstream in self.shared.upstreams.all_named() {
            upstream.start(shutdown.clone());
        }
        let mut next_sweep = Instant::now() + SWEEP_EVERY;
        loop {
            if !self.admin_service.is_empty() {
                self.poll(&shutdown).await;
            }
            let now = Instant::now();
            if now >= next_sweep {
                for limiter in [&self.shared.limit, &self.shared.auth_limit]
                    .into_iter()
                    .flatten()
                {
                    limiter.sweep(now);
                }
                next_sweep = now + SWEEP_EVERY;
            }
            let pause = if self.admin_service.is_empty() {
                SWEEP_EVERY
            } else {
                self.interval
            };
            if sleep_or_shutdown(&mut shutdown, pause).await {
                break;
            }
        }
    }
}

/// How this gateway names itself in its health reports: the host name
/// (a container or pod name) when it is usable, else a random id for the
/// life of the process.
fn gateway_id(hostname: Option<String>) -> String {
    hostname
        .filter(|h| upstream_health::is_token(h) && h.len() <= upstream_health::MAX_GATEWAY_ID)
        .unwrap_or_else(|| format!("gw-{:08x}", rand::random::<u32>()))
}

/// The `x-wxc-upstreams` report of `services` (name, each replica's
/// health), sorted by name so equal views give equal headers.
fn health_report<I, R>(services: I) -> String
where
    I: IntoIterator<Item = (String, R)>,
    R: IntoIterator<Item = bool>,
{
    let mut report: Vec<UpstreamHealth> = services
        .into_iter()
        .map(|(name, replicas)| {
            let (healthy, total) = replicas
                .into_iter()
                .fold((0u32, 0u32), |(h, t), up| (h + u32::from(up), t + 1));
            UpstreamHealth {
                name,
                healthy,
                total,
            }
        })
        .collect();
    report.sort_by(|a, b| a.name.cmp(&b.name));
    upstream_health::encode(&report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_counts_healthy_replicas_of_each_service_in_name_order() {
        let report = health_report([
            ("business".to_string(), vec![true, false, true]),
            ("admin".to_string(), vec![true]),
            ("callback".to_string(), vec![]),
        ]);
        assert_eq!(report, "admin=1/1,business=2/3,callback=0/0");
        let decoded = upstream_health::decode(&report).expect("the admin reads it");
        assert_eq!(decoded[1].healthy, 2);
        assert_eq!(decoded[1].total, 3);
    }

    #[test]
    fn the_gateway_is_named_by_its_host_name_when_usable() {
        assert_eq!(gateway_id(Some("gateway-7f9c".into())), "gateway-7f9c");
        for unusable in [None, Some(String::new()), Some("bad host".into())] {
            let id = gateway_id(unusable);
            assert!(
                id.starts_with("gw-") && upstream_health::is_token(&id),
                "{id}"
            );
        }
    }
}
