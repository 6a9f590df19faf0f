// Browsers (native ESM or a bundler) and Deno: the .wasm is fetched next to this file.
import init, { Catalog, Wallet, Watcher } from './credit_engine.js';

export { Catalog, Wallet, Watcher };

let loading = null;

/** Loads the WebAssembly module; idempotent. Call (and await) it before anything else. */
export function ready() {
  if (!loading) {
    loading = init({ module_or_path: new URL('./credit_engine_bg.wasm', import.meta.url) }).then(() => undefined);
    // A failed load (network, CSP) may be retried by calling ready() again.
    loading.catch(() => { loading = null; });
  }
  return loading;
}
