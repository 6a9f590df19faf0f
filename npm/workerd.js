// Cloudflare Workers / workerd: the .wasm is imported as a compiled module (Workers forbid compiling wasm from
// bytes at run time) and instantiated synchronously when this module loads, so ready() is already settled.
import module from './credit_engine_bg.wasm';
import { initSync } from './credit_engine.js';
import { entry } from './entry.js';

export { Catalog, Wallet, Watcher } from './credit_engine.js';
export { signSnapshot, verifySnapshot } from './entry.js';

export const { ready, memoryBytes } = entry(() => initSync({ module }));
ready();
