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
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
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
async function round(port, accounts) {
  const lat = [];
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
  return { rps: lat.length / ((Date.now() - t0) / 1000), p50: q(0.5), p99: q(0.99), n: lat.length };
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const row = (name, xs) => `| ${name} | ${median(xs.map((x) => x.rps)).toFixed(0)} | ${median(xs.map((x) => x.p50)).toFixed(2)} ms | `
  + `${median(xs.map((x) => x.p99)).toFixed(2)} ms | ${xs.map((x) => x.rps.toFixed(0)).join(', ')} |`;

/** Three years of 100 charges a day in the engine (the ledger taken every day): the snapshot and every entry. */
function heavyHistory() {
  const now = Date.now();
  const start = now - HEAVY_YEARS * 365 * DAY;
  const w = Wallet.create({ timeZone: 'UTC' });
  const entries = [];
  w.activateMembership({ at: start, until: now + 300 * DAY, monthlyCredits: 100, monthlyAgentCredits: 20 });
  w.purchase({ id: 'fund', at: start, credits: 1e12 });
  const days = HEAVY_YEARS * 365;
  let at = start;
  for (let d = 0; d < days; d++) {
    for (let i = 0; i < 100; i++) {
      at = start + d * DAY + 3_600_000 + i * 60_000;
      w.charge({ feature: 'ai_extender' }, at, { id: `d${d}-${i}` });
    }
    entries.push(...w.takeLedger());
  }
  const snapshot = JSON.stringify(w.toJSON());
  w.free();
  return { snapshot, entries, lastAt: at };
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
  console.log('| charges | req/s | p50 | p99 | req/s per round |\n|---|---|---|---|---|');
  console.log(row('wallet service, one account', res.svcOne));
  console.log(row('pass-through Worker, one account', res.passOne));
  console.log(row('wallet service, 100 accounts', res.svcMany));
  console.log(row('pass-through Worker, 100 accounts', res.passMany));

  // ---- heavy vs new account -----------------------------------------------------------------------------------
  if (typeof Wallet.prototype.takeLedger !== 'function') {
    console.log('heavy account: skipped (the package has no takeLedger(): build it from a branch with SPEC 9)');
  } else {
    const t0 = Date.now();
    const heavy = heavyHistory();
    const before = new Set(sqliteFiles(dataDir));
    await admin('PUT', '/v1/accounts/bench-heavy', { timeZone: 'UTC' });
    await server.stop();
    const [file] = sqliteFiles(dataDir).filter((f) => !before.has(f));
    if (!file) throw new Error('could not find the heavy account\'s SQLite file');
    const sqlFile = path.join(dataDir, 'heavy.sql');
    const lines = ['BEGIN;', 'DELETE FROM snapshot;'];
    for (let i = 0, part = 0; i < heavy.snapshot.length; i += 400_000, part++) {
      lines.push(`INSERT INTO snapshot (part, text) VALUES (${part}, ${sqlText(heavy.snapshot.slice(i, i + 400_000))});`);
    }
    for (const e of heavy.entries) {
      lines.push(`INSERT INTO ledger VALUES ('bench-heavy', ${e.seq}, ${sqlText(e.at)}, ${sqlText(e.type)}, ${e.ref === undefined ? 'NULL' : sqlText(e.ref)}, ${sqlText(JSON.stringify(e))});`);
    }
    lines.push(`UPDATE meta SET last_at = ${heavy.lastAt}, created_at = ${heavy.lastAt - HEAVY_YEARS * 365 * DAY} WHERE k = 1;`, 'COMMIT;');
    writeFileSync(sqlFile, lines.join('\n'));
    execFileSync('sqlite3', [file, `.read ${sqlFile}`]);
    await server.restart();
    pin();
    await fund('bench-new');
    await admin('POST', '/v1/accounts/bench-new/charges', { id: 'warm', request: { feature: 'ai_extender' } });
    await admin('POST', '/v1/accounts/bench-heavy/charges', { id: 'warm', request: { feature: 'ai_extender' } }); // load into memory
    const lat = { heavy: [], fresh: [] };
    for (let i = 0; i < LATENCY_CALLS; i++) {
      lat.heavy.push(await admin('POST', '/v1/accounts/bench-heavy/charges', { id: `l${i}`, request: { feature: 'ai_extender' } }));
      lat.fresh.push(await admin('POST', '/v1/accounts/bench-new/charges', { id: `l${i}`, request: { feature: 'ai_extender' } }));
    }
    // A cold load too: the object evicted is not under our control in workerd; a restart makes both cold.
    await server.restart();
    pin();
    const coldHeavy = await admin('POST', '/v1/accounts/bench-heavy/charges', { id: 'cold', request: { feature: 'ai_extender' } });
    const coldNew = await admin('POST', '/v1/accounts/bench-new/charges', { id: 'cold', request: { feature: 'ai_extender' } });
    const q = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
    const size = statSync(file).size;
    console.log(`heavy account: ${heavy.entries.length} ledger rows (${(size / 1e6).toFixed(1)} MB SQLite file), `
      + `snapshot ${heavy.snapshot.length} bytes; seeded in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    console.log('| one charge at a time | p50 | p99 | first charge after a restart |\n|---|---|---|---|');
    console.log(`| heavy account (${HEAVY_YEARS} years, 100 charges a day) | ${q(lat.heavy, 0.5).toFixed(2)} ms | ${q(lat.heavy, 0.99).toFixed(2)} ms | ${coldHeavy.toFixed(2)} ms |`);
    console.log(`| new account, same live lots | ${q(lat.fresh, 0.5).toFixed(2)} ms | ${q(lat.fresh, 0.99).toFixed(2)} ms | ${coldNew.toFixed(2)} ms |`);
  }
} finally {
  clearTimeout(watchdog);
  agent.destroy();
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
