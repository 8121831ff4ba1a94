//! Configuration layering: defaults < WXC_CONFIG file < Cloud Run variables < WXC__ env.

use std::collections::HashMap;
use std::io::Write;

use common::config::{DatabaseUrl, Layers, Settings};
use secrecy::ExposeSecret;

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn config_file(content: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().expect("temp config file");
    file.write_all(content.as_bytes())
        .expect("write config file");
    file
}

#[test]
fn defaults_apply_when_nothing_is_set() {
    let settings = Settings::load_from(&HashMap::new()).expect("defaults load");
    assert_eq!(
        settings.database.url.expose_secret(),
        "sqlite://./data/wxcomponent.db"
    );
    assert_eq!(settings.business.port, 8083);
    assert_eq!(settings.wechat.api_base_url, "https://api.weixin.qq.com");
    assert_eq!(settings.database.pool_size, 10);
}

#[test]
fn wxc_environment_variables_override_defaults() {
    let settings = Settings::load_from(&env(&[
        ("WXC__BUSINESS__PORT", "9000"),
        ("WXC__WECHAT__COMPONENT_APPID", "wx0123"),
        ("WXC__WECHAT__TOKEN", "000123"),
        ("WXC__LOG__JSON", "true"),
    ]))
    .expect("load");
    assert_eq!(settings.business.port, 9000);
    assert_eq!(settings.wechat.component_appid, "wx0123");
    assert_eq!(
        settings.wechat.token.expose_secret(),
        "000123",
        "numeric-looking secrets keep their leading zeros"
    );
    assert!(settings.log.json);
}

#[test]
fn the_config_file_overrides_defaults_and_the_environment_overrides_the_file() {
    let file =
        config_file("[business]\nport = 7000\nhost = \"127.0.0.1\"\n[log]\nlevel = \"debug\"\n");
    let path = file.path().to_str().expect("utf-8 path");
    let from_file = Settings::load_from(&env(&[("WXC_CONFIG", path)])).expect("load");
    assert_eq!(from_file.business.port, 7000);
    assert_eq!(from_file.business.host, "127.0.0.1");
    assert_eq!(from_file.log.level, "debug");

    let overridden = Settings::load_from(&env(&[
        ("WXC_CONFIG", path),
        ("WXC__BUSINESS__PORT", "7001"),
    ]))
    .expect("load");
    assert_eq!(overridden.business.port, 7001);
    assert_eq!(overridden.business.host, "127.0.0.1");
}

#[test]
fn cloud_run_variables_configure_mysql_and_the_component_appid() {
    let settings = Settings::load_from(&env(&[
        ("MYSQL_ADDRESS", "10.0.0.5:3306"),
        ("MYSQL_USERNAME", "admin"),
        ("MYSQL_PASSWORD", "p@ss:w/rd"),
        ("MYSQL_DATABASE", "platform"),
        ("WX_APPID", "wxcomponent123"),
    ]))
    .expect("load");
    assert_eq!(
        settings.database.url.expose_secret(),
        "mysql://admin:p%40ss%3Aw%2Frd@10.0.0.5:3306/platform"
    );
    assert_eq!(settings.wechat.component_appid, "wxcomponent123");
}

#[test]
fn cloud_run_environment_and_service_come_from_cbr_env_id_and_hostname() {
    let settings = Settings::load_from(&env(&[
        ("CBR_ENV_ID", "prod-2gxyz9k3a1b2c3d4"),
        ("HOSTNAME", "wxcomponent-012-6d9f8c7b5-x2x7k"),
    ]))
    .expect("load");
    assert_eq!(settings.callback.cloudrun_env_id, "prod-2gxyz9k3a1b2c3d4");
    assert_eq!(settings.callback.cloudrun_service, "wxcomponent");

    let off_cloud_run =
        Settings::load_from(&env(&[("HOSTNAME", "admin-6d9f8c7b5-x2x7k")])).expect("load");
    assert_eq!(off_cloud_run.callback.cloudrun_env_id, "");
    assert_eq!(
        off_cloud_run.callback.cloudrun_service, "",
        "a pod or container name is not a Cloud Run service"
    );

    let overridden = Settings::load_from(&env(&[
        ("CBR_ENV_ID", "prod-1"),
        ("HOSTNAME", "wxcomponent-001-abc"),
        ("WXC__CALLBACK__CLOUDRUN_SERVICE", "mine"),
    ]))
    .expect("load");
    assert_eq!(overridden.callback.cloudrun_service, "mine");
}

