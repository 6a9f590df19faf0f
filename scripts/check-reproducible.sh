#!/usr/bin/env bash
# Two clean builds of the package must give the same .wasm, byte for byte. The first builds pkg/ after removing pkg/
# and this crate's own wasm32 release artefacts (not its dependencies', and never the whole target dir, which may be
# shared). The second builds everything from an empty target dir of its own, under another CARGO_HOME (a directory
# whose registry is a link to this one's, offline): what another machine, another user or a CI runner would do.
# Exit code 0 only if the bytes are identical.
set -euo pipefail
cd "$(dirname "$0")/.."
keep=$(mktemp -d "${TMPDIR:-/tmp}/credit-engine-repro.XXXXXX")
trap 'rm -rf "$keep"' EXIT
target=$(cargo metadata --format-version 1 --no-deps | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')
rel="$target/wasm32-unknown-unknown/release"

clean_crate() {
  rm -rf pkg "$rel"/credit_engine.wasm "$rel"/credit_engine.d "$rel"/libcredit_engine.* \
    "$rel"/deps/credit_engine*.wasm "$rel"/deps/credit_engine-*.d "$rel"/deps/libcredit_engine-* \
    "$rel"/.fingerprint/credit-engine-* "$rel"/incremental/credit_engine-*
}

clean_crate
scripts/build-pkg.sh
cp pkg/credit_engine_bg.wasm "$keep/first.wasm"
# The second build: empty target dir, another cargo home (same sources, so offline).
home2="$keep/cargo-home"
mkdir -p "$home2"
ln -s "${CARGO_HOME:-$HOME/.cargo}/registry" "$home2/registry"
rm -rf pkg
CARGO_HOME="$home2" CARGO_NET_OFFLINE=true CARGO_TARGET_DIR="$keep/target" scripts/build-pkg.sh
a=$(sha256sum < "$keep/first.wasm" | cut -d' ' -f1)
b=$(sha256sum < pkg/credit_engine_bg.wasm | cut -d' ' -f1)
if cmp -s "$keep/first.wasm" pkg/credit_engine_bg.wasm; then
  echo "check-reproducible: two clean builds (the second from an empty target dir under another CARGO_HOME) gave identical bytes (sha256 $a)"
else
  echo "check-reproducible: the two builds differ (first sha256 $a, second $b)"
  exit 1
fi
