// The stack driver for the Node deployment (deploy/node): `node deploy/node/server.mjs` against a real PostgreSQL.
// Interface shared with driver-cloudflare.mjs (see tests/stack/lib.mjs):
//   start({ port, dataDir, adminKey, env }) -> { url, pid(), kill(signal), stop(), restart(), log() }
// PostgreSQL: unless env.DATABASE_URL names one, the driver starts a cluster under `dataDir/pg` the first time a
// data directory is used and shares it between every server started on that directory (so a test can run two
// Node processes on one database); it is stopped when the last of them stops, or when the test process exits.
// kill(signal) signals the Node process only: the database lives on, as a real deployment's would.
// Node-only extras on the returned object: `databaseUrl` and `sql(text, values)` (a query on the database).
// Two switches (environment of the test process) let the generic tests exercise what only this deployment has:
//   STACK_NODE_PROCESSES=2   two Node processes on the one database behind a round-robin TCP balancer on `port`
//                            (each new connection goes to the next process); the url is the balancer's.
//   STACK_NODE_TERMINATE_BACKEND_AFTER=N   once the ledger holds N rows, pg_terminate_backend() one backend of the
//                            service that is inside a transaction; stop() fails the run if that never happened.
import { spawn, execFileSync } from 'node:child_process';
import { chmodSync, existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { startLocalPostgres } from '../../deploy/node/lib/local-postgres.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SERVER = path.join(ROOT, 'deploy/node/server.mjs');
const pg = createRequire(path.join(ROOT, 'deploy/node/package.json'))('pg');

export const name = 'node (node:http + PostgreSQL 15)';

/** dataDir -> { cluster, users } */
const clusters = new Map();

async function acquireDatabase(dataDir) {
  let entry = clusters.get(dataDir);
  if (!entry) {
    // The postgres user must be able to reach dataDir/pg (mkdtemp makes 0700 directories).
    if (process.getuid?.() === 0) chmodSync(dataDir, 0o755);
    entry = { cluster: startLocalPostgres(path.join(dataDir, 'pg')), users: 0 };
    clusters.set(dataDir, entry);
  }
  entry.users++;
  const cluster = await entry.cluster;
  return {
    url: cluster.url,
    async release() {
      if (--entry.users > 0) return;
      clusters.delete(dataDir);
      await cluster.stop();
    },
  };
}

// A test that dies (watchdog, uncaught error, a signal) must not leave clusters running.
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(128 + (signal === 'SIGINT' ? 2 : 15)));
process.on('exit', () => {
  for (const [dataDir] of clusters) {
    const dir = path.join(dataDir, 'pg');
    if (!existsSync(path.join(dir, 'postmaster.pid'))) continue;
    const args = ['-D', dir, '-m', 'immediate', '-w', 'stop'];
    const ctl = ['/usr/lib/postgresql/15/bin/pg_ctl', 'pg_ctl'].find((p) => p === 'pg_ctl' || existsSync(p));
    try {
      if (process.getuid?.() === 0) execFileSync('runuser', ['-u', 'postgres', '--', ctl, ...args], { stdio: 'ignore' });
      else execFileSync(ctl, args, { stdio: 'ignore' });
    } catch {
      // already stopped
    }
  }
});

