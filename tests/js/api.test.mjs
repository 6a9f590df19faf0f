// The public JavaScript contract of SPEC section 6, exercised as an npm consumer would: names, shapes, times,
// and the rules as they show through the API. Prices are asked of the catalog, never written here.
import { ready, Catalog, Wallet, memoryBytes } from 'credit-engine';
import { test, assert } from './harness/t.mjs';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const KINDS = ['daily_login', 'membership_agent', 'promotion', 'membership', 'trial', 'purchased'];

async function trialWallet(zone = 'Europe/Berlin') {
  await ready();
  const w = Wallet.create({ timeZone: zone });
  w.startTrial({ at: '2026-03-01T08:00:00Z', until: '2026-03-08T08:00:00Z', credits: 50 });
  w.dailyLogin({ at: '2026-03-01T09:00:00Z', credits: 5 });
  return w;
}

test('api: ready() is idempotent and the package exports the SPEC names', async () => {
  const a = ready();
  const b = ready();
  await a;
  await b;
  assert.eq(typeof Catalog.default, 'function');
  assert.eq(typeof Catalog.fromJSON, 'function');
  assert.eq(typeof Wallet.create, 'function');
  assert.eq(typeof Wallet.fromJSON, 'function');
  assert.ok(memoryBytes() > 0, 'memoryBytes() reports the module memory');
});

test('api: quote shape and the FAQ prices (AI Background 2 images = 4; premium image generation 3 per image)', async () => {
  await ready();
  const c = Catalog.default();
  const q = c.quote({ feature: 'ai_background' });
  assert.eq(q, { feature: 'ai_background', agent: false, tier: 'general', units: 2, unitCredits: 2, credits: 4, catalog: c.id });
  assert.eq(c.quote({ feature: 'agent.image_generation', tier: 'premium', units: 3 }).credits, 9);
  assert.eq(c.quote({ feature: 'agent.video_generation', seconds: 7 }).credits, 40);
  assert.eq(c.quote({ feature: 'agent.video_generation', seconds: 7 }).units, 2);
  assert.throwsCode(() => c.quote({ feature: 'ai_model', tier: 'premium' }), 'E_TIER_UNAVAILABLE');
  assert.throwsCode(() => c.quote({ feature: 'nope' }), 'E_UNKNOWN_FEATURE');
  assert.throwsCode(() => c.quote({ feature: 'agent.video_generation' }), 'E_BAD_REQUEST');
});

test('api: Catalog.fromJSON validates, round-trips, and its id is content-derived', async () => {
  await ready();
  const spec = Catalog.default().toJSON();
  assert.eq(spec.version, 1);
  assert.eq(spec.features.length, 14);
  const again = Catalog.fromJSON(JSON.stringify(spec));
  assert.eq(again.id, Catalog.default().id);
  const reordered = Catalog.fromJSON({ version: 1, features: [...spec.features].reverse() });
  assert.eq(reordered.id, Catalog.default().id, 'order does not change the id');
  const cheaper = structuredClone(spec);
  cheaper.features[0].prices.general = 1;
  const custom = Catalog.fromJSON(cheaper);
  assert.ok(custom.id !== Catalog.default().id);
  assert.eq(custom.quote({ feature: 'ai_background' }).credits, 2);
  const err = assert.throwsCode(() => Catalog.fromJSON({ version: 1, features: [{ ...spec.features[0], extra: 1 }] }), 'E_CATALOG');
  assert.ok(/extra/.test(err.message), 'the message names the unknown field');
  assert.throwsCode(() => Catalog.fromJSON({ version: 1, features: [spec.features[0], spec.features[0]] }), 'E_CATALOG');
  assert.throwsCode(() => Catalog.fromJSON('{not json'), 'E_CATALOG');
});

