//! The product as a platform developer walks it, on the real release binaries
//! (gateway, callback, admin, business, wxsim) wired like `start.sh` does, on
//! SQLite — or MySQL when `WXC_TEST_MYSQL_URL` is set. `./test.sh` builds the
//! binaries first; `WXC_E2E_BIN_DIR` points elsewhere if needed.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::db::testing::TestDatabase;
use md5::{Digest, Md5};
use serde_json::{json, Value};

const APPID: &str = "wxe2eaccount00001";
const ADMIN_PASSWORD: &str = "e2e-admin-password";
const INNER_TOKEN: &str = "e2e-inner-token";
const API_TOKEN: &str = "e2e-business-api-token";
const COMPONENT_APPID: &str = "wxcomponentsim0001";
const COMPONENT_SECRET: &str = "wxsim-component-secret";
const TOKEN: &str = "wxsimtoken";
const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

fn bin_dir() -> PathBuf {
    std::env::var_os("WXC_E2E_BIN_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/release"))
        })
}

/// The running processes; killed when the test ends, their logs shown if it failed.
struct Stack {
    children: Vec<(String, Child)>,
    logs: tempfile::TempDir,
    gateway: String,
    internal: String,
    sim: String,
    http: reqwest::Client,
    _database: TestDatabase,
}

