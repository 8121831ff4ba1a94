//! docker-compose.yml: valid Compose, scalable business service, health-gated
//! start-up, one shared database and inner token.

use serde_json::Value;

use crate::support::{assert_known_setting, known_settings, read, repo_root, str_at, yaml_file};

const COMPOSE: &str = "docker-compose.yml";

fn compose() -> Value {
    yaml_file(COMPOSE)
}

fn services(compose: &Value) -> &serde_json::Map<String, Value> {
    compose
        .get("services")
        .and_then(Value::as_object)
        .expect("docker-compose.yml has services")
}

fn service<'a>(compose: &'a Value, name: &str) -> &'a Value {
    services(compose)
        .get(name)
        .unwrap_or_else(|| panic!("docker-compose.yml has no service {name}"))
}

/// The Compose specification's schema, carried in `tests/data/` (see its README).
fn compose_validator() -> jsonschema::Validator {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/compose-spec.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read the Compose schema at {} ({e})", path.display()));
    let schema: Value = serde_json::from_str(&text).expect("compose-spec.json is JSON");
    jsonschema::validator_for(&schema).expect("compose-spec.json is a valid JSON schema")
}

fn schema_errors(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|e| format!("at {}: {e}", e.instance_path()))
        .collect()
}

fn environment<'a>(service: &'a Value, name: &str) -> &'a serde_json::Map<String, Value> {
    service
        .get("environment")
        .and_then(Value::as_object)
        .unwrap_or_else(|| panic!("service {name}: environment must be a mapping"))
}

fn env_str<'a>(service: &'a Value, name: &str, variable: &str) -> &'a str {
    environment(service, name)
        .get(variable)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("service {name}: no {variable} (as a string)"))
}

#[test]
fn compose_file_validates_against_the_compose_spec() {
    let validator = compose_validator();
    let errors = schema_errors(&validator, &compose());
    assert!(
        errors.is_empty(),
        "docker-compose.yml:\n{}",
        errors.join("\n")
    );
}

#[test]
fn the_schema_check_does_reject_a_broken_file() {
    let validator = compose_validator();
    let mut unknown_key = compose();
    unknown_key["services"]["business"]["no_such_key"] = Value::Bool(true);
    assert!(
        !schema_errors(&validator, &unknown_key).is_empty(),
        "the schema should refuse an unknown service key"
    );
    let mut bad_condition = compose();
    bad_condition["services"]["gateway"]["depends_on"]["admin"]["condition"] =
        Value::String("service_ready".into());
    assert!(
        !schema_errors(&validator, &bad_condition).is_empty(),
        "the schema should refuse an unknown depends_on condition"
    );
}

#[test]
fn business_scales_with_no_fixed_name_or_host_port() {
    let compose = compose();
    let business = service(&compose, "business");
    for key in ["container_name", "ports", "hostname"] {
        assert!(
            business.get(key).is_none(),
            "business has `{key}`: `docker compose up --scale business=3` needs it gone"
        );
    }
}

#[test]
fn only_the_gateway_is_published_and_on_port_80() {
    let compose = compose();
    for (name, service) in services(&compose) {
        if name == "gateway" {
            continue;
        }
        assert!(
            service.get("ports").is_none(),
            "{name} publishes a port; everything goes through the gateway"
        );
    }
    let ports = service(&compose, "gateway")
        .get("ports")
        .and_then(Value::as_array)
        .expect("the gateway publishes ports");
    assert!(
        ports
            .iter()
            .any(|p| p.as_str().is_some_and(|p| p.ends_with(":80"))),
        "the gateway publishes its container port 80: {ports:?}"
    );
}

#[test]
fn every_service_has_a_healthcheck_and_waits_for_healthy_dependencies() {
    let compose = compose();
    let all = services(&compose);
    for (name, service) in all {
        let test = service
            .pointer("/healthcheck/test")
            .and_then(Value::as_array)
            .unwrap_or_else(|| panic!("{name} has no healthcheck test"));
        assert!(!test.is_empty(), "{name}: empty healthcheck test");
        if name == "mysql" {
            assert!(
                service.get("depends_on").is_none(),
                "mysql depends on nothing"
            );
            continue;
        }
        let depends_on = service
            .get("depends_on")
            .and_then(Value::as_object)
            .unwrap_or_else(|| panic!("{name}: depends_on must be the long form with conditions"));
        assert!(!depends_on.is_empty(), "{name}: depends_on is empty");
        let profiled = service.get("profiles").is_some();
        for (dependency, spec) in depends_on {
            assert_eq!(
                spec.get("condition").and_then(Value::as_str),
                Some("service_healthy"),
                "{name} -> {dependency}: condition must be service_healthy"
            );
            let target = all
                .get(dependency)
                .unwrap_or_else(|| panic!("{name} depends on unknown service {dependency}"));
            assert!(
                target.get("healthcheck").is_some(),
                "{name} waits for {dependency} to be healthy, which has no healthcheck"
            );
            assert!(
                profiled || target.get("profiles").is_none(),
                "{name} (always on) depends on {dependency}, which only runs in a profile"
            );
        }
    }
    for (name, deps) in [
        ("admin", &["mysql"][..]),
        ("callback", &["mysql"][..]),
        ("business", &["mysql"][..]),
        ("gateway", &["admin", "callback", "business"][..]),
    ] {
        for dependency in deps {
            assert!(
                service(&compose, name)
                    .pointer(&format!("/depends_on/{dependency}"))
                    .is_some(),
                "{name} must wait for {dependency}"
            );
        }
    }
}