test('api: a custom catalog passed to preview and charge prices the request and tags the quote', async () => {
  const w = await trialWallet();
  const spec = Catalog.default().toJSON();
  spec.features.find((f) => f.id === 'ai_extender').prices.general = 7;
  const custom = Catalog.fromJSON(spec);
  const p = w.preview({ feature: 'ai_extender' }, '2026-03-01T10:00:00Z', custom);
  assert.eq(p.credits, 7);
  assert.eq(p.quote.catalog, custom.id);
  const ch = w.charge({ feature: 'ai_extender' }, '2026-03-01T10:00:00Z', { id: 'c-custom', catalog: custom });
  assert.eq(ch.credits, 7);
  assert.throwsCode(() => w.preview({ feature: 'ai_extender' }, '2026-03-01T10:00:00Z', { id: 'forged' }), 'E_BAD_REQUEST');
});

test('api: times are accepted as Date, epoch ms and ISO strings and returned as ISO UTC strings', async () => {
  const w = await trialWallet();
  const iso = '2026-03-01T10:00:00.000Z';
  const a = w.balance(iso);
  const b = w.balance(Date.parse(iso));
  const c = w.balance(new Date(iso));
  const d = w.balance('2026-03-01T11:00:00+01:00');
  assert.eq(a, b);
  assert.eq(a, c);
  assert.eq(a, d);
  assert.eq(a.at, iso);
  assert.ok(ISO.test(a.lots[0].grantedAt));
});

test('api: balance shape, kinds, next expiry (tonight) and the display rule', async () => {
  const w = await trialWallet();
  const b = w.balance('2026-03-01T10:00:00Z');
  assert.eq(Object.keys(b).sort(), ['agent', 'at', 'display', 'frozen', 'held', 'kinds', 'lots', 'nextExpiry', 'regular', 'total']);
  assert.eq(b.total, 55);
  assert.eq(b.agent, 5);
  assert.eq(b.regular, 50);
  assert.eq(b.total, b.agent + b.regular);
  assert.eq(Object.keys(b.kinds).sort(), [...KINDS].sort());
  assert.eq(b.kinds.daily_login, 5);
  assert.eq(b.kinds.trial, 50);
  // Berlin midnight after 2026-03-01 is 23:00Z.
  assert.eq(b.nextExpiry, { at: '2026-03-01T23:00:00.000Z', credits: 5 });
  assert.eq(b.display, true);
  assert.eq(b.lots[0], {
    id: 'daily_login@2026-03-01T09:00:00.000Z', kind: 'daily_login', credits: 5, grantedAt: '2026-03-01T09:00:00.000Z',
    expiresAt: '2026-03-01T23:00:00.000Z', frozen: false, agentOnly: true,
  });
  const empty = Wallet.create({ timeZone: 'UTC' });
  assert.eq(empty.balance(0).display, false);
});

test('api: agent credits are spent before regular, soonest expiry first', async () => {
  const w = await trialWallet();
  const at = '2026-03-01T10:00:00Z';
  const p = w.preview({ feature: 'agent.image_generation', tier: 'premium', units: 3 }, at);
  assert.eq(p.credits, 9);
  assert.eq(p.sufficient, true);
  assert.eq(p.draws.map((d) => [d.kind, d.credits]), [['daily_login', 5], ['trial', 4]]);
  assert.eq(p.balanceAfter, { total: 46, agent: 0, regular: 46 });
  const ch = w.charge({ feature: 'agent.image_generation', tier: 'premium', units: 3 }, at, { id: 'c1' });
  assert.eq(ch.draws, p.draws);
  assert.eq(ch, { id: 'c1', credits: 9, units: 3, draws: p.draws, at: '2026-03-01T10:00:00.000Z' });
  assert.eq(w.balance(at).total, 46);
});

