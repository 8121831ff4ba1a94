//! Shared helpers for the component-side tests: a real simulator on port 0,
//! and a real receiver (the "platform") on port 0 that records every push and
//! answers as the test tells it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use common::crypto::WxCrypt;
use futures::future::BoxFuture;
use serde_json::{json, Value};
use wxsim::testing::TestSim;
use wxsim::{SimSettings, SimState};

/// Settings for a test simulator pushing to `callback_url`: no background
/// ticket pusher, a short push timeout, no retries.
pub fn settings(callback_url: &str) -> SimSettings {
    SimSettings {
        push_timeout_ms: 3000,
        ..wxsim::testing::settings(callback_url)
    }
}

/// A running simulator.
pub struct Sim {
    pub base_url: String,
    pub state: web::Data<SimState>,
    pub settings: SimSettings,
    pub client: reqwest::Client,
}

/// Starts a simulator with `settings`.
pub async fn start_sim(settings: SimSettings) -> Sim {
    let sim = TestSim::spawn(settings).await;
    Sim {
        base_url: sim.base_url,
        state: sim.state,
        settings: sim.settings,
        client: reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client"),
    }
}

/// A simulator pushing to a receiver that answers `success` to everything.
pub async fn start_pair() -> (Sim, Receiver) {
    let receiver = start_receiver(answer(200, "success")).await;
    let sim = start_sim(settings(&receiver.base_url)).await;
    (sim, receiver)
}

impl Sim {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// POSTs JSON, answers the JSON body (HTTP status must be 200).
    pub async fn post(&self, path: &str, body: Value) -> Value {
        let response = self
            .client
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"));
        assert_eq!(response.status().as_u16(), 200, "POST {path}");
        response.json().await.expect("JSON answer")
    }

    /// POSTs a raw body, answers (status, body text).
    pub async fn post_raw(&self, path: &str, body: &str) -> (u16, String) {
        let response = self
            .client
            .post(self.url(path))
            .body(body.to_string())
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"));
        let status = response.status().as_u16();
        (status, response.text().await.expect("text"))
    }

    pub async fn get(&self, path: &str) -> Value {
        let response = self
            .client
            .get(self.url(path))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        response.json().await.expect("JSON answer")
    }

    /// `/__sim/push/ticket` → the ticket string.
    pub async fn push_ticket(&self) -> String {
        let answer = self.post("/__sim/push/ticket", json!({})).await;
        answer["ticket"]["ticket"]
            .as_str()
            .expect("ticket in answer")
            .to_string()
    }

    /// `api_component_token` with `ticket`.
    pub async fn component_token_with(&self, ticket: &str) -> Value {
        self.post(
            "/cgi-bin/component/api_component_token",
            json!({
                "component_appid": self.settings.component_appid,
                "component_appsecret": self.settings.component_secret,
                "component_verify_ticket": ticket,
            }),
        )
        .await
    }

    /// A fresh ticket, then a component access token.
    pub async fn component_token(&self) -> String {
        let ticket = self.push_ticket().await;
        let answer = self.component_token_with(&ticket).await;
        answer["component_access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("component token: {answer}"))
            .to_string()
    }

    /// POSTs to a component API path with `component_access_token`.
    pub async fn component_call(&self, path: &str, token: &str, body: Value) -> Value {
        self.post(&format!("{path}?component_access_token={token}"), body)
            .await
    }

    pub async fn preauthcode(&self, token: &str) -> String {
        let answer = self
            .component_call(
                "/cgi-bin/component/api_create_preauthcode",
                token,
                json!({"component_appid": self.settings.component_appid}),
            )
            .await;
        answer["pre_auth_code"]
            .as_str()
            .unwrap_or_else(|| panic!("pre_auth_code: {answer}"))
            .to_string()
    }

    /// `/__sim/authorize` for `appid` with a fresh pre-auth code.
    pub async fn authorize(&self, token: &str, appid: &str, mini: bool) -> Value {
        let code = self.preauthcode(token).await;
        self.post(
            "/__sim/authorize",
            json!({"pre_auth_code": code, "authorizer_appid": appid, "is_mini_program": mini}),
        )
        .await
    }

    pub async fn query_auth(&self, token: &str, code: &str) -> Value {
        self.component_call(
            "/cgi-bin/component/api_query_auth",
            token,
            json!({"component_appid": self.settings.component_appid, "authorization_code": code}),
        )
        .await
    }

    pub async fn advance(&self, secs: i64) {
        self.post("/__sim/clock/advance", json!({"secs": secs}))
            .await;
    }

    pub fn crypt(&self) -> WxCrypt {
        WxCrypt::new(
            &self.settings.token,
            &self.settings.encoding_aes_key,
            &self.settings.component_appid,
        )
        .expect("crypt")
    }
}

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub query: HashMap<String, String>,
    pub headers: HashMap<String, String>,
    pub body: String,
}

