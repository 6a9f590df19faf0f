// The `Wallet` Durable Object: one per account (the Worker picks it with idFromName(account)), SQLite storage.
//
// The engine's wallet stays resident between requests. A mutation runs in the engine, then the entries the engine
// hands over (takeLedger) are appended as rows and the wallet's snapshot is saved, in ONE synchronous SQLite
// transaction (ctx.storage.transactionSync); the answer leaves only after that commit is durable (workerd's output
// gate holds it). From the engine call to the commit nothing awaits, so no other request of the same account can
// run in between: calls on one account never interleave. If the commit fails, the resident wallet is dropped and the
// next request reloads the last committed snapshot, which still holds the entries that were not stored.
//
// Tables (one database per account): meta (settings, the last `at` applied), snapshot (the wallet's toJSON() text,
// in parts under the row-size limit), ledger (one row per entry, primary key (account, seq)), requests (caller id ->
// the `at` of the call that first used it: the engine compares a retry's payload including its `at`, so a retry is
// replayed with the first call's `at`, and a changed retry is E_IDEMPOTENCY_CONFLICT).
import { DurableObject } from 'cloudflare:workers';
import { Catalog, Wallet as EngineWallet, signSnapshot } from 'credit-engine';
import { codeError, errorAnswer, fail, json, jsonText, parseObject, readLimited, tooLarge } from './http.mjs';

const catalog = Catalog.default();
/** Cloudflare limits a SQLite row/string to 2 MB; a snapshot (up to the engine's 8 MiB) is stored in parts. */
const SNAPSHOT_PART_CHARS = 400_000; // <= 1.6 MB even if every char took 4 bytes
const DAY_MS = 86_400_000;
const DEFAULT_RETENTION_DAYS = 7;
const TOKEN_TTL_DEFAULT = 300;
/** Routes whose body may be empty (it then stands for `{}`). */
const EMPTY_OK = new Set(['release', 'token']);
/** Routes without a body. */
const NO_BODY = new Set(['balance', 'ledger']);