test('api: a non-agent feature never uses agent credits; preview reports the shortfall, charge throws it', async () => {
  await ready();
  const w = Wallet.create({ timeZone: 'UTC' });
  w.dailyLogin({ at: '2026-03-01T09:00:00Z', credits: 50 });
  const at = '2026-03-01T10:00:00Z';
  const before = JSON.stringify(w.toJSON());
  const p = w.preview({ feature: 'ai_background' }, at);
  assert.eq(p.sufficient, false);
  assert.eq(p.shortfall, 4);
  assert.eq(p.draws, []);
  assert.eq(p.balanceAfter, { total: 50, agent: 50, regular: 0 });
  const err = assert.throwsCode(() => w.charge({ feature: 'ai_background' }, at, { id: 'c' }), 'E_INSUFFICIENT');
  assert.eq(err.shortfall, 4);
  assert.eq(JSON.stringify(w.toJSON()), before, 'a failed charge changes nothing');
});

test('api: failed partial generation is refunded to the original lots, last-drawn first, never more than charged', async () => {
  const w = await trialWallet();
  const at = '2026-03-01T10:00:00Z';
  w.charge({ feature: 'agent.image_generation', units: 4 }, at, { id: 'gen' }); // 8: 5 daily + 3 trial
  const r = w.refund('gen', { units: 1, at: '2026-03-01T10:01:00Z', id: 'gen/r1' });
  assert.eq(r, { chargeId: 'gen', credits: 2, units: 1, draws: [{ lotId: 'trial@2026-03-01T08:00:00.000Z', kind: 'trial', credits: 2 }] });
  const again = w.refund('gen', { units: 1, at: '2026-03-01T10:01:00Z', id: 'gen/r1' });
  assert.eq(again, r, 'a replayed refund id returns the first result');
  assert.eq(w.balance('2026-03-01T10:02:00Z').total, 49);
  assert.throwsCode(() => w.refund('gen', { units: 4, at: '2026-03-01T10:03:00Z' }), 'E_REFUND_EXCEEDS');
  assert.throwsCode(() => w.refund('nope', { units: 1, at: '2026-03-01T10:03:00Z' }), 'E_NOT_FOUND');
});

test('api: hold, capture and release', async () => {
  const w = await trialWallet();
  const at = '2026-03-01T10:00:00Z';
  const h = w.hold({ feature: 'agent.poster_generation', units: 2 }, at, { id: 'h1', ttlSeconds: 600 });
  assert.eq(h.credits, 20);
  assert.eq(h.expiresAt, '2026-03-01T10:10:00.000Z');
  const b = w.balance(at);
  assert.eq(b.held, 20);
  assert.eq(b.total, 35);
  const c = w.capture('h1', { units: 1, at: '2026-03-01T10:05:00Z' });
  assert.eq(c.id, 'h1');
  assert.eq(c.credits, 10);
  assert.eq(c.draws.map((d) => [d.kind, d.credits]), [['daily_login', 5], ['trial', 5]], 'keeps the first-drawn credits');
  assert.eq(w.balance('2026-03-01T10:05:00Z').held, 0);
  assert.eq(w.balance('2026-03-01T10:05:00Z').total, 45);
  assert.throwsCode(() => w.capture('h1', { units: 1, at: '2026-03-01T10:06:00Z' }), 'E_NOT_FOUND');
  w.hold({ feature: 'ai_extender' }, '2026-03-01T10:06:00Z', { id: 'h2', ttlSeconds: 60 });
  assert.throwsCode(() => w.capture('h2', { units: 2, at: '2026-03-01T10:06:00Z' }), 'E_BAD_REQUEST');
  w.release('h2', { at: '2026-03-01T10:06:30Z' });
  assert.throwsCode(() => w.release('h2', { at: '2026-03-01T10:06:30Z' }), 'E_NOT_FOUND');
  w.hold({ feature: 'ai_extender' }, '2026-03-01T10:07:00Z', { id: 'h3', ttlSeconds: 60 });
  assert.eq(w.balance('2026-03-01T10:08:00Z').held, 0, 'an uncaptured hold releases itself at its expiry');
  const r = w.refund('h1', { units: 1, at: '2026-03-01T10:09:00Z' });
  assert.eq(r.credits, 10, 'a captured hold is refundable like a charge');
});

