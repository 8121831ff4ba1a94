//! The gateway's own settings.
//!
//! Layered like the rest of the project, lowest first: built-in defaults <
//! one optional file (`--config <path>`, else `WXC_GATEWAY_CONFIG`, else
//! `deploy/gateway.yaml` when it exists; YAML or TOML by extension) <
//! `WXC__GATEWAY__*` environment variables (`WXC__GATEWAY__LISTEN`,
//! `WXC__GATEWAY__SERVICES__BUSINESS__ADDRESS`, `WXC__GATEWAY__RATE_LIMIT__BURST`).
//! A `WXC__GATEWAY__..._FILE` variable is read from the named file (Docker and
//! Kubernetes secrets). When `admin_routes.inner_token` is empty the admin's
//! own `WXC__ADMIN__INNER_TOKEN` (or its `_FILE`) is used, so one environment
//! file serves both.
//!
//! The layers are loaded by [`common::config::Layers`], the loader of every
//! service, so `_FILE` variables follow one rule (see `common::config`). The
//! gateway keeps its own struct rather than a section of
//! `common::config::Settings` because none of the other sections concern it.
//! Every error names the setting; the inner token is a `SecretString`, so it
//! never reaches a log line through `Debug`.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use common::client_ip::Cidr;
use common::config::Layers;
use common::routing::parse_host_port;
use config::File;
use secrecy::SecretString;
use serde::Deserialize;

/// Prefix of the gateway's environment variables.
pub const ENV_PREFIX: &str = "WXC__GATEWAY";
/// Environment variable naming the configuration file when `--config` is absent.
pub const CONFIG_FILE_ENV: &str = "WXC_GATEWAY_CONFIG";
/// The file read when neither `--config` nor [`CONFIG_FILE_ENV`] names one.
pub const DEFAULT_CONFIG_FILE: &str = "deploy/gateway.yaml";
/// The admin's variable for the shared inner token, used when ours is empty.
pub const ADMIN_INNER_TOKEN_ENV: &str = "WXC__ADMIN__INNER_TOKEN";

/// Every setting of the gateway.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Public listener (`0.0.0.0:80`): browsers, mini programs, WeChat pushes.
    pub listen: String,
    /// Internal listener for service-to-service traffic and `/inner/*`
    /// (`0.0.0.0:8080`); empty = none.
    pub internal_listen: String,
    /// Prometheus `/metrics` listener; empty = none.
    pub metrics_listen: String,
    /// Worker threads per listener; 0 = one per core.
    pub threads: usize,
    /// Seconds the server waits after SIGTERM before stopping its runtimes;
    /// in-flight requests keep running meanwhile.
    pub grace_period_secs: u64,
    /// Seconds in-flight requests get after the grace period before they are cut.
    pub shutdown_timeout_secs: u64,
    /// Largest request body accepted; larger ones get 413 (the console's
    /// routes: HTTP 200 with code 1001). `body_limits` overrides it per route.
    pub max_body_bytes: u64,
    /// Per-route body limits in place of `max_body_bytes`, e.g. the
    /// console's media upload, which carries files of up to 10 MB.
    #[serde(default = "default_body_limits")]
    pub body_limits: Vec<BodyLimitSettings>,
    /// Comma-separated addresses or CIDRs of proxies in front of the gateway
    /// whose `X-Forwarded-For` is believed; empty = the gateway is the edge.
    pub trusted_proxies: String,
    /// The service that gets every request no route takes (wxcomponent's
    /// NoRoute proxy), unless the admin publishes a fallback.
    pub default_service: String,
    /// The static routes, checked before the operator's rules.
    #[serde(default = "default_routes")]
    pub routes: Vec<RouteSettings>,
    /// Named upstream services.
    pub services: BTreeMap<String, ServiceSettings>,
    /// Timeouts, retries, discovery and health checks of upstreams.
    pub upstream: UpstreamSettings,
    /// Per-client-IP rate limits of the public listener.
    pub rate_limit: RateLimitSettings,
    /// Where the operator's proxy rules come from.
    pub admin_routes: AdminRoutesSettings,
    /// Log verbosity and format.
    pub log: common::config::LogSettings,
    /// The file these settings were read from, if any (for the start-up log).
    #[serde(skip)]
    pub loaded_from: Option<PathBuf>,
}

