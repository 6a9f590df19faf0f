// `make bench-js`: the package's size and cold start, then every read of the package beside the fastest plain
// JavaScript for the same results (bench/baseline.mjs), after checking the two equal on random wallets (a difference
// aborts the run). One table for Node (package ns/op, baseline ns/op, ratio = baseline / package: >= 1.00x means the
// package is faster), then the same bench in Deno and workerd, whose ratios are printed beside Node's.
//
//   node bench/run.mjs [--ms=300] [--check=200] [--repeat=3] [--runtimes=node,deno,workerd] [--only=SUBSTRING] [--json=FILE]
//
// --repeat=N times the Node rows N times (the check runs once) and prints, per read, the median of each column: on a
// shared machine one run's ratios near 1 can swing either way.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { ready, Catalog, Wallet } from '../pkg/node.js';
import { fmt, runBench, table } from './core.mjs';

const arg = (name, dflt) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt;
const ms = Number(arg('ms', 300));
const check = Number(arg('check', 200));
const only = arg('only', undefined);
const repeat = Number(arg('repeat', 3));
const runtimes = arg('runtimes', 'node,deno,workerd').split(',');
const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = path.join(here, '..', 'pkg');

const wasmBytes = readFileSync(path.join(pkg, 'credit_engine_bg.wasm'));
console.log(`wasm size: ${wasmBytes.length} bytes raw, ${gzipSync(wasmBytes, { level: 9 }).length} bytes gzipped (zlib level 9)`);
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
if (runtimes.includes('workerd')) {
  try {
    const c = await (await import('./runtimes.mjs')).workerdCold();
    console.log(`cold start in workerd (start to first answer, median of 15): empty worker ${c.empty.toFixed(1)} ms; `
      + `+${(c.wasm - c.empty).toFixed(1)} ms to compile the .wasm; `
      + `+${(c.package - c.empty).toFixed(1)} ms for the package (import, ready(), one call)`);
  } catch (err) {
    console.log(`workerd cold start: could not run: ${String(err.message).split('\n').slice(0, 8).join('\n')}`);
  }
}

const results = {};
if (runtimes.includes('node')) {
  await ready();
  const t = performance.now();
  const runs = [];
  for (let i = 0; i < repeat; i++) runs.push(runBench({ Catalog, Wallet }, { now: () => performance.now(), ms, check: i === 0 ? check : 0, only }));
  const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  results.node = {
    compared: runs[0].compared,
    rows: runs[0].rows.map((r, i) => ({
      read: r.read, pkg: median(runs.map((x) => x.rows[i].pkg)), base: median(runs.map((x) => x.rows[i].base)),
      ratio: median(runs.map((x) => x.rows[i].ratio)), ratios: runs.map((x) => x.rows[i].ratio),
    })),
  };
  console.log(`\nNode ${process.version}: baseline checked equal to the package in ${results.node.compared.toLocaleString('en-US')} comparisons `
    + `(${check} random wallets); ${repeat} timing run(s), medians; took ${((performance.now() - t) / 1000).toFixed(1)} s`);
  console.log(table(results.node.rows));
  if (repeat > 1) console.log(`ratios of each run: ${results.node.rows.map((r) => `${r.read}: ${r.ratios.map((x) => x.toFixed(2)).join(' / ')}`).join('; ')}`);
  console.log('ratio = baseline ns / package ns: >= 1.00x means the package is faster');
}
const others = runtimes.filter((r) => r !== 'node');
if (others.length) {
  const launch = await import('./runtimes.mjs');
  for (const rt of others) {
    try {
      results[rt] = await launch[rt]({ ms, check: Math.min(check, 50) });
    } catch (err) {
      console.log(`\n${rt}: could not run: ${String(err.message).split('\n').slice(0, 8).join('\n')}`);
    }
  }
  const names = ['node', ...others].filter((r) => results[r]);
  const reads = [...new Set(names.flatMap((r) => results[r].rows.map((x) => x.read)))];
  const lines = [['read', ...names.flatMap((r) => [`${r} pkg`, `${r} base`, `${r} ratio`])]];
  for (const read of reads) {
    lines.push([read, ...names.flatMap((r) => {
      const x = results[r].rows.find((y) => y.read === read);
      return x ? [fmt(x.pkg), fmt(x.base), `${x.ratio.toFixed(2)}x`] : ['-', '-', '-'];
    })]);
  }
  const w = lines[0].map((_, c) => Math.max(...lines.map((l) => l[c].length)));
  console.log(`\nby runtime (Deno and workerd checked on ${Math.min(check, 50)} random wallets each):`);
  console.log(lines.map((l) => l.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ')).join('\n'));
}
const json = arg('json', undefined);
if (json) writeFileSync(json, JSON.stringify(results, null, 1));
