// Wallets in PostgreSQL. One row per account (settings, snapshot, version, clock) and one row per ledger entry.
// Every mutation is ONE transaction: lock the account row (SELECT ... FOR UPDATE), take the resident wallet if its
// version is the row's (else load the snapshot), run the engine, insert what takeLedger() hands over, save the
// snapshot with version + 1, commit, and only then answer. The row lock is what keeps calls on one account from
// interleaving, across every process on the database; the version is what tells a process its resident wallet is
// stale because another process committed in between.
//
// Resident wallets: a bounded per-process cache keyed by account, { version, wallet }. A mutation takes its entry
// OUT of the cache for the whole transaction and puts the wallet back under the new version after COMMIT, so no
// read ever sees a wallet holding uncommitted changes. Every other failure of the transaction frees the wallet (the
// next call reloads the last committed snapshot, which still holds any entries not yet taken). An engine refusal
// (an error with an E_ code) rolls back and keeps the wallet: SPEC 7, a failed call changes nothing.
import { Wallet } from 'credit-engine';

const MS_PER_DAY = 86_400_000;

/** A database that cannot answer right now (connection lost, timeout, shutdown): 503, the client retries. */
export class Unavailable extends Error {
  constructor(cause) {
    super(`the database is unavailable: ${cause?.message ?? cause}`);
    this.code = 'E_UNAVAILABLE';
    this.cause = cause;
  }
}

/** An error the service answers itself (404 unknown account, 409 other settings). */
export class ServiceError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/** Up to this many runs of one mutation when a transaction does not commit. */
const MAX_ATTEMPTS = 3;

/** A transaction known not to have committed (safe to run again). */
class NotCommitted extends Error {
  constructor(cause) {
    super(`not committed: ${cause?.message ?? cause}`);
    this.cause = cause;
  }
}

const isEngineError = (err) => typeof err?.code === 'string' && err.code.startsWith('E_') && !(err instanceof Unavailable);

/** One ledger entry (SPEC 6 LedgerEntry) as the row we store, and back. */
export function entryToRow(e) {
  return [e.seq, Date.parse(e.at), e.type, e.kind ?? null, e.lotId ?? null, e.credits, e.ref ?? null, e.feature ?? null, e.total];
}

export function rowToEntry(r) {
  const e = { seq: Number(r.seq), at: new Date(Number(r.at_ms)).toISOString(), type: r.type };
  if (r.kind !== null) e.kind = r.kind;
  if (r.lot_id !== null) e.lotId = r.lot_id;
  e.credits = Number(r.credits);
  if (r.ref !== null) e.ref = r.ref;
  if (r.feature !== null) e.feature = r.feature;
  e.total = Number(r.total);
  return e;
}

const SELECT_FOR_UPDATE = `SELECT txid_current() AS xid, a.version, a.clock_ms, a.retention_days,
  CASE WHEN a.version = $2 THEN NULL ELSE a.snapshot END AS snapshot,
  (SELECT o.at_ms FROM operation_times o WHERE o.account = a.account AND o.id = $3) AS op_at
  FROM accounts a WHERE a.account = $1 FOR UPDATE OF a`;
const SELECT_FOR_READ = `SELECT version, CASE WHEN version = $2 THEN NULL ELSE snapshot END AS snapshot
  FROM accounts WHERE account = $1`;
// One statement writes a mutation: the ledger rows takeLedger() handed over, the operation's `at` (when the call
// carries an id), and the snapshot under version + 1. The clock only moves forward (a replay runs at its first `at`).
const WRITE = `WITH entries AS (
    INSERT INTO ledger (account, seq, at_ms, type, kind, lot_id, credits, ref, feature, total, retention_ms)
    SELECT $1, e.* , $11 FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::bigint[],
      $8::text[], $9::text[], $10::bigint[]) AS e
  ), operation AS (
    INSERT INTO operation_times (account, id, at_ms) SELECT $1, $12, $13 WHERE $12::text IS NOT NULL
    ON CONFLICT (account, id) DO UPDATE SET at_ms = EXCLUDED.at_ms
  )
  UPDATE accounts SET snapshot = $14, version = version + 1, clock_ms = GREATEST(clock_ms, $15), updated_at = now()
  WHERE account = $1`;

export class WalletStore {
  /**
   * @param {import('pg').Pool} pool
   * @param {{ cacheSize?: number, log?: (msg: string) => void }} options
   */
  constructor(pool, { cacheSize = 10_000, log = () => {} } = {}) {
    this.pool = pool;
    this.cacheSize = cacheSize;
    this.log = log;
    /** account -> { version, wallet }; Map order is recency (oldest first). */
    this.cache = new Map();
    /** Accounts known to exist (accounts are never deleted, so a yes stays true). */
    this.known = new Set();
  }

