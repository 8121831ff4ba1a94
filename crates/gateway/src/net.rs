//! Small pure helpers of the proxy: request ids, path normalisation and
//! hop-by-hop headers. Plain functions so they are tested without a server.
//! The client's address behind trusted proxies is [`common::client_ip`]'s,
//! shared with the admin.

use std::io::Write as _;
use std::net::IpAddr;

use http::header::{HeaderName, HeaderValue, CONNECTION, TRANSFER_ENCODING};
use http::HeaderMap;

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

/// A fresh random request id (UUID v4 text form), made as the header value
/// it travels as, without a `String` on the way.
pub fn new_request_id() -> HeaderValue {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 36];
    let mut at = 0;
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out[at] = b'-';
            at += 1;
        }
        out[at] = HEX[usize::from(byte >> 4)];
        out[at + 1] = HEX[usize::from(byte & 0x0f)];
        at += 2;
    }
    HeaderValue::from_bytes(&out).unwrap_or_else(|_| HeaderValue::from_static("-"))
}

/// `ip` in its text form as a header value (`X-Forwarded-For`, `X-Real-IP`),
/// written on the stack: `Display` costs more than the rest of the header.
pub fn ip_header_value(ip: IpAddr) -> HeaderValue {
    // The longest text form: an IPv4-mapped IPv6 address, 45 characters.
    let mut buf = [0u8; 45];
    let len = match ip {
        IpAddr::V4(v4) => {
            let mut at = 0;
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    buf[at] = b'.';
                    at += 1;
                }
                if octet >= 100 {
                    buf[at] = b'0' + octet / 100;
                    at += 1;
                }
                if octet >= 10 {
                    buf[at] = b'0' + octet / 10 % 10;
                    at += 1;
                }
                buf[at] = b'0' + octet % 10;
                at += 1;
            }
            at
        }
        IpAddr::V6(v6) => {
            let mut cursor = std::io::Cursor::new(&mut buf[..]);
            // 45 bytes always hold it; a failed write would only shorten the text.
            let _ = write!(cursor, "{v6}");
            usize::try_from(cursor.position()).unwrap_or(0)
        }
    };
    HeaderValue::from_bytes(&buf[..len]).unwrap_or_else(|_| HeaderValue::from_static("unknown"))
}

/// Whether [`normalize_path`] would change `path` (the common case is no:
/// then the request's own URI is forwarded untouched).
pub fn needs_normalizing(path: &str) -> bool {
    let bytes = path.as_bytes();
    bytes.first() != Some(&b'/')
        || bytes.iter().enumerate().any(|(i, &b)| {
            b == b'%' || (b == b'/' && matches!(bytes.get(i + 1), Some(b'/' | b'.')))
        })
}

/// The path a request is routed on and forwarded with: percent-encoded
/// unreserved characters decoded (`/%69nner` is `/inner` to every framework
/// behind us), empty and `.` segments dropped, `..` resolved. `None` when
/// the path is not absolute. Reserved escapes such as `%2F` stay as they are;
/// a `%` that starts no escape becomes `%25`, so that no decoded character
/// can complete an escape with it (`/%6%69nner` must not come out as
/// `/%69nner`, which the services behind read as `/inner`): the result is
/// its own normal form.
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
        if b == b'%' {
            out_bytes.extend_from_slice(b"%25");
            i += 1;
            continue;
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

/// Every `X-Forwarded-For` line of `headers` as one list, in order (RFC
/// 9110 §5.3), the form [`common::client_ip`] reads them in, so the chain
/// passed on names the client the gateway found. A line that is not text
/// stands as `unknown`, which ends that rule's walk as the raw bytes did.
pub fn forwarded_for_list(headers: &HeaderMap) -> String {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .map(|v| v.to_str().unwrap_or("unknown"))
        .collect::<Vec<_>>()
        .join(", ")
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
/// `Transfer-Encoding`). One pass over the names present (looking each
/// hop-by-hop name up would parse and hash it every time); usually empty,
/// and then allocation-free.
pub fn hop_by_hop_headers(headers: &HeaderMap) -> Vec<HeaderName> {
    let mut names: Vec<HeaderName> = headers
        .keys()
        .filter(|name| HOP_BY_HOP.contains(&name.as_str()))
        .cloned()
        .collect();
    for value in headers.get_all(CONNECTION) {
        let Ok(value) = value.to_str() else { continue };
        for token in value.split(',').map(str::trim) {
            // `keep-alive`, `close`, `upgrade`...: already found above if
            // present, or no header at all.
            let known = HOP_BY_HOP.iter().any(|h| h.eq_ignore_ascii_case(token))
                || token.eq_ignore_ascii_case(TRANSFER_ENCODING.as_str());
            if known || !headers.contains_key(token) {
                continue;
            }
            if let Ok(name) = HeaderName::from_bytes(token.as_bytes()) {
                if !names.contains(&name) {
                    names.push(name);
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
    let names = |name, wanted: &str| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(wanted))
    };
    // Cheapest first: most requests stop at the method or the missing header.
    method == http::Method::GET
        && names(http::header::UPGRADE, "websocket")
        && names(CONNECTION, "upgrade")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids() {
        assert!(valid_request_id("abc-123_x.y:z"));
        assert!(!valid_request_id(""));
        assert!(!valid_request_id("a b"));
        assert!(!valid_request_id("a\nb"));
        assert!(!valid_request_id(&"a".repeat(129)));
        let id = new_request_id();
        assert_eq!(id.len(), 36);
        assert!(valid_request_id(id.to_str().expect("text")));
        assert_ne!(id, new_request_id());
    }

    #[test]
    fn ip_header_values_are_the_text_forms() {
        for ip in [
            "0.0.0.0",
            "127.0.0.1",
            "10.20.30.40",
            "255.255.255.255",
            "1.100.99.9",
            "::1",
            "2001:db8::8a2e:370:7334",
            "::ffff:255.255.255.255",
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        ] {
            let parsed: IpAddr = ip.parse().expect("ip");
            assert_eq!(ip_header_value(parsed), parsed.to_string().as_str());
        }
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
        assert_eq!(n("/a%"), "/a%25");
        assert_eq!(n("/a%4"), "/a%254");
        assert_eq!(n("/%6%69nner"), "/%256inner");
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
        h.insert("x-secret", "1".parse().expect("value"));
        h.insert("transfer-encoding", "chunked".parse().expect("value"));
        h.insert("x-kept", "1".parse().expect("value"));
        let names = hop_by_hop_headers(&h);
        let has = |n: &str| names.iter().any(|name| name == n);
        assert!(has("x-secret"));
        assert!(has("keep-alive"));
        assert!(has("connection"));
        assert!(!has("upgrade"));
        assert!(hop_by_hop_headers(&HeaderMap::new()).is_empty());
        assert!(!has("transfer-encoding"));
        assert!(!has("x-kept"));
        assert_eq!(names.len(), 3);
    }
}
