#!/usr/bin/env node
// Runs the JS suite (tests/js/*.test.mjs) against the built package in Node, Deno, workerd and headless Chromium,
// one runtime after another (2 cores; runtimes in parallel would only fight for them), and checks they agree.
//
//   node tests/js/run-all.mjs [node] [deno] [workerd] [chromium] [--filter=SUBSTRING]
//
// Env: CREDIT_ENGINE_PKG = package dir (default <repo>/pkg); CREDIT_ENGINE_TEST_TIMEOUT_MS = limit per runtime
// (default 120000); CHROMIUM_PATH (default /usr/bin/chromium).
// Output: each failure, one summary line per runtime, a consistency check, then `N passed, N failed` (totals over
// all runtimes; a runtime that could not run, or runtimes that disagree, count as one failure each).
// Exit code 0 only if every runtime ran, every test passed, and all runtimes report the same tests.
import { PKG_DIR, RuntimeError, killAll, writeTestIndex } from './runtimes/common.mjs';

const RUNTIMES = ['node', 'deno', 'workerd', 'chromium'];
const args = process.argv.slice(2);
const filter = args.find((a) => a.startsWith('--filter='))?.slice('--filter='.length);
const named = args.filter((a) => !a.startsWith('--'));
const unknown = named.filter((a) => !RUNTIMES.includes(a));
if (unknown.length) {
  console.error(`unknown runtime(s): ${unknown.join(', ')}; choose from: ${RUNTIMES.join(' ')}`);
  process.exit(2);
}
const selected = named.length ? RUNTIMES.filter((r) => named.includes(r)) : RUNTIMES;
const timeoutMs = Number(process.env.CREDIT_ENGINE_TEST_TIMEOUT_MS ?? 120_000);

const files = writeTestIndex();
console.log(`package: ${PKG_DIR}\ntest files: ${files.join(', ') || '(none)'}${filter ? `\nfilter: ${filter}` : ''}`);

let passed = 0, failed = 0;
const summaries = [];
const ran = {}; // runtime -> [{name, ok}]
for (const rt of selected) {
  const t0 = Date.now();
  try {
    const { run } = await import(`./runtimes/${rt}.mjs`);
    const { results, entry } = await run({ filter, timeoutMs });
    if (results.runtime !== rt) throw new RuntimeError(`${rt}: the suite reports it ran in "${results.runtime}"`);
    for (const f of results.failures) console.log(`FAIL [${rt}] ${f.name}\n${indent(f.message)}`);
    passed += results.passed;
    failed += results.failed;
    ran[rt] = results.tests;
    summaries.push(`${rt.padEnd(8)}  ${results.passed} passed, ${results.failed} failed  (${ms(t0)}; credit-engine -> ${entry})`);
    for (const n of results.notes ?? []) summaries.push(`          note: ${n}`);
  } catch (err) {
    failed += 1;
    const msg = err instanceof RuntimeError ? err.message : String(err?.stack ?? err);
    console.log(`ERROR [${rt}] could not run the suite: ${msg}`);
    summaries.push(`${rt.padEnd(8)}  ERROR: did not run (${ms(t0)}): ${msg.split('\n')[0]}`);
  }
}
killAll(); // belt and braces: every launcher already stops what it started

console.log('\nper runtime:');
for (const s of summaries) console.log(`  ${s}`);

// Same test names with the same outcome everywhere: a test that passes only in some runtimes is a portability bug.
const disagreements = compare(ran);
if (disagreements.length) {
  failed += 1;
  console.log('runtimes disagree:');
  for (const d of disagreements) console.log(`  ${d}`);
} else if (Object.keys(ran).length > 1) {
  console.log(`runtimes agree: ${Object.keys(ran).join(', ')} report the same ${Object.values(ran)[0].length} test(s) with the same outcomes`);
}
if (passed + failed === 0) {
  failed += 1;
  console.log(filter ? `no test matches --filter=${filter}` : 'no tests found in tests/js/*.test.mjs');
}
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;

function compare(byRuntime) {
  const names = [...new Set(Object.values(byRuntime).flatMap((ts) => ts.map((t) => t.name)))];
  const out = [];
  for (const name of names) {
    const outcome = Object.entries(byRuntime).map(([rt, ts]) => [rt, ts.find((t) => t.name === name)]);
    const kinds = new Set(outcome.map(([, t]) => (t ? (t.ok ? 'passed' : 'failed') : 'missing')));
    if (kinds.size > 1) out.push(`${name}: ${outcome.map(([rt, t]) => `${rt} ${t ? (t.ok ? 'passed' : 'failed') : 'missing'}`).join(', ')}`);
  }
  return out;
}

function indent(text) {
  return text.split('\n').map((l) => `    ${l}`).join('\n');
}

function ms(t0) {
  return `${((Date.now() - t0) / 1000).toFixed(1)} s`;
}
