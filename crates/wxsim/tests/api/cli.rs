//! The `wxsim` binary: `serve` with settings from a file and `WXSIM__*`
//! variables, and the client subcommands against it.

use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use crate::support_component::{answer, start_receiver};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_wxsim");

/// Kills the server process when the test ends, even on panic.
struct Serving(Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("address")
        .port()
}

async fn run(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(BIN)
            .args(&args)
            .env_remove("WXSIM_URL")
            .output()
            .expect("run wxsim")
    })
    .await
    .expect("join")
}

fn json_of(output: &Output) -> Value {
    let text = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {text}\nstderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

#[tokio::test]
async fn serve_then_drive_it_with_the_client_subcommands() {
    let receiver = start_receiver(answer(200, "success")).await;
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("wxsim-cli-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let config = dir.join("wxsim.toml");
    std::fs::write(
        &config,
        "component_appid = \"wxclifromfile01\"\nport = 1\nticket_interval_secs = 0\n",
    )
    .expect("write config");

    let child = Command::new(BIN)
        .args(["serve", "--config"])
        .arg(&config)
        .env("WXSIM__PORT", port.to_string())
        .env("WXSIM__CALLBACK_URL", &receiver.base_url)
        .env("WXSIM__PUSH_RETRIES", "0")
        .env("WXSIM__PUSH_TIMEOUT_MS", "2000")
        .spawn()
        .expect("start wxsim serve");
    let _serving = Serving(child);
    let sim = format!("http://127.0.0.1:{port}");

    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        let up = client
            .get(format!("{sim}/__sim/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        if up {
            break;
        }
        assert!(
            Instant::now() < until,
            "wxsim serve did not come up on {sim}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // push-ticket: the file's appid (env overrode its port) reaches the receiver.
    let output = run(vec!["push-ticket".into(), "--sim".into(), sim.clone()]).await;
    assert!(output.status.success(), "{output:?}");
    let pushed = json_of(&output);
    assert!(pushed["ticket"]["ticket"]
        .as_str()
        .is_some_and(|t| t.starts_with("ticket@@@")));
    assert_eq!(pushed["push"]["delivered"], true);
    let push = &receiver.all()[0];
    let envelope = common::message::EncryptedEnvelope::parse(&push.body).expect("envelope");
    assert_eq!(envelope.app_id.as_deref(), Some("wxclifromfile01"));

    // A fake API call, then `calls` shows it.
    client
        .post(format!("{sim}/cgi-bin/component/api_component_token"))
        .body("{}")
        .send()
        .await
        .expect("call");
    let output = run(vec!["calls".into(), "--sim".into(), sim.clone()]).await;
    assert!(output.status.success());
    let calls = json_of(&output);
    assert_eq!(
        calls["paths"]["/cgi-bin/component/api_component_token"], 1,
        "{calls}"
    );

    // Authorize through the CLI, then message the account.
    let output = run(vec!["pre-auth-code".into(), "--sim".into(), sim.clone()]).await;
    let code = json_of(&output)["pre_auth_code"]
        .as_str()
        .expect("code")
        .to_string();
    let output = run(vec![
        "authorize".into(),
        "--sim".into(),
        sim.clone(),
        "--pre-auth-code".into(),
        code.clone(),
        "--appid".into(),
        "wxcliaccount01".into(),
        "--redirect-uri".into(),
        "https://example.com/done".into(),
    ])
    .await;
    assert!(output.status.success(), "{output:?}");
    let authorized = json_of(&output);
    assert!(authorized["redirect"]
        .as_str()
        .unwrap_or("")
        .contains("auth_code="));
    // The pre-auth code is spent: a second use fails with a non-zero exit.
    let output = run(vec![
        "authorize".into(),
        "--sim".into(),
        sim.clone(),
        "--pre-auth-code".into(),
        code,
        "--appid".into(),
        "wxcliaccount01".into(),
    ])
    .await;
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert_eq!(json_of(&output)["errcode"], 61009);

    let output = run(vec![
        "message".into(),
        "--sim".into(),
        sim.clone(),
        "--appid".into(),
        "wxcliaccount01".into(),
        "--event".into(),
        "subscribe".into(),
    ])
    .await;
    assert!(output.status.success(), "{output:?}");
    assert_eq!(json_of(&output)["push"]["reply"]["kind"], "success");

    // The release check fails against a receiver that only says "success".
    let output = run(vec![
        "release-check".into(),
        "--sim".into(),
        sim.clone(),
        "--deadline-secs".into(),
        "0.2".into(),
    ])
    .await;
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert_eq!(json_of(&output)["passed"], false);

    // reset, then unauthorize knows nobody.
    assert!(run(vec!["reset".into(), "--sim".into(), sim.clone()])
        .await
        .status
        .success());
    let output = run(vec![
        "unauthorize".into(),
        "--sim".into(),
        sim.clone(),
        "--appid".into(),
        "wxcliaccount01".into(),
    ])
    .await;
    assert_eq!(output.status.code(), Some(1));

    // No simulator there: exit code 2.
    let output = run(vec![
        "calls".into(),
        "--sim".into(),
        "http://127.0.0.1:9".into(),
    ])
    .await;
    assert_eq!(output.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}
