//! Layered configuration shared by every service.
//!
//! Precedence, lowest first: built-in defaults < the optional file named by
//! `WXC_CONFIG` (TOML) < the variables WeChat Cloud Run sets (`MYSQL_ADDRESS`,
//! `MYSQL_USERNAME`, `MYSQL_PASSWORD`, `MYSQL_DATABASE`, `WX_APPID`,
//! `CBR_ENV_ID` and `HOSTNAME`) <
//! `WXC__SECTION__KEY` environment variables. Any `WXC__SECTION__KEY_FILE`
//! variable is read from the named file (Docker and Kubernetes secrets).
//! A malformed value fails at start with an error naming the setting; secrets
//! are `SecretString` so they never reach a log line through `Debug`.
//!
//! [`Layers`] is the one loader behind these settings and the gateway's own
//! (`WXC__GATEWAY__*`), so `_FILE` variables mean the same everywhere: the
//! prefix `WXC__` and the suffix `_FILE` in any case; the file's content
//! without trailing whitespace (the line break an editor or `echo` adds)
//! becomes the value of the variable without `_FILE`, and wins over that
//! variable when both are set; a file that cannot be read fails the start
//! naming the variable.

use std::collections::HashMap;
use std::path::PathBuf;

use config::builder::DefaultState;
use config::{
    Config, ConfigBuilder, ConfigError, Environment, File, FileFormat, Map, Source, Value,
    ValueKind,
};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::Deserialize;

/// Prefix of the project's own environment variables (`WXC__DATABASE__URL`).
pub const ENV_PREFIX: &str = "WXC";
/// Environment variable naming an optional TOML configuration file.
pub const CONFIG_FILE_ENV: &str = "WXC_CONFIG";

/// Every setting of the stack. One file can configure all services; each
/// service reads only the sections it needs.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// Where the shared database lives.
    pub database: DatabaseSettings,
    /// The third-party platform's identity and WeChat endpoints.
    pub wechat: WechatSettings,
    /// The callback receiver (WeChat's push URLs).
    pub callback: CallbackSettings,
    /// The admin service (token manager, admin API, console).
    pub admin: AdminSettings,
    /// Timing of the token core shared by admin and callback.
    pub tokens: TokenSettings,
    /// The example business service.
    pub business: BusinessSettings,
    /// Log verbosity and format.
    pub log: LogSettings,
    /// The master key that encrypts secrets stored in the database.
    pub secrets: SecretsSettings,
    /// How long stored pushes are kept.
    pub records: RecordsSettings,
    /// The admin's release-campaign runner.
    pub campaigns: CampaignSettings,
}

/// Database connection settings.
#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    /// `sqlite://path` or `mysql://user:password@host:port/db`; may carry a password.
    pub url: SecretString,
    /// Maximum connections per process.
    pub pool_size: u32,
    /// How long a SQLite writer waits for the lock before failing.
    pub sqlite_busy_timeout_ms: u32,
    /// How long to wait for a free pooled connection.
    pub connect_timeout_ms: u64,
}

/// The platform's WeChat identity. Secrets are redacted in `Debug`.
#[derive(Debug, Clone, Deserialize)]
pub struct WechatSettings {
    /// The third-party platform appid (`WX_APPID` on Cloud Run).
    pub component_appid: String,
    /// The platform's AppSecret.
    pub component_secret: SecretString,
    /// The message-verification token configured on the open platform.
    pub token: SecretString,
    /// The 43-character EncodingAESKey configured on the open platform.
    pub encoding_aes_key: SecretString,
    /// Base URL of the WeChat API; points at wxsim in tests and local runs.
    pub api_base_url: String,
}

