//! Small pure helpers of the proxy: client addresses behind trusted proxies,
//! request ids, path normalisation and hop-by-hop headers. Plain functions so
//! they are tested without a server.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use http::HeaderMap;

/// An address block such as `10.0.0.0/8`, `::1/128` or a single address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    prefix: u8,
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let net: IpAddr = addr
            .trim()
            .parse()
            .map_err(|_| "not an IP address or CIDR".to_string())?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("prefix length must be 0-{max}"))?,
            None => max,
        };
        Ok(Self { net, prefix })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.net, self.prefix)
    }
}

impl Cidr {
    /// Whether `ip` lies in the block (IPv4-mapped IPv6 counts as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (self.net, ip) {
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

/// IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`) as plain IPv4.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The client's address: the TCP peer, unless the peer is a trusted proxy,
/// in which case the right-most `X-Forwarded-For` entry that is not itself a
/// trusted proxy (entries are appended left to right, so only the right end
/// can be believed).
pub fn client_ip(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[Cidr]) -> IpAddr {
    let peer = canonical(peer);
    let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let mut client = peer;
    if let Some(list) = forwarded_for {
        for entry in list.rsplit(',') {
            let Ok(ip) = entry.trim().parse::<IpAddr>().map(canonical) else {
                break;
            };
            client = ip;
            if !is_trusted(ip) {
                break;
            }
        }
    }
    client
}

/// Longest incoming `X-Request-Id` kept (the services log at most 128 characters).
pub const MAX_REQUEST_ID_LEN: usize = 128;

/// Whether an incoming `X-Request-Id` is kept: 1-128 characters of
/// `[A-Za-z0-9._:-]`, so it is safe in logs and headers.
pub fn valid_request_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_REQUEST_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

/// A fresh random request id (UUID v4 text form).
pub fn new_request_id() -> String {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(36);
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    out
}

/// Whether [`normalize_path`] would change `path` (the common case is no:
/// then the request's own URI is forwarded untouched).
pub fn needs_normalizing(path: &str) -> bool {
    !path.starts_with('/') || path.contains('%') || path.contains("//") || path.contains("/.")
}

/// The path a request is routed on and forwarded with: percent-encoded
/// unreserved characters decoded (`/%69nner` is `/inner` to every framework
/// behind us), empty and `.` segments dropped, `..` resolved. `None` when
/// the path is not absolute. Reserved escapes such as `%2F` stay as they are.
pub fn normalize_path(path: &str) -> Option<String> {
    if !path.starts_with('/') {
        return None;
    }
    let bytes = path.as_bytes();
    let mut out_bytes: Vec<u8> = Vec::with_capacity(path.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' && i + 2 < bytes.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                let c = u8::try_from(hi * 16 + lo).unwrap_or(b'%');
                if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~') {
                    out_bytes.push(c);
                } else {
                    out_bytes.push(b'%');
                    out_bytes.push(bytes[i + 1].to_ascii_uppercase());
                    out_bytes.push(bytes[i + 2].to_ascii_uppercase());
                }
                i += 3;
                continue;
            }
        }
        out_bytes.push(b);
        i += 1;
    }
    let decoded = String::from_utf8_lossy(&out_bytes);
    let trailing_slash =
        decoded.ends_with('/') || decoded.ends_with("/.") || decoded.ends_with("/..");
    let mut segments: Vec<&str> = Vec::new();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut out = String::with_capacity(decoded.len());
    for s in &segments {
        out.push('/');
        out.push_str(s);
    }
    if out.is_empty() || trailing_slash {
        out.push('/');
    }
    Some(out)
}

/// Hop-by-hop headers (RFC 9110 §7.6.1) that are never forwarded.
/// `Transfer-Encoding` is absent on purpose: pingora frames bodies itself
/// and needs it to read a chunked request.
pub const HOP_BY_HOP: [&str; 7] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "upgrade",
];

/// Every header present in `headers` that must not be forwarded:
/// [`HOP_BY_HOP`] plus the ones the `Connection` header names (except
/// `Transfer-Encoding`). Usually empty, and then allocation-free.
pub fn hop_by_hop_headers(headers: &HeaderMap) -> Vec<String> {
    let mut names: Vec<String> = HOP_BY_HOP
        .iter()
        .filter(|name| headers.contains_key(**name))
        .map(|s| s.to_string())
        .collect();
    for value in headers.get_all(http::header::CONNECTION) {
        if let Ok(value) = value.to_str() {
            for token in value.split(',') {
                let token = token.trim().to_ascii_lowercase();
                if !token.is_empty() && token != "transfer-encoding" && !names.contains(&token) {
                    names.push(token);
                }
            }
        }
    }
    names
}

