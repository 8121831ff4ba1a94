//! The route table and the operator rules that feed it.
//!
//! A request's normalised path is matched, in order, against:
//! 1. the static routes of the settings (`/wxcallback/` → callback,
//!    `/wxcomponent/` → admin, exactly `/` → admin's console, `/inner/` →
//!    admin on the internal listener only), longest prefix first;
//! 2. the operator's proxy rules from the admin's `GET /inner/routes`,
//!    longest prefix first;
//! 3. the admin's fallback (wxcomponent's single proxy rule) when it
//!    publishes one, else `default_service` (business), like wxcomponent's
//!    NoRoute proxy.
//!
//! Prefixes match whole segments: `/api/` and `/api` both take `/api` and
//! `/api/x` but not `/apix`. The table is immutable; a new one is swapped in
//! atomically (`ArcSwap`) and requests keep the one they started with.

use std::sync::{Arc, OnceLock};

use common::envelope::Envelope;
use common::routing::{RoutingDocument, UpstreamAddress};

use crate::metrics::RouteSeries;
use crate::settings::{Settings, SettingsError};
use crate::upstream::Upstream;

/// One route of the table.
pub struct Route {
    /// Label in logs and metrics: a static route's name, an operator rule's
    /// prefix, `fallback` or `default`.
    pub name: String,
    /// Path prefix without its trailing slash (`""` for `/`).
    prefix: String,
    exact: bool,
    strip_prefix: bool,
    /// Served only on the internal listener.
    pub internal_only: bool,
    /// Prepended to the forwarded path (an `http://host/base` target).
    base_path: String,
    /// Where matching requests go.
    pub upstream: Arc<Upstream>,
    /// This route's metric series on the public and the internal listener,
    /// resolved by the first request each serves.
    series: [OnceLock<RouteSeries>; 2],
}

impl Route {
    /// A route; `prefix` as configured (`/api/`, `/`).
    pub fn new(
        name: impl Into<String>,
        prefix: &str,
        exact: bool,
        strip_prefix: bool,
        internal_only: bool,
        base_path: &str,
        upstream: Arc<Upstream>,
    ) -> Self {
        Self {
            name: name.into(),
            prefix: prefix.trim_end_matches('/').to_string(),
            exact,
            strip_prefix,
            internal_only,
            base_path: base_path.trim_end_matches('/').to_string(),
            upstream,
            series: [OnceLock::new(), OnceLock::new()],
        }
    }

    /// Where this route keeps its metric series on the internal
    /// (`internal == true`) or the public listener.
    pub fn series(&self, internal: bool) -> &OnceLock<RouteSeries> {
        &self.series[usize::from(internal)]
    }

    /// Whether this route takes `path` (already normalised).
    pub fn matches(&self, path: &str) -> bool {
        if self.exact {
            return if self.prefix.is_empty() {
                path == "/"
            } else {
                path == self.prefix || path.strip_suffix('/') == Some(self.prefix.as_str())
            };
        }
        if self.prefix.is_empty() {
            return true;
        }
        path == self.prefix
            || (path.starts_with(&self.prefix)
                && path.as_bytes().get(self.prefix.len()) == Some(&b'/'))
    }

    /// Whether the forwarded path differs from the request's.
    pub fn rewrites(&self) -> bool {
        self.strip_prefix || !self.base_path.is_empty()
    }

    /// The path sent upstream for `path`: prefix stripped if asked, base
    /// path of a URL target prepended.
    pub fn forward_path(&self, path: &str) -> String {
        let rest = if self.strip_prefix {
            path.get(self.prefix.len()..).unwrap_or("")
        } else {
            path
        };
        let rest = if rest.is_empty() { "/" } else { rest };
        if self.base_path.is_empty() {
            rest.to_string()
        } else {
            format!("{}{rest}", self.base_path)
        }
    }

    fn specificity(&self) -> usize {
        self.prefix.len()
    }
}

/// The whole table, swapped atomically.
pub struct RouteTable {
    statics: Vec<Arc<Route>>,
    dynamic: Vec<Arc<Route>>,
    last_resort: Arc<Route>,
    /// The admin's `ETag` of the rules in this table.
    pub etag: Option<String>,
}