/// The example business service.
#[derive(Debug, Clone, Deserialize)]
pub struct BusinessSettings {
    /// Interface to bind; `0.0.0.0` in containers.
    pub host: String,
    /// Port to bind; 0 picks a free one (tests).
    pub port: u16,
    /// Where the admin's inner API is reached: the gateway's internal listener.
    pub inner_api_url: String,
    /// The shared token presented on `/inner/*` (the admin's `admin.inner_token`).
    pub inner_token: SecretString,
    /// HS256 secret of the mini-program login JWT; empty = generated once and stored.
    pub jwt_secret: SecretString,
    /// Lifetime of a login JWT (7 days).
    pub jwt_expiry_secs: i64,
    /// The platform's own mini program (`WX_APPID`-style login with its own secret).
    pub mini_program_appid: String,
    /// Its AppSecret (`WX_SECRET` on Cloud Run).
    pub mini_program_secret: SecretString,
    /// Text sent to a user who follows an authorized official account; empty = none.
    pub welcome_message: String,
    /// Bearer token operators present on the management routes (menus, tags,
    /// remarks, auto-reply rules); empty = those routes are refused.
    pub api_token: SecretString,
}

/// The callback receiver.
#[derive(Debug, Clone, Deserialize)]
pub struct CallbackSettings {
    /// Interface to bind.
    pub host: String,
    /// Port to bind; 0 picks a free one (tests).
    pub port: u16,
    /// Accept WeChat Cloud Run's plain JSON pushes (header `x-wx-source`).
    /// Only safe when the service is reachable solely through Cloud Run.
    pub cloudrun_mode: bool,
    /// Pushes whose `timestamp` is further off than this are refused; 0 disables the check.
    pub max_clock_skew_secs: i64,
    /// How long a forward rule's target may take before we answer `success`.
    pub forward_timeout_ms: u64,
    /// Host that wxcomponent-style rules (`{port, path}`) are forwarded to.
    pub forward_host: String,
    /// Largest push body accepted.
    pub max_body_bytes: usize,
    /// Threads storing pushes on MySQL, each committing a batch while the
    /// next one fills (SQLite always has one writer).
    pub store_writers: usize,
    /// Most pushes committed in one transaction.
    pub store_batch_max: usize,
    /// Comma-separated appids WeChat's full-network-release check uses; only
    /// their pushes get the check's special answers.
    pub release_test_appids: String,
    /// The Cloud Run environment pushes are delivered in (`CBR_ENV_ID`), shown
    /// by the console's push configuration; empty off Cloud Run.
    pub cloudrun_env_id: String,
    /// The Cloud Run service pushes are delivered to (derived from
    /// `HOSTNAME` on Cloud Run, see [`cloudrun_service_name`]); empty off Cloud Run.
    pub cloudrun_service: String,
}

impl CallbackSettings {
    /// The release-check appids as a list.
    pub fn release_test_appids(&self) -> Vec<String> {
        self.release_test_appids
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }
}

/// The admin service.
#[derive(Debug, Clone, Deserialize)]
pub struct AdminSettings {
    /// Interface to bind.
    pub host: String,
    /// Port to bind; 0 picks a free one (tests).
    pub port: u16,
    /// HS256 secret for console JWTs; empty = generated once and stored in the database.
    pub jwt_secret: SecretString,
    /// Lifetime of a console JWT.
    pub jwt_expiry_secs: i64,
    /// The first administrator's username (created at first start).
    pub username: String,
    /// The first administrator's password; empty = a random one printed once.
    pub password: SecretString,
    /// Failed logins per IP before the lockout.
    pub login_max_failures: u32,
    /// How long the lockout lasts.
    pub login_lockout_secs: i64,
    /// Shared token business services and the gateway present on `/inner/*`
    /// (`Authorization: Bearer ...` or `X-Inner-Token`); empty = no token accepted.
    pub inner_token: SecretString,
    /// Let loopback callers use `/inner/*` without the token (single-host set-ups).
    pub inner_allow_loopback: bool,
    /// Comma-separated addresses or CIDRs of proxies (the gateway) whose
    /// `X-Forwarded-For` is believed when finding a client's IP for the lockout.
    pub trusted_proxies: String,
    /// A built wxcomponent console (`client/dist`) to serve at `/`; empty =
    /// the built-in single-page console.
    pub console_dir: String,
    /// Base of PC authorization links (WeChat's `componentloginpage`).
    pub auth_pc_url: String,
    /// Base of H5 authorization links (WeChat's `bindcomponent`).
    pub auth_h5_url: String,
    /// How often the admin's housekeeping runs (expired login-failure counts,
    /// push records past `records.retention_days`); 0 disables it.
    pub housekeeping_interval_secs: u64,
}

