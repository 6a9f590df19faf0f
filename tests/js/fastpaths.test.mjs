// The fast paths of the reads (npm/fast.js: numbers from the module, results kept per wallet until it changes) must
// return exactly what the general paths return. A time given as an ISO string always takes the general path, so each
// read is made both ways on random wallets at instants that cross distributions, lapses, expiries and hold expiries,
// and compared field for field and key order for key order (JSON text). Also: what a caller does to a result never
// reaches a later one, every change of the wallet is seen at once, and freed handles still throw typed errors.
import { ready, Catalog, Wallet } from 'credit-engine';
import { test, assert } from './harness/t.mjs';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const DAY = 86_400_000;
const ZONES = ['Europe/Berlin', 'America/New_York', 'UTC', 'Australia/Lord_Howe'];
const REQUESTS = [
  { feature: 'agent.image_generation', tier: 'premium', units: 3 }, { feature: 'ai_background' },
  { feature: 'agent.video_generation', seconds: 7 }, { feature: 'private_model', units: 4 },
  { feature: 'agent.image_editing', units: 40 }, { feature: 'image_color_change', units: 250 },
];
const iso = (ms) => new Date(ms).toISOString();

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A wallet made by random operations through the API (refused ones are ignored), and the random source. */
function randomWallet(seed) {
  const r = rng(seed);
  const int = (lo, hi) => lo + Math.floor(r() * (hi - lo + 1));
  const pick = (xs) => xs[int(0, xs.length - 1)];
  const w = Wallet.create({ timeZone: pick(ZONES) });
  let t = T0 + int(0, 40) * 3_600_000;
  const charges = [], holds = [];
  for (let k = 0, ops = int(3, 30); k < ops; k++) {
    const id = `op-${k}`;
    try {
      switch (pick(['trial', 'member', 'member', 'daily', 'daily', 'promo', 'buy', 'charge', 'charge', 'hold', 'capture', 'release', 'refund'])) {
        case 'trial': w.startTrial({ at: t, until: t + int(1, 20) * DAY, credits: int(1, 80) }); break;
        case 'member': w.activateMembership({ at: t, until: t + int(5, 200) * DAY, monthlyCredits: int(0, 60), monthlyAgentCredits: int(0, 40) }); break;
        case 'daily': w.dailyLogin({ at: t, credits: int(1, 10) }); break;
        case 'promo': w.grantPromotion({ id, at: t, credits: int(1, 50), expiresAt: t + int(3_600_000, 60 * DAY) }); break;
        case 'buy': w.purchase({ id, at: t, credits: int(1, 200) }); break;
        case 'charge': charges.push(w.charge(pick(REQUESTS), t, { id }).id); break;
        case 'hold': holds.push(w.hold(pick(REQUESTS), t, { id, ttlSeconds: int(60, 5 * 86_400) }).id); break;
        case 'capture': w.capture(pick(holds), { units: 1, at: t }); break;
        case 'release': w.release(pick(holds), { at: t }); break;
        case 'refund': w.refund(pick(charges), { units: 1, at: t, id }); break;
      }
    } catch {
      // refused: the wallet is unchanged
    }
    t += pick([0, 1, int(1, 3_600_000), int(1, 3) * DAY, int(1, 20) * DAY]);
  }
  return { w, r, int, pick };
}

/** Each scheduled instant of the next two years and 1 ms either side, the clock, before it, and random instants. */
function instants(w, r) {
  const snap = w.toJSON();
  const clock = snap.clock === null ? T0 : Date.parse(snap.clock);
  const out = [clock - DAY, clock, clock + 1];
  for (const p of w.project({ from: iso(clock), to: iso(clock + 730 * DAY) })) {
    const t = Date.parse(p.at);
    if (r() < 0.6) out.push(t - 1, t, t + 1);
  }
  for (const h of snap.holds) out.push(Date.parse(h.expiresAt), Date.parse(h.expiresAt) - 1);
  for (let i = 0; i < 3; i++) out.push(clock + Math.floor(r() * 400 * DAY));
  return out;
}

