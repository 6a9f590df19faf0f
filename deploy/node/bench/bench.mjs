// `make bench-stack-node`: the Node + PostgreSQL wallet service under load, loopback only, bounded in time.
//   1. charges/s and p50/p99 on ONE account (every call waits for that account's row lock);
//   2. charges/s and p50/p99 across 100 accounts;
//   3. the latency of one charge at a time on a three-year-old account (100 charges a day for three years, written
//      through the engine and stored as the service stores it: snapshot + every ledger row) next to an account with
//      one week of the same activity (the same live state: retention is 7 days) and a new account;
//   and, as the floor under (1), the same transaction shape straight on PostgreSQL without HTTP or engine.
// Its own PostgreSQL in a temporary directory (fsync on, as in production), one server process, keep-alive clients.
//   BENCH_SECONDS (default 5 per load run), BENCH_CONCURRENCY (default 16), BENCH_YEARS (default 3)
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { ready, Wallet } from 'credit-engine';
import { freePort, startLocalPostgres } from '../lib/local-postgres.mjs';
import { entryToRow } from '../lib/store.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const YEARS = Number(process.env.BENCH_YEARS ?? 3);
const DAY = 86_400_000;
const ADMIN = 'bench-admin-key';

await ready();
const dir = mkdtempSync(path.join(os.tmpdir(), 'ce-bench-node-'));
if (process.getuid?.() === 0) chmodSync(dir, 0o755);
const cluster = await startLocalPostgres(path.join(dir, 'pg'));
const port = await freePort();
const url = `http://127.0.0.1:${port}`;
const server = spawn(process.execPath, [path.join(HERE, '..', 'server.mjs')], {
  env: { ...process.env, PORT: String(port), DATABASE_URL: cluster.url, CE_ADMIN_KEY: ADMIN, CE_PG_POOL: '10' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
let serverLog = '';
server.stdout.on('data', (d) => { serverLog += d; });

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
function call(method, p, body) {
  const text = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}${p}`, {
      method, agent,
      headers: { authorization: `Bearer ${ADMIN}`, ...(text ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } : {}) },
    }, (res) => {
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(Buffer.concat(parts).toString() || 'null') }));
    });
    req.on('error', reject);
    req.end(text);
  });
}

async function healthy() {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await call('GET', '/v1/health')).status === 200) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server not healthy:\n${serverLog}`);
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
const fmt = (ms) => `${ms.toFixed(2)} ms`;

/** `CONCURRENCY` loops charging for `SECONDS` s (after 1 s of warm-up); account chosen per call by `pickAccount`. */
async function load(label, pickAccount) {
  let n = 0;
  let stop = false;
  let measuring = false;
  const lat = [];
  let errors = 0;
  const loops = Array.from({ length: CONCURRENCY }, async (_, w) => {
    while (!stop) {
      const id = `${label}-${w}-${n++}`;
      const t = performance.now();
      const r = await call('POST', `/v1/accounts/${pickAccount()}/charges`, { id, request: { feature: 'ai_extender' } });
      if (measuring) {
        if (r.status === 200) lat.push(performance.now() - t);
        else errors++;
      }
    }
  });
  await new Promise((r) => setTimeout(r, 1000));
  measuring = true;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  measuring = false;
  const elapsed = (performance.now() - t0) / 1000;
  stop = true;
  await Promise.all(loops);
  lat.sort((a, b) => a - b);
  return { label, rps: lat.length / elapsed, p50: pct(lat, 0.5), p99: pct(lat, 0.99), calls: lat.length, errors };
}

async function member(account) {
  const put = await call('PUT', `/v1/accounts/${account}`, { timeZone: 'Europe/Berlin' });
  if (put.status !== 201) throw new Error(`PUT ${account}: ${put.status}`);
  const until = new Date(Date.now() + 400 * DAY).toISOString();
  await call('POST', `/v1/accounts/${account}/membership`, { until, monthlyCredits: 0, monthlyAgentCredits: 0 });
  const p = await call('POST', `/v1/accounts/${account}/purchases`, { id: 'bench-credits', credits: 1_000_000_000 });
  if (p.status !== 200) throw new Error(`purchase ${account}: ${p.status} ${JSON.stringify(p.body)}`);
}

/**
 * A member since YEARS years, 100 charges a day (5 a refund), written as the service writes: every ledger row and
 * the snapshot. Returns { rows, snapshotBytes }.
 */
async function oldAccount(pool, account, days = YEARS * 365) {
  const start = Date.now() - days * DAY - DAY;
  const wallet = Wallet.create({ timeZone: 'Europe/Berlin' });
  const rows = [];
  const take = () => { for (const e of wallet.takeLedger()) rows.push(entryToRow(e)); };
  wallet.activateMembership({ at: start, until: Date.now() + 400 * DAY, monthlyCredits: 3000, monthlyAgentCredits: 500 });
  let last = start;
  for (let d = 0; d < days; d++) {
    const day = start + d * DAY;
    // Purchased credits expire after two years: buy a year's worth every year.
    if (d % 365 === 0) wallet.purchase({ id: `bench-credits-${d}`, at: day, credits: 200_000 });
    wallet.dailyLogin({ at: day + 8 * 3_600_000, credits: 5 });
    for (let i = 0; i < 100; i++) {
      last = day + 9 * 3_600_000 + i * 60_000;
      wallet.charge({ feature: 'ai_background' }, last, { id: `old-${d}-${i}` });
      if (i % 20 === 0) wallet.refund(`old-${d}-${i}`, { units: 1, at: last + 1000, id: `old-${d}-${i}/r` });
    }
    take();
  }
  const snapshot = JSON.stringify(wallet.toJSON());
  wallet.free();
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`INSERT INTO accounts (account, time_zone, retention_days, version, clock_ms, snapshot)
      VALUES ($1, 'Europe/Berlin', 7, 1, $2, $3)`, [account, last + 1000, snapshot]);
    for (let i = 0; i < rows.length; i += 5000) {
      const batch = rows.slice(i, i + 5000);
      const cols = [[], [], [], [], [], [], [], [], []];
      for (const r of batch) r.forEach((v, k) => cols[k].push(v));
      await client.query(`INSERT INTO ledger (account, seq, at_ms, type, kind, lot_id, credits, ref, feature, total, retention_ms)
        SELECT $1, e.*, $11 FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::bigint[],
          $8::text[], $9::text[], $10::bigint[]) AS e`, [account, ...cols, 7 * DAY]);
    }
    await client.query('COMMIT');
  } finally {
    client.release();
  }
  return { rows: rows.length, snapshotBytes: Buffer.byteLength(snapshot) };
}

