#!/usr/bin/env node
// Consumer tests: the package as a user gets it. `npm pack` the built pkg/, then
//   - publint and @arethetypeswrong/cli on the tarball (the .wasm subpath excluded from attw: it has no types);
//   - for Vite, webpack 5 and esbuild: a fresh project (a copy of tests/consumer/<bundler>/ with its pinned lockfile)
//     installs the tarball with npm, builds the shared page (shared/page.mjs + shared/scenario.mjs), serves dist/ on
//     127.0.0.1 and runs it in headless Chromium; the test reads the DOM;
//   - the same scenario from the tarball in Node, Deno and workerd (a Worker bundled with esbuild, as wrangler does).
// Every result is compared with shared/scenario.mjs's EXPECTED. Prints `N passed, N failed` and exits non-zero on
// any failure.
//
//   node tests/consumer/run.mjs [tools] [vite] [webpack] [esbuild] [runtimes]
// Env: CREDIT_ENGINE_PKG (default <repo>/pkg), CHROMIUM_PATH (default /usr/bin/chromium),
//      CONSUMER_CACHE (default ~/.cache/credit-engine-consumer): each template's node_modules, installed with
//      `npm ci` from its lockfile once and copied into each fresh project; keyed by the lockfile's hash and the Node
//      version, so a changed lockfile installs again. The tarball itself is installed fresh every run.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXPECTED } from './shared/scenario.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const PKG = path.resolve(process.env.CREDIT_ENGINE_PKG ?? path.join(ROOT, 'pkg'));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CACHE = process.env.CONSUMER_CACHE ?? path.join(os.homedir(), '.cache', 'credit-engine-consumer');
const BIN = path.join(ROOT, 'node_modules', '.bin');
const STEPS = ['tools', 'vite', 'webpack', 'esbuild', 'runtimes'];
const chosen = process.argv.slice(2).filter((a) => !a.startsWith('-'));
for (const c of chosen) if (!STEPS.includes(c)) { console.error(`unknown step ${c}; choose from ${STEPS.join(' ')}`); process.exit(2); }
const selected = chosen.length ? STEPS.filter((s) => chosen.includes(s)) : STEPS;

let passed = 0;
let failed = 0;
const t0 = Date.now();
const work = mkdtempSync(path.join(os.tmpdir(), 'ce-consumer-'));
const children = new Set();
let browser;

async function check(name, fn) {
  const t = Date.now();
  try {
    await fn();
    passed++;
    console.log(`ok - ${name} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
  } catch (err) {
    failed++;
    console.log(`not ok - ${name}\n  ${String(err?.stack ?? err).split('\n').slice(0, 12).join('\n  ')}`);
  }
}

/** Runs a command to completion (bounded), returning its output; throws with the output on a non-zero exit. */
function run(cmd, args, { cwd, env, timeout = 120_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      if (code === 0) resolve({ out, err });
      else reject(new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${signal ?? code}\n${out}\n${err}`.trim()));
    });
  });
}

function assertResult(got, where) {
  const problems = Object.entries(EXPECTED).filter(([k, v]) => String(got?.[k]) !== String(v))
    .map(([k, v]) => `${k}: got ${JSON.stringify(got?.[k])}, want ${JSON.stringify(v)}`);
  if (problems.length) throw new Error(`${where}: ${problems.join('; ')}${got?.failure ? `\n${got.failure}` : ''}`);
}

/** `npm pack` of the built package into the work dir; returns the tarball's path. */
async function pack() {
  if (!existsSync(path.join(PKG, 'package.json'))) throw new Error(`${PKG} has no package.json: run \`make pkg\` first`);
  const { out } = await run('npm', ['pack', PKG, '--pack-destination', work, '--json'], { cwd: work });
  const [info] = JSON.parse(out);
  return path.join(work, info.filename);
}

/**
 * A fresh project from the template tests/consumer/<name>/ (its files, the shared page sources, and its pinned
 * devDependencies from the cache), with the tarball installed by npm exactly as a user would.
 */
