// What the stack tests share: which deployment to drive, starting it on a free 127.0.0.1 port with a fresh data
// directory, HTTP helpers (fetch for ordinary calls, node:http for chunked and oversized bodies), and a tiny runner
// that prints each failure and the closing line `N passed, N failed`.
//
// The deployment is a driver module with
//   export async function start({ port, dataDir, adminKey, env }) -> { url, kill(signal), stop(), restart() }
// chosen by the first command-line argument or STACK_DRIVER (a path; default tests/stack/driver-cloudflare.mjs):
//   node tests/stack/contract.mjs tests/stack/driver-node.mjs
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, '../..');
/** The token key every stack test starts its deployment with, so a test can make its own (forged) tokens. */
export const TOKEN_KEY = 'stack-test-token-key-0123456789abcdef';
export const TOKEN_KEY_ID = 'k1';

export async function loadDriver() {
  const arg = process.argv.slice(2).find((a) => !a.startsWith('-'));
  const file = path.resolve(arg ?? process.env.STACK_DRIVER ?? path.join(HERE, 'driver-cloudflare.mjs'));
  const driver = await import(pathToFileURL(file).href);
  if (typeof driver.start !== 'function') throw new Error(`${file} exports no start()`);
  return { file, driver };
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts the chosen deployment with a fresh data directory and admin key. Returns the driver's server object plus
 * `adminKey`, `dataDir`, `api` (an admin client) and `cleanup()` (stop + remove the data).
 */
export async function startStack({ env = {}, extra } = {}) {
  const { driver, file } = await loadDriver();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ce-stack-'));
  const adminKey = randomBytes(18).toString('base64url');
  const port = await freePort();
  const server = await driver.start({ port, dataDir, adminKey, env: { CE_TOKEN_KEY: TOKEN_KEY, CE_TOKEN_KEY_ID: TOKEN_KEY_ID, ...env }, extra });
  return {
    ...server,
    driverName: driver.name ?? file,
    adminKey,
    dataDir,
    api: client(server.url, adminKey),
    async cleanup() {
      try {
        await server.stop();
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

/** An HTTP client: call(method, path, body?, { headers, raw, key }) -> { status, body, text, headers }. */
export function client(url, adminKey) {
  return {
    url,
    async call(method, p, body, { headers = {}, raw = false, key = adminKey, timeoutMs = 30_000 } = {}) {
      const h = { ...headers };
      if (key !== null) h.authorization = `Bearer ${key}`;
      if (body !== undefined) h['content-type'] ??= 'application/json';
      const res = await fetch(url + p, { method, headers: h, body: body === undefined ? undefined : raw ? body : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs) });
      const text = await res.text();
      let parsed;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      return { status: res.status, body: parsed, text, headers: res.headers };
    },
  };
}

/**
 * A request through node:http, for bodies fetch cannot send as wanted: `chunks` (array of Buffers) sent with
 * Transfer-Encoding: chunked when `chunked`, else with their total as Content-Length. Resolves with the answer as soon
 * as it is complete, even if the server stopped reading the body (an early 413); `sent` is how many bytes were written
 * before the answer came.
 */
export function rawRequest(url, { method = 'POST', path: p, headers = {}, chunks = [], chunked = false, timeoutMs = 60_000 }) {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const total = chunks.reduce((n, c) => n + c.length, 0);
    const h = { ...headers };
    if (!chunked) h['content-length'] = String(total);
    const req = http.request({ host: u.hostname, port: u.port, path: p, method, headers: h, agent: false, timeout: timeoutMs }, (res) => {
      answered = true;
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString();
        let body;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode, body, text, headers: res.headers, sent });
        req.destroy();
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    (async () => {
      for (const c of chunks) {
        if (answered || req.destroyed) return;
        const ok = req.write(c);
        sent += c.length;
        if (!ok) await new Promise((r) => { req.once('drain', r); req.once('close', r); });
      }
      if (!answered && !req.destroyed) req.end();
    })().catch(() => {});
  });
}

// ---- runner -------------------------------------------------------------------------------------------------------

export function eq(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}
export function ok(cond, what) {
  if (!cond) throw new Error(what);
}

/**
 * Runs `tests` ([{ name, fn }]) one after the other with `context`, under a watchdog; prints `N passed, N failed`
 * and sets the exit code. `setup()` returns the context, `teardown(context)` ends it.
 */
export async function runTests(title, tests, { setup, teardown, timeoutMs = 600_000 }) {
  const watchdog = setTimeout(() => {
    console.log(`${title}: no result within ${timeoutMs} ms; stopping\n0 passed, 1 failed`);
    process.exit(1);
  }, timeoutMs);
  let passed = 0;
  let failed = 0;
  let ctx;
  try {
    ctx = await setup();
    console.log(`${title} against ${ctx.driverName ?? 'the stack'}`);
    const only = process.env.STACK_FILTER;
    for (const t of tests) {
      if (only && !t.name.includes(only)) continue;
      const t0 = Date.now();
      try {
        await t.fn(ctx);
        passed++;
        console.log(`ok   ${t.name} (${Date.now() - t0} ms)`);
      } catch (err) {
        failed++;
        console.log(`FAIL ${t.name}\n     ${String(err?.stack ?? err).split('\n').join('\n     ')}`);
      }
    }
  } catch (err) {
    failed++;
    console.log(`${title}: could not run: ${err?.stack ?? err}`);
  } finally {
    try {
      if (ctx) await teardown(ctx);
    } catch (err) {
      console.log(`teardown: ${err.message}`);
    }
    clearTimeout(watchdog);
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}