/// Whether a request opens a WebSocket (RFC 6455 §4.1: `GET` with
/// `Upgrade: websocket` and `Connection` naming `upgrade`). Such a request
/// keeps its `Upgrade` through the gateway, and after `101` the connection
/// is a tunnel: no body limit, no read timeout.
pub fn is_websocket_upgrade(method: &http::Method, headers: &HeaderMap) -> bool {
    let upgrade = headers
        .get_all(http::header::UPGRADE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.trim().eq_ignore_ascii_case("websocket"));
    let connection = headers
        .get_all(http::header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case("upgrade"));
    method == http::Method::GET && upgrade && connection
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn cidr_membership() {
        let c: Cidr = "10.0.0.0/8".parse().expect("cidr");
        assert!(c.contains(ip("10.1.2.3")));
        assert!(c.contains(ip("::ffff:10.1.2.3")));
        assert!(!c.contains(ip("11.0.0.1")));
        let all: Cidr = "0.0.0.0/0".parse().expect("cidr");
        assert!(all.contains(ip("8.8.8.8")));
        let one: Cidr = "::1".parse().expect("cidr");
        assert!(one.contains(ip("::1")));
        assert!(!one.contains(ip("::2")));
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert!("nope".parse::<Cidr>().is_err());
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let trusted = vec!["10.0.0.0/8".parse::<Cidr>().expect("cidr")];
        // The edge: a spoofed header from the internet is ignored.
        assert_eq!(
            client_ip(ip("1.2.3.4"), Some("9.9.9.9"), &trusted),
            ip("1.2.3.4")
        );
        // Behind a trusted proxy: the right-most untrusted entry.
        assert_eq!(
            client_ip(ip("10.0.0.2"), Some("9.9.9.9, 1.2.3.4, 10.0.0.7"), &trusted),
            ip("1.2.3.4")
        );
        // Garbage stops the walk at the last good entry.
        assert_eq!(
            client_ip(ip("10.0.0.2"), Some("junk, 10.0.0.3"), &trusted),
            ip("10.0.0.3")
        );
        assert_eq!(client_ip(ip("10.0.0.2"), None, &trusted), ip("10.0.0.2"));
    }

    #[test]
    fn request_ids() {
        assert!(valid_request_id("abc-123_x.y:z"));
        assert!(!valid_request_id(""));
        assert!(!valid_request_id("a b"));
        assert!(!valid_request_id("a\nb"));
        assert!(!valid_request_id(&"a".repeat(129)));
        let id = new_request_id();
        assert_eq!(id.len(), 36);
        assert!(valid_request_id(&id));
        assert_ne!(id, new_request_id());
    }

    #[test]
    fn paths_are_normalised_like_the_services_behind_read_them() {
        let n = |p: &str| normalize_path(p).expect("absolute");
        assert_eq!(n("/"), "/");
        assert_eq!(n("/%69nner/routes"), "/inner/routes");
        assert_eq!(n("//inner//routes"), "/inner/routes");
        assert_eq!(n("/api/../inner/x"), "/inner/x");
        assert_eq!(n("/../../inner"), "/inner");
        assert_eq!(n("/a/./b/"), "/a/b/");
        assert_eq!(n("/a/%2f/b"), "/a/%2F/b");
        assert_eq!(n("/a%"), "/a%");
        assert_eq!(n("/a%4"), "/a%4");
        assert_eq!(n("/x/.."), "/");
        assert_eq!(normalize_path("*"), None);
        for p in ["/", "/api/count", "/a-b_c~d/e.f"] {
            assert!(!needs_normalizing(p));
            assert_eq!(n(p), p);
        }
        for p in ["/%69", "//a", "/a/./b", "/a/..", "*"] {
            assert!(needs_normalizing(p));
        }
    }

    #[test]
    fn websocket_upgrades_need_get_upgrade_websocket_and_connection_upgrade() {
        let headers = |pairs: &[(&str, &str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.append(
                    http::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                    v.parse().unwrap(),
                );
            }
            h
        };
        let get = http::Method::GET;
        let ws = headers(&[
            ("upgrade", "WebSocket"),
            ("connection", "keep-alive, Upgrade"),
        ]);
        assert!(is_websocket_upgrade(&get, &ws));
        assert!(!is_websocket_upgrade(&http::Method::POST, &ws));
        assert!(!is_websocket_upgrade(
            &get,
            &headers(&[("upgrade", "websocket")])
        ));
        assert!(!is_websocket_upgrade(
            &get,
            &headers(&[("upgrade", "h2c"), ("connection", "upgrade")])
        ));
        assert!(!is_websocket_upgrade(&get, &HeaderMap::new()));
    }

    #[test]
    fn connection_named_headers_are_hop_by_hop() {
        let mut h = HeaderMap::new();
        h.insert(
            "connection",
            "close, X-Secret, transfer-encoding".parse().expect("value"),
        );
        h.insert("keep-alive", "timeout=5".parse().expect("value"));
        let names = hop_by_hop_headers(&h);
        assert!(names.contains(&"x-secret".to_string()));
        assert!(names.contains(&"keep-alive".to_string()));
        assert!(names.contains(&"connection".to_string()));
        assert!(!names.contains(&"upgrade".to_string()));
        assert!(hop_by_hop_headers(&HeaderMap::new()).is_empty());
        assert!(!names.contains(&"transfer-encoding".to_string()));
    }
}