impl Drop for Stack {
    fn drop(&mut self) {
        for (_, child) in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        if std::thread::panicking() {
            for (name, _) in &self.children {
                let log = std::fs::read_to_string(self.logs.path().join(format!("{name}.log")))
                    .unwrap_or_default();
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
    async fn start() -> Self {
        let bins = bin_dir();
        for name in ["gateway", "callback", "admin", "business", "wxsim"] {
            assert!(
                bins.join(name).exists(),
                "{} is missing: build the release binaries first (./test.sh does: cargo build --release)",
                bins.join(name).display()
            );
        }
        let database = TestDatabase::new();
        let [gateway_port, internal_port, metrics_port, callback_port, admin_port, business_port, sim_port] =
            common::loopback::free_ports::<7>();
        let gateway = format!("http://127.0.0.1:{gateway_port}");
        let internal = format!("http://127.0.0.1:{internal_port}");
        let sim = format!("http://127.0.0.1:{sim_port}");
        let logs = tempfile::tempdir().expect("log dir");
        let env: HashMap<&str, String> = HashMap::from([
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
        ]);
        let mut stack = Self {
            children: Vec::new(),
            logs,
            gateway,
            internal,
            sim,
            http: reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("client"),
            _database: database,
        };
        let spawn = |stack: &mut Self, name: &str, args: &[&str]| {
            let log = std::fs::File::create(stack.logs.path().join(format!("{name}.log")))
                .expect("log file");
            let child = Command::new(bins.join(name))
                .args(args)
                .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
                .current_dir(stack.logs.path())
                .stdout(Stdio::from(log.try_clone().expect("log")))
                .stderr(Stdio::from(log))
                .spawn()
                .unwrap_or_else(|e| panic!("start {name}: {e}"));
            stack.children.push((name.to_string(), child));
        };
        spawn(&mut stack, "admin", &[]);
        stack
            .healthy("admin", &format!("http://127.0.0.1:{admin_port}/healthz"))
            .await;
        spawn(&mut stack, "callback", &[]);
        spawn(&mut stack, "business", &[]);
        stack
            .healthy(
                "callback",
                &format!("http://127.0.0.1:{callback_port}/healthz"),
            )
            .await;
        stack
            .healthy(
                "business",
                &format!("http://127.0.0.1:{business_port}/healthz"),
            )
            .await;
        spawn(&mut stack, "gateway", &[]);
        let gateway_health = format!("{}/healthz", stack.gateway);
        stack.healthy("gateway", &gateway_health).await;
        spawn(&mut stack, "wxsim", &["serve"]);
        let sim_health = format!("{}/__sim/healthz", stack.sim);
        stack.healthy("wxsim", &sim_health).await;
        stack
    }

    async fn healthy(&mut self, name: &str, url: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(response) = self.http.get(url).send().await {
                if response.status().is_success() {
                    return;
                }
            }
            for (child_name, child) in &mut self.children {
                if let Ok(Some(status)) = child.try_wait() {
                    panic!("{child_name} exited with {status} while waiting for {name}");
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{name} did not become healthy at {url}");
    }

    async fn json(&self, request: reqwest::RequestBuilder) -> Value {
        let response = request.send().await.expect("request");
        let status = response.status();
        let text = response.text().await.expect("body");
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("HTTP {status}: not JSON: {text}"))
    }

    async fn sim(&self, path: &str, body: Value) -> Value {
        self.json(self.http.post(format!("{}{path}", self.sim)).json(&body))
            .await
    }

    async fn eventually<F, Fut>(&self, what: &str, mut check: F)
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
    async fn login(&self) -> String {
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

    async fn authorizers(&self, jwt: &str) -> Vec<String> {
        let answer = self
            .json(
                self.http
                    .get(format!(
                        "{}/wxcomponent/admin/authorizer-list?offset=0&limit=20",
                        self.gateway
                    ))
                    .bearer_auth(jwt),
            )
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_platform_developer_walks_the_whole_product() {
    let stack = Stack::start().await;
    let http = &stack.http;

    // A ticket arrives through the gateway and the callback receiver.
    let ticket = stack.sim("/__sim/push/ticket", json!({})).await;
    assert_eq!(ticket["push"]["delivered"], true, "{ticket}");
    assert_eq!(ticket["push"]["body"], "success", "{ticket}");

    // The component token is obtainable through the gateway's internal listener.
    let token = stack
        .json(
            http.get(format!("{}/inner/component-access-token", stack.internal))
                .bearer_auth(INNER_TOKEN),
        )
        .await;
    assert_eq!(token["code"], 0, "{token}");
    assert!(token["data"]["token"]
        .as_str()
        .is_some_and(|t| !t.is_empty()));
    let public_inner = http
        .get(format!("{}/inner/component-access-token", stack.gateway))
        .bearer_auth(INNER_TOKEN)
        .send()
        .await
        .expect("request");
    assert_eq!(
        public_inner.status(),
        404,
        "/inner/* is not on the public listener"
    );

    // The operator logs in to the console API and generates an authorization link.
    let jwt = stack.login().await;
    let links = stack
        .json(http.get(format!(
            "{}/wxcomponent/authpage/authorization-links?redirect_uri=https://example.com/done&auth_type=3",
            stack.gateway
        )))
        .await;
    let pc_url = links["data"]["pcUrl"]
        .as_str()
        .unwrap_or_else(|| panic!("links: {links}"))
        .to_string();

    // A simulated account administrator confirms the link.
    let authorized = stack
        .sim(
            "/__sim/authorize",
            json!({"url": pc_url, "authorizer_appid": APPID}),
        )
        .await;
    assert_eq!(authorized["push"]["delivered"], true, "{authorized}");
    assert!(
        authorized["redirect"]
            .as_str()
            .is_some_and(|r| r.contains("auth_code=")),
        "{authorized}"
    );
    stack
        .eventually("the authorizer is listed in the admin API", || async {
            stack.authorizers(&jwt).await.iter().any(|a| a == APPID)
        })
        .await;

    // The business service manages the account with a token from the inner API,
    // through the gateway.
    let menu = json!({"button": [{"type": "click", "name": "今日", "key": "TODAY"}]});
    let created = stack
        .json(
            http.post(format!(
                "{}/api/v0.1/cgi-bin/menu?appid={APPID}",
                stack.gateway
            ))
            .bearer_auth(API_TOKEN)
            .json(&menu),
        )
        .await;
    assert_eq!(created["errcode"], 0, "{created}");
    let fetched = stack
        .json(
            http.get(format!(
                "{}/api/v0.1/cgi-bin/menu?appid={APPID}",
                stack.gateway
            ))
            .bearer_auth(API_TOKEN),
        )
        .await;
    assert_eq!(fetched["menu"]["button"][0]["key"], "TODAY", "{fetched}");

    // A user message is forwarded by a rule to business; its reply comes back encrypted.
    let rule = stack
        .json(
            http.put(format!("{}/wxcomponent/admin/callback-proxy-rule", stack.gateway))
                .bearer_auth(&jwt)
                .json(&json!({
                    "name": "to business",
                    "infoType": "",
                    "msgType": "text",
                    "event": "",
                    "open": 1,
                    "data": {"port": stack.internal.rsplit(':').next().and_then(|p| p.parse::<u16>().ok()), "path": "/api/wx/message/$APPID$"},
                })),
        )
        .await;
    assert_eq!(rule["code"], 0, "{rule}");
    let autoreply = stack
        .json(
            http.post(format!("{}/api/autoreply", stack.gateway))
                .bearer_auth(API_TOKEN)
                .json(&json!({"appid": APPID, "keyword": "你好", "match": "contains", "reply": {"type": "text", "content": "欢迎来到 e2e"}})),
        )
        .await;
    assert_eq!(autoreply["code"], 0, "{autoreply}");
    let message = stack
        .sim(
            "/__sim/message",
            json!({"appid": APPID, "msg_type": "text", "content": "你好呀"}),
        )
        .await;
    let reply = &message["push"]["reply"];
    assert_eq!(reply["kind"], "encrypted", "{message}");
    assert_eq!(reply["signature_valid"], true, "{message}");
    assert!(reply.to_string().contains("欢迎来到 e2e"), "{reply}");

    // The full-network-release check passes.
    let check = stack.sim("/__sim/release-check", json!({})).await;
    assert_eq!(check["passed"], true, "{check:#}");

    // Unauthorizing removes the account.
    let revoked = stack
        .sim("/__sim/unauthorize", json!({"authorizer_appid": APPID}))
        .await;
    assert_eq!(revoked["push"]["delivered"], true, "{revoked}");
    stack
        .eventually("the authorizer disappears from the admin API", || async {
            !stack.authorizers(&jwt).await.iter().any(|a| a == APPID)
        })
        .await;
}

/// WeChat pushes from a handful of server IPs, as fast as the platform's
/// accounts produce messages: a burst from one address far above any per-IP
/// budget must be admitted by the gateway, acknowledged and stored once,
/// WeChat's retries of the same pushes included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_pushes_from_one_wechat_ip_is_all_answered_and_stored_once() {
    const PUSHES: usize = 2000;
    const CONCURRENCY: usize = 32;
    const RETRIED: usize = 50;
    const BURST_APPID: &str = "wxe2eburst000001";
    let stack = Stack::start().await;
    let crypt = std::sync::Arc::new(
        common::crypto::WxCrypt::new(TOKEN, AES_KEY, COMPONENT_APPID).expect("crypt"),
    );
    let url = format!("{}/wxcallback/biz/{BURST_APPID}", stack.gateway);
    let created = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    // Each push sealed once, so a retry is the same bytes, as WeChat's are.
    let sealed: Vec<(String, String)> = (0..PUSHES)
        .map(|n| {
            let xml = format!(
                "<xml><ToUserName><![CDATA[gh_burst]]></ToUserName>\
                 <FromUserName><![CDATA[user{n}]]></FromUserName>\
                 <CreateTime>{created}</CreateTime><MsgType><![CDATA[text]]></MsgType>\
                 <Content><![CDATA[burst {n}]]></Content><MsgId>{}</MsgId></xml>",
                7_000_000_000_000_u64 + n as u64
            );
            let encrypt = crypt.encrypt(&xml);
            let (timestamp, nonce) = (created.to_string(), format!("n{n}"));
            let signature = crypt.msg_signature(&timestamp, &nonce, &encrypt);
            (
                format!("{url}?timestamp={timestamp}&nonce={nonce}&encrypt_type=aes&msg_signature={signature}"),
                format!("<xml><ToUserName><![CDATA[gh_burst]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"),
            )
        })
        .collect();
    let sealed = std::sync::Arc::new(sealed);
    let send = |indices: Vec<usize>| {
        let (http, sealed) = (stack.http.clone(), std::sync::Arc::clone(&sealed));
        tokio::spawn(async move {
            let mut refused = Vec::new();
            for i in indices {
                let (target, body) = &sealed[i];
                let response = http.post(target).body(body.clone()).send().await;
                match response {
                    Ok(r) if r.status() == 200 => {
                        let text = r.text().await.unwrap_or_default();
                        if text != "success" {
                            refused.push(format!("push {i}: answered {text:?}"));
                        }
                    }
                    Ok(r) => refused.push(format!("push {i}: HTTP {}", r.status())),
                    Err(e) => refused.push(format!("push {i}: {e}")),
                }
            }
            refused
        })
    };
    let workers: Vec<_> = (0..CONCURRENCY)
        .map(|w| send((w..PUSHES).step_by(CONCURRENCY).collect()))
        .collect();
    let mut refused = Vec::new();
    for worker in workers {
        refused.extend(worker.await.expect("worker"));
    }
    // WeChat retries pushes it got no timely answer for: the same bytes again.
    refused.extend(send((0..RETRIED).collect()).await.expect("retries"));
    assert!(
        refused.is_empty(),
        "{} of {} pushes were not acknowledged, e.g. {:?}",
        refused.len(),
        PUSHES + RETRIED,
        &refused[..refused.len().min(5)]
    );

    let jwt = stack.login().await;
    let records = stack
        .json(
            stack
                .http
                .get(format!(
                    "{}/wxcomponent/admin/wx-biz-records?appid={BURST_APPID}&offset=0&limit=1",
                    stack.gateway
                ))
                .bearer_auth(&jwt),
        )
        .await;
    assert_eq!(records["code"], 0, "{records}");
    assert_eq!(
        records["data"]["total"], PUSHES,
        "every push stored exactly once: {records}"
    );
}