#[test]
fn mysql_8_keeps_its_data_in_a_named_volume() {
    let compose = compose();
    let mysql = service(&compose, "mysql");
    assert_eq!(
        str_at(mysql, "/image", "mysql"),
        "${WXC_MYSQL_IMAGE:-mysql:8.4}",
        "the database is MySQL 8.4 unless a machine without a registry says otherwise"
    );
    let volumes = mysql
        .get("volumes")
        .and_then(Value::as_array)
        .expect("mysql has volumes");
    let data = volumes
        .iter()
        .filter_map(Value::as_str)
        .find(|v| v.ends_with(":/var/lib/mysql"))
        .expect("mysql mounts /var/lib/mysql");
    let volume = data.split(':').next().unwrap_or_default();
    assert!(
        compose.pointer(&format!("/volumes/{volume}")).is_some(),
        "{volume} is declared as a named volume"
    );
}

#[test]
fn services_share_the_mysql_database_and_the_inner_token() {
    let compose = compose();
    for name in ["admin", "callback", "business"] {
        let url = env_str(service(&compose, name), name, "WXC__DATABASE__URL");
        assert!(
            url.starts_with("mysql://") && url.contains("@mysql:3306/"),
            "{name}: WXC__DATABASE__URL must point at the mysql service: {url}"
        );
    }
    let admin = env_str(
        service(&compose, "admin"),
        "admin",
        "WXC__ADMIN__INNER_TOKEN",
    );
    let gateway = env_str(
        service(&compose, "gateway"),
        "gateway",
        "WXC__ADMIN__INNER_TOKEN",
    );
    let business = env_str(
        service(&compose, "business"),
        "business",
        "WXC__BUSINESS__INNER_TOKEN",
    );
    assert!(!admin.is_empty(), "the admin needs an inner token");
    assert_eq!(admin, gateway, "admin and gateway share the inner token");
    assert_eq!(admin, business, "admin and business share the inner token");
    let inner_api = env_str(
        service(&compose, "business"),
        "business",
        "WXC__BUSINESS__INNER_API_URL",
    );
    assert_eq!(
        inner_api, "http://gateway:8080",
        "business reaches /inner/* through the gateway"
    );
}

#[test]
fn every_wxc_variable_names_a_real_setting() {
    let compose = compose();
    let known = known_settings();
    for (name, service) in services(&compose) {
        let Some(environment) = service.get("environment").and_then(Value::as_object) else {
            continue;
        };
        for variable in environment.keys() {
            assert_known_setting(&known, variable, &format!("docker-compose.yml, {name}"));
        }
    }
}

#[test]
fn the_sim_profile_runs_wxsim_and_sim_env_points_the_platform_at_it() {
    let compose = compose();
    let wxsim = service(&compose, "wxsim");
    assert_eq!(
        wxsim.get("profiles"),
        Some(&serde_json::json!(["sim"])),
        "wxsim runs only with --profile sim"
    );
    let sim_env = read("deploy/sim.env");
    for line in [
        "COMPOSE_PROFILES=sim",
        "WXC_WECHAT_API_BASE_URL=http://wxsim:9101",
    ] {
        assert!(
            sim_env.lines().any(|l| l.trim() == line),
            "deploy/sim.env must contain {line}"
        );
    }
}

#[test]
fn build_files_and_mounted_files_exist() {
    let compose = compose();
    let root = repo_root();
    for (name, service) in services(&compose) {
        if let Some(build) = service.get("build") {
            let context = build.get("context").and_then(Value::as_str).unwrap_or(".");
            assert_eq!(
                context, ".",
                "{name}: the images build from the repository root"
            );
            let dockerfile = build
                .get("dockerfile")
                .and_then(Value::as_str)
                .unwrap_or("Dockerfile");
            let text = std::fs::read_to_string(root.join(dockerfile))
                .unwrap_or_else(|e| panic!("{name}: {dockerfile}: {e}"));
            let target = str_at(build, "/target", name);
            assert!(
                text.lines()
                    .any(|l| l.starts_with("FROM ") && l.ends_with(&format!(" AS {target}"))),
                "{name}: {dockerfile} has no stage {target}"
            );
        }
        let volumes = service.get("volumes").and_then(Value::as_array);
        for volume in volumes.into_iter().flatten().filter_map(Value::as_str) {
            if let Some(source) = volume.strip_prefix("./") {
                let file = source.split(':').next().unwrap_or_default();
                assert!(
                    root.join(file).exists(),
                    "{name} mounts ./{file}, which is missing"
                );
            }
        }
    }
}
