//! The gateway must never compile diesel (README, "Repository layout": it
//! stores nothing and shares `common`'s types with the database feature off):
//! its dependency tree, as cargo resolves it for this package alone, holds no
//! diesel crate.
//! CI equivalent: `cargo tree -p gateway -e normal,build | grep -c diesel` → 0.

#![allow(clippy::unwrap_used)]

use std::process::Command;

/// The cargo to ask: the one running this test (`cargo test` sets `CARGO`),
/// else `cargo` from PATH, so a bare run of the test binary checks too
/// instead of passing without looking.
fn cargo() -> String {
    std::env::var("CARGO")
        .ok()
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "cargo".to_string())
}

#[test]
fn the_gateway_does_not_depend_on_diesel() {
    let cargo = cargo();
    // Not `--offline`: after a build every package is in cargo's cache and no
    // network is touched (CARGO_NET_OFFLINE is honoured from the environment);
    // where something is missing and the registry is reachable, cargo fetches
    // it. `--locked`: the check never rewrites Cargo.lock.
    let out = Command::new(&cargo)
        .args([
            "tree",
            "--locked",
            "-p",
            "gateway",
            "-e",
            "normal,build",
            "--prefix",
            "none",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run `{cargo} tree` ({e}): this check needs cargo; \
                 run it with `cargo test`, put cargo on PATH or set CARGO"
            )
        });
    assert!(
        out.status.success(),
        "`{cargo} tree -p gateway` failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8(out.stdout).unwrap();
    assert!(tree.contains("pingora"), "unexpected tree:\n{tree}");
    let diesel: Vec<&str> = tree.lines().filter(|l| l.contains("diesel")).collect();
    assert!(diesel.is_empty(), "the gateway pulls in diesel: {diesel:?}");
}