impl RouteTable {
    /// A table; routes are ordered longest prefix first here.
    pub fn new(
        mut statics: Vec<Arc<Route>>,
        mut dynamic: Vec<Arc<Route>>,
        last_resort: Arc<Route>,
        etag: Option<String>,
    ) -> Self {
        // Exact routes first, then longest prefix; stable for equal lengths.
        statics.sort_by_key(|r| (!r.exact, std::cmp::Reverse(r.specificity())));
        dynamic.sort_by_key(|r| (!r.exact, std::cmp::Reverse(r.specificity())));
        Self {
            statics,
            dynamic,
            last_resort,
            etag,
        }
    }

    /// The table the gateway starts with: the settings' static routes and
    /// `default_service` as the last resort (also returned: it stays the
    /// last resort whenever the admin publishes no fallback). `service`
    /// finds a configured service's upstream group; a route naming one it
    /// does not know is an invalid setting.
    pub fn from_settings(
        settings: &Settings,
        service: impl Fn(&str) -> Option<Arc<Upstream>>,
    ) -> Result<(Self, Arc<Route>), SettingsError> {
        let group = |setting: String, name: &str| {
            service(name).ok_or_else(|| SettingsError::Invalid {
                setting,
                reason: format!("no service named `{name}`"),
            })
        };
        let mut statics = Vec::with_capacity(settings.routes.len());
        for (i, r) in settings.routes.iter().enumerate() {
            let name = if r.name.is_empty() {
                r.prefix.clone()
            } else {
                r.name.clone()
            };
            statics.push(Arc::new(Route::new(
                name,
                &r.prefix,
                r.exact,
                r.strip_prefix,
                r.internal_only,
                "",
                group(format!("routes[{i}].service"), &r.service)?,
            )));
        }
        let default_route = Arc::new(Route::new(
            "default",
            "/",
            false,
            false,
            false,
            "",
            group("default_service".into(), &settings.default_service)?,
        ));
        let table = Self::new(statics, Vec::new(), Arc::clone(&default_route), None);
        Ok((table, default_route))
    }

    /// The same static routes with new operator rules.
    pub fn with_rules(
        &self,
        dynamic: Vec<Arc<Route>>,
        last_resort: Arc<Route>,
        etag: Option<String>,
    ) -> Self {
        Self::new(self.statics.clone(), dynamic, last_resort, etag)
    }

    /// The route for `path` on the public (`internal == false`) or internal listener.
    pub fn lookup(&self, path: &str, internal: bool) -> &Arc<Route> {
        self.statics
            .iter()
            .filter(|r| internal || !r.internal_only)
            .chain(self.dynamic.iter())
            .find(|r| r.matches(path))
            .unwrap_or(&self.last_resort)
    }

    /// How many operator rules are active.
    pub fn rule_count(&self) -> usize {
        self.dynamic.len()
    }
}

/// Reads the admin's `GET /inner/routes` answer: the envelope around
/// [`RoutingDocument`], the type the admin writes. A non-zero `code`, no
/// `data` or anything that is not that document is an error, so a contract
/// mismatch keeps the last good table instead of emptying it.
pub fn read_routing_answer(body: &[u8]) -> Result<RoutingDocument, String> {
    let answer: Envelope<RoutingDocument> =
        serde_json::from_slice(body).map_err(|e| format!("not a routing document: {e}"))?;
    if answer.code != 0 {
        return Err(format!(
            "admin answered code {}: {}",
            answer.code, answer.error_msg
        ));
    }
    answer
        .data
        .ok_or_else(|| "no routing document in `data`".to_string())
}

/// Where an operator rule points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A configured service.
    Service(String),
    /// Any other `host:port`, with a base path from a URL.
    Address(UpstreamAddress),
}

