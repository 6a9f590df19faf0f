// `make bench-js`: size, cold start and per-call cost of the package in Node, each beside a pure-JS baseline
// (bench/baseline.mjs) on the same data in the same process, with the ratio. Prints a table; no thresholds here.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { ready, Catalog, Wallet } from '../pkg/node.js';
import * as js from './baseline.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = path.join(here, '..', 'pkg');
const T0 = Date.parse('2026-03-01T00:00:00Z');
const DAY = 86_400_000;
const NOW = T0 + 1000;
const KINDS = ['promotion', 'purchased', 'daily_login', 'membership', 'membership_agent', 'trial'];

/** A version-1 snapshot with n lots of every kind, nothing due at NOW. */
function snapshotText(n) {
  const iso = (ms) => new Date(ms).toISOString();
  const lots = [];
  for (let i = 0; i < n; i++) {
    const kind = KINDS[i % KINDS.length];
    const grantedAt = T0 - (n - i) * 1000; // in grant order, as the engine keeps lots (and loading requires)
    lots.push({
      id: `${kind}-${i}`, kind, granted: 10 + (i % 13), credits: 10 + (i % 13), grantedAt: iso(grantedAt),
      expiresAt: kind === 'membership' ? null : iso(T0 + DAY * (1 + (i * 7919) % 700)), frozen: false, expired: false,
    });
  }
  const snap = {
    format: 'credit-engine/wallet', version: 1, timeZone: 'Europe/Berlin', clock: iso(T0),
    membership: { status: 'active', anchor: iso(T0 - 10 * DAY), until: iso(T0 + 5000 * DAY), monthlyCredits: 0,
      monthlyAgentCredits: 0, nextIndex: 1, nextAt: iso(T0 + 20 * DAY) },
    hadTrial: false, hadMembership: true, lastDailyLoginDay: null, lots, holds: [], records: {}, ledger: [],
  };
  return JSON.stringify(snap);
}

function nsPerCall(fn, minMs = 300) {
  let n = 1;
  for (;;) { // calibrate a batch of at least ~20 ms
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn();
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    if (ms > 20) break;
    n *= 2;
  }
  const samples = [];
  const until = Date.now() + minMs;
  while (samples.length < 5 || Date.now() < until) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn();
    samples.push(Number(process.hrtime.bigint() - t) / n);
    if (samples.length >= 25) break;
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

const fmt = (ns) => (ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(2)} us` : `${ns.toFixed(0)} ns`);
const rows = [];
function row(what, wasmNs, jsNs) {
  rows.push({ what, wasm: fmt(wasmNs), js: fmt(jsNs), ratio: (jsNs / wasmNs).toFixed(2) + 'x' });
}

const wasmBytes = readFileSync(path.join(pkg, 'credit_engine_bg.wasm'));
console.log(`wasm size: ${wasmBytes.length} bytes raw, ${gzipSync(wasmBytes, { level: 9 }).length} bytes gzipped`);

const cold = [];
for (let i = 0; i < 7; i++) {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', `
    const t = performance.now();
    const m = await import(${JSON.stringify(path.join(pkg, 'node.js'))});
    const t1 = performance.now();
    await m.ready();
    const t2 = performance.now();
    console.log(JSON.stringify({ ready: t2 - t1, importAndReady: t2 - t }));`]).toString();
  cold.push(JSON.parse(out));
}
cold.sort((a, b) => a.ready - b.ready);
const mid = cold[Math.floor(cold.length / 2)];
console.log(`cold start in a fresh Node process (median of 7): ready() ${mid.ready.toFixed(2)} ms, import + ready() ${mid.importAndReady.toFixed(2)} ms`);

await ready();
const catalog = Catalog.default();
const jsCatalog = js.makeCatalog(catalog.toJSON());
const agentReq = { feature: 'agent.image_generation', tier: 'premium', units: 3 };
const regularReq = { feature: 'ai_background' };
row('Catalog.quote', nsPerCall(() => catalog.quote(agentReq)), nsPerCall(() => jsCatalog.quote(agentReq)));

for (const n of [10, 10_000]) {
  const text = snapshotText(n);
  const wallet = Wallet.fromJSON(text);
  const lots = js.fromJSON(text).lots;
  for (const [name, req] of [['agent', agentReq], ['regular', regularReq]]) {
    const a = wallet.preview(req, NOW);
    const b = js.preview(lots, jsCatalog.quote(req), NOW);
    if (JSON.stringify(a.draws) !== JSON.stringify(b.draws)) throw new Error(`baseline disagrees with the engine on ${name} draws at ${n} lots`);
    row(`Wallet.preview (${name}) @ ${n} lots`, nsPerCall(() => wallet.preview(req, NOW)), nsPerCall(() => js.preview(lots, jsCatalog.quote(req), NOW)));
  }
  const wb = wallet.balance(NOW), jb = js.balance(lots, NOW);
  if (wb.total !== jb.total || wb.lots.length !== jb.lots.length) throw new Error(`baseline disagrees on balance at ${n} lots`);
  row(`Wallet.balance @ ${n} lots`, nsPerCall(() => wallet.balance(NOW)), nsPerCall(() => js.balance(lots, NOW)));
  wallet.free();
}
const text1k = snapshotText(1_000);
row('Wallet.fromJSON (1,000 lots)', nsPerCall(() => Wallet.fromJSON(text1k).free()), nsPerCall(() => js.fromJSON(text1k)));
console.table(rows);
console.log('ratio = JS baseline time / wasm time (above 1x: the package is faster)');
