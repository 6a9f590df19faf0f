// Runs bench/core.mjs in Deno and in workerd (the package's entries for those runtimes: index.js with an import map,
// workerd.js with its .wasm as a compiled module), reusing the JS suite's launchers' helpers. Each returns
// { compared, rows } or throws with the runtime's output.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  BIN_DIR, PKG_DIR, bareMap, freePort, makeTempDir, removeTempDir, requireFile, requirePkgEntry, runBounded, start, tail,
} from '../tests/js/runtimes/common.mjs';
import { capnpConfig, collectModules } from '../tests/js/runtimes/workerd.mjs';

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
    const deadline = Date.now() + TIMEOUT_MS;
    for (;;) {
      if (Date.now() > deadline) throw new Error(`workerd: no answer\n${tail(proc.output().stderr)}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/?ms=${ms}&check=${check}`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
        return unwrap('workerd', await res.json());
      } catch (err) {
        if (err.name === 'TimeoutError' || !/fetch failed|ECONNREFUSED/.test(String(err.message) + String(err.cause))) throw err;
        await new Promise((r) => setTimeout(r, 100)); // not listening yet
      }
    }
  } finally {
    proc?.kill();
    await proc?.exited;
    removeTempDir(tmp);
  }
}

function unwrap(label, report) {
  if (report.error) throw new Error(`${label}: ${report.error}`);
  return report;
}
