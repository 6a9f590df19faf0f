// Hostile inputs through every public function: each call either succeeds or throws an Error with a documented
// code, the wallet is unchanged after a failure, and the instance keeps working afterwards.
import { ready, Catalog, Wallet, signSnapshot, verifySnapshot } from 'credit-engine';
import { test, assert, note } from './harness/t.mjs';

const CODES = new Set([
  'E_BAD_REQUEST', 'E_UNKNOWN_FEATURE', 'E_TIER_UNAVAILABLE', 'E_INSUFFICIENT', 'E_MEMBERS_ONLY',
  'E_IDEMPOTENCY_CONFLICT', 'E_NOT_FOUND', 'E_REFUND_EXCEEDS', 'E_SNAPSHOT', 'E_CATALOG', 'E_TIME', 'E_TIME_ZONE',
  'E_CLOCK_REGRESSION', 'E_OVERFLOW', 'E_TOKEN_MALFORMED', 'E_TOKEN_ALGORITHM', 'E_TOKEN_KEY', 'E_TOKEN_SIGNATURE',
  'E_TOKEN_EXPIRED', 'E_TOKEN_CATALOG',
]);

const throwing = { get at() { throw new Error('boom'); }, get credits() { throw new Error('boom'); } };
const trap = new Proxy({}, { get() { throw new TypeError('proxy trap'); } });
const BAD_VALUES = [
  undefined, null, NaN, Infinity, -Infinity, -1, 0, 0.5, 2 ** 53, 2 ** 60, -0, '', 'abc', '12', true, [], [1], {},
  Symbol('s'), 10n, () => 1, new Date(NaN), throwing, trap, { __proto__: { at: 1 } }, '\u0000', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
  '2026-02-30T00:00:00Z', '2026-01-01', '2026-01-01T00:00:00', 'x'.repeat(100_000),
];

async function wallet() {
  await ready();
  const w = Wallet.create({ timeZone: 'Europe/Berlin' });
  w.startTrial({ at: '2026-03-01T08:00:00Z', until: '2026-03-08T08:00:00Z', credits: 50 });
  w.charge({ feature: 'ai_extender' }, '2026-03-01T09:00:00Z', { id: 'c1' });
  w.hold({ feature: 'ai_extender' }, '2026-03-01T09:00:00Z', { id: 'h1', ttlSeconds: 600 });
  return w;
}

/** A short printable name for any value (String() itself can throw on proxies and symbols). */
function show(v) {
  try {
    return typeof v === 'symbol' ? 'a symbol' : String(v).slice(0, 40);
  } catch {
    return `a throwing ${typeof v}`;
  }
}

function expectTypedOrOk(fn, label) {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof Error, `${label}: threw a non-Error ${show(err)}`);
    assert.ok(CODES.has(err.code), `${label}: undocumented code ${String(err.code)} (${err.message})`);
    assert.ok(typeof err.message === 'string' && err.message.length > 10, `${label}: message is too thin`);
  }
}

const CALLS = {
  startTrial: (w, v) => w.startTrial({ at: v, until: v, credits: v }),
  activateMembership: (w, v) => w.activateMembership({ at: v, until: v, monthlyCredits: v, monthlyAgentCredits: v }),
  dailyLogin: (w, v) => w.dailyLogin({ at: v, credits: v }),
  dailyLoginCredits: (w, v) => w.dailyLogin({ at: '2026-03-02T00:00:00Z', credits: v }),
  grantPromotion: (w, v) => w.grantPromotion({ id: v, at: v, credits: v, expiresAt: v }),
  purchaseCredits: (w, v) => w.purchase({ id: 'p', at: '2026-03-02T00:00:00Z', credits: v }),
  purchaseId: (w, v) => w.purchase({ id: v, at: '2026-03-02T00:00:00Z', credits: 1 }),
  purchaseOpts: (w, v) => w.purchase(v),
  balance: (w, v) => w.balance(v),
  previewReq: (w, v) => w.preview(v, '2026-03-02T00:00:00Z'),
  previewUnits: (w, v) => w.preview({ feature: 'ai_background', units: v }, '2026-03-02T00:00:00Z'),
  previewSeconds: (w, v) => w.preview({ feature: 'agent.video_generation', seconds: v }, '2026-03-02T00:00:00Z'),
  previewTier: (w, v) => w.preview({ feature: 'agent.ppt', tier: v }, '2026-03-02T00:00:00Z'),
  previewCatalog: (w, v) => w.preview({ feature: 'ai_background' }, '2026-03-02T00:00:00Z', v),
  chargeAt: (w, v) => w.charge({ feature: 'ai_extender' }, v, { id: 'c9' }),
  chargeOpts: (w, v) => w.charge({ feature: 'ai_extender' }, '2026-03-02T00:00:00Z', v),
  refund: (w, v) => w.refund(v, { units: v, at: v, id: v }),
  refundUnits: (w, v) => w.refund('c1', { units: v, at: '2026-03-02T00:00:00Z' }),
  hold: (w, v) => w.hold({ feature: 'ai_extender' }, '2026-03-02T00:00:00Z', { id: 'h9', ttlSeconds: v }),
  capture: (w, v) => w.capture('h1', { units: v, at: v }),
  release: (w, v) => w.release(v, { at: v }),
  project: (w, v) => w.project({ from: v, to: v }),
  nextChange: (w, v) => w.nextChange(v),
};

