//! The gateway's routing document, one type for both ends: the admin
//! serializes it at `GET /inner/routes`, the gateway deserializes it. And
//! the one reading of a route's `upstream`, so the admin refuses at save
//! time every target the gateway could not proxy to.
//!
//! On the wire, inside the `{code, errorMsg, data}` envelope:
//!
//! ```json
//! {"routes": [{"prefix": "/api/", "upstream": "business", "stripPrefix": false}],
//!  "fallback": "http://127.0.0.1:9000"}
//! ```
//!
//! An upstream is one of the gateway's service names, any `host[:port]`
//! (port 80 by default) or `http://host[:port][/base]`. `https://` is
//! refused: the gateway is built without TLS (pingora's `lb` feature only,
//! no OpenSSL/BoringSSL/rustls in its image), so it could only skip such a
//! route; the admin says so when the route is saved.

use serde::{Deserialize, Serialize};
use sha1::{Digest as _, Sha1};

/// What `GET /inner/routes` answers in `data`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingDocument {
    /// Active routes, longest prefix first.
    pub routes: Vec<ProxyRoute>,
    /// wxcomponent's single proxy rule when open: where requests no route
    /// takes go instead of the gateway's `default_service`.
    pub fallback: Option<String>,
}

/// One active operator route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProxyRoute {
    /// Path prefix (`/api/`), matched on whole segments.
    pub prefix: String,
    /// Service name, `host[:port]` or `http://` URL (see [`UpstreamAddress`]).
    pub upstream: String,
    /// Remove the prefix before forwarding.
    #[serde(default)]
    pub strip_prefix: bool,
}

impl RoutingDocument {
    /// The strong ETag of the document (a hash of its JSON), so the
    /// gateway's `If-None-Match` poll costs a 304 while nothing changed.
    pub fn etag(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        format!("\"{}\"", hex::encode(Sha1::digest(&json)))
    }
}

/// Where an upstream that is not a service name of the gateway points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamAddress {
    /// Host name or IP (IPv6 without brackets).
    pub host: String,
    /// Port; 80 when none is given.
    pub port: u16,
    /// Path prefix of a URL target (`""` for none), prepended when forwarding.
    pub base_path: String,
}

/// Why an upstream cannot be proxied to; the text names the upstream.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpstreamError {
    /// An `https://` URL: the gateway has no TLS (see the module doc).
    #[error("{0}: https upstreams are not supported, the gateway is built without TLS; use http:// or a service name")]
    Https(String),
    /// Anything else that is not a name, `host:port` or `http://` URL.
    #[error("{target}: {reason}")]
    Malformed {
        /// The upstream as given.
        target: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl UpstreamAddress {
    /// Reads `host[:port]` or `http://host[:port][/base]`.
    pub fn parse(target: &str) -> Result<Self, UpstreamError> {
        let malformed = |reason: &str| UpstreamError::Malformed {
            target: target.to_string(),
            reason: reason.to_string(),
        };
        if target.starts_with("https://") {
            return Err(UpstreamError::Https(target.to_string()));
        }
        let (authority, base_path) = match target.strip_prefix("http://") {
            Some(rest) => rest.split_at(rest.find('/').unwrap_or(rest.len())),
            None if target.contains("://") => {
                return Err(malformed("only http:// URLs are supported"))
            }
            None => (target, ""),
        };
        let (host, port) = if authority.contains(':') {
            parse_host_port(authority).map_err(|reason| malformed(&reason))?
        } else if authority.is_empty() {
            return Err(malformed("no host"));
        } else {
            (authority.to_string(), 80)
        };
        if host
            .chars()
            .any(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | ':')))
        {
            return Err(malformed("bad host"));
        }
        if !base_path.chars().all(is_path_char) {
            return Err(malformed(
                "a base path carries only URI path characters (RFC 3986): no spaces, controls, non-ASCII, ? or #",
            ));
        }
        Ok(Self {
            host,
            port,
            base_path: base_path.to_string(),
        })
    }
}

/// Whether `c` may stand in a URI path as it is (RFC 3986 `pchar` and `/`,
/// `%` of an escape): the gateway prepends a base path to every forwarded
/// path, and any other character makes the request URI unparsable.
fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@/%".contains(c)
}

/// Parses one `host:port` (IPv6 as `[::1]:8080`), port 1-65535.
pub fn parse_host_port(value: &str) -> Result<(String, u16), String> {
    let (host, port) = value
        .rsplit_once(':')
        .ok_or_else(|| format!("`{value}` is not host:port"))?;
    let port: u16 = port
        .parse()
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| format!("`{value}`: port must be 1-65535"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c == '/') {
        return Err(format!("`{value}`: bad host"));
    }
    Ok((host.to_string(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_reads_back_what_the_admin_writes() {
        let document = RoutingDocument {
            routes: vec![ProxyRoute {
                prefix: "/api/".into(),
                upstream: "http://10.0.0.5:8080/base".into(),
                strip_prefix: true,
            }],
            fallback: None,
        };
        let json = serde_json::to_value(&document).expect("serialize");
        assert_eq!(
            json,
            serde_json::json!({"routes": [
                {"prefix": "/api/", "upstream": "http://10.0.0.5:8080/base", "stripPrefix": true}
            ], "fallback": null})
        );
        let back: RoutingDocument = serde_json::from_value(json).expect("deserialize");
        assert_eq!(back, document);
        assert_ne!(document.etag(), RoutingDocument::default().etag());
    }

    #[test]
    fn upstreams_are_names_host_ports_or_http_urls() {
        let address = |t: &str| UpstreamAddress::parse(t).map(|a| (a.host, a.port, a.base_path));
        assert_eq!(
            address("business"),
            Ok(("business".into(), 80, String::new()))
        );
        assert_eq!(
            address("business:8083"),
            Ok(("business".into(), 8083, String::new()))
        );
        assert_eq!(
            address("[::1]:8080"),
            Ok(("::1".into(), 8080, String::new()))
        );
        assert_eq!(
            address("http://10.0.0.5/base/"),
            Ok(("10.0.0.5".into(), 80, "/base/".into()))
        );
        assert!(matches!(
            UpstreamAddress::parse("https://x"),
            Err(UpstreamError::Https(_))
        ));
        for bad in [
            "ftp://x",
            "http://",
            "a b:1",
            "svc:0",
            "http://h/a?b",
            "http://h/a b",
        ] {
            assert!(
                matches!(
                    UpstreamAddress::parse(bad),
                    Err(UpstreamError::Malformed { .. })
                ),
                "{bad}"
            );
        }
    }
}
