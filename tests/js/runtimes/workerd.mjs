// Launcher: runs the suite inside workerd (npm package `workerd`). workerd cannot read modules from disk at run time,
// so we generate a capnp config listing every module the suite needs, found by following imports from the worker:
// the test files, the harness, the package's files (its .wasm as a `wasm` module: Workers forbid compiling wasm from
// bytes, so the package's workerd entry imports the compiled module and calls initSync) and any TEST_DEPS files.
// workerd resolves every specifier relative to the importing module's name, bare ones too (`credit-engine` imported
// by `tests/js/x.mjs` means module `tests/js/credit-engine`), so for each such import we add a one-line alias module
// re-exporting the real one. Then: start workerd on a free 127.0.0.1 port, fetch once, kill it.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  BIN_DIR, PKG_DIR, PKG_NAME, REPO_ROOT, RUNTIMES_DIR, RuntimeError, bareMap, checkReport, freePort, importsOf,
  makeTempDir, removeTempDir, requireFile, requirePkgEntry, start, tail,
} from './common.mjs';

/** The package file that `credit-engine` maps to in workerd (imports the .wasm module, calls initSync). */
const WORKERD_ENTRY = 'workerd.js';
/** workerd refuses dates later than its own release; bump deliberately. */
const COMPATIBILITY_DATE = '2025-09-01';
const COMPATIBILITY_FLAGS = [];

export async function run({ filter, timeoutMs }) {
  const workerd = requireFile(path.join(BIN_DIR, 'workerd'), 'run `npm ci` (or scripts/ensure-tools.sh js) to install npm package workerd');
  requirePkgEntry(WORKERD_ENTRY);
  const deadline = Date.now() + timeoutMs;
  const tmp = makeTempDir('ce-workerd-');
  let proc;
  try {
    const port = await freePort();
    const config = path.join(tmp, 'config.capnp');
    writeFileSync(config, capnpConfig(collectModules(path.join(RUNTIMES_DIR, 'workerd-entry.mjs'), bareMap(WORKERD_ENTRY)), tmp, port));
    proc = start(workerd, ['serve', config]);
    const url = `http://127.0.0.1:${port}/${filter ? `?filter=${encodeURIComponent(filter)}` : ''}`;
    const report = await fetchWhenUp(url, proc, deadline, timeoutMs);
    return checkReport('workerd', { ...report, entry: `${path.join(PKG_DIR, WORKERD_ENTRY)} (module list)` });
  } finally {
    proc?.kill();
    await proc?.exited;
    removeTempDir(tmp);
  }
}

// Retries every `pollMs` until workerd listens (it prints nothing when ready), then answers the JSON it sent; gives
// up if it exits or the deadline passes. The benchmarks use it too (bench/runtimes.mjs; the cold start polls every
// millisecond).
export async function fetchWhenUp(url, proc, deadline, timeoutMs, { pollMs = 100 } = {}) {
  let exited = null;
  proc.exited.then((r) => (exited = r));
  for (;;) {
    if (exited) {
      const first = proc.output().stderr.trim().split('\n')[0] ?? '';
      throw new RuntimeError(`workerd exited (${exited.signal ?? `code ${exited.code}`}) before answering: ${first}\n${out(proc)}`);
    }
    if (Date.now() > deadline) throw new RuntimeError(`workerd: no answer within ${timeoutMs} ms\n${out(proc)}`);
    let res;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())) });
    } catch (err) {
      if (err.name === 'TimeoutError') continue; // reported by the deadline check above
      await new Promise((r) => setTimeout(r, pollMs)); // not listening yet
      continue;
    }
    const body = await res.text();
    try {
      return JSON.parse(body);
    } catch {
      throw new RuntimeError(`workerd answered HTTP ${res.status} without results: ${body.slice(0, 200)}\n${out(proc)}`);
    }
  }
}

const out = (proc) => tail(proc.output().stdout + proc.output().stderr);

/** Module name for a file: its path in the repo; the package (wherever it lives) appears as node_modules/credit-engine. */
function nameOf(file) {
  const inPkg = path.relative(PKG_DIR, file);
  if (!inPkg.startsWith('..')) return `node_modules/${PKG_NAME}/${inPkg}`;
  const rel = path.relative(REPO_ROOT, file);
  if (rel.startsWith('..')) throw new RuntimeError(`workerd: module ${file} is outside the repo and the package`);
  return rel;
}

/** Follows imports from `main`; returns [{name, type, file} | {name, type, inline}] with main first. */
export function collectModules(main, bare) {
  const modules = new Map();
  const queue = [main];
  while (queue.length) {
    const file = queue.shift();
    const name = nameOf(file);
    if (modules.has(name)) continue;
    const type = file.endsWith('.wasm') ? 'wasm' : file.endsWith('.json') ? 'json' : 'esModule';
    modules.set(name, { name, type, file });
    if (type !== 'esModule') continue;
    for (const spec of importsOf(readFileSync(file, 'utf8'))) {
      if (spec.startsWith('./') || spec.startsWith('../')) {
        const target = path.resolve(path.dirname(file), spec);
        if (existsSync(target)) queue.push(target); // else a regex false positive, or workerd will name the missing module
      } else if (Object.hasOwn(bare, spec)) {
        const target = bare[spec];
        queue.push(target);
        const alias = path.posix.join(path.posix.dirname(name), spec);
        if (!modules.has(alias)) modules.set(alias, { name: alias, type: 'esModule', inline: reexport(alias, target) });
      } // else: a builtin (node:*, cloudflare:*) or something workerd will report as missing
    }
  }
  return [...modules.values()];
}

function reexport(alias, target) {
  let rel = path.posix.relative(path.posix.dirname(alias), nameOf(target));
  if (!rel.startsWith('.')) rel = './' + rel;
  const hasDefault = /\bexport\s+default\b|\bas\s+default\b/.test(readFileSync(target, 'utf8'));
  return `export * from ${JSON.stringify(rel)};` + (hasDefault ? ` export { default } from ${JSON.stringify(rel)};` : '');
}

export function capnpConfig(modules, configDir, port) {
  // capnp `embed` paths are relative to the config file (absolute ones would be looked up in capnp's import path).
  const body = (m) => (m.inline !== undefined ? JSON.stringify(m.inline) : `embed ${JSON.stringify(path.relative(configDir, m.file))}`);
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "tests", worker = .testWorker) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "tests") ],
);

const testWorker :Workerd.Worker = (
  compatibilityDate = ${JSON.stringify(COMPATIBILITY_DATE)},
  compatibilityFlags = ${JSON.stringify(COMPATIBILITY_FLAGS)},
  modules = [
${modules.map((m) => `    (name = ${JSON.stringify(m.name)}, ${m.type} = ${body(m)}),`).join('\n')}
  ],
);
`;
}
