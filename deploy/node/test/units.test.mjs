// What only the Node deployment has, against a real PostgreSQL (tests/stack/driver-node.mjs starts one) and the real
// server process: the ledger row mapping, the migrations and the constraints that back the engine's idempotency,
// the server-clock rule, graceful shutdown, and `make stack-node`'s own cluster (initdb, stop on SIGTERM, adopt).
//   node deploy/node/test/units.test.mjs
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ready, Wallet } from 'credit-engine';
import { client, eq, freePort, ok, runTests, startStack } from '../../../tests/stack/lib.mjs';
import { entryToRow, rowToEntry } from '../lib/store.mjs';
import { migrate, migrationFiles } from '../lib/migrate.mjs';

process.env.STACK_DRIVER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../tests/stack/driver-node.mjs');
const SERVER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../server.mjs');
const DAY = 86_400_000;
const iso = (ms) => new Date(ms).toISOString();
await ready();

const tests = [];
const test = (name, fn) => tests.push({ name, fn });

test('every ledger entry type survives the row mapping unchanged', async () => {
  const t0 = Date.parse('2026-01-05T10:00:00Z');
  const w = Wallet.create({ timeZone: 'Europe/Berlin' });
  w.activateMembership({ at: t0, until: t0 + 10 * DAY, monthlyCredits: 50, monthlyAgentCredits: 5 });
  w.dailyLogin({ at: t0, credits: 3 });
  w.purchase({ id: 'p1', at: t0, credits: 20 });
  w.charge({ feature: 'ai_background' }, t0 + 1, { id: 'c1' });
  w.refund('c1', { units: 1, at: t0 + 2, id: 'r1' });
  w.hold({ feature: 'ai_extender', units: 2 }, t0 + 3, { id: 'h1', ttlSeconds: 60 });
  w.capture('h1', { units: 1, at: t0 + 4 });
  w.hold({ feature: 'ai_extender' }, t0 + 5, { id: 'h2', ttlSeconds: 60 });
  w.release('h2', { at: t0 + 6 });
  w.balance(t0 + 20 * DAY);
  w.dailyLogin({ at: t0 + 20 * DAY, credits: 3 }); // lapse (freeze) and expiries on the way
  w.activateMembership({ at: t0 + 21 * DAY, until: t0 + 60 * DAY, monthlyCredits: 10, monthlyAgentCredits: 0 }); // unfreeze
  const entries = w.takeLedger();
  w.free();
  const types = new Set(entries.map((e) => e.type));
  for (const t of ['grant', 'charge', 'refund', 'hold', 'capture', 'release', 'expire', 'freeze', 'unfreeze']) ok(types.has(t), `a ${t} entry`);
  const back = entries.map((e) => {
    const [seq, atMs, type, kind, lotId, credits, ref, feature, total] = entryToRow(e);
    return rowToEntry({ seq: String(seq), at_ms: String(atMs), type, kind, lot_id: lotId, credits: String(credits), ref, feature, total: String(total) });
  });
  eq(back, entries, 'entries');
});

test('migrations: NNN_name.sql in order, each applied once and recorded', async ({ sql, databaseUrl }) => {
  const files = await migrationFiles();
  eq(files.map((f) => f.version), files.map((_, i) => i + 1), 'numbered 1..n');
  const recorded = (await sql('SELECT version, name FROM schema_migrations ORDER BY version')).rows;
  eq(recorded.map((r) => r.version), files.map((f) => f.version), 'all recorded by the server at start');
  const pg = (await import('pg')).default;
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  try {
    eq(await migrate(pool), [], 'a second run applies nothing');
  } finally {
    await pool.end();
  }
});

