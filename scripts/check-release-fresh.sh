#!/usr/bin/env bash
# Checks that the release binaries start.sh and test.sh build are up to date
# and stay so: run after a build, `cargo build --release` of the same packages
# must compile nothing, and no build script may ask cargo to watch a path
# outside the repository and cargo's own directories (a system directory such
# as /usr/lib/x86_64-linux-gnu/ changes with every apt-get install, and
# rebuilt everything: see .cargo/config.toml). Used by .ci/run.
#
#   scripts/check-release-fresh.sh [WHEN]    # WHEN only labels the messages
set -euo pipefail
cd "$(dirname "$0")/.."
when=${1:-now}
packages=(-p gateway -p callback -p admin -p business -p wxsim)
cargo_home=${CARGO_HOME:-$HOME/.cargo}
rustup_home=${RUSTUP_HOME:-$HOME/.rustup}

log=$(mktemp)
messages=$(mktemp)
trap 'rm -f "$log" "$messages"' EXIT
if ! CARGO_LOG=cargo::core::compiler::fingerprint=info \
  cargo build --release --message-format=json "${packages[@]}" >"$messages" 2>"$log"; then
  grep -v ' INFO ' "$log" >&2 || true
  echo "cargo build --release failed ($when)" >&2
  exit 1
fi
rebuilt=$(grep '"reason":"compiler-artifact"' "$messages" | grep '"fresh":false' |
  sed -n 's/.*"package_id":"\([^"]*\)".*/\1/p' || true)
if [ -n "$rebuilt" ]; then
  echo "the release build was not up to date ($when); cargo rebuilt:" >&2
  echo "$rebuilt" | sed 's/^/  /' >&2
  echo "why (cargo's fingerprint log):" >&2
  grep -E 'stale:|dirty:|\(vs\)|FileTime' "$log" | head -20 >&2 || true
  exit 1
fi
# Build scripts of this build watching paths outside the repository, cargo's
# home and rustup's.
out_dirs=$(sed -n 's/.*"reason":"build-script-executed".*"out_dir":"\([^"]*\)".*/\1/p' "$messages")
watched=$(for dir in $out_dirs; do cat "$(dirname "$dir")/output"; done |
  sed -n 's/^cargo::\{0,1\}rerun-if-changed=\(\/.*\)$/\1/p' | sort -u |
  grep -v -e "^$PWD/" -e "^$cargo_home/" -e "^$rustup_home/" || true)
if [ -n "$watched" ]; then
  echo "a dependency's build script watches paths outside the repository, so the" >&2
  echo "release binaries rebuild whenever those change ($when):" >&2
  echo "$watched" | sed 's/^/  /' >&2
  exit 1
fi
echo "==> the release binaries are up to date ($when)"
