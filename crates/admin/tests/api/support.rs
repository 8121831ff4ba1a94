//! Spawns the real admin service on port 0 with a fresh database (SQLite, or
//! MySQL with `WXC_TEST_MYSQL_URL`) against wxsim, also on port 0.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::web;
use admin::Application;
use common::config::Settings;
use common::db::testing::TestDatabase;
use common::db::{now, Db};
use common::tokens::store;
use serde_json::{json, Value};
use wxsim::testing::TestSim;
use wxsim::{SimSettings, SimState};

/// The inner token every test instance is configured with.
pub const INNER_TOKEN: &str = "inner-test-token-0123456789";
/// The first administrator's password (as typed).
pub const PASSWORD: &str = "admin-password-1";
/// A fixed master key so every instance of a test shares it.
pub const MASTER_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// A running simulator.
pub struct Sim {
    pub base_url: String,
    pub state: web::Data<SimState>,
    pub settings: SimSettings,
}

impl Sim {
    /// Starts a simulator whose tokens live `token_ttl` seconds; pushes go
    /// nowhere (port 9 refuses), no background ticket pusher.
    pub async fn start(token_ttl: i64) -> Arc<Self> {
        Self::start_with(SimSettings {
            token_ttl_secs: token_ttl,
            ..wxsim::testing::settings("http://127.0.0.1:9")
        })
        .await
    }

    /// Starts a simulator with `settings` (a test changes the limits it is
    /// about); pushes time out after 500 ms.
    pub async fn start_with(settings: SimSettings) -> Arc<Self> {
        let sim = TestSim::spawn(SimSettings {
            push_timeout_ms: 500,
            ..settings
        })
        .await;
        Arc::new(Self {
            base_url: sim.base_url,
            state: sim.state,
            settings: sim.settings,
        })
    }

    /// Calls of a fake WeChat path so far.
    pub fn count(&self, path: &str) -> u64 {
        self.state.calls.count(path)
    }

    /// Registers a fault on `path` (e.g. `{"errcode": 45009, "times": 2}`).
    pub fn fault(&self, path: &str, fault: Value) {
        let fault: wxsim::calls::Fault = serde_json::from_value(fault).expect("fault JSON");
        self.state.calls.set_fault(path, fault);
    }

    /// Authorizes `appid` in the simulator; answers its refresh token.
    pub fn authorize(&self, appid: &str, is_mini_program: bool) -> String {
        wxsim::flows::ensure_authorized(&self.state, appid, is_mini_program);
        self.refresh_token(appid)
    }

    /// The refresh token the simulator holds for `appid`.
    pub fn refresh_token(&self, appid: &str) -> String {
        self.state
            .component
            .lock()
            .expect("test set-up")
            .authorizers
            .get(appid)
            .expect("authorized in wxsim")
            .refresh_token
            .clone()
    }

    /// POSTs to a control route.
    pub async fn control(&self, path: &str, body: Value) -> Value {
        reqwest::Client::new()
            .post(format!("{}{path}", self.base_url))
            .json(&body)
            .send()
            .await
            .expect("control call")
            .json()
            .await
            .expect("control JSON")
    }
}

/// A running admin service.
pub struct TestApp {
    pub base_url: String,
    pub client: reqwest::Client,
    pub sim: Arc<Sim>,
    pub database: Arc<TestDatabase>,
    pub env: HashMap<String, String>,
    server: actix_web::dev::ServerHandle,
    running: std::sync::Mutex<Option<tokio::task::JoinHandle<std::io::Result<()>>>>,
}