async function waitHealthy(url, proc, ms, tail) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`the server exited (${proc.exitCode ?? proc.signalCode}):\n${tail()}`);
    try {
      const r = await fetch(`${url}/v1/health`, { signal: AbortSignal.timeout(1000) });
      if (r.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the server did not answer /v1/health within ${ms} ms:\n${tail()}`);
}

/** One Node server process (restartable) on `port` with `env`. */
function nodeProcess(port, env) {
  const url = `http://127.0.0.1:${port}`;
  let proc = null;
  let log = '';
  const running = () => proc && proc.exitCode === null && proc.signalCode === null;
  const self = {
    url,
    pid: () => proc?.pid,
    log: () => log,
    async launch() {
      proc = spawn(process.execPath, [SERVER], { env: { ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
      const p = proc;
      p.exited = new Promise((resolve) => p.once('exit', resolve));
      p.once('exit', (code, signal) => {
        if (!p.expected) console.log(`  (node driver: the server on port ${port} exited by itself (${code ?? signal}):\n${log.slice(-1500)})`);
      });
      for (const s of [p.stdout, p.stderr]) s.on('data', (d) => { log = (log + d).slice(-20_000); });
      await waitHealthy(url, p, 60_000, () => log.slice(-2000));
    },
    async kill(signal = 'SIGKILL') {
      if (!running()) return;
      proc.expected = true;
      proc.kill(signal);
      await proc.exited;
    },
    async stop() {
      if (!running()) return;
      proc.expected = true;
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 25_000);
      await proc.exited;
      clearTimeout(t);
    },
    async restart() {
      await self.stop();
      await self.launch();
    },
  };
  return self;
}

/** A free 127.0.0.1 port. */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** A round-robin TCP balancer on `port` over `targets` (ports); counts the connections each target got. */
function balancer(port, targets) {
  const counts = targets.map(() => 0);
  let next = 0;
  const sockets = new Set();
  const server = net.createServer((client) => {
    const i = next++ % targets.length;
    counts[i]++;
    const upstream = net.connect(targets[i], '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => { client.destroy(); upstream.destroy(); });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject).listen(port, '127.0.0.1', () => resolve({
      counts,
      close: () => new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
    }));
  });
}

/**
 * Waits until the ledger holds `after` rows, then terminates one service backend that is inside a transaction
 * (backend_xid set: it has taken the account's lock and written or is about to). Resolves with a description.
 */
async function terminateBackendMidTransaction(sql, after, stopped) {
  while (!stopped()) {
    const rows = Number((await sql('SELECT count(*) AS n FROM ledger')).rows[0].n);
    if (rows >= after) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  while (!stopped()) {
    const res = await sql(`SELECT pid, state, query, pg_terminate_backend(pid) AS terminated FROM pg_stat_activity
      WHERE application_name = 'credit-engine-node' AND backend_xid IS NOT NULL AND pid <> pg_backend_pid() LIMIT 1`);
    if (res.rowCount === 1 && res.rows[0].terminated) {
      const { pid, state, query } = res.rows[0];
      return `terminated backend ${pid} mid-transaction (state '${state}', last statement ${JSON.stringify(query.replace(/\s+/g, ' ').slice(0, 60))})`;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  return null;
}

export async function start({ port, dataDir, adminKey, env = {} }) {
  const base = { ...process.env, ...env, CE_ADMIN_KEY: adminKey, CE_DATA_DIR: dataDir };
  let db = null;
  if (!base.DATABASE_URL) {
    db = await acquireDatabase(dataDir);
    base.DATABASE_URL = db.url;
  }
  const databaseUrl = base.DATABASE_URL;
  const processes = Math.max(1, Number(process.env.STACK_NODE_PROCESSES ?? 1));
  const main = nodeProcess(processes > 1 ? await freePort() : port, base);
  const others = [];
  let lb = null;
  try {
    await main.launch();
    for (let i = 1; i < processes; i++) {
      const other = nodeProcess(await freePort(), base);
      others.push(other);
      await other.launch();
    }
    if (processes > 1) lb = await balancer(port, [main, ...others].map((p) => Number(new URL(p.url).port)));
  } catch (err) {
    await Promise.all([main.stop(), ...others.map((o) => o.stop())]);
    await db?.release();
    throw err;
  }
  const sql = async (text, values) => {
    const client = new pg.Client({ connectionString: databaseUrl, application_name: 'stack-test' });
    await client.connect();
    try {
      return await client.query(text, values);
    } finally {
      await client.end();
    }
  };
  const logAll = () => [main, ...others].map((p) => p.log()).join('\n');
  let stopped = false;
  const terminateAfter = process.env.STACK_NODE_TERMINATE_BACKEND_AFTER;
  const fault = terminateAfter === undefined ? null
    : terminateBackendMidTransaction(sql, Number(terminateAfter), () => stopped).then((what) => {
      if (what) console.log(`  (node driver: ${what})`);
      return what;
    }, (err) => {
      console.log(`  (node driver: terminating a backend failed: ${err.message})`);
      return null;
    });
  return {
    url: `http://127.0.0.1:${port}`,
    tokenKey: base.CE_TOKEN_KEY,
    databaseUrl,
    pid: main.pid,
    log: logAll,
    kill: main.kill,
    restart: main.restart,
    async stop() {
      if (stopped) return;
      stopped = true;
      const what = await fault;
      await lb?.close();
      if (lb) console.log(`  (node driver: the balancer sent ${lb.counts.join(' / ')} connections to the ${processes} processes)`);
      const recovered = logAll().split('\n').filter((l) => /did not commit|COMMIT on/.test(l));
      if (recovered.length) console.log(`  (node driver: server log: ${recovered.slice(0, 4).join(' | ')})`);
      await Promise.all([main.stop(), ...others.map((o) => o.stop())]);
      await db?.release();
      if (fault && !what) {
        console.log('FAIL node driver: STACK_NODE_TERMINATE_BACKEND_AFTER was set but no backend was terminated');
        process.exitCode = 1;
      }
      if (lb && lb.counts.some((n) => n === 0)) {
        console.log(`FAIL node driver: a process behind the balancer got no connection (${lb.counts.join(' / ')})`);
        process.exitCode = 1;
      }
    },
    /** A second (third, ...) Node process serving the same database; stopped with this one. */
    async startAnother({ port: otherPort }) {
      const other = nodeProcess(otherPort, base);
      others.push(other);
      await other.launch();
      return other;
    },
    /** One query on the deployment's database (its own short-lived connection). */
    sql,
  };
}