test('api: idempotent purchase, promotion and charge; conflicting payloads are refused', async () => {
  const w = await trialWallet();
  w.purchase({ id: 'order-1', at: '2026-03-02T10:00:00Z', credits: 100 });
  w.purchase({ id: 'order-1', at: '2026-03-02T10:00:00Z', credits: 100 });
  assert.eq(w.balance('2026-03-02T10:00:00Z').kinds.purchased, 100, 're-sending a purchase never double-credits');
  assert.throwsCode(() => w.purchase({ id: 'order-1', at: '2026-03-02T10:00:00Z', credits: 99 }), 'E_IDEMPOTENCY_CONFLICT');
  w.grantPromotion({ id: 'promo', at: '2026-03-02T10:00:00Z', credits: 10, expiresAt: '2026-03-05T00:00:00Z' });
  const c1 = w.charge({ feature: 'ai_extender' }, '2026-03-02T11:00:00Z', { id: 'x' });
  w.dailyLogin({ at: '2026-03-02T12:00:00Z', credits: 5 });
  const c2 = w.charge({ feature: 'ai_extender' }, '2026-03-02T11:00:00Z', { id: 'x' });
  assert.eq(c2, c1, 'a late replay returns the first result (id check before clock check)');
  assert.throwsCode(() => w.charge({ feature: 'ai_extender', units: 2 }, '2026-03-02T11:00:00Z', { id: 'x' }), 'E_IDEMPOTENCY_CONFLICT');
  assert.throwsCode(() => w.charge({ feature: 'ai_extender' }, '2026-03-02T11:00:00Z', { id: 'promo' }), 'E_IDEMPOTENCY_CONFLICT');
  assert.throwsCode(() => w.charge({ feature: 'ai_extender' }, '2026-03-02T11:30:00Z', { id: 'y' }), 'E_CLOCK_REGRESSION');
});

test('api: purchases are for members only; lapse freezes them; reactivation unfreezes', async () => {
  await ready();
  const w = Wallet.create({ timeZone: 'America/New_York' });
  assert.throwsCode(() => w.purchase({ id: 'p0', at: '2026-01-01T00:00:00Z', credits: 10 }), 'E_MEMBERS_ONLY');
  w.activateMembership({ at: '2026-01-31T15:00:00Z', until: '2026-03-15T00:00:00Z', monthlyCredits: 100, monthlyAgentCredits: 30 });
  w.purchase({ id: 'p1', at: '2026-02-01T00:00:00Z', credits: 40 });
  const lapsed = w.balance('2026-03-20T00:00:00Z');
  assert.eq(lapsed.frozen, 240, 'two membership distributions and the purchase are frozen');
  assert.eq(lapsed.display, true);
  assert.ok(lapsed.lots.every((l) => l.kind === 'membership_agent' || l.frozen));
  const led = w.ledger();
  w.activateMembership({ at: '2026-04-01T00:00:00Z', until: '2026-05-01T00:00:00Z', monthlyCredits: 100, monthlyAgentCredits: 0 });
  const after = w.ledger().slice(led.length);
  assert.ok(after.some((e) => e.type === 'freeze' && e.at === '2026-03-15T00:00:00.000Z'), 'the lapse is recorded at until');
  assert.ok(after.some((e) => e.type === 'unfreeze'));
  assert.eq(w.balance('2026-04-01T00:00:00Z').frozen, 0);
});