test('hostile: every wallet method answers garbage with a typed Error and changes nothing', async () => {
  const w = await wallet();
  const before = JSON.stringify(w.toJSON());
  let failures = 0;
  for (const [name, call] of Object.entries(CALLS)) {
    for (const v of BAD_VALUES) {
      const snapshotBefore = JSON.stringify(w.toJSON());
      let threw = false;
      try {
        call(w, v);
      } catch (err) {
        threw = true;
        failures++;
        assert.ok(err instanceof Error, `${name}: non-Error thrown`);
        assert.ok(CODES.has(err.code), `${name}(${show(v)}): code ${String(err.code)}: ${err.message}`);
      }
      if (threw) assert.eq(JSON.stringify(w.toJSON()), snapshotBefore, `${name}: a failed call changed the wallet`);
    }
  }
  assert.ok(failures > 500, `most garbage is refused (${failures})`);
  assert.ok(before.length > 0);
  // Still working: a normal call goes through.
  assert.eq(w.preview({ feature: 'ai_extender' }, '2026-03-03T00:00:00Z').credits, 1);
});

test('hostile: static constructors refuse garbage with typed errors', async () => {
  await ready();
  for (const v of BAD_VALUES) {
    expectTypedOrOk(() => Wallet.create(v), 'Wallet.create');
    expectTypedOrOk(() => Wallet.create({ timeZone: v }), 'Wallet.create timeZone');
    expectTypedOrOk(() => Wallet.fromJSON(v), 'Wallet.fromJSON');
    expectTypedOrOk(() => Catalog.fromJSON(v), 'Catalog.fromJSON');
    expectTypedOrOk(() => Catalog.default().quote(v), 'Catalog.quote');
  }
  assert.throwsCode(() => Wallet.create({ timeZone: 'Mars/Olympus_Mons' }), 'E_TIME_ZONE');
  assert.throwsCode(() => Wallet.create({ timeZone: '+05:00' }), 'E_TIME_ZONE');
});

test('hostile: malformed, truncated, deep and huge JSON never traps the module', async () => {
  const w = await wallet();
  const text = JSON.stringify(w.toJSON());
  for (let cut = 1; cut < text.length; cut += Math.max(1, Math.floor(text.length / 97))) {
    assert.throwsCode(() => Wallet.fromJSON(text.slice(0, cut)), 'E_SNAPSHOT');
  }
  const deep = '['.repeat(100_000) + ']'.repeat(100_000);
  assert.throwsCode(() => Wallet.fromJSON(deep), 'E_SNAPSHOT');
  assert.throwsCode(() => Catalog.fromJSON(deep), 'E_CATALOG');
  let nested = {};
  for (let i = 0; i < 5_000; i++) nested = { a: nested };
  expectTypedOrOk(() => Wallet.fromJSON(nested), 'deep object');
  assert.throwsCode(() => Catalog.fromJSON('"' + 'x'.repeat(2_000_000) + '"'), 'E_CATALOG');
  assert.throwsCode(() => Wallet.fromJSON({ ...w.toJSON(), version: 3 }), 'E_SNAPSHOT');
  assert.throwsCode(() => Wallet.fromJSON({ ...w.toJSON(), __proto__: { polluted: true }, extra: 1 }), 'E_SNAPSHOT');
  const bad = w.toJSON();
  bad.holds[0].takes[0][0] = 999;
  assert.throwsCode(() => Wallet.fromJSON(bad), 'E_SNAPSHOT');
  const pollute = JSON.parse(text.replace('"format"', '"__proto__":{"x":1},"format"'));
  expectTypedOrOk(() => Wallet.fromJSON(pollute), '__proto__ key');
  assert.eq({}.x, undefined, 'no prototype pollution');
  // The instance still works.
  assert.eq(Wallet.fromJSON(text).toJSON(), w.toJSON());
});

