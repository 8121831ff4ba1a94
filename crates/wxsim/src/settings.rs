//! wxsim's own settings: defaults < `--config` TOML file < `WXSIM__KEY` variables.
//! They mirror the identity the platform is configured with, so the platform
//! under test and the simulator agree on appid, secret, token and key.

use serde::Deserialize;

/// How the simulator behaves and whom it pushes to.
#[derive(Debug, Clone, Deserialize)]
pub struct SimSettings {
    /// Interface to bind.
    pub host: String,
    /// Port to bind; 0 picks a free one.
    pub port: u16,
    /// The third-party platform appid the fake API accepts.
    pub component_appid: String,
    /// The platform AppSecret the fake API accepts.
    pub component_secret: String,
    /// Message-verification token used to sign pushes.
    pub token: String,
    /// EncodingAESKey used to encrypt pushes.
    pub encoding_aes_key: String,
    /// Base URL of the platform's callback receiver (or gateway), e.g.
    /// `http://127.0.0.1:8081`; pushes go to `/wxcallback/component` and
    /// `/wxcallback/biz/{appid}` under it.
    pub callback_url: String,
    /// Body format of pushes: `xml` or `json`.
    pub push_format: String,
    /// Push as WeChat Cloud Run does: plain JSON with `x-wx-source`.
    pub push_cloudrun: bool,
    /// Seconds between automatic `component_verify_ticket` pushes; 0 turns them off.
    pub ticket_interval_secs: u64,
    /// How long a pushed ticket is accepted.
    pub ticket_ttl_secs: i64,
    /// Lifetime of every access token (WeChat: 7200).
    pub token_ttl_secs: i64,
    /// How long a replaced token keeps working after its successor is issued.
    pub token_overlap_secs: i64,
    /// Lifetime of a pre-auth code (WeChat: 1800).
    pub preauth_code_ttl_secs: i64,
    /// Lifetime of an authorization code (WeChat: 3600).
    pub auth_code_ttl_secs: i64,
    /// How long WeChat waits for an answer to a push.
    pub push_timeout_ms: u64,
    /// How many times an unanswered or failed push is sent again.
    pub push_retries: u32,
    /// The platform's own mini program (for `/sns/jscode2session`).
    pub mini_program_appid: String,
    /// Its AppSecret.
    pub mini_program_secret: String,
    /// Templates the platform's template library holds before
    /// `/wxa/addtotemplate` answers 85065 (template list is full). WeChat
    /// documents the code, not the number: set it to what your account shows.
    pub template_library_limit: usize,
    /// Experience members (体验者) one mini program may have before
    /// `/wxa/bind_tester` answers 85002. WeChat documents the code, not the
    /// number.
    pub tester_limit: usize,
    /// Mini programs one WeChat user may be an experience member of before
    /// `/wxa/bind_tester` answers 85003. WeChat documents the code, not the
    /// number.
    pub tester_weapp_limit: usize,
    /// Audits the platform may submit per (Beijing) calendar month, shared
    /// by all its mini programs (`/wxa/queryquota` `limit`; 85085 beyond).
    /// WeChat sets it per platform from its history: set it to what
    /// `queryquota` answers your platform.
    pub audit_quota_limit: i64,
    /// Speed-ups (`/wxa/speedupaudit`) the platform may ask per month
    /// (`speedup_limit`; 89405 beyond). Set per platform by WeChat, like
    /// `audit_quota_limit`.
    pub speedup_quota_limit: i64,
    /// Changes of the platform's 小程序业务域名 (`modify_wxa_jump_domain`)
    /// accepted per month; 0 = no limit. WeChat documents a quota (50) for
    /// the server domains, none for the business domains: set this to what
    /// your account meets.
    pub jump_domain_changes_per_month: usize,
    /// Base URL (as a browser reaches wxsim, e.g. `http://127.0.0.1:9101`)
    /// of the accounts' head images and QR codes, which wxsim then serves
    /// itself (`/__sim/media/...`); empty = WeChat's image hosts, as WeChat
    /// answers, which a machine without Internet cannot load.
    pub media_url: String,
}

const DEFAULTS: &str = r#"
host = "127.0.0.1"
port = 9101
component_appid = "wxcomponentsim0001"
component_secret = "wxsim-component-secret"
token = "wxsimtoken"
encoding_aes_key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
callback_url = "http://127.0.0.1:8081"
push_format = "xml"
push_cloudrun = false
ticket_interval_secs = 600
ticket_ttl_secs = 43200
token_ttl_secs = 7200
token_overlap_secs = 300
preauth_code_ttl_secs = 1800
auth_code_ttl_secs = 3600
push_timeout_ms = 5000
push_retries = 3
mini_program_appid = "wxminiprogramsim01"
mini_program_secret = "wxsim-mini-program-secret"
template_library_limit = 100
tester_limit = 100
tester_weapp_limit = 50
audit_quota_limit = 1000
speedup_quota_limit = 10
jump_domain_changes_per_month = 0
media_url = ""
"#;

impl Default for SimSettings {
    fn default() -> Self {
        // The built-in defaults always parse; a failure here is a bug in DEFAULTS.
        Self::load(None, std::iter::empty()).expect("built-in wxsim defaults parse")
    }
}

impl SimSettings {
    /// Loads defaults, then the optional TOML file, then `WXSIM__*` variables
    /// from `env`. Errors name the setting at fault.
    pub fn load(
        file: Option<&str>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, config::ConfigError> {
        let mut builder = config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml));
        if let Some(path) = file {
            builder = builder.add_source(config::File::new(path, config::FileFormat::Toml));
        }
        let env: config::Map<String, String> = env
            .into_iter()
            .filter(|(k, _)| k.starts_with("WXSIM__"))
            .collect();
        let settings: SimSettings = builder
            .add_source(
                config::Environment::with_prefix("WXSIM")
                    .prefix_separator("__")
                    .separator("__")
                    .source(Some(env)),
            )
            .build()?
            .try_deserialize()?;
        if !matches!(settings.push_format.as_str(), "xml" | "json") {
            return Err(config::ConfigError::Message(format!(
                "invalid setting `push_format`: {:?}, expected \"xml\" or \"json\"",
                settings.push_format
            )));
        }
        Ok(settings)
    }
}
