// A PostgreSQL cluster of our own under a data directory, for `make stack-node` and the tests: initdb when the
// directory is new, pg_ctl start on a free loopback port (unix socket in the directory itself), pg_ctl stop.
// PostgreSQL refuses to run as root: as root, the directory is handed to the `postgres` user and every command runs
// through `runuser -u postgres`; as any other user, the commands run as that user.
import { execFile, execSync } from 'node:child_process';
import { access, chown, mkdir, readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';

const BIN_DIRS = ['/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/17/bin'];

async function exists(file) {
  try { await access(file); return true; } catch { return false; }
}

/** The directory holding initdb/pg_ctl: Debian keeps them off PATH in /usr/lib/postgresql/N/bin. */
async function binDir() {
  for (const dir of BIN_DIRS) if (await exists(path.join(dir, 'pg_ctl'))) return dir;
  return ''; // rely on PATH
}

function run(cmd, args, asPostgres) {
  const [file, argv] = asPostgres ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  return new Promise((resolve, reject) => {
    execFile(file, argv, { timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) {
        err.message = `${cmd} ${args.join(' ')} failed: ${err.message}\n${stdout}${stderr}`;
        reject(err);
      } else resolve(stdout);
    });
  });
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function postgresIds() {
  const uid = Number(execSync('id -u postgres').toString().trim());
  const gid = Number(execSync('id -g postgres').toString().trim());
  return { uid, gid };
}

/**
 * Starts (initialising if needed) the cluster in `dir` and returns { url, port, stop() }. A cluster already running
 * in `dir` (left by a process killed with SIGKILL) is adopted: its port is read from postmaster.pid.
 */
export async function startLocalPostgres(dir, { log = () => {} } = {}) {
  const root = process.getuid?.() === 0;
  const bin = await binDir();
  const tool = (name) => (bin ? path.join(bin, name) : name);
  dir = path.resolve(dir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (root) {
    const { uid, gid } = postgresIds();
    const st = await stat(dir);
    if (st.uid !== uid) await chown(dir, uid, gid);
  }
  if (!(await exists(path.join(dir, 'PG_VERSION')))) {
    log(`initdb ${dir}`);
    await run(tool('initdb'), ['-D', dir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-locale'], root);
  }
  let port = null;
  const running = await run(tool('pg_ctl'), ['-D', dir, 'status'], root).then(() => true, () => false);
  if (running) {
    const pid = (await readFile(path.join(dir, 'postmaster.pid'), 'utf8')).split('\n');
    port = Number(pid[3]);
    log(`adopting the PostgreSQL already running in ${dir} on port ${port}`);
  } else {
    port = await freePort();
    // Loopback TCP only; the unix socket lives in the data directory (no /var/run needed).
    const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200`;
    await run(tool('pg_ctl'), ['-D', dir, '-o', opts, '-l', path.join(dir, 'server.log'), '-w', '-t', '60', 'start'], root);
    log(`PostgreSQL started in ${dir} on 127.0.0.1:${port}`);
  }
  let stopped = null;
  return {
    port,
    dir,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    /** Fast shutdown (active transactions roll back); idempotent. */
    stop() {
      stopped ??= run(tool('pg_ctl'), ['-D', dir, '-m', 'fast', '-w', '-t', '60', 'stop'], root).then(() => undefined);
      return stopped;
    },
  };
}
