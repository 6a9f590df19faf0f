#!/usr/bin/env bash
# Installs, only when missing, what building and testing credit-engine needs on a fresh machine.
# Usage: scripts/ensure-tools.sh [rust|wasm|js|browser|all]...
# Versions are pinned here and nowhere else (the Rust toolchain: rust-toolchain.toml); WASM_BINDGEN_VERSION must
# equal the `=X` pin in Cargo.toml. Nothing here uses a nightly toolchain (only `make fuzz` does, see scripts/fuzz.sh).
set -euo pipefail
WASM_BINDGEN_VERSION=0.2.130
WASM_PACK_VERSION=0.15.1
here="$(cd "$(dirname "$0")/.." && pwd)"
log() { printf '[ensure-tools] %s\n' "$*" >&2; }

ensure_rust() {
  command -v rustup >/dev/null || { log "rustup is missing: install Rust with rustup first"; exit 1; }
  # The pinned toolchain with its components and the wasm32 target (rust-toolchain.toml), installed when missing.
  local channel
  channel=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' "$here/rust-toolchain.toml")
  if ! rustup run "$channel" rustc --version >/dev/null 2>&1 \
     || ! rustup component list --toolchain "$channel" --installed 2>/dev/null | grep -q '^clippy' \
     || ! rustup target list --toolchain "$channel" --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    log "installing Rust $channel with rustfmt, clippy and the wasm32 target (rust-toolchain.toml)"
    rustup toolchain install "$channel" --profile minimal --component rustfmt,clippy --target wasm32-unknown-unknown
  fi
}

ensure_wasm() {
  ensure_rust
  local have=""
  if command -v wasm-bindgen >/dev/null; then have="$(wasm-bindgen --version | awk '{print $2}')"; fi
  if [ "$have" != "$WASM_BINDGEN_VERSION" ]; then
    log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (have: ${have:-none}; takes about 5 minutes)"
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
  fi
  have=""
  if command -v wasm-pack >/dev/null; then have="$(wasm-pack --version | awk '{print $2}')"; fi
  if [ "$have" != "$WASM_PACK_VERSION" ]; then
    log "installing wasm-pack $WASM_PACK_VERSION (have: ${have:-none}; takes about 4 minutes)"
    cargo install wasm-pack --version "$WASM_PACK_VERSION" --force
  fi
}

ensure_js() {
  command -v node >/dev/null || { log "node is missing"; exit 1; }
  if [ ! -x "$here/node_modules/.bin/wasm-opt" ] || [ ! -x "$here/node_modules/.bin/deno" ] \
     || [ ! -x "$here/node_modules/.bin/workerd" ] || [ ! -d "$here/node_modules/playwright-core" ] \
     || [ ! -x "$here/node_modules/.bin/tsc" ] || [ ! -d "$here/node_modules/fast-check" ]; then
    log "installing the JS dev tools (npm ci)"
    (cd "$here" && npm ci --no-audit --no-fund)
  fi
}

ensure_browser() {
  if [ ! -x /usr/bin/chromium ]; then
    log "installing Debian's chromium"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  fi
}

[ $# -gt 0 ] || set -- all
for what in "$@"; do
  case "$what" in
    rust) ensure_rust ;;
    wasm) ensure_wasm ;;
    js) ensure_js ;;
    browser) ensure_browser ;;
    all) ensure_rust; ensure_wasm; ensure_js; ensure_browser ;;
    *) log "unknown tool group: $what"; exit 2 ;;
  esac
done
