# credit-engine: `make demo` and `make test` are the two commands a fresh machine needs; both install what is
# missing first (scripts/ensure-tools.sh). Everything else here is a step those two use.
SHELL := /bin/bash
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
PORT ?= 8080

.PHONY: all test demo pkg check-reproducible tools lint test-rust test-canary test-js test-e2e test-edge screenshots fuzz bench bench-native bench-js bench-edge bench-limits clean

all: pkg

tools:
	scripts/ensure-tools.sh all

lint:
	scripts/ensure-tools.sh wasm
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy --target wasm32-unknown-unknown --lib -- -D warnings

test-rust:
	cargo test

# The property tests must catch a deliberately wrong consumption rule (cargo feature `canary`): this target fails
# if they do NOT fail.
test-canary:
	@cargo test -q --test properties --features canary >/tmp/credit-engine-canary.log 2>&1; status=$$?; \
	rm -rf tests/proptest-regressions; \
	if [ $$status -ne 0 ] && grep -q "test result: FAILED" /tmp/credit-engine-canary.log; then \
	  echo "canary: the property tests caught the deliberately wrong rule (as they must)"; \
	else tail -20 /tmp/credit-engine-canary.log; echo "canary: the property tests did not catch the wrong rule"; exit 1; fi

# wasm-pack on the stable toolchain of rust-toolchain.toml (no nightly anywhere here); prints size and sha256.
pkg:
	scripts/ensure-tools.sh wasm js
	scripts/build-pkg.sh

# Two clean builds of the package give the same bytes (removes this crate's wasm artefacts only, not target/).
check-reproducible:
	scripts/ensure-tools.sh wasm js
	scripts/check-reproducible.sh

test-js: pkg
	scripts/ensure-tools.sh browser
	@! grep -nE ':\s*(any|unknown)\b|<(any|unknown)>' pkg/index.d.ts || (echo "pkg/index.d.ts exposes any/unknown" && false)
	tsc -p tests/js/types/tsconfig.json
	node tests/js/run-all.mjs

# The demo page end to end in headless Chromium, against the server `make demo` uses.
test-e2e: pkg
	scripts/ensure-tools.sh browser
	node tests/e2e/demo.e2e.mjs

# Refreshes the committed screenshots in docs/screenshots/.
screenshots: pkg
	scripts/ensure-tools.sh browser
	UPDATE_SCREENSHOTS=1 node tests/e2e/demo.e2e.mjs

# The edge pre-check over HTTP: real workerd and the Node origin example (SQLite through sql.js, pure wasm).
edge/origin-example/node_modules/sql.js/package.json: edge/origin-example/package-lock.json
	cd edge/origin-example && npm ci --no-audit --no-fund
test-edge: pkg edge/origin-example/node_modules/sql.js/package.json
	node edge/test/edge.test.mjs

test: lint test-rust test-canary test-js test-e2e test-edge

demo: pkg
	node www/serve.mjs --port $(PORT)

FUZZ_SECONDS ?= 60
# Not part of `make test`: runs each cargo-fuzz target for FUZZ_SECONDS (nightly; installs cargo-fuzz if missing).
fuzz:
	scripts/fuzz.sh $(FUZZ_SECONDS)

bench-native:
	cargo bench --bench core

bench-js: pkg
	node bench/run.mjs

# Pre-check worker vs a pass-through worker on the same workerd (loopback, bounded; see README "Edge pre-check").
bench-edge: pkg
	node edge/bench/bench.mjs

# What the resource limits cost at their worst (README "Limits").
bench-limits: pkg
	node bench/limits.mjs

bench: bench-native bench-js bench-limits

clean:
	rm -rf pkg target/wasm32-unknown-unknown
