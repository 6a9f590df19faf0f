// The Rust calendar vectors (tests/vectors/calendar.json), replayed through the public API in this runtime, whose
// zone rules come from its own Intl: the native and WASM builds must give the same answers.
//  - startOfNextDay: a daily login at `input` expires at `expected`;
//  - addMonths (months >= 1): a membership started at `input` distributes its `months`-th anniversary at `expected`.
// toLocal vectors have no public counterpart and are checked natively only.
import { ready, Wallet } from 'credit-engine';
import { test, assert } from './harness/t.mjs';
import vectors from './vectors.gen.mjs';

test('calendar: start of the next local day matches the native vectors', async () => {
  await ready();
  const cases = vectors.filter((v) => v.op === 'startOfNextDay');
  assert.ok(cases.length >= 10, 'the vectors are there');
  for (const v of cases) {
    const w = Wallet.create({ timeZone: v.zone });
    w.dailyLogin({ at: v.input, credits: 1 });
    assert.eq(w.balance(v.input).nextExpiry?.at, v.expected, `${v.zone} ${v.input}: ${v.note}`);
    w.free();
  }
});

test('calendar: monthly anniversaries match the native vectors (anchored, clamped, DST-correct)', async () => {
  await ready();
  const cases = vectors.filter((v) => v.op === 'addMonths' && v.months >= 1 && v.months <= 60);
  assert.ok(cases.length >= 10, 'the vectors are there');
  for (const v of cases) {
    const w = Wallet.create({ timeZone: v.zone });
    const until = new Date(Date.parse(v.expected) + 86_400_000).toISOString();
    w.activateMembership({ at: v.input, until, monthlyCredits: 1, monthlyAgentCredits: 0 });
    const distributions = w.project({ from: v.input, to: v.expected }).filter((p) => p.event.includes('distribution'));
    assert.eq(distributions.length, v.months, `${v.zone} ${v.input} +${v.months}: ${v.note}`);
    assert.eq(distributions.at(-1).at, v.expected, `${v.zone} ${v.input} +${v.months}: ${v.note}`);
    w.free();
  }
});
