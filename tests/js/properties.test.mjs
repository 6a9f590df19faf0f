// fast-check over the whole public surface: arbitrary values (wrong types, NaN, huge numbers, deep and huge objects,
// unicode, __proto__ keys) for every argument of every function. Each call either succeeds or throws an Error with a
// documented code; a failing call leaves toJSON() unchanged; the instance keeps working; nothing else is thrown.
import fc from 'fast-check';
import { ready, Catalog, Wallet, signSnapshot, verifySnapshot } from 'credit-engine';
import { test, assert } from './harness/t.mjs';

const CODES = new Set([
  'E_BAD_REQUEST', 'E_UNKNOWN_FEATURE', 'E_TIER_UNAVAILABLE', 'E_INSUFFICIENT', 'E_MEMBERS_ONLY',
  'E_IDEMPOTENCY_CONFLICT', 'E_NOT_FOUND', 'E_REFUND_EXCEEDS', 'E_SNAPSHOT', 'E_CATALOG', 'E_TIME', 'E_TIME_ZONE',
  'E_CLOCK_REGRESSION', 'E_OVERFLOW', 'E_TOKEN_MALFORMED', 'E_TOKEN_ALGORITHM', 'E_TOKEN_KEY', 'E_TOKEN_SIGNATURE',
  'E_TOKEN_EXPIRED', 'E_TOKEN_CATALOG',
]);
const RUNS = 3000;

// Plausible values mixed with anything at all, so calls get both far and close to valid.
const time = fc.oneof(
  fc.integer({ min: Date.parse('2026-01-01T00:00:00Z'), max: Date.parse('2026-12-31T00:00:00Z') }),
  fc.date({ noInvalidDate: false }).map((d) => (Number.isNaN(d.getTime()) ? d : d.toISOString())),
  fc.constantFrom('2026-02-30T00:00:00Z', '2026-03-01', 'soon', '', NaN, -Infinity, 1e300, 2 ** 53),
  fc.anything(),
);
const amount = fc.oneof(fc.integer({ min: -5, max: 500 }), fc.double(), fc.constantFrom(2 ** 53, 2 ** 53 - 1, -0), fc.anything());
const id = fc.oneof(fc.constantFrom('a', 'b', 'c', '__proto__', 'constructor'), fc.string(), fc.string({ unit: 'binary' }), fc.anything());
const feature = fc.oneof(fc.constantFrom('ai_background', 'agent.video_generation', 'agent.ppt', 'nope'), fc.string());
const request = fc.oneof(
  fc.record({ feature, units: amount, tier: fc.oneof(fc.constantFrom('general', 'premium'), fc.anything()), seconds: amount },
    { requiredKeys: ['feature'] }),
  fc.anything({ withObjectString: true, withNullPrototype: true, maxDepth: 4 }),
);
const options = fc.record({
  at: time, until: time, credits: amount, monthlyCredits: amount, monthlyAgentCredits: amount, id, expiresAt: time,
  units: amount, ttlSeconds: amount, from: time, to: time, timeZone: fc.oneof(fc.constantFrom('UTC', 'Asia/Tokyo'), fc.string()),
}, { requiredKeys: [] });
const arg = fc.oneof(options, fc.anything({ withObjectString: true, withNullPrototype: true, maxDepth: 4 }));

const CALLS = [
  (w, a, b) => w.startTrial(a), (w, a) => w.activateMembership(a), (w, a) => w.dailyLogin(a),
  (w, a) => w.grantPromotion(a), (w, a) => w.purchase(a), (w, a) => w.balance(a?.at ?? a),
  (w, a, r) => w.preview(r, a?.at ?? a), (w, a, r) => w.charge(r, a?.at ?? a, a),
  (w, a) => w.refund(a?.id ?? a, a), (w, a, r) => w.hold(r, a?.at ?? a, a), (w, a) => w.capture(a?.id ?? a, a),
  (w, a) => w.release(a?.id ?? a, a), (w, a) => w.project(a), (w, a) => w.nextChange(a?.at ?? a),
];

function checkThrown(err, label) {
  if (!(err instanceof Error)) throw new Error(`${label}: threw a non-Error: ${typeof err}`);
  if (!CODES.has(err.code)) throw new Error(`${label}: undocumented code ${String(err.code)}: ${err.message}`);
}