export class Wallet extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    /** The resident engine wallet, or null (not loaded, no account, or dropped after a failed commit). */
    this.wallet = null;
    this.meta = null;
    this.commits = 0;
  }

  async fetch(request) {
    let route;
    try {
      route = JSON.parse(request.headers.get('x-ce-route'));
    } catch {
      return fail(500, 'E_INTERNAL', 'the Durable Object was called without a route (only the Worker calls it)');
    }
    try {
      if (route.op !== 'create' && !this.load()) return notFound(route.account);
      let body = null;
      if (!NO_BODY.has(route.op)) {
        const read = await readLimited(request.body, request.headers.get('x-ce-length'));
        if (read.tooLarge) return tooLarge();
        body = parseObject(read.bytes, EMPTY_OK.has(route.op) ? {} : undefined);
      }
      // Synchronous from here to the commit: no other request of this account runs until the answer is built.
      if (route.op !== 'create' && !this.load()) return notFound(route.account);
      return this.apply(route, body);
    } catch (err) {
      return errorAnswer(err);
    }
  }

  /** Loads the account's wallet into memory if it exists; true when there is one. Synchronous. */
  load() {
    if (this.wallet) return true;
    const exists = this.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").toArray().length > 0;
    if (!exists) return false;
    const meta = this.sql.exec('SELECT account, time_zone, retention_days, last_at FROM meta WHERE k = 1').toArray()[0];
    if (!meta) return false;
    const parts = this.sql.exec('SELECT text FROM snapshot ORDER BY part').toArray();
    const wallet = EngineWallet.fromJSON(parts.map((p) => p.text).join(''));
    this.meta = { account: meta.account, timeZone: meta.time_zone, retentionDays: meta.retention_days,
      lastAt: meta.last_at };
    this.wallet = wallet;
    return true;
  }

  /** Forgets the resident wallet; the next request reloads the last committed state. */
  drop() {
    try {
      this.wallet?.free();
    } catch { /* already unusable: nothing to free */ }
    this.wallet = null;
    this.meta = null;
  }

  /** The request time: the server clock, never before the last `at` applied (a clock step back is not a client error). */
  now() {
    return Math.max(Date.now(), this.meta?.lastAt ?? 0);
  }

  /** The `at` a call with caller id `id` runs at: the first call's when the id was used before, else `now`. */
  atFor(id, now) {
    if (typeof id !== 'string') return now;
    const row = this.sql.exec('SELECT at FROM requests WHERE id = ?', id).toArray()[0];
    return row ? row.at : now;
  }

  apply(route, body) {
    const w = this.wallet;
    const now = this.now();
    const p = route.id; // the id in the path (charge or hold), if any
    switch (route.op) {
      case 'create':
        return this.create(route.account, body, now);
      case 'balance':
        return json(200, w.balance(now));
      case 'ledger':
        return this.ledgerPage(route.query ?? {});
      case 'token': {
        const ttlSeconds = body.ttlSeconds === undefined ? TOKEN_TTL_DEFAULT : body.ttlSeconds;
        const { key, keyId } = tokenKeyOf(this.env);
        return json(200, { token: signSnapshot(w, { key, keyId, ttlSeconds, at: now, account: this.meta.account }) });
      }
      case 'trial':
        w.startTrial({ at: now, until: body.until, credits: body.credits });
        return this.commit(now, null, 'other', { ok: true });
      case 'membership':
        w.activateMembership({ at: now, until: body.until, monthlyCredits: body.monthlyCredits,
          monthlyAgentCredits: body.monthlyAgentCredits });
        return this.commit(now, null, 'other', { ok: true });
      case 'daily-login': {
        const granted = w.dailyLogin({ at: now, credits: body.credits });
        return this.commit(now, null, 'other', { granted });
      }
      case 'purchases': {
        const at = this.atFor(body.id, now);
        w.purchase({ id: body.id, at, credits: body.credits });
        return this.commit(at, body.id, 'grant', { ok: true });
      }
      case 'promotions': {
        const at = this.atFor(body.id, now);
        w.grantPromotion({ id: body.id, at, credits: body.credits, expiresAt: body.expiresAt });
        return this.commit(at, body.id, 'grant', { ok: true });
      }
      case 'charges': {
        const at = this.atFor(body.id, now);
        const charge = w.charge(usageOf(body.request), at, { id: body.id, catalog });
        return this.commit(at, body.id, 'spend', charge);
      }
      case 'refunds': {
        const at = this.atFor(body.id, now);
        const refund = w.refund(p, body.id === undefined ? { units: body.units, at } : { units: body.units, at, id: body.id });
        return this.commit(at, body.id ?? null, 'spend', refund);
      }
      case 'holds': {
        const at = this.atFor(body.id, now);
        const hold = w.hold(usageOf(body.request), at, { id: body.id, ttlSeconds: body.ttlSeconds, catalog });
        return this.commit(at, body.id, 'spend', hold);
      }
      case 'capture':
        return this.commit(now, null, 'other', w.capture(p, { units: body.units, at: now }));
      case 'release':
        w.release(p, { at: now });
        return this.commit(now, null, 'other', { ok: true });
      default:
        return fail(500, 'E_INTERNAL', `unknown operation ${route.op}`);
    }
  }

  /** PUT: 201 created, 200 when it exists with the same settings, 409 with other settings. */
  create(account, body, now) {
    // The engine checks the settings (E_TIME_ZONE first, then E_BAD_REQUEST for retention) and says what they
    // amount to (defaults filled in), also when the account exists: invalid settings are 400 either way.
    const opts = body.retentionDays === undefined ? { timeZone: body.timeZone } : { timeZone: body.timeZone, retentionDays: body.retentionDays };
    const wallet = EngineWallet.create(opts);
    const timeZone = wallet.timeZone;
    const retentionDays = wallet.retentionDays ?? DEFAULT_RETENTION_DAYS;
    if (this.load()) {
      wallet.free();
      const same = this.meta.timeZone === timeZone && this.meta.retentionDays === retentionDays;
      if (!same) {
        throw codeError('E_IDEMPOTENCY_CONFLICT', `account ${account} exists with other settings `
          + `(timeZone ${this.meta.timeZone}, retentionDays ${this.meta.retentionDays})`);
      }
      return json(200, { account, timeZone, retentionDays });
    }
    const snapshot = JSON.stringify(wallet.toJSON());
    try {
      this.ctx.storage.transactionSync(() => {
        this.sql.exec(`CREATE TABLE meta (k INTEGER PRIMARY KEY CHECK (k = 1), account TEXT NOT NULL,
          time_zone TEXT NOT NULL, retention_days INTEGER NOT NULL, created_at INTEGER NOT NULL, last_at INTEGER NOT NULL)`);
        this.sql.exec('CREATE TABLE snapshot (part INTEGER PRIMARY KEY, text TEXT NOT NULL)');
        this.sql.exec(`CREATE TABLE ledger (account TEXT NOT NULL, seq INTEGER NOT NULL, at TEXT NOT NULL,
          type TEXT NOT NULL, ref TEXT, entry TEXT NOT NULL, PRIMARY KEY (account, seq)) WITHOUT ROWID`);
        this.sql.exec(`CREATE TABLE requests (id TEXT PRIMARY KEY, at INTEGER NOT NULL, kind TEXT NOT NULL)
          WITHOUT ROWID`);
        this.sql.exec('CREATE INDEX requests_by_age ON requests (kind, at)');
        this.sql.exec('INSERT INTO meta VALUES (1, ?, ?, ?, ?, ?)', account, timeZone, retentionDays, now, now);
        this.saveSnapshot(snapshot);
      });
    } catch (err) {
      wallet.free();
      this.drop();
      throw storageError(err);
    }
    this.wallet = wallet;
    this.meta = { account, timeZone, retentionDays, lastAt: now };
    return json(201, { account, timeZone, retentionDays });
  }

  saveSnapshot(text) {
    this.sql.exec('DELETE FROM snapshot');
    for (let i = 0, part = 0; i < text.length || part === 0; i += SNAPSHOT_PART_CHARS, part++) {
      this.sql.exec('INSERT INTO snapshot (part, text) VALUES (?, ?)', part, text.slice(i, i + SNAPSHOT_PART_CHARS));
    }
  }

  /**
   * Stores what the successful engine call changed, in one transaction: the entries the engine hands over, the
   * snapshot, the caller id's `at` and the clock. Answers `result` (200) only after that; a failed commit drops the
   * resident wallet (the next request reloads the last committed snapshot, which still holds those entries).
   */
  commit(at, requestId, kind, result) {
    const { account } = this.meta;
    const entries = this.wallet.takeLedger(); // handed over: the engine forgets them (SPEC 9)
    const snapshot = JSON.stringify(this.wallet.toJSON());
    const lastAt = Math.max(this.meta.lastAt, at);
    const prune = ++this.commits % 64 === 0;
    try {
      this.ctx.storage.transactionSync(() => {
        for (const e of entries) {
          this.sql.exec('INSERT INTO ledger (account, seq, at, type, ref, entry) VALUES (?, ?, ?, ?, ?, ?)',
            account, e.seq, e.at, e.type, e.ref ?? null, JSON.stringify(e));
        }
        this.saveSnapshot(snapshot);
        if (requestId !== null && requestId !== undefined) {
          this.sql.exec('INSERT OR IGNORE INTO requests (id, at, kind) VALUES (?, ?, ?)', requestId, at, kind);
        }
        if (prune) {
          // Ids of charges, holds and refunds that the engine has forgotten (retention) are new calls again.
          // Purchase and promotion ids stay taken for the wallet's life, as in the engine.
          this.sql.exec("DELETE FROM requests WHERE kind = 'spend' AND at < ?", lastAt - 2 * this.meta.retentionDays * DAY_MS);
        }
        this.sql.exec('UPDATE meta SET last_at = ? WHERE k = 1', lastAt);
      });
    } catch (err) {
      this.drop();
      throw storageError(err);
    }
    this.meta.lastAt = lastAt;
    return json(200, result);
  }

  ledgerPage(query) {
    const after = query.after === undefined ? -1 : wholeNumber(query.after, 'after', 0, Number.MAX_SAFE_INTEGER);
    const limit = query.limit === undefined ? 100 : wholeNumber(query.limit, 'limit', 1, 1000);
    const rows = this.sql.exec('SELECT seq, entry FROM ledger WHERE account = ? AND seq > ? ORDER BY seq LIMIT ?',
      this.meta.account, after, limit + 1).toArray();
    const more = rows.length > limit;
    if (more) rows.pop();
    const next = more ? rows[rows.length - 1].seq : null;
    return jsonText(200, `{"entries":[${rows.map((r) => r.entry).join(',')}],"next":${next}}`);
  }
}