test('hostile: credits above 2^53 - 1 in total are E_OVERFLOW and change nothing', async () => {
  await ready();
  const w = Wallet.create({ timeZone: 'UTC' });
  w.grantPromotion({ id: 'a', at: 0, credits: 2 ** 53 - 1, expiresAt: 10_000 });
  const before = JSON.stringify(w.toJSON());
  assert.throwsCode(() => w.grantPromotion({ id: 'b', at: 1, credits: 1, expiresAt: 10_000 }), 'E_OVERFLOW');
  assert.eq(JSON.stringify(w.toJSON()), before);
  assert.throwsCode(() => w.dailyLogin({ at: 1, credits: 2 ** 53 }), 'E_BAD_REQUEST');
  assert.eq(w.balance(2).total, 2 ** 53 - 1);
});

// ---- No input traps (SPEC 9): values that throw when read, on every argument of every entry point ------------------
// A JS exception thrown while the module reads an argument must become E_BAD_REQUEST naming the argument, and must
// never unwind through the WebAssembly frames (which corrupts the instance: after a few hundred such calls every
// call traps with "memory access out of bounds"). Each hostile value goes, alone, into one argument position of a
// call whose other arguments are valid; the matrix runs many rounds in one instance, then ordinary calls must give
// exact results.

const TRAPS = ['get', 'set', 'has', 'deleteProperty', 'ownKeys', 'getOwnPropertyDescriptor', 'defineProperty',
  'getPrototypeOf', 'setPrototypeOf', 'isExtensible', 'preventExtensions', 'apply', 'construct'];
function everyTrapThrows(what) {
  const handler = {};
  for (const trap of TRAPS) handler[trap] = () => { throw new TypeError(`${what}: the ${trap} trap threw`); };
  return handler;
}
function revoked(target) {
  const r = Proxy.revocable(target, {});
  r.revoke();
  return r.proxy;
}
/** Every property name any entry point reads, plus the ones JSON.stringify and promise checks look at. */
const NAMES = ['at', 'until', 'credits', 'monthlyCredits', 'monthlyAgentCredits', 'id', 'expiresAt', 'units', 'ttlSeconds',
  'catalog', 'from', 'to', 'now', 'key', 'keyId', 'keys', 'k1', 'account', 'timeZone', 'retentionDays', 'feature', 'tier',
  'seconds', 'toJSON', 'version', 'features', 'length', 'constructor', 'then', '__wbg_ptr', 'valueOf', 'toString'];
function throwingGetters() {
  const o = {};
  for (const n of NAMES) Object.defineProperty(o, n, { enumerable: true, get() { throw new Error(`the getter of ${n} threw`); } });
  return o;
}
const boom = (what) => () => { throw new Error(`${what} threw`); };

/** Values every read of which throws (a Proxy trap, a revoked Proxy, a getter). */
const UNREADABLE = {
  'a Proxy whose every trap throws': () => new Proxy({}, everyTrapThrows('object')),
  'a Proxy of a function whose every trap throws': () => new Proxy(function f() {}, everyTrapThrows('function')),
  'a Proxy of an array whose every trap throws': () => new Proxy([], everyTrapThrows('array')),
  'a Proxy of a Date whose every trap throws': () => new Proxy(new Date(0), everyTrapThrows('date')),
  'a Proxy of a Uint8Array whose every trap throws': () => new Proxy(new Uint8Array(32), everyTrapThrows('bytes')),
  'a revoked Proxy': () => revoked({}),
  'a revoked Proxy of a function': () => revoked(function f() {}),
  'a revoked Proxy of an array': () => revoked([]),
  'an object whose getters throw': throwingGetters,
};
/** Readable objects whose conversion to a primitive (or to JSON) throws. */
const UNCONVERTIBLE = {
  'a throwing valueOf': () => ({ valueOf: boom('valueOf') }),
  'a throwing toString': () => ({ toString: boom('toString') }),
  'a throwing Symbol.toPrimitive': () => ({ [Symbol.toPrimitive]: boom('Symbol.toPrimitive') }),
  'a throwing toJSON': () => ({ toJSON: boom('toJSON') }),
  'a Number whose valueOf throws': () => Object.assign(new Number(1), { valueOf: boom('valueOf') }),
  'a String whose toString and valueOf throw': () => Object.assign(new String('UTC'), { toString: boom('toString'), valueOf: boom('valueOf') }),
  'everything throws': () => Object.assign(throwingGetters(), {}, Object.defineProperties({}, {
    [Symbol.toPrimitive]: { value: boom('Symbol.toPrimitive'), enumerable: true },
  })),
};
const HOSTILE = { ...UNREADABLE, ...UNCONVERTIBLE };
/** Unreadable values whose type alone (function, array) already makes them wrong where an object is wanted. */
const TYPED_OUT = new Set(['a Proxy of a function whose every trap throws', 'a Proxy of an array whose every trap throws']);

