// The version-1 golden snapshots (tests/golden/) load in this runtime, serialize back to the same text, and behave
// as tests/golden.rs pins natively.
import { ready, Wallet } from 'credit-engine';
import { test, assert } from './harness/t.mjs';
import golden from './golden.gen.mjs';

test('golden: version-1 snapshots load, upgrade to a lossless version 2, and behave the same', async () => {
  await ready();
  assert.eq(Object.keys(golden), ['v1-busy-month.json', 'v1-lapsed.json', 'v1-member.json']);
  for (const text of Object.values(golden)) {
    const v1 = JSON.parse(text);
    const w = Wallet.fromJSON(text);
    const v2 = JSON.stringify(w.toJSON());
    assert.eq(JSON.parse(v2).version, 2);
    assert.eq(JSON.stringify(Wallet.fromJSON(v2).toJSON()), v2);
    // The whole version-1 ledger comes along, untaken, and retention is the default.
    assert.eq(w.ledger().length, v1.ledger.length);
    assert.eq(w.retentionDays, 7);
  }
  const member = Wallet.fromJSON(golden['v1-member.json']);
  const b = member.balance('2026-03-01T12:00:00Z');
  assert.eq([b.total, b.agent, b.regular, b.frozen, b.held], [710, 30, 680, 0, 20]);
  const ch = member.charge({ feature: 'agent.ppt', tier: 'premium' }, '2026-03-01T14:00:00Z', { id: 'ppt-1' });
  assert.eq(ch.draws, [{ lotId: 'membership_agent@2026-02-28T15:00:00.000Z', kind: 'membership_agent', credits: 15 }]);
  const lapsed = Wallet.fromJSON(golden['v1-lapsed.json']);
  assert.eq(lapsed.balance('2026-03-10T09:00:00Z').frozen, 340);
  lapsed.activateMembership({ at: '2026-03-10T10:00:00Z', until: '2026-04-10T10:00:00Z', monthlyCredits: 80, monthlyAgentCredits: 0 });
  assert.eq(lapsed.balance('2026-03-10T10:00:00Z').total, 423);
});