test('constraints: an operation id once per retention window, a purchase id once ever, refunds of one charge many', async ({ api, sql }) => {
  const id = `constraints-${Date.now()}`;
  eq((await api.call('PUT', `/v1/accounts/${id}`, { timeZone: 'UTC' })).status, 201, 'account');
  const row = (seq, atMs, type, { kind = null, lotId = null, credits = -1, ref = null } = {}) => sql(
    `INSERT INTO ledger (account, seq, at_ms, type, kind, lot_id, credits, ref, feature, total, retention_ms)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, 0, $9)`, [id, seq, atMs, type, kind, lotId, credits, ref, 7 * DAY]);
  const refused = async (p, constraint) => {
    const err = await p.then(() => null, (e) => e);
    ok(err && (err.constraint === constraint), `refused by ${constraint}: ${err?.message ?? 'accepted'}`);
  };
  const t = Date.parse('2026-06-01T00:00:00Z');
  await row(1, t, 'grant', { kind: 'purchased', lotId: 'buy-1', credits: 10 });
  await refused(row(2, t + 400 * DAY, 'grant', { kind: 'purchased', lotId: 'buy-1', credits: 10 }), 'ledger_caller_lot_granted_once');
  await row(2, t, 'charge', { ref: 'c1' });
  await refused(row(3, t + 7 * DAY, 'charge', { ref: 'c1' }), 'ledger_operation_once_per_retention');
  await refused(row(3, t + DAY, 'hold', { ref: 'c1' }), 'ledger_operation_once_per_retention'); // one namespace
  await row(3, t + 1, 'refund', { ref: 'c1', credits: 1 });
  await row(4, t + 2, 'refund', { ref: 'c1', credits: 1 }); // a charge may have several refunds
  await row(5, t + 7 * DAY + 1, 'charge', { ref: 'c1' }); // forgotten after 7 days: a new call may reuse the id
  await refused(row(5, t + 3, 'grant', { kind: 'trial', credits: 1 }), 'ledger_pkey');
});

test('a server clock behind the account\'s last `at` uses that `at`: no E_CLOCK_REGRESSION for clients', async ({ api, sql }) => {
  const id = `clock-${Date.now()}`;
  eq((await api.call('PUT', `/v1/accounts/${id}`, { timeZone: 'UTC' })).status, 201, 'account');
  eq((await api.call('POST', `/v1/accounts/${id}/trial`, { until: iso(Date.now() + 7 * DAY), credits: 10 })).status, 200, 'trial');
  const ahead = Date.now() + 3_600_000; // as if another server with a clock an hour ahead had written last
  await sql('UPDATE accounts SET clock_ms = $2 WHERE account = $1', [id, ahead]);
  const c = await api.call('POST', `/v1/accounts/${id}/charges`, { id: 'c1', request: { feature: 'ai_extender' } });
  eq([c.status, c.body.at], [200, iso(ahead)], `charged at the account's clock (${c.text})`);
  const again = await api.call('POST', `/v1/accounts/${id}/charges`, { id: 'c1', request: { feature: 'ai_extender' } });
  eq([again.status, again.body], [200, c.body], 'a retry replays');
});