/** Deep equality and the same JSON text (so keys come in the same order too). */
function same(fast, general, msg) {
  assert.eq(fast, general, msg);
  assert.eq(JSON.stringify(fast), JSON.stringify(general), `${msg} (key order)`);
}

test('fast paths: balance, preview and project equal the general path on random wallets at instants crossing events', async () => {
  await ready();
  const catalog = Catalog.default();
  for (let k = 0; k < 40; k++) {
    const { w, r } = randomWallet(1000 + k);
    const tag = `wallet seed ${1000 + k}`;
    for (const at of instants(w, r)) {
      const general = w.balance(iso(at));
      same(w.balance(at), general, `${tag} balance at ${iso(at)}`);
      same(w.balance(new Date(at)), general, `${tag} balance (Date) at ${iso(at)}, kept`);
      for (const req of REQUESTS) {
        const g = w.preview(req, iso(at));
        same(w.preview(req, at), g, `${tag} preview ${JSON.stringify(req)} at ${iso(at)}`);
        same(w.preview({ ...req }, at, catalog), g, `${tag} preview ${JSON.stringify(req)} at ${iso(at)}, kept`);
      }
      if (r() < 0.25) {
        const to = at + Math.floor(r() * 730 * DAY);
        same(w.project({ from: at, to }), w.project({ from: iso(at), to: iso(to) }), `${tag} project from ${iso(at)}`);
      }
    }
    w.free();
  }
});

test('fast paths: a change of the wallet is seen by the next read of every kind', async () => {
  await ready();
  for (let k = 0; k < 15; k++) {
    const { w, int, pick } = randomWallet(2000 + k);
    const clock = Date.parse(w.toJSON().clock ?? iso(T0));
    for (let step = 0; step < 8; step++) {
      const at = clock + step * DAY + int(0, DAY);
      // Read (and so keep) everything, change the wallet, read again: both ways must agree with the new state.
      w.balance(at); w.preview(REQUESTS[0], at); w.ledger(); w.toJSON();
      try {
        switch (pick(['daily', 'promo', 'charge', 'member'])) {
          case 'daily': w.dailyLogin({ at, credits: int(1, 9) }); break;
          case 'promo': w.grantPromotion({ id: `p-${k}-${step}`, at, credits: int(1, 30), expiresAt: at + int(1, 9) * DAY }); break;
          case 'charge': w.charge(pick(REQUESTS), at, { id: `c-${k}-${step}` }); break;
          case 'member': w.activateMembership({ at, until: at + 40 * DAY, monthlyCredits: int(0, 9), monthlyAgentCredits: int(0, 9) }); break;
        }
      } catch {}
      same(w.balance(at), w.balance(iso(at)), `seed ${k} step ${step}: balance after a change`);
      for (const req of REQUESTS) same(w.preview(req, at), w.preview(req, iso(at)), `seed ${k} step ${step}: preview after a change`);
      // The first read after a change is the general path's; the next ones are copies of what was kept.
      const snapshot = w.toJSON(), entries = w.ledger();
      same(w.toJSON(), snapshot, `seed ${k} step ${step}: toJSON kept`);
      same(w.ledger(), entries, `seed ${k} step ${step}: ledger kept`);
      const loaded = Wallet.fromJSON(snapshot);
      same(loaded.toJSON(), snapshot, `seed ${k} step ${step}: toJSON round trip`);
      same(loaded.ledger(), entries, `seed ${k} step ${step}: ledger round trip`);
      loaded.free();
    }
    w.free();
  }
});

