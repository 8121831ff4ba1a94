//! Starts a real wxsim on port 0 and talks to it over HTTP, with helpers to
//! authorize accounts and hand out their tokens the way the component flow
//! would, so the authorizer-side tests start from a known state.

use actix_web::web;
use serde_json::Value;
use wxsim::calls::lock;
use wxsim::component_state::Authorizer;
use wxsim::testing::TestSim;
use wxsim::tokens::TokenOwner;
use wxsim::SimState;

/// An official account used by the tests.
pub const OFFICIAL_ACCOUNT: &str = "wxofficialacct0001";
/// A mini program used by the tests.
pub const MINI_PROGRAM: &str = "wxminiprogram00001";

/// A running simulator and a client for it.
pub struct Sim {
    pub base_url: String,
    pub state: web::Data<SimState>,
    pub client: reqwest::Client,
}

impl Sim {
    /// Starts a simulator with default settings on a free port; its pushes
    /// go to a port nothing listens on (the discard port).
    pub async fn start() -> Self {
        Self::start_pushing_to("http://127.0.0.1:9").await
    }

    /// Starts a simulator whose pushes go to `callback_url`, once each, with
    /// no background ticket pushes.
    pub async fn start_pushing_to(callback_url: &str) -> Self {
        Self::start_with(wxsim::testing::settings(callback_url)).await
    }

    /// Starts a simulator with `settings` (tests change the limits they are
    /// about, e.g. `tester_limit`).
    pub async fn start_with(settings: wxsim::SimSettings) -> Self {
        let sim = TestSim::spawn(settings).await;
        Self {
            base_url: sim.base_url,
            state: sim.state,
            client: reqwest::Client::new(),
        }
    }

    /// Authorizes `appid` to the platform and answers a fresh
    /// authorizer_access_token for it.
    pub fn authorize(&self, appid: &str, is_mini_program: bool) -> String {
        let now = self.state.now();
        lock(&self.state.component).authorizers.insert(
            appid.to_string(),
            Authorizer::new(appid, is_mini_program, now),
        );
        self.token_for(TokenOwner::Authorizer(appid.to_string()))
    }

    /// An official account authorized with its token.
    pub fn official_account(&self) -> String {
        self.authorize(OFFICIAL_ACCOUNT, false)
    }

    /// A mini program authorized with its token.
    pub fn mini_program(&self) -> String {
        self.authorize(MINI_PROGRAM, true)
    }

    /// A fresh component_access_token of the configured platform.
    pub fn component_token(&self) -> String {
        let appid = self.state.settings.component_appid.clone();
        self.token_for(TokenOwner::Component(appid))
    }

    fn token_for(&self, owner: TokenOwner) -> String {
        let settings = &self.state.settings;
        let (token, _) = lock(&self.state.tokens).issue(
            owner,
            self.state.now(),
            settings.token_ttl_secs,
            settings.token_overlap_secs,
        );
        token
    }

    /// `GET path` (with its query) answered as JSON.
    pub async fn get(&self, path_and_query: &str) -> Value {
        let response = self
            .client
            .get(format!("{}{path_and_query}", self.base_url))
            .send()
            .await
            .expect("GET reaches wxsim");
        assert_eq!(response.status(), 200, "GET {path_and_query}");
        response.json().await.expect("a JSON answer")
    }

    /// `POST path` with a JSON body, answered as JSON.
    pub async fn post(&self, path_and_query: &str, body: &Value) -> Value {
        self.post_raw(path_and_query, &body.to_string()).await
    }

    /// `POST path` with a raw body, answered as JSON.
    pub async fn post_raw(&self, path_and_query: &str, body: &str) -> Value {
        let response = self
            .client
            .post(format!("{}{path_and_query}", self.base_url))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("POST reaches wxsim");
        assert_eq!(response.status(), 200, "POST {path_and_query}");
        response.json().await.expect("a JSON answer")
    }

    /// The `/__sim/state` snapshot.
    pub async fn snapshot(&self) -> Value {
        self.get("/__sim/state").await
    }
}

/// The errcode of an answer (0 when absent, as WeChat's success answers omit it).
pub fn errcode(answer: &Value) -> i64 {
    answer["errcode"].as_i64().unwrap_or(0)
}

/// Asserts the answer carries `code`, showing the answer when it does not.
#[track_caller]
pub fn assert_errcode(answer: &Value, code: i64) {
    assert_eq!(errcode(answer), code, "answer: {answer}");
}
