//! The one way the suite starts the product: the real release binaries
//! (gateway, callback, admin, business, wxsim) wired like `start.sh` does, on
//! SQLite — or MySQL when `WXC_TEST_MYSQL_URL` is set. `./test.sh` builds the
//! binaries first; `WXC_E2E_BIN_DIR` points elsewhere if needed.
//!
//! A [`Stack`] owns its processes: a test stops one (SIGKILL or SIGTERM),
//! starts it again with the same environment and ports, reads its PID and
//! peak RSS, and reads every service's log. Logs are appended across
//! restarts and shown (their tails) when a test fails.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use common::crypto::WxCrypt;
use common::db::testing::TestDatabase;
use common::db::Db;
use md5::{Digest, Md5};
use serde_json::{json, Value};

/// The authorizer appid the walks authorize.
pub const APPID: &str = "wxe2eaccount00001";
/// The first administrator's password.
pub const ADMIN_PASSWORD: &str = "e2e-admin-password";
/// The inner API token shared by admin, business and gateway.
pub const INNER_TOKEN: &str = "e2e-inner-token";
/// The business service's management API token.
pub const API_TOKEN: &str = "e2e-business-api-token";
/// The platform's appid, in the platform and in wxsim.
pub const COMPONENT_APPID: &str = "wxcomponentsim0001";
/// The platform's AppSecret, in the platform and in wxsim.
pub const COMPONENT_SECRET: &str = "wxsim-component-secret";
/// The push token (message verification).
pub const TOKEN: &str = "wxsimtoken";
/// The EncodingAESKey.
pub const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

/// `api_component_token`, as wxsim counts it.
pub const COMPONENT_TOKEN_PATH: &str = "/cgi-bin/component/api_component_token";
/// `api_authorizer_token`, as wxsim counts it.
pub const AUTHORIZER_TOKEN_PATH: &str = "/cgi-bin/component/api_authorizer_token";

/// Every process of the stack, in start order.
pub const SERVICES: [&str; 5] = ["admin", "callback", "business", "gateway", "wxsim"];

/// How a process is stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// SIGKILL: a crash, nothing flushed, nothing cleaned up.
    Kill,
    /// SIGTERM: a graceful shutdown, as `docker stop` or Kubernetes ask.
    Term,
}

fn bin_dir() -> PathBuf {
    std::env::var_os("WXC_E2E_BIN_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/release"))
        })
}

/// Extra environment per service, on top of the shared wiring.
#[derive(Default)]
pub struct StackBuilder {
    extra: HashMap<&'static str, Vec<(String, String)>>,
}

impl StackBuilder {
    /// Sets `key` to `value` for `service` only (an empty value overrides a
    /// shared setting with its default, e.g. no pinned AppSecret).
    pub fn env(mut self, service: &'static str, key: &str, value: &str) -> Self {
        assert!(SERVICES.contains(&service), "no service {service}");
        self.extra
            .entry(service)
            .or_default()
            .push((key.to_string(), value.to_string()));
        self
    }

    /// Sets `key` to `value` for every service.
    pub fn env_all(mut self, key: &str, value: &str) -> Self {
        for service in SERVICES {
            self = self.env(service, key, value);
        }
        self
    }

    /// The admin's refresher renews tokens 5 s after they are issued (90 s
    /// lifetime, 85 s margin) and backs off 2-4 s after a failure, so a test
    /// sees refreshes, and refreshes failing, within seconds.
    pub fn refreshing_soon(self) -> Self {
        self.env("wxsim", "WXSIM__TOKEN_TTL_SECS", "90")
            .env("admin", "WXC__TOKENS__REFRESH_INTERVAL_SECS", "1")
            .env("admin", "WXC__TOKENS__REFRESH_MARGIN_SECS", "85")
            .env("admin", "WXC__TOKENS__REQUEST_MARGIN_SECS", "1")
            .env("admin", "WXC__TOKENS__REFRESH_BACKOFF_MIN_MS", "2000")
            .env("admin", "WXC__TOKENS__REFRESH_BACKOFF_MAX_MS", "4000")
            .env("admin", "WXC__TOKENS__WECHAT_TIMEOUT_MS", "1000")
    }

