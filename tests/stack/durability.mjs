#!/usr/bin/env node
// A 2xx answer is durable and a retried call never applies twice (SPEC 10), under kill -9:
// 2,000 mixed mutations (purchases, charges, refunds, holds, captures, releases) over 50 accounts at concurrency 32;
// the server process is killed with SIGKILL twice during the run and restarted; every call that got no answer is
// retried with the same id (and the same body) until it gets one. Then, per account, from the ledger (all pages):
//   - every answered change is in the ledger exactly once, and a call answered with an error is not in it;
//   - nothing applied twice (each id at most once), seq strictly increasing;
//   - the ledger conserves: each entry's `total` is the previous total plus its signed credits, and the last
//     entry's total is the account's balance.
//   node tests/stack/durability.mjs [driver]       (DURABILITY_OPS, DURABILITY_ACCOUNTS, DURABILITY_CONCURRENCY)
import { eq, ok, runTests, startStack } from './lib.mjs';

const OPS = Number(process.env.DURABILITY_OPS ?? 2000);
const ACCOUNTS = Number(process.env.DURABILITY_ACCOUNTS ?? 50);
const CONCURRENCY = Number(process.env.DURABILITY_CONCURRENCY ?? 32);
const KILLS_AT = [Math.floor(OPS * 0.3), Math.floor(OPS * 0.65)];
const DAY = 86_400_000;

// Deterministic mix (xorshift32), so a failing run can be replayed.
let seed = Number(process.env.DURABILITY_SEED ?? 20261207) >>> 0 || 1;
const rand = () => {
  seed ^= seed << 13; seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5; seed >>>= 0;
  return seed / 2 ** 32;
};
const pick = (xs) => xs[Math.floor(rand() * xs.length)];

/** The operations: { account, kind, path, body, dependsOn?, key } in issue order. */
function plan(run) {
  const ops = [];
  const charges = new Map(); // account -> [op]
  const holds = new Map();
  for (let i = 0; i < OPS; i++) {
    const account = `dur-${run}-${Math.floor(rand() * ACCOUNTS)}`;
    const r = rand();
    const base = `/v1/accounts/${account}`;
    let op;
    const myCharges = charges.get(account) ?? [];
    const myHolds = (holds.get(account) ?? []).filter((h) => !h.closed);
    if (r < 0.15) {
      op = { kind: 'purchase', path: `${base}/purchases`, body: { id: `p${i}`, credits: 1 + Math.floor(rand() * 20) } };
    } else if (r < 0.55) {
      const feature = rand() < 0.05 ? { feature: 'private_model', units: 500 } : pick([{ feature: 'ai_background' }, { feature: 'ai_extender', units: 3 }, { feature: 'agent.image_generation', tier: 'premium' }]);
      op = { kind: 'charge', path: `${base}/charges`, body: { id: `c${i}`, request: feature } };
      myCharges.push(op);
      charges.set(account, myCharges);
    } else if (r < 0.65 && myCharges.length) {
      const c = pick(myCharges);
      op = { kind: 'refund', path: `${base}/charges/${c.body.id}/refunds`, body: { units: 1, id: `r${i}` }, dependsOn: c, charge: c.body.id };
    } else if (r < 0.85 || !myHolds.length) {
      op = { kind: 'hold', path: `${base}/holds`, body: { id: `h${i}`, request: { feature: 'ai_extender', units: 2 }, ttlSeconds: 3600 } };
      holds.set(account, [...(holds.get(account) ?? []), op]);
    } else {
      const h = pick(myHolds);
      h.closed = true;
      op = rand() < 0.6
        ? { kind: 'capture', path: `${base}/holds/${h.body.id}/capture`, body: { units: 1 }, dependsOn: h, hold: h.body.id }
        : { kind: 'release', path: `${base}/holds/${h.body.id}/release`, body: {}, dependsOn: h, hold: h.body.id };
    }
    op.account = account;
    op.attempts = 0;
    op.unanswered = 0;
    let done;
    op.done = new Promise((resolve) => { done = resolve; });
    op.finish = done;
    ops.push(op);
  }
  return ops;
}

async function ledgerOf(api, account) {
  const entries = [];
  for (let after; ;) {
    const r = await api.call('GET', `/v1/accounts/${account}/ledger?limit=1000${after === undefined ? '' : `&after=${after}`}`);
    eq(r.status, 200, `ledger of ${account}`);
    entries.push(...r.body.entries);
    if (r.body.next === null) return entries;
    after = r.body.next;
  }
}

