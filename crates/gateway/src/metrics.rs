//! Prometheus metrics on their own listener (`metrics_listen`, `GET /metrics`).
//!
//! Each gateway owns its registry (no process-global state, so tests can run
//! several gateways in one process):
//! - `gateway_requests_total{listener,route,status}`
//! - `gateway_request_duration_seconds{listener,route}` (histogram)
//! - `gateway_upstream_connect_failures_total{upstream}`
//! - `gateway_upstream_replicas{upstream,state}` (`healthy`/`unhealthy`)
//! - `gateway_upstream_replica_healthy{upstream,replica}` (1/0)
//! - `gateway_rate_limited_total{listener,limit}` (`general`, `auth`, and
//!   `callback-global` for WeChat pushes shed by the safety valve)
//! - `gateway_route_polls_total{result}` (`updated`/`unchanged`/`failed`)
//! - `gateway_operator_routes` (rules currently in the table)

use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use http::Response;
use pingora::apps::http_app::ServeHttp;
use pingora::protocols::http::ServerSession;
use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

use crate::upstream::Upstreams;

/// The gateway's metric families.
pub struct Metrics {
    registry: Registry,
    /// Requests answered, by listener, route and status.
    pub requests: IntCounterVec,
    /// Time from request start to the end of the response.
    pub latency: HistogramVec,
    /// Connects to a replica that failed (each was retried elsewhere if possible).
    pub connect_failures: IntCounterVec,
    /// Requests refused with 429.
    pub rate_limited: IntCounterVec,
    /// Outcomes of the admin route polls.
    pub route_polls: IntCounterVec,
    /// Operator rules in the current table.
    pub operator_routes: IntGauge,
    replicas: IntGaugeVec,
    replica_healthy: IntGaugeVec,
}

impl Metrics {
    /// A fresh registry with every family registered.
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new("gateway_requests_total", "Requests answered by the gateway"),
            &["listener", "route", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "gateway_request_duration_seconds",
                "Time from request start to the end of the response",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
            ]),
            &["listener", "route"],
        )?;
        let connect_failures = IntCounterVec::new(
            Opts::new(
                "gateway_upstream_connect_failures_total",
                "Failed connects to an upstream replica",
            ),
            &["upstream"],
        )?;
        let rate_limited = IntCounterVec::new(
            Opts::new(
                "gateway_rate_limited_total",
                "Requests refused by a rate limit (429; WeChat pushes shed by the global valve: 503)",
            ),
            &["listener", "limit"],
        )?;
        let route_polls = IntCounterVec::new(
            Opts::new(
                "gateway_route_polls_total",
                "Polls of the admin's /inner/routes",
            ),
            &["result"],
        )?;
        let operator_routes = IntGauge::new(
            "gateway_operator_routes",
            "Operator proxy rules in the current route table",
        )?;
        let replicas = IntGaugeVec::new(
            Opts::new(
                "gateway_upstream_replicas",
                "Replicas of each upstream by health",
            ),
            &["upstream", "state"],
        )?;
        let replica_healthy = IntGaugeVec::new(
            Opts::new(
                "gateway_upstream_replica_healthy",
                "1 when the replica passes its health check",
            ),
            &["upstream", "replica"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(connect_failures.clone()))?;
        registry.register(Box::new(rate_limited.clone()))?;
        registry.register(Box::new(route_polls.clone()))?;
        registry.register(Box::new(operator_routes.clone()))?;
        registry.register(Box::new(replicas.clone()))?;
        registry.register(Box::new(replica_healthy.clone()))?;
        Ok(Self {
            registry,
            requests,
            latency,
            connect_failures,
            rate_limited,
            route_polls,
            operator_routes,
            replicas,
            replica_healthy,
        })
    }

    /// Counts a request answered with `status` (0: none sent) after
    /// `seconds`, looking its series up by label.
    pub fn observe(&self, listener: &str, route: &str, status: u16, seconds: f64) {
        let mut buf = [0; 3];
        self.requests
            .with_label_values(&[listener, route, status_label(status, &mut buf)])
            .inc();
        self.latency
            .with_label_values(&[listener, route])
            .observe(seconds);
    }

    /// The series of `route` on `listener`, for the route to keep: a
    /// proxied request then counts itself without hashing its labels.
    pub fn route_series(&self, listener: &'static str, route: &str) -> RouteSeries {
        RouteSeries {
            listener,
            route: route.to_string(),
            latency: self.latency.with_label_values(&[listener, route]),
            statuses: RwLock::new(Vec::new()),
        }
    }

    /// The text exposition, with upstream health read at scrape time.
    pub fn render(&self, upstreams: &Upstreams) -> Vec<u8> {
        self.replicas.reset();
        self.replica_healthy.reset();
        for up in upstreams.all() {
            let replicas = up.replicas();
            let healthy = replicas.iter().filter(|(_, h)| *h).count();
            let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
            self.replicas
                .with_label_values(&[up.name.as_str(), "healthy"])
                .set(count(healthy));
            self.replicas
                .with_label_values(&[up.name.as_str(), "unhealthy"])
                .set(count(replicas.len() - healthy));
            for (addr, ok) in replicas {
                self.replica_healthy
                    .with_label_values(&[up.name.as_str(), addr.to_string().as_str()])
                    .set(i64::from(ok));
            }
        }
        let mut out = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut out) {
            tracing::error!(error = %e, "cannot encode metrics");
        }
        out
    }
}