async function project(name, tarball) {
  const template = path.join(HERE, name);
  const lock = readFileSync(path.join(template, 'package-lock.json'));
  const key = createHash('sha256').update(lock).update(process.version).digest('hex').slice(0, 16);
  const cached = path.join(CACHE, `${name}-${key}`);
  if (!existsSync(path.join(cached, 'node_modules'))) {
    const staging = `${cached}.tmp-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    cpSync(path.join(template, 'package.json'), path.join(staging, 'package.json'));
    cpSync(path.join(template, 'package-lock.json'), path.join(staging, 'package-lock.json'));
    await run('npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: staging, timeout: 300_000 });
    rmSync(cached, { recursive: true, force: true });
    renameSync(staging, cached); // complete or absent: an interrupted install is never used
  }
  const dir = path.join(work, name);
  mkdirSync(dir);
  for (const f of readdirSync(template)) if (f !== 'node_modules') cpSync(path.join(template, f), path.join(dir, f), { recursive: true });
  for (const f of readdirSync(path.join(HERE, 'shared'))) cpSync(path.join(HERE, 'shared', f), path.join(dir, f));
  cpSync(path.join(dir, 'page.mjs'), path.join(dir, 'main.js'));
  cpSync(path.join(cached, 'node_modules'), path.join(dir, 'node_modules'), { recursive: true, verbatimSymlinks: true });
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], { cwd: dir, timeout: 180_000 });
  const installed = JSON.parse(readFileSync(path.join(dir, 'node_modules/credit-engine/package.json'), 'utf8'));
  if (installed.name !== 'credit-engine') throw new Error(`${name}: node_modules/credit-engine is ${installed.name}`);
  return dir;
}

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css' };

/** Serves dir on 127.0.0.1 (a free port) until close(); 404 for anything outside it. */
function serve(dir) {
  const server = createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url, 'http://x').pathname).replace(/^\/+/, '') || 'index.html';
    const file = path.resolve(dir, rel);
    if (!file.startsWith(dir + path.sep) || !existsSync(file)) { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${server.address().port}/`,
    close: () => new Promise((r) => server.close(r)),
  })));
}

