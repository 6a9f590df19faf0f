// Node >= 20: reads the .wasm from disk (Node's fetch does not read file: URLs).
import { readFile } from 'node:fs/promises';
import { initSync, Catalog, Wallet, Watcher } from './credit_engine.js';

import { guardFreed, installFastPreview } from './fast.js';

export { Catalog, Wallet, Watcher };

let loading = null;
let instance = null;
installFastPreview(Wallet, Catalog, () => instance.memory);
guardFreed(Wallet, Catalog, Watcher);

/** Loads the WebAssembly module; idempotent. Call (and await) it before anything else. */
export function ready() {
  if (!loading) {
    // Compiling synchronously once the bytes are read measured ~4x faster to a usable module than Node's async
    // WebAssembly.instantiate (which waits for its background compile).
    loading = readFile(new URL('./credit_engine_bg.wasm', import.meta.url)).then((bytes) => {
      instance = initSync({ module: new WebAssembly.Module(bytes) });
    });
    loading.catch(() => { loading = null; });
  }
  return loading;
}

/** Bytes of WebAssembly memory in use by the module (a diagnostic for memory tests and dashboards). */
export function memoryBytes() {
  return instance ? instance.memory.buffer.byteLength : 0;
}