test('api: membership distributes on monthly anniversaries, anchored and clamped to month end', async () => {
  await ready();
  const w = Wallet.create({ timeZone: 'America/New_York' });
  // 2026-01-31 10:00 local (EST) is 15:00Z.
  w.activateMembership({ at: '2026-01-31T15:00:00Z', until: '2026-06-01T00:00:00Z', monthlyCredits: 10, monthlyAgentCredits: 0 });
  const points = w.project({ from: '2026-01-31T15:00:00Z', to: '2026-06-01T00:00:00Z' });
  const distributions = points.filter((p) => p.event.includes('distribution')).map((p) => p.at);
  assert.eq(distributions, [
    '2026-02-28T15:00:00.000Z', // Feb 28 10:00 EST
    '2026-03-31T14:00:00.000Z', // Mar 31 10:00 EDT
    '2026-04-30T14:00:00.000Z',
    '2026-05-31T14:00:00.000Z',
  ]);
  assert.eq(points[0].event, 'start');
  assert.eq(points.at(-1).event, 'lapse');
});

test('api: snapshots round-trip losslessly through JSON text', async () => {
  const w = await trialWallet();
  w.charge({ feature: 'agent.video_generation', seconds: 3.5 }, '2026-03-01T10:00:00Z', { id: 'v' });
  const snap = w.toJSON();
  assert.eq(snap.format, 'credit-engine/wallet');
  assert.eq(snap.version, 2);
  const copy = Wallet.fromJSON(JSON.stringify(snap));
  assert.eq(copy.toJSON(), snap);
  assert.eq(copy.charge({ feature: 'agent.video_generation', seconds: 3.5 }, '2026-03-01T10:00:00Z', { id: 'v' }).credits, 20);
  assert.eq(copy.balance('2026-03-02T00:00:00Z'), w.balance('2026-03-02T00:00:00Z'));
});

test('api: the ledger lists each step with signed amounts and the usable total after it', async () => {
  const w = await trialWallet();
  w.charge({ feature: 'ai_extender' }, '2026-03-01T10:00:00Z', { id: 'c' });
  w.balance('2026-03-02T10:00:00Z');
  w.dailyLogin({ at: '2026-03-02T10:00:00Z', credits: 5 });
  const types = w.ledger().map((e) => [e.seq, e.type, e.credits, e.total]);
  assert.eq(types, [
    [1, 'grant', 50, 50],
    [2, 'grant', 5, 55],
    [3, 'charge', -1, 54],
    [4, 'expire', -5, 49],
    [5, 'grant', 5, 54],
  ]);
  const charge = w.ledger()[2];
  assert.eq(charge.ref, 'c');
  assert.eq(charge.feature, 'ai_extender');
  assert.eq(w.ledger()[3].at, '2026-03-01T23:00:00.000Z', 'the expiry is recorded when it happened');
});

test('api: reads before the wallet clock are answered as of the clock', async () => {
  const w = await trialWallet();
  const b = w.balance('2020-01-01T00:00:00Z');
  assert.eq(b.at, '2026-03-01T09:00:00.000Z');
  assert.eq(w.nextChange('2026-03-01T09:00:00Z'), '2026-03-01T23:00:00.000Z');
});

test('api: dailyLogin grants once per local calendar day, DST-correct (Sao Paulo 2018: midnight did not exist)', async () => {
  await ready();
  const w = Wallet.create({ timeZone: 'America/Sao_Paulo' });
  assert.eq(w.dailyLogin({ at: '2018-11-03T12:00:00Z', credits: 5 }), true);
  assert.eq(w.dailyLogin({ at: '2018-11-03T20:00:00Z', credits: 5 }), false);
  // Clocks jumped from 00:00 to 01:00 (-02:00) on 2018-11-04: the day's end is the first instant after the gap.
  assert.eq(w.balance('2018-11-03T20:00:00Z').nextExpiry.at, '2018-11-04T03:00:00.000Z');
  assert.eq(w.dailyLogin({ at: '2018-11-04T03:00:00Z', credits: 5 }), true);
});

