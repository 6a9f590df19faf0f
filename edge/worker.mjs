// The edge pre-check (a Workers ES module): for `POST /generate` it verifies the signed wallet token the origin issued
// (header `x-wallet-token` or cookie `wallet_token`), prices the request with the same Rust engine as of the request
// time (expiries since the token was signed apply), and either answers 402 at once or forwards the request to origin
// with the quote in headers, so origin can confirm it against its own wallet. Origin stays the one that charges.
//
// Bindings (edge/config.capnp): ORIGIN (service), TOKEN_KEYS (text: JSON object, key id -> key; several ids during a
// rotation). Answers: 401 token missing or invalid (E_TOKEN_*), 409 token priced with another catalog
// (E_TOKEN_CATALOG), 400 malformed body or request, 402 not enough credits, else origin's answer. Origin learns the
// account from the token (x-credit-account), never from the client.
import { Catalog, verifySnapshot } from 'credit-engine';

const TOKEN_HEADER = 'x-wallet-token';
const TOKEN_COOKIE = 'wallet_token';
const MAX_BODY_BYTES = 64 * 1024;
const catalog = Catalog.default();
let keys = { text: null, value: null };

const json = (status, body) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8' } });
const fail = (status, code, message, extra) => json(status, { code, message, ...extra });

function tokenOf(request) {
  const header = request.headers.get(TOKEN_HEADER);
  if (header) return header.trim();
  for (const part of (request.headers.get('cookie') ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === TOKEN_COOKIE) return part.slice(i + 1).trim();
  }
  return null;
}

function keysOf(env) {
  if (keys.text !== env.TOKEN_KEYS) {
    const value = JSON.parse(env.TOKEN_KEYS ?? 'null');
    if (value === null || typeof value !== 'object') throw new Error('TOKEN_KEYS must be a JSON object of key id -> key');
    keys = { text: env.TOKEN_KEYS, value };
  }
  return keys.value;
}

/** The usage request in a body, or a message saying what is wrong with it. */
function usageOf(text) {
  let body;
  try {
    body = JSON.parse(text);
  } catch (err) {
    return { error: `the body must be JSON: ${err.message}` };
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { error: 'the body must be a JSON object like {"feature": "ai_background", "units": 2}' };
  }
  const { feature, units, tier, seconds } = body;
  if (typeof feature !== 'string') return { error: 'the body needs "feature", a string (a catalog feature id)' };
  return { request: { feature, units, tier, seconds } };
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname !== '/generate') return fail(404, 'E_NOT_FOUND', 'only POST /generate is served here');
    if (request.method !== 'POST') return fail(405, 'E_BAD_REQUEST', 'use POST /generate');
    const now = Date.now();
    const token = tokenOf(request);
    if (!token) return fail(401, 'E_TOKEN_MISSING', `send the wallet token in the ${TOKEN_HEADER} header or the ${TOKEN_COOKIE} cookie`);
    const text = await request.text();
    if (text.length > MAX_BODY_BYTES) return fail(400, 'E_BAD_REQUEST', `the body is larger than ${MAX_BODY_BYTES} bytes`);
    const { request: usage, error } = usageOf(text);
    if (error) return fail(400, 'E_BAD_REQUEST', error);
    let wallet;
    try {
      // The engine remembers tokens it has verified (HMAC and snapshot load once per token); each call still
      // checks the validity window, the key and the catalog. The wallet is a read copy: preview never changes it.
      wallet = verifySnapshot(token, { keys: keysOf(env), at: now, catalog });
    } catch (err) {
      if (err.code === 'E_TOKEN_CATALOG') return fail(409, err.code, err.message, { catalog: catalog.id });
      if (err.code?.startsWith('E_TOKEN_')) return fail(401, err.code, err.message);
      return fail(500, 'E_CONFIG', `the pre-check is misconfigured: ${err.message}`);
    }
    let preview;
    const account = wallet.account; // the account the token was signed for
    try {
      preview = wallet.preview(usage, now, catalog);
    } catch (err) {
      return fail(400, err.code ?? 'E_BAD_REQUEST', err.message);
    } finally {
      wallet.free();
    }
    if (!preview.sufficient) {
      const { total, agent, regular } = preview.balanceAfter; // the balance now: nothing was drawn
      return fail(402, 'E_INSUFFICIENT', `not enough credits for ${usage.feature}: ${preview.credits} needed, ${preview.shortfall} short`, {
        feature: usage.feature, credits: preview.credits, shortfall: preview.shortfall, balance: { total, agent, regular },
      });
    }
    // Origin gets the request with the quote; the x-credit-* values are always the pre-check's own (set, never
    // appended, so a client cannot smuggle its own), and the token stays at the edge (origin has the wallet).
    const forward = new Request(request.url, { method: 'POST', headers: request.headers, body: text });
    forward.headers.set('x-credit-credits', String(preview.credits));
    forward.headers.set('x-credit-catalog', catalog.id);
    forward.headers.set('x-credit-account', account);
    forward.headers.delete(TOKEN_HEADER);
    return env.ORIGIN.fetch(forward);
  },
};
