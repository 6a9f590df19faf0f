// Browsers (native ESM or a bundler) and Deno: the .wasm is fetched next to this file.
import init, { Catalog, Wallet, Watcher } from './credit_engine.js';

import { guardFreed, installFastPreview } from './fast.js';

export { Catalog, Wallet, Watcher };

let loading = null;
let instance = null;
installFastPreview(Wallet, Catalog, () => instance.memory);
guardFreed(Wallet, Catalog, Watcher);

/** Loads the WebAssembly module; idempotent. Call (and await) it before anything else. */
export function ready() {
  if (!loading) {
    loading = init({ module_or_path: new URL('./credit_engine_bg.wasm', import.meta.url) }).then((exports) => { instance = exports; });
    // A failed load (network, CSP) may be retried by calling ready() again.
    loading.catch(() => { loading = null; });
  }
  return loading;
}

/** Bytes of WebAssembly memory in use by the module (a diagnostic for memory tests and dashboards). */
export function memoryBytes() {
  return instance ? instance.memory.buffer.byteLength : 0;
}
