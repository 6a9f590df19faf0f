#!/usr/bin/env node
// `make bench-stack`: the Cloudflare wallet service (deploy/cloudflare, in workerd) under load on 127.0.0.1.
//  1. charges per second and p50/p99 on ONE account (every call goes through one Durable Object) and across 100
//     accounts, next to a pass-through Worker in the same workerd (bench/stack-passthrough.mjs: same routing to a
//     Durable Object per account, which answers at once: no engine, no SQLite);
//  2. the latency of one charge at a time on a three-year-old heavy account (100 charges a day for three years,
//     ~110,000 ledger rows, its history taken out of the wallet as SPEC 9 says) next to a new account with the
//     same live lots.
// Bounded: BENCH_SECONDS (default 3) per round, BENCH_ROUNDS (default 3) alternating rounds, BENCH_CONNECTIONS
// (default 32), BENCH_LATENCY_CALLS (default 300) per account in part 2. With two or more CPUs the load generator
// runs on CPU 0 and workerd on CPU 1 (taskset), so they do not take turns on one core.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { start } from '../tests/stack/driver-cloudflare.mjs';
import { freePort } from '../tests/stack/lib.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const LATENCY_CALLS = Number(process.env.BENCH_LATENCY_CALLS ?? 300);
const HEAVY_YEARS = Number(process.env.BENCH_HEAVY_YEARS ?? 3);
const DAY = 86_400_000;
const ADMIN = 'bench-admin-key-0123456789';

const { ready, Wallet } = await import(pathToFileURL(path.join(ROOT, 'pkg/node.js')).href);
await ready();

let pinned = false;
try {
  if (os.availableParallelism() >= 2) {
    execFileSync('taskset', ['-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
    pinned = true;
  }
} catch { /* no taskset: unpinned, noisier */ }

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ce-bench-stack-'));
const passPort = await freePort();
const passFile = path.join(ROOT, 'bench/stack-passthrough.mjs');
const extra = {
  services: '    (name = "passthrough", worker = .passthrough),',
  sockets: `    (name = "passthrough", address = "127.0.0.1:${passPort}", http = (), service = "passthrough"),`,
  definitions: `const passthrough :Workerd.Worker = (
  compatibilityDate = "2025-09-01",
  modules = [ (name = "passthrough.mjs", esModule = embed ${JSON.stringify(path.relative(dataDir, passFile))}) ],
  durableObjectNamespaces = [ (className = "Echo", uniqueKey = "credit-engine-bench-echo") ],
  durableObjectStorage = (inMemory = void),
  bindings = [ (name = "ECHO", durableObjectNamespace = "Echo") ],
);`,
};
const server = await start({ port: await freePort(), dataDir, adminKey: ADMIN, extra });
const pin = () => {
  if (pinned) spawnSync('taskset', ['-a', '-p', '-c', '1', String(server.pid())], { stdio: 'ignore' });
};
pin();
const watchdog = setTimeout(async () => {
  console.error('bench-stack: over time; stopping');
  await server.kill('SIGKILL');
  process.exit(1);
}, (ROUNDS * 4 * (SECONDS + 5) + 600) * 1000);

const SERVICE = new URL(server.url);
let agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
/** After a restart the kept-alive sockets are dead: start over with a new agent. */
function newAgent() {
  agent.destroy();
  agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
}
function call(port, method, p, body) {
  const text = body === undefined ? '' : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = http.request({ host: '127.0.0.1', port, path: p, method, agent,
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } }, (res) => {
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => {
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        if (res.statusCode >= 300) reject(new Error(`HTTP ${res.statusCode} ${p}: ${Buffer.concat(parts).toString().slice(0, 200)}`));
        else resolve(ms);
      });
    });
    req.on('error', reject);
    req.end(text);
  });
}
const admin = (method, p, body) => call(Number(SERVICE.port), method, p, body);

async function fund(account) {
  await admin('PUT', `/v1/accounts/${account}`, { timeZone: 'UTC' });
  await admin('POST', `/v1/accounts/${account}/membership`, { until: new Date(Date.now() + 300 * DAY).toISOString(), monthlyCredits: 100, monthlyAgentCredits: 20 });
  await admin('POST', `/v1/accounts/${account}/purchases`, { id: 'fund', credits: 1e12 });
}