const T0 = Date.parse('2026-03-01T08:00:00Z');
const T1 = T0 + 60_000;
const DAY = 86_400_000;
const KEY = 'k'.repeat(32);
const ACCOUNT = 'acct-1';
const idGetter = (C) => Object.getOwnPropertyDescriptor(C.prototype, 'id')?.get;
const tzGetter = () => Object.getOwnPropertyDescriptor(Wallet.prototype, 'timeZone')?.get;

/** A member wallet with a charge and an open hold, and what the positions need around it. */
async function hostileContext() {
  await ready();
  const w = Wallet.create({ timeZone: 'Europe/Berlin' });
  w.activateMembership({ at: T0, until: T0 + 30 * DAY, monthlyCredits: 100, monthlyAgentCredits: 50 });
  w.charge({ feature: 'ai_extender' }, T0, { id: 'c1' });
  w.hold({ feature: 'ai_extender' }, T0, { id: 'h1', ttlSeconds: 600 });
  const spec = Catalog.default().toJSON();
  spec.features[0].prices.general += 1;
  const catalog = Catalog.fromJSON(spec);
  const token = signSnapshot(w, { key: KEY, keyId: 'k1', ttlSeconds: 600, at: T1, account: ACCOUNT });
  return { w, catalog, spec, token };
}

/**
 * [label, call(v), reads]: `v` goes into the argument `label` names. `reads` marks the arguments the package must
 * read into: 'json' (an object it serializes), 'object' (an options object or request, whose fields it copies). An
 * unreadable value there must be E_BAD_REQUEST whose message names the argument, except that a function or an
 * array where an object is wanted may be refused for its type alone, unread. Everywhere else (a value of the wrong
 * type, a foreign `this`) any documented code is right. 'callback' accepts functions (callable Proxies included).
 */
