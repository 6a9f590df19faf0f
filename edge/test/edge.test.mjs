#!/usr/bin/env node
// End to end over HTTP on 127.0.0.1: real workerd running edge/worker.mjs (edge/config.capnp) in front of the origin
// example (edge/origin-example, Node + SQLite via sql.js). Tokens are made here with the built package, exactly as
// origin makes them. Every process started here is bounded in time and killed at the end.
//   node edge/test/edge.test.mjs        (after `make pkg` and `npm install` in edge/origin-example)
// Prints each failure and a final line `N passed, N failed`; exits non-zero on any failure.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const EDGE = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const ROOT = path.dirname(EDGE);
const PKG = path.resolve(process.env.CREDIT_ENGINE_PKG ?? path.join(ROOT, 'pkg'));
const WORKERD = path.join(ROOT, 'node_modules/.bin/workerd');
const ORIGIN_DIR = path.join(EDGE, 'origin-example');
const DEADLINE_MS = Number(process.env.EDGE_TEST_TIMEOUT_MS ?? 180_000);

for (const [file, hint] of [[path.join(PKG, 'node.js'), 'run `make pkg`'], [WORKERD, 'run `npm ci`'],
  [path.join(ORIGIN_DIR, 'node_modules/sql.js'), 'run `npm install` in edge/origin-example']]) {
  if (!existsSync(file)) {
    console.log(`${file} not found: ${hint}\n0 passed, 1 failed`);
    process.exit(1);
  }
}
const { ready, Catalog, Wallet, signSnapshot } = await import(path.join(PKG, 'node.js'));
await ready();

// Keys: the edge holds the retiring k1 and the current k2 (a rotation in progress); origin signs with k2.
const K1 = 'edge-test-key-one-0123456789abcdef';
const K2 = 'edge-test-key-two-0123456789abcdef';
const K0 = 'edge-test-key-retired-0123456789ab';