#[test]
fn the_cloud_run_service_is_the_hostname_before_the_version_number() {
    for (hostname, service) in [
        ("wxcomponent-001-6d9f8c7b5-x2x7k", Some("wxcomponent")),
        ("my-svc-003-6d9f8c7b5-x2x7k", Some("my-svc")),
        ("express-12-abc", Some("express")),
        // No version part: 微管家's rule, everything before the first dash.
        ("svc-abc-def", Some("svc")),
        ("3f4e5a6b7c8d", None),
        ("-001-abc", None),
    ] {
        assert_eq!(
            common::config::cloudrun_service_name(hostname),
            service,
            "{hostname}"
        );
    }
}

#[test]
fn push_records_are_kept_forever_unless_a_retention_is_set() {
    let defaults = Settings::load_from(&HashMap::new()).expect("defaults load");
    assert_eq!(defaults.records.retention_days, 0);
    assert_eq!(defaults.records.purge_batch_rows, 1000);
    let set = Settings::load_from(&env(&[("WXC__RECORDS__RETENTION_DAYS", "30")])).expect("load");
    assert_eq!(set.records.retention_days, 30);
    let err = Settings::load_from(&env(&[("WXC__RECORDS__PURGE_BATCH_ROWS", "0")]))
        .expect_err("must fail");
    assert!(
        err.to_string().contains("records.purge_batch_rows"),
        "{err}"
    );
}

#[test]
fn campaign_runner_settings_have_defaults_and_refuse_a_zero_budget() {
    let defaults = Settings::load_from(&HashMap::new()).expect("defaults load");
    assert_eq!(defaults.campaigns.workers, 4);
    assert_eq!(defaults.campaigns.calls_per_minute, 600);
    assert_eq!(defaults.campaigns.poll_interval_ms, 60_000);
    assert_eq!(defaults.campaigns.lease_secs, 120);
    let set = Settings::load_from(&env(&[("WXC__CAMPAIGNS__WORKERS", "0")])).expect("load");
    assert_eq!(set.campaigns.workers, 0, "0 turns the runner off");
    for (variable, setting) in [
        (
            "WXC__CAMPAIGNS__CALLS_PER_MINUTE",
            "campaigns.calls_per_minute",
        ),
        ("WXC__CAMPAIGNS__MAX_ATTEMPTS", "campaigns.max_attempts"),
        ("WXC__CAMPAIGNS__LEASE_SECS", "campaigns.lease_secs"),
    ] {
        let err = Settings::load_from(&env(&[(variable, "0")])).expect_err("must fail");
        assert!(err.to_string().contains(setting), "{err}");
    }
}

#[test]
fn cloud_run_database_defaults_to_wxcomponent() {
    let settings = Settings::load_from(&env(&[
        ("MYSQL_ADDRESS", "db:3306"),
        ("MYSQL_USERNAME", "root"),
    ]))
    .expect("load");
    assert_eq!(
        settings.database.url.expose_secret(),
        "mysql://root@db:3306/wxcomponent"
    );
}

#[test]
fn cloud_run_variables_win_over_the_config_file() {
    let file = config_file(
        "[database]\nurl = \"sqlite://./baked.db\"\n[wechat]\ncomponent_appid = \"from_file\"\n[business]\nport = 7000\n",
    );
    let path = file.path().to_str().expect("utf-8 path");
    let settings = Settings::load_from(&env(&[
        ("WXC_CONFIG", path),
        ("MYSQL_ADDRESS", "db:3306"),
        ("WX_APPID", "from_cloud_run"),
    ]))
    .expect("load");
    assert_eq!(
        settings.database.url.expose_secret(),
        "mysql://root@db:3306/wxcomponent"
    );
    assert_eq!(settings.wechat.component_appid, "from_cloud_run");
    assert_eq!(
        settings.business.port, 7000,
        "the file's other settings stay"
    );
}

#[test]
fn wxc_variables_win_over_cloud_run_variables() {
    let settings = Settings::load_from(&env(&[
        ("MYSQL_ADDRESS", "db:3306"),
        ("WX_APPID", "from_cloud_run"),
        ("WXC__DATABASE__URL", "sqlite://./other.db"),
        ("WXC__WECHAT__COMPONENT_APPID", "from_wxc"),
    ]))
    .expect("load");
    assert_eq!(settings.database.url.expose_secret(), "sqlite://./other.db");
    assert_eq!(settings.wechat.component_appid, "from_wxc");
}

#[test]
fn file_variants_read_secrets_from_files() {
    let secret = config_file("s3cr3t-from-file\n");
    let path = secret.path().to_str().expect("utf-8 path");
    let settings =
        Settings::load_from(&env(&[("WXC__WECHAT__COMPONENT_SECRET_FILE", path)])).expect("load");
    assert_eq!(
        settings.wechat.component_secret.expose_secret(),
        "s3cr3t-from-file"
    );
}

