//! WeChat's rules for mini-program domains (第三方平台 → 小程序管理 → 域名管理):
//! the shape of a domain URL, the scheme each kind of server domain demands,
//! and the documented limits. One owner for both sides: wxsim enforces them
//! as WeChat does, the admin checks its input against them before it calls
//! WeChat. Each number names the page it comes from.

use std::fmt;

/// Most 小程序服务器域名 a platform may register (`modify_wxa_server_domain`:
/// "最多可以添加1000个服务器域名").
pub const PLATFORM_SERVER_DOMAIN_LIMIT: usize = 1000;
/// Most 小程序业务域名 a platform may register (`modify_wxa_jump_domain`,
/// current page `api_modifythirdpartyjumpdomain`: "最多可以添加300个";
/// the older page said 200).
pub const PLATFORM_JUMP_DOMAIN_LIMIT: usize = 300;
/// Most domains in each of a mini program's six server-domain lists
/// (`modify_domain`: "Request域名、Socket域名、Uploadfile域名、Download域名、
/// Udp域名、tcp的设置数量均最大支持200个"); beyond it 85016.
pub const SERVER_DOMAIN_LIMIT: usize = 200;
/// Most business domains of a mini program (`setwebviewdomain`: "最多可以添加
/// 300个业务域名"); beyond it 89029.
pub const WEBVIEW_DOMAIN_LIMIT: usize = 300;
/// The host WeChat refuses as a server domain ("api.weixin.qq.com 不能被配置
/// 为服务器域名"; 86101 for `modify_domain_directly`).
pub const FORBIDDEN_HOST: &str = "api.weixin.qq.com";

/// The six kinds of server domain, with WeChat's field name and the scheme
/// each demands (小程序网络: request/uploadFile/downloadFile `https`,
/// WebSocket `wss`, UDP `udp`, TCP `tcp`).
pub const SERVER_KINDS: [(&str, &str); 6] = [
    ("requestdomain", "https"),
    ("wsrequestdomain", "wss"),
    ("uploaddomain", "https"),
    ("downloaddomain", "https"),
    ("udpdomain", "udp"),
    ("tcpdomain", "tcp"),
];

/// A URL of a domain as the mini-program APIs take it:
/// `scheme://host[:port]`, nothing after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainUrl {
    /// Lowercase scheme.
    pub scheme: String,
    /// Lowercase host.
    pub host: String,
    /// The port, when one is given.
    pub port: Option<u16>,
}

impl fmt::Display for DomainUrl {
    /// `scheme://host[:port]`, as WeChat stores and answers it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme, self.host)?;
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        Ok(())
    }
}

/// Reads `scheme://host[:port]` (a single trailing `/` tolerated); `None`
/// for anything else: a path, a query, a missing scheme, a host that is not
/// a domain name.
pub fn parse_url(url: &str) -> Option<DomainUrl> {
    let (scheme, rest) = url.trim().split_once("://")?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let (host, port) = match rest.rsplit_once(':') {
        Some((host, port)) => (host, Some(port.parse::<u16>().ok().filter(|p| *p > 0)?)),
        None => (rest, None),
    };
    if scheme.is_empty() || !scheme.bytes().all(|b| b.is_ascii_alphabetic()) || !is_host(host) {
        return None;
    }
    Some(DomainUrl {
        scheme: scheme.to_ascii_lowercase(),
        host: host.to_ascii_lowercase(),
        port,
    })
}

/// Whether `host` is a domain name as WeChat wants them ("严格按照类似
/// www.qq.com 的写法"; "不支持填写ip地址"): dot-separated labels of letters,
/// digits and inner hyphens, at least two, the last not all digits.
pub fn is_host(host: &str) -> bool {
    let labels: Vec<&str> = host.split('.').collect();
    host.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && labels
            .last()
            .is_some_and(|tld| !tld.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether `host` is `domain` or one of its subdomains (business domains:
/// "第三方登记的业务域名如为 qq.com,则可以直接将 qq.com 及其子域名(如
/// xxx.qq.com)也配置到授权的小程序中").
pub fn within(host: &str, domain: &str) -> bool {
    let (host, domain) = (host.to_ascii_lowercase(), domain.to_ascii_lowercase());
    host == domain || host.ends_with(&format!(".{domain}"))
}

/// Splits WeChat's `a.com;b.com` into its domains (blanks dropped).
pub fn split_domains(joined: &str) -> Vec<String> {
    joined
        .split(';')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_need_a_scheme_and_no_path() {
        let url = parse_url("https://Api.Example.com:8443").unwrap();
        assert_eq!(
            (url.scheme.as_str(), url.host.as_str(), url.port),
            ("https", "api.example.com", Some(8443))
        );
        assert_eq!(url.to_string(), "https://api.example.com:8443");
        assert!(parse_url("https://a.example.com/").is_some());
        for bad in [
            "a.example.com",
            "https://a.example.com/x",
            "https://10.0.0.1",
            "https://localhost",
            "wss://https://a.example.com",
            "https://a.example.com:0",
            "https://a..com",
        ] {
            assert!(parse_url(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn subdomains_are_within_their_domain() {
        assert!(within("m.example.com", "example.com"));
        assert!(within("example.com", "Example.com"));
        assert!(!within("badexample.com", "example.com"));
    }
}
