// SPEC section 9 through the package: retention of records, takeLedger as a journal, version-2 snapshots. The same
// file runs in Node, Deno, workerd and Chromium.
import { ready, Wallet } from 'credit-engine';
import { test, assert } from './harness/t.mjs';

const DAY = 86_400_000;
const T0 = Date.parse('2026-01-01T12:00:00Z');

async function member(retentionDays) {
  await ready();
  const w = Wallet.create(retentionDays === undefined ? { timeZone: 'Europe/Berlin' } : { timeZone: 'Europe/Berlin', retentionDays });
  w.activateMembership({ at: T0, until: T0 + 400 * DAY, monthlyCredits: 500, monthlyAgentCredits: 0 });
  return w;
}

test('history: retentionDays defaults to 7, accepts whole days 1 to 400, and the zone is checked first', async () => {
  await ready();
  assert.eq(Wallet.create({ timeZone: 'Europe/Berlin' }).retentionDays, 7);
  assert.eq(Wallet.create({ timeZone: 'Europe/Berlin', retentionDays: 400 }).retentionDays, 400);
  for (const bad of [0, 401, 1.5, -1, NaN, '7', true]) {
    assert.throwsCode(() => Wallet.create({ timeZone: 'Europe/Berlin', retentionDays: bad }), 'E_BAD_REQUEST');
  }
  assert.throwsCode(() => Wallet.create({ timeZone: 'Mars/Base', retentionDays: 0 }), 'E_TIME_ZONE');
  // Retention survives a snapshot round trip.
  const w = Wallet.create({ timeZone: 'Europe/Berlin', retentionDays: 30 });
  assert.eq(Wallet.fromJSON(w.toJSON()).retentionDays, 30);
  assert.eq(w.toJSON().version, 2);
});

test('history: takeLedger hands entries over once, seq keeps counting across takes and snapshots', async () => {
  const w = await member();
  w.charge({ feature: 'ai_extender' }, T0 + 1000, { id: 'c1' });
  const held = w.ledger();
  const first = w.takeLedger();
  assert.eq(first, held);
  assert.eq(first.map((e) => e.seq), first.map((_, k) => k + 1));
  assert.eq(w.ledger(), []);
  assert.eq(w.takeLedger(), []);
  const back = Wallet.fromJSON(JSON.stringify(w.toJSON()));
  back.charge({ feature: 'ai_extender' }, T0 + 2000, { id: 'c2' });
  const second = back.takeLedger();
  assert.eq(second[0].seq, first.length + 1);
  assert.eq(second.at(-1).total, back.balance(T0 + 2000).total);
});

test('history: takeLedger moves no clock and forgets no record', async () => {
  const w = await member(1);
  const c = w.charge({ feature: 'ai_extender' }, T0 + 1000, { id: 'c1' });
  w.takeLedger();
  // Still held: a replay answers the first result; an earlier mutation is still a clock regression at T0 + 999.
  assert.eq(w.charge({ feature: 'ai_extender' }, T0 + 1000, { id: 'c1' }), c);
  assert.throwsCode(() => w.dailyLogin({ at: T0 + 999, credits: 1 }), 'E_CLOCK_REGRESSION');
});

test('history: a record is held exactly retentionDays after its last change and forgotten 1 ms later', async () => {
  const w = await member(1);
  const at = T0 + DAY;
  const first = w.charge({ feature: 'ai_model' }, at, { id: 'c1' });
  w.dailyLogin({ at: at + DAY, credits: 1 }); // exactly one day: held
  assert.eq(w.refund('c1', { units: 1, at: at + DAY, id: 'r1' }).credits, first.credits / first.units);
  // The refund is a change: the record lives one more day from it.
  w.dailyLogin({ at: at + 2 * DAY, credits: 1 });
  assert.eq(w.refund('c1', { units: 1, at: at + 2 * DAY }).units, 1);
  w.dailyLogin({ at: at + 3 * DAY + 1, credits: 1 }); // forgotten now
  assert.throwsCode(() => w.refund('c1', { units: 1, at: at + 3 * DAY + 2 }), 'E_NOT_FOUND');
  // A forgotten charge id is a new call.
  const before = w.balance(at + 3 * DAY + 3).total;
  w.charge({ feature: 'ai_model' }, at + 3 * DAY + 3, { id: 'c1' });
  assert.eq(before - w.balance(at + 3 * DAY + 3).total, first.credits);
});

