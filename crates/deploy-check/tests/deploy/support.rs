//! Reading the repository's files.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize as _;
use serde_json::Value;

/// The repository root: this crate lives in `crates/deploy-check`.
pub fn repo_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .ancestors()
        .nth(2)
        .expect("crates/deploy-check has a grandparent")
        .to_path_buf()
}

/// A file of the repository as text, by its path from the root.
pub fn read(relative: &str) -> String {
    let path = repo_root().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Every document of a YAML text, with merge keys (`<<: *anchor`) applied as
/// Docker Compose and Kubernetes tools do, as JSON values. Empty documents
/// are skipped.
pub fn yaml_documents(text: &str, origin: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(text)
        .enumerate()
        .filter_map(|(index, document)| {
            let mut value = serde_yaml::Value::deserialize(document)
                .unwrap_or_else(|e| panic!("{origin}: document {index} is not YAML: {e}"));
            value
                .apply_merge()
                .unwrap_or_else(|e| panic!("{origin}: document {index}: bad merge key: {e}"));
            let json = serde_json::to_value(&value)
                .unwrap_or_else(|e| panic!("{origin}: document {index} is not JSON-like: {e}"));
            (!json.is_null()).then_some(json)
        })
        .collect()
}

/// The one YAML document of a file.
pub fn yaml_file(relative: &str) -> Value {
    let mut documents = yaml_documents(&read(relative), relative);
    assert_eq!(documents.len(), 1, "{relative}: expected one YAML document");
    documents.remove(0)
}

/// `value[key]` as a string, or a panic naming `what`.
pub fn str_at<'a>(value: &'a Value, pointer: &str, what: &str) -> &'a str {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{what}: no string at {pointer}"))
}

/// The `const DEFAULTS: &str = r#"..."#` TOML block of a Rust source file.
fn defaults_of(relative: &str) -> toml::Table {
    let source = read(relative);
    let start_marker = "const DEFAULTS: &str = r#\"";
    let start = source.find(start_marker).unwrap_or_else(|| {
        panic!("{relative} keeps its defaults in `const DEFAULTS: &str = r#\"...\"#`")
    }) + start_marker.len();
    let end = start
        + source[start..]
            .find("\"#;")
            .unwrap_or_else(|| panic!("{relative}: the DEFAULTS raw string ends with \"#;"));
    toml::from_str(&source[start..end])
        .unwrap_or_else(|e| panic!("{relative}: DEFAULTS is not TOML: {e}"))
}

/// Adds `PREFIX__KEY__SUBKEY` for every leaf of `table`.
fn flatten(prefix: &str, table: &toml::Table, out: &mut BTreeSet<String>) {
    for (key, value) in table {
        let name = format!("{prefix}__{}", key.to_uppercase());
        match value.as_table() {
            Some(inner) => flatten(&name, inner, out),
            None => {
                out.insert(name);
            }
        }
    }
}

/// Every environment variable the services read as a setting: the leaves of
/// the built-in defaults of crates/common/src/config.rs (`WXC__SECTION__KEY`)
/// and of crates/gateway/src/settings.rs (`WXC__GATEWAY__...`, which refuses
/// unknown names at start). Upstream services of the gateway may have any
/// name: they appear as `WXC__GATEWAY__SERVICES__*__KEY`.
pub fn known_settings() -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    flatten(
        "WXC",
        &defaults_of("crates/common/src/config.rs"),
        &mut names,
    );
    let mut gateway = BTreeSet::new();
    flatten(
        "WXC__GATEWAY",
        &defaults_of("crates/gateway/src/settings.rs"),
        &mut gateway,
    );
    for name in gateway {
        match name.strip_prefix("WXC__GATEWAY__SERVICES__") {
            Some(rest) => {
                let key = rest.rsplit("__").next().unwrap_or_default();
                names.insert(format!("WXC__GATEWAY__SERVICES__*__{key}"));
            }
            None => {
                names.insert(name);
            }
        }
    }
    // A service's health-check kind has a serde default, so it is not in DEFAULTS.
    names.insert("WXC__GATEWAY__SERVICES__*__HEALTH_CHECK".to_string());
    names
}

/// Checks that a `WXC__...` variable names a real setting (`_FILE` variants
/// included).
pub fn assert_known_setting(known: &BTreeSet<String>, name: &str, origin: &str) {
    if !name.starts_with("WXC__") {
        return;
    }
    let base = name.strip_suffix("_FILE").unwrap_or(name);
    let generic = |name: &str| match name.strip_prefix("WXC__GATEWAY__SERVICES__") {
        Some(rest) => {
            let key = rest.rsplit("__").next().unwrap_or_default();
            format!("WXC__GATEWAY__SERVICES__*__{key}")
        }
        None => name.to_string(),
    };
    assert!(
        known.contains(&generic(name)) || known.contains(&generic(base)),
        "{origin}: {name} is not a setting (crates/common/src/config.rs, crates/gateway/src/settings.rs)"
    );
}