/// Reads a rule's target: a configured service name, else an address as
/// [`UpstreamAddress::parse`] reads it (the admin's check at save time).
pub fn parse_target(target: &str, is_service: impl Fn(&str) -> bool) -> Result<Target, String> {
    if is_service(target) {
        return Ok(Target::Service(target.to_string()));
    }
    UpstreamAddress::parse(target)
        .map(Target::Address)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{HealthCheckKind, Settings};
    use std::collections::HashMap;

    fn up(name: &str) -> Arc<Upstream> {
        let s = Settings::load_from(None, &HashMap::new()).expect("defaults");
        Arc::new(Upstream::new(
            name,
            vec![("127.0.0.1".into(), 1)],
            HealthCheckKind::None,
            &s.upstream,
        ))
    }

    fn table() -> RouteTable {
        let admin = up("admin");
        let statics = vec![
            Arc::new(Route::new(
                "callback",
                "/wxcallback/",
                false,
                false,
                false,
                "",
                up("callback"),
            )),
            Arc::new(Route::new(
                "admin",
                "/wxcomponent/",
                false,
                false,
                false,
                "",
                admin.clone(),
            )),
            Arc::new(Route::new(
                "console",
                "/",
                true,
                false,
                false,
                "",
                admin.clone(),
            )),
            Arc::new(Route::new(
                "inner", "/inner/", false, false, true, "", admin,
            )),
        ];
        let dynamic = vec![
            Arc::new(Route::new(
                "/api/",
                "/api/",
                false,
                true,
                false,
                "",
                up("api"),
            )),
            Arc::new(Route::new(
                "/api/v2/",
                "/api/v2/",
                false,
                false,
                false,
                "/base",
                up("v2"),
            )),
        ];
        let default = Arc::new(Route::new(
            "default",
            "/",
            false,
            false,
            false,
            "",
            up("business"),
        ));
        RouteTable::new(statics, dynamic, default, None)
    }

    #[test]
    fn lookup_follows_the_documented_order() {
        let t = table();
        let name = |p: &str, internal: bool| t.lookup(p, internal).name.clone();
        assert_eq!(name("/wxcallback/component", false), "callback");
        assert_eq!(name("/wxcomponent/admin/ticket", false), "admin");
        assert_eq!(name("/wxcomponent", false), "admin");
        assert_eq!(name("/", false), "console");
        assert_eq!(name("/index.html", false), "default");
        assert_eq!(name("/inner/routes", true), "inner");
        assert_eq!(name("/inner/routes", false), "default");
        assert_eq!(name("/api/count", false), "/api/");
        assert_eq!(name("/api", false), "/api/");
        assert_eq!(name("/apix", false), "default");
        assert_eq!(name("/api/v2/x", false), "/api/v2/");
    }

    #[test]
    fn forwarded_paths_strip_and_prepend() {
        let t = table();
        assert_eq!(
            t.lookup("/api/count", false).forward_path("/api/count"),
            "/count"
        );
        assert_eq!(t.lookup("/api", false).forward_path("/api"), "/");
        assert_eq!(
            t.lookup("/api/v2/x", false).forward_path("/api/v2/x"),
            "/base/api/v2/x"
        );
        assert_eq!(
            t.lookup("/wxcomponent/a", false)
                .forward_path("/wxcomponent/a"),
            "/wxcomponent/a"
        );
    }

    #[test]
    fn the_admin_answer_is_its_routing_document_in_the_envelope() {
        let body = br#"{"code":0,"errorMsg":"OK","data":{"routes":[
            {"prefix":"/api/","upstream":"business","stripPrefix":false},
            {"prefix":"/x/","upstream":"http://10.0.0.5:8080/base","stripPrefix":true,"extra":1}
        ],"fallback":"http://127.0.0.1:9000"}}"#;
        let r = read_routing_answer(body).expect("parsed");
        assert_eq!(r.routes.len(), 2);
        assert_eq!(r.routes[0].upstream, "business");
        assert!(r.routes[1].strip_prefix);
        assert_eq!(r.fallback.as_deref(), Some("http://127.0.0.1:9000"));

        let empty = read_routing_answer(
            br#"{"code":0,"errorMsg":"OK","data":{"routes":[],"fallback":null}}"#,
        )
        .expect("empty");
        assert!(empty.routes.is_empty() && empty.fallback.is_none());

        assert!(read_routing_answer(br#"{"code":1000,"errorMsg":"no"}"#).is_err());
        assert!(read_routing_answer(br#"{"code":0,"errorMsg":"OK"}"#).is_err());
        assert!(read_routing_answer(br#"{"code":0,"errorMsg":"OK","data":{}}"#).is_err());
        assert!(read_routing_answer(b"<html>").is_err());
    }

    #[test]
    fn targets() {
        let svc = |s: &str| s == "business";
        assert_eq!(
            parse_target("business", svc),
            Ok(Target::Service("business".into()))
        );
        assert_eq!(
            parse_target("business:8083", svc),
            Ok(Target::Address(UpstreamAddress {
                host: "business".into(),
                port: 8083,
                base_path: String::new()
            }))
        );
        assert_eq!(
            parse_target("http://10.0.0.5/base/", svc),
            Ok(Target::Address(UpstreamAddress {
                host: "10.0.0.5".into(),
                port: 80,
                base_path: "/base/".into()
            }))
        );
        assert!(parse_target("https://x", svc).is_err());
        assert!(parse_target("ftp://x", svc).is_err());
        assert!(parse_target("http://", svc).is_err());
        assert!(parse_target("a b:1", svc).is_err());
    }
}
