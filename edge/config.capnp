# workerd config of the edge pre-check: `workerd serve edge/config.capnp` after `make pkg`.
# Addresses are defaults; override them on the command line (tests and the benchmark do):
#   --socket-addr http=127.0.0.1:PORT --socket-addr passthrough=127.0.0.1:PORT --socket-addr stub=127.0.0.1:PORT
#   --external-addr origin=127.0.0.1:PORT
# CE_TOKEN_KEYS (environment): JSON object, key id -> key (>= 32 bytes), e.g. {"2026-03":"...","2026-04":"..."}.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "precheck", worker = .precheck),
    (name = "passthrough", worker = .passthrough),
    (name = "origin", external = (address = "127.0.0.1:8788", http = ())),
    (name = "stub", worker = .stub),
  ],
  sockets = [
    (name = "http", address = "127.0.0.1:8787", http = (), service = "precheck"),
    (name = "passthrough", address = "127.0.0.1:8789", http = (), service = "passthrough"),
    # Benchmark only (edge/bench/bench.mjs): an origin that answers at once, so both workers are measured, not origin.
    (name = "stub", address = "127.0.0.1:8790", http = (), service = "stub"),
  ],
);

# The package is listed module by module: workerd resolves `credit-engine` (imported by worker.mjs) and the
# package's own relative imports against these names. The .wasm is a compiled `wasm` module (Workers forbid
# compiling from bytes), which the package's workerd entry instantiates synchronously.
const precheck :Workerd.Worker = (
  compatibilityDate = "2025-09-01",
  modules = [
    (name = "worker.mjs", esModule = embed "worker.mjs"),
    (name = "credit-engine", esModule = embed "../pkg/workerd.js"),
    (name = "credit_engine.js", esModule = embed "../pkg/credit_engine.js"),
    (name = "entry.js", esModule = embed "../pkg/entry.js"),
    (name = "fast.js", esModule = embed "../pkg/fast.js"),
    (name = "credit_engine_bg.wasm", wasm = embed "../pkg/credit_engine_bg.wasm"),
  ],
  bindings = [
    (name = "ORIGIN", service = "origin"),
    (name = "TOKEN_KEYS", fromEnvironment = "CE_TOKEN_KEYS"),
  ],
);

const passthrough :Workerd.Worker = (
  compatibilityDate = "2025-09-01",
  modules = [ (name = "passthrough.mjs", esModule = embed "passthrough.mjs") ],
  bindings = [ (name = "ORIGIN", service = "origin") ],
);

const stub :Workerd.Worker = (
  compatibilityDate = "2025-09-01",
  modules = [ (name = "stub.mjs", esModule = "export default { async fetch(r) { await r.arrayBuffer(); return new Response('ok'); } };") ],
);
