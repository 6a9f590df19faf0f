#!/usr/bin/env bash
# Installs, only when missing, what building and testing credit-engine needs on a fresh machine.
# Usage: scripts/ensure-tools.sh [rust|wasm|js|browser|all]...
# Versions are pinned here and nowhere else; WASM_BINDGEN_VERSION must equal the `=X` pin in Cargo.toml.
set -euo pipefail
WASM_BINDGEN_VERSION=0.2.130
here="$(cd "$(dirname "$0")/.." && pwd)"
log() { printf '[ensure-tools] %s\n' "$*" >&2; }

ensure_rust() {
  command -v cargo >/dev/null || { log "cargo is missing: install Rust with rustup first"; exit 1; }
}

ensure_wasm() {
  ensure_rust
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    log "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  # The size-optimized package build uses the machine's nightly (if there is one) with rust-src.
  if cargo +nightly --version >/dev/null 2>&1; then
    if ! rustup component list --toolchain nightly --installed 2>/dev/null | grep -q '^rust-src'; then
      log "adding rust-src and the wasm32 target to nightly (size-optimized std)"
      rustup component add rust-src --toolchain nightly || log "could not add rust-src: the stable build will be used"
    fi
    if ! rustup target list --toolchain nightly --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
      rustup target add wasm32-unknown-unknown --toolchain nightly || true
    fi
  fi
  local have=""
  if command -v wasm-bindgen >/dev/null; then have="$(wasm-bindgen --version | awk '{print $2}')"; fi
  if [ "$have" != "$WASM_BINDGEN_VERSION" ]; then
    log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (have: ${have:-none}; takes about 5 minutes)"
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
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
