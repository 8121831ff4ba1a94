//! The one way other crates' tests (and wxsim's own) run a simulator: in the
//! test's runtime, on a free loopback port, serving until the test ends.

use actix_web::web;

use crate::{SimSettings, SimState, WxSim};

/// Settings for a simulator in a test: loopback, a free port, each push sent
/// once to `callback_url`, no background ticket pushes (tests push when they
/// mean to). Change the fields a test is about.
pub fn settings(callback_url: &str) -> SimSettings {
    SimSettings {
        host: "127.0.0.1".into(),
        port: 0,
        callback_url: callback_url.into(),
        ticket_interval_secs: 0,
        push_retries: 0,
        ..SimSettings::default()
    }
}

/// A simulator serving in the background of a test.
pub struct TestSim {
    /// `http://127.0.0.1:port`, the value for `wechat.api_base_url`.
    pub base_url: String,
    /// Its state, for tests to inspect and steer it directly.
    pub state: web::Data<SimState>,
    /// The settings it runs with (its appids, secrets and keys).
    pub settings: SimSettings,
}

impl TestSim {
    /// Starts a simulator with `settings` and serves it on the test's runtime.
    /// Panics when it cannot start: a test cannot go on without it.
    pub async fn spawn(settings: SimSettings) -> Self {
        let sim = WxSim::start(settings.clone())
            .await
            .unwrap_or_else(|e| panic!("wxsim does not start: {e}"));
        let base_url = sim.base_url();
        let state = sim.state();
        tokio::spawn(sim.run_until_stopped());
        Self {
            base_url,
            state,
            settings,
        }
    }
}
