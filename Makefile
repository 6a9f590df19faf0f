# credit-engine: `make demo` and `make test` are the two commands a fresh machine needs; both install what is
# missing first (scripts/ensure-tools.sh). Everything else here is a step those two use.
SHELL := /bin/bash
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
PORT ?= 8080

.PHONY: all test demo pkg check-reproducible tools lint test-rust test-canary test-js test-e2e test-docs test-consumer test-stack stack test-stack-node stack-node screenshots fuzz bench bench-native bench-js bench-stack bench-stack-node bench-limits bench-history clean

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

# The demo page end to end in headless Chromium, against the server `make demo` uses (axe-core from tests/e2e).
tests/e2e/node_modules/axe-core/package.json: tests/e2e/package-lock.json
	cd tests/e2e && npm ci --no-audit --no-fund
test-e2e: pkg tests/e2e/node_modules/axe-core/package.json
	scripts/ensure-tools.sh browser
	node tests/e2e/demo.e2e.mjs

# Refreshes the committed screenshots in docs/screenshots/ and their recorded states (states.json), which
# test-e2e compares with what the page shows (a check of the text state, not of pixels).
screenshots: pkg tests/e2e/node_modules/axe-core/package.json
	scripts/ensure-tools.sh browser
	UPDATE_SCREENSHOTS=1 node tests/e2e/demo.e2e.mjs

# The wallet service (SPEC section 10) on Cloudflare Durable Objects, locally in workerd (deploy/cloudflare):
# foreground, 127.0.0.1:$$PORT (default 8787 here, not the demo's 8080), data under $$CE_DATA_DIR (default .data/),
# admin key $$CE_ADMIN_KEY (a development key is printed when unset). Ready when GET /v1/health answers.
stack: pkg
	node deploy/cloudflare/stack.mjs

# The rule book's worked examples run against pkg/, and docs/api.md covers every name of index.d.ts.
test-docs: pkg
	node tests/docs/rules-examples.test.mjs
	node tests/docs/api-coverage.test.mjs

# The packed tarball as users get it: publint, attw, Vite/webpack/esbuild pages in Chromium, Node/Deno/workerd.
test-consumer: pkg
	scripts/ensure-tools.sh browser
	node tests/consumer/run.mjs

# The service over HTTP against real workerd: the SPEC 10 contract, 500 concurrent charges, 2,000 mutations under
# two kill -9, the edge pre-check with a stub generation service; then the wrangler configuration (dry run, offline).
STACK_DRIVER ?= tests/stack/driver-cloudflare.mjs
deploy/cloudflare/node_modules/.bin/wrangler: deploy/cloudflare/package-lock.json
	cd deploy/cloudflare && npm ci --no-audit --no-fund
	touch $@
test-stack: pkg deploy/cloudflare/node_modules/.bin/wrangler
	node tests/stack/contract.mjs $(STACK_DRIVER)
	node tests/stack/concurrency.mjs $(STACK_DRIVER)
	node tests/stack/durability.mjs $(STACK_DRIVER)
	node tests/stack/precheck.mjs tests/stack/driver-cloudflare.mjs
	node tests/stack/wrangler-check.mjs

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

test: lint test-rust test-canary test-js test-e2e test-docs test-consumer test-stack test-stack-node

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

# The wallet service under load next to a pass-through Worker on the same workerd, and a heavy account's charge
# latency next to a new one (loopback, bounded; README "The wallet service on Cloudflare").
bench-stack: pkg
	node bench/stack.mjs

# Three years of a busy account, the ledger taken daily (README "History leaves the wallet"; SPEC 9).
bench-history: pkg
	node bench/history.mjs

# What the resource limits cost at their worst (README "Limits").
bench-limits: pkg
	node bench/limits.mjs

bench: bench-native bench-js bench-limits

clean:
	rm -rf pkg target/wasm32-unknown-unknown