fn base_env(sim: &Sim, database: &TestDatabase) -> HashMap<String, String> {
    let pairs = [
        ("WXC__DATABASE__URL", database.url().to_string()),
        ("WXC__DATABASE__POOL_SIZE", "10".into()),
        ("WXC__DATABASE__SQLITE_BUSY_TIMEOUT_MS", "20000".into()),
        ("WXC__DATABASE__CONNECT_TIMEOUT_MS", "20000".into()),
        (
            "WXC__WECHAT__COMPONENT_APPID",
            sim.settings.component_appid.clone(),
        ),
        (
            "WXC__WECHAT__COMPONENT_SECRET",
            sim.settings.component_secret.clone(),
        ),
        ("WXC__WECHAT__API_BASE_URL", sim.base_url.clone()),
        ("WXC__ADMIN__HOST", "127.0.0.1".into()),
        ("WXC__ADMIN__PORT", "0".into()),
        ("WXC__ADMIN__USERNAME", "admin".into()),
        ("WXC__ADMIN__PASSWORD", PASSWORD.into()),
        ("WXC__ADMIN__INNER_TOKEN", INNER_TOKEN.into()),
        ("WXC__SECRETS__MASTER_KEY", MASTER_KEY.into()),
        ("WXC__TOKENS__REFRESH_INTERVAL_SECS", "0".into()),
        ("WXC__TOKENS__LOCK_WAIT_SECS", "30".into()),
        ("WXC__TOKENS__START_PUSH_INTERVAL_SECS", "0".into()),
    ];
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

impl TestApp {
    /// A service on a new database against a new simulator (tokens live 7200 s).
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    /// Like [`TestApp::spawn`] with extra or overriding settings.
    pub async fn spawn_with(overrides: &[(&str, &str)]) -> Self {
        let sim = Sim::start(7200).await;
        Self::spawn_on(sim, Arc::new(TestDatabase::new()), overrides).await
    }

    /// A service on `database` against `sim`.
    pub async fn spawn_on(
        sim: Arc<Sim>,
        database: Arc<TestDatabase>,
        overrides: &[(&str, &str)],
    ) -> Self {
        let mut env = base_env(&sim, &database);
        for (k, v) in overrides {
            env.insert((*k).to_string(), (*v).to_string());
        }
        Self::spawn_env(sim, database, env).await
    }

    async fn spawn_env(
        sim: Arc<Sim>,
        database: Arc<TestDatabase>,
        env: HashMap<String, String>,
    ) -> Self {
        let settings = Settings::load_from(&env).expect("test settings load");
        let app = Application::build(settings)
            .await
            .expect("admin service starts");
        let address = app.address();
        let server = app.server_handle();
        let running = tokio::spawn(app.run_until_stopped());
        Self {
            base_url: format!("http://{address}"),
            client: reqwest::Client::builder()
                .no_proxy()
                .pool_max_idle_per_host(64)
                .build()
                .expect("client"),
            sim,
            database,
            env,
            server,
            running: std::sync::Mutex::new(Some(running)),
        }
    }

    /// Stops the instance as SIGTERM does (in-flight work finishes) and
    /// waits until it has stopped.
    pub async fn stop(&self) {
        self.server.stop(true).await;
        let running = self.running.lock().expect("test set-up").take();
        if let Some(running) = running {
            running
                .await
                .expect("admin task ends")
                .expect("admin stops cleanly");
        }
    }

    /// Ends the instance's background work at once, as a crash would: its
    /// campaign leases are left to expire (the HTTP listener may linger).
    pub async fn crash(&self) {
        let running = self.running.lock().expect("test set-up").take();
        if let Some(running) = running {
            running.abort();
            assert!(running.await.is_err_and(|e| e.is_cancelled()));
        }
    }

    /// A service whose simulator pushes to a real callback receiver on the
    /// same database (pushes reach it as WeChat's would; tokens live 7200 s).
    pub async fn spawn_with_callback() -> Self {
        let database = Arc::new(TestDatabase::new());
        // wxsim must know the receiver's port before either starts, so the
        // port is picked free and given up; should something else take it
        // meanwhile, both start again on another.
        let mut attempt = 0;
        let sim = loop {
            attempt += 1;
            let port = common::loopback::free_port();
            let sim = Sim::start_with(wxsim::testing::settings(&format!(
                "http://127.0.0.1:{port}"
            )))
            .await;
            let mut env = base_env(&sim, &database);
            let callback_env = [
                ("WXC__CALLBACK__HOST", "127.0.0.1".to_string()),
                ("WXC__CALLBACK__PORT", port.to_string()),
                ("WXC__WECHAT__TOKEN", sim.settings.token.clone()),
                (
                    "WXC__WECHAT__ENCODING_AES_KEY",
                    sim.settings.encoding_aes_key.clone(),
                ),
            ];
            for (k, v) in callback_env {
                env.insert(k.to_string(), v);
            }
            let settings = Settings::load_from(&env).expect("callback settings load");
            match callback::Application::build(settings).await {
                Ok(receiver) => {
                    tokio::spawn(receiver.run_until_stopped());
                    break sim;
                }
                Err(callback::StartError::Bind { .. }) if attempt < 5 => continue,
                Err(e) => panic!("callback starts: {e}"),
            }
        };
        Self::spawn_on(sim, database, &[]).await
    }

    /// A second instance on the same database, simulator and settings.
    pub async fn another_instance(&self) -> Self {
        Self::spawn_env(
            Arc::clone(&self.sim),
            Arc::clone(&self.database),
            self.env.clone(),
        )
        .await
    }

    /// The shared database, for arranging and inspecting rows directly.
    pub fn db(&self) -> Db {
        Db::connect(&self.database.settings()).expect("test database connects")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Any request; answers (status, JSON body or Null).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        jwt: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self.client.request(method, self.url(path));
        if let Some(jwt) = jwt {
            request = request.bearer_auth(jwt);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str, jwt: &str) -> Value {
        let (status, body) = self.call(reqwest::Method::GET, path, Some(jwt), None).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    pub async fn post(&self, path: &str, jwt: &str, body: Value) -> Value {
        let (status, body) = self
            .call(reqwest::Method::POST, path, Some(jwt), Some(body))
            .await;
        assert_eq!(status, 200, "POST {path}: {body}");
        body
    }

    pub async fn put(&self, path: &str, jwt: &str, body: Value) -> Value {
        let (status, body) = self
            .call(reqwest::Method::PUT, path, Some(jwt), Some(body))
            .await;
        assert_eq!(status, 200, "PUT {path}: {body}");
        body
    }

    pub async fn delete(&self, path: &str, jwt: &str) -> Value {
        let (status, body) = self
            .call(reqwest::Method::DELETE, path, Some(jwt), None)
            .await;
        assert_eq!(status, 200, "DELETE {path}: {body}");
        body
    }

    /// `PUT /wxcomponent/auth` as the console does (md5 of the password).
    pub async fn login_as(&self, username: &str, password: &str) -> Value {
        self.login_from(username, password, None).await
    }

    /// Logs in as if from `ip` (the test client is a trusted proxy).
    pub async fn login_from(&self, username: &str, password: &str, ip: Option<&str>) -> Value {
        let mut request = self.client.put(self.url("/wxcomponent/auth")).json(&json!({
            "username": username,
            "password": admin::users::md5_hex(password),
        }));
        if let Some(ip) = ip {
            request = request.header("x-forwarded-for", ip);
        }
        let response = request.send().await.expect("login sent");
        assert_eq!(response.status().as_u16(), 200);
        response.json().await.expect("login JSON")
    }

    /// Logs in as the first administrator; answers the JWT.
    pub async fn login(&self) -> String {
        let answer = self.login_as("admin", PASSWORD).await;
        assert_eq!(answer["code"], 0, "login: {answer}");
        answer["data"]["jwt"].as_str().expect("jwt").to_string()
    }

    /// GET on the inner API with the inner token.
    pub async fn inner_get(&self, path: &str) -> (u16, Value) {
        let response = self
            .client
            .get(self.url(path))
            .bearer_auth(INNER_TOKEN)
            .send()
            .await
            .expect("inner request");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// POST on the inner API with the inner token.
    pub async fn inner_post(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .client
            .post(self.url(path))
            .bearer_auth(INNER_TOKEN)
            .json(&body)
            .send()
            .await
            .expect("inner request");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Stores a ticket the simulator accepts, as the callback receiver would.
    pub async fn seed_ticket(&self) -> String {
        let ticket = wxsim::flows::mint_ticket(&self.sim.state).ticket;
        let stored = ticket.clone();
        self.db()
            .run(move |conn| store::save_ticket(conn, &stored))
            .await
            .expect("ticket stored");
        ticket
    }

    /// Authorizes `appid` in the simulator and stores its row, as the
    /// callback receiver does after an `authorized` push.
    pub async fn seed_authorizer(&self, appid: &str, is_mini_program: bool) -> String {
        let refresh = self.sim.authorize(appid, is_mini_program);
        let (appid_c, refresh_c) = (appid.to_string(), refresh.clone());
        self.db()
            .run(move |conn| {
                use common::db::schema::authorizers;
                use diesel::prelude::*;
                diesel::insert_into(authorizers::table)
                    .values((
                        authorizers::appid.eq(&appid_c),
                        authorizers::apptype.eq(if is_mini_program { 0 } else { 1 }),
                        authorizers::nickname.eq("seeded"),
                        authorizers::refreshtoken.eq(&refresh_c),
                        authorizers::funcinfo.eq("1|2|3"),
                        authorizers::authtime.eq(now()),
                        authorizers::updatetime.eq(now()),
                    ))
                    .execute(conn)?;
                Ok(())
            })
            .await
            .expect("authorizer stored");
        refresh
    }

    /// Replaces every stored refresh token with one WeChat refuses (61023),
    /// as when an account's authorization lapsed behind the platform's back.
    pub async fn spoil_refresh_tokens(&self) {
        self.db()
            .run(|conn| {
                use common::db::schema::authorizers;
                use diesel::prelude::*;
                diesel::update(authorizers::table)
                    .set(authorizers::refreshtoken.eq("refreshtoken@@@stale"))
                    .execute(conn)?;
                Ok(())
            })
            .await
            .expect("refresh tokens spoiled");
    }

    /// The raw `comm` value of `key`.
    pub async fn comm(&self, key: &str) -> Option<String> {
        let key = key.to_string();
        self.db()
            .run(move |conn| common::secrets::load_raw(conn, &key))
            .await
            .expect("comm read")
    }

    /// The stored token of `key`.
    pub async fn stored_token(&self, key: common::tokens::TokenKey) -> Option<store::StoredToken> {
        let (token_type, appid) = match key {
            common::tokens::TokenKey::Component => (
                store::TOKEN_TYPE_COMPONENT,
                self.sim.settings.component_appid.clone(),
            ),
            common::tokens::TokenKey::Authorizer(a) => (store::TOKEN_TYPE_AUTHORIZER, a),
        };
        self.db()
            .run(move |conn| store::load_token(conn, token_type, &appid))
            .await
            .expect("token read")
    }
}

/// Polls `check` every 50 ms until it holds or `timeout` passes.
pub async fn eventually<F, Fut>(timeout: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if check().await {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
