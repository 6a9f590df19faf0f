// Deno entry of the package-versus-baseline benchmark (bench/runtimes.mjs starts it with an import map that points
// `credit-engine` at the package): runs bench/core.mjs and prints the rows as one marked JSON line.
import { ready, Catalog, Wallet } from 'credit-engine';
import { runBench } from '../core.mjs';

const MARKER = '@@credit-engine-bench@@';
const [ms, check] = Deno.args.map(Number);
let report;
try {
  await ready();
  report = runBench({ Catalog, Wallet }, { now: () => performance.now(), ms, check });
} catch (err) {
  report = { error: String(err?.stack ?? err) };
}
console.log(MARKER + JSON.stringify(report));
Deno.exit(0);