test('api: preview gives the same answer on its fast path (number times) and its generic path (other values)', async () => {
  const w = await trialWallet();
  w.grantPromotion({ id: 'promo', at: '2026-03-01T09:30:00Z', credits: 7, expiresAt: '2026-03-03T00:00:00Z' });
  const iso = '2026-03-01T10:00:00.000Z';
  const ms = Date.parse(iso);
  const requests = [
    { feature: 'ai_background' }, { feature: 'agent.image_generation', tier: 'premium', units: 3 },
    { feature: 'agent.video_generation', seconds: 12.5 }, { feature: 'agent.ppt', tier: 'general' },
    { feature: 'private_model', units: 3 }, { feature: 'agent.image_editing', units: 40 },
  ];
  for (const req of requests) {
    const fast = w.preview(req, ms);
    assert.eq(w.preview(req, iso), fast, `${req.feature}: ISO string`);
    assert.eq(w.preview(req, new Date(ms)), fast, `${req.feature}: Date`);
    assert.eq(w.preview({ ...req, units: req.units ?? null }, ms), fast, `${req.feature}: null units`);
    assert.eq(w.preview(req, ms, Catalog.default()), fast, `${req.feature}: explicit default catalog`);
    assert.eq(fast.quote, Catalog.default().quote(req), `${req.feature}: the quote`);
  }
  assert.throwsCode(() => w.preview({ feature: 'ai_background', units: 2.5 }, ms), 'E_BAD_REQUEST');
  assert.throwsCode(() => w.preview({ feature: 'ai_background', units: Infinity }, ms), 'E_BAD_REQUEST');
  assert.throwsCode(() => w.preview({ feature: 'agent.video_generation', seconds: Infinity }, ms), 'E_BAD_REQUEST');
  assert.throwsCode(() => w.preview({ feature: 'ai_background' }, NaN), 'E_TIME');
  assert.throwsCode(() => w.preview({ feature: 'ai_background' }, 1.5), 'E_TIME');
  assert.throwsCode(() => w.preview({ feature: 'ai_model', tier: 'premium' }, ms), 'E_TIER_UNAVAILABLE');
  const freed = Catalog.default();
  freed.free();
  assert.throwsCode(() => w.preview({ feature: 'ai_background' }, ms, freed), 'E_BAD_REQUEST');
});

test('api: a "what if next month" preview can draw on credits a distribution has not granted yet', async () => {
  await ready();
  const w = Wallet.create({ timeZone: 'UTC' });
  w.activateMembership({ at: '2026-01-01T00:00:00Z', until: '2027-01-01T00:00:00Z', monthlyCredits: 10, monthlyAgentCredits: 0 });
  w.charge({ feature: 'image_color_change', units: 10 }, '2026-01-01T00:00:00Z', { id: 'x' }); // spends all 10
  const ms = Date.parse('2026-02-15T00:00:00Z');
  const p = w.preview({ feature: 'image_color_change', units: 3 }, ms);
  assert.eq(p.sufficient, true);
  assert.eq(p.draws, [{ lotId: 'membership@2026-02-01T00:00:00.000Z', kind: 'membership', credits: 3 }]);
  assert.eq(w.preview({ feature: 'image_color_change', units: 3 }, '2026-02-15T00:00:00Z'), p);
  assert.eq(w.balance(0).total, 0, 'the read changed nothing');
});

test('api: a freed handle answers E_BAD_REQUEST, and freeing twice is harmless', async () => {
  await ready();
  const w = Wallet.create({ timeZone: 'UTC' });
  w.free();
  w.free();
  w[Symbol.dispose]();
  assert.throwsCode(() => w.balance(0), 'E_BAD_REQUEST');
  assert.throwsCode(() => w.preview({ feature: 'ai_background' }, 0), 'E_BAD_REQUEST');
  assert.throwsCode(() => w.timeZone, 'E_BAD_REQUEST');
  const c = Catalog.fromJSON(Catalog.default().toJSON());
  c.free();
  assert.throwsCode(() => c.quote({ feature: 'ai_background' }), 'E_BAD_REQUEST');
  assert.eq(Catalog.default().quote({ feature: 'ai_background' }).credits, 4, 'other handles keep working');
});
