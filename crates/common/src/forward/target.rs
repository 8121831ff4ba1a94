//! A rule's target: the `info` column, its checks, and the URL it resolves to.

use serde::{Deserialize, Serialize};

use crate::message::Format;

/// Replaced by the authorizer's appid in a target's `path` (and only there).
pub const APPID_PLACEHOLDER: &str = "$APPID$";
/// Longest absolute target URL.
pub const MAX_URL_CHARS: usize = 512;
/// Longest target path: a forward URL stays well under the request-line
/// limits of common servers (8 KiB) whatever the appid put in it.
pub const MAX_PATH_CHARS: usize = 512;

/// Where a rule forwards to (`info` column, the console's `data`): wxcomponent's
/// `HttpProxyConfig` `{port, path}`, plus two fields of ours (`url`, an
/// absolute target instead of the gateway, and the body `format`).
/// wxcomponent, sharing the database, ignores both (a `url` rule has port 0).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// Port on `callback.forward_host` (the gateway's internal listener).
    #[serde(default)]
    pub port: i64,
    /// Path, may contain `$APPID$`.
    #[serde(default)]
    pub path: String,
    /// `http(s)://host[:port]` to send to instead of `callback.forward_host:port`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// `json` (wxcomponent's, the default) or `xml`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
}

/// Why a target is unusable; the text names the field as the console sends
/// it (`data.port`, ...), so the admin can answer it as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TargetError(String);

impl TargetError {
    fn new(reason: impl Into<String>) -> Self {
        Self(reason.into())
    }
}

/// A checked target resolved against the forward host: what the sender needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    base: String,
    path: String,
    format: Format,
}

impl Endpoint {
    /// The URL a push for `appid` goes to: `$APPID$` replaced in the path.
    pub fn url(&self, appid: &str) -> String {
        format!(
            "{}{}",
            self.base,
            self.path.replace(APPID_PLACEHOLDER, appid)
        )
    }

    /// The body encoding the target wants.
    pub fn format(&self) -> Format {
        self.format
    }
}

impl Target {
    /// Reads a stored `info` value (not yet checked).
    pub fn parse(info: &str) -> Result<Target, TargetError> {
        serde_json::from_str(info)
            .map_err(|e| TargetError::new(format!("data: not a forward target: {e}")))
    }

    /// The target as it is stored: trimmed, `url` in its parsed form (host
    /// lowercased, default port left out) without a trailing `/` and port 0
    /// beside it, `format` only when it is `xml`; or why it is unusable.
    pub fn check(&self) -> Result<Target, TargetError> {
        let url = match self.url.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(url) => Some(check_url(url)?),
        };
        if url.is_none() && !(1..=65535).contains(&self.port) {
            return Err(TargetError::new(
                "data.port: must be between 1 and 65535 (or give data.url)",
            ));
        }
        let path = self.path.trim();
        if !(path.is_empty() || path.starts_with('/'))
            || path.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(TargetError::new(
                "data.path: must start with / and contain no spaces",
            ));
        }
        if path.chars().nth(MAX_PATH_CHARS).is_some() {
            return Err(TargetError::new(format!(
                "data.path: longer than {MAX_PATH_CHARS} characters"
            )));
        }
        let format = match self.format.as_deref().map(str::trim) {
            None | Some("") | Some("json") => None,
            Some("xml") => Some("xml".to_string()),
            Some(other) => {
                return Err(TargetError::new(format!(
                    "data.format: {other:?} is not json or xml"
                )))
            }
        };
        Ok(Target {
            port: if url.is_some() { 0 } else { self.port },
            path: path.to_string(),
            url,
            format,
        })
    }

    /// Checks the target and resolves it: `url`, or `http://{forward_host}:{port}`.
    pub fn endpoint(&self, forward_host: &str) -> Result<Endpoint, TargetError> {
        let checked = self.check()?;
        let format = match checked.format.as_deref() {
            Some("xml") => Format::Xml,
            _ => Format::Json,
        };
        let base = match checked.url {
            Some(url) => url,
            None => format!("http://{forward_host}:{}", checked.port),
        };
        Ok(Endpoint {
            base,
            path: checked.path,
            format,
        })
    }
}

fn check_url(url: &str) -> Result<String, TargetError> {
    let bad = |why: &str| TargetError::new(format!("data.url: {why}"));
    // Both the text as typed (before parsing it) and the URL stored.
    let within_limits = |text: &str| {
        if text.chars().count() > MAX_URL_CHARS {
            return Err(bad(&format!("at most {MAX_URL_CHARS} characters")));
        }
        if text.contains(APPID_PLACEHOLDER) {
            return Err(bad("$APPID$ is replaced in data.path only"));
        }
        Ok(())
    };
    within_limits(url)?;
    let parsed =
        reqwest::Url::parse(url).map_err(|e| bad(&format!("{url:?} is not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(bad("must be an http:// or https:// URL with a host"));
    }
    if parsed.path() != "/" || parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(bad("scheme, host and port only; put the path in data.path"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(bad("must not carry credentials"));
    }
    // The URL as parsed, not as typed: the parser drops tabs and newlines,
    // lowercases the host and punycodes it, so storing the text would keep what
    // it ignored and a second check would store something else (or refuse a
    // host that punycode made longer than the limit).
    let stored = parsed.as_str().trim_end_matches('/').to_string();
    within_limits(&stored)?;
    Ok(stored)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(info: serde_json::Value) -> Target {
        Target::parse(&info.to_string()).expect("a target")
    }

    #[test]
    fn appid_is_replaced_in_the_path_only() {
        let endpoint = target(serde_json::json!({"port": 8083, "path": "/m/$APPID$?a=$APPID$"}))
            .endpoint("gateway")
            .expect("valid");
        assert_eq!(
            endpoint.url("wx1"),
            "http://gateway:8083/m/wx1?a=wx1",
            "wxcomponent replaces every $APPID$ in the path, query included"
        );
        let endpoint =
            target(serde_json::json!({"url": "https://biz.example/", "path": "/m/$APPID$"}))
                .endpoint("gateway")
                .expect("valid");
        assert_eq!(endpoint.url("wx1"), "https://biz.example/m/wx1");
        assert_eq!(endpoint.format(), Format::Json);
    }

    #[test]
    fn appid_or_a_path_in_the_url_is_refused() {
        for url in [
            "http://$APPID$.example.com",
            "http://127.0.0.1:9000/to/$APPID$",
            "http://127.0.0.1:9000?appid=$APPID$",
            "http://127.0.0.1:9000/to",
        ] {
            let error = target(serde_json::json!({"url": url, "path": "/hook"}))
                .endpoint("gateway")
                .expect_err(url);
            assert!(
                error.to_string().starts_with("data.url: "),
                "{url}: {error}"
            );
        }
    }

    #[test]
    fn a_stored_target_is_normalized() {
        let checked = target(serde_json::json!({
            "port": 9000, "path": " /x ", "url": " http://h:1/ ", "format": " xml "
        }))
        .check()
        .expect("valid");
        assert_eq!(
            checked,
            Target {
                port: 0,
                path: "/x".into(),
                url: Some("http://h:1".into()),
                format: Some("xml".into()),
            }
        );
        assert_eq!(
            checked.endpoint("gateway").expect("valid").format(),
            Format::Xml
        );
    }

    #[test]
    fn unreadable_info_names_data() {
        let error = Target::parse("{\"port\": \"80\"}").expect_err("a string port");
        assert!(error.to_string().starts_with("data: "), "{error}");
    }
}