// ---- processes ------------------------------------------------------------------------------------------------
const procs = [];
function start(cmd, args, env) {
  const p = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  p.log = '';
  p.stdout.on('data', (d) => { p.log += d; });
  p.stderr.on('data', (d) => { p.log += d; });
  p.exited = new Promise((r) => p.on('exit', r));
  procs.push(p);
  return p;
}
async function stopAll() {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
  await Promise.race([Promise.all(procs.map((p) => p.exited)), new Promise((r) => setTimeout(r, 3000))]);
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
}
const watchdog = setTimeout(async () => {
  console.log(`edge tests: no result within ${DEADLINE_MS} ms; stopping`);
  await stopAll();
  console.log('0 passed, 1 failed');
  process.exit(1);
}, DEADLINE_MS);

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}
async function waitUp(url, proc, what) {
  for (const t0 = Date.now(); Date.now() - t0 < 20_000;) {
    if (proc.exitCode !== null) throw new Error(`${what} exited: ${proc.log.slice(-500)}`);
    try {
      await fetch(url, { signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${what} did not answer within 20 s: ${proc.log.slice(-500)}`);
}

// ---- the system under test --------------------------------------------------------------------------------------
const [edgePort, originPort, passPort, stubPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
const EDGE_URL = `http://127.0.0.1:${edgePort}`;
const ORIGIN_URL = `http://127.0.0.1:${originPort}`;
const origin = start(process.execPath, [path.join(ORIGIN_DIR, 'server.mjs')], {
  PORT: String(originPort), ORIGIN_KEYS: JSON.stringify({ k2: K2 }), ORIGIN_KEY_ID: 'k2',
});
const workerd = start(WORKERD, ['serve', path.join(EDGE, 'config.capnp'), '--socket-addr', `http=127.0.0.1:${edgePort}`,
  '--socket-addr', `passthrough=127.0.0.1:${passPort}`, '--socket-addr', `stub=127.0.0.1:${stubPort}`, '--external-addr', `origin=127.0.0.1:${originPort}`],
{ CE_TOKEN_KEYS: JSON.stringify({ k1: K1, k2: K2 }) });

// ---- helpers ----------------------------------------------------------------------------------------------------
const HOUR = 3_600_000;
let accounts = 0;
const accountOf = new WeakMap(); // wallet -> its account id, for signing tokens bound to it
/** A wallet stored at origin as a new account; `setup(wallet, now)` grants credits. */
async function account(setup, zone = 'UTC') {
  const w = Wallet.create({ timeZone: zone });
  setup(w, Date.now());
  const id = `acct-${++accounts}`;
  const res = await fetch(`${ORIGIN_URL}/accounts/${id}`, { method: 'PUT', body: JSON.stringify(w.toJSON()) });
  if (res.status !== 200) throw new Error(`seeding ${id}: ${res.status} ${await res.text()}`);
  accountOf.set(w, id);
  return { id, wallet: w };
}
const sign = (w, o = {}) => signSnapshot(w, { key: K2, keyId: 'k2', ttlSeconds: 300, at: Date.now(), account: accountOf.get(w), ...o });
async function originToken(id) {
  return (await (await fetch(`${ORIGIN_URL}/accounts/${id}/token`, { method: 'POST' })).json()).token;
}
// `claim`: an account the client names itself (x-credit-account); the edge must ignore it and forward the token's.
async function generate(token, body, { requestId, cookie = false, raw = false, claim } = {}) {
  const headers = { 'content-type': 'application/json' };
  if (claim) headers['x-credit-account'] = claim;
  if (token && cookie) headers.cookie = `theme=dark; wallet_token=${token}`;
  else if (token) headers['x-wallet-token'] = token;
  if (requestId) headers['x-request-id'] = requestId;
  const res = await fetch(`${EDGE_URL}/generate`, { method: 'POST', headers, body: raw ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(20_000) });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = { text };
  }
  return { status: res.status, body: json };
}
async function balanceAtOrigin(id) {
  return (await (await fetch(`${ORIGIN_URL}/accounts/${id}`)).json());
}
function eq(actual, expected, what) {
  const a = JSON.stringify(actual), e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}
function ok(cond, what) {
  if (!cond) throw new Error(what);
}
const trial = (credits) => (w, now) => w.startTrial({ at: now - HOUR, until: now + 7 * 24 * HOUR, credits });

// ---- the tests --------------------------------------------------------------------------------------------------
const tests = [];
const test = (name, fn) => tests.push({ name, fn });

test('allowed: origin token, edge forwards with the quote, origin charges', async () => {
  const { id } = await account(trial(50));
  const r = await generate(await originToken(id), { feature: 'ai_background', prompt: 'a red shoe' }, { id, requestId: 'r1' });
  eq(r.status, 200, `status (${JSON.stringify(r.body)})`);
  eq([r.body.credits, r.body.balance, r.body.version], [4, 46, 2], 'charge at origin');
  // The cookie works as well as the header.
  const c = await generate(await originToken(id), { feature: 'ai_extender' }, { id, cookie: true });
  eq([c.status, c.body.credits, c.body.balance], [200, 1, 45], 'via cookie');
});

test('the account comes from the token: a client naming another account charges the token\'s own', async () => {
  const a = await account(trial(50));
  const b = await account(trial(50));
  const r = await generate(await originToken(a.id), { feature: 'ai_extender' }, { claim: b.id, requestId: 'claim-1' });
  eq([r.status, r.body.balance], [200, 49], `charged the token's account (${JSON.stringify(r.body)})`);
  eq([(await balanceAtOrigin(a.id)).balance.total, (await balanceAtOrigin(b.id)).balance.total], [49, 50], 'A paid, B untouched');
  // A token signed for B verifies to B, whoever sends it.
  const t = sign(b.wallet);
  const rb = await generate(t, { feature: 'ai_extender' }, { claim: a.id });
  eq([rb.status, (await balanceAtOrigin(b.id)).balance.total, (await balanceAtOrigin(a.id)).balance.total], [200, 49, 49], 'B paid');
  // Changing the account inside a token breaks its signature.
  const [v, payload, sig] = t.split('.');
  const text = Buffer.from(payload, 'base64url').toString('latin1').replace(b.id, a.id);
  const forged = await generate([v, Buffer.from(text, 'latin1').toString('base64url'), sig].join('.'), { feature: 'ai_extender' });
  eq([forged.status, forged.body.code], [401, 'E_TOKEN_SIGNATURE'], 'account swapped in the token');
});

test('insufficient: 402 with credits needed, shortfall and balance, origin untouched', async () => {
  const { id } = await account(trial(3));
  const r = await generate(await originToken(id), { feature: 'ai_background' }, { id });
  eq(r.status, 402, 'status');
  eq([r.body.code, r.body.credits, r.body.shortfall, r.body.balance], ['E_INSUFFICIENT', 4, 1, { total: 3, agent: 0, regular: 3 }], 'body');
  eq((await balanceAtOrigin(id)).version, 1, 'origin never saw it');
});

test('a non-agent feature with only agent credits: 402 (agent credits cannot pay for it)', async () => {
  const { id, wallet } = await account((w, now) => {
    w.dailyLogin({ at: now - 60_000, credits: 10 });
    w.grantPromotion({ id: 'promo', at: now - 60_000, credits: 20, expiresAt: now + 24 * HOUR });
  });
  const r = await generate(sign(wallet), { feature: 'ai_extender' }, { id });
  eq([r.status, r.body.credits, r.body.shortfall, r.body.balance], [402, 1, 1, { total: 30, agent: 30, regular: 0 }], 'ai_extender');
  const a = await generate(sign(wallet), { feature: 'agent.image_editing' }, { id });
  eq([a.status, a.body.credits, a.body.balance], [200, 1, 29], 'an agent feature goes through');
});

test('tampered token: 401 E_TOKEN_SIGNATURE', async () => {
  const { id, wallet } = await account(trial(5));
  const [v, payload, sig] = sign(wallet).split('.');
  const text = Buffer.from(payload, 'base64url').toString('latin1').replace('"credits":5', '"credits":500');
  ok(text.includes('"credits":500'), 'the payload was altered');
  const r = await generate([v, Buffer.from(text, 'latin1').toString('base64url'), sig].join('.'), { feature: 'ai_extender' }, { id });
  eq([r.status, r.body.code], [401, 'E_TOKEN_SIGNATURE'], 'altered payload');
  const t = sign(wallet);
  const cut = await generate(t.slice(0, -5), { feature: 'ai_extender' }, { id });
  eq([cut.status, cut.body.code], [401, 'E_TOKEN_MALFORMED'], 'truncated');
  const none = await generate(null, { feature: 'ai_extender' }, { id });
  eq([none.status, none.body.code], [401, 'E_TOKEN_MISSING'], 'no token');
});

test('expired token: 401 E_TOKEN_EXPIRED (a token 30 s past expiry is still inside the 60 s skew)', async () => {
  const { id, wallet } = await account(trial(5));
  const r = await generate(sign(wallet, { at: Date.now() - 2 * HOUR, ttlSeconds: 60 }), { feature: 'ai_extender' }, { id });
  eq([r.status, r.body.code], [401, 'E_TOKEN_EXPIRED'], 'two hours old');
  const skew = await generate(sign(wallet, { at: Date.now() - 90_000, ttlSeconds: 60 }), { feature: 'ai_extender' }, { id });
  eq(skew.status, 200, `within skew (${JSON.stringify(skew.body)})`);
  // The worker caches verified tokens; a cached one still stops working at exp + 60 s.
  const ending = sign(wallet, { at: Date.now() - 60_000 - 58_500, ttlSeconds: 60 }); // 1.5 s of validity left
  eq((await generate(ending, { feature: 'ai_extender' }, { id })).status, 200, 'before its end');
  await new Promise((r) => setTimeout(r, 2000));
  const late = await generate(ending, { feature: 'ai_extender' }, { id });
  eq([late.status, late.body.code], [401, 'E_TOKEN_EXPIRED'], 'the cached token after its end');
});

test('unknown key id: 401 E_TOKEN_KEY', async () => {
  const { id, wallet } = await account(trial(5));
  const r = await generate(signSnapshot(wallet, { key: K0, keyId: 'k0', ttlSeconds: 300, at: Date.now(), account: id }), { feature: 'ai_extender' }, { id });
  eq([r.status, r.body.code], [401, 'E_TOKEN_KEY'], 'retired k0');
  const wrongKey = await generate(signSnapshot(wallet, { key: K0, keyId: 'k2', ttlSeconds: 300, at: Date.now(), account: id }), { feature: 'ai_extender' }, { id });
  eq([wrongKey.status, wrongKey.body.code], [401, 'E_TOKEN_SIGNATURE'], 'known id, wrong key');
});

test('rotated key: tokens under the old (k1) and the new (k2) key both pass during the rotation', async () => {
  const { id, wallet } = await account(trial(5));
  const old = await generate(signSnapshot(wallet, { key: K1, keyId: 'k1', ttlSeconds: 300, at: Date.now(), account: id }), { feature: 'ai_extender' }, { id });
  const cur = await generate(signSnapshot(wallet, { key: K2, keyId: 'k2', ttlSeconds: 300, at: Date.now(), account: id }), { feature: 'ai_extender' }, { id });
  eq([old.status, cur.status, cur.body.balance], [200, 200, 3], 'both forwarded and charged');
});

test('stale snapshot: daily credits granted yesterday expired at midnight, so the edge answers 402', async () => {
  // Signed one minute after yesterday's daily login (more than 24 h ago), valid for 30 h: the token is still valid,
  // but the daily lot expired at the UTC midnight in between.
  const dailyAt = Date.now() - 25 * HOUR;
  const { id, wallet } = await account((w) => w.dailyLogin({ at: dailyAt, credits: 5 }));
  eq(wallet.balance(dailyAt).total, 5, 'five daily credits when signed');
  const r = await generate(sign(wallet, { at: dailyAt + 60_000, ttlSeconds: 30 * 3600 }), { feature: 'agent.image_editing' }, { id });
  eq([r.status, r.body.code, r.body.shortfall, r.body.balance.total], [402, 'E_INSUFFICIENT', 1, 0], 'expired at midnight');
});

test('catalog mismatch: 409 E_TOKEN_CATALOG naming the edge catalog', async () => {
  const { id, wallet } = await account(trial(5));
  const custom = Catalog.fromJSON({ version: 1, features: [{ id: 'ai_extender', agent: false, unit: 'image', defaultUnits: 1, prices: { general: 3 } }] });
  const r = await generate(sign(wallet, { catalog: custom }), { feature: 'ai_extender' }, { id });
  eq([r.status, r.body.code, r.body.catalog], [409, 'E_TOKEN_CATALOG', Catalog.default().id], 'mismatch');
});

test('malformed bodies: 400 with a clear message', async () => {
  const { id, wallet } = await account(trial(5));
  const t = sign(wallet);
  for (const [body, pattern] of [['{"feature": "ai_ext', /must be JSON/], ['[1,2]', /JSON object/], ['{"units": 2}', /"feature"/],
    ['{"feature": "nope"}', /nope/], ['{"feature": "ai_extender", "units": -1}', /units/], ['{"feature": "ai_model", "tier": "premium"}', /premium/]]) {
    const r = await generate(t, body, { id, raw: true });
    eq(r.status, 400, `${body} -> ${JSON.stringify(r.body)}`);
    ok(pattern.test(r.body.message), `${body}: message ${r.body.message}`);
  }
});

test('200 concurrent requests on one wallet through edge and origin: exactly the credits there are, no overspend', async () => {
  const { id } = await account(trial(50));
  const token = await originToken(id); // one stale token for all: the edge lets all 200 through
  const results = await Promise.all(Array.from({ length: 200 }, (_, i) =>
    generate(token, { feature: 'ai_extender' }, { id, requestId: `burst-${i}` })));
  const by = (s) => results.filter((r) => r.status === s);
  const statuses = [...new Set(results.map((r) => r.status))].sort();
  eq(statuses, [200, 402], 'only charged or refused');
  eq([by(200).length, by(402).length], [50, 150], 'charged / refused');
  ok(by(402).every((r) => r.body.code === 'E_INSUFFICIENT' && r.body.shortfall === 1), 'origin refusals are E_INSUFFICIENT');
  const state = await balanceAtOrigin(id);
  eq([state.balance.total, state.version], [0, 51], 'balance and version at origin');
  const retries = by(200).reduce((n, r) => n + r.body.attempts - 1, 0);
  ok(retries > 0, 'concurrent writes conflicted and were retried (optimistic concurrency was exercised)');
  // Replaying a charged request id changes nothing.
  const again = await generate(token, { feature: 'ai_extender' }, { id, requestId: 'burst-0' });
  eq([again.status, again.body.replay, again.body.credits, (await balanceAtOrigin(id)).balance.total], [200, true, 1, 0], 'replay');
  console.log(`  (burst: 50 charged, 150 refused at origin, ${retries} version conflicts retried)`);
});

// ---- run --------------------------------------------------------------------------------------------------------
let passed = 0, failed = 0;
try {
  await waitUp(`${ORIGIN_URL}/accounts/none`, origin, 'origin');
  await waitUp(`${EDGE_URL}/`, workerd, 'workerd');
  for (const t of tests) {
    const t0 = Date.now();
    try {
      await t.fn();
      passed++;
      console.log(`ok   ${t.name} (${Date.now() - t0} ms)`);
    } catch (err) {
      failed++;
      console.log(`FAIL ${t.name}\n     ${String(err?.stack ?? err).split('\n').join('\n     ')}`);
    }
  }
} catch (err) {
  failed++;
  console.log(`could not start: ${err.message}`);
} finally {
  clearTimeout(watchdog);
  await stopAll();
}
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