test('fast paths: results are fresh objects; changing one never reaches a later result', async () => {
  await ready();
  const { w } = randomWallet(7);
  w.grantPromotion({ id: 'fresh', at: T0 + 100 * DAY, credits: 30, expiresAt: T0 + 130 * DAY });
  const at = T0 + 101 * DAY;
  const catalog = Catalog.default();
  const reads = {
    balance: () => w.balance(at), preview: () => w.preview(REQUESTS[0], at), ledger: () => w.ledger(),
    toJSON: () => w.toJSON(), project: () => w.project({ from: at, to: at + 60 * DAY }), quote: () => catalog.quote(REQUESTS[0]),
  };
  const scribble = (v) => {
    if (Array.isArray(v)) { v.forEach(scribble); v.push('x'); return; }
    if (typeof v === 'object' && v !== null) for (const key of Object.keys(v)) { scribble(v[key]); v[key] = 'x'; }
  };
  for (const [name, read] of Object.entries(reads)) {
    const first = JSON.stringify(read());
    const again = read();
    assert.eq(JSON.stringify(again), first, `${name}: the same twice`);
    scribble(again);
    assert.eq(JSON.stringify(read()), first, `${name}: unchanged after a caller changed an earlier result`);
  }
});

test('fast paths: quotes kept per catalog equal a fresh catalog\'s quotes', async () => {
  await ready();
  const kept = Catalog.default();
  const tiers = [undefined, 'general', 'premium'];
  for (const f of kept.toJSON().features) {
    for (const tier of tiers) {
      for (const amount of [undefined, 1, 3, 7.5, 1_000_000]) {
        const req = f.blockSeconds ? { feature: f.id, tier, seconds: amount } : { feature: f.id, tier, units: amount };
        const fresh = Catalog.fromJSON(kept.toJSON()); // a new handle: nothing kept yet
        let general, code = null;
        try {
          general = fresh.quote(req);
        } catch (err) {
          code = err.code;
        }
        for (let i = 0; i < 2; i++) {
          if (code) assert.throwsCode(() => kept.quote(req), code, `${f.id} ${JSON.stringify(req)}`);
          else same(kept.quote(req), general, `${f.id} ${JSON.stringify(req)} (call ${i + 1})`);
        }
      }
    }
  }
  // A getter read once by the fast path is what the quote is priced from, and nothing odd is kept.
  let n = 0;
  const tricky = { get units() { n++; return n === 1 ? 2 : 5; }, feature: 'agent.ppt' };
  const q = kept.quote(tricky);
  assert.eq(q.units, 2);
  assert.eq(kept.quote({ feature: 'agent.ppt', units: 5 }).credits, 50);
  assert.throwsCode(() => kept.quote({ feature: 'nope' }), 'E_UNKNOWN_FEATURE');
  assert.throwsCode(() => kept.quote([]), 'E_BAD_REQUEST');
});

test('fast paths: a large wallet read fresh (the module memory may grow between the calls of one read)', async () => {
  await ready();
  for (const n of [50, 3000]) {
    const lots = [];
    for (let i = 0; i < n; i++) {
      const kind = ['promotion', 'purchased', 'daily_login', 'membership', 'membership_agent', 'trial'][i % 6];
      lots.push({ id: `${kind}-${i}-${'x'.repeat(i % 40)}`, kind, granted: 5 + (i % 7), credits: 5 + (i % 7), grantedAt: iso(T0 - (n - i) * 1000),
        expiresAt: kind === 'membership' ? null : iso(T0 + DAY * (1 + (i * 7919) % 700)), frozen: false, expired: false });
    }
    const text = JSON.stringify({ format: 'credit-engine/wallet', version: 1, timeZone: 'Europe/Berlin', clock: iso(T0),
      membership: { status: 'active', anchor: iso(T0 - 10 * DAY), until: iso(T0 + 300 * DAY), monthlyCredits: 7, monthlyAgentCredits: 3, nextIndex: 1, nextAt: iso(T0 + 20 * DAY) },
      hadTrial: false, hadMembership: true, lastDailyLoginDay: null, lots, holds: [], records: {}, ledger: [] });
    for (const at of [T0 + 1, T0 + 45 * DAY, T0 + 400 * DAY]) {
      const a = Wallet.fromJSON(text), b = Wallet.fromJSON(text);
      same(a.preview({ feature: 'agent.ppt', units: 200 }, at), b.preview({ feature: 'agent.ppt', units: 200 }, iso(at)), `${n} lots preview at ${iso(at)}`);
      same(a.balance(at), b.balance(iso(at)), `${n} lots balance at ${iso(at)}`);
      a.free();
      b.free();
    }
  }
});

