// A minimal origin for the edge pre-check: wallets in SQLite (sql.js: SQLite compiled to WebAssembly, in memory),
// one row per account with a version; signed wallet tokens for the edge; and the charge, applied with the same
// engine under optimistic concurrency: read (row + version), charge, write only if the version is unchanged, else
// retry from the read. A stale read therefore retries and never double-spends; a repeated request id (x-request-id)
// is answered with the charge it already made, without a second debit.
//
//   PORT=8788 ORIGIN_KEYS='{"2026-03":"<32+ bytes>"}' ORIGIN_KEY_ID=2026-03 node server.mjs
//
// Routes (JSON):
//   PUT  /accounts/:id         body: a wallet snapshot (Wallet.toJSON()); demo seeding: creates or replaces the row
//   GET  /accounts/:id         { version, balance }
//   POST /accounts/:id/token   { token }: bound to account :id, signed with ORIGIN_KEY_ID, TOKEN_TTL_SECONDS (default
//                              300) long
//   POST /generate             from the edge: x-credit-account (the account of the verified token), x-credit-credits,
//                              x-credit-catalog, x-request-id headers and a usage request body; 200 { chargeId,
//                              credits, balance, version, attempts }, 402 when the wallet cannot pay (the edge's token
//                              may be stale), 409 quote/catalog mismatch.
// The token route stands in for the origin's own authentication of the caller; /generate trusts the edge's
// x-credit-account (the edge sets it from the signed token, never from the client).
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import initSqlJs from 'sql.js';
import { ready, Catalog, Wallet, signSnapshot } from 'credit-engine';

const PORT = Number(process.env.PORT ?? 8788);
const KEYS = JSON.parse(process.env.ORIGIN_KEYS ?? '{}');
const KEY_ID = process.env.ORIGIN_KEY_ID ?? Object.keys(KEYS).at(-1);
const TTL = Number(process.env.TOKEN_TTL_SECONDS ?? 300);
const MAX_ATTEMPTS = 200;

await ready();
const catalog = Catalog.default();
const SQL = await initSqlJs();
const db = new SQL.Database();
db.run('CREATE TABLE wallets (account TEXT PRIMARY KEY, version INTEGER NOT NULL, snapshot TEXT NOT NULL)');

// The database round trip. sql.js answers synchronously; a real database answers later, and other requests run in
// between: this await is where concurrent requests interleave, which is what optimistic concurrency must handle.
const roundTrip = () => new Promise((resolve) => setImmediate(resolve));

async function load(account) {
  await roundTrip();
  const stmt = db.prepare('SELECT version, snapshot FROM wallets WHERE account = ?', [account]);
  const row = stmt.step() ? stmt.getAsObject() : null;
  stmt.free();
  return row;
}

/** Writes the new snapshot only if the row still has `version`; true when it did. */
async function store(account, version, snapshot) {
  await roundTrip();
  db.run('UPDATE wallets SET snapshot = ?, version = version + 1 WHERE account = ? AND version = ?',
    [snapshot, account, version]);
  return db.getRowsModified() === 1;
}

const send = (res, status, body) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

async function generate(req, body) {
  const account = req.headers['x-credit-account'];
  if (!account) return [400, { code: 'E_BAD_REQUEST', message: 'x-credit-account header missing' }];
  if (req.headers['x-credit-catalog'] !== catalog.id) {
    return [409, { code: 'E_TOKEN_CATALOG', message: `the edge priced with ${req.headers['x-credit-catalog']}, origin uses ${catalog.id}` }];
  }
  const { feature, units, tier, seconds } = JSON.parse(body);
  const usage = { feature, units, tier, seconds };
  const quoted = Number(req.headers['x-credit-credits']);
  if (catalog.quote(usage).credits !== quoted) return [409, { code: 'E_QUOTE', message: 'the edge quote differs from origin\'s' }];
  const id = req.headers['x-request-id'] ?? randomUUID();
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const row = await load(account);
    if (!row) return [404, { code: 'E_NOT_FOUND', message: `no account ${account}` }];
    const wallet = Wallet.fromJSON(row.snapshot);
    try {
      const now = Date.now();
      const charge = wallet.charge(usage, now, { id, catalog });
      if (await store(account, row.version, JSON.stringify(wallet.toJSON()))) {
        return [200, { chargeId: charge.id, credits: charge.credits, balance: wallet.balance(now).total, version: row.version + 1, attempts: attempt }];
      }
      // Someone else wrote first: start again from their version.
    } catch (err) {
      if (err.code === 'E_INSUFFICIENT') return [402, { code: err.code, message: err.message, shortfall: err.shortfall }];
      // A retried request (same id, later time): answer with the charge it already made, debit nothing.
      const done = err.code === 'E_IDEMPOTENCY_CONFLICT' && wallet.ledger().find((e) => e.type === 'charge' && e.ref === id);
      if (done) return [200, { chargeId: id, credits: -done.credits, balance: wallet.balance(Date.now()).total, version: row.version, attempts: attempt, replay: true }];
      return [400, { code: err.code ?? 'E_BAD_REQUEST', message: err.message }];
    } finally {
      wallet.free();
    }
    await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(2 ** attempt, 20)));
  }
  return [503, { code: 'E_BUSY', message: 'too many concurrent writes to this wallet; retry' }];
}

async function route(req, body) {
  const { pathname } = new URL(req.url, 'http://origin');
  const m = pathname.match(/^\/accounts\/([\w.-]{1,128})(\/token)?$/);
  if (req.method === 'POST' && pathname === '/generate') return generate(req, body);
  if (m && req.method === 'PUT' && !m[2]) {
    const wallet = Wallet.fromJSON(body); // validates
    const snapshot = JSON.stringify(wallet.toJSON());
    wallet.free();
    db.run('INSERT INTO wallets (account, version, snapshot) VALUES (?, 1, ?) ON CONFLICT (account) DO UPDATE SET snapshot = excluded.snapshot, version = version + 1', [m[1], snapshot]);
    return [200, { version: (await load(m[1])).version }];
  }
  const row = m ? await load(m[1]) : null;
  if (!row) return [404, { code: 'E_NOT_FOUND', message: 'not found' }];
  const wallet = Wallet.fromJSON(row.snapshot);
  try {
    if (req.method === 'GET' && !m[2]) return [200, { version: row.version, balance: wallet.balance(Date.now()) }];
    if (req.method === 'POST' && m[2]) {
      return [200, { token: signSnapshot(wallet, { key: KEYS[KEY_ID], keyId: KEY_ID, ttlSeconds: TTL, at: Date.now(), account: m[1], catalog }) }];
    }
    return [405, { code: 'E_BAD_REQUEST', message: 'method not allowed' }];
  } finally {
    wallet.free();
  }
}

const server = http.createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk) => { body += chunk; });
  req.on('end', () => {
    route(req, body).then(([status, out]) => send(res, status, out), (err) => {
      send(res, err instanceof SyntaxError || err.code ? 400 : 500, { code: err.code ?? 'E_BAD_REQUEST', message: err.message });
    });
  });
});
server.keepAliveTimeout = 5_000;
server.listen(PORT, '127.0.0.1', () => console.log(`origin: http://127.0.0.1:${server.address().port}/`));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { server.closeAllConnections(); server.close(() => process.exit(0)); });
