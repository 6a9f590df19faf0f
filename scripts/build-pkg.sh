#!/usr/bin/env bash
# Builds the npm package into pkg/: exactly what `npm publish pkg` would publish.
# wasm-pack (cargo release build on the stable toolchain pinned in rust-toolchain.toml, wasm-bindgen --target web,
# wasm-opt with the flags in Cargo.toml [package.metadata.wasm-pack.profile.release]), then the runtime entry files
# of npm/ on top: consumers see the same pkg/ as before (our package.json, index.d.ts and entries, not wasm-pack's).
# Offline: `--mode no-install` makes wasm-pack use the wasm-bindgen on PATH (its version must equal Cargo.lock's:
# scripts/ensure-tools.sh installs it) and the wasm-opt on PATH (npm `binaryen`, in node_modules/.bin).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# wasm-pack writes into a private directory: the shared target dir may be used by another build at the same time.
out=$(mktemp -d "${TMPDIR:-/tmp}/credit-engine-pkg.XXXXXX")
trap 'rm -rf "$out"' EXIT
# Reference types stay on (rustc's default): with them switched off (-Ctarget-feature=-reference-types, which saved
# 1.5 KB gzipped when std was rebuilt from source) stable's prebuilt std still uses them and wasm-bindgen 0.2.130 stops with
# "failed to find the `__wbindgen_externref_table_alloc` function".
# The module names its dependencies' source files (core's and dependencies' panic locations, with panic=abort still
# in the data). Those paths start with the builder's CARGO_HOME: mapped to one fixed prefix, a build under another
# home gives the same bytes. (Passed with --config, which cargo merges with .cargo/config.toml's rustflags for the
# target; RUSTFLAGS would replace them. The crate's own files are already named relative to its root.)
registry="${CARGO_HOME:-$HOME/.cargo}/registry/src"
wasm-pack --quiet build . --target web --release --mode no-install --no-typescript --no-pack \
  --out-dir "$out" --out-name credit_engine \
  -- --config "target.wasm32-unknown-unknown.rustflags=[\"--remap-path-prefix=${registry}=/cargo/registry/src\"]"
rm -rf pkg
mkdir pkg
cp "$out/credit_engine_bg.wasm" "$out/credit_engine.js" pkg/
cp npm/package.json npm/*.js npm/index.d.ts npm/LICENSE pkg/
# The rule book, the API reference and the changelog ship with the package; the README's links to them
# (../docs/*.md, ../CHANGELOG.md in the repository) are rewritten to where they are in the package.
mkdir -p pkg/docs && cp docs/rules.md docs/api.md pkg/docs/ && cp CHANGELOG.md pkg/
sed -e 's#](\.\./docs/#](docs/#g' -e 's#](\.\./CHANGELOG\.md#](CHANGELOG.md#g' npm/README.md > pkg/README.md
wasm=pkg/credit_engine_bg.wasm
raw=$(wc -c < "$wasm")
gz=$(gzip -9 -n -c "$wasm" | wc -c)
sha=$(sha256sum "$wasm" | cut -d' ' -f1)
echo "pkg/: credit_engine_bg.wasm ${raw} bytes raw, ${gz} bytes gzip -9, sha256 ${sha}"
echo "      built by $(rustc --version), $(wasm-pack --version), $(wasm-bindgen --version), wasm-opt $(wasm-opt --version | awk '{print $3}')"
