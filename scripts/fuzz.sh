#!/usr/bin/env bash
# Fuzzes the parsers and checks that face the outside world (cargo-fuzz, libFuzzer):
# decrypt + verify, XML and JSON push parsing, the passive-reply round trip through
# the crypto, the gateway's route table and request checks, the admin's
# forward-rule target. Targets are in fuzz/fuzz_targets/ (one file each, the
# properties they assert in its header), seeds in fuzz/seeds/<target>/.
#
#   scripts/fuzz.sh                  every target for FUZZ_SECONDS (default 600)
#   FUZZ_SECONDS=60 scripts/fuzz.sh  what CI runs
#   scripts/fuzz.sh xml_push ...     some targets only
#   scripts/fuzz.sh --build-only     build every target, run none
#   scripts/fuzz.sh --no-build ...   run targets built before (CI builds
#                                    first, then runs them while the browser
#                                    and schemathesis steps go on)
#
# Prints per target "target: runs, crashes" and a summary line; exits non-zero
# when any target crashed, naming the crash input (fuzz/artifacts/<target>/).
# Reproduce one with: fuzz/target/x86_64-unknown-linux-gnu/release/<target> <input>
# and turn it into a regression test (crates/common/tests/api/fuzz_regressions.rs).
#
# Build choices: `--sanitizer none` with cargo fuzz's release profile (-O, debug
# assertions and overflow checks on). The code under test is safe Rust (unsafe is
# denied workspace-wide but for one FFI call that sets an allocator option), so
# AddressSanitizer would find nothing the Rust checks do not, while roughly
# doubling build time and slowing every run; and mimalloc, the global allocator
# of everything linking `common`, bypasses ASan's heap interception anyway.
# Only the stable toolchain exists: RUSTC_BOOTSTRAP=1 admits the -Z flags cargo
# fuzz passes. The working corpus (fuzz/corpus/) and artifacts are ignored by git.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZ_SECONDS="${FUZZ_SECONDS:-600}"
build=1 run=1
case "${1:-}" in
  --build-only) run=0; shift ;;
  --no-build) build=0; shift ;;
esac
ALL_TARGETS=(decrypt_verify xml_push json_push passive_reply gateway_request forward_target)
if [ "$#" -gt 0 ]; then TARGETS=("$@"); else TARGETS=("${ALL_TARGETS[@]}"); fi

# Longest input per target: pushes get room for nesting and many fields; the
# structured targets need far less.
max_len() {
  case "$1" in
    xml_push | json_push) echo 16384 ;;
    forward_target) echo 2048 ;;
    *) echo 4096 ;;
  esac
}

# shellcheck source=scripts/ensure-deps.sh
source scripts/ensure-deps.sh
export RUSTC_BOOTSTRAP=1
if [ "$build" = 1 ]; then
  wxc_ensure_cargo_tool cargo-fuzz 0.13.2 cargo-fuzz
fi

cd fuzz
if [ "$build" = 1 ]; then
  echo "==> building ${#TARGETS[@]} fuzz target(s)"
  build_start=$SECONDS
  if [ "$#" -eq 0 ]; then
    # Every target in one cargo run: the binaries build and link in parallel.
    cargo fuzz build --sanitizer none
  else
    for target in "${TARGETS[@]}"; do
      cargo fuzz build --sanitizer none "$target"
    done
  fi
  echo "==> built in $((SECONDS - build_start)) s"
fi
[ "$run" = 1 ] || exit 0

triple="$(rustc -vV | sed -n 's/^host: //p')"
total_crashes=0
crashed=()
summary=()
for target in "${TARGETS[@]}"; do
  mkdir -p "corpus/$target" "artifacts/$target"
  log="artifacts/$target/last-run.log"
  echo "==> fuzzing $target for ${FUZZ_SECONDS} s"
  status=0
  "target/$triple/release/$target" \
    -max_total_time="$FUZZ_SECONDS" -max_len="$(max_len "$target")" -timeout=10 \
    -artifact_prefix="artifacts/$target/" -print_final_stats=1 \
    "corpus/$target" "seeds/$target" >"$log" 2>&1 || status=$?
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
  if [ -z "$runs" ]; then
    # libFuzzer prints no final stats when it stops on a crash: take the last status line.
    runs="$(grep -o '^#[0-9]*' "$log" | tail -n 1 | tr -d '#')"
  fi
  crashes=0
  if [ "$status" -ne 0 ]; then
    crashes=1
    input="$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)"
    tail -n 40 "$log" >&2
    crashed+=("$target: fuzz/${input:-$log}")
  fi
  total_crashes=$((total_crashes + crashes))
  summary+=("$target: ${runs:-0} runs, $crashes crashes")
  echo "${summary[-1]}"
done

echo
printf '%s\n' "${summary[@]}"
echo "fuzz: ${#TARGETS[@]} targets × ${FUZZ_SECONDS} s, ${total_crashes} crashes"
if [ "$total_crashes" -gt 0 ]; then
  printf 'crash input: %s\n' "${crashed[@]}" >&2
  exit 1
fi
