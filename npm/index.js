// Browsers (native ESM or a bundler) and Deno: the .wasm is fetched next to this file.
import init from './credit_engine.js';
import { entry } from './entry.js';

export { Catalog, Wallet, Watcher } from './credit_engine.js';
export { signSnapshot, verifySnapshot } from './entry.js';

export const { ready, memoryBytes } = entry(() => init({ module_or_path: new URL('./credit_engine_bg.wasm', import.meta.url) }));