/// One static route.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteSettings {
    /// Label in logs and metrics; defaults to the prefix.
    #[serde(default)]
    pub name: String,
    /// Path prefix (`/wxcallback/`), matched on whole segments.
    pub prefix: String,
    /// The named service that serves it.
    pub service: String,
    /// Match the path exactly instead of as a prefix (the console at `/`).
    #[serde(default)]
    pub exact: bool,
    /// Remove the prefix before forwarding.
    #[serde(default)]
    pub strip_prefix: bool,
    /// Serve it only on the internal listener.
    #[serde(default)]
    pub internal_only: bool,
}

/// The body limit of one route.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BodyLimitSettings {
    /// The path it applies to, matched exactly (after normalisation, without
    /// the query string).
    pub path: String,
    /// The method it applies to (`POST`); empty = every method.
    #[serde(default)]
    pub method: String,
    /// Largest request body accepted on that route.
    pub max_bytes: u64,
}

/// How replicas of a service are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthCheckKind {
    /// `GET <upstream.health_check_path>` must answer 200 (our own services).
    Http,
    /// A TCP connect must succeed (upstreams without `/healthz`).
    Tcp,
    /// Every discovered replica is taken as healthy.
    None,
}

/// One named upstream service.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSettings {
    /// `host:port`, or several separated by commas; every address a name
    /// resolves to is a replica (Docker `--scale`, Kubernetes headless Service).
    pub address: String,
    /// How replicas are health-checked.
    #[serde(default = "default_health")]
    pub health_check: HealthCheckKind,
}

/// Upstream behaviour shared by every service.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamSettings {
    /// TCP connect timeout; a replica that does not accept in time is skipped.
    pub connect_timeout_ms: u64,
    /// Longest wait for the upstream's response (each read); 504 after it.
    pub read_timeout_ms: u64,
    /// Longest wait while sending to the upstream (each write); 504 after it.
    pub write_timeout_ms: u64,
    /// How long an idle upstream connection stays pooled.
    pub idle_timeout_ms: u64,
    /// Further replicas tried after a failed connect.
    pub retries: usize,
    /// How often service names are resolved again.
    pub discovery_interval_ms: u64,
    /// How often every replica is health-checked.
    pub health_check_interval_ms: u64,
    /// Path of the HTTP health check.
    pub health_check_path: String,
    /// Timeout of one health check.
    pub health_check_timeout_ms: u64,
    /// Consecutive failed checks before a replica is taken out.
    pub unhealthy_after: usize,
    /// Consecutive passed checks before a replica is taken back.
    pub healthy_after: usize,
}

/// Token buckets of the public listener; a rate of 0 disables one.
///
/// WeChat's pushes (`/wxcallback/*`) never meet a per-IP bucket: they come
/// from a few WeChat server IPs at the rate the platform's accounts produce
/// and are authenticated by their signature downstream. They share one
/// global bucket instead, a safety valve set far above what the callback
/// receiver ingests.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSettings {
    /// Sustained requests per second per client IP (every route but `/wxcallback/*`).
    pub requests_per_sec: f64,
    /// Requests a client may send at once above the sustained rate.
    pub burst: u32,
    /// Console logins (`PUT /wxcomponent/auth`) per minute per client IP.
    pub auth_requests_per_min: f64,
    /// Logins a client may send at once.
    pub auth_burst: u32,
    /// WeChat pushes (`/wxcallback/*`) per second from all clients together;
    /// beyond it the gateway sheds them with 503 (WeChat retries).
    pub callback_requests_per_sec: f64,
    /// Pushes accepted at once above that rate.
    pub callback_burst: u32,
}

