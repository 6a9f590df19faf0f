#!/usr/bin/env node
// Calls on one account never interleave (SPEC 10): 500 concurrent charges of 1 credit on an account holding 50
// credits: exactly 50 succeed, 450 are 402 E_INSUFFICIENT, the balance ends at 0 and the ledger holds 50 charges.
//   node tests/stack/concurrency.mjs [driver]
import { eq, ok, runTests, startStack } from './lib.mjs';

const CALLS = 500;
const CREDITS = 50;

const tests = [{
  name: `${CALLS} concurrent charges on one account with credits for ${CREDITS}: exactly ${CREDITS} succeed`,
  async fn({ api }) {
    const id = `conc-${Date.now().toString(36)}`;
    eq((await api.call('PUT', `/v1/accounts/${id}`, { timeZone: 'UTC' })).status, 201, 'account');
    const until = new Date(Date.now() + 7 * 86_400_000).toISOString();
    eq((await api.call('POST', `/v1/accounts/${id}/trial`, { until, credits: CREDITS })).status, 200, 'trial');
    const t0 = Date.now();
    const results = await Promise.all(Array.from({ length: CALLS }, (_, i) =>
      api.call('POST', `/v1/accounts/${id}/charges`, { id: `burst-${i}`, request: { feature: 'ai_extender' } }, { timeoutMs: 120_000 })));
    const ms = Date.now() - t0;
    const count = (s) => results.filter((r) => r.status === s).length;
    eq([count(200), count(402), count(200) + count(402)], [CREDITS, CALLS - CREDITS, CALLS], 'succeeded / refused / total');
    ok(results.filter((r) => r.status === 402).every((r) => r.body.code === 'E_INSUFFICIENT' && r.body.shortfall === 1), '402s are E_INSUFFICIENT, 1 short');
    const b = (await api.call('GET', `/v1/accounts/${id}/balance`)).body;
    eq([b.total, b.held], [0, 0], 'balance');
    const entries = [];
    for (let after; ;) {
      const page = (await api.call('GET', `/v1/accounts/${id}/ledger?limit=1000${after === undefined ? '' : `&after=${after}`}`)).body;
      entries.push(...page.entries);
      if (page.next === null) break;
      after = page.next;
    }
    const charged = entries.filter((e) => e.type === 'charge').map((e) => e.ref).sort();
    const answered = results.filter((r) => r.status === 200).map((r) => r.body.id).sort();
    eq(charged, answered, 'the ledger charges are exactly the answered ones');
    eq(entries.at(-1).total, 0, 'the last entry ends at the balance');
    console.log(`  (${CALLS} calls in ${ms} ms: ${CREDITS} charged, ${CALLS - CREDITS} refused)`);
  },
}];

await runTests('concurrency', tests, { setup: () => startStack(), teardown: (ctx) => ctx.cleanup() });