function notFound(account) {
  return fail(404, 'E_NOT_FOUND', `no account ${account}`);
}

function storageError(err) {
  console.error('credit-engine service: storage commit failed; the wallet will be reloaded', err?.stack ?? err);
  return codeError('E_UNAVAILABLE', 'the change could not be stored and was not applied; retry with the same id');
}

/** The usage request of a body: its four fields only (the engine checks them), or E_BAD_REQUEST when not an object. */
function usageOf(request) {
  if (request === null || typeof request !== 'object' || Array.isArray(request)) {
    throw codeError('E_BAD_REQUEST', 'request must be an object like {"feature": "ai_background", "units": 2}');
  }
  const { feature, units, tier, seconds } = request;
  return { feature, units, tier, seconds };
}

function wholeNumber(text, name, min, max) {
  const n = /^[0-9]{1,16}$/.test(text) ? Number(text) : NaN;
  if (!(n >= min && n <= max)) throw codeError('E_BAD_REQUEST', `${name} must be a whole number from ${min} to ${max}`);
  return n;
}

/** The token signing key and id from the environment (the Worker checks the same at every request). */
export function tokenKeyOf(env) {
  const key = env.TOKEN_KEY;
  if (typeof key !== 'string' || new TextEncoder().encode(key).length < 32) {
    throw codeError('E_CONFIG', 'CE_TOKEN_KEY must be set to at least 32 bytes');
  }
  return { key, keyId: env.TOKEN_KEY_ID || 'k1' };
}
