#!/usr/bin/env node
// `make bench-limits`: what the resource limits (README "Limits") cost at their worst, on the built package:
//  - loading the largest snapshot a wallet can reach (8 MiB): WebAssembly memory growth and time, each load in a
//    fresh Node process (wasm memory never shrinks, so a shared process would hide the peak);
//  - verifying new tokens of growing size (the edge's per-request work), up to the 64 KiB token limit.
// Prints figures only; nothing here is a test.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const PKG = path.join(ROOT, 'pkg/node.js');
const AT = Date.parse('2026-01-01T00:00:00Z');
const DAY = 86_400_000;

if (process.argv[2] === '--load') {
  // Child: load one snapshot file, report memory and time.
  const { ready, Wallet, memoryBytes } = await import(PKG);
  await ready();
  const text = readFileSync(process.argv[3], 'utf8');
  const m0 = memoryBytes();
  const t0 = performance.now();
  const w = Wallet.fromJSON(text);
  const ms = performance.now() - t0;
  w.balance(AT + DAY);
  console.log(JSON.stringify({ bytes: text.length, ms, grow: memoryBytes() - m0, rss: process.memoryUsage().rss }));
  process.exit(0);
}

const { ready, Wallet, signSnapshot, verifySnapshot } = await import(PKG);
await ready();
const dir = mkdtempSync(path.join(os.tmpdir(), 'credit-engine-limits-'));
try {
  console.log('loading the largest wallets (fresh Node process each, median of 3):');
  for (const charges of [3_500, 7_000, 14_000]) {
    const w = Wallet.create({ timeZone: 'Europe/Berlin' });
    w.activateMembership({ at: AT, until: AT + 300 * DAY, monthlyCredits: 100, monthlyAgentCredits: 20 });
    for (let i = 0; i < 100; i++) w.purchase({ id: `purchase-${String(i).padStart(6, '0')}`, at: AT + i, credits: 1_000_000 });
    for (let i = 0; i < charges; i++) w.charge({ feature: 'ai_background' }, AT + 1_000_000 + i, { id: `charge-${String(i).padStart(8, '0')}` });
    const file = path.join(dir, `snap-${charges}.json`);
    writeFileSync(file, JSON.stringify(w.toJSON()));
    w.free();
    const runs = [0, 1, 2].map(() => JSON.parse(execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--load', file], { encoding: 'utf8' })));
    const med = (k) => runs.map((r) => r[k]).sort((a, b) => a - b)[1];
    console.log(`  ${charges} charges: ${(med('bytes') / 2 ** 20).toFixed(2)} MiB snapshot, fromJSON ${med('ms').toFixed(0)} ms, `
      + `wasm memory +${(med('grow') / 2 ** 20).toFixed(1)} MiB, process RSS ${(med('rss') / 2 ** 20).toFixed(0)} MiB`);
  }
  console.log('verifying a new token each time (median of 15):');
  const KEY = 'k'.repeat(32);
  for (const lots of [10, 60, 250]) {
    const w = Wallet.create({ timeZone: 'Europe/Berlin' });
    w.activateMembership({ at: AT, until: AT + 300 * DAY, monthlyCredits: 100, monthlyAgentCredits: 20 });
    for (let i = 0; i < lots; i++) w.purchase({ id: `purchase-${String(i).padStart(6, '0')}`, at: AT + i, credits: 1000 });
    const tokens = Array.from({ length: 20 }, (_, i) => signSnapshot(w, { key: KEY, keyId: 'k', ttlSeconds: 3600, at: AT + 10_000 + i, account: 'limits' }));
    const times = tokens.map((t) => {
      const t0 = performance.now();
      verifySnapshot(t, { keys: { k: KEY }, at: AT + 20_000 }).free();
      return performance.now() - t0;
    }).slice(5).sort((a, b) => a - b);
    const t0 = performance.now();
    for (let i = 0; i < 1000; i++) verifySnapshot(tokens[0], { keys: { k: KEY }, at: AT + 20_000 }).free();
    const hit = (performance.now() - t0) / 1000;
    console.log(`  ${lots} live lots: token ${(tokens[0].length / 1024).toFixed(1)} KiB, verify ${times[7].toFixed(2)} ms new, `
      + `${(hit * 1000).toFixed(1)} us remembered`);
    w.free();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
