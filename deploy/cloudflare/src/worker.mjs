// The wallet service's Worker (SPEC section 10): admin routes under /v1/accounts/{account}/..., each handed to that
// account's `Wallet` Durable Object (idFromName(account)), and the product's edge pre-check, POST /v1/generate.
//
// Order of checks (admin routes): admin key (401) -> route known (404; wrong method 405 with Allow) -> account id
// well formed (400) -> [in the object] account exists (404) -> body size (413, counted in bytes while it streams) ->
// JSON (400) -> the engine.
//
// POST /v1/generate (client-facing; the admin key is not involved): the wallet token from the `x-wallet-token` header
// or the `wallet_token` cookie (401 E_TOKEN_*), the `x-request-id` header (400 without), a usage request body
// ({ feature, units?, tier?, seconds?, ...anything the generation service needs }, 413 over 65,536 bytes). The
// token is verified and the request previewed at the edge: 402 when short, without touching the account's object.
// Otherwise a hold (id = x-request-id, so a retried request holds once) is placed in the object of the account the
// token is bound to, and the request goes to the generation service with x-credit-account / x-credit-hold set here;
// the token, the cookies and every other client header except a few content headers stay behind.
import { Catalog, verifySnapshot } from 'credit-engine';
import { errorAnswer, fail, json, parseObject, readLimited, tooLarge } from './http.mjs';
import { tokenKeyOf } from './wallet-object.mjs';

export { Wallet } from './wallet-object.mjs';

const ACCOUNT = /^[A-Za-z0-9._:-]{1,128}$/;
const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;
const TOKEN_HEADER = 'x-wallet-token';
const TOKEN_COOKIE = 'wallet_token';
const HOLD_TTL_DEFAULT = 600;
/** Client headers the generation service gets; everything else (cookies, token, Host, X-Forwarded-*) stays here. */
const FORWARDED_HEADERS = ['content-type', 'accept', 'accept-language', 'user-agent'];
const catalog = Catalog.default();

// Sub-routes of /v1/accounts/{account}: [pattern of the rest of the path, { METHOD: operation }].
const ROUTES = [
  [/^$/, { PUT: 'create' }],
  [/^trial$/, { POST: 'trial' }],
  [/^membership$/, { POST: 'membership' }],
  [/^daily-login$/, { POST: 'daily-login' }],
  [/^purchases$/, { POST: 'purchases' }],
  [/^promotions$/, { POST: 'promotions' }],
  [/^charges$/, { POST: 'charges' }],
  [/^charges\/([^/]+)\/refunds$/, { POST: 'refunds' }],
  [/^holds$/, { POST: 'holds' }],
  [/^holds\/([^/]+)\/capture$/, { POST: 'capture' }],
  [/^holds\/([^/]+)\/release$/, { POST: 'release' }],
  [/^balance$/, { GET: 'balance' }],
  [/^ledger$/, { GET: 'ledger' }],
  [/^token$/, { POST: 'token' }],
];

const notFound = (path) => fail(404, 'E_NOT_FOUND', `no route ${path}`);
const notAllowed = (allow) => fail(405, 'E_BAD_REQUEST', `use ${allow.join(' or ')} here`, {}, { allow: allow.join(', ') });

export default {
  async fetch(request, env) {
    try {
      const url = new URL(request.url);
      const path = url.pathname;
      if (path === '/v1/health') return request.method === 'GET' ? json(200, { ok: true }) : notAllowed(['GET']);
      if (path === '/v1/generate') return request.method === 'POST' ? await generate(request, env) : notAllowed(['POST']);
      const denied = await checkAdmin(request, env);
      if (denied) return denied;
      const m = /^\/v1\/accounts\/([^/]+)(?:\/(.*))?$/.exec(path);
      if (!m) return notFound(path);
      const rest = m[2] ?? '';
      for (const [pattern, methods] of ROUTES) {
        const r = pattern.exec(rest);
        if (!r) continue;
        const op = methods[request.method];
        if (!op) return notAllowed(Object.keys(methods));
        if (!ACCOUNT.test(m[1])) {
          return fail(400, 'E_BAD_REQUEST', 'account ids are 1 to 128 characters of A-Z a-z 0-9 . _ : -');
        }
        let id;
        if (r[1] !== undefined) {
          try {
            id = decodeURIComponent(r[1]);
          } catch {
            return fail(400, 'E_BAD_REQUEST', 'the id in the path is not valid percent-encoded UTF-8');
          }
        }
        const query = op === 'ledger' ? queryOf(url) : undefined;
        return toObject(env, { op, account: m[1], id, query }, request);
      }
      return notFound(path);
    } catch (err) {
      return errorAnswer(err);
    }
  },
};

function queryOf(url) {
  const q = {};
  for (const name of ['after', 'limit']) {
    const v = url.searchParams.get(name);
    if (v !== null) q[name] = v;
  }
  return q;
}

/** Hands a route to the account's object; the body streams through (the object counts its bytes). */
function toObject(env, route, request, body) {
  const stub = env.WALLETS.get(env.WALLETS.idFromName(route.account));
  const headers = { 'x-ce-route': JSON.stringify(route) };
  const declared = request?.headers.get('content-length');
  if (declared !== null && declared !== undefined && body === undefined) headers['x-ce-length'] = declared;
  const hasBody = route.op !== 'balance' && route.op !== 'ledger';
  return stub.fetch('https://wallet.internal/', {
    method: 'POST', headers, body: hasBody ? (body ?? request.body) : null,
  });
}