function positions({ w, catalog, spec, token }) {
  const req = { feature: 'ai_extender' };
  const p = [
    ['Catalog.fromJSON spec', (v) => Catalog.fromJSON(v), 'json'],
    ['Catalog.quote req', (v) => catalog.quote(v), 'object'],
    ['quote req.feature', (v) => catalog.quote({ feature: v })],
    ['quote req.units', (v) => catalog.quote({ feature: 'ai_background', units: v })],
    ['quote req.tier', (v) => catalog.quote({ feature: 'agent.ppt', tier: v })],
    ['quote req.seconds', (v) => catalog.quote({ feature: 'agent.video_generation', seconds: v })],
    ['Catalog this (quote)', (v) => Catalog.prototype.quote.call(v, req)],
    ['Catalog this (toJSON)', (v) => Catalog.prototype.toJSON.call(v)],
    ['Catalog this (id)', (v) => idGetter(Catalog).call(v)],
    ['Wallet.create options', (v) => Wallet.create(v), 'object'],
    ['Wallet.create options.timeZone', (v) => Wallet.create({ timeZone: v })],
    ['Wallet.fromJSON snapshot', (v) => Wallet.fromJSON(v), 'json'],
    ['Wallet this (toJSON)', (v) => Wallet.prototype.toJSON.call(v)],
    ['Wallet this (ledger)', (v) => Wallet.prototype.ledger.call(v)],
    ['Wallet this (timeZone)', (v) => tzGetter().call(v)],
    ['Wallet this (free)', (v) => Wallet.prototype.free.call(v)],
    ['Wallet this (balance)', (v) => Wallet.prototype.balance.call(v, T1)],
    ['Wallet this (preview)', (v) => Wallet.prototype.preview.call(v, req, T1)],
    ['Wallet this (charge)', (v) => Wallet.prototype.charge.call(v, req, T1, { id: 'c2' })],
    ['startTrial options', (v) => w.startTrial(v), 'object'],
    ['startTrial options.at', (v) => w.startTrial({ at: v, until: T1 + DAY, credits: 5 })],
    ['startTrial options.until', (v) => w.startTrial({ at: T1, until: v, credits: 5 })],
    ['startTrial options.credits', (v) => w.startTrial({ at: T1, until: T1 + DAY, credits: v })],
    ['activateMembership options', (v) => w.activateMembership(v), 'object'],
    ['activateMembership options.at', (v) => w.activateMembership({ at: v, until: T0 + 60 * DAY, monthlyCredits: 1, monthlyAgentCredits: 1 })],
    ['activateMembership options.until', (v) => w.activateMembership({ at: T1, until: v, monthlyCredits: 1, monthlyAgentCredits: 1 })],
    ['activateMembership options.monthlyCredits', (v) => w.activateMembership({ at: T1, until: T0 + 60 * DAY, monthlyCredits: v, monthlyAgentCredits: 1 })],
    ['activateMembership options.monthlyAgentCredits', (v) => w.activateMembership({ at: T1, until: T0 + 60 * DAY, monthlyCredits: 1, monthlyAgentCredits: v })],
    ['dailyLogin options', (v) => w.dailyLogin(v), 'object'],
    ['dailyLogin options.at', (v) => w.dailyLogin({ at: v, credits: 5 })],
    ['dailyLogin options.credits', (v) => w.dailyLogin({ at: T1, credits: v })],
    ['grantPromotion options', (v) => w.grantPromotion(v), 'object'],
    ['grantPromotion options.id', (v) => w.grantPromotion({ id: v, at: T1, credits: 5, expiresAt: T1 + DAY })],
    ['grantPromotion options.at', (v) => w.grantPromotion({ id: 'g', at: v, credits: 5, expiresAt: T1 + DAY })],
    ['grantPromotion options.credits', (v) => w.grantPromotion({ id: 'g', at: T1, credits: v, expiresAt: T1 + DAY })],
    ['grantPromotion options.expiresAt', (v) => w.grantPromotion({ id: 'g', at: T1, credits: 5, expiresAt: v })],
    ['purchase options', (v) => w.purchase(v), 'object'],
    ['purchase options.id', (v) => w.purchase({ id: v, at: T1, credits: 5 })],
    ['purchase options.at', (v) => w.purchase({ id: 'p', at: v, credits: 5 })],
    ['purchase options.credits', (v) => w.purchase({ id: 'p', at: T1, credits: v })],
    ['balance at', (v) => w.balance(v)],
    ['nextChange at', (v) => w.nextChange(v)],
    ['preview req', (v) => w.preview(v, T1), 'object'],
    ['preview req.feature', (v) => w.preview({ feature: v }, T1)],
    ['preview req.units', (v) => w.preview({ feature: 'ai_background', units: v }, T1)],
    ['preview req.tier', (v) => w.preview({ feature: 'agent.ppt', tier: v }, T1)],
    ['preview req.seconds', (v) => w.preview({ feature: 'agent.video_generation', seconds: v }, T1)],
    ['preview at', (v) => w.preview(req, v)],
    ['preview catalog', (v) => w.preview(req, T1, v)],
    ['charge req', (v) => w.charge(v, T1, { id: 'c2' }), 'object'],
    ['charge req.units', (v) => w.charge({ feature: 'ai_background', units: v }, T1, { id: 'c2' })],
    ['charge at', (v) => w.charge(req, v, { id: 'c2' })],
    ['charge options', (v) => w.charge(req, T1, v), 'object'],
    ['charge options.id', (v) => w.charge(req, T1, { id: v })],
    ['charge options.catalog', (v) => w.charge(req, T1, { id: 'c2', catalog: v })],
    ['refund chargeId', (v) => w.refund(v, { units: 1, at: T1 })],
    ['refund options', (v) => w.refund('c1', v), 'object'],
    ['refund options.units', (v) => w.refund('c1', { units: v, at: T1 })],
    ['refund options.at', (v) => w.refund('c1', { units: 1, at: v })],
    ['refund options.id', (v) => w.refund('c1', { units: 1, at: T1, id: v })],
    ['hold req', (v) => w.hold(v, T1, { id: 'h2', ttlSeconds: 60 }), 'object'],
    ['hold at', (v) => w.hold(req, v, { id: 'h2', ttlSeconds: 60 })],
    ['hold options', (v) => w.hold(req, T1, v), 'object'],
    ['hold options.id', (v) => w.hold(req, T1, { id: v, ttlSeconds: 60 })],
    ['hold options.ttlSeconds', (v) => w.hold(req, T1, { id: 'h2', ttlSeconds: v })],
    ['hold options.catalog', (v) => w.hold(req, T1, { id: 'h2', ttlSeconds: 60, catalog: v })],
    ['capture holdId', (v) => w.capture(v, { units: 1, at: T1 })],
    ['capture options', (v) => w.capture('h1', v), 'object'],
    ['capture options.units', (v) => w.capture('h1', { units: v, at: T1 })],
    ['capture options.at', (v) => w.capture('h1', { units: 1, at: v })],
    ['release holdId', (v) => w.release(v, { at: T1 })],
    ['release options', (v) => w.release('h1', v), 'object'],
    ['release options.at', (v) => w.release('h1', { at: v })],
    ['project options', (v) => w.project(v), 'object'],
    ['project options.from', (v) => w.project({ from: v, to: T1 + DAY })],
    ['project options.to', (v) => w.project({ from: T1, to: v })],
    ['watch callback', (v) => w.watch(v, { now: T1 }), 'callback'],
    ['watch options', (v) => w.watch(() => {}, v), 'object'],
    ['watch options.now', (v) => w.watch(() => {}, { now: v })],
    ['signSnapshot wallet', (v) => signSnapshot(v, { key: KEY, keyId: 'k1', ttlSeconds: 60, at: T1, account: ACCOUNT })],
    ['signSnapshot options', (v) => signSnapshot(w, v), 'object'],
    ['signSnapshot options.key', (v) => signSnapshot(w, { key: v, keyId: 'k1', ttlSeconds: 60, at: T1, account: ACCOUNT })],
    ['signSnapshot options.keyId', (v) => signSnapshot(w, { key: KEY, keyId: v, ttlSeconds: 60, at: T1, account: ACCOUNT })],
    ['signSnapshot options.ttlSeconds', (v) => signSnapshot(w, { key: KEY, keyId: 'k1', ttlSeconds: v, at: T1, account: ACCOUNT })],
    ['signSnapshot options.at', (v) => signSnapshot(w, { key: KEY, keyId: 'k1', ttlSeconds: 60, at: v, account: ACCOUNT })],
    ['signSnapshot options.catalog', (v) => signSnapshot(w, { key: KEY, keyId: 'k1', ttlSeconds: 60, at: T1, account: ACCOUNT, catalog: v })],
    ['verifySnapshot token', (v) => verifySnapshot(v, { keys: { k1: KEY }, at: T1 })],
    ['verifySnapshot options', (v) => verifySnapshot(token, v), 'object'],
    ['verifySnapshot options.keys', (v) => verifySnapshot(token, { keys: v, at: T1 }), 'object'],
    ['verifySnapshot options.keys.k1', (v) => verifySnapshot(token, { keys: { k1: v }, at: T1 })],
    ['verifySnapshot options.at', (v) => verifySnapshot(token, { keys: { k1: KEY }, at: v })],
    ['verifySnapshot options.catalog', (v) => verifySnapshot(token, { keys: { k1: KEY }, at: T1, catalog: v })],
  ];
  // Arguments that exist once the history and token work has landed (SPEC 9): a build that ignores them would
  // accept any value there, so they are only tried where the package knows them.
  if ('retentionDays' in Wallet.prototype) {
    p.push(['Wallet.create options.retentionDays', (v) => Wallet.create({ timeZone: 'UTC', retentionDays: v })]);
  }
  if ('takeLedger' in Wallet.prototype) p.push(['Wallet this (takeLedger)', (v) => Wallet.prototype.takeLedger.call(v)]);
  if ('account' in Wallet.prototype) {
    p.push(['signSnapshot options.account', (v) => signSnapshot(w, { key: KEY, keyId: 'k1', ttlSeconds: 60, at: T1, account: v })]);
  }
  void spec;
  return p;
}

