// The wallet service on Node and PostgreSQL (SPEC section 10). `make stack-node` runs this in the foreground.
//
//   DATABASE_URL  a PostgreSQL to use; when unset, a cluster of our own is started under $CE_DATA_DIR/pg (initdb on
//                 first use) and stopped again on SIGINT/SIGTERM
//   CE_DATA_DIR   default .data/          PORT   default 8787 (127.0.0.1 only)
//   CE_ADMIN_KEY  the admin bearer key; a development key is generated and printed when unset
//   CE_TOKEN_KEY  the token signing key (>= 32 bytes); when unset, a development key derived from the admin key
//   CE_TOKEN_KEY_ID  default k1           CE_PG_POOL  connections in the pool, default 10
//   CE_STATEMENT_TIMEOUT_MS  default 10000  CE_IDLE_TX_TIMEOUT_MS  default 10000
//
// Ready when GET /v1/health answers. SIGTERM/SIGINT: stop accepting, finish the requests in flight, close the pool,
// stop our own PostgreSQL, exit 0.
import http from 'node:http';
import { createHmac, randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { ready } from 'credit-engine';
import { startLocalPostgres } from './lib/local-postgres.mjs';
import { migrate } from './lib/migrate.mjs';
import { WalletStore } from './lib/store.mjs';
import { createHandler } from './lib/http.mjs';

const env = process.env;
const log = (msg) => console.log(`[ce-node ${process.pid}] ${msg}`);

function intEnv(name, fallback, min, max) {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) {
    console.error(`${name} must be a whole number from ${min} to ${max}, got '${text}'`);
    process.exit(2);
  }
  return n;
}

const port = intEnv('PORT', 8787, 0, 65_535);
const dataDir = path.resolve(env.CE_DATA_DIR || '.data');
const poolSize = intEnv('CE_PG_POOL', 10, 1, 100);
const statementTimeout = intEnv('CE_STATEMENT_TIMEOUT_MS', 10_000, 100, 600_000);
const idleTxTimeout = intEnv('CE_IDLE_TX_TIMEOUT_MS', 10_000, 100, 600_000);

let adminKey = env.CE_ADMIN_KEY;
if (!adminKey) {
  adminKey = randomBytes(24).toString('base64url');
  log(`CE_ADMIN_KEY is unset: development admin key ${adminKey}`);
}
let tokenKey = env.CE_TOKEN_KEY;
if (tokenKey && Buffer.byteLength(tokenKey) < 32) {
  console.error('CE_TOKEN_KEY must be at least 32 bytes');
  process.exit(2);
}
if (!tokenKey) {
  tokenKey = createHmac('sha256', adminKey).update('credit-engine token key').digest('hex');
  log(`CE_TOKEN_KEY is unset: development token key ${tokenKey} (derived from the admin key)`);
}
const tokenKeyId = env.CE_TOKEN_KEY_ID || 'k1';

let localPg = null;
let connectionString = env.DATABASE_URL;
if (!connectionString) {
  localPg = await startLocalPostgres(path.join(dataDir, 'pg'), { log });
  connectionString = localPg.url;
}

const pool = new pg.Pool({
  connectionString,
  max: poolSize,
  application_name: 'credit-engine-node',
  statement_timeout: statementTimeout,
  idle_in_transaction_session_timeout: idleTxTimeout,
  connectionTimeoutMillis: 30_000,
  idleTimeoutMillis: 30_000,
});
// A connection can die at any time (database restart, pg_terminate_backend). An idle one is dropped by the pool; one
// checked out between two statements of a transaction emits 'error' with no query to fail, which would crash the
// process without a listener: the transaction's next statement fails and store.mjs handles it.
pool.on('error', (err) => log(`idle connection lost: ${err.message}`));
pool.on('connect', (client) => client.on('error', (err) => log(`connection lost: ${err.message}`)));

await ready();
try {
  await migrate(pool, { log });
} catch (err) {
  console.error(`cannot prepare the database: ${err.message}`);
  await pool.end().catch(() => {});
  await localPg?.stop().catch(() => {});
  process.exit(1);
}

const store = new WalletStore(pool, { log });
const { handler, inFlight } = createHandler({ store, adminKey, token: { key: tokenKey, keyId: tokenKeyId }, log });
const server = http.createServer({ requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 5_000 }, handler);

server.on('clientError', (err, socket) => {
  if (socket.writable && !socket.destroyed) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
  else socket.destroy();
});

await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(port, '127.0.0.1', resolve);
});
log(`listening on http://127.0.0.1:${server.address().port}/ (database ${localPg ? `local, ${localPg.dir}` : 'DATABASE_URL'})`);

let stopping = false;
async function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  log(`${signal}: stopping (${inFlight()} requests in flight)`);
  server.close(); // no new connections; open ones end once idle
  server.closeIdleConnections();
  const deadline = Date.now() + 20_000;
  while (inFlight() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  server.closeAllConnections();
  await pool.end().catch((err) => log(`closing the pool: ${err.message}`));
  store.clear();
  if (localPg) await localPg.stop().catch((err) => log(`stopping PostgreSQL: ${err.message}`));
  log('stopped');
  process.exit(0);
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
