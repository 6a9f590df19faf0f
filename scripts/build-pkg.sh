#!/usr/bin/env bash
# Builds the npm package into pkg/: exactly what `npm publish pkg` would publish.
# cargo (wasm32, release) -> wasm-bindgen (--target web glue) -> wasm-opt -Oz -> + the thin entry files in npm/.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
gen=target/pkg-gen
# Size: the machine's nightly rebuilds std for size (optimize_for_size) with panics as plain traps (they are
# unreachable by construction anyway). Without nightly the stable build is used: same behaviour, a larger module.
# Reference types and multi-value are switched off: wasm-bindgen then keeps JS values in a table on the JS side
# instead of generating an externref shim per export, 1.5 KB gzipped less (bench/run.mjs shows the call cost).
FEATURES="-Ctarget-feature=-reference-types,-multivalue"
if cargo +nightly --version >/dev/null 2>&1 && rustup component list --toolchain nightly --installed 2>/dev/null | grep -q '^rust-src'; then
  RUSTFLAGS="$FEATURES -Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Zfmt-debug=none -Zmir-opt-level=3" cargo +nightly build --lib --release \
    --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size \
    --target-dir target/nightly
  wasm=target/nightly/wasm32-unknown-unknown/release/credit_engine.wasm
else
  echo "build-pkg: nightly with rust-src not found; building with stable (larger module)" >&2
  RUSTFLAGS="$FEATURES" cargo build --lib --release --target wasm32-unknown-unknown
  wasm=target/wasm32-unknown-unknown/release/credit_engine.wasm
fi
rm -rf "$gen" pkg
mkdir -p "$gen" pkg
wasm-bindgen --target web --out-dir "$gen" --out-name credit_engine \
  --remove-name-section --remove-producers-section \
  "$wasm"
# The features rustc enables by default for wasm32 today; every target runtime supports them.
wasm-opt -Os --flatten --rereloop -Os --converge --strip-debug --strip-producers \
  --enable-bulk-memory --enable-sign-ext --enable-nontrapping-float-to-int \
  --enable-mutable-globals --enable-reference-types --enable-multivalue \
  "$gen/credit_engine_bg.wasm" -o pkg/credit_engine_bg.wasm
cp "$gen/credit_engine.js" pkg/credit_engine.js
cp npm/package.json npm/index.js npm/node.js npm/workerd.js npm/entry.js npm/fast.js npm/index.d.ts npm/README.md npm/LICENSE pkg/
# The rule book, the API reference and the changelog ship with the package; the README's links to them
# (../docs/*.md, ../CHANGELOG.md in the repository) are rewritten to where they are in the package.
mkdir -p pkg/docs && cp docs/rules.md docs/api.md pkg/docs/ && cp CHANGELOG.md pkg/
sed -e 's#](\.\./docs/#](docs/#g' -e 's#](\.\./CHANGELOG\.md#](CHANGELOG.md#g' npm/README.md > pkg/README.md
raw=$(wc -c < pkg/credit_engine_bg.wasm)
gz=$(gzip -9 -c pkg/credit_engine_bg.wasm | wc -c)
echo "pkg/: credit_engine_bg.wasm ${raw} bytes raw, ${gz} bytes gzipped"