/** What a call did: 'ok', a documented Error, or a description of what should never happen. */
function outcome(fn) {
  try {
    const r = fn();
    if (r && typeof r.stop === 'function') r.stop(); // a watcher (a callable Proxy is a function)
    return { ok: true };
  } catch (err) {
    if (!(err instanceof Error)) return { bad: `threw a non-Error (${show(err)})` };
    if (!CODES.has(err.code)) return { bad: `threw a raw ${err.name} without a documented code: ${show(err.message)}` };
    return { err };
  }
}

test('hostile: unreadable and unconvertible values on every argument are typed errors, tens of thousands of times', async () => {
  const ctx = await hostileContext();
  const { w } = ctx;
  const before = JSON.stringify(w.toJSON());
  const list = positions(ctx);
  const ROUNDS = 24;
  const problems = [];
  let calls = 0, bad = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const [label, call, reads] of list) {
      for (const [kind, make] of Object.entries(HOSTILE)) {
        calls++;
        const v = make();
        const r = outcome(() => call(v));
        const at = `${label} <- ${kind}`;
        const strict = reads === 'json' || (reads === 'object' && !TYPED_OUT.has(kind));
        let problem = null;
        if (r.bad) problem = `${at}: ${r.bad}`;
        else if (r.ok) {
          // Only a function may stand where a callback is wanted; nothing else may be accepted.
          if (!(reads === 'callback' && typeof v === 'function')) problem = `${at}: accepted`;
        } else if (strict && kind in UNREADABLE) {
          if (r.err.code !== 'E_BAD_REQUEST') problem = `${at}: ${r.err.code} instead of E_BAD_REQUEST (${r.err.message})`;
          else if (!r.err.message.includes(label)) problem = `${at}: the message does not name "${label}": ${r.err.message}`;
        }
        if (problem) {
          bad++;
          if (problems.length < 2000) problems.push(problem);
        }
      }
    }
  }
  note(`no input traps: ${calls} hostile calls over ${list.length} argument positions x ${Object.keys(HOSTILE).length} kinds of value`);
  // Then ordinary calls must give exact results in the same instance.
  let afterwards = 'exact';
  try {
    assert.eq(JSON.stringify(w.toJSON()), before, 'no failed call changed the wallet');
    await exactAfterwards(w);
  } catch (err) {
    afterwards = `${err?.name}: ${String(err?.message).split('\n')[0]}`;
  }
  const kinds = [...new Set(problems.map((s) => s.replace(/ \(.*$/s, '').replace(/: .*? threw$/, '')))];
  assert.eq({ bad, kinds: kinds.slice(0, 30), afterwards }, { bad: 0, kinds: [], afterwards: 'exact' },
    `${bad} of ${calls} hostile calls went wrong (${kinds.length} kinds, first 30 shown); ordinary calls afterwards: ${afterwards}`);
  assert.ok(calls >= 20_000, `tens of thousands of calls in one instance (${calls})`);
}, { timeout: 90_000 });

