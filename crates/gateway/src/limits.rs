//! Which body limit a request meets, and which answers the console gets.
//!
//! `max_body_bytes` is the default; `body_limits` names routes that carry
//! more (the console's media upload). The console's API (`/wxcomponent/*`
//! but its page and assets) gets every gateway-made refusal as HTTP 200 with
//! the envelope, because wxcomponent's console (`client/src/utils/axios.ts`)
//! only reads the envelope of a 2xx answer and hangs without a word on any
//! other status.

use http::Method;

use crate::settings::BodyLimitSettings;

/// The console's API, where refusals travel as HTTP 200 envelopes.
const CONSOLE_API: &str = "/wxcomponent";
/// Under [`CONSOLE_API`] but loaded by the browser itself, not by axios:
/// real statuses there.
const CONSOLE_FILES: [&str; 2] = ["/wxcomponent/assets", "/wxcomponent/console"];
/// WeChat's push URLs (授权事件URL, 消息与事件URL).
const PUSHES: &str = "/wxcallback";

/// `path` is `prefix` or below it, on whole segments.
fn under(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Whether the gateway's own refusals of `path` must be HTTP 200 envelopes.
pub fn is_console_api(path: &str) -> bool {
    under(path, CONSOLE_API) && !CONSOLE_FILES.iter().any(|files| under(path, files))
}

/// Whether `path` is one of WeChat's push URLs (exempt from per-IP limits).
pub fn is_push(path: &str) -> bool {
    under(path, PUSHES)
}

/// One route's limit.
#[derive(Debug, Clone)]
struct RouteLimit {
    path: String,
    method: Option<Method>,
    max_bytes: u64,
}

/// The body limits of every route.
#[derive(Debug, Clone)]
pub struct BodyLimits {
    default: u64,
    routes: Vec<RouteLimit>,
}

impl BodyLimits {
    /// The limits from the settings; a method that does not parse (refused
    /// by the settings' validation already) matches every method.
    pub fn new(default: u64, routes: &[BodyLimitSettings]) -> Self {
        Self {
            default,
            routes: routes
                .iter()
                .map(|r| RouteLimit {
                    path: r.path.clone(),
                    method: (!r.method.is_empty())
                        .then(|| r.method.to_ascii_uppercase().parse().ok())
                        .flatten(),
                    max_bytes: r.max_bytes,
                })
                .collect(),
        }
    }

    /// The largest body accepted for `method` on the normalised `path`.
    pub fn for_request(&self, method: &Method, path: &str) -> u64 {
        self.routes
            .iter()
            .find(|r| r.path == path && r.method.as_ref().is_none_or(|m| m == method))
            .map_or(self.default, |r| r.max_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_route_limit_applies_to_its_path_and_method_only() {
        let limits = BodyLimits::new(
            100,
            &[
                BodyLimitSettings {
                    path: "/wxcomponent/admin/upload-media".into(),
                    method: "post".into(),
                    max_bytes: 5000,
                },
                BodyLimitSettings {
                    path: "/api/any".into(),
                    method: String::new(),
                    max_bytes: 7,
                },
            ],
        );
        let upload = "/wxcomponent/admin/upload-media";
        assert_eq!(limits.for_request(&Method::POST, upload), 5000);
        assert_eq!(limits.for_request(&Method::PUT, upload), 100);
        assert_eq!(
            limits.for_request(&Method::POST, "/wxcomponent/admin/upload-media/x"),
            100
        );
        assert_eq!(
            limits.for_request(&Method::POST, "/wxcomponent/admin/rules"),
            100
        );
        assert_eq!(limits.for_request(&Method::PUT, "/api/any"), 7);
    }

    #[test]
    fn the_console_api_is_wxcomponent_but_its_page_and_assets() {
        for path in ["/wxcomponent/auth", "/wxcomponent/admin/x", "/wxcomponent"] {
            assert!(is_console_api(path), "{path}");
        }
        for path in [
            "/wxcomponent/assets/index.js",
            "/wxcomponent/console",
            "/wxcomponentx/a",
            "/api/x",
            "/",
            "/wxcallback/component",
        ] {
            assert!(!is_console_api(path), "{path}");
        }
        assert!(is_push("/wxcallback/biz/wx1"));
        assert!(is_push("/wxcallback"));
        assert!(!is_push("/wxcallbackx"));
    }
}
