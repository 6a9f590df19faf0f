// SPEC section 10 over node:http. Checks in the team's order: admin key (401) -> route (404, or 405 with Allow) ->
// account id (400) -> account exists (404; PUT creates and skips it) -> body size (413, counted in bytes while it
// streams in, chunked or not; reading stops there) -> JSON shape (400) -> the engine. A body's fields other than
// the route's are ignored. The service holds no credit rule: every number comes from the package.
import { createHash, timingSafeEqual } from 'node:crypto';
import { Catalog, signSnapshot } from 'credit-engine';
import { ServiceError, Unavailable } from './store.mjs';

export const BODY_LIMIT = 65_536;
const ACCOUNT_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const TOKEN_TTL_DEFAULT = 300;
const TOKEN_TTL_MAX = 2_592_000;
const LEDGER_LIMIT_DEFAULT = 100;
const LEDGER_LIMIT_MAX = 1000;

const STATUS = {
  E_BAD_REQUEST: 400, E_UNKNOWN_FEATURE: 400, E_TIER_UNAVAILABLE: 400, E_TIME: 400, E_TIME_ZONE: 400,
  E_SNAPSHOT: 400, E_CATALOG: 400,
  E_UNAUTHORIZED: 401,
  E_INSUFFICIENT: 402,
  E_MEMBERS_ONLY: 403,
  E_NOT_FOUND: 404,
  E_IDEMPOTENCY_CONFLICT: 409, E_CLOCK_REGRESSION: 409,
  E_TOO_LARGE: 413,
  E_REFUND_EXCEEDS: 422, E_OVERFLOW: 422,
  E_UNAVAILABLE: 503,
};
const statusOf = (code) => STATUS[code] ?? (code.startsWith('E_TOKEN_') ? 401 : undefined);

class HttpError extends Error {
  constructor(status, code, message, headers = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}
const badRequest = (message) => new HttpError(400, 'E_BAD_REQUEST', message);


/** Passes an optional value through only when present, so the engine applies its own default. */
const optional = (obj, key, value) => (value === undefined ? obj : { ...obj, [key]: value });

function decodeSegment(segment, what) {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw badRequest(`the ${what} in the path is not valid percent-encoding`);
  }
}

/**
 * The routes: [pattern, { METHOD: { kind, handler } }]. `kind`: 'public' (no key, no account), 'create' (account
 * not required to exist), 'read' (no body), 'write' (a JSON body).
 */