test('a resident wallet is not reused after another process committed (version check)', async ({ api, sql }) => {
  const id = `stale-${Date.now()}`;
  eq((await api.call('PUT', `/v1/accounts/${id}`, { timeZone: 'UTC' })).status, 201, 'account');
  eq((await api.call('POST', `/v1/accounts/${id}/trial`, { until: iso(Date.now() + 7 * DAY), credits: 10 })).status, 200, 'trial');
  eq((await api.call('GET', `/v1/accounts/${id}/balance`)).body.total, 10, 'resident now');
  // Another writer: a snapshot of the same account with 3 credits charged, under the next version.
  const w = Wallet.fromJSON((await sql('SELECT snapshot FROM accounts WHERE account = $1', [id])).rows[0].snapshot);
  w.charge({ feature: 'ai_extender', units: 3 }, Date.now(), { id: 'elsewhere' });
  const entries = w.takeLedger().map(entryToRow);
  for (const r of entries) {
    await sql(`INSERT INTO ledger (account, seq, at_ms, type, kind, lot_id, credits, ref, feature, total, retention_ms)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, [id, ...r, 7 * DAY]);
  }
  await sql('UPDATE accounts SET snapshot = $2, version = version + 1 WHERE account = $1', [id, JSON.stringify(w.toJSON())]);
  w.free();
  eq((await api.call('GET', `/v1/accounts/${id}/balance`)).body.total, 7, 'the read sees the other write');
  const c = await api.call('POST', `/v1/accounts/${id}/charges`, { id: 'here', request: { feature: 'ai_extender', units: 7 } });
  eq(c.status, 200, 'charge on top of it');
  const c2 = await api.call('POST', `/v1/accounts/${id}/charges`, { id: 'here-2', request: { feature: 'ai_extender' } });
  eq([c2.status, c2.body.shortfall], [402, 1], 'nothing left: the stale wallet was not used');
});

test('SIGTERM: requests in flight are answered, then the process exits 0', async (ctx) => {
  const { api } = ctx;
  const id = `term-${Date.now()}`;
  eq((await api.call('PUT', `/v1/accounts/${id}`, { timeZone: 'UTC' })).status, 201, 'account');
  eq((await api.call('POST', `/v1/accounts/${id}/trial`, { until: iso(Date.now() + 7 * DAY), credits: 1000 })).status, 200, 'trial');
  const calls = Array.from({ length: 40 }, (_, i) => api.call('POST', `/v1/accounts/${id}/charges`, { id: `t${i}`, request: { feature: 'ai_extender' } })
    .then((r) => r.status, () => 'no answer'));
  await new Promise((r) => setTimeout(r, 30));
  await ctx.kill('SIGTERM');
  const statuses = await Promise.all(calls);
  ok(statuses.every((s) => s === 200 || s === 'no answer'), `answered 200 or not at all: ${statuses}`);
  ok(statuses.includes(200), 'some were in flight and answered');
  await ctx.restart();
  const ledger = (await api.call('GET', `/v1/accounts/${id}/ledger?limit=1000`)).body.entries;
  const charged = new Set(ledger.filter((e) => e.type === 'charge').map((e) => e.ref));
  statuses.forEach((s, i) => { if (s === 200) ok(charged.has(`t${i}`), `t${i} answered and stored`); });
});

test('make stack-node\'s own PostgreSQL: initdb under CE_DATA_DIR, stopped on SIGTERM, adopted after kill -9', async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ce-node-own-'));
  if (process.getuid?.() === 0) chmodSync(dataDir, 0o755);
  const port = await freePort();
  const env = { ...process.env, CE_DATA_DIR: dataDir, PORT: String(port), CE_ADMIN_KEY: 'own-key' };
  delete env.DATABASE_URL;
  const api = client(`http://127.0.0.1:${port}`, 'own-key');
  const launch = async () => {
    const p = spawn(process.execPath, [SERVER], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    p.out = '';
    p.stdout.on('data', (d) => { p.out += d; });
    p.stderr.on('data', (d) => { p.out += d; });
    p.exited = new Promise((r) => p.once('exit', (code, signal) => r(code ?? signal)));
    for (let i = 0; i < 600; i++) {
      if (p.exitCode !== null) throw new Error(`exited: ${p.out}`);
      if (await api.call('GET', '/v1/health', undefined, { key: null, timeoutMs: 1000 }).then((r) => r.status === 200, () => false)) return p;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`not healthy: ${p.out}`);
  };
  const pgRunning = () => new Promise((resolve) => {
    const args = ['-D', path.join(dataDir, 'pg'), 'status'];
    const ctl = '/usr/lib/postgresql/15/bin/pg_ctl';
    const s = process.getuid?.() === 0 ? spawn('runuser', ['-u', 'postgres', '--', ctl, ...args]) : spawn(ctl, args);
    s.on('exit', (code) => resolve(code === 0));
  });
  try {
    let p = await launch();
    ok(/initdb/.test(p.out), 'initdb on first start');
    eq((await api.call('PUT', '/v1/accounts/own', { timeZone: 'UTC' })).status, 201, 'account');
    p.kill('SIGKILL');
    await p.exited;
    ok(await pgRunning(), 'PostgreSQL outlives a kill -9 of the service');
    p = await launch();
    ok(/adopting/.test(p.out), `the running cluster is adopted: ${p.out.slice(0, 300)}`);
    eq((await api.call('PUT', '/v1/accounts/own', { timeZone: 'UTC' })).status, 200, 'the account is still there');
    p.kill('SIGTERM');
    eq(await p.exited, 0, 'exit code after SIGTERM');
    ok(!(await pgRunning()), 'PostgreSQL stopped with the service');
    p = await launch();
    ok(!/initdb/.test(p.out), 'no second initdb');
    eq((await api.call('PUT', '/v1/accounts/own', { timeZone: 'UTC' })).status, 200, 'data kept across a full stop');
    p.kill('SIGINT');
    eq(await p.exited, 0, 'exit code after SIGINT');
    ok(!(await pgRunning()), 'stopped on SIGINT too');
  } finally {
    if (await pgRunning()) {
      const args = ['-D', path.join(dataDir, 'pg'), '-m', 'immediate', 'stop'];
      const ctl = '/usr/lib/postgresql/15/bin/pg_ctl';
      await new Promise((r) => (process.getuid?.() === 0 ? spawn('runuser', ['-u', 'postgres', '--', ctl, ...args]) : spawn(ctl, args)).on('exit', r));
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
});

await runTests('Node deployment', tests, { setup: () => startStack(), teardown: (ctx) => ctx.cleanup(), timeoutMs: 600_000 });
