// The demo's static server, used by `make demo` and by the end-to-end tests (so they test what people run).
// No dependencies: www/ at /, the built package at /pkg/, nothing else, never cached (a rebuilt package shows at once).
//   node www/serve.mjs [--port N] [--pkg DIR]     --port 0 picks a free port; prints one line with the URL.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const WWW = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const port = Number(option('--port', '8080'));
const PKG = path.resolve(option('--pkg', process.env.CREDIT_ENGINE_PKG ?? path.join(WWW, '..', 'pkg')));
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`serve: --port must be a whole number from 0 to 65535, got ${option('--port')}`);
  process.exit(2);
}

const MIME = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json; charset=utf-8', '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.ts': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
};

/** The file a URL path names, or null when it points outside the two served directories. */
function resolve(pathname) {
  let rest;
  try {
    rest = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  const [root, sub] = rest.startsWith('/pkg/') ? [PKG, rest.slice(5)] : [WWW, rest.slice(1) || 'index.html'];
  const file = path.resolve(root, sub);
  return file.startsWith(root + path.sep) ? file : null;
}

const server = http.createServer(async (req, res) => {
  const headers = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };
  const fail = (status, text) => res.writeHead(status, { ...headers, 'content-type': 'text/plain; charset=utf-8' }).end(text);
  if (req.method !== 'GET' && req.method !== 'HEAD') return fail(405, 'method not allowed');
  const { pathname } = new URL(req.url, 'http://localhost');
  // Browsers ask for it on every document (even the SVG avatar opened directly); keep 404s meaningful.
  if (pathname === '/favicon.ico') return res.writeHead(204, headers).end();
  const file = resolve(pathname);
  // The server itself is not content.
  if (!file || file === fileURLToPath(import.meta.url)) return fail(404, 'not found');
  let info;
  try {
    info = await stat(file);
  } catch {
    info = null;
  }
  if (!info?.isFile()) return fail(404, 'not found');
  res.writeHead(200, {
    ...headers, 'content-type': MIME[path.extname(file)] ?? 'application/octet-stream', 'content-length': info.size,
  });
  if (req.method === 'HEAD') return res.end();
  createReadStream(file).on('error', () => res.destroy()).pipe(res);
});

server.on('error', (err) => {
  console.error(`serve: ${err.message}`);
  process.exit(1);
});
server.listen(port, '127.0.0.1', () => {
  console.log(`credit-engine demo: http://127.0.0.1:${server.address().port}/`);
});

function stop() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 1000).unref(); // a stuck socket must not keep Ctrl-C from working
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