#[test]
fn file_variables_follow_one_rule_in_every_service() {
    // The gateway loads through the same Layers, so this is its rule too.
    let token = config_file("tok3n \t\r\n");
    let token = token.path().to_str().expect("utf-8 path");
    let secret = config_file("from-file\n");
    let secret = secret.path().to_str().expect("utf-8 path");
    let vars = env(&[
        // Any case, as the config crate reads the variables themselves.
        ("wxc__wechat__token_file", token),
        // The file wins over the plain variable.
        ("WXC__WECHAT__COMPONENT_SECRET", "plain"),
        ("WXC__WECHAT__COMPONENT_SECRET_FILE", secret),
    ]);
    let settings = Settings::load_from(&vars).expect("load");
    assert_eq!(settings.wechat.token.expose_secret(), "tok3n");
    assert_eq!(
        settings.wechat.component_secret.expose_secret(),
        "from-file"
    );
    // Another service's variable reads the same (the gateway falls back to
    // the admin's inner token).
    let layers = Layers::new("", &env(&[("WXC__ADMIN__INNER_TOKEN_FILE", token)])).expect("layers");
    assert_eq!(layers.var("WXC__ADMIN__INNER_TOKEN"), Some("tok3n"));
}

#[test]
fn an_unreadable_secret_file_fails_naming_the_variable() {
    let err = Settings::load_from(&env(&[(
        "WXC__WECHAT__TOKEN_FILE",
        "/nonexistent/wxc/token",
    )]))
    .expect_err("must fail");
    assert!(err.to_string().contains("WXC__WECHAT__TOKEN_FILE"), "{err}");
}

#[test]
fn a_malformed_value_fails_naming_the_setting() {
    let err =
        Settings::load_from(&env(&[("WXC__BUSINESS__PORT", "eighty")])).expect_err("must fail");
    assert!(err.to_string().contains("business.port"), "{err}");

    let err =
        Settings::load_from(&env(&[("WXC__DATABASE__POOL_SIZE", "0")])).expect_err("must fail");
    assert!(err.to_string().contains("database.pool_size"), "{err}");

    let err = Settings::load_from(&env(&[("WXC__WECHAT__ENCODING_AES_KEY", "short")]))
        .expect_err("must fail");
    assert!(err.to_string().contains("wechat.encoding_aes_key"), "{err}");

    let err = Settings::load_from(&env(&[("WXC__WECHAT__API_BASE_URL", "api.weixin.qq.com")]))
        .expect_err("must fail");
    assert!(err.to_string().contains("wechat.api_base_url"), "{err}");
}

#[test]
fn a_database_url_with_an_unknown_scheme_fails_naming_database_url() {
    for url in [
        "postgres://localhost/db",
        "./data/wxcomponent.db",
        "sqlite://",
        "mysql://",
    ] {
        let err = Settings::load_from(&env(&[("WXC__DATABASE__URL", url)])).expect_err(url);
        assert!(err.to_string().contains("database.url"), "{url}: {err}");
    }
}

#[test]
fn a_missing_config_file_fails_at_start() {
    let err = Settings::load_from(&env(&[("WXC_CONFIG", "/nonexistent/wxc.toml")]))
        .expect_err("must fail");
    assert!(err.to_string().contains("/nonexistent/wxc.toml"), "{err}");
}

#[test]
fn a_malformed_config_file_fails_at_start() {
    let file = config_file("[business\nport = ");
    let path = file.path().to_str().expect("utf-8 path");
    assert!(Settings::load_from(&env(&[("WXC_CONFIG", path)])).is_err());
}

#[test]
fn the_backend_is_chosen_from_the_url_scheme() {
    assert_eq!(
        DatabaseUrl::parse("sqlite://./data/x.db").expect("sqlite"),
        DatabaseUrl::Sqlite("./data/x.db".into())
    );
    assert_eq!(
        DatabaseUrl::parse("sqlite:/tmp/x.db").expect("sqlite"),
        DatabaseUrl::Sqlite("/tmp/x.db".into())
    );
    assert_eq!(
        DatabaseUrl::parse("mysql://root@127.0.0.1:3306/wxcomponent").expect("mysql"),
        DatabaseUrl::Mysql("mysql://root@127.0.0.1:3306/wxcomponent".into())
    );
}

#[test]
fn debug_output_never_shows_secrets() {
    let settings = Settings::load_from(&env(&[
        ("WXC__DATABASE__URL", "mysql://u:db-password-1@h:3306/d"),
        ("WXC__WECHAT__COMPONENT_SECRET", "component-secret-2"),
        ("WXC__WECHAT__TOKEN", "push-token-3"),
        (
            "WXC__WECHAT__ENCODING_AES_KEY",
            "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
        ),
    ]))
    .expect("load");
    let printed = format!("{settings:?}");
    for secret in [
        "db-password-1",
        "component-secret-2",
        "push-token-3",
        "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    ] {
        assert!(!printed.contains(secret), "{secret} leaked: {printed}");
    }
}
