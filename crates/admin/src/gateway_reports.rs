//! What the gateways last said about their upstreams' health. Each gateway
//! sends its view with every `GET /inner/routes` poll (format in
//! [`common::upstream_health`]); this process keeps the latest report of
//! each gateway, with when it came, for the console's overview.
//!
//! Held in memory per admin replica: a gateway polls a replica round-robin,
//! so each replica hears from every gateway within a few poll intervals.
//! Bounded: reports older than [`FORGET_AFTER`] are dropped, and at most
//! [`MAX_GATEWAYS`] gateways are kept (the stalest goes first).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::upstream_health::{self, ReportError, UpstreamHealth};

/// Gateways remembered at most.
pub const MAX_GATEWAYS: usize = 32;
/// A gateway not heard from for this long is forgotten (a replaced one).
pub const FORGET_AFTER: Duration = Duration::from_secs(3600);

/// One gateway's latest report, as the overview shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayReport {
    /// The gateway's id (its host name or a random id).
    pub gateway: String,
    /// How long ago the report came.
    pub age: Duration,
    /// Each service's healthy and total replicas.
    pub services: Vec<UpstreamHealth>,
}

/// The latest report of each gateway.
#[derive(Debug, Default)]
pub struct GatewayReports {
    latest: Mutex<HashMap<String, (Instant, Vec<UpstreamHealth>)>>,
}

impl GatewayReports {
    /// Keeps `services` as the latest report of `gateway`.
    pub fn record(&self, gateway: &str, services: Vec<UpstreamHealth>) {
        let now = Instant::now();
        let mut latest = self
            .latest
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        latest.retain(|_, (at, _)| now.duration_since(*at) < FORGET_AFTER);
        if !latest.contains_key(gateway) && latest.len() >= MAX_GATEWAYS {
            let stalest = latest
                .iter()
                .min_by_key(|(_, (at, _))| *at)
                .map(|(id, _)| id.clone());
            if let Some(id) = stalest {
                latest.remove(&id);
            }
        }
        latest.insert(gateway.to_string(), (now, services));
    }

    /// Keeps the report a poll carried in its headers (see
    /// [`common::upstream_health`]); refuses an unusable gateway id or report.
    pub fn record_headers(&self, gateway: &str, report: &str) -> Result<(), ReportError> {
        if !upstream_health::is_token(gateway) || gateway.len() > upstream_health::MAX_GATEWAY_ID {
            return Err(ReportError::new(format!("gateway id {gateway:?}")));
        }
        self.record(gateway, upstream_health::decode(report)?);
        Ok(())
    }

    /// Every remembered report, freshest first.
    pub fn snapshot(&self) -> Vec<GatewayReport> {
        let now = Instant::now();
        let latest = self
            .latest
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut out: Vec<GatewayReport> = latest
            .iter()
            .filter(|(_, (at, _))| now.duration_since(*at) < FORGET_AFTER)
            .map(|(id, (at, services))| GatewayReport {
                gateway: id.clone(),
                age: now.duration_since(*at),
                services: services.clone(),
            })
            .collect();
        out.sort_by(|a, b| a.age.cmp(&b.age).then_with(|| a.gateway.cmp(&b.gateway)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn health(name: &str, healthy: u32) -> Vec<UpstreamHealth> {
        vec![UpstreamHealth {
            name: name.into(),
            healthy,
            total: 2,
        }]
    }

    #[test]
    fn a_gateway_s_latest_report_replaces_its_previous_one() {
        let reports = GatewayReports::default();
        reports.record("gw-a", health("business", 2));
        reports.record("gw-a", health("business", 1));
        let all = reports.snapshot();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].services[0].healthy, 1);
    }

    #[test]
    fn at_most_max_gateways_are_kept() {
        let reports = GatewayReports::default();
        for i in 0..MAX_GATEWAYS + 3 {
            reports.record(&format!("gw-{i}"), health("admin", 1));
        }
        let all = reports.snapshot();
        assert_eq!(all.len(), MAX_GATEWAYS);
        assert!(all
            .iter()
            .any(|r| r.gateway == format!("gw-{}", MAX_GATEWAYS + 2)));
    }
}