/// Retention of the stored pushes (`wxcallback_component`, `wxcallback_biz`):
/// one component row arrives every 10 minutes for the ticket alone, so
/// without a limit the tables only grow.
#[derive(Debug, Clone, Deserialize)]
pub struct RecordsSettings {
    /// Pushes received longer ago than this many days are deleted by the
    /// admin's housekeeping; 0 keeps them forever.
    pub retention_days: u32,
    /// Rows deleted per statement, so a purge never holds long locks.
    pub purge_batch_rows: u32,
}

/// The admin's release-campaign runner (one template released to many mini
/// programs): how much it works at once and how fast it may call WeChat.
#[derive(Debug, Clone, Deserialize)]
pub struct CampaignSettings {
    /// Accounts one admin replica works at the same time; 0 disables the
    /// runner in this replica (campaigns are still created and shown).
    pub workers: usize,
    /// WeChat calls all replicas together make for campaigns in any 60 s.
    pub calls_per_minute: u32,
    /// Time between two `get_auditstatus` polls of one audit.
    pub poll_interval_ms: u64,
    /// How long an idle worker waits before looking for due work again.
    pub scan_interval_ms: u64,
    /// First delay after a transient WeChat error (doubled per attempt).
    pub backoff_base_ms: u64,
    /// Longest delay between retries.
    pub backoff_max_ms: u64,
    /// Attempts of one step before the account is marked failed.
    pub max_attempts: u32,
    /// How long a replica owns an account it claimed; a crashed replica's
    /// accounts are taken over after this.
    pub lease_secs: u64,
}

/// Timing of the token core.
#[derive(Debug, Clone, Deserialize)]
pub struct TokenSettings {
    /// Never hand out a token that expires within this many seconds.
    pub request_margin_secs: u64,
    /// The background refresher renews tokens this long before they expire.
    pub refresh_margin_secs: u64,
    /// How often the background refresher looks at the stored tokens.
    pub refresh_interval_secs: u64,
    /// A refresh lock of a crashed process is taken over after this long.
    pub lock_ttl_secs: u64,
    /// How long to wait for another process's refresh.
    pub lock_wait_secs: u64,
    /// Timeout of every WeChat API call.
    pub wechat_timeout_ms: u64,
    /// How long a process trusts its in-memory copy of a token before
    /// re-reading the database (another replica may have replaced it).
    pub cache_ttl_secs: u64,
    /// First retry delay of the background refresher after a failure
    /// (doubled per failure, jittered).
    pub refresh_backoff_min_ms: u64,
    /// Longest delay between the background refresher's retries.
    pub refresh_backoff_max_ms: u64,
    /// At most one `api_start_push_ticket` per process within this many
    /// seconds while no ticket has arrived.
    pub start_push_interval_secs: u64,
}

/// The master key for secrets stored in the database (AES-256-GCM).
#[derive(Debug, Clone, Deserialize)]
pub struct SecretsSettings {
    /// Base64 of 32 random bytes; empty = the key in the file at `key_path`.
    /// `WXC__SECRETS__MASTER_KEY_FILE` reads it from a Docker/Kubernetes secret.
    pub master_key: SecretString,
    /// File holding the master key; the admin service creates it (mode 0600)
    /// at first start when `master_key` is empty. Share it between replicas.
    pub key_path: String,
    /// wxcomponent's `MYSQL_PASSWORD`, to read a secret it stored (its key is
    /// the md5 of that password); empty = the password in `database.url`.
    pub legacy_mysql_password: SecretString,
}

/// Logging settings, the same `[log]` section for every service and the
/// gateway; a misspelt key is refused rather than ignored.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// A `tracing` filter such as `info` or `business=debug,info`.
    pub level: String,
    /// Emit JSON lines instead of human-readable text.
    pub json: bool,
}

