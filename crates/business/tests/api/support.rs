//! Spawns the real business service on port 0 with a fresh database.

use std::collections::HashMap;
use std::sync::Arc;

use business::Application;
use common::config::Settings;
use common::db::testing::TestDatabase;
use serde_json::{json, Value};

/// A running service and a client for it.
pub struct TestApp {
    pub base_url: String,
    pub client: reqwest::Client,
    pub database: Arc<TestDatabase>,
}

impl TestApp {
    /// Starts the service on a new, empty database.
    pub async fn spawn() -> Self {
        Self::spawn_on(Arc::new(TestDatabase::new())).await
    }

    /// Starts a second instance on the same database, as after a restart.
    pub async fn restart(&self) -> Self {
        Self::spawn_on(Arc::clone(&self.database)).await
    }

    async fn spawn_on(database: Arc<TestDatabase>) -> Self {
        Self::spawn_with(database, &[]).await
    }

    /// Starts the service on `database` with extra `WXC__*` settings.
    pub async fn spawn_with(database: Arc<TestDatabase>, extra: &[(&str, String)]) -> Self {
        let mut env = HashMap::from([
            ("WXC__DATABASE__URL".to_string(), database.url().to_string()),
            ("WXC__BUSINESS__HOST".to_string(), "127.0.0.1".to_string()),
            ("WXC__BUSINESS__PORT".to_string(), "0".to_string()),
        ]);
        for (key, value) in extra {
            env.insert((*key).to_string(), value.clone());
        }
        let settings = Settings::load_from(&env).expect("test settings load");
        let app = Application::build(settings)
            .await
            .expect("business service starts");
        let base_url = format!("http://{}", app.address());
        tokio::spawn(app.run_until_stopped());
        Self {
            base_url,
            client: reqwest::Client::new(),
            database,
        }
    }

    /// `GET /api/count` → (status, body).
    pub async fn get_count(&self) -> (u16, Value) {
        let response = self
            .client
            .get(format!("{}/api/count", self.base_url))
            .send()
            .await
            .expect("GET /api/count");
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON body"))
    }

    /// `POST /api/count` with `{"action": action}` → (status, body).
    pub async fn post_action(&self, action: &str) -> (u16, Value) {
        let response = self
            .client
            .post(format!("{}/api/count", self.base_url))
            .json(&json!({ "action": action }))
            .send()
            .await
            .expect("POST /api/count");
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON body"))
    }

    /// `POST /api/count` with an arbitrary body.
    pub async fn post_raw(&self, body: Vec<u8>, content_type: &str) -> reqwest::Response {
        self.client
            .post(format!("{}/api/count", self.base_url))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("POST /api/count")
    }
}
