//! The gateway's view of its upstreams' health, reported to the admin with
//! every `GET /inner/routes` poll so the console can show each service as
//! the gateway sees it. One format for both ends: the gateway encodes, the
//! admin decodes.
//!
//! On the wire, two request headers of the poll:
//!
//! ```text
//! x-wxc-gateway: gw-3f9a1c2e
//! x-wxc-upstreams: admin=1/1,business=2/3,callback=0/1
//! ```
//!
//! `name=healthy/total` per configured service, comma separated. Service
//! names are the gateway's configuration keys (letters, digits, `.`, `_`,
//! `-`); a name outside that set is left out of the report rather than
//! breaking the header.

use serde::{Deserialize, Serialize};

/// Header naming the reporting gateway process.
pub const GATEWAY_HEADER: &str = "x-wxc-gateway";
/// Header carrying the report itself.
pub const UPSTREAMS_HEADER: &str = "x-wxc-upstreams";
/// Most services one report may list; the rest of a longer header is refused.
pub const MAX_SERVICES: usize = 64;
/// Longest gateway id accepted.
pub const MAX_GATEWAY_ID: usize = 64;

/// One service's replicas as the gateway's health checks see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpstreamHealth {
    /// The gateway's service name (`business`).
    pub name: String,
    /// Replicas passing their health check.
    pub healthy: u32,
    /// Replicas discovered.
    pub total: u32,
}

/// Why a report header could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unreadable upstream health report: {0}")]
pub struct ReportError(String);

impl ReportError {
    /// A refusal saying what is unusable.
    pub fn new(what: impl Into<String>) -> Self {
        Self(what.into())
    }
}

/// Whether `text` can be a service name or gateway id in a report.
pub fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// The `x-wxc-upstreams` value for `services` (names outside the allowed
/// set are skipped, see the module doc).
pub fn encode(services: &[UpstreamHealth]) -> String {
    services
        .iter()
        .filter(|s| is_token(&s.name))
        .take(MAX_SERVICES)
        .map(|s| format!("{}={}/{}", s.name, s.healthy, s.total))
        .collect::<Vec<_>>()
        .join(",")
}

/// Reads an `x-wxc-upstreams` value; an empty value is an empty report.
pub fn decode(value: &str) -> Result<Vec<UpstreamHealth>, ReportError> {
    let mut out = Vec::new();
    for item in value.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        if out.len() == MAX_SERVICES {
            return Err(ReportError(format!("more than {MAX_SERVICES} services")));
        }
        let bad = || ReportError(format!("{item:?} is not name=healthy/total"));
        let (name, counts) = item.split_once('=').ok_or_else(bad)?;
        let (healthy, total) = counts.split_once('/').ok_or_else(bad)?;
        let healthy: u32 = healthy.parse().map_err(|_| bad())?;
        let total: u32 = total.parse().map_err(|_| bad())?;
        if !is_token(name) || healthy > total {
            return Err(bad());
        }
        out.push(UpstreamHealth {
            name: name.to_string(),
            healthy,
            total,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn health(name: &str, healthy: u32, total: u32) -> UpstreamHealth {
        UpstreamHealth {
            name: name.into(),
            healthy,
            total,
        }
    }

    #[test]
    fn a_report_reads_back_as_it_was_written() {
        let report = vec![health("admin", 1, 1), health("business", 2, 3)];
        let encoded = encode(&report);
        assert_eq!(encoded, "admin=1/1,business=2/3");
        assert_eq!(decode(&encoded), Ok(report));
        assert_eq!(decode(""), Ok(vec![]));
    }

    #[test]
    fn names_that_would_break_the_header_are_left_out() {
        let report = vec![health("a,b", 1, 1), health("ok", 0, 2)];
        assert_eq!(encode(&report), "ok=0/2");
    }

    #[test]
    fn malformed_reports_are_refused() {
        for bad in [
            "admin",
            "admin=1",
            "admin=x/1",
            "admin=2/1",
            "=1/1",
            "a b=1/1",
        ] {
            assert!(decode(bad).is_err(), "{bad}");
        }
    }
}