/// Why configuration could not be loaded; the message names the setting.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The config crate refused a source or a value.
    #[error("configuration error: {0}")]
    Config(#[from] ConfigError),
    /// A value parsed but is not acceptable.
    #[error("invalid setting `{setting}`: {reason}")]
    Invalid {
        /// Dotted name of the setting, e.g. `database.url`.
        setting: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A `*_FILE` variable names a file that cannot be read.
    #[error("cannot read `{variable}` from {path}: {source}")]
    SecretFile {
        /// The environment variable holding the path.
        variable: String,
        /// The path it names.
        path: PathBuf,
        /// The I/O failure.
        source: std::io::Error,
    },
}

impl Settings {
    /// Loads settings from the process environment.
    pub fn load() -> Result<Self, SettingsError> {
        Self::load_from(&std::env::vars().collect())
    }

    /// Loads settings from an explicit environment map, so tests never touch
    /// process-global state.
    pub fn load_from(env: &HashMap<String, String>) -> Result<Self, SettingsError> {
        // The order of the module doc: what the platform running the
        // container says (Cloud Run's database and appid) wins over a file
        // baked into the image.
        let mut layers = Layers::new(DEFAULTS, env)?;
        if let Some(path) = env.get(CONFIG_FILE_ENV).filter(|p| !p.is_empty()) {
            layers = layers.with(File::new(path, FileFormat::Toml).required(true));
        }
        let settings: Settings = layers.with(CloudRunEnv(env.clone())).load(ENV_PREFIX)?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), SettingsError> {
        crate::config::DatabaseUrl::parse(self.database.url.expose_secret())?;
        if self.database.pool_size == 0 {
            return Err(SettingsError::Invalid {
                setting: "database.pool_size",
                reason: "must be at least 1".into(),
            });
        }
        let key = self.wechat.encoding_aes_key.expose_secret();
        if !key.is_empty() && key.len() != 43 {
            return Err(SettingsError::Invalid {
                setting: "wechat.encoding_aes_key",
                reason: format!("must be 43 characters, got {}", key.len()),
            });
        }
        if self.campaigns.calls_per_minute == 0 {
            return Err(SettingsError::Invalid {
                setting: "campaigns.calls_per_minute",
                reason: "must be at least 1".into(),
            });
        }
        if self.campaigns.max_attempts == 0 {
            return Err(SettingsError::Invalid {
                setting: "campaigns.max_attempts",
                reason: "must be at least 1".into(),
            });
        }
        if self.campaigns.lease_secs == 0 {
            return Err(SettingsError::Invalid {
                setting: "campaigns.lease_secs",
                reason: "must be at least 1".into(),
            });
        }
        if self.records.purge_batch_rows == 0 {
            return Err(SettingsError::Invalid {
                setting: "records.purge_batch_rows",
                reason: "must be at least 1".into(),
            });
        }
        if !self.wechat.api_base_url.starts_with("http://")
            && !self.wechat.api_base_url.starts_with("https://")
        {
            return Err(SettingsError::Invalid {
                setting: "wechat.api_base_url",
                reason: "must start with http:// or https://".into(),
            });
        }
        Ok(())
    }
}

/// The layered loader (see the module doc): built-in defaults, then the
/// sources added with [`Layers::with`] (each above the ones before), then
/// the `{prefix}__SECTION__KEY` variables with `_FILE` variables resolved.
pub struct Layers {
    builder: ConfigBuilder<DefaultState>,
    env: HashMap<String, String>,
}

impl Layers {
    /// Starts from `defaults` (TOML text) and reads every `WXC__..._FILE`
    /// variable of `env` now, so a missing file fails naming its variable.
    pub fn new(defaults: &str, env: &HashMap<String, String>) -> Result<Self, SettingsError> {
        Ok(Self {
            builder: Config::builder().add_source(File::from_str(defaults, FileFormat::Toml)),
            env: resolve_secret_files(env)?,
        })
    }

    /// Adds a layer above the ones before it (a file, Cloud Run's variables).
    pub fn with(mut self, source: impl Source + Send + Sync + 'static) -> Self {
        self.builder = self.builder.add_source(source);
        self
    }

    /// A `WXC__` variable as the settings see it (its `_FILE` variant read),
    /// for a service that honours another's variable (the gateway, the
    /// admin's inner token); `None` when unset.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.env.get(name).map(String::as_str)
    }

    /// Adds the `{prefix}__SECTION__KEY` variables on top and reads the
    /// settings; errors name the setting.
    pub fn load<T: DeserializeOwned>(self, prefix: &str) -> Result<T, SettingsError> {
        Ok(self
            .builder
            .add_source(
                Environment::with_prefix(prefix)
                    .prefix_separator("__")
                    .separator("__")
                    .try_parsing(false)
                    .source(Some(self.env)),
            )
            .build()?
            .try_deserialize()?)
    }
}