/// The admin's `GET /inner/routes` poll.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminRoutesSettings {
    /// The named service answering it; empty = no operator rules.
    pub service: String,
    /// Its path.
    pub path: String,
    /// Pause between polls.
    pub poll_interval_ms: u64,
    /// Timeout of one poll.
    pub timeout_ms: u64,
    /// Sent as `Authorization: Bearer <token>`; empty = `WXC__ADMIN__INNER_TOKEN`,
    /// else no header (the admin may allow loopback callers without one).
    pub inner_token: SecretString,
}

fn default_health() -> HealthCheckKind {
    HealthCheckKind::Http
}

/// The built-in table: WeChat's pushes to the callback receiver, the admin
/// API and the console page to the admin, `/inner/*` (internal listener only)
/// to the admin.
pub fn default_routes() -> Vec<RouteSettings> {
    let route = |name: &str, prefix: &str, service: &str| RouteSettings {
        name: name.into(),
        prefix: prefix.into(),
        service: service.into(),
        exact: false,
        strip_prefix: false,
        internal_only: false,
    };
    vec![
        route("callback", "/wxcallback/", "callback"),
        route("admin", "/wxcomponent/", "admin"),
        RouteSettings {
            exact: true,
            ..route("console", "/", "admin")
        },
        RouteSettings {
            internal_only: true,
            ..route("inner", "/inner/", "admin")
        },
    ]
}

/// Largest body of the console's media upload: the console accepts images
/// up to 5 MB and videos up to 10 MB, plus multipart framing (11 MiB).
pub const UPLOAD_MEDIA_MAX_BYTES: u64 = 11 * 1024 * 1024;

/// The built-in per-route body limits: the console's media upload.
pub fn default_body_limits() -> Vec<BodyLimitSettings> {
    vec![BodyLimitSettings {
        path: "/wxcomponent/admin/upload-media".into(),
        method: "POST".into(),
        max_bytes: UPLOAD_MEDIA_MAX_BYTES,
    }]
}

const DEFAULTS: &str = r#"
listen = "0.0.0.0:80"
internal_listen = "0.0.0.0:8080"
metrics_listen = "0.0.0.0:9091"
threads = 0
grace_period_secs = 1
shutdown_timeout_secs = 3
max_body_bytes = 1048576
trusted_proxies = ""
default_service = "business"

[services.callback]
address = "127.0.0.1:8081"
[services.admin]
address = "127.0.0.1:8082"
[services.business]
address = "127.0.0.1:8083"

[upstream]
connect_timeout_ms = 1000
read_timeout_ms = 30000
write_timeout_ms = 30000
idle_timeout_ms = 60000
retries = 2
discovery_interval_ms = 5000
health_check_interval_ms = 2000
health_check_path = "/healthz"
health_check_timeout_ms = 1000
unhealthy_after = 2
healthy_after = 1

[rate_limit]
requests_per_sec = 100.0
burst = 200
auth_requests_per_min = 10.0
auth_burst = 5
callback_requests_per_sec = 10000.0
callback_burst = 20000

[admin_routes]
service = "admin"
path = "/inner/routes"
poll_interval_ms = 3000
timeout_ms = 2000
inner_token = ""

[log]
level = "info"
json = false
"#;

/// Why the settings could not be loaded; the message names the setting.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The layers could not be read: a source, a value or a `_FILE` variable.
    #[error("gateway {0}")]
    Load(#[from] common::config::SettingsError),
    /// A value parsed but is not acceptable.
    #[error("invalid gateway setting `{setting}`: {reason}")]
    Invalid {
        /// Dotted name of the setting, e.g. `services.business.address`.
        setting: String,
        /// What is wrong with it.
        reason: String,
    },
}

fn invalid(setting: impl Into<String>, reason: impl Into<String>) -> SettingsError {
    SettingsError::Invalid {
        setting: setting.into(),
        reason: reason.into(),
    }
}

impl Settings {
    /// Loads settings from the process environment and the file chosen as
    /// described in the module doc (`cli_file` is `--config`).
    pub fn load(cli_file: Option<&Path>) -> Result<Self, SettingsError> {
        let env: HashMap<String, String> = std::env::vars().collect();
        let file = cli_file
            .map(Path::to_path_buf)
            .or_else(|| {
                env.get(CONFIG_FILE_ENV)
                    .filter(|p| !p.is_empty())
                    .map(PathBuf::from)
            })
            .or_else(|| {
                let default = PathBuf::from(DEFAULT_CONFIG_FILE);
                default.is_file().then_some(default)
            });
        Self::load_from(file.as_deref(), &env)
    }

