//! The gateway must never compile diesel (DESIGN.md): its dependency tree,
//! as cargo resolves it for this package alone, holds no diesel crate.
//! CI equivalent: `cargo tree -p gateway -e normal,build | grep -c diesel` → 0.

#![allow(clippy::unwrap_used)]

use std::process::Command;

#[test]
fn the_gateway_does_not_depend_on_diesel() {
    // Cargo sets CARGO for the tests it runs; without it (a bare binary run)
    // there is no cargo to ask.
    let Ok(cargo) = std::env::var("CARGO") else {
        eprintln!("CARGO not set; skipping the dependency check");
        return;
    };
    let out = Command::new(cargo)
        .args([
            "tree",
            "--offline",
            "-p",
            "gateway",
            "-e",
            "normal,build",
            "--prefix",
            "none",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8(out.stdout).unwrap();
    assert!(tree.contains("pingora"), "unexpected tree:\n{tree}");
    let diesel: Vec<&str> = tree.lines().filter(|l| l.contains("diesel")).collect();
    assert!(diesel.is_empty(), "the gateway pulls in diesel: {diesel:?}");
}