  /** Puts a committed wallet back as resident under `version`, unless a newer one is there. True when kept. */
  checkin(account, version, wallet) {
    const old = this.cache.get(account);
    if (old) {
      if (old.version > version) return false;
      this.cache.delete(account);
      if (old.wallet !== wallet) old.wallet.free();
    }
    this.cache.set(account, { version, wallet });
    if (this.cache.size > this.cacheSize) {
      const [oldest, entry] = this.cache.entries().next().value;
      this.cache.delete(oldest);
      entry.wallet.free();
    }
    return true;
  }

  /** Takes the resident wallet out of the cache (the caller owns it until it checks it back in or frees it). */
  checkout(account) {
    const entry = this.cache.get(account);
    if (entry) this.cache.delete(account);
    return entry;
  }

  /** Frees every resident wallet (shutdown). */
  clear() {
    for (const { wallet } of this.cache.values()) wallet.free();
    this.cache.clear();
  }

  async query(text, values) {
    try {
      return await this.pool.query(text, values);
    } catch (err) {
      throw new Unavailable(err);
    }
  }

  async exists(account) {
    if (this.known.has(account)) return true;
    const res = await this.query('SELECT 1 FROM accounts WHERE account = $1', [account]);
    if (res.rowCount === 0) return false;
    if (this.known.size >= 100_000) this.known.clear();
    this.known.add(account);
    return true;
  }

  /**
   * PUT /v1/accounts/{account}: 201 created, 200 when it exists with the same settings, 409 with others.
   * The settings are checked by the engine (Wallet.create) before anything is written.
   */
  async create(account, { timeZone, retentionDays }) {
    const opts = retentionDays === undefined ? { timeZone } : { timeZone, retentionDays };
    const wallet = Wallet.create(opts);
    let kept = false;
    try {
      const settings = { timeZone: wallet.timeZone, retentionDays: wallet.retentionDays };
      const res = await this.query(
        `INSERT INTO accounts (account, time_zone, retention_days, version, snapshot) VALUES ($1, $2, $3, 1, $4)
         ON CONFLICT (account) DO NOTHING`,
        [account, settings.timeZone, settings.retentionDays, JSON.stringify(wallet.toJSON())]);
      this.known.add(account);
      if (res.rowCount === 1) {
        kept = this.checkin(account, 1, wallet);
        return { status: 201, body: { account, ...settings } };
      }
      const row = (await this.query('SELECT time_zone, retention_days FROM accounts WHERE account = $1', [account])).rows[0];
      if (row.time_zone === settings.timeZone && row.retention_days === settings.retentionDays) {
        return { status: 200, body: { account, ...settings } };
      }
      throw new ServiceError('E_IDEMPOTENCY_CONFLICT', `account '${account}' exists with other settings `
        + `(timeZone ${row.time_zone}, retentionDays ${row.retention_days})`);
    } finally {
      if (!kept) wallet.free();
    }
  }

  /**
   * Runs `fn(wallet)` on the last committed state of the account (no lock: reads never wait for writers).
   * `fn` must be synchronous: the wallet may be the resident one.
   */
  async read(account, fn) {
    const cached = this.cache.get(account);
    const res = await this.query(SELECT_FOR_READ, [account, cached?.version ?? 0]);
    if (res.rowCount === 0) throw new ServiceError('E_NOT_FOUND', `there is no account '${account}'`);
    const version = Number(res.rows[0].version);
    const entry = this.cache.get(account);
    if (entry && entry.version === version) {
      this.cache.delete(account); // most recently used goes last
      this.cache.set(account, entry);
      return fn(entry.wallet);
    }
    let snapshot = res.rows[0].snapshot;
    if (snapshot === null) { // the resident wallet left the cache while we waited: read the snapshot itself
      const again = await this.query('SELECT version, snapshot FROM accounts WHERE account = $1', [account]);
      return this.readLoaded(account, Number(again.rows[0].version), again.rows[0].snapshot, fn);
    }
    return this.readLoaded(account, version, snapshot, fn);
  }

  readLoaded(account, version, snapshot, fn) {
    const wallet = Wallet.fromJSON(snapshot);
    const kept = this.checkin(account, version, wallet);
    try {
      return fn(wallet);
    } finally {
      if (!kept) wallet.free();
    }
  }