/// Statuses a [`RouteSeries`] keeps a counter for; any other is looked up.
const CACHED_STATUSES: usize = 16;

/// The request counters and latency histogram of one route on one
/// listener, resolved once (`with_label_values` hashes every label on every
/// call, twice per request). The families are never reset, so the handles
/// stay the exported series.
pub struct RouteSeries {
    listener: &'static str,
    route: String,
    latency: Histogram,
    /// Counters by status, added as statuses are first seen.
    statuses: RwLock<Vec<(u16, IntCounter)>>,
}

impl RouteSeries {
    /// Counts a request answered with `status` (0: none sent) after `seconds`.
    pub fn observe(&self, metrics: &Metrics, status: u16, seconds: f64) {
        self.latency.observe(seconds);
        {
            let statuses = self
                .statuses
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some((_, counter)) = statuses.iter().find(|(s, _)| *s == status) {
                counter.inc();
                return;
            }
        }
        let mut buf = [0; 3];
        let counter = metrics.requests.with_label_values(&[
            self.listener,
            self.route.as_str(),
            status_label(status, &mut buf),
        ]);
        counter.inc();
        let mut statuses = self
            .statuses
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if statuses.len() < CACHED_STATUSES && statuses.iter().all(|(s, _)| *s != status) {
            statuses.push((status, counter));
        }
    }
}

/// A status code as label text without allocating (`0` when none was sent).
fn status_label(status: u16, buf: &mut [u8; 3]) -> &str {
    if status == 0 || status > 999 {
        return "0";
    }
    let digit = |n: u16| b'0' + u8::try_from(n % 10).unwrap_or(0);
    *buf = [digit(status / 100), digit(status / 10), digit(status)];
    std::str::from_utf8(buf).unwrap_or("0")
}

/// The `/metrics` listener.
pub struct MetricsApp {
    /// What it reports.
    pub metrics: Arc<Metrics>,
    /// Whose health it reports.
    pub upstreams: Arc<Upstreams>,
}

#[async_trait]
impl ServeHttp for MetricsApp {
    async fn response(&self, session: &mut ServerSession) -> Response<Vec<u8>> {
        let path = session.req_header().uri.path().to_string();
        let (status, content_type, body) = match path.as_str() {
            "/metrics" => (
                200,
                "text/plain; version=0.0.4",
                self.metrics.render(&self.upstreams),
            ),
            "/healthz" => (
                200,
                "application/json",
                br#"{"code":0,"errorMsg":"OK"}"#.to_vec(),
            ),
            _ => (
                404,
                "application/json",
                br#"{"code":1001,"errorMsg":"not found: try /metrics"}"#.to_vec(),
            ),
        };
        let len = body.len();
        Response::builder()
            .status(status)
            .header("content-type", content_type)
            .header("content-length", len)
            .body(body)
            .unwrap_or_else(|_| Response::new(Vec::new()))
    }
}
