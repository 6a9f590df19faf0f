// The workerd smoke test: a Worker (bundled with esbuild as wrangler does, the .wasm left as a module import) that
// answers every request with the scenario's result as JSON.
import * as engine from 'credit-engine';
import { scenario } from './scenario.mjs';

export default {
  async fetch() {
    try {
      return Response.json(await scenario(engine));
    } catch (err) {
      return Response.json({ failure: `${err?.code ?? ''} ${err?.stack ?? err}` }, { status: 500 });
    }
  },
};