function routes(ctx) {
  const { store, catalog, token } = ctx;
  // `opId`: the caller id of calls the engine replays (purchase, promotion, charge, hold, refund with an id).
  const mutate = (handler, opId = () => null) => ({
    kind: 'write',
    handler: (req) => {
      const id = opId(req.body);
      // PostgreSQL text holds no NUL; the engine refuses control characters in ids anyway (E_BAD_REQUEST).
      const key = typeof id === 'string' && !id.includes('\u0000') ? id : null;
      return store.mutate(req.account, req.now, (w, at) => handler(w, at, req.body, req.params), key);
    },
  });
  const bodyId = (b) => b.id;
  return [
    [/^\/v1\/health$/, { GET: { kind: 'public', handler: async () => ({ ok: true }) } }],
    [/^\/v1\/accounts\/([^/]+)$/, {
      PUT: {
        kind: 'create',
        handler: async (req) => {
          // `retentionDays: null` means the default, as in the engine and the Cloudflare deployment (one contract).
          const { timeZone, retentionDays } = req.body;
          const { status, body } = await store.create(req.account, { timeZone, retentionDays: retentionDays ?? undefined });
          return { status, body };
        },
      },
    }],
    [/^\/v1\/accounts\/([^/]+)\/trial$/, {
      POST: mutate((w, at, b) => {
        const { until, credits } = b;
        w.startTrial({ at, until, credits });
        return { ok: true };
      }),
    }],
    [/^\/v1\/accounts\/([^/]+)\/membership$/, {
      POST: mutate((w, at, b) => {
        const { until, monthlyCredits, monthlyAgentCredits } = b;
        w.activateMembership({ at, until, monthlyCredits, monthlyAgentCredits });
        return { ok: true };
      }),
    }],
    [/^\/v1\/accounts\/([^/]+)\/daily-login$/, {
      POST: mutate((w, at, b) => {
        const { credits } = b;
        return { granted: w.dailyLogin({ at, credits }) };
      }),
    }],
    [/^\/v1\/accounts\/([^/]+)\/purchases$/, {
      POST: mutate((w, at, b) => {
        const { id, credits } = b;
        w.purchase({ id, at, credits });
        return { ok: true };
      }, bodyId),
    }],
    [/^\/v1\/accounts\/([^/]+)\/promotions$/, {
      POST: mutate((w, at, b) => {
        const { id, credits, expiresAt } = b;
        w.grantPromotion({ id, at, credits, expiresAt });
        return { ok: true };
      }, bodyId),
    }],
    [/^\/v1\/accounts\/([^/]+)\/charges$/, {
      POST: mutate((w, at, b) => {
        const { id, request } = b;
        return w.charge(request, at, { id });
      }, bodyId),
    }],
    [/^\/v1\/accounts\/([^/]+)\/charges\/([^/]+)\/refunds$/, {
      POST: mutate((w, at, b, p) => {
        const { units, id } = b;
        return w.refund(p.id, optional({ units, at }, 'id', id));
      }, bodyId),
    }],
    [/^\/v1\/accounts\/([^/]+)\/holds$/, {
      POST: mutate((w, at, b) => {
        const { id, request, ttlSeconds } = b;
        return w.hold(request, at, { id, ttlSeconds });
      }, bodyId),
    }],
    [/^\/v1\/accounts\/([^/]+)\/holds\/([^/]+)\/capture$/, {
      POST: mutate((w, at, b, p) => {
        const { units } = b;
        return w.capture(p.id, { units, at });
      }),
    }],
    [/^\/v1\/accounts\/([^/]+)\/holds\/([^/]+)\/release$/, {
      POST: mutate((w, at, b, p) => {
        w.release(p.id, { at });
        return { ok: true };
      }),
    }],
    [/^\/v1\/accounts\/([^/]+)\/balance$/, {
      GET: { kind: 'read', handler: (req) => store.read(req.account, (w) => w.balance(req.now)) },
    }],
    [/^\/v1\/accounts\/([^/]+)\/ledger$/, {
      GET: {
        kind: 'read',
        handler: (req) => {
          const { after, limit } = ledgerQuery(req.query);
          return store.ledger(req.account, after, limit);
        },
      },
    }],
    [/^\/v1\/accounts\/([^/]+)\/token$/, {
      POST: {
        kind: 'write',
        handler: (req) => {
          const { ttlSeconds = TOKEN_TTL_DEFAULT } = req.body;
          if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > TOKEN_TTL_MAX) {
            throw badRequest(`ttlSeconds must be a whole number from 1 to ${TOKEN_TTL_MAX}`);
          }
          return store.read(req.account, (w) => ({
            token: signSnapshot(w, {
              key: token.key, keyId: token.keyId, ttlSeconds, at: req.now, account: req.account, catalog,
            }),
          }));
        },
      },
    }],
  ];
}

/** `after` a whole number >= 0 (default 0), `limit` 1..1000 (default 100); anything else is 400. */
function ledgerQuery(query) {
  const params = new URLSearchParams(query);
  for (const key of params.keys()) {
    if (key !== 'after' && key !== 'limit') throw badRequest(`unknown query parameter '${key}' (allowed: after, limit)`);
    if (params.getAll(key).length > 1) throw badRequest(`query parameter '${key}' given more than once`);
  }
  const whole = (key, fallback) => {
    const text = params.get(key);
    if (text === null) return fallback;
    if (!/^\d{1,16}$/.test(text) || !Number.isSafeInteger(Number(text))) {
      throw badRequest(`${key} must be a whole number, got '${text}'`);
    }
    return Number(text);
  };
  const after = whole('after', 0);
  const limit = whole('limit', LEDGER_LIMIT_DEFAULT);
  if (limit < 1 || limit > LEDGER_LIMIT_MAX) throw badRequest(`limit must be from 1 to ${LEDGER_LIMIT_MAX}, got ${limit}`);
  return { after, limit };
}

const digest = (text) => createHash('sha256').update(text).digest();

/**
 * Reads at most `limit` bytes, counted as they stream in (a Content-Length is not trusted, chunked bodies have
 * none); stops reading (pauses the stream) the moment the body is larger.
 */
function readBody(req, limit) {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) return Promise.resolve({ tooLarge: true });
  return new Promise((resolve) => {
    const chunks = [];
    let size = 0;
    let settled = false;
    const done = (value) => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onGone);
      req.off('close', onGone);
      resolve(value);
    };
    const onData = (chunk) => {
      size += chunk.length;
      if (size > limit) {
        req.pause();
        done({ tooLarge: true });
      } else chunks.push(chunk);
    };
    const onEnd = () => done({ bytes: Buffer.concat(chunks, size) });
    const onGone = () => done({ gone: true });
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onGone);
    req.on('close', onGone);
  });
}

const LINGER_MS = 5000;

/**
 * Leaves the rest of a body unread. node:http would otherwise read and discard it (keep-alive), and its close after
 * a `connection: close` answer destroys the socket at once: unread bytes then turn the close into a TCP reset,
 * which can discard our answer in the client's buffers before it reads it. So: the stream stays paused (the kernel
 * stops the sender once its buffers fill), our side is half-closed after the answer, and the socket is destroyed
 * when the client closes or LINGER_MS later.
 */