test('history: refunding a charge forgotten by the refund instant is E_NOT_FOUND and changes nothing', async () => {
  const w = await member(2);
  w.charge({ feature: 'ai_model' }, T0 + DAY, { id: 'c1' });
  const snap = JSON.stringify(w.toJSON());
  assert.throwsCode(() => w.refund('c1', { units: 1, at: T0 + 3 * DAY + 1 }), 'E_NOT_FOUND');
  assert.eq(JSON.stringify(w.toJSON()), snap);
});

test('history: purchases replay years later without a second credit; open holds are never forgotten', async () => {
  const w = await member(1);
  w.purchase({ id: 'order-1', at: T0 + 1000, credits: 100 });
  w.hold({ feature: 'ai_model' }, T0 + 2000, { id: 'h1', ttlSeconds: 30 * 86_400 });
  w.dailyLogin({ at: T0 + 20 * DAY, credits: 1 });
  const total = w.balance(T0 + 20 * DAY).total;
  w.purchase({ id: 'order-1', at: T0 + 1000, credits: 100 });
  assert.eq(w.balance(T0 + 20 * DAY).total, total);
  assert.eq(w.capture('h1', { units: 1, at: T0 + 20 * DAY + 1 }).id, 'h1');
});

test('history: spent lots leave the snapshot once nothing points at them', async () => {
  const w = await member(1);
  w.dailyLogin({ at: T0 + 1000, credits: 2 });
  w.charge({ feature: 'agent.image_editing', units: 2 }, T0 + 2000, { id: 'c1' });
  w.takeLedger();
  const lotIds = () => w.toJSON().lots.map((l) => l.id);
  assert.ok(lotIds().some((id) => id.startsWith('daily_login@')), 'the retained charge points at the spent lot');
  w.dailyLogin({ at: T0 + 2 * DAY + 3000, credits: 2 });
  w.takeLedger();
  assert.eq(lotIds().filter((id) => id.startsWith('daily_login@')).length, 1, 'only the new daily lot');
});

test('history: long snapshots load the same whether ASCII or not, as text or object, and save only what changed', async () => {
  const w = await member(30);
  // Ids with a non-ASCII character and one with a character outside the BMP, among many ASCII ones.
  for (let k = 0; k < 300; k++) w.charge({ feature: 'ai_extender' }, T0 + 1000 + k, { id: `gen-${k}` });
  const ascii = JSON.stringify(w.toJSON());
  assert.ok(ascii.length > 4096 && /^[\x00-\x7f]*$/.test(ascii), 'a long ASCII snapshot');
  w.charge({ feature: 'ai_extender' }, T0 + 5000, { id: 'gén-ü' });
  w.charge({ feature: 'ai_extender' }, T0 + 5001, { id: 'id-\u{1F600}' });
  const wide = JSON.stringify(w.toJSON());
  for (const text of [ascii, wide]) {
    const back = Wallet.fromJSON(text);
    assert.eq(JSON.stringify(back.toJSON()), text);
    assert.eq(JSON.stringify(Wallet.fromJSON(JSON.parse(text)).toJSON()), text);
    // A replay of a record read back answers as the first call did.
    assert.eq(back.charge({ feature: 'ai_extender' }, T0 + 1000, { id: 'gen-0' }).credits, 1);
  }
  const back = Wallet.fromJSON(wide);
  assert.eq(back.charge({ feature: 'ai_extender' }, T0 + 5000, { id: 'gén-ü' }).at, new Date(T0 + 5000).toISOString());
  // Changed after loading: a new record between kept ones, a refund; the text reads back as the wallet.
  back.charge({ feature: 'ai_extender' }, T0 + 6000, { id: 'gen-15x' });
  back.refund('gen-7', { units: 1, at: T0 + 6001 });
  const again = JSON.stringify(back.toJSON());
  assert.eq(JSON.stringify(Wallet.fromJSON(again).toJSON()), again);
  assert.eq(Wallet.fromJSON(again).balance(T0 + 7000), back.balance(T0 + 7000));
});
