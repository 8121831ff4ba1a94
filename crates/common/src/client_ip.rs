//! Which address a request comes from: one rule for the gateway (rate
//! limits, `X-Real-IP`) and the admin (login lockout), so both blame the
//! same client.
//!
//! The rule:
//! - The TCP peer is the client unless it lies in a trusted proxy block
//!   (`trusted_proxies`): then, and only then, `X-Forwarded-For` is read.
//! - Every `X-Forwarded-For` line counts, in order, as one comma-separated
//!   list (RFC 9110 §5.3: repeated lines are one list), so a proxy that adds
//!   its own line is not ignored in favour of the client's.
//! - The list is walked from the right, the end the trusted proxies
//!   appended to: trusted entries are skipped and the first untrusted one
//!   is the client. Anything left of it was written by the client itself
//!   and is never believed.
//! - The walk stops at an entry that is not a plain address (`unknown`, a
//!   port, an empty entry, bytes that are not text): no trusted hop vouches
//!   for what stands left of it, so the client is the last trusted hop
//!   reached (the peer when that entry is the right-most).
//! - When every entry is trusted, the left-most one is the client (a
//!   request from inside the trusted network).
//!
//! IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`) count as IPv4 everywhere.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// An address block such as `10.0.0.0/8`, `::1/128` or a single address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl FromStr for Cidr {
    type Err = String;

    /// Parses `addr` or `addr/prefix`; the error names the text.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let network: IpAddr = addr
            .trim()
            .parse()
            .map_err(|_| format!("`{text}` is not an address or CIDR"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("`{text}`: prefix length must be 0-{max}"))?,
        };
        Ok(Self { network, prefix })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

impl Cidr {
    /// Parses a comma-separated list (a `trusted_proxies` setting); empty
    /// entries are skipped, the error names the first bad one.
    pub fn parse_list(text: &str) -> Result<Vec<Self>, String> {
        text.split(',')
            .filter(|s| !s.trim().is_empty())
            .map(str::parse)
            .collect()
    }

    /// Whether `ip` lies in the block.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`) as plain IPv4, so a
/// dual-stack listener reports the same client as an IPv4 one.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Whether `ip` is one of the trusted proxies.
pub fn is_trusted(ip: IpAddr, trusted: &[Cidr]) -> bool {
    trusted.iter().any(|c| c.contains(ip))
}

/// The client's address by the rule of the module doc: `peer` is the TCP
/// peer, `forwarded_for` the raw `X-Forwarded-For` lines in the order
/// they arrived.
pub fn client_ip<'a>(
    peer: IpAddr,
    forwarded_for: impl IntoIterator<Item = &'a [u8]>,
    trusted: &[Cidr],
) -> IpAddr {
    let peer = canonical(peer);
    if !is_trusted(peer, trusted) {
        return peer;
    }
    let lines: Vec<&[u8]> = forwarded_for.into_iter().collect();
    let entries = lines
        .iter()
        .rev()
        .flat_map(|line| line.rsplit(|b| *b == b','));
    let mut client = peer;
    for entry in entries {
        let Some(ip) = std::str::from_utf8(entry)
            .ok()
            .and_then(|e| e.trim().parse::<IpAddr>().ok())
        else {
            break;
        };
        client = canonical(ip);
        if !is_trusted(client, trusted) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    fn cidrs(s: &str) -> Vec<Cidr> {
        Cidr::parse_list(s).expect("cidrs")
    }

    #[test]
    fn cidrs_match_their_blocks() {
        let c: Cidr = "10.0.0.0/8".parse().expect("cidr");
        assert!(c.contains(ip("10.1.2.3")));
        assert!(c.contains(ip("::ffff:10.9.9.9")));
        assert!(!c.contains(ip("11.0.0.1")));
        let all: Cidr = "0.0.0.0/0".parse().expect("cidr");
        assert!(all.contains(ip("8.8.8.8")));
        let one: Cidr = " ::1 ".parse().expect("cidr");
        assert!(one.contains(ip("::1")));
        assert!(!one.contains(ip("::2")));
        assert_eq!(one.to_string(), "::1/128");
        assert!("1.2.3.4/33".parse::<Cidr>().is_err());
        assert!("nope".parse::<Cidr>().is_err());
        assert_eq!(cidrs("10.0.0.0/8, ,::1").len(), 2);
        let err = Cidr::parse_list("10.0.0.0/8,nope").expect_err("bad entry");
        assert!(err.contains("nope"), "{err}");
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let trusted = cidrs("10.0.0.0/8");
        let client = |peer: &str, lines: &[&str]| {
            client_ip(ip(peer), lines.iter().map(|l| l.as_bytes()), &trusted)
        };
        // The edge: a spoofed header from the internet is ignored.
        assert_eq!(client("1.2.3.4", &["9.9.9.9"]), ip("1.2.3.4"));
        // Behind a trusted proxy: the right-most untrusted entry.
        assert_eq!(
            client("10.0.0.2", &["9.9.9.9, 1.2.3.4, 10.0.0.7"]),
            ip("1.2.3.4")
        );
        // Every entry trusted: the left-most.
        assert_eq!(client("10.0.0.2", &["10.0.0.5, 10.0.0.7"]), ip("10.0.0.5"));
        assert_eq!(client("10.0.0.2", &[]), ip("10.0.0.2"));
        assert_eq!(client("::ffff:1.2.3.4", &[]), ip("1.2.3.4"));
    }

    #[test]
    fn every_line_counts_and_the_walk_stops_at_garbage() {
        let trusted = cidrs("10.0.0.0/8");
        let client = |lines: &[&[u8]]| client_ip(ip("10.0.0.2"), lines.iter().copied(), &trusted);
        // A trusted proxy's own line is read after the client's.
        assert_eq!(client(&[b"6.6.6.6", b"1.2.3.4, 10.0.0.7"]), ip("1.2.3.4"));
        // Nothing left of an entry that is not an address is believed.
        assert_eq!(client(&[b"6.6.6.6, unknown"]), ip("10.0.0.2"));
        assert_eq!(client(&[b"junk, 10.0.0.3"]), ip("10.0.0.3"));
        assert_eq!(client(&[b"6.6.6.6, junk, 10.0.0.3"]), ip("10.0.0.3"));
        assert_eq!(client(&[b"6.6.6.6,, 10.0.0.3"]), ip("10.0.0.3"));
        assert_eq!(client(&[b"6.6.6.6", b"\xff, 10.0.0.3"]), ip("10.0.0.3"));
        assert_eq!(client(&[b"1.2.3.4:5678"]), ip("10.0.0.2"));
    }
}