async function chromium() {
  if (browser) return browser;
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install chromium`);
  const { chromium: launcher } = await import(path.join(ROOT, 'node_modules/playwright-core/index.mjs'));
  browser = await launcher.launch({
    executablePath: CHROMIUM, timeout: 30_000,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  return browser;
}

/** Loads the built page in headless Chromium and reads the scenario's results from the DOM. */
async function runPage(dist, name) {
  const server = await serve(dist);
  const context = await (await chromium()).newContext();
  const problems = [];
  try {
    const page = await context.newPage();
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
    page.on('response', (r) => r.status() >= 400 && problems.push(`HTTP ${r.status()} ${r.url()}`));
    await page.goto(server.url);
    await page.waitForFunction(() => document.body.dataset.state !== 'loading', null, { timeout: 20_000 });
    const got = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('output, pre')].map((e) => [e.id, e.textContent])));
    if (problems.length) throw new Error(`${name}: ${problems.join(' | ')}`);
    assertResult(got, `${name} in Chromium`);
    const wasm = await page.evaluate(() => performance.getEntriesByType('resource').some((r) => r.name.endsWith('.wasm')));
    if (!wasm) throw new Error(`${name}: the page did not load a .wasm file`);
  } finally {
    await context.close();
    await server.close();
  }
}

async function bundler(name, tarball) {
  const dir = await project(name, tarball);
  await run(process.execPath, ['build.mjs'], { cwd: dir });
  await runPage(path.join(dir, 'dist'), name);
}

async function main() {
  console.log(`package: ${PKG}\ncache: ${CACHE}`);
  const tarball = await pack();
  console.log(`tarball: ${path.basename(tarball)} (${readFileSync(tarball).length} bytes)`);

  if (selected.includes('tools')) {
    const tools = await project('tools', tarball);
    const bin = path.join(tools, 'node_modules/.bin');
    await check('publint: no errors, warnings or suggestions on the tarball', async () => {
      const { out } = await run(process.execPath, ['publint.mjs', tarball], { cwd: tools });
      if (out.trim() !== 'publint: clean') throw new Error(out);
    });
    await check('attw (esm-only profile, .wasm subpath excluded): no problems on the tarball', async () => {
      // The package is ESM only (Node >= 20), so the CommonJS resolutions of the strict profile do not apply.
      const { out } = await run(path.join(bin, 'attw'), [tarball, '--profile', 'esm-only', '--exclude-entrypoints', './credit_engine_bg.wasm',
        '--format', 'json'], { cwd: tools });
      const report = JSON.parse(out);
      const ignored = new Set(['node10', 'node16-cjs']); // what the esm-only profile leaves out (attw's profiles.js)
      const problems = (report.analysis?.problems ?? []).filter((p) => !ignored.has(p.resolutionKind));
      if (problems.length) throw new Error(JSON.stringify(problems, null, 2));
      const entries = Object.keys(report.analysis?.entrypoints ?? {});
      if (!entries.includes('.')) throw new Error(`attw checked no "." entry point: ${entries.join(', ')}`);
    });
    await check('the tarball ships the rule book, API reference and changelog, and their relative links resolve inside it', async () => {
      const { out } = await run('tar', ['-tzf', tarball]);
      const files = out.split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));
      for (const need of ['README.md', 'docs/rules.md', 'docs/api.md', 'CHANGELOG.md', 'index.d.ts', 'credit_engine_bg.wasm', 'LICENSE']) {
        if (!files.includes(need)) throw new Error(`tarball lacks ${need}: ${files.join(', ')}`);
      }
      const base = path.join(tools, 'node_modules/credit-engine');
      const missing = [];
      let links = 0;
      for (const doc of ['README.md', 'docs/rules.md', 'docs/api.md']) {
        const text = readFileSync(path.join(base, doc), 'utf8');
        for (const m of text.matchAll(/\]\((?!https?:|#)([^)#\s]+)[^)]*\)/g)) {
          links++;
          const target = path.posix.normalize(path.posix.join(path.posix.dirname(doc), m[1]));
          if (!files.includes(target)) missing.push(`${doc} -> ${m[1]}`);
        }
      }
      if (links < 3) throw new Error(`only ${links} relative links found in README.md and docs/`);
      if (missing.length) throw new Error(`links to files the tarball lacks: ${missing.join(', ')}`);
    });
  }

  for (const name of ['vite', 'webpack', 'esbuild']) {
    if (selected.includes(name)) await check(`${name}: a page bundled from the tarball previews, charges and shows the balance in Chromium`, () => bundler(name, tarball));
  }

  if (selected.includes('runtimes')) {
    let dir;
    await check('runtimes: a fresh project installs the tarball', async () => { dir = await project('runtimes', tarball); });
    if (dir) {
      await check('Node: the smoke scenario from the tarball (the "node" entry)', async () => {
        const { out } = await run(process.execPath, ['smoke.mjs'], { cwd: dir });
        assertResult(JSON.parse(out), 'node');
      });
      await check('Deno: the smoke scenario from the tarball (node_modules, the "deno" entry)', async () => {
        const { out } = await run(path.join(BIN, 'deno'), ['run', '--node-modules-dir=manual', '--allow-read', '--no-prompt', 'smoke.mjs'],
          { cwd: dir, env: { DENO_DIR: path.join(work, 'deno-dir'), DENO_NO_UPDATE_CHECK: '1' } });
        assertResult(JSON.parse(out), 'deno');
      });
      await check('workerd: the smoke scenario from the tarball (esbuild bundle, the "workerd" entry, .wasm as a module)', async () => {
        await run(process.execPath, ['build-worker.mjs'], { cwd: dir });
        assertResult(await workerd(path.join(dir, 'dist')), 'workerd');
      });
    }
  }
}

/** Serves dist/worker.js in workerd on a free port, fetches once, stops it. */
async function workerd(dist) {
  const port = await new Promise((resolve) => { const s = createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); }); });
  writeFileSync(path.join(dist, 'config.capnp'), `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .worker) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const worker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    (name = "credit_engine_bg.wasm", wasm = embed "credit_engine_bg.wasm"),
  ],
  compatibilityDate = "2025-09-01",
);
`);
  const child = spawn(path.join(BIN, 'workerd'), ['serve', path.join(dist, 'config.capnp')], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  let exited = false;
  child.on('close', () => { exited = true; children.delete(child); });
  try {
    const end = Date.now() + 30_000;
    for (;;) {
      if (exited) throw new Error(`workerd exited before answering:\n${log}`);
      if (Date.now() > end) throw new Error(`workerd did not answer within 30 s:\n${log}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(10_000) });
        return await res.json();
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    if (!exited) { child.kill('SIGTERM'); await new Promise((r) => child.once('close', r)); }
  }
}

async function cleanup() {
  for (const c of children) c.kill('SIGKILL');
  await Promise.race([browser?.close(), new Promise((r) => setTimeout(r, 5000))]).catch(() => {});
  rmSync(work, { recursive: true, force: true });
}

const watchdog = setTimeout(async () => {
  console.log('not ok - the consumer tests did not finish within 10 minutes');
  failed++;
  await cleanup();
  process.exit(1);
}, 600_000);

main().catch((err) => {
  failed++;
  console.log(`not ok - setup: ${err?.stack ?? err}`);
}).finally(async () => {
  clearTimeout(watchdog);
  await cleanup();
  if (passed + failed === 0) failed++;
  console.log(`${passed} passed, ${failed} failed (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  process.exit(failed ? 1 : 0);
});