  /**
   * One mutation in one transaction. `fn(wallet, at)` runs the engine synchronously and returns the answer; `now`
   * is the request's clock reading, raised to the account's last applied `at` if the server clock stepped back.
   * `opId`: the caller id the call carries, if any (its first successful call's `at` is reused, see operation_times).
   */
  async mutate(account, now, fn, opId = null) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.mutateOnce(account, now, fn, opId);
      } catch (err) {
        // The transaction did not commit (connection lost or backend terminated before COMMIT, a timeout, a
        // constraint that refused a stale wallet): nothing was written, so running the call again from the stored
        // snapshot is safe, whatever the call.
        if (!(err instanceof NotCommitted)) throw err;
        if (attempt >= MAX_ATTEMPTS) throw new Unavailable(err.cause);
        this.log(`mutation on '${account}' did not commit (${err.cause?.message}); attempt ${attempt + 1}`);
      }
    }
  }

  /**
   * Whether transaction `xid` committed, asked on another connection after its COMMIT got no answer (the backend
   * was terminated or the connection dropped while committing). 'committed', 'aborted', or null when unknown.
   */
  async commitOutcome(xid) {
    for (let i = 0; i < 50; i++) {
      try {
        const status = (await this.pool.query('SELECT txid_status($1) AS status', [xid])).rows[0].status;
        if (status === 'committed' || status === 'aborted') return status;
      } catch {
        // the database may be restarting: ask again
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return null;
  }

  async mutateOnce(account, now, fn, opId) {
    let client;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw new NotCommitted(err);
    }
    let open = false; // a transaction is open on `client`
    let broken = false; // `client` failed a query: give the connection up rather than reuse it
    const sql = async (text, values) => {
      try {
        return await client.query(text, values);
      } catch (err) {
        broken = true;
        throw new NotCommitted(err);
      }
    };
    let wallet = null;
    let resident = false; // true once `wallet` is back in the cache (then it is not ours to free)
    try {
      await sql('BEGIN');
      open = true;
      const res = await sql(SELECT_FOR_UPDATE, [account, this.cache.get(account)?.version ?? 0, opId]);
      if (res.rowCount === 0) throw new ServiceError('E_NOT_FOUND', `there is no account '${account}'`);
      const row = res.rows[0];
      const version = Number(row.version);
      const clock = row.clock_ms === null ? null : Number(row.clock_ms);
      const at = clock !== null && now < clock ? clock : now;
      const entry = this.checkout(account);
      if (entry && entry.version === version) {
        wallet = entry.wallet;
      } else {
        entry?.wallet.free();
        // The snapshot column is left out when our resident wallet had the version at query time; it may have
        // been evicted since (or replaced by an older read): read the snapshot then.
        const snapshot = row.snapshot
          ?? (await sql('SELECT snapshot FROM accounts WHERE account = $1', [account])).rows[0].snapshot;
        wallet = Wallet.fromJSON(snapshot);
      }

      // A retried id runs at its first call's `at`, so the engine can recognise it. If the engine no longer holds
      // that record (forgotten after retentionDays), the old `at` is before its clock: E_CLOCK_REGRESSION, and the
      // call is a new one, at the current `at` (SPEC 9: a forgotten id is a new call).
      const firstAt = row.op_at === null ? null : Number(row.op_at);
      let callAt = firstAt ?? at;
      let answer;
      try {
        try {
          answer = fn(wallet, callAt);
        } catch (err) {
          if (err?.code !== 'E_CLOCK_REGRESSION' || firstAt === null || callAt === at) throw err;
          callAt = at;
          answer = fn(wallet, callAt);
        }
      } catch (err) {
        if (!isEngineError(err)) throw err;
        // The engine refused and nothing changed in the wallet (SPEC 7): it stays resident.
        resident = this.checkin(account, version, wallet);
        throw err;
      }

      const entries = wallet.takeLedger();
      const cols = [[], [], [], [], [], [], [], [], []];
      for (const e of entries) entryToRow(e).forEach((v, i) => cols[i].push(v));
      await sql(WRITE, [account, ...cols, row.retention_days * MS_PER_DAY, opId, callAt,
        JSON.stringify(wallet.toJSON()), callAt]);
      try {
        open = false;
        await client.query('COMMIT');
      } catch (err) {
        // COMMIT sent, no answer: it may or may not have committed. Ask the database, on another connection.
        broken = true;
        const outcome = await this.commitOutcome(row.xid);
        this.log(`COMMIT on '${account}' got no answer (${err.message}); the transaction ${outcome ?? 'is in an unknown state'}`);
        if (outcome === 'committed') return answer; // applied: answer it (the wallet is dropped, reloaded next time)
        if (outcome === 'aborted') throw new NotCommitted(err);
        throw new Unavailable(err);
      }
      resident = this.checkin(account, version + 1, wallet);
      return answer;
    } finally {
      if (wallet && !resident) wallet.free();
      if (open && !broken) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true;
        }
      }
      // A connection that failed a query may be dead (terminated backend) or in an unknown state: destroy it.
      client.release(broken ? true : undefined);
    }
  }

  /** GET .../ledger: entries with seq > after, at most `limit`, and `next` when more may follow. */
  async ledger(account, after, limit) {
    const res = await this.query(
      `SELECT seq, at_ms, type, kind, lot_id, credits, ref, feature, total FROM ledger
       WHERE account = $1 AND seq > $2 ORDER BY seq LIMIT $3`, [account, after, limit + 1]);
    const rows = res.rows.slice(0, limit);
    const entries = rows.map(rowToEntry);
    const next = res.rows.length > limit ? entries[entries.length - 1].seq : null;
    return { entries, next };
  }
}
