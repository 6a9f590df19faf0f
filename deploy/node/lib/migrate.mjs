// Applies deploy/node/migrations/NNN_name.sql in order, each once, each in its own transaction together with its row
// in schema_migrations. An advisory lock keeps two processes starting on one database from racing each other.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'migrations');
const LOCK_KEY = 0x63726564; // 'cred': any constant shared by every process of this service

/** The migration files, sorted by number: [{ version, name, file }]. Refuses names not of the NNN_name.sql form. */
export async function migrationFiles(dir = MIGRATIONS_DIR) {
  const out = [];
  for (const file of (await readdir(dir)).sort()) {
    const m = /^(\d{3})_([a-z0-9_]+)\.sql$/.exec(file);
    if (!m) throw new Error(`migrations: ${file} is not named NNN_name.sql`);
    out.push({ version: Number(m[1]), name: m[2], file: path.join(dir, file) });
  }
  out.forEach((mig, i) => {
    if (mig.version !== i + 1) throw new Error(`migrations: expected number ${i + 1}, found ${path.basename(mig.file)}`);
  });
  return out;
}

/** Brings the database up to date; returns the versions it applied now. */
export async function migrate(pool, { dir = MIGRATIONS_DIR, log = () => {} } = {}) {
  const files = await migrationFiles(dir);
  const client = await pool.connect();
  const applied = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set((await client.query('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
    for (const mig of files) {
      if (done.has(mig.version)) continue;
      const sql = await readFile(mig.file, 'utf8');
      await client.query('BEGIN');
      try {
        await client.query(sql);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [mig.version, mig.name]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        err.message = `migration ${path.basename(mig.file)}: ${err.message}`;
        throw err;
      }
      log(`applied migration ${path.basename(mig.file)}`);
      applied.push(mig.version);
    }
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]);
  } finally {
    client.release();
  }
  return applied;
}
