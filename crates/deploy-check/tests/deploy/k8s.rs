//! deploy/k8s/: every manifest parses; Deployments with /healthz probes,
//! headless Services for what the gateway discovers, ConfigMap, Secret
//! template, HorizontalPodAutoscalers; references between them resolve.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::support::{
    assert_known_setting, known_settings, read, repo_root, str_at, yaml_documents,
};

/// (file, document) for every document of every deploy/k8s/*.yaml.
fn manifests() -> Vec<(String, Value)> {
    let dir = repo_root().join("deploy/k8s");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("a readable directory entry").file_name())
        .filter_map(|name| name.to_str().map(str::to_string))
        .filter(|name| name.ends_with(".yaml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "deploy/k8s has no .yaml files");
    let mut all = Vec::new();
    for file in files {
        let relative = format!("deploy/k8s/{file}");
        let documents = yaml_documents(&read(&relative), &relative);
        assert!(!documents.is_empty(), "{relative} has no documents");
        all.extend(documents.into_iter().map(|d| (file.clone(), d)));
    }
    all
}

fn kind(document: &Value) -> &str {
    document
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

fn name(document: &Value) -> &str {
    document
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// The resources by (kind, name), the Kustomization aside.
fn by_kind_and_name(all: &[(String, Value)]) -> BTreeMap<(String, String), (String, Value)> {
    all.iter()
        .filter(|(_, d)| kind(d) != "Kustomization")
        .map(|(file, d)| {
            (
                (kind(d).to_string(), name(d).to_string()),
                (file.clone(), d.clone()),
            )
        })
        .collect()
}

fn get<'a>(
    resources: &'a BTreeMap<(String, String), (String, Value)>,
    kind: &str,
    name: &str,
) -> &'a Value {
    &resources
        .get(&(kind.to_string(), name.to_string()))
        .unwrap_or_else(|| panic!("deploy/k8s has no {kind} {name}"))
        .1
}

fn containers(deployment: &Value) -> &Vec<Value> {
    deployment
        .pointer("/spec/template/spec/containers")
        .and_then(Value::as_array)
        .expect("a Deployment has containers")
}

/// The container port a probe or Service targets (by name or number).
fn container_port(container: &Value, port: &Value) -> Option<u64> {
    if let Some(number) = port.as_u64() {
        return Some(number);
    }
    let wanted = port.as_str()?;
    container
        .get("ports")?
        .as_array()?
        .iter()
        .find(|p| p.get("name").and_then(Value::as_str) == Some(wanted))?
        .get("containerPort")?
        .as_u64()
}

#[test]
fn every_manifest_parses_and_names_a_known_kind() {
    let allowed = [
        "Namespace",
        "ConfigMap",
        "Secret",
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "Kustomization",
    ];
    for (file, document) in manifests() {
        assert!(
            allowed.contains(&kind(&document)),
            "{file}: unexpected kind {:?}",
            document.get("kind")
        );
        assert!(
            document.get("apiVersion").and_then(Value::as_str).is_some(),
            "{file}: no apiVersion"
        );
        if kind(&document) != "Kustomization" {
            assert!(
                !name(&document).is_empty(),
                "{file}: a {} without a name",
                kind(&document)
            );
        }
    }
}

#[test]
fn every_service_is_a_deployment_with_healthz_probes() {
    let resources = by_kind_and_name(&manifests());
    for service in ["gateway", "admin", "callback", "business"] {
        let deployment = get(&resources, "Deployment", service);
        let selector = deployment
            .pointer("/spec/selector/matchLabels")
            .and_then(Value::as_object)
            .unwrap_or_else(|| panic!("{service}: no selector"));
        for (label, value) in selector {
            assert_eq!(
                deployment
                    .pointer("/spec/template/metadata/labels")
                    .and_then(|labels| labels.get(label)),
                Some(value),
                "{service}: the selector must match the pod labels"
            );
        }
        assert_eq!(
            deployment.pointer("/spec/template/spec/securityContext/runAsNonRoot"),
            Some(&Value::Bool(true)),
            "{service} runs as non-root"
        );
        for container in containers(deployment) {
            for probe in ["readinessProbe", "livenessProbe"] {
                let http = container
                    .pointer(&format!("/{probe}/httpGet"))
                    .unwrap_or_else(|| panic!("{service}: no {probe} over HTTP"));
                assert_eq!(
                    str_at(http, "/path", service),
                    "/healthz",
                    "{service}: {probe} must ask /healthz"
                );
                let port = http.get("port").expect("a probe names its port");
                assert!(
                    container_port(container, port).is_some(),
                    "{service}: {probe} port {port} is not a container port"
                );
            }
        }
    }
}

#[test]
fn the_gateway_discovers_callback_admin_and_business_through_headless_services() {
    let resources = by_kind_and_name(&manifests());
    for (service, port) in [("callback", 8081), ("admin", 8082), ("business", 8083)] {
        let svc = get(&resources, "Service", service);
        assert_eq!(
            svc.pointer("/spec/clusterIP").and_then(Value::as_str),
            Some("None"),
            "Service {service} must be headless (clusterIP: None) so its DNS name lists every pod"
        );
        let ports = svc
            .pointer("/spec/ports")
            .and_then(Value::as_array)
            .expect("ports");
        assert!(
            ports
                .iter()
                .any(|p| p.get("port").and_then(Value::as_u64) == Some(port)),
            "Service {service} listens on {port}"
        );
        let deployment = get(&resources, "Deployment", service);
        let container = &containers(deployment)[0];
        for p in ports {
            let target = p.get("targetPort").unwrap_or(&p["port"]);
            assert_eq!(
                container_port(container, target),
                Some(port),
                "Service {service} targets the container's port {port}"
            );
        }
        let selector = svc.pointer("/spec/selector").expect("a selector");
        assert_eq!(
            Some(selector),
            deployment.pointer("/spec/selector/matchLabels"),
            "Service {service} selects the Deployment's pods"
        );
    }
}

#[test]
fn the_gateway_is_public_on_80_and_its_internal_listener_is_not() {
    let resources = by_kind_and_name(&manifests());
    let public = get(&resources, "Service", "gateway");
    let ports = public
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .expect("ports");
    assert!(
        ports
            .iter()
            .any(|p| p.get("port").and_then(Value::as_u64) == Some(80)),
        "the gateway Service listens on 80"
    );
    assert!(
        ports
            .iter()
            .all(|p| p.get("port").and_then(Value::as_u64) != Some(8080)),
        "the internal listener must not be on the public Service"
    );
    let internal = get(&resources, "Service", "gateway-internal");
    let kind = internal
        .pointer("/spec/type")
        .and_then(Value::as_str)
        .unwrap_or("ClusterIP");
    assert_eq!(
        kind, "ClusterIP",
        "gateway-internal stays inside the cluster"
    );
}

#[test]
fn autoscalers_scale_business_and_callback() {
    let resources = by_kind_and_name(&manifests());
    for service in ["business", "callback"] {
        let hpa = get(&resources, "HorizontalPodAutoscaler", service);
        assert_eq!(
            str_at(hpa, "/spec/scaleTargetRef/kind", service),
            "Deployment"
        );
        assert_eq!(str_at(hpa, "/spec/scaleTargetRef/name", service), service);
        let deployment = get(&resources, "Deployment", service);
        assert!(
            deployment.pointer("/spec/replicas").is_none(),
            "{service}: leave `replicas` to the autoscaler, or every apply resets it"
        );
        for container in containers(deployment) {
            assert!(
                container.pointer("/resources/requests/cpu").is_some(),
                "{service}: CPU utilisation targets need a CPU request"
            );
        }
    }
}

#[test]
fn config_and_secret_references_resolve() {
    let all = manifests();
    let resources = by_kind_and_name(&all);
    let config = get(&resources, "ConfigMap", "wxcomponent-config");
    let (secret_file, secret) = resources
        .get(&("Secret".to_string(), "wxcomponent-secrets".to_string()))
        .expect("a Secret template wxcomponent-secrets");
    assert_eq!(
        secret_file, "secret.template.yaml",
        "the Secret is a template to fill in"
    );
    let secret_keys: BTreeSet<&str> = secret
        .get("stringData")
        .and_then(Value::as_object)
        .expect("the Secret template uses stringData")
        .keys()
        .map(String::as_str)
        .collect();
    let url = str_at(secret, "/stringData/WXC__DATABASE__URL", "the Secret");
    assert!(
        url.starts_with("mysql://"),
        "MySQL is an external database: {url}"
    );

    let known = known_settings();
    for key in config
        .get("data")
        .and_then(Value::as_object)
        .expect("data")
        .keys()
    {
        assert_known_setting(&known, key, "ConfigMap wxcomponent-config");
    }
    for key in &secret_keys {
        assert_known_setting(&known, key, "Secret wxcomponent-secrets");
    }
    for ((kind, name), (_, document)) in &resources {
        if kind != "Deployment" {
            continue;
        }
        for container in containers(document) {
            for from in container
                .get("envFrom")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(map) = from.pointer("/configMapRef/name").and_then(Value::as_str) {
                    assert_eq!(map, "wxcomponent-config", "{name}: unknown ConfigMap");
                }
                if let Some(secret) = from.pointer("/secretRef/name").and_then(Value::as_str) {
                    assert_eq!(secret, "wxcomponent-secrets", "{name}: unknown Secret");
                }
            }
            for env in container
                .get("env")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let variable = str_at(env, "/name", name);
                assert_known_setting(&known, variable, &format!("Deployment {name}"));
                if let Some(reference) = env.pointer("/valueFrom/secretKeyRef") {
                    assert_eq!(str_at(reference, "/name", name), "wxcomponent-secrets");
                    let key = str_at(reference, "/key", name);
                    let optional = reference.get("optional") == Some(&Value::Bool(true));
                    assert!(
                        optional || secret_keys.contains(key),
                        "{name}: {variable} needs key {key} in the Secret template"
                    );
                }
            }
        }
    }
}

#[test]
fn the_kustomization_lists_every_manifest_but_the_secret_template() {
    let all = manifests();
    let kustomization = all
        .iter()
        .find(|(_, d)| kind(d) == "Kustomization")
        .map(|(_, d)| d)
        .expect("deploy/k8s/kustomization.yaml");
    let listed: BTreeSet<&str> = kustomization
        .get("resources")
        .and_then(Value::as_array)
        .expect("resources")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let files: BTreeSet<&str> = all
        .iter()
        .map(|(file, _)| file.as_str())
        .filter(|f| !matches!(*f, "kustomization.yaml" | "secret.template.yaml"))
        .collect();
    assert_eq!(
        listed, files,
        "kustomization.yaml resources vs. the files in deploy/k8s"
    );
}
