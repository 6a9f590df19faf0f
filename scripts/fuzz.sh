#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for a bounded time, one after the other.
#
#   scripts/fuzz.sh [seconds-per-target]        (default 60)
#
# Installs cargo-fuzz if it is missing and needs a nightly toolchain (`rustup toolchain install nightly` if absent).
# Each target starts from its checked-in seeds (fuzz/corpus/<target>, never written to) plus what earlier runs found
# (fuzz/target/corpus/<target>, ignored by git). Prints the executions per target and exits non-zero if a target
# crashed (a panic or failed invariant); the crashing input is saved under fuzz/artifacts/<target>/, and
# `cargo +nightly fuzz tmin <target> <file>` minimizes it, `cargo +nightly fuzz fmt <target> <file>` shows it.
#
# Environment: FUZZ_TARGETS (default: all targets), FUZZ_SANITIZER (default none: the core has no unsafe code, and
# without ASan a run executes about twice the inputs; set `address` to use ASan), CARGO_BUILD_JOBS (default 1),
# FUZZ_RSS_LIMIT_MB (default 2048), FUZZ_TIMEOUT (seconds per input before libFuzzer reports a hang, default 30).
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
seconds=${1:-60}
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: scripts/fuzz.sh [seconds-per-target]   (a positive whole number, default 60)" >&2
  exit 2
fi
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-1}
sanitizer=${FUZZ_SANITIZER:-none}
rss=${FUZZ_RSS_LIMIT_MB:-2048}
timeout=${FUZZ_TIMEOUT:-30}

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "fuzz: installing the nightly toolchain (cargo-fuzz needs it)"
  rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

targets=${FUZZ_TARGETS:-$(cargo +nightly fuzz list)}
echo "fuzz: building ($(cargo fuzz --version), sanitizer: $sanitizer, CARGO_BUILD_JOBS=$CARGO_BUILD_JOBS)"
cargo +nightly fuzz build -s "$sanitizer"

logs="$root/fuzz/target/logs"
mkdir -p "$logs"
declare -A execs status
failed=0
for t in $targets; do
  work="$root/fuzz/target/corpus/$t"
  mkdir -p "$work" "$root/fuzz/artifacts/$t"
  args=(-max_total_time="$seconds" -rss_limit_mb="$rss" -timeout="$timeout" -print_final_stats=1)
  [ -f "$root/fuzz/dict/$t.dict" ] && args+=(-dict="$root/fuzz/dict/$t.dict")
  echo "fuzz: $t for ${seconds}s (log: fuzz/target/logs/$t.log)"
  set +e
  cargo +nightly fuzz run -s "$sanitizer" "$t" "$work" "$root/fuzz/corpus/$t" -- "${args[@]}" \
    >"$logs/$t.log" 2>&1
  rc=$?
  set -e
  # libFuzzer's final stats line; its last "#N ... DONE" (or last status) line if stats are missing.
  n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$t.log" | tail -1)
  [ -n "$n" ] || n=$(grep -oE '^#[0-9]+' "$logs/$t.log" | tail -1 | tr -d '#')
  execs[$t]=${n:-0}
  if [ $rc -eq 0 ]; then
    status[$t]=ok
  else
    status[$t]="CRASH (exit $rc)"
    failed=1
    grep -E 'panicked at|^SUMMARY|Test unit written to|artifact_prefix' "$logs/$t.log" | head -8 | sed 's/^/    /'
  fi
  grep -E '^#[0-9]+[[:space:]]+DONE' "$logs/$t.log" | tail -1 | sed 's/^/    /' || true
done

echo
printf 'fuzz: %-15s %14s  %s\n' target executions result
for t in $targets; do
  printf 'fuzz: %-15s %14s  %s\n' "$t" "${execs[$t]}" "${status[$t]}"
done
if [ $failed -ne 0 ]; then
  echo "fuzz: a target crashed; inputs are in fuzz/artifacts/<target>/ (see the logs in fuzz/target/logs/)"
  exit 1
fi