impl Received {
    pub fn q(&self, name: &str) -> &str {
        self.query.get(name).map(String::as_str).unwrap_or("")
    }
}

/// Decides the answer (status, body) to a request.
pub type Responder = Arc<dyn Fn(Received) -> BoxFuture<'static, (u16, String)> + Send + Sync>;

/// A fixed answer.
pub fn answer(status: u16, body: &str) -> Responder {
    let body = body.to_string();
    Arc::new(move |_| {
        let body = body.clone();
        Box::pin(async move { (status, body) })
    })
}

/// A running receiver.
pub struct Receiver {
    pub base_url: String,
    pub requests: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    pub fn all(&self) -> Vec<Received> {
        self.requests.lock().expect("lock").clone()
    }

    pub fn count(&self) -> usize {
        self.requests.lock().expect("lock").len()
    }

    /// Waits until at least `n` requests came in (or panics after `secs`).
    pub async fn wait_for(&self, n: usize, secs: u64) -> Vec<Received> {
        let until = Instant::now() + Duration::from_secs(secs);
        loop {
            let all = self.all();
            if all.len() >= n {
                return all;
            }
            assert!(
                Instant::now() < until,
                "expected {n} requests, got {}",
                all.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Starts a receiver on port 0 that records everything and answers with `responder`.
pub async fn start_receiver(responder: Responder) -> Receiver {
    let requests: Arc<Mutex<Vec<Received>>> = Arc::default();
    let recorded = requests.clone();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind receiver");
    let address = listener.local_addr().expect("address");
    let server = HttpServer::new(move || {
        let recorded = recorded.clone();
        let responder = responder.clone();
        App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
            let recorded = recorded.clone();
            let responder = responder.clone();
            async move {
                let received = Received {
                    path: req.path().to_string(),
                    query: web::Query::<HashMap<String, String>>::from_query(req.query_string())
                        .map(web::Query::into_inner)
                        .unwrap_or_default(),
                    headers: req
                        .headers()
                        .iter()
                        .map(|(k, v)| {
                            (
                                k.as_str().to_string(),
                                v.to_str().unwrap_or_default().to_string(),
                            )
                        })
                        .collect(),
                    body: String::from_utf8_lossy(&body).into_owned(),
                };
                recorded.lock().expect("lock").push(received.clone());
                let (status, body) = responder(received).await;
                HttpResponse::build(actix_web::http::StatusCode::from_u16(status).expect("status"))
                    .body(body)
            }
        }))
    })
    .workers(2)
    .listen(listener)
    .expect("listen")
    .run();
    tokio::spawn(server);
    Receiver {
        base_url: format!("http://{address}"),
        requests,
    }
}

/// Verifies `msg_signature` of an encrypted push and decrypts it.
pub fn open_push(crypt: &WxCrypt, received: &Received) -> String {
    let envelope =
        common::message::EncryptedEnvelope::parse(&received.body).expect("encrypted envelope");
    assert_eq!(received.q("encrypt_type"), "aes");
    crypt
        .verify_url_signature(
            received.q("signature"),
            received.q("timestamp"),
            received.q("nonce"),
        )
        .expect("signature verifies");
    crypt
        .open(
            received.q("msg_signature"),
            received.q("timestamp"),
            received.q("nonce"),
            &envelope.encrypt,
        )
        .expect("msg_signature verifies and the push decrypts")
}

/// The decrypted fields of an encrypted push.
pub fn push_fields(crypt: &WxCrypt, received: &Received) -> common::message::RawFields {
    common::message::RawFields::parse(&open_push(crypt, received)).expect("push parses")
}

/// The errcode of an answer (0 when absent).
pub fn errcode(value: &Value) -> i64 {
    value["errcode"].as_i64().unwrap_or(0)
}
