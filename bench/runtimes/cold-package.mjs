// workerd cold start of the package (bench/runtimes.mjs workerdCold): the package imported, ready() awaited and one
// call made when the first request arrives. Compared with an empty worker and one that only imports the .wasm.
import { ready, Catalog } from 'credit-engine';

export default {
  async fetch() {
    await ready();
    return new Response(JSON.stringify(Catalog.default().id));
  },
};