    /// Loads settings from an explicit file and environment map, so tests
    /// never touch process-global state.
    pub fn load_from(
        file: Option<&Path>,
        env: &HashMap<String, String>,
    ) -> Result<Self, SettingsError> {
        let mut layers = Layers::new(DEFAULTS, env)?;
        if let Some(path) = file {
            layers = layers.with(File::from(path).required(true));
        }
        let admin_token = layers
            .var(ADMIN_INNER_TOKEN_ENV)
            .filter(|t| !t.is_empty())
            .map(SecretString::from);
        let mut settings: Settings = layers.load(ENV_PREFIX)?;
        if secrecy::ExposeSecret::expose_secret(&settings.admin_routes.inner_token).is_empty() {
            if let Some(token) = admin_token {
                settings.admin_routes.inner_token = token;
            }
        }
        settings.loaded_from = file.map(Path::to_path_buf);
        settings.validate()?;
        Ok(settings)
    }

    /// Worker threads per listener, `threads = 0` meaning one per core.
    pub fn effective_threads(&self) -> usize {
        if self.threads > 0 {
            self.threads
        } else {
            std::thread::available_parallelism().map_or(1, usize::from)
        }
    }

    /// The trusted proxies as parsed CIDRs.
    pub fn trusted_proxy_cidrs(&self) -> Result<Vec<Cidr>, SettingsError> {
        Cidr::parse_list(&self.trusted_proxies).map_err(|e| invalid("trusted_proxies", e))
    }

    fn validate(&self) -> Result<(), SettingsError> {
        parse_listen("listen", &self.listen)?;
        if !self.internal_listen.is_empty() {
            parse_listen("internal_listen", &self.internal_listen)?;
        }
        if !self.metrics_listen.is_empty() {
            parse_listen("metrics_listen", &self.metrics_listen)?;
        }
        if self.max_body_bytes == 0 {
            return Err(invalid("max_body_bytes", "must be at least 1"));
        }
        for (i, limit) in self.body_limits.iter().enumerate() {
            if !limit.path.starts_with('/') {
                return Err(invalid(
                    format!("body_limits[{i}].path"),
                    "must start with /",
                ));
            }
            if limit.max_bytes == 0 {
                return Err(invalid(
                    format!("body_limits[{i}].max_bytes"),
                    "must be at least 1",
                ));
            }
            if !limit.method.is_empty() {
                limit.method.parse::<http::Method>().map_err(|_| {
                    invalid(
                        format!("body_limits[{i}].method"),
                        format!("`{}` is not an HTTP method", limit.method),
                    )
                })?;
            }
        }
        self.trusted_proxy_cidrs()?;
        for (name, service) in &self.services {
            let setting = format!("services.{name}.address");
            let targets = parse_address_list(&service.address)
                .map_err(|reason| invalid(setting.clone(), reason))?;
            if targets.is_empty() {
                return Err(invalid(setting, "needs at least one host:port"));
            }
        }
        let known = |setting: &str, service: &str| {
            if self.services.contains_key(service) {
                Ok(())
            } else {
                Err(invalid(
                    setting,
                    format!("no service named `{service}` under `services`"),
                ))
            }
        };
        known("default_service", &self.default_service)?;
        if !self.admin_routes.service.is_empty() {
            known("admin_routes.service", &self.admin_routes.service)?;
            if !self.admin_routes.path.starts_with('/') {
                return Err(invalid("admin_routes.path", "must start with /"));
            }
        }
        for (i, route) in self.routes.iter().enumerate() {
            if !route.prefix.starts_with('/') {
                return Err(invalid(format!("routes[{i}].prefix"), "must start with /"));
            }
            known(&format!("routes[{i}].service"), &route.service)?;
        }
        let up = &self.upstream;
        for (setting, value) in [
            ("upstream.connect_timeout_ms", up.connect_timeout_ms),
            ("upstream.read_timeout_ms", up.read_timeout_ms),
            ("upstream.write_timeout_ms", up.write_timeout_ms),
            ("upstream.discovery_interval_ms", up.discovery_interval_ms),
            (
                "upstream.health_check_interval_ms",
                up.health_check_interval_ms,
            ),
            (
                "upstream.health_check_timeout_ms",
                up.health_check_timeout_ms,
            ),
            (
                "admin_routes.poll_interval_ms",
                self.admin_routes.poll_interval_ms,
            ),
            ("admin_routes.timeout_ms", self.admin_routes.timeout_ms),
        ] {
            if value == 0 {
                return Err(invalid(setting, "must be at least 1"));
            }
        }
        if up.unhealthy_after == 0 || up.healthy_after == 0 {
            return Err(invalid(
                "upstream.unhealthy_after/healthy_after",
                "must be at least 1",
            ));
        }
        if !up.health_check_path.starts_with('/') {
            return Err(invalid("upstream.health_check_path", "must start with /"));
        }
        let rl = &self.rate_limit;
        for (setting, value) in [
            ("rate_limit.requests_per_sec", rl.requests_per_sec),
            ("rate_limit.auth_requests_per_min", rl.auth_requests_per_min),
            (
                "rate_limit.callback_requests_per_sec",
                rl.callback_requests_per_sec,
            ),
        ] {
            if !value.is_finite() || value < 0.0 {
                return Err(invalid(setting, "must be a number >= 0 (0 = unlimited)"));
            }
        }
        Ok(())
    }
}

