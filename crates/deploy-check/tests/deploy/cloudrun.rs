//! deploy/cloudrun/: the WeChat Cloud Run pipeline config and the
//! one-container image with its start script.

use serde_json::Value;

use crate::support::{read, repo_root, str_at};

fn container_config() -> Value {
    serde_json::from_str(&read("deploy/cloudrun/container.config.json"))
        .expect("deploy/cloudrun/container.config.json is plain JSON (no comments)")
}

#[test]
fn container_config_says_port_80_and_the_cloud_run_variables() {
    let config = container_config();
    assert_eq!(
        config.get("containerPort").and_then(Value::as_u64),
        Some(80),
        "Cloud Run reaches the gateway on :80"
    );
    let env = config
        .get("envParams")
        .and_then(Value::as_object)
        .expect("envParams");
    for variable in [
        "MYSQL_ADDRESS",
        "MYSQL_USERNAME",
        "MYSQL_PASSWORD",
        "MYSQL_DATABASE",
        "WX_APPID",
    ] {
        assert!(env.contains_key(variable), "envParams lacks {variable}");
    }
    let database = str_at(&config, "/dataBaseName", "container.config.json");
    assert_eq!(
        env.get("MYSQL_DATABASE").and_then(Value::as_str),
        Some(database),
        "the database Cloud Run creates is the one the services use"
    );
}

#[test]
fn container_config_builds_the_one_container_image() {
    let config = container_config();
    let dockerfile = str_at(&config, "/dockerfilePath", "container.config.json");
    assert_eq!(dockerfile, "Dockerfile");
    let text = read(dockerfile);
    assert!(
        text.lines().any(|l| l.trim() == "EXPOSE 80"),
        "{dockerfile} exposes 80, the containerPort"
    );
    assert!(
        text.contains("start-all.sh"),
        "{dockerfile} runs start-all.sh"
    );
}

#[test]
fn start_all_is_valid_bash_and_starts_every_service() {
    let script = repo_root().join("deploy/cloudrun/start-all.sh");
    let status = std::process::Command::new("bash")
        .arg("-n")
        .arg(&script)
        .status()
        .expect("bash runs");
    assert!(status.success(), "bash -n {} failed", script.display());
    let text = read("deploy/cloudrun/start-all.sh");
    for binary in ["admin", "callback", "business", "gateway"] {
        assert!(
            text.contains(&format!("/usr/local/bin/{binary}")),
            "start-all.sh starts {binary}"
        );
    }
}

#[test]
fn start_all_sets_only_real_settings() {
    let known = crate::support::known_settings();
    let text = read("deploy/cloudrun/start-all.sh");
    let mut seen = 0;
    for line in text.lines() {
        let Some(rest) = line.trim().strip_prefix("export ") else {
            continue;
        };
        for word in rest.split_whitespace() {
            let name = word.split('=').next().unwrap_or_default();
            if name.starts_with("WXC__") {
                crate::support::assert_known_setting(&known, name, "start-all.sh");
                seen += 1;
            }
        }
    }
    assert!(
        seen > 10,
        "start-all.sh configures the services through WXC__ variables"
    );
}

/// `WXC__CALLBACK__CLOUDRUN_MODE` after start-all.sh's `export` lines ran in
/// an environment holding only `env`.
fn cloudrun_mode_after_start_all(env: &[(&str, &str)]) -> String {
    let text = read("deploy/cloudrun/start-all.sh");
    let exports: String = text
        .lines()
        .filter(|l| l.trim_start().starts_with("export "))
        .map(|l| format!("{l}\n"))
        .collect();
    let output = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "{exports}printf %s \"$WXC__CALLBACK__CLOUDRUN_MODE\""
        ))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().copied())
        .output()
        .expect("bash runs");
    assert!(
        output.status.success(),
        "start-all.sh's exports fail: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8")
}

#[test]
fn cloud_run_mode_is_on_by_default_in_the_one_container_image() {
    // WeChat pushes to a Cloud Run service as plain JSON with x-wx-source;
    // without Cloud Run mode a 微管家 user switching images loses them.
    assert_eq!(cloudrun_mode_after_start_all(&[]), "true");
    assert_eq!(
        cloudrun_mode_after_start_all(&[("WXC__CALLBACK__CLOUDRUN_MODE", "false")]),
        "false",
        "an explicit setting wins"
    );
    let config = container_config();
    assert_eq!(
        str_at(
            &config,
            "/envParams/WXC__CALLBACK__CLOUDRUN_MODE",
            "container.config.json"
        ),
        "true",
        "the pipeline's 服务设置 turn it on too"
    );
}
