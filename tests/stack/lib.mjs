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
 * A request written byte by byte on a plain TCP socket, for bodies fetch cannot send as wanted: `chunks` (Buffers)
 * sent with Transfer-Encoding: chunked when `chunked`, else with their total as Content-Length. The answer is read
 * while the body is still being written, so a server that answers early (413) and stops reading is seen as it is:
 * resolves { status, headers, text, body, sent } where `sent` counts the body bytes written before the answer came
 * (or before the server closed the connection). Rejects only if no answer arrives at all.
 */
export function rawRequest(url, { method = 'POST', path: p, headers = {}, chunks = [], chunked = false, timeoutMs = 60_000 }) {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const total = chunks.reduce((n, c) => n + c.length, 0);
    const h = { host: u.host, connection: 'close', ...headers };
    if (chunked) h['transfer-encoding'] = 'chunked';
    else h['content-length'] = String(total);
    const head = `${method} ${p} HTTP/1.1\r\n${Object.entries(h).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`;
    const socket = net.connect({ host: u.hostname, port: Number(u.port) });
    const received = [];
    let sent = 0;
    let answer = null;
    let done = false;
    const timer = setTimeout(() => finish(new Error('timeout')), timeoutMs);
    function parse() {
      const all = Buffer.concat(received);
      const end = all.indexOf('\r\n\r\n');
      if (end < 0) return null;
      const lines = all.subarray(0, end).toString('latin1').split('\r\n');
      const status = Number(lines[0].split(' ')[1]);
      const hs = {};
      for (const l of lines.slice(1)) {
        const i = l.indexOf(':');
        hs[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      let rest = all.subarray(end + 4);
      if (hs['transfer-encoding'] === 'chunked') {
        const parts = [];
        for (;;) {
          const nl = rest.indexOf('\r\n');
          if (nl < 0) return null;
          const size = parseInt(rest.subarray(0, nl).toString(), 16);
          if (size === 0) break;
          if (rest.length < nl + 2 + size + 2) return null;
          parts.push(rest.subarray(nl + 2, nl + 2 + size));
          rest = rest.subarray(nl + 2 + size + 2);
        }
        rest = Buffer.concat(parts);
      } else if (hs['content-length'] !== undefined) {
        const len = Number(hs['content-length']);
        if (rest.length < len) return null;
        rest = rest.subarray(0, len);
      } else if (!socket.readableEnded) return null;
      const text = rest.toString();
      let body;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      return { status, headers: hs, text, body };
    }
    function finish(err) {
      if (done) return;
      answer ??= parse();
      if (!answer && !err && !socket.readableEnded) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (answer) resolve({ ...answer, sent });
      else reject(new Error(`${err?.message ?? "the connection closed without an answer"} (${sent} body bytes sent; received: ${JSON.stringify(Buffer.concat(received).toString().slice(0, 300))})`));
    }
    socket.on('data', (d) => {
      received.push(d);
      answer ??= parse();
      if (answer) finish();
    });
    socket.on('end', () => finish());
    socket.on('close', () => finish(new Error(`closed after ${sent} body bytes`)));
    socket.on('error', () => { /* a write after the server stopped reading: the answer may already be in */ });
    socket.on('connect', async () => {
      const write = (buf) => new Promise((r) => {
        if (socket.destroyed || answer) return r(false);
        if (socket.write(buf)) r(true);
        else { socket.once('drain', () => r(true)); socket.once('close', () => r(false)); }
      });
      // Like curl: give the server a moment to answer from the headers alone, then write the body in pieces,
      // letting incoming data be read between writes (an early answer stops the upload before the server resets).
      if (!(await write(Buffer.from(head)))) return;
      await new Promise((r) => setTimeout(r, 20));
      for (const whole of chunks) {
        for (let i = 0; i < whole.length || (i === 0 && whole.length === 0); i += 65_536) {
          if (answer || socket.destroyed) return;
          const c = whole.subarray(i, i + 65_536);
          const ok = await write(chunked ? Buffer.concat([Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from('\r\n')]) : c);
          if (!ok) return;
          sent += c.length;
          await new Promise((r) => setImmediate(r));
        }
      }
      if (chunked) await write(Buffer.from('0\r\n\r\n'));
    });
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
