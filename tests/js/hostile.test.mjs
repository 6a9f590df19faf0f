// Hostile inputs through every public function: each call either succeeds or throws an Error with a documented
// code, the wallet is unchanged after a failure, and the instance keeps working afterwards.
import { ready, Catalog, Wallet } from 'credit-engine';
import { test, assert } from './harness/t.mjs';

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
  assert.throwsCode(() => Wallet.fromJSON({ ...w.toJSON(), version: 2 }), 'E_SNAPSHOT');
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
