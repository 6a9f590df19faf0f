// Entry for the command-line runtimes, Node and Deno: runs the suite and prints the results as one marked JSON line.
// Usage (run-all does this): node cli-entry.mjs [filter]   |   deno run --import-map=... cli-entry.mjs [filter]
// Env for Node: CREDIT_ENGINE_PKG (package dir), CREDIT_ENGINE_NODE_ENTRY (file used if the package has no exports).
const MARKER = '@@credit-engine-test-results@@'; // = RESULTS_MARKER in common.mjs (not imported: Node-only module)
const isDeno = typeof globalThis.Deno !== 'undefined';
const filter = (isDeno ? Deno.args : process.argv.slice(2))[0];

if (!isDeno) {
  // Node has no import maps: a resolve hook maps `credit-engine` to the package (Deno gets an import map instead).
  const { register } = await import('node:module');
  register('./node-hooks.mjs', import.meta.url, {
    data: { pkgDir: process.env.CREDIT_ENGINE_PKG, nodeEntry: process.env.CREDIT_ENGINE_NODE_ENTRY ?? 'node.js' },
  });
}

let report;
try {
  const { run } = await import('../all.mjs'); // dynamic: must load after the hook is registered
  report = { results: await run({ filter }), entry: import.meta.resolve('credit-engine') };
} catch (err) {
  report = { error: String(err?.stack ?? err) }; // e.g. the package failed to load: report it, not a bare crash
}
console.log(MARKER + JSON.stringify(report));
// Exit now: a timer or socket left open by some test must not keep us alive into run-all's time limit.
// (Both write console.log to a pipe synchronously, so nothing is lost.)
if (isDeno) Deno.exit(0);
else process.exit(0);
