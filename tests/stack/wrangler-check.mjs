#!/usr/bin/env node
// The production configuration (deploy/cloudflare/wrangler.jsonc) builds: `wrangler deploy --dry-run` bundles the
// Worker with the package (its .wasm as a compiled module) and lists the bindings, without an account or network
// access (wrangler 4.80.0, the last line that runs on Node 20, pinned in deploy/cloudflare/package.json).
// Checks the bundle and the bindings it reports; prints `N passed, N failed`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './lib.mjs';

const dir = path.join(ROOT, 'deploy/cloudflare');
const out = mkdtempSync(path.join(os.tmpdir(), 'ce-wrangler-'));
let passed = 0;
let failed = 0;
try {
  const r = spawnSync(path.join(dir, 'node_modules/.bin/wrangler'), ['deploy', '--dry-run', '--outdir', out], {
    cwd: dir, encoding: 'utf8', timeout: 180_000,
    env: { ...process.env, CI: 'true', WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' },
  });
  const text = `${r.stdout}\n${r.stderr}`;
  const files = readdirSync(out);
  const problems = [];
  if (r.status !== 0) problems.push(`wrangler exited ${r.status ?? r.signal}: ${text.slice(-1500)}`);
  if (!/env\.WALLETS \(Wallet\)\s+Durable Object/.test(text)) problems.push('no WALLETS Durable Object binding reported');
  if (!files.some((f) => f.endsWith('credit_engine_bg.wasm'))) problems.push(`no .wasm module in the bundle: ${files.join(', ')}`);
  const bundle = files.includes('worker.js') ? readFileSync(path.join(out, 'worker.js'), 'utf8') : '';
  if (!/\bas Wallet\b|export \{[^}]*\bWallet\b/.test(bundle)) problems.push('the bundle does not export the Wallet class');
  if (problems.length) {
    failed++;
    console.log(`FAIL wrangler deploy --dry-run\n     ${problems.join('\n     ')}`);
  } else {
    passed++;
    console.log(`ok   wrangler deploy --dry-run: ${files.filter((f) => !f.endsWith('.map')).join(', ')}; ${(/Total Upload: [^\n]+/.exec(text) ?? [''])[0]}`);
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
