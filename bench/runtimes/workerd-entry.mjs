// workerd entry of the package-versus-baseline benchmark: a request runs bench/core.mjs and answers the rows as JSON.
// workerd's clock (local, not the production edge) moves while JavaScript runs but in whole milliseconds, so batches
// here last at least 100 ms (1% resolution).
import { ready, Catalog, Wallet } from 'credit-engine';
import { runBench } from '../core.mjs';

export default {
  async fetch(request) {
    const q = new URL(request.url).searchParams;
    let report;
    try {
      await ready();
      report = runBench({ Catalog, Wallet }, { now: () => performance.now(), ms: Number(q.get('ms')), batchMs: 100, check: Number(q.get('check')) });
    } catch (err) {
      report = { error: String(err?.stack ?? err) };
    }
    return new Response(JSON.stringify(report), { headers: { 'content-type': 'application/json' } });
  },
};