// ---- admin key ----------------------------------------------------------------------------------------------------

let adminDigest = { key: null, digest: null };
async function sha256(text) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
}

/** 401 unless `Authorization: Bearer <ADMIN_KEY>` (compared in constant time over SHA-256 digests); null when fine. */
async function checkAdmin(request, env) {
  const key = env.ADMIN_KEY;
  if (typeof key !== 'string' || key.length === 0) return fail(503, 'E_CONFIG', 'CE_ADMIN_KEY is not set');
  if (adminDigest.key !== key) adminDigest = { key, digest: await sha256(key) };
  const header = request.headers.get('authorization') ?? '';
  const m = /^Bearer[ ]+(.+)$/.exec(header);
  const given = await sha256(m ? m[1].trim() : '');
  if (!m || !crypto.subtle.timingSafeEqual(given, adminDigest.digest)) {
    return fail(401, 'E_UNAUTHORIZED', 'send the admin key as Authorization: Bearer <CE_ADMIN_KEY>');
  }
  return null;
}

// ---- the edge pre-check -----------------------------------------------------------------------------------------

function tokenOf(request) {
  const header = request.headers.get(TOKEN_HEADER);
  if (header) return header.trim();
  for (const part of (request.headers.get('cookie') ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === TOKEN_COOKIE) return part.slice(i + 1).trim();
  }
  return null;
}

async function generate(request, env) {
  const token = tokenOf(request);
  if (!token) {
    return fail(401, 'E_TOKEN_MISSING', `send the wallet token in the ${TOKEN_HEADER} header or the ${TOKEN_COOKIE} cookie`);
  }
  if (!env.GENERATION_URL) return fail(503, 'E_CONFIG', 'CE_GENERATION_URL is not set: no generation service to forward to');
  const { key, keyId } = tokenKeyOf(env);
  const now = Date.now();
  let view;
  try {
    // The engine remembers verified tokens (a client sends the same one until it expires); the window, the key and
    // the catalog are checked on every call. The result is a read copy: preview never changes it.
    view = verifySnapshot(token, { keys: { [keyId]: key }, at: now, catalog });
  } catch (err) {
    return errorAnswer(err);
  }
  let usage, bytes, preview, account;
  try {
    account = view.account;
    if (typeof account !== 'string' || !ACCOUNT.test(account)) {
      return fail(401, 'E_TOKEN_MALFORMED', 'the token is not bound to an account: get one from POST /v1/accounts/{account}/token');
    }
    const requestId = request.headers.get('x-request-id');
    if (requestId === null || !REQUEST_ID.test(requestId)) {
      return fail(400, 'E_BAD_REQUEST', 'send x-request-id: 1 to 128 visible ASCII characters, the same on every retry of a request');
    }
    const read = await readLimited(request.body, request.headers.get('content-length'));
    if (read.tooLarge) return tooLarge();
    bytes = read.bytes;
    const body = parseObject(bytes);
    usage = { feature: body.feature, units: body.units, tier: body.tier, seconds: body.seconds };
    if (typeof usage.feature !== 'string') {
      return fail(400, 'E_BAD_REQUEST', 'the body needs "feature", a string (a catalog feature id)');
    }
    preview = view.preview(usage, now, catalog);
    if (!preview.sufficient) {
      const { total, agent, regular } = preview.balanceAfter; // the balance now: nothing was drawn
      return fail(402, 'E_INSUFFICIENT', `not enough credits for ${usage.feature}: ${preview.credits} needed, ${preview.shortfall} short`, {
        shortfall: preview.shortfall, credits: preview.credits, balance: { total, agent, regular },
      });
    }
    return await holdAndForward(env, { account, requestId, usage, bytes, request });
  } catch (err) {
    return errorAnswer(err);
  } finally {
    view.free();
  }
}

async function holdAndForward(env, { account, requestId, usage, bytes, request }) {
  const ttl = Number(env.HOLD_TTL_SECONDS || HOLD_TTL_DEFAULT);
  const holdBody = JSON.stringify({ id: requestId, request: usage, ttlSeconds: ttl });
  const held = await toObject(env, { op: 'holds', account }, null, holdBody);
  if (held.status !== 200) return held; // 402 (the stored wallet is short), 409 (id reused for another request), 404
  const hold = await held.json();
  const headers = new Headers();
  for (const name of FORWARDED_HEADERS) {
    const v = request.headers.get(name);
    if (v !== null) headers.set(name, v);
  }
  headers.set('x-request-id', requestId);
  headers.set('x-credit-account', account);
  headers.set('x-credit-hold', hold.id);
  headers.set('x-credit-credits', String(hold.credits));
  let res;
  try {
    const outbound = env.GENERATION ?? globalThis;
    res = await outbound.fetch(new Request(env.GENERATION_URL, { method: 'POST', headers, body: bytes }));
  } catch (err) {
    // Nothing was generated: give the credits back now rather than at the hold's expiry.
    const released = await toObject(env, { op: 'release', account, id: hold.id }, null, '{}');
    return fail(502, 'E_UPSTREAM', `the generation service did not answer (${err.message}); the hold was ${released.status === 200 ? 'released' : 'left to expire'}`);
  }
  const out = new Headers({ 'x-credit-hold': hold.id });
  const type = res.headers.get('content-type');
  if (type) out.set('content-type', type);
  return new Response(res.body, { status: res.status, headers: out });
}
