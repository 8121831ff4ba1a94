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

use std::sync::Arc;

use serde_json::Value;

use crate::settings::parse_host_port;
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
        }
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

/// One operator rule as the admin publishes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminRule {
    /// Path prefix.
    pub prefix: String,
    /// Service name, `host:port` or `http://host:port/base`.
    pub target: String,
    /// Remove the prefix before forwarding.
    pub strip_prefix: bool,
}

/// What `GET /inner/routes` carried.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdminRules {
    /// Active rules.
    pub rules: Vec<AdminRule>,
    /// Where unmatched requests go instead of `default_service`.
    pub fallback: Option<String>,
    /// Entries that were skipped, with why (logged).
    pub skipped: Vec<String>,
}

fn field<'a>(obj: &'a serde_json::Map<String, Value>, names: &[&str]) -> Option<&'a Value> {
    names
        .iter()
        .find_map(|n| obj.get(*n).filter(|v| !v.is_null()))
}

fn truthy(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_f64().map(|f| f != 0.0),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Some(true),
            "false" | "0" | "no" | "off" | "" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// Parses the admin's answer tolerantly (see the crate docs for the contract):
/// the `{code, errorMsg, data}` envelope or a bare document; `routes` in
/// `data` or `data` itself an array; each rule's target under `upstream`,
/// `service`, `target` or `url`; `stripPrefix`/`strip_prefix`; rules with
/// `open`/`enabled` false are left out; malformed rules are skipped one by
/// one. A non-zero `code` or no `routes` list at all is an error, so a
/// contract mismatch never empties the table.
pub fn parse_admin_rules(body: &[u8]) -> Result<AdminRules, String> {
    let root: Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
    if let Some(code) = root.get("code").filter(|c| !c.is_null()) {
        let ok = code.as_i64() == Some(0) || code.as_str() == Some("0");
        if !ok {
            let msg = root
                .get("errorMsg")
                .or_else(|| root.get("errmsg"))
                .and_then(Value::as_str)
                .unwrap_or("");
            return Err(format!("admin answered code {code}: {msg}"));
        }
    }
    let data = root.get("data").filter(|d| !d.is_null()).unwrap_or(&root);
    let (list, fallback) = match data {
        Value::Array(list) => (list, None),
        Value::Object(obj) => {
            let list = field(obj, &["routes", "rules"])
                .and_then(Value::as_array)
                .ok_or("no `routes` list in the answer")?;
            let fallback = field(obj, &["fallback", "default"])
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string);
            (list, fallback)
        }
        _ => return Err("`data` is neither an object nor a list".into()),
    };
    let mut out = AdminRules {
        fallback,
        ..AdminRules::default()
    };
    for (i, entry) in list.iter().enumerate() {
        let Some(obj) = entry.as_object() else {
            out.skipped.push(format!("routes[{i}]: not an object"));
            continue;
        };
        if field(obj, &["open", "enabled"]).and_then(truthy) == Some(false) {
            continue;
        }
        let prefix = field(obj, &["prefix", "path"])
            .and_then(Value::as_str)
            .map(str::trim)
            .unwrap_or("");
        let target = field(obj, &["upstream", "service", "target", "url"])
            .and_then(Value::as_str)
            .map(str::trim)
            .unwrap_or("");
        if !prefix.starts_with('/') || target.is_empty() {
            out.skipped.push(format!(
                "routes[{i}]: needs a prefix starting with / and an upstream"
            ));
            continue;
        }
        let strip_prefix = field(obj, &["stripPrefix", "strip_prefix", "strip"])
            .and_then(truthy)
            .unwrap_or(false);
        out.rules.push(AdminRule {
            prefix: prefix.to_string(),
            target: target.to_string(),
            strip_prefix,
        });
    }
    Ok(out)
}

/// Where an operator rule points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A configured service.
    Service(String),
    /// Any other `host:port`, with a base path from a URL.
    Address {
        /// Host name or IP.
        host: String,
        /// Port.
        port: u16,
        /// Path prefix of a URL target (`""` for none).
        base_path: String,
    },
}

/// Reads a rule's target: a configured service name, `host[:port]`, or
/// `http://host[:port][/base]`. `https://` is refused: the gateway is built
/// without TLS (no OpenSSL/BoringSSL in the image).
pub fn parse_target(target: &str, is_service: impl Fn(&str) -> bool) -> Result<Target, String> {
    if is_service(target) {
        return Ok(Target::Service(target.to_string()));
    }
    if target.starts_with("https://") {
        return Err(format!("{target}: https upstreams are not supported"));
    }
    let (authority, base_path) = match target.strip_prefix("http://") {
        Some(rest) => match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        },
        None if target.contains("://") => {
            return Err(format!("{target}: only http:// URLs are supported"))
        }
        None => (target, ""),
    };
    let (host, port) = if authority.contains(':') {
        parse_host_port(authority)?
    } else if authority.is_empty() {
        return Err(format!("{target}: no host"));
    } else {
        (authority.to_string(), 80)
    };
    if host
        .chars()
        .any(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | ':')))
    {
        return Err(format!("{target}: bad host"));
    }
    if base_path.contains(['?', '#']) {
        return Err(format!("{target}: a base path cannot carry ? or #"));
    }
    Ok(Target::Address {
        host,
        port,
        base_path: base_path.to_string(),
    })
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
    fn admin_answers_are_read_tolerantly() {
        let body = br#"{"code":0,"errorMsg":"OK","data":{"routes":[
            {"prefix":"/api/","service":"business"},
            {"prefix":"/x/","upstream":"http://10.0.0.5:8080/base","stripPrefix":true},
            {"prefix":"/off/","upstream":"business","open":false},
            {"prefix":"nope","upstream":"business"},
            {"path":"/y/","target":"y:81","strip_prefix":1},
            7
        ],"fallback":"http://127.0.0.1:9000"}}"#;
        let r = parse_admin_rules(body).expect("parsed");
        assert_eq!(r.rules.len(), 3);
        assert_eq!(r.rules[0].target, "business");
        assert!(r.rules[1].strip_prefix);
        assert_eq!(r.rules[2].prefix, "/y/");
        assert!(r.rules[2].strip_prefix);
        assert_eq!(r.skipped.len(), 2);
        assert_eq!(r.fallback.as_deref(), Some("http://127.0.0.1:9000"));

        let bare = parse_admin_rules(br#"[{"prefix":"/a/","service":"s"}]"#).expect("bare list");
        assert_eq!(bare.rules.len(), 1);
        let empty = parse_admin_rules(br#"{"code":0,"data":{"routes":[],"fallback":null}}"#)
            .expect("empty");
        assert!(empty.rules.is_empty() && empty.fallback.is_none());

        assert!(parse_admin_rules(br#"{"code":1000,"errorMsg":"no"}"#).is_err());
        assert!(parse_admin_rules(br#"{"code":0,"data":{}}"#).is_err());
        assert!(parse_admin_rules(b"<html>").is_err());
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
            Ok(Target::Address {
                host: "business".into(),
                port: 8083,
                base_path: String::new()
            })
        );
        assert_eq!(
            parse_target("http://10.0.0.5/base/", svc),
            Ok(Target::Address {
                host: "10.0.0.5".into(),
                port: 80,
                base_path: "/base/".into()
            })
        );
        assert!(parse_target("https://x", svc).is_err());
        assert!(parse_target("ftp://x", svc).is_err());
        assert!(parse_target("http://", svc).is_err());
        assert!(parse_target("a b:1", svc).is_err());
    }
}