function stopReading(req) {
  req.on('data', () => {});
  req.pause();
  const socket = req.socket;
  if (!socket || socket.destroyed) return;
  socket.destroySoon = function destroySoonLingering() {
    if (this.writable) this.end();
    const timer = setTimeout(() => this.destroy(), LINGER_MS);
    timer.unref();
    this.once('close', () => clearTimeout(timer));
  };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function parseBody(bytes) {
  if (bytes.length === 0) return {};
  let value;
  try {
    value = JSON.parse(utf8.decode(bytes));
  } catch {
    throw badRequest('the body is not JSON (UTF-8)');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw badRequest('the body must be a JSON object');
  return value;
}

/**
 * The request handler. `ctx`: { store, adminKey, token: { key, keyId }, log, now?: () => number }.
 * Returns (req, res) => void and `inFlight()`, the number of requests being answered.
 */
export function createHandler(ctx) {
  const catalog = Catalog.default();
  const table = routes({ ...ctx, catalog });
  const adminDigest = digest(`Bearer ${ctx.adminKey}`);
  const clock = ctx.now ?? Date.now;
  const log = ctx.log ?? (() => {});
  let active = 0;

  function send(req, res, status, body, headers = {}) {
    if (res.headersSent || res.destroyed) return;
    if (!req.complete) {
      // An answer before the body was read (401, 404, 413, ...): read no more of it, and close the connection.
      headers = { ...headers, connection: 'close' };
      stopReading(req);
    }
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-store',
      ...headers,
    });
    res.end(text);
  }

  async function answer(req, res) {
    const now = clock(); // read once per request (BRIEF: time)
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const path = q < 0 ? raw : raw.slice(0, q);
    const query = q < 0 ? '' : raw.slice(q + 1);
    const isHealth = path === '/v1/health';

    if (!isHealth) {
      const given = req.headers.authorization;
      if (typeof given !== 'string' || !timingSafeEqual(digest(given), adminDigest)) {
        throw new HttpError(401, 'E_UNAUTHORIZED', 'an admin key is required: Authorization: Bearer <CE_ADMIN_KEY>');
      }
    }
    let match = null;
    let methods = null;
    for (const [pattern, m] of table) {
      match = pattern.exec(path);
      if (match) {
        methods = m;
        break;
      }
    }
    if (!match) throw new HttpError(404, 'E_NOT_FOUND', `no route ${path}`);
    const route = methods[req.method];
    if (!route) {
      const allow = Object.keys(methods).join(', ');
      throw new HttpError(405, 'E_BAD_REQUEST', `${req.method} is not allowed on ${path} (allowed: ${allow})`, { allow });
    }
    const r = { now, query, params: {}, body: {}, account: null };
    if (route.kind !== 'public') {
      const account = match[1];
      if (!ACCOUNT_ID.test(account)) {
        throw badRequest('the account id must be 1-128 characters of A-Z a-z 0-9 . _ : -');
      }
      r.account = account;
      if (match[2] !== undefined) r.params.id = decodeSegment(match[2], 'id');
      if (route.kind !== 'create' && !(await ctx.store.exists(account))) {
        throw new HttpError(404, 'E_NOT_FOUND', `there is no account '${account}'`);
      }
    }
    if (route.kind === 'write' || route.kind === 'create') {
      const got = await readBody(req, BODY_LIMIT);
      if (got.gone) return; // the client went away mid-body: nobody to answer
      if (got.tooLarge) {
        throw new HttpError(413, 'E_TOO_LARGE', `the body is larger than ${BODY_LIMIT} bytes`);
      }
      r.body = parseBody(got.bytes);
    }
    const out = await route.handler(r);
    if (out && typeof out.status === 'number' && 'body' in out) send(req, res, out.status, out.body);
    else send(req, res, 200, out);
  }

  function handler(req, res) {
    active++;
    res.on('close', () => { active--; });
    answer(req, res).catch((err) => {
      if (err instanceof HttpError) {
        send(req, res, err.status, { code: err.code, message: err.message }, err.headers);
        return;
      }
      if (err instanceof ServiceError || (typeof err?.code === 'string' && statusOf(err.code))) {
        const status = statusOf(err.code);
        const body = { code: err.code, message: err.message };
        if (typeof err.shortfall === 'number') body.shortfall = err.shortfall;
        send(req, res, status, body, status === 503 ? { 'retry-after': '1' } : {});
        if (err instanceof Unavailable) log(`503: ${err.message}`);
        return;
      }
      // A bug: SPEC says this never happens on any input; the tests feed hostile input to keep it so.
      log(`500 on ${req.method} ${req.url}: ${err?.stack ?? err}`);
      send(req, res, 500, { code: 'E_INTERNAL', message: 'internal error' });
    });
  }

  return { handler, inFlight: () => active };
}
