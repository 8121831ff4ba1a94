//! Mini-program login for the platform's own mini program (wxsim's
//! `/sns/jscode2session`), our JWT, and the protected example route.

use std::sync::Arc;

use crate::support::TestApp;
use common::db::testing::TestDatabase;
use serde_json::{json, Value};
use wxsim::testing::TestSim;

struct Setup {
    app: TestApp,
    sim_url: String,
    appid: String,
    client: reqwest::Client,
}

async fn setup() -> Setup {
    let sim = TestSim::spawn(wxsim::testing::settings("http://127.0.0.1:9")).await;
    let (sim_settings, sim_url) = (sim.settings, sim.base_url);
    let app = TestApp::spawn_with(
        Arc::new(TestDatabase::new()),
        &[
            ("WXC__WECHAT__API_BASE_URL", sim_url.clone()),
            (
                "WXC__BUSINESS__MINI_PROGRAM_APPID",
                sim_settings.mini_program_appid.clone(),
            ),
            (
                "WXC__BUSINESS__MINI_PROGRAM_SECRET",
                sim_settings.mini_program_secret.clone(),
            ),
        ],
    )
    .await;
    Setup {
        app,
        sim_url,
        appid: sim_settings.mini_program_appid,
        client: reqwest::Client::new(),
    }
}

impl Setup {
    async fn mint_code(&self, openid: &str) -> String {
        let answer: Value = self
            .client
            .post(format!("{}/__sim/jscode", self.sim_url))
            .json(&json!({"appid": self.appid, "openid": openid}))
            .send()
            .await
            .expect("mint")
            .json()
            .await
            .expect("json");
        answer["code"].as_str().expect("code").to_string()
    }

    async fn login(&self, query: &str) -> (u16, Value) {
        let response = self
            .client
            .get(format!("{}/api/login?{query}", self.app.base_url))
            .send()
            .await
            .expect("login");
        let status = response.status().as_u16();
        (status, response.json().await.expect("json"))
    }

    async fn me(&self, token: Option<&str>) -> (u16, Value) {
        let mut request = self.client.get(format!("{}/api/me", self.app.base_url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("me");
        let status = response.status().as_u16();
        (status, response.json().await.expect("json"))
    }
}

#[tokio::test]
async fn the_own_mini_program_logs_in_and_gets_a_token_for_the_protected_route() {
    let setup = setup().await;
    let code = setup.mint_code("oUserOwn000001").await;
    let (status, body) = setup.login(&format!("code={code}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["code"], 0);
    let token = body["data"]["token"].as_str().expect("token");
    let (status, me) = setup.me(Some(token)).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["data"]["openid"], "oUserOwn000001");
    assert_eq!(me["data"]["appid"], setup.appid.as_str());
    assert_eq!(me["data"]["session"], true, "session_key kept server-side");
}

#[tokio::test]
async fn the_token_carries_no_session_key() {
    let setup = setup().await;
    let code = setup.mint_code("oUserOwn000002").await;
    let (_, body) = setup
        .login(&format!("code={code}&appid={}", setup.appid))
        .await;
    let token = body["data"]["token"].as_str().expect("token");
    let payload = token.split('.').nth(1).expect("JWT payload");
    use base64_engine::decode_url_safe;
    let claims: Value = serde_json::from_slice(&decode_url_safe(payload)).expect("claims JSON");
    assert_eq!(claims["sub"], "oUserOwn000002");
    assert_eq!(claims["appid"], setup.appid.as_str());
    assert!(claims.get("session_key").is_none());
    let lifetime = claims["exp"].as_i64().expect("exp") - claims["iat"].as_i64().expect("iat");
    assert_eq!(lifetime, 7 * 24 * 3600);
}

#[tokio::test]
async fn a_used_or_unknown_code_is_a_clear_error() {
    let setup = setup().await;
    let code = setup.mint_code("oUserOwn000003").await;
    assert_eq!(setup.login(&format!("code={code}")).await.0, 200);
    let (status, again) = setup.login(&format!("code={code}")).await;
    assert_eq!(status, 400);
    assert_eq!(again["code"], -1);
    assert!(
        again["errorMsg"]
            .as_str()
            .is_some_and(|m| m.contains("4016") || m.contains("40029")),
        "{again}"
    );
    let (status, unknown) = setup.login("code=nonsense").await;
    assert_eq!(status, 400);
    assert!(
        unknown["errorMsg"]
            .as_str()
            .is_some_and(|m| m.contains("40029")),
        "{unknown}"
    );
    let (status, missing) = setup.login("").await;
    assert_eq!(status, 400);
    assert_eq!(missing["code"], -1);
}

#[tokio::test]
async fn a_rate_limited_login_says_so() {
    let setup = setup().await;
    let _: Value = setup
        .client
        .post(format!("{}/__sim/faults", setup.sim_url))
        .json(&json!({"path": "/sns/jscode2session", "errcode": 45011, "errmsg": "api minute-quota reach limit", "times": 1}))
        .send()
        .await
        .expect("fault")
        .json()
        .await
        .expect("json");
    let code = setup.mint_code("oUserOwn000004").await;
    let (status, body) = setup.login(&format!("code={code}")).await;
    assert_eq!(status, 400);
    assert!(
        body["errorMsg"]
            .as_str()
            .is_some_and(|m| m.contains("45011")),
        "{body}"
    );
}

#[tokio::test]
async fn the_protected_route_refuses_missing_bad_and_forged_tokens() {
    let setup = setup().await;
    assert_eq!(setup.me(None).await.0, 401);
    assert_eq!(setup.me(Some("not-a-jwt")).await.0, 401);
    let forged = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4IiwiYXBwaWQiOiJ5IiwiaWF0IjoxLCJleHAiOjk5OTk5OTk5OTl9.c2lnbmF0dXJl";
    let (status, body) = setup.me(Some(forged)).await;
    assert_eq!(status, 401);
    assert_eq!(body["code"], -1);
}

mod base64_engine {
    /// Decodes unpadded base64url (JWT segments) without extra crates.
    pub fn decode_url_safe(input: &str) -> Vec<u8> {
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut bits = 0u32;
        let mut count = 0;
        let mut out = Vec::new();
        for c in input.bytes() {
            let v = alphabet.iter().position(|a| *a == c).expect("base64url") as u32;
            bits = (bits << 6) | v;
            count += 6;
            if count >= 8 {
                count -= 8;
                out.push((bits >> count) as u8);
                bits &= (1 << count) - 1;
            }
        }
        out
    }
}
