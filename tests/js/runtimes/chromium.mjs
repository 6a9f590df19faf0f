// Launcher: runs the suite in headless Chromium (Debian's /usr/bin/chromium, driven by npm playwright-core over CDP).
// A small static server on 127.0.0.1 serves the repo at / and the package under test at /pkg/, plus a generated test
// page whose import map points `credit-engine` (and TEST_DEPS) at those files; the page stores the results in
// window.__results, which we read back.
import { createReadStream, existsSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import {
  PKG_DIR, REPO_ROOT, RuntimeError, bareMap, checkReport, makeTempDir, removeTempDir, requireFile, requirePkgEntry, start,
  tail,
} from './common.mjs';

/** The package file that `credit-engine` maps to in the browser (served as /pkg/<BROWSER_ENTRY>). */
const BROWSER_ENTRY = 'index.js';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// Without the background-networking flags Chromium stalls on this machine's closed network.
const CHROMIUM_ARGS = [
  '--headless', '--js-flags=--expose-gc', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];
const PAGE = '/__credit-engine-tests.html';
const MIME = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json', '.wasm': 'application/wasm', '.map': 'application/json', '.css': 'text/css',
  '.ts': 'text/plain; charset=utf-8',
};

export async function run({ filter, timeoutMs }) {
  requireFile(CHROMIUM, 'install Debian chromium (apt-get install chromium, or scripts/ensure-tools.sh browser)');
  requirePkgEntry(BROWSER_ENTRY);
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    throw new RuntimeError('npm package playwright-core is missing: run `npm ci` (or scripts/ensure-tools.sh js)');
  }
  const deadline = Date.now() + timeoutMs;
  const left = () => Math.max(1, deadline - Date.now());
  const notFound = [];
  const logs = [];
  const server = await serve(pagehtml(), notFound);
  const profile = makeTempDir('ce-chromium-'); // fresh --user-data-dir every run
  let proc;
  try {
    // We start Chromium ourselves (in its own process group, see start()) and attach playwright over CDP, rather than
    // letting playwright launch it: then a hung page cannot leave the browser behind, we just kill the group.
    proc = start(CHROMIUM, [...CHROMIUM_ARGS, `--user-data-dir=${profile}`, '--remote-debugging-port=0', 'about:blank']);
    const wsUrl = await devtoolsUrl(proc, deadline);
    // Our own deadline around all playwright calls: a CDP call to a spinning renderer never answers, and
    // playwright's per-call timeouts do not cover every call (waitForFunction's cleanup hung here).
    let timer;
    const expiry = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new RuntimeError(`chromium: no results within ${timeoutMs} ms (page hung?)\n${tail(details(logs, notFound))}`)), left());
    });
    const session = drive(chromium, wsUrl, filter, server, logs, left);
    session.catch(() => {}); // if the deadline wins, this rejects later when we kill the browser
    const report = await Promise.race([session, expiry]).finally(() => clearTimeout(timer));
    const entry = `/pkg/${BROWSER_ENTRY} -> ${path.join(PKG_DIR, BROWSER_ENTRY)}`;
    return checkReport('chromium', { ...report, entry }, report.error && details(logs, notFound));
  } catch (err) {
    if (err instanceof RuntimeError) throw err;
    throw new RuntimeError(`chromium: ${err.message.split('\n')[0]}\n${tail(details(logs, notFound))}`);
  } finally {
    proc?.kill(); // no browser.close(): it can hang on a spinning page; killing also ends the CDP connection
    await proc?.exited;
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    removeTempDir(profile);
  }
}

/** Attaches playwright to the running browser, opens the test page and returns its report. */
async function drive(chromium, wsUrl, filter, server, logs, left) {
  const browser = await chromium.connectOverCDP(wsUrl, { timeout: left() });
  const page = browser.contexts()[0]?.pages()[0] ?? (await browser.newPage());
  page.on('console', (m) => m.type() === 'error' && logs.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
  const url = `http://127.0.0.1:${server.address().port}${PAGE}${filter ? `?filter=${encodeURIComponent(filter)}` : ''}`;
  await page.goto(url, { timeout: left() });
  await page.waitForFunction(() => window.__results !== undefined, null, { timeout: left(), polling: 100 });
  return page.evaluate(() => window.__results);
}

// Chromium prints "DevTools listening on ws://..." on stderr once it accepts CDP connections.
async function devtoolsUrl(proc, deadline) {
  let exited = null;
  proc.exited.then((r) => (exited = r));
  for (;;) {
    const m = proc.output().stderr.match(/DevTools listening on (ws:\/\/\S+)/);
    if (m) return m[1];
    const out = tail(proc.output().stderr);
    if (exited) throw new RuntimeError(`chromium exited (${exited.signal ?? `code ${exited.code}`}) on start\n${out}`);
    if (Date.now() > deadline) throw new RuntimeError(`chromium: no DevTools endpoint before the time limit\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const details = (logs, notFound) => [...logs, ...notFound.map((u) => `404 ${u}`)].join('\n');

function pagehtml() {
  const imports = Object.fromEntries(Object.entries(bareMap(BROWSER_ENTRY)).map(([k, f]) => [k, urlPathOf(f)]));
  return `<!doctype html>
<meta charset="utf-8">
<title>credit-engine tests</title>
<script type="importmap">${JSON.stringify({ imports }, null, 2)}</script>
<script type="module">
  // Dynamic import inside try: a module that fails to load still yields a report instead of a silent hang.
  const filter = new URLSearchParams(location.search).get('filter') ?? undefined;
  try {
    const { run } = await import('/tests/js/all.mjs');
    window.__results = { results: await run({ filter }) };
  } catch (err) {
    window.__results = { error: String(err?.stack ?? err) };
  }
</script>
`;
}

/** URL path under which the server serves a file: /pkg/... for the package, /<repo path> otherwise. */
function urlPathOf(file) {
  const inPkg = path.relative(PKG_DIR, file);
  if (!inPkg.startsWith('..')) return '/pkg/' + inPkg.split(path.sep).join('/');
  return '/' + path.relative(REPO_ROOT, file).split(path.sep).join('/');
}

/** Static files from the repo (/) and the package (/pkg/), GET only, never outside those two directories. */
function serve(page, notFound) {
  const server = http.createServer((req, res) => {
    const { pathname } = new URL(req.url, 'http://x');
    if (pathname === PAGE) return send(res, 200, MIME['.html'], page);
    if (pathname === '/favicon.ico') return send(res, 204, 'text/plain', ''); // asked by every page; keep 404s meaningful
    const [root, rest] = pathname.startsWith('/pkg/') ? [PKG_DIR, pathname.slice(5)] : [REPO_ROOT, pathname.slice(1)];
    const file = path.resolve(root, decodeURIComponent(rest));
    const inside = file === root || file.startsWith(root + path.sep);
    if (req.method !== 'GET' || !inside || !existsSync(file) || !statSync(file).isFile()) {
      notFound.push(pathname);
      return send(res, 404, 'text/plain', 'not found');
    }
    res.writeHead(200, { 'content-type': MIME[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', () => resolve(server)));
}

function send(res, status, type, body) {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}
