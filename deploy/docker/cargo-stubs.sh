#!/bin/sh
# Turns a copy of the workspace into its dependency skeleton for the Docker
# build's cached layer: every crates/*/ keeps only its Cargo.toml and gets
# empty stand-ins for its targets, so `cargo build --release -p <crate>`
# compiles (and the layer caches) all third-party dependencies while the real
# sources are not there yet. The layer only changes when a manifest or
# Cargo.lock does.
#
#   cargo-stubs.sh [workspace-dir]     (default: the current directory)
#
# Targets named in a manifest ([lib], [[bin]], [[test]], [[bench]],
# [[example]], `build = "..."`) get a stub at their `path`, or at cargo's
# default path for their name, because cargo refuses a manifest whose
# declared targets are missing (for example `[[test]] name = "db"`).
set -eu
cd "${1:-.}"

for manifest in crates/*/Cargo.toml; do
  dir=${manifest%/Cargo.toml}
  find "$dir" -mindepth 1 -maxdepth 1 ! -name Cargo.toml -exec rm -rf {} +
  mkdir -p "$dir/src"
  : >"$dir/src/lib.rs"
  echo 'fn main() {}' >"$dir/src/main.rs"

  # One "kind name path" line per declared target (path may be empty).
  awk '
    function flush() {
      if (kind != "") print kind, (name == "" ? "-" : name), (path == "" ? "-" : path)
      kind = ""; name = ""; path = ""
    }
    function value(line) {
      sub(/^[^=]*=[ \t]*"/, "", line); sub(/".*$/, "", line); return line
    }
    /^[ \t]*\[/ {
      flush()
      if ($0 ~ /^[ \t]*\[lib\]/) kind = "lib"
      else if ($0 ~ /^[ \t]*\[\[bin\]\]/) kind = "bin"
      else if ($0 ~ /^[ \t]*\[\[test\]\]/) kind = "test"
      else if ($0 ~ /^[ \t]*\[\[bench\]\]/) kind = "bench"
      else if ($0 ~ /^[ \t]*\[\[example\]\]/) kind = "example"
      section = $0
      next
    }
    kind != "" && /^[ \t]*name[ \t]*=[ \t]*"/ { name = value($0) }
    kind != "" && /^[ \t]*path[ \t]*=[ \t]*"/ { path = value($0) }
    section ~ /^[ \t]*\[package\]/ && /^[ \t]*build[ \t]*=[ \t]*"/ { print "build", "-", value($0) }
    END { flush() }
  ' "$manifest" | while read -r kind name path; do
    if [ "$path" = "-" ]; then
      case "$kind" in
        lib) path=src/lib.rs ;;
        bin) path="src/bin/$name.rs" ;;
        test) path="tests/$name.rs" ;;
        bench) path="benches/$name.rs" ;;
        example) path="examples/$name.rs" ;;
        *) continue ;;
      esac
    fi
    mkdir -p "$(dirname "$dir/$path")"
    if [ "$kind" = lib ]; then : >"$dir/$path"; else echo 'fn main() {}' >"$dir/$path"; fi
  done
done