test('fast paths: freed handles, wrong arguments and errors behave as on the general path', async () => {
  await ready();
  const { w } = randomWallet(11);
  const clock = Date.parse(w.toJSON().clock ?? iso(T0));
  w.balance(clock); w.preview(REQUESTS[1], clock);
  assert.throwsCode(() => w.balance(1.5), 'E_TIME');
  assert.throwsCode(() => w.balance(1e20), 'E_TIME');
  assert.throwsCode(() => w.preview(REQUESTS[1], clock + 0.5), 'E_TIME');
  assert.throwsCode(() => w.preview({ feature: 'ai_background', units: 2.5 }, clock), 'E_BAD_REQUEST');
  assert.throwsCode(() => w.project({ from: clock, to: clock - 1 }), 'E_BAD_REQUEST');
  w.free();
  for (const read of [() => w.balance(clock), () => w.preview(REQUESTS[1], clock), () => w.ledger(), () => w.toJSON(), () => w.project({ from: clock, to: clock })]) {
    assert.throwsCode(read, 'E_BAD_REQUEST');
  }
  const c = Catalog.default();
  c.quote(REQUESTS[0]);
  c.free();
  assert.throwsCode(() => c.quote(REQUESTS[0]), 'E_BAD_REQUEST');
});

test('fast paths: kept previews are per catalog, and a request read through getters or a Proxy is answered alike', async () => {
  await ready();
  // A second catalog whose prices differ: a preview kept for one must never answer for the other.
  const spec = Catalog.default().toJSON();
  const dearer = Catalog.fromJSON({ ...spec, features: spec.features.map((f) => ({ ...f, prices: Object.fromEntries(Object.entries(f.prices).map(([t, p]) => [t, p * 3])) })) });
  const plain = Catalog.default();
  for (let k = 0; k < 15; k++) {
    const { w, r } = randomWallet(3000 + k);
    const tag = `wallet seed ${3000 + k}`;
    for (const at of instants(w, r)) {
      for (const req of REQUESTS) {
        const general = [undefined, plain, dearer].map((c) => w.preview(req, iso(at), c));
        for (let round = 0; round < 2; round++) {
          same(w.preview(req, at), general[0], `${tag} ${JSON.stringify(req)} at ${iso(at)}, default (round ${round})`);
          same(w.preview(req, at, plain), general[1], `${tag} ${JSON.stringify(req)} at ${iso(at)}, a default catalog handle (round ${round})`);
          same(w.preview(req, at, dearer), general[2], `${tag} ${JSON.stringify(req)} at ${iso(at)}, another catalog (round ${round})`);
          const viaGetters = Object.defineProperties({}, Object.fromEntries(Object.entries(req).map(([key, v]) => [key, { get: () => v, enumerable: true }])));
          same(w.preview(viaGetters, at, dearer), general[2], `${tag} ${JSON.stringify(req)} at ${iso(at)}, getters`);
          same(w.preview(new Proxy({ ...req }, {}), new Date(at)), general[0], `${tag} ${JSON.stringify(req)} at ${iso(at)}, a Proxy and a Date`);
        }
        same(plain.quote(req), general[1].quote, `${tag} quote ${JSON.stringify(req)}`);
        same(dearer.quote(req), general[2].quote, `${tag} quote ${JSON.stringify(req)}, another catalog`);
      }
    }
    w.free();
  }
  // A freed catalog is refused even when a preview for it is kept; a foreign one takes the general path's error.
  const { w } = randomWallet(3100);
  const at = Date.parse(w.toJSON().clock ?? iso(T0));
  const gone = Catalog.fromJSON(spec);
  w.preview(REQUESTS[1], at, gone);
  gone.free();
  assert.throwsCode(() => w.preview(REQUESTS[1], at, gone), 'E_BAD_REQUEST');
  assert.throwsCode(() => w.preview(REQUESTS[1], at, { id: plain.id }), 'E_BAD_REQUEST');
  w.free();
});