/**
 * The floor under one account's rate: the same transaction shape straight on PostgreSQL (BEGIN, SELECT ... FOR
 * UPDATE of one row, one UPDATE of a 1 KB snapshot, COMMIT), no HTTP and no engine, `CONCURRENCY` loops.
 */
async function rawTransactions(pool) {
  await pool.query('CREATE TABLE IF NOT EXISTS bench_row (id int PRIMARY KEY, version bigint, snapshot text)');
  await pool.query("INSERT INTO bench_row VALUES (1, 1, repeat('x', 1000)) ON CONFLICT DO NOTHING");
  const lat = [];
  let stop = false;
  let measuring = false;
  const loops = Array.from({ length: CONCURRENCY }, async () => {
    while (!stop) {
      const c = await pool.connect();
      const t = performance.now();
      try {
        await c.query('BEGIN');
        await c.query('SELECT version FROM bench_row WHERE id = 1 FOR UPDATE');
        await c.query("UPDATE bench_row SET version = version + 1, snapshot = repeat('y', 1000) WHERE id = 1");
        await c.query('COMMIT');
      } finally {
        c.release();
      }
      if (measuring) lat.push(performance.now() - t);
    }
  });
  await new Promise((r) => setTimeout(r, 1000));
  measuring = true;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  measuring = false;
  const elapsed = (performance.now() - t0) / 1000;
  stop = true;
  await Promise.all(loops);
  lat.sort((a, b) => a - b);
  return { label: 'PostgreSQL alone, one row (no HTTP, no engine)', rps: lat.length / elapsed, p50: pct(lat, 0.5), p99: pct(lat, 0.99), calls: lat.length, errors: 0 };
}

/** One charge at a time, alternating between the accounts, `n` each: p50/p99 per account. */
async function sequential(accounts, n) {
  const lat = Object.fromEntries(accounts.map((a) => [a, []]));
  for (let i = 0; i < n; i++) {
    for (const a of accounts) {
      const t = performance.now();
      const r = await call('POST', `/v1/accounts/${a}/charges`, { id: `seq-${i}`, request: { feature: 'ai_extender' } });
      if (r.status !== 200) throw new Error(`${a}: ${r.status} ${JSON.stringify(r.body)}`);
      lat[a].push(performance.now() - t);
    }
  }
  return accounts.map((a) => {
    const s = lat[a].sort((x, y) => x - y);
    return { account: a, p50: pct(s, 0.5), p99: pct(s, 0.99) };
  });
}

const pool = new pg.Pool({ connectionString: cluster.url, max: 10 });
try {
  await healthy();
  console.log(`Node wallet service bench: loopback, ${os.cpus().length} CPUs, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}, `
    + `concurrency ${CONCURRENCY}, ${SECONDS} s per run after 1 s warm-up, PostgreSQL with fsync on`);
  await member('one');
  const many = Array.from({ length: 100 }, (_, i) => `many-${i}`);
  for (const a of many) await member(a);
  let k = 0;
  const results = [];
  results.push(await load('one-account', () => 'one'));
  results.push(await load('100-accounts', () => many[k++ % many.length]));
  results.push(await rawTransactions(pool));
  console.log('| load | charges/s | p50 | p99 | calls measured |');
  console.log('|---|---|---|---|---|');
  for (const r of results) {
    console.log(`| ${r.label} | ${r.rps.toFixed(0)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${r.calls}${r.errors ? ` (${r.errors} errors)` : ''} |`);
  }

  const t0 = performance.now();
  const old = await oldAccount(pool, 'three-years');
  console.log(`\nthree-year-old account: ${old.rows} ledger rows written, snapshot ${old.snapshotBytes} bytes (built in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  // The same activity for one week only: the same live state (retention 7 days) without the history.
  await oldAccount(pool, 'one-week', 7);
  await member('new');
  const names = ['three-years', 'one-week', 'new'];
  const sizes = await pool.query(`SELECT account, length(snapshot) AS bytes, (SELECT count(*) FROM ledger l WHERE l.account = a.account) AS rows
    FROM accounts a WHERE account = ANY($1)`, [names]);
  await sequential(names, 20); // warm-up: the wallets resident
  const seq = await sequential(names, 200);
  console.log('| account | ledger rows | snapshot bytes | charge p50 | charge p99 |');
  console.log('|---|---|---|---|---|');
  for (const s of seq) {
    const row = sizes.rows.find((r) => r.account === s.account);
    console.log(`| ${s.account} | ${row.rows} | ${row.bytes} | ${fmt(s.p50)} | ${fmt(s.p99)} |`);
  }
} finally {
  agent.destroy();
  await pool.end();
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  await cluster.stop();
  rmSync(dir, { recursive: true, force: true });
}