test('properties: arbitrary arguments to every wallet method give a result or a typed error, never a change on failure', async () => {
  await ready();
  const w = Wallet.create({ timeZone: 'Europe/Berlin' });
  w.startTrial({ at: '2026-01-01T00:00:00Z', until: '2026-12-31T00:00:00Z', credits: 500 });
  let failures = 0;
  fc.assert(fc.property(fc.nat(CALLS.length - 1), arg, request, (k, a, r) => {
    const before = JSON.stringify(w.toJSON());
    try {
      CALLS[k](w, a, r);
    } catch (err) {
      failures++;
      checkThrown(err, `call ${k}`);
      if (JSON.stringify(w.toJSON()) !== before) throw new Error(`call ${k} failed (${err.code}) but changed the wallet`);
    }
  }), { numRuns: RUNS, seed: 20261124 });
  assert.ok(failures > RUNS / 4, `most arbitrary calls are refused (${failures} of ${RUNS})`);
  // Still working.
  assert.eq(w.preview({ feature: 'ai_background' }, '2026-12-30T00:00:00Z').credits, 4);
});

test('properties: arbitrary input to the static constructors gives a handle or a typed error', async () => {
  await ready();
  const any = fc.anything({ withObjectString: true, withNullPrototype: true, maxDepth: 5 });
  fc.assert(fc.property(fc.oneof(any, fc.string(), fc.string({ unit: 'binary' }), fc.json()), (v) => {
    for (const [label, fn] of [
      ['Wallet.create', () => Wallet.create(v)], ['Wallet.create zone', () => Wallet.create({ timeZone: v })],
      ['Wallet.fromJSON', () => Wallet.fromJSON(v)], ['Catalog.fromJSON', () => Catalog.fromJSON(v)],
      ['Catalog.quote', () => Catalog.default().quote(v)],
    ]) {
      try {
        const out = fn();
        if (out && typeof out.free === 'function') out.free();
      } catch (err) {
        checkThrown(err, label);
      }
    }
  }), { numRuns: RUNS, seed: 1124 });
  assert.eq({}.polluted, undefined, 'no prototype pollution');
});

test('properties: arbitrary input to signSnapshot and verifySnapshot gives a token, a read copy or a typed error', async () => {
  await ready();
  const KEY = 'p'.repeat(32);
  const w = Wallet.create({ timeZone: 'UTC' });
  w.dailyLogin({ at: '2026-03-02T08:00:00Z', credits: 5 });
  const token = signSnapshot(w, { key: KEY, keyId: 'k', ttlSeconds: 600, at: '2026-03-02T08:00:00Z', account: 'acct' });
  const before = JSON.stringify(w.toJSON());
  const any = fc.anything({ withObjectString: true, withNullPrototype: true, maxDepth: 4 });
  // Tokens near a real one (a character replaced or cut) as well as anything at all.
  const nearToken = fc.tuple(fc.nat(token.length - 1), fc.string({ minLength: 0, maxLength: 2 })).map(([i, c]) => token.slice(0, i) + c + token.slice(i + 1));
  const keys = fc.oneof(fc.constant({ k: KEY }), fc.record({ k: fc.oneof(fc.string(), any) }, { requiredKeys: [] }), any);
  const MS = Date.parse('2026-03-02T08:00:00Z');
  const opts = fc.oneof(
    // Close to valid: the right key and a time around the token's window (60 s of skew on either side).
    fc.record({ keys: fc.constant({ k: KEY }), at: fc.integer({ min: MS - 120_000, max: MS + 720_000 }) }),
    fc.record({ keys, at: time, key: fc.oneof(fc.constant(KEY), any), keyId: id, ttlSeconds: amount, account: fc.oneof(id, any), catalog: any }, { requiredKeys: [] }),
    any,
  );
  let verified = 0;
  fc.assert(fc.property(fc.oneof(nearToken, fc.constant(token), fc.string(), any), opts, (t, o) => {
    for (const [label, fn] of [['verifySnapshot', () => verifySnapshot(t, o)], ['signSnapshot', () => signSnapshot(w, o)],
      ['signSnapshot(any)', () => signSnapshot(t, o)]]) {
      try {
        const out = fn();
        if (label === 'verifySnapshot') {
          verified++;
          if (t !== token) throw new Error(`a token that is not the one signed verified: ${String(t)}`);
          if (out.account !== 'acct') throw new Error(`the verified account is ${out.account}`);
          out.free();
        } else if (typeof out !== 'string' || !out.startsWith('ce2.')) throw new Error(`${label} returned ${typeof out}`);
      } catch (err) {
        if (err.message?.startsWith('a token that is not')) throw err;
        checkThrown(err, label);
      }
    }
    if (JSON.stringify(w.toJSON()) !== before) throw new Error('signing changed the wallet');
  }), { numRuns: RUNS, seed: 2411 });
  assert.ok(verified > 0, 'some calls verified the real token');
  // Still working: the real token verifies to a wallet that previews like the signed one.
  const v = verifySnapshot(token, { keys: { k: KEY }, at: '2026-03-02T08:01:00Z' });
  assert.eq(v.preview({ feature: 'agent.image_editing' }, '2026-03-02T08:01:00Z'), w.preview({ feature: 'agent.image_editing' }, '2026-03-02T08:01:00Z'));
  v.free();
});
