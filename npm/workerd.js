// Cloudflare Workers / workerd: the .wasm is imported as a compiled module (Workers forbid compiling wasm from
// bytes at run time) and instantiated synchronously when this module loads.
import module from './credit_engine_bg.wasm';
import { initSync, Catalog, Wallet, Watcher } from './credit_engine.js';
import { guardFreed, installFastPreview } from './fast.js';

const instance = initSync({ module });
installFastPreview(Wallet, Catalog, () => instance.memory);
guardFreed(Wallet, Catalog, Watcher);

export { Catalog, Wallet, Watcher };

/** Already loaded on import in workerd; kept so the same code runs everywhere. */
export function ready() {
  return Promise.resolve();
}

/** Bytes of WebAssembly memory in use by the module (a diagnostic for memory tests and dashboards). */
export function memoryBytes() {
  return instance.memory.buffer.byteLength;
}