/** Ordinary calls after the hostile ones give exact results (the instance is not corrupted). */
async function exactAfterwards(w) {
  const fresh = Wallet.create({ timeZone: 'UTC' });
  fresh.startTrial({ at: T0, until: T0 + 7 * DAY, credits: 50 });
  const charge = fresh.charge({ feature: 'ai_background' }, T1, { id: 'after' });
  const lot = `trial@${new Date(T0).toISOString()}`;
  assert.eq(charge, { id: 'after', credits: 4, units: 2, draws: [{ lotId: lot, kind: 'trial', credits: 4 }], at: new Date(T1).toISOString() });
  assert.eq(fresh.balance(T1).total, 46);
  assert.eq(fresh.preview({ feature: 'ai_background' }, T1).balanceAfter, { total: 42, agent: 0, regular: 42 });
  const token = signSnapshot(fresh, { key: KEY, keyId: 'k1', ttlSeconds: 600, at: T1, account: ACCOUNT });
  const copy = verifySnapshot(token, { keys: { k1: KEY }, at: T1 + 1000 });
  assert.eq(copy.balance(T1), fresh.balance(T1));
  if ('account' in Wallet.prototype) assert.eq(copy.account, ACCOUNT);
  assert.eq(Wallet.fromJSON(w.toJSON()).toJSON(), w.toJSON());
  copy.free();
  fresh.free();
}

test('hostile: an unreadable argument names itself in E_BAD_REQUEST', async () => {
  const { w } = await hostileContext();
  const err = assert.throwsCode(() => w.charge({ feature: 'ai_extender' }, T1, { get id() { throw new TypeError('nope'); } }), 'E_BAD_REQUEST');
  assert.ok(/charge options\.id/.test(err.message) && /reading it threw/.test(err.message) && /TypeError: nope/.test(err.message), err.message);
  const err2 = assert.throwsCode(() => w.preview(new Proxy({}, everyTrapThrows('req')), T1), 'E_BAD_REQUEST');
  assert.ok(/preview req/.test(err2.message), err2.message);
  // An exception that is itself hostile (a Proxy, a throwing message getter) is still described safely.
  const nasty = new Proxy({}, everyTrapThrows('exception'));
  const err4 = assert.throwsCode(() => w.project({ get from() { throw nasty; } }), 'E_BAD_REQUEST');
  assert.ok(/project options\.from/.test(err4.message), err4.message);
});