let seq = 0;
const CLOCK_TICKS = (() => {
  try { return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100; } catch { return 100; }
})();
/** CPU time workerd has used so far, in microseconds (utime + stime, all threads; Linux /proc), or NaN. */
function workerdCpuUs() {
  try {
    const stat = readFileSync(`/proc/${server.pid()}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * (1e6 / CLOCK_TICKS);
  } catch {
    return NaN;
  }
}

async function round(port, accounts) {
  const lat = [];
  const cpu0 = workerdCpuUs();
  const end = Date.now() + SECONDS * 1000;
  const t0 = Date.now();
  let k = 0;
  await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
    while (Date.now() < end) {
      const account = accounts[k++ % accounts.length];
      lat.push(await call(port, 'POST', `/v1/accounts/${account}/charges`, { id: `b${++seq}`, request: { feature: 'ai_extender' } }));
    }
  }));
  lat.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
  return { rps: lat.length / ((Date.now() - t0) / 1000), p50: q(0.5), p99: q(0.99), n: lat.length, cpu: (workerdCpuUs() - cpu0) / lat.length };
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const row = (name, xs) => `| ${name} | ${median(xs.map((x) => x.rps)).toFixed(0)} | ${median(xs.map((x) => x.p50)).toFixed(2)} ms | `
  + `${median(xs.map((x) => x.p99)).toFixed(2)} ms | ${median(xs.map((x) => x.cpu)).toFixed(0)} us | ${xs.map((x) => x.rps.toFixed(0)).join(', ')} |`;

/**
 * `days` days of 100 charges a day in the engine, ending now (the ledger taken every day, as the service does): the
 * snapshot and every entry. The same generator for every length, so accounts differ only in how old they are.
 */
function history(days) {
  const now = Date.now();
  const start = now - days * DAY;
  const w = Wallet.create({ timeZone: 'UTC' });
  const entries = [];
  w.activateMembership({ at: start, until: now + 300 * DAY, monthlyCredits: 100, monthlyAgentCredits: 20 });
  let at = start;
  for (let d = 0; d < days; d++) {
    // Purchased credits expire after two years: a purchase every 300 days keeps the account funded.
    if (d % 300 === 0) w.purchase({ id: `fund-${d}`, at: start + d * DAY, credits: 100_000 });
    for (let i = 0; i < 100; i++) {
      at = start + d * DAY + 3_600_000 + i * 60_000;
      w.charge({ feature: 'ai_extender' }, at, { id: `d${d}-${i}` });
    }
    entries.push(...w.takeLedger());
  }
  const snapshot = JSON.stringify(w.toJSON());
  w.free();
  return { snapshot, entries, lastAt: at, days };
}

/** Writes a computed history into an account's SQLite file (workerd stopped), as the service would have stored it. */
function seed(file, account, h, dir) {
  const lines = ['BEGIN;', 'DELETE FROM snapshot;'];
  for (let i = 0, part = 0; i < h.snapshot.length; i += 400_000, part++) {
    lines.push(`INSERT INTO snapshot (part, text) VALUES (${part}, ${sqlText(h.snapshot.slice(i, i + 400_000))});`);
  }
  for (const e of h.entries) {
    lines.push(`INSERT INTO ledger VALUES (${sqlText(account)}, ${e.seq}, ${sqlText(e.at)}, ${sqlText(e.type)}, ${e.ref === undefined ? 'NULL' : sqlText(e.ref)}, ${sqlText(JSON.stringify(e))});`);
  }
  lines.push(`UPDATE meta SET last_at = ${h.lastAt}, created_at = ${h.lastAt - h.days * DAY} WHERE k = 1;`, 'COMMIT;');
  const sqlFile = path.join(dir, `${account}.sql`);
  writeFileSync(sqlFile, lines.join('\n'));
  execFileSync('sqlite3', [file, `.read ${sqlFile}`]);
}

const sqlText = (s) => `'${String(s).replaceAll("'", "''")}'`;
function sqliteFiles(dir) {
  const out = [];
  for (const f of readdirSync(dir, { recursive: true })) if (String(f).endsWith('.sqlite')) out.push(path.join(dir, String(f)));
  return out;
}

try {
  const one = ['bench-one'];
  const many = Array.from({ length: 100 }, (_, i) => `bench-${i}`);
  for (const a of [...one, ...many]) await fund(a);
  for (let i = 0; i < 100; i++) { // warm both isolates
    await call(passPort, 'POST', '/v1/accounts/bench-one/charges', { id: `w${i}`, request: { feature: 'ai_extender' } });
    await admin('POST', '/v1/accounts/bench-one/charges', { id: `w${i}`, request: { feature: 'ai_extender' } });
  }
  const res = { svcOne: [], passOne: [], svcMany: [], passMany: [] };
  for (let r = 0; r < ROUNDS; r++) {
    res.passOne.push(await round(passPort, one));
    res.svcOne.push(await round(Number(SERVICE.port), one));
    res.passMany.push(await round(passPort, many));
    res.svcMany.push(await round(Number(SERVICE.port), many));
  }
  console.log(`${CONNECTIONS} connections, ${ROUNDS} alternating rounds of ${SECONDS} s, `
    + `${pinned ? 'load generator on CPU 0, workerd on CPU 1' : 'not pinned'}; medians of rounds`);
  console.log('| charges | req/s | p50 | p99 | workerd CPU per request | req/s per round |\n|---|---|---|---|---|---|');
  console.log(row('wallet service, one account', res.svcOne));
  console.log(row('pass-through Worker, one account', res.passOne));
  console.log(row('wallet service, 100 accounts', res.svcMany));
  console.log(row('pass-through Worker, 100 accounts', res.passMany));

  // ---- heavy vs new account -----------------------------------------------------------------------------------
  if (typeof Wallet.prototype.takeLedger !== 'function') {
    console.log('heavy account: skipped (the package has no takeLedger(): build it from a branch with SPEC 9)');
  } else {
    const t0 = Date.now();
    const seeded = [
      { account: 'bench-heavy', h: history(HEAVY_YEARS * 365), label: `${HEAVY_YEARS} years old, 100 charges a day` },
      { account: 'bench-week', h: history(7), label: 'one week old, 100 charges a day (the same live state)' },
    ];
    newAgent(); // workerd closed the idle kept-alive sockets while the histories were computed
    for (const x of seeded) {
      const before = new Set(sqliteFiles(dataDir));
      await admin('PUT', `/v1/accounts/${x.account}`, { timeZone: 'UTC' });
      await server.stop();
      [x.file] = sqliteFiles(dataDir).filter((f) => !before.has(f));
      if (!x.file) throw new Error(`could not find the SQLite file of ${x.account}`);
      seed(x.file, x.account, x.h, dataDir);
      await server.restart();
      pin();
      newAgent();
    }
    await fund('bench-new');
    const accounts = [...seeded, { account: 'bench-new', label: 'new: membership and a purchase, no history' }];
    for (const x of accounts) await admin('POST', `/v1/accounts/${x.account}/charges`, { id: 'warm', request: { feature: 'ai_extender' } });
    for (const x of accounts) x.lat = [];
    for (let i = 0; i < LATENCY_CALLS; i++) {
      for (const x of accounts) x.lat.push(await admin('POST', `/v1/accounts/${x.account}/charges`, { id: `l${i}`, request: { feature: 'ai_extender' } }));
    }
    // Cold: after a restart the object loads its snapshot (never the ledger) on the first call.
    await server.restart();
    pin();
    newAgent();
    for (const x of accounts) x.cold = await admin('POST', `/v1/accounts/${x.account}/charges`, { id: 'cold', request: { feature: 'ai_extender' } });
    const q = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
    for (const x of seeded) {
      console.log(`${x.account}: ${x.h.entries.length} ledger rows (${(statSync(x.file).size / 1e6).toFixed(1)} MB SQLite file), `
        + `snapshot ${x.h.snapshot.length} bytes`);
    }
    console.log(`seeded in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    console.log('| one charge at a time | p50 | p99 | first charge after a restart |\n|---|---|---|---|');
    for (const x of accounts) {
      console.log(`| ${x.label} | ${q(x.lat, 0.5).toFixed(2)} ms | ${q(x.lat, 0.99).toFixed(2)} ms | ${x.cold.toFixed(2)} ms |`);
    }
  }
} finally {
  clearTimeout(watchdog);
  agent.destroy();
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
