// Runs bench/core.mjs in Deno and in workerd (the package's entries for those runtimes: index.js with an import map,
// workerd.js with its .wasm as a compiled module), reusing the JS suite's launchers' helpers. Each returns
// { compared, rows } or throws with the runtime's output.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  BIN_DIR, PKG_DIR, bareMap, freePort, makeTempDir, removeTempDir, requireFile, requirePkgEntry, runBounded, start, tail,
} from '../tests/js/runtimes/common.mjs';
import { capnpConfig, collectModules, fetchWhenUp } from '../tests/js/runtimes/workerd.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const MARKER = '@@credit-engine-bench@@';
const TIMEOUT_MS = 600_000;

export async function deno({ ms, check }) {
  const bin = requireFile(path.join(BIN_DIR, 'deno'), 'run `npm ci` to install npm package deno');
  requirePkgEntry('index.js');
  const tmp = makeTempDir('ce-bench-deno-');
  try {
    const imports = Object.fromEntries(Object.entries(bareMap('index.js')).map(([k, f]) => [k, pathToFileURL(f).href]));
    const importMap = path.join(tmp, 'import-map.json');
    writeFileSync(importMap, JSON.stringify({ imports }));
    const r = await runBounded(bin, [
      'run', '--quiet', '--no-prompt', '--no-lock', '--no-config', `--import-map=${importMap}`, `--allow-read=${PKG_DIR}`,
      path.join(HERE, 'runtimes', 'cli-entry.mjs'), String(ms), String(check),
    ], { timeoutMs: TIMEOUT_MS, env: { DENO_NO_UPDATE_CHECK: '1', DENO_DIR: path.join(tmp, 'deno-dir'), NO_COLOR: '1' } });
    const line = r.stdout.split('\n').find((l) => l.startsWith(MARKER));
    if (!line) throw new Error(`deno: no results\n${tail(r.stdout + r.stderr)}`);
    return unwrap('deno', JSON.parse(line.slice(MARKER.length)));
  } finally {
    removeTempDir(tmp);
  }
}

export async function workerd({ ms, check }) {
  const bin = requireFile(path.join(BIN_DIR, 'workerd'), 'run `npm ci` to install npm package workerd');
  requirePkgEntry('workerd.js');
  const tmp = makeTempDir('ce-bench-workerd-');
  let proc;
  try {
    const port = await freePort();
    const config = path.join(tmp, 'config.capnp');
    writeFileSync(config, capnpConfig(collectModules(path.join(HERE, 'runtimes', 'workerd-entry.mjs'), bareMap('workerd.js')), tmp, port));
    proc = start(bin, ['serve', config]);
    const url = `http://127.0.0.1:${port}/?ms=${ms}&check=${check}`;
    return unwrap('workerd', await fetchWhenUp(url, proc, Date.now() + TIMEOUT_MS, TIMEOUT_MS));
  } finally {
    proc?.kill();
    await proc?.exited;
    removeTempDir(tmp);
  }
}

/**
 * What the package adds to a workerd isolate's cold start: time from starting `workerd serve` to the first answer,
 * for an empty worker, one that only imports the package's .wasm (workerd compiles it when it loads the worker),
 * and one that imports the package, awaits ready() and makes one call (bench/runtimes/cold-package.mjs). workerd's
 * own clock stands still while a worker runs, so this is timed from outside; `rounds` launches of each, interleaved.
 */
export async function workerdCold({ rounds = 15 } = {}) {
  const bin = requireFile(path.join(BIN_DIR, 'workerd'), 'run `npm ci` to install npm package workerd');
  requirePkgEntry('workerd.js');
  // Each worker answers JSON (what fetchWhenUp reads).
  const answer = (value) => `export default { async fetch() { return new Response(JSON.stringify(${value})); } };`;
  const variants = {
    empty: [{ name: 'main.mjs', type: 'esModule', inline: answer("'ok'") }],
    wasm: [
      { name: 'main.mjs', type: 'esModule', inline: `import m from './m.wasm';\n${answer('WebAssembly.Module.exports(m).length')}` },
      { name: 'm.wasm', type: 'wasm', file: path.join(PKG_DIR, 'credit_engine_bg.wasm') },
    ],
    package: collectModules(path.join(HERE, 'runtimes', 'cold-package.mjs'), bareMap('workerd.js')),
  };
  const times = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let i = 0; i < rounds; i++) {
    for (const [k, modules] of Object.entries(variants)) {
      const tmp = makeTempDir('ce-bench-cold-');
      let proc;
      try {
        const port = await freePort();
        const config = path.join(tmp, 'config.capnp');
        writeFileSync(config, capnpConfig(modules, tmp, port));
        const t0 = performance.now();
        proc = start(bin, ['serve', config]);
        await fetchWhenUp(`http://127.0.0.1:${port}/`, proc, Date.now() + 30_000, 30_000, { pollMs: 1 });
        times[k].push(performance.now() - t0);
      } finally {
        proc?.kill();
        await proc?.exited;
        removeTempDir(tmp);
      }
    }
  }
  const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
}

function unwrap(label, report) {
  if (report.error) throw new Error(`${label}: ${report.error}`);
  return report;
}
