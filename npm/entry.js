// What every runtime entry shares: loading once, the guarded API (every argument copied into plain values before it
// reaches the module: npm/args.js), the fast paths of the reads (npm/fast.js, on the copied values), memoryBytes(),
// signSnapshot and verifySnapshot.
import { Catalog, Wallet, Watcher, __verify } from './credit_engine.js';
import {
  adopt, catalogOption, guard, handle, json, key, keyMap, options, request, time, value,
} from './args.js';
import { fastPaths } from './fast.js';

let instance = null;

// ---- the guarded API (installed once, when this module loads) --------------------------------------------------

const catalogId = Object.getOwnPropertyDescriptor(Catalog.prototype, 'id').get;
const catalogToJSON = Catalog.prototype.toJSON; // the module's own, for handles this package made
// The module's internal exports, for this file only (guard() removes them from the prototype).
const INTERNAL = ['__balanceFast', '__lotAt', '__lotTable', '__previewFast', '__projectFast', '__readSpan', '__sign',
  '__tokenSerial'];
const {
  __balanceFast: balanceFast, __lotAt: lotAt, __lotTable: lotTable, __previewFast: previewFast,
  __projectFast: projectFast, __readSpan: readSpan, __sign: sign,
} = Wallet.prototype;
const tokenSerial = Object.getOwnPropertyDescriptor(Wallet.prototype, '__tokenSerial').get;
const catalog = catalogOption(Catalog, catalogId);
const projectOptions = options({ from: time, to: time });
const fast = fastPaths({
  Wallet,
  Catalog,
  memory: () => instance.memory,
  internal: { readSpan, previewFast, balanceFast, lotTable, lotAt, projectFast, catalogId, catalogToJSON },
  readers: { request, time, catalog, projectOptions },
});
/** A watch callback: a function is passed as it is (the module calls it through a catching import). */
const callback = (v, what) => (typeof v === 'function' ? v : value(v, what));
const watchOptions = options({ now: time });

guard(Catalog, {
  statics: { default: [], fromJSON: [[json, 'Catalog.fromJSON spec']] },
  methods: { quote: fast.quote },
});

guard(Wallet, {
  internal: INTERNAL,
  statics: {
    create: [[options({ timeZone: value, retentionDays: value }), 'Wallet.create options']],
    fromJSON: [[json, 'Wallet.fromJSON snapshot']],
  },
  methods: {
    startTrial: [[options({ at: time, until: time, credits: value }), 'startTrial options']],
    activateMembership: [[options({ at: time, until: time, monthlyCredits: value, monthlyAgentCredits: value }),
      'activateMembership options']],
    dailyLogin: [[options({ at: time, credits: value }), 'dailyLogin options']],
    grantPromotion: [[options({ id: value, at: time, credits: value, expiresAt: time }), 'grantPromotion options']],
    purchase: [[options({ id: value, at: time, credits: value }), 'purchase options']],
    balance: fast.balance,
    nextChange: [[time, 'nextChange at']],
    charge: [[request, 'charge req'], [time, 'charge at'], [options({ id: value, catalog }), 'charge options']],
    refund: [[value, 'refund chargeId'], [options({ units: value, at: time, id: value }), 'refund options']],
    hold: [[request, 'hold req'], [time, 'hold at'], [options({ id: value, ttlSeconds: value, catalog }), 'hold options']],
    capture: [[value, 'capture holdId'], [options({ units: value, at: time }), 'capture options']],
    release: [[value, 'release holdId'], [options({ at: time }), 'release options']],
    project: fast.project,
    ledger: fast.ledger,
    toJSON: fast.toJSON,
    watch: (original, check) => function watch(cb, o) {
      check(this);
      const f = callback(cb, 'watch callback'), opts = watchOptions(o, 'watch options');
      check(this); // again: a getter of the options may have freed the wallet
      return adopt(original.call(this, f, opts), Watcher);
    },
    preview: fast.preview,
  },
});

// Every Wallet method that is not a read drops what the fast paths keep for the wallet (outside the guard).
fast.dropOnChange();

guard(Watcher, {});

const signOptions = options({ key, keyId: value, ttlSeconds: value, at: time, account: value, catalog });
const verifyOptions = options({ keys: keyMap, at: time, catalog });

// ---- loading -------------------------------------------------------------------------------------------------------

/**
 * `load()` instantiates the module and returns its exports (or a promise of them). Returns the entry's `ready` and
 * `memoryBytes`.
 */
export function entry(load) {
  let loading = null;

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

// ---- signed tokens -------------------------------------------------------------------------------------------------

/**
 * A signed token (`ce2.<payload>.<signature>`, HMAC-SHA-256) of the wallet's compact snapshot bound to
 * `options.account`, for the edge's verifySnapshot. The signing is Rust's; this checks that `wallet` is a live
 * Wallet and copies the options.
 */
export function signSnapshot(wallet, o) {
  handle(wallet, Wallet, 'signSnapshot wallet');
  const opts = signOptions(o, 'signSnapshot options');
  // Checked again: a getter of the options may have freed the wallet or written its pointer field.
  return sign.call(handle(wallet, Wallet, 'signSnapshot wallet'), opts);
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
export function verifySnapshot(token, o) {
  const text = value(token, 'verifySnapshot token');
  const opts = verifyOptions(o, 'verifySnapshot options');
  const serial = typeof text === 'string' ? remembered.get(text) : undefined;
  if (serial !== undefined) {
    const wallet = adopt(__verify(undefined, serial, opts), Wallet);
    if (wallet !== undefined) return wallet;
    remembered.delete(text); // forgotten by the engine, or another key under its id: the text path answers
  }
  const wallet = adopt(__verify(text, 0, opts), Wallet);
  const now = tokenSerial.call(wallet); // 0: not remembered by the engine (a token over 16 KiB)
  if (now !== 0) {
    if (remembered.size >= REMEMBER_MAX) remembered.delete(remembered.keys().next().value);
    remembered.set(text, now);
  }
  return wallet;
}