const DEFAULTS: &str = r#"
[database]
url = "sqlite://./data/wxcomponent.db"
pool_size = 10
sqlite_busy_timeout_ms = 5000
connect_timeout_ms = 5000

[wechat]
component_appid = ""
component_secret = ""
token = ""
encoding_aes_key = ""
api_base_url = "https://api.weixin.qq.com"

[callback]
host = "0.0.0.0"
port = 8081
cloudrun_mode = false
max_clock_skew_secs = 300
forward_timeout_ms = 4500
forward_host = "127.0.0.1"
max_body_bytes = 1048576
store_writers = 2
store_batch_max = 256
release_test_appids = "wx570bc396a51b8ff8,wxd101a85aa106f53e"
cloudrun_env_id = ""
cloudrun_service = ""

[admin]
host = "0.0.0.0"
port = 8082
jwt_secret = ""
jwt_expiry_secs = 43200
username = "admin"
password = ""
login_max_failures = 10
login_lockout_secs = 3600
inner_token = ""
inner_allow_loopback = false
trusted_proxies = "127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7"
console_dir = ""
auth_pc_url = "https://mp.weixin.qq.com/cgi-bin/componentloginpage"
auth_h5_url = "https://open.weixin.qq.com/wxaopen/safe/bindcomponent"
housekeeping_interval_secs = 3600

[tokens]
request_margin_secs = 60
refresh_margin_secs = 600
refresh_interval_secs = 30
lock_ttl_secs = 15
lock_wait_secs = 10
wechat_timeout_ms = 5000
cache_ttl_secs = 30
refresh_backoff_min_ms = 5000
refresh_backoff_max_ms = 300000
start_push_interval_secs = 10

[business]
host = "0.0.0.0"
port = 8083
inner_api_url = "http://127.0.0.1:8080"
inner_token = ""
jwt_secret = ""
jwt_expiry_secs = 604800
mini_program_appid = ""
mini_program_secret = ""
welcome_message = "感谢关注！"
api_token = ""

[records]
retention_days = 0
purge_batch_rows = 1000

[campaigns]
workers = 4
calls_per_minute = 600
poll_interval_ms = 60000
scan_interval_ms = 1000
backoff_base_ms = 2000
backoff_max_ms = 600000
max_attempts = 8
lease_secs = 120

[log]
level = "info"
json = false

[secrets]
master_key = ""
key_path = "./data/master.key"
legacy_mysql_password = ""
"#;

/// Which database a URL selects. Chosen from the scheme explicitly because
/// SQLite would accept any string as a file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// An embedded SQLite file at this path.
    Sqlite(PathBuf),
    /// A MySQL or MariaDB server; the full `mysql://` URL.
    Mysql(String),
}

impl DatabaseUrl {
    /// Parses `sqlite://path`, `sqlite:path` or `mysql://...`.
    pub fn parse(url: &str) -> Result<Self, SettingsError> {
        let invalid = |reason: &str| SettingsError::Invalid {
            setting: "database.url",
            reason: reason.to_string(),
        };
        if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            if path.is_empty() {
                return Err(invalid(
                    "sqlite URL has no file path (sqlite://./data/wxcomponent.db)",
                ));
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        if let Some(rest) = url.strip_prefix("mysql://") {
            if rest.is_empty() || !rest.contains('/') {
                return Err(invalid(
                    "mysql URL needs a host and a database (mysql://user:password@host:3306/wxcomponent)",
                ));
            }
            return Ok(Self::Mysql(url.to_string()));
        }
        Err(invalid("scheme must be sqlite:// or mysql://"))
    }
}

/// The variables WeChat Cloud Run injects, mapped onto our settings.
#[derive(Debug, Clone)]
struct CloudRunEnv(HashMap<String, String>);

impl Source for CloudRunEnv {
    fn clone_into_box(&self) -> Box<dyn Source + Send + Sync> {
        Box::new(self.clone())
    }

