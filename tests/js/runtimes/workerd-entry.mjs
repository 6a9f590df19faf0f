// The test worker for workerd (an ES-modules worker): every request runs the suite and answers with the results
// as JSON ({ results } or { error }). ?filter=... selects tests by name.
import { run } from '../all.mjs';

export default {
  async fetch(request) {
    const filter = new URL(request.url).searchParams.get('filter') ?? undefined;
    let report;
    try {
      report = { results: await run({ filter }) };
    } catch (err) {
      report = { error: String(err?.stack ?? err) };
    }
    return new Response(JSON.stringify(report), { headers: { 'content-type': 'application/json' } });
  },
};