fn parse_listen(setting: &str, value: &str) -> Result<SocketAddr, SettingsError> {
    value
        .parse()
        .map_err(|_| invalid(setting, format!("`{value}` is not an ip:port address")))
}

/// Splits `host:port[,host:port...]` into its targets.
pub fn parse_address_list(value: &str) -> Result<Vec<(String, u16)>, String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(parse_host_port)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_are_valid_and_route_like_wxcomponent() {
        let s = Settings::load_from(None, &HashMap::new()).expect("defaults");
        assert_eq!(s.listen, "0.0.0.0:80");
        assert_eq!(s.internal_listen, "0.0.0.0:8080");
        assert_eq!(s.max_body_bytes, 1 << 20);
        assert_eq!(s.default_service, "business");
        assert_eq!(s.services["admin"].address, "127.0.0.1:8082");
        assert_eq!(s.routes, default_routes());
        assert_eq!(s.body_limits, default_body_limits());
        assert_eq!(s.body_limits[0].max_bytes, 11 * 1024 * 1024);
        assert!(s.rate_limit.callback_requests_per_sec >= 1000.0);
    }

    #[test]
    fn body_limits_come_from_the_file_and_are_checked() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("gw.yaml");
        std::fs::write(
            &path,
            "body_limits:\n  - path: /api/upload\n    max_bytes: 2048\n",
        )
        .expect("write");
        let s = Settings::load_from(Some(&path), &HashMap::new()).expect("settings");
        assert_eq!(
            s.body_limits,
            vec![BodyLimitSettings {
                path: "/api/upload".into(),
                method: String::new(),
                max_bytes: 2048,
            }]
        );
        for (yaml, setting) in [
            (
                "body_limits:\n  - path: api\n    max_bytes: 1\n",
                "body_limits[0].path",
            ),
            (
                "body_limits:\n  - path: /a\n    max_bytes: 0\n",
                "body_limits[0].max_bytes",
            ),
            (
                "body_limits:\n  - path: /a\n    method: \"PO ST\"\n    max_bytes: 1\n",
                "body_limits[0].method",
            ),
        ] {
            std::fs::write(&path, yaml).expect("write");
            let err = Settings::load_from(Some(&path), &HashMap::new()).expect_err(yaml);
            assert!(err.to_string().contains(setting), "{err}");
        }
    }

    #[test]
    fn environment_overrides_one_service_and_keeps_the_others() {
        let s = Settings::load_from(
            None,
            &env(&[
                ("WXC__GATEWAY__SERVICES__BUSINESS__ADDRESS", "business:8083"),
                ("WXC__GATEWAY__RATE_LIMIT__BURST", "7"),
                ("WXC__GATEWAY__THREADS", "3"),
            ]),
        )
        .expect("settings");
        assert_eq!(s.services["business"].address, "business:8083");
        assert_eq!(s.services["callback"].address, "127.0.0.1:8081");
        assert_eq!(s.rate_limit.burst, 7);
        assert_eq!(s.effective_threads(), 3);
    }

    #[test]
    fn file_then_env_layering_and_yaml_routes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("gw.yaml");
        std::fs::write(
            &path,
            "listen: 127.0.0.1:8000\nservices:\n  extra:\n    address: extra:9000\n    health_check: tcp\nroutes:\n  - prefix: /x/\n    service: extra\n",
        )
        .expect("write");
        let s = Settings::load_from(
            Some(&path),
            &env(&[("WXC__GATEWAY__LISTEN", "127.0.0.1:9000")]),
        )
        .expect("settings");
        assert_eq!(s.listen, "127.0.0.1:9000");
        assert_eq!(s.routes.len(), 1);
        assert_eq!(s.services["extra"].health_check, HealthCheckKind::Tcp);
        assert!(s.services.contains_key("business"));
    }

    #[test]
    fn errors_name_the_setting() {
        let err = Settings::load_from(
            None,
            &env(&[("WXC__GATEWAY__SERVICES__BUSINESS__ADDRESS", "business")]),
        )
        .expect_err("bad address");
        assert!(
            err.to_string().contains("services.business.address"),
            "{err}"
        );
        let err = Settings::load_from(None, &env(&[("WXC__GATEWAY__LISTEN", "nope")]))
            .expect_err("bad listen");
        assert!(err.to_string().contains("`listen`"), "{err}");
        let err = Settings::load_from(None, &env(&[("WXC__GATEWAY__DEFAULT_SERVICE", "zzz")]))
            .expect_err("unknown service");
        assert!(err.to_string().contains("default_service"), "{err}");
        let err = Settings::load_from(None, &env(&[("WXC__GATEWAY__THREADS", "many")]))
            .expect_err("bad number");
        assert!(err.to_string().contains("threads"), "{err}");
    }

    #[test]
    fn inner_token_from_file_or_admin_variable_and_redacted() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("token");
        std::fs::write(&path, "s3cret\n").expect("write");
        let s = Settings::load_from(
            None,
            &env(&[(
                "WXC__GATEWAY__ADMIN_ROUTES__INNER_TOKEN_FILE",
                path.to_str().expect("utf-8 path"),
            )]),
        )
        .expect("settings");
        assert_eq!(s.admin_routes.inner_token.expose_secret(), "s3cret");
        assert!(!format!("{s:?}").contains("s3cret"));

        let s = Settings::load_from(None, &env(&[(ADMIN_INNER_TOKEN_ENV, "shared")]))
            .expect("settings");
        assert_eq!(s.admin_routes.inner_token.expose_secret(), "shared");
    }

    #[test]
    fn the_deploy_file_is_valid_and_equals_the_defaults() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/gateway.yaml");
        let mut file =
            Settings::load_from(Some(&path), &HashMap::new()).expect("deploy/gateway.yaml");
        assert_eq!(file.loaded_from.as_deref(), Some(path.as_path()));
        file.loaded_from = None;
        let defaults = Settings::load_from(None, &HashMap::new()).expect("defaults");
        assert_eq!(format!("{file:?}"), format!("{defaults:?}"));
    }

    #[test]
    fn host_port_lists() {
        assert_eq!(
            parse_address_list("a:1, b:2").expect("list"),
            vec![("a".to_string(), 1), ("b".to_string(), 2)]
        );
        assert_eq!(
            parse_host_port("[::1]:8080").expect("v6"),
            ("::1".to_string(), 8080)
        );
        assert!(parse_host_port("a:0").is_err());
        assert!(parse_host_port("a").is_err());
    }
}