    fn collect(&self) -> Result<Map<String, Value>, ConfigError> {
        let get = |k: &str| self.0.get(k).filter(|v| !v.is_empty());
        let origin = Some("WeChat Cloud Run environment".to_string());
        let mut map = Map::new();
        if let Some(address) = get("MYSQL_ADDRESS") {
            let user = get("MYSQL_USERNAME").map_or("root", |s| s.as_str());
            let database = get("MYSQL_DATABASE").map_or("wxcomponent", |s| s.as_str());
            let credentials = match get("MYSQL_PASSWORD") {
                Some(password) => format!("{}:{}", url_encode(user), url_encode(password)),
                None => url_encode(user),
            };
            let url = format!("mysql://{credentials}@{address}/{}", url_encode(database));
            map.insert(
                "database.url".into(),
                Value::new(origin.as_ref(), ValueKind::String(url)),
            );
        }
        if let Some(secret) = get("WX_SECRET") {
            map.insert(
                "business.mini_program_secret".into(),
                Value::new(origin.as_ref(), ValueKind::String(secret.clone())),
            );
        }
        if let Some(appid) = get("WX_APPID") {
            map.insert(
                "wechat.component_appid".into(),
                Value::new(origin.as_ref(), ValueKind::String(appid.clone())),
            );
        }
        // Only Cloud Run sets CBR_ENV_ID; elsewhere HOSTNAME names a
        // container or a pod, not a Cloud Run service.
        if let Some(env_id) = get("CBR_ENV_ID") {
            map.insert(
                "callback.cloudrun_env_id".into(),
                Value::new(origin.as_ref(), ValueKind::String(env_id.clone())),
            );
            if let Some(service) = get("HOSTNAME").and_then(|h| cloudrun_service_name(h)) {
                map.insert(
                    "callback.cloudrun_service".into(),
                    Value::new(origin.as_ref(), ValueKind::String(service.to_string())),
                );
            }
        }
        Ok(map)
    }
}

/// The Cloud Run service a container belongs to, from its `HOSTNAME`.
/// Cloud Run names versions `<service>-<NNN>` and instances
/// `<service>-<NNN>-<random...>`, so the service is everything before the
/// first all-digit part after the first; 微管家 (`comm/wx/base/wxinfo.go`)
/// takes everything before the first `-`, which is the same for service
/// names without a dash and is the fallback when no version part is found.
/// `None` when the hostname names no service that way.
pub fn cloudrun_service_name(hostname: &str) -> Option<&str> {
    let first_dash = hostname.find('-')?;
    let mut end = first_dash;
    for part in hostname[first_dash + 1..].split('-') {
        if !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) {
            break;
        }
        end += 1 + part.len();
    }
    if end >= hostname.len() {
        end = first_dash;
    }
    Some(&hostname[..end]).filter(|service| !service.is_empty())
}

/// The `WXC__` variables of `env`, every `..._FILE` one replaced by the
/// content of the file it names (the rule of the module doc).
fn resolve_secret_files(
    env: &HashMap<String, String>,
) -> Result<HashMap<String, String>, SettingsError> {
    const PREFIX: &str = "WXC__";
    const SUFFIX: &str = "_FILE";
    let mut out = HashMap::new();
    for (name, value) in env {
        let upper = name.to_ascii_uppercase();
        if !upper.starts_with(PREFIX) {
            continue;
        }
        let target = upper
            .strip_suffix(SUFFIX)
            .and_then(|plain| name.get(..plain.len()));
        match target {
            Some(target) => {
                let path = PathBuf::from(value);
                let content =
                    std::fs::read_to_string(&path).map_err(|source| SettingsError::SecretFile {
                        variable: name.clone(),
                        path: path.clone(),
                        source,
                    })?;
                out.insert(target.to_string(), content.trim_end().to_string());
            }
            None => {
                out.entry(name.clone()).or_insert_with(|| value.clone());
            }
        }
    }
    Ok(out)
}

/// Percent-encodes a URL userinfo or path component.
fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
