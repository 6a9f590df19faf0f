#!/usr/bin/env node
// `make stack`: the wallet service (SPEC section 10) in workerd, in the foreground, on 127.0.0.1:$PORT (default 8787),
// data under $CE_DATA_DIR (default .data/), ready when GET /v1/health answers.
//
// Environment: PORT, CE_DATA_DIR, CE_ADMIN_KEY (a random development key is made and printed when unset),
// CE_TOKEN_KEY (>= 32 bytes; when unset a development key derived from the admin key), CE_TOKEN_KEY_ID (default k1),
// CE_GENERATION_URL (the generation service POST /v1/generate forwards to, http://127.0.0.1:PORT/...; unset: 503),
// CE_HOLD_TTL_SECONDS (the pre-check's hold lifetime, default 600).
//
// It writes the workerd configuration from config.capnp.in (ports, paths, the package's module list) to
// $CE_DATA_DIR/workerd.capnp; the keys reach workerd through its environment, never the file. The tests' driver
// (tests/stack/driver-cloudflare.mjs) and the benchmark use prepare() and start workerd themselves.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
export const WORKERD = path.join(ROOT, 'node_modules/.bin/workerd');
const SOURCES = ['worker.mjs', 'wallet-object.mjs', 'http.mjs'];

/** The development token key when CE_TOKEN_KEY is unset: derived from the admin key, so it is stable across restarts. */
export function devTokenKey(adminKey) {
  return createHash('sha256').update(`credit-engine development token key\n${adminKey}`).digest('hex');
}

/** The package's workerd entry and every module it imports (relative imports, followed), as capnp module lines. */
function packageModules(pkgDir, configDir) {
  const entry = path.join(pkgDir, 'workerd.js');
  if (!existsSync(entry)) throw new Error(`${entry} not found: run \`make pkg\` first`);
  const lines = [];
  const seen = new Set();
  const queue = [['credit-engine', entry]];
  while (queue.length) {
    const [name, file] = queue.shift();
    if (seen.has(name)) continue;
    seen.add(name);
    const rel = JSON.stringify(path.relative(configDir, file));
    if (file.endsWith('.wasm')) {
      lines.push(`    (name = ${JSON.stringify(name)}, wasm = embed ${rel}),`);
      continue;
    }
    lines.push(`    (name = ${JSON.stringify(name)}, esModule = embed ${rel}),`);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:^|[;\s])(?:import|export)\s[^'"]*?['"](\.\/[^'"]+)['"]/g)) {
      const target = path.join(path.dirname(file), m[1]);
      queue.push([m[1].slice(2), target]);
    }
  }
  return lines;
}

/**
 * Writes the configuration and returns how to run it: { command, args, env, url, config, storage, adminKey, notes }.
 * `env` (default process.env) supplies CE_* settings; `extra` adds services/sockets/definitions (the benchmark's
 * pass-through worker).
 */
export function prepare({ port = 8787, dataDir = '.data', adminKey, env = process.env, pkgDir = path.join(ROOT, 'pkg'),
  extra = {} } = {}) {
  const data = path.resolve(dataDir);
  const storage = path.join(data, 'durable-objects');
  mkdirSync(storage, { recursive: true });
  const notes = [];
  let admin = adminKey ?? env.CE_ADMIN_KEY;
  if (!admin) {
    admin = randomBytes(24).toString('base64url');
    notes.push(`CE_ADMIN_KEY is unset: development admin key for this run: ${admin}`);
  }
  let tokenKey = env.CE_TOKEN_KEY;
  if (!tokenKey) {
    tokenKey = devTokenKey(admin);
    notes.push(`CE_TOKEN_KEY is unset: development token key (derived from the admin key): ${tokenKey}`);
  } else if (Buffer.byteLength(tokenKey) < 32) {
    throw new Error('CE_TOKEN_KEY must be at least 32 bytes');
  }
  let generationAddress = '127.0.0.1:9';
  const generationUrl = env.CE_GENERATION_URL ?? '';
  if (generationUrl) {
    const u = new URL(generationUrl);
    if (u.protocol !== 'http:') throw new Error('CE_GENERATION_URL: locally only http:// is supported');
    generationAddress = `${u.hostname}:${u.port || 80}`;
  } else {
    notes.push('CE_GENERATION_URL is unset: POST /v1/generate answers 503');
  }
  const config = path.join(data, 'workerd.capnp');
  const modules = [
    ...SOURCES.map((f) => `    (name = ${JSON.stringify(f)}, esModule = embed ${JSON.stringify(path.relative(data, path.join(HERE, 'src', f)))}),`),
    ...packageModules(pkgDir, data),
  ];
  const fill = {
    STORAGE_DIR: JSON.stringify(storage),
    GENERATION_ADDRESS: JSON.stringify(generationAddress),
    ADDRESS: JSON.stringify(`127.0.0.1:${port}`),
    MODULES: modules.join('\n'),
    EXTRA_SERVICES: extra.services ?? '',
    EXTRA_SOCKETS: extra.sockets ?? '',
    EXTRA_DEFINITIONS: extra.definitions ?? '',
  };
  const text = readFileSync(path.join(HERE, 'config.capnp.in'), 'utf8').replace(/@([A-Z_]+)@/g, (all, k) => {
    if (!(k in fill)) throw new Error(`config.capnp.in: unknown placeholder ${all}`);
    return fill[k];
  });
  writeFileSync(config, text);
  return {
    command: WORKERD,
    args: ['serve', config],
    env: {
      ...env, CE_ADMIN_KEY: admin, CE_TOKEN_KEY: tokenKey, CE_TOKEN_KEY_ID: env.CE_TOKEN_KEY_ID || 'k1',
      CE_GENERATION_URL: generationUrl, CE_HOLD_TTL_SECONDS: env.CE_HOLD_TTL_SECONDS || '600',
    },
    url: `http://127.0.0.1:${port}`,
    config,
    storage,
    adminKey: admin,
    tokenKey,
    notes,
  };
}

/** Polls GET /v1/health until it answers 200; throws if `proc` exits first or `timeoutMs` passes. */
export async function waitHealthy(url, proc, timeoutMs = 30_000, log = () => '') {
  const t0 = Date.now();
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`workerd exited (${proc.signalCode ?? proc.exitCode}) before it was ready: ${log()}`);
    }
    try {
      const res = await fetch(`${url}/v1/health`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return;
    } catch { /* not listening yet */ }
    if (Date.now() - t0 > timeoutMs) throw new Error(`workerd did not answer /v1/health within ${timeoutMs} ms: ${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function main() {
  const port = Number(process.env.PORT || 8787);
  const run = prepare({ port, dataDir: process.env.CE_DATA_DIR || '.data' });
  for (const n of run.notes) console.log(`stack: ${n}`);
  const child = spawn(run.command, run.args, { env: run.env, stdio: ['ignore', 'inherit', 'inherit'] });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  await waitHealthy(run.url, child);
  console.log(`stack: ready on ${run.url} (data in ${path.dirname(run.storage)}; GET /v1/health answers)`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((err) => {
    console.error(`stack: ${err.message}`);
    process.exit(1);
  });
}
