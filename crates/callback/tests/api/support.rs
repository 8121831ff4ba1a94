//! A real callback receiver on a free port with a fresh database, and a real
//! wxsim pushing to it; helpers to craft pushes by hand and to read what was stored.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::web;
use callback::Application;
use common::config::Settings;
use common::crypto::WxCrypt;
use common::db::testing::TestDatabase;
use common::db::Db;
use serde_json::{json, Value};
use wxsim::testing::TestSim;
use wxsim::{SimSettings, SimState};

/// A running callback receiver wired to a running wxsim.
pub struct Stack {
    pub callback_url: String,
    pub sim_url: String,
    pub sim: web::Data<SimState>,
    pub sim_settings: SimSettings,
    pub db: Db,
    pub client: reqwest::Client,
    pub crypt: WxCrypt,
    settings: Settings,
    /// Held so the test database outlives every service using it.
    _database: Arc<TestDatabase>,
}

/// Options a test may change.
#[derive(Clone)]
pub struct Options {
    pub push_format: &'static str,
    pub cloudrun_mode: bool,
    pub push_retries: u32,
    pub forward_timeout_ms: u64,
    pub max_body_bytes: Option<usize>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            push_format: "xml",
            cloudrun_mode: false,
            push_retries: 0,
            forward_timeout_ms: 4500,
            max_body_bytes: None,
        }
    }
}

impl Stack {
    pub async fn start() -> Self {
        Self::start_with(Options::default()).await
    }

    pub async fn start_with(options: Options) -> Self {
        let database = Arc::new(TestDatabase::new());
        // wxsim must know the receiver's port before either starts, so the port
        // is picked free and given up; should something else take it meanwhile,
        // both start again on another.
        let mut attempt = 0;
        let (callback_url, sim_settings, sim_url, sim_state, settings) = loop {
            attempt += 1;
            let port = common::loopback::free_port();
            let callback_url = format!("http://127.0.0.1:{port}");
            let sim = TestSim::spawn(SimSettings {
                push_timeout_ms: 5000,
                push_retries: options.push_retries,
                push_format: options.push_format.into(),
                ..wxsim::testing::settings(&callback_url)
            })
            .await;
            let (sim_settings, sim_url, sim_state) = (sim.settings, sim.base_url, sim.state);

            let mut env = HashMap::from([
                ("WXC__DATABASE__URL", database.url().to_string()),
                ("WXC__CALLBACK__HOST", "127.0.0.1".into()),
                ("WXC__CALLBACK__PORT", port.to_string()),
                (
                    "WXC__CALLBACK__CLOUDRUN_MODE",
                    options.cloudrun_mode.to_string(),
                ),
                (
                    "WXC__CALLBACK__FORWARD_TIMEOUT_MS",
                    options.forward_timeout_ms.to_string(),
                ),
                (
                    "WXC__WECHAT__COMPONENT_APPID",
                    sim_settings.component_appid.clone(),
                ),
                (
                    "WXC__WECHAT__COMPONENT_SECRET",
                    sim_settings.component_secret.clone(),
                ),
                ("WXC__WECHAT__TOKEN", sim_settings.token.clone()),
                (
                    "WXC__WECHAT__ENCODING_AES_KEY",
                    sim_settings.encoding_aes_key.clone(),
                ),
                ("WXC__WECHAT__API_BASE_URL", sim_url.clone()),
                ("WXC__TOKENS__REQUEST_MARGIN_SECS", "1".into()),
            ]);
            if let Some(limit) = options.max_body_bytes {
                env.insert("WXC__CALLBACK__MAX_BODY_BYTES", limit.to_string());
            }
            let env: HashMap<String, String> =
                env.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
            let settings = Settings::load_from(&env).expect("callback settings");
            match Application::build(settings.clone()).await {
                Ok(app) => {
                    tokio::spawn(app.run_until_stopped());
                    break (callback_url, sim_settings, sim_url, sim_state, settings);
                }
                Err(callback::StartError::Bind { .. }) if attempt < 5 => continue,
                Err(e) => panic!("callback starts: {e}"),
            }
        };
        let db_settings = database.settings();
        let db = tokio::task::spawn_blocking(move || Db::connect(&db_settings))
            .await
            .expect("join")
            .expect("test db handle");
        let crypt = WxCrypt::new(
            &sim_settings.token,
            &sim_settings.encoding_aes_key,
            &sim_settings.component_appid,
        )
        .expect("crypt");
        Self {
            callback_url,
            sim_url,
            sim: sim_state,
            sim_settings,
            db,
            client: reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("client"),
            crypt,
            settings,
            _database: database,
        }
    }

    /// Starts another receiver on the same database and settings (a
    /// restarted process, or a second replica); answers its base URL.
    pub async fn another_callback(&self) -> String {
        let mut settings = self.settings.clone();
        settings.callback.port = 0;
        let app = Application::build(settings)
            .await
            .expect("second callback starts");
        let url = format!("http://{}", app.address());
        tokio::spawn(app.run_until_stopped());
        url
    }

    /// POSTs to a wxsim control route and answers its JSON.
    pub async fn sim_post(&self, path: &str, body: Value) -> Value {
        let response = self
            .client
            .post(format!("{}{path}", self.sim_url))
            .json(&body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"));
        response.json().await.expect("wxsim answers JSON")
    }

    /// A raw request to the callback receiver.
    pub async fn post(
        &self,
        path_and_query: &str,
        body: impl Into<reqwest::Body>,
    ) -> (u16, String) {
        let response = self
            .client
            .post(format!("{}{path_and_query}", self.callback_url))
            .body(body)
            .send()
            .await
            .expect("callback answers");
        let status = response.status().as_u16();
        (status, response.text().await.expect("body"))
    }

    /// An encrypted, signed push of `plaintext` to `path` as WeChat sends it:
    /// (query string, body).
    pub fn seal_push(&self, plaintext: &str, to: &str) -> (String, String) {
        let timestamp = now().to_string();
        let nonce = format!("{}", rand_u32());
        let encrypt = self.crypt.encrypt(plaintext);
        let signature = self.crypt.url_signature(&timestamp, &nonce);
        let msg_signature = self.crypt.msg_signature(&timestamp, &nonce, &encrypt);
        let body = format!("<xml><ToUserName><![CDATA[{to}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>");
        let query = format!(
            "?signature={signature}&timestamp={timestamp}&nonce={nonce}&encrypt_type=aes&msg_signature={msg_signature}"
        );
        (query, body)
    }

    /// Waits until `check` holds (the background work it observes is
    /// asynchronous), up to 10 s.
    pub async fn eventually<F, Fut>(&self, what: &str, mut check: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if check().await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("timed out waiting for: {what}");
    }

    /// Pushes a fresh ticket through wxsim and answers it.
    pub async fn push_ticket(&self) -> String {
        let outcome = self.sim_post("/__sim/push/ticket", json!({})).await;
        assert_eq!(outcome["push"]["delivered"], true, "{outcome}");
        outcome["ticket"]["ticket"]
            .as_str()
            .expect("ticket text")
            .to_string()
    }

    /// Authorizes `appid` through wxsim's flow (pre-auth code, then the push).
    pub async fn authorize(&self, appid: &str) -> Value {
        let code = self.sim_post("/__sim/preauthcode", json!({})).await;
        let outcome = self
            .sim_post(
                "/__sim/authorize",
                json!({"pre_auth_code": code["pre_auth_code"], "authorizer_appid": appid}),
            )
            .await;
        assert_eq!(outcome["push"]["delivered"], true, "{outcome}");
        outcome
    }
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn rand_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(now() as u64);
    h.finish() as u32
}
