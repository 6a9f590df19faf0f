// Node >= 20: reads the .wasm from disk (Node's fetch does not read file: URLs).
import { readFile } from 'node:fs/promises';
import init, { Catalog, Wallet, Watcher } from './credit_engine.js';

export { Catalog, Wallet, Watcher };

let loading = null;

/** Loads the WebAssembly module; idempotent. Call (and await) it before anything else. */
export function ready() {
  if (!loading) {
    loading = readFile(new URL('./credit_engine_bg.wasm', import.meta.url))
      .then((bytes) => init({ module_or_path: bytes }))
      .then(() => undefined);
    loading.catch(() => { loading = null; });
  }
  return loading;
}