const tests = [{
  name: `${OPS} mutations over ${ACCOUNTS} accounts at concurrency ${CONCURRENCY}, kill -9 twice: every answered change once, ledgers conserve`,
  async fn(ctx) {
    const { api } = ctx;
    const run = Date.now().toString(36);
    const until = new Date(Date.now() + 60 * DAY).toISOString();
    const accounts = Array.from({ length: ACCOUNTS }, (_, i) => `dur-${run}-${i}`);
    for (const a of accounts) {
      eq((await api.call('PUT', `/v1/accounts/${a}`, { timeZone: 'Europe/Berlin' })).status, 201, `create ${a}`);
      eq((await api.call('POST', `/v1/accounts/${a}/membership`, { until, monthlyCredits: 300, monthlyAgentCredits: 20 })).status, 200, 'membership');
    }
    const ops = plan(run);
    let answered = 0;
    let kills = 0;
    let serverUp = Promise.resolve();
    const killLog = [];
    async function killAndRestart() {
      kills++;
      const inFlight = ops.filter((o) => o.inFlight).length;
      const t0 = Date.now();
      const restarting = (async () => {
        await ctx.kill('SIGKILL');
        await ctx.restart();
      })();
      serverUp = restarting;
      await restarting;
      killLog.push(`kill ${kills} after ${answered} answers, ${inFlight} calls in flight, back in ${Date.now() - t0} ms`);
    }
    async function execute(op) {
      if (op.dependsOn) await op.dependsOn.done;
      for (;;) {
        await serverUp;
        op.attempts++;
        op.inFlight = true;
        try {
          const r = await api.call('POST', op.path, op.body, { timeoutMs: 60_000 });
          op.inFlight = false;
          if (r.status >= 500) throw new Error(`${op.path}: ${r.status} ${r.text}`);
          op.status = r.status;
          op.result = r.body;
          answered++;
          if (KILLS_AT.includes(answered)) await killAndRestart();
          op.finish();
          return;
        } catch (err) {
          op.inFlight = false;
          if (String(err.message).includes(': 5')) throw err;
          op.unanswered++; // no answer (connection reset or refused): retry with the same id and body
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    }
    let next = 0;
    const t0 = Date.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < ops.length) await execute(ops[next++]);
    }));
    const seconds = (Date.now() - t0) / 1000;
    eq(kills, 2, 'killed twice');

    // ---- checks, per account ----------------------------------------------------------------------------------
    const byId = new Map();
    for (const e of accounts) byId.set(e, []);
    let entriesTotal = 0;
    for (const account of accounts) {
      const entries = await ledgerOf(api, account);
      entriesTotal += entries.length;
      const seqs = entries.map((e) => e.seq);
      ok(seqs.every((s, i) => i === 0 || s > seqs[i - 1]), `${account}: seq strictly increasing`);
      // Conservation: usable total moves by each entry's signed credits (capture: 0; no freeze while a member).
      let total = 0;
      for (const e of entries) {
        ok(!['freeze', 'unfreeze'].includes(e.type), `${account}: unexpected ${e.type}`);
        total += e.credits;
        eq(e.total, total, `${account}: total after seq ${e.seq} (${e.type} ${e.credits})`);
      }
      const balance = (await api.call('GET', `/v1/accounts/${account}/balance`)).body;
      eq(balance.total, total, `${account}: the last entry's total is the balance`);
      const count = (type, pred) => entries.filter((e) => e.type === type && pred(e)).length;
      for (const op of ops.filter((o) => o.account === account)) {
        let n;
        if (op.kind === 'purchase') n = count('grant', (e) => e.lotId === op.body.id);
        else if (op.kind === 'charge') n = count('charge', (e) => e.ref === op.body.id);
        else if (op.kind === 'hold') n = count('hold', (e) => e.ref === op.body.id);
        else if (op.kind === 'capture') n = count('capture', (e) => e.ref === op.hold);
        else if (op.kind === 'release') n = count('release', (e) => e.ref === op.hold);
        else if (op.kind === 'refund') {
          // Refund entries name the charge; each answered refund id adds one.
          const refunds = ops.filter((o) => o.kind === 'refund' && o.charge === op.charge && o.account === account);
          const want = refunds.filter((o) => o.status === 200).length;
          n = count('refund', (e) => e.ref === op.charge);
          eq(n, want, `${account}: refunds of ${op.charge} = answered refund ids`);
          continue;
        }
        if (op.status === 200) eq(n, 1, `${account}: ${op.kind} ${op.body.id ?? op.hold} answered 200 is in the ledger once`);
        else if (op.unanswered && (op.kind === 'capture' || op.kind === 'release') && op.status === 404) {
          ok(n <= 1, `${account}: ${op.kind} ${op.hold} applied at most once`);
        } else eq(n, 0, `${account}: ${op.kind} ${op.body.id ?? op.hold} answered ${op.status} is not in the ledger`);
      }
    }
    const statuses = {};
    for (const op of ops) statuses[op.status] = (statuses[op.status] ?? 0) + 1;
    const unanswered = ops.filter((o) => o.unanswered).length;
    console.log(`  (${OPS} calls in ${seconds.toFixed(1)} s; ${killLog.join('; ')}; ${unanswered} calls got no answer and were `
      + `retried; final statuses ${JSON.stringify(statuses)}; ${entriesTotal} ledger entries checked)`);
    ok(unanswered > 0, 'the kills left calls unanswered (the retry path was exercised)');
  },
}];

await runTests('durability', tests, { setup: () => startStack(), teardown: (ctx) => ctx.cleanup(), timeoutMs: 900_000 });
