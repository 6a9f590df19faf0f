# credit-engine: `make demo` and `make test` are the two commands a fresh machine needs; both install what is
# missing first (scripts/ensure-tools.sh). Everything else here is a step those two use.
SHELL := /bin/bash
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
PORT ?= 8080

.PHONY: all test demo pkg tools lint test-rust test-canary test-js test-e2e test-edge test-stack-node stack-node screenshots fuzz bench bench-native bench-js bench-edge bench-limits bench-stack-node clean

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

pkg:
	scripts/ensure-tools.sh wasm js
	scripts/build-pkg.sh

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

# The wallet service on Node and PostgreSQL (deploy/node, README "Wallet service on Node"). npm ci only when missing.
deploy/node/node_modules/pg/package.json: deploy/node/package-lock.json
	cd deploy/node && npm ci --no-audit --no-fund
# Foreground; PORT (default 8787 here, whatever the demo's default), CE_DATA_DIR, CE_ADMIN_KEY, DATABASE_URL.
stack-node: pkg deploy/node/node_modules/pg/package.json
	deploy/node/ensure-postgres.sh
	PORT=$(if $(filter environment command line,$(origin PORT)),$(PORT),8787) node deploy/node/server.mjs
# Each test starts its own PostgreSQL under a temporary directory: the SPEC 10 contract, durability (kill -9 twice
# and one backend terminated mid-transaction) and concurrency through two Node processes on one database.
test-stack-node: pkg deploy/node/node_modules/pg/package.json
	deploy/node/ensure-postgres.sh
	node deploy/node/test/units.test.mjs
	node tests/stack/contract.mjs tests/stack/driver-node.mjs
	STACK_NODE_TERMINATE_BACKEND_AFTER=1500 node tests/stack/durability.mjs tests/stack/driver-node.mjs
	STACK_NODE_PROCESSES=2 node tests/stack/concurrency.mjs tests/stack/driver-node.mjs
bench-stack-node: pkg deploy/node/node_modules/pg/package.json
	deploy/node/ensure-postgres.sh
	node deploy/node/bench/bench.mjs

test: lint test-rust test-canary test-js test-e2e test-edge test-stack-node

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
