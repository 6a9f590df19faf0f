// Node >= 20: reads the .wasm from disk (Node's fetch does not read file: URLs).
import { readFile } from 'node:fs/promises';
import init, { Catalog, Wallet, Watcher } from './credit_engine.js';

export { Catalog, Wallet, Watcher };

let loading = null;
let instance = null;

/** Loads the WebAssembly module; idempotent. Call (and await) it before anything else. */
export function ready() {
  if (!loading) {
    loading = readFile(new URL('./credit_engine_bg.wasm', import.meta.url))
      .then((bytes) => init({ module_or_path: bytes }))
      .then((exports) => { instance = exports; });
    loading.catch(() => { loading = null; });
  }
  return loading;
}

/** Bytes of WebAssembly memory in use by the module (a diagnostic for memory tests and dashboards). */
export function memoryBytes() {
  return instance ? instance.memory.buffer.byteLength : 0;
}