    /// Starts every process and waits until each is healthy.
    pub async fn start(self) -> Stack {
        Stack::launch(self.extra).await
    }
}

/// The running processes; killed when the test ends, their logs shown if it failed.
pub struct Stack {
    children: Vec<(&'static str, Option<Child>)>,
    env: HashMap<String, String>,
    extra: HashMap<&'static str, Vec<(String, String)>>,
    health: HashMap<&'static str, String>,
    logs: tempfile::TempDir,
    /// The gateway's public listener.
    pub gateway: String,
    /// The gateway's internal listener (`/inner/*`, forwarding).
    pub internal: String,
    /// The gateway's Prometheus listener.
    pub metrics: String,
    /// wxsim.
    pub sim: String,
    /// The callback receiver, directly.
    pub callback: String,
    /// A client without proxies.
    pub http: reqwest::Client,
    /// The stack's database, for counting rows.
    pub db: Db,
    database: TestDatabase,
}

impl Drop for Stack {
    fn drop(&mut self) {
        for (_, child) in &mut self.children {
            if let Some(child) = child {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        if std::thread::panicking() {
            for (name, log) in self.logs() {
                let tail: Vec<&str> = log.lines().rev().take(40).collect();
                eprintln!("----- {name} (last lines) -----");
                for line in tail.into_iter().rev() {
                    eprintln!("{line}");
                }
            }
        }
    }
}

impl Stack {
    /// The stack as `start.sh` wires it.
    pub async fn start() -> Self {
        StackBuilder::default().start().await
    }

    /// A stack with extra settings per service.
    pub fn builder() -> StackBuilder {
        StackBuilder::default()
    }

    async fn launch(extra: HashMap<&'static str, Vec<(String, String)>>) -> Self {
        let bins = bin_dir();
        for name in SERVICES {
            assert!(
                bins.join(name).exists(),
                "{} is missing: build the release binaries first (./test.sh does: cargo build --release)",
                bins.join(name).display()
            );
        }
        let database = TestDatabase::new();
        let db = Db::connect(&database.settings()).expect("connect to the test database");
        let [gateway_port, internal_port, metrics_port, callback_port, admin_port, business_port, sim_port] =
            common::loopback::free_ports::<7>();
        let gateway = format!("http://127.0.0.1:{gateway_port}");
        let internal = format!("http://127.0.0.1:{internal_port}");
        let sim = format!("http://127.0.0.1:{sim_port}");
        let logs = tempfile::tempdir().expect("log dir");
        let env: HashMap<String, String> = [
            ("WXC__DATABASE__URL", database.url().to_string()),
            ("WXC__WECHAT__COMPONENT_APPID", COMPONENT_APPID.into()),
            ("WXC__WECHAT__COMPONENT_SECRET", COMPONENT_SECRET.into()),
            ("WXC__WECHAT__TOKEN", TOKEN.into()),
            ("WXC__WECHAT__ENCODING_AES_KEY", AES_KEY.into()),
            ("WXC__WECHAT__API_BASE_URL", sim.clone()),
            ("WXC__CALLBACK__HOST", "127.0.0.1".into()),
            ("WXC__CALLBACK__PORT", callback_port.to_string()),
            ("WXC__CALLBACK__FORWARD_HOST", "127.0.0.1".into()),
            ("WXC__ADMIN__HOST", "127.0.0.1".into()),
            ("WXC__ADMIN__PORT", admin_port.to_string()),
            ("WXC__ADMIN__USERNAME", "admin".into()),
            ("WXC__ADMIN__PASSWORD", ADMIN_PASSWORD.into()),
            ("WXC__ADMIN__INNER_TOKEN", INNER_TOKEN.into()),
            (
                "WXC__SECRETS__KEY_PATH",
                logs.path().join("master.key").display().to_string(),
            ),
            ("WXC__BUSINESS__HOST", "127.0.0.1".into()),
            ("WXC__BUSINESS__PORT", business_port.to_string()),
            ("WXC__BUSINESS__INNER_API_URL", internal.clone()),
            ("WXC__BUSINESS__INNER_TOKEN", INNER_TOKEN.into()),
            ("WXC__BUSINESS__API_TOKEN", API_TOKEN.into()),
            ("WXC__GATEWAY__LISTEN", format!("127.0.0.1:{gateway_port}")),
            (
                "WXC__GATEWAY__INTERNAL_LISTEN",
                format!("127.0.0.1:{internal_port}"),
            ),
            (
                "WXC__GATEWAY__METRICS_LISTEN",
                format!("127.0.0.1:{metrics_port}"),
            ),
            (
                "WXC__GATEWAY__SERVICES__CALLBACK__ADDRESS",
                format!("127.0.0.1:{callback_port}"),
            ),
            (
                "WXC__GATEWAY__SERVICES__ADMIN__ADDRESS",
                format!("127.0.0.1:{admin_port}"),
            ),
            (
                "WXC__GATEWAY__SERVICES__BUSINESS__ADDRESS",
                format!("127.0.0.1:{business_port}"),
            ),
            (
                "WXC__GATEWAY__ADMIN_ROUTES__INNER_TOKEN",
                INNER_TOKEN.into(),
            ),
            ("WXC__GATEWAY__THREADS", "1".into()),
            ("WXSIM__HOST", "127.0.0.1".into()),
            ("WXSIM__PORT", sim_port.to_string()),
            ("WXSIM__CALLBACK_URL", gateway.clone()),
            ("WXSIM__TICKET_INTERVAL_SECS", "0".into()),
            ("WXSIM__COMPONENT_APPID", COMPONENT_APPID.into()),
            ("WXSIM__COMPONENT_SECRET", COMPONENT_SECRET.into()),
            ("WXSIM__TOKEN", TOKEN.into()),
            ("WXSIM__ENCODING_AES_KEY", AES_KEY.into()),
            ("RUST_LOG", "info".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let health = HashMap::from([
            ("admin", format!("http://127.0.0.1:{admin_port}/healthz")),
            (
                "callback",
                format!("http://127.0.0.1:{callback_port}/healthz"),
            ),
            (
                "business",
                format!("http://127.0.0.1:{business_port}/healthz"),
            ),
            ("gateway", format!("{gateway}/healthz")),
            ("wxsim", format!("{sim}/__sim/healthz")),
        ]);
        let mut stack = Self {
            children: SERVICES.iter().map(|name| (*name, None)).collect(),
            env,
            extra,
            health,
            logs,
            gateway,
            internal,
            metrics: format!("http://127.0.0.1:{metrics_port}"),
            sim,
            callback: format!("http://127.0.0.1:{callback_port}"),
            http: reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("client"),
            db,
            database,
        };
        stack.spawn("admin", None);
        stack.healthy("admin").await;
        stack.spawn("callback", None);
        stack.spawn("business", None);
        stack.healthy("callback").await;
        stack.healthy("business").await;
        stack.start_again("gateway").await;
        stack.start_again("wxsim").await;
        stack
    }

    /// The SQLite database file, `None` on MySQL.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        self.database
            .url()
            .strip_prefix("sqlite://")
            .map(PathBuf::from)
    }

    fn child_mut(&mut self, name: &str) -> &mut Option<Child> {
        self.children
            .iter_mut()
            .find(|(n, _)| *n == name)
            .map(|(_, c)| c)
            .unwrap_or_else(|| panic!("no service {name}"))
    }

    /// Starts `name` (not running) with the stack's environment; when
    /// `file_size_limit_kib` is set, under that RLIMIT_FSIZE with SIGXFSZ
    /// ignored, so a write past it fails with EFBIG as on a full disk.
    fn spawn(&mut self, name: &'static str, file_size_limit_kib: Option<u64>) {
        assert!(self.child_mut(name).is_none(), "{name} is already running");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.logs.path().join(format!("{name}.log")))
            .expect("log file");
        let binary = bin_dir().join(name);
        let mut command = match file_size_limit_kib {
            None => Command::new(&binary),
            Some(kib) => {
                // bash's `ulimit -f` counts KiB; an ignored signal stays ignored across exec.
                let mut shell = Command::new("bash");
                shell
                    .arg("-c")
                    .arg(r#"trap "" XFSZ; ulimit -f "$1" && exec "$0""#)
                    .arg(&binary)
                    .arg(kib.to_string());
                shell
            }
        };
        if name == "wxsim" {
            command.arg("serve");
        }
        let extra = self.extra.get(name).cloned().unwrap_or_default();
        command
            .envs(&self.env)
            .envs(extra)
            .current_dir(self.logs.path())
            .stdout(Stdio::from(log.try_clone().expect("log")))
            .stderr(Stdio::from(log));
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        *self.child_mut(name) = Some(child);
    }

    /// Starts `name` again (same environment and ports) and waits until it is healthy.
    pub async fn start_again(&mut self, name: &'static str) {
        self.spawn(name, None);
        self.healthy(name).await;
    }

    /// Starts `name` with every file it writes limited to `kib` KiB
    /// (RLIMIT_FSIZE, SIGXFSZ ignored): its database writes past that fail
    /// with EFBIG, as on a full disk, without root. Waits until healthy.
    pub async fn start_with_file_size_limit(&mut self, name: &'static str, kib: u64) {
        self.spawn(name, Some(kib));
        self.healthy(name).await;
    }

    /// Stops `name` and waits until it has exited; its exit status.
    pub async fn stop(&mut self, name: &'static str, how: Stop) -> ExitStatus {
        let mut child = self
            .child_mut(name)
            .take()
            .unwrap_or_else(|| panic!("{name} is not running"));
        match how {
            Stop::Kill => child.kill().expect("SIGKILL"),
            Stop::Term => {
                let sent = Command::new("kill")
                    .args(["-TERM", &child.id().to_string()])
                    .status()
                    .expect("run kill");
                assert!(sent.success(), "kill -TERM {name}: {sent}");
            }
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = child.try_wait().expect("wait") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("{name} did not exit within 30 s of {how:?}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops every process, the gateway first, wxsim last.
    pub async fn stop_all(&mut self, how: Stop) {
        for name in ["gateway", "business", "callback", "admin", "wxsim"] {
            self.stop(name, how).await;
        }
    }

    /// Starts every process in the order of a first start.
    pub async fn start_all(&mut self) {
        self.spawn("admin", None);
        self.healthy("admin").await;
        self.spawn("callback", None);
        self.spawn("business", None);
        self.healthy("callback").await;
        self.healthy("business").await;
        self.start_again("gateway").await;
        self.start_again("wxsim").await;
    }

    /// The PID of the running `name`.
    pub fn pid(&mut self, name: &'static str) -> u32 {
        self.child_mut(name)
            .as_ref()
            .unwrap_or_else(|| panic!("{name} is not running"))
            .id()
    }

    /// The peak resident set of the running `name`, KiB (`VmHWM`).
    pub fn peak_rss_kib(&mut self, name: &'static str) -> u64 {
        let pid = self.pid(name);
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .unwrap_or_else(|e| panic!("read /proc/{pid}/status of {name}: {e}"));
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("no VmHWM in /proc/{pid}/status"))
    }

    /// Every service's log so far (all its runs), by name.
    pub fn logs(&self) -> Vec<(&'static str, String)> {
        SERVICES
            .iter()
            .map(|name| {
                let path = self.logs.path().join(format!("{name}.log"));
                (*name, std::fs::read_to_string(path).unwrap_or_default())
            })
            .collect()
    }

    /// Waits until `name` answers its health check; panics if any process exits.
    pub async fn healthy(&mut self, name: &'static str) {
        let url = self.health[name].clone();
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(response) = self.http.get(&url).send().await {
                if response.status().is_success() {
                    return;
                }
            }
            for (child_name, child) in &mut self.children {
                if let Some(Ok(Some(status))) = child.as_mut().map(Child::try_wait) {
                    panic!("{child_name} exited with {status} while waiting for {name}");
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{name} did not become healthy at {url}");
    }

    /// The JSON body of `request`'s answer, whatever its status.
    pub async fn json(&self, request: reqwest::RequestBuilder) -> Value {
        self.status_json(request).await.1
    }

    /// The status and JSON body of `request`'s answer.
    pub async fn status_json(&self, request: reqwest::RequestBuilder) -> (u16, Value) {
        let response = request.send().await.expect("request");
        let status = response.status();
        let text = response.text().await.expect("body");
        let value = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("HTTP {status}: not JSON: {text}"));
        (status.as_u16(), value)
    }

    /// POSTs `body` to wxsim's control API at `path`.
    pub async fn sim(&self, path: &str, body: Value) -> Value {
        self.json(self.http.post(format!("{}{path}", self.sim)).json(&body))
            .await
    }

    /// Makes wxsim answer `path` with `fault` (`http_status`, `errcode` and
    /// `errmsg`, `delay_ms`, `times`) until it is cleared.
    pub async fn wechat_fault(&self, path: &str, fault: &Value) {
        let mut request = fault.clone();
        request["path"] = json!(path);
        let set = self.sim("/__sim/faults", request).await;
        assert_eq!(set["errcode"], 0, "fault on {path}: {set}");
    }

    /// Clears wxsim's fault on `path`.
    pub async fn clear_wechat_fault(&self, path: &str) {
        let cleared = self
            .http
            .delete(format!("{}/__sim/faults", self.sim))
            .query(&[("path", path)])
            .send()
            .await
            .expect("clear fault");
        assert!(cleared.status().is_success(), "clear the fault on {path}");
    }

    /// wxsim's call count of `path` so far.
    pub async fn sim_calls(&self, path: &str) -> u64 {
        let counts = self
            .json(self.http.get(format!("{}/__sim/calls", self.sim)))
            .await;
        counts["paths"][path].as_u64().unwrap_or(0)
    }

    /// Polls `check` until it holds (20 s at most).
    pub async fn eventually<F, Fut>(&self, what: &str, mut check: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if check().await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("timed out waiting for: {what}");
    }

    /// Logs in to the console API as the console does; the JWT.
    pub async fn login(&self) -> String {
        let password = hex::encode(Md5::digest(ADMIN_PASSWORD.as_bytes()));
        let login = self
            .json(
                self.http
                    .put(format!("{}/wxcomponent/auth", self.gateway))
                    .json(&json!({"username": "admin", "password": password})),
            )
            .await;
        login["data"]["jwt"]
            .as_str()
            .unwrap_or_else(|| panic!("login: {login}"))
            .to_string()
    }

    /// The console API's answer to `GET path` (under the gateway) with `jwt`.
    pub async fn console_get(&self, path: &str, jwt: &str) -> Value {
        self.json(
            self.http
                .get(format!("{}{path}", self.gateway))
                .bearer_auth(jwt),
        )
        .await
    }

    /// The appids the admin API lists.
    pub async fn authorizers(&self, jwt: &str) -> Vec<String> {
        let answer = self
            .console_get("/wxcomponent/admin/authorizer-list?offset=0&limit=20", jwt)
            .await;
        answer["data"]["records"]
            .as_array()
            .map(|records| {
                records
                    .iter()
                    .filter_map(|r| r["appid"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Pushes a ticket through wxsim and the gateway; asserts it was stored.
    pub async fn push_ticket(&self) {
        let ticket = self.sim("/__sim/push/ticket", json!({})).await;
        assert_eq!(ticket["push"]["delivered"], true, "{ticket}");
        assert_eq!(ticket["push"]["body"], "success", "{ticket}");
    }

    /// Authorizes `appid` through the console's PC link and wxsim; waits
    /// until the admin lists it.
    pub async fn authorize(&self, jwt: &str, appid: &str) {
        let links = self
            .json(self.http.get(format!(
                "{}/wxcomponent/authpage/authorization-links?redirect_uri=https://example.com/done&auth_type=3",
                self.gateway
            )))
            .await;
        let pc_url = links["data"]["pcUrl"]
            .as_str()
            .unwrap_or_else(|| panic!("links: {links}"))
            .to_string();
        let authorized = self
            .sim(
                "/__sim/authorize",
                json!({"url": pc_url, "authorizer_appid": appid}),
            )
            .await;
        assert_eq!(authorized["push"]["delivered"], true, "{authorized}");
        self.eventually("the authorizer is listed in the admin API", || async {
            self.authorizers(jwt).await.iter().any(|a| a == appid)
        })
        .await;
    }

    /// The inner API's answer at `path` through the internal listener.
    pub async fn inner(&self, path: &str) -> (u16, Value) {
        self.status_json(
            self.http
                .get(format!("{}{path}", self.internal))
                .bearer_auth(INNER_TOKEN),
        )
        .await
    }

    /// The decrypted bodies stored for pushes to `/wxcallback/biz/{appid}`, oldest first.
    pub async fn stored_biz_bodies(&self, appid: &str) -> Vec<String> {
        use common::db::schema::wxcallback_biz::dsl;
        use diesel::prelude::*;
        let appid = appid.to_string();
        self.db
            .run(move |conn| {
                Ok(dsl::wxcallback_biz
                    .filter(dsl::appid.eq(appid))
                    .order(dsl::id)
                    .select(dsl::postbody)
                    .load::<String>(conn)?)
            })
            .await
            .expect("read wxcallback_biz")
    }
}

/// The platform's push crypto, as WeChat seals with it.
pub fn crypt() -> WxCrypt {
    WxCrypt::new(TOKEN, AES_KEY, COMPONENT_APPID).expect("crypt")
}

/// A user's text message to `appid`, numbered `n`, as WeChat's plaintext.
pub fn text_message(appid: &str, n: u64, content: &str) -> String {
    let created = unix_now();
    format!(
        "<xml><ToUserName><![CDATA[gh_{appid}]]></ToUserName>\
         <FromUserName><![CDATA[user{n}]]></FromUserName>\
         <CreateTime>{created}</CreateTime><MsgType><![CDATA[text]]></MsgType>\
         <Content><![CDATA[{content}]]></Content><MsgId>{}</MsgId></xml>",
        7_000_000_000_000_u64 + n
    )
}

/// Seconds since the epoch.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

/// `plaintext` sealed for `/wxcallback/biz/{appid}` under `base`: the URL
/// with its signature and the encrypted body, as WeChat sends a push.
pub fn sealed_biz_push(base: &str, appid: &str, plaintext: &str, nonce: &str) -> (String, String) {
    let crypt = crypt();
    let encrypt = crypt.encrypt(plaintext);
    let timestamp = unix_now().to_string();
    let signature = crypt.msg_signature(&timestamp, nonce, &encrypt);
    (
        format!(
            "{base}/wxcallback/biz/{appid}?timestamp={timestamp}&nonce={nonce}&encrypt_type=aes&msg_signature={signature}"
        ),
        format!(
            "<xml><ToUserName><![CDATA[gh_{appid}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
        ),
    )
}
