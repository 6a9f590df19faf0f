// What every runtime entry shares: loading once, the fast paths of the reads, freed-handle guards, memoryBytes(),
// signSnapshot and verifySnapshot.
import { Catalog, Wallet, Watcher, __verify } from './credit_engine.js';
import { guardFreed, installFastPaths } from './fast.js';

/**
 * `load()` instantiates the module and returns its exports (or a promise of them). Returns the entry's `ready` and
 * `memoryBytes`.
 */
export function entry(load) {
  let loading = null;
  let instance = null;
  guardFreed(Wallet, Catalog, Watcher);
  installFastPaths(Wallet, Catalog, () => instance.memory); // outermost: fast paths check for freed handles themselves

  /** Loads the WebAssembly module; idempotent. Call (and await) it before anything else. */
  function ready() {
    if (!loading) {
      const loaded = load();
      if (typeof loaded?.then === 'function') {
        loading = loaded.then((exports) => { instance = exports; });
        // A failed load (network, CSP) may be retried by calling ready() again.
        loading.catch(() => { loading = null; });
      } else {
        instance = loaded; // a synchronous load (workerd) is usable at once
        loading = Promise.resolve();
      }
    }
    return loading;
  }

  /** Bytes of WebAssembly memory in use by the module (a diagnostic for memory tests and dashboards). */
  function memoryBytes() {
    return instance ? instance.memory.buffer.byteLength : 0;
  }

  return { ready, memoryBytes };
}

/**
 * A signed token (`ce2.<payload>.<signature>`, HMAC-SHA-256) of the wallet's compact snapshot bound to
 * `options.account`, for the edge's verifySnapshot. The signing is Rust's; this only checks that `wallet` is a live
 * Wallet, with a typed error.
 */
export function signSnapshot(wallet, options) {
  if (!(wallet instanceof Wallet) || wallet.__wbg_ptr === 0) {
    const err = new Error('E_BAD_REQUEST: signSnapshot(wallet, options): wallet must be a Wallet that was not freed');
    err.code = 'E_BAD_REQUEST';
    throw err;
  }
  return wallet.__sign(options);
}

/** Tokens this module has verified, by text -> the serial number the engine remembers them under (oldest first). */
const remembered = new Map();
const REMEMBER_MAX = 64; // the engine's own memory (crate::token::CACHE_TOKENS)

/**
 * The wallet a signed token carries, verified now (`E_TOKEN_*` otherwise); a read copy whose `account` getter is the
 * token's account (kept with the remembered token, so the serial path below returns it too). The engine remembers
 * tokens it has verified; this only spares copying a token's text into the module again when it has seen it: it
 * passes the engine's serial number for it instead, and the engine runs the same checks (key, validity window,
 * catalog).
 */
export function verifySnapshot(token, options) {
  const serial = typeof token === 'string' ? remembered.get(token) : undefined;
  if (serial !== undefined) {
    const wallet = __verify(undefined, serial, options);
    if (wallet !== undefined) return wallet;
    remembered.delete(token); // forgotten by the engine, or another key under its id: the text path answers
  }
  const wallet = __verify(token, 0, options);
  const now = wallet.__tokenSerial; // 0: not remembered by the engine (a token over 16 KiB)
  if (now !== 0) {
    if (remembered.size >= REMEMBER_MAX) remembered.delete(remembered.keys().next().value);
    remembered.set(token, now);
  }
  return wallet;
}