test('hostile: readable unusual values are read exactly like plain ones', async () => {
  const { w } = await hostileContext();
  const plain = w.preview({ feature: 'ai_background', units: 3 }, T1);
  // A transparent Proxy, getters, inherited fields, a Date with own hostile methods, a Date subclass.
  const date = new Date(T1);
  for (const m of ['getTime', 'valueOf', 'toISOString', 'toJSON', 'toString']) date[m] = boom(m);
  class MyDate extends Date {}
  const views = [
    new Proxy({ feature: 'ai_background', units: 3 }, {}),
    { get feature() { return 'ai_background'; }, get units() { return 3; } },
    Object.create({ feature: 'ai_background', units: 3 }),
  ];
  for (const req of views) {
    assert.eq(w.preview(req, T1), plain);
    assert.eq(w.preview(req, date), plain);
    assert.eq(w.preview(req, new MyDate(T1)), plain);
  }
  assert.eq(w.balance(date), w.balance(T1));
  // A key given as a Uint8Array whose own `length` lies is read by its real bytes.
  const bytes = new TextEncoder().encode(KEY);
  Object.defineProperty(bytes, 'length', { get: boom('length') });
  assert.eq(signSnapshot(w, { key: bytes, keyId: 'k1', ttlSeconds: 60, at: T1, account: ACCOUNT }),
    signSnapshot(w, { key: KEY, keyId: 'k1', ttlSeconds: 60, at: T1, account: ACCOUNT }));
});

test('hostile: the module\'s internal exports are not reachable from the package', async () => {
  await ready();
  // wasm-bindgen's own plumbing is all that may start with `__`: the pointer field, the destructor free() uses, and
  // the static `__wrap` its glue makes handles with (a handle made by it is not one this package adopted, so every
  // member refuses it).
  const PLUMBING = new Set(['__wbg_ptr', '__destroy_into_raw', '__wrap']);
  const w = Wallet.create({ timeZone: 'UTC' });
  const c = Catalog.default();
  for (const [name, obj] of [['Wallet', Wallet], ['Wallet.prototype', Wallet.prototype], ['Catalog', Catalog],
    ['Catalog.prototype', Catalog.prototype], ['a wallet', w], ['a catalog', c]]) {
    const names = [];
    for (let o = obj; o !== null && o !== Object.prototype && o !== Function.prototype; o = Object.getPrototypeOf(o)) {
      names.push(...Object.getOwnPropertyNames(o));
    }
    const internal = names.filter((n) => n.startsWith('__') && !PLUMBING.has(n));
    assert.eq(internal, [], `${name}: internal members`);
  }
  for (const n of ['__previewFast', '__lotAt', '__sign', '__tokenSerial', '__readSpan', '__balanceFast', '__lotTable', '__projectFast']) {
    assert.eq(w[n], undefined, n);
  }
  w.free();
  c.free();
});

test('hostile: a getter of an argument cannot swap or free the handle a call is made on', async () => {
  await ready();
  const at = Date.parse('2026-03-01T08:00:00Z');
  const w = Wallet.create({ timeZone: 'UTC' });
  w.startTrial({ at, until: at + 7 * 86_400_000, credits: 50 });
  const c = Catalog.default();
  const own = w.__wbg_ptr, other = c.__wbg_ptr;
  // Writing another handle's pointer into the wallet while its arguments are read: refused, nothing reaches Rust.
  const swap = () => ({ get feature() { w.__wbg_ptr = other; return 'ai_background'; } });
  const calls = [
    () => w.charge(swap(), at + 1000, { id: 'swap' }), () => w.hold(swap(), at + 1000, { id: 'swap', ttlSeconds: 60 }),
    () => w.preview(swap(), at + 1000), () => w.project({ get from() { w.__wbg_ptr = other; return at; }, to: at + 1 }),
    () => w.dailyLogin({ get at() { w.__wbg_ptr = other; return at + 1000; }, credits: 1 }),
  ];
  for (const call of calls) {
    assert.throwsCode(call, 'E_BAD_REQUEST');
    w.__wbg_ptr = own;
  }
  // The pointer field cannot become a getter (one pointer for the check, another for the glue).
  let installed = true;
  try {
    Object.defineProperty(w, '__wbg_ptr', { get: () => own });
  } catch {
    installed = false;
  }
  assert.eq(installed, false, 'a getter on the pointer field');
  // Freeing the wallet from a getter of an argument: the call says it was freed.
  const v = Wallet.create({ timeZone: 'UTC' });
  assert.throwsCode(() => v.charge({ get feature() { v.free(); return 'ai_background'; } }, at, { id: 'f' }), 'E_BAD_REQUEST');
  assert.eq(w.balance(at + 2000).total, 50);
  assert.eq(c.quote({ feature: 'ai_background' }).credits, 4);
  w.free();
  c.free();
});
