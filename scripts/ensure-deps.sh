#!/usr/bin/env bash
# Installs what building wxcomponent-rs needs on Debian/Ubuntu, only if missing:
# a C toolchain, cmake and pkg-config (pingora, bundled SQLite), the MySQL client
# library (diesel's mysql backend), and Rust itself through rustup.
# Sourced by start.sh, test.sh and .ci/run; safe to run again.
set -euo pipefail

wxc_as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else echo "need root to run: $*" >&2; return 1
  fi
}

wxc_ensure_system_packages() {
  local wanted=(build-essential cmake pkg-config default-libmysqlclient-dev ca-certificates curl)
  local missing=()
  for pkg in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    if ! command -v apt-get >/dev/null 2>&1; then
      echo "missing packages ${missing[*]} and no apt-get: install them by hand" >&2
      return 1
    fi
    echo "==> installing ${missing[*]}"
    wxc_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    wxc_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

wxc_ensure_rust() {
  if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
  if ! command -v cargo >/dev/null 2>&1; then
    echo "==> installing Rust with rustup"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --component rustfmt,clippy
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
}

# A cargo-installed tool at exactly the version this repository was written
# against (its config formats change between versions: an older cargo-deny
# refuses deny.toml). Installed once into its own root under ~/.cache, put
# first on PATH, so a different version elsewhere on the machine is never used.
wxc_ensure_cargo_tool() {
  local crate="$1" version="$2" bin="$3"
  local root="${WXC_TOOLS_ROOT:-$HOME/.cache/wxcomponent-rs/tools}/$crate-$version"
  if ! "$root/bin/$bin" --version 2>/dev/null | grep -qF "$version"; then
    echo "==> installing $crate $version into $root"
    # Optimised, but without the fat LTO and single codegen unit a tool's
    # own release profile may ask for (cargo-deny's: 6 min to build on two
    # cores, for a check that runs for seconds).
    CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
      cargo install "$crate" --locked --version "=$version" --root "$root"
  fi
  export PATH="$root/bin:$PATH"
}

wxc_ensure_system_packages
wxc_ensure_rust
